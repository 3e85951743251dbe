/* test-alloc.c: allocation wrappers and checked size arithmetic. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "diag.h"
#include "unit.h"

#ifdef __SANITIZE_ADDRESS__
/* Under AddressSanitizer an impossible allocation must still return NULL,
 * as malloc() does, so that the wrappers' own message can be tested. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}
#endif

/* Run fn in a child process with a time limit; returns its wait status
 * and leaves what it printed on stderr in msg. */
static int run_child(void (*fn)(void), char *msg, size_t msgsize)
{
	int fds[2];
	fflush(stdout);
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], 2);
		alarm(5);
		fn();
		_exit(0);
	}
	close(fds[1]);
	size_t len = 0;
	ssize_t r;
	while (len + 1 < msgsize && (r = read(fds[0], msg + len, msgsize - 1 - len)) > 0)
		len += (size_t)r;
	msg[len] = '\0';
	close(fds[0]);
	int status;
	waitpid(pid, &status, 0);
	return status;
}

static void dies(void (*fn)(void), const char *want, const char *what)
{
	char msg[512];
	int status = run_child(fn, msg, sizeof(msg));
	ok(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 1, "%s: exits with status 1", what);
	if (!ok(strstr(msg, want) != NULL, "%s: says \"%s\"", what, want))
		printf("#   got: %s", msg);
}

static volatile size_t sink;

static void add_overflow(void)
{
	sink = size_add(SIZE_MAX, 1);
}

static void mul_overflow(void)
{
	sink = size_mul(SIZE_MAX / 2 + 1, 2);
}

static void calloc_overflow(void)
{
	void *p = xcalloc(SIZE_MAX / 8, 16);
	sink = (size_t)p;
	free(p);
}

static void reallocarray_overflow(void)
{
	void *p = xreallocarray(NULL, SIZE_MAX / 4, 8);
	sink = (size_t)p;
	free(p);
}

static void malloc_too_much(void)
{
	void *p = xmalloc(SIZE_MAX - 4096);
	sink = (size_t)p;
	free(p);
}

static void grow_from_zero(void)
{
	sink = grow_capacity(0, 10, 0);
}

int main(void)
{
	diag_init("test-alloc");
	ok(size_add(3, 4) == 7 && size_add(SIZE_MAX - 1, 1) == SIZE_MAX, "size_add adds");
	ok(size_mul(6, 7) == 42 && size_mul(SIZE_MAX, 1) == SIZE_MAX && size_mul(0, SIZE_MAX) == 0,
	   "size_mul multiplies");
	dies(add_overflow, "test-alloc: size overflow", "size_add past SIZE_MAX");
	dies(mul_overflow, "test-alloc: size overflow", "size_mul past SIZE_MAX");
	dies(calloc_overflow, "test-alloc: ", "xcalloc of an overflowing product");
	dies(reallocarray_overflow, "test-alloc: size overflow", "xreallocarray of an overflowing product");
	dies(malloc_too_much, "test-alloc: out of memory", "xmalloc of nearly SIZE_MAX");

	ok(grow_capacity(0, 1, 64) == 64, "grow_capacity starts at the minimum");
	ok(grow_capacity(64, 65, 64) == 128, "grow_capacity doubles");
	ok(grow_capacity(64, 1000, 64) == 1024, "grow_capacity doubles until the need fits");
	ok(grow_capacity(100, 50, 64) == 100, "grow_capacity keeps a capacity that suffices");
	char msg[512];
	int status = run_child(grow_from_zero, msg, sizeof(msg));
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "grow_capacity from 0 with no minimum returns");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		size_t c = grow_capacity(0, 10, 0);
		ok(c >= 10 && c < 20, "grow_capacity from 0 with no minimum: %zu", c);
	}

	char *p = xmalloc(0);
	ok(p != NULL, "xmalloc(0) returns a pointer");
	free(p);
	unsigned char *z = xcalloc(1000, 3);
	int zero = 1;
	for (int i = 0; i < 3000; i++)
		zero &= z[i] == 0;
	ok(zero, "xcalloc zeroes");
	z = xreallocarray(z, 2000, 3);
	z[5999] = 1;
	ok(z[0] == 0 && z[2999] == 0, "xreallocarray keeps the contents");
	free(z);
	char *d = xstrdup("copy me");
	ok(!strcmp(d, "copy me"), "xstrdup copies");
	free(d);
	return done_testing();
}
