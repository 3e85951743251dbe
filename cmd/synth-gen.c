/* synth-gen: make synthetic records.
 *
 *   synth-gen prompts -t TEMPLATE... --slot NAME=SOURCE... (-n N | --all)
 *
 * prompts fills the {name} slots of templates with values read from text
 * files (a value a line) or from a member of JSONL records, and writes
 * one prompt record each, with where every part of it came from. Record
 * i draws its template and values from a generator seeded by --seed and
 * i alone, so -n 100 writes the first 100 records of -n 1000.
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
#include "output.h"
#include "prng.h"
#include "strbuf.h"

enum { KEY_SLOT = KEY_PROGRAM, KEY_ALL, KEY_ID_PREFIX };

static const struct cli_option options[] = {
	{ "template", 't', "FILE", "prompts: a template, text with {name} slots (repeatable)" },
	{ "slot", KEY_SLOT, "SPEC", "prompts: NAME=FILE (a value a line) or NAME=FILE.jsonl:FIELD" },
	{ "count", 'n', "N", "prompts: write N records, with values drawn by the seed" },
	{ "all", KEY_ALL, NULL, "prompts: write every combination of values, in order" },
	{ "id-prefix", KEY_ID_PREFIX, "NAME", "the records' ids are NAME-1, NAME-2, ... (default: prompt)" },
	CLI_OPT_OUTPUT,
	CLI_OPT_SEED,
	CLI_OPT_QUIET,
	CLI_OPT_VERBOSE,
	CLI_OPT_HELP,
	CLI_OPT_VERSION,
	CLI_OPT_END
};

static const struct cli_program program = {
	"synth-gen", "MODE [OPTION]...",
	"Make synthetic records.\n\n"
	"Modes:\n"
	"  prompts   fill the {name} slots of templates with values from files",
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

int main(int argc, char **argv)
{
	struct prompts g = { .id_prefix = "prompt", .count = UINT64_MAX };
	const char **templates = xcalloc((size_t)argc, sizeof(*templates));
	const char **specs = xcalloc((size_t)argc, sizeof(*specs));
	size_t ntemplates = 0, nspecs = 0;
	const char *arg;
	int key;
	diag_init("synth-gen");
	cli_common_init(&g.common);
	while ((key = cli_next(argc, argv, &program, &g.common, &arg)) != -1) {
		switch (key) {
		case 't': templates[ntemplates++] = arg; break;
		case KEY_SLOT: specs[nspecs++] = arg; break;
		case 'n': g.count = cli_u64("--count", arg, 0, UINT64_MAX - 1); break;
		case KEY_ALL: g.all = 1; break;
		case KEY_ID_PREFIX:
			if (!*arg || !utf8_valid(arg, strlen(arg)))
				usage_error("--id-prefix: give a non-empty UTF-8 name");
			g.id_prefix = arg;
			break;
		default: BUG("option %d", key);
		}
	}
	if (optind == argc)
		usage_error("give a mode: synth-gen prompts");
	const char *mode = argv[optind++];
	if (strcmp(mode, "prompts"))
		usage_error("'%s' is not a mode; the mode is prompts", mode);
	if (optind < argc)
		usage_error("prompts reads no input: '%s'", argv[optind]);
	int rc = run_prompts(&g, templates, ntemplates, specs, nspecs);
	prompts_release(&g);
	free(templates);
	free(specs);
	return rc;
}
