/* quality.h: quality signals of a text, for synth-score.
 *
 * Words are the runs of characters between Unicode white space, as
 * written; lines are split at '\n' (a '\r' before it dropped) and a line
 * of nothing but white space does not count; paragraphs are split at a
 * blank line. Lengths are in code points. Each signal's exact formula is
 * in synth-score(1); the comments below name them.
 *
 * Some signals follow the text's language, when the caller knows it:
 * stop_words counts the stop words of that language, and for Chinese and
 * Japanese, written without spaces, the words of the Gopher quality
 * signals are those of text_words() (ICU's dictionary words) and stop
 * words are found anywhere in the text.
 */
#ifndef SYNTH_QUALITY_H
#define SYNTH_QUALITY_H

#include <stddef.h>

enum quality_signal {
	/* Gopher quality (Rae et al. 2021) */
	Q_WORDS, Q_MEAN_WORD_LENGTH, Q_HASH_WORD_RATIO, Q_ELLIPSIS_WORD_RATIO,
	Q_BULLET_LINES_FRAC, Q_ELLIPSIS_LINES_FRAC, Q_ALPHA_WORDS_FRAC, Q_STOP_WORDS,
	/* Gopher repetition */
	Q_DUP_LINE_FRAC, Q_DUP_PARA_FRAC, Q_DUP_LINE_CHAR_FRAC, Q_DUP_PARA_CHAR_FRAC,
	Q_TOP_2GRAM_CHAR_FRAC, Q_TOP_3GRAM_CHAR_FRAC, Q_TOP_4GRAM_CHAR_FRAC,
	Q_DUP_5GRAM_CHAR_FRAC, Q_DUP_6GRAM_CHAR_FRAC, Q_DUP_7GRAM_CHAR_FRAC,
	Q_DUP_8GRAM_CHAR_FRAC, Q_DUP_9GRAM_CHAR_FRAC, Q_DUP_10GRAM_CHAR_FRAC,
	/* C4 and FineWeb line rules */
	Q_TERMINAL_PUNCT_LINES_FRAC, Q_SHORT_LINES_FRAC, Q_NEWLINE_WORD_RATIO, Q_LOREM_IPSUM,
	Q_CURLY_BRACE, Q_JAVASCRIPT_LINES, Q_POLICY_LINES,
	/* LLM output */
	Q_BOILERPLATE, Q_PROMPT_ECHO, Q_TRUNCATED, Q_MAX_REPEAT_RUN,
	Q_COUNT
};

/* The signals' names, as written under "quality". */
extern const char *const quality_names[Q_COUNT];

/* The index of a signal's name, or -1. */
int quality_find(const char *name, size_t n);

/* The languages with signals of their own, by ISO 639-1 code. */
enum quality_lang {
	QL_EN, QL_DE, QL_FR, QL_ES, QL_IT, QL_PT, QL_NL, QL_RU, QL_PL, QL_UK, QL_ZH, QL_JA,
	QL_COUNT
};
extern const char *const quality_lang_codes[QL_COUNT];

/* What quality_compute_lang() takes besides a quality_lang: a text of
 * unknown language, scored as Gopher scores English; and a text in a
 * language without a stop-word list, whose stop_words is NaN. */
#define QUALITY_LANG_UNKNOWN (-1)
#define QUALITY_LANG_UNLISTED (-2)

/* The language of a code such as "de", "pt_BR", "zh-Hant" or "ZH" (its
 * letters before any '-' or '_', in any case): a quality_lang, or
 * QUALITY_LANG_UNLISTED for another code. "und" and the empty code are
 * QUALITY_LANG_UNKNOWN. */
int quality_lang_find(const char *code, size_t n);

/* Does the signal follow the language: is it computed otherwise in
 * some language (stop_words, and the Gopher quality signals counted in
 * words in Chinese and Japanese)? */
int quality_follows_language(enum quality_signal i);

/* The stop words of a language, as synth-score(1) lists them: words
 * separated by spaces, spellings of one word by '|'. */
const char *quality_stop_words(enum quality_lang lang);

/* Per-thread scratch: reuse it from record to record. */
struct quality_scratch;
struct quality_scratch *quality_scratch_new(void);
void quality_scratch_free(struct quality_scratch *s);

/* The signals of the valid UTF-8 text[0..n) into out[Q_COUNT]. prompt
 * (NULL when the record has none) is what prompt_echo compares with;
 * without it out[Q_PROMPT_ECHO] is NaN, written as null. */
void quality_compute(const char *text, size_t n, const char *prompt, size_t pn,
		     struct quality_scratch *s, double *out);

/* The same for a text in the language lang: a quality_lang, or
 * QUALITY_LANG_UNKNOWN (as quality_compute()) or QUALITY_LANG_UNLISTED. */
void quality_compute_lang(const char *text, size_t n, const char *prompt, size_t pn, int lang,
			  struct quality_scratch *s, double *out);

#endif
