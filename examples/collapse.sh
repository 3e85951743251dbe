#!/usr/bin/env bash
# Model collapse, measured: generations of an n-gram model, each trained on
# what came before, under three regimes (Shumailov et al., Nature 2024;
# Gerstgrasser et al., 2024):
#
#   replace     generation k learns only from generation k-1's output;
#   fresh       from generation k-1's output mixed, 7 to 3 in words, with
#               real records that generation 0 never saw;
#   accumulate  from the real training records and every generation so far;
#   biased      from the best-scored half of generation k-1's output: its
#               documents of lowest perplexity under the model that made
#               them, as a pipeline that keeps only its "best" samples
#               does (sampling bias: Alemohammad et al., ICLR 2024).
#
# Usage: examples/collapse.sh [FOLDER]
#
# Everything goes to FOLDER (a new temporary folder when none is given):
# the real records, REGIME/gen-K.jsonl for each regime and generation
# (and gen-K.ngm, its model), the mixes of the fresh regime, the best
# halves of the biased one, REGIME.html and REGIME.jsonl (the figures of
# each generation against the real records, as synth-stats --json
# writes them), and regimes.html, whose trend charts put the regimes
# side by side, a line each; so do the last tables, a table a figure. The programs come from $BUILD
# (default build/) or the PATH. COLLAPSE_GENERATIONS (default 10) and
# COLLAPSE_ORDER (the model's order, default 3) change the experiment.
set -euo pipefail
export LC_ALL=C

