/* test-text.c: normalisation (NFKC + case folding), words, code points. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "alloc.h"
#include "hash.h"
#include "strbuf.h"
#include "prng.h"
#include "text.h"
#include "unit.h"

#define LIT(s) (s), (sizeof(s) - 1)

static const utf8proc_option_t NFKC_CASEFOLD =
	UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD;
static const utf8proc_option_t NFKC =
	UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;

static void norm_is(const char *s, const char *want, const char *what)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "<");
	text_normalize(s, strlen(s), &sb);
	struct strbuf w = STRBUF_INIT;
	strbuf_addstr(&w, "<");
	strbuf_addstr(&w, want);
	is_str(sb.buf, w.buf, "text_normalize: %s", what);
	strbuf_release(&sb);
	strbuf_release(&w);
}

static void test_normalize(void)
{
	norm_is("", "", "empty");
	norm_is("Hello, WORLD! 123", "hello, world! 123", "ASCII folds by case only");
	norm_is("AbCdEfGhIjKlMnOpQrStUvWxYz@[`{", "abcdefghijklmnopqrstuvwxyz@[`{",
		"ASCII letters and their neighbours");
	norm_is("\xef\xac\x81", "fi", "the fi ligature");
	norm_is("\xef\xac\x81nd", "find", "the fi ligature in a word");
	norm_is("\xe2\x85\xab", "xii", "Roman numeral twelve");
	norm_is("Stra\xc3\x9f" "e", "strasse", "sharp s folds to ss");
	norm_is("\xe1\xba\x9e", "ss", "capital sharp s folds to ss");
	norm_is("\xef\xbc\xa1\xef\xbd\x82\xef\xbc\x91", "ab1", "fullwidth letters and digits");
	norm_is("e\xcc\x81", "\xc3\xa9", "e + combining acute composes");
	norm_is("E\xcc\x81", "\xc3\xa9", "E + combining acute composes and folds");
	norm_is("cafe\xcc\x81 ok", "caf\xc3\xa9 ok", "composition in the middle of text");
	norm_is("a\xcc\xa3\xcc\x87", "\xe1\xba\xa1\xcc\x87", "two marks: the first composes");
	norm_is("\xce\xa3\xce\x99\xce\xa3\xce\xa5\xce\xa6\xce\x9f\xce\xa3",
		"\xcf\x83\xce\xb9\xcf\x83\xcf\x85\xcf\x86\xce\xbf\xcf\x83", "Greek capital sigma folds to sigma");
	norm_is("\xcf\x82", "\xcf\x83", "Greek final sigma folds to sigma");
	norm_is("\xe2\x84\xaa", "k", "the Kelvin sign");
	norm_is("\xe2\x84\xab", "\xc3\xa5", "the Angstrom sign");
	norm_is("\xc4\xb0", "i\xcc\x87", "capital I with dot above");
	norm_is("\xc2\xbd", "1\xe2\x81\x84" "2", "one half");
	norm_is("\xe2\x91\xa0", "1", "circled one");
	norm_is("a\xc2\xa0" "b", "a b", "no-break space");
	norm_is("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", "\xed\x95\x9c", "Hangul jamo compose to a syllable");
	norm_is("\xea\xb0\x80\xe1\x86\xa8", "\xea\xb0\x81", "a Hangul syllable and a final jamo compose");
	norm_is("\xe3\x81\x8b\xe3\x82\x99", "\xe3\x81\x8c", "kana and the voiced mark compose");
	norm_is("\xef\xbd\xb6\xef\xbe\x9e", "\xe3\x82\xac", "halfwidth katakana and voiced mark");
	norm_is("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "Han unchanged");
	norm_is("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
		"Cyrillic folds");
}

/* A palette of code points that stress the island splitting: marks that
 * compose with an ASCII letter before them, marks that reorder, Hangul
 * jamo that compose with each other, compatibility characters whose
 * forms hold ASCII, and case folds that grow. */
static const int32_t palette[] = {
	0x0300, 0x0301, 0x0302, 0x0308, 0x030A, 0x030C, 0x0323, 0x0327, 0x0328, 0x0331,
	0x0345, 0x0344, 0x0316, 0x05B7, 0x0F73, 0x0F75, 0x093C, 0x1DC0, 0x20D7, 0x3099,
	0x309A, 0x00C5, 0x00E9, 0x00DF, 0x1E9E, 0x0130, 0x0131, 0x212A, 0x212B, 0x2126,
	0x01C5, 0x01C4, 0xFB01, 0xFB03, 0x2163, 0x216B, 0x2460, 0x00BD, 0x00B5, 0x00A0,
	0x2002, 0x3000, 0xFF21, 0xFF41, 0xFF11, 0xFF76, 0xFF9E, 0x1100, 0x1112, 0x1161,
	0x1175, 0x11A8, 0x11C2, 0xAC00, 0xD55C, 0x3131, 0x03A3, 0x03C2, 0x0390, 0x1F80,
	0x1FB3, 0x0386, 0x0410, 0x0451, 0x05D0, 0x0627, 0x0644, 0xFEFB, 0xFDFA, 0x0E33,
	0x0EB3, 0x3042, 0x304B, 0x30AB, 0x30FB, 0x65E5, 0xF900, 0x2F800, 0x1F600, 0x1D400,
	0x1D7CE, 0x2122, 0x33A1, 0x3300, 0x32A4, 0x0149, 0x1E9B, 0x1E0A, 0x0044, 0x2260,
	0x226E, 0x0338, 0x2044, 0x2028, 0x00AD, 0x200D, 0xFE0F, 0x10400, 0x1E900, 0xAB70,
};

