/* text.c: normalisation and word segmentation; see text.h.
 *
 * Normalising a whole record through utf8proc costs far more than the
 * rest of the statistics. ASCII is its own NFKC form and folds by a
 * table; other code points are looked up in the tables of unorm.h, and
 * only the short stretches where neighbours act on each other (marks,
 * composable pairs, Hangul jamo) go through utf8proc, with the code point
 * before them. The result is utf8proc's for the whole text.
 */
#include "text.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/utext.h>
#include <utf8proc.h>

#include "alloc.h"
#include "diag.h"
#include "hash.h"
#include "unorm.h"
#include "utf8.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Lower-case ASCII eight bytes at a time: a byte gets 0x20 added when it
 * lies in 'A'..'Z'. Every byte is below 0x80, so the additions below
 * cannot carry from one byte into the next. */
static inline uint64_t lower8(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t ge_a = v + ones * (0x80 - 'A');	/* bit 7 set where v >= 'A' */
	uint64_t gt_z = v + ones * (0x80 - 'Z' - 1);	/* bit 7 set where v > 'Z' */
	uint64_t upper = ge_a & ~gt_z & (ones * 0x80);
	return v | (upper >> 2);
}

static void append_lower_ascii(struct strbuf *out, const char *s, size_t n)
{
	strbuf_grow(out, n);
	char *d = out->buf + out->len;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, s + i, 8);
		v = lower8(v);
		memcpy(d + i, &v, 8);
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		d[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	strbuf_setlen(out, out->len + n);
}

/* Length of the run of ASCII bytes at the start of s[0..n). */
/* How many bytes of s[0..n) are ASCII before the first that is not. */
static size_t ascii_run(const char *s, size_t n)
{
	size_t i = 0;
#if defined(__SSE2__)
	for (; i + 16 <= n; i += 16) {
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(s + i)));
		if (mask)
			return i + (size_t)__builtin_ctz(mask);
	}
#endif
	while (i < n && (unsigned char)s[i] < 0x80)
		i++;
	return i;
}

static void append_ascii_as_is(struct strbuf *out, const char *s, size_t n)
{
	strbuf_add(out, s, n);
}

/* The code point of the UTF-8 sequence at s[0..n), of length *k; -1 (with
 * *k = 1) for bytes that are not valid UTF-8, which then go to utf8proc
 * and its error. */
static inline int32_t utf8_decode_checked(const unsigned char *s, size_t n, size_t *k)
{
	unsigned c = s[0];
	if (c >= 0xC2 && c < 0xE0) {
		if (n >= 2 && (s[1] & 0xC0) == 0x80) {
			*k = 2;
			return (int32_t)((c & 0x1F) << 6 | (s[1] & 0x3F));
		}
	} else if (c >= 0xE0 && c < 0xF0) {
		if (n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80) {
			int32_t cp = (int32_t)((c & 0x0F) << 12 | (s[1] & 0x3F) << 6 | (s[2] & 0x3F));
			if (cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF)) {
				*k = 3;
				return cp;
			}
		}
	} else if (c >= 0xF0 && c < 0xF5) {
		if (n >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80) {
			int32_t cp = (int32_t)((c & 0x07) << 18 | (s[1] & 0x3F) << 12 |
					       (s[2] & 0x3F) << 6 | (s[3] & 0x3F));
			if (cp >= 0x10000 && cp < 0x110000) {
				*k = 4;
				return cp;
			}
		}
	}
	*k = 1;
	return -1;
}

/* NFKC, and case folding when fold is set: utf8proc's answer for the
 * whole text. The text is cut into pieces as unorm.h explains; a piece
 * of one code point comes from the table, and the code points of longer
 * pieces (a letter and its marks, a run of jamo) from utf8proc. Each
 * code point is written as soon as it is read, and taken back when the
 * next one turns out to belong to its piece. */
