/* llm-server: a chat-completions server for the tests of synth-gen
 * complete, on 127.0.0.1, that answers from the request and misbehaves
 * on demand.
 *
 *   llm-server --port-file FILE [--fail-first N] [--faults LIST]
 *              [--always FAULT] [--match TEXT] [--retry-after S]
 *              [--delay-ms MS] [--slow-ms MS] [--api-key KEY] [--log FILE]
 *              [--flavor NAME] [--error-message TEXT] [--bodies FILE]
 *              [--loading-ms MS] [--listen-after-ms MS] [--model-name NAME]
 *              [--log-sent yes] [--json-invalid N] [--expect-format FILE]
 *              [--arith yes]
 *
 * POST /v1/chat/completions is answered with the content of the last
 * message and the seed: "answer to: CONTENT (seed S)", so that a test
 * can tell which answer belongs to which prompt. The port, chosen by the
 * system, is written to FILE once the server listens.
 *
 * Faults: the first N attempts of each distinct request body fail, in
 * turn, with the faults of LIST (comma-separated): 429 and 503 (with a
 * Retry-After of S seconds), 500, drop (the connection closed without an
 * answer), malformed (200 with a body that is no JSON), trunc (a body
 * shorter than its Content-Length), slow (the answer after MS ms more),
 * 400 (a request the server refuses).
 *
 * --flavor llama|vllm|ollama|openai answers the faults below with the
 * bodies that server sends (the default, "plain", answers every fault
 * with {"error":{"message":"injected"}}, or --error-message TEXT):
 *   model404   the model asked for is not there (llama-server serves
 *              whatever it loaded, so it has none: its 404 is a path's)
 *   ctx400     the prompt is longer than the context
 *   auth401    no key or a wrong key (also what --api-key answers)
 *   maxtok400  OpenAI's reasoning models refuse "max_tokens"
 *   html502    a proxy's HTML page before the server
 *   loading    503 while the model loads (llama-server); --loading-ms
 *              MS answers every request so for MS ms after the start
 * The bodies, as read in each server's source:
 *   llama.cpp tools/server/utils.hpp, format_error_response() and
 *     server.cpp's res_error(), and server.cpp's 503 while loading
 *     (release b6000, 2025): {"error":{"code","message","type"}}, the
 *     context error with n_prompt_tokens and n_ctx beside them;
 *   vLLM vllm/entrypoints/openai/protocol.py, ErrorInfo and
 *     ErrorResponse (v0.11): {"error":{"message","type","param","code"}},
 *     type the exception's name; its API-key middleware in
 *     api_server.py answers {"error":"Unauthorized"};
 *   Ollama openai/openai.go, NewError() (v0.12):
 *     {"error":{"message","type","param":null,"code":null}};
 *   OpenAI's API as documented: {"error":{"message","type","param","code"}}.
 * GET /health and GET /v1/models answer as the flavor's server does,
 * --model-name NAME ("tiny") the model it serves:
 *   llama (and plain): while loading (--loading-ms) every path answers
 *     503 {"error":{"code":503,"message":"Loading model","type":
 *     "unavailable_error"}}, then /health 200 {"status":"ok"} and
 *     /v1/models {"data":[...],"models":[...],"object":"list"} (keys in
 *     order, as nlohmann::json writes them; the model's meta cut down):
 *     llama.cpp tools/server/server-http.cpp, middleware_server_state(),
 *     and server-context.cpp, get_health and get_models (master of
 *     2026, commit 00dd081; release b6000 let /v1/models through while
 *     loading);
 *   vllm: /health 200 with an empty body, /v1/models {"object":"list",
 *     "data":[{"id","object","created","owned_by":"vllm","root",
 *     "parent","max_model_len","permission"}]}: vLLM
 *     vllm/entrypoints/serve/instrumentator/health.py, health(), and
 *     entrypoints/openai/protocol.py, ModelList and ModelCard (v0.11);
 *     vLLM listens only once its engine is up, which --listen-after-ms
 *     MS plays: the port is bound at once, but connections are refused
 *     for MS ms;
 *   ollama: no /health (gin's 404, "404 page not found"), /v1/models
 *     with owned_by "library" (Ollama openai/openai.go, ListCompletion,
 *     v0.12); openai: /v1/models with owned_by "system", no /health.
 * --always FAULT makes every request fail so. --match TEXT keeps the
 * faults to the requests whose body holds TEXT. --log appends a line for
 * each request: what it got, the hash of its body, the time (seconds
 * on the monotonic clock) and the request's target, and with --log-sent
 * yes a line "sent HASH TIME" once the whole answer to a request went
 * out; --bodies appends each request's body, a line.
 *
 * A request with a response_format of type json_schema (synth-gen
 * complete --json-schema) is answered with JSON: the content is
 * {"answer":"answer to: FIRST (seed S)","seed":S}, FIRST the content of
 * the first user message. The try of a request is 1 and the number of
 * assistant messages in it (each follow-up adds one); with --json-invalid
 * N, tries 1 to N are answered wrong, in turn: an odd try with the seed
 * as a string ({"answer":...,"seed":"S"}), an even one with text that is
 * no JSON ("answer to: FIRST (seed S)"); the log says "invalid" for
 * them. With --expect-format FILE the request's response_format must be
 * the JSON of FILE, byte for byte once both are on one line; one that is
 * not, or none, is answered 400 "response_format differs from FILE", and
 * logged "badformat".
 *
 * --arith yes plays a model that does arithmetic and grades it: a last
 * message with "\n\nText:\n" in it (a judge's request of synth-score)
 * is answered "Score: W", W the words of the text after it, 5 at most;
 * else one with "A op B" in it (whole numbers, op one of + - *) is
 * answered by the seed S: S % 3 == 0 the result, 1 "A op B = result",
 * 2 the result plus one (wrong).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "bytes.h"
#include "diag.h"
#include "hash.h"
#include "json.h"
#include "strbuf.h"

enum fault { OK, F429, F500, F503, DROP, MALFORMED, TRUNC, SLOW, F400, MODEL404, CTX400, AUTH401,
	     MAXTOK400, HTML502, LOADING, LENGTH, REASONING, THINKCUT, EMPTYTHINK, REFUSAL, FILTER,
	     TOOLCALLS, HUGE, INVALID, BADFORMAT };
static const char *const fault_names[] = { "ok", "429", "500", "503", "drop", "malformed",
					   "trunc", "slow", "400", "model404", "ctx400", "auth401",
					   "maxtok400", "html502", "loading", "length", "reasoning",
					   "thinkcut", "emptythink", "refusal", "filter", "toolcalls", "huge",
					   "invalid", "badformat" };

enum flavor { PLAIN, LLAMA, VLLM, OLLAMA, OPENAI };
static const char *const flavor_names[] = { "plain", "llama", "vllm", "ollama", "openai" };
static enum flavor flavor = PLAIN;

static enum fault faults[16];
static size_t nfaults;
static enum fault always = OK;
static unsigned fail_first, retry_after = 1, delay_ms, slow_ms = 3000, loading_ms, listen_after_ms;
static const char *model_name = "tiny";
static double started;
static const char *api_key, *match, *error_message = "injected";
static FILE *log_file, *bodies_file;
static int log_sent, arith;
static unsigned json_invalid;
static const char *expect_format_file;
static struct strbuf expect_format = STRBUF_INIT;	/* --expect-format's JSON, on one line */