static const char ascii_palette[] = "aAeEiIoOuUnNzZ09 .,'-_!?\t";

static uint64_t rng_state = 42;

static uint64_t rnd(void)
{
	rng_state += 0x9e3779b97f4a7c15ull;
	return mix64(rng_state);
}

static void random_text(struct strbuf *sb, size_t ncp)
{
	strbuf_reset(sb);
	for (size_t i = 0; i < ncp; i++) {
		uint64_t r = rnd();
		if (r % 3 == 0) {
			int32_t cp = palette[(r >> 8) % (sizeof(palette) / sizeof(palette[0]))];
			utf8proc_uint8_t b[4];
			utf8proc_ssize_t k = utf8proc_encode_char(cp, b);
			strbuf_add(sb, b, (size_t)k);
		} else {
			strbuf_addc(sb, ascii_palette[(r >> 8) % (sizeof(ascii_palette) - 1)]);
		}
	}
}

static void test_normalize_islands(void)
{
	struct strbuf s = STRBUF_INIT, got = STRBUF_INIT;
	int same = 1, tried = 0;
	for (int i = 0; i < 20000; i++) {
		random_text(&s, 1 + rnd() % 40);
		utf8proc_uint8_t *want = NULL;
		utf8proc_ssize_t wn = utf8proc_map((const utf8proc_uint8_t *)s.buf, (utf8proc_ssize_t)s.len,
						   &want, NFKC_CASEFOLD);
		if (wn < 0) {
			ok(0, "utf8proc_map accepts the random text");
			break;
		}
		strbuf_reset(&got);
		text_normalize(s.buf, s.len, &got);
		tried++;
		if (got.len != (size_t)wn || memcmp(got.buf, want, got.len)) {
			if (same) {
				printf("# differs on '%s'\n#   got:  '%s'\n#   want: '%s'\n", s.buf, got.buf,
				       (const char *)want);
			}
			same = 0;
		}
		free(want);
	}
	ok(same && tried == 20000, "text_normalize equals whole-string utf8proc_map on %d random texts", tried);

	/* The same through text_words, whose scratch space is reused. */
	struct words ws;
	words_init(&ws);
	same = 1;
	for (int i = 0; i < 2000; i++) {
		random_text(&s, 1 + rnd() % 200);
		utf8proc_uint8_t *want = NULL;
		utf8proc_ssize_t wn = utf8proc_map((const utf8proc_uint8_t *)s.buf, (utf8proc_ssize_t)s.len,
						   &want, NFKC_CASEFOLD);
		text_words(s.buf, s.len, &ws);
		if (wn < 0 || ws.norm.len != (size_t)wn || memcmp(ws.norm.buf, want, ws.norm.len))
			same = 0;
		free(want);
	}
	ok(same, "text_words normalises as utf8proc_map does, buffer reused");
	words_release(&ws);
	strbuf_release(&s);
	strbuf_release(&got);
}

/* The tables of lib/unorm against utf8proc itself. */

static void add_cp(struct strbuf *sb, int32_t cp)
{
	utf8proc_uint8_t b[4];
	utf8proc_ssize_t k = utf8proc_encode_char(cp, b);
	strbuf_add(sb, b, (size_t)k);
}

/* Does text_normalize (fold) or the NFKC of text_words_as (!fold) give
 * utf8proc_map's answer for s? On a difference, say so once per what. */
static int same_as_utf8proc(const char *s, size_t n, int fold, struct words *ws, struct strbuf *got,
			    const char *what)
{
	utf8proc_uint8_t *want = NULL;
	utf8proc_ssize_t wn = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &want,
					   fold ? NFKC_CASEFOLD : NFKC);
	const char *g;
	size_t gn;
	if (fold) {
		strbuf_reset(got);
		text_normalize(s, n, got);
		g = got->buf;
		gn = got->len;
	} else {
		text_words_as(s, n, NORM_NFKC, ws);
		g = ws->norm.buf;
		gn = ws->norm.len;
	}
	int same = wn >= 0 && gn == (size_t)wn && !memcmp(g, want, gn);
	if (!same && what) {
		printf("# %s (%s): differs on", what, fold ? "NFKC_Casefold" : "NFKC");
		for (size_t i = 0; i < n && i < 48; i++)
			printf(" %02x", (unsigned char)s[i]);
		printf("\n");
	}
	free(want);
	return same;
}

/* The contexts every code point x is tried in: a code point before it
 * and one after it (0 for none). They are what acts on a neighbour: a
 * letter, an upper-case one, a combining mark, Hangul jamo of each kind
 * and an LV syllable, a kana voicing mark, an Oriya vowel sign that
 * composes with a class-0 code point, and x itself twice. */
