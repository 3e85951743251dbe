/* corpus_stats.c: counting and reporting corpus statistics; see
 * corpus_stats.h. */
#include "corpus_stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "alloc.h"
#include "bytes.h"
#include "diag.h"
#include "hash.h"
#include "json.h"
#include "output.h"

struct stats_group {
	char *key;		/* type byte and value, see stats_group_key */
	size_t keylen;
	uint64_t hash;
	uint64_t records, words, bigrams, min, max;
	struct hll words_hll, bigrams_hll;
};

/* Bytes one group holds, for the memory limit. */
#define GROUP_BYTES (sizeof(struct stats_group) + 2 * ((size_t)1 << STATS_GROUP_HLL_P))

void corpus_stats_init(struct corpus_stats *cs, size_t memory_limit, uint64_t seed)
{
	memset(cs, 0, sizeof(*cs));
	lenhist_init(&cs->length);
	counter_init(&cs->ngrams[1], 1, 4, 0);
	/* Room for every n-gram counted exactly by default: growing a
	 * table step by step would rehash each entry about twice. The
	 * pages are touched only as entries land in them, but the limit
	 * counts them all, so a small limit starts with small tables. */
	size_t room = 0;
	for (unsigned n = 2; n <= STATS_MAX_N; n++) {
		counter_init(&cs->ngrams[n], n, 0, STATS_EXACT_UNTIL);
		room += counter_bytes(&cs->ngrams[n]);
	}
	if (room > memory_limit / 2) {
		for (unsigned n = 2; n <= STATS_MAX_N; n++) {
			counter_release(&cs->ngrams[n]);
			counter_init(&cs->ngrams[n], n, 0, 0);
		}
	}
	strbuf_init(&cs->arena);
	sample_init(&cs->sample, STATS_SAMPLE_BYTES);
	words_init(&cs->ws);
	cs->seed = seed;
	cs->memory_limit = memory_limit;
	cs->exact_until = STATS_EXACT_UNTIL;
}

static void group_free(struct stats_group *g)
{
	if (!g)
		return;
	free(g->key);
	hll_release(&g->words_hll);
	hll_release(&g->bigrams_hll);
	free(g);
}

void corpus_stats_release(struct corpus_stats *cs)
{
	lenhist_release(&cs->length);
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		counter_release(&cs->ngrams[n]);
		hll_release(&cs->hll[n]);
	}
	strbuf_release(&cs->arena);
	sample_release(&cs->sample);
	for (size_t i = 0; i < cs->capgroups; i++)
		group_free(cs->groups[i]);
	free(cs->groups);
	words_release(&cs->ws);
	free(cs->wh);
	free(cs->nh);
	memset(cs, 0, sizeof(*cs));
}

size_t corpus_stats_group_memory(const struct corpus_stats *cs)
{
	return cs->ngroups * GROUP_BYTES;
}

size_t corpus_stats_memory(const struct corpus_stats *cs)
{
	/* Neither the compression sample (a fixed size, the same for every
	 * limit) nor the groups (giving up exact tables would not make them
	 * smaller) are counted. */
	size_t total = cs->arena.cap;
	for (unsigned n = 1; n <= STATS_MAX_N; n++)
		total += cs->approx[n] ? (size_t)1 << STATS_HLL_P : counter_bytes(&cs->ngrams[n]);
	return total;
}

/* Add every key of an exact table to a sketch. */
static void sketch_keys(struct hll *h, const struct counter *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		const uint64_t *e = counter_entry(c, i);
		if (e[c->n])
			hll_add(h, counter_key_hash(e, c->n));
	}
}

/* Replace the exact table for n by a sketch of the same keys. */
static void make_approximate(struct corpus_stats *cs, unsigned n)
{
	struct counter *c = &cs->ngrams[n];
	hll_init(&cs->hll[n], STATS_HLL_P);
	sketch_keys(&cs->hll[n], c);
	counter_release(c);
	cs->approx[n] = 1;
	if (n == 1)
		strbuf_release(&cs->arena);
}

/* Give up the exact table of n-grams for n >= 2 once it holds more than
 * exact_until entries. */
static void bound_exact(struct corpus_stats *cs, unsigned n)
{
	if (n > 1 && cs->exact_until && !cs->approx[n] && cs->ngrams[n].used > cs->exact_until)
		make_approximate(cs, n);
}

/* The exact table that takes the most memory, or 0 when none is left. */
static unsigned largest_exact(const struct corpus_stats *cs)
{
	unsigned largest = 0;
	for (unsigned n = 1; n <= STATS_MAX_N; n++)
		if (!cs->approx[n] &&
		    (!largest || counter_bytes(&cs->ngrams[n]) > counter_bytes(&cs->ngrams[largest])))
			largest = n;
	return largest;
}

/* Keep within the memory limit by giving up exactness, largest table
 * first. */
static void enforce_memory_limit(struct corpus_stats *cs)
{
	while (corpus_stats_memory(cs) > cs->memory_limit) {
		unsigned largest = largest_exact(cs);
		if (!largest)
			return; /* all sketches: nothing more to give */
		make_approximate(cs, largest);
	}
}

/* Make room in the exact table for n for `more` entries before they
 * come. A table grows by doubling, and while its entries move the old
 * table and the new one are both there: grow it only when that fits in
 * the limit beside `elsewhere` bytes held apart from cs, and give up
 * tables for sketches, the largest first, until it does. This is what
 * keeps the peak within the limit, not only the memory after each
 * record. */
static void make_room(struct corpus_stats *cs, unsigned n, size_t more, size_t elsewhere)
{
	while (!cs->approx[n]) {
		struct counter *c = &cs->ngrams[n];
		size_t need = c->used + more, cap = c->cap;
		while (counter_full(need, cap))
			cap = size_mul(cap, 2);
		if (cap == c->cap)
			return;
		size_t grown = size_mul(size_mul(cap, c->stride), sizeof(uint64_t));
		if (corpus_stats_memory(cs) + elsewhere + grown <= cs->memory_limit) {
			counter_reserve(c, need);
			return;
		}
		make_approximate(cs, largest_exact(cs));
	}
}

/* --- Groups ----------------------------------------------------------- */

void stats_group_key(struct strbuf *key, const struct json_value *v)
{
	strbuf_reset(key);
	if (!v || v->type == JSON_NULL) {
		strbuf_addc(key, 'm'); /* missing and null are one group */
	} else if (v->type == JSON_STRING) {
		strbuf_addc(key, 's');
		json_decode_string(v, key);
	} else {
		strbuf_addc(key, 'r');
		strbuf_add(key, v->p, v->len);
	}
}

