/* corpus_stats.h: the statistics of a corpus of texts.
 *
 * Counts, length distribution, vocabulary, distinct n-grams (n = 1..4,
 * pooled over the corpus, never crossing a record), unigram entropy, a
 * compression ratio on a seeded sample, the most frequent n-grams, and
 * figures per value of a grouping field.
 *
 * The vocabulary is counted exactly while it fits in the memory limit.
 * The distinct n-grams for n >= 2 are counted exactly up to
 * STATS_EXACT_UNTIL of each, then by a HyperLogLog sketch (0.2% standard
 * error): exact tables of millions of n-grams cost more in memory traffic
 * than everything else synth-stats does, and the distinct count is all
 * that is asked of them unless a list of the most frequent is (then
 * exact_until is 0 and they stay exact up to the memory limit). Past the
 * memory limit the largest exact table is replaced by a sketch. Every
 * figure that comes from a sketch is listed as approximate.
 *
 * Two corpus_stats of parts merge into the statistics of the whole, so
 * threads (and later shards) each count their part: exact figures of the
 * parts merge into exactly the figures of the whole, and a sketch of the
 * parts into the sketch of the whole. Under a limit tight enough to
 * matter, parts counted under shares of the limit may give up exactness
 * at other points than one count of the whole would, so which figures
 * are estimates can depend on the split.
 */
#ifndef SYNTH_CORPUS_STATS_H
#define SYNTH_CORPUS_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "counter.h"
#include "hll.h"
#include "lenhist.h"
#include "sample.h"
#include "strbuf.h"
#include "text.h"

#define STATS_MAX_N 4
#define STATS_HLL_P 18
#define STATS_GROUP_HLL_P 12
#define STATS_SAMPLE_BYTES (1u << 20)
/* A record's text is counted a piece of about this many bytes at a
 * time (see corpus_stats_add). */
#define STATS_PIECE_BYTES ((size_t)1 << 20)
#define STATS_ZSTD_LEVEL 3
/* Distinct n-grams (n >= 2) are counted exactly up to this many, then
 * by a sketch: see exact_until. */
#define STATS_EXACT_UNTIL ((uint64_t)1 << 16)

/* The figures of one value of the --by field. Its key is the type byte
 * and value of stats_group_key(); the counts are exact, the distinct
 * words and bigrams are sketched. Owned by the corpus_stats. */
struct stats_group {
	char *key;		/* type byte and value, see stats_group_key */
	size_t keylen;
	uint64_t hash;
	uint64_t records, words, bigrams, min, max;
	uint64_t tokens;	/* under --tokenizer */
	struct hll words_hll, bigrams_hll;
};

struct corpus_stats {
	uint64_t records, bytes, chars, words, lines;
	struct lenhist length;		/* words per record */
	/* Under --tokenizer: the tokens of the texts, and per record. */
	int has_tokens;
	uint64_t tokens;
	struct lenhist token_length;
	/* ngrams[1] is the vocabulary: key = word hash, extras = offset
	 * and length of the word in `arena`, and its 16-byte prefix. */
	struct counter ngrams[STATS_MAX_N + 1];
	struct strbuf arena;
	uint64_t total[STATS_MAX_N + 1];	/* n-grams counted */
	int approx[STATS_MAX_N + 1];	/* ngrams[n] was replaced by hll[n] */
	struct hll hll[STATS_MAX_N + 1];
	uint64_t collisions;		/* different words with one 64-bit hash */
	struct sample sample;
	uint64_t seed;
	size_t memory_limit;
	/* The table of n-grams for each n >= 2 gives way to a sketch once it
	 * holds more than exact_until entries (STATS_EXACT_UNTIL by
	 * default; 0: never, only the memory limit). The answer then
	 * depends on the set of n-grams alone, not on how the corpus was
	 * split: exact when the whole has at most exact_until, else the
	 * sketch of the whole. */
	uint64_t exact_until;
	/* Groups, by the value of the --by field. */
	struct stats_group **groups;	/* open addressing by key hash */
	size_t ngroups, capgroups;
	/* Scratch for one piece of a record: a record is counted
	 * piece_bytes at a time (STATS_PIECE_BYTES; less in tests). */
	size_t piece_bytes;
	struct words ws;
	uint64_t *wh;		/* word hashes */
	uint64_t *nh;		/* n-gram hashes, n growing */
	size_t whcap;
};

void corpus_stats_init(struct corpus_stats *cs, size_t memory_limit, uint64_t seed);
void corpus_stats_release(struct corpus_stats *cs);

/* Count one text (valid UTF-8). group is the group's key (see
 * stats_group_key), or NULL when not grouping. */
void corpus_stats_add(struct corpus_stats *cs, const char *text, size_t len,
		      const struct strbuf *group);

/* Count the tokens of the text just counted by corpus_stats_add (the
 * caller has the tokenizer), in the same group. */
void corpus_stats_add_tokens(struct corpus_stats *cs, uint64_t tokens,
			     const struct strbuf *group);

/* The key of a group: a type byte ('s' string, 'r' other JSON value, 'm'
 * missing or null) and the decoded string or raw JSON text. */
struct json_value;
void stats_group_key(struct strbuf *key, const struct json_value *v);

/* The group of cs whose key is key[0..len), added with no records when
 * cs has none: for counting, merging and the state file's reader. The
 * group stays cs's. */
struct stats_group *stats_group_get(struct corpus_stats *cs, const char *key, size_t len);

/* Replace the exact table of n-grams for n by a sketch of its keys, as
 * counting does past the limits (n = 1 gives up the vocabulary's text
 * too); for the state file's reader, which finds a sketch where the
 * table was. */
void corpus_stats_approximate(struct corpus_stats *cs, unsigned n);

/* Fold src into dst; src is left empty but valid. */
void corpus_stats_merge(struct corpus_stats *dst, struct corpus_stats *src);

/* What the output shows besides the counts (see stats_figures.h), and
 * what the state file keeps with them (see stats_state.h). */
struct stats_report {
	unsigned top;		/* most frequent n-grams per n; 0 for none */
	const char *by;		/* the grouping field, or NULL */
	uint64_t invalid;	/* invalid records skipped */
	int show_invalid;	/* include "invalid" (under --skip-invalid) */
	uint64_t input_bytes;
	const char *tokenizer;	/* the name of --tokenizer's, or NULL */
	uint64_t tokenizer_id;	/* its tokenizer_fingerprint(); 0 without */
};

/* Bytes of memory the tables hold now: what the memory limit bounds. */
size_t corpus_stats_memory(const struct corpus_stats *cs);

/* Bytes the groups of --by hold (not bounded by the limit). */
size_t corpus_stats_group_memory(const struct corpus_stats *cs);

#endif
