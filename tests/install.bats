#!/usr/bin/env bats
# make install: binaries, man pages and completions in their standard
# places under PREFIX, inside DESTDIR.

load helpers

@test "make install honours PREFIX and DESTDIR" {
	run make -C "$ROOT" --no-print-directory install PREFIX=/opt/synth DESTDIR="$BATS_TEST_TMPDIR/root"
	assert_success
	r="$BATS_TEST_TMPDIR/root/opt/synth"
	for p in "${SYNTH_BUILD:-$ROOT/build}"/synth-*; do
		name=$(basename "$p")
		[ -x "$r/bin/$name" ] || fail "no $r/bin/$name"
		[ -f "$r/share/man/man1/$name.1" ] || fail "no man page for $name"
		[ -f "$r/share/bash-completion/completions/$name" ] || fail "no bash completion for $name"
		[ -f "$r/share/zsh/vendor-completions/_$name" ] || fail "no zsh completion for $name"
		[ -f "$r/share/fish/vendor_completions.d/$name.fish" ] || fail "no fish completion for $name"
	done
	[ -f "$r/share/man/man7/synth.7" ] || fail "no synth(7)"
	[ -f "$r/share/man/man5/synth-jsonl.5" ] || fail "no synth-jsonl(5)"
	run "$r/bin/synth-stats" --version
	assert_success
	# Nothing is written outside DESTDIR.
	[ ! -e /opt/synth ] || fail "/opt/synth was written"
}