static struct stats_group **group_slot(struct corpus_stats *cs, const char *key, size_t len,
				       uint64_t hash)
{
	size_t mask = cs->capgroups - 1;
	for (size_t j = hash & mask;; j = (j + 1) & mask) {
		struct stats_group *g = cs->groups[j];
		if (!g || (g->hash == hash && g->keylen == len && !memcmp(g->key, key, len)))
			return &cs->groups[j];
	}
}

static struct stats_group *group_get(struct corpus_stats *cs, const char *key, size_t len)
{
	if ((cs->ngroups + 1) * 2 > cs->capgroups) {
		struct stats_group **old = cs->groups;
		size_t oldcap = cs->capgroups;
		cs->capgroups = grow_capacity(oldcap, size_mul(cs->ngroups + 1, 2), 16);
		cs->groups = xcalloc(cs->capgroups, sizeof(*cs->groups));
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				*group_slot(cs, old[i]->key, old[i]->keylen, old[i]->hash) = old[i];
		free(old);
	}
	uint64_t hash = hash64(key, len, 0);
	struct stats_group **slot = group_slot(cs, key, len, hash);
	if (!*slot) {
		struct stats_group *g = xcalloc(1, sizeof(*g));
		g->key = xmalloc(len);
		memcpy(g->key, key, len);
		g->keylen = len;
		g->hash = hash;
		g->min = UINT64_MAX;
		hll_init(&g->words_hll, STATS_GROUP_HLL_P);
		hll_init(&g->bigrams_hll, STATS_GROUP_HLL_P);
		*slot = g;
		cs->ngroups++;
	}
	return *slot;
}

/* --- Counting --------------------------------------------------------- */

static uint64_t count_lines(const char *s, size_t n)
{
	if (!n)
		return 0;
	uint64_t lines = 1;
	for (const char *p = s, *end = s + n - 1; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		lines++;
	return lines;
}

/* Count a word: its hash, its text and its 16-byte prefix (see
 * words_prefix). Different words that share a hash are told apart by
 * length and prefix, and by the rest of the text only when longer. */
static void count_word(struct corpus_stats *cs, uint64_t h, const char *w, size_t len,
		       const uint64_t pre[2], uint64_t count)
{
	if (cs->approx[1]) {
		hll_add(&cs->hll[1], h);
		return;
	}
	int is_new;
	uint64_t *e = counter_slot_n(&cs->ngrams[1], &h, h, &is_new, 1);
	if (is_new) {
		e[2] = cs->arena.len;
		e[3] = len;
		e[4] = pre[0];
		e[5] = pre[1];
		strbuf_add(&cs->arena, w, len);
	} else if (e[3] != len || e[4] != pre[0] || e[5] != pre[1] ||
		   (len > 16 && memcmp(cs->arena.buf + e[2] + 16, w + 16, len - 16))) {
		cs->collisions++;
	}
	e[1] += count;
}

/* Count the n-grams of the record whose word hashes are in cs->wh and
 * whose n-1-gram hashes are in cs->nh (replaced by the n-gram hashes). */
static void count_ngrams(struct corpus_stats *cs, unsigned n, size_t nw)
{
	const uint64_t *wh = cs->wh;
	uint64_t *nh = cs->nh;
	size_t m = nw - n + 1; /* n-grams in the record */
	for (size_t i = 0; i < m; i++)
		nh[i] = ngram_hash_next(nh[i], wh[i + n - 1]);
	if (cs->approx[n]) {
		hll_add_many(&cs->hll[n], nh, m);
		return;
	}
	struct counter *c = &cs->ngrams[n];
	switch (n) {
	case 2: counter_add_keys(c, wh, nh, m, 2); break;
	case 3: counter_add_keys(c, wh, nh, m, 3); break;
	case 4: counter_add_keys(c, wh, nh, m, 4); break;
	default: BUG("n-gram order %u", n);
	}
	bound_exact(cs, n);
}

void corpus_stats_add(struct corpus_stats *cs, const char *text, size_t len,
		      const struct strbuf *group)
{
	cs->records++;
	cs->bytes += len;
	cs->chars += utf8_count(text, len);
	cs->lines += count_lines(text, len);
	sample_add(&cs->sample, hash64(text, len, cs->seed), text, len);

	struct words *ws = &cs->ws;
	text_words(text, len, ws);
	size_t nw = ws->n;
	cs->words += nw;
	lenhist_add(&cs->length, nw, 1);
	if (nw > cs->whcap) {
		cs->whcap = grow_capacity(cs->whcap, nw, 256);
		free(cs->wh);
		free(cs->nh);
		cs->wh = xmalloc(size_mul(cs->whcap, sizeof(uint64_t)));
		cs->nh = xmalloc(size_mul(cs->whcap, sizeof(uint64_t)));
	}
	for (unsigned n = 1; n <= STATS_MAX_N && n <= nw; n++)
		make_room(cs, n, nw - n + 1, 0);
	/* The hashes first, then the vocabulary's slots, fetched a few
	 * words ahead: the table outgrows the caches on any real corpus. */
	uint64_t *wh = cs->wh;
	for (size_t i = 0; i < nw; i++) {
		uint64_t pre[2];
		words_prefix(ws, i, pre);
		wh[i] = words_hash(ws, i, pre);
	}
	const struct counter *v = &cs->ngrams[1];
	for (size_t i = 0; i < nw; i++) {
		if (i + COUNTER_PREFETCH < nw && !cs->approx[1])
			__builtin_prefetch(v->slots + (wh[i + COUNTER_PREFETCH] & (v->cap - 1)) * v->stride);
		uint64_t pre[2];
		words_prefix(ws, i, pre);
		count_word(cs, wh[i], ws->norm.buf + ws->w[i].off, ws->w[i].len, pre, 1);
	}
	if (nw)
		memcpy(cs->nh, wh, nw * sizeof(uint64_t));
	cs->total[1] += nw;
	for (unsigned n = 2; n <= STATS_MAX_N && n <= nw; n++)
		count_ngrams(cs, n, nw);
	for (unsigned n = 2; n <= STATS_MAX_N; n++)
		if (nw >= n)
			cs->total[n] += nw - n + 1;

	if (group) {
		struct stats_group *g = group_get(cs, group->buf, group->len);
		g->records++;
		g->words += nw;
		g->bigrams += nw ? nw - 1 : 0;
		if (nw < g->min)
			g->min = nw;
		if (nw > g->max)
			g->max = nw;
		for (size_t i = 0; i < nw; i++) {
			hll_add(&g->words_hll, wh[i]);
			if (i + 1 < nw)
				hll_add(&g->bigrams_hll, ngram_hash_next(wh[i], wh[i + 1]));
		}
	}
	if (corpus_stats_memory(cs) > cs->memory_limit)
		enforce_memory_limit(cs);
}

/* --- Merging ---------------------------------------------------------- */

void corpus_stats_merge(struct corpus_stats *dst, struct corpus_stats *src)
{
	dst->records += src->records;
	dst->bytes += src->bytes;
	dst->chars += src->chars;
	dst->words += src->words;
	dst->lines += src->lines;
	dst->collisions += src->collisions;
	lenhist_merge(&dst->length, &src->length);
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		dst->total[n] += src->total[n];
		if (!dst->approx[n] && src->approx[n])
			make_approximate(dst, n);
		if (dst->approx[n] && src->approx[n]) {
			hll_merge(&dst->hll[n], &src->hll[n]);
			continue;
		}
		const struct counter *c = &src->ngrams[n];
		make_room(dst, n, c->used, corpus_stats_memory(src));
		if (dst->approx[n]) {
			sketch_keys(&dst->hll[n], c);
		} else if (n > 1) {
			counter_merge(&dst->ngrams[n], c);
			bound_exact(dst, n);
		} else {
			/* Words carry their text into dst's arena. */
			counter_reserve(&dst->ngrams[1], dst->ngrams[1].used + c->used);
			for (size_t i = 0; i < c->cap; i++) {
				const uint64_t *e = counter_entry(c, i);
				if (e[1])
					count_word(dst, e[0], src->arena.buf + e[2], e[3], e + 4, e[1]);
			}
		}
		if (corpus_stats_memory(dst) > dst->memory_limit)
			enforce_memory_limit(dst);
	}
	sample_merge(&dst->sample, &src->sample);
	for (size_t i = 0; i < src->capgroups; i++) {
		struct stats_group *s = src->groups[i];
		if (!s)
			continue;
		struct stats_group *g = group_get(dst, s->key, s->keylen);
		g->records += s->records;
		g->words += s->words;
		g->bigrams += s->bigrams;
		if (s->min < g->min)
			g->min = s->min;
		if (s->max > g->max)
			g->max = s->max;
		hll_merge(&g->words_hll, &s->words_hll);
		hll_merge(&g->bigrams_hll, &s->bigrams_hll);
	}
	if (corpus_stats_memory(dst) > dst->memory_limit)
		enforce_memory_limit(dst);
	uint64_t seed = src->seed, exact_until = src->exact_until;
	size_t limit = src->memory_limit;
	corpus_stats_release(src);
	corpus_stats_init(src, limit, seed);
	src->exact_until = exact_until;
}

