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
#include "cli.h"
#include "diag.h"
#include "hash.h"
#include "input.h"
#include "json.h"
#include "ngram.h"
#include "output.h"
#include "prng.h"
#include "records.h"
#include "strbuf.h"

enum {
	KEY_SLOT = KEY_PROGRAM, KEY_ALL, KEY_ID_PREFIX, KEY_TRAIN, KEY_ORDER, KEY_SAVE, KEY_LOAD,
	KEY_TEMPERATURE, KEY_TOP_P
};

enum mode { PROMPTS = 1, MARKOV = 2 };
static const char *const mode_names[] = { "", "prompts", "markov" };

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
	{ "temperature", KEY_TEMPERATURE, "T", "markov: sample at temperature T (default: 1)" },
	{ "top-p", KEY_TOP_P, "P", "markov: sample from the smallest set of words of mass P (default: 1)" },
	CLI_OPT_FIELD,
	CLI_OPT_ID_FIELD,
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
	"synth-gen", "MODE [OPTION]...",
	"Make synthetic records.\n\n"
	"Modes:\n"
	"  prompts   fill the {name} slots of templates with values from files\n"
	"  markov    sample documents, or continue prompts, from an n-gram model of seed records",
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

/* A template is literal text and slots in turn: part i is text[i], then
 * (for i < nparts - 1) the value of slot[i]. */
struct template {
	char *name;		/* the file's base name without its extension */
	struct strbuf *text;	/* nparts pieces of literal text, escaped */
	size_t *slot;		/* nparts - 1 slot numbers */
	size_t nparts;
	size_t *distinct;	/* the slots it names, each once, in order of first use */
	size_t ndistinct;
};

static int slot_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
}

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

/* Read and parse the template at path against the slots. */
static void template_load(struct template *t, const char *path, struct slot *slots,
			  size_t nslots)
{
	template_name(t, path);
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
	if (!utf8_valid(src.buf, src.len))
		die("%s: invalid UTF-8", path);

	size_t cap = 4;
	t->text = xcalloc(cap, sizeof(*t->text));
	t->slot = xcalloc(cap, sizeof(*t->slot));
	t->distinct = xcalloc(nslots ? nslots : 1, sizeof(*t->distinct));
	t->nparts = 1;
	strbuf_init(&t->text[0]);
	unsigned line = 1;
	for (size_t i = 0; i < src.len; i++) {
		char c = src.buf[i];
		struct strbuf *cur = &t->text[t->nparts - 1];
		if (c == '\n')
			line++;
		if ((c == '{' || c == '}') && i + 1 < src.len && src.buf[i + 1] == c) {
			strbuf_addc(cur, c);
			i++;
			continue;
		}
		if (c == '}')
			die("%s:%u: a '}' that closes no slot (write '}}' for a brace)", path, line);
		if (c != '{') {
			/* A whole UTF-8 sequence at a time, escaped. */
			size_t k = utf8_sequence_length((const unsigned char *)src.buf + i, src.len - i);
			add_escaped(cur, src.buf + i, k);
			i += k - 1;
			continue;
		}
		size_t start = i + 1, end = start;
		while (end < src.len && slot_char(src.buf[end], end == start))
			end++;
		if (end == src.len || src.buf[end] != '}' || end == start)
			die("%s:%u: a '{' that opens no slot: write {name} for a slot, '{{' for a brace",
			    path, line);
		size_t k = find_slot(slots, nslots, src.buf + start, end - start);
		if (k == nslots)
			die("%s:%u: no --slot gives the values of {%.*s}", path, line,
			    (int)(end - start), src.buf + start);
		slots[k].used = 1;
		if (t->nparts == cap) {
			cap *= 2;
			t->text = xreallocarray(t->text, cap, sizeof(*t->text));
			t->slot = xreallocarray(t->slot, cap, sizeof(*t->slot));
		}
		t->slot[t->nparts - 1] = k;
		strbuf_init(&t->text[t->nparts++]);
		size_t d = 0;
		while (d < t->ndistinct && t->distinct[d] != k)
			d++;
		if (d == t->ndistinct)
			t->distinct[t->ndistinct++] = k;
		i = end;
	}
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
			if (!slot_char(*p, p == specs[i]))
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
	for (size_t i = 0; i < g->ntemplates; i++) {
		struct template *t = &g->templates[i];
		for (size_t k = 0; k < t->nparts; k++)
			strbuf_release(&t->text[k]);
		free(t->text);
		free(t->slot);
		free(t->distinct);
		free(t->name);
	}
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
	struct strbuf synth;	/* the synth member's fixed part, without its '}' */
	struct strbuf *words;	/* the vocabulary, escaped */
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
 * table). */
