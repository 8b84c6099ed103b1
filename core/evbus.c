/*
 * core/evbus.c — record-level parsing and bus set-up (the hot path,
 * ev_post, is inline in evbus.h).
 */
#include "core/evbus.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ev_record_level_parse(const char *text, struct ev_record_level *out, char *err,
			  size_t err_len)
{
	memset(out, 0, sizeof(*out));
	if (!strcmp(text, "summary")) {
		out->level = EV_LEVEL_SUMMARY;
		return 0;
	}
	if (!strcmp(text, "full")) {
		out->level = EV_LEVEL_FULL;
		return 0;
	}
	if (!strncmp(text, "sampled:", 8)) {
		const char *n = text + 8;
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(n, &end, 10);
		if (*n >= '1' && *n <= '9' && !*end && !errno && v >= 1) {
			out->level = EV_LEVEL_SAMPLED;
			out->sample_every = v;
			return 0;
		}
	}
	snprintf(err, err_len, "bad record level '%s': use summary, sampled:N (N >= 1) or full",
		 text);
	return -EINVAL;
}

void ev_record_level_format(const struct ev_record_level *lvl, char *buf, size_t len)
{
	switch (lvl->level) {
	case EV_LEVEL_SUMMARY:
		snprintf(buf, len, "summary");
		break;
	case EV_LEVEL_SAMPLED:
		snprintf(buf, len, "sampled:%" PRIu64, lvl->sample_every);
		break;
	case EV_LEVEL_FULL:
		snprintf(buf, len, "full");
		break;
	}
}

int ev_bus_init(struct ev_bus *bus, unsigned vm_count, const struct ev_record_level *level,
		ev_sink_fn sink, void *sink_ctx)
{
	memset(bus, 0, sizeof(*bus));
	bus->level = *level;
	if (bus->level.level == EV_LEVEL_SAMPLED && bus->level.sample_every == 0)
		bus->level.sample_every = 1;
	bus->sink = sink;
	bus->sink_ctx = sink_ctx;
	bus->vm_count = vm_count;
	bus->per_vm = calloc(vm_count ? vm_count : 1, sizeof(*bus->per_vm));
	return bus->per_vm ? 0 : -ENOMEM;
}

void ev_bus_fini(struct ev_bus *bus)
{
	free(bus->per_vm);
	bus->per_vm = NULL;
}
