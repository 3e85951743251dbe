/* synth-dedup: drop exact and near-duplicate records, and records that
 * share text with a reference set.
 *
 * The workers normalise each record's text and compute what the index
 * compares: a 128-bit hash (--exact) or a MinHash signature; they also
 * look the record's long n-grams up in the reference table (--against),
 * which is read-only by then. What depends on the records before it,
 * whether an earlier kept record is a duplicate of this one, is decided
 * in input order on the writing thread (the record loop's ordered
 * stage), so the output is the same for any -j.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "dedup_index.h"
#include "diag.h"
#include "file_lock.h"
#include "hash.h"
#include "json.h"
#include "minhash.h"
#include "output.h"
#include "pool.h"
#include "records.h"
#include "text.h"

enum {
	KEY_NORMALIZE = KEY_PROGRAM, KEY_EXACT, KEY_NGRAM, KEY_PERMS, KEY_THRESHOLD, KEY_BANDS,
	KEY_NO_VERIFY, KEY_MARK, KEY_DUPS, KEY_INDEX, KEY_AGAINST, KEY_AGAINST_FIELD,
	KEY_CONTAM_NGRAM, KEY_CONTAM_MAX_DF, KEY_SHARD_INDEX, KEY_MERGE_INDEX, KEY_MERGE_BANDS,
	KEY_MERGE_PAIRS, KEY_APPLY
};

static const struct cli_option options[] = {
	CLI_OPT_FIELD,
	CLI_OPT_ID_FIELD,
	{ "normalize", KEY_NORMALIZE, "HOW", "compare texts after none, ws, nfkc or full normalisation (default: full)" },
	{ "exact", KEY_EXACT, NULL, "drop exact duplicates of the normalised text only" },
	{ "ngram", KEY_NGRAM, "N", "shingles of N words (default: 5)" },
	{ "perms", KEY_PERMS, "N", "N MinHash permutations (default: 256)" },
	{ "threshold", KEY_THRESHOLD, "J", "a duplicate has estimated Jaccard similarity J or more (default: 0.8)" },
	{ "bands", KEY_BANDS, "B", "B LSH bands instead of the number chosen for the threshold" },
	{ "no-verify", KEY_NO_VERIFY, NULL, "take every LSH candidate as a duplicate, unverified" },
	{ "mark", KEY_MARK, NULL, "keep every record; add a \"dedup\" member to duplicates" },
	{ "dups", KEY_DUPS, "FILE", "write the removed records to FILE, with the \"dedup\" member" },
	{ "index", KEY_INDEX, "FILE", "deduplicate against the index in FILE too, and save it extended" },
	{ "against", KEY_AGAINST, "FILE", "drop records sharing an n-gram with a record of FILE (repeatable)" },
	{ "against-field", KEY_AGAINST_FIELD, "NAME", "the text of --against's records is in member NAME (default: --field)" },
	{ "contam-ngram", KEY_CONTAM_NGRAM, "N", "n-grams of N words for --against (default: 13)" },
	{ "contam-max-df", KEY_CONTAM_MAX_DF, "N", "leave out n-grams found in more than N --against records" },
	{ "shard-index", KEY_SHARD_INDEX, "FILE", "sharded run, step 1: sign this shard's records into FILE" },
	{ "merge-index", KEY_MERGE_INDEX, NULL, "step 2: the FILEs are shard indexes; decide, write each FILE.verdicts and -o the index" },
	{ "merge-bands", KEY_MERGE_BANDS, "I/N", "step 2 on N nodes, part a: this node's pairs of the FILEs' records to -o" },
	{ "merge-pairs", KEY_MERGE_PAIRS, "FILE", "part b: decide from every node's pairs FILE (repeatable); write each FILE.verdicts" },
	{ "apply", KEY_APPLY, "FILE", "step 3: drop this shard's records as the verdicts in FILE say" },
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
	"synth-dedup", "[OPTION]... [FILE]...",
	"Drop exact and near-duplicate records, and records that share text with a reference set.",
	options
};

/* The n-grams of the reference records, with the reference each came
 * from first: an open-addressing table of hashes. While the references
 * are read it also counts the references that hold each n-gram (its
 * document frequency), for --contam-max-df. */
struct contam {
	unsigned ngram;
	uint64_t *key;		/* zero: empty */
	uint32_t *ref;		/* CONTAM_LEFT_OUT: not matched */
	uint32_t *df, *last;	/* while loading: references, and the last one */
	size_t cap, used;
	struct id_list ids;	/* the references' ids */
	uint64_t short_refs;	/* references with fewer words than ngram */
	uint64_t left_out;	/* n-grams in more than max_df references */
};

#define CONTAM_LEFT_OUT UINT32_MAX

struct settings {
	struct cli_common common;
	enum text_norm norm;
	int exact, verify, mark, keep_ids;
	unsigned ngram, perms, bands, contam_ngram;
	uint64_t contam_max_df;	/* 0: no limit */
	const char *against_field;	/* NULL: common.field */
	double threshold, cut;	/* cut: the least estimate verification accepts */
	const char *dups, *index;
	const char *shard_index, *apply;	/* sharded runs */
	int merge_index;
	unsigned node, nodes;			/* --merge-bands I/N */
	char **pairs;				/* --merge-pairs */
	int npairs;
	struct dedup_shard shard;		/* --shard-index: what is signed */
	struct dedup_verdicts verdicts;		/* --apply */
	uint64_t applied, fingerprint;		/* --apply: records seen, their fingerprint */
	const char **against;
	int nagainst;
	struct minhash mh;
	struct dedup_index ix;
	struct contam contam;
	struct output dups_out;
	uint64_t duplicates, contaminated;
	/* Near mode's ordered stage: a block's records to look up, each
	 * band's work on them a task on the pool's threads. */
	struct pool *pool;
	struct dedup_block block;
};

/* What a worker leaves in emit->side for each record: this header, then
 * the band keys and the signature (near mode), the id and the
 * contamination member, padded to a multiple of 8 bytes. */
struct pending {
	struct record r;
	uint32_t size;		/* bytes of this entry */
	uint32_t id_len, member_len;
	uint32_t contaminated;
	struct hash128 h;	/* exact mode */
};

