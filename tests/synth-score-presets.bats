#!/usr/bin/env bats
# synth-score: every bound of every preset, each with a record just inside
# (it passes the whole preset: pass true, reasons []) and one just outside
# (it fails that rule alone). A value at a bound passes; the tests hit the
# bound exactly where the signal can take its value, and otherwise the
# nearest values on both sides. The fixtures are generated, and the
# arithmetic of each signal is in the comment beside it (cp: code points).
#
# Covered in tests/synth-score.bats and not repeated here: gopher's
# min_words (50 words pass, 49 fail, each isolated). Where that file
# checks a bound less closely, these tests check it again with other
# fixtures.

load helpers

# as_rec: a record whose text is stdin, byte for byte (a final newline
# included). Escaped in the shell, not by jq, to keep the file fast: the
# texts here hold no control character but the newline.
as_rec() {
	local t
	IFS= read -r -d '' t || true
	t=${t//\\/\\\\}
	t=${t//\"/\\\"}
	t=${t//$'\n'/\\n}
	printf '{"text":"%s"}\n' "$t"
}

# verdict PRESET FILE SIGNAL...: for each record, one line: the values of
# the SIGNALs, then pass and [reasons].
verdict() {
	local preset=$1 file=$2
	shift 2
	synth-score --preset "$preset" "$file" | jq -r '. as $r |
		[($ARGS.positional[] | $r.quality[.] | tostring), ($r.quality.pass | tostring),
		 "[\($r.quality.reasons | join(","))]"] | join(" ")' --args "$@"
}

# pair PRESET SIGNAL INSIDE OUTSIDE RULE: in.jsonl holds two records; the
# first has SIGNAL at INSIDE and passes PRESET whole, the second has it at
# OUTSIDE and fails PRESET on RULE alone.
pair() {
	run verdict "$1" in.jsonl "$2"
	assert_success
	assert_output "$3 true []
$4 false [$5]"
}

# line100 'AWK': one line of 100 words, "the and u003 u004 ... u099 ends."
# (6 + 97 * 4 + 4 = 398 cp of words: the full stop is no part of a
# word), each word w (number i) passed
# through the awk statements AWK first.
line100() {
	awk "BEGIN { for (i = 1; i <= 100; i++) {
		w = i == 1 ? \"the\" : i == 2 ? \"and\" : i == 100 ? \"ends.\" : sprintf(\"u%03d\", i)
		$1
		printf \"%s%s\", (i > 1 ? \" \" : \"\"), w } }"
}

# ngram_text F SHORT R POS...: one line of F filler words of 4 cp each
# ("that" "with" u003 u004 ... "ends."), with the words R after each filler
# numbered POS; SHORT=1 writes filler 3 as "u03", one code point less.
# Word cp: 4 * F - SHORT + (cp of R) * (number of POS).
ngram_text() {
	local f=$1 short=$2 r=$3
	shift 3
	awk -v f="$f" -v short="$short" -v r="$r" -v pos=" $* " 'BEGIN {
		for (i = 1; i <= f; i++) {
			w = i == 1 ? "that" : i == 2 ? "with" : i == f ? "ends." : sprintf("u%03d", i)
			if (i == 3 && short) w = "u03"
			printf "%s%s", (i > 1 ? " " : ""), w
			if (index(pos, " " i " ")) printf " %s", r
		}
	}'
}

# --- gopher: quality -------------------------------------------------------

@test "gopher max_words: 100000 words pass, 100001 fail" {
	# "the and w1 ... w(N-3) end.": N distinct words, none repeated
	# (written as JSON by awk: nothing to escape).
	big() { awk -v n="$1" 'BEGIN { printf "{\"text\":\"the and"; for (i = 1; i <= n - 3; i++) printf " w%d", i; print " end.\"}" }'; }
	{ big 100000; big 100001; } > in.jsonl
	pair gopher words 100000 100001 max_words
}

@test "gopher min_mean_word_length: 300 cp in 100 words pass (3), 299 fail (2.99)" {
	# "the", "and", "été" (3 cp but 5 bytes: lengths are in code points)
	# and a04 to a99 are 99 words of 3 cp, 297, and "oka." 3 more (the full
	# stop is no part of the word): 300 / 100 = 3. With "ok." instead: 299
	# / 100 = 2.99.
	{
		line100 'if (i >= 3 && i <= 99) w = i == 3 ? "été" : sprintf("a%02d", i); if (i == 100) w = "oka."' | as_rec
		line100 'if (i >= 3 && i <= 99) w = i == 3 ? "été" : sprintf("a%02d", i); if (i == 100) w = "ok."' | as_rec
	} > in.jsonl
	pair gopher mean_word_length 3 2.99 min_mean_word_length
}

@test "gopher max_mean_word_length: 1000 cp in 100 words pass (10), 1001 fail (10.01)" {
	# "the" "and": 6; longword003..longword016: 14 * 11 = 154;
	# überlän017..überlän099 (10 cp, 12 bytes): 83 * 10 = 830;
	# "überlängen." (the word without its full stop): 10. 6 + 154 + 830 + 10 = 1000 over 100 words = 10.
	# With word 3 as "longwordx003" (12 cp): 1001 / 100 = 10.01.
	long='if (i >= 3 && i <= 16) w = sprintf("longword%03d", i); if (i >= 17 && i <= 99) w = sprintf("überlän%03d", i); if (i == 100) w = "überlängen."'
	{ line100 "$long" | as_rec; line100 "$long; if (i == 3) w = \"longwordx003\"" | as_rec; } > in.jsonl
	pair gopher mean_word_length 10 10.01 max_mean_word_length
}

@test "gopher max_hash_word_ratio: 10 '#' in 100 words pass (0.1), 11 fail (0.11)" {
	# 8 words with one '#' and one with two ("##u009"): 10 / 100 = 0.1;
	# '#' is counted by character, not by word. One more: 11 / 100.
	hashes='if (i <= 8 && i >= 3) w = "#" w; if (i == 9) w = "##" w; if (i == 10 || i == 11) w = "#" w'
	{ line100 "$hashes" | as_rec; line100 "$hashes; if (i == 12) w = \"#\" w" | as_rec; } > in.jsonl
	pair gopher hash_word_ratio 0.1 0.11 max_hash_word_ratio
}

@test "gopher max_ellipsis_word_ratio: 10 ellipses in 100 words pass (0.1), 11 fail (0.11)" {
	# u003..u008 end in "..." (6), u009 in "......" (a run of six dots
	# counts twice: 2), u010 and u011 in "…" (2): 10 / 100 = 0.1. The line
	# ends with "end.", so it is not an ellipsis line. u012 with "..." too:
	# 11 / 100 = 0.11.
	dots='if (i >= 3 && i <= 8) w = w "..."; if (i == 9) w = w "......"; if (i == 10 || i == 11) w = w "…"'
	{ line100 "$dots" | as_rec; line100 "$dots; if (i == 12) w = w \"...\"" | as_rec; } > in.jsonl
	pair gopher ellipsis_word_ratio 0.1 0.11 max_ellipsis_word_ratio
}

@test "gopher max_bullet_lines_frac: 90 bullet lines of 100 pass (0.9), 91 fail (0.91)" {
	# 100 distinct lines of 4 words (the bullet touches its word, so every
	# word holds a letter). Lines 1 to B start with each of the nine
	# bullets in turn (line 1 indented: lines are trimmed first); the
	# others start with near misses that are no bullets: '+', '—' (em
	# dash), '·' (middle dot), '>'. Line 100 holds "the and".
	bullets() {
		awk -v b="$1" 'BEGIN {
			split("- * • ‣ ◦ ⁃ ● ▪ –", m, " "); split("+ — · >", x, " ")
			for (i = 1; i <= 99; i++)
				printf "%s%s%s u%03d v%03d w%03d\n", (i == 1 ? "  " : ""), (i <= b ? m[(i - 1) % 9 + 1] : x[i % 4 + 1]), "t", i, i, i
			printf "the and v100 w100.\n"
		}'
	}
	{ bullets 90 | as_rec; bullets 91 | as_rec; } > in.jsonl
	pair gopher bullet_lines_frac 0.9 0.91 max_bullet_lines_frac
}

@test "gopher max_ellipsis_lines_frac: 30 lines of 100 ending in an ellipsis pass (0.3), 31 fail (0.31)" {
	# 100 distinct lines of 4 words; lines 1 to E end in "..." (odd) or
	# "…" (even), the others in "." or ".." (two dots: no ellipsis). The
	# ellipsis words stay low: at most 31 / 402 words.
	ellipses() {
		awk -v e="$1" 'BEGIN {
			for (i = 1; i <= 100; i++)
				printf "%su%03d v%03d w%03d x%03d%s\n", (i == 100 ? "the and " : ""), i, i, i, i,
					(i <= e ? (i % 2 ? "..." : "…") : (i % 2 ? "." : ".."))
		}'
	}
	{ ellipses 30 | as_rec; ellipses 31 | as_rec; } > in.jsonl
	pair gopher ellipsis_lines_frac 0.3 0.31 max_ellipsis_lines_frac
}

