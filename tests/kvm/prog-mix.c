/*
 * tests/kvm/prog-mix.c — a small static Linux program for the kvm engine's
 * program tests (programs-in-qemu.sh): floating-point printf, malloc and
 * realloc, a file given with --file, and two threads joined under a mutex.
 * Its output depends only on its arguments and the file, so the same
 * binary run on the host prints the same bytes.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long shared_sum;

static void *worker(void *arg)
{
	unsigned long long local = 0, n = (unsigned long long)(size_t)arg;

	for (unsigned long long i = 1; i <= n; i++)
		local += i * i % 1000003;
	pthread_mutex_lock(&lock);
	shared_sum += local;
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
	double *v = NULL, acc = 0;
	pthread_t t[2];

	for (size_t i = 0; i < n; i++) {
		if ((i & (i - 1)) == 0) {
			double *nv = realloc(v, 2 * (i + 1) * sizeof *v);

			if (!nv)
				return 2;
			v = nv;
		}
		v[i] = (double)i / 7.0 + 0.125;
		acc += v[i] * v[i];
	}
	printf("n=%zu acc=%.6f %e %g\n", n, acc, acc / 3.0, v[n / 2]);
	free(v);
	if (argc > 2) {
		FILE *f = fopen(argv[2], "r");
		char line[128];
		unsigned lines = 0;

		if (!f) {
			perror(argv[2]);
			return 3;
		}
		while (fgets(line, sizeof line, f))
			lines++;
		fclose(f);
		printf("%s: %u lines\n", argv[2], lines);
	}
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)(size_t)(n * (i + 1))))
			return 4;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("threads sum=%llu\n", shared_sum);
	return 0;
}
