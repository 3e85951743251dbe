/* minhash.c: MinHash signatures and LSH bands; see minhash.h. */
#include "minhash.h"

#include <math.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"
#include "hash.h"
#include "prng.h"

/* The multiplier of the rolling shingle hash. */
#define ROLL 0x9e3779b97f4a7c15ull

void minhash_init(struct minhash *mh, unsigned perms, unsigned bands, unsigned rows,
		  unsigned min_band_bits, uint64_t seed)
{
	if (!perms || perms > MINHASH_MAX_PERMS || !bands || !rows || (size_t)bands * rows > perms)
		BUG("minhash_init: %u perms, %u bands of %u rows", perms, bands, rows);
	memset(mh, 0, sizeof(*mh));
	mh->perms = perms;
	mh->padded = (perms + 15) & ~15u;
	mh->bands = bands;
	mh->rows = rows;
	mh->banded = bands * rows;
	mh->bits = 4;
	while (mh->bits < 32 && mh->bits * rows < min_band_bits)
		mh->bits *= 2;
	mh->head_bytes = minhash_layout_bytes(mh->banded, mh->banded, mh->bits);
	mh->a = xcalloc(mh->padded, sizeof(*mh->a));
	mh->b = xcalloc(mh->padded, sizeof(*mh->b));
	mh->c = xcalloc(mh->padded, sizeof(*mh->c));
	struct prng rng;
	prng_seed(&rng, seed ^ 0x6d696e68617368ull); /* "minhash" */
	for (unsigned i = 0; i < mh->padded; i++) {
		uint64_t r = prng_next(&rng);
		mh->a[i] = (uint32_t)r | 1;
		mh->c[i] = (uint32_t)(r >> 32) | 1;
		mh->b[i] = (uint32_t)prng_next(&rng);
	}
}

void minhash_release(struct minhash *mh)
{
	free(mh->a);
	free(mh->b);
	free(mh->c);
	memset(mh, 0, sizeof(*mh));
}

size_t shingle_hashes(const struct words *ws, unsigned n, uint64_t **buf, size_t *cap)
{
	size_t nw = ws->n;
	if (!nw)
		return 0;
	if (*cap < nw) {
		*cap = grow_capacity(*cap, nw, 256);
		free(*buf);
		*buf = xreallocarray(NULL, *cap, sizeof(**buf));
	}
	uint64_t *h = *buf;
	for (size_t i = 0; i < nw; i++) {
		uint64_t pre[2];
		words_prefix(ws, i, pre);
		h[i] = words_hash(ws, i, pre);
	}
	if (nw < n)
		n = (unsigned)nw;
	/* A polynomial in ROLL over the word hashes of the window, updated
	 * as the window slides, then mixed: each shingle costs the same
	 * however long it is. The hashes are overwritten in place; the one
	 * leaving the window is read before its slot is written. */
	uint64_t top = 1, sum = 0;
	for (unsigned j = 0; j < n; j++) {
		sum = sum * ROLL + h[j];
		if (j)
			top *= ROLL;
	}
	size_t count = nw - n + 1;
	for (size_t i = 0; i < count; i++) {
		uint64_t leaving = h[i];
		h[i] = mix64(sum ^ n);
		if (i + 1 < count)
			sum = (sum - leaving * top) * ROLL + h[i + n];
	}
	return count;
}

/* Sixteen permutations at a time, as two vectors of eight lanes: the
 * portable path, which GCC's vector extensions make SSE2 code of. */
typedef uint32_t v8u __attribute__((vector_size(32), aligned(4)));

/* The minima of every permutation over the shingles: for each block of
 * sixteen permutations, one pass over the shingles with the coefficients
 * and the running minima in registers. */
