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
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "cli.h"
#include "corpus_stats.h"
#include "diag.h"
#include "file_lock.h"
#include "group_detail.h"
#include "hash.h"
#include "json.h"
#include "ngram.h"
#include "output.h"
#include "pool.h"
#include "records.h"
#include "report_html.h"
#include "representation.h"
#include "review.h"
#include "stats_compare.h"
#include "stats_figures.h"
#include "stats_render.h"
#include "stats_state.h"
#include "tokenizer.h"

enum {
	KEY_BY = KEY_PROGRAM, KEY_TOP, KEY_MEMORY, KEY_TABLE, KEY_JSON, KEY_TEE, KEY_REFERENCE, KEY_LM,
	KEY_ORDER, KEY_HTML, KEY_PARTIAL, KEY_MERGE, KEY_EXACT, KEY_TOKENIZER, KEY_TARGET, KEY_UNDER,
	KEY_REVIEW, KEY_REVIEW_SAMPLE, KEY_REVIEW_SIGNAL, KEY_REVIEW_REJECTS
};

static const struct cli_option options[] = {
	CLI_OPT_FIELD,
	{ "by", KEY_BY, "FIELD", "figures per value of FIELD (dotted paths; FIELD,FIELD crosses them)" },
	{ "target", KEY_TARGET, "FILE", "--by: each group's share against the shares FILE wants (JSON)" },
	{ "under", KEY_UNDER, "R", "flag groups below R times the share wanted (default: 0.5)" },
	{ "tokenizer", KEY_TOKENIZER, "FILE", TOKENIZER_OPTION_HELP },
	{ "top", KEY_TOP, "K", "list the K most frequent n-grams for n = 1..4" },
	{ "memory", KEY_MEMORY, "SIZE", "exact counts up to SIZE of tables, then estimates (default: 1G)" },
	{ "exact", KEY_EXACT, NULL, "count distinct 2- to 4-grams exactly up to --memory, not by a sketch" },
	{ "table", KEY_TABLE, NULL, "print an aligned table (the default on a terminal)" },
	{ "json", KEY_JSON, NULL, "print JSON even on a terminal" },
	{ "tee", KEY_TEE, "FILE", "pass the records through to stdout, statistics to FILE" },
	{ "reference", KEY_REFERENCE, "FILE", "measure each input against the real records of FILE, a row each" },
	{ "lm", KEY_LM, "FILE", "--reference: perplexity under this model (default: one fitted on FILE)" },
	{ "order", KEY_ORDER, "N", "--reference: the order of the model fitted on FILE (default: 3)" },
	{ "html", KEY_HTML, "FILE", "also write a report with charts to FILE, one HTML page" },
	{ "review", KEY_REVIEW, "FILE", "also write a page for a person to read samples of the records to FILE" },
	{ "review-sample", KEY_REVIEW_SAMPLE, "N", "--review: N records a group, reason and extreme (default: 10)" },
	{ "review-signal", KEY_REVIEW_SIGNAL, "FIELD", "--review: the records with the lowest and highest number at FIELD" },
	{ "review-rejects", KEY_REVIEW_REJECTS, "FILE", "--review: the rejected records of FILE, by reason (repeatable)" },
	{ "partial", KEY_PARTIAL, NULL, "write the state of the counts, for --merge, instead of figures" },
	{ "merge", KEY_MERGE, NULL, "the FILEs are states of --partial runs: print the figures of all" },
	CLI_OPT_OUTPUT,
	CLI_OPT_SEED,
	CLI_OPT_JOBS,
	CLI_OPT_SKIP_INVALID,
	CLI_OPT_REJECTS,
	CLI_OPT_WAIT_LOCK,
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
	struct by_fields by_fields;
	const char *target_path;
	struct target target;	/* --target, loaded */
	double under;
	int detail;		/* --by with --reference: the groups' vocabularies */
	const char *review;	/* --review FILE */
	size_t review_sample;
	const char *review_signal;
	char **review_rejects;	/* --review-rejects, in order */
	size_t nreview_rejects;
	unsigned top;
	uint64_t memory;
	int table;		/* -1: decide by the terminal */
	const char *tee;
	const char *reference, *lm_path, *html;
	unsigned order;
	int partial, merge;
	int exact;		/* --exact, or --top: exact n-gram tables */
	struct ngram_model lm;	/* --reference: the model of perplexity */
	int has_lm;
	struct ngram_trainer *trainer;	/* while the reference is read */
	struct output *rejects_out;	/* --reference: one --rejects for every loop */
	const char *tokenizer_path;
	struct tokenizer *tokenizer;	/* --tokenizer: tokens counted too */
};

/* Records whose perplexity the quantiles come from, at most: a uniform
 * sample keyed by each record's text and line. */
#define PERPLEXITY_SAMPLE 5000
/* A record of at most this many bytes has its perplexity computed once
 * the sample is final, its text kept while it is in the sample (a
 * thread's sample then holds at most 5000 x 8 KiB); a longer one at once
 * when it gets in. */
#define PERPLEXITY_DEFER 8192