static const int32_t contexts[][2] = {
	{ 0, 0 }, { 'a', 0 }, { 'A', 0 }, { 0, 0x0301 }, { 'e', 0x0301 }, { 0, 0x0323 },
	{ 0x1100, 0 }, { 0xAC00, 0 }, { 0xAC01, 0 }, { 0, 0x1161 }, { 0, 0x11A8 }, { 0, 0x11A7 },
	{ 0, 0x3099 }, { 0x0B47, 0 }, { 0, 0x0B3E }, { -1, 0 },
};

static void test_every_code_point(void)
{
	struct words ws;
	struct strbuf text = STRBUF_INIT, got = STRBUF_INIT;
	words_init(&ws);
	for (int fold = 1; fold >= 0; fold--) {
		/* Alone, one call each: the table's answer for x. */
		int same = 1;
		size_t tried = 0;
		for (int32_t cp = 0; cp < 0x110000; cp++) {
			if (cp >= 0xD800 && cp <= 0xDFFF)
				continue;
			strbuf_reset(&text);
			add_cp(&text, cp);
			if (!same_as_utf8proc(text.buf, text.len, fold, &ws, &got, same ? "alone" : NULL))
				same = 0;
			tried++;
		}
		ok(same && tried == 0x110000 - 0x800, "%s: every code point alone (%zu) as utf8proc",
		   fold ? "NFKC_Casefold" : "NFKC", tried);

		/* In context, a block of 256 code points to a text, each with
		 * its neighbours and a space after (a cut, so that the text
		 * is right only if every piece is). */
		for (size_t c = 0; c < sizeof(contexts) / sizeof(contexts[0]); c++) {
			same = 1;
			for (int32_t block = 0; block < 0x110000; block += 256) {
				strbuf_reset(&text);
				for (int32_t cp = block; cp < block + 256; cp++) {
					if (cp >= 0xD800 && cp <= 0xDFFF)
						continue;
					int32_t before = contexts[c][0] < 0 ? cp : contexts[c][0];
					if (before)
						add_cp(&text, before);
					add_cp(&text, cp);
					if (contexts[c][1])
						add_cp(&text, contexts[c][1]);
					strbuf_addc(&text, ' ');
				}
				if (!same_as_utf8proc(text.buf, text.len, fold, &ws, &got, NULL)) {
					if (same)
						printf("# block U+%04X differs\n", (unsigned)block);
					same = 0;
				}
			}
			ok(same, "%s: every code point after U+%04X and before U+%04X as utf8proc",
			   fold ? "NFKC_Casefold" : "NFKC", (unsigned)contexts[c][0],
			   (unsigned)contexts[c][1]);
		}

		/* The decompositions of every code point, canonical, compatible
		 * and case-folded: every composition Unicode has, spelt out
		 * for the pieces to put together again. */
		static const utf8proc_option_t decompositions[] = {
			UTF8PROC_DECOMPOSE, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT,
			UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD,
		};
		same = 1;
		for (size_t d = 0; d < 3; d++) {
			for (int32_t block = 0; block < 0x110000; block += 256) {
				strbuf_reset(&text);
				for (int32_t cp = block; cp < block + 256; cp++) {
					if (cp >= 0xD800 && cp <= 0xDFFF)
						continue;
					utf8proc_int32_t dec[32];
					int bc = 0;
					utf8proc_ssize_t r = utf8proc_decompose_char(cp, dec, 32, decompositions[d], &bc);
					for (utf8proc_ssize_t i = 0; i < r && i < 32; i++)
						add_cp(&text, dec[i]);
					strbuf_addc(&text, ' ');
				}
				if (!same_as_utf8proc(text.buf, text.len, fold, &ws, &got, NULL)) {
					if (same)
						printf("# decompositions %zu, block U+%04X differs\n", d,
						       (unsigned)block);
					same = 0;
				}
			}
		}
		ok(same, "%s: the decompositions of every code point compose as utf8proc has them",
		   fold ? "NFKC_Casefold" : "NFKC");
	}

	/* lib/unorm looks for the second halves of compositions in the
	 * decompositions of planes 0 to 2 only. */
	int32_t beyond = -1;
	for (int32_t cp = 0x30000; cp < 0x110000 && beyond < 0; cp++) {
		utf8proc_int32_t dec[32];
		int bc = 0;
		utf8proc_ssize_t r = utf8proc_decompose_char(cp, dec, 32, UTF8PROC_DECOMPOSE, &bc);
		if (r != 1 || dec[0] != cp)
			beyond = cp;
	}
	if (beyond >= 0)
		printf("# U+%04X decomposes\n", (unsigned)beyond);
	ok(beyond < 0, "no code point beyond plane 2 has a canonical decomposition");
	words_release(&ws);
	strbuf_release(&text);
	strbuf_release(&got);
}

/* Random texts of code points drawn from ranges that act on each other:
 * Latin, Greek and Cyrillic with their combining marks, Hebrew, Arabic,
 * Indic vowel signs that compose with class-0 code points, Hangul jamo
 * and syllables, kana and their voicing marks, compatibility forms, and
 * anything at all. */
