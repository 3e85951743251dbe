/* ngram.c: the n-gram language model; see ngram.h. */
#include "ngram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bytes.h"
#include "diag.h"
#include "file_frame.h"
#include "hash.h"
#include "json.h"
#include "text.h"

#define HEADER_BYTES 64
#define LEVEL_HEADER_BYTES 24

static const struct file_frame model_frame = {
	/* Version 2: the words of text_words(); version 1 split at white
	 * space. */
	.magic = "SYNTHNGM", .version = 2, .header = HEADER_BYTES,
	.kind = "a synth n-gram model",
};

/* --- The vocabulary ------------------------------------------------------ */

static uint64_t word_hash(const char *w, size_t n)
{
	return hash64(w, n, 0x776f7264); /* "word" */
}

static const char *word_of(const struct ngram_model *m, uint32_t id, size_t *n)
{
	*n = m->off[id + 1] - m->off[id];
	return m->text.buf + m->off[id];
}

/* A word's slot in the word table: its id + 1 in the low half, and the
 * low half of its hash in the high half, so that a probe past other words
 * seldom reads their text. 0: an empty slot. */
static uint64_t vocab_entry(uint64_t hash, uint32_t id)
{
	return hash << 32 | (id + 1);
}

/* Place id, of the given hash, in the word table (grown by the caller). */
static void vocab_place(struct ngram_model *m, uint64_t hash, uint32_t id)
{
	size_t i = hash_slot(hash, m->vcap);
	while (m->vslot[i])
		i = hash_next_slot(i, m->vcap);
	m->vslot[i] = vocab_entry(hash, id);
}

static void vocab_rebuild(struct ngram_model *m, size_t cap)
{
	free(m->vslot);
	m->vcap = cap;
	m->vslot = xcalloc(cap, sizeof(*m->vslot));
	hint_huge_pages(m->vslot, cap * sizeof(*m->vslot));
	for (uint32_t id = 2; id < m->nvocab; id++) {
		size_t n;
		const char *w = word_of(m, id, &n);
		vocab_place(m, word_hash(w, n), id);
	}
}

/* The id of the word w[0..n) of the given hash, or UINT32_MAX. */
static uint32_t vocab_find(const struct ngram_model *m, uint64_t hash, const char *w, size_t n)
{
	if (!m->vcap)
		return UINT32_MAX;
	uint32_t tag = (uint32_t)hash;
	for (size_t i = hash_slot(hash, m->vcap); m->vslot[i]; i = hash_next_slot(i, m->vcap)) {
		if ((uint32_t)(m->vslot[i] >> 32) != tag)
			continue;
		uint32_t id = (uint32_t)m->vslot[i] - 1;
		size_t k;
		const char *v = word_of(m, id, &k);
		if (k == n && !memcmp(v, w, n))
			return id;
	}
	return UINT32_MAX;
}

uint32_t ngram_word_id(const struct ngram_model *m, const char *w, size_t n)
{
	return vocab_find(m, word_hash(w, n), w, n);
}

/* The id of a word of the given hash, added when new. */
static uint32_t vocab_intern(struct ngram_model *m, uint64_t hash, const char *w, size_t n)
{
	uint32_t id = vocab_find(m, hash, w, n);
	if (id != UINT32_MAX)
		return id;
	if (m->nvocab == UINT32_MAX - 1 || m->text.len + n > UINT32_MAX)
		die("the n-gram model's vocabulary is full");
	id = m->nvocab++;
	m->off = xreallocarray(m->off, (size_t)m->nvocab + 1, sizeof(*m->off));
	strbuf_add(&m->text, w, n);
	m->off[id + 1] = (uint32_t)m->text.len;
	if ((size_t)m->nvocab * 2 > m->vcap)
		vocab_rebuild(m, m->vcap ? m->vcap * 2 : 1024);
	else
		vocab_place(m, hash, id);
	return id;
}

static void vocab_init(struct ngram_model *m)
{
	strbuf_init(&m->text);
	m->nvocab = 2;
	m->off = xcalloc(3, sizeof(*m->off));
	vocab_rebuild(m, 1024);
}

/* --- Training ------------------------------------------------------------ */

/* The hash of a run of ids: the context of an n-gram. */
static uint64_t ctx_hash(const uint32_t *ids, size_t n)
{
	uint64_t h = mix64(0x636f6e74657874ull + n); /* "context" */
	for (size_t i = 0; i < n; i++)
		h = mix64(h ^ ((uint64_t)ids[i] + 1) * 0x9e3779b97f4a7c15ull);
	return h;
}

struct gram {
	uint64_t ctx;
	uint32_t w, count;	/* count 0: an empty slot */
};

/* The training tables of a large corpus outgrow the caches, so that
 * counting is a cache miss a word: table_alloc() gives them huge pages,
 * where the TLB covers the whole table and a page fault clears 2 MiB
 * instead of 4 KiB. */
static struct gram *grams_new(size_t cap)
{
	return table_alloc(size_mul(cap, sizeof(struct gram)));
}

static void grams_free(struct gram *g, size_t cap)
{
	table_free(g, cap * sizeof(*g));
}

/* The grams of one order, keyed by (context hash, word), in an open
 * addressing table that is at most 70% full. */
struct gram_table {
	struct gram *g;
	size_t n, cap;
};

static uint64_t gram_key(uint64_t ctx, uint32_t w)
{
	return mix64(ctx ^ ((uint64_t)w << 32 | w));
}

/* The slot of (ctx, w), or of the empty slot where it goes, probing from
 * slot i, its home. */
static size_t gram_probe(const struct gram_table *t, size_t i, uint64_t ctx, uint32_t w)
{
	while (t->g[i].count && (t->g[i].ctx != ctx || t->g[i].w != w))
		i = hash_next_slot(i, t->cap);
	return i;
}

/* Make room for `more` new grams without growing. */
static void gram_reserve(struct gram_table *t, size_t more)
{
	size_t cap = t->cap ? t->cap : 4096;
	while ((t->n + more) * 10 > cap * 7)
		cap *= 2;
	if (cap == t->cap)
		return;
	struct gram_table bigger = { grams_new(cap), t->n, cap };
	/* The home slot grows with the key, so the old table's entries land
	 * in the new one in order: a sequential copy. */
	for (size_t i = 0; i < t->cap; i++)
		if (t->g[i].count) {
			size_t home = hash_slot(gram_key(t->g[i].ctx, t->g[i].w), cap);
			bigger.g[gram_probe(&bigger, home, t->g[i].ctx, t->g[i].w)] = t->g[i];
		}
	grams_free(t->g, t->cap);
	*t = bigger;
}

