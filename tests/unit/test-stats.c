/* Unit tests: counter, lenhist, sample and corpus_stats, above all that
 * statistics of parts merge into exactly the statistics of the whole. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus_stats.h"
#include "counter.h"
#include "hash.h"
#include "json.h"
#include "lenhist.h"
#include "prng.h"
#include "sample.h"
#include "stats_compare.h"
#include "stats_figures.h"
#include "stats_render.h"
#include "strbuf.h"
#include "unit.h"

static const char *vocabulary[] = {
	"the", "cat", "sat", "on", "a", "mat", "Der", "Hund", "bellt", "caf\xc3\xa9",
	"\xe6\x97\xa5\xe6\x9c\xac", "STRASSE", "stra\xc3\x9f" "e", "42", "dog", "ran",
	"\xef\xac\x81ne", "x", "y", "z",
};
#define NWORDS (sizeof(vocabulary) / sizeof(vocabulary[0]))

/* A random text of up to 60 words with punctuation between them. */
static void random_text(struct prng *r, struct strbuf *out)
{
	strbuf_reset(out);
	size_t n = prng_below(r, 60);
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addstr(out, prng_below(r, 8) ? " " : ", ");
		strbuf_addstr(out, vocabulary[prng_below(r, NWORDS)]);
		if (prng_below(r, 20) == 0)
			strbuf_addstr(out, ".\n");
	}
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

static void group_of(size_t i, struct strbuf *key)
{
	char v[16];
	snprintf(v, sizeof(v), "\"g%zu\"", i % 3);
	struct json_value jv = { v, strlen(v), JSON_STRING, 0 };
	stats_group_key(key, i % 7 == 0 ? NULL : &jv);
}

/* The figures are computed once and then are the renderers' alone: they
 * outlive the corpus_stats, and the JSON and the table say the same. */
static void test_figures(void)
{
	struct corpus_stats cs;
	struct strbuf key = STRBUF_INIT, before = STRBUF_INIT, after = STRBUF_INIT,
		      table = STRBUF_INIT;
	struct stats_report r = { .top = 2, .by = "g", .invalid = 4, .show_invalid = 1 };
	struct stats_figures f;
	corpus_stats_init(&cs, (size_t)1 << 30, 0);
	group_of(1, &key);
	corpus_stats_add(&cs, "the cat saw the dog", 19, &key);
	group_of(0, &key);
	corpus_stats_add(&cs, "the dog", 7, &key);
	stats_figures_init(&f);
	stats_figures_compute(&f, &cs, &r);
	stats_render_json(&f, &before);
	corpus_stats_release(&cs);
	stats_render_json(&f, &after);
	is_str(after.buf, before.buf, "the figures outlive their corpus_stats");
	ok(f.records == 2 && f.words == 7 && f.vocabulary == 4 && f.hapax == 2 && f.invalid == 4,
	   "counts, vocabulary and hapax");
	ok(f.length.min == 2 && f.length.max == 5 && f.length.mean == 3.5, "lengths");
	ok(f.distinct[1] == 4.0 / 7 && f.distinct[2] == 4.0 / 5, "distinct 1 and 2");
	ok(f.has_top && f.top_ngrams[1].n == 2 && !strcmp(f.top_ngrams[1].items[0].text, "the") &&
	   f.top_ngrams[1].items[0].count == 3 && !strcmp(f.top_ngrams[2].items[0].text, "the dog"),
	   "the top lists, most frequent first, with their texts");
	/* One record each: by the key, and a missing value's sorts first. */
	ok(f.ngroups == 2 && f.groups[0].kind == STATS_VALUE_MISSING &&
	   f.groups[1].kind == STATS_VALUE_STRING && !strcmp(f.groups[1].value, "g1") &&
	   f.groups[1].share == 0.5 && f.groups[1].words == 5, "the groups, with their values");
	ok(strstr(after.buf, "\"hapax\":2,\"distinct_1\":0.571429,") != NULL,
	   "JSON shows six decimals");
	stats_render_table(&f, &table);
	ok(strstr(table.buf, "distinct-1           0.5714\n") != NULL &&
	   strstr(table.buf, "invalid              4\n") != NULL, "the table shows four");
	stats_figures_release(&f);
	ok(f.ngroups == 0 && !f.groups && !f.by && isnan(f.entropy_1), "released figures are empty");
	strbuf_release(&key);
	strbuf_release(&before);
	strbuf_release(&after);
	strbuf_release(&table);
}

