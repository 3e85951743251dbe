#!/usr/bin/env bats
# Scale-out: the pipeline over 8 shards with GNU parallel
# (examples/scale/parallel.sh) gives what one run over all of them gives.

load helpers

# corpus.jsonl: the English records of the example corpus and edited
# copies of them, shuffled, so that near-duplicates cross the shards'
# boundaries; shards/NN.jsonl: it in 8 pieces, two of them compressed.
make_shards() {
	jq -c 'select(.lang == "en")' "$ROOT/examples/corpus.jsonl" > en.jsonl
	jq -c '.id += "-c" | .text += " with a few words more"' en.jsonl > copies.jsonl
	awk 'NR % 3 == 0' en.jsonl | jq -c '.id += "-x" | .text |= sub("the "; "")' > edits.jsonl
	cat en.jsonl copies.jsonl edits.jsonl | shuf --random-source=en.jsonl > corpus.jsonl
	mkdir shards
	split -n l/8 -d --additional-suffix=.jsonl corpus.jsonl shards/
	zstd -q --rm shards/03.jsonl shards/06.jsonl
}

@test "GNU parallel over 8 shards: the dedup output and the figures of one run" {
	make_shards
	run "$ROOT/examples/scale/parallel.sh" shards out
	assert_success
	# One run over the shards in order.
	for s in shards/*; do zstd -dcf "$s"; done > whole.jsonl
	synth-dedup whole.jsonl | synth-score --preset gopher --filter |
		synth-stats --tee single.json > single.jsonl
	for s in shards/*; do cat "out/kept/${s##*/}"; done > sharded.jsonl
	[ -s single.jsonl ] || fail "nothing kept"
	cmp single.jsonl sharded.jsonl
	cmp single.json out/stats.json
	# Near-duplicates were dropped across shards, not only within.
	assert_equal "$(wc -l < whole.jsonl)" 1866
	[ "$(synth-dedup whole.jsonl | wc -l)" -lt 1300 ]
}

@test "GNU parallel over 8 shards, exact mode and --mark: the same as one run" {
	make_shards
	DEDUP_OPTS="--exact" SCORE_OPTS="--preset c4" run "$ROOT/examples/scale/parallel.sh" shards out
	assert_success
	for s in shards/*; do zstd -dcf "$s"; done > whole.jsonl
	synth-dedup --exact whole.jsonl | synth-score --preset c4 > single.jsonl
	for s in shards/*; do cat "out/kept/${s##*/}"; done > sharded.jsonl
	cmp single.jsonl sharded.jsonl
	# --apply marks as one run marks: the same ids and similarities.
	for s in shards/*; do
		synth-dedup --exact --mark --apply "out/idx/${s##*/}.idx.verdicts" "$s"
	done > marked.jsonl
	synth-dedup --exact --mark whole.jsonl > single-marked.jsonl
	cmp single-marked.jsonl marked.jsonl
}

@test "GNU parallel: a sample of 8 shards is the sample of the whole" {
	make_shards
	parallel -k synth-mix --label all --sample 0.3 --seed 5 {} ::: shards/* > sharded.jsonl
	for s in shards/*; do zstd -dcf "$s"; done | synth-mix --label all --sample 0.3 --seed 5 - > single.jsonl
	[ -s single.jsonl ] || fail "empty sample"
	cmp single.jsonl sharded.jsonl
}

@test "sharded dedup: verdicts of another shard, a changed shard, mixed options are refused" {
	make_shards
	synth-dedup --shard-index 00.idx shards/00.jsonl
	synth-dedup --shard-index 01.idx shards/01.jsonl
	synth-dedup --merge-index -o index 00.idx 01.idx
	run synth-dedup --apply 00.idx.verdicts -o out.jsonl shards/01.jsonl
	assert_failure 1
	assert_output --partial "shards/01.jsonl: more records than the shard signed for 00.idx.verdicts"
	[ ! -e out.jsonl ] || fail "output written"
	# One record fewer, or one record changed: found at the end.
	head -n -1 shards/00.jsonl > short.jsonl
	run synth-dedup --apply 00.idx.verdicts -o out.jsonl short.jsonl
	assert_failure 1
	assert_output --partial "not the shard whose verdicts 00.idx.verdicts holds"
	[ ! -e out.jsonl ] || fail "output written"
	sed '5s/"text":"/"text":"Changed: /' shards/00.jsonl > changed.jsonl
	run synth-dedup --apply 00.idx.verdicts -o out.jsonl changed.jsonl
	assert_failure 1
	assert_output --partial "other contents"
	run synth-dedup --exact --merge-index -o index 00.idx
	assert_failure 1
	assert_output --partial "00.idx:"
	run synth-dedup --merge-index -o index shards/00.jsonl
	assert_failure 1
	assert_output --partial "not a shard index"
	run synth-dedup --merge-index 00.idx
	assert_failure 2
	run synth-dedup --shard-index x.idx --apply 00.idx.verdicts shards/00.jsonl
	assert_failure 2
	run synth-dedup --shard-index x.idx --index y.idx shards/00.jsonl
	assert_failure 2
	# The merged index is an index like any: a later run against it
	# drops what the shards held.
	run bash -c "synth-dedup --index index shards/00.jsonl | wc -l"
	assert_output 0
}

@test "GNU parallel, step 2 split over 3 nodes by band: the dedup output and the figures of one run" {
	make_shards
	# Copies too: a record like an earlier one is written as a pair once.
	cat shards/00.jsonl >> shards/05.jsonl
	MERGE_NODES=3 run "$ROOT/examples/scale/parallel.sh" shards out
	assert_success
	for s in shards/*; do zstd -dcf "$s"; done > whole.jsonl
	synth-dedup whole.jsonl | synth-score --preset gopher --filter |
		synth-stats --tee single.json > single.jsonl
	for s in shards/*; do cat "out/kept/${s##*/}"; done > sharded.jsonl
	[ -s single.jsonl ] || fail "nothing kept"
	cmp single.jsonl sharded.jsonl
	cmp single.json out/stats.json
	[ -s out/pairs/1 ] && [ -s out/pairs/3 ] && [ ! -e out/pairs/4 ]
	[ ! -e out/index ] || fail "an index written"
	# --mark names the record each duplicates, as one run does.
	for s in shards/*; do
		synth-dedup --mark --apply "out/idx/${s##*/}.idx.verdicts" "$s"
	done > marked.jsonl
	synth-dedup --mark whole.jsonl > single-marked.jsonl
	cmp single-marked.jsonl marked.jsonl
	[ "$(grep -c dup_of marked.jsonl)" -gt 600 ]
}

