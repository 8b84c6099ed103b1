/*
 * vcpu/soft/cpu_exec.c — the soft CPU's run loop, memory access path,
 * instruction fetch with the predecode cache, lazy flags and the
 * non-system instructions.
 *
 * Instruction fetch translates once per fetch block: the run of
 * instructions executed while RIP stays in one virtual page.  A new block
 * starts (one FETCH translation through the MMU) when RIP enters another
 * page, and after anything that can change a translation or its rights:
 * CR0/CR3/CR4/EFER writes, INVLPG, an event delivery, SYSCALL/SYSRET/IRET,
 * and every run entry (the VMM may have flushed the TLB).  This is
 * deterministic: the same instruction stream gives the same translations.
 * An instruction that straddles two pages is fetched with two translations
 * and never cached.
 *
 * Data accesses translate every access through soft_mmu_translate(); an
 * access that crosses a page boundary translates both pages before it
 * touches either, so a fault leaves memory unchanged.  REP MOVS/STOS move
 * page runs with one translation per page run (one TLB access per run).
 *
 * Guest time: every instruction retired counts 1; a REP string
 * instruction counts 1 per iteration (at least 1), so it can be interrupted
 * between iterations like on hardware.
 */
#include "vcpu/soft/cpu_ops.h"
#include "vcpu/soft/cpu_x87.h"
#include "vcpu/soft/miss.h"
#include "vcpu/soft/tlb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The arithmetic flags of lazy kind op over (size, result, sources). */
static uint32_t cc_compute_kind(unsigned op, unsigned sz, uint64_t r, uint64_t a, uint64_t b,
				uint64_t rflags)
{
	uint64_t sb = signbit(sz);
	uint32_t f = szp(r, sz);
	switch (op) {
	case SOFT_CC_ADD:
		if (r < a)
			f |= SOFT_CF;
		if ((a ^ r) & (b ^ r) & sb)
			f |= SOFT_OF;
		f |= (uint32_t)((a ^ b ^ r) & SOFT_AF);
		break;
	case SOFT_CC_SUB:
		if (a < b)
			f |= SOFT_CF;
		if ((a ^ b) & (a ^ r) & sb)
			f |= SOFT_OF;
		f |= (uint32_t)((a ^ b ^ r) & SOFT_AF);
		break;
	case SOFT_CC_LOGIC:
		break;
	case SOFT_CC_INC:
		f |= (uint32_t)b; /* the CF INC keeps */
		if (r == sb)
			f |= SOFT_OF;
		f |= (uint32_t)((a ^ 1 ^ r) & SOFT_AF);
		break;
	case SOFT_CC_DEC:
		f |= (uint32_t)b;
		if (a == sb)
			f |= SOFT_OF;
		f |= (uint32_t)((a ^ 1 ^ r) & SOFT_AF);
		break;
	case SOFT_CC_SHL: {
		unsigned bits = sz * 8;
		bool cf = b <= bits ? (a >> (bits - b)) & 1 : 0;
		if (cf)
			f |= SOFT_CF;
		if (!!(r & sb) != cf)
			f |= SOFT_OF;
		break;
	}
	case SOFT_CC_SHR:
		if ((a >> (b - 1)) & 1)
			f |= SOFT_CF;
		if (a & sb)
			f |= SOFT_OF;
		break;
	case SOFT_CC_SAR: {
		unsigned c1 = b - 1 > 63 ? 63 : (unsigned)b - 1;
		if ((sext(a, sz) >> c1) & 1)
			f |= SOFT_CF;
		break;
	}
	case SOFT_CC_MUL:
		if (b)
			f |= SOFT_CF | SOFT_OF;
		break;
	default:
		return (uint32_t)(rflags & SOFT_ARITH);
	}
	return f;
}

static uint32_t cc_compute(const struct soft_vcpu *v)
{
	if (v->cc_op == SOFT_CC_ROT)
		return (cc_compute_kind(v->cc_rot_kind, v->cc_size, v->cc_res, v->cc_rot_s1,
					v->cc_rot_s2, v->rflags) &
			~(uint32_t)(SOFT_CF | SOFT_OF)) |
		       (uint32_t)v->cc_s2;
	return cc_compute_kind(v->cc_op, v->cc_size, v->cc_res, v->cc_s1, v->cc_s2, v->rflags);
}

uint64_t soft_flags(struct soft_vcpu *v)
{
	if (v->cc_op != SOFT_CC_EAGER) {
		v->rflags = (v->rflags & ~(uint64_t)SOFT_ARITH) | cc_compute(v);
		v->cc_op = SOFT_CC_EAGER;
	}
	return v->rflags;
}

void soft_set_flags(struct soft_vcpu *v, uint64_t rflags)
{
	v->cc_op = SOFT_CC_EAGER;
	v->rflags = rflags | 2;
}

void soft_code_reset(struct soft_machine *m, uint64_t page)
{
	struct soft_code_page *cp = m->code[page];
	if (!cp || cp->n == 0)
		return;
	memset(cp->slot, 0, sizeof(cp->slot));
	cp->n = 0;
	m->code_resets++;
	/* The running block may hold entries of this page: it ends with the
	 * instruction that wrote, blk_synced, a write that reaches here being
	 * made with RIP and the count exact (a VMM's write between runs
	 * changes nothing, each block sets its own end). */
	struct soft_vcpu *l = m->loaded;
	if (l) {
		l->blk_last = l->blk_synced;
		l->blk_icount_end = l->icount + 1;
	}
}

/* Accesses crossing a page: both pages are translated before any byte moves. */
bool soft_cross_access(struct soft_vcpu *v, uint64_t va, unsigned sz, enum soft_access acc,
		       bool user, uint8_t *buf, struct soft_fault *f)
{
	unsigned first = SOFT_PAGE - (unsigned)(va & (SOFT_PAGE - 1));
	uint64_t h0, h1;
	if (!xlate(v, va, acc, user, first, &h0, f))
		return false;
	if (!xlate(v, va + first, acc, user, sz - first, &h1, f))
		return false;
	uint8_t *mem = v->m->mem;
	if (acc == SOFT_ACCESS_WRITE) {
		memcpy(mem + h0, buf, first);
		memcpy(mem + h1, buf + first, sz - first);
	} else {
		memcpy(buf, mem + h0, first);
		memcpy(buf + first, mem + h1, sz - first);
	}
	return true;
}


/* Cache in v->dfast the lookup of e, the entry of the L1 data TLB's
 * 4 KiB set for (va, user) that allows acc, at host address hpa (the
 * hint on 4 KiB pages: soft_mmu_translate() hits it first).  Which other
 * access it allows is the MMU's to say (the same entry is found first
 * for it); a write also needs a page without decoded code (creating a
 * code page moves the gen). */
static inline __attribute__((always_inline)) void dfast_fill(struct soft_vcpu *v, uint64_t va,
							   enum soft_access acc, bool user,
							   struct soft_tlb_entry *e, uint64_t hpa)
{
	struct soft_machine *m = v->m;
	uint64_t hpage = hpa & ~(uint64_t)(SOFT_PAGE - 1);
	if (hpage > m->mem_size - SOFT_PAGE)
		return;
	struct soft_dfast *fe = &v->dfast[(va / SOFT_PAGE) & (SOFT_DFAST - 1)];
	fe->tag = (va / SOFT_PAGE) << 1 | user;
	fe->gen = m->mmu->dtlb.gen;
	fe->e = e;
	fe->host = (uint64_t)(uintptr_t)(m->mem + hpage) - (va & ~(uint64_t)(SOFT_PAGE - 1));
	enum soft_access other = acc == SOFT_ACCESS_READ ? SOFT_ACCESS_WRITE : SOFT_ACCESS_READ;
	fe->rights = 1u << acc;
	if (soft_mmu_entry_allows(m->mmu, e, other, user) &&
	    (other != SOFT_ACCESS_WRITE || !soft_has_code(m, hpage / SOFT_PAGE)))
		fe->rights |= 1u << other;
}

