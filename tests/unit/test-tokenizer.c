/* Unit tests of lib/tokenizer on small tokenizers made here: merges by
 * rank and leftmost first, ignore_merges, added tokens with lstrip and
 * rstrip, add_prefix_space, tiktoken's merges by the rank of the bytes,
 * invalid UTF-8, and the errors that name what is not supported. The
 * comparison with the reference implementations on real tokenizers is
 * tests/tokens.bats. */
#include "unit.h"

#include <stdint.h>

#include "base64.h"
#include "strbuf.h"
#include "tokenizer.h"

/* GPT-2's byte alphabet: the code point that stands for byte b. */
static unsigned byte_cp(unsigned b)
{
	unsigned next = 256;
	for (unsigned c = 0; c < 256; c++) {
		int printable = (c >= 33 && c <= 126) || (c >= 161 && c <= 172) || c >= 174;
		if (c == b)
			return printable ? c : next;
		if (!printable)
			next++;
	}
	return 0;
}

/* The vocabulary spelling of the bytes s, as a JSON string's contents. */
static void add_token(struct strbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned cp = byte_cp(*p);
		if (cp == '"' || cp == '\\')
			strbuf_addf(sb, "\\%c", cp);
		else if (cp < 0x80)
			strbuf_addc(sb, (char)cp);
		else
			strbuf_addf(sb, "\\u%04x", cp);
	}
}

/* A byte-level tokenizer.json: the 256 bytes as ids 0..255, then the
 * merges (pairs of byte strings) whose results get ids 256 on, then the
 * extra vocabulary `more`; pre_tokenizer and added are JSON text. */
static struct tokenizer *make_bpe(const char *const *merges, size_t nmerges, const char *more,
				  int ignore_merges, const char *pre_tokenizer, const char *added,
				  struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\"added_tokens\": [");
	strbuf_addstr(&sb, added);
	strbuf_addstr(&sb, "], \"normalizer\": null, \"pre_tokenizer\": ");
	strbuf_addstr(&sb, pre_tokenizer);
	strbuf_addf(&sb, ", \"model\": {\"type\": \"BPE\", \"ignore_merges\": %s, \"vocab\": {",
		    ignore_merges ? "true" : "false");
	for (unsigned b = 0; b < 256; b++) {
		char s[2] = { (char)b, 0 };
		strbuf_addstr(&sb, b ? ", \"" : "\"");
		if (b == 0)
			strbuf_addstr(&sb, "\\u0100");
		else
			add_token(&sb, s);
		strbuf_addf(&sb, "\": %u", b);
	}
	unsigned id = 256;
	for (size_t i = 0; i < nmerges; i += 2) {
		struct strbuf both = STRBUF_INIT;
		strbuf_addstr(&both, merges[i]);
		strbuf_addstr(&both, merges[i + 1]);
		strbuf_addstr(&sb, ", \"");
		add_token(&sb, both.buf);
		strbuf_addf(&sb, "\": %u", id++);
		strbuf_release(&both);
	}
	if (more && *more) {
		strbuf_addstr(&sb, ", \"");
		add_token(&sb, more);
		strbuf_addf(&sb, "\": %u", id++);
	}
	strbuf_addstr(&sb, "}, \"merges\": [");
	for (size_t i = 0; i < nmerges; i += 2) {
		strbuf_addstr(&sb, i ? ", [\"" : "[\"");
		add_token(&sb, merges[i]);
		strbuf_addstr(&sb, "\", \"");
		add_token(&sb, merges[i + 1]);
		strbuf_addstr(&sb, "\"]");
	}
	strbuf_addstr(&sb, "]}}");
	struct tokenizer *t = tokenizer_load_mem(sb.buf, sb.len, err);
	strbuf_release(&sb);
	return t;
}

static const char byte_level[] = "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}";

/* The ids of text under t, as "1 2 3" in a static buffer. */
static const char *ids_of(struct tokenizer *t, const char *text, size_t n)
{
	static char buf[4096];
	struct tokenizer_run *r = tokenizer_run_new(t);
	struct token_ids ids = TOKEN_IDS_INIT;
	tokenizer_encode(r, text, n, &ids);
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ids.n && len < sizeof(buf) - 16; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, i ? " %u" : "%u", ids.id[i]);
	if (tokenizer_count(r, text, n) != ids.n)
		snprintf(buf, sizeof(buf), "count differs");
	token_ids_release(&ids);
	tokenizer_run_free(r);
	return buf;
}

#define IDS(t, s) ids_of((t), (s), sizeof(s) - 1)

