/* fuzz-input.c: libFuzzer target for the block reader.
 *
 * The first byte of the fuzz input chooses how the rest is read:
 *
 *   bits 0-2  the block target, from 0 bytes up to BLOCK_SIZE
 *   bit 3     compress the rest with zstd first (its frames decode to it)
 *   bit 4     with bit 3: two frames with a skippable frame between them;
 *             without it: compress the rest with gzip, as two members
 *             split in the middle (a line may span them)
 *   bit 5     change the target from one block to the next
 *   bit 6     read through standard input ("-") instead of a path
 *   bit 7     with target BLOCK_SIZE (bits 0-2 all set): put a line of
 *             BLOCK_SIZE bytes (no newline) in the middle of the rest, so
 *             that a line outgrows the buffer (only then: such runs are
 *             slow)
 *
 * The rest goes into a memfd that the reader opens as /proc/self/fd/N.
 * The reader's output is compared with a model of the text the file
 * holds: the blocks, concatenated, are the text less a leading byte-order
 * mark, and the lines block_next_line() hands out are the text's lines,
 * numbered from 1, without the newline or one CR before it, blank ones
 * skipped. The text is the rest itself, or what we compressed; raw bytes
 * that start with the zstd magic number are decoded here with libzstd's
 * streaming API first, and those that start with gzip's (1f 8b) with
 * zlib's inflate, member after member, as gzip -d reads them. When that
 * decoding fails the reader must fail too (an error, never a crash);
 * past 4 MiB of output nothing is modelled.
 * The block buffer grows only when a line fills it, and no file
 * descriptor outlives input_close().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "input.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reader reports corrupt zstd input on stderr, thousands of times a
 * second, so the fuzzer is best run with -close_fd_mask=2. A violated
 * property is still reported, on a copy of stderr made before that. */
static int report_fd = 2;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	int fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (fd >= 0)
		report_fd = fd;
	return 0;
}

#define CHECK(cond, what)                                                  \
	do {                                                               \
		if (!(cond)) {                                             \
			dprintf(report_fd, "fuzz-input: property violated: %s (%s:%d)\n", \
				(what), __FILE__, __LINE__);               \
			abort();                                           \
		}                                                          \
	} while (0)

static const size_t targets[8] = { 0, 1, 2, 3, 7, 64, 4096, BLOCK_SIZE };

static int fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

static void write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t w = write(fd, p, n);
		CHECK(w > 0, "writing the memfd");
		p += w;
		n -= (size_t)w;
	}
}

/* Compress src[0..n) into one frame appended to *dst (of *len bytes). */
static void add_frame(unsigned char **dst, size_t *len, const void *src, size_t n)
{
	size_t bound = ZSTD_compressBound(n);
	unsigned char *p = realloc(*dst, *len + bound);
	CHECK(p != NULL, "allocating");
	static ZSTD_CCtx *cctx; /* kept for the process: creating one per run is slow */
	if (!cctx)
		cctx = ZSTD_createCCtx();
	CHECK(cctx != NULL, "ZSTD_createCCtx");
	size_t r = ZSTD_compressCCtx(cctx, p + *len, bound, src, n, 1);
	CHECK(!ZSTD_isError(r), "ZSTD_compress");
	*dst = p;
	*len += r;
}

static void add_skippable(unsigned char **dst, size_t *len)
{
	static const unsigned char frame[] = { 0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 'a', 'b', 'c' };
	unsigned char *p = realloc(*dst, *len + sizeof(frame));
	CHECK(p != NULL, "allocating");
	memcpy(p + *len, frame, sizeof(frame));
	*dst = p;
	*len += sizeof(frame);
}

/* Decode the zstd frames of src[0..n) into *out: 1 when they decode
 * cleanly to the end, 0 when they are corrupt or truncated, -1 when the
 * output would pass `limit`. */
static int zstd_decode(const void *src, size_t n, unsigned char **out, size_t *out_len,
		       size_t limit)
{
	static ZSTD_DCtx *dctx; /* kept for the process, reset per use */
	if (!dctx)
		dctx = ZSTD_createDCtx();
	CHECK(dctx != NULL, "ZSTD_createDCtx");
	ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
	size_t cap = 4096, ret = 1;
	unsigned char *buf = malloc(cap);
	CHECK(buf != NULL, "allocating");
	ZSTD_inBuffer zin = { src, n, 0 };
	ZSTD_outBuffer zout = { buf, cap, 0 };
	int result = 1;
	while (zin.pos < zin.size || zout.pos == zout.size) {
		if (zout.pos == zout.size) {
			if (cap >= limit) {
				result = -1;
				break;
			}
			cap *= 2;
			buf = realloc(buf, cap);
			CHECK(buf != NULL, "allocating");
			zout.dst = buf;
			zout.size = cap;
		}
		size_t before_in = zin.pos, before_out = zout.pos;
		ret = ZSTD_decompressStream(dctx, &zout, &zin);
		if (ZSTD_isError(ret)) {
			result = 0;
			break;
		}
		if (zin.pos == before_in && zout.pos == before_out && zout.pos < zout.size)
			break; /* no progress: the input is used up */
	}
	if (result == 1 && ret != 0)
		result = 0; /* the last frame is unfinished */
	*out = buf;
	*out_len = zout.pos;
	return result;
}

