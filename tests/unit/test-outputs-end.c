/* test-outputs-end.c: the outputs of one run end together. A run that
 * succeeded renames every output into place, in order; a failed run
 * leaves every named file as it was (an existing one untouched, a new
 * one never made) and no temporary file behind; a rename that fails
 * gives up the outputs after it, so that a file kept for later runs is
 * never saved beside records that were lost. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "output.h"
#include "unit.h"

static char dir[] = "/tmp/test-outputs-end.XXXXXX";

static const char *in_dir(const char *name)
{
	static char paths[8][256];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static const char *content(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	if (!f)
		return "(absent)";
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static size_t files_in_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Open the outputs a run has: records, then an index. */
static void open_run(struct output *rec, struct output *idx, const char *tag)
{
	output_open(rec, in_dir("records.jsonl"), 0);
	output_open(idx, in_dir("index"), 0);
	output_write(rec, tag, strlen(tag));
	output_write(idx, tag, strlen(tag));
}

int main(void)
{
	diag_init("test-outputs-end");
	if (!mkdtemp(dir))
		return 1;
	struct output rec, idx;
	struct output *outs[] = { &rec, &idx };

	/* Success: both in place. */
	open_run(&rec, &idx, "one");
	ok(outputs_end(outs, 2, 0) == 0, "a run that succeeded ends its outputs");
	ok(!strcmp(content(in_dir("records.jsonl")), "one") && !strcmp(content(in_dir("index")), "one"),
	   "both files hold what was written");
	ok(files_in_dir() == 2, "no temporary file is left");

	/* Failure: the files of the last run are untouched. */
	open_run(&rec, &idx, "two");
	ok(outputs_end(outs, 2, 1) == 0, "a failed run ends its outputs");
	ok(!strcmp(content(in_dir("records.jsonl")), "one") && !strcmp(content(in_dir("index")), "one"),
	   "a failed run leaves the existing files as they were");
	ok(files_in_dir() == 2, "and no temporary file behind");

	/* A failed run with new names makes none of them. */
	output_open(&rec, in_dir("new.jsonl"), 0);
	output_write(&rec, "x", 1);
	struct output *one[] = { &rec };
	outputs_end(one, 1, 1);
	ok(!strcmp(content(in_dir("new.jsonl")), "(absent)"), "a failed run makes no new file");

	/* A rename that fails gives up the outputs after it: the records
	 * cannot go in place (a folder took their name while the run
	 * ran), so the index is not saved. */
	output_open(&rec, in_dir("blocked.jsonl"), 0);
	output_open(&idx, in_dir("index"), 0);
	output_write(&rec, "three", 5);
	output_write(&idx, "three", 5);
	mkdir(in_dir("blocked.jsonl"), 0755);
	put(in_dir("blocked.jsonl/keep"), "k");
	ok(outputs_end(outs, 2, 0) == -1, "a rename that fails fails the run");
	ok(!strcmp(content(in_dir("index")), "one"), "the index after it keeps the last run's content");
	ok(files_in_dir() == 3, "no temporary file is left (%zu files)", files_in_dir());

	/* Outputs never opened are skipped. */
	struct output none[2];
	memset(none, 0, sizeof(none));
	struct output *nn[] = { &none[0], &none[1] };
	ok(outputs_end(nn, 2, 0) == 0, "outputs never opened are skipped");

	unlink(in_dir("blocked.jsonl/keep"));
	rmdir(in_dir("blocked.jsonl"));
	unlink(in_dir("records.jsonl"));
	unlink(in_dir("index"));
	rmdir(dir);
	return done_testing();
}
