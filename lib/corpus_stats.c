/* corpus_stats.c: counting and merging corpus statistics; see
 * corpus_stats.h. Their figures are stats_figures.c's, the state file
 * stats_state.c's. */
#include "corpus_stats.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"
#include "hash.h"
#include "json.h"

/* Bytes one group holds, for the memory limit. */
#define GROUP_BYTES (sizeof(struct stats_group) + 2 * ((size_t)1 << STATS_GROUP_HLL_P))

void corpus_stats_init(struct corpus_stats *cs, size_t memory_limit, uint64_t seed)
{
	memset(cs, 0, sizeof(*cs));
	lenhist_init(&cs->length);
	lenhist_init(&cs->token_length);
	for (unsigned n = 1; n <= STATS_MAX_N; n++)
		counter_init(&cs->ngrams[n], n, n == 1 ? 4 : 0, 0);
	strbuf_init(&cs->arena);
	sample_init(&cs->sample, STATS_SAMPLE_BYTES);
	words_init(&cs->ws);
	cs->piece_bytes = STATS_PIECE_BYTES;
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
	lenhist_release(&cs->token_length);
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

/* At the first record: room for every n-gram counted exactly by
 * default, since growing a table step by step would move each entry
 * about twice. The pages are touched only as entries land in them, but
 * the limit counts them all, so under a small limit the tables start
 * small. Not at init, where every state read or merged away would pay
 * for tables it never fills. */
static void reserve_exact_until(struct corpus_stats *cs)
{
	if (!cs->exact_until)
		return;
	size_t room = 0;
	for (unsigned n = 2; n <= STATS_MAX_N; n++)
		room += counter_bytes_for(&cs->ngrams[n], cs->exact_until);
	if (room > cs->memory_limit / 2)
		return;
	for (unsigned n = 2; n <= STATS_MAX_N; n++)
		counter_reserve(&cs->ngrams[n], cs->exact_until);
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

/* Count the n-grams whose word hashes are in cs->wh[0..nw) and whose
 * n-1-gram hashes are in cs->nh (replaced by the n-gram hashes), those
 * starting at `from` or later: the ones before were counted with the
 * previous piece of the record. */
static void count_ngrams(struct corpus_stats *cs, unsigned n, size_t nw, size_t from)
{
	const uint64_t *wh = cs->wh;
	uint64_t *nh = cs->nh;
	size_t m = nw - n + 1; /* n-grams in the words */
	for (size_t i = 0; i < m; i++)
		nh[i] = ngram_hash_next(nh[i], wh[i + n - 1]);
	if (from >= m)
		return;
	cs->total[n] += m - from;
	if (cs->approx[n]) {
		hll_add_many(&cs->hll[n], nh + from, m - from);
		return;
	}
	struct counter *c = &cs->ngrams[n];
	switch (n) {
	case 2: counter_add_keys(c, wh + from, nh + from, m - from, 2); break;
	case 3: counter_add_keys(c, wh + from, nh + from, m - from, 3); break;
	case 4: counter_add_keys(c, wh + from, nh + from, m - from, 4); break;
	default: BUG("n-gram order %u", n);
	}
	bound_exact(cs, n);
}

/* The length of the next piece of a record's text s[0..n): at most
 * `piece` bytes, cut after an ASCII space or line break, which ends a
 * word and joins with no neighbour under normalisation, so the pieces
 * have the words of the whole; a longer run without one is a piece of
 * its own. */
static size_t piece_length(const char *s, size_t n, size_t piece)
{
	if (n <= piece)
		return n;
	for (size_t i = piece; i > 0; i--)
		if (s[i - 1] == ' ' || s[i - 1] == '\n')
			return i;
	for (size_t i = piece; i < n; i++)
		if (s[i] == ' ' || s[i] == '\n')
			return i + 1;
	return n;
}

/* Count the words of one piece of a record and the n-grams that end in
 * it; the last STATS_MAX_N - 1 word hashes of the record so far are in
 * cs->wh[0..carry). Returns the piece's words; leaves the carry for the
 * next piece. */
static size_t count_piece(struct corpus_stats *cs, const char *text, size_t len, size_t *carry,
			  struct stats_group *g)
{
	struct words *ws = &cs->ws;
	text_words(text, len, ws);
	size_t m = ws->n, k = *carry, nw = k + m;
	if (nw > cs->whcap) {
		cs->whcap = grow_capacity(cs->whcap, nw, 256);
		cs->wh = xreallocarray(cs->wh, cs->whcap, sizeof(uint64_t));
		free(cs->nh);
		cs->nh = xmalloc(size_mul(cs->whcap, sizeof(uint64_t)));
	}
	for (unsigned n = 1; n <= STATS_MAX_N && n <= nw; n++)
		make_room(cs, n, n == 1 ? m : nw - n + 1, 0);
	/* The hashes first, then the vocabulary's slots, fetched a few
	 * words ahead: the table outgrows the caches on any real corpus. */
	uint64_t *wh = cs->wh;
	for (size_t i = 0; i < m; i++) {
		uint64_t pre[2];
		words_prefix(ws, i, pre);
		wh[k + i] = words_hash(ws, i, pre);
	}
	const struct counter *v = &cs->ngrams[1];
	for (size_t i = 0; i < m; i++) {
		if (i + COUNTER_PREFETCH < m && !cs->approx[1])
			__builtin_prefetch(v->slots + (wh[k + i + COUNTER_PREFETCH] & (v->cap - 1)) * v->stride);
		uint64_t pre[2];
		words_prefix(ws, i, pre);
		count_word(cs, wh[k + i], ws->norm.buf + ws->w[i].off, ws->w[i].len, pre, 1);
	}
	cs->total[1] += m;
	if (nw)
		memcpy(cs->nh, wh, nw * sizeof(uint64_t));
	/* The n-grams that start in the carry and end in this piece, and
	 * those within it. */
	for (unsigned n = 2; n <= STATS_MAX_N && n <= nw; n++)
		count_ngrams(cs, n, nw, k >= n - 1 ? k - (n - 1) : 0);
	if (g)
		for (size_t i = k; i < nw; i++) {
			hll_add(&g->words_hll, wh[i]);
			if (i > 0)
				hll_add(&g->bigrams_hll, ngram_hash_next(wh[i - 1], wh[i]));
		}
	*carry = nw < STATS_MAX_N - 1 ? nw : STATS_MAX_N - 1;
	if (*carry)
		memmove(wh, wh + nw - *carry, *carry * sizeof(uint64_t));
	return m;
}

void corpus_stats_add(struct corpus_stats *cs, const char *text, size_t len,
		      const struct strbuf *group)
{
	cs->records++;
	cs->bytes += len;
	cs->chars += utf8_count(text, len);
	cs->lines += count_lines(text, len);
	sample_add(&cs->sample, hash64(text, len, cs->seed), text, len);

	if (cs->records == 1)
		reserve_exact_until(cs);
	struct stats_group *g = group ? stats_group_get(cs, group->buf, group->len) : NULL;
	/* A long record a piece at a time, so that what it takes beside the
	 * tables is bounded by the piece, not by the record. */
	size_t nw = 0, carry = 0;
	for (size_t at = 0, n; at < len; at += n) {
		n = piece_length(text + at, len - at, cs->piece_bytes);
		nw += count_piece(cs, text + at, n, &carry, g);
		if (corpus_stats_memory(cs) > cs->memory_limit)
			enforce_memory_limit(cs);
	}
	cs->words += nw;
	lenhist_add(&cs->length, nw, 1);
	if (g) {
		g->records++;
		g->words += nw;
		g->bigrams += nw ? nw - 1 : 0;
		if (nw < g->min)
			g->min = nw;
		if (nw > g->max)
			g->max = nw;
	}
}

void corpus_stats_add_tokens(struct corpus_stats *cs, uint64_t tokens,
			     const struct strbuf *group)
{
	cs->has_tokens = 1;
	cs->tokens += tokens;
	lenhist_add(&cs->token_length, tokens, 1);
	if (group)
		stats_group_get(cs, group->buf, group->len)->tokens += tokens;
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
	dst->has_tokens |= src->has_tokens;
	dst->tokens += src->tokens;
	lenhist_merge(&dst->token_length, &src->token_length);
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
		g->tokens += s->tokens;
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
