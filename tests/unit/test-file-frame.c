/* test-file-frame.c: the frame of synth's binary files, on a kind made
 * up for the test: what the writer puts down, the reason given for each
 * way a file can be wrong (another kind, another version or byte order,
 * cut short at every length, bytes after the end, a flipped byte in the
 * body or in the checksum), and what loading a file comes to (loaded,
 * absent, unreadable, refused), with its message. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "diag.h"
#include "file_frame.h"
#include "hash.h"
#include "output.h"
#include "strbuf.h"
#include "unit.h"

/* A kind of file: the frame, then the body's length and a value; the
 * body is bytes. */
#define TEST_HEADER 32
static const struct file_frame test_frame = {
	.magic = "SYNTHTST", .version = 3, .header = TEST_HEADER, .kind = "a test file",
};

/* What a test file holds. */
struct test_file {
	uint64_t value;
	struct strbuf body;
};

static uint64_t test_length(const unsigned char *buf, size_t n)
{
	return n >= TEST_HEADER ? file_frame_length(&test_frame, get64(buf + 16), 0)
				: FILE_FRAME_ANY_LENGTH;
}

static int test_parse(void *obj, const unsigned char *buf, size_t n, struct strbuf *err)
{
	struct test_file *t = obj;
	if (file_frame_check(&test_frame, buf, n, test_length(buf, n), err) < 0)
		return -1;
	t->value = get64(buf + 24);
	strbuf_add(&t->body, buf + TEST_HEADER, (size_t)get64(buf + 16));
	return 0;
}

static void test_write(const char *path, uint64_t value, const char *body, size_t len)
{
	struct output out;
	if (output_open(&out, path, 0) < 0)
		exit(1);
	unsigned char h[TEST_HEADER] = { 0 };
	put64(h + 16, len);
	put64(h + 24, value);
	struct file_frame_writer w;
	file_frame_begin(&w, &test_frame, h, &out);
	/* The body in two pieces: the checksum runs over both. */
	file_frame_write(&w, body, len / 2);
	file_frame_write(&w, body + len / 2, len - len / 2);
	file_frame_end(&w);
	if (output_close(&out) < 0)
		exit(1);
}

/* What file_frame_check() says of buf[0..n), given the length its header
 * promises or not: "ok" or the reason (static). */
static const char *check(const unsigned char *buf, size_t n, int with_length)
{
	static struct strbuf err = STRBUF_INIT;
	strbuf_reset(&err);
	uint64_t length = with_length ? test_length(buf, n) : FILE_FRAME_ANY_LENGTH;
	int rc = file_frame_check(&test_frame, buf, n, length, &err);
	if (rc == 0)
		return err.len ? "ok, but with a reason" : "ok";
	return err.len ? err.buf : "refused without a reason";
}

/* A copy of file whose checksum is made right again after an edit. */
static void reseal(unsigned char *buf, size_t n)
{
	put64(buf + n - 8, hash64(buf, n - 8, 0));
}

/* Load path as a test file; *msg gets what was printed. */
static enum file_load load(const char *path, enum file_need need, struct test_file *t,
			   const char **msg)
{
	strbuf_reset(&t->body);
	t->value = 0;
	capture_stderr();
	enum file_load rc = file_frame_load(path, need, test_parse, t);
	*msg = captured_stderr();
	return rc;
}

static void test_written(const struct strbuf *file, const char *body, size_t len)
{
	const unsigned char *b = (const unsigned char *)file->buf;
	ok(file->len == TEST_HEADER + len + 8, "header, body and checksum: %zu bytes", file->len);
	is_mem(b, 8, "SYNTHTST", 8, "the magic first");
	ok(get32(b + 8) == 3, "then the version");
	ok(get32(b + 12) == BYTE_ORDER_MARK, "then the byte-order mark");
	ok(get64(b + 16) == len && get64(b + 24) == 42, "then the kind's own fields, as filled");
	is_mem(b + TEST_HEADER, len, body, len, "then the body");
	ok(get64(b + file->len - 8) == hash64(b, file->len - 8, 0),
	   "last the checksum of every byte before it");
	is_str(check(b, file->len, 1), "ok", "the file passes the check");
	is_str(check(b, file->len, 0), "ok", "with its length or without");
}

