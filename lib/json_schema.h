/* json_schema.h: JSON Schema validation on our own JSON scanner.
 *
 * The keywords of draft 2020-12 that describe data: type, enum, const,
 * multipleOf, minimum, maximum, exclusiveMinimum, exclusiveMaximum,
 * minLength, maxLength (in code points), pattern (PCRE2, searched, not
 * anchored), minItems, maxItems, uniqueItems, prefixItems, items,
 * contains, minContains, maxContains, minProperties, maxProperties,
 * required, dependentRequired, properties, patternProperties,
 * additionalProperties, dependentSchemas, propertyNames, allOf, anyOf,
 * oneOf, not, if/then/else, boolean schemas, $defs, and $ref within the
 * document ("#", "#/$defs/name", any JSON pointer, percent-encoded or
 * not). format is an annotation: it never fails a value.
 *
 * Left out, as synth-score(1) lists them: $ref to another document or
 * through $id, $anchor and $dynamicRef, unevaluatedProperties and
 * unevaluatedItems, $vocabulary, format as an assertion, and the
 * content* keywords. A $ref that cannot be followed is an error when the
 * schema is loaded; other unknown keywords are ignored, as the
 * specification says.
 *
 * Draft 7 semantics (JSON_SCHEMA_DRAFT7) differ where the test suite of
 * that draft needs them: items as an array is prefixItems, with
 * additionalItems for the rest; dependencies; and $ref beside other
 * keywords is the only one that counts.
 *
 * A loaded schema is read-only and may be shared by threads; each
 * thread validates with a struct json_schema_check of its own.
 */
#ifndef SYNTH_JSON_SCHEMA_H
#define SYNTH_JSON_SCHEMA_H

#include <stddef.h>

#include "json.h"
#include "strbuf.h"

enum json_schema_draft { JSON_SCHEMA_2020_12, JSON_SCHEMA_DRAFT7 };

struct json_schema;

/* Load the schema text[0..n) (one JSON value: an object or a boolean).
 * Every pattern is compiled and every $ref followed once here. Returns
 * the schema, owned by the caller (json_schema_free()), or NULL with the
 * reason in err ("invalid JSON at byte 12: ...", "$ref \"x.json\": only
 * references within the document (#...) are followed"). */
struct json_schema *json_schema_load(const char *text, size_t n, enum json_schema_draft draft,
				     struct strbuf *err);

/* NULL-safe. */
void json_schema_free(struct json_schema *s);

/* Per-thread scratch, and the first error of the last validation. */
struct json_schema_check {
	struct strbuf path;	/* JSON pointer into the instance: "", "/items/0" */
	struct strbuf message;	/* what is wrong there */
	struct strbuf buf, at;	/* scratch: the instance, the path walked */
	void *md;		/* PCRE2 match data, made when first needed */
};

void json_schema_check_init(struct json_schema_check *c);
void json_schema_check_release(struct json_schema_check *c);

enum json_schema_result {
	JSON_SCHEMA_VALID,
	JSON_SCHEMA_INVALID,	/* c->path and c->message say why */
	JSON_SCHEMA_NOT_JSON,	/* c->message says why; c->path is empty */
};

/* Validate text[0..n), which must be one JSON value (white space around
 * it allowed), against s. */
enum json_schema_result json_schema_validate(const struct json_schema *s, const char *text,
					     size_t n, struct json_schema_check *c);

#endif
