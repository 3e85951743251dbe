/* stats_compare.c: a corpus against a reference; see stats_compare.h.
 *
 * The vocabularies are counter tables keyed by 64-bit word hashes, so
 * each figure walks one table and looks its words up in the other.
 */
#include "stats_compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"

/* The count of a word hash in a vocabulary, 0 when absent. */
static uint64_t vocab_count(const struct corpus_stats *cs, uint64_t word)
{
	const uint64_t *e = counter_find(&cs->ngrams[1], &word, word);
	return e ? e[1] : 0;
}

/* Share of the reference's types seen at most max times that occur in
 * the input. */
static double kept(const struct corpus_stats *in, const struct corpus_stats *ref, uint64_t max)
{
	const struct counter *v = &ref->ngrams[1];
	uint64_t types = 0, found = 0;
	for (size_t i = 0; i < v->cap; i++) {
		const uint64_t *e = counter_entry(v, i);
		if (!e[1] || e[1] > max)
			continue;
		types++;
		found += vocab_count(in, e[0]) > 0;
	}
	return types ? (double)found / (double)types : NAN;
}

/* Jensen-Shannon divergence, base 2: the mean of each distribution's
 * Kullback-Leibler divergence from their average. */
static double js_divergence(const struct corpus_stats *a, const struct corpus_stats *b)
{
	double na = (double)a->total[1], nb = (double)b->total[1], js = 0;
	if (!na || !nb)
		return NAN;
	const struct counter *va = &a->ngrams[1], *vb = &b->ngrams[1];
	for (size_t i = 0; i < va->cap; i++) {
		const uint64_t *e = counter_entry(va, i);
		if (!e[1])
			continue;
		double p = (double)e[1] / na, q = (double)vocab_count(b, e[0]) / nb, m = (p + q) / 2;
		js += p * log2(p / m) / 2;
		if (q > 0)
			js += q * log2(q / m) / 2;
	}
	/* Words of b alone: q against m = q / 2. */
	for (size_t i = 0; i < vb->cap; i++) {
		const uint64_t *e = counter_entry(vb, i);
		if (e[1] && !vocab_count(a, e[0]))
			js += (double)e[1] / nb / 2;
	}
	return js < 0 ? 0 : js > 1 ? 1 : js;
}

double stats_unseen_mass(const struct corpus_stats *cs)
{
	if (cs->approx[1] || !cs->total[1])
		return NAN;
	const struct counter *v = &cs->ngrams[1];
	uint64_t hapax = 0;
	for (size_t i = 0; i < v->cap; i++)
		hapax += counter_entry(v, i)[1] == 1;
	return (double)hapax / (double)cs->total[1];
}

void stats_compare(const struct corpus_stats *in, const struct corpus_stats *ref,
		   struct stats_comparison *c)
{
	int exact = !in->approx[1] && !ref->approx[1];
	c->vocab_kept = exact ? kept(in, ref, UINT64_MAX) : NAN;
	c->rare_kept = exact ? kept(in, ref, STATS_RARE_COUNT) : NAN;
	c->js_divergence = exact ? js_divergence(in, ref) : NAN;
	c->unseen_mass = stats_unseen_mass(in);
	c->unseen_mass_reference = stats_unseen_mass(ref);
	c->length_ks = lenhist_ks(&in->length, &ref->length);
	c->token_length_ks = in->has_tokens && ref->has_tokens ?
		lenhist_ks(&in->token_length, &ref->token_length) : NAN;
}