@test "gopher min_alpha_words_frac: 84 words with a letter of 105 pass (0.8), 83 fail (0.7905)" {
	# Words and pieces of symbols alone, without a letter (21): 1003 to
	# 1015 (13 words), "→" (a piece of symbols), "½" (NFKC: 1⁄2, two
	# words of digits), "٣٤" (Arabic-Indic digits, one word), "3.14" and
	# "1.5%" (two words each). With a letter: the 80 other pieces, of
	# which "don't" and "l'eau" are two words each (84), letters outside
	# ASCII among them (category L): "Ωμέγα", "日本語", "ёж". 84 / 105 =
	# 0.8; word 24 as 1024 too: 83 / 105 = 0.7905.
	alpha='if (i >= 3 && i <= 15) w = 1000 + i; if (i == 16) w = "don'"'"'t"; if (i == 17) w = "l'"'"'eau"; if (i == 18) w = "→"; if (i == 19) w = "½"; if (i == 20) w = "٣٤"; if (i == 21) w = "3.14"; if (i == 22) w = "1.5%"; if (i == 23) w = "Ωμέγα"; if (i == 25) w = "日本語"; if (i == 26) w = "ёж"'
	{ line100 "$alpha" | as_rec; line100 "$alpha; if (i == 24) w = 1000 + i" | as_rec; } > in.jsonl
	pair gopher alpha_words_frac 0.8 0.7905 min_alpha_words_frac
}

