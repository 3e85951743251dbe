/* review.c: the review page of synth-stats --review; see review.h. */
#include "review.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "json.h"
#include "representation.h"

/* --- Picks ------------------------------------------------------------ */

static void pick_init(struct review_pick *p, size_t k, enum review_order order)
{
	memset(p, 0, sizeof(*p));
	p->k = k;
	p->order = order;
	p->e = xcalloc(k ? k : 1, sizeof(*p->e));
}

static void pick_release(struct review_pick *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->e[i].line);
		free(p->e[i].file);
	}
	free(p->e);
	memset(p, 0, sizeof(*p));
}

/* Does a come before b in the pick's order? */
static int before(enum review_order order, const struct review_item *a, const struct review_item *b)
{
	if (order != REVIEW_BY_HASH && a->value != b->value)
		return order == REVIEW_LOWEST ? a->value < b->value : a->value > b->value;
	if (a->hash != b->hash)
		return a->hash < b->hash;
	int c = strcmp(a->file, b->file);
	if (c)
		return c < 0;
	return a->lineno < b->lineno;
}

static void find_worst(struct review_pick *p)
{
	p->worst = 0;
	for (size_t i = 1; i < p->n; i++)
		if (before(p->order, &p->e[p->worst], &p->e[i]))
			p->worst = i;
}

/* Offer c (whose line and file are the caller's): kept as a copy when it
 * is among the k first. */
static void pick_offer(struct review_pick *p, const struct review_item *c)
{
	struct review_item *slot;
	if (p->n < p->k) {
		slot = &p->e[p->n++];
	} else {
		if (!p->k || !before(p->order, c, &p->e[p->worst]))
			return;
		slot = &p->e[p->worst];
		free(slot->line);
		free(slot->file);
	}
	*slot = *c;
	slot->line = xstrndup(c->line, c->len);
	slot->file = xstrdup(c->file);
	if (p->n == p->k)
		find_worst(p);
}

static enum review_order sort_order;

static int cmp_items(const void *x, const void *y)
{
	const struct review_item *a = x, *b = y;
	return before(sort_order, a, b) ? -1 : before(sort_order, b, a) ? 1 : 0;
}

static void pick_sort(struct review_pick *p)
{
	sort_order = p->order;
	if (p->n)
		qsort(p->e, p->n, sizeof(*p->e), cmp_items);
	p->worst = p->n ? p->n - 1 : 0;
}

/* --- Groups ----------------------------------------------------------- */

static void groups_init(struct review_groups *t, size_t k)
{
	memset(t, 0, sizeof(*t));
	t->k = k;
}

static void groups_release(struct review_groups *t)
{
	for (size_t i = 0; i < t->groups.cap; i++) {
		struct review_group *g = (struct review_group *)t->groups.slots[i];
		if (g) {
			strtab_key_release(&g->k);
			pick_release(&g->pick);
			free(g);
		}
	}
	strtab_release(&t->groups);
	memset(t, 0, sizeof(*t));
}

static struct review_group *group_get(struct review_groups *t, const char *key, size_t len)
{
	struct strtab_key **slot = strtab_slot(&t->groups, key, len);
	if (!*slot) {
		struct review_group *g = xcalloc(1, sizeof(*g));
		strtab_key_init(&g->k, key, len);
		pick_init(&g->pick, t->k, REVIEW_BY_HASH);
		*slot = &g->k;
		strtab_added(&t->groups);
	}
	return (struct review_group *)*slot;
}

static void groups_merge(struct review_groups *dst, const struct review_groups *src)
{
	for (size_t i = 0; i < src->groups.cap; i++) {
		const struct review_group *s = (const struct review_group *)src->groups.slots[i];
		if (!s)
			continue;
		struct review_group *g = group_get(dst, s->k.key, s->k.keylen);
		g->records += s->records;
		for (size_t j = 0; j < s->pick.n; j++)
			pick_offer(&g->pick, &s->pick.e[j]);
	}
}

static int cmp_groups(const void *x, const void *y)
{
	const struct review_group *a = *(const struct review_group *const *)x;
	const struct review_group *b = *(const struct review_group *const *)y;
	if (a->records != b->records)
		return a->records > b->records ? -1 : 1;
	size_t n = a->k.keylen < b->k.keylen ? a->k.keylen : b->k.keylen;
	int c = memcmp(a->k.key, b->k.key, n);
	return c ? c : (a->k.keylen > b->k.keylen) - (a->k.keylen < b->k.keylen);
}

