/* hll.h: HyperLogLog distinct counting, mergeable.
 *
 * A sketch of 2^p one-byte registers estimates the number of distinct
 * 64-bit hashes added to it with a relative standard error of about
 * 1.04 / sqrt(2^p) (0.41% at p = 16, 1.6% at p = 12). Two sketches of the
 * same p merge into the sketch of the union. The estimate uses Ertl's
 * improved estimator ("New cardinality estimation algorithms for
 * HyperLogLog sketches", 2017), which needs no bias tables and is sound
 * from small to large counts.
 */
#ifndef SYNTH_HLL_H
#define SYNTH_HLL_H

#include <stddef.h>
#include <stdint.h>

struct hll {
	unsigned p;
	uint8_t *reg;
};

/* Make an empty sketch of 2^p registers, 4 <= p <= 18. */
void hll_init(struct hll *h, unsigned p);
void hll_release(struct hll *h);

/* Add an item by its 64-bit hash (which must be well mixed). */
static inline void hll_add(struct hll *h, uint64_t hash)
{
	uint64_t idx = hash >> (64 - h->p);
	uint64_t rest = (hash << h->p) | (1ull << (h->p - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
	if (rank > h->reg[idx])
		h->reg[idx] = rank;
}

/* Add m items by their hashes. A sketch of 2^16 registers or more
 * outgrows the first-level caches, so the first registers are fetched
 * together, then each a few items ahead while this one is added. */
static inline void hll_add_many(struct hll *h, const uint64_t *hashes, size_t m)
{
	enum { AHEAD = 32 };
	unsigned shift = 64 - h->p;
	for (size_t i = 0; i < m && i < AHEAD; i++)
		__builtin_prefetch(h->reg + (hashes[i] >> shift), 1);
	for (size_t i = 0; i < m; i++) {
		if (i + AHEAD < m)
			__builtin_prefetch(h->reg + (hashes[i + AHEAD] >> shift), 1);
		hll_add(h, hashes[i]);
	}
}

/* Fold src into dst (same p). */
void hll_merge(struct hll *dst, const struct hll *src);

double hll_estimate(const struct hll *h);

#endif