static int markov_train(struct markov *g)
{
	struct cli_common common = g->common;
	common.output = NULL;
	common.rejects = NULL;
	common.jobs = 1;
	struct trainer_loop tl = { ngram_trainer_new(g->order), STRBUF_INIT };
	struct record_loop rl = {
		.common = &common, .files = (char **)g->train, .nfiles = (int)g->ntrain,
		.worker_new = train_worker, .process = train_process, .arg = &tl,
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
 * Appends the words, escaped and joined by spaces, to out. */
static void markov_words(const struct markov *g, struct ngram_sampler *s, struct prng *r,
			 uint32_t **hist, size_t *len, size_t *cap, struct strbuf *out)
{
	uint64_t n = ngram_sample_length(&g->model, r);
	for (uint64_t i = 0; i < n; i++) {
		uint32_t w = ngram_sample(s, *hist, *len, r);
		if (*len == *cap) {
			*cap = grow_capacity(*cap, *len + 1, 256);
			*hist = xreallocarray(*hist, *cap, sizeof(**hist));
		}
		(*hist)[(*len)++] = w;
		if (i)
			strbuf_addc(out, ' ');
		strbuf_add(out, g->words[w].buf, g->words[w].len);
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
	size_t len = 0;
	ngram_ids(&g->model, w->prompt.buf, w->prompt.len, &w->hist, &len, &w->cap);
	strbuf_reset(&w->id);
	record_id(r, e->common, &w->id);
	struct prng rng;
	prng_seed(&rng, mix64(g->common.seed ^ hash64(w->id.buf, w->id.len, 0)));
	struct strbuf *rec = &w->rec;
	strbuf_reset(rec);
	/* The id: the parent's, as text, then "-1", one JSON string. */
	strbuf_addstr(rec, "{\"id\":");
	strbuf_addstr(&w->id, "-1");
	json_add_string(rec, w->id.buf, w->id.len);
	strbuf_addstr(rec, ",\"prompt\":");
	json_add_string(rec, w->prompt.buf, w->prompt.len);
	strbuf_addstr(rec, ",\"text\":\"");
	markov_words(g, w->s, &rng, &w->hist, &len, &w->cap, rec);
	strbuf_addstr(rec, "\",");
	strbuf_add(rec, g->synth.buf, g->synth.len);
	strbuf_addstr(rec, ",\"parent\":");
	record_id_json(r, e->common, rec);
	strbuf_addstr(rec, "}}");
	emit_line(e, rec->buf, rec->len);
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
	/* The model's file is opened first, so that a bad name fails
	 * before any training. */
	struct output model_out;
	if (g->save && output_open(&model_out, g->save, 0) < 0)
		return 1;
	int rc = 0;
	if (g->load) {
		double start = now_seconds();
		if (ngram_load(&g->model, g->load) < 0)
			rc = 1;
		else
			info("--load: order %u, %u words, in %.2f s", g->model.order, g->model.nvocab - 2,
			     now_seconds() - start);
	} else {
		rc = markov_train(g) < 0;
	}
	if (g->save) {
		if (!rc)
			ngram_write(&g->model, &model_out);
		if (output_end(&model_out, rc != 0) < 0)
			rc = 1;
	}
	if (rc || (g->save && g->count == UINT64_MAX && !nfiles)) {
		ngram_release(&g->model);
		return rc;
	}

	g->words = xcalloc(g->model.nvocab, sizeof(*g->words));
	for (uint32_t w = 0; w < g->model.nvocab; w++) {
		strbuf_init(&g->words[w]);
		add_escaped(&g->words[w], g->model.text.buf + g->model.off[w],
			    g->model.off[w + 1] - g->model.off[w]);
	}
	strbuf_init(&g->synth);
	strbuf_addstr(&g->synth, "\"synth\":{\"generator\":\"synth-gen markov\",\"model\":");
	const char *name = g->load ? g->load : g->save;
	if (name && utf8_valid(name, strlen(name)))
		json_add_cstr(&g->synth, name);
	else
		strbuf_addstr(&g->synth, "null");
	strbuf_addf(&g->synth, ",\"order\":%u,\"temperature\":", g->model.order);
	json_add_double(&g->synth, g->temperature);
	strbuf_addstr(&g->synth, ",\"top_p\":");
	json_add_double(&g->synth, g->top_p);
	strbuf_addstr(&g->synth, ",\"seed\":");
	json_add_u64(&g->synth, g->common.seed);

	uint64_t written = 0;
	double start = now_seconds();
	if (g->count != UINT64_MAX) {
		rc = markov_documents(g, &written);
		info("%llu documents in %.2f s", (unsigned long long)written, now_seconds() - start);
	} else {
		struct record_loop rl = {
			.common = &g->common, .files = files, .nfiles = nfiles, .write_records = 1,
			.worker_new = cont_worker_new, .process = cont_process, .arg = g,
		};
		rc = record_loop_run(&rl);
		record_loop_summary(&rl);
		record_loop_release(&rl, cont_worker_free);
		rc = rc ? 1 : 0;
	}
	for (uint32_t w = 0; w < g->model.nvocab; w++)
		strbuf_release(&g->words[w]);
	free(g->words);
	strbuf_release(&g->synth);
	ngram_release(&g->model);
	return rc;
}

/* The modes each option belongs to; the shared ones go with any. */
static int option_modes(int key)
{
	switch (key) {
	case 't': case KEY_SLOT: case KEY_ALL: return PROMPTS;
	case KEY_TRAIN: case KEY_ORDER: case KEY_SAVE: case KEY_LOAD: case KEY_TEMPERATURE:
	case KEY_TOP_P: return MARKOV;
	default: return PROMPTS | MARKOV;
	}
}

int main(int argc, char **argv)
{
	struct prompts g = { .count = UINT64_MAX };
	struct markov mk = { .count = UINT64_MAX, .temperature = 1, .top_p = 1 };
	const char **templates = xcalloc((size_t)argc, sizeof(*templates));
	const char **specs = xcalloc((size_t)argc, sizeof(*specs));
	mk.train = xcalloc((size_t)argc, sizeof(*mk.train));
	size_t ntemplates = 0, nspecs = 0;
	const char *arg, *id_prefix = NULL;
	int first[3] = { 0 };	/* the first option given of each mode, for messages */
	int key, used = 0;
	uint64_t count = UINT64_MAX;
	struct cli_common common;
	diag_init("synth-gen");
	cli_common_init(&common);
	while ((key = cli_next(argc, argv, &program, &common, &arg)) != -1) {
		int modes = option_modes(key);
		if (modes != (PROMPTS | MARKOV) && !(used & modes)) {
			used |= modes;
			first[modes] = key;
		}
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
		case KEY_TEMPERATURE: mk.temperature = cli_double("--temperature", arg, 0, 100); break;
		case KEY_TOP_P: mk.top_p = cli_double("--top-p", arg, 0, 1); break;
		default: BUG("option %d", key);
		}
	}
	if (optind == argc)
		usage_error("give a mode: synth-gen prompts or synth-gen markov");
	const char *name = argv[optind++];
	enum mode mode = !strcmp(name, "prompts") ? PROMPTS : !strcmp(name, "markov") ? MARKOV : 0;
	if (!mode)
		usage_error("'%s' is not a mode; the modes are prompts and markov", name);
	if (used & ~mode) {
		enum mode other = mode == PROMPTS ? MARKOV : PROMPTS;
		const struct cli_option *o = options;
		while (o->key != first[other])
			o++;
		usage_error("--%s is an option of synth-gen %s, not %s", o->name, mode_names[other], name);
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
	} else {
		if (mk.temperature <= 0)
			usage_error("--temperature must be above 0");
		if (mk.top_p <= 0)
			usage_error("--top-p must be above 0");
		mk.common = common;
		mk.count = count;
		mk.id_prefix = id_prefix ? id_prefix : "markov";
		rc = run_markov(&mk, argv + optind, argc - optind);
	}
	free(mk.train);
	free(templates);
	free(specs);
	return rc;
}
