/* test-json.c: the strict JSON scanner and the record editor. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "strbuf.h"
#include "unit.h"

/* A literal with its length, so that NUL bytes inside count. */
#define LIT(s) (s), (sizeof(s) - 1)

/* s[0..n) for a test's name: bytes outside printable ASCII as \xNN, so
 * that a control character cannot break the TAP line. */
static const char *show(const char *s, size_t n)
{
	static char buf[4][256];
	static int turn;
	char *b = buf[turn++ % 4];
	size_t j = 0;
	for (size_t i = 0; i < n && j + 5 < sizeof(buf[0]); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f)
			b[j++] = (char)c;
		else
			j += (size_t)snprintf(b + j, 5, "\\x%02x", c);
	}
	b[j] = '\0';
	return b;
}

static void valid_n(const char *s, size_t n, const char *what)
{
	struct json_error err = { NULL, 0 };
	int r = json_check_record(s, n, &err);
	if (!ok(r == 0, "valid: %s", what))
		printf("#   error: %s at %zu\n", err.msg ? err.msg : "(none)", err.offset);
}

static void valid(const char *s)
{
	valid_n(s, strlen(s), show(s, strlen(s)));
}

static void invalid_n(const char *s, size_t n, const char *msg, const char *what)
{
	struct json_error err = { NULL, 0 };
	int r = json_check_record(s, n, &err);
	if (!ok(r == -1 && err.msg && !strcmp(err.msg, msg), "invalid (%s): %s", msg, what))
		printf("#   got: %d, %s\n", r, err.msg ? err.msg : "(none)");
}

static void invalid(const char *s, const char *msg)
{
	invalid_n(s, strlen(s), msg, show(s, strlen(s)));
}

static void test_check_valid(void)
{
	valid("{}");
	valid("{ }");
	valid("  \t{\"a\":1}\r\n ");
	valid("{\"text\":\"hello\",\"id\":7}");
	valid("{\"a\":{\"b\":{\"c\":[1,2,{\"d\":null}]}},\"e\":[]}");
	valid("{ \"a\" : [ true , false , null ] , \"b\" : { } }");
	valid("{\"esc\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9 \\uD83D\\uDE00 \\uFFFF\"}");
	valid("{\"lone\":\"\\ud800 and \\udc00\"}");
	valid("{\"n\":[0,-0,1,-1,12345678901234567890,0.5,-0.5,1e5,1E5,1e+5,1e-5,1.5e10,-1.5E-10,0e0,0.0e-0]}");
	valid("{\"u\":\"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac \xef\xbf\xbf \xf4\x8f\xbf\xbf\"}");
	valid("{\"\xc3\xa9\":1}");
	valid("{\"del\":\"\x7f\"}");
	valid("{\"a\":1,\"a\":2}");
	/* Long strings take the 16-bytes-at-a-time path; escapes and UTF-8
	 * at every offset of it. */
	valid("{\"long\":\"0123456789abcdef0123456789abcdef\\n0123456789abcdef\xc3\xa9"
	      "0123456789abcde\xe2\x82\xac\"}");
}

