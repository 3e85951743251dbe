/* lenhist.c: exact length histogram; see lenhist.h. */
#include "lenhist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void lenhist_init(struct lenhist *h)
{
	memset(h, 0, sizeof(*h));
}

void lenhist_release(struct lenhist *h)
{
	free(h->big);
	memset(h, 0, sizeof(*h));
}

/* Count `count` values of length len in the array or the list. */
static void count_length(struct lenhist *h, uint64_t len, uint64_t count)
{
	if (len < LENHIST_DENSE) {
		h->dense[len] += count;
		return;
	}
	/* Binary search for the length among the long ones. */
	size_t lo = 0, hi = h->nbig;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (h->big[2 * mid] < len)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->nbig && h->big[2 * lo] == len) {
		h->big[2 * lo + 1] += count;
		return;
	}
	if (h->nbig == h->capbig) {
		h->capbig = grow_capacity(h->capbig, h->nbig + 1, 16);
		h->big = xreallocarray(h->big, h->capbig, 2 * sizeof(uint64_t));
	}
	memmove(h->big + 2 * lo + 2, h->big + 2 * lo, (h->nbig - lo) * 2 * sizeof(uint64_t));
	h->big[2 * lo] = len;
	h->big[2 * lo + 1] = count;
	h->nbig++;
}

void lenhist_add(struct lenhist *h, uint64_t len, uint64_t count)
{
	h->n += count;
	h->sum += len * count;
	count_length(h, len, count);
}

void lenhist_merge(struct lenhist *dst, const struct lenhist *src)
{
	for (size_t i = 0; i < LENHIST_DENSE; i++)
		dst->dense[i] += src->dense[i];
	for (size_t i = 0; i < src->nbig; i++)
		count_length(dst, src->big[2 * i], src->big[2 * i + 1]);
	dst->n += src->n;
	dst->sum += src->sum;
}

uint64_t lenhist_quantile(const struct lenhist *h, double q)
{
	if (!h->n)
		return 0;
	uint64_t rank = (uint64_t)ceil(q * (double)h->n);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < LENHIST_DENSE; i++) {
		seen += h->dense[i];
		if (seen >= rank)
			return i;
	}
	for (size_t i = 0; i < h->nbig; i++) {
		seen += h->big[2 * i + 1];
		if (seen >= rank)
			return h->big[2 * i];
	}
	return lenhist_max(h);
}

uint64_t lenhist_max(const struct lenhist *h)
{
	if (h->nbig)
		return h->big[2 * (h->nbig - 1)];
	for (size_t i = LENHIST_DENSE; i > 0; i--)
		if (h->dense[i - 1])
			return i - 1;
	return 0;
}

/* The lengths with a count, in increasing order: a cursor over the
 * dense array, then the sorted list. */
struct lenhist_cursor {
	const struct lenhist *h;
	size_t i;		/* dense index, then LENHIST_DENSE + list index */
};

static int lenhist_next(struct lenhist_cursor *c, uint64_t *len, uint64_t *count)
{
	const struct lenhist *h = c->h;
	while (c->i < LENHIST_DENSE && !h->dense[c->i])
		c->i++;
	if (c->i < LENHIST_DENSE) {
		*len = c->i;
		*count = h->dense[c->i++];
		return 1;
	}
	size_t k = c->i - LENHIST_DENSE;
	if (k >= h->nbig)
		return 0;
	*len = h->big[2 * k];
	*count = h->big[2 * k + 1];
	c->i++;
	return 1;
}

size_t lenhist_points(const struct lenhist *h, double *x, double *y, size_t max)
{
	struct lenhist_cursor c = { h, 0 };
	uint64_t len, count;
	size_t n = 0;
	while (n < max && lenhist_next(&c, &len, &count)) {
		x[n] = (double)len;
		y[n++] = (double)count;
	}
	return n;
}

double lenhist_ks(const struct lenhist *a, const struct lenhist *b)
{
	if (!a->n || !b->n)
		return NAN;
	struct lenhist_cursor ca = { a, 0 }, cb = { b, 0 };
	uint64_t la, na, lb, nb, sa = 0, sb = 0;
	int more_a = lenhist_next(&ca, &la, &na), more_b = lenhist_next(&cb, &lb, &nb);
	double d = 0;
	/* Step both distribution functions through every length either
	 * holds; the largest gap after a step is the statistic. */
	while (more_a || more_b) {
		uint64_t len = !more_b || (more_a && la <= lb) ? la : lb;
		if (more_a && la == len) {
			sa += na;
			more_a = lenhist_next(&ca, &la, &na);
		}
		if (more_b && lb == len) {
			sb += nb;
			more_b = lenhist_next(&cb, &lb, &nb);
		}
		double gap = fabs((double)sa / (double)a->n - (double)sb / (double)b->n);
		if (gap > d)
			d = gap;
	}
	return d;
}
