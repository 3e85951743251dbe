/* synth-mix: mix sources of records by exact shares.
 *
 * Two passes. The first reads every source through the record loop and
 * keeps, for each record, its size in docs, bytes and words, whether it
 * is synthetic, a key (the hash of its id under the seed) and the hash of
 * its line. From those the plan follows before a byte is written: how
 * much of each source the shares ask for, which records give it (those
 * with the smallest keys, so the choice is keyed by the record and not
 * by its place), how many epochs a source that is too small is repeated,
 * and the synthetic share that --max-synthetic checks. The second pass
 * reads the sources again and writes the planned records, each time from
 * a source drawn with probability proportional to what it still has to
 * give, so the mix is interleaved and its shares are exact. A line that
 * is not the one the first pass saw stops the run: the file changed.
 *
 * The table of what the first pass keeps (24 bytes a record) moves to an
 * unlinked temporary file past its part of --memory (lib/spill.h): the
 * plan and the second pass read it in order, and the plan finds the
 * records with the smallest keys by counting keys, without sorting it.
 * Standard input is read once: the first pass copies its records to an
 * unlinked temporary file, which the second pass reads. A source that is
 * repeated (--upsample) is held in memory in the second pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bytes.h"
#include "cli.h"
#include "diag.h"
#include "file_lock.h"
#include "hash.h"
#include "input.h"
#include "json.h"
#include "number.h"
#include "output.h"
#include "prng.h"
#include "records.h"
#include "shuffle.h"
#include "spill.h"
#include "tokenizer.h"
#include "text.h"

enum {
	KEY_LABEL = KEY_PROGRAM, KEY_UNIT, KEY_UPSAMPLE, KEY_SHUFFLE, KEY_MEMORY, KEY_SAMPLE,
	KEY_MAX_SYNTHETIC, KEY_SYNTHETIC, KEY_REPORT, KEY_TOKENIZER
};

static const struct cli_option options[] = {
	{ "label", KEY_LABEL, "NAME", "name the sources, in order, one --label each (default: the file's base name)" },
	{ "unit", KEY_UNIT, "HOW", "shares and totals in docs, bytes, words or tokens (default: docs)" },
	{ "tokenizer", KEY_TOKENIZER, "FILE", TOKENIZER_OPTION_HELP },
	{ "total", 'n', "N", "make a mix of N units (default: as large as the sources allow)" },
	{ "upsample", KEY_UPSAMPLE, NULL, "repeat a source that is too small, in whole epochs" },
	{ "shuffle", KEY_SHUFFLE, NULL, "shuffle the output uniformly, in bounded memory" },
	{ "memory", KEY_MEMORY, "SIZE", "memory for the table of records and --shuffle before they spill to TMPDIR (default: 512M)" },
	{ "sample", KEY_SAMPLE, "P", "keep each record of the one source with probability P, by its id" },
	{ "max-synthetic", KEY_MAX_SYNTHETIC, "R", "refuse a mix more than R synthetic in the unit" },
	{ "synthetic", KEY_SYNTHETIC, "NAME", "the source labelled NAME is synthetic (repeatable)" },
	{ "report", KEY_REPORT, "FILE", "write the shares achieved, as JSON, to FILE" },
	CLI_OPT_FIELD,
	CLI_OPT_ID_FIELD,
	CLI_OPT_OUTPUT,
	CLI_OPT_SEED,
	CLI_OPT_JOBS,
	CLI_OPT_SKIP_INVALID,
	CLI_OPT_REJECTS,
	CLI_OPT_WAIT_LOCK,
	CLI_OPT_QUIET,
	CLI_OPT_VERBOSE,
	CLI_OPT_PROGRESS,
	CLI_OPT_HELP,
	CLI_OPT_VERSION,
	CLI_OPT_END
};

static const struct cli_program program = {
	"synth-mix", "[OPTION]... SOURCE[:WEIGHT]...",
	"Mix sources of JSON Lines records by exact shares in docs, bytes or words.",
	options
};

/* Tokens are counted under --tokenizer only: without it a report
 * lists the units before TOKENS. */
enum unit { DOCS, BYTES, WORDS, TOKENS, UNITS };
static const char *const unit_names[UNITS] = { "docs", "bytes", "words", "tokens" };

/* What the first pass keeps of a record: 24 bytes. The line's hash
 * has 32 bits so that the tokens fit beside it: a line changed between
 * the passes goes unseen once in four billion. */
struct rec {
	uint64_t key;		/* hash of the id (or the line) under the seed */
	uint32_t hash;		/* of the line, to see it again unchanged */
	uint32_t tokens;	/* of the text, under --tokenizer (else 0) */
	uint32_t bytes;		/* of the text */
	uint32_t words;		/* of the text, and the flags above WORDS_MASK */
};

#define REC_SYNTHETIC (1u << 31)
#define REC_OUT (1u << 30)	/* left out by --sample */
#define REC_MIX (1u << 28)	/* has a "mix" member already */
#define WORDS_MASK ((1u << 28) - 1)

static uint64_t rec_units(const struct rec *r, enum unit u)
{
	return u == DOCS ? 1 : u == BYTES ? r->bytes : u == TOKENS ? r->tokens : (r->words & WORDS_MASK);
}

/* A record in the order of an epoch: by its key in that epoch, then by
 * its place in the source. */
struct pick {
	uint64_t key;
	uint64_t at;
	struct rec rec;
};

struct source {
	char *path;		/* "-" for standard input */
	const char *label;
	double weight, share;	/* as given; normalised */
	int synthetic;		/* named by --synthetic */
	struct spill_array table;	/* a struct rec for every valid record, in order */
	uint64_t avail[UNITS];	/* of the records not left out */
	uint64_t avail_syn[UNITS];
	int spool_fd;		/* standard input's copy, or -1 */
	char *spool_path;
	/* The plan. */
	double quota;		/* units asked for */
	uint64_t full_epochs;	/* whole passes over the source */
	uint64_t partial;	/* records of the last, partial pass: a prefix in its order */
	struct pick bound;	/* the prefix's last record, when partial is not 0 */
	uint64_t take[UNITS], take_syn[UNITS];
	int repeated;		/* read into memory and replayed */
};

struct settings {
	struct cli_common common;
	enum unit unit;
	int has_total, upsample, shuffle;
	uint64_t total;
	const char *total_arg;
	uint64_t memory;
	double sample, max_synthetic;	/* NaN: not given */
	const char *report;
	const char **labels, **synthetic;
	size_t nlabels, nsynthetic;
	struct spill_budget tables;	/* the memory the sources' tables share */
	struct source *src;
	size_t nsrc;
	char **paths;		/* the sources' paths, one string each */
	const char *tokenizer_path;
	struct tokenizer *tokenizer;	/* --tokenizer: tokens are a unit */
	int nunits;		/* the units reported: UNITS with a tokenizer, else TOKENS */
};

