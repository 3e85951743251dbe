#!/usr/bin/env bash
# make demo: the main job on the bundled example corpus.
#
# For now: prompts from the example templates (synth-gen prompts), the
# figures of the seed corpus, overall and per language (synth-stats), and
# near-duplicates found among the corpus and edited copies of it
# (synth-dedup), and the quality of what is left (synth-score). Later
# programs grow this into the whole pipeline (generate, dedup, score,
# mix, measure).
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

echo
p=examples/prompts
echo "== synth-gen prompts: every combination of the templates in $p"
synth-gen prompts -v -t $p/explain.tpl -t $p/quiz.tpl --slot topic=$p/topics.txt \
	--slot persona=$p/personas.txt --slot n=$p/n.txt --all -o "$out/prompts.jsonl"
head -n 2 "$out/prompts.jsonl"
echo
echo "== synth-gen markov: a model of the corpus, three documents from it, the prompts continued"
synth-gen markov -v --train "$corpus" --save "$out/corpus.ngm"
synth-gen markov --load "$out/corpus.ngm" -n 3 --seed 1 --top-p 0.9 | jq -r '.text[0:160]'
synth-gen markov --load "$out/corpus.ngm" "$out/prompts.jsonl" -o "$out/continued.jsonl"
echo "Continued prompts: $out/continued.jsonl"
echo
echo "== synth-dedup: the corpus, then its English records again with a sentence added"
jq -c 'select(.lang == "en") | .id += "-copy" | .text += " I hope this helps!"' \
	"$corpus" > "$out/copies.jsonl"
cat "$corpus" "$out/copies.jsonl" |
	synth-dedup -v --dups "$out/dups.jsonl" -o "$out/dedup.jsonl"
echo "Kept: $out/dedup.jsonl; removed, each with the record it duplicates: $out/dups.jsonl"
echo
echo "== synth-score: Gopher's and our rules on what synth-dedup kept"
synth-score -v --preset gopher --preset synthetic --filter --rejects "$out/low-quality.jsonl" \
	-o "$out/scored.jsonl" "$out/dedup.jsonl" 2>&1 | tail -n 1 | cut -c1-200
echo "Kept: $out/scored.jsonl; dropped, with the rules each failed: $out/low-quality.jsonl"
