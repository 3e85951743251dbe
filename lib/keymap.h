/* keymap.h: a map from 64-bit keys to 64-bit values.
 *
 * For keys that are already hashes (hash64 of a request, of a record's
 * id): one open-addressing table, linear probing, at most half full,
 * that spreads a key by its high bits (hash_slot). Any key may be
 * stored, 0 included. The map owns its table; keymap_release() frees it.
 * Lookups do not depend on the order of insertion, and the map offers
 * no iteration, so no output can depend on its layout.
 */
#ifndef SYNTH_KEYMAP_H
#define SYNTH_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

struct keymap {
	struct keymap_entry {
		uint64_t key, value;
	} *slot;		/* cap entries; key 0 marks a free one */
	size_t n, cap;		/* keys held (key 0's too), slots */
	int has_zero;		/* key 0 is held, with zero_value */
	uint64_t zero_value;
};

#define KEYMAP_INIT { NULL, 0, 0, 0, 0 }

void keymap_init(struct keymap *m);
/* Free the table; the map is empty and can be used again. */
void keymap_release(struct keymap *m);

/* Is key in the map? 1 with its value in *value (when value is not
 * NULL), else 0 and *value untouched. */
int keymap_get(const struct keymap *m, uint64_t key, uint64_t *value);

/* Map key to value, replacing the value it had. Returns 1 when the key
 * is new, 0 when it was there. */
int keymap_put(struct keymap *m, uint64_t key, uint64_t value);

/* The keys the map holds. */
static inline size_t keymap_count(const struct keymap *m)
{
	return m->n;
}

#endif
