/* Unit tests: each quality signal against values computed by hand. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "quality.h"
#include "text.h"
#include "unit.h"

static struct quality_scratch *qs;
static double v[Q_COUNT];

static void score(const char *text, const char *prompt)
{
	quality_compute(text, strlen(text), prompt, prompt ? strlen(prompt) : 0, qs, v);
}

#define near(x, want) (fabs((x) - (want)) < 1e-9)

static void test_repetition(void)
{
	score("a b a b a b", NULL);
	ok(v[Q_WORDS] == 6 && v[Q_MEAN_WORD_LENGTH] == 1, "6 words of 1 character");
	ok(v[Q_MAX_REPEAT_RUN] == 3, "'a b' three times in a row: a run of 3");
	/* "a b" 3 times x 2 characters of 6; "a b a" twice x 3; "a b a b"
	 * twice x 4 (8 of 6, capped at 1). */
	ok(near(v[Q_TOP_2GRAM_CHAR_FRAC], 1) && near(v[Q_TOP_3GRAM_CHAR_FRAC], 1) &&
	   near(v[Q_TOP_4GRAM_CHAR_FRAC], 1), "top n-grams: %g %g %g", v[Q_TOP_2GRAM_CHAR_FRAC],
	   v[Q_TOP_3GRAM_CHAR_FRAC], v[Q_TOP_4GRAM_CHAR_FRAC]);
	ok(v[Q_DUP_5GRAM_CHAR_FRAC] == 0, "its two 5-grams differ");

	score("a b c d e x a b c d e", NULL);
	ok(near(v[Q_DUP_5GRAM_CHAR_FRAC], 10.0 / 11), "'a b c d e' twice: 10 of 11 characters (%g)",
	   v[Q_DUP_5GRAM_CHAR_FRAC]);
	ok(v[Q_DUP_6GRAM_CHAR_FRAC] == 0, "no 6-gram repeats");
	ok(v[Q_TOP_2GRAM_CHAR_FRAC] > 0 && near(v[Q_TOP_2GRAM_CHAR_FRAC], 4.0 / 11),
	   "the top 2-gram, twice x 2 characters of 11");
	score("one two three four five six", NULL);
	ok(v[Q_TOP_2GRAM_CHAR_FRAC] == 0, "an n-gram seen once is no top n-gram");
	score("p one two one three q", NULL);
	ok(v[Q_TOP_2GRAM_CHAR_FRAC] == 0, "'one two' and 'two one' are two 2-grams (%g)",
	   v[Q_TOP_2GRAM_CHAR_FRAC]);
	score("a b c d e f b a c d e f", NULL);
	ok(v[Q_DUP_5GRAM_CHAR_FRAC] == 0 && near(v[Q_DUP_10GRAM_CHAR_FRAC], 0),
	   "nor are 'a b c d e' and 'b a c d e' one 5-gram (%g)", v[Q_DUP_5GRAM_CHAR_FRAC]);
	/* A 10-gram twice among distinct words: it covers 60 of 210
	 * characters at every length of 5 to 10; its 2-grams are the most
	 * frequent, twice x 6 characters. */
	char buf[1024];
	size_t at = 0;
	for (int i = 0; i < 50; i++) {
		if (i == 30 || i == 40)
			for (int k = 0; k < 10; k++)
				at += (size_t)snprintf(buf + at, sizeof(buf) - at, "x%02d ", k);
		if (i < 30 || i >= 40)
			at += (size_t)snprintf(buf + at, sizeof(buf) - at, "w%02d ", i);
	}
	score(buf, NULL);
	ok(v[Q_WORDS] == 60 && near(v[Q_DUP_5GRAM_CHAR_FRAC], 60.0 / 180) &&
	   near(v[Q_DUP_10GRAM_CHAR_FRAC], 60.0 / 180) && near(v[Q_TOP_2GRAM_CHAR_FRAC], 12.0 / 180) &&
	   near(v[Q_TOP_4GRAM_CHAR_FRAC], 24.0 / 180),
	   "a repeated 10-gram: %g words, %g %g %g %g", v[Q_WORDS], v[Q_DUP_5GRAM_CHAR_FRAC],
	   v[Q_DUP_10GRAM_CHAR_FRAC], v[Q_TOP_2GRAM_CHAR_FRAC], v[Q_TOP_4GRAM_CHAR_FRAC]);

	score("Hello world.\nHello world.\nBye now!", NULL);
	ok(near(v[Q_DUP_LINE_FRAC], 1.0 / 3), "one line of three repeats");
	ok(near(v[Q_DUP_LINE_CHAR_FRAC], 12.0 / 34), "12 of its 34 characters (%g)",
	   v[Q_DUP_LINE_CHAR_FRAC]);
	ok(v[Q_DUP_PARA_FRAC] == 0, "one paragraph");
	ok(near(v[Q_NEWLINE_WORD_RATIO], 2.0 / 6), "2 newlines, 6 words");
	ok(v[Q_TERMINAL_PUNCT_LINES_FRAC] == 1 && v[Q_SHORT_LINES_FRAC] == 1, "all lines end, all short");

	score("p one.\n\np one.\n\n  \np two.", NULL);
	ok(near(v[Q_DUP_PARA_FRAC], 1.0 / 3), "paragraphs: one of three repeats");
	ok(near(v[Q_DUP_PARA_CHAR_FRAC], 6.0 / 25), "6 of 25 characters (%g)", v[Q_DUP_PARA_CHAR_FRAC]);
}

