/* llm_stage.h: the ordered stage of a program that asks an LLM server
 * about its records (synth-gen complete, synth-score --judge), on the
 * record loop (lib/records.h).
 *
 * The program's ordered stage hands the stage its items, in input
 * order, each with the request body to send (or none, when the answer
 * is known already: a --resume journal held it). The stage keeps a
 * window of requests in flight across blocks through lib/chat, and
 * calls the program back for each item in input order once its request
 * finished, with the emit of the block being handled then: what the
 * callback emits or rejects goes out with that block. The program's
 * finish stage drains what is left.
 *
 * Items are the program's: the stage holds the pointers and gives each
 * back exactly once, to `done` (answered, failed or known) or, for the
 * items left when the client stopped (the circuit breaker, a budget),
 * to `drop`, which frees it.
 */
#ifndef SYNTH_LLM_STAGE_H
#define SYNTH_LLM_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "chat.h"
#include "records.h"
#include "strbuf.h"

/* An item's turn: d is its finished request, or NULL for an item added
 * without one. The callback owns the item from here, and d->body. */
typedef void llm_done_fn(void *arg, void *item, struct chat_done *d, struct emit *e);
/* An item that will not have its turn: free it. */
typedef void llm_drop_fn(void *arg, void *item);

struct llm_stage;

/* A stage with a client of cfg, that keeps up to `window` items waiting
 * between two blocks (more while a block's own are added). */
struct llm_stage *llm_stage_new(const struct chat_config *cfg, size_t window, llm_done_fn *done,
				llm_drop_fn *drop, void *arg);

/* Free the stage: the items it still holds go to `drop`. NULL-safe. */
void llm_stage_free(struct llm_stage *s);

/* Add an item, after every item added before it; body[0..n) is its
 * request, or body NULL when it needs none. */
void llm_stage_add(struct llm_stage *s, void *item, const char *body, size_t n);

/* Move the requests on and give back the items whose turn came, into
 * e, until at most `keep` items wait (0: every one). Returns 0, or -1
 * when the client stopped (its breaker, its budget), with the reason
 * in *why; the items given back until then stay given. */
int llm_stage_drain(struct llm_stage *s, size_t keep, struct emit *e, struct strbuf *why);

/* Items added and not yet given back. */
size_t llm_stage_waiting(const struct llm_stage *s);

/* The tokens its answers used. */
const struct chat_usage *llm_stage_usage(const struct llm_stage *s);

#endif
