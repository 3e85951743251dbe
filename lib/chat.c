/* chat.c: the chat-completions client; see chat.h. */
#include "chat.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "diag.h"
#include "json.h"
#include "prng.h"

struct req {
	uint64_t tag;
	struct strbuf body, resp;
	unsigned attempts;
	double not_before;	/* when it may be sent again */
	double retry_after;	/* from the last answer, seconds; 0 none */
	CURL *easy;
	size_t flying_at;	/* its place in the client's flying, while in flight */
	size_t max_response;	/* the client's bound on resp */
	int too_big;		/* the answer passed it */
	int renamed;		/* max_tokens went as max_completion_tokens, or
				 * the body was checked for it */
	char curl_error[CURL_ERROR_SIZE];
};

struct chat_client {
	struct chat_config cfg;
	struct strbuf url;
	struct strbuf shown;	/* url as messages show it: no credentials, no query */
	CURLM *multi;
	struct curl_slist *headers;
	struct req **waiting;	/* submitted or to be retried, in order */
	size_t nwait, cwait;
	struct req **flying;	/* in flight, in no order */
	size_t in_flight, cflying;
	double limit;
	struct chat_done *done;	/* finished, not yet taken */
	size_t ndone, cdone, taken;
	size_t pending;
	double last_success;
	double started;		/* when the client was set up */
	int ready;		/* an answer came: the server is up */
	int completion_tokens;	/* the server wants max_completion_tokens */
	int probed;		/* the probe answered 200, or there is none */
	unsigned failed_since;	/* attempts failed since the last success */
	char last_error[CHAT_MESSAGE_MAX + 64];
	struct chat_usage usage;
	struct prng rng;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	/* An answer past the bound (a runaway generation, a wrong URL
	 * that streams a file) is not buffered: the transfer fails. */
	if (size * n > r->max_response - r->resp.len) {
		r->too_big = 1;
		return 0;
	}
	strbuf_add(&r->resp, p, size * n);
	return size * n;
}

double chat_retry_after(const char *p, size_t len)
{
	if (len <= 12 || strncasecmp(p, "Retry-After:", 12))
		return 0;
	char v[32];
	size_t k = len - 12 < sizeof(v) - 1 ? len - 12 : sizeof(v) - 1;
	memcpy(v, p + 12, k);
	v[k] = '\0';
	double s = strtod(v, NULL);
	/* Seconds; an HTTP date is not read, and counts as none. */
	return s > 0 && s < 86400 ? s : 0;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct req *r = arg;
	size_t len = size * n;
	double s = chat_retry_after(p, len);
	if (s > 0)
		r->retry_after = s;
	return len;
}

void chat_request_url(const char *given, struct strbuf *url, struct strbuf *shown)
{
	/* The query (and a fragment, which is never sent) stays after
	 * the path. */
	size_t base = strcspn(given, "?#");
	const char *query = given[base] == '?' ? given + base : "";
	size_t qlen = strcspn(query, "#");
	strbuf_reset(url);
	strbuf_add(url, given, base);
	while (url->len && url->buf[url->len - 1] == '/')
		strbuf_setlen(url, url->len - 1);
	const char *tail = "/chat/completions";
	if (url->len < strlen(tail) || strcmp(url->buf + url->len - strlen(tail), tail)) {
		size_t v1 = strlen("/v1");
		if (url->len < v1 || strcmp(url->buf + url->len - v1, "/v1"))
			strbuf_addstr(url, "/v1");
		strbuf_addstr(url, tail);
	}
	/* What messages show: no user or password in the authority, and
	 * no query, where keys are put too. */
	strbuf_reset(shown);
	const char *scheme = strstr(url->buf, "://");
	size_t from = scheme ? (size_t)(scheme - url->buf) + 3 : 0;
	size_t auth_end = from + strcspn(url->buf + from, "/");
	size_t at = from;
	for (size_t i = from; i < auth_end; i++)
		if (url->buf[i] == '@')
			at = i + 1;
	strbuf_add(shown, url->buf, from);
	strbuf_add(shown, url->buf + at, url->len - at);
	if (qlen)
		strbuf_addstr(shown, "?...");
	strbuf_add(url, query, qlen);
}