static void normalize(const char *s, size_t n, struct strbuf *out, struct unorm_scratch *sc, int fold)
{
	enum unorm_form form = fold ? UNORM_NFKC_CASEFOLD : UNORM_NFKC;
	void (*append_ascii)(struct strbuf *, const char *, size_t) =
		fold ? append_lower_ascii : append_ascii_as_is;
	const unsigned char *u = (const unsigned char *)s;
	const struct unorm_table *t = NULL;
	/* Where the last code point written starts, in s and in out; none
	 * after a piece from utf8proc, which is whole. */
	size_t last = SIZE_MAX, last_out = 0;
	size_t i = 0;
	while (i < n) {
		/* Room for the longest form of one code point. */
		if (out->cap - out->len < 0x40 + 1)
			strbuf_grow(out, 0x40 + (n - i));
		if (u[i] < 0x80) {
			last = i;
			last_out = out->len;
			if (i + 1 == n || u[i + 1] >= 0x80) {
				/* One character between words of another script. */
				unsigned c = u[i++];
				out->buf[out->len++] = (char)(fold && c - 'A' < 26 ? c + 32 : c);
				continue;
			}
			size_t run = ascii_run(s + i, n - i);
			append_ascii(out, s + i, run);
			i += run;
			last = i - 1;
			last_out = out->len - 1;
			continue;
		}
		if (!t)
			t = unorm_table(form);
		size_t k;
		int32_t cp = utf8_decode_checked(u + i, n - i, &k);
		uint32_t e = cp < 0 ? 0 : unorm_entry(t, cp);
		if (!e && cp >= 0)
			e = unorm_entry_built(t, cp);
		if (e & UNORM_CUT) {
			last = i;
			last_out = out->len;
			if (e & UNORM_SAME) {
				/* Byte by byte: k is 2, 3 or 4, and a call to
				 * memcpy costs more than the copy. */
				char *d = out->buf + out->len;
				d[0] = s[i];
				d[1] = s[i + 1];
				if (k > 2) {
					d[2] = s[i + 2];
					if (k > 3)
						d[3] = s[i + 3];
				}
				out->len += k;
			} else {
				memcpy(out->buf + out->len, unorm_bytes(t, cp, e), UNORM_LEN(e));
				out->len += UNORM_LEN(e);
			}
			i += k;
			continue;
		}
		/* cp joins the piece of the code point before it, which runs
		 * on to the next cut. */
		size_t from = i;
		if (last != SIZE_MAX) {
			from = last;
			out->len = last_out;
		}
		size_t j = i + k;
		while (j < n && u[j] >= 0x80) {
			cp = utf8_decode_checked(u + j, n - j, &k);
			if (cp >= 0 && (unorm_entry_built(t, cp) & UNORM_CUT))
				break;
			j += k;
		}
		out->buf[out->len] = '\0';
		unorm_append_slow(s + from, j - from, form, sc, out);
		last = SIZE_MAX;
		i = j;
	}
	/* Not into the shared empty string of a strbuf that never grew. */
	if (out->len < out->cap)
		out->buf[out->len] = '\0';
}

void text_normalize(const char *s, size_t n, struct strbuf *out)
{
	struct unorm_scratch sc = { NULL, 0 };
	normalize(s, n, out, &sc, 1);
	free(sc.buf);
}

size_t utf8_count(const char *s, size_t n)
{
	/* Count the bytes that start a code point: all but 10xxxxxx. */
	size_t continuation = 0, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, s + i, 8);
		/* One bit per continuation byte, summed by a multiply (no
		 * popcount instruction on baseline x86-64). */
		uint64_t bits = (v & ~(v << 1) & 0x8080808080808080ull) >> 7;
		continuation += (size_t)((bits * 0x0101010101010101ull) >> 56);
	}
	for (; i < n; i++)
		continuation += ((unsigned char)s[i] & 0xC0) == 0x80;
	return n - continuation;
}

/* The blocks of the scripts written without spaces between words. */
static int is_letter_category(utf8proc_category_t c)
{
	return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LL ||
	       c == UTF8PROC_CATEGORY_LT || c == UTF8PROC_CATEGORY_LM ||
	       c == UTF8PROC_CATEGORY_LO;
}

/* Scripts written without spaces between words, whose words a
 * dictionary finds: Han, kana, Thai, Lao, Khmer and Myanmar. (Korean
 * puts spaces between its words, and Hangul is split as other letters.) */
