#!/usr/bin/env bats
# synth-score: signals on records, presets at their thresholds, --min and
# --max, --filter and --rejects, -j.

load helpers

# A record whose text is $1 (JSON-escaped by jq).
rec() {
	jq -cn --arg t "$1" '{text: $t}'
}

# words N: N distinct words "word1 word2 ..." and a full stop
words() {
	local i out=""
	for i in $(seq "$1"); do out+="word$i "; done
	printf '%s' "${out% }."
}

# has_reason RULE: for each record of stdin, 1 when it failed RULE, else 0
has_reason() {
	jq -r --arg r "$1" '.quality.reasons | index($r) != null | if . then 1 else 0 end'
}

# reasons: the failed rules of each record of stdin, one line each
reasons() {
	jq -r '.quality.reasons | join(",")'
}

@test "every record gets every signal, pass and reasons, and keeps its bytes" {
	printf '{"id": 1,  "text":"The cat sat on the mat."}\n' > in.jsonl
	run synth-score in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c 'del(.quality)')" '{"id":1,"text":"The cat sat on the mat."}'
	[[ "$output" == '{"id": 1,  "text":"The cat sat on the mat.","quality":{"words":6,'* ]] || fail "$output"
	assert_equal "$(printf '%s\n' "$output" | jq -c '.quality | [.words, .stop_words, .pass, .reasons, (keys | length)]')" '[6,1,true,[],34]'
}

@test "gopher: just inside and just outside the word count, word length, repetition" {
	{ rec "the and $(words 48)"; rec "the and $(words 47)"; } > in.jsonl
	assert_equal "$(synth-score --preset gopher in.jsonl | reasons)" "
min_words"
	# A mean word length of 3 passes, 2.98 fails; 10 passes, 10.02 fails.
	{ rec "$(for i in $(seq 48); do printf 'abc '; done)the and"; rec "$(for i in $(seq 47); do printf 'abc '; done)ab the and"; } > len.jsonl
	assert_equal "$(synth-score --preset gopher len.jsonl | jq -r .quality.mean_word_length | tr '\n' ' ')" "3 2.98 "
	assert_equal "$(synth-score --preset gopher len.jsonl | has_reason min_mean_word_length | tr '\n' ' ')" "0 1 "
	{ rec "$(for i in $(seq 50); do printf 'abcdefghij '; done)"; rec "$(for i in $(seq 49); do printf 'abcdefghij '; done)abcdefghijk"; } > long.jsonl
	assert_equal "$(synth-score --preset gopher long.jsonl | has_reason max_mean_word_length | tr '\n' ' ')" "0 1 "
	# The share of words with a letter: 0.8 passes, 0.78 fails.
	{ rec "$(words 40) $(seq -s ' ' 10)"; rec "$(words 39) $(seq -s ' ' 11)"; } > alpha.jsonl
	assert_equal "$(synth-score --preset gopher alpha.jsonl | jq -r .quality.alpha_words_frac | tr '\n' ' ')" "0.8 0.78 "
	assert_equal "$(synth-score --preset gopher alpha.jsonl | has_reason min_alpha_words_frac | tr '\n' ' ')" "0 1 "
}

@test "the comparison: a value at a bound passes, beyond it fails" {
	# 10 lines, 3 of them repeats: dup_line_frac 0.3, Gopher's bound.
	t=$(printf 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl1\nl2\nl3')
	u=$(printf 'l1\nl2\nl3\nl4\nl5\nl6\nl1\nl2\nl3\nl4')
	{ rec "$t"; rec "$u"; } > in.jsonl
	run synth-score --max dup_line_frac=0.3 in.jsonl
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.quality.dup_line_frac, .quality.pass]' | tr '\n' ' ')" "[0.3,true] [0.4,false] "
	run synth-score --min words=3 --max words=3 <(rec "a b c"; rec "a b"; rec "a b c d")
	assert_equal "$(printf '%s\n' "$output" | reasons | tr '\n' '|')" "|min_words|max_words|"
}

