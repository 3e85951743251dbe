/* tokenize: the token ids of each record's text, for the tests that
 * compare lib/tokenizer with the reference implementations.
 *
 *   tokenize TOKENIZER [FIELD] < records.jsonl
 *
 * Writes one line for each record: its ids, separated by spaces (an
 * empty line for a text of no tokens). FIELD is "text" by default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "json.h"
#include "strbuf.h"
#include "tokenizer.h"

int main(int argc, char **argv)
{
	diag_init("tokenize");
	if (argc < 2 || argc > 3)
		usage_error("usage: tokenize TOKENIZER [FIELD] < records.jsonl");
	const char *field = argc == 3 ? argv[2] : "text";
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT, out = STRBUF_INIT;
	struct tokenizer *t = tokenizer_load(argv[1], &err);
	if (!t)
		die("%s: %s", argv[1], err.buf);
	struct tokenizer_run *r = tokenizer_run_new(t);
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
