/* fuzz-json-schema.c: libFuzzer target for lib/json_schema.
 *
 * The input is a schema and instances: the bytes up to the first NUL are
 * the schema, and each run of bytes after a NUL an instance. A schema
 * either loads or fails with a message; a loaded one is validated
 * against each instance, and against the schema text itself, under both
 * drafts: the outcome is one of the three results, an invalid instance
 * names a JSON pointer path (empty or starting with '/') and a message,
 * a valid one neither, and one that is not JSON has a message and no
 * path. The same validation twice gives the same answer (the schema is
 * read-only). A $ref that loops ends in an error, never in a crash.
 */
#define FUZZ_NAME "fuzz-json-schema"
#include "fuzz-file.h"

#include "json_schema.h"
#include "strbuf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init();
	return 0;
}

static void validate_one(const struct json_schema *s, const char *p, size_t n, struct json_schema_check *c)
{
	enum json_schema_result r = json_schema_validate(s, p, n, c);
	CHECK(r == JSON_SCHEMA_VALID || r == JSON_SCHEMA_INVALID || r == JSON_SCHEMA_NOT_JSON,
	      "one of the three results");
	if (r == JSON_SCHEMA_VALID)
		CHECK(c->path.len == 0 && c->message.len == 0, "a valid instance has no error");
	else if (r == JSON_SCHEMA_INVALID)
		CHECK(c->message.len > 0 && (c->path.len == 0 || c->path.buf[0] == '/'),
		      "an invalid instance has a message and a JSON pointer");
	else
		CHECK(c->message.len > 0 && c->path.len == 0, "not JSON: a message, no path");
	struct strbuf path = STRBUF_INIT, msg = STRBUF_INIT;
	strbuf_add(&path, c->path.buf, c->path.len);
	strbuf_add(&msg, c->message.buf, c->message.len);
	CHECK(json_schema_validate(s, p, n, c) == r && c->path.len == path.len &&
	      !memcmp(c->path.buf, path.buf, path.len) && c->message.len == msg.len &&
	      !memcmp(c->message.buf, msg.buf, msg.len), "the same answer twice");
	strbuf_release(&path);
	strbuf_release(&msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, 0, size);
	size_t slen = nul ? (size_t)(nul - text) : size;
	for (int d = 0; d < 2; d++) {
		struct strbuf err = STRBUF_INIT;
		struct json_schema *s = json_schema_load(text, slen, d ? JSON_SCHEMA_DRAFT7 : JSON_SCHEMA_2020_12,
							 &err);
		CHECK(s ? err.len == 0 : err.len > 0, "a schema loads, or fails with a message");
		if (s) {
			struct json_schema_check c;
			json_schema_check_init(&c);
			validate_one(s, text, slen, &c);
			for (const char *p = nul; p && p < text + size;) {
				const char *q = memchr(p + 1, 0, (size_t)(text + size - p - 1));
				size_t n = (size_t)((q ? q : text + size) - p - 1);
				validate_one(s, p + 1, n, &c);
				p = q;
			}
			json_schema_check_release(&c);
		}
		json_schema_free(s);
		strbuf_release(&err);
	}
	return 0;
}
