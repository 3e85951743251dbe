/* test-json-writer.c: the JSON writer's commas, nesting and numbers. */
#include <math.h>
#include <stdint.h>

#include "json.h"
#include "json_writer.h"
#include "strbuf.h"
#include "unit.h"

static void test_nesting(void)
{
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	jw_init(&w, &out);
	jw_object_begin(&w);
	jw_key(&w, "n");
	jw_u64(&w, UINT64_MAX);
	jw_key(&w, "empty");
	jw_object_begin(&w);
	jw_object_end(&w);
	jw_key(&w, "list");
	jw_array_begin(&w);
	jw_int(&w, -3);
	jw_null(&w);
	jw_array_begin(&w);
	jw_array_end(&w);
	jw_object_begin(&w);
	jw_key(&w, "s");
	jw_cstr(&w, "a\"b\n\xc3\xa9");
	jw_object_end(&w);
	jw_raw(&w, "[1, 2]", 6);
	jw_array_end(&w);
	jw_key(&w, "k\"");
	jw_string(&w, "x\0y", 3);
	jw_object_end(&w);
	is_str(out.buf,
	       "{\"n\":18446744073709551615,\"empty\":{},\"list\":[-3,null,[],{\"s\":\"a\\\"b\\n\xc3\xa9\"},"
	       "[1, 2]],\"k\\\"\":\"x\\u0000y\"}",
	       "commas between members and items, none after a key or an opening");
	struct json_error err;
	ok(json_check_record(out.buf, out.len, &err) == 0, "and it is one valid JSON object");
	ok(w.depth == 0, "everything opened is closed");
	strbuf_release(&out);
}

static void test_doubles(void)
{
	struct strbuf out = STRBUF_INIT;
	struct json_writer w;
	jw_init(&w, &out);
	jw_array_begin(&w);
	jw_double(&w, 3.14159265, 6);
	jw_double(&w, 2.0 / 3.0, 6);
	jw_double(&w, 0.5, 0);
	jw_double(&w, 1234.56789, 2);
	jw_double(&w, 1e-9, 6);
	jw_double(&w, NAN, 6);
	jw_double(&w, INFINITY, 3);
	jw_double(&w, 70.0171428, 6);
	jw_array_end(&w);
	is_str(out.buf, "[3.141593,0.666667,1,1234.57,0,null,null,70.017143]",
	       "doubles rounded to their decimals, in the shortest form; null for NaN and infinity");
	strbuf_release(&out);
}

int main(void)
{
	test_nesting();
	test_doubles();
	return done_testing();
}
