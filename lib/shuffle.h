/* shuffle.h: a uniform random shuffle of lines in bounded memory.
 *
 * Each line gets a random 64-bit key from a generator seeded by the
 * caller, in the order the lines arrive; the output is the lines in the
 * order of their keys, which is a uniform random permutation. Lines are
 * held in memory up to a limit; past it the batch is sorted by key and
 * written to a run file under TMPDIR, and the end merges the runs. A run
 * file is unlinked as soon as it is created, so no exit, not even kill
 * -9, leaves one behind. Equal keys keep their order of arrival, so the
 * output depends only on the seed and the lines.
 *
 * Memory: the lines held and 24 bytes for each stay under the limit
 * (one line longer than the limit is held alone); the merge reads the
 * runs through buffers that share the same limit.
 */
#ifndef SYNTH_SHUFFLE_H
#define SYNTH_SHUFFLE_H

#include <stddef.h>
#include <stdint.h>

struct output;
struct shuffle;

/* A shuffle that holds about `memory` bytes (at least 1 MiB is used). */
struct shuffle *shuffle_new(size_t memory, uint64_t seed);

/* Add one line (without its newline). Returns 0, or -1 after printing
 * an error (a run file could not be written). */
int shuffle_add(struct shuffle *s, const char *line, size_t len);

/* Write every line, each with a newline, to out in shuffled order.
 * Returns 0, or -1 after printing an error. */
int shuffle_end(struct shuffle *s, struct output *out);

/* How many run files were written (0 when the lines fitted). */
unsigned shuffle_runs(const struct shuffle *s);

/* Free s and close its run files; NULL is ignored. */
void shuffle_free(struct shuffle *s);

#endif
