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
#include "chat_cli.h"
#include "cli.h"
#include "diag.h"
#include "file_lock.h"
#include "hash.h"
#include "journal.h"
#include "judge_score.h"
#include "json.h"
#include "json_schema.h"
#include "keymap.h"
#include "langid.h"
#include "llm_stage.h"
#include "ngram.h"
#include "quality.h"
#include "records.h"
#include "rules.h"
#include "tokenizer.h"
#include "strbuf.h"
#include "verify.h"

enum {
	KEY_PRESET = KEY_PROGRAM, KEY_MIN, KEY_MAX, KEY_FILTER, KEY_NO_ANNOTATE, KEY_LM, KEY_RULES,
	KEY_BEST_OF, KEY_RANK_BY, KEY_PAIRS, KEY_JUDGE, KEY_MODEL, KEY_RUBRIC,
	KEY_RESUME, KEY_JUDGE_TEMPERATURE, KEY_JUDGE_MAX_TOKENS, KEY_LANG_ID, KEY_LANG, KEY_LANG_OF,
	KEY_SCHEMA, KEY_VERIFY, KEY_VERIFY_TIMEOUT, KEY_VERIFY_MEMORY, KEY_VERIFY_FILE_SIZE, KEY_VERIFY_PROCS, KEY_TOKENIZER
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
	{ "schema", KEY_SCHEMA, "FILE", "the text must be JSON valid under the JSON Schema in FILE" },
	{ "verify", KEY_VERIFY, "COMMAND", "run COMMAND on each record; it must exit 0 (sandboxed)" },
	{ "verify-timeout", KEY_VERIFY_TIMEOUT, "SECONDS", "kill a --verify command after SECONDS (default: 10)" },
	{ "verify-memory", KEY_VERIFY_MEMORY, "SIZE", "a --verify command's address space (default: 1G; 0: no limit)" },
	{ "verify-file-size", KEY_VERIFY_FILE_SIZE, "SIZE", "the most a --verify command may write (default: 64M)" },
	{ "verify-procs", KEY_VERIFY_PROCS, "N", "processes a --verify command may run at once (default: 64)" },
	{ "tokenizer", KEY_TOKENIZER, "FILE", "add the signal tokens: " TOKENIZER_OPTION_HELP },
	{ "lang-id", KEY_LANG_ID, NULL, "add each record's language, its share and its script (CLD2)" },
	{ "lang", KEY_LANG, "LIST", "a record fails unless its language is in LIST (en,de,...)" },
	{ "lang-of", KEY_LANG_OF, "FIELD", "each record's language is the code in member FIELD, not CLD2's" },
	{ "best-of", KEY_BEST_OF, "FIELD", "of consecutive records with one value of FIELD, keep the best" },
	{ "rank-by", KEY_RANK_BY, "NAME", "best-of ranks by signal NAME, highest first; -NAME: lowest first" },
	{ "pairs", KEY_PAIRS, NULL, "with --best-of, write a chosen/rejected pair per group instead" },
	{ "judge", KEY_JUDGE, "URL", "grade each record with an OpenAI-compatible server" },
	{ "model", KEY_MODEL, "NAME", "the judge's model" },
	{ "rubric", KEY_RUBRIC, "FILE", "the judge's rubric (default: an additive 5-point scale)" },
	{ "judge-temperature", KEY_JUDGE_TEMPERATURE, "T", "the judge samples at temperature T (default: 0)" },
	{ "judge-max-tokens", KEY_JUDGE_MAX_TOKENS, "N", "the judge writes N tokens at most (default: the server's)" },
	CHAT_OPT_CONCURRENCY("judge: "),
	CHAT_OPT_RETRIES("judge: "),
	CHAT_OPT_TIMEOUT("judge: "),
	CHAT_OPT_BACKOFF("judge: "),
	CHAT_OPT_BREAKER("judge: "),
	CHAT_OPT_WAIT_READY("judge: "),
	CHAT_OPT_PROBE("judge: "),
	CHAT_OPT_MAX_RETRY_AFTER("judge: "),
	CHAT_OPT_MAX_RESPONSE("judge: "),
	CHAT_OPT_USAGE("judge: "),
	CHAT_OPT_BUDGET("judge: "),
	CHAT_OPT_PARAM("judge: "),
	CHAT_OPT_PRICE("judge: "),
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

/* Bounds of a preset for the records in one language (a code of
 * quality_lang_codes): each replaces the preset's bound on that signal
 * there. */
static const struct lang_bound {
	const char *preset, *lang;
	enum quality_signal signal;
	double min, max;
} lang_presets[] = {
	/* Gopher's, after the manner of FineWeb-2 (Penedo et al. 2025),
	 * which sets such bounds for each language from its own text; our
	 * values, from the Debian package descriptions of bench/: words
	 * are longer in German, Dutch and the Slavic languages, so the
	 * maximum mean length is Gopher's 10 times the language's median
	 * over English's (5.65), rounded: German 7.20, Dutch 6.32, Russian
	 * 6.87, Polish 6.73, Ukrainian 6.62. Chinese and Japanese count
	 * the words of ICU's dictionaries (quality.h): the bounds on words
	 * are Gopher's times the median ratio of those words to the English
	 * words of the same package's description (1.12 for Chinese, 1.35
	 * for Japanese, on 994 and 5,618 pairs), rounded, and their mean
	 * length (medians 2.25 and 2.50) is FineWeb-2's 1 to 5, whose 5 is
	 * as far above their 99th percentiles (3.66, 3.61) as 10 is above
	 * English's (7.70). */
	{ "gopher", "de", Q_MEAN_WORD_LENGTH, 3, 13 },
	{ "gopher", "nl", Q_MEAN_WORD_LENGTH, 3, 11 },
	{ "gopher", "ru", Q_MEAN_WORD_LENGTH, 3, 12 },
	{ "gopher", "pl", Q_MEAN_WORD_LENGTH, 3, 12 },
	{ "gopher", "uk", Q_MEAN_WORD_LENGTH, 3, 12 },
	{ "gopher", "zh", Q_MEAN_WORD_LENGTH, 1, 5 },
	{ "gopher", "ja", Q_MEAN_WORD_LENGTH, 1, 5 },
	{ "gopher", "zh", Q_WORDS, 56, 112000 },
	{ "gopher", "ja", Q_WORDS, 67, 135000 },
	/* Chinese and Japanese words as gopher's. */
	{ "synthetic", "zh", Q_WORDS, 6, NONE },
	{ "synthetic", "ja", Q_WORDS, 7, NONE },
};

/* The signals synth-score adds to lib/quality's: perplexity (--lm), the
 * rules' penalty (--rules), the judge's score, the share of the text
 * in its language (--lang-id), whether the text is JSON and valid under
 * --schema, whether --verify's command passed it, and its tokens
 * (--tokenizer). */
enum { S_PERPLEXITY = Q_COUNT, S_PENALTY, S_JUDGE, S_LANG_SCORE, S_JSON_VALID, S_SCHEMA_VALID,
       S_VERIFIED, S_TOKENS, S_COUNT };

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
	double judge_temperature;	/* sent with every request */
	uint64_t judge_max_tokens;	/* 0: not sent */
	struct strbuf rubric;
	struct chat_cli chat;
	struct llm_stage *stage;	/* --judge */
	uint64_t judge_passed, judge_failed_requests, judge_fail[2];
	/* --resume: the journal FILE.partial is the stage's. */
	int resume;
	uint64_t judge_reused, judge_asked;
	const char *best_of, *rank_by;
	int rank_signal, rank_low, pairs;
	struct group group;
	uint64_t groups, pairs_written, singles, ties;
	struct keymap group_keys;	/* the hashes of the groups' keys seen */
	uint64_t returned, no_key;	/* groups that came back; records without the field */
	const char *lm_path, *rules_path;
	struct rules rules;
	pcre2_match_context *mctx;
	struct ngram_model lm;
	char keys[Q_COUNT][40];	/* ",\"name\":" of each signal, the first without ',' */
	size_t key_len[Q_COUNT];
	double min[S_COUNT], max[S_COUNT];
	/* The bounds on lib/quality's signals for records in each language
	 * of quality_lang_codes: min and max, with the presets' own bounds
	 * for that language. */
	double lang_min[QL_COUNT][Q_COUNT], lang_max[QL_COUNT][Q_COUNT];
	int filter, annotate;
	const char *lang_of;	/* --lang-of FIELD */
	int by_lang;		/* signals per language: a bound on one that follows it */
	int langid;		/* --lang-id, or --lang: every record's language, written */
	const char **langs;	/* the lists of --lang, as given */
	size_t nlangs;
	const char *schema_path;
	struct json_schema *schema;	/* --schema */
	struct verify_config verify;	/* --verify */
	struct verifier *verifier;
	unsigned verify_slots;		/* workers made so far */
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
	struct json_schema_check check;	/* --schema */
	struct verify_result verified;	/* --verify */
	unsigned slot;
	struct tokenizer_run *tokens;	/* --tokenizer */
};

