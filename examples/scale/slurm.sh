#!/usr/bin/env bash
# The pipeline of parallel.sh as Slurm jobs: deduplicate across all the
# shards (exactly as one run over them in order would), score and filter,
# and measure, then merge the figures. Four jobs, each waiting for the one
# before to succeed (--dependency=afterok, on the whole array):
#
#   sign.sbatch   an array, a task per shard  synth-dedup --shard-index
#   merge.sbatch  one task                    synth-dedup --merge-index
#                 or, with MERGE_NODES=N, two jobs:
#   bands.sbatch  an array, a task per node   synth-dedup --merge-bands I/N
#   pairs.sbatch  one task                    synth-dedup --merge-pairs ...
#   apply.sbatch  an array, a task per shard  synth-dedup --apply | synth-score | synth-stats --partial
#   stats.sbatch  one task                    synth-stats --merge
#
#   examples/scale/slurm.sh [--wait] SHARDS OUT
#
# SHARDS is a folder of .jsonl or .jsonl.zst files, taken in the order of
# their names (keep-first follows it); array task i is the shard on line
# i + 1 of OUT/shards.list. Both folders must be at the same paths on
# the nodes (a shared file system), and synth on their PATH: the jobs get
# the environment of this script, as sbatch passes it by default.
# OUT gets, besides what parallel.sh writes there (idx/, index, kept/,
# state/, stats.json):
#   shards.list   the shards, one absolute path a line, in order
#   options       the options of the steps, read by each job
#   log/STEP.log, log/STEP-I.log   each job's or array task's output
#
# The job ids go to the standard output, a line a step ("sign 1234").
# Without --wait the script ends once the jobs are submitted. With
# --wait it stays until they have all ended, and exits 0 only if every
# task completed; otherwise it names each task that did not, with its
# log, and exits 1. A step that fails cancels the steps after it
# (--kill-on-invalid-dep). Interrupting --wait cancels the jobs.
#
# Environment:
#   JOBS        the most array tasks running at once (the array's %N;
#               default: as many as Slurm gives)
#   MERGE_NODES split step 2 over this many array tasks by LSH band (and
#               a last task that decides from their pairs, OUT/pairs/I), for
#               corpora whose signatures do not fit one node's memory; no
#               OUT/index is written then
#   DEDUP_OPTS  options for every synth-dedup step (the same in each)
#   SCORE_OPTS  options for synth-score (default: --preset gopher --filter)
#   STATS_OPTS  options for synth-stats (the same for --partial and --merge)
#   POLL        seconds between looks at the queue under --wait (default 5)
# and sbatch's own: SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT,
# SBATCH_MEM_PER_NODE, ... apply to every job (the merge step holds the
# index of every record kept in memory, about 250 bytes a record; with
# MERGE_NODES=N a task of step 2a holds 16 bytes x bands / N a record).
set -euo pipefail

me=${0##*/}
wait=0
if [ "${1:-}" = --wait ]; then
	wait=1
	shift
fi
if [ $# -ne 2 ]; then
	echo "usage: $me [--wait] SHARDS OUT" >&2
	exit 2
fi
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
in=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
read -r -a dedup <<< "${DEDUP_OPTS:-}"
read -r -a score <<< "${SCORE_OPTS:---preset gopher --filter}"
read -r -a stats <<< "${STATS_OPTS:-}"
command -v sbatch > /dev/null || { echo "$me: sbatch: not found" >&2; exit 1; }

find "$in" -maxdepth 1 -type f \( -name '*.jsonl' -o -name '*.jsonl.zst' \) | sort > "$out/shards.list"
n=$(wc -l < "$out/shards.list")
[ "$n" -gt 0 ] || { echo "$me: $in: no .jsonl or .jsonl.zst files" >&2; exit 1; }
nodes=${MERGE_NODES:-}
case $nodes in
'' | [1-9] | [1-9][0-9] | [1-9][0-9][0-9] | [1-9][0-9][0-9][0-9]) ;;
*) echo "$me: MERGE_NODES=$nodes: not a number of nodes" >&2; exit 2 ;;
esac
mkdir -p "$out/idx" "$out/kept" "$out/state" "$out/log"
[ -z "$nodes" ] || mkdir -p "$out/pairs"
declare -p dedup score stats > "$out/options"

