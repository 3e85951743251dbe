/* test-input.c: the block reader: line splitting, BOM, CRLF, long lines,
 * zstd and gzip input and their errors, folders as inputs. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>

#include "diag.h"
#include "folder.h"
#include "input.h"
#include "strbuf.h"
#include "unit.h"

#define LIT(s) (s), (sizeof(s) - 1)

static char *tmp_paths[256];
static int ntmp;

/* Write p[0..n) to a new temporary file; returns its path. */
static const char *write_temp(const void *p, size_t n)
{
	const char *dir = getenv("TMPDIR");
	struct strbuf path = STRBUF_INIT;
	strbuf_addf(&path, "%s/synth-test-input-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path.buf);
	if (fd < 0) {
		perror(path.buf);
		exit(1);
	}
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			perror(path.buf);
			exit(1);
		}
		c += w;
		n -= (size_t)w;
	}
	close(fd);
	if (ntmp == (int)(sizeof(tmp_paths) / sizeof(tmp_paths[0]))) {
		fprintf(stderr, "too many temporary files\n");
		exit(1);
	}
	tmp_paths[ntmp++] = path.buf;
	return path.buf;
}

static void remove_temps(void)
{
	for (int i = 0; i < ntmp; i++) {
		unlink(tmp_paths[i]);
		free(tmp_paths[i]);
	}
	ntmp = 0;
}

/* What reading an input yields. */
struct result {
	int status;		/* 0: read to the end; -1: open or read error */
	struct strbuf lines;	/* "LINENO:content\n" per line */
	uint64_t blocks;
	size_t max_cap;		/* the largest block buffer seen */
	int consistent;		/* block line counts agree with the lines */
};

static void result_release(struct result *r)
{
	strbuf_release(&r->lines);
}

/* Read the input at path in blocks of about `target` bytes. */
/* Set: read_all() suspends the input after every block, and counts in
 * suspended_closed the blocks after which its descriptor was closed. */
static int suspend_each;
static uint64_t suspended_closed;

static void read_all(const char *path, size_t target, struct result *res)
{
	struct input in;
	struct block b = { 0 };
	uint64_t next_line = 1;
	memset(res, 0, sizeof(*res));
	strbuf_init(&res->lines);
	res->consistent = 1;
	if (input_open(&in, path)) {
		res->status = -1;
		return;
	}
	int r;
	while ((r = input_read_block(&in, &b, target)) == 1) {
		struct block_cursor c;
		struct line l;
		if (suspend_each) {
			int fd = in.fd;
			input_suspend(&in);
			suspended_closed += in.fd == -1 && fcntl(fd, F_GETFD) < 0;
		}
		res->blocks++;
		if (b.cap > res->max_cap)
			res->max_cap = b.cap;
		/* Whole lines only: every block but the last ends with '\n'. */
		if (b.first_line != next_line || b.len == 0 || b.buf[b.len] != '\0')
			res->consistent = 0;
		next_line = b.first_line + b.nlines;
		block_cursor_init(&c, &b);
		while (block_next_line(&b, &c, &l)) {
			if (l.lineno < b.first_line || l.lineno >= b.first_line + b.nlines)
				res->consistent = 0;
			strbuf_addf(&res->lines, "%llu:", (unsigned long long)l.lineno);
			strbuf_add(&res->lines, l.p, l.len);
			strbuf_addc(&res->lines, '\n');
		}
		if (b.buf[b.len - 1] != '\n') {
			/* A last line without a newline: nothing may follow. */
			struct block b2 = { 0 };
			if (input_read_block(&in, &b2, target) != 0)
				res->consistent = 0;
			block_release(&b2);
			break;
		}
	}
	res->status = r < 0 ? -1 : 0;
	if (in.lineno != next_line - 1)
		res->consistent = 0;
	input_close(&in);
	block_release(&b);
}

/* Read data from a file at several block sizes; each must give `want`. */
static void lines_are(const char *data, size_t n, const char *want, const char *what)
{
	static const size_t targets[] = { 1, 2, 3, 5, 16, 64, BLOCK_SIZE };
	const char *path = write_temp(data, n);
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct result res;
		read_all(path, targets[i], &res);
		ok(res.status == 0 && res.consistent, "%s: read at target %zu", what, targets[i]);
		is_str(res.lines.buf, want, "%s: lines at target %zu", what, targets[i]);
		result_release(&res);
	}
}

