/* test-representation.c: the groups of --by against the shares wanted
 * (lib/representation.c), their vocabularies (lib/group_detail.c), and
 * the review page's choices and escaping (lib/review.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "group_detail.h"
#include "representation.h"
#include "review.h"
#include "strbuf.h"
#include "unit.h"

static void test_fields(void)
{
	struct by_fields f;
	struct strbuf err = STRBUF_INIT;
	ok(by_fields_parse(&f, "persona,meta.topic", &err) == 0 && f.n == 2 &&
	   !strcmp(f.paths[1], "meta.topic"), "two fields, dotted paths kept");
	by_fields_release(&f);
	ok(by_fields_parse(&f, "a,,b", &err) < 0 && !strcmp(err.buf, "an empty field name"),
	   "an empty field is refused");
	strbuf_reset(&err);
	ok(by_fields_parse(&f, "a,b,c,d,e,f,g,h,i", &err) < 0, "nine fields are refused");
	strbuf_release(&err);

	/* The key of a record, and its label. */
	struct strbuf key = STRBUF_INIT, scratch = STRBUF_INIT, label = STRBUF_INIT;
	const char *line = "{\"p\":\"t\\u0065acher\",\"n\":3,\"q\":\"a|b\"}";
	by_fields_parse(&f, "p,n,missing,q", &err);
	by_fields_key(&f, line, strlen(line), &key, &scratch);
	is_str(key.buf, "r[\"teacher\",3,null,\"a|b\"]", "a crossed key: decoded strings, null for a missing member");
	stats_group_label(STATS_VALUE_JSON, key.buf + 1, key.len - 1, 1, &label);
	is_str(label.buf, "teacher|3|null|a|b", "its label joins the values' labels");
	by_fields_release(&f);
	strbuf_reset(&label);
	stats_group_label(STATS_VALUE_MISSING, "", 0, 0, &label);
	is_str(label.buf, "null", "a missing member is labelled null");
	strbuf_release(&key);
	strbuf_release(&scratch);
	strbuf_release(&label);
}

/* Figures with groups of the given values and records. */
static void figures(struct stats_figures *f, const char *const *values, const uint64_t *records,
		    size_t n)
{
	stats_figures_init(f);
	f->by = strdup("p");
	f->groups = calloc(n, sizeof(*f->groups));
	f->ngroups = n;
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += records[i];
	for (size_t i = 0; i < n; i++) {
		f->groups[i].kind = STATS_VALUE_STRING;
		f->groups[i].value = strdup(values[i]);
		f->groups[i].value_len = strlen(values[i]);
		f->groups[i].records = records[i];
		f->groups[i].share = (double)records[i] / (double)total;
	}
}

static void test_compute(void)
{
	static const char *const in_values[] = { "a", "b", "x" };
	static const uint64_t in_records[] = { 6, 3, 1 };
	static const char *const ref_values[] = { "a", "b", "c" };
	static const uint64_t ref_records[] = { 2, 4, 4 };
	struct stats_figures in, ref;
	figures(&in, in_values, in_records, 3);
	figures(&ref, ref_values, ref_records, 3);
	struct representation r;
	representation_compute(&r, &in, &ref, NULL, "ref.jsonl", 0.5);
	ok(r.n == 4, "the union of the groups");
	/* Wanted .4 .4 .2 0: b (share .3) before c (0), then a, then x. */
	is_str(r.groups[0].label, "b", "the largest share wanted first, then the input's share");
	is_str(r.groups[1].label, "c", "c second");
	is_str(r.groups[2].label, "a", "a third");
	is_str(r.groups[3].label, "x", "the extra group last");
	ok(r.groups[1].flag == REPR_MISSING && r.groups[1].records == 0, "c is missing");
	ok(r.groups[0].flag == REPR_OK && fabs(r.groups[0].ratio - 0.75) < 1e-12, "b: .3 of .4");
	ok(r.groups[3].flag == REPR_EXTRA && isnan(r.groups[3].ratio), "x is extra, no ratio");
	ok(r.nflagged == 1, "one flagged");
	/* |.6-.2| + |.3-.4| + |0-.4| + |.1-0| = 1.0, halved. */
	ok(fabs(r.total_variation - 0.5) < 1e-12, "total variation %g", r.total_variation);
	ok(r.js_divergence > 0 && r.js_divergence < 1 && r.diversity, "JS in (0, 1); diversity applies");
	representation_release(&r);
	representation_compute(&r, &in, &in, NULL, "in.jsonl", 0.5);
	ok(r.total_variation == 0 && r.js_divergence == 0 && r.nflagged == 0, "a corpus against itself");
	representation_release(&r);
	/* --under 0.8 flags b at 0.75. */
	representation_compute(&r, &in, &ref, NULL, "ref.jsonl", 0.8);
	ok(r.groups[0].flag == REPR_UNDER && r.nflagged == 2, "under 0.8: b is under");
	representation_release(&r);
	stats_figures_release(&in);
	stats_figures_release(&ref);
}