void chat_probe_url(const char *given, const char *probe, struct strbuf *url, struct strbuf *shown)
{
	struct strbuf full = STRBUF_INIT, full_shown = STRBUF_INIT;
	chat_request_url(given, &full, &full_shown);
	/* The scheme and the authority of each, then the probe's path. */
	const struct strbuf *from[2] = { &full, &full_shown };
	struct strbuf *to[2] = { url, shown };
	for (int i = 0; i < 2; i++) {
		const char *b = from[i]->buf, *scheme = strstr(b, "://");
		size_t at = scheme ? (size_t)(scheme - b) + 3 : 0;
		at += strcspn(b + at, "/?");
		strbuf_reset(to[i]);
		strbuf_add(to[i], b, at);
		strbuf_addstr(to[i], probe);
		/* The query, where a key may be (shown as "?..."). */
		const char *q = strchr(b + at, '?');
		if (q)
			strbuf_addstr(to[i], q);
	}
	strbuf_release(&full);
	strbuf_release(&full_shown);
}

struct chat_client *chat_new(const struct chat_config *cfg)
{
	static int inited;
	if (!inited) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT))
			die("cannot set up libcurl");
		inited = 1;
	}
	struct chat_client *c = xcalloc(1, sizeof(*c));
	c->cfg = *cfg;
	strbuf_init(&c->url);
	strbuf_init(&c->shown);
	chat_request_url(cfg->url, &c->url, &c->shown);
	c->multi = curl_multi_init();
	if (!c->multi)
		die("cannot set up libcurl");
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip before a body. */
	c->headers = curl_slist_append(c->headers, "Expect:");
	if (cfg->api_key) {
		struct strbuf h = STRBUF_INIT;
		strbuf_addf(&h, "Authorization: Bearer %s", cfg->api_key);
		c->headers = curl_slist_append(c->headers, h.buf);
		memset(h.buf, 0, h.len);
		strbuf_release(&h);
	}
	c->limit = cfg->concurrency;
	c->probed = !cfg->probe;
	c->last_success = c->started = now_seconds();
	prng_seed(&c->rng, cfg->seed ^ 0x6a6974746572ull); /* "jitter" */
	return c;
}

static void req_free(struct req *r)
{
	strbuf_release(&r->body);
	strbuf_release(&r->resp);
	free(r);
}

void chat_free(struct chat_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nwait; i++)
		req_free(c->waiting[i]);
	free(c->waiting);
	/* Transfers still in flight (a stop by the breaker). */
	for (size_t i = 0; i < c->in_flight; i++) {
		curl_multi_remove_handle(c->multi, c->flying[i]->easy);
		curl_easy_cleanup(c->flying[i]->easy);
		req_free(c->flying[i]);
	}
	free(c->flying);
	for (size_t i = c->taken; i < c->ndone; i++)
		strbuf_release(&c->done[i].body);
	free(c->done);
	curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->headers);
	strbuf_release(&c->url);
	strbuf_release(&c->shown);
	free(c);
}

static void wait_push(struct chat_client *c, struct req *r)
{
	if (c->nwait == c->cwait) {
		c->cwait = grow_capacity(c->cwait, c->nwait + 1, 64);
		c->waiting = xreallocarray(c->waiting, c->cwait, sizeof(*c->waiting));
	}
	c->waiting[c->nwait++] = r;
}

void chat_submit(struct chat_client *c, uint64_t tag, const char *body, size_t n)
{
	struct req *r = xcalloc(1, sizeof(*r));
	r->tag = tag;
	strbuf_init(&r->body);
	strbuf_init(&r->resp);
	strbuf_add(&r->body, body, n);
	wait_push(c, r);
	c->pending++;
}

