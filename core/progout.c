/*
 * core/progout.c — a program's output from the guest (progout.h).
 */
#include "core/progout.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int progout_read(const uint8_t *ram, uint64_t ram_size, uint64_t desc_gpa, struct mv_prog_write *w,
		 const uint8_t **data, char *why, size_t len)
{
	*data = NULL;
	if (desc_gpa > ram_size || ram_size - desc_gpa < sizeof(*w)) {
		snprintf(why, len, "program write descriptor at guest-physical %#" PRIx64 " is outside the %" PRIu64
			 " MiB of RAM", desc_gpa, ram_size >> 20);
		return -EFAULT;
	}
	memcpy(w, ram + desc_gpa, sizeof(*w));
	if (w->fd != 1 && w->fd != 2) {
		snprintf(why, len, "program write descriptor at %#" PRIx64 " names fd %" PRIu32 " (only 1 and 2 reach the VMM)",
			 desc_gpa, w->fd);
		return -EINVAL;
	}
	if (w->len > PROGOUT_MAX_WRITE) {
		snprintf(why, len, "program write descriptor at %#" PRIx64 " has length %" PRIu32 " (at most %u)", desc_gpa,
			 w->len, PROGOUT_MAX_WRITE);
		return -EINVAL;
	}
	if (w->gpa > ram_size || ram_size - w->gpa < w->len) {
		snprintf(why, len, "program write of %" PRIu32 " bytes at guest-physical %#" PRIx64
			 " is outside the %" PRIu64 " MiB of RAM", w->len, w->gpa, ram_size >> 20);
		return -EFAULT;
	}
	*data = ram + w->gpa;
	return 0;
}

void progout_init(struct progout_stream *s, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->cap = cap;
}

int progout_append(struct progout_stream *s, const uint8_t *data, size_t len)
{
	size_t keep = s->cap > s->len ? s->cap - s->len : 0;

	if (keep > len)
		keep = len;
	s->truncated += len - keep;
	if (!keep)
		return 0;
	if (s->len + keep > s->alloc) {
		size_t want = s->alloc ? s->alloc : 4096;
		uint8_t *n;

		while (want < s->len + keep)
			want *= 2;
		if (want > s->cap)
			want = s->cap;
		n = realloc(s->data, want);
		if (!n) {
			s->truncated += keep;
			return -ENOMEM;
		}
		s->data = n;
		s->alloc = want;
	}
	memcpy(s->data + s->len, data, keep);
	s->len += keep;
	return 0;
}

void progout_free(struct progout_stream *s)
{
	free(s->data);
	s->data = NULL;
	s->len = s->alloc = 0;
}