if [ $# -gt 1 ]; then
	echo "usage: examples/collapse.sh [FOLDER]" >&2
	exit 2
fi
if [ $# -eq 1 ]; then
	mkdir -p "$1"
	dir=$(cd "$1" && pwd)
else
	dir=$(mktemp -d "${TMPDIR:-/tmp}/collapse.XXXXXX")
fi
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
case $BUILD in
/*) PATH="$BUILD:$PATH" ;;
*) PATH="$PWD/$BUILD:$PATH" ;;
esac

generations=${COLLAPSE_GENERATIONS:-10}
order=${COLLAPSE_ORDER:-3}
regimes=(replace fresh accumulate biased)

# The real text: the English records only. The model's words are runs
# between spaces, so the Chinese and Japanese records would be one long
# "word" each, and a model of six languages switches language mid-sentence;
# one language keeps the vocabulary figures about words.
real="$dir/real.jsonl"
jq -c 'select(.lang == "en")' examples/corpus.jsonl > "$real"

# Half of it (every other record, so both halves span every document)
# trains generation 0 and is what the accumulate regime keeps; the other
# half is held back as the fresh real data, never seen by generation 0.
awk 'NR % 2 == 1' "$real" > "$dir/train.jsonl"
awk 'NR % 2 == 0' "$real" > "$dir/fresh.jsonl"
n=$(wc -l < "$dir/train.jsonl")

for r in "${regimes[@]}"; do
	rm -rf "${dir:?}/$r"
	mkdir -p "$dir/$r"
done

# generate K FILE TRAIN...: generation K, N documents with seed K, from a
# model fitted on the TRAIN files. The same seed for every regime, so that
# they differ only in what their models learnt from.
generate() {
	local k=$1 out=$2 t
	shift 2
	local args=()
	for t in "$@"; do
		args+=(--train "$t")
	done
	synth-gen markov -q --order "$order" "${args[@]}" -n "$n" --seed "$k" \
		--id-prefix "gen$k" --save "${out%.jsonl}.ngm" -o "$out"
}

# best_half GEN MODEL OUT: the half of GEN's documents with the lowest
# perplexity under MODEL (the one that made them), ties by id.
best_half() {
	synth-score -q --lm "$2" "$1" |
		jq -s -c --argjson half "$((n / 2))" \
			'sort_by(.quality.perplexity, .id) | .[:$half][] | del(.quality)' > "$3"
}

echo "Real text: $(wc -l < "$real") English records of examples/corpus.jsonl;"
echo "$n train generation 0, $(wc -l < "$dir/fresh.jsonl") are held back as fresh data."
echo "Each generation: $n documents from an order-$order model; $generations generations."

start=$SECONDS
generate 0 "$dir/gen-0.jsonl" "$dir/train.jsonl"
for r in "${regimes[@]}"; do
	cp "$dir/gen-0.jsonl" "$dir/$r/gen-0.jsonl"
	cp "$dir/gen-0.ngm" "$dir/$r/gen-0.ngm"
done
for ((k = 1; k <= generations; k++)); do
	prev=gen-$((k - 1)).jsonl
	generate "$k" "$dir/replace/gen-$k.jsonl" "$dir/replace/$prev"

	# 70% synthetic, 30% real, in words: the previous generation gives all
	# its records and the fresh half gives 3/7 as many words, a different
	# selection each generation (the seed).
	synth-mix -q --unit words --seed "$k" \
		--label synthetic --label real --report "$dir/fresh/mix-$k.json" \
		-o "$dir/fresh/mix-$k.jsonl" "$dir/fresh/$prev:7" "$dir/fresh.jsonl:3"
	generate "$k" "$dir/fresh/gen-$k.jsonl" "$dir/fresh/mix-$k.jsonl"

	acc=("$dir/train.jsonl")
	for ((i = 0; i < k; i++)); do
		acc+=("$dir/accumulate/gen-$i.jsonl")
	done
	generate "$k" "$dir/accumulate/gen-$k.jsonl" "${acc[@]}"

	best_half "$dir/biased/$prev" "$dir/biased/${prev%.jsonl}.ngm" "$dir/biased/best-$((k - 1)).jsonl"
	generate "$k" "$dir/biased/gen-$k.jsonl" "$dir/biased/best-$((k - 1)).jsonl"
done
echo "Generated in $((SECONDS - start)) s: $dir/{$(
	IFS=,
	echo "${regimes[*]}"
)}/gen-{0..$generations}.jsonl"

# Every generation against all the real English records: a row each in
# the table, and an HTML report with charts. The names are relative to the
# folder, so that the rows read replace/gen-3.jsonl.
cd "$dir"
for r in "${regimes[@]}"; do
	gens=()
	for ((k = 0; k <= generations; k++)); do
		gens+=("$r/gen-$k.jsonl")
	done
	echo
	echo "== $r: each generation against the real English records"
	synth-stats --reference real.jsonl --table --html "$r.html" "${gens[@]}"
	synth-stats -q --reference real.jsonl --json "${gens[@]}" > "$r.jsonl"
done

# The regimes side by side: one HTML report of every generation of
# every regime, whose trend charts draw a line a regime (a folder each);
# and for each figure a table, a row a generation and a column a regime.
all=()
for r in "${regimes[@]}"; do
	for ((k = 0; k <= generations; k++)); do
		all+=("$r/gen-$k.jsonl")
	done
done
synth-stats -q --reference real.jsonl --html regimes.html "${all[@]}" > /dev/null
figure() {      # NAME JQ: the figure of each generation, a column a regime
	local name=$1 expr=$2 r
	echo
	printf '== %s by generation\n%-4s' "$name" gen
	printf ' %11s' "${regimes[@]}"
	echo
	for r in "${regimes[@]}"; do
		jq -r "$expr" "$r.jsonl" > "$r.col"
	done
	paste $(printf '%s.col ' "${regimes[@]}") |
		awk '{ printf "%-4d", NR - 1; for (i = 1; i <= NF; i++) printf " %11.4f", $i; print "" }'
	rm -f ./*.col
}
figure vocab_kept .reference.vocab_kept
figure rare_kept .reference.rare_kept
figure distinct-2 .distinct_2
figure js_div .reference.js_divergence
figure "ppl p50" .reference.perplexity.p50
echo
echo "HTML reports: $dir/{$(
	IFS=,
	echo "${regimes[*]}"
)}.html, and the regimes side by side: $dir/regimes.html"
