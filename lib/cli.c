/* cli.c: shared option parsing and help; see cli.h. */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <unistd.h>

#include <limits.h>
#include <sys/stat.h>

#include "alloc.h"
#include "diag.h"
#include "file_lock.h"
#include "output.h"
#include "number.h"
#include "strbuf.h"

#ifndef SYNTH_VERSION
#define SYNTH_VERSION "unknown"
#endif

void cli_common_init(struct cli_common *c)
{
	memset(c, 0, sizeof(*c));
	c->field = "text";
	c->id_field = "id";
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	c->jobs = n > 0 ? (unsigned)n : 1;
	c->progress = isatty(2);
	c->wait_lock = FILE_LOCK_WAIT;
}

/* What a file a run writes is, for comparing: its device and inode when
 * it exists, else its resolved folder and name. Returns 0 for standard
 * output, a device or a FIFO, which two options may share. */
struct file_identity {
	int exists;
	dev_t dev;
	ino_t ino;
	struct strbuf where;
};

static int identify(const char *path, struct file_identity *id)
{
	struct stat st;
	strbuf_init(&id->where);
	id->exists = 0;
	if (!path || !strcmp(path, "-"))
		return 0;
	if (!stat(path, &st)) {
		if (!S_ISREG(st.st_mode))
			return 0;
		id->exists = 1;
		id->dev = st.st_dev;
		id->ino = st.st_ino;
		return 1;
	}
	/* Not there yet: where a write would make it (a dangling link's
	 * target), its folder resolved. A folder that does not resolve
	 * cannot be written; the output's own open says so. */
	struct strbuf target = STRBUF_INIT;
	if (output_target(path, &target) < 0) {
		strbuf_release(&target);
		strbuf_addstr(&id->where, path);
		return 1;
	}
	const char *slash = strrchr(target.buf, '/');
	char dir[PATH_MAX];
	struct strbuf d = STRBUF_INIT;
	if (slash)
		strbuf_add(&d, target.buf, (size_t)(slash - target.buf) + (slash == target.buf));
	else
		strbuf_addc(&d, '.');
	if (realpath(d.buf, dir))
		strbuf_addf(&id->where, "%s/%s", dir, slash ? slash + 1 : target.buf);
	else
		strbuf_addstr(&id->where, target.buf);
	strbuf_release(&d);
	strbuf_release(&target);
	return 1;
}

static int same_identity(const struct file_identity *a, const struct file_identity *b)
{
	if (a->exists != b->exists)
		return 0;
	if (a->exists)
		return a->dev == b->dev && a->ino == b->ino;
	return !strcmp(a->where.buf, b->where.buf);
}

int cli_same_file(const char *a, const char *b)
{
	struct file_identity x, y;
	int known_a = identify(a, &x), known_b = identify(b, &y);
	int same = known_a && known_b && same_identity(&x, &y);
	strbuf_release(&x.where);
	strbuf_release(&y.where);
	return same;
}

void cli_distinct_files(const struct cli_file *files, size_t n)
{
	struct file_identity *ids = xcalloc(n ? n : 1, sizeof(*ids));
	int *known = xcalloc(n ? n : 1, sizeof(*known));
	for (size_t i = 0; i < n; i++) {
		known[i] = identify(files[i].path, &ids[i]);
		for (size_t j = 0; j < i && known[i]; j++)
			if (known[j] && same_identity(&ids[i], &ids[j]))
				usage_error("%s %s and %s %s name one file; give each its own",
					    files[j].option, files[j].path, files[i].option,
					    files[i].path);
	}
	for (size_t i = 0; i < n; i++)
		strbuf_release(&ids[i].where);
	free(ids);
	free(known);
}

void close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (errno == EPIPE)
			diag_exit(1);
		die_errno("write error");
	}
}

void cli_print_help(const struct cli_program *prog)
{
	printf("Usage: %s %s\n%s\n\nOptions:\n", prog->name, prog->usage, prog->summary);
	for (const struct cli_option *o = prog->options; o->name; o++) {
		struct strbuf left = STRBUF_INIT;
		if (o->key < 256)
			strbuf_addf(&left, "  -%c, --%s", o->key, o->name);
		else
			strbuf_addf(&left, "      --%s", o->name);
		if (o->arg)
			strbuf_addf(&left, " %s", o->arg);
		if (left.len < 28)
			printf("%-28s%s\n", left.buf, o->help);
		else
			printf("%s\n%28s%s\n", left.buf, "", o->help);
		strbuf_release(&left);
	}
	printf("\nSee %s(1) for the details.\n", prog->name);
}