size_t chat_pending(const struct chat_client *c)
{
	return c->pending;
}

unsigned chat_in_flight(const struct chat_client *c)
{
	return (unsigned)c->in_flight;
}

double chat_limit(const struct chat_client *c)
{
	return c->limit;
}

/* Is the JSON text v exactly text? */
static int value_named(const struct json_value *v, const char *text)
{
	return v->len == strlen(text) && !memcmp(v->p, text, v->len);
}

/* The request body with its member max_tokens named
 * max_completion_tokens, as OpenAI's reasoning models want it: 1, or 0
 * when the body has no max_tokens (or has both, which the server would
 * refuse either way). */
static int rename_max_tokens(struct strbuf *body)
{
	struct json_value obj = { body->buf, body->len, JSON_OBJECT, 0 }, name, value;
	size_t pos = 0, at = 0, len = 0;
	int found = 0;
	while (json_object_next(&obj, &pos, &name, &value)) {
		if (value_named(&name, "\"max_completion_tokens\""))
			return 0;
		if (value_named(&name, "\"max_tokens\"")) {
			at = (size_t)(name.p - body->buf);
			len = name.len;
			found = 1;
		}
	}
	if (!found)
		return 0;
	struct strbuf b = STRBUF_INIT;
	strbuf_add(&b, body->buf, at);
	strbuf_addstr(&b, "\"max_completion_tokens\"");
	strbuf_add(&b, body->buf + at + len, body->len - at - len);
	strbuf_release(body);
	*body = b;
	return 1;
}

static void start(struct chat_client *c, struct req *r)
{
	/* Once the server said so, every request names it its way. */
	if (c->completion_tokens && !r->renamed) {
		rename_max_tokens(&r->body);
		r->renamed = 1;
	}
	CURL *e = curl_easy_init();
	if (!e)
		die("cannot set up a libcurl transfer");
	r->easy = e;
	r->attempts++;
	r->retry_after = 0;
	r->too_big = 0;
	r->max_response = c->cfg.max_response ? c->cfg.max_response : (size_t)64 << 20;
	r->curl_error[0] = '\0';
	strbuf_reset(&r->resp);
	curl_easy_setopt(e, CURLOPT_URL, c->url.buf);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body.buf);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body.len);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_error);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(c->cfg.timeout * 1000));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->cfg.timeout * 1000));
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "synth-gen/" SYNTH_VERSION);
	curl_multi_add_handle(c->multi, e);
	if (c->in_flight == c->cflying) {
		c->cflying = grow_capacity(c->cflying, c->in_flight + 1, 64);
		c->flying = xreallocarray(c->flying, c->cflying, sizeof(*c->flying));
	}
	r->flying_at = c->in_flight;
	c->flying[c->in_flight++] = r;
}

static int budget_spent(const struct chat_client *c)
{
	return c->cfg.budget && c->usage.prompt + c->usage.completion >= c->cfg.budget;
}

/* Send what may be sent: in submission order, as many as the limit. */
static void start_ready(struct chat_client *c)
{
	if (budget_spent(c))
		return;
	double t = now_seconds();
	size_t k = 0;
	for (size_t i = 0; i < c->nwait; i++) {
		struct req *r = c->waiting[i];
		if (c->in_flight < (size_t)c->limit && r->not_before <= t)
			start(c, r);
		else
			c->waiting[k++] = r;
	}
	c->nwait = k;
}

