/* utf8.h: decoding one UTF-8 sequence. */
#ifndef SYNTH_UTF8_H
#define SYNTH_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The code point of the sequence of two to four bytes at s, valid UTF-8
 * (checked before), and its length in *k. */
static inline int32_t utf8_decode(const unsigned char *s, size_t *k)
{
	if (s[0] < 0xE0) {
		*k = 2;
		return (int32_t)((s[0] & 0x1F) << 6 | (s[1] & 0x3F));
	}
	if (s[0] < 0xF0) {
		*k = 3;
		return (int32_t)((s[0] & 0x0F) << 12 | (s[1] & 0x3F) << 6 | (s[2] & 0x3F));
	}
	*k = 4;
	return (int32_t)((s[0] & 0x07) << 18 | (s[1] & 0x3F) << 12 | (s[2] & 0x3F) << 6 | (s[3] & 0x3F));
}

#endif
