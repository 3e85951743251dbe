#!/usr/bin/env bats
# Memory: under --memory, peak memory stays within the limit plus a
# documented constant on an input ten times larger (synth-stats(1)
# MEMORY, synth-mix(1) --memory). Peak RSS comes from GNU time.

load helpers

# corpus N: N thousand records of 30 words drawn from 50 N thousand
# distinct ones, so that ten times the records is ten times the
# vocabulary and the n-gram tables.
corpus() {
	awk -v n="$1" 'BEGIN { srand(n); for (r = 0; r < n * 1000; r++) { s = ""; for (i = 0; i < 30; i++) s = s " w" int(rand() * n * 50000); printf "{\"text\":\"%s\"}\n", s } }'
}

# The figures are those of the optimised build, whatever build the suite
# runs on: the sanitizers' shadow memory and quarantine multiply memory.
BIN="$ROOT/build"

# peak_kb PROGRAM ARGS...: the program's peak resident memory in KB.
peak_kb() {
	local prog=$1
	shift
	if [ ! -x "$BIN/$prog" ]; then
		# Named on the command line, over a BUILD that make check passes on.
		make -C "$ROOT" BUILD=build SANITIZE= "build/$prog" > /dev/null || return 1
	fi
	/usr/bin/time -f '%M' "$BIN/$prog" "$@" 2>&1 >/dev/null | tail -n 1
}

@test "synth-stats --memory 16M on ten times what fits: within the limit and the documented constant" {
	corpus 4 > small.jsonl
	corpus 40 > large.jsonl
	local small large bound
	small=$(peak_kb synth-stats --memory 16M small.jsonl)
	large=$(peak_kb synth-stats --memory 16M large.jsonl)
	echo "peak: $small KB on $(wc -c < small.jsonl) bytes, $large KB on $(wc -c < large.jsonl) bytes"
	# synth-stats(1), MEMORY: the limit, 40 MB, and 8 MB a thread.
	bound=$(( (16 + 40 + 8 * $(nproc)) * 1024 ))
	(( large <= bound )) || fail "$large KB, more than $bound KB"
	# The limit was reached: the figures are estimates.
	assert_equal "$("$BIN/synth-stats" --memory 16M large.jsonl | jq '.approximate | length > 0')" true
}

@test "synth-stats --exact --memory 16M on ten times what fits: within the limit and the documented constant" {
	corpus 40 > large.jsonl
	local large bound
	large=$(peak_kb synth-stats --exact --memory 16M large.jsonl)
	echo "peak: $large KB on $(wc -c < large.jsonl) bytes"
	bound=$(( (16 + 40 + 8 * $(nproc)) * 1024 ))
	(( large <= bound )) || fail "$large KB, more than $bound KB"
	assert_equal "$("$BIN/synth-stats" --exact --memory 16M large.jsonl | jq -c '.approximate')" \
		'["vocabulary","hapax","entropy_1","distinct_1","distinct_2","distinct_3","distinct_4"]'
}

@test "synth-mix --shuffle --memory 16M: the same peak on 10 times the input" {
	corpus 4 > small.jsonl
	corpus 40 > large.jsonl
	local small large
	small=$(peak_kb synth-mix --shuffle --memory 16M small.jsonl)
	large=$(peak_kb synth-mix --shuffle --memory 16M large.jsonl)
	echo "peak: $small KB, $large KB"
	(( large <= (16 + 24) * 1024 )) || fail "$large KB"
}

@test "synth-mix --memory 1M: the same peak on 10 times the records, its table spilled" {
	# Records of two words: 24 bytes of table each, 96 MB for 4,000,000.
	awk 'BEGIN { for (i = 0; i < 400000; i++) printf "{\"text\":\"w%d x\"}\n", i }' > small.jsonl
	awk 'BEGIN { for (i = 0; i < 4000000; i++) printf "{\"text\":\"w%d x\"}\n", i }' > large.jsonl
	local small large
	small=$(peak_kb synth-mix --memory 1M small.jsonl)
	large=$(peak_kb synth-mix --memory 1M large.jsonl)
	echo "peak: $small KB, $large KB"
	# synth-mix(1), --memory: the limit and about 32 MB.
	(( large <= (1 + 32) * 1024 )) || fail "$large KB"
	(( large - small <= 2 * 1024 )) || fail "grew from $small KB to $large KB"
}

@test "synth-stats --memory 1M: a record ten times longer takes its own size more, not ten times the memory" {
	# One record of 30 MB and one of 3 MB, of words drawn from 500000.
	awk 'BEGIN { srand(1); n = 400000; printf "{\"text\":\""; for (i = 0; i < n; i++) printf " w%d", int(rand() * 500000); printf "\"}\n" }' > short.jsonl
	awk 'BEGIN { srand(2); n = 4000000; printf "{\"text\":\""; for (i = 0; i < n; i++) printf " w%d", int(rand() * 500000); printf "\"}\n" }' > long.jsonl
	local small large grown
	small=$(peak_kb synth-stats -j 1 --memory 1M short.jsonl)
	large=$(peak_kb synth-stats -j 1 --memory 1M long.jsonl)
	grown=$(( ($(wc -c < long.jsonl) - $(wc -c < short.jsonl)) / 1024 ))
	echo "peak: $small KB for $(wc -c < short.jsonl) bytes, $large KB for $(wc -c < long.jsonl) bytes"
	# synth-stats(1), MEMORY: a long record is counted a piece at a time;
	# the record itself is held once or twice.
	(( large - small <= 2 * grown )) || fail "$((large - small)) KB more for $grown KB more text"
	# Counted whole all the same: every word of the record.
	assert_equal "$("$BIN/synth-stats" -j 1 --memory 1M long.jsonl | jq .words)" 4000000
}
