#!/usr/bin/env bats
# The contract every synth program shares (DESIGN.md, "Shared command-line
# contract"), checked for each program in the build.

load helpers

# How to make each filter pass records through to stdout. The tests of
# reading records, writing them and failing run on these.
declare -gA PASS=(
	[synth-stats]="synth-stats --tee /dev/null"
	[synth-dedup]="synth-dedup"
	[synth-score]="synth-score --filter --no-annotate"
)

# The programs that are no filter: they make records from other inputs
# (synth-gen prompts), and their own tests check -o, a full disk, a
# closed pipe and -q/-v. The value says why.
declare -gA NOT_FILTER=(
	[synth-gen]="prompts are made from templates and value lists, not records"
	[synth-mix]="it mixes the sources it names and writes only when every one was read whole: a missing or empty source is an error, not an input to pass through"
)

# The usage line of --help, after the program's name.
declare -gA USAGE=(
	[synth-gen]="MODE [OPTION]..."
	[synth-mix]="[OPTION]... SOURCE[:WEIGHT]..."
)

# check_small_output PROGRAM FILE: FILE holds what -o gets from a run on
# fixtures/small.jsonl: the figures of synth-stats, the records with
# their signals of synth-score, the records (all distinct, so all kept)
# of the other filters.
check_small_output() {
	if [ "$1" = synth-stats ]; then
		assert_equal "$(jq .records "$2")" 3
	elif [ "$1" = synth-score ]; then
		# The records, each with its signals added.
		assert_equal "$(jq -c 'del(.quality)' "$2")" "$(jq -c . "$FIXTURES/small.jsonl")"
		assert_equal "$(jq -r '.quality | has("words") and has("pass")' "$2" | sort -u)" true
	else
		cmp "$FIXTURES/small.jsonl" "$2" || fail "$1 -o: not the input records"
	fi
}

programs() {
	local p
	for p in "${SYNTH_BUILD:-$ROOT/build}"/synth-*; do
		[ -x "$p" ] && basename "$p"
	done
}

filters() {
	local p
	for p in $(programs); do
		[ -z "${PASS[$p]:-}" ] || echo "$p"
	done
}

@test "every program in the build is covered by these tests" {
	run programs
	assert_success
	[ -n "$output" ]
	for p in $output; do
		[ -n "${PASS[$p]:-}${NOT_FILTER[$p]:-}" ] || fail "$p has no entry in PASS or NOT_FILTER"
	done
	[ "$(filters | wc -l)" -ge 2 ] || fail "the record tests run on fewer than two filters"
}

@test "--help prints usage to stdout and exits 0" {
	for p in $(programs); do
		run --separate-stderr "$p" --help
		assert_success
		assert_line --index 0 "Usage: $p ${USAGE[$p]:-[OPTION]... [FILE]...}"
		assert_line --partial "--help"
		[ -z "$stderr" ] || fail "$p --help wrote to stderr: $stderr"
	done
}

@test "--version prints the name and version" {
	for p in $(programs); do
		run "$p" --version
		assert_success
		assert_output --regexp "^$p [0-9]+\.[0-9]+\.[0-9]+$"
		run "$p" -V
		assert_output --regexp "^$p [0-9]"
	done
}

@test "an unknown option is a usage error: exit 2, message on stderr only" {
	for p in $(programs); do
		run --separate-stderr "$p" --no-such-option
		assert_failure 2
		assert_equal "$output" ""
		assert_equal "$(echo "$stderr" | head -n 1)" "$p: unknown option '--no-such-option'"
		assert_equal "$(echo "$stderr" | tail -n 1)" "Try '$p --help' for more information."
		run --separate-stderr "$p" -%
		assert_failure 2
		assert_equal "$(echo "$stderr" | head -n 1)" "$p: unknown option '-%'"
	done
}

@test "a failed write of --help (a full disk) exits 1 with a message" {
	for p in $(programs); do
		run bash -c "$p --help > /dev/full"
		assert_failure 1
		assert_output "$p: write error: No space left on device"
	done
}

@test "invalid JSON names file and line and exits 1" {
	printf '{"text":"ok"}\n{"text": tru}\n' > bad.jsonl
	for p in $(filters); do
		run ${PASS[$p]} bad.jsonl
		assert_failure 1
		assert_line "$p: bad.jsonl:2: invalid JSON: invalid literal at byte 10"
	done
}