struct worker {
	const struct settings *set;
	struct corpus_stats stats;
	struct strbuf text, group;
	/* --reference: the perplexities of a sample of records, under
	 * set->lm. */
	struct value_sample ppl;
	uint32_t *ids;
	size_t ids_cap;
	int train;		/* the reference's pass: leave texts for the trainer */
	struct tokenizer_run *tokens;	/* --tokenizer */
	struct group_details details;	/* set->detail */
	struct review_state review;	/* --review */
	struct strbuf scratch;
};

static void *worker_new(void *arg)
{
	const struct settings *set = arg;
	struct worker *w = xcalloc(1, sizeof(*w));
	w->set = set;
	unsigned jobs = set->common.jobs ? set->common.jobs : 1;
	corpus_stats_init(&w->stats, set->memory / jobs, set->common.seed);
	if (set->exact)
		w->stats.exact_until = 0;
	w->train = set->trainer != NULL;
	if (set->tokenizer)
		w->tokens = tokenizer_run_new(set->tokenizer);
	value_sample_init(&w->ppl, PERPLEXITY_SAMPLE);
	strbuf_init(&w->text);
	strbuf_init(&w->group);
	strbuf_init(&w->scratch);
	group_details_init(&w->details);
	if (set->review)
		review_state_init(&w->review, set->review_sample, set->common.seed);
	return w;
}

static void worker_free(void *arg)
{
	struct worker *w = arg;
	corpus_stats_release(&w->stats);
	strbuf_release(&w->text);
	strbuf_release(&w->group);
	strbuf_release(&w->scratch);
	group_details_release(&w->details);
	if (w->set->review)
		review_state_release(&w->review);
	value_sample_release(&w->ppl);
	tokenizer_run_free(w->tokens);
	free(w->ids);
	free(w);
}

/* The number at --review-signal of r, NaN when it has none. */
static double signal_of(const struct settings *set, const struct record *r)
{
	struct json_value v;
	char num[64];
	if (!set->review_signal || !json_get(r->line, r->len, set->review_signal, &v) ||
	    v.type != JSON_NUMBER || v.len >= sizeof(num))
		return NAN;
	memcpy(num, v.p, v.len);
	num[v.len] = 0;
	return strtod(num, NULL);
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
		by_fields_key(&set->by_fields, r->line, r->len, &w->group, &w->scratch);
		group = &w->group;
	}
	corpus_stats_add(&w->stats, text, len, group);
	if (w->tokens)
		corpus_stats_add_tokens(&w->stats, tokenizer_count(w->tokens, text, len), group);
	if (set->tee)
		emit_record(e, r);
	if (set->review)
		review_add(&w->review, set->by ? w->group.buf : "", set->by ? w->group.len : 0,
			   r->line, r->len, r->file, r->lineno, signal_of(set, r));
	if (w->train) {
		strbuf_add(&e->side, &len, sizeof(len));
		strbuf_add(&e->side, text, len);
	}
	/* Keyed by the text and its line, so that copies of a text are
	 * drawn apart, and the same for any -j. */
	uint64_t h = set->detail || set->has_lm ?
		hash64(text, len, set->common.seed ^ 0x706572706c6578ull) ^ mix64(r->lineno) : 0;
	if (set->detail)
		group_details_add(&w->details, w->group.buf, w->group.len, text, len, h);
	if (set->has_lm) {
		if (len <= PERPLEXITY_DEFER)
			value_sample_defer(&w->ppl, h, text, len);
		else if (value_sample_wants(&w->ppl, h))
			value_sample_add(&w->ppl, h, ngram_perplexity(&set->lm, text, len, &w->ids,
								    &w->ids_cap));
	}
}

/* Fold every worker's counts and sample into the first worker's, which
 * is returned. While worker i is folded in, the workers after it still
 * hold their tables: the first worker's share of the limit is what they
 * leave, so that the whole never holds more than --memory. */
static struct worker *merge_workers(const struct settings *set, struct record_loop *rl)
{
	struct worker *all = rl->workers[0];
	for (unsigned i = 1; i < rl->nworkers; i++) {
		size_t later = 0;
		for (unsigned j = i + 1; j < rl->nworkers; j++)
			later += corpus_stats_memory(&((struct worker *)rl->workers[j])->stats);
		all->stats.memory_limit = later < set->memory ? set->memory - later : 0;
		struct worker *w = rl->workers[i];
		corpus_stats_merge(&all->stats, &w->stats);
		value_sample_merge(&all->ppl, &w->ppl);
		group_details_merge(&all->details, &w->details);
		if (set->review)
			review_state_merge(&all->review, &w->review);
	}
	all->stats.memory_limit = set->memory;
	return all;
}

/* Write the figures of cs to out: a table, JSON, or under --partial the
 * state that --merge reads. The caller ends out. */
