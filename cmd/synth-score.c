/* synth-score: quality signals of records, thresholds, filtering.
 *
 * Each worker computes every signal of lib/quality for its records and
 * appends them under "quality" with "pass" and "reasons" (the rules the
 * record fails under the active thresholds: presets, then --min and
 * --max). With --filter the failing records go to --rejects instead of
 * the output.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <getopt.h>
#include <pcre2.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bytes.h"
#include "chat.h"
#include "cli.h"
#include "diag.h"
#include "file_lock.h"
#include "hash.h"
#include "journal.h"
#include "judge_score.h"
#include "json.h"
#include "keymap.h"
#include "langid.h"
#include "ngram.h"
#include "quality.h"
#include "records.h"
#include "rules.h"
#include "tokenizer.h"
#include "strbuf.h"

enum {
	KEY_PRESET = KEY_PROGRAM, KEY_MIN, KEY_MAX, KEY_FILTER, KEY_NO_ANNOTATE, KEY_LM, KEY_RULES,
	KEY_BEST_OF, KEY_RANK_BY, KEY_PAIRS, KEY_JUDGE, KEY_MODEL, KEY_RUBRIC, KEY_CONCURRENCY,
	KEY_RETRIES, KEY_TIMEOUT, KEY_RESUME, KEY_LANG_ID, KEY_LANG, KEY_TOKENIZER
};

static const struct cli_option options[] = {
	CLI_OPT_FIELD,
	{ "preset", KEY_PRESET, "HOW", "thresholds of gopher, c4, fineweb or synthetic (repeatable)" },
	{ "min", KEY_MIN, "SPEC", "NAME=V: a record fails when signal NAME is below V" },
	{ "max", KEY_MAX, "SPEC", "NAME=V: a record fails when signal NAME is above V" },
	{ "filter", KEY_FILTER, NULL, "drop the records that fail (to --rejects, with the reasons)" },
	{ "no-annotate", KEY_NO_ANNOTATE, NULL, "with --filter, write the records that pass unchanged" },
	{ "lm", KEY_LM, "FILE", "the perplexity under the n-gram model FILE (synth-gen markov --save)" },
	{ "rules", KEY_RULES, "FILE", "count matches of the PCRE2 reject and penalty rules in FILE" },
	{ "tokenizer", KEY_TOKENIZER, "FILE", "add the signal tokens: " TOKENIZER_OPTION_HELP },
	{ "lang-id", KEY_LANG_ID, NULL, "add each record's language, its share and its script (CLD2)" },
	{ "lang", KEY_LANG, "LIST", "a record fails unless its language is in LIST (en,de,...)" },
	{ "best-of", KEY_BEST_OF, "FIELD", "of consecutive records with one value of FIELD, keep the best" },
	{ "rank-by", KEY_RANK_BY, "NAME", "best-of ranks by signal NAME, highest first; -NAME: lowest first" },
	{ "pairs", KEY_PAIRS, NULL, "with --best-of, write a chosen/rejected pair per group instead" },
	{ "judge", KEY_JUDGE, "URL", "grade each record with an OpenAI-compatible server" },
	{ "model", KEY_MODEL, "NAME", "the judge's model" },
	{ "rubric", KEY_RUBRIC, "FILE", "the judge's rubric (default: an additive 5-point scale)" },
	{ "concurrency", KEY_CONCURRENCY, "N", "N judge requests in flight at most (default: 16)" },
	{ "retries", KEY_RETRIES, "N", "retry a failed judge request N times (default: 5)" },
	{ "timeout", KEY_TIMEOUT, "S", "give a judge request S seconds (default: 300)" },
	{ "resume", KEY_RESUME, NULL, "keep the judgements in FILE.partial (-o FILE), reuse a stopped run's" },
	CLI_OPT_ID_FIELD,
	CLI_OPT_OUTPUT,
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
	"synth-score", "[OPTION]... [FILE]...",
	"Add quality signals to records, and filter on thresholds.",
	options
};

/* The published thresholds: a record fails below min or above max. */
struct bound {
	const char *preset;
	enum quality_signal signal;
	double min, max;
};

#define NONE NAN
static const struct bound presets[] = {
	/* Gopher (Rae et al. 2021, section A.1.1 and table A1). */
	{ "gopher", Q_WORDS, 50, 100000 },
	{ "gopher", Q_MEAN_WORD_LENGTH, 3, 10 },
	{ "gopher", Q_HASH_WORD_RATIO, NONE, 0.1 },
	{ "gopher", Q_ELLIPSIS_WORD_RATIO, NONE, 0.1 },
	{ "gopher", Q_BULLET_LINES_FRAC, NONE, 0.9 },
	{ "gopher", Q_ELLIPSIS_LINES_FRAC, NONE, 0.3 },
	{ "gopher", Q_ALPHA_WORDS_FRAC, 0.8, NONE },
	{ "gopher", Q_STOP_WORDS, 2, NONE },
	{ "gopher", Q_DUP_LINE_FRAC, NONE, 0.3 },
	{ "gopher", Q_DUP_PARA_FRAC, NONE, 0.3 },
	{ "gopher", Q_DUP_LINE_CHAR_FRAC, NONE, 0.2 },
	{ "gopher", Q_DUP_PARA_CHAR_FRAC, NONE, 0.2 },
	{ "gopher", Q_TOP_2GRAM_CHAR_FRAC, NONE, 0.2 },
	{ "gopher", Q_TOP_3GRAM_CHAR_FRAC, NONE, 0.18 },
	{ "gopher", Q_TOP_4GRAM_CHAR_FRAC, NONE, 0.16 },
	{ "gopher", Q_DUP_5GRAM_CHAR_FRAC, NONE, 0.15 },
	{ "gopher", Q_DUP_6GRAM_CHAR_FRAC, NONE, 0.14 },
	{ "gopher", Q_DUP_7GRAM_CHAR_FRAC, NONE, 0.13 },
	{ "gopher", Q_DUP_8GRAM_CHAR_FRAC, NONE, 0.12 },
	{ "gopher", Q_DUP_9GRAM_CHAR_FRAC, NONE, 0.11 },
	{ "gopher", Q_DUP_10GRAM_CHAR_FRAC, NONE, 0.10 },
	/* C4 (Raffel et al. 2020): the page-level rules; a record with a
	 * line C4 would remove fails as a whole. */
	{ "c4", Q_LOREM_IPSUM, NONE, 0 },
	{ "c4", Q_CURLY_BRACE, NONE, 0 },
	{ "c4", Q_JAVASCRIPT_LINES, NONE, 0 },
	{ "c4", Q_POLICY_LINES, NONE, 0 },
	/* FineWeb (Penedo et al. 2024): its own three filters and the new
	 * line ratio. */
	{ "fineweb", Q_TERMINAL_PUNCT_LINES_FRAC, 0.12, NONE },
	{ "fineweb", Q_SHORT_LINES_FRAC, NONE, 0.67 },
	{ "fineweb", Q_DUP_LINE_CHAR_FRAC, NONE, 0.1 },
	{ "fineweb", Q_NEWLINE_WORD_RATIO, NONE, 0.3 },
	/* Ours, for the output of language models. */
	{ "synthetic", Q_WORDS, 5, NONE },
	{ "synthetic", Q_BOILERPLATE, NONE, 0 },
	{ "synthetic", Q_TRUNCATED, NONE, 0 },
	{ "synthetic", Q_MAX_REPEAT_RUN, NONE, 4 },
	{ "synthetic", Q_PROMPT_ECHO, NONE, 0.5 },
	{ "synthetic", Q_DUP_LINE_FRAC, NONE, 0.3 },
	{ "synthetic", Q_DUP_10GRAM_CHAR_FRAC, NONE, 0.1 },
};