static void test_bpe(void)
{
	struct strbuf err = STRBUF_INIT;
	static const char *const merges[] = { "a", "b", "ab", "c", "b", "c", "a", "a", " ", "a" };
	struct tokenizer *t = make_bpe(merges, 10, "xyz", 0, byte_level, "", &err);
	ok(t != NULL, "a byte-level tokenizer.json loads %s", err.buf);
	if (!t)
		return;
	is_str(tokenizer_name(t), "tokenizer.json byte-level BPE", "its name");
	is_str(IDS(t, "abc"), "257", "ab, then ab c: one token");
	is_str(IDS(t, "bcab"), "258 256", "the lowest rank merges first (ab before bc)");
	is_str(IDS(t, "aaa"), "259 97", "of equal ranks the leftmost merges first");
	is_str(IDS(t, "xyz"), "120 121 122", "a vocabulary word without merges stays in bytes");
	is_str(IDS(t, "ab a"), "256 260", "a space is a byte of the next word (' a' merges)");
	is_str(IDS(t, ""), "", "an empty text has no tokens");
	is_str(IDS(t, "a\xff" "b"), "97 239 191 189 98", "an invalid byte reads as U+FFFD");
	is_str(IDS(t, "\xE0\xA0!"), "239 191 189 33", "a cut sequence is one U+FFFD");
	is_str(IDS(t, "\xF0\x90\x80x"), "239 191 189 120", "so is a cut four-byte sequence");
	is_str(IDS(t, "\xC0\xAF"), "239 191 189 239 191 189", "an overlong form is one U+FFFD a byte");
	char longer[600];
	memset(longer, 'a', sizeof(longer));
	const char *got = ids_of(t, longer, sizeof(longer));
	ok(strncmp(got, "259 259 259 ", 12) == 0 && strlen(got) == 300 * 4 - 1,
	   "a piece longer than the cache holds: 300 aa tokens");
	got = ids_of(t, longer, sizeof(longer));
	ok(strlen(got) == 300 * 4 - 1, "and again, the same");
	tokenizer_free(t);

	t = make_bpe(merges, 10, "xyz", 1, byte_level, "", &err);
	is_str(IDS(t, "xyz"), "261", "ignore_merges: a word in the vocabulary is its token");
	is_str(IDS(t, "xyzxyz"), "120 121 122 120 121 122", "but not a longer word");
	tokenizer_free(t);

	t = make_bpe(merges, 10, "", 0,
		     "{\"type\": \"ByteLevel\", \"add_prefix_space\": true, \"use_regex\": true}", "", &err);
	is_str(IDS(t, "a"), "260", "add_prefix_space: 'a' is ' a'");
	is_str(IDS(t, " a"), "260", "but ' a' stays ' a'");
	tokenizer_free(t);

	t = make_bpe(merges, 10, "", 0, byte_level,
		     "{\"id\": 300, \"content\": \"<s>\", \"special\": true},"
		     "{\"id\": 301, \"content\": \"<s>x\", \"special\": true},"
		     "{\"id\": 302, \"content\": \"<t>\", \"lstrip\": true, \"rstrip\": true}",
		     &err);
	is_str(IDS(t, "ab<s>ab"), "256 300 256", "an added token is found inside a word");
	is_str(IDS(t, "<s>x<s>"), "301 300", "the longest added token at a place wins");
	is_str(IDS(t, "a \t<t>\n b"), "97 302 98", "lstrip and rstrip take the white space beside it");
	is_str(IDS(t, "a\xC2\xA0<t>"), "97 302", "JavaScript's white space: U+00A0 too");
	is_str(IDS(t, "<s"), "60 115", "half an added token is text");
	tokenizer_free(t);

	t = make_bpe(merges, 10, "", 0,
		     "{\"type\": \"Sequence\", \"pretokenizers\": ["
		     "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\s+|[^\\\\s]+\"},"
		     " \"behavior\": \"Isolated\", \"invert\": false},"
		     "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}]}",
		     "", &err);
	ok(t != NULL, "a Sequence of Split and ByteLevel loads %s", err.buf);
	is_str(IDS(t, "a a"), "97 32 97", "Split isolates the white space (no ' a')");
	tokenizer_free(t);

	/* invert: only the matches are kept, so what the pattern matches
	 * shows in the ids. */
	t = make_bpe(merges, 10, "", 0,
		     "{\"type\": \"Sequence\", \"pretokenizers\": ["
		     "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"(?i:'s)|\\\\s+\"},"
		     " \"behavior\": \"Isolated\", \"invert\": true},"
		     "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}]}",
		     "", &err);
	ok(t != NULL, "a Split that keeps its matches loads %s", err.buf);
	is_str(IDS(t, "'S'\xC5\xBFx"), "39 83", "(?i:) is ASCII's cases only, as in JavaScript (no long s)");
	is_str(IDS(t, "\xC2\x85.\xE3\x80\x80.\xEF\xBB\xBF"), "227 128 128 239 187 191",
	       "\\s is JavaScript's: U+3000 and U+FEFF, not U+0085");
	tokenizer_free(t);
	strbuf_release(&err);
}

static void expect_error(const char *doc, const char *want, const char *what)
{
	struct strbuf err = STRBUF_INIT;
	struct tokenizer *t = tokenizer_load_mem(doc, strlen(doc), &err);
	ok(t == NULL && strstr(err.buf, want) != NULL, "%s: %s", what, err.buf);
	tokenizer_free(t);
	strbuf_release(&err);
}

static void test_errors(void)
{
	struct strbuf err = STRBUF_INIT;
	static const char *const merges[] = { "a", "b" };
	struct tokenizer *t = make_bpe(merges, 2, "", 0, "{\"type\": \"Metaspace\"}", "", &err);
	ok(t == NULL && strstr(err.buf, "pre-tokenizer Metaspace is not supported"),
	   "a Metaspace pre-tokenizer is named: %s", err.buf);
	tokenizer_free(t);
	strbuf_reset(&err);
	t = make_bpe(merges, 2, "", 0, "null", "", &err);
	ok(t == NULL && strstr(err.buf, "only byte-level BPE"), "no ByteLevel: %s", err.buf);
	tokenizer_free(t);
	strbuf_release(&err);
	expect_error("{\"model\": {\"type\": \"Unigram\", \"vocab\": []}}", "model Unigram is not supported",
		     "a Unigram model");
	expect_error("{\"model\": {\"type\": \"BPE\", \"byte_fallback\": true, \"vocab\": {}, \"merges\": []}}",
		     "byte_fallback is not supported", "byte_fallback");
	expect_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}",
		     "byte 0x00 has no token", "a vocabulary without every byte");
	expect_error("{\"version\": \"1.0\"}", "no model", "JSON that is no tokenizer");
	expect_error("{\"model\": ", "invalid JSON", "broken JSON");
	expect_error("\x0a\x05hello\x15\x00\x00\x80?", "SentencePiece", "a protocol buffer");
	expect_error("just some words\n", "not a tokenizer file", "plain text");
	expect_error("YQ== 0\nYg== 1\n", "a tiktoken file of 2 ranks", "a tiktoken file of unknown size");
	expect_error("YQ== 0\n!!! 1\n", "line 2: not a tiktoken rank", "a broken rank line");
}

