/*
 * analysis/palette.c — fixed plot colours (see palette.h).
 */
#include "analysis/palette.h"

#include <string.h>

#include "core/costmodel.h"

static const struct {
	const char *backend, *colour;
} backend_colours[] = {
	{"native", "#4d4d4d"}, {"shadow", "#1f77b4"}, {"ept", "#d62728"}, {"softtlb", "#2ca02c"},
	{"asid", "#ff7f0e"}, {"kvm-shadow", "#17becf"},
};

/* For backends the table does not know: none of the colours above. */
static const char *const other_colours[] = {
	"#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#7f7fff", "#006d2c", "#a50f15", "#636363",
};

/* Twenty colours that stay apart side by side (stacked bars). */
static const char *const cause_colours[] = {
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
	"#9c755f", "#bab0ac", "#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
	"#a6761d", "#666666", "#8dd3c7", "#fb8072",
};

const char *an_backend_colour(const char *backend)
{
	unsigned h = 5381;

	for (size_t i = 0; i < sizeof(backend_colours) / sizeof(backend_colours[0]); i++)
		if (!strcmp(backend, backend_colours[i].backend))
			return backend_colours[i].colour;
	for (const char *p = backend; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return other_colours[h % (sizeof(other_colours) / sizeof(other_colours[0]))];
}

size_t an_cause_rank(const char *cause)
{
	const char *causes[COST_MAX_ENTRIES];
	size_t n = cost_model_causes(causes, COST_MAX_ENTRIES);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(causes[i], cause))
			return i;
	return n;
}

const char *an_cause_colour(const char *cause)
{
	size_t rank = an_cause_rank(cause);

	return cause_colours[rank % (sizeof(cause_colours) / sizeof(cause_colours[0]))];
}

int an_cause_cmp(const void *pa, const void *pb)
{
	const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
	size_t ra = an_cause_rank(a), rb = an_cause_rank(b);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp(a, b);
}