@test "gopher min_stop_words: two distinct stop words pass, one (however often) fails" {
	# Near misses that are no stop words in both: them, other, andes,
	# offer, tothe, haveto. Inside: "The" and "(of)," (case and ASCII
	# punctuation around it ignored): 2. Outside: "The", "THE." and
	# "(the)" are one stop word: 1.
	near='if (i >= 3 && i <= 8) w = (i == 3 ? "them" : i == 4 ? "other" : i == 5 ? "andes" : i == 6 ? "offer" : i == 7 ? "tothe" : "haveto")'
	{
		line100 "$near; if (i == 1) w = \"The\"; if (i == 2) w = \"(of),\"" | as_rec
		line100 "$near; if (i == 1) w = \"The\"; if (i == 2) w = \"THE.\"; if (i == 50) w = \"(the)\"" | as_rec
	} > in.jsonl
	pair gopher stop_words 2 1 min_stop_words
}

# --- gopher: repetition ----------------------------------------------------

@test "gopher and synthetic max_dup_line_frac: 30 repeats of 100 lines pass (0.3), 31 fail (0.31)" {
	# 100 lines; the even lines up to 2K are "ok" (K of them, K - 1
	# repeats), the others distinct ("u001 v001 w001."; the first starts
	# with "the and"). K = 31: 30 / 100 = 0.3; K = 32: 31 / 100 = 0.31.
	# The repeats are one short word between distinct lines: no word
	# n-gram repeats, no back-to-back run, dup_line_char_frac small
	# (30 * 2 cp of some 1200), and the text ends in a full stop.
	oks() {
		awk -v k="$1" 'BEGIN {
			for (i = 1; i <= 100; i++)
				if (i % 2 == 0 && i <= 2 * k) print "ok"
				else printf "%su%03d v%03d w%03d.\n", (i == 1 ? "the and " : ""), i, i, i
		}'
	}
	{ oks 31 | as_rec; oks 32 | as_rec; } > in.jsonl
	pair gopher dup_line_frac 0.3 0.31 max_dup_line_frac
	pair synthetic dup_line_frac 0.3 0.31 max_dup_line_frac
}

@test "gopher max_dup_para_frac: 30 repeats of 100 paragraphs pass (0.3), 31 fail (0.31)" {
	# 100 paragraphs between blank lines; the even ones up to 2K are "ok"
	# (K - 1 repeats), the others distinct paragraphs of two lines. K = 31:
	# 30 / 100 = 0.3, while dup_line_frac is 30 / (69 * 2 + 31) = 0.1775.
	# K = 32: 31 / 100 = 0.31, and dup_line_frac 31 / (68 * 2 + 32) =
	# 0.1845, under its bound of 0.3.
	paras() {
		awk -v k="$1" 'BEGIN {
			for (i = 1; i <= 100; i++) {
				if (i > 1) printf "\n"
				if (i % 2 == 0 && i <= 2 * k) print "ok"
				else printf "%su%03d v%03d\nw%03d x%03d.\n", (i == 1 ? "the and " : ""), i, i, i, i
			}
		}'
	}
	{ paras 31 | as_rec; paras 32 | as_rec; } > in.jsonl
	pair gopher dup_para_frac 0.3 0.31 max_dup_para_frac
	run verdict gopher in.jsonl dup_para_frac dup_line_frac
	assert_output "0.3 0.1775 true []
0.31 0.1845 false [max_dup_para_frac]"
}

@test "gopher max_dup_line_char_frac: repeated lines of 76 cp in 380 pass (0.2), in 379 fail (0.2005)" {
	# 19 lines of 19 cp, each with its newline: 380 cp. 13 are distinct
	# lines of five 3-cp words ("the and a02 a03 a04", ..., "a60 ... a64");
	# 6 are single words of 19 cp, X and Y three times each, between
	# them: 4 repeats * 19 = 76 cp; 76 / 380 = 0.2. Single words repeat no
	# n-gram; dup_line_frac is 4 / 19 = 0.21. Outside, a64 is "a6": 76 /
	# 379 = 0.2005.
	chars() {
		awk -v short="$1" 'BEGIN {
			x = "xxxxxxxxxxxxxxxxxxx"; y = "yyyyyyyyyyyyyyyyyyy"; k = 0
			for (l = 1; l <= 19; l++) {
				if (l % 2 == 0 && l <= 12) { print l % 4 == 2 ? x : y; continue }
				for (j = 0; j < 5; j++) {
					w = k == 0 ? "the" : k == 1 ? "and" : k == 64 && short ? "a6" : sprintf("a%02d", k)
					printf "%s%s", (j ? " " : ""), w
					k++
				}
				printf "\n"
			}
		}'
	}
	{ chars 0 | as_rec; chars 1 | as_rec; } > in.jsonl
	pair gopher dup_line_char_frac 0.2 0.2005 max_dup_line_char_frac
}

