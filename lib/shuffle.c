/* shuffle.c: shuffling lines by random keys, spilling sorted runs; see
 * shuffle.h.
 *
 * A run file holds its lines in key order, each as an 8-byte key, an
 * 8-byte length and the bytes. The merge keeps a binary heap of the
 * runs ordered by their current key, then by run number: runs are
 * written in order of arrival, so equal keys come out in that order.
 */
#include "shuffle.h"
#include "spill.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "bytes.h"
#include "diag.h"
#include "output.h"
#include "prng.h"

#define MIN_MEMORY (1u << 20)
#define RUN_HEADER 16

struct entry {
	uint64_t key;
	size_t off, len;	/* in the batch's data */
};

struct run {
	int fd;
	unsigned char *buf;	/* read buffer */
	size_t cap, pos, len;
	uint64_t key;		/* the current line's */
	size_t line_len;
	int done;
};

struct shuffle {
	size_t memory;
	struct prng rng;
	char *data;		/* the batch's lines, back to back */
	size_t data_len, data_cap;
	struct entry *entries;
	size_t n, cap;
	struct run *runs;
	unsigned nruns;
	const char *tmpdir;
};

struct shuffle *shuffle_new(size_t memory, uint64_t seed)
{
	struct shuffle *s = xcalloc(1, sizeof(*s));
	s->memory = memory < MIN_MEMORY ? MIN_MEMORY : memory;
	prng_seed(&s->rng, seed);
	const char *t = getenv("TMPDIR");
	s->tmpdir = t && *t ? t : "/tmp";
	return s;
}

unsigned shuffle_runs(const struct shuffle *s)
{
	return s->nruns;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int write_all(int fd, const void *p, size_t n, const char *dir)
{
	if (write_full(fd, p, n) < 0)
		return error_errno("%s: cannot write a temporary file", dir);
	return 0;
}

/* Sort the batch and write it as a run. */
static int spill(struct shuffle *s)
{
	qsort(s->entries, s->n, sizeof(*s->entries), entry_cmp);
	int fd = temp_file("shuffle");
	if (fd < 0)
		return -1;
	s->runs = xreallocarray(s->runs, s->nruns + 1, sizeof(*s->runs));
	struct run *r = &s->runs[s->nruns++];
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	size_t cap = OUTPUT_BUFFER, len = 0;
	unsigned char *buf = xmalloc(cap);
	int rc = 0;
	for (size_t i = 0; i < s->n && !rc; i++) {
		const struct entry *e = &s->entries[i];
		if (len + RUN_HEADER > cap) {
			rc = write_all(fd, buf, len, s->tmpdir);
			len = 0;
		}
		put64(buf + len, e->key);
		put64(buf + len + 8, e->len);
		len += RUN_HEADER;
		const char *p = s->data + e->off;
		size_t left = e->len;
		while (left && !rc) {
			if (len == cap) {
				rc = write_all(fd, buf, len, s->tmpdir);
				len = 0;
			}
			size_t k = left < cap - len ? left : cap - len;
			memcpy(buf + len, p, k);
			len += k;
			p += k;
			left -= k;
		}
	}
	if (!rc)
		rc = write_all(fd, buf, len, s->tmpdir);
	free(buf);
	if (!rc && lseek(fd, 0, SEEK_SET) < 0)
		rc = error_errno("%s: a temporary file", s->tmpdir);
	s->n = 0;
	s->data_len = 0;
	return rc;
}

int shuffle_add(struct shuffle *s, const char *line, size_t len)
{
	size_t need = size_add(s->data_len, len) + (s->n + 1) * sizeof(struct entry);
	if (need > s->memory && s->n && spill(s) < 0)
		return -1;
	if (s->data_len + len > s->data_cap) {
		/* Reserve the whole limit at once: pages are only touched as
		 * lines arrive, and no doubling overshoots the limit. */
		size_t cap = s->memory > s->data_len + len ? s->memory : s->data_len + len;
		s->data = xrealloc(s->data, cap);
		s->data_cap = cap;
	}
	if (s->n == s->cap) {
		s->cap = grow_capacity(s->cap, s->n + 1, 1024);
		s->entries = xreallocarray(s->entries, s->cap, sizeof(*s->entries));
	}
	memcpy(s->data + s->data_len, line, len);
	s->entries[s->n++] = (struct entry){ prng_next(&s->rng), s->data_len, len };
	s->data_len += len;
	return 0;
}

/* Make buf[pos..pos+want) of run r readable; returns 1, 0 at the end of
 * the file with nothing left, -1 after an error. */
static int run_fill(struct run *r, size_t want, const char *dir)
{
	if (r->len - r->pos >= want)
		return 1;
	memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->len -= r->pos;
	r->pos = 0;
	if (want > r->cap) {
		r->buf = xrealloc(r->buf, want);
		r->cap = want;
	}
	while (r->len < want) {
		ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return error_errno("%s: cannot read a temporary file", dir);
		}
		if (!got)
			return r->len ? error("%s: a temporary file was cut short", dir) : 0;
		r->len += (size_t)got;
	}
	return 1;
}

