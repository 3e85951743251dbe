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

# --- Nothing lost, round two (issue 16) ------------------------------------

# lock_held FILE: whether another process holds the flock on FILE.
lock_held() {
	! flock -n "$1" true
}

@test "a full disk under -o or stdout: the index is not saved, and the next run drops nothing" {
	make_input
	SYNTH_FAULT_ERRNO=28 fault write out.jsonl synth-dedup --exact --index seen.idx -o out.jsonl in.jsonl
	assert_failure 1
	assert_output --partial "out.jsonl: No space left on device"
	no_leftovers out.jsonl
	no_leftovers seen.idx
	run sh -c 'synth-dedup --exact --index seen.idx in.jsonl > /dev/full'
	assert_failure 1
	assert_output --partial "write error: No space left on device"
	no_leftovers seen.idx
	# An index from before stays as it was.
	head -n 10 in.jsonl | synth-dedup --exact --index seen.idx > /dev/null
	cp seen.idx before.idx
	SYNTH_FAULT_ERRNO=28 fault write out.jsonl synth-dedup --exact --index seen.idx -o out.jsonl in.jsonl
	assert_failure 1
	cmp seen.idx before.idx
	run synth-dedup --exact --index seen.idx -o out.jsonl in.jsonl
	assert_success
	assert_equal "$(wc -l < out.jsonl)" 190
}

@test "a full disk on --dups or --rejects: neither the index nor the records are kept" {
	make_input
	cat in.jsonl in.jsonl > twice.jsonl
	local opt
	for opt in --dups --rejects; do
		SYNTH_FAULT_ERRNO=28 fault write dropped.jsonl synth-dedup --exact --index seen.idx \
			-o out.jsonl "$opt" dropped.jsonl twice.jsonl
		[ "$status" -eq 1 ] || fail "$opt: status $status"
		no_leftovers seen.idx
		no_leftovers out.jsonl
		no_leftovers dropped.jsonl
	done
}

@test "a full disk under -o: the model of synth-gen markov is not saved" {
	make_input
	SYNTH_FAULT_ERRNO=28 fault write out.jsonl synth-gen markov --train in.jsonl --save m.ngm -n 5 -o out.jsonl
	assert_failure 1
	assert_output --partial "out.jsonl: No space left on device"
	no_leftovers m.ngm
	run synth-gen markov --train in.jsonl --save m.ngm -n 5 -o /dev/full
	assert_failure 1
	no_leftovers m.ngm
	run synth-gen markov --train in.jsonl --save m.ngm -n 5 -o out.jsonl
	assert_success
	[ -s m.ngm ] || fail "no model after a run that succeeded"
}

@test "a failed read keeps every existing output as it was, in every program" {
	make_input
	synth-gen markov --train in.jsonl --save m.ngm
	for i in $(seq 50); do printf '{"id":"p%d","prompt":"record number"}\n' "$i"; done > prompts.jsonl
	# Inputs compressed with zstd, cut short.
	local f
	for f in in prompts; do
		zstd -q -c "$f.jsonl" > "$f.full.zst"
		head -c "$(($(wc -c < "$f.full.zst") / 2))" "$f.full.zst" > "$f.cut.zst"
	done
	printf 'the previous output\n' > out.jsonl
	printf 'the previous rejects\n' > rej.jsonl
	cp out.jsonl out.before
	cp rej.jsonl rej.before
	local cmd
	while read -r cmd; do
		# shellcheck disable=SC2086
		run $cmd -o out.jsonl --rejects rej.jsonl
		[ "$status" -eq 1 ] || fail "$cmd: status $status: $output"
		cmp out.jsonl out.before || fail "$cmd replaced -o"
		cmp rej.jsonl rej.before || fail "$cmd replaced --rejects"
		[ -z "$(ls -A | grep -F '.tmp.' || true)" ] || fail "$cmd: temporary file left"
	done <<'EOF2'
synth-stats in.cut.zst
synth-dedup in.cut.zst
synth-score in.cut.zst
synth-mix in.cut.zst
synth-gen markov --load m.ngm prompts.cut.zst
EOF2
	# The statistics' other files too.
	printf 'old\n' > s.json
	run synth-stats --tee s.json in.cut.zst
	assert_failure 1
	assert_equal "$(cat s.json)" old
	run synth-stats --reference in.jsonl --html r.html -o s.json in.cut.zst
	assert_failure 1
	assert_equal "$(cat s.json)" old
	[ ! -e r.html ] || fail "the report was written"
}

@test "two concurrent runs on one --index: both sets of records end up in the index" {
	make_input
	head -n 100 in.jsonl > a.jsonl
	tail -n 100 in.jsonl > b.jsonl
	# The first run holds the index while its input trickles in through
	# a FIFO; the second starts meanwhile and must wait for it.
	mkfifo feed
	synth-dedup --exact --index seen.idx -o a.out < feed &
	local first=$! i
	exec 8> feed
	for i in $(seq 250); do
		[ -e seen.idx.lock ] && lock_held seen.idx.lock && break
		sleep 0.02
	done
	lock_held seen.idx.lock || fail "the first run holds no lock"
	# (Neither may hold the FIFO's writing end, or the first never
	# sees its input end.)
	synth-dedup --exact --index seen.idx --wait-lock 60 -o b.out b.jsonl 8>&- &
	local second=$!
	# A third that will not wait says why.
	run synth-dedup --exact --index seen.idx --wait-lock 0 -o c.out b.jsonl 8>&-
	assert_failure 1
	assert_output --partial "seen.idx: in use by another run"
	assert_output --partial "--wait-lock"
	cat a.jsonl >&8
	exec 8>&-
	wait "$first"
	wait "$second"
	assert_equal "$(wc -l < a.out)" 100
	assert_equal "$(wc -l < b.out)" 100
	# Every record of both runs is in the index: a third run drops all.
	run synth-dedup --exact --index seen.idx -v -o again.out in.jsonl
	assert_success
	assert_equal "$(wc -l < again.out)" 0
	assert_output --partial "index: 200 records (200 loaded)"
}

