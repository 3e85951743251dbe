/* number.c: strict number parsing; see number.h. */
#include "number.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			return -1;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	size_t n = strlen(s), digits = 0;
	while (digits < n && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (!digits || digits > 20)
		return -1;
	char num[21];
	memcpy(num, s, digits);
	num[digits] = '\0';
	uint64_t v, mult = 1;
	if (parse_u64(num, 0, UINT64_MAX, &v))
		return -1;
	const char *suf = s + digits;
	if (*suf) {
		int shift;
		switch (*suf | 0x20) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		case 't': shift = 40; break;
		default: return -1;
		}
		suf++;
		/* "K", "KB" and "KiB" all mean 1024, in either case (compared
		 * by hand: strcasecmp() would follow the locale). */
		if ((suf[0] | 0x20) == 'i' && (suf[1] | 0x20) == 'b')
			suf++;
		if ((suf[0] | 0x20) == 'b')
			suf++;
		if (*suf)
			return -1;
		mult = 1ull << shift;
	}
	if (__builtin_mul_overflow(v, mult, &v))
		return -1;
	*out = v;
	return 0;
}

int parse_double(const char *s, double min, double max, double *out)
{
	/* Only the characters of a plain decimal number: strtod would also
	 * take hex, "inf", "nan" and leading space. */
	if (!*s || strspn(s, "0123456789.eE+-") != strlen(s))
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
