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
