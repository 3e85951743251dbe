/* stats_figures.h: the figures of a corpus, computed once from its
 * corpus_stats for every renderer (JSON, the table, the HTML report).
 *
 * A stats_figures owns everything it holds (texts of the most frequent
 * n-grams, the groups' values, the --by field's name): it stays valid
 * after the corpus_stats it came from is released or counts on.
 * Figures are the values themselves; how many decimals each shows is
 * the renderer's choice.
 */
#ifndef SYNTH_STATS_FIGURES_H
#define SYNTH_STATS_FIGURES_H

#include <stddef.h>
#include <stdint.h>

#include "corpus_stats.h"

/* One of the most frequent n-grams: its words joined by spaces. */
struct stats_ngram {
	char *text;		/* NUL-terminated, len bytes before it */
	size_t len;
	uint64_t count;
};

/* How a group's value of the --by field was written. */
enum stats_value_kind {
	STATS_VALUE_MISSING,	/* no such field, or null */
	STATS_VALUE_STRING,	/* a string: value is its decoded text */
	STATS_VALUE_JSON,	/* any other value: value is its JSON text */
};

/* The figures of one value of the --by field. The counts are exact; the
 * vocabulary and the distinct words and bigrams come from sketches. */
struct stats_group_figures {
	enum stats_value_kind kind;
	char *value;		/* NUL-terminated, value_len bytes before it */
	size_t value_len;
	uint64_t records, words, min_length, max_length;
	double share;		/* of the corpus's records */
	double words_share;	/* of the corpus's words */
	double mean_length;	/* words per record */
	uint64_t tokens;	/* under --tokenizer */
	double tokens_share;	/* of the corpus's tokens */
	uint64_t vocabulary;	/* the sketch's estimate, rounded */
	double distinct_1;	/* vocabulary / words */
	double distinct_2;	/* distinct bigrams (rounded estimate) / bigrams */
	/* The estimate before rounding, and it over the words: what the
	 * table shows. */
	double vocabulary_estimate, distinct_1_estimate;
};

/* The lengths of the records, in words or in tokens: quantiles by
 * nearest rank and the mean. */
struct stats_lengths {
	uint64_t min, p50, p90, p99, max;
	double mean;
};

struct stats_figures {
	uint64_t records, bytes, chars, words, lines;
	/* From the run, not the counts (see struct stats_report). */
	uint64_t invalid, input_bytes;
	int show_invalid;
	struct stats_lengths length;	/* words per record */
	/* Under --tokenizer (tokenizer is its name, NULL without): the
	 * tokens, per word and per record. */
	char *tokenizer;
	uint64_t tokens;
	double tokens_per_word;
	struct stats_lengths token_length;
	/* approximate[n]: the distinct n-grams are a sketch's estimate; for
	 * n = 1 the vocabulary is, and hapax and entropy_1 are unknown. */
	int approximate[STATS_MAX_N + 1];
	uint64_t vocabulary;
	uint64_t hapax;		/* words seen once; 0 when approximate[1] */
	double distinct[STATS_MAX_N + 1];	/* [n]: distinct n-grams / n-grams */
	double entropy_1;	/* of the words, in bits; NaN when approximate[1] */
	struct {
		double ratio;	/* raw / compressed; NaN without a sample */
		int level;	/* of zstd */
		size_t sample_bytes, sample_records;
		uint64_t seed;
	} compression;
	/* The most frequent n-grams, asked for by stats_report.top; listed
	 * only when the vocabulary is exact (has_top). top[n] holds up to
	 * `top` of them for n = 1..STATS_MAX_N, most frequent first, then
	 * by text; none when approximate[n]. */
	unsigned top;
	int has_top;
	struct {
		struct stats_ngram *items;
		size_t n;
	} top_ngrams[STATS_MAX_N + 1];
	/* The groups of --by (by is NULL without it), most records first,
	 * then by value. */
	char *by;
	struct stats_group_figures *groups;
	size_t ngroups;
	uint64_t memory_limit;
	uint64_t word_hash_collisions;
};

/* Empty figures: zero counts, nothing listed, the entropy and the
 * compression ratio unknown (NaN). */
void stats_figures_init(struct stats_figures *f);
/* Free what f holds and leave it as stats_figures_init() does. */
void stats_figures_release(struct stats_figures *f);

/* Compute the figures of cs, shown as r asks, into f (released first).
 * cs is not counted into, but its compression sample is put in hash
 * order. */
void stats_figures_compute(struct stats_figures *f, struct corpus_stats *cs,
			   const struct stats_report *r);

#endif
