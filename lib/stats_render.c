/* stats_render.c: the figures of a corpus as JSON and as a table; see
 * stats_render.h. */
#include "stats_render.h"

#include <stdarg.h>
#include <stdio.h>

#define DEC STATS_JSON_DECIMALS

static void member_u64(struct json_writer *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_u64(w, v);
}

static void member_double(struct json_writer *w, const char *key, double v)
{
	jw_key(w, key);
	jw_double(w, v, DEC);
}

/* The members of lengths q, in an object already begun. */
static void lengths_members(const struct stats_lengths *q, struct json_writer *w)
{
	member_u64(w, "min", q->min);
	member_double(w, "mean", q->mean);
	member_u64(w, "p50", q->p50);
	member_u64(w, "p90", q->p90);
	member_u64(w, "p99", q->p99);
	member_u64(w, "max", q->max);
}

static void length_json(const struct stats_figures *f, struct json_writer *w)
{
	jw_key(w, "length");
	jw_object_begin(w);
	jw_key(w, "unit");
	jw_cstr(w, "words");
	lengths_members(&f->length, w);
	jw_object_end(w);
}

/* "tokens", under --tokenizer: the total, per word, per record. */
static void tokens_json(const struct stats_figures *f, struct json_writer *w)
{
	jw_key(w, "tokens");
	jw_object_begin(w);
	jw_key(w, "tokenizer");
	jw_cstr(w, f->tokenizer);
	member_u64(w, "total", f->tokens);
	member_double(w, "per_word", f->tokens_per_word);
	jw_key(w, "per_record");
	jw_object_begin(w);
	lengths_members(&f->token_length, w);
	jw_object_end(w);
	jw_object_end(w);
}

static void compression_json(const struct stats_figures *f, struct json_writer *w)
{
	jw_key(w, "compression");
	jw_object_begin(w);
	member_double(w, "ratio", f->compression.ratio);
	jw_key(w, "level");
	jw_int(w, f->compression.level);
	member_u64(w, "sample_bytes", f->compression.sample_bytes);
	member_u64(w, "sample_records", f->compression.sample_records);
	member_u64(w, "seed", f->compression.seed);
	jw_object_end(w);
}

/* "top": for each n, its list, or null when its table is a sketch. */
static void top_json(const struct stats_figures *f, struct json_writer *w)
{
	jw_key(w, "top");
	jw_object_begin(w);
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		char key[16];
		snprintf(key, sizeof(key), "%u", n);
		jw_key(w, key);
		if (f->approximate[n]) {
			jw_null(w);
			continue;
		}
		jw_array_begin(w);
		for (size_t i = 0; i < f->top_ngrams[n].n; i++) {
			const struct stats_ngram *g = &f->top_ngrams[n].items[i];
			jw_object_begin(w);
			jw_key(w, "ngram");
			jw_string(w, g->text, g->len);
			member_u64(w, "count", g->count);
			jw_object_end(w);
		}
		jw_array_end(w);
	}
	jw_object_end(w);
}

static void group_value_json(const struct stats_group_figures *g, struct json_writer *w)
{
	switch (g->kind) {
	case STATS_VALUE_STRING: jw_string(w, g->value, g->value_len); break;
	case STATS_VALUE_JSON: jw_raw(w, g->value, g->value_len); break;
	case STATS_VALUE_MISSING: jw_null(w); break;
	}
}

static void by_json(const struct stats_figures *f, struct json_writer *w)
{
	jw_key(w, "by");
	jw_object_begin(w);
	jw_key(w, "field");
	jw_cstr(w, f->by);
	jw_key(w, "groups");
	jw_array_begin(w);
	for (size_t i = 0; i < f->ngroups; i++) {
		const struct stats_group_figures *g = &f->groups[i];
		jw_object_begin(w);
		jw_key(w, "value");
		group_value_json(g, w);
		member_u64(w, "records", g->records);
		member_double(w, "share", g->share);
		member_u64(w, "words", g->words);
		member_double(w, "words_share", g->words_share);
		member_double(w, "mean_length", g->mean_length);
		member_u64(w, "min_length", g->min_length);
		member_u64(w, "max_length", g->max_length);
		if (f->tokenizer) {
			member_u64(w, "tokens", g->tokens);
			member_double(w, "tokens_share", g->tokens_share);
		}
		member_u64(w, "vocabulary", g->vocabulary);
		member_double(w, "distinct_1", g->distinct_1);
		member_double(w, "distinct_2", g->distinct_2);
		jw_object_end(w);
	}
	jw_array_end(w);
	jw_object_end(w);
}

/* "approximate": the names of the figures that are estimates (or, for
 * hapax and entropy_1, unknown). */
static void approximate_json(const struct stats_figures *f, struct json_writer *w)
{
	jw_key(w, "approximate");
	jw_array_begin(w);
	if (f->approximate[1]) {
		jw_cstr(w, "vocabulary");
		jw_cstr(w, "hapax");
		jw_cstr(w, "entropy_1");
	}
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		char name[16];
		snprintf(name, sizeof(name), "distinct_%u", n);
		if (f->approximate[n])
			jw_cstr(w, name);
	}
	if (f->by) {
		jw_cstr(w, "by.vocabulary");
		jw_cstr(w, "by.distinct_1");
		jw_cstr(w, "by.distinct_2");
	}
	jw_array_end(w);
}