static enum fault parse_fault(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(fault_names) / sizeof(*fault_names); i++)
		if (strlen(fault_names[i]) == n && !memcmp(fault_names[i], s, n))
			return (enum fault)i;
	die("unknown fault '%.*s'", (int)n, s);
}

/* Attempts seen of each request body. */
static uint64_t *seen_key;
static uint32_t *seen_count;
static size_t seen_n, seen_cap;

static unsigned attempt_of(uint64_t key)
{
	if ((seen_n + 1) * 2 > seen_cap) {
		size_t cap = seen_cap ? seen_cap * 2 : 1024;
		uint64_t *k = xcalloc(cap, sizeof(*k));
		uint32_t *c = xcalloc(cap, sizeof(*c));
		for (size_t i = 0; i < seen_cap; i++)
			if (seen_count[i]) {
				size_t j = hash_slot(seen_key[i], cap);
				while (c[j])
					j = hash_next_slot(j, cap);
				k[j] = seen_key[i];
				c[j] = seen_count[i];
			}
		free(seen_key);
		free(seen_count);
		seen_key = k;
		seen_count = c;
		seen_cap = cap;
	}
	size_t i = hash_slot(key, seen_cap);
	while (seen_count[i] && seen_key[i] != key)
		i = hash_next_slot(i, seen_cap);
	if (!seen_count[i]) {
		seen_key[i] = key;
		seen_n++;
	}
	return seen_count[i]++;
}

struct conn {
	int fd;
	struct strbuf in, out;
	size_t sent;
	double due;		/* when out may start going */
	int close_after;	/* close once out is sent */
	int continued;		/* 100 Continue sent for the request in */
	uint64_t key;		/* the hash of the request out answers (--log-sent) */
};

static struct conn *conns;
static size_t nconns, cconns;

static void respond(struct conn *c, int status, const char *reason, const char *extra,
		    const char *body, size_t blen, size_t claimed)
{
	strbuf_addf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n%s\r\n", status, reason, claimed, extra ? extra : "");
	strbuf_add(&c->out, body, blen);
}

/* The model a request asks for, decoded (for the messages that name it). */
static void request_model(const char *body, size_t n, struct strbuf *out)
{
	struct json_value v;
	if (json_get(body, n, "model", &v) && v.type == JSON_STRING)
		json_decode_string(&v, out);
}