static void test_refused(const struct strbuf *file)
{
	size_t n = file->len;
	unsigned char *copy = malloc(n + 1);

	/* Another kind of file. */
	int other = 1;
	for (size_t i = 0; i < 8; i++) {
		memcpy(copy, file->buf, n);
		copy[i] ^= 0x01;
		reseal(copy, n);
		other &= !strcmp(check(copy, n, 1), "not a test file");
	}
	ok(other, "a change in any byte of the magic: not a test file");

	/* Cut short: before the magic is whole it is no test file; after,
	 * truncated, at every length. Without a length from the header, a
	 * cut past the header shows as a checksum that does not match. */
	int cut_magic = 1, cut = 1, cut_any = 1;
	for (size_t k = 0; k < n; k++) {
		memcpy(copy, file->buf, k);
		const char *why = check(copy, k, 1);
		if (k < 8)
			cut_magic &= !strcmp(why, "not a test file");
		else if (strcmp(why, "truncated") && cut)
			cut = !printf("# cut at %zu: %s\n", k, why);
		why = check(copy, k, 0);
		if (k >= 8)
			cut_any &= !strcmp(why, k < TEST_HEADER + 8 ? "truncated"
							   : "corrupt: the checksum does not match");
	}
	ok(cut_magic, "cut within the magic: not a test file");
	ok(cut, "cut anywhere after the magic, at each of %zu lengths: truncated", n - 8);
	ok(cut_any, "without the header's length: truncated within the header, then the checksum");

	/* A byte more: the length says so before the checksum does. */
	memcpy(copy, file->buf, n);
	copy[n] = 0;
	is_str(check(copy, n + 1, 1), "corrupt: bytes after the end", "a byte after the end");

	/* Another version, another byte order, whatever the checksum. */
	static const struct {
		size_t at;
		uint32_t value;
		const char *what, *why;
	} edits[] = {
		{ 8, 4, "another version", "format version 4; this build reads version 3" },
		{ 12, 0x04030201, "the other byte order",
		  "written on a machine of the other byte order" },
	};
	for (size_t e = 0; e < sizeof(edits) / sizeof(*edits); e++) {
		for (int sealed = 0; sealed < 2; sealed++) {
			memcpy(copy, file->buf, n);
			put32(copy + edits[e].at, edits[e].value);
			if (sealed)
				reseal(copy, n);
			is_str(check(copy, n, 1), edits[e].why, "%s (%s checksum)", edits[e].what,
			       sealed ? "a good" : "a bad");
		}
	}

	/* One flipped byte in the header's value, the body or the checksum. */
	int flipped = 1;
	for (size_t i = 24; i < n; i++) {
		memcpy(copy, file->buf, n);
		copy[i] ^= 0x20;
		const char *why = check(copy, n, 1);
		if (strcmp(why, "corrupt: the checksum does not match") && flipped)
			flipped = !printf("# flipped at %zu: %s\n", i, why);
	}
	ok(flipped, "a flipped byte in the header's value, the body or the checksum, at each of "
		    "%zu places: the checksum does not match", n - 24);
	memcpy(copy, file->buf, n);
	copy[20] ^= 0x20;
	is_str(check(copy, n, 1), "truncated", "a header that promises more than is there");

	/* The reason is added to what err holds. */
	struct strbuf err = STRBUF_INIT;
	strbuf_addstr(&err, "x: ");
	file_frame_check(&test_frame, (const unsigned char *)"ELSE", 4, FILE_FRAME_ANY_LENGTH, &err);
	is_str(err.buf, "x: not a test file", "the reason is added to err");
	strbuf_release(&err);
	free(copy);
}