void stats_render_json_members(const struct stats_figures *f, struct json_writer *w)
{
	member_u64(w, "records", f->records);
	if (f->show_invalid)
		member_u64(w, "invalid", f->invalid);
	member_u64(w, "input_bytes", f->input_bytes);
	member_u64(w, "bytes", f->bytes);
	member_u64(w, "chars", f->chars);
	member_u64(w, "words", f->words);
	member_u64(w, "lines", f->lines);
	length_json(f, w);
	if (f->tokenizer)
		tokens_json(f, w);
	member_u64(w, "vocabulary", f->vocabulary);
	jw_key(w, "hapax");
	if (f->approximate[1])
		jw_null(w);
	else
		jw_u64(w, f->hapax);
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		char key[16];
		snprintf(key, sizeof(key), "distinct_%u", n);
		member_double(w, key, f->distinct[n]);
	}
	member_double(w, "entropy_1", f->entropy_1);	/* NaN: null */
	compression_json(f, w);
	if (f->has_top)
		top_json(f, w);
	if (f->by)
		by_json(f, w);
	approximate_json(f, w);
	member_u64(w, "memory_limit", f->memory_limit);
	if (f->word_hash_collisions)
		member_u64(w, "word_hash_collisions", f->word_hash_collisions);
}

void stats_render_json(const struct stats_figures *f, struct strbuf *out)
{
	struct json_writer w;
	jw_init(&w, out);
	jw_object_begin(&w);
	stats_render_json_members(f, &w);
	jw_object_end(&w);
}

/* --- A table for people ----------------------------------------------- */

static void row(struct strbuf *out, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void row(struct strbuf *out, const char *name, const char *fmt, ...)
{
	char value[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	strbuf_addf(out, "%-20s %s\n", name, value);
}

static void lengths_row(struct strbuf *out, const char *name, const struct stats_lengths *q)
{
	row(out, name, "min %llu  mean %.1f  p50 %llu  p90 %llu  p99 %llu  max %llu",
	    (unsigned long long)q->min, q->mean, (unsigned long long)q->p50,
	    (unsigned long long)q->p90, (unsigned long long)q->p99, (unsigned long long)q->max);
}

static void top_table(const struct stats_figures *f, struct strbuf *out)
{
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		if (f->approximate[n])
			continue;
		strbuf_addf(out, "\ntop %u-grams\n", n);
		for (size_t i = 0; i < f->top_ngrams[n].n; i++) {
			const struct stats_ngram *g = &f->top_ngrams[n].items[i];
			strbuf_addf(out, "  %10llu  %s\n", (unsigned long long)g->count, g->text);
		}
	}
}

static void by_table(const struct stats_figures *f, struct strbuf *out)
{
	strbuf_addf(out, "\nby %s\n  %-24s %10s %7s %12s %8s %9s %11s\n", f->by, "value",
		    "records", "share", "words", "mean", "vocab~", "distinct-1~");
	for (size_t i = 0; i < f->ngroups; i++) {
		const struct stats_group_figures *g = &f->groups[i];
		strbuf_addf(out, "  %-24s %10llu %6.2f%% %12llu %8.1f %9.0f %11.4f\n",
			    g->kind == STATS_VALUE_MISSING ? "(none)" : g->value,
			    (unsigned long long)g->records, 100 * g->share,
			    (unsigned long long)g->words, g->mean_length, g->vocabulary_estimate,
			    g->distinct_1_estimate);
		if (f->tokenizer)
			strbuf_addf(out, "  %-24s %10s %6.2f%% %12llu tokens\n", "", "",
				    100 * g->tokens_share, (unsigned long long)g->tokens);
	}
}

void stats_render_table(const struct stats_figures *f, struct strbuf *out)
{
	row(out, "records", "%llu", (unsigned long long)f->records);
	if (f->show_invalid)
		row(out, "invalid", "%llu", (unsigned long long)f->invalid);
	row(out, "input bytes", "%llu", (unsigned long long)f->input_bytes);
	row(out, "text bytes", "%llu", (unsigned long long)f->bytes);
	row(out, "chars", "%llu", (unsigned long long)f->chars);
	row(out, "words", "%llu", (unsigned long long)f->words);
	row(out, "lines", "%llu", (unsigned long long)f->lines);
	lengths_row(out, "length (words)", &f->length);
	if (f->tokenizer) {
		row(out, "tokens", "%llu (%.3f per word; %s)", (unsigned long long)f->tokens,
		    f->tokens_per_word, f->tokenizer);
		lengths_row(out, "length (tokens)", &f->token_length);
	}
	const char *approx_mark = " (approximate)";
	row(out, "vocabulary", "%llu%s", (unsigned long long)f->vocabulary,
	    f->approximate[1] ? approx_mark : "");
	if (!f->approximate[1])
		row(out, "hapax", "%llu", (unsigned long long)f->hapax);
	for (unsigned n = 1; n <= STATS_MAX_N; n++) {
		char name[16];
		snprintf(name, sizeof(name), "distinct-%u", n);
		row(out, name, "%.4f%s", f->distinct[n], f->approximate[n] ? approx_mark : "");
	}
	if (!f->approximate[1])
		row(out, "entropy-1 (bits)", "%.3f", f->entropy_1);
	row(out, "compression ratio", "%.3f (zstd -%d on %zu bytes, %zu records)",
	    f->compression.ratio, f->compression.level, f->compression.sample_bytes,
	    f->compression.sample_records);
	if (f->has_top)
		top_table(f, out);
	if (f->by)
		by_table(f, out);
}
