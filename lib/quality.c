/* quality.c: quality signals; see quality.h and synth-score(1). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "quality.h"

#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "alloc.h"
#include "diag.h"
#include "hash.h"
#include "text.h"

const char *const quality_names[Q_COUNT] = {
	"words", "mean_word_length", "hash_word_ratio", "ellipsis_word_ratio",
	"bullet_lines_frac", "ellipsis_lines_frac", "alpha_words_frac", "stop_words",
	"dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac",
	"top_2gram_char_frac", "top_3gram_char_frac", "top_4gram_char_frac",
	"dup_5gram_char_frac", "dup_6gram_char_frac", "dup_7gram_char_frac",
	"dup_8gram_char_frac", "dup_9gram_char_frac", "dup_10gram_char_frac",
	"terminal_punct_lines_frac", "short_lines_frac", "newline_word_ratio", "lorem_ipsum",
	"curly_brace", "javascript_lines", "policy_lines",
	"boilerplate", "prompt_echo", "truncated", "max_repeat_run",
};

int quality_find(const char *name, size_t n)
{
	for (int i = 0; i < Q_COUNT; i++)
		if (strlen(quality_names[i]) == n && !memcmp(quality_names[i], name, n))
			return i;
	return -1;
}

/* --- Boilerplate patterns ------------------------------------------------ */

/* Assistant phrases and refusals, in English, German and Russian;
 * matched without regard to case. */
static const char *const boilerplate_patterns[] = {
	"\\bas an ai(?: language)? model\\b",
	"\\bi(?:'m|’m| am) (?:sorry|afraid),? (?:but )?i (?:can(?:'t|’t|not)|am unable to|won(?:'t|’t))\\b",
	"\\bi can(?:'t|’t|not) (?:help|assist) with (?:that|this)\\b",
	"\\bi(?:'m|’m| am) (?:just )?an ai\\b",
	"\\b(?:certainly|sure|of course|absolutely)[!,.] here(?:'s|’s| is| are)\\b",
	"\\bi hope this helps\\b",
	"\\bfeel free to ask\\b",
	"\\bas of my (?:last )?knowledge cut-?off\\b",
	"\\bi don(?:'t|’t) have (?:personal|real-time|access to)\\b",
	"\\bgreat question\\b",
	"\\bals (?:eine )?ki(?:-sprachmodell)?\\b",
	"\\bals künstliche intelligenz\\b",
	"\\b(?:es tut mir leid|leider),? (?:aber )?(?:ich kann|kann ich) (?:nicht|keine)\\b",
	"\\bich hoffe,? (?:das|dies) hilft\\b",
	"как (?:языковая )?модель (?:ии|искусственного интеллекта)",
	"я не могу (?:помочь|выполнить|предоставить)",
	"извините,? но я не могу",
	"надеюсь,? это (?:поможет|помогло)",
};
#define NPATTERNS (sizeof(boilerplate_patterns) / sizeof(*boilerplate_patterns))

/* What each pattern cannot match without, in lower case: a text with
 * none of these is not scanned. (Cyrillic words lose their first letter,
 * which may be a capital.) */
static const char *const required[] = {
	"an ai", "sorry", "afraid", "help with", "assist with", "certainly", "sure", "of course",
	"absolutely", "hope this helps", "feel free to ask", "knowledge cut", "don't have",
	"don’t have", "great question", "als ki", "als eine ki", "künstliche intelligenz", "leid",
	"hoffe", "модел", "не могу", "звините", "адеюсь",
};

/* The phrases looked for in the lower-case text, in one pass: the
 * required literals above, then these. */
enum { PH_JAVASCRIPT = 100, PH_POLICY, PH_LOREM };
static const struct {
	const char *text;
	int kind;
} line_phrases[] = {
	{ "javascript", PH_JAVASCRIPT }, { "terms of use", PH_POLICY }, { "privacy policy", PH_POLICY },
	{ "cookie policy", PH_POLICY }, { "use of cookies", PH_POLICY }, { "use cookies", PH_POLICY },
	{ "uses cookies", PH_POLICY }, { "lorem ipsum", PH_LOREM },
};