static void test_merge_is_exact(void)
{
	enum { N = 3000 };
	struct prng r;
	struct strbuf text = STRBUF_INIT, key = STRBUF_INIT, whole = STRBUF_INIT,
		      merged = STRBUF_INIT;
	struct corpus_stats all, parts[3];
	corpus_stats_init(&all, (size_t)1 << 30, 7);
	for (int k = 0; k < 3; k++)
		corpus_stats_init(&parts[k], (size_t)1 << 30, 7);
	prng_seed(&r, 1);
	for (size_t i = 0; i < N; i++) {
		random_text(&r, &text);
		group_of(i, &key);
		corpus_stats_add(&all, text.buf, text.len, &key);
		/* Parts get the records in an order of their own. */
		corpus_stats_add(&parts[(i * 7 + i / 5) % 3], text.buf, text.len, &key);
	}
	stats_json(&all, "g", &whole);
	corpus_stats_merge(&parts[2], &parts[0]);
	corpus_stats_merge(&parts[2], &parts[1]);
	stats_json(&parts[2], "g", &merged);
	is_str(merged.buf, whole.buf, "three parts merged give the figures of the whole, byte for byte");
	ok(strstr(whole.buf, "\"records\":3000,") != NULL, "all records counted");
	ok(strstr(whole.buf, "\"approximate\":[\"by.vocabulary\"") != NULL,
	   "exact figures, group estimates listed");
	corpus_stats_release(&all);
	for (int k = 0; k < 3; k++)
		corpus_stats_release(&parts[k]);
	strbuf_release(&text);
	strbuf_release(&key);
	strbuf_release(&whole);
	strbuf_release(&merged);
}

/* A long record is counted a piece at a time: the figures are those of
 * the record counted whole, whatever the pieces' size, with words that
 * run past a piece's size and n-grams across the cuts. */
static void test_long_records_in_pieces(void)
{
	struct prng r;
	struct strbuf text = STRBUF_INIT, part = STRBUF_INIT, key = STRBUF_INIT,
		      whole = STRBUF_INIT, pieces = STRBUF_INIT;
	const size_t sizes[] = { 1, 2, 7, 64, 1000 };
	struct corpus_stats all, cut[sizeof(sizes) / sizeof(*sizes)];
	corpus_stats_init(&all, (size_t)1 << 30, 7);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		corpus_stats_init(&cut[k], (size_t)1 << 30, 7);
		cut[k].piece_bytes = sizes[k];
	}
	prng_seed(&r, 3);
	size_t longest = 0;
	for (size_t i = 0; i < 60; i++) {
		strbuf_reset(&text);
		size_t parts = prng_below(&r, 200);
		for (size_t p = 0; p < parts; p++) {
			random_text(&r, &part);
			strbuf_add(&text, part.buf, part.len);
			strbuf_addstr(&text, prng_below(&r, 2) ? " " : "\n");
			/* Now and then a word longer than most pieces. */
			if (prng_below(&r, 50) == 0)
				for (int w = 0; w < 300; w++)
					strbuf_addstr(&text, "\xc3\xa9t\xc3\xa9");
		}
		if (text.len > longest)
			longest = text.len;
		group_of(i, &key);
		corpus_stats_add(&all, text.buf, text.len, &key);
		for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++)
			corpus_stats_add(&cut[k], text.buf, text.len, &key);
	}
	ok(longest > 20 * 1000, "the records are long (%zu bytes)", longest);
	stats_json(&all, "g", &whole);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		stats_json(&cut[k], "g", &pieces);
		is_str(pieces.buf, whole.buf, "pieces of %zu bytes: the figures of whole records",
		       sizes[k]);
		corpus_stats_release(&cut[k]);
	}
	corpus_stats_release(&all);
	strbuf_release(&text);
	strbuf_release(&part);
	strbuf_release(&key);
	strbuf_release(&whole);
	strbuf_release(&pieces);
}