static void write_figures(const struct settings *set, struct corpus_stats *cs,
			 struct stats_report *report, struct output *out, int table)
{
	if (corpus_stats_group_memory(cs) > set->memory)
		warning("--by %s: the groups take %zu MB, more than --memory", set->by,
			corpus_stats_group_memory(cs) >> 20);
	if (set->partial) {
		stats_state_write(cs, report, out);
		return;
	}
	if (set->top && cs->approx[1])
		warning("--top: no list, the vocabulary outgrew --memory and is an estimate");
	struct stats_figures f;
	stats_figures_init(&f);
	stats_figures_compute(&f, cs, report);
	struct representation rep = { 0 };
	if (set->target.n)
		representation_compute(&rep, &f, NULL, &set->target, NULL, set->under);
	struct strbuf sb = STRBUF_INIT;
	if (table) {
		stats_render_table(&f, &sb);
		if (set->target.n)
			representation_table(&rep, &sb);
	} else {
		struct json_writer w;
		jw_init(&w, &sb);
		jw_object_begin(&w);
		stats_render_json_members(&f, &w);
		if (set->target.n)
			representation_json(&rep, &w);
		jw_object_end(&w);
		strbuf_addc(&sb, '\n');
	}
	representation_release(&rep);
	stats_figures_release(&f);
	output_write(out, sb.buf, sb.len);
	strbuf_release(&sb);
}

static void write_report_alone(const struct settings *set, char **files, int nfiles,
			       struct corpus_stats *cs, const struct stats_report *report,
			       struct output *html);

/* --tokenizer's name and fingerprint into the report. */
static void report_tokenizer(const struct settings *set, struct stats_report *report)
{
	if (!set->tokenizer)
		return;
	report->tokenizer = tokenizer_name(set->tokenizer);
	report->tokenizer_id = tokenizer_fingerprint(set->tokenizer);
}

/* Merge the workers' counts and write the figures to out, and under
 * --html the report to html. */
static void write_statistics(const struct settings *set, struct record_loop *rl,
			    struct output *out, int table, struct output *html)
{
	struct worker *all = merge_workers(set, rl);
	struct stats_report report = {
		.top = set->top, .by = set->by, .invalid = rl->invalid,
		.show_invalid = set->common.skip_invalid, .input_bytes = rl->bytes,
	};
	report_tokenizer(set, &report);
	write_figures(set, &all->stats, &report, out, table);
	if (set->html)
		write_report_alone(set, rl->files, rl->nfiles, &all->stats, &report, html);
}

/* The inputs' names, for a page's heading: the files, or "<stdin>". */
static void input_names(char **files, int nfiles, struct strbuf *name)
{
	if (!nfiles)
		strbuf_addstr(name, "<stdin>");
	for (int i = 0; i < nfiles; i++)
		strbuf_addf(name, "%s%s", i ? " " : "", strcmp(files[i], "-") ? files[i] : "<stdin>");
}

static void process_reject(void *arg, const struct record *r, struct emit *e)
{
	struct worker *w = arg;
	(void)e;
	review_add_reject(&w->review, r->line, r->len, r->file, r->lineno);
}

/* --review: read the --review-rejects files into the merged state of
 * the input's loop, then write the page to out. Returns 0, or 1 when a
 * rejects file could not be read or holds an invalid line. */
static int write_review(const struct settings *set, struct record_loop *rl, struct output *out)
{
	struct worker *all = rl->workers[0];
	if (set->nreview_rejects) {
		/* A loop of its own, whose skipped lines go nowhere: the
		 * run's --rejects and -o are the input's. */
		struct cli_common common = set->common;
		common.rejects = NULL;
		common.output = NULL;
		struct record_loop rr = {
			.common = &common, .files = set->review_rejects,
			.nfiles = (int)set->nreview_rejects, .worker_new = worker_new,
			.process = process_reject, .arg = (void *)set, .empty = EMPTY_CHECKED,
			.what = "--review-rejects", .phase = "reading rejects",
		};
		int rc = record_loop_run(&rr);
		for (unsigned i = 0; i < rr.nworkers; i++)
			review_state_merge(&all->review, &((struct worker *)rr.workers[i])->review);
		record_loop_release(&rr, worker_free);
		if (rc)
			return 1;
	}
	struct strbuf name = STRBUF_INIT, sb = STRBUF_INIT;
	input_names(rl->files, rl->nfiles, &name);
	struct review_page page = {
		.inputs = name.buf, .by = set->by, .crossed = set->by && strchr(set->by, ','),
		.field = set->common.field, .id_field = set->common.id_field,
		.signal = set->review_signal, .reject_files = set->review_rejects,
		.nreject_files = set->nreview_rejects, .k = set->review_sample,
		.seed = set->common.seed,
	};
	review_html(&page, &all->review, &sb);
	output_write(out, sb.buf, sb.len);
	strbuf_release(&sb);
	strbuf_release(&name);
	return 0;
}

/* --merge: the states of --partial runs, folded into the figures of
 * their inputs together. */
static int merge_states(const struct settings *set, char **files, int nfiles, struct output *out,
			int table)
{
	if (!nfiles)
		usage_error("--merge needs the files that --partial wrote");
	struct corpus_stats cs;
	corpus_stats_init(&cs, set->memory, set->common.seed);
	if (set->exact)
		cs.exact_until = 0;
	struct stats_report report = {
		.top = set->top, .by = set->by, .show_invalid = set->common.skip_invalid,
	};
	report_tokenizer(set, &report);
	int rc = 0;
	for (int i = 0; i < nfiles && !rc; i++)
		if (stats_state_read(&cs, &report, files[i]) < 0)
			rc = 1;
	if (!rc)
		write_figures(set, &cs, &report, out, table);
	if (output_end(out, rc) < 0)
		rc = 1;
	corpus_stats_release(&cs);
	return rc;
}