static void test_plain(void)
{
	lines_are(LIT("a\nb\n"), "1:a\n2:b\n", "two lines");
	lines_are(LIT("{\"a\":1}\r\n{\"b\":2}\r\n"), "1:{\"a\":1}\n2:{\"b\":2}\n", "CRLF");
	lines_are(LIT("a\r\nb"), "1:a\n2:b\n", "CRLF, then a last line without one");
	lines_are(LIT("a\rb\n"), "1:a\rb\n", "a CR inside a line stays");
	lines_are(LIT("a\nlast"), "1:a\n2:last\n", "a last line without a newline");
	lines_are(LIT("last\r"), "1:last\n", "a lone last line ending in CR");
	lines_are(LIT("x"), "1:x\n", "a one-byte file");
	lines_are(LIT("xy"), "1:xy\n", "a two-byte file");
	lines_are(LIT("{}\n"), "1:{}\n", "a three-byte file");
	lines_are(LIT("\n\n\n"), "", "only newlines");
	lines_are(LIT("\n  \n\t\r\n\r\na\n\n \t \nb"), "5:a\n8:b\n", "blank lines are skipped but counted");
	lines_are(LIT("  a  \n"), "1:  a  \n", "spaces around text stay");
	lines_are(LIT("\xef\xbb\xbf{\"a\":1}\n{\"b\":2}\n"), "1:{\"a\":1}\n2:{\"b\":2}\n", "a BOM at the start");
	lines_are(LIT("\xef\xbb\xbf"), "", "only a BOM");
	lines_are(LIT("\xef\xbb\xbfx"), "1:x\n", "a BOM and one byte");
	lines_are(LIT("\xef\xbb\xbf\n{}\n"), "2:{}\n", "a BOM on a blank first line");
	lines_are(LIT("{}\n\xef\xbb\xbf{}\n"), "1:{}\n2:\xef\xbb\xbf{}\n", "a BOM on line 2 stays");
	lines_are(LIT("\xef\xbb\xbf\xef\xbb\xbf{}\n"), "1:\xef\xbb\xbf{}\n", "only the first BOM goes");
	lines_are(LIT("\xef\xbb{}\n"), "1:\xef\xbb{}\n", "part of a BOM stays");
	lines_are(LIT("\x28\xb5\n"), "1:\x28\xb5\n", "part of the zstd magic is plain text");
	lines_are(LIT("a\0b\nc\n"), "1:a\0b\n2:c\n", "a NUL byte inside a line");

	struct result res;
	const char *empty = write_temp("", 0);
	read_all(empty, BLOCK_SIZE, &res);
	ok(res.status == 0 && res.blocks == 0 && res.lines.len == 0, "an empty file has no lines");
	result_release(&res);

	capture_stderr();
	read_all("/nonexistent/synth-test.jsonl", BLOCK_SIZE, &res);
	const char *msg = captured_stderr();
	ok(res.status == -1, "a missing file: input_open returns -1");
	ok(strstr(msg, "/nonexistent/synth-test.jsonl: No such file or directory") != NULL,
	   "a missing file: the message names it and the reason");
	result_release(&res);

}

/* Many lines of every length from 0 to 99: they span blocks at small
 * targets, and a block can hold many of them at large ones. */
static void make_lines(struct strbuf *data, struct strbuf *want, int nlines, int crlf)
{
	for (int i = 0; i < nlines; i++) {
		int len = (i * 37) % 100;
		size_t start = data->len;
		for (int k = 0; k < len; k++)
			strbuf_addc(data, (char)('a' + (i + k) % 26));
		if (len) {
			strbuf_addf(want, "%d:", i + 1);
			strbuf_add(want, data->buf + start, (size_t)len);
			strbuf_addc(want, '\n');
		}
		strbuf_addstr(data, crlf ? "\r\n" : "\n");
	}
}

static void test_spanning(void)
{
	struct strbuf data = STRBUF_INIT, want = STRBUF_INIT;
	make_lines(&data, &want, 500, 0);
	lines_are(data.buf, data.len, want.buf, "500 lines of 0 to 99 bytes");
	strbuf_reset(&data);
	strbuf_reset(&want);
	make_lines(&data, &want, 500, 1);
	lines_are(data.buf, data.len, want.buf, "500 CRLF lines of 0 to 99 bytes");

	/* At a 16-byte target most lines span blocks; the buffer must not
	 * grow with each of them. */
	struct result res;
	const char *path = write_temp(data.buf, data.len);
	read_all(path, 16, &res);
	ok(res.status == 0 && res.blocks >= 300, "small target: many blocks (%llu)",
	   (unsigned long long)res.blocks);
	ok(res.max_cap <= 2 * (size_t)BLOCK_SIZE + 2,
	   "small target: the block buffer stays small (%zu bytes)", res.max_cap);
	result_release(&res);

	/* Lines longer than the default target, again and again. */
	strbuf_reset(&data);
	for (int i = 0; i < 40; i++) {
		for (size_t k = 0; k < BLOCK_SIZE + 1000; k++)
			strbuf_addc(&data, 'x');
		strbuf_addc(&data, '\n');
	}
	path = write_temp(data.buf, data.len);
	read_all(path, BLOCK_SIZE, &res);
	ok(res.status == 0 && res.lines.len == 40 * (BLOCK_SIZE + 1000 + 3) + 31,
	   "40 lines longer than a block");
	ok(res.max_cap <= 4 * (size_t)BLOCK_SIZE + 4,
	   "40 long lines: the block buffer does not keep growing (%zu bytes)", res.max_cap);
	result_release(&res);
	strbuf_release(&data);
	strbuf_release(&want);
}