/* --- Figures ---------------------------------------------------------- */

static double round6(double x)
{
	return round(x * 1e6) / 1e6;
}

static uint64_t distinct(const struct corpus_stats *cs, unsigned n)
{
	if (cs->approx[n])
		return (uint64_t)llround(hll_estimate(&cs->hll[n]));
	return cs->ngrams[n].used;
}

struct figures {
	double mean_length;
	uint64_t hapax;
	double entropy;
	int exact_vocab;
	double ratio;		/* NaN when there is no sample */
	size_t sample_bytes, sample_records;
};

static void compute(struct corpus_stats *cs, struct figures *f)
{
	memset(f, 0, sizeof(*f));
	f->mean_length = cs->records ? (double)cs->words / (double)cs->records : 0;
	f->exact_vocab = !cs->approx[1];
	if (f->exact_vocab && cs->total[1]) {
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
		f->entropy = h;
	}
	/* Compression ratio of the sample, texts in hash order, one per line. */
	sample_sort(&cs->sample);
	struct strbuf raw = STRBUF_INIT;
	for (size_t i = 0; i < cs->sample.n; i++) {
		strbuf_add(&raw, cs->sample.heap[i].text, cs->sample.heap[i].len);
		strbuf_addc(&raw, '\n');
	}
	f->sample_bytes = raw.len;
	f->sample_records = cs->sample.n;
	f->ratio = NAN;
	if (raw.len) {
		size_t cap = ZSTD_compressBound(raw.len);
		char *z = xmalloc(cap);
		size_t zn = ZSTD_compress(z, cap, raw.buf, raw.len, STATS_ZSTD_LEVEL);
		if (!ZSTD_isError(zn) && zn)
			f->ratio = (double)raw.len / (double)zn;
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

static void add_group_value(struct strbuf *out, const struct stats_group *g)
{
	if (g->key[0] == 's')
		json_add_string(out, g->key + 1, g->keylen - 1);
	else if (g->key[0] == 'r')
		strbuf_add(out, g->key + 1, g->keylen - 1);
	else
		strbuf_addstr(out, "null");
}

static void key_u64(struct strbuf *out, const char *key, uint64_t v)
{
	strbuf_addf(out, ",\"%s\":%llu", key, (unsigned long long)v);
}

static void key_double(struct strbuf *out, const char *key, double v)
{
	strbuf_addf(out, ",\"%s\":", key);
	json_add_double(out, round6(v));
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

void corpus_stats_json(struct corpus_stats *cs, const struct stats_report *r,
		       struct strbuf *out)
{
	struct figures f;
	compute(cs, &f);
	strbuf_addf(out, "{\"records\":%llu", (unsigned long long)cs->records);
	if (r->show_invalid)
		key_u64(out, "invalid", r->invalid);
	key_u64(out, "input_bytes", r->input_bytes);
	key_u64(out, "bytes", cs->bytes);
	key_u64(out, "chars", cs->chars);
	key_u64(out, "words", cs->words);
	key_u64(out, "lines", cs->lines);
	strbuf_addstr(out, ",\"length\":{\"unit\":\"words\"");
	key_u64(out, "min", lenhist_quantile(&cs->length, 0));
	key_double(out, "mean", f.mean_length);
	key_u64(out, "p50", lenhist_quantile(&cs->length, 0.5));
	key_u64(out, "p90", lenhist_quantile(&cs->length, 0.9));
	key_u64(out, "p99", lenhist_quantile(&cs->length, 0.99));
	key_u64(out, "max", lenhist_max(&cs->length));
	strbuf_addc(out, '}');
	key_u64(out, "vocabulary", distinct(cs, 1));
	if (f.exact_vocab) {
		key_u64(out, "hapax", f.hapax);
	} else {
		strbuf_addstr(out, ",\"hapax\":null");
	}
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		char key[16];
		snprintf(key, sizeof(key), "distinct_%u", n);
		key_double(out, key, ratio(distinct(cs, n), cs->total[n]));
	}
	if (f.exact_vocab)
		key_double(out, "entropy_1", f.entropy);
	else
		strbuf_addstr(out, ",\"entropy_1\":null");
	strbuf_addstr(out, ",\"compression\":{\"ratio\":");
	json_add_double(out, round6(f.ratio));
	strbuf_addf(out, ",\"level\":%d", STATS_ZSTD_LEVEL);
	key_u64(out, "sample_bytes", f.sample_bytes);
	key_u64(out, "sample_records", f.sample_records);
	key_u64(out, "seed", cs->seed);
	strbuf_addc(out, '}');

	if (r->top && f.exact_vocab) {
		struct top_item *items = xcalloc(r->top, sizeof(*items));
		strbuf_addstr(out, ",\"top\":{");
		for (unsigned n = 1; n <= STATS_MAX_N; n++) {
			strbuf_addf(out, "%s\"%u\":", n > 1 ? "," : "", n);
			if (cs->approx[n]) {
				strbuf_addstr(out, "null");
				continue;
			}
			size_t k = top_ngrams(cs, n, r->top, items);
			strbuf_addc(out, '[');
			for (size_t i = 0; i < k; i++) {
				struct strbuf t = STRBUF_INIT;
				ngram_text(cs, items[i].entry, n, &t);
				strbuf_addstr(out, i ? ",{\"ngram\":" : "{\"ngram\":");
				json_add_string(out, t.buf, t.len);
				key_u64(out, "count", items[i].count);
				strbuf_addc(out, '}');
				strbuf_release(&t);
			}
			strbuf_addc(out, ']');
		}
		strbuf_addc(out, '}');
		free(items);
	}

	if (r->by) {
		strbuf_addstr(out, ",\"by\":{\"field\":");
		json_add_cstr(out, r->by);
		strbuf_addstr(out, ",\"groups\":[");
		struct stats_group **g = sorted_groups(cs);
		for (size_t i = 0; i < cs->ngroups; i++) {
			strbuf_addstr(out, i ? ",{\"value\":" : "{\"value\":");
			add_group_value(out, g[i]);
			key_u64(out, "records", g[i]->records);
			key_double(out, "share", ratio(g[i]->records, cs->records));
			key_u64(out, "words", g[i]->words);
			key_double(out, "words_share", ratio(g[i]->words, cs->words));
			key_double(out, "mean_length", ratio(g[i]->words, g[i]->records));
			key_u64(out, "min_length", g[i]->min);
			key_u64(out, "max_length", g[i]->max);
			key_u64(out, "vocabulary", (uint64_t)llround(hll_estimate(&g[i]->words_hll)));
			key_double(out, "distinct_1",
				   ratio((uint64_t)llround(hll_estimate(&g[i]->words_hll)), g[i]->words));
			key_double(out, "distinct_2",
				   ratio((uint64_t)llround(hll_estimate(&g[i]->bigrams_hll)),
					 g[i]->bigrams));
			strbuf_addc(out, '}');
		}
		free(g);
		strbuf_addstr(out, "]}");
	}

	strbuf_addstr(out, ",\"approximate\":[");
	int first = 1;
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		if (!cs->approx[n])
			continue;
		if (n == 1)
			strbuf_addf(out, "%s\"vocabulary\",\"hapax\",\"entropy_1\"", first ? "" : ",");
		strbuf_addf(out, "%s\"distinct_%u\"", first && n != 1 ? "" : ",", n);
		first = 0;
	}
	if (r->by)
		strbuf_addf(out, "%s\"by.vocabulary\",\"by.distinct_1\",\"by.distinct_2\"", first ? "" : ",");
	strbuf_addc(out, ']');
	key_u64(out, "memory_limit", cs->memory_limit);
	if (cs->collisions)
		key_u64(out, "word_hash_collisions", cs->collisions);
	strbuf_addc(out, '}');
}

/* --- A table for people ----------------------------------------------- */

static void row(struct strbuf *out, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void row(struct strbuf *out, const char *name, const char *fmt, ...)
{
	char value[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	strbuf_addf(out, "%-20s %s\n", name, value);
}

void corpus_stats_table(struct corpus_stats *cs, const struct stats_report *r,
			struct strbuf *out)
{
	struct figures f;
	compute(cs, &f);
	row(out, "records", "%llu", (unsigned long long)cs->records);
	if (r->show_invalid)
		row(out, "invalid", "%llu", (unsigned long long)r->invalid);
	row(out, "input bytes", "%llu", (unsigned long long)r->input_bytes);
	row(out, "text bytes", "%llu", (unsigned long long)cs->bytes);
	row(out, "chars", "%llu", (unsigned long long)cs->chars);
	row(out, "words", "%llu", (unsigned long long)cs->words);
	row(out, "lines", "%llu", (unsigned long long)cs->lines);
	row(out, "length (words)", "min %llu  mean %.1f  p50 %llu  p90 %llu  p99 %llu  max %llu",
	    (unsigned long long)lenhist_quantile(&cs->length, 0), f.mean_length,
	    (unsigned long long)lenhist_quantile(&cs->length, 0.5),
	    (unsigned long long)lenhist_quantile(&cs->length, 0.9),
	    (unsigned long long)lenhist_quantile(&cs->length, 0.99),
	    (unsigned long long)lenhist_max(&cs->length));
	const char *approx_mark = " (approximate)";
	row(out, "vocabulary", "%llu%s", (unsigned long long)distinct(cs, 1),
	    cs->approx[1] ? approx_mark : "");
	if (f.exact_vocab)
		row(out, "hapax", "%llu", (unsigned long long)f.hapax);
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		char name[16];
		snprintf(name, sizeof(name), "distinct-%u", n);
		row(out, name, "%.4f%s", ratio(distinct(cs, n), cs->total[n]),
		    cs->approx[n] ? approx_mark : "");
	}
	if (f.exact_vocab)
		row(out, "entropy-1 (bits)", "%.3f", f.entropy);
	row(out, "compression ratio", "%.3f (zstd -%d on %zu bytes, %zu records)", f.ratio,
	    STATS_ZSTD_LEVEL, f.sample_bytes, f.sample_records);

	if (r->top && f.exact_vocab) {
		struct top_item *items = xcalloc(r->top, sizeof(*items));
		for (unsigned n = 1; n <= STATS_MAX_N; n++) {
			if (cs->approx[n])
				continue;
			size_t k = top_ngrams(cs, n, r->top, items);
			strbuf_addf(out, "\ntop %u-grams\n", n);
			for (size_t i = 0; i < k; i++) {
				struct strbuf t = STRBUF_INIT;
				ngram_text(cs, items[i].entry, n, &t);
				strbuf_addf(out, "  %10llu  %s\n", (unsigned long long)items[i].count, t.buf);
				strbuf_release(&t);
			}
		}
		free(items);
	}
	if (r->by) {
		strbuf_addf(out, "\nby %s\n  %-24s %10s %7s %12s %8s %9s %11s\n", r->by, "value",
			    "records", "share", "words", "mean", "vocab~", "distinct-1~");
		struct stats_group **g = sorted_groups(cs);
		for (size_t i = 0; i < cs->ngroups; i++) {
			struct strbuf v = STRBUF_INIT;
			if (g[i]->key[0] == 'm')
				strbuf_addstr(&v, "(none)");
			else
				strbuf_add(&v, g[i]->key + 1, g[i]->keylen - 1);
			double vocab = hll_estimate(&g[i]->words_hll);
			strbuf_addf(out, "  %-24s %10llu %6.2f%% %12llu %8.1f %9.0f %11.4f\n", v.buf,
				    (unsigned long long)g[i]->records,
				    100 * ratio(g[i]->records, cs->records),
				    (unsigned long long)g[i]->words, ratio(g[i]->words, g[i]->records),
				    vocab, g[i]->words ? vocab / (double)g[i]->words : 0);
			strbuf_release(&v);
		}
		free(g);
	}
}

/* --- State files ------------------------------------------------------ */

/* A state file, every number in the byte order of the machine that wrote
 * it (recorded by the marker):
 *
 *   header	248 bytes: magic, version, byte order, the build's table
 *		settings, the seed, the memory limit, the counts, how
 *		many of each thing follows, and exact_until
 *   by		the --by field's name (empty when not grouped)
 *   lengths	(length, records) pairs, lengths increasing
 *   arena	the vocabulary's word texts
 *   tables	n = 1..4: the used entries of the table, whole (key, count,
 *		extras), or the sketch's registers when approximate
 *   sample	(hash, length, text) per item
 *   groups	(key length, records, words, bigrams, min, max, key, the
 *		two sketches' registers) per group
 *   checksum	hash64 of every byte before it
 *
 * Offsets into the arena are kept as they are, since the arena is kept
 * whole. Entries go out in slot order; loading inserts them afresh, so the
 * tables need not have the same size on both sides. */
#define STATE_MAGIC "SYNTHSTS"
#define STATE_VERSION 2u
#define HEADER_U32 4
#define HEADER_U64 27
#define STATE_HEADER_BYTES (16 + 4 * HEADER_U32 + 8 * HEADER_U64)
#define STATE_GROUP_BYTES 48	/* a group before its key and registers */
#define STATE_BATCH (1u << 16)

/* The header, decoded. */
struct state_header {
	uint32_t max_n, hll_p, group_hll_p, approx;
	uint64_t seed, memory_limit, sample_budget;
	uint64_t records, bytes, chars, words, lines, collisions;
	uint64_t total[STATS_MAX_N + 1], entries[STATS_MAX_N + 1];
	uint64_t arena, lengths, samples, sample_text, groups, group_keys, by;
	uint64_t invalid, input_bytes, exact_until;
};

/* Header fields from offset 16 on, in order; one list for both ways. */
static void header_fields(struct state_header *h, uint32_t **f32, uint64_t **f64)
{
	uint32_t *a[] = { &h->max_n, &h->hll_p, &h->group_hll_p, &h->approx };
	uint64_t *b[] = { &h->seed, &h->memory_limit, &h->sample_budget, &h->records,
			  &h->bytes, &h->chars, &h->words, &h->lines, &h->collisions,
			  &h->total[1], &h->total[2], &h->total[3], &h->total[4],
			  &h->entries[1], &h->entries[2], &h->entries[3], &h->entries[4],
			  &h->arena, &h->lengths, &h->samples, &h->sample_text, &h->groups,
			  &h->group_keys, &h->by, &h->invalid, &h->input_bytes, &h->exact_until };
	_Static_assert(STATS_MAX_N == 4, "the header lists the tables one by one");
	_Static_assert(sizeof(a) / sizeof(*a) == HEADER_U32 && sizeof(b) / sizeof(*b) == HEADER_U64,
		       "the header's fields fill it");
	memcpy(f32, a, sizeof(a));
	memcpy(f64, b, sizeof(b));
}

static void header_encode(struct state_header *h, unsigned char *buf)
{
	uint32_t *f32[HEADER_U32];
	uint64_t *f64[HEADER_U64];
	header_fields(h, f32, f64);
	memset(buf, 0, STATE_HEADER_BYTES);
	memcpy(buf, STATE_MAGIC, 8);
	put32(buf + 8, STATE_VERSION);
	put32(buf + 12, BYTE_ORDER_MARK);
	for (size_t i = 0; i < HEADER_U32; i++)
		put32(buf + 16 + 4 * i, *f32[i]);
	for (size_t i = 0; i < HEADER_U64; i++)
		put64(buf + 16 + 4 * HEADER_U32 + 8 * i, *f64[i]);
}

static void header_decode(struct state_header *h, const unsigned char *buf)
{
	uint32_t *f32[HEADER_U32];
	uint64_t *f64[HEADER_U64];
	header_fields(h, f32, f64);
	for (size_t i = 0; i < HEADER_U32; i++)
		*f32[i] = get32(buf + 16 + 4 * i);
	for (size_t i = 0; i < HEADER_U64; i++)
		*f64[i] = get64(buf + 16 + 4 * HEADER_U32 + 8 * i);
}

/* Pieces of the file gathered into larger writes: a table goes out an
 * entry at a time. */
struct state_writer {
	struct checked_output co;
	unsigned char *buf;
	size_t len;
};

static void state_flush(struct state_writer *w)
{
	checked_write(&w->co, w->buf, w->len);
	w->len = 0;
}

static void state_put(struct state_writer *w, const void *p, size_t n)
{
	if (w->len + n > STATE_BATCH)
		state_flush(w);
	if (n > STATE_BATCH) {
		checked_write(&w->co, p, n);
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void state_put64(struct state_writer *w, uint64_t v)
{
	unsigned char b[8];
	put64(b, v);
	state_put(w, b, 8);
}

void corpus_stats_write(const struct corpus_stats *cs, const struct stats_report *r,
			struct output *out)
{
	if (!r->by && cs->ngroups)
		BUG("corpus_stats_write: groups without a --by field");
	struct state_header h = {
		.max_n = STATS_MAX_N, .hll_p = STATS_HLL_P, .group_hll_p = STATS_GROUP_HLL_P,
		.seed = cs->seed, .memory_limit = cs->memory_limit,
		.sample_budget = cs->sample.budget, .records = cs->records, .bytes = cs->bytes,
		.chars = cs->chars, .words = cs->words, .lines = cs->lines,
		.collisions = cs->collisions, .arena = cs->approx[1] ? 0 : cs->arena.len,
		.samples = cs->sample.n, .groups = cs->ngroups, .by = r->by ? strlen(r->by) : 0,
		.invalid = r->invalid, .input_bytes = r->input_bytes, .exact_until = cs->exact_until,
	};
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		h.total[n] = cs->total[n];
		if (cs->approx[n])
			h.approx |= 1u << n;
		else
			h.entries[n] = cs->ngrams[n].used;
	}
	const struct lenhist *len = &cs->length;
	for (size_t i = 0; i < LENHIST_DENSE; i++)
		h.lengths += len->dense[i] != 0;
	h.lengths += len->nbig;
	for (size_t i = 0; i < cs->sample.n; i++)
		h.sample_text += cs->sample.heap[i].len;
	for (size_t i = 0; i < cs->capgroups; i++)
		if (cs->groups[i])
			h.group_keys += cs->groups[i]->keylen;

	struct state_writer w = { .buf = xmalloc(STATE_BATCH) };
	checked_begin(&w.co, out);
	unsigned char hb[STATE_HEADER_BYTES];
	header_encode(&h, hb);
	state_put(&w, hb, sizeof(hb));
	state_put(&w, r->by ? r->by : "", h.by);
	for (size_t i = 0; i < LENHIST_DENSE; i++) {
		if (len->dense[i]) {
			state_put64(&w, i);
			state_put64(&w, len->dense[i]);
		}
	}
	for (size_t i = 0; i < len->nbig; i++) {
		state_put64(&w, len->big[2 * i]);
		state_put64(&w, len->big[2 * i + 1]);
	}
	state_put(&w, cs->arena.buf, h.arena);
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		if (cs->approx[n]) {
			state_put(&w, cs->hll[n].reg, (size_t)1 << STATS_HLL_P);
			continue;
		}
		const struct counter *c = &cs->ngrams[n];
		for (size_t i = 0; i < c->cap; i++) {
			const uint64_t *e = counter_entry(c, i);
			if (e[n])
				for (unsigned k = 0; k < c->stride; k++)
					state_put64(&w, e[k]);
		}
	}
	for (size_t i = 0; i < cs->sample.n; i++) {
		const struct sample_item *it = &cs->sample.heap[i];
		state_put64(&w, it->hash);
		state_put64(&w, it->len);
		state_put(&w, it->text, it->len);
	}
	for (size_t i = 0; i < cs->capgroups; i++) {
		const struct stats_group *g = cs->groups[i];
		if (!g)
			continue;
		uint64_t fixed[] = { g->keylen, g->records, g->words, g->bigrams, g->min, g->max };
		_Static_assert(sizeof(fixed) == STATE_GROUP_BYTES, "a group's numbers");
		for (size_t k = 0; k < sizeof(fixed) / sizeof(*fixed); k++)
			state_put64(&w, fixed[k]);
		state_put(&w, g->key, g->keylen);
		state_put(&w, g->words_hll.reg, (size_t)1 << STATS_GROUP_HLL_P);
		state_put(&w, g->bigrams_hll.reg, (size_t)1 << STATS_GROUP_HLL_P);
	}
	state_flush(&w);
	checked_end(&w.co);
	free(w.buf);
}

/* *total += count * size, noting in *overflow a sum past 64 bits. */
static void add_bytes(uint64_t *total, uint64_t count, uint64_t size, int *overflow)
{
	uint64_t b;
	if (__builtin_mul_overflow(count, size, &b) || __builtin_add_overflow(*total, b, total))
		*overflow = 1;
}

/* The bytes a state file of header h holds, checksum included, for
 * tables shaped as cs's; *overflow is set when they pass 64 bits. */
static uint64_t state_length(const struct state_header *h, const struct corpus_stats *cs,
			     int *overflow)
{
	uint64_t total = STATE_HEADER_BYTES + 8;
	add_bytes(&total, 1, h->by, overflow);
	add_bytes(&total, h->lengths, 16, overflow);
	add_bytes(&total, 1, h->arena, overflow);
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		if (h->approx & (1u << n))
			add_bytes(&total, 1, (uint64_t)1 << STATS_HLL_P, overflow);
		else
			add_bytes(&total, h->entries[n], (uint64_t)cs->ngrams[n].stride * 8, overflow);
	}
	add_bytes(&total, h->samples, 16, overflow);
	add_bytes(&total, 1, h->sample_text, overflow);
	add_bytes(&total, h->groups, STATE_GROUP_BYTES + 2 * ((uint64_t)1 << STATS_GROUP_HLL_P),
		  overflow);
	add_bytes(&total, 1, h->group_keys, overflow);
	return total;
}


/* Give up on a state: the reason into err, cs empty again. */
static int state_fail(struct corpus_stats *cs, struct strbuf *err, const char *why)
{
	if (why)
		strbuf_addstr(err, why);
	size_t limit = cs->memory_limit;
	uint64_t seed = cs->seed, exact_until = cs->exact_until;
	corpus_stats_release(cs);
	corpus_stats_init(cs, limit, seed);
	cs->exact_until = exact_until;
	return -1;
}

/* Was the state made by a build whose tables are shaped as ours? */
static int same_settings(const struct state_header *h, const struct corpus_stats *cs)
{
	return h->max_n == STATS_MAX_N && h->hll_p == STATS_HLL_P &&
	       h->group_hll_p == STATS_GROUP_HLL_P && h->sample_budget == cs->sample.budget;
}

/* Are the registers of a sketch of 2^p ranks that hll_add() can give? A
 * larger one would also index past hll_estimate()'s table. */
static int ranks_ok(const unsigned char *reg, unsigned p)
{
	size_t m = (size_t)1 << p;
	for (size_t i = 0; i < m; i++)
		if (reg[i] > 64 - p + 1)
			return 0;
	return 1;
}

/* The options of the state against this run's; 1 with the reason in err
 * when they differ. by is the state's --by field, h->by bytes. */
static int options_differ(const struct state_header *h, const char *by, uint64_t seed,
			  uint64_t exact_until, const char *want_by, struct strbuf *err)
{
	if (h->exact_until != exact_until && !h->exact_until)
		strbuf_addstr(err, "made with exact n-gram tables (--exact or --top); this run has neither");
	else if (h->exact_until != exact_until && !exact_until)
		strbuf_addstr(err, "made without exact n-gram tables; this run has --exact or --top");
	else if (h->exact_until != exact_until)
		strbuf_addf(err, "made with exact n-gram counts up to %llu, not %llu",
			    (unsigned long long)h->exact_until, (unsigned long long)exact_until);
	else if (h->seed != seed)
		strbuf_addf(err, "made with --seed %llu, not %llu", (unsigned long long)h->seed,
			    (unsigned long long)seed);
	else if (h->by && !want_by)
		strbuf_addf(err, "made with --by %.*s; this run has no --by", (int)h->by, by);
	else if (!h->by && want_by)
		strbuf_addf(err, "made without --by; this run has --by %s", want_by);
	else if (want_by && (h->by != strlen(want_by) || memcmp(by, want_by, h->by)))
		strbuf_addf(err, "made with --by %.*s, not --by %s", (int)h->by, by, want_by);
	else
		return 0;
	return 1;
}

/* Bytes of a --by field name, at most: a dotted path, never long. */
#define STATE_MAX_BY 4096

/* Does the header hold together (beyond its length, checked apart)? */
static int header_ok(const struct state_header *h)
{
	uint32_t tables = ((1u << (STATS_MAX_N + 1)) - 1) & ~1u;
	if ((h->approx & ~tables) || h->total[1] != h->words || h->by > STATE_MAX_BY ||
	    (h->groups && !h->by) || ((h->approx & (1u << 1)) && h->arena))
		return 0;
	for (unsigned n = 1; n <= STATS_MAX_N; n++)
		if (((h->approx & (1u << n)) && h->entries[n]) ||
		    (n > 1 && h->exact_until && h->entries[n] > h->exact_until))
			return 0;
	return 1;
}

/* The length histogram; NULL, or what is wrong. */
static const char *read_lengths(struct corpus_stats *cs, const struct state_header *h,
				struct byte_reader *rd)
{
	uint64_t records = 0, words = 0, prev = 0;
	for (uint64_t i = 0; i < h->lengths; i++) {
		const unsigned char *p = byte_take(rd, 16);
		if (!p)
			return "corrupt: bad lengths";
		uint64_t len = get64(p), count = get64(p + 8), w;
		if (!count || (i && len <= prev) || __builtin_mul_overflow(len, count, &w) ||
		    __builtin_add_overflow(words, w, &words) ||
		    __builtin_add_overflow(records, count, &records))
			return "corrupt: bad lengths";
		lenhist_add(&cs->length, len, count);
		prev = len;
	}
	if (records != h->records || words != h->words)
		return "corrupt: the lengths do not add up to the records";
	return NULL;
}

/* The vocabulary's text, then each table or its sketch. */
static const char *read_tables(struct corpus_stats *cs, const struct state_header *h,
			       struct byte_reader *rd)
{
	const unsigned char *arena = byte_take(rd, h->arena);
	if (!arena)
		return "corrupt: the vocabulary's text is cut short";
	strbuf_add(&cs->arena, arena, h->arena);
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		if (h->approx & (1u << n)) {
			const unsigned char *reg = byte_take(rd, (size_t)1 << STATS_HLL_P);
			if (!reg || !ranks_ok(reg, STATS_HLL_P))
				return "corrupt: a bad sketch";
			make_approximate(cs, n);
			memcpy(cs->hll[n].reg, reg, (size_t)1 << STATS_HLL_P);
			continue;
		}
		struct counter *c = &cs->ngrams[n];
		uint64_t e[8], sum = 0;
		if (c->stride > sizeof(e) / sizeof(*e))
			BUG("read_tables: %u words an entry", c->stride);
		/* The header's length, checked against the file, bounds this. */
		const unsigned char *p = byte_take(rd, h->entries[n] * c->stride * 8);
		if (!p)
			return "corrupt: a table is cut short";
		counter_reserve(c, h->entries[n]);
		for (uint64_t i = 0; i < h->entries[n]; i++, p += c->stride * 8) {
			for (unsigned k = 0; k < c->stride; k++)
				e[k] = get64(p + 8 * k);
			if (!e[n] || __builtin_add_overflow(sum, e[n], &sum))
				return "corrupt: a bad n-gram count";
			if (n == 1 && (e[2] > h->arena || e[3] > h->arena - e[2]))
				return "corrupt: a word outside the vocabulary's text";
			/* Words go into JSON strings, which must be UTF-8. */
			if (n == 1 && !utf8_valid(cs->arena.buf + e[2], e[3]))
				return "corrupt: a word that is not UTF-8";
			int is_new;
			uint64_t *slot = counter_slot(c, e, counter_key_hash(e, n), &is_new);
			if (!is_new)
				return "corrupt: an n-gram listed twice";
			memcpy(slot + n, e + n, (c->stride - n) * sizeof(uint64_t));
		}
		if (sum != h->total[n])
			return "corrupt: the n-gram counts do not add up";
	}
	return NULL;
}

