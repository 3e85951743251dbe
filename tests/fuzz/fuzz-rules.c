/* fuzz-rules.c: libFuzzer target for the rules file of synth-score
 * --rules (rules_parse()).
 *
 * The input is a rules file, any bytes. A parse either fails, with a
 * message that names the file and a line of it and no rules kept, or
 * gives rules as rules.h describes them: no more than the file has
 * lines, each with a name of the allowed characters, no name twice, a
 * compiled pattern and, for a penalty, a finite weight. Every pattern
 * is then counted, as synth-score counts it (regex_count()), on short
 * texts under a match limit, non-ASCII ones among them: whatever the
 * pattern (zero-width ones too), the count never fails for a bad UTF-8
 * offset, only ever for a limit.
 */
#define FUZZ_NAME "fuzz-rules"
#include "fuzz-file.h"

#include <math.h>

#include "rules.h"
#include "strbuf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init();
	return 0;
}

static int name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size ? size : 1);
	CHECK(text != NULL, "allocating");
	if (size)
		memcpy(text, data, size);
	size_t lines = 0;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n' || i + 1 == size;

	struct rules rs = RULES_INIT;
	struct strbuf err = STRBUF_INIT;
	int rc = rules_parse(&rs, text, size, "r.rules", &err);
	CHECK(rc == 0 || rc == -1, "rules_parse returns 0 or -1");
	if (rc < 0) {
		CHECK(rs.n == 0 && rs.rule == NULL, "a failed parse keeps no rules");
		CHECK(!strncmp(err.buf, "r.rules:", 8) && err.len > 9 && err.buf[8] >= '1' &&
		      err.buf[8] <= '9', "a failure names the file and a line");
		unsigned long line = strtoul(err.buf + 8, NULL, 10);
		CHECK(line >= 1 && line <= lines, "the line named is one of the file's");
	} else {
		CHECK(err.len == 0, "a parse that succeeds says nothing");
		CHECK(rs.n <= lines, "at most a rule a line");
		pcre2_match_context *mctx = pcre2_match_context_create(NULL);
		pcre2_set_match_limit(mctx, 10000);
		pcre2_set_depth_limit(mctx, 1000);
		static const char *const samples[] = {
			"Lorem ipsum dolor sit amet, \xc3\xa9t\xc3\xa9 2024 -- ok?",
			"caf\xc3\xa9",
			"\xc3\xa9" "a\nb\r\n\xe2\x82\xac\n",
			"\xf0\x9f\x98\x80 \xe4\xb8\xad\xe6\x96\x87 \xcc\x81x\xef\xbb\xbf",
			"",
		};
		for (size_t i = 0; i < rs.n; i++) {
			const struct rule *r = &rs.rule[i];
			CHECK(name_ok(r->name), "a rule name of the allowed characters");
			for (size_t j = 0; j < i; j++)
				CHECK(strcmp(rs.rule[j].name, r->name), "no rule name twice");
			CHECK(r->re != NULL, "a compiled pattern");
			CHECK(r->reject || isfinite(r->weight), "a penalty's weight is finite");
			pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->re, NULL);
			CHECK(md != NULL, "allocating match data");
			for (size_t k = 0; k < sizeof(samples) / sizeof(*samples); k++) {
				uint64_t n;
				size_t len = strlen(samples[k]);
				int mrc = regex_count(r->re, samples[k], len, md, mctx, &n);
				CHECK(mrc == 0 || mrc == PCRE2_ERROR_MATCHLIMIT ||
				      mrc == PCRE2_ERROR_DEPTHLIMIT || mrc == PCRE2_ERROR_HEAPLIMIT ||
				      mrc == PCRE2_ERROR_JIT_STACKLIMIT,
				      "a count fails for a limit only, never for a UTF-8 offset");
				CHECK(n <= len + 1, "at most one match a byte, and one at the end");
			}
			pcre2_match_data_free(md);
		}
		pcre2_match_context_free(mctx);
	}
	rules_release(&rs);
	CHECK(rs.n == 0 && rs.rule == NULL, "released rules are empty");
	strbuf_release(&err);
	free(text);
	return 0;
}
