/*
 * core/main.c — the `memvirt` command: parses the subcommand and hands
 * over to it.  Errors are reported here, at the edge, once.
 */
#include <stdio.h>
#include <string.h>

#include "memvirt-config.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("memvirt %s\n", MEMVIRT_VERSION);
		return 0;
	}
	fprintf(stderr, "memvirt: no subcommand yet\n");
	return 2;
}