static void test_check_invalid(void)
{
	invalid("{\"a\":\"abc", "invalid JSON: unterminated string");
	invalid("{\"a\":\"abc\\", "invalid JSON: unterminated string");
	invalid("{\"a", "invalid JSON: unterminated string");
	invalid("{\"a\":\"\\x\"}", "invalid JSON: invalid escape in string");
	invalid("{\"a\":\"\\a\"}", "invalid JSON: invalid escape in string");
	invalid("{\"a\":\"\\U0041\"}", "invalid JSON: invalid escape in string");
	invalid("{\"a\":\"\\u12\"}", "invalid JSON: invalid \\u escape in string");
	invalid("{\"a\":\"\\u12G4\"}", "invalid JSON: invalid \\u escape in string");
	invalid("{\"a\":\"\\u", "invalid JSON: invalid \\u escape in string");
	invalid("{\"a\":\"tab\there\"}", "invalid JSON: control character in string");
	invalid("{\"a\":\"nl\nhere\"}", "invalid JSON: control character in string");
	invalid("{\"a\":\"\x1f\"}", "invalid JSON: control character in string");
	invalid("{\"a\":\"0123456789abcdef0123\x01\"}", "invalid JSON: control character in string");
	invalid_n(LIT("{\"a\":\"x\0y\"}"), "NUL byte in record", "NUL in a string");
	invalid_n(LIT("{\"a\":\"0123456789abcdefghij\0\"}"), "NUL byte in record", "NUL in a long string");
	invalid_n(LIT("{\"a\":1}\0"), "NUL byte in record", "NUL after the object");
	invalid_n(LIT("{\"a\":1\0}"), "NUL byte in record", "NUL after a value");
	invalid_n(LIT("{\0\"a\":1}"), "NUL byte in record", "NUL before a name");
	invalid_n(LIT("\0{}"), "NUL byte in record", "NUL at the start");
	invalid_n(LIT("{\"a\":[1,\0]}"), "NUL byte in record", "NUL in an array");

	/* Invalid UTF-8 in strings. */
	invalid("{\"a\":\"\xc0\x80\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xc1\xbf\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xe0\x80\x80\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xe0\x9f\xbf\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xed\xbf\xbf\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xf0\x80\x80\x80\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xf0\x8f\xbf\xbf\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xf5\x80\x80\x80\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xff\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xc3\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xe2\x82\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xf0\x9f\x98\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xf0\x9f\x98", "invalid UTF-8");
	invalid("{\"a\":\"\x80\"}", "invalid UTF-8");
	invalid("{\"a\":\"\xc3\xa9\xa9\"}", "invalid UTF-8");
	invalid("{\"\xc0\xaf\":1}", "invalid UTF-8");
	invalid("{\"a\":1}\xc3", "invalid JSON: unexpected data after the object");

	/* Numbers. */
	invalid("{\"a\":01}", "invalid JSON: invalid number");
	invalid("{\"a\":-01}", "invalid JSON: invalid number");
	invalid("{\"a\":1.}", "invalid JSON: invalid number");
	invalid("{\"a\":1.e5}", "invalid JSON: invalid number");
	invalid("{\"a\":.5}", "invalid JSON: unexpected character");
	invalid("{\"a\":-}", "invalid JSON: invalid number");
	invalid("{\"a\":-a}", "invalid JSON: invalid number");
	invalid("{\"a\":1e}", "invalid JSON: invalid number");
	invalid("{\"a\":1e+}", "invalid JSON: invalid number");
	invalid("{\"a\":1E-}", "invalid JSON: invalid number");
	invalid("{\"a\":+1}", "invalid JSON: unexpected character");
	invalid("{\"a\":1x}", "invalid JSON: invalid number");
	invalid("{\"a\":0x10}", "invalid JSON: invalid number");
	invalid("{\"a\":1.5.2}", "invalid JSON: invalid number");
	invalid("{\"a\":1e5e5}", "invalid JSON: invalid number");
	invalid("{\"a\":--1}", "invalid JSON: invalid number");
	invalid("{\"a\":1", "invalid JSON: unexpected end of record");

	/* Literals. */
	invalid("{\"a\":tru}", "invalid JSON: invalid literal");
	invalid("{\"a\":tru", "invalid JSON: invalid literal");
	invalid("{\"a\":nulll}", "invalid JSON: invalid literal");
	invalid("{\"a\":truee}", "invalid JSON: invalid literal");
	invalid("{\"a\":fals}", "invalid JSON: invalid literal");
	invalid("{\"a\":True}", "invalid JSON: unexpected character");
	invalid("{\"a\":NULL}", "invalid JSON: unexpected character");
	invalid("{\"a\":nan}", "invalid JSON: invalid literal");

	/* Structure. */
	invalid("{\"a\":1}x", "invalid JSON: unexpected data after the object");
	invalid("{\"a\":1} {}", "invalid JSON: unexpected data after the object");
	invalid("{}}", "invalid JSON: unexpected data after the object");
	invalid("{\"a\":1,}", "invalid JSON: expected a member name");
	invalid("{\"a\":1,", "invalid JSON: unexpected end of record");
	invalid("{\"a\" ", "invalid JSON: unexpected end of record");
	invalid_n(LIT("{\"a\"\0:1}"), "NUL byte in record", "NUL before a colon");
	invalid("{,}", "invalid JSON: expected a member name");
	invalid("{a:1}", "invalid JSON: expected a member name");
	invalid("{'a':1}", "invalid JSON: expected a member name");
	invalid("{\"a\" 1}", "invalid JSON: expected ':' after member name");
	invalid("{\"a\"}", "invalid JSON: expected ':' after member name");
	invalid("{\"a\":}", "invalid JSON: unexpected character");
	invalid("{\"a\":1 \"b\":2}", "invalid JSON: expected ',' or '}'");
	invalid("{\"a\":1]", "invalid JSON: expected ',' or '}'");
	invalid("{\"a\":[1 2]}", "invalid JSON: expected ',' or ']'");
	invalid("{\"a\":[1}", "invalid JSON: expected ',' or ']'");
	invalid("{\"a\":[1,]}", "invalid JSON: unexpected character");
	invalid("{\"a\":[,1]}", "invalid JSON: unexpected character");
	invalid("{\"a\":{}", "invalid JSON: unexpected end of record");
	invalid("{", "invalid JSON: unexpected end of record");
	invalid("{\"a\":", "invalid JSON: unexpected end of record");
	invalid("{\"a\":\xc3\xa9}", "invalid JSON: unexpected character");
	invalid("{\"a\":\xff}", "invalid UTF-8");

	/* Not objects, or nothing. */
	invalid("[1,2]", "not a JSON object (an array)");
	invalid("[]", "not a JSON object (an array)");
	invalid("\"text\"", "not a JSON object");
	invalid("42", "not a JSON object");
	invalid("-1.5e3", "not a JSON object");
	invalid("true", "not a JSON object");
	invalid("null", "not a JSON object");
	invalid("", "invalid JSON: empty record");
	invalid(" \t\r\n", "invalid JSON: empty record");
	invalid("\xef\xbb\xbf{}", "invalid JSON: unexpected character");
}