static void test_gopher_quality(void)
{
	score("# Title #\nSee ... and more…", NULL);
	ok(v[Q_WORDS] == 4, "4 words: title, see, and, more");
	ok(near(v[Q_HASH_WORD_RATIO], 2.0 / 4), "2 hashes in 4 words");
	ok(near(v[Q_ELLIPSIS_WORD_RATIO], 2.0 / 4), "'...' and '…' in 4 words");
	ok(near(v[Q_ELLIPSIS_LINES_FRAC], 0.5), "one line of two ends in an ellipsis");
	ok(near(v[Q_ALPHA_WORDS_FRAC], 4.0 / 7),
	   "4 words with a letter of 7 words and pieces of symbols alone (#, #, ...)");
	score("- one\n* two\n• three\nfour", NULL);
	ok(near(v[Q_BULLET_LINES_FRAC], 0.75), "3 bullet lines of 4");
	score("The cat and the dog, with THE bone.", NULL);
	ok(v[Q_STOP_WORDS] == 3, "the, and, with: 3 distinct stop words");
	score("\"(with)\", **of** _be_ ~to~ -that- #have# [[and]]; theory", NULL);
	ok(v[Q_STOP_WORDS] == 7, "stop words inside any ASCII punctuation, even 8 bytes of it (%g)",
	   v[Q_STOP_WORDS]);
	score("Ça été très œuvre", NULL);
	ok(near(v[Q_MEAN_WORD_LENGTH], 14.0 / 4), "lengths in code points: 2+3+4+5 of 4 words (%g)",
	   v[Q_MEAN_WORD_LENGTH]);
	ok(v[Q_ALPHA_WORDS_FRAC] == 1, "non-ASCII letters are letters");
}