static const int32_t random_ranges[][2] = {
	{ 0x0041, 0x007A }, { 0x00C0, 0x024F }, { 0x0300, 0x036F }, { 0x0370, 0x03FF },
	{ 0x0400, 0x04FF }, { 0x0591, 0x05C7 }, { 0x0610, 0x065F }, { 0x0900, 0x097F },
	{ 0x09BE, 0x09D7 }, { 0x0B3E, 0x0B57 }, { 0x0BBE, 0x0BD7 }, { 0x0CC0, 0x0CD6 },
	{ 0x0D3E, 0x0D57 }, { 0x0DCA, 0x0DDF }, { 0x1025, 0x102E }, { 0x1100, 0x11FF },
	{ 0x1AB0, 0x1AFF }, { 0x1DC0, 0x1DFF }, { 0x1E00, 0x1FFF }, { 0x20D0, 0x20FF },
	{ 0x2100, 0x218F }, { 0x2460, 0x24FF }, { 0x3040, 0x30FF }, { 0x3130, 0x318F },
	{ 0x3200, 0x33FF }, { 0xA960, 0xA97F }, { 0xAC00, 0xAC40 }, { 0xD788, 0xD7FF },
	{ 0xFB00, 0xFB4F }, { 0xFE20, 0xFE2F }, { 0xFF00, 0xFFEF }, { 0x1109A, 0x110BA },
	{ 0x1112E, 0x11134 }, { 0x1133E, 0x1134D }, { 0x1D15E, 0x1D1C0 }, { 0x0, 0x10FFFF },
};

static void random_codes(struct strbuf *sb, struct prng *r, size_t ncp)
{
	strbuf_reset(sb);
	size_t nranges = sizeof(random_ranges) / sizeof(random_ranges[0]);
	for (size_t i = 0; i < ncp; i++) {
		const int32_t *range = random_ranges[prng_below(r, nranges)];
		int32_t cp = range[0] + (int32_t)prng_below(r, (uint64_t)(range[1] - range[0] + 1));
		if (cp >= 0xD800 && cp <= 0xDFFF)
			cp = ' ';
		add_cp(sb, cp);
	}
}

/* The words of the normalised text ws->norm by the rules of text.h,
 * spelt out again through utf8proc: what text_split_words must find.
 * A run of a script that a dictionary splits (Han, kana, Thai, Lao,
 * Khmer, Myanmar: its letters and the marks among them) must come out
 * as words in order that lie inside the run, at least one, and end
 * where it ends less any marks ICU left alone; what ICU chose is its
 * dictionary's, tested on sentences below. */
static int ref_dictionary(int32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
	       (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF66 && cp <= 0xFF9F) ||
	       (cp >= 0x20000 && cp <= 0x3FFFF) || (cp >= 0x0E00 && cp <= 0x0EFF) ||
	       (cp >= 0x1000 && cp <= 0x109F) || (cp >= 0xA9E0 && cp <= 0xA9FF) ||
	       (cp >= 0xAA60 && cp <= 0xAA7F) || (cp >= 0x1780 && cp <= 0x17FF) ||
	       (cp >= 0x19E0 && cp <= 0x19FF);
}

/* A word, or (dict) a run for the dictionary, of the reference. */
struct ref_span {
	size_t off, len;
	int dict;
};

static int ref_words_match(const struct words *ws)
{
	const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)ws->norm.buf;
	size_t n = ws->norm.len, i = 0, nw = 0, start = 0;
	int in = 0, dict = 0;	/* inside a word or a run; the run is the dictionary's */
	struct ref_span w[4096];
	while (i <= n) {
		int32_t cp = ' ';
		utf8proc_ssize_t k = 1;
		if (i < n) {
			k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
			if (k < 0) {
				cp = 0xFFFD;
				k = 1;
			}
		}
		utf8proc_category_t c = utf8proc_category(cp);
		int letter = c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
		int mark = c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME;
		int digit = c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO;
		int new_dict = letter && ref_dictionary(cp);
		/* A mark goes on with what it follows; anything but a
		 * letter, mark or digit ends a word or run; a run ends at a
		 * letter or digit of another script, a word at a letter of
		 * the dictionary's. */
		int ends = in && (!(letter || mark || digit) || (dict && (letter || digit) && !new_dict) ||
				  (!dict && new_dict));
		if (ends && nw < 4096)
			w[nw++] = (struct ref_span){ start, i - start, dict };
		if (ends)
			in = 0;
		if (!in && (letter || mark || digit)) {
			in = 1;
			start = i;
			dict = new_dict;
		}
		i += (size_t)k;
	}
	if (nw >= 4096)
		return 0;
	/* The words found against the spans. */
	size_t j = 0;
	for (size_t t = 0; t < nw; t++) {
		if (!w[t].dict) {
			if (j == ws->n || ws->w[j].off != w[t].off || ws->w[j].len != w[t].len)
				return 0;
			j++;
			continue;
		}
		size_t at = w[t].off, end = w[t].off + w[t].len, got = 0;
		while (j < ws->n && ws->w[j].off >= at && ws->w[j].off + ws->w[j].len <= end) {
			at = ws->w[j].off + ws->w[j].len;
			j++;
			got++;
		}
		if (!got)
			return 0;
	}
	return j == ws->n;
}

