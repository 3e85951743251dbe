#!/usr/bin/env bats
# synth-gen prompts: templates, slots, sampling, the cross product, bad
# templates and value files, and the output contract of a program that
# reads no records.

load helpers

# Three slot files and two templates in the scratch folder.
make_inputs() {
	printf 'rain\ntides\nvolcanoes\n' > topics.txt
	printf 'a child\na nurse\n' > personas.txt
	printf 'Explain {topic} to {persona}.\n' > explain.tpl
	printf 'Write a poem about {topic}.\n' > poem.tpl
}

@test "-n N: each record is its template filled with the values its synth member names" {
	make_inputs
	run synth-gen prompts -t explain.tpl -t poem.tpl --slot topic=topics.txt \
		--slot persona=personas.txt -n 200 --seed 3
	assert_success
	printf '%s\n' "$output" > out.jsonl
	assert_equal "$(wc -l < out.jsonl)" 200
	# ids in order, every key present.
	assert_equal "$(jq -r .id out.jsonl | head -n 3 | tr '\n' ' ')" "prompt-1 prompt-2 prompt-3 "
	assert_equal "$(jq -c 'keys' out.jsonl | sort -u)" '["id","prompt","synth"]'
	assert_equal "$(jq -r '.synth | "\(.generator) \(.seed)"' out.jsonl | sort -u)" "synth-gen prompts 3"
	# Rebuild each prompt from its template and its recorded values.
	run jq -r 'if .synth.template == "explain"
		then (.prompt == "Explain \(.synth.slots.topic) to \(.synth.slots.persona).")
		else (.prompt == "Write a poem about \(.synth.slots.topic)." and (.synth.slots | keys) == ["topic"])
		end' out.jsonl
	assert_equal "$(printf '%s\n' "$output" | sort -u)" true
	# Every value comes from its file, and all of them turn up.
	assert_equal "$(jq -r .synth.slots.topic out.jsonl | sort -u | tr '\n' ' ')" "rain tides volcanoes "
	assert_equal "$(jq -r 'select(.synth.template == "explain") | .synth.slots.persona' out.jsonl | sort -u | tr '\n' ' ')" "a child a nurse "
	assert_equal "$(jq -r .synth.template out.jsonl | sort -u | tr '\n' ' ')" "explain poem "
}

@test "-n draws templates and values uniformly" {
	make_inputs
	synth-gen prompts -t explain.tpl -t poem.tpl --slot topic=topics.txt \
		--slot persona=personas.txt -n 6000 > out.jsonl
	# Expected 3000 a template and 2000 a topic; the standard deviations
	# are about 39 and 37, so 200 is more than five of them.
	local n
	for n in $(jq -r .synth.template out.jsonl | sort | uniq -c | awk '{print $1}'); do
		[ "$n" -gt 2800 ] && [ "$n" -lt 3200 ] || fail "a template drawn $n times of 6000"
	done
	for n in $(jq -r .synth.slots.topic out.jsonl | sort | uniq -c | awk '{print $1}'); do
		[ "$n" -gt 1800 ] && [ "$n" -lt 2200 ] || fail "a topic drawn $n times of 6000"
	done
}

@test "the seed decides the records; -n 10 is the start of -n 50" {
	make_inputs
	args=(-t explain.tpl -t poem.tpl --slot topic=topics.txt --slot persona=personas.txt)
	synth-gen prompts "${args[@]}" -n 50 --seed 9 > a.jsonl
	synth-gen prompts "${args[@]}" -n 50 --seed 9 > b.jsonl
	cmp a.jsonl b.jsonl
	synth-gen prompts "${args[@]}" -n 10 --seed 9 > c.jsonl
	assert_equal "$(cat c.jsonl)" "$(head -n 10 a.jsonl)"
	synth-gen prompts "${args[@]}" -n 50 --seed 10 > d.jsonl
	run cmp -s a.jsonl d.jsonl
	assert_failure
}

@test "--all writes every combination once, in order, the last slot fastest" {
	make_inputs
	run synth-gen prompts -t explain.tpl -t poem.tpl --slot topic=topics.txt \
		--slot persona=personas.txt --all
	assert_success
	printf '%s\n' "$output" > out.jsonl
	assert_equal "$(jq -r .prompt out.jsonl)" "Explain rain to a child.
Explain rain to a nurse.
Explain tides to a child.
Explain tides to a nurse.
Explain volcanoes to a child.
Explain volcanoes to a nurse.
Write a poem about rain.
Write a poem about tides.
Write a poem about volcanoes."
	assert_equal "$(jq -r .id out.jsonl | tail -n 1)" prompt-9
	run synth-gen prompts -t explain.tpl --slot topic=topics.txt --slot persona=personas.txt --all -n 3
	assert_failure 2
	run synth-gen prompts -t explain.tpl --slot topic=topics.txt --slot persona=personas.txt
	assert_failure 2
	assert_output --partial "needs -n N or --all, not neither"
}

@test "braces: {{ and }} are literal; a slot named twice takes one value" {
	printf 'Say {w}, then {w} again, as {{"json": true}}.\n' > t.tpl
	printf 'yes\nno\n' > w.txt
	run synth-gen prompts -t t.tpl --slot w=w.txt --all
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .prompt)" 'Say yes, then yes again, as {"json": true}.
Say no, then no again, as {"json": true}.'
	assert_equal "$(printf '%s\n' "$output" | jq -c .synth.slots | head -n 1)" '{"w":"yes"}'
	# A template of several lines keeps its inner newlines, not the last.
	printf 'line one {w}\n\nline three\n' > multi.tpl
	assert_equal "$(synth-gen prompts -t multi.tpl --slot w=w.txt --all | head -n 1 | jq .prompt)" '"line one yes\n\nline three"'
}

@test "a bad template is an error naming its file and line, and nothing is written" {
	printf 'a\n' > w.txt
	printf 'ok {w}\nthen {unknown} here\n' > unknown.tpl
	run synth-gen prompts -t unknown.tpl --slot w=w.txt -n 1 -o out.jsonl
	assert_failure 1
	assert_output "synth-gen: unknown.tpl:2: no --slot gives the values of {unknown}"
	[ ! -e out.jsonl ] || fail "an output was written"
	printf 'open { here\n' > open.tpl
	run synth-gen prompts -t open.tpl --slot w=w.txt -n 1
	assert_failure 1
	assert_output --partial "open.tpl:1: a '{' that opens no slot"
	printf 'x\ny } z\n' > close.tpl
	run synth-gen prompts -t close.tpl -n 1
	assert_failure 1
	assert_output --partial "close.tpl:2: a '}' that closes no slot"
	printf 'empty {} slot\n' > empty.tpl
	run synth-gen prompts -t empty.tpl -n 1
	assert_failure 1
	run synth-gen prompts -t missing.tpl -n 1
	assert_failure 1
	assert_output "synth-gen: missing.tpl: No such file or directory"
	# A template of nothing, or of blank lines: no prompt to make.
	: > nothing.tpl
	printf '\n  \n\n' > blank.tpl
	for t in nothing.tpl blank.tpl; do
		run synth-gen prompts -t $t -n 1 -o out.jsonl
		assert_failure 1
		assert_output "synth-gen: $t: empty template"
		[ ! -e out.jsonl ] || fail "an output was written"
	done
	# Two templates with one name.
	mkdir other
	printf 'x {w}\n' > t.tpl
	cp t.tpl other/t.txt
	run synth-gen prompts -t t.tpl -t other/t.txt --slot w=w.txt -n 1
	assert_failure 1
	assert_output --partial "a second template named 't'"
}

@test "slot values: blank lines skipped, CRLF stripped, zstd read, empty file an error" {
	printf 'one\r\n\r\n\ntwo\n   \nthree' > v.txt
	printf '{v}\n' > t.tpl
	assert_equal "$(synth-gen prompts -t t.tpl --slot v=v.txt --all | jq -r .prompt | tr '\n' ' ')" "one two three "
	zstd -q v.txt -o v.zst
	assert_equal "$(synth-gen prompts -t t.tpl --slot v=v.zst --all | jq -r .prompt | tr '\n' ' ')" "one two three "
	: > none.txt
	run synth-gen prompts -t t.tpl --slot v=none.txt -n 1 -o out.jsonl
	assert_failure 1
	assert_output "synth-gen: --slot v=none.txt: no values"
	[ ! -e out.jsonl ]
	printf 'ok\n\xff\xfe\n' > bad.txt
	run synth-gen prompts -t t.tpl --slot v=bad.txt -n 1
	assert_failure 1
	assert_output "synth-gen: bad.txt:2: invalid UTF-8"
}

@test "slot values from a member of JSONL records, with errors naming file and line" {
	printf '{"p":{"name":"Ana \\"the\\" nurse"}}\n{"p":{"name":"Bo"}}\n' > people.jsonl
	printf 'Hi {who}\n' > t.tpl
	run synth-gen prompts -t t.tpl --slot who=people.jsonl:p.name --all
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .prompt)" 'Hi Ana "the" nurse
Hi Bo'
	printf '{"p":{"name":"Ana"}}\n{"p":{}}\n' > gap.jsonl
	run synth-gen prompts -t t.tpl --slot who=gap.jsonl:p.name --all
	assert_failure 1
	assert_output 'synth-gen: gap.jsonl:2: no member "p.name"'
	printf '{"p":{"name":7}}\n' > num.jsonl
	run synth-gen prompts -t t.tpl --slot who=num.jsonl:p.name --all
	assert_failure 1
	assert_output 'synth-gen: num.jsonl:1: member "p.name" is not a string'
	printf '{"p":\n' > broken.jsonl
	run synth-gen prompts -t t.tpl --slot who=broken.jsonl:p.name --all
	assert_failure 1
	assert_output --partial "synth-gen: broken.jsonl:1: invalid JSON: "
}

@test "usage errors exit 2: mode, template, --slot" {
	printf '{w}\n' > t.tpl
	printf 'a\n' > w.txt
	run --separate-stderr synth-gen -n 1
	assert_failure 2
	assert_equal "$(echo "$stderr" | head -n 1)" "synth-gen: give a mode: synth-gen prompts, markov or complete"
	run synth-gen poems -t t.tpl -n 1
	assert_failure 2
	run synth-gen prompts --slot w=w.txt -n 1
	assert_failure 2
	run synth-gen prompts -t t.tpl --slot w -n 1
	assert_failure 2
	run synth-gen prompts -t t.tpl --slot 9w=w.txt -n 1
	assert_failure 2
	run synth-gen prompts -t t.tpl --slot w=w.txt --slot w=w.txt -n 1
	assert_failure 2
	run synth-gen prompts -t t.tpl --slot w=w.txt -n 1 extra.jsonl
	assert_failure 2
	run synth-gen prompts -t t.tpl --slot w=w.txt -n -1
	assert_failure 2
}