/* Count one more of (ctx, w) found from its home slot; returns 1 when it
 * is new. Room must be reserved. */
static int gram_add(struct gram_table *t, size_t home, uint64_t ctx, uint32_t w)
{
	struct gram *g = &t->g[gram_probe(t, home, ctx, w)];
	if (g->count) {
		if (g->count < UINT32_MAX)
			g->count++;
		return 0;
	}
	*g = (struct gram){ ctx, w, 1 };
	t->n++;
	return 1;
}

/* How many words a batch of counting looks up at once: the table slots
 * of a batch are prefetched before any is counted. */
#define BATCH 32

struct ngram_trainer {
	struct ngram_model m;	/* the vocabulary grows here */
	struct gram_table tab[NGRAM_MAX_ORDER + 1]; /* 2 .. order */
	uint32_t *uni;		/* the unigram level's counts, by id */
	size_t ucap;
	uint32_t *lengths;
	size_t nlengths, lcap;
	struct words ws;
	uint32_t *seq;
	size_t seqcap;
	uint64_t *whash;	/* the hashes of a document's words */
	size_t hcap;
};

struct ngram_trainer *ngram_trainer_new(unsigned order)
{
	if (order < 1 || order > NGRAM_MAX_ORDER)
		BUG("n-gram order %u", order);
	struct ngram_trainer *t = xcalloc(1, sizeof(*t));
	t->m.order = order;
	vocab_init(&t->m);
	words_init(&t->ws);
	return t;
}

/* Count the n-grams ending at seq[i] for i in [from, to): the one of the
 * highest order, and, each time an n-gram is new, once more, as a
 * continuation, the one of the order below. An order at a time: the
 * slots of the batch's n-grams of that order are computed and prefetched
 * first, so that their misses overlap, and the new ones go on to the
 * order below. */
static void count_batch(struct ngram_trainer *t, const uint32_t *seq, size_t from, size_t to)
{
	uint32_t at[BATCH];	/* the positions still to count */
	uint64_t ctx[BATCH];
	size_t home[BATCH], n = 0;
	for (size_t i = from; i < to; i++)
		at[n++] = (uint32_t)(i - from);
	seq += from;
	for (unsigned k = t->m.order; k >= 2 && n; k--) {
		struct gram_table *tab = &t->tab[k];
		gram_reserve(tab, n);
		for (size_t j = 0; j < n; j++) {
			const uint32_t *end = seq + at[j];
			ctx[j] = ctx_hash(end - (k - 1), k - 1);
			home[j] = hash_slot(gram_key(ctx[j], *end), tab->cap);
			__builtin_prefetch(&tab->g[home[j]], 1);
		}
		size_t fresh = 0;
		for (size_t j = 0; j < n; j++)
			if (gram_add(tab, home[j], ctx[j], seq[at[j]]))
				at[fresh++] = at[j];
		n = fresh;
	}
	for (size_t j = 0; j < n; j++)
		if (t->uni[seq[at[j]]] < UINT32_MAX)
			t->uni[seq[at[j]]]++;
}

/* The ids of the document's words [from, to) into ids[from, to), added
 * when new. A lookup is three dependent misses once the vocabulary
 * outgrows the caches (the word's slot, its offsets, its text), so the
 * batch goes through them a step at a time, prefetching the next: the
 * hashes and slots, then the first id whose slot has the hash's tag,
 * then its text, then the check of the text (or, for a new word or a
 * tag that lied, the whole lookup). */
static void intern_batch(struct ngram_trainer *t, size_t from, size_t to, uint32_t *ids)
{
	struct ngram_model *m = &t->m;
	const struct words *ws = &t->ws;
	for (size_t i = from; i < to; i++) {
		t->whash[i] = word_hash(ws->norm.buf + ws->w[i].off, ws->w[i].len);
		__builtin_prefetch(&m->vslot[hash_slot(t->whash[i], m->vcap)]);
	}
	for (size_t i = from; i < to; i++) {
		uint32_t tag = (uint32_t)t->whash[i];
		ids[i] = UINT32_MAX;
		for (size_t j = hash_slot(t->whash[i], m->vcap); m->vslot[j]; j = hash_next_slot(j, m->vcap))
			if ((uint32_t)(m->vslot[j] >> 32) == tag) {
				ids[i] = (uint32_t)m->vslot[j] - 1;
				__builtin_prefetch(&m->off[ids[i]]);
				break;
			}
	}
	for (size_t i = from; i < to; i++)
		if (ids[i] != UINT32_MAX)
			__builtin_prefetch(m->text.buf + m->off[ids[i]]);
	for (size_t i = from; i < to; i++) {
		const char *w = ws->norm.buf + ws->w[i].off;
		size_t n = ws->w[i].len, k;
		if (ids[i] != UINT32_MAX) {
			const char *v = word_of(m, ids[i], &k);
			if (k == n && !memcmp(v, w, n))
				continue;
		}
		ids[i] = vocab_intern(m, t->whash[i], w, n);
	}
}

void ngram_train(struct ngram_trainer *t, const char *s, size_t n)
{
	unsigned pad = t->m.order - 1;
	text_words(s, n, &t->ws);
	size_t len = pad + t->ws.n + 1;
	if (len > t->seqcap) {
		t->seqcap = grow_capacity(t->seqcap, len, 256);
		t->seq = xreallocarray(t->seq, t->seqcap, sizeof(*t->seq));
	}
	for (unsigned i = 0; i < pad; i++)
		t->seq[i] = NGRAM_BOS;
	if (t->ws.n > t->hcap) {
		t->hcap = grow_capacity(t->hcap, t->ws.n, 256);
		t->whash = xreallocarray(t->whash, t->hcap, sizeof(*t->whash));
	}
	for (size_t from = 0; from < t->ws.n; from += BATCH)
		intern_batch(t, from, t->ws.n - from < BATCH ? t->ws.n : from + BATCH, t->seq + pad);
	t->seq[len - 1] = NGRAM_EOS;
	if (t->m.nvocab > t->ucap) {
		size_t cap = grow_capacity(t->ucap, t->m.nvocab, 1024);
		t->uni = xreallocarray(t->uni, cap, sizeof(*t->uni));
		memset(t->uni + t->ucap, 0, (cap - t->ucap) * sizeof(*t->uni));
		t->ucap = cap;
	}
	for (size_t i = pad; i < len; i += BATCH)
		count_batch(t, t->seq, i, len - i < BATCH ? len : i + BATCH);
	if (t->nlengths == t->lcap) {
		t->lcap = grow_capacity(t->lcap, t->nlengths + 1, 1024);
		t->lengths = xreallocarray(t->lengths, t->lcap, sizeof(*t->lengths));
	}
	t->lengths[t->nlengths++] = t->ws.n > UINT32_MAX ? UINT32_MAX : (uint32_t)t->ws.n;
	t->m.tokens += t->ws.n;
}

