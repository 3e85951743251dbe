/* json_schema.c: JSON Schema validation; see json_schema.h.
 *
 * Nothing is built from the schema: validation walks its JSON text, as
 * the scanner walks a record. What would cost too much to redo for every
 * instance is done once at load: the patterns are compiled (and found
 * again by where they stand in the schema's text), and every $ref is
 * followed once so that one that leads nowhere is an error of the
 * schema, not of each record.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "json_schema.h"

#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

/* How deep validation may nest (subschemas within subschemas, $ref
 * after $ref): a $ref that leads back to itself without going into the
 * instance stops here with an error, never with a crash. */
#define SCHEMA_MAX_DEPTH 512

/* How much work one pattern match may take. */
#define PATTERN_MATCH_LIMIT 1000000

struct pattern {
	const char *at;		/* the pattern's JSON string in the schema text */
	pcre2_code *re;
};

struct json_schema {
	struct strbuf text;	/* {"v":SCHEMA} */
	struct json_value root;
	enum json_schema_draft draft;
	struct pattern *pat;	/* in the order of `at` */
	size_t npat, patcap;
	pcre2_match_context *mctx;
};

/* --- JSON values ----------------------------------------------------------- */

/* Put text[0..n) into buf as the one member of an object, check it, and
 * point *v at the value: the scanner checks objects only. Returns 0, or
 * -1 with the reason in msg. */
static int wrap_value(struct strbuf *buf, const char *text, size_t n, struct json_value *v,
		      struct strbuf *msg)
{
	struct json_error err;
	strbuf_reset(buf);
	strbuf_addstr(buf, "{\"v\":");
	strbuf_add(buf, text, n);
	strbuf_addc(buf, '}');
	if (json_check_record(buf->buf, buf->len, &err) < 0) {
		size_t at = err.offset > 5 ? err.offset - 5 : 0;
		if (at > n)
			at = n;
		/* The scanner speaks of records; here it is a text. */
		const char *m = !strcmp(err.msg, "invalid JSON: unexpected end of record") ?
				"invalid JSON: unexpected end of text" :
				!strcmp(err.msg, "NUL byte in record") ? "invalid JSON: NUL byte" : err.msg;
		strbuf_reset(msg);
		strbuf_addf(msg, "%s%s at byte %zu", strncmp(m, "invalid JSON", 12) ? "invalid JSON: " : "", m, at);
		return -1;
	}
	if (!json_get(buf->buf, buf->len, "v", v)) {
		strbuf_reset(msg);
		strbuf_addstr(msg, "invalid JSON: no value");
		return -1;
	}
	/* Text such as `1,"w":2` makes a valid object of two members: the
	 * value must run to the end. */
	const char *p = v->p + v->len, *end = buf->buf + buf->len - 1;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (p != end) {
		strbuf_reset(msg);
		strbuf_addf(msg, "invalid JSON: text after the value at byte %zu",
			    (size_t)(v->p + v->len - buf->buf) - 5);
		return -1;
	}
	return 0;
}

static double num(const struct json_value *v)
{
	/* The scanner checked the number, and what follows it cannot
	 * continue one; synth never sets a locale. */
	return strtod(v->p, NULL);
}

/* The contents of the string value v: in place when it holds no escape,
 * else decoded into tmp. */
static void str_of(const struct json_value *v, struct strbuf *tmp, const char **s, size_t *n)
{
	if (json_string_plain(v, s, n))
		return;
	strbuf_reset(tmp);
	json_decode_string(v, tmp);
	*s = tmp->buf;
	*n = tmp->len;
}

static int string_equal(const struct json_value *a, const struct json_value *b)
{
	struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT;
	const char *sa, *sb;
	size_t na, nb;
	str_of(a, &ta, &sa, &na);
	str_of(b, &tb, &sb, &nb);
	int eq = na == nb && !memcmp(sa, sb, na);
	strbuf_release(&ta);
	strbuf_release(&tb);
	return eq;
}

/* Is the decoded string value v the bytes s[0..n)? */
static int string_is(const struct json_value *v, const char *s, size_t n)
{
	const char *p;
	size_t len;
	if (json_string_plain(v, &p, &len))
		return len == n && !memcmp(p, s, n);
	struct strbuf t = STRBUF_INIT;
	json_decode_string(v, &t);
	int eq = t.len == n && !memcmp(t.buf, s, n);
	strbuf_release(&t);
	return eq;
}

/* The member of obj whose name is the keyword kw (no escapes in either):
 * the first one. */
static int keyword(const struct json_value *obj, const char *kw, struct json_value *out)
{
	size_t pos = 0, n = strlen(kw);
	struct json_value name;
	while (json_object_next(obj, &pos, &name, out))
		if (name.len == n + 2 && !memcmp(name.p + 1, kw, n))
			return 1;
	return 0;
}

