#!/bin/sh
# nightly.sh: the nightly job of a corpus server, run by cron.
#
#   nightly.sh DIR [DAY]
#
# A crontab line (02:15 every night, the log kept, mail on failure):
#
#   15 2 * * * /opt/synth/examples/cron/nightly.sh /srv/corpus >> /var/log/synth-nightly.log 2>&1
#
# DIR holds:
#   incoming/DAY/    the day's generated shards (*.jsonl, *.jsonl.gz,
#                    *.jsonl.zst), read as one folder in byte order
#   real/            fresh real text, a folder of shards
#   test/            the evaluation sets that must not leak into training
#   state/seen.idx   the index of every record kept on earlier days
#                    (made on the first night)
# and the job writes DIR/out/DAY/: kept.jsonl.gz (the day's records,
# without those seen on earlier days or in the day before them, nor
# those sharing a 13-gram with a test set), dropped.jsonl.gz (what was
# dropped, with the reason and the record it duplicates),
# mix.jsonl.gz (real text and the kept records, 30% synthetic) and
# stats.json (the mix against the real text).
#
# One run at a time: a second start while one runs says so and exits 1
# (flock on DIR/state/nightly.lock). Every step writes its files under
# temporary names and renames them when it succeeded, and the index is
# saved only after the day's records were; a failed step stops the job,
# leaves yesterday's index as it was and exits non-zero, so that cron
# mails the log, and running the job again for that DAY starts over.
# The log is lines a person reads: time, day, step, what came of it.
set -eu

dir=${1:?usage: nightly.sh DIR [DAY]}
day=${2:-$(date +%F)}
out=$dir/out/$day

log() { printf '%s nightly %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$day" "$*"; }
fail() { log "FAILED: $*"; exit 1; }

mkdir -p "$dir/state" "$out"
exec 9>"$dir/state/nightly.lock"
flock -n 9 || fail "another nightly run holds $dir/state/nightly.lock"

[ -d "$dir/incoming/$day" ] || fail "no folder $dir/incoming/$day"
log "start: $(find "$dir/incoming/$day" -type f | wc -l) shards in incoming/$day"

# Deduplicate against every earlier day and decontaminate against the
# test sets, in one pass; -q keeps the log to this job's own lines.
against=
for t in "$dir"/test/*.jsonl; do
	[ -e "$t" ] && against="$against --against $t"
done
# shellcheck disable=SC2086
synth-dedup -q --index "$dir/state/seen.idx" $against \
	--dups "$out/dropped.jsonl.gz" -o "$out/kept.jsonl.gz" "$dir/incoming/$day" ||
	fail "synth-dedup (exit $?); the index is as it was"
kept=$(zcat "$out/kept.jsonl.gz" | wc -l)
dropped=$(zcat "$out/dropped.jsonl.gz" | wc -l)
log "dedup: kept $kept, dropped $dropped (duplicates and test-set overlap); index saved"

# The mix: as much as the day's records allow at 30% synthetic.
synth-mix -q --seed 1 --label real --label synthetic --synthetic synthetic \
	-o "$out/mix.jsonl.gz" -- "$dir/real:0.7" "$out/kept.jsonl.gz:0.3" ||
	fail "synth-mix (exit $?)"
log "mix: $(zcat "$out/mix.jsonl.gz" | wc -l) records, 30% synthetic"

synth-stats -q --reference "$dir/real" -o "$out/stats.json" "$out/mix.jsonl.gz" ||
	fail "synth-stats (exit $?)"
log "stats: written to $out/stats.json"
log "done"
