/*
 * vcpu/soft/cpu_ops.h — the soft CPU's hot helpers: register and flag
 * access, the lazy-flag writers and condition evaluation, the data access
 * path through the MMU (with the predecode invalidation of written code
 * pages), effective addresses, the stack, and the ALU.  Internal to the
 * CPU: shared by the generic executor (cpu_exec.c) and the handlers
 * specialised per instruction form (cpu_fast.c), so that both compute
 * every result, flag and memory access the same way.
 *
 * Everything here is forced inline: called with constant sizes and
 * access kinds, each use folds into straight-line code.  A fault unwinds
 * (soft_raise_fault) with no architectural state changed.
 */
#ifndef MEMVIRT_VCPU_SOFT_CPU_OPS_H
#define MEMVIRT_VCPU_SOFT_CPU_OPS_H

#include <stddef.h>
#include <string.h>

#include "vcpu/soft/cpu.h"


#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
/* Hot-path helpers are forced inline into the run loop. */
#define HOT static inline __attribute__((always_inline))

static inline uint64_t szmask(unsigned sz)
{
	return sz == 8 ? ~0ull : (1ull << (sz * 8)) - 1;
}

static inline uint64_t signbit(unsigned sz)
{
	return 1ull << (sz * 8 - 1);
}

static inline int64_t sext(uint64_t x, unsigned sz)
{
	unsigned sh = 64 - sz * 8;
	return (int64_t)(x << sh) >> sh;
}

