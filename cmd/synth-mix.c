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
 *
 * Under --balance a record also has a group, by the value of a member,
 * kept in a second spill_array beside the table (4 bytes a record, so
 * that struct rec keeps its 24). Each source is then a cell per group,
 * and the plan gives each cell its share as it gives a source its own:
 * the cells' shares (plan_cells) keep both the sources' weights and the
 * groups' shares; each cell's records are those with the smallest keys.
 * Only the records of the repeated cells are held in memory.
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
#include "keymap.h"
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
	KEY_MAX_SYNTHETIC, KEY_SYNTHETIC, KEY_REPORT, KEY_TOKENIZER, KEY_BALANCE, KEY_TARGET,
	KEY_MAX_SHARE
};

static const struct cli_option options[] = {
	{ "label", KEY_LABEL, "NAME", "name the sources, in order, one --label each (default: the file's base name)" },
	{ "unit", KEY_UNIT, "HOW", "shares and totals in docs, bytes, words or tokens (default: docs)" },
	{ "tokenizer", KEY_TOKENIZER, "FILE", TOKENIZER_OPTION_HELP },
	{ "total", 'n', "N", "make a mix of N units (default: as large as the sources allow)" },
	{ "upsample", KEY_UPSAMPLE, NULL, "repeat a source (or group) that is too small, in whole epochs" },
	{ "balance", KEY_BALANCE, "FIELD", "give the groups of records by member FIELD equal shares (FIELD1,FIELD2 crosses fields)" },
	{ "target", KEY_TARGET, "FILE", "the groups' shares from FILE, a JSON object of group -> weight (\"*\": every group not named)" },
	{ "max-share", KEY_MAX_SHARE, "R", "no group above R of the mix (alone: the groups' own shares, capped)" },
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

/* The records of one source in one group, and what the plan takes of
 * them. Without --balance a source is one cell. */
struct cell {
	uint64_t avail[UNITS];	/* of the records not left out */
	uint64_t avail_syn[UNITS];
	double share;		/* of the mix, in the unit */
	/* The plan. */
	double quota;		/* units asked for */
	double rest;		/* of them, past whole epochs */
	uint64_t full_epochs;	/* whole passes over the cell */
	uint64_t partial;	/* records of the last, partial pass: a prefix in its order */
	struct pick bound;	/* the prefix's last record, when partial is not 0 */
	uint64_t take[UNITS], take_syn[UNITS];
};

/* A group of --balance: the records whose member has one value (one
 * tuple of values, fields crossed). Without --balance every record is
 * in group 0. */
struct group {
	char *name;		/* the value as text; MISSING for none or null */
	size_t len;
	double want;		/* its share of the mix; 0: left out */
	uint64_t avail[UNITS], take[UNITS];	/* over the sources */
};

#define MISSING "(missing)"

struct source {
	char *path;		/* "-" for standard input */
	const char *label;
	double weight, share;	/* as given; normalised */
	int synthetic;		/* named by --synthetic */
	struct spill_array table;	/* a struct rec for every valid record, in order */
	struct spill_array groups;	/* under --balance: each one's group, a uint32_t */
	uint64_t avail[UNITS];	/* of the records not left out */
	uint64_t avail_syn[UNITS];
	int spool_fd;		/* standard input's copy, or -1 */
	char *spool_path;
	struct cell *cells;	/* one per group */
	uint64_t take[UNITS], take_syn[UNITS];	/* the cells' sums */
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
	/* --balance: the fields, the groups in the order they were met. */
	const char *balance, *target;
	double max_share;	/* NaN: not given */
	char **fields;
	size_t nfields;
	struct group *groups;
	size_t ngroups;
	struct keymap group_ids;	/* hash of a name -> its index */
	size_t bound_by;	/* the group that set the total, or SIZE_MAX */
	size_t bound_source;
};

/* --- The first pass ------------------------------------------------------ */

/* What a worker leaves for each record, followed by the name of its
 * group (group_len bytes) under --balance. */
struct seen {
	uint32_t source;
	uint32_t group_len;
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
	struct strbuf group;	/* the record's group's name */
};

static void *worker_new(void *arg)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	w->set = arg;
	if (w->set->tokenizer)
		w->tokens = tokenizer_run_new(w->set->tokenizer);
	strbuf_init(&w->text);
	strbuf_init(&w->group);
	words_init(&w->ws);
	return w;
}

static void worker_free(void *arg)
{
	struct worker *w = arg;
	strbuf_release(&w->text);
	strbuf_release(&w->group);
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
	/* The members that matter, in one walk: "synth", "mix", the id
	 * and the --balance fields (those unless dotted paths, and as many
	 * as one walk looks for). */
	const char *names[JSON_MAX_MEMBERS] = { "synth", "mix" };
	struct json_value v[JSON_MAX_MEMBERS];
	size_t k = 2, id_at = 2, field_at[JSON_MAX_MEMBERS] = { 0 };
	if (!strchr(set->common.id_field, '.'))
		names[k++] = set->common.id_field;
	for (size_t f = 0; f < set->nfields && f < JSON_MAX_MEMBERS; f++) {
		if (k < JSON_MAX_MEMBERS && !strchr(set->fields[f], '.')) {
			field_at[f] = k;
			names[k++] = set->fields[f];
		}
	}
	json_get_members(r->line, r->len, names, k, v);
	if (strchr(set->common.id_field, '.') && !json_get(r->line, r->len, set->common.id_field, &v[2]))
		v[2].type = JSON_NONE;
	if (set->nfields) {
		strbuf_reset(&w->group);
		for (size_t f = 0; f < set->nfields; f++) {
			const char *plain;
			size_t plain_len;
			struct json_value gv;
			if (f < JSON_MAX_MEMBERS && field_at[f])
				gv = v[field_at[f]];
			else if (!json_get(r->line, r->len, set->fields[f], &gv))
				gv.type = JSON_NONE;
			if (f)
				strbuf_addc(&w->group, '|');
			if (gv.type == JSON_NONE || gv.type == JSON_NULL)
				strbuf_addstr(&w->group, MISSING);
			else if (gv.type == JSON_STRING && json_string_plain(&gv, &plain, &plain_len))
				strbuf_add(&w->group, plain, plain_len);
			else if (gv.type == JSON_STRING)
				json_decode_string(&gv, &w->group);
			else
				strbuf_add(&w->group, gv.p, gv.len);
		}
		if (w->group.len > UINT32_MAX) {
			emit_invalid(e, r, "--balance: the group's value is too long (4 GiB at most)");
			return;
		}
		s.group_len = (uint32_t)w->group.len;
	}
	uint64_t line_hash = hash64(r->line, r->len, 0);
	s.rec.hash = (uint32_t)line_hash;
	s.rec.key = record_key(set, &v[id_at], line_hash);
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
	if (set->nfields)
		strbuf_add(&e->side, w->group.buf, w->group.len);
}

