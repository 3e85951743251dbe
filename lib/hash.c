/* hash.c: XXH3 wrappers; see hash.h. */
#include "hash.h"

#include <stdlib.h>

#include "alloc.h"

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

struct hash_stream {
	XXH3_state_t state;
};

struct hash_stream *hash_stream_new(void)
{
	struct hash_stream *h = xmalloc(sizeof(*h));
	XXH3_64bits_reset(&h->state);
	return h;
}

void hash_stream_add(struct hash_stream *h, const void *s, size_t n)
{
	XXH3_64bits_update(&h->state, s, n);
}

uint64_t hash_stream_end(struct hash_stream *h)
{
	uint64_t r = XXH3_64bits_digest(&h->state);
	free(h);
	return r;
}
