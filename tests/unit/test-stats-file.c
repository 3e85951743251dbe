/* Unit tests: corpus_stats state files. Parts of a corpus counted apart,
 * written, read back and merged give the figures of the whole, exactly
 * while the tables fit and within the sketches' error once they do not;
 * a file cut short, damaged, of another kind or made with other options
 * is refused with a reason, never a crash. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "corpus_stats.h"
#include "hash.h"
#include "json.h"
#include "ngram.h"
#include "output.h"
#include "prng.h"
#include "stats_figures.h"
#include "stats_render.h"
#include "stats_state.h"
#include "strbuf.h"
#include "unit.h"

/* The folder the tests write in, removed at the end. */
static struct strbuf dir = STRBUF_INIT;

/* These tests are of exact tables and of sketches made by the memory
 * limit (what --exact counts); the sketches of the default are tested on
 * their own, with corpus_stats_init(). */
static void stats_init(struct corpus_stats *cs, size_t limit, uint64_t seed)
{
	corpus_stats_init(cs, limit, seed);
	cs->exact_until = 0;
}

/* Words besides the generated ones: non-ASCII, a ligature that NFKC
 * splits, words past the vocabulary's 16-byte prefix. */
static const char *special[] = {
	"caf\xc3\xa9", "stra\xc3\x9f" "e", "\xe6\x97\xa5\xe6\x9c\xac", "\xef\xac\x81ne",
	"\xce\x95\xce\xbb\xce\xbb\xce\xac\xce\xb4\xce\xb1",
	"\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0",
	"na\xc3\xafve", "internationalisation", "pneumonoultramicroscopic",
	"\xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xbe\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc"
	"\xd0\xb5\xd1\x87\xd0\xb0\xd1\x82\xd0\xb5\xd0\xbb\xd1\x8c\xd0\xbd\xd0\xbe\xd1\x81\xd1\x82\xd1\x8c",
	"STRASSE", "42",
};
#define NSPECIAL (sizeof(special) / sizeof(*special))

/* One word: a special one time in ten, else "w" and the letters of a
 * number below vocab. */
static void random_word(struct prng *r, uint64_t vocab, struct strbuf *out)
{
	if (prng_below(r, 10) == 0) {
		strbuf_addstr(out, special[prng_below(r, NSPECIAL)]);
		return;
	}
	uint64_t k = prng_below(r, vocab);
	strbuf_addc(out, 'w');
	do {
		strbuf_addc(out, (char)('a' + k % 26));
		k /= 26;
	} while (k);
}

/* A text of up to maxw words (exactly maxw when fixed is set). */
static void random_text(struct prng *r, size_t maxw, int fixed, uint64_t vocab,
			struct strbuf *out)
{
	strbuf_reset(out);
	size_t n = fixed ? maxw : prng_below(r, maxw + 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addstr(out, prng_below(r, 8) ? " " : ", ");
		random_word(r, vocab, out);
		if (prng_below(r, 25) == 0)
			strbuf_addstr(out, ".\n");
	}
}

static void group_of(size_t i, struct strbuf *key)
{
	char v[16];
	snprintf(v, sizeof(v), "\"g%zu\"", i % 5);
	struct json_value jv = { v, strlen(v), JSON_STRING, 0 };
	stats_group_key(key, i % 11 == 0 ? NULL : &jv);
}

/* A corpus counted whole and in three parts. */
struct counted {
	struct corpus_stats whole, parts[3];
};

struct corpus_shape {
	size_t records, words;	/* words: most a text, or exactly (fixed) */
	int fixed;
	uint64_t vocab, seed;
	size_t part_limit;	/* memory limit of the parts; the whole has 1G */
	int grouped;
};

static void count_corpus(struct counted *c, const struct corpus_shape *s)
{
	struct prng r;
	struct strbuf text = STRBUF_INIT, key = STRBUF_INIT;
	stats_init(&c->whole, (size_t)1 << 30, s->seed);
	for (int k = 0; k < 3; k++)
		stats_init(&c->parts[k], s->part_limit, s->seed);
	prng_seed(&r, 11);
	for (size_t i = 0; i < s->records; i++) {
		random_text(&r, s->words, s->fixed, s->vocab, &text);
		group_of(i, &key);
		const struct strbuf *g = s->grouped ? &key : NULL;
		corpus_stats_add(&c->whole, text.buf, text.len, g);
		corpus_stats_add(&c->parts[(i * 7 + i / 5) % 3], text.buf, text.len, g);
	}
	strbuf_release(&text);
	strbuf_release(&key);
}

