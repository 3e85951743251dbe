/* file_lock.c: flock on NAME.lock; see file_lock.h. */
#include "file_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "diag.h"
#include "folder.h"
#include "output.h"
#include "strbuf.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int file_lock(struct file_lock *l, const char *path, double wait)
{
	struct strbuf name = STRBUF_INIT;
	l->fd = -1;
	l->path = NULL;
	if (output_target(path, &name) < 0) {
		int e = errno;
		strbuf_release(&name);
		errno = e;
		return error_errno("%s", path);
	}
	strbuf_addstr(&name, ".lock");
	mode_t mask = umask(0);
	umask(mask);
	int fd = open(name.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0666 & ~mask);
	/* Another user's lock file may be read-only to us: flock needs no
	 * more than a descriptor. */
	if (fd < 0 && errno == EACCES)
		fd = open(name.buf, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		errno = e;
		error_errno("%s", name.buf);
		strbuf_release(&name);
		return -1;
	}
	double start = now();
	int said = 0;
	for (;;) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			break;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			error_errno("%s", name.buf);
			close(fd);
			strbuf_release(&name);
			return -1;
		}
		double waited = now() - start;
		if (waited >= wait) {
			error("%s: in use by another run (it holds %s); waited %g s (--wait-lock)", path,
			      name.buf, wait);
			close(fd);
			strbuf_release(&name);
			return -1;
		}
		if (!said) {
			info("%s: in use by another run; waiting up to %g s for it", path, wait);
			said = 1;
		}
		/* A poll, not a blocking flock under alarm(): no signal
		 * handler to share with the rest of the program. */
		double left = wait - waited, step = left < 0.05 ? left : 0.05;
		struct timespec ts = { 0, (long)(step * 1e9) };
		nanosleep(&ts, NULL);
	}
	l->fd = fd;
	l->path = name.buf;
	return 0;
}

void file_unlock(struct file_lock *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->path);
	l->path = NULL;
}

/* Whether a write to output would replace a file that the folder dir
 * stands for as an input (folder.h): one under it, at any depth, with a
 * name a folder's listing takes. */
static int in_folder(const char *dir, const char *output)
{
	char root[PATH_MAX], where[PATH_MAX];
	struct strbuf target = STRBUF_INIT, parent = STRBUF_INIT;
	int inside = 0;
	if (output_target(output, &target) < 0 || !realpath(dir, root))
		goto out;
	const char *slash = strrchr(target.buf, '/');
	const char *base = slash ? slash + 1 : target.buf;
	if (slash)
		strbuf_add(&parent, target.buf, (size_t)(slash - target.buf) + (slash == target.buf));
	else
		strbuf_addc(&parent, '.');
	if (!folder_takes_name(base) || !realpath(parent.buf, where))
		goto out;
	size_t len = strlen(root);
	inside = !strncmp(where, root, len) && (where[len] == '/' || where[len] == '\0' ||
						 (len == 1 && root[0] == '/'));
out:
	strbuf_release(&target);
	strbuf_release(&parent);
	return inside;
}

int file_lock_rewritten(const char *output, char *const *inputs, int n, double wait)
{
	/* Held until exit, when the kernel lets it go; kept here so that
	 * its name stays reachable. */
	static struct file_lock held = FILE_LOCK_INIT;
	if (held.fd >= 0 || !output || !strcmp(output, "-"))
		return 0;
	for (int i = 0; i < n; i++)
		if (cli_same_file(inputs[i], output) ||
		    (folder_is(inputs[i]) && in_folder(inputs[i], output)))
			return file_lock(&held, output, wait);
	return 0;
}
