/* lenhist.h: an exact, mergeable histogram of lengths.
 *
 * Counts how many records had each length, so that quantiles are exact
 * and two histograms add up to the histogram of both inputs. Lengths
 * below LENHIST_DENSE are counted in an array, longer ones (rare) in a
 * sorted list.
 */
#ifndef SYNTH_LENHIST_H
#define SYNTH_LENHIST_H

#include <stddef.h>
#include <stdint.h>

#define LENHIST_DENSE 4096

struct lenhist {
	uint64_t dense[LENHIST_DENSE];
	uint64_t *big;		/* pairs (length, count), sorted by length */
	size_t nbig, capbig;
	uint64_t n;		/* values counted */
	uint64_t sum;
};

void lenhist_init(struct lenhist *h);
void lenhist_release(struct lenhist *h);
void lenhist_add(struct lenhist *h, uint64_t len, uint64_t count);
void lenhist_merge(struct lenhist *dst, const struct lenhist *src);

/* The q-quantile by nearest rank: the smallest length L such that at
 * least ceil(q * n) values are <= L (q = 0 gives the minimum). 0 when
 * empty. */
uint64_t lenhist_quantile(const struct lenhist *h, double q);
uint64_t lenhist_max(const struct lenhist *h);

/* The Kolmogorov-Smirnov statistic of two histograms: the largest gap
 * between their distribution functions, 0 to 1; NaN when one is empty. */
double lenhist_ks(const struct lenhist *a, const struct lenhist *b);

/* The lengths that have a count, in increasing order, as points
 * (length, count) into x and y, at most max of them. Returns how many. */
size_t lenhist_points(const struct lenhist *h, double *x, double *y, size_t max);

#endif
