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

/* An empty table of n-word keys with `extra` words a key, with room for
 * `entries` keys before it first grows (0: a small table). */
void counter_init(struct counter *c, unsigned n, unsigned extra, size_t entries);
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
/* The probe shared by every insertion: the entry for key in slots (a
 * table of mask + 1 entries of `stride` words), found or claimed, with
 * *is_new saying which. The caller counts a claimed entry as used. */
static inline uint64_t *counter_probe(uint64_t *slots, size_t mask, size_t stride,
				      const uint64_t *key, uint64_t hash, unsigned n, int *is_new)
{
	for (size_t j = hash & mask;; j = (j + 1) & mask) {
		uint64_t *e = slots + j * stride;
		if (!e[n]) {
			for (unsigned k = 0; k < n; k++)
				e[k] = key[k];
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

static inline uint64_t *counter_slot_n(struct counter *c, const uint64_t *key, uint64_t hash,
				       int *is_new, unsigned n)
{
	if (__builtin_expect(counter_full(c->used, c->cap), 0))
		counter_grow(c);
	uint64_t *e = counter_probe(c->slots, c->cap - 1, c->stride, key, hash, n, is_new);
	c->used += (size_t)*is_new;
	return e;
}

/* How many keys ahead counter_add_keys prefetches table slots. Tables
 * outgrow the caches on any real corpus, and a lookup that waits for
 * memory costs more than the rest of the work on a word. */
#define COUNTER_PREFETCH 8

/* Count m keys of n words, overlapping: key i is keys[i..i+n), its hash
 * hashes[i]. Call with a constant n, so that the comparison unrolls. */
static inline void counter_add_keys(struct counter *c, const uint64_t *keys,
				    const uint64_t *hashes, size_t m, unsigned n)
{
	/* The table's fields live in registers through the loop: stores
	 * into entries could alias them, so the compiler would reload them
	 * from memory at every step. */
	uint64_t *slots = c->slots;
	size_t mask = c->cap - 1, stride = c->stride, used = c->used;
	for (size_t i = 0; i < m; i++) {
		if (__builtin_expect(counter_full(used, mask + 1), 0)) {
			c->used = used;
			counter_grow(c);
			slots = c->slots;
			mask = c->cap - 1;
		}
		if (i + COUNTER_PREFETCH < m)
			__builtin_prefetch(slots + (hashes[i + COUNTER_PREFETCH] & mask) * stride);
		int is_new;
		counter_probe(slots, mask, stride, keys + i, hashes[i], n, &is_new)[n]++;
		used += (size_t)is_new;
	}
	c->used = used;
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

/* The bytes c's table would take with room for `entries`. */
size_t counter_bytes_for(const struct counter *c, size_t entries);

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
