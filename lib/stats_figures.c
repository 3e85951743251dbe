/* stats_figures.c: the figures of a corpus from its corpus_stats; see
 * stats_figures.h. */
#include "stats_figures.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "alloc.h"

/* Distinct n-grams: the exact table's entries, or the sketch's
 * estimate rounded. */
static uint64_t distinct(const struct corpus_stats *cs, unsigned n)
{
	if (cs->approx[n])
		return (uint64_t)llround(hll_estimate(&cs->hll[n]));
	return cs->ngrams[n].used;
}

/* A NUL-terminated copy of s[0..n). */
static char *copy_text(const char *s, size_t n)
{
	char *t = xmalloc(n + 1);
	memcpy(t, s, n);
	t[n] = '\0';
	return t;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

/* The lengths of records of h, which add up to total over records. */
static void lengths_of(struct stats_lengths *q, const struct lenhist *h, uint64_t total,
		       uint64_t records)
{
	q->min = lenhist_quantile(h, 0);
	q->mean = ratio(total, records);
	q->p50 = lenhist_quantile(h, 0.5);
	q->p90 = lenhist_quantile(h, 0.9);
	q->p99 = lenhist_quantile(h, 0.99);
	q->max = lenhist_max(h);
}

/* Hapax and entropy of the exact vocabulary (0 bits without words). */
static void vocabulary_figures(const struct corpus_stats *cs, struct stats_figures *f)
{
	const struct counter *v = &cs->ngrams[1];
	double total = (double)cs->total[1], h = 0;
	for (size_t i = 0; i < v->cap; i++) {
		const uint64_t *e = counter_entry(v, i);
		if (!e[1])
			continue;
		if (e[1] == 1)
			f->hapax++;
		double p = (double)e[1] / total;
		h -= p * log2(p);
	}
	f->entropy_1 = h;
}

/* Compression ratio of the sample, texts in hash order, one per line. */
static void compression_figures(struct corpus_stats *cs, struct stats_figures *f)
{
	sample_sort(&cs->sample);
	struct strbuf raw = STRBUF_INIT;
	for (size_t i = 0; i < cs->sample.n; i++) {
		strbuf_add(&raw, cs->sample.heap[i].text, cs->sample.heap[i].len);
		strbuf_addc(&raw, '\n');
	}
	f->compression.sample_bytes = raw.len;
	f->compression.sample_records = cs->sample.n;
	f->compression.level = STATS_ZSTD_LEVEL;
	f->compression.seed = cs->seed;
	f->compression.ratio = NAN;
	if (raw.len) {
		size_t cap = ZSTD_compressBound(raw.len);
		char *z = xmalloc(cap);
		size_t zn = ZSTD_compress(z, cap, raw.buf, raw.len, STATS_ZSTD_LEVEL);
		if (!ZSTD_isError(zn) && zn)
			f->compression.ratio = (double)raw.len / (double)zn;
		free(z);
	}
	strbuf_release(&raw);
}

/* The text of an n-gram: its words, joined by spaces. */
static void ngram_text(const struct corpus_stats *cs, const uint64_t *key, unsigned n,
		       struct strbuf *out)
{
	for (unsigned i = 0; i < n; i++) {
		const uint64_t *w = counter_find(&cs->ngrams[1], &key[i], key[i]);
		if (i)
			strbuf_addc(out, ' ');
		if (w)
			strbuf_add(out, cs->arena.buf + w[2], w[3]);
	}
}

struct top_item {
	const uint64_t *entry;
	uint64_t count;
};

/* Compare two n-grams by their text, word by word from the arena. This is
 * the order of the texts joined by spaces: no word holds a space, and a
 * space sorts below every byte a word can hold. */
static int ngram_cmp(const struct corpus_stats *cs, unsigned n, const uint64_t *a,
		     const uint64_t *b)
{
	for (unsigned i = 0; i < n; i++) {
		if (a[i] == b[i])
			continue;
		const uint64_t *x = counter_find(&cs->ngrams[1], &a[i], a[i]);
		const uint64_t *y = counter_find(&cs->ngrams[1], &b[i], b[i]);
		size_t xl = x ? x[3] : 0, yl = y ? y[3] : 0;
		int c = memcmp(x ? cs->arena.buf + x[2] : "", y ? cs->arena.buf + y[2] : "",
			       xl < yl ? xl : yl);
		if (c)
			return c;
		if (xl != yl)
			return xl < yl ? -1 : 1;
	}
	return 0;
}

/* Order for the top list: more frequent first, then by text. */
static int top_before(const struct corpus_stats *cs, unsigned n, const struct top_item *a,
		      const struct top_item *b)
{
	if (a->count != b->count)
		return a->count > b->count;
	return ngram_cmp(cs, n, a->entry, b->entry) < 0;
}

static void swap_items(struct top_item *a, struct top_item *b)
{
	struct top_item t = *a;
	*a = *b;
	*b = t;
}

/* For qsort of the final list: the table and n it compares in. */
static _Thread_local const struct corpus_stats *sort_cs;
static _Thread_local unsigned sort_n;

static int cmp_top(const void *x, const void *y)
{
	const struct top_item *a = x, *b = y;
	return top_before(sort_cs, sort_n, a, b) ? -1 : top_before(sort_cs, sort_n, b, a) ? 1 : 0;
}

/* The k most frequent n-grams, best first; returns how many. A heap of
 * the best k so far, worst on top, keeps the selection at one pass; an
 * entry is compared by text only when its count ties the worst kept. */
static size_t top_ngrams(const struct corpus_stats *cs, unsigned n, unsigned k,
			 struct top_item *out)
{
	const struct counter *c = &cs->ngrams[n];
	size_t have = 0;
	for (size_t i = 0; i < c->cap && k; i++) {
		const uint64_t *e = counter_entry(c, i);
		if (!e[n])
			continue;
		struct top_item it = { e, e[n] };
		size_t j;
		if (have < k) {
			out[have] = it;
			for (j = have++; j > 0 && top_before(cs, n, &out[(j - 1) / 2], &out[j]);
			     j = (j - 1) / 2)
				swap_items(&out[j], &out[(j - 1) / 2]);
			continue;
		}
		if (it.count < out[0].count || !top_before(cs, n, &it, &out[0]))
			continue;
		out[0] = it;
		for (j = 0;;) {
			size_t l = 2 * j + 1, r = l + 1, w = j;
			if (l < have && top_before(cs, n, &out[w], &out[l]))
				w = l;
			if (r < have && top_before(cs, n, &out[w], &out[r]))
				w = r;
			if (w == j)
				break;
			swap_items(&out[j], &out[w]);
			j = w;
		}
	}
	sort_cs = cs;
	sort_n = n;
	if (have)
		qsort(out, have, sizeof(*out), cmp_top);
	return have;
}

static int group_before(const struct stats_group *a, const struct stats_group *b)
{
	if (a->records != b->records)
		return a->records > b->records;
	size_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
	int c = memcmp(a->key, b->key, n);
	return c ? c < 0 : a->keylen < b->keylen;
}

static int cmp_groups(const void *x, const void *y)
{
	const struct stats_group *a = *(const struct stats_group *const *)x;
	const struct stats_group *b = *(const struct stats_group *const *)y;
	return group_before(a, b) ? -1 : group_before(b, a) ? 1 : 0;
}

/* The groups, most records first, then by value. */
static struct stats_group **sorted_groups(const struct corpus_stats *cs)
{
	struct stats_group **v = xcalloc(cs->ngroups + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < cs->capgroups; i++)
		if (cs->groups[i])
			v[k++] = cs->groups[i];
	qsort(v, k, sizeof(*v), cmp_groups);
	return v;
}


/* The top list of each n, its texts copied out of cs. */
static void top_figures(const struct corpus_stats *cs, unsigned k, struct stats_figures *f)
{
	struct top_item *items = xcalloc(k, sizeof(*items));
	struct strbuf t = STRBUF_INIT;
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		if (cs->approx[n])
			continue;
		size_t have = top_ngrams(cs, n, k, items);
		f->top_ngrams[n].items = xcalloc(have ? have : 1, sizeof(struct stats_ngram));
		f->top_ngrams[n].n = have;
		for (size_t i = 0; i < have; i++) {
			struct stats_ngram *g = &f->top_ngrams[n].items[i];
			strbuf_reset(&t);
			ngram_text(cs, items[i].entry, n, &t);
			g->text = copy_text(t.buf, t.len);
			g->len = t.len;
			g->count = items[i].count;
		}
	}
	strbuf_release(&t);
	free(items);
}

