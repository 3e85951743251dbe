/* stats_state.c: the state file of synth-stats --partial and --merge;
 * see stats_state.h. */
#include "stats_state.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bytes.h"
#include "diag.h"
#include "file_frame.h"
#include "hash.h"
#include "json.h"

/* A state file, every number in the byte order of the machine that wrote
 * it (recorded by the marker):
 *
 *   header	280 bytes: magic, version, byte order, the build's table
 *		settings, the seed, the memory limit, the counts, how
 *		many of each thing follows, exact_until, and the tokens:
 *		their count and the fingerprint of --tokenizer's file (0
 *		without)
 *   by		the --by field's name (empty when not grouped)
 *   tokenizer	--tokenizer's name, for messages (empty without)
 *   lengths	(length, records) pairs, lengths increasing
 *   token lengths	the same in tokens (none without --tokenizer)
 *   arena	the vocabulary's word texts
 *   tables	n = 1..4: the used entries of the table, whole (key, count,
 *		extras), or the sketch's registers when approximate
 *   sample	(hash, length, text) per item
 *   groups	(key length, records, words, bigrams, min, max, tokens,
 *		key, the two sketches' registers) per group
 *   checksum	hash64 of every byte before it
 *
 * Offsets into the arena are kept as they are, since the arena is kept
 * whole. Entries go out in slot order; loading inserts them afresh, so the
 * tables need not have the same size on both sides.
 *
 * Version 3 added the tokens. A state of version 2 is refused with a
 * message that says what to do (count that part again), not read by a
 * second layout kept for good: states are made to be merged within a
 * run of shards, not kept for years. */
#define HEADER_U32 4
#define HEADER_U64 31
#define STATE_HEADER_BYTES (FILE_FRAME_FIELDS + 4 * HEADER_U32 + 8 * HEADER_U64)
#define STATE_GROUP_BYTES 56	/* a group before its key and registers */
#define STATE_MAX_TOKENIZER 64	/* bytes of a tokenizer's name, at most */
#define STATE_BATCH (1u << 16)

static const struct file_frame state_frame = {
	.magic = "SYNTHSTS", .version = 3, .header = STATE_HEADER_BYTES,
	.kind = "a synth-stats state",
};

/* The header, decoded. */
struct state_header {
	uint32_t max_n, hll_p, group_hll_p, approx;
	uint64_t seed, memory_limit, sample_budget;
	uint64_t records, bytes, chars, words, lines, collisions;
	uint64_t total[STATS_MAX_N + 1], entries[STATS_MAX_N + 1];
	uint64_t arena, lengths, samples, sample_text, groups, group_keys, by;
	uint64_t invalid, input_bytes, exact_until;
	uint64_t tokens, token_lengths, tokenizer_id, tokenizer;
};

/* Header fields after the frame's, in order; one list for both ways. */
static void header_fields(struct state_header *h, uint32_t **f32, uint64_t **f64)
{
	uint32_t *a[] = { &h->max_n, &h->hll_p, &h->group_hll_p, &h->approx };
	uint64_t *b[] = { &h->seed, &h->memory_limit, &h->sample_budget, &h->records,
			  &h->bytes, &h->chars, &h->words, &h->lines, &h->collisions,
			  &h->total[1], &h->total[2], &h->total[3], &h->total[4],
			  &h->entries[1], &h->entries[2], &h->entries[3], &h->entries[4],
			  &h->arena, &h->lengths, &h->samples, &h->sample_text, &h->groups,
			  &h->group_keys, &h->by, &h->invalid, &h->input_bytes, &h->exact_until,
			  &h->tokens, &h->token_lengths, &h->tokenizer_id, &h->tokenizer };
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
	for (size_t i = 0; i < HEADER_U32; i++)
		put32(buf + FILE_FRAME_FIELDS + 4 * i, *f32[i]);
	for (size_t i = 0; i < HEADER_U64; i++)
		put64(buf + FILE_FRAME_FIELDS + 4 * HEADER_U32 + 8 * i, *f64[i]);
}

