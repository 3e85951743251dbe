/* spill.h: temporary files under TMPDIR, and an append-only array of
 * fixed-size items that moves to one when memory runs short.
 *
 * A table with an entry per record (synth-mix's first pass keeps 24
 * bytes a record) grows with the input: 400 MB for 10 GB of text. A
 * spill_array holds its items in memory while a budget, shared by
 * every array that names it, allows; past it the array's items go to
 * an unlinked temporary file and later items through a buffer of fixed
 * size, so that memory stays flat however long the input. The items
 * are read back in order, as many times as wanted, by any number of
 * readers at once (each reads by its own offset).
 *
 * Every temporary file is unlinked as soon as it is made, so that no
 * exit, not even kill -9, leaves one behind.
 */
#ifndef SYNTH_SPILL_H
#define SYNTH_SPILL_H

#include <stddef.h>
#include <stdint.h>

/* A new temporary file under $TMPDIR (or /tmp), already unlinked,
 * named for progname and `tag` while it has a name. Returns its
 * descriptor (close-on-exec), or -1 after printing an error. */
int temp_file(const char *tag);

/* Bytes of memory the in-memory arrays share; `used` is theirs to keep. */
struct spill_budget {
	size_t limit, used;
};

struct spill_array {
	size_t item;		/* bytes an item */
	struct spill_budget *budget;
	const char *tag;	/* the temporary file's name */
	char *mem;		/* every item, or (spilled) the write buffer */
	size_t n, cap;		/* items in mem; room for */
	size_t buffer;		/* items a buffer holds once spilled */
	int fd;			/* the temporary file, or -1 while in memory */
	uint64_t count;		/* items in all */
};

/* An empty array of items of `item` bytes, in memory under `budget`;
 * once spilled, writes and reads go through buffers of about
 * `buffer_bytes` (one item at least). The array does not own the
 * budget, which must outlive it. */
void spill_array_init(struct spill_array *a, size_t item, struct spill_budget *budget,
		      size_t buffer_bytes, const char *tag);

/* Append one item. Returns 0, or -1 after printing an error (the
 * temporary file could not be made or written). */
int spill_array_push(struct spill_array *a, const void *item);

/* Write what the buffer holds, so that readers see every item. Returns
 * 0, or -1 after printing an error. A no-op while in memory. */
int spill_array_flush(struct spill_array *a);

/* The items, when every one is in memory (in order); NULL once spilled. */
const void *spill_array_items(const struct spill_array *a);

/* Free the items and close the file; the budget gets its bytes back. */
void spill_array_release(struct spill_array *a);

/* Reads an array from the start; the array must be flushed and not
 * pushed to while a reader reads it. */
struct spill_reader {
	const struct spill_array *a;
	uint64_t next;		/* index of the next item */
	char *buf;		/* a buffer of the file, when spilled */
	uint64_t first;		/* index of buf's first item */
	size_t have;		/* items in buf */
};

void spill_reader_init(struct spill_reader *r, const struct spill_array *a);

/* The next item: 1 with *item pointing at it (valid until the next
 * call), 0 after the last, -1 after printing an error. */
int spill_reader_next(struct spill_reader *r, const void **item);

void spill_reader_release(struct spill_reader *r);

#endif
