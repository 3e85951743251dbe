/* llm_stage.c: requests in flight across blocks, answers in input
 * order, and the --resume journal; see llm_stage.h. */
#include "llm_stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"
#include "file_lock.h"
#include "hash.h"
#include "journal.h"
#include "json.h"
#include "keymap.h"

/* An item from its adding to its turn. */
struct slot {
	void *item;
	int asked;		/* a request was submitted for it */
	int finished;		/* its request finished, or the journal answered: d holds it */
	uint64_t request;	/* the hash of its request body */
	struct strbuf id;	/* its id as JSON, for the journal */
	struct chat_done d;
};

/* An answer the journal held: where it is in the file, and the next
 * answer to the same request. */
struct held {
	uint64_t offset;
	size_t len;
	uint64_t next;		/* index + 1 of the next; 0: none */
};

/* The --resume journal of a stage. */
struct stage_journal {
	int open;
	struct journal j;
	struct file_lock lock;
	struct llm_journal_spec spec;
	char *settings;		/* owned copy of spec.settings */
	char *path;		/* FILE.partial, owned */
	struct keymap first;	/* request -> index + 1 of its first held answer */
	struct held *held;
	size_t nheld, cheld;
	uint64_t unused;	/* held answers no item took yet */
	int failed;		/* an append failed: the run stops */
	struct strbuf line;
};

struct llm_stage {
	struct chat_client *client;
	llm_done_fn *done;
	llm_drop_fn *drop;
	llm_check_fn *check;	/* NULL: every answer taken */
	struct strbuf again;	/* the check's next request */
	void *arg;
	size_t window;
	/* The items in order: a ring of cap slots, head the next to go. */
	struct slot *ring;
	size_t cap;
	uint64_t head, tail;	/* item numbers: head <= i < tail are held */
	struct stage_journal journal;
	uint64_t requests;	/* requests finished (answered or failed) */
	uint64_t resumed;	/* answers taken from the journal */
	double started;
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
	s->journal.lock = (struct file_lock)FILE_LOCK_INIT;
	strbuf_init(&s->journal.line);
	strbuf_init(&s->again);
	s->started = now_seconds();
	return s;
}

void llm_stage_set_check(struct llm_stage *s, llm_check_fn *check)
{
	s->check = check;
}

static struct slot *slot_of(const struct llm_stage *s, uint64_t i)
{
	return &s->ring[i % s->cap];
}

static void journal_free(struct stage_journal *jn)
{
	if (jn->open)
		journal_release(&jn->j);
	jn->open = 0;
	file_unlock(&jn->lock);
	keymap_release(&jn->first);
	free(jn->held);
	jn->held = NULL;
	jn->nheld = jn->cheld = 0;
	free(jn->settings);
	jn->settings = NULL;
	free(jn->path);
	jn->path = NULL;
}

void llm_stage_free(struct llm_stage *s)
{
	if (!s)
		return;
	for (uint64_t i = s->head; i < s->tail; i++) {
		struct slot *sl = slot_of(s, i);
		if (sl->finished)
			strbuf_release(&sl->d.body);
		strbuf_release(&sl->id);
		s->drop(s->arg, sl->item);
	}
	chat_free(s->client);
	free(s->ring);
	journal_free(&s->journal);
	strbuf_release(&s->journal.line);
	strbuf_release(&s->again);
	free(s);
}

/* The 16 hex digits of the JSON string v into *key: 1, or 0 when v is
 * not such a string. */
static int hex_key(const struct json_value *v, uint64_t *key)
{
	if (v->type != JSON_STRING || v->len != 18)
		return 0;
	*key = 0;
	for (size_t i = 1; i < 17; i++) {
		char c = v->p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return 0;
		*key = *key << 4 | (uint64_t)d;
	}
	return 1;
}

/* Is the JSON value v the text want? */
static int value_is(const struct json_value *v, const char *want, size_t n)
{
	return v->len == n && !memcmp(v->p, want, n);
}

