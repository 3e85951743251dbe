#!/usr/bin/env bats
# synth-stats: figures on content, options, bad input.

load helpers

stats() {
	synth-stats --json "$@"
}

@test "counts words, vocabulary, hapax and distinct n-grams of a known text" {
	printf '{"text":"The cat sat. The cat ran!"}\n' > in.jsonl
	stats in.jsonl > out.json
	assert_equal "$(json_get out.json .records)" 1
	assert_equal "$(json_get out.json .words)" 6
	assert_equal "$(json_get out.json .vocabulary)" 4
	assert_equal "$(json_get out.json .hapax)" 2
	assert_equal "$(json_get out.json .distinct_1)" 0.666667
	assert_equal "$(json_get out.json .distinct_2)" 0.8
	assert_equal "$(json_get out.json .distinct_3)" 1
	assert_equal "$(json_get out.json .distinct_4)" 1
	# H = 2 * (1/3) log2 3 + 2 * (1/6) log2 6
	assert_equal "$(json_get out.json .entropy_1)" 1.918296
}

@test "n-grams never cross a record boundary" {
	printf '{"text":"a b"}\n{"text":"c d"}\n{"text":"a b"}\n' > in.jsonl
	stats --top 5 in.jsonl > out.json
	assert_equal "$(json_get out.json .distinct_2)" 0.666667
	assert_equal "$(json_get out.json '.top["2"] | map(.ngram) | join("|")')" "a b|c d"
	assert_equal "$(json_get out.json '.top["2"][0].count')" 2
	assert_equal "$(json_get out.json '.top["3"] | length')" 0
}

@test "length quantiles are nearest-rank over records" {
	for n in 1 2 3 4 5 6 7 8 9 10; do
		printf '{"text":"%s"}\n' "$(seq -s ' ' 1 $n | sed 's/[0-9]*/w&/g')"
	done > in.jsonl
	stats in.jsonl > out.json
	assert_equal "$(json_get out.json '.length | [.min,.mean,.p50,.p90,.p99,.max] | map(tostring) | join(" ")')" \
		"1 5.5 5 9 10 10"
}

@test "bytes are UTF-8 bytes, chars code points, lines newline-separated" {
	printf '{"text":"h\\u00e9llo"}\n{"text":"a\\nb\\n"}\n{"text":""}\n' > in.jsonl
	stats in.jsonl > out.json
	assert_equal "$(json_get out.json .bytes)" 10
	assert_equal "$(json_get out.json .chars)" 9
	assert_equal "$(json_get out.json .lines)" 3
	assert_equal "$(json_get out.json .length.min)" 0
}

@test "words are NFKC case-folded; Japanese is split into words by a dictionary" {
	printf '{"text":"Stra\\u00dfe STRASSE strasse"}\n{"text":"\\u65e5\\u672c\\u8a9e\\u3067\\u3059"}\n{"text":"\\ufb01ne FINE"}\n' > in.jsonl
	stats --top 1 in.jsonl > out.json
	# strasse x 3, 日本語 and です (ICU's dictionary), fine x 2
	assert_equal "$(json_get out.json .words)" 7
	assert_equal "$(json_get out.json .vocabulary)" 4
	assert_equal "$(json_get out.json '.top["1"][0] | "\(.ngram) \(.count)"')" "strasse 3"
}

@test "escaped and literal spellings of a text count the same" {
	printf '{"text":"caf\\u00e9 au lait"}\n' > a.jsonl
	printf '{"text":"café au lait"}\n' > b.jsonl
	stats a.jsonl | jq -c 'del(.input_bytes)' > a.json
	stats b.jsonl | jq -c 'del(.input_bytes)' > b.json
	run diff a.json b.json
	assert_success
}

@test "--field reaches a nested member by dotted path" {
	printf '{"text":"x","body":{"content":"one two three"}}\n' > in.jsonl
	stats -f body.content in.jsonl > out.json
	assert_equal "$(json_get out.json .words)" 3
}

@test "--by gives records, shares and figures per value, the missing value as null" {
	printf '{"text":"a b c","lang":"en"}\n{"text":"d e","lang":"en"}\n{"text":"f","lang":"de"}\n{"text":"g h"}\n{"text":"i","lang":null}\n{"text":"j","lang":"\\u0065n"}\n' > in.jsonl
	stats --by lang in.jsonl > out.json
	assert_equal "$(json_get out.json '.by.field')" lang
	assert_equal "$(json_get out.json '.by.groups | map("\(.value):\(.records):\(.words)") | join(" ")')" \
		"en:3:6 null:2:3 de:1:1"
	assert_equal "$(json_get out.json '.by.groups[0].share')" 0.5
	assert_equal "$(json_get out.json '.by.groups[0].vocabulary')" 6
	assert_equal "$(json_get out.json '.by.groups[0].mean_length')" 2
}

@test "--top lists the most frequent n-grams, ties broken by text" {
	printf '{"text":"b a b a c"}\n' > in.jsonl
	stats --top 2 in.jsonl > out.json
	assert_equal "$(json_get out.json '.top["1"] | map("\(.ngram)=\(.count)") | join(" ")')" "a=2 b=2"
	assert_equal "$(json_get out.json '.top["2"] | map("\(.ngram)=\(.count)") | join(" ")')" "b a=2 a b=1"
}

@test "past 65536 distinct 2- to 4-grams a sketch answers, --exact counts exactly, and --partial states of the two do not mix" {
	# 30000 records of six words never seen elsewhere: every n-gram is
	# distinct, so distinct_2..4 are exactly 1 (90000 4-grams and more
	# of the shorter ones).
	awk 'BEGIN { for (r = 0; r < 30000; r++) printf "{\"text\":\"a%d b%d c%d d%d e%d f%d\"}\n", r, r, r, r, r, r }' > uniq.jsonl
	stats uniq.jsonl > default.json
	stats --exact uniq.jsonl > exact.json
	assert_equal "$(jq -c '.approximate' default.json)" '["distinct_2","distinct_3","distinct_4"]'
	assert_equal "$(jq -c '[.approximate, .distinct_2, .distinct_3, .distinct_4]' exact.json)" '[[],1,1,1]'
	# Within three standard errors of the sketch (0.2% each).
	run jq -e '[.distinct_2, .distinct_3, .distinct_4] | all(. > 0.994 and . < 1.006)' default.json
	assert_success
	synth-stats --partial -o d.state uniq.jsonl
	synth-stats --exact --partial -o e.state uniq.jsonl
	run synth-stats --merge d.state e.state
	assert_failure 1
	assert_output "synth-stats: e.state: made with exact n-gram tables (--exact or --top); this run has neither"
}

@test "the same figures for any number of threads" {
	stats -j 1 --top 10 --by lang "$ROOT/examples/corpus.jsonl" > j1.json
	stats -j 2 --top 10 --by lang "$ROOT/examples/corpus.jsonl" > j2.json
	stats -j 5 --top 10 --by lang "$ROOT/examples/corpus.jsonl" > j5.json
	run cmp j1.json j2.json
	assert_success
	run cmp j1.json j5.json
	assert_success
	assert_equal "$(json_get j1.json .records)" 1208
}

