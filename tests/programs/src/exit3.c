/* tests/programs/src/exit3.c — prints a line and exits with status 3:
 * the run must fail, with exit_status 3 and the line as its stdout. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	printf("exiting with 3\n");
	exit(3);
}
