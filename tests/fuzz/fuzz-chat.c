/* fuzz-chat.c: libFuzzer target for what lib/chat.c reads of a server's
 * answer: the body, by chat_answer_read(), and a Retry-After header, by
 * chat_retry_after().
 *
 * The input is a response body; when json_check_record() takes it, as
 * the client does before it, its first choice must be an object inside
 * the body, the parts read of it inside the body and of their types,
 * and message.content, when a string, inside the choice, and it
 * decodes. The input is also a header line as libcurl
 * hands one over, as it is and after "Retry-After: ": the delay is 0 or
 * a number of seconds in (0, 86400), and a header of whole seconds gives
 * those seconds.
 */
#define FUZZ_NAME "fuzz-chat"
#include "fuzz-file.h"

#include "chat.h"
#include "json.h"
#include "strbuf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init();
	return 0;
}

static int inside(const char *p, size_t len, const char *outer, size_t outer_len)
{
	return p >= outer && len <= outer_len && (size_t)(p - outer) <= outer_len - len;
}

static void check_body(const char *s, size_t n)
{
	struct json_error err;
	if (json_check_record(s, n, &err) < 0)
		return;
	struct chat_answer a;
	if (!chat_answer_read(s, n, &a))
		return;
	struct json_value choice = a.choice, content = a.content;
	CHECK(choice.type == JSON_OBJECT, "an answer read has a first choice");
	/* The other parts, where present, lie inside the body. */
	const struct json_value *parts[] = { &a.content, &a.finish_reason, &a.refusal, &a.reasoning,
					     &a.usage };
	for (size_t i = 0; i < sizeof(parts) / sizeof(*parts); i++)
		CHECK(parts[i]->type == JSON_NONE || inside(parts[i]->p, parts[i]->len, s, n),
		      "a part of the answer lies inside the body");
	CHECK(a.refusal.type == JSON_NONE || a.refusal.type == JSON_STRING, "a refusal is a string");
	CHECK(a.reasoning.type == JSON_NONE || a.reasoning.type == JSON_STRING, "reasoning is a string");
	CHECK(a.usage.type == JSON_NONE || a.usage.type == JSON_OBJECT, "usage is an object");
	/* Content may be null (a refusal, a cut answer) or absent. */
	if (content.type != JSON_STRING)
		return;
	CHECK(choice.type == JSON_OBJECT && inside(choice.p, choice.len, s, n),
	      "the first choice is an object of the body");
	CHECK(choice.len >= 2 && choice.p[0] == '{' && choice.p[choice.len - 1] == '}',
	      "the first choice spans an object");
	CHECK(content.type == JSON_STRING && inside(content.p, content.len, choice.p, choice.len),
	      "the content is a string of the choice");
	CHECK(content.len >= 2 && content.p[0] == '"' && content.p[content.len - 1] == '"',
	      "the content spans a string");
	struct strbuf text = STRBUF_INIT;
	json_decode_string(&content, &text);
	CHECK(utf8_valid(text.buf, text.len), "the content decodes to UTF-8");
	strbuf_release(&text);
}

static void check_delay(double d)
{
	CHECK(d == 0 || (d > 0 && d < 86400), "a delay is 0 or in (0, 86400) seconds");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size ? size : 1);
	CHECK(s != NULL, "allocating");
	if (size)
		memcpy(s, data, size);
	check_body(s, size);
	check_delay(chat_retry_after(s, size));
	free(s);

	static const char name[] = "Retry-After: ";
	size_t hn = sizeof(name) - 1 + size;
	char *h = malloc(hn);
	CHECK(h != NULL, "allocating");
	memcpy(h, name, sizeof(name) - 1);
	if (size)
		memcpy(h + sizeof(name) - 1, data, size);
	double d = chat_retry_after(h, hn);
	check_delay(d);
	/* "Retry-After: N\r\n", N up to 5 digits: N seconds, or 0 for 0. */
	size_t k = 0;
	unsigned v = 0;
	while (k < size && k < 6 && data[k] >= '0' && data[k] <= '9')
		v = v * 10 + (unsigned)(data[k++] - '0');
	if (k && k <= 5 && size == k + 2 && data[k] == '\r' && data[k + 1] == '\n')
		CHECK(d == (v < 86400 ? v : 0), "whole seconds are read as they are");
	free(h);
	return 0;
}
