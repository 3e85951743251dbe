/* synth-gen: make synthetic records.
 *
 *   synth-gen prompts -t TEMPLATE... --slot NAME=SOURCE... (-n N | --all)
 *   synth-gen markov (--train FILE... | --load MODEL) [--save MODEL]
 *                    [-n N | [FILE]...]
 *
 * prompts fills the {name} slots of templates with values read from text
 * files (a value a line) or from a member of JSONL records, and writes
 * one prompt record each, with where every part of it came from. Record
 * i draws its template and values from a generator seeded by --seed and
 * i alone, so -n 100 writes the first 100 records of -n 1000.
 *
 * markov fits an n-gram model (lib/ngram) on seed records, or loads one,
 * and samples new documents from it, or continues the prompts of prompt
 * records; each draw is seeded by --seed and the document's number or
 * the prompt record's id.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bytes.h"
#include "chat.h"
#include "chat_cli.h"
#include "cli.h"
#include "diag.h"
#include "file_lock.h"
#include "format_hint.h"
#include "hash.h"
#include "input.h"
#include "journal.h"
#include "json.h"
#include "json_schema.h"
#include "llm_stage.h"
#include "ngram.h"
#include "output.h"
#include "prng.h"
#include "records.h"
#include "strbuf.h"
#include "text.h"
#include "template.h"

enum {
	KEY_SLOT = KEY_PROGRAM, KEY_ALL, KEY_ID_PREFIX, KEY_TRAIN, KEY_ORDER, KEY_SAVE, KEY_LOAD,
	KEY_TEMPERATURE, KEY_TOP_P, KEY_URL, KEY_MODEL, KEY_SYSTEM, KEY_MAX_TOKENS,
	KEY_SAMPLES, KEY_RESUME, KEY_DROP_TRUNCATED, KEY_PROMPT_FIELD, KEY_JSON_SCHEMA,
	KEY_SCHEMA_RETRIES, KEY_NO_STRICT_SCHEMA
};

enum mode { PROMPTS = 1, MARKOV = 2, COMPLETE = 4 };

static const char *mode_name(int mode)
{
	return mode == PROMPTS ? "prompts" : mode == MARKOV ? "markov" : "complete";
}

static const struct cli_option options[] = {
	{ "template", 't', "FILE", "prompts: a template, text with {name} slots (repeatable)" },
	{ "slot", KEY_SLOT, "SPEC", "prompts: NAME=FILE (a value a line) or NAME=FILE.jsonl:FIELD" },
	{ "count", 'n', "N", "write N records: prompts drawn by the seed, or markov documents" },
	{ "all", KEY_ALL, NULL, "prompts: write every combination of values, in order" },
	{ "id-prefix", KEY_ID_PREFIX, "NAME", "the records' ids are NAME-1, NAME-2, ... (default: the mode)" },
	{ "train", KEY_TRAIN, "FILE", "markov: fit the model on the records of FILE (repeatable)" },
	{ "order", KEY_ORDER, "N", "markov: the model's order, 1 to 6 (default: 3)" },
	{ "save", KEY_SAVE, "FILE", "markov: write the model to FILE" },
	{ "load", KEY_LOAD, "FILE", "markov: read the model from FILE" },
	{ "temperature", KEY_TEMPERATURE, "T", "markov, complete: sample at temperature T (default: 1)" },
	{ "top-p", KEY_TOP_P, "P", "markov, complete: sample from the most probable tokens of mass P" },
	{ "url", KEY_URL, "URL", "complete: the OpenAI-compatible server" },
	{ "model", KEY_MODEL, "NAME", "complete: the model to ask for" },
	{ "system", KEY_SYSTEM, "FILE", "complete: a system message, from FILE" },
	{ "prompt-field", KEY_PROMPT_FIELD, "NAME", "complete: the prompt is the string at member NAME, a dotted path (default: prompt)" },
	{ "max-tokens", KEY_MAX_TOKENS, "N", "complete: at most N tokens an answer" },
	CHAT_OPT_CONCURRENCY("complete: "),
	{ "samples", KEY_SAMPLES, "K", "markov, complete: K answers a prompt, with seeds seed, seed+1, ... (default: 1)" },
	CHAT_OPT_RETRIES("complete: "),
	CHAT_OPT_TIMEOUT("complete: "),
	CHAT_OPT_BACKOFF("complete: "),
	CHAT_OPT_BREAKER("complete: "),
	CHAT_OPT_WAIT_READY("complete: "),
	CHAT_OPT_PROBE("complete: "),
	CHAT_OPT_MAX_RETRY_AFTER("complete: "),
	CHAT_OPT_MAX_RESPONSE("complete: "),
	CHAT_OPT_USAGE("complete: "),
	CHAT_OPT_TOKENIZER("complete: "),
	CHAT_OPT_BUDGET("complete: "),
	CHAT_OPT_PARAM("complete: "),
	CHAT_OPT_PRICE("complete: "),
	{ "resume", KEY_RESUME, NULL, "complete: finish the -o file of a run that stopped" },
	{ "drop-truncated", KEY_DROP_TRUNCATED, NULL, "complete: answers cut off at the token limit to --rejects, not -o" },
	{ "json-schema", KEY_JSON_SCHEMA, "FILE", "complete: answers must be JSON valid under the JSON Schema in FILE (sent as response_format)" },
	{ "schema-retries", KEY_SCHEMA_RETRIES, "N", "complete: ask again up to N times, with the error, for an answer the schema refuses (default: 1)" },
	{ "no-strict-schema", KEY_NO_STRICT_SCHEMA, NULL, "complete: send the schema with \"strict\":false" },
	CLI_OPT_FIELD,
	CLI_OPT_ID_FIELD,
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
	"synth-gen", "MODE [OPTION]...",
	"Make synthetic records.\n\n"
	"Modes:\n"
	"  prompts   fill the {name} slots of templates with values from files\n"
	"  markov    sample documents, or continue prompts, from an n-gram model of seed records\n"
	"  complete  answer prompt records with an OpenAI-compatible server",
	options
};

/* --- Slots and their values ---------------------------------------------- */

/* The values are kept as they go into JSON strings, escaped, without
 * the quotes: the escaping of a concatenation is the concatenation of
 * the escapings, so a record is built without escaping anything. */
struct slot {
	char *name;
	const char *source;	/* the SPEC after '=', for messages */
	struct strbuf *values;	/* escaped */
	size_t n, cap;
	int used;		/* named by some template */
};

/* Append the JSON escaping of s[0..n) to out, without quotes. */
static void add_escaped(struct strbuf *out, const char *s, size_t n)
{
	size_t at = out->len;
	json_add_string(out, s, n);
	memmove(out->buf + at, out->buf + at + 1, out->len - at - 2);
	strbuf_setlen(out, out->len - 2);
}

static void slot_add(struct slot *s, const char *v, size_t len)
{
	if (s->n == s->cap) {
		s->cap = grow_capacity(s->cap, s->n + 1, 64);
		s->values = xreallocarray(s->values, s->cap, sizeof(*s->values));
	}
	struct strbuf *e = &s->values[s->n++];
	strbuf_init(e);
	add_escaped(e, v, len);
}

/* The JSONL form: SOURCE is FILE:FIELD where FILE ends in .jsonl or
 * .jsonl.zst. Returns the position of the colon, or NULL. */
static const char *jsonl_field(const char *source)
{
	const char *colon = strrchr(source, ':');
	if (!colon || !colon[1])
		return NULL;
	size_t n = (size_t)(colon - source);
	static const char *const ends[] = { ".jsonl", ".jsonl.zst" };
	for (int i = 0; i < 2; i++) {
		size_t k = strlen(ends[i]);
		if (n > k && !memcmp(colon - k, ends[i], k))
			return colon;
	}
	return NULL;
}

/* Read the values of s: the lines of a text file (blank lines skipped),
 * or the string at a member of each JSONL record. Any problem is fatal,
 * naming the file and line. */
static void slot_load(struct slot *s)
{
	const char *colon = jsonl_field(s->source);
	char *path = colon ? xstrndup(s->source, (size_t)(colon - s->source)) : xstrdup(s->source);
	const char *field = colon ? colon + 1 : NULL;
	struct input in;
	if (input_open(&in, path) < 0)
		diag_exit(1);
	struct block b = { 0 };
	struct strbuf value = STRBUF_INIT;
	int rc;
	while ((rc = input_read_block(&in, &b, BLOCK_SIZE)) > 0) {
		struct block_cursor c;
		struct line l;
		block_cursor_init(&c, &b);
		while (block_next_line(&b, &c, &l)) {
			if (!field) {
				if (!utf8_valid(l.p, l.len))
					die("%s:%llu: invalid UTF-8", in.name, (unsigned long long)l.lineno);
				slot_add(s, l.p, l.len);
				continue;
			}
			struct json_error err;
			if (json_check_record(l.p, l.len, &err) < 0)
				die("%s:%llu: invalid JSON: %s", in.name, (unsigned long long)l.lineno,
				    err.msg);
			struct json_value v;
			if (!json_get(l.p, l.len, field, &v))
				die("%s:%llu: no member \"%s\"", in.name, (unsigned long long)l.lineno,
				    field);
			if (v.type != JSON_STRING)
				die("%s:%llu: member \"%s\" is not a string", in.name,
				    (unsigned long long)l.lineno, field);
			strbuf_reset(&value);
			json_decode_string(&v, &value);
			slot_add(s, value.buf, value.len);
		}
	}
	if (rc < 0)
		diag_exit(1);
	if (!s->n)
		die("--slot %s=%s: no values", s->name, s->source);
	strbuf_release(&value);
	block_release(&b);
	input_close(&in);
	free(path);
}

