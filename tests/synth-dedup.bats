#!/usr/bin/env bats
# synth-dedup: what is dropped and kept, the index, decontamination, bad input.

load helpers

# A record with id $1 and text $2 (no quotes or backslashes in $2).
rec() {
	printf '{"id":"%s","text":"%s"}\n' "$1" "$2"
}

LONG="the committee met on tuesday to discuss the budget for the coming year and agreed to spend more on schools roads and parks"
OTHER="a completely different record about the weather in the mountains where snow fell for three days and closed every pass"

ids() {
	jq -r .id "$@" | tr '\n' ' '
}

@test "--exact drops a record whose normalised text was seen before, keeping the first" {
	{ rec a "Hello, World!"; rec b "hello world"; rec c "Hello World?!"; rec d "hello  there"; rec e "HELLO WORLD"; } > in.jsonl
	run synth-dedup --exact in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | ids)" "a d "
}

@test "--normalize presets: none, ws, nfkc and full compare different things" {
	# b: extra white space; c: the ligature fi (NFKC folds it); d: upper case; e: punctuation
	{ rec a "fine day"; rec b " fine   day "; rec c $'\\ufb01ne day'; rec d "Fine day"; rec e "fine, day"; } > in.jsonl
	assert_equal "$(synth-dedup --exact --normalize none in.jsonl | ids)" "a b c d e "
	assert_equal "$(synth-dedup --exact --normalize ws in.jsonl | ids)" "a c d e "
	assert_equal "$(synth-dedup --exact --normalize nfkc in.jsonl | ids)" "a d e "
	assert_equal "$(synth-dedup --exact --normalize full in.jsonl | ids)" "a "
	run synth-dedup --normalize nfc in.jsonl
	assert_failure 2
	assert_output --partial "--normalize: 'nfc' is not one of none, ws, nfkc, full"
}

@test "near-duplicates: one word changed at the end is dropped, a different text kept" {
	{ rec a "$LONG"; rec b "$OTHER"; rec c "${LONG% parks} gardens"; rec d "$OTHER"; } > in.jsonl
	run synth-dedup in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | ids)" "a b "
}

@test "--mark keeps every record and names the kept record with the similarity" {
	{ rec a "$LONG"; rec b "$OTHER"; rec c "${LONG% parks} gardens"; rec d "$OTHER"; } > in.jsonl
	synth-dedup --mark in.jsonl > out.jsonl
	assert_equal "$(ids out.jsonl)" "a b c d "
	assert_equal "$(jq -c 'select(.id == "a" or .id == "b") | .dedup' out.jsonl | tr '\n' ' ')" "null null "
	assert_equal "$(jq -r 'select(.id == "c") | .dedup.dup_of' out.jsonl)" a
	assert_equal "$(jq -c 'select(.id == "d") | .dedup' out.jsonl)" '{"dup_of":"b","similarity":1}'
	# c shares 18 of the 20 distinct 5-word shingles of the two texts:
	# Jaccard 0.9; the estimate from 256 permutations lies near it.
	run jq -s -e 'map(select(.id == "c"))[0].dedup.similarity | . >= 0.8 and . <= 1' out.jsonl
	assert_success
	# Everything else about the records is unchanged.
	assert_equal "$(jq -c 'del(.dedup)' out.jsonl)" "$(cat in.jsonl)"
}

@test "a numeric id stays a number in dup_of; a record without id is named FILE:LINE" {
	{ printf '{"id":7,"text":"%s"}\n' "$LONG"; printf '{"text":"%s"}\n' "$OTHER"; rec x "$LONG"; rec y "$OTHER"; } > in.jsonl
	synth-dedup --mark in.jsonl > out.jsonl
	assert_equal "$(jq -c 'select(.id == "x") | .dedup.dup_of' out.jsonl)" 7
	assert_equal "$(jq -c 'select(.id == "y") | .dedup.dup_of' out.jsonl)" '"in.jsonl:2"'
}

@test "--dups gets the removed records with the member; --rejects too, with the reason" {
	{ rec a "$LONG"; rec b "$LONG"; rec c "$OTHER"; } > in.jsonl
	synth-dedup --dups dups.jsonl --rejects rej.jsonl in.jsonl > out.jsonl
	assert_equal "$(ids out.jsonl)" "a c "
	assert_equal "$(jq -c '[.id, .dedup]' dups.jsonl)" '["b",{"dup_of":"a","similarity":1}]'
	assert_equal "$(jq -c '[.id, .dedup.dup_of, .reject.reason, .reject.line]' rej.jsonl)" '["b","a","near-duplicate",2]'
	synth-dedup --exact --rejects rej2.jsonl in.jsonl > /dev/null
	assert_equal "$(jq -r .reject.reason rej2.jsonl)" duplicate
	run synth-dedup --mark --dups d.jsonl in.jsonl
	assert_failure 2
}

