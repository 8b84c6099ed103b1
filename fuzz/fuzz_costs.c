/*
 * fuzz/fuzz_costs.c — `--costs NAME=CYCLES,...` (core/costmodel.c,
 * cost_model_override, over the SDK's option parser).
 *
 * Promises held (core/costmodel.h): names must be entries of the model
 * and costs finite numbers from 0 to 1e9, else -EINVAL with a message and
 * the model unchanged; the canonical text of an accepted model (the
 * entries that differ from the defaults) applied to the defaults gives
 * the same model again.
 */
#include <errno.h>
#include <math.h>

#include "core/costmodel.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	struct cost_model m, d, again;
	char err[2048] = "", canon[8192], canon2[8192];
	size_t need;
	int rc;

	cost_model_default(&d);
	cost_model_default(&m);
	rc = cost_model_override(&m, text, err, sizeof(err));
	if (rc) {
		FUZZ_CHECK(rc == -EINVAL, "override returned %d", rc);
		FUZZ_CHECK(err[0] && !strchr(err, '\n'), "message '%s'", err);
		FUZZ_CHECK(!memcmp(&m, &d, sizeof(m)), "a refused '%s' changed the model", text);
		free(text);
		return 0;
	}
	for (size_t i = 0; i < m.count; i++)
		FUZZ_CHECK(isfinite(m.entries[i].cycles) && m.entries[i].cycles >= 0 && m.entries[i].cycles <= 1e9,
			   "%s=%g accepted", m.entries[i].counter, m.entries[i].cycles);
	need = cost_model_canonical(&m, canon, sizeof(canon));
	FUZZ_CHECK(need < sizeof(canon) && strlen(canon) == need, "canonical text of %zu bytes", need);
	cost_model_default(&again);
	rc = cost_model_override(&again, canon, err, sizeof(err));
	FUZZ_CHECK(rc == 0, "canonical '%s' of '%s' refused: %s", canon, text, err);
	for (size_t i = 0; i < m.count; i++)
		FUZZ_CHECK(m.entries[i].cycles == again.entries[i].cycles, "'%s' and its canonical '%s' differ in %s",
			   text, canon, m.entries[i].counter);
	cost_model_canonical(&again, canon2, sizeof(canon2));
	FUZZ_CHECK(!strcmp(canon, canon2), "canonical '%s' gives '%s'", canon, canon2);
	/* Cut to a short buffer: still the same length needed, and a string. */
	{
		char part[64];
		size_t cut = size % sizeof(part);

		memset(part, 'X', sizeof(part));
		FUZZ_CHECK(cost_model_canonical(&m, part, cut) == need, "needed length depends on the buffer");
		if (cut)
			FUZZ_CHECK(strnlen(part, cut) < cut, "canonical text cut to %zu is no string", cut);
	}
	free(text);
	return 0;
}
