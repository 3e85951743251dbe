/* stats_state.h: the state file of synth-stats --partial and --merge.
 *
 * A state file holds the whole of a corpus_stats (tables, sketches,
 * length histogram, sample, groups), so that parts counted by separate
 * processes merge into the statistics of the whole: `synth-stats
 * --partial` writes one, `synth-stats --merge` folds them together. It
 * starts with a versioned header holding what makes two states
 * incompatible (the seed, the --by field, the table settings of the
 * build) and ends with a checksum; reading checks both, and the whole
 * length, before using anything.
 */
#ifndef SYNTH_STATS_STATE_H
#define SYNTH_STATS_STATE_H

#include <stddef.h>

#include "corpus_stats.h"
#include "strbuf.h"

struct output;

/* Write the state of cs to out as a state file. r->by names the field cs
 * was grouped by (NULL when not grouped: cs then holds no group), and
 * r->invalid and r->input_bytes are kept with the state for the merge's
 * report, and r->tokenizer_id and r->tokenizer (--tokenizer's file, 0
 * and NULL without) with its tokens; r's other members are for showing
 * and are not kept. Write
 * errors are out's, reported by output_close(). */
void stats_state_write(const struct corpus_stats *cs, const struct stats_report *r,
		       struct output *out);

/* Read the state file in buf[0..n) into cs, set up by corpus_stats_init()
 * with the seed of the run and nothing added since: cs becomes the state
 * as it was written, its memory limit included (no table is given up
 * until the next add or merge). The state must have been counted with
 * cs->seed, grouped by r->by (NULL: not grouped) and its tokens counted
 * by the tokenizer of r->tokenizer_id (0: none). Its invalid and
 * input_bytes are added to r's. Returns 0, or -1 with the reason in err
 * ("truncated", "corrupt: ...", "not a synth-stats state", "made with
 * --seed 3, not 0", "made without --tokenizer; ...", "a state of an
 * older synth-stats ...") and cs empty again. What the report writes of the
 * state, its words and the groups' values, must be UTF-8 and JSON as
 * counting makes them. */
int stats_state_parse(struct corpus_stats *cs, struct stats_report *r,
		      const unsigned char *buf, size_t n, struct strbuf *err);

/* Fold the state file at path into cs, as corpus_stats_merge() folds the
 * state that was written: cs keeps its memory limit, and must have the
 * file's seed and, in r->by and r->tokenizer_id, its --by field and its
 * tokenizer. The file's invalid and
 * input_bytes are added to r's. Returns 0, or -1 after printing an error
 * naming the file, with cs and r unchanged. */
int stats_state_read(struct corpus_stats *cs, struct stats_report *r, const char *path);

#endif
