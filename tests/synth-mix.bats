#!/usr/bin/env bats
# synth-mix: exact shares, interleaving, upsampling, shuffling, sampling,
# the synthetic limit, the report, and bad input.

load helpers

# make_sources: real.jsonl (300 records of 5 words), gen.jsonl (700
# synthetic records of 2 words), long.jsonl (100 records of 1 to 100
# words).
make_sources() {
	awk 'BEGIN { for (i = 1; i <= 300; i++) printf "{\"id\":\"r%d\",\"text\":\"real text number %d here\"}\n", i, i }' > real.jsonl
	awk 'BEGIN { for (i = 1; i <= 700; i++) printf "{\"id\":\"s%d\",\"text\":\"synthetic %d\",\"synth\":{\"generator\":\"t\"}}\n", i, i }' > gen.jsonl
	awk 'BEGIN { for (i = 1; i <= 100; i++) { t = "w"; for (k = 2; k <= i; k++) t = t " w"; printf "{\"id\":\"l%d\",\"text\":\"%s\"}\n", i, t } }' > long.jsonl
}

@test "docs: the shares are exact, and every record is one of the sources'" {
	make_sources
	synth-mix -n 500 real.jsonl:3 gen.jsonl:7 > out.jsonl
	assert_equal "$(wc -l < out.jsonl)" 500
	assert_equal "$(jq -r .mix.source out.jsonl | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" "gen=350 real=150 "
	# Each record is an input record with "mix" added, none twice.
	jq -c 'del(.mix)' out.jsonl | sort > got.txt
	sort real.jsonl gen.jsonl > all.txt
	assert_equal "$(comm -23 got.txt all.txt | wc -l)" 0
	assert_equal "$(sort -u got.txt | wc -l)" 500
	# Weights that do not divide evenly: the largest remainders get the
	# records left over (1/3 of 100 is 33.33, 2/3 is 66.67).
	synth-mix -n 100 real.jsonl gen.jsonl:2 > out2.jsonl
	assert_equal "$(jq -r .mix.source out2.jsonl | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" "gen=67 real=33 "
}

@test "bytes and words: each source's share is within one record of the request" {
	make_sources
	for unit in bytes words; do
		for w in "1 1" "1 3" "5 1"; do
			set -- $w
			synth-mix --unit $unit -n 1200 --report r.json real.jsonl:$1 long.jsonl:$2 > out.jsonl
			# The achieved amount of each source, from the records
			# themselves, against total * weight / sum; one record of
			# long.jsonl is at most 100 words (199 bytes), of real.jsonl
			# 5 words (26 bytes).
			for src in real long; do
				if [ $unit = words ]; then
					got=$(jq -r "select(.mix.source == \"$src\") | .text" out.jsonl | wc -w)
				else
					got=$(jq -r "select(.mix.source == \"$src\") | .text" out.jsonl | awk '{ n += length($0) } END { print n + 0 }')
				fi
				share=$([ $src = real ] && echo $1 || echo $2)
				want=$(echo "1200 * $share / ($1 + $2)" | bc -l)
				max=$([ $unit = words ] && echo 100 || echo 199)
				echo "$unit $w $src got $got want $want"
				awk -v g="$got" -v w="$want" -v m="$max" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= m) }' ||
					fail "$unit, weights $w: $src has $got, asked $want"
				assert_equal "$(jq ".sources[] | select(.label == \"$src\") | .$unit" r.json)" "$got"
			done
		done
	done
}

@test "without a total the mix is the largest no source repeats for" {
	make_sources
	# 300 real at a share of 0.5 bind: 300 of each.
	synth-mix --report r.json real.jsonl gen.jsonl > out.jsonl
	assert_equal "$(jq -r .mix.source out.jsonl | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" "gen=300 real=300 "
	assert_equal "$(jq -c '[.sources[].epochs]' r.json)" "[1,0.42857142857142855]"
	# By words, real has 1500 and gen 1400: gen binds, 1400 words each.
	synth-mix --unit words --report r.json real.jsonl gen.jsonl > out.jsonl
	assert_equal "$(jq -r 'select(.mix.source == "gen") | .text' out.jsonl | wc -w)" 1400
	assert_equal "$(jq -r 'select(.mix.source == "real") | .text' out.jsonl | wc -w)" 1400
	assert_equal "$(jq .words r.json)" 2800
}

@test "the interleave is uniform: a chi-square test over tenths of the output" {
	make_sources
	synth-mix -n 1000 real.jsonl:3 gen.jsonl:7 --seed 11 > out.jsonl
	# Count the records of real in each tenth of the output; under a
	# uniform interleave each holds 30. The statistic has 9 degrees of
	# freedom: 21.67 is its 1% critical value. A concatenation would
	# score in the thousands.
	chi=$(jq -r .mix.source out.jsonl | awk '{ n[int((NR - 1) / 100)] += ($1 == "real") } END { for (i = 0; i < 10; i++) c += (n[i] - 30) ^ 2 / 30 * (1 + 3 / 7); print c }')
	echo "chi-square $chi"
	awk -v c="$chi" 'BEGIN { exit !(c < 21.67) }' || fail "chi-square $chi: not uniform"
	# And the real records come in no fixed place: the first real record
	# is not always first.
	run bash -c "jq -r .mix.source out.jsonl | head -n 20 | sort -u | wc -l"
	assert_output 2
}

@test "the same seed gives the same bytes; another seed another order" {
	make_sources
	synth-mix -n 400 real.jsonl gen.jsonl --seed 5 > a.jsonl
	synth-mix -j 1 -n 400 real.jsonl gen.jsonl --seed 5 > b.jsonl
	cmp a.jsonl b.jsonl
	synth-mix -n 400 real.jsonl gen.jsonl --seed 6 > c.jsonl
	run cmp -s a.jsonl c.jsonl
	assert_failure
}

