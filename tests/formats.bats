#!/usr/bin/env bats
# Input and output formats every program shares: gzip in and out, folders
# as inputs, hints for a file of another format, and the nearest option
# for one that does not exist (issue 18).

load helpers

# records N WORD: N distinct records whose text names WORD and the number.
records() {
	local i
	for i in $(seq 1 "$1"); do
		printf '{"id":"%s-%d","text":"record %d of %s, with words enough to count"}\n' "$2" "$i" "$i" "$2"
	done
}

# The programs that read records and pass them on, as in common.bats.
declare -gA PASS=(
	[synth-stats]="synth-stats --tee /dev/null"
	[synth-dedup]="synth-dedup"
	[synth-score]="synth-score --filter --no-annotate"
)

@test "gzip input gives every program what the plain file gives it" {
	records 300 gz > in.jsonl
	gzip -k in.jsonl
	# gzip's magic number, not the name, says it is gzip.
	cp in.jsonl.gz disguised.jsonl
	for f in in.jsonl.gz disguised.jsonl; do
		assert_equal "$(synth-stats $f | jq -c 'del(.input_bytes)')" \
			"$(synth-stats in.jsonl | jq -c 'del(.input_bytes)')"
		assert_equal "$(synth-dedup $f)" "$(cat in.jsonl)"
		assert_equal "$(synth-score $f | jq -c .quality)" "$(synth-score in.jsonl | jq -c .quality)"
		# The same records; the source's label is the file's name.
		assert_equal "$(synth-mix -n 100 --seed 3 $f | jq -c 'del(.mix.source)')" \
			"$(synth-mix -n 100 --seed 3 in.jsonl | jq -c 'del(.mix.source)')"
		assert_equal "$(synth-dedup < $f)" "$(cat in.jsonl)"
	done
	synth-gen markov --train in.jsonl.gz --save gz.ngm
	synth-gen markov --train in.jsonl --save plain.ngm
	cmp gz.ngm plain.ngm
	printf '{"text":"x"}\n' > ref.jsonl
	assert_equal "$(synth-stats --reference in.jsonl.gz ref.jsonl | jq -c 'del(.input, .reference)')" \
		"$(synth-stats --reference in.jsonl ref.jsonl | jq -c 'del(.input, .reference)')"
}

@test "a gzip file of several members is read whole, as gzip -d reads it" {
	records 100 a > a.jsonl
	records 100 b > b.jsonl
	# The second member starts in the middle of a record.
	cat a.jsonl b.jsonl > ab.jsonl
	head -c 5000 ab.jsonl | gzip > ab.jsonl.gz
	tail -c +5001 ab.jsonl | gzip -1 >> ab.jsonl.gz
	printf '' | gzip >> ab.jsonl.gz
	run synth-dedup ab.jsonl.gz
	assert_success
	assert_output "$(cat ab.jsonl)"
	assert_equal "$(synth-stats ab.jsonl.gz | jq .records)" 200
}

@test "-o FILE.gz writes gzip in every program, and --rejects, --dups and --tee too" {
	records 50 o > in.jsonl
	cat in.jsonl in.jsonl > twice.jsonl
	synth-dedup -o out.jsonl.gz --dups dups.jsonl.gz twice.jsonl
	gzip -t out.jsonl.gz dups.jsonl.gz
	assert_equal "$(zcat out.jsonl.gz)" "$(cat in.jsonl)"
	assert_equal "$(zcat dups.jsonl.gz | jq -r .id | head -1)" "o-1"
	assert_equal "$(zcat dups.jsonl.gz | wc -l)" 50
	synth-score --preset synthetic -o scored.jsonl.gz in.jsonl
	gzip -t scored.jsonl.gz
	assert_equal "$(zcat scored.jsonl.gz)" "$(synth-score --preset synthetic in.jsonl)"
	synth-score --preset synthetic --filter --min words=99 --rejects rej.jsonl.gz -o kept.jsonl.gz in.jsonl
	gzip -t rej.jsonl.gz kept.jsonl.gz
	assert_equal "$(zcat rej.jsonl.gz | wc -l)" 50
	assert_equal "$(zcat kept.jsonl.gz | wc -c)" 0
	synth-stats -o stats.json.gz in.jsonl
	gzip -t stats.json.gz
	assert_equal "$(zcat stats.json.gz | jq .records)" 50
	synth-stats --tee figures.json.gz in.jsonl > passed.jsonl
	cmp passed.jsonl in.jsonl
	gzip -t figures.json.gz
	assert_equal "$(zcat figures.json.gz | jq .records)" 50
	synth-mix -n 20 --seed 1 -o mix.jsonl.gz in.jsonl
	gzip -t mix.jsonl.gz
	assert_equal "$(zcat mix.jsonl.gz)" "$(synth-mix -n 20 --seed 1 in.jsonl)"
	printf 'Tell me about {x}.\n' > t.tpl
	printf 'cats\ndogs\n' > x.txt
	synth-gen prompts -t t.tpl --slot x=x.txt --all -o prompts.jsonl.gz
	gzip -t prompts.jsonl.gz
	assert_equal "$(zcat prompts.jsonl.gz | jq -r .prompt)" "$(printf 'Tell me about cats.\nTell me about dogs.')"
	# What -o FILE.gz writes reads back through every program.
	assert_equal "$(synth-dedup out.jsonl.gz)" "$(cat in.jsonl)"
	# A name that does not end in .gz stays plain.
	synth-dedup -o plain.gz.jsonl in.jsonl
	cmp plain.gz.jsonl in.jsonl
}