/* An error answer of the flavor's server for fault f (an error fault). */
static void respond_error(struct conn *c, enum fault f, const char *body, size_t n, const char *extra)
{
	struct strbuf e = STRBUF_INIT, model = STRBUF_INIT, msg = STRBUF_INIT;
	request_model(body, n, &model);
	int status = 500;
	const char *reason = "Internal Server Error", *type = "server_error", *code = "null";
	switch (f) {
	case MODEL404:
		status = 404;
		reason = "Not Found";
		if (flavor == LLAMA) {
			strbuf_addstr(&msg, "File Not Found");
			type = "not_found_error";
		} else if (flavor == VLLM) {
			strbuf_addf(&msg, "The model `%s` does not exist.", model.buf);
			type = "NotFoundError";
		} else if (flavor == OLLAMA) {
			strbuf_addf(&msg, "model \"%s\" not found, try pulling it first", model.buf);
			type = "not_found_error";
		} else {
			strbuf_addf(&msg, "The model `%s` does not exist or you do not have access to it.",
				    model.buf);
			type = "invalid_request_error";
			code = "\"model_not_found\"";
		}
		break;
	case CTX400:
		status = 400;
		reason = "Bad Request";
		if (flavor == LLAMA) {
			strbuf_addf(&msg, "request (%zu tokens) exceeds the available context size (512 tokens), "
				    "try increasing it", n / 4 + 512);
			type = "exceed_context_size_error";
		} else if (flavor == VLLM) {
			strbuf_addf(&msg, "This model's maximum context length is 512 tokens. However, your request "
				    "has %zu input tokens. Please reduce the length of the input messages.", n / 4 + 512);
			type = "BadRequestError";
		} else if (flavor == OLLAMA) {
			/* Ollama truncates the prompt instead; a bad option is its 400. */
			strbuf_addstr(&msg, "invalid options: num_ctx");
			type = "invalid_request_error";
		} else {
			strbuf_addf(&msg, "This model's maximum context length is 512 tokens. However, your messages "
				    "resulted in %zu tokens. Please reduce the length of the messages.", n / 4 + 512);
			type = "invalid_request_error";
			code = "\"context_length_exceeded\"";
		}
		break;
	case AUTH401:
		status = 401;
		reason = "Unauthorized";
		strbuf_addstr(&msg, flavor == OPENAI ? "Incorrect API key provided: sk-****. You can find your "
			      "API key at https://platform.openai.com/account/api-keys." : "Invalid API Key");
		type = flavor == LLAMA ? "authentication_error" : "invalid_request_error";
		code = flavor == OPENAI ? "\"invalid_api_key\"" : "null";
		break;
	case MAXTOK400:
		status = 400;
		reason = "Bad Request";
		strbuf_addstr(&msg, "Unsupported parameter: 'max_tokens' is not supported with this model. "
			      "Use 'max_completion_tokens' instead.");
		type = "invalid_request_error";
		code = "\"unsupported_parameter\"";
		break;
	case LOADING:
		status = 503;
		reason = "Service Unavailable";
		strbuf_addstr(&msg, "Loading model");
		type = "unavailable_error";
		break;
	default:
		break;
	}
	if (f == HTML502) {
		/* nginx's page for an upstream that is down. */
		const char *page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
				   "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n"
				   "</body>\r\n</html>\r\n";
		strbuf_addf(&c->out, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n"
			    "Content-Length: %zu\r\n\r\n%s", strlen(page), page);
	} else {
		if (flavor == VLLM && f == AUTH401) {
			strbuf_addstr(&e, "{\"error\":\"Unauthorized\"}");
		} else if (flavor == LLAMA) {
			strbuf_addf(&e, "{\"error\":{\"code\":%d,\"message\":", status);
			json_add_string(&e, msg.buf, msg.len);
			strbuf_addf(&e, ",\"type\":\"%s\"", type);
			if (f == CTX400)
				strbuf_addf(&e, ",\"n_prompt_tokens\":%zu,\"n_ctx\":512", n / 4 + 512);
			strbuf_addstr(&e, "}}");
		} else {
			strbuf_addstr(&e, "{\"error\":{\"message\":");
			json_add_string(&e, msg.buf, msg.len);
			strbuf_addf(&e, ",\"type\":\"%s\",\"param\":%s,\"code\":", type,
				    f == MAXTOK400 ? "\"max_tokens\"" : "null");
			if (flavor == VLLM)
				strbuf_addf(&e, "%d", status);
			else
				strbuf_addstr(&e, code);
			strbuf_addstr(&e, "}}");
		}
		respond(c, status, reason, extra, e.buf, e.len, e.len);
	}
	strbuf_release(&e);
	strbuf_release(&model);
	strbuf_release(&msg);
}

/* The answer to a good request, or a 400: its text is "answer to:
 * CONTENT (seed S)", CONTENT the last message's. Fault f, one of the
 * answers below, shapes it; the flavor gives the members each server
 * writes around it (llama.cpp tools/server/server.cpp's
 * to_json_oaicompat_chat() and common/chat.cpp, reasoning_content, b6000;
 * vLLM protocol.py's ChatCompletionResponse and ChatMessage, reasoning,
 * v0.11; Ollama openai/openai.go's ChatCompletion and Message, reasoning,
 * v0.12; OpenAI's chat completion object, refusal and annotations):
 *   length     the first half of the text, finish_reason "length"
 *   reasoning  the text, and "thinking about: CONTENT" as reasoning
 *   thinkcut   no content (llama-server: ""), the reasoning, "length"
 *   emptythink content "", the reasoning, "stop"
 *   refusal    content null, refusal "I'm sorry, I can't help with that."
 *   filter     content null, finish_reason "content_filter"
 *   toolcalls  content null, a tool call, finish_reason "tool_calls"
 *   huge       the text and two megabytes of "a" after it */
/* The result of the first "A op B" in s, into *v: 1, or 0 when there
 * is none. A and B are whole numbers, op one of + - *, spaces around it. */
static int arith_in(const char *s, long long *v, long long *a, char *op, long long *b)
{
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9' || (p > s && p[-1] >= '0' && p[-1] <= '9'))
			continue;
		char *e;
		*a = strtoll(p, &e, 10);
		const char *q = e;
		while (*q == ' ')
			q++;
		if (*q != '+' && *q != '-' && *q != '*')
			continue;
		*op = *q++;
		while (*q == ' ')
			q++;
		if (*q < '0' || *q > '9')
			continue;
		*b = strtoll(q, NULL, 10);
		*v = *op == '+' ? *a + *b : *op == '-' ? *a - *b : *a * *b;
		return 1;
	}
	return 0;
}

/* --arith's answer to the message asked (seed S) into text: 1, or 0
 * when it is neither a judge's request nor a sum. */
