/* test-chat.c: the parts of a request that lib/chat builds for
 * --json-schema: the response_format member, the schema's name, and a
 * request asked again with a follow-up. */
#include <string.h>

#include "chat.h"
#include "json.h"
#include "strbuf.h"
#include "unit.h"

int main(void)
{
	struct strbuf out = STRBUF_INIT;
	struct json_error err;

	/* The name: OpenAI's characters, 64 bytes at most, never empty. */
	chat_schema_name("answer", 6, &out);
	is_str(out.buf, "answer", "a plain name stays");
	strbuf_reset(&out);
	chat_schema_name("my answer+v2\xc3\xa9", 14, &out);
	is_str(out.buf, "my_answer_v2__", "other bytes, UTF-8 too, become '_'");
	strbuf_reset(&out);
	chat_schema_name("", 0, &out);
	is_str(out.buf, "schema", "no name is \"schema\"");
	strbuf_reset(&out);
	char longname[100];
	memset(longname, 'x', sizeof(longname));
	chat_schema_name(longname, sizeof(longname), &out);
	ok(out.len == 64, "a name is cut at 64 bytes (%zu)", out.len);

	/* The member: the schema on one line, its bytes otherwise kept. */
	strbuf_reset(&out);
	const char *schema = "{\n  \"type\": \"object\",\n  \"properties\": {\"a b\": {\"const\": 1.50}}\n}\n";
	chat_response_format("person", schema, strlen(schema), 1, &out);
	is_str(out.buf, ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"person\","
	       "\"schema\":{\"type\":\"object\",\"properties\":{\"a b\":{\"const\":1.50}}},\"strict\":true}}",
	       "response_format, strict");
	strbuf_reset(&out);
	chat_response_format("p", "{}", 2, 0, &out);
	is_str(out.buf, ",\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"p\","
	       "\"schema\":{},\"strict\":false}}", "strict false");
	struct strbuf req = STRBUF_INIT;
	strbuf_addf(&req, "{\"model\":\"m\"%s}", out.buf);
	ok(json_check_record(req.buf, req.len, &err) == 0, "a request with it is valid JSON");

	/* The follow-up: two messages at the end of the array, every other
	 * byte as it was. */
	const char *body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"seed\":3,"
			   "\"x\":[1]}";
	const char *answer = "\"{\\\"a\\\":2}\"", *user = "\"again\"";
	ok(chat_follow_up(body, strlen(body), answer, strlen(answer), user, strlen(user), &req) == 0,
	   "a follow-up is made");
	is_str(req.buf, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
	       "{\"role\":\"assistant\",\"content\":\"{\\\"a\\\":2}\"},{\"role\":\"user\",\"content\":\"again\"}],"
	       "\"seed\":3,\"x\":[1]}", "the answer and the user message after the others");
	ok(json_check_record(req.buf, req.len, &err) == 0, "it is valid JSON");
	struct strbuf again = STRBUF_INIT;
	ok(chat_follow_up(req.buf, req.len, answer, strlen(answer), user, strlen(user), &again) == 0 &&
	   strstr(again.buf, "\"again\"},{\"role\":\"assistant\"") != NULL,
	   "a follow-up of a follow-up goes on from it");
	const char *spaced = "{ \"messages\" : [ ] , \"model\":\"m\"}";
	ok(chat_follow_up(spaced, strlen(spaced), answer, strlen(answer), user, strlen(user), &req) == 0,
	   "an empty array takes the two");
	is_str(req.buf, "{ \"messages\" : [ {\"role\":\"assistant\",\"content\":\"{\\\"a\\\":2}\"},"
	       "{\"role\":\"user\",\"content\":\"again\"}] , \"model\":\"m\"}", "without a comma before them");
	ok(json_check_record(req.buf, req.len, &err) == 0, "and is valid JSON");
	const char *none = "{\"model\":\"m\",\"messages\":\"q\"}";
	ok(chat_follow_up(none, strlen(none), answer, strlen(answer), user, strlen(user), &req) < 0,
	   "a body whose messages is no array has no follow-up");

	strbuf_release(&out);
	strbuf_release(&req);
	strbuf_release(&again);
	return done_testing();
}
