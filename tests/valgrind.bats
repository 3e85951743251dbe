#!/usr/bin/env bats
# Every program under valgrind on a sample: no invalid read or write, no
# use of uninitialised memory, no leak (valgrind's memcheck; the
# sanitizer build checks the same by other means, this one checks the
# optimised build as shipped).

load helpers

# vg COMMAND...: run COMMAND under memcheck; any error makes status 99.
vg() {
	run valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect "$@"
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	# The optimised build, whatever build the suite runs on: valgrind
	# cannot run what AddressSanitizer built. Made (or found up to date)
	# with BUILD and SANITIZE named on the command line, over those that
	# a make SANITIZE=1 check passes down.
	make -C "$ROOT" BUILD=build SANITIZE= all > /dev/null || return 1
	PATH="$ROOT/build:$PATH"
	head -n 150 "$ROOT/examples/corpus.jsonl" > sample.jsonl
	printf '{"id":"bad","text":3}\nnot json\n' > bad.jsonl
}

@test "valgrind: synth-stats, with --reference, --html, --partial and --merge" {
	vg synth-stats -o s.json sample.jsonl
	assert_success
	vg synth-stats --top 3 --by lang --table sample.jsonl
	assert_success
	vg synth-stats --reference sample.jsonl --html r.html -o rows.jsonl sample.jsonl sample.jsonl
	assert_success
	vg synth-stats --partial -o p.state sample.jsonl
	assert_success
	vg synth-stats --merge -o m.json p.state p.state
	assert_success
	vg synth-stats --skip-invalid --rejects rej.jsonl -o s2.json sample.jsonl bad.jsonl
	assert_success
}

@test "valgrind: synth-dedup, near and exact, with an index and a sharded run" {
	vg synth-dedup --mark --index i.idx -o d.jsonl sample.jsonl
	assert_success
	vg synth-dedup --exact --against sample.jsonl -o e.jsonl sample.jsonl
	assert_success
	vg synth-dedup --shard-index s.idx sample.jsonl
	assert_success
	vg synth-dedup --merge-index -o m.idx s.idx
	assert_success
	vg synth-dedup --apply s.idx.verdicts -o a.jsonl sample.jsonl
	assert_success
	vg synth-dedup sample.jsonl bad.jsonl
	assert_failure 1
}

@test "valgrind: synth-score with presets, a model and best-of" {
	# Not --rules: PCRE2's JIT makes machine code that memcheck cannot
	# follow (it reports uninitialised values inside it); the sanitizer
	# build covers the rules.
	synth-gen markov --train sample.jsonl --save m.ngm
	vg synth-score --preset gopher --preset synthetic --lm m.ngm -o q.jsonl sample.jsonl
	assert_success
	vg synth-score --best-of lang --rank-by words --pairs -o p.jsonl sample.jsonl
	assert_success
}

@test "valgrind: synth-gen prompts and markov" {
	printf 'Explain {topic}.\n' > t.tpl
	printf 'rain\nsnow\n' > topics.txt
	vg synth-gen prompts -t t.tpl --slot topic=topics.txt -n 5
	assert_success
	vg synth-gen markov --train sample.jsonl -n 5 --seed 1 --save m.ngm
	assert_success
}

@test "valgrind: synth-mix with upsampling, a shuffle that spills, a report" {
	vg synth-mix -n 300 --upsample --report r.json --label a --label b sample.jsonl sample.jsonl:2
	assert_success
	vg synth-mix --shuffle --memory 1M sample.jsonl
	assert_success
	vg synth-mix --sample 0.5 - < sample.jsonl
	assert_success
}
