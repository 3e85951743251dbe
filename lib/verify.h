/* verify.h: run a checking command on a record, in a sandbox, bounded.
 *
 * synth-score --verify runs a shell command once per record: the record
 * (its JSON line and a newline) on standard input, its text in the file
 * named by $SYNTH_TEXT_FILE, the working folder a fresh temporary one.
 * Whatever the command does, it cannot stop the run or harm the
 * machine: it is killed at a wall-clock limit, and setrlimit bounds its
 * memory (RLIMIT_AS), CPU time, file size and open files; its standard
 * output is thrown away and only the first bytes of its standard error
 * are kept.
 *
 * How it is kept apart depends on what the system allows (struct
 * verifier's mode, said once by verifier_describe()):
 *
 *  VERIFY_NAMESPACES, as root: the command starts in new PID and mount
 *	namespaces and in a network namespace that holds only a loopback
 *	device (made once per run, entered by each command). It is PID 1
 *	there, so when it ends or is killed every process it left is
 *	killed too. /tmp, /var/tmp and /dev/shm are fresh tmpfs mounts of
 *	the file-size limit each, its folder is /tmp/verify on the first,
 *	and all of it goes when the namespace does. It runs as a user of
 *	its own (uid and gid 0x70000000 + the pid's low 16 bits * 256 +
 *	the slot), so that RLIMIT_NPROC, which does not hold for root,
 *	bounds its processes.
 *  VERIFY_USER_NAMESPACES, another user where user namespaces are
 *	allowed: the same, in a user namespace of its own as its root;
 *	RLIMIT_NPROC then counts every process of the user, so the limit
 *	is set above what the user ran when the run started.
 *  VERIFY_PLAIN, otherwise, or when $SYNTH_VERIFY_NO_NAMESPACES is set
 *	and not empty: a process group of its own (killed as a
 *	whole), the limits, a folder made with mkdtemp under $TMPDIR and
 *	removed afterwards; the network stays and a process that leaves
 *	its group survives. The caller warns.
 */
#ifndef SYNTH_VERIFY_H
#define SYNTH_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct verify_config {
	const char *command;	/* run by /bin/sh -c */
	double timeout;		/* seconds of wall clock */
	uint64_t memory;	/* bytes of address space; 0: no limit */
	uint64_t file_size;	/* bytes: a file's, and each tmpfs's */
	uint64_t procs;		/* processes and threads at once */
	size_t stderr_max;	/* bytes of standard error kept */
};

enum verify_mode { VERIFY_NAMESPACES, VERIFY_USER_NAMESPACES, VERIFY_PLAIN };

struct verifier;

/* Find what the system allows and prepare for it (the network namespace,
 * the environment). Returns the verifier, or NULL with the reason in err. */
struct verifier *verifier_new(const struct verify_config *cfg, struct strbuf *err);
void verifier_free(struct verifier *v);	/* NULL-safe */
enum verify_mode verifier_mode(const struct verifier *v);
/* One sentence on how commands are kept apart, for -v and warnings. */
const char *verifier_describe(const struct verifier *v);

struct verify_result {
	int started;		/* 0: the command could not be started; err says why */
	int exited;		/* it exited: status is its exit status */
	int status;
	int signal;		/* else it died of this signal */
	int timed_out;		/* killed at the time limit */
	double seconds;
	struct strbuf err;	/* the first stderr_max bytes of its stderr */
	int err_cut;		/* stderr had more */
};

void verify_result_init(struct verify_result *r);
void verify_result_release(struct verify_result *r);

/* Run the command once: record[0..rn) (a newline is added) on its
 * standard input, text[0..tn) in $SYNTH_TEXT_FILE. slot tells commands
 * run at once apart (a worker's number, below 256). Returns 0 with res
 * filled (verified when res->exited && !res->status), or -1 when it
 * could not be run at all (res->err says why). Thread-safe. */
int verify_run(const struct verifier *v, unsigned slot, const char *record, size_t rn,
	       const char *text, size_t tn, struct verify_result *res);

#endif