/* Does gram x come before y in (ctx, w) order? */
static int gram_before(const struct gram *x, const struct gram *y)
{
	return x->ctx != y->ctx ? x->ctx < y->ctx : x->w < y->w;
}

static void gram_swap(struct gram *x, struct gram *y)
{
	struct gram t = *x;
	*x = *y;
	*y = t;
}

/* Sort g[0..n) by (ctx, w): quicksort on the median of three, down to
 * runs short enough for insertion sort, recursing into the smaller side
 * only. The keys are distinct. */
static void sort_grams(struct gram *g, size_t n)
{
	while (n > 16) {
		size_t mid = n / 2;
		if (gram_before(&g[mid], &g[0]))
			gram_swap(&g[mid], &g[0]);
		if (gram_before(&g[n - 1], &g[mid])) {
			gram_swap(&g[n - 1], &g[mid]);
			if (gram_before(&g[mid], &g[0]))
				gram_swap(&g[mid], &g[0]);
		}
		/* The pivot to the front; g[n - 1] bounds the scan up. */
		gram_swap(&g[0], &g[mid]);
		size_t i = 0, j = n - 1;
		for (;;) {
			do
				i++;
			while (gram_before(&g[i], &g[0]));
			do
				j--;
			while (gram_before(&g[0], &g[j]));
			if (i >= j)
				break;
			gram_swap(&g[i], &g[j]);
		}
		gram_swap(&g[0], &g[j]);
		/* g[0..j) before the pivot, g[j + 1..n) after it. */
		if (j < n - j - 1) {
			sort_grams(g, j);
			g += j + 1;
			n -= j + 1;
		} else {
			sort_grams(g + j + 1, n - j - 1);
			n = j;
		}
	}
	for (size_t i = 1; i < n; i++) {
		struct gram x = g[i];
		size_t j = i;
		for (; j > 0 && gram_before(&x, &g[j - 1]); j--)
			g[j] = g[j - 1];
		g[j] = x;
	}
}