static void test_tiktoken(void)
{
	/* r50k_base's size: 50256 ranks, the bytes first, then ab, abc and
	 * filler. */
	struct strbuf file = STRBUF_INIT, err = STRBUF_INIT;
	unsigned rank = 0;
	for (unsigned b = 0; b < 256; b++) {
		char c = (char)b;
		base64_encode(&file, &c, 1);
		strbuf_addf(&file, " %u\n", rank++);
	}
	base64_encode(&file, "ab", 2);
	strbuf_addf(&file, " %u\n", rank++);
	base64_encode(&file, "abc", 3);
	strbuf_addf(&file, " %u\n", rank++);
	while (rank < 50256) {
		char filler[3] = { '\xff', (char)(rank >> 8), (char)rank };
		base64_encode(&file, filler, 3);
		strbuf_addf(&file, " %u\n", rank++);
	}
	struct tokenizer *t = tokenizer_load_mem(file.buf, file.len, &err);
	ok(t != NULL, "a tiktoken file of 50256 ranks loads %s", err.buf);
	if (t) {
		is_str(tokenizer_name(t), "tiktoken r50k_base", "as r50k_base");
		is_str(IDS(t, "abc"), "257", "a piece that is a token is one");
		is_str(IDS(t, "abcd"), "257 100", "others merge by the rank of the bytes they make");
		is_str(IDS(t, "<|endoftext|>"), "60 124 101 110 100 111 102 116 101 120 116 124 62",
		       "a special token's spelling is ordinary text");
		tokenizer_free(t);
	}
	strbuf_release(&file);
	strbuf_release(&err);
}

int main(void)
{
	test_bpe();
	test_errors();
	test_tiktoken();
	return done_testing();
}
