/* alloc.c: allocation wrappers; see alloc.h. */
#include "alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "diag.h"

static void out_of_memory(size_t n)
{
	die("out of memory (allocating %zu bytes)", n);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		out_of_memory(n);
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		out_of_memory(size_mul(count, size));
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		out_of_memory(n);
	return q;
}

void *xreallocarray(void *p, size_t count, size_t size)
{
	return xrealloc(p, size_mul(count, size));
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = xmalloc(n);
	memcpy(d, s, n);
	return d;
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = xmalloc(len + 1);
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

size_t size_add(size_t a, size_t b)
{
	size_t r;
	if (__builtin_add_overflow(a, b, &r))
		die("size overflow (%zu + %zu)", a, b);
	return r;
}

size_t size_mul(size_t a, size_t b)
{
	size_t r;
	if (__builtin_mul_overflow(a, b, &r))
		die("size overflow (%zu * %zu)", a, b);
	return r;
}

size_t grow_capacity(size_t cap, size_t need, size_t min)
{
	if (cap < min)
		cap = min;
	if (cap == 0)
		cap = 1; /* doubling zero would never reach need */
	while (cap < need)
		cap = size_mul(cap, 2);
	return cap;
}

enum { MAPPED = 64 << 10, HUGE_PAGE = 2 << 20 };

void hint_huge_pages(void *p, size_t bytes)
{
#ifdef MADV_HUGEPAGE
	uintptr_t from = ((uintptr_t)p + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	uintptr_t to = ((uintptr_t)p + bytes) / HUGE_PAGE * HUGE_PAGE;
	if (to > from)
		madvise((void *)from, to - from, MADV_HUGEPAGE);
#else
	(void)p;
	(void)bytes;
#endif
}

void *table_alloc(size_t bytes)
{
	if (bytes < MAPPED)
		return xcalloc(1, bytes);
	/* Over-mapped by a huge page and trimmed, to start on one. */
	size_t pad = bytes < HUGE_PAGE ? 0 : HUGE_PAGE;
	char *p = mmap(NULL, size_add(bytes, pad), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		out_of_memory(bytes);
	if (!pad)
		return p;
	size_t lead = (HUGE_PAGE - (uintptr_t)p % HUGE_PAGE) % HUGE_PAGE;
	if (lead)
		munmap(p, lead);
	munmap(p + lead + bytes, pad - lead);
	p += lead;
	hint_huge_pages(p, bytes);
	return p;
}

void table_free(void *p, size_t bytes)
{
	if (!p)
		return;
	if (bytes < MAPPED)
		free(p);
	else
		munmap(p, bytes);
}
