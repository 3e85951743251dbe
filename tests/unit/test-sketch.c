/* test-sketch.c: HyperLogLog, the PRNG, base64, strbuf and hashing. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "hash.h"
#include "hll.h"
#include "prng.h"
#include "strbuf.h"
#include "unit.h"

#define LIT(s) (s), (sizeof(s) - 1)

static double hll_of(unsigned p, uint64_t from, uint64_t to, struct hll *h)
{
	hll_init(h, p);
	for (uint64_t i = from; i < to; i++)
		hll_add(h, mix64(i));
	return hll_estimate(h);
}

static void test_hll_accuracy(void)
{
	static const uint64_t counts[] = { 1000, 100000, 1000000 };
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		struct hll h;
		double n = (double)counts[i];
		double e = hll_of(16, 0, counts[i], &h);
		ok(fabs(e - n) / n < 0.02, "hll p=16: %.0f distinct estimated as %.1f (within 2%%)", n, e);
		/* Adding every item again changes nothing. */
		for (uint64_t k = 0; k < counts[i]; k++)
			hll_add(&h, mix64(k));
		ok(hll_estimate(&h) == e, "hll p=16: duplicates do not count");
		hll_release(&h);
	}

	struct hll h;
	double e = hll_of(16, 0, 0, &h);
	ok(e == 0, "hll: an empty sketch estimates 0 (%g)", e);
	hll_release(&h);
	e = hll_of(16, 0, 1, &h);
	ok(fabs(e - 1) < 0.01, "hll: one item estimates 1 (%g)", e);
	hll_release(&h);
	e = hll_of(16, 0, 10, &h);
	ok(fabs(e - 10) < 0.1, "hll: ten items estimate 10 (%g)", e);
	hll_release(&h);
	e = hll_of(16, 0, 100, &h);
	ok(fabs(e - 100) < 1, "hll: a hundred items estimate 100 (%g)", e);
	hll_release(&h);

	/* Coarser sketches, looser bounds: about 3.5 standard errors. */
	e = hll_of(12, 0, 200000, &h);
	ok(fabs(e - 200000) / 200000 < 0.055, "hll p=12: 200000 estimated as %.0f", e);
	hll_release(&h);
	e = hll_of(4, 1000, 2000, &h);
	ok(fabs(e - 1000) / 1000 < 0.9, "hll p=4: 1000 estimated as %.0f", e);
	hll_release(&h);
	e = hll_of(18, 0, 3000000, &h);
	ok(fabs(e - 3e6) / 3e6 < 0.01, "hll p=18: 3000000 estimated as %.0f", e);
	hll_release(&h);

	/* The largest rank: a hash whose bits after the index are all zero. */
	hll_init(&h, 16);
	hll_add(&h, 0);
	hll_add(&h, 0xFFFF000000000000ull);
	ok(h.reg[0] == 64 - 16 + 1 && h.reg[0xFFFF] == 64 - 16 + 1, "hll: the largest rank is 65 - p");
	hll_add(&h, 0x0001FFFFFFFFFFFFull);
	ok(h.reg[1] == 1, "hll: a hash with the top bit after the index set has rank 1");
	hll_add(&h, 0x0002000000000001ull);
	ok(h.reg[2] == 48, "hll: rank counts the leading zeros after the index");
	e = hll_estimate(&h);
	ok(isfinite(e) && e > 2 && e < 6, "hll: the largest rank gives a finite estimate (%g)", e);
	hll_release(&h);
}

