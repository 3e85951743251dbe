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

/* The marker a file writes to record its byte order. */
#define BYTE_ORDER_MARK 0x01020304u

/* Append the whole file at path to out. Returns 0, or -1 with errno set
 * (ENOENT when there is no such file). */
int file_slurp(const char *path, struct strbuf *out);

/* Write all of p[0..n) to fd, retrying short writes and EINTR. Returns
 * 0, or -1 with errno set; the caller names the file. */
int write_full(int fd, const void *p, size_t n);

#endif
