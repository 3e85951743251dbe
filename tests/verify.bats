#!/usr/bin/env bats
# synth-score --verify: a command per record, its input, its folder, its
# signals, -j and input order; and the hostile commands, each of which
# must leave the run going and the machine as it was: one that hangs,
# one that forks without end, one that fills the disk, one that prints
# megabytes, one that leaves processes behind, one that takes memory,
# one that reaches for the network. The tests run as root (make check
# does), where the commands run in namespaces as users of their own.

load helpers

# The processes left of a marker command line, after a run.
leftovers() {
	pgrep -f "$1" || true
}

# verify ARGS...: synth-score --verify-timeout 5 ... on in.jsonl, the
# quality member of each record out, compactly.
verify() {
	synth-score --verify-timeout 5 "$@" in.jsonl | jq -c '.quality | {verified, verify}'
}

@test "the record on standard input, its text in \$SYNTH_TEXT_FILE, a fresh folder each time" {
	printf '%s\n' '{"id": 1, "text":"caf\u00e9\nline 2"}' '{"id":2,"text":""}' > in.jsonl
	run synth-score --verify 'cat >&2; cat "$SYNTH_TEXT_FILE" >&2; echo "|$(pwd)|$(ls -A | tr "\n" " ")|" >&2; touch left-here' in.jsonl
	assert_success
	assert_equal "$(jq -r .quality.verify.stderr <<<"$output")" \
'{"id": 1, "text":"caf\u00e9\nline 2"}
café
line 2|/tmp/verify|text |
{"id":2,"text":""}
|/tmp/verify|text |'
	assert_equal "$(jq -c '[.quality.verified, .quality.verify.exit, .quality.pass]' <<<"$output" | tr '\n' ' ')" '[1,0,true] [1,0,true] '
	# Nothing of it is left where it ran.
	[ ! -e /tmp/verify ] || [ ! -e /tmp/verify/left-here ] || fail "/tmp/verify/left-here was left"
}

@test "an exit status other than 0 fails the record; --filter sends it to --rejects with how it went" {
	printf '%s\n' '{"id":1,"text":"0"}' '{"id":2,"text":"3"}' '{"id":3,"text":"0"}' > in.jsonl
	run synth-score --verify 'echo "exiting $(cat "$SYNTH_TEXT_FILE")" >&2; exit "$(cat "$SYNTH_TEXT_FILE")"' \
		--filter --no-annotate --rejects rej.jsonl in.jsonl
	assert_success
	assert_equal "$output" "$(printf '%s\n' '{"id":1,"text":"0"}' '{"id":3,"text":"0"}')"
	assert_equal "$(jq -c '[.id, .reject.reason, .quality.verified, .quality.verify.exit, .quality.verify.stderr, .quality.reasons]' rej.jsonl)" \
		'[2,"quality",0,3,"exiting 3",["min_verified"]]'
	# --min verified=0 only annotates.
	run synth-score --verify 'exit 7' --min verified=0 in.jsonl
	assert_success
	assert_equal "$(jq -c '[.quality.verified, .quality.verify.exit, .quality.pass]' <<<"$output" | sort -u)" '[0,7,true]'
	# A child killed by a signal shows in the exit status, as sh reports it.
	run synth-score --verify 'sh -c "kill -SEGV \$\$"' --min verified=0 in.jsonl
	assert_equal "$(jq -c '.quality.verify.exit' <<<"$output" | sort -u)" 139
}

@test "-j runs commands at once and keeps the input order" {
	for i in 1 2 3 4 5 6 7 8; do
		printf '{"id":%d,"text":"0.%d"}\n' "$i" $((9 - i))
	done > in.jsonl
	SECONDS=0
	run synth-score -j 8 --verify 'sleep "$(cat "$SYNTH_TEXT_FILE")"' in.jsonl
	assert_success
	assert_equal "$(jq -r .id <<<"$output" | tr '\n' ' ')" "1 2 3 4 5 6 7 8 "
	assert_equal "$(jq -r .quality.verified <<<"$output" | sort -u)" 1
	# 3.6 s of sleeping, in much less.
	[ "$SECONDS" -le 3 ] || fail "took $SECONDS s"
}

