/* input.c: block reader with transparent zstd and gzip, and folders as
 * inputs; see input.h. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "alloc.h"
#include "bytes.h"
#include "diag.h"
#include "folder.h"

static const unsigned char zstd_magic[4] = { 0x28, 0xB5, 0x2F, 0xFD };

/* Compressed bytes read at a time: large reads keep gzip's inflate, which
 * the reader thread runs for every byte, out of the kernel. */
#define GZIP_READ (256u << 10)

/* Does a zstd stream start with these four bytes? A frame's magic
 * number, or a skippable frame's, 0x184D2A50 to 0x184D2A5F (little
 * endian), which zstd -d reads past, and so does the decoder. */
static int zstd_start(const unsigned char *head)
{
	return !memcmp(head, zstd_magic, 4) ||
	       ((head[0] & 0xF0) == 0x50 && head[1] == 0x2A && head[2] == 0x4D && head[3] == 0x18);
}

/* A gzip member starts with 1f 8b; what follows (the method, the flags)
 * is the decoder's to check, and a bad one is corrupt gzip input. */
static int gzip_start(const unsigned char *head)
{
	return head[0] == 0x1f && head[1] == 0x8b;
}

/* read() that retries on EINTR; returns bytes read, 0 at EOF, -1 on error. */
static ssize_t read_some(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, buf, n);
		if (r >= 0 || errno != EINTR)
			return r;
	}
}

/* The lists of folders' files, kept until exit (see input_close), and
 * the folders they list: a folder read twice (synth-mix reads a source
 * twice) has what it skips noted once. */
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept_files {
	char *folder;
	char **files;
	size_t n;
	struct kept_files *next;
} *kept_files;

static int folder_listed(const char *folder)
{
	int seen = 0;
	pthread_mutex_lock(&kept_lock);
	for (const struct kept_files *k = kept_files; k && !seen; k = k->next)
		seen = !strcmp(k->folder, folder);
	pthread_mutex_unlock(&kept_lock);
	return seen;
}

static void keep_files(const char *folder, char **files, size_t n)
{
	struct kept_files *k = xmalloc(sizeof(*k));
	k->folder = xstrdup(folder);
	k->files = files;
	k->n = n;
	pthread_mutex_lock(&kept_lock);
	k->next = kept_files;
	kept_files = k;
	pthread_mutex_unlock(&kept_lock);
}

/* Undo what open_file() set up: the decoders and buffers, the file. */
static void close_file(struct input *in)
{
	if (in->close_fd && !in->suspended)
		close(in->fd);
	in->fd = -1;
	in->close_fd = 0;
	in->suspended = 0;
	ZSTD_freeDCtx(in->zd);
	in->zd = NULL;
	if (in->gz) {
		inflateEnd(in->gz);
		free(in->gz);
		in->gz = NULL;
	}
	free(in->zbuf);
	in->zbuf = NULL;
	in->zpos = in->zlen = in->zcap = 0;
	free(in->carry);
	in->carry = NULL;
	in->carry_len = in->carry_cap = 0;
}

/* Open one file (or standard input for "-") and find how it is coded,
 * with everything that belongs to one file starting afresh. */
