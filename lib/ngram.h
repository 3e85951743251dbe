/* ngram.h: an n-gram language model over words, with interpolated
 * Kneser-Ney smoothing, for synth-gen markov (sampling) and synth-score
 * --lm (perplexity).
 *
 * Words are those of text_words() (text.h), the words of every synth
 * program: normalised (NFKC, case folded), runs of letters, marks and
 * digits, and the words ICU's dictionaries find in Chinese, Japanese,
 * Thai, Lao, Khmer and Myanmar text. Sampled words are written joined by
 * spaces (none inside those scripts). Each document is padded with order - 1 begin
 * markers and ends with an end marker. The probability of word w after
 * the history h (its last order - 1 words) is, for the highest order,
 *     P(w | h) = max(c(h w) - D, 0) / c(h) + D n(h) / c(h) * P(w | h')
 * with c the counts, n(h) the number of distinct words seen after h,
 * h' the history without its first word, and D the order's discount
 * n1 / (n1 + 2 n2) (Ney's estimate from the numbers of n-grams seen once
 * and twice); a lower order counts, instead of occurrences, the distinct
 * words seen before the n-gram (continuation counts). A history never
 * seen passes its mass to the lower order whole. The unigram level is
 * interpolated with a uniform distribution over the vocabulary and one
 * unknown word, so that no word has probability 0.
 *
 * Contexts are told apart by a 64-bit hash of their words' ids: two
 * contexts with one hash (a chance of about n^2 / 2^65 among n) would
 * share their counts.
 */
#ifndef SYNTH_NGRAM_H
#define SYNTH_NGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "output.h"
#include "prng.h"
#include "strbuf.h"

#define NGRAM_MAX_ORDER 6
#define NGRAM_BOS 0u	/* the begin marker's id */
#define NGRAM_EOS 1u	/* the end marker's id */

struct ngram_ctx {
	uint64_t hash;
	uint64_t total;		/* the sum of its continuations' counts */
	uint32_t first, n;	/* its continuations: cont_w/cont_c[first .. first + n) */
};

struct ngram_level {
	struct ngram_ctx *ctx;	/* sorted by hash */
	size_t nctx;
	uint32_t *cont_w, *cont_c;
	size_t nconts;
	uint32_t *slot;		/* ctx index + 1 by hash; 0 empty */
	size_t scap;
	double discount;
};

struct ngram_model {
	unsigned order;
	/* The vocabulary: word i is text.buf[off[i] .. off[i + 1]); ids 0
	 * and 1 are the markers, with empty text. */
	struct strbuf text;
	uint32_t *off;
	uint32_t nvocab;
	uint64_t *vslot;	/* by word hash: id + 1, and the hash's low half above; 0 empty */
	size_t vcap;
	struct ngram_level level[NGRAM_MAX_ORDER + 1]; /* 2 .. order */
	uint32_t *uni_count;	/* the unigram level's counts, by id */
	double uni_discount;
	double *p_uni;		/* the unigram probabilities, by id */
	double p_unknown;	/* of a word not in the vocabulary */
	uint32_t *uni_order;	/* ids but the begin marker, most probable first */
	uint32_t *lengths;	/* the training documents' lengths in words, sorted */
	uint64_t nlengths, tokens;
};

/* Training: add documents, then finish into a model. */
struct ngram_trainer;
struct ngram_trainer *ngram_trainer_new(unsigned order);
/* Add one document, the valid UTF-8 s[0..n). */
void ngram_train(struct ngram_trainer *t, const char *s, size_t n);
/* Build the model from what was added; frees the trainer. */
void ngram_finish(struct ngram_trainer *t, struct ngram_model *m);

void ngram_release(struct ngram_model *m);

/* The id of a word, or UINT32_MAX when the vocabulary lacks it. */
uint32_t ngram_word_id(const struct ngram_model *m, const char *w, size_t n);

/* The words of the valid UTF-8 s[0..n) as ids (UINT32_MAX for unknown
 * words), appended to *ids (grown as needed). Returns the count added. */
size_t ngram_ids(const struct ngram_model *m, const char *s, size_t n, uint32_t **ids,
		 size_t *len, size_t *cap);

/* P(w | the words hist[0..n)): only the last order - 1 count, and fewer
 * are padded with begin markers. w may be UINT32_MAX (unknown). */
double ngram_prob(const struct ngram_model *m, const uint32_t *hist, size_t n, uint32_t w);

/* The perplexity of the valid UTF-8 s[0..n) under the model: exp of the
 * mean negative log probability of its words and of the end marker after
 * them. *ids (of *cap entries) is scratch, grown as needed. */
double ngram_perplexity(const struct ngram_model *m, const char *s, size_t n, uint32_t **ids,
			size_t *cap);

/* Sampling with a temperature and a nucleus (top-p): the probabilities
 * are raised to 1 / temperature and renormalised, then the most
 * probable words that make up top_p of the mass are kept. Neither
 * marker is ever drawn. Keep one sampler a thread. */
struct ngram_sampler;
struct ngram_sampler *ngram_sampler_new(const struct ngram_model *m, double temperature,
					double top_p);
void ngram_sampler_free(struct ngram_sampler *s);
/* Draw the word after hist[0..n) (as for ngram_prob). */
uint32_t ngram_sample(struct ngram_sampler *s, const uint32_t *hist, size_t n, struct prng *r);

/* A document length, drawn from the training documents' lengths. */
uint64_t ngram_sample_length(const struct ngram_model *m, struct prng *r);

/* The model file: a versioned header, the vocabulary, the levels, the
 * lengths, and an XXH3 checksum of everything before it. */
void ngram_write(const struct ngram_model *m, struct output *out);
/* Read a model from buf[0..n). Returns 0, or -1 with a reason in err
 * ("truncated", "corrupt: ...", "not a synth n-gram model") and m empty.
 * A model has at least one word besides the markers, and holds together
 * as training makes one: its words are UTF-8 text, each listed once, a
 * context's total is its continuations' counts, and the discounts are
 * within training's bounds, so that the probabilities after any history
 * sum to 1 and none is 0. */
int ngram_parse(struct ngram_model *m, const unsigned char *buf, size_t n, struct strbuf *err);
/* Load the model file at path: 0, or -1 after printing an error. */
int ngram_load(struct ngram_model *m, const char *path);

#endif
