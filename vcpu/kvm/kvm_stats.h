/*
 * vcpu/kvm/kvm_stats.h — KVM's binary statistics (KVM_GET_STATS_FD), private
 * to the kvm engine.
 *
 * A stats file descriptor (one per VM, one per vCPU) starts with a header,
 * then a descriptor per statistic (its name, type, size), then the values,
 * which are re-read with pread() every time.  We parse the descriptors once
 * at open and keep those that are plain counters (cumulative, instant or
 * peak, one u64 each); histograms are left out.  Invariant: values[i] of a
 * read always belongs to names[i] of the same handle, and two handles opened
 * on vCPUs of the same VM list the same names in the same order.
 */
#ifndef MEMVIRT_VCPU_KVM_STATS_H
#define MEMVIRT_VCPU_KVM_STATS_H

#include <stddef.h>
#include <stdint.h>

struct kvm_stats {
	int fd;
	uint32_t data_offset;   /* start of the values in the file */
	uint32_t data_size;     /* bytes of values to read */
	size_t count;           /* counters kept */
	char **names;           /* count names, owned */
	uint32_t *offsets;      /* byte offset of each kept counter in the values */
	uint64_t *buf;          /* data_size bytes, scratch for a read */
};

/* Open the statistics of a VM or vCPU file descriptor.  Returns 0, -ENOTTY
 * when this KVM has no binary statistics, or another negative errno. */
int kvm_stats_open(int owner_fd, struct kvm_stats **out);
void kvm_stats_close(struct kvm_stats *st);

/* Read the current value of every kept counter into values[0..count).
 * Returns 0 or a negative errno. */
int kvm_stats_read(struct kvm_stats *st, uint64_t *values);

#endif
