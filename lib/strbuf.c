/* strbuf.c: a growable byte string; see strbuf.h. */
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"

/* The shared empty string of every strbuf that has not allocated yet. */
char strbuf_empty[1];

void strbuf_init(struct strbuf *sb)
{
	sb->buf = strbuf_empty;
	sb->len = 0;
	sb->cap = 0;
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->cap)
		free(sb->buf);
	strbuf_init(sb);
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need = size_add(size_add(sb->len, extra), 1);
	if (need <= sb->cap)
		return;
	size_t cap = grow_capacity(sb->cap, need, 64);
	if (sb->cap) {
		sb->buf = xrealloc(sb->buf, cap);
	} else {
		sb->buf = xmalloc(cap);
		sb->buf[0] = '\0';
	}
	sb->cap = cap;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
	strbuf_grow(sb, n);
	memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t avail = sb->cap ? sb->cap - sb->len : 0;
	int n = vsnprintf(sb->cap ? sb->buf + sb->len : NULL, avail, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= avail) {
		strbuf_grow(sb, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	sb->len += (size_t)n;
}
