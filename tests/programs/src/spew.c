/* tests/programs/src/spew.c — writes LINES numbered lines of 60 bytes to
 * stdout (more than --output-limit lets through) and a line to stderr:
 * the guest sends only the limit's worth, counts the rest, and the
 * checksum still covers every byte.  Usage: spew [LINES] */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 4000;
	for (long i = 0; i < n; i++)
		printf("line %08ld of the output that goes past the limit ......\n", i);
	fprintf(stderr, "spew: %ld lines written\n", n);
	return 0;
}