/* --- Against a reference ------------------------------------------------- */

/* The reference's texts to the model's trainer, in input order. */
static void train_ordered(void *arg, struct emit *e)
{
	struct settings *set = arg;
	for (size_t off = 0; off < e->side.len;) {
		size_t len;
		memcpy(&len, e->side.buf + off, sizeof(len));
		ngram_train(set->trainer, e->side.buf + off + sizeof(len), len);
		off += sizeof(len) + len;
	}
}

/* The sample's deferred perplexities, a share of the sample a task on
 * -j threads. */
struct ppl_job {
	const struct settings *set;
	struct value_sample *sample;
	unsigned ntasks;
};

/* A task's model and the scratch of its word ids. */
struct ppl_scratch {
	const struct settings *set;
	uint32_t *ids;
	size_t cap;
};

static double perplexity_of(void *arg, const char *text, size_t len)
{
	struct ppl_scratch *t = arg;
	return ngram_perplexity(&t->set->lm, text, len, &t->ids, &t->cap);
}

static void ppl_task(void *arg, unsigned task)
{
	struct ppl_job *job = arg;
	size_t n = job->sample->n;
	struct ppl_scratch t = { job->set, NULL, 0 };
	value_sample_compute(job->sample, n * task / job->ntasks, n * (task + 1) / job->ntasks,
			     perplexity_of, &t);
	free(t.ids);
}

static void compute_perplexities(const struct settings *set, struct value_sample *sample)
{
	unsigned jobs = set->common.jobs ? set->common.jobs : 1;
	struct pool *pool = pool_new(jobs - 1);
	struct ppl_job job = { set, sample, 4 * jobs };
	pool_run(pool, job.ntasks, ppl_task, &job);
	pool_free(pool);
}

/* The groups' samples, a task a group. */
struct group_ppl_job {
	const struct settings *set;
	struct group_detail **groups;
};

static void group_ppl_task(void *arg, unsigned task)
{
	struct group_ppl_job *job = arg;
	struct ppl_scratch t = { job->set, NULL, 0 };
	struct value_sample *sample = &job->groups[task]->ppl;
	value_sample_compute(sample, 0, sample->n, perplexity_of, &t);
	free(t.ids);
}

/* The perplexities of the samples of every group of t, on -j threads. */
static void group_perplexities(const struct settings *set, struct group_details *t)
{
	const struct strtab *groups = &t->groups;
	if (!groups->n)
		return;
	if (groups->n > UINT_MAX)
		die("--by: too many groups");
	struct group_ppl_job job = { set, xcalloc(groups->n, sizeof(*job.groups)) };
	size_t k = 0;
	for (size_t i = 0; i < groups->cap; i++)
		if (groups->slots[i])
			job.groups[k++] = (struct group_detail *)groups->slots[i];
	unsigned jobs = set->common.jobs ? set->common.jobs : 1;
	struct pool *pool = pool_new(jobs - 1);
	pool_run(pool, (unsigned)k, group_ppl_task, &job);
	pool_free(pool);
	free(job.groups);
}

/* One corpus: its statistics (merged into the first worker's) and, with
 * a model, the perplexities of its records; `what` names the files in
 * messages ("--reference", or NULL for an input). Returns the record
 * loop's status; the caller releases rl. */
static int measure(struct settings *set, char **files, int nfiles, const char *what,
		   struct record_loop *rl)
{
	*rl = (struct record_loop){
		.common = &set->common, .files = files, .nfiles = nfiles, .worker_new = worker_new,
		.process = process, .arg = set, .ordered = set->trainer ? train_ordered : NULL,
		.rejects = set->rejects_out, .empty = EMPTY_FAILS, .what = what,
		.phase = what ? "reading the reference" : "measuring",
	};
	int rc = record_loop_run(rl);
	struct worker *all = merge_workers(set, rl);
	if (set->has_lm) {
		compute_perplexities(set, &all->ppl);
		group_perplexities(set, &all->details);
	}
	return rc;
}

/* What the report and the table keep of one corpus. */
struct row {
	struct report_input in;		/* points at figures and cmp */
	struct stats_figures figures;
	struct stats_comparison cmp;
	struct representation repr;	/* --by: its groups against the reference's */
	double *lx, *ly, *rx, *ry;	/* the plots' points */
};

#define RANK_POINTS 200
#define LENGTH_POINTS 4096

/* Fill row from the merged statistics: their figures as report asks,
 * the plots' points, and the perplexities of the sample (NULL: none).
 * The comparison is the caller's to fill. */
