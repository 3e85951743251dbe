/* json.c: strict JSON scanning and record editing; see json.h.
 *
 * Most bytes of a record are inside strings, so the string scanner is
 * the hot loop: it looks at 16 bytes at a time for the only bytes that
 * need attention (a quote, a backslash, a control character or a byte
 * of a multi-byte UTF-8 sequence) and skips the rest.
 */
#include "json.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

size_t utf8_sequence_length(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		if (n < 2 || (s[1] & 0xC0) != 0x80)
			return 0;
		return 2;
	}
	if (c < 0xF0) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)
			return 0; /* overlong */
		if (c == 0xED && s[1] >= 0xA0)
			return 0; /* UTF-16 surrogate */
		return 3;
	}
	if (c < 0xF5) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && s[1] < 0x90)
			return 0; /* overlong */
		if (c == 0xF4 && s[1] >= 0x90)
			return 0; /* above U+10FFFF */
		return 4;
	}
	return 0;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Skip bytes that need no attention inside a string: everything but a
 * quote, a backslash, a control character or a non-ASCII byte. */
static inline const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		/* Signed compare: bytes >= 0x80 are negative, so one compare
		 * finds both control characters and non-ASCII bytes. */
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
						      _mm_cmpeq_epi8(v, bslash)),
					 _mm_cmplt_epi8(v, space));
		unsigned mask = (unsigned)_mm_movemask_epi8(m);
		if (mask)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#endif
	while (p < end && *p != '"' && *p != '\\' && *p >= 0x20 && *p < 0x80)
		p++;
	return p;
}

/* Scan a string whose opening quote is at p[-1]. Returns the byte after
 * the closing quote, or NULL with *err set. */
#if defined(__SSE2__)
/* Skip 16-byte chunks of string that hold no quote, backslash or control
 * character and whose UTF-8 is well formed, checking the UTF-8 of a whole
 * chunk at once: from bit masks of the lead bytes, the positions where
 * continuation bytes must stand are computed and compared with where they
 * do stand. Lead bytes that need a look at the next byte (C0, C1, E0, ED,
 * F0, F4 and above) are left to the byte-wise path, as is anything
 * invalid, which then gets its exact message. Returns where the chunks
 * stop: at the start of a chunk that needs a closer look, moved back to
 * the lead byte of a sequence the chunks left unfinished. */
static const unsigned char *skip_chunks(const unsigned char *p, const unsigned char *end)
{
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20), minus1 = _mm_set1_epi8(-1);
	const __m128i zero = _mm_setzero_si128();
	const __m128i c0 = _mm_set1_epi8((char)0xC0), e0 = _mm_set1_epi8((char)0xE0);
	const __m128i ed = _mm_set1_epi8((char)0xED), f0 = _mm_set1_epi8((char)0xF0);
	const __m128i f3 = _mm_set1_epi8((char)0xF3), f8 = _mm_set1_epi8((char)0xF8);
	const __m128i fe = _mm_set1_epi8((char)0xFE), x80 = _mm_set1_epi8((char)0x80);
	uint32_t carry = 0; /* continuation bytes owed to the next chunk */
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		__m128i ctrl = _mm_and_si128(_mm_cmplt_epi8(v, space), _mm_cmpgt_epi8(v, minus1));
		unsigned special = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)), ctrl));
		if (special)
			break;
		unsigned high = (unsigned)_mm_movemask_epi8(v);
		if (!high && !carry) {
			p += 16;
			continue;
		}
		unsigned rare = (unsigned)_mm_movemask_epi8(_mm_or_si128(
			_mm_or_si128(_mm_cmpeq_epi8(_mm_and_si128(v, fe), c0),
				     _mm_cmpeq_epi8(v, e0)),
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, ed), _mm_cmpeq_epi8(v, f0)),
				     _mm_and_si128(_mm_cmpgt_epi8(v, f3), _mm_cmplt_epi8(v, zero)))));
		if (rare)
			break;
		uint32_t cont = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, c0), x80));
		uint32_t lead2 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, e0), c0));
		uint32_t lead3 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, f0), e0));
		uint32_t lead4 = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(v, f8), f0));
		uint32_t owed = carry | lead2 << 1 | lead3 << 1 | lead3 << 2 | lead4 << 1 |
				lead4 << 2 | lead4 << 3;
		if ((owed & 0xFFFF) != cont)
			break;
		carry = owed >> 16;
		p += 16;
	}
	if (carry) {
		/* Back to the lead byte of the unfinished sequence. */
		while ((p[-1] & 0xC0) == 0x80)
			p--;
		p--;
	}
	return p;
}
#endif

