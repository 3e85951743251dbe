/* Unit tests: the n-gram model's probabilities, its file, sampling. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "diag.h"
#include "hash.h"
#include "ngram.h"
#include "prng.h"
#include "strbuf.h"
#include "unit.h"

/* The full stops are no words (text.h): 13 distinct words. */
static const char *const corpus[] = {
	"the cat sat on the mat .",
	"the dog sat on the log .",
	"the cat saw the dog .",
	"a cat and a dog sat together on the mat .",
	"the mat was red .",
};

static void train(struct ngram_model *m, unsigned order)
{
	struct ngram_trainer *t = ngram_trainer_new(order);
	for (size_t i = 0; i < sizeof(corpus) / sizeof(*corpus); i++)
		ngram_train(t, corpus[i], strlen(corpus[i]));
	ngram_finish(t, m);
}

static uint32_t id(const struct ngram_model *m, const char *w)
{
	return ngram_word_id(m, w, strlen(w));
}

/* Every word but the begin marker, and one unknown word, share 1. */
static double total_prob(const struct ngram_model *m, const uint32_t *h, size_t n)
{
	double sum = ngram_prob(m, h, n, UINT32_MAX);
	for (uint32_t w = 1; w < m->nvocab; w++)
		sum += ngram_prob(m, h, n, w);
	return sum;
}

static void test_probabilities(void)
{
	for (unsigned order = 1; order <= 4; order++) {
		struct ngram_model m;
		train(&m, order);
		ok(m.nvocab == 2 + 13, "order %u: 13 distinct words and the two markers", order);
		uint32_t seen[] = { id(&m, "the"), id(&m, "cat") };
		uint32_t unseen[] = { id(&m, "red"), id(&m, "cat") };
		uint32_t unknown[] = { UINT32_MAX, UINT32_MAX };
		ok(fabs(total_prob(&m, NULL, 0) - 1) < 1e-9, "order %u: the start sums to 1", order);
		ok(fabs(total_prob(&m, seen, 2) - 1) < 1e-9, "order %u: after a seen history, 1", order);
		ok(fabs(total_prob(&m, unseen, 2) - 1) < 1e-9, "order %u: after an unseen one, 1", order);
		ok(fabs(total_prob(&m, unknown, 2) - 1) < 1e-9, "order %u: after unknown words, 1", order);
		ngram_release(&m);
	}
	struct ngram_model m;
	train(&m, 3);
	uint32_t h[] = { id(&m, "the"), id(&m, "cat") };
	double sat = ngram_prob(&m, h, 2, id(&m, "sat")), saw = ngram_prob(&m, h, 2, id(&m, "saw"));
	double mat = ngram_prob(&m, h, 2, id(&m, "mat"));
	ok(sat > 0.2 && saw > 0.2, "after 'the cat': sat %.3f and saw %.3f are likely", sat, saw);
	ok(mat < sat / 4, "a word never seen there (mat %.3f) is much less likely", mat);
	uint32_t start[] = { 0 };
	ok(ngram_prob(&m, start, 0, id(&m, "the")) > 0.5, "documents mostly start with 'the'");
	ok(m.nlengths == 5 && m.lengths[0] == 4 && m.lengths[4] == 10, "the lengths are kept, sorted: %llu, %u .. %u", (unsigned long long)m.nlengths, m.lengths[0], m.lengths[m.nlengths - 1]);
	ngram_release(&m);
}

static void test_file(void)
{
	struct ngram_model m, back;
	train(&m, 3);
	char path[] = "/tmp/test-ngram-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	struct output out;
	output_open(&out, path, 0);
	ngram_write(&m, &out);
	ok(output_close(&out) == 0, "the model is written");
	struct strbuf data = STRBUF_INIT, err = STRBUF_INIT;
	ok(file_slurp(path, &data) == 0, "and read back");
	unlink(path);
	const unsigned char *buf = (const unsigned char *)data.buf;
	ok(ngram_parse(&back, buf, data.len, &err) == 0, "and parsed: %s", err.buf);
	int same = back.nvocab == m.nvocab && back.order == 3;
	uint32_t h[] = { id(&m, "on"), id(&m, "the") };
	for (uint32_t w = 1; same && w < m.nvocab; w++)
		same = ngram_prob(&m, h, 2, w) == ngram_prob(&back, h, 2, w);
	ok(same, "the loaded model gives the same probabilities");
	ngram_release(&back);

	/* A flipped byte anywhere, a short file, another file. */
	unsigned char *copy = malloc(data.len);
	int refused = 1;
	for (size_t i = 0; i < data.len; i += 7) {
		memcpy(copy, buf, data.len);
		copy[i] ^= 0x20;
		strbuf_reset(&err);
		refused &= ngram_parse(&back, copy, data.len, &err) < 0;
	}
	ok(refused, "every flipped byte is refused");
	/* Cut anywhere past the magic, the levels' headers included: the
	 * length the headers promise says so. */
	int cut = 1;
	for (size_t k = 8; k < data.len && cut; k++) {
		strbuf_reset(&err);
		cut = ngram_parse(&back, buf, k, &err) < 0 && !strcmp(err.buf, "truncated");
		if (!cut)
			printf("# cut at %zu: %s\n", k, err.buf);
	}
	ok(cut, "a file cut short at any of %zu lengths is truncated", data.len - 8);
	strbuf_reset(&err);
	ok(ngram_parse(&back, (const unsigned char *)"hello", 5, &err) < 0 &&
	   !strcmp(err.buf, "not a synth n-gram model"), "another file: %s", err.buf);
	free(copy);
	strbuf_release(&data);
	strbuf_release(&err);
	ngram_release(&m);
}

