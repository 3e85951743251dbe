/* chat_cli.h: the command-line options of an LLM client, one set for
 * every program that asks a server (synth-gen complete, synth-score
 * --judge): their table entries, their defaults, how each is read, and
 * the API key from the environment.
 *
 * A program lists the CHAT_OPT_* entries it takes in its option table,
 * each with the words its help starts with ("complete: "), and hands
 * every key to chat_cli_option() before its own.
 */
#ifndef SYNTH_CHAT_CLI_H
#define SYNTH_CHAT_CLI_H

#include "chat.h"
#include "cli.h"

struct tokenizer;
struct tokenizer_run;

/* Keys of the client's options, above those a program numbers from
 * KEY_PROGRAM. */
enum {
	KEY_CHAT_CONCURRENCY = KEY_PROGRAM + 256, KEY_CHAT_RETRIES, KEY_CHAT_TIMEOUT, KEY_CHAT_BACKOFF,
	KEY_CHAT_BREAKER, KEY_CHAT_WAIT_READY, KEY_CHAT_MAX_RETRY_AFTER, KEY_CHAT_MAX_RESPONSE,
	KEY_CHAT_USAGE, KEY_CHAT_BUDGET, KEY_CHAT_PARAM, KEY_CHAT_PRICE, KEY_CHAT_PROBE,
	KEY_CHAT_TOKENIZER, KEY_CHAT_END
};

#define CHAT_OPT_CONCURRENCY(who) { "concurrency", KEY_CHAT_CONCURRENCY, "N", who "N requests in flight at most (default: 16)" }
#define CHAT_OPT_RETRIES(who) { "retries", KEY_CHAT_RETRIES, "N", who "retry a failed request N times (default: 5)" }
#define CHAT_OPT_TIMEOUT(who) { "timeout", KEY_CHAT_TIMEOUT, "S", who "give a request S seconds (default: 300)" }
#define CHAT_OPT_BACKOFF(who) { "backoff", KEY_CHAT_BACKOFF, "S", who "wait S seconds before the first retry, doubling (default: 0.5)" }
#define CHAT_OPT_BREAKER(who) { "breaker", KEY_CHAT_BREAKER, "S", who "stop when no request succeeded for S seconds (default: 60)" }
#define CHAT_OPT_WAIT_READY(who) { "wait-ready", KEY_CHAT_WAIT_READY, "S", who "wait up to S seconds for a server loading its model (default: 300)" }
#define CHAT_OPT_MAX_RETRY_AFTER(who) { "max-retry-after", KEY_CHAT_MAX_RETRY_AFTER, "S", who "wait S seconds at most when a server asks for longer (default: 600)" }
#define CHAT_OPT_PROBE(who) { "probe", KEY_CHAT_PROBE, "PATH", who "before the first request, wait up to --wait-ready for GET PATH (/health) to answer 200" }
#define CHAT_OPT_USAGE(who) { "usage", KEY_CHAT_USAGE, "FILE", who "write the tokens the answers used to FILE, as JSON" }
#define CHAT_OPT_TOKENIZER(who) { "tokenizer", KEY_CHAT_TOKENIZER, "FILE", who "--usage and -v also give the prompt and answer tokens counted by the tokenizer in FILE" }
#define CHAT_OPT_BUDGET(who) { "budget", KEY_CHAT_BUDGET, "N", who "stop, resumable, once the answers used N tokens" }
#define CHAT_OPT_PARAM(who) { "param", KEY_CHAT_PARAM, "SPEC", who "NAME=JSON: send the member NAME with the value JSON (repeatable)" }
#define CHAT_OPT_PRICE(who) { "price", KEY_CHAT_PRICE, "SPEC", who "IN,OUT: the price of a million prompt and completion tokens, for the cost" }
#define CHAT_OPT_MAX_RESPONSE(who) { "max-response", KEY_CHAT_MAX_RESPONSE, "SIZE", who "fail an answer larger than SIZE bytes (default: 64M)" }

/* What the options set beside the client's configuration. */
struct chat_cli {
	struct chat_config cfg;
	const char *usage_path;	/* --usage FILE; NULL: none */
	int priced;		/* --price given: */
	double price_in, price_out;	/* of a million prompt, completion tokens */
	/* --param: ",\"NAME\":JSON" for each, in order, for the program
	 * to add to its request bodies; owned, released by
	 * chat_cli_release(). */
	struct strbuf params;
	struct strbuf param_names;	/* ",NAME,NAME," */
	/* --tokenizer FILE: the prompts and answers of the chat
	 * completions that came back (those whose usage the server
	 * reports), counted by our tokenizer: the messages' text, and the
	 * answer's content and reasoning. Owned. */
	struct tokenizer *tokenizer;
	struct tokenizer_run *tokens;
	struct strbuf scratch;
	struct chat_counted {
		uint64_t answers, prompt, completion;
	} counted;
};

/* Free what the options hold. */
void chat_cli_release(struct chat_cli *o);

/* Refuse (a usage error) a --param of a member the program sends of
 * its own: names[0..n). */
void chat_cli_check_params(const struct chat_cli *o, const char *const *names, size_t n);

/* The defaults of every option above; url, api_key and seed NULL or 0. */
void chat_cli_init(struct chat_cli *o);

/* Read the option `key` with its argument into o: 1 when key is a
 * client's option, 0 when it is not. A bad value is a usage error; a
 * --tokenizer FILE that does not load is an error that ends the run
 * (exit 1). */
int chat_cli_option(struct chat_cli *o, int key, const char *arg);

/* The largest seed a request carries: llama-server keeps 32 bits of a
 * seed and takes 4294967295 for "draw one at random"; vLLM and Ollama
 * take up to 2^63 - 1. A seed every server reads the same is below
 * 2^32 - 1. */
#define CHAT_SEED_MAX UINT64_C(4294967294)

/* Check that the seeds seed to seed + samples - 1, which the requests
 * carry, are all at most CHAT_SEED_MAX: a usage error naming --seed
 * otherwise (never a seed that wraps around). */
void chat_cli_check_seed(uint64_t seed, uint64_t samples);

/* The API key from SYNTH_API_KEY into cfg->api_key (NULL when unset or
 * empty). A key with a control character (a CR or LF would start a
 * header of its own) is a usage error that does not print it. */
void chat_cli_api_key(struct chat_config *cfg);

/* The end of a run that asked `program` (its words, "synth-gen
 * complete") and `model`: the -v line of the tokens used, and the JSON
 * report of --usage FILE, written whether the run succeeded or not (the
 * tokens were spent either way); under --tokenizer both give our counts
 * beside the server's ("counted" in the report), which differ from them
 * by the tokens of the chat template (roles, turn markers). Returns 0, or -1 after printing an
 * error when the file could not be written. */
int chat_cli_usage_end(const struct chat_cli *o, const char *program, const char *model,
		       const struct chat_usage *u);

#endif