@test "fineweb: terminal punctuation, short lines and newlines at their bounds" {
	# 25 lines of 6 words each (no newline ratio problem): 3 end a
	# sentence = 0.12 passes; 2 = 0.08 fails.
	mk() { local i; for i in $(seq 25); do if [ "$i" -le "$1" ]; then echo "line $i of words long enough to count."; else echo "line $i of words long enough to count"; fi; done; }
	{ rec "$(mk 3)"; rec "$(mk 2)"; } > in.jsonl
	run synth-score --preset fineweb in.jsonl
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.quality.terminal_punct_lines_frac, .quality.pass]' | tr '\n' ' ')" "[0.12,true] [0.08,false] "
	assert_equal "$(printf '%s\n' "$output" | reasons | tail -n 1)" min_terminal_punct_lines_frac
	# Short lines: 2 of 3 short = 0.6667 passes 0.67; 3 of 4 fails.
	{ rec "$(printf 'one.\ntwo.\nthis line is long enough to not be short.')"; rec "$(printf 'one.\ntwo.\nthree.\nthis line is long enough to not be short.')"; } > s.jsonl
	assert_equal "$(synth-score --preset fineweb s.jsonl | reasons | tr '\n' '|')" "|max_short_lines_frac|"
	# Newlines per word: 3 in 10 words is 0.3 and passes, 4 in 10 fails.
	{ rec "$(printf 'a b c. d e f.\ng h.\ni.\nj.')"; rec "$(printf 'a b c d e f.\ng.\nh.\ni.\nj.')"; } > nl.jsonl
	assert_equal "$(synth-score --max newline_word_ratio=0.3 nl.jsonl | reasons | tr '\n' '|')" "|max_newline_word_ratio|"
}

@test "c4 and synthetic: the markers that fail a record" {
	{ rec "Lorem ipsum dolor sit amet."; rec "Use {braces} here."; rec "Please enable JavaScript."; rec "Read our privacy policy."; rec "A clean sentence about birds."; } > c4.jsonl
	assert_equal "$(synth-score --preset c4 c4.jsonl | reasons | tr '\n' '|')" "max_lorem_ipsum|max_curly_brace|max_javascript_lines|max_policy_lines||"
	{ rec "As an AI language model, I think birds are fine."; rec "The answer stops in the middle of a"; rec "go go go go go away now, he said."; rec "Birds fly south in the winter months."; } > syn.jsonl
	assert_equal "$(synth-score --preset synthetic syn.jsonl | reasons | tr '\n' '|')" "max_boilerplate|max_truncated|max_max_repeat_run||"
	# prompt_echo only where the record has a prompt.
	jq -cn '{prompt: "one two three four five six seven eight nine ten", text: "one two three four five six seven eight nine ten and I repeat."}' > echo.jsonl
	run synth-score --preset synthetic echo.jsonl
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.quality.prompt_echo, .quality.reasons]')" '[1,["max_prompt_echo"]]'
	assert_equal "$(synth-score syn.jsonl | jq -c .quality.prompt_echo | sort -u)" null
	# The key spelled with escapes is the same key.
	printf '%s\n' '{"pr\u006fmpt":"one two three four five six seven eight nine","text":"one two three four five six seven eight nine"}' > escaped.jsonl
	assert_equal "$(synth-score escaped.jsonl | jq -c .quality.prompt_echo)" 1
}

@test "presets combine with the stricter bound; --min and --max override them" {
	rec "$(words 60)" > in.jsonl
	# synthetic wants words >= 5, gopher >= 50: together 50.
	assert_equal "$(synth-score --preset synthetic --preset gopher --max stop_words=100 in.jsonl | jq -c '.quality.reasons')" '["min_stop_words"]'
	assert_equal "$(synth-score --preset gopher --min stop_words=0 --min words=100 in.jsonl | jq -c '.quality.reasons')" '["min_words"]'
	run synth-score --preset nope in.jsonl
	assert_failure 2
	run synth-score --min bogus=1 in.jsonl
	assert_failure 2
	assert_output --partial "no signal is called 'bogus'"
	run synth-score --min words in.jsonl
	assert_failure 2
	run synth-score --no-annotate in.jsonl
	assert_failure 2
}

@test "--filter drops failing records to --rejects with their reasons; -v counts the rules" {
	{ rec "$(words 60) the and"; rec "too short"; rec "also short"; } > in.jsonl
	run --separate-stderr synth-score --preset gopher --filter --rejects rej.jsonl -v in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | wc -l)" 1
	assert_equal "$(jq -c '[.reject.reason, .quality.reasons[0], .reject.line]' rej.jsonl | tr '\n' ' ')" '["quality","min_words",2] ["quality","min_words",3] '
	echo "$stderr" | grep -qx "synth-score: 1 passed; failed: min_words 2, min_stop_words 2" || fail "$stderr"
	# --no-annotate: the records that pass, as they were.
	assert_equal "$(synth-score --preset gopher --filter --no-annotate in.jsonl)" "$(head -n 1 in.jsonl)"
}

@test "-v counts the records each --rules reject rule failed, in the rules' order, before the bounds" {
	printf 'reject short /\\bshort\\b/\npenalty hedge 0.5 /I think/\nreject never /zzzq/\nreject also /^also/\n' > r.rules
	{ rec "$(words 60) the and"; rec "too short"; rec "also short"; } > in.jsonl
	run --separate-stderr synth-score --rules r.rules --preset gopher --filter -v in.jsonl
	assert_success
	# A rule that failed no record is not named, as a bound is not.
	echo "$stderr" | grep -qx "synth-score: 1 passed; failed: rule_short 2, rule_also 1, min_words 2, min_stop_words 2" ||
		fail "$stderr"
	# The same counts as the records' reasons.
	run --separate-stderr synth-score --rules r.rules -v in.jsonl
	assert_equal "$(printf '%s\n' "$output" | jq -c .quality.reasons)" '[]
["rule_short"]
["rule_short","rule_also"]'
	echo "$stderr" | grep -qx "synth-score: 1 passed; failed: rule_short 2, rule_also 1" || fail "$stderr"
}

