#!/usr/bin/env bash
# The pipeline over a folder of shards with GNU parallel: deduplicate
# across all the shards (exactly as one run over them in order would),
# score and filter, and measure, then merge the figures.
#
#   examples/scale/parallel.sh SHARDS OUT
#
# SHARDS is a folder of .jsonl or .jsonl.zst files, taken in the order of
# their names (keep-first follows it). OUT gets:
#   idx/NAME.idx, idx/NAME.idx.verdicts  step 1 and 2: each shard signed, its verdicts
#   index                                step 2: the index of every record kept
#                                        (not with MERGE_NODES)
#   pairs/I                              step 2a, with MERGE_NODES: node I's pairs
#   kept/NAME                            step 3: each shard deduplicated and filtered
#   state/NAME.state                     step 3: its statistics' state
#   stats.json                           step 4: the figures of everything kept
#
# Environment:
#   JOBS        parallel's -j (default: one job a core)
#   SSHLOGIN    parallel's --sshlogin, e.g. "8/host1,8/host2": the steps that
#               run per shard go to those hosts, which need synth on their PATH
#               and SHARDS and OUT at the same paths (a shared file system)
#   MERGE_NODES split step 2 over this many jobs (synth-dedup --merge-bands
#               I/N, run like the steps per shard, then --merge-pairs once),
#               for corpora whose signatures do not fit one machine's memory;
#               unset: one --merge-index
#   DEDUP_OPTS  options for every synth-dedup step (the same in each)
#   SCORE_OPTS  options for synth-score (default: --preset gopher --filter)
#   STATS_OPTS  options for synth-stats (the same for --partial and --merge)
#
# Costs: step 1 signs every record (the work of synth-dedup, spread over
# the cores); step 2 is one process that reads every signature once and
# does the index lookups only (a few seconds a million records), holding
# about 250 bytes a record; with MERGE_NODES=N each of N jobs reads every
# signature and holds 16 bytes x bands / N a record, and the last part a
# bit a record and the duplicates (synth-dedup(1), SHARDED RUNS); step 3
# reads each shard again at the speed of synth-score; step 4 reads the
# states, a few MB each.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: $0 SHARDS OUT" >&2
	exit 2
fi
in=$1 out=$2
export LC_ALL=C
read -r -a dedup <<< "${DEDUP_OPTS:-}"
read -r -a score <<< "${SCORE_OPTS:---preset gopher --filter}"
read -r -a stats <<< "${STATS_OPTS:-}"
par=(parallel --halt now,fail=1 -j "${JOBS:-100%}")
[ -n "${SSHLOGIN:-}" ] && par+=(--sshlogin "$SSHLOGIN")

mapfile -t shards < <(find "$in" -maxdepth 1 -type f \( -name '*.jsonl' -o -name '*.jsonl.zst' \) | sort)
[ ${#shards[@]} -gt 0 ] || { echo "$0: $in: no .jsonl or .jsonl.zst files" >&2; exit 1; }
mkdir -p "$out/idx" "$out/kept" "$out/state"

# 1. Sign each shard's records, in parallel.
"${par[@]}" synth-dedup "${dedup[@]}" --shard-index "$out/idx/{/}.idx" {} ::: "${shards[@]}"

# 2. Decide keep-first over all of them, in order: one process, or
# MERGE_NODES jobs that each find the pairs of their share of the LSH
# bands, then one that decides from the pairs.
idx=()
for s in "${shards[@]}"; do idx+=("$out/idx/${s##*/}.idx"); done
nodes=${MERGE_NODES:-}
if [ -z "$nodes" ]; then
	synth-dedup "${dedup[@]}" --merge-index -o "$out/index" "${idx[@]}"
else
	mkdir -p "$out/pairs"
	"${par[@]}" synth-dedup "${dedup[@]}" --merge-bands "{}/$nodes" -o "$out/pairs/{}" "${idx[@]}" \
		::: $(seq "$nodes")
	pairs=()
	for i in $(seq "$nodes"); do pairs+=(--merge-pairs "$out/pairs/$i"); done
	synth-dedup "${dedup[@]}" "${pairs[@]}" "${idx[@]}"
fi

# 3. Each shard: drop what step 2 decided, score and filter, count.
"${par[@]}" "synth-dedup ${dedup[*]} --apply $out/idx/{/}.idx.verdicts {} |
	synth-score ${score[*]} |
	synth-stats ${stats[*]} --partial --tee $out/state/{/}.state > $out/kept/{/}" ::: "${shards[@]}"

# 4. The figures of everything kept.
synth-stats "${stats[@]}" --merge -o "$out/stats.json" "$out"/state/*.state