@test "a line that is not an object is invalid" {
	printf '[1,2]\n' > arr.jsonl
	printf '"text"\n' > str.jsonl
	for p in $(filters); do
		run ${PASS[$p]} arr.jsonl
		assert_failure 1
		assert_output "$p: arr.jsonl:1: not a JSON object (an array)"
		run ${PASS[$p]} str.jsonl
		assert_failure 1
		assert_output "$p: str.jsonl:1: not a JSON object"
	done
}

@test "invalid UTF-8 is an error naming the byte" {
	printf '{"text":"ok"}\n{"text":"caf\xc3"}\n{"text":"\xc0\xaf"}\n' > utf.jsonl
	for p in $(filters); do
		run --separate-stderr ${PASS[$p]} utf.jsonl
		assert_failure 1
		assert_equal "$stderr" "$p: utf.jsonl:2: invalid UTF-8 at byte 13"
		run ${PASS[$p]} --skip-invalid -q utf.jsonl
		assert_success
	done
}

@test "a NUL byte is an error" {
	printf '{"text":"a\0b"}\n' > nul.jsonl
	printf '{"text":"a"}\0\n' > nul2.jsonl
	for p in $(filters); do
		run ${PASS[$p]} nul.jsonl
		assert_failure 1
		assert_output "$p: nul.jsonl:1: NUL byte in record at byte 11"
		run ${PASS[$p]} nul2.jsonl
		assert_failure 1
		assert_output "$p: nul2.jsonl:1: NUL byte in record at byte 13"
	done
}

@test "deep nesting is an error, never a crash" {
	{ printf '{"text":"x","deep":'; head -c 100000 /dev/zero | tr '\0' '['; printf '\n'; } > deep.jsonl
	for p in $(filters); do
		run ${PASS[$p]} deep.jsonl
		assert_failure 1
		assert_output "$p: deep.jsonl:1: invalid JSON: nested too deeply at byte 275"
	done
}

# What an input without any record does (each page's EXIT STATUS): a
# filter in a pipeline warns and succeeds; figures of nothing fail.
declare -gA EMPTY_FAILS=(
	[synth-stats]=1
)

@test "an empty input: a filter warns and succeeds, synth-stats fails and prints no figures" {
	: > empty.jsonl
	printf '\n  \n\n' > blank.jsonl
	for p in $(filters); do
		for f in empty.jsonl blank.jsonl; do
			run --separate-stderr ${PASS[$p]} $f
			assert_equal "$output" ""
			if [ -n "${EMPTY_FAILS[$p]:-}" ]; then
				assert_failure 1
				assert_equal "$stderr" "$p: $f: no record"
			else
				assert_success
				assert_equal "$stderr" "$p: warning: $f: no record"
			fi
		done
		run --separate-stderr ${PASS[$p]} < /dev/null
		# -q: the warning is not shown; the error is.
		run --separate-stderr ${PASS[$p]} -q < /dev/null
		if [ -n "${EMPTY_FAILS[$p]:-}" ]; then
			assert_failure 1
			assert_equal "$stderr" "$p: <stdin>: no record"
		else
			assert_success
			assert_equal "$stderr" ""
		fi
		# One empty file among others is no matter.
		run --separate-stderr ${PASS[$p]} empty.jsonl "$FIXTURES/small.jsonl"
		assert_success
		assert_equal "$stderr" ""
	done
	# A shard of synth-stats may be empty: --partial warns.
	run --separate-stderr synth-stats --partial -o s.state empty.jsonl
	assert_success
	assert_equal "$stderr" "synth-stats: warning: empty.jsonl: no record"
	[ -s s.state ] || fail "no state written"
}