/* A line of the journal read back: the program's, made with this run's
 * settings (else the journal is refused: its answers are not this
 * run's), its answer kept by request. */
static int journal_line(void *arg, const char *p, size_t n, uint64_t lineno, uint64_t offset)
{
	struct stage_journal *jn = arg;
	struct json_error err;
	struct json_value req, program, settings, answer;
	uint64_t key;
	struct strbuf want = STRBUF_INIT;
	json_add_cstr(&want, jn->spec.program);
	int ours = json_check_record(p, n, &err) == 0 && json_get(p, n, "request", &req) &&
		   hex_key(&req, &key) && json_get(p, n, "program", &program) &&
		   value_is(&program, want.buf, want.len) && json_get(p, n, "settings", &settings) &&
		   json_get(p, n, "answer", &answer) && answer.type == JSON_OBJECT;
	strbuf_release(&want);
	if (!ours)
		return error("%s:%llu: not a %s of %s; --resume needs the file it left", jn->path,
			     (unsigned long long)lineno, jn->spec.noun, jn->spec.program);
	if (!value_is(&settings, jn->settings, strlen(jn->settings)))
		return error("%s:%llu: an answer made with another model, other parameters or another "
			     "seed; --resume finishes a run with the settings it began with",
			     jn->path, (unsigned long long)lineno);
	if (jn->nheld == jn->cheld) {
		jn->cheld = grow_capacity(jn->cheld, jn->nheld + 1, 256);
		jn->held = xreallocarray(jn->held, jn->cheld, sizeof(*jn->held));
	}
	/* At the end of the chain of its request: the answers are taken
	 * in the order they came. */
	struct held *h = &jn->held[jn->nheld++];
	h->offset = offset + (uint64_t)(answer.p - p);
	h->len = answer.len;
	h->next = 0;
	uint64_t at;
	if (!keymap_get(&jn->first, key, &at)) {
		keymap_put(&jn->first, key, jn->nheld);
	} else {
		while (jn->held[at - 1].next)
			at = jn->held[at - 1].next;
		jn->held[at - 1].next = jn->nheld;
	}
	jn->unused++;
	return 0;
}

int llm_stage_resume(struct llm_stage *s, const char *output, const struct llm_journal_spec *spec)
{
	struct stage_journal *jn = &s->journal;
	struct strbuf path = STRBUF_INIT;
	journal_path(output, &path);
	jn->spec = *spec;
	jn->settings = xstrdup(spec->settings);
	jn->path = xstrdup(path.buf);
	strbuf_release(&path);
	keymap_init(&jn->first);
	/* The journal is read back and added to: one run at a time,
	 * locked on the -o file. */
	if (file_lock(&jn->lock, output, spec->wait_lock) < 0 ||
	    journal_open(&jn->j, jn->path, journal_line, jn) < 0) {
		journal_free(jn);
		return -1;
	}
	jn->open = 1;
	if (jn->j.lines)
		info("--resume: %llu %ss already in %s", (unsigned long long)jn->j.lines, spec->noun,
		     jn->path);
	return 0;
}

/* The answer the journal holds for request `key`, taken, into *d: 1,
 * or 0 when it holds none (left). -1 when it could not be read. */
static int journal_take(struct stage_journal *jn, uint64_t key, struct chat_done *d)
{
	uint64_t at;
	if (!jn->open || !keymap_get(&jn->first, key, &at) || !at)
		return 0;
	struct held *h = &jn->held[at - 1];
	keymap_put(&jn->first, key, h->next);
	jn->unused--;
	strbuf_init(&d->body);
	if (journal_read(&jn->j, h->offset, h->len, &d->body) < 0)
		return -1;
	d->outcome = CHAT_ANSWER;
	d->status = 200;
	d->attempts = 0;
	d->resumed = 1;
	return 1;
}