@test "which records a source gives is keyed by the record, not by its place" {
	make_sources
	# 100 of the 700 records of gen: reversing the file changes nothing
	# but their order.
	synth-mix -n 200 real.jsonl gen.jsonl > a.jsonl
	tac gen.jsonl > rev.jsonl
	synth-mix -n 200 real.jsonl rev.jsonl --label real --label gen > b.jsonl
	assert_equal "$(jq -r 'select(.mix.source == "gen") | .id' a.jsonl | sort)" \
		"$(jq -r 'select(.mix.source == "gen") | .id' b.jsonl | sort)"
}

@test "--upsample repeats a small source in whole epochs, each in a new order" {
	make_sources
	run synth-mix -n 1000 real.jsonl gen.jsonl
	assert_failure 1
	assert_output --partial "real: 300 docs, and the mix needs 500; use --upsample"
	synth-mix -n 1000 --upsample --report r.json real.jsonl gen.jsonl > out.jsonl
	assert_equal "$(jq -r 'select(.mix.source == "real") | .mix.epoch' out.jsonl | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" "1=300 2=200 "
	# Epoch 1 holds every record once; epoch 2 a part, none twice.
	assert_equal "$(jq -r 'select(.mix.source == "real" and .mix.epoch == 1) | .id' out.jsonl | sort -u | wc -l)" 300
	assert_equal "$(jq -r 'select(.mix.source == "real" and .mix.epoch == 2) | .id' out.jsonl | sort -u | wc -l)" 200
	assert_equal "$(jq '.sources[0].epochs' r.json)" "1.6666666666666667"
	# Five epochs of real: each in its own order.
	synth-mix -n 1500 --upsample real.jsonl:1 gen.jsonl:0.0001 > five.jsonl
	for e in 1 2 3 4 5; do
		jq -r "select(.mix.epoch == $e and .mix.source == \"real\") | .id" five.jsonl > e$e.txt
		assert_equal "$(sort -u e$e.txt | wc -l)" 300
	done
	run cmp -s e1.txt e2.txt
	assert_failure
	run cmp -s e2.txt e3.txt
	assert_failure
}

@test "--shuffle permutes the mix; spilling to TMPDIR gives the same bytes and leaves nothing" {
	make_sources
	for i in $(seq 40); do cat gen.jsonl; done | awk '{ sub(/"id":"s/, "\"id\":\"" NR "-s"); print }' > big.jsonl
	args=(-n 20000 real.jsonl:0.015 big.jsonl:0.985)
	synth-mix "${args[@]}" > plain.jsonl
	synth-mix --shuffle "${args[@]}" > mem.jsonl
	mkdir tmp
	TMPDIR=$PWD/tmp run --separate-stderr synth-mix -v --shuffle --memory 1M "${args[@]}"
	assert_success
	printf '%s\n' "$output" > spilled.jsonl
	[[ "$stderr" == *"--shuffle: "*" runs spilled to TMPDIR"* ]] || fail "no spill: $stderr"
	cmp mem.jsonl spilled.jsonl
	assert_equal "$(ls tmp | wc -l)" 0
	# The same records, in another order.
	assert_equal "$(sort mem.jsonl | md5sum)" "$(sort plain.jsonl | md5sum)"
	run cmp -s mem.jsonl plain.jsonl
	assert_failure
	# Uniform: the tenths of the output hold real in its share.
	chi=$(jq -r .mix.source mem.jsonl | awk -v n="$(wc -l < mem.jsonl)" '{ k = int((NR - 1) * 10 / n); c[k]++; r[k] += ($1 == "real") } END { for (i = 0; i < 10; i++) { e = c[i] * 300 / n; s += (r[i] - e) ^ 2 / e } print s }')
	echo "chi-square $chi"
	awk -v c="$chi" 'BEGIN { exit !(c < 21.67) }' || fail "chi-square $chi"
}

@test "tables of records larger than --memory spill to TMPDIR: the same mix, the smallest keys chosen, ties by place" {
	# 24 bytes a record: 100,000 records are 2.4 MB of table.
	awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "{\"id\":\"a%d\",\"text\":\"a %d%s\"}\n", i, i, i % 7 ? "" : " and more words" }' > a.jsonl
	awk 'BEGIN { for (i = 1; i <= 70000; i++) printf "{\"id\":\"b%d\",\"text\":\"b %d\"%s}\n", i, i, i % 3 ? "" : ",\"synth\":{}" }' > b.jsonl
	mkdir tmp
	for args in "a.jsonl b.jsonl" "--unit bytes a.jsonl:3 b.jsonl" "-n 1000 --unit words a.jsonl b.jsonl" \
		    "--max-synthetic 0.1 a.jsonl:9 b.jsonl:1" "--upsample -n 300000 a.jsonl b.jsonl" \
		    "--shuffle -n 50000 a.jsonl b.jsonl:2"; do
		synth-mix $args > mem.jsonl
		TMPDIR=$PWD/tmp run --separate-stderr synth-mix -v --memory 1M $args
		assert_success
		printf '%s\n' "$output" > spilled.jsonl
		[[ "$stderr" == *"a: the table of its 100000 records spilled to TMPDIR"* ]] || fail "$args: $stderr"
		cmp mem.jsonl spilled.jsonl || fail "$args: another mix"
		assert_equal "$(ls tmp | wc -l)" 0
	done
	# The records with the smallest keys: a smaller mix is part of a larger one.
	synth-mix --memory 1M -n 40000 a.jsonl | jq -r .id | sort > small.txt
	synth-mix --memory 1M -n 60000 a.jsonl | jq -r .id | sort > large.txt
	assert_equal "$(comm -23 small.txt large.txt | wc -l)" 0
	assert_equal "$(wc -l < small.txt) $(wc -l < large.txt)" "40000 60000"
	# One id for all (one key): the first records by place, past the
	# 65,536 the plan sorts in memory.
	awk 'BEGIN { for (i = 1; i <= 80000; i++) printf "{\"id\":\"x\",\"text\":\"%d\"}\n", i }' > same.jsonl
	for m in 1M 512M; do
		synth-mix --memory $m -n 70000 same.jsonl | jq -r .text | sort -n > got.txt
		assert_equal "$(head -n 1 got.txt) $(tail -n 1 got.txt) $(sort -u got.txt | wc -l)" "1 70000 70000"
	done
}

