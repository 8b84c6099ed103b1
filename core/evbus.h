/*
 * core/evbus.h — the event bus: engines, the VMM and backends post typed
 * events (memvirt/event.h); the bus always counts them, per VM and in
 * total, and passes them on to a sink (the recorder) at the chosen level:
 * summary (counts only), sampled:N (every Nth event of each type) or full.
 *
 * Sampling is by count, never by time, so a run is recorded identically
 * every time it is repeated.
 */
#ifndef MEMVIRT_CORE_EVBUS_H
#define MEMVIRT_CORE_EVBUS_H

#include <stddef.h>
#include <stdint.h>

#include "memvirt/event.h"

enum ev_level {
	EV_LEVEL_SUMMARY = 0,
	EV_LEVEL_SAMPLED,
	EV_LEVEL_FULL,
};

struct ev_record_level {
	enum ev_level level;
	uint64_t sample_every;   /* SAMPLED: keep 1 event of every N of a type */
};

/* "summary", "sampled:N" (N >= 1) or "full".  -EINVAL with a message. */
int ev_record_level_parse(const char *text, struct ev_record_level *out, char *err,
			  size_t err_len);
/* The canonical text of a level, as stored with runs. */
void ev_record_level_format(const struct ev_record_level *lvl, char *buf, size_t len);

/* Where recorded events go; returns 0 or a negative errno. */
typedef int (*ev_sink_fn)(void *ctx, const struct mv_event *ev);

struct ev_bus {
	struct ev_record_level level;
	ev_sink_fn sink;
	void *sink_ctx;
	int sink_error;                    /* first error the sink returned */
	unsigned vm_count;
	uint64_t total[MV_EV__COUNT];
	uint64_t seen[MV_EV__COUNT];       /* for sampling */
	uint64_t (*per_vm)[MV_EV__COUNT];  /* [vm_count] */
	uint64_t recorded;                 /* events handed to the sink */
};

int ev_bus_init(struct ev_bus *bus, unsigned vm_count, const struct ev_record_level *level,
		ev_sink_fn sink, void *sink_ctx) __attribute__((warn_unused_result));
void ev_bus_fini(struct ev_bus *bus);

/* Hot path: one event.  An event of a VM past vm_count counts in the total only. */
static inline void ev_post(struct ev_bus *bus, const struct mv_event *ev)
{
	uint32_t t = ev->type < MV_EV__COUNT ? ev->type : MV_EV_PLUGIN;
	int rc;

	bus->total[t]++;
	if (ev->vm < bus->vm_count)
		bus->per_vm[ev->vm][t]++;
	if (bus->level.level == EV_LEVEL_SUMMARY || !bus->sink)
		return;
	if (bus->level.level == EV_LEVEL_SAMPLED && bus->seen[t]++ % bus->level.sample_every)
		return;
	if (t != ev->type) {
		/* An unknown type (a newer plugin's) is recorded as a plugin event. */
		struct mv_event known = *ev;

		known.type = t;
		rc = bus->sink(bus->sink_ctx, &known);
	} else {
		rc = bus->sink(bus->sink_ctx, ev);
	}
	if (rc && !bus->sink_error)
		bus->sink_error = rc;
	bus->recorded++;
}

#endif