/* The file of a model of order 2, and where its parts start. */
struct model_file {
	struct strbuf data;
	struct ngram_model m;
	size_t level, off, text, uni, ctx;
};

static void model_file(struct model_file *f)
{
	train(&f->m, 2);
	char path[] = "/tmp/test-ngram-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	struct output out;
	output_open(&out, path, 0);
	ngram_write(&f->m, &out);
	if (output_close(&out) < 0)
		die("%s: not written", path);
	strbuf_init(&f->data);
	if (file_slurp(path, &f->data) < 0)
		die_errno("%s", path);
	unlink(path);
	f->level = 64;
	f->off = f->level + 24;
	f->text = f->off + 4 * ((size_t)f->m.nvocab + 1);
	f->uni = f->text + f->m.text.len;
	f->ctx = f->uni + 4 * (size_t)f->m.nvocab;
}

/* Parse a changed copy of the file, under a good checksum: damage the
 * checksum does not see. Returns what ngram_parse() says. */
static const char *parse_changed(struct strbuf *copy, struct strbuf *err)
{
	struct ngram_model back;
	unsigned char *b = (unsigned char *)copy->buf;
	put64(b + copy->len - 8, hash64(b, copy->len - 8, 0));
	strbuf_reset(err);
	if (ngram_parse(&back, b, copy->len, err) == 0) {
		ngram_release(&back);
		return "read";
	}
	return err->buf;
}

/* Models that pass the checksum but not what training makes (found by
 * fuzz-ngram-model; the files are in tests/fuzz/crashes/). */
static void test_file_consistent(void)
{
	struct model_file f;
	model_file(&f);
	struct strbuf copy = STRBUF_INIT, err = STRBUF_INIT;
	strbuf_add(&copy, f.data.buf, f.data.len);
	is_str(parse_changed(&copy, &err), "read", "the model file reads");

	/* A word that is not UTF-8 would be sampled into the output's JSON
	 * (word-not-utf8.ngm). */
	unsigned char *b = (unsigned char *)copy.buf;
	b[f.text + f.m.off[2]] = 0xff;
	is_str(parse_changed(&copy, &err), "corrupt: a word that is not text",
	       "a word that is not UTF-8 is refused");

	/* The same word twice: text holding it scores as one of its ids
	 * (word-listed-twice.ngm). */
	memcpy(copy.buf, f.data.buf, f.data.len);
	uint32_t cat = id(&f.m, "cat"), dog = id(&f.m, "dog");
	memcpy(b + f.text + f.m.off[dog], "cat", 3);
	is_str(parse_changed(&copy, &err), "corrupt: a word listed twice",
	       "a word listed twice is refused (ids %u and %u)", cat, dog);

	/* A context's total other than its counts' sum: the probabilities
	 * after it do not sum to 1 (context-total-not-its-counts.ngm). */
	memcpy(copy.buf, f.data.buf, f.data.len);
	put64(b + f.ctx + 8, get64(b + f.ctx + 8) + 1);
	is_str(parse_changed(&copy, &err), "corrupt: bad contexts",
	       "a context's total other than its counts' is refused");

	/* A discount training never makes: near 0, every unseen word gets
	 * next to nothing and a perplexity is infinite
	 * (discount-near-zero.ngm). */
	memcpy(copy.buf, f.data.buf, f.data.len);
	double d = 1e-300;
	memcpy(b + f.level + 16, &d, 8);
	is_str(parse_changed(&copy, &err), "corrupt: a bad level header",
	       "a discount near 0 is refused");
	d = 0.95;
	memcpy(b + f.level + 16, &d, 8);
	is_str(parse_changed(&copy, &err), "read", "0.95, the largest training makes, reads");

	/* No word counted: every word's probability would be 1
	 * (no-word-counted.ngm). */
	memcpy(copy.buf, f.data.buf, f.data.len);
	memset(b + f.uni, 0, 4 * (size_t)f.m.nvocab);
	is_str(parse_changed(&copy, &err), "corrupt: no word counted",
	       "a model that counted no word is refused");

	/* A header that promises 2^31 contexts in a small file: refused
	 * before room is made for them (contexts-past-the-end.ngm). */
	memcpy(copy.buf, f.data.buf, f.data.len);
	put64(b + f.level, (uint64_t)1 << 31);
	put64(b + f.level + 8, ((uint64_t)1 << 31) + 1);
	is_str(parse_changed(&copy, &err), "truncated",
	       "2^31 contexts in a small file are refused as truncated");

	ngram_release(&f.m);
	strbuf_release(&f.data);
	strbuf_release(&copy);
	strbuf_release(&err);
}