/* --- Templates ----------------------------------------------------------- */

static size_t find_slot(const struct slot *slots, size_t nslots, const char *name, size_t len)
{
	for (size_t i = 0; i < nslots; i++)
		if (strlen(slots[i].name) == len && !memcmp(slots[i].name, name, len))
			return i;
	return nslots;
}

static void template_name(struct template *t, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	t->name = xstrndup(base, n);
}

/* Read and parse the template at path against the slots; any problem
 * is fatal. */
static void template_load(struct template *t, const char *path, struct slot *slots,
			  size_t nslots)
{
	struct input in;
	if (input_open(&in, path) < 0)
		diag_exit(1);
	struct strbuf src = STRBUF_INIT;
	struct block b = { 0 };
	int rc;
	/* The whole file, lines joined by newlines; the last newline, and
	 * blank lines at the end, are not part of the template. */
	uint64_t last = 0;
	while ((rc = input_read_block(&in, &b, BLOCK_SIZE)) > 0) {
		struct block_cursor c;
		struct line l;
		block_cursor_init(&c, &b);
		while (block_next_line(&b, &c, &l)) {
			for (; last && last + 1 < l.lineno; last++)
				strbuf_addc(&src, '\n');
			if (last)
				strbuf_addc(&src, '\n');
			strbuf_add(&src, l.p, l.len);
			last = l.lineno;
		}
	}
	if (rc < 0)
		diag_exit(1);
	block_release(&b);
	input_close(&in);
	/* A template of nothing (blank lines at most) makes prompts of
	 * nothing: a wrong file, not a prompt. */
	if (!last) {
		strbuf_release(&src);
		error("%s: empty template", path);
		diag_exit(1);
	}
	const char **names = xcalloc(nslots ? nslots : 1, sizeof(*names));
	for (size_t i = 0; i < nslots; i++)
		names[i] = slots[i].name;
	struct strbuf err = STRBUF_INIT;
	if (template_parse(t, src.buf, src.len, names, nslots, path, &err) < 0) {
		/* Freed first, so that the leak checker sees nothing left. */
		free(names);
		strbuf_release(&src);
		error("%s", err.buf);
		strbuf_release(&err);
		diag_exit(1);
	}
	for (size_t d = 0; d < t->ndistinct; d++)
		slots[t->distinct[d]].used = 1;
	template_name(t, path);
	free(names);
	strbuf_release(&src);
}

/* --- Writing ------------------------------------------------------------- */

struct prompts {
	struct cli_common common;
	struct template *templates;
	size_t ntemplates;
	struct slot *slots;
	size_t nslots;
	const char *id_prefix;
	struct strbuf id_escaped;	/* id_prefix as it goes into a JSON string */
	uint64_t count;
	int all;
};

/* One record: the template filled with choice[k] for each of its
 * distinct slots k. */
static void write_prompt(const struct prompts *g, const struct template *t,
			 const size_t *choice, uint64_t index, struct strbuf *rec,
			 struct output *out)
{
	strbuf_reset(rec);
	strbuf_addstr(rec, "{\"id\":\"");
	strbuf_add(rec, g->id_escaped.buf, g->id_escaped.len);
	strbuf_addc(rec, '-');
	json_add_u64(rec, index);
	strbuf_addstr(rec, "\",\"prompt\":\"");
	for (size_t i = 0; i < t->nparts; i++) {
		strbuf_add(rec, t->text[i].buf, t->text[i].len);
		if (i + 1 < t->nparts) {
			const struct strbuf *v = &g->slots[t->slot[i]].values[choice[t->slot[i]]];
			strbuf_add(rec, v->buf, v->len);
		}
	}
	strbuf_addstr(rec, "\",\"synth\":{\"generator\":\"synth-gen prompts\",\"template\":");
	json_add_cstr(rec, t->name);
	strbuf_addstr(rec, ",\"slots\":{");
	for (size_t d = 0; d < t->ndistinct; d++) {
		size_t k = t->distinct[d];
		if (d)
			strbuf_addc(rec, ',');
		json_add_cstr(rec, g->slots[k].name);
		strbuf_addstr(rec, ":\"");
		const struct strbuf *v = &g->slots[k].values[choice[k]];
		strbuf_add(rec, v->buf, v->len);
		strbuf_addc(rec, '"');
	}
	strbuf_addstr(rec, "},\"seed\":");
	json_add_u64(rec, g->common.seed);
	strbuf_addstr(rec, "}}\n");
	output_write(out, rec->buf, rec->len);
}

/* The records: N drawn, or every combination of every template. Returns
 * the number written. */
static uint64_t write_prompts(const struct prompts *g, struct output *out)
{
	struct strbuf rec = STRBUF_INIT;
	size_t *choice = xcalloc(g->nslots, sizeof(*choice));
	uint64_t index = 0;
	if (!g->all) {
		for (uint64_t i = 0; i < g->count; i++) {
			/* Record i's choices depend on the seed and i only. */
			struct prng r;
			prng_seed(&r, mix64(g->common.seed ^ mix64(i + 1)));
			const struct template *t = &g->templates[prng_below(&r, g->ntemplates)];
			for (size_t d = 0; d < t->ndistinct; d++) {
				size_t k = t->distinct[d];
				choice[k] = (size_t)prng_below(&r, g->slots[k].n);
			}
			write_prompt(g, t, choice, ++index, &rec, out);
		}
	} else {
		/* An odometer over each template's slots, the last fastest. */
		for (size_t ti = 0; ti < g->ntemplates; ti++) {
			const struct template *t = &g->templates[ti];
			for (size_t d = 0; d < t->ndistinct; d++)
				choice[t->distinct[d]] = 0;
			for (;;) {
				write_prompt(g, t, choice, ++index, &rec, out);
				size_t d = t->ndistinct;
				while (d > 0) {
					size_t k = t->distinct[d - 1];
					if (++choice[k] < g->slots[k].n)
						break;
					choice[k] = 0;
					d--;
				}
				if (d == 0)
					break;
			}
		}
	}
	free(choice);
	strbuf_release(&rec);
	return index;
}

/* The number of records --all writes, or 0 when it is past 2^64 - 1. */
static uint64_t combinations(const struct prompts *g)
{
	uint64_t total = 0;
	for (size_t ti = 0; ti < g->ntemplates; ti++) {
		uint64_t n = 1;
		const struct template *t = &g->templates[ti];
		for (size_t d = 0; d < t->ndistinct; d++)
			if (__builtin_mul_overflow(n, (uint64_t)g->slots[t->distinct[d]].n, &n))
				return 0;
		if (__builtin_add_overflow(total, n, &total))
			return 0;
	}
	return total;
}

static int run_prompts(struct prompts *g, const char **templates, size_t ntemplates,
		       const char **specs, size_t nspecs)
{
	if (!ntemplates)
		usage_error("prompts needs a template: -t FILE");
	if (g->all == (g->count != UINT64_MAX))
		usage_error("prompts needs -n N or --all, not %s", g->all ? "both" : "neither");
	g->slots = xcalloc(nspecs ? nspecs : 1, sizeof(*g->slots));
	for (size_t i = 0; i < nspecs; i++) {
		const char *eq = strchr(specs[i], '=');
		if (!eq || eq == specs[i] || !eq[1])
			usage_error("--slot %s: write NAME=FILE or NAME=FILE.jsonl:FIELD", specs[i]);
		for (const char *p = specs[i]; p < eq; p++)
			if (!template_slot_char(*p, p == specs[i]))
				usage_error("--slot %s: a slot name is letters, digits, '_', '-' and '.', "
					    "starting with a letter or '_'", specs[i]);
		struct slot *s = &g->slots[g->nslots];
		s->name = xstrndup(specs[i], (size_t)(eq - specs[i]));
		if (find_slot(g->slots, g->nslots, s->name, strlen(s->name)) < g->nslots)
			usage_error("--slot %s: given twice", s->name);
		s->source = eq + 1;
		g->nslots++;
	}
	strbuf_init(&g->id_escaped);
	add_escaped(&g->id_escaped, g->id_prefix, strlen(g->id_prefix));
	/* Everything is read and checked before the output is opened. */
	for (size_t i = 0; i < g->nslots; i++)
		slot_load(&g->slots[i]);
	g->templates = xcalloc(ntemplates, sizeof(*g->templates));
	for (size_t i = 0; i < ntemplates; i++) {
		template_load(&g->templates[i], templates[i], g->slots, g->nslots);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(g->templates[j].name, g->templates[i].name))
				die("%s: a second template named '%s' (the name is the file's, "
				    "without its extension)", templates[i], g->templates[i].name);
		g->ntemplates++;
	}
	for (size_t i = 0; i < g->nslots; i++)
		if (!g->slots[i].used)
			warning("--slot %s: no template names {%s}", g->slots[i].name, g->slots[i].name);
	if (g->all && !combinations(g))
		die("--all: more than 2^64 - 1 combinations");

	struct output out;
	if (output_open(&out, g->common.output, 0) < 0)
		return 1;
	double start = now_seconds();
	uint64_t n = write_prompts(g, &out);
	int rc = output_close(&out) < 0 ? 1 : 0;
	double secs = now_seconds() - start;
	info("%llu prompt%s from %zu template%s in %.2f s", (unsigned long long)n, n == 1 ? "" : "s",
	     g->ntemplates, g->ntemplates == 1 ? "" : "s", secs);
	return rc;
}