/* The groups of t, most records first, then by key; their picks sorted. */
static struct review_group **groups_sorted(struct review_groups *t)
{
	struct review_group **v = xcalloc(t->groups.n + 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; i < t->groups.cap; i++)
		if (t->groups.slots[i]) {
			v[k] = (struct review_group *)t->groups.slots[i];
			pick_sort(&v[k++]->pick);
		}
	qsort(v, k, sizeof(*v), cmp_groups);
	return v;
}

/* --- The state --------------------------------------------------------- */

void review_state_init(struct review_state *s, size_t k, uint64_t seed)
{
	memset(s, 0, sizeof(*s));
	s->seed = seed;
	groups_init(&s->groups, k);
	groups_init(&s->rejects, k);
	pick_init(&s->lowest, k, REVIEW_LOWEST);
	pick_init(&s->highest, k, REVIEW_HIGHEST);
	strbuf_init(&s->scratch);
}

void review_state_release(struct review_state *s)
{
	groups_release(&s->groups);
	groups_release(&s->rejects);
	pick_release(&s->lowest);
	pick_release(&s->highest);
	strbuf_release(&s->scratch);
	memset(s, 0, sizeof(*s));
}

void review_state_merge(struct review_state *dst, struct review_state *src)
{
	groups_merge(&dst->groups, &src->groups);
	groups_merge(&dst->rejects, &src->rejects);
	for (size_t i = 0; i < src->lowest.n; i++)
		pick_offer(&dst->lowest, &src->lowest.e[i]);
	for (size_t i = 0; i < src->highest.n; i++)
		pick_offer(&dst->highest, &src->highest.e[i]);
	dst->records += src->records;
	dst->with_signal += src->with_signal;
	dst->rejected += src->rejected;
	size_t k = src->groups.k;
	uint64_t seed = src->seed;
	review_state_release(src);
	review_state_init(src, k, seed);
}

static uint64_t line_hash(const struct review_state *s, const char *line, size_t len)
{
	return hash64(line, len, s->seed ^ 0x726576696577ull);
}

void review_add(struct review_state *s, const char *key, size_t keylen, const char *line,
		size_t len, const char *file, uint64_t lineno, double signal)
{
	struct review_item c = { line_hash(s, line, len), signal, (char *)line, len, (char *)file,
				 lineno };
	struct review_group *g = group_get(&s->groups, key, keylen);
	g->records++;
	s->records++;
	pick_offer(&g->pick, &c);
	if (!isnan(signal)) {
		s->with_signal++;
		pick_offer(&s->lowest, &c);
		pick_offer(&s->highest, &c);
	}
}

/* Offer c to the reasons' group reason[0..len). */
static void offer_reject(struct review_state *s, const char *reason, size_t len,
			 const struct review_item *c)
{
	struct review_group *g = group_get(&s->rejects, reason, len);
	g->records++;
	pick_offer(&g->pick, c);
}

void review_add_reject(struct review_state *s, const char *line, size_t len, const char *file,
		       uint64_t lineno)
{
	struct strbuf *reason = &s->scratch;
	struct json_value v, elem;
	strbuf_reset(reason);
	if (json_get(line, len, "reject.reason", &v) && v.type == JSON_STRING)
		json_decode_string(&v, reason);
	else
		strbuf_addstr(reason, "(no reason)");
	struct review_item c = { line_hash(s, line, len), NAN, (char *)line, len, (char *)file,
				 lineno };
	s->rejected++;
	size_t pos = 0, base = reason->len, rules = 0;
	if (!strcmp(reason->buf, "quality") && json_get(line, len, "quality.reasons", &v) &&
	    v.type == JSON_ARRAY) {
		/* A rule a group: "quality: min_words". */
		while (json_array_next(&v, &pos, &elem)) {
			strbuf_setlen(reason, base);
			strbuf_addstr(reason, ": ");
			if (elem.type == JSON_STRING)
				json_decode_string(&elem, reason);
			else
				strbuf_add(reason, elem.p, elem.len);
			offer_reject(s, reason->buf, reason->len, &c);
			rules++;
		}
	}
	if (!rules)
		offer_reject(s, reason->buf, base, &c);
}

/* --- The page ---------------------------------------------------------- */

/* Append s[0..n) as HTML text, fit for an element or a quoted attribute:
 * the characters HTML gives a meaning escaped, a byte that does not
 * start valid UTF-8 as U+FFFD, a control character other than tab and
 * newline as its Unicode control picture (U+2400 + c; DEL U+2421). */
