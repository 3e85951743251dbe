/* Unit tests: MinHash estimates, LSH parameters, the dedup index file,
 * and the normalised text that --exact hashes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "dedup_index.h"
#include "diag.h"
#include "hash.h"
#include "minhash.h"
#include "pool.h"
#include "text.h"
#include "unit.h"

/* Shingle hashes of two sets with `common` shared elements and `only`
 * elements each of their own: Jaccard common / (common + 2 only). */
static void make_sets(uint64_t *a, uint64_t *b, size_t common, size_t only)
{
	for (size_t i = 0; i < common; i++)
		a[i] = b[i] = mix64(i + 1);
	for (size_t i = 0; i < only; i++) {
		a[common + i] = mix64(1000000 + i);
		b[common + i] = mix64(2000000 + i);
	}
}

static void test_estimates(void)
{
	/* 1000 shared, 500 each of their own: J = 1000 / 2000 = 0.5. With
	 * 1024 permutations the estimate's standard deviation is about
	 * 0.016. */
	static uint64_t a[1500], b[1500];
	make_sets(a, b, 1000, 500);
	for (unsigned bits = 4; bits <= 32; bits *= 2) {
		/* minhash_init picks the fewest bits with rows * bits at
		 * least the minimum: one band of all 1024 values, so that
		 * every value has `bits` bits. */
		struct minhash mh;
		minhash_init(&mh, 1024, 1, 1024, bits * 1024, 7);
		ok(mh.bits == bits, "%u bits chosen for a minimum of %u", mh.bits, bits);
		uint32_t *mins = calloc(mh.padded, sizeof(*mins));
		unsigned char *sa = calloc(1, minhash_sig_bytes(&mh)), *sb = calloc(1, minhash_sig_bytes(&mh));
		minhash_signature(&mh, a, 1500, mins, sa);
		minhash_signature(&mh, b, 1500, mins, sb);
		double j = minhash_similarity(&mh, sa, sb);
		ok(fabs(j - 0.5) < 0.06, "%u bits: estimate %.3f of Jaccard 0.5", bits, j);
		ok(minhash_similarity(&mh, sa, sa) == 1, "%u bits: a signature is identical to itself", bits);
		/* Disjoint sets (the parts of their own) estimate near 0. */
		minhash_signature(&mh, a + 1000, 500, mins, sa);
		minhash_signature(&mh, b + 1000, 500, mins, sb);
		double z = minhash_similarity(&mh, sa, sb);
		ok(z < 0.06, "%u bits: disjoint sets estimate %.3f", bits, z);
		free(mins);
		free(sa);
		free(sb);
		minhash_release(&mh);
	}
}

/* The default layout: 126 banded values of 4 bits, 130 more of 2. Over
 * many seeds the estimate of a pair at Jaccard 0.8 centres on 0.8 and
 * spreads as minhash_estimate_sd() says. */