static void test_random_codes(void)
{
	struct words ws;
	struct strbuf text = STRBUF_INIT, got = STRBUF_INIT, want = STRBUF_INIT;
	struct prng r;
	words_init(&ws);
	prng_seed(&r, 15);
	int same[2] = { 1, 1 }, words_same = 1, join_same = 1;
	for (int t = 0; t < 30000; t++) {
		random_codes(&text, &r, 1 + (size_t)prng_below(&r, 24));
		for (int fold = 0; fold < 2; fold++)
			if (!same_as_utf8proc(text.buf, text.len, fold, &ws, &got, same[fold] ? "random" : NULL))
				same[fold] = 0;
		text_words(text.buf, text.len, &ws);
		if (!ref_words_match(&ws))
			words_same = 0;

		/* words_join appends the words of a range, spaced. */
		size_t from = ws.n ? (size_t)prng_below(&r, ws.n) : 0;
		size_t to = from + (ws.n ? (size_t)prng_below(&r, ws.n - from + 1) : 0);
		strbuf_reset(&got);
		strbuf_addstr(&got, "<");
		words_join(&ws, from, to, &got);
		strbuf_reset(&want);
		strbuf_addstr(&want, "<");
		for (size_t i = from; i < to; i++) {
			if (i > from)
				strbuf_addc(&want, ' ');
			strbuf_add(&want, ws.norm.buf + ws.w[i].off, ws.w[i].len);
		}
		if (got.len != want.len || memcmp(got.buf, want.buf, got.len) || got.buf[got.len])
			join_same = 0;
	}
	ok(join_same, "words_join of random ranges of words");
	ok(same[1], "NFKC_Casefold of 30000 random texts of marks, jamo and compatibility forms as utf8proc");
	ok(same[0], "NFKC of 30000 random texts of marks, jamo and compatibility forms as utf8proc");
	ok(words_same, "text_words of random texts: the words the rules of text.h give");

	/* Bytes of all kinds in the normalised buffer: what is not UTF-8
	 * counts as U+FFFD a byte, as utf8proc_iterate() has it. */
	words_same = 1;
	for (int t = 0; t < 30000; t++) {
		strbuf_reset(&ws.norm);
		size_t n = (size_t)prng_below(&r, 24);
		for (size_t i = 0; i < n; i++) {
			uint64_t b = prng_next(&r);
			strbuf_addc(&ws.norm, (char)(b & 0x100 ? 0x80 | (b & 0x7F) : b));
		}
		text_split_words(&ws, 0);
		if (!ref_words_match(&ws)) {
			if (words_same)
				printf("# differs on %zu bytes\n", ws.norm.len);
			words_same = 0;
		}
	}
	ok(words_same, "text_split_words of random bytes: the words of utf8proc_iterate's code points");
	words_release(&ws);
	strbuf_release(&text);
	strbuf_release(&got);
	strbuf_release(&want);
}

/* Real text: every line of the example corpus (six languages) and of the
 * fixtures, JSON and all. */
static void test_real_text(void)
{
	static const char *const files[] = { "examples/corpus.jsonl", "tests/fixtures/small.jsonl" };
	struct words ws;
	struct strbuf got = STRBUF_INIT;
	words_init(&ws);
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		FILE *fp = fopen(files[f], "r");
		if (!fp) {
			ok(0, "%s opens (run from the top of the tree)", files[f]);
			continue;
		}
		char *line = NULL;
		size_t cap = 0, lines = 0, bytes = 0;
		ssize_t len;
		int same = 1, words_same = 1;
		while ((len = getline(&line, &cap, fp)) > 0) {
			for (int fold = 0; fold < 2; fold++)
				if (!same_as_utf8proc(line, (size_t)len, fold, &ws, &got, same ? files[f] : NULL))
					same = 0;
			text_words(line, (size_t)len, &ws);
			if (!ref_words_match(&ws))
				words_same = 0;
			lines++;
			bytes += (size_t)len;
		}
		free(line);
		fclose(fp);
		ok(same && lines > 0, "%s: %zu lines (%zu bytes) normalise as utf8proc has them", files[f],
		   lines, bytes);
		ok(words_same, "%s: text_words finds the words the rules of text.h give", files[f]);
	}
	words_release(&ws);
	strbuf_release(&got);
}

/* The words of s, joined by '|'. */
static void words_are(const char *s, const char *want)
{
	struct words ws;
	struct strbuf got = STRBUF_INIT;
	words_init(&ws);
	text_words(s, strlen(s), &ws);
	for (size_t i = 0; i < ws.n; i++) {
		if (i)
			strbuf_addc(&got, '|');
		strbuf_add(&got, ws.norm.buf + ws.w[i].off, ws.w[i].len);
	}
	is_str(got.buf, want, "text_words '%s'", s);

	/* The generic path agrees. */
	struct word *fast = malloc(ws.n * sizeof(*fast) + 1);
	size_t nfast = ws.n;
	if (nfast)
		memcpy(fast, ws.w, nfast * sizeof(*fast));
	text_split_words(&ws, 0);
	ok(ws.n == nfast && (!nfast || !memcmp(fast, ws.w, nfast * sizeof(*fast))),
	   "text_split_words without the fast path agrees on '%s'", s);
	/* The count skips normalisation: it agrees on text NFKC leaves as
	 * it is, and may differ on compatibility characters ('½'). */
	char *nfkc = (char *)utf8proc_NFKC((const utf8proc_uint8_t *)s);
	if (nfkc && !strcmp(nfkc, s))
		ok(text_count_words(s, strlen(s), &ws) == nfast, "text_count_words counts %zu in '%s'",
		   nfast, s);
	free(nfkc);
	free(fast);
	words_release(&ws);
	strbuf_release(&got);
}

