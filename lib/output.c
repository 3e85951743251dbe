/* output.c: buffered, atomic, optionally compressed output; see output.h. */
#include "output.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "alloc.h"
#include "diag.h"
#include "strbuf.h"

/* Temporary files to remove if the program dies before renaming them:
 * a list read by a signal handler, so its nodes are only ever added
 * (at the head, whole) and reused, never freed or unlinked. A run may
 * hold many at once (--merge-index: a verdicts file per shard). */
struct tmpfile {
	char *volatile path;	/* NULL: free for reuse */
	struct tmpfile *next;
};
static struct tmpfile *volatile tmpfiles;

static void remove_tmpfiles(void)
{
	for (struct tmpfile *t = tmpfiles; t; t = t->next)
		if (t->path)
			unlink(t->path);
}

static void track_tmpfile(char *path, int on)
{
	static int registered;
	if (!registered) {
		diag_atexit(remove_tmpfiles);
		registered = 1;
	}
	for (struct tmpfile *t = tmpfiles; t; t = t->next) {
		if (on && !t->path) {
			t->path = path;
			return;
		}
		if (!on && t->path == path) {
			t->path = NULL;
			return;
		}
	}
	if (!on)
		return;
	struct tmpfile *t = xcalloc(1, sizeof(*t));
	t->path = path;
	t->next = tmpfiles;
	tmpfiles = t;
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

int output_target(const char *path, struct strbuf *target)
{
	strbuf_reset(target);
	strbuf_addstr(target, path);
	for (int hops = 0;; hops++) {
		struct stat st;
		if (lstat(target->buf, &st) < 0 || !S_ISLNK(st.st_mode))
			return 0;
		if (hops == 40) {
			errno = ELOOP;
			return -1;
		}
		char link[4096];
		ssize_t n = readlink(target->buf, link, sizeof(link) - 1);
		if (n < 0)
			return -1;
		link[n] = '\0';
		/* A relative link is read from the folder that holds it. */
		const char *slash = strrchr(target->buf, '/');
		if (link[0] == '/' || !slash)
			strbuf_reset(target);
		else
			strbuf_setlen(target, (size_t)(slash + 1 - target->buf));
		strbuf_addstr(target, link);
	}
}

/* Give the temporary file what the file it replaces has: its owner and
 * group where we may (root may, and anyone may keep a group they are
 * in), and its permissions; set-user and set-group bits only when the
 * owner was kept. A new file gets 0666 less the umask, as open(2)
 * would make it. */
void output_take_attributes(int fd, const char *target)
{
	struct stat st;
	if (stat(target, &st) < 0 || !S_ISREG(st.st_mode)) {
		mode_t mask = umask(0);
		umask(mask);
		fchmod(fd, 0666 & ~mask);
		return;
	}
	mode_t mode = st.st_mode & 07777;
	if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    fchown(fd, st.st_uid, st.st_gid) < 0)
		mode &= 0777;
	fchmod(fd, mode);
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
		o->label = xstrdup(path);
		o->name = o->label;
		o->close_fd = 1;
	} else {
		/* Through a symbolic link, the file replaced is its target:
		 * the link stays a link. */
		struct strbuf target = STRBUF_INIT;
		if (output_target(path, &target) < 0) {
			int e = errno;
			strbuf_release(&target);
			free(o->buf);
			memset(o, 0, sizeof(*o));
			errno = e;
			return error_errno("%s", path);
		}
		/* Never empty: path is not, and neither is a link's text. */
		o->path = target.buf;
		o->label = xstrdup(path);
		o->name = o->label;
		/* The temporary file sits beside the target, so that rename()
		 * stays on one file system. */
		const char *slash = strrchr(o->path, '/');
		struct strbuf t = STRBUF_INIT, dir = STRBUF_INIT, prefix = STRBUF_INIT;
		char host[64] = "localhost";
		gethostname(host, sizeof(host) - 1);
		for (char *h = host; *h; h++)
			if (*h == '/' || *h == '.')
				*h = '-';
		if (slash)
			strbuf_add(&dir, o->path, (size_t)(slash - o->path) + (slash == o->path));
		else
			strbuf_addc(&dir, '.');
		strbuf_addf(&prefix, ".%s.tmp.%s.", slash ? slash + 1 : o->path, host);
		remove_stale_tmpfiles(dir.buf, prefix.buf);
		if (slash)
			strbuf_add(&t, o->path, (size_t)(slash + 1 - o->path));
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
			free(o->label);
			errno = e;
			memset(o, 0, sizeof(*o));
			return error_errno("%s", path);
		}
		track_tmpfile(o->tmp, 1);
		output_take_attributes(o->fd, o->path);
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
		} else if (ends_with(path, ".gz")) {
			/* One gzip member at gzip's own default level, 6: a
			 * .gz is most often made to be shared, and read by
			 * tools that know no zstd. */
			o->gz = xcalloc(1, sizeof(*o->gz));
			if (deflateInit2(o->gz, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
					 Z_DEFAULT_STRATEGY) != Z_OK)
				die("out of memory (zlib)");
			o->zcap = OUTPUT_BUFFER;
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

static void compress_zstd(struct output *o, const char *p, size_t n, ZSTD_EndDirective mode)
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

/* Deflate p[0..n) into the gzip member; with `finish`, end it. */
static void deflate_gzip(struct output *o, const char *p, size_t n, int finish)
{
	z_stream *z = o->gz;
	z->next_in = (Bytef *)p;
	for (;;) {
		uInt chunk = n > UINT_MAX ? UINT_MAX : (uInt)n;
		n -= chunk;
		z->avail_in = chunk;
		int flush = finish && !n ? Z_FINISH : Z_NO_FLUSH, ret;
		/* Output space left over means all the input was taken. */
		do {
			z->next_out = (Bytef *)o->zbuf;
			z->avail_out = (uInt)o->zcap;
			ret = deflate(z, flush);
			if (ret == Z_STREAM_ERROR) {
				/* Reported once, by output_close(), as an I/O error. */
				o->err = EIO;
				return;
			}
			write_all(o, o->zbuf, o->zcap - z->avail_out);
			if (o->err)
				return;
		} while (z->avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
		if (!n)
			return;
	}
}

/* Send n bytes at p on: compressed, or as they are. */
static void pass_on(struct output *o, const char *p, size_t n)
{
	if (o->zc)
		compress_zstd(o, p, n, ZSTD_e_continue);
	else if (o->gz)
		deflate_gzip(o, p, n, 0);
	else
		write_all(o, p, n);
}

static void flush_buffer(struct output *o)
{
	pass_on(o, o->buf, o->len);
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
		pass_on(o, data, n);
		return;
	}
	memcpy(o->buf, data, n);
	o->len = n;
}

static void free_gzip(struct output *o)
{
	if (o->gz) {
		deflateEnd(o->gz);
		free(o->gz);
		o->gz = NULL;
	}
}

static void release(struct output *o)
{
	if (o->tmp)
		track_tmpfile(o->tmp, 0);
	ZSTD_freeCCtx(o->zc);
	free_gzip(o);
	free(o->zbuf);
	free(o->buf);
	free(o->tmp);
	free(o->path);
	free(o->label);
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

/* Report the output's first error and give it up: the temporary file
 * is removed. Returns -1. */
static int fail(struct output *o)
{
	int rc;
	errno = o->err;
	if (o->fd == 1)
		rc = error_errno("write error");
	else
		rc = error_errno("%s", o->name);
	if (o->tmp)
		unlink(o->tmp);
	release(o);
	return rc;
}

int output_finish(struct output *o)
{
	if (!o->name || o->finished)
		return 0;
	flush_buffer(o);
	if (o->zc && !o->err)
		compress_zstd(o, NULL, 0, ZSTD_e_end);
	if (o->gz && !o->err)
		deflate_gzip(o, NULL, 0, 1);
	if (o->close_fd && close(o->fd) < 0 && !o->err)
		o->err = errno;
	if (o->path) {
		if (!o->err && fsync(o->fd) < 0 && errno != EINVAL)
			o->err = errno;
		if (close(o->fd) < 0 && !o->err)
			o->err = errno;
	}
	o->fd = o->fd == 1 ? 1 : -1;
	o->close_fd = 0;
	o->finished = 1;
	/* What waits for its rename holds no buffer: a run may finish many
	 * outputs before it commits them. */
	ZSTD_freeCCtx(o->zc);
	o->zc = NULL;
	free_gzip(o);
	free(o->zbuf);
	o->zbuf = NULL;
	free(o->buf);
	o->buf = NULL;
	o->len = o->cap = 0;
	if (o->err)
		return fail(o);
	return 0;
}

int output_commit(struct output *o)
{
	if (!o->name)
		return 0;
	if (!o->finished)
		BUG("commit of the unfinished output %s", o->name);
	if (o->path && rename(o->tmp, o->path) < 0) {
		o->err = errno;
		return fail(o);
	}
	release(o);
	return 0;
}

int output_close(struct output *o)
{
	if (output_finish(o) < 0)
		return -1;
	return output_commit(o);
}

void output_abort(struct output *o)
{
	if (!o->name)
		return;
	if (o->path) {
		if (!o->finished)
			close(o->fd);
		unlink(o->tmp);
	} else if (o->close_fd) {
		close(o->fd);
	}
	release(o);
}

int output_end(struct output *o, int failed)
{
	struct output *one[] = { o };
	return outputs_end(one, 1, failed);
}

int outputs_end(struct output *const *outs, size_t n, int failed)
{
	int rc = 0;
	/* Standard output is not ours to take back: it keeps what was
	 * written, as any filter's would, and its errors count. */
	for (size_t i = 0; i < n; i++) {
		if (!outs[i]->name)
			continue;
		if (failed && (outs[i]->path || outs[i]->close_fd))
			output_abort(outs[i]);
		else if (output_finish(outs[i]) < 0)
			rc = -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!outs[i]->name)
			continue;
		if (rc < 0 || failed)
			output_abort(outs[i]);
		else if (output_commit(outs[i]) < 0)
			rc = -1;
	}
	return rc;
}