static inline bool canonical(uint64_t a)
{
	return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

/* ---- registers ---- */

HOT uint64_t reg_rd(const struct soft_vcpu *v, unsigned r, unsigned sz)
{
	if (r >= SOFT_HIBYTE)
		return (v->r[r - SOFT_HIBYTE] >> 8) & 0xff;
	return v->r[r] & szmask(sz);
}

/* A register at 2, 4 or 8 bytes: the AH..BH encodings only come with
 * byte operands, so r < 16 (the specialised handlers' sizes; their
 * selection, select_fast(), checks it). */
HOT uint64_t reg_rd_w(const struct soft_vcpu *v, unsigned r, unsigned sz)
{
	return v->r[r] & szmask(sz);
}

HOT void reg_wr(struct soft_vcpu *v, unsigned r, unsigned sz, uint64_t val)
{
	switch (sz) {
	case 1:
		if (r >= SOFT_HIBYTE) {
			uint64_t *p = &v->r[r - SOFT_HIBYTE];
			*p = (*p & ~0xff00ull) | ((val & 0xff) << 8);
		} else {
			v->r[r] = (v->r[r] & ~0xffull) | (val & 0xff);
		}
		break;
	case 2:
		v->r[r] = (v->r[r] & ~0xffffull) | (val & 0xffff);
		break;
	case 4:
		v->r[r] = (uint32_t)val;
		break;
	default:
		v->r[r] = val;
	}
}

/* ---- flags ---- */

HOT uint32_t szp(uint64_t res, unsigned sz)
{
	uint32_t f = 0;
	if (res == 0)
		f |= SOFT_ZF;
	if (res & signbit(sz))
		f |= SOFT_SF;
	if (!__builtin_parity((unsigned)(res & 0xff)))
		f |= SOFT_PF;
	return f;
}

/* CF alone, without materializing the other flags (INC/DEC, ADC/SBB). */
HOT uint64_t cc_cf(struct soft_vcpu *v)
{
	switch (v->cc_op) {
	case SOFT_CC_ADD: return v->cc_res < v->cc_s1;
	case SOFT_CC_SUB: return v->cc_s1 < v->cc_s2;
	case SOFT_CC_LOGIC: return 0;
	case SOFT_CC_INC:
	case SOFT_CC_DEC: return v->cc_s2 & 1;
	case SOFT_CC_ROT: return v->cc_s2 & SOFT_CF;
	/* As cc_compute() finds them, without the other flags. */
	case SOFT_CC_MUL: return v->cc_s2 != 0;
	case SOFT_CC_SHL: {
		unsigned bits = v->cc_size * 8;
		return v->cc_s2 <= bits ? (v->cc_s1 >> (bits - v->cc_s2)) & 1 : 0;
	}
	case SOFT_CC_SHR: return (v->cc_s1 >> (v->cc_s2 - 1)) & 1;
	default: return soft_flags(v) & SOFT_CF;
	}
}

HOT void set_arith(struct soft_vcpu *v, uint32_t f)
{
	v->cc_op = SOFT_CC_EAGER;
	v->rflags = (v->rflags & ~(uint64_t)SOFT_ARITH) | f;
}

HOT void lazy(struct soft_vcpu *v, unsigned op, unsigned sz, uint64_t res, uint64_t a,
			uint64_t b)
{
	v->cc_op = op;
	v->cc_size = sz;
	v->cc_res = res;
	v->cc_s1 = a;
	v->cc_s2 = b;
}

HOT bool cond(struct soft_vcpu *v, unsigned cc)
{
	bool r;
	/* Every lazy kind derives ZF and SF from the result alone. */
	if (v->cc_op != SOFT_CC_EAGER && ((cc >> 1) == 2 || (cc >> 1) == 4)) {
		r = (cc >> 1) == 2 ? v->cc_res == 0 : (v->cc_res & signbit(v->cc_size)) != 0;
		return r ^ (cc & 1);
	}
	if (v->cc_op == SOFT_CC_SUB) {
		uint64_t a = v->cc_s1, b = v->cc_s2;
		unsigned sz = v->cc_size;
		switch (cc >> 1) {
		case 1: r = a < b; return r ^ (cc & 1);
		case 2: r = a == b; return r ^ (cc & 1);
		case 3: r = a <= b; return r ^ (cc & 1);
		case 6: r = sext(a, sz) < sext(b, sz); return r ^ (cc & 1);
		case 7: r = sext(a, sz) <= sext(b, sz); return r ^ (cc & 1);
		default: break;
		}
	} else if (v->cc_op == SOFT_CC_LOGIC) {
		uint64_t res = v->cc_res;
		bool neg = (res & signbit(v->cc_size)) != 0;
		switch (cc >> 1) {
		case 1: return cc & 1;
		case 2: case 3: r = res == 0; return r ^ (cc & 1);
		case 4: case 6: r = neg; return r ^ (cc & 1);
		case 7: r = res == 0 || neg; return r ^ (cc & 1);
		default: break;
		}
	}
	uint64_t f = soft_flags(v);
	switch (cc >> 1) {
	case 0: r = f & SOFT_OF; break;
	case 1: r = f & SOFT_CF; break;
	case 2: r = f & SOFT_ZF; break;
	case 3: r = f & (SOFT_CF | SOFT_ZF); break;
	case 4: r = f & SOFT_SF; break;
	case 5: r = f & SOFT_PF; break;
	case 6: r = !(f & SOFT_SF) != !(f & SOFT_OF); break;
	default: r = (f & SOFT_ZF) || (!(f & SOFT_SF) != !(f & SOFT_OF)); break;
	}
	return r ^ (cc & 1);
}

/* ---- memory ---- */

HOT uint64_t ld(const uint8_t *p, unsigned sz)
{
	switch (sz) {
	case 1: return *p;
	case 2: { uint16_t x; memcpy(&x, p, 2); return x; }
	case 4: { uint32_t x; memcpy(&x, p, 4); return x; }
	default: { uint64_t x; memcpy(&x, p, 8); return x; }
	}
}

HOT void st(uint8_t *p, unsigned sz, uint64_t v)
{
	switch (sz) {
	case 1: *p = (uint8_t)v; break;
	case 2: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
	default: memcpy(p, &v, 8); break;
	}
}

/* Translate one access that stays inside a page.  false with *f on a fault.
 * The full translation: the common data accesses have been tried by
 * host_ptr() already, and the slow path counts a hit as the inline one. */
HOT bool xlate(struct soft_vcpu *v, uint64_t va, enum soft_access acc, bool user,
			 unsigned sz, uint64_t *hpa, struct soft_fault *f)
{
	struct soft_machine *m = v->m;
	if (unlikely(!soft_mmu_translate_slow(m->mmu, va, acc, user, hpa, f)))
		return false;
	if (unlikely(*hpa > m->mem_size - sz)) {
		/* The MMU must not hand out an HPA outside machine memory; treat
		 * one as an access to nothing rather than touch host memory. */
		*f = (struct soft_fault){ .kind = SOFT_FAULT_PHYS, .addr = *hpa, .gva = va };
		return false;
	}
	if (acc == SOFT_ACCESS_WRITE && unlikely(soft_has_code(m, *hpa / SOFT_PAGE)))
		soft_code_reset(m, *hpa / SOFT_PAGE);
	return true;
}


/* Accesses crossing a page (cpu_exec.c): both pages are translated before
 * any byte moves. */
bool soft_cross_access(struct soft_vcpu *v, uint64_t va, unsigned sz, enum soft_access acc,
		       bool user, uint8_t *buf, struct soft_fault *f);

HOT bool try_rd(struct soft_vcpu *v, uint64_t va, unsigned sz, bool user, uint64_t *val,
			  struct soft_fault *f)
{
	uint64_t hpa;
	if (likely((va & (SOFT_PAGE - 1)) + sz <= SOFT_PAGE)) {
		if (!xlate(v, va, SOFT_ACCESS_READ, user, sz, &hpa, f))
			return false;
		*val = ld(v->m->mem + hpa, sz);
		return true;
	}
	uint8_t buf[8] = { 0 };
	if (!soft_cross_access(v, va, sz, SOFT_ACCESS_READ, user, buf, f))
		return false;
	*val = ld(buf, sz);
	return true;
}

HOT bool try_wr(struct soft_vcpu *v, uint64_t va, unsigned sz, bool user, uint64_t val,
			  struct soft_fault *f)
{
	uint64_t hpa;
	if (likely((va & (SOFT_PAGE - 1)) + sz <= SOFT_PAGE)) {
		if (!xlate(v, va, SOFT_ACCESS_WRITE, user, sz, &hpa, f))
			return false;
		st(v->m->mem + hpa, sz, val);
		return true;
	}
	uint8_t buf[8];
	st(buf, sz, val);
	return soft_cross_access(v, va, sz, SOFT_ACCESS_WRITE, user, buf, f);
}

/* The common data access of the current mode: inside one page, a hit in
 * the L1 data TLB's 4 KiB set that allows it, machine memory, and (a
 * write) no page with decoded code.  Returns the host address with the
 * hit counted exactly as soft_mmu_translate() counts it; NULL, with
 * nothing counted or changed, for anything else: the caller then takes
 * the full path, which does it all again.  The page's lookup is cached
 * (v->dfast); soft_host_ptr_fill() looks up and fills. */
uint8_t *soft_host_ptr_fill(struct soft_vcpu *v, uint64_t va, unsigned sz, enum soft_access acc);

/* host_ptr()'s inline part: the cached lookup of va's page allows acc.
 * The tag compared is that of the access's last byte: equal to the
 * entry's, it says that the access stays in the page (an entry sits in
 * its own page's slot, so the next page's tag is never in this one's).
 * true with *p and the hit counted; false with nothing counted. */
HOT bool dfast_hit(struct soft_vcpu *v, uint64_t va, unsigned sz, enum soft_access acc,
		   uint8_t **p)
{
	struct soft_mmu *mmu = v->mmu;
	const struct soft_dfast *fe = &v->dfast[(va / SOFT_PAGE) & (SOFT_DFAST - 1)];
	/* (cpl + 1) >> 2: cpl == 3 without a compare, cpl being 0..3. */
	if (likely(fe->tag == (((va + sz - 1) / SOFT_PAGE) << 1 | ((v->cpl + 1) >> 2)) &&
		   fe->gen == mmu->dtlb.gen && (fe->rights & (1u << acc)))) {
		soft_mmu_commit_data_hit(mmu, fe->e);
		*p = (uint8_t *)(uintptr_t)(va + fe->host);
		return true;
	}
	return false;
}

/* host_ptr() after dfast_hit() missed. */
HOT uint8_t *host_ptr_miss(struct soft_vcpu *v, uint64_t va, unsigned sz, enum soft_access acc)
{
	if (unlikely((va & (SOFT_PAGE - 1)) + sz > SOFT_PAGE))
		return NULL;
	return soft_host_ptr_fill(v, va, sz, acc);
}

HOT uint8_t *host_ptr(struct soft_vcpu *v, uint64_t va, unsigned sz, enum soft_access acc)
{
	uint8_t *p;
	if (likely(dfast_hit(v, va, sz, acc, &p)))
		return p;
	return host_ptr_miss(v, va, sz, acc);
}

/* The full paths of mem_rd / mem_wr / mem_probe_wr (cpu_exec.c), out of
 * line so that the handlers' fast paths stay short: *_miss after a miss
 * of dfast_hit() (host_ptr_miss(), then *_slow), *_slow after one of
 * host_ptr(). */
uint64_t soft_mem_rd_miss(struct soft_vcpu *v, uint64_t va, unsigned sz);
void soft_mem_wr_miss(struct soft_vcpu *v, uint64_t va, unsigned sz, uint64_t val);
void soft_mem_probe_wr_miss(struct soft_vcpu *v, uint64_t va, unsigned sz);
uint64_t soft_mem_rd_slow(struct soft_vcpu *v, uint64_t va, unsigned sz);
void soft_mem_wr_slow(struct soft_vcpu *v, uint64_t va, unsigned sz, uint64_t val);
void soft_mem_probe_wr_slow(struct soft_vcpu *v, uint64_t va, unsigned sz);

HOT uint64_t mem_rd(struct soft_vcpu *v, uint64_t va, unsigned sz)
{
	uint8_t *p;
	if (likely(dfast_hit(v, va, sz, SOFT_ACCESS_READ, &p)))
		return ld(p, sz);
	return soft_mem_rd_miss(v, va, sz);
}

HOT void mem_wr(struct soft_vcpu *v, uint64_t va, unsigned sz, uint64_t val)
{
	uint8_t *p;
	if (likely(dfast_hit(v, va, sz, SOFT_ACCESS_WRITE, &p)))
		st(p, sz, val);
	else
		soft_mem_wr_miss(v, va, sz, val);
}

/* A read-modify-write destination must be writable before it is read:
 * check the write translation first so that a fault reports W=1.  (A
 * destination crossing a page is checked by the store's own two
 * translations.) */
HOT void mem_probe_wr(struct soft_vcpu *v, uint64_t va, unsigned sz)
{
	uint8_t *p;
	if (likely(dfast_hit(v, va, sz, SOFT_ACCESS_WRITE, &p)))
		return;
	soft_mem_probe_wr_miss(v, va, sz);
}

/* The store of a read-modify-write whose flags must be put back when it
 * faults: false with *f then. */
HOT bool try_wr_cur(struct soft_vcpu *v, uint64_t va, unsigned sz, uint64_t val,
		    struct soft_fault *f)
{
	uint8_t *p = host_ptr(v, va, sz, SOFT_ACCESS_WRITE);
	if (likely(p)) {
		st(p, sz, val);
		return true;
	}
	return try_wr(v, va, sz, v->cpl == 3, val, f);
}

/* ---- operands ---- */

HOT uint64_t ea_noseg(const struct soft_vcpu *v, const struct soft_dinsn *d)
{
	uint64_t a = (uint64_t)(int64_t)d->disp;
	if (d->base == SOFT_RIPREL)
		a += v->rip + d->len;
	else if (d->base != SOFT_NOREG)
		a += v->r[d->base];
	if (d->index != SOFT_NOREG)
		a += v->r[d->index] << d->scale;
	if (unlikely(d->addr32))
		a = (uint32_t)a;
	return a;
}

HOT uint64_t ea(const struct soft_vcpu *v, const struct soft_dinsn *d)
{
	uint64_t a = ea_noseg(v, d);
	if (unlikely(d->seg))
		a += v->seg[d->seg == SOFT_SEG_FS ? SOFT_FS : SOFT_GS].base;
	return a;
}

/* Read the r/m operand at size sz. */
HOT uint64_t rm_rd(struct soft_vcpu *v, const struct soft_dinsn *d, unsigned sz)
{
	if (d->mem)
		return mem_rd(v, ea(v, d), sz);
	return reg_rd(v, d->rm, sz);
}

HOT void push(struct soft_vcpu *v, unsigned sz, uint64_t val)
{
	uint64_t sp = v->r[4] - sz;
	mem_wr(v, sp, sz, val);
	v->r[4] = sp;
}

HOT uint64_t pop(struct soft_vcpu *v, unsigned sz)
{
	uint64_t val = mem_rd(v, v->r[4], sz);
	v->r[4] += sz;
	return val;
}

HOT void branch(struct soft_vcpu *v, uint64_t target)
{
	if (unlikely(!canonical(target)))
		soft_raise(v, 13, true, 0);
	v->rip = target;
}

HOT uint64_t alu(struct soft_vcpu *v, unsigned op, unsigned sz, uint64_t a, uint64_t b)
{
	uint64_t m = szmask(sz), r;
	switch (op) {
	case SOFT_ALU_ADD:
		r = (a + b) & m;
		lazy(v, SOFT_CC_ADD, sz, r, a, b);
		return r;
	case SOFT_ALU_OR:
		r = a | b;
		lazy(v, SOFT_CC_LOGIC, sz, r, a, b);
		return r;
	case SOFT_ALU_AND:
		r = a & b;
		lazy(v, SOFT_CC_LOGIC, sz, r, a, b);
		return r;
	case SOFT_ALU_XOR:
		r = a ^ b;
		lazy(v, SOFT_CC_LOGIC, sz, r, a, b);
		return r;
	case SOFT_ALU_SUB:
	case SOFT_ALU_CMP:
		r = (a - b) & m;
		lazy(v, SOFT_CC_SUB, sz, r, a, b);
		return r;
	case SOFT_ALU_ADC: {
		uint64_t c = cc_cf(v);
		r = (a + b + c) & m;
		uint32_t f = szp(r, sz);
		if (c ? r <= a : r < a)
			f |= SOFT_CF;
		if ((a ^ r) & (b ^ r) & signbit(sz))
			f |= SOFT_OF;
		f |= (uint32_t)((a ^ b ^ r) & SOFT_AF);
		set_arith(v, f);
		return r;
	}
	default: { /* SBB */
		uint64_t c = cc_cf(v);
		r = (a - b - c) & m;
		uint32_t f = szp(r, sz);
		if (c ? a <= b : a < b)
			f |= SOFT_CF;
		if ((a ^ b) & (a ^ r) & signbit(sz))
			f |= SOFT_OF;
		f |= (uint32_t)((a ^ b ^ r) & SOFT_AF);
		set_arith(v, f);
		return r;
	}
	}
}


/* A rotate's flags: CF and OF set to cfof, the others kept (lazily when
 * they are lazy, see SOFT_CC_ROT). */
HOT void rot_flags(struct soft_vcpu *v, uint32_t cfof)
{
	switch (v->cc_op) {
	case SOFT_CC_EAGER:
		v->rflags = (v->rflags & ~(uint64_t)(SOFT_CF | SOFT_OF)) | cfof;
		break;
	case SOFT_CC_ROT:
		v->cc_s2 = cfof;
		break;
	default:
		v->cc_rot_kind = v->cc_op;
		v->cc_rot_s1 = v->cc_s1;
		v->cc_rot_s2 = v->cc_s2;
		v->cc_s2 = cfof;
		v->cc_op = SOFT_CC_ROT;
		break;
	}
}

/* Shifts and rotates of a (sz bytes) by the raw count; returns the result
 * and updates flags as the SDM says (count 0: nothing changes). */
HOT uint64_t shift(struct soft_vcpu *v, unsigned kind, unsigned sz, uint64_t a, unsigned cnt)
{
	unsigned bits = sz * 8;
	uint64_t m = szmask(sz), sb = signbit(sz), r;
	cnt &= sz == 8 ? 0x3f : 0x1f;
	if (cnt == 0)
		return a;
	/* Shifts leave their flags lazy (cc_compute: SHL/SHR/SAR). */
	switch (kind) {
	case SOFT_SH_SHL:
	case SOFT_SH_SAL:
		r = (a << cnt) & m;
		lazy(v, SOFT_CC_SHL, sz, r, a, cnt);
		return r;
	case SOFT_SH_SHR:
		r = a >> cnt;
		lazy(v, SOFT_CC_SHR, sz, r, a, cnt);
		return r;
	case SOFT_SH_SAR:
		r = (uint64_t)(sext(a, sz) >> cnt) & m;
		lazy(v, SOFT_CC_SAR, sz, r, a, cnt);
		return r;
	case SOFT_SH_ROL:
	case SOFT_SH_ROR: {
		unsigned e = cnt % bits;
		uint32_t cfof = 0;
		if (kind == SOFT_SH_ROL) {
			r = e ? ((a << e) | (a >> (bits - e))) & m : a;
			if (r & 1)
				cfof |= SOFT_CF;
			if (!!(r & sb) != !!(r & 1))
				cfof |= SOFT_OF;
		} else {
			r = e ? ((a >> e) | (a << (bits - e))) & m : a;
			if (r & sb)
				cfof |= SOFT_CF;
			if (!!(r & sb) != !!(r & (sb >> 1)))
				cfof |= SOFT_OF;
		}
		rot_flags(v, cfof);
		return r;
	}
	default:
		break;
	}
	uint32_t f = (uint32_t)(soft_flags(v) & SOFT_ARITH);
	switch (kind) {
	case SOFT_SH_RCL: {
		unsigned e = sz == 1 ? cnt % 9 : sz == 2 ? cnt % 17 : cnt;
		uint64_t c = f & SOFT_CF;
		r = a;
		for (unsigned i = 0; i < e; i++) {
			uint64_t out = (r & sb) != 0;
			r = ((r << 1) | c) & m;
			c = out;
		}
		f &= ~(uint32_t)(SOFT_CF | SOFT_OF);
		if (c)
			f |= SOFT_CF;
		if (!!(r & sb) != !!c)
			f |= SOFT_OF;
		break;
	}
	default: { /* RCR */
		unsigned e = sz == 1 ? cnt % 9 : sz == 2 ? cnt % 17 : cnt;
		uint64_t c = f & SOFT_CF;
		r = a;
		f &= ~(uint32_t)(SOFT_CF | SOFT_OF);
		if (!!(a & sb) != !!c)
			f |= SOFT_OF;
		for (unsigned i = 0; i < e; i++) {
			uint64_t out = r & 1;
			r = (r >> 1) | (c ? sb : 0);
			c = out;
		}
		if (c)
			f |= SOFT_CF;
		break;
	}
	}
	set_arith(v, f);
	return r;
}

/* The predecoded entry a handler's instruction is in. */
HOT const struct soft_cinsn *cinsn_of(const struct soft_dinsn *d)
{
	return (const struct soft_cinsn *)(const void *)((const char *)d -
							 offsetof(struct soft_cinsn, d));
}

/* Blocks run one after another from the handlers before the run loop
 * is back; with SOFT_BLOCK_MAX, bounds the call depth where the compiler
 * does not turn the calls into jumps.  An unoptimised build keeps every
 * call (some 65 frames a block), and under AddressSanitizer each frame
 * is several times larger: 32 blocks of those overflow an 8 MiB stack on
 * a static glibc program, so such builds chain 4. */
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__)
#define SOFT_CHAIN_MAX 32
#else
#define SOFT_CHAIN_MAX 4
#endif