static void test_words(void)
{
	words_are("", "");
	words_are("  ... !!", "");
	words_are("Hello, World!", "hello|world");
	words_are("don't", "don|t");
	words_are("e-mail me@example.com", "e|mail|me|example|com");
	words_are("abc123 456 7.5", "abc123|456|7|5");
	words_are("under_score tab\tnew line", "under|score|tab|new|line");
	/* Scripts without spaces: the words of ICU's dictionaries. */
	words_are("日本語です", "日本語|です");
	words_are("abc日本def", "abc|日本|def");
	words_are("今天早上天气很好", "今天|早上|天气|很好");
	words_are("今日はいい天気ですね", "今日|は|いい|天気|です|ね");
	words_are("สวัสดีครับ วันนี้อากาศดีมาก", "สวัสดี|ครับ|วัน|นี้|อากาศ|ดี|มาก");
	words_are("Linuxカーネルのドライバ", "linux|カーネル|の|ドライバ");
	/* Korean puts spaces between its words. */
	words_are("한국어 단어", "한국어|단어");
	words_are("カタカナ", "カタカナ");
	/* A mark stays with the ideograph before it. */
	words_are("\xe6\x97\xa5\xcc\x81\xe6\x9c\xac", "\xe6\x97\xa5\xcc\x81|\xe6\x9c\xac");
	/* Marks belong to the word: one that does not compose stays. */
	words_are("x\xcc\x81y z", "x\xcc\x81y|z");
	words_are("Cafe\xcc\x81!", "caf\xc3\xa9");
	words_are("\xd9\x83\xd9\x8e\xd8\xaa\xd9\x8e\xd8\xa8\xd9\x8e",
		  "\xd9\x83\xd9\x8e\xd8\xaa\xd9\x8e\xd8\xa8\xd9\x8e");
	words_are("\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5\x80 \xe0\xa4\xad\xe0\xa4\xbe\xe0\xa4\xb7\xe0\xa4\xbe",
		  "\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5\x80|\xe0\xa4\xad\xe0\xa4\xbe\xe0\xa4\xb7\xe0\xa4\xbe");
	/* Normalisation comes first. */
	words_are("\xef\xac\x81ne \xe2\x85\xab STRASSE Stra\xc3\x9f" "e", "fine|xii|strasse|strasse");
	words_are("\xce\xa3\xce\x9f\xce\xa6\xce\x8f\xce\xa3 \xcf\x83\xce\xbf\xcf\x86\xcf\x8e\xcf\x82",
		  "\xcf\x83\xce\xbf\xcf\x86\xcf\x8e\xcf\x83|\xcf\x83\xce\xbf\xcf\x86\xcf\x8e\xcf\x83");
	words_are("a\xc2\xa0" "b", "a|b");
	words_are("a\xe2\x80\x94" "b\xe2\x80\x9c" "c\xe2\x80\x9d", "a|b|c");
	words_are("a\xf0\x9f\x98\x80" "b", "a|b");
	words_are("\xc2\xbd", "1|2");
	words_are("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3", "abc");
	/* Punctuation and symbols among kana are not words. */
	words_are("\xe3\x82\xab\xe3\x83\xbb\xe3\x82\xad", "\xe3\x82\xab|\xe3\x82\xad");
	words_are("\xe3\x80\x8c\xe6\x97\xa5\xe3\x80\x8d\xe3\x80\x82", "\xe6\x97\xa5");
	words_are("\xe3\x82\xa0", "");
	/* A word of letters after an ideograph starts anew. */
	words_are("\xe6\x97\xa5" "a\xe6\x97\xa5" "1", "\xe6\x97\xa5|a|\xe6\x97\xa5|1");
}

static void test_is_dictionary_letter(void)
{
	ok(is_dictionary_letter(0x65E5), "U+65E5 (Han) is split by the dictionary");
	ok(is_dictionary_letter(0x3042), "U+3042 (hiragana) is split by the dictionary");
	ok(is_dictionary_letter(0x30AB), "U+30AB (katakana) is split by the dictionary");
	ok(is_dictionary_letter(0x0E01), "U+0E01 (Thai) is split by the dictionary");
	ok(is_dictionary_letter(0x20000), "U+20000 (CJK extension B) is split by the dictionary");
	ok(!is_dictionary_letter(0xD55C), "U+D55C (Hangul syllable) is not: Korean has spaces");
	ok(!is_dictionary_letter('a'), "'a' is not");
	ok(!is_dictionary_letter(0x00E9), "U+00E9 is not");
	ok(!is_dictionary_letter(0x30FB), "U+30FB (katakana middle dot, punctuation) is not");
	ok(!is_dictionary_letter(0x30A0), "U+30A0 (katakana double hyphen) is not");
	ok(!is_dictionary_letter(0x3099), "U+3099 (combining voiced mark) is not");
	ok(!is_dictionary_letter(0x309B), "U+309B (voiced sound mark, a symbol) is not");
}