static const unsigned char *scan_string(const unsigned char *p, const unsigned char *end,
					const unsigned char *start, struct json_error *err,
					int *escaped)
{
	for (;;) {
#if defined(__SSE2__)
		p = skip_chunks(p, end);
#endif
		p = skip_plain(p, end);
		if (p >= end) {
			err->msg = "invalid JSON: unterminated string";
			err->offset = (size_t)(p - start);
			return NULL;
		}
		unsigned c = *p;
		if (c == '"')
			return p + 1;
		if (c == '\\') {
			*escaped = 1;
			if (end - p < 2)
				goto unterminated;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				if (end - p < 6)
					goto bad_u;
				for (int i = 2; i < 6; i++)
					if (hexval(p[i]) < 0)
						goto bad_u;
				p += 6;
				continue;
			default:
				err->msg = "invalid JSON: invalid escape in string";
				err->offset = (size_t)(p - start);
				return NULL;
			}
		}
		if (c < 0x20) {
			err->msg = c == 0 ? "NUL byte in record"
					  : "invalid JSON: control character in string";
			err->offset = (size_t)(p - start);
			return NULL;
		}
		/* A non-ASCII byte: check its sequence, then let the chunks
		 * take over again. */
		size_t len = utf8_sequence_length(p, (size_t)(end - p));
		if (!len) {
			err->msg = "invalid UTF-8";
			err->offset = (size_t)(p - start);
			return NULL;
		}
		p += len;
	}
unterminated:
	err->msg = "invalid JSON: unterminated string";
	err->offset = (size_t)(p - start);
	return NULL;
bad_u:
	err->msg = "invalid JSON: invalid \\u escape in string";
	err->offset = (size_t)(p - start);
	return NULL;
}

