/* cli.h: the command line every synth program shares.
 *
 * Each program describes its options once, in a table of cli_option;
 * from that table come getopt_long's arguments, the --help text, and
 * (through `--help`) what the tests compare with the man pages and the
 * shell completions. The options every program takes are defined here,
 * once, as CLI_OPT_* entries that a program lists in its own table, and
 * are handled by cli_common_option().
 */
#ifndef SYNTH_CLI_H
#define SYNTH_CLI_H

#include <stddef.h>
#include <stdint.h>

struct cli_option {
	const char *name;	/* long name, without "--" */
	int key;		/* short option letter, or a KEY_* >= 256 */
	const char *arg;	/* argument name for --help, NULL for a flag */
	const char *help;
};

struct cli_program {
	const char *name;
	const char *usage;	/* after the name: "[OPTION]... [FILE]..." */
	const char *summary;	/* one line: what the program does */
	const struct cli_option *options; /* ends with a zero entry */
};

/* Keys of the shared options without a short letter. Programs number
 * their own long-only options from KEY_PROGRAM. */
enum {
	KEY_ID_FIELD = 256, KEY_SEED, KEY_PROGRESS, KEY_SKIP_INVALID, KEY_REJECTS, KEY_WAIT_LOCK,
	KEY_PROGRAM = 512
};

#define CLI_OPT_OUTPUT { "output", 'o', "FILE", "write to FILE, atomically (compressed when it ends in .zst or .gz)" }
#define CLI_OPT_FIELD { "field", 'f', "NAME", "the text is in member NAME, a dotted path (default: text)" }
#define CLI_OPT_ID_FIELD { "id-field", KEY_ID_FIELD, "NAME", "the record id is in member NAME (default: id)" }
#define CLI_OPT_SEED { "seed", KEY_SEED, "N", "seed for every random choice (default: 0)" }
#define CLI_OPT_JOBS { "jobs", 'j', "N", "use N worker threads (default: the number of CPUs)" }
#define CLI_OPT_SKIP_INVALID { "skip-invalid", KEY_SKIP_INVALID, NULL, "count and skip invalid records instead of stopping" }
#define CLI_OPT_REJECTS { "rejects", KEY_REJECTS, "FILE", "write every dropped record to FILE, with the reason" }
#define CLI_OPT_WAIT_LOCK { "wait-lock", KEY_WAIT_LOCK, "SECONDS", "wait up to SECONDS for another run's lock on a file (default: 600)" }
#define CLI_OPT_QUIET { "quiet", 'q', NULL, "print errors only" }
#define CLI_OPT_VERBOSE { "verbose", 'v', NULL, "print a summary at the end" }
#define CLI_OPT_PROGRESS { "progress", KEY_PROGRESS, NULL, "show progress even when stderr is not a terminal" }
#define CLI_OPT_HELP { "help", 'h', NULL, "print this help and exit" }
#define CLI_OPT_VERSION { "version", 'V', NULL, "print the version and exit" }
#define CLI_OPT_END { 0, 0, 0, 0 }

/* What the shared options set. */
struct cli_common {
	const char *output;	/* NULL: standard output */
	const char *field;
	const char *id_field;
	const char *rejects;
	uint64_t seed;
	unsigned jobs;
	int progress;		/* show a progress line */
	int skip_invalid;
	double wait_lock;	/* seconds to wait for a file's lock */
};

/* Defaults: field "text", id "id", seed 0, jobs = online CPUs, progress
 * when stderr is a terminal, --wait-lock FILE_LOCK_WAIT. */
void cli_common_init(struct cli_common *c);

/* Parse the next option, as getopt_long does: returns its key with *arg
 * set to its argument (or NULL), or -1 when the options end (optind is
 * then the first operand). --help and --version are answered here (exit
 * 0); an unknown option or a missing argument is a usage error (exit 2).
 * Shared options are applied to *common and not returned. */
int cli_next(int argc, char **argv, const struct cli_program *prog,
	     struct cli_common *common, const char **arg);

/* Print the help text of prog to stdout. */
void cli_print_help(const struct cli_program *prog);

/* Strict option values, or a usage error naming the option. */
uint64_t cli_u64(const char *opt, const char *arg, uint64_t min, uint64_t max);
uint64_t cli_size(const char *opt, const char *arg);
double cli_double(const char *opt, const char *arg, double min, double max);

/* A file a run writes, named by an option: its name ("-o", "--index",
 * "-o's journal") and path (NULL or "-": standard output). */
struct cli_file {
	const char *option;
	const char *path;
};

/* Check that no two of the n files a run writes are one file: the same
 * device and inode for files that exist (symbolic links followed), the
 * same resolved folder and name for those that do not yet. Standard
 * output, devices and FIFOs (/dev/null twice is fine) are left out. Two
 * that are one file are a usage error naming both options (exit 2). */
void cli_distinct_files(const struct cli_file *files, size_t n);

/* Whether paths a and b name one existing regular file, or one file
 * yet to be made (as cli_distinct_files() compares). */
int cli_same_file(const char *a, const char *b);

/* Flush and close stdout; a failed write (a full disk) is an error that
 * exits 1. Call before exiting after printing with stdio. */
void close_stdout(void);

#endif