/* --- The first pass ------------------------------------------------------ */

/* What a worker leaves for each record. */
struct seen {
	uint32_t source;
	struct rec rec;
	const char *line;	/* for standard input's copy */
	size_t len;
};

struct worker {
	const struct settings *set;
	struct strbuf text;
	struct words ws;
	size_t last;		/* the source of the last record */
	struct tokenizer_run *tokens;	/* --tokenizer */
};

static void *worker_new(void *arg)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	w->set = arg;
	if (w->set->tokenizer)
		w->tokens = tokenizer_run_new(w->set->tokenizer);
	strbuf_init(&w->text);
	words_init(&w->ws);
	return w;
}

static void worker_free(void *arg)
{
	struct worker *w = arg;
	strbuf_release(&w->text);
	words_release(&w->ws);
	tokenizer_run_free(w->tokens);
	free(w);
}

/* The key of a record: its id's JSON text under the seed, or without an
 * id its line's hash mixed with the seed. */
static uint64_t record_key(const struct settings *set, const struct json_value *id, uint64_t hash)
{
	if (id->type == JSON_STRING || id->type == JSON_NUMBER)
		return hash64(id->p, id->len, set->common.seed);
	return mix64(hash ^ mix64(set->common.seed + 0x9e3779b97f4a7c15ull));
}

/* Is a key inside the --sample rate? */
static int sampled(double rate, uint64_t key)
{
	return (double)(key >> 11) * 0x1p-53 < rate;
}

static void process(void *arg, const struct record *r, struct emit *e)
{
	struct worker *w = arg;
	const struct settings *set = w->set;
	const char *text;
	size_t len;
	if (record_text(r, e, &w->text, &text, &len) < 0)
		return;
	struct seen s = { 0 };
	s.source = (uint32_t)e->operand;
	size_t words = text_count_words(text, len, &w->ws);
	uint64_t tokens = w->tokens ? tokenizer_count(w->tokens, text, len) : 0;
	if (len > UINT32_MAX || words > WORDS_MASK || tokens > UINT32_MAX) {
		emit_invalid(e, r, "text too long for synth-mix (4 GiB or 2^28 words at most)");
		return;
	}
	/* The members that matter, in one walk: the id (unless it is a
	 * dotted path), "synth" and "mix". */
	const char *dotted = strchr(set->common.id_field, '.');
	const char *names[] = { "synth", "mix", set->common.id_field };
	struct json_value v[3];
	json_get_members(r->line, r->len, names, dotted ? 2 : 3, v);
	if (dotted && !json_get(r->line, r->len, set->common.id_field, &v[2]))
		v[2].type = JSON_NONE;
	uint64_t line_hash = hash64(r->line, r->len, 0);
	s.rec.hash = (uint32_t)line_hash;
	s.rec.key = record_key(set, &v[2], line_hash);
	s.rec.tokens = (uint32_t)tokens;
	s.rec.bytes = (uint32_t)len;
	s.rec.words = (uint32_t)words;
	if (set->src[s.source].synthetic || v[0].type != JSON_NONE)
		s.rec.words |= REC_SYNTHETIC;
	if (v[1].type != JSON_NONE)
		s.rec.words |= REC_MIX;
	if (!isnan(set->sample) && !sampled(set->sample, s.rec.key))
		s.rec.words |= REC_OUT;
	s.line = r->line;
	s.len = r->len;
	strbuf_add(&e->side, &s, sizeof(s));
}

/* In input order: the records into their sources, standard input's
 * into its copy. */
static void collect(void *arg, struct emit *e)
{
	struct settings *set = arg;
	struct strbuf copy = STRBUF_INIT;
	struct source *spool = NULL;
	for (size_t off = 0; off < e->side.len; off += sizeof(struct seen)) {
		struct seen s;
		memcpy(&s, e->side.buf + off, sizeof(s));
		struct source *src = &set->src[s.source];
		if (spill_array_push(&src->table, &s.rec) < 0) {
			e->stopped = 1;	/* its error printed */
			break;
		}
		if (!(s.rec.words & REC_OUT)) {
			for (int v = 0; v < UNITS; v++) {
				src->avail[v] += rec_units(&s.rec, (enum unit)v);
				if (s.rec.words & REC_SYNTHETIC)
					src->avail_syn[v] += rec_units(&s.rec, (enum unit)v);
			}
		}
		if (src->spool_fd >= 0) {
			spool = src;
			strbuf_add(&copy, s.line, s.len);
			strbuf_addc(&copy, '\n');
		}
	}
	if (!e->stopped && copy.len && write_full(spool->spool_fd, copy.buf, copy.len) < 0) {
		strbuf_addf(&e->fatal, "cannot keep a copy of standard input in TMPDIR: %s",
			    strerror(errno));
		e->stopped = 1;
	}
	strbuf_release(&copy);
}

/* A temporary file for standard input's records, unlinked at once so
 * that no exit leaves it behind; the second pass opens it again through
 * /proc/self/fd. */
static int open_spool(struct source *src)
{
	src->spool_fd = temp_file("stdin");
	if (src->spool_fd < 0)
		return -1;
	struct strbuf path = STRBUF_INIT;
	strbuf_addf(&path, "/proc/self/fd/%d", src->spool_fd);
	src->spool_path = xstrdup(path.buf);
	strbuf_release(&path);
	return 0;
}

/* --- The plan ------------------------------------------------------------ */

/* The key of record r in epoch e (from 1): a new order each epoch. */
static uint64_t epoch_key(const struct rec *r, uint64_t e)
{
	return e == 1 ? r->key : mix64(r->key + e * 0x9e3779b97f4a7c15ull);
}

struct order_ctx {
	const struct rec *recs;
	uint64_t epoch;
};

static int by_epoch_key(const void *a, const void *b, void *arg)
{
	const struct order_ctx *by = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
	uint64_t x = epoch_key(&by->recs[i], by->epoch);
	uint64_t y = epoch_key(&by->recs[j], by->epoch);
	if (x != y)
		return x < y ? -1 : 1;
	return i < j ? -1 : i > j;
}

/* The n records of a repeated source that count (not left out by
 * --sample) in the order of their keys in epoch e; *k is set to how
 * many. */