@test "--sample keeps the same records however the input is split" {
	make_sources
	synth-mix --sample 0.2 --seed 3 gen.jsonl > all.jsonl
	head -n 350 gen.jsonl > a.jsonl
	tail -n 350 gen.jsonl > b.jsonl
	synth-mix --sample 0.2 --seed 3 a.jsonl > pa.jsonl
	synth-mix --sample 0.2 --seed 3 - < b.jsonl > pb.jsonl
	assert_equal "$(jq -c 'del(.mix)' all.jsonl)" "$(cat pa.jsonl pb.jsonl | jq -c 'del(.mix)')"
	# About 140 of 700; 3 standard deviations of the binomial are 32.
	n=$(wc -l < all.jsonl)
	[ "$n" -gt 108 ] && [ "$n" -lt 172 ] || fail "$n records sampled"
	run synth-mix --sample 0.2 real.jsonl gen.jsonl
	assert_failure 2
	assert_output --partial "--sample takes one source"
}

@test "--max-synthetic refuses a mix over the limit before writing anything" {
	make_sources
	run synth-mix --max-synthetic 0.6 real.jsonl:3 gen.jsonl:7 -o out.jsonl
	assert_failure 1
	assert_output "synth-mix: the mix would be 70.00% synthetic by docs, more than --max-synthetic 0.6 allows; nothing written"
	[ ! -e out.jsonl ] || fail "a mix was written"
	# By words gen's records are short: 7 * 2 against 3 * 5 words.
	synth-mix --unit words --max-synthetic 0.5 real.jsonl:1 gen.jsonl:1 -o out.jsonl
	[ -s out.jsonl ]
	# --synthetic counts a whole source as synthetic.
	run synth-mix --max-synthetic 0.5 --synthetic long real.jsonl long.jsonl:2
	assert_failure 1
	assert_output --partial "66.67% synthetic"
	# Asked for exactly the limit, a mix that rounding put one record
	# over gives that record back: long's records are 1 to 100 words.
	for seed in 1 2 3 4 5; do
		synth-mix --unit words -n 1000 --max-synthetic 0.3 --synthetic long --seed $seed --report r.json real.jsonl:7 long.jsonl:3 > out.jsonl
		syn=$(jq -r 'select(.mix.source == "long") | .text' out.jsonl | wc -w)
		echo "seed $seed: $syn synthetic words of $(jq .words r.json)"
		awk -v s="$syn" -v t="$(jq .words r.json)" 'BEGIN { exit !(s / t <= 0.3 && s >= 300 - 100) }' ||
			fail "seed $seed: $syn synthetic words"
	done
	# The same when the synthetic source gives all it has and the real
	# one falls short of its share by part of a record.
	for seed in 1 2 3; do
		synth-mix --unit words --max-synthetic 0.7 --seed $seed --report r.json long.jsonl:3 gen.jsonl:7 > out.jsonl
		# gen gives its 1400 words (less one record of 2 words at most);
		# long 600 within one record of up to 100 words: at least
		# 1398 / (1398 + 700) synthetic.
		awk -v s="$(jq .synthetic_share.words r.json)" 'BEGIN { exit !(s <= 0.7 && s >= 1398 / 2098) }' ||
			fail "seed $seed: synthetic share $(jq .synthetic_share.words r.json)"
	done
	run synth-mix --synthetic nosuch real.jsonl
	assert_failure 2
}

@test "--report writes the shares in every unit; -v prints them as a table" {
	make_sources
	run --separate-stderr synth-mix -v -n 100 --report r.json --label R --label G real.jsonl:1 gen.jsonl:1 -o out.jsonl
	assert_success
	bytes=$(jq -r .text out.jsonl | awk '{ n += length($0) } END { print n }')
	assert_equal "$(jq -c '[.unit, .docs, .bytes, .words, .synthetic_share.docs]' r.json)" "[\"docs\",100,$bytes,350,0.5]"
	assert_equal "$(jq -c '.sources[] | [.label, .file, .requested, .docs, .available.docs, .share.docs, .synthetic.docs]' r.json)" \
		"$(printf '%s\n' '["R","real.jsonl",0.5,50,300,0.5,0]' '["G","gen.jsonl",0.5,50,700,0.5,50]')"
	# The report agrees with the records.
	assert_equal "$(jq -r 'select(.mix.source == "R") | .text' out.jsonl | awk '{ n += length($0) } END { print n }')" "$(jq '.sources[0].bytes' r.json)"
	[[ "$stderr" == *"synth-mix: R "*"50.00%"*"50"* ]] || fail "no table: $stderr"
	[[ "$stderr" == *"synthetic: 50.00% of docs"* ]] || fail "no synthetic line: $stderr"
	run --separate-stderr synth-mix -n 100 real.jsonl gen.jsonl
	assert_equal "$stderr" ""
}