static double figure(const char *json, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", name);
	const char *p = strstr(json, pat);
	return p ? strtod(p + strlen(pat), NULL) : NAN;
}

static void test_memory_limit(void)
{
	/* Many distinct n-grams, so the tables outgrow a small limit. */
	struct corpus_stats exact, approx;
	struct strbuf text = STRBUF_INIT, a = STRBUF_INIT, e = STRBUF_INIT;
	corpus_stats_init(&exact, (size_t)1 << 30, 0);
	corpus_stats_init(&approx, (size_t)4 << 20, 0);
	struct prng r;
	prng_seed(&r, 3);
	for (int i = 0; i < 20000; i++) {
		strbuf_reset(&text);
		for (int w = 0; w < 20; w++)
			strbuf_addf(&text, "w%llu ", (unsigned long long)prng_below(&r, 50000));
		corpus_stats_add(&exact, text.buf, text.len, NULL);
		corpus_stats_add(&approx, text.buf, text.len, NULL);
	}
	ok(corpus_stats_memory(&approx) <= ((size_t)4 << 20), "memory stays under the limit");
	stats_json(&exact, NULL, &e);
	stats_json(&approx, NULL, &a);
	ok(strstr(a.buf, "\"distinct_4\"]") != NULL || strstr(a.buf, "\"distinct_4\",") != NULL,
	   "distinct_4 is listed as approximate");
	for (int n = 1; n <= 4; n++) {
		char name[32];
		snprintf(name, sizeof(name), "distinct_%d", n);
		double x = figure(a.buf, name), y = figure(e.buf, name);
		ok(fabs(x - y) / y < 0.02, "%s estimate %g within 2%% of %g", name, x, y);
	}
	ok(figure(a.buf, "words") == figure(e.buf, "words"), "word count stays exact");
	corpus_stats_release(&exact);
	corpus_stats_release(&approx);
	strbuf_release(&text);
	strbuf_release(&a);
	strbuf_release(&e);
}

static void test_counter(void)
{
	struct counter c;
	counter_init(&c, 2, 0, 0);
	for (uint64_t i = 0; i < 100000; i++) {
		uint64_t key[2] = { i % 1000, i / 1000 };
		int is_new;
		counter_slot(&c, key, counter_key_hash(key, 2), &is_new)[2]++;
	}
	ok(c.used == 100000, "100000 distinct keys after growing");
	uint64_t key[2] = { 5, 7 };
	uint64_t *e = counter_find(&c, key, counter_key_hash(key, 2));
	ok(e && e[2] == 1, "a key is found with its count");
	uint64_t missing[2] = { 5, 700 };
	ok(!counter_find(&c, missing, counter_key_hash(missing, 2)), "an absent key is not found");
	uint64_t ab[2] = { 1, 2 }, ba[2] = { 2, 1 };
	ok(counter_key_hash(ab, 2) != counter_key_hash(ba, 2), "the key hash depends on word order");
	counter_release(&c);
}

static void test_lenhist(void)
{
	struct lenhist h, a, b;
	lenhist_init(&h);
	lenhist_init(&a);
	lenhist_init(&b);
	for (uint64_t v = 1; v <= 100; v++) {
		uint64_t len = v < 95 ? v : v * 1000; /* a few beyond the dense array */
		lenhist_add(&h, len, 1);
		lenhist_add(v % 2 ? &a : &b, len, 1);
	}
	ok(lenhist_quantile(&h, 0) == 1, "minimum");
	ok(lenhist_quantile(&h, 0.5) == 50, "median by nearest rank");
	ok(lenhist_quantile(&h, 0.95) == 95000, "p95 among the long lengths");
	ok(lenhist_max(&h) == 100000, "maximum");
	lenhist_merge(&a, &b);
	ok(a.n == h.n && a.sum == h.sum && lenhist_quantile(&a, 0.99) == lenhist_quantile(&h, 0.99),
	   "merged halves equal the whole");
	lenhist_release(&h);
	lenhist_release(&a);
	lenhist_release(&b);
}