static const unsigned char *scan_number(const unsigned char *p, const unsigned char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p >= end)
		return NULL;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return NULL;
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	/* A number runs up to a delimiter; "01" or "1x" are errors. */
	if (p < end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' ||
			*p == 'E' || *p == '+' || *p == '-' ||
			(*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return NULL;
	return p;
}

static inline const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int fail(struct json_error *err, const char *msg, const unsigned char *p,
		const unsigned char *start)
{
	err->msg = msg;
	err->offset = (size_t)(p - start);
	return -1;
}

static int key_equals(const char *key, const char *kend, const char *name, size_t len);

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

int json_check_record(const char *s, size_t n, struct json_error *errp)
{
	return json_check_record_member(s, n, NULL, NULL, errp);
}

int json_check_record_member(const char *s, size_t n, const char *name, struct json_value *v,
			     struct json_error *errp)
{
	const unsigned char *start = (const unsigned char *)s, *p = start, *end = start + n;
	unsigned char stack[JSON_MAX_DEPTH]; /* '{' or '[' per open container */
	int depth = 0;
	enum json_type top = JSON_NONE;
	struct json_error dummy;
	struct json_error *err = errp ? errp : &dummy;
	/* Finding `name` among the top-level members: 0 looking, 1 its value
	 * comes next, 2 inside its value, 3 found. */
	int want = name && v ? 0 : 3;
	size_t namelen = name ? strlen(name) : 0;
	const unsigned char *vstart = NULL;
	int escaped = 0; /* the last string scanned held a backslash */
	if (v) {
		v->type = JSON_NONE;
		v->plain = 0;
	}

	p = skip_ws(p, end);
	if (p >= end)
		return fail(err, "invalid JSON: empty record", p, start);

value:
	p = skip_ws(p, end);
	if (p >= end)
		return fail(err, "invalid JSON: unexpected end of record", p, start);
	if (want == 1) {
		vstart = p;
		want = 2;
	}
	switch (*p) {
	case '{':
	case '[':
		if (depth == 0)
			top = *p == '{' ? JSON_OBJECT : JSON_ARRAY;
		if (depth == JSON_MAX_DEPTH)
			return fail(err, "invalid JSON: nested too deeply", p, start);
		stack[depth++] = *p++;
		p = skip_ws(p, end);
		if (p < end && *p == (stack[depth - 1] == '{' ? '}' : ']')) {
			p++;
			depth--;
			goto after_value;
		}
		if (stack[depth - 1] == '{')
			goto member;
		goto value;
	case '"':
		if (depth == 0)
			top = JSON_STRING;
		escaped = 0;
		if (!(p = scan_string(p + 1, end, start, err, &escaped)))
			return -1;
		goto after_value;
	case 't':
		if (end - p < 4 || memcmp(p, "true", 4))
			return fail(err, "invalid JSON: invalid literal", p, start);
		p += 4;
		break;
	case 'f':
		if (end - p < 5 || memcmp(p, "false", 5))
			return fail(err, "invalid JSON: invalid literal", p, start);
		p += 5;
		break;
	case 'n':
		if (end - p < 4 || memcmp(p, "null", 4))
			return fail(err, "invalid JSON: invalid literal", p, start);
		p += 4;
		break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9': {
		const unsigned char *q = scan_number(p, end);
		if (!q)
			return fail(err, "invalid JSON: invalid number", p, start);
		p = q;
		break;
	}
	case 0:
		return fail(err, "NUL byte in record", p, start);
	default:
		return fail(err, *p >= 0x80 && !utf8_sequence_length(p, (size_t)(end - p))
					 ? "invalid UTF-8" : "invalid JSON: unexpected character",
			    p, start);
	}
	if (depth == 0 && top == JSON_NONE)
		top = JSON_NUMBER; /* any scalar: only "not an object" matters */
	if (p < end && (*p == 't' || *p == 'f' || *p == 'n' || (*p >= 'a' && *p <= 'z')))
		return fail(err, "invalid JSON: invalid literal", p, start);

after_value:
	if (want == 2 && depth == 1) {
		v->p = (const char *)vstart;
		v->len = (size_t)(p - vstart);
		v->type = type_of(*vstart);
		v->plain = v->type == JSON_STRING && !escaped;
		want = 3;
	}
	p = skip_ws(p, end);
	if (depth == 0) {
		if (p < end) {
			if (*p == 0)
				return fail(err, "NUL byte in record", p, start);
			return fail(err, "invalid JSON: unexpected data after the object", p, start);
		}
		if (top != JSON_OBJECT) {
			err->msg = top == JSON_ARRAY ? "not a JSON object (an array)"
						     : "not a JSON object";
			err->offset = (size_t)-1; /* no position: the whole line */
			return -1;
		}
		return 0;
	}
	if (p >= end)
		return fail(err, "invalid JSON: unexpected end of record", p, start);
	if (stack[depth - 1] == '{') {
		if (*p == '}') {
			p++;
			depth--;
			goto after_value;
		}
		if (*p != ',')
			return fail(err, *p ? "invalid JSON: expected ',' or '}'" : "NUL byte in record",
				    p, start);
		p = skip_ws(p + 1, end);
		goto member;
	}
	if (*p == ']') {
		p++;
		depth--;
		goto after_value;
	}
	if (*p != ',')
		return fail(err, *p ? "invalid JSON: expected ',' or ']'" : "NUL byte in record",
			    p, start);
	p++;
	goto value;

member:
	/* A line that stops early is cut off, whatever would have come. */
	if (p >= end)
		return fail(err, "invalid JSON: unexpected end of record", p, start);
	if (*p != '"')
		return fail(err, *p == 0 ? "NUL byte in record"
			    : "invalid JSON: expected a member name", p, start);
	{
		const unsigned char *key = p;
		if (!(p = scan_string(p + 1, end, start, err, &escaped)))
			return -1;
		if (want == 0 && depth == 1 &&
		    key_equals((const char *)key, (const char *)p, name, namelen))
			want = 1;
	}
	p = skip_ws(p, end);
	if (p >= end)
		return fail(err, "invalid JSON: unexpected end of record", p, start);
	if (*p != ':')
		return fail(err, *p == 0 ? "NUL byte in record"
			    : "invalid JSON: expected ':' after member name", p, start);
	p++;
	goto value;
}