@test "a run whose every record was invalid fails: no output, no figures, the count named" {
	printf '{"content":"one"}\n{"content":"two"}\nnot json\n' > s.jsonl
	for p in $(filters); do
		run --separate-stderr ${PASS[$p]} --skip-invalid -q s.jsonl
		assert_failure 1
		assert_equal "$output" ""
		assert_equal "$stderr" "$p: s.jsonl: no valid record: all 3 were invalid"
		# Under -o nothing is kept, --rejects neither: the run failed.
		if [ "$p" = synth-stats ]; then
			run synth-stats --skip-invalid -q --rejects r.jsonl -o out s.jsonl
		else
			run ${PASS[$p]} --skip-invalid -q --rejects r.jsonl -o out s.jsonl
		fi
		assert_failure 1
		[ ! -e out ] && [ ! -e r.jsonl ] || fail "$p kept an output of a failed run"
		# Two inputs: named both; one good record is enough.
		run --separate-stderr ${PASS[$p]} --skip-invalid -q s.jsonl - < s.jsonl
		assert_failure 1
		assert_equal "$stderr" "$p: s.jsonl, <stdin>: no valid record: all 6 were invalid"
		run ${PASS[$p]} --skip-invalid -q s.jsonl "$FIXTURES/small.jsonl"
		assert_success
		# Every record without the member: the likeliest mistake named.
		head -n 2 s.jsonl > c.jsonl
		run --separate-stderr ${PASS[$p]} --skip-invalid -q c.jsonl
		assert_failure 1
		assert_equal "$stderr" "$p: c.jsonl: no valid record: all 2 were invalid (none has a member \"text\": see --field)"
		# The field named: the records are valid.
		run ${PASS[$p]} --field content -q s.jsonl
		assert_failure 1
		run ${PASS[$p]} --field content --skip-invalid -q s.jsonl
		assert_success
	done
	# The programs that are no filter: every reader of records.
	run --separate-stderr synth-mix --skip-invalid -q s.jsonl
	assert_failure 1
	assert_equal "$stderr" "synth-mix: s.jsonl: no valid record: all 3 were invalid"
	run --separate-stderr synth-gen markov --train s.jsonl --skip-invalid -q -n 1
	assert_failure 1
	assert_equal "$(head -n 1 <<<"$stderr")" "synth-gen: --train s.jsonl: no valid record: all 3 were invalid"
	run --separate-stderr synth-gen complete --url http://127.0.0.1:9 --model m --skip-invalid -q s.jsonl
	assert_failure 1
	assert_equal "$stderr" "synth-gen: s.jsonl: no valid record: all 3 were invalid"
	# (synth-dedup --against stops at an invalid reference, skipped or not.)
	run --separate-stderr synth-stats --reference s.jsonl --skip-invalid -q "$FIXTURES/small.jsonl"
	assert_failure 1
	assert_equal "$(head -n 1 <<<"$stderr")" "synth-stats: --reference s.jsonl: no valid record: all 3 were invalid"
	assert_equal "$output" ""
}

@test "a reference set, training set or mix source without a record fails" {
	: > empty.jsonl
	run --separate-stderr synth-dedup --against empty.jsonl "$FIXTURES/small.jsonl"
	assert_failure 1
	assert_equal "$(head -n 1 <<<"$stderr")" "synth-dedup: --against empty.jsonl: no record"
	assert_equal "$output" ""
	run --separate-stderr synth-stats --reference empty.jsonl "$FIXTURES/small.jsonl"
	assert_failure 1
	assert_equal "$(head -n 1 <<<"$stderr")" "synth-stats: --reference empty.jsonl: no record"
	run --separate-stderr synth-stats --reference "$FIXTURES/small.jsonl" empty.jsonl
	assert_failure 1
	assert_equal "$(head -n 1 <<<"$stderr")" "synth-stats: empty.jsonl: no record"
	run --separate-stderr synth-gen markov --train empty.jsonl -n 1
	assert_failure 1
	assert_equal "$(head -n 1 <<<"$stderr")" "synth-gen: --train empty.jsonl: no record"
	run --separate-stderr synth-mix "$FIXTURES/small.jsonl" empty.jsonl
	assert_failure 1
	assert_equal "$stderr" "synth-mix: empty.jsonl: no records"
	# synth-gen complete and markov's continuations are filters: a warning.
	run --separate-stderr synth-gen complete --url http://127.0.0.1:9 --model m empty.jsonl
	assert_success
	assert_equal "$stderr" "synth-gen: warning: empty.jsonl: no record"
}

