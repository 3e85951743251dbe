/* keymap.c: an open-addressing map of 64-bit keys; see keymap.h. */
#include "keymap.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"

void keymap_init(struct keymap *m)
{
	memset(m, 0, sizeof(*m));
}

void keymap_release(struct keymap *m)
{
	free(m->slot);
	keymap_init(m);
}

/* The slot that holds key (not 0), or the free slot where it would go. */
static struct keymap_entry *find_slot(struct keymap_entry *slot, size_t cap, uint64_t key)
{
	size_t i = hash_slot(key, cap);
	while (slot[i].key && slot[i].key != key)
		i = hash_next_slot(i, cap);
	return &slot[i];
}

int keymap_get(const struct keymap *m, uint64_t key, uint64_t *value)
{
	const struct keymap_entry *e;
	if (!key) {
		if (m->has_zero && value)
			*value = m->zero_value;
		return m->has_zero;
	}
	if (!m->cap || !(e = find_slot(m->slot, m->cap, key))->key)
		return 0;
	if (value)
		*value = e->value;
	return 1;
}

/* Double the table (or make the first), keeping every entry. */
static void grow(struct keymap *m)
{
	size_t cap = m->cap ? size_mul(m->cap, 2) : 1024;
	struct keymap_entry *slot = xcalloc(cap, sizeof(*slot));
	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i].key)
			*find_slot(slot, cap, m->slot[i].key) = m->slot[i];
	free(m->slot);
	m->slot = slot;
	m->cap = cap;
}

int keymap_put(struct keymap *m, uint64_t key, uint64_t value)
{
	if (!key) {
		int is_new = !m->has_zero;
		m->has_zero = 1;
		m->zero_value = value;
		m->n += (size_t)is_new;
		return is_new;
	}
	/* At most half full, so that a probe stays short. */
	if ((m->n + 1) * 2 > m->cap)
		grow(m);
	struct keymap_entry *e = find_slot(m->slot, m->cap, key);
	int is_new = !e->key;
	e->key = key;
	e->value = value;
	m->n += (size_t)is_new;
	return is_new;
}
