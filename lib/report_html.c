/* report_html.c: the HTML report of synth-stats --html; see report_html.h.
 *
 * The page is plain HTML with inline CSS and inline SVG, so that it
 * opens the same from a file on any machine: no script, no font, no
 * address of any kind (inline SVG in HTML5 needs no xmlns either). Each
 * plot maps its data to pixels through a struct plot; each series is one
 * SVG element on a line of its own, class "series", data-name its input.
 * Numbers go through snprintf under the C locale (the programs never
 * call setlocale), and NaN and infinities never reach printf: the page
 * shows an en dash or the infinity sign instead.
 */
#include "report_html.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "input.h"

/* Colours of the inputs, in turn; the reference is drawn dashed in a
 * dark grey that nothing else uses. Ten that stay apart on white and
 * from each other. */
static const char *const palette[] = {
	"#1c64c8", "#e8590c", "#2f9e44", "#9c36b5", "#c2255c",
	"#0c8599", "#8f5d1a", "#74b816", "#4c4cc2", "#f59f00",
};
#define NPALETTE (sizeof(palette) / sizeof(*palette))
#define REFERENCE_COLOUR "#343a40"

/* The histogram of lengths has at most this many bins. */
#define LENGTH_BINS 50
/* Its axis ends at this quantile of the longest-tailed input. */
#define LENGTH_QUANTILE 0.99

/* Margins of a plot around its data area, in pixels. */
#define MARGIN_LEFT 64
#define MARGIN_RIGHT 16
#define MARGIN_TOP 12
#define MARGIN_BOTTOM 44

static const char *input_colour(size_t i)
{
	return palette[i % NPALETTE];
}

/* Append s with the characters that HTML gives a meaning escaped, so
 * that it can stand in text and in a quoted attribute alike. */
static void add_escaped(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '"': strbuf_addstr(out, "&quot;"); break;
		case '\'': strbuf_addstr(out, "&#39;"); break;
		default: strbuf_addc(out, *s);
		}
	}
}

/* Append x with prec decimals; an en dash for NaN (a figure that does
 * not apply) and the infinity sign for infinities. */
static void add_number(struct strbuf *out, double x, int prec)
{
	if (isnan(x))
		strbuf_addstr(out, "&ndash;");
	else if (isinf(x))
		strbuf_addstr(out, x > 0 ? "&infin;" : "&minus;&infin;");
	else
		strbuf_addf(out, "%.*f", prec, x);
}

/* A table cell of the number x (see add_number). */
static void add_cell(struct strbuf *out, double x, int prec)
{
	strbuf_addstr(out, "<td>");
	add_number(out, x, prec);
	strbuf_addstr(out, "</td>");
}

static const char *input_name(const struct report_input *in)
{
	return in->name ? in->name : "(unnamed)";
}

/* A name as an axis label: its base name without .zst, .jsonl or .json,
 * escaped, so that the labels of generations fit under the axis. */
static void add_short_name(struct strbuf *out, const char *name)
{
	const char *base;
	size_t n = input_short_name(name, &base);
	char *copy = xstrndup(base, n);
	add_escaped(out, copy);
	free(copy);
}

/* One axis of a plot: the data range lo..hi (as powers of ten on a log
 * axis) onto the pixels from..to. */
struct axis {
	double lo, hi;
	double from, to;
	int log;
};

/* A plot: its size and its two axes. */
struct plot {
	int width, height;
	struct axis x, y;
};

static void plot_init(struct plot *p, int width, int height)
{
	p->width = width;
	p->height = height;
	p->x = (struct axis){ 0, 1, MARGIN_LEFT, width - MARGIN_RIGHT, 0 };
	p->y = (struct axis){ 0, 1, height - MARGIN_BOTTOM, MARGIN_TOP, 0 };
}

/* The pixel of the data value v on axis a (v > 0 on a log axis). */
static double axis_pixel(const struct axis *a, double v)
{
	if (a->log)
		v = log10(v);
	double t = a->hi > a->lo ? (v - a->lo) / (a->hi - a->lo) : 0.5;
	return a->from + t * (a->to - a->from);
}

/* A step of 1, 2 or 5 times a power of ten that cuts span (> 0) into
 * about `want` pieces. */