/* The answer body[0..n) (a chat completion with content) cut down to
 * what synth reads, on one line, after out. */
static void answer_kept(const char *body, size_t n, struct strbuf *out)
{
	struct chat_answer a;
	chat_answer_read(body, n, &a);
	strbuf_addstr(out, "{\"choices\":[{\"message\":{\"content\":");
	strbuf_add(out, a.content.p, a.content.len);
	if (a.reasoning.type) {
		strbuf_addstr(out, ",\"reasoning_content\":");
		strbuf_add(out, a.reasoning.p, a.reasoning.len);
	}
	strbuf_addc(out, '}');
	if (a.finish_reason.type) {
		strbuf_addstr(out, ",\"finish_reason\":");
		json_add_compact(out, a.finish_reason.p, a.finish_reason.len);
	}
	strbuf_addstr(out, "}]");
	if (a.usage.type) {
		strbuf_addstr(out, ",\"usage\":");
		json_add_compact(out, a.usage.p, a.usage.len);
	}
	strbuf_addc(out, '}');
}

/* Keep the answer of slot sl in the journal, a line at once, so that a
 * kill loses only the requests in flight. */
static void journal_keep(struct stage_journal *jn, const struct slot *sl)
{
	if (!jn->open || jn->failed)
		return;
	struct strbuf *line = &jn->line;
	strbuf_reset(line);
	strbuf_addf(line, "{\"request\":\"%016llx\",\"program\":", (unsigned long long)sl->request);
	json_add_cstr(line, jn->spec.program);
	strbuf_addstr(line, ",\"settings\":");
	strbuf_addstr(line, jn->settings);
	strbuf_addstr(line, ",\"id\":");
	if (sl->id.len)
		json_add_compact(line, sl->id.buf, sl->id.len);
	else
		strbuf_addstr(line, "null");
	strbuf_addstr(line, ",\"answer\":");
	answer_kept(sl->d.body.buf, sl->d.body.len, line);
	strbuf_addstr(line, "}\n");
	if (journal_append(&jn->j, line->buf, line->len) < 0)
		jn->failed = 1;
}

/* The answer in sl->d (item i) came, asked or from the journal: the
 * check takes it (the slot is finished: 1), or asks again, and the
 * journal's answer to the new request is taken in turn, or the request
 * is sent (0). */
static int slot_answered(struct llm_stage *s, uint64_t i, struct slot *sl)
{
	while (s->check && sl->d.outcome == CHAT_ANSWER) {
		strbuf_reset(&s->again);
		if (!s->check(s->arg, sl->item, &sl->d, &s->again))
			break;
		strbuf_release(&sl->d.body);
		memset(&sl->d, 0, sizeof(sl->d));
		sl->d.tag = i;
		sl->request = hash64(s->again.buf, s->again.len, 0);
		int held = journal_take(&s->journal, sl->request, &sl->d);
		if (held > 0) {
			s->resumed++;
			continue;
		}
		if (held < 0) {
			strbuf_release(&sl->d.body);
			memset(&sl->d, 0, sizeof(sl->d));
			sl->d.tag = i;
			s->journal.failed = 1;
		}
		sl->finished = 0;
		sl->asked = 1;
		chat_submit(s->client, i, s->again.buf, s->again.len);
		return 0;
	}
	sl->finished = 1;
	return 1;
}

int llm_stage_add(struct llm_stage *s, void *item, const char *body, size_t n, const char *id,
		  size_t idn)
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
	sl->request = hash64(body, n, 0);
	strbuf_init(&sl->id);
	if (id)
		strbuf_add(&sl->id, id, idn);
	sl->d.tag = i;
	int held = journal_take(&s->journal, sl->request, &sl->d);
	if (held > 0) {
		s->resumed++;
		return slot_answered(s, i, sl);
	}
	if (held < 0) {
		/* Unreadable: asked again, and the run told to stop. */
		strbuf_release(&sl->d.body);
		s->journal.failed = 1;
	}
	sl->asked = 1;
	chat_submit(s->client, i, body, n);
	return 0;
}

