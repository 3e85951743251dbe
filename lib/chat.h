/* chat.h: a client for OpenAI-compatible chat-completions servers
 * (llama.cpp's llama-server, vLLM, Ollama, hosted APIs), on libcurl's
 * multi interface: many requests in flight on one thread.
 *
 * The caller submits request bodies, each with a tag, and takes back
 * finished requests, in the order they finish. The client retries what
 * may succeed later (connection errors, timeouts, 408, 429, 5xx, and an
 * answer that is not a chat completion) after an exponential backoff
 * with jitter, or after the server's Retry-After when that is longer
 * (up to max_retry_after); it halves the requests in flight when the
 * server pushes back (429, 503) and grows them again by one for as many
 * successes as are in flight. What would come back the same is not
 * retried: another 4xx, an answer larger than max_response, and a chat
 * completion without content (a refusal, tool calls: CHAT_NO_CONTENT).
 * A 400 that refuses max_tokens and asks for max_completion_tokens
 * (OpenAI's reasoning models) sends the request again at once with the
 * member so named, without spending an attempt, and every later request
 * too; once only. With a probe, the first chat_run() waits until a GET
 * of the probe's path on the server answers 200 (llama-server's /health
 * says 503 while it loads its model; vLLM listens only once it has), up
 * to wait_ready seconds from the start, or stops the client saying why.
 * Until the first answer, a 503 that says the server is loading its
 * model is waited for, up to wait_ready seconds, without spending an
 * attempt. A request that fails for good (those, or the last attempt)
 * finishes with its error and what the server said. When no request
 * has succeeded for breaker_seconds while at least 10 attempts failed,
 * the circuit breaker stops the client: chat_run() returns -1 and says
 * why. So does a budget of tokens once the answers used it up: no
 * request starts after that, and those in flight are waited for first.
 *
 * The API key goes into an Authorization header and nowhere else: no
 * message quotes a header, nor the credentials or the query of the URL.
 */
#ifndef SYNTH_CHAT_H
#define SYNTH_CHAT_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "strbuf.h"

struct chat_config {
	const char *url;	/* the server; see chat_request_url() */
	const char *api_key;	/* NULL: none */
	unsigned concurrency;	/* requests in flight at most */
	unsigned retries;	/* attempts after the first */
	double timeout;		/* seconds a request may take */
	double backoff;		/* seconds before the first retry; doubles, up to backoff_max */
	double backoff_max;
	double breaker_seconds;
	double wait_ready;	/* seconds a server may answer 503 while loading its model,
				 * or take to answer the probe */
	const char *probe;	/* a path ("/health") to GET until it answers 200
				 * before the first request; NULL: none */
	double max_retry_after;	/* the longest Retry-After honoured, seconds */
	size_t max_response;	/* bytes of an answer at most */
	uint64_t budget;	/* prompt and completion tokens at most; 0: no bound */
	uint64_t seed;		/* for the jitter */
	/* Called with the request body and the answer of every request
	 * answered with HTTP 200 and JSON, as the server's usage is added
	 * (what chat_cli's --tokenizer counts beside it); NULL: none. */
	void (*on_answer)(void *arg, const char *request, size_t n, const char *answer,
			  size_t m);
	void *on_answer_arg;
};

/* The most bytes of a server's message that an error quotes. */
#define CHAT_MESSAGE_MAX 200

/* What a finished request came to. */
enum chat_outcome {
	CHAT_ANSWER,	/* a chat completion whose first choice has content */
	CHAT_NO_CONTENT, /* a chat completion whose first choice has none but a
			 * finish_reason (a refusal, a content filter, tool
			 * calls, cut off while thinking): the same request
			 * would get the same, so it is not retried */
	CHAT_FAILED,	/* no chat completion: an error, or the last attempt */
};

/* A finished request. */
struct chat_done {
	uint64_t tag;
	enum chat_outcome outcome;
	long status;		/* the last HTTP status, 0 when none came */
	unsigned attempts;	/* 0 with resumed */
	int resumed;		/* not asked: the answer a --resume journal held
				 * (lib/llm_stage) */
	struct strbuf body;	/* the answer's body (CHAT_ANSWER, CHAT_NO_CONTENT),
				 * owned by the caller */
	/* Why not (not CHAT_ANSWER): "HTTP 404, after 1 attempt: The model
	 * `x` does not exist.", the status, the attempts and the server's
	 * message; or "no content, finish_reason \"length\"" and what the
	 * server said instead (a refusal). */
	char error[CHAT_MESSAGE_MAX + 96];
};

/* The parts of a chat completion that synth reads, each JSON_NONE when
 * the answer has none: its first choice (an object), that choice's
 * message.content, finish_reason and message.refusal, its reasoning
 * (message.reasoning_content, as llama-server and vLLM before 0.11 write
 * it, or message.reasoning, as vLLM from 0.11 and Ollama do; a string),
 * and the answer's usage (an object). The values point into the body. */