@test "a cut or corrupt gzip file is an error naming file and line, and nothing is kept" {
	records 3000 cut > full.jsonl
	gzip -c full.jsonl > full.jsonl.gz
	head -c $(( $(stat -c %s full.jsonl.gz) / 2 )) full.jsonl.gz > cut.jsonl.gz
	# Where the cut falls: the line zcat stops in.
	local line
	line=$(( $(zcat cut.jsonl.gz 2>/dev/null | wc -l) + 1 ))
	cp full.jsonl.gz bad.jsonl.gz
	printf '\xff\xff\xff\xff\xff\xff\xff\xff' | dd of=bad.jsonl.gz bs=1 seek=2000 conv=notrunc 2>/dev/null
	gzip -c full.jsonl > trailing.jsonl.gz
	printf 'junk\n' >> trailing.jsonl.gz
	for p in synth-stats synth-dedup synth-score; do
		run --separate-stderr ${PASS[$p]} cut.jsonl.gz
		assert_failure 1
		assert_equal "$stderr" "$p: cut.jsonl.gz:$line: truncated gzip input"
		run --separate-stderr ${PASS[$p]} bad.jsonl.gz
		assert_failure 1
		[[ "$stderr" =~ ^$p:\ bad.jsonl.gz:[0-9]+:\ corrupt\ gzip\ input:\  ]] || fail "$p: $stderr"
		run --separate-stderr ${PASS[$p]} trailing.jsonl.gz
		assert_failure 1
		assert_equal "$stderr" "$p: trailing.jsonl.gz:3001: corrupt gzip input: bytes after the last member that are not gzip"
		run ${p} -o out.jsonl cut.jsonl.gz
		assert_failure 1
		[ ! -e out.jsonl ] || fail "$p: a run that failed kept its -o file"
	done
	run synth-mix cut.jsonl.gz -o out.jsonl
	assert_failure 1
	assert_output --partial "cut.jsonl.gz:$line: truncated gzip input"
	[ ! -e out.jsonl ]
	# synth-stats prints no figures for the corpus it could not read.
	run --separate-stderr synth-stats cut.jsonl.gz
	assert_output ""
}

# tree: a corpus folder of shards, some compressed, some to skip.
tree() {
	mkdir -p corpus/b corpus/a.b corpus/c/d corpus/.cache
	records 2 a-x > corpus/a.b/x.jsonl
	records 2 b-y > corpus/b/y.jsonl
	records 2 b-z | gzip > corpus/b/z.jsonl.gz
	records 2 c-d | zstd -q > corpus/c/d/deep.jsonl.zst
	records 2 top > corpus/top.json
	records 2 big-b > corpus/B.jsonl
	printf 'notes\n' > corpus/README.md
	printf 'id,text\n' > corpus/b/table.csv
	records 2 hidden > corpus/.cache/h.jsonl
	records 2 hidden > corpus/.h.jsonl
}

@test "a folder stands for its .jsonl, .json, .zst and .gz files, at any depth, in byte order of the path" {
	tree
	# Byte order of the whole path: "B" < "a.b/" < "b/" < "c/" < "top".
	local want
	want=$(cat corpus/B.jsonl corpus/a.b/x.jsonl corpus/b/y.jsonl; zcat corpus/b/z.jsonl.gz
		zstd -dc corpus/c/d/deep.jsonl.zst; cat corpus/top.json)
	run --separate-stderr synth-dedup --exact corpus
	assert_success
	assert_output "$want"
	assert_equal "$stderr" ""
	# A trailing slash, -j 1 and -j 4, a second folder and a file: the same order.
	assert_equal "$(synth-dedup --exact -j 1 corpus/)" "$want"
	assert_equal "$(synth-dedup --exact -j 4 corpus)" "$want"
	assert_equal "$(synth-dedup --exact corpus/b corpus/B.jsonl)" \
		"$(cat corpus/b/y.jsonl; zcat corpus/b/z.jsonl.gz; cat corpus/B.jsonl)"
	assert_equal "$(synth-stats corpus | jq .records)" 12
	assert_equal "$(synth-score corpus | jq -r .id | tr '\n' ' ')" \
		"big-b-1 big-b-2 a-x-1 a-x-2 b-y-1 b-y-2 b-z-1 b-z-2 c-d-1 c-d-2 top-1 top-2 "
}

