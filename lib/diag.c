/* diag.c: messages, clean-up on fatal exits; see diag.h. */
#include "diag.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/ioctl.h>

#include "number.h"

const char *progname = "synth";
int verbosity = VERB_NORMAL;

#define MAX_CLEANUPS 8
static void (*cleanups[MAX_CLEANUPS])(void);
static volatile sig_atomic_t ncleanups;
static int progress_shown;
/* Messages from several threads must not interleave. */
static pthread_mutex_t diag_lock = PTHREAD_MUTEX_INITIALIZER;

static void run_cleanups(void)
{
	while (ncleanups > 0)
		cleanups[--ncleanups]();
}

static void on_fatal_signal(int sig)
{
	run_cleanups();
	signal(sig, SIG_DFL);
	raise(sig);
}

void diag_init(const char *name)
{
	progname = name;
	signal(SIGPIPE, SIG_DFL);
	static const int fatal[] = { SIGINT, SIGTERM, SIGHUP };
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_fatal_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(fatal[i], &sa, NULL);
	}
}

void diag_atexit(void (*fn)(void))
{
	if (ncleanups == MAX_CLEANUPS)
		BUG("too many clean-up functions");
	cleanups[ncleanups] = fn;
	ncleanups = ncleanups + 1;
}

noreturn void diag_exit(int status)
{
	run_cleanups();
	exit(status);
}

static void vreport(const char *prefix, const char *fmt, va_list ap, int errnum)
{
	char msg[4096];
	FILE *f = fmemopen(msg, sizeof(msg), "w");
	if (!f)
		return;
	fprintf(f, "%s: %s", progname, prefix);
	vfprintf(f, fmt, ap);
	if (errnum)
		fprintf(f, ": %s", strerror(errnum));
	long n = ftell(f);
	fclose(f);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 2)
		n = sizeof(msg) - 2;
	msg[n++] = '\n';
	pthread_mutex_lock(&diag_lock);
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		progress_shown = 0;
	}
	fwrite(msg, 1, (size_t)n, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&diag_lock);
}

noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, 0);
	va_end(ap);
	diag_exit(1);
}

noreturn void die_errno(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, e);
	va_end(ap);
	diag_exit(1);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, 0);
	va_end(ap);
	return -1;
}

int error_errno(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, e);
	va_end(ap);
	return -1;
}

void warning(const char *fmt, ...)
{
	if (verbosity < VERB_NORMAL)
		return;
	va_list ap;
	va_start(ap, fmt);
	vreport("warning: ", fmt, ap, 0);
	va_end(ap);
}

void info(const char *fmt, ...)
{
	if (verbosity < VERB_VERBOSE)
		return;
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, 0);
	va_end(ap);
}

noreturn void BUG(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("BUG: ", fmt, ap, 0);
	va_end(ap);
	run_cleanups();
	abort();
}

noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("", fmt, ap, 0);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", progname);
	diag_exit(2);
}

/* How progress is shown: decided at the first call. */
static pthread_once_t progress_once = PTHREAD_ONCE_INIT;
static struct {
	int terminal;
	double interval;	/* seconds between two lines */
	double last;		/* when the last was shown (or the first call) */
	int shown_any;
} progress;

static void progress_start(void)
{
	progress.terminal = isatty(2);
	progress.interval = PROGRESS_TERMINAL_INTERVAL;
	progress.last = now_seconds();
	if (progress.terminal)
		return;
	progress.interval = PROGRESS_LOG_INTERVAL;
	const char *env = getenv("SYNTH_PROGRESS_INTERVAL");
	double v;
	if (env && *env) {
		if (parse_double(env, 0, 1e9, &v) < 0)
			warning("SYNTH_PROGRESS_INTERVAL=%s: not a number of seconds; using %g", env,
				PROGRESS_LOG_INTERVAL);
		else
			progress.interval = v;
	}
}

/* Under diag_lock, after progress_start(). */
static int due(double now)
{
	/* On a terminal the first line comes at once; in a log after the
	 * first interval, so that a short run writes none. */
	if (progress.terminal && !progress.shown_any)
		return 1;
	return now - progress.last >= progress.interval;
}

/* The bytes of line that fit in one row of the terminal, less a column
 * for the cursor: a line that wrapped would not be erased by the next.
 * Cut at a character's start (UTF-8); the whole line when the width is
 * not known. */
static size_t terminal_fit(const char *line)
{
	size_t n = strlen(line);
	struct winsize ws;
	if (ioctl(2, TIOCGWINSZ, &ws) < 0 || ws.ws_col < 2)
		return n;
	size_t chars = 0;
	for (size_t i = 0; i < n; i++) {
		if (((unsigned char)line[i] & 0xC0) == 0x80)
			continue;
		if (++chars == ws.ws_col)
			return i;
	}
	return n;
}

int progress_due(void)
{
	pthread_once(&progress_once, progress_start);
	pthread_mutex_lock(&diag_lock);
	int d = due(now_seconds());
	pthread_mutex_unlock(&diag_lock);
	return d;
}

void progress_show(const char *line)
{
	pthread_once(&progress_once, progress_start);
	double now = now_seconds();
	pthread_mutex_lock(&diag_lock);
	if (due(now)) {
		progress.last = now;
		progress.shown_any = 1;
		if (progress.terminal) {
			fprintf(stderr, "\r\033[K%.*s", (int)terminal_fit(line), line);
			progress_shown = 1;
		} else {
			fprintf(stderr, "%s\n", line);
		}
		fflush(stderr);
	}
	pthread_mutex_unlock(&diag_lock);
}

void progress_clear(void)
{
	pthread_mutex_lock(&diag_lock);
	if (progress_shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		progress_shown = 0;
	}
	pthread_mutex_unlock(&diag_lock);
}

int rate_decimals(double rate)
{
	int d = 0;
	/* Up to six decimals: anything slower is shown as 0. */
	for (double x = rate; x > 0 && x < 10 && d < 6; x *= 10)
		d++;
	return d;
}

double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double thread_cpu_seconds(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