static double nice_step(double span, int want)
{
	double raw = span / want;
	double p = pow(10, floor(log10(raw)));
	double m = raw / p;
	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* Widen the linear axis a to whole steps around lo..hi, about `want`
 * of them; returns the step. A range of one value is widened first. */
static double axis_linear(struct axis *a, double lo, double hi, int want)
{
	if (!(hi > lo)) {
		double pad = lo ? fabs(lo) / 10 : 1;
		lo -= pad;
		hi += pad;
	}
	double step = nice_step(hi - lo, want);
	/* The slack keeps a bound that is a step already from moving out
	 * by one through rounding. */
	a->lo = floor(lo / step + 1e-9) * step;
	a->hi = ceil(hi / step - 1e-9) * step;
	a->log = 0;
	return step;
}

/* Make a a log axis over whole powers of ten around lo..hi (both > 0);
 * returns the step in powers of ten between ticks. */
static double axis_log(struct axis *a, double lo, double hi)
{
	a->lo = floor(log10(lo));
	a->hi = ceil(log10(hi));
	if (a->hi <= a->lo)
		a->hi = a->lo + 1;
	a->log = 1;
	return a->hi - a->lo > 8 ? 2 : 1;
}

/* The label of a tick at the data value v. */
static void tick_label(char *buf, size_t size, const struct axis *a, double v, int percent)
{
	if (a->log) {
		int e = (int)lround(log10(v));
		if (e >= 0 && e <= 5)
			snprintf(buf, size, "%.0f", pow(10, e));
		else
			snprintf(buf, size, "1e%d", e);
	} else if (percent) {
		snprintf(buf, size, "%g%%", v * 100);
	} else {
		snprintf(buf, size, "%g", v);
	}
}

/* Gridlines and labels of the ticks of the x axis (y = 0) or the y axis
 * (y = 1): every step from lo to hi, in powers of ten on a log axis. */
static void draw_ticks(struct strbuf *out, const struct plot *p, int y, double step, int percent)
{
	const struct axis *a = y ? &p->y : &p->x;
	for (int k = 0; k <= 100; k++) {
		double at = a->lo + k * step;
		if (at > a->hi + step * 1e-6)
			break;
		if (fabs(at) < step * 1e-6)
			at = 0;		/* not -0 or 1e-17 */
		double v = a->log ? pow(10, at) : at;
		double px = axis_pixel(a, v);
		char label[32];
		tick_label(label, sizeof(label), a, v, percent);
		if (y)
			strbuf_addf(out, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
				    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" dy=\"0.35em\">%s</text>\n",
				    p->x.from, p->x.to, px, px, p->x.from - 6, px, label);
		else
			strbuf_addf(out, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
				    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" dy=\"1em\">%s</text>\n",
				    px, px, p->y.to, p->y.from, px, p->y.from + 4, label);
	}
}

/* The opening of a plot's SVG element, with its id and description. */
static void svg_open(struct strbuf *out, const struct plot *p, const char *id, const char *what)
{
	strbuf_addf(out, "<svg id=\"%s\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
		    id, p->width, p->height, p->width, p->height);
	add_escaped(out, what);
	strbuf_addstr(out, "\">\n");
}

/* The frame of the data area and the titles of the axes; xtitle may be
 * NULL where the ticks say it all. */
static void draw_frame(struct strbuf *out, const struct plot *p, const char *xtitle, const char *ytitle)
{
	strbuf_addf(out, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
		    p->x.from, p->y.to, p->x.to - p->x.from, p->y.from - p->y.to);
	if (xtitle) {
		strbuf_addf(out, "<text class=\"title\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
			    (p->x.from + p->x.to) / 2, p->height - 6);
		add_escaped(out, xtitle);
		strbuf_addstr(out, "</text>\n");
	}
	double mid = (p->y.from + p->y.to) / 2;
	strbuf_addf(out, "<text class=\"title\" transform=\"translate(14 %.1f) rotate(-90)\" text-anchor=\"middle\">",
		    mid);
	add_escaped(out, ytitle);
	strbuf_addstr(out, "</text>\n");
}

/* The opening of one series' path, up to the start of its d
 * attribute: class "series", data-name, colour, and the dash of the
 * reference. */
static void series_open(struct strbuf *out, const char *name, const char *colour, int dashed)
{
	strbuf_addstr(out, "<path class=\"series\" data-name=\"");
	add_escaped(out, name);
	strbuf_addf(out, "\" stroke=\"%s\"%s d=\"", colour,
		    dashed == 1 ? " stroke-dasharray=\"6 4\"" : dashed == 2 ? " stroke-dasharray=\"2 3\"" : "");
}

/* The line of input i: solid for the first round of the palette, dotted
 * for the next, so that eleven generations are not two alike. */
static int input_dash(size_t i)
{
	return (i / NPALETTE) % 2 ? 2 : 0;
}

/* The legend under a plot: the colour of each input, and the reference. */
static void draw_legend(struct strbuf *out, const struct report *r)
{
	strbuf_addstr(out, "<ul class=\"legend\">\n");
	for (size_t i = 0; i < r->ninputs; i++) {
		strbuf_addf(out, "<li><span class=\"swatch\" style=\"background:%s\"></span>", input_colour(i));
		add_escaped(out, input_name(&r->inputs[i]));
		strbuf_addstr(out, input_dash(i) ? " (dotted)</li>\n" : "</li>\n");
	}
	if (r->reference) {
		strbuf_addstr(out, "<li><span class=\"swatch dashed\"></span>reference: ");
		add_escaped(out, input_name(r->reference));
		strbuf_addstr(out, "</li>\n");
	}
	strbuf_addstr(out, "</ul>\n");
}

/* The series of the plots in order: the inputs, then the reference. */
static size_t nseries(const struct report *r)
{
	return r->ninputs + (r->reference != NULL);
}

static const struct report_input *series_input(const struct report *r, size_t i)
{
	return i < r->ninputs ? &r->inputs[i] : r->reference;
}

static const char *series_name(const struct report *r, size_t i)
{
	return i < r->ninputs ? input_name(&r->inputs[i]) : "reference";
}

static const char *series_colour(const struct report *r, size_t i)
{
	return i < r->ninputs ? input_colour(i) : REFERENCE_COLOUR;
}

static int series_dash(const struct report *r, size_t i)
{
	return i >= r->ninputs ? 1 : input_dash(i);
}

/* One row of the summary table: the figures of in, its name after a
 * swatch of its colour, or of the reference when colour is NULL. */
static void summary_row(struct strbuf *out, const struct report_input *in, const char *colour)
{
	if (colour)
		strbuf_addf(out, "<tr><td class=\"name\"><span class=\"swatch\" style=\"background:%s\"></span>",
			    colour);
	else
		strbuf_addstr(out, "<tr class=\"reference\"><td class=\"name\"><span class=\"swatch dashed\"></span>");
	add_escaped(out, input_name(in));
	if (!colour)
		strbuf_addstr(out, " <span class=\"tag\">reference</span>");
	const struct stats_figures *f = in->figures;
	const struct stats_comparison *c = in->comparison;
	strbuf_addf(out, "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td>", f->records, f->words);
	add_cell(out, f->length.mean, 1);
	strbuf_addf(out, "<td>%" PRIu64 "</td>", f->vocabulary);
	add_cell(out, f->distinct[2], 4);
	add_cell(out, f->entropy_1, 3);
	add_cell(out, c->vocab_kept, 4);
	add_cell(out, c->rare_kept, 4);
	add_cell(out, c->unseen_mass, 4);
	add_cell(out, c->js_divergence, 4);
	add_cell(out, c->length_ks, 4);
	for (size_t i = 0; i < 3; i++)
		add_cell(out, in->perplexity[i], 1);
	strbuf_addstr(out, "</tr>\n");
}

/* The summary table: a row for the reference (when there is one), then
 * one per input in order. */
static void summary_table(struct strbuf *out, const struct report *r)
{
	/* Two rows of headings: perplexity spans its three quantiles. */
	static const char *const heads[] = {
		"input", "records", "words", "mean<br>length", "vocabulary", "distinct-2", "entropy-1",
		"vocab_kept", "rare_kept", "unseen_mass", "js_divergence", "length_ks",
	};
	strbuf_addstr(out, "<div class=\"wide\">\n<table class=\"summary\">\n<thead>\n<tr>");
	for (size_t i = 0; i < sizeof(heads) / sizeof(*heads); i++)
		strbuf_addf(out, "<th rowspan=\"2\">%s</th>", heads[i]);
	strbuf_addstr(out, "<th colspan=\"3\" class=\"group\">perplexity</th></tr>\n"
		      "<tr><th>p10</th><th>p50</th><th>p90</th></tr>\n</thead>\n<tbody>\n");
	if (r->reference)
		summary_row(out, r->reference, NULL);
	for (size_t i = 0; i < r->ninputs; i++)
		summary_row(out, &r->inputs[i], input_colour(i));
	strbuf_addstr(out, "</tbody>\n</table>\n</div>\n");
}

/* Does the point i of s hold a length (x) and a count (y) to draw? */
static int length_point(const struct report_series *s, size_t i)
{
	return isfinite(s->x[i]) && s->x[i] >= 0 && isfinite(s->y[i]) && s->y[i] > 0;
}

static int compare_x(const void *a, const void *b)
{
	const double *p = a, *q = b;
	return (p[0] > q[0]) - (p[0] < q[0]);
}

/* The length at the nearest-rank quantile q of the histogram s (points
 * in any order), and its number of records in *total. */
static double length_quantile(const struct report_series *s, double q, double *total)
{
	double *pairs = xcalloc(size_mul(s->n ? s->n : 1, 2), sizeof(double));
	size_t n = 0;
	*total = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!length_point(s, i))
			continue;
		pairs[2 * n] = floor(s->x[i]);
		pairs[2 * n + 1] = s->y[i];
		*total += s->y[i];
		n++;
	}
	qsort(pairs, n, 2 * sizeof(double), compare_x);
	double seen = 0, at = 0;
	for (size_t i = 0; i < n; i++) {
		seen += pairs[2 * i + 1];
		at = pairs[2 * i];
		if (seen >= q * *total)
			break;
	}
	free(pairs);
	return at;
}