static int name_is(const struct json_value *name, const char *kw)
{
	size_t n = strlen(kw);
	return name->len == n + 2 && !memcmp(name->p + 1, kw, n);
}

/* The member of the object obj called as the string value name is. */
static int member_named(const struct json_value *obj, const struct json_value *name,
			struct json_value *out)
{
	size_t pos = 0;
	struct json_value k;
	while (json_object_next(obj, &pos, &k, out))
		if (string_equal(&k, name))
			return 1;
	return 0;
}

static size_t count_items(const struct json_value *v)
{
	size_t pos = 0, n = 0;
	struct json_value e, k;
	if (v->type == JSON_ARRAY)
		while (json_array_next(v, &pos, &e))
			n++;
	else
		while (json_object_next(v, &pos, &k, &e))
			n++;
	return n;
}

/* JSON equality: numbers by value (1 and 1.0 are equal), strings by
 * their decoded contents, objects whatever the order of their members. */
static int json_equal(const struct json_value *a, const struct json_value *b)
{
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case JSON_NUMBER:
		return num(a) == num(b);
	case JSON_STRING:
		return string_equal(a, b);
	case JSON_ARRAY: {
		size_t pa = 0, pb = 0;
		struct json_value ea, eb;
		for (;;) {
			int ha = json_array_next(a, &pa, &ea), hb = json_array_next(b, &pb, &eb);
			if (ha != hb)
				return 0;
			if (!ha)
				return 1;
			if (!json_equal(&ea, &eb))
				return 0;
		}
	}
	case JSON_OBJECT: {
		if (count_items(a) != count_items(b))
			return 0;
		size_t pos = 0;
		struct json_value k, va, vb;
		while (json_object_next(a, &pos, &k, &va))
			if (!member_named(b, &k, &vb) || !json_equal(&va, &vb))
				return 0;
		return 1;
	}
	default:
		return 1;
	}
}

static int is_integer(double x)
{
	return isfinite(x) && x == floor(x);
}

static size_t code_points(const char *s, size_t n)
{
	size_t cp = 0;
	for (size_t i = 0; i < n; i++)
		cp += ((unsigned char)s[i] & 0xC0) != 0x80;
	return cp;
}

/* --- $ref ------------------------------------------------------------------- */

static int hexdigit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Follow the reference ref (a JSON string) within the schema: "#" is the
 * root, "#/a/b" a JSON pointer (RFC 6901) in a URI fragment (percent-
 * encoded or not). Returns 0 with *out set, or -1 with the reason in err. */
static int resolve_ref(const struct json_schema *s, const struct json_value *ref,
		       struct json_value *out, struct strbuf *err)
{
	struct strbuf t = STRBUF_INIT, frag = STRBUF_INIT, step = STRBUF_INIT;
	int rc = -1;
	json_decode_string(ref, &t);
	if (!t.len || t.buf[0] != '#') {
		strbuf_addf(err, "$ref \"%s\": only references within the document (#...) are followed",
			    t.buf);
		goto out;
	}
	for (size_t i = 1; i < t.len; i++) {
		int h, l;
		if (t.buf[i] == '%' && i + 2 < t.len &&
		    (h = hexdigit(t.buf[i + 1])) >= 0 && (l = hexdigit(t.buf[i + 2])) >= 0) {
			strbuf_addc(&frag, (char)(h << 4 | l));
			i += 2;
		} else {
			strbuf_addc(&frag, t.buf[i]);
		}
	}
	struct json_value at = s->root;
	if (frag.len && frag.buf[0] != '/') {
		strbuf_addf(err, "$ref \"%s\": anchors ($anchor, $dynamicAnchor) are not followed", t.buf);
		goto out;
	}
	for (size_t i = 0; i < frag.len;) {
		/* One step: from past the '/' to the next '/'. */
		size_t j = i + 1;
		strbuf_reset(&step);
		for (; j < frag.len && frag.buf[j] != '/'; j++) {
			if (frag.buf[j] == '~' && j + 1 < frag.len && (frag.buf[j + 1] == '0' || frag.buf[j + 1] == '1')) {
				strbuf_addc(&step, frag.buf[j + 1] == '0' ? '~' : '/');
				j++;
			} else {
				strbuf_addc(&step, frag.buf[j]);
			}
		}
		i = j;
		int found = 0;
		struct json_value k, v;
		size_t pos = 0;
		if (at.type == JSON_OBJECT) {
			while (!found && json_object_next(&at, &pos, &k, &v))
				if (string_is(&k, step.buf, step.len)) {
					at = v;
					found = 1;
				}
		} else if (at.type == JSON_ARRAY && step.len && step.len < 10 &&
			   (step.buf[0] != '0' || step.len == 1) && strspn(step.buf, "0123456789") == step.len) {
			size_t want = (size_t)strtoul(step.buf, NULL, 10), idx = 0;
			while (!found && json_array_next(&at, &pos, &v))
				if (idx++ == want) {
					at = v;
					found = 1;
				}
		}
		if (!found) {
			strbuf_addf(err, "$ref \"%s\": the schema has nothing at \"%s\"", t.buf, frag.buf);
			goto out;
		}
	}
	*out = at;
	rc = 0;
out:
	strbuf_release(&t);
	strbuf_release(&frag);
	strbuf_release(&step);
	return rc;
}

