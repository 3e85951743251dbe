/* tokenizer.c: byte-level BPE from tokenizer.json and tiktoken rank
 * files; see tokenizer.h.
 *
 * Both kinds come down to the same three steps: split the text into
 * pre-tokens with a pattern, look each pre-token up in a cache, and
 * merge the bytes of one not seen before. The merging differs only in
 * what ranks a pair of neighbours: the rank of the pair in the merges
 * list (BPE), or the rank of the bytes the two would make (tiktoken).
 * Either way the lowest rank merges first, the leftmost of equal ranks
 * first, which a heap of candidate pairs finds in O(n log n), so that a
 * pre-token of a million spaces costs no more than its length says.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer.h"

#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "alloc.h"
#include "base64.h"
#include "bytes.h"
#include "diag.h"
#include "hash.h"
#include "json.h"
#include "keymap.h"
#include "strbuf.h"
#include "tokenizer_spm.h"

/* ---- a table of byte strings: bytes -> a 32-bit value ---- */

struct bytes_table {
	struct strbuf bytes;	/* every key, back to back */
	uint64_t *key;		/* offset << 24 | length of each key */
	uint32_t *value;
	size_t n, alloc;
	uint32_t *slot;		/* index + 1, or 0 for a free slot */
	size_t cap;		/* a power of two */
};

static uint64_t bytes_hash(const char *p, size_t n)
{
	return hash64(p, n, 0x746f6b656eull);
}

static size_t bytes_find(const struct bytes_table *t, const char *p, size_t n, uint64_t h)
{
	if (!t->cap)
		return SIZE_MAX;
	size_t mask = t->cap - 1;
	for (size_t i = (size_t)(h >> 20) & mask;; i = (i + 1) & mask) {
		uint32_t s = t->slot[i];
		if (!s)
			return i | ((size_t)1 << 63);
		uint64_t k = t->key[s - 1];
		if ((k & 0xFFFFFF) == n && memcmp(t->bytes.buf + (k >> 24), p, n) == 0)
			return i;
	}
}

static int bytes_get(const struct bytes_table *t, const char *p, size_t n, uint32_t *value)
{
	if (n > 0xFFFFFF || !t->cap)
		return 0;
	size_t i = bytes_find(t, p, n, bytes_hash(p, n));
	if (i >> 63)
		return 0;
	*value = t->value[t->slot[i] - 1];
	return 1;
}

static void bytes_rehash(struct bytes_table *t, size_t cap)
{
	free(t->slot);
	t->slot = xcalloc(cap, sizeof(*t->slot));
	t->cap = cap;
	for (size_t j = 0; j < t->n; j++) {
		uint64_t k = t->key[j];
		size_t i = bytes_find(t, t->bytes.buf + (k >> 24), k & 0xFFFFFF,
				      bytes_hash(t->bytes.buf + (k >> 24), k & 0xFFFFFF));
		t->slot[i & (cap - 1)] = (uint32_t)(j + 1);
	}
}

/* Map p[0..n) to value; a key already there gets the new value (as a
 * JavaScript Map does). Returns -1 for a key too long to hold. */
static int bytes_put(struct bytes_table *t, const char *p, size_t n, uint32_t value)
{
	if (n > 0xFFFFFF || t->bytes.len > (SIZE_MAX >> 25))
		return -1;
	if ((t->n + 1) * 2 > t->cap)
		bytes_rehash(t, t->cap ? t->cap * 2 : 1024);
	uint64_t h = bytes_hash(p, n);
	size_t i = bytes_find(t, p, n, h);
	if (!(i >> 63)) {
		t->value[t->slot[i] - 1] = value;
		return 0;
	}
	if (t->n == t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 1024;
		t->key = xreallocarray(t->key, t->alloc, sizeof(*t->key));
		t->value = xreallocarray(t->value, t->alloc, sizeof(*t->value));
	}
	t->key[t->n] = (uint64_t)t->bytes.len << 24 | n;
	t->value[t->n] = value;
	strbuf_add(&t->bytes, p, n);
	t->n++;
	t->slot[i & (t->cap - 1)] = (uint32_t)t->n;
	return 0;
}

static void bytes_release(struct bytes_table *t)
{
	strbuf_release(&t->bytes);
	free(t->key);
	free(t->value);
	free(t->slot);
	memset(t, 0, sizeof(*t));
	strbuf_init(&t->bytes);
}

/* ---- the tokenizer ---- */

enum model_kind { MODEL_BPE, MODEL_TIKTOKEN, MODEL_SPM };

struct pretok_step {
	pcre2_code *re;		/* NULL: the whole piece goes on */
	/* The pattern is cl100k's and Llama 3's (digits in threes: 3) or
	 * Qwen's (digits one by one: 1): ASCII is split by hand. 0: not. */
	int ascii_digits;
	int ascii_o200k;	/* o200k's pattern: ASCII is split by hand too */
	int matches_only;	/* drop what lies between matches */
	int prefix_space;	/* ByteLevel's add_prefix_space */
};

#define MAX_STEPS 4

struct added_token {
	size_t off, len;	/* in added_text */
	uint32_t id;
	int lstrip, rstrip;
};

struct tokenizer {
	enum model_kind kind;
	char name[64];
	struct bytes_table vocab;	/* the bytes of a token -> its id (or rank) */
	uint32_t byte_id[256];
	struct keymap merges;		/* left id << 32 | right id -> rank << 32 | merged id */
	int ignore_merges;
	int nfc;
	struct pretok_step step[MAX_STEPS];
	int nsteps;
	struct strbuf added_text;
	struct added_token *added;
	size_t nadded;
	struct bytes_table added_index;	/* content -> index in added */
	size_t added_lens[64];		/* the lengths added tokens have, longest first */
	size_t n_added_lens;
	uint8_t added_pair[65536 / 8];	/* the first two bytes of an added token */
	uint8_t added_first[256];
	int added_one_first;		/* every added token begins with one byte: -1 if not */
	size_t added_min;
	struct spm_model *spm;		/* MODEL_SPM: SentencePiece does it all */
	uint64_t fingerprint;		/* of the file's bytes */
};

uint64_t tokenizer_fingerprint(const struct tokenizer *t)
{
	return t->fingerprint;
}

const char *tokenizer_name(const struct tokenizer *t)
{
	return t->name;
}

void tokenizer_free(struct tokenizer *t)
{
	if (!t)
		return;
	bytes_release(&t->vocab);
	keymap_release(&t->merges);
	for (int i = 0; i < t->nsteps; i++)
		pcre2_code_free(t->step[i].re);
	strbuf_release(&t->added_text);
	free(t->added);
	bytes_release(&t->added_index);
	spm_model_free(t->spm);
	free(t);
}

static struct tokenizer *tokenizer_new(enum model_kind kind)
{
	struct tokenizer *t = xcalloc(1, sizeof(*t));
	t->kind = kind;
	strbuf_init(&t->vocab.bytes);
	strbuf_init(&t->added_text);
	strbuf_init(&t->added_index.bytes);
	keymap_init(&t->merges);
	return t;
}

/* ---- split patterns: JavaScript's meaning through PCRE2 ---- */

/* JavaScript's \s: WhiteSpace and LineTerminator. PCRE2's differs (it
 * has U+0085 and lacks U+FEFF), so every \s is spelled out. */