@test "standard input is one source, read once; labels default to base names" {
	make_sources
	zstd -q real.jsonl -o real.jsonl.zst
	mkdir tmp
	TMPDIR=$PWD/tmp synth-mix -n 100 - real.jsonl.zst < gen.jsonl > out.jsonl
	assert_equal "$(jq -r .mix.source out.jsonl | sort -u | tr '\n' ' ')" "real stdin "
	assert_equal "$(ls tmp | wc -l)" 0
	run synth-mix - - < gen.jsonl
	assert_failure 2
	assert_output --partial "standard input (-) can be one source only"
	run synth-mix a/real.jsonl b/real.jsonl
	assert_failure 2
	assert_output --partial "two sources are labelled 'real'"
}

@test "more sources than open files: 300 sources under ulimit -n 64 mix as without the limit" {
	local i
	for i in $(seq 300); do
		printf '{"id":"s%d-a","text":"source %d first"}\n{"id":"s%d-b","text":"source %d second"}\n' \
			"$i" "$i" "$i" "$i" > "s$i.jsonl"
	done
	# A third compressed, whose decoders keep their state between reads.
	for i in $(seq 200 300); do zstd -q --rm "s$i.jsonl"; done
	sources=(s*.jsonl*)
	synth-mix --seed 3 "${sources[@]}" > want.jsonl
	assert_equal "$(wc -l < want.jsonl)" 600
	# It held a descriptor per source, and failed after writing records.
	run --separate-stderr bash -c 'ulimit -n 64 && synth-mix --seed 3 "$@" > got.jsonl' _ "${sources[@]}"
	assert_success
	assert_equal "$stderr" ""
	cmp want.jsonl got.jsonl
	# Repeated sources, and standard input among them, too.
	synth-mix --seed 3 -n 1500 --upsample - "${sources[@]:1}" < "${sources[0]}" > want2.jsonl
	run --separate-stderr bash -c 'ulimit -n 64 && synth-mix --seed 3 -n 1500 --upsample - "${@:2}" < "$1" > got2.jsonl' _ "${sources[@]}"
	assert_success
	cmp want2.jsonl got2.jsonl
	assert_equal "$(wc -l < got2.jsonl)" 1500
}

@test "weights are read strictly: hex, spaces and a sum that overflows are usage errors, nothing written" {
	make_sources
	echo old > out.jsonl
	for w in 0x10 ' 1' '1 ' +inf 1e-400; do
		run synth-mix "real.jsonl:$w" gen.jsonl -o out.jsonl
		assert_failure 2
		assert_output --partial "real.jsonl:$w: the weight must be a positive number"
	done
	# Two weights near DBL_MAX added up to infinity: every share was 0,
	# and the run wrote 0 records with exit 0.
	run synth-mix real.jsonl:1e308 gen.jsonl:1e308 -o out.jsonl
	assert_failure 2
	assert_output --partial "the weights add up to more than"
	run synth-mix real.jsonl:1e300 gen.jsonl:1e-300 -o out.jsonl
	assert_failure 2
	assert_output --partial "gen.jsonl:1e-300: the weight is too small beside the others"
	assert_equal "$(cat out.jsonl)" old
	# Large weights that add up are only a ratio.
	run synth-mix -n 10 real.jsonl:1e307 gen.jsonl:4e307 -o out.jsonl
	assert_success
	assert_equal "$(jq -r .mix.source out.jsonl | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" "gen=8 real=2 "
}

@test "bad weights, totals and sources: clear errors, nothing written under -o" {
	make_sources
	for w in 0 -1 nan inf 1e999; do
		run synth-mix real.jsonl:$w gen.jsonl -o out.jsonl
		assert_failure 2
		assert_output --partial "real.jsonl:$w: the weight must be a positive number"
	done
	# A colon without a number is part of the name.
	cp real.jsonl 'r:x.jsonl'
	run synth-mix 'r:x.jsonl' gen.jsonl -o out.jsonl
	assert_success
	rm out.jsonl
	# A number with something after it is a mistyped weight, said so;
	# unless a file has that whole name.
	for w in 70% 0.7x 2e3junk; do
		run synth-mix real.jsonl:$w gen.jsonl -o out.jsonl
		assert_failure 2
		assert_output --partial "real.jsonl:$w: '${w##*:}' is not a weight: a weight is a positive decimal number, as real.jsonl"
		[ ! -e out.jsonl ]
	done
	cp real.jsonl 'r.jsonl:5x'
	run synth-mix 'r.jsonl:5x' gen.jsonl -o out.jsonl
	assert_success
	rm out.jsonl
	run synth-mix --unit pages real.jsonl
	assert_failure 2
	run synth-mix -n 0 real.jsonl
	assert_failure 2
	run synth-mix
	assert_failure 2
	run synth-mix --label a --label b real.jsonl
	assert_failure 2
	: > empty.jsonl
	run synth-mix real.jsonl empty.jsonl -o out.jsonl
	assert_failure 1
	assert_output "synth-mix: empty.jsonl: no records"
	run synth-mix real.jsonl missing.jsonl -o out.jsonl
	assert_failure 1
	assert_output --partial "missing.jsonl: No such file or directory"
	# A source that fails halfway: a cut .zst file.
	zstd -q gen.jsonl -o gen.jsonl.zst
	head -c $(($(stat -c %s gen.jsonl.zst) / 2)) gen.jsonl.zst > cut.jsonl.zst
	run synth-mix real.jsonl cut.jsonl.zst -o out.jsonl
	assert_failure 1
	assert_output --regexp "cut.jsonl.zst:[0-9]+: truncated zstd input"
	printf '{"text":"ok"}\n{"text":3}\n' > bad.jsonl
	run synth-mix real.jsonl bad.jsonl -o out.jsonl
	assert_failure 1
	assert_output --partial 'bad.jsonl:2: member "text" is not a string'
	[ ! -e out.jsonl ] || fail "output written"
	assert_equal "$(ls -A | grep -c tmp)" 0
	# Under --skip-invalid the bad record goes to --rejects.
	synth-mix --skip-invalid -q --rejects rej.jsonl real.jsonl bad.jsonl > out.jsonl
	assert_equal "$(jq -r .reject.line rej.jsonl)" 2
	assert_equal "$(wc -l < out.jsonl)" 2
	# An empty text has no words to give.
	printf '{"text":""}\n' > blank.jsonl
	run synth-mix --unit words real.jsonl blank.jsonl
	assert_failure 1
	assert_output "synth-mix: blank: no words: its texts are empty"
}

