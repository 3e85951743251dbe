/* text.h: Unicode text: normalisation and words.
 *
 * Normalised text is NFKC with full case folding (utf8proc). A word is a
 * maximal run of letters, marks and digits (Unicode general categories
 * L*, M* and N*), except in the scripts that do not separate words with
 * spaces (Han, kana, Thai, Lao, Khmer, Myanmar): a run of their letters
 * and marks is split into words by ICU's word break iterator, whose
 * dictionaries find where words end. Text that is plain ASCII takes a fast path
 * that gives the same answer, and so do other code points, found in the
 * tables of unorm.h wherever their neighbours cannot act on them.
 */
#ifndef SYNTH_TEXT_H
#define SYNTH_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "strbuf.h"

/* Append the NFKC case-folded form of the valid UTF-8 s[0..n) to out. */
void text_normalize(const char *s, size_t n, struct strbuf *out);

/* A word: its bytes in a normalised buffer. */
struct word {
	size_t off, len;
};

/* The words of one text. Owns its buffers; reuse it from record to
 * record to avoid allocation. */
struct words {
	struct strbuf norm;	/* the normalised text */
	struct word *w;
	size_t n, cap;
	int32_t *scratch;	/* code points, for utf8proc */
	size_t scratch_cap;
	/* ICU's word break iterator and the text it reads, for the
	 * scripts without spaces; made on first use. */
	struct UBreakIterator *brk;
	struct UText *ut;
	int brk_failed;
};

void words_init(struct words *ws);
void words_release(struct words *ws);

/* Normalise the valid UTF-8 s[0..n) into ws->norm and list its words.
 * WORDS_SLACK zero bytes follow the text in ws->norm. */
void text_words(const char *s, size_t n, struct words *ws);

#define WORDS_SLACK 16

/* How many words the valid UTF-8 s[0..n) holds, by the rules of
 * text_words() applied to the text as it is, without normalisation: the
 * same count for ASCII (found without listing the words) and for any
 * text without compatibility characters (NFKC can split a ligature or
 * join a letter to a mark). ws is scratch. */
size_t text_count_words(const char *s, size_t n, struct words *ws);

/* Normalisation presets for comparing texts (synth-dedup --normalize):
 * NORM_FULL is text_words(); NORM_NFKC applies NFKC without case folding
 * and NORM_WS and NORM_NONE leave the text as it is; those three take as
 * words the runs of characters between Unicode White_Space. */
enum text_norm { NORM_NONE, NORM_WS, NORM_NFKC, NORM_FULL };

void text_words_as(const char *s, size_t n, enum text_norm how, struct words *ws);

/* Append words [from, to) of ws to out, one space between each two; all
 * of them (0, ws->n) make the normalised text with white space folded. */
void words_join(const struct words *ws, size_t from, size_t to, struct strbuf *out);

/* Append the text s[0..n) under a preset to out: its words joined by
 * single spaces, or (NORM_NONE) the text as it is. What --exact hashes.
 * ws is scratch; plain ASCII under NORM_FULL needs none. */
void text_joined(const char *s, size_t n, enum text_norm how, struct words *ws,
		 struct strbuf *out);

/* The first 16 bytes of word i, zero-padded, as two 64-bit values: what
 * the vocabulary keeps to tell words apart without a memcmp. Valid after
 * text_words(). */
static inline void words_prefix(const struct words *ws, size_t i, uint64_t pre[2])
{
	const char *p = ws->norm.buf + ws->w[i].off;
	size_t len = ws->w[i].len;
	memcpy(&pre[0], p, 8);
	memcpy(&pre[1], p + 8, 8);
	if (len < 16) {
		/* Clear the bytes past the word (little-endian order). */
		if (len < 8) {
			pre[0] &= len ? ~0ull >> (64 - 8 * len) : 0;
			pre[1] = 0;
		} else {
			pre[1] &= len > 8 ? ~0ull >> (64 - 8 * (len - 8)) : 0;
		}
	}
}

/* The 64-bit hash of word i: a mix of its prefix for words of up to 16
 * bytes, XXH3 beyond. Every program hashes words this way. */
static inline uint64_t words_hash(const struct words *ws, size_t i, const uint64_t pre[2])
{
	/* mix64(0x9e3779b97f4a7c15 * (len + 1)): the inner mix of a word of
	 * fewer than 8 bytes, whose second half is 0, by its length. */
	static const uint64_t short_mix[8] = {
		0xe220a8397b1dcdafull, 0x6e789e6aa1b965f4ull, 0x06c45d188009454full,
		0xf88bb8a8724c81ecull, 0x1b39896a51a8749bull, 0x53cb9f0c747ea2eaull,
		0x2c829abe1f4532e1ull, 0xc584133ac916ab3cull,
	};
	size_t len = ws->w[i].len;
	if (len < 8)
		return mix64(pre[0] ^ short_mix[len]);
	if (len > 16)
		return hash64(ws->norm.buf + ws->w[i].off, len, 0);
	return mix64(pre[0] ^ mix64(pre[1] + 0x9e3779b97f4a7c15ull * (len + 1)));
}

/* List the words of ws->norm as it stands (already normalised). The
 * generic path, without the ASCII shortcut; tests compare the two. */
void text_split_words(struct words *ws, int ascii_fast_path);

/* The length in bytes of the Unicode White_Space character at s[0..n),
 * n > 0; 0 when it is none. */
size_t text_space_at(const char *s, size_t n);

/* Number of code points in the valid UTF-8 s[0..n). */
size_t utf8_count(const char *s, size_t n);

/* Is the code point a letter of a script whose words a dictionary
 * finds (Han, kana, Thai, Lao, Khmer, Myanmar)? */
int is_dictionary_letter(int32_t cp);

/* Whether two words written one after the other need a space between
 * them: not when the first ends and the second starts with a character
 * of a script written without spaces (Han, kana, Thai, Lao, Khmer,
 * Myanmar), as in Japanese. */
int words_need_space(const char *a, size_t an, const char *b, size_t bn);

#endif
