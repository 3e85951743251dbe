/* fuzz-judge-score.c: libFuzzer target for judge_score(), which reads
 * the grade in an LLM judge's answer for synth-score --judge.
 *
 * The input is an answer, any bytes. A second reader in this file finds
 * the last "Score:" before a number that is a grade the other way round,
 * scanning from the end, and the two must agree on whether there is a
 * grade; a grade is within 0..max, and a short whole number is read as
 * itself.
 */
#define FUZZ_NAME "fuzz-judge-score"
#include "fuzz-file.h"

#include <math.h>

#include "judge_score.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_file_init();
	return 0;
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Whether the number at p[k] (a digit) is a grade by judge_score.h's
 * words: digits, and a point and digits after them; not going on as a
 * word (a letter, a digit after a second point, '_'), 31 characters at
 * most. */
static int ref_number_ok(const unsigned char *p, size_t n, size_t k)
{
	size_t start = k;
	while (k < n && is_digit(p[k]))
		k++;
	if (k + 1 < n && p[k] == '.' && is_digit(p[k + 1])) {
		k++;
		while (k < n && is_digit(p[k]))
			k++;
		if (k + 1 < n && p[k] == '.' && is_digit(p[k + 1]))
			return 0;
	}
	if (k - start > 31)
		return 0;
	int c = k < n ? p[k] : ' ';
	return !(is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z') || c == '_');
}

/* Where the number of the last grade starts, or -1: the last "Score:"
 * followed by spaces, tabs or '*' and a number that is a grade. */
static long ref_last_grade(const unsigned char *p, size_t n)
{
	static const char word[] = "score:";
	for (size_t i = n; i-- > 0;) {
		if (n - i < 6)
			continue;
		size_t j = 0;
		while (j < 6 && lower(p[i + j]) == word[j])
			j++;
		if (j < 6)
			continue;
		size_t k = i + 6;
		while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '*'))
			k++;
		if (k < n && is_digit(p[k]) && ref_number_ok(p, n, k))
			return (long)k;
	}
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so that a read past them is seen. */
	char *p = malloc(size ? size : 1);
	CHECK(p != NULL, "allocating");
	if (size)
		memcpy(p, data, size);
	static const double maxes[] = { 5, 10, 1 };
	long at = ref_last_grade(data, size);
	for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		double s = judge_score(p, size, maxes[m]);
		CHECK(isnan(s) == (at < 0), "a grade exactly when a 'Score:' is followed by a number");
		if (at < 0)
			continue;
		CHECK(s >= 0 && s <= maxes[m], "a grade within 0..max");
		/* Up to 6 digits and no '.': the number itself, clamped. */
		size_t k = (size_t)at, v = 0;
		while (k < size && is_digit(data[k]) && k - (size_t)at < 7)
			v = v * 10 + (size_t)(data[k++] - '0');
		if (k - (size_t)at <= 6 && (k == size || (!is_digit(data[k]) && data[k] != '.')))
			CHECK(s == (v > maxes[m] ? maxes[m] : (double)v), "a whole number read as itself");
	}
	free(p);
	return 0;
}