static void counted_release(struct counted *c)
{
	corpus_stats_release(&c->whole);
	for (int k = 0; k < 3; k++)
		corpus_stats_release(&c->parts[k]);
}

static void stats_json(struct corpus_stats *cs, const char *by, struct strbuf *out)
{
	struct stats_report r = { .top = 5, .by = by };
	struct stats_figures f;
	stats_figures_init(&f);
	stats_figures_compute(&f, cs, &r);
	strbuf_reset(out);
	stats_render_json(&f, out);
	stats_figures_release(&f);
}

/* Write cs to the file `name` in the folder; its path into path. */
static int write_state(const struct corpus_stats *cs, const struct stats_report *r,
		       const char *name, struct strbuf *path)
{
	struct output out;
	strbuf_reset(path);
	strbuf_addf(path, "%s/%s", dir.buf, name);
	if (output_open(&out, path->buf, 0) < 0)
		return -1;
	stats_state_write(cs, r, &out);
	return output_close(&out);
}

static void slurp(const char *path, struct strbuf *data)
{
	strbuf_reset(data);
	if (file_slurp(path, data) < 0) {
		perror(path);
		exit(1);
	}
}

/* Make the file's checksum match its bytes again after an edit. */
static void rechecksum(unsigned char *buf, size_t n)
{
	put64(buf + n - 8, hash64(buf, n - 8, 0));
}

/* Exact figures: three parts through files give the whole, byte for
 * byte, with groups or without. */
