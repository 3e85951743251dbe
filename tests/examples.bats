#!/usr/bin/env bats
# The ways users run synth, as shipped in examples/: a corpus build by
# make (examples/Makefile) and a nightly job for cron
# (examples/cron/nightly.sh), each run here as a user would.

load helpers

# The programs of the build under test, for the Makefile and the job.
bin() { echo "${SYNTH_BUILD:-$ROOT/build}"; }

# make as a user runs it: not as a sub-make of make check (whose flags
# and level would change what it prints).
build() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -f "$ROOT/examples/Makefile" SYNTH_BIN="$(bin)" URL="$URL" OUT="$PWD/out" TOPICS="$PWD/topics.txt" "$@"
}

@test "examples/Makefile: prompts to a measured mix; nothing to do when nothing changed; a changed topic remakes what follows it" {
	start_server
	cp "$ROOT/examples/prompts/topics.txt" topics.txt
	run build
	assert_success
	for f in prompts answers scored kept mix; do
		[ -s "out/$f.jsonl" ] || fail "no out/$f.jsonl"
	done
	# Five topics, two answers each, every one kept; the mix is 30% of them.
	assert_equal "$(wc -l < out/prompts.jsonl) $(wc -l < out/answers.jsonl) $(wc -l < out/kept.jsonl)" "5 10 10"
	assert_equal "$(jq -r '.mix.source' out/mix.jsonl | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')" "corpus=23 kept=10 "
	assert_equal "$(jq .records out/stats.json)" 33
	assert_equal "$(jq -r .reference.file out/stats.json)" "$ROOT/examples/corpus.jsonl"
	# Nothing changed: nothing to do, no file touched.
	ls -l --time-style=+%s.%N out > before.txt
	run build
	assert_success
	assert_output "make: Nothing to be done for 'all'."
	build -q
	ls -l --time-style=+%s.%N out > after.txt
	cmp before.txt after.txt
	# A new topic: every step after the prompts runs again.
	echo "the tides" >> topics.txt
	run build
	assert_success
	assert_equal "$(wc -l < out/answers.jsonl) $(jq .records out/stats.json)" "12 40"
	grep -q 'the tides' out/answers.jsonl
}

@test "examples/Makefile: a step that fails stops make with its status and leaves its target as it was" {
	start_server
	cp "$ROOT/examples/prompts/topics.txt" topics.txt
	build > /dev/null
	cp out/answers.jsonl answers.before
	cp out/stats.json stats.before
	# The server goes away; the topics change.
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	echo "the tides" >> topics.txt
	run build
	assert_failure 2
	assert_output --partial "synth-gen: "
	cmp answers.before out/answers.jsonl
	cmp stats.before out/stats.json
	# The prompts were remade; the answers are what make starts from next.
	assert_equal "$(wc -l < out/prompts.jsonl)" 6
	ls out | grep -v '^\(prompts\|answers\|scored\|rejected\|kept\|dropped\|mix\)\.jsonl$\|^stats\.json$' && fail "a stray file in out/"
	start_server
	build > /dev/null
	assert_equal "$(wc -l < out/answers.jsonl)" 12
}

# corpus_server: the folders of a corpus server, from the example corpus:
# real text, a test set, two days of generated shards that overlap.
corpus_server() {
	mkdir -p srv/incoming/2026-12-01 srv/incoming/2026-12-02 srv/real srv/test
	head -n 300 "$ROOT/examples/corpus.jsonl" > srv/real/a.jsonl
	sed -n 301,600p "$ROOT/examples/corpus.jsonl" | gzip > srv/incoming/2026-12-01/s1.jsonl.gz
	sed -n 601,700p "$ROOT/examples/corpus.jsonl" > srv/incoming/2026-12-01/s2.jsonl
	sed -n 651,750p "$ROOT/examples/corpus.jsonl" > srv/incoming/2026-12-02/s1.jsonl
	# A record of day one is in the test set, word for word.
	sed -n 402p "$ROOT/examples/corpus.jsonl" | jq -c '.id = "test-1"' > srv/test/eval.jsonl
}

nightly() { PATH="$(bin):$PATH" "$ROOT/examples/cron/nightly.sh" "$@"; }

