/* corpus_stats.c: counting, merging and reporting corpus statistics;
 * see corpus_stats.h (the state file is stats_state.c's). */
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
void corpus_stats_approximate(struct corpus_stats *cs, unsigned n)
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
		corpus_stats_approximate(cs, n);
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
		corpus_stats_approximate(cs, largest);
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
		corpus_stats_approximate(cs, largest_exact(cs));
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

struct stats_group *stats_group_get(struct corpus_stats *cs, const char *key, size_t len)
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
		struct stats_group *g = stats_group_get(cs, group->buf, group->len);
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
			corpus_stats_approximate(dst, n);
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
		struct stats_group *g = stats_group_get(dst, s->key, s->keylen);
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