static void finish(struct chat_client *c, struct req *r, enum chat_outcome outcome, long status,
		   const char *error)
{
	if (c->ndone == c->cdone) {
		/* Reuse the space of what was taken. */
		if (c->taken) {
			memmove(c->done, c->done + c->taken, (c->ndone - c->taken) * sizeof(*c->done));
			c->ndone -= c->taken;
			c->taken = 0;
		}
		if (c->ndone == c->cdone) {
			c->cdone = grow_capacity(c->cdone, c->ndone + 1, 64);
			c->done = xreallocarray(c->done, c->cdone, sizeof(*c->done));
		}
	}
	struct chat_done *d = &c->done[c->ndone++];
	memset(d, 0, sizeof(*d));
	d->tag = r->tag;
	d->outcome = outcome;
	d->status = status;
	d->attempts = r->attempts;
	if (outcome != CHAT_FAILED) {
		d->body = r->resp;	/* the buffer moves to the caller */
		strbuf_init(&r->resp);
	} else {
		strbuf_init(&d->body);
	}
	snprintf(d->error, sizeof(d->error), "%s", error ? error : "");
	req_free(r);
}

/* A count of tokens at path in usage: 1 with *v, or 0. */
static int token_count(const struct json_value *usage, const char *path, uint64_t *v)
{
	struct json_value x;
	if (!json_get(usage->p, usage->len, path, &x) || x.type != JSON_NUMBER)
		return 0;
	for (size_t i = 0; i < x.len; i++)
		if (x.p[i] < '0' || x.p[i] > '9' || i >= 19)
			return 0;
	*v = strtoull(x.p, NULL, 10);
	return 1;
}

void chat_usage_add(struct chat_usage *u, const char *body, size_t n)
{
	struct json_value usage;
	uint64_t v;
	if (!json_get(body, n, "usage", &usage) || usage.type != JSON_OBJECT)
		return;
	u->answers++;
	if (token_count(&usage, "prompt_tokens", &v))
		u->prompt += v;
	if (token_count(&usage, "completion_tokens", &v))
		u->completion += v;
	if (token_count(&usage, "completion_tokens_details.reasoning_tokens", &v))
		u->reasoning += v;
	if (token_count(&usage, "prompt_tokens_details.cached_tokens", &v))
		u->cached += v;
}

const struct chat_usage *chat_usage_of(const struct chat_client *c)
{
	return &c->usage;
}