struct worker {
	const struct settings *set;
	struct strbuf text, joined, id, member;
	struct words ws;
	uint64_t *sh;
	size_t sh_cap;
	uint32_t *mins;
	unsigned char *sig;
	uint64_t *keys;
};

/* --- The reference n-grams (--against) ----------------------------------- */

/* The slot of n-gram hash k, or -1. */
static int64_t contam_slot(const struct contam *c, uint64_t k)
{
	if (!c->cap)
		return -1;
	k |= 1;	/* zero marks an empty slot */
	for (size_t i = hash_slot(k, c->cap); c->key[i]; i = hash_next_slot(i, c->cap))
		if (c->key[i] == k)
			return (int64_t)i;
	return -1;
}

/* The reference that has n-gram hash k, or -1 (also for one left out). */
static int64_t contam_find(const struct contam *c, uint64_t k)
{
	int64_t i = contam_slot(c, k);
	if (i < 0 || c->ref[i] == CONTAM_LEFT_OUT)
		return -1;
	return c->ref[i];
}

/* The free slot for hash k (with its low bit set) in a table of cap. */
static size_t contam_free_slot(const uint64_t *key, size_t cap, uint64_t k)
{
	size_t i = hash_slot(k, cap);
	while (key[i])
		i = hash_next_slot(i, cap);
	return i;
}

/* Count n-gram hash k as found in reference r: added when new, its
 * document frequency raised when r is a reference it was not yet seen
 * in (the references come in order, so the last one tells). */
static void contam_add(struct contam *c, uint64_t k, uint32_t r)
{
	int64_t at = contam_slot(c, k);
	if (at >= 0) {
		if (c->last[at] != r) {
			c->last[at] = r;
			c->df[at]++;
		}
		return;
	}
	k |= 1;
	if ((c->used + 1) * 4 > c->cap * 3) {
		size_t cap = c->cap ? size_mul(c->cap, 2) : 4096;
		uint64_t *key = xcalloc(cap, sizeof(*key));
		uint32_t *ref = xcalloc(cap, sizeof(*ref));
		uint32_t *df = xcalloc(cap, sizeof(*df));
		uint32_t *last = xcalloc(cap, sizeof(*last));
		for (size_t i = 0; i < c->cap; i++) {
			if (!c->key[i])
				continue;
			size_t j = contam_free_slot(key, cap, c->key[i]);
			key[j] = c->key[i];
			ref[j] = c->ref[i];
			df[j] = c->df[i];
			last[j] = c->last[i];
		}
		free(c->key);
		free(c->ref);
		free(c->df);
		free(c->last);
		c->key = key;
		c->ref = ref;
		c->df = df;
		c->last = last;
		c->cap = cap;
	}
	size_t i = contam_free_slot(c->key, c->cap, k);
	c->key[i] = k;
	c->ref[i] = r;
	c->df[i] = 1;
	c->last[i] = r;
	c->used++;
}

/* Leave out the n-grams found in more than max_df references (0: none
 * left out); the counts are not needed after. */
static void contam_limit(struct contam *c, uint64_t max_df)
{
	for (size_t i = 0; i < c->cap && max_df; i++) {
		if (c->key[i] && c->df[i] > max_df) {
			c->ref[i] = CONTAM_LEFT_OUT;
			c->left_out++;
		}
	}
	free(c->df);
	free(c->last);
	c->df = c->last = NULL;
}

struct ref_loader {
	struct settings *set;
	struct strbuf text, id;
	struct words ws;
	uint64_t *sh;
	size_t sh_cap;
};

static void *ref_worker(void *arg)
{
	return arg;
}

static void ref_process(void *arg, const struct record *r, struct emit *e)
{
	struct ref_loader *rl = arg;
	struct contam *c = &rl->set->contam;
	const char *text;
	size_t len;
	if (record_text(r, e, &rl->text, &text, &len) < 0)
		return;
	text_words_as(text, len, rl->set->norm, &rl->ws);
	if (rl->ws.n < c->ngram) {
		c->short_refs++;
		return;
	}
	if (c->ids.n >= UINT32_MAX)
		die("too many reference records");
	uint32_t ref = (uint32_t)c->ids.n;
	strbuf_reset(&rl->id);
	record_id_json(r, e->common, &rl->id);
	id_list_push(&c->ids, rl->id.buf, rl->id.len);
	size_t n = shingle_hashes(&rl->ws, c->ngram, &rl->sh, &rl->sh_cap);
	for (size_t i = 0; i < n; i++)
		contam_add(c, rl->sh[i], ref);
}

/* Read the --against files into set->contam, one thread, so that an
 * n-gram in several references names the first. */
static void load_references(struct settings *set)
{
	struct cli_common common = set->common;
	common.output = NULL;
	common.rejects = NULL;
	common.skip_invalid = 0;
	common.jobs = 1;
	if (set->against_field)
		common.field = set->against_field;
	struct ref_loader loader = { .set = set };
	strbuf_init(&loader.text);
	strbuf_init(&loader.id);
	words_init(&loader.ws);
	set->contam.ngram = set->contam_ngram;
	strbuf_init(&set->contam.ids.text);
	struct record_loop rl = {
		.common = &common, .files = (char **)set->against, .nfiles = set->nagainst,
		.worker_new = ref_worker, .process = ref_process, .arg = &loader,
		.empty = EMPTY_FAILS, .what = "--against", .phase = "reading the references in",
	};
	int rc = record_loop_run(&rl);
	free(rl.workers);
	strbuf_release(&loader.text);
	strbuf_release(&loader.id);
	words_release(&loader.ws);
	free(loader.sh);
	if (rc)
		die("cannot use the references given with --against");
	struct contam *c = &set->contam;
	contam_limit(c, set->contam_max_df);
	if (c->short_refs)
		warning("--against: %llu reference record%s shorter than %u words cannot be matched",
			(unsigned long long)c->short_refs, c->short_refs == 1 ? "" : "s",
			set->contam_ngram);
	info("--against: %zu references, %zu distinct %u-grams", c->ids.n, c->used,
	     set->contam_ngram);
	if (set->contam_max_df)
		info("--contam-max-df %llu: %llu of the %u-grams left out, each found in more than "
		     "%llu reference%s", (unsigned long long)set->contam_max_df,
		     (unsigned long long)c->left_out, set->contam_ngram,
		     (unsigned long long)set->contam_max_df, set->contam_max_df == 1 ? "" : "s");
	if (c->used && c->left_out == c->used)
		warning("--contam-max-df %llu leaves out every %u-gram of the references: nothing "
			"can be found contaminated", (unsigned long long)set->contam_max_df,
			set->contam_ngram);
}