static void test_mixed_layout(void)
{
	static uint64_t a[900], b[900];
	make_sets(a, b, 800, 100);
	enum { SEEDS = 400 };
	double sum = 0, sq = 0, predicted = 0;
	size_t bytes = 0;
	for (unsigned seed = 0; seed < SEEDS; seed++) {
		struct minhash mh;
		minhash_init(&mh, 256, 18, 7, 28, seed);
		bytes = minhash_sig_bytes(&mh);
		predicted = minhash_estimate_sd(&mh, 0.8);
		uint32_t mins[256];
		unsigned char sa[128], sb[128];
		minhash_signature(&mh, a, 900, mins, sa);
		minhash_signature(&mh, b, 900, mins, sb);
		double j = minhash_similarity(&mh, sa, sb);
		sum += j;
		sq += j * j;
		minhash_release(&mh);
	}
	double mean = sum / SEEDS, sd = sqrt(sq / SEEDS - mean * mean);
	ok(bytes == 64 + 33, "126 values of 4 bits, 130 of 2: %zu bytes", bytes);
	ok(fabs(mean - 0.8) < 0.005, "the mean estimate of Jaccard 0.8 is %.4f", mean);
	ok(sd > 0.8 * predicted && sd < 1.2 * predicted,
	   "the estimates spread by %.4f; predicted %.4f", sd, predicted);
	ok(predicted > 0.02 && predicted < 0.035, "that is between 256 and 128 full values");

	struct minhash mh;
	minhash_init(&mh, 256, 18, 7, 28, 0);
	ok(minhash_estimate_sd(&mh, 1) == 0, "identical texts estimate exactly 1");
	double cut = minhash_cut(&mh, 0.8);
	ok(fabs(cut - (0.8 - minhash_estimate_sd(&mh, 0.8))) < 1e-12, "the cut is one sd below");
	double at = minhash_catch_probability(&mh, 0.8, cut);
	ok(fabs(at - 0.8413 * lsh_catch_probability(0.8, 18, 7)) < 0.001,
	   "a pair at the threshold is caught with probability %.3f", at);
	ok(minhash_catch_probability(&mh, 0.95, cut) > 0.999 &&
	   minhash_catch_probability(&mh, 0.6, cut) < 0.001,
	   "far above the threshold always, far below never");
	minhash_release(&mh);
}

static void test_shingles(void)
{
	struct words ws;
	words_init(&ws);
	uint64_t *sh = NULL, *sh2 = NULL;
	size_t cap = 0, cap2 = 0;
	text_words("one two three four five six seven", 33, &ws);
	ok(shingle_hashes(&ws, 5, &sh, &cap) == 3, "7 words make 3 shingles of 5");
	uint64_t first = sh[0], last = sh[2];
	ok(first != last, "different windows hash differently");
	text_words("ONE two, three four five!", 25, &ws);
	ok(shingle_hashes(&ws, 5, &sh2, &cap2) == 1 && sh2[0] == first,
	   "the same five normalised words give the same shingle");
	text_words("three four five six seven", 25, &ws);
	shingle_hashes(&ws, 5, &sh2, &cap2);
	ok(sh2[0] == last, "a shingle does not depend on where it stands");
	text_words("one two", 7, &ws);
	ok(shingle_hashes(&ws, 5, &sh, &cap) == 1, "fewer words than n: one shingle");
	text_words("two one", 7, &ws);
	uint64_t swapped;
	shingle_hashes(&ws, 5, &sh2, &cap2);
	swapped = sh2[0];
	ok(swapped != sh[0], "word order matters");
	text_words(" ,. ", 4, &ws);
	ok(shingle_hashes(&ws, 5, &sh, &cap) == 0, "no words: no shingles");
	free(sh);
	free(sh2);
	words_release(&ws);
}

static void test_lsh(void)
{
	ok(lsh_rows_for(0.8, 128) == 7, "threshold 0.8, 128 permutations: 7 rows (18 bands)");
	ok(lsh_catch_probability(0.8, 18, 7) >= 0.95 && lsh_catch_probability(0.8, 16, 8) < 0.95,
	   "7 rows is the most that catch 0.8 with probability 0.95");
	ok(fabs(lsh_catch_probability(0.5, 18, 7) - (1 - pow(1 - pow(0.5, 7), 18))) < 1e-12,
	   "the catch probability is 1 - (1 - j^r)^b");
	ok(lsh_rows_for(0.5, 128) == 3, "threshold 0.5: 3 rows");

	struct minhash mh;
	minhash_init(&mh, 128, 18, 7, 28, 0);
	ok(mh.bits == 4, "7 rows of 4 bits make a 28-bit band");
	ok(minhash_sig_bytes(&mh) == 65, "126 banded values of 4 bits, 2 more of 2: 65 bytes");
	minhash_release(&mh);
	minhash_init(&mh, 128, 18, 7, 56, 0);
	ok(mh.bits == 8, "56 bits a band (--no-verify) need 8-bit values");
	unsigned char x[160], y[160];
	for (int i = 0; i < 160; i++)
		x[i] = y[i] = (unsigned char)i;
	y[7] ^= 1; /* band 1 holds values 7..13 */
	ok(minhash_band_equal(&mh, x, y, 0) && !minhash_band_equal(&mh, x, y, 1),
	   "bands are compared row by row");
	ok(minhash_band_key(&mh, x, 0) == minhash_band_key(&mh, y, 0) &&
	   minhash_band_key(&mh, x, 1) != minhash_band_key(&mh, y, 1),
	   "equal bands have equal keys");
	ok(minhash_band_key(&mh, x, 0) != minhash_band_key(&mh, x, 2), "keys differ by band");
	minhash_release(&mh);
}

