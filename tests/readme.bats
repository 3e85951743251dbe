#!/usr/bin/env bats
# The README's examples, run as written.

load helpers

# The commands of the README: each line "    $ COMMAND", with the lines
# after it that continue it (a line ending in "\" or "|", then one
# indented by eight spaces); then what the README shows it printing, the
# lines indented by four spaces up to a blank line. Printed as for
# docs.bats: "$ COMMAND", "> MORE", the output, and "--- end".
readme_commands() {
	awk '
		function flush() { if (cmd) print "--- end"; cmd = 0 }
		/^    \$ / {
			flush(); cmd = 1; more = 0
			line = substr($0, 7); print "$ " line
			more = line ~ /[\\|]$/; next
		}
		cmd && more && /^        / {
			line = substr($0, 9); print "> " line
			more = line ~ /[\\|]$/; next
		}
		cmd && /^    [^ ]/ { print substr($0, 5); more = 0; next }
		cmd && /^    / { print substr($0, 5); more = 0; next }
		{ flush() }
		END { flush() }' "$ROOT/README.md"
}

# Left out, with the reason, by the start of the command:
#  - make demo: it installs Debian packages and builds the tree; the
#    target is run on its own (and its output is abridged with "...");
# and the README's blocks that are no "$ " commands: "make demo" and
# "make check" under "Two commands" (this test is part of make check),
# and the sketch of the experiment with a fine-tuned language model,
# whose URL and M stand for a model served after each round of training.
SKIP_PREFIXES=("make demo")

@test "README: every command runs in order and prints what the README shows" {
	ln -s "$ROOT/examples" examples
	# The reader's own files that the tour names: a large corpus and
	# real data, here the example corpus compressed.
	zstd -q -o big.jsonl.zst examples/corpus.jsonl
	zstd -q -o real.jsonl.zst examples/corpus.jsonl
	# The local server of the synth-gen complete example.
	start_server
	local line cmd='' expected='' problems='' commands=0 skipped=0 p
	check() {
		[ -n "$cmd" ] || return 0
		for p in "${SKIP_PREFIXES[@]}"; do
			if [[ "$cmd" == "$p"* ]]; then
				skipped=$((skipped + 1))
				return 0
			fi
		done
		commands=$((commands + 1))
		local actual rc=0
		# A pipeline fails when any of its commands does.
		actual=$(bash -o pipefail -c "${cmd//http:\/\/127.0.0.1:8080/$URL}" 2>&1) || rc=$?
		if [ $rc -ne 0 ]; then
			problems+=$(printf 'exit status %d from:\n%s\n%s\n' $rc "$cmd" "$actual")
			return 0
		fi
		# The README shows nothing for a command whose output is
		# long (a table): the status is what is checked.
		[ -z "$expected" ] && return 0
		[ "$actual" = "$expected" ] ||
			problems+=$(printf 'from:\n%s\nexpected:\n%s\nactual:\n%s\n' "$cmd" "$expected" "$actual")
	}
	while IFS= read -r line; do
		case $line in
		'$ '*) check; cmd=${line#'$ '} expected='' ;;
		'> '*) cmd+=$'\n'${line#'> '} ;;
		'--- end') check; cmd='' expected='' ;;
		*) expected+=${expected:+$'\n'}$line ;;
		esac
	done < <(readme_commands)
	assert_equal "$problems" ""
	assert_equal "$skipped" 1
	[ "$commands" -ge 12 ] || fail "only $commands commands found"
	# What the tour made, as it says.
	assert_equal "$(jq -r .synth.parent answers.jsonl | sort -u | wc -l)" 5
	assert_equal "$(wc -l < answers.jsonl)" 20
	[ -s mix.jsonl ] && [ -s mix.json ] || fail "no mix"
	assert_equal "$(jq .records stats.json)" 1208
}
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