@test "a folder's records are named by their own file and line; keep-first follows the path order" {
	mkdir -p corpus/b
	printf '{"text":"the same text in two shards of a corpus"}\n' > corpus/b/one.jsonl
	printf '{"text":"other"}\n{"text":"the same text in two shards of a corpus"}\n' > corpus/a.jsonl
	run synth-dedup --exact --mark corpus
	assert_success
	assert_line --index 2 '{"text":"the same text in two shards of a corpus","dedup":{"dup_of":"corpus/a.jsonl:2","similarity":1}}'
	printf '{"text":"ok"}\n{"text":3}\n' > corpus/b/two.jsonl
	run --separate-stderr synth-stats corpus
	assert_failure 1
	assert_equal "$stderr" 'synth-stats: corpus/b/two.jsonl:2: member "text" is not a string'
	assert_output ""
}

@test "files a folder holds that are not read are noted under -v only" {
	tree
	run --separate-stderr synth-stats corpus
	assert_success
	assert_equal "$stderr" ""
	run --separate-stderr synth-stats -v corpus
	assert_success
	[[ "$stderr" == *"synth-stats: corpus/README.md: skipped (not .jsonl or .json, with or without .zst or .gz)"* ]] || fail "$stderr"
	[[ "$stderr" == *"synth-stats: corpus/b/table.csv: skipped (not .jsonl or .json"* ]] || fail "$stderr"
	[[ "$stderr" == *"synth-stats: corpus/.cache: skipped (hidden)"* ]] || fail "$stderr"
	[[ "$stderr" == *"synth-stats: corpus/.h.jsonl: skipped (hidden)"* ]] || fail "$stderr"
	[[ "$stderr" != *"top.json"* && "$stderr" != *"deep"* ]] || fail "a file read was noted: $stderr"
	ln -s ../elsewhere corpus/link
	mkdir elsewhere
	records 1 away > elsewhere/away.jsonl
	run --separate-stderr synth-dedup -v corpus
	[[ "$stderr" == *"corpus/link: skipped (a link to a folder is not followed)"* ]] || fail "$stderr"
	[[ "$output" != *away* ]] || fail "a linked folder was read"
}

@test "an empty folder, or one with nothing to read, is an error, and a failed run prints no figures" {
	mkdir empty docs
	printf 'notes\n' > docs/README.md
	for p in synth-stats synth-dedup synth-score; do
		run --separate-stderr $p empty
		assert_failure 1
		assert_equal "$stderr" "$p: empty: a folder with no .jsonl or .json file (with or without .zst or .gz)"
		assert_output ""
		run --separate-stderr $p docs
		assert_failure 1
		assert_equal "$stderr" "$p: docs: a folder with no .jsonl or .json file (with or without .zst or .gz); -v lists what it holds"
		assert_output ""
	done
	run synth-mix empty -o mix.jsonl
	assert_failure 1
	assert_output --partial "empty: a folder with no .jsonl or .json file"
	[ ! -e mix.jsonl ]
	# synth-stats printed a JSON of zeros before; now no figures when an
	# input could not be read, alone or beside good ones, or --reference.
	records 5 good > good.jsonl
	run --separate-stderr synth-stats good.jsonl missing.jsonl
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "synth-stats: missing.jsonl: No such file or directory"
	run --separate-stderr synth-stats --reference good.jsonl good.jsonl missing.jsonl
	assert_failure 1
	assert_output ""
	run --separate-stderr synth-stats --table good.jsonl empty
	assert_failure 1
	assert_output ""
}

