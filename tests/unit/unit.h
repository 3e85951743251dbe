/* unit.h: a minimal test harness for the C unit tests of lib/.
 *
 * Each test program prints TAP: "ok N - what" or "not ok N - what" per
 * check, then the plan "1..N". tests/run counts the lines. A check names
 * what it asserts; a failure adds the file and line.
 */
#ifndef SYNTH_UNIT_H
#define SYNTH_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int unit_count, unit_failures;

__attribute__((format(printf, 4, 5)))
static int unit_ok(int cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	unit_count++;
	printf("%sok %d - ", cond ? "" : "not ", unit_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (!cond) {
		printf(" # at %s:%d", file, line);
		unit_failures++;
	}
	printf("\n");
	fflush(stdout);
	return cond;
}

/* ok(condition, "description %s", ...) */
#define ok(cond, ...) unit_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* Compare byte strings; on failure show both. */
#define is_mem(got, glen, want, wlen, ...)                                          \
	do {                                                                        \
		size_t gl_ = (glen), wl_ = (wlen);                                  \
		if (!ok(gl_ == wl_ && memcmp((got), (want), gl_) == 0, __VA_ARGS__)) \
			printf("#   got:  '%.*s'\n#   want: '%.*s'\n", (int)gl_,      \
			       (const char *)(got), (int)wl_, (const char *)(want)); \
	} while (0)

#define is_str(got, want, ...) is_mem((got), strlen(got), (want), strlen(want), __VA_ARGS__)

/* Standard error, for a check of what a function prints there:
 * capture_stderr() sends it to a temporary file of no name, and
 * captured_stderr() puts it back and returns what was written (in a
 * static buffer, until the next call). */
static int unit_stderr_file = -1, unit_saved_stderr = -1;

static inline void capture_stderr(void)
{
	fflush(stderr);
	if (unit_stderr_file < 0) {
		char path[] = "/tmp/synth-test-stderr-XXXXXX";
		unit_stderr_file = mkstemp(path);
		if (unit_stderr_file < 0) {
			perror(path);
			exit(1);
		}
		unlink(path);
	}
	if (ftruncate(unit_stderr_file, 0) < 0 || lseek(unit_stderr_file, 0, SEEK_SET) < 0) {
		perror("capture_stderr");
		exit(1);
	}
	unit_saved_stderr = dup(2);
	dup2(unit_stderr_file, 2);
}

static inline const char *captured_stderr(void)
{
	static char buf[4096];
	fflush(stderr);
	dup2(unit_saved_stderr, 2);
	close(unit_saved_stderr);
	ssize_t r = pread(unit_stderr_file, buf, sizeof(buf) - 1, 0);
	buf[r > 0 ? r : 0] = '\0';
	return buf;
}

/* End of main(): print the plan, return the exit status. */
static inline int done_testing(void)
{
	printf("1..%d\n", unit_count);
	return unit_failures ? 1 : 0;
}

#endif
