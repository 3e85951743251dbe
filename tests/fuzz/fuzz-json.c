/* fuzz-json.c: libFuzzer target for the JSON scanner and record editor.
 *
 * The main check is differential: json_check_record() must accept exactly
 * the inputs that a second, independent validator in this file accepts.
 * That validator is written differently on purpose (recursive descent,
 * UTF-8 decoded to code points by arithmetic rather than by lead-byte
 * ranges) and follows the RFC 8259 grammar plus the decisions json.h
 * documents: the text is one object, strings are valid UTF-8 without raw
 * control characters, lone surrogate escapes are accepted, and at most
 * JSON_MAX_DEPTH containers are open at once.
 *
 * For an accepted record the same reference parser also answers what
 * json_check_record_member(), json_get(), json_decode_string() and
 * json_set_member() should return, so their results are compared byte
 * for byte, not only checked for validity. Any disagreement calls
 * abort(), which libFuzzer reports.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                  \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "fuzz-json: property violated: %s (%s:%d)\n", \
				(what), __FILE__, __LINE__);               \
			abort();                                           \
		}                                                          \
	} while (0)

/* --- A small growable byte buffer, kept apart from strbuf ---------------- */

struct bytes {
	char *p;
	size_t len, cap;
};

static void bytes_add(struct bytes *b, const void *src, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q)
			abort();
		b->p = q;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, src, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void bytes_addc(struct bytes *b, char c)
{
	bytes_add(b, &c, 1);
}

