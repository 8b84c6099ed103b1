/*
 * core/progout.h — a program's output as it comes from the guest: the
 * descriptor of one write (an OUT to MV_PORT_PROG_WRITE,
 * workloads/program_abi.h) read from guest RAM with every bound checked,
 * and the captured stdout and stderr of a VM, kept up to a cap with what
 * is cut counted.
 *
 * The guest is not trusted: a descriptor or buffer that is not wholly
 * inside the VM's RAM, a file descriptor other than 1 or 2, or a length
 * over the protocol's 65536 is refused with a reason, never read.
 */
#ifndef MEMVIRT_CORE_PROGOUT_H
#define MEMVIRT_CORE_PROGOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "workloads/program_abi.h"

#define PROGOUT_MAX_WRITE 65536u

/*
 * The write whose descriptor is at desc_gpa in ram[0, ram_size): *w
 * holds the descriptor and *data points at its bytes inside ram.  0, or
 * -EFAULT / -EINVAL with one line in why (what was wrong, with the
 * values).  Not on a hot path.
 */
int progout_read(const uint8_t *ram, uint64_t ram_size, uint64_t desc_gpa, struct mv_prog_write *w,
		 const uint8_t **data, char *why, size_t len) __attribute__((warn_unused_result));

/* One captured stream: the first `cap` bytes, and how many more came. */
struct progout_stream {
	uint8_t *data;          /* malloc'd as it grows; NULL until a byte comes */
	size_t len, alloc;
	size_t cap;
	uint64_t truncated;     /* bytes that came past the cap */
};

void progout_init(struct progout_stream *s, size_t cap);
/* Keep what fits under the cap, count the rest.  -ENOMEM when memory
 * for it runs out (what did not fit is counted as truncated then). */
int progout_append(struct progout_stream *s, const uint8_t *data, size_t len)
	__attribute__((warn_unused_result));
void progout_free(struct progout_stream *s);

#endif
