/* dedup_index.h: what synth-dedup remembers of the records it kept.
 *
 * Exact mode keeps the 128-bit hash of each kept record's normalised
 * text in one open-addressing table (16 bytes a slot, filled to between
 * 68 and 85 per cent: at most 24 bytes a record). Near mode keeps each
 * kept record's stored MinHash signature (minhash.h) and, per LSH band,
 * a table of record numbers placed by the band's key; a lookup reads the
 * signatures of the records in the probed slots to compare bands and to
 * verify. Either may also keep each record's id (as JSON text), so that
 * a duplicate can name the record it duplicates.
 *
 * An index saved to a file starts with a versioned header holding the
 * parameters it was built with and ends with a checksum; loading checks
 * both, and the whole length, before using anything.
 */
#ifndef SYNTH_DEDUP_INDEX_H
#define SYNTH_DEDUP_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "file_frame.h"
#include "hash.h"
#include "minhash.h"
#include "output.h"
#include "strbuf.h"

enum dedup_mode { DEDUP_EXACT = 1, DEDUP_NEAR = 2 };

/* Ids of records as JSON text, back to back, numbered from 0. */
struct id_list {
	struct strbuf text;
	uint64_t *end;		/* where id i ends in text */
	size_t n, cap;
};

/* Append an id (its JSON text); it gets the number n - 1. */
void id_list_push(struct id_list *l, const char *id, size_t len);
void id_list_release(struct id_list *l);
size_t id_list_memory(const struct id_list *l);

/* Id i of l as JSON text. */
static inline const char *id_list_get(const struct id_list *l, size_t i, size_t *len)
{
	uint64_t start = i ? l->end[i - 1] : 0;
	*len = (size_t)(l->end[i] - start);
	return l->text.buf + start;
}

/* What an index file must agree on with the run that uses it. */
struct dedup_params {
	uint32_t mode;		/* enum dedup_mode */
	uint32_t normalize;	/* enum text_norm */
	uint32_t ngram, perms, bands, rows, bits; /* near mode; zero in exact mode */
	uint64_t seed;		/* near mode; zero in exact mode */
};

/* A band's table: slot values are a record number + 1 (0: empty), with
 * a tag of the key in the top bits while tagged. */
struct band_table {
	uint32_t *slot;
	size_t cap;
	int tagged;
};

struct dedup_index {
	struct dedup_params p;
	const struct minhash *mh;	/* near mode */
	uint64_t n;			/* records kept */
	int keep_ids;
	struct id_list ids;		/* record i's id, with keep_ids */
	/* Exact mode. */
	struct hash128 *hslot;		/* zero: empty */
	uint32_t *hentry;		/* record number of each slot, with ids */
	size_t hcap;
	/* Near mode. */
	unsigned char **sig_chunk;	/* record i's signature: in chunk i / DEDUP_SIG_CHUNK */
	size_t sig_bytes, sig_chunks;	/* chunks allocated; they never move */
	struct band_table *band;	/* one a band */
	uint64_t placed;		/* records [0, placed) are in the band tables */
	struct strbuf recent_keys;	/* the band keys of records [placed, n) */
};

/* An empty index for params; mh (near mode) must outlive it. */
void dedup_index_init(struct dedup_index *x, const struct dedup_params *p,
		      const struct minhash *mh, int keep_ids);
void dedup_index_release(struct dedup_index *x);

/* Exact mode: the record number of an earlier text with this hash, or
 * -1; dedup_exact_add() records a new one. */
int64_t dedup_exact_find(const struct dedup_index *x, struct hash128 h);
void dedup_exact_add(struct dedup_index *x, struct hash128 h, const char *id, size_t idlen);
/* Start fetching the slot that dedup_exact_find() will read first for h,
 * a few records ahead of it. */
static inline void dedup_exact_prefetch(const struct dedup_index *x, struct hash128 h)
{
	if (x->hcap)
		__builtin_prefetch(&x->hslot[hash_slot(h.lo, x->hcap)]);
}

