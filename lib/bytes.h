/* bytes.h: fixed-size numbers in and out of byte buffers, in the
 * machine's byte order (the files that use them record that order in
 * their headers and refuse the other), and whole files into memory. */
#ifndef SYNTH_BYTES_H
#define SYNTH_BYTES_H

#include <stdint.h>
#include <string.h>

#include "strbuf.h"

static inline void put32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline void put64(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static inline uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t get64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* A reader over a file's bytes that fails once past the end: each take
 * returns where the next n bytes are, or NULL (and then every later take
 * too) when fewer are left, so a parser checks short_read once. */
struct byte_reader {
	const unsigned char *p, *end;
	int short_read;
};

static inline const unsigned char *byte_take(struct byte_reader *r, uint64_t n)
{
	if (r->short_read || n > (uint64_t)(r->end - r->p)) {
		r->short_read = 1;
		return NULL;
	}
	const unsigned char *at = r->p;
	r->p += n;
	return at;
}

/* The marker a file writes to record its byte order. */
#define BYTE_ORDER_MARK 0x01020304u

/* Append the whole file at path to out. Returns 0, or -1 with errno set
 * (ENOENT when there is no such file). */
int file_slurp(const char *path, struct strbuf *out);

/* Write all of p[0..n) to fd, retrying short writes and EINTR. Returns
 * 0, or -1 with errno set; the caller names the file. */
int write_full(int fd, const void *p, size_t n);

#endif