static void bytes_free(struct bytes *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* --- The reference validator ---------------------------------------------- */

struct ref {
	const unsigned char *p, *end;
};

static int ref_is_ws(unsigned c)
{
	return c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D;
}

static void ref_ws(struct ref *r)
{
	while (r->p < r->end && ref_is_ws(*r->p))
		r->p++;
}

static int ref_peek(const struct ref *r)
{
	return r->p < r->end ? *r->p : -1;
}

/* Decode one UTF-8 sequence (RFC 3629) at p into *cp: its length, or 0. */
static size_t ref_utf8(const unsigned char *p, const unsigned char *end, uint32_t *cp)
{
	size_t len;
	uint32_t c = p[0], min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		len = 2, c &= 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3, c &= 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

static void ref_put_utf8(struct bytes *out, uint32_t cp)
{
	unsigned char b[4];
	size_t n;
	if (cp <= 0x7F) {
		b[0] = (unsigned char)cp, n = 1;
	} else if (cp <= 0x7FF) {
		b[0] = (unsigned char)(0xC0 + (cp >> 6)), n = 2;
	} else if (cp <= 0xFFFF) {
		b[0] = (unsigned char)(0xE0 + (cp >> 12)), n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 + (cp >> 18)), n = 4;
	}
	for (size_t i = 1; i < n; i++)
		b[i] = (unsigned char)(0x80 + ((cp >> (6 * (n - 1 - i))) & 0x3F));
	bytes_add(out, b, n);
}

static int ref_hex4(const unsigned char *p, const unsigned char *end, uint32_t *v)
{
	if (end - p < 4)
		return 0;
	*v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned c = p[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return 0;
		*v = *v * 16 + d;
	}
	return 1;
}

/* string = quotation-mark *char quotation-mark. When out is not NULL the
 * decoded contents are appended to it: a surrogate pair of escapes makes
 * one code point, any other surrogate escape U+FFFD (json.h). */
static int ref_string(struct ref *r, struct bytes *out)
{
	if (ref_peek(r) != '"')
		return -1;
	r->p++;
	if (out)
		bytes_add(out, "", 0); /* allocated, NUL-terminated, even when empty */
	uint32_t pending = 0; /* a high surrogate escape waiting for its pair */
	for (;;) {
		if (r->p >= r->end)
			return -1;
		unsigned c = *r->p;
		uint32_t cp;
		if (c == '"') {
			r->p++;
			if (pending && out)
				ref_put_utf8(out, 0xFFFD);
			return 0;
		}
		if (c == '\\') {
			if (r->end - r->p < 2)
				return -1;
			unsigned e = r->p[1];
			r->p += 2;
			if (e == 'u') {
				if (!ref_hex4(r->p, r->end, &cp))
					return -1;
				r->p += 4;
				if (pending && cp >= 0xDC00 && cp <= 0xDFFF) {
					cp = 0x10000 + ((pending - 0xD800) << 10) + (cp - 0xDC00);
					pending = 0;
				} else {
					if (pending && out)
						ref_put_utf8(out, 0xFFFD);
					pending = 0;
					if (cp >= 0xD800 && cp <= 0xDBFF) {
						pending = cp;
						continue;
					}
					if (cp >= 0xDC00 && cp <= 0xDFFF)
						cp = 0xFFFD;
				}
				if (out)
					ref_put_utf8(out, cp);
				continue;
			}
			switch (e) {
			case '"': cp = '"'; break;
			case '\\': cp = '\\'; break;
			case '/': cp = '/'; break;
			case 'b': cp = 0x08; break;
			case 'f': cp = 0x0C; break;
			case 'n': cp = 0x0A; break;
			case 'r': cp = 0x0D; break;
			case 't': cp = 0x09; break;
			default: return -1;
			}
		} else {
			/* unescaped = %x20-21 / %x23-5B / %x5D-10FFFF */
			if (c < 0x20)
				return -1;
			size_t len = ref_utf8(r->p, r->end, &cp);
			if (!len)
				return -1;
			r->p += len;
		}
		if (pending && out)
			ref_put_utf8(out, 0xFFFD);
		pending = 0;
		if (out)
			ref_put_utf8(out, cp);
	}
}

static int ref_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* number = [ minus ] int [ frac ] [ exp ] */
static int ref_number(struct ref *r)
{
	if (ref_peek(r) == '-')
		r->p++;
	if (ref_peek(r) == '0') {
		r->p++;
	} else if (ref_digit(ref_peek(r))) {
		while (ref_digit(ref_peek(r)))
			r->p++;
	} else {
		return -1;
	}
	if (ref_peek(r) == '.') {
		r->p++;
		if (!ref_digit(ref_peek(r)))
			return -1;
		while (ref_digit(ref_peek(r)))
			r->p++;
	}
	if (ref_peek(r) == 'e' || ref_peek(r) == 'E') {
		r->p++;
		if (ref_peek(r) == '+' || ref_peek(r) == '-')
			r->p++;
		if (!ref_digit(ref_peek(r)))
			return -1;
		while (ref_digit(ref_peek(r)))
			r->p++;
	}
	return 0;
}

static int ref_literal(struct ref *r, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return -1;
	r->p += n;
	return 0;
}

/* value, with `open` containers already open around it. */
static int ref_value(struct ref *r, int open)
{
	int c = ref_peek(r);
	if (c == '{' || c == '[') {
		int close = c == '{' ? '}' : ']';
		if (open + 1 > JSON_MAX_DEPTH)
			return -1;
		r->p++;
		ref_ws(r);
		if (ref_peek(r) == close) {
			r->p++;
			return 0;
		}
		for (;;) {
			if (c == '{') {
				if (ref_string(r, NULL))
					return -1;
				ref_ws(r);
				if (ref_peek(r) != ':')
					return -1;
				r->p++;
				ref_ws(r);
			}
			if (ref_value(r, open + 1))
				return -1;
			ref_ws(r);
			if (ref_peek(r) == close) {
				r->p++;
				return 0;
			}
			if (ref_peek(r) != ',')
				return -1;
			r->p++;
			ref_ws(r);
		}
	}
	switch (c) {
	case '"': return ref_string(r, NULL);
	case 't': return ref_literal(r, "true");
	case 'f': return ref_literal(r, "false");
	case 'n': return ref_literal(r, "null");
	default: return ref_number(r);
	}
}

/* JSON-text = ws value ws, and the value must be an object. */
static int ref_check_record(const unsigned char *s, size_t n)
{
	struct ref r = { s, s + n };
	ref_ws(&r);
	if (ref_peek(&r) != '{')
		return -1;
	if (ref_value(&r, 0))
		return -1;
	ref_ws(&r);
	return r.p == r.end ? 0 : -1;
}

/* Is s[0..n) exactly one JSON value (any type), nothing around it? */
static int ref_check_value(const unsigned char *s, size_t n)
{
	struct ref r = { s, s + n };
	if (ref_value(&r, 0))
		return -1;
	return r.p == r.end ? 0 : -1;
}

/* --- Reference answers for lookups and edits ------------------------------ */

struct ref_member {
	size_t name_off, name_end;	/* the name's quotes included */
	size_t val_off, val_end;
	struct bytes name;		/* decoded */
};

struct ref_object {
	struct ref_member *m;
	size_t n;
	size_t open_end;		/* the byte after '{' */
};

static void ref_object_free(struct ref_object *o)
{
	for (size_t i = 0; i < o->n; i++)
		bytes_free(&o->m[i].name);
	free(o->m);
	o->m = NULL;
	o->n = 0;
}

/* List the members of the valid object at s[off]; offsets are from s. */
static void ref_object_members(const unsigned char *s, size_t n, size_t off,
			       struct ref_object *o)
{
	struct ref r = { s + off, s + n };
	memset(o, 0, sizeof(*o));
	CHECK(ref_peek(&r) == '{', "reference: object expected");
	r.p++;
	o->open_end = (size_t)(r.p - s);
	ref_ws(&r);
	if (ref_peek(&r) == '}')
		return;
	for (;;) {
		struct ref_member m;
		memset(&m, 0, sizeof(m));
		m.name_off = (size_t)(r.p - s);
		CHECK(ref_string(&r, &m.name) == 0, "reference: member name");
		m.name_end = (size_t)(r.p - s);
		ref_ws(&r);
		r.p++; /* ':' */
		ref_ws(&r);
		m.val_off = (size_t)(r.p - s);
		CHECK(ref_value(&r, 0) == 0, "reference: member value");
		m.val_end = (size_t)(r.p - s);
		o->m = realloc(o->m, (o->n + 1) * sizeof(*o->m));
		if (!o->m)
			abort();
		o->m[o->n++] = m;
		ref_ws(&r);
		if (ref_peek(&r) == '}')
			return;
		r.p++; /* ',' */
		ref_ws(&r);
	}
}

/* The first member named seg[0..len) of the object at s[off]: its index,
 * or -1. */
static long ref_find(const struct ref_object *o, const char *seg, size_t len)
{
	for (size_t i = 0; i < o->n; i++)
		if (o->m[i].name.len == len && (len == 0 || !memcmp(o->m[i].name.p, seg, len)))
			return (long)i;
	return -1;
}

/* What json_get() should answer for path: 1 with the value's offsets. */
static int ref_get(const unsigned char *s, size_t n, const char *path,
		   size_t *val_off, size_t *val_end)
{
	size_t off = 0;
	while (off < n && ref_is_ws(s[off]))
		off++;
	for (;;) {
		if (s[off] != '{')
			return 0;
		const char *dot = strchr(path, '.');
		size_t seglen = dot ? (size_t)(dot - path) : strlen(path);
		struct ref_object o;
		ref_object_members(s, n, off, &o);
		long i = ref_find(&o, path, seglen);
		if (i < 0) {
			ref_object_free(&o);
			return 0;
		}
		*val_off = o.m[i].val_off;
		*val_end = o.m[i].val_end;
		ref_object_free(&o);
		if (!dot)
			return 1;
		path = dot + 1;
		off = *val_off;
	}
}

static enum json_type type_of(unsigned char c)
{
	switch (c) {
	case '{': return JSON_OBJECT;
	case '[': return JSON_ARRAY;
	case '"': return JSON_STRING;
	case 't': return JSON_TRUE;
	case 'f': return JSON_FALSE;
	case 'n': return JSON_NULL;
	default: return JSON_NUMBER;
	}
}

/* --- Properties ------------------------------------------------------------ */

static int valid_utf8_lib(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		size_t len = utf8_sequence_length(p, (size_t)(end - p));
		if (!len)
			return 0;
		p += len;
	}
	return 1;
}