static void header_decode(struct state_header *h, const unsigned char *buf)
{
	uint32_t *f32[HEADER_U32];
	uint64_t *f64[HEADER_U64];
	header_fields(h, f32, f64);
	for (size_t i = 0; i < HEADER_U32; i++)
		*f32[i] = get32(buf + FILE_FRAME_FIELDS + 4 * i);
	for (size_t i = 0; i < HEADER_U64; i++)
		*f64[i] = get64(buf + FILE_FRAME_FIELDS + 4 * HEADER_U32 + 8 * i);
}

/* Pieces of the file gathered into larger writes: a table goes out an
 * entry at a time. */
struct state_writer {
	struct file_frame_writer fw;
	unsigned char *buf;
	size_t len;
};

static void state_flush(struct state_writer *w)
{
	file_frame_write(&w->fw, w->buf, w->len);
	w->len = 0;
}

static void state_put(struct state_writer *w, const void *p, size_t n)
{
	if (w->len + n > STATE_BATCH)
		state_flush(w);
	if (n > STATE_BATCH) {
		file_frame_write(&w->fw, p, n);
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

/* The (length, records) pairs of a histogram, lengths increasing. */
static void put_lengths(struct state_writer *w, const struct lenhist *len)
{
	for (size_t i = 0; i < LENHIST_DENSE; i++) {
		if (len->dense[i]) {
			state_put64(w, i);
			state_put64(w, len->dense[i]);
		}
	}
	for (size_t i = 0; i < len->nbig; i++) {
		state_put64(w, len->big[2 * i]);
		state_put64(w, len->big[2 * i + 1]);
	}
}

/* How many pairs put_lengths() writes. */
static uint64_t lenhist_entries(const struct lenhist *len)
{
	uint64_t n = len->nbig;
	for (size_t i = 0; i < LENHIST_DENSE; i++)
		n += len->dense[i] != 0;
	return n;
}

void stats_state_write(const struct corpus_stats *cs, const struct stats_report *r,
		       struct output *out)
{
	if (!r->by && cs->ngroups)
		BUG("stats_state_write: groups without a --by field");
	struct state_header h = {
		.max_n = STATS_MAX_N, .hll_p = STATS_HLL_P, .group_hll_p = STATS_GROUP_HLL_P,
		.seed = cs->seed, .memory_limit = cs->memory_limit,
		.sample_budget = cs->sample.budget, .records = cs->records, .bytes = cs->bytes,
		.chars = cs->chars, .words = cs->words, .lines = cs->lines,
		.collisions = cs->collisions, .arena = cs->approx[1] ? 0 : cs->arena.len,
		.samples = cs->sample.n, .groups = cs->ngroups, .by = r->by ? strlen(r->by) : 0,
		.invalid = r->invalid, .input_bytes = r->input_bytes, .exact_until = cs->exact_until,
		.tokens = cs->tokens, .tokenizer_id = r->tokenizer_id,
		.tokenizer = r->tokenizer_id ? strlen(r->tokenizer) : 0,
	};
	if ((!r->tokenizer_id && cs->has_tokens) || h.tokenizer > STATE_MAX_TOKENIZER)
		BUG("stats_state_write: tokens without a tokenizer, or a long name");
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		h.total[n] = cs->total[n];
		if (cs->approx[n])
			h.approx |= 1u << n;
		else
			h.entries[n] = cs->ngrams[n].used;
	}
	const struct lenhist *len = &cs->length;
	h.lengths = lenhist_entries(len);
	h.token_lengths = lenhist_entries(&cs->token_length);
	for (size_t i = 0; i < cs->sample.n; i++)
		h.sample_text += cs->sample.heap[i].len;
	for (size_t i = 0; i < cs->capgroups; i++)
		if (cs->groups[i])
			h.group_keys += cs->groups[i]->keylen;

	struct state_writer w = { .buf = xmalloc(STATE_BATCH) };
	unsigned char hb[STATE_HEADER_BYTES];
	header_encode(&h, hb);
	file_frame_begin(&w.fw, &state_frame, hb, out);
	state_put(&w, r->by ? r->by : "", h.by);
	state_put(&w, r->tokenizer_id ? r->tokenizer : "", h.tokenizer);
	put_lengths(&w, len);
	put_lengths(&w, &cs->token_length);
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
		uint64_t fixed[] = { g->keylen, g->records, g->words, g->bigrams, g->min, g->max,
				     g->tokens };
		_Static_assert(sizeof(fixed) == STATE_GROUP_BYTES, "a group's numbers");
		for (size_t k = 0; k < sizeof(fixed) / sizeof(*fixed); k++)
			state_put64(&w, fixed[k]);
		state_put(&w, g->key, g->keylen);
		state_put(&w, g->words_hll.reg, (size_t)1 << STATS_GROUP_HLL_P);
		state_put(&w, g->bigrams_hll.reg, (size_t)1 << STATS_GROUP_HLL_P);
	}
	state_flush(&w);
	file_frame_end(&w.fw);
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
	add_bytes(&total, 1, h->tokenizer, overflow);
	add_bytes(&total, h->lengths, 16, overflow);
	add_bytes(&total, h->token_lengths, 16, overflow);
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
static int options_differ(const struct state_header *h, const char *by, const char *tokenizer,
			  uint64_t seed, uint64_t exact_until, const struct stats_report *r,
			  struct strbuf *err)
{
	const char *want_by = r->by;
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
	else if (h->tokenizer_id && !r->tokenizer_id)
		strbuf_addf(err, "made with --tokenizer (%.*s); this run has no --tokenizer",
			    (int)h->tokenizer, tokenizer);
	else if (!h->tokenizer_id && r->tokenizer_id)
		strbuf_addstr(err, "made without --tokenizer; this run has --tokenizer");
	else if (h->tokenizer_id != r->tokenizer_id)
		strbuf_addf(err, "made with the tokens of another --tokenizer file (%.*s); this run "
			    "has %s", (int)h->tokenizer, tokenizer, r->tokenizer);
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
	if (!h->tokenizer_id && (h->tokens || h->token_lengths || h->tokenizer))
		return 0;
	if ((h->approx & ~tables) || h->total[1] != h->words || h->by > STATE_MAX_BY ||
	    h->tokenizer > STATE_MAX_TOKENIZER ||
	    (h->groups && !h->by) || ((h->approx & (1u << 1)) && h->arena))
		return 0;
	for (unsigned n = 1; n <= STATS_MAX_N; n++)
		if (((h->approx & (1u << n)) && h->entries[n]) ||
		    (n > 1 && h->exact_until && h->entries[n] > h->exact_until))
			return 0;
	return 1;
}

/* A length histogram of `pairs` pairs into len, whose lengths must add
 * up to `sum` over `records` records; NULL, or what is wrong. */
static const char *read_lengths(struct lenhist *len, uint64_t pairs, uint64_t want_records,
				uint64_t sum, struct byte_reader *rd)
{
	uint64_t records = 0, words = 0, prev = 0;
	for (uint64_t i = 0; i < pairs; i++) {
		const unsigned char *p = byte_take(rd, 16);
		if (!p)
			return "corrupt: bad lengths";
		uint64_t l = get64(p), count = get64(p + 8), w;
		if (!count || (i && l <= prev) || __builtin_mul_overflow(l, count, &w) ||
		    __builtin_add_overflow(words, w, &words) ||
		    __builtin_add_overflow(records, count, &records))
			return "corrupt: bad lengths";
		lenhist_add(len, l, count);
		prev = l;
	}
	if (records != want_records || words != sum)
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
			corpus_stats_approximate(cs, n);
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
		    (get64(p + 48) && !h->tokenizer_id) ||
		    !ranks_ok(reg, STATS_GROUP_HLL_P) || !ranks_ok(reg + m, STATS_GROUP_HLL_P))
			return "corrupt: a bad group";
		struct stats_group *g = stats_group_get(cs, (const char *)key, keylen);
		if (g->records)
			return "corrupt: a group listed twice";
		g->records = records;
		g->words = get64(p + 16);
		g->bigrams = get64(p + 24);
		g->min = min;
		g->max = max;
		g->tokens = get64(p + 48);
		memcpy(g->words_hll.reg, reg, m);
		memcpy(g->bigrams_hll.reg, reg + m, m);
		keys += keylen;
	}
	if (keys != h->group_keys)
		return "corrupt: the groups do not add up";
	return NULL;
}

