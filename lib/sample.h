/* sample.h: a seeded sample of texts of a fixed size in bytes.
 *
 * The sample is the set of texts with the smallest hashes (of the text,
 * under the seed) whose sizes add up to at least the budget: a bottom-k
 * sample measured in bytes. The set depends only on the seed and on the
 * texts seen, never on their order, on threads or on sharding, and two
 * samples merge into the sample of both inputs.
 */
#ifndef SYNTH_SAMPLE_H
#define SYNTH_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

struct sample_item {
	uint64_t hash;
	char *text;
	size_t len;
};

struct sample {
	size_t budget;		/* bytes wanted */
	size_t bytes;		/* bytes held */
	struct sample_item *heap; /* max-heap by hash */
	size_t n, cap;
};

void sample_init(struct sample *s, size_t budget);
void sample_release(struct sample *s);

/* Offer a text with its hash; it is copied when kept, only its first
 * `budget` bytes (cut before a UTF-8 sequence) when it is longer, so that
 * one long text takes no more than the budget. */
void sample_add(struct sample *s, uint64_t hash, const char *text, size_t len);

void sample_merge(struct sample *dst, const struct sample *src);

/* Sort the items by hash, ascending (the heap is gone afterwards: call
 * once, at the end). */
void sample_sort(struct sample *s);

#endif