static void make_row(struct row *row, const char *name, struct corpus_stats *cs,
		     const struct stats_report *report, const struct value_sample *sample)
{
	size_t nppl = sample ? sample->n : 0;
	double *ppl = xcalloc(nppl ? nppl : 1, sizeof(*ppl));
	if (sample)
		value_sample_values(sample, ppl);
	stats_figures_init(&row->figures);
	stats_figures_compute(&row->figures, cs, report);
	struct report_input *in = &row->in;
	in->name = name;
	in->figures = &row->figures;
	in->comparison = &row->cmp;
	for (int q = 0; q < 3; q++)
		in->perplexity[q] = quantile_sorted(ppl, nppl, q == 0 ? 0.1 : q == 1 ? 0.5 : 0.9);
	free(ppl);
	row->lx = xcalloc(LENGTH_POINTS, sizeof(double));
	row->ly = xcalloc(LENGTH_POINTS, sizeof(double));
	row->rx = xcalloc(RANK_POINTS, sizeof(double));
	row->ry = xcalloc(RANK_POINTS, sizeof(double));
	in->lengths = (struct report_series){ row->lx, row->ly,
		lenhist_points(&cs->length, row->lx, row->ly, LENGTH_POINTS) };
	in->rank_freq = (struct report_series){ row->rx, row->ry,
		stats_rank_freq(cs, row->rx, row->ry, RANK_POINTS) };
}

static void row_release(struct row *row)
{
	stats_figures_release(&row->figures);
	representation_release(&row->repr);
	free(row->lx);
	free(row->ly);
	free(row->rx);
	free(row->ry);
}

/* --html without --reference: the report of the inputs together, as one
 * row, with nothing to compare them with (the figures that compare are
 * NaN, shown as dashes). */
static void write_report_alone(const struct settings *set, char **files, int nfiles,
			       struct corpus_stats *cs, const struct stats_report *report,
			       struct output *html)
{
	struct strbuf name = STRBUF_INIT, sb = STRBUF_INIT;
	input_names(files, nfiles, &name);
	struct row row = { 0 };
	make_row(&row, name.buf, cs, report, NULL);
	row.cmp = (struct stats_comparison){ NAN, NAN, stats_unseen_mass(cs), NAN, NAN, NAN, NAN };
	struct representation repr = { 0 };
	if (set->target.n) {
		representation_compute(&repr, &row.figures, NULL, &set->target, NULL, set->under);
		row.in.representation = &repr;
	}
	struct report rep = { "synth-stats", NULL, &row.in, 1 };
	report_html(&rep, &sb);
	output_write(html, sb.buf, sb.len);
	representation_release(&repr);
	row_release(&row);
	strbuf_release(&sb);
	strbuf_release(&name);
}

static void add_figure(struct json_writer *w, const char *key, double v)
{
	jw_key(w, key);
	jw_double(w, v, STATS_JSON_DECIMALS);
}

/* An input's JSON line: its figures, its name, and under "reference"
 * how it compares with the reference. */
static void reference_line(const struct settings *set, const struct row *row, struct strbuf *sb)
{
	const struct stats_comparison *c = &row->cmp;
	struct json_writer w;
	jw_init(&w, sb);
	jw_object_begin(&w);
	stats_render_json_members(&row->figures, &w);
	jw_key(&w, "file");
	jw_cstr(&w, row->in.name);
	jw_key(&w, "reference");
	jw_object_begin(&w);
	jw_key(&w, "file");
	jw_cstr(&w, set->reference);
	add_figure(&w, "vocab_kept", c->vocab_kept);
	add_figure(&w, "rare_kept", c->rare_kept);
	add_figure(&w, "unseen_mass", c->unseen_mass);
	add_figure(&w, "unseen_mass_reference", c->unseen_mass_reference);
	add_figure(&w, "js_divergence", c->js_divergence);
	add_figure(&w, "length_ks", c->length_ks);
	if (row->figures.tokenizer)
		add_figure(&w, "token_length_ks", c->token_length_ks);
	jw_key(&w, "perplexity");
	jw_object_begin(&w);
	add_figure(&w, "p10", row->in.perplexity[0]);
	add_figure(&w, "p50", row->in.perplexity[1]);
	add_figure(&w, "p90", row->in.perplexity[2]);
	jw_object_end(&w);
	jw_object_end(&w);
	if (set->by)
		representation_json(&row->repr, &w);
	jw_object_end(&w);
	strbuf_addc(sb, '\n');
}

/* --by against the reference: the groups of row (measured by in) against
 * those of the reference (ref), and their diversity against the same
 * group of the reference. */
static void representation_of(const struct settings *set, struct row *row,
			      const struct worker *in, const struct row *ref_row,
			      const struct worker *ref)
{
	struct representation *r = &row->repr;
	representation_compute(r, &row->figures, &ref_row->figures,
			       set->target.n ? &set->target : NULL, set->reference, set->under);
	r->input = row->in.name;
	for (size_t i = 0; i < r->n; i++) {
		struct representation_group *g = &r->groups[i];
		if (!g->key)
			continue;
		const struct group_detail *din = group_details_find(&in->details, g->key, g->keylen);
		const struct group_detail *dref = group_details_find(&ref->details, g->key, g->keylen);
		g->vocab_kept = group_vocab_kept(din, dref);
		g->perplexity_p50 = group_perplexity_median(din);
		g->perplexity_p50_reference = group_perplexity_median(dref);
	}
	row->in.representation = r;
}

/* A figure of the trend table: fixed decimals, or a dash. */
static void cell(struct strbuf *sb, double v, int width, int decimals)
{
	if (isnan(v))
		strbuf_addf(sb, " %*s", width, "-");
	else
		strbuf_addf(sb, " %*.*f", width, decimals, v);
}