#define JS_SPACE "\\t\\n\\x0B\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}" \
		 "\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}"

/* Translate the JavaScript pattern src into out for PCRE2 in UTF mode
 * without UCP (so \d and \w are ASCII, as in JavaScript). Returns 0, or
 * -1 with the reason in err. */
static int pattern_from_js(const char *src, size_t n, struct strbuf *out, struct strbuf *err)
{
	int in_class = 0;
	int depth = 0, caseless_depth = -1;
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		if (c == '\\' && i + 1 < n) {
			char e = src[++i];
			switch (e) {
			case 's':
				strbuf_addstr(out, in_class ? JS_SPACE : "[" JS_SPACE "]");
				break;
			case 'S':
				if (in_class) {
					strbuf_addstr(err, "\\S inside a character class is not supported");
					return -1;
				}
				strbuf_addstr(out, "[^" JS_SPACE "]");
				break;
			case 'u':
				if (i + 1 < n && src[i + 1] == '{') {
					size_t j = i + 2;
					strbuf_addstr(out, "\\x{");
					while (j < n && src[j] != '}')
						strbuf_addc(out, src[j++]);
					strbuf_addc(out, '}');
					i = j;
				} else if (i + 4 < n) {
					strbuf_addstr(out, "\\x{");
					strbuf_add(out, src + i + 1, 4);
					strbuf_addc(out, '}');
					i += 4;
				} else {
					strbuf_addstr(err, "a \\u escape is cut short");
					return -1;
				}
				break;
			default:
				strbuf_addc(out, '\\');
				strbuf_addc(out, e);
			}
			continue;
		}
		if (in_class) {
			if (c == ']')
				in_class = 0;
			if (caseless_depth >= 0 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
				strbuf_addc(out, (char)(c | 0x20));
				strbuf_addc(out, (char)(c & ~0x20));
				continue;
			}
			strbuf_addc(out, c);
			continue;
		}
		if (c == '[') {
			in_class = 1;
			strbuf_addc(out, c);
			if (i + 1 < n && src[i + 1] == '^')
				strbuf_addc(out, src[++i]);
			if (i + 1 < n && src[i + 1] == ']')
				strbuf_addc(out, src[++i]);
			continue;
		}
		if (c == '(') {
			if (n - i >= 4 && memcmp(src + i, "(?i:", 4) == 0) {
				if (caseless_depth < 0)
					caseless_depth = depth;
				strbuf_addstr(out, "(?:");
				i += 3;
			} else {
				strbuf_addc(out, c);
			}
			depth++;
			continue;
		}
		if (c == ')') {
			depth--;
			if (depth == caseless_depth)
				caseless_depth = -1;
			strbuf_addc(out, c);
			continue;
		}
		if (c == '.') {
			strbuf_addstr(out, "[^\\n\\r\\x{2028}\\x{2029}]");
			continue;
		}
		if (caseless_depth >= 0 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
			strbuf_addf(out, "[%c%c]", c | 0x20, c & ~0x20);
			continue;
		}
		strbuf_addc(out, c);
	}
	return 0;
}

static pcre2_code *compile_js_pattern(const char *src, size_t n, struct strbuf *err)
{
	struct strbuf pat = STRBUF_INIT;
	if (pattern_from_js(src, n, &pat, err) < 0) {
		strbuf_release(&pat);
		return NULL;
	}
	int code;
	PCRE2_SIZE at;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat.buf, pat.len,
				       PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NO_UTF_CHECK,
				       &code, &at, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof(msg));
		strbuf_addf(err, "split pattern: %s", (char *)msg);
	} else {
		pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	}
	strbuf_release(&pat);
	return re;
}

/* ByteLevel's own pattern (GPT-2's), as transformers.js and tiktoken's
 * r50k_base write it. */
static const char gpt2_pattern[] =
	"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static const char cl100k_pattern[] =
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
	" ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* cl100k's with digits one by one, as Qwen's tokenizer.json has it. */
static const char qwen_pattern[] =
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"
	" ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

static const char o200k_pattern[] =
	"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
	"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
	"(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
	"\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* ---- GPT-2's byte alphabet ---- */

/* The code point that stands for byte b in a byte-level vocabulary: the
 * printable bytes stand for themselves, the others for 256 on, in order. */
static void byte_alphabet(unsigned cp_of_byte[256])
{
	unsigned next = 256;
	for (unsigned b = 0; b < 256; b++) {
		int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
		cp_of_byte[b] = printable ? b : next++;
	}
}

/* The bytes a vocabulary token in the byte alphabet stands for, into
 * out; -1 when it holds a character outside the alphabet. */
static int token_bytes(const char *s, size_t n, const int16_t *byte_of_cp, struct strbuf *out)
{
	strbuf_reset(out);
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
		if (k <= 0 || cp >= 324 || byte_of_cp[cp] < 0)
			return -1;
		strbuf_addc(out, (char)byte_of_cp[cp]);
		i += (size_t)k;
	}
	return 0;
}

/* ---- tokenizer.json ---- */

static int json_str_is(const struct json_value *v, const char *s)
{
	const char *p;
	size_t n;
	return v->type == JSON_STRING && json_string_plain(v, &p, &n) && n == strlen(s) &&
	       memcmp(p, s, n) == 0;
}

static int member(const struct json_value *obj, const char *name, struct json_value *v)
{
	if (obj->type != JSON_OBJECT)
		return 0;
	return json_get(obj->p, obj->len, name, v);
}

/* Is member name of obj true (absent, null: dflt)? */
static int member_bool(const struct json_value *obj, const char *name, int dflt)
{
	struct json_value v;
	if (!member(obj, name, &v) || v.type == JSON_NULL)
		return dflt;
	return v.type == JSON_TRUE;
}

/* Is member name of obj absent, null, false or ""? (Qwen's files say
 * "" for the suffixes they do not use.) */
static int member_unset(const struct json_value *obj, const char *name)
{
	struct json_value v;
	return !member(obj, name, &v) || v.type == JSON_NULL || v.type == JSON_FALSE ||
	       (v.type == JSON_STRING && v.len == 2);
}

static void type_name(const struct json_value *obj, struct strbuf *out)
{
	struct json_value v;
	strbuf_reset(out);
	if (member(obj, "type", &v) && v.type == JSON_STRING)
		json_decode_string(&v, out);
	else
		strbuf_addstr(out, "(no type)");
}

static int add_step(struct tokenizer *t, pcre2_code *re, const char *source, int matches_only,
		    int prefix_space, struct strbuf *err)
{
	if (t->nsteps == MAX_STEPS) {
		pcre2_code_free(re);
		strbuf_addstr(err, "pre-tokenizer: more steps than are supported");
		return -1;
	}
	int digits = !source ? 0 : strcmp(source, cl100k_pattern) == 0 ? 3 :
		     strcmp(source, qwen_pattern) == 0 ? 1 : 0;
	int o200k = source && strcmp(source, o200k_pattern) == 0;
	t->step[t->nsteps++] = (struct pretok_step){ re, digits, o200k, matches_only, prefix_space };
	return 0;
}