/* A string value found in a checked record: decode it both ways. */
static void check_string(const struct json_value *v)
{
	struct strbuf got = STRBUF_INIT;
	struct bytes want = { 0 };
	struct ref r = { (const unsigned char *)v->p, (const unsigned char *)v->p + v->len };

	CHECK(ref_string(&r, &want) == 0 && r.p == r.end, "string value spans one string");
	json_decode_string(v, &got);
	CHECK(got.len == want.len && (!want.len || !memcmp(got.buf, want.p, want.len)),
	      "json_decode_string matches the reference decoding");
	CHECK(got.buf[got.len] == '\0', "decoded strbuf is NUL-terminated");
	CHECK(valid_utf8_lib(got.buf, got.len), "decoded string is valid UTF-8");

	const char *plain;
	size_t plain_len;
	int has_escape = memchr(v->p + 1, '\\', v->len - 2) != NULL;
	if (json_string_plain(v, &plain, &plain_len)) {
		CHECK(!has_escape, "json_string_plain only for strings without escapes");
		CHECK(plain == v->p + 1 && plain_len == got.len &&
		      !memcmp(plain, got.buf, got.len), "plain contents equal the decoding");
	} else {
		CHECK(has_escape, "json_string_plain for every string without escapes");
	}

	/* Writing the decoded text back must give a string that decodes to it. */
	struct strbuf enc = STRBUF_INIT;
	struct bytes back = { 0 };
	json_add_string(&enc, got.buf, got.len);
	struct ref r2 = { (const unsigned char *)enc.buf, (const unsigned char *)enc.buf + enc.len };
	CHECK(ref_string(&r2, &back) == 0 && r2.p == r2.end, "json_add_string writes one string");
	CHECK(back.len == got.len && (!got.len || !memcmp(back.p, got.buf, got.len)),
	      "json_add_string round-trips");
	strbuf_release(&enc);
	bytes_free(&back);
	strbuf_release(&got);
	bytes_free(&want);
}

