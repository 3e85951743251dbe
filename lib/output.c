/* output.c: buffered, atomic, optionally compressed output; see output.h. */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "alloc.h"
#include "diag.h"
#include "strbuf.h"

/* Temporary files to remove if the program dies before renaming them.
 * Read by a signal handler, so kept in a plain array. */
#define MAX_TMPFILES 8
static char *volatile tmpfiles[MAX_TMPFILES];

static void remove_tmpfiles(void)
{
	for (int i = 0; i < MAX_TMPFILES; i++)
		if (tmpfiles[i])
			unlink(tmpfiles[i]);
}

static void track_tmpfile(char *path, int on)
{
	static int registered;
	if (!registered) {
		diag_atexit(remove_tmpfiles);
		registered = 1;
	}
	for (int i = 0; i < MAX_TMPFILES; i++) {
		if (on && !tmpfiles[i]) {
			tmpfiles[i] = path;
			return;
		}
		if (!on && tmpfiles[i] == path) {
			tmpfiles[i] = NULL;
			return;
		}
	}
	if (on)
		BUG("too many temporary files");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

/* Remove the temporary files that earlier runs on this host, now dead
 * (killed by SIGKILL, which no clean-up can catch), left beside path:
 * ".BASE.tmp.HOST.PID.XXXXXX" whose PID is no process. Files of other
 * hosts (a shared file system) and of live processes are left alone. */
static void remove_stale_tmpfiles(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	size_t plen = strlen(prefix);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, plen))
			continue;
		char *end;
		errno = 0;
		long pid = strtol(e->d_name + plen, &end, 10);
		if (errno || end == e->d_name + plen || *end != '.' || pid <= 0 || pid == getpid())
			continue;
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
			struct strbuf f = STRBUF_INIT;
			strbuf_addf(&f, "%s/%s", dir, e->d_name);
			unlink(f.buf);
			strbuf_release(&f);
		}
	}
	closedir(d);
}

int output_open(struct output *o, const char *path, int zstd_threads)
{
	struct stat st;
	memset(o, 0, sizeof(*o));
	o->cap = OUTPUT_BUFFER;
	o->buf = xmalloc(o->cap);
	if (!path || !strcmp(path, "-")) {
		o->name = "<stdout>";
		o->fd = 1;
	} else if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		/* A device, a FIFO, a socket: no temporary file and no rename,
		 * which would replace /dev/null with a regular file. */
		o->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
		if (o->fd < 0) {
			free(o->buf);
			memset(o, 0, sizeof(*o));
			return error_errno("%s", path);
		}
		o->name = path;
		o->close_fd = 1;
	} else {
		o->path = xstrdup(path);
		o->name = o->path;
		/* The temporary file sits beside the target, so that rename()
		 * stays on one file system. */
		const char *slash = strrchr(path, '/');
		struct strbuf t = STRBUF_INIT, dir = STRBUF_INIT, prefix = STRBUF_INIT;
		char host[64] = "localhost";
		gethostname(host, sizeof(host) - 1);
		for (char *h = host; *h; h++)
			if (*h == '/' || *h == '.')
				*h = '-';
		if (slash)
			strbuf_add(&dir, path, (size_t)(slash - path) + (slash == path));
		else
			strbuf_addc(&dir, '.');
		strbuf_addf(&prefix, ".%s.tmp.%s.", slash ? slash + 1 : path, host);
		remove_stale_tmpfiles(dir.buf, prefix.buf);
		if (slash)
			strbuf_add(&t, path, (size_t)(slash + 1 - path));
		strbuf_addf(&t, "%s%ld.XXXXXX", prefix.buf, (long)getpid());
		strbuf_release(&dir);
		strbuf_release(&prefix);
		o->tmp = t.buf;
		o->fd = mkostemp(o->tmp, O_CLOEXEC);
		if (o->fd < 0) {
			int e = errno;
			free(o->buf);
			free(o->tmp);
			free(o->path);
			errno = e;
			memset(o, 0, sizeof(*o));
			return error_errno("%s", path);
		}
		track_tmpfile(o->tmp, 1);
		mode_t mask = umask(0);
		umask(mask);
		fchmod(o->fd, 0666 & ~mask);
		if (ends_with(path, ".zst")) {
			o->zc = ZSTD_createCCtx();
			if (!o->zc)
				die("out of memory (zstd)");
			ZSTD_CCtx_setParameter(o->zc, ZSTD_c_compressionLevel, 3);
			if (zstd_threads <= 0)
				zstd_threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
			/* Without multithread support in libzstd this fails and
			 * compression runs in this thread: still correct. */
			ZSTD_CCtx_setParameter(o->zc, ZSTD_c_nbWorkers, zstd_threads);
			o->zcap = ZSTD_CStreamOutSize();
			o->zbuf = xmalloc(o->zcap);
		}
	}
	return 0;
}