static const char *signal_name(int i)
{
	return i == S_PERPLEXITY ? "perplexity" : i == S_PENALTY ? "penalty" :
	       i == S_JUDGE ? "judge" : i == S_LANG_SCORE ? "lang_score" :
	       i == S_JSON_VALID ? "json_valid" : i == S_SCHEMA_VALID ? "schema_valid" :
	       i == S_VERIFIED ? "verified" : i == S_TOKENS ? "tokens" : quality_names[i];
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
		if (g->key.len)
			strbuf_add(&out, g->key.buf, g->key.len);
		else
			strbuf_addstr(&out, "null");
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
		/* A record without the field (an empty key) is a group of
		 * its own, never one with the others that lack it. */
		if (g->open && (!c.key_len || g->key.len != c.key_len ||
				memcmp(g->key.buf, key, c.key_len)))
			close_group(set, e);
		if (!g->open) {
			g->open = 1;
			g->n = 0;
			strbuf_reset(&g->key);
			strbuf_add(&g->key, key, c.key_len);
			strbuf_reset(&g->lines);
			strbuf_reset(&g->files);
			if (!c.key_len) {
				set->no_key++;
			} else if (!keymap_put(&set->group_keys, hash64(key, c.key_len, 0), 1)) {
				/* A group that came back after another: groups are
				 * runs of consecutive records, so this one is cut
				 * in two. Said once with where, then counted. */
				if (!set->returned++)
					strbuf_addf(&e->warnings, "%s:%llu: --best-of: the group %.*s comes "
						    "back after another group; groups are runs of "
						    "consecutive records (sort the input by %s)\n", file,
						    (unsigned long long)c.lineno,
						    (int)(c.key_len < 60 ? c.key_len : 60), key, set->best_of);
			}
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
 * model, the message, the seed, the temperature and max_tokens. Under
 * --resume its hash is the key of the answer, so that a changed record
 * or rubric is asked again. */
static void judge_request(const struct settings *set, const char *msg, size_t n, struct strbuf *body)
{
	strbuf_reset(body);
	strbuf_addstr(body, "{\"model\":");
	json_add_cstr(body, set->model);
	strbuf_addstr(body, ",\"messages\":[{\"role\":\"user\",\"content\":");
	strbuf_add(body, msg, n);
	strbuf_addstr(body, "}],\"seed\":");
	json_add_u64(body, set->common.seed);
	strbuf_addstr(body, ",\"temperature\":");
	json_add_double(body, set->judge_temperature);
	if (set->judge_max_tokens) {
		strbuf_addstr(body, ",\"max_tokens\":");
		json_add_u64(body, set->judge_max_tokens);
	}
	strbuf_add(body, set->chat.params.buf, set->chat.params.len);
	strbuf_addc(body, '}');
}

/* The judge member of an answer whose content is the JSON string
 * content[0..n): {"score":S,"raw":CONTENT} into *judge. Returns the
 * score. An answer read back from the journal comes here too, and makes
 * the same bytes and the same score as when it came. */
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

/* A record on its way through the judge (lib/llm_stage), with what the
 * worker left for it: the pieces of its pending entry, copied out of
 * the block. */
struct judging {
	struct pending p;
	struct strbuf pieces;	/* line, member, reasons, message, key, file */
	struct strbuf judge;	/* the judge member, once known */
};

static void judging_free(void *arg, void *item)
{
	(void)arg;
	struct judging *j = item;
	strbuf_release(&j->pieces);
	strbuf_release(&j->judge);
	free(j);
}

/* A record's turn: its judgement (the answer d, asked or the journal's)
 * scored, the judge's bounds applied, and the record written, rejected
 * or held for --best-of. */
static void judge_done(void *arg, void *item, struct chat_done *d, struct emit *e)
{
	struct settings *set = arg;
	struct judging *j = item;
	const struct pending *p = &j->p;
	struct strbuf member = STRBUF_INIT, line = STRBUF_INIT;
	double score;
	struct chat_answer a;
	set->judge_reused += d->resumed;
	if (d->outcome == CHAT_ANSWER && chat_answer_read(d->body.buf, d->body.len, &a)) {
		score = judge_answer(a.content.p, a.content.len, &j->judge);
	} else {
		score = NAN;
		strbuf_reset(&j->judge);
		strbuf_addstr(&j->judge, "{\"score\":null,\"error\":");
		json_add_cstr(&j->judge, d->error);
		strbuf_addc(&j->judge, '}');
		set->judge_failed_requests++;
	}
	const char *rec = j->pieces.buf, *qm = rec + p->line_len, *reasons = qm + p->member_len,
		   *key = reasons + p->reasons_len + p->message_len, *file = key + p->key_len;
	struct strbuf fname = STRBUF_INIT;
	strbuf_add(&fname, file, p->file_len);
	if (d->outcome != CHAT_ANSWER)
		warning("%s:%llu: the judge failed: %s", fname.buf, (unsigned long long)p->lineno,
			d->error);
	/* The judge's bounds, then the whole member. A record the judge
	 * gave no score fails every bound on the judge: a bound keeps what
	 * is known to be within it. */
	int failed = p->failed;
	strbuf_add(&member, reasons, p->reasons_len);
	for (int k = 0; k < 2; k++) {
		double b = k ? set->max[S_JUDGE] : set->min[S_JUDGE];
		if (isnan(b) || (!isnan(score) && (k ? score <= b : score >= b)))
			continue;
		strbuf_addf(&member, "%s\"%s_judge\"", failed ? "," : "", k ? "max" : "min");
		failed++;
		set->judge_fail[k]++;
	}
	struct strbuf q = STRBUF_INIT;
	strbuf_add(&q, qm, p->member_len);
	strbuf_addstr(&q, ",\"judge\":");
	strbuf_add(&q, j->judge.buf, j->judge.len);
	strbuf_addstr(&q, failed ? ",\"pass\":false,\"reasons\":[" : ",\"pass\":true,\"reasons\":[");
	strbuf_add(&q, member.buf, member.len);
	strbuf_addstr(&q, "]}");
	json_set_member(&line, rec, p->line_len, "quality", q.buf, q.len);
	strbuf_release(&q);
	set->judge_passed += !failed;
	if (failed && set->filter) {
		struct record r = { line.buf, line.len, fname.buf, p->lineno, { 0 }, 0 };
		emit_reject(e, &r, "quality");
	} else if (set->best_of) {
		double rank = set->rank_signal == S_JUDGE ? score : p->rank;
		if (isnan(rank))
			rank = -INFINITY;
		else if (set->rank_signal == S_JUDGE && set->rank_low)
			rank = -rank;
		struct cand c = { rank, p->lineno, p->key_len, line.len, p->file_len };
		group_add(set, e, c, key, line.buf, fname.buf);
	} else {
		emit_line(e, line.buf, line.len);
	}
	strbuf_release(&d->body);
	strbuf_release(&fname);
	strbuf_release(&member);
	strbuf_release(&line);
	judging_free(NULL, j);
}

/* The judge's window: four times the requests in flight. */
static size_t judge_window(const struct settings *set)
{
	return 4 * (size_t)set->chat.cfg.concurrency;
}

/* A block's records to the judge, in order (those whose answer the
 * --resume journal holds with no request), then the records whose turn
 * came; requests for the next blocks go on while these are written. */
static void judge_ordered(void *arg, struct emit *e)
{
	struct settings *set = arg;
	struct strbuf body = STRBUF_INIT, why = STRBUF_INIT, id = STRBUF_INIT;
	for (size_t off = 0; off < e->side.len;) {
		struct judging *j = xcalloc(1, sizeof(*j));
		const char *rec;
		size_t at = off;
		off = pending_at(&e->side, off, &j->p, &rec);
		strbuf_init(&j->pieces);
		strbuf_init(&j->judge);
		strbuf_add(&j->pieces, rec, off - at - sizeof(j->p));
		const struct pending *p = &j->p;
		judge_request(set, rec + p->line_len + p->member_len + p->reasons_len, p->message_len,
			      &body);
		/* The record's id, for a person reading the journal. */
		const char *file = rec + p->line_len + p->member_len + p->reasons_len + p->message_len +
				   p->key_len;
		char *name = xstrndup(file, p->file_len);
		struct record r = { rec, p->line_len, name, p->lineno, { 0 }, 0 };
		strbuf_reset(&id);
		record_id_json(&r, &set->common, &id);
		free(name);
		if (!llm_stage_add(set->stage, j, body.buf, body.len, id.buf, id.len))
			set->judge_asked++;
	}
	if (!e->stopped && llm_stage_drain(set->stage, judge_window(set), e, &why) < 0) {
		strbuf_addstr(&e->fatal, why.buf);
		e->stopped = 1;
	}
	strbuf_release(&why);
	strbuf_release(&body);
	strbuf_release(&id);
}

/* The requests so far on the progress line. */
static void judge_progress(void *arg, struct strbuf *line)
{
	const struct settings *set = arg;
	llm_stage_progress(set->stage, line);
}

/* After the last block: every judgement, then the last --best-of group. */
static void judge_finish(void *arg, struct emit *e)
{
	struct settings *set = arg;
	struct strbuf why = STRBUF_INIT;
	if (llm_stage_drain(set->stage, 0, e, &why) < 0) {
		strbuf_addstr(&e->fatal, why.buf);
		e->stopped = 1;
	} else if (set->best_of) {
		close_group(set, e);
	}
	strbuf_release(&why);
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
	json_schema_check_init(&w->check);
	verify_result_init(&w->verified);
	w->slot = ((struct settings *)arg)->verify_slots++;
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
	json_schema_check_release(&w->check);
	verify_result_release(&w->verified);
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

/* --- Structured and verified output: --schema and --verify ----------------- */

/* What of a --verify command's standard error goes into its record: the
 * first lines, up to this many bytes. */
#define VERIFY_STDERR_MAX 1024
#define VERIFY_STDERR_LINES 10

/* The signals of --schema and --verify by name, or -1. */
static int checked_signal(const char *name, size_t n)
{
	static const struct { const char *name; int signal; } names[] = {
		{ "json_valid", S_JSON_VALID }, { "schema_valid", S_SCHEMA_VALID }, { "verified", S_VERIFIED },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i].name) == n && !memcmp(names[i].name, name, n))
			return names[i].signal;
	return -1;
}

/* Load --schema and start --verify's sandbox; check their options and
 * bounds, and give each the bound that makes a record fail without it
 * (json_valid, schema_valid and verified at least 1) unless --min or
 * --max set one. Returns 0, or -1 when the run cannot go on (said). */
static int checks_setup(struct settings *set, int verify_options)
{
	if (verify_options && !set->verify.command)
		usage_error("--verify-timeout and the other --verify- options go with --verify COMMAND");
	if (!set->schema_path && (!isnan(set->min[S_JSON_VALID]) || !isnan(set->max[S_JSON_VALID]) ||
				  !isnan(set->min[S_SCHEMA_VALID]) || !isnan(set->max[S_SCHEMA_VALID])))
		usage_error("json_valid and schema_valid need --schema FILE");
	if (!set->verify.command && (!isnan(set->min[S_VERIFIED]) || !isnan(set->max[S_VERIFIED])))
		usage_error("a bound on verified needs --verify COMMAND");
	if (set->best_of && !set->verify.command && set->rank_signal == S_VERIFIED)
		usage_error("--rank-by verified needs --verify COMMAND");
	if (set->best_of && !set->schema_path &&
	    (set->rank_signal == S_JSON_VALID || set->rank_signal == S_SCHEMA_VALID))
		usage_error("--rank-by %s needs --schema FILE", signal_name(set->rank_signal));
	for (int i = S_JSON_VALID; i <= S_VERIFIED; i++)
		if (isnan(set->min[i]) && isnan(set->max[i]))
			set->min[i] = 1;
	if (set->schema_path) {
		struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
		if (file_slurp(set->schema_path, &text) < 0)
			die_errno("%s", set->schema_path);
		set->schema = json_schema_load(text.buf, text.len, JSON_SCHEMA_2020_12, &err);
		strbuf_release(&text);
		if (!set->schema) {
			error("%s: %s", set->schema_path, err.buf);
			strbuf_release(&err);
			return -1;
		}
		strbuf_release(&err);
	}
	if (set->verify.command) {
		struct strbuf err = STRBUF_INIT;
		set->verifier = verifier_new(&set->verify, &err);
		if (!set->verifier) {
			error("--verify: %s", err.buf);
			strbuf_release(&err);
			return -1;
		}
		strbuf_release(&err);
		if (verifier_mode(set->verifier) == VERIFY_PLAIN)
			warning("--verify: %s", verifier_describe(set->verifier));
		else
			info("--verify: commands run in %s", verifier_describe(set->verifier));
	}
	return 0;
}

/* --schema on one text: "json_valid", "schema_valid" and, when either
 * is 0, "schema_error":{"path","message"} (the path null when the text
 * is not JSON). */
static void check_schema(const struct settings *set, struct worker *w, const char *text, size_t len,
			 struct strbuf *m, double *v)
{
	enum json_schema_result res = json_schema_validate(set->schema, text, len, &w->check);
	v[S_JSON_VALID] = res != JSON_SCHEMA_NOT_JSON;
	v[S_SCHEMA_VALID] = res == JSON_SCHEMA_VALID;
	strbuf_addstr(m, res == JSON_SCHEMA_NOT_JSON ? ",\"json_valid\":0,\"schema_valid\":0" :
			 res == JSON_SCHEMA_INVALID ? ",\"json_valid\":1,\"schema_valid\":0" :
			 ",\"json_valid\":1,\"schema_valid\":1");
	if (res == JSON_SCHEMA_VALID)
		return;
	strbuf_addstr(m, ",\"schema_error\":{\"path\":");
	if (res == JSON_SCHEMA_NOT_JSON)
		strbuf_addstr(m, "null");
	else
		json_add_string(m, w->check.path.buf, w->check.path.len);
	strbuf_addstr(m, ",\"message\":");
	json_add_string(m, w->check.message.buf, w->check.message.len);
	strbuf_addc(m, '}');
}

/* --verify on one record: "verified" and "verify":{"exit" or "signal",
 * "timed_out" when it was, "seconds", "stderr": its first lines}. A
 * command that could not be started is not verified, and said. */
static void run_verify(const struct settings *set, struct worker *w, const struct record *r,
		       const char *text, size_t len, struct strbuf *m, double *v)
{
	struct verify_result *res = &w->verified;
	int rc = verify_run(set->verifier, w->slot, r->line, r->len, text, len, res);
	v[S_VERIFIED] = rc == 0 && res->exited && res->status == 0;
	strbuf_addstr(m, v[S_VERIFIED] == 1 ? ",\"verified\":1,\"verify\":{" : ",\"verified\":0,\"verify\":{");
	if (rc < 0 || !res->started) {
		strbuf_addstr(m, "\"error\":");
		json_add_string(m, res->err.buf, res->err.len);
		strbuf_addc(m, '}');
		return;
	}
	if (res->exited) {
		strbuf_addstr(m, "\"exit\":");
		json_add_u64(m, (uint64_t)res->status);
	} else {
		strbuf_addstr(m, "\"signal\":");
		const char *name = sigabbrev_np(res->signal);
		if (name) {
			strbuf_addstr(m, "\"SIG");
			strbuf_addstr(m, name);
			strbuf_addc(m, '"');
		} else {
			json_add_u64(m, (uint64_t)res->signal);
		}
	}
	if (res->timed_out)
		strbuf_addstr(m, ",\"timed_out\":true");
	strbuf_addstr(m, ",\"seconds\":");
	add_value(m, res->seconds);
	/* The first lines of stderr, and no more. */
	size_t n = 0, lines = 0;
	while (n < res->err.len && lines < VERIFY_STDERR_LINES)
		if (res->err.buf[n++] == '\n')
			lines++;
	int cut = n < res->err.len || res->err_cut;
	if (n && res->err.buf[n - 1] == '\n')
		n--;
	strbuf_addstr(m, ",\"stderr\":");
	json_add_string(m, res->err.buf, n);
	if (cut)
		strbuf_addstr(m, ",\"stderr_cut\":true");
	strbuf_addc(m, '}');
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
	struct langid lang;
	v[S_LANG_SCORE] = NAN;
	v[S_JSON_VALID] = v[S_SCHEMA_VALID] = v[S_VERIFIED] = NAN;
	if (set->langid) {
		langid_detect(text, len, &lang);
		v[S_LANG_SCORE] = lang.score;
	}
	/* The language the signals follow: --lang-of's, or CLD2's. A
	 * record without the member is of unknown language. */
	int ql = QUALITY_LANG_UNKNOWN;
	struct json_value lv;
	if (set->lang_of) {
		if (json_get(r->line, r->len, set->lang_of, &lv) && lv.type == JSON_STRING && lv.len >= 2)
			ql = quality_lang_find(lv.p + 1, lv.len - 2);
	} else if (set->langid) {
		ql = quality_lang_find(lang.lang, strlen(lang.lang));
	}
	quality_compute_lang(text, len, prompt, plen, ql, w->q, v);
	/* Bounds that follow the language, no language given: CLD2 is
	 * asked unless the text holds Gopher's two English stop words
	 * (which the other languages' text does not), English by the rules
	 * it is judged by already; so English text costs no detection, and
	 * the rest is judged again by its language's rules. */
	if (set->by_lang && !set->lang_of && !set->langid && !(v[Q_STOP_WORDS] >= 2)) {
		langid_detect(text, len, &lang);
		ql = quality_lang_find(lang.lang, strlen(lang.lang));
		if (ql != QUALITY_LANG_UNKNOWN)
			quality_compute_lang(text, len, prompt, plen, ql, w->q, v);
	}
	v[S_PERPLEXITY] = set->lm_path ? ngram_perplexity(&set->lm, text, len, &w->ids, &w->ids_cap) : NAN;
	v[S_PENALTY] = NAN;
	v[S_JUDGE] = NAN;	/* known on the ordered stage */
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
	if (set->schema)
		check_schema(set, w, text, len, m, v);
	if (set->verifier)
		run_verify(set, w, r, text, len, m, v);
	const double *lmin = ql >= 0 ? set->lang_min[ql] : set->min;
	const double *lmax = ql >= 0 ? set->lang_max[ql] : set->max;
	for (int i = 0; i < S_COUNT; i++) {
		if (isnan(v[i]))
			continue;
		for (int k = 0; k < 2; k++) {
			double b = i < Q_COUNT ? (k ? lmax[i] : lmin[i]) : k ? set->max[i] : set->min[i];
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
		const char *key = "";	/* none: a group of its own */
		size_t klen = 0;
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
		const char *key = "";	/* none: a group of its own */
		size_t klen = 0;
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

/* NAME=V of --min and --max; returns the signal's number. */
static int parse_bound(const char *opt, const char *arg, double *bounds)
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
	if (eq && i < 0)
		i = checked_signal(arg, (size_t)(eq - arg));
	if (!eq)
		usage_error("%s %s: write NAME=VALUE", opt, arg);
	if (i < 0)
		usage_error("%s %s: no signal is called '%.*s'", opt, arg, (int)(eq - arg), arg);
	bounds[i] = cli_double(opt, eq + 1, -1e300, 1e300);
	return i;
}

/* The stricter of two bounds, NaN being none. */
static double stricter(double a, double b, int is_max)
{
	if (isnan(a))
		return b;
	if (isnan(b))
		return a;
	return is_max ? (b < a ? b : a) : (b > a ? b : a);
}

static void add_preset(struct settings *set, const char *name)
{
	/* The preset's bounds: row QL_COUNT for records in any language,
	 * the others for each language, where its own bounds replace the
	 * general ones. */
	double bmin[QL_COUNT + 1][S_COUNT], bmax[QL_COUNT + 1][S_COUNT];
	for (int l = 0; l <= QL_COUNT; l++)
		for (int i = 0; i < S_COUNT; i++)
			bmin[l][i] = bmax[l][i] = NAN;
	int found = 0;
	for (size_t i = 0; i < sizeof(presets) / sizeof(*presets); i++) {
		const struct bound *b = &presets[i];
		if (strcmp(b->preset, name))
			continue;
		found = 1;
		for (int l = 0; l <= QL_COUNT; l++) {
			bmin[l][b->signal] = b->min;
			bmax[l][b->signal] = b->max;
		}
	}
	for (size_t i = 0; i < sizeof(lang_presets) / sizeof(*lang_presets); i++) {
		const struct lang_bound *b = &lang_presets[i];
		if (strcmp(b->preset, name))
			continue;
		int l = quality_lang_find(b->lang, strlen(b->lang));
		if (l < 0)
			BUG("preset %s: no language %s", name, b->lang);
		bmin[l][b->signal] = b->min;
		bmax[l][b->signal] = b->max;
	}
	if (!found)
		usage_error("--preset: '%s' is not one of gopher, c4, fineweb or synthetic", name);
	/* Presets combine: the stricter bound wins. */
	for (int i = 0; i < S_COUNT; i++) {
		set->min[i] = stricter(set->min[i], bmin[QL_COUNT][i], 0);
		set->max[i] = stricter(set->max[i], bmax[QL_COUNT][i], 1);
		if (i >= Q_COUNT)
			continue;
		for (int l = 0; l < QL_COUNT; l++) {
			set->lang_min[l][i] = stricter(set->lang_min[l][i], bmin[l][i], 0);
			set->lang_max[l][i] = stricter(set->lang_max[l][i], bmax[l][i], 1);
		}
		if (quality_follows_language(i) && (!isnan(bmin[QL_COUNT][i]) || !isnan(bmax[QL_COUNT][i])))
			set->by_lang = 1;
	}
}

int main(int argc, char **argv)
{
	struct settings set = {
		.annotate = 1,
	};
	chat_cli_init(&set.chat);
	for (int i = 0; i < S_COUNT; i++)
		set.min[i] = set.max[i] = NAN;
	for (int l = 0; l < QL_COUNT; l++)
		for (int i = 0; i < Q_COUNT; i++)
			set.lang_min[l][i] = set.lang_max[l][i] = NAN;
	const char **mins = xcalloc((size_t)argc, sizeof(*mins));
	const char **maxs = xcalloc((size_t)argc, sizeof(*maxs));
	size_t nmin = 0, nmax = 0;
	const char *arg;
	int key, judge_options = 0, verify_options = 0;
	set.verify = (struct verify_config){ NULL, 10, 1ull << 30, 64ull << 20, 64, VERIFY_STDERR_MAX };
	diag_init("synth-score");
	cli_common_init(&set.common);
	while ((key = cli_next(argc, argv, &program, &set.common, &arg)) != -1) {
		if (chat_cli_option(&set.chat, key, arg)) {
			judge_options++;
			continue;
		}
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
		case KEY_JUDGE_TEMPERATURE:
			set.judge_temperature = cli_double("--judge-temperature", arg, 0, 100);
			judge_options++;
			break;
		case KEY_JUDGE_MAX_TOKENS:
			set.judge_max_tokens = cli_u64("--judge-max-tokens", arg, 1, UINT32_MAX);
			judge_options++;
			break;
		case KEY_RESUME: set.resume = 1; break;
		case KEY_LANG_ID: set.langid = 1; break;
		case KEY_TOKENIZER: set.tokenizer_path = arg; break;
		case KEY_LANG: parse_langs(&set, arg); break;
		case KEY_LANG_OF:
			if (!*arg)
				usage_error("empty field name for --lang-of");
			set.lang_of = arg;
			break;
		case KEY_SCHEMA: set.schema_path = arg; break;
		case KEY_VERIFY:
			if (!*arg)
				usage_error("--verify needs a command");
			set.verify.command = arg;
			break;
		case KEY_VERIFY_TIMEOUT:
			set.verify.timeout = cli_double("--verify-timeout", arg, 0.001, 86400);
			verify_options++;
			break;
		case KEY_VERIFY_MEMORY: set.verify.memory = cli_size("--verify-memory", arg); verify_options++; break;
		case KEY_VERIFY_FILE_SIZE:
			set.verify.file_size = cli_size("--verify-file-size", arg);
			if (set.verify.file_size < 4096)
				usage_error("--verify-file-size: at least 4K");
			verify_options++;
			break;
		case KEY_VERIFY_PROCS:
			set.verify.procs = cli_u64("--verify-procs", arg, 1, 100000);
			verify_options++;
			break;
		default: BUG("option %d", key);
		}
	}
	if (!set.annotate && !set.filter)
		usage_error("--no-annotate writes records unchanged only with --filter");
	if (!set.judge && (set.model || set.rubric_file || judge_options))
		usage_error("--model, --rubric and the judge's other options go with --judge URL");
	if (set.judge && !set.model)
		usage_error("--judge needs --model NAME");
	if (set.resume && !set.judge)
		usage_error("--resume goes with --judge URL");
	if (set.resume && (!set.common.output || !strcmp(set.common.output, "-")))
		usage_error("--resume needs -o FILE");
	{
		struct strbuf journal = STRBUF_INIT;
		if (set.resume)
			journal_path(set.common.output, &journal);
		struct cli_file named[] = {
			{ "-o", set.common.output }, { "--rejects", set.common.rejects },
			{ "--resume's journal", set.resume ? journal.buf : NULL },
			{ "--usage", set.chat.usage_path },
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
			set.rank_signal = checked_signal(name, strlen(name));
		if (set.rank_signal < 0)
			usage_error("--rank-by: no signal is called '%s'", name);
	}
	/* --min and --max override the presets, whatever their order, in
	 * every language. */
	for (size_t k = 0; k < nmin + nmax; k++) {
		int is_max = k >= nmin;
		int i = is_max ? parse_bound("--max", maxs[k - nmin], set.max)
			       : parse_bound("--min", mins[k], set.min);
		for (int l = 0; i < Q_COUNT && l < QL_COUNT; l++) {
			if (is_max)
				set.lang_max[l][i] = set.max[i];
			else
				set.lang_min[l][i] = set.min[i];
		}
		set.by_lang |= quality_follows_language(i);
	}
	/* A bound on a signal that follows the language needs the
	 * language: from --lang-of, or else from CLD2. */

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
	if (checks_setup(&set, verify_options) < 0)
		return 1;
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
		static const char *const own[] = { "model", "messages", "seed", "temperature",
						   "max_tokens" };
		chat_cli_check_params(&set.chat, own, sizeof(own) / sizeof(*own));
		set.chat.cfg.url = set.judge;
		chat_cli_api_key(&set.chat.cfg);
		chat_cli_check_seed(set.common.seed, 1);
		set.chat.cfg.seed = set.common.seed;
		set.stage = llm_stage_new(&set.chat.cfg, judge_window(&set), judge_done, judging_free,
					  &set);
	}
	struct file_lock lock = FILE_LOCK_INIT;
	if (file_lock_rewritten(set.common.output, argv + optind, argc - optind,
				set.common.wait_lock) < 0)
		diag_exit(1);
	/* The judgements a stopped run kept, before any request. */
	struct strbuf journal_name = STRBUF_INIT;
	if (set.resume) {
		journal_path(set.common.output, &journal_name);
		struct strbuf settings = STRBUF_INIT;
		strbuf_addstr(&settings, "{\"model\":");
		json_add_cstr(&settings, set.model);
		strbuf_addstr(&settings, ",\"parameters\":{\"temperature\":");
		json_add_double(&settings, set.judge_temperature);
		if (set.judge_max_tokens) {
			strbuf_addstr(&settings, ",\"max_tokens\":");
			json_add_u64(&settings, set.judge_max_tokens);
		}
		strbuf_add(&settings, set.chat.params.buf, set.chat.params.len);
		strbuf_addstr(&settings, "},\"seed\":");
		json_add_u64(&settings, set.common.seed);
		strbuf_addc(&settings, '}');
		struct llm_journal_spec spec = { "synth-score --judge", "judgement", settings.buf,
						 set.common.wait_lock };
		int opened = llm_stage_resume(set.stage, set.common.output, &spec);
		strbuf_release(&settings);
		if (opened < 0)
			diag_exit(1);
	}

	struct record_loop rl = {
		.common = &set.common, .files = argv + optind, .nfiles = argc - optind,
		.write_records = 1, .worker_new = worker_new, .process = process, .arg = &set,
		.ordered = set.judge ? judge_ordered : set.best_of ? best_of_ordered : NULL,
		.finish = set.judge ? judge_finish : set.best_of ? best_of_finish : NULL, .phase = "scoring",
		.progress_more = set.judge ? judge_progress : NULL,
	};
	if (set.verifier)
		rl.block_size = 1;	/* a record a block: a command each, -j at once */
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
	if (set.returned)
		warning("--best-of: %llu group%s came back after another group, each counted again: "
			"sort the input by %s to group every record of a value", (unsigned long long)set.returned,
			set.returned == 1 ? "" : "s", set.best_of);
	if (set.no_key)
		warning("--best-of: %llu record%s without %s, each a group of its own",
			(unsigned long long)set.no_key, set.no_key == 1 ? "" : "s", set.best_of);
	keymap_release(&set.group_keys);
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
		/* Every record judged and written: the output holds what the
		 * journal did. */
		uint64_t lines = llm_stage_journal_lines(set.stage);
		int done = !rc || !lines;
		if (llm_stage_journal_end(set.stage, done) < 0)
			rc = rc ? rc : 1;
		else if (!done)
			error("%s keeps %llu judgement%s; run the same command again to finish",
			      journal_name.buf, (unsigned long long)lines, lines == 1 ? "" : "s");
	}
	if (set.stage)
		llm_stage_summary(set.stage);
	file_unlock(&lock);
	strbuf_release(&journal_name);
	if (set.stage &&
	    chat_cli_usage_end(&set.chat, "synth-score --judge", set.model, llm_stage_usage(set.stage)) < 0)
		rc = rc ? rc : 1;
	llm_stage_free(set.stage);
	chat_cli_release(&set.chat);
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
	json_schema_free(set.schema);
	verifier_free(set.verifier);
	pcre2_match_context_free(set.mctx);
	free(set.langs);
	tokenizer_free(set.tokenizer);
	return rc == 2 ? 1 : rc;
}