@test "-j changes nothing: the same output for 1, 2 and 4 threads" {
	# The corpus twice, the second copy with a word added at the end.
	cp "$ROOT/examples/corpus.jsonl" in.jsonl
	jq -c '.id += "-copy" | .text += " extra"' "$ROOT/examples/corpus.jsonl" >> in.jsonl
	synth-dedup -j 1 --mark in.jsonl > one.jsonl
	synth-dedup -j 2 --mark in.jsonl > two.jsonl
	synth-dedup -j 4 --mark in.jsonl > four.jsonl
	cmp one.jsonl two.jsonl
	cmp one.jsonl four.jsonl
	# No original is marked, and every copy of a text of 30 words or
	# more (Jaccard at least 25/26 with its original: one shingle more)
	# is.
	assert_equal "$(jq -c 'select(.dedup and (.id | endswith("-copy") | not))' one.jsonl | wc -l)" 0
	assert_equal "$(jq -c 'select((.id | endswith("-copy")) and (.text | split(" ") | length) >= 29 and .dedup == null)' one.jsonl | wc -l)" 0
	[ "$(jq -c 'select(.dedup)' one.jsonl | wc -l)" -gt 600 ]
}

@test "--seed decides the permutations; the same seed gives the same output" {
	cp "$ROOT/examples/corpus.jsonl" in.jsonl
	jq -c '.id += "-copy" | .text |= sub("^[^ ]+ "; "")' "$ROOT/examples/corpus.jsonl" >> in.jsonl
	synth-dedup --seed 5 --mark in.jsonl > a.jsonl
	synth-dedup --seed 5 --mark in.jsonl > b.jsonl
	cmp a.jsonl b.jsonl
	synth-dedup --seed 6 --mark in.jsonl > c.jsonl
	run cmp -s a.jsonl c.jsonl
	assert_failure
}

@test "-v prints the LSH settings with catch probabilities, and the index size" {
	{ rec a "$LONG"; rec b "$LONG"; } > in.jsonl
	run --separate-stderr synth-dedup -v in.jsonl
	assert_success
	assert_line --index 0 --partial '"id":"a"'
	# 18 bands of 7 rows: a candidate with probability 1 - (1 - J^7)^18,
	# 98.6% at 0.8; the estimate's standard deviation there is 0.028, so
	# the cut is at 0.772 and a pair at 0.8 passes it with probability
	# 0.841: caught 82.9%.
	echo "$stderr" | grep -qF "synth-dedup: near-duplicates at Jaccard 0.8: 256 permutations, LSH on 126 (18 bands of 7 rows, 4 bits a value), the other 130 at 2 bits; verified at an estimate of 0.772 or more; a pair is caught at Jaccard 0.5: 0.0%, 0.7: 1.0%, 0.8: 82.9%, 0.9: 100.0%" ||
		fail "no LSH line: $stderr"
	echo "$stderr" | grep -Eq "^synth-dedup: 1 duplicate, 0 contaminated; index: 1 records \(0 loaded\), [0-9.]+ MB, [0-9]+ bytes a record$" ||
		fail "no index line: $stderr"
	run --separate-stderr synth-dedup -v --bands 32 in.jsonl
	echo "$stderr" | grep -qF "32 bands of 4 rows" || fail "--bands: $stderr"
	run synth-dedup --bands 200 in.jsonl
	assert_failure 2
	run synth-dedup --threshold 0 in.jsonl
	assert_failure 2
}

@test "--threshold: a pair below it is kept, unless --no-verify takes the LSH candidate" {
	# Jaccard 12/28: half the shingles differ.
	rec a "$LONG" > in.jsonl
	rec b "the committee met on tuesday to discuss the budget for the coming year and then went home early to watch a film" >> in.jsonl
	assert_equal "$(synth-dedup in.jsonl | ids)" "a b "
	assert_equal "$(synth-dedup --threshold 0.3 in.jsonl | ids)" "a "
	# With 64 bands of 2 rows nearly every pair at 0.43 is a candidate.
	assert_equal "$(synth-dedup --bands 64 --no-verify in.jsonl | ids)" "a "
	assert_equal "$(synth-dedup --bands 64 in.jsonl | ids)" "a b "
}