static void test_joined(void)
{
	static const char *const texts[] = {
		"Hello,   World!  ", "  a-b c_d 3.14 ", "", "...", "MiXeD CaSe\ttab\nnewline",
		"end.", "x", "über Straße ﬁne", "日本語 text",
	};
	struct words ws;
	words_init(&ws);
	for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
		struct strbuf fast = STRBUF_INIT, slow = STRBUF_INIT;
		text_joined(texts[i], strlen(texts[i]), NORM_FULL, &ws, &fast);
		text_words(texts[i], strlen(texts[i]), &ws);
		words_join(&ws, 0, ws.n, &slow);
		is_str(fast.buf, slow.buf, "joined words of text %zu", i);
		strbuf_release(&fast);
		strbuf_release(&slow);
	}
	/* Random ASCII of every length to 200, from words with single
	 * spaces (taken sixteen bytes at a time) to runs of separators and
	 * control bytes: the fast path joins as the words do. */
	struct strbuf text = STRBUF_INIT, fast = STRBUF_INIT, slow = STRBUF_INIT;
	uint64_t state = 11;
	size_t differ = 0;
	for (size_t t = 0; t < 4000; t++) {
		strbuf_reset(&text);
		size_t len = t % 201;
		unsigned sep = (unsigned)(t % 7); /* 1 in 2^sep bytes a separator */
		for (size_t k = 0; k < len; k++) {
			state = mix64(state);
			char c;
			if (state % ((uint64_t)1 << sep))
				c = "abcXYZ0189qQ"[(state >> 8) % 12];
			else
				c = " ,.-\t\n!_\x01\x7f"[(state >> 8) % 10];
			strbuf_addc(&text, c);
		}
		strbuf_reset(&fast);
		strbuf_reset(&slow);
		text_joined(text.buf, text.len, NORM_FULL, &ws, &fast);
		text_words(text.buf, text.len, &ws);
		words_join(&ws, 0, ws.n, &slow);
		differ += fast.len != slow.len || memcmp(fast.buf, slow.buf, fast.len);
	}
	ok(!differ, "4000 random ASCII texts joined as their words (%zu differ)", differ);
	strbuf_release(&text);
	strbuf_release(&fast);
	strbuf_release(&slow);
	struct strbuf sb = STRBUF_INIT;
	text_joined("Hello,   World!", 15, NORM_FULL, &ws, &sb);
	is_str(sb.buf, "hello world", "full: case folded, punctuation gone, spaces folded");
	strbuf_reset(&sb);
	text_joined(" Fine,\t ﬁne ", 14, NORM_NFKC, &ws, &sb);
	is_str(sb.buf, "Fine, fine", "nfkc: compatibility forms folded, case kept");
	strbuf_reset(&sb);
	text_joined(" a \t b ", 7, NORM_WS, &ws, &sb);
	is_str(sb.buf, "a b", "ws: white space folded and trimmed");
	strbuf_reset(&sb);
	text_joined(" a \t b ", 7, NORM_NONE, &ws, &sb);
	is_str(sb.buf, " a \t b ", "none: as it is");
	strbuf_release(&sb);
	words_release(&ws);
}