@test "-j changes nothing" {
	for i in 1 2 3 4; do cat "$ROOT/examples/corpus.jsonl"; done > in.jsonl
	synth-score --preset gopher -j 1 in.jsonl > one.jsonl
	synth-score --preset gopher -j 2 in.jsonl > two.jsonl
	synth-score --preset gopher -j 4 in.jsonl > four.jsonl
	cmp one.jsonl two.jsonl
	cmp one.jsonl four.jsonl
	[ "$(jq -r .quality.pass one.jsonl | sort -u | tr '\n' ' ')" = "false true " ]
}

@test "--lm: perplexity under a model of real text; lower for the text it knows" {
	for i in $(seq 30); do jq -cn --arg i "$i" '{text: "the cat sat on the mat and the dog sat on the log number \($i)."}'; done > real.jsonl
	synth-gen markov --train real.jsonl --save real.ngm
	{ rec "the cat sat on the mat and the dog sat on the log number 3."; rec "log the on sat dog the and mat the on sat cat the 3."; rec "zebra quantum lollipop xylophone marmalade"; } > in.jsonl
	run synth-score --lm real.ngm in.jsonl
	assert_success
	printf '%s\n' "$output" | jq -r .quality.perplexity > ppl.txt
	# Seen order < shuffled < unknown words.
	run awk 'NR == 1 { a = $1 } NR == 2 { b = $1 } NR == 3 { c = $1 } END { print (a < b && b < c && a >= 1) }' ppl.txt
	assert_output 1
	# A bound on it, and -v counts it.
	run --separate-stderr synth-score --lm real.ngm --max perplexity=50 -v in.jsonl
	assert_equal "$(printf '%s\n' "$output" | jq -c .quality.reasons | tr '\n' ' ')" '[] ["max_perplexity"] ["max_perplexity"] '
	echo "$stderr" | grep -q "failed: max_perplexity 2$" || fail "$stderr"
	# Without --lm there is no perplexity, and no bound on it.
	assert_equal "$(synth-score in.jsonl | jq -c '.quality | has("perplexity")' | sort -u)" false
	run synth-score --max perplexity=5 in.jsonl
	assert_failure 2
	run synth-score --lm in.jsonl in.jsonl
	assert_failure 1
	assert_output "synth-score: in.jsonl: not a synth n-gram model"
}

@test "--rules: reject and penalty rules, counted; a runaway pattern is an error for its record, not a hang" {
	printf '# a comment\nreject shouting /[A-Z]{5,}/\npenalty hedge 0.5 /\\b(maybe|perhaps)\\b/i\npenalty runaway 1 /(a+)+$/\n' > rules.txt
	{ rec "Maybe this is GREAT, perhaps not."; rec "calm text"; rec "$(head -c 5000 /dev/zero | tr '\0' a)b"; } > in.jsonl
	run --separate-stderr synth-score --rules rules.txt --max penalty=0.7 in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.quality.rules, .quality.penalty, .quality.reasons]')" \
		'[{"shouting":1,"hedge":2,"runaway":0},1,["rule_shouting","max_penalty"]]
[{"shouting":0,"hedge":0,"runaway":0},0,[]]
[{"shouting":0,"hedge":0,"runaway":null},0,[]]'
	assert_equal "$stderr" "synth-score: warning: in.jsonl:3: rule runaway: match limit exceeded"
	# Bad rule files name the line.
	printf 'reject ok /fine/\nreject bad /(unclosed/\n' > bad.txt
	run synth-score --rules bad.txt in.jsonl
	assert_failure 1
	assert_output --partial "synth-score: bad.txt:2: missing closing parenthesis"
	printf 'penalty x /no weight/\n' > bad2.txt
	run synth-score --rules bad2.txt in.jsonl
	assert_failure 1
	assert_output "synth-score: bad2.txt:1: a penalty needs a weight"
	printf 'reject x /a/q\n' > bad3.txt
	run synth-score --rules bad3.txt in.jsonl
	assert_failure 1
	assert_output "synth-score: bad3.txt:1: unknown flag 'q' (i, m, s and x are known)"
	run synth-score --max penalty=1 in.jsonl
	assert_failure 2
}