static void test_line_rules(void)
{
	score("Lorem Ipsum dolor\nEnable JavaScript now\nRead our Privacy Policy and terms of use\n{x}", NULL);
	ok(v[Q_LOREM_IPSUM] == 1 && v[Q_CURLY_BRACE] == 1, "lorem ipsum, a curly brace");
	ok(v[Q_JAVASCRIPT_LINES] == 1 && v[Q_POLICY_LINES] == 1,
	   "one javascript line, one policy line with two phrases");
	/* ASCII text is looked at every third byte: a phrase is found at
	 * any offset, up to the end. */
	const char *at_offsets[] = { "javascript", "xjavascript", "xxjavascript", "a JavaScript",
				     "(JAVASCRIPT)", "Sure, here is", " Sure, here is", "  Sure, here is" };
	int all = 1;
	for (size_t i = 0; i < sizeof(at_offsets) / sizeof(*at_offsets); i++) {
		score(at_offsets[i], NULL);
		all &= v[Q_JAVASCRIPT_LINES] + v[Q_BOILERPLATE] == 1;
	}
	ok(all, "phrases at every offset of an ASCII text");
	score("javascript\njavascript\n-javascript\nno\n--Lorem Ipsum", NULL);
	ok(v[Q_JAVASCRIPT_LINES] == 3 && v[Q_LOREM_IPSUM] == 1, "three javascript lines, lorem ipsum at the end");
	score("plain text here.", NULL);
	ok(v[Q_LOREM_IPSUM] == 0 && v[Q_CURLY_BRACE] == 0 && v[Q_JAVASCRIPT_LINES] == 0 &&
	   v[Q_POLICY_LINES] == 0, "none of them in plain text");
	score("A line that is long enough to count as long.\nshort", NULL);
	ok(near(v[Q_SHORT_LINES_FRAC], 0.5) && near(v[Q_TERMINAL_PUNCT_LINES_FRAC], 0.5),
	   "one short line, one ending line");
}