/* The index of the group named name[0..len), a new one when none has
 * that name: groups are numbered in the order the records meet them,
 * which is the order of the input. */
static uint32_t group_id(struct settings *set, const char *name, size_t len)
{
	uint64_t h = hash64(name, len, 0), at;
	if (keymap_get(&set->group_ids, h, &at)) {
		const struct group *g = &set->groups[at];
		if (g->len != len || memcmp(g->name, name, len))
			die("--balance: the groups '%s' and '%.*s' have one hash", g->name, (int)len, name);
		return (uint32_t)at;
	}
	if (set->ngroups >= UINT32_MAX)
		die("--balance: more than %u groups", UINT32_MAX);
	set->groups = xreallocarray(set->groups, set->ngroups + 1, sizeof(*set->groups));
	struct group *g = &set->groups[set->ngroups];
	memset(g, 0, sizeof(*g));
	g->name = xstrndup(name, len);
	g->len = len;
	for (size_t i = 0; i < set->nsrc; i++) {
		struct source *s = &set->src[i];
		s->cells = xreallocarray(s->cells, set->ngroups + 1, sizeof(*s->cells));
		memset(&s->cells[set->ngroups], 0, sizeof(*s->cells));
	}
	keymap_put(&set->group_ids, h, set->ngroups);
	return (uint32_t)set->ngroups++;
}

/* In input order: the records into their sources, standard input's
 * into its copy. */