/* The signals synth-score adds to lib/quality's: perplexity (--lm), the
 * rules' penalty (--rules), the judge's score, the share of the text
 * in its language (--lang-id) and its tokens (--tokenizer). */
enum { S_PERPLEXITY = Q_COUNT, S_PENALTY, S_JUDGE, S_LANG_SCORE, S_TOKENS, S_COUNT };

/* The rubric of --judge when none is given: an additive scale of 0 to 5
 * points, after the self-rewarding language models of Yuan et al. 2024,
 * in our words. */
static const char default_rubric[] =
	"Review the text below and grade it on an additive scale of 0 to 5 points.\n"
	"- Add 1 point if it is relevant to its task and gives some useful information, even if it "
	"is incomplete or holds some irrelevant content.\n"
	"- Add a second point if it addresses a substantial part of the task without fully "
	"resolving it.\n"
	"- Add a third point if it answers the basic elements of the task usefully, as an informed "
	"person would.\n"
	"- Add a fourth point if it is clearly written, well organised and complete, with little "
	"to cut.\n"
	"- Add a fifth point if it is exemplary: accurate, focused, engaging and insightful, with "
	"nothing extraneous.\n"
	"Justify the grade in at most 100 words, then give the total on a line of its own as "
	"\"Score: <points>\".";
#define JUDGE_SCALE 5

/* How much work one match may take: a pattern that backtracks without
 * end on a long record stops here, with an error for that record. */
#define RULE_MATCH_LIMIT 1000000

/* The records of one --best-of group, held until it ends. */
struct group {
	struct strbuf key;	/* the FIELD's JSON text */
	struct strbuf lines;	/* the members' annotated lines, back to back */
	struct strbuf files;	/* their files' names, each with a NUL */
	struct member {
		size_t at, len, file_at;
		uint64_t lineno;
		double rank;
	} *m;
	size_t n, cap;
	int open;
};

struct settings {
	struct cli_common common;
	const char *judge, *model, *rubric_file;
	struct strbuf rubric;
	struct chat_config chat;
	struct chat_client *client;
	uint64_t judge_passed, judge_failed_requests, judge_fail[2];
	/* --resume: the journal FILE.partial, and the judgements it held
	 * when the run started: the hash of a request body to the offset
	 * in `judged` of the answer's text, a JSON string with a NUL after. */
	int resume, journal_failed;
	const char *journal_name;
	struct journal journal;
	struct keymap judged_at;
	struct strbuf judged;
	uint64_t judge_reused, judge_asked;
	const char *best_of, *rank_by;
	int rank_signal, rank_low, pairs;
	struct group group;
	uint64_t groups, pairs_written, singles, ties;
	const char *lm_path, *rules_path;
	struct rules rules;
	pcre2_match_context *mctx;
	struct ngram_model lm;
	char keys[Q_COUNT][40];	/* ",\"name\":" of each signal, the first without ',' */
	size_t key_len[Q_COUNT];
	double min[S_COUNT], max[S_COUNT];
	int filter, annotate;
	int langid;		/* --lang-id, or --lang */
	const char **langs;	/* the lists of --lang, as given */
	size_t nlangs;
	const char *tokenizer_path;
	struct tokenizer *tokenizer;	/* --tokenizer: the signal tokens */
};

struct worker {
	const struct settings *set;
	struct quality_scratch *q;
	struct strbuf text, prompt, member, line, reasons;
	uint32_t *ids;
	size_t ids_cap;
	pcre2_match_data *md;
	uint64_t fail_min[S_COUNT], fail_max[S_COUNT], fail_lang, passed;
	uint64_t *fail_rule;	/* records each reject rule failed, in the file's order */
	struct tokenizer_run *tokens;	/* --tokenizer */
};

static const char *signal_name(int i)
{
	return i == S_PERPLEXITY ? "perplexity" : i == S_PENALTY ? "penalty" :
	       i == S_JUDGE ? "judge" : i == S_LANG_SCORE ? "lang_score" :
	       i == S_TOKENS ? "tokens" : quality_names[i];
}

/* Read and compile the rules of --rules; any problem is fatal. */
static void load_rules(struct settings *set)
{
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	if (file_slurp(set->rules_path, &text) < 0)
		die_errno("%s", set->rules_path);
	if (rules_parse(&set->rules, text.buf, text.len, set->rules_path, &err) < 0) {
		/* Freed first, so that the leak checker sees nothing left. */
		strbuf_release(&text);
		error("%s", err.buf);
		strbuf_release(&err);
		diag_exit(1);
	}
	strbuf_release(&text);
	set->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(set->mctx, RULE_MATCH_LIMIT);
	pcre2_set_depth_limit(set->mctx, RULE_MATCH_LIMIT / 10);
}

/* The rules on one text: "rules":{NAME:count or null} into m, the
 * penalty into *penalty, the reject rules that matched into reasons. */
static void apply_rules(const struct settings *set, struct worker *w, const struct record *r,
			struct emit *e, const char *text, size_t len, struct strbuf *m,
			double *penalty, int *failed)
{
	strbuf_addstr(m, ",\"rules\":{");
	*penalty = 0;
	for (size_t i = 0; i < set->rules.n; i++) {
		const struct rule *rule = &set->rules.rule[i];
		uint64_t count;
		int rc = regex_count(rule->re, text, len, w->md, set->mctx, &count);
		strbuf_addf(m, "%s\"%s\":", i ? "," : "", rule->name);
		if (rc < 0) {
			/* Reported for this record; the rule counts for nothing. */
			PCRE2_UCHAR msg[128];
			pcre2_get_error_message(rc, msg, sizeof(msg));
			strbuf_addf(&e->warnings, "%s:%llu: rule %s: %s\n", r->file,
				    (unsigned long long)r->lineno, rule->name, (char *)msg);
			strbuf_addstr(m, "null");
			continue;
		}
		json_add_u64(m, count);
		*penalty += rule->weight * (double)count;
		if (rule->reject && count) {
			strbuf_addf(&w->reasons, "%s\"rule_%s\"", *failed ? "," : "", rule->name);
			(*failed)++;
			w->fail_rule[i]++;
		}
	}
	strbuf_addc(m, '}');
}