/* soft_host_ptr_fill() after the L1 data TLB's 4 KiB set missed (fill:
 * the way its scan chose): the one-pass miss, when it covers the access,
 * entered here rather than after the full path's second lookup.  A write
 * to a page with decoded code goes the full way, which resets the code
 * with RIP exact; NULL with nothing counted then and when not covered. */
static __attribute__((noinline)) uint8_t *data_miss(struct soft_vcpu *v, uint64_t va,
						    enum soft_access acc, bool user,
						    struct soft_tlb_entry *fill)
{
	struct soft_machine *m = v->m;
	uint64_t hpa;
	struct soft_tlb_entry *e =
		soft_miss_data(m->mmu, va, acc, user, fill, m->code_bits, &hpa);
	if (!e)
		return NULL;
	dfast_fill(v, va, acc, user, e, hpa);
	return m->mem + hpa;
}

uint8_t *soft_host_ptr_fill(struct soft_vcpu *v, uint64_t va, unsigned sz, enum soft_access acc)
{
	struct soft_machine *m = v->m;
	struct soft_mmu *mmu = m->mmu;
	const bool user = v->cpl == 3;
	/* The entry soft_mmu_translate() would hit first (the hint on 4 KiB
	 * pages), found by the scan that also chooses the way a miss fills;
	 * anything else (another hint, rights the entry lacks) takes the
	 * full path with nothing counted. */
	if (unlikely(mmu->dtlb.hint != SOFT_PAGE_4K))
		return NULL;
	struct soft_tlb_entry *fill, *e = soft_tlb_scan_set_4k(&mmu->dtlb, mmu, va, &fill);
	if (!e)
		return data_miss(v, va, acc, user, fill);
	if (unlikely(!soft_mmu_entry_allows(mmu, e, acc, user)))
		return NULL;
	uint64_t hpa = va + e->addend;
	if (unlikely(hpa > m->mem_size - sz))
		return NULL;
	if (acc == SOFT_ACCESS_WRITE && unlikely(soft_has_code(m, hpa / SOFT_PAGE)))
		return NULL;
	dfast_fill(v, va, acc, user, e, hpa);
	soft_mmu_commit_data_hit(mmu, e);
	return m->mem + hpa;
}

/* After a data access of the current mode took the full path and its
 * miss filled the L1 data TLB: cache that lookup, so that the next access
 * to the page (the store after a load, the load after a write probe)
 * hits v->dfast instead of looking again.  Counts nothing. */
static void dfast_note(struct soft_vcpu *v, uint64_t va, unsigned sz, enum soft_access acc)
{
	struct soft_machine *m = v->m;
	const bool user = v->cpl == 3;
	struct soft_tlb_entry *e = soft_mmu_data_filled(m->mmu, va);
	if (!e || (va & (SOFT_PAGE - 1)) + sz > SOFT_PAGE || !soft_mmu_entry_allows(m->mmu, e, acc, user))
		return;
	uint64_t hpa = va + e->addend;
	if (hpa > m->mem_size - sz || (acc == SOFT_ACCESS_WRITE && soft_has_code(m, hpa / SOFT_PAGE)))
		return;
	dfast_fill(v, va, acc, user, e, hpa);
}

__attribute__((noinline)) uint64_t soft_mem_rd_miss(struct soft_vcpu *v, uint64_t va, unsigned sz)
{
	uint8_t *p = host_ptr_miss(v, va, sz, SOFT_ACCESS_READ);
	if (likely(p))
		return ld(p, sz);
	return soft_mem_rd_slow(v, va, sz);
}

__attribute__((noinline)) void soft_mem_wr_miss(struct soft_vcpu *v, uint64_t va, unsigned sz,
						uint64_t val)
{
	uint8_t *p = host_ptr_miss(v, va, sz, SOFT_ACCESS_WRITE);
	if (likely(p))
		st(p, sz, val);
	else
		soft_mem_wr_slow(v, va, sz, val);
}

__attribute__((noinline)) void soft_mem_probe_wr_miss(struct soft_vcpu *v, uint64_t va,
						      unsigned sz)
{
	if (likely(host_ptr_miss(v, va, sz, SOFT_ACCESS_WRITE)))
		return;
	soft_mem_probe_wr_slow(v, va, sz);
}

__attribute__((noinline)) uint64_t soft_mem_rd_slow(struct soft_vcpu *v, uint64_t va, unsigned sz)
{
	uint64_t val;
	struct soft_fault f;
	if (unlikely(!try_rd(v, va, sz, v->cpl == 3, &val, &f)))
		soft_raise_fault(v, &f, SOFT_ACCESS_READ, va, sz);
	dfast_note(v, va, sz, SOFT_ACCESS_READ);
	return val;
}

__attribute__((noinline)) void soft_mem_wr_slow(struct soft_vcpu *v, uint64_t va, unsigned sz,
						uint64_t val)
{
	struct soft_fault f;
	if (unlikely(!try_wr(v, va, sz, v->cpl == 3, val, &f)))
		soft_raise_fault(v, &f, SOFT_ACCESS_WRITE, va, sz);
	dfast_note(v, va, sz, SOFT_ACCESS_WRITE);
}

__attribute__((noinline)) void soft_mem_probe_wr_slow(struct soft_vcpu *v, uint64_t va,
						      unsigned sz)
{
	struct soft_fault f;
	uint64_t hpa;
	if (likely((va & (SOFT_PAGE - 1)) + sz <= SOFT_PAGE)) {
		if (unlikely(!xlate(v, va, SOFT_ACCESS_WRITE, v->cpl == 3, sz, &hpa, &f)))
			soft_raise_fault(v, &f, SOFT_ACCESS_WRITE, va, sz);
		dfast_note(v, va, sz, SOFT_ACCESS_WRITE);
	}
}

uint64_t soft_read(struct soft_vcpu *v, uint64_t va, unsigned size, bool sys)
{
	uint64_t val;
	struct soft_fault f;
	if (!try_rd(v, va, size, !sys && v->cpl == 3, &val, &f))
		soft_raise_fault(v, &f, SOFT_ACCESS_READ, va, size);
	return val;
}

void soft_write(struct soft_vcpu *v, uint64_t va, unsigned size, uint64_t val, bool sys)
{
	struct soft_fault f;
	if (!try_wr(v, va, size, !sys && v->cpl == 3, val, &f))
		soft_raise_fault(v, &f, SOFT_ACCESS_WRITE, va, size);
}

bool soft_try_read(struct soft_vcpu *v, uint64_t va, unsigned size, uint64_t *val,
		   struct soft_fault *f)
{
	return try_rd(v, va, size, false, val, f);
}

bool soft_try_write(struct soft_vcpu *v, uint64_t va, unsigned size, uint64_t val,
		    struct soft_fault *f)
{
	return try_wr(v, va, size, false, val, f);
}