@test "the figures of the examples corpus" {
	stats "$ROOT/examples/corpus.jsonl" > out.json
	assert_equal "$(json_get out.json .records)" 1208
	assert_equal "$(json_get out.json .input_bytes)" "$(wc -c < "$ROOT/examples/corpus.jsonl")"
	# Cross-check the word count of the English records with an
	# independent tokenizer: ASCII letters and digits only, folded.
	jq -r 'select(.lang=="en") | .text' "$ROOT/examples/corpus.jsonl" > en.txt
	if LC_ALL=C grep -q '[^ -~	]' en.txt; then
		jq -c 'select(.lang=="en") | select(.text | test("^[\\u0000-\\u007f]*$"))' \
			"$ROOT/examples/corpus.jsonl" > ascii.jsonl
	else
		jq -c 'select(.lang=="en")' "$ROOT/examples/corpus.jsonl" > ascii.jsonl
	fi
	stats ascii.jsonl > ascii.json
	expected=$(jq -r .text ascii.jsonl | tr -cs 'A-Za-z0-9' '\n' | grep -c .)
	assert_equal "$(json_get ascii.json .words)" "$expected"
	vocab=$(jq -r .text ascii.jsonl | tr -cs 'A-Za-z0-9' '\n' | grep . | tr A-Z a-z | sort -u | wc -l)
	assert_equal "$(json_get ascii.json .vocabulary)" "$vocab"
}

@test "--top says so when the vocabulary outgrew --memory" {
	run --separate-stderr synth-stats --json --top 3 --memory 1M "$ROOT/examples/corpus.jsonl"
	assert_success
	if [ "$(echo "$output" | jq '.approximate | index("vocabulary") != null')" = true ]; then
		assert_equal "$stderr" "synth-stats: warning: --top: no list, the vocabulary outgrew --memory and is an estimate"
		assert_equal "$(echo "$output" | jq 'has("top")')" false
	else
		assert_equal "$(echo "$output" | jq '.top["1"] | length')" 3
	fi
}

@test "past --memory the distinct counts become estimates within 2%" {
	stats "$ROOT/examples/corpus.jsonl" > exact.json
	stats --memory 1M "$ROOT/examples/corpus.jsonl" > approx.json
	assert_equal "$(json_get exact.json '.approximate | length')" 0
	run json_get approx.json '.approximate | index("distinct_4") != null'
	assert_output true
	exact=$(json_get exact.json .distinct_4)
	approx=$(json_get approx.json .distinct_4)
	run awk -v a="$approx" -v e="$exact" 'BEGIN { d = (a - e) / e; if (d < 0) d = -d; exit !(d < 0.02) }'
	assert_success
	# Exact figures stay exact.
	assert_equal "$(json_get approx.json .words)" "$(json_get exact.json .words)"
}

@test "the compression sample depends on the seed, and only on it" {
	for i in 1 2 3 4; do cat "$ROOT/examples/corpus.jsonl"; done |
		jq -c '.text = .text + " \(input_line_number)"' > big.jsonl
	stats --seed 1 big.jsonl | jq -c .compression > s1.json
	stats --seed 1 -j 2 big.jsonl | jq -c .compression > s1b.json
	stats --seed 2 big.jsonl | jq -c .compression > s2.json
	run cmp s1.json s1b.json
	assert_success
	run cmp s1.json s2.json
	assert_failure
	assert_equal "$(jq .level s1.json)" 3
	run jq -e '.sample_bytes >= 1048576 and .ratio > 1' s1.json
	assert_success
}

@test "--tee passes every record through unchanged and writes the figures to FILE" {
	printf '{"text":"one"}\r\n\n{ "text" : "two",  "n":1.50 }\n' > in.jsonl
	run synth-stats --tee stats.json in.jsonl
	assert_success
	assert_output "$(printf '{"text":"one"}\n{ "text" : "two",  "n":1.50 }')"
	assert_equal "$(json_get stats.json .records)" 2
}

@test "--table prints aligned rows for people" {
	run synth-stats --table "$FIXTURES/small.jsonl"
	assert_success
	assert_line --regexp '^records +3$'
	assert_line --regexp '^vocabulary +[0-9]+$'
}

@test "-o writes the figures to a file" {
	run synth-stats -o out.json "$FIXTURES/small.jsonl"
	assert_success
	assert_output ""
	assert_equal "$(json_get out.json .records)" 3
}

@test "zstd input gives the same figures as the plain file" {
	zstd -q -o in.jsonl.zst "$FIXTURES/small.jsonl"
	stats "$FIXTURES/small.jsonl" | jq -c 'del(.input_bytes)' > plain.json
	stats in.jsonl.zst | jq -c 'del(.input_bytes)' > zst.json
	run cmp plain.json zst.json
	assert_success
	cp in.jsonl.zst renamed.txt
	stats renamed.txt | jq -c 'del(.input_bytes)' > renamed.json
	run cmp plain.json renamed.json
	assert_success
}

@test "a BOM, CRLF endings, blank lines and a last line without newline change nothing" {
	printf '\xef\xbb\xbf{"text":"a b"}\r\n\r\n   \n{"text":"c"}' > in.jsonl
	run stats in.jsonl
	assert_success
	assert_equal "$(echo "$output" | jq .records)" 2
	assert_equal "$(echo "$output" | jq .words)" 3
}

@test "a record without the text field is invalid, named by file and line" {
	printf '{"text":"a"}\n{"body":"b"}\n' > in.jsonl
	run synth-stats in.jsonl
	assert_failure 1
	assert_output 'synth-stats: in.jsonl:2: no member "text"'
	printf '{"text":["a"]}\n' > in2.jsonl
	run synth-stats in2.jsonl
	assert_failure 1
	assert_output 'synth-stats: in2.jsonl:1: member "text" is not a string'
}

@test "--skip-invalid counts invalid records and --rejects keeps them with the reason" {
	run synth-stats --json --skip-invalid --rejects rej.jsonl "$FIXTURES/invalid-line3.jsonl"
	assert_success
	assert_equal "$(echo "$output" | grep -v '^synth-stats:' | jq .records)" 3
	assert_equal "$(echo "$output" | grep -v '^synth-stats:' | jq .invalid)" 1
	assert_line --partial "invalid-line3.jsonl:3: invalid JSON: unterminated string at byte 27 (skipped)"
	assert_equal "$(jq -r .reject.line rej.jsonl)" 3
	assert_equal "$(jq -r .reject.reason rej.jsonl)" "invalid JSON: unterminated string at byte 27"
	assert_equal "$(jq -r .raw rej.jsonl)" '{"id":"b3","text":"broken}'
}

@test "-o and --rejects are not written when an invalid record stops the run" {
	run synth-stats -o out.json --rejects rej.jsonl "$FIXTURES/invalid-line3.jsonl"
	assert_failure 1
	[ ! -e out.json ]
	[ ! -e rej.jsonl ]
	run ls -A
	assert_output ""
}

