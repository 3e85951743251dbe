/* prng.h: a seeded pseudo-random number generator (xoshiro256**).
 *
 * Every random choice in synth comes from one of these, seeded from
 * --seed and, where a decision concerns one record, from that record's
 * id or content hash, so results do not depend on processing order.
 */
#ifndef SYNTH_PRNG_H
#define SYNTH_PRNG_H

#include <stdint.h>

struct prng {
	uint64_t s[4];
};

/* Seed the generator; the same seed gives the same sequence. */
void prng_seed(struct prng *r, uint64_t seed);

uint64_t prng_next(struct prng *r);

/* A double uniform in [0, 1), with 53 random bits. */
double prng_uniform(struct prng *r);

/* An integer uniform in [0, n), without modulo bias; n > 0. */
uint64_t prng_below(struct prng *r, uint64_t n);

#endif