static uint32_t *epoch_order(const struct rec *recs, size_t n, uint64_t e, size_t *k)
{
	uint32_t *idx = xreallocarray(NULL, n ? n : 1, sizeof(*idx));
	*k = 0;
	for (size_t i = 0; i < n; i++)
		if (!(recs[i].words & REC_OUT))
			idx[(*k)++] = (uint32_t)i;
	struct order_ctx by = { recs, e };
	qsort_r(idx, *k, sizeof(*idx), by_epoch_key, &by);
	return idx;
}

/* The records of a source in their order of the epoch being planned,
 * read from the table without holding it: one pass over the table
 * gives each record that counts with its key in that epoch. */
struct scan {
	struct spill_reader r;
	uint64_t epoch;
	uint64_t at;		/* place of the next record */
};

static void scan_start(struct scan *sc, const struct source *s, uint64_t epoch)
{
	spill_reader_init(&sc->r, &s->table);
	sc->epoch = epoch;
	sc->at = 0;
}

/* 1 with *p the next record that counts, 0 at the end, -1 after an error. */
static int scan_next(struct scan *sc, struct pick *p)
{
	const void *item;
	int got;
	while ((got = spill_reader_next(&sc->r, &item)) > 0) {
		memcpy(&p->rec, item, sizeof(p->rec));
		p->at = sc->at++;
		if (!(p->rec.words & REC_OUT)) {
			p->key = epoch_key(&p->rec, sc->epoch);
			return 1;
		}
	}
	spill_reader_release(&sc->r);
	return got;
}

/* Does a come before b in the epoch's order (its key, then its place)? */
static int before(const struct pick *a, const struct pick *b)
{
	return a->key != b->key ? a->key < b->key : a->at < b->at;
}

static int by_pick(const void *a, const void *b)
{
	return before(a, b) ? -1 : before(b, a);
}

/* The record next to `from` in the epoch's order: the one just after
 * it (after = 1; from NULL for the first) or just before it. Returns 1
 * with *out set (which may be from), 0 when there is none, -1 after an
 * error. */
static int neighbour(const struct source *s, uint64_t epoch, const struct pick *from, int after,
		     struct pick *out)
{
	struct scan sc;
	struct pick p, at = from ? *from : (struct pick){ 0 };
	int got, found = 0;
	scan_start(&sc, s, epoch);
	while ((got = scan_next(&sc, &p)) > 0) {
		if (after ? (!from || before(&at, &p)) && (!found || before(&p, out))
			  : before(&p, &at) && (!found || before(out, &p))) {
			*out = p;
			found = 1;
		}
	}
	return got < 0 ? -1 : found;
}

/* Count a record of the last epoch into what its source gives (sign
 * 1) or take it back out (-1). */
static void count_taken(struct source *s, const struct rec *r, int sign)
{
	for (int v = 0; v < UNITS; v++) {
		uint64_t units = rec_units(r, (enum unit)v);
		uint64_t syn = r->words & REC_SYNTHETIC ? units : 0;
		if (sign > 0) {
			s->take[v] += units;
			s->take_syn[v] += syn;
		} else {
			s->take[v] -= units;
			s->take_syn[v] -= syn;
		}
	}
}

/* The prefix of a source's records in the epoch's order that gives
 * `want` units, as the record ending it (s->bound) and its length
 * (s->partial): the prefix whose units come closest, stopping at the
 * first record that would overshoot more than it falls short.
 *
 * The table may be larger than memory, so the prefix is found without
 * sorting it: a histogram of the units by the top 16 bits of the key
 * finds the bucket in which the prefix ends (every bucket before it is
 * taken whole), then the next 16 bits within that bucket, until a
 * bucket holds few enough records to be sorted; keys are hashes, so
 * one level is the rule, about n / 65536 records to sort. Records that
 * share one key all (an id repeated) follow their places, which is the
 * table's own order. The choice is the one a sort of the whole table
 * would give. */
#define PLAN_BITS 16
#define PLAN_SORT (1u << 16)	/* records sorted in memory at most */

struct take_state {
	double want;
	uint64_t got;		/* units taken so far */
	enum unit unit;
	int done;
};

/* Offer the next record in the epoch's order; returns whether it is taken. */
static int take_next(struct take_state *t, struct source *s, const struct pick *p)
{
	if (t->done || (double)t->got >= t->want) {
		t->done = 1;
		return 0;
	}
	double units = (double)rec_units(&p->rec, t->unit);
	double got = (double)t->got;
	if (got + units > t->want && got + units - t->want >= t->want - got) {
		t->done = 1;
		return 0;
	}
	t->got += rec_units(&p->rec, t->unit);
	s->partial++;
	s->bound = *p;
	return 1;
}

static int plan_prefix(struct source *s, uint64_t epoch, double want, enum unit u)
{
	struct take_state t = { want, 0, u, 0 };
	s->bound.at = UINT64_MAX;	/* none from the range yet */
	uint64_t *units = xcalloc(2u << PLAN_BITS, sizeof(*units));
	uint64_t *count = units + (1u << PLAN_BITS);
	uint64_t prefix = 0;	/* the range: keys whose top `bits` bits are prefix */
	unsigned bits = 0;
	uint64_t in_range = s->table.count;
	uint64_t taken_before = 0;	/* records of the buckets before the range */
	struct scan sc;
	struct pick p;
	int got = 0;
	s->partial = 0;
	while (in_range > PLAN_SORT && bits < 64) {
		memset(units, 0, (2u << PLAN_BITS) * sizeof(*units));
		unsigned shift = 64 - bits - PLAN_BITS;
		scan_start(&sc, s, epoch);
		while ((got = scan_next(&sc, &p)) > 0) {
			if (bits && p.key >> (64 - bits) != prefix)
				continue;
			size_t b = (size_t)(p.key >> shift) & ((1u << PLAN_BITS) - 1);
			units[b] += rec_units(&p.rec, u);
			count[b]++;
		}
		if (got < 0)
			goto out;
		size_t b = 0;
		while (b + 1 < (1u << PLAN_BITS) && (double)(t.got + units[b]) < want) {
			t.got += units[b];
			taken_before += count[b];
			b++;
		}
		prefix = prefix << PLAN_BITS | b;
		bits += PLAN_BITS;
		in_range = count[b];
	}
	/* The range in detail: sorted, or in the table's order when it
	 * is one key. */
	struct pick *sorted = NULL;
	size_t n = 0, cap = 0;
	scan_start(&sc, s, epoch);
	while ((got = scan_next(&sc, &p)) > 0) {
		if (bits && p.key >> (64 - bits) != prefix)
			continue;
		if (bits == 64) {
			take_next(&t, s, &p);
			continue;
		}
		if (n == cap) {
			cap = grow_capacity(cap, n + 1, 1024);
			sorted = xreallocarray(sorted, cap, sizeof(*sorted));
		}
		sorted[n++] = p;
	}
	if (n)
		qsort(sorted, n, sizeof(*sorted), by_pick);
	for (size_t k = 0; k < n && take_next(&t, s, &sorted[k]); k++)
		;
	free(sorted);
	if (got < 0)
		goto out;
	/* The prefix ends in an earlier bucket when the range gave none. */
	s->partial += taken_before;
	if (!s->partial || s->bound.at != UINT64_MAX)
		goto counted;
	struct pick first = { .key = prefix << (64 - bits) };
	if ((got = neighbour(s, epoch, &first, 0, &s->bound)) < 0)
		goto out;
	if (!got)
		BUG("%s: %llu records before an empty range", s->label, (unsigned long long)s->partial);
counted:
	got = 0;
	if (s->partial) {
		/* What the prefix gives, in every unit. */
		scan_start(&sc, s, epoch);
		while ((got = scan_next(&sc, &p)) > 0)
			if (!before(&s->bound, &p))
				count_taken(s, &p.rec, 1);
	}
out:
	free(units);
	return got < 0 ? -1 : 0;
}

