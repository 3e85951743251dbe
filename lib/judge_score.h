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
 * number, that number clamped to 0..max. NaN when there is none. A
 * number is digits, and a point and digits after them; one that goes on
 * as a word ("1e9", "0x5", "4.5.6", "3rd") or is longer than 31
 * characters is no grade, and a "Score:" without one is passed over. */
double judge_score(const char *p, size_t n, double max);

#endif