@test "usage errors exit 2" {
	run synth-stats --top x
	assert_failure 2
	assert_line --partial "invalid value for --top: 'x'"
	run synth-stats --memory 12Q
	assert_failure 2
	run synth-stats --tee a -o b
	assert_failure 2
	run synth-stats --by ''
	assert_failure 2
	run synth-stats --tee -
	assert_failure 2
	assert_line --partial "--tee -: the records go to stdout"
}

@test "a first record without words is counted like any other" {
	printf '{"text":""}\n{"text":"..."}\n{"text":"a b"}\n' > in.jsonl
	run stats in.jsonl
	assert_success
	assert_equal "$(echo "$output" | jq -c '[.records, .words, .length.min, .distinct_2]')" "[3,2,0,1]"
}

@test "an output that cannot be written fails before the input is read" {
	run bash -c "printf 'not json\n' | synth-stats -o no/such/dir/out.json"
	assert_failure 1
	assert_output "synth-stats: no/such/dir/out.json: No such file or directory"
	run synth-stats -o '' "$FIXTURES/small.jsonl"
	assert_failure 2
	assert_line --index 0 "synth-stats: empty file name for --output"
}

@test "--top stays quick and exact on a table of a million distinct n-grams" {
	seq 1 20000 | awk 'BEGIN { srand(1) } { s = ""; for (i = 0; i < 30; i++) s = s " w" int(rand() * 200000); printf "{\"text\":\"%s\"}\n", s }' > div.jsonl
	stats --top 3 div.jsonl > out.json
	# The most frequent words, checked against sort | uniq -c.
	want=$(jq -r .text div.jsonl | tr ' ' '\n' | grep . | sort | uniq -c | sort -k1,1nr -k2,2 | head -n 3 | awk '{ printf "%s=%s ", $2, $1 }')
	assert_equal "$(jq -r '.top["1"] | map("\(.ngram)=\(.count) ") | join("")' out.json)" "$want"
	assert_equal "$(jq -r '.top["4"][0].count' out.json)" 1
}

# ref.jsonl and in.jsonl of the --reference tests, small enough to work
# out by hand.
make_reference() {
	printf '{"text":"a b c"}\n{"text":"a b d d"}\n' > ref.jsonl
	printf '{"text":"a a e"}\n' > in.jsonl
}

@test "--reference --skip-invalid: --rejects keeps the skipped records of the reference and of every input" {
	printf '{"text":"a b c"}\nbad ref\n' > ref.jsonl
	printf '{"text":"a b"}\nbad in1\n' > in1.jsonl
	printf '{"text":"a"}\nbad in2\n' > in2.jsonl
	# Each loop opened the file again: only in2's reject was left.
	run --separate-stderr synth-stats --skip-invalid --rejects rej.jsonl --reference ref.jsonl in1.jsonl in2.jsonl
	assert_success
	assert_equal "$(jq -c '[.reject.file, .reject.line, .raw]' rej.jsonl)" '["ref.jsonl",2,"bad ref"]
["in1.jsonl",2,"bad in1"]
["in2.jsonl",2,"bad in2"]'
}

@test "--reference without a word is an error, not a perplexity of 1; --train without one too" {
	make_reference
	printf '{"text":""}\n{"text":"  "}\n' > blank.jsonl
	run --separate-stderr synth-stats --reference blank.jsonl in.jsonl
	assert_failure 1
	assert_equal "$output" ""
	assert_equal "$stderr" "synth-stats: blank.jsonl: the reference holds no words: nothing to measure against"
	# No record at all: said so first.
	run --separate-stderr synth-stats --reference /dev/null in.jsonl
	assert_failure 1
	assert_equal "$output" ""
	assert_equal "$stderr" "synth-stats: --reference /dev/null: no record
synth-stats: /dev/null: cannot measure the reference"
	run --separate-stderr synth-gen markov --train blank.jsonl -n 1
	assert_failure 1
	assert_equal "$output" ""
	assert_equal "$stderr" "synth-gen: --train: the records hold no words"
}

@test "--reference: vocab_kept, rare_kept, unseen mass, JS divergence and KS against hand-computed values" {
	make_reference
	run --separate-stderr synth-stats --reference ref.jsonl in.jsonl
	assert_success
	# The reference has the types a b c d (counts 2 2 1 2, all rare);
	# the input has a and e: one of four kept.
	assert_equal "$(echo "$output" | jq -c '.reference | [.file, .vocab_kept, .rare_kept]')" '["ref.jsonl",0.25,0.25]'
	# Hapax over words: e of 3; c of 7.
	assert_equal "$(echo "$output" | jq -c '.reference | [.unseen_mass, .unseen_mass_reference]')" '[0.333333,0.142857]'
	# P = (2 2 1 2 0)/7 over a b c d e, Q = (2 0 0 0 1)/3, M their mean:
	# JS = (2/7 log2(0.6) + 5/7) / 2 + (2/3 log2(1.4) + 1/3) / 2.
	want=$(awk 'BEGIN { l = log(2); printf "%.6f", 0.5 * (2/7 * log(0.6)/l + 5/7) + 0.5 * (2/3 * log(1.4)/l + 1/3) }')
	assert_equal "$(echo "$output" | jq -r '.reference.js_divergence')" "$want"
	# Lengths 3 and 4 against 3: the distribution functions differ by
	# one half at 3.
	assert_equal "$(echo "$output" | jq -r '.reference.length_ks')" 0.5
	# The input's own figures are there as without --reference.
	assert_equal "$(echo "$output" | jq -c '[.file, .records, .words, .vocabulary]')" '["in.jsonl",1,3,2]'
}

@test "--reference: one row per input, in order; the reference against itself loses nothing" {
	make_reference
	printf '{"text":"z z z z"}\n' > far.jsonl
	synth-stats --reference ref.jsonl ref.jsonl in.jsonl far.jsonl > out.jsonl
	assert_equal "$(jq -r .file out.jsonl | tr '\n' ' ')" "ref.jsonl in.jsonl far.jsonl "
	assert_equal "$(sed -n 1p out.jsonl | jq -c '.reference | [.vocab_kept, .rare_kept, .js_divergence, .length_ks]')" '[1,1,0,0]'
	assert_equal "$(sed -n 3p out.jsonl | jq -c '.reference | [.vocab_kept, .js_divergence, .length_ks]')" '[0,1,0.5]'
	# Perplexity under the model of the reference: the reference's own
	# text is the least surprising; quantiles in order.
	ppl() { sed -n "$1p" out.jsonl | jq -r ".reference.perplexity.$2"; }
	awk -v a="$(ppl 1 p50)" -v b="$(ppl 2 p50)" -v c="$(ppl 3 p50)" 'BEGIN { exit !(1 < a && a < b && b < c) }' ||
		fail "perplexities $(ppl 1 p50) $(ppl 2 p50) $(ppl 3 p50)"
	awk -v a="$(ppl 1 p10)" -v b="$(ppl 1 p50)" -v c="$(ppl 1 p90)" 'BEGIN { exit !(a <= b && b <= c) }' ||
		fail "quantiles out of order"
	# Standard input is an input too.
	assert_equal "$(synth-stats --reference ref.jsonl < in.jsonl | jq -r .file)" "<stdin>"
}