static void test_length_overflow(void)
{
	ok(file_frame_length(&test_frame, 100, 0) == TEST_HEADER + 100 + 8,
	   "a length: header, body and checksum");
	ok(file_frame_length(&test_frame, 100, 1) == UINT64_MAX, "a body past 64 bits: longest");
	ok(file_frame_length(&test_frame, UINT64_MAX - 10, 0) == UINT64_MAX,
	   "header and body past 64 bits: longest");
	unsigned char h[TEST_HEADER + 8] = "SYNTHTST";
	put32(h + 8, 3);
	put32(h + 12, BYTE_ORDER_MARK);
	put64(h + 16, UINT64_MAX - 10);
	reseal(h, sizeof(h));
	is_str(check(h, sizeof(h), 1), "truncated", "a header that promises past 64 bits: truncated");
}

static void test_load(const char *dir, const char *path, const struct strbuf *file)
{
	struct test_file t = { 0, STRBUF_INIT };
	struct strbuf other = STRBUF_INIT, want = STRBUF_INIT;
	const char *msg;

	ok(load(path, FILE_REQUIRED, &t, &msg) == FILE_LOADED, "a good file loads");
	ok(t.value == 42 && t.body.len == file->len - TEST_HEADER - 8, "with what it holds");
	is_str(msg, "", "saying nothing");

	strbuf_addf(&other, "%s/missing", dir);
	ok(load(other.buf, FILE_OPTIONAL, &t, &msg) == FILE_ABSENT, "a missing file that may be: absent");
	is_str(msg, "", "saying nothing");
	ok(load(other.buf, FILE_REQUIRED, &t, &msg) == FILE_FAILED, "a missing file that must be: failed");
	strbuf_addf(&want, "test-file-frame: %s: No such file or directory\n", other.buf);
	is_str(msg, want.buf, "naming it, with the system's reason");

	/* A folder opens, but does not read, even as root. */
	ok(load(dir, FILE_OPTIONAL, &t, &msg) == FILE_FAILED, "an unreadable file: failed");
	strbuf_reset(&want);
	strbuf_addf(&want, "test-file-frame: %s: Is a directory\n", dir);
	is_str(msg, want.buf, "naming it, with the system's reason");

	/* Refused by the parser: its reason after the name. */
	strbuf_reset(&other);
	strbuf_addf(&other, "%s/cut", dir);
	FILE *f = fopen(other.buf, "wb");
	fwrite(file->buf, 1, file->len - 1, f);
	fclose(f);
	ok(load(other.buf, FILE_OPTIONAL, &t, &msg) == FILE_FAILED, "a file cut short: failed");
	strbuf_reset(&want);
	strbuf_addf(&want, "test-file-frame: %s: truncated\n", other.buf);
	is_str(msg, want.buf, "naming it, with the reason");
	f = fopen(other.buf, "wb");
	fclose(f);
	ok(load(other.buf, FILE_REQUIRED, &t, &msg) == FILE_FAILED, "an empty file: failed");
	strbuf_reset(&want);
	strbuf_addf(&want, "test-file-frame: %s: not a test file\n", other.buf);
	is_str(msg, want.buf, "as not of the kind");
	unlink(other.buf);

	strbuf_release(&t.body);
	strbuf_release(&other);
	strbuf_release(&want);
}

int main(void)
{
	diag_init("test-file-frame");
	char dir[] = "/tmp/synth-test-frame-XXXXXX";
	if (!mkdtemp(dir)) {
		perror(dir);
		return 1;
	}
	struct strbuf path = STRBUF_INIT, file = STRBUF_INIT;
	strbuf_addf(&path, "%s/test.frame", dir);
	const char body[] = "a body of some bytes, \0 a NUL among them";
	test_write(path.buf, 42, body, sizeof(body));
	if (file_slurp(path.buf, &file) < 0) {
		perror(path.buf);
		return 1;
	}

	test_written(&file, body, sizeof(body));
	test_refused(&file);
	test_length_overflow();
	test_load(dir, path.buf, &file);

	unlink(path.buf);
	rmdir(dir);
	strbuf_release(&path);
	strbuf_release(&file);
	return done_testing();
}