@test "synth-mix: a folder source is its files together, one source with its weight and label" {
	mkdir -p real/part
	records 60 ra > real/part/a.jsonl
	records 60 rb | gzip > real/b.jsonl.gz
	records 200 gen > gen.jsonl
	run synth-mix -n 100 --report r.json real/:3 gen.jsonl:1
	assert_success
	assert_equal "$(jq -c '[.sources[] | [.label, .docs, .available.docs]]' r.json)" '[["real",75,120],["gen",25,200]]'
	assert_equal "$(printf '%s\n' "$output" | jq -r 'select(.mix.source == "real") | .id' | sort -u | wc -l)" 75
	# Both files feed the source, b.jsonl.gz first.
	assert_equal "$(printf '%s\n' "$output" | jq -r 'select(.mix.source == "real") | .id' | head -1)" rb-1
	[[ "$output" == *'"id":"ra-'* ]] || fail "real/part/a.jsonl was not read"
	assert_equal "$(synth-mix -n 100 real:3 gen.jsonl:1 | md5sum)" "$(printf '%s\n' "$output" | md5sum)"
	# Read twice (to count, then to mix), a folder has what it skips noted once.
	printf 'notes\n' > real/README.md
	run --separate-stderr synth-mix -v -n 100 real:3 gen.jsonl:1
	assert_success
	assert_equal "$(printf '%s\n' "$stderr" | grep -c 'real/README.md: skipped')" 1
}

@test "an output that replaces a file of an input folder is locked" {
	mkdir corpus
	records 3 l > corpus/all.jsonl
	(exec 9>corpus/all.jsonl.lock && flock 9 && exec sleep 60) > /dev/null 2>&1 3>&- &
	local holder=$! i
	for i in $(seq 250); do
		[ -e corpus/all.jsonl.lock ] && ! flock -n corpus/all.jsonl.lock true && break
		sleep 0.02
	done
	run synth-dedup --wait-lock 0 -o corpus/all.jsonl corpus
	kill "$holder"
	wait "$holder" || true
	assert_failure 1
	assert_output --partial "corpus/all.jsonl: in use by another run"
	# An output beside the folder, not in it, takes no lock.
	run synth-dedup --wait-lock 0 -o all.jsonl corpus
	assert_success
}

# hint FILE WHAT [WHY]: every record loop, and synth-gen complete, say
# FILE looks like WHAT, after the scanner's WHY (default: invalid JSON).
hint() {
	local p why=${3:-invalid JSON}
	for p in synth-stats synth-dedup synth-score synth-mix; do
		run --separate-stderr $p "$1"
		assert_failure 1
		assert_equal "$stderr" "$p: $1:1: $why: this looks like $2; synth reads one JSON object per line, plain or compressed with zstd or gzip"
	done
	run --separate-stderr synth-gen complete --url http://127.0.0.1:9 --model m "$1"
	assert_failure 1
	assert_equal "$stderr" "synth-gen: $1:1: $why: this looks like $2; synth reads one JSON object per line, plain or compressed with zstd or gzip"
}

@test "a file of another format gets one line saying what it looks like and what synth reads" {
	printf 'id,text,source\n1,hello,web\n' > data.csv
	hint data.csv CSV
	printf 'id\ttext\n1\thello\n' > data.tsv
	hint data.tsv "TSV (tab-separated values)"
	printf '[{"text":"a"},{"text":"b"}]\n' > array.json
	hint array.json "a JSON array (jq -c '.[]' FILE writes one object per line)" \
		"not a JSON object (an array)"
	printf '[\n  {"text": "a"}\n]\n' > pretty-array.json
	hint pretty-array.json "a JSON array (jq -c '.[]' FILE writes one object per line)"
	printf '{\n  "text": "a"\n}\n' > pretty.json
	hint pretty.json "JSON spread over several lines (jq -c . FILE writes one object per line)"
	printf '{"text": "a",\n "id": 1}\n' > pretty2.json
	hint pretty2.json "JSON spread over several lines (jq -c . FILE writes one object per line)"
	printf 'PAR1\x15\x04\x15\x10\n\x00\x00binary' > data.parquet
	hint data.parquet "Parquet (convert it first, with pandas or duckdb)"
	printf '<?xml version="1.0"?>\n<doc/>\n' > data.xml
	hint data.xml "XML or HTML"
	printf '<!DOCTYPE html>\n' > page.html
	hint page.html "XML or HTML"
	printf 'Hello there. This is a plain text file, not JSON.\n' > notes.txt
	hint notes.txt "plain text"
	# Compressions synth does not decode, by their magic numbers.
	printf '\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4\x46' > data.jsonl.xz
	hint data.jsonl.xz "xz-compressed data (xz -dc FILE | ...)"
	printf 'BZh91AY&SY\x8f\x13' > data.jsonl.bz2
	hint data.jsonl.bz2 "bzip2-compressed data (bzip2 -dc FILE | ...)"
	printf 'PK\x03\x04\x14\x00' > data.zip
	hint data.zip "a zip archive (unzip it first)"
	printf '{"text":"a"}\n' | gzip | gzip > twice.gz
	hint twice.gz "gzip-compressed data inside compressed data"
	printf '\xff\xfe{\x00}\x00\n\x00' > utf16.jsonl
	hint utf16.jsonl "UTF-16 text (synth reads UTF-8: iconv -f UTF-16 -t UTF-8)"
	# A first line that is a broken object, or JSON that is not an
	# object, keeps the scanner's message; so does a bad record after
	# the first.
	printf '{"text":"a" "id":1}\n' > broken.jsonl
	run synth-stats broken.jsonl
	assert_output "synth-stats: broken.jsonl:1: invalid JSON: expected ',' or '}' at byte 13"
	printf '{"text":"a\0"}\n' > nul.jsonl
	run synth-stats nul.jsonl
	assert_output "synth-stats: nul.jsonl:1: NUL byte in record at byte 11"
	printf '[1,2]\n' > numbers.jsonl
	run synth-stats numbers.jsonl
	assert_output "synth-stats: numbers.jsonl:1: not a JSON object (an array)"
	printf '"a string"\n' > string.jsonl
	run synth-stats string.jsonl
	assert_output "synth-stats: string.jsonl:1: not a JSON object"
	printf '{"text":"a"}\nid,text\n' > second.jsonl
	run synth-stats second.jsonl
	assert_output "synth-stats: second.jsonl:2: invalid JSON: unexpected character at byte 1"
}