static void prompts_release(struct prompts *g)
{
	for (size_t i = 0; i < g->nslots; i++) {
		for (size_t k = 0; k < g->slots[i].n; k++)
			strbuf_release(&g->slots[i].values[k]);
		free(g->slots[i].values);
		free(g->slots[i].name);
	}
	free(g->slots);
	for (size_t i = 0; i < g->ntemplates; i++)
		template_release(&g->templates[i]);
	free(g->templates);
	strbuf_release(&g->id_escaped);
}

/* --- markov ------------------------------------------------------------- */

struct markov {
	struct cli_common common;
	const char **train;
	size_t ntrain;
	unsigned order;
	const char *save, *load;
	double temperature, top_p;
	uint64_t count;		/* UINT64_MAX: continue prompt records */
	const char *id_prefix;
	struct ngram_model model;
	struct strbuf synth;	/* the synth member's fixed part, up to the seed */
	unsigned samples;	/* --samples: continuations of each prompt */
	/* The vocabulary, escaped: word i is words.buf[word_at[i] ..
	 * word_at[i + 1]). */
	struct strbuf words;
	size_t *word_at;
};

struct trainer_loop {
	struct ngram_trainer *t;
	struct strbuf text;
};

static void *train_worker(void *arg)
{
	return arg;
}

static void train_process(void *arg, const struct record *r, struct emit *e)
{
	struct trainer_loop *tl = arg;
	const char *text;
	size_t len;
	if (record_text(r, e, &tl->text, &text, &len) < 0)
		return;
	ngram_train(tl->t, text, len);
}

/* Fit the model on the --train files, on one thread (the counts are one
 * table). What --skip-invalid skips goes to rejects (NULL: no
 * --rejects), the run's one file. */
static int markov_train(struct markov *g, struct output *rejects)
{
	struct cli_common common = g->common;
	common.output = NULL;
	common.jobs = 1;
	struct trainer_loop tl = { ngram_trainer_new(g->order), STRBUF_INIT };
	struct record_loop rl = {
		.common = &common, .files = (char **)g->train, .nfiles = (int)g->ntrain,
		.worker_new = train_worker, .process = train_process, .arg = &tl,
		.rejects = rejects, .empty = EMPTY_FAILS, .what = "--train", .phase = "training on",
	};
	int rc = record_loop_run(&rl);
	free(rl.workers);
	strbuf_release(&tl.text);
	ngram_finish(tl.t, &g->model);
	if (rc)
		return error("cannot fit the model on the records given with --train");
	info("--train: %llu documents, %llu words, %u distinct, in %.2f s (%.1f MB/s)",
	     (unsigned long long)g->model.nlengths, (unsigned long long)g->model.tokens,
	     g->model.nvocab - 2, rl.seconds,
	     rl.seconds > 0 ? (double)rl.bytes / 1e6 / rl.seconds : 0.0);
	if (!g->model.tokens)
		return error("--train: the records hold no words");
	return 0;
}

/* The draws of one document: a length from the training documents', then
 * that many words, each after the words before it (the prompt's first).
 * Appends the words, escaped and joined by spaces (none between two
 * words of a script written without them), to out. */
static void markov_words(const struct markov *g, struct ngram_sampler *s, struct prng *r,
			 uint32_t **hist, size_t *len, size_t *cap, struct strbuf *out)
{
	uint64_t n = ngram_sample_length(&g->model, r);
	const char *prev = NULL;
	size_t prev_len = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t w = ngram_sample(s, *hist, *len, r);
		if (*len == *cap) {
			*cap = grow_capacity(*cap, *len + 1, 256);
			*hist = xreallocarray(*hist, *cap, sizeof(**hist));
		}
		(*hist)[(*len)++] = w;
		const char *word = g->words.buf + g->word_at[w];
		size_t wlen = g->word_at[w + 1] - g->word_at[w];
		if (i && words_need_space(prev, prev_len, word, wlen))
			strbuf_addc(out, ' ');
		strbuf_add(out, word, wlen);
		prev = word;
		prev_len = wlen;
	}
}

/* -n N: N documents, document i seeded by the seed and i. */
static int markov_documents(const struct markov *g, uint64_t *written)
{
	struct output out;
	if (output_open(&out, g->common.output, 0) < 0)
		return 1;
	struct ngram_sampler *s = ngram_sampler_new(&g->model, g->temperature, g->top_p);
	struct strbuf rec = STRBUF_INIT;
	uint32_t *hist = NULL;
	size_t cap = 0;
	for (uint64_t i = 0; i < g->count; i++) {
		struct prng r;
		prng_seed(&r, mix64(g->common.seed ^ mix64(i + 1)));
		strbuf_reset(&rec);
		strbuf_addstr(&rec, "{\"id\":");
		struct strbuf id = STRBUF_INIT;
		strbuf_addf(&id, "%s-%llu", g->id_prefix, (unsigned long long)(i + 1));
		json_add_string(&rec, id.buf, id.len);
		strbuf_release(&id);
		strbuf_addstr(&rec, ",\"text\":\"");
		size_t len = 0;
		markov_words(g, s, &r, &hist, &len, &cap, &rec);
		strbuf_addstr(&rec, "\",");
		strbuf_add(&rec, g->synth.buf, g->synth.len);
		strbuf_addstr(&rec, ",\"seed\":");
		json_add_u64(&rec, g->common.seed);
		strbuf_addstr(&rec, "}}\n");
		output_write(&out, rec.buf, rec.len);
	}
	*written = g->count;
	free(hist);
	strbuf_release(&rec);
	ngram_sampler_free(s);
	return output_close(&out) < 0 ? 1 : 0;
}

struct cont_worker {
	const struct markov *g;
	struct ngram_sampler *s;
	struct strbuf prompt, id, rec;
	uint32_t *hist;
	size_t cap;
};

static void *cont_worker_new(void *arg)
{
	const struct markov *g = arg;
	struct cont_worker *w = xcalloc(1, sizeof(*w));
	w->g = g;
	w->s = ngram_sampler_new(&g->model, g->temperature, g->top_p);
	strbuf_init(&w->prompt);
	strbuf_init(&w->id);
	strbuf_init(&w->rec);
	return w;
}

static void cont_worker_free(void *arg)
{
	struct cont_worker *w = arg;
	ngram_sampler_free(w->s);
	strbuf_release(&w->prompt);
	strbuf_release(&w->id);
	strbuf_release(&w->rec);
	free(w->hist);
	free(w);
}

/* A prompt record: its prompt continued, seeded by the seed and its id. */
static void cont_process(void *arg, const struct record *r, struct emit *e)
{
	struct cont_worker *w = arg;
	const struct markov *g = w->g;
	struct json_value v;
	if (!json_get(r->line, r->len, "prompt", &v)) {
		emit_invalid(e, r, "no member \"prompt\"");
		return;
	}
	if (v.type != JSON_STRING) {
		emit_invalid(e, r, "member \"prompt\" is not a string");
		return;
	}
	strbuf_reset(&w->prompt);
	json_decode_string(&v, &w->prompt);
	strbuf_reset(&w->id);
	record_id(r, e->common, &w->id);
	uint64_t parent = hash64(w->id.buf, w->id.len, 0);
	size_t id_len = w->id.len;
	/* Sample k, as complete's: the id PARENT-k and the seed seed + k - 1. */
	for (unsigned k = 1; k <= g->samples; k++) {
		uint64_t seed = g->common.seed + k - 1;
		size_t len = 0;
		ngram_ids(&g->model, w->prompt.buf, w->prompt.len, &w->hist, &len, &w->cap);
		struct prng rng;
		prng_seed(&rng, mix64(seed ^ parent));
		struct strbuf *rec = &w->rec;
		strbuf_reset(rec);
		/* The id: the parent's, as text, then "-k", one JSON string. */
		strbuf_addstr(rec, "{\"id\":");
		strbuf_setlen(&w->id, id_len);
		strbuf_addf(&w->id, "-%u", k);
		json_add_string(rec, w->id.buf, w->id.len);
		strbuf_addstr(rec, ",\"prompt\":");
		json_add_string(rec, w->prompt.buf, w->prompt.len);
		strbuf_addstr(rec, ",\"text\":\"");
		markov_words(g, w->s, &rng, &w->hist, &len, &w->cap, rec);
		strbuf_addstr(rec, "\",");
		strbuf_add(rec, g->synth.buf, g->synth.len);
		strbuf_addstr(rec, ",\"seed\":");
		json_add_u64(rec, seed);
		strbuf_addf(rec, ",\"sample\":%u,\"parent\":", k);
		record_id_json(r, e->common, rec);
		strbuf_addstr(rec, "}}");
		emit_line(e, rec->buf, rec->len);
	}
}

/* End a markov run: the rejects first, then the model, renamed into
 * place only after a run that succeeded and kept its rejects; then the
 * model's lock. Returns the run's status. */