/* ---- instruction fetch ---- */

static struct soft_code_page *code_page(struct soft_machine *m, uint64_t page)
{
	struct soft_code_page *cp = m->code[page];
	if (cp)
		return cp;
	cp = calloc(1, sizeof(*cp));
	if (!cp)
		return NULL;
	m->code[page] = cp;
	m->code_bits[page / 64] |= UINT64_C(1) << (page % 64);
	/* Cached data lookups may allow writes to this page without the
	 * predecode reset (host_ptr()). */
	soft_mmu_lookups_changed(m->mmu);
	return cp;
}

static void fetch_block(struct soft_vcpu *v)
{
	uint64_t hpa;
	struct soft_fault f;
	if (!xlate(v, v->rip, SOFT_ACCESS_FETCH, v->cpl == 3, 1, &hpa, &f))
		soft_raise_fault(v, &f, SOFT_ACCESS_FETCH, v->rip, 1);
	struct soft_code_page *cp = code_page(v->m, hpa / SOFT_PAGE);
	if (!cp) {
		v->exit.reason = ENGINE_EXIT_INTERNAL_ERROR;
		snprintf(v->exit.message, sizeof(v->exit.message),
			 "soft: out of host memory for the predecode cache");
		soft_exit_unwind(v);
	}
	v->fetch_vpage = v->rip / SOFT_PAGE;
	v->fetch_hpage = hpa / SOFT_PAGE;
	v->fetch_cp = cp;
}

/* Longest block decoded in one go: bounds the work done ahead of
 * execution for code that leaves early. */
#define SOFT_BLOCK_MAX 64

/* Decode the instruction at bytes[off..) of the fetch page into *c, with
 * its handler.  Returns its length, -EAGAIN when it straddles the page
 * end, -EILSEQ for an encoding the table does not hold. */
static int decode_one(const uint8_t *page, unsigned off, struct soft_cinsn *c)
{
	int n = soft_decode(page + off, SOFT_PAGE - off, &c->d);
	if (n > 0)
		soft_prepare_insn(c, off);
	return n;
}

/* An instruction at RIP that does not decode (soft_decode()'s codes):
 * too long is #GP(0) and undefined is #UD, as on every x86-64; one that
 * is valid but not implemented here ends the run, naming its bytes (its
 * prefixes, opcode and modrm, the len bytes the decoder looked at), so
 * that the guest never takes a #UD real hardware would not raise. */
static _Noreturn void decode_failed(struct soft_vcpu *v, int rc, const uint8_t *bytes,
				    unsigned len)
{
	if (rc == -E2BIG)
		soft_raise(v, 13, true, 0);
	if (rc != -ENOSYS) {
		v->n_ud++;
		soft_raise(v, 6, false, 0);
	}
	char hex[3 * SOFT_INSN_MAX + 1] = "";
	if (len == 0 || len > SOFT_INSN_MAX)
		len = 1;
	for (unsigned i = 0, at = 0; i < len; i++)
		at += (unsigned)snprintf(hex + at, sizeof(hex) - at, "%s%02x", i ? " " : "", bytes[i]);
	v->exit.reason = ENGINE_EXIT_INTERNAL_ERROR;
	snprintf(v->exit.message, sizeof(v->exit.message),
		 "soft CPU: unimplemented instruction %s at rip %#llx", hex,
		 (unsigned long long)v->rip);
	soft_exit_unwind(v);
}

/* Decode the instruction at RIP when it straddles two pages: fetched
 * with two translations into tmp[0], never cached (tmp[1] ends it). */
static const struct soft_cinsn *fetch_straddling(struct soft_vcpu *v, struct soft_cinsn *tmp)
{
	struct soft_machine *m = v->m;
	unsigned off = (unsigned)(v->rip & (SOFT_PAGE - 1));
	const uint8_t *bytes = m->mem + v->fetch_hpage * SOFT_PAGE + off;
	uint8_t buf[SOFT_INSN_MAX];
	unsigned first = SOFT_PAGE - off;
	uint64_t hpa;
	struct soft_fault f;
	memcpy(buf, bytes, first);
	uint64_t next = (v->rip & ~(uint64_t)(SOFT_PAGE - 1)) + SOFT_PAGE;
	if (!xlate(v, next, SOFT_ACCESS_FETCH, v->cpl == 3, 1, &hpa, &f))
		soft_raise_fault(v, &f, SOFT_ACCESS_FETCH, next, 1);
	unsigned rest = SOFT_INSN_MAX - first;
	if (hpa / SOFT_PAGE * SOFT_PAGE + rest > m->mem_size)
		rest = (unsigned)(m->mem_size - hpa);
	memcpy(buf + first, m->mem + hpa, rest);
	int n = soft_decode(buf, first + rest, &tmp->d);
	if (n < 0)
		decode_failed(v, n, buf, tmp->d.len);
	soft_prepare_insn(tmp, off);
	soft_end_entry(&tmp[1], off + (unsigned)n);
	return tmp;
}

/* Decode the block at RIP (its slot is empty) into the fetch page's
 * cache: instructions up to the first that ends a block, the page's end,
 * an instruction already decoded, one that does not decode (it raises #UD
 * when reached, not before) or SOFT_BLOCK_MAX.  Decoding ahead reads
 * machine memory only: no translation, no counter, no guest-visible
 * effect.  Every block is followed by an end entry (soft_end_entry()).
 * Returns the cached first instruction, or tmp (two entries: the
 * instruction and its end) for one straddling two pages or when the cache
 * cannot grow. */
static const struct soft_cinsn *fetch_decode(struct soft_vcpu *v, struct soft_cinsn *tmp)
{
	struct soft_machine *m = v->m;
	struct soft_code_page *cp = v->fetch_cp;
	const uint8_t *page = m->mem + v->fetch_hpage * SOFT_PAGE;
	unsigned off = (unsigned)(v->rip & (SOFT_PAGE - 1));
	int n = decode_one(page, off, tmp);
	m->decodes++;
	if (n == -EAGAIN)
		return fetch_straddling(v, tmp);
	if (n < 0)
		decode_failed(v, n, page + off, tmp->d.len);
	if (cp->cap - cp->n < SOFT_BLOCK_MAX + 1) {
		uint32_t cap = cp->cap ? cp->cap * 2 : 128;
		struct soft_cinsn *ni = realloc(cp->insns, cap * sizeof(*ni));
		if (!ni) {
			/* Run uncached rather than fail. */
			soft_end_entry(&tmp[1], off + (unsigned)n);
			return tmp;
		}
		cp->insns = ni;
		cp->cap = cap;
	}
	uint32_t first = cp->n, count = 0;
	for (;;) {
		cp->insns[cp->n] = *tmp;
		cp->slot[off] = (uint16_t)(++cp->n);
		count++;
		off += (unsigned)n;
		if (soft_ends_block(&tmp->d) || count == SOFT_BLOCK_MAX || off >= SOFT_PAGE ||
		    cp->slot[off])
			break;
		n = decode_one(page, off, tmp);
		if (n <= 0)
			break;
		m->decodes++;
	}
	soft_end_entry(&cp->insns[cp->n++], off);
	soft_finish_block(&cp->insns[first], count);
	return &cp->insns[first];
}