static void check_get(const char *s, size_t n, const char *path)
{
	struct json_value v;
	size_t off = 0, end = 0;
	int want = ref_get((const unsigned char *)s, n, path, &off, &end);
	int got = json_get(s, n, path, &v);
	CHECK(got == want, "json_get finds what the reference finds");
	if (!got)
		return;
	CHECK(v.p == s + off && v.len == end - off, "json_get value bytes");
	CHECK(v.type == type_of((unsigned char)s[off]), "json_get value type");
	CHECK(ref_check_value((const unsigned char *)v.p, v.len) == 0, "json_get value is JSON");
	if (v.type == JSON_STRING)
		check_string(&v);
}

/* The result json_set_member() should give, by json.h's contract. */
static void expected_set(const char *s, size_t n, const char *name, const char *enc_name,
			 const char *value, struct bytes *out)
{
	struct ref_object o;
	size_t off = 0, copied = 0;
	int replaced = 0;
	while (ref_is_ws((unsigned char)s[off]))
		off++;
	ref_object_members((const unsigned char *)s, n, off, &o);
	for (size_t i = 0; i < o.n; i++) {
		if (o.m[i].name.len != strlen(name) || memcmp(o.m[i].name.p, name, o.m[i].name.len))
			continue;
		if (!replaced) {
			bytes_add(out, s + copied, o.m[i].val_off - copied);
			bytes_add(out, value, strlen(value));
			replaced = 1;
		} else {
			/* From the end of the previous member's value: the comma
			 * and the whole duplicate member go. */
			bytes_add(out, s + copied, o.m[i - 1].val_end - copied);
		}
		copied = o.m[i].val_end;
	}
	if (!replaced) {
		size_t at = o.n ? o.m[o.n - 1].val_end : o.open_end;
		bytes_add(out, s, at);
		if (o.n)
			bytes_addc(out, ',');
		bytes_add(out, enc_name, strlen(enc_name));
		bytes_addc(out, ':');
		bytes_add(out, value, strlen(value));
		copied = at;
	}
	bytes_add(out, s + copied, n - copied);
	ref_object_free(&o);
}