static void contam_release(struct contam *c)
{
	free(c->key);
	free(c->ref);
	free(c->df);
	free(c->last);
	id_list_release(&c->ids);
}

/* --- Workers: what each record is compared by ------------------------------ */

static void *worker_new(void *arg)
{
	const struct settings *set = arg;
	struct worker *w = xcalloc(1, sizeof(*w));
	w->set = set;
	strbuf_init(&w->text);
	strbuf_init(&w->joined);
	strbuf_init(&w->id);
	strbuf_init(&w->member);
	words_init(&w->ws);
	if (!set->exact) {
		w->mins = xcalloc(set->mh.padded, sizeof(*w->mins));
		w->sig = xcalloc(1, minhash_sig_bytes(&set->mh));
		w->keys = xcalloc(set->mh.bands, sizeof(*w->keys));
	}
	return w;
}

static void worker_free(void *arg)
{
	struct worker *w = arg;
	strbuf_release(&w->text);
	strbuf_release(&w->joined);
	strbuf_release(&w->id);
	strbuf_release(&w->member);
	words_release(&w->ws);
	free(w->sh);
	free(w->mins);
	free(w->sig);
	free(w->keys);
	free(w);
}

/* The member for a record that shares an n-gram with a reference, or
 * nothing in w->member. */
static void check_contamination(struct worker *w)
{
	const struct contam *c = &w->set->contam;
	strbuf_reset(&w->member);
	if (w->ws.n < c->ngram)
		return;
	size_t n = shingle_hashes(&w->ws, c->ngram, &w->sh, &w->sh_cap);
	for (size_t i = 0; i < n; i++) {
		int64_t ref = contam_find(c, w->sh[i]);
		if (ref < 0)
			continue;
		size_t idlen;
		const char *id = id_list_get(&c->ids, (size_t)ref, &idlen);
		strbuf_addstr(&w->member, "{\"contaminated\":");
		strbuf_add(&w->member, id, idlen);
		strbuf_addstr(&w->member, ",\"ngram\":");
		/* The n-gram as compared: its words, one space apart. */
		strbuf_reset(&w->joined);
		words_join(&w->ws, i, i + c->ngram, &w->joined);
		json_add_string(&w->member, w->joined.buf, w->joined.len);
		strbuf_addc(&w->member, '}');
		return;
	}
}

/* Is s[0..n) plain ASCII? Eight bytes at a time. */
static int is_ascii(const char *s, size_t n)
{
	uint64_t any = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, s + i, 8);
		any |= v;
	}
	for (; i < n; i++)
		any |= (unsigned char)s[i];
	return !(any & 0x8080808080808080ull);
}

/* The words of ws joined by single spaces into out, as words_join()
 * writes them, with a fixed 16-byte copy for a word that short: the
 * normalised text is followed by WORDS_SLACK readable bytes, and out is
 * grown by as many. A copy call per word and its checks were a tenth
 * of an --exact run on non-ASCII text. */
static void join_words(const struct words *ws, struct strbuf *out)
{
	strbuf_reset(out);
	strbuf_grow(out, ws->norm.len + ws->n + 16);
	char *d = out->buf;
	for (size_t i = 0; i < ws->n; i++) {
		const char *src = ws->norm.buf + ws->w[i].off;
		size_t len = ws->w[i].len;
		memcpy(d, src, len <= 16 ? 16 : len);
		d += len;
		*d++ = ' ';
	}
	strbuf_setlen(out, d > out->buf ? (size_t)(d - out->buf) - 1 : 0);
}

/* The hash of the record's text as --exact compares it: the text under
 * the normalisation preset, its words joined by single spaces
 * (text_joined()), hashed without joining them where that is a copy. */
static struct hash128 exact_hash(struct worker *w, const char *text, size_t len)
{
	enum text_norm norm = w->set->norm;
	if (norm == NORM_NONE)
		return hash128(text, len, 0);
	if (norm == NORM_FULL && is_ascii(text, len)) {
		/* text_joined()'s fast path: no list of words. */
		strbuf_reset(&w->joined);
		text_joined(text, len, norm, &w->ws, &w->joined);
	} else {
		text_words_as(text, len, norm, &w->ws);
		join_words(&w->ws, &w->joined);
	}
	return hash128(w->joined.buf, w->joined.len, 0);
}

static void process(void *arg, const struct record *r, struct emit *e)
{
	struct worker *w = arg;
	const struct settings *set = w->set;
	const char *text;
	size_t len;
	if (record_text(r, e, &w->text, &text, &len) < 0)
		return;
	struct pending p = { .r = *r };
	strbuf_reset(&w->member);
	/* --exact alone needs no list of words. */
	if (!set->exact || set->nagainst)
		text_words_as(text, len, set->norm, &w->ws);
	if (set->nagainst)
		check_contamination(w);
	p.contaminated = w->member.len > 0;
	size_t near_bytes = 0; /* band keys and signature */
	if (p.contaminated) {
		/* Neither compared nor indexed. */
	} else if (set->exact) {
		p.h = exact_hash(w, text, len);
	} else {
		size_t n = shingle_hashes(&w->ws, set->ngram, &w->sh, &w->sh_cap);
		minhash_signature(&set->mh, w->sh, n, w->mins, w->sig);
		minhash_band_keys(&set->mh, w->sig, w->keys);
		near_bytes = set->mh.bands * sizeof(*w->keys) + minhash_sig_bytes(&set->mh);
	}
	strbuf_reset(&w->id);
	if (set->keep_ids)
		record_id_json(r, &set->common, &w->id);
	p.id_len = (uint32_t)w->id.len;
	p.member_len = (uint32_t)w->member.len;
	size_t used = sizeof(p) + near_bytes + w->id.len + w->member.len;
	size_t size = (used + 7) & ~(size_t)7;
	if (size > UINT32_MAX)
		die("%s:%llu: the record's id is too long", r->file, (unsigned long long)r->lineno);
	p.size = (uint32_t)size;
	struct strbuf *side = &e->side;
	strbuf_grow(side, size);
	char *dst = side->buf + side->len;
	memcpy(dst, &p, sizeof(p));
	dst += sizeof(p);
	if (near_bytes) {
		size_t kb = set->mh.bands * sizeof(*w->keys);
		memcpy(dst, w->keys, kb);
		memcpy(dst + kb, w->sig, near_bytes - kb);
		dst += near_bytes;
	}
	memcpy(dst, w->id.buf, w->id.len);
	memcpy(dst + w->id.len, w->member.buf, w->member.len);
	memset(dst + w->id.len + w->member.len, 0, size - used);
	strbuf_setlen(side, side->len + size);
}