/* Every record of a source that counts: the prefix is all of it, and
 * its bound the last record in the epoch's order. */
static int plan_all(struct source *s, uint64_t epoch)
{
	struct scan sc;
	struct pick p;
	int got;
	scan_start(&sc, s, epoch);
	while ((got = scan_next(&sc, &p)) > 0)
		if (!s->partial++ || before(&s->bound, &p))
			s->bound = p;
	memcpy(s->take, s->avail, sizeof(s->take));
	memcpy(s->take_syn, s->avail_syn, sizeof(s->take_syn));
	return got;
}

/* Units asked of each source: the total (or the largest mix no source
 * has to repeat for) split by the shares, in whole records for docs. */
static int plan_quotas(struct settings *set)
{
	enum unit u = set->unit;
	double total;
	if (set->has_total) {
		total = (double)set->total;
	} else {
		total = INFINITY;
		for (size_t i = 0; i < set->nsrc; i++) {
			double t = (double)set->src[i].avail[u] / set->src[i].share;
			if (t < total)
				total = t;
		}
		if (u == DOCS)
			total = floor(total + 1e-9);
	}
	double assigned = 0;
	for (size_t i = 0; i < set->nsrc; i++) {
		struct source *s = &set->src[i];
		s->quota = total * s->share;
		if (u == DOCS)
			s->quota = floor(s->quota + 1e-9);
		/* Rounding must not ask the binding source for more than it has. */
		if (!set->has_total && s->quota > (double)s->avail[u])
			s->quota = (double)s->avail[u];
		assigned += s->quota;
	}
	/* Whole documents: the records left over go, one each, to the
	 * sources with the largest remainders (the first on a tie), while
	 * they have records to give. */
	while (u == DOCS && assigned < total) {
		size_t best = set->nsrc;
		double best_rem = -1;
		for (size_t i = 0; i < set->nsrc; i++) {
			struct source *s = &set->src[i];
			double rem = total * s->share - s->quota;
			if ((set->has_total || s->quota < (double)s->avail[u]) && rem > best_rem) {
				best = i;
				best_rem = rem;
			}
		}
		if (best == set->nsrc)
			break;
		set->src[best].quota += 1;
		assigned += 1;
	}
	for (size_t i = 0; i < set->nsrc; i++) {
		struct source *s = &set->src[i];
		if (s->quota > (double)s->avail[u] && !set->upsample)
			return error("%s: %llu %s, and the mix needs %.0f; use --upsample to repeat it, or a "
				     "smaller --total", s->label, (unsigned long long)s->avail[u],
				     unit_names[u], ceil(s->quota));
	}
	return 0;
}

/* Which records each source gives: whole epochs, then a prefix of one
 * more in the order of its keys for the rest. */
static int plan_records(struct settings *set)
{
	enum unit u = set->unit;
	for (size_t i = 0; i < set->nsrc; i++) {
		struct source *s = &set->src[i];
		double avail = (double)s->avail[u];
		double want = s->quota;
		if (want > avail) {
			s->repeated = 1;
			s->full_epochs = (uint64_t)floor(want / avail);
			want -= (double)s->full_epochs * avail;
			for (int v = 0; v < UNITS; v++) {
				s->take[v] = s->full_epochs * s->avail[v];
				s->take_syn[v] = s->full_epochs * s->avail_syn[v];
			}
		}
		s->partial = 0;
		int got = !s->repeated && want >= avail ? plan_all(s, 1)
							: plan_prefix(s, s->full_epochs + 1, want, u);
		if (got < 0)
			return -1;
	}
	return 0;
}

/* The share of the mix that is synthetic, in the unit. */
static double synthetic_share(const struct settings *set, enum unit u)
{
	uint64_t all = 0, syn = 0;
	for (size_t i = 0; i < set->nsrc; i++) {
		all += set->src[i].take[u];
		syn += set->src[i].take_syn[u];
	}
	return all ? (double)syn / (double)all : 0;
}

/* Keep the mix within --max-synthetic when only rounding put it over:
 * the shares are exact to within one record, and that record may tip
 * it. First each source whose next record in key order is not
 * synthetic takes it (it fell short of its share by part of that
 * record), then each source gives back its last record past whole
 * epochs when that one is synthetic, while the mix is over: at most one
 * record each way, so the shares stay within one record. */
static int trim_to_limit(struct settings *set)
{
	for (size_t i = 0; i < set->nsrc && synthetic_share(set, set->unit) > set->max_synthetic; i++) {
		struct source *s = &set->src[i];
		struct pick next;
		int got = neighbour(s, s->full_epochs + 1, s->partial ? &s->bound : NULL, 1, &next);
		if (got < 0)
			return -1;
		if (got && !(next.rec.words & REC_SYNTHETIC)) {
			count_taken(s, &next.rec, 1);
			s->bound = next;
			s->partial++;
		}
	}
	for (size_t i = 0; i < set->nsrc && synthetic_share(set, set->unit) > set->max_synthetic; i++) {
		struct source *s = &set->src[i];
		if (!s->partial || !(s->bound.rec.words & REC_SYNTHETIC))
			continue;
		count_taken(s, &s->bound.rec, -1);
		if (!--s->partial)
			continue;
		int got = neighbour(s, s->full_epochs + 1, &s->bound, 0, &s->bound);
		if (got < 0)
			return -1;
		if (!got)
			BUG("%s: %llu records before its last", s->label, (unsigned long long)s->partial);
	}
	return 0;
}

