/* fuzz-dedup-shard.c: libFuzzer target for the files of a sharded
 * synth-dedup run: the shard indexes of --shard-index
 * (dedup_shard_parse()) and the verdicts of --merge-index
 * (dedup_verdicts_parse()).
 *
 * Each input is read as it is and resealed (see fuzz-file.h), each time
 * as verdicts and as a shard of three runs: one with the options the
 * header names (when a run could have them: --exact, or parameters
 * minhash_init() takes), an --exact one and a near-duplicate one with
 * synth-dedup's defaults. A shard that loads under its own options is
 * refused by a run of others, which is told which.
 *
 * A parse either fails, leaving its struct empty, or gives what the
 * header promises: a shard's records, an entry and a JSON string or
 * number id each, which are then replayed against one index as
 * --merge-index replays them; verdicts whose dropped records increase
 * within the shard, with similarities of at most 1000 thousandths and
 * the id of what each duplicates.
 */
#define FUZZ_NAME "fuzz-dedup-shard"
#include "fuzz-file.h"

#include "dedup_index.h"
#include "json.h"
#include "minhash.h"
#include "text.h"

static struct minhash near_mh;
static struct dedup_params near_params, exact_params;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init();
	/* synth-dedup's defaults: 256 permutations, threshold 0.8, LSH over
	 * the first 128, verified. */
	unsigned perms = 256, lsh = LSH_MAX_PERMS;
	unsigned rows = lsh_rows_for(0.8, lsh), bands = lsh / rows;
	minhash_init(&near_mh, perms, bands, rows, 28, 0);
	near_params = (struct dedup_params){ DEDUP_NEAR, NORM_FULL, 5, perms, bands, rows,
					     near_mh.bits, 0 };
	exact_params = (struct dedup_params){ .mode = DEDUP_EXACT, .normalize = NORM_FULL };
	return 0;
}

static int valid_id(const char *id, size_t n)
{
	struct strbuf rec = STRBUF_INIT;
	strbuf_addstr(&rec, "{\"i\":");
	strbuf_add(&rec, id, n);
	strbuf_addc(&rec, '}');
	struct json_value v;
	struct json_error jerr;
	int ok = json_check_record_member(rec.buf, rec.len, "i", &v, &jerr) == 0 &&
		 (v.type == JSON_STRING || v.type == JSON_NUMBER) && v.len == n;
	strbuf_release(&rec);
	return ok;
}

static void check_ids(const struct id_list *l, uint64_t n, uint64_t bytes)
{
	CHECK(l->n == n, "an id each");
	CHECK(l->text.len == bytes, "the ids' bytes as the header says");
	for (size_t i = 0; i < l->n; i++) {
		size_t len;
		const char *id = id_list_get(l, i, &len);
		CHECK(valid_id(id, len), "each id is a JSON string or number");
	}
}

/* The shard's records in order against one index, keep-first, as
 * --merge-index decides them; its verdicts must hold together. */
static void replay(const struct dedup_shard *s, const struct minhash *mh)
{
	int exact = s->p.mode == DEDUP_EXACT;
	struct dedup_index x;
	dedup_index_init(&x, &s->p, mh, 1);
	struct dedup_verdicts v;
	dedup_verdicts_init(&v, s->n, s->fingerprint);
	uint64_t *keys = exact ? NULL : calloc(mh->bands, sizeof(*keys));
	CHECK(exact || keys != NULL, "allocating");
	for (uint64_t i = 0; i < s->n; i++) {
		const unsigned char *rec = (const unsigned char *)s->data.buf + i * s->entry;
		size_t idlen;
		const char *id = id_list_get(&s->ids, (size_t)i, &idlen);
		int64_t dup;
		double sim = 1;
		if (exact) {
			struct hash128 h;
			memcpy(&h, rec, sizeof(h));
			dup = dedup_exact_find(&x, h);
			if (dup < 0)
				dedup_exact_add(&x, h, id, idlen);
		} else {
			minhash_band_keys(mh, rec, keys);
			dup = dedup_near_find(&x, rec, keys, &sim);
			CHECK(dup < 0 || (sim >= 0 && sim <= 1), "a similarity in [0, 1]");
			if (dup >= 0 && sim < 0.8)
				dup = -1;
			if (dup < 0)
				dedup_near_add(&x, rec, keys, id, idlen);
		}
		if (dup >= 0) {
			CHECK((uint64_t)dup < x.n, "a duplicate of a record kept");
			size_t oflen;
			const char *of = dedup_index_id(&x, (uint64_t)dup, &oflen);
			dedup_verdicts_drop(&v, i, (uint32_t)(sim * 1000), of, oflen);
		}
	}
	CHECK(x.n + v.ndrop == s->n, "every record kept or dropped");
	free(keys);
	dedup_verdicts_release(&v);
	dedup_index_release(&x);
}

static int same_params(const struct dedup_params *a, const struct dedup_params *b)
{
	return a->mode == b->mode && a->normalize == b->normalize && a->ngram == b->ngram &&
	       a->perms == b->perms && a->bands == b->bands && a->rows == b->rows &&
	       a->bits == b->bits && a->seed == b->seed;
}