/* The histogram of record lengths. The x axis is linear, from 0 words to
 * the 99th percentile of the input (or reference) whose tail is longest,
 * cut into at most LENGTH_BINS bins of a whole number of words; longer
 * records are left out of the picture, not piled into the last bin. A
 * bin's height is the share of that input's records in it, so that an
 * input of a thousand records and a reference of millions compare. Each
 * series is one step path. */
static void length_plot(struct strbuf *out, const struct report *r)
{
	size_t ns = nseries(r);
	double *total = xcalloc(ns ? ns : 1, sizeof(double));
	double end = 0;
	for (size_t i = 0; i < ns; i++) {
		double q = length_quantile(&series_input(r, i)->lengths, LENGTH_QUANTILE, &total[i]);
		if (q > end)
			end = q;
	}
	/* Lengths 0..end in nbins bins of width words each. */
	double width = ceil((end + 1) / LENGTH_BINS);
	size_t nbins = (size_t)ceil((end + 1) / width);
	double *share = xcalloc(size_mul(ns ? ns : 1, nbins), sizeof(double));
	double top = 0;
	int cut = 0;
	for (size_t i = 0; i < ns; i++) {
		const struct report_series *s = &series_input(r, i)->lengths;
		double *row = share + i * nbins;
		for (size_t j = 0; j < s->n; j++) {
			if (!length_point(s, j))
				continue;
			double b = floor(floor(s->x[j]) / width);
			if (b >= (double)nbins) {
				cut = 1;
				continue;
			}
			row[(size_t)b] += s->y[j] / total[i];
		}
		for (size_t b = 0; b < nbins; b++)
			if (row[b] > top)
				top = row[b];
	}

	struct plot p;
	plot_init(&p, 900, 340);
	double xstep = axis_linear(&p.x, 0, (double)nbins * width, 8);
	p.x.hi = (double)nbins * width;		/* the bins fill the frame */
	double ystep = axis_linear(&p.y, 0, top > 0 ? top : 1, 5);
	svg_open(out, &p, "lengths", "records per length in words");
	draw_ticks(out, &p, 0, xstep, 0);
	draw_ticks(out, &p, 1, ystep, 1);
	draw_frame(out, &p, "words per record", "share of records");
	for (size_t i = 0; i < ns; i++) {
		const double *row = share + i * nbins;
		series_open(out, series_name(r, i), series_colour(r, i), series_dash(r, i));
		if (total[i] > 0) {
			double base = axis_pixel(&p.y, 0);
			strbuf_addf(out, "M%.1f %.1f", axis_pixel(&p.x, 0), base);
			for (size_t b = 0; b < nbins; b++)
				strbuf_addf(out, "V%.1fH%.1f", axis_pixel(&p.y, row[b]),
					    axis_pixel(&p.x, (double)(b + 1) * width));
			strbuf_addf(out, "V%.1f", base);
		}
		strbuf_addstr(out, "\"/>\n");
	}
	strbuf_addstr(out, "</svg>\n");
	draw_legend(out, r);
	if (cut)
		strbuf_addf(out, "<p class=\"note\">Records longer than %.0f words (past the 99th percentile) "
			    "are not drawn; the shares are of all records.</p>\n", (double)nbins * width - 1);
	free(share);
	free(total);
}