static void html_text(struct strbuf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80) {
			size_t l = utf8_sequence_length((const unsigned char *)s + i, n - i);
			if (l) {
				strbuf_add(out, s + i, l);
				i += l;
			} else {
				strbuf_addstr(out, "\xef\xbf\xbd");
				i++;
			}
			continue;
		}
		switch (c) {
		case '&': strbuf_addstr(out, "&amp;"); break;
		case '<': strbuf_addstr(out, "&lt;"); break;
		case '>': strbuf_addstr(out, "&gt;"); break;
		case '"': strbuf_addstr(out, "&quot;"); break;
		case '\'': strbuf_addstr(out, "&#39;"); break;
		case '\t': case '\n': strbuf_addc(out, (char)c); break;
		default:
			if (c < 0x20 || c == 0x7f) {
				unsigned cp = c == 0x7f ? 0x2421 : 0x2400 + c;
				char u[3] = { (char)(0xe0 | cp >> 12), (char)(0x80 | ((cp >> 6) & 0x3f)),
					      (char)(0x80 | (cp & 0x3f)) };
				strbuf_add(out, u, 3);
			} else {
				strbuf_addc(out, (char)c);
			}
		}
		i++;
	}
}

static void html_cstr(struct strbuf *out, const char *s)
{
	html_text(out, s, strlen(s));
}

/* The value v of a record as text: a string decoded, other JSON compact. */
static void value_text(const struct json_value *v, struct strbuf *out)
{
	if (v->type == JSON_STRING)
		json_decode_string(v, out);
	else
		json_add_compact(out, v->p, v->len);
}

/* The label of a group key of --by. */
static void key_label(const struct review_page *p, const struct review_group *g, struct strbuf *out)
{
	if (!p->by) {
		strbuf_addstr(out, "all records");
		return;
	}
	enum stats_value_kind kind = g->k.key[0] == 's' ? STATS_VALUE_STRING :
				     g->k.key[0] == 'r' ? STATS_VALUE_JSON : STATS_VALUE_MISSING;
	stats_group_label(kind, g->k.key + 1, g->k.keylen - 1, p->crossed, out);
}

/* The members a record's provenance and signals are in, shown as
 * written (compact). */
static const char *const shown_members[] = { "synth", "mix", "dedup", "quality", "reject" };

/* One record: its id, where it is, the signal, its text and members. */
static void record_html(struct strbuf *out, const struct review_page *p,
			const struct review_item *it, int reject, struct strbuf *tmp)
{
	struct json_value v;
	strbuf_addstr(out, "<article class=\"record\">\n<div class=\"head\"><span class=\"id\">");
	strbuf_reset(tmp);
	if (json_get(it->line, it->len, p->id_field, &v) && v.type != JSON_NULL)
		value_text(&v, tmp);
	else if (reject && json_get(it->line, it->len, "reject.file", &v) && v.type == JSON_STRING) {
		value_text(&v, tmp);
		if (json_get(it->line, it->len, "reject.line", &v))
			strbuf_addf(tmp, ":%.*s", (int)v.len, v.p);
	} else
		strbuf_addf(tmp, "%s:%" PRIu64, it->file, it->lineno);
	html_text(out, tmp->buf, tmp->len);
	strbuf_addstr(out, "</span> <span class=\"where\">");
	strbuf_reset(tmp);
	strbuf_addf(tmp, "%s:%" PRIu64, it->file, it->lineno);
	html_text(out, tmp->buf, tmp->len);
	strbuf_addstr(out, "</span>");
	if (p->signal && !isnan(it->value)) {
		strbuf_addstr(out, " <span class=\"signal\">");
		html_cstr(out, p->signal);
		strbuf_addf(out, " = %.6g</span>", it->value);
	}
	strbuf_addstr(out, "</div>\n<pre class=\"text\">");
	strbuf_reset(tmp);
	if (json_get(it->line, it->len, p->field, &v) && v.type == JSON_STRING) {
		json_decode_string(&v, tmp);
		/* A person reads the start of a long text; the page stays
		 * small enough to open. Cut between characters. */
		size_t n = tmp->len;
		if (n > REVIEW_TEXT_MAX) {
			n = REVIEW_TEXT_MAX;
			while (n && ((unsigned char)tmp->buf[n] & 0xc0) == 0x80)
				n--;
		}
		html_text(out, tmp->buf, n);
		if (n < tmp->len)
			strbuf_addf(out, "<span class=\"note\"> \u2026 (%zu more bytes)</span>", tmp->len - n);
	} else if (reject && json_get(it->line, it->len, "raw", &v) && v.type == JSON_STRING) {
		json_decode_string(&v, tmp);
		strbuf_addstr(out, "<span class=\"note\">(the line as it was)</span>\n");
		html_text(out, tmp->buf, tmp->len);
	} else if (reject && json_get(it->line, it->len, "raw_base64", &v) && v.type == JSON_STRING) {
		json_decode_string(&v, tmp);
		strbuf_addstr(out, "<span class=\"note\">(not UTF-8: the line in base64)</span>\n");
		html_text(out, tmp->buf, tmp->len);
	} else {
		strbuf_addstr(out, "<span class=\"note\">(no text)</span>");
	}
	strbuf_addstr(out, "</pre>\n");
	int any = 0;
	for (size_t i = 0; i < sizeof(shown_members) / sizeof(*shown_members); i++) {
		if (!json_get(it->line, it->len, shown_members[i], &v))
			continue;
		strbuf_addstr(out, any ? "" : "<dl class=\"members\">\n");
		any = 1;
		strbuf_addf(out, "<dt>%s</dt><dd>", shown_members[i]);
		strbuf_reset(tmp);
		json_add_compact(tmp, v.p, v.len);
		html_text(out, tmp->buf, tmp->len);
		strbuf_addstr(out, "</dd>\n");
	}
	if (any)
		strbuf_addstr(out, "</dl>\n");
	strbuf_addstr(out, "</article>\n");
}