@test "a slot no template names is a warning, silenced by -q; -v prints the summary" {
	printf '{w}\n' > t.tpl
	printf 'a\n' > w.txt
	run --separate-stderr synth-gen prompts -t t.tpl --slot w=w.txt --slot x=w.txt -n 2
	assert_success
	assert_equal "$stderr" "synth-gen: warning: --slot x: no template names {x}"
	run --separate-stderr synth-gen prompts -q -t t.tpl --slot w=w.txt --slot x=w.txt -n 2
	assert_equal "$stderr" ""
	run --separate-stderr synth-gen prompts -v -t t.tpl --slot w=w.txt -n 2
	echo "$stderr" | grep -Eq '^synth-gen: 2 prompts from 1 template in [0-9.]+ s$' || fail "no summary: $stderr"
}

@test "--id-prefix names the ids" {
	printf '{w}\n' > t.tpl
	printf 'a\n' > w.txt
	assert_equal "$(synth-gen prompts -t t.tpl --slot w=w.txt -n 2 --id-prefix day3 | jq -r .id | tr '\n' ' ')" "day3-1 day3-2 "
}

@test "output: -o atomic and compressed, a full disk, a closed pipe" {
	make_inputs
	args=(-t explain.tpl --slot topic=topics.txt --slot persona=personas.txt)
	synth-gen prompts "${args[@]}" --all -o out.jsonl.zst
	assert_equal "$(head -c 4 out.jsonl.zst | od -An -tx1 | tr -d ' ')" 28b52ffd
	assert_equal "$(zstd -dc out.jsonl.zst)" "$(synth-gen prompts "${args[@]}" --all)"
	assert_equal "$(ls -A | grep -c '^\.')" 0
	run bash -c "synth-gen prompts ${args[*]} --all > /dev/full"
	assert_failure 1
	assert_output "synth-gen: write error: No space left on device"
	run bash -c "set -o pipefail; synth-gen prompts ${args[*]} -n 1000000 2> err.txt | head -n 1 > /dev/null; echo \"status \${PIPESTATUS[0]}\""
	assert_output "status 141"
	assert_equal "$(cat err.txt)" ""
}

# --- markov ---------------------------------------------------------------

# A seed corpus whose sentences share their words in a fixed order.
make_seed() {
	local i
	for i in $(seq 40); do
		printf '{"id":"s%d","text":"the quick brown fox jumps over the lazy dog number %d"}\n' "$i" "$i"
	done > seed.jsonl
}

@test "markov: --train, --save and --load; documents use only the seed's words, in its order" {
	make_seed
	run --separate-stderr synth-gen markov --train seed.jsonl --save model.ngm -v
	assert_success
	assert_equal "$output" ""
	echo "$stderr" | grep -q "^synth-gen: --train: 40 documents, 440 words, 49 distinct, in " ||
		fail "no training line: $stderr"
	[ -s model.ngm ]
	synth-gen markov --load model.ngm -n 30 --seed 4 > out.jsonl
	assert_equal "$(wc -l < out.jsonl)" 30
	assert_equal "$(jq -r .id out.jsonl | head -n 2 | tr '\n' ' ')" "markov-1 markov-2 "
	# Every document is 11 words (the only length in the seed) ...
	assert_equal "$(jq -r '.text | split(" ") | length' out.jsonl | sort -u)" 11
	# ... of the seed's words.
	jq -r '.text | split(" ")[]' out.jsonl | sort -u > used.txt
	jq -r '.text | split(" ")[]' seed.jsonl | sort -u > vocab.txt
	assert_equal "$(comm -23 used.txt vocab.txt)" ""
	# With order 3 and a seed this regular, the text follows it: after
	# "quick" always comes "brown" (the model backs off to unigrams
	# only at a tiny rate).
	assert_equal "$(jq -r '.text' out.jsonl | grep -o 'quick [a-z0-9]*' | sort | uniq -c | sort -rn | head -n 1 | awk '{print $2, $3}')" "quick brown"
	assert_equal "$(jq -c .synth out.jsonl | sort -u)" '{"generator":"synth-gen markov","model":"model.ngm","order":3,"temperature":1,"top_p":1,"seed":4}'
	# The same seed, the same documents; training again gives the same model.
	cmp out.jsonl <(synth-gen markov --load model.ngm -n 30 --seed 4)
	synth-gen markov --train seed.jsonl --save again.ngm
	cmp model.ngm again.ngm
	# --order and --field: a bigram model of the member "body".
	jq -c '{body: .text}' seed.jsonl > body.jsonl
	synth-gen markov --train body.jsonl -f body --order 2 --save bigram.ngm
	assert_equal "$(synth-gen markov --load bigram.ngm -n 1 | jq -c '[.synth.order, (.text | split(" ") | length)]')" '[2,11]'
	# Training and sampling in one run equals loading the saved model,
	# but for the model's name.
	assert_equal "$(synth-gen markov --train seed.jsonl -n 30 --seed 4 | jq -c 'del(.synth.model)')" \
		"$(jq -c 'del(.synth.model)' out.jsonl)"
}

@test "markov: prompt records are continued, one record each, named after them, for any -j" {
	make_seed
	synth-gen markov --train seed.jsonl --save model.ngm
	printf '{"id":"p1","prompt":"the quick"}\n{"id":7,"prompt":"lazy"}\n{"prompt":"unknown words here"}\n' > prompts.jsonl
	run synth-gen markov --load model.ngm prompts.jsonl
	assert_success
	printf '%s\n' "$output" > out.jsonl
	assert_equal "$(jq -c '[.id, .prompt, .synth.parent]' out.jsonl)" '["p1-1","the quick","p1"]
["7-1","lazy",7]
["prompts.jsonl:3-1","unknown words here","prompts.jsonl:3"]'
	# "the quick" goes on with "brown".
	assert_equal "$(jq -r 'select(.id == "p1-1") | .text | split(" ")[0]' out.jsonl)" brown
	for j in 1 2 4; do
		cmp out.jsonl <(synth-gen markov --load model.ngm -j $j prompts.jsonl)
	done
	# A record without a prompt is invalid.
	printf '{"id":"x","text":"no prompt"}\n' > bad.jsonl
	run synth-gen markov --load model.ngm bad.jsonl
	assert_failure 1
	assert_output 'synth-gen: bad.jsonl:1: no member "prompt"'
}

@test "markov: --train --skip-invalid keeps the skipped seed records in --rejects, with the prompts' rejects" {
	make_seed
	{ head -n 3 seed.jsonl; echo 'not json'; echo '{"id":"t","text":7}'; tail -n +4 seed.jsonl; } > mixed.jsonl
	# Documents only: the training's rejects are the run's.
	run --separate-stderr synth-gen markov --train mixed.jsonl --skip-invalid --rejects rej.jsonl -n 2
	assert_success
	assert_equal "$(printf '%s\n' "$output" | wc -l)" 2
	assert_equal "$(jq -c '[.reject.file, .reject.line, .raw]' rej.jsonl)" '["mixed.jsonl",4,"not json"]
["mixed.jsonl",5,"{\"id\":\"t\",\"text\":7}"]'
	# With --save alone, and with prompt records to continue: one file
	# holds the training's rejects, then the prompts'.
	run --separate-stderr synth-gen markov --train mixed.jsonl --skip-invalid --rejects rej2.jsonl --save m.ngm
	assert_success
	cmp rej.jsonl rej2.jsonl
	printf '{"id":"p1","prompt":"the quick"}\n{"id":"p2"}\n' > prompts.jsonl
	run --separate-stderr synth-gen markov --train mixed.jsonl --skip-invalid --rejects rej3.jsonl prompts.jsonl
	assert_success
	assert_equal "$(jq -c '[.reject.file, .reject.line]' rej3.jsonl)" '["mixed.jsonl",4]
["mixed.jsonl",5]
["prompts.jsonl",2]'
	# A run that fails keeps no --rejects file.
	run synth-gen markov --train mixed.jsonl --rejects rej4.jsonl -n 2
	assert_failure 1
	[ ! -e rej4.jsonl ]
}

@test "markov: --top-p and --temperature narrow the choice" {
	make_seed
	synth-gen markov --train seed.jsonl --save model.ngm
	# With a tiny nucleus every word is the most probable one: the seed's
	# order for ten words (after "dog number" the 40 numbers, seen once
	# each, are discounted below "the", the commonest word).
	run synth-gen markov --load model.ngm -n 20 --top-p 0.01
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r '.text | split(" ")[0:10] | join(" ")' | sort -u)" \
		"the quick brown fox jumps over the lazy dog number"
	run synth-gen markov --load model.ngm -n 5 --temperature 0.2
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r '.text | split(" ")[0:10] | join(" ")' | sort -u)" \
		"the quick brown fox jumps over the lazy dog number"
	run synth-gen markov --load model.ngm -n 1 --temperature 0
	assert_failure 2
	run synth-gen markov --load model.ngm -n 1 --top-p 1.5
	assert_failure 2
}

@test "markov: a damaged or foreign model is a clear error; a model not saved on failure" {
	make_seed
	synth-gen markov --train seed.jsonl --save model.ngm
	head -c 1000 model.ngm > short.ngm
	run synth-gen markov --load short.ngm -n 1
	assert_failure 1
	assert_output "synth-gen: short.ngm: truncated"
	run synth-gen markov --load seed.jsonl -n 1
	assert_failure 1
	assert_output "synth-gen: seed.jsonl: not a synth n-gram model"
	run synth-gen markov --load missing.ngm -n 1
	assert_failure 1
	assert_output "synth-gen: missing.ngm: No such file or directory"
	# Training on an invalid record fails and leaves the old model.
	cp model.ngm before.ngm
	printf '{"text":"fine"}\nnot json\n' > bad.jsonl
	run synth-gen markov --train bad.jsonl --save model.ngm
	assert_failure 1
	cmp model.ngm before.ngm
	assert_equal "$(ls -A | grep -c '^\.')" 0
	# Records without words make no model.
	printf '{"text":""}\n{"text":"   "}\n' > empty.jsonl
	run synth-gen markov --train empty.jsonl --save model.ngm
	assert_failure 1
	assert_output "synth-gen: --train: the records hold no words"
	cmp model.ngm before.ngm
}

@test "markov: usage errors name the mode" {
	make_seed
	run synth-gen markov -n 1
	assert_failure 2
	assert_output --partial "markov needs --train FILE or --load MODEL, one of them"
	run synth-gen markov --train seed.jsonl --load x -n 1
	assert_failure 2
	run synth-gen markov --train seed.jsonl -n 1 seed.jsonl
	assert_failure 2
	run synth-gen markov --train seed.jsonl --order 7 -n 1
	assert_failure 2
	run synth-gen markov --train seed.jsonl -t x.tpl -n 1
	assert_failure 2
	assert_output --partial "--template is an option of synth-gen prompts, not markov"
	run synth-gen prompts --load x -n 1
	assert_failure 2
	assert_output --partial "--load is an option of synth-gen markov, not prompts"
}