/* The epochs a source used: whole passes and the share of one more. */
static double epochs_used(const struct source *s, enum unit u)
{
	double avail = (double)s->avail[u];
	return avail ? (double)s->take[u] / avail : 0;
}

/* --- The report ---------------------------------------------------------- */

static void report_json(const struct settings *set, struct strbuf *sb)
{
	uint64_t all[UNITS] = { 0 };
	for (size_t i = 0; i < set->nsrc; i++)
		for (int v = 0; v < set->nunits; v++)
			all[v] += set->src[i].take[v];
	strbuf_addstr(sb, "{\"unit\":");
	json_add_cstr(sb, unit_names[set->unit]);
	strbuf_addstr(sb, ",\"seed\":");
	json_add_u64(sb, set->common.seed);
	for (int v = 0; v < set->nunits; v++) {
		strbuf_addf(sb, ",\"%s\":", unit_names[v]);
		json_add_u64(sb, all[v]);
	}
	strbuf_addstr(sb, ",\"synthetic_share\":{");
	for (int v = 0; v < set->nunits; v++) {
		strbuf_addf(sb, "%s\"%s\":", v ? "," : "", unit_names[v]);
		json_add_double(sb, synthetic_share(set, (enum unit)v));
	}
	strbuf_addstr(sb, "},\"sources\":[");
	for (size_t i = 0; i < set->nsrc; i++) {
		const struct source *s = &set->src[i];
		strbuf_addstr(sb, i ? ",{\"label\":" : "{\"label\":");
		json_add_cstr(sb, s->label);
		strbuf_addstr(sb, ",\"file\":");
		json_add_cstr(sb, strcmp(s->path, "-") ? s->path : "<stdin>");
		strbuf_addstr(sb, ",\"weight\":");
		json_add_double(sb, s->weight);
		strbuf_addstr(sb, ",\"requested\":");
		json_add_double(sb, s->share);
		strbuf_addstr(sb, ",\"share\":{");
		for (int v = 0; v < set->nunits; v++) {
			strbuf_addf(sb, "%s\"%s\":", v ? "," : "", unit_names[v]);
			json_add_double(sb, all[v] ? (double)s->take[v] / (double)all[v] : 0);
		}
		strbuf_addstr(sb, "}");
		for (int v = 0; v < set->nunits; v++) {
			strbuf_addf(sb, ",\"%s\":", unit_names[v]);
			json_add_u64(sb, s->take[v]);
		}
		strbuf_addstr(sb, ",\"available\":{");
		for (int v = 0; v < set->nunits; v++) {
			strbuf_addf(sb, "%s\"%s\":", v ? "," : "", unit_names[v]);
			json_add_u64(sb, s->avail[v]);
		}
		strbuf_addstr(sb, "},\"epochs\":");
		json_add_double(sb, epochs_used(s, set->unit));
		strbuf_addstr(sb, ",\"synthetic\":{");
		for (int v = 0; v < set->nunits; v++) {
			strbuf_addf(sb, "%s\"%s\":", v ? "," : "", unit_names[v]);
			json_add_u64(sb, s->take_syn[v]);
		}
		strbuf_addstr(sb, "}}");
	}
	strbuf_addstr(sb, "]}\n");
}

/* The -v table: one row per source. */
static void report_table(const struct settings *set)
{
	uint64_t all[UNITS] = { 0 };
	for (size_t i = 0; i < set->nsrc; i++)
		for (int v = 0; v < UNITS; v++)
			all[v] += set->src[i].take[v];
	info("%-16s %9s %12s %8s %14s %8s %12s %8s %7s", "source", "requested", "docs", "share",
	     "bytes", "share", "words", "share", "epochs");
	for (size_t i = 0; i < set->nsrc; i++) {
		const struct source *s = &set->src[i];
		double sh[UNITS];
		for (int v = 0; v < UNITS; v++)
			sh[v] = all[v] ? 100.0 * (double)s->take[v] / (double)all[v] : 0;
		info("%-16s %8.2f%% %12llu %7.2f%% %14llu %7.2f%% %12llu %7.2f%% %7.3f", s->label,
		     100 * s->share, (unsigned long long)s->take[DOCS], sh[DOCS],
		     (unsigned long long)s->take[BYTES], sh[BYTES], (unsigned long long)s->take[WORDS],
		     sh[WORDS], epochs_used(s, set->unit));
	}
	if (set->tokenizer)
		for (size_t i = 0; i < set->nsrc; i++)
			info("%-16s %12llu tokens %7.2f%%", set->src[i].label,
			     (unsigned long long)set->src[i].take[TOKENS],
			     all[TOKENS] ? 100.0 * (double)set->src[i].take[TOKENS] / (double)all[TOKENS] : 0);
	info("synthetic: %.2f%% of docs, %.2f%% of bytes, %.2f%% of words",
	     100 * synthetic_share(set, DOCS), 100 * synthetic_share(set, BYTES),
	     100 * synthetic_share(set, WORDS));
	if (set->tokenizer)
		info("synthetic: %.2f%% of tokens", 100 * synthetic_share(set, TOKENS));
}

/* --- The second pass ----------------------------------------------------- */

/* Where a source's next planned record comes from. */
struct cursor {
	struct source *src;
	struct input in;
	int open;
	struct block blk;
	struct block_cursor bc;
	int have_block;
	struct spill_reader table;	/* the first pass's records, read along */
	struct rec rec;		/* what the first pass kept of record next (or next - 1) */
	uint64_t next;		/* index of the next record to read */
	uint64_t left[UNITS];	/* units still to write */
	uint64_t docs_left;
	/* A repeated source: its lines in memory, replayed epoch by epoch. */
	struct strbuf lines;
	size_t *off;		/* line i at lines.buf + off[i], to off[i + 1] */
	struct rec *recs;	/* the first pass's records */
	uint32_t *order;	/* this epoch's order */
	size_t norder, at;
	uint64_t epoch;
	struct strbuf tag;	/* "mix" member up to the epoch */
};

/* A usable record for synth-mix: what the first pass kept. */
static int usable(const struct settings *set, const char *p, size_t n)
{
	struct json_error err;
	struct json_value v;
	return json_check_record(p, n, &err) == 0 && json_get(p, n, set->common.field, &v) &&
	       v.type == JSON_STRING;
}