@test "a command that hangs is killed at --verify-timeout, with what it left, and the run goes on" {
	printf '%s\n' '{"id":1,"text":"x"}' '{"id":2,"text":"y"}' > in.jsonl
	SECONDS=0
	run synth-score --verify-timeout 1 --verify 'sleep 987651 & echo started >&2; sleep 987652' in.jsonl
	assert_success
	[ "$SECONDS" -le 5 ] || fail "took $SECONDS s"
	assert_equal "$(jq -c '.quality.verify | [.signal, .timed_out, .stderr, .seconds >= 1, .seconds < 3]' <<<"$output" | sort -u)" \
		'["SIGKILL",true,"started",true,true]'
	assert_equal "$(jq -c '.quality.reasons' <<<"$output" | sort -u)" '["min_verified"]'
	assert_equal "$(leftovers 'sleep 98765[12]')" ""
}

@test "processes that leave the command's group and session die with it" {
	printf '{"text":"x"}\n' > in.jsonl
	run verify --verify 'setsid sleep 987653 & (sleep 987654 &) ; sleep 0.2; echo ok >&2'
	assert_success
	assert_equal "$output" '{"verified":1,"verify":{"exit":0,"seconds":'"$(jq .verify.seconds <<<"$output")"',"stderr":"ok"}}'
	assert_equal "$(leftovers 'sleep 98765[34]')" ""
}

@test "a fork bomb meets --verify-procs, is killed, and the next record is verified" {
	# As root RLIMIT_NPROC holds only because the command runs as a user
	# of its own: count how many processes it could start (the record's
	# text is the counting script), then bomb.
	jq -cn --arg t 'import os, sys, time
n = 0
for i in range(200):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    n += 1
print("forked", n, file=sys.stderr)' '{id: "bomb", text: $t}' > in.jsonl
	printf '{"id":"next","text":"y"}\n' >> in.jsonl
	run synth-score --verify-procs 16 --verify-timeout 3 --min verified=0 --verify '
		[ "$(jq -r .id)" = next ] && exit 0
		python3 "$SYNTH_TEXT_FILE"
		b() { b | b & }; b; sleep 98768' in.jsonl
	assert_success
	local forked
	forked=$(jq -r 'select(.id == "bomb") | .quality.verify.stderr' <<<"$output" | sed -n 's/^forked //p')
	[ -n "$forked" ] && [ "$forked" -ge 4 ] && [ "$forked" -le 15 ] || fail "forked '$forked' of at most 15: $output"
	# The bomb found no room left: the shell could not fork, and gave up.
	assert_equal "$(jq -c 'select(.id == "bomb") | .quality | [.verified, (.verify.stderr | test("Cannot fork"))]' <<<"$output")" '[0,true]'
	assert_equal "$(jq -c 'select(.id == "next") | .quality.verify | [.exit, .timed_out]' <<<"$output")" '[0,null]'
	assert_equal "$(leftovers 'sleep 98768')" ""
}

@test "a fork bomb alone is killed at the time limit, or dies of its own failed forks" {
	printf '{"text":"x"}\n' > in.jsonl
	SECONDS=0
	run verify --verify-procs 32 --verify-timeout 2 --min verified=0 --verify 'b() { b | b & }; b; sleep 98769'
	assert_success
	[ "$SECONDS" -le 6 ] || fail "took $SECONDS s"
	assert_equal "$(jq -c '[.verified, (.verify.stderr | test("Cannot fork"))]' <<<"$output")" '[0,true]'
	assert_equal "$(leftovers 'sleep 98769')" ""
}

@test "a command that fills the disk fills a tmpfs of --verify-file-size, no more" {
	printf '{"text":"x"}\n' > in.jsonl
	run verify --verify-file-size 1M --min verified=0 --verify '
		head -c 10M /dev/zero > big 2>/dev/null
		[ "$(stat -c %s big)" -le 1048576 ] && echo "big bounded" >&2
		i=0; while [ $i -lt 50 ] && head -c 512K /dev/zero > f$i 2>/dev/null; do i=$((i + 1)); done
		echo "files $i" >&2
		head -c 10M /dev/zero > /var/tmp/big 2>/dev/null; echo "var $(stat -c %s /var/tmp/big)" >&2
		df -k /tmp | awk "NR == 2 { print \"tmpfs \" \$2 }" >&2'
	assert_success
	assert_equal "$(jq -r .verify.stderr <<<"$output" | grep -v 'File size limit')" \
'big bounded
files 0
var 1048576
tmpfs 1024'
}