void chat_schema_name(const char *s, size_t n, struct strbuf *out)
{
	if (!n)
		strbuf_addstr(out, "schema");
	for (size_t k = 0; k < n && k < 64; k++) {
		unsigned char c = (unsigned char)s[k];
		strbuf_addc(out, (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				 c == '_' || c == '-' ? (char)c : '_');
	}
}

void chat_response_format(const char *name, const char *schema, size_t n, int strict,
			  struct strbuf *out)
{
	strbuf_addstr(out, ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":");
	json_add_cstr(out, name);
	strbuf_addstr(out, ",\"schema\":");
	json_add_compact(out, schema, n);
	strbuf_addstr(out, strict ? ",\"strict\":true}}" : ",\"strict\":false}}");
}

int chat_follow_up(const char *body, size_t n, const char *answer, size_t an, const char *user,
		   size_t un, struct strbuf *out)
{
	struct json_value msgs, el;
	strbuf_reset(out);
	if (!json_get(body, n, "messages", &msgs) || msgs.type != JSON_ARRAY)
		return -1;
	size_t pos = 0;
	int some = json_array_next(&msgs, &pos, &el);
	/* Up to the array's closing bracket, then the two messages. */
	size_t end = (size_t)(msgs.p - body) + msgs.len - 1;
	strbuf_add(out, body, end);
	strbuf_addstr(out, some ? ",{\"role\":\"assistant\",\"content\":" :
			  "{\"role\":\"assistant\",\"content\":");
	strbuf_add(out, answer, an);
	strbuf_addstr(out, "},{\"role\":\"user\",\"content\":");
	strbuf_add(out, user, un);
	strbuf_addstr(out, "}");
	strbuf_add(out, body + end, n - end);
	return 0;
}

int chat_answer_read(const char *body, size_t n, struct chat_answer *a)
{
	struct json_value choices;
	size_t pos = 0;
	memset(a, 0, sizeof(*a));
	if (!json_get(body, n, "choices", &choices) || choices.type != JSON_ARRAY ||
	    !json_array_next(&choices, &pos, &a->choice) || a->choice.type != JSON_OBJECT) {
		memset(a, 0, sizeof(*a));
		return 0;
	}
	const char *p = a->choice.p;
	size_t len = a->choice.len;
	json_get(p, len, "message.content", &a->content);
	json_get(p, len, "finish_reason", &a->finish_reason);
	if (!json_get(p, len, "message.refusal", &a->refusal) || a->refusal.type != JSON_STRING)
		a->refusal.type = JSON_NONE;
	/* Both names, the one that holds a string. */
	if ((!json_get(p, len, "message.reasoning_content", &a->reasoning) ||
	     a->reasoning.type != JSON_STRING) &&
	    (!json_get(p, len, "message.reasoning", &a->reasoning) || a->reasoning.type != JSON_STRING))
		a->reasoning.type = JSON_NONE;
	if (!json_get(body, n, "usage", &a->usage) || a->usage.type != JSON_OBJECT)
		a->usage.type = JSON_NONE;
	return 1;
}

/* Append to out what a person can read of s[0..n): control characters
 * and bytes that are not UTF-8 as spaces and '?', cut after about max
 * bytes at a character's start, with "..." when cut. */
static void add_readable(struct strbuf *out, const char *s, size_t n, size_t max)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (n > i && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	size_t start = out->len;
	for (; i < n; ) {
		if (out->len - start >= max) {
			strbuf_addstr(out, "...");
			return;
		}
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f) {
			strbuf_addc(out, ' ');
			i++;
			continue;
		}
		size_t k = utf8_sequence_length((const unsigned char *)s + i, n - i);
		if (!k) {
			strbuf_addc(out, '?');
			i++;
			continue;
		}
		strbuf_add(out, s + i, k);
		i += k;
	}
}

void chat_server_message(const char *body, size_t n, struct strbuf *out)
{
	struct json_error err;
	struct json_value v;
	if (n && json_check_record(body, n, &err) == 0) {
		/* {"error":{"message":...}} (OpenAI, llama-server, vLLM from
		 * 0.10, Ollama's /v1), {"error":"..."} (Ollama's own API),
		 * {"object":"error","message":...} (older vLLM), and
		 * {"detail":...} (FastAPI's own answers, as vLLM's 404 for a
		 * path it does not serve). */
		struct strbuf text = STRBUF_INIT;
		static const char *const paths[] = { "error.message", "error", "message", "detail" };
		for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++)
			if (json_get(body, n, paths[i], &v) && v.type == JSON_STRING) {
				json_decode_string(&v, &text);
				break;
			}
		add_readable(out, text.buf, text.len, CHAT_MESSAGE_MAX);
		strbuf_release(&text);
		return;
	}
	/* An HTML page (of a proxy: "502 Bad Gateway"): its title. */
	const char *t = n > 7 ? memmem(body, n, "<title>", 7) : NULL;
	if (t) {
		const char *from = t + 7, *to = memmem(from, n - (size_t)(from - body), "</title>", 8);
		if (to && to > from) {
			add_readable(out, from, (size_t)(to - from), CHAT_MESSAGE_MAX);
			return;
		}
	}
	/* Other text: its first line that is not blank. */
	size_t at = 0;
	while (at < n) {
		const char *nl = memchr(body + at, '\n', n - at);
		size_t end = nl ? (size_t)(nl - body) : n, k = at;
		while (k < end && (body[k] == ' ' || body[k] == '\t' || body[k] == '\r'))
			k++;
		if (k < end) {
			add_readable(out, body + k, end - k, CHAT_MESSAGE_MAX);
			return;
		}
		at = end + 1;
	}
}