/* Is why what a run of other options is told: those options, not that
 * the file is cut short or runs on? */
static int names_options(const char *why)
{
	return !strncmp(why, "made with", 9) || !strncmp(why, "made without", 12) ||
	       !strcmp(why, "an --exact index; this run finds near-duplicates") ||
	       !strcmp(why, "a near-duplicate index; this run is --exact");
}

/* Parse buf[0..n) as a shard of a run of p; 0 when it loads. A file
 * known to load under the options of its header (theirs, NULL when not
 * known) must be refused by a run of others for those options. */
static int try_shard(const struct dedup_params *p, const struct minhash *mh,
		     const unsigned char *buf, size_t n, const struct dedup_params *theirs)
{
	size_t entry = p->mode == DEDUP_EXACT ? sizeof(struct hash128) : minhash_sig_bytes(mh);
	struct dedup_shard s;
	struct strbuf err = STRBUF_INIT;
	dedup_shard_init(&s, p, entry);
	int rc = dedup_shard_parse(&s, buf, n, &err);
	CHECK(rc == 0 || rc == -1, "dedup_shard_parse returns 0 or -1");
	if (theirs && !same_params(p, theirs))
		CHECK(rc < 0 && names_options(err.buf), "a shard of other options is told by them");
	if (rc) {
		CHECK(err.len > 0, "a failure says why");
		CHECK(s.n == 0 && s.data.len == 0 && s.ids.n == 0 && s.entry == entry,
		      "a failed parse leaves the shard empty, as set up");
	} else {
		CHECK(err.len == 0, "a success says nothing");
		CHECK(s.n == get64(buf + 56) && s.fingerprint == get64(buf + 72),
		      "records and fingerprint as the header says");
		CHECK(s.data.len == s.n * entry, "an entry a record");
		check_ids(&s.ids, s.n, get64(buf + 64));
		replay(&s, mh);
	}
	dedup_shard_release(&s);
	strbuf_release(&err);
	return rc;
}

static void try_verdicts(const unsigned char *buf, size_t n)
{
	struct dedup_verdicts v;
	struct strbuf err = STRBUF_INIT;
	int rc = dedup_verdicts_parse(&v, buf, n, &err);
	CHECK(rc == 0 || rc == -1, "dedup_verdicts_parse returns 0 or -1");
	if (rc) {
		CHECK(err.len > 0, "a failure says why");
		CHECK(v.ndrop == 0 && v.of.n == 0, "a failed parse leaves the verdicts empty");
	} else {
		CHECK(err.len == 0, "a success says nothing");
		CHECK(v.n == get64(buf + 16) && v.fingerprint == get64(buf + 24) &&
		      v.ndrop == get64(buf + 32), "as the header says");
		for (uint64_t i = 0; i < v.ndrop; i++) {
			CHECK(v.drop[i] < v.n, "a dropped record within the shard");
			CHECK(!i || v.drop[i] > v.drop[i - 1], "dropped records in order, once each");
			CHECK(v.sim[i] <= 1000, "similarity in thousandths");
		}
		check_ids(&v.of, v.ndrop, get64(buf + 40));
	}
	dedup_verdicts_release(&v);
	strbuf_release(&err);
}

/* The parameters in a shard's header, when a run could have them:
 * --exact, or what minhash_init() takes. */
static int header_params(const unsigned char *buf, size_t n, struct dedup_params *p)
{
	if (n < 88)
		return 0;
	*p = (struct dedup_params){ get32(buf + 16), get32(buf + 20), get32(buf + 24),
				    get32(buf + 28), get32(buf + 32), get32(buf + 36),
				    get32(buf + 40), get64(buf + 48) };
	if (p->mode == DEDUP_EXACT)
		return 1;
	return p->mode == DEDUP_NEAR && p->perms && p->perms <= MINHASH_MAX_PERMS && p->bands &&
	       p->rows && (uint64_t)p->bands * p->rows <= p->perms &&
	       (p->bits == 4 || p->bits == 8 || p->bits == 16 || p->bits == 32);
}

static void try_all(const unsigned char *buf, size_t n)
{
	try_verdicts(buf, n);
	/* First as a run of the header's options. */
	struct dedup_params p;
	int loads = 0;
	if (header_params(buf, n, &p)) {
		struct minhash mh = { 0 };
		if (p.mode == DEDUP_NEAR) {
			/* bits * rows bits a band give exactly `bits` bits a value. */
			minhash_init(&mh, p.perms, p.bands, p.rows, p.bits * p.rows, p.seed);
			CHECK(mh.bits == p.bits, "minhash_init keeps the header's bits");
		}
		loads = try_shard(&p, p.mode == DEDUP_NEAR ? &mh : NULL, buf, n, NULL) == 0;
		if (p.mode == DEDUP_NEAR)
			minhash_release(&mh);
	}
	try_shard(&exact_params, NULL, buf, n, loads ? &p : NULL);
	try_shard(&near_params, &near_mh, buf, n, loads ? &p : NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_all(data, size);
	unsigned char *sealed = fuzz_resealed(data, size);
	if (sealed) {
		try_all(sealed, size);
		free(sealed);
	}
	return 0;
}