@test "--rules: a zero-width rule before a multi-byte character counts and rejects, never null" {
	printf 'reject e /(?=\xc3\xa9)/\npenalty line 1 /^/m\n' > rules.txt
	{ rec "café"; rec "$(printf '\303\251a\nb')"; rec "plain"; } > in.jsonl
	run --separate-stderr synth-score --rules rules.txt --filter --rejects rej.jsonl in.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(printf '%s\n' "$output" | jq -c '.quality.rules')" '{"e":0,"line":1}'
	assert_equal "$(jq -c '[.text, .quality.rules, .quality.reasons]' rej.jsonl)" \
		'["café",{"e":1,"line":1},["rule_e"]]
["éa\nb",{"e":1,"line":2},["rule_e"]]'
}

# answers: records of prompt groups, as synth-gen complete --samples writes them
answers() {
	printf '%s\n' '{"id":"a-1","prompt":"q1","text":"short.","synth":{"parent":"a"}}' \
		'{"id":"a-2","prompt":"q1","text":"a longer answer with more words.","synth":{"parent":"a"}}' \
		'{"id":"b-1","prompt":"q2","text":"only one.","synth":{"parent":"b"}}' \
		'{"id":"c-1","prompt":"q3","text":"same len.","synth":{"parent":"c"}}' \
		'{"id":"c-2","prompt":"q3","text":"same two.","synth":{"parent":"c"}}'
}

@test "--best-of keeps the best of each group of consecutive records, the others to --rejects" {
	answers > in.jsonl
	run --separate-stderr synth-score --best-of synth.parent --rank-by words --rejects rej.jsonl -v in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "a-2 b-1 c-1 "
	assert_equal "$(jq -c '[.id, .reject.reason, .reject.line]' rej.jsonl | tr '\n' ' ')" '["a-1","best-of",1] ["c-2","best-of",5] '
	echo "$stderr" | grep -qx "synth-score: --best-of: 3 groups, the best of each kept" || fail "$stderr"
	# -SIGNAL: the lowest wins.
	assert_equal "$(synth-score --best-of synth.parent --rank-by -words in.jsonl | jq -r .id | tr '\n' ' ')" "a-1 b-1 c-1 "
	run synth-score --best-of synth.parent in.jsonl
	assert_failure 2
	run synth-score --rank-by words in.jsonl
	assert_failure 2
	run synth-score --best-of synth.parent --rank-by nothing in.jsonl
	assert_failure 2
}

@test "--pairs writes one chosen/rejected record per group; ties and singles are counted" {
	answers > in.jsonl
	run --separate-stderr synth-score --best-of synth.parent --rank-by words --pairs -v in.jsonl
	assert_success
	assert_equal "$output" '{"prompt":"q1","chosen":"a longer answer with more words.","rejected":"short.","scores":[6,1],"key":"a"}'
	echo "$stderr" | grep -qx "synth-score: --pairs: 3 groups, 1 pairs; skipped 1 of one record and 1 ties" || fail "$stderr"
}

@test "--best-of: groups across block boundaries and threads give the same answer" {
	for i in $(seq 20000); do
		printf '{"id":"p%d-1","text":"answer one for %d.","synth":{"parent":"p%d"}}\n{"id":"p%d-2","text":"a longer second answer for prompt %d.","synth":{"parent":"p%d"}}\n' "$i" "$i" "$i" "$i" "$i" "$i"
	done > in.jsonl
	synth-score --best-of synth.parent --rank-by words -j 1 in.jsonl > one.jsonl
	synth-score --best-of synth.parent --rank-by words -j 4 in.jsonl > four.jsonl
	cmp one.jsonl four.jsonl
	assert_equal "$(wc -l < one.jsonl)" 20000
	assert_equal "$(jq -r '.id | endswith("-2")' one.jsonl | sort -u)" true
}

# --- the judge --------------------------------------------------------------

# The test server answers with the message it got, so a record that says
# "Score: N" is graded N: the rubric's own "Score: <points>" holds no number.
@test "--judge: the last 'Score: N' of the judgement, clamped; null when none parses" {
	start_server --fail-first 2 --faults 500,429 --retry-after 0
	printf '%s\n' '{"id":1,"text":"Good answer. Score: 2 then Score: 4"}' '{"id":2,"text":"Wild. score: 9"}' \
		'{"id":3,"prompt":"the task","text":"no grade here"}' > in.jsonl
	run --separate-stderr synth-score --judge "$URL" --model judge-m --min judge=3 -j 2 in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.id, .quality.judge.score, .quality.reasons]' | tr '\n' ' ')" \
		'[1,4,[]] [2,5,[]] [3,null,["min_judge"]] '
	# The raw judgement is kept; the prompt and the text were sent with the rubric.
	assert_equal "$(printf '%s\n' "$output" | jq -r 'select(.id == 3) | .quality.judge.raw' | grep -c 'additive scale of 0 to 5 points')" 1
	printf '%s\n' "$output" | jq -r 'select(.id == 3) | .quality.judge.raw' | grep -q "Task:" || fail "no task sent"
	# Each request met a 500 and a 429 first.
	assert_equal "$(awk '{print $1}' server.log | sort | uniq -c | awk '{print $2, $1}' | tr '\n' ' ')" "429 3 500 3 ok 3 "
	# A rubric of one's own.
	printf 'Grade it. Score: 1\n' > rubric.txt
	run synth-score --judge "$URL" --model m --rubric rubric.txt <(echo '{"text":"plain"}')
	assert_equal "$(printf '%s\n' "$output" | jq -c .quality.judge.score)" 1
}