static int load_pretokenizer(struct tokenizer *t, const struct json_value *pt, int *byte_level,
			     struct strbuf *err)
{
	struct strbuf type = STRBUF_INIT, s = STRBUF_INIT;
	int rc = -1;
	type_name(pt, &type);
	if (strcmp(type.buf, "Sequence") == 0) {
		struct json_value list, elem;
		size_t pos = 0;
		if (!member(pt, "pretokenizers", &list) || list.type != JSON_ARRAY) {
			strbuf_addstr(err, "pre-tokenizer: a Sequence without pretokenizers");
			goto out;
		}
		while (json_array_next(&list, &pos, &elem))
			if (load_pretokenizer(t, &elem, byte_level, err) < 0)
				goto out;
		rc = 0;
	} else if (strcmp(type.buf, "ByteLevel") == 0) {
		pcre2_code *re = NULL;
		if (member_bool(pt, "use_regex", 1)) {
			re = compile_js_pattern(gpt2_pattern, strlen(gpt2_pattern), err);
			if (!re)
				goto out;
		}
		*byte_level = 1;
		rc = add_step(t, re, re ? gpt2_pattern : NULL, 1, member_bool(pt, "add_prefix_space", 0),
			      err);
	} else if (strcmp(type.buf, "Split") == 0) {
		struct json_value pat, rx, beh;
		if (!member(pt, "pattern", &pat) || !member(&pat, "Regex", &rx) ||
		    rx.type != JSON_STRING) {
			strbuf_addstr(err, "pre-tokenizer: a Split without a Regex pattern is not supported");
			goto out;
		}
		if (member(pt, "behavior", &beh) && !json_str_is(&beh, "Isolated")) {
			json_decode_string(&beh, &s);
			strbuf_addf(err, "pre-tokenizer: Split behavior %s is not supported (Isolated is)",
				    s.buf);
			goto out;
		}
		json_decode_string(&rx, &s);
		pcre2_code *re = compile_js_pattern(s.buf, s.len, err);
		if (!re)
			goto out;
		rc = add_step(t, re, s.buf, member_bool(pt, "invert", 0), 0, err);
	} else {
		strbuf_addf(err, "pre-tokenizer %s is not supported (Split and ByteLevel are)",
			    type.buf);
	}
out:
	strbuf_release(&type);
	strbuf_release(&s);
	return rc;
}

static int load_added_tokens(struct tokenizer *t, const struct json_value *list,
			     struct strbuf *err)
{
	struct json_value elem, v;
	size_t pos = 0, alloc = 0;
	struct strbuf s = STRBUF_INIT;
	t->added_min = SIZE_MAX;
	while (json_array_next(list, &pos, &elem)) {
		if (!member(&elem, "content", &v) || v.type != JSON_STRING) {
			strbuf_addstr(err, "added_tokens: a token without content");
			goto fail;
		}
		strbuf_reset(&s);
		json_decode_string(&v, &s);
		struct json_value idv;
		char *end;
		if (!member(&elem, "id", &idv) || idv.type != JSON_NUMBER ||
		    strtoull(idv.p, &end, 10) > UINT32_MAX || end != idv.p + idv.len) {
			strbuf_addf(err, "added_tokens: token %s without an id", s.buf);
			goto fail;
		}
		if (s.len == 0)
			continue;
		if (t->nadded == alloc) {
			alloc = alloc ? alloc * 2 : 64;
			t->added = xreallocarray(t->added, alloc, sizeof(*t->added));
		}
		struct added_token *a = &t->added[t->nadded];
		*a = (struct added_token){ t->added_text.len, s.len, (uint32_t)strtoull(idv.p, NULL, 10),
					   member_bool(&elem, "lstrip", 0), member_bool(&elem, "rstrip", 0) };
		strbuf_add(&t->added_text, s.buf, s.len);
		bytes_put(&t->added_index, s.buf, s.len, (uint32_t)t->nadded);
		t->nadded++;
		unsigned char c0 = (unsigned char)s.buf[0];
		t->added_first[c0] = 1;
		if (s.len >= 2) {
			unsigned pair = c0 << 8 | (unsigned char)s.buf[1];
			t->added_pair[pair >> 3] |= (uint8_t)(1u << (pair & 7));
		}
		if (s.len < t->added_min)
			t->added_min = s.len;
		size_t k = 0;
		while (k < t->n_added_lens && t->added_lens[k] > s.len)
			k++;
		if (k == t->n_added_lens || t->added_lens[k] != s.len) {
			if (t->n_added_lens == sizeof(t->added_lens) / sizeof(t->added_lens[0])) {
				strbuf_addstr(err, "added_tokens: too many different lengths");
				goto fail;
			}
			memmove(t->added_lens + k + 1, t->added_lens + k,
				(t->n_added_lens - k) * sizeof(t->added_lens[0]));
			t->added_lens[k] = s.len;
			t->n_added_lens++;
		}
	}
	t->added_one_first = -1;
	for (int b = 0, firsts = 0; b < 256; b++)
		if (t->added_first[b] && ++firsts == 1)
			t->added_one_first = b;
		else if (t->added_first[b])
			t->added_one_first = -1;
	strbuf_release(&s);
	return 0;
fail:
	strbuf_release(&s);
	return -1;
}

