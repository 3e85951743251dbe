/* pool.h: a fork-join pool of threads for a stage that runs on one
 * thread but has work that splits into independent tasks (synth-dedup's
 * band tables, one task a band).
 *
 * pool_run() hands tasks 0..n-1 out to the pool's threads and to the
 * caller, and returns when all are done: what the tasks wrote is then
 * visible to the caller. A pool of no threads runs every task on the
 * caller, in order.
 */
#ifndef SYNTH_POOL_H
#define SYNTH_POOL_H

struct pool;

/* A pool of `threads` threads besides the caller's (0: none). */
struct pool *pool_new(unsigned threads);

/* Run fn(arg, task) for task = 0..ntasks-1 and wait for all of them. */
void pool_run(struct pool *p, unsigned ntasks, void (*fn)(void *arg, unsigned task), void *arg);

/* The CPU seconds spent in tasks so far: on every thread (`all`) and on
 * the callers of pool_run (`caller`), for -v's account of a run. */
void pool_cpu(struct pool *p, double *all, double *caller);

/* Stop the threads and free the pool; NULL is ignored. */
void pool_free(struct pool *p);

#endif