/* Near mode: the record that LSH finds for sig (with its band keys,
 * minhash_band_keys()) with the highest estimated similarity (the
 * earliest among equals), or -1 when no band matches; *similarity gets
 * its estimate. dedup_near_add() adds a record; keys may be NULL there. */
int64_t dedup_near_find(const struct dedup_index *x, const unsigned char *sig,
			const uint64_t *keys, double *similarity);
void dedup_near_add(struct dedup_index *x, const unsigned char *sig, const uint64_t *keys,
		    const char *id, size_t idlen);

/* The same for a block of records at a time, for a caller that spreads
 * the band tables' work over threads (synth-dedup's ordered stage).
 *
 * dedup_block_start() makes room for n records; the caller sets keys[i]
 * and sig[i] of each. dedup_block_band(x, bk, b), a task a band, places
 * the records kept before the block in band b's table (growing it),
 * looks each record of the block up there and links it to the latest
 * earlier record of the block with its key in band b. Tasks for
 * different bands may run at once; nothing else may run beside them.
 * Then dedup_near_placed(x), and each record in order: dedup_block_best()
 * is what dedup_near_find() would answer with every record kept so far
 * in the index, and dedup_block_decide() keeps the record (keep: with
 * its id) or not. A record of the block kept is found from the later
 * ones by the links, never by a table: the work done in order is a few
 * array reads a band. */
struct dedup_block {
	size_t n, cap;
	const uint64_t **keys;		/* [i]: record i's band keys */
	const unsigned char **sig;	/* [i]: its signature */
	uint32_t *rec;			/* [b * cap + i]: band b's best before the block + 1, or 0 */
	double *sim;			/*   and its similarity */
	uint32_t *prev;			/* [b * cap + i]: j + 1, the latest j < i of i's key in band b */
	uint32_t *kept;			/* [b * cap + i]: j + 1, the latest j <= i on that chain kept */
	uint32_t *index;		/* [i]: the record's number in the index + 1 once kept */
	uint32_t *table;		/* a scratch table a band, table_cap slots */
	size_t table_cap;
};

void dedup_block_init(struct dedup_block *bk);
void dedup_block_release(struct dedup_block *bk);
void dedup_block_start(struct dedup_block *bk, unsigned bands, size_t n);
void dedup_block_band(struct dedup_index *x, struct dedup_block *bk, unsigned b);
int64_t dedup_block_best(const struct dedup_index *x, const struct dedup_block *bk, size_t i,
			 double *similarity);
void dedup_block_decide(struct dedup_index *x, struct dedup_block *bk, size_t i, int keep,
			const char *id, size_t idlen);

/* The parts of dedup_block_band() and dedup_near_find(): place the
 * records kept since the last placing in band b's table; then, once
 * every band has, dedup_near_placed(). dedup_near_probe() looks in band
 * b's table alone: the best match's record number + 1 (0: none) and its
 * similarity. */
void dedup_near_place(struct dedup_index *x, unsigned b);
void dedup_near_placed(struct dedup_index *x);
uint32_t dedup_near_probe(const struct dedup_index *x, unsigned b, const unsigned char *sig,
			  uint64_t key, double *similarity);

/* Start fetching the slot that dedup_near_probe() will read first for
 * band b's key, a few records ahead of it: the tables are larger than
 * the caches. */
static inline void dedup_near_prefetch_band(const struct dedup_index *x, unsigned b, uint64_t key)
{
	if (x->band[b].cap)
		__builtin_prefetch(&x->band[b].slot[hash_slot(key, x->band[b].cap)]);
}

/* Near mode: the stored signature of record i < x->n. Signatures are
 * kept in chunks of DEDUP_SIG_CHUNK records that are never moved or
 * copied as the index grows. */