static int load_bpe_model(struct tokenizer *t, const struct json_value *model, struct strbuf *err)
{
	struct strbuf type = STRBUF_INIT, tok = STRBUF_INIT, bytes = STRBUF_INIT;
	struct json_value vocab, merges, name, value, elem;
	unsigned cp_of_byte[256];
	int16_t byte_of_cp[324];
	int rc = -1;

	type_name(model, &type);
	if (strcmp(type.buf, "BPE") != 0) {
		strbuf_addf(err, "model %s is not supported (byte-level BPE is)", type.buf);
		goto out;
	}
	static const char *const unsupported[] = {
		"dropout", "continuing_subword_prefix", "end_of_word_suffix", "byte_fallback",
	};
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (!member_unset(model, unsupported[i])) {
			strbuf_addf(err, "BPE %s is not supported", unsupported[i]);
			goto out;
		}
	t->ignore_merges = member_bool(model, "ignore_merges", 0);
	if (!member(model, "vocab", &vocab) || vocab.type != JSON_OBJECT ||
	    !member(model, "merges", &merges) || merges.type != JSON_ARRAY) {
		strbuf_addstr(err, "model: no vocab or no merges");
		goto out;
	}
	byte_alphabet(cp_of_byte);
	memset(byte_of_cp, 0xFF, sizeof(byte_of_cp));
	for (unsigned b = 0; b < 256; b++)
		byte_of_cp[cp_of_byte[b]] = (int16_t)b;

	size_t pos = 0;
	while (json_object_next(&vocab, &pos, &name, &value)) {
		char *end;
		unsigned long long id = strtoull(value.p, &end, 10);
		if (value.type != JSON_NUMBER || end != value.p + value.len || id > UINT32_MAX - 1) {
			strbuf_addstr(err, "model: a vocabulary id that is not a number");
			goto out;
		}
		strbuf_reset(&tok);
		json_decode_string(&name, &tok);
		if (token_bytes(tok.buf, tok.len, byte_of_cp, &bytes) == 0)
			bytes_put(&t->vocab, bytes.buf, bytes.len, (uint32_t)id);
	}
	for (unsigned b = 0; b < 256; b++) {
		char c = (char)b;
		if (!bytes_get(&t->vocab, &c, 1, &t->byte_id[b])) {
			strbuf_addf(err, "model: byte 0x%02X has no token (not a byte-level vocabulary)", b);
			goto out;
		}
	}

	/* A merge is "left right" (one string, before tokenizers 0.20) or
	 * ["left", "right"]. */
	pos = 0;
	uint32_t rank = 0;
	struct strbuf left = STRBUF_INIT, right = STRBUF_INIT;
	while (json_array_next(&merges, &pos, &elem)) {
		strbuf_reset(&left);
		strbuf_reset(&right);
		if (elem.type == JSON_STRING) {
			strbuf_reset(&tok);
			json_decode_string(&elem, &tok);
			char *sp = memchr(tok.buf, ' ', tok.len);
			if (!sp) {
				rank++;
				continue;
			}
			strbuf_add(&left, tok.buf, (size_t)(sp - tok.buf));
			char *rest = sp + 1, *sp2 = memchr(rest, ' ', tok.len - (size_t)(rest - tok.buf));
			strbuf_add(&right, rest, sp2 ? (size_t)(sp2 - rest) : tok.len - (size_t)(rest - tok.buf));
		} else if (elem.type == JSON_ARRAY) {
			size_t ep = 0;
			struct json_value a, b;
			if (!json_array_next(&elem, &ep, &a) || !json_array_next(&elem, &ep, &b) ||
			    a.type != JSON_STRING || b.type != JSON_STRING) {
				strbuf_addstr(err, "model: a merge that is not a pair of strings");
				strbuf_release(&left);
				strbuf_release(&right);
				goto out;
			}
			json_decode_string(&a, &left);
			json_decode_string(&b, &right);
		} else {
			strbuf_addstr(err, "model: a merge that is not a pair of strings");
			strbuf_release(&left);
			strbuf_release(&right);
			goto out;
		}
		uint32_t lid, rid, mid;
		struct strbuf both = STRBUF_INIT;
		int ok = token_bytes(left.buf, left.len, byte_of_cp, &bytes) == 0 &&
			 bytes_get(&t->vocab, bytes.buf, bytes.len, &lid);
		if (ok) {
			strbuf_add(&both, bytes.buf, bytes.len);
			ok = token_bytes(right.buf, right.len, byte_of_cp, &bytes) == 0 &&
			     bytes_get(&t->vocab, bytes.buf, bytes.len, &rid);
		}
		if (ok) {
			strbuf_add(&both, bytes.buf, bytes.len);
			ok = bytes_get(&t->vocab, both.buf, both.len, &mid);
		}
		strbuf_release(&both);
		/* A merge whose parts are no tokens can never apply; one
		 * whose result is none would leave an unknown token, which a
		 * byte-level vocabulary never has. */
		if (ok)
			keymap_put(&t->merges, mix64((uint64_t)lid << 32 | rid), (uint64_t)rank << 32 | mid);
		rank++;
	}
	strbuf_release(&left);
	strbuf_release(&right);
	rc = 0;
out:
	strbuf_release(&type);
	strbuf_release(&tok);
	strbuf_release(&bytes);
	return rc;
}

static struct tokenizer *load_tokenizer_json(const char *p, size_t n, struct strbuf *err)
{
	struct json_error jerr;
	if (json_check_record(p, n, &jerr) < 0) {
		strbuf_addf(err, "invalid JSON at byte %zu: %s", jerr.offset, jerr.msg);
		return NULL;
	}
	struct tokenizer *t = tokenizer_new(MODEL_BPE);
	struct json_value doc = { p, n, JSON_OBJECT, 0 }, v;
	struct strbuf type = STRBUF_INIT;
	while (doc.len && (*doc.p == ' ' || *doc.p == '\n' || *doc.p == '\r' || *doc.p == '\t'))
		doc.p++, doc.len--;
	if (!member(&doc, "model", &v)) {
		strbuf_addstr(err, "no model (not a tokenizer.json)");
		goto fail;
	}
	if (load_bpe_model(t, &v, err) < 0)
		goto fail;
	if (member(&doc, "normalizer", &v) && v.type != JSON_NULL) {
		type_name(&v, &type);
		if (strcmp(type.buf, "NFC") != 0) {
			strbuf_addf(err, "normalizer %s is not supported (NFC is)", type.buf);
			goto fail;
		}
		t->nfc = 1;
	}
	int byte_level = 0;
	if (member(&doc, "pre_tokenizer", &v) && v.type != JSON_NULL &&
	    load_pretokenizer(t, &v, &byte_level, err) < 0)
		goto fail;
	if (!byte_level) {
		strbuf_addstr(err, "no ByteLevel pre-tokenizer: only byte-level BPE is supported");
		goto fail;
	}
	if (member(&doc, "added_tokens", &v) && v.type == JSON_ARRAY && load_added_tokens(t, &v, err) < 0)
		goto fail;
	snprintf(t->name, sizeof(t->name), "tokenizer.json byte-level BPE");
	strbuf_release(&type);
	return t;
fail:
	strbuf_release(&type);
	tokenizer_free(t);
	return NULL;
}

/* ---- tiktoken ---- */

static struct tokenizer *load_tiktoken(const char *p, size_t n, struct strbuf *err)
{
	struct tokenizer *t = tokenizer_new(MODEL_TIKTOKEN);
	struct strbuf tok = STRBUF_INIT;
	size_t line = 0, count = 0;
	uint32_t max_rank = 0;
	const char *end = p + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		line++;
		if (e > p && e[-1] == '\r')
			e--;
		if (e > p) {
			const char *sp = memchr(p, ' ', (size_t)(e - p));
			char *rend;
			unsigned long long rank = sp ? strtoull(sp + 1, &rend, 10) : 0;
			strbuf_reset(&tok);
			if (!sp || sp + 1 == e || rend != e || rank >= UINT32_MAX ||
			    base64_decode(&tok, p, (size_t)(sp - p)) < 0 || tok.len == 0) {
				strbuf_addf(err, "line %zu: not a tiktoken rank (base64 token, space, rank)", line);
				goto fail;
			}
			bytes_put(&t->vocab, tok.buf, tok.len, (uint32_t)rank);
			if (rank > max_rank)
				max_rank = (uint32_t)rank;
			count++;
		}
		p = nl ? nl + 1 : end;
	}
	static const struct {
		size_t ranks;
		const char *name, *pattern;
	} known[] = {
		{ 50256, "r50k_base", gpt2_pattern },
		{ 50280, "p50k_base", gpt2_pattern },
		{ 100256, "cl100k_base", cl100k_pattern },
		{ 199998, "o200k_base", o200k_pattern },
	};
	size_t k = 0;
	while (k < sizeof(known) / sizeof(known[0]) && known[k].ranks != count)
		k++;
	if (k == sizeof(known) / sizeof(known[0]) || max_rank > count) {
		strbuf_addf(err, "a tiktoken file of %zu ranks is none whose split pattern is known "
			    "(r50k_base, p50k_base, cl100k_base, o200k_base)", count);
		goto fail;
	}
	for (unsigned b = 0; b < 256; b++) {
		char c = (char)b;
		if (!bytes_get(&t->vocab, &c, 1, &t->byte_id[b])) {
			strbuf_addf(err, "byte 0x%02X has no rank", b);
			goto fail;
		}
	}
	pcre2_code *re = compile_js_pattern(known[k].pattern, strlen(known[k].pattern), err);
	if (!re || add_step(t, re, known[k].pattern, 1, 0, err) < 0)
		goto fail;
	snprintf(t->name, sizeof(t->name), "tiktoken %s", known[k].name);
	strbuf_release(&tok);
	return t;
