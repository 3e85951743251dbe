/* sample.c: bottom-k sample by bytes; see sample.h. */
#include "sample.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void sample_init(struct sample *s, size_t budget)
{
	memset(s, 0, sizeof(*s));
	s->budget = budget;
}

void sample_release(struct sample *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->heap[i].text);
	free(s->heap);
	memset(s, 0, sizeof(*s));
}

/* Items with equal hashes are ordered by their text, so that the kept
 * set is the same whatever the order they came in. */
static int item_less(const struct sample_item *a, const struct sample_item *b)
{
	if (a->hash != b->hash)
		return a->hash < b->hash;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->text, b->text, n);
	return c ? c < 0 : a->len < b->len;
}

static void swap(struct sample_item *a, struct sample_item *b)
{
	struct sample_item t = *a;
	*a = *b;
	*b = t;
}

static void sift_down(struct sample_item *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, top = i;
		if (l < n && item_less(&h[top], &h[l]))
			top = l;
		if (r < n && item_less(&h[top], &h[r]))
			top = r;
		if (top == i)
			return;
		swap(&h[i], &h[top]);
		i = top;
	}
}

static void sift_up(struct sample_item *h, size_t i)
{
	while (i > 0 && item_less(&h[(i - 1) / 2], &h[i])) {
		swap(&h[i], &h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

static void pop_max(struct sample *s)
{
	s->bytes -= s->heap[0].len;
	free(s->heap[0].text);
	s->heap[0] = s->heap[--s->n];
	sift_down(s->heap, s->n, 0);
}

void sample_add(struct sample *s, uint64_t hash, const char *text, size_t len)
{
	/* A text longer than the budget: its first budget bytes, cut
	 * before a UTF-8 sequence, as if that were the text. */
	if (len > s->budget && s->budget) {
		len = s->budget;
		while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
			len--;
	}
	struct sample_item item = { hash, (char *)text, len };
	/* Full, and this item comes after every kept one: not wanted. */
	if (s->n && s->bytes >= s->budget && !item_less(&item, &s->heap[0]))
		return;
	if (s->n == s->cap) {
		s->cap = grow_capacity(s->cap, s->n + 1, 64);
		s->heap = xreallocarray(s->heap, s->cap, sizeof(*s->heap));
	}
	item.text = xmalloc(len ? len : 1);
	memcpy(item.text, text, len);
	s->heap[s->n++] = item;
	s->bytes += len;
	sift_up(s->heap, s->n - 1);
	/* Drop the largest hashes while the rest still fill the budget. */
	while (s->n > 1 && s->bytes - s->heap[0].len >= s->budget)
		pop_max(s);
}

void sample_merge(struct sample *dst, const struct sample *src)
{
	for (size_t i = 0; i < src->n; i++)
		sample_add(dst, src->heap[i].hash, src->heap[i].text, src->heap[i].len);
}

static int cmp_items(const void *a, const void *b)
{
	const struct sample_item *x = a, *y = b;
	return item_less(x, y) ? -1 : item_less(y, x) ? 1 : 0;
}

void sample_sort(struct sample *s)
{
	if (s->n)
		qsort(s->heap, s->n, sizeof(*s->heap), cmp_items);
}