static int open_file(struct input *in, const char *path)
{
	in->eof = in->started = in->file_done = 0;
	in->lineno = in->bytes_read = 0;
	in->gz_ended = 0;
	in->zret = 0;
	if (!strcmp(path, "-")) {
		in->name = "<stdin>";
		in->path = NULL;
		in->fd = 0;
	} else {
		in->name = path;
		in->path = path;
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0)
			return error_errno("%s", path);
		in->close_fd = 1;
	}
	/* Peek at the first bytes for a magic number. They stay in the
	 * carry (plain input) or the compressed buffer (zstd, gzip). */
	unsigned char head[4];
	size_t got = 0;
	while (got < sizeof(head)) {
		ssize_t r = read_some(in->fd, head + got, sizeof(head) - got);
		if (r < 0) {
			error_errno("%s", in->name);
			close_file(in);
			return -1;
		}
		if (r == 0) {
			in->eof = 1;
			break;
		}
		got += (size_t)r;
	}
	in->bytes_read = got;
	if (got == sizeof(head) && zstd_start(head)) {
		in->zd = ZSTD_createDCtx();
		if (!in->zd)
			die("out of memory (zstd)");
		in->zcap = ZSTD_DStreamInSize();
		if (in->zcap < 4)
			in->zcap = 4;
		in->zret = 1;
	} else if (got >= 2 && gzip_start(head)) {
		in->gz = xcalloc(1, sizeof(*in->gz));
		/* 16 + 15: a gzip header and trailer around deflate data
		 * with a window of up to 32 KiB, the most there is. */
		if (inflateInit2(in->gz, 16 + MAX_WBITS) != Z_OK)
			die("out of memory (zlib)");
		in->zcap = GZIP_READ;
	}
	if (in->zcap) {
		in->zbuf = xmalloc(in->zcap);
		memcpy(in->zbuf, head, got);
		in->zlen = got;
	} else {
		in->carry_cap = 64;
		in->carry = xmalloc(in->carry_cap);
		memcpy(in->carry, head, got);
		in->carry_len = got;
	}
	return 0;
}

int input_open(struct input *in, const char *path)
{
	memset(in, 0, sizeof(*in));
	in->fd = -1;
	if (!folder_is(path)) {
		int rc = open_file(in, path);
		if (rc < 0)
			in->name = path;
		return rc;
	}
	in->name = path;
	if (folder_list(path, !folder_listed(path), &in->files, &in->nfiles) < 0)
		return -1;
	keep_files(path, in->files, in->nfiles);
	/* The first read opens the first file: one that cannot be opened is
	 * then an error of that read, and the next read goes on. */
	in->file_done = 1;
	return 0;
}

void input_suspend(struct input *in)
{
	if (!in->close_fd || in->suspended)
		return;
	close(in->fd);
	in->fd = -1;
	in->suspended = 1;
}

