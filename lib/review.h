/* review.h: the review page of synth-stats --review, for a person.
 *
 * Figures say that a corpus drifted; a person has to read records to say
 * how. The page shows, per group of --by, a seeded sample of records;
 * the records with the lowest and the highest value of a signal (a
 * number member such as quality.perplexity that synth-score wrote); and
 * the records that other programs rejected (their --rejects files),
 * grouped by reason, each reason with a sample. Every record shows its
 * id, where it came from (file and line), its provenance and its
 * signals (the members synth, mix, dedup and quality, as written), so a
 * person can list the ids to drop.
 *
 * Which records are shown depends on the seed and the records' bytes,
 * never on their order or the threads: each kept set is the k best by
 * an order (the sample: smallest hash of the line under the seed; the
 * extremes: value, then that hash), ties broken by file and line. The
 * states of threads merge into the state of the whole.
 *
 * The page is one HTML file with inline CSS: no script, no address of
 * any kind but links within the page, every text escaped (bytes that are
 * not UTF-8 and control characters shown as visible replacements), and
 * long texts in boxes of bounded height, so that thousands of records
 * stay readable.
 */
#ifndef SYNTH_REVIEW_H
#define SYNTH_REVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "strtab.h"

/* A text is shown up to this many bytes, then how many more it has. */
#define REVIEW_TEXT_MAX 16384

/* --review-sample's default. */
#define REVIEW_SAMPLE 10

/* One record kept for the page: a copy of its line and where it was. */
struct review_item {
	uint64_t hash;		/* of the line under the seed */
	double value;		/* the signal, for the extremes */
	char *line;		/* owned, len bytes, NUL after them */
	size_t len;
	char *file;		/* owned */
	uint64_t lineno;
};

enum review_order { REVIEW_BY_HASH, REVIEW_LOWEST, REVIEW_HIGHEST };

/* The k records first in an order, of all offered. */
struct review_pick {
	size_t k, n, worst;	/* worst: the index of the last kept, when n == k */
	enum review_order order;
	struct review_item *e;
};

/* A group of --by (or of the rejects: a reason) and its sample. */
struct review_group {
	struct strtab_key k;	/* group key (stats_group_key) or reason */
	uint64_t records;
	struct review_pick pick;
};

struct review_groups {
	struct strtab groups;
	size_t k;		/* records sampled a group */
};

/* What one thread (then the whole run) keeps for the page. */
struct review_state {
	uint64_t seed;
	struct review_groups groups;	/* by group key; one group "" without --by */
	struct review_pick lowest, highest;
	uint64_t records, with_signal;
	struct review_groups rejects;	/* by reason */
	uint64_t rejected;
	struct strbuf scratch;
};

void review_state_init(struct review_state *s, size_t k, uint64_t seed);
void review_state_release(struct review_state *s);
/* Fold src into dst; src is left empty but valid. */
void review_state_merge(struct review_state *dst, struct review_state *src);

/* Offer a record of the input: line[0..len) of file at lineno, in the
 * group key[0..keylen), with the signal's value (NaN: none). */
void review_add(struct review_state *s, const char *key, size_t keylen, const char *line,
		size_t len, const char *file, uint64_t lineno, double signal);

/* Offer a line of a --rejects file, a checked JSON object, to the group
 * of its reason: reject.reason ("(no reason)" when it has none); a
 * record that synth-score rejected for "quality" goes to a group for
 * each rule it failed, "quality: RULE" (quality.reasons). */
void review_add_reject(struct review_state *s, const char *line, size_t len, const char *file,
		       uint64_t lineno);

/* What the page shows besides the records. */
struct review_page {
	const char *inputs;		/* the inputs' names, for the heading */
	const char *by;			/* --by, or NULL */
	int crossed;			/* --by crosses fields */
	const char *field, *id_field;	/* of the records */
	const char *signal;		/* --review-signal, or NULL */
	char *const *reject_files;	/* --review-rejects */
	size_t nreject_files;
	size_t k;
	uint64_t seed;
};

/* Append the page of s (merged, final) to out. The groups' and reasons'
 * samples are sorted for showing. */
void review_html(const struct review_page *p, struct review_state *s, struct strbuf *out);

#endif
