/*
 * vcpu/kvm/kvm_stats.c — parse and read KVM's binary statistics
 * (Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD").  See kvm_stats.h
 * for what is kept.
 */
#include "vcpu/kvm/kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* pread() all of [off, off+len), retrying short reads. */
static int read_exact(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

static bool is_counter(const struct kvm_stats_desc *d)
{
	uint32_t type = d->flags & KVM_STATS_TYPE_MASK;

	return d->size == 1 && (type == KVM_STATS_TYPE_CUMULATIVE ||
				type == KVM_STATS_TYPE_INSTANT ||
				type == KVM_STATS_TYPE_PEAK);
}

void kvm_stats_close(struct kvm_stats *st)
{
	if (!st)
		return;
	if (st->fd >= 0)
		close(st->fd);
	for (size_t i = 0; i < st->count; i++)
		free(st->names[i]);
	free(st->names);
	free(st->offsets);
	free(st->buf);
	free(st);
}

int kvm_stats_open(int owner_fd, struct kvm_stats **out)
{
	struct kvm_stats_header hdr;
	struct kvm_stats *st;
	char *descs = NULL;
	size_t desc_size;
	int ret;

	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->fd = ioctl(owner_fd, KVM_GET_STATS_FD, NULL);
	if (st->fd < 0) {
		ret = -errno;
		goto err;
	}
	ret = read_exact(st->fd, &hdr, sizeof(hdr), 0);
	if (ret)
		goto err;

	desc_size = sizeof(struct kvm_stats_desc) + hdr.name_size;
	descs = malloc(desc_size * hdr.num_desc);
	st->names = calloc(hdr.num_desc, sizeof(*st->names));
	st->offsets = calloc(hdr.num_desc, sizeof(*st->offsets));
	if (!descs || !st->names || !st->offsets) {
		ret = -ENOMEM;
		goto err;
	}
	ret = read_exact(st->fd, descs, desc_size * hdr.num_desc, hdr.desc_offset);
	if (ret)
		goto err;

	st->data_offset = hdr.data_offset;
	for (uint32_t i = 0; i < hdr.num_desc; i++) {
		const struct kvm_stats_desc *d =
			(const struct kvm_stats_desc *)(descs + i * desc_size);
		uint32_t end = d->offset + (uint32_t)d->size * sizeof(uint64_t);

		/* Every statistic, kept or not, bounds the values block. */
		if (end > st->data_size)
			st->data_size = end;
		if (!is_counter(d))
			continue;
		st->names[st->count] = strndup(d->name, hdr.name_size);
		if (!st->names[st->count]) {
			ret = -ENOMEM;
			goto err;
		}
		st->offsets[st->count] = d->offset;
		st->count++;
	}
	st->buf = malloc(st->data_size ? st->data_size : 1);
	if (!st->buf) {
		ret = -ENOMEM;
		goto err;
	}
	free(descs);
	*out = st;
	return 0;
err:
	free(descs);
	kvm_stats_close(st);
	return ret;
}

int kvm_stats_read(struct kvm_stats *st, uint64_t *values)
{
	int ret = read_exact(st->fd, st->buf, st->data_size, st->data_offset);

	if (ret)
		return ret;
	for (size_t i = 0; i < st->count; i++)
		memcpy(&values[i], (const char *)st->buf + st->offsets[i], sizeof(uint64_t));
	return 0;
}
