/* test-text.c: normalisation (NFKC + case folding), words, code points. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "hash.h"
#include "strbuf.h"
#include "prng.h"
#include "text.h"
#include "unit.h"

#define LIT(s) (s), (sizeof(s) - 1)

static const utf8proc_option_t NFKC_CASEFOLD =
	UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD;

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
	words_are("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xa7\xe3\x81\x99",
		  "\xe6\x97\xa5|\xe6\x9c\xac|\xe8\xaa\x9e|\xe3\x81\xa7|\xe3\x81\x99");
	words_are("abc\xe6\x97\xa5\xe6\x9c\xac" "def", "abc|\xe6\x97\xa5|\xe6\x9c\xac|def");
	words_are("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 \xeb\x8b\xa8\xec\x96\xb4",
		  "\xed\x95\x9c|\xea\xb5\xad|\xec\x96\xb4|\xeb\x8b\xa8|\xec\x96\xb4");
	words_are("\xe3\x82\xab\xe3\x82\xbf\xe3\x82\xab\xe3\x83\x8a",
		  "\xe3\x82\xab|\xe3\x82\xbf|\xe3\x82\xab|\xe3\x83\x8a");
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

static void test_is_ideographic(void)
{
	ok(is_ideographic(0x65E5), "U+65E5 (Han) is ideographic");
	ok(is_ideographic(0x3042), "U+3042 (hiragana) is ideographic");
	ok(is_ideographic(0x30AB), "U+30AB (katakana) is ideographic");
	ok(is_ideographic(0xD55C), "U+D55C (Hangul syllable) is ideographic");
	ok(is_ideographic(0x20000), "U+20000 (CJK extension B) is ideographic");
	ok(!is_ideographic('a'), "'a' is not ideographic");
	ok(!is_ideographic(0x00E9), "U+00E9 is not ideographic");
	ok(!is_ideographic(0x30FB), "U+30FB (katakana middle dot, punctuation) is not ideographic");
	ok(!is_ideographic(0x30A0), "U+30A0 (katakana double hyphen) is not ideographic");
	ok(!is_ideographic(0x3099), "U+3099 (combining voiced mark) is not ideographic");
	ok(!is_ideographic(0x309B), "U+309B (voiced sound mark, a symbol) is not ideographic");
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

	/* Words are where they should be: runs of letters and digits. */
	strbuf_reset(&ws.norm);
	strbuf_addstr(&ws.norm, "  ab1,c  d");
	text_split_words(&ws, 1);
	ok(ws.n == 3 && ws.w[0].off == 2 && ws.w[0].len == 3 && ws.w[1].off == 6 && ws.w[1].len == 1 &&
	   ws.w[2].off == 9 && ws.w[2].len == 1, "word offsets and lengths");
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
	test_words();
	test_is_ideographic();
	test_split_paths();
	test_utf8_count();
	return done_testing();
}