/* What a worker leaves in emit->side for each --best-of candidate: this,
 * then the key, the annotated line and the file name. */
struct cand {
	double rank;		/* higher is better; -inf for none */
	uint64_t lineno;
	size_t key_len, line_len, file_len;
};

/* Write out the group that ended: its best record, the others to
 * --rejects; or, with --pairs, one preference record. */
static void close_group(struct settings *set, struct emit *e)
{
	struct group *g = &set->group;
	if (!g->open)
		return;
	g->open = 0;
	set->groups++;
	size_t best = 0, worst = 0;
	for (size_t i = 1; i < g->n; i++) {
		if (g->m[i].rank > g->m[best].rank)
			best = i;
		if (g->m[i].rank < g->m[worst].rank)
			worst = i;
	}
	if (set->pairs) {
		if (g->n == 1) {
			set->singles++;
			return;
		}
		if (g->m[best].rank == g->m[worst].rank) {
			set->ties++;
			return;
		}
		struct strbuf out = STRBUF_INIT;
		struct json_value v;
		const char *bl = g->lines.buf + g->m[best].at, *wl = g->lines.buf + g->m[worst].at;
		size_t bn = g->m[best].len, wn = g->m[worst].len;
		strbuf_addstr(&out, "{\"prompt\":");
		if (json_get(bl, bn, "prompt", &v))
			strbuf_add(&out, v.p, v.len);
		else
			strbuf_addstr(&out, "null");
		strbuf_addstr(&out, ",\"chosen\":");
		if (json_get(bl, bn, set->common.field, &v))
			strbuf_add(&out, v.p, v.len);
		else
			strbuf_addstr(&out, "null");
		strbuf_addstr(&out, ",\"rejected\":");
		if (json_get(wl, wn, set->common.field, &v))
			strbuf_add(&out, v.p, v.len);
		else
			strbuf_addstr(&out, "null");
		strbuf_addstr(&out, ",\"scores\":[");
		json_add_double(&out, set->rank_low ? -g->m[best].rank : g->m[best].rank);
		strbuf_addc(&out, ',');
		json_add_double(&out, set->rank_low ? -g->m[worst].rank : g->m[worst].rank);
		strbuf_addstr(&out, "],\"key\":");
		strbuf_add(&out, g->key.buf, g->key.len);
		strbuf_addc(&out, '}');
		emit_line(e, out.buf, out.len);
		strbuf_release(&out);
		set->pairs_written++;
		return;
	}
	for (size_t i = 0; i < g->n; i++) {
		const char *line = g->lines.buf + g->m[i].at;
		if (i == best) {
			emit_line(e, line, g->m[i].len);
			continue;
		}
		struct record r = { line, g->m[i].len, g->files.buf + g->m[i].file_at, g->m[i].lineno,
				    { 0 }, 0 };
		emit_reject(e, &r, "best-of");
	}
}

static void add_value(struct strbuf *sb, double v);

/* One more candidate, in input order: a new key closes the group. */
static void group_add(struct settings *set, struct emit *e, const struct cand c, const char *key,
		      const char *line, const char *file)
{
	struct group *g = &set->group;
	{
		if (g->open && (g->key.len != c.key_len || memcmp(g->key.buf, key, c.key_len)))
			close_group(set, e);
		if (!g->open) {
			g->open = 1;
			g->n = 0;
			strbuf_reset(&g->key);
			strbuf_add(&g->key, key, c.key_len);
			strbuf_reset(&g->lines);
			strbuf_reset(&g->files);
		}
		if (g->n == g->cap) {
			g->cap = grow_capacity(g->cap, g->n + 1, 8);
			g->m = xreallocarray(g->m, g->cap, sizeof(*g->m));
		}
		g->m[g->n++] = (struct member){ g->lines.len, c.line_len, g->files.len, c.lineno, c.rank };
		strbuf_add(&g->lines, line, c.line_len);
		strbuf_add(&g->files, file, c.file_len);
		strbuf_addc(&g->files, '\0');
	}
}

/* The ordered stage of --best-of: candidates in input order, grouped. */
static void best_of_ordered(void *arg, struct emit *e)
{
	struct settings *set = arg;
	for (size_t off = 0; off < e->side.len;) {
		struct cand c;
		memcpy(&c, e->side.buf + off, sizeof(c));
		const char *key = e->side.buf + off + sizeof(c), *line = key + c.key_len,
			   *file = line + c.line_len;
		off += sizeof(c) + c.key_len + c.line_len + c.file_len;
		group_add(set, e, c, key, line, file);
	}
}

/* --- The judge ----------------------------------------------------------- */

/* What a worker leaves in emit->side for each record under --judge:
 * this, then the record's line, its quality member so far (signals, no
 * closing brace), its reasons so far, the judge's message, the --best-of
 * key and the file name. */
struct pending {
	uint64_t lineno;
	int failed;
	double rank;		/* for --best-of, unless it ranks by judge */
	size_t line_len, member_len, reasons_len, message_len, key_len, file_len;
};

/* The pending record at off in side: *p, and where its pieces start;
 * returns the offset of the next. */
static size_t pending_at(const struct strbuf *side, size_t off, struct pending *p, const char **rec)
{
	memcpy(p, side->buf + off, sizeof(*p));
	*rec = side->buf + off + sizeof(*p);
	return off + sizeof(*p) + p->line_len + p->member_len + p->reasons_len + p->message_len +
	       p->key_len + p->file_len;
}

/* The judge's request body for a record's message (a JSON string): the
 * model, the message and the seed. Under --resume its hash is the key of
 * the answer, so that a changed record, rubric, model or seed is asked
 * again. */
static void judge_request(const struct settings *set, const char *msg, size_t n, struct strbuf *body)
{
	strbuf_reset(body);
	strbuf_addstr(body, "{\"model\":");
	json_add_cstr(body, set->model);
	strbuf_addstr(body, ",\"messages\":[{\"role\":\"user\",\"content\":");
	strbuf_add(body, msg, n);
	strbuf_addstr(body, "}],\"seed\":");
	json_add_u64(body, set->common.seed);
	strbuf_addc(body, '}');
}

/* The judge member of an answer whose content is the JSON string
 * content[0..n): {"score":S,"raw":CONTENT} into *judge. Returns the
 * score. An answer read back from the journal goes through here too,
 * so that it makes the same bytes and the same score as when it came. */
static double judge_answer(const char *content, size_t n, struct strbuf *judge)
{
	struct strbuf raw = STRBUF_INIT;
	struct json_value v = { content, n, JSON_STRING, 0 };
	json_decode_string(&v, &raw);
	double score = judge_score(raw.buf, raw.len, JUDGE_SCALE);
	strbuf_release(&raw);
	strbuf_reset(judge);
	strbuf_addstr(judge, "{\"score\":");
	add_value(judge, score);
	strbuf_addstr(judge, ",\"raw\":");
	strbuf_add(judge, content, n);
	strbuf_addc(judge, '}');
	return score;
}