/* The sample: every text must hash, under the seed, to its key. */
static const char *read_sample(struct corpus_stats *cs, const struct state_header *h,
			       struct byte_reader *rd)
{
	uint64_t text = 0;
	for (uint64_t i = 0; i < h->samples; i++) {
		const unsigned char *p = byte_take(rd, 16);
		const unsigned char *t = p ? byte_take(rd, get64(p + 8)) : NULL;
		if (!t)
			return "corrupt: the sample is cut short";
		uint64_t hash = get64(p), len = get64(p + 8);
		if (hash != hash64(t, len, cs->seed))
			return "corrupt: a sample text does not match its hash";
		sample_add(&cs->sample, hash, (const char *)t, len);
		text += len;
	}
	/* Texts of a sample, added again in any order, all stay. */
	if (text != h->sample_text || cs->sample.n != h->samples)
		return "corrupt: the sample does not add up";
	return NULL;
}

/* Is key[0..len) a key stats_group_key() makes: 'm' alone, 's' and
 * UTF-8, or 'r' and one JSON value other than a string or null? The
 * report writes the value of an 'r' key as it is. */
static int group_key_ok(const unsigned char *key, uint64_t len)
{
	if (!len)
		return 0;
	const char *s = (const char *)key + 1;
	size_t n = (size_t)len - 1;
	if (key[0] == 'm')
		return n == 0;
	if (key[0] == 's')
		return utf8_valid(s, n);
	if (key[0] != 'r')
		return 0;
	struct strbuf rec = STRBUF_INIT;
	strbuf_addstr(&rec, "{\"v\":");
	strbuf_add(&rec, s, n);
	strbuf_addc(&rec, '}');
	struct json_value v;
	struct json_error jerr;
	int ok = json_check_record_member(rec.buf, rec.len, "v", &v, &jerr) == 0 && v.len == n &&
		 v.type != JSON_STRING && v.type != JSON_NULL;
	strbuf_release(&rec);
	return ok;
}