# --- complete -------------------------------------------------------------

# prompt records p1 .. pN
make_prompts() {
	local i
	for i in $(seq "$1"); do
		printf '{"id":"p%d","prompt":"question number %d"}\n' "$i" "$i"
	done > prompts.jsonl
}

@test "complete: one record an answer, in input order, with samples, seeds and provenance" {
	start_server
	make_prompts 5
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --samples 2 --seed 10 \
		--temperature 0.7 --max-tokens 50 prompts.jsonl
	assert_success
	printf '%s\n' "$output" > out.jsonl
	assert_equal "$(jq -r .id out.jsonl | tr '\n' ' ')" "p1-1 p1-2 p2-1 p2-2 p3-1 p3-2 p4-1 p4-2 p5-1 p5-2 "
	# The server answers from the prompt and the seed: each answer is its own.
	assert_equal "$(jq -r 'select(.id == "p3-2") | .text' out.jsonl)" "answer to: question number 3 (seed 11)"
	assert_equal "$(jq -r 'select(.id == "p3-2") | .prompt' out.jsonl)" "question number 3"
	assert_equal "$(jq -c 'select(.id == "p1-1") | .synth | del(.request)' out.jsonl)" \
		'{"generator":"synth-gen complete","model":"tiny","parameters":{"temperature":0.7,"max_tokens":50},"seed":10,"sample":1,"parent":"p1","finish_reason":"stop","usage":{"prompt_tokens":14,"completion_tokens":7,"total_tokens":21}}'
	# synth.request: the hash of the request, as the server's log has it.
	assert_equal "$(jq -r .synth.request out.jsonl | sort)" "$(awk '{ print $2 }' server.log | sort)"
	assert_equal "$(grep -c '^ok ' server.log)" 10
	assert_equal "$(synth-gen complete --url "$URL" --model tiny --top-p 0.9 prompts.jsonl | jq -c .synth.parameters | sort -u)" '{"top_p":0.9}'
}

@test "complete: a messages array goes as it is; --system comes first for a prompt" {
	start_server
	printf '{"id":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello"}]}\n{"id":"s","prompt":"hi"}\n' > in.jsonl
	printf 'You are terse.\n' > sys.txt
	run synth-gen complete --url "$URL/v1" --model tiny --system sys.txt in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .text)" "answer to: hello (seed 0)
answer to: hi (seed 0)"
	assert_equal "$(printf '%s\n' "$output" | jq -c 'select(.id == "m-1") | .messages[1]')" '{"role":"user","content":"hello"}'
}

@test "complete: with every fault injected, every prompt x sample comes out exactly once, in order" {
	start_server --fail-first 6 --faults 429,500,503,drop,malformed,trunc --retry-after 0
	make_prompts 10
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --samples 3 --concurrency 8 \
		--retries 6 --backoff 0.01 prompts.jsonl
	assert_success
	printf '%s\n' "$output" > out.jsonl
	local want
	want=$(for i in $(seq 10); do for k in 1 2 3; do echo "p$i-$k"; done; done)
	assert_equal "$(jq -r .id out.jsonl)" "$want"
	assert_equal "$(jq -r 'select(.text != "answer to: question number \(.synth.parent[1:]) (seed \(.synth.sample - 1))") | .id' out.jsonl)" ""
	# Each of the 30 requests met every fault once before its answer.
	assert_equal "$(awk '{print $1}' server.log | sort | uniq -c | awk '{print $2, $1}' | tr '\n' ' ')" \
		"429 30 500 30 503 30 drop 30 malformed 30 ok 30 trunc 30 "
}

@test "complete: an answer slower than --timeout is retried" {
	start_server --fail-first 1 --faults slow --slow-ms 3000
	make_prompts 2
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --backoff 0.01 --timeout 0.5 prompts.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "p1-1 p2-1 "
	assert_equal "$(awk '{print $1}' server.log | sort | uniq -c | awk '{print $2, $1}' | tr '\n' ' ')" "ok 2 slow 2 "
}

@test "complete: Retry-After is honoured over a shorter backoff" {
	start_server --fail-first 1 --faults 429 --retry-after 2
	make_prompts 1
	run synth-gen complete --url "$URL" --model tiny --backoff 0.01 prompts.jsonl
	assert_success
	assert_equal "$(awk '{print $1}' server.log | tr '\n' ' ')" "429 ok "
	# The retry came two seconds or more after the 429 (a lower bound:
	# a slow machine only makes the gap longer).
	assert_equal "$(awk 'NR == 1 { t = $3 } NR == 2 { print ($3 - t >= 1.95) }' server.log)" 1
}

@test "complete: a request that fails for good goes to --rejects with its error; exit 1" {
	start_server --always 500
	make_prompts 3
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --retries 2 --backoff 0.01 \
		--rejects rej.jsonl -o out.jsonl prompts.jsonl
	assert_failure 1
	[ ! -e out.jsonl ] || fail "an output of no answers was written"
	assert_equal "$(jq -c '[.id, .reject.reason, .reject.error, .reject.sample, .reject.line]' rej.jsonl)" \
		'["p1","request failed","HTTP 500, after 3 attempts: injected",1,1]
["p2","request failed","HTTP 500, after 3 attempts: injected",1,2]
["p3","request failed","HTTP 500, after 3 attempts: injected",1,3]'
	echo "$stderr" | grep -qx "synth-gen: 3 requests failed for good; the prompts are in the --rejects file" ||
		fail "no summary: $stderr"
	assert_equal "$(wc -l < server.log)" 9
}

@test "complete: a 400 is not retried; a good answer next to it is kept" {
	start_server --fail-first 1 --faults 400
	make_prompts 2
	printf '{"id":"p1","prompt":"question number 1"}\n' > again.jsonl
	# The first attempt of each distinct request is refused.
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --backoff 0.01 prompts.jsonl
	assert_failure 1
	assert_equal "$output" ""
	assert_equal "$(grep -c '^400 ' server.log)" 2
	assert_equal "$(wc -l < server.log)" 2
	run synth-gen complete --url "$URL" --model tiny again.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .id)" p1-1
}

@test "complete: the circuit breaker stops a run against a server that keeps failing" {
	start_server --always 503 --retry-after 1
	make_prompts 50
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --backoff 0.01 --retries 100 \
		--breaker 1 -o out.jsonl prompts.jsonl
	assert_failure 1
	echo "$stderr" | grep -Eq "^synth-gen: $URL/v1/chat/completions: no answer for [0-9]+ s and [0-9]+ failed attempts \(the last: HTTP 503: injected\); stopping$" ||
		fail "no breaker message: $stderr"
	echo "$stderr" | grep -q "prompt samples not answered; with -o FILE and --resume" || fail "$stderr"
	[ ! -e out.jsonl ] || fail "a half output was left"
}

@test "complete: the API key comes from SYNTH_API_KEY and appears nowhere" {
	start_server --api-key s3cr3t-key
	make_prompts 2
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --rejects rej.jsonl -v prompts.jsonl
	assert_failure 1
	assert_equal "$(jq -r .reject.error rej.jsonl | sort -u)" "HTTP 401, after 1 attempt: injected"
	SYNTH_API_KEY=s3cr3t-key run --separate-stderr synth-gen complete --url "$URL" --model tiny \
		--rejects rej2.jsonl -v prompts.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | wc -l)" 2
	! grep -rq s3cr3t out.jsonl rej.jsonl rej2.jsonl 2>/dev/null || fail "the key was written"
	[[ "$output$stderr" != *s3cr3t* ]] || fail "the key was printed"
	run synth-gen complete --url "$URL" --model tiny --help
	[[ "$output" != *s3cr3t* ]]
}

@test "complete: --resume after kill -9 finishes the file without repeating or losing a record" {
	start_server --delay-ms 20
	make_prompts 150
	synth-gen complete --url "$URL" --model tiny --samples 2 --concurrency 4 -o out.jsonl --resume prompts.jsonl &
	kill_after_lines $! out.jsonl.partial 20
	[ -s out.jsonl.partial ] || fail "no partial file"
	[ ! -e out.jsonl ]
	# A write cut in the middle of a line is cut off on resume.
	printf '{"id":"p9' >> out.jsonl.partial
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --samples 2 --concurrency 4 \
		-o out.jsonl --resume -v prompts.jsonl
	assert_success
	echo "$stderr" | grep -q "^synth-gen: --resume: [0-9]* records already in out.jsonl.partial$" || fail "$stderr"
	[ ! -e out.jsonl.partial ]
	assert_equal "$(wc -l < out.jsonl)" 300
	assert_equal "$(jq -r .id out.jsonl | sort -u | wc -l)" 300
	# The same bytes as a run that never stopped.
	synth-gen complete --url "$URL" --model tiny --samples 2 -o whole.jsonl prompts.jsonl
	cmp out.jsonl whole.jsonl
	# A finished file is not resumed into: a new run starts afresh.
	run synth-gen complete --url "$URL" --model tiny --resume prompts.jsonl
	assert_failure 2
}

@test "complete: bad prompt records name file and line; usage errors exit 2" {
	start_server
	printf '{"id":"a","prompt":"fine"}\n{"id":"b","text":"no prompt"}\nnot json\n' > in.jsonl
	run --separate-stderr synth-gen complete --url "$URL" --model tiny in.jsonl
	assert_failure 1
	assert_equal "$stderr" 'synth-gen: in.jsonl:2: no string member "prompt" and no array "messages"'
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --skip-invalid --rejects rej.jsonl in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .id)" a-1
	assert_equal "$(wc -l < rej.jsonl)" 2
	# The loop every program runs: invalid records in the documented
	# wrapper, a warning each and their count.
	assert_equal "$(jq -c . rej.jsonl)" '{"reject":{"reason":"no string member \"prompt\" and no array \"messages\"","file":"in.jsonl","line":2},"raw":"{\"id\":\"b\",\"text\":\"no prompt\"}"}
{"reject":{"reason":"invalid JSON: invalid literal at byte 1","file":"in.jsonl","line":3},"raw":"not json"}'
	assert_equal "$stderr" 'synth-gen: warning: in.jsonl:2: no string member "prompt" and no array "messages" (skipped)