@test "examples/cron/nightly.sh: dedup against every earlier day, decontaminated, mixed, measured; log lines a person reads" {
	corpus_server
	[ "$(sed -n 402p "$ROOT/examples/corpus.jsonl" | jq '.text | split(" ") | length')" -ge 13 ] || fail "the test record is too short for a 13-gram"
	run nightly srv 2026-12-01
	assert_success
	assert_line --regexp '^20[0-9-]+T[0-9:]+Z nightly 2026-12-01: start: 2 shards in incoming/2026-12-01$'
	assert_line --regexp ': dedup: kept 399, dropped 1 \(duplicates and test-set overlap\); index saved$'
	assert_line --regexp ': done$'
	# The one dropped names the test record and the 13-gram they share.
	assert_equal "$(zcat srv/out/2026-12-01/dropped.jsonl.gz | jq -r '[.id, .dedup.contaminated, (.dedup.ngram | split(" ") | length)] | @tsv')" \
		"$(sed -n 402p "$ROOT/examples/corpus.jsonl" | jq -r .id)	test-1	13"
	[ -s srv/state/seen.idx ]
	# Day two repeats 50 records of day one: dropped against the index.
	run nightly srv 2026-12-02
	assert_success
	assert_line --regexp ': dedup: kept 50, dropped 50 '
	assert_equal "$(zcat srv/out/2026-12-02/kept.jsonl.gz | jq -r .id | head -n 1)" "$(sed -n 701p "$ROOT/examples/corpus.jsonl" | jq -r .id)"
	# The mix is 30% synthetic; the stats compare it with the real text.
	assert_equal "$(zcat srv/out/2026-12-02/mix.jsonl.gz | jq -r .mix.source | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')" "real=116 synthetic=50 "
	assert_equal "$(jq .records srv/out/2026-12-02/stats.json)" 166
}

@test "examples/cron/nightly.sh: one run at a time; a failed step exits 1, says which, and leaves the index as it was" {
	corpus_server
	nightly srv 2026-12-01 > /dev/null
	cp srv/state/seen.idx seen.before
	# Another run holds the lock (this test, on a descriptor of its own).
	exec 8> srv/state/nightly.lock
	flock 8
	run nightly srv 2026-12-02
	assert_failure 1
	assert_output --regexp 'nightly 2026-12-02: FAILED: another nightly run holds .*/nightly.lock$'
	exec 8>&-
	# A shard cut short: the job stops at dedup, mails (exit 1), keeps
	# yesterday's index and writes nothing for the day.
	mkdir srv/incoming/2026-12-03
	sed -n 800,900p "$ROOT/examples/corpus.jsonl" | gzip | head -c 3000 > srv/incoming/2026-12-03/cut.jsonl.gz
	run nightly srv 2026-12-03
	assert_failure 1
	assert_output --partial "cut.jsonl.gz"
	assert_line --regexp 'nightly 2026-12-03: FAILED: synth-dedup \(exit 1\); the index is as it was$'
	cmp seen.before srv/state/seen.idx
	assert_equal "$(ls srv/out/2026-12-03 | wc -l)" 0
	# A day without its folder.
	run nightly srv 2026-12-09
	assert_failure 1
	assert_line --regexp 'FAILED: no folder srv/incoming/2026-12-09$'
}

@test "examples/collapse.sh: four regimes; keeping the best-scored half collapses fastest while its perplexity falls" {
	COLLAPSE_GENERATIONS=3 BUILD="$(bin)" run "$ROOT/examples/collapse.sh" "$PWD/c"
	assert_success
	for r in replace fresh accumulate biased; do
		[ -s "c/$r/gen-3.jsonl" ] || fail "no c/$r/gen-3.jsonl"
		assert_equal "$(wc -l < "c/$r.jsonl")" 4
	done
	# The biased regime trains on half of each generation, the best by
	# perplexity under the model that made it.
	assert_equal "$(wc -l < c/biased/best-0.jsonl)" "$(( $(wc -l < c/gen-0.jsonl) / 2 ))"
	# Generation 3: biased keeps the least of the real vocabulary and
	# its words are the likeliest under the real model.
	kept() { jq -r '.reference.vocab_kept' "c/$1.jsonl" | tail -n 1; }
	ppl() { jq -r '.reference.perplexity.p50' "c/$1.jsonl" | tail -n 1; }
	awk -v b="$(kept biased)" -v r="$(kept replace)" -v a="$(kept accumulate)" 'BEGIN { exit !(b < r && r < a) }' ||
		fail "vocab_kept biased $(kept biased), replace $(kept replace), accumulate $(kept accumulate)"
	awk -v b="$(ppl biased)" -v r="$(ppl replace)" 'BEGIN { exit !(b < r) }' || fail "ppl p50 biased $(ppl biased), replace $(ppl replace)"
	# The regimes side by side: a table a figure, a column a regime.
	assert_line "== vocab_kept by generation"
	assert_line --regexp '^gen +replace +fresh +accumulate +biased$'
	assert_line --regexp '^3 +0\.[0-9]{4} +0\.[0-9]{4} +0\.[0-9]{4} +0\.[0-9]{4}$'
	# One report of every generation of every regime: each trend chart
	# has a line a regime, of four points (generations 0 to 3).
	local id
	for id in distinct_2 vocab_kept unseen_mass perplexity_p50; do
		sed -n "/<svg id=\"trend-$id\"/,/<\/svg>/p" c/regimes.html > chart
		assert_equal "$(grep -o 'class="series" data-name="[a-z]*"' chart | sed 's/.*="//; s/"//' | tr '\n' ' ')" \
			"replace fresh accumulate biased "
		assert_equal "$(grep 'class="series"' chart | sed 's/.* d="//' | grep -o '[ML]' | tr -d '\n' | sed 's/M/ M/g')" \
			" MLLL MLLL MLLL MLLL"
	done
}