fail:
	strbuf_release(&tok);
	tokenizer_free(t);
	return NULL;
}

/* ---- loading ---- */

static struct tokenizer *load_mem(const char *p, size_t n, struct strbuf *err);

struct tokenizer *tokenizer_load_mem(const char *p, size_t n, struct strbuf *err)
{
	struct tokenizer *t = load_mem(p, n, err);
	/* Never 0, which stands for no tokenizer in a state file. */
	if (t)
		t->fingerprint = hash64(p, n, 0x746f6b2d66696c65ull) | 1;
	return t;
}

static struct tokenizer *load_mem(const char *p, size_t n, struct strbuf *err)
{
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
		i++;
	if (i < n && p[i] == '{')
		return load_tokenizer_json(p, n, err);
	/* A tiktoken file's first line: base64, a space, digits. */
	size_t j = i;
	while (j < n && (isalnum((unsigned char)p[j]) || p[j] == '+' || p[j] == '/' || p[j] == '='))
		j++;
	if (j > i && j < n && p[j] == ' ' && j + 1 < n && p[j + 1] >= '0' && p[j + 1] <= '9')
		return load_tiktoken(p + i, n - i, err);
	if (n > 2 && p[0] == 0x0A) {
		/* A protocol buffer whose first field is 1, as a
		 * SentencePiece model's pieces are. */
		char why[512];
		struct spm_model *m = spm_model_load(p, n, why, sizeof(why));
		if (!m) {
			strbuf_addf(err, "not a SentencePiece model that loads: %s", why);
			return NULL;
		}
		struct tokenizer *t = tokenizer_new(MODEL_SPM);
		t->spm = m;
		snprintf(t->name, sizeof(t->name), "SentencePiece model");
		return t;
	}
	else
		strbuf_addstr(err, "not a tokenizer file that is known: a Hugging Face tokenizer.json "
			      "(byte-level BPE) or a tiktoken rank file");
	return NULL;
}

struct tokenizer *tokenizer_load(const char *path, struct strbuf *err)
{
	struct strbuf file = STRBUF_INIT;
	if (file_slurp(path, &file) < 0) {
		strbuf_addstr(err, strerror(errno));
		strbuf_release(&file);
		return NULL;
	}
	struct tokenizer *t = tokenizer_load_mem(file.buf, file.len, err);
	strbuf_release(&file);
	return t;
}

struct tokenizer *tokenizer_load_or_die(const char *path)
{
	struct strbuf err = STRBUF_INIT;
	struct tokenizer *t = tokenizer_load(path, &err);
	if (!t)
		die("%s: %s", path, err.buf);
	strbuf_release(&err);
	return t;
}

/* ---- encoding ---- */

struct sym {
	uint32_t id, start, end;	/* start UINT32_MAX: merged into its left neighbour */
	int32_t prev, next;
};

struct pair {
	uint32_t rank, start, mid, end;	/* the pair covers [start, end), split at mid */
	uint32_t left, right, merged;
};

/* The words of the cache: for each pre-token, its length in bytes, its
 * number of ids, its bytes (padded to a word) and its ids. */
#define CACHE_MAX_PIECE 128
#define CACHE_MAX_WORDS (1u << 23)
#define CACHE_SLOTS ((size_t)1 << 18)

struct tokenizer_run {
	const struct tokenizer *t;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	struct strbuf clean, norm, prefix[MAX_STEPS];
	struct sym *sym;
	size_t sym_cap;
	struct pair *heap;
	size_t heap_n, heap_cap;
	/* The cache's index: open addressing by the piece's hash, at most
	 * half full; a slot holds the hash and where its words start + 1
	 * (0: free). */
	uint64_t *cache_hash;
	uint32_t *cache_at;
	size_t cache_n;
	uint32_t *cw;
	size_t cw_n, cw_cap;
	struct token_ids tmp;
	struct spm_ids spm_ids;
	struct token_ids *out;	/* NULL: count only */
	uint64_t count;
};

void token_ids_release(struct token_ids *ids)
{
	free(ids->id);
	ids->id = NULL;
	ids->n = ids->cap = 0;
}

static inline void ids_add(struct token_ids *ids, uint32_t id)
{
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? ids->cap * 2 : 256;
		ids->id = xreallocarray(ids->id, ids->cap, sizeof(*ids->id));
	}
	ids->id[ids->n++] = id;
}

struct tokenizer_run *tokenizer_run_new(const struct tokenizer *t)
{
	struct tokenizer_run *r = xcalloc(1, sizeof(*r));
	r->t = t;
	r->md = pcre2_match_data_create(4, NULL);
	r->mctx = pcre2_match_context_create(NULL);
	strbuf_init(&r->clean);
	strbuf_init(&r->norm);
	for (int i = 0; i < MAX_STEPS; i++)
		strbuf_init(&r->prefix[i]);
	r->cache_hash = xcalloc(CACHE_SLOTS, sizeof(*r->cache_hash));
	r->cache_at = xcalloc(CACHE_SLOTS, sizeof(*r->cache_at));
	return r;
}

void tokenizer_run_free(struct tokenizer_run *r)
{
	if (!r)
		return;
	pcre2_match_data_free(r->md);
	pcre2_match_context_free(r->mctx);
	strbuf_release(&r->clean);
	strbuf_release(&r->norm);
	for (int i = 0; i < MAX_STEPS; i++)
		strbuf_release(&r->prefix[i]);
	free(r->sym);
	free(r->heap);
	free(r->cache_hash);
	free(r->cache_at);
	free(r->cw);
	token_ids_release(&r->tmp);
	free(r->spm_ids.id);
	free(r);
}

static inline int pair_before(const struct pair *a, const struct pair *b)
{
	return a->rank < b->rank || (a->rank == b->rank && a->start < b->start);
}

static void heap_push(struct tokenizer_run *r, struct pair p)
{
	if (r->heap_n == r->heap_cap) {
		r->heap_cap = r->heap_cap ? r->heap_cap * 2 : 64;
		r->heap = xreallocarray(r->heap, r->heap_cap, sizeof(*r->heap));
	}
	size_t i = r->heap_n++;
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!pair_before(&p, &r->heap[up]))
			break;
		r->heap[i] = r->heap[up];
		i = up;
	}
	r->heap[i] = p;
}

static struct pair heap_pop(struct tokenizer_run *r)
{
	struct pair top = r->heap[0], last = r->heap[--r->heap_n];
	size_t i = 0, n = r->heap_n;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && pair_before(&r->heap[c + 1], &r->heap[c]))
			c++;
		if (!pair_before(&r->heap[c], &last))
			break;
		r->heap[i] = r->heap[c];
		i = c;
	}
	if (n)
		r->heap[i] = last;
	return top;
}

