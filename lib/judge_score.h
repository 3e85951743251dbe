/* judge_score.h: the grade in an LLM judge's answer.
 *
 * A judge (synth-score --judge) is asked to end its answer with a line
 * "Score: N"; what it writes before is its reasoning, which may quote
 * other scores, so the last one counts.
 */
#ifndef SYNTH_JUDGE_SCORE_H
#define SYNTH_JUDGE_SCORE_H

#include <stddef.h>

/* The grade in the judgement p[0..n) (not NUL-terminated; any bytes):
 * the last "Score:" (in any case) followed by spaces, tabs or '*' and a
 * number, that number clamped to 0..max. NaN when there is none. Only
 * the first 31 characters of a number are read. */
double judge_score(const char *p, size_t n, double max);

#endif