# These would change what the steps are (an array, a wait, a name, a
# log) if set in the environment; each job says its own.
unset SBATCH_ARRAY_INX SBATCH_WAIT SBATCH_JOB_NAME SBATCH_OUTPUT SBATCH_ERROR
array="0-$((n - 1))${JOBS:+%$JOBS}"

# submit NAME [SBATCH OPTIONS...]: submit the step NAME.sbatch, print
# its job id and add it to steps and ids. A step that cannot be
# submitted takes back those that were.
steps=() ids=()
submit() {
	local name=$1 id
	shift
	if ! id=$(sbatch --parsable --kill-on-invalid-dep=yes "$@" "$here/$name.sbatch" "$out" ${nodes:+"$nodes"}); then
		echo "$me: $name: not submitted" >&2
		[ ${#ids[@]} -eq 0 ] || scancel "${ids[@]}"
		exit 1
	fi
	id=${id%%;*}
	echo "$name $id"
	steps+=("$name") ids+=("$id")
}
submit sign --array="$array" --output="$out/log/sign-%a.log"
if [ -z "$nodes" ]; then
	submit merge --dependency="afterok:${ids[-1]}" --output="$out/log/merge.log"
else
	submit bands --array="0-$((nodes - 1))${JOBS:+%$JOBS}" --dependency="afterok:${ids[-1]}" \
		--output="$out/log/bands-%a.log"
	submit pairs --dependency="afterok:${ids[-1]}" --output="$out/log/pairs.log"
fi
submit apply --array="$array" --dependency="afterok:${ids[-1]}" --output="$out/log/apply-%a.log"
submit stats --dependency="afterok:${ids[-1]}" --output="$out/log/stats.log"
[ $wait = 1 ] || exit 0

trap 'scancel "${ids[@]}"; exit 130' INT
trap 'scancel "${ids[@]}"; exit 143' TERM

# Wait until none of the jobs is pending or running. squeue, given
# several ids, lists those it still has and no error for the others;
# an error means the controller did not answer, so look again later.
while :; do
	if left=$(IFS=,; squeue -h -j "${ids[*]}" -o %i 2> /dev/null); then
		[ -n "$left" ] || break
	fi
	sleep "${POLL:-5}"
done

# how_ended ID: "TASK STATE REASON EXITCODE" for each task of job ID
# (TASK "-" for a job that is no array), from the controller, which
# keeps ended jobs for a while (MinJobAge), or else from accounting.
how_ended() {
	local line
	if line=$(scontrol -o show job "$1" 2> /dev/null); then
		awk '{
			delete f
			for (i = 1; i <= NF; i++)
				if ((p = index($i, "=")) > 0)
					f[substr($i, 1, p - 1)] = substr($i, p + 1)
			print ("ArrayTaskId" in f ? f["ArrayTaskId"] : "-"), f["JobState"], f["Reason"], f["ExitCode"]
		}' <<< "$line"
	elif line=$(sacct -n -X -P -j "$1" -o JobID,State,ExitCode 2> /dev/null) && [ -n "$line" ]; then
		awk -F'|' '{
			t = $1; if (!sub(/^[^_]*_/, "", t)) t = "-"
			split($2, s, " "); print t, s[1], "-", $3
		}' <<< "$line"
	else
		echo "- UNKNOWN - -"
	fi
}

failed=0
for i in "${!steps[@]}"; do
	name=${steps[i]} id=${ids[i]}
	while read -r task state reason code; do
		[ "$state" = COMPLETED ] && continue
		failed=1
		case $task in
		-) what="$name (job $id)" log="$out/log/$name.log" ;;
		*[!0-9]*) what="$name tasks $task (job $id)" log= ;;
		*) what="$name task $task (job ${id}_$task)" log="$out/log/$name-$task.log" ;;
		esac
		why=$state
		[ "$code" = - ] || [ "$code" = 0:0 ] || why+=", exit code $code"
		case $reason in -|None|NonZeroExitCode) ;; *) why+=", $reason" ;; esac
		# A task that never ran has no log to look at.
		if [ -n "$log" ] && [ -s "$log" ]; then
			why+="; see $log"
		fi
		echo "$me: $what: $why" >&2
	done < <(how_ended "$id")
done
exit $failed