static void table_row(struct strbuf *sb, const struct row *row, int width)
{
	const struct report_input *in = &row->in;
	strbuf_addf(sb, "%-*s %9llu %10llu", width, in->name,
		    (unsigned long long)row->figures.records, (unsigned long long)row->figures.words);
	cell(sb, row->figures.distinct[2], 10, 4);
	cell(sb, row->cmp.vocab_kept, 10, 4);
	cell(sb, row->cmp.rare_kept, 9, 4);
	cell(sb, row->cmp.unseen_mass, 8, 4);
	cell(sb, row->cmp.js_divergence, 8, 4);
	cell(sb, row->cmp.length_ks, 8, 4);
	for (int q = 0; q < 3; q++)
		cell(sb, in->perplexity[q], 9, 1);
	if (row->figures.tokenizer) {
		strbuf_addf(sb, " %11llu", (unsigned long long)row->figures.tokens);
		cell(sb, row->figures.tokens_per_word, 8, 3);
		cell(sb, row->cmp.token_length_ks, 10, 4);
	}
	strbuf_addc(sb, '\n');
}

/* synth-stats --reference REF INPUT...: the reference's statistics and
 * model, then each input measured against them, a row each. Ends out,
 * on every path. */
static int run_reference(struct settings *set, char **files, int nfiles, struct output *out,
			 int table)
{
	/* The table, the report and the rejects of every input: all kept
	 * after a run that measured every input, or none. */
	struct output html, rejects;
	memset(&html, 0, sizeof(html));
	memset(&rejects, 0, sizeof(rejects));
	struct output *outs[] = { out, &rejects, &html };
	if (set->html && output_open(&html, set->html, 0) < 0) {
		output_abort(out);
		return 1;
	}
	if (set->common.rejects) {
		if (output_open(&rejects, set->common.rejects, (int)set->common.jobs) < 0) {
			outputs_end(outs, 3, 1);
			return 1;
		}
		set->rejects_out = &rejects;
	}
	if (set->lm_path) {
		if (ngram_load(&set->lm, set->lm_path) < 0) {
			outputs_end(outs, 3, 1);
			return 1;
		}
	} else {
		set->trainer = ngram_trainer_new(set->order);
	}
	struct record_loop rl;
	char *ref_files[] = { (char *)set->reference };
	int rc = measure(set, ref_files, 1, "--reference", &rl);
	struct worker *ref = rl.workers[0];
	if (set->trainer) {
		ngram_finish(set->trainer, &set->lm);
		set->trainer = NULL;
	}
	/* A reference without a word has no vocabulary to keep and no model
	 * to measure perplexity under (one fitted on nothing gave 1). */
	int wordless = !rc && !ref->stats.words;
	if (rc || wordless) {
		record_loop_release(&rl, worker_free);
		ngram_release(&set->lm);
		outputs_end(outs, 3, 1);
		return error("%s: %s", set->reference,
			     wordless ? "the reference holds no words: nothing to measure against"
				      : "cannot measure the reference");
	}
	set->has_lm = 1;
	if (set->detail)
		group_perplexities(set, &ref->details);
	struct stats_report report = { .by = set->by, .show_invalid = set->common.skip_invalid };
	report_tokenizer(set, &report);
	struct strbuf sb = STRBUF_INIT;
	struct row ref_row = { 0 };
	make_row(&ref_row, set->reference, &ref->stats, &report, NULL);
	stats_compare(&ref->stats, &ref->stats, &ref_row.cmp);
	ref_row.cmp.vocab_kept = ref_row.cmp.rare_kept = ref_row.cmp.js_divergence = NAN;
	ref_row.cmp.length_ks = ref_row.cmp.token_length_ks = NAN;

	static char *stdin_only[] = { "-" };
	if (!nfiles) {
		files = stdin_only;
		nfiles = 1;
	}
	struct row *rows = xcalloc((size_t)nfiles, sizeof(*rows));
	int stopped = 0;	/* an invalid record: no output under -o */
	/* The rows go out at the end, and only after a run that measured
	 * every input: a failed run prints no figures. */
	struct strbuf figures = STRBUF_INIT;
	struct strbuf groups = STRBUF_INIT;	/* --by --table: a section an input */
	int width = strlen(set->reference) > 7 ? (int)strlen(set->reference) : 7;
	for (int i = 0; i < nfiles; i++)
		if ((int)strlen(files[i]) > width)
			width = (int)strlen(files[i]);
	if (table) {
		strbuf_addf(&sb, "%-*s %9s %10s %10s %10s %9s %8s %8s %8s %9s %9s %9s\n", width, "input",
			    "records", "words", "distinct-2", "vocab_kept", "rare_kept", "unseen", "js_div",
			    "len_ks", "ppl p10", "ppl p50", "ppl p90");
		if (set->tokenizer) {
			strbuf_setlen(&sb, sb.len - 1);
			strbuf_addf(&sb, " %11s %8s %10s\n", "tokens", "tok/word", "tok_len_ks");
		}
		table_row(&sb, &ref_row, width);
		strbuf_add(&figures, sb.buf, sb.len);
	}
	for (int i = 0; i < nfiles; i++) {
		struct record_loop in_rl;
		char *one[] = { files[i] };
		int r = measure(set, one, 1, NULL, &in_rl);
		struct worker *w = in_rl.workers[0];
		if (r == 2) {
			record_loop_release(&in_rl, worker_free);
			rc = stopped = 1;
			break;
		}
		rc |= r;
		report.input_bytes = in_rl.bytes;
		report.invalid = in_rl.invalid;
		const char *name = strcmp(files[i], "-") ? files[i] : "<stdin>";
		make_row(&rows[i], name, &w->stats, &report, &w->ppl);
		stats_compare(&w->stats, &ref->stats, &rows[i].cmp);
		if (set->by)
			representation_of(set, &rows[i], w, &ref_row, ref);
		strbuf_reset(&sb);
		if (table)
			table_row(&sb, &rows[i], width);
		else
			reference_line(set, &rows[i], &sb);
		strbuf_add(&figures, sb.buf, sb.len);
		if (table && set->by)
			representation_table(&rows[i].repr, &groups);
		record_loop_summary(&in_rl);
		record_loop_release(&in_rl, worker_free);
	}
	strbuf_add(&figures, groups.buf, groups.len);
	strbuf_release(&groups);
	if (!rc && !stopped)
		output_write(out, figures.buf, figures.len);
	strbuf_release(&figures);
	if (set->html) {
		struct report rep = { "synth-stats", &ref_row.in, NULL, (size_t)nfiles };
		struct report_input *ins = xcalloc((size_t)nfiles, sizeof(*ins));
		for (int i = 0; i < nfiles; i++)
			ins[i] = rows[i].in;
		rep.inputs = ins;
		strbuf_reset(&sb);
		report_html(&rep, &sb);
		output_write(&html, sb.buf, sb.len);
		free(ins);
	}
	for (int i = 0; i < nfiles; i++)
		row_release(&rows[i]);
	free(rows);
	row_release(&ref_row);
	record_loop_release(&rl, worker_free);
	ngram_release(&set->lm);
	strbuf_release(&sb);
	if (outputs_end(outs, 3, rc != 0 || stopped) < 0)
		rc = 1;
	set->rejects_out = NULL;
	return rc;
}