@test "--judge: --timeout and --concurrency: a slow judgement is tried again" {
	start_server --fail-first 1 --faults slow --slow-ms 3000
	printf '{"id":1,"text":"ok. Score: 3"}\n{"id":2,"text":"ok. Score: 2"}\n' > in.jsonl
	run --separate-stderr synth-score --judge "$URL" --model m --timeout 0.5 --concurrency 1 in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c .quality.judge.score | tr '\n' ' ')" "3 2 "
	# One request at a time: the second came when the first timed out
	# (half a second or more later; a lower bound), then both retries.
	assert_equal "$(awk '{print $1}' server.log | tr '\n' ' ')" "slow slow ok ok "
	assert_equal "$(awk 'NR == 1 { t = $3 } NR == 2 { print ($3 - t >= 0.45) }' server.log)" 1
}

@test "--judge: a request that fails for good leaves the score null with the error; exit 1" {
	start_server --always 500
	printf '{"id":1,"text":"a"}\n' > in.jsonl
	run --separate-stderr synth-score --judge "$URL" --model m --retries 1 in.jsonl
	assert_failure 1
	assert_equal "$(printf '%s\n' "$output" | jq -c '.quality.judge')" '{"score":null,"error":"HTTP 500, after 2 attempts: injected"}'
	echo "$stderr" | grep -q "in.jsonl:1: the judge failed: HTTP 500, after 2 attempts: injected" || fail "$stderr"
	run synth-score --model m in.jsonl
	assert_failure 2
	run synth-score --judge "$URL" in.jsonl
	assert_failure 2
	run synth-score --min judge=1 in.jsonl
	assert_failure 2
}

@test "--judge with --best-of: the best graded answer of each prompt" {
	start_server
	printf '%s\n' '{"id":"a-1","text":"weak. Score: 1","synth":{"parent":"a"}}' '{"id":"a-2","text":"strong. Score: 5","synth":{"parent":"a"}}' \
		'{"id":"b-1","text":"fine. Score: 3","synth":{"parent":"b"}}' > in.jsonl
	run synth-score --judge "$URL" --model m --best-of synth.parent --rank-by judge in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "a-2 b-1 "
	run synth-score --judge "$URL" --model m --best-of synth.parent --rank-by judge --pairs in.jsonl
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.chosen, .rejected, .scores]')" '["strong. Score: 5","weak. Score: 1",[5,1]]'
}

# --- the judge's --resume ---------------------------------------------------

# judge_input N: records 1..N graded "Score: i % 6" by the test server,
# which answers with the message it got.
judge_input() {
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"id\":%d,\"text\":\"text %d. Score: %d\"}\n", i, i, i % 6 }'
}

@test "--judge --resume: a failed run keeps the ok judgements; the rerun asks only for the rest" {
	# The first attempt at a record that says "doomed" fails.
	start_server --fail-first 1 --faults 500 --match doomed
	judge_input 6 | sed '/"id":[25],/s/"text":"/"text":"doomed /' > in.jsonl
	run --separate-stderr synth-score --judge "$URL" --model m --retries 0 --resume -o out.jsonl in.jsonl
	assert_failure 1
	echo "$stderr" | grep -q "^synth-score: out.jsonl.partial keeps 4 judgements; run the same command again to finish$" ||
		fail "$stderr"
	# Exactly the ok judgements, one line each: the hash of the request
	# the server got, the record's id and the judge member as written.
	assert_equal "$(jq -c .id out.jsonl.partial | sort | tr '\n' ' ')" "1 3 4 6 "
	assert_equal "$(jq -r .request out.jsonl.partial | sort | tr '\n' ' ')" \
		"$(awk '$1 == "ok" { print $2 }' server.log | sort | tr '\n' ' ')"
	assert_equal "$(jq -c 'select(.id == 3) | .answer.choices[0].message.content' out.jsonl.partial)" \
		"$(jq -c 'select(.id == 3) | .quality.judge.raw' out.jsonl)"
	# The rerun asks for the two that failed, and finishes.
	local before
	before=$(wc -l < server.log)
	run --separate-stderr synth-score --judge "$URL" --model m --retries 0 --resume -v -o out.jsonl in.jsonl
	assert_success
	echo "$stderr" | grep -q "^synth-score: --resume: 4 judgements already in out.jsonl.partial$" || fail "$stderr"
	echo "$stderr" | grep -q "^synth-score: --resume: 4 judgements taken from out.jsonl.partial, 2 asked of the judge$" ||
		fail "$stderr"
	assert_equal "$(tail -n +$((before + 1)) server.log | awk '{ print $1 }' | tr '\n' ' ')" "ok ok "
	[ ! -e out.jsonl.partial ] || fail "the journal was left"
	# The same bytes as a run that never stopped.
	synth-score --judge "$URL" --model m -o whole.jsonl in.jsonl
	cmp out.jsonl whole.jsonl
	assert_equal "$(jq -c .quality.judge.score out.jsonl | tr '\n' ' ')" "1 2 3 4 5 0 "
}