static int needs_dictionary(int32_t cp)
{
	return (cp >= 0x3040 && cp <= 0x30FF) ||	/* Hiragana, Katakana */
	       (cp >= 0x31F0 && cp <= 0x31FF) ||	/* Katakana extensions */
	       (cp >= 0x3400 && cp <= 0x4DBF) ||	/* CJK extension A */
	       (cp >= 0x4E00 && cp <= 0x9FFF) ||	/* CJK unified ideographs */
	       (cp >= 0xF900 && cp <= 0xFAFF) ||	/* CJK compatibility */
	       (cp >= 0xFF66 && cp <= 0xFF9F) ||	/* halfwidth Katakana */
	       (cp >= 0x20000 && cp <= 0x3FFFF) ||	/* CJK extensions B and later */
	       (cp >= 0x0E00 && cp <= 0x0EFF) ||	/* Thai, Lao */
	       (cp >= 0x1000 && cp <= 0x109F) ||	/* Myanmar */
	       (cp >= 0xA9E0 && cp <= 0xA9FF) ||	/* Myanmar extended B */
	       (cp >= 0xAA60 && cp <= 0xAA7F) ||	/* Myanmar extended A */
	       (cp >= 0x1780 && cp <= 0x17FF) ||	/* Khmer */
	       (cp >= 0x19E0 && cp <= 0x19FF);		/* Khmer symbols */
}

/* Only the letters of those blocks: they also hold punctuation (U+30FB
 * KATAKANA MIDDLE DOT), symbols (U+309B) and combining marks (U+3099),
 * which are no words, and a mark belongs to the character before it. */
int is_dictionary_letter(int32_t cp)
{
	return needs_dictionary(cp) && is_letter_category(utf8proc_category(cp));
}

int words_need_space(const char *a, size_t an, const char *b, size_t bn)
{
	if (!an || !bn || (unsigned char)a[an - 1] < 0x80 || (unsigned char)b[0] < 0x80)
		return 1;
	size_t i = an - 1, k;
	while (i && ((unsigned char)a[i] & 0xC0) == 0x80)
		i--;
	int32_t last = utf8_decode_checked((const unsigned char *)a + i, an - i, &k);
	int32_t first = utf8_decode_checked((const unsigned char *)b, bn, &k);
	return !(last >= 0 && first >= 0 && needs_dictionary(last) && needs_dictionary(first));
}

enum { CLASS_OTHER, CLASS_WORD, CLASS_MARK, CLASS_DICT };

static int classify_slow(int32_t cp)
{
	utf8proc_category_t c = utf8proc_category(cp);
	if (is_letter_category(c))
		return needs_dictionary(cp) ? CLASS_DICT : CLASS_WORD;
	switch (c) {
	case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return CLASS_WORD;
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
		return CLASS_MARK;
	default:
		return CLASS_OTHER;
	}
}

/* The classes of the Basic Multilingual Plane, where nearly all text
 * lives, in a table made once: a lookup instead of utf8proc's property
 * search for every character. */
static unsigned char bmp_class[0x10000];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

static void bmp_fill(void)
{
	for (int32_t cp = 0; cp < 0x10000; cp++)
		bmp_class[cp] = (unsigned char)classify_slow(cp);
}

/* The class of a code point, the same for the split and the count; the
 * caller has run bmp_fill (once). */
static inline int word_class(int32_t cp)
{
	return cp < 0x10000 ? bmp_class[cp] : classify_slow(cp);
}

/* Word characters among ASCII: letters and digits. */
static const unsigned char ascii_word[128] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
	['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
	['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
	['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static inline void push_word(struct words *ws, size_t off, size_t len)
{
	if (__builtin_expect(ws->n == ws->cap, 0)) {
		ws->cap = grow_capacity(ws->cap, ws->n + 1, 256);
		ws->w = xreallocarray(ws->w, ws->cap, sizeof(*ws->w));
	}
	ws->w[ws->n].off = off;
	ws->w[ws->n].len = len;
	ws->n++;
}

#if defined(__SSE2__)
/* A bit for each of the 16 bytes of v that is an ASCII letter or digit. */
static inline unsigned ascii_word_mask(__m128i v)
{
	const __m128i before0 = _mm_set1_epi8('0' - 1), after9 = _mm_set1_epi8('9' + 1);
	const __m128i beforea = _mm_set1_epi8('a' - 1), afterz = _mm_set1_epi8('z' + 1);
	__m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, before0), _mm_cmplt_epi8(v, after9));
	__m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));
	__m128i letter = _mm_and_si128(_mm_cmpgt_epi8(folded, beforea), _mm_cmplt_epi8(folded, afterz));
	return (unsigned)_mm_movemask_epi8(_mm_or_si128(digit, letter));
}