static int rank_point(const struct report_series *s, size_t i)
{
	return isfinite(s->x[i]) && s->x[i] >= 1 && isfinite(s->y[i]) && s->y[i] > 0;
}

/* The rank-frequency plot, log-log: x the rank of a word from 1, y its
 * count; the points come thinned by the caller and are joined in the
 * order given. */
static void rank_plot(struct strbuf *out, const struct report *r)
{
	size_t ns = nseries(r);
	double xmax = 1, ymin = INFINITY, ymax = 0;
	for (size_t i = 0; i < ns; i++) {
		const struct report_series *s = &series_input(r, i)->rank_freq;
		for (size_t j = 0; j < s->n; j++) {
			if (!rank_point(s, j))
				continue;
			xmax = fmax(xmax, s->x[j]);
			ymin = fmin(ymin, s->y[j]);
			ymax = fmax(ymax, s->y[j]);
		}
	}
	if (!(ymax > 0))
		ymin = ymax = 1;

	struct plot p;
	plot_init(&p, 900, 340);
	double xstep = axis_log(&p.x, 1, xmax);
	double ystep = axis_log(&p.y, ymin, ymax);
	svg_open(out, &p, "rank-frequency", "word count by rank, log-log");
	draw_ticks(out, &p, 0, xstep, 0);
	draw_ticks(out, &p, 1, ystep, 0);
	draw_frame(out, &p, "rank of the word", "count");
	for (size_t i = 0; i < ns; i++) {
		const struct report_series *s = &series_input(r, i)->rank_freq;
		series_open(out, series_name(r, i), series_colour(r, i), series_dash(r, i));
		char move = 'M';
		for (size_t j = 0; j < s->n; j++) {
			if (!rank_point(s, j))
				continue;
			strbuf_addf(out, "%c%.1f %.1f", move, axis_pixel(&p.x, s->x[j]),
				    axis_pixel(&p.y, s->y[j]));
			move = 'L';
		}
		strbuf_addstr(out, "\"/>\n");
	}
	strbuf_addstr(out, "</svg>\n");
	draw_legend(out, r);
}

