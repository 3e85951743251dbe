/* unorm.h: per-code-point tables of NFKC, with or without full case
 * folding, exactly as utf8proc computes it.
 *
 * utf8proc normalises in three steps: (1) every code point is replaced
 * by its full decomposition (after case folding), one at a time; (2) each
 * run of code points of non-zero canonical combining class is sorted by
 * class, so a code point of class 0 never moves; (3) composition: a code
 * point may join the last class-0 code point (starter) before it if no
 * code point of equal or higher class stands between them; a starter
 * that joins nothing becomes the last starter.
 *
 * Call a code point a cut when the first code point of its decomposition
 * has class 0 and is neither the second half of a canonical composition
 * nor a Hangul vowel or trailing jamo (which utf8proc composes by rule).
 * For texts A and B where B begins with a cut, utf8proc(AB) equals
 * utf8proc(A) followed by utf8proc(B): step 1 works code point by code
 * point; step 2 moves nothing across a class-0 code point; in step 3 the
 * first code point of B joins nothing before it and becomes the starter,
 * which leaves nothing of A for B to reach, and the same state as at the
 * start of a text. So a text splits into pieces before each cut; a piece
 * of one code point normalises to what the table holds for it, and only
 * longer pieces (a letter followed by marks, a run of jamo) need
 * utf8proc. Every ASCII character is a cut and is its own form, but for
 * the case of letters.
 */
#ifndef SYNTH_UNORM_H
#define SYNTH_UNORM_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum unorm_form { UNORM_NFKC, UNORM_NFKC_CASEFOLD };

/* An entry: UNORM_CUT, and UNORM_SAME where the code point alone is its
 * own normalised form; otherwise the form is UNORM_LEN(e) bytes at
 * UNORM_OFF(e) in its block's bytes. A code point that is no cut has
 * neither flag. */
#define UNORM_CUT 1u
#define UNORM_SAME 2u
#define UNORM_LEN(e) (((e) >> 2) & 0x3Fu)
#define UNORM_OFF(e) ((e) >> 8)

/* 256 code points; the table points every block where all code points
 * are cuts and their own form (most of Unicode) at one shared block. The
 * blocks are built from the utf8proc linked at run time, each on first
 * use; see unorm.c. */
struct unorm_block {
	uint32_t e[256];
	unsigned char bytes[];
};

struct unorm_table {
	const struct unorm_block *block[0x110000 >> 8];
};

/* The table of a form, kept for the life of the process. Any thread may
 * use it. */
const struct unorm_table *unorm_table(enum unorm_form form);

/* The entry of cp (0..0x10FFFF) as far as the table is built: a block not
 * yet built reads as no cut, which unorm_entry_built() then checks. */
static inline uint32_t unorm_entry(const struct unorm_table *t, int32_t cp)
{
	return __atomic_load_n(&t->block[cp >> 8], __ATOMIC_ACQUIRE)->e[cp & 0xFF];
}

/* The entry of cp, its block built first if need be. */
uint32_t unorm_entry_built(const struct unorm_table *t, int32_t cp);

/* The normalised form of a cut cp whose entry e lacks UNORM_SAME. */
static inline const unsigned char *unorm_bytes(const struct unorm_table *t, int32_t cp, uint32_t e)
{
	return t->block[cp >> 8]->bytes + UNORM_OFF(e);
}

/* Room for utf8proc's arrays of code points, kept between calls; the
 * caller owns buf (free() it), which starts NULL with cap 0. */
struct unorm_scratch {
	int32_t *buf;
	size_t cap;
};

/* Append the normalised form of s[0..n) to out through utf8proc alone.
 * Text that is not valid UTF-8 is a bug of the caller (BUG()). */
void unorm_append_slow(const char *s, size_t n, enum unorm_form form, struct unorm_scratch *sc,
		       struct strbuf *out);

#endif