@test "--judge --resume after kill -9: no record asked twice but those in flight, the same output" {
	start_server --delay-ms 20
	judge_input 150 > in.jsonl
	synth-score --judge "$URL" --model m --concurrency 4 --resume -o out.jsonl in.jsonl &
	kill_after_lines $! out.jsonl.partial 20
	local kept
	kept=$(wc -l < out.jsonl.partial)
	[ "$kept" -gt 20 ] && [ "$kept" -lt 150 ] || fail "$kept judgements kept"
	[ ! -e out.jsonl ]
	# A write cut in the middle of a line is cut off on resume.
	printf '{"request":"00' >> out.jsonl.partial
	run --separate-stderr synth-score --judge "$URL" --model m --concurrency 4 --resume -v -o out.jsonl in.jsonl
	assert_success
	echo "$stderr" | grep -q "^synth-score: --resume: $kept judgements already in out.jsonl.partial$" || fail "$stderr"
	[ ! -e out.jsonl.partial ]
	# Every record asked, and asked again only if in flight at the kill:
	# four at most.
	assert_equal "$(awk '{ print $2 }' server.log | sort -u | wc -l)" 150
	[ "$(wc -l < server.log)" -le 154 ] || fail "$(($(wc -l < server.log) - 150)) records asked twice"
	synth-score --judge "$URL" --model m -o whole.jsonl in.jsonl
	cmp out.jsonl whole.jsonl
}

@test "--judge --resume: a changed rubric asks every record again" {
	start_server --fail-first 1 --faults 500 --match doomed
	judge_input 3 | sed '/"id":2,/s/"text":"/"text":"doomed /' > in.jsonl
	run synth-score --judge "$URL" --model m --retries 0 --resume -o out.jsonl in.jsonl
	assert_failure 1
	assert_equal "$(wc -l < out.jsonl.partial)" 2
	printf 'Grade it.\n' > rubric.txt
	local before
	before=$(wc -l < server.log)
	run --separate-stderr synth-score --judge "$URL" --model m --rubric rubric.txt --retries 1 --resume -v \
		-o out.jsonl in.jsonl
	assert_success
	echo "$stderr" | grep -q "^synth-score: --resume: 0 judgements taken from out.jsonl.partial, 3 asked of the judge$" ||
		fail "$stderr"
	# Three requests the server had not seen.
	head -n "$before" server.log | awk '{ print $2 }' | sort -u > old
	tail -n +$((before + 1)) server.log | awk '{ print $2 }' | sort -u > new
	assert_equal "$(wc -l < new)" 3
	assert_equal "$(comm -12 old new | wc -l)" 0
	[ ! -e out.jsonl.partial ]
	assert_equal "$(jq -r .quality.judge.raw out.jsonl | grep -c '^answer to: Grade it\.')" 3
}

@test "--resume: usage errors; a file that is not the judge's journal" {
	start_server
	printf '{"id":1,"text":"a"}\n' > in.jsonl
	run --separate-stderr synth-score --resume -o out.jsonl in.jsonl
	assert_failure 2
	echo "$stderr" | grep -q "^synth-score: --resume goes with --judge URL$" || fail "$stderr"
	run --separate-stderr synth-score --judge "$URL" --model m --resume in.jsonl
	assert_failure 2
	echo "$stderr" | grep -q "^synth-score: --resume needs -o FILE$" || fail "$stderr"
	run synth-score --judge "$URL" --model m --resume -o - in.jsonl
	assert_failure 2
	echo '{"id":1}' > out.jsonl.partial
	run --separate-stderr synth-score --judge "$URL" --model m --resume -o out.jsonl in.jsonl
	assert_failure 1
	assert_equal "$stderr" \
		"synth-score: out.jsonl.partial:1: not a judgement of synth-score --judge; --resume needs the file it left"
	[ ! -s server.log ] || fail "a request was sent"
	[ ! -e out.jsonl ]
}