/* The figures followed across the inputs. */
enum trend { TREND_DISTINCT_2, TREND_VOCAB_KEPT, TREND_UNSEEN_MASS, TREND_PERPLEXITY, NTRENDS };
static const char *const trend_names[NTRENDS] = {
	"distinct_2", "vocab_kept", "unseen_mass", "perplexity_p50",
};
static const char *const trend_titles[NTRENDS] = {
	"distinct-2", "vocab_kept", "unseen_mass", "median perplexity",
};

static double trend_value(const struct report_input *in, enum trend t)
{
	switch (t) {
	case TREND_DISTINCT_2: return in->figures->distinct[2];
	case TREND_VOCAB_KEPT: return in->comparison->vocab_kept;
	case TREND_UNSEEN_MASS: return in->comparison->unseen_mass;
	default: return in->perplexity[1];
	}
}

/* The folder part of an input's name ("replace/gen-3.jsonl": 7 bytes,
 * "replace"), 0 for a name without one. */
static size_t folder_len(const struct report_input *in)
{
	const char *name = input_name(in), *slash = strrchr(name, '/');
	return slash ? (size_t)(slash - name) : 0;
}

/* The lines of a trend chart: one for all the inputs, or, when they lie
 * in several folders (the regimes of an experiment, each a folder of
 * generations), one a folder in the order each first appears, x the
 * input's place within its folder. line[i] is input i's line, pos[i] its
 * place; returns the number of lines and sets *longest to the most
 * inputs one line has. */
static size_t trend_lines(const struct report *r, size_t *line, size_t *pos, size_t *first,
			  size_t *longest)
{
	size_t nlines = 0;
	*longest = 0;
	for (size_t i = 0; i < r->ninputs; i++) {
		size_t len = folder_len(&r->inputs[i]), l = 0;
		const char *name = input_name(&r->inputs[i]);
		while (l < nlines && !(folder_len(&r->inputs[first[l]]) == len &&
				       !memcmp(input_name(&r->inputs[first[l]]), name, len)))
			l++;
		if (l == nlines)
			first[nlines++] = i;
		line[i] = l;
		pos[i] = 0;
		for (size_t k = 0; k < i; k++)
			pos[i] += line[k] == l;
		if (pos[i] + 1 > *longest)
			*longest = pos[i] + 1;
	}
	if (nlines < 2) {
		for (size_t i = 0; i < r->ninputs; i++)
			line[i] = 0, pos[i] = i;
		*longest = r->ninputs;
		return 1;
	}
	return nlines;
}

/* One small chart of figure t across the inputs, x the input's place
 * in order (labelled by name), with the reference's value as a dashed
 * line where it has one; inputs in several folders make a line each,
 * x their place in the folder. Nothing when no input has a finite
 * value. */