static void test_sampling(void)
{
	struct ngram_model m;
	train(&m, 3);
	uint32_t h[] = { id(&m, "sat"), id(&m, "on") };
	enum { N = 40000 };
	struct prng r;
	prng_seed(&r, 1);
	struct ngram_sampler *s = ngram_sampler_new(&m, 1, 1);
	uint32_t *count = calloc(m.nvocab, sizeof(*count));
	for (int i = 0; i < N; i++)
		count[ngram_sample(s, h, 2, &r)]++;
	/* Drawn as often as the model says, the end marker left out. */
	double eos = ngram_prob(&m, h, 2, NGRAM_EOS), worst = 0;
	for (uint32_t w = 2; w < m.nvocab; w++) {
		double p = ngram_prob(&m, h, 2, w) / (1 - eos - ngram_prob(&m, h, 2, UINT32_MAX));
		double sd = sqrt(p * (1 - p) / N);
		double z = fabs((double)count[w] / N - p) / (sd > 0 ? sd : 1);
		if (z > worst)
			worst = z;
	}
	ok(worst < 4.5, "frequencies match the probabilities (worst %.2f sd)", worst);
	ok(count[NGRAM_EOS] == 0 && count[NGRAM_BOS] == 0, "no marker is drawn");
	ngram_sampler_free(s);

	s = ngram_sampler_new(&m, 1, 0.01);
	int top = 1;
	for (int i = 0; i < 200; i++)
		top &= ngram_sample(s, h, 2, &r) == id(&m, "the");
	ok(top, "a tiny nucleus holds only the most probable word");
	ngram_sampler_free(s);

	/* A low temperature sharpens, a high one flattens. */
	double share[2];
	double temps[2] = { 0.3, 3 };
	for (int t = 0; t < 2; t++) {
		s = ngram_sampler_new(&m, temps[t], 1);
		int the = 0;
		for (int i = 0; i < 4000; i++)
			the += ngram_sample(s, h, 2, &r) == id(&m, "the");
		share[t] = the / 4000.0;
		ngram_sampler_free(s);
	}
	double p_the = ngram_prob(&m, h, 2, id(&m, "the"));
	ok(share[0] > p_the && share[1] < p_the, "temperature 0.3: %.2f, 3: %.2f, the model: %.2f",
	   share[0], share[1], p_the);
	uint64_t len = ngram_sample_length(&m, &r);
	ok(len == 4 || len == 5 || len == 6 || len == 10, "a length of a training document: %llu",
	   (unsigned long long)len);
	free(count);
	ngram_release(&m);
}

/* A perplexity, batched as it is, is exactly the word-by-word one:
 * documents past a batch, with unknown words, at every order. */
static void test_perplexity(void)
{
	struct strbuf doc = STRBUF_INIT;
	for (int i = 0; i < 30; i++)
		strbuf_addstr(&doc, i % 7 ? "the cat sat on the mat . " : "zebra ");
	const char *docs[] = { "", "the", "the cat saw a zebra", "unknown words only", doc.buf };
	int same = 1;
	for (unsigned order = 1; order <= 6; order++) {
		struct ngram_model m;
		train(&m, order);
		for (size_t d = 0; d < sizeof(docs) / sizeof(*docs); d++) {
			uint32_t *ids = NULL, *scratch = NULL;
			size_t len = 0, cap = 0, scap = 0;
			ngram_ids(&m, docs[d], strlen(docs[d]), &ids, &len, &cap);
			double sum = 0;
			for (size_t i = 0; i <= len; i++)
				sum -= log(ngram_prob(&m, ids, i, i < len ? ids[i] : NGRAM_EOS));
			double want = exp(sum / (double)(len + 1));
			double got = ngram_perplexity(&m, docs[d], strlen(docs[d]), &scratch, &scap);
			if (got != want) {
				same = 0;
				printf("# order %u, document %zu: %.17g, not %.17g\n", order, d, got, want);
			}
			free(ids);
			free(scratch);
		}
		ngram_release(&m);
	}
	ok(same, "a perplexity is exactly the mean of its words' log probabilities");
	strbuf_release(&doc);
}