@test "examples/collapse.sh: the regimes' trend charts render in Chromium, a colour a regime" {
	COLLAPSE_GENERATIONS=2 BUILD="$(bin)" "$ROOT/examples/collapse.sh" "$PWD/c" > /dev/null
	# The trend charts alone, with the report's style, on a page of their own.
	{
		sed -n '/<style>/,/<\/style>/p' c/regimes.html
		sed -n '/<figure class="trend">/,/<\/figure>/p' c/regimes.html
	} > trends.html
	render_png trends.html trends.png
	pngtopnm trends.png | ppmhist -noheader > colours
	local c n
	for c in $(sed -n '/<svg id="trend-vocab_kept"/,/<\/svg>/p' c/regimes.html | grep 'class="series"' | grep -o 'stroke="#[0-9a-f]*"' | sed 's/.*#//; s/"//'); do
		n=$(awk -v rgb="$((16#${c:0:2})) $((16#${c:2:2})) $((16#${c:4:2}))" '$1 " " $2 " " $3 == rgb { print $5 }' colours)
		# More than the legends' swatches (4 x 100) and the dots hold: the lines.
		(( ${n:-0} > 1000 )) || fail "colour #$c on ${n:-0} pixels"
	done
}

@test "examples/self-reward.sh: answers verified, only those that pass judged, the best kept, pairs whose rejected answer failed" {
	# The test server plays a model that multiplies, wrong for every
	# third seed, and grades an answer by its words (see llm-server.c).
	start_server --arith yes --bodies bodies.jsonl
	BUILD="$(bin)" run "$ROOT/examples/self-reward.sh" "$URL" m "$PWD/r" 4
	assert_success
	assert_output "$PWD/r: 36 answers, 27 passed, 9 failed; 9 best, 9 pairs"
	# Every failed answer is wrong and every passed one right, by the
	# prompt's own numbers.
	assert_equal "$(jq -c '[.synth.slots.a, .synth.slots.b, .text]' r/failed.jsonl | head -n 2)" \
		'["12","12","145"]
["12","17","205"]'
	assert_equal "$(jq -r '((.synth.slots.a | tonumber) * (.synth.slots.b | tonumber)) as $p
		| .text | [scan("-?[0-9]+")] | last == ($p | tostring)' r/passed.jsonl | sort -u)" true
	assert_equal "$(jq -r '((.synth.slots.a | tonumber) * (.synth.slots.b | tonumber)) as $p
		| .text | [scan("-?[0-9]+")] | last == ($p | tostring)' r/failed.jsonl | sort -u)" false
	# The judge was asked about the 27 that passed and no other.
	assert_equal "$(jq -r '.messages[-1].content | select(contains("\n\nText:\n")) | split("\n\nText:\n")[1]' bodies.jsonl | sort)" \
		"$(jq -r .text r/passed.jsonl | sort)"
	# The best of each prompt: the worked answer, which the judge grades 5.
	assert_equal "$(jq -c '[.id, .text, .quality.judge.score]' r/best.jsonl | head -n 3)" \
		'["prompt-1-2","12 * 12 = 144",5]
["prompt-2-2","12 * 17 = 204",5]
["prompt-3-2","12 * 23 = 276",5]'
	# Each pair: the best chosen, the answer that failed rejected.
	assert_equal "$(jq -c '[.key, .chosen, .rejected, .scores]' r/pairs.jsonl | sed -n '1p;9p')" \
		'["prompt-1","12 * 12 = 144","145",[1,0]]
["prompt-9","23 * 23 = 529","530",[1,0]]'
	assert_equal "$(jq -r .prompt r/pairs.jsonl | head -n 1)" "What is 12 * 12? Show the multiplication, then the result."
	# With two samples (seeds 0 and 1) nothing fails: a best for each
	# prompt and no pair, since no rejected answer failed.
	BUILD="$(bin)" run "$ROOT/examples/self-reward.sh" "$URL" m "$PWD/two" 2
	assert_success
	assert_output "$PWD/two: 18 answers, 18 passed, 0 failed; 9 best, 0 pairs"
}
