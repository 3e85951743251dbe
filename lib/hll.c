/* hll.c: HyperLogLog with Ertl's improved estimator; see hll.h. */
#include "hll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"

void hll_init(struct hll *h, unsigned p)
{
	if (p < 4 || p > 18)
		BUG("hll_init: p = %u", p);
	h->p = p;
	h->reg = xcalloc((size_t)1 << p, 1);
}

void hll_release(struct hll *h)
{
	free(h->reg);
	h->reg = NULL;
}

void hll_merge(struct hll *dst, const struct hll *src)
{
	if (dst->p != src->p)
		BUG("hll_merge: p %u and %u", dst->p, src->p);
	size_t m = (size_t)1 << dst->p;
	for (size_t i = 0; i < m; i++)
		if (src->reg[i] > dst->reg[i])
			dst->reg[i] = src->reg[i];
}

/* sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for the empty registers. */
static double sigma(double x)
{
	if (x == 1)
		return INFINITY;
	double y = 1, z = x, zprev;
	do {
		x *= x;
		zprev = z;
		z += x * y;
		y += y;
	} while (z != zprev);
	return z;
}

/* tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3, for the
 * registers at the maximum rank. */
static double tau(double x)
{
	if (x == 0 || x == 1)
		return 0;
	double y = 1, z = 1 - x, zprev;
	do {
		x = sqrt(x);
		zprev = z;
		y *= 0.5;
		z -= (1 - x) * (1 - x) * y;
	} while (z != zprev);
	return z / 3;
}

double hll_estimate(const struct hll *h)
{
	unsigned q = 64 - h->p; /* the largest rank is q + 1 */
	size_t m = (size_t)1 << h->p;
	double count[66] = { 0 };
	for (size_t i = 0; i < m; i++)
		count[h->reg[i]]++;
	double z = (double)m * tau(1 - count[q + 1] / (double)m);
	for (unsigned k = q; k >= 1; k--) {
		z += count[k];
		z *= 0.5;
	}
	z += (double)m * sigma(count[0] / (double)m);
	double alpha = 0.5 / log(2);
	return alpha * (double)m * (double)m / z;
}
