/*
 * core/console.h — a VM's console (COM1): collects bytes into lines,
 * echoes them if asked, and parses the machine-readable lines of the boot
 * protocol: the banner ("memvirt guest: ...", the guest's boot handshake:
 * its kernel is up), "result checksum=HEX", "stat NAME=VALUE", and a
 * program's end: "program exit_status=N", "program signal=N name=SIG
 * addr=HEX rip=HEX", "program error TEXT" (the first of them counts).  The last lines are
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

/* How a program ended, from the Linux personality's console lines
 * (workloads/program_abi.h): exit_status=N, signal=..., error TEXT. */
struct console_program {
	bool exited;                    /* program exit_status=N */
	int32_t exit_status;
	bool signalled;                 /* program signal=N name=SIG addr=HEX rip=HEX */
	uint32_t signal;
	char signal_name[16];
	uint64_t addr, rip;
	bool error;                     /* program error TEXT */
	char error_text[CONSOLE_LINE_MAX];
};

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
	struct console_program program;
	uint64_t bytes;
	int stats_error;
};

void console_init(struct console *c, int vm, FILE *echo, struct ctr_set *stats);
void console_put(struct console *c, uint8_t byte);
/* Flush a partial last line. */
void console_finish(struct console *c);
/* How the program ended as one line ("program exited with status 3",
 * "program killed by SIGSEGV (signal 11) at address 0x0, rip 0x401000",
 * "program error: TEXT"); false when it exited with status 0 or no end
 * line came (then buf says "no program end line"). */
bool console_program_failure(const struct console_program *p, char *buf, size_t len);
/* The last lines, oldest first, joined with " | ", into buf. */
void console_tail(const struct console *c, char *buf, size_t len);

#endif
