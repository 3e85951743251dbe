/* tokenizer.h: the token ids of a text under the tokenizer of a model.
 *
 * Training data is budgeted in tokens of the model's own tokenizer, so
 * `--tokenizer FILE` reads the files people have and gives exactly the
 * ids their reference implementations give:
 *
 *  - a Hugging Face tokenizer.json with a byte-level BPE model (GPT-2,
 *    Llama 3, Qwen): added tokens found first (the longest at each
 *    place, as transformers.js does), an NFC normalizer if it names one,
 *    the pre-tokenizer's split pattern run through PCRE2, bytes merged by
 *    the rank of their pair in the merges list (ignore_merges honoured).
 *    The ids are those of encode(text) without the tokens a template adds
 *    around a document (no <|begin_of_text|>);
 *  - a tiktoken rank file (one "base64-token rank" a line): r50k_base,
 *    p50k_base, cl100k_base and o200k_base, told apart by their number
 *    of ranks, each with its published split pattern; the text is
 *    encoded as ordinary text (a special token's spelling in a document
 *    is text, as tiktoken's encode_ordinary has it);
 *  - a SentencePiece .model (unigram or BPE, byte fallback or not),
 *    through Debian's libsentencepiece (lib/tokenizer_spm.cc), the
 *    library spm_encode uses: its ids are spm_encode's.
 *
 * The split patterns are written for JavaScript regular expressions (as
 * the reference implementations run them); tokenizer.c turns them into
 * PCRE2 patterns that match the same (\s is JavaScript's white space, a
 * (?i:...) group spells out both cases of its ASCII letters).
 *
 * Text that is not valid UTF-8 is read as a WHATWG decoder reads it:
 * each maximal invalid part stands for U+FFFD.
 *
 * A tokenizer is immutable once loaded and may be shared by threads;
 * each thread encodes through a tokenizer_run of its own, which keeps a
 * cache of pre-tokens (words with their space) and their ids, so that a
 * word seen before costs one lookup.
 */
#ifndef SYNTH_TOKENIZER_H
#define SYNTH_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;
struct tokenizer;
struct tokenizer_run;

/* Token ids, owned by the struct: token_ids_release() frees them. */
struct token_ids {
	uint32_t *id;
	size_t n, cap;
};

#define TOKEN_IDS_INIT { NULL, 0, 0 }

void token_ids_release(struct token_ids *ids);

/* Load the tokenizer file at path. Returns the tokenizer (the caller
 * frees it with tokenizer_free), or NULL with the reason appended to err
 * ("tokenizer.json: pre-tokenizer Metaspace is not supported; ..."); the
 * reason does not name the file. */
struct tokenizer *tokenizer_load(const char *path, struct strbuf *err);

/* The same from the file's bytes in memory (which are not kept). */
struct tokenizer *tokenizer_load_mem(const char *p, size_t n, struct strbuf *err);

/* --tokenizer FILE: tokenizer_load, or die with the file and the
 * reason ("synth-stats: llama.json: model WordPiece is not supported"). */
struct tokenizer *tokenizer_load_or_die(const char *path);

/* What --help says of --tokenizer in every program. */
#define TOKENIZER_OPTION_HELP "count tokens of FILE's tokenizer (tokenizer.json, tiktoken, SentencePiece)"

/* NULL-safe. */
void tokenizer_free(struct tokenizer *t);

/* What was loaded, for messages and reports: "tokenizer.json byte-level
 * BPE", "tiktoken cl100k_base". Owned by t. */
const char *tokenizer_name(const struct tokenizer *t);

/* A hash of the bytes of the file t was loaded from, never 0: two runs
 * count with the same tokenizer when their fingerprints are equal (the
 * state files of synth-stats --partial keep it with their counts). */
uint64_t tokenizer_fingerprint(const struct tokenizer *t);

/* A thread's state for encoding with t, which must outlive it. */
struct tokenizer_run *tokenizer_run_new(const struct tokenizer *t);
void tokenizer_run_free(struct tokenizer_run *r);

/* The number of tokens of text s[0..n). */
uint64_t tokenizer_count(struct tokenizer_run *r, const char *s, size_t n);

/* The ids of text s[0..n) into out, which is emptied first. */
void tokenizer_encode(struct tokenizer_run *r, const char *s, size_t n, struct token_ids *out);

#endif