/* A line of the --resume journal: {"request":"HASH","id":ID,"judge":
 * {"score":S,"raw":CONTENT}}, HASH the request body's hash64 in 16 hex
 * digits. The content goes into set->judged under its hash; the first
 * of two answers to one request wins. */
static int journal_line(void *arg, const char *p, size_t n, uint64_t lineno)
{
	struct settings *set = arg;
	struct json_error err;
	struct json_value req, raw;
	uint64_t key = 0;
	int ok = json_check_record(p, n, &err) == 0 && json_get(p, n, "request", &req) &&
		 req.type == JSON_STRING && req.len == 18 && json_get(p, n, "judge.raw", &raw) &&
		 raw.type == JSON_STRING;
	for (size_t i = 1; ok && i < 17; i++) {
		char c = req.p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		ok = d >= 0;
		key = key << 4 | (uint64_t)(ok ? d : 0);
	}
	if (!ok)
		return error("%s:%llu: not a judgement of synth-score --judge; --resume needs the file "
			     "it left", set->journal_name, (unsigned long long)lineno);
	if (!keymap_get(&set->judged_at, key, NULL)) {
		keymap_put(&set->judged_at, key, set->judged.len);
		strbuf_add(&set->judged, raw.p, raw.len);
		strbuf_addc(&set->judged, '\0');
	}
	return 0;
}

enum judge_state { JUDGE_WAITING, JUDGE_ANSWERED, JUDGE_FAILED };

/* A record of a block on its way through the judge. */
struct judging {
	size_t off;		/* its pending entry in the side */
	uint64_t request;	/* --resume: the hash of its request body */
	enum judge_state state;
	double score;
	struct strbuf judge;	/* the judge member, once answered or failed */
	char error[sizeof(((struct chat_done *)0)->error)];	/* failed: why */
};

/* Keep an answer in the --resume journal as soon as it came, so that a
 * kill loses only the requests in flight. After a failed write the
 * journal takes no more, and the run ends with status 1. */
static void journal_judgement(struct settings *set, const struct strbuf *side,
			      const struct judging *j, struct strbuf *line)
{
	if (set->journal_failed)
		return;
	struct pending p;
	const char *rec;
	pending_at(side, j->off, &p, &rec);
	const char *file = rec + p.line_len + p.member_len + p.reasons_len + p.message_len + p.key_len;
	char *name = xstrndup(file, p.file_len);
	struct record r = { rec, p.line_len, name, p.lineno, { 0 }, 0 };
	strbuf_reset(line);
	strbuf_addf(line, "{\"request\":\"%016llx\",\"id\":", (unsigned long long)j->request);
	record_id_json(&r, &set->common, line);
	strbuf_addstr(line, ",\"judge\":");
	strbuf_add(line, j->judge.buf, j->judge.len);
	strbuf_addstr(line, "}\n");
	free(name);
	if (journal_append(&set->journal, line->buf, line->len) < 0)
		set->journal_failed = 1;
}

static void judge_ordered(void *arg, struct emit *e)
{
	struct settings *set = arg;
	size_t count = 0;
	for (size_t off = 0; off < e->side.len; count++) {
		struct pending p;
		const char *rec;
		off = pending_at(&e->side, off, &p, &rec);
	}
	struct judging *jg = xcalloc(count ? count : 1, sizeof(*jg));
	struct strbuf body = STRBUF_INIT, why = STRBUF_INIT, member = STRBUF_INIT, line = STRBUF_INIT;
	/* Every record of the block to the server, tagged by its place, but
	 * those whose answer the --resume journal holds. */
	size_t i = 0;
	for (size_t off = 0; off < e->side.len; i++) {
		struct judging *j = &jg[i];
		struct pending p;
		const char *rec;
		uint64_t at;
		j->off = off;
		strbuf_init(&j->judge);
		off = pending_at(&e->side, off, &p, &rec);
		judge_request(set, rec + p.line_len + p.member_len + p.reasons_len, p.message_len, &body);
		if (set->resume) {
			j->request = hash64(body.buf, body.len, 0);
			if (keymap_get(&set->judged_at, j->request, &at)) {
				const char *raw = set->judged.buf + at;
				j->score = judge_answer(raw, strlen(raw), &j->judge);
				j->state = JUDGE_ANSWERED;
				set->judge_reused++;
				continue;
			}
		}
		set->judge_asked++;
		chat_submit(set->client, i, body.buf, body.len);
	}
	/* The answers as they come; the circuit breaker's stop still takes
	 * those that came. */
	for (int broken = 0; !broken && chat_pending(set->client);) {
		if (chat_run(set->client, 1, &why) < 0) {
			strbuf_addstr(&e->fatal, why.buf);
			e->stopped = broken = 1;
		}
		struct chat_done d;
		while (chat_take(set->client, &d)) {
			struct judging *j = &jg[d.tag];
			struct json_value first, content;
			if (d.ok && chat_first_choice(d.body.buf, d.body.len, &first, &content)) {
				j->score = judge_answer(content.p, content.len, &j->judge);
				j->state = JUDGE_ANSWERED;
				if (set->resume)
					journal_judgement(set, &e->side, j, &line);
			} else {
				j->score = NAN;
				j->state = JUDGE_FAILED;
				memcpy(j->error, d.error, sizeof(j->error));
				strbuf_addstr(&j->judge, "{\"score\":null,\"error\":");
				json_add_cstr(&j->judge, d.error);
				strbuf_addc(&j->judge, '}');
			}
			strbuf_release(&d.body);
		}
	}
	for (i = 0; !e->stopped && i < count; i++) {
		struct judging *j = &jg[i];
		struct pending p;
		const char *rec;
		pending_at(&e->side, j->off, &p, &rec);
		const char *qm = rec + p.line_len, *reasons = qm + p.member_len,
			   *key = reasons + p.reasons_len + p.message_len, *file = key + p.key_len;
		double score = j->score;
		if (j->state == JUDGE_FAILED) {
			set->judge_failed_requests++;
			strbuf_addf(&e->warnings, "%.*s:%llu: the judge failed: %s\n", (int)p.file_len, file,
				    (unsigned long long)p.lineno, j->error);
		}
		/* The judge's bounds, then the whole member. */
		int failed = p.failed;
		strbuf_reset(&member);
		strbuf_add(&member, reasons, p.reasons_len);
		for (int k = 0; k < 2 && !isnan(score); k++) {
			double b = k ? set->max[S_JUDGE] : set->min[S_JUDGE];
			if (isnan(b) || (k ? score <= b : score >= b))
				continue;
			strbuf_addf(&member, "%s\"%s_judge\"", failed ? "," : "", k ? "max" : "min");
			failed++;
			set->judge_fail[k]++;
		}
		struct strbuf q = STRBUF_INIT;
		strbuf_add(&q, qm, p.member_len);
		strbuf_addstr(&q, ",\"judge\":");
		strbuf_add(&q, j->judge.buf, j->judge.len);
		strbuf_addstr(&q, failed ? ",\"pass\":false,\"reasons\":[" : ",\"pass\":true,\"reasons\":[");
		strbuf_add(&q, member.buf, member.len);
		strbuf_addstr(&q, "]}");
		json_set_member(&line, rec, p.line_len, "quality", q.buf, q.len);
		strbuf_release(&q);
		set->judge_passed += !failed;
		struct strbuf fname = STRBUF_INIT;
		strbuf_add(&fname, file, p.file_len);
		if (failed && set->filter) {
			struct record r = { line.buf, line.len, fname.buf, p.lineno, { 0 }, 0 };
			emit_reject(e, &r, "quality");
		} else if (set->best_of) {
			double rank = set->rank_signal == S_JUDGE ? score : p.rank;
			if (isnan(rank))
				rank = -INFINITY;
			else if (set->rank_signal == S_JUDGE && set->rank_low)
				rank = -rank;
			struct cand c = { rank, p.lineno, p.key_len, line.len, p.file_len };
			group_add(set, e, c, key, line.buf, fname.buf);
		} else {
			emit_line(e, line.buf, line.len);
		}
		strbuf_release(&fname);
	}
	for (i = 0; i < count; i++)
		strbuf_release(&jg[i].judge);
	free(jg);
	strbuf_release(&why);
	strbuf_release(&member);
	strbuf_release(&line);
	strbuf_release(&body);
}