synth-gen: warning: in.jsonl:3: invalid JSON: invalid literal at byte 1 (skipped)
synth-gen: warning: 2 invalid records skipped'
	run synth-gen complete --model tiny in.jsonl
	assert_failure 2
	run synth-gen complete --url "$URL" in.jsonl
	assert_failure 2
	run synth-gen complete --url "$URL" --model tiny -n 3 in.jsonl
	assert_failure 2
	run synth-gen complete --url "$URL" --model tiny --resume -o out.jsonl.zst in.jsonl
	assert_failure 2
	run synth-gen complete --url "$URL" --model tiny --train x in.jsonl
	assert_failure 2
	assert_output --partial "--train is an option of synth-gen markov, not complete"
	run synth-gen markov --load x --url "$URL" -n 1
	assert_failure 2
	assert_output --partial "--url is an option of synth-gen complete, not markov"
}

# fails_with FLAVOR FAULT: one prompt against a server of FLAVOR that
# answers FAULT; sets output (stderr) and leaves rej.jsonl.
fails_with() {
	start_server --flavor "$1" --always "$2"
	printf '{"id":"p1","prompt":"hi"}\n' > one.jsonl
	run --separate-stderr synth-gen complete --url "$URL" --model wrong --retries 0 \
		--rejects rej.jsonl one.jsonl
	assert_failure 1
	output=$stderr
	lines=("${stderr_lines[@]}")
	teardown
	SERVER_PID=
	rm -f port
}

@test "complete: the server's own message is shown, in stderr and in --rejects, with the status" {
	fails_with vllm model404
	assert_line "synth-gen: warning: one.jsonl:1: sample 1: HTTP 404, after 1 attempt: The model \`wrong\` does not exist."
	assert_equal "$(jq -c '[.reject.error, .reject.status]' rej.jsonl)" \
		'["HTTP 404, after 1 attempt: The model `wrong` does not exist.",404]'
	fails_with ollama model404
	assert_equal "$(jq -r .reject.error rej.jsonl)" 'HTTP 404, after 1 attempt: model "wrong" not found, try pulling it first'
	fails_with openai maxtok400
	assert_equal "$(jq -r .reject.error rej.jsonl)" "HTTP 400, after 1 attempt: Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
	fails_with llama ctx400
	assert_equal "$(jq -r .reject.error rej.jsonl)" 'HTTP 400, after 1 attempt: request (529 tokens) exceeds the available context size (512 tokens), try increasing it'
	fails_with vllm auth401
	assert_equal "$(jq -r .reject.error rej.jsonl)" 'HTTP 401, after 1 attempt: Unauthorized'
	fails_with llama auth401
	assert_equal "$(jq -r .reject.error rej.jsonl)" 'HTTP 401, after 1 attempt: Invalid API Key'
	fails_with openai html502
	assert_equal "$(jq -r .reject.error rej.jsonl)" 'HTTP 502, after 1 attempt: 502 Bad Gateway'
	# A long message of several lines is one line, cut.
	start_server --always 500 --error-message "$(printf 'first line\n%0300d' 7)"
	printf '{"id":"p1","prompt":"hi"}\n' > one.jsonl
	run --separate-stderr synth-gen complete --url "$URL" --model m --retries 0 --rejects rej.jsonl one.jsonl
	assert_failure 1
	local e
	e=$(jq -r .reject.error rej.jsonl)
	[[ "$e" == "HTTP 500, after 1 attempt: first line 0000"*"..." ]] || fail "$e"
	[ "${#e}" -le 240 ] || fail "${#e} bytes: $e"
}

# answers_with FLAVOR FAULT [ARGS...]: prompts p1 and p2 against a
# server of FLAVOR that answers FAULT to the prompt of p2, with retries
# to spare; leaves out.jsonl, rej.jsonl, the status in status, stderr in
# output and lines, and the server's log in log.
answers_with() {
	local flavor=$1 fault=$2
	shift 2
	start_server --flavor "$flavor" --always "$fault" --match "number 2"
	make_prompts 2
	run --separate-stderr synth-gen complete --url "$URL" --model m --retries 3 --backoff 0.01 \
		--rejects rej.jsonl -o out.jsonl "$@" prompts.jsonl
	output=$stderr
	lines=("${stderr_lines[@]}")
	log=$(awk '{ print $1 }' server.log | sort | tr '\n' ' ')
	teardown
	SERVER_PID=
	rm -f port server.log
}

@test "complete: an answer without content is not asked again; it goes to --rejects with its finish_reason and refusal" {
	answers_with openai refusal
	assert_equal "$status" 0
	assert_equal "$log" "ok refusal "
	assert_equal "$(jq -r .id out.jsonl)" p1-1
	assert_equal "$(jq -c .reject rej.jsonl)" \
		"{\"reason\":\"no content\",\"error\":\"no content, finish_reason \\\"stop\\\": refused: I'm sorry, I can't help with that.\",\"finish_reason\":\"stop\",\"refusal\":\"I'm sorry, I can't help with that.\",\"sample\":1,\"file\":\"prompts.jsonl\",\"line\":2}"
	assert_line "synth-gen: warning: prompts.jsonl:2: sample 1: no content, finish_reason \"stop\": refused: I'm sorry, I can't help with that."
	assert_line "synth-gen: warning: 1 answer without content, not written; the prompts are in the --rejects file"
	answers_with openai filter
	assert_equal "$log" "filter ok "
	assert_equal "$(jq -c '[.id, .reject.reason, .reject.finish_reason]' rej.jsonl)" '["p2","no content","content_filter"]'
	answers_with vllm toolcalls
	assert_equal "$log" "ok toolcalls "
	assert_equal "$(jq -c '[.id, .reject.finish_reason]' rej.jsonl)" '["p2","tool_calls"]'
	# vLLM cut off while thinking: the reasoning is kept in the reject.
	answers_with vllm thinkcut
	assert_equal "$log" "ok thinkcut "
	assert_equal "$(jq -c '[.id, .reject.finish_reason, .reject.reasoning]' rej.jsonl)" '["p2","length","thinking about: question number 2"]'
	# An error that would come again is not retried either: 400 to 404.
	answers_with vllm model404
	assert_equal "$status" 1
	assert_equal "$log" "model404 ok "
	assert_equal "$(jq -c '[.id, .reject.reason, .reject.status]' rej.jsonl)" '["p2","request failed",404]'
}

@test "complete: truncated answers are counted and kept, or dropped with --drop-truncated; an empty answer is rejected" {
	answers_with llama length -v
	assert_equal "$status" 0
	assert_equal "$(jq -c '[.id, .text, .synth.finish_reason]' out.jsonl | tr '\n' ' ')" \
		'["p1-1","answer to: question number 1 (seed 0)","stop"] ["p2-1","answer to: questio","length"] '
	assert_line 'synth-gen: warning: 1 answer cut off at the token limit (finish_reason "length"), kept (--drop-truncated leaves them out)'
	assert_line --regexp '^synth-gen: 2 answers out, 1 truncated, 0 without content, 0 failed, '
	answers_with llama length --drop-truncated -v
	assert_equal "$status" 0
	assert_equal "$(jq -r .id out.jsonl)" p1-1
	assert_equal "$(jq -c '[.id, .text, .reject.reason, .reject.line]' rej.jsonl)" '["p2-1","answer to: questio","truncated",2]'
	assert_line 'synth-gen: warning: 1 answer cut off at the token limit (finish_reason "length"), not written; they are in the --rejects file'
	assert_line --regexp '^synth-gen: 1 answers out, 1 truncated, '
	# llama-server's answer cut off while thinking: content "", all of it
	# reasoning. Not a record with an empty text.
	answers_with llama thinkcut
	assert_equal "$status" 0
	assert_equal "$log" "ok thinkcut "
	assert_equal "$(jq -r .id out.jsonl)" p1-1
	assert_equal "$(jq -c '[.id, .reject.reason, .reject.error, .reject.finish_reason, .reject.reasoning]' rej.jsonl)" \
		'["p2","empty answer","empty content, finish_reason \"length\"","length","thinking about: question number 2"]'
	run synth-gen markov --load x --drop-truncated -n 1
	assert_failure 2
	assert_output --partial "--drop-truncated is an option of synth-gen complete, not markov"
}

@test "complete: the reasoning is kept in its own member, whatever the server calls it" {
	local flavor
	for flavor in llama vllm ollama; do
		answers_with "$flavor" reasoning
		assert_equal "$status" 0
		assert_equal "$(jq -c '[.id, .text, .reasoning]' out.jsonl | tr '\n' ' ')" \
			'["p1-1","answer to: question number 1 (seed 0)",null] ["p2-1","answer to: question number 2 (seed 0)","thinking about: question number 2"] '
		assert_equal "$(jq -c 'keys_unsorted' out.jsonl | tail -n 1)" '["id","prompt","text","reasoning","synth"]'
	done
}

@test "complete: requests waiting for a free place cost no CPU (no busy loop)" {
	start_server --delay-ms 500
	make_prompts 6
	# Six answers of half a second each, one at a time: three seconds or
	# more. Waiting, the client should sleep: a busy loop spent about as
	# much CPU as the wall clock (far above the bound, even on a loaded
	# machine), a sleeping client a few hundredths of a second.
	/usr/bin/time -f '%e %U %S' -o time.txt synth-gen complete --url "$URL" --model m \
		--concurrency 1 -o out.jsonl prompts.jsonl
	assert_equal "$(wc -l < out.jsonl)" 6
	read -r wall user sys < time.txt
	awk -v w="$wall" 'BEGIN { exit !(w >= 2.9) }' || fail "the run took $wall s"
	awk -v u="$user" -v s="$sys" 'BEGIN { exit !(u + s < 0.4) }' ||
		fail "$user s user and $sys s system CPU in $wall s"
	# The judge waits the same way.
	awk '{ printf "{\"id\":%d,\"text\":\"t%d. Score: 3\"}\n", NR, NR }' prompts.jsonl > judge.jsonl
	/usr/bin/time -f '%e %U %S' -o time.txt synth-score --judge "$URL" --model m --concurrency 1 \
		-o judged.jsonl judge.jsonl
	assert_equal "$(jq -c .quality.judge.score judged.jsonl | sort -u)" 3
	read -r wall user sys < time.txt
	awk -v w="$wall" 'BEGIN { exit !(w >= 2.9) }' || fail "the run took $wall s"
	awk -v u="$user" -v s="$sys" 'BEGIN { exit !(u + s < 0.4) }' ||
		fail "judge: $user s user and $sys s system CPU in $wall s"
}

@test "complete: a server loading its model (503 \"Loading model\") is waited for, up to --wait-ready" {
	start_server --flavor llama --loading-ms 1500
	make_prompts 2
	run --separate-stderr synth-gen complete --url "$URL" --model m --retries 1 --backoff 0.01 \
		--breaker 0.5 prompts.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "p1-1 p2-1 "
	grep -q '^loading ' server.log || fail "the server was never loading"
	assert_equal "$(grep -c '^ok ' server.log)" 2
	# Waiting less than it loads: an error that says so, after the
	# attempts --retries allows.
	teardown
	rm -f port server.log
	start_server --flavor llama --loading-ms 60000
	run --separate-stderr synth-gen complete --url "$URL" --model m --retries 1 --backoff 0.01 \
		--wait-ready 0 --rejects rej.jsonl prompts.jsonl
	assert_failure 1
	assert_equal "$(jq -r .reject.error rej.jsonl | sort -u)" "HTTP 503, after 2 attempts: Loading model"
	assert_equal "$(wc -l < server.log)" 4
}

