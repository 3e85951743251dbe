/* test-report-html.c: the HTML report of synth-stats --html, on its text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report-fixture.h"
#include "report_html.h"
#include "strbuf.h"
#include "unit.h"

/* How many times needle occurs in s[0..n). */
static size_t count_in(const char *s, size_t n, const char *needle)
{
	size_t k = 0, len = strlen(needle);
	for (const char *p = s; (p = memmem(p, n - (size_t)(p - s), needle, len)); p += len)
		k++;
	return k;
}

/* The SVG element with the given id in doc: *n bytes from the returned
 * start to its closing tag, or NULL when there is none. */
static const char *svg_section(const char *doc, const char *id, size_t *n)
{
	char open[96];
	snprintf(open, sizeof(open), "<svg id=\"%s\"", id);
	const char *start = strstr(doc, open);
	const char *end = start ? strstr(start, "</svg>") : NULL;
	if (!end)
		return NULL;
	*n = (size_t)(end - start);
	return start;
}

/* The plot `id` of doc holds exactly one series for each of names[0..k)
 * (HTML-escaped) and none besides. */
static void check_series(const char *doc, const char *id, const char *const *names, size_t k)
{
	size_t n = 0;
	const char *s = svg_section(doc, id, &n);
	if (!ok(s != NULL, "%s: the plot is there", id))
		return;
	size_t got = count_in(s, n, "class=\"series\"");
	if (!ok(got == k, "%s: %zu series", id, k))
		printf("#   got %zu\n", got);
	for (size_t i = 0; i < k; i++) {
		char attr[160];
		snprintf(attr, sizeof(attr), "class=\"series\" data-name=\"%s\"", names[i]);
		ok(count_in(s, n, attr) == 1, "%s: one series named %s", id, names[i]);
	}
}

/* The text of the table row that holds marker. */
static void row_of(const char *doc, const char *marker, const char **row, size_t *n)
{
	const char *m = strstr(doc, marker);
	*row = NULL;
	*n = 0;
	if (!m)
		return;
	const char *end = strstr(m, "</tr>");
	*row = m;
	*n = end ? (size_t)(end - m) : strlen(m);
}

static void render(const struct report *r, struct strbuf *out)
{
	strbuf_reset(out);
	report_html(r, out);
}

static const char *const fixture_names[] = {
	"gen-1.jsonl", FIXTURE_ODD_ESCAPED, "gen-3.jsonl", "reference",
};

static void test_document(void)
{
	struct report r = report_fixture();
	struct strbuf out = STRBUF_INIT;
	render(&r, &out);
	ok(!strncmp(out.buf, "<!DOCTYPE html>\n", 16), "starts with the doctype");
	ok(out.len >= 8 && !strcmp(out.buf + out.len - 8, "</html>\n"), "ends with </html>");
	ok(!strcasestr(out.buf, "<script"), "no script");
	ok(!strcasestr(out.buf, "http"), "no http");
	ok(!strstr(out.buf, "//"), "no // of an address without scheme");
	ok(!strcasestr(out.buf, "url(") && !strcasestr(out.buf, "@import"), "no url() or @import in the CSS");
	ok(!strcasestr(out.buf, "src=") && !strcasestr(out.buf, "href="), "no src= or href=");
	ok(count_in(out.buf, out.len, "<svg ") == count_in(out.buf, out.len, "</svg>"),
	   "every svg is closed");
	ok(count_in(out.buf, out.len, "<svg ") == 6, "six plots: lengths, ranks and four trends");
	strbuf_release(&out);
}

static void test_series(void)
{
	struct report r = report_fixture();
	struct strbuf out = STRBUF_INIT;
	render(&r, &out);
	check_series(out.buf, "lengths", fixture_names, 4);
	check_series(out.buf, "rank-frequency", fixture_names, 4);

	/* Without a reference, the inputs alone. */
	r.reference = NULL;
	render(&r, &out);
	check_series(out.buf, "lengths", fixture_names, 3);
	check_series(out.buf, "rank-frequency", fixture_names, 3);
	ok(!strstr(out.buf, "class=\"reference\""), "no reference row without a reference");

	/* An input with no points still has its (empty) series. */
	struct report_input in[FIXTURE_INPUTS];
	memcpy(in, report_fixture().inputs, sizeof(in));
	in[2].lengths.n = 0;
	in[2].rank_freq.n = 0;
	r = report_fixture();
	r.inputs = in;
	render(&r, &out);
	check_series(out.buf, "lengths", fixture_names, 4);
	check_series(out.buf, "rank-frequency", fixture_names, 4);
	ok(strstr(out.buf, "data-name=\"gen-3.jsonl\" stroke=\"#2f9e44\" d=\"\"") != NULL,
	   "an empty series draws nothing");
	strbuf_release(&out);
}