static void build_getopt(const struct cli_program *prog, struct option **longs, char **shorts)
{
	size_t n = 0;
	while (prog->options[n].name)
		n++;
	struct option *lo = xcalloc(n + 1, sizeof(*lo));
	char *so = xmalloc(3 * n + 2);
	size_t k = 0;
	so[k++] = ':'; /* report a missing argument as ':' */
	for (size_t i = 0; i < n; i++) {
		const struct cli_option *o = &prog->options[i];
		lo[i].name = o->name;
		lo[i].has_arg = o->arg ? required_argument : no_argument;
		lo[i].val = o->key;
		if (o->key < 256) {
			so[k++] = (char)o->key;
			if (o->arg)
				so[k++] = ':';
		}
	}
	so[k] = '\0';
	*longs = lo;
	*shorts = so;
}

static int common_option(int key, const char *arg, struct cli_common *c)
{
	switch (key) {
	case 'o':
		if (!*arg)
			usage_error("empty file name for --output");
		c->output = arg;
		return 1;
	case 'f':
		if (!*arg)
			usage_error("empty field name for --field");
		c->field = arg;
		return 1;
	case KEY_ID_FIELD:
		if (!*arg)
			usage_error("empty field name for --id-field");
		c->id_field = arg;
		return 1;
	case KEY_SEED: c->seed = cli_u64("--seed", arg, 0, UINT64_MAX); return 1;
	case 'j': c->jobs = (unsigned)cli_u64("--jobs", arg, 1, 1024); return 1;
	case 'q': verbosity = VERB_QUIET; return 1;
	case 'v': verbosity = VERB_VERBOSE; return 1;
	case KEY_PROGRESS: c->progress = 1; return 1;
	case KEY_SKIP_INVALID: c->skip_invalid = 1; return 1;
	case KEY_WAIT_LOCK:
		c->wait_lock = cli_double("--wait-lock", arg, 0, 1e9);
		return 1;
	case KEY_REJECTS:
		if (!*arg)
			usage_error("empty file name for --rejects");
		c->rejects = arg;
		return 1;
	}
	return 0;
}

/* Names other tools (datatrove, datasketch, NeMo Curator, text-dedup)
 * give the options we have under other names. A program is pointed to
 * ours only when it has the option. */
static const struct {
	const char *theirs, *ours;
} option_aliases[] = {
	{ "text-key", "field" },	{ "text-field", "field" },	{ "text-column", "field" },
	{ "column", "field" },		{ "content-key", "field" },	{ "id-key", "id-field" },
	{ "id-column", "id-field" },	{ "num-perm", "perms" },	{ "num-perms", "perms" },
	{ "permutations", "perms" },	{ "num-bands", "bands" },	{ "jaccard-threshold", "threshold" },
	{ "ngram-size", "ngram" },	{ "n-gram", "ngram" },		{ "shingle-size", "ngram" },
	{ "threads", "jobs" },		{ "num-threads", "jobs" },	{ "workers", "jobs" },
	{ "num-workers", "jobs" },	{ "n-jobs", "jobs" },		{ "random-seed", "seed" },
	{ "output-file", "output" },	{ "out-file", "output" },
};

/* The edit distance of a and b, a transposition of two neighbours
 * counting as one edit ("tresh" is one from "thres"). Names are short:
 * longer ones count as far apart. */