@test "gopher max_dup_para_char_frac: a repeated paragraph of 85 cp in 425 passes (0.2), in 424 fails (0.2005)" {
	# Paragraphs U1, Q, U2, Q, U3 between blank lines (4 * 2 cp). U1, U2,
	# U3: 17, 17 and 16 words of 4 cp on one line: 5 * 50 - 3 = 247 cp. Q
	# is "ok", a newline, 80 spaces and "go": 85 cp as a paragraph, but
	# its lines are trimmed to "ok" and "go". 247 + 2 * 85 + 8 = 425 and
	# 85 / 425 = 0.2, while the repeated lines make 4 / 425 and 2 of 7
	# lines, and "ok go" twice is 2 * 4 / 208 word cp. Outside, one word
	# is a code point shorter: 85 / 424 = 0.2005.
	paras() {
		awk -v short="$1" 'BEGIN {
			q = "ok\n"; for (s = 0; s < 80; s++) q = q " "; q = q "go"
			n[1] = 17; n[2] = 17; n[3] = 16; k = 0
			for (p = 1; p <= 3; p++) {
				if (p > 1) printf "\n\n%s\n\n", q
				for (j = 0; j < n[p]; j++) {
					k++
					w = k == 1 ? "the," : k == 2 ? "and." : k == 50 ? "end." : sprintf("u%03d", k)
					if (k == 3 && short) w = "u03"
					printf "%s%s", (j ? " " : ""), w
				}
			}
		}'
	}
	{ paras 0 | as_rec; paras 1 | as_rec; } > in.jsonl
	pair gopher dup_para_char_frac 0.2 0.2005 max_dup_para_char_frac
}

@test "gopher max_top_2gram, max_top_3gram, max_top_4gram_char_frac: at the bound of 200 word cp, over it at 199" {
	# A phrase R in distinct company C times (the words around each copy
	# differ), so that its n-grams are the most frequent and no longer
	# n-gram repeats: C * (cp of R) over the cp of all words, 200 inside,
	# 199 outside (ngram_text with SHORT=1).
	# "xx yy" (4 cp) 10 times, 40 fillers: 40 / 200 = 0.2; 40 / 199 = 0.201.
	# "xx yy zz" (6 cp) 6 times, 41 fillers: 36 / 200 = 0.18; 36 / 199 =
	#   0.1809; its 2-grams 6 * 4 = 24: 0.12, 0.1206.
	# "ww xx yy zz" (8 cp) 4 times, 42 fillers: 32 / 200 = 0.16; 32 / 199 =
	#   0.1608; its 3-grams 4 * 6 = 24: 0.12, 0.1206; its 2-grams 16: 0.08,
	#   0.0804.
	# Columns: top_2gram, top_3gram, top_4gram, dup_5gram.
	for short in 0 1; do ngram_text 40 $short "xx yy" 3 7 11 15 19 23 27 31 35 39 | as_rec; done > in.jsonl
	for short in 0 1; do ngram_text 41 $short "xx yy zz" 5 11 17 23 29 35 | as_rec; done >> in.jsonl
	for short in 0 1; do ngram_text 42 $short "ww xx yy zz" 8 18 28 38 | as_rec; done >> in.jsonl
	run verdict gopher in.jsonl top_{2,3,4}gram_char_frac dup_5gram_char_frac
	assert_success
	assert_output "0.2 0 0 0 true []
0.201 0 0 0 false [max_top_2gram_char_frac]
0.12 0.18 0 0 true []
0.1206 0.1809 0 0 false [max_top_3gram_char_frac]
0.08 0.12 0.16 0 true []
0.0804 0.1206 0.1608 0 false [max_top_4gram_char_frac]"
}