static void best_of_finish(void *arg, struct emit *e)
{
	close_group(arg, e);
}

static void *worker_new(void *arg)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	w->set = arg;
	w->q = quality_scratch_new();
	strbuf_init(&w->text);
	strbuf_init(&w->prompt);
	strbuf_init(&w->member);
	strbuf_init(&w->line);
	strbuf_init(&w->reasons);
	w->md = pcre2_match_data_create(2, NULL);
	w->fail_rule = xcalloc(w->set->rules.n ? w->set->rules.n : 1, sizeof(*w->fail_rule));
	if (w->set->tokenizer)
		w->tokens = tokenizer_run_new(w->set->tokenizer);
	return w;
}

static void worker_free(void *arg)
{
	struct worker *w = arg;
	quality_scratch_free(w->q);
	strbuf_release(&w->text);
	strbuf_release(&w->prompt);
	strbuf_release(&w->member);
	strbuf_release(&w->line);
	strbuf_release(&w->reasons);
	free(w->ids);
	free(w->fail_rule);
	pcre2_match_data_free(w->md);
	tokenizer_run_free(w->tokens);
	free(w);
}

/* The most a value of put_value() takes: 16 digits, a point and 4. */
#define VALUE_MAX 24

/* A signal as written: integers as they are, fractions to 4 decimals
 * without trailing zeros, at p; returns the end. NULL for a value that
 * is negative or too large for that, which json_add_double() writes
 * (the signals are never negative). */
static char *put_value(char *p, double v)
{
	if (isnan(v)) {
		memcpy(p, "null", 4);
		return p + 4;
	}
	/* Most signals are counts, and many are 0. */
	if (v == 0) {
		*p = '0';
		return p + 1;
	}
	if (v >= 0 && v <= 9e11 && v == (double)(uint64_t)v)
		return json_put_u64(p, (uint64_t)v);
	double scaled = v * 1e4;
	if (v < 0 || scaled > 9e15)
		return NULL;
	/* round(scaled), halves away from zero: scaled - k is exact for
	 * k = trunc(scaled) below 2^53. */
	uint64_t k = (uint64_t)scaled;
	k += scaled - (double)k >= 0.5;
	uint64_t whole = k / 10000;
	unsigned frac = (unsigned)(k % 10000);
	p = json_put_u64(p, whole);
	if (frac) {
		char d[5] = { '.', (char)('0' + frac / 1000), (char)('0' + frac / 100 % 10),
			      (char)('0' + frac / 10 % 10), (char)('0' + frac % 10) };
		size_t len = 5;
		while (d[len - 1] == '0')
			len--;
		memcpy(p, d, len);
		p += len;
	}
	return p;
}

static void add_value(struct strbuf *sb, double v)
{
	strbuf_grow(sb, VALUE_MAX);
	char *end = put_value(sb->buf + sb->len, v);
	if (end)
		strbuf_setlen(sb, (size_t)(end - sb->buf));
	else
		json_add_double(sb, v);
}

/* --lang LIST: language codes as CLD2 writes them ("en", "zh-Hant",
 * "und"), separated by commas; repeatable, the lists adding up. */
static void parse_langs(struct settings *set, const char *arg)
{
	for (const char *c = arg;; c++) {
		size_t len = strcspn(c, ",");
		int ok = len >= 2 && len <= 15;
		for (size_t k = 0; k < len; k++)
			ok &= (c[k] >= 'a' && c[k] <= 'z') || (c[k] >= 'A' && c[k] <= 'Z') || c[k] == '-';
		if (!ok)
			usage_error("--lang %s: '%.*s' is no language code (write en,de,zh-Hant)", arg,
				    (int)len, c);
		c += len;
		if (!*c)
			break;
	}
	set->langs = xreallocarray(set->langs, set->nlangs + 1, sizeof(*set->langs));
	set->langs[set->nlangs++] = arg;
	set->langid = 1;
}

/* Is lang one of the codes of --lang? */
static int lang_listed(const struct settings *set, const char *lang)
{
	size_t n = strlen(lang);
	for (size_t i = 0; i < set->nlangs; i++)
		for (const char *c = set->langs[i];; c++) {
			size_t len = strcspn(c, ",");
			if (len == n && !memcmp(c, lang, n))
				return 1;
			c += len;
			if (!*c)
				break;
		}
	return 0;
}

/* The signals of lib/quality as members "name":value, written in place
 * into room made once: this is most of what a record's output costs
 * beyond its line. */
static void add_signals(struct strbuf *m, const struct settings *set, const double *v)
{
	strbuf_grow(m, Q_COUNT * (sizeof(set->keys[0]) + VALUE_MAX));
	char *p = m->buf + m->len;
	for (int i = 0; i < Q_COUNT; i++) {
		/* The whole array: a copy of fixed size costs less. */
		memcpy(p, set->keys[i], sizeof(set->keys[i]));
		p += set->key_len[i];
		char *end = put_value(p, v[i]);
		if (!end) {
			strbuf_setlen(m, (size_t)(p - m->buf));
			add_value(m, v[i]);
			strbuf_grow(m, (size_t)(Q_COUNT - i) * (sizeof(set->keys[0]) + VALUE_MAX));
			end = m->buf + m->len;
		}
		p = end;
	}
	strbuf_setlen(m, (size_t)(p - m->buf));
}

