/* stats_render.h: the figures of a corpus, written out for programs
 * (one JSON object) and for people (an aligned table).
 *
 * Both render a stats_figures as it is; neither computes a figure. JSON
 * shows every fraction with six decimals and a figure that is unknown
 * as null; the table shows fewer decimals and leaves unknown figures
 * out.
 */
#ifndef SYNTH_STATS_RENDER_H
#define SYNTH_STATS_RENDER_H

#include "json_writer.h"
#include "stats_figures.h"
#include "strbuf.h"

/* Decimals of every fraction in the JSON output. */
#define STATS_JSON_DECIMALS 6

/* Append the figures to out as one JSON object (no newline). */
void stats_render_json(const struct stats_figures *f, struct strbuf *out);

/* Write the members of that object into the object open in w, for a
 * caller that adds members of its own (synth-stats --reference). */
void stats_render_json_members(const struct stats_figures *f, struct json_writer *w);

/* Append the figures to out as an aligned table for people. */
void stats_render_table(const struct stats_figures *f, struct strbuf *out);

#endif
