/* test-number.c: strict parsing of integers, sizes and decimals. */
#include <float.h>
#include <stdint.h>

#include "number.h"
#include "unit.h"

static void u64_is(const char *s, uint64_t min, uint64_t max, uint64_t want)
{
	uint64_t v = 12345;
	int r = parse_u64(s, min, max, &v);
	ok(r == 0 && v == want, "parse_u64 \"%s\" is %llu (got %d, %llu)", s,
	   (unsigned long long)want, r, (unsigned long long)v);
}

static void u64_bad(const char *s, uint64_t min, uint64_t max)
{
	uint64_t v = 12345;
	int r = parse_u64(s, min, max, &v);
	ok(r == -1 && v == 12345, "parse_u64 rejects \"%s\" and leaves the result alone", s);
}

static void test_u64(void)
{
	u64_is("0", 0, UINT64_MAX, 0);
	u64_is("1", 0, UINT64_MAX, 1);
	u64_is("007", 0, UINT64_MAX, 7);
	u64_is("1234567890", 0, UINT64_MAX, 1234567890);
	u64_is("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
	u64_is("5", 5, 5, 5);
	u64_bad("", 0, UINT64_MAX);
	u64_bad("+1", 0, UINT64_MAX);
	u64_bad("-1", 0, UINT64_MAX);
	u64_bad("-0", 0, UINT64_MAX);
	u64_bad(" 1", 0, UINT64_MAX);
	u64_bad("1 ", 0, UINT64_MAX);
	u64_bad("1\t", 0, UINT64_MAX);
	u64_bad("1x", 0, UINT64_MAX);
	u64_bad("0x10", 0, UINT64_MAX);
	u64_bad("1.0", 0, UINT64_MAX);
	u64_bad("1e3", 0, UINT64_MAX);
	u64_bad("1K", 0, UINT64_MAX);
	u64_bad("18446744073709551616", 0, UINT64_MAX);
	u64_bad("18446744073709551620", 0, UINT64_MAX);
	u64_bad("99999999999999999999", 0, UINT64_MAX);
	u64_bad("184467440737095516150", 0, UINT64_MAX);
	u64_bad("4", 5, 10);
	u64_bad("11", 5, 10);
	u64_bad("0", 1, UINT64_MAX);
}

static void size_is(const char *s, uint64_t want)
{
	uint64_t v = 12345;
	int r = parse_size(s, &v);
	ok(r == 0 && v == want, "parse_size \"%s\" is %llu (got %d, %llu)", s,
	   (unsigned long long)want, r, (unsigned long long)v);
}

static void size_bad(const char *s)
{
	uint64_t v = 12345;
	int r = parse_size(s, &v);
	ok(r == -1 && v == 12345, "parse_size rejects \"%s\"", s);
}

static void test_size(void)
{
	size_is("0", 0);
	size_is("100", 100);
	size_is("18446744073709551615", UINT64_MAX);
	size_is("1K", 1024);
	size_is("1k", 1024);
	size_is("1KB", 1024);
	size_is("1kb", 1024);
	size_is("1kB", 1024);
	size_is("1KiB", 1024);
	size_is("1kib", 1024);
	size_is("3M", 3ull << 20);
	size_is("3MiB", 3ull << 20);
	size_is("3mb", 3ull << 20);
	size_is("2G", 2ull << 30);
	size_is("2g", 2ull << 30);
	size_is("2GiB", 2ull << 30);
	size_is("5T", 5ull << 40);
	size_is("5tib", 5ull << 40);
	size_is("0K", 0);
	size_is("16777215T", 16777215ull << 40);
	size_is("17179869183G", 17179869183ull << 30);
	size_bad("");
	size_bad("K");
	size_bad("1.5G");
	size_bad("1,5G");
	size_bad("-1");
	size_bad("+1");
	size_bad(" 1");
	size_bad("1 ");
	size_bad("1 K");
	size_bad("1K ");
	size_bad("1X");
	size_bad("1P");
	size_bad("1KK");
	size_bad("1KiBB");
	size_bad("1Ki");
	size_bad("1iB");
	size_bad("18446744073709551616");
	size_bad("16777216T");
	size_bad("17179869184G");
	size_bad("18014398509481984K");
	size_bad("99999999999999999999999K");
}

static void double_is(const char *s, double min, double max, double want)
{
	double v = 12345;
	int r = parse_double(s, min, max, &v);
	ok(r == 0 && v == want, "parse_double \"%s\" is %g (got %d, %g)", s, want, r, v);
}

static void double_bad(const char *s, double min, double max)
{
	double v = 12345;
	int r = parse_double(s, min, max, &v);
	ok(r == -1 && v == 12345, "parse_double rejects \"%s\" in [%g, %g]", s, min, max);
}

static void test_double(void)
{
	double_is("0.8", 0, 1, 0.8);
	double_is("1e-3", 0, 1, 1e-3);
	double_is("1E-3", 0, 1, 1e-3);
	double_is("0", 0, 1, 0);
	double_is("1", 0, 1, 1);
	double_is("-2.5", -10, 10, -2.5);
	double_is("42", 0, 100, 42);
	double_is(".5", 0, 1, 0.5);
	double_is("5.", 0, 10, 5);
	double_is("1e+2", 0, 1000, 100);
	double_is("1e308", 0, DBL_MAX, 1e308);
	double_bad("", 0, 1);
	double_bad("inf", -DBL_MAX, DBL_MAX);
	double_bad("-inf", -DBL_MAX, DBL_MAX);
	double_bad("infinity", -DBL_MAX, DBL_MAX);
	double_bad("nan", -DBL_MAX, DBL_MAX);
	double_bad("NaN", -DBL_MAX, DBL_MAX);
	double_bad("0x10", -DBL_MAX, DBL_MAX);
	double_bad("0x1p3", -DBL_MAX, DBL_MAX);
	double_bad(" 1", 0, 10);
	double_bad("1 ", 0, 10);
	double_bad("1,5", 0, 10);
	double_bad("1.5.", 0, 10);
	double_bad("1e", 0, 10);
	double_bad("e1", 0, 10);
	double_bad(".", 0, 10);
	double_bad("-", 0, 10);
	double_bad("1x", 0, 10);
	double_bad("1e999", -DBL_MAX, DBL_MAX);
	double_bad("-1e999", -DBL_MAX, DBL_MAX);
	double_bad("1.5", 0, 1);
	double_bad("-0.1", 0, 1);
	double_bad("1.0000001", 0, 1);
}

int main(void)
{
	test_u64();
	test_size();
	test_double();
	return done_testing();
}