/* The words that end in a chunk of 16 bytes at offset i, whose word
 * bytes are the bits of m, pushed; the start of one that begins kept in
 * *start; *in_word says whether the byte before the chunk was a word
 * byte, and is left saying it of the chunk's last. */
static inline void chunk_words(struct words *ws, size_t i, unsigned m, unsigned *in_word,
			       size_t *start)
{
	unsigned events = (m ^ ((m << 1) | *in_word)) & 0xFFFF; /* starts and ends */
	while (events) {
		unsigned bit = (unsigned)__builtin_ctz(events);
		if (m & (1u << bit))
			*start = i + bit;
		else
			push_word(ws, *start, i + bit - *start);
		events &= events - 1;
	}
	*in_word = (m >> 15) & 1;
}
#endif

/* The words of ASCII text: runs of letters and digits. */
static void split_ascii(struct words *ws, const char *s, size_t n)
{
#if defined(__SSE2__)
	/* Sixteen bytes at a time: a bit mask of word characters, then the
	 * words start where a bit follows a clear bit and end where a clear
	 * bit follows a set one. */
	unsigned prev = 0; /* the byte before the chunk was a word character */
	size_t start = 0, i = 0;
	for (; i < n; i += 16) {
		__m128i v;
		unsigned valid = 0xFFFF;
		if (n - i >= 16) {
			v = _mm_loadu_si128((const __m128i *)(s + i));
		} else {
			char tail[16] = { 0 };
			memcpy(tail, s + i, n - i);
			v = _mm_loadu_si128((const __m128i *)tail);
			valid = (1u << (n - i)) - 1;
		}
		chunk_words(ws, i, ascii_word_mask(v) & valid, &prev, &start);
	}
	if (prev)
		push_word(ws, start, n - start);
#else
	size_t i = 0;
	for (;;) {
		while (i < n && !ascii_word[(unsigned char)s[i]])
			i++;
		if (i == n)
			return;
		size_t start = i;
		while (i < n && ascii_word[(unsigned char)s[i]])
			i++;
		push_word(ws, start, i - start);
	}
#endif
}

/* The class of the character at u[i] (of n bytes), its length in *k:
 * bytes that are not UTF-8 count as U+FFFD each, as utf8proc_iterate()
 * would have them. */
static inline int class_at(const unsigned char *u, size_t i, size_t n, size_t *k)
{
	*k = 1;
	if (u[i] < 0x80)
		return ascii_word[u[i]] ? CLASS_WORD : CLASS_OTHER;
	int32_t cp = utf8_decode_checked(u + i, n - i, k);
	return word_class(cp < 0 ? 0xFFFD : cp);
}

/* Where the run of text for the dictionary that starts at u[i] ends:
 * its letters, and the marks among and after them (Thai vowels). */
static size_t dictionary_run_end(const unsigned char *u, size_t i, size_t n)
{
	size_t k;
	while (i < n) {
		int cls = class_at(u, i, n, &k);
		if (cls != CLASS_DICT && cls != CLASS_MARK)
			break;
		i += k;
	}
	return i;
}

/* The words of the run u[from..to) of a script without spaces, by
 * ICU's word break iterator, whose dictionaries (Chinese and Japanese
 * together, Thai, Lao, Khmer, Burmese) find where words end; pushed to
 * ws when push is set. Returns how many. The iterator is made once for
 * ws, so once a thread. Should ICU fail, each character (with its
 * marks) is a word, as before the dictionaries. */