static void test_huge_line(void)
{
	size_t n = (size_t)100 << 20;
	char *data = malloc(n + 16);
	if (!data) {
		ok(0, "allocate 100 MB");
		return;
	}
	memcpy(data, "{}\n", 3);
	for (size_t i = 3; i < n + 3; i++)
		data[i] = (char)('a' + i % 26);
	memcpy(data + n + 3, "\n{\"z\":1}\n", 9);
	const char *path = write_temp(data, n + 12);

	struct input in;
	struct block b = { 0 };
	struct block_cursor c;
	struct line l;
	size_t got_len = 0;
	uint64_t got_line = 0, last_line = 0;
	int same = 0, r;
	ok(input_open(&in, path) == 0, "open the 100 MB file");
	while ((r = input_read_block(&in, &b, BLOCK_SIZE)) == 1) {
		block_cursor_init(&c, &b);
		while (block_next_line(&b, &c, &l)) {
			if (l.len > got_len) {
				got_len = l.len;
				got_line = l.lineno;
				same = l.len == n && !memcmp(l.p, data + 3, n);
			}
			last_line = l.lineno;
		}
	}
	ok(r == 0, "the 100 MB line reads to the end");
	ok(got_len == n, "one line of 100 MB: length %zu", got_len);
	ok(got_line == 2, "one line of 100 MB: line number %llu", (unsigned long long)got_line);
	ok(same, "one line of 100 MB: its bytes");
	ok(last_line == 3, "the line after it is line 3");
	input_close(&in);
	block_release(&b);
	unlink(path);
	free(data);
}

/* Compress p[0..n) into out as one zstd frame, with a checksum. */
static void zstd_frame(struct strbuf *out, const void *p, size_t n, int checksum)
{
	size_t bound = ZSTD_compressBound(n);
	strbuf_grow(out, bound);
	size_t z;
	if (checksum) {
		ZSTD_CCtx *cc = ZSTD_createCCtx();
		ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
		z = ZSTD_compress2(cc, out->buf + out->len, bound, p, n);
		ZSTD_freeCCtx(cc);
	} else {
		z = ZSTD_compress(out->buf + out->len, bound, p, n, 3);
	}
	if (ZSTD_isError(z)) {
		fprintf(stderr, "ZSTD_compress: %s\n", ZSTD_getErrorName(z));
		exit(1);
	}
	strbuf_setlen(out, out->len + z);
}

/* Read zstd data from a file; expect an error whose message holds msg. */
static void zstd_error(const char *p, size_t n, const char *msg, const char *what)
{
	const char *path = write_temp(p, n);
	struct result res;
	capture_stderr();
	read_all(path, 64, &res);
	const char *got = captured_stderr();
	ok(res.status == -1, "%s: an error", what);
	if (!ok(strstr(got, path) && strstr(got, msg), "%s: message \"%s\"", what, msg))
		printf("#   got: %s\n", got);
	result_release(&res);
}

