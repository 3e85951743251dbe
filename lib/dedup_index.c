/* dedup_index.c: the exact and near-duplicate indexes; see dedup_index.h.
 *
 * Both kinds of table place a key at slot floor(key * cap / 2^64) and
 * probe linearly, so that a table can grow by any factor: by a quarter
 * for the exact table (which keeps it between 68 and 85 per cent full)
 * and by half for the band tables, whose probes each read a signature
 * elsewhere in memory and so are kept shorter.
 */
#include "dedup_index.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bytes.h"
#include "diag.h"
#include "file_frame.h"
#include "json.h"
#include "output.h"

#define INDEX_HEADER 72

static const struct file_frame index_frame = {
	.magic = "SYNTHDDX", .version = 2, .header = INDEX_HEADER,
	.kind = "a synth-dedup index",
};

/* A capacity of at least need, growing by a quarter (or to min). */
static size_t grow_quarter(size_t cap, size_t need, size_t min)
{
	size_t c = cap < min ? min : cap;
	while (c < need)
		c = size_add(c, c / 4 + 1);
	return c;
}

void id_list_push(struct id_list *l, const char *id, size_t len)
{
	if (l->n >= l->cap) {
		l->cap = grow_quarter(l->cap, l->n + 1, 1024);
		l->end = xreallocarray(l->end, l->cap, sizeof(*l->end));
	}
	strbuf_add(&l->text, id, len);
	l->end[l->n++] = l->text.len;
}

void id_list_release(struct id_list *l)
{
	strbuf_release(&l->text);
	free(l->end);
	memset(l, 0, sizeof(*l));
	strbuf_init(&l->text);
}

size_t id_list_memory(const struct id_list *l)
{
	return l->text.cap + l->cap * sizeof(*l->end);
}

void dedup_index_init(struct dedup_index *x, const struct dedup_params *p,
		      const struct minhash *mh, int keep_ids)
{
	memset(x, 0, sizeof(*x));
	x->p = *p;
	x->mh = mh;
	x->keep_ids = keep_ids;
	strbuf_init(&x->ids.text);
	strbuf_init(&x->recent_keys);
	if (p->mode == DEDUP_NEAR) {
		x->sig_bytes = minhash_sig_bytes(mh);
		x->band = xcalloc(mh->bands, sizeof(*x->band));
		for (unsigned b = 0; b < mh->bands; b++)
			x->band[b].tagged = 1;
	}
}

void dedup_index_release(struct dedup_index *x)
{
	id_list_release(&x->ids);
	free(x->hslot);
	free(x->hentry);
	for (size_t i = 0; i < x->sig_chunks; i++)
		table_free(x->sig_chunk[i], x->sig_bytes * DEDUP_SIG_CHUNK);
	free(x->sig_chunk);
	for (unsigned b = 0; x->band && b < x->mh->bands; b++)
		table_free(x->band[b].slot, x->band[b].cap * sizeof(*x->band[b].slot));
	free(x->band);
	strbuf_release(&x->recent_keys);
	memset(x, 0, sizeof(*x));
	strbuf_init(&x->ids.text);
	strbuf_init(&x->recent_keys);
}

static void ids_push(struct dedup_index *x, const char *id, size_t idlen)
{
	if (x->keep_ids)
		id_list_push(&x->ids, id, idlen);
}

/* --- Exact mode -------------------------------------------------------- */

static inline int hash_empty(struct hash128 h)
{
	return !h.lo && !h.hi;
}

/* The all-zero hash marks an empty slot; a text that hashes to it (one
 * chance in 2^128) is stored as if it hashed to 1. */
static inline struct hash128 storable(struct hash128 h)
{
	if (hash_empty(h))
		h.lo = 1;
	return h;
}

static void exact_place(struct hash128 *slot, uint32_t *entry, size_t cap,
			struct hash128 h, uint32_t e)
{
	size_t i = hash_slot(h.lo, cap);
	while (!hash_empty(slot[i]))
		i = hash_next_slot(i, cap);
	slot[i] = h;
	if (entry)
		entry[i] = e;
}

static void exact_grow(struct dedup_index *x)
{
	size_t cap = grow_quarter(x->hcap, x->hcap + 1, 1024);
	struct hash128 *slot = xcalloc(cap, sizeof(*slot));
	uint32_t *entry = x->keep_ids ? xcalloc(cap, sizeof(*entry)) : NULL;
	for (size_t i = 0; i < x->hcap; i++)
		if (!hash_empty(x->hslot[i]))
			exact_place(slot, entry, cap, x->hslot[i], x->hentry ? x->hentry[i] : 0);
	free(x->hslot);
	free(x->hentry);
	x->hslot = slot;
	x->hentry = entry;
	x->hcap = cap;
}

int64_t dedup_exact_find(const struct dedup_index *x, struct hash128 h)
{
	if (!x->hcap)
		return -1;
	h = storable(h);
	for (size_t i = hash_slot(h.lo, x->hcap); !hash_empty(x->hslot[i]); i = hash_next_slot(i, x->hcap))
		if (x->hslot[i].lo == h.lo && x->hslot[i].hi == h.hi)
			return x->hentry ? x->hentry[i] : 0;
	return -1;
}

static void exact_insert(struct dedup_index *x, struct hash128 h, uint32_t e)
{
	/* Grow past 85 per cent full. */
	if ((x->n + 1) * 20 > (uint64_t)x->hcap * 17)
		exact_grow(x);
	exact_place(x->hslot, x->hentry, x->hcap, storable(h), e);
}

void dedup_exact_add(struct dedup_index *x, struct hash128 h, const char *id, size_t idlen)
{
	if (x->n >= UINT32_MAX)
		die("the index is full: %llu records", (unsigned long long)x->n);
	exact_insert(x, h, (uint32_t)x->n);
	ids_push(x, id, idlen);
	x->n++;
}

/* --- Near mode --------------------------------------------------------- */

static inline const unsigned char *sig_of(const struct dedup_index *x, uint64_t i)
{
	return dedup_near_sig(x, i);
}

/* A band slot holds a record number + 1, or 0 when empty. While every
 * record number + 1 fits in BAND_REC_BITS bits, the bits above hold a
 * tag: bits of the band's key that the slot's position does not use. A
 * probe then passes over the slots of other keys without reading their
 * record's signature, a cache miss each, which was most of the cost of a
 * lookup; only a tag that agrees (one slot of another key in 256) costs
 * the signature's band. */
#define BAND_REC_BITS 24
#define BAND_REC_MASK ((UINT32_C(1) << BAND_REC_BITS) - 1)

static inline uint32_t band_tag(uint64_t key)
{
	return (uint32_t)key >> BAND_REC_BITS;
}

/* The slot's value for record e under key in table t. */
static inline uint32_t band_value(const struct band_table *t, uint32_t e, uint64_t key)
{
	return t->tagged ? band_tag(key) << BAND_REC_BITS | (e + 1) : e + 1;
}

static void band_place(uint32_t *t, size_t cap, uint64_t key, uint32_t v)
{
	size_t i = hash_slot(key, cap);
	while (t[i])
		i = hash_next_slot(i, cap);
	t[i] = v;
}

/* The capacity band tables need for n records: grown by half from cap
 * (at least 1024) until they are at most 75 per cent full. */
static size_t band_cap_for(size_t cap, uint64_t n)
{
	size_t c = cap < 1024 ? 1024 : cap;
	while (n * 4 > (uint64_t)c * 3)
		c = size_add(c, c / 2);
	return c;
}

/* Rebuild band b's table with cap slots for records [0, x->n), tagged
 * or not: its table is written in random order, and one table fits a
 * cache better than all of them. */
static void band_rebuild(struct dedup_index *x, unsigned b, size_t cap, int tagged)
{
	struct band_table *t = &x->band[b];
	table_free(t->slot, t->cap * sizeof(*t->slot));
	t->slot = table_alloc(size_mul(cap, sizeof(*t->slot)));
	t->cap = cap;
	t->tagged = tagged;
	/* The slot of a record AHEAD records on is fetched while this one
	 * is placed. */
	enum { AHEAD = 16 };
	uint64_t key[AHEAD];
	for (uint64_t e = 0; e < x->n + AHEAD; e++) {
		if (e >= AHEAD) {
			uint64_t k = key[e % AHEAD];
			band_place(t->slot, cap, k, band_value(t, (uint32_t)(e - AHEAD), k));
		}
		if (e < x->n) {
			key[e % AHEAD] = minhash_band_key(x->mh, sig_of(x, e), b);
			__builtin_prefetch(&t->slot[hash_slot(key[e % AHEAD], cap)], 1);
		}
	}
}