static int markov_end(struct output *rejects, struct output *model_out, struct file_lock *lock,
		      int rc)
{
	if (rejects && output_end(rejects, rc != 0) < 0)
		rc = 1;
	if (!rc && output_commit(model_out) < 0)
		rc = 1;
	output_abort(model_out);
	file_unlock(lock);
	return rc;
}

static int run_markov(struct markov *g, char **files, int nfiles)
{
	if (!g->load == !g->ntrain)
		usage_error("markov needs --train FILE or --load MODEL, %s", g->load ? "not both" : "one of them");
	if (g->count != UINT64_MAX && nfiles)
		usage_error("markov: -n makes documents; prompt records to continue ('%s') go without it",
			    files[0]);
	if (g->load && g->order)
		usage_error("--order is the model's own with --load");
	if (!g->order)
		g->order = 3;
	struct cli_file named[] = {
		{ "-o", g->common.output }, { "--rejects", g->common.rejects }, { "--save", g->save },
	};
	cli_distinct_files(named, sizeof(named) / sizeof(*named));
	/* A model loaded and saved again is read and replaced: locked from
	 * the load until after the rename. */
	struct file_lock lock = FILE_LOCK_INIT;
	if (g->load && g->save && cli_same_file(g->load, g->save) &&
	    file_lock(&lock, g->save, g->common.wait_lock) < 0)
		return 1;
	/* The model's file is opened first, so that a bad name fails
	 * before any training. */
	struct output model_out, rejects_out, *rejects = NULL;
	memset(&model_out, 0, sizeof(model_out));
	if (g->save && output_open(&model_out, g->save, 0) < 0) {
		file_unlock(&lock);
		return 1;
	}
	if (file_lock_rewritten(g->common.output, files, nfiles, g->common.wait_lock) < 0 ||
	    file_lock_rewritten(g->common.output, (char **)g->train, (int)g->ntrain,
				g->common.wait_lock) < 0) {
		output_abort(&model_out);
		file_unlock(&lock);
		return 1;
	}
	/* One --rejects file for the whole run: what training skipped, then
	 * the prompt records that were rejected. */
	if (g->common.rejects) {
		if (output_open(&rejects_out, g->common.rejects, 0) < 0) {
			output_abort(&model_out);
			file_unlock(&lock);
			return 1;
		}
		rejects = &rejects_out;
	}
	int rc = 0;
	if (g->load) {
		double start = now_seconds();
		if (ngram_load(&g->model, g->load) < 0)
			rc = 1;
		else
			info("--load: order %u, %u words, in %.2f s", g->model.order, g->model.nvocab - 2,
			     now_seconds() - start);
	} else {
		rc = markov_train(g, rejects) < 0;
	}
	/* The model is written now, and renamed into place after the
	 * documents: only a run whose every output was kept saves it. */
	if (g->save && !rc) {
		ngram_write(&g->model, &model_out);
		if (output_finish(&model_out) < 0)
			rc = 1;
	}
	if (rc || (g->save && g->count == UINT64_MAX && !nfiles)) {
		rc = markov_end(rejects, &model_out, &lock, rc);
		ngram_release(&g->model);
		return rc;
	}

	strbuf_init(&g->words);
	strbuf_grow(&g->words, g->model.text.len + g->model.text.len / 8);
	g->word_at = xcalloc((size_t)g->model.nvocab + 1, sizeof(*g->word_at));
	for (uint32_t w = 0; w < g->model.nvocab; w++) {
		add_escaped(&g->words, g->model.text.buf + g->model.off[w],
			    g->model.off[w + 1] - g->model.off[w]);
		g->word_at[w + 1] = g->words.len;
	}
	strbuf_init(&g->synth);
	strbuf_addstr(&g->synth, "\"synth\":{\"generator\":\"synth-gen markov\",\"model\":");
	const char *name = g->load ? g->load : g->save;
	if (name)
		json_add_cstr(&g->synth, name);
	else
		strbuf_addstr(&g->synth, "null");
	strbuf_addf(&g->synth, ",\"order\":%u,\"temperature\":", g->model.order);
	json_add_double(&g->synth, g->temperature);
	strbuf_addstr(&g->synth, ",\"top_p\":");
	json_add_double(&g->synth, g->top_p);

	uint64_t written = 0;
	double start = now_seconds();
	if (g->count != UINT64_MAX) {
		rc = markov_documents(g, &written);
		info("%llu documents in %.2f s", (unsigned long long)written, now_seconds() - start);
	} else {
		struct record_loop rl = {
			.common = &g->common, .files = files, .nfiles = nfiles, .write_records = 1,
			.worker_new = cont_worker_new, .process = cont_process, .arg = g,
			.rejects = rejects, .phase = "continuing",
		};
		rc = record_loop_run(&rl);
		record_loop_summary(&rl);
		record_loop_release(&rl, cont_worker_free);
		rc = rc ? 1 : 0;
	}
	rc = markov_end(rejects, &model_out, &lock, rc);
	strbuf_release(&g->words);
	free(g->word_at);
	strbuf_release(&g->synth);
	ngram_release(&g->model);
	return rc;
}

/* --- complete ----------------------------------------------------------- */

/* complete runs on the record loop: its workers check each prompt
 * record and make the request of each of its samples; its ordered stage
 * hands them to the shared LLM stage (lib/llm_stage), which keeps
 * requests in flight across blocks and gives the answers back in input
 * order, to be written with the block of their turn. Invalid records,
 * --rejects, progress and the summary are the loop's, as in every
 * program. */

struct complete {
	struct cli_common common;
	struct chat_cli chat;
	const char *model, *system_file;
	const char *prompt_field;	/* --prompt-field, a dotted path */
	struct strbuf system;	/* the system message, as a JSON string; empty: none */
	double temperature, top_p;
	int has_temperature, has_top_p, resume;
	int drop_truncated;	/* --drop-truncated */
	uint64_t max_tokens;	/* 0: not sent */
	unsigned samples;
	struct strbuf params;	/* the request's optional members, ",\"temperature\":..." */
	/* --json-schema: the schema, the response_format member every
	 * request carries, and the name it gives the schema. */
	const char *schema_file;
	struct json_schema *schema;
	struct strbuf response_format;
	char *schema_name;
	unsigned schema_retries;	/* --schema-retries */
	int schema_lax;		/* --no-strict-schema */

	/* The run. */
	struct llm_stage *stage;	/* with the --resume journal */
	int stopped_by_client;	/* the breaker or the budget stopped the run */
	uint64_t answered, no_content, truncated, failed, skipped;
	uint64_t schema_follow_ups, schema_invalid;
	struct json_schema_check check;	/* on the ordered stage's thread */
	struct strbuf scratch, text, message;
};

/* One prompt x sample, from its request to its turn. */
struct item {
	unsigned sample;	/* from 1 */
	uint64_t lineno;
	uint64_t request;	/* the hash of its request body */
	char *file;		/* owned */
	struct strbuf record;	/* the prompt record's line */
	struct strbuf parent;	/* its id as JSON */
	struct strbuf result;	/* the output line, or the error */
	/* --json-schema: the first request (the follow-ups add to it), the
	 * requests made so far, and what the last answer came to. */
	struct strbuf body;
	unsigned tries;
	enum json_schema_result verdict;
	int checked;		/* verdict, path and message hold the last answer's */
	struct strbuf path, message;
};

static void item_free(void *arg, void *p)
{
	(void)arg;
	struct item *it = p;
	free(it->file);
	strbuf_release(&it->record);
	strbuf_release(&it->parent);
	strbuf_release(&it->result);
	strbuf_release(&it->body);
	strbuf_release(&it->path);
	strbuf_release(&it->message);
	free(it);
}

/* What a worker leaves the ordered stage for each prompt x sample: this,
 * then the record's line, its id as JSON, the request body and the
 * file's name. One encode and one decode. */
struct ask {
	uint64_t lineno;
	unsigned sample;
	size_t line_len, parent_len, body_len, file_len;
};

static void ask_encode(struct strbuf *side, const struct record *r, unsigned sample,
		       const struct strbuf *parent, const struct strbuf *body)
{
	struct ask a = { r->lineno, sample, r->len, parent->len, body->len, strlen(r->file) };
	strbuf_add(side, &a, sizeof(a));
	strbuf_add(side, r->line, r->len);
	strbuf_add(side, parent->buf, parent->len);
	strbuf_add(side, body->buf, body->len);
	strbuf_add(side, r->file, a.file_len);
}

/* The ask at off in side into *a and the pointers to its pieces;
 * returns the offset of the next. */
static size_t ask_decode(const struct strbuf *side, size_t off, struct ask *a, const char **line,
			 const char **parent, const char **body, const char **file)
{
	memcpy(a, side->buf + off, sizeof(*a));
	*line = side->buf + off + sizeof(*a);
	*parent = *line + a->line_len;
	*body = *parent + a->parent_len;
	*file = *body + a->body_len;
	return off + sizeof(*a) + a->line_len + a->parent_len + a->body_len + a->file_len;
}