static void test_zstd(void)
{
	struct strbuf data = STRBUF_INIT, want = STRBUF_INIT, z = STRBUF_INIT;
	make_lines(&data, &want, 3000, 0);
	zstd_frame(&z, data.buf, data.len, 0);
	lines_are(z.buf, z.len, want.buf, "zstd: one frame");

	/* Two frames, split in the middle of a line. */
	strbuf_reset(&z);
	zstd_frame(&z, data.buf, data.len / 2 + 7, 0);
	zstd_frame(&z, data.buf + data.len / 2 + 7, data.len - data.len / 2 - 7, 1);
	lines_are(z.buf, z.len, want.buf, "zstd: two concatenated frames");

	/* A BOM inside the compressed data is removed too. */
	strbuf_reset(&z);
	zstd_frame(&z, LIT("\xef\xbb\xbf{}\r\n\xef\xbb\xbf{}"), 0);
	lines_are(z.buf, z.len, "1:{}\n2:\xef\xbb\xbf{}\n", "zstd: BOM and CRLF");

	/* Empty frames: no lines, no error. */
	strbuf_reset(&z);
	zstd_frame(&z, "", 0, 0);
	lines_are(z.buf, z.len, "", "zstd: an empty frame");
	zstd_frame(&z, LIT("a\n"), 0);
	zstd_frame(&z, "", 0, 1);
	lines_are(z.buf, z.len, "1:a\n", "zstd: empty frames around one line");

	/* A skippable frame first (magic 0x184D2A50 to 0x184D2A5F, a 32-bit
	 * length, that many bytes), as zstd -d reads it: still zstd. It was
	 * read as text, and its binary as records. */
	for (unsigned k = 0; k < 16; k += 15) {
		strbuf_reset(&z);
		unsigned char skip[8 + 5] = { (unsigned char)(0x50 + k), 0x2A, 0x4D, 0x18, 5, 0, 0, 0,
					      0xff, 0x00, 0xfe, '\n', 0x01 };
		strbuf_add(&z, skip, sizeof(skip));
		zstd_frame(&z, LIT("{\"a\":1}\n{}\n"), 1);
		strbuf_add(&z, skip, sizeof(skip));
		lines_are(z.buf, z.len, "1:{\"a\":1}\n2:{}\n",
			  k ? "zstd: skippable frames 0x184D2A5F around a frame"
			    : "zstd: skippable frames 0x184D2A50 around a frame");
	}
	strbuf_reset(&z);
	strbuf_add(&z, "\x5a\x2a\x4d\x18\0\0\0\0", 8);
	lines_are(z.buf, z.len, "", "zstd: a skippable frame alone: no lines, no error");
	lines_are(LIT("\x5a\x2a\x4d\x17\n"), "1:\x5a\x2a\x4d\x17\n",
		  "a near miss of the skippable magic is plain text");

	/* A larger input, so that decoding spans many reads. */
	strbuf_reset(&data);
	strbuf_reset(&want);
	make_lines(&data, &want, 60000, 0);
	strbuf_reset(&z);
	zstd_frame(&z, data.buf, data.len, 1);
	const char *path = write_temp(z.buf, z.len);
	struct result res;
	read_all(path, BLOCK_SIZE, &res);
	ok(res.status == 0 && res.consistent && res.blocks >= 2, "zstd: 3 MB in %llu blocks",
	   (unsigned long long)res.blocks);
	ok(res.lines.len == want.len && !memcmp(res.lines.buf, want.buf, want.len),
	   "zstd: 3 MB of lines come back");
	result_release(&res);

	/* Truncated anywhere: an error, never a crash or a silent end. */
	size_t cuts[] = { 4, 5, 8, 12, z.len / 3, z.len / 2, z.len - 5, z.len - 1 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct strbuf what = STRBUF_INIT;
		strbuf_addf(&what, "zstd cut to %zu of %zu bytes", cuts[i], z.len);
		const char *p = write_temp(z.buf, cuts[i]);
		capture_stderr();
		read_all(p, BLOCK_SIZE, &res);
		const char *got = captured_stderr();
		ok(res.status == -1 && strstr(got, p) &&
		   (strstr(got, "truncated zstd input") || strstr(got, "corrupt zstd input")),
		   "%s: an error naming the file", what.buf);
		result_release(&res);
		strbuf_release(&what);
	}
	zstd_error(z.buf, z.len / 2, "truncated zstd input", "zstd cut in half");

	/* Corrupt: a bad frame header, a damaged block, trailing garbage. */
	char header[64];
	memcpy(header, "\x28\xb5\x2f\xfd", 4);
	memset(header + 4, 0xff, sizeof(header) - 4);
	zstd_error(header, sizeof(header), "corrupt zstd input", "zstd: a bad frame header");
	struct strbuf bad = STRBUF_INIT;
	strbuf_add(&bad, z.buf, z.len);
	for (size_t i = bad.len / 2; i < bad.len / 2 + 64; i++)
		bad.buf[i] ^= 0x5a;
	zstd_error(bad.buf, bad.len, "corrupt zstd input", "zstd: a damaged block");
	strbuf_reset(&bad);
	zstd_frame(&bad, LIT("{}\n"), 1);
	bad.buf[bad.len - 1] ^= 1;
	zstd_error(bad.buf, bad.len, "corrupt zstd input", "zstd: a bad checksum");
	strbuf_reset(&bad);
	zstd_frame(&bad, LIT("{}\n"), 0);
	strbuf_addstr(&bad, "trailing garbage\n");
	zstd_error(bad.buf, bad.len, "corrupt zstd input", "zstd: garbage after the frame");

	strbuf_release(&bad);
	strbuf_release(&data);
	strbuf_release(&want);
	strbuf_release(&z);
}

/* Compress p[0..n) into out as one gzip member, at zlib's level `level`. */
static void gzip_member(struct strbuf *out, const void *p, size_t n, int level)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		fprintf(stderr, "deflateInit2 failed\n");
		exit(1);
	}
	size_t bound = deflateBound(&z, (uLong)n);
	strbuf_grow(out, bound);
	z.next_in = (Bytef *)p;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out->buf + out->len;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		fprintf(stderr, "deflate did not finish\n");
		exit(1);
	}
	strbuf_setlen(out, out->len + (bound - z.avail_out));
	deflateEnd(&z);
}

/* Read gzip data from a file; expect an error whose message is
 * "PATH:LINE: msg..." (LINE 0: any line). */
static void gzip_error(const char *p, size_t n, unsigned line, const char *msg, const char *what)
{
	const char *path = write_temp(p, n);
	struct result res;
	capture_stderr();
	read_all(path, 64, &res);
	const char *got = captured_stderr();
	ok(res.status == -1, "%s: an error", what);
	struct strbuf want = STRBUF_INIT;
	if (line)
		strbuf_addf(&want, "%s:%u: %s", path, line, msg);
	else
		strbuf_addf(&want, "%s:", path);
	if (!ok(strstr(got, want.buf) && strstr(got, msg), "%s: message \"%s\"", what, want.buf))
		printf("#   got: %s\n", got);
	strbuf_release(&want);
	result_release(&res);
}