/* --- The ordered stage: keep-first decisions ------------------------------ */

/* A similarity in [0, 1] to three decimals: 1, 0.9, 0.825. */
static void add_similarity(struct strbuf *sb, double sim)
{
	int k = (int)lround(sim * 1000);
	if (k >= 1000 || k <= 0) {
		strbuf_addc(sb, k > 0 ? '1' : '0');
		return;
	}
	char digits[5] = { '0', '.', (char)('0' + k / 100), (char)('0' + k / 10 % 10),
			   (char)('0' + k % 10) };
	size_t n = 5;
	while (digits[n - 1] == '0')
		n--;
	strbuf_add(sb, digits, n);
}

/* A record that is a duplicate or contaminated: marked and kept under
 * --mark, else dropped to --rejects and --dups. */
static void drop(struct settings *set, struct emit *e, const struct pending *p,
		 const char *member, size_t member_len, const char *reason, struct strbuf *line)
{
	if (!set->mark && !set->dups && !set->common.rejects) {
		/* Nothing shows the member: the record is only counted. */
		emit_reject(e, &p->r, reason);
		return;
	}
	strbuf_reset(line);
	json_set_member(line, p->r.line, p->r.len, "dedup", member, member_len);
	if (set->mark) {
		emit_line(e, line->buf, line->len);
		return;
	}
	struct record edited = p->r;
	edited.line = line->buf;
	edited.len = line->len;
	emit_reject(e, &edited, reason);
	if (set->dups) {
		strbuf_addc(line, '\n');
		output_write(&set->dups_out, line->buf, line->len);
	}
}

/* Exact mode: prefetch the slot the pending record at off will probe,
 * if any; returns the offset of the next. */
static size_t prefetch_next(const struct settings *set, const struct emit *e, size_t off)
{
	if (off >= e->side.len)
		return off;
	const struct pending *p = (const void *)(e->side.buf + off);
	if (!p->contaminated)
		dedup_exact_prefetch(&set->ix, p->h);
	return off + p->size;
}

static void band_task(void *arg, unsigned b)
{
	struct settings *set = arg;
	dedup_block_band(&set->ix, &set->block, b);
}

/* Near mode: the block's records to look up (all but the contaminated),
 * and every band's work on them. */
static void probe_bands(struct settings *set, const struct emit *e)
{
	struct dedup_block *bk = &set->block;
	size_t n = 0;
	for (size_t off = 0; off < e->side.len;) {
		const struct pending *p = (const void *)(e->side.buf + off);
		off += p->size;
		n += !p->contaminated;
	}
	dedup_block_start(bk, set->mh.bands, n);
	n = 0;
	for (size_t off = 0; off < e->side.len;) {
		const struct pending *p = (const void *)(e->side.buf + off);
		off += p->size;
		if (p->contaminated)
			continue;
		bk->keys[n] = (const uint64_t *)(p + 1);
		bk->sig[n] = (const unsigned char *)(bk->keys[n] + set->mh.bands);
		n++;
	}
	pool_run(set->pool, set->mh.bands, band_task, set);
	dedup_near_placed(&set->ix);
}

static void ordered(void *arg, struct emit *e)
{
	struct settings *set = arg;
	struct dedup_index *ix = &set->ix;
	struct strbuf member = STRBUF_INIT, line = STRBUF_INIT;
	size_t near_bytes = set->exact ? 0 : set->mh.bands * sizeof(uint64_t) +
					     minhash_sig_bytes(&set->mh);
	/* Exact mode: ahead runs PREFETCH records before off, fetching
	 * their slots. Near mode: each band's table is looked up for the
	 * whole block first, the bands spread over the pool's threads, and
	 * the block's records linked to the earlier ones of their keys; the
	 * records kept in this block are found along those links. The
	 * answer is the one a lookup record by record gives. */
	enum { PREFETCH = 4 };
	size_t ahead = 0, todo = 0;
	if (set->exact)
		for (unsigned k = 0; k < PREFETCH; k++)
			ahead = prefetch_next(set, e, ahead);
	else
		probe_bands(set, e);
	for (size_t off = 0; off < e->side.len;) {
		const struct pending *p = (const void *)(e->side.buf + off);
		off += p->size;
		if (set->exact)
			ahead = prefetch_next(set, e, ahead);
		const char *id = (const char *)(p + 1) + (p->contaminated ? 0 : near_bytes);
		if (p->contaminated) {
			set->contaminated++;
			drop(set, e, p, id + p->id_len, p->member_len, "contaminated", &line);
			continue;
		}
		int64_t dup;
		double sim = 1;
		if (set->exact) {
			dup = dedup_exact_find(ix, p->h);
		} else {
			dup = dedup_block_best(ix, &set->block, todo, &sim);
			if (dup >= 0 && set->verify && sim < set->cut)
				dup = -1;
			dedup_block_decide(ix, &set->block, todo++, dup < 0, id, p->id_len);
		}
		if (dup < 0) {
			if (set->exact)
				dedup_exact_add(ix, p->h, id, p->id_len);
			emit_record(e, &p->r);
			continue;
		}
		set->duplicates++;
		strbuf_reset(&member);
		if (set->keep_ids) {
			size_t n;
			const char *of = dedup_index_id(ix, (uint64_t)dup, &n);
			strbuf_addstr(&member, "{\"dup_of\":");
			strbuf_add(&member, of, n);
			strbuf_addstr(&member, ",\"similarity\":");
		} else {
			strbuf_addstr(&member, "{\"similarity\":");
		}
		add_similarity(&member, sim);
		strbuf_addc(&member, '}');
		drop(set, e, p, member.buf, member.len, set->exact ? "duplicate" : "near-duplicate",
		     &line);
	}
	strbuf_release(&member);
	strbuf_release(&line);
}