static const char *read_groups(struct corpus_stats *cs, const struct state_header *h,
			       struct byte_reader *rd)
{
	size_t m = (size_t)1 << STATS_GROUP_HLL_P;
	uint64_t keys = 0;
	for (uint64_t i = 0; i < h->groups; i++) {
		const unsigned char *p = byte_take(rd, STATE_GROUP_BYTES);
		const unsigned char *key = p ? byte_take(rd, get64(p)) : NULL;
		const unsigned char *reg = key ? byte_take(rd, 2 * m) : NULL;
		if (!reg)
			return "corrupt: the groups are cut short";
		uint64_t keylen = get64(p), records = get64(p + 8), min = get64(p + 32),
			 max = get64(p + 40);
		if (!group_key_ok(key, keylen) || !records || min > max ||
		    !ranks_ok(reg, STATS_GROUP_HLL_P) || !ranks_ok(reg + m, STATS_GROUP_HLL_P))
			return "corrupt: a bad group";
		struct stats_group *g = group_get(cs, (const char *)key, keylen);
		if (g->records)
			return "corrupt: a group listed twice";
		g->records = records;
		g->words = get64(p + 16);
		g->bigrams = get64(p + 24);
		g->min = min;
		g->max = max;
		memcpy(g->words_hll.reg, reg, m);
		memcpy(g->bigrams_hll.reg, reg + m, m);
		keys += keylen;
	}
	if (keys != h->group_keys)
		return "corrupt: the groups do not add up";
	return NULL;
}

