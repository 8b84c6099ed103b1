/*
 * workloads/catalog.c — the workload and parameter table (see catalog.h),
 * plus the "key=value" parser shared by the guest kernel and the host.
 *
 * Freestanding: no libc, so it builds into the guest as is.  Defaults keep
 * every workload well under ~20 million guest instructions (the soft engine
 * interprets them); the ranges reach working sets of hundreds of GiB.
 */
#include "workloads/catalog.h"

#define KiB (1024ull)
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)
#define TiB (1024ull * GiB)

const struct wl_desc wl_catalog[] = {
	[WL_SCAN] = {
		.name = "scan",
		.help = "sequential or strided read-modify-write passes over a working set",
		.param_count = 3,
		.params = {
			[WL_SCAN_WSS] = { "wss", 1 * MiB, 4 * KiB, 1 * TiB, "working set, bytes" },
			[WL_SCAN_STRIDE] = { "stride", 8, 8, 1 * GiB, "distance between touched words, bytes (rounded down to 8)" },
			[WL_SCAN_PASSES] = { "passes", 2, 1, 1ull << 32, "passes over the working set" },
		},
	},
	[WL_GUPS] = {
		.name = "gups",
		.help = "random read-modify-write updates of a table (GUPS-like)",
		.param_count = 2,
		.params = {
			[WL_GUPS_WSS] = { "wss", 1 * MiB, 4 * KiB, 1 * TiB, "table size, bytes (rounded down to a power of two)" },
			[WL_GUPS_UPDATES] = { "updates", 200000, 1, 1ull << 40, "random updates" },
		},
	},
	[WL_CHASE] = {
		.name = "chase",
		.help = "pointer chase through one random cycle, one node per 64-byte line",
		.param_count = 2,
		.params = {
			[WL_CHASE_WSS] = { "wss", 1 * MiB, 4 * KiB, 1 * TiB, "working set, bytes (64 per node)" },
			[WL_CHASE_STEPS] = { "steps", 200000, 1, 1ull << 40, "dependent loads" },
		},
	},
	[WL_PTCHURN] = {
		.name = "ptchurn",
		.help = "mmap, touch, munmap in a loop: page-table build and teardown",
		.param_count = 3,
		.params = {
			[WL_PTCHURN_REGIONS] = { "regions", 8, 1, 64, "regions mapped at once" },
			[WL_PTCHURN_PAGES] = { "pages", 32, 1, 1ull << 28, "4 KiB pages per region" },
			[WL_PTCHURN_ROUNDS] = { "rounds", 20, 1, 1ull << 32, "map/touch/unmap rounds" },
		},
	},
	[WL_FORKCHURN] = {
		.name = "forkchurn",
		.help = "fork children that touch copy-on-write pages, exit, and are waited for",
		.param_count = 2,
		.params = {
			[WL_FORKCHURN_CHILDREN] = { "children", 8, 1, 60, "children forked, all alive at once" },
			[WL_FORKCHURN_PAGES] = { "pages", 64, 1, 1ull << 28, "4 KiB pages shared copy-on-write" },
		},
	},
	[WL_CTXSW] = {
		.name = "ctxsw",
		.help = "processes ping-ponging through yield, each touching its own pages",
		.param_count = 3,
		.params = {
			[WL_CTXSW_PROCS] = { "procs", 4, 2, 60, "processes" },
			[WL_CTXSW_ROUNDS] = { "rounds", 1000, 1, 1ull << 32, "yields per process" },
			[WL_CTXSW_WSS] = { "wss", 16 * KiB, 4 * KiB, 1 * TiB, "bytes per process, one word per page touched each round" },
		},
	},
	[WL_MIXED] = {
		.name = "mixed",
		.help = "several processes running different workloads under the timer",
		.param_count = 3,
		.params = {
			[WL_MIXED_PROCS] = { "procs", 5, 1, 16, "processes: scan, gups, chase, ptchurn, forkchurn, repeating" },
			[WL_MIXED_WSS] = { "wss", 256 * KiB, 16 * KiB, 1 * TiB, "working set of each process, bytes" },
			[WL_MIXED_OPS] = { "ops", 50000, 1, 1ull << 40, "updates or steps of the gups and chase processes" },
		},
	},
};

const unsigned wl_catalog_count = sizeof wl_catalog / sizeof wl_catalog[0];

_Static_assert(sizeof wl_catalog / sizeof wl_catalog[0] == WL_COUNT,
	       "one catalog entry per enum wl_id");

static int wl_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Compare the n-byte key at k with the NUL-terminated name. */
static int wl_keyeq(const char *k, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (name[i] != k[i])
			return 0;
	return name[n] == '\0';
}

const struct wl_desc *wl_find(const char *name)
{
	unsigned i;

	for (i = 0; i < wl_catalog_count; i++)
		if (wl_streq(wl_catalog[i].name, name))
			return &wl_catalog[i];
	return NULL;
}

const struct wl_param *wl_find_param(const struct wl_desc *wl, const char *name)
{
	unsigned i;

	for (i = 0; i < wl->param_count; i++)
		if (wl_streq(wl->params[i].name, name))
			return &wl->params[i];
	return NULL;
}

int wl_parse_params(const struct wl_desc *wl, const char *text,
		    uint64_t values[WL_MAX_PARAMS], const char **bad,
		    size_t *bad_len)
{
	const char *p = text;
	unsigned i;

	for (i = 0; i < wl->param_count; i++)
		values[i] = wl->params[i].def;
	for (; i < WL_MAX_PARAMS; i++)
		values[i] = 0;

	while (*p) {
		const char *start, *eq = NULL, *v;
		size_t len;
		uint64_t x = 0;
		int err = 0;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != ' ') {
			if (*p == '=' && !eq)
				eq = p;
			p++;
		}
		len = (size_t)(p - start);
		if (!eq || eq == start || eq + 1 == p) {
			err = -WL_EINVAL;
		} else {
			for (i = 0; i < wl->param_count; i++)
				if (wl_keyeq(start, (size_t)(eq - start), wl->params[i].name))
					break;
			if (i == wl->param_count)
				err = -WL_EINVAL;
			for (v = eq + 1; !err && v < p; v++) {
				if (*v < '0' || *v > '9' ||
				    x > (UINT64_MAX - (uint64_t)(*v - '0')) / 10)
					err = -WL_EINVAL;
				else
					x = x * 10 + (uint64_t)(*v - '0');
			}
			if (!err && (x < wl->params[i].min || x > wl->params[i].max))
				err = -WL_ERANGE;
		}
		if (err) {
			if (bad)
				*bad = start;
			if (bad_len)
				*bad_len = len;
			return err;
		}
		values[i] = x;
	}
	return 0;
}
