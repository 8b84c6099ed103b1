/*
 * workloads/wl_reference_tool.c — `wl-reference WORKLOAD SEED [key=value...]`
 * prints the checksum the guest must print for that run (16 hex digits),
 * so scripts can check a run without linking reference.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/reference.h"

int main(int argc, char **argv)
{
	char params[1024] = "";
	uint64_t sum, seed;
	char *end;
	int i, err;

	if (argc < 3) {
		fprintf(stderr, "usage: wl-reference WORKLOAD SEED [key=value...]\n");
		return 2;
	}
	seed = strtoull(argv[2], &end, 10);
	if (*end) {
		fprintf(stderr, "wl-reference: seed '%s' is not a decimal number\n", argv[2]);
		return 2;
	}
	for (i = 3; i < argc; i++) {
		if (strlen(params) + strlen(argv[i]) + 2 > sizeof params) {
			fprintf(stderr, "wl-reference: parameters too long\n");
			return 2;
		}
		if (params[0])
			strcat(params, " ");
		strcat(params, argv[i]);
	}
	err = wl_reference_checksum(argv[1], params, seed, &sum);
	if (err) {
		fprintf(stderr, "wl-reference: %s %s: %s\n", argv[1], params, strerror(-err));
		return 1;
	}
	printf("%016" PRIx64 "\n", sum);
	return 0;
}
