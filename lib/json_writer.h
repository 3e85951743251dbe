/* json_writer.h: JSON text written a piece at a time.
 *
 * The writer keeps the commas: a key or a value written where a comma
 * is due gets one, so a renderer says only what it writes, in order
 * (after git's json-writer):
 *
 *	jw_init(&w, out);
 *	jw_object_begin(&w);
 *	jw_key(&w, "records");
 *	jw_u64(&w, 12);
 *	jw_key(&w, "mean");
 *	jw_double(&w, 3.1415926, 6);
 *	jw_object_end(&w);		-> {"records":12,"mean":3.141593}
 *
 * Inside an object each value follows its jw_key(); inside an array the
 * values follow one another. Numbers never pass through the locale.
 * Nesting deeper than JW_MAX_DEPTH, a value without its key in an
 * object, or an end that does not match its begin is a BUG().
 */
#ifndef SYNTH_JSON_WRITER_H
#define SYNTH_JSON_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define JW_MAX_DEPTH 32

struct json_writer {
	struct strbuf *out;	/* appended to; the caller's */
	unsigned depth;
	uint32_t in_array;	/* bit d: level d is an array, not an object */
	uint32_t has_items;	/* bit d: level d holds something, a comma is due */
	int keyed;		/* a key was written; its value comes next */
};

/* Write to the end of out, which stays the caller's. */
void jw_init(struct json_writer *w, struct strbuf *out);

void jw_object_begin(struct json_writer *w);
void jw_object_end(struct json_writer *w);
void jw_array_begin(struct json_writer *w);
void jw_array_end(struct json_writer *w);

/* The key of the next member of the object open now. */
void jw_key(struct json_writer *w, const char *key);

void jw_u64(struct json_writer *w, uint64_t v);
void jw_int(struct json_writer *w, int v);
/* v rounded to `decimals` places (at most 9) and written in the shortest
 * form that reads back as the rounded double; null for NaN and the
 * infinities, which JSON lacks. */
void jw_double(struct json_writer *w, double v, int decimals);
/* The string s[0..n), valid UTF-8, escaped. */
void jw_string(struct json_writer *w, const char *s, size_t n);
void jw_cstr(struct json_writer *w, const char *s);
void jw_null(struct json_writer *w);
/* json[0..n), one JSON value written as it is. */
void jw_raw(struct json_writer *w, const char *json, size_t n);

#endif
