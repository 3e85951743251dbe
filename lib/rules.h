/* rules.h: the rules file of synth-score --rules.
 *
 * A rule is a PCRE2 pattern whose matches in a record's text are
 * counted. A line of the file is one rule,
 *
 *     reject NAME /PATTERN/FLAGS
 *     penalty NAME WEIGHT /PATTERN/FLAGS
 *
 * or blank, or a comment from '#'. A reject rule fails the records it
 * matches; a penalty rule adds WEIGHT for each match to their penalty.
 * NAME is lower-case letters, digits, '_' and '-', each name once; the
 * pattern is UTF-8 and runs from the first '/' to the last, FLAGS are
 * any of i, m, s and x (PCRE2's CASELESS, MULTILINE, DOTALL, EXTENDED).
 */
#ifndef SYNTH_RULES_H
#define SYNTH_RULES_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct rule {
	char *name;
	int reject;		/* else a penalty */
	double weight;		/* a penalty's, finite */
	pcre2_code *re;		/* compiled, and JIT-compiled where PCRE2 can */
};

/* The rules of a file, in its order; owns the names and patterns. */
struct rules {
	struct rule *rule;
	size_t n;
};

#define RULES_INIT { NULL, 0 }

/* Parse the rules file text[0..n) (any bytes; a NUL ends its line's
 * text) into rs, which must be empty. Returns 0, or -1 with
 * "NAME:LINE: reason" in err, NAME being the file's for messages, and
 * rs empty. */
int rules_parse(struct rules *rs, const char *text, size_t n, const char *name,
		struct strbuf *err);

/* Count the matches of re in the UTF-8 text[0..len), left to right and
 * without overlap, as every search loop of synth does: the next search
 * starts where the match ended, a whole character further on after an
 * empty match, and never inside a character (PCRE2 refuses an offset
 * inside a UTF-8 sequence, and a match of \C can end in one). md needs
 * room for one pair; mctx may be NULL. Returns 0 with *count set, or
 * PCRE2's negative error code (a match limit, say) with *count the
 * matches found before it. */
int regex_count(const pcre2_code *re, const char *text, size_t len, pcre2_match_data *md,
		pcre2_match_context *mctx, uint64_t *count);

/* Free the rules' contents and leave rs empty. */
void rules_release(struct rules *rs);

#endif