static void trend_chart(struct strbuf *out, const struct report *r, enum trend t)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < r->ninputs; i++) {
		double v = trend_value(&r->inputs[i], t);
		if (isfinite(v)) {
			lo = fmin(lo, v);
			hi = fmax(hi, v);
		}
	}
	if (!(hi >= lo))
		return;
	double ref = r->reference ? trend_value(r->reference, t) : NAN;
	if (isfinite(ref)) {
		lo = fmin(lo, ref);
		hi = fmax(hi, ref);
	}
	size_t *line = xreallocarray(NULL, 3 * r->ninputs, sizeof(*line));
	size_t *pos = line + r->ninputs, *first = pos + r->ninputs, longest;
	size_t nlines = trend_lines(r, line, pos, first, &longest);

	struct plot p;
	plot_init(&p, 420, 250);
	p.y.from = 250 - 64;		/* room for slanted names */
	p.x.lo = 0;
	p.x.hi = longest > 1 ? (double)(longest - 1) : 1;
	p.x.from += 12;			/* the ends off the frame */
	p.x.to -= 12;
	double ystep = axis_linear(&p.y, lo, hi, 4);

	char id[64];
	snprintf(id, sizeof(id), "trend-%s", trend_names[t]);
	strbuf_addstr(out, "<figure class=\"trend\">\n");
	svg_open(out, &p, id, trend_titles[t]);
	draw_ticks(out, &p, 1, ystep, 0);
	strbuf_addf(out, "<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n",
		    p.x.from - 12, p.y.to, p.x.to - p.x.from + 24, p.y.from - p.y.to);
	/* A name for every place while they fit, else for every k-th:
	 * the inputs' names, or the names of the first line's inputs. */
	size_t every = (longest + 7) / 8;
	for (size_t i = 0; i < r->ninputs; i++) {
		if (line[i] || pos[i] % every)
			continue;
		double x = axis_pixel(&p.x, (double)pos[i]);
		strbuf_addf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
			    "transform=\"rotate(-30 %.1f %.1f)\">", x, p.y.from + 14, x, p.y.from + 14);
		add_short_name(out, input_name(&r->inputs[i]));
		strbuf_addstr(out, "</text>\n");
	}
	if (isfinite(ref)) {
		double y = axis_pixel(&p.y, ref);
		strbuf_addf(out, "<line class=\"reference-line\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
			    "stroke=\"%s\" stroke-dasharray=\"6 4\"/>"
			    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" dy=\"-0.4em\">reference</text>\n",
			    p.x.from - 12, p.x.to + 12, y, y, REFERENCE_COLOUR, p.x.to + 12, y);
	}
	/* Each line breaks where an input has no value; a dot marks each
	 * value, so that one between two gaps shows. */
	for (size_t l = 0; l < nlines; l++) {
		const char *colour = palette[l % NPALETTE];
		if (nlines == 1) {
			series_open(out, trend_names[t], colour, 0);
		} else {
			/* The line's name: its folder. */
			const char *name = input_name(&r->inputs[first[l]]);
			char *folder = xstrndup(name, folder_len(&r->inputs[first[l]]));
			series_open(out, folder, colour, 0);
			free(folder);
		}
		char move = 'M';
		for (size_t i = 0; i < r->ninputs; i++) {
			double v = trend_value(&r->inputs[i], t);
			if (line[i] != l)
				continue;
			if (!isfinite(v)) {
				move = 'M';
				continue;
			}
			strbuf_addf(out, "%c%.1f %.1f", move, axis_pixel(&p.x, (double)pos[i]),
				    axis_pixel(&p.y, v));
			move = 'L';
		}
		strbuf_addstr(out, "\"/>\n");
		for (size_t i = 0; i < r->ninputs; i++) {
			double v = trend_value(&r->inputs[i], t);
			if (line[i] == l && isfinite(v))
				strbuf_addf(out, "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
					    axis_pixel(&p.x, (double)pos[i]), axis_pixel(&p.y, v), colour);
		}
	}
	strbuf_addstr(out, "</svg>\n<figcaption>");
	add_escaped(out, trend_titles[t]);
	if (nlines > 1) {
		/* The lines' colours, as a legend under the chart. */
		for (size_t l = 0; l < nlines; l++) {
			const char *name = input_name(&r->inputs[first[l]]);
			char *folder = xstrndup(name, folder_len(&r->inputs[first[l]]));
			strbuf_addf(out, " <span class=\"swatch\" style=\"background:%s\"></span>",
				    palette[l % NPALETTE]);
			add_escaped(out, folder);
			free(folder);
		}
	}
	strbuf_addstr(out, "</figcaption>\n</figure>\n");
	free(line);
}

/* --- Representation ----------------------------------------------------- */

/* A share as a number and a bar of its width (share of the widest,
 * `top`), in one cell. */
static void share_cell(struct strbuf *out, double share, double top, const char *cls)
{
	strbuf_addstr(out, "<td class=\"share\">");
	add_number(out, 100 * share, 1);
	strbuf_addf(out, "%%<span class=\"bar %s\" style=\"width:%.0fpx\"></span></td>", cls,
		    top > 0 && isfinite(share) ? 120 * share / top : 0);
}