static int by_value(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The bounds of a discount: each order keeps a share of every context's
 * mass for the orders below, so that no word's probability is 0. */
#define DISCOUNT_MIN 0.05
#define DISCOUNT_MAX 0.95

/* Ney's discount from the numbers of counts of one and of two. */
static double discount(uint64_t n1, uint64_t n2)
{
	if (!n1)
		return 0.5;
	double d = (double)n1 / (double)(n1 + 2 * n2);
	return d < DISCOUNT_MIN ? DISCOUNT_MIN : d > DISCOUNT_MAX ? DISCOUNT_MAX : d;
}

static void *level_array(size_t n, size_t size)
{
	void *p = xreallocarray(NULL, n ? n : 1, size);
	hint_huge_pages(p, n * size);
	return p;
}

/* How many grams ahead of the one taken the gather prefetches. */
#define GATHER_AHEAD 16

/* Fill level l from the grams of table t, sorted by (ctx, w); frees the
 * table. The contexts are hashes, so their top bits spread the grams
 * evenly over buckets of a few each: one pass lists the grams' slots by
 * bucket, and each bucket is gathered, sorted in the cache and written
 * out in turn. Moving slot numbers instead of grams, and writing the
 * level's arrays in order, keeps the memory touched small. */
static void level_from_table(struct ngram_level *l, struct gram_table *t)
{
	if (t->cap > UINT32_MAX)
		die("the n-gram model is too large");
	size_t n = t->n;
	unsigned bits = 1;
	while (bits < 16 && ((size_t)1 << bits) < n / 8)
		bits++;
	size_t nb = (size_t)1 << bits;
	uint32_t *at = xcalloc(nb + 1, sizeof(*at));
	uint64_t n1 = 0, n2 = 0;
	const struct gram *g = t->g;
	for (size_t i = 0; i < t->cap; i++)
		if (g[i].count) {
			at[(g[i].ctx >> (64 - bits)) + 1]++;
			n1 += g[i].count == 1;
			n2 += g[i].count == 2;
		}
	uint32_t most = 0;
	for (size_t b = 0; b < nb; b++) {
		most = at[b + 1] > most ? at[b + 1] : most;
		at[b + 1] += at[b];
	}
	uint32_t *slot = level_array(n, sizeof(*slot));
	for (size_t i = 0; i < t->cap; i++)
		if (g[i].count)
			slot[at[g[i].ctx >> (64 - bits)]++] = (uint32_t)i;
	/* at[b] is now where bucket b ends. */
	l->discount = discount(n1, n2);
	l->nconts = n;
	l->cont_w = level_array(n, sizeof(*l->cont_w));
	l->cont_c = level_array(n, sizeof(*l->cont_c));
	l->ctx = level_array(n, sizeof(*l->ctx));
	l->nctx = 0;
	struct gram *bucket = xreallocarray(NULL, most ? most : 1, sizeof(*bucket));
	for (size_t b = 0, from = 0; b < nb; from = at[b++]) {
		size_t len = at[b] - from;
		for (size_t j = 0; j < len; j++) {
			if (from + j + GATHER_AHEAD < n)
				__builtin_prefetch(&g[slot[from + j + GATHER_AHEAD]]);
			bucket[j] = g[slot[from + j]];
		}
		sort_grams(bucket, len);
		for (size_t j = 0; j < len; j++) {
			size_t i = from + j;
			if (!l->nctx || bucket[j].ctx != l->ctx[l->nctx - 1].hash)
				l->ctx[l->nctx++] = (struct ngram_ctx){ bucket[j].ctx, 0, (uint32_t)i, 0 };
			struct ngram_ctx *c = &l->ctx[l->nctx - 1];
			c->n++;
			c->total += bucket[j].count;
			l->cont_w[i] = bucket[j].w;
			l->cont_c[i] = bucket[j].count;
		}
	}
	l->ctx = xreallocarray(l->ctx, l->nctx ? l->nctx : 1, sizeof(*l->ctx));
	free(bucket);
	free(slot);
	free(at);
	grams_free(t->g, t->cap);
	t->g = NULL;
}

/* The context lookup, unigram probabilities and order of a model whose
 * arrays are filled. */
static void model_index(struct ngram_model *m)
{
	/* A trained model has its word table already. */
	if (!m->vslot)
		vocab_rebuild(m, 1024 > (size_t)m->nvocab * 2 ? 1024 : (size_t)m->nvocab * 2);
	for (unsigned k = 2; k <= m->order; k++) {
		struct ngram_level *l = &m->level[k];
		l->scap = 16;
		while (l->scap < 2 * l->nctx)
			l->scap *= 2;
		l->slot = xcalloc(l->scap, sizeof(*l->slot));
		hint_huge_pages(l->slot, l->scap * sizeof(*l->slot));
		for (size_t c = 0; c < l->nctx; c++) {
			size_t i = hash_slot(l->ctx[c].hash, l->scap);
			while (l->slot[i])
				i = hash_next_slot(i, l->scap);
			l->slot[i] = (uint32_t)c + 1;
		}
	}
	/* The unigram level: discounted counts, and what the discount frees
	 * spread evenly over the vocabulary (but the begin marker) and one
	 * unknown word. */
	uint64_t total = 0, types = 0, n1 = 0, n2 = 0;
	for (uint32_t w = 1; w < m->nvocab; w++) {
		total += m->uni_count[w];
		types += m->uni_count[w] > 0;
		n1 += m->uni_count[w] == 1;
		n2 += m->uni_count[w] == 2;
	}
	m->uni_discount = discount(n1, n2);
	double d = m->uni_discount;
	m->p_uni = xcalloc(m->nvocab, sizeof(*m->p_uni));
	m->p_unknown = total ? d * (double)types / (double)total / (double)m->nvocab : 1.0;
	for (uint32_t w = 1; w < m->nvocab; w++) {
		double c = (double)m->uni_count[w] - d;
		m->p_uni[w] = (c > 0 && total ? c / (double)total : 0) + m->p_unknown;
	}
	/* By count, most first, then by id: a stable least-significant-digit
	 * radix sort of the ids, in increasing order, on their counts'
	 * complements, a byte a pass. */
	size_t n = m->nvocab - 1;
	m->uni_order = xcalloc(m->nvocab, sizeof(*m->uni_order));
	uint32_t *tmp = xcalloc(m->nvocab, sizeof(*tmp)), *from = m->uni_order, *to = tmp;
	for (uint32_t i = 0; i < n; i++)
		from[i] = i + 1;
	for (unsigned shift = 0; shift < 32; shift += 8) {
		size_t at[257] = { 0 };
		for (size_t i = 0; i < n; i++)
			at[((UINT32_MAX - m->uni_count[from[i]]) >> shift & 0xff) + 1]++;
		for (unsigned b = 0; b < 256; b++)
			at[b + 1] += at[b];
		for (size_t i = 0; i < n; i++)
			to[at[(UINT32_MAX - m->uni_count[from[i]]) >> shift & 0xff]++] = from[i];
		uint32_t *x = from;
		from = to;
		to = x;
	}
	/* Four passes: the sorted ids are back in uni_order. */
	free(tmp);
}

void ngram_finish(struct ngram_trainer *t, struct ngram_model *m)
{
	*m = t->m;
	for (unsigned k = 2; k <= m->order; k++)
		level_from_table(&m->level[k], &t->tab[k]);
	/* The unigram counts, by id, for every word of the vocabulary. */
	m->uni_count = xreallocarray(t->uni, m->nvocab, sizeof(*m->uni_count));
	if (t->ucap < m->nvocab)
		memset(m->uni_count + t->ucap, 0, (m->nvocab - t->ucap) * sizeof(*m->uni_count));
	/* No documents: no array of lengths, and qsort() must not see NULL. */
	if (t->nlengths)
		qsort(t->lengths, t->nlengths, sizeof(*t->lengths), by_value);
	m->lengths = t->lengths;
	m->nlengths = t->nlengths;
	words_release(&t->ws);
	free(t->seq);
	free(t->whash);
	free(t);
	model_index(m);
}

void ngram_release(struct ngram_model *m)
{
	strbuf_release(&m->text);
	free(m->off);
	free(m->vslot);
	for (unsigned k = 2; k <= m->order && k <= NGRAM_MAX_ORDER; k++) {
		struct ngram_level *l = &m->level[k];
		free(l->ctx);
		free(l->cont_w);
		free(l->cont_c);
		free(l->slot);
	}
	free(m->uni_count);
	free(m->p_uni);
	free(m->uni_order);
	free(m->lengths);
	memset(m, 0, sizeof(*m));
}

/* --- Probabilities ------------------------------------------------------- */

static const struct ngram_ctx *find_ctx(const struct ngram_level *l, uint64_t h)
{
	for (size_t i = hash_slot(h, l->scap); l->slot[i]; i = hash_next_slot(i, l->scap))
		if (l->ctx[l->slot[i] - 1].hash == h)
			return &l->ctx[l->slot[i] - 1];
	return NULL;
}

/* The count of w among a context's continuations (sorted by word). */
static uint32_t cont_count(const struct ngram_level *l, const struct ngram_ctx *c, uint32_t w)
{
	size_t lo = c->first, hi = (size_t)c->first + c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->cont_w[mid] < w)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < (size_t)c->first + c->n && l->cont_w[lo] == w ? l->cont_c[lo] : 0;
}

/* The last order - 1 words of hist, padded in front with begin markers. */
static void padded_history(const struct ngram_model *m, const uint32_t *hist, size_t n,
			   uint32_t *out)
{
	unsigned want = m->order - 1;
	for (unsigned i = 0; i < want; i++)
		out[i] = i + n >= want ? hist[i + n - want] : NGRAM_BOS;
}

