/* spill.c: temporary files, and arrays that move to one past a budget. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bytes.h"
#include "diag.h"
#include "spill.h"
#include "strbuf.h"

static const char *temp_dir(void)
{
	const char *t = getenv("TMPDIR");
	return t && *t ? t : "/tmp";
}

int temp_file(const char *tag)
{
	struct strbuf path = STRBUF_INIT;
	strbuf_addf(&path, "%s/%s-%s.XXXXXX", temp_dir(), progname, tag);
	int fd = mkostemp(path.buf, O_CLOEXEC);
	if (fd < 0) {
		error_errno("%s: cannot create a temporary file", temp_dir());
	} else if (unlink(path.buf) < 0) {
		error_errno("%s", path.buf);
		close(fd);
		fd = -1;
	}
	strbuf_release(&path);
	return fd;
}

void spill_array_init(struct spill_array *a, size_t item, struct spill_budget *budget,
		      size_t buffer_bytes, const char *tag)
{
	memset(a, 0, sizeof(*a));
	a->item = item;
	a->budget = budget;
	a->tag = tag;
	a->buffer = buffer_bytes / item ? buffer_bytes / item : 1;
	a->fd = -1;
}

static int write_items(struct spill_array *a)
{
	if (a->n && write_full(a->fd, a->mem, a->n * a->item) < 0)
		return error_errno("%s: cannot write a temporary file", temp_dir());
	a->n = 0;
	return 0;
}

/* Move the items to a temporary file; mem becomes the write buffer. */
static int spill(struct spill_array *a)
{
	a->fd = temp_file(a->tag);
	if (a->fd < 0)
		return -1;
	/* From here on the budget holds nothing of this array's. */
	a->budget->used -= a->cap * a->item;
	if (write_items(a) < 0)
		return -1;
	a->cap = a->buffer;
	a->mem = xreallocarray(a->mem, a->cap, a->item);
	return 0;
}

int spill_array_push(struct spill_array *a, const void *item)
{
	if (a->n == a->cap) {
		if (a->fd >= 0) {
			if (write_items(a) < 0)
				return -1;
		} else {
			size_t cap = grow_capacity(a->cap, a->n + 1, 1024);
			size_t more = (cap - a->cap) * a->item;
			if (a->budget->used + more <= a->budget->limit) {
				a->mem = xreallocarray(a->mem, cap, a->item);
				a->budget->used += more;
				a->cap = cap;
			} else if (spill(a) < 0) {
				return -1;
			}
		}
	}
	memcpy(a->mem + a->n * a->item, item, a->item);
	a->n++;
	a->count++;
	return 0;
}

int spill_array_flush(struct spill_array *a)
{
	return a->fd >= 0 ? write_items(a) : 0;
}

const void *spill_array_items(const struct spill_array *a)
{
	return a->fd < 0 ? a->mem : NULL;
}

void spill_array_release(struct spill_array *a)
{
	if (a->fd < 0)
		a->budget->used -= a->cap * a->item;
	else
		close(a->fd);
	free(a->mem);
	a->mem = NULL;
	a->n = a->cap = 0;
	a->count = 0;
	a->fd = -1;
}

void spill_reader_init(struct spill_reader *r, const struct spill_array *a)
{
	memset(r, 0, sizeof(*r));
	r->a = a;
}

int spill_reader_next(struct spill_reader *r, const void **item)
{
	const struct spill_array *a = r->a;
	if (r->next >= a->count)
		return 0;
	if (a->fd < 0) {
		*item = a->mem + r->next++ * a->item;
		return 1;
	}
	if (r->next >= r->first + r->have) {
		if (!r->buf)
			r->buf = xreallocarray(NULL, a->buffer, a->item);
		uint64_t left = a->count - r->next;
		size_t want = (left < a->buffer ? (size_t)left : a->buffer) * a->item;
		size_t got = 0;
		while (got < want) {
			ssize_t k = pread(a->fd, r->buf + got, want - got,
					  (off_t)(r->next * a->item + got));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return k < 0 ? error_errno("%s: cannot read a temporary file", temp_dir())
					     : error("%s: a temporary file is shorter than written", temp_dir());
			got += (size_t)k;
		}
		r->first = r->next;
		r->have = want / a->item;
	}
	*item = r->buf + (r->next++ - r->first) * a->item;
	return 1;
}

void spill_reader_release(struct spill_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}