static void test_split_paths(void)
{
	static const char alphabet[] = "abcxyzABCXYZ0189 \t\n.,;:'\"!?-_()[]{}<>/\\|@#$%^&*+=~`\x7f\x01";
	struct words ws;
	words_init(&ws);
	int same = 1;
	size_t total = 0;
	for (int i = 0; i < 20000; i++) {
		size_t n = rnd() % 64;
		strbuf_reset(&ws.norm);
		for (size_t k = 0; k < n; k++)
			strbuf_addc(&ws.norm, alphabet[rnd() % (sizeof(alphabet) - 1)]);
		text_split_words(&ws, 1);
		size_t nfast = ws.n;
		struct word fast[64];
		if (nfast)
			memcpy(fast, ws.w, nfast * sizeof(*fast));
		text_split_words(&ws, 0);
		total += nfast;
		if (ws.n != nfast || (nfast && memcmp(fast, ws.w, nfast * sizeof(*fast)))) {
			if (same)
				printf("# differs on '%s'\n", ws.norm.buf);
			same = 0;
		}
	}
	ok(same && total > 20000, "the ASCII fast path gives the generic path's words (%zu words)", total);

	/* Text that mixes ASCII with other scripts, ideographs and marks:
	 * its chunks of ASCII read sixteen bytes at a time give the words
	 * of the generic path, a character at a time. */
	struct strbuf mixed = STRBUF_INIT;
	same = 1;
	total = 0;
	for (int i = 0; i < 20000 && same; i++) {
		random_text(&mixed, rnd() % 40);
		for (size_t k = rnd() % 48; k; k--)
			strbuf_addc(&mixed, alphabet[rnd() % (sizeof(alphabet) - 1)]);
		random_text(&ws.norm, rnd() % 24);
		strbuf_add(&mixed, ws.norm.buf, ws.norm.len);
		strbuf_reset(&ws.norm);
		strbuf_add(&ws.norm, mixed.buf, mixed.len);
		text_split_words(&ws, 1);
		size_t nfast = ws.n;
		struct word *fast = xreallocarray(NULL, nfast + 1, sizeof(*fast));
		memcpy(fast, ws.w, nfast * sizeof(*fast));
		text_split_words(&ws, 0);
		total += nfast;
		if (ws.n != nfast || (nfast && memcmp(fast, ws.w, nfast * sizeof(*fast)))) {
			printf("# differs on '%.*s'\n", (int)mixed.len, mixed.buf);
			same = 0;
		}
		free(fast);
	}
	ok(same && total > 20000, "chunks of ASCII in mixed text give the generic path's words (%zu words)",
	   total);
	strbuf_release(&mixed);

	/* Words are where they should be: runs of letters and digits. */
	strbuf_reset(&ws.norm);
	strbuf_addstr(&ws.norm, "  ab1,c  d");
	text_split_words(&ws, 1);
	ok(ws.n == 3 && ws.w[0].off == 2 && ws.w[0].len == 3 && ws.w[1].off == 6 && ws.w[1].len == 1 &&
	   ws.w[2].off == 9 && ws.w[2].len == 1, "word offsets and lengths");
	words_release(&ws);
}

/* Unicode's White_Space, the separators of NORM_NONE's words. */
static int ref_space(int32_t cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
	       cp == 0x205F || cp == 0x3000;
}

/* Words between white space, sixteen bytes at a time where they are
 * ASCII: the same words as a character at a time, on texts that mix
 * ASCII and other white space, invalid bytes, and characters across
 * every place of a chunk. */
static void test_split_space(void)
{
	static const char extra[] = " \t\n\r\v\fab\xff";
	struct words ws;
	struct strbuf text = STRBUF_INIT;
	words_init(&ws);
	int same = 1;
	size_t total = 0;
	for (int t = 0; t < 20000 && same; t++) {
		random_text(&text, rnd() % 80);
		/* Runs of ASCII long enough for whole chunks, and other bytes. */
		for (size_t k = rnd() % 40; k; k--)
			strbuf_addc(&text, extra[rnd() % (sizeof(extra) - 1)]);
		if (rnd() % 2)
			random_text(&text, rnd() % 40);
		text_words_as(text.buf, text.len, NORM_NONE, &ws);
		/* The reference: a character at a time. */
		size_t i = 0, start = 0, nw = 0;
		int in_word = 0;
		const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)text.buf;
		while (i <= text.len) {
			int32_t cp = ' ';
			utf8proc_ssize_t k = 1;
			if (i < text.len) {
				k = utf8proc_iterate(u + i, (utf8proc_ssize_t)(text.len - i), &cp);
				if (k < 0)
					k = 1, cp = 0xFFFD;
			}
			int space = ref_space(cp);
			if (space && in_word) {
				if (nw >= ws.n || ws.w[nw].off != start || ws.w[nw].len != i - start)
					same = 0;
				nw++;
			} else if (!space && !in_word) {
				start = i;
			}
			in_word = !space;
			i += (size_t)k;
		}
		total += nw;
		if (nw != ws.n)
			same = 0;
		if (!same)
			printf("# differs on '%.*s'\n", (int)text.len, text.buf);
	}
	ok(same && total > 50000, "words between white space, by chunks and by characters (%zu words)",
	   total);
	text_words_as("a\xc2\xa0" "b\xe3\x80\x80" "c d\te", 12, NORM_NONE, &ws);
	ok(ws.n == 5 && ws.w[1].off == 3 && ws.w[1].len == 1 && ws.w[4].off == 11,
	   "no-break and ideographic spaces separate words");
	strbuf_release(&text);
	words_release(&ws);
}