/* --- Sharded runs --------------------------------------------------------- */

/* --shard-index: every record's hash or signature and id, in order. */
static void shard_ordered(void *arg, struct emit *e)
{
	struct settings *set = arg;
	size_t near_bytes = set->exact ? 0 : set->mh.bands * sizeof(uint64_t) +
					     minhash_sig_bytes(&set->mh);
	for (size_t off = 0; off < e->side.len;) {
		const struct pending *p = (const void *)(e->side.buf + off);
		off += p->size;
		const uint64_t *keys = (const uint64_t *)(p + 1);
		const void *entry = set->exact ? (const void *)&p->h : (const void *)(keys + set->mh.bands);
		dedup_shard_add(&set->shard, entry, (const char *)(p + 1) + near_bytes, p->id_len);
		set->shard.fingerprint = dedup_fingerprint(set->shard.fingerprint, p->r.line, p->r.len);
	}
}

/* --merge-index: the shards' records in order against one index, as one
 * run over them would decide; each shard's verdicts beside its file. */
static int merge_shards(struct settings *set, char **files, int nfiles)
{
	if (!nfiles)
		usage_error("--merge-index needs the files that --shard-index wrote, in order");
	if (!set->common.output || !strcmp(set->common.output, "-"))
		usage_error("--merge-index writes the merged index: give -o FILE");
	struct strbuf verdicts = STRBUF_INIT;
	for (int f = 0; f < nfiles; f++) {
		strbuf_reset(&verdicts);
		strbuf_addf(&verdicts, "%s.verdicts", files[f]);
		struct cli_file named[] = { { "-o", set->common.output }, { "the verdicts", verdicts.buf } };
		cli_distinct_files(named, 2);
	}
	strbuf_release(&verdicts);
	struct output index_out;
	if (output_open(&index_out, set->common.output, 0) < 0)
		return 1;
	size_t entry = set->exact ? sizeof(struct hash128) : minhash_sig_bytes(&set->mh);
	uint64_t *keys = set->exact ? NULL : xcalloc(set->mh.bands, sizeof(*keys));
	struct strbuf name = STRBUF_INIT;
	int rc = 0;
	uint64_t records = 0;
	/* Every shard's verdicts, then the index: renamed together, and
	 * only when every shard was merged. */
	struct output **outs = xcalloc((size_t)nfiles + 1, sizeof(*outs));
	for (int f = 0; f < nfiles && !rc; f++) {
		struct dedup_shard sh;
		dedup_shard_init(&sh, &set->ix.p, entry);
		if (dedup_shard_load(&sh, files[f]) < 0) {
			rc = 1;
			break;
		}
		struct dedup_verdicts v;
		dedup_verdicts_init(&v, sh.n, sh.fingerprint);
		for (uint64_t i = 0; i < sh.n; i++) {
			const unsigned char *rec = (const unsigned char *)sh.data.buf + i * entry;
			size_t idlen;
			const char *id = id_list_get(&sh.ids, (size_t)i, &idlen);
			int64_t dup;
			double sim = 1;
			if (set->exact) {
				struct hash128 h;
				memcpy(&h, rec, sizeof(h));
				dup = dedup_exact_find(&set->ix, h);
				if (dup < 0)
					dedup_exact_add(&set->ix, h, id, idlen);
			} else {
				minhash_band_keys(&set->mh, rec, keys);
				dup = dedup_near_find(&set->ix, rec, keys, &sim);
				if (dup >= 0 && set->verify && sim < set->cut)
					dup = -1;
				if (dup < 0)
					dedup_near_add(&set->ix, rec, keys, id, idlen);
			}
			if (dup >= 0) {
				size_t oflen;
				const char *of = dedup_index_id(&set->ix, (uint64_t)dup, &oflen);
				long k = lround(sim * 1000);
				dedup_verdicts_drop(&v, i, (uint32_t)(k < 0 ? 0 : k > 1000 ? 1000 : k), of, oflen);
				set->duplicates++;
			}
		}
		records += sh.n;
		strbuf_reset(&name);
		strbuf_addf(&name, "%s.verdicts", files[f]);
		outs[f] = xcalloc(1, sizeof(**outs));
		if (output_open(outs[f], name.buf, 0) < 0)
			rc = 1;
		else
			dedup_verdicts_write(&v, outs[f]);
		dedup_verdicts_release(&v);
		dedup_shard_release(&sh);
	}
	if (!rc)
		dedup_index_write(&set->ix, &index_out);
	size_t nouts = 0;
	for (int f = 0; f < nfiles; f++)
		if (outs[f])
			outs[nouts++] = outs[f];
	outs[nouts++] = &index_out;
	if (outputs_end(outs, nouts, rc != 0) < 0)
		rc = 1;
	for (size_t i = 0; i + 1 < nouts; i++)
		free(outs[i]);
	free(outs);
	info("--merge-index: %d shards, %llu records, %llu duplicates; index: %llu records",
	     nfiles, (unsigned long long)records, (unsigned long long)set->duplicates,
	     (unsigned long long)set->ix.n);
	free(keys);
	strbuf_release(&name);
	return rc;
}

/* What the two parts of a merge split by band are given. */
static struct dedup_merge merge_of(const struct settings *set, char **files, int nfiles)
{
	return (struct dedup_merge){
		.p = &set->ix.p, .mh = set->exact ? NULL : &set->mh, .cut = set->cut,
		.verify = set->verify, .files = files, .nfiles = nfiles,
	};
}

