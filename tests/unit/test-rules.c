/* Unit tests: the rules file of synth-score --rules (rules_parse). */
#include <string.h>

#include "diag.h"
#include "rules.h"
#include "unit.h"

static struct rules rs = RULES_INIT;
static struct strbuf err = STRBUF_INIT;

static int parse(const char *text)
{
	rules_release(&rs);
	strbuf_reset(&err);
	return rules_parse(&rs, text, strlen(text), "r.rules", &err);
}

static int matches(const struct rule *r, const char *s)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->re, NULL);
	int rc = pcre2_match(r->re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	return rc > 0;
}

static void test_good(void)
{
	ok(parse("# a comment\n\n  reject lorem /lorem ipsum/i\n"
		 "\tpenalty shout 0.5 /\\b[A-Z]{4,}\\b/\r\n"
		 "penalty url-2 -1e1/https?:\\/\\/\\S+/ms") == 0 && rs.n == 3,
	   "three rules, comments and blank lines skipped: %s", err.buf);
	ok(!strcmp(rs.rule[0].name, "lorem") && rs.rule[0].reject, "a reject rule");
	ok(matches(&rs.rule[0], "LOREM Ipsum"), "the i flag");
	ok(!strcmp(rs.rule[1].name, "shout") && !rs.rule[1].reject && rs.rule[1].weight == 0.5,
	   "a penalty with its weight");
	ok(matches(&rs.rule[1], "a LOUD word") && !matches(&rs.rule[1], "a quiet word"),
	   "the pattern after a CRLF line");
	ok(rs.rule[2].weight == -10 && matches(&rs.rule[2], "see http://x.org"),
	   "a weight right before the pattern, a '/' inside it");
	ok(parse("") == 0 && rs.n == 0, "an empty file: no rules");
	char longname[300];
	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "reject ", 7);
	strcpy(longname + 200, "/x/");
	ok(parse(longname) < 0, "a 193-letter name glued to its pattern is no rule");
	strcpy(longname + 200, " /x/");
	ok(parse(longname) == 0 && rs.n == 1 && strlen(rs.rule[0].name) == 193,
	   "a long name is read whole (sscanf's %%127s split it)");
}

static void test_bad(void)
{
	ok(parse("reject a /x/\nkeep b /y/\n") < 0, "an unknown kind");
	is_str(err.buf, "r.rules:2: write 'reject NAME /PATTERN/FLAGS' or 'penalty NAME WEIGHT /PATTERN/FLAGS'",
	       "names the file and line");
	ok(rs.n == 0 && rs.rule == NULL, "a failed parse keeps no rules");
	ok(parse("reject\n") < 0, "a kind without a name");
	parse("reject Caps /x/");
	is_str(err.buf, "r.rules:1: a rule name is lower-case letters, digits, '_' and '-'", "a bad name");
	parse("penalty p /x/");
	is_str(err.buf, "r.rules:1: a penalty needs a weight", "no weight");
	parse("penalty p nan /x/");
	is_str(err.buf, "r.rules:1: a penalty's weight is a decimal number from -1000000 to 1000000", "a NaN weight");
	parse("penalty p 1e999 /x/");
	is_str(err.buf, "r.rules:1: a penalty's weight is a decimal number from -1000000 to 1000000", "an infinite weight");
	/* Read by parse_double(), as every number a user gives: strtod()
	 * took hex and junk glued to the pattern. */
	ok(parse("penalty p 0x10 /x/") < 0, "a hex weight is no weight");
	is_str(err.buf, "r.rules:1: a penalty's weight is a decimal number from -1000000 to 1000000", "hex: the message");
	ok(parse("penalty p 2abc/x/") < 0, "junk after the weight");
	ok(parse("penalty p infinity /x/") < 0, "'infinity' is no weight");
	ok(parse("penalty p 1e-3 /x/") == 0 && rs.rule[0].weight == 1e-3, "1e-3 is a weight");
	/* Weights whose sums could reach infinity (and NaN, with both
	 * signs) are refused; a million is the bound. */
	ok(parse("penalty p -1000000 /x/") == 0 && rs.rule[0].weight == -1e6, "-1000000 is a weight");
	parse("penalty p 1e300 /x/");
	is_str(err.buf, "r.rules:1: a penalty's weight is a decimal number from -1000000 to 1000000",
	       "1e300 is too large a weight");
	ok(parse("penalty p -1000000.5 /x/") < 0, "past minus a million is no weight");
	parse("reject a x");
	is_str(err.buf, "r.rules:1: the pattern goes between slashes: /PATTERN/FLAGS", "no slashes");
	parse("reject a /x");
	is_str(err.buf, "r.rules:1: the pattern goes between slashes: /PATTERN/FLAGS", "one slash");
	parse("reject a /x/g");
	is_str(err.buf, "r.rules:1: unknown flag 'g' (i, m, s and x are known)", "an unknown flag");
	parse("reject a /(x/");
	ok(!strncmp(err.buf, "r.rules:1: ", 11) && strstr(err.buf, "at offset 2 of the pattern"),
	   "PCRE2's message and where: %s", err.buf);
	parse("reject a /x/\n\nreject a /y/\n");
	is_str(err.buf, "r.rules:3: a second rule named 'a'", "a name twice");
	static const char nul[] = "reject a /x/\0junk/\nreject b /y/\n";
	rules_release(&rs);
	ok(rules_parse(&rs, nul, sizeof(nul) - 1, "r.rules", &err) == 0 && rs.n == 2 &&
	   matches(&rs.rule[0], "x"), "a NUL ends its line's text, as for getline() and C strings");
}

static int count(const char *rule, const char *text, uint64_t *n)
{
	if (parse(rule) < 0 || rs.n != 1)
		return -99;
	pcre2_match_data *md = pcre2_match_data_create(2, NULL);
	int rc = regex_count(rs.rule[0].re, text, strlen(text), md, NULL, n);
	pcre2_match_data_free(md);
	return rc;
}

/* An empty match in front of a multi-byte character: the next search
 * starts past the whole character, where PCRE2 said "bad offset into
 * UTF string" when it started inside it. */
static void test_zero_width_over_utf8(void)
{
	uint64_t n = 99;
	ok(count("reject e /(?=\xc3\xa9)/", "caf\xc3\xa9", &n) == 0 && n == 1,
	   "a lookahead before 'e-acute' counts once: %llu", (unsigned long long)n);
	ok(count("reject s /^/m", "\xc3\xa9" "a\nb", &n) == 0 && n == 2,
	   "/^/m on two lines, the first starting with 'e-acute': %llu", (unsigned long long)n);
	ok(count("reject e //", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", &n) == 0 && n == 4,
	   "the empty pattern between and around three characters of 2, 3 and 4 bytes: %llu",
	   (unsigned long long)n);
	ok(count("reject e /x*/", "\xc3\xa9xx\xc3\xa9", &n) == 0 && n == 4,
	   "empty and non-empty matches mixed: %llu", (unsigned long long)n);
	ok(count("reject e /b/", "abcb", &n) == 0 && n == 2, "plain matches, without overlap");
	ok(count("reject c /\\C/", "\xc3\xa9z", &n) == 0 && n == 2,
	   "a match of \\C ends inside a character: the next search starts after it: %llu",
	   (unsigned long long)n);
	ok(count("reject e /(a+)+$/", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", &n) != 0 ||
	   n == 0, "a runaway pattern is an error or no match, not a hang");
}

int main(void)
{
	diag_init("test-rules");
	test_good();
	test_bad();
	test_zero_width_over_utf8();
	rules_release(&rs);
	strbuf_release(&err);
	return done_testing();
}