@test "--index: a second run drops records seen in the first and names them" {
	{ rec a "$LONG"; rec b "$OTHER"; } > day1.jsonl
	{ rec c "$LONG"; rec d "something new today that nobody has written before in any record"; } > day2.jsonl
	synth-dedup --index idx day1.jsonl > out1.jsonl
	assert_equal "$(ids out1.jsonl)" "a b "
	[ -s idx ]
	synth-dedup --index idx --mark day2.jsonl > out2.jsonl
	assert_equal "$(jq -c '[.id, .dedup.dup_of]' out2.jsonl | tr '\n' ' ')" '["c","a"] ["d",null] '
	# d was added: a third run finds it.
	rec e "something new today that nobody has written before in any record" > day3.jsonl
	assert_equal "$(synth-dedup --index idx --mark day3.jsonl | jq -r .dedup.dup_of)" d
	# The same with --exact.
	synth-dedup --exact --index eidx day1.jsonl > /dev/null
	assert_equal "$(synth-dedup --exact --index eidx --mark day2.jsonl | jq -c .dedup.dup_of | tr '\n' ' ')" '"a" null '
}

@test "--index: an index made with other parameters is a clear error" {
	rec a "$LONG" > in.jsonl
	synth-dedup --index idx in.jsonl > /dev/null
	cp idx before
	run synth-dedup --index idx --ngram 3 in.jsonl
	assert_failure 1
	assert_output "synth-dedup: idx: made with --ngram 5, not 3"
	run synth-dedup --index idx --seed 1 in.jsonl
	assert_output "synth-dedup: idx: made with --seed 0, not 1"
	run synth-dedup --index idx --normalize ws in.jsonl
	assert_output "synth-dedup: idx: made with --normalize full, not ws"
	run synth-dedup --index idx --exact in.jsonl
	assert_output "synth-dedup: idx: a near-duplicate index; this run is --exact"
	run synth-dedup --index idx --no-verify in.jsonl
	assert_output --partial "synth-dedup: idx: made without --no-verify"
	cmp idx before
}

@test "--index: a truncated, corrupt or foreign file is an error and stays untouched" {
	{ rec a "$LONG"; rec b "$OTHER"; } > in.jsonl
	synth-dedup --index idx in.jsonl > /dev/null
	head -c 100 idx > cut
	cp cut cut.before
	run --separate-stderr synth-dedup --index cut in.jsonl
	assert_failure 1
	assert_equal "$stderr" "synth-dedup: cut: truncated"
	assert_output ""
	cmp cut cut.before
	# One byte flipped in the middle.
	cp idx bad
	size=$(stat -c %s bad)
	printf '\xff' | dd of=bad bs=1 seek=$((size / 2)) conv=notrunc status=none
	cp bad bad.before
	run synth-dedup --index bad in.jsonl
	assert_failure 1
	assert_output "synth-dedup: bad: corrupt: the checksum does not match"
	cmp bad bad.before
	run synth-dedup --index in.jsonl in.jsonl
	assert_failure 1
	assert_output "synth-dedup: in.jsonl: not a synth-dedup index"
}

@test "--index in a folder that cannot be written: an error before any input is read" {
	rec a "$LONG" > in.jsonl
	if [ "$(id -u)" = 0 ]; then
		# root writes anywhere on a writable file system; /proc is not one.
		path=/proc/synth-dedup-test.idx
	else
		mkdir ro && chmod 555 ro
		path=ro/idx
	fi
	run --separate-stderr bash -c "cat in.jsonl | { synth-dedup --index $path; echo \"status \$?\"; cat > rest.jsonl; }"
	assert_output "status 1"
	echo "$stderr" | grep -q "^synth-dedup: $path" || fail "no message naming the index: $stderr"
	# The input was not consumed: what synth-dedup left is still there.
	cmp in.jsonl rest.jsonl
}

@test "a crash in the middle leaves the old index intact; a rerun completes" {
	{ rec a "$LONG"; rec b "$OTHER"; } > in.jsonl
	synth-dedup --index idx in.jsonl > /dev/null
	cp idx before
	mkfifo feed
	synth-dedup --index idx < feed > out.jsonl &
	pid=$!
	exec 7> feed
	rec c "a third record, written while the program runs" >&7
	sleep 0.5
	kill -9 $pid
	exec 7>&-
	wait $pid || true
	cmp idx before
	rec c "a third record, written while the program runs" | synth-dedup --index idx > out.jsonl
	assert_equal "$(ids out.jsonl)" "c "
	rec d "a third record, written while the program runs" | synth-dedup --index idx --mark > out.jsonl
	assert_equal "$(jq -r .dedup.dup_of out.jsonl)" c
}