#define NPHRASES (sizeof(required) / sizeof(*required) + sizeof(line_phrases) / sizeof(*line_phrases))
static const char *phrase[NPHRASES];
static size_t phrase_len[NPHRASES];
static int phrase_kind[NPHRASES];	/* 0: a required literal */
static unsigned phrase_pair[NPHRASES];	/* its first two bytes */
/* For each first two bytes, the first of the phrases that start so (the
 * phrases are sorted by them), plus 1; 0 for none. */
static unsigned char pair_first[65536];

static void index_phrases(void)
{
	size_t k = 0;
	for (size_t i = 0; i < sizeof(required) / sizeof(*required); i++, k++) {
		phrase[k] = required[i];
		phrase_kind[k] = 0;
	}
	for (size_t i = 0; i < sizeof(line_phrases) / sizeof(*line_phrases); i++, k++) {
		phrase[k] = line_phrases[i].text;
		phrase_kind[k] = line_phrases[i].kind;
	}
	for (size_t i = 0; i < NPHRASES; i++)
		phrase_pair[i] = (unsigned char)phrase[i][0] << 8 | (unsigned char)phrase[i][1];
	/* Sort by pair (insertion; a few dozen phrases). */
	for (size_t i = 1; i < NPHRASES; i++)
		for (size_t j = i; j && phrase_pair[j - 1] > phrase_pair[j]; j--) {
			const char *t = phrase[j];
			phrase[j] = phrase[j - 1];
			phrase[j - 1] = t;
			int kd = phrase_kind[j];
			phrase_kind[j] = phrase_kind[j - 1];
			phrase_kind[j - 1] = kd;
			unsigned pr = phrase_pair[j];
			phrase_pair[j] = phrase_pair[j - 1];
			phrase_pair[j - 1] = pr;
		}
	for (size_t i = NPHRASES; i-- > 0;) {
		phrase_len[i] = strlen(phrase[i]);
		pair_first[phrase_pair[i]] = (unsigned char)(i + 1);
	}
}

/* The patterns as one alternation, so that a text is scanned once. */
static pcre2_code *compiled;
static pthread_once_t compile_once = PTHREAD_ONCE_INIT;

static void compile_patterns(void)
{
	struct strbuf all = STRBUF_INIT;
	for (size_t i = 0; i < NPATTERNS; i++)
		strbuf_addf(&all, "%s(?:%s)", i ? "|" : "", boilerplate_patterns[i]);
	int code;
	PCRE2_SIZE at;
	compiled = pcre2_compile((PCRE2_SPTR)all.buf, all.len, PCRE2_CASELESS | PCRE2_UTF,
				 &code, &at, NULL);
	if (!compiled)
		BUG("the boilerplate patterns do not compile (error %d at %zu)", code, (size_t)at);
	pcre2_jit_compile(compiled, PCRE2_JIT_COMPLETE);
	strbuf_release(&all);
	index_phrases();
}

/* --- Scratch ------------------------------------------------------------- */

struct slot {
	uint64_t key;
	uint32_t count, gen;
};

struct quality_scratch {
	struct words ws, pws;
	uint32_t *wlen;		/* code points of each word */
	uint64_t *wh;		/* hash of each word */
	uint64_t *gh;		/* n-gram hashes */
	unsigned char *covered, *flag;
	size_t wcap;
	struct slot *set;	/* an open-addressing count table; a slot is in */
	uint32_t gen;		/* use when its generation is the table's */
	size_t set_cap;
	uint64_t *pre;		/* code points of words [0, i) */
	size_t *line_at;	/* where each line starts, and one past the text */
	unsigned char *line_mark;
	size_t lcap;
	struct strbuf lower;	/* the text with ASCII letters in lower case */
	pcre2_match_data *md;
};