static void test_gzip(void)
{
	struct strbuf data = STRBUF_INIT, want = STRBUF_INIT, z = STRBUF_INIT;
	make_lines(&data, &want, 3000, 0);
	gzip_member(&z, data.buf, data.len, 6);
	lines_are(z.buf, z.len, want.buf, "gzip: one member");

	/* Members one after another, split in the middle of a line, as
	 * `cat a.gz b.gz` makes them; levels 0 (stored) and 9 too. */
	strbuf_reset(&z);
	size_t third = data.len / 3 + 5;
	gzip_member(&z, data.buf, third, 1);
	gzip_member(&z, data.buf + third, third, 0);
	gzip_member(&z, data.buf + 2 * third, data.len - 2 * third, 9);
	lines_are(z.buf, z.len, want.buf, "gzip: three members, cut mid-line");

	strbuf_reset(&z);
	gzip_member(&z, LIT("\xef\xbb\xbf{}\r\n\xef\xbb\xbf{}"), 6);
	lines_are(z.buf, z.len, "1:{}\n2:\xef\xbb\xbf{}\n", "gzip: BOM and CRLF");

	strbuf_reset(&z);
	gzip_member(&z, "", 0, 6);
	lines_are(z.buf, z.len, "", "gzip: an empty member");
	gzip_member(&z, LIT("a\n"), 6);
	gzip_member(&z, "", 0, 6);
	lines_are(z.buf, z.len, "1:a\n", "gzip: empty members around one line");
	lines_are(LIT("\x1f\x8c\n"), "1:\x1f\x8c\n", "a near miss of the gzip magic is plain text");

	/* 3 MB: decoding spans many reads and blocks. */
	strbuf_reset(&data);
	strbuf_reset(&want);
	make_lines(&data, &want, 60000, 0);
	strbuf_reset(&z);
	gzip_member(&z, data.buf, data.len, 6);
	const char *path = write_temp(z.buf, z.len);
	struct result res;
	read_all(path, BLOCK_SIZE, &res);
	ok(res.status == 0 && res.consistent && res.blocks >= 2, "gzip: 3 MB in %llu blocks",
	   (unsigned long long)res.blocks);
	ok(res.lines.len == want.len && !memcmp(res.lines.buf, want.buf, want.len),
	   "gzip: 3 MB of lines come back");
	result_release(&res);

	/* Truncated anywhere: an error naming the file and a line, never a
	 * crash or a silent end. */
	size_t cuts[] = { 2, 3, 10, 11, 20, z.len / 3, z.len / 2, z.len - 8, z.len - 1 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct strbuf what = STRBUF_INIT;
		strbuf_addf(&what, "gzip cut to %zu of %zu bytes", cuts[i], z.len);
		const char *p = write_temp(z.buf, cuts[i]);
		capture_stderr();
		read_all(p, BLOCK_SIZE, &res);
		const char *got = captured_stderr();
		struct strbuf named = STRBUF_INIT;
		strbuf_addf(&named, "%s:", p);
		ok(res.status == -1 && strstr(got, named.buf) && strstr(got, ": truncated gzip input"),
		   "%s: an error naming the file and line", what.buf);
		strbuf_release(&named);
		result_release(&res);
		strbuf_release(&what);
	}

	/* The line is the one the cut falls in: lines 1 and 2 whole, the
	 * member cut in line 3 (a stored member, so bytes map to lines). */
	strbuf_reset(&z);
	gzip_member(&z, LIT("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n{\"d\":4}\n"), 0);
	gzip_error(z.buf, 10 + 5 + 8 + 8 + 3, 3, "truncated gzip input", "gzip cut in line 3");
	/* Cut in the trailer: every line whole, the check incomplete. */
	gzip_error(z.buf, z.len - 4, 5, "truncated gzip input", "gzip cut in the trailer");

	/* Corrupt: a bad method, a damaged block, a bad CRC, a bad length,
	 * bytes after the last member. */
	char header[32];
	memcpy(header, "\x1f\x8b\x07\x00", 4);
	memset(header + 4, 0, sizeof(header) - 4);
	gzip_error(header, sizeof(header), 1, "corrupt gzip input: unknown compression method",
		   "gzip: a bad method");
	struct strbuf bad = STRBUF_INIT;
	gzip_member(&bad, data.buf, data.len, 6);
	for (size_t i = bad.len / 2; i < bad.len / 2 + 64; i++)
		bad.buf[i] ^= 0x5a;
	gzip_error(bad.buf, bad.len, 0, "corrupt gzip input", "gzip: a damaged block");
	strbuf_reset(&bad);
	gzip_member(&bad, LIT("{}\n{}\n"), 6);
	bad.buf[bad.len - 8] ^= 1;
	gzip_error(bad.buf, bad.len, 3, "corrupt gzip input: incorrect data check",
		   "gzip: a bad CRC");
	strbuf_reset(&bad);
	gzip_member(&bad, LIT("{}\n{}\n"), 6);
	bad.buf[bad.len - 4] ^= 1;
	gzip_error(bad.buf, bad.len, 3, "corrupt gzip input: incorrect length check",
		   "gzip: a bad length");
	strbuf_reset(&bad);
	gzip_member(&bad, LIT("{}\n"), 6);
	strbuf_addstr(&bad, "trailing garbage\n");
	gzip_error(bad.buf, bad.len, 2, "corrupt gzip input: bytes after the last member",
		   "gzip: garbage after the member");
	strbuf_reset(&bad);
	gzip_member(&bad, LIT("{}\n"), 6);
	strbuf_add(&bad, "\0\0\0\0", 4);
	gzip_error(bad.buf, bad.len, 2, "corrupt gzip input: bytes after the last member",
		   "gzip: zeros after the member");

	strbuf_release(&bad);
	strbuf_release(&data);
	strbuf_release(&want);
	strbuf_release(&z);
}