/* --- Loading ---------------------------------------------------------------- */

static int add_pattern(struct json_schema *s, const struct json_value *v, struct strbuf *err)
{
	struct strbuf t = STRBUF_INIT;
	const char *p;
	size_t n;
	str_of(v, &t, &p, &n);
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)p, n, PCRE2_UTF, &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(code, msg, sizeof(msg));
		strbuf_addf(err, "pattern \"%.*s\": %s at offset %zu", (int)(n < 80 ? n : 80), p,
			    (char *)msg, (size_t)off);
		strbuf_release(&t);
		return -1;
	}
	strbuf_release(&t);
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	if (s->npat == s->patcap) {
		s->patcap = grow_capacity(s->patcap, s->npat + 1, 8);
		s->pat = xreallocarray(s->pat, s->patcap, sizeof(*s->pat));
	}
	s->pat[s->npat++] = (struct pattern){ v->p, re };
	return 0;
}

/* Walk the schema: compile each pattern, follow each $ref. Values that
 * are data, not schemas (enum, const, default, examples), are not
 * looked into. */
static int load_walk(struct json_schema *s, const struct json_value *v, struct strbuf *err)
{
	size_t pos = 0;
	struct json_value k, e;
	if (v->type == JSON_ARRAY) {
		while (json_array_next(v, &pos, &e))
			if (load_walk(s, &e, err) < 0)
				return -1;
		return 0;
	}
	if (v->type != JSON_OBJECT)
		return 0;
	while (json_object_next(v, &pos, &k, &e)) {
		if (name_is(&k, "enum") || name_is(&k, "const") || name_is(&k, "default") ||
		    name_is(&k, "examples"))
			continue;
		if (name_is(&k, "pattern") && e.type == JSON_STRING) {
			if (add_pattern(s, &e, err) < 0)
				return -1;
			continue;
		}
		if (name_is(&k, "patternProperties") && e.type == JSON_OBJECT) {
			size_t pp = 0;
			struct json_value pk, pv;
			while (json_object_next(&e, &pp, &pk, &pv))
				if (add_pattern(s, &pk, err) < 0)
					return -1;
		}
		if (name_is(&k, "$ref") && e.type == JSON_STRING) {
			struct json_value target;
			if (resolve_ref(s, &e, &target, err) < 0)
				return -1;
			continue;
		}
		if (load_walk(s, &e, err) < 0)
			return -1;
	}
	return 0;
}

static int pattern_order(const void *a, const void *b)
{
	const struct pattern *x = a, *y = b;
	return x->at < y->at ? -1 : x->at > y->at;
}

struct json_schema *json_schema_load(const char *text, size_t n, enum json_schema_draft draft,
				     struct strbuf *err)
{
	struct json_schema *s = xcalloc(1, sizeof(*s));
	strbuf_init(&s->text);
	s->draft = draft;
	struct strbuf msg = STRBUF_INIT;
	if (wrap_value(&s->text, text, n, &s->root, &msg) < 0) {
		strbuf_add(err, msg.buf, msg.len);
		strbuf_release(&msg);
		json_schema_free(s);
		return NULL;
	}
	strbuf_release(&msg);
	if (s->root.type != JSON_OBJECT && s->root.type != JSON_TRUE && s->root.type != JSON_FALSE) {
		strbuf_addstr(err, "a schema is an object, true or false");
		json_schema_free(s);
		return NULL;
	}
	if (load_walk(s, &s->root, err) < 0) {
		json_schema_free(s);
		return NULL;
	}
	if (s->npat)
		qsort(s->pat, s->npat, sizeof(*s->pat), pattern_order);
	s->mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(s->mctx, PATTERN_MATCH_LIMIT);
	pcre2_set_depth_limit(s->mctx, PATTERN_MATCH_LIMIT / 10);
	return s;
}

void json_schema_free(struct json_schema *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npat; i++)
		pcre2_code_free(s->pat[i].re);
	free(s->pat);
	pcre2_match_context_free(s->mctx);
	strbuf_release(&s->text);
	free(s);
}

