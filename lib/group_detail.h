/* group_detail.h: what a group of --by needs to be compared with the
 * same group of a reference: its exact vocabulary (word hashes, as
 * lib/text hashes words for corpus_stats) and a uniform sample of its
 * records' texts for perplexity.
 *
 * corpus_stats keeps of each group only sketches, small enough for a
 * group per record; this table is kept only under --by with
 * --reference, where the share of the reference's words that a group
 * kept (vocab_kept per group) needs the words themselves. It takes
 * memory in proportion to the distinct (group, word) pairs, and up to
 * GROUP_PERPLEXITY_SAMPLE texts a group until they are scored.
 *
 * The tables of threads merge into the table of the whole, as
 * corpus_stats do; the sample depends on the record hashes only.
 */
#ifndef SYNTH_GROUP_DETAIL_H
#define SYNTH_GROUP_DETAIL_H

#include <stddef.h>
#include <stdint.h>

#include "stats_compare.h"
#include "strtab.h"
#include "text.h"

/* Records of a group whose perplexity its median comes from, at most. */
#define GROUP_PERPLEXITY_SAMPLE 500

struct group_detail {
	struct strtab_key k;	/* the group key (stats_group_key) */
	/* The word hashes of the group, a set: open addressing, 0 marks an
	 * empty slot (the word hash 0 is has_zero), at most half full. A
	 * group of a few records takes a few hundred bytes. */
	uint64_t *vocab;
	size_t vocab_cap, vocab_used;
	int has_zero;
	struct value_sample ppl;	/* deferred texts, then perplexities */
};

/* Groups by key. */
struct group_details {
	struct strtab groups;
	struct words ws;	/* scratch of group_details_add */
};

void group_details_init(struct group_details *t);
void group_details_release(struct group_details *t);

/* The group of key[0..len), NULL when t has none. */
struct group_detail *group_details_find(const struct group_details *t, const char *key,
					size_t len);

/* Count the words of text[0..len) into the group key[0..len) (added
 * when new), and offer the text to its sample under the record's hash. */
void group_details_add(struct group_details *t, const char *key, size_t keylen,
		       const char *text, size_t len, uint64_t hash);

/* Fold src into dst; src is left empty but valid. */
void group_details_merge(struct group_details *dst, struct group_details *src);

/* Share of ref's word types found in in; NaN when ref has none, 0 when
 * in is NULL (the group has no record). */
double group_vocab_kept(const struct group_detail *in, const struct group_detail *ref);

/* The median of a group's sample, once its values are computed; NaN for
 * an empty sample or a NULL group. */
double group_perplexity_median(const struct group_detail *g);

#endif