/* Everything main() does once the options are read. */
static int run(struct settings *set, int argc, char **argv)
{
	/* The most frequent n-grams need their counts: a sketch has none. */
	if (set->top)
		set->exact = 1;
	if (set->tee && set->common.output)
		usage_error("--tee and --output both name where the statistics go; use one");
	if (set->tee && !strcmp(set->tee, "-"))
		usage_error("--tee -: the records go to stdout; name a file for the statistics");
	if (set->memory < (1u << 20))
		usage_error("--memory must be at least 1M");
	if (!set->reference && set->lm_path)
		usage_error("--lm goes with --reference FILE");
	if (set->html && (set->partial || set->merge))
		usage_error("--html is a report of figures; it does not go with --partial or --merge");
	if (set->reference && set->tee)
		usage_error("--reference gives a row per input; it does not go with --tee");
	if (set->review && (set->reference || set->partial || set->merge))
		usage_error("--review shows records of the inputs; it does not go with --reference, "
			    "--partial or --merge");
	if (!set->review && (set->review_signal || set->nreview_rejects ||
			     set->review_sample != REVIEW_SAMPLE))
		usage_error("--review-sample, --review-signal and --review-rejects go with --review FILE");
	if (set->target_path && !set->by)
		usage_error("--target names the shares of the groups of --by FIELD; give --by");
	if (set->target_path && set->partial)
		usage_error("--target compares figures; it does not go with --partial");
	if (set->under != REPRESENTATION_UNDER && !set->target_path && !(set->reference && set->by))
		usage_error("--under goes with --by and --reference or --target");
	if (set->partial && (set->merge || set->reference))
		usage_error("--partial writes a state; it does not go with --merge or --reference");
	if (set->merge && (set->reference || set->tee))
		usage_error("--merge reads states; it does not go with --reference or --tee");
	if (set->partial && !set->tee && !set->common.output && isatty(1))
		usage_error("--partial writes a binary state: give -o FILE or --tee FILE");
	struct cli_file named[] = {
		{ "-o", set->common.output }, { "--tee", set->tee }, { "--rejects", set->common.rejects },
		{ "--html", set->html }, { "--review", set->review },
	};
	set->detail = set->by && set->reference;
	if (set->target_path && target_load(&set->target, set->target_path) < 0)
		return 1;
	/* A label of fewer values than --by has fields can match no group. */
	for (size_t i = 0; i < set->target.n; i++) {
		size_t parts = 1;
		for (size_t j = 0; j < set->target.e[i].len; j++)
			parts += set->target.e[i].label[j] == '|';
		if (parts < set->by_fields.n)
			warning("%s: \"%s\" names %zu value%s, but --by %s crosses %zu fields "
				"(join values with '|')", set->target_path, set->target.e[i].label, parts,
				parts == 1 ? "" : "s", set->by, set->by_fields.n);
	}
	cli_distinct_files(named, sizeof(named) / sizeof(*named));
	/* An input replaced by the figures or the state (--merge -o
	 * all.state all.state day.state): one such run at a time. */
	if (file_lock_rewritten(set->tee ? set->tee : set->common.output, argv + optind, argc - optind,
				set->common.wait_lock) < 0)
		return 1;
	/* --merge too: the states must have counted with the same file. */
	if (set->tokenizer_path)
		set->tokenizer = tokenizer_load_or_die(set->tokenizer_path);
	if (set->merge) {
		const char *path = set->common.output;
		struct output out;
		if (output_open(&out, path, 0) < 0)
			return 1;
		return merge_states(set, argv + optind, argc - optind, &out,
				    set->table >= 0 ? set->table : !path && isatty(1));
	}
	if (set->reference) {
		const char *path = set->common.output;
		int table = set->table >= 0 ? set->table : !path && isatty(1);
		struct output out;
		if (output_open(&out, path, 0) < 0)
			return 1;
		return run_reference(set, argv + optind, argc - optind, &out, table) ? 1 : 0;
	}

	struct record_loop rl = {
		.common = &set->common, .files = argv + optind, .nfiles = argc - optind,
		.write_records = set->tee != NULL, .worker_new = worker_new,
		.process = process, .arg = set, .phase = "measuring",
		/* Figures of nothing are a mistake; a shard may be empty. */
		.empty = set->partial ? EMPTY_WARNS : EMPTY_FAILS,
	};
	/* The statistics' output is opened first, so that a name that
	 * cannot be written fails before the corpus is read. */
	const char *path = set->tee ? set->tee : set->common.output;
	int table = set->table >= 0 ? set->table : !path && isatty(1);
	struct output out, html, review;
	memset(&html, 0, sizeof(html));
	memset(&review, 0, sizeof(review));
	if (output_open(&out, path, 0) < 0)
		return 1;
	if ((set->html && output_open(&html, set->html, 0) < 0) ||
	    (set->review && output_open(&review, set->review, 0) < 0)) {
		struct output *opened[] = { &out, &html, &review };
		outputs_end(opened, 3, 1);
		return 1;
	}
	rl.hold_outputs = 1;
	int rc = record_loop_run(&rl);
	/* Figures of a run that failed (an input that could not be read, a
	 * folder with nothing to read) would be taken for the corpus's:
	 * none are printed, on a stream or in a file. */
	if (rc == 0)
		write_statistics(set, &rl, &out, table, &html);
	if (rc == 0 && set->review)
		rc = write_review(set, &rl, &review);
	struct output *mine[] = { &out, &html, &review };
	rc = record_loop_end(&rl, rc, mine, 3);
	record_loop_summary(&rl);
	record_loop_release(&rl, worker_free);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct settings set = { .memory = 1ull << 30, .table = -1, .order = 3,
				.under = REPRESENTATION_UNDER, .review_sample = REVIEW_SAMPLE };
	const char *arg;
	int key;
	diag_init("synth-stats");
	cli_common_init(&set.common);
	while ((key = cli_next(argc, argv, &program, &set.common, &arg)) != -1) {
		switch (key) {
		case KEY_BY: {
			struct strbuf err = STRBUF_INIT;
			by_fields_release(&set.by_fields);
			if (by_fields_parse(&set.by_fields, arg, &err) < 0)
				usage_error("--by %s: %s", arg, err.buf);
			strbuf_release(&err);
			set.by = arg;
			break;
		}
		case KEY_TARGET: set.target_path = arg; break;
		case KEY_REVIEW: set.review = arg; break;
		case KEY_REVIEW_SAMPLE:
			set.review_sample = (size_t)cli_u64("--review-sample", arg, 1, 100000);
			break;
		case KEY_REVIEW_SIGNAL:
			if (!*arg)
				usage_error("empty field name for --review-signal");
			set.review_signal = arg;
			break;
		case KEY_REVIEW_REJECTS:
			set.review_rejects = xreallocarray(set.review_rejects, set.nreview_rejects + 1,
							   sizeof(*set.review_rejects));
			set.review_rejects[set.nreview_rejects++] = (char *)arg;
			break;
		case KEY_UNDER: set.under = cli_double("--under", arg, 0, 1e9); break;
		case KEY_TOP: set.top = (unsigned)cli_u64("--top", arg, 0, 100000); break;
		case KEY_MEMORY: set.memory = cli_size("--memory", arg); break;
		case KEY_TABLE: set.table = 1; break;
		case KEY_JSON: set.table = 0; break;
		case KEY_TEE: set.tee = arg; break;
		case KEY_REFERENCE: set.reference = arg; break;
		case KEY_LM: set.lm_path = arg; break;
		case KEY_ORDER: set.order = (unsigned)cli_u64("--order", arg, 1, NGRAM_MAX_ORDER); break;
		case KEY_HTML: set.html = arg; break;
		case KEY_PARTIAL: set.partial = 1; break;
		case KEY_MERGE: set.merge = 1; break;
		case KEY_EXACT: set.exact = 1; break;
		case KEY_TOKENIZER: set.tokenizer_path = arg; break;
		default: BUG("option %d", key);
		}
	}
	int rc = run(&set, argc, argv);
	by_fields_release(&set.by_fields);
	target_release(&set.target);
	free(set.review_rejects);
	tokenizer_free(set.tokenizer);
	return rc;
}