static void test_llm(void)
{
	score("As an AI language model, I cannot do that. I hope this helps!", NULL);
	ok(v[Q_BOILERPLATE] == 2, "two assistant phrases (%g)", v[Q_BOILERPLATE]);
	score("Als KI kann ich das nicht beurteilen.", NULL);
	ok(v[Q_BOILERPLATE] == 1, "German");
	score("Извините, но я не могу это сделать.", NULL);
	ok(v[Q_BOILERPLATE] == 1, "Russian");
	score("The weather was fine and we walked home.", NULL);
	ok(v[Q_BOILERPLATE] == 0, "none in plain text");
	/* ASCII text is scanned only where it holds a longer literal than
	 * the rest: these check that each kind is still found. */
	score("Sure, here is the list. I can't help with that.", NULL);
	ok(v[Q_BOILERPLATE] == 2, "ASCII: 'sure, here', 'can't help with' (%g)", v[Q_BOILERPLATE]);
	score("OF COURSE! HERE ARE the files. I am afraid I cannot do it.", NULL);
	ok(v[Q_BOILERPLATE] == 2, "ASCII in capitals (%g)", v[Q_BOILERPLATE]);
	score("I'm just an AI. I don't have access to it. Leider kann ich nicht.", NULL);
	ok(v[Q_BOILERPLATE] == 3, "ASCII: three more kinds (%g)", v[Q_BOILERPLATE]);
	score("To ensure it builds, here is a measure of help with the build.", NULL);
	ok(v[Q_BOILERPLATE] == 0, "ASCII: 'ensure, here' and 'help with' are no boilerplate");
	score("I’m sorry, but I can’t — ſure.", NULL);
	ok(v[Q_BOILERPLATE] == 1, "curly apostrophes (%g)", v[Q_BOILERPLATE]);

	score("one two three four five six seven eight and more", "one two three four five six seven eight nine");
	ok(near(v[Q_PROMPT_ECHO], 0.5), "one of the prompt's two 8-grams is echoed");
	score("nothing in common at all here for sure yes", "one two three four five six seven eight nine");
	ok(v[Q_PROMPT_ECHO] == 0, "no echo");
	score("text", NULL);
	ok(isnan(v[Q_PROMPT_ECHO]), "no prompt: none");

	score("It ends here.", NULL);
	ok(v[Q_TRUNCATED] == 0, "a sentence that ends");
	score("and then the", NULL);
	ok(v[Q_TRUNCATED] == 1, "mid-sentence");
	score("Code:\n```\nx = 1\n", NULL);
	ok(v[Q_TRUNCATED] == 1, "an open code fence");
	score("Call f(x.", NULL);
	ok(v[Q_TRUNCATED] == 1, "an open bracket");
	score("", NULL);
	ok(v[Q_TRUNCATED] == 0 && v[Q_WORDS] == 0 && v[Q_MAX_REPEAT_RUN] == 0, "an empty text");
	score("go go go go go now", NULL);
	ok(v[Q_MAX_REPEAT_RUN] == 5, "a word five times in a row");
	/* Long texts, where runs are looked for four positions at a time. */
	char buf[4096];
	size_t at = 0;
	for (int i = 0; i < 101; i++)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "w%d ", i);
	at += (size_t)snprintf(buf + at, sizeof(buf) - at, "a b c a b c a b c a b c ");
	for (int i = 0; i < 50; i++)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "v%d ", i);
	for (int k = 0; k < 3; k++)
		at += (size_t)snprintf(buf + at, sizeof(buf) - at, "1 2 3 4 5 6 7 8 ");
	snprintf(buf + at, sizeof(buf) - at, "end");
	score(buf, NULL);
	ok(v[Q_MAX_REPEAT_RUN] == 4, "'a b c' four times amid other words (%g)", v[Q_MAX_REPEAT_RUN]);
	buf[at] = 0;
	at += (size_t)snprintf(buf + at, sizeof(buf) - at, "1 2 3 4 5 6 7 8 1 2 3 4 5 6 7 8 x");
	score(buf, NULL);
	ok(v[Q_MAX_REPEAT_RUN] == 5, "an 8-gram five times, at the end (%g)", v[Q_MAX_REPEAT_RUN]);

	/* Blocks longer than 8 words, up to 64: a clause said again and
	 * again, amid other words. */
	static char big[16384];
	const int periods[] = { 9, 20, 64, 65 }, times[] = { 20, 6, 3, 3 }, want[] = { 20, 6, 3, 1 };
	for (int t = 0; t < 4; t++) {
		at = 0;
		for (int i = 0; i < 30; i++)
			at += (size_t)snprintf(big + at, sizeof(big) - at, "u%d ", i);
		for (int k = 0; k < times[t]; k++)
			for (int i = 0; i < periods[t]; i++)
				at += (size_t)snprintf(big + at, sizeof(big) - at, "c%d ", i);
		for (int i = 0; i < 30; i++)
			at += (size_t)snprintf(big + at, sizeof(big) - at, "z%d ", i);
		score(big, NULL);
		ok(v[Q_MAX_REPEAT_RUN] == want[t], "a block of %d words %d times: a run of %d (%g)",
		   periods[t], times[t], want[t], v[Q_MAX_REPEAT_RUN]);
	}
	/* The block's words repeat inside it ("the" twice), and the last
	 * copy is cut short: whole copies count. */
	score("so the cat saw the dog and ran off home so the cat saw the dog and ran off home "
	      "so the cat saw the dog and ran off home so the cat saw the", NULL);
	ok(v[Q_MAX_REPEAT_RUN] == 3, "a 10-word block three times and a part: a run of 3 (%g)",
	   v[Q_MAX_REPEAT_RUN]);
	/* Two 12-word blocks far apart are no run. */
	score("a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12 then something else entirely different here "
	      "and more words to keep them apart a1 a2 a3 a4 a5 a6 a7 a8 a9 a10 a11 a12", NULL);
	ok(v[Q_MAX_REPEAT_RUN] == 1, "a block twice but not back to back: no run (%g)",
	   v[Q_MAX_REPEAT_RUN]);
}

static void score_in(const char *text, int lang)
{
	quality_compute_lang(text, strlen(text), NULL, 0, lang, qs, v);
}