/* Open a suspended input again, at the offset where reading stopped. */
static int input_resume(struct input *in)
{
	int fd = open(in->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_errno("%s", in->name);
	off_t at = (off_t)in->bytes_read;
	if (lseek(fd, at, SEEK_SET) != at) {
		int saved = errno;
		close(fd);
		errno = saved;
		return error_errno("%s: cannot return to byte %llu", in->name,
				   (unsigned long long)in->bytes_read);
	}
	in->fd = fd;
	in->suspended = 0;
	return 0;
}

void input_close(struct input *in)
{
	close_file(in);
	/* A folder's file names stay: they are kept_files'. */
	in->files = NULL;
	in->nfiles = in->next_file = 0;
}

void block_release(struct block *b)
{
	free(b->buf);
	free(b->eol);
	memset(b, 0, sizeof(*b));
}

/* The number of the line at the end of what b holds so far and the
 * `more` bytes decoded after it: where compressed data that failed to
 * decode would have gone on. */
static uint64_t line_at_end(const struct input *in, const struct block *b, size_t more)
{
	uint64_t n = in->lineno + 1;
	for (const char *p = b->buf, *end = b->buf + b->len + more;
	     (p = memchr(p, '\n', (size_t)(end - p))); p++)
		n++;
	return n;
}

/* Report compressed data that does not decode, at its file and line. */
__attribute__((format(printf, 4, 5)))
static int data_error(const struct input *in, const struct block *b, size_t more, const char *fmt,
		      ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error("%s:%llu: %s", in->name, (unsigned long long)line_at_end(in, b, more), msg);
}

/* Read the next compressed bytes into zbuf once it is used up. Returns
 * 0, or -1 after an error. */
static int refill(struct input *in)
{
	if (in->zpos < in->zlen || in->eof)
		return 0;
	if (in->suspended && input_resume(in) < 0)
		return -1;
	ssize_t r = read_some(in->fd, in->zbuf, in->zcap);
	if (r < 0)
		return error_errno("%s", in->name);
	in->bytes_read += (uint64_t)r;
	in->zpos = 0;
	in->zlen = (size_t)r;
	if (r == 0)
		in->eof = 1;
	return 0;
}

static ssize_t fill_zstd(struct input *in, const struct block *b, char *dst, size_t room)
{
	ZSTD_outBuffer out = { dst, room, 0 };
	while (out.pos == 0) {
		if (refill(in) < 0)
			return -1;
		if (in->zpos == in->zlen && in->eof && in->zret == 0)
			return 0;
		ZSTD_inBuffer zin = { in->zbuf, in->zlen, in->zpos };
		size_t ret = ZSTD_decompressStream(in->zd, &out, &zin);
		if (ZSTD_isError(ret))
			return data_error(in, b, out.pos, "corrupt zstd input: %s", ZSTD_getErrorName(ret));
		in->zpos = zin.pos;
		in->zret = ret;
		/* No input left, none to come, and the frame unfinished. */
		if (out.pos == 0 && in->zpos == in->zlen && in->eof && ret != 0)
			return data_error(in, b, out.pos, "truncated zstd input");
	}
	return (ssize_t)out.pos;
}

/* gzip: members one after another (as gzip -d reads `cat a.gz b.gz`),
 * each checked against its CRC and length. What follows the last member
 * must be another member: anything else is corrupt input, not bytes to
 * drop in silence. */
static ssize_t fill_gzip(struct input *in, const struct block *b, char *dst, size_t room)
{
	z_stream *z = in->gz;
	uInt want = room > UINT_MAX ? UINT_MAX : (uInt)room;
	z->next_out = (Bytef *)dst;
	z->avail_out = want;
	while (z->avail_out == want) {
		if (refill(in) < 0)
			return -1;
		if (in->zpos == in->zlen) {
			if (in->gz_ended)
				return 0;
			return data_error(in, b, want - z->avail_out, "truncated gzip input");
		}
		if (in->gz_ended) {
			if (in->zbuf[in->zpos] != 0x1f)
				return data_error(in, b, want - z->avail_out, "corrupt gzip input: %s",
						  "bytes after the last member that are not gzip");
			inflateReset(z);
			in->gz_ended = 0;
		}
		z->next_in = in->zbuf + in->zpos;
		z->avail_in = (uInt)(in->zlen - in->zpos);
		int ret = inflate(z, Z_NO_FLUSH);
		in->zpos = in->zlen - z->avail_in;
		if (ret == Z_STREAM_END)
			in->gz_ended = 1;
		else if (ret == Z_MEM_ERROR)
			die("out of memory (zlib)");
		else if (ret != Z_OK && ret != Z_BUF_ERROR)
			return data_error(in, b, want - z->avail_out, "corrupt gzip input: %s",
					  z->msg ? z->msg : "a bad deflate stream");
	}
	return (ssize_t)(want - z->avail_out);
}

/* Append up to `room` decoded bytes at dst, the end of b's bytes.
 * Returns bytes added, 0 at the end of the file, -1 after an error. */
static ssize_t fill(struct input *in, const struct block *b, char *dst, size_t room)
{
	if (in->zd)
		return fill_zstd(in, b, dst, room);
	if (in->gz)
		return fill_gzip(in, b, dst, room);
	if (in->eof)
		return 0;
	if (in->suspended && input_resume(in) < 0)
		return -1;
	ssize_t r = read_some(in->fd, dst, room);
	if (r < 0)
		return error_errno("%s", in->name);
	if (r == 0)
		in->eof = 1;
	in->bytes_read += (uint64_t)r;
	return r;
}

/* Note where the block's lines end: the offset of every newline goes to
 * b->eol, so that the worker that splits the block need not search for
 * them again. The reader thread does this for every block; with zstd
 * input it is the busiest thread, so it looks at sixteen bytes at a time.
 * A block too large for 32-bit offsets gets no list (b->eol_valid 0). */
static void reserve_eol(struct block *b, size_t more)
{
	if (b->eolcap - b->neol < more) {
		b->eolcap = grow_capacity(b->eolcap, b->neol + more, 4096);
		b->eol = xreallocarray(b->eol, b->eolcap, sizeof(*b->eol));
	}
}

static void find_line_ends(struct block *b)
{
	const char *p = b->buf;
	size_t n = b->len, i = 0;
	b->neol = 0;
	b->eol_valid = n <= UINT32_MAX;
	if (!b->eol_valid)
		return;
#if defined(__SSE2__)
	const __m128i nl = _mm_set1_epi8('\n');
	for (; i + 16 <= n; i += 16) {
		unsigned mask = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)), nl));
		if (!mask)
			continue;
		reserve_eol(b, 16);
		while (mask) {
			b->eol[b->neol++] = (uint32_t)(i + (size_t)__builtin_ctz(mask));
			mask &= mask - 1;
		}
	}
