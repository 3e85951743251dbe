/* dedup-truth: the exact Jaccard ground truth for synth-dedup's
 * near-duplicate benchmark.
 *
 *   dedup-truth [-n NGRAM] [-t THRESHOLD] CORPUS MARKED
 *
 * CORPUS is the input (records with "id" and "text"), MARKED what
 * `synth-dedup --mark` made of it (the same records in the same order).
 * The shingle sets are the ones synth-dedup compares (libsynth's words
 * and shingle hashes); everything else here is independent of it: the
 * Jaccard similarities are exact, from sorted sets, and the pairs above
 * the threshold are found by prefix filtering (Chaudhuri et al. 2006),
 * which misses none.
 *
 * Prints, as "name value" lines:
 *   precision: of the records marked dup_of, the share whose exact
 *     Jaccard with the named record is at least 0.7;
 *   recall: of the records that have an earlier record at exact Jaccard
 *     >= THRESHOLD, the share marked;
 *   and recall by the id suffix "~edit-RATE" of edited copies.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "diag.h"
#include "json.h"
#include "minhash.h"
#include "strbuf.h"
#include "text.h"

struct doc {
	char *id;
	uint64_t *sh;	/* sorted, distinct */
	size_t n;
	char *dup_of;	/* from MARKED */
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static char *member(const char *line, size_t len, const char *name)
{
	struct json_value v;
	if (!json_get(line, len, name, &v))
		return NULL;
	struct strbuf sb = STRBUF_INIT;
	if (v.type == JSON_STRING)
		json_decode_string(&v, &sb);
	else
		strbuf_add(&sb, v.p, v.len);
	char *s = xmalloc(sb.len + 1);
	memcpy(s, sb.buf, sb.len + 1);
	strbuf_release(&sb);
	return s;
}

static double jaccard(const struct doc *a, const struct doc *b)
{
	if (!a->n && !b->n)
		return 1;
	size_t i = 0, j = 0, common = 0;
	while (i < a->n && j < b->n) {
		if (a->sh[i] == b->sh[j]) {
			common++;
			i++;
			j++;
		} else if (a->sh[i] < b->sh[j]) {
			i++;
		} else {
			j++;
		}
	}
	return (double)common / (double)(a->n + b->n - common);
}

/* The documents' shingle sets, frequencies and the id lookup. */
static struct doc *docs;
static size_t ndocs;

static void read_corpus(const char *path, unsigned ngram)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die_errno("%s", path);
	char *line = NULL;
	size_t cap = 0, dcap = 0, shcap = 0;
	ssize_t len;
	struct words ws;
	words_init(&ws);
	uint64_t *sh = NULL;
	while ((len = getline(&line, &cap, f)) > 0) {
		struct json_error err;
		if (json_check_record(line, (size_t)len, &err) < 0)
			die("%s: invalid record", path);
		char *text = member(line, (size_t)len, "text");
		if (ndocs == dcap) {
			dcap = grow_capacity(dcap, ndocs + 1, 1024);
			docs = xreallocarray(docs, dcap, sizeof(*docs));
		}
		struct doc *d = &docs[ndocs++];
		memset(d, 0, sizeof(*d));
		d->id = member(line, (size_t)len, "id");
		text_words(text, strlen(text), &ws);
		size_t n = shingle_hashes(&ws, ngram, &sh, &shcap);
		qsort(sh, n, sizeof(*sh), cmp_u64);
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			if (!k || sh[i] != sh[k - 1])
				sh[k++] = sh[i];
		d->sh = xreallocarray(NULL, k ? k : 1, sizeof(*d->sh));
		memcpy(d->sh, sh, k * sizeof(*sh));
		d->n = k;
		free(text);
	}
	free(line);
	free(sh);
	words_release(&ws);
	fclose(f);
}

static void read_marked(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		die_errno("%s", path);
	char *line = NULL;
	size_t cap = 0, i = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (i >= ndocs)
			die("%s: more records than the corpus", path);
		char *id = member(line, (size_t)len, "id");
		if (!id || strcmp(id, docs[i].id))
			die("%s:%zu: not the corpus' record %s", path, i + 1, docs[i].id);
		free(id);
		docs[i].dup_of = member(line, (size_t)len, "dedup.dup_of");
		i++;
	}
	if (i != ndocs)
		die("%s: %zu records, the corpus has %zu", path, i, ndocs);
	free(line);
	fclose(f);
}

/* A hash table of shingle -> document frequency, then -> postings. */
struct entry {
	uint64_t key;
	uint32_t count;
	uint32_t *post;	/* earlier documents with the shingle in their prefix */
	uint32_t npost, cpost;
};
static struct entry *tab;
static size_t tcap;

static struct entry *lookup(uint64_t k)
{
	size_t i = (size_t)(k * 0x9e3779b97f4a7c15ull >> 20) & (tcap - 1);
	while (tab[i].count && tab[i].key != k)
		i = (i + 1) & (tcap - 1);
	tab[i].key = k;
	return &tab[i];
}