struct quality_scratch *quality_scratch_new(void)
{
	pthread_once(&compile_once, compile_patterns);
	struct quality_scratch *s = xcalloc(1, sizeof(*s));
	words_init(&s->ws);
	words_init(&s->pws);
	s->md = pcre2_match_data_create(4, NULL);
	return s;
}

void quality_scratch_free(struct quality_scratch *s)
{
	if (!s)
		return;
	words_release(&s->ws);
	words_release(&s->pws);
	free(s->wlen);
	free(s->wh);
	free(s->gh);
	free(s->covered);
	free(s->flag);
	free(s->set);
	free(s->pre);
	free(s->line_at);
	free(s->line_mark);
	strbuf_release(&s->lower);
	pcre2_match_data_free(s->md);
	free(s);
}

/* Room in the per-word arrays for n words. */
static void reserve_words(struct quality_scratch *s, size_t n)
{
	if (n + 1 <= s->wcap)
		return;
	s->wcap = grow_capacity(s->wcap, n + 1, 1024);
	s->wlen = xreallocarray(s->wlen, s->wcap, sizeof(*s->wlen));
	s->wh = xreallocarray(s->wh, s->wcap, sizeof(*s->wh));
	s->gh = xreallocarray(s->gh, s->wcap, sizeof(*s->gh));
	s->covered = xreallocarray(s->covered, s->wcap, 1);
	s->flag = xreallocarray(s->flag, s->wcap, 1);
	s->pre = xreallocarray(s->pre, s->wcap + 1, sizeof(*s->pre));
}

static uint64_t word_hash(const struct words *ws, size_t i)
{
	uint64_t pre[2];
	words_prefix(ws, i, pre);
	return words_hash(ws, i, pre);
}

/* The count table, emptied (a new generation) and big enough for n
 * keys; the table is sized for the largest text seen. */
static void set_reset(struct quality_scratch *s, size_t n)
{
	size_t cap = 64;
	while (cap < 2 * n)
		cap *= 2;
	if (cap > s->set_cap) {
		free(s->set);
		s->set = xcalloc(cap, sizeof(*s->set));
		s->set_cap = cap;
		s->gen = 0;
	}
	if (++s->gen == 0) {
		memset(s->set, 0, s->set_cap * sizeof(*s->set));
		s->gen = 1;
	}
}

/* Count one more of key; returns the count now. */
static uint32_t set_add(struct quality_scratch *s, uint64_t key)
{
	struct slot *t = s->set;
	size_t i = hash_slot(key, s->set_cap);
	while (t[i].gen == s->gen && t[i].key != key)
		i = hash_next_slot(i, s->set_cap);
	if (t[i].gen != s->gen)
		t[i] = (struct slot){ key, 0, s->gen };
	return ++t[i].count;
}

static uint32_t set_get(const struct quality_scratch *s, uint64_t key)
{
	const struct slot *t = s->set;
	for (size_t i = hash_slot(key, s->set_cap); t[i].gen == s->gen; i = hash_next_slot(i, s->set_cap))
		if (t[i].key == key)
			return t[i].count;
	return 0;
}

/* --- Pieces -------------------------------------------------------------- */

static int is_space_line(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\f' && p[i] != '\v')
			return 0;
	return 1;
}

static int is_ascii_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* ASCII punctuation, which a stop word may carry on either side:
 * "(with)," and "**the**" are stop words. */
static int is_wrapping(char c)
{
	return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
	       (c >= '{' && c <= '~');
}

/* p[0..n) without white space at either end (ASCII white space). */
static void trim(const char **p, size_t *n)
{
	while (*n && is_ascii_space((*p)[0]))
		(*p)++, (*n)--;
	while (*n && is_ascii_space((*p)[*n - 1]))
		(*n)--;
}

