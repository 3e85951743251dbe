/* hash.h: fast non-cryptographic hashing (xxHash's XXH3). */
#ifndef SYNTH_HASH_H
#define SYNTH_HASH_H

#include <stddef.h>
#include <stdint.h>

/* 64-bit hash of s[0..n) under a seed. */
uint64_t hash64(const void *s, size_t n, uint64_t seed);

/* 128-bit hash of s[0..n) under a seed. */
struct hash128 {
	uint64_t lo, hi;
};
struct hash128 hash128(const void *s, size_t n, uint64_t seed);

/* The 64-bit hash (seed 0) of data given in pieces: equal to hash64()
 * of the pieces put together. */
struct hash_stream;
struct hash_stream *hash_stream_new(void);
void hash_stream_add(struct hash_stream *h, const void *s, size_t n);
/* The hash; frees the stream. */
uint64_t hash_stream_end(struct hash_stream *h);

/* The slot of a hashed key in an open-addressing table of cap slots:
 * floor(key * cap / 2^64), which spreads the key's high bits over any
 * capacity, a power of two or not. */
static inline size_t hash_slot(uint64_t key, size_t cap)
{
	return (size_t)(((unsigned __int128)key * cap) >> 64);
}

/* The slot after slot i, wrapping around: linear probing. */
static inline size_t hash_next_slot(size_t i, size_t cap)
{
	return i + 1 == cap ? 0 : i + 1;
}

/* A bijective mix of 64 bits (the SplitMix64 finaliser): spreads a
 * counter or a combination of hashes over all bits. */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

#endif