static void test_check_offsets(void)
{
	struct json_error err = { NULL, 0 };
	ok(json_check_record(LIT("{\"a\":01}"), &err) == -1 && err.offset == 5,
	   "the offset of a bad number is its first byte (%zu)", err.offset);
	ok(json_check_record(LIT("{\"a\":\"x\\q\"}"), &err) == -1 && err.offset == 7,
	   "the offset of a bad escape is its backslash (%zu)", err.offset);
	ok(json_check_record(LIT("{\"a\":\"\xc3\xa9\xff\"}"), &err) == -1 && err.offset == 8,
	   "the offset of invalid UTF-8 is its first byte (%zu)", err.offset);
	ok(json_check_record(LIT("{} x"), &err) == -1 && err.offset == 3,
	   "the offset of trailing data (%zu)", err.offset);
	ok(json_check_record(LIT("[]"), &err) == -1 && err.offset == (size_t)-1,
	   "a non-object has no offset");
	ok(json_check_record(LIT("{\"a\":x}"), NULL) == -1,
	   "a NULL error pointer is allowed");
}

/* A record of `depth` nested containers, objects and arrays in turn. */
static char *nested(int depth, size_t *n)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\"a\":");
	for (int i = 1; i < depth; i++)
		strbuf_addstr(&sb, i % 2 ? "[" : "{\"k\":");
	strbuf_addstr(&sb, "0");
	for (int i = depth - 1; i >= 1; i--)
		strbuf_addc(&sb, i % 2 ? ']' : '}');
	strbuf_addc(&sb, '}');
	*n = sb.len;
	return sb.buf;
}

static void test_check_depth(void)
{
	size_t n;
	char *s;
	struct json_error err = { NULL, 0 };

	/* Only arrays, so that every level is valid as it opens. */
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\"a\":");
	for (int i = 1; i < JSON_MAX_DEPTH; i++)
		strbuf_addc(&sb, '[');
	for (int i = 1; i < JSON_MAX_DEPTH; i++)
		strbuf_addc(&sb, ']');
	strbuf_addc(&sb, '}');
	ok(json_check_record(sb.buf, sb.len, &err) == 0, "nesting of exactly JSON_MAX_DEPTH is accepted");

	strbuf_reset(&sb);
	strbuf_addstr(&sb, "{\"a\":");
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		strbuf_addc(&sb, '[');
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		strbuf_addc(&sb, ']');
	strbuf_addc(&sb, '}');
	ok(json_check_record(sb.buf, sb.len, &err) == -1 &&
	   !strcmp(err.msg, "invalid JSON: nested too deeply") && err.offset == 5 + JSON_MAX_DEPTH - 1,
	   "one level deeper is rejected at the opening bracket");

	s = nested(JSON_MAX_DEPTH, &n);
	ok(json_check_record(s, n, &err) == 0, "mixed objects and arrays at JSON_MAX_DEPTH");
	free(s);
	s = nested(JSON_MAX_DEPTH + 1, &n);
	ok(json_check_record(s, n, &err) == -1 && !strcmp(err.msg, "invalid JSON: nested too deeply"),
	   "mixed objects and arrays one deeper");
	free(s);

	strbuf_reset(&sb);
	for (int i = 0; i < 100000; i++)
		strbuf_addc(&sb, '[');
	ok(json_check_record(sb.buf, sb.len, &err) == -1 && !strcmp(err.msg, "invalid JSON: nested too deeply"),
	   "100000 '[' are rejected without a crash");
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "{\"a\":");
	for (int i = 0; i < 100000; i++)
		strbuf_addstr(&sb, "{\"a\":");
	ok(json_check_record(sb.buf, sb.len, &err) == -1 && !strcmp(err.msg, "invalid JSON: nested too deeply"),
	   "100000 nested objects are rejected without a crash");
	strbuf_release(&sb);
}

/* json_get on a checked record: the value's JSON text and type. */
static void get_is(const char *rec, const char *path, const char *want, enum json_type type)
{
	struct json_value v;
	if (json_check_record(rec, strlen(rec), NULL)) {
		ok(0, "record for json_get is valid: %s", rec);
		return;
	}
	int r = json_get(rec, strlen(rec), path, &v);
	if (!r) {
		ok(0, "json_get %s finds a value", path);
		return;
	}
	is_mem(v.p, v.len, want, strlen(want), "json_get %s in %s", path, rec);
	ok(v.type == type, "json_get %s: type %d", path, (int)type);
}

static void get_missing(const char *rec, const char *path)
{
	struct json_value v;
	ok(json_check_record(rec, strlen(rec), NULL) == 0 &&
	   json_get(rec, strlen(rec), path, &v) == 0, "json_get %s misses in %s", path, rec);
}