@test "gopher max_dup_5gram to max_dup_10gram_char_frac, synthetic max_dup_10gram: at the bound of 400 word cp, over it at 399" {
	# A phrase R of exactly n words, twice, in distinct company among
	# 4-cp fillers (after fillers 30 and 60): every word of both copies is
	# covered, 2 * (cp of R) over the cp of all words, 400 inside, 399
	# outside (ngram_text with SHORT=1). Every m-gram of R repeats too, for
	# m < n, with the same share but a higher bound; no longer one does.
	#  n  cp of R                2 * cp  fillers  inside  outside
	#  5  5 * 6 = 30             60      85       0.15    60 / 399 = 0.1504
	#  6  4 * 5 + 2 * 4 = 28     56      86       0.14    56 / 399 = 0.1404
	#  7  5 * 4 + 2 * 3 = 26     52      87       0.13    52 / 399 = 0.1303
	#  8  8 * 3 = 24             48      88       0.12    48 / 399 = 0.1203
	#  9  4 * 3 + 5 * 2 = 22     44      89       0.11    44 / 399 = 0.1103
	# 10  10 * 2 = 20            40      90       0.1     40 / 399 = 0.1003
	# Fillers: (400 - 2 * cp) / 4. Columns: dup_5gram to dup_10gram.
	phrases=("qaaaaa qbbbbb qccccc qddddd qeeeee" "qaaaa qbbbb qcccc qdddd qeee qfff"
		"qaaa qbbb qccc qddd qeee qff qgg" "qaa qbb qcc qdd qee qff qgg qhh"
		"qaa qbb qcc qdd qe qf qg qh qi" "qa qb qc qd qe qf qg qh qi qj")
	for i in 0 1 2 3 4 5; do
		for short in 0 1; do ngram_text $((85 + i)) $short "${phrases[i]}" 30 60 | as_rec; done
	done > in.jsonl
	run verdict gopher in.jsonl dup_{5,6,7,8,9,10}gram_char_frac
	assert_success
	assert_output "0.15 0 0 0 0 0 true []
0.1504 0 0 0 0 0 false [max_dup_5gram_char_frac]
0.14 0.14 0 0 0 0 true []
0.1404 0.1404 0 0 0 0 false [max_dup_6gram_char_frac]
0.13 0.13 0.13 0 0 0 true []
0.1303 0.1303 0.1303 0 0 0 false [max_dup_7gram_char_frac]
0.12 0.12 0.12 0.12 0 0 true []
0.1203 0.1203 0.1203 0.1203 0 0 false [max_dup_8gram_char_frac]
0.11 0.11 0.11 0.11 0.11 0 true []
0.1103 0.1103 0.1103 0.1103 0.1103 0 false [max_dup_9gram_char_frac]
0.1 0.1 0.1 0.1 0.1 0.1 true []
0.1003 0.1003 0.1003 0.1003 0.1003 0.1003 false [max_dup_10gram_char_frac]"
	# The n = 10 pair under synthetic: the texts end in "end.", finished.
	tail -n 2 in.jsonl > in10.jsonl
	run verdict synthetic in10.jsonl dup_10gram_char_frac
	assert_success
	assert_output "0.1 true []
0.1003 false [max_dup_10gram_char_frac]"
}

# --- c4 --------------------------------------------------------------------

@test "c4 max_lorem_ipsum, max_curly_brace, max_javascript_lines, max_policy_lines: near misses score 0, the marker once fails" {
	# The four rules are "at most 0": inside, a text that comes close
	# without the marker; outside, the marker once ("javascript" twice on
	# one line is one line). Columns: lorem_ipsum, curly_brace,
	# javascript_lines, policy_lines.
	{
		printf 'Lorem, ipsum dolor sit amet; lorem  ipsum, loremipsum.' | as_rec
		printf 'LOREM IPSUM dolor sit amet.' | as_rec
		printf 'A set (or [list]) closes with } and <this>.' | as_rec
		printf 'A set {or list here.' | as_rec
		printf 'Java script and JavaBeans.\nJava-Script too.' | as_rec
		printf 'Please enable JavaScript; javascript is off.\nA clean line.' | as_rec
		printf 'Our policy on privacy, the terms of usage, cookies we use, and a cookie jar policy.' | as_rec
		printf 'Read the Terms of Use.\nA clean line.' | as_rec
	} > in.jsonl
	run verdict c4 in.jsonl lorem_ipsum curly_brace javascript_lines policy_lines
	assert_success
	assert_output "0 0 0 0 true []
1 0 0 0 false [max_lorem_ipsum]
0 0 0 0 true []
0 1 0 0 false [max_curly_brace]
0 0 0 0 true []
0 0 1 0 false [max_javascript_lines]
0 0 0 0 true []
0 0 0 1 false [max_policy_lines]"
}

# --- fineweb ---------------------------------------------------------------

@test "fineweb min_terminal_punct_lines_frac: 12 of 100 lines ending a sentence pass (0.12), 11 fail (0.11)" {
	# 100 distinct lines of 40 cp. Lines 1 to T end with each of
	# the eleven marks in turn (. ! ? " ' … ” ’ 。 ！ ？); the others end
	# with near misses that end no sentence: , : ; ) “ ‘ » -.
	# (tests/synth-score.bats has 3 of 25 against 2 of 25.)
	ends() {
		awk -v t="$1" 'BEGIN {
			split(". ! ? \" '\'' … ” ’ 。 ！ ？", m, " "); split(", : ; ) “ ‘ » -", x, " ")
			for (i = 1; i <= 100; i++)
				printf "line %03d is long enough to not be short%s\n", i, (i <= t ? m[(i - 1) % 11 + 1] : x[i % 8 + 1])
		}'
	}
	{ ends 12 | as_rec; ends 11 | as_rec; } > in.jsonl
	pair fineweb terminal_punct_lines_frac 0.12 0.11 min_terminal_punct_lines_frac
}

