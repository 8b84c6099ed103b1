/*
 * fuzz/fuzz_decode.c — the soft CPU's x86-64 decoder (vcpu/soft/decode.c)
 * on arbitrary bytes.  The input is the bytes at RIP, avail = its length.
 *
 * Promises held (vcpu/soft/insn.h, and what cpu_exec.c's fetch relies on):
 * - the result is a length 1..15 with *out filled, -EAGAIN, -EILSEQ, -E2BIG or -ENOSYS;
 * - a decoded instruction reads nothing past its own bytes: decoding just
 *   those bytes gives the same instruction;
 * - decoding never looks past SOFT_INSN_MAX bytes: the first 15 bytes
 *   decide, and -EAGAIN ("fetch more and retry") only comes with fewer
 *   than 15 bytes available — the fetch path's straddle buffer holds 15.
 */
#include <errno.h>

#include "fuzz/fuzz.h"
#include "vcpu/soft/insn.h"

static void check_insn(int r, const struct soft_dinsn *d, size_t avail)
{
	FUZZ_CHECK(r > 0 || r == -EAGAIN || r == -EILSEQ || r == -E2BIG || r == -ENOSYS,
		   "result %d with %zu bytes", r, avail);
	if (r <= 0)
		return;
	FUZZ_CHECK((size_t)r <= avail && r <= SOFT_INSN_MAX, "length %d with %zu bytes", r, avail);
	FUZZ_CHECK(d->len == r, "len %u, returned %d", d->len, r);
	FUZZ_CHECK(d->form < soft_form_count, "form %u of %u", d->form, soft_form_count);
	FUZZ_CHECK(d->op == soft_forms[d->form].op, "op %u, form %u's op %u", d->op, d->form,
		   soft_forms[d->form].op);
	FUZZ_CHECK(d->osize == 1 || d->osize == 2 || d->osize == 4 || d->osize == 8, "osize %u",
		   d->osize);
	FUZZ_CHECK(d->mem <= 1 && d->scale <= 3, "mem %u scale %u", d->mem, d->scale);
	if (d->mem)
		FUZZ_CHECK(d->base < 16 || d->base == SOFT_NOREG || d->base == SOFT_RIPREL,
			   "base %u", d->base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct soft_dinsn d, again;
	int r, r2;

	memset(&d, 0, sizeof(d));
	r = soft_decode(data, size, &d);
	check_insn(r, &d, size);
	FUZZ_CHECK(r != -EAGAIN || size < SOFT_INSN_MAX,
		   "-EAGAIN with %zu bytes available: the caller's fetch buffer holds %d", size,
		   SOFT_INSN_MAX);
	if (r > 0) {
		memset(&again, 0, sizeof(again));
		r2 = soft_decode(data, (size_t)r, &again);
		FUZZ_CHECK(r2 == r && !memcmp(&d, &again, sizeof(d)),
			   "%d bytes decode as %d, their first %d as %d (or differently)", (int)size, r, r, r2);
	}
	if (size > SOFT_INSN_MAX) {
		memset(&again, 0, sizeof(again));
		r2 = soft_decode(data, SOFT_INSN_MAX, &again);
		FUZZ_CHECK(r2 == r && (r <= 0 || !memcmp(&d, &again, sizeof(d))),
			   "%zu bytes decode as %d, their first %d as %d", size, r, SOFT_INSN_MAX, r2);
	}
	return 0;
}