static void test_get(void)
{
	const char *rec = " { \"id\" : 17 , \"text\" : \"hi \\\"there\\\"\" , \"meta\" : "
			  "{ \"lang\" : \"en\" , \"tags\" : [ \"a\" , { \"x\" : 1 } ] , "
			  "\"deep\" : { \"er\" : { \"est\" : -1.5e3 } } } , \"t\" : true , "
			  "\"f\":false,\"n\":null,\"e\":{},\"arr\":[]} ";
	get_is(rec, "id", "17", JSON_NUMBER);
	get_is(rec, "text", "\"hi \\\"there\\\"\"", JSON_STRING);
	get_is(rec, "meta.lang", "\"en\"", JSON_STRING);
	get_is(rec, "meta.tags", "[ \"a\" , { \"x\" : 1 } ]", JSON_ARRAY);
	get_is(rec, "meta.deep.er.est", "-1.5e3", JSON_NUMBER);
	get_is(rec, "meta.deep", "{ \"er\" : { \"est\" : -1.5e3 } }", JSON_OBJECT);
	get_is(rec, "t", "true", JSON_TRUE);
	get_is(rec, "f", "false", JSON_FALSE);
	get_is(rec, "n", "null", JSON_NULL);
	get_is(rec, "e", "{}", JSON_OBJECT);
	get_is(rec, "arr", "[]", JSON_ARRAY);
	get_missing(rec, "missing");
	get_missing(rec, "tex");
	get_missing(rec, "texts");
	get_missing(rec, "meta.missing");
	get_missing(rec, "meta.lang.x");	/* an intermediate string */
	get_missing(rec, "id.x");		/* an intermediate number */
	get_missing(rec, "meta.tags.x");	/* an intermediate array */
	get_missing(rec, "e.x");
	get_missing(rec, "x");			/* only nested: meta.tags[1].x */
	get_missing(rec, "lang");		/* only nested */
	get_missing("{}", "text");
	get_missing("{ }", "text");

	get_is("{\"te\\u0078t\":\"escaped key\"}", "text", "\"escaped key\"", JSON_STRING);
	get_is("{\"a\\\"b\":1,\"a\":2}", "a\"b", "1", JSON_NUMBER);
	get_is("{\"a\\\"b\":1,\"a\":2}", "a", "2", JSON_NUMBER);
	get_is("{\"\\u00e9t\\u00E9\":\"summer\"}", "\xc3\xa9t\xc3\xa9", "\"summer\"", JSON_STRING);
	get_is("{\"text\":\"first\",\"text\":\"second\"}", "text", "\"first\"", JSON_STRING);
	get_is("{\"m\":{\"k\":1,\"k\":2},\"m\":{\"k\":3}}", "m.k", "1", JSON_NUMBER);
	get_is("{\"a\":{\"b\":\"}\\\"{[\"},\"c\":\"after\"}", "c", "\"after\"", JSON_STRING);
	get_is("{\"a\":[\"]\",{\"b\":\"]}\"}],\"c\":3}", "c", "3", JSON_NUMBER);
	get_is("{\"a\":1e5,\"b\":2}", "a", "1e5", JSON_NUMBER);
	get_is("{\"a\":-0}", "a", "-0", JSON_NUMBER);
	get_is("{\"a\":1\t}", "a", "1", JSON_NUMBER);
	get_is("{\"a\":\"\"}", "a", "\"\"", JSON_STRING);
	get_is("{\"\":5}", "", "5", JSON_NUMBER);
}

static void decode_is(const char *json, const char *want, size_t wlen, const char *what)
{
	struct json_value v = { json, strlen(json), JSON_STRING, 0 };
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "prefix:");
	json_decode_string(&v, &sb);
	struct strbuf w = STRBUF_INIT;
	strbuf_addstr(&w, "prefix:");
	strbuf_add(&w, want, wlen);
	is_mem(sb.buf, sb.len, w.buf, w.len, "json_decode_string appends: %s", what);
	ok(sb.buf[sb.len] == '\0', "decoded string is NUL-terminated: %s", what);
	strbuf_release(&sb);
	strbuf_release(&w);
}

static void test_decode(void)
{
	decode_is("\"\"", LIT(""), "empty");
	decode_is("\"plain\"", LIT("plain"), "plain");
	decode_is("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", LIT("\"\\/\b\f\n\r\t"), "every short escape");
	decode_is("\"a\\u0041\\u00e9\\u00E9\\u20ac\\uFFFF\"", LIT("aA\xc3\xa9\xc3\xa9\xe2\x82\xac\xef\xbf\xbf"),
		  "\\u escapes of 1, 2 and 3 UTF-8 bytes, either case");
	decode_is("\"\\uD83D\\uDE00\"", LIT("\xf0\x9f\x98\x80"), "a surrogate pair to 4 bytes");
	decode_is("\"\\ud800\\udc00\\udbff\\udfff\"", LIT("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"),
		  "the first and last surrogate pairs");
	decode_is("\"\\uD800\"", LIT("\xef\xbf\xbd"), "a lone high surrogate at the end");
	decode_is("\"\\uD800x\"", LIT("\xef\xbf\xbdx"), "a lone high surrogate before text");
	decode_is("\"\\uDC00\"", LIT("\xef\xbf\xbd"), "a lone low surrogate");
	decode_is("\"\\uD800\\u0041\"", LIT("\xef\xbf\xbd" "A"), "a high surrogate before a non-surrogate");
	decode_is("\"\\uD800\\uD800\\uDC00\"", LIT("\xef\xbf\xbd\xf0\x90\x80\x80"),
		  "a high surrogate before a pair");
	decode_is("\"\\uDC00\\uD800\"", LIT("\xef\xbf\xbd\xef\xbf\xbd"), "a reversed pair");
	decode_is("\"\\uD800\\n\"", LIT("\xef\xbf\xbd\n"), "a high surrogate before another escape");
	decode_is("\"a\\u0000b\"", LIT("a\0b"), "\\u0000 is a NUL byte");
	decode_is("\"\xc3\xa9\\n\xe6\x97\xa5\"", LIT("\xc3\xa9\n\xe6\x97\xa5"), "raw UTF-8 passes through");

	const char *s;
	size_t n;
	struct json_value v = { LIT("\"plain text\""), JSON_STRING, 0 };
	ok(json_string_plain(&v, &s, &n) == 1 && n == 10 && !memcmp(s, "plain text", 10) &&
	   s == v.p + 1, "json_string_plain points into the line");
	struct json_value e = { LIT("\"a\\nb\""), JSON_STRING, 0 };
	ok(json_string_plain(&e, &s, &n) == 0, "json_string_plain refuses escapes");
	struct json_value z = { LIT("\"\""), JSON_STRING, 0 };
	ok(json_string_plain(&z, &s, &n) == 1 && n == 0, "json_string_plain of the empty string");
}