@test "-o, a full disk, a closed pipe" {
	make_sources
	synth-mix real.jsonl gen.jsonl -o out.jsonl.zst
	assert_equal "$(zstd -dc out.jsonl.zst | wc -l)" 600
	run bash -c "synth-mix real.jsonl gen.jsonl > /dev/full"
	assert_failure 1
	assert_output "synth-mix: write error: No space left on device"
	for i in $(seq 50); do cat gen.jsonl; done > many.jsonl
	run bash -c "set -o pipefail; synth-mix many.jsonl 2> err.txt | head -n 1 > /dev/null; echo \"status \${PIPESTATUS[0]}\""
	assert_output "status 141"
	assert_equal "$(cat err.txt)" ""
}

# --- --balance: groups of records by a member -----------------------------

# make_groups: real.jsonl, the real seed corpus of examples/ (1208 records,
# "lang" en 800, de 98, fr 90, ja 83, ru 81, zh 56), and gen.jsonl (600
# synthetic records: 270 en, 270 de, 30 without "lang", 30 with "lang":
# null).
make_groups() {
	cp "$ROOT/examples/corpus.jsonl" real.jsonl
	awk 'BEGIN { for (i = 1; i <= 600; i++) {
		l = i <= 30 ? "" : i <= 60 ? ",\"lang\":null" : i % 2 ? ",\"lang\":\"en\"" : ",\"lang\":\"de\""
		t = "made up"; for (k = 0; k < i % 9; k++) t = t " words"
		printf "{\"id\":\"g%d\",\"text\":\"%s %d\"%s,\"synth\":{\"generator\":\"t\"}}\n", i, t, i, l } }' > gen.jsonl
}

# group_units FILE UNIT: "group units largest" per group of the mix in
# FILE, counted from its records: docs and bytes by jq, words and tokens
# by synth-stats --by lang (the words of lib/text; tokens of $TOK).
group_units() {
	case $2 in
	docs) jq -r '.lang // "(missing)"' "$1" | sort | uniq -c | awk '{ print $2, $1, 1 }' ;;
	bytes) jq -r '[(.lang // "(missing)"), (.text | utf8bytelength)] | @tsv' "$1" |
		awk '{ n[$1] += $2; if ($2 > m[$1]) m[$1] = $2 } END { for (g in n) print g, n[g], m[g] }' | sort ;;
	words|tokens)
		synth-stats --json --by lang ${TOK:+--tokenizer "$TOK"} "$1" |
			jq -r --arg u "$2" '.by.groups[] | [(.value // "(missing)"), .[$u], (if $u == "words" then .max_length else 0 end)] | @tsv' |
			sort ;;
	esac
}

# within_one GOT WANT LARGEST: |GOT - WANT| is at most one record's units.
within_one() {
	awk -v g="$1" -v w="$2" -v m="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= m) }'
}

@test "--balance: equal shares per group, exact in docs, bytes, words and tokens, checked from the records" {
	make_groups
	# A SentencePiece model for the tokens, and each record's tokens by
	# spm_encode for the largest.
	jq -r '.text | gsub("[\r\n\u0000]+"; " ")' real.jsonl > train.txt
	spm_train --input=train.txt --model_prefix=spm --vocab_size=2000 --character_coverage=1.0 \
		--hard_vocab_limit=false --minloglevel=2 > /dev/null 2>&1
	jq -c '{id, lang, text: (.text | gsub("[\r\n\u0000]+"; " "))}' real.jsonl > one.jsonl
	max_tokens=$(jq -r .text one.jsonl | spm_encode --model=spm.model --output_format=id | awk '{ if (NF > m) m = NF } END { print m }')
	# Docs: 6 groups of 50, exactly.
	synth-mix --balance lang -n 300 --report r.json one.jsonl > out.jsonl
	assert_equal "$(group_units out.jsonl docs | awk '{ printf "%s=%s ", $1, $2 }')" "de=50 en=50 fr=50 ja=50 ru=50 zh=50 "
	assert_equal "$(jq -c '[.balance.groups[] | [.group, .requested, .docs]]' r.json)" \
		'[["de",0.16666666666666666,50],["en",0.16666666666666666,50],["fr",0.16666666666666666,50],["ja",0.16666666666666666,50],["ru",0.16666666666666666,50],["zh",0.16666666666666666,50]]'
	# The other units: each group within one of its records of total / 6,
	# and the report's figures are the records'.
	export TOK=spm.model
	for u in bytes words tokens; do
		total=$([ $u = bytes ] && echo 30000 || echo 3000)
		synth-mix --balance lang --unit $u -n $total --tokenizer spm.model --report r.json one.jsonl > out.jsonl
		group_units out.jsonl $u > got.txt
		assert_equal "$(wc -l < got.txt)" 6
		while read -r g n m; do
			[ $u = tokens ] && m=$max_tokens
			echo "$u $g $n of $((total / 6)), largest $m"
			within_one "$n" "$(echo "$total / 6" | bc -l)" "$m" || fail "$u: group $g has $n, asked $((total / 6))"
			assert_equal "$(jq ".balance.groups[] | select(.group == \"$g\") | .$u" r.json)" "$n"
		done < got.txt
	done
	# Without a total the smallest group sets it: zh's 56 records, 336 in all.
	synth-mix --balance lang --report r.json real.jsonl > out.jsonl
	assert_equal "$(wc -l < out.jsonl)" 336
	assert_equal "$(jq -c .balance.bound_by r.json)" '{"source":"real","group":"zh"}'
}