@test "a record of 100 MB passes through" {
	{ printf '{"id":"big","text":"'; yes 'word' | head -c 100000000 | tr '\n' ' '; printf '"}\n{"text":"next"}\n'; } > big.jsonl
	for p in $(filters); do
		${PASS[$p]} big.jsonl > out.jsonl
		run cmp big.jsonl out.jsonl
		assert_success
	done
}

@test "a truncated .zst input is an error" {
	for i in $(seq 1 2000); do printf '{"text":"record %d of a compressed file"}\n' "$i"; done > full.jsonl
	zstd -q -o full.jsonl.zst full.jsonl
	head -c $(( $(wc -c < full.jsonl.zst) / 2 )) full.jsonl.zst > cut.jsonl.zst
	printf '\x28\xb5\x2f\xfd garbage' > corrupt.zst
	for p in $(filters); do
		run ${PASS[$p]} cut.jsonl.zst
		assert_failure 1
		assert_line --regexp "^$p: cut.jsonl.zst:[0-9]+: truncated zstd input$"
		run ${PASS[$p]} corrupt.zst
		assert_failure 1
		assert_line --regexp "^$p: corrupt.zst:1: corrupt zstd input: "
	done
}

@test "a missing file among good ones is reported, the others processed, exit 1" {
	printf '{"text":"one"}\n' > a.jsonl
	printf '{"text":"two"}\n' > b.jsonl
	for p in $(filters); do
		run --separate-stderr ${PASS[$p]} a.jsonl missing.jsonl b.jsonl
		assert_failure 1
		assert_equal "$stderr" "$p: missing.jsonl: No such file or directory"
		assert_output "$(printf '{"text":"one"}\n{"text":"two"}')"
	done
}

@test "standard input is read when no file or - is named" {
	printf '{"text":"in"}\n' > a.jsonl
	for p in $(filters); do
		run ${PASS[$p]} < a.jsonl
		assert_output '{"text":"in"}'
		run ${PASS[$p]} - < a.jsonl
		assert_output '{"text":"in"}'
	done
}

@test "a full disk (>/dev/full) is a failure with a message" {
	for p in $(filters); do
		run bash -c "${PASS[$p]} '$FIXTURES/small.jsonl' > /dev/full"
		assert_failure 1
		assert_output "$p: write error: No space left on device"
	done
}

@test "a reader that goes away (| head -n 1) ends the program quietly by SIGPIPE" {
	for i in 1 2 3 4 5 6 7 8; do cat "$ROOT/examples/corpus.jsonl"; done > many.jsonl
	for p in $(filters); do
		run bash -c "set -o pipefail; ${PASS[$p]} many.jsonl 2> err.txt | head -n 1 > /dev/null; echo \"status \${PIPESTATUS[0]}\""
		assert_output "status 141"
		run cat err.txt
		assert_output ""
	done
}

@test "-q silences warnings, -v adds the summary line" {
	printf '{"text":"a"}\nnot json\n' > in.jsonl
	for p in $(filters); do
		run --separate-stderr ${PASS[$p]} --skip-invalid -q in.jsonl
		assert_success
		assert_equal "$stderr" ""
		run --separate-stderr ${PASS[$p]} --skip-invalid -v in.jsonl
		assert_success
		echo "$stderr" | grep -q "^$p: warning: in.jsonl:2: invalid JSON: invalid literal at byte 1 (skipped)$" ||
			fail "no warning: $stderr"
		echo "$stderr" | grep -Eq "^$p: 2 records in, 1 out, 1 invalid, 0 rejected; .* MB/s\)$" ||
			fail "no summary: $stderr"
		echo "$stderr" | grep -Eq "^$p: CPU [0-9.]+ s: reading [0-9.]+ s \([0-9.]+%\), workers [0-9.]+ s \([0-9.]+%\), in order [0-9.]+ s \([0-9.]+%\)" ||
			fail "no account of the CPU: $stderr"
	done
}