static int by_count_desc(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

size_t stats_rank_freq(const struct corpus_stats *cs, double *x, double *y, size_t max)
{
	const struct counter *v = &cs->ngrams[1];
	if (cs->approx[1] || !v->used || !max)
		return 0;
	uint64_t *counts = xreallocarray(NULL, v->used, sizeof(*counts));
	size_t n = 0;
	for (size_t i = 0; i < v->cap; i++)
		if (counter_entry(v, i)[1])
			counts[n++] = counter_entry(v, i)[1];
	qsort(counts, n, sizeof(*counts), by_count_desc);
	/* Ranks 1, then steps of equal ratio up to n; a rank already taken
	 * is skipped, so small vocabularies give every rank. */
	size_t points = 0, last = 0;
	double step = max > 1 ? pow((double)n, 1.0 / (double)(max - 1)) : 2;
	for (double r = 1; points < max; r *= step) {
		size_t rank = (size_t)llround(r);
		if (rank > n)
			rank = n;
		if (rank != last) {
			x[points] = (double)rank;
			y[points++] = (double)counts[rank - 1];
			last = rank;
		}
		if (rank == n)
			break;
	}
	free(counts);
	return points;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double quantile_sorted(double *v, size_t n, double q)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), by_value);
	size_t rank = (size_t)ceil(q * (double)n);
	return v[rank ? rank - 1 : 0];
}

void value_sample_init(struct value_sample *s, size_t k)
{
	s->k = k;
	s->n = 0;
	/* Room grows with the sample: a sample a group of --by is most
	 * often far from full. */
	s->cap = k < 16 ? (k ? k : 1) : 16;
	s->e = xreallocarray(NULL, s->cap, sizeof(*s->e));
}

void value_sample_release(struct value_sample *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].text);
	free(s->e);
	s->e = NULL;
	s->n = 0;
}

int value_sample_wants(const struct value_sample *s, uint64_t hash)
{
	return s->n < s->k || (s->k && hash < s->e[0].hash);
}

/* Put an entry in (it takes text, which it frees when the entry does not
 * get in or is pushed out). */
static void put(struct value_sample *s, uint64_t hash, double v, char *text, size_t len)
{
	size_t i;
	if (s->n < s->k) {
		if (s->n == s->cap) {
			s->cap = grow_capacity(s->cap, s->n + 1, 16);
			if (s->cap > s->k)
				s->cap = s->k;
			s->e = xreallocarray(s->e, s->cap, sizeof(*s->e));
		}
		/* Sift up from the new leaf. */
		i = s->n++;
		while (i && s->e[(i - 1) / 2].hash < hash) {
			s->e[i] = s->e[(i - 1) / 2];
			i = (i - 1) / 2;
		}
	} else {
		if (!s->k || hash >= s->e[0].hash) {
			free(text);
			return;
		}
		/* Replace the largest, sift down. */
		free(s->e[0].text);
		i = 0;
		for (;;) {
			size_t l = 2 * i + 1, m = i;
			uint64_t mh = hash;
			if (l < s->n && s->e[l].hash > mh)
				m = l, mh = s->e[l].hash;
			if (l + 1 < s->n && s->e[l + 1].hash > mh)
				m = l + 1;
			if (m == i)
				break;
			s->e[i] = s->e[m];
			i = m;
		}
	}
	s->e[i] = (struct value_sample_entry){ hash, v, text, len };
}

void value_sample_add(struct value_sample *s, uint64_t hash, double v)
{
	put(s, hash, v, NULL, 0);
}

void value_sample_defer(struct value_sample *s, uint64_t hash, const char *text, size_t len)
{
	if (!value_sample_wants(s, hash))
		return;
	char *copy = xmalloc(len ? len : 1);
	memcpy(copy, text, len);
	put(s, hash, NAN, copy, len);
}

void value_sample_compute(struct value_sample *s, size_t from, size_t to,
			  double (*fn)(void *arg, const char *text, size_t len), void *arg)
{
	for (size_t i = from; i < to && i < s->n; i++) {
		struct value_sample_entry *e = &s->e[i];
		if (!e->text)
			continue;
		e->v = fn(arg, e->text, e->len);
		free(e->text);
		e->text = NULL;
	}
}

void value_sample_merge(struct value_sample *dst, const struct value_sample *src)
{
	for (size_t i = 0; i < src->n; i++) {
		const struct value_sample_entry *e = &src->e[i];
		if (e->text)
			value_sample_defer(dst, e->hash, e->text, e->len);
		else
			value_sample_add(dst, e->hash, e->v);
	}
}

void value_sample_values(const struct value_sample *s, double *out)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->e[i].text)
			BUG("value_sample_values: a value is still deferred");
		out[i] = s->e[i].v;
	}
}