static int arith_answer(const struct strbuf *asked, long long seed, struct strbuf *text)
{
	const char *t = strstr(asked->buf, "\n\nText:\n");
	long long v, a, b;
	char op;
	if (t) {
		unsigned words = 0;
		for (const char *p = t + 8; *p; p++)
			words += *p != ' ' && *p != '\n' && (p[1] == ' ' || p[1] == '\n' || !p[1]);
		strbuf_addf(text, "Score: %u", words < 5 ? words : 5);
		return 1;
	}
	if (!arith_in(asked->buf, &v, &a, &op, &b))
		return 0;
	if (seed % 3 == 0)
		strbuf_addf(text, "%lld", v);
	else if (seed % 3 == 1)
		strbuf_addf(text, "%lld %c %lld = %lld", a, op, b, v);
	else
		strbuf_addf(text, "%lld", v + 1);
	return 1;
}

/* The content of a request with a json_schema response_format into
 * text; returns OK, or INVALID for an answer made wrong on purpose. */
static enum fault json_answer(const struct json_value *msgs, const struct json_value *seed,
			      struct strbuf *text)
{
	struct json_value el, role, content;
	struct strbuf first = STRBUF_INIT, said = STRBUF_INIT;
	unsigned tries = 1;
	int have_first = 0;
	size_t pos = 0;
	while (json_array_next(msgs, &pos, &el)) {
		if (el.type != JSON_OBJECT || !json_get(el.p, el.len, "role", &role))
			continue;
		tries += role.len == 11 && !memcmp(role.p, "\"assistant\"", 11);
		if (!have_first && role.len == 6 && !memcmp(role.p, "\"user\"", 6) &&
		    json_get(el.p, el.len, "content", &content) && content.type == JSON_STRING) {
			json_decode_string(&content, &first);
			have_first = 1;
		}
	}
	strbuf_addstr(&said, "answer to: ");
	strbuf_add(&said, first.buf, first.len);
	strbuf_addstr(&said, " (seed ");
	if (seed->type)
		strbuf_add(&said, seed->p, seed->len);
	else
		strbuf_addstr(&said, "none");
	strbuf_addc(&said, ')');
	enum fault f = tries <= json_invalid ? INVALID : OK;
	if (f == INVALID && tries % 2 == 0) {
		strbuf_add(text, said.buf, said.len);
	} else {
		strbuf_addstr(text, "{\"answer\":");
		json_add_string(text, said.buf, said.len);
		strbuf_addstr(text, ",\"seed\":");
		if (f == INVALID)
			strbuf_addc(text, '"');
		if (seed->type)
			strbuf_add(text, seed->p, seed->len);
		else
			strbuf_addstr(text, "null");
		if (f == INVALID)
			strbuf_addc(text, '"');
		strbuf_addc(text, '}');
	}
	strbuf_release(&first);
	strbuf_release(&said);
	return f;
}

/* Is the request's response_format one of type json_schema? */
static int wants_json(const char *body, size_t n)
{
	struct json_value rf, type;
	return json_get(body, n, "response_format", &rf) && rf.type == JSON_OBJECT &&
	       json_get(rf.p, rf.len, "type", &type) && type.len == 13 &&
	       !memcmp(type.p, "\"json_schema\"", 13);
}

static enum fault answer(struct conn *c, const char *body, size_t n, enum fault f)
{
	struct json_error err;
	struct json_value msgs, last = { 0 }, el, content, model, seed;
	if (json_check_record(body, n, &err) < 0 || !json_get(body, n, "messages", &msgs) ||
	    msgs.type != JSON_ARRAY) {
		const char *e = "{\"error\":{\"message\":\"bad request\"}}";
		respond(c, 400, "Bad Request", NULL, e, strlen(e), strlen(e));
		return F400;
	}
	size_t pos = 0, words = 0;
	while (json_array_next(&msgs, &pos, &el))
		if (el.type == JSON_OBJECT)
			last = el;
	struct strbuf text = STRBUF_INIT, out = STRBUF_INIT, asked = STRBUF_INIT, think = STRBUF_INIT;
	if (last.p && json_get(last.p, last.len, "content", &content) && content.type == JSON_STRING)
		json_decode_string(&content, &asked);
	if (!json_get(body, n, "seed", &seed))
		seed.type = JSON_NONE;
	if (f == OK && wants_json(body, n)) {
		f = json_answer(&msgs, &seed, &text);
	} else if (!(f == OK && arith && arith_answer(&asked, seed.type ? strtoll(seed.p, NULL, 10) : 0,
							 &text))) {
		strbuf_addstr(&text, "answer to: ");
		strbuf_add(&text, asked.buf, asked.len);
		strbuf_addstr(&text, " (seed ");
		if (seed.type)
			strbuf_add(&text, seed.p, seed.len);
		else
			strbuf_addstr(&text, "none");
		strbuf_addc(&text, ')');
	}
	if (f == LENGTH)
		strbuf_setlen(&text, text.len / 2);
	if (f == HUGE) {
		strbuf_grow(&text, 2 << 20);
		memset(text.buf + text.len, 'a', 2 << 20);
		strbuf_setlen(&text, text.len + (2 << 20));
	}
	for (size_t i = 0; i < text.len; i++)
		words += text.buf[i] == ' ';
	strbuf_addstr(&think, "thinking about: ");
	strbuf_add(&think, asked.buf, asked.len);
	int null_content = f == REFUSAL || f == FILTER || f == TOOLCALLS || (f == THINKCUT && flavor != LLAMA);
	int empty_content = f == EMPTYTHINK || (f == THINKCUT && flavor == LLAMA);
	int thinks = f == REASONING || f == THINKCUT || f == EMPTYTHINK;
	const char *finish = f == LENGTH || f == THINKCUT ? "length" : f == FILTER ? "content_filter" :
			     f == TOOLCALLS ? "tool_calls" : "stop";
	size_t ptok = n / 8, ctok = words + 1 + (thinks ? 5 : 0);

