/* base64.h: base64 encoding (RFC 4648, with padding). */
#ifndef SYNTH_BASE64_H
#define SYNTH_BASE64_H

#include <stddef.h>

struct strbuf;

/* Append the base64 encoding of p[0..n) to out. */
void base64_encode(struct strbuf *out, const char *p, size_t n);

/* Append to out the bytes that the base64 text p[0..n) encodes (padding
 * optional). Returns 0, or -1 when p holds a character outside the
 * alphabet or a length no encoding has; out then holds a part. */
int base64_decode(struct strbuf *out, const char *p, size_t n);

#endif
