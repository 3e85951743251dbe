/* representation.h: the groups of --by against the shares wanted.
 *
 * A corpus made from seed data inherits its gaps: a persona or topic
 * rare in the seeds is rare or absent in the output, and what is
 * missing is often a combination of values (every teacher writes about
 * mathematics). synth-stats --by FIELD[,FIELD...] with --reference or
 * --target compares each group's share of the records with the share
 * wanted: the reference's share of the same group, or the share that a
 * target file names.
 *
 * A group is named by its label (see stats_group_label): the string a
 * target file uses as its key. Groups are matched by key with a
 * reference (the same fields, the same values) and by label with a
 * target. The union of both sides is listed, so a group that the
 * reference or target has and the input lacks shows with 0 records.
 *
 * The figures of diversity per group (vocab_kept, distinct-2, median
 * perplexity against the same group of the reference) are filled in by
 * the caller, which holds the groups' vocabularies (see group_detail.h);
 * vocab_kept and the perplexities are NaN until then.
 */
#ifndef SYNTH_REPRESENTATION_H
#define SYNTH_REPRESENTATION_H

#include <stddef.h>
#include <stdint.h>

#include "json_writer.h"
#include "stats_figures.h"
#include "strbuf.h"

/* --under's default: a group with less than half the share wanted is
 * flagged. */
#define REPRESENTATION_UNDER 0.5

/* The most fields --by may cross. */
#define BY_MAX_FIELDS 8

/* The fields of --by: one dotted path, or several separated by commas
 * (crossed groups). */
struct by_fields {
	char *paths[BY_MAX_FIELDS];	/* owned */
	size_t n;
};

/* Split spec at its commas into f. Returns 0, or -1 with a reason in err
 * (an empty field, more than BY_MAX_FIELDS). */
int by_fields_parse(struct by_fields *f, const char *spec, struct strbuf *err);
void by_fields_release(struct by_fields *f);

/* The group key (see stats_group_key) of the record line[0..len) under
 * the fields f: for one field, stats_group_key's; for several, type 'r'
 * and a JSON array of the values, strings re-encoded after decoding
 * (so escapes do not split a group) and a missing member as null. */
void by_fields_key(const struct by_fields *f, const char *line, size_t len,
		   struct strbuf *key, struct strbuf *scratch);

/* The label of a group, from its figures' kind and value: a string's
 * text, another value's JSON text, "null" for a missing member; for
 * crossed fields (crossed != 0; the value is then a JSON array) the
 * labels of the values joined by '|'. Appended to out. */
void stats_group_label(enum stats_value_kind kind, const char *value, size_t len, int crossed,
		       struct strbuf *out);

/* A target: group label -> wanted share, normalised to sum to 1. */
struct target {
	char *path;
	struct target_entry {
		char *label;
		size_t len;
		double share;
	} *e;
	size_t n;
};

/* Read the target file at path: one JSON object whose members are group
 * labels and non-negative numbers (weights, normalised), at least one
 * above 0, each label once. Returns 0, or -1 after an error naming the
 * file (and the line of a bad member). */
int target_load(struct target *t, const char *path);
void target_release(struct target *t);

/* How a group stands against the share wanted. */
enum representation_flag {
	REPR_OK,		/* at least --under of the share wanted */
	REPR_UNDER,		/* below --under of it */
	REPR_MISSING,		/* wanted, and no record */
	REPR_EXTRA,		/* records the reference or target does not want */
};

struct representation_group {
	char *label;		/* owned, label_len bytes and a NUL */
	size_t label_len;
	char *key;		/* the group key, owned; NULL for a target's group no record has */
	size_t keylen;
	uint64_t records;
	double share;		/* of the input's records */
	uint64_t wanted_records;	/* the reference's records (0 with a target) */
	double wanted;		/* the share wanted */
	double ratio;		/* share / wanted; NaN when nothing is wanted */
	enum representation_flag flag;
	/* The group's figures in the input and the reference (NULL: none);
	 * they point into the figures given to representation_compute(). */
	const struct stats_group_figures *in_figures, *ref_figures;
	/* Against the same group of the reference (NaN without one). */
	double vocab_kept;
	double distinct_2, distinct_2_reference;
	double perplexity_p50, perplexity_p50_reference;
};

struct representation {
	const char *input;	/* the input's name for the table's heading, or NULL */
	char *by;		/* the --by spec */
	const char *against;	/* "reference" or "target" */
	char *file;		/* the reference or target file */
	double under;
	int diversity;		/* a reference: the groups' diversity figures apply */
	/* Over the union of the groups: total variation distance (half
	 * the sum of the share differences, 0 to 1: the share of records
	 * that would have to change group), and the Jensen-Shannon
	 * divergence in bits (0 to 1). */
	double total_variation, js_divergence;
	size_t nflagged;	/* groups under or missing */
	struct representation_group *groups;
	size_t n;
};

/* Compare the groups of in (computed with --by) with those of ref (the
 * reference's, same --by) when target is NULL, else with target; ref may
 * be NULL with a target, and is the one the diversity figures are
 * against when given (r->diversity). Groups
 * are sorted by the share wanted, then the input's share, both
 * descending, then by label. The diversity figures are NaN. */
void representation_compute(struct representation *r, const struct stats_figures *in,
			    const struct stats_figures *ref, const struct target *target,
			    const char *ref_path, double under);
void representation_release(struct representation *r);

/* The member "representation" of an output object open in w. */
void representation_json(const struct representation *r, struct json_writer *w);

/* A section of the table for people. */
void representation_table(const struct representation *r, struct strbuf *out);

const char *representation_flag_name(enum representation_flag f);

#endif