/* An index of n near-duplicate entries with ids "r0", "r1", ... */
static void fill(struct dedup_index *x, const struct minhash *mh, int n)
{
	uint64_t sh[40];
	uint32_t mins[128];
	unsigned char sig[256];
	uint64_t keys[18];
	if (mh->padded > 128 || minhash_sig_bytes(mh) > sizeof(sig) || mh->bands > 18)
		BUG("fill: a signature larger than its buffers");
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < 40; k++)
			sh[k] = mix64((uint64_t)i * 1000 + (uint64_t)k);
		minhash_signature(mh, sh, 40, mins, sig);
		minhash_band_keys(mh, sig, keys);
		char id[16];
		int len = snprintf(id, sizeof(id), "\"r%d\"", i);
		dedup_near_add(x, sig, keys, id, (size_t)len);
	}
}

static void test_index_file(void)
{
	struct minhash mh;
	minhash_init(&mh, 128, 18, 7, 28, 0);
	struct dedup_params p = { DEDUP_NEAR, NORM_FULL, 5, 128, 18, 7, 4, 0 };
	struct dedup_index x;
	dedup_index_init(&x, &p, &mh, 1);
	fill(&x, &mh, 3000);
	ok(x.n == 3000, "3000 records indexed");
	ok(dedup_index_memory(&x) / x.n <= 256, "at most 256 bytes a record (%zu)",
	   dedup_index_memory(&x) / x.n);

	char path[] = "/tmp/synth-test-index-XXXXXX";
	int fd = mkstemp(path);
	ok(fd >= 0, "temporary file");
	struct output out;
	output_open(&out, path, 0);
	dedup_index_write(&x, &out);
	ok(output_close(&out) == 0, "index written");
	FILE *f = fopen(path, "rb");
	static unsigned char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	unlink(path);

	struct dedup_index y;
	struct strbuf err = STRBUF_INIT;
	dedup_index_init(&y, &p, &mh, 1);
	ok(dedup_index_parse(&y, buf, n, &err) == 0, "the index reads back: %s", err.buf);
	ok(y.n == 3000, "with every record");
	/* Every record finds itself, by its id. */
	int found = 1;
	for (uint64_t i = 0; i < y.n && found; i++) {
		uint64_t keys[18];
		double sim;
		minhash_band_keys(&mh, dedup_near_sig(&x, i), keys);
		found = dedup_near_find(&y, dedup_near_sig(&x, i), keys, &sim) == (int64_t)i && sim == 1;
	}
	ok(found, "each record is found as itself");
	size_t len;
	const char *id = dedup_index_id(&y, 2999, &len);
	is_mem(id, len, "\"r2999\"", 7, "ids come back");

	/* Every cut is "truncated"; every flipped byte past the magic an error. */
	int cut_ok = 1, flip_ok = 1;
	for (size_t k = 8; k < n; k += 997) {
		strbuf_reset(&err);
		cut_ok &= dedup_index_parse(&y, buf, k, &err) < 0 && !strcmp(err.buf, "truncated");
	}
	for (size_t k = 8; k < n; k += 101) {
		buf[k] ^= 0x40;
		strbuf_reset(&err);
		flip_ok &= dedup_index_parse(&y, buf, n, &err) < 0;
		buf[k] ^= 0x40;
	}
	ok(cut_ok, "a cut file is truncated");
	ok(flip_ok, "a flipped byte is an error");
	ok(y.n == 0, "a failed read leaves the index empty");

	struct dedup_params other = p;
	other.ngram = 3;
	struct dedup_index z;
	dedup_index_init(&z, &other, &mh, 1);
	strbuf_reset(&err);
	ok(dedup_index_parse(&z, buf, n, &err) < 0, "other parameters are refused");
	is_str(err.buf, "made with --ngram 5, not 3", "and say which");

	dedup_index_release(&x);
	dedup_index_release(&y);
	dedup_index_release(&z);
	strbuf_release(&err);
	minhash_release(&mh);
}

