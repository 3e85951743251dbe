/* Unit tests: the fork-join pool runs every task once and returns when
 * all are done. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "pool.h"
#include "unit.h"

struct job {
	unsigned char done[64];
	unsigned order[64], next;
};

static void task(void *arg, unsigned t)
{
	struct job *j = arg;
	j->done[t]++;
}

static void in_order(void *arg, unsigned t)
{
	struct job *j = arg;
	j->order[j->next++] = t;
}

int main(void)
{
	diag_init("test-pool");
	struct job j;
	struct pool *none = pool_new(0);
	memset(&j, 0, sizeof(j));
	pool_run(none, 20, in_order, &j);
	int ordered = j.next == 20;
	for (unsigned t = 0; t < 20 && ordered; t++)
		ordered = j.order[t] == t;
	ok(ordered, "a pool of no threads runs the tasks on the caller, in order");
	pool_free(none);

	for (unsigned threads = 1; threads <= 5; threads += 2) {
		struct pool *p = pool_new(threads);
		int once = 1;
		for (unsigned run = 0; run < 2000 && once; run++) {
			unsigned n = 1 + run % 64;
			memset(&j, 0, sizeof(j));
			pool_run(p, n, task, &j);
			/* Every task done once when pool_run returns, none past n. */
			for (unsigned t = 0; t < 64 && once; t++)
				once = j.done[t] == (t < n);
		}
		ok(once, "%u threads: 2000 jobs of 1 to 64 tasks, each task run once before the return",
		   threads);
		memset(&j, 0, sizeof(j));
		pool_run(p, 0, task, &j);
		int none_run = 1;
		for (unsigned t = 0; t < 64; t++)
			none_run &= !j.done[t];
		ok(none_run, "%u threads: a job of no tasks runs none and returns", threads);
		pool_free(p);
	}
	pool_free(NULL);
	return done_testing();
}
