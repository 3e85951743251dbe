/* alloc.h: allocation that cannot fail, and checked size arithmetic.
 *
 * Every allocation in synth goes through these wrappers. When memory runs
 * out they print one message and exit with status 1, so callers never
 * carry an error branch for it. Size arithmetic that could overflow goes
 * through size_add() and size_mul(), which die rather than wrap.
 */
#ifndef SYNTH_ALLOC_H
#define SYNTH_ALLOC_H

#include <stddef.h>

/* malloc(n); never returns NULL. The caller frees the result. */
void *xmalloc(size_t n);

/* calloc(count, size) with the product checked; never returns NULL. */
void *xcalloc(size_t count, size_t size);

/* realloc(p, n); never returns NULL. */
void *xrealloc(void *p, size_t n);

/* realloc(p, count * size) with the product checked. */
void *xreallocarray(void *p, size_t count, size_t size);

/* strdup(s) and strndup(s, n); never return NULL. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* Zeroed memory for a large table of `bytes` bytes (hash tables, arrays
 * as large as a corpus's vocabulary), and its release with the same
 * size. From 64 KiB on it is a mapping of its own, whatever malloc's
 * threshold has become: fresh pages come zeroed from the kernel (no
 * memset that faults every page in only to write zeros again), pages
 * never written take no memory, and from 2 MiB on it starts on a huge
 * page and asks for huge pages, so that a page fault clears 2 MiB
 * instead of 4 KiB and the TLB covers the table. */
void *table_alloc(size_t bytes);
void table_free(void *p, size_t bytes);

/* Ask for huge pages under p[0..bytes) before it is first touched: only
 * the whole huge pages inside it. A hint; failure is harmless. */
void hint_huge_pages(void *p, size_t bytes);

/* a + b and a * b, or die when the result does not fit in size_t. */
size_t size_add(size_t a, size_t b);
size_t size_mul(size_t a, size_t b);

/* Grow a buffer's capacity so that it holds at least `need` elements:
 * doubles, starting at `min`. Returns the new capacity. */
size_t grow_capacity(size_t cap, size_t need, size_t min);

#endif