static int by_rarity(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	uint32_t cx = lookup(x)->count, cy = lookup(y)->count;
	if (cx != cy)
		return cx < cy ? -1 : 1;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned ngram = 5;
	double t = 0.8;
	int c;
	diag_init("dedup-truth");
	while ((c = getopt(argc, argv, "n:t:")) != -1) {
		if (c == 'n')
			ngram = (unsigned)atoi(optarg);
		else if (c == 't')
			t = atof(optarg);
		else
			return 2;
	}
	if (argc - optind != 2)
		die("usage: dedup-truth [-n NGRAM] [-t THRESHOLD] CORPUS MARKED");
	read_corpus(argv[optind], ngram);
	read_marked(argv[optind + 1]);

	size_t total = 0;
	for (size_t i = 0; i < ndocs; i++)
		total += docs[i].n;
	tcap = 1;
	while (tcap < 2 * total + 16)
		tcap *= 2;
	tab = xcalloc(tcap, sizeof(*tab));
	for (size_t i = 0; i < ndocs; i++)
		for (size_t k = 0; k < docs[i].n; k++)
			lookup(docs[i].sh[k])->count++;

	/* Precision: the marked pairs. */
	size_t marked = 0, good = 0;
	for (size_t i = 0; i < ndocs; i++) {
		if (!docs[i].dup_of)
			continue;
		marked++;
		/* The named record is earlier; search back for it. */
		for (size_t j = i; j-- > 0;) {
			if (!strcmp(docs[j].id, docs[i].dup_of)) {
				good += jaccard(&docs[i], &docs[j]) >= 0.7;
				break;
			}
		}
	}

	/* Recall: every record with an earlier one at >= t, by prefix
	 * filtering over shingles in order of rarity. */
	size_t have = 0, caught = 0, have_kept = 0, caught_kept = 0;
	enum { RATES = 8 };
	char rate_name[RATES][32];
	size_t rate_have[RATES] = { 0 }, rate_caught[RATES] = { 0 }, nrates = 0;
	uint32_t *seen = xcalloc(ndocs, sizeof(*seen));
	uint64_t *ordered = NULL;
	size_t ocap = 0, empties = 0;
	for (size_t i = 0; i < ndocs; i++) {
		struct doc *d = &docs[i];
		int found = 0, kept_at = 0;
		if (!d->n) {
			found = empties++ > 0;
		} else {
			if (ocap < d->n) {
				ocap = d->n;
				ordered = xreallocarray(ordered, ocap, sizeof(*ordered));
			}
			memcpy(ordered, d->sh, d->n * sizeof(*ordered));
			qsort(ordered, d->n, sizeof(*ordered), by_rarity);
			size_t prefix = d->n - (size_t)ceil(t * (double)d->n - 1e-9) + 1;
			if (prefix > d->n)
				prefix = d->n;
			for (size_t k = 0; k < prefix && !(found && kept_at); k++) {
				struct entry *e = lookup(ordered[k]);
				for (uint32_t p = 0; p < e->npost && !(found && kept_at); p++) {
					uint32_t j = e->post[p];
					if (seen[j] == i + 1)
						continue;
					seen[j] = (uint32_t)i + 1;
					double s = jaccard(d, &docs[j]);
					if (s < t)
						continue;
					found = 1;
					if (!docs[j].dup_of)
						kept_at = 1;
				}
			}
			for (size_t k = 0; k < prefix; k++) {
				struct entry *e = lookup(ordered[k]);
				if (e->npost == e->cpost) {
					e->cpost = e->cpost ? 2 * e->cpost : 4;
					e->post = xreallocarray(e->post, e->cpost, sizeof(*e->post));
				}
				e->post[e->npost++] = (uint32_t)i;
			}
		}
		if (!found)
			continue;
		have++;
		caught += d->dup_of != NULL;
		have_kept += kept_at;
		caught_kept += kept_at && d->dup_of;
		const char *edit = strstr(d->id, "~edit-");
		if (edit) {
			size_t r = 0;
			while (r < nrates && strcmp(rate_name[r], edit + 6))
				r++;
			if (r == nrates && nrates < RATES)
				snprintf(rate_name[nrates++], sizeof(*rate_name), "%s", edit + 6);
			if (r < nrates) {
				rate_have[r]++;
				rate_caught[r] += d->dup_of != NULL;
			}
		}
	}
	printf("records %zu\n", ndocs);
	printf("marked %zu\n", marked);
	printf("marked_at_0.7 %zu\n", good);
	printf("precision %.4f\n", marked ? (double)good / (double)marked : 1.0);
	printf("with_earlier_at_%g %zu\n", t, have);
	printf("caught %zu\n", caught);
	printf("recall %.4f\n", have ? (double)caught / (double)have : 1.0);
	printf("with_kept_earlier_at_%g %zu\n", t, have_kept);
	printf("recall_kept %.4f (%zu of %zu)\n",
	       have_kept ? (double)caught_kept / (double)have_kept : 1.0, caught_kept, have_kept);
	for (size_t r = 0; r < nrates; r++)
		printf("recall_edit_%s %.4f (%zu of %zu)\n", rate_name[r],
		       rate_have[r] ? (double)rate_caught[r] / (double)rate_have[r] : 1.0,
		       rate_caught[r], rate_have[r]);
	return 0;
}