/* --merge-bands I/N: this node's pairs of the shards' records. */
static int merge_bands(struct settings *set, char **files, int nfiles)
{
	if (!nfiles)
		usage_error("--merge-bands needs the files that --shard-index wrote, in order");
	if (!set->common.output || !strcmp(set->common.output, "-"))
		usage_error("--merge-bands writes this node's pairs: give -o FILE");
	struct output out;
	if (output_open(&out, set->common.output, 0) < 0)
		return 1;
	struct dedup_merge m = merge_of(set, files, nfiles);
	struct dedup_merge_stats st;
	double t = now_seconds();
	int rc = dedup_merge_bands(&m, set->node, set->nodes, &out, &st) < 0;
	if (output_end(&out, rc) < 0)
		rc = 1;
	if (!rc)
		info("--merge-bands %u/%u: %llu records, %llu band keys of this node (%.1f MB), "
		     "%llu groups, %llu pairs; %.1f s", set->node, set->nodes,
		     (unsigned long long)st.records, (unsigned long long)st.entries,
		     (double)st.memory / 1e6, (unsigned long long)st.groups,
		     (unsigned long long)st.pairs, now_seconds() - t);
	return rc;
}

/* --merge-pairs FILE...: keep-first from every node's pairs; each
 * shard's verdicts beside its file, all renamed together. */
static int merge_pairs(struct settings *set, char **files, int nfiles)
{
	if (!nfiles)
		usage_error("--merge-pairs needs the files that --shard-index wrote, in order");
	if (set->common.output)
		usage_error("--merge-pairs writes each FILE.verdicts and no index: leave out -o");
	struct strbuf name = STRBUF_INIT;
	struct output **outs = xcalloc((size_t)nfiles, sizeof(*outs));
	int rc = 0, nouts = 0;
	for (int f = 0; f < nfiles && !rc; f++) {
		strbuf_reset(&name);
		strbuf_addf(&name, "%s.verdicts", files[f]);
		for (int i = 0; i < set->npairs; i++) {
			struct cli_file named[] = { { "--merge-pairs", set->pairs[i] },
						    { "the verdicts", name.buf } };
			cli_distinct_files(named, 2);
		}
		outs[f] = xcalloc(1, sizeof(**outs));
		if (output_open(outs[f], name.buf, 0) < 0)
			rc = 1;
		else
			nouts++;
	}
	struct dedup_merge m = merge_of(set, files, nfiles);
	struct dedup_merge_stats st;
	double t = now_seconds();
	if (!rc && dedup_merge_pairs(&m, set->pairs, set->npairs, outs, &st) < 0)
		rc = 1;
	if (outputs_end(outs, (size_t)nouts, rc != 0) < 0)
		rc = 1;
	for (int f = 0; f < nfiles; f++)
		free(outs[f]);
	free(outs);
	strbuf_release(&name);
	if (!rc)
		info("--merge-pairs: %d shards, %llu records, %llu pairs from %d nodes, %llu duplicates "
		     "(%.1f MB held); %.1f s", nfiles, (unsigned long long)st.records,
		     (unsigned long long)st.pairs, set->npairs, (unsigned long long)st.duplicates,
		     (double)st.memory / 1e6, now_seconds() - t);
	return rc;
}

/* --apply: what a worker leaves is the bare pending record. */
static void apply_process(void *arg, const struct record *r, struct emit *e)
{
	(void)arg;
	if (record_has_text(r, e) < 0)
		return;
	struct pending p = { .r = *r, .size = sizeof(struct pending) };
	strbuf_add(&e->side, &p, sizeof(p));
}

static void apply_ordered(void *arg, struct emit *e)
{
	struct settings *set = arg;
	const struct dedup_verdicts *v = &set->verdicts;
	struct strbuf member = STRBUF_INIT, line = STRBUF_INIT;
	for (size_t off = 0; off < e->side.len && !e->stopped;) {
		const struct pending *p = (const void *)(e->side.buf + off);
		off += p->size;
		uint64_t i = set->applied++;
		set->fingerprint = dedup_fingerprint(set->fingerprint, p->r.line, p->r.len);
		if (i >= v->n) {
			strbuf_addf(&e->fatal, "%s: more records than the shard signed for %s (%llu)",
				    p->r.file, set->apply, (unsigned long long)v->n);
			e->stopped = 1;
			break;
		}
		if (set->duplicates >= v->ndrop || v->drop[set->duplicates] != i) {
			emit_record(e, &p->r);
			continue;
		}
		size_t oflen;
		const char *of = id_list_get(&v->of, (size_t)set->duplicates, &oflen);
		uint32_t sim = v->sim[set->duplicates++];
		strbuf_reset(&member);
		strbuf_addstr(&member, "{\"dup_of\":");
		strbuf_add(&member, of, oflen);
		strbuf_addstr(&member, ",\"similarity\":");
		add_similarity(&member, sim / 1000.0);
		strbuf_addc(&member, '}');
		drop(set, e, p, member.buf, member.len, set->exact ? "duplicate" : "near-duplicate", &line);
	}
	strbuf_release(&member);
	strbuf_release(&line);
}

/* --apply: the input must be the shard that was signed, whole. */
static void apply_finish(void *arg, struct emit *e)
{
	struct settings *set = arg;
	const struct dedup_verdicts *v = &set->verdicts;
	if (set->applied != v->n || set->fingerprint != v->fingerprint) {
		strbuf_addf(&e->fatal, "the input is not the shard whose verdicts %s holds "
			    "(%llu records, %llu signed%s)", set->apply,
			    (unsigned long long)set->applied, (unsigned long long)v->n,
			    set->applied == v->n ? ", other contents" : "");
		e->stopped = 1;
	}
}

/* --- Set-up -------------------------------------------------------------- */

static enum text_norm parse_norm(const char *arg)
{
	static const char *const names[] = { "none", "ws", "nfkc", "full" };
	for (int i = 0; i < 4; i++)
		if (!strcmp(arg, names[i]))
			return (enum text_norm)i;
	usage_error("--normalize: '%s' is not one of none, ws, nfkc, full", arg);
}

/* --merge-bands I/N: node I of N, from 1. */
static void parse_node(const char *arg, unsigned *node, unsigned *nodes)
{
	const char *slash = strchr(arg, '/');
	if (!slash)
		usage_error("--merge-bands: '%s' is not I/N (this node, of N)", arg);
	char *i = xstrndup(arg, (size_t)(slash - arg));
	*nodes = (unsigned)cli_u64("--merge-bands", slash + 1, 1, 1u << 20);
	*node = (unsigned)cli_u64("--merge-bands", i, 1, *nodes);
	free(i);
}