@test "--reference --lm: a saved model gives the perplexities of the one fitted on the fly" {
	make_reference
	synth-gen markov --train ref.jsonl --order 2 --save ref.ngm
	synth-stats --reference ref.jsonl --order 2 in.jsonl | jq -c .reference.perplexity > fitted.json
	synth-stats --reference ref.jsonl --lm ref.ngm in.jsonl | jq -c .reference.perplexity > loaded.json
	cmp fitted.json loaded.json
	synth-stats --reference ref.jsonl --order 3 in.jsonl | jq -c .reference.perplexity > order3.json
	run cmp -s fitted.json order3.json
	assert_failure
}

@test "--reference --table: the trend table, the reference first" {
	make_reference
	run --separate-stderr synth-stats --reference ref.jsonl --table in.jsonl ref.jsonl
	assert_success
	assert_line --index 0 --regexp '^input +records +words +distinct-2 +vocab_kept +rare_kept +unseen +js_div +len_ks +ppl p10 +ppl p50 +ppl p90$'
	assert_line --index 1 --regexp '^ref\.jsonl +2 +7 +0\.8000 +- +- +0\.1429 +- +- +- +- +-$'
	assert_line --index 2 --regexp '^in\.jsonl +1 +3 +1\.0000 +0\.2500 +0\.2500 +0\.3333 +0\.5803 +0\.5000 +[0-9.]+ +[0-9.]+ +[0-9.]+$'
	assert_line --index 3 --regexp '^ref\.jsonl +2 +7 +0\.8000 +1\.0000 +1\.0000 +0\.1429 +0\.0000 +0\.0000 '
	assert_equal "${#lines[@]}" 4
}

@test "--reference: usage errors, a missing reference, an invalid input" {
	make_reference
	run synth-stats --lm m.ngm in.jsonl
	assert_failure 2
	assert_output --partial "--lm goes with --reference FILE"
	run synth-stats --reference ref.jsonl --tee t.json in.jsonl
	assert_failure 2
	run synth-stats --reference ref.jsonl --order 9 in.jsonl
	assert_failure 2
	run synth-stats --reference missing.jsonl in.jsonl
	assert_failure 1
	assert_line --index 0 "synth-stats: missing.jsonl: No such file or directory"
	printf '{"text":"a"}\nnot json\n' > bad.jsonl
	run synth-stats --reference ref.jsonl -o out.jsonl in.jsonl bad.jsonl
	assert_failure 1
	assert_output --partial "bad.jsonl:2: invalid JSON"
	[ ! -e out.jsonl ] || fail "output written"
}

@test "--reference --html: one series per input in each plot, the trends, and Chromium draws it" {
	jq -c 'select(.lang == "en")' "$ROOT/examples/corpus.jsonl" > real.jsonl
	synth-gen markov --train real.jsonl -n 300 --seed 1 -o gen-0.jsonl
	synth-gen markov --train gen-0.jsonl -n 300 --seed 2 -o gen-1.jsonl
	synth-stats --reference real.jsonl --html r.html gen-0.jsonl gen-1.jsonl > rows.jsonl
	assert_equal "$(wc -l < rows.jsonl)" 2
	local id name
	for id in lengths rank-frequency; do
		sed -n "/<svg id=\"$id\"/,/<\/svg>/p" r.html > plot
		assert_equal "$(grep -c 'class="series"' plot)" 3
		for name in gen-0.jsonl gen-1.jsonl reference; do
			assert_equal "$(grep -cF "class=\"series\" data-name=\"$name\"" plot)" 1
		done
	done
	for name in distinct_2 vocab_kept unseen_mass perplexity_p50; do
		sed -n "/<svg id=\"trend-$name\"/,/<\/svg>/p" r.html > plot
		assert_equal "$(grep -c 'class="series"' plot)" 1
	done
	# The table shows the figures of the rows.
	grep -qF "$(jq -r '.reference.vocab_kept' rows.jsonl | head -n 1 | cut -c 1-5)" r.html ||
		fail "vocab_kept of gen-0 not in the page"
	run ! grep -Eiq '<script|http|url\(' r.html
	render_png r.html r.png
	pngtopnm r.png | ppmhist -noheader > colours
	local white total
	total=$(awk '{ n += $5 } END { print n }' colours)
	white=$(awk '$1 == 255 && $2 == 255 && $3 == 255 { print $5 }' colours)
	(( white < total * 97 / 100 )) || fail "only $((total - white)) pixels are not white"
	(( $(wc -l < colours) > 100 )) || fail "only $(wc -l < colours) colours"
}

@test "--html without --reference: the report of the inputs alone, one series, no reference" {
	cp "$ROOT/examples/corpus.jsonl" c.jsonl
	run --separate-stderr synth-stats --html r.html c.jsonl
	assert_success
	# The figures go where they go without --html.
	assert_equal "$(printf '%s\n' "$output" | jq .records)" 1208
	local id
	for id in lengths rank-frequency; do
		sed -n "/<svg id=\"$id\"/,/<\/svg>/p" r.html > plot
		assert_equal "$(grep -c 'class="series"' plot)" 1
		assert_equal "$(grep -cF 'class="series" data-name="c.jsonl"' plot)" 1
	done
	run ! grep -Eq 'data-name="reference"|<tr class="reference"|swatch dashed' r.html
	# The table's row: the figures of the JSON, the comparisons a dash.
	grep -qF '<td class="name"><span class="swatch" style="background:#1c64c8"></span>c.jsonl</td><td>1208</td><td>51009</td>' r.html ||
		fail "no row for c.jsonl"
	run ! grep -Eiq '<script|http|url\(' r.html
	# Several inputs are one corpus, named by all; standard input too.
	head -n 100 c.jsonl > a.jsonl
	synth-stats --html r2.html a.jsonl - < c.jsonl > /dev/null
	grep -qF 'data-name="a.jsonl &lt;stdin&gt;"' r2.html || fail "not named by its inputs"
	# A run that fails writes no report.
	printf 'not json\n' > bad.jsonl
	run synth-stats --html r3.html bad.jsonl
	assert_failure 1
	[ ! -e r3.html ] || fail "a report of a failed run"
	run synth-stats --html r4.html --partial -o s.state c.jsonl
	assert_failure 2
	run synth-stats --html r4.html --merge s.state
	assert_failure 2
}

@test "--partial and --merge: shards merge into exactly the figures of one run" {
	split -n l/3 -d "$ROOT/examples/corpus.jsonl" part.
	for p in part.0*; do
		synth-stats --partial --top 3 --by lang -o "$p.state" "$p"
	done
	synth-stats --merge --top 3 --by lang part.0*.state > merged.json
	synth-stats --top 3 --by lang "$ROOT/examples/corpus.jsonl" > single.json
	cmp merged.json single.json
	assert_equal "$(jq .records merged.json)" 1208
	# A state merges with itself: every count doubles.
	synth-stats --partial -o all.state "$ROOT/examples/corpus.jsonl"
	assert_equal "$(synth-stats --merge all.state all.state | jq -c '[.records, .words, .vocabulary]')" \
		"$(synth-stats "$ROOT/examples/corpus.jsonl" "$ROOT/examples/corpus.jsonl" | jq -c '[.records, .words, .vocabulary]')"
}