void dedup_near_place(struct dedup_index *x, unsigned b)
{
	struct band_table *t = &x->band[b];
	uint64_t from = x->placed, n = x->n;
	if (from == n)
		return;
	/* Rebuilt larger past 75 per cent full, and untagged for good once
	 * a record number no longer fits beside a tag. */
	size_t cap = band_cap_for(t->cap, n);
	int tagged = t->tagged && n <= BAND_REC_MASK;
	if (cap != t->cap || tagged != t->tagged || !t->slot) {
		band_rebuild(x, b, cap, tagged);
		return;
	}
	const uint64_t *keys = (const uint64_t *)x->recent_keys.buf + b;
	unsigned bands = x->mh->bands;
	/* The slot of the record AHEAD on is fetched while this one is
	 * placed. */
	enum { AHEAD = 16 };
	for (uint64_t e = from; e < n && e < from + AHEAD; e++)
		__builtin_prefetch(&t->slot[hash_slot(keys[(e - from) * bands], cap)], 1);
	for (uint64_t e = from; e < n; e++) {
		if (e + AHEAD < n)
			__builtin_prefetch(&t->slot[hash_slot(keys[(e + AHEAD - from) * bands], cap)], 1);
		uint64_t k = keys[(e - from) * bands];
		band_place(t->slot, cap, k, band_value(t, (uint32_t)e, k));
	}
}

void dedup_near_placed(struct dedup_index *x)
{
	x->placed = x->n;
	strbuf_reset(&x->recent_keys);
}

/* Is (s, e) a better match than (best_sim, best): more similar, or as
 * similar and earlier? best_sim < 0: none yet. */
static inline int better(double s, uint64_t e, double best_sim, uint64_t best)
{
	return s > best_sim || (s == best_sim && e < best);
}

uint32_t dedup_near_probe(const struct dedup_index *x, unsigned b, const unsigned char *sig,
			  uint64_t key, double *similarity)
{
	const struct band_table *t = &x->band[b];
	const struct minhash *mh = x->mh;
	uint32_t best = 0;
	double best_sim = -1;
	if (!t->cap) {
		*similarity = best_sim;
		return 0;
	}
	uint32_t tag = band_tag(key);
	for (size_t i = hash_slot(key, t->cap); t->slot[i]; i = hash_next_slot(i, t->cap)) {
		uint32_t v = t->slot[i], e = v - 1;
		if (t->tagged) {
			if (v >> BAND_REC_BITS != tag)
				continue;
			e = (v & BAND_REC_MASK) - 1;
		}
		const unsigned char *other = sig_of(x, e);
		if (!minhash_band_equal(mh, sig, other, b))
			continue;
		double s = minhash_similarity(mh, sig, other);
		if (better(s, e, best_sim, best - 1u)) {
			best_sim = s;
			best = e + 1;
		}
		/* An identical signature is the answer: no other entry can
		 * tie with it, for an entry identical to it would have been
		 * found a duplicate of it (the cut is at most 1), and never
		 * added. */
		if (s == 1)
			break;
	}
	*similarity = best_sim;
	return best;
}

int64_t dedup_near_find(const struct dedup_index *x, const unsigned char *sig,
			const uint64_t *keys, double *similarity)
{
	int64_t best = -1;
	double best_sim = -1;
	for (unsigned b = 0; b < x->mh->bands; b++) {
		double s;
		uint32_t e = dedup_near_probe(x, b, sig, keys[b], &s);
		if (e && better(s, e - 1u, best_sim, (uint64_t)best)) {
			best_sim = s;
			best = e - 1;
		}
		/* After an identical signature no band can do better. */
		if (e && s == 1)
			break;
	}
	*similarity = best_sim;
	return best;
}

/* Keep record n's signature and id. */
static void near_store(struct dedup_index *x, const unsigned char *sig, const char *id,
		       size_t idlen)
{
	if (x->n >= UINT32_MAX - 1)
		die("the index is full: %llu records", (unsigned long long)x->n);
	if (x->n >= x->sig_chunks * DEDUP_SIG_CHUNK) {
		x->sig_chunk = xreallocarray(x->sig_chunk, x->sig_chunks + 1, sizeof(*x->sig_chunk));
		x->sig_chunk[x->sig_chunks++] = table_alloc(x->sig_bytes * DEDUP_SIG_CHUNK);
	}
	memcpy((unsigned char *)sig_of(x, x->n), sig, x->sig_bytes);
	ids_push(x, id, idlen);
}

/* Keep record n, its band keys (computed when NULL) with it until the
 * band tables place it. */
static void near_keep(struct dedup_index *x, const unsigned char *sig, const uint64_t *keys,
		      const char *id, size_t idlen)
{
	near_store(x, sig, id, idlen);
	unsigned bands = x->mh->bands;
	strbuf_grow(&x->recent_keys, bands * sizeof(uint64_t));
	uint64_t *k = (uint64_t *)(void *)(x->recent_keys.buf + x->recent_keys.len);
	for (unsigned b = 0; b < bands; b++)
		k[b] = keys ? keys[b] : minhash_band_key(x->mh, sig, b);
	strbuf_setlen(&x->recent_keys, x->recent_keys.len + bands * sizeof(*k));
	x->n++;
}

void dedup_near_add(struct dedup_index *x, const unsigned char *sig, const uint64_t *keys,
		    const char *id, size_t idlen)
{
	near_keep(x, sig, keys, id, idlen);
	for (unsigned b = 0; b < x->mh->bands; b++)
		dedup_near_place(x, b);
	dedup_near_placed(x);
}

/* --- Near mode, a block at a time --------------------------------------- */

void dedup_block_init(struct dedup_block *bk)
{
	memset(bk, 0, sizeof(*bk));
}

void dedup_block_release(struct dedup_block *bk)
{
	free(bk->keys);
	free(bk->sig);
	free(bk->rec);
	free(bk->sim);
	free(bk->prev);
	free(bk->kept);
	free(bk->index);
	free(bk->table);
	dedup_block_init(bk);
}

void dedup_block_start(struct dedup_block *bk, unsigned bands, size_t n)
{
	if (n > bk->cap) {
		size_t cap = grow_capacity(bk->cap, n, 1024), all = size_mul(cap, bands);
		dedup_block_release(bk);
		bk->cap = cap;
		bk->keys = xcalloc(cap, sizeof(*bk->keys));
		bk->sig = xcalloc(cap, sizeof(*bk->sig));
		bk->index = xcalloc(cap, sizeof(*bk->index));
		bk->rec = xcalloc(all, sizeof(*bk->rec));
		bk->sim = xcalloc(all, sizeof(*bk->sim));
		bk->prev = xcalloc(all, sizeof(*bk->prev));
		bk->kept = xcalloc(all, sizeof(*bk->kept));
		/* The links' tables: at most half full. */
		bk->table_cap = 1024;
		while (bk->table_cap < 2 * cap)
			bk->table_cap *= 2;
		bk->table = xcalloc(size_mul(bk->table_cap, bands), sizeof(*bk->table));
	}
	bk->n = n;
	if (n)
		memset(bk->index, 0, n * sizeof(*bk->index));
}

void dedup_block_band(struct dedup_index *x, struct dedup_block *bk, unsigned b)
{
	size_t n = bk->n;
	uint32_t *rec = bk->rec + b * bk->cap, *prev = bk->prev + b * bk->cap;
	double *sim = bk->sim + b * bk->cap;
	dedup_near_place(x, b);
	/* The slot of the record AHEAD on is fetched while this one is
	 * looked up: the tables are larger than the caches. */
	enum { AHEAD = 16 };
	for (size_t i = 0; i < n && i < AHEAD; i++)
		dedup_near_prefetch_band(x, b, bk->keys[i][b]);
	for (size_t i = 0; i < n; i++) {
		if (i + AHEAD < n)
			dedup_near_prefetch_band(x, b, bk->keys[i + AHEAD][b]);
		rec[i] = dedup_near_probe(x, b, bk->sig[i], bk->keys[i][b], &sim[i]);
	}
	if (!n)
		return;
	/* Each record's link to the latest earlier one of its key: a
	 * table of the block's keys, each slot holding its key's latest. */
	uint32_t *t = bk->table + b * bk->table_cap;
	memset(t, 0, bk->table_cap * sizeof(*t));
	for (size_t i = 0; i < n; i++) {
		uint64_t k = bk->keys[i][b];
		size_t s = hash_slot(k, bk->table_cap);
		while (t[s] && bk->keys[t[s] - 1][b] != k)
			s = hash_next_slot(s, bk->table_cap);
		prev[i] = t[s];
		t[s] = (uint32_t)i + 1;
	}
}

