/* test-file-lock.c: one run at a time on a file. The lock file is made
 * beside the file (beside a symbolic link's target), a second holder
 * waits and then fails with a message that names the file, the lock
 * file and --wait-lock, takes the lock as soon as the first lets it go,
 * and a holder that dies lets it go; a run that reads and rewrites one
 * file holds its lock until it exits. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "file_lock.h"
#include "unit.h"

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

/* Is the lock file at path held by anyone (another process)? */
static int held(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	int busy = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

/* Run fn in a child with stderr to errpath; its exit status. */
static int in_child(int (*fn)(const char *), const char *arg, const char *errpath)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 2);
		_exit(fn(arg));
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int lock_no_wait(const char *path)
{
	struct file_lock l = FILE_LOCK_INIT;
	return file_lock(&l, path, 0) < 0 ? 1 : 0;
}

static int lock_wait_short(const char *path)
{
	struct file_lock l = FILE_LOCK_INIT;
	return file_lock(&l, path, 0.3) < 0 ? 1 : 0;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	while (n && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	if (f)
		fclose(f);
	return buf;
}

int main(void)
{
	diag_init("test-file-lock");
	char dir[] = "/tmp/test-file-lock.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char file[256], lockf[256], err[256], link[256], sub[256];
	snprintf(file, sizeof(file), "%s/index", dir);
	snprintf(lockf, sizeof(lockf), "%s/index.lock", dir);
	snprintf(err, sizeof(err), "%s/err", dir);

	/* Held: the lock file exists and is locked. */
	struct file_lock l = FILE_LOCK_INIT;
	ok(file_lock(&l, file, 0) == 0 && l.fd >= 0, "a free lock is taken at once");
	ok(exists(lockf), "the lock file is the name with .lock added");
	ok(!exists(file), "the guarded file is not made");

	/* A second holder, in another process, fails without waiting,
	 * and names what it waited for. */
	ok(in_child(lock_no_wait, file, err) == 1, "a second run cannot take it");
	const char *msg = slurp(err);
	ok(strstr(msg, file) && strstr(msg, lockf) && strstr(msg, "--wait-lock"),
	   "its error names the file, the lock file and --wait-lock: %s", msg);

	/* Waiting: a run that waits 0.3 s still fails, after about that long. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = in_child(lock_wait_short, file, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(rc == 1 && waited >= 0.25, "--wait-lock 0.3 waits, then fails (%.2f s)", waited);

	/* Let go: the next run takes it, and the lock file stays. */
	file_unlock(&l);
	ok(l.fd == -1, "unlocked: not held");
	ok(in_child(lock_no_wait, file, err) == 0, "once let go, another run takes it");
	ok(exists(lockf), "the lock file is never removed");
	file_unlock(&l);

	/* A holder that dies lets the lock go. */
	fflush(stdout);
	int pipefd[2];
	if (pipe(pipefd) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		struct file_lock c = FILE_LOCK_INIT;
		file_lock(&c, file, 0);
		if (write(pipefd[1], "x", 1) < 0)
			_exit(1);
		pause();
		_exit(0);
	}
	char x;
	if (read(pipefd[0], &x, 1) != 1)
		return 1;
	ok(held(lockf), "a child holds it");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	ok(!held(lockf) && file_lock(&l, file, 0) == 0, "killed, it has let it go");
	file_unlock(&l);

	/* Every name of one file takes one lock: a symbolic link's lock is
	 * beside its target. */
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	mkdir(sub, 0755);
	snprintf(link, sizeof(link), "%s/sub/alias", dir);
	if (symlink(file, link) < 0)
		return 1;
	ok(file_lock(&l, link, 0) == 0, "locked through a symbolic link");
	ok(in_child(lock_no_wait, file, err) == 1, "the target's own name is then locked too");
	file_unlock(&l);

	/* A run that rewrites one of its inputs locks it; others not. */
	char other[256];
	snprintf(other, sizeof(other), "%s/state", dir);
	char *inputs[] = { other, file };
	ok(file_lock_rewritten(other, inputs, 2, 0) == 0, "an output among the inputs: locked");
	char otherlock[300];
	snprintf(otherlock, sizeof(otherlock), "%s.lock", other);
	ok(exists(otherlock) && in_child(lock_no_wait, other, err) == 1,
	   "held until the program exits");
	char fresh[256];
	snprintf(fresh, sizeof(fresh), "%s/fresh", dir);
	ok(file_lock_rewritten(fresh, inputs, 2, 0) == 0, "an output that is no input: no wait");
	char freshlock[300];
	snprintf(freshlock, sizeof(freshlock), "%s.lock", fresh);
	ok(!exists(freshlock), "no lock file beside it");

	/* A lock file that cannot be made: an error, not a crash. */
	struct file_lock bad = FILE_LOCK_INIT;
	ok(file_lock(&bad, "/nonexistent/dir/index", 0) < 0 && bad.fd == -1,
	   "a folder that does not exist: an error");
	const char *made[] = { lockf, otherlock, err, link };
	for (size_t i = 0; i < sizeof(made) / sizeof(*made); i++)
		unlink(made[i]);
	rmdir(sub);
	rmdir(dir);
	return done_testing();
}