@test "an invalid record stops the run: no output file, the index not saved" {
	rec a "$LONG" > in.jsonl
	synth-dedup --index idx in.jsonl > /dev/null
	cp idx before
	{ rec b "$OTHER"; printf '{"id":"c"}\n'; } > bad.jsonl
	run synth-dedup --index idx -o out.jsonl bad.jsonl
	assert_failure 1
	assert_output 'synth-dedup: bad.jsonl:2: no member "text"'
	[ ! -e out.jsonl ]
	cmp idx before
	# Under --skip-invalid it is counted and kept in --rejects.
	run --separate-stderr synth-dedup --skip-invalid --rejects rej.jsonl bad.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | ids)" "b "
	assert_equal "$(jq -r .reject.reason rej.jsonl)" 'no member "text"'
	printf '{"id":"n","text":5}\n' > num.jsonl
	run synth-dedup num.jsonl
	assert_failure 1
	assert_output 'synth-dedup: num.jsonl:1: member "text" is not a string'
}

@test "empty texts are duplicates of the first empty text" {
	{ rec a ""; rec b "$LONG"; rec c ""; rec d "  ...  "; } > in.jsonl
	assert_equal "$(synth-dedup in.jsonl | ids)" "a b "
	assert_equal "$(synth-dedup --exact in.jsonl | ids)" "a b "
}

@test "--against drops records sharing a 13-word n-gram with a reference, never outputs the reference" {
	rec q1 "Question: what is the boiling point of water at sea level in degrees celsius under normal pressure?" > ref.jsonl
	rec q2 "too short to match" >> ref.jsonl
	{ rec a "$LONG"; rec b "Here it is: what is the boiling point of water at sea level in degrees celsius under normal pressure? It is 100."; rec c "the boiling point of water is high"; } > in.jsonl
	run --separate-stderr synth-dedup --against ref.jsonl in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | ids)" "a c "
	assert_equal "$stderr" "synth-dedup: warning: --against: 1 reference record shorter than 13 words cannot be matched"
	synth-dedup --against ref.jsonl --mark in.jsonl > out.jsonl 2>/dev/null
	assert_equal "$(jq -c 'select(.id == "b") | .dedup' out.jsonl)" \
		'{"contaminated":"q1","ngram":"what is the boiling point of water at sea level in degrees celsius"}'
	assert_equal "$(ids out.jsonl)" "a b c "
	# A shorter n-gram catches c too.
	assert_equal "$(synth-dedup --against ref.jsonl --contam-ngram 4 in.jsonl 2>/dev/null | ids)" "a "
	# An invalid reference is an error naming it.
	printf 'nope\n' > badref.jsonl
	run synth-dedup --against badref.jsonl in.jsonl
	assert_failure 1
	assert_line --index 0 --partial "synth-dedup: badref.jsonl:1: invalid JSON"
}

@test "contaminated records go to --dups and --rejects with the reason" {
	rec q1 "one two three four five six seven eight nine ten eleven twelve thirteen fourteen" > ref.jsonl
	{ rec a "zero one two three four five six seven eight nine ten eleven twelve thirteen"; rec b "$LONG"; } > in.jsonl
	synth-dedup --against ref.jsonl --dups d.jsonl --rejects r.jsonl in.jsonl > out.jsonl
	assert_equal "$(ids out.jsonl)" "b "
	assert_equal "$(jq -r .dedup.contaminated d.jsonl)" q1
	assert_equal "$(jq -r '.reject.reason + " " + .dedup.contaminated' r.jsonl)" "contaminated q1"
	# Both name the n-gram that matched, as compared.
	assert_equal "$(jq -r .dedup.ngram r.jsonl)" "one two three four five six seven eight nine ten eleven twelve thirteen"
	assert_equal "$(jq -r .dedup.ngram d.jsonl)" "one two three four five six seven eight nine ten eleven twelve thirteen"
	assert_equal "$(jq -c .reject r.jsonl)" '{"reason":"contaminated","file":"in.jsonl","line":1}'
}

@test "--against-field: the test set's text in a member of its own, with its own ids" {
	printf '%s\n' '{"qid":"t7","question":"What is the boiling point of water at sea level in degrees Celsius under normal pressure?"}' > test.jsonl
	{ rec a "$LONG"; rec b "Asked: what is the boiling point of water at sea level in degrees celsius under normal pressure"; } > in.jsonl
	# Without it the test set's records have no "text": an error naming the line.
	run --separate-stderr synth-dedup --against test.jsonl in.jsonl
	assert_failure 1
	assert_equal "$stderr" 'synth-dedup: test.jsonl:1: no member "text"
synth-dedup: cannot use the references given with --against'
	run --separate-stderr synth-dedup --against test.jsonl --against-field question --id-field qid --mark in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.id, .dedup]')" '["a",null]
