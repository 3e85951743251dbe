/* file_lock.h: one run at a time on a file that runs read and replace.
 *
 * A run that reads a file and writes it back (the dedup index under
 * --index, the journal of --resume, a model loaded and saved again)
 * holds a lock on it from before the read until after the rename, so
 * that a second run on the same file waits for the first and starts
 * from what it saved, instead of both starting from the old file and
 * the last rename winning.
 *
 * The lock is flock(2) on a file beside the one it guards: its name
 * with ".lock" added, beside a symbolic link's target, so that every
 * name for one file takes one lock. The lock file is made when missing
 * and never removed: removing it would let a third run lock a new file
 * of that name while the second still holds the old one. The kernel
 * drops the lock when the holder exits, however it dies; on a network
 * file system flock works as well as the system's NFS locking does.
 */
#ifndef SYNTH_FILE_LOCK_H
#define SYNTH_FILE_LOCK_H

/* How long a run waits for a lock by default (--wait-lock). */
#define FILE_LOCK_WAIT 600

struct file_lock {
	int fd;			/* -1: not held */
	char *path;		/* the lock file, owned */
};

#define FILE_LOCK_INIT { -1, NULL }

/* Take the lock on the file at path, waiting up to `wait` seconds for
 * another run to let it go (0: not at all). Returns 0, or -1 after
 * printing an error that names the file, the lock file and --wait-lock
 * (then *l holds nothing). */
int file_lock(struct file_lock *l, const char *path, double wait);

/* Let the lock go (a lock not held is left alone). */
void file_unlock(struct file_lock *l);

/* A run that reads a file among its inputs and replaces it with its
 * output (synth-stats --merge -o all.state all.state day.state) holds
 * the lock on it until the program exits, so that the next such run
 * reads what this one wrote. Takes the lock when output names the same
 * file as one of the n inputs, or one that an input folder stands for;
 * returns 0, or -1 after printing an error as file_lock() does. */
int file_lock_rewritten(const char *output, char *const *inputs, int n, double wait);

#endif
