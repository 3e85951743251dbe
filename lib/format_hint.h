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

/* What a file whose first line (p[0..n), without its newline) is not a
 * JSON object looks like: "CSV", "a JSON array (...)", with advice
 * where there is one (a static string), or NULL when the line starts
 * like a JSON object written on one line, which needs no hint. */
const char *format_hint(const char *p, size_t n);

/* The message for such a first line, into buf: "not JSON Lines: this
 * looks like LOOKS; synth reads one JSON object per line, plain or
 * compressed with zstd or gzip". */
void format_hint_message(char *buf, size_t size, const char *looks);

#endif