/* The next record of the source as the first pass saw it: 1 with *l
 * set, 0 at its end, -1 after an error. */
static int cursor_read(const struct settings *set, struct cursor *c, struct line *l)
{
	const char *name = c->src->spool_fd >= 0 ? c->src->spool_path : c->src->path;
	for (;;) {
		if (!c->open) {
			if (input_open(&c->in, name) < 0)
				return -1;
			if (c->src->spool_fd >= 0)
				c->in.name = "<stdin>";
			c->open = 1;
		}
		if (!c->have_block || !block_next_line(&c->blk, &c->bc, l)) {
			int got = input_read_block(&c->in, &c->blk, BLOCK_SIZE);
			/* A source holds a descriptor only while a block of it
			 * is read: a thousand sources fit under any limit. */
			input_suspend(&c->in);
			if (got < 0)
				return -1;
			if (!got) {
				if (c->next < c->src->table.count)
					return error("%s: ends before the %llu records it held", c->in.name,
						     (unsigned long long)c->src->table.count);
				return 0;
			}
			block_cursor_init(&c->bc, &c->blk);
			c->have_block = 1;
			continue;
		}
		if (c->next >= c->src->table.count)
			return error("%s: changed since synth-mix read it (more records)", c->in.name);
		/* The table's record for this place, read once. */
		if (c->table.next == c->next) {
			const void *item;
			int got = spill_reader_next(&c->table, &item);
			if (got <= 0)
				return got < 0 ? -1 : error("%s: its table ends early", c->src->label);
			memcpy(&c->rec, item, sizeof(c->rec));
		}
		if ((uint32_t)hash64(l->p, l->len, 0) == c->rec.hash) {
			c->next++;
			return 1;
		}
		/* A record --skip-invalid skipped in the first pass is skipped
		 * again; any other difference means the file changed. */
		if (set->common.skip_invalid && !usable(set, l->p, l->len))
			continue;
		return error("%s:%llu: changed since synth-mix read it", c->in.name,
			     (unsigned long long)l->lineno);
	}
}

/* Read a repeated source into memory. */
static int cursor_load(const struct settings *set, struct cursor *c)
{
	size_t n = (size_t)c->src->table.count;
	c->off = xreallocarray(NULL, n + 1, sizeof(*c->off));
	c->recs = xreallocarray(NULL, n ? n : 1, sizeof(*c->recs));
	struct line l;
	int got;
	size_t i = 0;
	while ((got = cursor_read(set, c, &l)) > 0) {
		c->recs[i] = c->rec;
		c->off[i++] = c->lines.len;
		strbuf_add(&c->lines, l.p, l.len);
	}
	c->off[i] = c->lines.len;
	return got;
}

/* The next planned record of a cursor: its line and epoch. */
static int cursor_next(const struct settings *set, struct cursor *c, const char **p, size_t *n,
		       uint64_t *epoch)
{
	struct source *s = c->src;
	if (s->repeated) {
		if (c->at == c->norder) {
			free(c->order);
			c->epoch++;
			c->order = epoch_order(c->recs, (size_t)s->table.count, c->epoch, &c->norder);
			if (c->epoch > s->full_epochs)
				c->norder = s->partial;
			c->at = 0;
			if (!c->norder)
				BUG("%s: epoch %llu is empty", s->label, (unsigned long long)c->epoch);
		}
		uint32_t i = c->order[c->at++];
		*p = c->lines.buf + c->off[i];
		*n = c->off[i + 1] - c->off[i];
		*epoch = c->epoch;
		return 1;
	}
	struct line l;
	for (;;) {
		int got = cursor_read(set, c, &l);
		if (got <= 0)
			return got < 0 ? -1 : error("%s: fewer records than planned", s->label);
		struct pick at = { c->rec.key, c->next - 1, c->rec };
		if (!(c->rec.words & REC_OUT) && s->partial && !before(&s->bound, &at))
			break;
	}
	*p = l.p;
	*n = l.len;
	*epoch = 1;
	return 1;
}

/* Is the object whose closing brace is at p[close] empty? */
static int empty_object(const char *p, size_t close)
{
	while (close && (p[close - 1] == ' ' || p[close - 1] == '\t' || p[close - 1] == '\r' ||
			 p[close - 1] == '\n'))
		close--;
	return close && p[close - 1] == '{';
}

/* Write the planned records, each from a source drawn by what it has
 * left to give, in the unit. */
static int write_mix(struct settings *set, struct output *out)
{
	enum unit u = set->unit;
	struct cursor *cur = xcalloc(set->nsrc, sizeof(*cur));
	int rc = 0;
	uint64_t docs_left = 0;
	for (size_t i = 0; i < set->nsrc && !rc; i++) {
		struct cursor *c = &cur[i];
		c->src = &set->src[i];
		spill_reader_init(&c->table, &c->src->table);
		strbuf_init(&c->lines);
		strbuf_init(&c->tag);
		strbuf_addstr(&c->tag, "{\"source\":");
		json_add_cstr(&c->tag, c->src->label);
		strbuf_addstr(&c->tag, ",\"epoch\":");
		c->left[u] = c->src->take[u];
		c->docs_left = c->src->take[DOCS];
		docs_left += c->docs_left;
		if (c->src->repeated && cursor_load(set, c) < 0)
			rc = -1;
	}
	/* --memory covers the first pass's tables of records too: the
	 * shuffle gets what they left, half at least. */
	size_t budget = set->memory - set->tables.used;
	struct shuffle *sh = set->shuffle ? shuffle_new(budget, mix64(set->common.seed ^ 0x5eed)) : NULL;
	struct prng rng;
	prng_seed(&rng, set->common.seed);
	struct strbuf line = STRBUF_INIT, tag = STRBUF_INIT;
	while (docs_left && !rc) {
		/* Draw a source by the units it has left; once only records
		 * without units are left (empty texts by bytes), by records. */
		uint64_t sum = 0;
		for (size_t i = 0; i < set->nsrc; i++)
			sum += cur[i].left[u];
		int by_docs = sum == 0;
		if (by_docs)
			sum = docs_left;
		uint64_t pick = prng_below(&rng, sum);
		size_t i = 0;
		for (;; i++) {
			uint64_t w = by_docs ? cur[i].docs_left : cur[i].left[u];
			if (pick < w)
				break;
			pick -= w;
		}
		struct cursor *c = &cur[i];
		const char *p = NULL;
		size_t n = 0;
		uint64_t epoch = 0;
		if (cursor_next(set, c, &p, &n, &epoch) < 0) {
			rc = -1;
			break;
		}
		/* The record's units, found again from its place. */
		const struct rec *r = c->src->repeated ? &c->recs[c->order[c->at - 1]] : &c->rec;
		uint64_t units = rec_units(r, u);
		c->left[u] -= units < c->left[u] ? units : c->left[u];
		c->docs_left--;
		docs_left--;
		strbuf_reset(&tag);
		strbuf_add(&tag, c->tag.buf, c->tag.len);
		json_add_u64(&tag, epoch);
		strbuf_addc(&tag, '}');
		if (r->words & REC_MIX) {
			json_set_member(&line, p, n, "mix", tag.buf, tag.len);
		} else {
			/* No "mix" yet: in before the closing brace, without
			 * walking the record again. */
			size_t close = n;
			while (p[close - 1] != '}')
				close--;
			strbuf_reset(&line);
			strbuf_add(&line, p, close - 1);
			if (!empty_object(p, close - 1))
				strbuf_addc(&line, ',');
			strbuf_addstr(&line, "\"mix\":");
			strbuf_add(&line, tag.buf, tag.len);
			strbuf_add(&line, p + close - 1, n - close + 1);
		}
		if (sh) {
			if (shuffle_add(sh, line.buf, line.len) < 0)
				rc = -1;
		} else {
			output_write(out, line.buf, line.len);
			output_putc(out, '\n');
		}
	}
	if (sh) {
		if (!rc && shuffle_end(sh, out) < 0)
			rc = -1;
		if (shuffle_runs(sh))
			info("--shuffle: %u runs spilled to TMPDIR", shuffle_runs(sh));
		shuffle_free(sh);
	}
	strbuf_release(&line);
	strbuf_release(&tag);
	for (size_t i = 0; i < set->nsrc; i++) {
		struct cursor *c = &cur[i];
		if (c->open)
			input_close(&c->in);
		block_release(&c->blk);
		strbuf_release(&c->lines);
		strbuf_release(&c->tag);
		spill_reader_release(&c->table);
		free(c->off);
		free(c->recs);
		free(c->order);
	}
	free(cur);
	return rc;
}

