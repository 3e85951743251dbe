/* verify.c: run a checking command on a record; see verify.h.
 *
 * The child is started with clone() and does only system calls until it
 * runs /bin/sh (the parent has threads: nothing that takes a lock may run
 * in between). A step that fails before exec writes its name and errno
 * to a close-on-exec pipe, so that the parent tells "could not start"
 * from a command that failed.
 */
#include "verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

extern char **environ;

/* The command's folder and text file inside its namespace. */
#define NS_FOLDER "/tmp/verify"
#define NS_TEXT NS_FOLDER "/text"

/* The first uid of the users commands run as under VERIFY_NAMESPACES. */
#define VERIFY_UID_BASE 0x70000000u

/* Open files a command may hold. */
#define VERIFY_NOFILE 256

/* How long to wait for the rest of stderr once the command ended. */
#define DRAIN_MS 500

struct verifier {
	struct verify_config cfg;
	enum verify_mode mode;
	int netfd;		/* VERIFY_NAMESPACES: the network namespace */
	char **envp;		/* namespaces: the environment with SYNTH_TEXT_FILE */
	char tmpfs_opts[64];
	char uid_map[48], gid_map[48];
	uid_t uid_base;
	uint64_t nproc;		/* RLIMIT_NPROC */
	char *tmpdir;		/* VERIFY_PLAIN: where folders are made */
	char describe[200];
};

/* --- The child ---------------------------------------------------------------- */

/* What the child needs, all made before clone(). */
struct child {
	const struct verifier *v;
	const char *record, *text;
	size_t rn, tn;
	const char *folder;
	char *const *envp;
	uid_t uid;
	int errw, statusw, nullfd;
};

static void child_fail(int statusw, const char *step)
{
	int e = errno;
	char msg[96];
	size_t n = strlen(step);
	if (n > 80)
		n = 80;
	memcpy(msg, &e, sizeof(e));
	memcpy(msg + sizeof(e), step, n);
	if (write(statusw, msg, sizeof(e) + n) < 0) {
		/* Nothing more to do: the parent sees a failed start. */
	}
	_exit(127);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = write_all(fd, s, strlen(s));
	close(fd);
	return rc;
}

static void set_limit(int resource, uint64_t v, int statusw, const char *step)
{
	struct rlimit rl = { (rlim_t)v, (rlim_t)v };
	if (setrlimit(resource, &rl) < 0)
		child_fail(statusw, step);
}

__attribute__((noreturn))
static void child_run(const struct child *c)
{
	const struct verifier *v = c->v;
	int sw = c->statusw;
	if (v->mode == VERIFY_USER_NAMESPACES) {
		if (write_file("/proc/self/setgroups", "deny") < 0)
			child_fail(sw, "writing /proc/self/setgroups");
		if (write_file("/proc/self/uid_map", v->uid_map) < 0)
			child_fail(sw, "writing /proc/self/uid_map");
		if (write_file("/proc/self/gid_map", v->gid_map) < 0)
			child_fail(sw, "writing /proc/self/gid_map");
	}
	if (v->mode == VERIFY_NAMESPACES && setns(v->netfd, CLONE_NEWNET) < 0)
		child_fail(sw, "entering the network namespace");
	if (v->mode != VERIFY_PLAIN) {
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			child_fail(sw, "making mounts private");
		if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, v->tmpfs_opts) < 0)
			child_fail(sw, "mounting a tmpfs on /tmp");
		/* The other places anyone may write to, where there are. */
		mount("tmpfs", "/var/tmp", "tmpfs", MS_NOSUID | MS_NODEV, v->tmpfs_opts);
		mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, v->tmpfs_opts);
		if (mkdir(NS_FOLDER, 0700) < 0)
			child_fail(sw, "making " NS_FOLDER);
		int fd = open(NS_TEXT, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write_all(fd, c->text, c->tn) < 0)
			child_fail(sw, "writing " NS_TEXT);
		close(fd);
		if (v->mode == VERIFY_NAMESPACES &&
		    (chown(NS_FOLDER, c->uid, c->uid) < 0 || chown(NS_TEXT, c->uid, c->uid) < 0))
			child_fail(sw, "giving " NS_FOLDER " to the command's user");
	}
	/* The record on standard input, from a file of no name. */
	int in = memfd_create("record", 0);
	if (in < 0 || write_all(in, c->record, c->rn) < 0 || write_all(in, "\n", 1) < 0 ||
	    lseek(in, 0, SEEK_SET) < 0)
		child_fail(sw, "writing the record for standard input");
	if (dup2(in, 0) < 0 || dup2(c->nullfd, 1) < 0 || dup2(c->errw, 2) < 0 || dup2(sw, 3) < 0)
		child_fail(sw, "setting up standard input and output");
	sw = 3;
	if (fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		child_fail(sw, "setting up standard input and output");
	/* Nothing else of the parent's: its input files, its outputs. */
	syscall(SYS_close_range, 4u, ~0u, 0u);
	if (setpgid(0, 0) < 0)
		child_fail(sw, "making a process group");
	const struct verify_config *cfg = &v->cfg;
	if (cfg->memory)
		set_limit(RLIMIT_AS, cfg->memory, sw, "setting RLIMIT_AS");
	/* CPU time: a second past the wall-clock limit, which comes first
	 * for a command that uses one core. */
	set_limit(RLIMIT_CPU, (uint64_t)cfg->timeout + 1, sw, "setting RLIMIT_CPU");
	set_limit(RLIMIT_FSIZE, cfg->file_size, sw, "setting RLIMIT_FSIZE");
	set_limit(RLIMIT_NOFILE, VERIFY_NOFILE, sw, "setting RLIMIT_NOFILE");
	set_limit(RLIMIT_CORE, 0, sw, "setting RLIMIT_CORE");
	set_limit(RLIMIT_NPROC, v->nproc, sw, "setting RLIMIT_NPROC");
	if (v->mode == VERIFY_NAMESPACES) {
		/* The system calls themselves: glibc's wrappers would wait for
		 * the parent's other threads, which the child does not have. */
		if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, c->uid, c->uid, c->uid) < 0 ||
		    syscall(SYS_setresuid, c->uid, c->uid, c->uid) < 0)
			child_fail(sw, "becoming the command's user");
	}
	if (chdir(c->folder) < 0)
		child_fail(sw, "entering the command's folder");
	char *argv[] = { "sh", "-c", (char *)v->cfg.command, NULL };
	execve("/bin/sh", argv, c->envp);
	child_fail(sw, "running /bin/sh");
	_exit(127);
}