@test "--balance with source weights: both the sources' and the groups' shares hold" {
	make_groups
	# gen has en, de and the missing group only; real the six languages.
	synth-mix --balance lang -n 280 --report r.json real.jsonl:3 gen.jsonl:1 > out.jsonl
	assert_equal "$(jq -r .mix.source out.jsonl | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')" "gen=70 real=210 "
	assert_equal "$(group_units out.jsonl docs | awk '{ printf "%s=%s ", $1, $2 }')" \
		"(missing)=40 de=40 en=40 fr=40 ja=40 ru=40 zh=40 "
	# The missing group comes from gen alone; fr, ja, ru, zh from real alone.
	assert_equal "$(jq -r 'select(.lang == null) | .mix.source' out.jsonl | sort -u)" gen
	assert_equal "$(jq -r 'select(.lang == "fr" or .lang == "zh") | .mix.source' out.jsonl | sort -u)" real
	# In words: the sources' words 3:1 and the groups' 1:1, each cell
	# (source and group) within one of its records.
	synth-mix --balance lang --unit words -n 2100 --report r.json real.jsonl:3 gen.jsonl:1 > out.jsonl
	max=$(synth-stats --json real.jsonl | jq .length.max)
	for s in real gen; do
		got=$(jq ".sources[] | select(.label == \"$s\") | .words" r.json)
		want=$([ $s = real ] && echo 1575 || echo 525)
		within_one "$got" "$want" $((7 * max)) || fail "$s: $got words, asked $want"
	done
	group_units out.jsonl words > got.txt
	assert_equal "$(wc -l < got.txt)" 7
	while read -r g n m; do
		within_one "$n" 300 "$((2 * m))" || fail "group $g: $n words of 300"
		assert_equal "$(jq ".balance.groups[] | select(.group == \"$g\") | .words" r.json)" "$n"
	done < got.txt
	# --max-synthetic sees the mix the groups make: gen is 1/4 of it.
	run synth-mix --balance lang -n 280 --max-synthetic 0.2 real.jsonl:3 gen.jsonl:1
	assert_failure 1
	assert_output "synth-mix: the mix would be 25.00% synthetic by docs, more than --max-synthetic 0.2 allows; nothing written"
	synth-mix --balance lang -n 280 --max-synthetic 0.25 real.jsonl:3 gen.jsonl:1 > out.jsonl
	assert_equal "$(jq -r 'select(.synth) | .id' out.jsonl | wc -l)" 70
	# A weight the groups cannot carry: gen at 0.6 of the mix, with
	# three groups of seven.
	rm out.jsonl
	run synth-mix --balance lang real.jsonl:2 gen.jsonl:3 -o out.jsonl
	assert_failure 1
	assert_output "synth-mix: --balance: gen weighs 0.6 of the mix, and the groups it has only 0.428571; change the weights or the groups' shares"
	[ ! -e out.jsonl ]
}

@test "--target: a JSON object of group -> weight, '*' for the others; groups not named are left out" {
	make_groups
	printf '{"en": 2, "de": 1, "(missing)": 1}\n' > t.json
	run --separate-stderr synth-mix --balance lang --target t.json -n 200 --report r.json real.jsonl gen.jsonl
	assert_success
	printf '%s\n' "$output" > out.jsonl
	assert_equal "$stderr" "synth-mix: warning: t.json: 4 groups not named, left out of the mix: 'fr', 'ja', 'ru', 'zh'"
	assert_equal "$(group_units out.jsonl docs | awk '{ printf "%s=%s ", $1, $2 }')" "(missing)=50 de=50 en=100 "
	assert_equal "$(jq -c '[.balance.groups[] | [.group, .requested, .docs]]' r.json)" \
		'[["(missing)",0.25,50],["de",0.25,50],["en",0.5,100],["fr",0,0],["ja",0,0],["ru",0,0],["zh",0,0]]'
	# "*": each group not named gets its weight: 0.3 for en, 0.1 for each
	# of the six others.
	printf '{"en": 0.3, "*": 0.1}' > t.json
	synth-mix --balance lang --target t.json -n 270 real.jsonl gen.jsonl > out.jsonl
	assert_equal "$(group_units out.jsonl docs | awk '{ printf "%s=%s ", $1, $2 }')" \
		"(missing)=30 de=30 en=90 fr=30 ja=30 ru=30 zh=30 "
}