/* P(w | a history whose context at order k is c[k], or NULL when unseen),
 * for k in 2 .. order. */
static double prob_in(const struct ngram_model *m, const struct ngram_ctx *const *c, uint32_t w)
{
	int known = w < m->nvocab;
	double p = known ? m->p_uni[w] : m->p_unknown;
	for (unsigned k = 2; k <= m->order; k++) {
		const struct ngram_level *l = &m->level[k];
		if (!c[k])
			continue;
		double cw = known ? (double)cont_count(l, c[k], w) - l->discount : 0;
		double total = (double)c[k]->total;
		p = (cw > 0 ? cw / total : 0) + l->discount * (double)c[k]->n / total * p;
	}
	return p;
}

double ngram_prob(const struct ngram_model *m, const uint32_t *hist, size_t n, uint32_t w)
{
	uint32_t h[NGRAM_MAX_ORDER];
	padded_history(m, hist, n, h);
	const struct ngram_ctx *c[NGRAM_MAX_ORDER + 1];
	for (unsigned k = 2; k <= m->order; k++)
		c[k] = find_ctx(&m->level[k], ctx_hash(h + m->order - k, k - 1));
	return prob_in(m, c, w);
}

/* How many words a lookup of a document's words or probabilities takes
 * at once, its memory prefetched ahead. */
#define LOOKUP_BATCH 32

size_t ngram_ids(const struct ngram_model *m, const char *s, size_t n, uint32_t **ids,
		 size_t *len, size_t *cap)
{
	struct words ws;
	words_init(&ws);
	text_words(s, n, &ws);
	if (*len + ws.n > *cap) {
		*cap = grow_capacity(*cap, *len + ws.n, 256);
		*ids = xreallocarray(*ids, *cap, sizeof(**ids));
	}
	/* A batch's hashes first, their slots prefetched, then the lookups. */
	for (size_t from = 0; from < ws.n; from += LOOKUP_BATCH) {
		size_t to = ws.n - from < LOOKUP_BATCH ? ws.n : from + LOOKUP_BATCH;
		uint64_t hash[LOOKUP_BATCH];
		for (size_t i = from; i < to; i++) {
			hash[i - from] = word_hash(ws.norm.buf + ws.w[i].off, ws.w[i].len);
			if (m->vcap)
				__builtin_prefetch(&m->vslot[hash_slot(hash[i - from], m->vcap)]);
		}
		for (size_t i = from; i < to; i++)
			(*ids)[(*len)++] = vocab_find(m, hash[i - from], ws.norm.buf + ws.w[i].off,
						      ws.w[i].len);
	}
	size_t added = ws.n;
	words_release(&ws);
	return added;
}

/* --- Sampling ------------------------------------------------------------ */

struct pick {
	uint32_t w;
	double q;
};

struct ngram_sampler {
	const struct ngram_model *m;
	double inv_t, top_p;
	double *uni_cum;	/* cumulative p_uni along uni_order, markers left out */
	double uni_all;		/* and with the end marker and the unknown word */
	double rest_total;	/* the sum of p_uni^(1/T) over every word but the markers */
	double *q;		/* by id: a candidate's weight */
	unsigned char *mark;	/* by id: a candidate */
	struct pick *cand, *nucleus;
	size_t ncand, ccap, ncap;
};

static double power(double x, double e)
{
	return e == 1 ? x : pow(x, e);
}

struct ngram_sampler *ngram_sampler_new(const struct ngram_model *m, double temperature,
					double top_p)
{
	struct ngram_sampler *s = xcalloc(1, sizeof(*s));
	s->m = m;
	s->inv_t = 1 / temperature;
	s->top_p = top_p;
	for (uint32_t w = 2; w < m->nvocab; w++)
		s->rest_total += power(m->p_uni[w], s->inv_t);
	s->uni_cum = xcalloc(m->nvocab, sizeof(*s->uni_cum));
	double cum = 0;
	for (uint32_t i = 0; i + 1 < m->nvocab; i++) {
		uint32_t w = m->uni_order[i];
		cum += w >= 2 ? m->p_uni[w] : 0;
		s->uni_cum[i] = cum;
	}
	s->uni_all = (m->nvocab > 1 ? s->uni_cum[m->nvocab - 2] : 0) + m->p_uni[NGRAM_EOS] + m->p_unknown;
	s->q = xcalloc(m->nvocab, sizeof(*s->q));
	s->mark = xcalloc(m->nvocab, 1);
	return s;
}

void ngram_sampler_free(struct ngram_sampler *s)
{
	if (!s)
		return;
	free(s->q);
	free(s->mark);
	free(s->uni_cum);
	free(s->cand);
	free(s->nucleus);
	free(s);
}

/* Does x come before y: heavier, or as heavy with a smaller id? */
static int before(const struct pick *x, const struct pick *y)
{
	return x->q != y->q ? x->q > y->q : x->w < y->w;
}

static void sift_down(struct pick *h, size_t n, size_t i)
{
	for (;;) {
		size_t top = i, l = 2 * i + 1, r = l + 1;
		if (l < n && before(&h[l], &h[top]))
			top = l;
		if (r < n && before(&h[r], &h[top]))
			top = r;
		if (top == i)
			return;
		struct pick t = h[i];
		h[i] = h[top];
		h[top] = t;
		i = top;
	}
}

/* At temperature 1 without a nucleus, a draw walks down the levels: the
 * highest level whose context was seen gives a word in proportion to its
 * discounted counts with probability 1 - gamma (what the discount left
 * it), or passes the draw down; the unigram level draws by p_uni (the
 * unknown word's share included). That is exactly the interpolated
 * distribution, in time proportional to the continuations of the levels
 * visited. The end marker and the unknown word are drawn again, from the
 * top; after SAMPLE_REDRAWS of them in a row (a context followed by the
 * end marker a million times and by nothing else, which a model can
 * hold) the draw goes to the unigram level's words alone, so that no
 * draw takes unbounded time. The cap is far above what trained
 * models reach (a context after which the marker has 99% of the mass
 * needs it once in 10^43 draws), so the draws stay exact. */
#define SAMPLE_REDRAWS 10000

