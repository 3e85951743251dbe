/* strtab.c: a table of records found by a key of bytes; see strtab.h. */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"

static struct strtab_key **slot_of(const struct strtab *t, const char *key, size_t len,
				   uint64_t hash)
{
	size_t mask = t->cap - 1;
	for (size_t j = hash & mask;; j = (j + 1) & mask) {
		struct strtab_key *k = t->slots[j];
		if (!k || (k->hash == hash && k->keylen == len && !memcmp(k->key, key, len)))
			return &t->slots[j];
	}
}

void *strtab_find(const struct strtab *t, const char *key, size_t len)
{
	return t->cap ? *slot_of(t, key, len, hash64(key, len, 0)) : NULL;
}

struct strtab_key **strtab_slot(struct strtab *t, const char *key, size_t len)
{
	if ((t->n + 1) * 2 > t->cap) {
		struct strtab_key **old = t->slots;
		size_t oldcap = t->cap;
		t->cap = grow_capacity(oldcap, size_mul(t->n + 1, 2), 16);
		t->slots = xcalloc(t->cap, sizeof(*t->slots));
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				*slot_of(t, old[i]->key, old[i]->keylen, old[i]->hash) = old[i];
		free(old);
	}
	return slot_of(t, key, len, hash64(key, len, 0));
}

void strtab_key_init(struct strtab_key *k, const char *key, size_t len)
{
	/* The key's bytes may hold a NUL (a JSON string's \u0000). */
	k->key = xmalloc(size_add(len, 1));
	memcpy(k->key, key, len);
	k->key[len] = '\0';
	k->keylen = len;
	k->hash = hash64(key, len, 0);
}

void strtab_key_release(struct strtab_key *k)
{
	free(k->key);
	k->key = NULL;
}

void strtab_release(struct strtab *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}