@test "--partial and --merge under a tight --memory: the sketches stay within their error" {
	awk 'BEGIN { srand(3); for (r = 0; r < 6000; r++) { s = ""; for (i = 0; i < 20; i++) s = s " w" int(rand() * 50000); printf "{\"text\":\"%s\"}\n", s } }' > div.jsonl
	split -n l/4 -d div.jsonl part.
	for p in part.0*; do
		synth-stats --memory 1M --partial -o "$p.state" "$p"
	done
	synth-stats --memory 1M --merge part.0*.state > merged.json
	synth-stats div.jsonl > exact.json
	assert_equal "$(jq -c '.approximate | length > 0' merged.json)" true
	for n in 1 2 3 4; do
		e=$(jq ".distinct_$n" exact.json)
		m=$(jq ".distinct_$n" merged.json)
		# distinct_n is a ratio over the same totals: compare the ratios;
		# three standard errors of the 2^16-register sketch are 1.22%.
		awk -v a="$m" -v b="$e" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; exit !(d < 0.0122) }' ||
			fail "distinct_$n: $m merged, $e exact"
	done
}

@test "--partial and --merge: states of another seed, --by or kind are refused; usage errors" {
	printf '{"text":"a b"}\n' > in.jsonl
	synth-stats --partial --seed 3 -o s3.state in.jsonl
	synth-stats --partial -o s0.state in.jsonl
	run synth-stats --merge s0.state s3.state
	assert_failure 1
	assert_output "synth-stats: s3.state: made with --seed 3, not 0"
	run synth-stats --merge --by lang s0.state
	assert_failure 1
	assert_output "synth-stats: s0.state: made without --by; this run has --by lang"
	run synth-stats --merge in.jsonl
	assert_failure 1
	assert_output --partial "in.jsonl: not a synth-stats state"
	head -c 100 s0.state > cut.state
	run synth-stats --merge cut.state -o out.json
	assert_failure 1
	[ ! -e out.json ] || fail "figures written"
	run synth-stats --merge
	assert_failure 2
	run synth-stats --partial --merge -o x s0.state
	assert_failure 2
	run synth-stats --partial --reference in.jsonl -o x in.jsonl
	assert_failure 2
}

# Six records of the reference and five of the input, by persona and
# topic: the input has too much teacher|math, a pilot the reference
# lacks, and no farmer.
make_groups() {
	cat > ref.jsonl <<-'EOF'
	{"text":"the teacher explains fractions with pizza slices","persona":"teacher","topic":"math"}
	{"text":"a nurse checks the chart before the night shift","persona":"nurse","topic":"health"}
	{"text":"the farmer reads the sky before planting beans","persona":"farmer","topic":"weather"}
	{"text":"the teacher grades essays about rivers and lakes","persona":"teacher","topic":"geography"}
	{"text":"a nurse explains how fevers break","persona":"nurse","topic":"health"}
	{"text":"the farmer counts goats at dawn","persona":"farmer","topic":"math"}
	EOF
	cat > in.jsonl <<-'EOF'
	{"text":"the teacher explains fractions with pizza","persona":"teacher","topic":"math"}
	{"text":"the teacher explains fractions with pizza","persona":"teacher","topic":"math"}
	{"text":"the teacher explains fractions again","persona":"te\u0061cher","topic":"math"}
	{"text":"a nurse checks the chart","persona":"nurse","topic":"health"}
	{"text":"the pilot lands","persona":"pilot","topic":"travel"}
	EOF
}

@test "--by FIELD,FIELD crosses the fields: a group per combination, its value an array, a missing member null" {
	printf '%s\n' '{"text":"a","p":"x","t":"m"}' '{"text":"b","p":"\u0078","t":"m"}' \
		'{"text":"c","p":"x"}' '{"text":"d","p":1,"t":"m"}' > in.jsonl
	stats --by p,t in.jsonl > out.json
	assert_equal "$(jq -c '.by.field' out.json)" '"p,t"'
	assert_equal "$(jq -c '[.by.groups[] | [.value, .records]]' out.json)" '[[["x","m"],2],[["x",null],1],[[1,"m"],1]]'
	# The state of --partial keeps the crossed groups.
	synth-stats --partial --by p,t -o s.state in.jsonl
	assert_equal "$(synth-stats --merge --by p,t s.state | jq -c '.by.groups | map(.records)')" '[2,1,1]'
	run synth-stats --by p, in.jsonl
	assert_failure 2
	assert_output --partial "--by p,: an empty field name"
	run synth-stats --by a,b,c,d,e,f,g,h,i in.jsonl
	assert_failure 2
}

@test "--reference --by: each group's share against the reference's, ratio, total variation, JS, the missing crossed groups flagged" {
	make_groups
	synth-stats --reference ref.jsonl --by persona,topic in.jsonl > out.json
	jq -c '.representation | [.by, .against, .file, .unit, .under]' out.json > head.json
	assert_equal "$(cat head.json)" '["persona,topic","reference","ref.jsonl","records",0.5]'
	# Shares of the input .6 .2 .2, of the reference 1/3 and 1/6 each.
	assert_equal "$(jq -c '.representation.groups[] | [.group, .records, .share, .reference_records, .wanted, .ratio, .flag]' out.json)" \
'["nurse|health",1,0.2,2,0.333333,0.6,"ok"]
["teacher|math",3,0.6,1,0.166667,3.6,"ok"]
["farmer|math",0,0,1,0.166667,0,"missing"]
["farmer|weather",0,0,1,0.166667,0,"missing"]
["teacher|geography",0,0,1,0.166667,0,"missing"]
["pilot|travel",1,0.2,0,0,null,"extra"]'
	assert_equal "$(jq -c .representation.flagged out.json)" '["farmer|math","farmer|weather","teacher|geography"]'
	# TV = (2/15 + 13/30 + 3/6 + 1/5) / 2; JS of the same two
	# distributions, in bits.
	assert_equal "$(jq .representation.total_variation out.json)" 0.633333
	want=$(awk 'BEGIN { split("0.2 0.6 0 0 0 0.2", p); split("0.333333333333 0.166666666667 0.166666666667 0.166666666667 0.166666666667 0", q);
		for (i = 1; i <= 6; i++) { m = (p[i] + q[i]) / 2; if (p[i] > 0) js += p[i] * log(p[i] / m) / 2; if (q[i] > 0) js += q[i] * log(q[i] / m) / 2 }
		printf "%.6f", js / log(2) }')
	assert_equal "$(jq .representation.js_divergence out.json)" "$want"
	# --under: the nurses, at 0.6 of their share, are flagged under 0.7;
	# groups wanted alike come in order of their share.
	synth-stats --reference ref.jsonl --by persona --under 0.7 in.jsonl > under.json
	assert_equal "$(jq -c '[.representation.groups[] | [.group, .flag]]' under.json)" \
		'[["teacher","ok"],["nurse","under"],["farmer","missing"],["pilot","extra"]]'
	assert_equal "$(jq -c .representation.flagged under.json)" '["nurse","farmer"]'
	# The table flags them too.
	run synth-stats --reference ref.jsonl --by persona,topic --table in.jsonl
	assert_success
	assert_line "representation of in.jsonl by persona,topic against reference ref.jsonl"
	assert_line --regexp '^  total variation 0\.6333  js divergence 0\.[0-9]{4}  flagged 3 \(ratio under 0\.5 or missing\)$'
	assert_line --regexp '^  farmer\|weather +0 +0\.00% +16\.67% +0\.00 missing +0\.0000 +- +1\.0000 +- +[0-9.]+$'
	assert_line --regexp '^  pilot\|travel +1 +20\.00% +0\.00% +- extra +- +1\.0000 +- +[0-9.]+ +-$'
}

