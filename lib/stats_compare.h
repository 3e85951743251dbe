/* stats_compare.h: a corpus measured against a reference corpus.
 *
 * The figures that show model collapse (Shumailov et al., Nature 2024):
 * rare words vanish first, the word distribution drifts from the real
 * one, the lengths narrow. Each compares the exact vocabularies and
 * length histograms of two corpus_stats; a figure that needs a
 * vocabulary that outgrew the memory limit (an estimate) is NaN.
 */
#ifndef SYNTH_STATS_COMPARE_H
#define SYNTH_STATS_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "corpus_stats.h"

/* Words seen at most this many times in the reference are rare. */
#define STATS_RARE_COUNT 5

struct stats_comparison {
	double vocab_kept;	/* share of the reference's word types the input has */
	double rare_kept;	/* the same for the reference's rare types */
	double unseen_mass;	/* the input's hapax / words (Good-Turing) */
	double unseen_mass_reference;
	double js_divergence;	/* of the word distributions, in bits, 0 to 1 */
	double length_ks;	/* Kolmogorov-Smirnov statistic of the lengths */
	double token_length_ks;	/* the same in tokens; NaN unless both have tokens */
};

void stats_compare(const struct corpus_stats *in, const struct corpus_stats *ref,
		   struct stats_comparison *c);

/* Good-Turing's estimate of the unseen mass: words seen once over all
 * words; NaN when the vocabulary is an estimate or there are no words. */
double stats_unseen_mass(const struct corpus_stats *cs);

/* The rank-frequency curve of the vocabulary, thinned to at most max
 * points spread evenly over log(rank): x the rank from 1, y the count.
 * Returns how many points (0 when the vocabulary is an estimate). */
size_t stats_rank_freq(const struct corpus_stats *cs, double *x, double *y, size_t max);

/* The nearest-rank q-quantile of v[0..n), which is sorted in place;
 * NaN when n is 0. */
double quantile_sorted(double *v, size_t n, double q);

/* A sample of values, one a record, kept for the k records with the
 * smallest hashes: a uniform sample whose members depend on the records
 * and the seed of the hash, never on their order or on threads. A value
 * costly to compute is computed only when value_sample_wants() says the
 * record gets in, which after the first k records is rarer and rarer
 * (about k ln(n / k) times for n records); or, with value_sample_defer(),
 * not until the sample is final: the record's text is kept while it is
 * in, and value_sample_compute() computes the values of the k left. */
struct value_sample {
	size_t k, n, cap;	/* cap: entries allocated, n <= cap <= k */
	struct value_sample_entry {
		uint64_t hash;
		double v;
		char *text;		/* a deferred value's record, owned; else NULL */
		size_t len;
	} *e;			/* a max-heap by hash */
};

void value_sample_init(struct value_sample *s, size_t k);
void value_sample_release(struct value_sample *s);
int value_sample_wants(const struct value_sample *s, uint64_t hash);
void value_sample_add(struct value_sample *s, uint64_t hash, double v);
void value_sample_defer(struct value_sample *s, uint64_t hash, const char *text, size_t len);
/* Compute the deferred values of entries [from, to) (of s->n) by fn. */
void value_sample_compute(struct value_sample *s, size_t from, size_t to,
			  double (*fn)(void *arg, const char *text, size_t len), void *arg);
/* Fold src into dst: the k smallest hashes of both. */
void value_sample_merge(struct value_sample *dst, const struct value_sample *src);
/* The values, in no particular order, into out (s->n of them); none may
 * be deferred still. */
void value_sample_values(const struct value_sample *s, double *out);

#endif