/* What a 200's body is: a chat completion with content, one without
 * content but with a finish_reason (then *why says so, with a refusal),
 * or neither (-1). */
static int answer_kind(const struct strbuf *body, char *why, size_t cap)
{
	struct json_error err;
	struct chat_answer a;
	if (!body->len || json_check_record(body->buf, body->len, &err) < 0 ||
	    !chat_answer_read(body->buf, body->len, &a))
		return -1;
	if (a.content.type == JSON_STRING)
		return CHAT_ANSWER;
	if (a.finish_reason.type != JSON_STRING)
		return -1;
	struct strbuf m = STRBUF_INIT, v = STRBUF_INIT;
	strbuf_addstr(&m, "no content, finish_reason ");
	strbuf_add(&m, a.finish_reason.p, a.finish_reason.len < 40 ? a.finish_reason.len : 40);
	if (a.refusal.type == JSON_STRING) {
		json_decode_string(&a.refusal, &v);
		strbuf_addstr(&m, ": refused: ");
		add_readable(&m, v.buf, v.len, CHAT_MESSAGE_MAX);
	}
	snprintf(why, cap, "%s", m.buf);
	strbuf_release(&m);
	strbuf_release(&v);
	return CHAT_NO_CONTENT;
}

/* One transfer ended: success, a retry, or a failure for good. */
static void ended(struct chat_client *c, struct req *r, CURLcode code)
{
	long status = 0;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_multi_remove_handle(c->multi, r->easy);
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
	struct req *moved = c->flying[--c->in_flight];
	c->flying[r->flying_at] = moved;
	moved->flying_at = r->flying_at;
	char why[CHAT_MESSAGE_MAX + 64];
	int retry = 1;
	if (code != CURLE_OK && r->too_big) {
		/* It would be as large again. */
		snprintf(why, sizeof(why), "an answer larger than %zu bytes (--max-response)",
			 r->max_response);
		retry = 0;
	} else if (code != CURLE_OK) {
		snprintf(why, sizeof(why), "%s", r->curl_error[0] ? r->curl_error :
			 curl_easy_strerror(code));
	} else if (status == 200) {
		struct json_error jerr;
		if (r->resp.len && json_check_record(r->resp.buf, r->resp.len, &jerr) == 0) {
			chat_usage_add(&c->usage, r->resp.buf, r->resp.len);
			if (c->cfg.on_answer)
				c->cfg.on_answer(c->cfg.on_answer_arg, r->body.buf, r->body.len,
						 r->resp.buf, r->resp.len);
		}
		int kind = answer_kind(&r->resp, why, sizeof(why));
		if (kind >= 0) {
			/* An answer, with content or not, is the server
			 * working. */
			c->last_success = now_seconds();
			c->failed_since = 0;
			c->ready = 1;
			if (c->limit < c->cfg.concurrency)
				c->limit += 1 / c->limit;
			if (c->limit > c->cfg.concurrency)
				c->limit = c->cfg.concurrency;
			finish(c, r, (enum chat_outcome)kind, status, kind == CHAT_ANSWER ? NULL : why);
			return;
		}
		snprintf(why, sizeof(why), "HTTP 200 with an answer that is not a chat completion");
	} else {
		struct strbuf m = STRBUF_INIT;
		chat_server_message(r->resp.buf, r->resp.len, &m);
		snprintf(why, sizeof(why), "HTTP %ld%s%s", status, m.len ? ": " : "", m.len ? m.buf : "");
		/* A server that is still loading its model (llama-server's
		 * 503 "Loading model" for tens of seconds after it starts)
		 * is waited for, up to wait_ready seconds from the start,
		 * without spending an attempt or counting for the breaker. */
		if (status == 503 && !c->ready && strcasestr(m.buf, "loading") &&
		    now_seconds() - c->started < c->cfg.wait_ready) {
			strbuf_release(&m);
			r->attempts--;
			double d = r->retry_after > 0 && r->retry_after < 1 ? r->retry_after : 1;
			r->not_before = now_seconds() + d;
			wait_push(c, r);
			return;
		}
		/* OpenAI's reasoning models refuse max_tokens and ask for
		 * max_completion_tokens: sent again at once so named, without
		 * spending an attempt, and so named from now on. Once: a
		 * server that refuses that too fails the request. */
		if (status == 400 && !r->renamed && strstr(m.buf, "max_tokens") &&
		    strstr(m.buf, "max_completion_tokens") && rename_max_tokens(&r->body)) {
			strbuf_release(&m);
			r->renamed = 1;
			r->attempts--;
			r->not_before = 0;
			if (!c->completion_tokens)
				info("%s: the server wants max_completion_tokens for max_tokens; sent so "
				     "from now on", c->shown.buf);
			c->completion_tokens = 1;
			wait_push(c, r);
			return;
		}
		strbuf_release(&m);
		retry = status == 408 || status == 429 || status >= 500;
		if (status == 429 || status == 503) {
			c->limit /= 2;
			if (c->limit < 1)
				c->limit = 1;
		}
	}
	c->failed_since++;
	snprintf(c->last_error, sizeof(c->last_error), "%s", why);
	if (!retry || r->attempts > c->cfg.retries) {
		/* "HTTP 404, after 1 attempt: The model `x` does not exist." */
		char final[sizeof(why) + 32];
		const char *colon = strncmp(why, "HTTP ", 5) ? NULL : strstr(why, ": ");
		int head = colon ? (int)(colon - why) : (int)strlen(why);
		snprintf(final, sizeof(final), "%.*s, after %u attempt%s%s", head, why, r->attempts,
			 r->attempts == 1 ? "" : "s", colon ? colon : "");
		finish(c, r, CHAT_FAILED, status, final);
		return;
	}
	/* Exponential backoff with jitter: half the delay fixed, half drawn. */
	double d = c->cfg.backoff * ldexp(1.0, (int)r->attempts - 1);
	if (d > c->cfg.backoff_max)
		d = c->cfg.backoff_max;
	d = d / 2 + d / 2 * prng_uniform(&c->rng);
	if (r->retry_after > d)
		d = r->retry_after;
	if (d > c->cfg.max_retry_after)
		d = c->cfg.max_retry_after;
	r->not_before = now_seconds() + d;
	/* Back in the queue in submission order is not needed: the
	 * caller's order comes from the tags. */
	wait_push(c, r);
}

