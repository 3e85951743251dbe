/* records.h: the record loop every program runs.
 *
 * The loop reads the input files in blocks of whole lines (one reader
 * thread), hands the blocks to worker threads, and writes what each block
 * yields in input order (the calling thread), so `-j N` never changes the
 * output. Every line is checked as a JSON object before the program sees
 * it. An invalid record stops the run with "FILE:LINE: reason" and exit
 * status 1, or, under --skip-invalid, is counted, warned about and kept
 * in --rejects. A file that cannot be read is reported and the others
 * are processed; the run then ends with status 1.
 *
 * A run that read no valid record fails: every record was invalid (and
 * skipped), so the output would say nothing of the input. A run that
 * found no record at all warns or fails as the program says (struct
 * empty_input): in a pipeline an empty input is normal for a filter, but
 * figures of nothing, or a reference set of nothing, are a mistake.
 *
 * A program supplies a per-worker state and a function that handles one
 * record, emitting it unchanged, emitting an edited line, rejecting it,
 * or declaring it invalid. Records emitted unchanged are written without
 * a copy when a whole block passes through.
 */
#ifndef SYNTH_RECORDS_H
#define SYNTH_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "json.h"
#include "output.h"
#include "strbuf.h"

struct record {
	const char *line;	/* the JSON text, without newline or CR */
	size_t len;
	const char *file;	/* the input's name */
	uint64_t lineno;
	struct json_value field; /* the member at --field; type JSON_NONE if none */
	int plain_end;		/* the line ends in a plain newline in its block,
				 * and may go out from there (set by the loop) */
};

/* A stretch of an emit's output: `len` bytes at `at`, or, when at is
 * NULL, at offset `off` of its out buffer (which may move as it grows). */
struct emit_piece {
	const char *at;
	size_t off, len;
};

/* What one block of records yields, collected by a worker. */
struct emit {
	/* The output, in order: pieces that are runs of the block's own
	 * lines, passed through without a copy, and pieces of out, the
	 * records made or edited, each with '\n'. */
	struct strbuf out;
	struct emit_piece *piece;
	size_t npieces, pieces_cap;
	int share;		/* unchanged lines may stay in the block */
	struct strbuf rejects;	/* lines for --rejects */
	struct strbuf warnings;	/* messages to print, in order */
	struct strbuf fatal;	/* the message that stops the run (empty: printed already) */
	struct strbuf side;	/* what a worker leaves for the ordered stage */
	int stopped;
	uint64_t records, emitted, invalid, rejected, bytes;
	uint64_t no_field;	/* invalid for want of the member at --field */
	const struct cli_common *common;
	struct loop_state *loop;	/* the loop's, for emit_progress() (ordered stage) */
	int operand;		/* which of record_loop.files the block's records
				 * came from (a folder's files: the folder) */
};

struct loop_state;

/* Emit r unchanged. */
void emit_record(struct emit *e, const struct record *r);

/* Emit a new or edited record: p[0..n) without its newline. */
void emit_line(struct emit *e, const char *p, size_t n);

/* Drop the valid record r for `reason`: it goes to --rejects with
 * "reject":{"reason","file","line"} added. */
void emit_reject(struct emit *e, const struct record *r, const char *reason);

/* From an ordered stage or a finish that waits a long time (for the
 * answers of a server): show the loop's progress line now, when one is
 * due, as after a block. */
void emit_progress(struct emit *e);

/* Declare r invalid for `reason` ("missing field \"text\""): stops the
 * run, or under --skip-invalid warns, counts and keeps it in --rejects.
 * Returns -1 so that a caller can `return emit_invalid(...)`. */
int emit_invalid(struct emit *e, const struct record *r, const char *reason);

/* What a run that found no record at all (only blank lines, or nothing)
 * means. */
enum empty_input {
	EMPTY_WARNS,	/* a warning naming the inputs; the run succeeds */
	EMPTY_FAILS,	/* an error naming the inputs; the run fails */
	EMPTY_CHECKED,	/* nothing said: the program checks for itself
			 * (a run of invalid records still fails) */
};