static void write_all(struct output *o, const char *p, size_t n)
{
	while (n && !o->err) {
		ssize_t w = write(o->fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE) {
				/* SIGPIPE was ignored by whoever started us: die by
				 * it anyway, as a filter should. */
				signal(SIGPIPE, SIG_DFL);
				raise(SIGPIPE);
			}
			o->err = errno;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void compress(struct output *o, const char *p, size_t n, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { p, n, 0 };
	for (;;) {
		ZSTD_outBuffer out = { o->zbuf, o->zcap, 0 };
		size_t left = ZSTD_compressStream2(o->zc, &out, &in, mode);
		if (ZSTD_isError(left)) {
			/* Reported once, by output_close(), as an I/O error. */
			o->err = EIO;
			return;
		}
		write_all(o, o->zbuf, out.pos);
		if (o->err)
			return;
		if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0)
			return;
	}
}

static void flush_buffer(struct output *o)
{
	if (o->zc)
		compress(o, o->buf, o->len, ZSTD_e_continue);
	else
		write_all(o, o->buf, o->len);
	o->len = 0;
}

void output_write(struct output *o, const void *data, size_t n)
{
	if (o->err)
		return;
	if (o->len + n <= o->cap) {
		memcpy(o->buf + o->len, data, n);
		o->len += n;
		return;
	}
	flush_buffer(o);
	if (n >= o->cap / 2) {
		if (o->zc)
			compress(o, data, n, ZSTD_e_continue);
		else
			write_all(o, data, n);
		return;
	}
	memcpy(o->buf, data, n);
	o->len = n;
}

static void release(struct output *o)
{
	if (o->tmp)
		track_tmpfile(o->tmp, 0);
	ZSTD_freeCCtx(o->zc);
	free(o->zbuf);
	free(o->buf);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

int output_close(struct output *o)
{
	int rc = 0;
	if (!o->buf)
		return 0;
	flush_buffer(o);
	if (o->zc && !o->err)
		compress(o, NULL, 0, ZSTD_e_end);
	if (o->close_fd && close(o->fd) < 0 && !o->err)
		o->err = errno;
	if (o->path) {
		if (!o->err && fsync(o->fd) < 0 && errno != EINVAL)
			o->err = errno;
		if (close(o->fd) < 0 && !o->err)
			o->err = errno;
		if (!o->err && rename(o->tmp, o->path) < 0)
			o->err = errno;
		if (o->err)
			unlink(o->tmp);
	}
	if (o->err) {
		errno = o->err;
		if (o->fd == 1)
			rc = error_errno("write error");
		else
			rc = error_errno("%s", o->name);
	}
	release(o);
	return rc;
}

void output_abort(struct output *o)
{
	if (!o->buf)
		return;
	if (o->path) {
		close(o->fd);
		unlink(o->tmp);
	} else if (o->close_fd) {
		close(o->fd);
	}
	release(o);
}

int output_end(struct output *o, int failed)
{
	if (failed && (o->path || o->close_fd)) {
		output_abort(o);
		return 0;
	}
	return output_close(o);
}