static void test_exact(void)
{
	struct dedup_params p = { DEDUP_EXACT, NORM_FULL, 0, 0, 0, 0, 0, 0 };
	struct dedup_index x;
	dedup_index_init(&x, &p, NULL, 0);
	for (uint64_t i = 0; i < 100000; i++) {
		struct hash128 h = { mix64(i), mix64(~i) };
		dedup_exact_add(&x, h, NULL, 0);
	}
	int all = 1;
	for (uint64_t i = 0; i < 100000 && all; i++) {
		struct hash128 h = { mix64(i), mix64(~i) };
		all = dedup_exact_find(&x, h) >= 0;
	}
	ok(all, "every hash added is found");
	struct hash128 h = { mix64(7), 0 };
	ok(dedup_exact_find(&x, h) < 0, "a hash sharing half is not");
	double per = (double)dedup_index_memory(&x) / 100000;
	ok(per <= 24, "--exact keeps at most 24 bytes a record without ids (%.1f)", per);
	dedup_index_release(&x);
}

/* A temporary file for a writer, and its bytes once written. */
static void open_temp(struct output *out, char *path)
{
	int fd = mkstemp(path);
	if (fd < 0)
		die_errno("%s", path);
	close(fd);
	if (output_open(out, path, 0) < 0)
		die("%s: cannot write", path);
}

static void read_temp(struct output *out, const char *path, struct strbuf *data)
{
	if (output_close(out) < 0)
		die("%s: not written", path);
	strbuf_reset(data);
	if (file_slurp(path, data) < 0)
		die_errno("%s", path);
	unlink(path);
}

/* A change the checksum does not see: what loading must check itself. */
static void reseal(struct strbuf *data)
{
	put64((unsigned char *)data->buf + data->len - 8, hash64(data->buf, data->len - 8, 0));
}

static void test_exact_file(void)
{
	struct dedup_params p = { DEDUP_EXACT, NORM_FULL, 0, 0, 0, 0, 0, 0 };
	struct dedup_index x, y;
	dedup_index_init(&x, &p, NULL, 1);
	for (uint64_t i = 0; i < 3; i++) {
		struct hash128 h = { mix64(i + 1), mix64(i + 100) };
		char id[8];
		int len = snprintf(id, sizeof(id), "%d", (int)i);
		dedup_exact_add(&x, h, id, (size_t)len);
	}
	struct output out;
	char path[] = "/tmp/synth-test-exact-XXXXXX";
	struct strbuf data = STRBUF_INIT, err = STRBUF_INIT;
	open_temp(&out, path);
	dedup_index_write(&x, &out);
	read_temp(&out, path, &data);
	unsigned char *b = (unsigned char *)data.buf;
	dedup_index_init(&y, &p, NULL, 1);
	ok(dedup_index_parse(&y, b, data.len, &err) == 0 && y.n == 3,
	   "an exact index reads back: %s", err.buf);
	dedup_index_release(&y);

	/* Two hashes that name one record, the third record's lost (found
	 * by fuzz-dedup-index: exact-record-number-twice.idx). */
	put32(b + 72 + 20 + 16, get32(b + 72 + 16));
	reseal(&data);
	dedup_index_init(&y, &p, NULL, 1);
	strbuf_reset(&err);
	ok(dedup_index_parse(&y, b, data.len, &err) < 0,
	   "an index whose hashes name one record twice is refused");
	is_str(err.buf, "corrupt: a bad hash entry", "as a bad hash entry");
	ok(y.n == 0, "and the index is left empty");
	dedup_index_release(&y);
	dedup_index_release(&x);
	strbuf_release(&data);
	strbuf_release(&err);
}

