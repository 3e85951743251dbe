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
#include <string.h>

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

/* End of main(): print the plan, return the exit status. */
static inline int done_testing(void)
{
	printf("1..%d\n", unit_count);
	return unit_failures ? 1 : 0;
}

#endif