/* Feed a pipe one byte at a time from a thread, so that every read is
 * short: the magic number, the BOM and the lines all arrive in pieces. */
struct feeder {
	int fd;
	const char *p;
	size_t n;
};

static void *feed(void *arg)
{
	struct feeder *f = arg;
	for (size_t i = 0; i < f->n; i++) {
		if (write(f->fd, f->p + i, 1) != 1)
			break;
		if (i % 7 == 0)
			usleep(50);
	}
	close(f->fd);
	return NULL;
}

static void pipe_lines_are(const char *p, size_t n, const char *want, const char *what)
{
	int fds[2];
	if (pipe(fds)) {
		ok(0, "pipe: %s", strerror(errno));
		return;
	}
	int saved = dup(0);
	dup2(fds[0], 0);
	close(fds[0]);
	struct feeder f = { fds[1], p, n };
	pthread_t t;
	pthread_create(&t, NULL, feed, &f);
	struct result res;
	read_all("-", 16, &res);
	pthread_join(t, NULL);
	dup2(saved, 0);
	close(saved);
	ok(res.status == 0 && res.consistent, "%s: read from a pipe", what);
	is_str(res.lines.buf, want, "%s: lines from a pipe", what);
	result_release(&res);
}

static void test_pipe(void)
{
	pipe_lines_are(LIT("\xef\xbb\xbf{\"a\":1}\r\n\n{\"b\":2}"), "1:{\"a\":1}\n3:{\"b\":2}\n",
		       "plain text");
	struct strbuf z = STRBUF_INIT;
	zstd_frame(&z, LIT("\xef\xbb\xbf{\"a\":1}\n{\"b\":2}\n"), 1);
	pipe_lines_are(z.buf, z.len, "1:{\"a\":1}\n2:{\"b\":2}\n", "zstd");
	strbuf_reset(&z);
	gzip_member(&z, LIT("\xef\xbb\xbf{\"a\":1}\n"), 6);
	gzip_member(&z, LIT("{\"b\":2}\n"), 1);
	pipe_lines_are(z.buf, z.len, "1:{\"a\":1}\n2:{\"b\":2}\n", "gzip, two members");
	strbuf_release(&z);

	struct input in;
	int saved = dup(0);
	int fd = open("/dev/null", O_RDONLY);
	dup2(fd, 0);
	close(fd);
	ok(input_open(&in, "-") == 0 && !strcmp(in.name, "<stdin>"), "\"-\" is standard input");
	input_close(&in);
	dup2(saved, 0);
	close(saved);
}

/* A suspended input closes its file and comes back where it was, plain,
 * zstd or gzip: synth-mix reads a thousand sources under a limit of 64 open
 * files so. */
static void test_suspend(void)
{
	struct strbuf data = STRBUF_INIT, want = STRBUF_INIT, z = STRBUF_INIT;
	make_lines(&data, &want, 20000, 0);
	zstd_frame(&z, data.buf, data.len / 3, 0);
	zstd_frame(&z, data.buf + data.len / 3, data.len - data.len / 3, 1);
	struct strbuf g = STRBUF_INIT;
	gzip_member(&g, data.buf, data.len / 3, 6);
	gzip_member(&g, data.buf + data.len / 3, data.len - data.len / 3, 6);
	const char *paths[3] = { write_temp(data.buf, data.len), write_temp(z.buf, z.len),
				 write_temp(g.buf, g.len) };
	static const char *const kinds[3] = { "plain", "zstd", "gzip" };
	strbuf_release(&g);
	static const size_t targets[] = { 1, 7, 4096, BLOCK_SIZE };
	for (int k = 0; k < 3; k++) {
		for (size_t t = 0; t < sizeof(targets) / sizeof(*targets); t++) {
			struct result res;
			suspend_each = 1;
			suspended_closed = 0;
			read_all(paths[k], targets[t], &res);
			suspend_each = 0;
			ok(res.status == 0 && res.consistent && res.lines.len == want.len &&
			   !memcmp(res.lines.buf, want.buf, want.len) && suspended_closed == res.blocks,
			   "%s, target %zu: suspended after each of %llu blocks, every line back",
			   kinds[k], targets[t], (unsigned long long)res.blocks);
			result_release(&res);
		}
	}
	/* Gone while suspended: the next read is an error naming it. */
	struct input in;
	struct block b = { 0 };
	ok(input_open(&in, paths[0]) == 0 && input_read_block(&in, &b, 4096) == 1, "open, a block");
	input_suspend(&in);
	char moved[4096];
	snprintf(moved, sizeof(moved), "%s.moved", paths[0]);
	rename(paths[0], moved);
	capture_stderr();
	int r = input_read_block(&in, &b, 4096);
	const char *got = captured_stderr();
	ok(r == -1 && strstr(got, paths[0]) && strstr(got, "No such file"),
	   "a file gone while suspended: an error naming it: %s", got);
	rename(moved, paths[0]);
	input_close(&in);
	block_release(&b);
	strbuf_release(&data);
	strbuf_release(&want);
	strbuf_release(&z);
}