static void test_shard_files(void)
{
	struct minhash mh;
	minhash_init(&mh, 64, 8, 4, 28, 3);
	struct dedup_params near = { DEDUP_NEAR, NORM_FULL, 5, 64, 8, 4, mh.bits, 3 };
	struct dedup_params exact = { DEDUP_EXACT, NORM_FULL, 0, 0, 0, 0, 0, 0 };
	size_t entry = minhash_sig_bytes(&mh);
	unsigned char sig[256];
	if (entry > sizeof(sig))
		BUG("test_shard_files: a signature of %zu bytes", entry);
	struct dedup_shard s, back;
	dedup_shard_init(&s, &near, entry);
	for (int i = 0; i < 5; i++) {
		char id[8];
		int len = snprintf(id, sizeof(id), "\"s%d\"", i);
		memset(sig, i, entry);
		dedup_shard_add(&s, sig, id, (size_t)len);
		s.fingerprint = dedup_fingerprint(s.fingerprint, id, (size_t)len);
	}
	struct output out;
	char path[] = "/tmp/synth-test-shard-XXXXXX";
	struct strbuf shard = STRBUF_INIT, verdicts = STRBUF_INIT, err = STRBUF_INIT;
	open_temp(&out, path);
	dedup_shard_write(&s, &out);
	read_temp(&out, path, &shard);
	const unsigned char *b = (const unsigned char *)shard.buf;

	dedup_shard_init(&back, &near, entry);
	ok(dedup_shard_parse(&back, b, shard.len, &err) == 0, "a shard reads back: %s", err.buf);
	ok(back.n == 5 && back.fingerprint == s.fingerprint && back.data.len == s.data.len &&
	   !memcmp(back.data.buf, s.data.buf, s.data.len), "with its records and fingerprint");
	size_t len;
	const char *id = id_list_get(&back.ids, 4, &len);
	is_mem(id, len, "\"s4\"", 4, "and its ids");
	dedup_shard_release(&back);

	/* A run with other options is told which, not that the file is cut
	 * short, although its entries are of another size. */
	dedup_shard_init(&back, &exact, sizeof(struct hash128));
	strbuf_reset(&err);
	ok(dedup_shard_parse(&back, b, shard.len, &err) < 0 && back.n == 0,
	   "a near-duplicate shard is refused by an --exact run");
	is_str(err.buf, "a near-duplicate index; this run is --exact", "which says so");
	dedup_shard_release(&back);
	struct dedup_params more = near;
	more.perms = 128;
	dedup_shard_init(&back, &more, minhash_layout_bytes(128, 32, mh.bits));
	strbuf_reset(&err);
	ok(dedup_shard_parse(&back, b, shard.len, &err) < 0, "a run of more permutations refuses it");
	is_str(err.buf, "made with --perms 64, not 128", "and names them");
	dedup_shard_release(&back);
	dedup_shard_init(&back, &near, entry);
	strbuf_reset(&err);
	ok(dedup_shard_parse(&back, b, shard.len - 1, &err) < 0, "a shard cut short is refused");
	is_str(err.buf, "truncated", "as truncated");
	dedup_shard_release(&back);

	/* Verdicts. */
	struct dedup_verdicts v, vback;
	dedup_verdicts_init(&v, s.n, s.fingerprint);
	dedup_verdicts_drop(&v, 1, 1000, "\"s0\"", 4);
	dedup_verdicts_drop(&v, 3, 850, "\"s2\"", 4);
	char vpath[] = "/tmp/synth-test-verdicts-XXXXXX";
	open_temp(&out, vpath);
	dedup_verdicts_write(&v, &out);
	read_temp(&out, vpath, &verdicts);
	unsigned char *vb = (unsigned char *)verdicts.buf;
	strbuf_reset(&err);
	ok(dedup_verdicts_parse(&vback, vb, verdicts.len, &err) == 0, "verdicts read back: %s",
	   err.buf);
	ok(vback.n == 5 && vback.fingerprint == s.fingerprint && vback.ndrop == 2 &&
	   vback.drop[1] == 3 && vback.sim[1] == 850, "with the shard, the records and similarities");
	id = id_list_get(&vback.of, 1, &len);
	is_mem(id, len, "\"s2\"", 4, "and the ids of what they duplicate");
	dedup_verdicts_release(&vback);
	strbuf_reset(&err);
	ok(dedup_verdicts_parse(&vback, b, shard.len, &err) < 0 && vback.ndrop == 0,
	   "a shard is not verdicts");
	is_str(err.buf, "not the verdicts of synth-dedup --merge-index", "and is told apart");
	dedup_verdicts_release(&vback);
	put64(vb + 48 + 16, 1);
	reseal(&verdicts);
	strbuf_reset(&err);
	ok(dedup_verdicts_parse(&vback, vb, verdicts.len, &err) < 0 && vback.ndrop == 0,
	   "a record dropped twice is refused, the verdicts left empty");
	is_str(err.buf, "corrupt: a bad verdict", "as a bad verdict");
	dedup_verdicts_release(&vback);

	dedup_verdicts_release(&v);
	dedup_shard_release(&s);
	strbuf_release(&shard);
	strbuf_release(&verdicts);
	strbuf_release(&err);
	minhash_release(&mh);
}