@test "--max-share: alone it caps the groups' own shares; with --target it caps the target" {
	make_groups
	# real by docs: en 800 of 1208 (66%). Capped at 0.4: en 0.4 of 200,
	# and the other 0.6 shared as they have it (de 98 of 408 ...).
	synth-mix --balance lang --max-share 0.4 -n 200 --report r.json real.jsonl > out.jsonl
	group_units out.jsonl docs > got.txt
	assert_equal "$(grep '^en ' got.txt)" "en 80 1"
	declare -A have=([de]=98 [fr]=90 [ja]=83 [ru]=81 [zh]=56)
	for g in de fr ja ru zh; do
		n=$(awk -v g=$g '$1 == g { print $2 }' got.txt)
		within_one "$n" "$(echo "120 * ${have[$g]} / 408" | bc -l)" 1 || fail "$g: $n"
	done
	assert_equal "$(jq '.balance.groups[] | select(.group == "en") | .requested' r.json)" 0.4
	# With a target: en capped, the rest to de and fr as the target has it.
	printf '{"en": 8, "de": 1, "fr": 1}' > t.json
	synth-mix --balance lang --target t.json --max-share 0.5 -n 100 real.jsonl > out.jsonl
	assert_equal "$(group_units out.jsonl docs | awk '{ printf "%s=%s ", $1, $2 }')" "de=25 en=50 fr=25 "
	run synth-mix --balance lang --max-share 0.1 real.jsonl -o out.jsonl
	assert_failure 1
	assert_output "synth-mix: --max-share 0.1: 6 groups cannot make a whole mix at 0.1 each at most"
	run synth-mix --max-share 0.5 real.jsonl
	assert_failure 2
	assert_line "synth-mix: --max-share needs --balance FIELD"
}

@test "--balance: records without the member, or with null, are one group, (missing); a dotted path and crossed fields" {
	make_groups
	synth-mix --balance lang -n 90 --report r.json gen.jsonl > out.jsonl
	assert_equal "$(jq -c '[.balance.groups[] | [.group, .available.docs, .docs]]' r.json)" \
		'[["(missing)",60,30],["de",270,30],["en",270,30]]'
	assert_equal "$(jq -r 'select(has("lang") | not) | .id' out.jsonl | wc -l) $(jq -r 'select(.lang == null) | .id' out.jsonl | wc -l)" \
		"$(jq -r 'select(has("lang") | not) | .id' out.jsonl | wc -l) 30"
	# The table under -v names it too.
	run --separate-stderr synth-mix -v --balance lang -n 90 gen.jsonl
	assert_success
	[[ "$stderr" == *"synth-mix: (missing)  "*"33.33%"* ]] || fail "$stderr"
	# A dotted path, and two fields crossed: their values joined by '|',
	# as synth-stats joins them.
	jq -c '{id, text, meta: {lang, kind: (if (.id | ltrimstr("g") | tonumber) % 3 == 0 then "q" else "a" end)}}' gen.jsonl > nested.jsonl
	synth-mix --balance meta.lang,meta.kind -n 60 --report r.json nested.jsonl > out.jsonl
	assert_equal "$(jq -c '[.balance.groups[] | [.group, .docs]]' r.json)" \
		'[["(missing)|a",10],["(missing)|q",10],["de|a",10],["de|q",10],["en|a",10],["en|q",10]]'
	assert_equal "$(jq -r '[(.meta.lang // "-"), .meta.kind] | join(",")' out.jsonl | sort | uniq -c | awk '{ print $1 }' | sort -u)" 10
	assert_equal "$(jq -r .balance.field r.json)" meta.lang,meta.kind
}

@test "--balance: a group too small for its share is an error naming it; --upsample repeats it, whole epochs then a seeded part" {
	make_groups
	run synth-mix --balance lang -n 600 real.jsonl -o out.jsonl
	assert_failure 1
	assert_line "synth-mix: real: group 'zh': 56 docs, and the mix needs 100"
	assert_line "synth-mix: real: group 'fr': 90 docs, and the mix needs 100"
	assert_line "synth-mix: 5 groups are too small for their share; use --upsample to repeat them, --max-share or --target to ask less, or a smaller --total"
	[ ! -e out.jsonl ]
	run --separate-stderr synth-mix --balance lang -n 600 --upsample --seed 4 --report r.json real.jsonl
	assert_success
	printf '%s\n' "$output" > out.jsonl
	[[ "$stderr" == *"synth-mix: warning: real: group 'zh': 56 docs, repeated 1.79 times for its share (--upsample)"* ]] || fail "$stderr"
	assert_equal "$(group_units out.jsonl docs | awk '{ printf "%s=%s ", $1, $2 }')" "de=100 en=100 fr=100 ja=100 ru=100 zh=100 "
	# zh: its 56 records whole in epoch 1, then 44 of them, each once, in
	# epoch 2; en (800) is not repeated.
	assert_equal "$(jq -r 'select(.lang == "zh" and .mix.epoch == 1) | .id' out.jsonl | sort -u | wc -l)" 56
	assert_equal "$(jq -r 'select(.lang == "zh" and .mix.epoch == 2) | .id' out.jsonl | sort -u | wc -l)" 44
	assert_equal "$(jq -r 'select(.lang == "en") | .mix.epoch' out.jsonl | sort -u)" 1
	assert_equal "$(jq '.balance.groups[] | select(.group == "zh") | .epochs' r.json)" "1.7857142857142858"
	# The part of epoch 2 is chosen by the seed: another seed, other records.
	synth-mix --balance lang -n 600 --upsample --seed 5 real.jsonl > out5.jsonl
	run cmp -s <(jq -r 'select(.lang == "zh" and .mix.epoch == 2) | .id' out.jsonl | sort) \
		<(jq -r 'select(.lang == "zh" and .mix.epoch == 2) | .id' out5.jsonl | sort)
	assert_failure
}

