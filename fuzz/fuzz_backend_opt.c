/*
 * fuzz/fuzz_backend_opt.c — `--backend-opt` text through the SDK's option
 * parser (sdk/options.c, mv_options_parse) with the real tables of the
 * in-tree backends, taken from their ops (mv_backend_ops.options), as
 * memvirt itself takes them.
 *
 * Input: "BACKEND:TEXT" with BACKEND one of shadow, ept, softtlb, asid;
 * anything else is TEXT for shadow.  Promises held (memvirt/options.h):
 * a refused text leaves the values unchanged and says why on one line;
 * an accepted one has a canonical form that parses back to the same
 * values and formats to itself; the "accepted: ..." text and the
 * canonical text are cut cleanly to any buffer size.
 */
#include <errno.h>

#include "asid/asid.h"
#include "ept/ept.h"
#include "fuzz/fuzz.h"
#include "memvirt/backend.h"
#include "memvirt/options.h"
#include "shadowpt/shadow.h"
#include "softtlb/softtlb.h"

#define MAX_OPTS 64

static bool same_value(const struct mv_option *o, const struct mv_opt_value *a, const struct mv_opt_value *b)
{
	switch (o->type) {
	case MV_OPT_REAL:
		return a->real == b->real;
	case MV_OPT_PAIR:
		return a->u == b->u && a->u2 == b->u2;
	default:
		return a->u == b->u;
	}
}

static void check_truncation(const struct mv_option *opts, size_t n, const struct mv_opt_value *v,
			     size_t cut)
{
	char full[4096], part[4096];
	size_t need, need2;

	need = mv_options_format(opts, n, v, full, sizeof(full));
	FUZZ_CHECK(need < sizeof(full) && strlen(full) == need, "canonical text of %zu bytes", need);
	cut %= need + 2;
	memset(part, 'X', sizeof(part));
	need2 = mv_options_format(opts, n, v, part, cut);
	FUZZ_CHECK(need2 == need, "format needs %zu into %zu bytes, %zu into %zu", need2, cut, need,
		   sizeof(full));
	if (cut)
		FUZZ_CHECK(strlen(part) < cut && !strncmp(part, full, strlen(part)),
			   "'%s' cut to %zu is '%s'", full, cut, part);
	FUZZ_CHECK(part[cut] == 'X', "format wrote past the %zu bytes it was given", cut);
	need = mv_options_accepted(opts, n, full, sizeof(full));
	memset(part, 'X', sizeof(part));
	need2 = mv_options_accepted(opts, n, part, cut);
	FUZZ_CHECK(need2 == need, "accepted text needs %zu, %zu when cut to %zu", need, need2, cut);
	if (cut)
		FUZZ_CHECK(strlen(part) < cut, "accepted text cut to %zu is %zu long", cut, strlen(part));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mv_backend_ops *const backends[] = {
		&shadow_backend_ops, &ept_backend_ops, &softtlb_backend_ops, &asid_backend_ops,
	};
	const struct mv_backend_ops *be = backends[0];
	char *input = fuzz_cstr(data, size), *text = input, *colon = strchr(input, ':');
	struct mv_opt_value v[MAX_OPTS], before[MAX_OPTS], again[MAX_OPTS];
	char err[2048] = "", canon[4096], canon2[4096];
	const struct mv_option *opts;
	size_t n;
	int rc;

	if (colon) {
		for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
			if ((size_t)(colon - input) == strlen(backends[i]->name) &&
			    !strncmp(input, backends[i]->name, (size_t)(colon - input))) {
				be = backends[i];
				text = colon + 1;
			}
	}
	opts = be->options;
	n = be->option_count;
	FUZZ_CHECK(opts && n && n <= MAX_OPTS, "%s: table of %zu", be->name, n);

	mv_options_defaults(opts, n, v);
	memcpy(before, v, n * sizeof(v[0]));
	rc = mv_options_parse(opts, n, text, v, be->name, err, sizeof(err));
	if (rc) {
		FUZZ_CHECK(rc == -EINVAL, "%s: parse returned %d", be->name, rc);
		FUZZ_CHECK(err[0] && !strchr(err, '\n'), "%s: message '%s'", be->name, err);
		FUZZ_CHECK(!memcmp(before, v, n * sizeof(v[0])), "%s: a refused text changed the values",
			   be->name);
		free(input);
		return 0;
	}
	/* The canonical form names the same configuration. */
	mv_options_format(opts, n, v, canon, sizeof(canon));
	mv_options_defaults(opts, n, again);
	rc = mv_options_parse(opts, n, canon, again, be->name, err, sizeof(err));
	FUZZ_CHECK(rc == 0, "%s: canonical '%s' of '%s' refused: %s", be->name, canon, text, err);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(same_value(&opts[i], &v[i], &again[i]), "%s: '%s' and its canonical '%s' differ in %s",
			   be->name, text, canon, opts[i].name);
	mv_options_format(opts, n, again, canon2, sizeof(canon2));
	FUZZ_CHECK(!strcmp(canon, canon2), "%s: canonical '%s' formats as '%s'", be->name, canon, canon2);
	check_truncation(opts, n, v, size);
	if (be == &ept_backend_ops) {
		struct ept_options eo;

		ept_options_default(&eo);
		rc = ept_options_parse(text, &eo, err, sizeof(err));
		FUZZ_CHECK(rc == 0, "ept: '%s' accepted by its table, refused by ept_options_parse: %s", text, err);
	}
	free(input);
	return 0;
}