static void test_languages(void)
{
	ok(quality_lang_find("de", 2) == QL_DE && quality_lang_find("pt_BR", 5) == QL_PT &&
	   quality_lang_find("zh-Hant", 7) == QL_ZH && quality_lang_find("JA", 2) == QL_JA,
	   "language codes: two letters in any case, a region or script after '-' or '_'");
	ok(quality_lang_find("und", 3) == QUALITY_LANG_UNKNOWN &&
	   quality_lang_find("", 0) == QUALITY_LANG_UNKNOWN &&
	   quality_lang_find("da", 2) == QUALITY_LANG_UNLISTED &&
	   quality_lang_find("deu", 3) == QUALITY_LANG_UNLISTED,
	   "und and nothing are unknown; da and three-letter codes have no list");

	/* Words between spaces, without punctuation around them (ASCII
	 * and the marks other languages quote with), in lower case. */
	score_in("„Die“ Katze UND der Hund, (mit) Tee.", QL_DE);
	ok(v[Q_STOP_WORDS] == 4, "German: die, und, der, mit (%g)", v[Q_STOP_WORDS]);
	score("„Die“ Katze UND der Hund, (mit) Tee.", NULL);
	ok(v[Q_STOP_WORDS] == 0, "the same text by Gopher's English list: none");
	score_in("Это, «И» В доме ЧТО-ТО есть.", QL_RU);
	ok(v[Q_STOP_WORDS] == 4,
	   "Russian: это, и, в in capitals and guillemets; что-то the words что and то (%g)",
	   v[Q_STOP_WORDS]);
	score_in("Это, «И» В доме есть.", QL_RU);
	ok(v[Q_STOP_WORDS] == 3, "Russian: это, и, в without что (%g)", v[Q_STOP_WORDS]);
	score_in("¿Es la casa? ¡La casa es!", QL_ES);
	ok(v[Q_STOP_WORDS] == 2, "Spanish: es, la, each once, inside ¿? and ¡! (%g)", v[Q_STOP_WORDS]);
	score_in("Żółw i ŻE się", QL_PL);
	ok(v[Q_STOP_WORDS] == 3, "Polish: i, że (capital Ż), się (%g)", v[Q_STOP_WORDS]);
	score_in("Він і Й та ЩО", QL_UK);
	ok(v[Q_STOP_WORDS] == 4, "Ukrainian: і, й, та, що (%g)", v[Q_STOP_WORDS]);
	score_in("the and of", QL_EN);
	ok(v[Q_STOP_WORDS] == 3, "English: Gopher's list");
	score_in("the and of", QUALITY_LANG_UNLISTED);
	ok(isnan(v[Q_STOP_WORDS]), "a language without a list: stop_words NaN");

	/* Chinese and Japanese: stop words anywhere; the words those of
	 * text_words(), ICU's dictionary words. */
	struct words ws;
	words_init(&ws);
	const char *zh = "我的书的颜色為红，为什么";
	score_in(zh, QL_ZH);
	ok(v[Q_STOP_WORDS] == 2, "Chinese: 的 twice counts once, 为 and 為 one word (%g)",
	   v[Q_STOP_WORDS]);
	text_words_as(zh, strlen(zh), NORM_FULL, &ws);
	size_t chars = 0;
	for (size_t i = 0; i < ws.n; i++)
		chars += utf8_count(ws.norm.buf + ws.w[i].off, ws.w[i].len);
	ok(ws.n > 1 && v[Q_WORDS] == (double)ws.n && near(v[Q_MEAN_WORD_LENGTH], (double)chars / (double)ws.n) &&
	   v[Q_ALPHA_WORDS_FRAC] == 1,
	   "Chinese: text_words()'s %zu words of %zu characters, not the comma (%g, %g)", ws.n, chars,
	   v[Q_WORDS], v[Q_MEAN_WORD_LENGTH]);
	double zh_words = v[Q_WORDS], zh_length = v[Q_MEAN_WORD_LENGTH];
	score(zh, NULL);
	ok(v[Q_WORDS] == zh_words && v[Q_MEAN_WORD_LENGTH] == zh_length && v[Q_STOP_WORDS] == 0,
	   "the same text of unknown language: the same words, no English stop word");
	const char *ja = "猫はかわいい Linux 2024";
	score_in(ja, QL_JA);
	text_words_as(ja, strlen(ja), NORM_FULL, &ws);
	ok(v[Q_STOP_WORDS] == 1 && v[Q_WORDS] == (double)ws.n && ws.n >= 4 &&
	   near(v[Q_ALPHA_WORDS_FRAC], (double)(ws.n - 1) / (double)ws.n),
	   "Japanese: は; text_words()'s %zu words, 2024 without a letter (%g, %g, %g)", ws.n,
	   v[Q_STOP_WORDS], v[Q_WORDS], v[Q_ALPHA_WORDS_FRAC]);
	words_release(&ws);
	score_in("猫\n\n犬\n", QL_JA);
	ok(v[Q_WORDS] == 2 && near(v[Q_NEWLINE_WORD_RATIO], 1.5), "newlines over those words (%g)",
	   v[Q_NEWLINE_WORD_RATIO]);
}