@test "a command that prints megabytes costs its time only: stdout dropped, stderr cut" {
	printf '{"text":"x"}\n' > in.jsonl
	run synth-score --verify-timeout 1 --verify 'yes stdout-line & yes stderr-line >&2' in.jsonl
	assert_success
	assert_equal "$(jq -c '.quality.verify | [.signal, .timed_out, .stderr_cut, (.stderr | split("\n") | length), (.stderr | split("\n") | unique)]' <<<"$output")" \
		'["SIGKILL",true,true,10,["stderr-line"]]'
	[ "${#output}" -lt 3000 ] || fail "a record of ${#output} bytes"
}

@test "a command that takes too much memory fails under --verify-memory" {
	printf '{"text":"x"}\n' > in.jsonl
	run verify --verify-memory 200M --min verified=0 --verify 'python3 -c "b = bytearray(500 * 1024 * 1024); print(len(b))"'
	assert_success
	assert_equal "$(jq -c '[.verified, .verify.exit, (.verify.stderr | split("\n") | last)]' <<<"$output")" '[0,1,"MemoryError"]'
	run verify --verify-memory 1G --verify 'python3 -c "b = bytearray(100 * 1024 * 1024)"'
	assert_equal "$(jq -c '[.verified, .verify.exit]' <<<"$output")" '[1,0]'
}

@test "the command has no network but a loopback device, and says so at the start" {
	printf '{"text":"x"}\n' > in.jsonl
	run synth-score -v --verify 'awk "NR > 2 { print \$1 }" /proc/net/dev >&2' in.jsonl
	assert_success
	assert_equal "$(jq -r .quality.verify.stderr <<<"${lines[1]}")" "lo:"
	assert_equal "${lines[0]}" "synth-score: --verify: commands run in namespaces of PIDs, mounts and network (loopback only), a user of its own"
	# The run itself keeps the network it had: more than a loopback here.
	[ "$(awk 'NR > 2' /proc/net/dev | wc -l)" -ge 1 ]
}

@test "--verify's options: their values, and --verify to go with them" {
	printf '{"text":"x"}\n' > in.jsonl
	run synth-score --verify-timeout 5 in.jsonl
	assert_failure 2
	assert_output --partial "--verify-timeout and the other --verify- options go with --verify COMMAND"
	run synth-score --verify true --verify-timeout 0 in.jsonl
	assert_failure 2
	run synth-score --verify true --verify-file-size 1K in.jsonl
	assert_failure 2
	assert_output --partial "--verify-file-size: at least 4K"
	run synth-score --min verified=1 in.jsonl
	assert_failure 2
	assert_output --partial "a bound on verified needs --verify COMMAND"
	run synth-score --verify '' in.jsonl
	assert_failure 2
}

@test "without namespaces: a warning, a folder under \$TMPDIR removed afterwards, the group killed at the time limit" {
	printf '%s\n' '{"id":1,"text":"x"}' '{"id":2,"text":"y"}' > in.jsonl
	mkdir tmp
	SECONDS=0
	run env SYNTH_VERIFY_NO_NAMESPACES=1 TMPDIR="$PWD/tmp" synth-score --verify-timeout 1 --min verified=0 \
		--verify 'pwd >&2; cat "$SYNTH_TEXT_FILE" >&2; touch junk; [ "$(jq -r .id)" = 2 ] || { sleep 987656 & sleep 987657; }' in.jsonl
	assert_success
	[ "$SECONDS" -le 4 ] || fail "took $SECONDS s"
	assert_equal "${lines[0]}" "synth-score: warning: --verify: no namespaces (SYNTH_VERIFY_NO_NAMESPACES is set): commands keep the network, and the process limit does not hold for root"
	assert_equal "$(jq -c '.quality.verify | [.exit, .signal, .timed_out, (.stderr | sub("synth-verify\\.[A-Za-z0-9]{6}"; "X"))]' <<<"${lines[1]}
${lines[2]}")" \
"[null,\"SIGKILL\",true,\"$PWD/tmp/X\\nx\"]
[0,null,null,\"$PWD/tmp/X\\ny\"]"
	assert_equal "$(ls -A tmp)" ""
	assert_equal "$(leftovers 'sleep 98765[67]')" ""
}