/* --- The command line ---------------------------------------------------- */

/* SOURCE[:WEIGHT]: a trailing ":number" is a weight; anything else
 * after a colon is part of the path. What strtod() would read whole,
 * white space after it too (" 1", "1 ", "0x10", "inf"), is taken for a
 * weight, and a weight is read by
 * parse_double(), the strict reader of every number a user gives: a
 * positive decimal number, finite, nothing around it. */
static void parse_source(struct source *s, const char *arg)
{
	const char *colon = strrchr(arg, ':');
	s->weight = 1;
	s->spool_fd = -1;
	if (colon && colon[1]) {
		char *end;
		strtod(colon + 1, &end);
		if (end > colon + 1)
			end += strspn(end, " \t\n\v\f\r");
		if (!*end) {
			double w;
			if (parse_double(colon + 1, 0, DBL_MAX, &w) < 0 || !(w > 0))
				usage_error("%s: the weight must be a positive number (decimal, as 0.3 or "
					    "2e3)", arg);
			s->weight = w;
			s->path = xstrndup(arg, (size_t)(colon - arg));
			return;
		}
		/* A number with something after it ("70%", "0.7x") is a
		 * weight mistyped, unless a file has the whole name. */
		if (end > colon + 1 && access(arg, F_OK) < 0)
			usage_error("%s: '%s' is not a weight: a weight is a positive decimal number, "
				    "as %.*s:0.7 or %.*s:70 (shares are the weights over their sum)",
				    arg, colon + 1, (int)(colon - arg), arg, (int)(colon - arg), arg);
	}
	s->path = xstrdup(arg);
}

/* The default label: the base name without .zst, .jsonl or .json. */
static char *default_label(const char *path)
{
	if (!strcmp(path, "-"))
		return xstrdup("stdin");
	const char *base;
	size_t n = input_short_name(path, &base);
	return xstrndup(base, n);
}

static enum unit parse_unit(const char *arg)
{
	for (int u = 0; u < UNITS; u++)
		if (!strcmp(arg, unit_names[u]))
			return (enum unit)u;
	usage_error("--unit: '%s' is not one of docs, bytes, words or tokens", arg);
}

static void set_up_sources(struct settings *set, char **args, int nargs)
{
	if (nargs < 1)
		usage_error("name at least one source");
	if (set->nlabels > (size_t)nargs)
		usage_error("%zu labels for %d source%s", set->nlabels, nargs, nargs == 1 ? "" : "s");
	set->nsrc = (size_t)nargs;
	set->src = xcalloc(set->nsrc, sizeof(*set->src));
	set->paths = xcalloc(set->nsrc, sizeof(*set->paths));
	double sum = 0;
	int stdin_seen = 0;
	for (size_t i = 0; i < set->nsrc; i++) {
		struct source *s = &set->src[i];
		parse_source(s, args[i]);
		if (!*s->path)
			usage_error("%s: no file named", args[i]);
		if (!strcmp(s->path, "-") && stdin_seen++)
			usage_error("standard input (-) can be one source only");
		s->label = i < set->nlabels ? xstrdup(set->labels[i]) : default_label(s->path);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(set->src[k].label, s->label))
				usage_error("two sources are labelled '%s'; name them with --label",
					    s->label);
		set->paths[i] = s->path;
		sum += s->weight;
	}
	/* Weights near DBL_MAX add up to infinity, and every share would
	 * be 0; one far below the others would get a share of 0. */
	if (!isfinite(sum))
		usage_error("the weights add up to more than %g; give smaller ones in the same ratio",
			    DBL_MAX);
	for (size_t i = 0; i < set->nsrc; i++) {
		set->src[i].share = set->src[i].weight / sum;
		if (!(set->src[i].share > 0))
			usage_error("%s: the weight is too small beside the others (%g in all)", args[i],
				    sum);
	}
	for (size_t k = 0; k < set->nsynthetic; k++) {
		size_t i = 0;
		while (i < set->nsrc && strcmp(set->src[i].label, set->synthetic[k]))
			i++;
		if (i == set->nsrc)
			usage_error("--synthetic %s: no source has that label", set->synthetic[k]);
		set->src[i].synthetic = 1;
	}
	if (!isnan(set->sample) && set->nsrc != 1)
		usage_error("--sample takes one source");
}

static void add_name(const char ***list, size_t *n, const char *arg, const char *opt)
{
	if (!*arg)
		usage_error("%s: empty name", opt);
	*list = xreallocarray(*list, *n + 1, sizeof(**list));
	(*list)[(*n)++] = arg;
}