@test "fineweb max_short_lines_frac: 67 short lines of 100 pass (0.67), 68 fail (0.68)" {
	# Short lines of 29 cp ("line001 été001 abc001 xyz001.", 32 bytes:
	# lengths are in code points), the others of 30 ("... wxyz001.").
	# 99 newlines over 400 words, every line ends a sentence.
	shorts() {
		awk -v s="$1" 'BEGIN {
			for (i = 1; i <= 100; i++)
				printf "line%03d été%03d abc%03d %s%03d.\n", i, i, i, (i <= s ? "xyz" : "wxyz"), i
		}'
	}
	{ shorts 67 | as_rec; shorts 68 | as_rec; } > in.jsonl
	pair fineweb short_lines_frac 0.67 0.68 max_short_lines_frac
}

@test "fineweb max_dup_line_char_frac: repeated lines of 156 cp in 1560 pass (0.1), in 1559 fail (0.1001)" {
	# 39 lines of 39 cp, each with its newline: 1560 cp. 33 distinct
	# lines of eight 4-cp words ("u001 ... u007 e01."); 6 single words of
	# 39 cp, X and Y three times each: 4 repeats * 39 = 156 cp, 156 / 1560
	# = 0.1. Outside, the last line's "e33." is "e3.": 156 / 1559 = 0.1001.
	# No line is short, 33 of 39 end a sentence, 39 newlines of 270 words.
	chars() {
		awk -v short="$1" 'BEGIN {
			for (j = 0; j < 39; j++) { x = x "x"; y = y "y" }
			k = 0; u = 0
			for (l = 1; l <= 39; l++) {
				if (l % 2 == 0 && l <= 12) { print l % 4 == 2 ? x : y; continue }
				u++
				for (j = 0; j < 7; j++) printf "u%03d ", ++k
				printf "%s\n", (u == 33 && short ? "e3." : sprintf("e%02d.", u))
			}
		}'
	}
	{ chars 0 | as_rec; chars 1 | as_rec; } > in.jsonl
	pair fineweb dup_line_char_frac 0.1 0.1001 max_dup_line_char_frac
}

@test "fineweb max_newline_word_ratio: 30 newlines over 100 words pass (0.3), 31 fail (0.31)" {
	# 10 lines of 10 words, three newlines after each but the last (blank
	# lines count as newlines, not as lines) and three or four after the
	# last: 27 + 3 = 30, or 31, over 100 words.
	nls() {
		awk -v tail="$1" 'BEGIN {
			for (l = 1; l <= 10; l++) {
				for (j = 1; j <= 10; j++) printf "%sa%02d%02d", (j > 1 ? " " : ""), l, j
				printf ".%s", (l < 10 ? "\n\n\n" : tail)
			}
		}'
	}
	{ nls $'\n\n\n' | as_rec; nls $'\n\n\n\n' | as_rec; } > in.jsonl
	pair fineweb newline_word_ratio 0.3 0.31 max_newline_word_ratio
}

# --- synthetic -------------------------------------------------------------

@test "synthetic min_words: 5 words pass, 4 fail" {
	{ printf 'Birds fly south in winter.' | as_rec; printf 'Birds fly south again.' | as_rec; } > in.jsonl
	pair synthetic words 5 4 min_words
}

@test "synthetic max_boilerplate: near misses score 0, the phrase once fails" {
	# "I hope this helped" and "as an AI researcher" are not the assistant
	# phrases "I hope this helps" and "as an AI (language) model".
	{
		printf 'As an AI researcher, I hope this helped you with the birds.' | as_rec
		printf 'As an AI researcher, I hope this helps you with the birds.' | as_rec
	} > in.jsonl
	pair synthetic boilerplate 0 1 max_boilerplate
}

@test "synthetic max_truncated: finished texts score 0, each way of stopping short fails" {
	# Pairs: a closed and an open bracket; ending in ':' and in ','; two
	# code fences and one.
	{
		printf 'Birds fly south in winter (mostly).' | as_rec
		printf 'Birds fly south in winter (mostly.' | as_rec
		printf 'Birds fly south in winter, as follows:\n' | as_rec
		printf 'Birds fly south in winter, as follows,\n' | as_rec
		printf 'Run ```ls -l``` to list the birds.' | as_rec
		printf 'Run ```ls -l to list the birds.' | as_rec
	} > in.jsonl
	run verdict synthetic in.jsonl truncated
	assert_success
	assert_output "0 true []
1 false [max_truncated]
0 true []
1 false [max_truncated]
0 true []
1 false [max_truncated]"
}