/* --- The parent --------------------------------------------------------------- */

void verify_result_init(struct verify_result *r)
{
	memset(r, 0, sizeof(*r));
	strbuf_init(&r->err);
}

void verify_result_release(struct verify_result *r)
{
	strbuf_release(&r->err);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read what is there on fd into res->err, up to the bound; the rest is
 * read and dropped. Returns 0 at end of file, 1 otherwise. */
static int read_err(int fd, const struct verifier *v, struct verify_result *res)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n == 0)
		return 0;
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	size_t room = v->cfg.stderr_max > res->err.len ? v->cfg.stderr_max - res->err.len : 0;
	size_t keep = (size_t)n < room ? (size_t)n : room;
	strbuf_add(&res->err, buf, keep);
	if (keep < (size_t)n)
		res->err_cut = 1;
	return 1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int verify_run(const struct verifier *v, unsigned slot, const char *record, size_t rn,
	       const char *text, size_t tn, struct verify_result *res)
{
	strbuf_reset(&res->err);
	res->started = res->exited = res->timed_out = res->err_cut = 0;
	res->status = res->signal = 0;
	res->seconds = 0;
	int errp[2] = { -1, -1 }, statp[2] = { -1, -1 }, nullfd = -1, pidfd = -1, rc = -1;
	char folder[4096] = NS_FOLDER;
	struct strbuf text_env = STRBUF_INIT;
	char **envp = v->envp;
	int made_folder = 0;
	if (v->mode == VERIFY_PLAIN) {
		snprintf(folder, sizeof(folder), "%s/synth-verify.XXXXXX", v->tmpdir);
		if (!mkdtemp(folder)) {
			strbuf_addf(&res->err, "making a folder in %s: %s", v->tmpdir, strerror(errno));
			return -1;
		}
		made_folder = 1;
		strbuf_addf(&text_env, "%s/text", folder);
		int fd = open(text_env.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write_all(fd, text, tn) < 0) {
			strbuf_addf(&res->err, "writing %s: %s", text_env.buf, strerror(errno));
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
		size_t n = 0;
		while (environ[n])
			n++;
		envp = xcalloc(n + 2, sizeof(*envp));
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (strncmp(environ[i], "SYNTH_TEXT_FILE=", 16))
				envp[k++] = environ[i];
		strbuf_reset(&text_env);
		strbuf_addf(&text_env, "SYNTH_TEXT_FILE=%s/text", folder);
		envp[k] = text_env.buf;
	}
	if (pipe2(errp, O_CLOEXEC) < 0 || pipe2(statp, O_CLOEXEC) < 0 ||
	    (nullfd = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		strbuf_addf(&res->err, "making pipes: %s", strerror(errno));
		goto out;
	}
	struct child c = { v, record, text, rn, tn, folder, envp,
			   v->uid_base + (uid_t)(slot & 0xff), errp[1], statp[1], nullfd };
	unsigned long flags = SIGCHLD;
	if (v->mode == VERIFY_NAMESPACES)
		flags |= CLONE_NEWPID | CLONE_NEWNS;
	else if (v->mode == VERIFY_USER_NAMESPACES)
		flags |= CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET;
	double start = now();
	pid_t pid = (pid_t)syscall(SYS_clone, flags, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		strbuf_addf(&res->err, "starting the command: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child_run(&c);
	close(errp[1]);
	close(statp[1]);
	close(nullfd);
	errp[1] = statp[1] = nullfd = -1;
	/* Until exec, or the step that failed. */
	char msg[96];
	ssize_t got;
	do
		got = read(statp[0], msg, sizeof(msg));
	while (got < 0 && errno == EINTR);
	if (got > (ssize_t)sizeof(int)) {
		int e;
		memcpy(&e, msg, sizeof(e));
		strbuf_addf(&res->err, "%.*s: %s", (int)(got - (ssize_t)sizeof(int)), msg + sizeof(int),
			    strerror(e));
		waitpid(pid, NULL, 0);
		goto out;
	}
	res->started = 1;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	double deadline = start + v->cfg.timeout;
	int err_open = 1, status = 0, done = 0;
	while (!done) {
		double left = deadline - now();
		if (left <= 0) {
			res->timed_out = 1;
			kill(pid, SIGKILL);
			break;
		}
		struct pollfd pf[2] = { { pidfd, POLLIN, 0 }, { err_open ? errp[0] : -1, POLLIN, 0 } };
		int ms = (int)(left * 1000) + 1;
		if (pidfd < 0 && ms > 10)
			ms = 10;	/* no pidfd: look again soon */
		int n = poll(pf, 2, ms);
		if (n < 0 && errno != EINTR)
			break;
		if (err_open && (pf[1].revents & (POLLIN | POLLHUP)))
			err_open = read_err(errp[0], v, res);
		if (pidfd < 0 || (pf[0].revents & POLLIN)) {
			/* Ended, but not reaped: until it is, its pid (and so
			 * its group's id) cannot go to another process. */
			siginfo_t si;
			si.si_pid = 0;
			done = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			       si.si_pid == pid;
		}
	}
	res->seconds = now() - start;
	/* Whatever it left behind in its group (in a namespace of its own,
	 * the kernel kills the rest with it), then the command itself. */
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	for (double until = now() + DRAIN_MS / 1000.0; err_open;) {
		int ms = (int)((until - now()) * 1000);
		struct pollfd pf = { errp[0], POLLIN, 0 };
		if (ms <= 0 || poll(&pf, 1, ms) <= 0)
			break;
		err_open = read_err(errp[0], v, res);
	}
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signal = WTERMSIG(status);
	}
	rc = 0;
out:
	if (pidfd >= 0)
		close(pidfd);
	for (int i = 0; i < 2; i++) {
		if (errp[i] >= 0)
			close(errp[i]);
		if (statp[i] >= 0)
			close(statp[i]);
	}
	if (nullfd >= 0)
		close(nullfd);
	if (made_folder)
		nftw(folder, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (envp != v->envp)
		free(envp);
	strbuf_release(&text_env);
	return rc;
}

/* --- Set-up ------------------------------------------------------------------- */

/* A network namespace with its loopback device up, made on this thread
 * and left at once: an open file that each command enters. */
static int make_netns(void)
{
	int old = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (old < 0)
		return -1;
	int fd = -1;
	if (unshare(CLONE_NEWNET) == 0) {
		fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		strcpy(ifr.ifr_name, "lo");
		if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
			ifr.ifr_flags |= IFF_UP;
			ioctl(s, SIOCSIFFLAGS, &ifr);
		}
		if (s >= 0)
			close(s);
		if (setns(old, CLONE_NEWNET) < 0) {
			/* This thread cannot go back to the network: nothing of
			 * synth can go on sanely. */
			abort();
		}
	}
	close(old);
	return fd;
}

/* The processes and threads of this user now, for RLIMIT_NPROC. */
static uint64_t user_tasks(void)
{
	uint64_t n = 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 4096;
	struct dirent *e;
	uid_t me = getuid();
	while ((e = readdir(d))) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char path[300];
		struct stat st;
		snprintf(path, sizeof(path), "/proc/%s/task", e->d_name);
		if (stat(path, &st) < 0 || st.st_uid != me)
			continue;
		/* A task folder's link count: its threads plus 2. */
		n += st.st_nlink > 2 ? (uint64_t)st.st_nlink - 2 : 1;
	}
	closedir(d);
	return n;
}

static void free_envp(char **envp)
{
	if (envp) {
		for (size_t i = 0; envp[i]; i++)
			if (!strncmp(envp[i], "SYNTH_TEXT_FILE=", 16))
				free(envp[i]);
		free(envp);
	}
}

static void make_envp(struct verifier *v)
{
	size_t n = 0;
	while (environ[n])
		n++;
	v->envp = xcalloc(n + 2, sizeof(*v->envp));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "SYNTH_TEXT_FILE=", 16))
			v->envp[k++] = environ[i];
	v->envp[k] = xstrdup("SYNTH_TEXT_FILE=" NS_TEXT);
}