int64_t dedup_block_best(const struct dedup_index *x, const struct dedup_block *bk, size_t i,
			 double *similarity)
{
	const struct minhash *mh = x->mh;
	const unsigned char *sig = bk->sig[i];
	int64_t best = -1;
	double best_sim = -1;
	for (unsigned b = 0; b < mh->bands; b++) {
		size_t at = b * bk->cap + i;
		uint32_t e = bk->rec[at];
		if (e && better(bk->sim[at], e - 1u, best_sim, (uint64_t)best)) {
			best_sim = bk->sim[at];
			best = e - 1;
		}
	}
	/* The block's records kept before i that share a band's key with
	 * it: along the band's links, from kept record to kept record. */
	for (unsigned b = 0; b < mh->bands; b++) {
		const uint32_t *prev = bk->prev + b * bk->cap, *kept = bk->kept + b * bk->cap;
		for (uint32_t q = prev[i] ? kept[prev[i] - 1] : 0; q;
		     q = prev[q - 1] ? kept[prev[q - 1] - 1] : 0) {
			uint64_t e = bk->index[q - 1] - 1;
			const unsigned char *other = sig_of(x, e);
			if (!minhash_band_equal(mh, sig, other, b))
				continue;
			double s = minhash_similarity(mh, sig, other);
			if (better(s, e, best_sim, (uint64_t)best)) {
				best_sim = s;
				best = (int64_t)e;
			}
		}
	}
	*similarity = best_sim;
	return best;
}

void dedup_block_decide(struct dedup_index *x, struct dedup_block *bk, size_t i, int keep,
			const char *id, size_t idlen)
{
	if (keep) {
		near_keep(x, bk->sig[i], bk->keys[i], id, idlen);
		bk->index[i] = (uint32_t)x->n;
	}
	for (unsigned b = 0; b < x->mh->bands; b++) {
		size_t at = b * bk->cap + i;
		uint32_t p = bk->prev[at];
		bk->kept[at] = keep ? (uint32_t)i + 1 : p ? bk->kept[b * bk->cap + p - 1] : 0;
	}
}

size_t dedup_index_memory(const struct dedup_index *x)
{
	size_t m = id_list_memory(&x->ids);
	m += x->hcap * (sizeof(*x->hslot) + (x->hentry ? sizeof(*x->hentry) : 0));
	if (x->p.mode == DEDUP_NEAR) {
		/* The signatures' pages written so far: the rest of the
		 * last chunk is address space only. */
		size_t sigs = (size_t)x->n * x->sig_bytes;
		m += (sigs + 4095) / 4096 * 4096 + x->recent_keys.cap;
		for (unsigned b = 0; b < x->mh->bands; b++)
			m += x->band[b].cap * sizeof(*x->band[b].slot);
	}
	return m;
}

/* --- Files ------------------------------------------------------------- */

/* The parameters at h[16..56) of an index's or a shard's header. */
static void params_encode(unsigned char *h, const struct dedup_params *p)
{
	const uint32_t *params[] = { &p->mode, &p->normalize, &p->ngram, &p->perms,
				     &p->bands, &p->rows, &p->bits };
	for (size_t i = 0; i < sizeof(params) / sizeof(*params); i++)
		put32(h + 16 + 4 * i, *params[i]);
	put64(h + 48, p->seed);
}

void dedup_index_write(const struct dedup_index *x, struct output *out)
{
	if (!x->keep_ids)
		BUG("dedup_index_write without ids");
	unsigned char h[INDEX_HEADER] = { 0 };
	params_encode(h, &x->p);
	put64(h + 56, x->n);
	put64(h + 64, x->ids.text.len);
	struct file_frame_writer w;
	file_frame_begin(&w, &index_frame, h, out);
	if (x->p.mode == DEDUP_EXACT) {
		/* Each hash with its record number, in slot order. */
		unsigned char rec[20];
		for (size_t i = 0; i < x->hcap; i++) {
			if (hash_empty(x->hslot[i]))
				continue;
			put64(rec, x->hslot[i].lo);
			put64(rec + 8, x->hslot[i].hi);
			put32(rec + 16, x->hentry[i]);
			file_frame_write(&w, rec, sizeof(rec));
		}
	} else {
		for (uint64_t i = 0; i < x->n; i += DEDUP_SIG_CHUNK) {
			uint64_t k = x->n - i < DEDUP_SIG_CHUNK ? x->n - i : DEDUP_SIG_CHUNK;
			file_frame_write(&w, sig_of(x, i), (size_t)k * x->sig_bytes);
		}
	}
	file_frame_write(&w, x->ids.end, (size_t)x->n * sizeof(*x->ids.end));
	file_frame_write(&w, x->ids.text.buf, x->ids.text.len);
	file_frame_end(&w);
}

static const char *norm_name(uint32_t n)
{
	static const char *const names[] = { "none", "ws", "nfkc", "full" };
	return n < 4 ? names[n] : "?";
}

/* Why the parameters in the header h differ from this run's, or NULL. */
static int params_differ(const struct dedup_params *want, const unsigned char *h,
			 struct strbuf *err)
{
	struct dedup_params got = {
		get32(h + 16), get32(h + 20), get32(h + 24), get32(h + 28),
		get32(h + 32), get32(h + 36), get32(h + 40), get64(h + 48),
	};
	if (got.mode != want->mode) {
		strbuf_addstr(err, got.mode == DEDUP_EXACT ? "an --exact index; this run finds near-duplicates"
				   : "a near-duplicate index; this run is --exact");
	} else if (got.normalize != want->normalize) {
		strbuf_addf(err, "made with --normalize %s, not %s", norm_name(got.normalize),
			    norm_name(want->normalize));
	} else if (got.ngram != want->ngram) {
		strbuf_addf(err, "made with --ngram %u, not %u", got.ngram, want->ngram);
	} else if (got.perms != want->perms) {
		strbuf_addf(err, "made with --perms %u, not %u", got.perms, want->perms);
	} else if (got.bands != want->bands || got.rows != want->rows) {
		strbuf_addf(err, "made with %u bands of %u rows, not %u of %u (set --bands %u)",
			    got.bands, got.rows, want->bands, want->rows, got.bands);
	} else if (got.bits != want->bits) {
		strbuf_addf(err, "made %s --no-verify (%u bits a value, not %u)",
			    got.bits > want->bits ? "with" : "without", got.bits, want->bits);
	} else if (got.seed != want->seed) {
		strbuf_addf(err, "made with --seed %llu, not %llu", (unsigned long long)got.seed,
			    (unsigned long long)want->seed);
	} else {
		return 0;
	}
	return 1;
}

/* Is id[0..n) one JSON string or number? */
static int valid_id(const char *id, size_t n)
{
	if (!n || n > 1u << 20)
		return 0;
	char stack[256];
	struct strbuf sb = STRBUF_INIT;
	char *p = stack;
	if (n + 6 > sizeof(stack)) {
		strbuf_grow(&sb, n + 6);
		p = sb.buf;
	}
	memcpy(p, "{\"i\":", 5);
	memcpy(p + 5, id, n);
	p[n + 5] = '}';
	struct json_error jerr;
	struct json_value v;
	int ok = json_check_record_member(p, n + 6, "i", &v, &jerr) == 0 &&
		 (v.type == JSON_STRING || v.type == JSON_NUMBER) && v.len == n;
	strbuf_release(&sb);
	return ok;
}

static int parse_fail(struct dedup_index *x, struct strbuf *err, const char *msg)
{
	if (msg)
		strbuf_addstr(err, msg);
	const struct minhash *mh = x->mh;
	struct dedup_params p = x->p;
	int keep = x->keep_ids;
	dedup_index_release(x);
	dedup_index_init(x, &p, mh, keep);
	return -1;
}

