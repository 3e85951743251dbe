/* group_detail.c: the vocabulary and perplexity sample of each group of
 * --by; see group_detail.h. */
#include "group_detail.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void group_details_init(struct group_details *t)
{
	memset(t, 0, sizeof(*t));
	words_init(&t->ws);
}

static void detail_free(struct group_detail *g)
{
	if (!g)
		return;
	strtab_key_release(&g->k);
	free(g->vocab);
	value_sample_release(&g->ppl);
	free(g);
}

void group_details_release(struct group_details *t)
{
	for (size_t i = 0; i < t->groups.cap; i++)
		detail_free((struct group_detail *)t->groups.slots[i]);
	strtab_release(&t->groups);
	words_release(&t->ws);
	memset(t, 0, sizeof(*t));
}

/* --- A group's vocabulary -------------------------------------------- */

static size_t word_slot(const uint64_t *set, size_t cap, uint64_t h)
{
	size_t mask = cap - 1, j = mix64(h) & mask;
	while (set[j] && set[j] != h)
		j = (j + 1) & mask;
	return j;
}

static void vocab_add(struct group_detail *g, uint64_t h)
{
	if (!h) {
		g->has_zero = 1;
		return;
	}
	if ((g->vocab_used + 1) * 2 > g->vocab_cap) {
		size_t cap = grow_capacity(g->vocab_cap, size_mul(g->vocab_used + 1, 2), 16);
		uint64_t *set = xcalloc(cap, sizeof(*set));
		for (size_t i = 0; i < g->vocab_cap; i++)
			if (g->vocab[i])
				set[word_slot(set, cap, g->vocab[i])] = g->vocab[i];
		free(g->vocab);
		g->vocab = set;
		g->vocab_cap = cap;
	}
	size_t j = word_slot(g->vocab, g->vocab_cap, h);
	if (!g->vocab[j]) {
		g->vocab[j] = h;
		g->vocab_used++;
	}
}

static int vocab_has(const struct group_detail *g, uint64_t h)
{
	if (!h)
		return g->has_zero;
	return g->vocab_cap && g->vocab[word_slot(g->vocab, g->vocab_cap, h)] == h;
}

/* --- The groups -------------------------------------------------------- */

struct group_detail *group_details_find(const struct group_details *t, const char *key,
					size_t len)
{
	return strtab_find(&t->groups, key, len);
}

static struct group_detail *get(struct group_details *t, const char *key, size_t len)
{
	struct strtab_key **slot = strtab_slot(&t->groups, key, len);
	if (!*slot) {
		struct group_detail *g = xcalloc(1, sizeof(*g));
		strtab_key_init(&g->k, key, len);
		value_sample_init(&g->ppl, GROUP_PERPLEXITY_SAMPLE);
		*slot = &g->k;
		strtab_added(&t->groups);
	}
	return (struct group_detail *)*slot;
}

void group_details_add(struct group_details *t, const char *key, size_t keylen,
		       const char *text, size_t len, uint64_t hash)
{
	struct group_detail *g = get(t, key, keylen);
	text_words(text, len, &t->ws);
	for (size_t i = 0; i < t->ws.n; i++) {
		uint64_t pre[2];
		words_prefix(&t->ws, i, pre);
		vocab_add(g, words_hash(&t->ws, i, pre));
	}
	value_sample_defer(&g->ppl, hash, text, len);
}

void group_details_merge(struct group_details *dst, struct group_details *src)
{
	for (size_t i = 0; i < src->groups.cap; i++) {
		struct group_detail *s = (struct group_detail *)src->groups.slots[i];
		if (!s)
			continue;
		struct group_detail *g = get(dst, s->k.key, s->k.keylen);
		for (size_t j = 0; j < s->vocab_cap; j++)
			if (s->vocab[j])
				vocab_add(g, s->vocab[j]);
		if (s->has_zero)
			g->has_zero = 1;
		value_sample_merge(&g->ppl, &s->ppl);
	}
	group_details_release(src);
	group_details_init(src);
}

double group_vocab_kept(const struct group_detail *in, const struct group_detail *ref)
{
	size_t types = ref ? ref->vocab_used + (size_t)ref->has_zero : 0;
	if (!types)
		return NAN;
	if (!in)
		return 0;
	size_t found = ref->has_zero && in->has_zero;
	for (size_t i = 0; i < ref->vocab_cap; i++)
		if (ref->vocab[i])
			found += vocab_has(in, ref->vocab[i]);
	return (double)found / (double)types;
}

double group_perplexity_median(const struct group_detail *g)
{
	if (!g || !g->ppl.n)
		return NAN;
	double *v = xreallocarray(NULL, g->ppl.n, sizeof(*v));
	value_sample_values(&g->ppl, v);
	double m = quantile_sorted(v, g->ppl.n, 0.5);
	free(v);
	return m;
}