@test "--reference --by: the diversity of each group against the same group of the reference shows one group's collapse" {
	# The German records of the corpus all become one of them, in place;
	# the other languages are the reference's own records.
	awk 'BEGIN { de = "" } /"lang": "de"/ { if (de == "") de = $0; print de; next } { print }' \
		"$ROOT/examples/corpus.jsonl" > collapsed.jsonl
	synth-stats --reference "$ROOT/examples/corpus.jsonl" --by lang collapsed.jsonl > out.json
	group() { jq -c ".representation.groups[] | select(.group == \"$1\") | $2" out.json; }
	# Every group keeps its share: nothing is flagged.
	assert_equal "$(jq -c '.representation | [.total_variation, .flagged]' out.json)" '[0,[]]'
	# English is the reference's own: all its words, its distinct-2 and
	# the same sample of perplexities.
	assert_equal "$(group en '[.vocab_kept, .distinct_2 == .distinct_2_reference, .perplexity_p50 == .perplexity_p50_reference]')" '[1,true,true]'
	# German kept a few words of its reference and repeats itself.
	awk -v v="$(group de .vocab_kept)" 'BEGIN { exit !(v > 0 && v < 0.1) }' || fail "de vocab_kept $(group de .vocab_kept)"
	awk -v a="$(group de .distinct_2)" -v b="$(group de .distinct_2_reference)" 'BEGIN { exit !(a < b / 10) }' ||
		fail "de distinct_2 $(group de .distinct_2) against $(group de .distinct_2_reference)"
	# The whole still keeps most of the vocabulary.
	awk -v v="$(jq .reference.vocab_kept out.json)" 'BEGIN { exit !(v > 0.8) }' || fail "vocab_kept $(jq .reference.vocab_kept out.json)"
	# The same for any number of threads.
	synth-stats -j 1 --reference "$ROOT/examples/corpus.jsonl" --by lang collapsed.jsonl > j1.json
	synth-stats -j 3 --reference "$ROOT/examples/corpus.jsonl" --by lang collapsed.jsonl > j3.json
	cmp j1.json j3.json
}

@test "--target: shares against a JSON object of weights, groups it lacks extra; JSON, table, --merge" {
	make_groups
	printf '{\n  "teacher": 1,\n  "nurse": 1,\n  "farmer": 2\n}\n' > target.json
	synth-stats --json --by persona --target target.json in.jsonl > out.json
	assert_equal "$(jq -c '.representation | [.against, .file, .total_variation, .flagged]' out.json)" '["target","target.json",0.55,["farmer"]]'
	assert_equal "$(jq -c '.representation.groups[] | [.group, .records, .share, .wanted, .ratio, .flag]' out.json)" \
'["farmer",0,0,0.5,0,"missing"]
["teacher",3,0.6,0.25,2.4,"ok"]
["nurse",1,0.2,0.25,0.8,"ok"]
["pilot",1,0.2,0,null,"extra"]'
	# No reference: no diversity figures.
	assert_equal "$(jq -c '.representation.groups[0] | has("vocab_kept")' out.json)" false
	# The statistics are those without --target.
	assert_equal "$(jq -c 'del(.representation)' out.json)" "$(synth-stats --json --by persona in.jsonl)"
	run synth-stats --table --by persona --target target.json in.jsonl
	assert_success
	assert_line "representation by persona against target target.json"
	assert_line --regexp '^  farmer +0 +0\.00% +50\.00% +0\.00 missing$'
	# Crossed groups are named VALUE|VALUE; a target may name one no
	# record has.
	printf '{"teacher|math":1,"nurse|health":1,"farmer|weather":1}' > crossed.json
	synth-stats --by persona,topic --target crossed.json in.jsonl > c.json
	assert_equal "$(jq -c '[.representation.groups[] | [.group, .records, .flag]]' c.json)" \
		'[["teacher|math",3,"ok"],["nurse|health",1,"ok"],["farmer|weather",0,"missing"],["pilot|travel",1,"extra"]]'
	# With a reference too: shares against the target, diversity against
	# the reference.
	synth-stats --reference ref.jsonl --by persona --target target.json in.jsonl > both.json
	assert_equal "$(jq -c '.representation | [.against, (.groups[0] | [.group, .wanted, .vocab_kept])]' both.json)" '["target",["farmer",0.5,0]]'
	# --merge of states, compared with a target.
	synth-stats --partial --by persona -o s.state in.jsonl
	assert_equal "$(synth-stats --merge --by persona --target target.json s.state | jq -c .representation)" "$(jq -c .representation out.json)"
}

@test "--target: a file that is not an object of non-negative numbers is an error naming file and line; usage errors" {
	printf '{"text":"a","p":"x"}\n' > in.jsonl
	printf '{\n"x": 1,\n"y": -2\n}\n' > neg.json
	run --separate-stderr synth-stats --by p --target neg.json in.jsonl
	assert_failure 1
	assert_equal "$stderr" 'synth-stats: neg.json:3: "y": the share must be a number, 0 or more'
	assert_equal "$output" ""
	printf '{"x": 1,\n"x": 2}' > twice.json
	run --separate-stderr synth-stats --by p --target twice.json in.jsonl
	assert_equal "$stderr" 'synth-stats: twice.json:2: "x" is given twice'
	printf '{"x": "half"}' > str.json
	run --separate-stderr synth-stats --by p --target str.json in.jsonl
	assert_equal "$stderr" 'synth-stats: str.json:1: "x": the share must be a number, 0 or more'
	printf '{"x": 0}' > zero.json
	run --separate-stderr synth-stats --by p --target zero.json in.jsonl
	assert_equal "$stderr" 'synth-stats: zero.json: no group with a share above 0'
	printf '{"x": 1,\n\n"y" 2}' > bad.json
	run --separate-stderr synth-stats --by p --target bad.json in.jsonl
	assert_failure 1
	assert_regex "$stderr" '^synth-stats: bad\.json:3: not a JSON object of group -> share: '
	printf '["x"]' > arr.json
	run --separate-stderr synth-stats --by p --target arr.json in.jsonl
	assert_failure 1
	run --separate-stderr synth-stats --by p --target missing.json in.jsonl
	assert_failure 1
	assert_equal "$stderr" 'synth-stats: missing.json: No such file or directory'
	printf '{"x": 1}' > ok.json
	run synth-stats --target ok.json in.jsonl
	assert_failure 2
	assert_output --partial "give --by"
	run synth-stats --by p --under 0.3 in.jsonl
	assert_failure 2
	run synth-stats --by p --target ok.json --partial -o s.state in.jsonl
	assert_failure 2
	run synth-stats --by p --target ok.json --under x in.jsonl
	assert_failure 2
	# A label with fewer values than --by crosses fields is warned about.
	printf '{"x": 1, "x|m": 1}' > short.json
	run --separate-stderr synth-stats --by p,t --target short.json in.jsonl
	assert_success
	assert_equal "$stderr" "synth-stats: warning: short.json: \"x\" names 1 value, but --by p,t crosses 2 fields (join values with '|')"
}