static size_t dictionary_words(struct words *ws, const unsigned char *u, size_t from, size_t to,
			       int push)
{
	UErrorCode st = U_ZERO_ERROR;
	if (!ws->brk && !ws->brk_failed) {
		ws->brk = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
		if (U_FAILURE(st)) {
			ws->brk = NULL;
			ws->brk_failed = 1;
		}
	}
	if (ws->brk) {
		st = U_ZERO_ERROR;
		ws->ut = utext_openUTF8(ws->ut, (const char *)u + from, (int64_t)(to - from), &st);
		if (U_SUCCESS(st))
			ubrk_setUText(ws->brk, ws->ut, &st);
	}
	size_t count = 0;
	if (ws->brk && U_SUCCESS(st)) {
		int32_t a = ubrk_first(ws->brk), b;
		while ((b = ubrk_next(ws->brk)) != UBRK_DONE) {
			if (ubrk_getRuleStatus(ws->brk) >= UBRK_WORD_NONE_LIMIT) {
				count++;
				if (push)
					push_word(ws, from + (size_t)a, (size_t)(b - a));
			}
			a = b;
		}
		return count;
	}
	for (size_t i = from, k; i < to;) {
		size_t start = i;
		class_at(u, i, to, &k);
		for (i += k; i < to && class_at(u, i, to, &k) == CLASS_MARK;)
			i += k;
		count++;
		if (push)
			push_word(ws, start, i - start);
	}
	return count;
}

void text_split_words(struct words *ws, int ascii_fast_path)
{
	const char *s = ws->norm.buf;
	size_t n = ws->norm.len;
	ws->n = 0;
	if (ascii_fast_path && ascii_run(s, n) == n) {
		split_ascii(ws, s, n);
		return;
	}
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, start = 0, end = 0;
	unsigned in_word = 0;
	pthread_once(&bmp_once, bmp_fill);
	while (i < n) {
#if defined(__SSE2__)
		/* Sixteen bytes of ASCII at once, as split_ascii() reads
		 * them. A chunk with other bytes is read a character at a
		 * time. */
		if (ascii_fast_path && i >= end && n - i >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(u + i));
			if (!_mm_movemask_epi8(v)) {
				chunk_words(ws, i, ascii_word_mask(v), &in_word, &start);
				i += 16;
				continue;
			}
			end = i + 16;
		}
#endif
		size_t k;
		int cls = class_at(u, i, n, &k);
		if (cls == CLASS_DICT) {
			/* A run of a script without spaces: its own words. */
			if (in_word)
				push_word(ws, start, i - start);
			in_word = 0;
			size_t run_end = dictionary_run_end(u, i, n);
			dictionary_words(ws, u, i, run_end, 1);
			i = run_end;
			continue;
		}
		if (cls != CLASS_OTHER) {
			if (!in_word) {
				in_word = 1;
				start = i;
			}
		} else if (in_word) {
			push_word(ws, start, i - start);
			in_word = 0;
		}
		i += k;
	}
	if (in_word)
		push_word(ws, start, n - start);
}

void words_init(struct words *ws)
{
	memset(ws, 0, sizeof(*ws));
	strbuf_init(&ws->norm);
}

void words_release(struct words *ws)
{
	strbuf_release(&ws->norm);
	free(ws->w);
	free(ws->scratch);
	if (ws->brk)
		ubrk_close(ws->brk);
	if (ws->ut)
		utext_close(ws->ut);
	memset(ws, 0, sizeof(*ws));
	strbuf_init(&ws->norm);
}

/* Is the code point Unicode White_Space? */
static int is_space(int32_t cp)
{
	if (cp < 0x80)
		return cp == ' ' || (cp >= '\t' && cp <= '\r');
	return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

size_t text_space_at(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] < 0x80)
		return is_space(u[0]);
	size_t k;
	int32_t cp = utf8_decode_checked(u, n, &k);
	return cp >= 0 && is_space(cp) ? k : 0;
}

/* List the runs of ws->norm between white space as its words. Runs of
 * ASCII go sixteen bytes at a time, as in split_ascii: a mask of the
 * bytes that are not white space, whose rising and falling edges are
 * where words start and end. A chunk with a byte past ASCII is read a
 * character at a time, to the end of the chunk. */