static void set_is(const char *rec, const char *name, const char *value, const char *want)
{
	struct strbuf out = STRBUF_INIT;
	strbuf_addstr(&out, "stale contents");
	json_set_member(&out, rec, strlen(rec), name, value, strlen(value));
	is_str(out.buf, want, "json_set_member %s=%s on %s", name, value, show(rec, strlen(rec)));
	ok(json_check_record(out.buf, out.len, NULL) == 0, "the edited record is valid");
	struct json_value v;
	ok(json_get(out.buf, out.len, name, &v) && v.len == strlen(value) &&
	   !memcmp(v.p, value, v.len), "json_get finds the new value of %s", name);
	strbuf_release(&out);
}

static void test_set_member(void)
{
	set_is("{\"a\":1}", "q", "{\"x\":2}", "{\"a\":1,\"q\":{\"x\":2}}");
	set_is("{\"a\":1 }", "q", "true", "{\"a\":1,\"q\":true }");
	set_is("{}", "q", "1", "{\"q\":1}");
	set_is("{ }", "q", "1", "{\"q\":1 }");
	set_is("  {}  ", "q", "1", "  {\"q\":1}  ");
	set_is("{\"text\":\"x\"}", "q\"uote", "1", "{\"text\":\"x\",\"q\\\"uote\":1}");

	/* Replace in place: every other byte stays. */
	set_is("{ \"b\" : 1.0E+2 ,\t\"q\" : \"old\" , \"a\":\"\\u00e9\\n\"}", "q", "[1,2]",
	       "{ \"b\" : 1.0E+2 ,\t\"q\" : [1,2] , \"a\":\"\\u00e9\\n\"}");
	set_is("{\"q\":{\"deep\":[1,{\"q\":2}]},\"z\":-0.0}", "q", "null", "{\"q\":null,\"z\":-0.0}");
	set_is("{\"q\":1}", "q", "\"str\"", "{\"q\":\"str\"}");
	set_is("{\"\\u0071\":1,\"r\":2}", "q", "3", "{\"\\u0071\":3,\"r\":2}");

	/* Later duplicates go, with the comma before them. */
	set_is("{\"q\":1,\"a\":2,\"q\":3}", "q", "9", "{\"q\":9,\"a\":2}");
	set_is("{\"a\":0, \"q\":1 , \"q\":2,\"b\":3 ,\"q\":4}", "q", "9", "{\"a\":0, \"q\":9,\"b\":3}");
	set_is("{\"q\":1,\"q\":2}", "q", "9", "{\"q\":9}");

	/* Nested members of the same name are untouched. */
	set_is("{\"m\":{\"q\":1,\"r\":{\"q\":2}},\"n\":[{\"q\":3}]}", "q", "9",
	       "{\"m\":{\"q\":1,\"r\":{\"q\":2}},\"n\":[{\"q\":3}],\"q\":9}");
	set_is("{\"s\":\"\\\"q\\\":1\",\"t\":\"{\\\"q\\\":2}\"}", "q", "9",
	       "{\"s\":\"\\\"q\\\":1\",\"t\":\"{\\\"q\\\":2}\",\"q\":9}");
}

static void roundtrip(const char *s, size_t n, const char *want_json, const char *what)
{
	struct strbuf j = STRBUF_INIT, rec = STRBUF_INIT, dec = STRBUF_INIT;
	json_add_string(&j, s, n);
	if (want_json)
		is_str(j.buf, want_json, "json_add_string: %s", what);
	strbuf_addstr(&rec, "{\"s\":");
	strbuf_add(&rec, j.buf, j.len);
	strbuf_addc(&rec, '}');
	struct json_value v;
	ok(json_check_record(rec.buf, rec.len, NULL) == 0 && json_get(rec.buf, rec.len, "s", &v) &&
	   v.type == JSON_STRING, "json_add_string output is a valid string: %s", what);
	json_decode_string(&v, &dec);
	is_mem(dec.buf, dec.len, s, n, "json_add_string round trip: %s", what);
	strbuf_release(&j);
	strbuf_release(&rec);
	strbuf_release(&dec);
}

