/*
 * core/console.h — a VM's console (COM1): collects bytes into lines,
 * echoes them if asked, and parses the machine-readable lines of the boot
 * protocol: the banner ("memvirt guest: ...", the guest's boot handshake:
 * its kernel is up), "result checksum=HEX", "stat NAME=VALUE".  The last lines are
 * kept for failure reports (a guest panic explains itself there).
 */
#ifndef MEMVIRT_CORE_CONSOLE_H
#define MEMVIRT_CORE_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/counters.h"

#define CONSOLE_LINE_MAX 256
#define CONSOLE_BANNER "memvirt guest: "
#define CONSOLE_TAIL 4

struct console {
	int vm;
	FILE *echo;
	struct ctr_set *stats;          /* where "stat" lines go, as guest_NAME for vm */
	char line[CONSOLE_LINE_MAX];
	unsigned len;
	char tail[CONSOLE_TAIL][CONSOLE_LINE_MAX];
	unsigned tail_next;
	bool booted;                    /* the banner line came */
	bool has_checksum;
	uint64_t checksum;
	uint64_t bytes;
	int stats_error;
};

void console_init(struct console *c, int vm, FILE *echo, struct ctr_set *stats);
void console_put(struct console *c, uint8_t byte);
/* Flush a partial last line. */
void console_finish(struct console *c);
/* The last lines, oldest first, joined with " | ", into buf. */
void console_tail(const struct console *c, char *buf, size_t len);

#endif