@test "-v: the CPU's account adds up, and near dedup's band tasks are counted apart" {
	for i in $(seq 1 3000); do
		printf '{"text":"record %d of a file with words enough to be looked up in the bands %d"}\n' "$i" "$((i % 97))"
	done > many.jsonl
	run --separate-stderr synth-dedup -v -j 2 many.jsonl
	assert_success
	line=$(echo "$stderr" | grep "^synth-dedup: CPU ")
	[ -n "$line" ] || fail "no account of the CPU: $stderr"
	echo "$line" | grep -Eq ", its tasks on the pool [0-9.]+ s \([0-9.]+%\)$" ||
		fail "the band tasks are not counted apart: $line"
	# The shares are of the whole, which is their sum.
	sum=$(echo "$line" | grep -Eo '\([0-9.]+%\)' | tr -d '(%)' | paste -sd+ - | bc)
	awk -v s="$sum" 'BEGIN { exit !(s > 99.5 && s < 100.5) }' || fail "the shares add up to $sum: $line"
	total=$(echo "$line" | sed -E 's/^synth-dedup: CPU ([0-9.]+) s:.*/\1/')
	parts=$(echo "$line" | grep -Eo '[0-9.]+ s \(' | sed 's/ s (//' | paste -sd+ - | bc)
	awk -v t="$total" -v p="$parts" 'BEGIN { exit !(p - t < 0.02 && t - p < 0.02) }' ||
		fail "the parts add up to $parts s, not $total s: $line"
	run --separate-stderr synth-dedup -v --exact many.jsonl
	assert_success
	echo "$stderr" | grep "^synth-dedup: CPU " | grep -vq "pool" ||
		fail "--exact has no pool: $stderr"
}

@test "-o writes atomically, compressed when the name ends in .zst" {
	for p in $(filters); do
		run $p -o out.zst "$FIXTURES/small.jsonl"
		assert_success
		assert_equal "$(head -c 4 out.zst | od -An -tx1 | tr -d ' ')" 28b52ffd
		zstd -q -dc out.zst > plain.json
		check_small_output "$p" plain.json
		rm plain.json
		# No temporary file is left behind.
		assert_equal "$(ls -A | tr '\n' ' ')" "out.zst "
		run $p -o no/such/dir/out.json "$FIXTURES/small.jsonl"
		assert_failure 1
		assert_output --partial "no/such/dir/out.json: No such file or directory"
	done
}

@test "numbers do not depend on the locale" {
	for p in $(filters); do
		LC_ALL=de_DE.UTF-8 LC_NUMERIC=de_DE.UTF-8 $p -o de.json "$FIXTURES/small.jsonl" 2>/dev/null
		LC_ALL=C $p -o c.json "$FIXTURES/small.jsonl"
		run cmp de.json c.json
		assert_success
	done
}

@test "-o to a device or a FIFO writes in place, never replacing it" {
	mkfifo fifo
	for p in $(filters); do
		cat fifo > got.json &
		run $p -o fifo "$FIXTURES/small.jsonl"
		assert_success
		wait
		[ -p fifo ] || fail "$p replaced the FIFO"
		check_small_output "$p" got.json
		run $p -o /dev/null "$FIXTURES/small.jsonl"
		assert_success
		[ -c /dev/null ] || fail "$p replaced /dev/null"
		run bash -c "$p -o /dev/full '$FIXTURES/small.jsonl'"
		assert_failure 1
		assert_output "$p: /dev/full: No space left on device"
	done
}

# What each filter's progress line says it is doing.
declare -gA PHASE=(
	[synth-stats]=measuring
	[synth-dedup]=deduplicating
	[synth-score]=scoring
)