/* The bytes of a record's entry that an index header h describes, whatever
 * this run wants (a mismatch is reported once the file is known whole): a
 * hash and a record number, or a stored signature; 0 for a header that no
 * run writes. */
static size_t index_entry(const unsigned char *h)
{
	uint32_t mode = get32(h + 16), perms = get32(h + 28), bands = get32(h + 32),
		 rows = get32(h + 36), bits = get32(h + 40);
	if (mode == DEDUP_EXACT)
		return 20;
	if (mode != DEDUP_NEAR || !perms || perms > MINHASH_MAX_PERMS || !bands || !rows ||
	    (uint64_t)bands * rows > perms || (bits != 4 && bits != 8 && bits != 16 && bits != 32))
		return 0;
	return minhash_layout_bytes(perms, bands * rows, bits);
}

/* The length of the index file buf[0..n) as its header promises it: the
 * entries, the ids' ends and their text. */
static uint64_t index_length(const unsigned char *buf, size_t n)
{
	size_t entry = n >= INDEX_HEADER ? index_entry(buf) : 0;
	if (!entry)
		return FILE_FRAME_ANY_LENGTH;
	uint64_t count = get64(buf + 56), body = 0;
	int overflow = count > UINT64_MAX / 64 ||
		       __builtin_mul_overflow(count, (uint64_t)entry + 8, &body) ||
		       __builtin_add_overflow(body, get64(buf + 64), &body);
	return file_frame_length(&index_frame, body, overflow);
}

int dedup_index_parse(struct dedup_index *x, const unsigned char *buf, size_t n,
		      struct strbuf *err)
{
	if (file_frame_check(&index_frame, buf, n, index_length(buf, n), err) < 0)
		return parse_fail(x, err, NULL);
	size_t entry = index_entry(buf);
	if (!entry)
		return parse_fail(x, err, "corrupt: a bad header");
	int exact = get32(buf + 16) == DEDUP_EXACT;
	uint64_t count = get64(buf + 56), ids_bytes = get64(buf + 64);
	const unsigned char *data = buf + INDEX_HEADER;
	const unsigned char *ends = data + count * entry;
	const unsigned char *ids = ends + count * 8;
	if (params_differ(&x->p, buf, err))
		return parse_fail(x, err, NULL);
	if (count >= UINT32_MAX - 1)
		return parse_fail(x, err, "corrupt: too many records");

	/* The ids, in record order. */
	uint64_t start = 0;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t end = get64(ends + 8 * i);
		if (end < start || end > ids_bytes ||
		    !valid_id((const char *)ids + start, (size_t)(end - start)))
			return parse_fail(x, err, "corrupt: a bad record id");
		start = end;
	}
	if (start != ids_bytes)
		return parse_fail(x, err, "corrupt: the ids do not add up");

	start = 0;
	if (exact) {
		for (uint64_t i = 0; i < count; i++) {
			uint64_t end = get64(ends + 8 * i);
			ids_push(x, (const char *)ids + start, (size_t)(end - start));
			x->n++;
			start = end;
		}
		/* Each record number belongs to one hash: were two to share
		 * one, a duplicate would be said to be of the wrong record. */
		unsigned char *used = xcalloc(count ? (size_t)count : 1, 1);
		for (uint64_t i = 0; i < count; i++) {
			const unsigned char *r = data + 20 * i;
			struct hash128 h = { get64(r), get64(r + 8) };
			uint32_t e = get32(r + 16);
			if (e >= count || used[e] || dedup_exact_find(x, h) >= 0) {
				free(used);
				return parse_fail(x, err, "corrupt: a bad hash entry");
			}
			used[e] = 1;
			/* exact_insert sizes the table by x->n, which is
			 * already the final count. */
			exact_insert(x, h, e);
		}
		free(used);
	} else {
		for (uint64_t i = 0; i < count; i++) {
			uint64_t end = get64(ends + 8 * i);
			near_store(x, data + i * entry, (const char *)ids + start, (size_t)(end - start));
			x->n++;
			start = end;
		}
		/* Tables of the final size at once. */
		for (unsigned b = 0; b < x->mh->bands; b++)
			band_rebuild(x, b, band_cap_for(0, x->n), x->n <= BAND_REC_MASK);
		x->placed = x->n;
	}
	return 0;
}

static int parse_index(void *obj, const unsigned char *buf, size_t n, struct strbuf *err)
{
	return dedup_index_parse(obj, buf, n, err);
}

enum file_load dedup_index_load(struct dedup_index *x, const char *path)
{
	return file_frame_load(path, FILE_OPTIONAL, parse_index, x);
}

/* --- Sharded runs -------------------------------------------------------- */

#define SHARD_HEADER 88
#define VERDICTS_HEADER 48

static const struct file_frame shard_frame = {
	.magic = "SYNTHDSH", .version = 1, .header = SHARD_HEADER,
	.kind = "a shard index of synth-dedup --shard-index",
};
static const struct file_frame verdicts_frame = {
	.magic = "SYNTHDVD", .version = 1, .header = VERDICTS_HEADER,
	.kind = "the verdicts of synth-dedup --merge-index",
};

void dedup_shard_init(struct dedup_shard *s, const struct dedup_params *p, size_t entry)
{
	memset(s, 0, sizeof(*s));
	s->p = *p;
	s->entry = entry;
	strbuf_init(&s->data);
	strbuf_init(&s->ids.text);
}

void dedup_shard_release(struct dedup_shard *s)
{
	strbuf_release(&s->data);
	id_list_release(&s->ids);
	s->n = 0;
}

void dedup_shard_add(struct dedup_shard *s, const void *entry, const char *id, size_t idlen)
{
	strbuf_add(&s->data, entry, s->entry);
	id_list_push(&s->ids, id, idlen);
	s->n++;
}

/* The ids' ends and text of a list of n, after the entries. */
static void write_ids(struct file_frame_writer *w, const struct id_list *ids)
{
	unsigned char b[8];
	for (size_t i = 0; i < ids->n; i++) {
		put64(b, ids->end[i]);
		file_frame_write(w, b, 8);
	}
	file_frame_write(w, ids->text.buf, ids->text.len);
}

/* Read n ids from ends[0..n) and text[0..bytes) into l; 0, or -1 when
 * one is not a JSON string or number or the ends do not add up. */
static int read_ids(struct id_list *l, const unsigned char *ends, const unsigned char *text,
		    uint64_t n, uint64_t bytes)
{
	uint64_t start = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t end = get64(ends + 8 * i);
		if (end < start || end > bytes || !valid_id((const char *)text + start, (size_t)(end - start)))
			return -1;
		id_list_push(l, (const char *)text + start, (size_t)(end - start));
		start = end;
	}
	return start == bytes ? 0 : -1;
}

void dedup_shard_write(const struct dedup_shard *s, struct output *out)
{
	unsigned char h[SHARD_HEADER] = { 0 };
	params_encode(h, &s->p);
	put64(h + 56, s->n);
	put64(h + 64, s->ids.text.len);
	put64(h + 72, s->fingerprint);
	put32(h + 80, (uint32_t)s->entry);
	struct file_frame_writer w;
	file_frame_begin(&w, &shard_frame, h, out);
	file_frame_write(&w, s->data.buf, s->data.len);
	write_ids(&w, &s->ids);
	file_frame_end(&w);
}

/* Give up on a shard file: the reason into err, s empty again. */
static int shard_fail(struct dedup_shard *s, struct strbuf *err, const char *why)
{
	if (why)
		strbuf_addstr(err, why);
	struct dedup_params p = s->p;
	size_t entry = s->entry;
	dedup_shard_release(s);
	dedup_shard_init(s, &p, entry);
	return -1;
}

int dedup_shard_parse(struct dedup_shard *s, const unsigned char *buf, size_t n,
		      struct strbuf *err)
{
	/* The size of an entry as the header describes it, whatever this
	 * run wants: a shard of other options is told by them once the file
	 * is known whole, not as cut short. */
	int whole_header = n >= SHARD_HEADER;
	uint64_t count = whole_header ? get64(buf + 56) : 0, ids_bytes = whole_header ? get64(buf + 64) : 0;
	uint64_t entry = whole_header ? get32(buf + 80) : 0, body = 0;
	int overflow = count > UINT64_MAX / 1024 ||
		       __builtin_mul_overflow(count, entry + 8, &body) ||
		       __builtin_add_overflow(body, ids_bytes, &body);
	uint64_t length = whole_header ? file_frame_length(&shard_frame, body, overflow)
				       : FILE_FRAME_ANY_LENGTH;
	if (file_frame_check(&shard_frame, buf, n, length, err) < 0)
		return shard_fail(s, err, NULL);
	if (params_differ(&s->p, buf, err))
		return shard_fail(s, err, NULL);
	if (entry != s->entry)
		return shard_fail(s, err, "corrupt: a bad header");
	const unsigned char *d = buf + SHARD_HEADER;
	strbuf_add(&s->data, d, (size_t)(count * entry));
	if (read_ids(&s->ids, d + count * entry, d + count * (entry + 8), count, ids_bytes) < 0)
		return shard_fail(s, err, "corrupt: a bad id");
	s->n = count;
	s->fingerprint = get64(buf + 72);
	return 0;
}

