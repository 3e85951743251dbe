/* format_hint.h: what an input that is not JSON Lines looks like.
 *
 * When the first record of a file is not a JSON object, the likeliest
 * reason is a file of another format: CSV from a spreadsheet, a JSON
 * array, a pretty-printed JSON document, Parquet from Hugging Face, a
 * compressed file of a kind synth does not decode. The record loop then
 * says what the file looks like, and what synth reads, in place of a
 * JSON scanner's "unexpected character at byte 1".
 */
#ifndef SYNTH_FORMAT_HINT_H
#define SYNTH_FORMAT_HINT_H

#include <stddef.h>

/* What a file whose first line, p[0..n) without its newline, failed
 * the JSON scanner with err looks like: "CSV", "a JSON array (...)",
 * with advice where there is one (a static string), or NULL when the
 * scanner's own message says it best: a line that starts like a JSON
 * object or array and is broken in it (a missing quote, nesting too
 * deep, a NUL byte), or JSON that is not an object ("[1,2]", a
 * string). A line that opens an object or array and ends before it
 * closes is JSON spread over several lines; one that is an array of
 * objects is a JSON array file. */
struct json_error;
const char *format_hint(const char *p, size_t n, const struct json_error *err);

/* The message for such a first line, into buf: "PREFIX: this looks like
 * LOOKS; synth reads one JSON object per line, plain or compressed with
 * zstd or gzip", PREFIX the scanner's message without its position
 * ("invalid JSON", "not a JSON object (an array)"). */
void format_hint_message(char *buf, size_t size, const struct json_error *err, const char *looks);

#endif
