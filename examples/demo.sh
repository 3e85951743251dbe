#!/usr/bin/env bash
# make demo: the main job on the bundled example corpus.
#
# For now that is synth-stats: the figures of the seed corpus, overall
# and per language, with the most frequent n-grams. Later programs grow
# this into the whole pipeline (generate, dedup, score, mix, measure).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
PATH="$PWD/$BUILD:$PATH"
out="$BUILD/demo"
mkdir -p "$out"

corpus=examples/corpus.jsonl
echo "== synth-stats on $corpus ($(wc -l < "$corpus") records)"
synth-stats --table --top 5 --by lang "$corpus"
synth-stats --json --top 20 --by lang -o "$out/stats.json" "$corpus"
echo
echo "The same figures as JSON: $out/stats.json"
