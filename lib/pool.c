/* pool.c: a fork-join pool of threads; see pool.h. */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "alloc.h"
#include "diag.h"

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t start, done;
	pthread_t *thread;
	unsigned nthreads;
	/* The job in hand, under lock: a new generation starts one. */
	unsigned long generation;
	void (*fn)(void *arg, unsigned task);
	void *arg;
	unsigned ntasks, next, finished;	/* tasks handed out, tasks done */
	int quit;
	double cpu_all, cpu_caller;	/* in tasks, under lock */
};

/* Take tasks of the current job until none is left. Called and returns
 * with the lock held. A job is done when its tasks are, not when every
 * thread has looked in: a thread the scheduler wakes late finds nothing
 * left and waits again. */
static void take_tasks(struct pool *p, int caller)
{
	while (p->next < p->ntasks) {
		unsigned task = p->next++;
		void (*fn)(void *, unsigned) = p->fn;
		void *arg = p->arg;
		pthread_mutex_unlock(&p->lock);
		double t0 = thread_cpu_seconds();
		fn(arg, task);
		double cpu = thread_cpu_seconds() - t0;
		pthread_mutex_lock(&p->lock);
		p->cpu_all += cpu;
		if (caller)
			p->cpu_caller += cpu;
		if (++p->finished == p->ntasks)
			pthread_cond_signal(&p->done);
	}
}

static void *pool_main(void *arg)
{
	struct pool *p = arg;
	unsigned long seen = 0;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->quit && p->generation == seen)
			pthread_cond_wait(&p->start, &p->lock);
		if (p->quit)
			break;
		seen = p->generation;
		take_tasks(p, 0);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct pool *pool_new(unsigned threads)
{
	struct pool *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->start, NULL);
	pthread_cond_init(&p->done, NULL);
	p->thread = xcalloc(threads ? threads : 1, sizeof(*p->thread));
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&p->thread[i], NULL, pool_main, p))
			die("cannot start a thread");
		p->nthreads++;
	}
	return p;
}

void pool_run(struct pool *p, unsigned ntasks, void (*fn)(void *arg, unsigned task), void *arg)
{
	if (!p->nthreads || ntasks < 2) {
		double t0 = thread_cpu_seconds();
		for (unsigned t = 0; t < ntasks; t++)
			fn(arg, t);
		double cpu = thread_cpu_seconds() - t0;
		p->cpu_all += cpu;
		p->cpu_caller += cpu;
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->fn = fn;
	p->arg = arg;
	p->ntasks = ntasks;
	p->next = 0;
	p->finished = 0;
	p->generation++;
	pthread_cond_broadcast(&p->start);
	take_tasks(p, 1);
	while (p->finished < p->ntasks)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void pool_cpu(struct pool *p, double *all, double *caller)
{
	pthread_mutex_lock(&p->lock);
	*all = p->cpu_all;
	*caller = p->cpu_caller;
	pthread_mutex_unlock(&p->lock);
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->quit = 1;
	pthread_cond_broadcast(&p->start);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->thread[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->start);
	pthread_cond_destroy(&p->done);
	free(p->thread);
	free(p);
}