static void test_sample(void)
{
	struct sample one, two[2];
	sample_init(&one, 1000);
	sample_init(&two[0], 1000);
	sample_init(&two[1], 1000);
	char text[64];
	for (int i = 0; i < 500; i++) {
		int len = snprintf(text, sizeof(text), "text number %d", i);
		uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ull;
		sample_add(&one, h, text, (size_t)len);
		sample_add(&two[(i * 13) % 2], h, text, (size_t)len);
	}
	sample_merge(&two[0], &two[1]);
	sample_sort(&one);
	sample_sort(&two[0]);
	int same = one.n == two[0].n;
	for (size_t i = 0; same && i < one.n; i++)
		same = one.heap[i].hash == two[0].heap[i].hash;
	ok(same, "a sample of parts merged equals the sample of the whole");
	ok(one.bytes >= 1000 && one.bytes - one.heap[one.n - 1].len < 1000,
	   "the sample is the fewest smallest hashes that fill the budget");
	sample_release(&one);
	sample_release(&two[0]);
	sample_release(&two[1]);
	/* A text longer than the budget keeps its first budget bytes, cut
	 * before a UTF-8 sequence: one long text holds no more. */
	struct sample s;
	sample_init(&s, 10);
	sample_add(&s, 1, "abcdefghi\xc3\xa9xyz", 14);
	ok(s.n == 1 && s.heap[0].len == 9 && !memcmp(s.heap[0].text, "abcdefghi", 9),
	   "a long text is kept cut to the budget, before a UTF-8 sequence");
	sample_release(&s);
}

/* The Kolmogorov-Smirnov statistic, dense and long lengths. */
static void test_lenhist_ks(void)
{
	struct lenhist a, b, e;
	lenhist_init(&a);
	lenhist_init(&b);
	lenhist_init(&e);
	lenhist_add(&a, 3, 1);
	lenhist_add(&a, 4, 1);
	lenhist_add(&b, 3, 1);
	ok(lenhist_ks(&a, &b) == 0.5 && lenhist_ks(&b, &a) == 0.5, "KS of {3,4} and {3} is 1/2");
	ok(lenhist_ks(&a, &a) == 0, "KS of a histogram with itself is 0");
	ok(isnan(lenhist_ks(&a, &e)), "KS against an empty histogram is NaN");
	lenhist_add(&b, 100000, 3);	/* past the dense array */
	ok(lenhist_ks(&a, &b) == 0.75, "KS with long lengths: F(4) is 1 against 1/4 (%g)",
	   lenhist_ks(&a, &b));
	double x[8], y[8];
	size_t n = lenhist_points(&b, x, y, 8);
	ok(n == 2 && x[0] == 3 && y[0] == 1 && x[1] == 100000 && y[1] == 3,
	   "lenhist_points: (3, 1) and (100000, 3)");
	lenhist_release(&a);
	lenhist_release(&b);
	lenhist_release(&e);
}