@test "--progress into a log: plain lines every SYNTH_PROGRESS_INTERVAL seconds, no escape codes" {
	for i in 1 2 3 4 5 6; do cat "$ROOT/examples/corpus.jsonl"; done > six.jsonl
	for p in $(filters); do
		[ -n "${PHASE[$p]:-}" ] || fail "$p has no entry in PHASE"
		# Every due line: 0 seconds apart.
		SYNTH_PROGRESS_INTERVAL=0 run --separate-stderr ${PASS[$p]} --progress -j 1 six.jsonl
		assert_success
		printf '%s' "$stderr" | grep -q $'[\r\033]' && fail "$p wrote a terminal code into a log"
		local n
		n=$(printf '%s\n' "$stderr" | grep -c .)
		[ "$n" -ge 2 ] || fail "$p: $n progress lines for a file of 3 blocks: $stderr"
		# Each line whole, ended by a newline; the last at the end.
		printf '%s\n' "$stderr" | grep -Evx "$p: ${PHASE[$p]} six.jsonl: [0-9]+%, [0-9.]+ (s|min [0-9]+ s) left, [0-9]+ records, [0-9.]+ MB in [0-9.]+ s \([0-9.]+ MB/s\)" &&
			fail "$p: a line not in the form"
		assert_equal "$(printf '%s\n' "$stderr" | tail -n 1 | sed 's/ in .*//')" \
			"$p: ${PHASE[$p]} six.jsonl: 100%, 0.0 s left, 7248 records, 2.9 MB"
		# The percentage grows.
		assert_equal "$(printf '%s\n' "$stderr" | grep -o '[0-9]*%' | sort -n -c && echo sorted)" sorted
		# The default, 10 seconds: a run this short writes none.
		run --separate-stderr ${PASS[$p]} --progress six.jsonl
		assert_success
		assert_equal "$stderr" ""
		# From a pipe the size is not known: no percentage, no time left.
		SYNTH_PROGRESS_INTERVAL=0 run --separate-stderr bash -c "cat six.jsonl | ${PASS[$p]} --progress -j 1"
		assert_success
		assert_equal "$(printf '%s\n' "$stderr" | tail -n 1 | sed 's/ in .*//')" \
			"$p: ${PHASE[$p]} <stdin>: 7248 records, 2.9 MB"
		printf '%s' "$stderr" | grep -q '%' && fail "$p: a percentage of an input of unknown size"
		# Without --progress, nothing.
		SYNTH_PROGRESS_INTERVAL=0 run --separate-stderr ${PASS[$p]} six.jsonl
		assert_equal "$stderr" ""
	done
	SYNTH_PROGRESS_INTERVAL=soon run --separate-stderr synth-dedup --progress "$FIXTURES/small.jsonl"
	assert_success
	assert_equal "$stderr" "synth-dedup: warning: SYNTH_PROGRESS_INTERVAL=soon: not a number of seconds; using 10"
}