/* Queue the pair of symbols a and b (neighbours) when it can merge. */
static void consider_pair(struct tokenizer_run *r, const char *piece, int32_t a, int32_t b)
{
	const struct sym *sa = &r->sym[a], *sb = &r->sym[b];
	uint32_t rank, merged;
	if (r->t->kind == MODEL_BPE) {
		uint64_t v;
		if (!keymap_get(&r->t->merges, mix64((uint64_t)sa->id << 32 | sb->id), &v))
			return;
		rank = (uint32_t)(v >> 32);
		merged = (uint32_t)v;
	} else {
		if (!bytes_get(&r->t->vocab, piece + sa->start, sb->end - sa->start, &rank))
			return;
		merged = rank;
	}
	heap_push(r, (struct pair){ rank, sa->start, sa->end, sb->end, (uint32_t)a, (uint32_t)b, merged });
}

/* The ids of the pre-token piece[0..n) into r->tmp, by merging. */
static void merge_piece(struct tokenizer_run *r, const char *piece, size_t n)
{
	const struct tokenizer *t = r->t;
	if (n > r->sym_cap) {
		r->sym_cap = n + 64;
		free(r->sym);
		r->sym = xreallocarray(NULL, r->sym_cap, sizeof(*r->sym));
	}
	struct sym *s = r->sym;
	for (size_t i = 0; i < n; i++)
		s[i] = (struct sym){ t->byte_id[(unsigned char)piece[i]], (uint32_t)i, (uint32_t)i + 1,
				     (int32_t)i - 1, i + 1 < n ? (int32_t)i + 1 : -1 };
	r->heap_n = 0;
	for (size_t i = 0; i + 1 < n; i++)
		consider_pair(r, piece, (int32_t)i, (int32_t)i + 1);
	while (r->heap_n) {
		struct pair p = heap_pop(r);
		struct sym *a = &s[p.left], *b = &s[p.right];
		if (a->start != p.start || a->end != p.mid || a->next != (int32_t)p.right ||
		    b->start != p.mid || b->end != p.end)
			continue;
		a->id = p.merged;
		a->end = b->end;
		a->next = b->next;
		if (b->next >= 0)
			s[b->next].prev = (int32_t)p.left;
		b->start = UINT32_MAX;
		if (a->prev >= 0)
			consider_pair(r, piece, a->prev, (int32_t)p.left);
		if (a->next >= 0)
			consider_pair(r, piece, (int32_t)p.left, a->next);
	}
	for (int32_t i = 0; i >= 0; i = s[i].next)
		ids_add(&r->tmp, s[i].id);
}

static void emit_ids(struct tokenizer_run *r, const uint32_t *ids, size_t k)
{
	r->count += k;
	if (r->out)
		for (size_t i = 0; i < k; i++)
			ids_add(r->out, ids[i]);
}

static void cache_reset(struct tokenizer_run *r)
{
	memset(r->cache_at, 0, CACHE_SLOTS * sizeof(*r->cache_at));
	r->cache_n = 0;
	r->cw_n = 0;
}

/* A pre-token to ids: from the cache, or merged and then cached. */
static void model_piece(struct tokenizer_run *r, const char *p, size_t n)
{
	const struct tokenizer *t = r->t;
	if (n == 0)
		return;
	if (n == 1) {
		emit_ids(r, &t->byte_id[(unsigned char)p[0]], 1);
		return;
	}
	uint64_t h = 0;
	size_t slot = 0;
	if (n <= CACHE_MAX_PIECE) {
		h = bytes_hash(p, n);
		for (slot = (size_t)h & (CACHE_SLOTS - 1); r->cache_at[slot];
		     slot = (slot + 1) & (CACHE_SLOTS - 1)) {
			if (r->cache_hash[slot] != h)
				continue;
			const uint32_t *w = r->cw + r->cache_at[slot] - 1;
			if (w[0] == n && memcmp(w + 2, p, n) == 0) {
				emit_ids(r, w + 2 + (n + 3) / 4, w[1]);
				return;
			}
		}
	}
	r->tmp.n = 0;
	uint32_t whole;
	if ((t->kind == MODEL_TIKTOKEN || t->ignore_merges) && bytes_get(&t->vocab, p, n, &whole))
		ids_add(&r->tmp, whole);
	else
		merge_piece(r, p, n);
	emit_ids(r, r->tmp.id, r->tmp.n);
	if (n > CACHE_MAX_PIECE)
		return;
	size_t words = 2 + (n + 3) / 4 + r->tmp.n;
	if (r->cw_n + words > CACHE_MAX_WORDS || 2 * (r->cache_n + 1) > CACHE_SLOTS) {
		cache_reset(r);
		for (slot = (size_t)h & (CACHE_SLOTS - 1); r->cache_at[slot];
		     slot = (slot + 1) & (CACHE_SLOTS - 1))
			;
	}
	if (r->cw_n + words > r->cw_cap) {
		r->cw_cap = r->cw_cap ? r->cw_cap * 2 : 65536;
		r->cw = xreallocarray(r->cw, r->cw_cap, sizeof(*r->cw));
	}
	uint32_t *w = r->cw + r->cw_n;
	w[0] = (uint32_t)n;
	w[1] = (uint32_t)r->tmp.n;
	w[1 + (n + 3) / 4] = 0;
	memcpy(w + 2, p, n);
	memcpy(w + 2 + (n + 3) / 4, r->tmp.id, r->tmp.n * sizeof(*w));
	r->cache_hash[slot] = h;
	r->cache_at[slot] = (uint32_t)r->cw_n + 1;
	r->cache_n++;
	r->cw_n += words;
}

static size_t utf8_len_at(const char *p, size_t n)
{
	size_t k = utf8_sequence_length((const unsigned char *)p, n);
	return k ? k : 1;
}

/* ASCII classes for cl100k's and o200k's patterns, as JavaScript reads
 * them: a letter is C_LETTER and one of C_UPPER and C_LOWER. */
enum { C_LETTER = 1, C_DIGIT = 2, C_SPACE = 4, C_NEWLINE = 8, C_OTHER = 16, C_UPPER = 32,
       C_LOWER = 64 };

static const uint8_t *ascii_classes(void)
{
	static uint8_t cls[128];
	static int done;
	if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
		uint8_t c[128];
		for (int i = 0; i < 128; i++)
			c[i] = i >= 'a' && i <= 'z' ? C_LETTER | C_LOWER :
			       i >= 'A' && i <= 'Z' ? C_LETTER | C_UPPER :
			       i >= '0' && i <= '9' ? C_DIGIT :
			       i == '\r' || i == '\n' ? C_SPACE | C_NEWLINE :
			       (i >= 9 && i <= 13) || i == ' ' ? C_SPACE : C_OTHER;
		memcpy(cls, c, sizeof(cls));
		__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	}
	return cls;
}

/* The class of the byte at p[k], 0 past ASCII. */
static inline unsigned cls_at(const uint8_t *cls, const unsigned char *p, size_t k)
{
	return p[k] < 0x80 ? cls[p[k]] : 0;
}

/* Where the letters of [^\r\n\p{L}\p{N}]?\p{L}+ (cl100k) or its o200k
 * forms start at p[i]: after a byte that is no letter, digit or newline
 * when a letter follows it, else at i; SIZE_MAX where the byte after it
 * is not ASCII. */
static size_t letters_start(const uint8_t *cls, const unsigned char *p, size_t n, size_t i)
{
	if (!(cls[p[i]] & (C_LETTER | C_DIGIT | C_NEWLINE)) && i + 1 < n) {
		if (p[i + 1] >= 0x80)
			return SIZE_MAX;
		if (cls[p[i + 1]] & C_LETTER)
			return i + 1;
	}
	return i;
}