/* A corpus against a reference, on texts worked out by hand. */
static void test_compare(void)
{
	struct corpus_stats ref, in;
	corpus_stats_init(&ref, 1 << 26, 0);
	corpus_stats_init(&in, 1 << 26, 0);
	corpus_stats_add(&ref, "a b c", 5, NULL);
	corpus_stats_add(&ref, "a b d d", 7, NULL);
	corpus_stats_add(&in, "a a e", 5, NULL);
	struct stats_comparison c;
	stats_compare(&in, &ref, &c);
	ok(c.vocab_kept == 0.25 && c.rare_kept == 0.25, "one of the four types kept");
	ok(fabs(c.unseen_mass - 1.0 / 3) < 1e-12 && fabs(c.unseen_mass_reference - 1.0 / 7) < 1e-12,
	   "unseen mass 1/3 and 1/7");
	double js = 0.5 * (2.0 / 7 * log2(0.6) + 5.0 / 7) + 0.5 * (2.0 / 3 * log2(1.4) + 1.0 / 3);
	ok(fabs(c.js_divergence - js) < 1e-12, "JS divergence %.9f, by hand %.9f", c.js_divergence, js);
	stats_compare(&ref, &ref, &c);
	ok(c.js_divergence == 0 && c.vocab_kept == 1 && c.length_ks == 0, "a corpus against itself");
	double x[10], y[10];
	size_t n = stats_rank_freq(&ref, x, y, 10);
	ok(n == 4 && x[0] == 1 && y[0] == 2 && x[3] == 4 && y[3] == 1,
	   "rank-frequency: every rank of a small vocabulary, the counts falling");
	double v[] = { 5, 1, 4, 2, 3 };
	ok(quantile_sorted(v, 5, 0.5) == 3 && quantile_sorted(v, 5, 0.1) == 1 &&
	   quantile_sorted(v, 5, 0.9) == 5, "nearest-rank quantiles of 1..5");
	corpus_stats_release(&ref);
	corpus_stats_release(&in);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

/* The values of the k smallest hashes, whatever the order and the split. */
static double value_of_text(void *arg, const char *text, size_t len)
{
	(void)arg;
	char buf[32];
	snprintf(buf, sizeof(buf), "%.*s", (int)len, text);
	return strtod(buf, NULL);
}

static void test_value_sample(void)
{
	struct value_sample a, b, c;
	value_sample_init(&a, 100);
	value_sample_init(&b, 100);
	value_sample_init(&c, 100);
	uint64_t kept_max = 0;
	int ok_all = 1;
	for (uint64_t i = 0; i < 5000; i++) {
		uint64_t h = mix64(i + 1);
		value_sample_add(&a, h, (double)i);
		/* Another order, split in two parts merged. */
		uint64_t j = 4999 - i, hj = mix64(j + 1);
		struct value_sample *part = j % 2 ? &b : &c;
		if (value_sample_wants(part, hj))
			value_sample_add(part, hj, (double)j);
	}
	value_sample_merge(&b, &c);
	double va[100], vb[100];
	value_sample_values(&a, va);
	value_sample_values(&b, vb);
	qsort(va, 100, sizeof(double), cmp_double);
	qsort(vb, 100, sizeof(double), cmp_double);
	for (int i = 0; i < 100; i++) {
		ok_all &= va[i] == vb[i];
		uint64_t h = mix64((uint64_t)va[i] + 1);
		if (h > kept_max)
			kept_max = h;
	}
	/* Nothing outside the sample has a smaller hash than its largest. */
	size_t below = 0;
	for (uint64_t i = 0; i < 5000; i++)
		below += mix64(i + 1) <= kept_max;
	ok(a.n == 100 && b.n == 100 && ok_all && below == 100,
	   "value_sample: the 100 smallest of 5000 hashes, in any order and split");
	/* Deferred: the texts kept while in, the values computed at the
	 * end, in parts, one part's values given at once; the same values. */
	struct value_sample d[2];
	value_sample_init(&d[0], 100);
	value_sample_init(&d[1], 100);
	for (uint64_t i = 0; i < 5000; i++) {
		char text[32];
		int len = snprintf(text, sizeof(text), "%llu", (unsigned long long)i);
		uint64_t h = mix64(i + 1);
		if (i % 3)
			value_sample_defer(&d[i % 2], h, text, (size_t)len);
		else if (value_sample_wants(&d[i % 2], h))
			value_sample_add(&d[i % 2], h, (double)i);
	}
	value_sample_merge(&d[0], &d[1]);
	size_t deferred = 0;
	for (size_t i = 0; i < d[0].n; i++)
		deferred += d[0].e[i].text != NULL;
	value_sample_compute(&d[0], 0, 40, value_of_text, NULL);
	value_sample_compute(&d[0], 40, d[0].n, value_of_text, NULL);
	double vd[100];
	value_sample_values(&d[0], vd);
	qsort(vd, 100, sizeof(double), cmp_double);
	ok(d[0].n == 100 && deferred > 30 && deferred < 100 && !memcmp(vd, va, sizeof(va)),
	   "value_sample: deferred values (%zu of 100), computed at the end, are the same", deferred);
	value_sample_release(&d[0]);
	value_sample_release(&d[1]);
	value_sample_release(&a);
	value_sample_release(&b);
	value_sample_release(&c);
}

int main(void)
{
	test_long_records_in_pieces();
	test_value_sample();
	test_lenhist_ks();
	test_compare();
	test_counter();
	test_lenhist();
	test_sample();
	test_figures();
	test_merge_is_exact();
	test_memory_limit();
	return done_testing();
}
