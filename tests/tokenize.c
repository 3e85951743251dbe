/* tokenize: the token ids of each record's text, for the tests that
 * compare lib/tokenizer with the reference implementations.
 *
 *   tokenize [--bench] TOKENIZER [FIELD] < records.jsonl
 *
 * Writes one line for each record: its ids, separated by spaces (an
 * empty line for a text of no tokens). FIELD is "text" by default.
 * --bench reads every text first, then counts their tokens on one
 * thread and writes "SECONDS TOKENS BYTES": the seconds of the counting
 * alone, as tests/tokens/reference.js --bench times the reference's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diag.h"
#include "json.h"
#include "strbuf.h"
#include "tokenizer.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* --bench: every text, then the time of counting their tokens. */
static int bench(struct tokenizer_run *r, const char *field)
{
	struct strbuf texts = STRBUF_INIT;
	size_t *ends = NULL, n = 0, cap = 0, linecap = 0;
	char *line = NULL;
	ssize_t len;
	while ((len = getline(&line, &linecap, stdin)) > 0) {
		struct json_value v;
		struct json_error jerr;
		if (json_check_record_member(line, (size_t)len, field, &v, &jerr) < 0)
			die("line %zu: %s", n + 1, jerr.msg);
		if (v.type == JSON_STRING)
			json_decode_string(&v, &texts);
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			ends = realloc(ends, cap * sizeof(*ends));
			if (!ends)
				die("out of memory");
		}
		ends[n++] = texts.len;
	}
	double t0 = now();
	uint64_t tokens = 0;
	for (size_t i = 0, at = 0; i < n; at = ends[i++])
		tokens += tokenizer_count(r, texts.buf + at, ends[i] - at);
	printf("%.3f %llu %zu\n", now() - t0, (unsigned long long)tokens, texts.len);
	free(line);
	free(ends);
	strbuf_release(&texts);
	return 0;
}

int main(int argc, char **argv)
{
	diag_init("tokenize");
	int bench_mode = argc > 1 && strcmp(argv[1], "--bench") == 0;
	argv += bench_mode;
	argc -= bench_mode;
	if (argc < 2 || argc > 3)
		usage_error("usage: tokenize [--bench] TOKENIZER [FIELD] < records.jsonl");
	const char *field = argc == 3 ? argv[2] : "text";
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT, out = STRBUF_INIT;
	struct tokenizer *t = tokenizer_load(argv[1], &err);
	if (!t)
		die("%s: %s", argv[1], err.buf);
	struct tokenizer_run *r = tokenizer_run_new(t);
	if (bench_mode) {
		bench(r, field);
		tokenizer_run_free(r);
		tokenizer_free(t);
		strbuf_release(&err);
		return 0;
	}
	struct token_ids ids = TOKEN_IDS_INIT;
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		lineno++;
		struct json_value v;
		struct json_error jerr;
		if (json_check_record_member(line, (size_t)n, field, &v, &jerr) < 0)
			die("line %zu: %s", lineno, jerr.msg);
		strbuf_reset(&text);
		if (v.type == JSON_STRING)
			json_decode_string(&v, &text);
		tokenizer_encode(r, text.buf, text.len, &ids);
		if (tokenizer_count(r, text.buf, text.len) != ids.n)
			die("line %zu: the count differs from the number of ids", lineno);
		strbuf_reset(&out);
		for (size_t i = 0; i < ids.n; i++)
			strbuf_addf(&out, i ? " %u" : "%u", ids.id[i]);
		strbuf_addc(&out, '\n');
		fwrite(out.buf, 1, out.len, stdout);
	}
	free(line);
	token_ids_release(&ids);
	tokenizer_run_free(r);
	tokenizer_free(t);
	strbuf_release(&err);
	strbuf_release(&text);
	strbuf_release(&out);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("write error");
	return 0;
}
