/* representation.c: the groups of --by against the shares wanted; see
 * representation.h. */
#include "representation.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bytes.h"
#include "corpus_stats.h"
#include "diag.h"
#include "hash.h"
#include "json.h"
#include "number.h"

#define DEC 6

int by_fields_parse(struct by_fields *f, const char *spec, struct strbuf *err)
{
	memset(f, 0, sizeof(*f));
	for (const char *p = spec;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (!n || f->n == BY_MAX_FIELDS) {
			strbuf_addstr(err, n ? "more than 8 fields" : "an empty field name");
			by_fields_release(f);
			return -1;
		}
		f->paths[f->n++] = xstrndup(p, n);
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

void by_fields_release(struct by_fields *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	memset(f, 0, sizeof(*f));
}

void by_fields_key(const struct by_fields *f, const char *line, size_t len,
		   struct strbuf *key, struct strbuf *scratch)
{
	struct json_value v;
	if (f->n == 1) {
		stats_group_key(key, json_get(line, len, f->paths[0], &v) ? &v : NULL);
		return;
	}
	strbuf_reset(key);
	strbuf_addstr(key, "r[");
	for (size_t i = 0; i < f->n; i++) {
		if (i)
			strbuf_addc(key, ',');
		if (!json_get(line, len, f->paths[i], &v) || v.type == JSON_NULL) {
			strbuf_addstr(key, "null");
		} else if (v.type == JSON_STRING) {
			strbuf_reset(scratch);
			json_decode_string(&v, scratch);
			json_add_string(key, scratch->buf, scratch->len);
		} else {
			json_add_compact(key, v.p, v.len);
		}
	}
	strbuf_addc(key, ']');
}

/* The label of one value's JSON text v. */
static void value_label(const struct json_value *v, struct strbuf *out)
{
	if (v->type == JSON_STRING)
		json_decode_string(v, out);
	else
		strbuf_add(out, v->p, v->len);
}

void stats_group_label(enum stats_value_kind kind, const char *value, size_t len, int crossed,
		       struct strbuf *out)
{
	if (kind == STATS_VALUE_MISSING) {
		strbuf_addstr(out, "null");
		return;
	}
	if (kind == STATS_VALUE_STRING || !crossed) {
		strbuf_add(out, value, len);
		return;
	}
	struct json_value arr = { value, len, JSON_ARRAY, 0 }, elem;
	size_t pos = 0;
	for (int first = 1; json_array_next(&arr, &pos, &elem); first = 0) {
		if (!first)
			strbuf_addc(out, '|');
		value_label(&elem, out);
	}
}

/* --- The target file --------------------------------------------------- */

/* The line of byte off in s. */
static size_t line_of(const char *s, size_t off)
{
	size_t line = 1;
	for (size_t i = 0; i < off; i++)
		line += s[i] == '\n';
	return line;
}

int target_load(struct target *t, const char *path)
{
	memset(t, 0, sizeof(*t));
	struct strbuf sb = STRBUF_INIT, label = STRBUF_INIT;
	int rc = -1;
	if (file_slurp(path, &sb) < 0) {
		error_errno("%s", path);
		goto out;
	}
	struct json_error jerr;
	if (json_check_record(sb.buf, sb.len, &jerr) < 0) {
		error("%s:%zu: not a JSON object of group -> share: %s", path,
		      line_of(sb.buf, jerr.offset < sb.len ? jerr.offset : sb.len), jerr.msg);
		goto out;
	}
	/* The object, without the white space around it. */
	const char *p = sb.buf;
	while (*p != '{')
		p++;
	const char *end = sb.buf + sb.len;
	while (end[-1] != '}')
		end--;
	struct json_value obj = { p, (size_t)(end - p), JSON_OBJECT, 0 }, name, value;
	size_t pos = 0, cap = 0;
	double sum = 0;
	while (json_object_next(&obj, &pos, &name, &value)) {
		size_t line = line_of(sb.buf, (size_t)(name.p - sb.buf));
		strbuf_reset(&label);
		json_decode_string(&name, &label);
		double share;
		char num[64];
		if (value.type != JSON_NUMBER || value.len >= sizeof(num) ||
		    (memcpy(num, value.p, value.len), num[value.len] = 0,
		     parse_double(num, 0, 1e300, &share) < 0)) {
			error("%s:%zu: \"%s\": the share must be a number, 0 or more", path, line,
			      label.buf);
			goto out;
		}
		for (size_t i = 0; i < t->n; i++)
			if (t->e[i].len == label.len && !memcmp(t->e[i].label, label.buf, label.len)) {
				error("%s:%zu: \"%s\" is given twice", path, line, label.buf);
				goto out;
			}
		if (t->n == cap) {
			cap = grow_capacity(cap, t->n + 1, 16);
			t->e = xreallocarray(t->e, cap, sizeof(*t->e));
		}
		t->e[t->n++] = (struct target_entry){ xstrndup(label.buf, label.len), label.len, share };
		sum += share;
	}
	if (!(sum > 0)) {
		error("%s: no group with a share above 0", path);
		goto out;
	}
	for (size_t i = 0; i < t->n; i++)
		t->e[i].share /= sum;
	t->path = xstrdup(path);
	rc = 0;
out:
	if (rc)
		target_release(t);
	strbuf_release(&sb);
	strbuf_release(&label);
	return rc;
}

void target_release(struct target *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].label);
	free(t->e);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

/* --- The comparison ---------------------------------------------------- */

const char *representation_flag_name(enum representation_flag f)
{
	switch (f) {
	case REPR_UNDER: return "under";
	case REPR_MISSING: return "missing";
	case REPR_EXTRA: return "extra";
	default: return "ok";
	}
}

/* Where the groups of r are, by label: slot[j] is a group's index + 1,
 * or 0 for an empty slot. */
struct label_index {
	size_t *slot;
	size_t cap;		/* slots, a power of two; groups allocated: r->n <= cap / 2 */
};

static size_t *label_slot(const struct representation *r, const struct label_index *ix,
			  const char *label, size_t len)
{
	size_t mask = ix->cap - 1;
	for (size_t j = hash64(label, len, 0) & mask;; j = (j + 1) & mask) {
		size_t k = ix->slot[j];
		if (!k || (r->groups[k - 1].label_len == len && !memcmp(r->groups[k - 1].label, label, len)))
			return &ix->slot[j];
	}
}

/* The group of r labelled label[0..len): added when r has none and add
 * is set, else NULL. */
static struct representation_group *group_of(struct representation *r, struct label_index *ix,
					     const char *label, size_t len, int add)
{
	if (ix->cap) {
		size_t k = *label_slot(r, ix, label, len);
		if (k)
			return &r->groups[k - 1];
	}
	if (!add)
		return NULL;
	if ((r->n + 1) * 2 > ix->cap) {
		/* Room for the groups and a new index of their labels. */
		free(ix->slot);
		ix->cap = grow_capacity(ix->cap, size_mul(r->n + 1, 2), 16);
		ix->slot = xcalloc(ix->cap, sizeof(*ix->slot));
		r->groups = xreallocarray(r->groups, ix->cap / 2, sizeof(*r->groups));
		for (size_t i = 0; i < r->n; i++)
			*label_slot(r, ix, r->groups[i].label, r->groups[i].label_len) = i + 1;
	}
	struct representation_group *g = &r->groups[r->n++];
	*g = (struct representation_group){
		.label = xstrndup(label, len), .label_len = len, .ratio = NAN, .vocab_kept = NAN,
		.distinct_2 = NAN, .distinct_2_reference = NAN, .perplexity_p50 = NAN,
		.perplexity_p50_reference = NAN,
	};
	*label_slot(r, ix, label, len) = r->n;
	return g;
}

/* The key of a group's figures: type byte and value. */
static void set_key(struct representation_group *g, const struct stats_group_figures *gf)
{
	if (g->key)
		return;
	g->keylen = gf->value_len + 1;
	g->key = xmalloc(g->keylen);
	g->key[0] = gf->kind == STATS_VALUE_STRING ? 's' : gf->kind == STATS_VALUE_JSON ? 'r' : 'm';
	memcpy(g->key + 1, gf->value, gf->value_len);
}

static int cmp_group(const void *x, const void *y)
{
	const struct representation_group *a = x, *b = y;
	if (a->wanted != b->wanted)
		return a->wanted > b->wanted ? -1 : 1;
	if (a->share != b->share)
		return a->share > b->share ? -1 : 1;
	size_t n = a->label_len < b->label_len ? a->label_len : b->label_len;
	int c = memcmp(a->label, b->label, n);
	return c ? c : (a->label_len > b->label_len) - (a->label_len < b->label_len);
}

void representation_compute(struct representation *r, const struct stats_figures *in,
			    const struct stats_figures *ref, const struct target *target,
			    const char *ref_path, double under)
{
	memset(r, 0, sizeof(*r));
	r->by = xstrdup(in->by ? in->by : "");
	r->against = target ? "target" : "reference";
	r->file = xstrdup(target ? target->path : ref_path);
	r->under = under;
	r->diversity = ref != NULL;
	int crossed = strchr(r->by, ',') != NULL;
	struct label_index ix = { NULL, 0 };
	struct strbuf label = STRBUF_INIT;
	for (size_t i = 0; i < in->ngroups; i++) {
		const struct stats_group_figures *gf = &in->groups[i];
		strbuf_reset(&label);
		stats_group_label(gf->kind, gf->value, gf->value_len, crossed, &label);
		struct representation_group *g = group_of(r, &ix, label.buf, label.len, 1);
		g->records += gf->records;
		g->share += gf->share;
		if (!g->in_figures)
			g->in_figures = gf;
		set_key(g, gf);
	}
	if (target) {
		for (size_t i = 0; i < target->n; i++)
			group_of(r, &ix, target->e[i].label, target->e[i].len, 1)->wanted =
				target->e[i].share;
		/* The key of a group no record has, for its diversity
		 * against the reference. */
		for (size_t i = 0; ref && i < ref->ngroups; i++) {
			const struct stats_group_figures *gf = &ref->groups[i];
			strbuf_reset(&label);
			stats_group_label(gf->kind, gf->value, gf->value_len, crossed, &label);
			struct representation_group *g = group_of(r, &ix, label.buf, label.len, 0);
			if (g && !g->ref_figures)
				g->ref_figures = gf;
			if (g)
				set_key(g, gf);
		}
	} else if (ref) {
		for (size_t i = 0; i < ref->ngroups; i++) {
			const struct stats_group_figures *gf = &ref->groups[i];
			strbuf_reset(&label);
			stats_group_label(gf->kind, gf->value, gf->value_len, crossed, &label);
			struct representation_group *g = group_of(r, &ix, label.buf, label.len, 1);
			g->wanted_records += gf->records;
			g->wanted += gf->share;
			if (!g->ref_figures)
				g->ref_figures = gf;
			set_key(g, gf);
		}
	}
	strbuf_release(&label);
	free(ix.slot);
	double tv = 0, js = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct representation_group *g = &r->groups[i];
		if (ref) {
			g->distinct_2 = g->in_figures ? g->in_figures->distinct_2 : NAN;
			g->distinct_2_reference = g->ref_figures ? g->ref_figures->distinct_2 : NAN;
		}
		double p = g->share, q = g->wanted, m = (p + q) / 2;
		tv += fabs(p - q) / 2;
		if (p > 0)
			js += p * log2(p / m) / 2;
		if (q > 0)
			js += q * log2(q / m) / 2;
		if (q > 0) {
			g->ratio = p / q;
			g->flag = !g->records ? REPR_MISSING : g->ratio < under ? REPR_UNDER : REPR_OK;
		} else {
			g->flag = REPR_EXTRA;
		}
		r->nflagged += g->flag == REPR_UNDER || g->flag == REPR_MISSING;
	}
	r->total_variation = tv > 1 ? 1 : tv;
	r->js_divergence = js < 0 ? 0 : js > 1 ? 1 : js;
	if (r->n)
		qsort(r->groups, r->n, sizeof(*r->groups), cmp_group);
}