/* Counts that hold in every Kneser-Ney model, on a corpus large enough
 * for the training tables to grow many times: the top order counts each
 * word and end marker once, and each order below counts, for each of its
 * n-grams, the distinct n-grams of the order above that extend it. */
static void test_training_at_scale(void)
{
	struct prng r;
	prng_seed(&r, 42);
	for (unsigned order = 2; order <= 3; order++) {
		struct ngram_trainer *t = ngram_trainer_new(order);
		struct strbuf doc = STRBUF_INIT;
		uint64_t words = 0, docs = 30000;
		unsigned char seen[3000] = { 0 };
		uint32_t distinct = 0;
		for (uint64_t d = 0; d < docs; d++) {
			strbuf_setlen(&doc, 0);
			/* Some documents run past a batch of words. */
			uint64_t n = prng_below(&r, d % 50 ? 20 : 200);
			for (uint64_t i = 0; i < n; i++) {
				uint64_t w = prng_below(&r, 3000);
				distinct += !seen[w];
				seen[w] = 1;
				strbuf_addf(&doc, "w%llu ", (unsigned long long)w);
			}
			words += n;
			ngram_train(t, doc.buf, doc.len);
		}
		struct ngram_model m;
		ngram_finish(t, &m);
		ok(m.nvocab == distinct + 2, "order %u: each of %u distinct words has one id", order,
		   m.nvocab - 2);
		uint64_t top = 0;
		for (size_t c = 0; c < m.level[order].nctx; c++)
			top += m.level[order].ctx[c].total;
		ok(top == words + docs, "order %u: the top order counts every word and end: %llu",
		   order, (unsigned long long)top);
		int sorted = 1;
		for (unsigned k = 2; k <= order; k++) {
			const struct ngram_level *l = &m.level[k];
			uint64_t below = 0;
			if (k > 2)
				for (size_t c = 0; c < m.level[k - 1].nctx; c++)
					below += m.level[k - 1].ctx[c].total;
			else
				for (uint32_t w = 1; w < m.nvocab; w++)
					below += m.uni_count[w];
			ok(below == l->nconts, "order %u: the order below %u counts its %zu n-grams",
			   order, k, l->nconts);
			for (size_t c = 0; c < l->nctx; c++) {
				const struct ngram_ctx *x = &l->ctx[c];
				sorted &= !c || x->hash > l->ctx[c - 1].hash;
				sorted &= c + 1 < l->nctx || (size_t)x->first + x->n == l->nconts;
				for (uint32_t j = x->first + 1; j < x->first + x->n; j++)
					sorted &= l->cont_w[j] > l->cont_w[j - 1];
			}
		}
		ok(sorted && m.level[order].nconts > 100000,
		   "order %u: %zu n-grams, sorted by context and word", order, m.level[order].nconts);
		strbuf_release(&doc);
		ngram_release(&m);
	}
}

/* A model fitted on nothing, or on documents without a word: a model
 * with no tokens, made without undefined behaviour (qsort() was called
 * on a NULL array of lengths), which the programs then refuse. */
static void test_fitted_on_nothing(void)
{
	for (unsigned order = 1; order <= 3; order++) {
		struct ngram_model m;
		struct ngram_trainer *t = ngram_trainer_new(order);
		ngram_finish(t, &m);
		ok(m.tokens == 0 && m.nlengths == 0 && m.order == order,
		   "order %u, no documents: no tokens, no lengths", order);
		ngram_release(&m);
		t = ngram_trainer_new(order);
		ngram_train(t, "", 0);
		ngram_train(t, " \t ", 3);
		ngram_finish(t, &m);
		ok(m.tokens == 0 && m.nlengths == 2, "order %u, two documents without words: no tokens",
		   order);
		ngram_release(&m);
	}
}

int main(void)
{
	diag_init("test-ngram");
	test_fitted_on_nothing();
	test_probabilities();
	test_perplexity();
	test_training_at_scale();
	test_file();
	test_file_consistent();
	test_sampling();
	return done_testing();
}