static void minima_portable(const struct minhash *mh, const uint64_t *sh, size_t n,
			    uint32_t *restrict mins)
{
	for (unsigned blk = 0; blk < mh->padded; blk += 16) {
		/* The coefficient arrays hold padded values each. */
		v8u a0 = *(const v8u *)(mh->a + blk), a1 = *(const v8u *)(mh->a + blk + 8);
		v8u b0 = *(const v8u *)(mh->b + blk), b1 = *(const v8u *)(mh->b + blk + 8);
		v8u c0 = *(const v8u *)(mh->c + blk), c1 = *(const v8u *)(mh->c + blk + 8);
		v8u m0 = ~(v8u){ 0 }, m1 = m0;
		for (size_t s = 0; s < n; s++) {
			uint32_t lo = (uint32_t)sh[s], hi = (uint32_t)(sh[s] >> 32);
			v8u v0 = a0 * lo + c0 * hi + b0, v1 = a1 * lo + c1 * hi + b1;
			/* The lanes where v < m are all ones: the minimum. */
			v8u l0 = (v8u)(v0 < m0), l1 = (v8u)(v1 < m1);
			m0 = (v0 & l0) | (m0 & ~l0);
			m1 = (v1 & l1) | (m1 & ~l1);
		}
		memcpy(mins + blk, &m0, sizeof(m0));
		memcpy(mins + blk + 8, &m1, sizeof(m1));
	}
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same with the unsigned minimum instruction, which the vector
 * extensions cannot express (they spell it as a compare and three bit
 * operations), on AVX2 and, sixteen lanes a vector, AVX-512. This loop
 * is most of the work of near-duplicate detection. */
__attribute__((target("avx2")))
static void minima_avx2(const struct minhash *mh, const uint64_t *sh, size_t n,
			uint32_t *restrict mins)
{
	for (unsigned blk = 0; blk < mh->padded; blk += 16) {
		__m256i a0 = _mm256_loadu_si256((const __m256i *)(mh->a + blk));
		__m256i a1 = _mm256_loadu_si256((const __m256i *)(mh->a + blk + 8));
		__m256i b0 = _mm256_loadu_si256((const __m256i *)(mh->b + blk));
		__m256i b1 = _mm256_loadu_si256((const __m256i *)(mh->b + blk + 8));
		__m256i c0 = _mm256_loadu_si256((const __m256i *)(mh->c + blk));
		__m256i c1 = _mm256_loadu_si256((const __m256i *)(mh->c + blk + 8));
		__m256i m0 = _mm256_set1_epi32(-1), m1 = m0;
		for (size_t s = 0; s < n; s++) {
			__m256i lo = _mm256_set1_epi32((int)(uint32_t)sh[s]);
			__m256i hi = _mm256_set1_epi32((int)(uint32_t)(sh[s] >> 32));
			__m256i v0 = _mm256_add_epi32(_mm256_add_epi32(_mm256_mullo_epi32(a0, lo),
								       _mm256_mullo_epi32(c0, hi)), b0);
			__m256i v1 = _mm256_add_epi32(_mm256_add_epi32(_mm256_mullo_epi32(a1, lo),
								       _mm256_mullo_epi32(c1, hi)), b1);
			m0 = _mm256_min_epu32(m0, v0);
			m1 = _mm256_min_epu32(m1, v1);
		}
		_mm256_storeu_si256((__m256i *)(mins + blk), m0);
		_mm256_storeu_si256((__m256i *)(mins + blk + 8), m1);
	}
}

/* Thirty-two permutations a pass where two blocks remain: two chains of
 * minima, and the shingle's halves broadcast once for both. */
__attribute__((target("avx512f")))
static void minima_avx512(const struct minhash *mh, const uint64_t *sh, size_t n,
			  uint32_t *restrict mins)
{
	unsigned blk = 0;
	for (; blk + 32 <= mh->padded; blk += 32) {
		__m512i a0 = _mm512_loadu_si512(mh->a + blk), a1 = _mm512_loadu_si512(mh->a + blk + 16);
		__m512i b0 = _mm512_loadu_si512(mh->b + blk), b1 = _mm512_loadu_si512(mh->b + blk + 16);
		__m512i c0 = _mm512_loadu_si512(mh->c + blk), c1 = _mm512_loadu_si512(mh->c + blk + 16);
		__m512i m0 = _mm512_set1_epi32(-1), m1 = m0;
		for (size_t s = 0; s < n; s++) {
			__m512i lo = _mm512_set1_epi32((int)(uint32_t)sh[s]);
			__m512i hi = _mm512_set1_epi32((int)(uint32_t)(sh[s] >> 32));
			__m512i v0 = _mm512_add_epi32(_mm512_add_epi32(_mm512_mullo_epi32(a0, lo),
								       _mm512_mullo_epi32(c0, hi)), b0);
			__m512i v1 = _mm512_add_epi32(_mm512_add_epi32(_mm512_mullo_epi32(a1, lo),
								       _mm512_mullo_epi32(c1, hi)), b1);
			m0 = _mm512_min_epu32(m0, v0);
			m1 = _mm512_min_epu32(m1, v1);
		}
		_mm512_storeu_si512(mins + blk, m0);
		_mm512_storeu_si512(mins + blk + 16, m1);
	}
	if (blk < mh->padded) {
		__m512i a = _mm512_loadu_si512(mh->a + blk), b = _mm512_loadu_si512(mh->b + blk);
		__m512i c = _mm512_loadu_si512(mh->c + blk), m = _mm512_set1_epi32(-1);
		for (size_t s = 0; s < n; s++) {
			__m512i lo = _mm512_set1_epi32((int)(uint32_t)sh[s]);
			__m512i hi = _mm512_set1_epi32((int)(uint32_t)(sh[s] >> 32));
			m = _mm512_min_epu32(m, _mm512_add_epi32(_mm512_add_epi32(
				_mm512_mullo_epi32(a, lo), _mm512_mullo_epi32(c, hi)), b));
		}
		_mm512_storeu_si512(mins + blk, m);
	}
}
#endif

/* The widest of the three that the processor runs. */
static void signature_minima(const struct minhash *mh, const uint64_t *sh, size_t n,
			     uint32_t *restrict mins)
{
#if defined(__x86_64__) && defined(__GNUC__)
	if (__builtin_cpu_supports("avx512f"))
		return minima_avx512(mh, sh, n, mins);
	if (__builtin_cpu_supports("avx2"))
		return minima_avx2(mh, sh, n, mins);
#endif
	minima_portable(mh, sh, n, mins);
}

/* What is stored of a minimum: its top bits after a multiply, which
 * spreads every bit of the minimum over them. */
static inline uint32_t stored_bits(uint32_t v, unsigned bits)
{
	v *= 0x9e3779b1u;
	return bits == 32 ? v : v >> (32 - bits);
}

size_t minhash_layout_bytes(unsigned perms, unsigned banded, unsigned bits)
{
	size_t head = ((size_t)banded * bits + 63) / 64 * 8;
	return head + ((size_t)(perms - banded) * MINHASH_TAIL_BITS + 7) / 8;
}

void minhash_signature(const struct minhash *mh, const uint64_t *sh, size_t n,
		       uint32_t *mins, unsigned char *sig)
{
	signature_minima(mh, sh, n, mins);
	memset(sig, 0, minhash_sig_bytes(mh));
	unsigned char *tail = sig + mh->head_bytes;
	for (unsigned i = mh->banded; i < mh->perms; i++) {
		unsigned k = (i - mh->banded) * MINHASH_TAIL_BITS;
		tail[k / 8] |= (unsigned char)(stored_bits(mins[i], MINHASH_TAIL_BITS) << (k % 8));
	}
	unsigned i = 0;
	switch (mh->bits) {
	case 4:
		for (; i + 1 < mh->banded; i += 2)
			sig[i / 2] = (unsigned char)(stored_bits(mins[i], 4) |
						     stored_bits(mins[i + 1], 4) << 4);
		if (i < mh->banded)
			sig[i / 2] = (unsigned char)stored_bits(mins[i], 4);
		break;
	case 8:
		for (; i < mh->banded; i++)
			sig[i] = (unsigned char)stored_bits(mins[i], 8);
		break;
	default:
		for (; i < mh->banded; i++) {
			uint32_t v = stored_bits(mins[i], mh->bits);
			for (unsigned k = 0; k < mh->bits / 8; k++)
				sig[mh->bits / 8 * i + k] = (unsigned char)(v >> (8 * k));
		}
	}
}

/* How many of the `bits`-bit fields of x are not zero. */
static inline unsigned nonzero_fields(uint64_t x, unsigned bits)
{
	for (unsigned s = 1; s < bits; s *= 2)
		x |= x >> s;
	uint64_t low = bits == 2 ? 0x5555555555555555ull :
		       bits == 4 ? 0x1111111111111111ull : bits == 8 ? 0x0101010101010101ull :
		       bits == 16 ? 0x0001000100010001ull : 0x0000000100000001ull;
	return (unsigned)__builtin_popcountll(x & low);
}

/* The number of a signature's fields expected to agree by chance alone
 * between unrelated texts. */
static double chance_agreements(const struct minhash *mh)
{
	return mh->banded * ldexp(1.0, -(int)mh->bits) +
	       (mh->perms - mh->banded) * ldexp(1.0, -MINHASH_TAIL_BITS);
}

__attribute__((target_clones("popcnt", "default")))
double minhash_similarity(const struct minhash *mh, const unsigned char *x,
			  const unsigned char *y)
{
	/* Eight bytes at a time; padding is zero in both, so it counts as
	 * agreeing fields, which count for nothing. */
	size_t n = minhash_sig_bytes(mh);
	unsigned differ = 0;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t u = 0, v = 0;
		size_t k = n - i < 8 ? n - i : 8;
		memcpy(&u, x + i, k);
		memcpy(&v, y + i, k);
		differ += nonzero_fields(u ^ v, i < mh->head_bytes ? mh->bits : MINHASH_TAIL_BITS);
	}
	/* Each field agrees with probability j + (1 - j) * chance: the
	 * pooled count, less what chance explains, over what it leaves. */
	double chance = chance_agreements(mh);
	double j = ((double)(mh->perms - differ) - chance) / ((double)mh->perms - chance);
	return j < 0 ? 0 : j > 1 ? 1 : j;
}