struct record_loop {
	/* Set by the program. */
	const struct cli_common *common;
	char **files;		/* operands; none means standard input */
	int nfiles;
	int write_records;	/* open the output (common->output) for records */
	enum empty_input empty;	/* EMPTY_WARNS unless set */
	const char *what;	/* what the files are, for messages ("--against");
				 * NULL: the program's input */
	const char *phase;	/* what the run is doing, for the progress line
				 * ("deduplicating"); NULL: "reading" */
	void *(*worker_new)(void *arg);
	void (*process)(void *worker, const struct record *r, struct emit *e);
	/* Optional: called on the calling thread for each block, in input
	 * order, after a worker processed it and before it is written. For
	 * decisions that depend on every earlier record (keep-first
	 * deduplication): the worker leaves per-record results in e->side
	 * (the block's lines stay valid until then) and this stage emits
	 * the records. It may write to outputs of its own. */
	void (*ordered)(void *arg, struct emit *e);
	/* Optional: called once on the calling thread after the last block
	 * (unless an invalid record stopped the run), to emit what the
	 * ordered stage held back. The emit has no block: only
	 * emit_line() and emit_reject() with records it owns. It may stop
	 * the run as the ordered stage can (e->stopped and e->fatal): then
	 * nothing is kept under -o, as after an invalid record. */
	void (*finish)(void *arg, struct emit *e);
	void *arg;
	/* Optional: add to the progress line, after the loop's counts
	 * (", 120 requests, 3.5/s"). Called on the calling thread. */
	void (*progress_more)(void *arg, struct strbuf *line);
	/* Leave the outputs (out, rej) open at the end, finished by the
	 * program's call to record_loop_end() together with its own. */
	int hold_outputs;
	/* Bytes of input per block (whole lines, at least one); 0: BLOCK_SIZE.
	 * A program whose records each take long (synth-score --verify runs a
	 * command per record) asks for small blocks, so that -j spreads even
	 * a short input over its workers. */
	size_t block_size;
	/* Optional: where --rejects go when a program runs several loops
	 * into one file; it opens and ends it, not the loop. */
	struct output *rejects;

	/* Filled by record_loop_run(). */
	void **workers;		/* nworkers states, for the program to merge */
	unsigned nworkers;
	uint64_t records, emitted, invalid, rejected, bytes;
	uint64_t no_field;	/* of the invalid, those without --field's member */
	double seconds;
	/* CPU seconds: the reader thread's, the workers' together, and the
	 * calling thread's (the ordered stage, the writing, the finish).
	 * A program whose ordered stage hands tasks to threads of its own
	 * moves their CPU from cpu_order to cpu_tasks before the summary. */
	double cpu_read, cpu_work, cpu_order, cpu_tasks;
	struct output out, rej;	/* -o (when write_records) and --rejects */
};

/* Run the loop. Returns 0 when every input was read and every record
 * valid (or skipped), 1 when an input could not be read (the others were
 * processed) or an output failed, 2 when an invalid record stopped the
 * run, or when it read no valid record (every one was invalid, or there
 * was none and rl->empty is EMPTY_FAILS): then the run has nothing to
 * show for its input, and the message is printed. Unless hold_outputs
 * is set, the outputs are ended on return, by record_loop_end(): files
 * under -o and --rejects are kept only after a run that returns 0. */
int record_loop_run(struct record_loop *rl);

/* End the loop's outputs and the program's nalso others (outputs_end(),
 * in that order: the loop's first) after a run whose status so far is
 * rc: kept when rc is 0, discarded otherwise. Returns rc, or 1 when rc
 * was 0 and an output failed. */
int record_loop_end(struct record_loop *rl, int rc, struct output *const *also, size_t nalso);

/* Free the worker states with fn. */
void record_loop_release(struct record_loop *rl, void (*fn)(void *worker));

/* Print the -v summary lines: records in and out, dropped by reason,
 * MB/s; then where the CPU went, each stage's share of it (the reader
 * and the ordered stage run on one thread each: a large share of either
 * bounds what more threads can gain). */
void record_loop_summary(const struct record_loop *rl);

/* Check that the record has a string at --field: returns 0, or declares
 * the record invalid and returns -1 (the messages of record_text). */
int record_has_text(const struct record *r, struct emit *e);

/* The text of a record: the string at --field, decoded into scratch when
 * it holds escapes (else pointing into the line). Returns 0, or declares
 * the record invalid ("no member \"text\"", "member \"text\" is not a
 * string") and returns -1. */
int record_text(const struct record *r, struct emit *e, struct strbuf *scratch,
		const char **text, size_t *len);

/* The id of a record: the string or number at common->id_field, or
 * FILE:LINE when it has none. Appended to out as raw text (unquoted). */
void record_id(const struct record *r, const struct cli_common *c, struct strbuf *out);

/* The same as JSON text: the string or number as the record writes it,
 * or "FILE:LINE" as a JSON string. For ids that go into output records. */
void record_id_json(const struct record *r, const struct cli_common *c, struct strbuf *out);

#endif