@test "--html with --by and --reference: a representation section, the flagged rows tinted, labels escaped, drawn by Chromium" {
	make_groups
	sed 's/"farmer"/"<b>\&\\"farmer\\"<\/script>"/' ref.jsonl > hostile.jsonl
	synth-stats --reference hostile.jsonl --by persona --html r.html in.jsonl > /dev/null
	sed -n '/<table class="representation">/,/<\/table>/p' r.html > section
	assert_equal "$(grep -c '<tr class="flag-' section)" 4
	grep -qF '<tr class="flag-missing"><td class="name">&lt;b&gt;&amp;&quot;farmer&quot;&lt;/script&gt;</td><td>0</td>' section ||
		fail "no escaped row for the missing group"
	grep -qF '<tr class="flag-extra"><td class="name">pilot</td><td>1</td>' section || fail "no row for the pilot"
	grep -qF 'Representation of in.jsonl by persona' r.html || fail "no heading"
	run ! grep -Eiq '<script|http|url\(' r.html
	render_png r.html r.png
	pngtopnm r.png | ppmhist -noheader > colours
	# The missing group's row is tinted #ffc9c9, the bars of the shares
	# #1c64c8: both on the page.
	n=$(awk '$1 == 255 && $2 == 201 && $3 == 201 { print $5 }' colours)
	(( ${n:-0} > 1000 )) || fail "the missing row's tint on ${n:-0} pixels"
	# Without --reference, --target gives the section too.
	printf '{"teacher":1,"nurse":1,"farmer":2}' > target.json
	synth-stats --by persona --target target.json --html t.html in.jsonl > /dev/null
	grep -qF '<tr class="flag-missing"><td class="name">farmer</td>' t.html || fail "no target section"
}

# section PAGE ID: the records of the section whose heading has id ID
# in the review page PAGE, up to the next heading of a section.
review_section() {
	awk -v id="id=\"$2\"" 'index($0, id) { on = 1; next } on && /^<h[23] / { exit } on' "$1"
}

# review_ids PAGE ID: the ids of the records of that section, in order.
review_ids() {
	review_section "$1" "$2" | sed -n 's/.*<span class="id">\([^<]*\)<\/span>.*/\1/p'
}

