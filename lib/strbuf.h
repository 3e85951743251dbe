/* strbuf.h: a growable byte string.
 *
 * A strbuf owns its buffer. STRBUF_INIT or strbuf_init() make an empty
 * one, strbuf_release() frees the buffer and leaves an empty strbuf that
 * can be used again. The contents are always NUL-terminated (the NUL is
 * not counted in len), so buf can be handed to C string functions when
 * the contents hold no NUL. Growth cannot fail: allocation failure dies.
 */
#ifndef SYNTH_STRBUF_H
#define SYNTH_STRBUF_H

#include <stddef.h>
#include <string.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};

extern char strbuf_empty[];
#define STRBUF_INIT { strbuf_empty, 0, 0 }

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);

/* Make room for at least `extra` more bytes (plus the NUL). */
void strbuf_grow(struct strbuf *sb, size_t extra);

void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline void strbuf_addc(struct strbuf *sb, char c)
{
	if (sb->len + 1 >= sb->cap)
		strbuf_grow(sb, 1);
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

/* Empty the string, keeping the buffer for reuse. */
static inline void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->cap)
		sb->buf[0] = '\0';
}

/* Shorten the string to n bytes (n <= len). */
static inline void strbuf_setlen(struct strbuf *sb, size_t n)
{
	sb->len = n;
	if (sb->cap)
		sb->buf[n] = '\0';
}

#endif
