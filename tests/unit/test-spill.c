/* test-spill.c: temporary files and spilling arrays. An array under a
 * budget that holds it stays in memory; past the budget it moves to a
 * temporary file, keeps taking items through its buffer, and gives
 * every item back in order to two readers at once; the budget gets
 * its bytes back; no file is left under TMPDIR. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "spill.h"
#include "unit.h"

struct item {
	uint64_t a;
	uint32_t b;
};

static struct item nth(uint64_t i)
{
	return (struct item){ i * 0x9e3779b97f4a7c15ull, (uint32_t)i };
}

/* Does a reader give items 0 to n - 1, in order? */
static int reads_back(const struct spill_array *a, uint64_t n)
{
	struct spill_reader r;
	const void *p;
	uint64_t i = 0;
	int got, same = 1;
	spill_reader_init(&r, a);
	while ((got = spill_reader_next(&r, &p)) > 0) {
		struct item want = nth(i++), have;
		memcpy(&have, p, sizeof(have));
		same &= have.a == want.a && have.b == want.b;
	}
	spill_reader_release(&r);
	return got == 0 && same && i == n;
}

static size_t files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	diag_init("test-spill");
	char dir[] = "/tmp/test-spill.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	setenv("TMPDIR", dir, 1);

	/* Within the budget: in memory, read back, the budget restored. */
	struct spill_budget budget = { 1u << 20, 0 };
	struct spill_array a;
	spill_array_init(&a, sizeof(struct item), &budget, 4096, "test");
	for (uint64_t i = 0; i < 1000; i++)
		spill_array_push(&a, &(struct item){ nth(i).a, nth(i).b });
	ok(spill_array_flush(&a) == 0 && spill_array_items(&a) != NULL, "1000 items stay in memory");
	ok(budget.used > 0 && budget.used <= budget.limit, "the budget holds them (%zu bytes)",
	   budget.used);
	ok(reads_back(&a, 1000), "every item read back in order");
	spill_array_release(&a);
	ok(budget.used == 0, "released: the budget has its bytes back");

	/* Past the budget: two arrays share 64 KiB; the second spills. */
	budget = (struct spill_budget){ 64u << 10, 0 };
	struct spill_array small, big;
	spill_array_init(&small, sizeof(struct item), &budget, 4096, "test");
	spill_array_init(&big, sizeof(struct item), &budget, 1000, "test");
	for (uint64_t i = 0; i < 100; i++)
		spill_array_push(&small, &(struct item){ nth(i).a, nth(i).b });
	int pushed = 0;
	for (uint64_t i = 0; i < 100000; i++)
		pushed |= spill_array_push(&big, &(struct item){ nth(i).a, nth(i).b });
	ok(pushed == 0 && spill_array_flush(&big) == 0, "100000 items pushed past the budget");
	ok(spill_array_items(&small) != NULL && spill_array_items(&big) == NULL,
	   "the array that outgrew the budget spilled, the other stayed");
	ok(budget.used <= budget.limit, "memory within the budget (%zu bytes)", budget.used);
	ok(big.count == 100000 && reads_back(&big, 100000), "every spilled item read back in order");
	ok(reads_back(&small, 100), "the small array read back");
	/* Two readers at once, each by its own offset. */
	struct spill_reader r1, r2;
	const void *p1, *p2;
	spill_reader_init(&r1, &big);
	spill_reader_init(&r2, &big);
	int same = 1;
	for (int k = 0; k < 500; k++)
		spill_reader_next(&r1, &p1);
	for (uint64_t i = 0; i < 2000; i++) {
		if (spill_reader_next(&r2, &p2) != 1) {
			same = 0;
			break;
		}
		struct item x;
		memcpy(&x, p2, sizeof(x));
		same &= x.b == (uint32_t)i;
	}
	spill_reader_next(&r1, &p1);
	struct item y;
	memcpy(&y, p1, sizeof(y));
	ok(same && y.b == 500, "two readers of one file keep their own places");
	spill_reader_release(&r1);
	spill_reader_release(&r2);
	/* More items after a flush are read too. */
	spill_array_push(&big, &(struct item){ nth(100000).a, nth(100000).b });
	spill_array_flush(&big);
	ok(reads_back(&big, 100001), "an item pushed after a flush is read back");
	ok(files_in(dir) == 0, "no file is left with a name under TMPDIR");
	spill_array_release(&big);
	spill_array_release(&small);
	ok(budget.used == 0, "both released: the budget is empty");

	/* A TMPDIR that cannot take a file: an error, not a crash. */
	setenv("TMPDIR", "/nonexistent/dir", 1);
	budget = (struct spill_budget){ 0, 0 };
	spill_array_init(&a, sizeof(struct item), &budget, 4096, "test");
	ok(spill_array_push(&a, &(struct item){ 1, 1 }) == -1, "no room and no TMPDIR: the push fails");
	spill_array_release(&a);
	ok(temp_file("test") == -1, "temp_file fails in a folder that does not exist");
	rmdir(dir);
	return done_testing();
}