static void print_lsh(const struct settings *set)
{
	const struct minhash *mh = &set->mh;
	static const double at[] = { 0.5, 0.7, 0.8, 0.9 };
	char probs[160];
	int k = 0;
	for (size_t i = 0; i < sizeof(at) / sizeof(*at); i++) {
		double p = set->verify ? minhash_catch_probability(mh, at[i], set->cut)
				       : lsh_catch_probability(at[i], mh->bands, mh->rows);
		k += snprintf(probs + k, sizeof(probs) - (size_t)k, "%s%.1f: %.1f%%", i ? ", " : "",
			      at[i], 100 * p);
	}
	char verified[64] = "unverified";
	if (set->verify)
		snprintf(verified, sizeof(verified), "verified at an estimate of %.3f or more",
			 set->cut);
	info("near-duplicates at Jaccard %g: %u permutations, LSH on %u (%u bands of %u rows, "
	     "%u bits a value), the other %u at %u bits; %s; a pair is caught at Jaccard %s",
	     set->threshold, mh->perms, mh->banded, mh->bands, mh->rows, mh->bits,
	     mh->perms - mh->banded, MINHASH_TAIL_BITS, verified, probs);
}

static void summary(const struct settings *set, const struct record_loop *rl, uint64_t loaded)
{
	record_loop_summary(rl);
	const struct dedup_index *ix = &set->ix;
	size_t mem = dedup_index_memory(ix);
	info("%llu duplicate%s, %llu contaminated; index: %llu records (%llu loaded), %.1f MB, "
	     "%.0f bytes a record", (unsigned long long)set->duplicates,
	     set->duplicates == 1 ? "" : "s", (unsigned long long)set->contaminated,
	     (unsigned long long)ix->n, (unsigned long long)loaded, (double)mem / 1e6,
	     ix->n ? (double)mem / (double)ix->n : 0.0);
}