/* The request body of the prompt record line[0..len) for sample k. */
static void request_body(const struct complete *g, const char *line, size_t len, unsigned k,
			 struct strbuf *out)
{
	struct json_value v;
	strbuf_reset(out);
	strbuf_addstr(out, "{\"model\":");
	json_add_cstr(out, g->model);
	strbuf_addstr(out, ",\"messages\":");
	if (json_get(line, len, "messages", &v) && v.type == JSON_ARRAY) {
		strbuf_add(out, v.p, v.len);
	} else {
		json_get(line, len, g->prompt_field, &v);
		strbuf_addc(out, '[');
		if (g->system.len) {
			strbuf_addstr(out, "{\"role\":\"system\",\"content\":");
			strbuf_add(out, g->system.buf, g->system.len);
			strbuf_addstr(out, "},");
		}
		strbuf_addstr(out, "{\"role\":\"user\",\"content\":");
		strbuf_add(out, v.p, v.len);
		strbuf_addstr(out, "}]");
	}
	strbuf_addstr(out, ",\"seed\":");
	json_add_u64(out, g->common.seed + k - 1);
	strbuf_add(out, g->params.buf, g->params.len);
	strbuf_add(out, g->response_format.buf, g->response_format.len);
	strbuf_addc(out, '}');
}

/* The id of an answer, as JSON, into out (reset first): the parent's
 * id parent[0..n) (JSON) as text, a dash and the sample. */
static void answer_id(const char *parent, size_t n, unsigned sample, struct strbuf *out)
{
	struct strbuf id = STRBUF_INIT;
	struct json_value pid = { parent, n, JSON_STRING, 0 };
	if (parent[0] == '"')
		json_decode_string(&pid, &id);
	else
		strbuf_add(&id, parent, n);
	strbuf_addf(&id, "-%u", sample);
	strbuf_reset(out);
	json_add_string(out, id.buf, id.len);
	strbuf_release(&id);
}

/* The members of synth that complete writes; a prompt record's synth
 * members of other names (synth-gen prompts' template and slots) are
 * carried after them. */
static const char *const own_synth[] = {
	"generator", "model", "parameters", "seed", "sample", "parent", "finish_reason", "usage",
	"request", "schema",
};

/* The output record of an answered item into it->result, with its
 * newline: the prompt record with its id replaced by the answer's, text
 * (and reasoning) set, and synth, ours with what the prompt's held;
 * every other member of the prompt record stays as it was, where it
 * was. */
static void answer_record(const struct complete *g, struct item *it, const struct strbuf *body)
{
	struct json_value v;
	struct chat_answer a;
	/* A finished request with an answer holds one (lib/chat checked). */
	chat_answer_read(body->buf, body->len, &a);
	struct strbuf synth = STRBUF_INIT, idj = STRBUF_INIT, x = STRBUF_INIT, y = STRBUF_INIT,
		      name = STRBUF_INIT;
	strbuf_addstr(&synth, "{\"generator\":\"synth-gen complete\",\"model\":");
	json_add_cstr(&synth, g->model);
	strbuf_addstr(&synth, ",\"parameters\":{");
	if (g->params.len)
		strbuf_add(&synth, g->params.buf + 1, g->params.len - 1);
	strbuf_addstr(&synth, "},\"seed\":");
	json_add_u64(&synth, g->common.seed + it->sample - 1);
	strbuf_addf(&synth, ",\"sample\":%u,\"parent\":", it->sample);
	strbuf_add(&synth, it->parent.buf, it->parent.len);
	strbuf_addstr(&synth, ",\"finish_reason\":");
	if (a.finish_reason.type)
		strbuf_add(&synth, a.finish_reason.p, a.finish_reason.len);
	else
		strbuf_addstr(&synth, "null");
	strbuf_addstr(&synth, ",\"usage\":");
	/* On one line, however the server spelled it (OpenAI's API
	 * indents its answers). */
	if (a.usage.type)
		json_add_compact(&synth, a.usage.p, a.usage.len);
	else
		strbuf_addstr(&synth, "null");
	strbuf_addf(&synth, ",\"request\":\"%016llx\"", (unsigned long long)it->request);
	if (g->schema) {
		strbuf_addstr(&synth, ",\"schema\":{\"name\":");
		json_add_cstr(&synth, g->schema_name);
		strbuf_addf(&synth, ",\"tries\":%u}", it->tries);
	}
	const char *rec = it->record.buf;
	size_t len = it->record.len;
	if (json_get(rec, len, "synth", &v) && v.type == JSON_OBJECT) {
		struct json_value n, val;
		size_t pos = 0;
		while (json_object_next(&v, &pos, &n, &val)) {
			strbuf_reset(&name);
			json_decode_string(&n, &name);
			size_t k = 0;
			while (k < sizeof(own_synth) / sizeof(*own_synth) && strcmp(own_synth[k], name.buf))
				k++;
			if (k < sizeof(own_synth) / sizeof(*own_synth))
				continue;
			strbuf_addc(&synth, ',');
			strbuf_add(&synth, n.p, n.len);
			strbuf_addc(&synth, ':');
			strbuf_add(&synth, val.p, val.len);
		}
	}
	strbuf_addc(&synth, '}');

	answer_id(it->parent.buf, it->parent.len, it->sample, &idj);
	if (json_get(rec, len, "id", &v)) {
		json_set_member(&x, rec, len, "id", idj.buf, idj.len);
	} else {
		/* First, as in a record that had one. */
		const char *open = memchr(rec, '{', len);
		strbuf_addstr(&x, "{\"id\":");
		strbuf_add(&x, idj.buf, idj.len);
		strbuf_addc(&x, ',');
		strbuf_add(&x, open + 1, len - (size_t)(open + 1 - rec));
	}
	json_set_member(&y, x.buf, x.len, "text", a.content.p, a.content.len);
	/* The reasoning before the answer, whichever name the server gave
	 * it: traces are what a distilled model learns from. */
	if (a.reasoning.type) {
		json_set_member(&x, y.buf, y.len, "reasoning", a.reasoning.p, a.reasoning.len);
		struct strbuf t = x;
		x = y;
		y = t;
	}
	json_set_member(&it->result, y.buf, y.len, "synth", synth.buf, synth.len);
	strbuf_addc(&it->result, '\n');
	strbuf_release(&synth);
	strbuf_release(&idj);
	strbuf_release(&x);
	strbuf_release(&y);
	strbuf_release(&name);
}

/* The members a reject of an answer without content gets beside its
 * reason and error: ",\"finish_reason\":...", and the refusal and the
 * reasoning when the answer has them, so that nothing is lost. */
static void no_content_members(const struct strbuf *body, struct strbuf *out)
{
	struct chat_answer a;
	strbuf_reset(out);
	chat_answer_read(body->buf, body->len, &a);
	strbuf_addstr(out, ",\"finish_reason\":");
	strbuf_add(out, a.finish_reason.p, a.finish_reason.len);
	if (a.refusal.type) {
		strbuf_addstr(out, ",\"refusal\":");
		strbuf_add(out, a.refusal.p, a.refusal.len);
	}
	if (a.reasoning.type) {
		strbuf_addstr(out, ",\"reasoning\":");
		strbuf_add(out, a.reasoning.p, a.reasoning.len);
	}
}

/* The prompt record of an item that gives no answer record, to the
 * block's rejects: "reject":{"reason":REASON,"error":...,MEMBERS,
 * "sample","file","line"}. */
static void item_reject(struct complete *g, const struct item *it, const char *reason,
			const struct strbuf *members, struct emit *e)
{
	struct strbuf info = STRBUF_INIT;
	strbuf_addstr(&info, "{\"reason\":");
	json_add_cstr(&info, reason);
	strbuf_addstr(&info, ",\"error\":");
	json_add_string(&info, it->result.buf, it->result.len);
	strbuf_add(&info, members->buf, members->len);
	strbuf_addf(&info, ",\"sample\":%u,\"file\":", it->sample);
	json_add_cstr(&info, it->file);
	strbuf_addf(&info, ",\"line\":%llu}", (unsigned long long)it->lineno);
	json_set_member(&g->scratch, it->record.buf, it->record.len, "reject", info.buf, info.len);
	strbuf_addc(&g->scratch, '\n');
	strbuf_add(&e->rejects, g->scratch.buf, g->scratch.len);
	e->rejected++;
	strbuf_release(&info);
}

/* What the last answer of an item came to under --json-schema, into
 * out (reset first): "at PATH: MESSAGE", or the message alone when the
 * value as a whole is wrong or is no JSON ("invalid JSON: ..."). */
static void schema_error_text(const struct item *it, struct strbuf *out)
{
	strbuf_reset(out);
	if (it->verdict != JSON_SCHEMA_NOT_JSON && it->path.len)
		strbuf_addf(out, "at %s: ", it->path.buf);
	strbuf_add(out, it->message.buf, it->message.len);
}

/* --json-schema: an answer checked (lib/llm_stage calls this for each
 * answer with content, asked or the journal's, before the item's turn).
 * One the schema refuses is asked again, while tries are left: the
 * conversation so far, the answer, and a follow-up message with the
 * error; the last one is taken as it is, and complete_done() rejects it. */
