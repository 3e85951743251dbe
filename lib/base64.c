/* base64.c: base64 encoding; see base64.h. */
#include "base64.h"

#include "strbuf.h"

void base64_encode(struct strbuf *out, const char *p, size_t n)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = (const unsigned char *)p;
	strbuf_grow(out, (n + 2) / 3 * 4);
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		char q[4] = { alphabet[v >> 18], alphabet[(v >> 12) & 63],
			      alphabet[(v >> 6) & 63], alphabet[v & 63] };
		strbuf_add(out, q, 4);
	}
	if (i < n) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0);
		char q[4] = { alphabet[v >> 18], alphabet[(v >> 12) & 63],
			      i + 1 < n ? alphabet[(v >> 6) & 63] : '=', '=' };
		strbuf_add(out, q, 4);
	}
}
