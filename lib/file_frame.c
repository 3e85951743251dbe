/* file_frame.c: the frame of synth's binary files; see file_frame.h. */
#include "file_frame.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

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