static void test_add_string(void)
{
	roundtrip(LIT("plain"), "\"plain\"", "plain");
	roundtrip(LIT(""), "\"\"", "empty");
	roundtrip(LIT("q\"b\\s/"), "\"q\\\"b\\\\s/\"", "quote and backslash");
	roundtrip(LIT("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"", "short escapes");
	roundtrip(LIT("\x01\x1f\x7f"), "\"\\u0001\\u001f\x7f\"", "control characters");
	roundtrip(LIT("a\0b"), "\"a\\u0000b\"", "a NUL byte");
	roundtrip(LIT("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"), "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
		  "UTF-8 passes through");

	/* Invalid UTF-8 (a file name's \xff) becomes U+FFFD, a byte each:
	 * synth's own output is always valid UTF-8. */
	struct { const char *in; size_t n; const char *want; const char *what; } bad[] = {
		{ LIT("a\xff.jsonl"), "a\xef\xbf\xbd.jsonl", "a stray 0xff" },
		{ LIT("\xc3"), "\xef\xbf\xbd", "a sequence cut at the end" },
		{ LIT("\xe2\x82x"), "\xef\xbf\xbd\xef\xbf\xbdx", "a sequence cut before ASCII" },
		{ LIT("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd", "an overlong '/'" },
		{ LIT("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", "a surrogate" },
		{ LIT("\x80\xc3\xa9\""), "\xef\xbf\xbd\xc3\xa9\\\"", "a lone continuation byte, then valid text" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct strbuf j = STRBUF_INIT;
		json_add_string(&j, bad[i].in, bad[i].n);
		ok(j.len >= 2 && !memcmp(j.buf + 1, bad[i].want, strlen(bad[i].want)) &&
		   j.len == strlen(bad[i].want) + 2 && utf8_valid(j.buf, j.len),
		   "json_add_string writes valid UTF-8 for %s: %s", bad[i].what, j.buf);
		strbuf_release(&j);
	}

	/* Every byte below 0x80 in one string. */
	char all[128];
	for (int i = 0; i < 128; i++)
		all[i] = (char)i;
	roundtrip(all, sizeof(all), NULL, "every ASCII byte");

	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "x");
	json_add_cstr(&sb, "a\"b");
	is_str(sb.buf, "x\"a\\\"b\"", "json_add_cstr appends");
	strbuf_release(&sb);
}

static void double_is(double x, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	json_add_double(&sb, x);
	is_str(sb.buf, want, "json_add_double(%.17g)", x);
	strbuf_release(&sb);
}

static void test_add_numbers(void)
{
	double_is(0.1, "0.1");
	double_is(1e300, "1e+300");
	double_is(-0.5, "-0.5");
	double_is(0, "0");
	double_is(1, "1");
	double_is(-3, "-3");
	double_is(42, "42");
	double_is(123456789, "123456789");
	double_is(9007199254740992.0, "9007199254740992");
	double_is(1.5e-7, "1.5e-07");
	double_is(5e-324, "5e-324");
	double_is(2.2250738585072014e-308, "2.2250738585072014e-308");
	double_is(NAN, "null");
	double_is(INFINITY, "null");
	double_is(-INFINITY, "null");

	/* Reads back exactly, and is valid JSON, for many doubles. */
	uint64_t x = 88172645463325252ull;
	int exact = 1, json = 1;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double d;
		uint64_t bits = x;
		memcpy(&d, &bits, sizeof(d));
		if (!isfinite(d))
			continue;
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, "{\"d\":");
		json_add_double(&sb, d);
		if (strtod(sb.buf + 5, NULL) != d)
			exact = 0;
		strbuf_addc(&sb, '}');
		if (json_check_record(sb.buf, sb.len, NULL))
			json = 0;
		strbuf_release(&sb);
	}
	ok(exact, "json_add_double reads back as the same double");
	ok(json, "json_add_double writes valid JSON numbers");

	struct strbuf sb = STRBUF_INIT;
	json_add_u64(&sb, 0);
	strbuf_addc(&sb, ' ');
	json_add_u64(&sb, UINT64_MAX);
	is_str(sb.buf, "0 18446744073709551615", "json_add_u64");
	strbuf_release(&sb);
}

static void test_utf8_sequence_length(void)
{
	const unsigned char a[] = "A", e[] = "\xc3\xa9", euro[] = "\xe2\x82\xac",
			    smile[] = "\xf0\x9f\x98\x80", max[] = "\xf4\x8f\xbf\xbf";
	ok(utf8_sequence_length(a, 1) == 1, "ASCII is 1 byte");
	ok(utf8_sequence_length(e, 2) == 2, "U+00E9 is 2 bytes");
	ok(utf8_sequence_length(euro, 3) == 3, "U+20AC is 3 bytes");
	ok(utf8_sequence_length(smile, 4) == 4, "U+1F600 is 4 bytes");
	ok(utf8_sequence_length(max, 4) == 4, "U+10FFFF is 4 bytes");
	ok(utf8_sequence_length(smile, 3) == 0, "a 4-byte sequence cut short");
	ok(utf8_sequence_length(euro, 2) == 0, "a 3-byte sequence cut short");
	ok(utf8_sequence_length(e, 1) == 0, "a 2-byte sequence cut short");
	ok(utf8_sequence_length((const unsigned char *)"\x80", 1) == 0, "a lone continuation byte");
	ok(utf8_sequence_length((const unsigned char *)"\xed\x9f\xbf", 3) == 3, "U+D7FF is valid");
	ok(utf8_sequence_length((const unsigned char *)"\xee\x80\x80", 3) == 3, "U+E000 is valid");
}

/* A small deterministic generator for the random records below. */
static uint64_t rng = 0x853c49e6748fea9bull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void random_value(struct strbuf *sb, int depth);

static void random_string(struct strbuf *sb)
{
	static const char *const parts[] = {
		"a", "text", " ", "\\n", "\\\"", "\\u00e9", "\\ud83d\\ude00", "\\ud800",
		"\xc3\xa9", "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "{", "}", "[", ":", ",",
	};
	strbuf_addc(sb, '"');
	for (int i = (int)(rnd() % 4); i > 0; i--)
		strbuf_addstr(sb, parts[rnd() % (sizeof(parts) / sizeof(parts[0]))]);
	strbuf_addc(sb, '"');
}

static void random_value(struct strbuf *sb, int depth)
{
	static const char *const scalars[] = {
		"0", "-1", "1.5e-3", "12345678901234567890", "true", "false", "null", "-0.0E+1",
	};
	switch (depth > 3 ? 2 + rnd() % 2 : rnd() % 4) {
	case 0:
		strbuf_addstr(sb, rnd() % 2 ? "{" : "{ ");
		for (int i = (int)(rnd() % 4); i > 0; i--) {
			random_string(sb);
			strbuf_addstr(sb, rnd() % 2 ? ":" : " : ");
			random_value(sb, depth + 1);
			if (i > 1)
				strbuf_addstr(sb, rnd() % 2 ? "," : " ,\t");
		}
		strbuf_addc(sb, '}');
		break;
	case 1:
		strbuf_addc(sb, '[');
		for (int i = (int)(rnd() % 4); i > 0; i--) {
			random_value(sb, depth + 1);
			if (i > 1)
				strbuf_addc(sb, ',');
		}
		strbuf_addc(sb, ']');
		break;
	case 2:
		random_string(sb);
		break;
	default:
		strbuf_addstr(sb, scalars[rnd() % (sizeof(scalars) / sizeof(scalars[0]))]);
	}
}

/* Random records, damaged at random: the scanner never crashes (the
 * sanitizer build checks every byte it touches), and a record it accepts
 * can be edited and read back. */
static void test_random_records(void)
{
	struct strbuf rec = STRBUF_INIT, out = STRBUF_INIT;
	int accepted_good = 0, edits_ok = 1, rejected = 0, pristine_ok = 1;
	for (int i = 0; i < 30000; i++) {
		strbuf_reset(&rec);
		strbuf_addstr(&rec, "{\"id\":");
		random_value(&rec, 1);
		strbuf_addstr(&rec, ",\"text\":");
		random_value(&rec, 1);
		strbuf_addc(&rec, '}');
		if (json_check_record(rec.buf, rec.len, NULL)) {
			pristine_ok = 0;
			continue;
		}
		/* Damage two thirds of them: flip, delete or insert a byte. */
		int damage = (int)(rnd() % 3);
		size_t at = rec.len ? rnd() % rec.len : 0;
		static const char junk[] = "{}[]\",:\\ 0e-.tfn\x80\xc3\xff\x01";
		if (damage == 1) {
			rec.buf[at] = junk[rnd() % (sizeof(junk) - 1)];
		} else if (damage == 2) {
			memmove(rec.buf + at, rec.buf + at + 1, rec.len - at - 1);
			strbuf_setlen(&rec, rec.len - 1);
		}
		/* An exact-size copy, so that reading past the end is caught. */
		char *copy = malloc(rec.len ? rec.len : 1);
		memcpy(copy, rec.buf, rec.len);
		struct json_error err = { NULL, 0 };
		if (json_check_record(copy, rec.len, &err)) {
			rejected++;
			if (!err.msg || (err.offset > rec.len && err.offset != (size_t)-1))
				edits_ok = 0;
			free(copy);
			continue;
		}
		struct json_value v;
		json_set_member(&out, copy, rec.len, "q", "[1]", 3);
		if (json_check_record(out.buf, out.len, NULL) || !json_get(out.buf, out.len, "q", &v) ||
		    v.len != 3 || memcmp(v.p, "[1]", 3))
			edits_ok = 0;
		if (json_get(copy, rec.len, "text", &v) && v.type == JSON_STRING) {
			struct strbuf dec = STRBUF_INIT;
			json_decode_string(&v, &dec);
			strbuf_release(&dec);
		}
		accepted_good++;
		free(copy);
	}
	ok(pristine_ok, "random records are valid before damage");
	ok(edits_ok, "damaged records: errors have a message and an offset; accepted ones can be edited");
	ok(accepted_good > 10000 && rejected > 5000, "random records: %d accepted, %d rejected",
	   accepted_good, rejected);
	strbuf_release(&rec);
	strbuf_release(&out);
}

/* json_check_record_member finds what json_get finds, in the same pass
 * as the check. */
static void member_is(const char *rec, const char *name, const char *want, enum json_type type)
{
	struct json_value v, g;
	struct json_error err;
	int rc = json_check_record_member(rec, strlen(rec), name, &v, &err);
	ok(rc == 0, "checked while looking for %s: %s", name, rec);
	if (!want) {
		ok(v.type == JSON_NONE, "no top-level %s in %s", name, rec);
		return;
	}
	is_mem(v.p, v.len, want, strlen(want), "%s found in %s", name, rec);
	ok(v.type == type, "type of %s in %s", name, rec);
	ok(json_get(rec, strlen(rec), name, &g) && g.p == v.p && g.len == v.len,
	   "json_get agrees on %s in %s", name, rec);
}

static void test_check_member(void)
{
	member_is("{\"id\":1,\"text\":\"a b\"}", "text", "\"a b\"", JSON_STRING);
	member_is("{\"text\" : 12.5e3 , \"x\":1}", "text", "12.5e3", JSON_NUMBER);
	member_is("{\"a\":{\"text\":1},\"text\":[1,{\"t\":2}]}", "text", "[1,{\"t\":2}]", JSON_ARRAY);
	member_is("{\"text\":{}}", "text", "{}", JSON_OBJECT);
	member_is("{\"text\":true}", "text", "true", JSON_TRUE);
	member_is("{\"text\":null,\"text\":\"second\"}", "text", "null", JSON_NULL);
	member_is("{\"te\\u0078t\":\"escaped key\"}", "text", "\"escaped key\"", JSON_STRING);
	member_is("{\"a\":{\"text\":\"nested only\"}}", "text", NULL, JSON_NONE);
	member_is("{}", "text", NULL, JSON_NONE);
	struct json_value v;
	struct json_error err;
	const char *bad = "{\"text\":\"ok\",\"x\":tru}";
	ok(json_check_record_member(bad, strlen(bad), "text", &v, &err) < 0 &&
	   !strcmp(err.msg, "invalid JSON: invalid literal"),
	   "an invalid record is still invalid when its member was found");
}

static void test_array_next(void)
{
	const char *rec = "{\"a\": [ 1, \"x,]\" , {\"c\":[2,3]} ,[],null ], \"e\": []}";
	struct json_value arr, el, c;
	ok(json_get(rec, strlen(rec), "a", &arr) && arr.type == JSON_ARRAY, "the array is found");
	size_t pos = 0;
	const char *want[] = { "1", "\"x,]\"", "{\"c\":[2,3]}", "[]", "null" };
	int n = 0, same = 1;
	while (json_array_next(&arr, &pos, &el)) {
		same &= n < 5 && el.len == strlen(want[n]) && !memcmp(el.p, want[n], el.len);
		n++;
	}
	ok(n == 5 && same, "five elements, each its exact text (%d)", n);
	pos = 0;
	json_array_next(&arr, &pos, &el);
	json_array_next(&arr, &pos, &el);
	json_array_next(&arr, &pos, &el);
	ok(el.type == JSON_OBJECT && json_get(el.p, el.len, "c", &c) && c.type == JSON_ARRAY,
	   "an element object can be searched");
	ok(json_get(rec, strlen(rec), "e", &arr) && (pos = 0, !json_array_next(&arr, &pos, &el)),
	   "an empty array has no element");
}

static void test_object_next(void)
{
	const char *rec = "{ \"a\" : [1,{\"x\":2}] , \"b\\\"c\":\"s,}\", \"d\":{},\"e\":null }";
	struct json_value obj = { rec, strlen(rec), JSON_OBJECT, 0 }, name, value;
	const char *names[] = { "\"a\"", "\"b\\\"c\"", "\"d\"", "\"e\"" };
	const char *values[] = { "[1,{\"x\":2}]", "\"s,}\"", "{}", "null" };
	size_t pos = 0;
	int n = 0, same = 1;
	while (json_object_next(&obj, &pos, &name, &value)) {
		same &= n < 4 && name.len == strlen(names[n]) && !memcmp(name.p, names[n], name.len) &&
			value.len == strlen(values[n]) && !memcmp(value.p, values[n], value.len);
		n++;
	}
	ok(n == 4 && same, "json_object_next: four members, each name and value its exact text (%d)", n);
	struct json_value empty = { "{ }", 3, JSON_OBJECT, 0 };
	pos = 0;
	ok(!json_object_next(&empty, &pos, &name, &value), "json_object_next: an empty object has none");
}

/* json_get_members finds what json_get finds, in one walk. */
static void test_get_members(void)
{
	const char *rec = "{\"id\":7, \"a\":{\"synth\":1},\"synth\":\"x\",\"m\\u0069x\":[1],\"id\":8}";
	const char *names[] = { "synth", "id", "mix", "none", "a" };
	struct json_value v[5];
	json_get_members(rec, strlen(rec), names, 5, v);
	is_mem(v[0].p, v[0].len, "\"x\"", 3, "json_get_members: a top-level member, not a nested one");
	is_mem(v[1].p, v[1].len, "7", 1, "json_get_members: the first of two members of one name");
	ok(v[2].type == JSON_ARRAY && v[2].len == 3, "json_get_members: a name written with an escape");
	ok(v[3].type == JSON_NONE && v[3].p == NULL, "json_get_members: a missing member");
	ok(v[4].type == JSON_OBJECT, "json_get_members: an object value");
	json_get_members("[1]", 3, names, 1, v);
	ok(v[0].type == JSON_NONE, "json_get_members: no object, no members");
}

int main(void)
{
	test_get_members();
	test_array_next();
	test_object_next();
	test_check_member();
	test_check_valid();
	test_check_invalid();
	test_check_offsets();
	test_check_depth();
	test_get();
	test_decode();
	test_set_member();
	test_add_string();
	test_add_numbers();
	test_utf8_sequence_length();
	test_random_records();
	return done_testing();
}
