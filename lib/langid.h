/* langid.h: the language and the script of a text.
 *
 * The language comes from CLD2, the Compact Language Detector 2 of
 * Chromium, as Debian packages it (libcld2): it scores the text's
 * letter quadgrams (and single Han, kana and Hangul characters) against
 * tables compiled into the library, so no model is read or downloaded
 * at run time. It tells apart some 80 languages; a text it cannot place
 * (too short, numbers and symbols, a language it lacks) is "und". Only
 * the first LANGID_BYTES of a text are read: a record's language shows
 * in its opening, and the cost of a text stays bounded.
 *
 * The script is counted here: each letter's Unicode script, by code
 * point ranges, and the one with the most words (counted roughly: runs
 * of letters of one script, each Han or kana character alone, without
 * the dictionaries of text.h), as an ISO 15924 code; Han written with
 * kana is "Jpan".
 */
#ifndef SYNTH_LANGID_H
#define SYNTH_LANGID_H

#include <stddef.h>

#define LANGID_BYTES 1024

struct langid {
	char lang[16];		/* ISO 639-1 (or CLD2's code: "zh-Hant"), or "und" */
	double score;		/* the share of the text CLD2 put in that language, 0 to 1 */
	int reliable;		/* CLD2 deems the answer reliable */
	char script[5];		/* ISO 15924: "Latn", "Cyrl", "Hani", "Jpan", ...; "Zyyy" without letters */
};

/* Identify the valid UTF-8 text s[0..n). Thread-safe. */
void langid_detect(const char *s, size_t n, struct langid *out);

/* The script of the letters of the valid UTF-8 s[0..n), as above. */
const char *langid_script(const char *s, size_t n);

/* CLD2's answer for valid UTF-8 s[0..n) (lib/langid_cld2.cc): its code
 * into lang (at most size - 1 bytes), the share of the text in percent,
 * and whether it is reliable. */
void langid_cld2(const char *s, size_t n, char *lang, size_t size, int *percent, int *reliable);

#endif
