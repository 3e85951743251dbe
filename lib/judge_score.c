/* judge_score.c: the grade in a judgement; see judge_score.h. */
#include "judge_score.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>

double judge_score(const char *p, size_t n, double max)
{
	double score = NAN;
	for (size_t i = 0; i + 6 <= n; i++) {
		if ((p[i] | 0x20) != 's' || strncasecmp(p + i, "score:", 6))
			continue;
		size_t k = i + 6;
		while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '*'))
			k++;
		if (k >= n || p[k] < '0' || p[k] > '9')
			continue;
		/* Digits, then a point and digits: a number that goes on as
		 * a word ("1e9", "0x5", "4.5.6", "3rd") is no grade. */
		char num[32];
		size_t m = 0;
		int point = 0, bad = 0;
		for (; k < n && ((p[k] >= '0' && p[k] <= '9') || p[k] == '.'); k++) {
			if (p[k] == '.') {
				if (point || k + 1 >= n || p[k + 1] < '0' || p[k + 1] > '9') {
					/* A full stop ends the number; a second point
					 * before a digit spoils it. */
					bad = point && k + 1 < n && p[k + 1] >= '0' && p[k + 1] <= '9';
					break;
				}
				point = 1;
			}
			if (m + 1 >= sizeof(num)) {
				bad = 1;
				break;
			}
			num[m++] = p[k];
		}
		if (!bad && k < n && (isalnum((unsigned char)p[k]) || p[k] == '_'))
			bad = 1;
		if (bad)
			continue;
		num[m] = '\0';
		double v = strtod(num, NULL);
		score = v < 0 ? 0 : v > max ? max : v;
	}
	return score;
}
