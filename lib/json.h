/* json.h: a strict JSON scanner and record editor for JSON Lines.
 *
 * A record is one line holding one JSON object. The scanner works on the
 * bytes of the line in place: it validates (RFC 8259, UTF-8, nesting
 * depth), finds members by dotted path and decodes strings, and it edits
 * a record by splicing one member in, so every other byte of the line
 * passes through unchanged. Nothing here builds a tree.
 *
 * Decisions where RFC 8259 leaves room:
 *  - strings must be valid UTF-8 (no overlong forms, no encoded
 *    surrogates, nothing above U+10FFFF); a raw NUL byte or any other
 *    control character inside a string is an error;
 *  - a \u escape of a lone surrogate is accepted and decodes to U+FFFD;
 *  - nesting deeper than JSON_MAX_DEPTH is an error, never a crash;
 *  - a member name that occurs twice is allowed; lookups find the first.
 */
#ifndef SYNTH_JSON_H
#define SYNTH_JSON_H

#include <stddef.h>
#include <stdint.h>

struct strbuf;

#define JSON_MAX_DEPTH 256

enum json_type {
	JSON_NONE = 0, JSON_OBJECT, JSON_ARRAY, JSON_STRING, JSON_NUMBER,
	JSON_TRUE, JSON_FALSE, JSON_NULL
};

/* One value inside a record: the bytes of its JSON text, in the line. */
struct json_value {
	const char *p;
	size_t len;
	enum json_type type;
	int plain;		/* 1: a string known to hold no escape; 0: not known */
};

/* Why a record is not valid: a static message and the byte offset in
 * the line where the problem was seen. */
struct json_error {
	const char *msg;
	size_t offset;
};

/* Check that s[0..n) is exactly one JSON object, optionally surrounded by
 * white space. Returns 0 when it is, -1 with *err filled when not. */
int json_check_record(const char *s, size_t n, struct json_error *err);

/* The same check, and in the same pass the first top-level member called
 * `name` (a plain name, no dotted path): *v is filled when there is one,
 * and v->type is JSON_NONE when not. With name or v NULL it is
 * json_check_record. Saves a second pass over the record
 * for the member every program reads. */
int json_check_record_member(const char *s, size_t n, const char *name, struct json_value *v,
			     struct json_error *err);

/* Find the member at a dotted path ("text", "meta.lang") in the object
 * s[0..n), which must have passed json_check_record(). Returns 1 and
 * fills *v when found, 0 when a step of the path is missing or is not an
 * object. A member name that contains a dot cannot be reached. */
int json_get(const char *s, size_t n, const char *path, struct json_value *v);

/* The top-level members names[0..k) of the checked object s[0..n), in
 * one walk over its members: v[i] is the first member called names[i]
 * (plain names, no dotted paths), or has type JSON_NONE when there is
 * none. Names past the first JSON_MAX_MEMBERS are not looked for. */
#define JSON_MAX_MEMBERS 8
void json_get_members(const char *s, size_t n, const char *const *names, size_t k,
		      struct json_value *v);

/* The elements of the array value arr (from a checked record) in turn:
 * start with *pos = 0; returns 1 with *elem set, or 0 after the last. */
int json_array_next(const struct json_value *arr, size_t *pos, struct json_value *elem);

/* The members of the object value obj (from a checked record) in turn:
 * start with *pos = 0; returns 1 with *name (a string value) and *value
 * set, or 0 after the last. */
int json_object_next(const struct json_value *obj, size_t *pos, struct json_value *name,
		     struct json_value *value);

/* Append the decoded UTF-8 of the string value v to out. The value must
 * come from a checked record. A lone surrogate escape decodes to U+FFFD;
 * \u0000 decodes to a NUL byte. */
void json_decode_string(const struct json_value *v, struct strbuf *out);

/* When the string value v holds no escapes, point *s and *n at its
 * contents in the line and return 1; otherwise return 0. */
int json_string_plain(const struct json_value *v, const char **s, size_t *n);

/* Write to out (which is reset first) the object s[0..n) with its member
 * `name` set to the JSON text value[0..vlen): a member of that name
 * already at the top level is replaced where it stands (and any later
 * one of the same name removed); otherwise the member is appended after
 * the last one. Every other byte stays as it was. */
void json_set_member(struct strbuf *out, const char *s, size_t n,
		     const char *name, const char *value, size_t vlen);

/* Writers for building JSON text. json_add_string escapes s[0..n),
 * any bytes: each byte that does not begin a valid UTF-8 sequence (a
 * file name's \xff, a cut sequence) is written as U+FFFD, so that every
 * string synth writes, names from the file system among them, is valid
 * UTF-8 (synth(7) says so); json_add_double writes the shortest form
 * that reads back as the same double, or null for NaN and infinities. */
void json_add_string(struct strbuf *sb, const char *s, size_t n);
void json_add_cstr(struct strbuf *sb, const char *s);
void json_add_double(struct strbuf *sb, double x);
void json_add_u64(struct strbuf *sb, uint64_t x);
/* Write the decimal digits of x at p (room for 20 bytes); returns their
 * end. For callers that fill room they made once. */
char *json_put_u64(char *p, uint64_t x);

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not
 * valid (overlong, surrogate, above U+10FFFF, truncated). */
size_t utf8_sequence_length(const unsigned char *s, size_t n);

/* Is p[0..n) valid UTF-8 (no overlong forms, surrogates or values past
 * U+10FFFF)? */
int utf8_valid(const char *p, size_t n);

#endif