static void split_space(struct words *ws)
{
	const unsigned char *s = (const unsigned char *)ws->norm.buf;
	size_t n = ws->norm.len, i = 0, start = 0;
	unsigned in_word = 0;
	ws->n = 0;
	while (i < n) {
		size_t end = n;
#if defined(__SSE2__)
		if (n - i >= 16) {
			__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
			if (!_mm_movemask_epi8(v)) {
				__m128i blank = _mm_cmpeq_epi8(v, _mm_set1_epi8(' '));
				__m128i control = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('\t' - 1)),
								_mm_cmplt_epi8(v, _mm_set1_epi8('\r' + 1)));
				unsigned m = ~(unsigned)_mm_movemask_epi8(_mm_or_si128(blank, control)) & 0xFFFF;
				chunk_words(ws, i, m, &in_word, &start);
				i += 16;
				continue;
			}
			end = i + 16;
		}
#endif
		/* A character at a time; the last may end past the chunk. */
		while (i < end) {
			int32_t cp = s[i];
			utf8proc_ssize_t k = 1;
			if (cp >= 0x80) {
				k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
				if (k < 0)
					k = 1;
			}
			unsigned space = (unsigned)is_space(cp);
			if (space && in_word)
				push_word(ws, start, i - start);
			else if (!space && !in_word)
				start = i;
			in_word = !space;
			i += (size_t)k;
		}
	}
	if (in_word)
		push_word(ws, start, n - start);
}

void text_words_as(const char *s, size_t n, enum text_norm how, struct words *ws)
{
	struct unorm_scratch sc = { ws->scratch, ws->scratch_cap };
	strbuf_reset(&ws->norm);
	if (how == NORM_FULL || how == NORM_NFKC)
		normalize(s, n, &ws->norm, &sc, how == NORM_FULL);
	else
		strbuf_add(&ws->norm, s, n);
	ws->scratch = sc.buf;
	ws->scratch_cap = sc.cap;
	/* Zeroed bytes after the text, so that words_hash may read whole
	 * 8-byte words past a word's end. */
	strbuf_grow(&ws->norm, WORDS_SLACK);
	memset(ws->norm.buf + ws->norm.len, 0, WORDS_SLACK);
	if (how == NORM_FULL)
		text_split_words(ws, 1);
	else
		split_space(ws);
}

void text_words(const char *s, size_t n, struct words *ws)
{
	text_words_as(s, n, NORM_FULL, ws);
}

/* Word starts in ASCII text: a word character after a non-word one.
 * *prev says whether the character before s was a word character, and
 * is left saying it of the last one. */
static size_t count_ascii_words(const char *s, size_t n, unsigned *prev_io)
{
	size_t count = 0, i = 0;
	unsigned prev = *prev_io;
#if defined(__SSE2__)
	for (; i + 16 <= n; i += 16) {
		unsigned m = ascii_word_mask(_mm_loadu_si128((const __m128i *)(s + i)));
		count += (size_t)__builtin_popcount(m & ~((m << 1) | prev) & 0xFFFF);
		prev = (m >> 15) & 1;
	}
#endif
	for (; i < n; i++) {
		unsigned word = ascii_word[(unsigned char)s[i]];
		count += word & !prev;
		prev = word;
	}
	*prev_io = prev;
	return count;
}

size_t text_count_words(const char *s, size_t n, struct words *ws)
{
	/* The words of the text as it is: normalisation changes where
	 * words break only around compatibility characters, and costs
	 * more than the count. The states of text_split_words, counting
	 * the words that start; runs of ASCII go sixteen bytes at a time,
	 * runs of a script without spaces to the dictionary. */
	const unsigned char *u = (const unsigned char *)s;
	size_t count = 0, i = 0;
	int in_word = 0;
	pthread_once(&bmp_once, bmp_fill);
	while (i < n) {
		size_t run = ascii_run(s + i, n - i);
		if (run) {
			unsigned prev = (unsigned)in_word;
			count += count_ascii_words(s + i, run, &prev);
			in_word = (int)prev;
			i += run;
			continue;
		}
		size_t k;
		int cls = class_at(u, i, n, &k);
		if (cls == CLASS_DICT) {
			size_t run_end = dictionary_run_end(u, i, n);
			count += dictionary_words(ws, u, i, run_end, 0);
			in_word = 0;
			i = run_end;
			continue;
		}
		if (cls != CLASS_OTHER) {
			count += !in_word;
			in_word = 1;
		} else {
			in_word = 0;
		}
		i += k;
	}
	return count;
}