/* The minima that minhash_signature() leaves in its scratch, whichever
 * vector path the processor takes, are those of the definition: the
 * least a * lo + c * hi + b (mod 2^32) over the shingles. 200
 * permutations: a last block of sixteen after pairs of them. */
static void test_minima(void)
{
	struct minhash mh;
	minhash_init(&mh, 200, 25, 8, 28, 7);
	static uint64_t sh[300];
	for (size_t i = 0; i < 300; i++)
		sh[i] = mix64(i + 77);
	uint32_t *mins = calloc(mh.padded, sizeof(*mins));
	unsigned char *sig = calloc(1, minhash_sig_bytes(&mh));
	size_t counts[] = { 1, 5, 300 };
	for (size_t k = 0; k < 3; k++) {
		minhash_signature(&mh, sh, counts[k], mins, sig);
		unsigned wrong = 0;
		for (unsigned p = 0; p < mh.perms; p++) {
			uint32_t m = UINT32_MAX;
			for (size_t i = 0; i < counts[k]; i++) {
				uint32_t v = mh.a[p] * (uint32_t)sh[i] + mh.c[p] * (uint32_t)(sh[i] >> 32) +
					     mh.b[p];
				if (v < m)
					m = v;
			}
			wrong += mins[p] != m;
		}
		ok(!wrong, "the minima over %zu shingles are the definition's (%u differ)", counts[k],
		   wrong);
	}
	free(mins);
	free(sig);
	minhash_release(&mh);
}

/* Near-duplicates looked up a block at a time, the bands spread over a
 * pool's threads (as synth-dedup's ordered stage does), decide every
 * record as a lookup record by record does: the same record found, at
 * the same similarity. */
struct blocks {
	struct dedup_index *x;
	struct dedup_block bk;
};

static void block_band(void *arg, unsigned b)
{
	struct blocks *bl = arg;
	dedup_block_band(bl->x, &bl->bk, b);
}