@test "--balance is deterministic: the seed decides, not -j, --shuffle or --memory's spills" {
	make_groups
	args=(--balance lang -n 400 --upsample real.jsonl:2 gen.jsonl:1)
	synth-mix --seed 7 "${args[@]}" > a.jsonl
	synth-mix --seed 7 -j 2 "${args[@]}" > b.jsonl
	cmp a.jsonl b.jsonl
	synth-mix --seed 8 "${args[@]}" > c.jsonl
	run cmp -s a.jsonl c.jsonl
	assert_failure
	synth-mix --seed 7 --shuffle "${args[@]}" > s1.jsonl
	synth-mix --seed 7 --shuffle -j 2 "${args[@]}" > s2.jsonl
	cmp s1.jsonl s2.jsonl
	assert_equal "$(sort s1.jsonl | md5sum)" "$(sort a.jsonl | md5sum)"
	# A table past --memory (28 bytes a record with its group): the same
	# bytes spilled as in memory.
	# en, de, fr and some without "lang", in unequal parts.
	awk 'BEGIN { split("en en de de de de fr fr fr fr fr fr fr fr fr", L, " ")
		for (i = 1; i <= 60000; i++) printf "{\"id\":\"b%d\",%s\"text\":\"b %d%s\"}\n", i,
			i % 23 ? "\"lang\":\"" L[1 + i % 15] "\"," : "", i, i % 5 ? "" : " more" }' > big.jsonl
	mkdir tmp
	for more in "" "--unit bytes" "--upsample -n 90000" "--shuffle -n 1500"; do
		synth-mix --balance lang $more big.jsonl:9 gen.jsonl > mem.jsonl
		TMPDIR=$PWD/tmp run --separate-stderr synth-mix -v --memory 1M --balance lang $more big.jsonl:9 gen.jsonl
		assert_success
		printf '%s\n' "$output" > spilled.jsonl
		[[ "$stderr" == *"big: the table of its 60000 records spilled to TMPDIR"* ]] || fail "$more: $stderr"
		cmp mem.jsonl spilled.jsonl || fail "$more: another mix"
		assert_equal "$(ls tmp | wc -l)" 0
	done
}

@test "--balance: a bad --target file is an error naming it, nothing written" {
	make_groups
	t() { printf "$1" > t.json; run synth-mix --balance lang --target t.json real.jsonl -o out.jsonl; }
	t '{"en": 1,\n "de": 2,,\n}\n'
	assert_failure 1
	assert_output "synth-mix: t.json:2: not a JSON object of group -> share: invalid JSON: expected a member name"
	t '["en"]'
	assert_failure 1
	assert_output --partial "synth-mix: t.json:1: not a JSON object of group -> share"
	t '{"en": "half"}'
	assert_failure 1
	assert_output "synth-mix: t.json: group 'en': the share must be a number, 0 or above"
	t '{"en": -1}'
	assert_failure 1
	assert_output "synth-mix: t.json: group 'en': the share must be a number, 0 or above"
	t '{"en": 1, "en": 2}'
	assert_failure 1
	assert_output "synth-mix: t.json: group 'en' is given twice"
	t '{}'
	assert_failure 1
	assert_output "synth-mix: t.json: names no group"
	t '{"en": 0, "de": 0}'
	assert_failure 1
	assert_line "synth-mix: t.json: the groups it names add up to a share of 0"
	t '{"en": 1, "xx": 1}'
	assert_failure 1
	assert_output "synth-mix: t.json: group 'xx': no records in the sources"
	[ ! -e out.jsonl ]
	run synth-mix --balance lang --target missing.json real.jsonl -o out.jsonl
	assert_failure 1
	assert_output "synth-mix: missing.json: No such file or directory"
	run synth-mix --target t.json real.jsonl -o out.jsonl
	assert_failure 2
	assert_line "synth-mix: --target needs --balance FIELD"
	run synth-mix --balance lang,,kind real.jsonl
	assert_failure 2
	assert_line "synth-mix: --balance lang,,kind: an empty field name"
	[ ! -e out.jsonl ]
	assert_equal "$(ls -A | grep -c tmp)" 0
}

@test "--balance --upsample holds only the repeated groups' records in memory" {
	# 300,000 records of group "big" (about 45 MB) and 3 of group "tiny",
	# which --upsample repeats 10,000 times for an equal share.
	awk 'BEGIN { for (i = 1; i <= 300000; i++) printf "{\"id\":\"b%d\",\"g\":\"big\",\"text\":\"%s %d\"}\n", i, "a real enough text of some words that fill a line of the file up to a hundred bytes", i
		for (i = 1; i <= 3; i++) printf "{\"id\":\"t%d\",\"g\":\"tiny\",\"text\":\"tiny %d\"}\n", i, i }' > two.jsonl
	size_kb=$(( $(stat -c %s two.jsonl) / 1024 ))
	peak() { /usr/bin/time -f '%M' synth-mix -q --memory 4M "$@" two.jsonl 2>&1 > out.jsonl | tail -n 1; }
	plain=$(peak -n 60000)
	balanced=$(peak --balance g --upsample -n 60000)
	echo "file $size_kb KB, peak $plain KB plain, $balanced KB balanced"
	assert_equal "$(jq -r .g out.jsonl | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')" "big=30000 tiny=30000 "
	assert_equal "$(jq -r 'select(.g == "tiny") | .mix.epoch' out.jsonl | sort -n | tail -n 1)" 10000
	# Holding the source would take its size and more.
	[ "$balanced" -lt $((plain + size_kb / 4)) ] || fail "peak $balanced KB, plain $plain KB, file $size_kb KB"
}