static size_t edit_distance(const char *a, const char *b)
{
	enum { MAX = 64 };
	size_t n = strlen(a), m = strlen(b);
	if (n >= MAX || m >= MAX)
		return SIZE_MAX;
	size_t d[MAX + 1][MAX + 1];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

static const struct cli_option *find_option(const struct cli_program *prog, const char *name)
{
	for (const struct cli_option *o = prog->options; o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

/* The option that an unknown long option most likely meant, or NULL:
 * the same name in lower case with '-' for '_' ("--skip_invalid"),
 * another tool's name for it, else the nearest name, when it is near
 * enough (one edit in four letters, at most two) to be a slip. */
static const struct cli_option *nearest_option(const struct cli_program *prog, const char *name)
{
	char norm[64];
	size_t n = strlen(name);
	if (n == 0 || n >= sizeof(norm))
		return NULL;
	for (size_t i = 0; i <= n; i++)
		norm[i] = name[i] == '_' ? '-' : (char)tolower((unsigned char)name[i]);
	const struct cli_option *o = find_option(prog, norm);
	if (o)
		return o;
	for (size_t k = 0; k < sizeof(option_aliases) / sizeof(*option_aliases); k++)
		if (!strcmp(norm, option_aliases[k].theirs))
			return find_option(prog, option_aliases[k].ours);
	const struct cli_option *best = NULL;
	size_t best_d = SIZE_MAX;
	for (o = prog->options; o->name; o++) {
		size_t d = edit_distance(norm, o->name);
		if (d < best_d) {
			best_d = d;
			best = o;
		}
	}
	size_t allowed = n / 4 < 1 ? 1 : n / 4 > 2 ? 2 : n / 4;
	return best_d <= allowed ? best : NULL;
}

/* An option getopt_long did not take: a usage error that names the
 * options an abbreviation could mean, or the one a misspelt name most
 * likely meant. */
static noreturn void unknown_option(const struct cli_program *prog, const char *arg)
{
	if (strncmp(arg, "--", 2) || !arg[2])
		usage_error("unknown option '%s'", arg);
	size_t len = strcspn(arg + 2, "=");
	char name[256];
	snprintf(name, sizeof(name), "%.*s", (int)len, arg + 2);
	/* A prefix of several: getopt_long calls it ambiguous. */
	struct strbuf which = STRBUF_INIT;
	size_t matches = 0;
	for (const struct cli_option *o = prog->options; o->name; o++)
		if (!strncmp(o->name, name, strlen(name))) {
			strbuf_addf(&which, "%s--%s", matches ? ", " : "", o->name);
			matches++;
		}
	if (matches > 1)
		usage_error("option '--%s' is ambiguous: %s", name, which.buf);
	strbuf_release(&which);
	const struct cli_option *o = nearest_option(prog, name);
	if (o)
		usage_error("unknown option '--%s' (did you mean --%s?)", name, o->name);
	usage_error("unknown option '--%s'", name);
}

int cli_next(int argc, char **argv, const struct cli_program *prog,
	     struct cli_common *common, const char **arg)
{
	static const struct cli_program *built;
	static struct option *longs;
	static char *shorts;
	if (built != prog) {
		free(longs);
		free(shorts);
		opterr = 0;
		build_getopt(prog, &longs, &shorts);
		built = prog;
	}
	for (;;) {
		int key = getopt_long(argc, argv, shorts, longs, NULL);
		*arg = optarg;
		switch (key) {
		case -1:
			return -1;
		case 'h':
			cli_print_help(prog);
			close_stdout();
			exit(0);
		case 'V':
			printf("%s %s\n", prog->name, SYNTH_VERSION);
			close_stdout();
			exit(0);
		case ':':
			usage_error("option '%s' needs an argument", argv[optind - 1]);
		case '?':
			if (optopt && optopt < 256)
				usage_error("unknown option '-%c'", optopt);
			unknown_option(prog, argv[optind - 1]);
		}
		if (common && common_option(key, optarg, common))
			continue;
		return key;
	}
}

uint64_t cli_u64(const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	uint64_t v;
	if (parse_u64(arg, min, max, &v))
		usage_error("invalid value for %s: '%s' (an integer from %llu to %llu)", opt, arg,
			    (unsigned long long)min, (unsigned long long)max);
	return v;
}

uint64_t cli_size(const char *opt, const char *arg)
{
	uint64_t v;
	if (parse_size(arg, &v))
		usage_error("invalid size for %s: '%s' (a number with an optional K, M, G or T)",
			    opt, arg);
	return v;
}

double cli_double(const char *opt, const char *arg, double min, double max)
{
	double v;
	if (parse_double(arg, min, max, &v))
		usage_error("invalid value for %s: '%s' (a number from %g to %g)", opt, arg, min,
			    max);
	return v;
}
