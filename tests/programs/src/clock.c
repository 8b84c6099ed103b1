/* tests/programs/src/clock.c — prints what a program reads from the
 * clocks and the random sources: clock_gettime (monotonic and realtime),
 * time(), getrandom() and AT_RANDOM.  Under memvirt's soft engine all of
 * it follows from the run's seed and instruction count, so two runs of
 * one seed print the same and another seed prints other random bytes. */
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <time.h>

int main(void)
{
	struct timespec mono, real;
	unsigned char r[16];
	const unsigned char *at = (const unsigned char *)getauxval(AT_RANDOM);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	time_t t = time(NULL);
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return 1;
	printf("monotonic %lld.%09ld\n", (long long)mono.tv_sec, mono.tv_nsec);
	printf("realtime %lld.%09ld time %lld\n", (long long)real.tv_sec, real.tv_nsec, (long long)t);
	printf("getrandom ");
	for (int i = 0; i < 16; i++)
		printf("%02x", r[i]);
	printf("\nAT_RANDOM ");
	for (int i = 0; at && i < 16; i++)
		printf("%02x", at[i]);
	printf("\n");
	return 0;
}