struct chat_answer {
	struct json_value choice, content, finish_reason, refusal, reasoning, usage;
};

/* Read the chat completion body[0..n) (checked JSON): 1 when its
 * choices[0] is an object, with *a filled; else 0. */
int chat_answer_read(const char *body, size_t n, struct chat_answer *a);

/* The member that asks a server for JSON valid under a JSON Schema,
 * appended to out: ",\"response_format\":{\"type\":\"json_schema\",
 * \"json_schema\":{\"name\":NAME,\"schema\":SCHEMA,\"strict\":S}}", as
 * OpenAI's API, vLLM and Ollama take it (llama-server reads only its
 * schema); the schema[0..n) (checked JSON) on one line, name as given
 * (see chat_schema_name()). */
void chat_response_format(const char *name, const char *schema, size_t n, int strict,
			  struct strbuf *out);

/* A schema's name as OpenAI takes it, from s[0..n), appended to out:
 * each byte other than an ASCII letter, a digit, '_' and '-' made '_',
 * cut at 64 bytes; "schema" when n is 0. */
void chat_schema_name(const char *s, size_t n, struct strbuf *out);

/* The request body[0..n) (checked JSON) asked again with a follow-up:
 * its messages with the assistant's answer (answer[0..an), a JSON
 * string) and a user message (user[0..un), a JSON string) added at the
 * end, every other byte as it was, into out (reset first). Returns 0,
 * or -1 when the body has no messages array. */
int chat_follow_up(const char *body, size_t n, const char *answer, size_t an, const char *user,
		   size_t un, struct strbuf *out);

struct chat_client;

/* The tokens servers said their answers used: every answer with a usage
 * member counts, one that came without content or that was retried
 * (it was not a chat completion) as much as one that was kept. */
struct chat_usage {
	uint64_t answers;	/* answers that said what they used */
	uint64_t prompt, completion;	/* prompt_tokens, completion_tokens */
	uint64_t reasoning;	/* completion_tokens_details.reasoning_tokens */
	uint64_t cached;	/* prompt_tokens_details.cached_tokens */
};

/* Add the usage member of the checked JSON body[0..n), when it has one,
 * to *u. Counts that are not whole numbers are not added. */
void chat_usage_add(struct chat_usage *u, const char *body, size_t n);

/* What the client's answers used so far. */
const struct chat_usage *chat_usage_of(const struct chat_client *c);

/* The URL requests go to for the --url given, into url: the path
 * completed with /v1/chat/completions (what of it is missing), before
 * the query when there is one; and into shown the same for messages,
 * without a user or password and with the query as "?...", since
 * either may hold a key. Both are reset first. */
void chat_request_url(const char *given, struct strbuf *url, struct strbuf *shown);

/* The URL of the probe path `probe` on the server of the --url given:
 * its scheme and authority, the path, and its query; into shown the
 * same for messages, as chat_request_url() shows a URL. Both are reset
 * first. */
void chat_probe_url(const char *given, const char *probe, struct strbuf *url, struct strbuf *shown);

/* Set up a client; dies when libcurl cannot be set up. */
struct chat_client *chat_new(const struct chat_config *cfg);
void chat_free(struct chat_client *c);

/* Submit the JSON request body[0..n) with a tag. */
void chat_submit(struct chat_client *c, uint64_t tag, const char *body, size_t n);

/* Requests submitted and not yet taken back with chat_take(). */
size_t chat_pending(const struct chat_client *c);

/* Move transfers on for up to `wait` seconds, or until a request
 * finishes. Returns 0, or -1 when the circuit breaker stopped the client
 * (*why says so). */
int chat_run(struct chat_client *c, double wait, struct strbuf *why);

/* What a server said about an error, in the body[0..n) of its answer,
 * appended to out: error.message, or error, message or detail when a
 * string, of a JSON body; else the first line of the body that is not
 * blank. Control characters become spaces, bytes that are not UTF-8
 * '?', and it is cut after about CHAT_MESSAGE_MAX bytes with "...".
 * Appends nothing when there is nothing to quote. */
void chat_server_message(const char *body, size_t n, struct strbuf *out);

/* The delay a header line p[0..len) asks for (not NUL-terminated, as
 * libcurl hands it over, the CRLF included): for "Retry-After: N" in
 * any case, N seconds when 0 < N < 86400, else 0; an HTTP date, or any
 * other header, is 0. Only the first 31 bytes of the value are read. */
double chat_retry_after(const char *p, size_t len);

/* Take back a finished request: 1 with *d filled, 0 when none is. */
int chat_take(struct chat_client *c, struct chat_done *d);

/* The requests in flight now, and the most allowed (for -v). */
unsigned chat_in_flight(const struct chat_client *c);
double chat_limit(const struct chat_client *c);

#endif
