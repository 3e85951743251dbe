/* Unit tests: each quality signal against values computed by hand. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "quality.h"
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
	ok(v[Q_WORDS] == 7, "7 words");
	ok(near(v[Q_HASH_WORD_RATIO], 2.0 / 7), "2 hashes in 7 words");
	ok(near(v[Q_ELLIPSIS_WORD_RATIO], 2.0 / 7), "'...' and '…' in 7 words");
	ok(near(v[Q_ELLIPSIS_LINES_FRAC], 0.5), "one line of two ends in an ellipsis");
	ok(near(v[Q_ALPHA_WORDS_FRAC], 4.0 / 7), "4 words of 7 have a letter");
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

int main(void)
{
	diag_init("test-quality");
	qs = quality_scratch_new();
	test_repetition();
	test_gopher_quality();
	test_line_rules();
	test_llm();
	quality_scratch_free(qs);
	return done_testing();
}
