/* llm_stage.c: requests in flight across blocks, answers in input
 * order; see llm_stage.h. */
#include "llm_stage.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"

/* An item from its adding to its turn. */
struct slot {
	void *item;
	int asked;		/* a request was submitted for it */
	int finished;		/* its request finished: d holds it */
	struct chat_done d;
};

struct llm_stage {
	struct chat_client *client;
	llm_done_fn *done;
	llm_drop_fn *drop;
	void *arg;
	size_t window;
	/* The items in order: a ring of cap slots, head the next to go. */
	struct slot *ring;
	size_t cap;
	uint64_t head, tail;	/* item numbers: head <= i < tail are held */
};

struct llm_stage *llm_stage_new(const struct chat_config *cfg, size_t window, llm_done_fn *done,
				llm_drop_fn *drop, void *arg)
{
	struct llm_stage *s = xcalloc(1, sizeof(*s));
	s->client = chat_new(cfg);
	s->done = done;
	s->drop = drop;
	s->arg = arg;
	s->window = window ? window : 1;
	s->cap = 64;
	s->ring = xcalloc(s->cap, sizeof(*s->ring));
	return s;
}

static struct slot *slot_of(const struct llm_stage *s, uint64_t i)
{
	return &s->ring[i % s->cap];
}

void llm_stage_free(struct llm_stage *s)
{
	if (!s)
		return;
	for (uint64_t i = s->head; i < s->tail; i++) {
		struct slot *sl = slot_of(s, i);
		if (sl->finished)
			strbuf_release(&sl->d.body);
		s->drop(s->arg, sl->item);
	}
	chat_free(s->client);
	free(s->ring);
	free(s);
}

void llm_stage_add(struct llm_stage *s, void *item, const char *body, size_t n)
{
	if (s->tail - s->head == s->cap) {
		/* A larger ring, the items at the same numbers modulo it. */
		size_t cap = s->cap * 2;
		struct slot *ring = xcalloc(cap, sizeof(*ring));
		for (uint64_t i = s->head; i < s->tail; i++)
			ring[i % cap] = *slot_of(s, i);
		free(s->ring);
		s->ring = ring;
		s->cap = cap;
	}
	uint64_t i = s->tail++;
	struct slot *sl = slot_of(s, i);
	memset(sl, 0, sizeof(*sl));
	sl->item = item;
	if (body) {
		sl->asked = 1;
		chat_submit(s->client, i, body, n);
	}
}

size_t llm_stage_waiting(const struct llm_stage *s)
{
	return (size_t)(s->tail - s->head);
}

const struct chat_usage *llm_stage_usage(const struct llm_stage *s)
{
	return chat_usage_of(s->client);
}

/* Take the finished requests, and give back the items at the head whose
 * turn came. */
static void take_and_give(struct llm_stage *s, struct emit *e)
{
	struct chat_done d;
	while (chat_take(s->client, &d)) {
		if (d.tag < s->head || d.tag >= s->tail)
			BUG("a finished request of no item (%llu)", (unsigned long long)d.tag);
		struct slot *sl = slot_of(s, d.tag);
		sl->d = d;
		sl->finished = 1;
	}
	while (s->head < s->tail) {
		struct slot *sl = slot_of(s, s->head);
		if (sl->asked && !sl->finished)
			break;
		s->head++;
		s->done(s->arg, sl->item, sl->asked ? &sl->d : NULL, e);
	}
}

int llm_stage_drain(struct llm_stage *s, size_t keep, struct emit *e, struct strbuf *why)
{
	take_and_give(s, e);
	while (llm_stage_waiting(s) > keep) {
		/* A second at most: chat_run returns as soon as one finishes. */
		if (chat_run(s->client, 1, why) < 0) {
			take_and_give(s, e);
			return -1;
		}
		take_and_give(s, e);
	}
	return 0;
}
