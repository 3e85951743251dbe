/* test-json-schema.c: lib/json_schema, by hand and against the official
 * JSON-Schema-Test-Suite.
 *
 * The suite is read from Debian's json-schema-test-suite package
 * (/usr/share/json-schema-test-suite/tests), or from the folder in
 * $JSON_SCHEMA_TEST_SUITE (a checkout's tests/). Every draft folder of
 * it that we validate (draft2020-12, and draft7, which Debian 12's
 * package holds instead) is run, case by case: a line per keyword file
 * says how many cases pass. For each keyword file we claim, every case
 * must pass, but for the groups listed in skipped[] below, which need
 * what json_schema.h leaves out; the other files (the left-out keywords)
 * are run too, for crashes, and their counts printed. A run that finds
 * no suite fails.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bytes.h"
#include "json.h"
#include "json_schema.h"
#include "strbuf.h"
#include "unit.h"

/* --- By hand ------------------------------------------------------------- */

static struct json_schema *load(const char *schema)
{
	struct strbuf err = STRBUF_INIT;
	struct json_schema *s = json_schema_load(schema, strlen(schema), JSON_SCHEMA_2020_12, &err);
	if (!s)
		printf("# load: %s\n", err.buf);
	strbuf_release(&err);
	return s;
}

/* Validate text against schema and check the outcome, the path and the
 * message (NULL: not checked). */
static void check(const char *schema, const char *text, enum json_schema_result want,
		  const char *path, const char *message)
{
	struct json_schema *s = load(schema);
	struct json_schema_check c;
	json_schema_check_init(&c);
	int got = s ? (int)json_schema_validate(s, text, strlen(text), &c) : -1;
	ok(got == (int)want, "%s against %s: %s", text, schema,
	   want == JSON_SCHEMA_VALID ? "valid" : want == JSON_SCHEMA_INVALID ? "invalid" : "not JSON");
	if (got != (int)want)
		printf("#   got %d: %s: %s\n", got, c.path.buf, c.message.buf);
	if (path)
		is_str(c.path.buf, path, "  the error's path");
	if (message)
		is_str(c.message.buf, message, "  the error's message");
	json_schema_check_release(&c);
	json_schema_free(s);
}

static void load_fails(const char *schema, const char *why)
{
	struct strbuf err = STRBUF_INIT;
	struct json_schema *s = json_schema_load(schema, strlen(schema), JSON_SCHEMA_2020_12, &err);
	ok(!s && strstr(err.buf, why), "the schema %s is refused: %s", schema, err.buf);
	json_schema_free(s);
	strbuf_release(&err);
}