/* A word's hash: the table of short words' inner mixes is the mix it
 * stands for, at every length up to 16. */
static void test_words_hash(void)
{
	struct words ws;
	words_init(&ws);
	int same = 1;
	for (size_t len = 1; len <= 16; len++) {
		char text[17] = "abcdefghijklmnop";
		text[len] = '\0';
		text_words_as(text, len, NORM_NONE, &ws);
		uint64_t pre[2];
		words_prefix(&ws, 0, pre);
		uint64_t want = mix64(pre[0] ^ mix64(pre[1] + 0x9e3779b97f4a7c15ull * (len + 1)));
		same &= ws.n == 1 && words_hash(&ws, 0, pre) == want;
	}
	ok(same, "words_hash of words of 1 to 16 bytes is the mix of their prefix and length");
	words_release(&ws);
}

static void test_utf8_count(void)
{
	ok(utf8_count("", 0) == 0, "utf8_count of nothing");
	ok(utf8_count(LIT("abc")) == 3, "utf8_count of ASCII");
	ok(utf8_count(LIT("\xc3\xa9")) == 1, "utf8_count of a 2-byte character");
	ok(utf8_count(LIT("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e")) == 3, "utf8_count of Han");
	ok(utf8_count(LIT("a\xf0\x9f\x98\x80" "b")) == 3, "utf8_count with a 4-byte character");
	ok(utf8_count(LIT("h\xc3\xa9llo w\xc3\xb6rld, \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80!")) == 18,
	   "utf8_count across 8-byte words");

	struct strbuf s = STRBUF_INIT;
	int same = 1;
	for (int i = 0; i < 5000; i++) {
		size_t want = 1 + rnd() % 60;
		random_text(&s, want);
		if (utf8_count(s.buf, s.len) != want)
			same = 0;
		/* From any offset too, even inside a character: no alignment
		 * is assumed, and a continuation byte is never counted. */
		size_t off = rnd() % 8, naive = 0;
		if (off > s.len)
			off = s.len;
		for (size_t k = off; k < s.len; k++)
			naive += ((unsigned char)s.buf[k] & 0xC0) != 0x80;
		if (utf8_count(s.buf + off, s.len - off) != naive)
			same = 0;
	}
	ok(same, "utf8_count counts the code points of random text");
	strbuf_release(&s);
}

/* text_count_words agrees with text_words on random ASCII of every
 * length up to 100, across the 16-byte steps of its fast path. */
static void test_count_words(void)
{
	struct words ws;
	words_init(&ws);
	struct prng r;
	prng_seed(&r, 7);
	const char alphabet[] = "ab Z9 ,.-\n\t_'";
	int same = 1;
	char buf[128];
	for (int t = 0; t < 2000; t++) {
		size_t n = (size_t)prng_below(&r, 100);
		for (size_t i = 0; i < n; i++)
			buf[i] = alphabet[prng_below(&r, sizeof(alphabet) - 1)];
		text_words(buf, n, &ws);
		size_t want = ws.n;
		if (text_count_words(buf, n, &ws) != want)
			same = 0;
	}
	ok(same, "text_count_words agrees with text_words on random ASCII");
	/* Mixed scripts, marks and wide spaces: the count is that of the
	 * generic split of the text as it is. */
	static const char *const pieces[] = { "a", "Z", "9", " ", ".", "\xc3\xa9", "\xd0\xb6",
		"\xe6\x97\xa5", "\xe3\x82\xa2", "\xcc\x81", "\xe3\x80\x80", "\xe3\x80\x8c",
		"\xf0\xa0\x80\x80", "abcdefghijklmnopq" };
	struct strbuf text = STRBUF_INIT;
	same = 1;
	for (int t = 0; t < 3000; t++) {
		strbuf_reset(&text);
		size_t n = (size_t)prng_below(&r, 40);
		for (size_t i = 0; i < n; i++)
			strbuf_addstr(&text, pieces[prng_below(&r, sizeof(pieces) / sizeof(*pieces))]);
		strbuf_reset(&ws.norm);
		strbuf_add(&ws.norm, text.buf, text.len);
		text_split_words(&ws, 0);
		size_t want = ws.n;
		if (text_count_words(text.buf, text.len, &ws) != want) {
			same = 0;
			printf("# '%s': %zu words, counted %zu\n", text.buf, want,
			       text_count_words(text.buf, text.len, &ws));
			break;
		}
	}
	ok(same, "text_count_words agrees with the split of mixed-script text as it is");
	strbuf_release(&text);
	words_release(&ws);
}

int main(void)
{
	test_count_words();
	test_normalize();
	test_normalize_islands();
	test_every_code_point();
	test_random_codes();
	test_real_text();
	test_words();
	test_is_dictionary_letter();
	test_split_paths();
	test_split_space();
	test_words_hash();
	test_utf8_count();
	return done_testing();
}