static void test_hll_merge(void)
{
	struct hll whole, a, b;
	double ew = hll_of(14, 0, 300000, &whole);
	hll_of(14, 0, 150000, &a);
	hll_of(14, 150000, 300000, &b);
	hll_merge(&a, &b);
	ok(!memcmp(a.reg, whole.reg, (size_t)1 << 14), "hll: merged halves have the registers of the whole");
	ok(hll_estimate(&a) == ew, "hll: merged halves estimate as the whole (%.0f)", ew);
	hll_release(&a);
	hll_release(&b);

	/* Interleaved halves, merged the other way round, with overlap. */
	hll_init(&a, 14);
	hll_init(&b, 14);
	for (uint64_t i = 0; i < 300000; i++) {
		hll_add(i % 2 ? &a : &b, mix64(i));
		if (i % 10 == 0)
			hll_add(i % 2 ? &b : &a, mix64(i));
	}
	hll_merge(&b, &a);
	ok(!memcmp(b.reg, whole.reg, (size_t)1 << 14), "hll: overlapping interleaved parts merge to the whole");
	hll_merge(&b, &whole);
	ok(!memcmp(b.reg, whole.reg, (size_t)1 << 14), "hll: merging is idempotent");
	hll_release(&a);
	hll_release(&b);

	struct hll empty;
	hll_init(&empty, 14);
	hll_merge(&empty, &whole);
	ok(hll_estimate(&empty) == ew, "hll: merging into an empty sketch copies it");
	hll_release(&empty);
	hll_release(&whole);
}

static void test_prng(void)
{
	/* Reference values computed from the published algorithms
	 * (SplitMix64 seeding, xoshiro256**). */
	static const uint64_t seed0[] = { 0x99ec5f36cb75f2b4ull, 0xbf6e1f784956452aull,
					  0x1a5f849d4933e6e0ull, 0x6aa594f1262d2d2cull };
	static const uint64_t seed42[] = { 0x15780b2e0c2ec716ull, 0x6104d9866d113a7eull,
					   0xae17533239e499a1ull, 0xecb8ad4703b360a1ull };
	struct prng r, r2;
	int same0 = 1, same42 = 1;
	prng_seed(&r, 0);
	for (int i = 0; i < 4; i++)
		same0 &= prng_next(&r) == seed0[i];
	prng_seed(&r, 42);
	for (int i = 0; i < 4; i++)
		same42 &= prng_next(&r) == seed42[i];
	ok(same0, "prng: seed 0 gives xoshiro256** of SplitMix64");
	ok(same42, "prng: seed 42 gives xoshiro256** of SplitMix64");

	prng_seed(&r, 12345);
	prng_seed(&r2, 12345);
	int same = 1;
	for (int i = 0; i < 10000; i++)
		same &= prng_next(&r) == prng_next(&r2);
	ok(same, "prng: the same seed gives the same sequence");

	prng_seed(&r, 1);
	prng_seed(&r2, 2);
	int equal = 0;
	for (int i = 0; i < 1000; i++)
		equal += prng_next(&r) == prng_next(&r2);
	ok(equal == 0, "prng: seeds 1 and 2 give different sequences");

	/* prng_uniform: in [0, 1), mean near 1/2. */
	prng_seed(&r, 7);
	int in_range = 1;
	double sum = 0;
	for (int i = 0; i < 100000; i++) {
		double u = prng_uniform(&r);
		in_range &= u >= 0 && u < 1;
		sum += u;
	}
	ok(in_range, "prng_uniform stays in [0, 1)");
	ok(fabs(sum / 100000 - 0.5) < 0.005, "prng_uniform has mean 1/2 (%.4f)", sum / 100000);

	/* prng_below: in range, uniform by a chi-square test. */
	static const uint64_t bounds[] = { 1, 2, 3, 7, 10, 1000, (1ull << 63) + 1, UINT64_MAX };
	prng_seed(&r, 99);
	for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
		int inside = 1;
		for (int i = 0; i < 10000; i++)
			inside &= prng_below(&r, bounds[b]) < bounds[b];
		ok(inside, "prng_below(%llu) stays below its bound", (unsigned long long)bounds[b]);
	}
	enum { K = 10, DRAWS = 100000 };
	unsigned hist[K] = { 0 };
	prng_seed(&r, 2024);
	for (int i = 0; i < DRAWS; i++)
		hist[prng_below(&r, K)]++;
	double chi2 = 0, expect = (double)DRAWS / K;
	for (int k = 0; k < K; k++)
		chi2 += (hist[k] - expect) * (hist[k] - expect) / expect;
	/* 9 degrees of freedom: 27.9 is the 0.1% tail. */
	ok(chi2 < 27.9, "prng_below(10) is uniform: chi-square %.2f", chi2);

	/* A bound of 3 * 2^62: taking the remainder without rejection would
	 * put half the draws below 2^62 instead of a third. */
	uint64_t big = 3ull << 62;
	int low = 0;
	for (int i = 0; i < 30000; i++)
		low += prng_below(&r, big) < (1ull << 62);
	ok(fabs(low / 30000.0 - 1.0 / 3) < 0.015, "prng_below(3 * 2^62) has no modulo bias (%.4f)",
	   low / 30000.0);
}