static void by_hand(void)
{
	const char *person = "{\"type\":\"object\",\"required\":[\"name\",\"age\"],"
			     "\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":2},"
			     "\"age\":{\"type\":\"integer\",\"minimum\":0},"
			     "\"tags\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/tag\"}}},"
			     "\"additionalProperties\":false,"
			     "\"$defs\":{\"tag\":{\"type\":\"string\",\"pattern\":\"^[a-z]+$\"}}}";
	check(person, "{\"name\":\"Ada\",\"age\":36,\"tags\":[\"math\"]}", JSON_SCHEMA_VALID, "", "");
	check(person, " {\"name\":\"Ada\",\"age\":36.0}\t ", JSON_SCHEMA_VALID, NULL, NULL);
	check(person, "{\"name\":\"Ada\"}", JSON_SCHEMA_INVALID, "", "missing required member \"age\"");
	check(person, "{\"name\":\"Ada\",\"age\":3.5}", JSON_SCHEMA_INVALID, "/age",
	      "must be of type integer, not number");
	check(person, "{\"name\":\"Ada\",\"age\":-1}", JSON_SCHEMA_INVALID, "/age", "must be at least 0");
	check(person, "{\"name\":\"\\u00c5\",\"age\":1}", JSON_SCHEMA_INVALID, "/name",
	      "must be at least 2 characters long (is 1)");
	check(person, "{\"name\":\"Ada\",\"age\":1,\"tags\":[\"ok\",\"Not OK\"]}", JSON_SCHEMA_INVALID,
	      "/tags/1", "does not match the pattern \"^[a-z]+$\"");
	check(person, "{\"name\":\"Ada\",\"age\":1,\"a/b~c\":0}", JSON_SCHEMA_INVALID, "/a~1b~0c",
	      "is not allowed (additionalProperties)");
	check(person, "{\"name\":\"Ada\",\"age\":1,", JSON_SCHEMA_NOT_JSON, "", NULL);
	check(person, "{\"name\":\"Ada\"} {}", JSON_SCHEMA_NOT_JSON, "", NULL);
	check(person, "1,\"v\":2", JSON_SCHEMA_NOT_JSON, "", "invalid JSON: text after the value at byte 1");
	check(person, "", JSON_SCHEMA_NOT_JSON, "", NULL);
	check("{\"enum\":[1,\"a\",{\"x\":[null]}]}", "1.0", JSON_SCHEMA_VALID, NULL, NULL);
	check("{\"enum\":[1,\"a\",{\"x\":[null]}]}", "{\"x\":[null]}", JSON_SCHEMA_VALID, NULL, NULL);
	check("{\"enum\":[1,\"a\",{\"x\":[null]}]}", "true", JSON_SCHEMA_INVALID, "",
	      "is not one of the values of enum");
	check("{\"const\":\"\\u0061\"}", "\"a\"", JSON_SCHEMA_VALID, NULL, NULL);
	check("{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}", "3", JSON_SCHEMA_INVALID, "",
	      "matches schemas 0 and 1 of oneOf, not one only");
	check("{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}]}", "\"x\"", JSON_SCHEMA_INVALID, "",
	      "matches none of the 2 schemas of anyOf");
	check("{\"not\":{\"type\":\"null\"}}", "null", JSON_SCHEMA_INVALID, "",
	      "must not match the schema of not");
	check("{\"uniqueItems\":true}", "[1,{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]", JSON_SCHEMA_INVALID, "",
	      "items 1 and 2 are equal");
	check("{\"multipleOf\":0.0001}", "0.0075", JSON_SCHEMA_VALID, NULL, NULL);
	check("{\"multipleOf\":0.0001}", "0.00751", JSON_SCHEMA_INVALID, "", "must be a multiple of 0.0001");
	check("{\"prefixItems\":[{\"type\":\"string\"}],\"items\":{\"type\":\"integer\"}}", "[\"a\",1,\"b\"]",
	      JSON_SCHEMA_INVALID, "/2", "must be of type integer, not string");
	check("{\"format\":\"email\"}", "\"not an address\"", JSON_SCHEMA_VALID, NULL, NULL);
	check("false", "0", JSON_SCHEMA_INVALID, "", "no value is allowed here (the schema is false)");
	/* A $ref that loops without going into the instance: an error, not
	 * a crash. */
	check("{\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}},\"$ref\":\"#/$defs/a\"}", "1",
	      JSON_SCHEMA_INVALID, "", "the schema nests more than 512 deep here ($ref in a loop?)");
	/* A recursive schema over a nested instance. */
	check("{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}", "[[[],[[]]]]", JSON_SCHEMA_VALID, NULL, NULL);
	check("{\"type\":\"array\",\"items\":{\"$ref\":\"#\"}}", "[[[],[[1]]]]", JSON_SCHEMA_INVALID,
	      "/0/1/0/0", "must be of type array, not integer");
	load_fails("{\"$ref\":\"other.json#/x\"}", "only references within the document");
	load_fails("{\"$ref\":\"#/$defs/none\"}", "the schema has nothing at \"/$defs/none\"");
	load_fails("{\"$ref\":\"#anchor\"}", "anchors");
	load_fails("{\"pattern\":\"(\"}", "pattern \"(\"");
	load_fails("[1]", "a schema is an object, true or false");
	load_fails("{\"type\":", "invalid JSON");
}

/* --- The official suite ---------------------------------------------------- */

/* Groups that need what we leave out, by draft, file and description. */
static const struct skip {
	const char *draft, *file, *group, *why;
} skipped[] = {
#include "json-schema-skips.h"
};

/* Keyword files that test only what we leave out: run for crashes. */
static const char *const left_out[] = {
	"anchor.json", "content.json", "dynamicRef.json", "refRemote.json", "unevaluatedItems.json",
	"unevaluatedProperties.json", "vocabulary.json", "id.json", "defs.json", "definitions.json",
};

static const char *skip_reason(const char *draft, const char *file, const char *group)
{
	for (size_t i = 0; i < sizeof(skipped) / sizeof(*skipped); i++)
		if (!strcmp(skipped[i].draft, draft) && !strcmp(skipped[i].file, file) &&
		    !strcmp(skipped[i].group, group))
			return skipped[i].why;
	return NULL;
}

static int is_left_out(const char *file)
{
	if (!strncmp(file, "optional/", 9))
		return 1;
	for (size_t i = 0; i < sizeof(left_out) / sizeof(*left_out); i++)
		if (!strcmp(left_out[i], file))
			return 1;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .json files of dir and of its folders (as "optional/x.json"). */
static void list_files(const char *dir, const char *prefix, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		struct strbuf path = STRBUF_INIT, rel = STRBUF_INIT;
		strbuf_addf(&path, "%s/%s", dir, e->d_name);
		strbuf_addf(&rel, "%s%s", prefix, e->d_name);
		size_t len = strlen(e->d_name);
		if (len > 5 && !strcmp(e->d_name + len - 5, ".json")) {
			*names = xreallocarray(*names, *n + 1, sizeof(**names));
			(*names)[(*n)++] = xstrndup(rel.buf, rel.len);
		} else if (!strchr(e->d_name, '.')) {
			strbuf_addc(&rel, '/');
			list_files(path.buf, rel.buf, names, n);
		}
		strbuf_release(&path);
		strbuf_release(&rel);
	}
	closedir(d);
}

struct tally {
	size_t cases, passed, skipped, load_failed;
};

/* One keyword file: every group and every case. Failures of a claimed
 * file are printed. */
