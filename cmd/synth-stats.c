/* synth-stats: measure a corpus of JSON Lines records.
 *
 * Counts, lengths and diversity of the text field, optionally per value
 * of another field. Each worker thread counts its share of the records
 * into its own corpus_stats; the shares are merged at the end, which
 * gives the same figures as one thread would (under a --memory limit
 * tight enough to turn tables into estimates, which figures are
 * estimates may differ; see corpus_stats.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "corpus_stats.h"
#include "diag.h"
#include "json.h"
#include "output.h"
#include "records.h"

enum {
	KEY_BY = KEY_PROGRAM, KEY_TOP, KEY_MEMORY, KEY_TABLE, KEY_JSON, KEY_TEE
};

static const struct cli_option options[] = {
	CLI_OPT_FIELD,
	{ "by", KEY_BY, "FIELD", "figures per value of FIELD (a dotted path)" },
	{ "top", KEY_TOP, "K", "list the K most frequent n-grams for n = 1..4" },
	{ "memory", KEY_MEMORY, "SIZE", "exact counts up to SIZE of tables, then estimates (default: 1G)" },
	{ "table", KEY_TABLE, NULL, "print an aligned table (the default on a terminal)" },
	{ "json", KEY_JSON, NULL, "print JSON even on a terminal" },
	{ "tee", KEY_TEE, "FILE", "pass the records through to stdout, statistics to FILE" },
	CLI_OPT_OUTPUT,
	CLI_OPT_SEED,
	CLI_OPT_JOBS,
	CLI_OPT_SKIP_INVALID,
	CLI_OPT_REJECTS,
	CLI_OPT_QUIET,
	CLI_OPT_VERBOSE,
	CLI_OPT_PROGRESS,
	CLI_OPT_HELP,
	CLI_OPT_VERSION,
	CLI_OPT_END
};

static const struct cli_program program = {
	"synth-stats", "[OPTION]... [FILE]...",
	"Measure a corpus of JSON Lines records: counts, lengths, diversity.",
	options
};

struct settings {
	struct cli_common common;
	const char *by;
	unsigned top;
	uint64_t memory;
	int table;		/* -1: decide by the terminal */
	const char *tee;
};

struct worker {
	const struct settings *set;
	struct corpus_stats stats;
	struct strbuf text, group;
};

static void *worker_new(void *arg)
{
	const struct settings *set = arg;
	struct worker *w = xcalloc(1, sizeof(*w));
	w->set = set;
	unsigned jobs = set->common.jobs ? set->common.jobs : 1;
	corpus_stats_init(&w->stats, set->memory / jobs, set->common.seed);
	strbuf_init(&w->text);
	strbuf_init(&w->group);
	return w;
}

static void worker_free(void *arg)
{
	struct worker *w = arg;
	corpus_stats_release(&w->stats);
	strbuf_release(&w->text);
	strbuf_release(&w->group);
	free(w);
}

static void process(void *arg, const struct record *r, struct emit *e)
{
	struct worker *w = arg;
	const struct settings *set = w->set;
	const char *text;
	size_t len;
	if (record_text(r, e, &w->text, &text, &len) < 0)
		return;
	const struct strbuf *group = NULL;
	if (set->by) {
		struct json_value g;
		stats_group_key(&w->group, json_get(r->line, r->len, set->by, &g) ? &g : NULL);
		group = &w->group;
	}
	corpus_stats_add(&w->stats, text, len, group);
	if (set->tee)
		emit_record(e, r);
}

/* Merge the workers' counts and write the figures to out. */
static int write_statistics(const struct settings *set, struct record_loop *rl,
			    struct output *out, int table)
{
	struct worker *all = rl->workers[0];
	all->stats.memory_limit = set->memory;
	for (unsigned i = 1; i < rl->nworkers; i++)
		corpus_stats_merge(&all->stats, &((struct worker *)rl->workers[i])->stats);
	if (corpus_stats_group_memory(&all->stats) > set->memory)
		warning("--by %s: the groups take %zu MB, more than --memory", set->by,
			corpus_stats_group_memory(&all->stats) >> 20);

	struct stats_report report = {
		.top = set->top, .by = set->by, .invalid = rl->invalid,
		.show_invalid = set->common.skip_invalid, .input_bytes = rl->bytes,
	};
	if (set->top && all->stats.approx[1])
		warning("--top: no list, the vocabulary outgrew --memory and is an estimate");
	struct strbuf sb = STRBUF_INIT;
	if (table) {
		corpus_stats_table(&all->stats, &report, &sb);
	} else {
		corpus_stats_json(&all->stats, &report, &sb);
		strbuf_addc(&sb, '\n');
	}
	output_write(out, sb.buf, sb.len);
	strbuf_release(&sb);
	return output_close(out);
}

int main(int argc, char **argv)
{
	struct settings set = { .memory = 1ull << 30, .table = -1 };
	const char *arg;
	int key;
	diag_init("synth-stats");
	cli_common_init(&set.common);
	while ((key = cli_next(argc, argv, &program, &set.common, &arg)) != -1) {
		switch (key) {
		case KEY_BY:
			if (!*arg)
				usage_error("empty field name for --by");
			set.by = arg;
			break;
		case KEY_TOP: set.top = (unsigned)cli_u64("--top", arg, 0, 100000); break;
		case KEY_MEMORY: set.memory = cli_size("--memory", arg); break;
		case KEY_TABLE: set.table = 1; break;
		case KEY_JSON: set.table = 0; break;
		case KEY_TEE: set.tee = arg; break;
		default: BUG("option %d", key);
		}
	}
	if (set.tee && set.common.output)
		usage_error("--tee and --output both name where the statistics go; use one");
	if (set.tee && !strcmp(set.tee, "-"))
		usage_error("--tee -: the records go to stdout; name a file for the statistics");
	if (set.memory < (1u << 20))
		usage_error("--memory must be at least 1M");

	struct record_loop rl = {
		.common = &set.common, .files = argv + optind, .nfiles = argc - optind,
		.write_records = set.tee != NULL, .worker_new = worker_new,
		.process = process, .arg = &set,
	};
	/* The statistics' output is opened first, so that a name that
	 * cannot be written fails before the corpus is read. */
	const char *path = set.tee ? set.tee : set.common.output;
	int table = set.table >= 0 ? set.table : !path && isatty(1);
	struct output out;
	if (output_open(&out, path, 0) < 0)
		return 1;
	int rc = record_loop_run(&rl);
	if (rc == 2) {
		output_abort(&out);
		record_loop_release(&rl, worker_free);
		return 1;
	}
	if (write_statistics(&set, &rl, &out, table) < 0)
		rc = 1;
	record_loop_summary(&rl);
	record_loop_release(&rl, worker_free);
	return rc ? 1 : 0;
}