size_t llm_stage_waiting(const struct llm_stage *s)
{
	return (size_t)(s->tail - s->head);
}

const struct chat_usage *llm_stage_usage(const struct llm_stage *s)
{
	return chat_usage_of(s->client);
}

/* Take the finished requests (their answers into the journal), and give
 * back the items at the head whose turn came. */
static void take_and_give(struct llm_stage *s, struct emit *e)
{
	struct chat_done d;
	while (chat_take(s->client, &d)) {
		if (d.tag < s->head || d.tag >= s->tail)
			BUG("a finished request of no item (%llu)", (unsigned long long)d.tag);
		struct slot *sl = slot_of(s, d.tag);
		sl->d = d;
		sl->finished = 1;
		s->requests++;
		if (d.outcome == CHAT_ANSWER)
			journal_keep(&s->journal, sl);
		slot_answered(s, d.tag, sl);
	}
	while (s->head < s->tail) {
		struct slot *sl = slot_of(s, s->head);
		if (!sl->finished)
			break;
		s->head++;
		strbuf_release(&sl->id);
		s->done(s->arg, sl->item, &sl->d, e);
	}
}

/* A journal that failed stops the run: what it could not keep would
 * be asked again at full cost. */
static int journal_stopped(const struct llm_stage *s, struct strbuf *why)
{
	if (!s->journal.failed)
		return 0;
	strbuf_addf(why, "%s: the answers cannot be kept; stopping", s->journal.path);
	return 1;
}

int llm_stage_drain(struct llm_stage *s, size_t keep, struct emit *e, struct strbuf *why)
{
	take_and_give(s, e);
	if (journal_stopped(s, why))
		return -1;
	while (llm_stage_waiting(s) > keep) {
		/* A second at most: chat_run returns as soon as one finishes. */
		if (chat_run(s->client, 1, why) < 0) {
			take_and_give(s, e);
			return -1;
		}
		take_and_give(s, e);
		if (journal_stopped(s, why))
			return -1;
		emit_progress(e);
	}
	return 0;
}

const char *llm_stage_journal_path(const struct llm_stage *s)
{
	return s->journal.path;
}

uint64_t llm_stage_journal_lines(const struct llm_stage *s)
{
	return s->journal.open ? s->journal.j.lines : 0;
}

uint64_t llm_stage_journal_unused(const struct llm_stage *s)
{
	return s->journal.unused;
}

int llm_stage_journal_end(struct llm_stage *s, int done)
{
	struct stage_journal *jn = &s->journal;
	if (!jn->open)
		return 0;
	int rc = done ? journal_remove(&jn->j) : journal_close(&jn->j);
	journal_release(&jn->j);
	jn->open = 0;
	file_unlock(&jn->lock);
	return rc;
}

static double stage_rate(const struct llm_stage *s, double *secs)
{
	*secs = now_seconds() - s->started;
	return *secs > 0 ? (double)s->requests / *secs : 0;
}

void llm_stage_progress(const struct llm_stage *s, struct strbuf *line)
{
	double secs, rate = stage_rate(s, &secs);
	strbuf_addf(line, ", %llu requests, %.*f/s", (unsigned long long)s->requests,
		    rate_decimals(rate), rate);
}

void llm_stage_summary(const struct llm_stage *s)
{
	double secs, rate = stage_rate(s, &secs);
	char resumed[64] = "";
	if (s->resumed)
		snprintf(resumed, sizeof(resumed), ", %llu answers from the journal",
			 (unsigned long long)s->resumed);
	info("%llu requests in %.2f s (%.*f requests/s)%s", (unsigned long long)s->requests, secs,
	     rate_decimals(rate), rate, resumed);
}