static uint32_t sample_plain(struct ngram_sampler *s, const uint32_t *h, struct prng *r)
{
	const struct ngram_model *m = s->m;
	for (unsigned tries = 0;; tries++) {
		uint32_t w = UINT32_MAX;
		for (unsigned k = m->order; k >= 2 && w == UINT32_MAX && tries < SAMPLE_REDRAWS; k--) {
			const struct ngram_level *l = &m->level[k];
			const struct ngram_ctx *c = find_ctx(l, ctx_hash(h + m->order - k, k - 1));
			if (!c)
				continue;
			double total = (double)c->total, keep = total - l->discount * (double)c->n;
			double u = prng_uniform(r) * total;
			if (u >= keep)
				continue;
			for (uint32_t j = c->first; j < c->first + c->n; j++) {
				u -= (double)l->cont_c[j] - l->discount;
				if (u < 0 || j + 1 == c->first + c->n) {
					w = l->cont_w[j];
					break;
				}
			}
		}
		if (w == UINT32_MAX) {
			/* The end marker and the unknown word drawn here are
			 * drawn again from the top, as at the other levels. */
			size_t n = m->nvocab - 1, lo = 0, hi = n - 1;
			double u = prng_uniform(r) * (tries < SAMPLE_REDRAWS ? s->uni_all : s->uni_cum[n - 1]);
			if (u >= s->uni_cum[n - 1])
				continue;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (s->uni_cum[mid] <= u)
					lo = mid + 1;
				else
					hi = mid;
			}
			w = m->uni_order[lo];
		}
		if (w >= 2)
			return w;
	}
}

/* The probability of the next word is the unigram probability times A,
 * plus, for the words seen after some context of the history (the
 * candidates), what those contexts give them. The candidates are listed
 * and weighed; every other word keeps the unigram order, so the words in
 * order of weight are a merge of the two lists. */
uint32_t ngram_sample(struct ngram_sampler *s, const uint32_t *hist, size_t n, struct prng *r)
{
	const struct ngram_model *m = s->m;
	uint32_t h[NGRAM_MAX_ORDER];
	padded_history(m, hist, n, h);
	if (s->inv_t == 1 && s->top_p >= 1)
		return sample_plain(s, h, r);
	double a = 1;
	s->ncand = 0;
	for (unsigned k = m->order; k >= 2; k--) {
		const struct ngram_level *l = &m->level[k];
		const struct ngram_ctx *c = find_ctx(l, ctx_hash(h + m->order - k, k - 1));
		if (!c)
			continue;
		double total = (double)c->total;
		for (uint32_t j = c->first; j < c->first + c->n; j++) {
			uint32_t w = l->cont_w[j];
			if (!s->mark[w]) {
				s->mark[w] = 1;
				s->q[w] = 0;
				if (s->ncand == s->ccap) {
					s->ccap = grow_capacity(s->ccap, s->ncand + 1, 256);
					s->cand = xreallocarray(s->cand, s->ccap, sizeof(*s->cand));
				}
				s->cand[s->ncand++].w = w;
			}
			double cw = (double)l->cont_c[j] - l->discount;
			if (cw > 0)
				s->q[w] += a * cw / total;
		}
		a *= l->discount * (double)c->n / total;
	}
	/* Weights: p^(1/T), the markers excluded. */
	double cand_sum = 0, cand_uni = 0;
	for (size_t i = 0; i < s->ncand; i++) {
		uint32_t w = s->cand[i].w;
		double q = 0;
		if (w >= 2) {
			q = power(s->q[w] + a * m->p_uni[w], s->inv_t);
			cand_uni += power(m->p_uni[w], s->inv_t);
		}
		s->cand[i].q = q;
		cand_sum += q;
	}
	double scale = power(a, s->inv_t);
	double rest = scale * (s->rest_total - cand_uni);
	if (rest < 0)
		rest = 0;
	double z = cand_sum + rest;
	/* The candidates in a heap, heaviest on top: only as many are taken
	 * out in order as the walk needs. Taken ones move past its end. */
	size_t heap = s->ncand;
	for (size_t k = heap / 2; k-- > 0;)
		sift_down(s->cand, heap, k);

	/* Walk the words by weight: to a target drawn over all of them, or,
	 * with a nucleus, collecting it first. */
	int nucleus = s->top_p < 1;
	double goal = nucleus ? s->top_p * z : prng_uniform(r) * z, sum = 0;
	size_t j = 0, nn = 0;
	uint32_t last = UINT32_MAX;
	for (;;) {
		while (j + 1 < m->nvocab && (m->uni_order[j] < 2 || s->mark[m->uni_order[j]]))
			j++;
		double qc = heap ? s->cand[0].q : -1;
		double qu = j + 1 < m->nvocab ? scale * power(m->p_uni[m->uni_order[j]], s->inv_t) : -1;
		if (qc < 0 && qu < 0)
			break;
		struct pick p;
		if (qc >= qu) {
			p = s->cand[0];
			s->cand[0] = s->cand[--heap];
			s->cand[heap] = p;
			sift_down(s->cand, heap, 0);
		} else
			p = (struct pick){ m->uni_order[j++], qu };
		if (p.q <= 0)
			break;
		sum += p.q;
		last = p.w;
		if (nucleus) {
			if (nn == s->ncap) {
				s->ncap = grow_capacity(s->ncap, nn + 1, 256);
				s->nucleus = xreallocarray(s->nucleus, s->ncap, sizeof(*s->nucleus));
			}
			s->nucleus[nn++] = p;
		}
		if (sum >= goal)
			break;
	}
	if (nucleus && nn) {
		double u = prng_uniform(r) * sum, acc = 0;
		last = s->nucleus[nn - 1].w;
		for (size_t k = 0; k < nn; k++) {
			acc += s->nucleus[k].q;
			if (u < acc) {
				last = s->nucleus[k].w;
				break;
			}
		}
	}
	for (size_t k = 0; k < s->ncand; k++)
		s->mark[s->cand[k].w] = 0;
	if (last == UINT32_MAX)
		BUG("n-gram model: nothing to sample");
	return last;
}

uint64_t ngram_sample_length(const struct ngram_model *m, struct prng *r)
{
	return m->nlengths ? m->lengths[prng_below(r, m->nlengths)] : 0;
}

/* --- Files --------------------------------------------------------------- */

static void put_double(unsigned char *p, double d)
{
	memcpy(p, &d, 8);
}