/* The ASCII fast path of text_joined() for NORM_FULL: a word character
 * is written lower-cased, and the first other character after a word
 * character as one space; no branches on the data. */
/* Bytes s[0..n) of join_ascii_full() to d, one at a time; returns the
 * new end. prev: whether the byte before was a word character. */
static inline char *join_ascii_bytes(const char *s, size_t n, char *d, unsigned *prev)
{
	unsigned p = *prev;
	for (size_t i = 0; i < n; i++) {
		/* Below 0x80. Setting bit 0x20 lower-cases a letter and
		 * leaves a digit as it is. */
		unsigned c = (unsigned char)s[i];
		unsigned word = ascii_word[c];
		*d = (char)(word ? c | 0x20 : ' ');
		d += word | p;
		p = word;
	}
	*prev = p;
	return d;
}

static void join_ascii_full(const char *s, size_t n, struct strbuf *out)
{
	strbuf_grow(out, n + 1);
	char *d = out->buf + out->len, *start = d;
	unsigned prev = 0;
	size_t i = 0;
#if defined(__SSE2__)
	/* Sixteen bytes at a time: when each is kept, a word character or
	 * the first separator after a word (the separators after it are
	 * dropped), they go out as they are classified; else one at a time. */
	const __m128i lo_a = _mm_set1_epi8('a' - 1), hi_z = _mm_set1_epi8('z' + 1),
		      lo_0 = _mm_set1_epi8('0' - 1), hi_9 = _mm_set1_epi8('9' + 1),
		      bit = _mm_set1_epi8(0x20);
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i low = _mm_or_si128(v, bit);
		__m128i letter = _mm_and_si128(_mm_cmpgt_epi8(low, lo_a), _mm_cmpgt_epi8(hi_z, low));
		__m128i digit = _mm_and_si128(_mm_cmpgt_epi8(v, lo_0), _mm_cmpgt_epi8(hi_9, v));
		__m128i word = _mm_or_si128(letter, digit);
		unsigned w = (unsigned)_mm_movemask_epi8(word);
		if (((w | w << 1 | prev) & 0xffff) != 0xffff) {
			d = join_ascii_bytes(s + i, 16, d, &prev);
			continue;
		}
		/* A digit has bit 0x20 already; a separator becomes a space. */
		__m128i o = _mm_or_si128(_mm_and_si128(word, low), _mm_andnot_si128(word, bit));
		_mm_storeu_si128((__m128i *)(void *)d, o);
		d += 16;
		prev = w >> 15;
	}
#endif
	d = join_ascii_bytes(s + i, n - i, d, &prev);
	if (d > start && d[-1] == ' ')
		d--;
	strbuf_setlen(out, out->len + (size_t)(d - start));
}

void text_joined(const char *s, size_t n, enum text_norm how, struct words *ws,
		 struct strbuf *out)
{
	if (how == NORM_NONE) {
		strbuf_add(out, s, n);
		return;
	}
	if (how == NORM_FULL && ascii_run(s, n) == n) {
		join_ascii_full(s, n, out);
		return;
	}
	text_words_as(s, n, how, ws);
	words_join(ws, 0, ws->n, out);
}

void words_join(const struct words *ws, size_t from, size_t to, struct strbuf *out)
{
	if (from >= to)
		return;
	/* The words lie in order in ws->norm, so room for their span and a
	 * space after each is room for them all; one growth, not two per
	 * word (a word per character in Chinese or Japanese). */
	const struct word *w = ws->w;
	size_t span = w[to - 1].off + w[to - 1].len - w[from].off;
	strbuf_grow(out, size_add(span, to - from));
	char *d = out->buf + out->len;
	for (size_t i = from; i < to; i++) {
		if (i > from)
			*d++ = ' ';
		memcpy(d, ws->norm.buf + w[i].off, w[i].len);
		d += w[i].len;
	}
	strbuf_setlen(out, (size_t)(d - out->buf));
}
