#!/usr/bin/env bats
# synth-score --schema: the text parsed as JSON and validated under a
# JSON Schema; json_valid, schema_valid, schema_error; --filter and
# --rejects; the schema's own errors. The validator's keywords are tested
# against the official suite by tests/unit/test-json-schema.c.

load helpers

SCHEMA="$FIXTURES/schema/person.schema.json"
ANSWERS="$FIXTURES/schema/answers.jsonl"

@test "each record gets json_valid, schema_valid and the first error's path and message" {
	run synth-score --schema "$SCHEMA" "$ANSWERS"
	assert_success
	assert_equal "$(jq -c '[.id, .quality.json_valid, .quality.schema_valid, .quality.schema_error.path, .quality.schema_error.message]' <<<"$output")" \
'["ok",1,1,null,null]
["type",1,0,"/age","must be of type integer, not string"]
["missing",1,0,"","missing required member \"age\""]
["extra",1,0,"/x~1y","is not allowed (additionalProperties)"]
["tag",1,0,"/tags/1","does not match the pattern \"^[a-z]+$\""]
["notjson",0,0,null,"invalid JSON: unexpected end of text at byte 21"]
["unicode",1,1,null,null]'
	# A record that is not valid fails; format is an annotation.
	assert_equal "$(jq -c '[.id, .quality.pass, .quality.reasons]' <<<"$output" | tr '\n' ' ')" \
'["ok",true,[]] ["type",false,["min_schema_valid"]] ["missing",false,["min_schema_valid"]] ["extra",false,["min_schema_valid"]] ["tag",false,["min_schema_valid"]] ["notjson",false,["min_json_valid","min_schema_valid"]] ["unicode",true,[]] '
	# The records keep their bytes.
	assert_equal "$(jq -c 'del(.quality)' <<<"$output")" "$(jq -c . "$ANSWERS")"
}

@test "--filter sends the invalid records to --rejects with their error; -j changes nothing" {
	run synth-score --schema "$SCHEMA" --filter --no-annotate --rejects rej.jsonl -j 3 "$ANSWERS"
	assert_success
	assert_equal "$(jq -r .id <<<"$output" | tr '\n' ' ')" "ok unicode "
	assert_equal "$(head -n 1 "$ANSWERS")" "${lines[0]}"
	assert_equal "$(jq -c '[.id, .reject.reason, .reject.line, .quality.schema_error.path]' rej.jsonl | tr '\n' ' ')" \
		'["type","quality",2,"/age"] ["missing","quality",3,""] ["extra","quality",4,"/x~1y"] ["tag","quality",5,"/tags/1"] ["notjson","quality",6,null] '
	synth-score --schema "$SCHEMA" -j 1 "$ANSWERS" > one.jsonl
	synth-score --schema "$SCHEMA" -j 4 "$ANSWERS" > four.jsonl
	cmp one.jsonl four.jsonl
}

@test "--min and --max on json_valid and schema_valid replace the default bound" {
	# Annotate only: every record passes.
	run synth-score --schema "$SCHEMA" --min schema_valid=0 "$ANSWERS"
	assert_success
	assert_equal "$(jq -c '.quality.reasons' <<<"$output" | sort -u | tr '\n' ' ')" '["min_json_valid"] [] '
	# Keep only what is JSON but not valid: the counter-examples.
	run synth-score --schema "$SCHEMA" --filter --no-annotate --max schema_valid=0 "$ANSWERS"
	assert_success
	assert_equal "$(jq -r .id <<<"$output" | tr '\n' ' ')" "type missing extra tag "
	# A bound on them needs --schema.
	run synth-score --min schema_valid=1 "$ANSWERS"
	assert_failure 2
	assert_output --partial "json_valid and schema_valid need --schema FILE"
}

@test "the text at --field, a nested member, escapes and all" {
	printf '%s\n' '{"out":{"answer":"{\"name\":\"\\u00c5\",\"age\":2}"}}' \
		'{"out":{"answer":" [1] "}}' > in.jsonl
	run synth-score -f out.answer --schema "$SCHEMA" in.jsonl
	assert_success
	assert_equal "$(jq -c '[.quality.schema_valid, .quality.schema_error.message]' <<<"$output" | tr '\n' ' ')" \
		'[1,null] [0,"must be of type object, not array"] '
}

@test "a schema that cannot be used stops the run before any record, naming the file" {
	printf '{"$ref":"https://example.com/other.json"}' > remote.json
	run synth-score --schema remote.json "$ANSWERS"
	assert_failure 1
	assert_output 'synth-score: remote.json: $ref "https://example.com/other.json": only references within the document (#...) are followed'
	printf '{"properties":{"a":{"pattern":"(unclosed"}}}' > pattern.json
	run synth-score --schema pattern.json "$ANSWERS"
	assert_failure 1
	assert_output --partial 'pattern.json: pattern "(unclosed": missing closing parenthesis'
	printf '{"type":"object",}' > broken.json
	run synth-score --schema broken.json "$ANSWERS"
	assert_failure 1
	assert_output --partial 'broken.json: invalid JSON'
	run synth-score --schema missing.json "$ANSWERS"
	assert_failure 1
	assert_output --partial 'missing.json: No such file or directory'
}

@test "a schema that refers to itself validates nested data, and one that loops ends with an error" {
	printf '{"type":"array","items":{"$ref":"#"}}' > tree.json
	printf '%s\n' '{"text":"[[],[[]]]"}' '{"text":"[[],[[3]]]"}' > in.jsonl
	run synth-score --schema tree.json in.jsonl
	assert_success
	assert_equal "$(jq -c '[.quality.schema_valid, .quality.schema_error.path]' <<<"$output" | tr '\n' ' ')" '[1,null] [0,"/1/0/0"] '
	printf '{"$defs":{"a":{"$ref":"#/$defs/a"}},"$ref":"#/$defs/a"}' > loop.json
	run synth-score --schema loop.json in.jsonl
	assert_success
	assert_equal "$(jq -r '.quality.schema_error.message' <<<"$output" | sort -u)" \
		'the schema nests more than 512 deep here ($ref in a loop?)'
}