int main(int argc, char **argv)
{
	struct settings set = { .memory = 512ull << 20, .sample = NAN, .max_synthetic = NAN };
	const char *arg;
	int key;
	diag_init("synth-mix");
	cli_common_init(&set.common);
	while ((key = cli_next(argc, argv, &program, &set.common, &arg)) != -1) {
		switch (key) {
		case KEY_LABEL: add_name(&set.labels, &set.nlabels, arg, "--label"); break;
		case KEY_UNIT: set.unit = parse_unit(arg); break;
		case 'n': set.has_total = 1; set.total_arg = arg; break;
		case KEY_UPSAMPLE: set.upsample = 1; break;
		case KEY_SHUFFLE: set.shuffle = 1; break;
		case KEY_MEMORY: set.memory = cli_size("--memory", arg); break;
		case KEY_SAMPLE: set.sample = cli_double("--sample", arg, 0, 1); break;
		case KEY_MAX_SYNTHETIC: set.max_synthetic = cli_double("--max-synthetic", arg, 0, 1); break;
		case KEY_SYNTHETIC: add_name(&set.synthetic, &set.nsynthetic, arg, "--synthetic"); break;
		case KEY_REPORT: set.report = arg; break;
		case KEY_TOKENIZER: set.tokenizer_path = arg; break;
		default: BUG("option %d", key);
		}
	}
	if (set.unit == TOKENS && !set.tokenizer_path)
		usage_error("--unit tokens needs --tokenizer FILE");
	set.nunits = set.tokenizer_path ? UNITS : TOKENS;
	/* The total is read in the unit: sizes (K, M, G) for bytes. */
	if (set.has_total) {
		set.total = set.unit == BYTES ? cli_size("--total", set.total_arg)
					      : cli_u64("--total", set.total_arg, 1, UINT64_MAX >> 11);
		if (!set.total)
			usage_error("--total must be above 0");
	}
	if (set.memory < (1u << 20))
		usage_error("--memory must be at least 1M");
	if (!isnan(set.sample) && set.sample <= 0)
		usage_error("--sample must be above 0");
	set_up_sources(&set, argv + optind, argc - optind);
	/* The tables of the first pass may take all of --memory, or half
	 * when the shuffle needs its part; past that they spill. */
	set.tables.limit = set.shuffle ? set.memory / 2 : set.memory;
	size_t buffer = set.memory / 8 / set.nsrc;
	buffer = buffer < (4u << 10) ? 4u << 10 : buffer > (1u << 20) ? 1u << 20 : buffer;
	for (size_t i = 0; i < set.nsrc; i++)
		spill_array_init(&set.src[i].table, sizeof(struct rec), &set.tables, buffer, "table");

	struct cli_file named[] = {
		{ "-o", set.common.output }, { "--rejects", set.common.rejects }, { "--report", set.report },
	};
	cli_distinct_files(named, sizeof(named) / sizeof(*named));
	/* A source replaced by -o: one such run at a time. */
	if (file_lock_rewritten(set.common.output, set.paths, (int)set.nsrc, set.common.wait_lock) < 0)
		return 1;
	/* Outputs first, so that a bad name fails before any reading. */
	struct output out, report;
	memset(&report, 0, sizeof(report));
	if (output_open(&out, set.common.output, 0) < 0)
		return 1;
	if (set.report && output_open(&report, set.report, 0) < 0) {
		output_abort(&out);
		return 1;
	}
	for (size_t i = 0; i < set.nsrc; i++)
		if (!strcmp(set.src[i].path, "-") && open_spool(&set.src[i]) < 0)
			return 1;
	if (set.tokenizer_path)
		set.tokenizer = tokenizer_load_or_die(set.tokenizer_path);

	struct record_loop rl = {
		.common = &set.common, .files = set.paths, .nfiles = (int)set.nsrc,
		.worker_new = worker_new, .process = process, .ordered = collect, .arg = &set,
		.hold_outputs = 1, .empty = EMPTY_CHECKED,
	};
	int rc = record_loop_run(&rl) ? 1 : 0;
	for (size_t i = 0; i < set.nsrc && !rc; i++) {
		struct source *s = &set.src[i];
		if (spill_array_flush(&s->table) < 0) {
			rc = 1;
			break;
		}
		if (!spill_array_items(&s->table))
			info("%s: the table of its %llu records spilled to TMPDIR past --memory", s->label,
			     (unsigned long long)s->table.count);
		if (!s->avail[DOCS]) {
			rc = error("%s: no records%s", strcmp(s->path, "-") ? s->path : "<stdin>",
				   s->table.count ? " left by --sample" : "");
		} else if (!s->avail[set.unit]) {
			rc = error("%s: no %s: its texts are empty", s->label, unit_names[set.unit]);
		}
	}
	if (!rc && plan_quotas(&set) < 0)
		rc = 1;
	if (!rc && plan_records(&set) < 0)
		rc = 1;
	if (!rc) {
		double syn = synthetic_share(&set, set.unit);
		if (!isnan(set.max_synthetic) && syn > set.max_synthetic) {
			if (trim_to_limit(&set) < 0)
				rc = 1;
			else if (synthetic_share(&set, set.unit) <= set.max_synthetic)
				syn = 0;
		}
		if (!rc && !isnan(set.max_synthetic) && syn > set.max_synthetic)
			rc = error("the mix would be %.2f%% synthetic by %s, more than --max-synthetic "
				   "%g allows; nothing written", 100 * syn, unit_names[set.unit],
				   set.max_synthetic);
	}
	if (!rc && write_mix(&set, &out) < 0)
		rc = 1;
	if (set.report && !rc) {
		struct strbuf sb = STRBUF_INIT;
		report_json(&set, &sb);
		output_write(&report, sb.buf, sb.len);
		strbuf_release(&sb);
	}
	/* The mix, its rejects and its report: all kept, or none. */
	struct output *mine[] = { &out, &report };
	rc = record_loop_end(&rl, rc, mine, 2) ? 1 : 0;
	record_loop_release(&rl, worker_free);
	if (!rc)
		report_table(&set);
	for (size_t i = 0; i < set.nsrc; i++) {
		struct source *s = &set.src[i];
		if (s->spool_fd >= 0)
			close(s->spool_fd);
		free(s->spool_path);
		spill_array_release(&s->table);
		free(s->path);
		free((char *)s->label);
	}
	free(set.src);
	free(set.paths);
	free(set.labels);
	free(set.synthetic);
	tokenizer_free(set.tokenizer);
	return rc ? 1 : 0;
}