/* The end of \p{N}{1,max} at p[i], a digit; 0 where the run stops short
 * at a byte that is not ASCII (which may be a digit). */
static size_t digits_match_ascii(const uint8_t *cls, const unsigned char *p, size_t n, size_t i,
				 size_t max)
{
	size_t k;
	for (k = i; k < n && k - i < max && (cls_at(cls, p, k) & C_DIGIT); k++)
		;
	return k - i < max && k < n && p[k] >= 0x80 ? 0 : k;
}

/* The end of ' ?[^\s\p{L}\p{N}]+[\r\n]*' at p[i] ([\r\n/]* when slash
 * is set, as in o200k's pattern); SIZE_MAX where it does not match, 0
 * where a byte that decides is not ASCII. */
static size_t other_match_ascii(const uint8_t *cls, const unsigned char *p, size_t n, size_t i,
				int slash)
{
	size_t k = p[i] == ' ' ? i + 1 : i;
	if (k < n && p[k] >= 0x80)
		return 0;
	if (k == n || !(cls[p[k]] & C_OTHER))
		return SIZE_MAX;
	while (k < n && (cls_at(cls, p, k) & C_OTHER))
		k++;
	if (k < n && p[k] >= 0x80)
		return 0;
	while (k < n && ((cls_at(cls, p, k) & C_NEWLINE) || (slash && p[k] == '/')))
		k++;
	return k;
}

/* The end of the white space at p[i] (< n) in the patterns of cl100k and
 * o200k: up to its last newline, else all of it but the last, which goes
 * with what follows; 0 where a byte past it is not ASCII. */
static size_t space_match_ascii(const uint8_t *cls, const unsigned char *p, size_t n, size_t i)
{
	size_t last_nl = 0, k;
	for (k = i; k < n && p[k] < 0x80 && (cls[p[k]] & C_SPACE); k++)
		if (cls[p[k]] & C_NEWLINE)
			last_nl = k + 1;
	if (k < n && p[k] >= 0x80)
		return 0;
	if (last_nl)
		return last_nl;
	return k == n || k - 1 == i ? k : k - 1;
}

/* The end of the match of cl100k's pattern at p[i] (< n), found by hand
 * where every byte that decides it is ASCII; 0 where one is not (PCRE2
 * decides then). The alternatives in their order:
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)   [^\r\n\p{L}\p{N}]?\p{L}+   \p{N}{1,3}
 *   ' ?[^\s\p{L}\p{N}]+[\r\n]*'   \s*[\r\n]+   \s+(?!\S)   \s+ */
static size_t cl100k_match_ascii(const uint8_t *cls, const unsigned char *p, size_t n, size_t i,
				 size_t digits)
{
#define CLS(k) (p[k] < 0x80 ? cls[p[k]] : 0)
	unsigned char c = p[i];
	if (c >= 0x80)
		return 0;
	unsigned ci = cls[c];
	if (c == '\'' && i + 1 < n) {
		unsigned char a = p[i + 1] | 0x20, b = i + 2 < n ? p[i + 2] | 0x20 : 0;
		if (a == 's' || a == 't' || a == 'm' || a == 'd')
			return i + 2;
		if (((a == 'r' || a == 'v') && b == 'e') || (a == 'l' && b == 'l'))
			return i + 3;
	}
	size_t k = letters_start(cls, p, n, i);
	if (k == SIZE_MAX)
		return 0;
	if (CLS(k) & C_LETTER) {
		while (k < n && (CLS(k) & C_LETTER))
			k++;
		return k < n && p[k] >= 0x80 ? 0 : k;
	}
	if (ci & C_DIGIT)
		return digits_match_ascii(cls, p, n, i, digits);
	k = other_match_ascii(cls, p, n, i, 0);
	return k != SIZE_MAX ? k : space_match_ascii(cls, p, n, i);
#undef CLS
}

/* The end of the match of o200k's pattern at p[i] (< n), found by hand
 * where every byte that decides it is ASCII; 0 where one is not (PCRE2
 * decides then). The alternatives in their order, C standing for the
 * optional contraction (?i:'s|'t|'re|'ve|'m|'ll|'d)?:
 *   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+C
 *   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*C
 *   \p{N}{1,3}   ' ?[^\s\p{L}\p{N}]+[\r\n/]*'   \s*[\r\n]+   \s+(?!\S)   \s+
 * In ASCII the two letter classes are [A-Z] and [a-z], and either
 * letter alternative, whichever matches, ends after the run of capitals
 * and the run of small letters that follows it. A run that stops at a
 * byte past ASCII (which may be a letter, a mark, a digit or white
 * space) is left to PCRE2, and so is a contraction whose letters are
 * not ASCII. Profiled on English real text, o200k's time went to the
 * calls of PCRE2 (one a piece), not to the merges: this gives its
 * pieces without one. */
static size_t o200k_match_ascii(const uint8_t *cls, const unsigned char *p, size_t n, size_t i)
{
#define CLS(k) (p[k] < 0x80 ? cls[p[k]] : 0)
	unsigned char c = p[i];
	if (c >= 0x80)
		return 0;
	unsigned ci = cls[c];
	size_t k = letters_start(cls, p, n, i);
	if (k == SIZE_MAX)
		return 0;
	if (CLS(k) & C_LETTER) {
		while (k < n && (CLS(k) & C_UPPER))
			k++;
		while (k < n && (CLS(k) & C_LOWER))
			k++;
		if (k < n && p[k] >= 0x80)
			return 0;
		if (k + 1 < n && p[k] == '\'') {
			unsigned char a = p[k + 1], b = k + 2 < n ? p[k + 2] : 0;
			if (a >= 0x80)
				return 0;
			a |= 0x20;
			if (a == 's' || a == 't' || a == 'm' || a == 'd')
				return k + 2;
			if ((a == 'r' || a == 'v' || a == 'l') && b >= 0x80)
				return 0;
			if (((a == 'r' || a == 'v') && (b | 0x20) == 'e') || (a == 'l' && (b | 0x20) == 'l'))
				return k + 3;
		}
		return k;
	}
	if (ci & C_DIGIT)
		return digits_match_ascii(cls, p, n, i, 3);
	k = other_match_ascii(cls, p, n, i, 1);
	return k != SIZE_MAX ? k : space_match_ascii(cls, p, n, i);
#undef CLS
}

/* Step k of the pre-tokenizer on p[0..n): its pieces go to step k + 1,
 * the last step's to the model. */