static void pick_html(struct strbuf *out, const struct review_page *p, const struct review_pick *pk,
		      int reject, struct strbuf *tmp)
{
	for (size_t i = 0; i < pk->n; i++)
		record_html(out, p, &pk->e[i], reject, tmp);
}

static const char review_style[] =
	"body{font:14px/1.45 sans-serif;color:#212529;background:#fff;margin:24px;max-width:1100px}\n"
	"h1{font-size:20px}h2{font-size:17px;margin-top:32px;border-bottom:2px solid #dee2e6}\n"
	"h3{font-size:15px;margin:20px 0 6px}\n"
	"nav ul{padding-left:18px;margin:4px 0}nav ul.groups{columns:3 260px}\n"
	".meta{color:#495057}.count{color:#495057;font-weight:normal}\n"
	".record{border:1px solid #dee2e6;border-left:4px solid #1c64c8;margin:8px 0;padding:6px 10px}\n"
	".reject .record{border-left-color:#c2255c}\n"
	".head{font-size:12px;color:#495057}\n"
	".id{font:bold 13px monospace;color:#212529;user-select:all}\n"
	".where{font-family:monospace}\n"
	".signal{background:#fff3bf;padding:0 4px}\n"
	"pre.text{white-space:pre-wrap;overflow-wrap:anywhere;max-height:14em;overflow:auto;"
	"margin:6px 0;font:13px/1.4 serif;background:#f8f9fa;padding:4px 6px}\n"
	".note{color:#868e96;font:italic 12px sans-serif}\n"
	"dl.members{display:grid;grid-template-columns:max-content 1fr;gap:2px 10px;margin:4px 0;"
	"font-size:12px}\n"
	"dl.members dt{font-weight:bold}dl.members dd{margin:0;font-family:monospace;"
	"overflow-wrap:anywhere;max-height:6em;overflow:auto}\n";

