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

static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(struct strbuf *out, const char *p, size_t n)
{
	while (n > 0 && p[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	unsigned v = 0, bits = 0;
	for (size_t i = 0; i < n; i++) {
		int d = base64_value((unsigned char)p[i]);
		if (d < 0)
			return -1;
		v = (v << 6 | (unsigned)d) & 0xFFFFFF;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_addc(out, (char)(v >> bits & 0xFF));
		}
	}
	return 0;
}
