/* template.c: prompt templates; see template.h. */
#include "template.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "json.h"

int template_slot_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
}

void template_release(struct template *t)
{
	for (size_t k = 0; k < t->nparts; k++)
		strbuf_release(&t->text[k]);
	free(t->text);
	free(t->slot);
	free(t->distinct);
	free(t->name);
	memset(t, 0, sizeof(*t));
}

/* Append the JSON escaping of s[0..n) to out, without the quotes. */
static void add_escaped(struct strbuf *out, const char *s, size_t n)
{
	size_t at = out->len;
	json_add_string(out, s, n);
	memmove(out->buf + at, out->buf + at + 1, out->len - at - 2);
	strbuf_setlen(out, out->len - 2);
}

static size_t find_slot(const char *const *slots, size_t nslots, const char *name, size_t len)
{
	for (size_t i = 0; i < nslots; i++)
		if (strlen(slots[i]) == len && !memcmp(slots[i], name, len))
			return i;
	return nslots;
}

static int fail(struct template *t, struct strbuf *err, const char *name, unsigned line,
		const char *why)
{
	if (line)
		strbuf_addf(err, "%s:%u: %s", name, line, why);
	else
		strbuf_addf(err, "%s: %s", name, why);
	template_release(t);
	return -1;
}

int template_parse(struct template *t, const char *src, size_t n, const char *const *slots,
		   size_t nslots, const char *name, struct strbuf *err)
{
	memset(t, 0, sizeof(*t));
	if (!utf8_valid(src, n))
		return fail(t, err, name, 0, "invalid UTF-8");
	size_t cap = 4;
	t->text = xcalloc(cap, sizeof(*t->text));
	t->slot = xcalloc(cap, sizeof(*t->slot));
	t->distinct = xcalloc(nslots ? nslots : 1, sizeof(*t->distinct));
	t->nparts = 1;
	strbuf_init(&t->text[0]);
	unsigned line = 1;
	for (size_t i = 0; i < n; i++) {
		char c = src[i];
		struct strbuf *cur = &t->text[t->nparts - 1];
		if (c == '\n')
			line++;
		if ((c == '{' || c == '}') && i + 1 < n && src[i + 1] == c) {
			strbuf_addc(cur, c);
			i++;
			continue;
		}
		if (c == '}')
			return fail(t, err, name, line, "a '}' that closes no slot (write '}}' for a brace)");
		if (c != '{') {
			/* A whole UTF-8 sequence at a time, escaped. */
			size_t k = utf8_sequence_length((const unsigned char *)src + i, n - i);
			add_escaped(cur, src + i, k);
			i += k - 1;
			continue;
		}
		size_t start = i + 1, end = start;
		while (end < n && template_slot_char(src[end], end == start))
			end++;
		if (end == n || src[end] != '}' || end == start)
			return fail(t, err, name, line,
				    "a '{' that opens no slot: write {name} for a slot, '{{' for a brace");
		size_t k = find_slot(slots, nslots, src + start, end - start);
		if (k == nslots) {
			struct strbuf why = STRBUF_INIT;
			strbuf_addf(&why, "no --slot gives the values of {%.*s}", (int)(end - start),
				    src + start);
			fail(t, err, name, line, why.buf);
			strbuf_release(&why);
			return -1;
		}
		if (t->nparts == cap) {
			cap *= 2;
			t->text = xreallocarray(t->text, cap, sizeof(*t->text));
			t->slot = xreallocarray(t->slot, cap, sizeof(*t->slot));
		}
		t->slot[t->nparts - 1] = k;
		strbuf_init(&t->text[t->nparts++]);
		size_t d = 0;
		while (d < t->ndistinct && t->distinct[d] != k)
			d++;
		if (d == t->ndistinct)
			t->distinct[t->ndistinct++] = k;
		i = end;
	}
	return 0;
}