static void run_file(const char *draft, enum json_schema_draft d, const char *path, const char *file,
		     int claimed, struct tally *t)
{
	struct strbuf text = STRBUF_INIT, wrapped = STRBUF_INIT, err = STRBUF_INIT, desc = STRBUF_INIT;
	if (file_slurp(path, &text) < 0) {
		printf("# %s: %s\n", path, strerror(errno));
		t->cases++;
		return;
	}
	strbuf_addstr(&wrapped, "{\"v\":");
	strbuf_add(&wrapped, text.buf, text.len);
	strbuf_addc(&wrapped, '}');
	struct json_error jerr;
	struct json_value groups, group, schema, tests, test, data, valid, gdesc, tdesc;
	if (json_check_record(wrapped.buf, wrapped.len, &jerr) < 0 || !json_get(wrapped.buf, wrapped.len, "v", &groups)) {
		printf("# %s: not JSON: %s\n", path, jerr.msg);
		t->cases++;
		goto out;
	}
	struct json_schema_check c;
	json_schema_check_init(&c);
	size_t gp = 0;
	while (json_array_next(&groups, &gp, &group)) {
		struct strbuf gw = STRBUF_INIT;
		strbuf_add(&gw, group.p, group.len);
		json_get(gw.buf, gw.len, "schema", &schema);
		json_get(gw.buf, gw.len, "tests", &tests);
		strbuf_reset(&desc);
		if (json_get(gw.buf, gw.len, "description", &gdesc))
			json_decode_string(&gdesc, &desc);
		const char *why = skip_reason(draft, file, desc.buf);
		strbuf_reset(&err);
		struct json_schema *s = json_schema_load(schema.p, schema.len, d, &err);
		size_t tp = 0;
		while (json_array_next(&tests, &tp, &test)) {
			struct strbuf tw = STRBUF_INIT, td = STRBUF_INIT;
			strbuf_add(&tw, test.p, test.len);
			json_get(tw.buf, tw.len, "data", &data);
			json_get(tw.buf, tw.len, "valid", &valid);
			if (json_get(tw.buf, tw.len, "description", &tdesc))
				json_decode_string(&tdesc, &td);
			t->cases++;
			int pass = 0;
			if (s) {
				enum json_schema_result r = json_schema_validate(s, data.p, data.len, &c);
				pass = (r == JSON_SCHEMA_VALID) == (valid.type == JSON_TRUE) &&
				       r != JSON_SCHEMA_NOT_JSON;
			} else {
				t->load_failed++;
			}
			if (pass)
				t->passed++;
			else if (why)
				t->skipped++;
			else if (claimed)
				printf("#   FAILED %s/%s: \"%s\" / \"%s\"%s%s\n", draft, file, desc.buf, td.buf,
				       s ? "" : ": ", s ? "" : err.buf);
			strbuf_release(&tw);
			strbuf_release(&td);
		}
		json_schema_free(s);
		strbuf_release(&gw);
	}
	json_schema_check_release(&c);
out:
	strbuf_release(&text);
	strbuf_release(&wrapped);
	strbuf_release(&err);
	strbuf_release(&desc);
}

static int run_draft(const char *root, const char *draft, enum json_schema_draft d)
{
	struct strbuf dir = STRBUF_INIT;
	strbuf_addf(&dir, "%s/%s", root, draft);
	char **names = NULL;
	size_t n = 0;
	list_files(dir.buf, "", &names, &n);
	if (!n) {
		strbuf_release(&dir);
		return 0;
	}
	qsort(names, n, sizeof(*names), by_name);
	struct tally all = { 0 };
	for (size_t i = 0; i < n; i++) {
		struct strbuf path = STRBUF_INIT;
		strbuf_addf(&path, "%s/%s", dir.buf, names[i]);
		int claimed = !is_left_out(names[i]);
		struct tally t = { 0 };
		run_file(draft, d, path.buf, names[i], claimed, &t);
		if (claimed)
			ok(t.passed + t.skipped == t.cases && t.cases,
			   "%s/%s: %zu of %zu cases pass, %zu skipped by design", draft, names[i], t.passed,
			   t.cases, t.skipped);
		else
			ok(t.cases > 0, "%s/%s (left out): %zu of %zu cases pass, no crash", draft, names[i],
			   t.passed, t.cases);
		all.cases += t.cases;
		all.passed += t.passed;
		all.skipped += t.skipped;
		strbuf_release(&path);
		free(names[i]);
	}
	printf("# %s: %zu of %zu cases pass; %zu of the others skipped by design\n", draft, all.passed,
	       all.cases, all.skipped);
	free(names);
	strbuf_release(&dir);
	return 1;
}

int main(void)
{
	by_hand();
	const char *root = getenv("JSON_SCHEMA_TEST_SUITE");
	if (!root || !*root)
		root = "/usr/share/json-schema-test-suite/tests";
	int drafts = run_draft(root, "draft2020-12", JSON_SCHEMA_2020_12);
	drafts += run_draft(root, "draft7", JSON_SCHEMA_DRAFT7);
	ok(drafts > 0, "the test suite is in %s (make deps installs it)", root);
	printf("1..%d\n", unit_count);
	return unit_failures != 0;
}