@test "complete: a Retry-After longer than --max-retry-after waits that long only; an answer past --max-response fails" {
	start_server --fail-first 1 --faults 429 --retry-after 3000
	make_prompts 1
	run timeout 60 synth-gen complete --url "$URL" --model m --backoff 0.01 --max-retry-after 0.5 prompts.jsonl
	assert_success
	assert_equal "$(awk '{print $1}' server.log | tr '\n' ' ')" "429 ok "
	assert_equal "$(printf '%s\n' "$output" | jq -r .id)" p1-1
	teardown
	rm -f port server.log
	start_server --always huge --match "number 2"
	make_prompts 2
	run --separate-stderr synth-gen complete --url "$URL" --model m --retries 3 --max-response 1M \
		--rejects rej.jsonl prompts.jsonl
	assert_failure 1
	assert_equal "$(printf '%s\n' "$output" | jq -r .id)" p1-1
	assert_equal "$(jq -c '[.id, .reject.error]' rej.jsonl)" '["p2","an answer larger than 1048576 bytes (--max-response), after 1 attempt"]'
	assert_equal "$(wc -l < server.log)" 2
	run synth-gen complete --url "$URL" --model m --max-response 10 prompts.jsonl
	assert_failure 2
}

@test "complete and the judge: a SYNTH_API_KEY with a line break is refused, without printing it" {
	start_server
	make_prompts 1
	SYNTH_API_KEY=$'s3cr3t\r\nX-Injected: 1' run --separate-stderr synth-gen complete --url "$URL" --model m prompts.jsonl
	assert_failure 2
	[[ "$stderr" == *"SYNTH_API_KEY holds a control character"* ]] || fail "$stderr"
	[[ "$stderr" != *s3cr3t* ]] || fail "the key was printed"
	SYNTH_API_KEY=$'s3cr3t\n' run --separate-stderr synth-score --judge "$URL" --model m <(echo '{"text":"a"}')
	assert_failure 2
	[[ "$stderr" != *s3cr3t* ]] || fail "the key was printed"
	[ ! -s server.log ] || fail "a request was sent"
}

@test "complete and the judge: seeds past 2^32 - 2 are refused, never wrapped" {
	start_server
	make_prompts 1
	run --separate-stderr synth-gen complete --url "$URL" --model m --seed 18446744073709551615 --samples 2 prompts.jsonl
	assert_failure 2
	[[ "$stderr" == *"--seed 18446744073709551615: the requests carry seeds up to 18446744073709551615 + 1; servers read seeds of 0 to 4294967294 alike"* ]] || fail "$stderr"
	run --separate-stderr synth-gen complete --url "$URL" --model m --seed 4294967294 --samples 2 prompts.jsonl
	assert_failure 2
	run --separate-stderr synth-gen complete --url "$URL" --model m --seed 4294967295 prompts.jsonl
	assert_failure 2
	[[ "$stderr" == *"takes 4294967295 for a random seed"* ]] || fail "$stderr"
	[ ! -s server.log ] || fail "a request was sent"
	run synth-gen complete --url "$URL" --model m --seed 4294967293 --samples 2 prompts.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.synth.seed, .text]' | tr '\n' ' ')" \
		'[4294967293,"answer to: question number 1 (seed 4294967293)"] [4294967294,"answer to: question number 1 (seed 4294967294)"] '
	run synth-score --judge "$URL" --model m --seed 4294967295 <(echo '{"text":"a"}')
	assert_failure 2
}

