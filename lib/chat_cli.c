/* chat_cli.c: an LLM client's command-line options; see chat_cli.h. */
#include "chat_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "diag.h"
#include "json.h"
#include "json_writer.h"
#include "output.h"
#include "strbuf.h"
#include "tokenizer.h"

void chat_cli_init(struct chat_cli *o)
{
	memset(o, 0, sizeof(*o));
	strbuf_init(&o->params);
	strbuf_init(&o->param_names);
	strbuf_init(&o->scratch);
	struct chat_config *cfg = &o->cfg;
	cfg->concurrency = 16;
	cfg->retries = 5;
	cfg->timeout = 300;
	cfg->backoff = 0.5;
	cfg->backoff_max = 30;
	cfg->breaker_seconds = 60;
	cfg->wait_ready = 300;
	cfg->max_retry_after = 600;
	cfg->max_response = 64 << 20;
}

/* Was a --param of name[0..n) given? */
static int param_named(const struct chat_cli *o, const char *name, size_t n)
{
	struct strbuf k = STRBUF_INIT;
	strbuf_addc(&k, ',');
	strbuf_add(&k, name, n);
	strbuf_addc(&k, ',');
	int found = o->param_names.len && memmem(o->param_names.buf, o->param_names.len, k.buf, k.len);
	strbuf_release(&k);
	return found;
}

/* NAME=JSON of --param: a name of letters, digits and '_', and one JSON
 * value, appended to o->params as a member. */
