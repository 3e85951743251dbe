#!/usr/bin/env bats
# The HTML report (lib/report_html.c) in a browser: the unit test's
# fixture, written by tests/report-fixture, rendered by headless
# Chromium; the screenshot's colours are counted by netpbm.

load helpers

fixture() {
	"${SYNTH_BUILD:-$ROOT/build}/tests/report-fixture" "$@"
}

# The names of the fixture's series as they stand in the HTML.
NAMES=(gen-1.jsonl 'gen &lt;2&gt; &amp; &quot;b&quot; &#39;c&#39;' gen-3.jsonl reference)

# plot ID FILE: the lines of the SVG element ID of the page FILE.
plot() {
	sed -n "/<svg id=\"$1\"/,/<\/svg>/p" "$2"
}

@test "each plot holds one series per input and one for the reference" {
	fixture r.html
	local id name
	for id in lengths rank-frequency; do
		plot "$id" r.html > plot
		assert_equal "$(grep -c 'class="series"' plot)" 4
		for name in "${NAMES[@]}"; do
			assert_equal "$(grep -cF "class=\"series\" data-name=\"$name\"" plot)" 1
		done
	done
	for name in distinct_2 vocab_kept unseen_mass perplexity_p50; do
		plot "trend-$name" r.html > plot
		assert_equal "$(grep -c 'class="series"' plot)" 1
		assert_equal "$(grep -cF "class=\"series\" data-name=\"$name\"" plot)" 1
	done
	run ! grep -Eiq '<script|http|//|url\(' r.html
}

@test "the report renders in Chromium: the series are drawn in their colours" {
	fixture r.html
	render_png r.html r.png
	pngtopnm r.png | ppmhist -noheader > colours
	# R G B luminance count, one line per colour.
	assert_equal "$(awk '{ n += $5 } END { print n }' colours)" 2400000
	local white
	white=$(awk '$1 == 255 && $2 == 255 && $3 == 255 { print $5 }' colours)
	# Text, gridlines and series: some 6% of the page is not white;
	# antialiasing makes thousands of colours.
	(( white < 2400000 * 97 / 100 )) || fail "only $((2400000 - white)) pixels are not white"
	(( $(wc -l < colours) > 100 )) || fail "only $(wc -l < colours) colours"
	# The colour of each series, exactly, on more pixels than the
	# swatches of the table and the legends hold (10 by 10 each): the
	# lines are drawn.
	local c n series
	series=$(plot lengths r.html | grep -o ' stroke="#[0-9a-f]*"' | sed 's/.*#//; s/"//')
	assert_equal "$(sort -u <<< "$series" | wc -l)" 4
	for c in $series; do
		n=$(awk -v rgb="$((16#${c:0:2})) $((16#${c:2:2})) $((16#${c:4:2}))" \
			'$1 " " $2 " " $3 == rgb { print $5 }' colours)
		(( ${n:-0} > 1000 )) || fail "colour #$c on ${n:-0} pixels"
	done
}

# dump_dom HTML: the page's DOM after Chromium parsed it, as HTML.
dump_dom() {
	timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--no-first-run --user-data-dir="$BATS_TEST_TMPDIR/chromium" \
		--dump-dom "file://$(realpath "$1")" </dev/null 2>>chromium.log
}

@test "the review page in Chromium: hostile text stays text, no script, image or address, invalid UTF-8 shown as U+FFFD" {
	# A file name that is not UTF-8, texts and values that would be
	# markup, an escaped NUL and a lone surrogate.
	name=$'in\xff.jsonl'
	printf '%s\n' \
		'{"id":"<img src=x onerror=alert(1)>","text":"</script><script>alert(1)</script> <img src=x onerror=alert(2)> <a href=\"http://example.com/\">x</a>","persona":"</style><script>p</script>","synth":{"model":"<iframe src=//evil>"},"quality":{"perplexity":7}}' \
		'{"id":"b2","text":"nul \u0000 bell \u0007 lone \ud800 end","persona":"teacher","quality":{"perplexity":2}}' \
		'{"id":"c3","text":"an ordinary record of a teacher","persona":"teacher"}' > "$name"
	printf '%s\n' '{"id":"<b>x</b>","text":"<script>r</script>","reject":{"reason":"<i>why</i>","file":"<f>","line":1}}' > rej.jsonl
	synth-stats --by persona --review r.html --review-signal quality.perplexity --review-rejects rej.jsonl "$name" > /dev/null
	# The page itself: no script, no address, no attribute from the data.
	run ! grep -Eiq '<(script|img|iframe|link|object|embed)|<a href="[^#]| (src|href)="[^#]|url\(' r.html
	grep -qF '<h1>Review: in'$'\xef\xbf\xbd''.jsonl</h1>' r.html || fail "the file name is not U+FFFD-replaced"
	grep -qF 'nul '$'\xe2\x90\x80'' bell '$'\xe2\x90\x87'' lone '$'\xef\xbf\xbd'' end' r.html || fail "control characters not shown"
	iconv -f UTF-8 -t UTF-8 r.html > /dev/null || fail "the page is not UTF-8"
	# Chromium's DOM: the records and groups are there, and not one
	# element came from the data.
	dump_dom r.html > dom.html
	assert_equal "$(grep -c '<article class="record">' dom.html)" 8
	run ! grep -Eiq '<(script|img|iframe|b|i|f)[ >]|<a href="[^#]' dom.html
	grep -qF '&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;' dom.html || fail "the text is not text"
	grep -qF '&lt;/style&gt;&lt;script&gt;p&lt;/script&gt;' dom.html || fail "the group is not text"
	render_png r.html r.png
	pngtopnm r.png | ppmhist -noheader > colours
	# The records' borders (#1c64c8) and the rejects' (#c2255c) are drawn.
	for rgb in '28 100 200' '194 37 92'; do
		n=$(awk -v rgb="$rgb" '$1 " " $2 " " $3 == rgb { print $5 }' colours)
		(( ${n:-0} > 100 )) || fail "colour $rgb on ${n:-0} pixels"
	done
}

@test "the review page stays readable at thousands of records: an index of groups, bounded boxes, Chromium draws it" {
	# 3000 records in 300 groups, some texts long.
	awk 'BEGIN { for (i = 0; i < 3000; i++) { t = "record " i; if (i % 100 == 0) for (k = 0; k < 400; k++) t = t " long"
		printf "{\"id\":\"id-%d\",\"text\":\"%s\",\"g\":\"group-%03d\"}\n", i, t, i % 300 } }' > many.jsonl
	synth-stats --by g --review r.html many.jsonl > /dev/null
	assert_equal "$(grep -c '<article class="record">' r.html)" 3000
	assert_equal "$(grep -c '<li><a href="#g[0-9]*">group-[0-9]*</a> <span class="count">10</span></li>' r.html)" 300
	grep -qF 'max-height:14em;overflow:auto' r.html || fail "long texts are not in bounded boxes"
	dump_dom r.html > dom.html
	assert_equal "$(grep -c '<article class="record">' dom.html)" 3000
	render_png r.html r.png
}