@test "the hint comes once, for a file's first record, under --skip-invalid too" {
	# One valid record, so that the run does not fail for reading none.
	printf 'id,text\n1,a\n{"text":"fine"}\n' > data.csv
	run --separate-stderr synth-dedup --skip-invalid data.csv
	assert_success
	assert_equal "$(printf '%s\n' "$stderr" | grep -c 'looks like')" 1
	assert_output '{"text":"fine"}'
	[[ "$stderr" == *"data.csv:1: invalid JSON: this looks like CSV; "*"(skipped)"* ]] || fail "$stderr"
	[[ "$stderr" == *"data.csv:2: invalid JSON: "* ]] || fail "$stderr"
	# A folder: each file's first record.
	mkdir d
	printf '{"text":"fine"}\n' > d/a.jsonl
	cp data.csv d/b.jsonl
	run --separate-stderr synth-stats d
	assert_failure 1
	assert_equal "$stderr" "synth-stats: d/b.jsonl:1: invalid JSON: this looks like CSV; synth reads one JSON object per line, plain or compressed with zstd or gzip"
}

@test "an unknown option gets the nearest option, or ours for another tool's name" {
	run synth-dedup --treshold 0.9
	assert_failure 2
	assert_line --index 0 "synth-dedup: unknown option '--treshold' (did you mean --threshold?)"
	assert_line --index 1 "Try 'synth-dedup --help' for more information."
	run synth-dedup --treshold=0.9
	assert_line --index 0 "synth-dedup: unknown option '--treshold' (did you mean --threshold?)"
	run synth-dedup --num-perm 128
	assert_line --index 0 "synth-dedup: unknown option '--num-perm' (did you mean --perms?)"
	run synth-dedup --skip_invalid
	assert_line --index 0 "synth-dedup: unknown option '--skip_invalid' (did you mean --skip-invalid?)"
	run synth-mix --totl 5 a.jsonl
	assert_line --index 0 "synth-mix: unknown option '--totl' (did you mean --total?)"
	run synth-score --preest c4
	assert_line --index 0 "synth-score: unknown option '--preest' (did you mean --preset?)"
	local p
	for p in synth-stats synth-dedup synth-score synth-mix; do
		run $p --text-key content
		assert_failure 2
		assert_line --index 0 "$p: unknown option '--text-key' (did you mean --field?)"
	done
	run synth-gen markov --text_key content
	assert_line --index 0 "synth-gen: unknown option '--text_key' (did you mean --field?)"
	# Another tool's name for an option this program lacks: no guess.
	run synth-stats --num-perm 128
	assert_failure 2
	assert_line --index 0 "synth-stats: unknown option '--num-perm'"
	# Nothing near: no guess.
	run synth-stats --frobnicate
	assert_line --index 0 "synth-stats: unknown option '--frobnicate'"
	# An abbreviation of several: which.
	run synth-dedup --s 1
	assert_failure 2
	assert_line --index 0 "synth-dedup: option '--s' is ambiguous: --shard-index, --seed, --skip-invalid"
	# Short options are left as they were.
	run synth-stats -x
	assert_line --index 0 "synth-stats: unknown option '-x'"
}
