/* hash.c: XXH3 wrappers; see hash.h. */
#include "hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t hash64(const void *s, size_t n, uint64_t seed)
{
	return XXH3_64bits_withSeed(s, n, seed);
}

struct hash128 hash128(const void *s, size_t n, uint64_t seed)
{
	XXH128_hash_t h = XXH3_128bits_withSeed(s, n, seed);
	struct hash128 r = { h.low64, h.high64 };
	return r;
}