static void test_trends(void)
{
	static const char *const trends[] = { "distinct_2", "vocab_kept", "unseen_mass", "perplexity_p50" };
	struct report r = report_fixture();
	struct strbuf out = STRBUF_INIT;
	render(&r, &out);
	for (size_t t = 0; t < 4; t++) {
		char id[64];
		snprintf(id, sizeof(id), "trend-%s", trends[t]);
		check_series(out.buf, id, &trends[t], 1);
	}
	ok(count_in(out.buf, out.len, "class=\"reference-line\"") == 2,
	   "the reference's value where it has one: distinct-2 and perplexity");

	r.ninputs = 1;
	render(&r, &out);
	ok(!strstr(out.buf, "trend-"), "no trend with one input");
	ok(!strstr(out.buf, "Across the inputs"), "no trend section with one input");

	/* A figure that no input has is left out. */
	struct report_input in[2];
	memcpy(in, report_fixture().inputs, sizeof(in));
	for (size_t i = 0; i < 2; i++)
		in[i].perplexity[0] = in[i].perplexity[1] = in[i].perplexity[2] = NAN;
	r = report_fixture();
	r.inputs = in;
	r.ninputs = 2;
	render(&r, &out);
	ok(strstr(out.buf, "<svg id=\"trend-distinct_2\"") && strstr(out.buf, "<svg id=\"trend-vocab_kept\"") &&
	   strstr(out.buf, "<svg id=\"trend-unseen_mass\""), "three trends with two inputs");
	ok(!strstr(out.buf, "trend-perplexity_p50"), "no perplexity trend when every input lacks it");

	/* Inputs in two folders (two regimes of generations): a line each,
	 * named by its folder, x the place within it. */
	struct report_input four[4];
	const struct report_input *base = report_fixture().inputs;
	const char *names[4] = { "a/gen-0.jsonl", "a/gen-1.jsonl", "b/gen-0.jsonl", "b/gen-1.jsonl" };
	for (size_t i = 0; i < 4; i++) {
		four[i] = base[i % 2];
		four[i].name = names[i];
	}
	r = report_fixture();
	r.inputs = four;
	r.ninputs = 4;
	render(&r, &out);
	static const char *const folders[] = { "a", "b" };
	check_series(out.buf, "trend-vocab_kept", folders, 2);
	size_t n;
	const char *svg = svg_section(out.buf, "trend-vocab_kept", &n);
	ok(svg && count_in(svg, n, "class=\"point\"") == 4, "four points, two a line");
	/* Both lines start at the same x: the first place of their folder. */
	const char *d1 = svg ? strstr(svg, "data-name=\"a\"") : NULL;
	const char *d2 = svg ? strstr(svg, "data-name=\"b\"") : NULL;
	double x1 = -1, x2 = -2;
	if (d1 && d2 && strstr(d1, " d=\"M") && strstr(d2, " d=\"M")) {
		x1 = strtod(strstr(d1, " d=\"M") + 5, NULL);
		x2 = strtod(strstr(d2, " d=\"M") + 5, NULL);
	}
	ok(x1 == x2, "each folder's line starts at the first place (%g, %g)", x1, x2);
	ok(strstr(out.buf, "<span class=\"swatch\" style=\"background:#e8590c\"></span>b</figcaption>") != NULL,
	   "the chart's legend names the folders in their colours");
	strbuf_release(&out);
}

static void test_escaping(void)
{
	struct report r = report_fixture();
	struct strbuf out = STRBUF_INIT;
	render(&r, &out);
	ok(!strstr(out.buf, "<2>") && !strstr(out.buf, "\"b\"") && !strstr(out.buf, "'c'"),
	   "the odd name never appears raw");
	ok(count_in(out.buf, out.len, ">" FIXTURE_ODD_ESCAPED) >= 3,
	   "the odd name escaped in the table and the legends");
	ok(strstr(out.buf, "data-name=\"" FIXTURE_ODD_ESCAPED "\"") != NULL, "and in data-name");

	r.title = "a <b> & c";
	render(&r, &out);
	ok(strstr(out.buf, "<title>a &lt;b&gt; &amp; c</title>") != NULL, "the title escaped");
	strbuf_release(&out);
}

static void test_numbers(void)
{
	struct report r = report_fixture();
	struct strbuf out = STRBUF_INIT;
	render(&r, &out);
	const char *row;
	size_t n;
	row_of(out.buf, "<tr class=\"reference\">", &row, &n);
	ok(row && count_in(row, n, "<td>&ndash;</td>") == 5, "the reference's five comparisons are dashes");
	ok(row && count_in(row, n, "<td>5000</td>") == 1 && count_in(row, n, "<td>170000</td>") == 1,
	   "the reference's counts");
	ok(row && count_in(row, n, "<td>34.0</td><td>9000</td><td>0.6800</td><td>10.400</td>") == 1,
	   "mean length, vocabulary, distinct-2, entropy-1 of the reference");
	row_of(out.buf, "gen-3.jsonl</td>", &row, &n);
	ok(row && count_in(row, n, "<td>9.5</td><td>17.3</td><td>&infin;</td>") == 1,
	   "perplexities, an infinite one as the sign");
	ok(!strcasestr(out.buf, "nan<") && !strcasestr(out.buf, "inf<"), "no nan or inf from printf");
	strbuf_release(&out);
}

int main(void)
{
	test_document();
	test_series();
	test_trends();
	test_escaping();
	test_numbers();
	return done_testing();
}