HOT const struct soft_cinsn *fetch(struct soft_vcpu *v, struct soft_cinsn *tmp)
{
	if (unlikely(v->rip / SOFT_PAGE != v->fetch_vpage))
		fetch_block(v);
	unsigned s = v->fetch_cp->slot[v->rip & (SOFT_PAGE - 1)];
	if (likely(s))
		return &v->fetch_cp->insns[s - 1];
	return fetch_decode(v, tmp);
}

/* ---- instruction groups ---- */

static uint64_t shxd(struct soft_vcpu *v, bool left, unsigned sz, uint64_t a, uint64_t b,
		     unsigned cnt)
{
	unsigned bits = sz * 8;
	uint64_t m = szmask(sz), r;
	cnt &= sz == 8 ? 0x3f : 0x1f;
	if (cnt == 0)
		return a;
	bool cf;
	if (left) {
		/* 16-bit counts above 16 are undefined; shift the 32-bit
		 * concatenation like most hardware. */
		unsigned __int128 x = ((unsigned __int128)a << bits) | b;
		r = (uint64_t)((x << cnt) >> bits) & m;
		cf = (uint64_t)((x << (cnt - 1)) >> (2 * bits - 1)) & 1;
	} else {
		unsigned __int128 x = ((unsigned __int128)b << bits) | a;
		cf = (uint64_t)(x >> (cnt - 1)) & 1;
		r = (uint64_t)(x >> cnt) & m;
	}
	uint32_t f = szp(r, sz) | (cf ? SOFT_CF : 0);
	if ((r ^ a) & signbit(sz))
		f |= SOFT_OF;
	set_arith(v, f);
	return r;
}

/* ---- string instructions ---- */

/* Copy or fill page runs: one translation per run of elements inside one
 * source page and one destination page.  Returns false when the string
 * must stop before finishing (stop_at reached). */
static bool string_op(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	unsigned sz = d->osize;
	bool movs = d->op == SOFT_OP_MOVS;
	bool down = (v->rflags & SOFT_DF) != 0;
	bool user = v->cpl == 3;
	uint8_t *mem = v->m->mem;

	if (!d->rep) {
		if (movs) {
			uint64_t x = mem_rd(v, v->r[6], sz);
			mem_wr(v, v->r[7], sz, x);
			v->r[6] += down ? -(uint64_t)sz : sz;
		} else {
			mem_wr(v, v->r[7], sz, reg_rd(v, 0, sz));
		}
		v->r[7] += down ? -(uint64_t)sz : sz;
		v->icount++;
		return true;
	}
	bool any = false;
	for (;;) {
		if (v->r[1] == 0) {
			if (!any)
				v->icount++;
			return true;
		}
		if (any && v->icount >= v->stop_at)
			return false;
		uint64_t n = v->r[1];
		uint64_t di = v->r[7], si = v->r[6];
		/* Elements that fit in the current pages going up; one going down. */
		if (!down) {
			uint64_t room = (SOFT_PAGE - (di & (SOFT_PAGE - 1))) / sz;
			if (room < n)
				n = room;
			if (movs) {
				room = (SOFT_PAGE - (si & (SOFT_PAGE - 1))) / sz;
				if (room < n)
					n = room;
			}
		} else {
			n = 1;
		}
		if (v->stop_at > v->icount && n > v->stop_at - v->icount)
			n = v->stop_at - v->icount;
		if (n == 0)
			n = 1;
		if (n == 1) {
			if (movs) {
				uint64_t x = mem_rd(v, si, sz);
				mem_wr(v, di, sz, x);
				v->r[6] = si + (down ? -(uint64_t)sz : sz);
			} else {
				mem_wr(v, di, sz, reg_rd(v, 0, sz));
			}
			v->r[7] = di + (down ? -(uint64_t)sz : sz);
		} else {
			uint64_t hd, hs = 0;
			struct soft_fault f;
			if (movs && !xlate(v, si, SOFT_ACCESS_READ, user, (unsigned)(n * sz), &hs, &f))
				soft_raise_fault(v, &f, SOFT_ACCESS_READ, si, sz);
			if (!xlate(v, di, SOFT_ACCESS_WRITE, user, (unsigned)(n * sz), &hd, &f))
				soft_raise_fault(v, &f, SOFT_ACCESS_WRITE, di, sz);
			if (movs && hd > hs && hd < hs + n * sz) {
				/* Overlap ahead of the source: element order matters. */
				for (uint64_t i = 0; i < n * sz; i += sz)
					st(mem + hd + i, sz, ld(mem + hs + i, sz));
				v->r[6] = si + n * sz;
			} else if (movs) {
				memmove(mem + hd, mem + hs, n * sz);
				v->r[6] = si + n * sz;
			} else {
				uint64_t a = reg_rd(v, 0, sz);
				if (sz == 1) {
					memset(mem + hd, (int)a, n);
				} else {
					for (uint64_t i = 0; i < n; i++)
						st(mem + hd + i * sz, sz, a);
				}
			}
			v->r[7] = di + n * sz;
		}
		v->r[1] -= n;
		v->icount += n;
		any = true;
	}
}

/* CMPS and SCAS, an element at a time: their flags are those of the
 * last compare (a CMP of the elements), and REPE/REPNE end the string
 * when ZF says so.  Returns false when the string must stop before
 * finishing (stop_at reached), with RIP on it to go on later. */
static bool compare_string(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	unsigned sz = d->osize;
	uint64_t step = (v->rflags & SOFT_DF) ? -(uint64_t)sz : sz;
	bool cmps = d->op == SOFT_OP_CMPS;
	bool any = false;
	for (;;) {
		if (d->rep && v->r[1] == 0) {
			if (!any)
				v->icount++;
			return true;
		}
		if (any && v->icount >= v->stop_at)
			return false;
		uint64_t a = cmps ? mem_rd(v, v->r[6], sz) : reg_rd(v, 0, sz);
		uint64_t b = mem_rd(v, v->r[7], sz);
		lazy(v, SOFT_CC_SUB, sz, (a - b) & szmask(sz), a, b);
		if (cmps)
			v->r[6] += step;
		v->r[7] += step;
		v->icount++;
		if (!d->rep)
			return true;
		v->r[1]--;
		any = true;
		if ((d->rep == 0xf3) != (a == b))
			return true; /* REPE ends on a difference, REPNE on a match */
	}
}

/* CMPXCHG8B m64 / CMPXCHG16B m128 (REX.W, 16-byte aligned): EDX:EAX
 * (RDX:RAX) against memory; equal: ZF=1 and ECX:EBX (RCX:RBX) stored;
 * else ZF=0, the value loaded into EDX:EAX, and written back unchanged as
 * the locked cycle does.  Like CMPXCHG: a write probe, the read, the
 * write (one access of the operand's size each). */