static const pcre2_code *find_pattern(const struct json_schema *s, const char *at)
{
	size_t lo = 0, hi = s->npat;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->pat[mid].at == at)
			return s->pat[mid].re;
		if (s->pat[mid].at < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* --- Validation ------------------------------------------------------------- */

struct ctx {
	const struct json_schema *s;
	struct json_schema_check *c;
	unsigned depth;
};

/* Record the first error at the current path; returns 0 (invalid). */
__attribute__((format(printf, 3, 4)))
static int fail(struct ctx *x, int report, const char *fmt, ...)
{
	if (!report)
		return 0;
	struct json_schema_check *c = x->c;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	strbuf_reset(&c->path);
	strbuf_add(&c->path, c->at.buf, c->at.len);
	strbuf_reset(&c->message);
	strbuf_addstr(&c->message, msg);
	return 0;
}

/* A number as JSON writes it, for messages: never through the locale. */
struct numtext {
	char s[40];
};

static struct numtext numtext(double x)
{
	struct numtext t;
	struct strbuf sb = STRBUF_INIT;
	json_add_double(&sb, x);
	snprintf(t.s, sizeof(t.s), "%s", sb.buf);
	strbuf_release(&sb);
	return t;
}

/* The path one step down: a member's name (decoded, escaped for a JSON
 * pointer) or an index. Returns the length to go back to. */
static size_t push_name(struct ctx *x, const struct json_value *name)
{
	struct strbuf *at = &x->c->at;
	size_t len = at->len;
	struct strbuf t = STRBUF_INIT;
	const char *s;
	size_t n;
	str_of(name, &t, &s, &n);
	strbuf_addc(at, '/');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '~')
			strbuf_addstr(at, "~0");
		else if (s[i] == '/')
			strbuf_addstr(at, "~1");
		else
			strbuf_addc(at, s[i]);
	}
	strbuf_release(&t);
	return len;
}

static size_t push_index(struct ctx *x, size_t i)
{
	size_t len = x->c->at.len;
	strbuf_addf(&x->c->at, "/%zu", i);
	return len;
}

static void pop(struct ctx *x, size_t len)
{
	strbuf_setlen(&x->c->at, len);
}

static int validate(struct ctx *x, const struct json_value *sch, const struct json_value *inst,
		    int report);

static const char *type_name(const struct json_value *v)
{
	switch (v->type) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_NUMBER: return is_integer(num(v)) ? "integer" : "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	default: return "nothing";
	}
}

static int type_is(const struct json_value *t, const struct json_value *inst)
{
	const char *s;
	size_t n;
	if (t->type != JSON_STRING || !json_string_plain(t, &s, &n))
		return 0;
#define IS(w) (n == sizeof(w) - 1 && !memcmp(s, w, n))
	switch (inst->type) {
	case JSON_NULL: return IS("null");
	case JSON_TRUE:
	case JSON_FALSE: return IS("boolean");
	case JSON_OBJECT: return IS("object");
	case JSON_ARRAY: return IS("array");
	case JSON_STRING: return IS("string");
	case JSON_NUMBER: return IS("number") || (IS("integer") && is_integer(num(inst)));
	default: return 0;
	}
#undef IS
}

static int kw_type(struct ctx *x, const struct json_value *k, const struct json_value *inst, int report)
{
	if (k->type == JSON_STRING) {
		if (type_is(k, inst))
			return 1;
		return fail(x, report, "must be of type %.*s, not %s", (int)k->len - 2, k->p + 1,
			    type_name(inst));
	}
	if (k->type != JSON_ARRAY)
		return 1;
	size_t pos = 0;
	struct json_value t;
	while (json_array_next(k, &pos, &t))
		if (type_is(&t, inst))
			return 1;
	return fail(x, report, "must be of type %.*s, not %s", (int)(k->len < 200 ? k->len : 200), k->p,
		    type_name(inst));
}

static int kw_enum(struct ctx *x, const struct json_value *k, const struct json_value *inst, int report)
{
	if (k->type != JSON_ARRAY)
		return 1;
	size_t pos = 0;
	struct json_value e;
	while (json_array_next(k, &pos, &e))
		if (json_equal(&e, inst))
			return 1;
	return fail(x, report, "is not one of the values of enum");
}

static int kw_number(struct ctx *x, const struct json_value *name, const struct json_value *k,
		     const struct json_value *inst, int report)
{
	if (inst->type != JSON_NUMBER || k->type != JSON_NUMBER)
		return 1;
	double v = num(inst), b = num(k);
	if (name_is(name, "minimum"))
		return v >= b || fail(x, report, "must be at least %s", numtext(b).s);
	if (name_is(name, "maximum"))
		return v <= b || fail(x, report, "must be at most %s", numtext(b).s);
	if (name_is(name, "exclusiveMinimum"))
		return v > b || fail(x, report, "must be greater than %s", numtext(b).s);
	if (name_is(name, "exclusiveMaximum"))
		return v < b || fail(x, report, "must be less than %s", numtext(b).s);
	/* multipleOf: the quotient must be a whole number, within what the
	 * division of two doubles can say (0.0075 is a multiple of 0.0001). */
	if (b <= 0)
		return 1;
	double q = v / b;
	if (isfinite(q) && fabs(q - nearbyint(q)) <= 1e-9 * fmax(1, fabs(q)))
		return 1;
	return fail(x, report, "must be a multiple of %s", numtext(b).s);
}

