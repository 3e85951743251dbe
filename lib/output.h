/* output.h: buffered output that never leaves half a file.
 *
 * An output is standard output, or a file named with -o: the file is
 * written under a temporary name in the same folder and renamed into
 * place by output_close() only when every byte was written, so a reader
 * (or the next run of a cron job) never sees a partial file. A name that
 * is not a regular file (/dev/null, a FIFO) is written in place. The
 * temporary name, ".NAME.tmp.HOST.PID.XXXXXX", says who made it: a run
 * killed by SIGKILL leaves its file behind, and the next output to the
 * same name on that host removes it. A name
 * ending in ".zst" is written zstd-compressed, with worker threads.
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
	char *path;		/* final path, NULL for standard output */
	char *tmp;		/* temporary path while open */
	int fd;
	int close_fd;		/* fd is a device or FIFO opened by name */
	int err;		/* first errno seen; 0 while all is well */
	char *buf;
	size_t len, cap;
	struct ZSTD_CCtx_s *zc;	/* non-NULL when compressing */
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

/* Flush, finish the zstd frame, sync and rename into place. Returns 0,
 * or -1 after printing the first error (the temporary file is removed). */
int output_close(struct output *o);

/* Give up on the output: the temporary file is removed, nothing renamed. */
void output_abort(struct output *o);

/* End an output after a run that may have failed: with `failed` set, a
 * named file or device is discarded (output_abort), while standard
 * output keeps what was written, as any filter's would; otherwise, or
 * then, output_close(). Returns what output_close() returns, or 0. */
int output_end(struct output *o, int failed);

#endif