static void test_vocab(void)
{
	struct group_details a, b;
	group_details_init(&a);
	group_details_init(&b);
	group_details_add(&a, "sx", 2, "one two three four", 18, 1);
	group_details_add(&b, "sx", 2, "two four five", 13, 2);
	const struct group_detail *ga = group_details_find(&a, "sx", 2), *gb = group_details_find(&b, "sx", 2);
	ok(fabs(group_vocab_kept(gb, ga) - 0.5) < 1e-12, "two of four words kept");
	ok(group_vocab_kept(NULL, ga) == 0, "a group without records keeps nothing");
	ok(isnan(group_vocab_kept(ga, NULL)), "no reference group: NaN");
	ok(group_details_find(&a, "sy", 2) == NULL, "no such group");
	group_details_release(&a);
	group_details_release(&b);
}

/* The ids the page shows, in order, joined by spaces. */
static void page_ids(const char *page, struct strbuf *out)
{
	const char *open = "<span class=\"id\">";
	for (const char *p = page; (p = strstr(p, open)); ) {
		p += strlen(open);
		const char *end = strchr(p, '<');
		strbuf_addf(out, "%s%.*s", out->len ? " " : "", (int)(end - p), p);
	}
}

static void test_review(void)
{
	/* Twenty records offered to one state, or split over two and
	 * merged, in another order: the same page. */
	struct review_state one, two, three;
	review_state_init(&one, 3, 7);
	review_state_init(&two, 3, 7);
	review_state_init(&three, 3, 7);
	char line[64];
	for (int i = 0; i < 20; i++) {
		int n = snprintf(line, sizeof(line), "{\"id\":\"r%d\",\"text\":\"t %d\"}", i, i);
		review_add(&one, "", 0, line, (size_t)n, "f", (uint64_t)i + 1, (double)(i % 7));
	}
	for (int i = 19; i >= 0; i--) {
		int n = snprintf(line, sizeof(line), "{\"id\":\"r%d\",\"text\":\"t %d\"}", i, i);
		review_add(i % 2 ? &two : &three, "", 0, line, (size_t)n, "f", (uint64_t)i + 1,
			   (double)(i % 7));
	}
	review_state_merge(&two, &three);
	struct review_page page = { .inputs = "f", .field = "text", .id_field = "id",
				    .signal = "v", .k = 3, .seed = 7 };
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, ids = STRBUF_INIT;
	review_html(&page, &one, &a);
	review_html(&page, &two, &b);
	is_mem(a.buf, a.len, b.buf, b.len, "the same page however the records were split");
	page_ids(a.buf, &ids);
	/* Values i % 7: the lowest 0 (r0, r7, r14), the highest 6 (r6, r13). */
	const char *low = strstr(a.buf, "id=\"lowest\"");
	ok(low && strstr(ids.buf, "r0") && strstr(ids.buf, "r13"), "the extremes are shown: %s", ids.buf);
	review_state_release(&one);
	review_state_release(&two);
	review_state_release(&three);

	/* Hostile text is escaped; bytes that are not UTF-8 and control
	 * characters are shown visibly. */
	struct review_state s;
	review_state_init(&s, 5, 0);
	const char *hostile = "{\"id\":\"<i>\",\"text\":\"</pre><script>x</script>\\u0001\"}";
	review_add(&s, "", 0, hostile, strlen(hostile), "bad\xff\xfe.jsonl", 3, NAN);
	strbuf_reset(&a);
	page.inputs = "bad\xff.jsonl";
	page.signal = NULL;
	review_html(&page, &s, &a);
	ok(!strstr(a.buf, "<script") && !strstr(a.buf, "<i>"), "no markup from the record");
	ok(strstr(a.buf, "&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;\xe2\x90\x81") != NULL,
	   "the text escaped, U+0001 as its picture");
	ok(strstr(a.buf, "bad\xef\xbf\xbd\xef\xbf\xbd.jsonl:3") != NULL, "each invalid byte is U+FFFD");
	ok(strstr(a.buf, "<span class=\"id\">&lt;i&gt;</span>") != NULL, "the id escaped");
	review_state_release(&s);
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&ids);
}

int main(void)
{
	test_fields();
	test_compute();
	test_vocab();
	test_review();
	printf("1..%d\n", unit_count);
	return unit_failures != 0;
}