# chains.jsonl: groups of records each made from the one before by
# changing a few words, shuffled, so that a record is often like a
# dropped one and not like what that one duplicates: keep-first must
# then keep it.
make_chains() {
	awk 'BEGIN {
		srand(7)
		for (c = 0; c < 150; c++) {
			for (w = 0; w < 40; w++) t[w] = "w" int(rand() * 5000)
			for (v = 0; v < 1 + int(rand() * 12); v++) {
				for (q = int(rand() * 4); q > 0; q--) t[int(rand() * 40)] = "w" int(rand() * 5000)
				s = t[0]
				for (w = 1; w < 40; w++) s = s " " t[w]
				rec[n++] = s
			}
		}
		for (i = 0; i < n; i++) { j = int(rand() * n); x = rec[i]; rec[i] = rec[j]; rec[j] = x }
		for (i = 0; i < n; i++) printf "{\"id\":\"r%d\",\"text\":\"%s\"}\n", i, rec[i]
	}' > chains.jsonl
	mkdir c
	split -n l/5 -d --additional-suffix=.jsonl chains.jsonl c/
}

# split_merge N OPTS...: step 1 and step 2 split over N nodes on c/, the
# verdicts into c/N/.
split_merge() {
	local n=$1 i pairs=()
	shift
	mkdir -p "c/$n"
	for s in c/*.jsonl; do cp "$s.idx" "c/$n/${s#c/}.idx"; done
	for i in $(seq "$n"); do
		synth-dedup "$@" --merge-bands "$i/$n" -o "c/$n/pairs.$i" c/"$n"/*.idx
		pairs+=(--merge-pairs "c/$n/pairs.$i")
	done
	synth-dedup "$@" "${pairs[@]}" c/"$n"/*.idx
}

@test "--merge-bands and --merge-pairs: the verdicts of --merge-index for 1, 4 and 16 nodes, chains of near-duplicates, every mode" {
	make_chains
	for opts in "" "--threshold 0.6" "--no-verify" "--exact" "--perms 64 --threshold 0.9"; do
		read -r -a o <<< "$opts"
		for s in c/*.jsonl; do synth-dedup -q "${o[@]}" --shard-index "$s.idx" "$s"; done
		synth-dedup -q "${o[@]}" --merge-index -o c/index c/*.idx
		for n in 1 4 16; do
			split_merge "$n" -q "${o[@]}"
			for s in c/*.jsonl; do
				cmp "$s.idx.verdicts" "c/$n/${s#c/}.idx.verdicts" || fail "[$opts] $n nodes: $s"
			done
		done
		# Duplicates were found, and records like dropped ones kept.
		[ "$(cat c/*.jsonl | synth-dedup -q "${o[@]}" | wc -l)" -lt 900 ]
		rm -r c/1 c/4 c/16
	done
	# The chains matter: records whose latest earlier candidate (by
	# band) was dropped are kept when unlike what that one duplicates.
	synth-dedup --threshold 0.6 --mark c/*.jsonl > marked.jsonl
	[ "$(grep -vc dup_of marked.jsonl)" -gt 300 ]
}

@test "--merge-bands and --merge-pairs: a node missing or twice, other options, a changed shard, bad arguments" {
	make_chains
	for s in c/*.jsonl; do synth-dedup -q --shard-index "$s.idx" "$s"; done
	for i in 1 2; do synth-dedup -q --merge-bands $i/2 -o p.$i c/*.idx; done
	run synth-dedup --merge-pairs p.1 c/*.idx
	assert_failure 1
	assert_output --partial "p.1: node 1 of 2, but 1 files of pairs are given"
	[ ! -e c/00.jsonl.idx.verdicts ] || fail "verdicts written"
	run synth-dedup --merge-pairs p.1 --merge-pairs p.1 c/*.idx
	assert_failure 1
	assert_output --partial "p.1: node 1 of 2 again"
	run synth-dedup --threshold 0.78 --merge-pairs p.1 --merge-pairs p.2 c/*.idx
	assert_failure 1
	assert_output --partial "p.1: made with another --threshold"
	run synth-dedup --merge-pairs p.1 --merge-pairs p.2 c/0[0-3].jsonl.idx
	assert_failure 1
	assert_output --partial "p.1: made from 5 shards of"
	# A shard signed again from other records.
	head -n 5 c/02.jsonl > c/02.jsonl.tmp && mv c/02.jsonl.tmp c/02.jsonl
	cp c/01.jsonl.idx keep.idx
	synth-dedup -q --shard-index c/01.jsonl.idx c/02.jsonl
	run synth-dedup --merge-pairs p.1 --merge-pairs p.2 c/*.idx
	assert_failure 1
	assert_output --regexp "p.1: made from (another c/01.jsonl.idx|5 shards of)"
	cp keep.idx c/01.jsonl.idx
	# A damaged pairs file, a damaged shard.
	printf 'x' | dd of=p.2 bs=1 seek=200 conv=notrunc 2> /dev/null
	run synth-dedup --merge-pairs p.1 --merge-pairs p.2 c/*.idx
	assert_failure 1
	assert_output --partial "p.2: corrupt"
	printf 'x' | dd of=c/03.jsonl.idx bs=1 seek=300 conv=notrunc 2> /dev/null
	run synth-dedup --merge-bands 1/2 -o p.1 c/*.idx
	assert_failure 1
	assert_output --partial "c/03.jsonl.idx: corrupt: the checksum does not match"
	run synth-dedup --merge-bands 1/2 -o p.1 shards
	assert_failure 1
	run synth-dedup --exact --merge-bands 1/2 -o p.1 c/00.jsonl.idx
	assert_failure 1
	assert_output --partial "c/00.jsonl.idx: a near-duplicate index"
	# Usage.
	for bad in 0/2 3/2 2 1/0 x/2 "1/2x"; do
		run synth-dedup --merge-bands "$bad" -o p c/00.jsonl.idx
		assert_failure 2
	done
	run synth-dedup --merge-bands 1/2 c/00.jsonl.idx
	assert_failure 2
	assert_output --partial "give -o FILE"
	run synth-dedup --merge-pairs p.1 -o index c/00.jsonl.idx
	assert_failure 2
	assert_output --partial "leave out -o"
	run synth-dedup --merge-bands 1/2 --merge-pairs p.1 -o p c/00.jsonl.idx
	assert_failure 2
	run synth-dedup --merge-pairs p.1 --mark c/00.jsonl.idx
	assert_failure 2
}

@test "--merge-bands: k copies of a record are k - 1 pairs, not k(k-1)/2, with the verdicts of --merge-index" {
	# 3000 copies of one text, 10 of another, each copy its own id.
	local a b
	a=$(jq -r 'select(.lang == "en") | .text' "$ROOT/examples/corpus.jsonl" | awk 'length > 300' | head -n 1)
	b=$(jq -r 'select(.lang == "en") | .text' "$ROOT/examples/corpus.jsonl" | awk 'length > 300' | sed -n 2p)
	for i in $(seq 3000); do jq -cn --arg t "$a" --arg i "a$i" '{id: $i, text: $t}'; done > a.jsonl
	for i in $(seq 10); do jq -cn --arg t "$b" --arg i "b$i" '{id: $i, text: $t}'; done > b.jsonl
	mkdir s
	cat b.jsonl a.jsonl > all.jsonl
	split -n l/3 -d --additional-suffix=.jsonl all.jsonl s/
	for s in s/*.jsonl; do synth-dedup -q --shard-index "$s.idx" "$s"; done
	synth-dedup -q --merge-index -o index s/*.idx
	mkdir ref && cp s/*.verdicts ref/ && rm s/*.verdicts
	run synth-dedup -v --merge-bands 1/1 -o p s/*.idx
	assert_success
	assert_output --partial ", 3008 pairs;"
	synth-dedup --merge-pairs p s/*.idx
	for s in s/*.jsonl; do cmp "ref/${s#s/}.idx.verdicts" "$s.idx.verdicts"; done
	run bash -c "cat s/*.jsonl | synth-dedup | jq -r .id"
	assert_output "$(printf '%s\n' b1 a1)"
}