static void test_boilerplate_languages(void)
{
	/* One phrase of each language, and text near it that is none. */
	static const struct {
		const char *text;
		double want;
	} cases[] = {
		{ "As an AI language model, I cannot.", 1 },
		{ "Als KI habe ich keine Meinung. Ich hoffe, das hilft.", 2 },
		{ "Zögern Sie nicht, mich zu fragen.", 1 },
		{ "Je suis désolée, mais je ne peux pas.", 1 },
		{ "N’hésitez pas à me poser vos questions.", 1 },
		{ "Lo siento, pero no puedo hacerlo.", 1 },
		{ "Mi dispiace, ma non posso farlo.", 1 },
		{ "Sono solo un'IA.", 1 },
		{ "Sinto muito, mas não posso fazer isso.", 1 },
		{ "Het spijt me, maar ik kan dat niet.", 1 },
		{ "К сожалению, я не могу это сделать.", 1 },
		{ "Przykro mi, ale nie mogę tego zrobić.", 1 },
		{ "На жаль, я не можу цього зробити.", 1 },
		{ "非常抱歉，我不能回答。", 1 },
		{ "作為一個AI語言模型，我沒有意見。", 1 },
		{ "お気軽にお尋ねください。", 1 },
		/* Near misses, from real text: none. */
		{ "Jbuilder può essere usato come modello di linguaggio.", 0 },
		{ "Este paquete sirve como modelo de lenguaje natural.", 0 },
		{ "Я не могу сказать, что это плохо.", 0 },
		{ "作为一个开源项目，它欢迎贡献。", 0 },
		{ "申し訳ありませんが、明日は休みです。", 0 },
		{ "Ik hoop dat het morgen regent.", 0 },
	};
	int all = 1;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		score(cases[i].text, NULL);
		if (v[Q_BOILERPLATE] != cases[i].want) {
			all = 0;
			printf("# %s: %g, not %g\n", cases[i].text, v[Q_BOILERPLATE], cases[i].want);
		}
	}
	ok(all, "boilerplate in twelve languages, whatever the language given; near misses none");
	/* ASCII text: a phrase of another language, in ASCII, is found. */
	score("Lo siento, pero no puedo. Spero che questo ti sia utile.", NULL);
	ok(v[Q_BOILERPLATE] == 2, "Spanish and Italian in one ASCII text: 2 (%g)", v[Q_BOILERPLATE]);
}

int main(void)
{
	diag_init("test-quality");
	qs = quality_scratch_new();
	test_repetition();
	test_gopher_quality();
	test_line_rules();
	test_llm();
	test_languages();
	test_boilerplate_languages();
	quality_scratch_free(qs);
	return done_testing();
}
