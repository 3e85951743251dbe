/* fuzz-stats-state.c: libFuzzer target for the state files of
 * synth-stats --partial (stats_state_parse()), which --merge reads.
 *
 * Each input is read as it is, by a state set up as a plain run sets it
 * up (seed 0, no --by), and resealed (see fuzz-file.h), by a state of
 * the seed and --by field the header names, so that mutated files get
 * past those checks too.
 *
 * A parse either fails, leaving the state empty, or gives a state whose
 * counts are the header's and which reports and merges as --merge uses
 * it: stats_render_json() writes one valid JSON object (top n-grams and
 * groups included), the table for people is written, and the state
 * folds into a second one, under a memory limit that keeps its tables
 * or one that turns them all into sketches, which reports valid JSON
 * too.
 */
#define FUZZ_NAME "fuzz-stats-state"
#include "fuzz-file.h"

#include "corpus_stats.h"
#include "json.h"
#include "stats_figures.h"
#include "stats_render.h"
#include "stats_state.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init();
	return 0;
}

/* Where the header keeps the seed, the length of the --by field's name,
 * the record count and the tokenizer's fingerprint (see the layout in
 * stats_state.c), and where the name starts. */
#define AT_SEED 32
#define AT_RECORDS (32 + 8 * 3)
#define AT_BY (32 + 8 * 23)
#define AT_TOKENIZER_ID (32 + 8 * 29)
#define AT_BY_TEXT (32 + 8 * 31)

#define LIMIT ((size_t)1 << 30)

static void check_json(struct corpus_stats *cs, const char *by, uint64_t tokenizer_id)
{
	struct stats_report r = { .top = 3, .by = by, .invalid = 1, .show_invalid = 1,
				  .tokenizer = tokenizer_id ? "fuzz" : NULL,
				  .tokenizer_id = tokenizer_id };
	struct strbuf out = STRBUF_INIT;
	struct stats_figures f;
	stats_figures_init(&f);
	stats_figures_compute(&f, cs, &r);
	stats_render_json(&f, &out);
	struct json_error jerr;
	CHECK(json_check_record(out.buf, out.len, &jerr) == 0,
	      "stats_render_json writes one JSON object");
	strbuf_reset(&out);
	stats_render_table(&f, &out);
	CHECK(out.len > 0, "stats_render_table writes a table");
	stats_figures_release(&f);
	strbuf_release(&out);
}

static void try_parse(const unsigned char *buf, size_t n, uint64_t seed, const char *by,
		      uint64_t tokenizer_id, size_t merge_limit)
{
	struct corpus_stats cs;
	struct strbuf err = STRBUF_INIT;
	struct stats_report r = { .by = by, .invalid = 5, .input_bytes = 7,
				  .tokenizer = tokenizer_id ? "fuzz" : NULL,
				  .tokenizer_id = tokenizer_id };
	corpus_stats_init(&cs, LIMIT, seed);
	int rc = stats_state_parse(&cs, &r, buf, n, &err);
	CHECK(rc == 0 || rc == -1, "stats_state_parse returns 0 or -1");
	if (rc) {
		CHECK(err.len > 0, "a failure says why");
		CHECK(cs.records == 0 && cs.ngroups == 0 && cs.sample.n == 0 && cs.seed == seed &&
		      cs.memory_limit == LIMIT, "a failed parse leaves the state empty");
		CHECK(r.invalid == 5 && r.input_bytes == 7, "a failed parse leaves the report alone");
		corpus_stats_release(&cs);
		strbuf_release(&err);
		return;
	}
	CHECK(err.len == 0, "a success says nothing");
	CHECK(cs.records == get64(buf + AT_RECORDS), "the records the header says");
	CHECK(by || !cs.ngroups, "groups only with a --by field");
	check_json(&cs, by, tokenizer_id);

	struct corpus_stats all;
	corpus_stats_init(&all, merge_limit, seed);
	uint64_t records = cs.records;
	corpus_stats_merge(&all, &cs);
	CHECK(all.records == records && cs.records == 0, "a merge moves the counts");
	check_json(&all, by, tokenizer_id);
	corpus_stats_release(&all);
	corpus_stats_release(&cs);
	strbuf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Tables kept, or all given up for sketches, by the input's length:
	 * both, on every input the fuzzer grows or shrinks. */
	size_t limit = size & 1 ? 0 : LIMIT;
	try_parse(data, size, 0, NULL, 0, limit);

	/* The header's seed and --by field, for the input resealed or, when
	 * its checksum is right already, as it is. */
	unsigned char *sealed = fuzz_resealed(data, size);
	const unsigned char *buf = sealed ? sealed : data;
	uint64_t seed = size >= AT_SEED + 8 ? get64(buf + AT_SEED) : 0;
	uint64_t by_len = size >= AT_BY + 8 ? get64(buf + AT_BY) : 0;
	uint64_t tokenizer_id = size >= AT_TOKENIZER_ID + 8 ? get64(buf + AT_TOKENIZER_ID) : 0;
	char *by = NULL;
	/* A name the command line could give: the report writes it into a
	 * JSON string whatever the file holds. */
	if (by_len && by_len <= 4096 && AT_BY_TEXT + by_len <= size &&
	    !memchr(buf + AT_BY_TEXT, '\0', by_len) &&
	    utf8_valid((const char *)buf + AT_BY_TEXT, by_len)) {
		by = malloc(by_len + 1);
		CHECK(by != NULL, "allocating");
		memcpy(by, buf + AT_BY_TEXT, by_len);
		by[by_len] = '\0';
	}
	if (sealed || seed || by || tokenizer_id)
		try_parse(buf, size, seed, by, tokenizer_id, LIMIT - limit);
	free(by);
	free(sealed);
	return 0;
}
