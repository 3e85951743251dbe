/* counter.c: n-gram counts in an open-addressing table; see counter.h. */
#include "counter.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define INITIAL_SLOTS 1024

/* The slots a table needs to hold `entries` without growing. */
static size_t cap_for(size_t entries)
{
	size_t cap = INITIAL_SLOTS;
	while (counter_full(entries, cap))
		cap = size_mul(cap, 2);
	return cap;
}

size_t counter_bytes_for(const struct counter *c, size_t entries)
{
	return size_mul(size_mul(cap_for(entries), c->stride), sizeof(uint64_t));
}

/* The bytes of a table of cap slots. */
static size_t counter_table_bytes(const struct counter *c, size_t cap)
{
	return size_mul(size_mul(cap, c->stride), sizeof(uint64_t));
}

void counter_init(struct counter *c, unsigned n, unsigned extra, size_t entries)
{
	c->n = n;
	c->stride = n + 1 + extra;
	c->cap = cap_for(entries);
	c->used = 0;
	c->slots = table_alloc(counter_table_bytes(c, c->cap));
}

void counter_release(struct counter *c)
{
	table_free(c->slots, counter_table_bytes(c, c->cap));
	c->slots = NULL;
	c->cap = c->used = 0;
}

uint64_t counter_key_hash(const uint64_t *key, unsigned n)
{
	uint64_t h = key[0];
	for (unsigned i = 1; i < n; i++)
		h = ngram_hash_next(h, key[i]);
	return h;
}

/* Move every entry into a table of cap slots. */
static void resize(struct counter *c, size_t cap)
{
	size_t old_cap = c->cap;
	uint64_t *old = c->slots;
	c->cap = cap;
	c->slots = table_alloc(counter_table_bytes(c, c->cap));
	size_t mask = c->cap - 1;
	for (size_t i = 0; i < old_cap; i++) {
		const uint64_t *e = old + i * c->stride;
		if (!e[c->n])
			continue;
		size_t j = counter_key_hash(e, c->n) & mask;
		while (c->slots[j * c->stride + c->n])
			j = (j + 1) & mask;
		memcpy(c->slots + j * c->stride, e, c->stride * sizeof(uint64_t));
	}
	table_free(old, counter_table_bytes(c, old_cap));
}

void counter_grow(struct counter *c)
{
	resize(c, size_mul(c->cap, 2));
}

uint64_t *counter_find(const struct counter *c, const uint64_t *key, uint64_t hash)
{
	size_t mask = c->cap - 1, n = c->n;
	for (size_t j = hash & mask;; j = (j + 1) & mask) {
		uint64_t *e = c->slots + j * c->stride;
		if (!e[n])
			return NULL;
		if (!memcmp(e, key, n * sizeof(uint64_t)))
			return e;
	}
}

void counter_reserve(struct counter *c, size_t entries)
{
	/* One move to the size needed, not one for each doubling. */
	size_t cap = cap_for(entries);
	if (cap > c->cap)
		resize(c, cap);
}

void counter_merge(struct counter *dst, const struct counter *src)
{
	/* Entries come out of src in the order of their hashes' low bits.
	 * Poured into a smaller table they would pile up in long runs that
	 * every later probe walks: grow dst first. */
	counter_reserve(dst, dst->used + src->used);
	for (size_t i = 0; i < src->cap; i++) {
		const uint64_t *e = counter_entry(src, i);
		if (!e[src->n])
			continue;
		int is_new;
		uint64_t *d = counter_slot(dst, e, counter_key_hash(e, src->n), &is_new);
		d[dst->n] += e[src->n];
		if (is_new)
			memcpy(d + dst->n + 1, e + src->n + 1,
			       (dst->stride - dst->n - 1) * sizeof(uint64_t));
	}
}