/* RIP and the instruction count made exact for the running entry d: the
 * entries from it to blk_last have not retired (soft_vcpu.blk_last). */
HOT void sync_at(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	const struct soft_cinsn *c = cinsn_of(d);
	v->icount = v->blk_icount_end - (uint64_t)(cinsn_of(v->blk_last) - c) - 1;
	v->rip = v->blk_vbase + c->off;
	v->blk_synced = d;
}

/* Starts the block at RIP, or returns to the run loop.  The budget to
 * stop_at as the run loop sets it (the two must agree): the block runs up
 * to blk_last.  Where the budget ends inside the block, each entry up to
 * there runs alone through the generic executor: a handler may leave
 * flags that the rest of its block sets again unset (soft_finish_block()),
 * which the end of the budget would show. */
HOT bool start_in_page(struct soft_vcpu *v, const struct soft_cinsn *c)
{
	uint64_t n = c->left;
	if (unlikely(v->stop_at - v->icount < n))
		n = 1;
	v->blk_icount_end = v->icount + n;
	v->blk_last = &c[n - 1].d;
	if (unlikely(n < c->left))
		return soft_exec_generic(v, &c->d);
	return c->fn(v, &c->d);
}

/* start_in_page() where the block before may have run in another page
 * (blk_vbase is the page of the block running). */