/* --- Navigating a checked record ------------------------------------ */

/* The byte after the string whose opening quote is at p. */
/* Skip to the next quote or backslash: in a checked record nothing else
 * inside a string needs a look. */
static inline const char *find_quote(const char *p, const char *end)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)p);
		unsigned mask = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)));
		if (mask)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#endif
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

static const char *skip_string(const char *p, const char *end)
{
	p++;
	for (;;) {
		p = find_quote(p, end);
		if (p >= end)
			return end;
		if (*p == '"')
			return p + 1;
		if (*p == '\\')
			p += 2;
		else
			p++;
	}
}

/* The byte after the value that starts at p (a checked record). */
static const char *skip_value(const char *p, const char *end, enum json_type *type)
{
	int depth = 0;
	switch (*p) {
	case '"':
		*type = JSON_STRING;
		return skip_string(p, end);
	case '{':
	case '[':
		*type = *p == '{' ? JSON_OBJECT : JSON_ARRAY;
		for (;;) {
			char c = *p;
			if (c == '"') {
				p = skip_string(p, end);
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']')
				if (--depth == 0)
					return p + 1;
			p++;
		}
	case 't':
		*type = JSON_TRUE;
		return p + 4;
	case 'f':
		*type = JSON_FALSE;
		return p + 5;
	case 'n':
		*type = JSON_NULL;
		return p + 4;
	default:
		*type = JSON_NUMBER;
		while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' &&
		       *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		return p;
	}
}

static const char *skip_space(const char *p, const char *end)
{
	return (const char *)skip_ws((const unsigned char *)p, (const unsigned char *)end);
}

/* Does the member name whose quote is at key[0], ending before kend (the
 * byte after the closing quote), equal name[0..len)? */
static int key_equals(const char *key, const char *kend, const char *name, size_t len)
{
	const char *k = key + 1;
	size_t klen = (size_t)(kend - 1 - k);
	if (!memchr(k, '\\', klen))
		return klen == len && memcmp(k, name, len) == 0;
	struct strbuf sb = STRBUF_INIT;
	struct json_value v = { key, (size_t)(kend - key), JSON_STRING, 0 };
	json_decode_string(&v, &sb);
	int eq = sb.len == len && memcmp(sb.buf, name, len) == 0;
	strbuf_release(&sb);
	return eq;
}

/* Visit the members of the object at p: for each, the offsets of the
 * member's name and value. Stops early when fn returns non-zero. */
struct member {
	const char *name, *name_end;
	const char *value, *value_end;
	enum json_type type;
};

static const char *first_member(const char *p, const char *end, struct member *m)
{
	p = skip_space(p + 1, end); /* past '{' */
	if (p >= end || *p != '"')
		return NULL;
	m->name = p;
	m->name_end = skip_string(p, end);
	p = skip_space(m->name_end, end) + 1; /* past ':' */
	m->value = skip_space(p, end);
	m->value_end = skip_value(m->value, end, &m->type);
	return m->value_end;
}

static const char *next_member(const char *p, const char *end, struct member *m)
{
	p = skip_space(p, end);
	if (p >= end || *p != ',')
		return NULL;
	return first_member(p, end, m);
}

int json_get(const char *s, size_t n, const char *path, struct json_value *v)
{
	const char *end = s + n;
	const char *obj = skip_space(s, end);
	for (;;) {
		if (obj >= end || *obj != '{')
			return 0;
		const char *dot = strchr(path, '.');
		size_t seglen = dot ? (size_t)(dot - path) : strlen(path);
		struct member m;
		const char *q = first_member(obj, end, &m);
		while (q && !key_equals(m.name, m.name_end, path, seglen))
			q = next_member(q, end, &m);
		if (!q)
			return 0;
		if (!dot) {
			v->p = m.value;
			v->len = (size_t)(m.value_end - m.value);
			v->type = m.type;
			v->plain = 0;
			return 1;
		}
		path = dot + 1;
		obj = m.value;
	}
}