/* The section of one input's groups against the shares wanted. */
static void representation_section(struct strbuf *out, const struct report_input *in)
{
	const struct representation *r = in->representation;
	strbuf_addstr(out, "<h2>Representation of ");
	add_escaped(out, input_name(in));
	strbuf_addstr(out, " by ");
	add_escaped(out, r->by);
	strbuf_addstr(out, "</h2>\n<p class=\"representation-summary\">Shares of records against the ");
	add_escaped(out, r->against);
	strbuf_addstr(out, " ");
	add_escaped(out, r->file);
	strbuf_addstr(out, ": total variation ");
	add_number(out, r->total_variation, 4);
	strbuf_addstr(out, ", Jensen-Shannon divergence ");
	add_number(out, r->js_divergence, 4);
	strbuf_addf(out, " bits; %zu group%s flagged (missing, or under ", r->nflagged,
		    r->nflagged == 1 ? "" : "s");
	add_number(out, r->under, 2);
	strbuf_addstr(out, " of the share wanted)");
	for (size_t i = 0, k = 0; i < r->n; i++) {
		const struct representation_group *g = &r->groups[i];
		if (g->flag != REPR_UNDER && g->flag != REPR_MISSING)
			continue;
		strbuf_addstr(out, k++ ? ", " : ": ");
		strbuf_addstr(out, "<b>");
		add_escaped(out, g->label);
		strbuf_addstr(out, "</b>");
	}
	strbuf_addstr(out, ".</p>\n");
	double top = 0;
	for (size_t i = 0; i < r->n; i++)
		top = fmax(top, fmax(r->groups[i].share, r->groups[i].wanted));
	strbuf_addstr(out, "<div class=\"wide\">\n<table class=\"representation\">\n<thead><tr>"
		      "<th>group</th><th>records</th><th class=\"share\">share</th>"
		      "<th class=\"share\">wanted</th><th>ratio</th>"
		      "<th>flag</th>");
	if (r->diversity)
		strbuf_addstr(out, "<th>vocab_kept</th><th>distinct-2</th><th>distinct-2<br>reference</th>"
			      "<th>perplexity p50</th><th>perplexity p50<br>reference</th>");
	strbuf_addstr(out, "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct representation_group *g = &r->groups[i];
		const char *flag = representation_flag_name(g->flag);
		strbuf_addf(out, "<tr class=\"flag-%s\"><td class=\"name\">", flag);
		add_escaped(out, g->label);
		strbuf_addf(out, "</td><td>%" PRIu64 "</td>", g->records);
		share_cell(out, g->share, top, "have");
		share_cell(out, g->wanted, top, "want");
		add_cell(out, g->ratio, 2);
		strbuf_addf(out, "<td class=\"flag\">%s</td>", g->flag == REPR_OK ? "" : flag);
		if (r->diversity) {
			add_cell(out, g->vocab_kept, 4);
			add_cell(out, g->distinct_2, 4);
			add_cell(out, g->distinct_2_reference, 4);
			add_cell(out, g->perplexity_p50, 1);
			add_cell(out, g->perplexity_p50_reference, 1);
		}
		strbuf_addstr(out, "</tr>\n");
	}
	strbuf_addstr(out, "</tbody>\n</table>\n</div>\n");
}

static const char style[] =
	"body{font:14px/1.4 sans-serif;color:#212529;background:#fff;margin:24px}\n"
	"h1{font-size:20px}h2{font-size:16px;margin-top:28px}\n"
	"table{border-collapse:collapse;font-size:12px}\n"
	".wide{overflow-x:auto}\n"
	"th,td{padding:2px 5px;border-bottom:1px solid #dee2e6;text-align:right}\n"
	"th,td{white-space:nowrap}th{vertical-align:bottom}th.group{text-align:center}\n"
	"th:first-child,td.name{text-align:left}\n"
	"td{font-variant-numeric:tabular-nums}\n"
	"tr.reference td{background:#f1f3f5}\n"
	".tag{font-size:11px;color:#495057}\n"
	".swatch{display:inline-block;width:10px;height:10px;margin-right:6px}\n"
	".swatch.dashed{background:transparent;border-top:2px dashed " REFERENCE_COLOUR ";height:0;"
	"vertical-align:middle}\n"
	".legend{list-style:none;padding:0;margin:4px 0 0 64px;display:flex;flex-wrap:wrap;gap:4px 18px}\n"
	"svg{display:block}\n"
	"svg text{font:11px sans-serif;fill:#495057}\n"
	"svg text.title{font-size:12px;fill:#212529}\n"
	".grid{stroke:#e9ecef}\n"
	".frame{fill:none;stroke:#adb5bd}\n"
	".series{fill:none;stroke-width:2;stroke-linejoin:round}\n"
	".note{font-size:12px;color:#495057;margin-left:64px}\n"
	".trends{display:flex;flex-wrap:wrap;gap:8px 24px}\n"
	"figure.trend{margin:0}\n"
	"figcaption{text-align:center;font-size:12px}\n"
	"td.share,th.share{text-align:left}\n"
	".bar{display:inline-block;height:9px;margin-left:6px;vertical-align:middle}\n"
	".bar.have{background:#1c64c8}.bar.want{background:#adb5bd}\n"
	"tr.flag-under td{background:#fff3bf}tr.flag-missing td{background:#ffc9c9}\n"
	"td.flag{font-weight:bold;text-align:left}\n";

