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
 *
 * A program that checks its answers (synth-gen complete --json-schema)
 * gives the stage a `check` callback: each answer with content, asked or
 * held by the journal, goes to it before the item's turn, and the check
 * may ask again with another request (a follow-up message) instead of
 * taking the answer. The item then waits for that request's answer,
 * which goes to the check in its turn; only the answer the check takes
 * goes to `done`. Every answer is journaled under the hash of its own
 * request, so that --resume replays the same chain of requests without
 * asking any of them again.
 *
 * Under --resume the stage keeps the journal (lib/journal) of the -o
 * file, FILE.partial, locked on FILE (lib/file_lock) while the run
 * lasts: each answer is appended as soon as it came, and an item whose
 * request the journal answered is not asked again. A line is
 *
 *   {"request":"HASH","program":P,"settings":S,"id":ID,"answer":A}
 *
 * HASH the 64-bit hash of the request body in 16 hex digits, the key; P
 * the program ("synth-gen complete"); S the run's settings, a JSON
 * object (the model, the parameters, the seed): a journal made with
 * other settings is refused, not finished; ID the item's id, for a
 * person reading the file; A the answer, a chat completion cut down to
 * what synth reads (chat_answer_read(): content, reasoning,
 * finish_reason and usage). Two items that make one request each take
 * an answer of their own: a request the journal holds once is asked
 * again for the second.
 */
#ifndef SYNTH_LLM_STAGE_H
#define SYNTH_LLM_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "chat.h"
#include "records.h"
#include "strbuf.h"

/* An item's turn: d is its finished request, or the answer the journal
 * held (d->resumed). The callback owns the item from here, and d->body. */
typedef void llm_done_fn(void *arg, void *item, struct chat_done *d, struct emit *e);
/* An item that will not have its turn: free it. */
typedef void llm_drop_fn(void *arg, void *item);
/* The answer d (CHAT_ANSWER, asked or the journal's) of an item: 0 to
 * take it (it goes to `done` in the item's turn), or 1 with the request
 * body to send instead in *again (empty when called; the stage frees
 * d->body then). Called on the stage's thread, before the item's turn. */
typedef int llm_check_fn(void *arg, void *item, const struct chat_done *d, struct strbuf *again);

struct llm_stage;

/* A stage with a client of cfg, that keeps up to `window` items waiting
 * between two blocks (more while a block's own are added). */
struct llm_stage *llm_stage_new(const struct chat_config *cfg, size_t window, llm_done_fn *done,
				llm_drop_fn *drop, void *arg);

/* Check each answer with `check` before taking it; before the first
 * llm_stage_add(). */
void llm_stage_set_check(struct llm_stage *s, llm_check_fn *check);

/* Free the stage: the items it still holds go to `drop`. NULL-safe. */
void llm_stage_free(struct llm_stage *s);

/* What a program's journal says of it. */
struct llm_journal_spec {
	const char *program;	/* "synth-score --judge" */
	const char *noun;	/* a line in messages: "judgement" */
	const char *settings;	/* a JSON object on one line */
	double wait_lock;	/* --wait-lock */
};

/* --resume for the output `output` (-o FILE): lock FILE, read
 * FILE.partial back (checking that each line is the program's, made
 * with these settings), and keep every answer from now on. Returns 0,
 * or -1 after printing an error (nothing held then). */
int llm_stage_resume(struct llm_stage *s, const char *output, const struct llm_journal_spec *spec);

/* Add an item, after every item added before it; body[0..n) is its
 * request, id[0..idn) its id as JSON for the journal (NULL: null).
 * Returns 1 when the journal held its answer (no request made: with a
 * check, every answer the check asked for too), else 0. */
int llm_stage_add(struct llm_stage *s, void *item, const char *body, size_t n, const char *id,
		  size_t idn);

/* Move the requests on and give back the items whose turn came, into
 * e, until at most `keep` items wait (0: every one). Returns 0, or -1
 * when the client stopped (its breaker, its budget), with the reason
 * in *why; the items given back until then stay given. */
int llm_stage_drain(struct llm_stage *s, size_t keep, struct emit *e, struct strbuf *why);

/* Items added and not yet given back. */
size_t llm_stage_waiting(const struct llm_stage *s);

/* The tokens its answers used (not those of answers the journal held). */
const struct chat_usage *llm_stage_usage(const struct llm_stage *s);

/* The journal: its name (NULL without --resume), the answers it holds
 * (read back and added), and of those read back the ones no item took. */
const char *llm_stage_journal_path(const struct llm_stage *s);
uint64_t llm_stage_journal_lines(const struct llm_stage *s);
uint64_t llm_stage_journal_unused(const struct llm_stage *s);

/* End the journal: removed when `done` (the output holds its answers),
 * else synced and kept for the next run; then the lock is let go.
 * Returns 0, or -1 after printing an error. Nothing without --resume. */
int llm_stage_journal_end(struct llm_stage *s, int done);

/* Add ", N requests, R/s" to a progress line: the requests finished
 * (answered or failed for good; not the answers the journal held) and
 * their rate since the stage began. */
void llm_stage_progress(const struct llm_stage *s, struct strbuf *line);

/* The -v line of the requests: "120 requests in 34.20 s (3.5
 * requests/s), 40 answers from the journal". */
void llm_stage_summary(const struct llm_stage *s);

#endif