static void process(void *arg, const struct record *r, struct emit *e)
{
	struct worker *w = arg;
	const struct settings *set = w->set;
	const char *text;
	size_t len;
	if (record_text(r, e, &w->text, &text, &len) < 0)
		return;
	struct json_value pv;
	const char *prompt = NULL;
	size_t plen = 0;
	if (json_get(r->line, r->len, "prompt", &pv) && pv.type == JSON_STRING) {
		strbuf_reset(&w->prompt);
		json_decode_string(&pv, &w->prompt);
		prompt = w->prompt.buf;
		plen = w->prompt.len;
	}
	double v[S_COUNT];
	quality_compute(text, len, prompt, plen, w->q, v);
	v[S_PERPLEXITY] = set->lm_path ? ngram_perplexity(&set->lm, text, len, &w->ids, &w->ids_cap) : NAN;
	v[S_PENALTY] = NAN;
	v[S_JUDGE] = NAN;	/* known on the ordered stage */
	struct langid lang;
	v[S_LANG_SCORE] = NAN;
	if (set->langid) {
		langid_detect(text, len, &lang);
		v[S_LANG_SCORE] = lang.score;
	}
	v[S_TOKENS] = w->tokens ? (double)tokenizer_count(w->tokens, text, len) : NAN;
	struct strbuf *m = &w->member;
	strbuf_reset(m);
	strbuf_addc(m, '{');
	add_signals(m, set, v);
	if (w->tokens) {
		strbuf_addstr(m, ",\"tokens\":");
		add_value(m, v[S_TOKENS]);
	}
	if (set->lm_path) {
		strbuf_addstr(m, ",\"perplexity\":");
		add_value(m, v[S_PERPLEXITY]);
	}
	if (set->langid) {
		strbuf_addstr(m, ",\"lang\":");
		json_add_cstr(m, lang.lang);
		strbuf_addstr(m, ",\"lang_score\":");
		add_value(m, v[S_LANG_SCORE]);
		strbuf_addstr(m, ",\"script\":");
		json_add_cstr(m, lang.script);
	}
	/* The rules failed: the reject rules that matched, then the bounds
	 * in the order of the signals. */
	struct strbuf *reasons = &w->reasons;
	strbuf_reset(reasons);
	int failed = 0;
	if (set->rules.n) {
		apply_rules(set, w, r, e, text, len, m, &v[S_PENALTY], &failed);
		strbuf_addstr(m, ",\"penalty\":");
		add_value(m, v[S_PENALTY]);
	}
	for (int i = 0; i < S_COUNT; i++) {
		if (isnan(v[i]))
			continue;
		for (int k = 0; k < 2; k++) {
			double b = k ? set->max[i] : set->min[i];
			if (isnan(b) || (k ? v[i] <= b : v[i] >= b))
				continue;
			strbuf_addf(reasons, "%s\"%s_%s\"", failed ? "," : "", k ? "max" : "min",
				    signal_name(i));
			failed++;
			if (k)
				w->fail_max[i]++;
			else
				w->fail_min[i]++;
		}
	}
	if (set->nlangs && !lang_listed(set, lang.lang)) {
		strbuf_addf(reasons, "%s\"lang\"", failed ? "," : "");
		failed++;
		w->fail_lang++;
	}
	if (set->judge) {
		/* The judge's answer decides the rest on the ordered stage. */
		strbuf_reset(&w->line);
		strbuf_addstr(&w->line, set->rubric.buf);
		if (prompt) {
			strbuf_addstr(&w->line, "\n\nTask:\n");
			strbuf_add(&w->line, prompt, plen);
		}
		strbuf_addstr(&w->line, "\n\nText:\n");
		strbuf_add(&w->line, text, len);
		struct strbuf msg = STRBUF_INIT;
		json_add_string(&msg, w->line.buf, w->line.len);
		struct json_value kv;
		const char *key = "null";
		size_t klen = 4;
		if (set->best_of && json_get(r->line, r->len, set->best_of, &kv)) {
			key = kv.p;
			klen = kv.len;
		}
		double rank = set->best_of && set->rank_signal != S_JUDGE ? v[set->rank_signal] : NAN;
		if (!isnan(rank) && set->rank_low)
			rank = -rank;
		struct pending pd = { r->lineno, failed, rank, r->len, m->len, reasons->len, msg.len, klen,
				      strlen(r->file) };
		strbuf_add(&e->side, &pd, sizeof(pd));
		strbuf_add(&e->side, r->line, r->len);
		strbuf_add(&e->side, m->buf, m->len);
		strbuf_add(&e->side, reasons->buf, reasons->len);
		strbuf_add(&e->side, msg.buf, msg.len);
		strbuf_add(&e->side, key, klen);
		strbuf_add(&e->side, r->file, pd.file_len);
		strbuf_release(&msg);
		return;
	}
	w->passed += !failed;
	strbuf_addstr(m, failed ? ",\"pass\":false,\"reasons\":[" : ",\"pass\":true,\"reasons\":[");
	strbuf_add(m, reasons->buf, reasons->len);
	strbuf_addstr(m, "]}");
	json_set_member(&w->line, r->line, r->len, "quality", m->buf, m->len);
	if (failed && set->filter) {
		struct record edited = *r;
		edited.line = w->line.buf;
		edited.len = w->line.len;
		emit_reject(e, &edited, "quality");
		return;
	}
	if (set->best_of) {
		/* For the ordered stage: rank, position, key and line. */
		struct json_value kv;
		const char *key = "null";
		size_t klen = 4;
		if (json_get(r->line, r->len, set->best_of, &kv)) {
			key = kv.p;
			klen = kv.len;
		}
		double rank = v[set->rank_signal];
		if (isnan(rank))
			rank = -INFINITY;
		else if (set->rank_low)
			rank = -rank;
		struct cand c = { rank, r->lineno, klen, w->line.len, strlen(r->file) };
		strbuf_add(&e->side, &c, sizeof(c));
		strbuf_add(&e->side, key, klen);
		strbuf_add(&e->side, w->line.buf, w->line.len);
		strbuf_add(&e->side, r->file, c.file_len);
		return;
	}
	if (set->annotate)
		emit_line(e, w->line.buf, w->line.len);
	else
		emit_record(e, r);
}

/* NAME=V of --min and --max. */
static void parse_bound(const char *opt, const char *arg, double *bounds)
{
	const char *eq = strchr(arg, '=');
	int i = eq ? quality_find(arg, (size_t)(eq - arg)) : -1;
	if (eq && i < 0 && eq - arg == 10 && !memcmp(arg, "perplexity", 10))
		i = S_PERPLEXITY;
	if (eq && i < 0 && eq - arg == 7 && !memcmp(arg, "penalty", 7))
		i = S_PENALTY;
	if (eq && i < 0 && eq - arg == 5 && !memcmp(arg, "judge", 5))
		i = S_JUDGE;
	if (eq && i < 0 && eq - arg == 10 && !memcmp(arg, "lang_score", 10))
		i = S_LANG_SCORE;
	if (eq && i < 0 && eq - arg == 6 && !memcmp(arg, "tokens", 6))
		i = S_TOKENS;
	if (!eq)
		usage_error("%s %s: write NAME=VALUE", opt, arg);
	if (i < 0)
		usage_error("%s %s: no signal is called '%.*s'", opt, arg, (int)(eq - arg), arg);
	bounds[i] = cli_double(opt, eq + 1, -1e300, 1e300);
}

