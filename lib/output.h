/* output.h: buffered output that never leaves half a file.
 *
 * An output is standard output, or a file named with -o: the file is
 * written under a temporary name in the same folder and renamed into
 * place by output_close() only when every byte was written, so a reader
 * (or the next run of a cron job) never sees a partial file. A name that
 * is not a regular file (/dev/null, a FIFO) is written in place. A name
 * that is a symbolic link is written through it: the temporary file sits
 * beside the link's target and is renamed onto the target, so the link
 * stays a link. The new file takes the mode of the file it replaces, and
 * its owner and group where the system lets us (a new file: 0666 less
 * the umask). The
 * temporary name, ".NAME.tmp.HOST.PID.XXXXXX", says who made it: a run
 * killed by SIGKILL leaves its file behind, and the next output to the
 * same name on that host removes it. A name
 * ending in ".zst" is written zstd-compressed, with worker threads; one
 * ending in ".gz" gzip-compressed (one member, zlib's level 6).
 *
 * Write errors are sticky: output_write() never fails, and the first
 * error is reported by output_close(). A write to a closed pipe ends the
 * program by SIGPIPE, quietly, as the reader asked.
 */
#ifndef SYNTH_OUTPUT_H
#define SYNTH_OUTPUT_H

#include <stddef.h>

struct output {
	const char *name;	/* for messages: the path, or "<stdout>" */
	char *label;		/* owned copy of a file's name, for messages */
	char *path;		/* final path (a link's target), NULL for standard output */
	char *tmp;		/* temporary path while open */
	int fd;
	int close_fd;		/* fd is a device or FIFO opened by name */
	int err;		/* first errno seen; 0 while all is well */
	int finished;		/* output_finish() done, the rename not yet */
	char *buf;
	size_t len, cap;
	struct ZSTD_CCtx_s *zc;	/* non-NULL when compressing to zstd */
	struct z_stream_s *gz;	/* non-NULL when compressing to gzip */
	char *zbuf;
	size_t zcap;
};

#define OUTPUT_BUFFER (1u << 20)

/* Open path for writing, or standard output when path is NULL or "-".
 * zstd_threads is the number of compression workers for a ".zst" name
 * (0 for the default). Returns 0, or -1 after printing an error. */
int output_open(struct output *o, const char *path, int zstd_threads);

void output_write(struct output *o, const void *data, size_t n);

static inline void output_putc(struct output *o, char c)
{
	if (o->len == o->cap)
		output_write(o, &c, 1);
	else
		o->buf[o->len++] = c;
}

/* Ending an output takes two steps, so that a run's outputs are all
 * written before any is renamed into place: output_finish() flushes,
 * ends the zstd frame, syncs and closes the temporary file; then
 * output_commit() renames it into place. Each returns 0, or -1 after
 * printing the first error (the temporary file removed, the output
 * given up). Standard output and devices are done after the first. */
int output_finish(struct output *o);
int output_commit(struct output *o);

/* Both steps. Returns 0, or -1 after printing the first error. */
int output_close(struct output *o);

/* Give up on the output: the temporary file is removed, nothing renamed. */
void output_abort(struct output *o);

/* End the n outputs of one run together, in order. With `failed` set,
 * every named file or device is discarded (output_abort), while
 * standard output keeps what was written, as any filter's would.
 * Otherwise every output is finished first, and only when all were
 * written whole is each renamed into place, in order: a run lists its
 * records first and the files it keeps for later runs (an index, a
 * model) last, so that those are never saved beside outputs that were
 * lost. A rename that fails gives up the outputs after it. Outputs
 * never opened or already ended (zeroed by output_close) are skipped.
 * Returns 0, or -1 after printing the first error. */
int outputs_end(struct output *const *outs, size_t n, int failed);

/* One output: outputs_end(&o, 1, failed). */
int output_end(struct output *o, int failed);

/* The file that writing path replaces: path, or the target of the
 * symbolic link path names, link after link (a relative link read from
 * its folder), into *target. Returns 0, or -1 with errno set (ELOOP). */
struct strbuf;
int output_target(const char *path, struct strbuf *target);

/* Give the file open at fd what the file at target (which it is to
 * replace) has: mode, and owner and group where the system lets us;
 * when target is missing, 0666 less the umask. */
void output_take_attributes(int fd, const char *target);

#endif
