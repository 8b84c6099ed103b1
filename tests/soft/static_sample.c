/*
 * tests/soft/static_sample.c — a C program as users bring them: stdio with
 * integers, floats and strings, the string functions on short and long
 * (1 MiB: glibc's non-temporal copy path) buffers, qsort, malloc and
 * realloc, libm, pthreads with a mutex, and reading the file argv[1].
 * Linked statically against glibc and musl, it is the input of the
 * mnemonic coverage check over static C libraries (soft_coverage_static).
 * Its output depends on nothing but its input.
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long total;

static void *worker(void *arg)
{
	long n = (long)arg;
	for (long i = 0; i < 1000; i++) {
		pthread_mutex_lock(&mu);
		total += n;
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static int scmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	pthread_t t[3];
	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("threads total=%ld\n", total);

	size_t n = 1 << 20;
	char *a = malloc(n), *b = malloc(n);
	if (!a || !b)
		return 1;
	for (size_t i = 0; i < n; i++)
		a[i] = (char)(i * 31 + 7);
	memcpy(b, a, n);
	memmove(b + 3, b, n - 3);
	printf("memcmp=%d %d\n", memcmp(a, b + 3, n - 3), memcmp(a, b, 100) != 0);
	memset(a, 'q', n - 1);
	a[n - 1] = 0;
	printf("strlen=%zu memchr=%d strrchr=%td\n", strlen(a), memchr(a, 'z', n) != NULL,
	       strrchr(a, 'q') - a);

	char s[200];
	snprintf(s, sizeof(s), "%s-%d-%.3f-%e-%x", "abc", -42, M_PI, 6.02e23, 0xbeef);
	printf("%s strstr=%s strspn=%zu strcspn=%zu\n", s, strstr(s, "3.14"), strspn(s, "abc"),
	       strcspn(s, "0123456789"));

	char *words[] = { "pear", "apple", "fig", "banana", "cherry", "date" };
	qsort(words, 6, sizeof(*words), scmp);
	for (int i = 0; i < 6; i++)
		printf("%s ", words[i]);
	printf("\n");

	double x = strtod("2.718281828", NULL);
	printf("sqrt=%.15g exp=%.15g sin=%.15g log=%.15g pow=%.15g floor=%g\n", sqrt(x), exp(x),
	       sin(x), log(x), pow(x, 1.5), floor(-x));
	float f = 1.1f;
	for (int i = 0; i < 10; i++)
		f = f * 1.7f - 0.3f;
	printf("float=%.9g atoi=%d strtol=%ld\n", f, atoi("1234"), strtol("-0x7f", NULL, 16));

	char buf[64];
	strcpy(buf, "Hello");
	strcat(buf, ", World");
	for (char *p = buf; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	printf("%s %d\n", buf, strncmp(buf, "HELLO", 5));

	FILE *fp = argc > 1 ? fopen(argv[1], "r") : NULL;
	if (fp) {
		char line[256];
		int lines = 0;
		while (fgets(line, sizeof(line), fp))
			lines++;
		printf("lines=%d\n", lines);
		fclose(fp);
	} else {
		printf("no file\n");
	}

	long long ll = 1234567890123LL;
	printf("%lld %llu %g\n", ll * 3, (unsigned long long)ll / 7, (double)ll / 3.0);
	char *r = NULL;
	for (int i = 1; i < 20; i++) {
		char *nr = realloc(r, (size_t)i * 1000);
		if (!nr)
			return 1;
		r = nr;
		memset(r, i, (size_t)i * 1000);
	}
	free(r);
	free(a);
	free(b);
	return 0;
}