static void cmpxchg_wide(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	uint64_t addr = ea(v, d);
	uint64_t old[2], val[2];
	bool wide = d->sub == 16;
	unsigned half = wide ? 8 : 4;
	if (wide) {
		if (addr & 15)
			soft_raise(v, 13, true, 0);
		soft_access_n(v, addr, 16, SOFT_ACCESS_WRITE, NULL);
		soft_access_n(v, addr, 16, SOFT_ACCESS_READ, old);
	} else {
		mem_probe_wr(v, addr, 8);
		uint64_t x = mem_rd(v, addr, 8);
		old[0] = (uint32_t)x;
		old[1] = x >> 32;
	}
	bool eq = old[0] == reg_rd(v, 0, half) && old[1] == reg_rd(v, 2, half);
	if (eq) {
		val[0] = reg_rd(v, 3, half);
		val[1] = reg_rd(v, 1, half);
	} else {
		val[0] = old[0];
		val[1] = old[1];
	}
	if (wide)
		soft_access_n(v, addr, 16, SOFT_ACCESS_WRITE, val);
	else
		mem_wr(v, addr, 8, val[0] | val[1] << 32);
	if (!eq) {
		reg_wr(v, 0, half, old[0]);
		reg_wr(v, 2, half, old[1]);
	}
	uint64_t f = soft_flags(v);
	set_arith(v, (uint32_t)((f & SOFT_ARITH & ~(uint64_t)SOFT_ZF) | (eq ? SOFT_ZF : 0)));
}

/* BMI1's VEX-encoded instructions (SDM vol. 2): the result goes to
 * modrm.reg (ANDN, BEXTR) or to VEX.vvvv's register (BLSR, BLSMSK, BLSI),
 * a 32-bit one zero-extended.  OF is cleared and CF too, but for the
 * BLS* ones' (set when the source is zero; BLSI: when it is not); ZF and
 * SF follow the result (BLSMSK's ZF is "cleared": its result is never
 * zero).  What the SDM leaves undefined (AF and PF; BEXTR's SF) is fixed
 * as a logical instruction leaves it, SF and PF from the result and AF
 * clear (as Bochs does), so that runs stay deterministic.  BEXTR takes
 * START from bits 7:0 of its control and LEN from bits 15:8: bits from
 * START up past the operand read as zero, and LEN may exceed it. */
static void bmi1(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	unsigned sz = d->osize, bits = sz * 8, dst = d->vreg;
	uint64_t m = szmask(sz);
	uint64_t src = rm_rd(v, d, sz); /* ANDN's second source, BEXTR's first */
	uint64_t r;
	uint32_t cf = 0;
	switch (d->sub) {
	case SOFT_BMI_ANDN:
		r = ~reg_rd(v, d->vreg, sz) & src & m;
		dst = d->reg;
		break;
	case SOFT_BMI_BLSR:
		r = (src - 1) & src & m;
		cf = src == 0;
		break;
	case SOFT_BMI_BLSMSK:
		r = ((src - 1) ^ src) & m;
		cf = src == 0;
		break;
	case SOFT_BMI_BLSI:
		r = (0 - src) & src & m;
		cf = src != 0;
		break;
	default: { /* BEXTR */
		uint64_t ctl = reg_rd(v, d->vreg, sz);
		unsigned start = (unsigned)(ctl & 0xff), len = (unsigned)(ctl >> 8) & 0xff;
		r = start >= bits ? 0 : src >> start;
		if (len < 64)
			r &= (1ull << len) - 1;
		dst = d->reg;
		break;
	}
	}
	reg_wr(v, dst, sz, r);
	set_arith(v, szp(r, sz) | (cf ? SOFT_CF : 0));
}

/* ---- the executor ---- */

/* Executes one non-system instruction at v->rip.  Returns false when the
 * run must stop (an exit is filled in). */