void json_get_members(const char *s, size_t n, const char *const *names, size_t k,
		      struct json_value *v)
{
	const char *end = s + n;
	const char *obj = skip_space(s, end);
	size_t len[JSON_MAX_MEMBERS];
	for (size_t i = 0; i < k; i++)
		v[i] = (struct json_value){ NULL, 0, JSON_NONE, 0 };
	if (k > JSON_MAX_MEMBERS)
		k = JSON_MAX_MEMBERS;
	for (size_t i = 0; i < k; i++)
		len[i] = strlen(names[i]);
	size_t left = k;
	if (obj >= end || *obj != '{')
		return;
	struct member m;
	for (const char *q = first_member(obj, end, &m); q && left; q = next_member(q, end, &m)) {
		for (size_t i = 0; i < k; i++) {
			if (v[i].type != JSON_NONE || !key_equals(m.name, m.name_end, names[i], len[i]))
				continue;
			v[i] = (struct json_value){ m.value, (size_t)(m.value_end - m.value), m.type, 0 };
			left--;
		}
	}
}

int json_array_next(const struct json_value *arr, size_t *pos, struct json_value *elem)
{
	const char *end = arr->p + arr->len;
	const char *p = arr->p + (*pos ? *pos : 1); /* past '[' the first time */
	p = skip_space(p, end);
	if (*pos) {
		if (p >= end || *p != ',')
			return 0;
		p = skip_space(p + 1, end);
	}
	if (p >= end || *p == ']')
		return 0;
	enum json_type type;
	const char *after = skip_value(p, end, &type);
	*elem = (struct json_value){ p, (size_t)(after - p), type, 0 };
	*pos = (size_t)(after - arr->p);
	return 1;
}

int json_object_next(const struct json_value *obj, size_t *pos, struct json_value *name,
		     struct json_value *value)
{
	const char *end = obj->p + obj->len;
	struct member m;
	const char *after;
	if (*pos == 0)
		after = first_member(obj->p, end, &m);
	else
		after = next_member(obj->p + *pos, end, &m);
	if (!after)
		return 0;
	*name = (struct json_value){ m.name, (size_t)(m.name_end - m.name), JSON_STRING, 0 };
	*value = (struct json_value){ m.value, (size_t)(m.value_end - m.value), m.type, 0 };
	*pos = (size_t)(after - obj->p);
	return 1;
}

static void add_utf8(struct strbuf *out, unsigned cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	strbuf_add(out, b, n);
}

static unsigned read_hex4(const char *p)
{
	return (unsigned)(hexval((unsigned char)p[0]) << 12 | hexval((unsigned char)p[1]) << 8 |
			  hexval((unsigned char)p[2]) << 4 | hexval((unsigned char)p[3]));
}

int json_string_plain(const struct json_value *v, const char **s, size_t *n)
{
	if (v->len < 2 || (!v->plain && memchr(v->p + 1, '\\', v->len - 2)))
		return 0;
	*s = v->p + 1;
	*n = v->len - 2;
	return 1;
}

void json_decode_string(const struct json_value *v, struct strbuf *out)
{
	const char *p = v->p + 1, *end = v->p + v->len - 1;
	strbuf_grow(out, v->len);
	while (p < end) {
		const char *bs = memchr(p, '\\', (size_t)(end - p));
		if (!bs) {
			strbuf_add(out, p, (size_t)(end - p));
			return;
		}
		strbuf_add(out, p, (size_t)(bs - p));
		p = bs + 1;
		char c = *p++;
		switch (c) {
		case 'b': strbuf_addc(out, '\b'); break;
		case 'f': strbuf_addc(out, '\f'); break;
		case 'n': strbuf_addc(out, '\n'); break;
		case 'r': strbuf_addc(out, '\r'); break;
		case 't': strbuf_addc(out, '\t'); break;
		case 'u': {
			unsigned cp = read_hex4(p);
			p += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				if (end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
					unsigned lo = read_hex4(p + 2);
					if (lo >= 0xDC00 && lo <= 0xDFFF) {
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						p += 6;
					} else {
						cp = 0xFFFD;
					}
				} else {
					cp = 0xFFFD;
				}
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				cp = 0xFFFD;
			}
			add_utf8(out, cp);
			break;
		}
		default: strbuf_addc(out, c); break; /* " \ / */
		}
	}
}