static void test_near_in_blocks(void)
{
	enum { N = 6000, FAMILIES = 400, SHINGLES = 40 };
	struct minhash mh;
	minhash_init(&mh, 128, 18, 7, 28, 0);
	struct dedup_params p = { DEDUP_NEAR, 0, 5, 128, 18, 7, 4, 0 };
	size_t sb = minhash_sig_bytes(&mh);
	unsigned char *sigs = calloc(N, sb);
	uint64_t *keys = calloc((size_t)N * 18, sizeof(*keys));
	uint32_t mins[128];
	uint64_t sh[SHINGLES], state = 7;
	/* Each record: a family's shingles, some replaced by its own. */
	for (size_t i = 0; i < N; i++) {
		uint64_t fam = (state = mix64(state)) % FAMILIES;
		unsigned edits = (unsigned)((state = mix64(state)) % 12);
		for (unsigned k = 0; k < SHINGLES; k++)
			sh[k] = mix64(fam * 1000 + k);
		for (unsigned k = 0; k < edits; k++) {
			state = mix64(state);
			sh[state % SHINGLES] = mix64(state + 1);
		}
		minhash_signature(&mh, sh, SHINGLES, mins, sigs + i * sb);
		minhash_band_keys(&mh, sigs + i * sb, keys + i * 18);
	}
	const double cut = 0.7;
	/* Record by record. */
	int64_t *want = calloc(N, sizeof(*want));
	double *want_sim = calloc(N, sizeof(*want_sim));
	struct dedup_index a;
	dedup_index_init(&a, &p, &mh, 0);
	size_t dups = 0;
	for (size_t i = 0; i < N; i++) {
		want[i] = dedup_near_find(&a, sigs + i * sb, keys + i * 18, &want_sim[i]);
		if (want[i] >= 0 && want_sim[i] < cut)
			want[i] = -1;
		if (want[i] < 0)
			dedup_near_add(&a, sigs + i * sb, keys + i * 18, "1", 1);
		else
			dups++;
	}
	ok(dups > N / 4 && a.n > FAMILIES, "the records hold duplicates (%zu) and kept ones (%llu)",
	   dups, (unsigned long long)a.n);
	/* A block at a time: blocks of 1, 3, 50 and 997 records, on pools
	 * of none and of three threads. */
	const size_t sizes[] = { 1, 3, 50, 997 };
	for (unsigned t = 0; t < 2; t++)
	for (size_t z = 0; z < sizeof(sizes) / sizeof(*sizes); z++) {
		struct pool *pl = pool_new(t ? 3 : 0);
		struct dedup_index x;
		dedup_index_init(&x, &p, &mh, 0);
		struct blocks bl = { &x, { 0 } };
		dedup_block_init(&bl.bk);
		size_t wrong = 0;
		for (size_t first = 0; first < N; first += sizes[z]) {
			size_t n = first + sizes[z] <= N ? sizes[z] : N - first;
			dedup_block_start(&bl.bk, 18, n);
			for (size_t i = 0; i < n; i++) {
				bl.bk.keys[i] = keys + (first + i) * 18;
				bl.bk.sig[i] = sigs + (first + i) * sb;
			}
			pool_run(pl, 18, block_band, &bl);
			dedup_near_placed(&x);
			for (size_t i = 0; i < n; i++) {
				size_t r = first + i;
				double sim;
				int64_t got = dedup_block_best(&x, &bl.bk, i, &sim);
				if (got >= 0 && sim < cut)
					got = -1;
				dedup_block_decide(&x, &bl.bk, i, got < 0, "1", 1);
				wrong += got != want[r] || (got >= 0 && sim != want_sim[r]);
			}
		}
		ok(!wrong && x.n == a.n,
		   "blocks of %zu, %u threads: every record decided as one at a time (%zu differ)",
		   sizes[z], t ? 3 : 0, wrong);
		/* Found after placing, as the whole index finds it. */
		for (unsigned b = 0; b < 18; b++)
			dedup_near_place(&x, b);
		dedup_near_placed(&x);
		size_t lost = 0;
		for (size_t r = 0; r < N; r += 7) {
			double s1, s2;
			lost += dedup_near_find(&x, sigs + r * sb, keys + r * 18, &s1) !=
				dedup_near_find(&a, sigs + r * sb, keys + r * 18, &s2) || s1 != s2;
		}
		ok(!lost, "blocks of %zu: the placed index answers as the other (%zu differ)", sizes[z],
		   lost);
		dedup_block_release(&bl.bk);
		dedup_index_release(&x);
		pool_free(pl);
	}
	dedup_index_release(&a);
	free(want);
	free(want_sim);
	free(sigs);
	free(keys);
	minhash_release(&mh);
}

int main(void)
{
	diag_init("test-minhash");
	test_estimates();
	test_minima();
	test_mixed_layout();
	test_shingles();
	test_lsh();
	test_joined();
	test_index_file();
	test_near_in_blocks();
	test_exact();
	test_exact_file();
	test_shard_files();
	return done_testing();
}