void representation_release(struct representation *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->groups[i].label);
		free(r->groups[i].key);
	}
	free(r->groups);
	free(r->by);
	free(r->file);
	memset(r, 0, sizeof(*r));
}

static void member_double(struct json_writer *w, const char *key, double v)
{
	jw_key(w, key);
	jw_double(w, v, DEC);
}

void representation_json(const struct representation *r, struct json_writer *w)
{
	jw_key(w, "representation");
	jw_object_begin(w);
	jw_key(w, "by");
	jw_cstr(w, r->by);
	jw_key(w, "against");
	jw_cstr(w, r->against);
	jw_key(w, "file");
	jw_cstr(w, r->file);
	jw_key(w, "unit");
	jw_cstr(w, "records");
	member_double(w, "under", r->under);
	member_double(w, "total_variation", r->total_variation);
	member_double(w, "js_divergence", r->js_divergence);
	jw_key(w, "flagged");
	jw_array_begin(w);
	for (size_t i = 0; i < r->n; i++)
		if (r->groups[i].flag == REPR_UNDER || r->groups[i].flag == REPR_MISSING)
			jw_string(w, r->groups[i].label, r->groups[i].label_len);
	jw_array_end(w);
	jw_key(w, "groups");
	jw_array_begin(w);
	for (size_t i = 0; i < r->n; i++) {
		const struct representation_group *g = &r->groups[i];
		jw_object_begin(w);
		jw_key(w, "group");
		jw_string(w, g->label, g->label_len);
		jw_key(w, "records");
		jw_u64(w, g->records);
		member_double(w, "share", g->share);
		if (!strcmp(r->against, "reference")) {
			jw_key(w, "reference_records");
			jw_u64(w, g->wanted_records);
		}
		member_double(w, "wanted", g->wanted);
		member_double(w, "ratio", g->ratio);
		jw_key(w, "flag");
		jw_cstr(w, representation_flag_name(g->flag));
		if (r->diversity) {
			member_double(w, "vocab_kept", g->vocab_kept);
			member_double(w, "distinct_2", g->distinct_2);
			member_double(w, "distinct_2_reference", g->distinct_2_reference);
			member_double(w, "perplexity_p50", g->perplexity_p50);
			member_double(w, "perplexity_p50_reference", g->perplexity_p50_reference);
		}
		jw_object_end(w);
	}
	jw_array_end(w);
	jw_object_end(w);
}