static double get_double(const unsigned char *p)
{
	double d;
	memcpy(&d, p, 8);
	return d;
}

static void write32s(struct file_frame_writer *w, const uint32_t *v, size_t n)
{
	file_frame_write(w, v, n * sizeof(*v));
}

void ngram_write(const struct ngram_model *m, struct output *out)
{
	unsigned char h[HEADER_BYTES] = { 0 };
	put32(h + 16, m->order);
	put32(h + 20, m->nvocab);
	put64(h + 24, m->text.len);
	put64(h + 32, m->nlengths);
	put64(h + 40, m->tokens);
	struct file_frame_writer w;
	file_frame_begin(&w, &model_frame, h, out);
	for (unsigned k = 2; k <= m->order; k++) {
		unsigned char lh[LEVEL_HEADER_BYTES];
		put64(lh, m->level[k].nctx);
		put64(lh + 8, m->level[k].nconts);
		put_double(lh + 16, m->level[k].discount);
		file_frame_write(&w, lh, sizeof(lh));
	}
	write32s(&w, m->off, (size_t)m->nvocab + 1);
	file_frame_write(&w, m->text.buf, m->text.len);
	write32s(&w, m->uni_count, m->nvocab);
	for (unsigned k = 2; k <= m->order; k++) {
		const struct ngram_level *l = &m->level[k];
		/* The contexts a chunk at a time: a write (and a checksum
		 * update) per 24 bytes would cost more than the encoding. */
		unsigned char e[24 * 1024];
		size_t fill = 0;
		for (size_t c = 0; c < l->nctx; c++) {
			put64(e + fill, l->ctx[c].hash);
			put64(e + fill + 8, l->ctx[c].total);
			put32(e + fill + 16, l->ctx[c].first);
			put32(e + fill + 20, l->ctx[c].n);
			fill += 24;
			if (fill == sizeof(e) || c + 1 == l->nctx) {
				file_frame_write(&w, e, fill);
				fill = 0;
			}
		}
		write32s(&w, l->cont_w, l->nconts);
		write32s(&w, l->cont_c, l->nconts);
	}
	write32s(&w, m->lengths, m->nlengths);
	file_frame_end(&w);
}


static uint32_t *take32s(struct byte_reader *r, uint64_t n)
{
	if (n > UINT64_MAX / 4)
		n = UINT64_MAX / 4;
	const unsigned char *at = byte_take(r, n * 4);
	if (!at)
		return NULL;
	uint32_t *v = level_array(n, sizeof(*v));
	memcpy(v, at, n * 4);
	return v;
}

static int parse_fail(struct ngram_model *m, struct strbuf *err, const char *why)
{
	if (why)
		strbuf_addstr(err, why);
	ngram_release(m);
	return -1;
}

/* The length of the model file buf[0..n) as its header and its levels'
 * headers promise it. A file cut short in the levels' headers is longer
 * than any. */
static uint64_t model_length(const unsigned char *buf, size_t n)
{
	uint32_t order = n >= HEADER_BYTES ? get32(buf + 16) : 0;
	if (order < 1 || order > NGRAM_MAX_ORDER)
		return FILE_FRAME_ANY_LENGTH;
	uint64_t levels = (uint64_t)LEVEL_HEADER_BYTES * (order - 1);
	if (n - HEADER_BYTES < levels)
		return UINT64_MAX;
	/* The words' offsets, their text, the unigram counts; a level's
	 * contexts and two arrays of continuations; the lengths. */
	uint64_t nvocab = get32(buf + 20), body = levels + 8 * nvocab + 4;
	int overflow = __builtin_add_overflow(body, get64(buf + 24), &body);
	for (unsigned k = 2; k <= order; k++) {
		const unsigned char *lh = buf + HEADER_BYTES + LEVEL_HEADER_BYTES * (k - 2);
		uint64_t nctx = get64(lh), nconts = get64(lh + 8), b;
		overflow |= __builtin_mul_overflow(nctx, (uint64_t)24, &b) ||
			    __builtin_add_overflow(body, b, &body) ||
			    __builtin_mul_overflow(nconts, (uint64_t)8, &b) ||
			    __builtin_add_overflow(body, b, &body);
	}
	uint64_t b;
	overflow |= __builtin_mul_overflow(get64(buf + 32), (uint64_t)4, &b) ||
		    __builtin_add_overflow(body, b, &body);
	return file_frame_length(&model_frame, body, overflow);
}