#define DEDUP_SIG_CHUNK_BITS 14
#define DEDUP_SIG_CHUNK (UINT64_C(1) << DEDUP_SIG_CHUNK_BITS)
static inline const unsigned char *dedup_near_sig(const struct dedup_index *x, uint64_t i)
{
	return x->sig_chunk[i >> DEDUP_SIG_CHUNK_BITS] + (i & (DEDUP_SIG_CHUNK - 1)) * x->sig_bytes;
}

/* The id of record i as JSON text (kept only with keep_ids). */
static inline const char *dedup_index_id(const struct dedup_index *x, uint64_t i, size_t *len)
{
	return id_list_get(&x->ids, (size_t)i, len);
}

/* Bytes allocated for the index. */
size_t dedup_index_memory(const struct dedup_index *x);

/* Write the index (with its ids: keep_ids must be set) to out. */
void dedup_index_write(const struct dedup_index *x, struct output *out);

/* Read an index from buf[0..n) into x, which dedup_index_init() set up
 * with the parameters of this run and keep_ids. Returns 0, or -1 with
 * the reason in err ("truncated", "made with --ngram 3, not 5"), x then
 * empty again. */
int dedup_index_parse(struct dedup_index *x, const unsigned char *buf, size_t n,
		      struct strbuf *err);

/* Load the index file at path into x: FILE_LOADED, FILE_ABSENT when
 * there is no such file (x is left empty: a first run starts one), or
 * FILE_FAILED after printing an error naming it. */
enum file_load dedup_index_load(struct dedup_index *x, const char *path);

/* --- Sharded runs --------------------------------------------------------
 *
 * A corpus split into shards is deduplicated exactly as one run over the
 * shards in order would: each shard's records are signed apart
 * (--shard-index: struct dedup_shard, every valid record in order with
 * its hash or signature and id, and a fingerprint of its lines), then
 * one pass replays them all in order against one index, keep-first
 * (--merge-index), which writes each shard's verdicts (struct
 * dedup_verdicts: which records are dropped, as what), and each shard
 * is then filtered by its verdicts (--apply), which checks by the
 * fingerprint that it is the shard that was signed.
 */

struct dedup_shard {
	struct dedup_params p;
	size_t entry;			/* bytes a record: 16 (exact) or a signature */
	uint64_t n, fingerprint;
	struct strbuf data;		/* n entries */
	struct id_list ids;
};

/* The fingerprint of a shard after one more line. */
static inline uint64_t dedup_fingerprint(uint64_t fp, const char *line, size_t len)
{
	return mix64(fp + hash64(line, len, 0x5348415244ull));
}

void dedup_shard_init(struct dedup_shard *s, const struct dedup_params *p, size_t entry);
void dedup_shard_release(struct dedup_shard *s);
void dedup_shard_add(struct dedup_shard *s, const void *entry, const char *id, size_t idlen);
void dedup_shard_write(const struct dedup_shard *s, struct output *out);
/* Read a shard file from buf[0..n) into s, which dedup_shard_init() set
 * up with this run's parameters and entry size, nothing added since.
 * Returns 0, or -1 with the reason in err ("truncated", "made with
 * --ngram 3, not 5", "corrupt: a bad id"), s then empty again. s copies
 * what it keeps: buf may be freed after. */
int dedup_shard_parse(struct dedup_shard *s, const unsigned char *buf, size_t n,
		      struct strbuf *err);
/* Load the shard file at path into s, set up with this run's parameters:
 * 0, or -1 after printing an error naming the file (s then empty). */
int dedup_shard_load(struct dedup_shard *s, const char *path);

/* What --merge-index decided for a shard's records. */
struct dedup_verdicts {
	uint64_t n, fingerprint;	/* of the shard */
	uint64_t ndrop;
	uint64_t *drop;			/* the dropped records' numbers, increasing */
	uint32_t *sim;			/* their similarity, in thousandths */
	struct id_list of;		/* the id of the record each duplicates */
	size_t cap;
};