int main(int argc, char **argv)
{
	struct settings set = {
		.norm = NORM_FULL, .verify = 1, .ngram = 5, .perms = 256, .threshold = 0.8,
		.contam_ngram = 13,
	};
	const char *arg;
	int key;
	diag_init("synth-dedup");
	cli_common_init(&set.common);
	while ((key = cli_next(argc, argv, &program, &set.common, &arg)) != -1) {
		switch (key) {
		case KEY_NORMALIZE: set.norm = parse_norm(arg); break;
		case KEY_EXACT: set.exact = 1; break;
		case KEY_NGRAM: set.ngram = (unsigned)cli_u64("--ngram", arg, 1, 1000); break;
		case KEY_PERMS: set.perms = (unsigned)cli_u64("--perms", arg, 1, MINHASH_MAX_PERMS); break;
		case KEY_THRESHOLD: set.threshold = cli_double("--threshold", arg, 0, 1); break;
		case KEY_BANDS: set.bands = (unsigned)cli_u64("--bands", arg, 1, MINHASH_MAX_PERMS); break;
		case KEY_NO_VERIFY: set.verify = 0; break;
		case KEY_MARK: set.mark = 1; break;
		case KEY_DUPS: set.dups = arg; break;
		case KEY_INDEX: set.index = arg; break;
		case KEY_AGAINST:
			set.against = xreallocarray(set.against, (size_t)set.nagainst + 1,
						    sizeof(*set.against));
			set.against[set.nagainst++] = arg;
			break;
		case KEY_SHARD_INDEX: set.shard_index = arg; break;
		case KEY_MERGE_INDEX: set.merge_index = 1; break;
		case KEY_MERGE_BANDS: parse_node(arg, &set.node, &set.nodes); break;
		case KEY_MERGE_PAIRS:
			set.pairs = xreallocarray(set.pairs, (size_t)set.npairs + 1, sizeof(*set.pairs));
			set.pairs[set.npairs++] = (char *)arg;
			break;
		case KEY_APPLY: set.apply = arg; break;
		case KEY_CONTAM_NGRAM:
			set.contam_ngram = (unsigned)cli_u64("--contam-ngram", arg, 1, 1000);
			break;
		case KEY_CONTAM_MAX_DF:
			set.contam_max_df = cli_u64("--contam-max-df", arg, 1, UINT32_MAX);
			break;
		case KEY_AGAINST_FIELD:
			if (!*arg)
				usage_error("empty field name for --against-field");
			set.against_field = arg;
			break;
		default: BUG("option %d", key);
		}
	}
	if (set.threshold <= 0)
		usage_error("--threshold must be above 0");
	unsigned lsh_perms = set.perms < LSH_MAX_PERMS ? set.perms : LSH_MAX_PERMS;
	if (set.bands > lsh_perms)
		usage_error("--bands %u: more bands than the %u permutations LSH uses", set.bands,
			    lsh_perms);
	if (set.mark && set.dups)
		usage_error("--mark keeps every record, so --dups would stay empty; use one");
	if (set.index && strlen(set.index) > 4 && !strcmp(set.index + strlen(set.index) - 4, ".zst"))
		usage_error("--index %s: an index is not compressed; name it without .zst", set.index);
	if (set.index && !strcmp(set.index, "-"))
		usage_error("--index -: the index must be a file");
	int merge_split = set.nodes || set.npairs;
	int steps = !!set.shard_index + set.merge_index + !!set.nodes + !!set.npairs + !!set.apply;
	if (steps > 1)
		usage_error("--shard-index, --merge-index, --merge-bands, --merge-pairs and --apply are "
			    "steps of a sharded run; give one");
	if (!set.nagainst && (set.against_field || set.contam_max_df))
		usage_error("%s goes with --against", set.against_field ? "--against-field"
									 : "--contam-max-df");
	if (steps && (set.index || set.nagainst))
		usage_error("a sharded run's step does not go with --index or --against (run --against "
			    "on each shard first)");
	if ((set.shard_index || set.merge_index || merge_split) && (set.mark || set.dups || set.common.rejects))
		usage_error("--mark, --dups and --rejects go with --apply, the step that drops records");
	set.keep_ids = set.mark || set.dups || set.index || set.common.rejects || set.shard_index ||
		       set.merge_index;

	struct dedup_params params = { .mode = DEDUP_EXACT, .normalize = set.norm };
	if (!set.exact) {
		unsigned rows = set.bands ? lsh_perms / set.bands
					  : lsh_rows_for(set.threshold, lsh_perms);
		unsigned bands = set.bands ? set.bands : lsh_perms / rows;
		/* A band must hold enough bits that unrelated records rarely
		 * agree on one by chance: verification weeds those out; without
		 * it each band needs twice as many. */
		minhash_init(&set.mh, set.perms, bands, rows, set.verify ? 28 : 56, set.common.seed);
		set.cut = minhash_cut(&set.mh, set.threshold);
		params = (struct dedup_params){
			DEDUP_NEAR, set.norm, set.ngram, set.perms, bands, rows, set.mh.bits,
			set.common.seed,
		};
		print_lsh(&set);
	}
	dedup_index_init(&set.ix, &params, &set.mh, set.keep_ids);

	/* Two options that name one file would lose one of them to the
	 * other's rename. */
	struct cli_file named[] = {
		{ "-o", set.common.output }, { "--rejects", set.common.rejects },
		{ "--dups", set.dups }, { "--shard-index", set.shard_index }, { "--index", set.index },
	};
	cli_distinct_files(named, sizeof(named) / sizeof(*named));
	if (set.apply && cli_same_file(set.apply, set.common.output))
		usage_error("--apply %s and -o %s name one file; give each its own", set.apply,
			    set.common.output);

	/* Everything that can fail before the input is read does: the
	 * index is locked, loaded and its new file opened, the references
	 * read. */
	uint64_t loaded = 0;
	int rc = 1;
	struct output shard_out, index_out;
	struct file_lock index_lock = FILE_LOCK_INIT;
	memset(&shard_out, 0, sizeof(shard_out));
	memset(&index_out, 0, sizeof(index_out));
	/* An input replaced by -o: one such run at a time. */
	if (file_lock_rewritten(set.common.output, argv + optind, argc - optind,
				set.common.wait_lock) < 0)
		goto done;
	if (set.merge_index) {
		rc = merge_shards(&set, argv + optind, argc - optind);
		goto done;
	}
	if (set.nodes) {
		rc = merge_bands(&set, argv + optind, argc - optind);
		goto done;
	}
	if (set.npairs) {
		rc = merge_pairs(&set, argv + optind, argc - optind);
		goto done;
	}
	if (set.shard_index) {
		if (set.common.output)
			usage_error("--shard-index writes no records; it does not go with -o");
		dedup_shard_init(&set.shard, &params,
				 set.exact ? sizeof(struct hash128) : minhash_sig_bytes(&set.mh));
		if (output_open(&shard_out, set.shard_index, 0) < 0)
			goto done;
	}
	if (set.apply && dedup_verdicts_load(&set.verdicts, set.apply) < 0)
		goto done;
	if (set.index) {
		/* Held from before the load until after the rename: a second
		 * run on this index starts from what this one saves. */
		if (file_lock(&index_lock, set.index, set.common.wait_lock) < 0)
			goto done;
		if (dedup_index_load(&set.ix, set.index) == FILE_FAILED)
			goto done;
		loaded = set.ix.n;
		if (output_open(&index_out, set.index, 0) < 0)
			goto done;
	}
	if (set.dups && output_open(&set.dups_out, set.dups, (int)set.common.jobs) < 0) {
		output_abort(&index_out);
		output_abort(&shard_out);
		goto done;
	}
	if (set.nagainst)
		load_references(&set);
	/* Near mode's band tables are worked on by as many threads as there
	 * are workers (the ordered stage's among them), a band at a time. */
	if (!set.exact && !set.shard_index && !set.apply) {
		unsigned jobs = set.common.jobs ? set.common.jobs : 1;
		set.pool = pool_new((jobs < set.mh.bands ? jobs : set.mh.bands) - 1);
	}

	struct record_loop rl = {
		.common = &set.common, .files = argv + optind, .nfiles = argc - optind,
		.write_records = !set.shard_index, .worker_new = worker_new,
		.process = set.apply ? apply_process : process,
		.ordered = set.shard_index ? shard_ordered : set.apply ? apply_ordered : ordered,
		.finish = set.apply ? apply_finish : NULL, .arg = &set, .hold_outputs = 1,
		.phase = set.shard_index ? "signing" : set.apply ? "applying the verdicts to"
							   : "deduplicating",
	};
	rc = record_loop_run(&rl);
	if (set.pool) {
		/* The band tasks the ordered stage ran itself are its pool's. */
		double all, caller;
		pool_cpu(set.pool, &all, &caller);
		rl.cpu_order -= caller;
		rl.cpu_tasks = all;
	}
	pool_free(set.pool);
	dedup_block_release(&set.block);
	/* The shard's file and the index are written only after a run that
	 * succeeded, and renamed after the records, --rejects and --dups:
	 * a run whose output was lost (a full disk) must not leave an index
	 * that drops those records as seen the next time. */
	if (set.shard_index && !rc)
		dedup_shard_write(&set.shard, &shard_out);
	if (set.index && !rc)
		dedup_index_write(&set.ix, &index_out);
	struct output *mine[] = { &set.dups_out, &shard_out, &index_out };
	rc = record_loop_end(&rl, rc, mine, sizeof(mine) / sizeof(*mine));
	file_unlock(&index_lock);
	if (set.shard_index) {
		if (!rc)
			info("--shard-index: %llu records signed into %s",
			     (unsigned long long)set.shard.n, set.shard_index);
		dedup_shard_release(&set.shard);
	}
	if (set.apply)
		dedup_verdicts_release(&set.verdicts);
	summary(&set, &rl, loaded);
	record_loop_release(&rl, worker_free);
done:
	/* What a run that stopped early had opened (closed ones are
	 * skipped). */
	output_abort(&shard_out);
	output_abort(&index_out);
	output_abort(&set.dups_out);
	file_unlock(&index_lock);
	dedup_index_release(&set.ix);
	if (!set.exact)
		minhash_release(&set.mh);
	contam_release(&set.contam);
	free(set.against);
	free(set.pairs);
	return rc ? 1 : 0;
}