HOT bool start_block(struct soft_vcpu *v, const struct soft_cinsn *c)
{
	v->blk_vbase = v->rip & ~(uint64_t)(SOFT_PAGE - 1);
	return start_in_page(v, c);
}

/* At a block's end, RIP and the count exact: the next block starts here
 * when the run loop would do nothing else first (nothing asynchronous
 * due, RIP in the fetch page and its code decoded); else back to the
 * loop, which handles the rest. */
HOT bool next_block(struct soft_vcpu *v)
{
	if (likely(v->icount < v->stop_at && v->rip / SOFT_PAGE == v->fetch_vpage &&
		   v->chain_left != 0)) {
		unsigned s = v->fetch_cp->slot[v->rip & (SOFT_PAGE - 1)];
		if (likely(s)) {
			v->chain_left--;
			/* In the fetch page, as the block that ends was. */
			return start_in_page(v, &v->fetch_cp->insns[s - 1]);
		}
	}
	return true;
}

/* The block's last entry has retired with RIP going to rip: the count
 * catches up with it.  Out of line (cpu_fast.c), reached by a jump from
 * every handler's end: one copy of next_block() instead of one per
 * handler. */
bool soft_end_block(struct soft_vcpu *v, uint64_t rip);
HOT bool end_block(struct soft_vcpu *v, uint64_t rip)
{
	return soft_end_block(v, rip);
}

/* The end of every handler but a branch's: the next instruction of the
 * block runs now, from its handler, up to blk_last, then the next block. */
HOT bool next_insn(struct soft_vcpu *v, const struct soft_dinsn *d)
{
	const struct soft_cinsn *c = cinsn_of(d);
	if (likely(d != v->blk_last))
		return c[1].fn(v, &c[1].d);
	return end_block(v, v->blk_vbase + c->off + d->len);
}

#endif