static int complete_check(void *arg, void *p, const struct chat_done *d, struct strbuf *again)
{
	struct complete *g = arg;
	struct item *it = p;
	struct chat_answer a;
	if (!chat_answer_read(d->body.buf, d->body.len, &a) || a.content.type != JSON_STRING ||
	    a.content.len == 2)
		return 0;	/* an empty answer: rejected as such */
	strbuf_reset(&g->text);
	json_decode_string(&a.content, &g->text);
	it->verdict = json_schema_validate(g->schema, g->text.buf, g->text.len, &g->check);
	it->checked = 1;
	strbuf_reset(&it->path);
	strbuf_reset(&it->message);
	if (it->verdict == JSON_SCHEMA_VALID)
		return 0;
	strbuf_add(&it->path, g->check.path.buf, g->check.path.len);
	strbuf_add(&it->message, g->check.message.buf, g->check.message.len);
	if (it->tries > g->schema_retries)
		return 0;
	/* The follow-up: what is wrong, where, and what to do. */
	strbuf_reset(&g->message);
	if (it->verdict == JSON_SCHEMA_NOT_JSON)
		strbuf_addstr(&g->message, "Your answer cannot be read as JSON (");
	else if (it->path.len)
		strbuf_addf(&g->message, "Your answer is not valid under the JSON Schema (at %s: ",
			    it->path.buf);
	else
		strbuf_addstr(&g->message, "Your answer is not valid under the JSON Schema (");
	strbuf_add(&g->message, it->message.buf, it->message.len);
	strbuf_addstr(&g->message, "). Answer again with only the corrected JSON.");
	strbuf_reset(&g->text);
	json_add_string(&g->text, g->message.buf, g->message.len);
	if (chat_follow_up(it->body.buf, it->body.len, a.content.p, a.content.len, g->text.buf,
			   g->text.len, again) < 0)
		BUG("a request without messages");
	/* The next follow-up goes on from this one. */
	strbuf_reset(&it->body);
	strbuf_add(&it->body, again->buf, again->len);
	it->tries++;
	it->request = hash64(again->buf, again->len, 0);
	g->schema_follow_ups++;
	return 1;
}

/* An item's turn (lib/llm_stage): its answer written, or its prompt
 * record rejected with why. */
static void complete_done(void *arg, void *p, struct chat_done *d, struct emit *e)
{
	struct complete *g = arg;
	struct item *it = p;
	struct strbuf members = STRBUF_INIT;
	struct chat_answer a;
	g->skipped += d->resumed;
	if (d->outcome == CHAT_ANSWER && chat_answer_read(d->body.buf, d->body.len, &a) &&
		   a.content.len == 2) {
		/* "": all of it reasoning, or nothing. The same request
		 * would get the same. */
		strbuf_reset(&it->result);
		strbuf_addstr(&it->result, "empty content, finish_reason ");
		if (a.finish_reason.type == JSON_STRING)
			strbuf_add(&it->result, a.finish_reason.p, a.finish_reason.len);
		else
			strbuf_addstr(&it->result, "null");
		no_content_members(&d->body, &members);
		g->no_content++;
		warning("%s:%llu: sample %u: %s", it->file, (unsigned long long)it->lineno, it->sample,
			it->result.buf);
		item_reject(g, it, "empty answer", &members, e);
	} else if (d->outcome == CHAT_ANSWER && it->checked && it->verdict != JSON_SCHEMA_VALID) {
		/* The last try refused too: rejected with the error and the
		 * answer, or an error naming the prompt without --rejects. */
		schema_error_text(it, &it->result);
		strbuf_addstr(&members, ",\"path\":");
		if (it->verdict == JSON_SCHEMA_NOT_JSON)
			strbuf_addstr(&members, "null");
		else
			json_add_string(&members, it->path.buf, it->path.len);
		strbuf_addstr(&members, ",\"message\":");
		json_add_string(&members, it->message.buf, it->message.len);
		strbuf_addf(&members, ",\"tries\":%u,\"answer\":", it->tries);
		strbuf_add(&members, a.content.p, a.content.len);
		g->schema_invalid++;
		if (!g->common.rejects)
			error("%s:%llu: sample %u: the answer is not valid under %s after %u tr%s: %s",
			      it->file, (unsigned long long)it->lineno, it->sample, g->schema_file,
			      it->tries, it->tries == 1 ? "y" : "ies", it->result.buf);
		item_reject(g, it, "schema", &members, e);
	} else if (d->outcome == CHAT_ANSWER) {
		int truncated = a.finish_reason.type == JSON_STRING && a.finish_reason.len == 8 &&
				!memcmp(a.finish_reason.p, "\"length\"", 8);
		answer_record(g, it, &d->body);
		g->truncated += truncated;
		if (truncated && g->drop_truncated) {
			struct strbuf info = STRBUF_INIT;
			strbuf_addf(&info, "{\"reason\":\"truncated\",\"finish_reason\":\"length\","
				    "\"sample\":%u,\"file\":", it->sample);
			json_add_cstr(&info, it->file);
			strbuf_addf(&info, ",\"line\":%llu}", (unsigned long long)it->lineno);
			json_set_member(&g->scratch, it->result.buf, it->result.len - 1, "reject", info.buf,
					info.len);
			strbuf_addc(&g->scratch, '\n');
			strbuf_add(&e->rejects, g->scratch.buf, g->scratch.len);
			e->rejected++;
			strbuf_release(&info);
		} else {
			emit_line(e, it->result.buf, it->result.len - 1);
			g->answered++;
		}
	} else {
		strbuf_reset(&it->result);
		strbuf_addstr(&it->result, d->error);
		warning("%s:%llu: sample %u: %s", it->file, (unsigned long long)it->lineno, it->sample,
			it->result.buf);
		if (d->outcome == CHAT_NO_CONTENT) {
			no_content_members(&d->body, &members);
			g->no_content++;
			item_reject(g, it, "no content", &members, e);
		} else {
			if (d->status)
				strbuf_addf(&members, ",\"status\":%ld", d->status);
			g->failed++;
			item_reject(g, it, "request failed", &members, e);
		}
	}
	strbuf_release(&d->body);
	strbuf_release(&members);
	item_free(NULL, it);
}

struct complete_worker {
	const struct complete *g;
	struct strbuf parent, body;
};

static void *complete_worker_new(void *arg)
{
	struct complete_worker *w = xcalloc(1, sizeof(*w));
	w->g = arg;
	strbuf_init(&w->parent);
	strbuf_init(&w->body);
	return w;
}

static void complete_worker_free(void *arg)
{
	struct complete_worker *w = arg;
	strbuf_release(&w->parent);
	strbuf_release(&w->body);
	free(w);
}

/* A prompt record: checked, and the request of each sample made. */
static void complete_process(void *arg, const struct record *r, struct emit *e)
{
	struct complete_worker *w = arg;
	const struct complete *g = w->g;
	struct json_value v;
	if (!(json_get(r->line, r->len, "messages", &v) && v.type == JSON_ARRAY) &&
	    !(json_get(r->line, r->len, g->prompt_field, &v) && v.type == JSON_STRING)) {
		char reason[200];
		snprintf(reason, sizeof(reason), "no string member \"%.100s\" and no array \"messages\"",
			 g->prompt_field);
		emit_invalid(e, r, reason);
		return;
	}
	strbuf_reset(&w->parent);
	record_id_json(r, e->common, &w->parent);
	for (unsigned k = 1; k <= g->samples; k++) {
		request_body(g, r->line, r->len, k, &w->body);
		ask_encode(&e->side, r, k, &w->parent, &w->body);
	}
}

/* The window of requests: four times those in flight. */
static size_t complete_window(const struct complete *g)
{
	return 4 * (size_t)g->chat.cfg.concurrency + g->samples;
}

/* Stop the run for what stopped the client. */
static void client_stopped(struct complete *g, struct emit *e, const struct strbuf *why)
{
	g->stopped_by_client = 1;
	e->stopped = 1;
	strbuf_addstr(&e->fatal, why->buf);
}

/* The requests so far on the progress line. */
static void complete_progress(void *arg, struct strbuf *line)
{
	const struct complete *g = arg;
	llm_stage_progress(g->stage, line);
}

/* A block's prompt samples to the stage, in order (those the --resume
 * journal answered with no request), then the answers whose turn came. */
static void complete_ordered(void *arg, struct emit *e)
{
	struct complete *g = arg;
	for (size_t off = 0; off < e->side.len;) {
		struct ask a;
		const char *line, *parent, *body, *file;
		off = ask_decode(&e->side, off, &a, &line, &parent, &body, &file);
		struct item *it = xcalloc(1, sizeof(*it));
		it->sample = a.sample;
		it->lineno = a.lineno;
		it->file = xstrndup(file, a.file_len);
		strbuf_init(&it->record);
		strbuf_init(&it->parent);
		strbuf_init(&it->result);
		strbuf_add(&it->record, line, a.line_len);
		strbuf_add(&it->parent, parent, a.parent_len);
		it->request = hash64(body, a.body_len, 0);
		strbuf_init(&it->body);
		strbuf_init(&it->path);
		strbuf_init(&it->message);
		it->tries = 1;
		if (g->schema)
			strbuf_add(&it->body, body, a.body_len);
		answer_id(parent, a.parent_len, a.sample, &g->scratch);
		llm_stage_add(g->stage, it, body, a.body_len, g->scratch.buf, g->scratch.len);
	}
	struct strbuf why = STRBUF_INIT;
	if (!e->stopped && llm_stage_drain(g->stage, complete_window(g), e, &why) < 0)
		client_stopped(g, e, &why);
	strbuf_release(&why);
}

