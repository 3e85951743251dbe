#!/usr/bin/env bats
# The README's examples, run as written.

load helpers

@test "README: the synth-stats example prints what the README shows" {
	cd "$ROOT"
	# The command and its output, as the README has them.
	cmd=$(sed -n 's/^    \$ \(synth-stats examples\/corpus.jsonl | jq .*\)$/\1/p' README.md)
	[ -n "$cmd" ] || fail "example not found in README.md"
	want=$(awk '/^    \$ synth-stats examples\/corpus.jsonl \| jq/ { on = 1; next }
		on && /^    [{}" ]/ { sub(/^    /, ""); print; if ($0 == "}") exit }' README.md)
	run bash -c "$cmd"
	assert_success
	assert_output "$want"
}

@test "README: the --table --by example runs and shows every language" {
	cd "$ROOT"
	run synth-stats --table --by lang examples/corpus.jsonl
	assert_success
	for lang in en de fr ru ja zh; do
		assert_line --regexp "^  $lang +[0-9]+ "
	done
}