void json_set_member(struct strbuf *out, const char *s, size_t n,
		     const char *name, const char *value, size_t vlen)
{
	const char *end = s + n;
	const char *obj = skip_space(s, end);
	size_t nlen = strlen(name);
	struct member m;
	const char *q = first_member(obj, end, &m);
	const char *copied = s; /* bytes before this are in out */
	int replaced = 0;
	const char *prev_end = obj + 1;
	strbuf_reset(out);
	strbuf_grow(out, n + vlen + nlen + 8);
	while (q) {
		if (key_equals(m.name, m.name_end, name, nlen)) {
			if (!replaced) {
				strbuf_add(out, copied, (size_t)(m.value - copied));
				strbuf_add(out, value, vlen);
				replaced = 1;
			} else {
				/* A later duplicate: drop it with the comma before it. */
				strbuf_add(out, copied, (size_t)(prev_end - copied));
			}
			copied = m.value_end;
		}
		prev_end = m.value_end;
		q = next_member(q, end, &m);
	}
	if (!replaced) {
		/* Insert after the last member (or into the empty object). */
		strbuf_add(out, copied, (size_t)(prev_end - copied));
		if (prev_end != obj + 1)
			strbuf_addc(out, ',');
		json_add_string(out, name, nlen);
		strbuf_addc(out, ':');
		strbuf_add(out, value, vlen);
		copied = prev_end;
	}
	strbuf_add(out, copied, (size_t)(end - copied));
}

/* --- Writers ------------------------------------------------------- */

void json_add_string(struct strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	strbuf_grow(sb, n + 2);
	strbuf_addc(sb, '"');
	const char *run = s, *end = s + n;
	for (const char *p = s; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x80) {
			/* A valid sequence goes through; a byte that starts none
			 * (a file name's \xff, say) becomes U+FFFD, so that what
			 * synth writes is always valid UTF-8. */
			size_t k = utf8_sequence_length((const unsigned char *)p, (size_t)(end - p));
			if (k) {
				p += k - 1;
				continue;
			}
			strbuf_add(sb, run, (size_t)(p - run));
			strbuf_add(sb, "\xEF\xBF\xBD", 3);
			run = p + 1;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_add(sb, run, (size_t)(p - run));
		run = p + 1;
		switch (c) {
		case '"': strbuf_add(sb, "\\\"", 2); break;
		case '\\': strbuf_add(sb, "\\\\", 2); break;
		case '\n': strbuf_add(sb, "\\n", 2); break;
		case '\r': strbuf_add(sb, "\\r", 2); break;
		case '\t': strbuf_add(sb, "\\t", 2); break;
		case '\b': strbuf_add(sb, "\\b", 2); break;
		case '\f': strbuf_add(sb, "\\f", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			strbuf_add(sb, u, 6);
		}
		}
	}
	strbuf_add(sb, run, (size_t)(end - run));
	strbuf_addc(sb, '"');
}

void json_add_cstr(struct strbuf *sb, const char *s)
{
	json_add_string(sb, s, strlen(s));
}

void json_add_double(struct strbuf *sb, double x)
{
	if (!isfinite(x)) {
		strbuf_add(sb, "null", 4);
		return;
	}
	if (x == 0) {
		strbuf_addc(sb, '0');
		return;
	}
	/* Six digits are as short as any shorter form for a normal double
	 * (rounding to six digits gives that form back); a subnormal one
	 * holds fewer significant bits and may need fewer digits. */
	char buf[32];
	for (int prec = fabs(x) < DBL_MIN ? 1 : 6; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	strbuf_addstr(sb, buf);
}

char *json_put_u64(char *p, uint64_t x)
{
	char buf[20];
	size_t at = sizeof(buf);
	do {
		buf[--at] = (char)('0' + x % 10);
		x /= 10;
	} while (x);
	memcpy(p, buf + at, sizeof(buf) - at);
	return p + sizeof(buf) - at;
}

void json_add_u64(struct strbuf *sb, uint64_t x)
{
	char buf[20];
	strbuf_add(sb, buf, (size_t)(json_put_u64(buf, x) - buf));
}

int utf8_valid(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_sequence_length(s + i, n - i);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

void json_add_compact(struct strbuf *sb, const char *p, size_t n)
{
	int in_string = 0;
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			strbuf_add(sb, p + from, i - from);
			from = i + 1;
		}
	}
	strbuf_add(sb, p + from, n - from);
}