static void collect(void *arg, struct emit *e)
{
	struct settings *set = arg;
	struct strbuf copy = STRBUF_INIT;
	struct source *spool = NULL;
	for (size_t off = 0; off < e->side.len;) {
		struct seen s;
		memcpy(&s, e->side.buf + off, sizeof(s));
		off += sizeof(s);
		uint32_t g = 0;
		if (set->nfields)
			g = group_id(set, e->side.buf + off, s.group_len);
		off += s.group_len;
		struct source *src = &set->src[s.source];
		if (spill_array_push(&src->table, &s.rec) < 0 ||
		    (set->nfields && spill_array_push(&src->groups, &g) < 0)) {
			e->stopped = 1;	/* its error printed */
			break;
		}
		if (!(s.rec.words & REC_OUT)) {
			struct cell *c = &src->cells[g];
			for (int v = 0; v < UNITS; v++) {
				uint64_t units = rec_units(&s.rec, (enum unit)v);
				src->avail[v] += units;
				c->avail[v] += units;
				if (s.rec.words & REC_SYNTHETIC) {
					src->avail_syn[v] += units;
					c->avail_syn[v] += units;
				}
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

/* The records of one cell in their order of the epoch being planned,
 * read from the source's table without holding it: one pass over the
 * table (and under --balance the groups beside it) gives each record
 * of the cell that counts, with its key in that epoch. With `epochs`
 * set, the records of every group g whose epochs[g] is not 0 are
 * given, each with its key in its group's epoch. */
struct scan {
	struct spill_reader r, gr;
	int grouped;
	uint32_t group;
	uint64_t epoch;
	const uint64_t *epochs;
	uint32_t last;		/* the group of the record given last */
	uint64_t at;		/* place of the next record */
};

static void scan_start(struct scan *sc, const struct source *s, uint32_t g, uint64_t epoch)
{
	spill_reader_init(&sc->r, &s->table);
	sc->grouped = s->groups.item != 0;
	if (sc->grouped)
		spill_reader_init(&sc->gr, &s->groups);
	sc->group = g;
	sc->epoch = epoch;
	sc->epochs = NULL;
	sc->at = 0;
}

/* 1 with *p the next record that counts, 0 at the end, -1 after an error. */
static int scan_next(struct scan *sc, struct pick *p)
{
	const void *item, *gi;
	int got;
	while ((got = spill_reader_next(&sc->r, &item)) > 0) {
		uint32_t g = 0;
		if (sc->grouped) {
			if ((got = spill_reader_next(&sc->gr, &gi)) <= 0) {
				if (!got)
					got = error("the table of groups ends early");
				break;
			}
			memcpy(&g, gi, sizeof(g));
		}
		memcpy(&p->rec, item, sizeof(p->rec));
		p->at = sc->at++;
		if ((sc->epochs ? sc->epochs[g] != 0 : g == sc->group) && !(p->rec.words & REC_OUT)) {
			p->key = epoch_key(&p->rec, sc->epochs ? sc->epochs[g] : sc->epoch);
			sc->last = g;
			return 1;
		}
	}
	spill_reader_release(&sc->r);
	if (sc->grouped)
		spill_reader_release(&sc->gr);
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

/* The record of cell g next to `from` in the epoch's order: the one
 * just after it (after = 1; from NULL for the first) or just before
 * it. Returns 1 with *out set (which may be from), 0 when there is
 * none, -1 after an error. */
static int neighbour(const struct source *s, uint32_t g, uint64_t epoch, const struct pick *from,
		     int after, struct pick *out)
{
	struct scan sc;
	struct pick p, at = from ? *from : (struct pick){ 0 };
	int got, found = 0;
	scan_start(&sc, s, g, epoch);
	while ((got = scan_next(&sc, &p)) > 0) {
		if (after ? (!from || before(&at, &p)) && (!found || before(&p, out))
			  : before(&p, &at) && (!found || before(out, &p))) {
			*out = p;
			found = 1;
		}
	}
	return got < 0 ? -1 : found;
}

/* Count a record of the last epoch into what its cell gives (sign 1)
 * or take it back out (-1). */
static void count_taken(struct cell *c, const struct rec *r, int sign)
{
	for (int v = 0; v < UNITS; v++) {
		uint64_t units = rec_units(r, (enum unit)v);
		uint64_t syn = r->words & REC_SYNTHETIC ? units : 0;
		if (sign > 0) {
			c->take[v] += units;
			c->take_syn[v] += syn;
		} else {
			c->take[v] -= units;
			c->take_syn[v] -= syn;
		}
	}
}

/* The prefix of a cell's records in the epoch's order that gives
 * `want` units, as the record ending it (c->bound) and its length
 * (c->partial): the prefix whose units come closest, stopping at the
 * first record that would overshoot more than it falls short.
 *
 * The table may be larger than memory, so the prefix is found without
 * sorting it: a histogram of the units by the top 16 bits of the key
 * finds the bucket in which the prefix ends (every bucket before it is
 * taken whole), then the next 16 bits within that bucket, until a
 * bucket holds few enough records to be sorted; keys are hashes, so
 * one level is the rule, about n / 65536 records to sort. Records that
 * share one key all (an id repeated) follow their places, which is the
 * table's own order. The choice is the one a sort of the whole cell
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
static int take_next(struct take_state *t, struct cell *c, const struct pick *p)
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
	c->partial++;
	c->bound = *p;
	return 1;
}

static int plan_prefix(struct source *s, uint32_t g, uint64_t epoch, double want, enum unit u)
{
	struct cell *c = &s->cells[g];
	struct take_state t = { want, 0, u, 0 };
	c->bound.at = UINT64_MAX;	/* none from the range yet */
	uint64_t *units = xcalloc(2u << PLAN_BITS, sizeof(*units));
	uint64_t *count = units + (1u << PLAN_BITS);
	uint64_t prefix = 0;	/* the range: keys whose top `bits` bits are prefix */
	unsigned bits = 0;
	uint64_t in_range = c->avail[DOCS];
	uint64_t taken_before = 0;	/* records of the buckets before the range */
	struct scan sc;
	struct pick p;
	int got = 0;
	c->partial = 0;
	while (in_range > PLAN_SORT && bits < 64) {
		memset(units, 0, (2u << PLAN_BITS) * sizeof(*units));
		unsigned shift = 64 - bits - PLAN_BITS;
		scan_start(&sc, s, g, epoch);
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
	scan_start(&sc, s, g, epoch);
	while ((got = scan_next(&sc, &p)) > 0) {
		if (bits && p.key >> (64 - bits) != prefix)
			continue;
		if (bits == 64) {
			take_next(&t, c, &p);
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
	for (size_t k = 0; k < n && take_next(&t, c, &sorted[k]); k++)
		;
	free(sorted);
	if (got < 0)
		goto out;
	/* The prefix ends in an earlier bucket when the range gave none. */
	c->partial += taken_before;
	if (!c->partial || c->bound.at != UINT64_MAX)
		goto counted;
	struct pick first = { .key = prefix << (64 - bits) };
	if ((got = neighbour(s, g, epoch, &first, 0, &c->bound)) < 0)
		goto out;
	if (!got)
		BUG("%s: %llu records before an empty range", s->label, (unsigned long long)c->partial);
counted:
	got = 0;
	if (c->partial) {
		/* What the prefix gives, in every unit. */
		scan_start(&sc, s, g, epoch);
		while ((got = scan_next(&sc, &p)) > 0)
			if (!before(&c->bound, &p))
				count_taken(c, &p.rec, 1);
	}
out:
	free(units);
	return got < 0 ? -1 : 0;
}

/* A record of a cell being planned in a batch. */
struct cell_pick {
	struct pick p;
	uint32_t group;
};

static int by_cell_pick(const void *a, const void *b)
{
	const struct cell_pick *x = a, *y = b;
	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return by_pick(&x->p, &y->p);
}

/* Plan in one pass over a source's table the cells g whose epochs[g]
 * is not 0: those marked in `whole` give every record of that epoch
 * (the bound is the last in its order), the others a prefix of their
 * records in epoch epochs[g] worth their cell's `rest`, found by
 * sorting them; the caller keeps the records to sort within
 * PLAN_SORT. A cell too large to sort goes to plan_prefix() alone.
 * Without batches a source of many small groups would be read twice
 * for each. */
static int plan_batch(const struct settings *set, struct source *s, const uint64_t *epochs,
		      const char *whole)
{
	struct cell_pick *picks = NULL;
	size_t n = 0, cap = 0;
	struct scan sc;
	struct pick p;
	int got;
	scan_start(&sc, s, 0, 0);
	sc.epochs = epochs;
	while ((got = scan_next(&sc, &p)) > 0) {
		struct cell *c = &s->cells[sc.last];
		if (whole[sc.last]) {
			if (!c->partial++ || before(&c->bound, &p))
				c->bound = p;
			continue;
		}
		if (n == cap) {
			cap = grow_capacity(cap, n + 1, 1024);
			picks = xreallocarray(picks, cap, sizeof(*picks));
		}
		picks[n].p = p;
		picks[n++].group = sc.last;
	}
	if (got >= 0) {
		if (n)
			qsort(picks, n, sizeof(*picks), by_cell_pick);
		struct take_state t = { 0 };
		for (size_t k = 0; k < n; k++) {
			struct cell *c = &s->cells[picks[k].group];
			if (!k || picks[k].group != picks[k - 1].group)
				t = (struct take_state){ c->rest, 0, set->unit, 0 };
			if (take_next(&t, c, &picks[k].p))
				count_taken(c, &picks[k].p.rec, 1);
		}
		for (size_t g = 0; g < set->ngroups; g++) {
			if (epochs[g] && whole[g]) {
				struct cell *c = &s->cells[g];
				memcpy(c->take, c->avail, sizeof(c->take));
				memcpy(c->take_syn, c->avail_syn, sizeof(c->take_syn));
			}
		}
	}
	free(picks);
	return got < 0 ? -1 : 0;
}

/* What --target FILE asks: a weight per group named, and for the groups
 * not named the weight of "*" (NaN when it has none: they are left
 * out). */
struct target {
	char **names;
	size_t *lens;
	double *weights;
	size_t n;
	double others;
};

/* The group named name[0..len), or SIZE_MAX when no record has it. */
static size_t find_group(const struct settings *set, const char *name, size_t len)
{
	uint64_t at;
	if (!keymap_get(&set->group_ids, hash64(name, len, 0), &at))
		return SIZE_MAX;
	const struct group *g = &set->groups[at];
	return g->len == len && !memcmp(g->name, name, len) ? (size_t)at : SIZE_MAX;
}

static int by_group_name(const void *a, const void *b, void *arg)
{
	const struct group *groups = arg;
	const struct group *x = &groups[*(const size_t *)a], *y = &groups[*(const size_t *)b];
	int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
	return c ? c : x->len < y->len ? -1 : x->len > y->len;
}

/* The groups in byte order of their names; the caller frees it. */
static size_t *groups_by_name(const struct settings *set)
{
	size_t *idx = xreallocarray(NULL, set->ngroups ? set->ngroups : 1, sizeof(*idx));
	for (size_t g = 0; g < set->ngroups; g++)
		idx[g] = g;
	qsort_r(idx, set->ngroups, sizeof(*idx), by_group_name, set->groups);
	return idx;
}

/* Cap the groups' shares (which add up to 1) at most each, giving what
 * the capped ones lose to the others in proportion to their shares,
 * until none is over. */
static int cap_shares(struct settings *set, double most)
{
	size_t live = 0;
	for (size_t g = 0; g < set->ngroups; g++)
		live += set->groups[g].want > 0;
	if (most * (double)live < 1 - 1e-12)
		return error("--max-share %g: %zu group%s cannot make a whole mix at %g each at most",
			     most, live, live == 1 ? "" : "s", most);
	char *capped = xcalloc(set->ngroups ? set->ngroups : 1, 1);
	for (;;) {
		double free_sum = 0, room = 1;
		for (size_t g = 0; g < set->ngroups; g++) {
			if (capped[g])
				room -= most;
			else
				free_sum += set->groups[g].want;
		}
		int more = 0;
		for (size_t g = 0; g < set->ngroups; g++) {
			struct group *gr = &set->groups[g];
			if (capped[g]) {
				gr->want = most;
				continue;
			}
			if (free_sum > 0)
				gr->want *= room / free_sum;
			if (gr->want > most * (1 + 1e-12)) {
				capped[g] = 1;
				more = 1;
			}
		}
		if (!more)
			break;
	}
	free(capped);
	return 0;
}

/* The share of the mix each group wants: equal, by --target, or (with
 * --max-share alone) the share the plain mix would give it; then
 * capped at --max-share. A group with no units is left out. */
static int plan_group_shares(struct settings *set, const struct target *tg)
{
	enum unit u = set->unit;
	for (size_t g = 0; g < set->ngroups; g++) {
		struct group *gr = &set->groups[g];
		memset(gr->avail, 0, sizeof(gr->avail));
		for (size_t i = 0; i < set->nsrc; i++)
			for (int v = 0; v < UNITS; v++)
				gr->avail[v] += set->src[i].cells[g].avail[v];
		gr->want = 0;
	}
	double sum = 0;
	if (set->target) {
		char *named = xcalloc(set->ngroups ? set->ngroups : 1, 1);
		for (size_t k = 0; k < tg->n; k++) {
			size_t g = find_group(set, tg->names[k], tg->lens[k]);
			if (tg->weights[k] > 0 && (g == SIZE_MAX || !set->groups[g].avail[u])) {
				free(named);
				return error("%s: group '%s': no %s in the sources", set->target,
					     tg->names[k], g == SIZE_MAX ? "records" : unit_names[u]);
			}
			if (g != SIZE_MAX) {
				set->groups[g].want = tg->weights[k];
				named[g] = 1;
			}
		}
		size_t left_out = 0;
		struct strbuf names = STRBUF_INIT;
		size_t *idx = groups_by_name(set);
		for (size_t k = 0; k < set->ngroups; k++) {
			size_t g = idx[k];
			struct group *gr = &set->groups[g];
			if (named[g]) {
				/* as the file says */
			} else if (!isnan(tg->others) && gr->avail[u]) {
				gr->want = tg->others;
			} else if (gr->avail[DOCS]) {
				if (left_out++ < 10)
					strbuf_addf(&names, "%s'%s'", left_out > 1 ? ", " : "", gr->name);
				gr->want = 0;
			}
			sum += gr->want;
		}
		free(named);
		free(idx);
		if (left_out)
			warning("%s: %zu group%s not named, left out of the mix: %s%s", set->target,
				left_out, left_out == 1 ? "" : "s", names.buf,
				left_out > 10 ? ", ..." : "");
		strbuf_release(&names);
		if (!(sum > 0))
			return error("%s: the groups it names add up to a share of 0", set->target);
	} else {
		for (size_t g = 0; g < set->ngroups; g++) {
			struct group *gr = &set->groups[g];
			if (!gr->avail[u])
				continue;
			if (!isnan(set->max_share))
				for (size_t i = 0; i < set->nsrc; i++)
					gr->want += set->src[i].share * (double)set->src[i].cells[g].avail[u] /
						    (double)set->src[i].avail[u];
			else
				gr->want = 1;
			sum += gr->want;
		}
	}
	for (size_t g = 0; g < set->ngroups; g++)
		set->groups[g].want /= sum;
	return isnan(set->max_share) ? 0 : cap_shares(set, set->max_share);
}

/* The share of the mix each cell gives, so that the sources keep their
 * weights and the groups their shares: of all the tables with those
 * sums, the one closest to the plain mix (each source's groups in the
 * proportions it has them), found by iterative proportional fitting. A
 * cell with no units gives nothing. */
static int plan_cells(struct settings *set)
{
	enum unit u = set->unit;
	if (!set->nfields) {
		for (size_t i = 0; i < set->nsrc; i++)
			set->src[i].cells[0].share = set->src[i].share;
		return 0;
	}
	for (size_t i = 0; i < set->nsrc; i++) {
		struct source *s = &set->src[i];
		for (size_t g = 0; g < set->ngroups; g++) {
			struct cell *c = &s->cells[g];
			c->share = set->groups[g].want > 0 && c->avail[u]
					   ? s->share * (double)c->avail[u] / (double)s->avail[u]
					   : 0;
		}
	}
	for (int round = 0; round < 10000; round++) {
		for (size_t i = 0; i < set->nsrc; i++) {
			struct source *s = &set->src[i];
			double sum = 0;
			for (size_t g = 0; g < set->ngroups; g++)
				sum += s->cells[g].share;
			if (!(sum > 0))
				return error("%s: none of its records is in a group the mix takes", s->label);
			for (size_t g = 0; g < set->ngroups; g++)
				s->cells[g].share *= s->share / sum;
		}
		for (size_t g = 0; g < set->ngroups; g++) {
			double sum = 0, want = set->groups[g].want;
			for (size_t i = 0; i < set->nsrc; i++)
				sum += set->src[i].cells[g].share;
			if (sum > 0)
				for (size_t i = 0; i < set->nsrc; i++)
					set->src[i].cells[g].share *= want / sum;
		}
		double off = 0;
		for (size_t i = 0; i < set->nsrc; i++) {
			double sum = 0;
			for (size_t g = 0; g < set->ngroups; g++)
				sum += set->src[i].cells[g].share;
			off = fmax(off, fabs(sum - set->src[i].share));
		}
		if (off < 1e-12)
			return 0;
	}
	/* Name a group that asks more than the sources that have it weigh. */
	for (size_t g = 0; g < set->ngroups; g++) {
		double room = 0;
		for (size_t i = 0; i < set->nsrc; i++)
			if (set->src[i].cells[g].avail[u])
				room += set->src[i].share;
		if (set->groups[g].want > room * (1 + 1e-9))
			return error("--balance: group '%s' is only in sources weighing %g of the mix, "
				     "and its share is %g; change the weights or the groups' shares",
				     set->groups[g].name, room, set->groups[g].want);
	}
	/* Or a source that weighs more than the groups it has. */
	for (size_t i = 0; i < set->nsrc; i++) {
		double room = 0;
		for (size_t g = 0; g < set->ngroups; g++)
			if (set->src[i].cells[g].avail[u])
				room += set->groups[g].want;
		if (set->src[i].share > room * (1 + 1e-9))
			return error("--balance: %s weighs %g of the mix, and the groups it has only %g; "
				     "change the weights or the groups' shares", set->src[i].label,
				     set->src[i].share, room);
	}
	return error("--balance: the sources' weights and the groups' shares cannot both be met; "
		     "change the weights or the groups' shares");
}

/* The name of cell (i, g) in messages: the source's label, and the
 * group's name under --balance. */
static void cell_name(const struct settings *set, size_t i, size_t g, struct strbuf *sb)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, set->src[i].label);
	if (set->nfields)
		strbuf_addf(sb, ": group '%s'", set->groups[g].name);
}

/* Units asked of each cell: the total (or the largest mix no cell has
 * to repeat for) split by the shares, in whole records for docs. */
static int plan_quotas(struct settings *set)
{
	enum unit u = set->unit;
	double total;
	set->bound_by = set->bound_source = SIZE_MAX;
	if (set->has_total) {
		total = (double)set->total;
	} else {
		total = INFINITY;
		for (size_t i = 0; i < set->nsrc; i++) {
			for (size_t g = 0; g < set->ngroups; g++) {
				const struct cell *c = &set->src[i].cells[g];
				if (!(c->share > 0))
					continue;
				double t = (double)c->avail[u] / c->share;
				if (t < total) {
					total = t;
					set->bound_source = i;
					set->bound_by = g;
				}
			}
		}
		if (u == DOCS)
			total = floor(total + 1e-9);
	}
	double assigned = 0;
	for (size_t i = 0; i < set->nsrc; i++) {
		for (size_t g = 0; g < set->ngroups; g++) {
			struct cell *c = &set->src[i].cells[g];
			c->quota = total * c->share;
			if (u == DOCS)
				c->quota = floor(c->quota + 1e-9);
			/* Rounding must not ask the binding cell for more than it has. */
			if (!set->has_total && c->quota > (double)c->avail[u])
				c->quota = (double)c->avail[u];
			assigned += c->quota;
		}
	}
	/* Whole documents: the records left over go, one each, to the
	 * cells with the largest remainders (the first on a tie), while
	 * they have records to give. */
	while (u == DOCS && assigned < total) {
		struct cell *best = NULL;
		double best_rem = -1;
		for (size_t i = 0; i < set->nsrc; i++) {
			for (size_t g = 0; g < set->ngroups; g++) {
				struct cell *c = &set->src[i].cells[g];
				double rem = total * c->share - c->quota;
				if (c->share > 0 && (set->has_total || c->quota < (double)c->avail[u]) &&
				    rem > best_rem) {
					best = c;
					best_rem = rem;
				}
			}
		}
		if (!best)
			break;
		best->quota += 1;
		assigned += 1;
	}
	struct strbuf name = STRBUF_INIT;
	size_t short_cells = 0;
	for (size_t i = 0; i < set->nsrc; i++) {
		for (size_t g = 0; g < set->ngroups; g++) {
			const struct cell *c = &set->src[i].cells[g];
			if (c->quota <= (double)c->avail[u])
				continue;
			cell_name(set, i, g, &name);
			if (set->upsample) {
				if (set->nfields)
					warning("%s: %llu %s, repeated %.2f times for its share (--upsample)",
						name.buf, (unsigned long long)c->avail[u], unit_names[u],
						c->quota / (double)c->avail[u]);
			} else if (!set->nfields) {
				strbuf_release(&name);
				return error("%s: %llu %s, and the mix needs %.0f; use --upsample to repeat "
					     "it, or a smaller --total", set->src[i].label,
					     (unsigned long long)c->avail[u], unit_names[u], ceil(c->quota));
			} else {
				error("%s: %llu %s, and the mix needs %.0f", name.buf,
				      (unsigned long long)c->avail[u], unit_names[u], ceil(c->quota));
				short_cells++;
			}
		}
	}
	strbuf_release(&name);
	if (short_cells)
		return error("%zu group%s too small for %s share; use --upsample to repeat %s, "
			     "--max-share or --target to ask less, or a smaller --total", short_cells,
			     short_cells == 1 ? " is" : "s are", short_cells == 1 ? "its" : "their",
			     short_cells == 1 ? "it" : "them");
	return 0;
}

/* Which records each cell gives: whole epochs, then a prefix of one
 * more in the order of its keys for the rest. The cells small enough
 * to sort are planned in batches of PLAN_SORT records. */
static int plan_records(struct settings *set)
{
	enum unit u = set->unit;
	uint64_t *epochs = xcalloc(set->ngroups, sizeof(*epochs));
	char *whole = xcalloc(set->ngroups, 1);
	int rc = 0;
	for (size_t i = 0; i < set->nsrc && !rc; i++) {
		struct source *s = &set->src[i];
		uint64_t batched = 0;	/* records of the batch to sort */
		int any = 0;
		for (uint32_t g = 0; g < set->ngroups && !rc; g++) {
			struct cell *c = &s->cells[g];
			double avail = (double)c->avail[u];
			double want = c->quota;
			if (!(want > 0))
				continue;
			if (want > avail) {
				c->full_epochs = (uint64_t)floor(want / avail);
				want -= (double)c->full_epochs * avail;
				for (int v = 0; v < UNITS; v++) {
					c->take[v] = c->full_epochs * c->avail[v];
					c->take_syn[v] = c->full_epochs * c->avail_syn[v];
				}
			}
			c->partial = 0;
			c->rest = want;
			if (!c->full_epochs && want >= avail) {
				whole[g] = 1;
				epochs[g] = 1;
				any = 1;
				continue;
			}
			if (c->avail[DOCS] > PLAN_SORT) {
				rc = plan_prefix(s, g, c->full_epochs + 1, want, u);
				continue;
			}
			if (batched + c->avail[DOCS] > PLAN_SORT) {
				rc = plan_batch(set, s, epochs, whole);
				memset(epochs, 0, set->ngroups * sizeof(*epochs));
				memset(whole, 0, set->ngroups);
				batched = 0;
			}
			epochs[g] = c->full_epochs + 1;
			batched += c->avail[DOCS];
			any = 1;
		}
		if (!rc && any)
			rc = plan_batch(set, s, epochs, whole);
		memset(epochs, 0, set->ngroups * sizeof(*epochs));
		memset(whole, 0, set->ngroups);
	}
	free(epochs);
	free(whole);
	return rc;
}

/* The share of the mix that is synthetic, in the unit. */
static double synthetic_share(const struct settings *set, enum unit u)
{
	uint64_t all = 0, syn = 0;
	for (size_t i = 0; i < set->nsrc; i++) {
		for (size_t g = 0; g < set->ngroups; g++) {
			all += set->src[i].cells[g].take[u];
			syn += set->src[i].cells[g].take_syn[u];
		}
	}
	return all ? (double)syn / (double)all : 0;
}

/* Keep the mix within --max-synthetic when only rounding put it over:
 * the shares are exact to within one record, and that record may tip
 * it. First each cell whose next record in key order is not synthetic
 * takes it (it fell short of its share by part of that record), then
 * each cell gives back its last record past whole epochs when that one
 * is synthetic, while the mix is over: at most one record each way, so
 * the shares stay within one record. */
static int trim_to_limit(struct settings *set)
{
	for (size_t i = 0; i < set->nsrc; i++) {
		struct source *s = &set->src[i];
		for (uint32_t g = 0; g < set->ngroups; g++) {
			struct cell *c = &s->cells[g];
			if (synthetic_share(set, set->unit) <= set->max_synthetic)
				return 0;
			if (!(c->share > 0))
				continue;
			struct pick next;
			int got = neighbour(s, g, c->full_epochs + 1, c->partial ? &c->bound : NULL, 1,
					    &next);
			if (got < 0)
				return -1;
			if (got && !(next.rec.words & REC_SYNTHETIC)) {
				count_taken(c, &next.rec, 1);
				c->bound = next;
				c->partial++;
			}
		}
	}
	for (size_t i = 0; i < set->nsrc; i++) {
		struct source *s = &set->src[i];
		for (uint32_t g = 0; g < set->ngroups; g++) {
			struct cell *c = &s->cells[g];
			if (synthetic_share(set, set->unit) <= set->max_synthetic)
				return 0;
			if (!c->partial || !(c->bound.rec.words & REC_SYNTHETIC))
				continue;
			count_taken(c, &c->bound.rec, -1);
			if (!--c->partial)
				continue;
			int got = neighbour(s, g, c->full_epochs + 1, &c->bound, 0, &c->bound);
			if (got < 0)
				return -1;
			if (!got)
				BUG("%s: %llu records before its last", s->label,
				    (unsigned long long)c->partial);
		}
	}
	return 0;
}

/* The sources' and the groups' takes: the sums of their cells'. */
static void sum_takes(struct settings *set)
{
	for (size_t g = 0; g < set->ngroups; g++)
		memset(set->groups[g].take, 0, sizeof(set->groups[g].take));
	for (size_t i = 0; i < set->nsrc; i++) {
		struct source *s = &set->src[i];
		memset(s->take, 0, sizeof(s->take));
		memset(s->take_syn, 0, sizeof(s->take_syn));
		for (size_t g = 0; g < set->ngroups; g++) {
			for (int v = 0; v < UNITS; v++) {
				s->take[v] += s->cells[g].take[v];
				s->take_syn[v] += s->cells[g].take_syn[v];
				set->groups[g].take[v] += s->cells[g].take[v];
			}
		}
	}
}

/* The epochs a source used: whole passes and the share of one more. */
static double epochs_used(const struct source *s, enum unit u)
{
	double avail = (double)s->avail[u];
	return avail ? (double)s->take[u] / avail : 0;
}

/* --- The report ---------------------------------------------------------- */

static void report_groups_json(const struct settings *set, const uint64_t *all, struct strbuf *sb)
{
	strbuf_addstr(sb, ",\"balance\":{\"field\":");
	json_add_cstr(sb, set->balance);
	strbuf_addstr(sb, ",\"bound_by\":");
	if (set->bound_by == SIZE_MAX) {
		strbuf_addstr(sb, "null");
	} else {
		strbuf_addstr(sb, "{\"source\":");
		json_add_cstr(sb, set->src[set->bound_source].label);
		strbuf_addstr(sb, ",\"group\":");
		json_add_string(sb, set->groups[set->bound_by].name, set->groups[set->bound_by].len);
		strbuf_addc(sb, '}');
	}
	strbuf_addstr(sb, ",\"groups\":[");
	size_t *idx = groups_by_name(set);
	for (size_t k = 0; k < set->ngroups; k++) {
		const struct group *g = &set->groups[idx[k]];
		strbuf_addstr(sb, k ? ",{\"group\":" : "{\"group\":");
		json_add_string(sb, g->name, g->len);
		strbuf_addstr(sb, ",\"requested\":");
		json_add_double(sb, g->want);
		strbuf_addstr(sb, ",\"share\":{");
		for (int v = 0; v < set->nunits; v++) {
			strbuf_addf(sb, "%s\"%s\":", v ? "," : "", unit_names[v]);
			json_add_double(sb, all[v] ? (double)g->take[v] / (double)all[v] : 0);
		}
		strbuf_addstr(sb, "}");
		for (int v = 0; v < set->nunits; v++) {
			strbuf_addf(sb, ",\"%s\":", unit_names[v]);
			json_add_u64(sb, g->take[v]);
		}
		strbuf_addstr(sb, ",\"available\":{");
		for (int v = 0; v < set->nunits; v++) {
			strbuf_addf(sb, "%s\"%s\":", v ? "," : "", unit_names[v]);
			json_add_u64(sb, g->avail[v]);
		}
		strbuf_addstr(sb, "},\"epochs\":");
		json_add_double(sb, g->avail[set->unit] ? (double)g->take[set->unit] /
								(double)g->avail[set->unit]
							  : 0);
		strbuf_addstr(sb, "}");
	}
	free(idx);
	strbuf_addstr(sb, "]}");
}

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
	strbuf_addstr(sb, "]");
	if (set->nfields)
		report_groups_json(set, all, sb);
	strbuf_addstr(sb, "}\n");
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
	if (set->nfields) {
		info("%-16s %9s %12s %8s %14s %8s %12s %8s %7s", "group", "requested", "docs", "share",
		     "bytes", "share", "words", "share", "epochs");
		size_t *idx = groups_by_name(set);
		for (size_t k = 0; k < set->ngroups; k++) {
			const struct group *g = &set->groups[idx[k]];
			double sh[UNITS];
			for (int v = 0; v < UNITS; v++)
				sh[v] = all[v] ? 100.0 * (double)g->take[v] / (double)all[v] : 0;
			info("%-16s %8.2f%% %12llu %7.2f%% %14llu %7.2f%% %12llu %7.2f%% %7.3f", g->name,
			     100 * g->want, (unsigned long long)g->take[DOCS], sh[DOCS],
			     (unsigned long long)g->take[BYTES], sh[BYTES],
			     (unsigned long long)g->take[WORDS], sh[WORDS],
			     g->avail[set->unit] ? (double)g->take[set->unit] / (double)g->avail[set->unit]
						 : 0);
		}
		free(idx);
		if (set->bound_by != SIZE_MAX)
			info("the total is set by %s's records of group '%s'",
			     set->src[set->bound_source].label, set->groups[set->bound_by].name);
	}
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
	struct spill_reader groups;	/* and their groups, under --balance */
	struct rec rec;		/* what the first pass kept of record next (or next - 1) */
	uint32_t group;		/* its group */
	uint64_t next;		/* index of the next record to read */
	uint64_t left[UNITS];	/* units still to write */
	uint64_t docs_left;
	/* A replay: the records of a source's repeated cells, their lines
	 * in memory, replayed epoch by epoch. */
	int replay;
	size_t nrecs;
	struct strbuf lines;
	size_t *off;		/* line i at lines.buf + off[i], to off[i + 1] */
	struct rec *recs;	/* the first pass's records */
	uint32_t *gids;		/* and their groups */
	uint64_t *places;	/* and their places in the source */
	uint32_t *live;		/* those with an epoch still to come */
	size_t nlive;
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
			if (c->src->groups.item) {
				if ((got = spill_reader_next(&c->groups, &item)) <= 0)
					return got < 0 ? -1
						       : error("%s: its groups end early", c->src->label);
				memcpy(&c->group, item, sizeof(c->group));
			}
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

/* Is a record of cell cl, at its place, one of epoch e? Every record
 * is, of a cell with that many whole epochs; of the cell's last, the
 * prefix up to its bound. */
static int in_epoch(const struct cell *cl, const struct pick *at, uint64_t e)
{
	return e <= cl->full_epochs ||
	       (e == cl->full_epochs + 1 && cl->partial && !before(&cl->bound, at));
}

/* Read the records of a source's repeated cells into memory. */
static int cursor_load(const struct settings *set, struct cursor *c)
{
	struct line l;
	int got;
	size_t n = 0, cap = 0;
	while ((got = cursor_read(set, c, &l)) > 0) {
		if (c->rec.words & REC_OUT || !c->src->cells[c->group].full_epochs)
			continue;
		if (n == cap) {
			cap = grow_capacity(cap, n + 1, 1024);
			c->off = xreallocarray(c->off, cap + 1, sizeof(*c->off));
			c->recs = xreallocarray(c->recs, cap, sizeof(*c->recs));
			c->gids = xreallocarray(c->gids, cap, sizeof(*c->gids));
			c->places = xreallocarray(c->places, cap, sizeof(*c->places));
		}
		c->gids[n] = c->group;
		c->recs[n] = c->rec;
		c->places[n] = c->next - 1;
		c->off[n++] = c->lines.len;
		strbuf_add(&c->lines, l.p, l.len);
	}
	if (n > UINT32_MAX)
		return error("%s: more than %u records to repeat", c->src->label, UINT32_MAX);
	if (!n)
		c->off = xreallocarray(c->off, 1, sizeof(*c->off));
	c->off[n] = c->lines.len;
	c->nrecs = n;
	c->live = xreallocarray(NULL, n ? n : 1, sizeof(*c->live));
	for (size_t i = 0; i < n; i++)
		c->live[i] = (uint32_t)i;
	c->nlive = n;
	return got;
}

/* The next planned record of a cursor: its line and epoch. */
static int cursor_next(const struct settings *set, struct cursor *c, const char **p, size_t *n,
		       uint64_t *epoch)
{
	struct source *s = c->src;
	if (c->replay) {
		if (c->at == c->norder) {
			/* The next epoch: its records, in the order of its keys.
			 * A cell whose epochs are over leaves the live records,
			 * so that a small group repeated a thousand times is not
			 * a thousand sorts of the source. */
			c->epoch++;
			size_t keep = 0;
			c->order = xreallocarray(c->order, c->nlive ? c->nlive : 1, sizeof(*c->order));
			c->norder = 0;
			for (size_t k = 0; k < c->nlive; k++) {
				uint32_t i = c->live[k];
				const struct cell *cl = &s->cells[c->gids[i]];
				if (cl->full_epochs + (cl->partial ? 1 : 0) < c->epoch)
					continue;
				c->live[keep++] = i;
				struct pick at = { epoch_key(&c->recs[i], c->epoch), c->places[i], c->recs[i] };
				if (in_epoch(cl, &at, c->epoch))
					c->order[c->norder++] = i;
			}
			c->nlive = keep;
			struct order_ctx by = { c->recs, c->epoch };
			qsort_r(c->order, c->norder, sizeof(*c->order), by_epoch_key, &by);
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
		const struct cell *cl = &s->cells[c->group];
		if (!(c->rec.words & REC_OUT) && !cl->full_epochs && in_epoch(cl, &at, 1))
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
	/* A source's records come from two cursors: one reads the file
	 * along for the cells given once at most, one replays the records
	 * of the repeated cells from memory (without --balance a source is
	 * one or the other). Each is drawn by what it has left. */
	struct cursor *cur = xcalloc(2 * set->nsrc, sizeof(*cur));
	size_t ncur = 0;
	int rc = 0;
	uint64_t docs_left = 0;
	for (size_t k = 0; k < 2 * set->nsrc && !rc; k++) {
		struct source *s = &set->src[k / 2];
		int replay = (int)(k % 2);
		uint64_t left[UNITS] = { 0 };
		for (size_t g = 0; g < set->ngroups; g++)
			if (!s->cells[g].full_epochs == !replay)
				for (int v = 0; v < UNITS; v++)
					left[v] += s->cells[g].take[v];
		if (!left[DOCS])
			continue;
		struct cursor *c = &cur[ncur++];
		c->src = s;
		c->replay = replay;
		spill_reader_init(&c->table, &c->src->table);
		if (c->src->groups.item)
			spill_reader_init(&c->groups, &c->src->groups);
		strbuf_init(&c->lines);
		strbuf_init(&c->tag);
		strbuf_addstr(&c->tag, "{\"source\":");
		json_add_cstr(&c->tag, c->src->label);
		strbuf_addstr(&c->tag, ",\"epoch\":");
		c->left[u] = left[u];
		c->docs_left = left[DOCS];
		docs_left += c->docs_left;
		if (c->replay && cursor_load(set, c) < 0)
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
		for (size_t i = 0; i < ncur; i++)
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
		const struct rec *r = c->replay ? &c->recs[c->order[c->at - 1]] : &c->rec;
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
	for (size_t i = 0; i < ncur; i++) {
		struct cursor *c = &cur[i];
		if (c->open)
			input_close(&c->in);
		block_release(&c->blk);
		strbuf_release(&c->lines);
		strbuf_release(&c->tag);
		spill_reader_release(&c->table);
		spill_reader_release(&c->groups);
		free(c->off);
		free(c->recs);
		free(c->gids);
		free(c->places);
		free(c->live);
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

/* --balance FIELD or FIELD1,FIELD2,...: the fields, crossed. */
static void parse_fields(struct settings *set, const char *arg)
{
	const char *p = arg;
	for (;;) {
		size_t n = strcspn(p, ",");
		if (!n)
			usage_error("--balance %s: an empty field name", arg);
		set->fields = xreallocarray(set->fields, set->nfields + 1, sizeof(*set->fields));
		set->fields[set->nfields++] = xstrndup(p, n);
		if (!p[n])
			break;
		p += n + 1;
	}
}

/* Read --target FILE: a JSON object whose members name groups (as
 * --balance names them) and give each a weight, a number 0 or above;
 * "*" gives its weight to every group not named. Dies naming the file
 * on anything else. */
static void read_target(const char *path, struct target *tg)
{
	struct strbuf sb = STRBUF_INIT;
	memset(tg, 0, sizeof(*tg));
	tg->others = NAN;
	if (file_slurp(path, &sb) < 0)
		die_errno("%s", path);
	/* White space at the end is no line of its own for a message. */
	while (sb.len && strchr(" \t\r\n", sb.buf[sb.len - 1]))
		sb.len--;
	struct json_error err;
	if (json_check_record(sb.buf, sb.len, &err) < 0) {
		size_t line = 1;
		for (size_t i = 0; i < err.offset && i < sb.len; i++)
			line += sb.buf[i] == '\n';
		die("%s:%zu: not a JSON object of group -> share: %s", path, line, err.msg);
	}
	struct json_value obj = { sb.buf, sb.len, JSON_OBJECT, 0 }, name, value;
	obj.p += strspn(obj.p, " \t\r\n");
	obj.len = sb.len - (size_t)(obj.p - sb.buf);
	size_t pos = 0;
	struct strbuf key = STRBUF_INIT, num = STRBUF_INIT;
	while (json_object_next(&obj, &pos, &name, &value)) {
		strbuf_reset(&key);
		json_decode_string(&name, &key);
		double w;
		strbuf_reset(&num);
		strbuf_add(&num, value.p, value.len);
		if (value.type != JSON_NUMBER || parse_double(num.buf, 0, DBL_MAX, &w) < 0)
			die("%s: group '%s': the share must be a number, 0 or above", path, key.buf);
		if (!strcmp(key.buf, "*")) {
			if (!isnan(tg->others))
				die("%s: \"*\" is given twice", path);
			tg->others = w;
			continue;
		}
		for (size_t k = 0; k < tg->n; k++)
			if (tg->lens[k] == key.len && !memcmp(tg->names[k], key.buf, key.len))
				die("%s: group '%s' is given twice", path, key.buf);
		tg->names = xreallocarray(tg->names, tg->n + 1, sizeof(*tg->names));
		tg->lens = xreallocarray(tg->lens, tg->n + 1, sizeof(*tg->lens));
		tg->weights = xreallocarray(tg->weights, tg->n + 1, sizeof(*tg->weights));
		tg->names[tg->n] = xstrndup(key.buf, key.len);
		tg->lens[tg->n] = key.len;
		tg->weights[tg->n++] = w;
	}
	if (!tg->n && isnan(tg->others))
		die("%s: names no group", path);
	strbuf_release(&key);
	strbuf_release(&num);
	strbuf_release(&sb);
}

static void target_release(struct target *tg)
{
	for (size_t k = 0; k < tg->n; k++)
		free(tg->names[k]);
	free(tg->names);
	free(tg->lens);
	free(tg->weights);
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
	struct settings set = { .memory = 512ull << 20, .sample = NAN, .max_synthetic = NAN,
				.max_share = NAN };
	struct target target = { .others = NAN };
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
		case KEY_BALANCE: set.balance = arg; break;
		case KEY_TARGET: set.target = arg; break;
		case KEY_MAX_SHARE: set.max_share = cli_double("--max-share", arg, 0, 1); break;
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
	if ((set.target || !isnan(set.max_share)) && !set.balance)
		usage_error("%s needs --balance FIELD", set.target ? "--target" : "--max-share");
	if (!isnan(set.max_share) && set.max_share <= 0)
		usage_error("--max-share must be above 0");
	if (set.balance)
		parse_fields(&set, set.balance);
	set_up_sources(&set, argv + optind, argc - optind);
	keymap_init(&set.group_ids);
	if (!set.nfields) {
		/* One group, all records. */
		set.groups = xcalloc(1, sizeof(*set.groups));
		set.groups[0].want = 1;
		set.ngroups = 1;
		for (size_t i = 0; i < set.nsrc; i++)
			set.src[i].cells = xcalloc(1, sizeof(*set.src[i].cells));
	}
	/* The tables of the first pass may take all of --memory, or half
	 * when the shuffle needs its part; past that they spill. */
	set.tables.limit = set.shuffle ? set.memory / 2 : set.memory;
	size_t buffer = set.memory / 8 / set.nsrc;
	buffer = buffer < (4u << 10) ? 4u << 10 : buffer > (1u << 20) ? 1u << 20 : buffer;
	for (size_t i = 0; i < set.nsrc; i++) {
		spill_array_init(&set.src[i].table, sizeof(struct rec), &set.tables, buffer, "table");
		/* A record's group beside it, not in it: struct rec keeps its
		 * 24 bytes, and a mix without --balance pays nothing. */
		if (set.nfields)
			spill_array_init(&set.src[i].groups, sizeof(uint32_t), &set.tables,
					 buffer / 4, "groups");
	}
	if (set.target)
		read_target(set.target, &target);

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
		if (spill_array_flush(&s->table) < 0 ||
		    (set.nfields && spill_array_flush(&s->groups) < 0)) {
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
	if (!rc && set.nfields && plan_group_shares(&set, &target) < 0)
		rc = 1;
	if (!rc && plan_cells(&set) < 0)
		rc = 1;
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
	sum_takes(&set);
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
		if (set.nfields)
			spill_array_release(&s->groups);
		free(s->cells);
		free(s->path);
		free((char *)s->label);
	}
	free(set.src);
	free(set.paths);
	free(set.labels);
	free(set.synthetic);
	for (size_t g = 0; g < set.ngroups; g++)
		free(set.groups[g].name);
	free(set.groups);
	for (size_t k = 0; k < set.nfields; k++)
		free(set.fields[k]);
	free(set.fields);
	keymap_release(&set.group_ids);
	target_release(&target);
	tokenizer_free(set.tokenizer);
	return rc ? 1 : 0;
}
