/* diag.h: messages for people, on stderr, in one voice.
 *
 * Every message reads "PROGRAM: SUBJECT: REASON" in lower case without a
 * full stop. The tiers follow git: die() for the fatal, error() returns -1
 * so that a caller can `return error(...)`, warning() for what a user
 * should know but does not stop the run, and BUG() for a broken invariant
 * of our own. A progress line, when one is shown, is erased before any
 * other message is printed.
 */
#ifndef SYNTH_DIAG_H
#define SYNTH_DIAG_H

#include <stdarg.h>
#include <stdnoreturn.h>

/* Verbosity: VERB_QUIET prints errors only, VERB_NORMAL adds warnings,
 * VERB_VERBOSE adds the end-of-run summary. */
enum verbosity { VERB_QUIET = 0, VERB_NORMAL = 1, VERB_VERBOSE = 2 };

extern const char *progname;
extern int verbosity;

/* Set the program name used in messages and restore SIGPIPE to its
 * default, so that a closed pipe ends the program quietly. Call first
 * thing in main(). */
void diag_init(const char *name);

/* Functions run by die() and by fatal signals before the program exits,
 * in reverse order of registration: they remove temporary files. They
 * must be async-signal-safe. At most a handful are registered. */
void diag_atexit(void (*fn)(void));

noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void die_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An informational line shown under -v. */
void info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void BUG(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Usage error: prints the message and a hint to try --help, exits 2. */
noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Progress. The caller decides whether progress is wanted (--progress,
 * or stderr a terminal); these decide how it looks and how often. On a
 * terminal the line is rewritten in place (carriage return, clear to the
 * end of the line) at most PROGRESS_TERMINAL_INTERVAL seconds apart, cut
 * to the terminal's width, and erased before any other message. Anywhere else (a log file, a cron
 * job's mail) it is a plain line ended by a newline, without escape
 * codes, at most every $SYNTH_PROGRESS_INTERVAL seconds
 * (PROGRESS_LOG_INTERVAL by default; 0 shows every line), counted
 * from the first call. */
#define PROGRESS_TERMINAL_INTERVAL 0.25
#define PROGRESS_LOG_INTERVAL 10.0

/* Whether a progress line shown now would be shown: a caller may skip
 * making it when not. */
int progress_due(void);
/* Show `line` as the progress line, when one is due (progress_due()). */
void progress_show(const char *line);
/* Erase the progress line, if one is shown on a terminal. */
void progress_clear(void);

/* The decimals that show a rate (MB/s, requests/s) with two
 * significant digits below 10 and whole from 10 on: "120", "3.2",
 * "0.15", never a "0" that hides a slow but steady run. For "%.*f". */
int rate_decimals(double rate);

/* Seconds on a monotonic clock, for rates and progress. */
double now_seconds(void);
/* Seconds of CPU the calling thread has used. */
double thread_cpu_seconds(void);

/* Exit the program after running the registered clean-ups. */
noreturn void diag_exit(int status);

#endif
