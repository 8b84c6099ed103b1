/*
 * tests/programs/src/threads.c — POSIX threads: create and join, a mutex
 * around a shared counter, a producer/consumer queue on a condition
 * variable, and results that do not depend on the schedule.
 * Usage: threads [THREADS [ITEMS]]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define QCAP 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static unsigned long queue[QCAP], qhead, qtail, counter;
static int done;

static void *bump(void *arg)
{
	unsigned long n = (unsigned long)(size_t)arg;
	for (unsigned long i = 0; i < n; i++) {
		pthread_mutex_lock(&lock);
		counter += i % 7;
		pthread_mutex_unlock(&lock);
	}
	return (void *)(size_t)(n * 3);
}

static void *consume(void *arg)
{
	unsigned long *sum = arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (qhead == qtail && !done)
			pthread_cond_wait(&not_empty, &lock);
		if (qhead == qtail && done) {
			pthread_mutex_unlock(&lock);
			return NULL;
		}
		unsigned long v = queue[qhead++ % QCAP];
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&lock);
		*sum += v * v;
	}
}

int main(int argc, char **argv)
{
	int nt = argc > 1 ? atoi(argv[1]) : 4;
	unsigned long items = argc > 2 ? strtoul(argv[2], NULL, 0) : 20000;
	if (nt < 1 || nt > 16)
		return 2;
	pthread_t t[16];
	unsigned long ret_sum = 0;
	for (int i = 0; i < nt; i++)
		if (pthread_create(&t[i], NULL, bump, (void *)(size_t)(items * (i + 1))))
			return 1;
	for (int i = 0; i < nt; i++) {
		void *r;
		pthread_join(t[i], &r);
		ret_sum += (unsigned long)(size_t)r;
	}
	printf("threads %d counter %lu returns %lu\n", nt, counter, ret_sum);

	unsigned long sums[16] = {0};
	for (int i = 0; i < nt; i++)
		if (pthread_create(&t[i], NULL, consume, &sums[i]))
			return 1;
	for (unsigned long v = 1; v <= items; v++) {
		pthread_mutex_lock(&lock);
		while (qtail - qhead == QCAP)
			pthread_cond_wait(&not_full, &lock);
		queue[qtail++ % QCAP] = v;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&lock);
	}
	pthread_mutex_lock(&lock);
	done = 1;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&lock);
	unsigned long total = 0;
	for (int i = 0; i < nt; i++) {
		pthread_join(t[i], NULL);
		total += sums[i];
	}
	unsigned long want = items * (items + 1) * (2 * items + 1) / 6;
	printf("queue items %lu sum of squares %lu (%s)\n", items, total, total == want ? "right" : "WRONG");
	return total == want ? 0 : 1;
}
