/* tests/programs/src/hello.c — built without -static: memvirt must refuse
 * the dynamically linked result before it runs anything. */
#include <stdio.h>

int main(void)
{
	printf("hello\n");
	return 0;
}
