/* journal.h: a file of whole lines that a stopped run leaves and the
 * next run continues.
 *
 * A program that asks a server for each record (synth-gen complete, the
 * judge of synth-score) appends what came back to a journal, one line
 * at a time with write(2), so that a kill leaves whole lines and at most
 * a last line cut short. The next run opens the journal, reads every
 * whole line back (the cut one is truncated away), skips the work they
 * hold, appends the rest, and at the end removes it.
 *
 * A struct journal owns its name; journal_release() frees it. Every
 * message names the file.
 */
#ifndef SYNTH_JOURNAL_H
#define SYNTH_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct journal {
	char *path;		/* owned */
	int fd;			/* open for appending; -1 once closed */
	uint64_t lines;		/* whole lines it holds: read back, then appended */
};

/* What journal_open() calls for each whole line: p[0..n) without its
 * newline, valid during the call only, its number from 1 and the offset
 * of its first byte in the file (for journal_read()). A negative return
 * (after printing an error) fails the open. */
typedef int journal_line_fn(void *arg, const char *p, size_t n, uint64_t lineno, uint64_t offset);

/* The journal of the output `output` (-o FILE): FILE.partial, appended
 * to out. One name for every program's --resume. */
void journal_path(const char *output, struct strbuf *out);

/* Open the journal at path: read the lines it holds (a missing file
 * holds none), truncate a last line without its newline, call line(arg,
 * ...) for each whole line in order (line may be NULL), then open the
 * file for appending, creating it. Returns 0, or -1 after printing an
 * error (then *j holds nothing to release). */
int journal_open(struct journal *j, const char *path, journal_line_fn *line, void *arg);

/* Read n bytes at offset `offset` of the open journal into out (after
 * what it holds). Returns 0, or -1 after printing an error. */
int journal_read(struct journal *j, uint64_t offset, size_t n, struct strbuf *out);

/* Append p[0..n), one or more whole lines, each ending in '\n'. A write
 * cut short is carried on. Returns 0, or -1 after printing an error. */
int journal_append(struct journal *j, const char *p, size_t n);

/* Sync the journal to disk and close it. Returns 0, or -1 after
 * printing an error. */
int journal_close(struct journal *j);

/* Close the journal if open and remove the file: its work is in the
 * output. Returns 0, or -1 after printing an error. */
int journal_remove(struct journal *j);

/* Close the journal if open (without sync) and free its name. */
void journal_release(struct journal *j);

#endif