#endif
	for (; i < n; i++) {
		if (p[i] == '\n') {
			reserve_eol(b, 1);
			b->eol[b->neol++] = (uint32_t)i;
		}
	}
}

static uint64_t count_lines(struct block *b)
{
	if (b->eol_valid)
		return b->neol;
	uint64_t count = 0;
	for (size_t i = 0; i < b->len; i++)
		count += b->buf[i] == '\n';
	return count;
}

/* input_read_block() for the file being read. */
static int read_file_block(struct input *in, struct block *b, size_t target)
{
	size_t need = size_add(in->carry_len > target ? in->carry_len : target, 1);
	if (b->cap < need) {
		free(b->buf);
		b->cap = grow_capacity(0, need, BLOCK_SIZE + 1);
		b->buf = xmalloc(b->cap);
	}
	b->name = in->name;
	if (in->carry_len)
		memcpy(b->buf, in->carry, in->carry_len);
	b->len = in->carry_len;
	in->carry_len = 0;
	/* The first block must see three bytes to find a byte-order mark;
	 * zstd input hands out as little as it is asked for. */
	if (!in->started && target < 3)
		target = 3;
	size_t step = target ? target : 1;
	/* A carried line as long as the target: read as far again past it
	 * (the loop below reads on when it still holds no newline). */
	if (target < b->len + 1) {
		target = size_add(b->len, step);
		if (target > b->cap - 1)
			target = b->cap - 1;
	}

	size_t scanned = b->len; /* the carry holds no newline */
	if (!in->started)
		scanned = 0; /* except the first bytes of the input */
	for (;;) {
		int done = 0;
		while (b->len < target) {
			ssize_t r = fill(in, b, b->buf + b->len, target - b->len);
			if (r < 0)
				return -1;
			if (r == 0) {
				done = 1;
				break;
			}
			b->len += (size_t)r;
		}
		if (!in->started) {
			in->started = 1;
			if (b->len >= 3 && !memcmp(b->buf, "\xEF\xBB\xBF", 3)) {
				memmove(b->buf, b->buf + 3, b->len - 3);
				b->len -= 3;
			}
		}
		const char *nl = NULL;
		for (size_t i = b->len; i > scanned; i--)
			if (b->buf[i - 1] == '\n') {
				nl = b->buf + i - 1;
				break;
			}
		if (nl) {
			/* Keep whole lines; carry the tail to the next block. */
			size_t keep = (size_t)(nl + 1 - b->buf);
			size_t tail = b->len - keep;
			if (tail > in->carry_cap) {
				in->carry_cap = grow_capacity(in->carry_cap, tail, 64);
				free(in->carry);
				in->carry = xmalloc(in->carry_cap);
			}
			if (tail)
				memcpy(in->carry, nl + 1, tail);
			in->carry_len = tail;
			b->len = keep;
			break;
		}
		if (done) {
			if (b->len == 0)
				return 0;
			break; /* a last line without a newline */
		}
		/* No newline yet: a line longer than the target. Read on until
		 * one comes, twice as far each time so that a huge line costs
		 * few passes, and grow the buffer only when it is full: a block
		 * of one long line should not leave the buffer larger for every
		 * block after it. */
		scanned = b->len;
		if (b->len + 1 >= b->cap) {
			b->cap = grow_capacity(b->cap, size_add(b->cap, 1), BLOCK_SIZE);
			b->buf = xrealloc(b->buf, b->cap);
		}
		target = size_add(b->len, b->len > step ? b->len : step);
		if (target > b->cap - 1)
			target = b->cap - 1;
	}
	find_line_ends(b);
	b->nlines = count_lines(b);
	if (b->len && b->buf[b->len - 1] != '\n')
		b->nlines++;
	b->first_line = in->lineno + 1;
	in->lineno += b->nlines;
	b->buf[b->len] = '\0';
	return 1;
}

