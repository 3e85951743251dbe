#!/usr/bin/env bash
# One round of the self-rewarding loop, with a verifier: a model answers
# each prompt K times, a program checks the answers that can be checked,
# the model grades only those that passed (Yuan et al. 2024, self-rewarding
# language models, with execution feedback before the judge), and the
# round ends with the data of the next round of training:
#
#   prompts.jsonl   the prompts: products of two numbers, every pair of
#                   examples/prompts/factors.txt through product.tpl
#   answers.jsonl   K answers to each (synth-gen complete --samples K,
#                   seeds SEED to SEED+K-1)
#   passed.jsonl    the answers whose last number is the product, as bc
#                   computes it from the prompt's slots (synth-score
#                   --verify, in its sandbox); failed.jsonl the others
#   best.jsonl      of the answers that passed, the one the model grades
#                   best for each prompt (synth-score --judge --best-of
#                   synth.parent --rank-by judge): the supervised set
#   pairs.jsonl     a preference pair for each prompt with an answer that
#                   passed and one that failed: the best as chosen, an
#                   answer that failed verification as rejected
#                   (synth-score --best-of --rank-by verified --pairs), so
#                   that no pair rests on the judge's taste alone
#
# A prompt none of whose answers passed has no best and no pair; one all
# of whose answers passed has a best and no pair.
#
# Usage: examples/self-reward.sh URL MODEL FOLDER [K]
#
# URL serves MODEL through the OpenAI chat-completions protocol (see
# synth-gen(1)); K is 4 unless given, SEED (the environment) 0. The
# programs come from $BUILD (default build/) or the PATH.
set -euo pipefail
export LC_ALL=C

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
	echo "usage: examples/self-reward.sh URL MODEL FOLDER [K]" >&2
	exit 2
fi
url=$1 model=$2 k=${4:-4} seed=${SEED:-0}
mkdir -p "$3"
dir=$(cd "$3" && pwd)
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
case $BUILD in
/*) PATH="$BUILD:$PATH" ;;
*) PATH="$PWD/$BUILD:$PATH" ;;
esac

# The verifier: the record on standard input (its prompt's slots a and
# b under synth.slots), the answer in $SYNTH_TEXT_FILE; its last number
# must be a * b. It runs once for each answer, in a fresh folder.
verify='want=$(jq -r ".synth.slots | .a + \" * \" + .b" | bc) &&
got=$(grep -oE -- "-?[0-9]+" "$SYNTH_TEXT_FILE" | tail -n 1) &&
test "$got" = "$want"'

p=examples/prompts
synth-gen prompts -t $p/product.tpl --slot a=$p/factors.txt --slot b=$p/factors.txt --all \
	-o "$dir/prompts.jsonl"
synth-gen complete --url "$url" --model "$model" --samples "$k" --seed "$seed" \
	-o "$dir/answers.jsonl" "$dir/prompts.jsonl"
synth-score --verify "$verify" --filter --rejects "$dir/failed.jsonl" -o "$dir/passed.jsonl" \
	"$dir/answers.jsonl"
synth-score --judge "$url" --model "$model" --best-of synth.parent --rank-by judge \
	-o "$dir/best.jsonl" "$dir/passed.jsonl"
# The best and the failed answers of each prompt side by side (best
# first), then a pair for each prompt that has both.
jq -s -c 'sort_by(.synth.parent) | .[]' "$dir/best.jsonl" "$dir/failed.jsonl" |
	synth-score --verify "$verify" --best-of synth.parent --rank-by verified --pairs \
		-o "$dir/pairs.jsonl"
printf '%s: %s answers, %s passed, %s failed; %s best, %s pairs\n' "$dir" \
	"$(wc -l < "$dir/answers.jsonl")" "$(wc -l < "$dir/passed.jsonl")" \
	"$(wc -l < "$dir/failed.jsonl")" "$(wc -l < "$dir/best.jsonl")" "$(wc -l < "$dir/pairs.jsonl")"
