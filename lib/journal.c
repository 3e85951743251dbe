/* journal.c: append-only files of whole lines; see journal.h. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bytes.h"
#include "diag.h"
#include "strbuf.h"

void journal_path(const char *output, struct strbuf *out)
{
	strbuf_addf(out, "%s.partial", output);
}

int journal_open(struct journal *j, const char *path, journal_line_fn *line, void *arg)
{
	struct strbuf data = STRBUF_INIT;
	j->path = NULL;
	j->fd = -1;
	j->lines = 0;
	if (file_slurp(path, &data) < 0 && errno != ENOENT) {
		strbuf_release(&data);
		return error_errno("%s", path);
	}
	/* A last line without its newline is a write the kill cut short:
	 * gone from the file, so that the next append starts a line. */
	size_t keep = data.len;
	while (keep && data.buf[keep - 1] != '\n')
		keep--;
	if (keep < data.len && truncate(path, (off_t)keep) < 0) {
		strbuf_release(&data);
		return error_errno("%s", path);
	}
	uint64_t lineno = 0;
	for (size_t at = 0; at < keep;) {
		const char *p = data.buf + at, *nl = memchr(p, '\n', keep - at);
		size_t n = (size_t)(nl - p);
		lineno++;
		if (line && line(arg, p, n, lineno, at) < 0) {
			strbuf_release(&data);
			return -1;
		}
		at += n + 1;
	}
	strbuf_release(&data);
	j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (j->fd < 0)
		return error_errno("%s", path);
	j->path = xstrdup(path);
	j->lines = lineno;
	return 0;
}

int journal_read(struct journal *j, uint64_t offset, size_t n, struct strbuf *out)
{
	strbuf_grow(out, n);
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(j->fd, out->buf + out->len + got, n - got, (off_t)(offset + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return error_errno("%s", j->path);
		}
		got += (size_t)k;
	}
	strbuf_setlen(out, out->len + n);
	return 0;
}

int journal_append(struct journal *j, const char *p, size_t n)
{
	if (j->fd < 0)
		BUG("append to the closed journal %s", j->path);
	uint64_t lines = 0;
	for (const char *q = p, *end = p + n; (q = memchr(q, '\n', (size_t)(end - q))); q++)
		lines++;
	if (write_full(j->fd, p, n) < 0)
		return error_errno("%s", j->path);
	j->lines += lines;
	return 0;
}

int journal_close(struct journal *j)
{
	if (j->fd < 0)
		return 0;
	int rc = 0;
	if (fsync(j->fd) < 0)
		rc = error_errno("%s", j->path);
	if (close(j->fd) < 0 && !rc)
		rc = error_errno("%s", j->path);
	j->fd = -1;
	return rc;
}

int journal_remove(struct journal *j)
{
	/* Its lines are in the output: no need to sync them first. */
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	return unlink(j->path) < 0 && errno != ENOENT ? error_errno("%s", j->path) : 0;
}

void journal_release(struct journal *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	free(j->path);
	j->path = NULL;
}