static void run_step(struct tokenizer_run *r, int k, const char *p, size_t n)
{
	const struct tokenizer *t = r->t;
	if (k == t->nsteps) {
		model_piece(r, p, n);
		return;
	}
	const struct pretok_step *st = &t->step[k];
	if (st->prefix_space && (n == 0 || p[0] != ' ')) {
		struct strbuf *b = &r->prefix[k];
		strbuf_reset(b);
		strbuf_addc(b, ' ');
		strbuf_add(b, p, n);
		p = b->buf;
		n = b->len;
	}
	if (!st->re) {
		run_step(r, k + 1, p, n);
		return;
	}
	size_t off = 0, prev = 0;
	if (st->ascii_digits || st->ascii_o200k) {
		/* Every place starts a match of these patterns: no gaps. */
		const uint8_t *cls = ascii_classes();
		const unsigned char *u = (const unsigned char *)p;
		while (off < n) {
			size_t end = st->ascii_o200k ? o200k_match_ascii(cls, u, n, off) :
				     cl100k_match_ascii(cls, u, n, off, (size_t)st->ascii_digits);
			if (!end) {
				int rc = pcre2_match(st->re, (PCRE2_SPTR)p, n, off, PCRE2_NO_UTF_CHECK,
						     r->md, r->mctx);
				PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
				if (rc < 0 || ov[0] != off || ov[1] <= off)
					break;	/* not so: the general loop takes over */
				end = ov[1];
			}
			run_step(r, k + 1, p + off, end - off);
			off = end;
		}
		prev = off;
		if (off == n)
			return;
	}
	while (off <= n) {
		int rc = pcre2_match(st->re, (PCRE2_SPTR)p, n, off, PCRE2_NO_UTF_CHECK, r->md, r->mctx);
		if (rc < 0)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(r->md);
		size_t ms = ov[0], me = ov[1];
		if (!st->matches_only && ms > prev)
			run_step(r, k + 1, p + prev, ms - prev);
		if (me > ms) {
			run_step(r, k + 1, p + ms, me - ms);
			off = me;
		} else {
			if (ms >= n)
				break;
			off = ms + utf8_len_at(p + ms, n - ms);
		}
		prev = me > prev ? me : prev;
	}
	if (!st->matches_only && prev < n)
		run_step(r, k + 1, p + prev, n - prev);
}

/* Is the code point at p (of a valid UTF-8 text) JavaScript white space?
 * Returns its length when it is, 0 when not. */
static size_t js_space_at(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	if (p[0] < 0x80)
		return (p[0] >= 9 && p[0] <= 13) || p[0] == ' ';
	utf8proc_int32_t cp;
	utf8proc_ssize_t k = utf8proc_iterate(p, (utf8proc_ssize_t)n, &cp);
	if (k <= 0)
		return 0;
	int sp = cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
		 cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
	return sp ? (size_t)k : 0;
}

/* The start of the last code point of p[0..n). */
static size_t last_cp_start(const char *p, size_t n)
{
	size_t i = n - 1;
	while (i > 0 && ((unsigned char)p[i] & 0xC0) == 0x80)
		i--;
	return i;
}

/* A part of the text between added tokens: normalised, then split. */
static void run_section(struct tokenizer_run *r, const char *p, size_t n)
{
	if (n == 0)
		return;
	if (r->t->nfc) {
		size_t i = 0;
		while (i < n && (unsigned char)p[i] < 0x80)
			i++;
		if (i < n) {
			utf8proc_uint8_t *out = NULL;
			utf8proc_ssize_t k = utf8proc_map((const utf8proc_uint8_t *)p, (utf8proc_ssize_t)n,
							  &out, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
			if (k >= 0) {
				strbuf_reset(&r->norm);
				strbuf_add(&r->norm, out, (size_t)k);
				free(out);
				p = r->norm.buf;
				n = r->norm.len;
			}
		}
		if (n == 0)
			return;
	}
	run_step(r, 0, p, n);
}

/* Does an added token begin at p[0..n)? The longest, as its index, or
 * -1. */
static long added_at(const struct tokenizer *t, const char *p, size_t n)
{
	unsigned char c0 = (unsigned char)p[0];
	if (!t->added_first[c0])
		return -1;
	if (n >= 2 && t->added_min >= 2) {
		unsigned pair = c0 << 8 | (unsigned char)p[1];
		if (!(t->added_pair[pair >> 3] & (1u << (pair & 7))))
			return -1;
	}
	for (size_t i = 0; i < t->n_added_lens; i++) {
		size_t len = t->added_lens[i];
		uint32_t idx;
		if (len <= n && bytes_get(&t->added_index, p, len, &idx))
			return (long)idx;
	}
	return -1;
}

/* The text with its added tokens found: sections between them, with the
 * white space an lstrip or rstrip token eats taken off. */
static void run_text(struct tokenizer_run *r, const char *p, size_t n)
{
	const struct tokenizer *t = r->t;
	if (!t->nadded) {
		run_section(r, p, n);
		return;
	}
	size_t start = 0, i = 0;
	long pending_rstrip = 0;
	while (i < n) {
		if (t->added_one_first >= 0) {
			/* Llama 3's all begin with '<': memchr finds the places. */
			const char *q = memchr(p + i, t->added_one_first, n - i);
			if (!q)
				break;
			i = (size_t)(q - p);
		}
		long a = added_at(t, p + i, n - i);
		if (a < 0) {
			i++;
			continue;
		}
		const struct added_token *tok = &t->added[a];
		size_t s = start, e = i;
		if (pending_rstrip)
			while (s < e) {
				size_t k = js_space_at(p + s, e - s);
				if (!k)
					break;
				s += k;
			}
		if (tok->lstrip)
			while (e > s) {
				size_t b = last_cp_start(p + s, e - s) + s;
				if (!js_space_at(p + b, e - b))
					break;
				e = b;
			}
		run_section(r, p + s, e - s);
		emit_ids(r, &tok->id, 1);
		pending_rstrip = tok->rstrip;
		i += tok->len;
		start = i;
	}
	size_t s = start;
	if (pending_rstrip)
		while (s < n) {
			size_t k = js_space_at(p + s, n - s);
			if (!k)
				break;
			s += k;
		}
	run_section(r, p + s, n - s);
}

/* Replace what is not valid UTF-8 by U+FFFD, one for each maximal part
 * of an invalid sequence (as the WHATWG decoder does). */
static void clean_utf8(const char *s, size_t n, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	strbuf_reset(out);
	size_t i = 0;
	while (i < n) {
		size_t k = utf8_sequence_length(p + i, n - i);
		if (k) {
			strbuf_add(out, p + i, k);
			i += k;
			continue;
		}
		unsigned char c = p[i];
		size_t need = 0;
		unsigned char lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0;
			if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			if (c == 0xF4)
				hi = 0x8F;
		}
		i++;
		for (size_t j = 0; j < need && i < n; j++) {
			unsigned char d = p[i];
			if (d < lo || d > hi)
				break;
			lo = 0x80;
			hi = 0xBF;
			i++;
		}
		strbuf_add(out, "\xEF\xBF\xBD", 3);
	}
}

static void run_all(struct tokenizer_run *r, const char *s, size_t n)
{
	r->count = 0;
	if (!utf8_valid(s, n)) {
		clean_utf8(s, n, &r->clean);
		s = r->clean.buf;
		n = r->clean.len;
	}
	if (r->t->kind == MODEL_SPM) {
		if (spm_model_encode(r->t->spm, s, n, &r->spm_ids) < 0)
			die("SentencePiece could not encode a text");
		emit_ids(r, r->spm_ids.id, r->spm_ids.n);
		return;
	}
	run_text(r, s, n);
}

uint64_t tokenizer_count(struct tokenizer_run *r, const char *s, size_t n)
{
	r->out = NULL;
	run_all(r, s, n);
	return r->count;
}

void tokenizer_encode(struct tokenizer_run *r, const char *s, size_t n, struct token_ids *out)
{
	out->n = 0;
	r->out = out;
	run_all(r, s, n);
	r->out = NULL;
}