static void add_preset(struct settings *set, const char *name)
{
	int found = 0;
	for (size_t i = 0; i < sizeof(presets) / sizeof(*presets); i++) {
		if (strcmp(presets[i].preset, name))
			continue;
		found = 1;
		const struct bound *b = &presets[i];
		/* Presets combine: the stricter bound wins. */
		if (!isnan(b->min) && (isnan(set->min[b->signal]) || b->min > set->min[b->signal]))
			set->min[b->signal] = b->min;
		if (!isnan(b->max) && (isnan(set->max[b->signal]) || b->max < set->max[b->signal]))
			set->max[b->signal] = b->max;
	}
	if (!found)
		usage_error("--preset: '%s' is not one of gopher, c4, fineweb or synthetic", name);
}

int main(int argc, char **argv)
{
	struct settings set = {
		.annotate = 1,
		.chat = { .concurrency = 16, .retries = 5, .timeout = 300, .backoff = 0.5,
			  .backoff_max = 30, .breaker_seconds = 60 },
	};
	for (int i = 0; i < S_COUNT; i++)
		set.min[i] = set.max[i] = NAN;
	const char **mins = xcalloc((size_t)argc, sizeof(*mins));
	const char **maxs = xcalloc((size_t)argc, sizeof(*maxs));
	size_t nmin = 0, nmax = 0;
	const char *arg;
	int key;
	diag_init("synth-score");
	cli_common_init(&set.common);
	while ((key = cli_next(argc, argv, &program, &set.common, &arg)) != -1) {
		switch (key) {
		case KEY_PRESET: add_preset(&set, arg); break;
		case KEY_MIN: mins[nmin++] = arg; break;
		case KEY_MAX: maxs[nmax++] = arg; break;
		case KEY_FILTER: set.filter = 1; break;
		case KEY_NO_ANNOTATE: set.annotate = 0; break;
		case KEY_LM: set.lm_path = arg; break;
		case KEY_RULES: set.rules_path = arg; break;
		case KEY_BEST_OF:
			if (!*arg)
				usage_error("empty field name for --best-of");
			set.best_of = arg;
			break;
		case KEY_RANK_BY: set.rank_by = arg; break;
		case KEY_PAIRS: set.pairs = 1; break;
		case KEY_JUDGE: set.judge = arg; break;
		case KEY_MODEL: set.model = arg; break;
		case KEY_RUBRIC: set.rubric_file = arg; break;
		case KEY_CONCURRENCY:
			set.chat.concurrency = (unsigned)cli_u64("--concurrency", arg, 1, 4096);
			break;
		case KEY_RETRIES: set.chat.retries = (unsigned)cli_u64("--retries", arg, 0, 100); break;
		case KEY_TIMEOUT: set.chat.timeout = cli_double("--timeout", arg, 0.001, 86400); break;
		case KEY_RESUME: set.resume = 1; break;
		case KEY_LANG_ID: set.langid = 1; break;
		case KEY_TOKENIZER: set.tokenizer_path = arg; break;
		case KEY_LANG: parse_langs(&set, arg); break;
		default: BUG("option %d", key);
		}
	}
	if (!set.annotate && !set.filter)
		usage_error("--no-annotate writes records unchanged only with --filter");
	if (!set.judge && (set.model || set.rubric_file))
		usage_error("--model and --rubric go with --judge URL");
	if (set.judge && !set.model)
		usage_error("--judge needs --model NAME");
	if (set.resume && !set.judge)
		usage_error("--resume goes with --judge URL");
	if (set.resume && (!set.common.output || !strcmp(set.common.output, "-")))
		usage_error("--resume needs -o FILE");
	{
		struct strbuf journal = STRBUF_INIT;
		if (set.resume)
			strbuf_addf(&journal, "%s.partial", set.common.output);
		struct cli_file named[] = {
			{ "-o", set.common.output }, { "--rejects", set.common.rejects },
			{ "--resume's journal", set.resume ? journal.buf : NULL },
		};
		cli_distinct_files(named, sizeof(named) / sizeof(*named));
		strbuf_release(&journal);
	}
	if ((set.rank_by || set.pairs) && !set.best_of)
		usage_error("--rank-by and --pairs go with --best-of FIELD");
	if (set.best_of) {
		if (!set.rank_by)
			usage_error("--best-of needs --rank-by SIGNAL");
		if (!set.annotate)
			usage_error("--best-of writes the records it keeps with their signals");
		const char *name = set.rank_by + (set.rank_by[0] == '-');
		set.rank_low = set.rank_by[0] == '-';
		set.rank_signal = quality_find(name, strlen(name));
		if (!strcmp(name, "perplexity"))
			set.rank_signal = S_PERPLEXITY;
		if (!strcmp(name, "penalty"))
			set.rank_signal = S_PENALTY;
		if (!strcmp(name, "judge"))
			set.rank_signal = S_JUDGE;
		if (!strcmp(name, "lang_score"))
			set.rank_signal = S_LANG_SCORE;
		if (!strcmp(name, "tokens"))
			set.rank_signal = S_TOKENS;
		if (set.rank_signal < 0)
			usage_error("--rank-by: no signal is called '%s'", name);
	}
	/* --min and --max override the presets, whatever their order. */
	for (size_t i = 0; i < nmin; i++)
		parse_bound("--min", mins[i], set.min);
	for (size_t i = 0; i < nmax; i++)
		parse_bound("--max", maxs[i], set.max);
	free(mins);
	free(maxs);
	for (int i = 0; i < Q_COUNT; i++)
		set.key_len[i] = (size_t)snprintf(set.keys[i], sizeof(set.keys[i]), "%s\"%s\":",
						  i ? "," : "", quality_names[i]);
	if (!set.lm_path && (!isnan(set.min[S_PERPLEXITY]) || !isnan(set.max[S_PERPLEXITY])))
		usage_error("a bound on perplexity needs --lm MODEL");
	if (!set.rules_path && (!isnan(set.min[S_PENALTY]) || !isnan(set.max[S_PENALTY])))
		usage_error("a bound on penalty needs --rules FILE");
	if (!set.judge && (!isnan(set.min[S_JUDGE]) || !isnan(set.max[S_JUDGE])))
		usage_error("a bound on judge needs --judge URL");
	if (!set.langid && (!isnan(set.min[S_LANG_SCORE]) || !isnan(set.max[S_LANG_SCORE]) ||
			    (set.best_of && set.rank_signal == S_LANG_SCORE)))
		usage_error("lang_score needs --lang-id or --lang LIST");
	if (!set.tokenizer_path && (!isnan(set.min[S_TOKENS]) || !isnan(set.max[S_TOKENS]) ||
				    (set.best_of && set.rank_signal == S_TOKENS)))
		usage_error("a bound on tokens needs --tokenizer FILE");
	if (set.tokenizer_path)
		set.tokenizer = tokenizer_load_or_die(set.tokenizer_path);
	if (set.lm_path && ngram_load(&set.lm, set.lm_path) < 0)
		return 1;
	if (set.rules_path)
		load_rules(&set);
	strbuf_init(&set.rubric);
	if (set.judge) {
		if (set.rubric_file) {
			if (file_slurp(set.rubric_file, &set.rubric) < 0)
				die_errno("%s", set.rubric_file);
			while (set.rubric.len && set.rubric.buf[set.rubric.len - 1] == '\n')
				strbuf_setlen(&set.rubric, set.rubric.len - 1);
			if (!utf8_valid(set.rubric.buf, set.rubric.len) || memchr(set.rubric.buf, 0, set.rubric.len))
				die("%s: not UTF-8 text", set.rubric_file);
		} else {
			strbuf_addstr(&set.rubric, default_rubric);
		}
		const char *api_key = getenv("SYNTH_API_KEY");
		set.chat.url = set.judge;
		set.chat.api_key = api_key && *api_key ? api_key : NULL;
		set.chat.seed = set.common.seed;
		set.client = chat_new(&set.chat);
	}
	/* The judgements a stopped run kept, before any request. */
	struct strbuf journal_name = STRBUF_INIT;
	keymap_init(&set.judged_at);
	strbuf_init(&set.judged);
	struct file_lock lock = FILE_LOCK_INIT;
	if (file_lock_rewritten(set.common.output, argv + optind, argc - optind,
				set.common.wait_lock) < 0)
		diag_exit(1);
	if (set.resume) {
		strbuf_addf(&journal_name, "%s.partial", set.common.output);
		set.journal_name = journal_name.buf;
		/* The journal is read back and added to: one run at a time,
		 * locked on the -o file. */
		if (file_lock(&lock, set.common.output, set.common.wait_lock) < 0 ||
		    journal_open(&set.journal, journal_name.buf, journal_line, &set) < 0)
			diag_exit(1);
		if (set.journal.lines)
			info("--resume: %llu judgements already in %s", (unsigned long long)set.journal.lines,
			     journal_name.buf);
	}

	struct record_loop rl = {
		.common = &set.common, .files = argv + optind, .nfiles = argc - optind,
		.write_records = 1, .worker_new = worker_new, .process = process, .arg = &set,
		.ordered = set.judge ? judge_ordered : set.best_of ? best_of_ordered : NULL,
		.finish = set.best_of ? best_of_finish : NULL, .phase = "scoring",
	};
	strbuf_init(&set.group.key);
	strbuf_init(&set.group.lines);
	strbuf_init(&set.group.files);
	int rc = record_loop_run(&rl);
	record_loop_summary(&rl);
	/* How many records each rule failed, for -v. */
	uint64_t passed = 0, fails[2][S_COUNT] = { { 0 } };
	passed = set.judge_passed;
	fails[0][S_JUDGE] = set.judge_fail[0];
	fails[1][S_JUDGE] = set.judge_fail[1];
	uint64_t fail_lang = 0;
	for (unsigned t = 0; t < rl.nworkers; t++) {
		const struct worker *w = rl.workers[t];
		passed += w->passed;
		fail_lang += w->fail_lang;
		for (int i = 0; i < S_COUNT; i++) {
			fails[0][i] += w->fail_min[i];
			fails[1][i] += w->fail_max[i];
		}
	}
	/* In the order of a record's reasons: the reject rules, then the
	 * bounds. */
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < set.rules.n; i++) {
		uint64_t n = 0;
		for (unsigned t = 0; t < rl.nworkers; t++)
			n += ((const struct worker *)rl.workers[t])->fail_rule[i];
		if (n)
			strbuf_addf(&sb, "%srule_%s %llu", sb.len ? ", " : "", set.rules.rule[i].name,
				    (unsigned long long)n);
	}
	for (int i = 0; i < S_COUNT; i++)
		for (int k = 0; k < 2; k++)
			if (fails[k][i])
				strbuf_addf(&sb, "%s%s_%s %llu", sb.len ? ", " : "", k ? "max" : "min",
					    signal_name(i), (unsigned long long)fails[k][i]);
	if (fail_lang)
		strbuf_addf(&sb, "%slang %llu", sb.len ? ", " : "", (unsigned long long)fail_lang);
	info("%llu passed; failed: %s", (unsigned long long)passed, sb.len ? sb.buf : "none");
	if (set.pairs)
		info("--pairs: %llu groups, %llu pairs; skipped %llu of one record and %llu ties",
		     (unsigned long long)set.groups, (unsigned long long)set.pairs_written,
		     (unsigned long long)set.singles, (unsigned long long)set.ties);
	else if (set.best_of)
		info("--best-of: %llu groups, the best of each kept", (unsigned long long)set.groups);
	if (set.judge_failed_requests) {
		error("the judge failed on %llu record%s; their judge scores are null",
		      (unsigned long long)set.judge_failed_requests,
		      set.judge_failed_requests == 1 ? "" : "s");
		rc = rc ? rc : 1;
	}
	if (set.resume) {
		info("--resume: %llu judgements taken from %s, %llu asked of the judge",
		     (unsigned long long)set.judge_reused, journal_name.buf,
		     (unsigned long long)set.judge_asked);
		if (set.journal_failed)
			rc = rc ? rc : 1;
		/* Every record judged and written: the output holds what the
		 * journal did. */
		if (!rc || !set.journal.lines) {
			if (journal_remove(&set.journal) < 0)
				rc = rc ? rc : 1;
		} else if (journal_close(&set.journal) < 0) {
			rc = rc ? rc : 1;
		} else {
			error("%s keeps %llu judgement%s; run the same command again to finish",
			      journal_name.buf, (unsigned long long)set.journal.lines,
			      set.journal.lines == 1 ? "" : "s");
		}
		journal_release(&set.journal);
	}
	file_unlock(&lock);
	keymap_release(&set.judged_at);
	strbuf_release(&set.judged);
	strbuf_release(&journal_name);
	chat_free(set.client);
	strbuf_release(&set.rubric);
	strbuf_release(&set.group.key);
	strbuf_release(&set.group.lines);
	strbuf_release(&set.group.files);
	free(set.group.m);
	strbuf_release(&sb);
	record_loop_release(&rl, worker_free);
	if (set.lm_path)
		ngram_release(&set.lm);
	rules_release(&set.rules);
	pcre2_match_context_free(set.mctx);
	free(set.langs);
	tokenizer_free(set.tokenizer);
	return rc == 2 ? 1 : rc;
}