int ngram_parse(struct ngram_model *m, const unsigned char *buf, size_t n, struct strbuf *err)
{
	memset(m, 0, sizeof(*m));
	if (file_frame_check(&model_frame, buf, n, model_length(buf, n), err) < 0) {
		if (n >= 12 && !memcmp(buf, model_frame.magic, 8) && get32(buf + 8) == 1)
			strbuf_addstr(err, " (its words were split at white space: "
					   "train it again with synth-gen markov --train)");
		return parse_fail(m, err, NULL);
	}
	struct byte_reader r = { buf + HEADER_BYTES, buf + n - 8, 0 };
	m->order = get32(buf + 16);
	m->nvocab = get32(buf + 20);
	uint64_t text_len = get64(buf + 24);
	m->nlengths = get64(buf + 32);
	m->tokens = get64(buf + 40);
	if (m->order < 1 || m->order > NGRAM_MAX_ORDER || m->nvocab < 3 || m->nvocab == UINT32_MAX ||
	    text_len > UINT32_MAX) {
		m->order = 0;
		return parse_fail(m, err, "corrupt: a bad header");
	}
	for (unsigned k = 2; k <= m->order; k++) {
		const unsigned char *lh = byte_take(&r, LEVEL_HEADER_BYTES);
		if (!lh)
			return parse_fail(m, err, "truncated");
		m->level[k].nctx = get64(lh);
		m->level[k].nconts = get64(lh + 8);
		m->level[k].discount = get_double(lh + 16);
		if (m->level[k].nctx > m->level[k].nconts || m->level[k].nconts >= UINT32_MAX ||
		    !(m->level[k].discount >= DISCOUNT_MIN && m->level[k].discount <= DISCOUNT_MAX))
			return parse_fail(m, err, "corrupt: a bad level header");
	}
	m->off = take32s(&r, (uint64_t)m->nvocab + 1);
	const unsigned char *text = byte_take(&r, text_len);
	m->uni_count = take32s(&r, m->nvocab);
	if (r.short_read)
		return parse_fail(m, err, "truncated");
	strbuf_add(&m->text, text, text_len);
	if (m->off[0] || m->off[1] || m->off[2] || m->off[m->nvocab] != text_len)
		return parse_fail(m, err, "corrupt: bad word offsets");
	for (uint32_t i = 0; i < m->nvocab; i++)
		if (m->off[i] > m->off[i + 1])
			return parse_fail(m, err, "corrupt: bad word offsets");
	/* The unigram level shares out its counts: with none, the uniform
	 * part alone would give every word probability 1. */
	uint64_t counted = 0;
	for (uint32_t w = 1; w < m->nvocab; w++)
		counted += m->uni_count[w];
	if (!counted)
		return parse_fail(m, err, "corrupt: no word counted");
	/* Sampled words are written into JSON strings: each word is text. */
	for (uint32_t i = 2; i < m->nvocab; i++)
		if (m->off[i] == m->off[i + 1] ||
		    !utf8_valid(m->text.buf + m->off[i], m->off[i + 1] - m->off[i]))
			return parse_fail(m, err, "corrupt: a word that is not text");
	for (unsigned k = 2; k <= m->order; k++) {
		struct ngram_level *l = &m->level[k];
		/* The contexts are in the file before room is made for them:
		 * a header's count alone could ask for any amount. */
		const unsigned char *e = byte_take(&r, (uint64_t)l->nctx * 24);
		if (!e)
			return parse_fail(m, err, "truncated");
		l->ctx = level_array(l->nctx, sizeof(*l->ctx));
		for (size_t c = 0; c < l->nctx; c++, e += 24)
			l->ctx[c] = (struct ngram_ctx){ get64(e), get64(e + 8), get32(e + 16), get32(e + 20) };
		l->cont_w = take32s(&r, l->nconts);
		l->cont_c = take32s(&r, l->nconts);
		if (r.short_read)
			return parse_fail(m, err, "truncated");
		for (size_t c = 0; c < l->nctx; c++) {
			const struct ngram_ctx *x = &l->ctx[c];
			if (!x->n || (uint64_t)x->first + x->n > l->nconts ||
			    (c && x->hash <= l->ctx[c - 1].hash))
				return parse_fail(m, err, "corrupt: bad contexts");
			uint64_t sum = 0;
			for (uint32_t j = x->first; j < x->first + x->n; j++) {
				if (l->cont_w[j] >= m->nvocab || !l->cont_c[j] ||
				    (j > x->first && l->cont_w[j] <= l->cont_w[j - 1]))
					return parse_fail(m, err, "corrupt: bad continuations");
				sum += l->cont_c[j];
			}
			/* The probabilities after a context are shares of its
			 * total: they sum to 1 only when it is their counts'. */
			if (sum != x->total)
				return parse_fail(m, err, "corrupt: bad contexts");
		}
	}
	m->lengths = take32s(&r, m->nlengths);
	if (r.short_read)
		return parse_fail(m, err, "truncated");
	if (r.p != r.end)
		return parse_fail(m, err, "corrupt: bytes after the end");
	model_index(m);
	/* A word listed twice would be looked up as one of its ids only. */
	for (uint32_t i = 2; i < m->nvocab; i++) {
		size_t len;
		const char *w = word_of(m, i, &len);
		if (ngram_word_id(m, w, len) != i)
			return parse_fail(m, err, "corrupt: a word listed twice");
	}
	return 0;
}

static int parse_model(void *obj, const unsigned char *buf, size_t n, struct strbuf *err)
{
	return ngram_parse(obj, buf, n, err);
}

int ngram_load(struct ngram_model *m, const char *path)
{
	memset(m, 0, sizeof(*m));
	return file_frame_load(path, FILE_REQUIRED, parse_model, m) == FILE_LOADED ? 0 : -1;
}

double ngram_perplexity(const struct ngram_model *m, const char *s, size_t n, uint32_t **ids,
			size_t *cap)
{
	/* The words as ids after order - 1 begin markers, and the end marker:
	 * word i of the document, or the end marker at i = len, has its
	 * history in the order - 1 ids before it. */
	unsigned pad = m->order - 1;
	size_t len = pad;
	if (*cap < len) {
		*cap = grow_capacity(*cap, len, 256);
		*ids = xreallocarray(*ids, *cap, sizeof(**ids));
	}
	for (unsigned i = 0; i < pad; i++)
		(*ids)[i] = NGRAM_BOS;
	ngram_ids(m, s, n, ids, &len, cap);
	if (len == *cap) {
		*cap = grow_capacity(*cap, len + 1, 256);
		*ids = xreallocarray(*ids, *cap, sizeof(**ids));
	}
	(*ids)[len++] = NGRAM_EOS;
	const uint32_t *seq = *ids;
	/* A batch of words at a time: the contexts' hashes and their slots
	 * prefetched, then the contexts found and their continuations
	 * prefetched, then the probabilities, in order. */
	double sum = 0;
	for (size_t from = pad; from < len; from += LOOKUP_BATCH) {
		size_t to = len - from < LOOKUP_BATCH ? len : from + LOOKUP_BATCH;
		uint64_t hash[LOOKUP_BATCH][NGRAM_MAX_ORDER + 1];
		const struct ngram_ctx *c[LOOKUP_BATCH][NGRAM_MAX_ORDER + 1];
		for (size_t i = from; i < to; i++)
			for (unsigned k = 2; k <= m->order; k++) {
				const struct ngram_level *l = &m->level[k];
				hash[i - from][k] = ctx_hash(seq + i - (k - 1), k - 1);
				__builtin_prefetch(&l->slot[hash_slot(hash[i - from][k], l->scap)]);
			}
		for (size_t i = from; i < to; i++)
			for (unsigned k = 2; k <= m->order; k++) {
				const struct ngram_level *l = &m->level[k];
				const struct ngram_ctx *x = find_ctx(l, hash[i - from][k]);
				c[i - from][k] = x;
				if (x)
					__builtin_prefetch(&l->cont_w[x->first + x->n / 2]);
			}
		for (size_t i = from; i < to; i++)
			sum -= log(prob_in(m, c[i - from], seq[i]));
	}
	return exp(sum / (double)(len - pad));
}