@test "--lang-id: the language (CLD2), its share and the script of each record" {
	run synth-score --lang-id "$FIXTURES/languages.jsonl"
	assert_success
	assert_equal "$(jq -r '[.id, .quality.lang, .quality.script] | @tsv' <<<"$output" | tr '\t\n' ' |')" \
		"en en Latn|de de Latn|fr fr Latn|ru ru Cyrl|ja ja Jpan|zh zh Hani|num und Zyyy|"
	# A share from 0 to 1, high for a sentence in one language; none for digits.
	assert_equal "$(jq -r 'select(.quality.lang_score > 0.9) | .id' <<<"$output" | wc -l)" 6
	assert_equal "$(jq -r 'select(.id == "num") | .quality.lang_score' <<<"$output")" 0
	# Without the option, no language members.
	assert_equal "$(synth-score "$FIXTURES/languages.jsonl" | jq -c '.quality | [has("lang", "script", "lang_score")] | unique' | sort -u)" '[false]'
	# The detected language is a member: synth-stats groups by it.
	synth-score --lang-id "$FIXTURES/languages.jsonl" > scored.jsonl
	assert_equal "$(synth-stats --by quality.script scored.jsonl | jq -r '[.by.groups[] | "\(.value)=\(.records)"] | sort | join(",")')" \
		"Cyrl=1,Hani=1,Jpan=1,Latn=3,Zyyy=1"
}

@test "--lang LIST: records in other languages fail with reason lang; --filter sends them to --rejects saying which" {
	synth-score --lang en,de --lang ru "$FIXTURES/languages.jsonl" > out.jsonl
	assert_equal "$(jq -r 'select(.quality.pass) | .id' out.jsonl | tr '\n' ' ')" "en de ru "
	assert_equal "$(jq -c 'select(.id == "fr") | .quality.reasons' out.jsonl)" '["lang"]'
	run --separate-stderr synth-score -v --filter --lang en --rejects rej.jsonl "$FIXTURES/languages.jsonl"
	assert_success
	assert_equal "$(jq -r .id <<<"$output")" en
	assert_equal "$(jq -r '[.id, .quality.lang, .reject.reason] | @tsv' rej.jsonl | tr '\t\n' '=,')" \
		"de=de=quality,fr=fr=quality,ru=ru=quality,ja=ja=quality,zh=zh=quality,num=und=quality,"
	[[ "$stderr" == *"1 passed; failed: lang 6"* ]] || fail "$stderr"
	# "und" keeps what CLD2 cannot place; a bound on the share.
	assert_equal "$(synth-score --filter --lang und "$FIXTURES/languages.jsonl" | jq -r .id)" num
	assert_equal "$(synth-score --filter --lang-id --min lang_score=0.5 "$FIXTURES/languages.jsonl" | wc -l)" 6
	# Usage errors.
	run synth-score --lang 'en,e!' "$FIXTURES/languages.jsonl"
	assert_failure 2
	assert_output --partial "--lang en,e!: 'e!' is no language code"
	run synth-score --min lang_score=0.5 "$FIXTURES/languages.jsonl"
	assert_failure 2
	assert_output --partial "lang_score needs --lang-id or --lang LIST"
}

@test "--judge: a record without a score fails every bound on judge; the judge samples at --judge-temperature" {
	start_server --bodies bodies.jsonl
	printf '%s\n' '{"id":1,"text":"good. Score: 4"}' '{"id":2,"text":"no grade"}' > in.jsonl
	run --separate-stderr synth-score --judge "$URL" --model m --min judge=3 in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.id, .quality.judge.score, .quality.pass, .quality.reasons]' | tr '\n' ' ')" \
		'[1,4,true,[]] [2,null,false,["min_judge"]] '
	run --separate-stderr synth-score --judge "$URL" --model m --min judge=3 --max judge=4 --filter \
		--rejects rej.jsonl in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c .id)" 1
	assert_equal "$(jq -c '[.id, .quality.reasons, .reject.reason]' rej.jsonl)" '[2,["min_judge","max_judge"],"quality"]'
	# The requests: temperature 0 unless told, max_tokens only when told.
	assert_equal "$(jq -c '[.temperature, .max_tokens]' bodies.jsonl | sort -u)" '[0,null]'
	: > bodies.jsonl
	run synth-score --judge "$URL" --model m --judge-temperature 0.3 --judge-max-tokens 200 in.jsonl
	assert_success
	assert_equal "$(jq -c '[.temperature, .max_tokens, .seed]' bodies.jsonl | sort -u)" '[0.3,200,0]'
	run synth-score --judge-temperature 0.3 in.jsonl
	assert_failure 2
	run synth-score --judge "$URL" --model m --judge-max-tokens 0 in.jsonl
	assert_failure 2
}