/* After the last block: every answer. */
static void complete_finish(void *arg, struct emit *e)
{
	struct complete *g = arg;
	struct strbuf why = STRBUF_INIT;
	if (llm_stage_drain(g->stage, 0, e, &why) < 0)
		client_stopped(g, e, &why);
	strbuf_release(&why);
}

/* --json-schema FILE: the schema loaded (any problem is fatal, naming
 * the file), its name (the file's name up to its first dot, as OpenAI
 * takes names), and the response_format member of every request. */
static void schema_load(struct complete *g)
{
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	if (file_slurp(g->schema_file, &text) < 0)
		die_errno("%s", g->schema_file);
	g->schema = json_schema_load(text.buf, text.len, JSON_SCHEMA_2020_12, &err);
	if (!g->schema)
		die("%s: %s", g->schema_file, err.buf);
	/* Servers take an object: response_format has no room for true. */
	size_t at = 0;
	while (at < text.len && (text.buf[at] == ' ' || text.buf[at] == '\t' || text.buf[at] == '\n' ||
				 text.buf[at] == '\r'))
		at++;
	if (text.buf[at] != '{')
		die("%s: a schema sent as response_format must be an object", g->schema_file);
	const char *base = strrchr(g->schema_file, '/');
	base = base ? base + 1 : g->schema_file;
	struct strbuf name = STRBUF_INIT;
	chat_schema_name(base, strcspn(base, "."), &name);
	g->schema_name = xstrdup(name.buf);
	strbuf_release(&name);
	chat_response_format(g->schema_name, text.buf, text.len, !g->schema_lax, &g->response_format);
	strbuf_release(&text);
	strbuf_release(&err);
}

static void schema_release(struct complete *g)
{
	json_schema_free(g->schema);
	g->schema = NULL;
	free(g->schema_name);
	g->schema_name = NULL;
	strbuf_release(&g->response_format);
	strbuf_release(&g->text);
	strbuf_release(&g->message);
	json_schema_check_release(&g->check);
}

static int run_complete(struct complete *g, char **files, int nfiles)
{
	if (!g->chat.cfg.url || !g->model)
		usage_error("complete needs --url URL and --model NAME");
	const char *out_path = g->common.output;
	if (g->resume && (!out_path || !strcmp(out_path, "-") ||
			  (strlen(out_path) > 4 && !strcmp(out_path + strlen(out_path) - 4, ".zst"))))
		usage_error("--resume needs -o FILE, a plain file (not .zst)");
	chat_cli_api_key(&g->chat.cfg);
	strbuf_init(&g->system);
	if (g->system_file) {
		struct strbuf text = STRBUF_INIT;
		if (file_slurp(g->system_file, &text) < 0)
			die_errno("%s", g->system_file);
		while (text.len && (text.buf[text.len - 1] == '\n' || text.buf[text.len - 1] == '\r'))
			strbuf_setlen(&text, text.len - 1);
		if (!utf8_valid(text.buf, text.len))
			die("%s: invalid UTF-8", g->system_file);
		json_add_string(&g->system, text.buf, text.len);
		strbuf_release(&text);
	}
	strbuf_init(&g->params);
	if (g->has_temperature) {
		strbuf_addstr(&g->params, ",\"temperature\":");
		json_add_double(&g->params, g->temperature);
	}
	if (g->has_top_p) {
		strbuf_addstr(&g->params, ",\"top_p\":");
		json_add_double(&g->params, g->top_p);
	}
	if (g->max_tokens) {
		strbuf_addstr(&g->params, ",\"max_tokens\":");
		json_add_u64(&g->params, g->max_tokens);
	}
	/* Any other member, as given; kept in synth.parameters too.
	 * response_format, the last, is ours only under --json-schema. */
	static const char *const own[] = { "model", "messages", "seed", "temperature", "top_p",
					   "max_tokens", "response_format" };
	chat_cli_check_params(&g->chat, own, sizeof(own) / sizeof(*own) - !g->schema_file);
	strbuf_add(&g->params, g->chat.params.buf, g->chat.params.len);
	strbuf_init(&g->response_format);
	strbuf_init(&g->text);
	strbuf_init(&g->message);
	json_schema_check_init(&g->check);
	if (g->schema_file)
		schema_load(g);

	struct strbuf path = STRBUF_INIT;
	if (g->resume)
		journal_path(out_path, &path);
	struct cli_file named[] = {
		{ "-o", out_path }, { "--rejects", g->common.rejects },
		{ "--resume's journal", g->resume ? path.buf : NULL }, { "--usage", g->chat.usage_path },
	};
	cli_distinct_files(named, sizeof(named) / sizeof(*named));
	strbuf_init(&g->scratch);
	g->stage = llm_stage_new(&g->chat.cfg, complete_window(g), complete_done, item_free, g);
	if (g->schema)
		llm_stage_set_check(g->stage, complete_check);
	if (g->resume) {
		/* The settings every answer of the journal was made with. */
		struct strbuf settings = STRBUF_INIT;
		strbuf_addstr(&settings, "{\"model\":");
		json_add_cstr(&settings, g->model);
		strbuf_addstr(&settings, ",\"parameters\":{");
		if (g->params.len)
			strbuf_add(&settings, g->params.buf + 1, g->params.len - 1);
		strbuf_addstr(&settings, "},\"seed\":");
		json_add_u64(&settings, g->common.seed);
		/* The schema by the hash of what the requests carry: the
		 * answers of another schema are not this run's. */
		if (g->schema)
			strbuf_addf(&settings, ",\"json_schema\":\"%016llx\"",
				    (unsigned long long)hash64(g->response_format.buf,
							       g->response_format.len, 0));
		strbuf_addc(&settings, '}');
		struct llm_journal_spec spec = { "synth-gen complete", "record", settings.buf,
						 g->common.wait_lock };
		int opened = llm_stage_resume(g->stage, out_path, &spec);
		strbuf_release(&settings);
		if (opened < 0) {
			llm_stage_free(g->stage);
			strbuf_release(&path);
			strbuf_release(&g->scratch);
			strbuf_release(&g->system);
			strbuf_release(&g->params);
			schema_release(g);
			chat_cli_release(&g->chat);
			return 1;
		}
	}

	struct record_loop rl = {
		.common = &g->common, .files = files, .nfiles = nfiles, .write_records = 1,
		.worker_new = complete_worker_new, .process = complete_process, .arg = g,
		.ordered = complete_ordered, .finish = complete_finish, .hold_outputs = 1,
		.phase = "completing", .progress_more = complete_progress,
	};
	int loop_rc = record_loop_run(&rl);
	record_loop_summary(&rl);
	uint64_t undone = llm_stage_waiting(g->stage);
	uint64_t unused = llm_stage_journal_unused(g->stage), kept_lines = llm_stage_journal_lines(g->stage);

	int rc = 0;
	if (g->failed) {
		error("%llu request%s failed for good%s", (unsigned long long)g->failed,
		      g->failed == 1 ? "" : "s",
		      g->common.rejects ? "; the prompts are in the --rejects file" : "");
		rc = 1;
	}
	/* Answers the schema refused are rejects like any other with
	 * --rejects; without it, each was an error. */
	if (g->schema_invalid) {
		if (g->common.rejects) {
			warning("%llu answer%s not valid under %s after %u tr%s, not written; the prompts are "
				"in the --rejects file", (unsigned long long)g->schema_invalid,
				g->schema_invalid == 1 ? "" : "s", g->schema_file, g->schema_retries + 1,
				g->schema_retries ? "ies" : "y");
		} else {
			error("%llu answer%s not valid under %s; --rejects FILE keeps them and their errors",
			      (unsigned long long)g->schema_invalid, g->schema_invalid == 1 ? "" : "s",
			      g->schema_file);
			rc = 1;
		}
	}
	/* A request that failed for good is no gap: its prompt is in
	 * --rejects, which is kept (exit 1). A run that stopped (an
	 * invalid record, the breaker, the budget), or could not read an
	 * input or write an output, keeps none of its files. */
	int kept = loop_rc == 0;
	if (loop_rc)
		rc = 1;
	/* Answers in the journal that no request of this run made (the
	 * input or the system message changed) are not thrown away with
	 * it: the journal is kept, and no output written. */
	int foreign = kept && unused;
	if (foreign) {
		error("%s holds %llu answer%s to requests this run did not make (another input or "
		      "--system?); it is kept as it is, not renamed to %s", path.buf,
		      (unsigned long long)unused, unused == 1 ? "" : "s", out_path);
		rc = 1;
		kept = 0;
	}
	if (g->stopped_by_client && undone && !g->resume)
		error("%llu prompt sample%s not answered; with -o FILE and --resume a new run "
		      "finishes them", (unsigned long long)undone, undone == 1 ? "" : "s");
	/* With requests that failed for good, --rejects is kept (their
	 * prompts are there) but a file under -o is left as it was: a
	 * partial output would replace a whole one. */
	if (kept && rc && out_path && strcmp(out_path, "-")) {
		if (g->answered && !g->resume)
			error("-o %s left as it was, without the %llu answers of this run; with "
			      "--resume they are kept in %s.partial, and the same command again "
			      "asks only for the rest", out_path, (unsigned long long)g->answered,
			      out_path);
		output_abort(&rl.out);
	}
	if (record_loop_end(&rl, kept ? 0 : 1, NULL, 0) != 0 && kept && !rc)
		rc = 1;
	if (g->resume) {
		/* Removed once its answers are in the output; else kept for
		 * the next run. */
		if (llm_stage_journal_end(g->stage, !rc) < 0)
			rc = 1;
		else if (rc && !foreign)
			error("%s keeps the %llu records written; run the same command again to finish",
			      path.buf, (unsigned long long)kept_lines);
	}
	struct chat_usage used = *llm_stage_usage(g->stage);
	if (g->no_content)
		warning("%llu answer%s without content, not written%s", (unsigned long long)g->no_content,
			g->no_content == 1 ? "" : "s",
			g->common.rejects ? "; the prompts are in the --rejects file" : "");
	if (g->truncated)
		warning("%llu answer%s cut off at the token limit (finish_reason \"length\"), %s",
			(unsigned long long)g->truncated, g->truncated == 1 ? "" : "s",
			!g->drop_truncated ? "kept (--drop-truncated leaves them out)" :
			g->common.rejects ? "not written; they are in the --rejects file" : "not written");
	info("%llu answers out, %llu truncated, %llu without content, %llu failed, %llu already done",
	     (unsigned long long)g->answered, (unsigned long long)g->truncated,
	     (unsigned long long)g->no_content, (unsigned long long)g->failed,
	     (unsigned long long)g->skipped);
	if (g->schema)
		info("--json-schema: %llu follow-ups, %llu answers not valid after the last try",
		     (unsigned long long)g->schema_follow_ups, (unsigned long long)g->schema_invalid);
	llm_stage_summary(g->stage);
	if (chat_cli_usage_end(&g->chat, "synth-gen complete", g->model, &used) < 0)
		rc = 1;
	llm_stage_free(g->stage);
	g->stage = NULL;
	strbuf_release(&path);
	record_loop_release(&rl, complete_worker_free);
	strbuf_release(&g->scratch);
	strbuf_release(&g->system);
	strbuf_release(&g->params);
	schema_release(g);
	chat_cli_release(&g->chat);
	return rc;
}