static void check_set(const char *s, size_t n, const char *name, const char *enc_name,
		      const char *value)
{
	struct strbuf out = STRBUF_INIT, again = STRBUF_INIT;
	struct bytes want = { 0 };
	struct json_error err;
	struct json_value v;
	size_t vlen = strlen(value);

	json_set_member(&out, s, n, name, value, vlen);
	CHECK(json_check_record(out.buf, out.len, &err) == 0, "json_set_member keeps the record valid");
	CHECK(ref_check_record((const unsigned char *)out.buf, out.len) == 0,
	      "json_set_member result valid for the reference");
	if (enc_name) {
		expected_set(s, n, name, enc_name, value, &want);
		CHECK(out.len == want.len && !memcmp(out.buf, want.p, want.len),
		      "json_set_member changes only the member");
	}
	if (!strchr(name, '.')) {
		CHECK(json_get(out.buf, out.len, name, &v) == 1, "json_get finds the set member");
		CHECK(v.len == vlen && !memcmp(v.p, value, vlen), "json_get gives the exact value set");
	}

	/* Exactly one member of that name is left. */
	struct ref_object o;
	size_t off = 0, count = 0;
	while (ref_is_ws((unsigned char)out.buf[off]))
		off++;
	ref_object_members((const unsigned char *)out.buf, out.len, off, &o);
	for (size_t i = 0; i < o.n; i++)
		count += o.m[i].name.len == strlen(name) && !memcmp(o.m[i].name.p, name, o.m[i].name.len);
	CHECK(count == 1, "one member of the name after json_set_member");
	ref_object_free(&o);

	/* Setting the same member again changes nothing. */
	json_set_member(&again, out.buf, out.len, name, value, vlen);
	CHECK(again.len == out.len && !memcmp(again.buf, out.buf, out.len),
	      "json_set_member is idempotent");

	strbuf_release(&out);
	strbuf_release(&again);
	bytes_free(&want);
}

static void check_double(const uint8_t *data, size_t size)
{
	double x;
	if (size < sizeof(x))
		return;
	memcpy(&x, data, sizeof(x));
	struct strbuf sb = STRBUF_INIT;
	json_add_double(&sb, x);
	if (!isfinite(x)) {
		CHECK(sb.len == 4 && !memcmp(sb.buf, "null", 4), "non-finite double writes null");
	} else {
		CHECK(ref_check_value((const unsigned char *)sb.buf, sb.len) == 0 &&
		      type_of((unsigned char)sb.buf[0]) == JSON_NUMBER, "json_add_double writes a JSON number");
		CHECK(strtod(sb.buf, NULL) == x, "json_add_double reads back as the same double");
		/* Shortest: no %g form with fewer digits reads back as x and is
		 * shorter. */
		for (int prec = 1; prec <= 17; prec++) {
			char buf[40];
			int len = snprintf(buf, sizeof(buf), "%.*g", prec, x);
			if (strtod(buf, NULL) == x) {
				CHECK(sb.len <= (size_t)len, "json_add_double writes the shortest form");
				break;
			}
		}
	}
	strbuf_release(&sb);
}

/* json_check_record_member() must give json_check_record()'s verdict and,
 * for a valid record, the first top-level member of that name. */
