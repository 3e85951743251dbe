/* unorm.c: per-code-point normalisation tables; see unorm.h.
 *
 * The tables are built at run time from the utf8proc the program is
 * linked with, not generated at build time: they then cannot disagree
 * with the slow path after an upgrade of the library to a new Unicode
 * version. Asking utf8proc about all of Unicode costs tens of
 * milliseconds, too much for every short run of a program, so a block of
 * the tables is built the first time a code point of it is looked up;
 * only the code points that may compose with a starter are found at
 * start (about a millisecond, once, under pthread_once).
 */
#include "unorm.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "alloc.h"
#include "diag.h"

#define NCODES 0x110000
#define NBLOCKS (NCODES >> 8)

static const utf8proc_option_t options[] = {
	[UNORM_NFKC] = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT,
	[UNORM_NFKC_CASEFOLD] = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
				UTF8PROC_CASEFOLD,
};

void unorm_append_slow(const char *s, size_t n, enum unorm_form form, struct unorm_scratch *sc,
		       struct strbuf *out)
{
	utf8proc_option_t opt = options[form];
	for (;;) {
		utf8proc_int32_t *scratch = sc->buf;
		utf8proc_ssize_t r = utf8proc_decompose((const utf8proc_uint8_t *)s,
							(utf8proc_ssize_t)n, scratch,
							(utf8proc_ssize_t)sc->cap, opt);
		if (r < 0)
			BUG("utf8proc_decompose: %s", utf8proc_errmsg(r));
		if ((size_t)r <= sc->cap) {
			r = utf8proc_normalize_utf32(scratch, r, opt);
			if (r < 0)
				BUG("utf8proc_normalize_utf32: %s", utf8proc_errmsg(r));
			/* Re-encode as UTF-8: at most 4 bytes a code point. */
			strbuf_grow(out, size_mul((size_t)r, 4));
			for (utf8proc_ssize_t i = 0; i < r; i++) {
				utf8proc_ssize_t k = utf8proc_encode_char(scratch[i],
					(utf8proc_uint8_t *)out->buf + out->len);
				out->len += (size_t)k;
			}
			out->buf[out->len] = '\0';
			return;
		}
		free(sc->buf);
		sc->cap = grow_capacity(sc->cap, (size_t)r, 256);
		sc->buf = xreallocarray(NULL, sc->cap, sizeof(*sc->buf));
	}
}

/* The code points a canonical composition may join to a starter before
 * them: those that stand after the first place of some code point's
 * canonical decomposition, and the Hangul vowels and trailing jamo
 * (U+11A7 too, which utf8proc's rule takes in). One bit each. Only code
 * points with a decomposition mapping need asking, and Unicode has those
 * only in planes 0 to 2 (the tests check that the linked utf8proc has
 * none beyond): asking about the whole code space would cost five times
 * as much, at the start of every process that meets non-ASCII text. */
#define DECOMPOSABLE_END 0x30000
static uint64_t second[NCODES / 64];

static void mark_second(int32_t cp)
{
	second[cp >> 6] |= 1ull << (cp & 63);
}

static int is_second(int32_t cp)
{
	return (second[cp >> 6] >> (cp & 63)) & 1;
}

static void second_fill(void)
{
	for (int32_t cp = 0; cp < DECOMPOSABLE_END; cp++) {
		if (utf8proc_get_property(cp)->decomp_seqindex == UINT16_MAX)
			continue;
		utf8proc_int32_t d[32];
		int boundclass = 0;
		utf8proc_ssize_t r = utf8proc_decompose_char(cp, d, 32, UTF8PROC_DECOMPOSE, &boundclass);
		if (r > 32)
			BUG("utf8proc_decompose_char: U+%04X decomposes into %zd code points",
			    (unsigned)cp, (ssize_t)r);
		for (utf8proc_ssize_t i = 1; i < r; i++)
			mark_second(d[i]);
	}
	for (int32_t cp = 0x1161; cp <= 0x1175; cp++)
		mark_second(cp);
	for (int32_t cp = 0x11A7; cp <= 0x11C2; cp++)
		mark_second(cp);
}

