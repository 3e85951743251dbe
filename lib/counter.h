/* counter.h: exact counts of word n-grams.
 *
 * A counter maps a key of n 64-bit word hashes to a count, in one open-
 * addressing table (linear probing, at most 70% full). Keys are the word
 * hashes themselves, not a hash of them, so two different n-grams never
 * share an entry unless two different words share a 64-bit hash (the
 * vocabulary checks for that). An entry may carry `extra` 64-bit words
 * for the caller (the vocabulary keeps where a word's text is).
 *
 * Entry layout: key[0..n), count, extra[0..extra). A count of 0 marks an
 * empty slot, so a caller that inserts must make the count positive
 * before the next call.
 */
#ifndef SYNTH_COUNTER_H
#define SYNTH_COUNTER_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

struct counter {
	unsigned n;		/* words per key */
	unsigned stride;	/* 64-bit words per entry */
	size_t cap;		/* slots, a power of two */
	size_t used;
	uint64_t *slots;
};

void counter_init(struct counter *c, unsigned n, unsigned extra);
void counter_release(struct counter *c);

/* The hash that places a key: the word hash itself for n = 1, else a
 * mix of the word hashes in order (ngram_hash_next extends it by one). */
static inline uint64_t ngram_hash_next(uint64_t h, uint64_t word)
{
	return mix64(h + word * 0x9e3779b97f4a7c15ull);
}

uint64_t counter_key_hash(const uint64_t *key, unsigned n);

void counter_grow(struct counter *c);

/* Is a table of cap slots with `used` entries too full for one more?
 * The table grows past 70%. */
static inline int counter_full(size_t used, size_t cap)
{
	return (used + 1) * 10 > cap * 7;
}

/* The entry for key (whose hash is `hash`): found, or inserted with a
 * count of 0 and zeroed extras (then *is_new is 1). The pointer is valid
 * until the next insertion. Inline: it is the innermost loop of
 * synth-stats. */
static inline uint64_t *counter_slot_n(struct counter *c, const uint64_t *key, uint64_t hash,
				       int *is_new, unsigned n)
{
	if (__builtin_expect(counter_full(c->used, c->cap), 0))
		counter_grow(c);
	size_t mask = c->cap - 1;
	for (size_t j = hash & mask;; j = (j + 1) & mask) {
		uint64_t *e = c->slots + j * c->stride;
		if (!e[n]) {
			for (unsigned k = 0; k < n; k++)
				e[k] = key[k];
			c->used++;
			*is_new = 1;
			return e;
		}
		unsigned k = 0;
		while (k < n && e[k] == key[k])
			k++;
		if (k == n) {
			*is_new = 0;
			return e;
		}
	}
}

/* The same, for any n; call counter_slot_n with a constant n in hot
 * loops so that the key comparison unrolls. */
static inline uint64_t *counter_slot(struct counter *c, const uint64_t *key, uint64_t hash,
				     int *is_new)
{
	return counter_slot_n(c, key, hash, is_new, c->n);
}

/* The entry for key, or NULL when it has none. */
uint64_t *counter_find(const struct counter *c, const uint64_t *key, uint64_t hash);

/* Grow the table so that it holds `entries` without growing again. */
void counter_reserve(struct counter *c, size_t entries);

/* Add every entry of src to dst (same n): counts are summed; extras of
 * entries new to dst are copied. */
void counter_merge(struct counter *dst, const struct counter *src);

/* Bytes of memory the table holds. */
static inline size_t counter_bytes(const struct counter *c)
{
	return c->cap * c->stride * sizeof(uint64_t);
}

/* Entry i of the table (check entry[n] != 0 for a used slot). */
static inline uint64_t *counter_entry(const struct counter *c, size_t i)
{
	return c->slots + i * c->stride;
}

#endif
