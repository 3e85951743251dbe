/* base64.h: base64 encoding (RFC 4648, with padding). */
#ifndef SYNTH_BASE64_H
#define SYNTH_BASE64_H

#include <stddef.h>

struct strbuf;

/* Append the base64 encoding of p[0..n) to out. */
void base64_encode(struct strbuf *out, const char *p, size_t n);

#endif