/* The entry of cp, its form (if it is not cp itself) added to bytes[*nb]. */
static uint32_t entry_of(int32_t cp, enum unorm_form form, unsigned char *bytes, size_t *nb)
{
	if (cp >= 0xD800 && cp <= 0xDFFF)
		return 0;
	utf8proc_int32_t d[32];
	int boundclass = 0;
	utf8proc_ssize_t r = utf8proc_decompose_char(cp, d, 32, options[form], &boundclass);
	if (r < 1 || r > 32 || utf8proc_get_property(d[0])->combining_class != 0 ||
	    is_second(d[0]))
		return 0;
	if (r == 1 && d[0] == cp)
		return UNORM_CUT | UNORM_SAME;

	/* Several code points, or another one: let utf8proc compose them. */
	unsigned char self[4];
	size_t nself = (size_t)utf8proc_encode_char(cp, self);
	struct unorm_scratch sc = { NULL, 0 };
	struct strbuf out = STRBUF_INIT;
	unorm_append_slow((const char *)self, nself, form, &sc, &out);
	free(sc.buf);
	uint32_t e = UNORM_CUT | UNORM_SAME;
	if (out.len != nself || memcmp(out.buf, self, nself)) {
		if (out.len > 0x3F)
			BUG("unorm: the form of U+%04X takes %zu bytes", (unsigned)cp, out.len);
		memcpy(bytes + *nb, out.buf, out.len);
		e = UNORM_CUT | (uint32_t)out.len << 2 | (uint32_t)*nb << 8;
		*nb += out.len;
	}
	strbuf_release(&out);
	return e;
}

/* Blocks are built when first looked up: a process that meets a few
 * scripts pays for a few blocks. Until then a block's entries are those
 * of unbuilt, all zero, which the lookup takes as "no cut" and sends
 * here. A block is built under the lock and published with a release
 * store, which the acquire load of unorm_entry() pairs with. */
static const struct unorm_block unbuilt;
static struct unorm_block *plain;
static struct unorm_table tables[2];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

static void tables_init(void)
{
	second_fill();
	plain = xmalloc(sizeof(*plain));
	for (int i = 0; i < 256; i++)
		plain->e[i] = UNORM_CUT | UNORM_SAME;
	for (int f = 0; f < 2; f++)
		for (int b = 0; b < NBLOCKS; b++)
			tables[f].block[b] = &unbuilt;
}

static void block_build(enum unorm_form form, int32_t b)
{
	uint32_t e[256];
	unsigned char bytes[256 * 0x3F];
	size_t nb = 0;
	int all_plain = 1;
	for (int32_t i = 0; i < 256; i++) {
		e[i] = entry_of(b << 8 | i, form, bytes, &nb);
		all_plain &= e[i] == (UNORM_CUT | UNORM_SAME);
	}
	const struct unorm_block *done = plain;
	if (!all_plain) {
		struct unorm_block *blk = xmalloc(size_add(sizeof(*blk), nb));
		memcpy(blk->e, e, sizeof(e));
		memcpy(blk->bytes, bytes, nb);
		done = blk;
	}
	__atomic_store_n(&tables[form].block[b], done, __ATOMIC_RELEASE);
}

const struct unorm_table *unorm_table(enum unorm_form form)
{
	pthread_once(&tables_once, tables_init);
	return &tables[form];
}

uint32_t unorm_entry_built(const struct unorm_table *t, int32_t cp)
{
	enum unorm_form form = t == &tables[UNORM_NFKC] ? UNORM_NFKC : UNORM_NFKC_CASEFOLD;
	int32_t b = cp >> 8;
	if (__atomic_load_n(&t->block[b], __ATOMIC_ACQUIRE) == &unbuilt) {
		pthread_mutex_lock(&build_lock);
		if (tables[form].block[b] == &unbuilt)
			block_build(form, b);
		pthread_mutex_unlock(&build_lock);
	}
	return unorm_entry(t, cp);
}
