/* minhash.h: MinHash signatures over word n-gram shingles, and LSH bands.
 *
 * A shingle is a run of n consecutive words (all the words, when a text
 * has fewer than n), hashed to 64 bits from the words' hashes. Each of
 * the `perms` permutations maps a shingle hash x to
 *     a * lo(x) + c * hi(x) + b   (mod 2^32)
 * with a, c odd and a, b, c drawn from the seed; a text's signature holds
 * the minimum of each over its shingles. For two texts the chance that a
 * permutation's minima agree is (about) the Jaccard similarity of their
 * shingle sets.
 *
 * What is stored of a signature keeps a few bits of each minimum (b-bit
 * MinHash, Li and König 2010): two unequal minima then agree by chance
 * with probability 2^-bits, which the similarity estimate corrects for.
 * LSH cuts the first bands * rows permutations into `bands` bands of
 * `rows`; two texts are candidates when all the rows of some band agree.
 * Those values keep `bits` bits each, enough that a band rarely agrees by
 * chance; the permutations after them serve only the similarity estimate
 * and keep MINHASH_TAIL_BITS each, which buys more of its precision per
 * byte.
 */
#ifndef SYNTH_MINHASH_H
#define SYNTH_MINHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "text.h"

#define MINHASH_MAX_PERMS 1024
#define MINHASH_TAIL_BITS 2

struct minhash {
	unsigned perms;		/* permutations */
	unsigned padded;	/* perms rounded up to a multiple of 16 */
	unsigned bits;		/* bits stored per banded permutation: 4, 8, 16 or 32 */
	unsigned bands, rows;
	unsigned banded;	/* bands * rows */
	size_t head_bytes;	/* bytes of the banded values, a multiple of 8 */
	uint32_t *a, *b, *c;	/* padded coefficients each */
};

/* Set up perms permutations from seed, LSH with the given bands and rows
 * (bands * rows <= perms), and the bits kept of each minimum: enough that
 * one band holds at least min_band_bits bits. */
void minhash_init(struct minhash *mh, unsigned perms, unsigned bands, unsigned rows,
		  unsigned min_band_bits, uint64_t seed);
void minhash_release(struct minhash *mh);

/* Bytes of a stored signature: the banded values at `bits` bits, padded
 * to a multiple of 8 bytes, then the others at MINHASH_TAIL_BITS. */
size_t minhash_layout_bytes(unsigned perms, unsigned banded, unsigned bits);
static inline size_t minhash_sig_bytes(const struct minhash *mh)
{
	return minhash_layout_bytes(mh->perms, mh->banded, mh->bits);
}

/* The 64-bit hashes of the n-word shingles of ws into *buf (grown as
 * needed): one per n consecutive words, one for the whole text when it
 * has fewer than n words, none when it has no words. Returns the count. */
size_t shingle_hashes(const struct words *ws, unsigned n, uint64_t **buf, size_t *cap);

/* The stored signature (minhash_sig_bytes() bytes) of a set of shingle
 * hashes. mins is scratch of mh->padded values. A text without shingles
 * gets the signature of all minima at their maximum, so that texts
 * without words are duplicates of each other. */
void minhash_signature(const struct minhash *mh, const uint64_t *sh, size_t n,
		       uint32_t *mins, unsigned char *sig);

/* Value i of a stored signature, i < banded. */
static inline uint32_t minhash_value(const struct minhash *mh, const unsigned char *sig,
				     unsigned i)
{
	switch (mh->bits) {
	case 4: return (sig[i / 2] >> (4 * (i & 1))) & 15;
	case 8: return sig[i];
	case 16: return (uint32_t)sig[2 * i] | (uint32_t)sig[2 * i + 1] << 8;
	default:
		return (uint32_t)sig[4 * i] | (uint32_t)sig[4 * i + 1] << 8 |
		       (uint32_t)sig[4 * i + 2] << 16 | (uint32_t)sig[4 * i + 3] << 24;
	}
}

/* The estimated Jaccard similarity of two stored signatures, in [0, 1]. */
double minhash_similarity(const struct minhash *mh, const unsigned char *x,
			  const unsigned char *y);

/* The standard deviation of that estimate for texts of similarity j. */
double minhash_estimate_sd(const struct minhash *mh, double j);

/* The estimate at or above which a pair counts as similar when the
 * threshold is t: one standard deviation (at t) below t, so that a pair
 * at the threshold passes with probability about 0.84. */
double minhash_cut(const struct minhash *mh, double t);

/* A 64-bit key of band `band` of a stored signature: equal bands give
 * equal keys. */
uint64_t minhash_band_key(const struct minhash *mh, const unsigned char *sig, unsigned band);

/* The keys of all bands, into keys[0..bands). */
void minhash_band_keys(const struct minhash *mh, const unsigned char *sig, uint64_t *keys);

/* Bands of at most this many bits are read as one number. */
#define MINHASH_BAND_WORD 56

/* The bits of band `band` of a stored signature, as one number, for
 * bands of at most MINHASH_BAND_WORD bits: eight bytes read from within
 * the banded values (head_bytes is a multiple of 8), shifted and masked. */
static inline uint64_t minhash_band_word(const struct minhash *mh, const unsigned char *sig,
					 unsigned band)
{
	size_t width = (size_t)mh->rows * mh->bits, at = band * width, start = at / 8;
	if (start > mh->head_bytes - 8)
		start = mh->head_bytes - 8;
	uint64_t v;
	memcpy(&v, sig + start, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v >> (at - 8 * start) & ((UINT64_C(1) << width) - 1);
}

/* Do band `band` of two stored signatures agree in every row? */
static inline int minhash_band_equal(const struct minhash *mh, const unsigned char *x,
				     const unsigned char *y, unsigned band)
{
	if (mh->rows * mh->bits <= MINHASH_BAND_WORD)
		return minhash_band_word(mh, x, band) == minhash_band_word(mh, y, band);
	for (unsigned r = 0; r < mh->rows; r++) {
		unsigned i = band * mh->rows + r;
		if (minhash_value(mh, x, i) != minhash_value(mh, y, i))
			return 0;
	}
	return 1;
}

/* The chance that LSH makes two texts of Jaccard similarity j candidates:
 * 1 - (1 - j^rows)^bands. */
double lsh_catch_probability(double j, unsigned bands, unsigned rows);

/* The chance that a pair of similarity j is caught: made candidates
 * by LSH and estimated at or above the cut (about: the two are taken
 * as independent and the estimate as normal). */
double minhash_catch_probability(const struct minhash *mh, double j, double cut);

/* The permutations LSH cuts into bands, at most: each band costs index
 * memory for every record, and the estimate needs no more of them. */
#define LSH_MAX_PERMS 128

/* Rows per band for a threshold: the most rows r for which
 * floor(perms / r) bands still catch a pair at the threshold with
 * probability at least 0.95. */
unsigned lsh_rows_for(double threshold, unsigned perms);

#endif
