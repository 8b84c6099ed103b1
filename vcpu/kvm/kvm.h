/*
 * vcpu/kvm/kvm.h — the /dev/kvm execution engine.
 *
 * `kvm_engine_ops` implements vcpu/engine.h with the KVM ioctl API: the
 * guest runs on the host's hardware virtualization (VMX or SVM), with the
 * in-kernel LAPIC (for the guest's APIC timer) and KVM's own MMU, either
 * two-dimensional paging (EPT/NPT) or KVM's shadow MMU depending on how
 * the host's kvm_intel / kvm_amd module was loaded.  docs/kvm-engine.md
 * describes the engine, its statistics and how it is tested inside QEMU.
 *
 * What the kvm engine cannot do, by construction: count retired guest
 * instructions (so `set_limits` with a non-zero quantum or limit returns
 * -ENOTSUP and `instructions` is NULL), or program the MMU (no MV_CAP_MMU
 * hooks).  Its capabilities are the host KVM's paging mode; a wall-clock
 * limit is its arm_timeout hook: a timer signal whose handler calls
 * kvm_vcpu_kick(), after which run() returns -EINTR.
 */
#ifndef MEMVIRT_VCPU_KVM_H
#define MEMVIRT_VCPU_KVM_H

#include <stddef.h>

#include "vcpu/engine.h"

extern const struct engine_ops kvm_engine_ops;

/* Paging modes of the host's KVM, as kvm_engine_paging_mode() names them. */
#define KVM_PAGING_TDP    "tdp"     /* EPT / NPT: the hardware walks GPA->HPA */
#define KVM_PAGING_SHADOW "shadow"  /* KVM's shadow MMU: GVA->HPA tables in software */

/*
 * Which MMU the host's KVM runs guests with, from the loaded module's
 * parameter (/sys/module/kvm_amd/parameters/npt or
 * /sys/module/kvm_intel/parameters/ept; kvm_pvm always shadows).
 * Writes KVM_PAGING_TDP or KVM_PAGING_SHADOW into mode.  Returns 0, or
 * -ENOENT when no KVM vendor module is loaded (mode then says so),
 * -EIO when the parameter cannot be read.  Not a hot path.
 */
int kvm_engine_paging_mode(char *mode, size_t len) __attribute__((warn_unused_result));

/*
 * Make the vCPU's current or next run() return -EINTR as soon as possible.
 * Async-signal-safe: it only stores to the vCPU's kvm_run page
 * (immediate_exit), so a timer-signal handler may call it.  For a run that
 * is already inside KVM_RUN, the signal itself must also be delivered to
 * the thread that runs the vCPU (with a handler installed, not SIG_IGN),
 * which is what interrupts the ioctl; immediate_exit covers the window in
 * which the signal arrives just before the ioctl.
 */
void kvm_vcpu_kick(struct engine_vcpu *vcpu);

#endif
