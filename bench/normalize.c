/* normalize: NFKC and case folding alone, for benchmarks.
 *
 * normalize [--utf8proc] [--passes N] FILE: the texts of FILE's records
 * (member "text", decoded) are read into memory first; then each is
 * normalised N times (3 by default), by lib/text's text_normalize() or,
 * with --utf8proc, by utf8proc_map() with the same options (the peer:
 * what the programs used before their own tables). Prints the rate over
 * the texts' bytes, the best pass, and a hash of the normalised texts, the
 * same for both when they agree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "alloc.h"
#include "diag.h"
#include "hash.h"
#include "input.h"
#include "json.h"
#include "number.h"
#include "strbuf.h"
#include "text.h"

static const utf8proc_option_t FOLD =
	UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD;

/* The texts, back to back, and where each ends. */
struct texts {
	struct strbuf all;
	size_t *end, n, cap;
};

static void read_texts(const char *path, struct texts *t)
{
	struct input in;
	struct block b;
	memset(&b, 0, sizeof(b));
	if (input_open(&in, path) < 0)
		exit(1);
	struct strbuf text = STRBUF_INIT;
	int r;
	while ((r = input_read_block(&in, &b, 1 << 20)) > 0) {
		struct block_cursor c;
		struct line l;
		block_cursor_init(&c, &b);
		while (block_next_line(&b, &c, &l)) {
			struct json_value v;
			if (!json_get(l.p, l.len, "text", &v) || v.type != JSON_STRING)
				continue;
			strbuf_reset(&text);
			json_decode_string(&v, &text);
			strbuf_add(&t->all, text.buf, text.len);
			if (t->n == t->cap) {
				t->cap = grow_capacity(t->cap, t->n + 1, 1024);
				t->end = xreallocarray(t->end, t->cap, sizeof(*t->end));
			}
			t->end[t->n++] = t->all.len;
		}
	}
	if (r < 0)
		exit(1);
	input_close(&in);
	block_release(&b);
	strbuf_release(&text);
}

int main(int argc, char **argv)
{
	diag_init("normalize");
	int peer = 0;
	uint64_t passes = 3;
	const char *path = NULL;
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--utf8proc"))
			peer = 1;
		else if (!strcmp(argv[i], "--passes") && i + 1 < argc)
			bad |= parse_u64(argv[++i], 1, 1000, &passes) < 0;
		else
			path = argv[i];
	}
	if (!path || bad) {
		fprintf(stderr, "usage: normalize [--utf8proc] [--passes N] FILE\n");
		return 2;
	}
	struct texts t = { STRBUF_INIT, NULL, 0, 0 };
	read_texts(path, &t);
	struct strbuf out = STRBUF_INIT;
	double best = 0;
	uint64_t sum = 0;
	for (uint64_t p = 0; p < passes; p++) {
		double start = now_seconds();
		sum = 0;
		for (size_t i = 0, from = 0; i < t.n; from = t.end[i++]) {
			const char *s = t.all.buf + from;
			size_t n = t.end[i] - from;
			if (peer) {
				utf8proc_uint8_t *o = NULL;
				utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)s,
								  (utf8proc_ssize_t)n, &o, FOLD);
				if (k < 0)
					die("%s: text %zu: %s", path, i + 1, utf8proc_errmsg(k));
				sum ^= hash64(o, (size_t)k, i);
				free(o);
			} else {
				strbuf_reset(&out);
				text_normalize(s, n, &out);
				sum ^= hash64(out.buf, out.len, i);
			}
		}
		double secs = now_seconds() - start;
		if (!p || secs < best)
			best = secs;
	}
	printf("%.0f MB/s %016llx\n", best > 0 ? (double)t.all.len / 1e6 / best : 0.0,
	       (unsigned long long)sum);
	strbuf_release(&out);
	strbuf_release(&t.all);
	free(t.end);
	return 0;
}