/* A count bound of a keyword: a non-negative whole number, or -1. */
static double bound_of(const struct json_value *k)
{
	if (k->type != JSON_NUMBER)
		return -1;
	double b = num(k);
	return b >= 0 ? b : -1;
}

static int kw_length(struct ctx *x, int max, const struct json_value *k, const struct json_value *inst,
		     int report)
{
	double b = bound_of(k);
	if (inst->type != JSON_STRING || b < 0)
		return 1;
	struct strbuf t = STRBUF_INIT;
	const char *s;
	size_t n;
	str_of(inst, &t, &s, &n);
	size_t cp = code_points(s, n);
	strbuf_release(&t);
	if (max ? (double)cp <= b : (double)cp >= b)
		return 1;
	return fail(x, report, "must be %s %s characters long (is %zu)", max ? "at most" : "at least",
		    numtext(b).s, cp);
}

/* Does the pattern at schema value p (a JSON string) match s[0..n)?
 * 1 or 0; -1 when the match could not finish (a limit). */
static int pattern_matches(struct ctx *x, const struct json_value *p, const char *s, size_t n)
{
	const pcre2_code *re = find_pattern(x->s, p->p);
	pcre2_code *own = NULL;
	if (!re) {
		/* Reached only through a $ref into data: compiled here. */
		struct strbuf t = STRBUF_INIT;
		const char *ps;
		size_t pn;
		int code;
		PCRE2_SIZE off;
		str_of(p, &t, &ps, &pn);
		own = pcre2_compile((PCRE2_SPTR)ps, pn, PCRE2_UTF, &code, &off, NULL);
		strbuf_release(&t);
		if (!own)
			return -1;
		re = own;
	}
	if (!x->c->md)
		x->c->md = pcre2_match_data_create(1, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, x->c->md, x->s->mctx);
	pcre2_code_free(own);
	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

static int kw_pattern(struct ctx *x, const struct json_value *k, const struct json_value *inst, int report)
{
	if (inst->type != JSON_STRING || k->type != JSON_STRING)
		return 1;
	struct strbuf t = STRBUF_INIT;
	const char *s;
	size_t n;
	str_of(inst, &t, &s, &n);
	int m = pattern_matches(x, k, s, n);
	strbuf_release(&t);
	if (m > 0)
		return 1;
	if (m < 0)
		return fail(x, report, "the pattern %.*s could not be matched (a limit)",
			    (int)(k->len < 100 ? k->len : 100), k->p);
	return fail(x, report, "does not match the pattern %.*s", (int)(k->len < 100 ? k->len : 100), k->p);
}

static int kw_count(struct ctx *x, const struct json_value *name, const struct json_value *k,
		    const struct json_value *inst, int report)
{
	int items = name_is(name, "minItems") || name_is(name, "maxItems");
	int max = name_is(name, "maxItems") || name_is(name, "maxProperties");
	double b = bound_of(k);
	if (b < 0 || inst->type != (items ? JSON_ARRAY : JSON_OBJECT))
		return 1;
	size_t n = count_items(inst);
	if (max ? (double)n <= b : (double)n >= b)
		return 1;
	return fail(x, report, "must have %s %s %s (has %zu)", max ? "at most" : "at least",
		    numtext(b).s, items ? "items" : "members", n);
}

static int kw_unique(struct ctx *x, const struct json_value *k, const struct json_value *inst, int report)
{
	if (k->type != JSON_TRUE || inst->type != JSON_ARRAY)
		return 1;
	size_t pa = 0, i = 0;
	struct json_value a, b;
	while (json_array_next(inst, &pa, &a)) {
		size_t pb = pa, j = i + 1;
		while (json_array_next(inst, &pb, &b)) {
			if (json_equal(&a, &b))
				return fail(x, report, "items %zu and %zu are equal", i, j);
			j++;
		}
		i++;
	}
	return 1;
}

/* Items from index `from` on against the schema sch. */
static int items_from(struct ctx *x, const struct json_value *sch, size_t from,
		      const struct json_value *inst, int report)
{
	size_t pos = 0, i = 0;
	struct json_value e;
	while (json_array_next(inst, &pos, &e)) {
		if (i >= from) {
			size_t back = push_index(x, i);
			int ok = validate(x, sch, &e, report);
			pop(x, back);
			if (!ok)
				return 0;
		}
		i++;
	}
	return 1;
}

/* The array of schemas k against the items at the same places. */
static int items_tuple(struct ctx *x, const struct json_value *k, const struct json_value *inst, int report)
{
	size_t ps = 0, pi = 0, i = 0;
	struct json_value s, e;
	while (json_array_next(k, &ps, &s) && json_array_next(inst, &pi, &e)) {
		size_t back = push_index(x, i++);
		int ok = validate(x, &s, &e, report);
		pop(x, back);
		if (!ok)
			return 0;
	}
	return 1;
}

static int kw_items(struct ctx *x, const struct json_value *sch, const struct json_value *k,
		    const struct json_value *inst, int report)
{
	if (inst->type != JSON_ARRAY)
		return 1;
	struct json_value prefix;
	if (x->s->draft == JSON_SCHEMA_DRAFT7) {
		if (k->type == JSON_ARRAY)
			return items_tuple(x, k, inst, report);
		return items_from(x, k, 0, inst, report);
	}
	size_t from = keyword(sch, "prefixItems", &prefix) && prefix.type == JSON_ARRAY ?
		      count_items(&prefix) : 0;
	return items_from(x, k, from, inst, report);
}

static int kw_additional_items(struct ctx *x, const struct json_value *sch, const struct json_value *k,
			       const struct json_value *inst, int report)
{
	struct json_value items;
	if (x->s->draft != JSON_SCHEMA_DRAFT7 || inst->type != JSON_ARRAY ||
	    !keyword(sch, "items", &items) || items.type != JSON_ARRAY)
		return 1;
	return items_from(x, k, count_items(&items), inst, report);
}

static int kw_contains(struct ctx *x, const struct json_value *sch, const struct json_value *k,
		       const struct json_value *inst, int report)
{
	if (inst->type != JSON_ARRAY)
		return 1;
	struct json_value b;
	double min = 1, max = -1;
	if (keyword(sch, "minContains", &b) && bound_of(&b) >= 0)
		min = bound_of(&b);
	if (keyword(sch, "maxContains", &b) && bound_of(&b) >= 0)
		max = bound_of(&b);
	size_t pos = 0, n = 0;
	struct json_value e;
	while (json_array_next(inst, &pos, &e))
		n += (size_t)validate(x, k, &e, 0);
	if ((double)n < min)
		return fail(x, report, "must hold at least %s items that match contains (holds %zu)",
			    numtext(min).s, n);
	if (max >= 0 && (double)n > max)
		return fail(x, report, "must hold at most %s items that match contains (holds %zu)",
			    numtext(max).s, n);
	return 1;
}

static int require(struct ctx *x, const struct json_value *names, const struct json_value *inst,
		   const struct json_value *because, int report)
{
	size_t pos = 0;
	struct json_value n, v;
	while (json_array_next(names, &pos, &n)) {
		if (n.type != JSON_STRING || member_named(inst, &n, &v))
			continue;
		if (because)
			return fail(x, report, "member %.*s needs member %.*s",
				    (int)(because->len < 100 ? because->len : 100), because->p,
				    (int)(n.len < 100 ? n.len : 100), n.p);
		return fail(x, report, "missing required member %.*s", (int)(n.len < 100 ? n.len : 100), n.p);
	}
	return 1;
}

/* dependentRequired and dependentSchemas (and draft 7's dependencies,
 * which is either): for each member of k the instance has. */
static int kw_dependent(struct ctx *x, const struct json_value *k, const struct json_value *inst,
			int report)
{
	if (k->type != JSON_OBJECT || inst->type != JSON_OBJECT)
		return 1;
	size_t pos = 0;
	struct json_value name, dep, v;
	while (json_object_next(k, &pos, &name, &dep)) {
		if (!member_named(inst, &name, &v))
			continue;
		if (dep.type == JSON_ARRAY ? !require(x, &dep, inst, &name, report) :
					     !validate(x, &dep, inst, report))
			return 0;
	}
	return 1;
}

static int kw_properties(struct ctx *x, const struct json_value *k, const struct json_value *inst, int report)
{
	if (k->type != JSON_OBJECT || inst->type != JSON_OBJECT)
		return 1;
	size_t pos = 0;
	struct json_value name, v, sub;
	while (json_object_next(inst, &pos, &name, &v)) {
		if (!member_named(k, &name, &sub))
			continue;
		size_t back = push_name(x, &name);
		int ok = validate(x, &sub, &v, report);
		pop(x, back);
		if (!ok)
			return 0;
	}
	return 1;
}

/* Does any pattern of patternProperties pp match the member name? With
 * inst_value, the member's value is validated against each that does:
 * returns -1 when one fails. */
static int pattern_members(struct ctx *x, const struct json_value *pp, const struct json_value *name,
			   const struct json_value *value, int report)
{
	struct strbuf t = STRBUF_INIT;
	const char *s;
	size_t n;
	str_of(name, &t, &s, &n);
	size_t pos = 0;
	struct json_value pat, sub;
	int any = 0;
	while (json_object_next(pp, &pos, &pat, &sub)) {
		if (pattern_matches(x, &pat, s, n) <= 0)
			continue;
		any = 1;
		if (value) {
			size_t back = push_name(x, name);
			int ok = validate(x, &sub, value, report);
			pop(x, back);
			if (!ok) {
				any = -1;
				break;
			}
		}
	}
	strbuf_release(&t);
	return any;
}

static int kw_pattern_properties(struct ctx *x, const struct json_value *k, const struct json_value *inst,
				 int report)
{
	if (k->type != JSON_OBJECT || inst->type != JSON_OBJECT)
		return 1;
	size_t pos = 0;
	struct json_value name, v;
	while (json_object_next(inst, &pos, &name, &v))
		if (pattern_members(x, k, &name, &v, report) < 0)
			return 0;
	return 1;
}

static int kw_additional_properties(struct ctx *x, const struct json_value *sch, const struct json_value *k,
				    const struct json_value *inst, int report)
{
	if (inst->type != JSON_OBJECT)
		return 1;
	struct json_value props, pp, name, v, sub;
	int has_props = keyword(sch, "properties", &props) && props.type == JSON_OBJECT;
	int has_pp = keyword(sch, "patternProperties", &pp) && pp.type == JSON_OBJECT;
	size_t pos = 0;
	while (json_object_next(inst, &pos, &name, &v)) {
		if ((has_props && member_named(&props, &name, &sub)) ||
		    (has_pp && pattern_members(x, &pp, &name, NULL, 0) > 0))
			continue;
		size_t back = push_name(x, &name);
		int ok = k->type == JSON_FALSE ? fail(x, report, "is not allowed (additionalProperties)") :
						 validate(x, k, &v, report);
		pop(x, back);
		if (!ok)
			return 0;
	}
	return 1;
}

static int kw_property_names(struct ctx *x, const struct json_value *k, const struct json_value *inst,
			     int report)
{
	if (inst->type != JSON_OBJECT)
		return 1;
	size_t pos = 0;
	struct json_value name, v;
	while (json_object_next(inst, &pos, &name, &v)) {
		if (validate(x, k, &name, 0))
			continue;
		size_t back = push_name(x, &name);
		fail(x, report, "the member name does not match propertyNames");
		pop(x, back);
		return 0;
	}
	return 1;
}

static int kw_combine(struct ctx *x, const struct json_value *name, const struct json_value *k,
		      const struct json_value *inst, int report)
{
	if (k->type != JSON_ARRAY)
		return 1;
	size_t pos = 0, n = 0, i = 0, first = 0;
	struct json_value sub;
	if (name_is(name, "allOf")) {
		while (json_array_next(k, &pos, &sub))
			if (!validate(x, &sub, inst, report))
				return 0;
		return 1;
	}
	int any = name_is(name, "anyOf");
	while (json_array_next(k, &pos, &sub)) {
		if (validate(x, &sub, inst, 0)) {
			if (any)
				return 1;
			if (n++)
				return fail(x, report, "matches schemas %zu and %zu of oneOf, not one only",
					    first, i);
			first = i;
		}
		i++;
	}
	if (n == 1)
		return 1;
	return fail(x, report, "matches none of the %zu schemas of %s", i, any ? "anyOf" : "oneOf");
}

static int kw_if(struct ctx *x, const struct json_value *sch, const struct json_value *k,
		 const struct json_value *inst, int report)
{
	struct json_value branch;
	if (!keyword(sch, validate(x, k, inst, 0) ? "then" : "else", &branch))
		return 1;
	return validate(x, &branch, inst, report);
}

static int kw_ref(struct ctx *x, const struct json_value *k, const struct json_value *inst, int report)
{
	if (k->type != JSON_STRING)
		return 1;
	struct json_value target;
	struct strbuf err = STRBUF_INIT;
	int rc = resolve_ref(x->s, k, &target, &err);
	if (rc < 0) {
		/* Only a $ref that loading did not see (inside data reached by
		 * another $ref) can fail here. */
		fail(x, report, "%s", err.buf);
		strbuf_release(&err);
		return 0;
	}
	strbuf_release(&err);
	return validate(x, &target, inst, report);
}

static int validate(struct ctx *x, const struct json_value *sch, const struct json_value *inst,
		    int report)
{
	if (sch->type == JSON_TRUE)
		return 1;
	if (sch->type == JSON_FALSE)
		return fail(x, report, "no value is allowed here (the schema is false)");
	if (sch->type != JSON_OBJECT)
		return 1;
	if (x->depth >= SCHEMA_MAX_DEPTH)
		return fail(x, report, "the schema nests more than %d deep here ($ref in a loop?)",
			    SCHEMA_MAX_DEPTH);
	x->depth++;
	int ok = 1;
	struct json_value name, k;
	if (x->s->draft == JSON_SCHEMA_DRAFT7 && keyword(sch, "$ref", &k)) {
		/* Draft 7: $ref stands alone; its siblings do not count. */
		ok = kw_ref(x, &k, inst, report);
		x->depth--;
		return ok;
	}
	size_t pos = 0;
	while (ok && json_object_next(sch, &pos, &name, &k)) {
		if (name.len < 4)
			continue;
		switch (name.p[1]) {
		case '$':
			if (name_is(&name, "$ref"))
				ok = kw_ref(x, &k, inst, report);
			break;
		case 'a':
			if (name_is(&name, "allOf") || name_is(&name, "anyOf"))
				ok = kw_combine(x, &name, &k, inst, report);
			else if (name_is(&name, "additionalProperties"))
				ok = kw_additional_properties(x, sch, &k, inst, report);
			else if (name_is(&name, "additionalItems"))
				ok = kw_additional_items(x, sch, &k, inst, report);
			break;
		case 'c':
			if (name_is(&name, "const"))
				ok = json_equal(&k, inst) || fail(x, report, "is not the value of const");
			else if (name_is(&name, "contains"))
				ok = kw_contains(x, sch, &k, inst, report);
			break;
		case 'd':
			if (name_is(&name, "dependentRequired") || name_is(&name, "dependentSchemas") ||
			    (x->s->draft == JSON_SCHEMA_DRAFT7 && name_is(&name, "dependencies")))
				ok = kw_dependent(x, &k, inst, report);
			break;
		case 'e':
			if (name_is(&name, "enum"))
				ok = kw_enum(x, &k, inst, report);
			else if (name_is(&name, "exclusiveMinimum") || name_is(&name, "exclusiveMaximum"))
				ok = kw_number(x, &name, &k, inst, report);
			break;
		case 'i':
			if (name_is(&name, "items"))
				ok = kw_items(x, sch, &k, inst, report);
			else if (name_is(&name, "if"))
				ok = kw_if(x, sch, &k, inst, report);
			break;
		case 'm':
			if (name_is(&name, "minimum") || name_is(&name, "maximum") ||
			    name_is(&name, "multipleOf"))
				ok = kw_number(x, &name, &k, inst, report);
			else if (name_is(&name, "minLength") || name_is(&name, "maxLength"))
				ok = kw_length(x, name_is(&name, "maxLength"), &k, inst, report);
			else if (name_is(&name, "minItems") || name_is(&name, "maxItems") ||
				 name_is(&name, "minProperties") || name_is(&name, "maxProperties"))
				ok = kw_count(x, &name, &k, inst, report);
			break;
		case 'n':
			if (name_is(&name, "not") && validate(x, &k, inst, 0))
				ok = fail(x, report, "must not match the schema of not");
			break;
		case 'o':
			if (name_is(&name, "oneOf"))
				ok = kw_combine(x, &name, &k, inst, report);
			break;
		case 'p':
			if (name_is(&name, "properties"))
				ok = kw_properties(x, &k, inst, report);
			else if (name_is(&name, "pattern"))
				ok = kw_pattern(x, &k, inst, report);
			else if (name_is(&name, "patternProperties"))
				ok = kw_pattern_properties(x, &k, inst, report);
			else if (name_is(&name, "prefixItems") && x->s->draft != JSON_SCHEMA_DRAFT7)
				ok = inst->type != JSON_ARRAY || k.type != JSON_ARRAY ||
				     items_tuple(x, &k, inst, report);
			else if (name_is(&name, "propertyNames"))
				ok = kw_property_names(x, &k, inst, report);
			break;
		case 'r':
			if (name_is(&name, "required") && k.type == JSON_ARRAY && inst->type == JSON_OBJECT)
				ok = require(x, &k, inst, NULL, report);
			break;
		case 't':
			if (name_is(&name, "type"))
				ok = kw_type(x, &k, inst, report);
			break;
		case 'u':
			if (name_is(&name, "uniqueItems"))
				ok = kw_unique(x, &k, inst, report);
			break;
		}
	}
	x->depth--;
	return ok;
}

void json_schema_check_init(struct json_schema_check *c)
{
	strbuf_init(&c->path);
	strbuf_init(&c->message);
	strbuf_init(&c->buf);
	strbuf_init(&c->at);
	c->md = NULL;
}

void json_schema_check_release(struct json_schema_check *c)
{
	strbuf_release(&c->path);
	strbuf_release(&c->message);
	strbuf_release(&c->buf);
	strbuf_release(&c->at);
	pcre2_match_data_free(c->md);
	c->md = NULL;
}

enum json_schema_result json_schema_validate(const struct json_schema *s, const char *text,
					     size_t n, struct json_schema_check *c)
{
	struct json_value inst;
	strbuf_reset(&c->path);
	strbuf_reset(&c->message);
	strbuf_reset(&c->at);
	if (wrap_value(&c->buf, text, n, &inst, &c->message) < 0)
		return JSON_SCHEMA_NOT_JSON;
	struct ctx x = { s, c, 0 };
	return validate(&x, &s->root, &inst, 1) ? JSON_SCHEMA_VALID : JSON_SCHEMA_INVALID;
}
