/* test-input.c: the block reader: line splitting, BOM, CRLF, long lines,
 * zstd input and its errors. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

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

	/* A directory opens but cannot be read. */
	capture_stderr();
	read_all("/", BLOCK_SIZE, &res);
	msg = captured_stderr();
	ok(res.status == -1 && strstr(msg, "Is a directory"), "a directory is a read error");
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

/* A suspended input closes its file and comes back where it was, plain
 * or zstd: synth-mix reads a thousand sources under a limit of 64 open
 * files so. */
static void test_suspend(void)
{
	struct strbuf data = STRBUF_INIT, want = STRBUF_INIT, z = STRBUF_INIT;
	make_lines(&data, &want, 20000, 0);
	zstd_frame(&z, data.buf, data.len / 3, 0);
	zstd_frame(&z, data.buf + data.len / 3, data.len - data.len / 3, 1);
	const char *paths[2] = { write_temp(data.buf, data.len), write_temp(z.buf, z.len) };
	static const size_t targets[] = { 1, 7, 4096, BLOCK_SIZE };
	for (int k = 0; k < 2; k++) {
		for (size_t t = 0; t < sizeof(targets) / sizeof(*targets); t++) {
			struct result res;
			suspend_each = 1;
			suspended_closed = 0;
			read_all(paths[k], targets[t], &res);
			suspend_each = 0;
			ok(res.status == 0 && res.consistent && res.lines.len == want.len &&
			   !memcmp(res.lines.buf, want.buf, want.len) && suspended_closed == res.blocks,
			   "%s, target %zu: suspended after each of %llu blocks, every line back",
			   k ? "zstd" : "plain", targets[t], (unsigned long long)res.blocks);
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

int main(void)
{
	test_plain();
	test_spanning();
	test_huge_line();
	test_zstd();
	test_pipe();
	test_suspend();
	remove_temps();
	return done_testing();
}