int corpus_stats_parse(struct corpus_stats *cs, struct stats_report *r,
		       const unsigned char *buf, size_t n, struct strbuf *err)
{
	if (cs->records || cs->ngroups || cs->sample.n)
		BUG("corpus_stats_parse into a state already counted into");
	if (n < 8 || memcmp(buf, STATE_MAGIC, 8))
		return state_fail(cs, err, "not a synth-stats state");
	if (n < STATE_HEADER_BYTES + 8)
		return state_fail(cs, err, "truncated");
	if (get32(buf + 8) != STATE_VERSION) {
		strbuf_addf(err, "state format version %u; this synth-stats reads version %u",
			    get32(buf + 8), STATE_VERSION);
		return state_fail(cs, err, NULL);
	}
	if (get32(buf + 12) != BYTE_ORDER_MARK)
		return state_fail(cs, err, "written on a machine of the other byte order");
	struct state_header h;
	header_decode(&h, buf);
	int overflow = 0;
	uint64_t length = state_length(&h, cs, &overflow);
	if (!hash_trailer_ok(buf, n)) {
		/* A file cut short is told by the length its header promises,
		 * when the header reads as one of ours. */
		int cut = same_settings(&h, cs) && header_ok(&h) && !overflow && length > n;
		return state_fail(cs, err,
				  cut ? "truncated" : "corrupt: the checksum does not match");
	}
	if (!same_settings(&h, cs)) {
		strbuf_addf(err,
			    "made with n-grams up to %u, sketches of 2^%u and 2^%u registers and a "
			    "sample of %llu bytes; this synth-stats has %u, 2^%u, 2^%u and %llu",
			    h.max_n, h.hll_p, h.group_hll_p, (unsigned long long)h.sample_budget,
			    STATS_MAX_N, STATS_HLL_P, STATS_GROUP_HLL_P,
			    (unsigned long long)cs->sample.budget);
		return state_fail(cs, err, NULL);
	}
	if (overflow || length != n || !header_ok(&h))
		return state_fail(cs, err, "corrupt: a bad header");

	struct byte_reader rd = { buf + STATE_HEADER_BYTES, buf + n - 8, 0 };
	const char *by = (const char *)byte_take(&rd, h.by);
	if (options_differ(&h, by, cs->seed, cs->exact_until, r->by, err))
		return state_fail(cs, err, NULL);
	const char *why = read_lengths(cs, &h, &rd);
	if (!why)
		why = read_tables(cs, &h, &rd);
	if (!why)
		why = read_sample(cs, &h, &rd);
	if (!why)
		why = read_groups(cs, &h, &rd);
	if (!why && rd.p != rd.end)
		why = "corrupt: the parts do not fill the file";
	if (why)
		return state_fail(cs, err, why);

	cs->records = h.records;
	cs->bytes = h.bytes;
	cs->chars = h.chars;
	cs->words = h.words;
	cs->lines = h.lines;
	cs->collisions = h.collisions;
	for (unsigned k = 1; k <= STATS_MAX_N; k++)
		cs->total[k] = h.total[k];
	cs->memory_limit = h.memory_limit;
	r->invalid += h.invalid;
	r->input_bytes += h.input_bytes;
	return 0;
}

int corpus_stats_read(struct corpus_stats *cs, struct stats_report *r, const char *path)
{
	struct strbuf data = STRBUF_INIT, err = STRBUF_INIT;
	struct stats_report got = { .by = r->by };
	struct corpus_stats part;
	int rc = 0;
	corpus_stats_init(&part, cs->memory_limit, cs->seed);
	part.exact_until = cs->exact_until;
	if (file_slurp(path, &data) < 0)
		rc = error_errno("%s", path);
	else if (corpus_stats_parse(&part, &got, (const unsigned char *)data.buf, data.len,
				    &err) < 0)
		rc = error("%s: %s", path, err.buf);
	/* The file's bytes go before the merge, which may need the room. */
	strbuf_release(&data);
	if (!rc) {
		corpus_stats_merge(cs, &part);
		r->invalid += got.invalid;
		r->input_bytes += got.input_bytes;
	}
	corpus_stats_release(&part);
	strbuf_release(&err);
	return rc;
}