@test "synthetic max_max_repeat_run: a 2-gram four times back to back passes (4), five times fails (5)" {
	# "no way" repeated; the words around it differ, and 5 * 2 = 10 words
	# hold a single 10-gram, so nothing else repeats.
	{
		printf 'She said no way no way no way no way today.' | as_rec
		printf 'She said no way no way no way no way no way today.' | as_rec
	} > in.jsonl
	pair synthetic max_repeat_run 4 5 max_max_repeat_run
}

@test "synthetic max_max_repeat_run: a 12-word sentence four times in a row passes (4), five times fails (5)" {
	# Past the n-grams of 1 to 8 words: a clause said again and again,
	# amid 800 distinct words, so that the repeated 10-grams stay under
	# dup_10gram_char_frac's 0.1.
	s='the model keeps saying this same long sentence over and over. '
	f=$(seq -f 'f%03g' 800 | tr '\n' ' ')
	{
		printf 'It began. %s%s%s%s%sThe end.' "$f" "$s" "$s" "$s" "$s" | as_rec
		printf 'It began. %s%s%s%s%s%sThe end.' "$f" "$s" "$s" "$s" "$s" "$s" | as_rec
	} > in.jsonl
	pair synthetic max_repeat_run 4 5 max_max_repeat_run
}

@test "synthetic max_prompt_echo: 50 of the prompt's 100 8-grams pass (0.5), 51 fail (0.51)" {
	# The prompt is p1 ... p107: 100 distinct 8-grams. The text holds
	# p1 ... p57 (50 of them) or p1 ... p58 (51), then "end.".
	prompt=$(seq -f 'p%g' 107 | tr '\n' ' ')
	for n in 57 58; do
		jq -cn --arg p "${prompt% }" --arg t "$(seq -f 'p%g' "$n" | tr '\n' ' ')end." '{prompt: $p, text: $t}'
	done > in.jsonl
	pair synthetic prompt_echo 0.5 0.51 max_prompt_echo
}

# --- per language ----------------------------------------------------------
#
# tests/fixtures/lang/LL.jsonl, one file for each of the twelve languages
# with signals of their own, each record naming its language in "lang"
# and its kind: prose (ours, a paragraph about a market by a bridge) that
# must pass gopher and synthetic; a list of the same paragraph's nouns,
# junk without stop words; and three replies of a chat model (what it is,
# a refusal, a closing phrase) that must fail synthetic.
LANGS="en de fr es it pt nl ru pl uk zh ja"

# verdicts ARGS...: "id kind lang pass [reasons]" for each record of every
# language's fixture, scored with ARGS.
verdicts() {
	local l
	for l in $LANGS; do
		synth-score "$@" "$FIXTURES/lang/$l.jsonl" || return 1
	done | jq -r '"\(.id) \(.quality.lang // "-") \(.quality.pass) [\(.quality.reasons | join(","))]"'
}

@test "per language, gopher and synthetic: prose passes in each of twelve languages, lists fail min_stop_words, boilerplate max_boilerplate (CLD2 finds the language)" {
	# The language asked of CLD2 where it is needed (no member
	# written), and with --lang-id for every record (written): the
	# same verdicts.
	local l ids
	for ids in "" --lang-id; do
		run verdicts --preset gopher --preset synthetic $ids
		assert_success
		for l in $LANGS; do
			local lang=$l
			[ -n "$ids" ] || lang=-
			assert_line "$l-prose $lang true []"
			assert_line --regexp "^$l-list $lang false \[(min_words,)?min_stop_words\]$"
			assert_line --regexp "^$l-self $lang false \[.*max_boilerplate\]$"
			assert_line --regexp "^$l-refusal $lang false \[.*max_boilerplate\]$"
			assert_line --regexp "^$l-closing $lang false \[.*max_boilerplate\]$"
		done
		assert_equal "${#lines[@]}" 60
	done
	# Before: the stop words were English, and words were what lies
	# between spaces: a record of unknown language is judged by English
	# rules still (--lang-of a member no record has). Prose of every other
	# language fails on stop words, Chinese and Japanese on Gopher's mean
	# word length of 3 to 10 characters too (their words are counted as
	# every program counts them, by ICU's dictionaries).
	run verdicts --preset gopher --lang-of none
	assert_line "en-prose - true []"
	for l in de fr es it pt nl ru pl uk; do
		assert_line "$l-prose - false [min_stop_words]"
	done
	assert_line "zh-prose - false [min_mean_word_length,min_stop_words]"
	assert_line "ja-prose - false [min_mean_word_length,min_stop_words]"
}

