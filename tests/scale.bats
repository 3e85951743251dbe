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
