/* strtab.h: a table of records found by a key of bytes.
 *
 * A record begins with a struct strtab_key (its key, owned, its length
 * and hash64); the table holds pointers to records, open addressing,
 * at most half full. The caller makes and frees the records; the table
 * finds them, and gives the slot where a new one goes. The slots, in
 * no order that means anything, are read directly to visit every
 * record.
 */
#ifndef SYNTH_STRTAB_H
#define SYNTH_STRTAB_H

#include <stddef.h>
#include <stdint.h>

struct strtab_key {
	char *key;		/* owned; NUL after the key's bytes */
	size_t keylen;
	uint64_t hash;
};

struct strtab {
	struct strtab_key **slots;	/* cap pointers to records; NULL: free */
	size_t n, cap;
};

/* The record of key[0..len), NULL when the table has none. */
void *strtab_find(const struct strtab *t, const char *key, size_t len);

/* The slot of key[0..len), room made for one more record first: *slot
 * is its record, or NULL where a new record goes, which the caller then
 * makes with strtab_key_init() and stores there (t->n counts it when
 * the caller calls strtab_added()). */
struct strtab_key **strtab_slot(struct strtab *t, const char *key, size_t len);

/* A new record's key: a copy of key[0..len) and its hash. */
void strtab_key_init(struct strtab_key *k, const char *key, size_t len);

/* Count the record just stored in a free slot. */
static inline void strtab_added(struct strtab *t)
{
	t->n++;
}

/* Free a record's key, before the record. */
void strtab_key_release(struct strtab_key *k);

/* Free the table, not the records, which the caller frees first; t is
 * empty. */
void strtab_release(struct strtab *t);

#endif