	strbuf_addstr(&out, "{\"id\":\"chatcmpl-test\",\"object\":\"chat.completion\",");
	if (flavor != PLAIN)
		strbuf_addstr(&out, "\"created\":1765000000,");
	strbuf_addstr(&out, "\"model\":");
	if (json_get(body, n, "model", &model))
		strbuf_add(&out, model.p, model.len);
	else
		strbuf_addstr(&out, "null");
	if (flavor == OLLAMA)
		strbuf_addstr(&out, ",\"system_fingerprint\":\"fp_ollama\"");
	strbuf_addstr(&out, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
	if (null_content)
		strbuf_addstr(&out, "null");
	else if (empty_content)
		strbuf_addstr(&out, "\"\"");
	else
		json_add_string(&out, text.buf, text.len);
	if (flavor == OPENAI || flavor == VLLM) {
		strbuf_addstr(&out, ",\"refusal\":");
		if (f == REFUSAL)
			json_add_cstr(&out, "I'm sorry, I can't help with that.");
		else
			strbuf_addstr(&out, "null");
	} else if (f == REFUSAL) {
		strbuf_addstr(&out, ",\"refusal\":\"I'm sorry, I can't help with that.\"");
	}
	if (flavor == OPENAI)
		strbuf_addstr(&out, ",\"annotations\":[]");
	if (flavor == VLLM)
		strbuf_addstr(&out, ",\"annotations\":null,\"audio\":null,\"function_call\":null");
	if (f == TOOLCALLS)
		strbuf_addstr(&out, ",\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
			      "\"function\":{\"name\":\"lookup\",\"arguments\":\"{}\"}}]");
	else if (flavor == VLLM)
		strbuf_addstr(&out, ",\"tool_calls\":[]");
	if (thinks || flavor == VLLM) {
		strbuf_addstr(&out, flavor == LLAMA || flavor == PLAIN ? ",\"reasoning_content\":" :
			      ",\"reasoning\":");
		if (thinks)
			json_add_string(&out, think.buf, think.len);
		else
			strbuf_addstr(&out, "null");
	}
	strbuf_addstr(&out, "}");
	if (flavor == OPENAI || flavor == VLLM)
		strbuf_addstr(&out, ",\"logprobs\":null");
	strbuf_addf(&out, ",\"finish_reason\":\"%s\"", finish);
	if (flavor == VLLM)
		strbuf_addstr(&out, ",\"stop_reason\":null");
	strbuf_addstr(&out, "}]");
	if (flavor == LLAMA)
		strbuf_addf(&out, ",\"usage\":{\"completion_tokens\":%zu,\"prompt_tokens\":%zu,"
			    "\"total_tokens\":%zu,\"prompt_tokens_details\":{\"cached_tokens\":0}}",
			    ctok, ptok, ptok + ctok);
	else if (flavor == VLLM)
		strbuf_addf(&out, ",\"service_tier\":null,\"system_fingerprint\":null,\"usage\":"
			    "{\"prompt_tokens\":%zu,\"total_tokens\":%zu,\"completion_tokens\":%zu,"
			    "\"prompt_tokens_details\":null},\"prompt_logprobs\":null,\"kv_transfer_params\":null",
			    ptok, ptok + ctok, ctok);
	else if (flavor == OPENAI)
		strbuf_addf(&out, ",\"usage\":{\"prompt_tokens\":%zu,\"completion_tokens\":%zu,"
			    "\"total_tokens\":%zu,\"prompt_tokens_details\":{\"cached_tokens\":0,"
			    "\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning_tokens\":%d,"
			    "\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
			    "\"rejected_prediction_tokens\":0}},\"service_tier\":\"default\","
			    "\"system_fingerprint\":null", ptok, ctok, ptok + ctok, thinks ? 5 : 0);
	else
		strbuf_addf(&out, ",\"usage\":{\"prompt_tokens\":%zu,\"completion_tokens\":%zu,"
			    "\"total_tokens\":%zu}", ptok, ctok, ptok + ctok);
	if (flavor == LLAMA)
		strbuf_addstr(&out, ",\"system_fingerprint\":\"b6000-test\",\"timings\":{\"prompt_n\":1,"
			      "\"predicted_n\":1}");
	strbuf_addc(&out, '}');
	respond(c, 200, "OK", NULL, out.buf, out.len, out.len);
	strbuf_release(&text);
	strbuf_release(&out);
	strbuf_release(&asked);
	strbuf_release(&think);
	return f;
}

/* GET path[0..n) (/health, /v1/models) as the flavor's server answers
 * it; returns the status. */
static int answer_get(struct conn *c, const char *path, size_t n, int loading)
{
	struct strbuf b = STRBUF_INIT;
	int health = n == 7 && !memcmp(path, "/health", 7);
	int models = n == 10 && !memcmp(path, "/v1/models", 10);
	int status = 200;
	const char *type = "application/json";
	if ((flavor == PLAIN || flavor == LLAMA) && loading) {
		status = 503;
		strbuf_addstr(&b, "{\"error\":{\"code\":503,\"message\":\"Loading model\","
			      "\"type\":\"unavailable_error\"}}");
	} else if (health && (flavor == PLAIN || flavor == LLAMA)) {
		strbuf_addstr(&b, "{\"status\":\"ok\"}");
	} else if (health && flavor == VLLM) {
		/* An empty body. */
	} else if (models && (flavor == PLAIN || flavor == LLAMA)) {
		strbuf_addstr(&b, "{\"data\":[{\"created\":1765000000,\"id\":");
		json_add_cstr(&b, model_name);
		strbuf_addstr(&b, ",\"meta\":{\"n_ctx\":512,\"n_ctx_train\":2048,\"n_vocab\":32000},"
			      "\"object\":\"model\",\"owned_by\":\"llamacpp\"}],\"models\":[{\"model\":");
		json_add_cstr(&b, model_name);
		strbuf_addstr(&b, ",\"name\":");
		json_add_cstr(&b, model_name);
		strbuf_addstr(&b, "}],\"object\":\"list\"}");
	} else if (models) {
		strbuf_addstr(&b, "{\"object\":\"list\",\"data\":[{\"id\":");
		json_add_cstr(&b, model_name);
		strbuf_addstr(&b, ",\"object\":\"model\",\"created\":1765000000,\"owned_by\":");
		if (flavor == VLLM) {
			strbuf_addstr(&b, "\"vllm\",\"root\":");
			json_add_cstr(&b, model_name);
			strbuf_addstr(&b, ",\"parent\":null,\"max_model_len\":2048,\"permission\":[{"
				      "\"id\":\"modelperm-test\",\"object\":\"model_permission\","
				      "\"created\":1765000000,\"allow_create_engine\":false,"
				      "\"allow_sampling\":true,\"allow_logprobs\":true,"
				      "\"allow_search_indices\":false,\"allow_view\":true,"
				      "\"allow_fine_tuning\":false,\"organization\":\"*\",\"group\":null,"
				      "\"is_blocking\":false}]}]}");
		} else {
			strbuf_addstr(&b, flavor == OLLAMA ? "\"library\"}]}" : "\"system\"}]}");
		}
	} else {
		status = 404;
		if (flavor == OLLAMA) {
			type = "text/plain";
			strbuf_addstr(&b, "404 page not found");
		} else {
			strbuf_addstr(&b, "{\"error\":{\"message\":\"File Not Found\"}}");
		}
	}
	strbuf_addf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
		    status, status == 200 ? "OK" : status == 503 ? "Service Unavailable" : "Not Found",
		    type, b.len);
	strbuf_add(&c->out, b.buf, b.len);
	strbuf_release(&b);
	return status;
}