static void group_figures(const struct corpus_stats *cs, const struct stats_group *g,
			  struct stats_group_figures *gf)
{
	gf->kind = g->key[0] == 's' ? STATS_VALUE_STRING :
		   g->key[0] == 'r' ? STATS_VALUE_JSON : STATS_VALUE_MISSING;
	gf->value_len = g->keylen - 1;
	gf->value = copy_text(g->key + 1, gf->value_len);
	gf->records = g->records;
	gf->words = g->words;
	gf->min_length = g->min;
	gf->max_length = g->max;
	gf->share = ratio(g->records, cs->records);
	gf->words_share = ratio(g->words, cs->words);
	gf->mean_length = ratio(g->words, g->records);
	gf->tokens = g->tokens;
	gf->tokens_share = ratio(g->tokens, cs->tokens);
	gf->vocabulary_estimate = hll_estimate(&g->words_hll);
	gf->vocabulary = (uint64_t)llround(gf->vocabulary_estimate);
	gf->distinct_1 = ratio(gf->vocabulary, g->words);
	gf->distinct_2 = ratio((uint64_t)llround(hll_estimate(&g->bigrams_hll)), g->bigrams);
	gf->distinct_1_estimate = g->words ? gf->vocabulary_estimate / (double)g->words : 0;
}