static size_t probe_body(char *p, size_t size, size_t n, void *arg)
{
	struct strbuf *sb = arg;
	/* The start of it, for the message of a server that is not ready. */
	if (sb->len < 4096)
		strbuf_add(sb, p, size * n < 4096 - sb->len ? size * n : 4096 - sb->len);
	return size * n;
}

/* The probe: GET it until it answers 200, a second apart, up to
 * wait_ready seconds from the start. Returns 0, or -1 with *why. */
static int wait_for_probe(struct chat_client *c, struct strbuf *why)
{
	struct strbuf url = STRBUF_INIT, shown = STRBUF_INIT, body = STRBUF_INIT;
	struct strbuf last = STRBUF_INIT;
	chat_probe_url(c->cfg.url, c->cfg.probe, &url, &shown);
	int rc = 0;
	for (unsigned tries = 1;; tries++) {
		CURL *e = curl_easy_init();
		if (!e)
			die("cannot set up a libcurl transfer");
		char err[CURL_ERROR_SIZE] = "";
		double left = c->started + c->cfg.wait_ready - now_seconds();
		double limit = c->cfg.timeout < 10 ? c->cfg.timeout : 10;
		if (left > 0 && left < limit)
			limit = left;
		strbuf_reset(&body);
		curl_easy_setopt(e, CURLOPT_URL, url.buf);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, probe_body);
		curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
		curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(limit * 1000) + 1);
		curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e, CURLOPT_USERAGENT, "synth-gen/" SYNTH_VERSION);
		CURLcode code = curl_easy_perform(e);
		long status = 0;
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_cleanup(e);
		if (code == CURLE_OK && status == 200) {
			if (tries > 1)
				info("%s: ready after %.1f s", shown.buf, now_seconds() - c->started);
			break;
		}
		strbuf_reset(&last);
		if (code != CURLE_OK) {
			strbuf_addstr(&last, err[0] ? err : curl_easy_strerror(code));
		} else {
			struct strbuf m = STRBUF_INIT;
			chat_server_message(body.buf, body.len, &m);
			strbuf_addf(&last, "HTTP %ld%s%s", status, m.len ? ": " : "", m.buf);
			strbuf_release(&m);
		}
		double now = now_seconds();
		if (now - c->started >= c->cfg.wait_ready) {
			strbuf_addf(why, "%s: not ready after %.0f s (--wait-ready); the last answer: %s",
				    shown.buf, now - c->started, last.buf);
			rc = -1;
			break;
		}
		if (tries == 1)
			info("%s: %s; waiting up to %.0f s (--wait-ready)", shown.buf, last.buf,
			     c->cfg.wait_ready);
		double d = c->started + c->cfg.wait_ready - now;
		if (d > 1)
			d = 1;
		struct timespec ts = { (time_t)d, (long)((d - (double)(time_t)d) * 1e9) };
		nanosleep(&ts, NULL);
	}
	strbuf_release(&url);
	strbuf_release(&shown);
	strbuf_release(&body);
	strbuf_release(&last);
	return rc;
}