static int parse_shard(void *obj, const unsigned char *buf, size_t n, struct strbuf *err)
{
	return dedup_shard_parse(obj, buf, n, err);
}

int dedup_shard_load(struct dedup_shard *s, const char *path)
{
	return file_frame_load(path, FILE_REQUIRED, parse_shard, s) == FILE_LOADED ? 0 : -1;
}

void dedup_verdicts_init(struct dedup_verdicts *v, uint64_t n, uint64_t fingerprint)
{
	memset(v, 0, sizeof(*v));
	v->n = n;
	v->fingerprint = fingerprint;
	strbuf_init(&v->of.text);
}

void dedup_verdicts_release(struct dedup_verdicts *v)
{
	free(v->drop);
	free(v->sim);
	id_list_release(&v->of);
	v->drop = NULL;
	v->sim = NULL;
	v->ndrop = v->cap = 0;
}

void dedup_verdicts_drop(struct dedup_verdicts *v, uint64_t record, uint32_t sim,
			 const char *of, size_t oflen)
{
	if (v->ndrop == v->cap) {
		v->cap = grow_quarter(v->cap, v->ndrop + 1, 1024);
		v->drop = xreallocarray(v->drop, v->cap, sizeof(*v->drop));
		v->sim = xreallocarray(v->sim, v->cap, sizeof(*v->sim));
	}
	v->drop[v->ndrop] = record;
	v->sim[v->ndrop++] = sim;
	id_list_push(&v->of, of, oflen);
}

void dedup_verdicts_write(const struct dedup_verdicts *v, struct output *out)
{
	unsigned char h[VERDICTS_HEADER] = { 0 }, b[16];
	put64(h + 16, v->n);
	put64(h + 24, v->fingerprint);
	put64(h + 32, v->ndrop);
	put64(h + 40, v->of.text.len);
	struct file_frame_writer w;
	file_frame_begin(&w, &verdicts_frame, h, out);
	for (uint64_t i = 0; i < v->ndrop; i++) {
		put64(b, v->drop[i]);
		put32(b + 8, v->sim[i]);
		put32(b + 12, 0);
		file_frame_write(&w, b, 16);
	}
	write_ids(&w, &v->of);
	file_frame_end(&w);
}

/* Give up on a verdicts file: the reason into err, v empty again. */
static int verdicts_fail(struct dedup_verdicts *v, struct strbuf *err, const char *why)
{
	if (why)
		strbuf_addstr(err, why);
	dedup_verdicts_release(v);
	dedup_verdicts_init(v, 0, 0);
	return -1;
}

int dedup_verdicts_parse(struct dedup_verdicts *v, const unsigned char *buf, size_t n,
			 struct strbuf *err)
{
	dedup_verdicts_init(v, 0, 0);
	uint64_t ndrop = n >= VERDICTS_HEADER ? get64(buf + 32) : 0;
	uint64_t ids_bytes = n >= VERDICTS_HEADER ? get64(buf + 40) : 0, body = 0;
	int overflow = ndrop > UINT64_MAX / 64 || __builtin_mul_overflow(ndrop, (uint64_t)24, &body) ||
		       __builtin_add_overflow(body, ids_bytes, &body);
	uint64_t length = n >= VERDICTS_HEADER ? file_frame_length(&verdicts_frame, body, overflow)
					       : FILE_FRAME_ANY_LENGTH;
	if (file_frame_check(&verdicts_frame, buf, n, length, err) < 0)
		return verdicts_fail(v, err, NULL);
	v->n = get64(buf + 16);
	v->fingerprint = get64(buf + 24);
	const unsigned char *d = buf + VERDICTS_HEADER;
	uint64_t last = 0;
	for (uint64_t i = 0; i < ndrop; i++) {
		uint64_t r = get64(d + 16 * i);
		uint32_t sim = get32(d + 16 * i + 8);
		if ((i && r <= last) || r >= v->n || sim > 1000)
			return verdicts_fail(v, err, "corrupt: a bad verdict");
		last = r;
		dedup_verdicts_drop(v, r, sim, "0", 1);
	}
	/* The ids replace the placeholders. */
	id_list_release(&v->of);
	if (read_ids(&v->of, d + 16 * ndrop, d + 24 * ndrop, ndrop, ids_bytes) < 0)
		return verdicts_fail(v, err, "corrupt: a bad id");
	return 0;
}

static int parse_verdicts(void *obj, const unsigned char *buf, size_t n, struct strbuf *err)
{
	return dedup_verdicts_parse(obj, buf, n, err);
}

int dedup_verdicts_load(struct dedup_verdicts *v, const char *path)
{
	return file_frame_load(path, FILE_REQUIRED, parse_verdicts, v) == FILE_LOADED ? 0 : -1;
}

/* --- A merge split by band ---------------------------------------------- */

#define PAIRS_HEADER 96

static const struct file_frame pairs_frame = {
	.magic = "SYNTHDPR", .version = 1, .header = PAIRS_HEADER,
	.kind = "a file of pairs of synth-dedup --merge-bands",
};

/* A step-1 file as the split merge sees it: its header's figures, where
 * its records start in the numbering of all, and (while pairs are
 * verified) a descriptor to read its entries at their places. */
struct shard_file {
	const char *path;
	uint64_t n, ids_bytes, fingerprint, first;
	int fd;
};

/* Open a step-1 file for reading in pieces and check its header against
 * this run's; 0, or -1 after an error naming it. */
static int shard_file_open(struct file_frame_reader *r, const struct dedup_merge *m,
			   size_t entry, struct shard_file *sf)
{
	unsigned char h[SHARD_HEADER];
	if (file_frame_open(r, &shard_frame, sf->path, h) < 0)
		return -1;
	struct strbuf err = STRBUF_INIT;
	uint64_t count = get64(h + 56), ids = get64(h + 64), body = 0;
	int overflow = count > UINT64_MAX / 1024 ||
		       __builtin_mul_overflow(count, (uint64_t)entry + 8, &body) ||
		       __builtin_add_overflow(body, ids, &body);
	if (params_differ(m->p, h, &err) || (get32(h + 80) != entry && (strbuf_addstr(&err, "corrupt: a bad header"), 1))) {
		file_frame_fail(r, err.buf);
		strbuf_release(&err);
		return -1;
	}
	strbuf_release(&err);
	uint64_t length = file_frame_length(&shard_frame, body, overflow);
	if (length != r->size)
		return file_frame_fail(r, length > r->size ? "truncated" : "corrupt: bytes after the end");
	sf->n = count;
	sf->ids_bytes = ids;
	sf->fingerprint = get64(h + 72);
	return 0;
}

/* The shards' headers, their records numbered from 0 across all of them;
 * the count of all. -1 after an error. */
static int64_t shard_files_scan(const struct dedup_merge *m, size_t entry, struct shard_file *sf)
{
	uint64_t total = 0;
	for (int f = 0; f < m->nfiles; f++) {
		struct file_frame_reader r;
		sf[f].path = m->files[f];
		sf[f].fd = -1;
		if (shard_file_open(&r, m, entry, &sf[f]) < 0)
			return -1;
		file_frame_close(&r, 0);
		sf[f].first = total;
		total += sf[f].n;
	}
	if (total >= UINT32_MAX)
		die("the shards hold %llu records; a split merge numbers them in 32 bits",
		    (unsigned long long)total);
	return (int64_t)total;
}

/* The shard of record rec. */
static const struct shard_file *shard_of(const struct shard_file *sf, int nfiles, uint64_t rec)
{
	int lo = 0, hi = nfiles - 1;
	while (lo < hi) {
		int mid = lo + (hi - lo + 1) / 2;
		if (sf[mid].first <= rec)
			lo = mid;
		else
			hi = mid - 1;
	}
	return &sf[lo];
}

