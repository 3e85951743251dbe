/* merge-records: generated records for bench/merge-split, the benchmark
 * of synth-dedup's merge split by band.
 *
 *   merge-records FIRST COUNT
 *
 * Writes records FIRST to FIRST + COUNT - 1 of an endless corpus, one
 * JSON object a line: {"id":G,"text":"..."}. Record G is 64 words drawn
 * from a vocabulary of 100000 by a hash of G, or (one record in ten) a
 * near-duplicate: the words of a random earlier record's draw with one or
 * two of them changed (a Jaccard similarity of 5-word shingles near 0.85
 * or 0.7). Every record depends only on its number, so shards made by
 * separate runs put together are the corpus one run makes, and the
 * duplicates cross the shards' boundaries.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORDS 64

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: merge-records FIRST COUNT\n");
		return 2;
	}
	uint64_t first = strtoull(argv[1], NULL, 10), count = strtoull(argv[2], NULL, 10);
	static char buf[1 << 16];
	setvbuf(stdout, NULL, _IOFBF, sizeof(buf));
	uint32_t w[WORDS];
	for (uint64_t g = first; g < first + count; g++) {
		uint64_t r = mix(g ^ 0x6d657267ull), base = g;
		int dup = g > 0 && r % 10 == 0;
		if (dup)
			base = mix(r) % g;
		for (int k = 0; k < WORDS; k++)
			w[k] = (uint32_t)(mix(base * WORDS + (uint64_t)k) % 100000);
		if (dup)
			for (uint64_t c = 0, n = 1 + (r >> 8) % 2; c < n; c++)
				w[mix(r + c) % WORDS] = (uint32_t)(mix(r ^ (c + 1)) % 100000);
		printf("{\"id\":%llu,\"text\":\"", (unsigned long long)g);
		for (int k = 0; k < WORDS; k++)
			printf(k ? " w%u" : "w%u", w[k]);
		fputs("\"}\n", stdout);
	}
	return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
