/* report-fixture.h: the report of the HTML tests: a reference and three
 * generations drifting from it. test-report-html.c checks its text, and
 * tests/report-fixture.c writes it for the render test (report.bats).
 */
#ifndef SYNTH_REPORT_FIXTURE_H
#define SYNTH_REPORT_FIXTURE_H

#include <math.h>

#include "report_html.h"

#define FIXTURE_INPUTS 3
#define FIXTURE_LENGTHS 80
#define FIXTURE_RANKS 40

/* A name with every character that HTML escapes, and its escaped form. */
#define FIXTURE_ODD_NAME "gen <2> & \"b\" 'c'"
#define FIXTURE_ODD_ESCAPED "gen &lt;2&gt; &amp; &quot;b&quot; &#39;c&#39;"

/* The fixture; its arrays are static, so the report stays valid and
 * every call gives the same one. inputs[FIXTURE_INPUTS] is the
 * reference. Generation g has shorter texts, a narrower spread of
 * lengths and a steeper Zipf slope than the one before: the collapse
 * that the report is there to show. */
static inline struct report report_fixture(void)
{
	static double len_x[FIXTURE_LENGTHS], len_y[FIXTURE_INPUTS + 1][FIXTURE_LENGTHS];
	static double rank_x[FIXTURE_RANKS], rank_y[FIXTURE_INPUTS + 1][FIXTURE_RANKS];
	/* records, words, vocabulary, mean length, distinct-2, entropy-1 */
	static struct stats_figures fig[FIXTURE_INPUTS + 1] = {
		{ .records = 1000, .words = 30000, .vocabulary = 4000, .length.mean = 30.0,
		  .distinct[2] = 0.61, .entropy_1 = 9.8 },
		{ .records = 1000, .words = 26000, .vocabulary = 3100, .length.mean = 26.0,
		  .distinct[2] = 0.52, .entropy_1 = 9.1 },
		{ .records = 1000, .words = 21000, .vocabulary = 2200, .length.mean = 21.0,
		  .distinct[2] = 0.40, .entropy_1 = 8.2 },
		{ .records = 5000, .words = 170000, .vocabulary = 9000, .length.mean = 34.0,
		  .distinct[2] = 0.68, .entropy_1 = 10.4 },
	};
	/* vocab_kept, rare_kept, unseen_mass, js_divergence, length_ks */
	static struct stats_comparison cmp[FIXTURE_INPUTS + 1] = {
		{ .vocab_kept = 0.92, .rare_kept = 0.55, .unseen_mass = 0.04,
		  .js_divergence = 0.012, .length_ks = 0.08 },
		{ .vocab_kept = 0.81, .rare_kept = 0.38, .unseen_mass = 0.09,
		  .js_divergence = 0.031, .length_ks = 0.17 },
		{ .vocab_kept = 0.66, .rare_kept = 0.21, .unseen_mass = 0.17,
		  .js_divergence = 0.074, .length_ks = 0.29 },
		{ .vocab_kept = NAN, .rare_kept = NAN, .unseen_mass = NAN,
		  .js_divergence = NAN, .length_ks = NAN },
	};
	static struct report_input in[FIXTURE_INPUTS + 1] = {
		{ "gen-1.jsonl", &fig[0], &cmp[0], { 18.5, 31.0, 55.2 }, { 0 }, { 0 }, NULL },
		{ FIXTURE_ODD_NAME, &fig[1], &cmp[1], { 14.0, 24.5, 41.0 }, { 0 }, { 0 }, NULL },
		{ "gen-3.jsonl", &fig[2], &cmp[2], { 9.5, 17.3, INFINITY }, { 0 }, { 0 }, NULL },
		{ "ref.jsonl", &fig[3], &cmp[3], { 20.0, 35.0, 60.0 }, { 0 }, { 0 }, NULL },
	};
	for (int i = 0; i < FIXTURE_LENGTHS; i++)
		len_x[i] = i;
	/* Ranks 1 to 10, then log-spaced to 1000. */
	for (int i = 0; i < FIXTURE_RANKS; i++)
		rank_x[i] = i < 10 ? i + 1 : round(10 * pow(100, (i - 9) / 30.0));
	for (int g = 0; g <= FIXTURE_INPUTS; g++) {
		int ref = g == FIXTURE_INPUTS;
		double mean = ref ? 34 : 30 - 4.5 * g, spread = ref ? 12 : 10 - 2 * g;
		double records = ref ? 5000 : 1000, slope = ref ? 1.0 : 1.1 + 0.15 * g;
		for (int i = 0; i < FIXTURE_LENGTHS; i++) {
			double z = (i - mean) / spread;
			len_y[g][i] = round(records / 10 * exp(-z * z / 2));
		}
		for (int i = 0; i < FIXTURE_RANKS; i++)
			rank_y[g][i] = round(records * 4 / pow(rank_x[i], slope)) + 1;
		in[g].lengths = (struct report_series){ len_x, len_y[g], FIXTURE_LENGTHS };
		in[g].rank_freq = (struct report_series){ rank_x, rank_y[g], FIXTURE_RANKS };
	}
	return (struct report){ "synth-stats: fixture", &in[FIXTURE_INPUTS], in, FIXTURE_INPUTS };
}

#endif