HOT bool exec(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	unsigned sz = d->osize;
	uint64_t next = v->rip + d->len;
	uint64_t a, b, r, addr = 0;

	switch (d->op) {
	case SOFT_OP_ALU:
	case SOFT_OP_TEST: {
		unsigned dreg;
		bool dmem = false;
		switch (d->opnds) {
		case SOFT_P_GE:
			dreg = d->reg;
			a = reg_rd(v, dreg, sz);
			b = rm_rd(v, d, sz);
			break;
		case SOFT_P_AI:
			dreg = 0;
			a = reg_rd(v, 0, sz);
			b = d->imm & szmask(sz);
			break;
		default: /* EG, EI */
			b = d->opnds == SOFT_P_EG ? reg_rd(v, d->reg, sz) : d->imm & szmask(sz);
			dreg = d->rm;
			if (d->mem) {
				dmem = true;
				addr = ea(v, d);
				if (d->op == SOFT_OP_ALU && d->sub != SOFT_ALU_CMP)
					mem_probe_wr(v, addr, sz);
				a = mem_rd(v, addr, sz);
			} else {
				a = reg_rd(v, dreg, sz);
			}
		}
		if (d->op == SOFT_OP_TEST) {
			lazy(v, SOFT_CC_LOGIC, sz, a & b, a, b);
			break;
		}
		if (d->sub == SOFT_ALU_CMP) {
			lazy(v, SOFT_CC_SUB, sz, (a - b) & szmask(sz), a, b);
			break;
		}
		/* Flags are computed before the store but only become visible
		 * with it: save and restore them if the store faults. */
		if (dmem) {
			uint64_t sf = soft_flags(v);
			r = alu(v, d->sub, sz, a, b);
			struct soft_fault f;
			if (unlikely(!try_wr_cur(v, addr, sz, r, &f))) {
				soft_set_flags(v, sf);
				soft_raise_fault(v, &f, SOFT_ACCESS_WRITE, addr, sz);
			}
		} else {
			r = alu(v, d->sub, sz, a, b);
			reg_wr(v, dreg, sz, r);
		}
		break;
	}
	case SOFT_OP_MOV:
		switch (d->opnds) {
		case SOFT_P_EG:
			a = reg_rd(v, d->reg, sz);
			if (d->mem)
				mem_wr(v, ea(v, d), sz, a);
			else
				reg_wr(v, d->rm, sz, a);
			break;
		case SOFT_P_GE:
			reg_wr(v, d->reg, sz, rm_rd(v, d, sz));
			break;
		case SOFT_P_OI:
			reg_wr(v, d->reg, sz, d->imm);
			break;
		default: /* EI */
			if (d->mem)
				mem_wr(v, ea(v, d), sz, d->imm);
			else
				reg_wr(v, d->rm, sz, d->imm);
		}
		break;
	case SOFT_OP_MOVZX:
		reg_wr(v, d->reg, sz, rm_rd(v, d, d->sub));
		break;
	case SOFT_OP_MOVSX:
		reg_wr(v, d->reg, sz, (uint64_t)sext(rm_rd(v, d, d->sub), d->sub));
		break;
	case SOFT_OP_LEA:
		reg_wr(v, d->reg, sz, ea_noseg(v, d));
		break;
	case SOFT_OP_INC:
	case SOFT_OP_DEC:
	case SOFT_OP_NOT:
	case SOFT_OP_NEG: {
		if (d->mem) {
			addr = ea(v, d);
			mem_probe_wr(v, addr, sz);
			a = mem_rd(v, addr, sz);
		} else {
			a = reg_rd(v, d->rm, sz);
		}
		uint64_t m = szmask(sz);
		r = d->op == SOFT_OP_INC ? (a + 1) & m : d->op == SOFT_OP_DEC ? (a - 1) & m
			: d->op == SOFT_OP_NOT ? ~a & m : (0 - a) & m;
		if (d->mem)
			mem_wr(v, addr, sz, r);
		else
			reg_wr(v, d->rm, sz, r);
		if (d->op == SOFT_OP_INC || d->op == SOFT_OP_DEC) {
			uint64_t cf = cc_cf(v);
			lazy(v, d->op == SOFT_OP_INC ? SOFT_CC_INC : SOFT_CC_DEC, sz, r, a, cf);
		} else if (d->op == SOFT_OP_NEG) {
			lazy(v, SOFT_CC_SUB, sz, r, 0, a);
		}
		break;
	}
	case SOFT_OP_MUL:
	case SOFT_OP_IMUL1: {
		b = rm_rd(v, d, sz);
		bool sgn = d->op == SOFT_OP_IMUL1;
		uint64_t lo, hi;
		bool over;
		if (sz == 8) {
			if (sgn) {
				__int128 p = (__int128)(int64_t)v->r[0] * (int64_t)b;
				lo = (uint64_t)p;
				hi = (uint64_t)(p >> 64);
				over = p != (__int128)(int64_t)lo;
			} else {
				unsigned __int128 p = (unsigned __int128)v->r[0] * b;
				lo = (uint64_t)p;
				hi = (uint64_t)(p >> 64);
				over = hi != 0;
			}
		} else {
			unsigned bits = sz * 8;
			a = reg_rd(v, 0, sz);
			uint64_t p = sgn ? (uint64_t)(sext(a, sz) * sext(b, sz)) : a * b;
			lo = p & szmask(sz);
			hi = (p >> bits) & szmask(sz);
			over = sgn ? (int64_t)p != sext(lo, sz) : hi != 0;
		}
		if (sz == 1) {
			reg_wr(v, 0, 2, lo | (hi << 8));
		} else {
			reg_wr(v, 0, sz, lo);
			reg_wr(v, 2, sz, hi);
		}
		lazy(v, SOFT_CC_MUL, sz, lo, 0, over);
		break;
	}
	case SOFT_OP_IMUL2: {
		b = rm_rd(v, d, sz);
		a = d->opnds == SOFT_P_GEI ? d->imm : reg_rd(v, d->reg, sz);
		__int128 p = (__int128)sext(a, sz) * sext(b, sz);
		uint64_t lo = (uint64_t)p & szmask(sz);
		bool over = p != (__int128)sext(lo, sz);
		reg_wr(v, d->reg, sz, lo);
		lazy(v, SOFT_CC_MUL, sz, lo, 0, over);
		break;
	}
	case SOFT_OP_DIV:
	case SOFT_OP_IDIV: {
		b = rm_rd(v, d, sz);
		if (b == 0)
			soft_raise(v, 0, false, 0);
		unsigned bits = sz * 8;
		uint64_t q, rem;
		if (d->op == SOFT_OP_DIV) {
			unsigned __int128 n = sz == 1 ? reg_rd(v, 0, 2)
				: ((unsigned __int128)reg_rd(v, 2, sz) << bits) | reg_rd(v, 0, sz);
			unsigned __int128 qq = n / b;
			if (qq > szmask(sz))
				soft_raise(v, 0, false, 0);
			q = (uint64_t)qq;
			rem = (uint64_t)(n % b);
		} else {
			__int128 n;
			if (sz == 1)
				n = sext(reg_rd(v, 0, 2), 2);
			else
				n = (__int128)((((unsigned __int128)reg_rd(v, 2, sz) << bits) |
						reg_rd(v, 0, sz)) << (128 - 2 * bits)) >> (128 - 2 * bits);
			__int128 dv = sext(b, sz);
			__int128 lim = (__int128)1 << (bits - 1);
			if (dv == -1 && sz == 8 && n == -((__int128)1 << 126) * 2)
				soft_raise(v, 0, false, 0);
			__int128 qq = n / dv;
			if (qq >= lim || qq < -lim)
				soft_raise(v, 0, false, 0);
			q = (uint64_t)qq & szmask(sz);
			rem = (uint64_t)(n % dv) & szmask(sz);
		}
		if (sz == 1) {
			reg_wr(v, 0, 2, (q & 0xff) | ((rem & 0xff) << 8));
		} else {
			reg_wr(v, 0, sz, q);
			reg_wr(v, 2, sz, rem);
		}
		break;
	}
	case SOFT_OP_SHIFT: {
		unsigned cnt = d->count == SOFT_CNT_1 ? 1 : d->count == SOFT_CNT_CL
			? (unsigned)(v->r[1] & 0xff) : (unsigned)d->imm;
		if (d->mem) {
			addr = ea(v, d);
			mem_probe_wr(v, addr, sz);
			a = mem_rd(v, addr, sz);
			uint64_t saved = soft_flags(v);
			r = shift(v, d->sub, sz, a, cnt);
			struct soft_fault f;
			if (unlikely(!try_wr_cur(v, addr, sz, r, &f))) {
				soft_set_flags(v, saved);
				soft_raise_fault(v, &f, SOFT_ACCESS_WRITE, addr, sz);
			}
		} else {
			r = shift(v, d->sub, sz, reg_rd(v, d->rm, sz), cnt);
			reg_wr(v, d->rm, sz, r);
		}
		break;
	}
	case SOFT_OP_SHLD:
	case SOFT_OP_SHRD: {
		unsigned cnt = d->opnds == SOFT_P_EGC ? (unsigned)(v->r[1] & 0xff) : (unsigned)d->imm;
		b = reg_rd(v, d->reg, sz);
		if (d->mem) {
			addr = ea(v, d);
			mem_probe_wr(v, addr, sz);
			a = mem_rd(v, addr, sz);
			uint64_t saved = soft_flags(v);
			r = shxd(v, d->op == SOFT_OP_SHLD, sz, a, b, cnt);
			struct soft_fault f;
			if (unlikely(!try_wr_cur(v, addr, sz, r, &f))) {
				soft_set_flags(v, saved);
				soft_raise_fault(v, &f, SOFT_ACCESS_WRITE, addr, sz);
			}
		} else {
			r = shxd(v, d->op == SOFT_OP_SHLD, sz, reg_rd(v, d->rm, sz), b, cnt);
			reg_wr(v, d->rm, sz, r);
		}
		break;
	}
	case SOFT_OP_PUSH:
		if (d->opnds == SOFT_P_O)
			a = reg_rd(v, d->reg, sz);
		else if (d->opnds == SOFT_P_I)
			a = d->imm;
		else
			a = rm_rd(v, d, sz);
		push(v, sz, a);
		break;
	case SOFT_OP_POP:
		if (d->opnds == SOFT_P_O) {
			a = mem_rd(v, v->r[4], sz);
			v->r[4] += sz;
			reg_wr(v, d->reg, sz, a);
		} else {
			uint64_t sp = v->r[4];
			a = mem_rd(v, sp, sz);
			if (d->mem) {
				v->r[4] = sp + sz; /* the address uses the incremented RSP */
				addr = ea(v, d);
				v->r[4] = sp;
				mem_wr(v, addr, sz, a);
				v->r[4] = sp + sz;
			} else {
				v->r[4] = sp + sz;
				reg_wr(v, d->rm, sz, a);
			}
		}
		break;
	case SOFT_OP_LEAVE:
		a = mem_rd(v, v->r[5], sz);
		v->r[4] = v->r[5] + sz;
		reg_wr(v, 5, sz, a);
		break;
	case SOFT_OP_CALL:
		push(v, 8, next);
		branch(v, next + d->imm);
		v->icount++;
		return true;
	case SOFT_OP_CALL_IND:
		a = rm_rd(v, d, 8);
		if (unlikely(!canonical(a)))
			soft_raise(v, 13, true, 0);
		push(v, 8, next);
		v->rip = a;
		v->icount++;
		return true;
	case SOFT_OP_RET:
		a = mem_rd(v, v->r[4], 8);
		branch(v, a);
		v->r[4] += 8 + (d->opnds == SOFT_P_I ? d->imm : 0);
		v->icount++;
		return true;
	case SOFT_OP_JMP:
		branch(v, next + d->imm);
		v->icount++;
		return true;
	case SOFT_OP_JMP_IND:
		branch(v, rm_rd(v, d, 8));
		v->icount++;
		return true;
	case SOFT_OP_JCC:
		if (cond(v, d->sub))
			next += d->imm;
		branch(v, next);
		v->icount++;
		return true;
	case SOFT_OP_SETCC: {
		uint64_t c = cond(v, d->sub);
		if (d->mem)
			mem_wr(v, ea(v, d), 1, c);
		else
			reg_wr(v, d->rm, 1, c);
		break;
	}
	case SOFT_OP_CMOV:
		a = rm_rd(v, d, sz);
		if (cond(v, d->sub))
			reg_wr(v, d->reg, sz, a);
		else if (sz == 4)
			reg_wr(v, d->reg, 4, reg_rd(v, d->reg, 4)); /* zero-extends anyway */
		break;
	case SOFT_OP_NOP:
	case SOFT_OP_FENCE:
		break;
	case SOFT_OP_SSE:
		soft_exec_sse(v, d);
		break;
	case SOFT_OP_JRCXZ:
		if ((d->addr32 ? (uint32_t)v->r[1] : v->r[1]) == 0)
			next += d->imm;
		branch(v, next);
		v->icount++;
		return true;
	case SOFT_OP_LAHF:
		reg_wr(v, SOFT_HIBYTE + 0, 1, (soft_flags(v) & 0xd5) | 2);
		break;
	case SOFT_OP_SAHF: {
		uint64_t f = soft_flags(v);
		set_arith(v, (uint32_t)((f & SOFT_OF) | (reg_rd(v, SOFT_HIBYTE + 0, 1) & 0xd5)));
		break;
	}
	case SOFT_OP_XCHG:
		if (d->opnds == SOFT_P_AO) {
			if (d->reg == 0)
				break; /* 90 (and 66 90, 48 90) is NOP: EAX is not zero-extended */
			a = reg_rd(v, 0, sz);
			b = reg_rd(v, d->reg, sz);
			reg_wr(v, 0, sz, b);
			reg_wr(v, d->reg, sz, a);
		} else if (d->mem) {
			addr = ea(v, d);
			mem_probe_wr(v, addr, sz);
			a = mem_rd(v, addr, sz);
			mem_wr(v, addr, sz, reg_rd(v, d->reg, sz));
			reg_wr(v, d->reg, sz, a);
		} else {
			a = reg_rd(v, d->rm, sz);
			b = reg_rd(v, d->reg, sz);
			reg_wr(v, d->rm, sz, b);
			reg_wr(v, d->reg, sz, a);
		}
		break;
	case SOFT_OP_CMPXCHG: {
		if (d->mem) {
			addr = ea(v, d);
			mem_probe_wr(v, addr, sz);
			a = mem_rd(v, addr, sz);
		} else {
			a = reg_rd(v, d->rm, sz);
		}
		uint64_t acc = reg_rd(v, 0, sz);
		if (acc == a) {
			b = reg_rd(v, d->reg, sz);
			if (d->mem)
				mem_wr(v, addr, sz, b);
			else
				reg_wr(v, d->rm, sz, b);
		} else {
			if (d->mem)
				mem_wr(v, addr, sz, a); /* the locked cycle writes back */
			reg_wr(v, 0, sz, a);
		}
		lazy(v, SOFT_CC_SUB, sz, (acc - a) & szmask(sz), acc, a);
		break;
	}
	case SOFT_OP_XADD: {
		b = reg_rd(v, d->reg, sz);
		if (d->mem) {
			addr = ea(v, d);
			mem_probe_wr(v, addr, sz);
			a = mem_rd(v, addr, sz);
			r = (a + b) & szmask(sz);
			mem_wr(v, addr, sz, r);
			reg_wr(v, d->reg, sz, a);
		} else {
			a = reg_rd(v, d->rm, sz);
			r = (a + b) & szmask(sz);
			reg_wr(v, d->reg, sz, a);
			reg_wr(v, d->rm, sz, r);
		}
		lazy(v, SOFT_CC_ADD, sz, r, a, b);
		break;
	}
	case SOFT_OP_BT: {
		unsigned bits = sz * 8;
		uint64_t off = d->opnds == SOFT_P_EI ? d->imm : reg_rd(v, d->reg, sz);
		unsigned bit;
		if (d->mem) {
			addr = ea(v, d);
			if (d->opnds != SOFT_P_EI) {
				/* A register bit offset addresses memory beyond the operand. */
				int64_t so = sext(off, sz);
				addr += (uint64_t)((so >> (sz == 8 ? 6 : sz == 4 ? 5 : 4)) * (int64_t)sz);
			}
			bit = (unsigned)(off & (bits - 1));
			if (d->sub != SOFT_BT_BT)
				mem_probe_wr(v, addr, sz);
			a = mem_rd(v, addr, sz);
		} else {
			bit = (unsigned)(off & (bits - 1));
			a = reg_rd(v, d->rm, sz);
		}
		bool cf = (a >> bit) & 1;
		r = d->sub == SOFT_BT_BTS ? a | (1ull << bit) : d->sub == SOFT_BT_BTR
			? a & ~(1ull << bit) : a ^ (1ull << bit);
		if (d->sub != SOFT_BT_BT) {
			if (d->mem)
				mem_wr(v, addr, sz, r);
			else
				reg_wr(v, d->rm, sz, r);
		}
		uint64_t f = soft_flags(v);
		set_arith(v, (uint32_t)((f & SOFT_ARITH & ~(uint64_t)SOFT_CF) | (cf ? SOFT_CF : 0)));
		break;
	}
	case SOFT_OP_BSF:
	case SOFT_OP_BSR:
	case SOFT_OP_TZCNT:
	case SOFT_OP_LZCNT:
	case SOFT_OP_POPCNT: {
		b = rm_rd(v, d, sz);
		uint32_t f = (uint32_t)(soft_flags(v) & SOFT_ARITH);
		unsigned bits = sz * 8;
		switch (d->op) {
		case SOFT_OP_BSF:
		case SOFT_OP_BSR:
			f &= ~(uint32_t)SOFT_ZF;
			if (b == 0) {
				/* Destination undefined (SDM); like Intel parts and
				 * QEMU it keeps its value, zero-extended at 32 bits. */
				f |= SOFT_ZF;
				reg_wr(v, d->reg, sz, reg_rd(v, d->reg, sz));
			} else {
				reg_wr(v, d->reg, sz, d->op == SOFT_OP_BSF ? (uint64_t)__builtin_ctzll(b)
					: (uint64_t)(63 - __builtin_clzll(b)));
			}
			break;
		case SOFT_OP_TZCNT:
		case SOFT_OP_LZCNT:
			r = b == 0 ? bits : d->op == SOFT_OP_TZCNT ? (uint64_t)__builtin_ctzll(b)
				: (uint64_t)(__builtin_clzll(b) - (64 - bits));
			reg_wr(v, d->reg, sz, r);
			f &= ~(uint32_t)(SOFT_ZF | SOFT_CF);
			if (b == 0)
				f |= SOFT_CF;
			if (r == 0)
				f |= SOFT_ZF;
			break;
		default:
			r = (uint64_t)__builtin_popcountll(b);
			reg_wr(v, d->reg, sz, r);
			f = b == 0 ? SOFT_ZF : 0;
		}
		set_arith(v, f);
		break;
	}
	case SOFT_OP_BSWAP:
		a = reg_rd(v, d->reg, sz);
		if (sz == 8)
			r = __builtin_bswap64(a);
		else if (sz == 4)
			r = __builtin_bswap32((uint32_t)a);
		else
			r = 0; /* undefined for 16 bits; zero like most hardware */
		reg_wr(v, d->reg, sz, r);
		break;
	case SOFT_OP_CBW:
		reg_wr(v, 0, sz, (uint64_t)sext(reg_rd(v, 0, sz / 2), sz / 2));
		break;
	case SOFT_OP_CWD:
		reg_wr(v, 2, sz, (reg_rd(v, 0, sz) & signbit(sz)) ? ~0ull : 0);
		break;
	case SOFT_OP_MOVS:
	case SOFT_OP_STOS:
		if (string_op(v, d))
			v->rip = next;
		return true;
	case SOFT_OP_CMPS:
	case SOFT_OP_SCAS:
		if (compare_string(v, d))
			v->rip = next;
		return true;
	case SOFT_OP_CMPXCHG8B:
		cmpxchg_wide(v, d);
		break;
	case SOFT_OP_BMI1:
		bmi1(v, d);
		break;
	case SOFT_OP_FLAGOP: {
		uint64_t f = soft_flags(v);
		switch (d->sub) {
		case SOFT_FL_CLC: f &= ~(uint64_t)SOFT_CF; break;
		case SOFT_FL_STC: f |= SOFT_CF; break;
		case SOFT_FL_CMC: f ^= SOFT_CF; break;
		case SOFT_FL_CLD: f &= ~(uint64_t)SOFT_DF; break;
		default: f |= SOFT_DF; break;
		}
		v->rflags = f;
		break;
	}
	case SOFT_OP_PUSHF:
		push(v, sz, soft_flags(v) & ~(uint64_t)(SOFT_RF | 0x20000));
		break;
	case SOFT_OP_POPF: {
		a = mem_rd(v, v->r[4], sz);
		uint64_t f = soft_flags(v);
		uint64_t mask = SOFT_ARITH | SOFT_TF | SOFT_DF | SOFT_NT | SOFT_AC | SOFT_ID;
		unsigned iopl = (unsigned)(f >> 12) & 3;
		if (v->cpl == 0)
			mask |= 0x3000; /* IOPL */
		if (v->cpl <= iopl)
			mask |= SOFT_IF;
		if (sz == 2)
			mask &= 0xffff;
		v->r[4] += sz;
		uint64_t nf = (f & ~mask) | (a & mask) | 2;
		if ((nf & SOFT_IF) && !(f & SOFT_IF))
			v->stop_at = 0; /* look for pending interrupts */
		soft_set_flags(v, nf);
		break;
	}
	case SOFT_OP_X87:
		soft_exec_x87(v, d);
		break;
	default:
		/* System instructions retire (or not) by themselves. */
		return !soft_exec_sys(v, d);
	}
	v->rip = next;
	v->icount++;
	return true;
}

