# Shared set-up for the bats tests: bats-support and bats-assert, the
# programs from the build, the C locale, a scratch folder per test.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

export LC_ALL=C
FIXTURES="$BATS_TEST_DIRNAME/fixtures"
ROOT="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
PATH="${SYNTH_BUILD:-$ROOT/build}:$PATH"

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

# json_get FILE FILTER: one value from a JSON document, via jq.
json_get() {
	jq -r "$2" "$1"
}

# start_server ARGS...: the chat-completions test server
# (tests/llm-server.c) on 127.0.0.1, logging each request to server.log;
# sets URL. teardown stops it.
start_server() {
	# A server started again in one test must not be found by the
	# port file of the one before.
	rm -f port
	"${SYNTH_BUILD:-$ROOT/build}/tests/llm-server" --port-file port --log server.log "$@" &
	SERVER_PID=$!
	local i
	for i in $(seq 100); do
		[ -s port ] && break
		sleep 0.05
	done
	[ -s port ] || fail "the test server did not start"
	URL="http://127.0.0.1:$(cat port)"
}

# kill_after_lines PID FILE N: once FILE holds more than N lines (or
# after five seconds), kill -9 the background job PID and reap it: a
# crash in the middle of a run.
kill_after_lines() {
	local i
	for i in $(seq 100); do
		[ "$(wc -l < "$2" 2>/dev/null || echo 0)" -gt "$3" ] && break
		sleep 0.05
	done
	kill -9 "$1"
	wait "$1" || true
}

teardown() {
	if [ -n "${SERVER_PID:-}" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
}

# render_png HTML PNG: a screenshot of the page HTML, 1200 by 2000
# pixels, by headless Chromium, which prints its noise to chromium.log
# beside PNG. It cannot hang a test: Chromium and every process it
# started are killed after 60 seconds.
render_png() {
	local html png log
	html=$(realpath "$1") || return 1
	png=$(realpath -m "$2")
	log="$(dirname "$png")/chromium.log"
	rm -f "$png"
	timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--hide-scrollbars --no-first-run --user-data-dir="${BATS_TEST_TMPDIR:-$PWD}/chromium" \
		--window-size=1200,2000 --screenshot="$png" "file://$html" </dev/null >"$log" 2>&1
	[ -s "$png" ] || fail "chromium made no screenshot of $1 (see $log)"
}