/* Compress src[0..n) into one gzip member appended to *dst. */
static void add_member(unsigned char **dst, size_t *len, const void *src, size_t n)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	CHECK(deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK,
	      "deflateInit2");
	size_t bound = deflateBound(&z, (uLong)n);
	unsigned char *p = realloc(*dst, *len + bound);
	CHECK(p != NULL, "allocating");
	z.next_in = (Bytef *)src;
	z.avail_in = (uInt)n;
	z.next_out = p + *len;
	z.avail_out = (uInt)bound;
	CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
	*dst = p;
	*len += bound - z.avail_out;
	deflateEnd(&z);
}

/* Decode the gzip members of src[0..n) into *out, as zstd_decode does:
 * 1 when every member decodes and nothing but members follow, 0 when the
 * data is corrupt or cut, -1 when the output would pass `limit`. */
static int gzip_decode(const void *src, size_t n, unsigned char **out, size_t *out_len,
		       size_t limit)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	CHECK(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK, "inflateInit2");
	size_t cap = 4096, used = 0;
	unsigned char *buf = malloc(cap);
	CHECK(buf != NULL, "allocating");
	z.next_in = (Bytef *)src;
	z.avail_in = (uInt)n;
	int result = 1, ended = 0;
	for (;;) {
		if (ended) {
			if (!z.avail_in)
				break;
			if (*z.next_in != 0x1f) {
				result = 0;
				break;
			}
			inflateReset(&z);
			ended = 0;
		}
		if (used == cap) {
			if (cap >= limit) {
				result = -1;
				break;
			}
			cap *= 2;
			buf = realloc(buf, cap);
			CHECK(buf != NULL, "allocating");
		}
		z.next_out = buf + used;
		z.avail_out = (uInt)(cap - used);
		uInt before_in = z.avail_in, before_out = z.avail_out;
		int ret = inflate(&z, Z_NO_FLUSH);
		used = cap - z.avail_out;
		if (ret == Z_STREAM_END) {
			ended = 1;
			continue;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			result = 0;
			break;
		}
		if (z.avail_in == before_in && z.avail_out == before_out) {
			result = 0; /* no progress, input used up: cut */
			break;
		}
	}
	inflateEnd(&z);
	*out = buf;
	*out_len = used;
	return result;
}

/* The model's next line at or after *pos of text[0..n): 1 with the line,
 * 0 at the end. *lineno counts every line, blank or not. */
