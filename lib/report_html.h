/* report_html.h: the HTML report of synth-stats --html.
 *
 * One self-contained HTML file: inline CSS and SVG, no script and
 * nothing fetched from anywhere. It holds a summary table (one row per
 * input, and the reference), a histogram of record lengths, a
 * rank-frequency plot (log-log) of each input against the reference,
 * and, when there are several inputs (generations), the trend lines of
 * distinct-2, vocab_kept, unseen_mass and median perplexity across them.
 * Every plotted series is an SVG element with class "series" and a
 * data-name attribute naming its input (or "reference"), so a test can
 * count them. Under --by with --reference or --target, a section per
 * input shows its groups against the shares wanted: a table with bars,
 * the rows of flagged groups (class "flag-under", "flag-missing") on a
 * tinted ground.
 */
#ifndef SYNTH_REPORT_HTML_H
#define SYNTH_REPORT_HTML_H

#include <stddef.h>
#include <stdint.h>

#include "representation.h"
#include "stats_compare.h"
#include "stats_figures.h"
#include "strbuf.h"

/* Points of a plot; the caller owns the arrays. */
struct report_series {
	const double *x, *y;
	size_t n;
};

/* One input (or the reference): its figures, how it compares with the
 * reference, and the perplexities of its records. A figure that does
 * not apply is NaN (the comparison of the reference with itself, but
 * for unseen_mass; perplexity without a model; entropy of a vocabulary
 * that is an estimate) and is shown as a dash. The pointers are the
 * caller's and must outlive report_html(). */
struct report_input {
	const char *name;
	const struct stats_figures *figures;
	const struct stats_comparison *comparison;
	double perplexity[3];		/* p10, p50, p90 */
	struct report_series lengths;	/* x: words per record, y: records */
	struct report_series rank_freq;	/* x: rank from 1, y: count */
	/* --by with --reference or --target: its groups against the shares
	 * wanted, a section of their own (NULL: none). */
	const struct representation *representation;
};

struct report {
	const char *title;
	const struct report_input *reference;	/* NULL: no reference */
	const struct report_input *inputs;
	size_t ninputs;
};

/* Append the whole HTML document to out. */
void report_html(const struct report *r, struct strbuf *out);

#endif