["b",{"contaminated":"t7","ngram":"what is the boiling point of water at sea level in degrees celsius"}]'
	# The input keeps --field: the test set's member is not looked for there.
	jq -c '{id, body: .text}' in.jsonl > body.jsonl
	run synth-dedup --field body --against test.jsonl --against-field question body.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .id)" a
	# Only with --against; not empty.
	run --separate-stderr synth-dedup --against-field question in.jsonl
	assert_failure 2
	assert_equal "$(head -n 1 <<<"$stderr")" "synth-dedup: --against-field goes with --against"
	run synth-dedup --against test.jsonl --against-field '' in.jsonl
	assert_failure 2
}

@test "--contam-max-df leaves out n-grams common to many test records, and -v counts them" {
	# Three test records share a 13-word boilerplate; one also holds a
	# question of its own.
	local boiler="this package provides the documentation for a library for the haskell programming language"
	{ rec t1 "$boiler lens"; rec t2 "$boiler aeson"; rec t3 "$boiler text and what is the boiling point of water at sea level in degrees celsius"; } > test.jsonl
	{ rec a "libfoo: $boiler"; rec b "quiz: what is the boiling point of water at sea level in degrees celsius"; rec c "$LONG"; } > in.jsonl
	# Without a limit the boilerplate drops a, naming the first test record.
	run synth-dedup --against test.jsonl --mark in.jsonl
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.id, .dedup.contaminated]')" '["a","t1"]
["b","t3"]
["c",null]'
	# In 3 test records: left out by a limit of 2, kept by 3.
	run --separate-stderr synth-dedup -v --against test.jsonl --contam-max-df 2 in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | ids)" "a c "
	echo "$stderr" | grep -qxF "synth-dedup: --against: 3 references, 18 distinct 13-grams" || fail "$stderr"
	echo "$stderr" | grep -qxF "synth-dedup: --contam-max-df 2: 1 of the 13-grams left out, each found in more than 2 references" ||
		fail "no count of the n-grams left out: $stderr"
	echo "$stderr" | grep -q "^synth-dedup: 0 duplicates, 1 contaminated;" || fail "$stderr"
	run synth-dedup --against test.jsonl --contam-max-df 3 in.jsonl
	assert_equal "$(printf '%s\n' "$output" | ids)" "c "
	# An n-gram repeated in one test record counts once.
	{ rec t1 "$boiler $boiler"; rec t2 "unrelated words"; } > rep.jsonl
	run synth-dedup --against rep.jsonl --contam-max-df 1 -q in.jsonl
	assert_equal "$(printf '%s\n' "$output" | ids)" "b c "
	# A limit that leaves out every n-gram is warned about.
	{ rec t1 "$boiler"; rec t2 "$boiler"; } > same.jsonl
	run --separate-stderr synth-dedup --against same.jsonl --contam-max-df 1 in.jsonl
	assert_success
	assert_equal "$stderr" "synth-dedup: warning: --contam-max-df 1 leaves out every 13-gram of the references: nothing can be found contaminated"
	assert_equal "$(printf '%s\n' "$output" | ids)" "a b c "
	run synth-dedup --against same.jsonl --contam-max-df 0 in.jsonl
	assert_failure 2
	run synth-dedup --contam-max-df 2 in.jsonl
	assert_failure 2
}

@test "--ngram sets the shingle length, --perms the signature, --id-field the id" {
	# Twelve words, one changed in the middle: 3 of 13 distinct 5-word
	# shingles shared (Jaccard 0.23), but 11 of 13 single words (0.85).
	{ printf '{"meta":{"key":"k1"},"text":"one two three four five six seven eight nine ten eleven twelve"}\n'
	  printf '{"meta":{"key":"k2"},"text":"one two three four five SIX2 seven eight nine ten eleven twelve"}\n'; } > in.jsonl
	assert_equal "$(synth-dedup in.jsonl | wc -l)" 2
	run synth-dedup --ngram 1 --id-field meta.key --mark in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r '.dedup.dup_of' | tr '\n' ' ')" "null k1 "
	run --separate-stderr synth-dedup -v --perms 256 in.jsonl
	echo "$stderr" | grep -qF "near-duplicates at Jaccard 0.8: 256 permutations," || fail "--perms: $stderr"
	run synth-dedup --perms 0 in.jsonl
	assert_failure 2
}