/* --tokenizer: a row of the tokens table, for in (the reference when
 * colour is NULL); an input counted without tokens has dashes. */
static void tokens_row(struct strbuf *out, const struct report_input *in, const char *colour)
{
	if (colour)
		strbuf_addf(out, "<tr><td class=\"name\"><span class=\"swatch\" style=\"background:%s\"></span>",
			    colour);
	else
		strbuf_addstr(out, "<tr class=\"reference\"><td class=\"name\"><span class=\"swatch dashed\"></span>");
	add_escaped(out, input_name(in));
	if (!colour)
		strbuf_addstr(out, " <span class=\"tag\">reference</span>");
	strbuf_addstr(out, "</td>");
	const struct stats_figures *f = in->figures;
	if (!f->tokenizer) {
		for (int i = 0; i < 9; i++)
			add_cell(out, NAN, 0);
		strbuf_addstr(out, "</tr>\n");
		return;
	}
	const struct stats_lengths *l = &f->token_length;
	strbuf_addf(out, "<td>%" PRIu64 "</td>", f->tokens);
	add_cell(out, f->tokens_per_word, 3);
	add_cell(out, l->mean, 1);
	strbuf_addf(out, "<td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64
		    "</td><td>%" PRIu64 "</td>", l->min, l->p50, l->p90, l->p99, l->max);
	add_cell(out, in->comparison->token_length_ks, 4);
	strbuf_addstr(out, "</tr>\n");
}

/* Under --tokenizer: the tokens of each input and the reference, and
 * how their lengths in tokens compare; nothing when no input has them. */
static void tokens_table(struct strbuf *out, const struct report *r)
{
	const char *tokenizer = r->reference ? r->reference->figures->tokenizer : NULL;
	for (size_t i = 0; i < r->ninputs && !tokenizer; i++)
		tokenizer = r->inputs[i].figures->tokenizer;
	if (!tokenizer)
		return;
	strbuf_addstr(out, "<h2>Tokens</h2>\n<p class=\"note\">Counted by ");
	add_escaped(out, tokenizer);
	strbuf_addstr(out, ".</p>\n<div class=\"wide\">\n<table class=\"summary\" id=\"tokens\">\n<thead>\n<tr>"
		      "<th rowspan=\"2\">input</th><th rowspan=\"2\">tokens</th>"
		      "<th rowspan=\"2\">tokens<br>per word</th>"
		      "<th colspan=\"6\" class=\"group\">tokens per record</th>"
		      "<th rowspan=\"2\">token_length_ks</th></tr>\n"
		      "<tr><th>mean</th><th>min</th><th>p50</th><th>p90</th><th>p99</th><th>max</th></tr>\n"
		      "</thead>\n<tbody>\n");
	if (r->reference)
		tokens_row(out, r->reference, NULL);
	for (size_t i = 0; i < r->ninputs; i++)
		tokens_row(out, &r->inputs[i], input_colour(i));
	strbuf_addstr(out, "</tbody>\n</table>\n</div>\n");
}

void report_html(const struct report *r, struct strbuf *out)
{
	const char *title = r->title ? r->title : "synth-stats report";
	strbuf_addstr(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
	add_escaped(out, title);
	strbuf_addf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", style);
	add_escaped(out, title);
	strbuf_addstr(out, "</h1>\n<h2>Summary</h2>\n");
	summary_table(out, r);
	tokens_table(out, r);
	for (size_t i = 0; i < r->ninputs; i++)
		if (r->inputs[i].representation)
			representation_section(out, &r->inputs[i]);
	strbuf_addstr(out, "<h2>Record lengths</h2>\n");
	length_plot(out, r);
	strbuf_addstr(out, "<h2>Rank and frequency of words</h2>\n");
	rank_plot(out, r);
	if (r->ninputs >= 2) {
		strbuf_addstr(out, "<h2>Across the inputs</h2>\n<div class=\"trends\">\n");
		for (int t = 0; t < NTRENDS; t++)
			trend_chart(out, r, (enum trend)t);
		strbuf_addstr(out, "</div>\n");
	}
	strbuf_addstr(out, "</body>\n</html>\n");
}
