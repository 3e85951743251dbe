/* record-loop: the lib's record loop alone, for benchmarks.
 *
 * Reads every record of the inputs, validates it, finds its text field
 * and writes it unchanged: the floor under every synth program. A record
 * without a string text field is invalid, as it is for synth-stats.
 */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "diag.h"
#include "json.h"
#include "records.h"

static const struct cli_option options[] = {
	CLI_OPT_FIELD, CLI_OPT_JOBS, CLI_OPT_OUTPUT, CLI_OPT_SKIP_INVALID, CLI_OPT_REJECTS,
	CLI_OPT_QUIET, CLI_OPT_VERBOSE, CLI_OPT_HELP, CLI_OPT_VERSION, CLI_OPT_END
};

static const struct cli_program program = {
	"record-loop", "[OPTION]... [FILE]...",
	"Read, validate and pass through JSON Lines records (a benchmark).", options
};

static void *worker_new(void *arg)
{
	return arg;
}

static void worker_free(void *worker)
{
	(void)worker;
}

static void process(void *worker, const struct record *r, struct emit *e)
{
	(void)worker;
	if (record_has_text(r, e) == 0)
		emit_record(e, r);
}

int main(int argc, char **argv)
{
	struct cli_common c;
	const char *arg;
	diag_init("record-loop");
	cli_common_init(&c);
	c.jobs = 1;
	c.progress = 0;
	while (cli_next(argc, argv, &program, &c, &arg) != -1)
		;
	struct record_loop rl = {
		.common = &c, .files = argv + optind, .nfiles = argc - optind,
		.write_records = 1, .worker_new = worker_new, .process = process,
	};
	int rc = record_loop_run(&rl);
	record_loop_summary(&rl);
	record_loop_release(&rl, worker_free);
	return rc ? 1 : 0;
}