static int starts_with(const char *p, size_t n, const char *w)
{
	size_t k = strlen(w);
	return n >= k && !memcmp(p, w, k);
}

static int ends_with(const char *p, size_t n, const char *w)
{
	size_t k = strlen(w);
	return n >= k && !memcmp(p + n - k, w, k);
}

/* Does the (trimmed) line end a sentence: . ! ? " ' … ” ’ 。！？ */
static int ends_sentence(const char *p, size_t n)
{
	static const char *const marks[] = { ".", "!", "?", "\"", "'", "…", "”", "’", "。", "！",
					     "？" };
	for (size_t i = 0; i < sizeof(marks) / sizeof(*marks); i++)
		if (ends_with(p, n, marks[i]))
			return 1;
	return 0;
}

static int is_bullet_line(const char *p, size_t n)
{
	static const char *const bullets[] = { "-", "*", "•", "‣", "◦", "⁃", "●", "▪", "–" };
	for (size_t i = 0; i < sizeof(bullets) / sizeof(*bullets); i++)
		if (starts_with(p, n, bullets[i]))
			return 1;
	return 0;
}

static size_t count_substr(const char *p, size_t n, const char *w)
{
	size_t k = strlen(w), c = 0;
	for (const char *q = p; (q = memmem(q, (size_t)(p + n - q), w, k)); q += k)
		c++;
	return c;
}

static int has_alpha(const char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x80) {
			if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
				return 1;
			i++;
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)p + i,
						      (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0)
			return 0;
		utf8proc_category_t cat = utf8proc_category(cp);
		if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO)
			return 1;
		i += (size_t)k;
	}
	return 0;
}

/* Is the word, without ASCII punctuation around it and in lower case,
 * one of Gopher's stop words? Returns its number, or -1. */
static int stop_word(const char *p, size_t n)
{
	static const char *const stops[] = { "the", "be", "to", "of", "and", "that", "have", "with" };
	static const unsigned char lens[] = { 3, 2, 2, 2, 3, 4, 4, 4 };
	while (n && is_wrapping(p[0]))
		p++, n--;
	while (n && is_wrapping(p[n - 1]))
		n--;
	if (n > 4)
		return -1;
	for (int i = 0; i < 8; i++) {
		size_t k = lens[i];
		if (n != k)
			continue;
		size_t j = 0;
		while (j < k && (p[j] | 0x20) == stops[i][j])
			j++;
		if (j == k)
			return i;
	}
	return -1;
}

/* The hashes of the n-grams of words, by position, in s->gh: there are
 * nw - n + 1 of them. Called for n = 1, 2, 3, ... in turn, each extends
 * the hashes of the one before by a word. */
static size_t ngram_hashes(struct quality_scratch *s, size_t nw, unsigned n)
{
	if (nw < n)
		return 0;
	size_t count = nw - n + 1;
	if (n == 1)
		memcpy(s->gh, s->wh, nw * sizeof(*s->gh));
	else
		for (size_t i = 0; i < count; i++)
			s->gh[i] = mix64(s->gh[i] ^ s->wh[i + n - 1]) + n;
	return count;
}

/* The n-gram hashes for n, starting over from words. */
static size_t ngram_hashes_for(struct quality_scratch *s, size_t nw, unsigned n)
{
	size_t count = 0;
	for (unsigned k = 1; k <= n; k++)
		count = ngram_hashes(s, nw, k);
	return count;
}

/* The longest run of one word n-gram repeated back to back (n up to 8):
 * "a b a b a b" is a run of 3. A text without words has 0. */
