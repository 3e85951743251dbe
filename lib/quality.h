/* quality.h: quality signals of a text, for synth-score.
 *
 * Words are the runs of characters between Unicode white space, as
 * written; lines are split at '\n' (a '\r' before it dropped) and a line
 * of nothing but white space does not count; paragraphs are split at a
 * blank line. Lengths are in code points. Each signal's exact formula is
 * in synth-score(1); the comments below name them.
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

/* Per-thread scratch: reuse it from record to record. */
struct quality_scratch;
struct quality_scratch *quality_scratch_new(void);
void quality_scratch_free(struct quality_scratch *s);

/* The signals of the valid UTF-8 text[0..n) into out[Q_COUNT]. prompt
 * (NULL when the record has none) is what prompt_echo compares with;
 * without it out[Q_PROMPT_ECHO] is NaN, written as null. */
void quality_compute(const char *text, size_t n, const char *prompt, size_t pn,
		     struct quality_scratch *s, double *out);

#endif
