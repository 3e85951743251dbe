/* fuzz-ngram-model.c: libFuzzer target for the n-gram model files of
 * synth-gen markov --save (ngram_parse()), which synth-gen --load and
 * synth-score --lm read.
 *
 * Each input is read as it is and resealed (see fuzz-file.h). A parse
 * either fails, leaving the model empty, or gives a model that can be
 * used as the programs use it, without a crash and with sane answers:
 *
 *   - every word but the markers is nonempty valid UTF-8 (the generator
 *     writes sampled words into JSON strings), and is found by its text
 *     as itself;
 *   - ngram_prob() is a probability, above 0, after any history, and over
 *     the whole vocabulary and the unknown word the probabilities sum to
 *     1 (checked for small vocabularies), as interpolated Kneser-Ney
 *     gives when each context's total is the sum of its continuations'
 *     counts;
 *   - ngram_perplexity() of a text of known and unknown words is finite
 *     and at least 1;
 *   - samplers, plain and with a temperature and a nucleus, draw words
 *     of the vocabulary and never a marker, and document lengths come
 *     from the training lengths.
 */
#define FUZZ_NAME "fuzz-ngram-model"
#include "fuzz-file.h"

#include <math.h>

#include "json.h"
#include "ngram.h"
#include "prng.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init();
	return 0;
}

/* Vocabularies up to this size have their probabilities summed. */
#define SUM_VOCAB 2048

static const char *word(const struct ngram_model *m, uint32_t id, size_t *len)
{
	*len = m->off[id + 1] - m->off[id];
	return m->text.buf + m->off[id];
}

static void check_words(const struct ngram_model *m)
{
	size_t len;
	for (uint32_t id = 0; id < 2; id++) {
		word(m, id, &len);
		CHECK(len == 0, "the markers have no text");
	}
	for (uint32_t id = 2; id < m->nvocab; id++) {
		const char *w = word(m, id, &len);
		CHECK(len > 0 && utf8_valid(w, len), "a word is nonempty valid UTF-8");
		CHECK(ngram_word_id(m, w, len) == id, "a word's text finds its id");
	}
}

static void check_history(const struct ngram_model *m, const uint32_t *hist, size_t n,
			  const uint8_t *data, size_t size)
{
	uint32_t probe[8] = { 0, 1, 2, m->nvocab - 1, UINT32_MAX };
	size_t nprobe = 5;
	for (size_t i = 0; i < size && nprobe < 8; i += 97)
		probe[nprobe++] = (uint32_t)(data[i] | data[size - 1 - i] << 8) % m->nvocab;
	for (size_t i = 0; i < nprobe; i++) {
		double p = ngram_prob(m, hist, n, probe[i]);
		CHECK(isfinite(p) && p >= 0 && p <= 1 + 1e-9, "ngram_prob is a probability");
		CHECK(probe[i] == NGRAM_BOS || p > 0, "no word has probability 0");
	}
	if (m->nvocab > SUM_VOCAB)
		return;
	double sum = ngram_prob(m, hist, n, UINT32_MAX);
	for (uint32_t w = 0; w < m->nvocab; w++)
		sum += ngram_prob(m, hist, n, w);
	CHECK(fabs(sum - 1) < 1e-6, "the probabilities after a history sum to 1");
}

static void check_perplexity(const struct ngram_model *m)
{
	struct strbuf text = STRBUF_INIT;
	size_t len;
	const char *w = word(m, 2, &len);
	strbuf_add(&text, w, len);
	strbuf_addstr(&text, " \xc3\xa9t\xc3\xa9-inconnu ");
	w = word(m, m->nvocab - 1, &len);
	strbuf_add(&text, w, len);
	uint32_t *ids = NULL;
	size_t cap = 0;
	double ppl = ngram_perplexity(m, text.buf, text.len, &ids, &cap);
	CHECK(isfinite(ppl) && ppl >= 1 - 1e-9, "a perplexity is finite and at least 1");
	ppl = ngram_perplexity(m, "", 0, &ids, &cap);
	CHECK(isfinite(ppl) && ppl >= 1 - 1e-9, "the perplexity of no words is finite too");
	free(ids);
	strbuf_release(&text);
}

static void check_sampler(const struct ngram_model *m, double temperature, double top_p,
			  uint64_t seed)
{
	struct ngram_sampler *s = ngram_sampler_new(m, temperature, top_p);
	struct prng r;
	prng_seed(&r, seed);
	uint32_t hist[12];
	size_t n = 0;
	for (int i = 0; i < 12; i++) {
		uint32_t w = ngram_sample(s, hist, n, &r);
		CHECK(w >= 2 && w < m->nvocab, "a sampled word is a word, never a marker");
		hist[n++] = w;
	}
	ngram_sampler_free(s);
	uint64_t len = ngram_sample_length(m, &r);
	int found = !m->nlengths && len == 0;
	for (uint64_t i = 0; i < m->nlengths && !found; i++)
		found = m->lengths[i] == len;
	CHECK(found, "a document length from the training lengths");
}

static void try_parse(const unsigned char *buf, size_t n, const uint8_t *data, size_t size)
{
	struct ngram_model m;
	struct strbuf err = STRBUF_INIT;
	int rc = ngram_parse(&m, buf, n, &err);
	CHECK(rc == 0 || rc == -1, "ngram_parse returns 0 or -1");
	if (rc) {
		CHECK(err.len > 0, "a failure says why");
		CHECK(m.nvocab == 0 && m.order == 0 && m.off == NULL, "a failed parse leaves it empty");
		strbuf_release(&err);
		return;
	}
	CHECK(err.len == 0, "a success says nothing");
	CHECK(m.order >= 1 && m.order <= NGRAM_MAX_ORDER && m.nvocab >= 3,
	      "an order and a word besides the markers");
	check_words(&m);

	/* Histories: none, one word, and words chosen by the input, with an
	 * unknown one among them. */
	uint32_t hist[NGRAM_MAX_ORDER + 1];
	for (size_t i = 0; i < NGRAM_MAX_ORDER + 1; i++)
		hist[i] = i < size ? data[i] % m.nvocab : 2;
	hist[1] = UINT32_MAX;
	check_history(&m, NULL, 0, data, size);
	check_history(&m, hist + 2, 1, data, size);
	check_history(&m, hist, NGRAM_MAX_ORDER + 1, data, size);
	check_history(&m, hist + 2, NGRAM_MAX_ORDER - 1, data, size);

	check_perplexity(&m);
	check_sampler(&m, 1, 1, size);
	check_sampler(&m, 0.7, 0.9, size + 1);
	check_sampler(&m, 1.5, 1, size + 2);
	ngram_release(&m);
	strbuf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	try_parse(data, size, data, size);
	unsigned char *sealed = fuzz_resealed(data, size);
	if (sealed) {
		try_parse(sealed, size, data, size);
		free(sealed);
	}
	return 0;
}