@test "--best-of: a group that comes back after another is warned about; records without the field are groups of their own" {
	printf '%s\n' '{"id":"a1","g":"a","text":"one two three four five."}' '{"id":"a2","g":"a","text":"one two three."}' \
		'{"id":"b1","g":"b","text":"one two three four."}' '{"id":"a3","g":"a","text":"one."}' \
		'{"id":"x1","text":"one two."}' '{"id":"x2","text":"one two three four five six."}' > in.jsonl
	run --separate-stderr synth-score --best-of g --rank-by words -v in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "a1 b1 a3 x1 x2 "
	[[ "$stderr" == *'synth-score: warning: in.jsonl:4: --best-of: the group "a" comes back after another group; groups are runs of consecutive records (sort the input by g)'* ]] ||
		fail "$stderr"
	[[ "$stderr" == *"synth-score: warning: --best-of: 1 group came back after another group, each counted again: sort the input by g to group every record of a value"* ]] ||
		fail "$stderr"
	[[ "$stderr" == *"synth-score: warning: --best-of: 2 records without g, each a group of its own"* ]] || fail "$stderr"
	[[ "$stderr" == *"synth-score: --best-of: 5 groups, the best of each kept"* ]] || fail "$stderr"
	# Sorted, no warning.
	jq -sc 'sort_by(.g // "") | .[]' in.jsonl | grep '"g"' > sorted.jsonl
	run --separate-stderr synth-score --best-of g --rank-by words sorted.jsonl
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "a1 b1 "
}

@test "--judge -v: the requests and their rate; a small MB/s keeps its digits instead of 0" {
	start_server --delay-ms 100
	judge_input 5 > in.jsonl
	run --separate-stderr synth-score --judge "$URL" --model m --concurrency 1 -v in.jsonl
	assert_success
	echo "$stderr" | grep -Eq '^synth-score: 5 records in, 5 out, 0 invalid, 0 rejected; 0\.0 MB in [0-9.]+ s \(0\.0*[1-9][0-9]? MB/s\)$' ||
		fail "$stderr"
	local line
	line=$(echo "$stderr" | grep -E '^synth-score: 5 requests in [0-9.]+ s \([0-9.]+ requests/s\)$') || fail "$stderr"
	# The rate is the count over the seconds, not a 0: five answers of a
	# tenth of a second each, one at a time.
	echo "$line" | awk '{ secs = $5 + 0; rate = substr($7, 2) + 0; exit !(rate > 0 && rate < 10.5 && (rate * secs - 5)^2 < 0.3^2) }' ||
		fail "$line"
	# Answers taken from a --resume journal are not requests.
	run --separate-stderr synth-score --judge "$URL" --model m --retries 0 --resume -v -o out.jsonl in.jsonl
	assert_success
	echo "$stderr" | grep -Eq '^synth-score: 5 requests in ' || fail "$stderr"
}

@test "--judge --progress into a log: each line adds the requests so far and their rate" {
	start_server --delay-ms 200
	judge_input 6 > in.jsonl
	SYNTH_PROGRESS_INTERVAL=0 run --separate-stderr synth-score --judge "$URL" --model m --concurrency 1 --progress in.jsonl
	assert_success
	printf '%s' "$stderr" | grep -q $'[\r\033]' && fail "a terminal code in a log"
	local n
	n=$(printf '%s\n' "$stderr" | grep -c .)
	# While the requests of the one block are answered, a line after each.
	[ "$n" -ge 3 ] || fail "$n progress lines: $stderr"
	printf '%s\n' "$stderr" | grep -Evx "synth-score: scoring in.jsonl: [0-9]+%, [0-9.]+ (s|min [0-9]+ s) left, [0-9]+ records, [0-9.]+ MB in [0-9.]+ s \([0-9.]+ MB/s\), [0-9]+ requests, [0-9.]+/s" &&
		fail "a line not in the form: $stderr"
	# The requests grow, one at a time, to the six of the run at most.
	printf '%s\n' "$stderr" | grep -o '[0-9]* requests' | awk '{ print $1 }' > counts
	sort -n -c counts || fail "$(cat counts)"
	[ "$(tail -n 1 counts)" -ge 4 ] && [ "$(tail -n 1 counts)" -le 6 ] || fail "$(cat counts)"
	# synth-gen complete's lines say the same.
	printf '{"id":"p%d","prompt":"q%d"}\n' 1 1 2 2 3 3 > prompts.jsonl
	SYNTH_PROGRESS_INTERVAL=0 run --separate-stderr synth-gen complete --url "$URL" --model m --concurrency 1 --progress prompts.jsonl
	assert_success
	printf '%s\n' "$stderr" | grep -Eq '^synth-gen: completing prompts.jsonl: 100%, .*, [0-9]+ requests, [0-9.]+/s$' || fail "$stderr"
}