static void base64_is(const char *in, size_t n, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, ">");
	base64_encode(&sb, in, n);
	ok(sb.len == 1 + strlen(want) && !strcmp(sb.buf + 1, want) && sb.buf[0] == '>',
	   "base64 of %zu bytes is \"%s\" (got \"%s\")", n, want, sb.buf + 1);
	strbuf_release(&sb);
}

static void test_base64(void)
{
	/* RFC 4648, section 10. */
	base64_is(LIT(""), "");
	base64_is(LIT("f"), "Zg==");
	base64_is(LIT("fo"), "Zm8=");
	base64_is(LIT("foo"), "Zm9v");
	base64_is(LIT("foob"), "Zm9vYg==");
	base64_is(LIT("fooba"), "Zm9vYmE=");
	base64_is(LIT("foobar"), "Zm9vYmFy");
	/* Every sextet value, and bytes with the high bit set. */
	base64_is(LIT("\x00\x10\x83\x10\x51\x87\x20\x92\x8b\x30\xd3\x8f\x41\x14\x93\x51\x55\x97"
		      "\x61\x96\x9b\x71\xd7\x9f\x82\x18\xa3\x92\x59\xa7\xa2\x9a\xab\xb2\xdb\xaf"
		      "\xc3\x1c\xb3\xd3\x5d\xb7\xe3\x9e\xbb\xf3\xdf\xbf"),
		  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
	base64_is(LIT("\xff\xfe"), "//4=");
	base64_is(LIT("\0"), "AA==");
	base64_is(LIT("\0\0\0"), "AAAA");
}

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;
	ok(sb.len == 0 && sb.buf[0] == '\0', "STRBUF_INIT is empty and NUL-terminated");
	strbuf_reset(&sb);
	strbuf_setlen(&sb, 0);
	ok(sb.len == 0 && sb.buf[0] == '\0', "reset and setlen of an unallocated strbuf");
	strbuf_addf(&sb, "%s", "");
	ok(sb.len == 0 && sb.buf[0] == '\0', "strbuf_addf of nothing");

	/* Output of every length across the first few growths, after
	 * prefixes of every length: each boundary of the buffer is hit. */
	char big[700];
	for (int i = 0; i < (int)sizeof(big); i++)
		big[i] = (char)('a' + i % 26);
	int good = 1;
	for (int pre = 0; pre < 140 && good; pre += 3) {
		for (int n = 0; n < (int)sizeof(big); n++) {
			struct strbuf t = STRBUF_INIT;
			strbuf_add(&t, big, (size_t)pre);
			strbuf_addf(&t, "%.*s", n, big);
			if (t.len != (size_t)(pre + n) || memcmp(t.buf, big, (size_t)pre) ||
			    memcmp(t.buf + pre, big, (size_t)n) || t.buf[t.len] != '\0' || t.cap <= t.len)
				good = 0;
			strbuf_release(&t);
		}
	}
	ok(good, "strbuf_addf at every length after every prefix");

	/* Long output in one call. */
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "x=");
	strbuf_addf(&sb, "%d:%0100000d:%s", 42, 7, "end");
	ok(sb.len == 2 + 3 + 100000 + 4 && !memcmp(sb.buf, "x=42:000", 8) &&
	   !strcmp(sb.buf + sb.len - 6, "07:end"), "strbuf_addf with 100 kB of output");
	strbuf_release(&sb);
	ok(sb.len == 0 && sb.cap == 0 && sb.buf[0] == '\0', "strbuf_release leaves an empty strbuf");

	/* addc across growths, add, setlen, reuse after release. */
	for (int i = 0; i < 1000; i++)
		strbuf_addc(&sb, (char)('0' + i % 10));
	good = sb.len == 1000 && sb.buf[1000] == '\0';
	for (int i = 0; i < 1000 && good; i++)
		good = sb.buf[i] == '0' + i % 10;
	ok(good, "strbuf_addc appends a thousand bytes in order");
	strbuf_setlen(&sb, 3);
	ok(sb.len == 3 && !strcmp(sb.buf, "012"), "strbuf_setlen shortens");
	strbuf_add(&sb, "a\0b", 3);
	ok(sb.len == 6 && !memcmp(sb.buf, "012a\0b", 7), "strbuf_add keeps NUL bytes");
	size_t cap = sb.cap;
	strbuf_reset(&sb);
	ok(sb.len == 0 && sb.cap == cap && sb.buf[0] == '\0', "strbuf_reset keeps the buffer");
	strbuf_grow(&sb, 5000);
	ok(sb.cap >= 5001, "strbuf_grow makes room for the bytes and the NUL");
	strbuf_release(&sb);
	strbuf_addstr(&sb, "again");
	ok(!strcmp(sb.buf, "again"), "a released strbuf can be used again");
	strbuf_release(&sb);

	struct strbuf i2;
	strbuf_init(&i2);
	strbuf_addf(&i2, "%05.1f|%x|%llu", 3.14159, 255u, 18446744073709551615ull);
	ok(!strcmp(i2.buf, "003.1|ff|18446744073709551615"), "strbuf_addf formats in the C locale");
	strbuf_release(&i2);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void test_hash(void)
{
	/* XXH3's published value for the empty input with seed 0. */
	ok(hash64("", 0, 0) == 0x2D06800538D394C2ull, "hash64 of nothing is XXH3's");
	const char *s = "the quick brown fox";
	uint64_t h = hash64(s, strlen(s), 0);
	ok(h == hash64(s, strlen(s), 0), "hash64 is deterministic");
	char copy[32];
	strcpy(copy, s);
	ok(h == hash64(copy, strlen(copy), 0), "hash64 depends on the bytes, not their address");
	ok(h != hash64(s, strlen(s), 1), "hash64 depends on the seed");
	ok(h != hash64(s, strlen(s) - 1, 0), "hash64 depends on the length");
	ok(hash64(s, 0, 0) == hash64("", 0, 0), "hash64 of no bytes does not read them");

	/* No collisions among many short keys, under two seeds. */
	enum { N = 100000 };
	uint64_t *hs = malloc(2 * N * sizeof(*hs));
	for (int i = 0; i < N; i++) {
		char key[16];
		int n = snprintf(key, sizeof(key), "k%d", i);
		hs[i] = hash64(key, (size_t)n, 0);
		hs[N + i] = hash64(key, (size_t)n, 12345);
	}
	int differ = 1;
	for (int i = 0; i < N; i++)
		differ &= hs[i] != hs[N + i];
	ok(differ, "hash64: another seed changes every hash");
	qsort(hs, 2 * N, sizeof(*hs), cmp_u64);
	int distinct = 1;
	for (int i = 1; i < 2 * N; i++)
		distinct &= hs[i] != hs[i - 1];
	ok(distinct, "hash64: %d keys under two seeds, no collision", N);
	free(hs);

	struct hash128 a = hash128(s, strlen(s), 0), b = hash128(s, strlen(s), 0),
		       c = hash128(s, strlen(s), 7);
	ok(a.lo == b.lo && a.hi == b.hi, "hash128 is deterministic");
	ok(a.lo != c.lo && a.hi != c.hi, "hash128 depends on the seed");
	ok(a.lo != a.hi, "hash128's halves differ");

	/* mix64 is a bijection: spot-check that it is not the identity
	 * and that nearby inputs land far apart. */
	ok(mix64(0) == 0 && mix64(1) != 1 && __builtin_popcountll(mix64(1) ^ mix64(2)) > 16,
	   "mix64 spreads nearby values");
}

int main(void)
{
	test_hll_accuracy();
	test_hll_merge();
	test_prng();
	test_base64();
	test_strbuf();
	test_hash();
	return done_testing();
}