static void test_exact(int grouped)
{
	const char *by = grouped ? "g" : NULL, *how = grouped ? "with --by" : "without --by";
	struct corpus_shape shape = { 3000, 60, 0, 4000, 7, (size_t)1 << 30, grouped };
	struct counted c;
	count_corpus(&c, &shape);
	struct strbuf path[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	struct strbuf whole = STRBUF_INIT, got = STRBUF_INIT, want = STRBUF_INIT,
		      data = STRBUF_INIT, err = STRBUF_INIT;
	int written = 1;
	for (int k = 0; k < 3; k++) {
		char name[32];
		snprintf(name, sizeof(name), "exact-%d-%d.state", grouped, k);
		struct stats_report r = { .by = by, .invalid = (uint64_t)k,
					  .input_bytes = 1000 * (uint64_t)(k + 1) };
		written &= write_state(&c.parts[k], &r, name, &path[k]) == 0;
	}
	ok(written, "%s: three parts written", how);

	/* One part read back is the part as it was. */
	struct corpus_stats back;
	struct stats_report rb = { .by = by };
	stats_init(&back, (size_t)1 << 20, 7);
	slurp(path[1].buf, &data);
	int rc = stats_state_parse(&back, &rb, (const unsigned char *)data.buf, data.len, &err);
	ok(rc == 0, "%s: a part parses: %s", how, err.buf);
	stats_json(&c.parts[1], by, &want);
	stats_json(&back, by, &got);
	is_str(got.buf, want.buf, "%s: a part read back gives its own figures, memory limit included",
	       how);
	ok(rb.invalid == 1 && rb.input_bytes == 2000, "%s: with its invalid and input bytes", how);
	corpus_stats_release(&back);

	/* Three parts folded in give the whole. */
	struct corpus_stats all;
	struct stats_report r = { .by = by };
	stats_init(&all, (size_t)1 << 30, 7);
	int all_read = 1;
	for (int k = 0; k < 3; k++)
		all_read &= stats_state_read(&all, &r, path[k].buf) == 0;
	ok(all_read, "%s: three parts read", how);
	stats_json(&c.whole, by, &whole);
	stats_json(&all, by, &got);
	is_str(got.buf, whole.buf, "%s: the parts read and merged give the figures of the whole",
	       how);
	ok(r.invalid == 3 && r.input_bytes == 6000,
	   "%s: invalid records and input bytes add up (%llu, %llu)", how,
	   (unsigned long long)r.invalid, (unsigned long long)r.input_bytes);
	const char *exact = grouped ? "\"approximate\":[\"by.vocabulary\",\"by.distinct_1\","
				      "\"by.distinct_2\"]"
				    : "\"approximate\":[]";
	ok(strstr(whole.buf, "\"records\":3000,") && strstr(whole.buf, exact) &&
	   strstr(whole.buf, "{\"ngram\":\"caf\xc3\xa9\"") &&
	   strstr(whole.buf, "{\"ngram\":\"fine\""),
	   "%s: all records, exact figures, non-ASCII words in the top lists", how);
	if (grouped)
		ok(strstr(whole.buf, "{\"value\":\"g1\"") && strstr(whole.buf, "{\"value\":null"),
		   "with --by: the groups are there, the missing value among them");
	else
		ok(!strstr(whole.buf, "\"by\""), "without --by: no groups");

	/* Under parse + merge too, the first part into an empty state. */
	struct corpus_stats sum;
	stats_init(&sum, (size_t)1 << 30, 7);
	for (int k = 2; k >= 0; k--) {
		struct stats_report rk = { .by = by };
		stats_init(&back, (size_t)1 << 30, 7);
		slurp(path[k].buf, &data);
		if (stats_state_parse(&back, &rk, (const unsigned char *)data.buf, data.len, &err) < 0)
			break;
		corpus_stats_merge(&sum, &back);
		corpus_stats_release(&back);
	}
	stats_json(&sum, by, &got);
	is_str(got.buf, whole.buf, "%s: parsed and merged in another order, the same", how);

	corpus_stats_release(&all);
	corpus_stats_release(&sum);
	counted_release(&c);
	for (int k = 0; k < 3; k++) {
		unlink(path[k].buf);
		strbuf_release(&path[k]);
	}
	strbuf_release(&whole);
	strbuf_release(&got);
	strbuf_release(&want);
	strbuf_release(&data);
	strbuf_release(&err);
}

/* A distinct count: the sketch's estimate, or the table's size. */
static double distinct_count(const struct corpus_stats *cs, unsigned n)
{
	return cs->approx[n] ? hll_estimate(&cs->hll[n]) : (double)cs->ngrams[n].used;
}

/* Under a small limit every table becomes a sketch in every part; the
 * parts through files give the sketches of the whole. */
static void test_approximate(void)
{
	size_t limit = (size_t)1 << 20;
	struct corpus_shape shape = { 20000, 20, 1, 60000, 7, limit, 0 };
	struct counted c;
	count_corpus(&c, &shape);
	int sketched = 1;
	for (int k = 0; k < 3; k++)
		for (unsigned n = 1; n <= STATS_MAX_N; n++)
			sketched &= c.parts[k].approx[n];
	ok(sketched, "under 1M every table of every part is a sketch");

	struct strbuf path[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	struct strbuf got = STRBUF_INIT, want = STRBUF_INIT, data = STRBUF_INIT,
		      err = STRBUF_INIT;
	struct stats_report r = { 0 };
	int written = 1;
	for (int k = 0; k < 3; k++) {
		char name[32];
		snprintf(name, sizeof(name), "approx-%d.state", k);
		written &= write_state(&c.parts[k], &r, name, &path[k]) == 0;
	}
	ok(written, "sketched parts written");

	struct corpus_stats back;
	stats_init(&back, (size_t)1 << 30, 7);
	slurp(path[0].buf, &data);
	int rc = stats_state_parse(&back, &r, (const unsigned char *)data.buf, data.len, &err);
	ok(rc == 0, "a sketched part parses: %s", err.buf);
	stats_json(&c.parts[0], NULL, &want);
	stats_json(&back, NULL, &got);
	is_str(got.buf, want.buf, "a sketched part read back gives its own figures");
	corpus_stats_release(&back);

	struct corpus_stats all;
	stats_init(&all, limit, 7);
	int all_read = 1;
	for (int k = 0; k < 3; k++)
		all_read &= stats_state_read(&all, &r, path[k].buf) == 0;
	ok(all_read, "sketched parts read");
	/* Three standard errors of a sketch of 2^16 registers. */
	double bound = 3 * 1.04 / sqrt((double)((size_t)1 << STATS_HLL_P));
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		double est = distinct_count(&all, n), exact = distinct_count(&c.whole, n);
		double e = fabs(est - exact) / exact;
		ok(all.approx[n] && !c.whole.approx[n] && e < bound,
		   "distinct %u-grams: %.0f estimated, %.0f exact, error %.3f%% (at most %.3f%%)", n,
		   est, exact, 100 * e, 100 * bound);
	}
	ok(all.records == c.whole.records && all.words == c.whole.words &&
	   all.total[4] == c.whole.total[4], "counts stay exact");

	/* Sketches merge by register, whatever the order: the same state as
	 * merging the parts in memory. */
	stats_json(&all, NULL, &got);
	corpus_stats_merge(&c.parts[2], &c.parts[0]);
	corpus_stats_merge(&c.parts[2], &c.parts[1]);
	stats_json(&c.parts[2], NULL, &want);
	is_str(got.buf, want.buf, "through files or in memory, the same figures");

	corpus_stats_release(&all);
	counted_release(&c);
	for (int k = 0; k < 3; k++) {
		unlink(path[k].buf);
		strbuf_release(&path[k]);
	}
	strbuf_release(&got);
	strbuf_release(&want);
	strbuf_release(&data);
	strbuf_release(&err);
}

/* Parse buf[0..n) into a fresh state of seed 7 grouped by `by`; the
 * reason into err. */
static int parse_as(const unsigned char *buf, size_t n, const char *by, uint64_t seed,
		    struct strbuf *err)
{
	struct corpus_stats cs;
	struct stats_report r = { .by = by };
	stats_init(&cs, (size_t)1 << 30, seed);
	strbuf_reset(err);
	int rc = stats_state_parse(&cs, &r, buf, n, err);
	if (!rc) {
		/* What was read must also show. */
		struct strbuf json = STRBUF_INIT;
		stats_json(&cs, by, &json);
		strbuf_release(&json);
	}
	corpus_stats_release(&cs);
	return rc;
}

/* Parse the file with the byte at i flipped, the checksum left or redone:
 * 1 when refused. */
static int flipped_refused(const struct strbuf *file, unsigned char *copy, size_t i, int redo)
{
	struct strbuf err = STRBUF_INIT;
	memcpy(copy, file->buf, file->len);
	copy[i] ^= 0x20;
	if (redo)
		rechecksum(copy, file->len);
	int refused = parse_as(copy, file->len, "g", 7, &err) < 0;
	strbuf_release(&err);
	return refused;
}

/* Flip every byte of the first `head` and one every `step` bytes after,
 * and the last; the number refused, of *tried. */
static int flips(const struct strbuf *file, size_t head, size_t step, int redo, int *tried)
{
	unsigned char *copy = malloc(file->len);
	int refused = 0;
	*tried = 0;
	for (size_t i = 0; i < file->len; i += i < head ? 1 : step, ++*tried)
		refused += flipped_refused(file, copy, i, redo);
	refused += flipped_refused(file, copy, file->len - 1, redo);
	++*tried;
	free(copy);
	return refused;
}

static void test_refused(void)
{
	struct corpus_shape shape = { 150, 30, 0, 2000, 7, (size_t)1 << 30, 1 };
	struct counted c;
	count_corpus(&c, &shape);
	struct strbuf path = STRBUF_INIT, file = STRBUF_INIT, err = STRBUF_INIT,
		      other = STRBUF_INIT;
	struct stats_report r = { .by = "g" };
	int rc;
	ok(write_state(&c.whole, &r, "small.state", &path) == 0, "a small state written");
	slurp(path.buf, &file);
	const unsigned char *buf = (const unsigned char *)file.buf;
	rc = parse_as(buf, file.len, "g", 7, &err);
	ok(rc == 0, "and it parses (%zu bytes)", file.len);

	/* Cut short anywhere. */
	size_t cuts[] = { 0, 5, 8, 100, 239, 240, 247, 248, 279, 280, 287, 300, file.len / 3, file.len / 2,
			  file.len - 9, file.len - 8, file.len - 1 };
	int truncated = 1;
	for (size_t i = 0; i < sizeof(cuts) / sizeof(*cuts); i++) {
		rc = parse_as(buf, cuts[i], "g", 7, &err);
		const char *want = cuts[i] < 8 ? "not a synth-stats state" : "truncated";
		if (rc == 0 || strcmp(err.buf, want)) {
			printf("# cut at %zu: %s\n", cuts[i], err.buf);
			truncated = 0;
		}
	}
	ok(truncated, "a file cut short at any of %zu points is refused as truncated",
	   sizeof(cuts) / sizeof(*cuts));

	/* Damaged. */
	int tried, refused = flips(&file, 256, file.len / 300 + 1, 0, &tried);
	ok(refused == tried, "a flipped byte is refused: %d of %d", refused, tried);
	rc = parse_as(buf, file.len, "g", 7, &err);
	ok(rc == 0, "the original still parses");
	refused = flips(&file, 256, file.len / 300 + 1, 1, &tried);
	ok(1, "a flipped byte under a good checksum: %d of %d refused, the rest read, no crash",
	   refused, tried);

	/* Damage the checksum does not see: what loading checks itself. */
	unsigned char *copy = malloc(file.len);
	memcpy(copy, buf, file.len);
	put64(copy + 56, get64(copy + 56) + 1); /* records */
	rechecksum(copy, file.len);
	rc = parse_as(copy, file.len, "g", 7, &err);
	ok(rc < 0 && !strncmp(err.buf, "corrupt: ", 9),
	   "one record more than the lengths hold: %s", err.buf);
	memcpy(copy, buf, file.len);
	put32(copy + 8, 4);
	rechecksum(copy, file.len);
	rc = parse_as(copy, file.len, "g", 7, &err);
	ok(rc < 0 &&
	   !strcmp(err.buf, "format version 4; this build reads version 3"),
	   "another version: %s", err.buf);
	memcpy(copy, buf, file.len);
	put32(copy + 8, 2);
	rechecksum(copy, file.len);
	rc = parse_as(copy, file.len, "g", 7, &err);
	ok(rc < 0 && !strncmp(err.buf, "a state of an older synth-stats (format version 2", 49) &&
	   strstr(err.buf, "run --partial again"),
	   "a state of version 2, made before the tokens: %s", err.buf);
	memcpy(copy, buf, file.len);
	put32(copy + 12, 0x04030201);
	rechecksum(copy, file.len);
	rc = parse_as(copy, file.len, "g", 7, &err);
	ok(rc < 0 &&
	   !strcmp(err.buf, "written on a machine of the other byte order"),
	   "the other byte order: %s", err.buf);
	memcpy(copy, buf, file.len);
	put32(copy + 16, 5);
	rechecksum(copy, file.len);
	rc = parse_as(copy, file.len, "g", 7, &err);
	ok(rc < 0 &&
	   !strncmp(err.buf, "made with n-grams up to 5,", 26), "other table settings: %s", err.buf);
	free(copy);

	/* Of another kind. */
	struct ngram_model m;
	struct ngram_trainer *t = ngram_trainer_new(2);
	ngram_train(t, "the cat sat on the mat", 22);
	ngram_finish(t, &m);
	struct output out;
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/model.ngm", dir.buf);
	output_open(&out, path.buf, 0);
	ngram_write(&m, &out);
	ngram_release(&m);
	ok(output_close(&out) == 0, "an n-gram model written");
	slurp(path.buf, &other);
	unlink(path.buf);
	rc = parse_as((const unsigned char *)other.buf, other.len, "g", 7, &err);
	ok(rc < 0 &&
	   !strcmp(err.buf, "not a synth-stats state"), "an n-gram model: %s", err.buf);
	struct prng rng;
	prng_seed(&rng, 5);
	strbuf_reset(&other);
	for (int i = 0; i < 4096; i++)
		strbuf_addc(&other, (char)prng_below(&rng, 256));
	rc = parse_as((const unsigned char *)other.buf, other.len, "g", 7, &err);
	ok(rc < 0 &&
	   !strcmp(err.buf, "not a synth-stats state"), "random bytes: %s", err.buf);
	rc = parse_as((const unsigned char *)"", 0, "g", 7, &err);
	ok(rc < 0, "an empty file: %s", err.buf);
	memcpy(other.buf, "SYNTHSTS", 8);
	rc = parse_as((const unsigned char *)other.buf, other.len, "g", 7, &err);
	ok(rc < 0 &&
	   !strncmp(err.buf, "format version ", 15), "random bytes after the magic: %s", err.buf);

	/* Made with other options. */
	rc = parse_as(buf, file.len, "g", 0, &err);
	ok(rc < 0 &&
	   !strcmp(err.buf, "made with --seed 7, not 0"), "another seed: %s", err.buf);
	rc = parse_as(buf, file.len, "lang", 7, &err);
	ok(rc < 0 &&
	   !strcmp(err.buf, "made with --by g, not --by lang"), "another --by: %s", err.buf);
	rc = parse_as(buf, file.len, NULL, 7, &err);
	ok(rc < 0 &&
	   !strcmp(err.buf, "made with --by g; this run has no --by"), "no --by: %s", err.buf);

	/* Through stats_state_read: the message names the file, and the
	 * state read into is left as it was. */
	struct corpus_stats all;
	struct stats_report rr = { .by = "g" };
	struct strbuf before = STRBUF_INIT, after = STRBUF_INIT, want = STRBUF_INIT;
	stats_init(&all, (size_t)1 << 30, 0);
	corpus_stats_add(&all, "one record", 10, NULL);
	stats_json(&all, NULL, &before);
	capture_stderr();
	rc = stats_state_read(&all, &rr, path.buf);
	const char *msg = captured_stderr();
	strbuf_addf(&want, "synth: %s: No such file or directory\n", path.buf);
	ok(rc < 0, "a missing file is an error");
	is_str(msg, want.buf, "that names it");
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/small.state", dir.buf);
	capture_stderr();
	rc = stats_state_read(&all, &rr, path.buf);
	msg = captured_stderr();
	strbuf_reset(&want);
	strbuf_addf(&want, "synth: %s: made with --seed 7, not 0\n", path.buf);
	ok(rc < 0, "a state of another seed is an error");
	is_str(msg, want.buf, "that names the file and both seeds");
	stats_json(&all, NULL, &after);
	is_str(after.buf, before.buf, "the state read into is unchanged");
	ok(rr.invalid == 0 && rr.input_bytes == 0, "and so is the report");
	corpus_stats_release(&all);
	unlink(path.buf);

	/* An ungrouped state for a grouped run. */
	struct corpus_stats plain;
	struct stats_report none = { 0 };
	stats_init(&plain, (size_t)1 << 30, 7);
	corpus_stats_add(&plain, "one record", 10, NULL);
	ok(write_state(&plain, &none, "plain.state", &path) == 0, "an ungrouped state written");
	slurp(path.buf, &other);
	unlink(path.buf);
	rc = parse_as((const unsigned char *)other.buf, other.len, "g", 7, &err);
	ok(rc < 0 &&
	   !strcmp(err.buf, "made without --by; this run has --by g"), "for --by: %s", err.buf);
	rc = parse_as((const unsigned char *)other.buf, other.len, NULL, 7, &err);
	ok(rc == 0,
	   "and read without --by");
	corpus_stats_release(&plain);
	counted_release(&c);
	strbuf_release(&before);
	strbuf_release(&after);
	strbuf_release(&want);
	strbuf_release(&path);
	strbuf_release(&file);
	strbuf_release(&err);
	strbuf_release(&other);
}

/* Find the bytes `what` in file: their offset; the test fails without. */
static size_t find_in(const struct strbuf *file, const char *what, size_t n)
{
	const char *at = memmem(file->buf, file->len, what, n);
	if (!at) {
		fprintf(stderr, "find_in: %s is not in the file\n", what);
		exit(1);
	}
	return (size_t)(at - file->buf);
}

/* States that pass the checksum but whose report would not be JSON
 * (found by fuzz-stats-state; the files are in tests/fuzz/crashes/). */
static void test_reported(void)
{
	struct corpus_stats cs;
	struct strbuf path = STRBUF_INIT, file = STRBUF_INIT, err = STRBUF_INIT,
		      key = STRBUF_INIT, json = STRBUF_INIT, copy = STRBUF_INIT;
	stats_init(&cs, (size_t)1 << 30, 7);
	struct json_value arr = { "[1,2]", 5, JSON_ARRAY, 0 };
	stats_group_key(&key, &arr);
	corpus_stats_add(&cs, "un caf\xc3\xa9 noir", 13, &key);
	struct json_value str = { "\"groupe-b\"", 10, JSON_STRING, 0 };
	stats_group_key(&key, &str);
	corpus_stats_add(&cs, "deux", 4, &key);
	struct stats_report r = { .by = "g" };
	ok(write_state(&cs, &r, "reported.state", &path) == 0,
	   "a state grouped by an array and a string written");
	slurp(path.buf, &file);
	unlink(path.buf);
	corpus_stats_release(&cs);

	struct stats_report rb = { .by = "g", .top = 3 };
	struct json_error jerr;
	stats_init(&cs, (size_t)1 << 30, 7);
	int rc = stats_state_parse(&cs, &rb, (const unsigned char *)file.buf, file.len, &err);
	ok(rc == 0, "it reads: %s", err.buf);
	struct stats_figures f;
	stats_figures_init(&f);
	stats_figures_compute(&f, &cs, &rb);
	stats_render_json(&f, &json);
	stats_figures_release(&f);
	ok(json_check_record(json.buf, json.len, &jerr) == 0, "and reports as JSON");
	ok(strstr(json.buf, "\"value\":[1,2],") != NULL, "with the array value as it was");
	corpus_stats_release(&cs);

	/* A word of the vocabulary that is not UTF-8: --top wrote it into a
	 * JSON string (word-not-utf8.state). */
	strbuf_reset(&copy);
	strbuf_add(&copy, file.buf, file.len);
	copy.buf[find_in(&file, "caf\xc3\xa9", 5) + 3] = (char)0xff;
	rechecksum((unsigned char *)copy.buf, copy.len);
	rc = parse_as((const unsigned char *)copy.buf, copy.len, "g", 7, &err);
	ok(rc < 0 && !strcmp(err.buf, "corrupt: a word that is not UTF-8"),
	   "a word that is not UTF-8: %s", err.buf);

	/* A group's value that is not JSON: the report wrote it as it is
	 * (group-value-not-json.state). */
	strbuf_reset(&copy);
	strbuf_add(&copy, file.buf, file.len);
	copy.buf[find_in(&file, "r[1,2]", 6) + 1] = '\0';
	rechecksum((unsigned char *)copy.buf, copy.len);
	rc = parse_as((const unsigned char *)copy.buf, copy.len, "g", 7, &err);
	ok(rc < 0 && !strcmp(err.buf, "corrupt: a bad group"), "a value that is not JSON: %s",
	   err.buf);
	strbuf_reset(&copy);
	strbuf_add(&copy, file.buf, file.len);
	memcpy(copy.buf + find_in(&file, "r[1,2]", 6), "r\"1,2", 6);
	rechecksum((unsigned char *)copy.buf, copy.len);
	rc = parse_as((const unsigned char *)copy.buf, copy.len, "g", 7, &err);
	ok(rc < 0 && !strcmp(err.buf, "corrupt: a bad group"), "a string as raw JSON: %s",
	   err.buf);
	strbuf_reset(&copy);
	strbuf_add(&copy, file.buf, file.len);
	copy.buf[find_in(&file, "sgroupe-b", 9) + 2] = (char)0xc3;
	rechecksum((unsigned char *)copy.buf, copy.len);
	rc = parse_as((const unsigned char *)copy.buf, copy.len, "g", 7, &err);
	ok(rc < 0 && !strcmp(err.buf, "corrupt: a bad group"), "a string that is not UTF-8: %s",
	   err.buf);

	strbuf_release(&path);
	strbuf_release(&file);
	strbuf_release(&err);
	strbuf_release(&key);
	strbuf_release(&json);
	strbuf_release(&copy);
}

/* By default the tables of 2- to 4-grams give way to sketches past
 * STATS_EXACT_UNTIL entries: the figures must then be those of the whole
 * however it was split, and within the sketch's error. */
static void test_default_sketch(void)
{
	struct strbuf text = STRBUF_INIT, whole = STRBUF_INIT, got = STRBUF_INIT,
		      path = STRBUF_INIT, err = STRBUF_INIT, data = STRBUF_INIT;
	/* 6000 records of 20 words: about 114,000 distinct 2-grams in the
	 * whole, a third of that in each part, under the bound. */
	struct corpus_stats one, exact, parts[3], all;
	corpus_stats_init(&one, (size_t)1 << 30, 7);
	stats_init(&exact, (size_t)1 << 30, 7);
	for (int k = 0; k < 3; k++)
		corpus_stats_init(&parts[k], (size_t)1 << 30, 7);
	struct prng r;
	prng_seed(&r, 5);
	for (size_t i = 0; i < 6000; i++) {
		random_text(&r, 20, 1, 200000, &text);
		corpus_stats_add(&one, text.buf, text.len, NULL);
		corpus_stats_add(&exact, text.buf, text.len, NULL);
		corpus_stats_add(&parts[i % 3], text.buf, text.len, NULL);
	}
	int parts_exact = 1;
	for (int k = 0; k < 3; k++)
		parts_exact &= !parts[k].approx[2];
	ok(parts_exact && one.approx[2] && one.approx[3] && one.approx[4] && !one.approx[1],
	   "each part is exact, the whole a sketch for n = 2..4 (%zu 2-grams in the first part)",
	   parts[0].ngrams[2].used);
	double bound = 3 * 1.04 / sqrt((double)((size_t)1 << STATS_HLL_P));
	for (unsigned n = 2; n <= STATS_MAX_N; n++) {
		double est = distinct_count(&one, n), want = distinct_count(&exact, n);
		double e = fabs(est - want) / want;
		ok(e < bound, "default: distinct %u-grams %.0f estimated, %.0f exact, error %.3f%% "
		   "(at most %.3f%%)", n, est, want, 100 * e, 100 * bound);
	}
	stats_json(&one, NULL, &whole);
	ok(strstr(whole.buf, "\"approximate\":[\"distinct_2\",\"distinct_3\",\"distinct_4\"]") != NULL,
	   "the sketched figures are listed as approximate");

	/* The parts through state files: the figures of the whole, byte for
	 * byte, though no part was ever a sketch. */
	struct stats_report rep = { 0 };
	corpus_stats_init(&all, (size_t)1 << 30, 7);
	int read = 1;
	for (int k = 0; k < 3; k++) {
		char name[32];
		snprintf(name, sizeof(name), "default-%d.state", k);
		read &= write_state(&parts[k], &rep, name, &path) == 0;
		read &= stats_state_read(&all, &rep, path.buf) == 0;
		unlink(path.buf);
	}
	stats_json(&all, NULL, &got);
	ok(read, "the parts written and read");
	is_str(got.buf, whole.buf, "the parts merged give the whole's figures, byte for byte");

	/* A state with exact tables does not mix with the default's. */
	struct stats_report re = { 0 };
	read = write_state(&exact, &re, "exact.state", &path) == 0;
	slurp(path.buf, &data);
	unlink(path.buf);
	struct corpus_stats back;
	corpus_stats_init(&back, (size_t)1 << 30, 7);
	int rc = stats_state_parse(&back, &re, (const unsigned char *)data.buf, data.len, &err);
	ok(read && rc < 0 &&
	   !strcmp(err.buf, "made with exact n-gram tables (--exact or --top); this run has neither"),
	   "a state of exact tables is refused by a default run: %s", err.buf);
	corpus_stats_release(&back);

	/* Under the bound nothing is a sketch: the same figures as exact. */
	struct corpus_stats small, small_exact;
	corpus_stats_init(&small, (size_t)1 << 30, 7);
	stats_init(&small_exact, (size_t)1 << 30, 7);
	for (size_t i = 0; i < 500; i++) {
		random_text(&r, 20, 1, 200000, &text);
		corpus_stats_add(&small, text.buf, text.len, NULL);
		corpus_stats_add(&small_exact, text.buf, text.len, NULL);
	}
	stats_json(&small, NULL, &got);
	stats_json(&small_exact, NULL, &whole);
	is_str(got.buf, whole.buf, "a small corpus: exact by default");

	corpus_stats_release(&small);
	corpus_stats_release(&small_exact);
	corpus_stats_release(&one);
	corpus_stats_release(&exact);
	corpus_stats_release(&all);
	for (int k = 0; k < 3; k++)
		corpus_stats_release(&parts[k]);
	strbuf_release(&text);
	strbuf_release(&whole);
	strbuf_release(&got);
	strbuf_release(&path);
	strbuf_release(&err);
	strbuf_release(&data);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	strbuf_addf(&dir, "%s/synth-test-stats-file-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir.buf)) {
		perror(dir.buf);
		return 1;
	}
	test_exact(1);
	test_exact(0);
	test_approximate();
	test_default_sketch();
	test_refused();
	test_reported();
	rmdir(dir.buf);
	strbuf_release(&dir);
	return done_testing();
}