int chat_run(struct chat_client *c, double wait, struct strbuf *why)
{
	if (!c->probed) {
		if (wait_for_probe(c, why) < 0)
			return -1;
		c->probed = 1;
	}
	double until = now_seconds() + wait;
	for (;;) {
		if (c->failed_since >= 10 &&
		    now_seconds() - c->last_success > c->cfg.breaker_seconds) {
			strbuf_addf(why, "%s: no answer for %.0f s and %u failed attempts (the last: %s); "
				    "stopping", c->shown.buf, now_seconds() - c->last_success, c->failed_since,
				    c->last_error);
			return -1;
		}
		if (budget_spent(c) && !c->in_flight && c->nwait) {
			strbuf_addf(why, "the --budget of %llu tokens is spent (%llu used); stopping",
				    (unsigned long long)c->cfg.budget,
				    (unsigned long long)(c->usage.prompt + c->usage.completion));
			return -1;
		}
		start_ready(c);
		int running;
		curl_multi_perform(c->multi, &running);
		CURLMsg *m;
		int left, got = 0;
		while ((m = curl_multi_info_read(c->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct req *r;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
			ended(c, r, m->data.result);
			got = 1;
		}
		if (got && c->ndone > c->taken)
			return 0;
		double t = now_seconds();
		if (t >= until || (!c->in_flight && !c->nwait))
			return 0;
		/* Sleep until a transfer moves, a retry is due, or the time
		 * is up. A request waiting for a free place is due only when
		 * a transfer ends, which wakes the poll: counting it as due
		 * now made a busy loop of polls that wait 0 ms. */
		double next = until;
		if (c->in_flight < (size_t)c->limit)
			for (size_t i = 0; i < c->nwait; i++)
				if (c->waiting[i]->not_before < next)
					next = c->waiting[i]->not_before;
		int ms = next > t ? (int)((next - t) * 1000) + 1 : 0;
		if (ms > 100)
			ms = 100;
		curl_multi_poll(c->multi, NULL, 0, ms, NULL);
	}
}

int chat_take(struct chat_client *c, struct chat_done *d)
{
	if (c->taken == c->ndone)
		return 0;
	*d = c->done[c->taken++];
	c->pending--;
	return 1;
}