int input_read_block(struct input *in, struct block *b, size_t target)
{
	for (;;) {
		if (!in->file_done) {
			int r = read_file_block(in, b, target);
			if (r > 0)
				return r;
			in->file_done = 1;
			if (r < 0)
				return -1;
		}
		/* The end of a file, or one given up: a folder's next. */
		if (in->next_file == in->nfiles)
			return 0;
		close_file(in);
		if (open_file(in, in->files[in->next_file++]) < 0) {
			in->file_done = 1;
			return -1;
		}
	}
}

void block_cursor_init(struct block_cursor *c, const struct block *b)
{
	c->pos = 0;
	c->next_eol = 0;
	c->lineno = b->first_line - 1;
}

int block_next_line(const struct block *b, struct block_cursor *c, struct line *l)
{
	while (c->pos < b->len) {
		const char *start = b->buf + c->pos;
		const char *nl;
		if (b->eol_valid)
			nl = c->next_eol < b->neol ? b->buf + b->eol[c->next_eol++] : NULL;
		else
			nl = memchr(start, '\n', b->len - c->pos);
		size_t len = nl ? (size_t)(nl - start) : b->len - c->pos;
		c->pos += len + (nl ? 1 : 0);
		c->lineno++;
		if (len && start[len - 1] == '\r')
			len--;
		size_t i = 0;
		while (i < len && (start[i] == ' ' || start[i] == '\t' || start[i] == '\r'))
			i++;
		if (i == len)
			continue; /* blank */
		l->p = start;
		l->len = len;
		l->lineno = c->lineno;
		return 1;
	}
	return 0;
}

int file_slurp(const char *path, struct strbuf *out)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	char chunk[1 << 16];
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_add(out, chunk, k);
	int failed = ferror(f);
	int saved = errno;
	fclose(f);
	if (failed) {
		errno = saved;
		return -1;
	}
	return 0;
}

int write_full(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

size_t input_short_name(const char *path, const char **base)
{
	/* A folder's name may end in slashes: "data/gen-4/" is "gen-4". */
	size_t end = strlen(path);
	while (end > 1 && path[end - 1] == '/')
		end--;
	const char *slash = memrchr(path, '/', end);
	*base = slash && slash + 1 < path + end ? slash + 1 : path;
	size_t n = (size_t)(path + end - *base);
	static const char *const ext[] = { ".zst", ".gz", ".jsonl", ".json" };
	for (size_t k = 0; k < sizeof(ext) / sizeof(*ext); k++) {
		size_t e = strlen(ext[k]);
		if (n > e && !memcmp(*base + n - e, ext[k], e)) {
			n -= e;
			if (k == 0)
				k++; /* .zst or .gz, not both */
		}
	}
	return n;
}