static double repeat_run(const struct quality_scratch *s, size_t nw)
{
	size_t best = nw ? 1 : 0;
	for (size_t n = 1; n <= 8 && 2 * n <= nw; n++) {
		size_t run = 1;
		/* Compare n-gram at i with the one at i + n, word by word:
		 * equal word hashes for n words in a row make one more. */
		for (size_t i = 0; i + 2 * n <= nw;) {
			size_t k = 0;
			while (k < n && s->wh[i + k] == s->wh[i + n + k])
				k++;
			if (k == n) {
				run++;
				if (run > best)
					best = run;
				i += n;
			} else {
				run = 1;
				i++;
			}
		}
	}
	return (double)best;
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* --- The signals --------------------------------------------------------- */

void quality_compute(const char *text, size_t n, const char *prompt, size_t pn,
		     struct quality_scratch *s, double *out)
{
	for (int i = 0; i < Q_COUNT; i++)
		out[i] = 0;
	/* The text with ASCII letters in lower case, for the searches that
	 * ignore case. */
	strbuf_reset(&s->lower);
	strbuf_grow(&s->lower, n + 1);
	char *lower = s->lower.buf;
	/* In the same pass, the counts of single characters and of runs:
	 * "..." and "```" count once for every three in a run. */
	size_t count[256] = { 0 }, dots = 0, ticks = 0, run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		lower[i] = (char)(c + ((unsigned)(c - 'A') < 26u) * 32);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		count[c]++;
		if (c == '.' || c == '`') {
			run = i && text[i - 1] == (char)c ? run + 1 : 1;
			if (run % 3 == 0)
				*(c == '.' ? &dots : &ticks) += 1;
		}
	}
	size_t hellip = count[0xe2] ? count_substr(text, n, "…") : 0;
	strbuf_setlen(&s->lower, n);
	/* One pass for the phrases: the lines that hold each kind (a line
	 * counts once), lorem ipsum, and whether boilerplate may be there. */
	size_t js = 0, policy = 0, line = 0, js_line = SIZE_MAX, policy_line = SIZE_MAX;
	int maybe = 0, lorem = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (lower[i] == '\n') {
			line++;
			continue;
		}
		unsigned pair = (unsigned char)lower[i] << 8 | (unsigned char)lower[i + 1];
		if (!pair_first[pair])
			continue;
		for (size_t k = pair_first[pair] - 1u; k < NPHRASES && phrase_pair[k] == pair; k++) {
			if (phrase_len[k] > n - i || memcmp(lower + i, phrase[k], phrase_len[k]))
				continue;
			switch (phrase_kind[k]) {
			case 0: maybe = 1; break;
			case PH_LOREM: lorem = 1; break;
			case PH_JAVASCRIPT:
				js += js_line != line;
				js_line = line;
				break;
			case PH_POLICY:
				policy += policy_line != line;
				policy_line = line;
				break;
			}
		}
	}
	out[Q_LOREM_IPSUM] = lorem;
	/* Words. */
	text_words_as(text, n, NORM_NONE, &s->ws);
	size_t nw = s->ws.n;
	reserve_words(s, nw);
	uint64_t word_chars = 0;
	size_t alpha = 0;
	unsigned stops = 0;
	for (size_t i = 0; i < nw; i++) {
		const char *w = s->ws.norm.buf + s->ws.w[i].off;
		size_t len = s->ws.w[i].len;
		size_t cont = 0;
		for (size_t k = 0; k < len; k++)
			cont += ((unsigned char)w[k] & 0xc0) == 0x80;
		s->wlen[i] = (uint32_t)(len - cont);
		s->wh[i] = word_hash(&s->ws, i);
		word_chars += s->wlen[i];
		alpha += has_alpha(w, len);
		int k = stop_word(w, len);
		if (k >= 0)
			stops |= 1u << k;
	}
	out[Q_WORDS] = (double)nw;
	double words = nw ? (double)nw : 1;
	out[Q_MEAN_WORD_LENGTH] = nw ? (double)word_chars / words : 0;
	out[Q_HASH_WORD_RATIO] = nw ? (double)count['#'] / words : 0;
	out[Q_ELLIPSIS_WORD_RATIO] = nw ? (double)(dots + hellip) / words : 0;
	out[Q_ALPHA_WORDS_FRAC] = nw ? (double)alpha / words : 0;
	out[Q_STOP_WORDS] = __builtin_popcount(stops);

	/* Lines, and paragraphs: runs of lines that are not blank. Lines
	 * and paragraphs share one count table, hashed with other seeds. */
	size_t lines = 0, dup_lines = 0, bullets = 0, ellipsis = 0, terminal = 0, shorts = 0,
	       newlines = 0, paras = 0, dup_paras = 0;
	uint64_t dup_line_chars = 0, dup_para_chars = 0;
	size_t total_chars = utf8_count(text, n), pstart = SIZE_MAX, pend = 0;
	set_reset(s, n / 8 + 16);
	for (size_t at = 0;;) {
		const char *nl = memchr(text + at, '\n', n - at);
		size_t end = nl ? (size_t)(nl - text) : n;
		const char *p = text + at;
		size_t len = end - at;
		int blank = is_space_line(p, len);
		if (nl)
			newlines++;
		if (!blank) {
			trim(&p, &len);
			lines++;
			size_t cps = utf8_count(p, len);
			if (set_add(s, hash64(p, len, 1)) > 1) {
				dup_lines++;
				dup_line_chars += cps;
			}
			bullets += is_bullet_line(p, len);
			ellipsis += ends_with(p, len, "...") || ends_with(p, len, "…");
			terminal += ends_sentence(p, len);
			shorts += cps < 30;
			if (pstart == SIZE_MAX)
				pstart = at;
			pend = end;
		}
		if ((blank || !nl) && pstart != SIZE_MAX) {
			const char *q = text + pstart;
			size_t qlen = pend - pstart;
			trim(&q, &qlen);
			paras++;
			if (set_add(s, hash64(q, qlen, 2)) > 1) {
				dup_paras++;
				dup_para_chars += utf8_count(q, qlen);
			}
			pstart = SIZE_MAX;
		}
		if (!nl)
			break;
		at = end + 1;
	}
	double nl_lines = lines ? (double)lines : 1;
	double chars = total_chars ? (double)total_chars : 1;
	out[Q_BULLET_LINES_FRAC] = (double)bullets / nl_lines;
	out[Q_ELLIPSIS_LINES_FRAC] = (double)ellipsis / nl_lines;
	out[Q_DUP_LINE_FRAC] = (double)dup_lines / nl_lines;
	out[Q_DUP_LINE_CHAR_FRAC] = (double)dup_line_chars / chars;
	out[Q_DUP_PARA_FRAC] = paras ? (double)dup_paras / (double)paras : 0;
	out[Q_DUP_PARA_CHAR_FRAC] = (double)dup_para_chars / chars;
	out[Q_TERMINAL_PUNCT_LINES_FRAC] = (double)terminal / nl_lines;
	out[Q_SHORT_LINES_FRAC] = (double)shorts / nl_lines;
	out[Q_NEWLINE_WORD_RATIO] = nw ? (double)newlines / words : 0;
	out[Q_JAVASCRIPT_LINES] = (double)js;
	out[Q_POLICY_LINES] = (double)policy;

	out[Q_CURLY_BRACE] = memchr(text, '{', n) != NULL;

	/* Word n-grams: the most frequent (2 to 4), the duplicated (5 to 10). */
	double wchars = word_chars ? (double)word_chars : 1;
	s->pre[0] = 0;
	for (size_t i = 0; i < nw; i++)
		s->pre[i + 1] = s->pre[i] + s->wlen[i];
	/* Only n-grams seen twice or more count, and an n-gram can only be
	 * seen twice where its first n - 1 words were: s->flag marks the
	 * positions whose (n-1)-gram was, so each pass counts only those. */
	ngram_hashes(s, nw, 1);
	memset(s->flag, 1, nw);
	for (unsigned g = 2; g <= 10; g++) {
		size_t cnt = ngram_hashes(s, nw, g), candidates = 0;
		for (size_t i = 0; i < cnt; i++)
			candidates += s->flag[i];
		double frac = 0;
		if (candidates) {
			set_reset(s, candidates);
			uint32_t best = 0;
			uint64_t best_chars = 0;
			for (size_t i = 0; i < cnt; i++) {
				if (!s->flag[i])
					continue;
				uint32_t c = set_add(s, s->gh[i]);
				if (g <= 4) {
					uint64_t ch = s->pre[i + g] - s->pre[i];
					if (c > best || (c == best && ch > best_chars)) {
						best = c;
						best_chars = ch;
					}
				}
			}
			for (size_t i = 0; i < cnt; i++)
				s->flag[i] = s->flag[i] && set_get(s, s->gh[i]) > 1;
			if (g <= 4) {
				frac = best > 1 ? (double)best * (double)best_chars / wchars : 0;
			} else {
				memset(s->covered, 0, nw);
				for (size_t i = 0; i < cnt; i++)
					if (s->flag[i])
						memset(s->covered + i, 1, g);
				uint64_t cov = 0;
				for (size_t i = 0; i < nw; i++)
					cov += s->covered[i] ? s->wlen[i] : 0;
				frac = (double)cov / wchars;
			}
		}
		/* The last position has no g-gram at the next length. */
		if (cnt)
			s->flag[cnt - 1] = 0;
		out[g <= 4 ? Q_TOP_2GRAM_CHAR_FRAC + (g - 2) : Q_DUP_5GRAM_CHAR_FRAC + (g - 5)] =
			frac > 1 ? 1 : frac;
	}

	/* LLM output. */
	size_t matches = 0;
	PCRE2_SIZE off = maybe ? 0 : n + 1;
	while (off <= n && pcre2_match(compiled, (PCRE2_SPTR)text, n, off, 0, s->md, NULL) > 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
		matches++;
		off = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
	}
	out[Q_BOILERPLATE] = (double)matches;
	out[Q_MAX_REPEAT_RUN] = repeat_run(s, nw);
	const char *p = text;
	size_t len = n;
	trim(&p, &len);
	size_t fences = ticks;
	int open = count['('] > count[')'] || count['['] > count[']'] || count['{'] > count['}'];
	static const char *const closers[] = { ")", "]", "}", "`", ":", "*" };
	int closed = ends_sentence(p, len);
	for (size_t i = 0; !closed && i < sizeof(closers) / sizeof(*closers); i++)
		closed = ends_with(p, len, closers[i]);
	out[Q_TRUNCATED] = len && (!closed || fences % 2 || open);

	/* prompt_echo: the share of the prompt's distinct word 8-grams that
	 * the text holds too. */
	if (!prompt) {
		out[Q_PROMPT_ECHO] = NAN;
		return;
	}
	size_t tcount = ngram_hashes_for(s, nw, 8);
	set_reset(s, tcount);
	for (size_t i = 0; i < tcount; i++)
		set_add(s, s->gh[i]);
	text_words_as(prompt, pn, NORM_NONE, &s->pws);
	size_t pw = s->pws.n;
	/* The text's n-grams are in the table: its word arrays are free. */
	reserve_words(s, pw);
	for (size_t i = 0; i < pw; i++)
		s->wh[i] = word_hash(&s->pws, i);
	size_t pcount = ngram_hashes_for(s, pw, 8), echoed = 0, distinct = 0;
	/* Distinct prompt n-grams: sort the hashes. */
	qsort(s->gh, pcount, sizeof(*s->gh), by_u64);
	for (size_t i = 0; i < pcount; i++) {
		if (i && s->gh[i] == s->gh[i - 1])
			continue;
		distinct++;
		echoed += set_get(s, s->gh[i]) > 0;
	}
	out[Q_PROMPT_ECHO] = distinct ? (double)echoed / (double)distinct : 0;
}
