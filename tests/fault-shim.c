/* fault-shim: an LD_PRELOAD library for the fault tests (tests/faults.bats).
 *
 * It makes one system call fail on the files whose path holds a chosen
 * text, as a full disk, a dying disk or a lost network file system
 * would:
 *
 *   SYNTH_FAULT_OP    read, write, fsync, close or rename
 *   SYNTH_FAULT_PATH  the text a path must hold (for rename: the new name)
 *   SYNTH_FAULT_ERRNO the error, a number (default: EIO)
 *
 * It follows the descriptors that open(), openat() and mkostemp() return
 * for matching paths (the temporary file of an -o output holds the
 * output's name), and fails read(), write(), fsync() and close() on them.
 * Only the files whose path holds the text fail: SYNTH_FAULT_ERRNO=28
 * with the name of -o is a disk that is full for the records while the
 * index (or model) beside them would still fit.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_FD 4096

static char matched[MAX_FD];	/* 1: the descriptor's path holds the text */

static const char *fault_op(void)
{
	const char *op = getenv("SYNTH_FAULT_OP");
	return op ? op : "";
}

static int path_matches(const char *path)
{
	const char *want = getenv("SYNTH_FAULT_PATH");
	return path && want && *want && strstr(path, want);
}

static int fault_errno(void)
{
	const char *e = getenv("SYNTH_FAULT_ERRNO");
	return e && atoi(e) > 0 ? atoi(e) : EIO;
}

static void follow(int fd, const char *path)
{
	if (fd >= 0 && fd < MAX_FD)
		matched[fd] = (char)path_matches(path);
}

static int failing(int fd, const char *op)
{
	return fd >= 0 && fd < MAX_FD && matched[fd] && !strcmp(fault_op(), op);
}

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*mkostemp_fn)(char *, int);
typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*fd_fn)(int);
typedef int (*rename_fn)(const char *, const char *);

/* The C library's own function, found once. */
#define REAL(name, type) static type real_##name; \
	if (!real_##name) real_##name = (type)dlsym(RTLD_NEXT, #name)

int open(const char *path, int flags, ...)
{
	REAL(open, open_fn);
	mode_t mode = 0;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	int fd = real_open(path, flags, mode);
	follow(fd, path);
	return fd;
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int openat(int dir, const char *path, int flags, ...)
{
	REAL(openat, openat_fn);
	mode_t mode = 0;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	int fd = real_openat(dir, path, flags, mode);
	follow(fd, path);
	return fd;
}

int mkostemp(char *template, int flags)
{
	REAL(mkostemp, mkostemp_fn);
	int fd = real_mkostemp(template, flags);
	follow(fd, template);
	return fd;
}

ssize_t read(int fd, void *buf, size_t n)
{
	REAL(read, read_fn);
	if (failing(fd, "read")) {
		errno = fault_errno();
		return -1;
	}
	return real_read(fd, buf, n);
}

ssize_t write(int fd, const void *buf, size_t n)
{
	REAL(write, write_fn);
	if (failing(fd, "write")) {
		errno = fault_errno();
		return -1;
	}
	return real_write(fd, buf, n);
}

int fsync(int fd)
{
	REAL(fsync, fd_fn);
	if (failing(fd, "fsync")) {
		errno = fault_errno();
		return -1;
	}
	return real_fsync(fd);
}

int close(int fd)
{
	REAL(close, fd_fn);
	int fail = failing(fd, "close");
	int rc = real_close(fd);
	if (fd >= 0 && fd < MAX_FD)
		matched[fd] = 0;
	if (fail) {
		errno = fault_errno();
		return -1;
	}
	return rc;
}

int rename(const char *from, const char *to)
{
	REAL(rename, rename_fn);
	if (!strcmp(fault_op(), "rename") && path_matches(to)) {
		errno = fault_errno();
		return -1;
	}
	return real_rename(from, to);
}