void stats_figures_init(struct stats_figures *f)
{
	memset(f, 0, sizeof(*f));
	f->entropy_1 = NAN;
	f->compression.ratio = NAN;
}

void stats_figures_release(struct stats_figures *f)
{
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		for (size_t i = 0; i < f->top_ngrams[n].n; i++)
			free(f->top_ngrams[n].items[i].text);
		free(f->top_ngrams[n].items);
	}
	for (size_t i = 0; i < f->ngroups; i++)
		free(f->groups[i].value);
	free(f->groups);
	free(f->by);
	free(f->tokenizer);
	stats_figures_init(f);
}

void stats_figures_compute(struct stats_figures *f, struct corpus_stats *cs,
			   const struct stats_report *r)
{
	stats_figures_release(f);
	f->records = cs->records;
	f->bytes = cs->bytes;
	f->chars = cs->chars;
	f->words = cs->words;
	f->lines = cs->lines;
	f->invalid = r->invalid;
	f->input_bytes = r->input_bytes;
	f->show_invalid = r->show_invalid;
	lengths_of(&f->length, &cs->length, cs->words, cs->records);
	if (r->tokenizer) {
		f->tokenizer = xstrdup(r->tokenizer);
		f->tokens = cs->tokens;
		f->tokens_per_word = ratio(cs->tokens, cs->words);
		lengths_of(&f->token_length, &cs->token_length, cs->tokens, cs->records);
	}
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		f->approximate[n] = cs->approx[n];
		f->distinct[n] = ratio(distinct(cs, n), cs->total[n]);
	}
	f->vocabulary = distinct(cs, 1);
	if (!cs->approx[1])
		vocabulary_figures(cs, f);
	compression_figures(cs, f);
	f->top = r->top;
	f->has_top = r->top && !cs->approx[1];
	if (f->has_top)
		top_figures(cs, r->top, f);
	if (r->by) {
		f->by = xstrdup(r->by);
		struct stats_group **g = sorted_groups(cs);
		f->groups = xcalloc(cs->ngroups ? cs->ngroups : 1, sizeof(*f->groups));
		f->ngroups = cs->ngroups;
		for (size_t i = 0; i < cs->ngroups; i++)
			group_figures(cs, g[i], &f->groups[i]);
		free(g);
	}
	f->memory_limit = cs->memory_limit;
	f->word_hash_collisions = cs->collisions;
}
