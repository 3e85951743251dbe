/* test-langid.c: the script of a text is the one with the most words
 * (runs of letters of one script; each Han or kana character a word),
 * Han with kana is Japanese; the language is CLD2's, "und" where it
 * cannot tell, read from the opening of a long text only. */
#include <string.h>

#include "diag.h"
#include "langid.h"
#include "strbuf.h"
#include "unit.h"

static void script_is(const char *text, const char *want)
{
	const char *got = langid_script(text, strlen(text));
	ok(!strcmp(got, want), "script of '%s': %s (%s)", text, want, got);
}

int main(void)
{
	diag_init("test-langid");
	script_is("plain English words", "Latn");
	script_is("Ça va très bien, merci", "Latn");
	script_is("Привет, как дела?", "Cyrl");
	script_is("Καλημέρα κόσμε", "Grek");
	script_is("שלום עולם", "Hebr");
	script_is("مرحبا بالعالم", "Arab");
	script_is("नमस्ते दुनिया", "Deva");
	script_is("สวัสดีชาวโลก", "Thai");
	script_is("안녕하세요 세계", "Hang");
	script_is("今天天气很好", "Hani");
	script_is("今日はいい天気です", "Jpan");
	script_is("カタカナだけ", "Jpan");
	/* Words, not letters: three Han characters outweigh two long
	 * English words. */
	script_is("OpenSSL library 的加密库", "Hani");
	/* Four Cyrillic words against three Latin ones. */
	script_is("пакет для libfoo и zlib на foo", "Cyrl");
	script_is("12345 -- ++", "Zyyy");
	script_is("", "Zyyy");
	/* A sequence cut at the end is left out, not read past. */
	ok(!strcmp(langid_script("ab\xd0", 3), "Latn"), "a cut sequence at the end is left out");

	struct langid l;
	const char *de = "Das Wetter war heute Morgen angenehm, also gingen wir am Fluss entlang.";
	langid_detect(de, strlen(de), &l);
	ok(!strcmp(l.lang, "de") && l.score > 0.9 && !strcmp(l.script, "Latn"),
	   "a German sentence: de, %.2f, %s", l.score, l.script);
	langid_detect("42 17 99", 8, &l);
	ok(!strcmp(l.lang, "und") && l.score == 0 && !l.reliable, "digits: und, 0, not reliable");
	/* Only the opening counts: English, then a long tail of Russian. */
	struct strbuf long_text = STRBUF_INIT;
	while (long_text.len < LANGID_BYTES)
		strbuf_addstr(&long_text, "The weather was pleasant and we walked along the river. ");
	for (int i = 0; i < 200; i++)
		strbuf_addstr(&long_text, "Сегодня утром была хорошая погода, мы гуляли вдоль реки. ");
	langid_detect(long_text.buf, long_text.len, &l);
	ok(!strcmp(l.lang, "en") && !strcmp(l.script, "Latn"),
	   "the first %d bytes decide: en, Latn (%s, %s)", LANGID_BYTES, l.lang, l.script);
	/* A bound inside a character is moved back to its start. */
	strbuf_reset(&long_text);
	strbuf_addstr(&long_text, "ab");	/* byte LANGID_BYTES is then inside a character */
	while (long_text.len < 2 * LANGID_BYTES)
		strbuf_addstr(&long_text, " я");
	langid_detect(long_text.buf, long_text.len, &l);
	ok(!strcmp(l.script, "Cyrl"), "a bound inside a character: the script still read (%s)",
	   l.script);
	strbuf_release(&long_text);
	return done_testing();
}
