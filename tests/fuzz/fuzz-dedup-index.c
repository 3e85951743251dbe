/* fuzz-dedup-index.c: libFuzzer target for the index files of synth-dedup
 * --index (dedup_index_parse()).
 *
 * Each input is read as it is and resealed (see fuzz-file.h), each time
 * by indexes set up as three runs would set them up: one with the
 * options the header names (when a run could have them: --exact, or
 * parameters minhash_init() takes), so that mutated files of any shape
 * get past the parameter check, an --exact run and a near-duplicate run
 * with synth-dedup's defaults. Ids are kept or not, as a run with or
 * without --index and --mark keeps them.
 *
 * An index that loads under its own options is refused by a run of
 * others, which is told which. A parse either fails, leaving the index
 * empty and usable, or gives an index that agrees with the file: as
 * many records as its header says, every id one JSON string or number,
 * every record number used once, and every hash or signature of the file
 * found again, as the record it belongs to. A record added after the
 * load is found too.
 */
#define FUZZ_NAME "fuzz-dedup-index"
#include "fuzz-file.h"

#include "dedup_index.h"
#include "json.h"
#include "minhash.h"
#include "text.h"

/* The defaults of synth-dedup: 256 permutations, threshold 0.8, LSH over
 * the first 128, verified. */
static struct minhash near_mh;
static struct dedup_params near_params, exact_params;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init();
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

/* An index that failed to load is empty and takes records. */
static void check_empty(struct dedup_index *x)
{
	CHECK(x->n == 0 && x->ids.n == 0, "a failed parse leaves the index empty");
	if (x->p.mode == DEDUP_EXACT) {
		struct hash128 h = { 1, 2 };
		CHECK(dedup_exact_find(x, h) == -1, "an empty index finds nothing");
		dedup_exact_add(x, h, "1", 1);
		CHECK(dedup_exact_find(x, h) == 0, "an empty index takes a record");
	}
}

static void check_exact(struct dedup_index *x, const unsigned char *buf, uint64_t count)
{
	const unsigned char *data = buf + 72;
	unsigned char *used = calloc(count ? count : 1, 1);
	CHECK(used != NULL, "allocating");
	for (uint64_t i = 0; i < count; i++) {
		struct hash128 h;
		memcpy(&h.lo, data + 20 * i, 8);
		memcpy(&h.hi, data + 20 * i + 8, 8);
		uint32_t e = get32(data + 20 * i + 16);
		CHECK(e < count, "record numbers within the records");
		CHECK(!used[e], "each record number once");
		used[e] = 1;
		int64_t got = dedup_exact_find(x, h);
		CHECK(got == (x->keep_ids ? (int64_t)e : 0), "each hash of the file is found");
	}
	free(used);
	/* One more, whose hash the file cannot hold (it would be found). */
	struct hash128 h = { 0x0123456789abcdefull, 0xfedcba9876543210ull };
	if (dedup_exact_find(x, h) < 0) {
		dedup_exact_add(x, h, "\"new\"", 5);
		CHECK(dedup_exact_find(x, h) == (x->keep_ids ? (int64_t)count : 0),
		      "a record added after the load is found");
	}
}

static void check_near(struct dedup_index *x, const unsigned char *buf, uint64_t count)
{
	const struct minhash *mh = x->mh;
	size_t bytes = minhash_sig_bytes(mh);
	const unsigned char *data = buf + 72;
	uint64_t *keys = calloc(mh->bands, sizeof(*keys));
	CHECK(keys != NULL, "allocating");
	CHECK(x->sig_bytes == bytes, "signatures of this run's size");
	for (uint64_t i = 0; i < count; i++) {
		const unsigned char *sig = data + i * bytes;
		CHECK(!memcmp(dedup_near_sig(x, i), sig, bytes), "signatures kept in order");
		minhash_band_keys(mh, sig, keys);
		double sim;
		int64_t got = dedup_near_find(x, sig, keys, &sim);
		CHECK(got >= 0 && (uint64_t)got < x->n && sim == 1,
		      "each signature of the file finds itself or a copy");
		CHECK(!memcmp(dedup_near_sig(x, (uint64_t)got), sig, bytes),
		      "what it finds is the same signature");
	}
	/* One more: all zero but the first byte, and found after its add. */
	unsigned char *sig = calloc(bytes, 1);
	CHECK(sig != NULL, "allocating");
	sig[0] = 0x5a;
	minhash_band_keys(mh, sig, keys);
	dedup_near_add(x, sig, keys, "7", 1);
	double sim;
	int64_t got = dedup_near_find(x, sig, keys, &sim);
	CHECK(got >= 0 && sim == 1, "a record added after the load is found");
	free(sig);
	free(keys);
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

/* Parse buf[0..n) as an index for a run of p; 0 when it loads. A file
 * known to load under the options of its header (theirs, NULL when not
 * known) must be refused by a run of others for those options. */
static int try_parse(const struct dedup_params *p, const struct minhash *mh, int keep_ids,
		     const unsigned char *buf, size_t n, const struct dedup_params *theirs)
{
	struct dedup_index x;
	struct strbuf err = STRBUF_INIT;
	dedup_index_init(&x, p, mh, keep_ids);
	int rc = dedup_index_parse(&x, buf, n, &err);
	CHECK(rc == 0 || rc == -1, "dedup_index_parse returns 0 or -1");
	if (theirs && !same_params(p, theirs))
		CHECK(rc < 0 && names_options(err.buf), "an index of other options is told by them");
	if (rc) {
		CHECK(err.len > 0, "a failure says why");
		check_empty(&x);
	} else {
		CHECK(err.len == 0, "a success says nothing");
		uint64_t count = get64(buf + 56);
		CHECK(x.n == count, "as many records as the header says");
		if (keep_ids) {
			CHECK(x.ids.n == count, "an id a record");
			for (uint64_t i = 0; i < count; i++) {
				size_t len;
				const char *id = dedup_index_id(&x, i, &len);
				CHECK(valid_id(id, len), "each id is a JSON string or number");
			}
		} else {
			CHECK(x.ids.n == 0, "no ids kept without keep_ids");
		}
		if (p->mode == DEDUP_EXACT)
			check_exact(&x, buf, count);
		else
			check_near(&x, buf, count);
		CHECK(dedup_index_memory(&x) > 0, "the index holds memory");
	}
	dedup_index_release(&x);
	strbuf_release(&err);
	return rc;
}

/* The parameters in the header, when a run could have them: --exact, or
 * what minhash_init() takes. */
static int header_params(const unsigned char *buf, size_t n, struct dedup_params *p)
{
	if (n < 72)
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

static void try_all(const unsigned char *buf, size_t n, int keep_ids)
{
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
		loads = try_parse(&p, p.mode == DEDUP_NEAR ? &mh : NULL, keep_ids, buf, n, NULL) == 0;
		if (p.mode == DEDUP_NEAR)
			minhash_release(&mh);
	}
	try_parse(&exact_params, NULL, keep_ids, buf, n, loads ? &p : NULL);
	try_parse(&near_params, &near_mh, keep_ids, buf, n, loads ? &p : NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Ids kept or not by the input's length: both kinds of run, each
	 * on every input the fuzzer grows or shrinks. */
	int keep_ids = !(size & 1);
	try_all(data, size, keep_ids);
	unsigned char *sealed = fuzz_resealed(data, size);
	if (sealed) {
		try_all(sealed, size, !keep_ids);
		free(sealed);
	}
	return 0;
}