/* The modes each option belongs to; the shared ones go with any. */
static int option_modes(int key)
{
	switch (key) {
	case 't': case KEY_SLOT: case KEY_ALL: return PROMPTS;
	case KEY_TRAIN: case KEY_ORDER: case KEY_SAVE: case KEY_LOAD: return MARKOV;
	case KEY_TEMPERATURE: case KEY_TOP_P: return MARKOV | COMPLETE;
	case KEY_SAMPLES: return MARKOV | COMPLETE;
	case KEY_URL: case KEY_MODEL: case KEY_SYSTEM: case KEY_MAX_TOKENS:
	case KEY_RESUME: case KEY_DROP_TRUNCATED: case KEY_PROMPT_FIELD: case KEY_JSON_SCHEMA:
	case KEY_SCHEMA_RETRIES: case KEY_NO_STRICT_SCHEMA: return COMPLETE;
	default:
		return key >= KEY_CHAT_CONCURRENCY && key < KEY_CHAT_END ? COMPLETE :
		       PROMPTS | MARKOV | COMPLETE;
	}
}

int main(int argc, char **argv)
{
	struct prompts g = { .count = UINT64_MAX };
	struct markov mk = { .count = UINT64_MAX, .temperature = 1, .top_p = 1, .samples = 1 };
	struct complete cp = { .samples = 1, .prompt_field = "prompt", .schema_retries = 1 };
	chat_cli_init(&cp.chat);
	const char **templates = xcalloc((size_t)argc, sizeof(*templates));
	const char **specs = xcalloc((size_t)argc, sizeof(*specs));
	mk.train = xcalloc((size_t)argc, sizeof(*mk.train));
	size_t ntemplates = 0, nspecs = 0;
	const char *arg, *id_prefix = NULL;
	int first[8] = { 0 };	/* the first option given only to some modes, by mode set */
	int key, used = 0, schema_options = 0;
	uint64_t count = UINT64_MAX;
	struct cli_common common;
	diag_init("synth-gen");
	cli_common_init(&common);
	while ((key = cli_next(argc, argv, &program, &common, &arg)) != -1) {
		int modes = option_modes(key);
		if (modes != (PROMPTS | MARKOV | COMPLETE) && !first[modes])
			first[modes] = key;
		used |= 1 << modes;
		if (chat_cli_option(&cp.chat, key, arg))
			continue;
		switch (key) {
		case 't': templates[ntemplates++] = arg; break;
		case KEY_SLOT: specs[nspecs++] = arg; break;
		case 'n': count = cli_u64("--count", arg, 0, UINT64_MAX - 1); break;
		case KEY_ALL: g.all = 1; break;
		case KEY_ID_PREFIX:
			if (!*arg || !utf8_valid(arg, strlen(arg)))
				usage_error("--id-prefix: give a non-empty UTF-8 name");
			id_prefix = arg;
			break;
		case KEY_TRAIN: mk.train[mk.ntrain++] = arg; break;
		case KEY_ORDER: mk.order = (unsigned)cli_u64("--order", arg, 1, NGRAM_MAX_ORDER); break;
		case KEY_SAVE: mk.save = arg; break;
		case KEY_LOAD: mk.load = arg; break;
		case KEY_TEMPERATURE:
			mk.temperature = cp.temperature = cli_double("--temperature", arg, 0, 100);
			cp.has_temperature = 1;
			break;
		case KEY_TOP_P:
			mk.top_p = cp.top_p = cli_double("--top-p", arg, 0, 1);
			cp.has_top_p = 1;
			break;
		case KEY_URL: cp.chat.cfg.url = arg; break;
		case KEY_MODEL: cp.model = arg; break;
		case KEY_SYSTEM: cp.system_file = arg; break;
		case KEY_PROMPT_FIELD:
			if (!*arg)
				usage_error("--prompt-field: give a member name");
			cp.prompt_field = arg;
			break;
		case KEY_MAX_TOKENS: cp.max_tokens = cli_u64("--max-tokens", arg, 1, UINT32_MAX); break;
		case KEY_SAMPLES: cp.samples = (unsigned)cli_u64("--samples", arg, 1, 10000); break;
		case KEY_RESUME: cp.resume = 1; break;
		case KEY_DROP_TRUNCATED: cp.drop_truncated = 1; break;
		case KEY_JSON_SCHEMA: cp.schema_file = arg; break;
		case KEY_SCHEMA_RETRIES:
			cp.schema_retries = (unsigned)cli_u64("--schema-retries", arg, 0, 100);
			schema_options++;
			break;
		case KEY_NO_STRICT_SCHEMA: cp.schema_lax = 1; schema_options++; break;
		default: BUG("option %d", key);
		}
	}
	if (optind == argc)
		usage_error("give a mode: synth-gen prompts, markov or complete");
	const char *name = argv[optind++];
	enum mode mode = !strcmp(name, "prompts") ? PROMPTS : !strcmp(name, "markov") ? MARKOV :
			 !strcmp(name, "complete") ? COMPLETE : 0;
	if (!mode)
		usage_error("'%s' is not a mode; the modes are prompts, markov and complete", name);
	for (int set = 1; set < 8; set++) {
		if (!(used & 1 << set) || (set & mode))
			continue;
		const struct cli_option *o = options;
		while (o->key != first[set])
			o++;
		usage_error("--%s is an option of synth-gen %s%s%s, not %s", o->name,
			    mode_name(set & -set), (set & (set - 1)) ? " and " : "",
			    (set & (set - 1)) ? mode_name(set & ~(set & -set)) : "", name);
	}
	int rc;
	if (mode == PROMPTS) {
		if (optind < argc)
			usage_error("prompts reads no input: '%s'", argv[optind]);
		g.common = common;
		g.count = count;
		g.id_prefix = id_prefix ? id_prefix : "prompt";
		rc = run_prompts(&g, templates, ntemplates, specs, nspecs);
		prompts_release(&g);
	} else if (mode == MARKOV) {
		if (mk.temperature <= 0)
			usage_error("--temperature must be above 0");
		if (mk.top_p <= 0)
			usage_error("--top-p must be above 0");
		if (cp.samples > 1 && count != UINT64_MAX)
			usage_error("markov: --samples continues prompt records; -n makes documents");
		if (common.seed > UINT64_MAX - (cp.samples - 1))
			usage_error("--seed %llu: the samples' seeds would pass 2^64 - 1",
				    (unsigned long long)common.seed);
		mk.samples = cp.samples;
		mk.common = common;
		mk.count = count;
		mk.id_prefix = id_prefix ? id_prefix : "markov";
		rc = run_markov(&mk, argv + optind, argc - optind);
	} else {
		if (count != UINT64_MAX || id_prefix)
			usage_error("complete answers prompt records: -n and --id-prefix are not its");
		if (cp.has_top_p && cp.top_p <= 0)
			usage_error("--top-p must be above 0");
		if (schema_options && !cp.schema_file)
			usage_error("--schema-retries and --no-strict-schema go with --json-schema FILE");
		cp.common = common;
		chat_cli_check_seed(common.seed, cp.samples);
		cp.chat.cfg.seed = common.seed;
		rc = run_complete(&cp, argv + optind, argc - optind);
	}
	free(mk.train);
	free(templates);
	free(specs);
	return rc;
}