static void check_record_member(const char *s, size_t n, int valid, const char *name)
{
	struct json_value v = { NULL, 0, JSON_NONE, 0 };
	struct json_error err = { NULL, 0 };
	int r = json_check_record_member(s, n, name, &v, &err);
	CHECK(r == (valid ? -1 : 0), "json_check_record_member agrees with json_check_record");
	if (r) {
		CHECK(err.msg != NULL, "json_check_record_member: a rejection has a message");
		return;
	}
	struct json_value v2;
	CHECK(json_check_record_member(s, n, name, &v2, NULL) == 0 && v2.type == v.type &&
	      (v.type == JSON_NONE || (v2.p == v.p && v2.len == v.len)),
	      "json_check_record_member with a NULL error");
	/* json.c (since b15f655) also takes a NULL v: it then only checks. */
	CHECK(json_check_record_member(s, n, name, NULL, NULL) == 0,
	      "json_check_record_member with a NULL value");
	struct ref_object o;
	size_t off = 0;
	while (ref_is_ws((unsigned char)s[off]))
		off++;
	ref_object_members((const unsigned char *)s, n, off, &o);
	long i = ref_find(&o, name, strlen(name));
	if (i < 0) {
		CHECK(v.type == JSON_NONE, "json_check_record_member: no member, JSON_NONE");
	} else {
		CHECK(v.p == s + o.m[i].val_off && v.len == o.m[i].val_end - o.m[i].val_off,
		      "json_check_record_member finds the first member's value");
		CHECK(v.type == type_of((unsigned char)s[o.m[i].val_off]),
		      "json_check_record_member value type");
	}
	ref_object_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct json_error err = { NULL, 0 };
	int lib = json_check_record(s, size, &err);
	int ref = ref_check_record(data, size);

	check_double(data, size);
	if (lib != ref) {
		fprintf(stderr, "fuzz-json: json_check_record says %s (%s at %zu), the reference says %s\n",
			lib ? "invalid" : "valid", lib ? err.msg : "-", lib ? err.offset : 0,
			ref ? "invalid" : "valid");
		abort();
	}
	static const char *const names[] = { "text", "id", "" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_record_member(s, size, lib, names[i]);
	if (lib) {
		CHECK(lib == -1, "json_check_record returns 0 or -1");
		CHECK(err.msg != NULL, "a rejection has a message");
		CHECK(err.offset <= size || err.offset == (size_t)-1, "error offset in the record");
		return 0;
	}
	CHECK(json_check_record(s, size, NULL) == 0, "json_check_record with a NULL error");

	static const char *const paths[] = { "text", "a.b", "id", "a", "", "a.b.c" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		check_get(s, size, paths[i]);

	/* Paths that exist: the first member, and the first member inside it. */
	struct ref_object o;
	size_t off = 0;
	while (ref_is_ws(data[off]))
		off++;
	ref_object_members(data, size, off, &o);
	char *first = NULL;
	if (o.n && !memchr(o.m[0].name.p, '\0', o.m[0].name.len))
		first = strdup(o.m[0].name.p);
	if (first) {
		if (!strchr(first, '.')) {
			check_record_member(s, size, 0, first);
			check_get(s, size, first);
			if (data[o.m[0].val_off] == '{') {
				struct ref_object inner;
				ref_object_members(data, size, o.m[0].val_off, &inner);
				if (inner.n && !memchr(inner.m[0].name.p, '\0', inner.m[0].name.len) &&
				    !strchr(inner.m[0].name.p, '.')) {
					struct bytes path = { 0 };
					bytes_add(&path, first, strlen(first));
					bytes_addc(&path, '.');
					bytes_add(&path, inner.m[0].name.p, inner.m[0].name.len);
					check_get(s, size, path.p);
					bytes_free(&path);
				}
				ref_object_free(&inner);
			}
		}
	}

	/* A new member, appended; one whose name needs escapes. */
	check_set(s, size, "fuzz", "\"fuzz\"", "{\"k\":[1,-2.5e3,\"x\\u00e9\\n\"],\"t\":true}");
	check_set(s, size, "q\"\\/\t\x01", "\"q\\\"\\\\/\\t\\u0001\"", "null");
	check_set(s, size, "text", "\"text\"", "\"replaced\"");
	/* A member that exists: replaced where it stands, later ones dropped.
	 * Its name is written as in the record, so no spelling is needed. */
	if (first) {
		struct strbuf enc = STRBUF_INIT;
		json_add_string(&enc, first, strlen(first));
		check_set(s, size, first, enc.buf, "0");
		check_set(s, size, first, enc.buf, "[]");
		strbuf_release(&enc);
	}
	free(first);
	ref_object_free(&o);
	return 0;
}
