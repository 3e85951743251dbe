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

@test "README: the synth-dedup example prints what the README shows" {
	cd "$BATS_TEST_TMPDIR"
	ln -s "$ROOT/examples" examples
	jq -c 'select(.lang == "en") | .id += "-copy" | .text += " I hope this helps!"' \
		examples/corpus.jsonl > copies.jsonl
	grep -qF "jq -c 'select(.lang == \"en\") | .id += \"-copy\" | .text += \" I hope this helps!\"' \\" "$ROOT/README.md" ||
		fail "the README's command differs from this test's"
	run bash -c 'cat examples/corpus.jsonl copies.jsonl | synth-dedup --mark |
		jq -c "select(.id == \"en-000133-copy\") | .dedup"'
	assert_success
	grep -qxF "    $output" "$ROOT/README.md" || fail "README does not show: $output"
}

@test "README: the synth-gen prompts example prints what the README shows" {
	cd "$ROOT"
	grep -qF '    $ cd examples/prompts && synth-gen prompts -t quiz.tpl --slot topic=topics.txt \' README.md ||
		fail "the README's command differs from this test's"
	grep -qF '        --slot persona=personas.txt --slot n=n.txt -n 1 --seed 2 | jq -c .synth' README.md ||
		fail "the README's command differs from this test's"
	run bash -c 'cd examples/prompts && synth-gen prompts -t quiz.tpl --slot topic=topics.txt \
		--slot persona=personas.txt --slot n=n.txt -n 1 --seed 2 | jq -c .synth'
	assert_success
	grep -qxF "    $output" README.md || fail "README does not show: $output"
}