int stats_state_parse(struct corpus_stats *cs, struct stats_report *r,
		      const unsigned char *buf, size_t n, struct strbuf *err)
{
	if (cs->records || cs->ngroups || cs->sample.n)
		BUG("stats_state_parse into a state already counted into");
	struct state_header h = { 0 };
	int overflow = 0;
	uint64_t length = 0, promised = FILE_FRAME_ANY_LENGTH;
	if (n >= STATE_HEADER_BYTES) {
		header_decode(&h, buf);
		length = state_length(&h, cs, &overflow);
		/* The length counts only when the header reads as one of
		 * ours: tables of other settings have entries of other sizes. */
		if (same_settings(&h, cs) && header_ok(&h))
			promised = overflow ? UINT64_MAX : length;
	}
	if (n >= 12 && !memcmp(buf, state_frame.magic, 8) && get32(buf + 8) == 2) {
		strbuf_addstr(err, "a state of an older synth-stats (format version 2, before token "
			      "counts); this one reads version 3: run --partial again on that part");
		return state_fail(cs, err, NULL);
	}
	if (file_frame_check(&state_frame, buf, n, promised, err) < 0)
		return state_fail(cs, err, NULL);
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
	const char *tokenizer = (const char *)byte_take(&rd, h.tokenizer);
	if (options_differ(&h, by, tokenizer, cs->seed, cs->exact_until, r, err))
		return state_fail(cs, err, NULL);
	const char *why = read_lengths(&cs->length, h.lengths, h.records, h.words, &rd);
	if (!why && h.tokenizer_id)
		why = read_lengths(&cs->token_length, h.token_lengths, h.records, h.tokens, &rd);
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
	cs->tokens = h.tokens;
	cs->has_tokens = h.token_lengths != 0;
	for (unsigned k = 1; k <= STATS_MAX_N; k++)
		cs->total[k] = h.total[k];
	cs->memory_limit = h.memory_limit;
	r->invalid += h.invalid;
	r->input_bytes += h.input_bytes;
	return 0;
}

/* A state being read: where to, and the report it adds to. */
struct state_read {
	struct corpus_stats *cs;
	struct stats_report *r;
};

static int parse_state(void *obj, const unsigned char *buf, size_t n, struct strbuf *err)
{
	struct state_read *sr = obj;
	return stats_state_parse(sr->cs, sr->r, buf, n, err);
}

int stats_state_read(struct corpus_stats *cs, struct stats_report *r, const char *path)
{
	struct stats_report got = { .by = r->by, .tokenizer = r->tokenizer,
				    .tokenizer_id = r->tokenizer_id };
	struct corpus_stats part;
	corpus_stats_init(&part, cs->memory_limit, cs->seed);
	part.exact_until = cs->exact_until;
	/* The file's bytes are freed once parsed, before the merge, which
	 * may need the room. */
	struct state_read sr = { &part, &got };
	int rc = file_frame_load(path, FILE_REQUIRED, parse_state, &sr) == FILE_LOADED ? 0 : -1;
	if (!rc) {
		corpus_stats_merge(cs, &part);
		r->invalid += got.invalid;
		r->input_bytes += got.input_bytes;
	}
	corpus_stats_release(&part);
	return rc;
}