@test "complete: --url with credentials and a query: the query stays after the path; neither is ever printed" {
	start_server --always 503 --retry-after 0
	make_prompts 20
	local port=${URL##*:}
	run --separate-stderr synth-gen complete --url "http://user:pa55word@127.0.0.1:$port/v1?key=s3cr3t&x=1" \
		--model m --backoff 0.01 --retries 100 --breaker 0.5 -v prompts.jsonl
	assert_failure 1
	[[ "$stderr" == *"http://127.0.0.1:$port/v1/chat/completions?...: no answer for"* ]] || fail "$stderr"
	[[ "$stderr$output" != *pa55word* && "$stderr$output" != *s3cr3t* ]] || fail "a secret was printed: $stderr"
	assert_equal "$(awk '{ print $4 }' server.log | sort -u)" "/v1/chat/completions?key=s3cr3t&x=1"
}

@test "complete --resume: answers are matched by their request; other settings are refused, another input is not mixed in" {
	start_server --fail-first 1 --faults 500 --match doomed
	# Two prompt records share an id: each is its own request.
	printf '%s\n' '{"id":"dup","prompt":"first"}' '{"id":"dup","prompt":"doomed second"}' \
		'{"id":"p3","prompt":"third"}' > in.jsonl
	run --separate-stderr synth-gen complete --url "$URL" --model m --retries 0 --temperature 0.5 \
		--resume -o out.jsonl in.jsonl
	assert_failure 1
	# The journal keeps answers as they come back, in any order.
	assert_equal "$(jq -r '.answer.choices[0].message.content' out.jsonl.partial | sort | tr '\n' '|')" "answer to: first (seed 0)|answer to: third (seed 0)|"
	# Another temperature, model or seed: refused before any request.
	local before
	before=$(wc -l < server.log)
	for other in "--temperature 0.7" "--model m2 --temperature 0.5" "--seed 1 --temperature 0.5"; do
		run --separate-stderr synth-gen complete --url "$URL" --model m $other --resume -o out.jsonl in.jsonl
		assert_failure 1
		assert_equal "$stderr" "synth-gen: out.jsonl.partial:1: an answer made with another model, other parameters or another seed; --resume finishes a run with the settings it began with"
	done
	assert_equal "$(wc -l < server.log)" "$before"
	[ ! -e out.jsonl ]
	# The same settings: the one missing answer is asked, the second
	# record of the id "dup" among them; the output is in input order,
	# as a run that never stopped writes it.
	run --separate-stderr synth-gen complete --url "$URL" --model m --retries 0 --temperature 0.5 \
		--resume -o out.jsonl in.jsonl
	assert_success
	assert_equal "$(tail -n +$((before + 1)) server.log | wc -l)" 1
	assert_equal "$(jq -r '.id + " " + .text' out.jsonl | tr '\n' '|')" \
		"dup-1 answer to: first (seed 0)|dup-1 answer to: doomed second (seed 0)|p3-1 answer to: third (seed 0)|"
	# Answers to requests the next run does not make (a --system
	# added) are not mixed with its own: the journal stays.
	run synth-gen complete --url "$URL" --model m --retries 0 --top-p 0.9 --resume -o two.jsonl in.jsonl
	assert_failure 1
	assert_equal "$(wc -l < two.jsonl.partial)" 2
	printf 'Be brief.\n' > sys.txt
	run --separate-stderr synth-gen complete --url "$URL" --model m --retries 1 --backoff 0.01 --top-p 0.9 \
		--system sys.txt --resume -o two.jsonl in.jsonl
	assert_failure 1
	[[ "$stderr" == *"synth-gen: two.jsonl.partial holds 2 answers to requests this run did not make (another input or --system?); it is kept as it is, not renamed to two.jsonl"* ]] || fail "$stderr"
	assert_equal "$(wc -l < two.jsonl.partial)" 5
	[ ! -e two.jsonl ]
}

@test "complete: a run with a request that failed for good leaves an existing -o file as it was; --rejects has the prompt" {
	start_server --fail-first 1 --faults 500 --match "number 2"
	make_prompts 3
	printf '{"id":"old"}\n' > keep.jsonl
	run --separate-stderr synth-gen complete --url "$URL" --model m --retries 0 --rejects rej.jsonl \
		-o keep.jsonl prompts.jsonl
	assert_failure 1
	assert_equal "$(cat keep.jsonl)" '{"id":"old"}'
	assert_equal "$(jq -r .id rej.jsonl)" p2
	[[ "$stderr" == *"synth-gen: -o keep.jsonl left as it was, without the 2 answers of this run; with --resume they are kept in keep.jsonl.partial, and the same command again asks only for the rest"* ]] ||
		fail "$stderr"
	# On the standard output the answers that came are written, as any
	# filter's would be.
	run --separate-stderr synth-gen complete --url "$URL" --model m --retries 0 prompts.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "p1-1 p2-1 p3-1 "
	teardown
	rm -f port server.log
	start_server --fail-first 1 --faults 500 --match "number 2"
	run --separate-stderr synth-gen complete --url "$URL" --model m --retries 0 prompts.jsonl
	assert_failure 1
	assert_equal "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "p1-1 p3-1 "
	ls ./*.tmp* 2>/dev/null && fail "a temporary file was left"
	true
}

@test "complete: the prompt record's members are carried into each answer; --prompt-field names the prompt" {
	start_server
	make_inputs
	synth-gen prompts -t explain.tpl --slot topic=topics.txt --slot persona=personas.txt --all --seed 5 \
		| jq -c '. + {meta: {lang: "en"}}' > prompts.jsonl
	run synth-gen complete --url "$URL" --model m --samples 2 prompts.jsonl
	assert_success
	printf '%s\n' "$output" > out.jsonl
	assert_equal "$(wc -l < out.jsonl)" 12
	assert_equal "$(jq -c 'keys_unsorted' out.jsonl | sort -u)" '["id","prompt","synth","meta","text"]'
	assert_equal "$(jq -c 'select(.id == "prompt-2-2") | [.prompt, .meta, .synth.template, .synth.slots, .synth.generator, .synth.seed, .synth.parent]' out.jsonl)" \
		'["Explain rain to a nurse.",{"lang":"en"},"explain",{"topic":"rain","persona":"a nurse"},"synth-gen complete",1,"prompt-2"]'
	# Grouped by persona, as synth-stats --by would.
	assert_equal "$(jq -r .synth.slots.persona out.jsonl | sort | uniq -c | awk '{ print $1 }' | tr '\n' ' ')" "6 6 "
	# A prompt in another member; a record without an id gets one, first.
	printf '%s\n' '{"question":"why?","lang":"en"}' '{"id":"q2","question":"how?"}' > q.jsonl
	run synth-gen complete --url "$URL" --model m --prompt-field question q.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.id, .question, .lang, .text]' | tr '\n' ' ')" \
		'["q.jsonl:1-1","why?","en","answer to: why? (seed 0)"] ["q2-1","how?",null,"answer to: how? (seed 0)"] '
	assert_equal "$(printf '%s\n' "$output" | head -n 1 | jq -c keys_unsorted)" '["id","question","lang","text","synth"]'
	run --separate-stderr synth-gen complete --url "$URL" --model m q.jsonl
	assert_failure 1
	assert_equal "$stderr" 'synth-gen: q.jsonl:1: no string member "prompt" and no array "messages"'
}

@test "complete and the judge: the tokens used, totalled in the -v summary and in --usage FILE, answers without content included" {
	# Both answered: the totals are the sums of the records' usage.
	answers_with openai ok --usage all.json
	jq -sc '{program: "synth-gen complete", model: "m", answers: 2,
		prompt_tokens: (map(.synth.usage.prompt_tokens) | add),
		cached_tokens: (map(.synth.usage.prompt_tokens_details.cached_tokens) | add),
		completion_tokens: (map(.synth.usage.completion_tokens) | add),
		reasoning_tokens: (map(.synth.usage.completion_tokens_details.reasoning_tokens) | add)}
		| .total_tokens = .prompt_tokens + .completion_tokens' out.jsonl > sums.json
	assert_equal "$(jq -c . all.json)" "$(cat sums.json)"
	# The server refuses the second as many tokens as it would have
	# answered with: the refused answer's tokens count too.
	answers_with openai refusal -v --usage usage.json
	assert_equal "$status" 0
	assert_equal "$(jq -c . usage.json)" "$(cat sums.json)"
	assert_line --regexp '^synth-gen: tokens used: [0-9]+ prompt \(0 of them cached\), [0-9]+ completion \(0 of them reasoning\), in 2 answers of m$'
	answers_with openai reasoning --usage usage.json
	assert_equal "$(jq -c '[.answers, .reasoning_tokens]' usage.json)" '[2,5]'
	# The judge's, the same way.
	start_server --flavor llama
	printf '%s\n' '{"id":1,"text":"a. Score: 3"}' '{"id":2,"text":"b. Score: 4"}' > in.jsonl
	run --separate-stderr synth-score --judge "$URL" --model judge-m --usage judge.json -v in.jsonl
	assert_success
	assert_equal "$(jq -c '[.program, .model, .answers, .cached_tokens, .total_tokens == .prompt_tokens + .completion_tokens, .prompt_tokens > 0]' judge.json)" \
		'["synth-score --judge","judge-m",2,0,true,true]'
	run synth-score --usage judge.json in.jsonl
	assert_failure 2
	run synth-gen complete --url "$URL" --model m --usage out.jsonl -o out.jsonl in.jsonl
	assert_failure 2
}

@test "complete --budget: the run stops once the answers used the tokens, and --resume finishes it" {
	start_server
	make_prompts 20
	run --separate-stderr synth-gen complete --url "$URL" --model m --concurrency 1 --budget 50 \
		--resume -o out.jsonl prompts.jsonl
	assert_failure 1
	[[ "$stderr" == *"synth-gen: the --budget of 50 tokens is spent ("*" used); stopping"* ]] || fail "$stderr"
	# One request at a time: the answer that passed the budget is the last.
	local kept
	kept=$(wc -l < out.jsonl.partial)
	assert_equal "$(jq -s 'map(.answer.usage.total_tokens) | (add >= 50) and (add - last < 50)' out.jsonl.partial)" true
	assert_equal "$(wc -l < server.log)" "$kept"
	[ ! -e out.jsonl ]
	run --separate-stderr synth-gen complete --url "$URL" --model m --concurrency 1 --resume -o out.jsonl prompts.jsonl
	assert_success
	assert_equal "$(jq -r .id out.jsonl | tr '\n' ' ')" "$(for i in $(seq 20); do printf 'p%d-1 ' "$i"; done)"
	assert_equal "$(wc -l < server.log)" 20
	# The judge stops the same way.
	judge_in() { for i in $(seq 10); do printf '{"id":%d,"text":"t. Score: 3"}\n' "$i"; done; }
	judge_in > in.jsonl
	run --separate-stderr synth-score --judge "$URL" --model m --concurrency 1 --budget 100 --resume -o j.jsonl in.jsonl
	assert_failure 1
	[[ "$stderr" == *"the --budget of 100 tokens is spent"* ]] || fail "$stderr"
	[ -s j.jsonl.partial ] && [ ! -e j.jsonl ]
	[ "$(wc -l < j.jsonl.partial)" -lt 10 ] || fail "every record judged"
}

@test "markov --samples K: K continuations a prompt, with the ids and seeds complete gives its answers" {
	make_seed
	start_server
	synth-gen markov --train seed.jsonl --save model.ngm
	printf '{"id":"p1","prompt":"the quick"}\n{"id":7,"prompt":"lazy"}\n' > prompts.jsonl
	run synth-gen markov --load model.ngm --samples 3 --seed 5 prompts.jsonl
	assert_success
	printf '%s\n' "$output" > out.jsonl
	assert_equal "$(jq -c '[.id, .synth.seed, .synth.sample, .synth.parent]' out.jsonl | tr '\n' ' ')" \
		'["p1-1",5,1,"p1"] ["p1-2",6,2,"p1"] ["p1-3",7,3,"p1"] ["7-1",5,1,7] ["7-2",6,2,7] ["7-3",7,3,7] '
	synth-gen complete --url "$URL" --model m --samples 3 --seed 5 prompts.jsonl > answers.jsonl
	assert_equal "$(jq -c '[.id, .synth.seed, .synth.sample, .synth.parent]' out.jsonl)" \
		"$(jq -c '[.id, .synth.seed, .synth.sample, .synth.parent]' answers.jsonl)"
	# Sample k is the one sample of --seed 5 + k - 1.
	for k in 1 2 3; do
		assert_equal "$(synth-gen markov --load model.ngm --seed $((4 + k)) prompts.jsonl | jq -r .text)" \
			"$(jq -r "select(.synth.sample == $k) | .text" out.jsonl)"
	done
	[ "$(jq -r 'select(.synth.parent == "p1") | .text' out.jsonl | sort -u | wc -l)" -gt 1 ] || fail "three equal samples"
	run synth-gen markov --load model.ngm --samples 2 -n 3
	assert_failure 2
}

@test "complete and the judge: inputs of several blocks, answers in input order, each asked once, for any -j" {
	start_server
	# 1200 prompts of a kilobyte: two blocks of the record loop.
	local pad
	pad=$(printf '%01000d' 0)
	awk -v pad="$pad" 'BEGIN { for (i = 1; i <= 1200; i++) printf "{\"id\":\"p%d\",\"prompt\":\"question %d %s\"}\n", i, i, pad }' > big.jsonl
	[ "$(wc -c < big.jsonl)" -gt 1100000 ] || fail "not two blocks"
	synth-gen complete --url "$URL" --model m --concurrency 8 -j 3 -o out.jsonl big.jsonl
	assert_equal "$(jq -r .id out.jsonl | md5sum)" "$(jq -r '.id + "-1"' big.jsonl | md5sum)"
	assert_equal "$(jq -r 'select(.text != "answer to: \(.prompt) (seed 0)") | .id' out.jsonl)" ""
	assert_equal "$(wc -l < server.log)" 1200
	# The judge over the answers: two blocks again.
	: > server.log
	synth-score --judge "$URL" --model m --concurrency 8 -j 2 -o judged.jsonl out.jsonl
	assert_equal "$(jq -r .id judged.jsonl | md5sum)" "$(jq -r .id out.jsonl | md5sum)"
	assert_equal "$(jq -r '.quality.judge.raw | startswith("answer to: ")' judged.jsonl | sort -u)" true
	assert_equal "$(wc -l < server.log)" 1200
}

@test "complete and the judge: --param NAME=JSON sends any other member, as given" {
	start_server --bodies bodies.jsonl
	make_prompts 1
	run synth-gen complete --url "$URL" --model m --max-tokens 9 --param 'stop=["\n\n","END"]' \
		--param max_completion_tokens=100 --param 'chat_template_kwargs={"enable_thinking":false}' prompts.jsonl
	assert_success
	assert_equal "$(jq -c '[.stop, .max_completion_tokens, .chat_template_kwargs, .max_tokens]' bodies.jsonl)" \
		'[["\n\n","END"],100,{"enable_thinking":false},9]'
	# Kept with the answer's parameters, so that --resume knows them.
	assert_equal "$(printf '%s\n' "$output" | jq -c .synth.parameters)" \
		'{"max_tokens":9,"stop":["\n\n","END"],"max_completion_tokens":100,"chat_template_kwargs":{"enable_thinking":false}}'
	: > bodies.jsonl
	run synth-score --judge "$URL" --model m --param 'stop=["Score"]' <(echo '{"text":"a"}')
	assert_success
	assert_equal "$(jq -c .stop bodies.jsonl)" '["Score"]'
	run --separate-stderr synth-gen complete --url "$URL" --model m --param 'stop=[1,' prompts.jsonl
	assert_failure 2
	[[ "$stderr" == *"--param stop=[1,: the value is not one JSON value"* ]] || fail "$stderr"
	run synth-gen complete --url "$URL" --model m --param seed=3 prompts.jsonl
	assert_failure 2
	run synth-gen complete --url "$URL" --model m --param n=1 --param n=2 prompts.jsonl
	assert_failure 2
	run synth-gen complete --url "$URL" --model m --param 'a b=1' prompts.jsonl
	assert_failure 2
	run synth-score --judge "$URL" --model m --param temperature=1 <(echo '{"text":"a"}')
	assert_failure 2
}

@test "complete: --price gives the cost of the tokens used, from the user's prices only" {
	answers_with openai ok -v --usage usage.json --price 2.5,10
	assert_equal "$status" 0
	assert_equal "$(jq -c '.cost == ((.prompt_tokens * 2.5 + .completion_tokens * 10) / 1000000)' usage.json)" true
	assert_line --regexp '^synth-gen: tokens used: .*; cost 0\.0[0-9]{3} at --price$'
	answers_with openai ok --usage usage.json
	assert_equal "$(jq -c 'has("cost")' usage.json)" false
	run synth-gen complete --url http://127.0.0.1:9 --model m --price 2.5 prompts.jsonl
	assert_failure 2
}

@test "complete and the judge: a server that wants max_completion_tokens gets it, re-sent once, and from then on" {
	# OpenAI's reasoning models: a 400 for "max_tokens", whatever the rest.
	start_server --flavor openai --always maxtok400 --match '"max_tokens"' --bodies bodies.jsonl
	make_prompts 3
	run --separate-stderr synth-gen complete --url "$URL" --model m --max-tokens 50 --concurrency 1 -v prompts.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .text | tr '\n' '|')" \
		"answer to: question number 1 (seed 0)|answer to: question number 2 (seed 0)|answer to: question number 3 (seed 0)|"
	# One refusal, then every request named the server's way.
	assert_equal "$(awk '{ print $1 }' server.log | tr '\n' ' ')" "maxtok400 ok ok ok "
	assert_equal "$(jq -c '[.max_tokens, .max_completion_tokens]' bodies.jsonl | tr '\n' ' ')" \
		"[50,null] [null,50] [null,50] [null,50] "
	[[ "$stderr" == *"synth-gen: $URL/v1/chat/completions: the server wants max_completion_tokens for max_tokens; sent so from now on"* ]] ||
		fail "$stderr"
	# The answers keep the option as given.
	assert_equal "$(printf '%s\n' "$output" | jq -c .synth.parameters | sort -u)" '{"max_tokens":50}'
	# The judge too.
	: > server.log
	: > bodies.jsonl
	run synth-score --judge "$URL" --model m --judge-max-tokens 20 --concurrency 1 <(echo '{"text":"a. Score: 2"}')
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c .quality.judge.score)" 2
	assert_equal "$(awk '{ print $1 }' server.log | tr '\n' ' ')" "maxtok400 ok "
	assert_equal "$(jq -c .max_completion_tokens bodies.jsonl | tr '\n' ' ')" "null 20 "
	# A server that refuses both: the first request re-sent once only,
	# the others sent the second way at once; each fails, not retried.
	teardown
	rm -f port server.log
	start_server --flavor openai --always maxtok400 --bodies bodies2.jsonl
	run --separate-stderr synth-gen complete --url "$URL" --model m --max-tokens 50 --concurrency 1 \
		--retries 3 --rejects rej.jsonl prompts.jsonl
	assert_failure 1
	assert_equal "$(wc -l < server.log)" 4
	assert_equal "$(jq -c '[.max_tokens, .max_completion_tokens]' bodies2.jsonl | tr '\n' ' ')" \
		"[50,null] [null,50] [null,50] [null,50] "
	assert_equal "$(jq -r .reject.error rej.jsonl | sort -u)" \
		"HTTP 400, after 1 attempt: Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
}

@test "complete and the judge: --probe PATH waits for the server's /health or /v1/models before the first request, up to --wait-ready" {
	# llama-server: 503 "Loading model" on every path while it loads.
	start_server --flavor llama --loading-ms 1500
	make_prompts 2
	run --separate-stderr synth-gen complete --url "$URL/v1" --model m --probe /health --retries 0 -v prompts.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -r .id | tr '\n' ' ')" "p1-1 p2-1 "
	# Probes until one answered 200, then the requests: none met the loading.
	assert_equal "$(awk '{ print $1 }' server.log | uniq | tr '\n' ' ')" "get-503 get-200 ok "
	assert_equal "$(awk '$1 ~ /^get/ { print $4 }' server.log | sort -u)" /health
	[[ "$stderr" == *"synth-gen: $URL/health: HTTP 503: Loading model; waiting up to 300 s (--wait-ready)"* ]] || fail "$stderr"
	echo "$stderr" | grep -q "^synth-gen: $URL/health: ready after [0-9.]* s$" || fail "$stderr"
	# vLLM listens only once its engine is up: refused connections are waited for.
	teardown
	rm -f port server.log
	start_server --flavor vllm --listen-after-ms 1500 --model-name m
	run --separate-stderr synth-score --judge "$URL" --model m --probe /v1/models --retries 0 <(echo '{"text":"a. Score: 4"}')
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c .quality.judge.score)" 4
	assert_equal "$(awk '{ print $1, $4 }' server.log | tr '\n' '|')" "get-200 /v1/models|ok /v1/chat/completions|"
	# Not ready within --wait-ready: the run stops before any request.
	teardown
	rm -f port server.log
	start_server --flavor llama --loading-ms 60000
	run --separate-stderr synth-gen complete --url "$URL" --model m --probe /health --wait-ready 1 -o out.jsonl prompts.jsonl
	assert_failure 1
	[[ "$stderr" == *"synth-gen: $URL/health: not ready after 1 s (--wait-ready); the last answer: HTTP 503: Loading model"* ]] || fail "$stderr"
	assert_equal "$(awk '{ print $1 }' server.log | sort -u)" get-503
	[ ! -e out.jsonl ]
	run synth-gen complete --url "$URL" --model m --probe health prompts.jsonl
	assert_failure 2
	run synth-score --judge "$URL" --model m --probe '/health?x' prompts.jsonl
	assert_failure 2
}

@test "complete: the next block's requests go out while a block waits for an answer (lib/llm_stage, the judge's too)" {
	# The answer to prompt 1000, ten or so before the end of the first
	# block of a megabyte (prompts 1 to about 1010), comes three seconds
	# late. A client that waited for every answer of a block before
	# sending the next block's requests would send none of the second
	# block before that answer went out; ours keeps up to 4 x
	# --concurrency requests waiting across blocks, so the whole second
	# block is asked meanwhile. Counted in the server's log: arrivals and
	# the answer's leaving, in order.
	start_server --always slow --match 'question 1000 0' --slow-ms 3000 --log-sent yes --bodies bodies.jsonl
	local pad
	pad=$(printf '%01000d' 0)
	awk -v pad="$pad" 'BEGIN { for (i = 1; i <= 1200; i++) printf "{\"id\":\"p%d\",\"prompt\":\"question %d %s\"}\n", i, i, pad }' > big.jsonl
	synth-gen complete --url "$URL" --model m --concurrency 8 -o out.jsonl big.jsonl
	assert_equal "$(jq -r .id out.jsonl | md5sum)" "$(jq -r '.id + "-1"' big.jsonl | md5sum)"
	local slow last
	slow=$(awk '$1 == "slow" { print $2 }' server.log)
	[ -n "$slow" ] || fail "no slow request"
	# The request of the last prompt (of the second block), by its place
	# among the requests: the bodies file has them in the log's order.
	last=$(grep -n '"question 1200 0' bodies.jsonl | cut -d: -f1)
	assert_equal "$(awk -v slow="$slow" -v last="$last" '
		$1 != "sent" && $1 !~ /^get/ { n++; if (n == last) { print "last prompt asked"; exit } }
		$1 == "sent" && $2 == slow { print "slow answer sent"; exit }' server.log)" "last prompt asked"
}

@test "complete and the judge --resume: the journal's lines are as synth-jsonl(5) says; the judge refuses a journal of other settings" {
	start_server --fail-first 1 --faults 500 --match doomed
	printf '%s\n' '{"id":"a","prompt":"first"}' '{"id":"b","prompt":"doomed"}' > in.jsonl
	# A --param spelled over two lines goes on one line everywhere.
	run synth-gen complete --url "$URL" --model m --retries 0 --param $'stop=[\n"END"]' --resume -o out.jsonl in.jsonl
	assert_failure 1
	assert_equal "$(wc -l < out.jsonl.partial)" 1
	assert_equal "$(jq -c 'keys_unsorted' out.jsonl.partial)" '["request","program","settings","id","answer"]'
	assert_equal "$(jq -c '[.program, .settings, .id, .answer.choices[0].message.content, .answer.choices[0].finish_reason]' out.jsonl.partial)" \
		'["synth-gen complete",{"model":"m","parameters":{"stop":["END"]},"seed":0},"a-1","answer to: first (seed 0)","stop"]'
	assert_equal "$(jq -r .request out.jsonl.partial)" "$(awk '$1 == "ok" { print $2 }' server.log)"
	# The file of one program is not the other's.
	cp out.jsonl.partial judged.jsonl.partial
	run --separate-stderr synth-score --judge "$URL" --model m --resume -o judged.jsonl in.jsonl
	assert_failure 1
	assert_equal "$stderr" "synth-score: judged.jsonl.partial:1: not a judgement of synth-score --judge; --resume needs the file it left"
	# The judge's, with another temperature: refused before any request.
	rm judged.jsonl.partial
	printf '%s\n' '{"id":1,"text":"a. Score: 3"}' '{"id":2,"text":"doomed. Score: 4"}' > j.jsonl
	run synth-score --judge "$URL" --model m --retries 0 --resume -o judged.jsonl j.jsonl
	assert_failure 1
	assert_equal "$(jq -c '[.program, .settings, .id]' judged.jsonl.partial)" \
		'["synth-score --judge",{"model":"m","parameters":{"temperature":0},"seed":0},1]'
	local before
	before=$(wc -l < server.log)
	run --separate-stderr synth-score --judge "$URL" --model m --judge-temperature 0.5 --resume -o judged.jsonl j.jsonl
	assert_failure 1
	assert_equal "$stderr" "synth-score: judged.jsonl.partial:1: an answer made with another model, other parameters or another seed; --resume finishes a run with the settings it began with"
	assert_equal "$(wc -l < server.log)" "$before"
	run --separate-stderr synth-score --judge "$URL" --model m --resume -v -o judged.jsonl j.jsonl
	assert_success
	assert_equal "$(jq -c .quality.judge.score judged.jsonl | tr '\n' ' ')" "3 4 "
	[ ! -e judged.jsonl.partial ]
}

# --- complete --json-schema ----------------------------------------------

# answer_schema: the schema of the test server's JSON answers,
# {"answer":"answer to: PROMPT (seed S)","seed":S}, over several lines
# as people write them, in answer.schema.json; and the response_format
# that must carry it, on one line, in expected.json.
answer_schema() {
	cat > answer.schema.json <<'SCHEMA'
{
  "type": "object",
  "required": ["answer", "seed"],
  "properties": {
    "answer": {"type": "string", "pattern": "^answer to: "},
    "seed": {"type": "integer", "minimum": 0}
  },
  "additionalProperties": false
}
SCHEMA
	jq -c '{type: "json_schema", json_schema: {name: "answer", schema: ., strict: true}}' \
		answer.schema.json > expected.json
}

# restart_server ARGS...: the test server stopped, and started again so.
restart_server() {
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	start_server "$@"
}

@test "complete --json-schema: the schema goes as response_format, strict, on one line; a valid answer takes one try" {
	answer_schema
	start_server --expect-format expected.json
	make_prompts 3
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json \
		--samples 2 --seed 4 prompts.jsonl
	assert_success
	printf '%s\n' "$output" > out.jsonl
	assert_equal "$(jq -r .id out.jsonl | tr '\n' ' ')" "p1-1 p1-2 p2-1 p2-2 p3-1 p3-2 "
	# The text is the server's JSON, as it came.
	assert_equal "$(jq -r 'select(.id == "p2-2") | .text' out.jsonl)" '{"answer":"answer to: question number 2 (seed 5)","seed":5}'
	assert_equal "$(jq -c .synth.schema out.jsonl | sort -u)" '{"name":"answer","tries":1}'
	# Every request carried response_format as expected.json has it
	# (the server answers 400 to any other), and none was asked again.
	assert_equal "$(awk '{ print $1 }' server.log | sort | uniq -c | awk '{ print $2, $1 }')" "ok 6"
	# The name is the file's up to its first dot, made of what OpenAI
	# takes; --no-strict-schema sends strict false.
	cp answer.schema.json 'my answer+v2.schema.json'
	jq -c '.json_schema.name = "my_answer_v2" | .json_schema.strict = false' expected.json > lax.json
	restart_server --expect-format lax.json
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema 'my answer+v2.schema.json' \
		--no-strict-schema prompts.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c .synth.schema | sort -u)" '{"name":"my_answer_v2","tries":1}'
	# What the server refuses is a request that failed, with its message.
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json \
		--rejects rej.jsonl prompts.jsonl
	assert_failure 1
	assert_equal "$(jq -r .reject.error rej.jsonl | sort -u)" "HTTP 400, after 1 attempt: response_format differs from lax.json"
}

@test "complete --json-schema: an answer the schema refuses is asked again with the answer and the error; synth.schema.tries counts" {
	answer_schema
	start_server --json-invalid 2 --bodies bodies.jsonl
	printf '{"id":"q","prompt":"name a colour"}\n' > in.jsonl
	# Two wrong answers (the seed as a string, then text that is no
	# JSON) and two follow-ups: the third answer is right.
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json \
		--schema-retries 2 -v in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.id, .text, .synth.schema]')" \
		'["q-1","{\"answer\":\"answer to: name a colour (seed 0)\",\"seed\":0}",{"name":"answer","tries":3}]'
	[[ "$stderr" == *"synth-gen: --json-schema: 2 follow-ups, 0 answers not valid after the last try"* ]] ||
		fail "$stderr"
	# Each follow-up is the conversation so far, the answer, and what
	# is wrong with it, where.
	assert_equal "$(sed -n 3p bodies.jsonl | jq -c '.messages[]')" '{"role":"user","content":"name a colour"}
{"role":"assistant","content":"{\"answer\":\"answer to: name a colour (seed 0)\",\"seed\":\"0\"}"}
{"role":"user","content":"Your answer is not valid under the JSON Schema (at /seed: must be of type integer, not string). Answer again with only the corrected JSON."}
{"role":"assistant","content":"answer to: name a colour (seed 0)"}
{"role":"user","content":"Your answer cannot be read as JSON (invalid JSON: unexpected character at byte 0). Answer again with only the corrected JSON."}'
	# The rest of each request is the first one's: model, seed, format.
	assert_equal "$(jq -c 'del(.messages)' bodies.jsonl | sort -u | wc -l)" 1
	# synth.request is the request that got the answer kept.
	assert_equal "$(printf '%s\n' "$output" | jq -r .synth.request)" "$(awk '$1 == "ok" { print $2 }' server.log)"
	assert_equal "$(awk '{ print $1 }' server.log | tr '\n' ' ')" "invalid invalid ok "
	# The default, one retry, is enough when only the first is wrong.
	restart_server --json-invalid 1
	run synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json in.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c .synth.schema.tries)" 2
}

@test "complete --json-schema: an answer never valid goes to --rejects with its error and answer; without --rejects an error naming the line" {
	answer_schema
	start_server --json-invalid 99
	make_prompts 2
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json \
		--schema-retries 2 --rejects rej.jsonl -o out.jsonl prompts.jsonl
	assert_success
	[ -e out.jsonl ] && [ ! -s out.jsonl ] || fail "answers were written"
	assert_equal "$(jq -c '[.id, .reject.reason, .reject.error, .reject.path, .reject.tries, .reject.line]' rej.jsonl)" \
		'["p1","schema","at /seed: must be of type integer, not string","/seed",3,1]
["p2","schema","at /seed: must be of type integer, not string","/seed",3,2]'
	# The last answer is kept, as it came.
	assert_equal "$(jq -r 'select(.id == "p2") | .reject.answer' rej.jsonl)" '{"answer":"answer to: question number 2 (seed 0)","seed":"0"}'
	assert_equal "$stderr" "synth-gen: warning: 2 answers not valid under answer.schema.json after 3 tries, not written; the prompts are in the --rejects file"
	assert_equal "$(wc -l < server.log)" 6
	# Without --rejects, an error naming the prompt's line, and no -o;
	# the answer that is no JSON has no path.
	restart_server --json-invalid 2
	printf '{"id":"a","prompt":"fine"}\n{"id":"b","prompt":"wrong twice"}\n' > two.jsonl
	printf '{"id":"c","prompt":"fine"}\n{"id":"d","messages":[{"role":"user","content":"fine"},{"role":"assistant","content":"{}"},{"role":"user","content":"again"}]}\n' > mixed.jsonl
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json \
		--schema-retries 1 -o out2.jsonl two.jsonl mixed.jsonl
	assert_failure 1
	[ ! -e out2.jsonl ] || fail "-o was written by a run with an error"
	assert_equal "$stderr" "synth-gen: two.jsonl:1: sample 1: the answer is not valid under answer.schema.json after 2 tries: invalid JSON: unexpected character at byte 0
synth-gen: two.jsonl:2: sample 1: the answer is not valid under answer.schema.json after 2 tries: invalid JSON: unexpected character at byte 0
synth-gen: mixed.jsonl:1: sample 1: the answer is not valid under answer.schema.json after 2 tries: invalid JSON: unexpected character at byte 0
synth-gen: 3 answers not valid under answer.schema.json; --rejects FILE keeps them and their errors
synth-gen: -o out2.jsonl left as it was, without the 1 answers of this run; with --resume they are kept in out2.jsonl.partial, and the same command again asks only for the rest"
	# A messages array with an answer in it already is one try on to
	# the server: wrong once, then right after our follow-up.
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json \
		--schema-retries 1 --rejects rej2.jsonl two.jsonl mixed.jsonl
	assert_success
	assert_equal "$(printf '%s\n' "$output" | jq -c '[.id, .synth.schema.tries]')" '["d-1",2]'
	assert_equal "$(jq -c '[.id, .reject.path, .reject.message, .reject.tries]' rej2.jsonl)" '["a",null,"invalid JSON: unexpected character at byte 0",2]
["b",null,"invalid JSON: unexpected character at byte 0",2]
["c",null,"invalid JSON: unexpected character at byte 0",2]'
}

@test "complete --json-schema: -j and --concurrency change nothing; --resume after kill -9 asks nothing twice and writes the bytes of a whole run" {
	answer_schema
	start_server --json-invalid 1 --delay-ms 20
	make_prompts 60
	synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json --samples 2 -j 1 \
		--concurrency 1 -o one.jsonl prompts.jsonl
	synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json --samples 2 -j 3 \
		--concurrency 7 -o many.jsonl prompts.jsonl
	cmp one.jsonl many.jsonl
	assert_equal "$(wc -l < one.jsonl) $(jq -c .synth.schema.tries one.jsonl | sort -u)" "120 2"
	: > server.log
	synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json --samples 2 --concurrency 4 \
		-o out.jsonl --resume prompts.jsonl &
	kill_after_lines $! out.jsonl.partial 50
	[ ! -e out.jsonl ]
	# The journal holds first answers and answers to follow-ups alike.
	jq -r .request out.jsonl.partial | sort > kept.txt
	local asked
	asked=$(wc -l < server.log)
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json \
		--samples 2 --concurrency 4 -o out.jsonl --resume -v prompts.jsonl
	assert_success
	[ ! -e out.jsonl.partial ]
	cmp out.jsonl one.jsonl
	# Not one request of the journal was asked again.
	assert_equal "$(tail -n +$((asked + 1)) server.log | awk '{ print $2 }' | sort | comm -12 - kept.txt)" ""
	# 240 requests in all: those of the journal and those of the rerun,
	# and the ones in flight at the kill, asked twice at most.
	local rerun
	rerun=$(($(wc -l < server.log) - asked))
	[ $(($(wc -l < kept.txt) + rerun)) -ge 240 ] && [ "$rerun" -lt 240 ] || fail "$(wc -l < kept.txt) kept, $rerun asked again"
	# A journal of another schema is refused before any request.
	synth-gen complete --url "$URL" --model tiny --json-schema answer.schema.json --samples 2 --retries 0 \
		-o other.jsonl --resume prompts.jsonl &
	kill_after_lines $! other.jsonl.partial 5
	jq '.properties.seed.minimum = 1' answer.schema.json > stricter.schema.json
	asked=$(wc -l < server.log)
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema stricter.schema.json \
		--samples 2 -o other.jsonl --resume prompts.jsonl
	assert_failure 1
	assert_equal "$stderr" "synth-gen: other.jsonl.partial:1: an answer made with another model, other parameters or another seed; --resume finishes a run with the settings it began with"
	assert_equal "$(wc -l < server.log)" "$asked"
}

@test "complete --json-schema: a bad schema or option is an error before any request" {
	start_server
	make_prompts 1
	printf '{"type": "object",\n "properties": {"a": {"$ref": "other.json"}}}\n' > ref.json
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema ref.json prompts.jsonl
	assert_failure 1
	[[ "$stderr" == "synth-gen: ref.json: \$ref \"other.json\""* ]] || fail "$stderr"
	printf '{"type": "object",\n' > broken.json
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema broken.json prompts.jsonl
	assert_failure 1
	[[ "$stderr" == "synth-gen: broken.json: invalid JSON"* ]] || fail "$stderr"
	echo true > true.json
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema true.json prompts.jsonl
	assert_failure 1
	assert_equal "$stderr" "synth-gen: true.json: a schema sent as response_format must be an object"
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema missing.json prompts.jsonl
	assert_failure 1
	assert_equal "$stderr" "synth-gen: missing.json: No such file or directory"
	[ ! -e server.log ] || [ ! -s server.log ] || fail "a request was made"
	echo '{"type":"object"}' > ok.json
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --schema-retries 2 prompts.jsonl
	assert_failure 2
	assert_equal "${stderr%%$'\n'*}" "synth-gen: --schema-retries and --no-strict-schema go with --json-schema FILE"
	run synth-gen complete --url "$URL" --model tiny --json-schema ok.json --schema-retries 101 prompts.jsonl
	assert_failure 2
	run --separate-stderr synth-gen complete --url "$URL" --model tiny --json-schema ok.json \
		--param 'response_format={"type":"json_object"}' prompts.jsonl
	assert_failure 2
	run synth-gen prompts --json-schema ok.json -n 1
	assert_failure 2
	assert_output --partial "--json-schema is an option of synth-gen complete, not prompts"
	# Without --json-schema, --param response_format goes as given.
	run synth-gen complete --url "$URL" --model tiny --param 'response_format={"type":"json_object"}' prompts.jsonl
	assert_success
}
