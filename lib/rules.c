/* rules.c: the rules file of synth-score; see rules.h. */
#include "rules.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "number.h"

#define PENALTY_WEIGHT_MAX 1e6
#define PENALTY_WEIGHT_ERROR "a penalty's weight is a decimal number from -1000000 to 1000000"

void rules_release(struct rules *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		pcre2_code_free(rs->rule[i].re);
		free(rs->rule[i].name);
	}
	free(rs->rule);
	rs->rule = NULL;
	rs->n = 0;
}

int regex_count(const pcre2_code *re, const char *text, size_t len, pcre2_match_data *md,
		pcre2_match_context *mctx, uint64_t *count)
{
	PCRE2_SIZE off = 0;
	*count = 0;
	while (off <= len) {
		int rc = pcre2_match(re, (PCRE2_SPTR)text, len, off, 0, md, mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			break;
		if (rc < 0)
			return rc;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		(*count)++;
		/* After an empty match, on by one byte; then past continuation
		 * bytes (10xxxxxx) to the start of a character: an empty match
		 * sits before a character, and a match of \C can end inside
		 * one. */
		off = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
		while (off < len && ((unsigned char)text[off] & 0xC0) == 0x80)
			off++;
	}
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The word at *p (after white space), its length in *len; *p moves past it. */
static const char *next_word(const char **p, size_t *len)
{
	const char *s = *p;
	while (is_space(*s))
		s++;
	const char *e = s;
	while (*e && !is_space(*e))
		e++;
	*p = e;
	*len = (size_t)(e - s);
	return s;
}

static int is_word(const char *w, size_t len, const char *want)
{
	return len == strlen(want) && !memcmp(w, want, len);
}

/* One line, its end of line gone and NUL-terminated: 1 with *r filled, 0
 * when it holds no rule, -1 with the reason in err. */
static int parse_line(const char *p, struct rule *r, struct strbuf *err)
{
	while (*p == ' ' || *p == '\t')
		p++;
	if (!*p || *p == '#')
		return 0;
	size_t klen, nlen;
	const char *kind = next_word(&p, &klen);
	const char *name = next_word(&p, &nlen);
	if (!nlen || (!is_word(kind, klen, "reject") && !is_word(kind, klen, "penalty"))) {
		strbuf_addstr(err, "write 'reject NAME /PATTERN/FLAGS' or 'penalty NAME WEIGHT /PATTERN/FLAGS'");
		return -1;
	}
	for (size_t i = 0; i < nlen; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
			strbuf_addstr(err, "a rule name is lower-case letters, digits, '_' and '-'");
			return -1;
		}
	}
	while (is_space(*p))
		p++;
	r->reject = is_word(kind, klen, "reject");
	if (!r->reject) {
		/* The weight runs to white space or the pattern's slash, and is
		 * read by parse_double(), strictly: a decimal number, finite
		 * ("0x10" and "inf" are not weights). A million at most either
		 * way, so that no sum of weights times matches (a text has
		 * fewer than 2^32) overflows to infinity, or to NaN when
		 * weights of both signs meet. */
		size_t wlen = strcspn(p, " \t/");
		char num[64];
		if (!wlen) {
			strbuf_addstr(err, "a penalty needs a weight");
			return -1;
		}
		if (wlen >= sizeof(num)) {
			strbuf_addstr(err, PENALTY_WEIGHT_ERROR);
			return -1;
		}
		memcpy(num, p, wlen);
		num[wlen] = '\0';
		if (parse_double(num, -PENALTY_WEIGHT_MAX, PENALTY_WEIGHT_MAX, &r->weight) < 0) {
			strbuf_addstr(err, PENALTY_WEIGHT_ERROR);
			return -1;
		}
		p += wlen;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	const char *last = strrchr(p, '/');
	if (*p != '/' || last == p) {
		strbuf_addstr(err, "the pattern goes between slashes: /PATTERN/FLAGS");
		return -1;
	}
	uint32_t opts = PCRE2_UTF;
	for (const char *c = last + 1; *c; c++) {
		switch (*c) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		default:
			strbuf_addf(err, "unknown flag '%c' (i, m, s and x are known)", *c);
			return -1;
		}
	}
	int code;
	PCRE2_SIZE at;
	r->re = pcre2_compile((PCRE2_SPTR)(p + 1), (PCRE2_SIZE)(last - p - 1), opts, &code, &at, NULL);
	if (!r->re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof(msg));
		strbuf_addf(err, "%s at offset %zu of the pattern", (char *)msg, (size_t)at);
		return -1;
	}
	pcre2_jit_compile(r->re, PCRE2_JIT_COMPLETE);
	r->name = xstrndup(name, nlen);
	return 1;
}

int rules_parse(struct rules *rs, const char *text, size_t n, const char *name,
		struct strbuf *err)
{
	struct strbuf line = STRBUF_INIT, why = STRBUF_INIT;
	size_t cap = 0;
	unsigned lineno = 0;
	for (size_t at = 0; at < n; lineno++) {
		const char *nl = memchr(text + at, '\n', n - at);
		size_t end = nl ? (size_t)(nl - text) : n;
		strbuf_reset(&line);
		strbuf_add(&line, text + at, end - at);
		at = nl ? end + 1 : n;
		while (line.len && (line.buf[line.len - 1] == '\r' || line.buf[line.len - 1] == '\n'))
			strbuf_setlen(&line, line.len - 1);
		struct rule r = { 0 };
		int got = parse_line(line.buf, &r, &why);
		for (size_t i = 0; got > 0 && i < rs->n; i++) {
			if (!strcmp(rs->rule[i].name, r.name)) {
				strbuf_addf(&why, "a second rule named '%s'", r.name);
				pcre2_code_free(r.re);
				free(r.name);
				got = -1;
			}
		}
		if (got < 0) {
			strbuf_addf(err, "%s:%u: %s", name, lineno + 1, why.buf);
			rules_release(rs);
			strbuf_release(&line);
			strbuf_release(&why);
			return -1;
		}
		if (!got)
			continue;
		if (rs->n == cap) {
			cap = grow_capacity(cap, rs->n + 1, 16);
			rs->rule = xreallocarray(rs->rule, cap, sizeof(*rs->rule));
		}
		rs->rule[rs->n++] = r;
	}
	strbuf_release(&line);
	strbuf_release(&why);
	return 0;
}