/* Step run r to its next line: its key and length, and its bytes in the
 * buffer at pos. */
static int run_next(struct run *r, const char *dir)
{
	int got = run_fill(r, RUN_HEADER, dir);
	if (got <= 0) {
		r->done = 1;
		return got;
	}
	r->key = get64(r->buf + r->pos);
	r->line_len = (size_t)get64(r->buf + r->pos + 8);
	r->pos += RUN_HEADER;
	if (run_fill(r, r->line_len, dir) <= 0)
		return -1;
	return 1;
}

static int run_before(const struct shuffle *s, unsigned a, unsigned b)
{
	const struct run *x = &s->runs[a], *y = &s->runs[b];
	return x->key < y->key || (x->key == y->key && a < b);
}

static void sift_down(const struct shuffle *s, unsigned *heap, unsigned n, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, m = i;
		if (l < n && run_before(s, heap[l], heap[m]))
			m = l;
		if (l + 1 < n && run_before(s, heap[l + 1], heap[m]))
			m = l + 1;
		if (m == i)
			return;
		unsigned t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

static int merge_runs(struct shuffle *s, struct output *out)
{
	size_t each = s->memory / (s->nruns + 1);
	if (each < (64u << 10))
		each = 64u << 10;
	unsigned *heap = xcalloc(s->nruns, sizeof(*heap));
	unsigned n = 0;
	int rc = 0;
	for (unsigned i = 0; i < s->nruns && !rc; i++) {
		struct run *r = &s->runs[i];
		r->cap = each;
		r->buf = xmalloc(each);
		int got = run_next(r, s->tmpdir);
		if (got < 0)
			rc = -1;
		else if (got)
			heap[n++] = i;
	}
	for (unsigned i = n / 2; i-- > 0;)
		sift_down(s, heap, n, i);
	while (n && !rc) {
		struct run *r = &s->runs[heap[0]];
		output_write(out, r->buf + r->pos, r->line_len);
		output_putc(out, '\n');
		r->pos += r->line_len;
		int got = run_next(r, s->tmpdir);
		if (got < 0)
			rc = -1;
		else if (!got)
			heap[0] = heap[--n];
		sift_down(s, heap, n, 0);
	}
	free(heap);
	return rc;
}

int shuffle_end(struct shuffle *s, struct output *out)
{
	if (!s->nruns) {
		qsort(s->entries, s->n, sizeof(*s->entries), entry_cmp);
		for (size_t i = 0; i < s->n; i++) {
			output_write(out, s->data + s->entries[i].off, s->entries[i].len);
			output_putc(out, '\n');
		}
		return 0;
	}
	if (s->n && spill(s) < 0)
		return -1;
	/* The batch's memory goes to the merge's buffers. */
	free(s->data);
	free(s->entries);
	s->data = NULL;
	s->entries = NULL;
	s->data_cap = s->cap = 0;
	return merge_runs(s, out);
}

void shuffle_free(struct shuffle *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nruns; i++) {
		close(s->runs[i].fd);
		free(s->runs[i].buf);
	}
	free(s->runs);
	free(s->data);
	free(s->entries);
	free(s);
}