@test "--review: a seeded sample of each group of --by, the same for any -j, another for another seed" {
	synth-stats --by lang --review r.html --review-sample 5 -j 1 "$ROOT/examples/corpus.jsonl" > out.json
	# The figures are those without --review.
	assert_equal "$(cat out.json)" "$(synth-stats --by lang "$ROOT/examples/corpus.jsonl")"
	# A heading a group, most records first, with its count.
	assert_equal "$(grep -o '<h3 id="g[0-9]*">[a-z]* <span class="count">[^<]*' r.html | sed 's/<span class="count">//; s/<h3 id="g\([0-9]*\)">/\1 /')" \
"1 en 800 records (66.2%), 5 shown
2 de 98 records (8.1%), 5 shown
3 fr 90 records (7.5%), 5 shown
4 ja 83 records (6.9%), 5 shown
5 ru 81 records (6.7%), 5 shown
6 zh 56 records (4.6%), 5 shown"
	# Five records of each group, each of its language (their ids say),
	# each with where it is.
	local g lang ids
	for g in 1 2 3 4 5 6; do
		lang=$(sed -n "s/.*<h3 id=\"g$g\">\([a-z]*\) .*/\1/p" r.html)
		ids=$(review_ids r.html "g$g")
		assert_equal "$(wc -l <<< "$ids")" 5
		assert_equal "$(grep -vc "^$lang-" <<< "$ids")" 0
		assert_equal "$(sort -u <<< "$ids" | wc -l)" 5
	done
	review_section r.html g2 | grep -qF "<span class=\"where\">$ROOT/examples/corpus.jsonl:" || fail "no file:line"
	# The text is the record's, escaped.
	id=$(review_ids r.html g2 | head -n 1)
	text=$(jq -r --arg id "$id" 'select(.id == $id) | .text' "$ROOT/examples/corpus.jsonl" | head -c 40 |
		sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g; s/"/\&quot;/g; s/'"'"'/\&#39;/g')
	grep -qF -- "$text" r.html || fail "the text of $id is not in the page"
	# The same page for any number of threads; another seed, other records.
	synth-stats --by lang --review r3.html --review-sample 5 -j 3 "$ROOT/examples/corpus.jsonl" > /dev/null
	cmp r.html r3.html
	synth-stats --by lang --review s1.html --review-sample 5 --seed 1 "$ROOT/examples/corpus.jsonl" > /dev/null
	run cmp -s <(review_ids r.html g1) <(review_ids s1.html g1)
	assert_failure
	# The sample depends on the records, not their order: the same ids
	# from the corpus reversed.
	tac "$ROOT/examples/corpus.jsonl" > reversed.jsonl
	synth-stats --by lang --review rev.html --review-sample 5 reversed.jsonl > /dev/null
	for g in 1 2 3 4 5 6; do
		assert_equal "$(review_ids rev.html "g$g" | sort)" "$(review_ids r.html "g$g" | sort)"
	done
	# Without --by: one group of all the records.
	synth-stats --review all.html --review-sample 7 "$ROOT/examples/corpus.jsonl" > /dev/null
	assert_equal "$(review_ids all.html g1 | wc -l)" 7
	grep -qF '<h3 id="g1">all records <span class="count">1208 records (100.0%), 7 shown</span></h3>' all.html ||
		fail "no group of all records"
}

@test "--review: groups whose values hold a NUL byte are told apart by all their bytes" {
	# "a\u0000b" and "a\u0000c": a key copied up to its NUL made them
	# one key and read past the copy.
	printf '%s\n' '{"text":"one two","g":"a\u0000b"}' '{"text":"three four","g":"a\u0000c"}' \
		'{"text":"five","g":"a\u0000b"}' > nul.jsonl
	synth-stats --by g --review nul.html nul.jsonl > /dev/null
	assert_equal "$(grep -o '<h3 id="g[0-9]*">[^<]*<span class="count">[^<]*' nul.html | sed 's/<span class="count">//')" \
"<h3 id=\"g1\">a␀b 2 records (66.7%), 2 shown
<h3 id=\"g2\">a␀c 1 records (33.3%), 1 shown"
}

@test "--review-signal: the records with the lowest and the highest number there, in order; others are not in the lists" {
	for i in 1 2 3 4 5 6 7 8; do
		printf '{"id":"r%d","text":"record %d","quality":{"perplexity":%d.5}}\n' "$i" "$i" $(( (i * 5) % 8 ))
	done > in.jsonl
	printf '%s\n' '{"id":"s","text":"a string there","quality":{"perplexity":"high"}}' \
		'{"id":"n","text":"none there"}' >> in.jsonl
	synth-stats --review r.html --review-sample 3 --review-signal quality.perplexity in.jsonl > /dev/null
	# Perplexities: r1 5.5, r2 2.5, r3 7.5, r4 4.5, r5 1.5, r6 6.5, r7 3.5, r8 0.5.
	assert_equal "$(review_ids r.html lowest | paste -sd ' ')" "r8 r5 r2"
	assert_equal "$(review_ids r.html highest | paste -sd ' ')" "r3 r6 r1"
	grep -qF '<h2 id="lowest">Lowest quality.perplexity <span class="count">3 of 8 records with a number there</span></h2>' r.html ||
		fail "no heading of the lowest"
	review_section r.html lowest | grep -qF '<span class="signal">quality.perplexity = 0.5</span>' || fail "no value shown"
	# The signals and provenance of each record are shown as written.
	review_section r.html lowest | grep -qF '<dt>quality</dt><dd>{&quot;perplexity&quot;:0.5}</dd>' || fail "no quality member"
	# All ten are in the sample's group (3 shown).
	assert_equal "$(review_ids r.html g1 | wc -l)" 3
}

@test "--review-rejects: the records synth-score and synth-dedup rejected, by reason and by quality rule, with counts" {
	synth-score --preset gopher --filter --rejects score-rej.jsonl "$ROOT/examples/corpus.jsonl" > kept.jsonl
	jq -c 'select(.lang == "en") | .id += "-copy"' "$ROOT/examples/corpus.jsonl" | head -n 50 > copies.jsonl
	synth-dedup --exact --rejects dedup-rej.jsonl "$ROOT/examples/corpus.jsonl" copies.jsonl > /dev/null
	synth-stats --review r.html --review-sample 4 --review-rejects score-rej.jsonl \
		--review-rejects dedup-rej.jsonl kept.jsonl > /dev/null
	# A reason a section, most records first; a quality rule a section
	# (a record under each rule it failed): the counts of the files.
	local rule want
	for rule in min_words min_stop_words max_bullet_lines_frac; do
		want=$(jq --arg r "$rule" 'select(.quality.reasons | index($r))' score-rej.jsonl | jq -s length)
		grep -qE "<li><a href=\"#r[0-9]+\">quality: $rule</a> <span class=\"count\">$want</span></li>" r.html ||
			fail "no reason quality: $rule with $want records"
	done
	want=$(jq -r .reject.reason dedup-rej.jsonl | sort | uniq -c | awk '{ print $2 " " $1 }')
	assert_equal "$want" "duplicate $(wc -l < dedup-rej.jsonl)"
	grep -qE "<li><a href=\"#r[0-9]+\">duplicate</a> <span class=\"count\">$(wc -l < dedup-rej.jsonl)</span></li>" r.html ||
		fail "no reason duplicate"
	grep -qF "<p class=\"meta\">$(( $(wc -l < score-rej.jsonl) + $(wc -l < dedup-rej.jsonl) )) records." r.html ||
		fail "not the number of rejected records"
	# A duplicate shows its id, its dedup member (what it duplicates) and
	# where the rejecting program read it.
	n=$(grep -o '<a href="#r[0-9]*">duplicate</a>' r.html | sed 's/.*#r\([0-9]*\).*/\1/')
	review_section r.html "r$n" > dups
	assert_equal "$(grep -c '<article class="record">' dups)" 4
	grep -q '<span class="id">en-[0-9]*-copy</span>' dups || fail "no id"
	grep -qF '<dt>dedup</dt><dd>{&quot;dup_of&quot;:&quot;en-' dups || fail "no dedup member"
	grep -qF '<dt>reject</dt><dd>{&quot;reason&quot;:&quot;duplicate&quot;,&quot;file&quot;:&quot;copies.jsonl&quot;' dups ||
		fail "no reject member"
	# An invalid line kept by --skip-invalid shows as it was.
	printf 'not json at all\n' > bad.jsonl
	synth-stats --skip-invalid --rejects invalid-rej.jsonl bad.jsonl kept.jsonl > /dev/null 2>&1
	synth-stats --review inv.html --review-rejects invalid-rej.jsonl kept.jsonl > /dev/null
	grep -qF '<span class="note">(the line as it was)</span>' inv.html || fail "no raw line"
	grep -qF 'not json at all' inv.html || fail "the raw line is not shown"
	# An empty rejects file is no reason at all; a missing one fails, and
	# no page is written.
	: > empty.jsonl
	synth-stats --review e.html --review-rejects empty.jsonl kept.jsonl > /dev/null
	grep -qF '<p class="meta">0 records.' e.html || fail "empty rejects"
	run synth-stats --review m.html --review-rejects missing.jsonl -o out.json kept.jsonl
	assert_failure 1
	assert_output --partial "missing.jsonl: No such file or directory"
	[ ! -e m.html ] && [ ! -e out.json ] || fail "written after a failed run"
	printf '{"a":1}\nnot json\n' > badrej.jsonl
	run synth-stats --review m.html --review-rejects badrej.jsonl kept.jsonl
	assert_failure 1
	assert_output --partial "badrej.jsonl:2: invalid JSON"
	[ ! -e m.html ] || fail "written after a failed run"
}

@test "--review: usage errors" {
	printf '{"text":"a"}\n' > in.jsonl
	run synth-stats --review-signal q in.jsonl
	assert_failure 2
	assert_output --partial "go with --review FILE"
	run synth-stats --review-rejects r.jsonl in.jsonl
	assert_failure 2
	run synth-stats --review r.html --review-sample 0 in.jsonl
	assert_failure 2
	run synth-stats --review r.html --reference in.jsonl in.jsonl
	assert_failure 2
	run synth-stats --review r.html --partial -o s.state in.jsonl
	assert_failure 2
	run synth-stats --review r.html --html r.html in.jsonl
	assert_failure 2
	[ ! -e r.html ] || fail "a page of a usage error"
}

@test "--review: a long text is shown up to 16 KiB, cut between characters, with how much more it has" {
	awk 'BEGIN { t = ""; for (i = 0; i < 20000; i++) t = t "\303\251"; printf "{\"id\":\"long\",\"text\":\"%s\"}\n", t }' > long.jsonl
	synth-stats --review r.html long.jsonl > /dev/null
	iconv -f UTF-8 -t UTF-8 r.html > /dev/null || fail "the page is not UTF-8"
	grep -qF '<span class="note"> … (23616 more bytes)</span>' r.html || fail "no note of the rest"
	assert_equal "$(grep -o 'é' r.html | wc -l)" 8192
}