@test "progress on a terminal: one line rewritten in place, with file, phase and percentage, erased at the end" {
	cp "$ROOT/examples/corpus.jsonl" c.jsonl
	for p in $(filters); do
		# script(1) gives the program a terminal for stderr.
		run script -qec "${PASS[$p]} -j 1 c.jsonl > out.jsonl" /dev/null
		assert_success
		# Shown: erase, the line; at the end erased again.
		[[ "$output" == $'\r\033[K'"$p: ${PHASE[$p]} c.jsonl: 100%, 0.0 s left, 1208 records, 0.5 MB in "* ]] ||
			fail "$p: no progress line first: $output"
		[[ "$output" == *$'\r\033[K' ]] || fail "$p: the line is not erased at the end: $output"
		[[ "$output" != *$'\n'* ]] || fail "$p: a newline on the terminal: $output"
		# A narrow terminal: the line is cut to its width less one, so
		# that it never wraps, and keeps the share and the time left.
		run script -qec "stty cols 40; ${PASS[$p]} -j 1 c.jsonl > out.jsonl" /dev/null
		assert_success
		local shown=${output#$'\r\033[K'}
		shown=${shown%%$'\r'*}
		assert_equal "$shown" "$(printf '%s' "$p: ${PHASE[$p]} c.jsonl: 100%, 0.0 s left, 1208 records" | cut -c 1-39)"
		# A message comes after the line is erased.
		printf '{"text":"a"}\nnot json\n' >> c.jsonl
		run script -qec "${PASS[$p]} -j 1 --skip-invalid c.jsonl > out.jsonl" /dev/null
		[[ "$output" == *$' MB/s)\r\033[K'"$p: warning: 1 invalid record skipped"* ]] ||
			fail "$p: the warning does not follow the erased progress line: $output"
		cp "$ROOT/examples/corpus.jsonl" c.jsonl
	done
}

@test "a file name that is not UTF-8 goes into JSON with U+FFFD for each bad byte, never raw" {
	f=$'bad\xff.jsonl'
	printf '%s\n' '{"text":"the same words over and over again here"}' \
		'{"text":"the same words over and over again here"}' 'not json' > "$f"
	utf8() { iconv -f UTF-8 -t UTF-8 "$1" > /dev/null; }
	# synth-dedup: dup_of names the first record FILE:LINE; the invalid
	# record's reject names its file.
	synth-dedup --mark --skip-invalid --rejects rej.jsonl "$f" > out.jsonl 2>/dev/null
	utf8 out.jsonl
	utf8 rej.jsonl
	assert_equal "$(jq -r 'select(.dedup) | .dedup.dup_of' out.jsonl)" $'bad\xef\xbf\xbd.jsonl:1'
	assert_equal "$(jq -r .reject.file rej.jsonl)" $'bad\xef\xbf\xbd.jsonl'
	# synth-score's rejects, synth-mix's label, synth-stats' file names.
	synth-score --filter --min words=100 --skip-invalid --rejects rej2.jsonl "$f" > /dev/null 2>&1
	utf8 rej2.jsonl
	assert_equal "$(jq -r .reject.file rej2.jsonl | sort -u)" $'bad\xef\xbf\xbd.jsonl'
	synth-mix --skip-invalid "$f" > mix.jsonl 2>/dev/null
	utf8 mix.jsonl
	assert_equal "$(jq -r .mix.source mix.jsonl | sort -u)" $'bad\xef\xbf\xbd'
	synth-stats --skip-invalid --reference "$f" "$f" > stats.jsonl 2>/dev/null
	utf8 stats.jsonl
	assert_equal "$(jq -r '.file, .reference.file' stats.jsonl | sort -u)" $'bad\xef\xbf\xbd.jsonl'
}

@test "every program counts the same words: score, stats, mix and the n-gram model in twelve languages" {
	# The fixtures of twelve languages, and a record of punctuation,
	# case and a ligature: words are runs of letters, marks and digits
	# of the normalised text ("ﬁne" is "fine", "3.14" two words), 10 of them.
	cat "$FIXTURES"/lang/*.jsonl > all.jsonl
	printf '%s\n' '{"text":"The END. -- don'"'"'t (GNU/Linux) x2y; ﬁne!! 3.14"}' >> all.jsonl
	run synth-score all.jsonl
	assert_success
	assert_equal "$(jq -c .quality.words <<<"${lines[60]}")" 10
	score=$(jq -s 'map(.quality.words) | add' <<<"$output")
	stats=$(synth-stats all.jsonl | jq .words)
	mix=$(synth-mix -v --unit words all.jsonl 2>&1 >/dev/null | awk '$2 == "all" { print $8 }')
	assert_equal "$score $mix" "$stats $stats"
	# Japanese by words, not by what lies between spaces: 166 words
	# where there are 5 pieces between spaces.
	assert_equal "$(jq -s 'map(.text | [splits("\\s+")] | map(select(. != "")) | length) | add' \
		"$FIXTURES/lang/ja.jsonl")" 5
	assert_equal "$(synth-score "$FIXTURES/lang/ja.jsonl" | jq -s 'map(.quality.words) | add')" 166
	# The model's words are these: case, punctuation and the spaces
	# between Japanese words change no perplexity.
	synth-gen markov --train all.jsonl --order 2 --save model.bin -n 0 > /dev/null
	printf '%s\n' '{"text":"The cat sat on the mat."}' '{"text":"the CAT sat, on the mat"}' \
		'{"text":"今天早上天气很好"}' '{"text":"今天 早上 天气 很好"}' > p.jsonl
	run synth-score --lm model.bin p.jsonl
	assert_success
	p=($(jq .perplexity <<<"$output"))
	assert_equal "${p[0]}" "${p[1]}"
	assert_equal "${p[2]}" "${p[3]}"
	# Generated Chinese is written without spaces between its words,
	# other text with them.
	synth-gen markov --train "$FIXTURES/lang/zh.jsonl" --train "$FIXTURES/lang/en.jsonl" \
		--order 2 -n 40 --seed 3 > gen.jsonl
	assert_equal "$(jq -s 'map(.text | test("\\p{Han}\\p{Han}")) | any' gen.jsonl)" true
	assert_equal "$(jq -s 'map(.text | test("\\p{Han} \\p{Han}")) | any' gen.jsonl)" false
	assert_equal "$(jq -s 'map(.text | test("[a-z] [a-z]")) | any' gen.jsonl)" true
}