/* exec() runs with RIP and the count exact and leaves them so (retiring
 * one count, but as the last of its block). */
bool soft_exec_generic(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	sync_at(v, d);
	if (unlikely(!exec(v, d)))
		return false;
	if (likely(d != v->blk_last)) {
		const struct soft_cinsn *c = cinsn_of(d) + 1;
		return c->fn(v, &c->d);
	}
	return next_block(v);
}

/* ---- the run loop ---- */

/* The hot loop, apart from soft_cpu_run() so that nothing here lives
 * across the setjmp.  Runs a block at a time: as many of its instructions
 * as the budget to stop_at allows (all of them but near an asynchronous
 * event), the first through its handler, which calls the next
 * (next_insn()).  Returns when an exit is filled in; faults unwind past it
 * to soft_cpu_run(). */
static __attribute__((noinline)) void run_loop(struct soft_vcpu *v)
{
	struct soft_cinsn tmp[2];
	for (;;) {
		if (unlikely(v->icount >= v->stop_at)) {
			if (soft_async(v))
				return;
			continue;
		}
		const struct soft_cinsn *c = fetch(v, tmp);
		v->chain_left = SOFT_CHAIN_MAX;
		if (unlikely(!start_block(v, c)))
			return;
	}
}

int soft_cpu_run(struct soft_vcpu *v)
{
	uint32_t in_data = v->exit.io.data; /* the VMM's answer to a pending IN */
	memset(&v->exit, 0, sizeof(v->exit));
	if (v->shutdown) {
		v->exit.reason = ENGINE_EXIT_SHUTDOWN;
		snprintf(v->exit.message, sizeof(v->exit.message),
			 "soft: the vCPU was shut down by a triple fault; reset its state to run again");
		return 0;
	}
	soft_load_mmu(v);
	v->mmu = v->m->mmu;
	v->fetch_vpage = SOFT_NEVER;
	v->stop_at = 0;

	int why = setjmp(v->unwind);
	if (why == SOFT_UNWIND_EXC) {
		v->fetch_vpage = SOFT_NEVER;
		soft_deliver_event(v, v->exc_vec, v->exc_has_err, v->exc_err, v->exc_cr2,
				   SOFT_EV_EXC, v->rip);
		if (v->exit.reason != ENGINE_EXIT_NONE)
			goto out;
	} else if (why == SOFT_UNWIND_EXIT) {
		goto out;
	} else {
		/* Complete an IN the VMM has answered. */
		if (v->in_pending) {
			v->in_pending = false;
			reg_wr(v, 0, v->in_size, in_data);
			v->rip = v->in_next_rip;
			v->icount++;
		}
		if (v->inj_pending && v->inj_shutdown) {
			v->inj_pending = v->inj_shutdown = v->inj_redeliver = false;
			soft_triple_fault(v, 8, v->inj_shutdown_second);
			goto out;
		}
		if (v->inj_pending) {
			v->inj_pending = false;
			v->inj_redeliver = false;
			v->inj_delivering = true;
			soft_deliver_event(v, v->inj_vec, v->inj_has_err, v->inj_err, v->inj_cr2,
					   (enum soft_event_kind)v->inj_kind, v->rip);
			v->inj_kind = SOFT_EV_EXC;
			if (v->exit.reason != ENGINE_EXIT_NONE)
				goto out;
		}
	}

	run_loop(v);
out:
	v->n_exits[v->exit.reason < ENGINE_EXIT__COUNT ? v->exit.reason : 0]++;
	return 0;
}

void soft_cpu_reset(struct soft_vcpu *v)
{
	memset(v->r, 0, sizeof(v->r));
	v->rip = 0;
	v->rflags = 2;
	v->cc_op = SOFT_CC_EAGER;
	v->halted = v->shutdown = v->in_pending = v->inj_pending = false;
	v->inj_redeliver = v->inj_shutdown = false;
	v->quantum_end = v->limit = SOFT_NEVER;
	v->fetch_vpage = SOFT_NEVER;
	soft_apic_reset(&v->apic);
	soft_fpu_reset(&v->fpu);
}