/* A figure of the table: fixed decimals, or a dash. */
static void cell(struct strbuf *sb, double v, int width, int decimals)
{
	if (isnan(v) || isinf(v))
		strbuf_addf(sb, " %*s", width, "-");
	else
		strbuf_addf(sb, " %*.*f", width, decimals, v);
}

void representation_table(const struct representation *r, struct strbuf *out)
{
	int diversity = r->diversity;
	int width = 24;
	for (size_t i = 0; i < r->n; i++)
		if ((int)strlen(r->groups[i].label) > width)
			width = (int)strlen(r->groups[i].label);
	strbuf_addf(out, "\nrepresentation%s%s by %s against %s %s\n", r->input ? " of " : "",
		    r->input ? r->input : "", r->by, r->against, r->file);
	strbuf_addf(out, "  total variation %.4f  js divergence %.4f  flagged %zu (ratio under %g or missing)\n",
		    r->total_variation, r->js_divergence, r->nflagged, r->under);
	strbuf_addf(out, "  %-*s %10s %7s %7s %7s %-8s", width, "group", "records", "share", "wanted",
		    "ratio", "flag");
	if (diversity)
		strbuf_addf(out, " %10s %10s %10s %9s %9s", "vocab_kept", "distinct-2", "(ref)",
			    "ppl p50", "(ref)");
	while (out->buf[out->len - 1] == ' ')
		strbuf_setlen(out, out->len - 1);
	strbuf_addc(out, '\n');
	for (size_t i = 0; i < r->n; i++) {
		const struct representation_group *g = &r->groups[i];
		const char *flag = g->flag == REPR_OK ? "" : representation_flag_name(g->flag);
		strbuf_addf(out, "  %-*s %10llu %6.2f%% %6.2f%%", width, g->label,
			    (unsigned long long)g->records, 100 * g->share, 100 * g->wanted);
		cell(out, g->ratio, 7, 2);
		strbuf_addf(out, " %-8s", flag);
		if (diversity) {
			cell(out, g->vocab_kept, 10, 4);
			cell(out, g->distinct_2, 10, 4);
			cell(out, g->distinct_2_reference, 10, 4);
			cell(out, g->perplexity_p50, 9, 1);
			cell(out, g->perplexity_p50_reference, 9, 1);
		}
		/* No trailing blanks: the flag column may be the last. */
		while (out->len && out->buf[out->len - 1] == ' ')
			strbuf_setlen(out, out->len - 1);
		strbuf_addc(out, '\n');
	}
}