void dedup_verdicts_init(struct dedup_verdicts *v, uint64_t n, uint64_t fingerprint);
void dedup_verdicts_release(struct dedup_verdicts *v);
void dedup_verdicts_drop(struct dedup_verdicts *v, uint64_t record, uint32_t sim,
			 const char *of, size_t oflen);
void dedup_verdicts_write(const struct dedup_verdicts *v, struct output *out);
/* Read verdicts from buf[0..n) into v, which this sets up (whatever v
 * held is not freed). Returns 0, or -1 with the reason in err
 * ("truncated", "corrupt: a bad verdict"), v then empty; either way v is
 * for dedup_verdicts_release(). v copies what it keeps. */
int dedup_verdicts_parse(struct dedup_verdicts *v, const unsigned char *buf, size_t n,
			 struct strbuf *err);
/* Load the verdicts file at path into v, as dedup_verdicts_parse(): 0,
 * or -1 after printing an error naming the file (v then empty). */
int dedup_verdicts_load(struct dedup_verdicts *v, const char *path);

/* --- A merge split by band ------------------------------------------------
 *
 * --merge-index holds every record's signature in one process. Past one
 * machine's memory its work is split in two:
 *
 * Step 2a, on each of N nodes (dedup_merge_bands()): read every step-1
 * file, keep of each record only the LSH band keys that fall to this node
 * (a key's node is a hash of it: about 1/N of every band's keys, 16 bytes
 * each), sort them, and within each group of records that share a band,
 * read the members' signatures from the step-1 files (pread: not held)
 * and write every candidate pair (earlier, later) whose bands agree and
 * whose estimated similarity passes the cut, with that estimate. A pair
 * is written by the node of the first band on which it agrees, once.
 *
 * Step 2b, once (dedup_merge_pairs()): read the N files of pairs, merged
 * in order of the later record, and decide keep-first in one pass: a
 * record is a duplicate of the best of its earlier candidates that was
 * kept (the most similar, the earliest among equals), as one run decides,
 * for one run compares a record with every kept record that shares a band
 * with it. Held: a bit a record (kept or not) and the duplicates found.
 *
 * Every earlier candidate is written, not only the latest of a band's key,
 * since whether an earlier one was kept is known only in step 2b (a record
 * like a dropped one and unlike what that one duplicates is kept). One
 * exception keeps exact copies linear: a record with the same signature as
 * an earlier one is a duplicate whatever was kept (of that one, or of what
 * that one duplicates, which shares its bands and estimate), so it is
 * never written as the earlier of a pair. A group of k records that are
 * near-duplicates of each other but not copies still gives k(k-1)/2 pairs.
 */

/* A pair that step 2a writes. */
struct dedup_pair {
	uint32_t later, earlier;	/* record numbers across all shards */
	double sim;			/* estimated similarity (1 in exact mode) */
};

/* What both parts of the split merge are given. */
struct dedup_merge {
	const struct dedup_params *p;
	const struct minhash *mh;	/* near mode */
	double cut;			/* the least estimate that is a duplicate */
	int verify;			/* 0: every candidate is (--no-verify) */
	char **files;			/* the step-1 files, in order */
	int nfiles;
};

/* What a part did, for -v and the benchmarks. */
struct dedup_merge_stats {
	uint64_t records, entries, groups, pairs, duplicates;
	size_t memory;			/* the most bytes it held at once */
};

/* Step 2a for node (1-based) of nodes: the pairs file to out. 0, or -1
 * after an error naming the file. */
int dedup_merge_bands(const struct dedup_merge *m, unsigned node, unsigned nodes,
		      struct output *out, struct dedup_merge_stats *st);

/* Step 2b: read the pairs files pairs[0..npairs) (all the nodes of one
 * step 2a over m->files) and write each shard's verdicts to verdicts[f],
 * outputs the caller opened and commits. 0, or -1 after an error. */
int dedup_merge_pairs(const struct dedup_merge *m, char **pairs, int npairs,
		      struct output **verdicts, struct dedup_merge_stats *st);

#endif
