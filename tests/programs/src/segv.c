/* tests/programs/src/segv.c — prints a line, then stores to an unmapped
 * address (0xdead0008): the run must fail with SIGSEGV at that address. */
#include <stdio.h>

int main(void)
{
	printf("about to fault\n");
	fflush(stdout);
	*(volatile int *)0xdead0008 = 1;
	printf("still here?\n");
	return 0;
}
