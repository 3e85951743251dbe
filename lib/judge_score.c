/* judge_score.c: the grade in a judgement; see judge_score.h. */
#include "judge_score.h"

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
		if (k < n && p[k] >= '0' && p[k] <= '9') {
			char num[32];
			size_t m = 0;
			while (k < n && m + 1 < sizeof(num) && ((p[k] >= '0' && p[k] <= '9') || p[k] == '.'))
				num[m++] = p[k++];
			num[m] = '\0';
			double v = strtod(num, NULL);
			score = v < 0 ? 0 : v > max ? max : v;
		}
	}
	return score;
}
