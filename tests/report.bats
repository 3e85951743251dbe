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