/* pread() n bytes at off, whole; 0 or -1 after an error naming path. */
static int read_at(int fd, const char *path, void *p, size_t n, uint64_t off)
{
	unsigned char *d = p;
	while (n) {
		ssize_t k = pread(fd, d, n, (off_t)off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? error_errno("%s", path) : error("%s: truncated", path);
		d += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

/* One band's key of one record that falls to this node: records of a
 * group share band and key. */
struct band_entry {
	uint64_t key;
	uint32_t rec, band;
};

static int entry_cmp(const void *a, const void *b)
{
	const struct band_entry *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->band != y->band)
		return x->band < y->band ? -1 : 1;
	return x->rec < y->rec ? -1 : x->rec > y->rec;
}

/* A node's entries, as they are read, go to one of 256 buckets by the top
 * 8 bits of their key, each a list of chunks: 256 places written in turn
 * stay in the caches, where one table of them all is written at random (a
 * miss an entry, most of the time of a node). A bucket is then sorted
 * alone, its chunks freed as it is copied out. */
#define ENTRY_BUCKETS 256
#define ENTRY_CHUNK 4096

struct entry_bucket {
	struct band_entry **chunk;
	size_t nchunks, cap, n;
};

static void bucket_add(struct entry_bucket *bk, struct band_entry e)
{
	if (bk->n == bk->nchunks * ENTRY_CHUNK) {
		if (bk->nchunks == bk->cap) {
			bk->cap = grow_capacity(bk->cap, bk->nchunks + 1, 16);
			bk->chunk = xreallocarray(bk->chunk, bk->cap, sizeof(*bk->chunk));
		}
		bk->chunk[bk->nchunks++] = xmalloc(ENTRY_CHUNK * sizeof(struct band_entry));
	}
	bk->chunk[bk->n / ENTRY_CHUNK][bk->n % ENTRY_CHUNK] = e;
	bk->n++;
}

/* Bucket bk's entries into e[0..bk->n), sorted by key, band and record
 * (tmp: room for as many), its chunks freed. The entries come in record
 * order within a band, and the sort by key (four passes of 14 bits over
 * the 56 below the bucket's) keeps it; the rare run of one key in two
 * bands is sorted again. */
static void bucket_sort(struct entry_bucket *bk, struct band_entry *e, struct band_entry *tmp)
{
	size_t n = bk->n;
	for (size_t c = 0; c < bk->nchunks; c++) {
		size_t k = n - c * ENTRY_CHUNK < ENTRY_CHUNK ? n - c * ENTRY_CHUNK : ENTRY_CHUNK;
		memcpy(e + c * ENTRY_CHUNK, bk->chunk[c], k * sizeof(*e));
		free(bk->chunk[c]);
	}
	free(bk->chunk);
	memset(bk, 0, sizeof(*bk));
	enum { BITS = 14, DIGITS = 1 << BITS };
	size_t *count = xcalloc(DIGITS, sizeof(*count));
	struct band_entry *from = e, *to = tmp;
	for (unsigned shift = 0; shift < 56; shift += BITS) {
		memset(count, 0, DIGITS * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[from[i].key >> shift & (DIGITS - 1)]++;
		size_t sum = 0;
		for (size_t d = 0; d < DIGITS; d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[from[i].key >> shift & (DIGITS - 1)]++] = from[i];
		struct band_entry *t = from;
		from = to;
		to = t;
	}
	free(count);
	/* Four passes: the sorted entries are back in e. */
	for (size_t i = 0, j; i < n; i = j) {
		int bands = 0;
		for (j = i + 1; j < n && e[j].key == e[i].key; j++)
			bands |= e[j].band != e[i].band;
		if (bands)
			qsort(e + i, j - i, sizeof(*e), entry_cmp);
	}
}

struct pair_list {
	struct dedup_pair *v;
	size_t n, cap;
};

static void pair_push(struct pair_list *l, uint32_t later, uint32_t earlier, double sim)
{
	if (l->n == l->cap) {
		l->cap = grow_capacity(l->cap, l->n + 1, 1024);
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = (struct dedup_pair){ later, earlier, sim };
}

static int pair_cmp(const void *a, const void *b)
{
	const struct dedup_pair *x = a, *y = b;
	if (x->later != y->later)
		return x->later < y->later ? -1 : 1;
	return x->earlier < y->earlier ? -1 : x->earlier > y->earlier;
}

/* Does a band before band b agree for x and y? The node of the first band
 * that agrees writes their pair, the others leave it: each pair once. */
static int earlier_band(const struct minhash *mh, const unsigned char *x, const unsigned char *y,
			unsigned b)
{
	for (unsigned e = 0; e < b; e++)
		if (minhash_band_equal(mh, x, y, e))
			return 1;
	return 0;
}

/* The pairs of one group g[0..k) (a band's key, records in order):
 * every earlier member with every later one whose band agrees and whose
 * estimate passes, but no earlier member that copies one before it. */
static int group_pairs(const struct dedup_merge *m, const struct shard_file *sf, size_t entry,
		       const struct band_entry *g, size_t k, struct strbuf *scratch,
		       struct pair_list *out)
{
	strbuf_reset(scratch);
	size_t at = (size_mul(k, entry) + 7) & ~(size_t)7;
	strbuf_grow(scratch, size_add(at, size_mul(k, sizeof(uint32_t))));
	unsigned char *sigs = (unsigned char *)scratch->buf;
	/* The members that copy none before them, the only earlier ones of
	 * pairs: a group of copies costs k, not k^2. */
	uint32_t *first = (uint32_t *)(void *)(sigs + at);
	size_t nfirst = 0;
	for (size_t i = 0; i < k; i++) {
		const struct shard_file *s = shard_of(sf, m->nfiles, g[i].rec);
		uint64_t off = SHARD_HEADER + (g[i].rec - s->first) * entry;
		if (read_at(s->fd, s->path, sigs + i * entry, entry, off) < 0)
			return -1;
	}
	int exact = m->p->mode == DEDUP_EXACT;
	unsigned b = g[0].band;
	for (size_t j = 0; j < k; j++) {
		const unsigned char *y = sigs + j * entry;
		int copy = 0;
		for (size_t q = 0; q < nfirst; q++) {
			const unsigned char *x = sigs + first[q] * entry;
			int same = !memcmp(x, y, entry);
			double sim = 1;
			copy |= same;
			if (!exact) {
				if (!minhash_band_equal(m->mh, y, x, b) || earlier_band(m->mh, y, x, b))
					continue;
				sim = minhash_similarity(m->mh, y, x);
			} else if (!same) {
				continue;
			}
			if (!m->verify || sim >= m->cut)
				pair_push(out, g[j].rec, g[first[q]].rec, sim);
		}
		if (!copy)
			first[nfirst++] = (uint32_t)j;
	}
	return 0;
}

/* The header of a pairs file: the run's parameters and cut, the node,
 * the records, shards and pairs; the shards' counts and fingerprints
 * follow it. */
static void pairs_header(unsigned char *h, const struct dedup_merge *m, unsigned node,
			 unsigned nodes, uint64_t records, uint64_t pairs)
{
	params_encode(h, m->p);
	put32(h + 56, node);
	put32(h + 60, nodes);
	put64(h + 64, records);
	put64(h + 72, (uint64_t)m->nfiles);
	put64(h + 80, pairs);
	uint64_t cut;
	double c = m->verify ? m->cut : -1;
	memcpy(&cut, &c, 8);
	put64(h + 88, cut);
}

int dedup_merge_bands(const struct dedup_merge *m, unsigned node, unsigned nodes,
		      struct output *out, struct dedup_merge_stats *st)
{
	memset(st, 0, sizeof(*st));
	int exact = m->p->mode == DEDUP_EXACT;
	size_t entry = exact ? sizeof(struct hash128) : minhash_sig_bytes(m->mh);
	unsigned bands = exact ? 1 : m->mh->bands;
	struct shard_file *sf = xcalloc((size_t)m->nfiles, sizeof(*sf));
	struct band_entry *e = NULL;
	struct pair_list pairs = { 0 };
	struct strbuf scratch = STRBUF_INIT;
	struct entry_bucket *bucket = xcalloc(ENTRY_BUCKETS, sizeof(*bucket));
	unsigned char *buf = xmalloc(entry * 4096);
	uint64_t n = 0;
	int rc = -1;
	for (int f = 0; f < m->nfiles; f++)
		sf[f].fd = -1;
	int64_t total = shard_files_scan(m, entry, sf);
	if (total < 0)
		goto done;
	st->records = (uint64_t)total;

	for (int f = 0; f < m->nfiles; f++) {
		struct file_frame_reader r;
		if (shard_file_open(&r, m, entry, &sf[f]) < 0)
			goto done;
		for (uint64_t i = 0; i < sf[f].n;) {
			uint64_t k = sf[f].n - i < 4096 ? sf[f].n - i : 4096;
			if (file_frame_read(&r, buf, k * entry) < 0)
				goto done;
			for (uint64_t q = 0; q < k; q++) {
				const unsigned char *sig = buf + q * entry;
				uint32_t rec = (uint32_t)(sf[f].first + i + q);
				for (unsigned b = 0; b < bands; b++) {
					uint64_t key = exact ? get64(sig) : minhash_band_key(m->mh, sig, b);
					if (hash_slot(mix64(key ^ 0x4e4f4445ull), nodes) != node - 1)
						continue;
					bucket_add(&bucket[key >> 56], (struct band_entry){ key, rec, b });
					n++;
				}
			}
			i += k;
		}
		/* The ids are not needed here, but the checksum covers them. */
		if (file_frame_read(&r, NULL, sf[f].n * 8 + sf[f].ids_bytes) < 0 ||
		    file_frame_close(&r, 1) < 0)
			goto done;
	}
	free(buf);
	buf = NULL;
	st->entries = n;

	for (int f = 0; f < m->nfiles; f++) {
		sf[f].fd = open(sf[f].path, O_RDONLY | O_CLOEXEC);
		if (sf[f].fd < 0) {
			error_errno("%s", sf[f].path);
			goto done;
		}
	}
	/* Each bucket sorted in turn, in room for the largest, twice. */
	size_t most = 0;
	for (unsigned b = 0; b < ENTRY_BUCKETS; b++)
		if (bucket[b].n > most)
			most = bucket[b].n;
	e = xreallocarray(NULL, size_mul(most ? most : 1, 2), sizeof(*e));
	size_t held = (size_t)n * sizeof(*e) + size_mul(most, 2 * sizeof(*e));
	for (unsigned bk = 0; bk < ENTRY_BUCKETS; bk++) {
		size_t count = bucket[bk].n;
		bucket_sort(&bucket[bk], e, e + most);
		for (size_t i = 0, j; i < count; i = j) {
			for (j = i + 1; j < count && e[j].key == e[i].key && e[j].band == e[i].band; j++)
				;
			if (j - i < 2)
				continue;
			st->groups++;
			if (group_pairs(m, sf, entry, e + i, j - i, &scratch, &pairs) < 0)
				goto done;
		}
	}
	st->memory = held + pairs.cap * sizeof(*pairs.v) + scratch.cap;
	free(e);
	e = NULL;
	free(bucket);
	bucket = NULL;

	/* In order of the later record. A pair is found in its first band
	 * that agrees only, so once. */
	qsort(pairs.v, pairs.n, sizeof(*pairs.v), pair_cmp);
	size_t u = 0;
	for (size_t i = 0; i < pairs.n; i++)
		if (!u || pair_cmp(&pairs.v[u - 1], &pairs.v[i]))
			pairs.v[u++] = pairs.v[i];
	pairs.n = u;
	st->pairs = u;

	unsigned char h[PAIRS_HEADER] = { 0 }, b16[16];
	pairs_header(h, m, node, nodes, (uint64_t)total, u);
	struct file_frame_writer w;
	file_frame_begin(&w, &pairs_frame, h, out);
	for (int f = 0; f < m->nfiles; f++) {
		put64(b16, sf[f].n);
		put64(b16 + 8, sf[f].fingerprint);
		file_frame_write(&w, b16, 16);
	}
	for (size_t i = 0; i < u; i++) {
		uint64_t bits;
		memcpy(&bits, &pairs.v[i].sim, 8);
		put32(b16, pairs.v[i].later);
		put32(b16 + 4, pairs.v[i].earlier);
		put64(b16 + 8, bits);
		file_frame_write(&w, b16, 16);
	}
	file_frame_end(&w);
	rc = 0;
done:
	free(buf);
	for (unsigned b = 0; bucket && b < ENTRY_BUCKETS; b++) {
		for (size_t c = 0; c < bucket[b].nchunks; c++)
			free(bucket[b].chunk[c]);
		free(bucket[b].chunk);
	}
	free(bucket);
	for (int f = 0; f < m->nfiles; f++)
		if (sf[f].fd >= 0)
			close(sf[f].fd);
	free(sf);
	free(e);
	free(pairs.v);
	strbuf_release(&scratch);
	return rc;
}

/* One file of pairs being read, a block of them at a time. */
struct pairs_in {
	struct file_frame_reader r;
	uint64_t left;			/* pairs in the file not yet in buf */
	unsigned char *buf;		/* PAIRS_BLOCK pairs */
	size_t have, at;
	struct dedup_pair cur;		/* the next pair, while live */
	int live;
};

#define PAIRS_BLOCK 4096

/* The next pair of in into in->cur; 0 (in->live cleared at the end, the
 * checksum checked), or -1 after an error. */
static int pairs_next(struct pairs_in *in)
{
	if (in->at == in->have) {
		if (!in->left) {
			in->live = 0;
			return file_frame_close(&in->r, 1);
		}
		size_t k = in->left < PAIRS_BLOCK ? (size_t)in->left : PAIRS_BLOCK;
		if (file_frame_read(&in->r, in->buf, k * 16) < 0)
			return -1;
		in->left -= k;
		in->have = k;
		in->at = 0;
	}
	const unsigned char *p = in->buf + 16 * in->at++;
	uint64_t bits = get64(p + 8);
	struct dedup_pair next = { get32(p), get32(p + 4), 0 };
	memcpy(&next.sim, &bits, 8);
	if (in->live && pair_cmp(&in->cur, &next) >= 0)
		return file_frame_fail(&in->r, "corrupt: the pairs are out of order");
	if (next.earlier >= next.later || !(next.sim >= 0 && next.sim <= 1))
		return file_frame_fail(&in->r, "corrupt: a bad pair");
	in->cur = next;
	in->live = 1;
	return 0;
}

/* Open the pairs file at path and check that it is one of the nodes
 * (nodes of them; seen[i]: node i + 1 was given before) of a step 2a
 * over the shards sf, of total records, with this run's options. */
static int pairs_open(struct pairs_in *in, const char *path, const struct dedup_merge *m,
		      const struct shard_file *sf, uint64_t total, unsigned nodes_given,
		      unsigned char *seen)
{
	unsigned char h[PAIRS_HEADER];
	memset(in, 0, sizeof(*in));
	if (file_frame_open(&in->r, &pairs_frame, path, h) < 0)
		return -1;
	struct strbuf err = STRBUF_INIT;
	uint64_t npairs = get64(h + 80), nshards = get64(h + 72);
	uint32_t node = get32(h + 56), nodes = get32(h + 60);
	double c = m->verify ? m->cut : -1, got;
	uint64_t bits = get64(h + 88);
	memcpy(&got, &bits, 8);
	uint64_t body = 0;
	int overflow = nshards > UINT32_MAX || npairs > UINT64_MAX / 64 ||
		       __builtin_add_overflow(nshards * 16, npairs * 16, &body);
	if (params_differ(m->p, h, &err)) {
	} else if (file_frame_length(&pairs_frame, body, overflow) != in->r.size) {
		strbuf_addstr(&err, "truncated");
	} else if (got != c) {
		strbuf_addstr(&err, got < 0 || c < 0 ? "made with another --no-verify"
						     : "made with another --threshold");
	} else if (!nodes || !node || node > nodes) {
		strbuf_addstr(&err, "corrupt: a bad node");
	} else if (nodes != nodes_given) {
		strbuf_addf(&err, "node %u of %u, but %u files of pairs are given: give every "
			    "node's, once each", node, nodes, nodes_given);
	} else if (nshards != (uint64_t)m->nfiles || get64(h + 64) != total) {
		strbuf_addf(&err, "made from %llu shards of %llu records, not these %d of %llu",
			    (unsigned long long)nshards, (unsigned long long)get64(h + 64),
			    m->nfiles, (unsigned long long)total);
	} else if (seen[node - 1]) {
		strbuf_addf(&err, "node %u of %u again", node, nodes);
	}
	if (err.len) {
		file_frame_fail(&in->r, err.buf);
		strbuf_release(&err);
		return -1;
	}
	seen[node - 1] = 1;
	/* The shards it was made from: these, unchanged. */
	for (int f = 0; f < m->nfiles; f++) {
		unsigned char b[16];
		if (file_frame_read(&in->r, b, 16) < 0) {
			strbuf_release(&err);
			return -1;
		}
		if (get64(b) != sf[f].n || get64(b + 8) != sf[f].fingerprint) {
			strbuf_addf(&err, "made from another %s", sf[f].path);
			file_frame_fail(&in->r, err.buf);
			strbuf_release(&err);
			return -1;
		}
	}
	strbuf_release(&err);
	in->left = npairs;
	in->buf = xmalloc(PAIRS_BLOCK * 16);
	return pairs_next(in);
}

/* A duplicate found by step 2b: the record, the one it duplicates, and
 * the similarity in thousandths. */
struct merge_drop {
	uint32_t rec, of, sim;
};

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The ids of records want[0..n) (increasing) from the shards' files,
 * into ids (id i for want[i]). */
static int read_ids_of(const struct shard_file *sf, int nfiles, size_t entry,
		       const uint32_t *want, size_t n, struct id_list *ids)
{
	struct strbuf id = STRBUF_INIT;
	int fd = -1, rc = 0;
	const struct shard_file *open_one = NULL;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct shard_file *s = shard_of(sf, nfiles, want[i]);
		if (s != open_one) {
			if (fd >= 0)
				close(fd);
			open_one = s;
			fd = open(s->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				rc = error_errno("%s", s->path);
				break;
			}
		}
		uint64_t local = want[i] - s->first, ends = SHARD_HEADER + s->n * entry;
		unsigned char b[16];
		uint64_t start = 0, end;
		if (local) {
			if (read_at(fd, s->path, b, 16, ends + 8 * (local - 1)) < 0) {
				rc = -1;
				break;
			}
			start = get64(b);
			end = get64(b + 8);
		} else {
			if (read_at(fd, s->path, b, 8, ends) < 0) {
				rc = -1;
				break;
			}
			end = get64(b);
		}
		if (end < start || end > s->ids_bytes) {
			rc = error("%s: corrupt: a bad id", s->path);
			break;
		}
		strbuf_reset(&id);
		strbuf_grow(&id, (size_t)(end - start));
		if (read_at(fd, s->path, id.buf, (size_t)(end - start), ends + s->n * 8 + start) < 0) {
			rc = -1;
			break;
		}
		strbuf_setlen(&id, (size_t)(end - start));
		if (!valid_id(id.buf, id.len)) {
			rc = error("%s: corrupt: a bad id", s->path);
			break;
		}
		id_list_push(ids, id.buf, id.len);
	}
	if (fd >= 0)
		close(fd);
	strbuf_release(&id);
	return rc;
}

/* Is (s, e) a better match than (best_sim, best), as better() says, with
 * best == UINT32_MAX for none yet. */
static inline int better32(double s, uint32_t e, double best_sim, uint32_t best)
{
	return best == UINT32_MAX || s > best_sim || (s == best_sim && e < best);
}

int dedup_merge_pairs(const struct dedup_merge *m, char **pairs, int npairs,
		      struct output **verdicts, struct dedup_merge_stats *st)
{
	memset(st, 0, sizeof(*st));
	int exact = m->p->mode == DEDUP_EXACT;
	size_t entry = exact ? sizeof(struct hash128) : minhash_sig_bytes(m->mh);
	struct shard_file *sf = xcalloc((size_t)m->nfiles, sizeof(*sf));
	struct pairs_in *in = xcalloc((size_t)npairs, sizeof(*in));
	unsigned char *seen = xcalloc((size_t)npairs, 1);	/* the nodes given */
	uint64_t *kept = NULL;
	struct merge_drop *drops = NULL;
	size_t ndrops = 0, dcap = 0;
	uint32_t *want = NULL;
	struct id_list ids = { 0 };
	strbuf_init(&ids.text);
	int rc = -1, opened = 0;
	int64_t total = shard_files_scan(m, entry, sf);
	if (total < 0)
		goto done;
	st->records = (uint64_t)total;
	for (; opened < npairs; opened++)
		if (pairs_open(&in[opened], pairs[opened], m, sf, (uint64_t)total, (unsigned)npairs,
			       seen) < 0) {
			opened++;
			goto done;
		}

	/* Keep-first, in order of the later record: each record's earlier
	 * candidates all come before its own turn as an earlier one. A
	 * record with no pair is kept. */
	kept = xcalloc(((size_t)total + 63) / 64 + 1, sizeof(*kept));
	memset(kept, 0xff, (((size_t)total + 63) / 64 + 1) * sizeof(*kept));
	uint32_t later = UINT32_MAX, best = UINT32_MAX;
	double best_sim = -1;
	for (;;) {
		int at = -1;
		for (int i = 0; i < npairs; i++)
			if (in[i].live && (at < 0 || pair_cmp(&in[i].cur, &in[at].cur) < 0))
				at = i;
		if (at < 0 || in[at].cur.later != later) {
			if (later != UINT32_MAX && best != UINT32_MAX) {
				kept[later / 64] &= ~(UINT64_C(1) << later % 64);
				if (ndrops == dcap) {
					dcap = grow_capacity(dcap, ndrops + 1, 1024);
					drops = xreallocarray(drops, dcap, sizeof(*drops));
				}
				long k = lround(best_sim * 1000);
				drops[ndrops++] = (struct merge_drop){ later, best,
					(uint32_t)(k < 0 ? 0 : k > 1000 ? 1000 : k) };
			}
			if (at < 0)
				break;
			later = in[at].cur.later;
			best = UINT32_MAX;
			best_sim = -1;
		}
		const struct dedup_pair *p = &in[at].cur;
		st->pairs++;
		if (kept[p->earlier / 64] >> p->earlier % 64 & 1 && (!m->verify || p->sim >= m->cut) &&
		    better32(p->sim, p->earlier, best_sim, best)) {
			best = p->earlier;
			best_sim = p->sim;
		}
		if (pairs_next(&in[at]) < 0)
			goto done;
	}
	st->duplicates = ndrops;

	/* The ids of the records duplicated, read from the shards' files. */
	want = xcalloc(ndrops ? ndrops : 1, sizeof(*want));
	for (size_t i = 0; i < ndrops; i++)
		want[i] = drops[i].of;
	qsort(want, ndrops, sizeof(*want), u32_cmp);
	size_t nwant = 0;
	for (size_t i = 0; i < ndrops; i++)
		if (!nwant || want[nwant - 1] != want[i])
			want[nwant++] = want[i];
	if (read_ids_of(sf, m->nfiles, entry, want, nwant, &ids) < 0)
		goto done;
	st->memory = ((size_t)total + 63) / 64 * 8 + dcap * sizeof(*drops) + nwant * 12 +
		     ids.text.cap + (size_t)npairs * (PAIRS_BLOCK * 16 + FILE_FRAME_READ_BUF);

	size_t d = 0;
	for (int f = 0; f < m->nfiles; f++) {
		struct dedup_verdicts v;
		dedup_verdicts_init(&v, sf[f].n, sf[f].fingerprint);
		for (; d < ndrops && drops[d].rec < sf[f].first + sf[f].n; d++) {
			size_t lo = 0, hi = nwant - 1;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (want[mid] < drops[d].of)
					lo = mid + 1;
				else
					hi = mid;
			}
			size_t len;
			const char *of = id_list_get(&ids, lo, &len);
			dedup_verdicts_drop(&v, drops[d].rec - sf[f].first, drops[d].sim, of, len);
		}
		dedup_verdicts_write(&v, verdicts[f]);
		dedup_verdicts_release(&v);
	}
	rc = 0;
done:
	for (int i = 0; i < opened; i++) {
		if (in[i].r.fd >= 0)
			file_frame_close(&in[i].r, 0);
		free(in[i].buf);
	}
	free(in);
	free(seen);
	free(sf);
	free(kept);
	free(drops);
	free(want);
	id_list_release(&ids);
	return rc;
}