void review_html(const struct review_page *p, struct review_state *s, struct strbuf *out)
{
	struct strbuf tmp = STRBUF_INIT, label = STRBUF_INIT;
	struct review_group **groups = groups_sorted(&s->groups);
	struct review_group **reasons = groups_sorted(&s->rejects);
	pick_sort(&s->lowest);
	pick_sort(&s->highest);

	strbuf_addstr(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		      "<title>synth-stats review</title>\n<style>\n");
	strbuf_addstr(out, review_style);
	strbuf_addstr(out, "</style>\n</head>\n<body>\n<h1>Review: ");
	html_cstr(out, p->inputs);
	strbuf_addf(out, "</h1>\n<p class=\"meta\">%" PRIu64 " records", s->records);
	if (p->by) {
		strbuf_addf(out, " in %zu groups of ", s->groups.groups.n);
		html_cstr(out, p->by);
	}
	strbuf_addf(out, "; up to %zu shown a group, chosen with seed %" PRIu64
		    " (the same records for the same seed and input).", p->k, p->seed);
	if (p->nreject_files)
		strbuf_addf(out, " %" PRIu64 " rejected records in %zu reasons.", s->rejected,
			    s->rejects.groups.n);
	strbuf_addstr(out, " Each record shows its id, to list those to drop.</p>\n<nav>\n<ul>\n");
	strbuf_addstr(out, "<li><a href=\"#sample\">Sample");
	if (p->by) {
		strbuf_addstr(out, " by ");
		html_cstr(out, p->by);
	}
	strbuf_addstr(out, "</a></li>\n");
	if (p->signal)
		strbuf_addstr(out, "<li><a href=\"#lowest\">Lowest</a> and <a href=\"#highest\">highest</a> "
			      "signal</li>\n");
	if (p->nreject_files)
		strbuf_addstr(out, "<li><a href=\"#rejects\">Rejected records</a></li>\n");
	strbuf_addstr(out, "</ul>\n");
	if (p->by) {
		strbuf_addstr(out, "<ul class=\"groups\">\n");
		for (size_t i = 0; i < s->groups.groups.n; i++) {
			strbuf_reset(&label);
			key_label(p, groups[i], &label);
			strbuf_addf(out, "<li><a href=\"#g%zu\">", i + 1);
			html_text(out, label.buf, label.len);
			strbuf_addf(out, "</a> <span class=\"count\">%" PRIu64 "</span></li>\n",
				    groups[i]->records);
		}
		strbuf_addstr(out, "</ul>\n");
	}
	strbuf_addstr(out, "</nav>\n");

	strbuf_addstr(out, "<h2 id=\"sample\">Sample");
	if (p->by) {
		strbuf_addstr(out, " by ");
		html_cstr(out, p->by);
	}
	strbuf_addstr(out, "</h2>\n");
	for (size_t i = 0; i < s->groups.groups.n; i++) {
		const struct review_group *g = groups[i];
		strbuf_reset(&label);
		key_label(p, g, &label);
		strbuf_addf(out, "<section class=\"group\">\n<h3 id=\"g%zu\">", i + 1);
		html_text(out, label.buf, label.len);
		strbuf_addf(out, " <span class=\"count\">%" PRIu64 " records (%.1f%%), %zu shown</span></h3>\n",
			    g->records, s->records ? 100.0 * (double)g->records / (double)s->records : 0,
			    g->pick.n);
		pick_html(out, p, &g->pick, 0, &tmp);
		strbuf_addstr(out, "</section>\n");
	}
	if (p->signal) {
		for (int hi = 0; hi < 2; hi++) {
			strbuf_addf(out, "<h2 id=\"%s\">%s ", hi ? "highest" : "lowest",
				    hi ? "Highest" : "Lowest");
			html_cstr(out, p->signal);
			strbuf_addf(out, " <span class=\"count\">%zu of %" PRIu64 " records with a number there",
				    hi ? s->highest.n : s->lowest.n, s->with_signal);
			strbuf_addstr(out, "</span></h2>\n<section class=\"extremes\">\n");
			pick_html(out, p, hi ? &s->highest : &s->lowest, 0, &tmp);
			strbuf_addstr(out, "</section>\n");
		}
	}
	if (p->nreject_files) {
		strbuf_addstr(out, "<h2 id=\"rejects\">Rejected records <span class=\"count\">from ");
		for (size_t i = 0; i < p->nreject_files; i++) {
			strbuf_addstr(out, i ? ", " : "");
			html_cstr(out, p->reject_files[i]);
		}
		strbuf_addf(out, "</span></h2>\n<p class=\"meta\">%" PRIu64 " records. A record that "
			    "failed several quality rules is under each.</p>\n<ul>\n", s->rejected);
		for (size_t i = 0; i < s->rejects.groups.n; i++) {
			strbuf_addf(out, "<li><a href=\"#r%zu\">", i + 1);
			html_text(out, reasons[i]->k.key, reasons[i]->k.keylen);
			strbuf_addf(out, "</a> <span class=\"count\">%" PRIu64 "</span></li>\n",
				    reasons[i]->records);
		}
		strbuf_addstr(out, "</ul>\n");
		for (size_t i = 0; i < s->rejects.groups.n; i++) {
			const struct review_group *g = reasons[i];
			strbuf_addf(out, "<section class=\"reject\">\n<h3 id=\"r%zu\">", i + 1);
			html_text(out, g->k.key, g->k.keylen);
			strbuf_addf(out, " <span class=\"count\">%" PRIu64 " records, %zu shown</span></h3>\n",
				    g->records, g->pick.n);
			pick_html(out, p, &g->pick, 1, &tmp);
			strbuf_addstr(out, "</section>\n");
		}
	}
	strbuf_addstr(out, "</body>\n</html>\n");
	free(groups);
	free(reasons);
	strbuf_release(&tmp);
	strbuf_release(&label);
}