/* Is the response_format of the request body[0..n) the one of
 * --expect-format, once on one line? */
static int format_as_expected(const char *body, size_t n)
{
	struct json_value rf;
	if (!json_get(body, n, "response_format", &rf))
		return 0;
	struct strbuf got = STRBUF_INIT;
	json_add_compact(&got, rf.p, rf.len);
	int same = got.len == expect_format.len && !memcmp(got.buf, expect_format.buf, got.len);
	strbuf_release(&got);
	return same;
}

/* A whole request in c->in: take it out and queue what it gets. Returns
 * 0 when the request is not whole yet. */
static int handle(struct conn *c)
{
	char *end = memmem(c->in.buf, c->in.len, "\r\n\r\n", 4);
	if (!end)
		return 0;
	size_t head = (size_t)(end - c->in.buf) + 4, clen = 0;
	int has_auth = 0, expect = 0;
	for (char *line = strstr(c->in.buf, "\r\n") + 2; line < end;) {
		char *eol = strstr(line, "\r\n");
		*eol = '\0';
		if (!strncasecmp(line, "Content-Length:", 15))
			clen = strtoull(line + 15, NULL, 10);
		else if (!strncasecmp(line, "Expect:", 7) && strstr(line, "100"))
			expect = 1;
		else if (!strncasecmp(line, "Authorization:", 14) && api_key) {
			const char *v = line + 14;
			while (*v == ' ')
				v++;
			has_auth = !strncmp(v, "Bearer ", 7) && !strcmp(v + 7, api_key);
		} else if (!strncasecmp(line, "Connection:", 11) && strstr(line, "close"))
			c->close_after = 1;
		*eol = '\r';
		line = eol + 2;
	}
	if (c->in.len < head + clen) {
		if (expect && !c->continued) {
			strbuf_addstr(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
			c->continued = 1;
		}
		return 0;
	}
	c->continued = 0;
	const char *body = c->in.buf + head;
	uint64_t key = hash64(body, clen, 0);
	int post = !strncmp(c->in.buf, "POST /v1/chat/completions", 25) &&
		   (c->in.buf[25] == ' ' || c->in.buf[25] == '?');
	/* The request's target, for the log. */
	const char *target = c->in.buf + strcspn(c->in.buf, " ") + (*c->in.buf ? 1 : 0);
	int target_len = (int)strcspn(target, " \r\n");
	if (!strncmp(c->in.buf, "GET ", 4)) {
		int st = answer_get(c, target, strcspn(target, " ?\r\n"),
				    now_seconds() - started < loading_ms / 1000.0);
		if (log_file) {
			fprintf(log_file, "get-%d %016llx %.3f %.*s\n", st, (unsigned long long)key,
				now_seconds(), target_len, target);
			fflush(log_file);
		}
		memmove(c->in.buf, c->in.buf + head + clen, c->in.len - head - clen);
		strbuf_setlen(&c->in, c->in.len - head - clen);
		return 1;
	}
	int chosen = !match || memmem(body, clen, match, strlen(match));
	enum fault f = chosen ? always : OK;
	if (post && now_seconds() - started < loading_ms / 1000.0)
		f = LOADING;
	if (post && f == OK && chosen) {
		unsigned a = attempt_of(key);
		if (a < fail_first && nfaults)
			f = faults[a % nfaults];
	}
	if (post && f == OK && expect_format_file && !format_as_expected(body, clen))
		f = BADFORMAT;
	char extra[64];
	snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", retry_after);
	c->due = now_seconds() + delay_ms / 1000.0;
	struct strbuf eb = STRBUF_INIT;
	strbuf_addstr(&eb, "{\"error\":{\"message\":");
	json_add_cstr(&eb, error_message);
	strbuf_addstr(&eb, "}}");
	if (f == BADFORMAT) {
		strbuf_reset(&eb);
		strbuf_addstr(&eb, "{\"error\":{\"message\":");
		struct strbuf m = STRBUF_INIT;
		strbuf_addf(&m, "response_format differs from %s", expect_format_file);
		json_add_string(&eb, m.buf, m.len);
		strbuf_release(&m);
		strbuf_addstr(&eb, "}}");
	}
	const char *e = eb.buf;
	if (!post) {
		respond(c, 404, "Not Found", NULL, e, strlen(e), strlen(e));
	} else if (api_key && !has_auth) {
		if (flavor == PLAIN)
			respond(c, 401, "Unauthorized", NULL, e, strlen(e), strlen(e));
		else
			respond_error(c, AUTH401, body, clen, NULL);
		f = OK;
	} else {
		switch (f) {
		case F429: respond(c, 429, "Too Many Requests", extra, e, strlen(e), strlen(e)); break;
		case F500: respond(c, 500, "Internal Server Error", NULL, e, strlen(e), strlen(e)); break;
		case F503: respond(c, 503, "Service Unavailable", extra, e, strlen(e), strlen(e)); break;
		case DROP: c->close_after = 1; break;
		case MALFORMED: respond(c, 200, "OK", NULL, "{\"choices\":[", 12, 12); break;
		case TRUNC:
			respond(c, 200, "OK", NULL, "{\"choices\":", 11, 200);
			c->close_after = 1;
			break;
		case SLOW:
			c->due += slow_ms / 1000.0;
			answer(c, body, clen, OK);
			break;
		case INVALID: break;
		case F400: case BADFORMAT:
			respond(c, 400, "Bad Request", NULL, e, strlen(e), strlen(e));
			break;
		case MODEL404: case CTX400: case AUTH401: case MAXTOK400: case HTML502:
			respond_error(c, f, body, clen, NULL);
			break;
		case LOADING: respond_error(c, f, body, clen, NULL); break;
		case LENGTH: case REASONING: case THINKCUT: case EMPTYTHINK: case REFUSAL: case FILTER:
		case TOOLCALLS: case HUGE:
		case OK:
			f = answer(c, body, clen, f);
			break;
		}
	}
	if (bodies_file && post) {
		fwrite(body, 1, clen, bodies_file);
		fputc('\n', bodies_file);
		fflush(bodies_file);
	}
	c->key = key;
	if (log_file) {
		fprintf(log_file, "%s %016llx %.3f %.*s\n",
			post && !(api_key && !has_auth) ? fault_names[f] : "refused",
			(unsigned long long)key, now_seconds(), target_len, target);
		fflush(log_file);
	}
	strbuf_release(&eb);
	memmove(c->in.buf, c->in.buf + head + clen, c->in.len - head - clen);
	strbuf_setlen(&c->in, c->in.len - head - clen);
	return 1;
}

static void drop_conn(size_t i)
{
	close(conns[i].fd);
	strbuf_release(&conns[i].in);
	strbuf_release(&conns[i].out);
	conns[i] = conns[--nconns];
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *port_file = NULL;
	diag_init("llm-server");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			die("%s needs a value", a);
		i++;
		if (!strcmp(a, "--port-file"))
			port_file = v;
		else if (!strcmp(a, "--fail-first"))
			fail_first = (unsigned)atoi(v);
		else if (!strcmp(a, "--retry-after"))
			retry_after = (unsigned)atoi(v);
		else if (!strcmp(a, "--delay-ms"))
			delay_ms = (unsigned)atoi(v);
		else if (!strcmp(a, "--loading-ms"))
			loading_ms = (unsigned)atoi(v);
		else if (!strcmp(a, "--listen-after-ms"))
			listen_after_ms = (unsigned)atoi(v);
		else if (!strcmp(a, "--model-name"))
			model_name = v;
		else if (!strcmp(a, "--log-sent"))
			log_sent = !strcmp(v, "yes");
		else if (!strcmp(a, "--arith"))
			arith = !strcmp(v, "yes");
		else if (!strcmp(a, "--json-invalid"))
			json_invalid = (unsigned)atoi(v);
		else if (!strcmp(a, "--expect-format")) {
			struct strbuf t = STRBUF_INIT;
			struct json_error err;
			if (file_slurp(v, &t) < 0)
				die_errno("%s", v);
			while (t.len && (t.buf[t.len - 1] == '\n' || t.buf[t.len - 1] == ' '))
				strbuf_setlen(&t, t.len - 1);
			if (json_check_record(t.buf, t.len, &err) < 0)
				die("%s: not a JSON object: %s", v, err.msg);
			json_add_compact(&expect_format, t.buf, t.len);
			strbuf_release(&t);
			expect_format_file = v;
		}
		else if (!strcmp(a, "--slow-ms"))
			slow_ms = (unsigned)atoi(v);
		else if (!strcmp(a, "--error-message"))
			error_message = v;
		else if (!strcmp(a, "--api-key"))
			api_key = v;
		else if (!strcmp(a, "--match"))
			match = v;
		else if (!strcmp(a, "--flavor")) {
			size_t k = 0;
			while (k < sizeof(flavor_names) / sizeof(*flavor_names) && strcmp(flavor_names[k], v))
				k++;
			if (k == sizeof(flavor_names) / sizeof(*flavor_names))
				die("unknown flavor '%s'", v);
			flavor = (enum flavor)k;
		} else if (!strcmp(a, "--always"))
			always = parse_fault(v, strlen(v));
		else if (!strcmp(a, "--bodies")) {
			if (!(bodies_file = fopen(v, "a")))
				die_errno("%s", v);
		} else if (!strcmp(a, "--log")) {
			if (!(log_file = fopen(v, "a")))
				die_errno("%s", v);
		} else if (!strcmp(a, "--faults")) {
			for (const char *p = v; *p && nfaults < 16;) {
				size_t n = strcspn(p, ",");
				faults[nfaults++] = parse_fault(p, n);
				p += n + (p[n] == ',');
			}
		} else {
			die("unknown option %s", a);
		}
	}
	if (!port_file)
		die("usage: llm-server --port-file FILE [options]");
	started = now_seconds();
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(addr);
	if (bind(ls, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    getsockname(ls, (struct sockaddr *)&addr, &alen) < 0)
		die_errno("bind");
	fcntl(ls, F_SETFL, O_NONBLOCK);
	struct strbuf tmp = STRBUF_INIT;
	strbuf_addf(&tmp, "%s.tmp", port_file);
	FILE *pf = fopen(tmp.buf, "w");
	if (!pf)
		die_errno("%s", tmp.buf);
	fprintf(pf, "%d\n", ntohs(addr.sin_port));
	fclose(pf);
	if (rename(tmp.buf, port_file) < 0)
		die_errno("%s", port_file);
	strbuf_release(&tmp);
	/* Bound but not listening: a connection is refused, as to a vLLM
	 * still loading its engine. */
	if (listen_after_ms) {
		struct timespec ts = { listen_after_ms / 1000, (long)(listen_after_ms % 1000) * 1000000 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop)
			;
	}
	if (listen(ls, 512) < 0)
		die_errno("listen");

	struct pollfd *pfd = NULL;
	while (!stop) {
		pfd = xreallocarray(pfd, nconns + 1, sizeof(*pfd));
		pfd[0] = (struct pollfd){ .fd = ls, .events = POLLIN };
		double t = now_seconds(), wait = 1;
		for (size_t i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];
			short ev = POLLIN;
			if (c->sent < c->out.len) {
				if (c->due <= t)
					ev |= POLLOUT;
				else if (c->due - t < wait)
					wait = c->due - t;
			}
			pfd[i + 1] = (struct pollfd){ .fd = c->fd, .events = ev };
		}
		size_t polled = nconns;
		if (poll(pfd, polled + 1, (int)(wait * 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			die_errno("poll");
		}
		/* Walk down so that dropping a connection (moving the last
		 * into its place) leaves the ones still to visit alone. */
		for (size_t i = polled; i-- > 0;) {
			struct conn *c = &conns[i];
			short re = pfd[i + 1].revents;
			int gone = 0;
			if (re & (POLLIN | POLLHUP | POLLERR)) {
				char buf[65536];
				ssize_t k = read(c->fd, buf, sizeof(buf));
				if (k > 0) {
					strbuf_add(&c->in, buf, (size_t)k);
					while (c->sent == c->out.len && !c->close_after && handle(c))
						;
				} else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
					gone = 1;
				}
			}
			if (!gone && (re & POLLOUT) && c->sent < c->out.len) {
				ssize_t k = write(c->fd, c->out.buf + c->sent, c->out.len - c->sent);
				if (k > 0)
					c->sent += (size_t)k;
				else if (errno != EAGAIN && errno != EINTR)
					gone = 1;
			}
			if (!gone && c->sent == c->out.len) {
				if (log_sent && c->out.len && log_file) {
					fprintf(log_file, "sent %016llx %.3f\n", (unsigned long long)c->key,
						now_seconds());
					fflush(log_file);
				}
				strbuf_reset(&c->out);
				c->sent = 0;
				if (c->close_after)
					gone = 1;
				else
					while (c->sent == c->out.len && !c->close_after && c->in.len && handle(c))
						;
				if (c->close_after && !c->out.len)
					gone = 1;
			}
			if (gone)
				drop_conn(i);
		}
		if (pfd[0].revents & POLLIN) {
			int fd;
			while ((fd = accept(ls, NULL, NULL)) >= 0) {
				fcntl(fd, F_SETFL, O_NONBLOCK);
				if (nconns == cconns) {
					cconns = grow_capacity(cconns, nconns + 1, 64);
					conns = xreallocarray(conns, cconns, sizeof(*conns));
				}
				conns[nconns++] = (struct conn){ .fd = fd, .in = STRBUF_INIT, .out = STRBUF_INIT };
			}
		}
	}
	for (size_t i = nconns; i-- > 0;)
		drop_conn(i);
	free(pfd);
	close(ls);
	return 0;
}
