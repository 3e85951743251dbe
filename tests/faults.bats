#!/usr/bin/env bats
# Faults: read, write, fsync, close and rename failing on chosen files
# (tests/fault-shim.c, preloaded). Each program exits 1 with a message
# naming the file, and leaves neither a temporary file nor a partial
# output behind.

load helpers

SHIM="${SYNTH_BUILD:-$ROOT/build}/tests/fault-shim.so"

# fault OP PATH COMMAND...: run COMMAND with OP failing on files whose
# path holds PATH.
fault() {
	local op=$1 path=$2
	shift 2
	# Under AddressSanitizer (make SANITIZE=1) the shim comes before its
	# runtime, which it then need not refuse.
	run env LD_PRELOAD="$SHIM" SYNTH_FAULT_OP="$op" SYNTH_FAULT_PATH="$path" \
		ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" "$@"
}

# no_leftovers NAME: neither NAME nor a temporary file of it is here.
no_leftovers() {
	[ ! -e "$1" ] || fail "$1 was written"
	local tmp
	tmp=$(ls -A | grep -F ".$1.tmp." || true)
	[ -z "$tmp" ] || fail "temporary file left: $tmp"
}

make_input() {
	for i in $(seq 200); do printf '{"id":"r%d","text":"record number %d of the fault tests"}\n' "$i" "$i"; done > in.jsonl
}

# The programs, each with its input, writing its records (or figures)
# to -o.
commands() {
	cat <<'EOF'
synth-stats in.jsonl
synth-dedup in.jsonl
synth-score in.jsonl
synth-mix in.jsonl
synth-gen markov --train in.jsonl -n 5
EOF
}

@test "the fault shim fails what it is told to, and nothing else" {
	make_input
	fault write nothing-matches synth-dedup -o out.jsonl in.jsonl
	assert_success
	assert_equal "$(wc -l < out.jsonl)" 200
}

@test "write, fsync, close and rename failing on -o: exit 1, the file named, nothing left" {
	make_input
	local op cmd
	while read -r cmd; do
		for op in write fsync close rename; do
			# shellcheck disable=SC2086
			fault "$op" out.jsonl $cmd -o out.jsonl
			[ "$status" -eq 1 ] || fail "$cmd, $op: status $status"
			[[ "$output" == *"${cmd%% *}: out.jsonl: Input/output error"* ]] ||
				fail "$cmd, $op: $output"
			no_leftovers out.jsonl
		done
	done < <(commands)
}

@test "a full disk under -o says so" {
	make_input
	SYNTH_FAULT_ERRNO=28 fault write out.jsonl synth-mix -o out.jsonl in.jsonl
	assert_failure 1
	assert_output "synth-mix: out.jsonl: No space left on device"
	no_leftovers out.jsonl
}

@test "a failing read of an input: exit 1, the input named" {
	make_input
	local cmd
	while read -r cmd; do
		[ "${cmd#synth-gen}" = "$cmd" ] || continue
		# shellcheck disable=SC2086
		fault read in.jsonl $cmd -o out.jsonl
		[ "$status" -eq 1 ] || fail "$cmd: status $status"
		[[ "$output" == *"in.jsonl: Input/output error"* ]] || fail "$cmd: $output"
		[ -z "$(ls -A | grep -F '.out.jsonl.tmp.' || true)" ] || fail "$cmd: temporary file left"
	done < <(commands)
	# synth-mix writes nothing when a source cannot be read whole.
	rm -f out.jsonl
	fault read in.jsonl synth-mix -o out.jsonl in.jsonl
	assert_failure 1
	no_leftovers out.jsonl
}

@test "the other files programs write: the index, the model, the state, the report, the shard files" {
	make_input
	synth-dedup --index keep.idx in.jsonl > /dev/null
	cp keep.idx before.idx
	head -n 50 in.jsonl | sed 's/record/entry/' > more.jsonl
	fault rename keep.idx synth-dedup --index keep.idx more.jsonl
	assert_failure 1
	assert_output --partial "keep.idx: Input/output error"
	cmp keep.idx before.idx
	[ -z "$(ls -A | grep -F '.keep.idx.tmp.' || true)" ] || fail "temporary index left"
	fault write model.ngm synth-gen markov --train in.jsonl --save model.ngm
	assert_failure 1
	assert_output --partial "model.ngm: Input/output error"
	no_leftovers model.ngm
	fault fsync s.state synth-stats --partial -o s.state in.jsonl
	assert_failure 1
	assert_output --partial "s.state: Input/output error"
	no_leftovers s.state
	fault close r.json synth-mix --report r.json -o out.jsonl in.jsonl
	assert_failure 1
	assert_output --partial "r.json: Input/output error"
	no_leftovers r.json
	fault write s.idx synth-dedup --shard-index s.idx in.jsonl
	assert_failure 1
	assert_output --partial "s.idx: Input/output error"
	no_leftovers s.idx
	synth-dedup --shard-index s.idx in.jsonl
	fault rename s.idx.verdicts synth-dedup --merge-index -o m.idx s.idx
	assert_failure 1
	assert_output --partial "s.idx.verdicts: Input/output error"
	no_leftovers s.idx.verdicts
	no_leftovers m.idx
}

@test "kill -9 in the middle of -o: the old file stays whole, and the next run clears the leftover" {
	make_input
	printf '{"id":"old","text":"the previous output"}\n' > out.jsonl
	cp out.jsonl before.jsonl
	# The input comes through a FIFO held open, so the run is surely in
	# the middle when it is killed.
	mkfifo feed
	synth-score -o out.jsonl < feed &
	local pid=$! i
	exec 8> feed
	cat in.jsonl >&8
	for i in $(seq 250); do
		ls -A | grep -qF '.out.jsonl.tmp.' && break
		sleep 0.02
	done
	kill -9 "$pid"
	wait "$pid" || true
	exec 8>&-
	cmp before.jsonl out.jsonl
	[ -n "$(ls -A | grep -F '.out.jsonl.tmp.' || true)" ] || fail "no temporary file while running"
	synth-score -o out.jsonl in.jsonl
	assert_equal "$(wc -l < out.jsonl)" 200
	assert_equal "$(ls -A | grep -cF '.out.jsonl.tmp.' || true)" 0
	# A temporary file of a live process is left alone.
	sleep 30 &
	local live=$! tmp
	tmp=".out.jsonl.tmp.$(hostname | tr './' '--').$live.abcdef"
	touch "$tmp"
	synth-score -o out.jsonl in.jsonl
	[ -e "$tmp" ] || fail "a live run's file was removed"
	kill "$live"
}