@test "two options naming one file are a usage error naming both" {
	make_input
	run synth-dedup -o same.idx --index same.idx in.jsonl
	assert_failure 2
	assert_output --partial "-o same.idx and --index same.idx name one file"
	run synth-dedup -o F --dups F in.jsonl
	assert_failure 2
	assert_output --partial "-o F and --dups F name one file"
	# Through a symbolic link, and by two spellings of a new name.
	touch F
	ln -s F L
	run synth-dedup -o F --rejects L in.jsonl
	assert_failure 2
	assert_output --partial "-o F and --rejects L name one file"
	mkdir d
	run synth-dedup -o d/new.jsonl --dups ./d/../d/new.jsonl in.jsonl
	assert_failure 2
	run synth-mix -o r.json --report r.json in.jsonl
	assert_failure 2
	run synth-stats --tee s.json --rejects s.json in.jsonl
	assert_failure 2
	run synth-score -o out.jsonl --rejects out.jsonl in.jsonl
	assert_failure 2
	run synth-gen markov --train in.jsonl --save m.ngm -n 1 -o m.ngm
	assert_failure 2
	[ ! -e same.idx ] && [ ! -e m.ngm ] || fail "a file was written"
	[ ! -s F ] || fail "F was written"
	# Devices may be named twice.
	run synth-dedup -o /dev/null --rejects /dev/null in.jsonl
	assert_success
}

@test "a symbolic link stays a link, its target replaced; a file keeps its mode" {
	make_input
	mkdir store
	ln -s store/seen.idx link.idx
	synth-dedup --exact --index link.idx -o /dev/null in.jsonl
	[ -L link.idx ] || fail "the link was replaced"
	[ -f store/seen.idx ] || fail "the target was not written"
	run synth-dedup --exact --index link.idx -o out.jsonl in.jsonl
	assert_success
	assert_equal "$(wc -l < out.jsonl)" 0
	# -o through a link, in every program, and the mode of what it
	# replaces kept.
	local cmd
	while read -r cmd; do
		rm -f target.out link.out
		printf 'old\n' > target.out
		chmod 600 target.out
		ln -s target.out link.out
		# shellcheck disable=SC2086
		run $cmd -o link.out
		[ "$status" -eq 0 ] || fail "$cmd: status $status: $output"
		[ -L link.out ] || fail "$cmd: the link was replaced"
		[ "$(cat target.out)" != old ] || fail "$cmd: the target was not written"
		assert_equal "$(stat -c %a target.out)" 600
	done < <(commands)
	# A model saved through a link.
	ln -s store/m.ngm m.ngm
	synth-gen markov --train in.jsonl --save m.ngm
	[ -L m.ngm ] && [ -s store/m.ngm ] || fail "the model replaced its link"
}

@test "every file a run reads and replaces is locked: a second run waits, or fails naming it" {
	make_input
	synth-stats --partial -o all.state in.jsonl
	synth-gen markov --train in.jsonl --save m.ngm
	printf '{"id":"p1","prompt":"a question"}\n' > prompts.jsonl
	local file cmd holder
	while IFS='|' read -r file cmd; do
		# The holder is the process with the lock: killed, it lets go.
		(exec 9>"$file.lock" && flock 9 && exec sleep 60) > /dev/null 2>&1 3>&- &
		holder=$!
		local i
		for i in $(seq 250); do
			[ -e "$file.lock" ] && lock_held "$file.lock" && break
			sleep 0.02
		done
		# shellcheck disable=SC2086
		run $cmd --wait-lock 0
		kill "$holder"
		wait "$holder" || true
		[ "$status" -eq 1 ] || fail "$cmd: status $status: $output"
		[[ "$output" == *"$file: in use by another run"* ]] || fail "$cmd: $output"
		# Let go, the same run goes through (those that ask no server).
		[[ "$cmd" == *http://* ]] && continue
		# shellcheck disable=SC2086
		run $cmd --wait-lock 0
		[ "$status" -eq 0 ] || fail "$cmd, unlocked: status $status: $output"
	done <<'EOF2'
seen.idx|synth-dedup --index seen.idx in.jsonl
all.state|synth-stats --merge -o all.state all.state all.state
in.jsonl|synth-score -o in.jsonl in.jsonl
in.jsonl|synth-mix -o in.jsonl in.jsonl
m.ngm|synth-gen markov --load m.ngm --save m.ngm
out.jsonl|synth-gen complete --url http://127.0.0.1:9 --model m --resume -o out.jsonl prompts.jsonl
out.jsonl|synth-score --judge http://127.0.0.1:9 --model m --resume -o out.jsonl in.jsonl
EOF2
}