/* Does a command run in this mode? */
static int probe(struct verifier *v, struct strbuf *why)
{
	struct verify_result r;
	verify_result_init(&r);
	const char *cmd = v->cfg.command;
	v->cfg.command = "exit 0";
	int ok = verify_run(v, 0, "{}", 2, "", 0, &r) == 0 && r.exited && r.status == 0;
	v->cfg.command = cmd;
	if (!ok && why)
		strbuf_addf(why, "%s%s", why->len ? "; " : "", r.err.len ? r.err.buf : "failed");
	verify_result_release(&r);
	return ok;
}

struct verifier *verifier_new(const struct verify_config *cfg, struct strbuf *err)
{
	struct verifier *v = xcalloc(1, sizeof(*v));
	v->cfg = *cfg;
	v->netfd = -1;
	const char *tmp = getenv("TMPDIR");
	v->tmpdir = xstrdup(tmp && *tmp ? tmp : "/tmp");
	snprintf(v->tmpfs_opts, sizeof(v->tmpfs_opts), "size=%llu,mode=1777",
		 (unsigned long long)cfg->file_size);
	struct strbuf why = STRBUF_INIT;
	const char *no_ns = getenv("SYNTH_VERIFY_NO_NAMESPACES");
	if (no_ns && *no_ns) {
		strbuf_addstr(&why, "SYNTH_VERIFY_NO_NAMESPACES is set");
		goto plain;
	}
	if (geteuid() == 0) {
		v->mode = VERIFY_NAMESPACES;
		v->netfd = make_netns();
		v->uid_base = VERIFY_UID_BASE + ((uid_t)(getpid() & 0xffff) << 8);
		v->nproc = cfg->procs;
		make_envp(v);
		if (v->netfd >= 0 && probe(v, &why)) {
			snprintf(v->describe, sizeof(v->describe),
				 "namespaces of PIDs, mounts and network (loopback only), a user of its own");
			goto done;
		}
		free_envp(v->envp);
		v->envp = NULL;
		if (v->netfd >= 0)
			close(v->netfd);
		v->netfd = -1;
	}
	v->mode = VERIFY_USER_NAMESPACES;
	v->uid_base = 0;
	v->nproc = user_tasks() + cfg->procs;
	snprintf(v->uid_map, sizeof(v->uid_map), "0 %u 1", (unsigned)geteuid());
	snprintf(v->gid_map, sizeof(v->gid_map), "0 %u 1", (unsigned)getegid());
	make_envp(v);
	if (probe(v, &why)) {
		snprintf(v->describe, sizeof(v->describe),
			 "a user namespace, and namespaces of PIDs, mounts and network (loopback only)");
		goto done;
	}
	free_envp(v->envp);
	v->envp = NULL;
plain:
	v->mode = VERIFY_PLAIN;
	v->nproc = cfg->procs + (geteuid() == 0 ? 0 : user_tasks());
	if (!probe(v, &why)) {
		strbuf_addf(err, "cannot run commands: %s", why.buf);
		strbuf_release(&why);
		verifier_free(v);
		return NULL;
	}
	snprintf(v->describe, sizeof(v->describe),
		 "no namespaces (%.100s): commands keep the network%s", why.buf,
		 geteuid() == 0 ? ", and the process limit does not hold for root" : "");
done:
	strbuf_release(&why);
	return v;
}

void verifier_free(struct verifier *v)
{
	if (!v)
		return;
	if (v->netfd >= 0)
		close(v->netfd);
	free_envp(v->envp);
	free(v->tmpdir);
	free(v);
}

enum verify_mode verifier_mode(const struct verifier *v)
{
	return v->mode;
}

const char *verifier_describe(const struct verifier *v)
{
	return v->describe;
}