static void add_param(struct chat_cli *o, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		usage_error("--param %s: write NAME=JSON", arg);
	for (const char *p = arg; p < eq; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			usage_error("--param %s: a name is letters, digits and '_'", arg);
	/* The value checked as the member of an object. */
	struct strbuf member = STRBUF_INIT, obj = STRBUF_INIT;
	strbuf_addc(&member, '"');
	strbuf_add(&member, arg, (size_t)(eq - arg));
	strbuf_addstr(&member, "\":");
	strbuf_addstr(&member, eq + 1);
	strbuf_addc(&obj, '{');
	strbuf_add(&obj, member.buf, member.len);
	strbuf_addc(&obj, '}');
	struct json_error err;
	if (!eq[1] || json_check_record(obj.buf, obj.len, &err) < 0)
		usage_error("--param %s: the value is not one JSON value", arg);
	/* Twice the same name would send it twice. */
	if (param_named(o, arg, (size_t)(eq - arg)))
		usage_error("--param %.*s given twice", (int)(eq - arg), arg);
	if (!o->param_names.len)
		strbuf_addc(&o->param_names, ',');
	strbuf_add(&o->param_names, arg, (size_t)(eq - arg));
	strbuf_addc(&o->param_names, ',');
	/* On one line, as every member synth writes: the value goes into
	 * each answer's synth.parameters and each --resume journal line. */
	strbuf_addc(&o->params, ',');
	json_add_compact(&o->params, member.buf, member.len);
	strbuf_release(&member);
	strbuf_release(&obj);
}

void chat_cli_check_params(const struct chat_cli *o, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (param_named(o, names[i], strlen(names[i])))
			usage_error("--param %s: that member is sent of its own; use its option",
				    names[i]);
}

void chat_cli_release(struct chat_cli *o)
{
	strbuf_release(&o->params);
	strbuf_release(&o->param_names);
	strbuf_release(&o->scratch);
	tokenizer_run_free(o->tokens);
	tokenizer_free(o->tokenizer);
	o->tokens = NULL;
	o->tokenizer = NULL;
}

/* The tokens of the JSON string v (none when it is not a string). */
static uint64_t string_tokens(struct chat_cli *o, const struct json_value *v)
{
	if (v->type != JSON_STRING)
		return 0;
	const char *s;
	size_t n;
	if (!json_string_plain(v, &s, &n)) {
		strbuf_reset(&o->scratch);
		json_decode_string(v, &o->scratch);
		s = o->scratch.buf;
		n = o->scratch.len;
	}
	return tokenizer_count(o->tokens, s, n);
}

/* The tokens of a message's content: a string, or an array of parts
 * whose text parts count. */
static uint64_t content_tokens(struct chat_cli *o, const struct json_value *content)
{
	if (content->type != JSON_ARRAY)
		return string_tokens(o, content);
	uint64_t n = 0;
	struct json_value part, text;
	size_t pos = 0;
	while (json_array_next(content, &pos, &part))
		if (part.type == JSON_OBJECT && json_get(part.p, part.len, "text", &text))
			n += string_tokens(o, &text);
	return n;
}

/* The client's on_answer under --tokenizer: a chat completion's prompt
 * (the text of its request's messages) and answer (content and
 * reasoning) counted. */
static void count_answer(void *arg, const char *request, size_t n, const char *answer, size_t m)
{
	struct chat_cli *o = arg;
	struct chat_answer a;
	if (!chat_answer_read(answer, m, &a))
		return;
	o->counted.answers++;
	struct json_value messages, message, content;
	size_t pos = 0;
	if (json_get(request, n, "messages", &messages) && messages.type == JSON_ARRAY)
		while (json_array_next(&messages, &pos, &message))
			if (message.type == JSON_OBJECT &&
			    json_get(message.p, message.len, "content", &content))
				o->counted.prompt += content_tokens(o, &content);
	o->counted.completion += string_tokens(o, &a.content) + string_tokens(o, &a.reasoning);
}

int chat_cli_option(struct chat_cli *o, int key, const char *arg)
{
	struct chat_config *cfg = &o->cfg;
	switch (key) {
	case KEY_CHAT_USAGE: o->usage_path = arg; return 1;
	case KEY_CHAT_TOKENIZER:
		if (o->tokenizer)
			usage_error("--tokenizer given twice");
		o->tokenizer = tokenizer_load_or_die(arg);
		o->tokens = tokenizer_run_new(o->tokenizer);
		cfg->on_answer = count_answer;
		cfg->on_answer_arg = o;
		return 1;
	case KEY_CHAT_PARAM: add_param(o, arg); return 1;
	case KEY_CHAT_PRICE: {
		/* The user's prices: synth knows no price list. */
		const char *comma = strchr(arg, ',');
		if (!comma)
			usage_error("--price %s: write IN,OUT, the price of a million prompt tokens and "
				    "of a million completion tokens", arg);
		char *in = xstrndup(arg, (size_t)(comma - arg));
		o->price_in = cli_double("--price", in, 0, 1e9);
		o->price_out = cli_double("--price", comma + 1, 0, 1e9);
		free(in);
		o->priced = 1;
		return 1;
	}
	case KEY_CHAT_BUDGET: cfg->budget = cli_u64("--budget", arg, 1, UINT64_MAX); return 1;
	case KEY_CHAT_CONCURRENCY:
		cfg->concurrency = (unsigned)cli_u64("--concurrency", arg, 1, 4096);
		return 1;
	case KEY_CHAT_RETRIES: cfg->retries = (unsigned)cli_u64("--retries", arg, 0, 100); return 1;
	case KEY_CHAT_TIMEOUT: cfg->timeout = cli_double("--timeout", arg, 0.001, 86400); return 1;
	case KEY_CHAT_BACKOFF: cfg->backoff = cli_double("--backoff", arg, 0, 3600); return 1;
	case KEY_CHAT_BREAKER: cfg->breaker_seconds = cli_double("--breaker", arg, 0, 86400); return 1;
	case KEY_CHAT_WAIT_READY: cfg->wait_ready = cli_double("--wait-ready", arg, 0, 86400); return 1;
	case KEY_CHAT_PROBE:
		/* A path on the server of --url: its own /health, not a
		 * place of its own that could hold other credentials. */
		if (arg[0] != '/' || strpbrk(arg, "?# \t\r\n"))
			usage_error("--probe %s: give a path on the server, as /health or /v1/models", arg);
		cfg->probe = arg;
		return 1;
	case KEY_CHAT_MAX_RETRY_AFTER:
		cfg->max_retry_after = cli_double("--max-retry-after", arg, 0, 86400);
		return 1;
	case KEY_CHAT_MAX_RESPONSE: {
		uint64_t n = cli_size("--max-response", arg);
		if (n < 1024 || n > (uint64_t)1 << 40)
			usage_error("--max-response: give 1K to 1T, not '%s'", arg);
		cfg->max_response = (size_t)n;
		return 1;
	}
	default:
		return 0;
	}
}

void chat_cli_api_key(struct chat_config *cfg)
{
	const char *key = getenv("SYNTH_API_KEY");
	cfg->api_key = key && *key ? key : NULL;
	for (const char *p = cfg->api_key; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			usage_error("SYNTH_API_KEY holds a control character (a line break?); "
				    "it would not go as one header");
}

void chat_cli_check_seed(uint64_t seed, uint64_t samples)
{
	if (seed > CHAT_SEED_MAX || samples - 1 > CHAT_SEED_MAX - seed) {
		if (samples > 1)
			usage_error("--seed %llu: the requests carry seeds up to %llu + %llu; servers read "
				    "seeds of 0 to %llu alike", (unsigned long long)seed,
				    (unsigned long long)seed, (unsigned long long)(samples - 1),
				    (unsigned long long)CHAT_SEED_MAX);
		usage_error("--seed %llu: servers read seeds of 0 to %llu alike (llama-server keeps 32 bits, "
			    "and takes 4294967295 for a random seed)", (unsigned long long)seed,
			    (unsigned long long)CHAT_SEED_MAX);
	}
}

int chat_cli_usage_end(const struct chat_cli *o, const char *program, const char *model,
		       const struct chat_usage *u)
{
	double cost = ((double)u->prompt * o->price_in + (double)u->completion * o->price_out) / 1e6;
	char priced[64] = "";
	if (o->priced)
		snprintf(priced, sizeof(priced), "; cost %.4f at --price", cost);
	info("tokens used: %llu prompt (%llu of them cached), %llu completion (%llu of them "
	     "reasoning), in %llu answers of %s%s", (unsigned long long)u->prompt,
	     (unsigned long long)u->cached, (unsigned long long)u->completion,
	     (unsigned long long)u->reasoning, (unsigned long long)u->answers, model, priced);
	const struct chat_counted *c = &o->counted;
	if (o->tokenizer)
		info("tokens counted by %s: %llu prompt, %llu completion, in %llu answers (without "
		     "the chat template's)", tokenizer_name(o->tokenizer), (unsigned long long)c->prompt,
		     (unsigned long long)c->completion, (unsigned long long)c->answers);
	if (!o->usage_path)
		return 0;
	struct strbuf sb = STRBUF_INIT;
	struct json_writer w;
	jw_init(&w, &sb);
	jw_object_begin(&w);
	jw_key(&w, "program");
	jw_cstr(&w, program);
	jw_key(&w, "model");
	jw_cstr(&w, model);
	jw_key(&w, "answers");
	jw_u64(&w, u->answers);
	jw_key(&w, "prompt_tokens");
	jw_u64(&w, u->prompt);
	jw_key(&w, "cached_tokens");
	jw_u64(&w, u->cached);
	jw_key(&w, "completion_tokens");
	jw_u64(&w, u->completion);
	jw_key(&w, "reasoning_tokens");
	jw_u64(&w, u->reasoning);
	jw_key(&w, "total_tokens");
	jw_u64(&w, u->prompt + u->completion);
	if (o->priced) {
		jw_key(&w, "cost");
		jw_double(&w, cost, 6);
	}
	if (o->tokenizer) {
		jw_key(&w, "counted");
		jw_object_begin(&w);
		jw_key(&w, "tokenizer");
		jw_cstr(&w, tokenizer_name(o->tokenizer));
		jw_key(&w, "answers");
		jw_u64(&w, c->answers);
		jw_key(&w, "prompt_tokens");
		jw_u64(&w, c->prompt);
		jw_key(&w, "completion_tokens");
		jw_u64(&w, c->completion);
		jw_key(&w, "total_tokens");
		jw_u64(&w, c->prompt + c->completion);
		jw_object_end(&w);
	}
	jw_object_end(&w);
	strbuf_addc(&sb, '\n');
	struct output out;
	int rc = output_open(&out, o->usage_path, 0);
	if (rc == 0) {
		output_write(&out, sb.buf, sb.len);
		rc = output_close(&out);
	}
	strbuf_release(&sb);
	return rc;
}
