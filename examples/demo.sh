#!/usr/bin/env bash
# make demo: the main job on the bundled example corpus.
#
# The figures of the seed corpus, overall and per language (synth-stats);
# prompts from the example templates (synth-gen prompts) and a model of
# the corpus that continues them (synth-gen markov); near-duplicates found
# among the corpus and edited copies of it (synth-dedup), and the quality
# of what is left (synth-score); generated documents put through the same
# checks and mixed with real text (synth-mix), measured against the corpus
# (synth-stats --reference); and the model-collapse experiment,
# examples/collapse.sh.
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
echo
echo "== synth-mix: generated documents through the same checks, a quarter of a mix with real text"
synth-gen markov --load "$out/corpus.ngm" -n 2000 --seed 2 |
	synth-dedup -q | synth-score -q --preset synthetic --filter -o "$out/kept.jsonl"
synth-mix -v --unit words --max-synthetic 0.3 --report "$out/mix.json" \
	--label real --label synthetic "$out/scored.jsonl:3" "$out/kept.jsonl:1" -o "$out/mix.jsonl"
echo "Mix: $out/mix.jsonl; what it holds, as JSON: $out/mix.json"
echo
echo "== synth-stats --reference: the generated documents and the mix against the corpus"
synth-stats --reference "$corpus" --table --html "$out/report.html" "$out/kept.jsonl" "$out/mix.jsonl"
echo "The same figures, with charts: $out/report.html"
echo
echo "== Model collapse: generations of the markov model trained on their own output"
examples/collapse.sh "$out/collapse"
