/* file_frame.c: the frame of synth's binary files; see file_frame.h. */
#include "file_frame.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "bytes.h"
#include "diag.h"
#include "hash.h"
#include "output.h"

void file_frame_begin(struct file_frame_writer *w, const struct file_frame *f,
		      unsigned char *header, struct output *out)
{
	memcpy(header, f->magic, 8);
	put32(header + 8, f->version);
	put32(header + 12, BYTE_ORDER_MARK);
	w->out = out;
	w->sum = hash_stream_new();
	file_frame_write(w, header, f->header);
}

void file_frame_write(struct file_frame_writer *w, const void *p, size_t n)
{
	output_write(w->out, p, n);
	hash_stream_add(w->sum, p, n);
}

void file_frame_end(struct file_frame_writer *w)
{
	unsigned char tail[FILE_FRAME_CHECKSUM];
	put64(tail, hash_stream_end(w->sum));
	output_write(w->out, tail, sizeof(tail));
	w->sum = NULL;
}

uint64_t file_frame_length(const struct file_frame *f, uint64_t body, int overflow)
{
	uint64_t length;
	if (overflow || __builtin_add_overflow(body, (uint64_t)f->header + FILE_FRAME_CHECKSUM,
					       &length))
		return UINT64_MAX;
	return length;
}

int file_frame_check(const struct file_frame *f, const unsigned char *buf, size_t n,
		     uint64_t length, struct strbuf *err)
{
	if (n < 8 || memcmp(buf, f->magic, 8)) {
		strbuf_addf(err, "not %s", f->kind);
		return -1;
	}
	const char *why = NULL;
	if (n < f->header + FILE_FRAME_CHECKSUM) {
		why = "truncated";
	} else if (get32(buf + 8) != f->version) {
		strbuf_addf(err, "format version %u; this build reads version %u", get32(buf + 8),
			    f->version);
		return -1;
	} else if (get32(buf + 12) != BYTE_ORDER_MARK) {
		why = "written on a machine of the other byte order";
	} else if (length != FILE_FRAME_ANY_LENGTH && length > n) {
		why = "truncated";
	} else if (length != FILE_FRAME_ANY_LENGTH && length < n) {
		why = "corrupt: bytes after the end";
	} else if (hash64(buf, n - FILE_FRAME_CHECKSUM, 0) != get64(buf + n - FILE_FRAME_CHECKSUM)) {
		why = "corrupt: the checksum does not match";
	}
	if (!why)
		return 0;
	strbuf_addstr(err, why);
	return -1;
}

enum file_load file_frame_load(const char *path, enum file_need need,
			       file_frame_parse_fn *parse, void *obj)
{
	struct strbuf data = STRBUF_INIT, err = STRBUF_INIT;
	enum file_load rc = FILE_LOADED;
	/* Room for the whole file first, in huge pages where it is large:
	 * models and states run to hundreds of megabytes. */
	struct stat st;
	if (!stat(path, &st) && S_ISREG(st.st_mode) && st.st_size > 0) {
		strbuf_grow(&data, (size_t)st.st_size + 1);
		hint_huge_pages(data.buf, (size_t)st.st_size + 1);
	}
	if (file_slurp(path, &data) < 0) {
		rc = errno == ENOENT && need == FILE_OPTIONAL ? FILE_ABSENT : FILE_FAILED;
		if (rc == FILE_FAILED)
			error_errno("%s", path);
	} else if (parse(obj, (const unsigned char *)data.buf, data.len, &err) < 0) {
		error("%s: %s", path, err.buf);
		rc = FILE_FAILED;
	}
	strbuf_release(&data);
	strbuf_release(&err);
	return rc;
}

/* --- Reading in pieces --------------------------------------------------- */

int file_frame_fail(struct file_frame_reader *r, const char *why)
{
	if (r->fd < 0)
		return -1;	/* reported and closed already */
	error("%s: %s", r->path, why);
	file_frame_close(r, 0);
	return -1;
}

/* Fill r->buf from the file; 0 at its end. */
static ssize_t frame_fill(struct file_frame_reader *r)
{
	ssize_t k;
	do
		k = read(r->fd, r->buf, FILE_FRAME_READ_BUF);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		error_errno("%s", r->path);
		return -1;
	}
	r->have = (size_t)k;
	r->used = 0;
	return k;
}

/* n bytes into p (NULL: dropped), summed when sum is set. */
static int frame_take(struct file_frame_reader *r, void *p, uint64_t n, int sum)
{
	unsigned char *d = p;
	while (n) {
		if (r->used == r->have) {
			ssize_t k = frame_fill(r);
			if (k < 0) {
				file_frame_close(r, 0);
				return -1;
			}
			if (!k)
				return file_frame_fail(r, "truncated");
		}
		size_t k = r->have - r->used;
		if (k > n)
			k = (size_t)n;
		if (sum)
			hash_stream_add(r->sum, r->buf + r->used, k);
		if (d) {
			memcpy(d, r->buf + r->used, k);
			d += k;
		}
		r->used += k;
		r->at += k;
		n -= k;
	}
	return 0;
}

int file_frame_open(struct file_frame_reader *r, const struct file_frame *f, const char *path,
		    unsigned char *header)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->path = path;
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		error_errno("%s", path);
		return -1;
	}
	struct stat st;
	if (fstat(r->fd, &st) < 0) {
		error_errno("%s", path);
		close(r->fd);
		r->fd = -1;
		return -1;
	}
	r->size = (uint64_t)st.st_size;
	r->buf = xmalloc(FILE_FRAME_READ_BUF);
	r->sum = hash_stream_new();
	if (r->size < 8 || frame_take(r, header, 8, 1) < 0 || memcmp(header, f->magic, 8)) {
		struct strbuf why = STRBUF_INIT;
		strbuf_addf(&why, "not %s", f->kind);
		file_frame_fail(r, why.buf);
		strbuf_release(&why);
		return -1;
	}
	if (r->size < f->header + FILE_FRAME_CHECKSUM)
		return file_frame_fail(r, "truncated");
	if (frame_take(r, header + 8, f->header - 8, 1) < 0)
		return -1;
	if (get32(header + 8) != f->version) {
		struct strbuf why = STRBUF_INIT;
		strbuf_addf(&why, "format version %u; this build reads version %u", get32(header + 8),
			    f->version);
		file_frame_fail(r, why.buf);
		strbuf_release(&why);
		return -1;
	}
	if (get32(header + 12) != BYTE_ORDER_MARK)
		return file_frame_fail(r, "written on a machine of the other byte order");
	return 0;
}

int file_frame_read(struct file_frame_reader *r, void *p, uint64_t n)
{
	return frame_take(r, p, n, 1);
}

int file_frame_close(struct file_frame_reader *r, int check)
{
	if (check && r->fd >= 0) {
		unsigned char tail[FILE_FRAME_CHECKSUM];
		uint64_t want = hash_stream_end(r->sum);
		r->sum = NULL;
		if (frame_take(r, tail, sizeof(tail), 0) < 0)
			return -1;
		ssize_t more = r->used != r->have ? 1 : frame_fill(r);
		if (more < 0) {
			file_frame_close(r, 0);
			return -1;
		}
		if (more)
			return file_frame_fail(r, "corrupt: bytes after the end");
		if (get64(tail) != want)
			return file_frame_fail(r, "corrupt: the checksum does not match");
	}
	if (r->sum)
		hash_stream_end(r->sum);
	r->sum = NULL;
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->buf);
	r->buf = NULL;
	return 0;
}
