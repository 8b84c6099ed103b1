/* tests/programs/src/aborts.c — prints a line and calls abort() (glibc
 * and musl raise SIGABRT with tgkill after blocking and unblocking
 * signals): the run must fail with SIGABRT, as the program does on the
 * host, with its line as stdout and the checksum over the line and the
 * status 128 + 6. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	printf("about to abort\n");
	fflush(stdout);
	abort();
}