static int model_next_line(const char *text, size_t n, size_t *pos, uint64_t *lineno,
			   const char **line, size_t *len)
{
	while (*pos < n) {
		const char *start = text + *pos;
		const char *nl = memchr(start, '\n', n - *pos);
		size_t l = nl ? (size_t)(nl - start) : n - *pos;
		*pos += l + (nl != NULL);
		++*lineno;
		if (l && start[l - 1] == '\r')
			l--;
		size_t i = 0;
		while (i < l && (start[i] == ' ' || start[i] == '\t' || start[i] == '\r'))
			i++;
		if (i == l)
			continue; /* blank */
		*line = start;
		*len = l;
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned mode = data[0];
	const char *raw = (const char *)data + 1;
	size_t raw_len = size - 1;
	int compress = mode & 8, use_stdin = mode & 64;
	int gzip = !compress && (mode & 16);

	char *big = NULL;
	if ((mode & 0x87) == 0x87) {
		size_t half = raw_len / 2;
		big = malloc(raw_len + BLOCK_SIZE);
		CHECK(big != NULL, "allocating");
		memcpy(big, raw, half);
		memset(big + half, 'x', BLOCK_SIZE);
		memcpy(big + half + BLOCK_SIZE, raw + half, raw_len - half);
		raw = big;
		raw_len += BLOCK_SIZE;
	}

	/* The model: the text the file holds, when we know it. */
	const char *text = raw;
	size_t text_len = raw_len;
	unsigned char *decoded = NULL;
	int model = 1, must_fail = 0;
	if (!compress && !gzip && raw_len >= 4 && !memcmp(raw, "\x28\xB5\x2F\xFD", 4)) {
		size_t dlen;
		int d = zstd_decode(raw, raw_len, &decoded, &dlen, 4u << 20);
		text = (const char *)decoded;
		text_len = dlen;
		model = d == 1;
		must_fail = d == 0;
	} else if (!compress && !gzip && raw_len >= 2 && !memcmp(raw, "\x1f\x8b", 2)) {
		size_t dlen;
		int d = gzip_decode(raw, raw_len, &decoded, &dlen, 4u << 20);
		text = (const char *)decoded;
		text_len = dlen;
		model = d == 1;
		must_fail = d == 0;
	}

	/* What goes into the file. */
	unsigned char *file = NULL;
	size_t file_len = 0;
	if (compress) {
		size_t half = (mode & 16) ? raw_len / 2 : raw_len;
		add_frame(&file, &file_len, raw, half);
		if (mode & 16) {
			add_skippable(&file, &file_len);
			add_frame(&file, &file_len, raw + half, raw_len - half);
		}
	} else if (gzip) {
		add_member(&file, &file_len, raw, raw_len / 2);
		add_member(&file, &file_len, raw + raw_len / 2, raw_len - raw_len / 2);
	}
	size_t skip = 0;
	if (text_len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		skip = 3;

	int mfd = memfd_create("fuzz-input", MFD_CLOEXEC);
	CHECK(mfd >= 0, "memfd_create");
	if (compress || gzip)
		write_all(mfd, file, file_len);
	else
		write_all(mfd, raw, raw_len);
	free(file);

	char path[64];
	int saved_stdin = -1;
	if (use_stdin) {
		CHECK(lseek(mfd, 0, SEEK_SET) == 0, "lseek");
		saved_stdin = dup(0);
		CHECK(saved_stdin >= 0 && dup2(mfd, 0) == 0, "redirecting stdin");
		strcpy(path, "-");
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	}

	struct input in;
	CHECK(input_open(&in, path) == 0, "input_open");
	int in_fd = in.fd;
	CHECK(use_stdin ? in_fd == 0 && !in.close_fd : in_fd != mfd && in.close_fd,
	      "input_open's file descriptor");

	struct block b = { 0 };
	size_t pos = skip;		/* model: the next byte the blocks must hold */
	size_t line_pos = skip;		/* model: where its next line starts */
	uint64_t model_lineno = 0, last_lineno = 0, next_first = 1;
	size_t max_len = 0;
	int r;
	for (unsigned call = 0;; call++) {
		size_t target = targets[((mode & 7) + ((mode & 32) ? call : 0)) & 7];
		r = input_read_block(&in, &b, target);
		if (r <= 0)
			break;
		CHECK(r == 1, "input_read_block returns 1, 0 or -1");
		CHECK(b.len > 0 && b.len < b.cap && b.buf[b.len] == '\0', "block length");
		CHECK(b.first_line == next_first, "blocks number their lines in sequence");
		CHECK(b.first_line == in.lineno - b.nlines + 1, "input counts the lines handed out");
		next_first = b.first_line + b.nlines;
		/* The buffer grows only when a line fills it, so it never holds
		 * more than twice the largest block (or one BLOCK_SIZE). */
		if (b.len > max_len)
			max_len = b.len;
		CHECK(b.cap <= BLOCK_SIZE + 1 || b.cap <= 2 * (max_len + 1),
		      "the block buffer grows only when full");
		uint64_t newlines = 0;
		for (const char *p = b.buf; (p = memchr(p, '\n', (size_t)(b.buf + b.len - p))); p++)
			newlines++;
		CHECK(b.nlines == newlines + (b.buf[b.len - 1] != '\n'), "block nlines");
		if (model) {
			CHECK(b.len <= text_len - pos && !memcmp(b.buf, text + pos, b.len),
			      "blocks are the input's bytes, in order");
			pos += b.len;
			CHECK(b.buf[b.len - 1] == '\n' || pos == text_len, "a block ends with a whole line");
		}

		struct block_cursor c;
		struct line l;
		block_cursor_init(&c, &b);
		while (block_next_line(&b, &c, &l)) {
			CHECK(l.p >= b.buf && l.p + l.len <= b.buf + b.len, "line inside its block");
			CHECK(l.len > 0 && !memchr(l.p, '\n', l.len), "line holds no newline");
			CHECK(l.lineno > last_lineno, "line numbers increase");
			CHECK(l.lineno >= b.first_line && l.lineno < b.first_line + b.nlines,
			      "line number within its block");
			last_lineno = l.lineno;
			if (model) {
				const char *want;
				size_t want_len;
				CHECK(model_next_line(text, pos, &line_pos, &model_lineno, &want, &want_len),
				      "a line the model has");
				CHECK(l.lineno == model_lineno, "line number as in the input");
				CHECK(l.len == want_len && !memcmp(l.p, want, want_len), "line bytes");
			}
		}
		if (model) {
			const char *want;
			size_t want_len;
			CHECK(!model_next_line(text, pos, &line_pos, &model_lineno, &want, &want_len),
			      "block_next_line hands out every line of the block");
		}
	}
	if (model) {
		CHECK(r == 0, "input_read_block reads a good input without error");
		CHECK(pos == text_len, "blocks account for every byte");
		CHECK(in.lineno == next_first - 1, "input line count");
		CHECK(input_read_block(&in, &b, targets[mode & 7]) == 0, "end of input stays the end");
	}
	if (must_fail)
		CHECK(r == -1, "corrupt or truncated zstd or gzip input is an error");
	free(decoded);
	free(big);
	input_close(&in);
	block_release(&b);

	if (use_stdin) {
		CHECK(fd_is_open(0), "input_close leaves standard input open");
		CHECK(dup2(saved_stdin, 0) == 0, "restoring stdin");
		close(saved_stdin);
	} else {
		CHECK(!fd_is_open(in_fd), "input_close closes its file descriptor");
	}
	close(mfd);
	return 0;
}
