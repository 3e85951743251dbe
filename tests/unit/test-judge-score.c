/* Unit tests: the grade in a judgement (judge_score) and the delay of a
 * Retry-After header (chat_retry_after), the two things synth-score
 * reads out of a judge's answer. */
#include <math.h>
#include <string.h>

#include "chat.h"
#include "diag.h"
#include "judge_score.h"
#include "unit.h"

static double grade(const char *s)
{
	return judge_score(s, strlen(s), 5);
}

static double delay(const char *s)
{
	return chat_retry_after(s, strlen(s));
}

static void test_judge_score(void)
{
	ok(grade("Fluent and on topic.\nScore: 4") == 4, "Score: 4");
	ok(grade("score:3.5") == 3.5, "no space, a fraction, lower case");
	ok(grade("**SCORE:** 2") == 2, "bold markers and upper case");
	ok(grade("Score: 2 at first; on reflection Score:\t5") == 5, "the last score counts");
	ok(grade("Score: 4, though an earlier score: none") == 4,
	   "a 'score:' without a number does not hide the grade before it");
	ok(grade("Score: 17") == 5, "above the scale: clamped to 5");
	ok(judge_score("Score: 7", 8, 10) == 7, "another scale");
	ok(isnan(grade("no grade here")), "no score: NaN");
	ok(isnan(grade("Score: -1")), "a minus sign is no number");
	ok(isnan(grade("Score")), "a judgement ending in the word");
	ok(isnan(judge_score("Score: 4", 7, 5)), "the number past n is not read");
	ok(isnan(grade("Score: 0000000000000000000000000000000004")),
	   "a number longer than 31 characters is no grade");
	ok(isnan(grade("Score: 1e9")), "an exponent: no grade, not 1");
	ok(isnan(grade("Score: 0x5")), "hexadecimal: no grade, not 0");
	ok(isnan(grade("Score: 4.5.6")), "two points: no grade");
	ok(isnan(grade("Score: 3rd")), "a number that goes on as a word: no grade");
	ok(grade("Score: 4. Well done.") == 4, "a full stop after the number ends it");
	ok(grade("Score: 4/5") == 4, "out of 5: the number before the slash");
	ok(grade("Score: 3.5") == 3.5 && grade("Score: 3.") == 3, "a fraction; a point at the end");
	ok(grade("Score: 2 and later Score: 1e9") == 2, "a malformed grade does not hide the one before");
}

static void test_retry_after(void)
{
	ok(delay("Retry-After: 120\r\n") == 120, "whole seconds");
	ok(delay("retry-after:2.5\r\n") == 2.5, "any case, no space, a fraction");
	ok(delay("Retry-After: 0\r\n") == 0, "0 asks for no delay");
	ok(delay("Retry-After: 86400\r\n") == 0, "a day or more is not believed");
	ok(delay("Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n") == 0, "an HTTP date counts as none");
	ok(delay("Retry-After: nan\r\n") == 0 && delay("Retry-After: inf\r\n") == 0,
	   "not a number, infinity: none");
	ok(delay("Content-Type: 5\r\n") == 0, "another header");
	ok(delay("Retry-After:") == 0, "no value");
	ok(chat_retry_after("Retry-After: 30", 14) == 3, "the value ends at len");
}

int main(void)
{
	diag_init("test-judge-score");
	test_judge_score();
	test_retry_after();
	return done_testing();
}