/* A folder of files under a temporary folder: each made with its
 * contents, folders on the way made too. */
static char *make_tree(const char *const *files, const char *const *contents, size_t n)
{
	const char *dir = getenv("TMPDIR");
	struct strbuf root = STRBUF_INIT;
	strbuf_addf(&root, "%s/synth-test-folder-XXXXXX", dir && *dir ? dir : "/tmp");
	if (!mkdtemp(root.buf)) {
		perror(root.buf);
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		struct strbuf path = STRBUF_INIT;
		strbuf_addf(&path, "%s/%s", root.buf, files[i]);
		for (char *slash = strchr(path.buf + root.len + 1, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			mkdir(path.buf, 0700);
			*slash = '/';
		}
		FILE *f = fopen(path.buf, "wb");
		if (!f || fwrite(contents[i], 1, strlen(contents[i]), f) != strlen(contents[i])) {
			perror(path.buf);
			exit(1);
		}
		fclose(f);
		strbuf_release(&path);
	}
	return root.buf;
}

static void remove_tree(const char *root)
{
	struct strbuf cmd = STRBUF_INIT;
	strbuf_addf(&cmd, "rm -rf '%s'", root);
	if (system(cmd.buf) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	strbuf_release(&cmd);
}

/* Read the input at path: "NAME:LINENO:content\n" per line, NAME the
 * block's name less the prefix root. Returns input_read_block's last
 * status (0 at the end), or -1 when input_open failed; *errors counts
 * the reads that failed before the end. */
static int read_named(const char *path, const char *root, size_t target, struct strbuf *out,
		      int *errors)
{
	struct input in;
	struct block b = { 0 };
	*errors = 0;
	if (input_open(&in, path) < 0)
		return -1;
	int r;
	while ((r = input_read_block(&in, &b, target)) != 0) {
		if (r < 0) {
			++*errors;
			continue;
		}
		struct block_cursor c;
		struct line l;
		block_cursor_init(&c, &b);
		size_t skip = strncmp(b.name, root, strlen(root)) ? 0 : strlen(root) + 1;
		while (block_next_line(&b, &c, &l))
			strbuf_addf(out, "%s:%llu:%.*s\n", b.name + skip, (unsigned long long)l.lineno,
				    (int)l.len, l.p);
	}
	input_close(&in);
	block_release(&b);
	return r;
}

static void test_folder(void)
{
	struct strbuf gz = STRBUF_INIT, zs = STRBUF_INIT;
	gzip_member(&gz, LIT("{\"g\":1}\n{\"g\":2}\n"), 6);
	zstd_frame(&zs, LIT("{\"z\":1}\n"), 1);
	/* Byte order of the whole path: "a.b/x" (0x2e) before "a/x" (0x2f),
	 * "B" before "a"; compressed files by content. */
	const char *files[] = { "a/x.jsonl", "a.b/x.jsonl", "B.json", "c/d/e/deep.jsonl",
				"notes.txt", "a/README.md", ".hidden.jsonl", ".git/x.jsonl",
				"z.jsonl", "y.jsonl.gz", "x.jsonl.zst", "w.jsonl.bz2", ".jsonl" };
	const char *contents[] = { "{\"a\":1}\n\n{\"a\":3}", "{\"ab\":1}\n", "\xef\xbb\xbf{\"B\":1}\n",
				   "{\"deep\":1}\n", "not json\n", "# readme\n", "{\"hidden\":1}\n",
				   "{\"git\":1}\n", "{\"z\":1}\n", "", "", "BZh", "{}\n" };
	size_t n = sizeof(files) / sizeof(*files);
	/* The compressed ones, written whole. */
	char *root = make_tree(files, contents, n);
	struct strbuf p = STRBUF_INIT;
	strbuf_addf(&p, "%s/y.jsonl.gz", root);
	FILE *f = fopen(p.buf, "wb");
	fwrite(gz.buf, 1, gz.len, f);
	fclose(f);
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/x.jsonl.zst", root);
	f = fopen(p.buf, "wb");
	fwrite(zs.buf, 1, zs.len, f);
	fclose(f);

	static const char want[] = "B.json:1:{\"B\":1}\n"
				   "a.b/x.jsonl:1:{\"ab\":1}\n"
				   "a/x.jsonl:1:{\"a\":1}\n"
				   "a/x.jsonl:3:{\"a\":3}\n"
				   "c/d/e/deep.jsonl:1:{\"deep\":1}\n"
				   "x.jsonl.zst:1:{\"z\":1}\n"
				   "y.jsonl.gz:1:{\"g\":1}\n"
				   "y.jsonl.gz:2:{\"g\":2}\n"
				   "z.jsonl:1:{\"z\":1}\n";
	static const size_t targets[] = { 1, 5, 64, BLOCK_SIZE };
	for (size_t t = 0; t < sizeof(targets) / sizeof(*targets); t++) {
		struct strbuf got = STRBUF_INIT;
		int errors;
		int r = read_named(root, root, targets[t], &got, &errors);
		ok(r == 0 && errors == 0, "folder at target %zu: read without error", targets[t]);
		is_str(got.buf, want, "folder at target %zu: its files' lines in byte order of the path, "
			"each file's numbered from 1, blocks named for their file", targets[t]);
		strbuf_release(&got);
	}
	/* A trailing slash: the same names, no "//". */
	strbuf_reset(&p);
	strbuf_addf(&p, "%s//", root);
	struct strbuf got = STRBUF_INIT;
	int errors;
	ok(read_named(p.buf, root, 64, &got, &errors) == 0 && !strcmp(got.buf, want),
	   "folder named with a trailing slash: the same lines and names");
	strbuf_release(&got);

	/* The list itself, and what it skips under -v. */
	char **list;
	size_t nlist;
	int saved = verbosity;
	verbosity = VERB_VERBOSE;
	capture_stderr();
	int lr = folder_list(root, 1, &list, &nlist);
	const char *msg = captured_stderr();
	verbosity = saved;
	ok(lr == 0 && nlist == 7, "folder_list: 7 files of 13");
	ok(strstr(msg, "notes.txt: skipped (not .jsonl or .json") &&
	   strstr(msg, "a/README.md: skipped (not .jsonl or .json") &&
	   strstr(msg, "w.jsonl.bz2: skipped (not") && strstr(msg, ".hidden.jsonl: skipped (hidden)") &&
	   strstr(msg, ".git: skipped (hidden)") && strstr(msg, "/.jsonl: skipped (hidden)") &&
	   !strstr(msg, "deep"),
	   "folder_list: -v notes each file or folder skipped, and why");
	if (lr == 0)
		folder_files_free(list, nlist);
	capture_stderr();
	lr = folder_list(root, 1, &list, &nlist);
	ok(lr == 0 && !*captured_stderr(), "folder_list: no note without -v");
	if (lr == 0)
		folder_files_free(list, nlist);
	verbosity = VERB_VERBOSE;
	capture_stderr();
	lr = folder_list(root, 0, &list, &nlist);
	msg = captured_stderr();
	verbosity = saved;
	ok(lr == 0 && nlist == 7 && !*msg, "folder_list: no note when none is wanted, under -v too");
	if (lr == 0)
		folder_files_free(list, nlist);

	/* A file of the folder that fails: reported, the others read. */
	strbuf_reset(&p);
	strbuf_addf(&p, "%s/y.jsonl.gz", root);
	f = fopen(p.buf, "wb");
	fwrite(gz.buf, 1, gz.len - 3, f);
	fclose(f);
	strbuf_reset(&got);
	capture_stderr();
	int r = read_named(root, root, 64, &got, &errors);
	msg = captured_stderr();
	ok(r == 0 && errors == 1 && strstr(msg, "y.jsonl.gz:3: truncated gzip input") &&
	   strstr(got.buf, "x.jsonl.zst:1:") && strstr(got.buf, "z.jsonl:1:{\"z\":1}\n"),
	   "a cut file in a folder: one error naming it, the files after it read");
	strbuf_release(&got);
	remove_tree(root);
	free(root);

	/* An empty folder, and one with nothing to read: errors naming it. */
	const char *none[] = { "README.md", "sub/notes.txt" };
	const char *text[] = { "hello\n", "notes\n" };
	for (size_t k = 0; k < 2; k++) {
		root = make_tree(none, text, k ? 2 : 0);
		struct input in;
		capture_stderr();
		int o = input_open(&in, root);
		msg = captured_stderr();
		struct strbuf w = STRBUF_INIT;
		strbuf_addf(&w, "%s: a folder with no .jsonl or .json file", root);
		ok(o == -1 && strstr(msg, w.buf), "%s: input_open fails naming it: %s",
		   k ? "a folder of other files" : "an empty folder", msg);
		strbuf_release(&w);
		remove_tree(root);
		free(root);
	}

	/* Short names: a folder's own, compressed files'. */
	static const char *const names[][2] = {
		{ "data/gen-4/", "gen-4" }, { "data/gen-4", "gen-4" }, { "x.jsonl.gz", "x" },
		{ "d/x.json.zst", "x" }, { "x.gz.zst", "x.gz" }, { "/", "/" },
	};
	for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++) {
		const char *base;
		size_t len = input_short_name(names[k][0], &base);
		is_mem(base, len, names[k][1], strlen(names[k][1]), "input_short_name(\"%s\")",
		       names[k][0]);
	}
	strbuf_release(&p);
	strbuf_release(&gz);
	strbuf_release(&zs);
}

int main(void)
{
	test_plain();
	test_spanning();
	test_huge_line();
	test_zstd();
	test_gzip();
	test_pipe();
	test_suspend();
	test_folder();
	remove_temps();
	return done_testing();
}