double minhash_estimate_sd(const struct minhash *mh, double j)
{
	double ca = ldexp(1.0, -(int)mh->bits), cb = ldexp(1.0, -MINHASH_TAIL_BITS);
	double pa = j + (1 - j) * ca, pb = j + (1 - j) * cb;
	double var = mh->banded * pa * (1 - pa) + (mh->perms - mh->banded) * pb * (1 - pb);
	return sqrt(var) / ((double)mh->perms - chance_agreements(mh));
}

double minhash_cut(const struct minhash *mh, double t)
{
	return t - minhash_estimate_sd(mh, t);
}

double minhash_catch_probability(const struct minhash *mh, double j, double cut)
{
	double sd = minhash_estimate_sd(mh, j);
	double pass = sd > 0 ? 0.5 * erfc((cut - j) / (sd * sqrt(2.0))) : j >= cut;
	return lsh_catch_probability(j, mh->bands, mh->rows) * pass;
}

uint64_t minhash_band_key(const struct minhash *mh, const unsigned char *sig, unsigned band)
{
	uint64_t k = mix64(band + 1), acc = 0;
	if (mh->rows * mh->bits <= MINHASH_BAND_WORD)
		return mix64(k ^ minhash_band_word(mh, sig, band));
	/* A wider band's values, packed 32 bits at a time, mixed in. */
	unsigned filled = 0;
	for (unsigned r = 0; r < mh->rows; r++) {
		acc = acc << mh->bits | minhash_value(mh, sig, band * mh->rows + r);
		filled += mh->bits;
		if (filled >= 32) {
			k = mix64(k ^ acc);
			acc = 0;
			filled = 0;
		}
	}
	return filled ? mix64(k ^ acc ^ (uint64_t)filled << 56) : k;
}

void minhash_band_keys(const struct minhash *mh, const unsigned char *sig, uint64_t *keys)
{
	for (unsigned b = 0; b < mh->bands; b++)
		keys[b] = minhash_band_key(mh, sig, b);
}

double lsh_catch_probability(double j, unsigned bands, unsigned rows)
{
	return 1 - pow(1 - pow(j, rows), bands);
}

unsigned lsh_rows_for(double threshold, unsigned perms)
{
	for (unsigned r = perms; r > 1; r--)
		if (lsh_catch_probability(threshold, perms / r, r) >= 0.95)
			return r;
	return 1;
}