@test "per language: --lang-of FIELD takes the language from the record, without CLD2, to the same verdicts" {
	run verdicts --preset gopher --preset synthetic --lang-of lang
	assert_success
	# No lang member is written (CLD2 did not run); the verdicts are
	# those of the language found by CLD2.
	verdicts --preset gopher --preset synthetic | sed 's/^\([^ ]*\) [^ ]* /\1 - /' > detected
	assert_equal "$output" "$(cat detected)"
	assert_line "ru-prose - true []"
	# Codes as records write them: a region or script, capitals.
	jq -c '.lang = "ZH_cn"' "$FIXTURES/lang/zh.jsonl" > zh.jsonl
	jq -c '.lang = "pt-BR"' "$FIXTURES/lang/pt.jsonl" > pt.jsonl
	run synth-score --preset gopher --lang-of lang zh.jsonl pt.jsonl
	assert_equal "$(jq -c 'select(.kind == "prose") | [.id, .quality.stop_words >= 2, .quality.pass]' <<<"$output" | tr '\n' ' ')" \
		'["zh-prose",true,true] ["pt-prose",true,true] '
	# A language without a stop-word list: stop_words is null, and no
	# rule on it applies; the other rules do.
	jq -c '.lang = "da"' "$FIXTURES/lang/de.jsonl" > da.jsonl
	run synth-score --preset gopher --lang-of lang da.jsonl
	assert_equal "$(jq -c '[.id, .quality.stop_words, .quality.reasons]' <<<"$output" | head -2 | tr '\n' ' ')" \
		'["de-prose",null,[]] ["de-list",null,["min_words"]] '
	run synth-score --lang-of '' da.jsonl
	assert_failure 2
	assert_output --partial "empty field name for --lang-of"
}

@test "per language, synthetic: the boilerplate of each language fails on max_boilerplate alone; closing phrases count twice" {
	run verdicts --preset synthetic
	assert_success
	local l
	for l in $LANGS; do
		assert_line "$l-prose - true []"
		assert_line "$l-self - false [max_boilerplate]"
		assert_line "$l-refusal - false [max_boilerplate]"
		assert_line "$l-closing - false [max_boilerplate]"
	done
	run synth-score --lang-of lang "$FIXTURES"/lang/*.jsonl
	assert_equal "$(jq -r 'select(.kind == "boilerplate") | .quality.boilerplate' <<<"$output" | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" \
		'1:24 2:12 '
	assert_equal "$(jq -r 'select(.kind != "boilerplate") | .quality.boilerplate' <<<"$output" | sort -u)" 0
}

@test "per language, gopher: words of Chinese and Japanese are ICU's, 56 and 67 at least; the longest mean word length follows the language" {
	# A text without spaces: 的。是。 (or の。は。) and N distinct Han
	# characters (U+4E00 on), each a word between two full stops: N + 2
	# words, none repeated.
	cjk() {
		jq -cn --arg l "$1" --arg p "$2" --argjson n "$3" \
			'{lang: $l, text: ($p + ([range($n)] | map([19968 + .] | implode + "。") | add // ""))}'
	}
	{
		cjk zh 的。是。 54; cjk zh 的。是。 53
		cjk ja の。は。 65; cjk ja の。は。 64
	} > in.jsonl
	run synth-score --preset gopher --lang-of lang in.jsonl
	assert_equal "$(jq -c '[.quality.words, .quality.pass, .quality.reasons]' <<<"$output" | tr '\n' ' ')" \
		'[56,true,[]] [55,false,["min_words"]] [67,true,[]] [66,false,["min_words"]] '
	# synthetic: 6 and 7 words at least.
	{ cjk zh 的。 5; cjk zh 的。 4; cjk ja の。 6; cjk ja の。 5; } > short.jsonl
	run synth-score --preset synthetic --lang-of lang short.jsonl
	assert_equal "$(jq -c '[.quality.words, .quality.reasons]' <<<"$output" | tr '\n' ' ')" \
		'[6,[]] [5,["min_words"]] [7,[]] [6,["min_words"]] '
	# "the and der und", 45 words of 13 letters and "Bahnhofstrende." (14:
	# the full stop is no part of the word): a mean of 611 / 50 = 12.22,
	# under German's 13 and over Gopher's 10.
	long=$(awk 'BEGIN { printf "the and der und"; for (i = 1; i <= 45; i++) printf " Bahnhofstr%03d", i; printf " Bahnhofstrende." }')
	for l in de en nl ru; do printf '{"lang":"%s","text":"%s"}\n' "$l" "$long"; done > long.jsonl
	run synth-score --preset gopher --lang-of lang long.jsonl
	assert_equal "$(jq -c '[.lang, .quality.mean_word_length, .quality.reasons]' <<<"$output" | tr '\n' ' ')" \
		'["de",12.22,[]] ["en",12.22,["max_mean_word_length"]] ["nl",12.22,["max_mean_word_length","min_stop_words"]] ["ru",12.22,["max_mean_word_length","min_stop_words"]] '
	# --max overrides the bound in every language.
	run synth-score --preset gopher --lang-of lang --max mean_word_length=12 long.jsonl
	assert_equal "$(jq -c '.quality.reasons | index("max_mean_word_length") != null' <<<"$output" | sort -u)" true
}
