/*
 * vcpu/kvm/kvm_engine.c — the engine interface (vcpu/engine.h) over /dev/kvm.
 *
 * A struct engine_vm owns a KVM VM file descriptor with an in-kernel
 * irqchip (so the guest's LAPIC timer runs in the kernel) and its vCPUs;
 * each vCPU owns its fd and its mmap'ed kvm_run page.  run() is one
 * KVM_RUN and one switch that translates the kvm_run exit into the
 * engine's struct engine_exit, like kvmtool's kvm_cpu__start loop.
 *
 * Invariants:
 * - exit->reason is the last exit run() reported; when it is an IN (or an
 *   MMIO read), the VMM stores the data in the exit record and the next
 *   run() copies it into kvm_run before re-entering, which is how KVM
 *   completes the instruction.
 * - Nothing here keeps global state: every fd and buffer hangs off the
 *   VM or vCPU handle, so one process may hold several VMs.
 * - Host failures are negative errno; what the guest did (triple fault,
 *   a state that cannot enter, an instruction KVM cannot emulate) is an
 *   exit with a message, never an error.
 */
#include "vcpu/kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "vcpu/kvm/kvm_stats.h"

#define KVM_DEV "/dev/kvm"
#define KVM_ENGINE_MAX_VCPUS 8

/* Where KVM may put the three pages of the real-mode TSS that VMX needs
 * (KVM_SET_TSS_ADDR); below 4 GiB and above any RAM a memvirt guest has,
 * as in QEMU. */
#define KVM_ENGINE_TSS_GPA 0xfeffd000ull

/* MSR numbers of struct engine_msrs, in its field order. */
#define MSR_IA32_TSC        0x00000010u
#define MSR_STAR            0xc0000081u
#define MSR_LSTAR           0xc0000082u
#define MSR_CSTAR           0xc0000083u
#define MSR_SFMASK          0xc0000084u
#define MSR_KERNEL_GS_BASE  0xc0000102u

static const uint32_t engine_msr_index[] = {
	MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE, MSR_IA32_TSC,
};
#define ENGINE_MSR_COUNT (sizeof(engine_msr_index) / sizeof(engine_msr_index[0]))

struct engine_vcpu {
	struct engine_vm *vm;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_stats *stats;           /* NULL without binary statistics */
	struct engine_exit exit;
	uint64_t exits[ENGINE_EXIT__COUNT]; /* exits reported, by reason */
	uint64_t runs;                      /* KVM_RUN calls that returned */
	uint64_t interrupted;               /* KVM_RUN calls ended by a signal */
};

struct engine_vm {
	int kvm_fd;
	int vm_fd;
	size_t run_size;                   /* KVM_GET_VCPU_MMAP_SIZE */
	struct kvm_cpuid2 *cpuid;          /* what every vCPU is given */
	struct kvm_stats *stats;           /* NULL without binary statistics */
	struct engine_vcpu *vcpus[KVM_ENGINE_MAX_VCPUS];
	unsigned nvcpus;
};

static void set_message(struct engine_exit *exit, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_message(struct engine_exit *exit, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(exit->message, sizeof(exit->message), fmt, ap);
	va_end(ap);
}

/* ---- availability and paging mode -------------------------------------- */

static bool kvm_available(char *why, size_t why_len)
{
	int fd, vm, api;

	fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == ENOENT || err == ENXIO || err == ENODEV)
			snprintf(why, why_len,
				 "no " KVM_DEV " (the kvm module is not loaded or this machine "
				 "has no VMX/SVM); use --engine soft");
		else if (err == EACCES || err == EPERM)
			snprintf(why, why_len,
				 "cannot open " KVM_DEV ": %s (add the user to the group that "
				 "owns it, usually kvm); use --engine soft", strerror(err));
		else
			snprintf(why, why_len, "cannot open " KVM_DEV ": %s; use --engine soft",
				 strerror(err));
		return false;
	}
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		snprintf(why, why_len, KVM_DEV " speaks KVM API %d, memvirt needs %d; use --engine soft",
			 api, KVM_API_VERSION);
		close(fd);
		return false;
	}
	static const struct { int cap; const char *name; } needed[] = {
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	};
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, needed[i].cap) <= 0) {
			snprintf(why, why_len, KVM_DEV " lacks %s; use --engine soft", needed[i].name);
			close(fd);
			return false;
		}
	}
	/* A loaded module can still refuse VMs (virtualization disabled in
	 * firmware, another hypervisor owning VMX): try one. */
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	if (vm < 0) {
		snprintf(why, why_len, "KVM_CREATE_VM on " KVM_DEV " failed: %s; use --engine soft",
			 strerror(errno));
		close(fd);
		return false;
	}
	close(vm);
	close(fd);
	snprintf(why, why_len, "ok");
	return true;
}

/* A module parameter that says whether two-dimensional paging is on. */
struct paging_param {
	const char *module;
	const char *path;       /* NULL: the module has only one mode */
	bool tdp_when_absent;   /* mode of a module without the parameter */
	const char *to_tdp;     /* how to switch to tdp */
	const char *to_shadow;  /* how to switch to shadow */
};

static const struct paging_param paging_params[] = {
	{ .module = "kvm_amd", .path = "/sys/module/kvm_amd/parameters/npt",
	  .to_tdp = "modprobe -r kvm_amd && modprobe kvm_amd npt=1",
	  .to_shadow = "modprobe -r kvm_amd && modprobe kvm_amd npt=0" },
	{ .module = "kvm_intel", .path = "/sys/module/kvm_intel/parameters/ept",
	  .to_tdp = "modprobe -r kvm_intel && modprobe kvm_intel ept=1",
	  .to_shadow = "modprobe -r kvm_intel && modprobe kvm_intel ept=0" },
	/* PVM (pagetable-based virtual machine) has no hardware paging
	 * support to use: it always runs guests on shadow page tables. */
	{ .module = "kvm_pvm", .path = NULL, .tdp_when_absent = false,
	  .to_tdp = "load kvm_amd or kvm_intel instead of kvm_pvm (a machine with VMX/SVM)",
	  .to_shadow = "" },
};

/* The loaded vendor module's entry, or NULL. */
static const struct paging_param *loaded_paging_param(void)
{
	char dir[96];

	for (size_t i = 0; i < sizeof(paging_params) / sizeof(paging_params[0]); i++) {
		snprintf(dir, sizeof(dir), "/sys/module/%s", paging_params[i].module);
		if (access(dir, F_OK) == 0)
			return &paging_params[i];
	}
	return NULL;
}

static int read_paging_mode(const struct paging_param *p, bool *tdp)
{
	char buf[16] = "";
	FILE *f;

	if (!p->path) {
		*tdp = p->tdp_when_absent;
		return 0;
	}
	f = fopen(p->path, "re");
	if (!f)
		return -EIO;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	/* Boolean parameters read "Y"/"N"; older kernels' int ones "1"/"0". */
	*tdp = buf[0] == 'Y' || buf[0] == 'y' || buf[0] == '1';
	return 0;
}

int kvm_engine_paging_mode(char *mode, size_t len)
{
	const struct paging_param *p = loaded_paging_param();
	bool tdp;
	int ret;

	if (!p) {
		snprintf(mode, len, "unknown (neither kvm_amd nor kvm_intel is loaded)");
		return -ENOENT;
	}
	ret = read_paging_mode(p, &tdp);
	if (ret) {
		snprintf(mode, len, "unknown (cannot read %s)", p->path);
		return ret;
	}
	snprintf(mode, len, "%s", tdp ? KVM_PAGING_TDP : KVM_PAGING_SHADOW);
	return 0;
}

/* Which paging the host's KVM offers, from its module parameter. */
static uint32_t kvm_capabilities(void)
{
	const struct paging_param *p = loaded_paging_param();
	bool tdp;

	if (!p || read_paging_mode(p, &tdp))
		return 0;
	return tdp ? MV_CAP_HOST_TDP : MV_CAP_HOST_SHADOW;
}

static void kvm_explain_missing(uint32_t missing, char *why, size_t len)
{
	const struct paging_param *p = loaded_paging_param();
	bool tdp;

	if (missing & (MV_CAP_MMU | MV_CAP_ARCH_TLB | MV_CAP_ICOUNT)) {
		snprintf(why, len, "the kvm engine's MMU belongs to the host's KVM and it cannot count guest instructions; use --engine soft");
		return;
	}
	if (!p) {
		snprintf(why, len, "cannot tell the host KVM's paging mode: neither kvm_amd nor kvm_intel is loaded");
		return;
	}
	if (read_paging_mode(p, &tdp)) {
		snprintf(why, len, "cannot read %s to tell the host KVM's paging mode", p->path);
		return;
	}
	if (missing & MV_CAP_HOST_TDP)
		snprintf(why, len, "it needs two-dimensional paging, but %s runs KVM's shadow MMU; switch with `%s`, or use --backend kvm-shadow",
			 p->module, p->to_tdp);
	else
		snprintf(why, len, "it needs KVM's shadow MMU, but %s uses two-dimensional paging (EPT/NPT); switch with `%s`, or use --backend ept",
			 p->module, p->to_shadow);
}

/* ---- wall-clock limit ---------------------------------------------------
 *
 * KVM cannot count guest instructions, so an endless guest is stopped by a
 * timer signal that kicks the vCPU out of KVM_RUN.  A signal handler
 * reaches only global state: the vCPU to kick is the one file-scope
 * variable here, set while a limit is armed.
 */
static struct engine_vcpu *volatile armed_vcpu;

static void on_alarm(int signo)
{
	struct engine_vcpu *vcpu = armed_vcpu;

	(void)signo;
	if (vcpu)
		kvm_vcpu_kick(vcpu);
}

static int kvm_arm_timeout(struct engine_vcpu *vcpu, double seconds)
{
	struct sigaction sa;
	struct itimerval it;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: the signal must interrupt KVM_RUN. */
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		return -errno;
	armed_vcpu = vcpu;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = (time_t)seconds;
	it.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
	if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
		it.it_value.tv_usec = 1;
	/* Re-fire every second until disarmed, in case one lands outside KVM_RUN. */
	it.it_interval.tv_sec = 1;
	if (setitimer(ITIMER_REAL, &it, NULL) != 0)
		return -errno;
	return 0;
}

static void kvm_disarm_timeout(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	armed_vcpu = NULL;
}

/* ---- VM --------------------------------------------------------------- */

/* KVM_GET_SUPPORTED_CPUID, growing the buffer until it fits.  What KVM
 * supports is what the guest sees: long mode, NX, PCID and x2APIC (KVM
 * emulates x2APIC in the in-kernel LAPIC) come through when the host has
 * them, and the guest decides from CPUID what to enable. */
static int get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 **out)
{
	for (uint32_t n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			*out = c;
			return 0;
		}
		int err = errno;

		free(c);
		if (err != E2BIG)
			return -err;
	}
	return -E2BIG;
}

static void kvm_vcpu_destroy(struct engine_vcpu *vcpu)
{
	if (!vcpu)
		return;
	kvm_stats_close(vcpu->stats);
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	free(vcpu);
}

static void kvm_vm_destroy(struct engine_vm *vm)
{
	if (!vm)
		return;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		kvm_vcpu_destroy(vm->vcpus[i]);
	kvm_stats_close(vm->stats);
	free(vm->cpuid);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm);
}

static int kvm_vm_create(const struct engine_vm_config *cfg, struct engine_vm **out)
{
	struct engine_vm *vm;
	int ret, size;

	/* Each KVM VM has hardware of its own; there is no shared machine
	 * to join (that is the soft engine's timesharing model). */
	if (cfg && cfg->machine)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->vm_fd = -1;
	vm->kvm_fd = open(KVM_DEV, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		ret = -errno;
		goto err;
	}
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		ret = size < 0 ? -errno : -EIO;
		goto err;
	}
	vm->run_size = (size_t)size;
	ret = get_supported_cpuid(vm->kvm_fd, &vm->cpuid);
	if (ret)
		goto err;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		ret = -errno;
		goto err;
	}
	/* VMX needs a TSS area for real mode; harmless elsewhere. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_ENGINE_TSS_GPA) < 0) {
		ret = -errno;
		goto err;
	}
	/* PIC, IOAPIC and a LAPIC per vCPU in the kernel: the guest's APIC
	 * timer (x2APIC MSRs or the xAPIC page) never exits to us.  Must come
	 * before the first vCPU. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		ret = -errno;
		goto err;
	}
	ret = kvm_stats_open(vm->vm_fd, &vm->stats);
	if (ret == -ENOTTY || ret == -EINVAL)
		vm->stats = NULL;   /* a KVM older than 5.14: no binary statistics */
	else if (ret)
		goto err;
	*out = vm;
	return 0;
err:
	kvm_vm_destroy(vm);
	return ret;
}

static int kvm_set_memory(struct engine_vm *vm, uint32_t slot, uint64_t gpa,
			  uint64_t size, void *host)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if ((gpa | size | (uintptr_t)host) & 0xfff)
		return -EINVAL;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return -errno;
	return 0;
}

static int kvm_vcpu_create(struct engine_vm *vm, struct engine_vcpu **out)
{
	struct engine_vcpu *vcpu;
	void *run;
	int ret;

	if (vm->nvcpus == KVM_ENGINE_MAX_VCPUS)
		return -ENOSPC;
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)vm->nvcpus);
	if (vcpu->fd < 0) {
		ret = -errno;
		goto err;
	}
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (run == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	vcpu->run = run;
	vcpu->run_size = vm->run_size;
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, vm->cpuid) < 0) {
		ret = -errno;
		goto err;
	}
	ret = kvm_stats_open(vcpu->fd, &vcpu->stats);
	if (ret == -ENOTTY || ret == -EINVAL)
		vcpu->stats = NULL;
	else if (ret)
		goto err;
	vm->vcpus[vm->nvcpus++] = vcpu;
	*out = vcpu;
	return 0;
err:
	kvm_vcpu_destroy(vcpu);
	return ret;
}

/* ---- architectural state ---------------------------------------------- */

static int kvm_get_regs(struct engine_vcpu *vcpu, struct engine_regs *regs)
{
	struct kvm_regs r;

	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0)
		return -errno;
	*regs = (struct engine_regs){
		.rax = r.rax, .rbx = r.rbx, .rcx = r.rcx, .rdx = r.rdx,
		.rsi = r.rsi, .rdi = r.rdi, .rsp = r.rsp, .rbp = r.rbp,
		.r8 = r.r8, .r9 = r.r9, .r10 = r.r10, .r11 = r.r11,
		.r12 = r.r12, .r13 = r.r13, .r14 = r.r14, .r15 = r.r15,
		.rip = r.rip, .rflags = r.rflags,
	};
	return 0;
}

static int kvm_set_regs(struct engine_vcpu *vcpu, const struct engine_regs *regs)
{
	struct kvm_regs r = {
		.rax = regs->rax, .rbx = regs->rbx, .rcx = regs->rcx, .rdx = regs->rdx,
		.rsi = regs->rsi, .rdi = regs->rdi, .rsp = regs->rsp, .rbp = regs->rbp,
		.r8 = regs->r8, .r9 = regs->r9, .r10 = regs->r10, .r11 = regs->r11,
		.r12 = regs->r12, .r13 = regs->r13, .r14 = regs->r14, .r15 = regs->r15,
		.rip = regs->rip, .rflags = regs->rflags,
	};

	if (ioctl(vcpu->fd, KVM_SET_REGS, &r) < 0)
		return -errno;
	return 0;
}

static void seg_from_kvm(struct engine_segment *e, const struct kvm_segment *k)
{
	*e = (struct engine_segment){
		.base = k->base, .limit = k->limit, .selector = k->selector,
		.type = k->type, .present = k->present && !k->unusable, .dpl = k->dpl,
		.db = k->db, .s = k->s, .l = k->l, .g = k->g, .avl = k->avl,
	};
}

static void seg_to_kvm(struct kvm_segment *k, const struct engine_segment *e)
{
	*k = (struct kvm_segment){
		.base = e->base, .limit = e->limit, .selector = e->selector,
		.type = e->type, .present = e->present, .dpl = e->dpl,
		.db = e->db, .s = e->s, .l = e->l, .g = e->g, .avl = e->avl,
		.unusable = !e->present,
	};
}

static int kvm_get_sregs(struct engine_vcpu *vcpu, struct engine_sregs *s)
{
	struct kvm_sregs k;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &k) < 0)
		return -errno;
	seg_from_kvm(&s->cs, &k.cs);
	seg_from_kvm(&s->ds, &k.ds);
	seg_from_kvm(&s->es, &k.es);
	seg_from_kvm(&s->fs, &k.fs);
	seg_from_kvm(&s->gs, &k.gs);
	seg_from_kvm(&s->ss, &k.ss);
	seg_from_kvm(&s->tr, &k.tr);
	seg_from_kvm(&s->ldt, &k.ldt);
	s->gdt = (struct engine_dtable){ .base = k.gdt.base, .limit = k.gdt.limit };
	s->idt = (struct engine_dtable){ .base = k.idt.base, .limit = k.idt.limit };
	s->cr0 = k.cr0;
	s->cr2 = k.cr2;
	s->cr3 = k.cr3;
	s->cr4 = k.cr4;
	s->cr8 = k.cr8;
	s->efer = k.efer;
	s->apic_base = k.apic_base;
	return 0;
}

static int kvm_set_sregs(struct engine_vcpu *vcpu, const struct engine_sregs *s)
{
	struct kvm_sregs k;

	/* Start from KVM's view so that the pending-interrupt bitmap, which
	 * struct engine_sregs does not carry, is kept. */
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &k) < 0)
		return -errno;
	seg_to_kvm(&k.cs, &s->cs);
	seg_to_kvm(&k.ds, &s->ds);
	seg_to_kvm(&k.es, &s->es);
	seg_to_kvm(&k.fs, &s->fs);
	seg_to_kvm(&k.gs, &s->gs);
	seg_to_kvm(&k.ss, &s->ss);
	seg_to_kvm(&k.tr, &s->tr);
	seg_to_kvm(&k.ldt, &s->ldt);
	/* VMX refuses to enter with an unusable TR (SVM does not check).  The
	 * boot protocol leaves TR to the kernel, which loads its own with LTR
	 * before anything uses it, so an absent TR becomes an empty busy
	 * 64-bit TSS, as KVM's selftests do. */
	if (!s->tr.present) {
		k.tr = (struct kvm_segment){
			.base = 0, .limit = 0x67, .selector = s->tr.selector,
			.type = 11, .present = 1, .s = 0,
		};
	}
	k.gdt = (struct kvm_dtable){ .base = s->gdt.base, .limit = s->gdt.limit };
	k.idt = (struct kvm_dtable){ .base = s->idt.base, .limit = s->idt.limit };
	k.cr0 = s->cr0;
	k.cr2 = s->cr2;
	k.cr3 = s->cr3;
	k.cr4 = s->cr4;
	k.cr8 = s->cr8;
	k.efer = s->efer;
	/* 0 means "the VMM has no opinion": keep KVM's enabled LAPIC at its
	 * reset base rather than switch the timer's APIC off. */
	if (s->apic_base)
		k.apic_base = s->apic_base;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &k) < 0)
		return -errno;
	return 0;
}

/* struct kvm_msrs with room for the engine's MSRs. */
struct msr_block {
	struct kvm_msrs hdr;
	struct kvm_msr_entry entries[ENGINE_MSR_COUNT];
};

static int kvm_get_msrs(struct engine_vcpu *vcpu, struct engine_msrs *m)
{
	struct msr_block b = { .hdr.nmsrs = ENGINE_MSR_COUNT };
	int n;

	for (size_t i = 0; i < ENGINE_MSR_COUNT; i++)
		b.entries[i].index = engine_msr_index[i];
	n = ioctl(vcpu->fd, KVM_GET_MSRS, &b);
	if (n < 0)
		return -errno;
	if (n != (int)ENGINE_MSR_COUNT)
		return -EIO;   /* KVM stops at the first MSR it does not know */
	*m = (struct engine_msrs){
		.star = b.entries[0].data, .lstar = b.entries[1].data,
		.cstar = b.entries[2].data, .sfmask = b.entries[3].data,
		.kernel_gs_base = b.entries[4].data, .tsc = b.entries[5].data,
	};
	return 0;
}

static int kvm_set_msrs(struct engine_vcpu *vcpu, const struct engine_msrs *m)
{
	const uint64_t values[ENGINE_MSR_COUNT] = {
		m->star, m->lstar, m->cstar, m->sfmask, m->kernel_gs_base, m->tsc,
	};
	struct msr_block b = { .hdr.nmsrs = ENGINE_MSR_COUNT };
	int n;

	for (size_t i = 0; i < ENGINE_MSR_COUNT; i++) {
		b.entries[i].index = engine_msr_index[i];
		b.entries[i].data = values[i];
	}
	n = ioctl(vcpu->fd, KVM_SET_MSRS, &b);
	if (n < 0)
		return -errno;
	if (n != (int)ENGINE_MSR_COUNT)
		return -EIO;
	return 0;
}

/* ---- running ---------------------------------------------------------- */

static const char *internal_suberror_name(uint32_t suberror)
{
	switch (suberror) {
	case KVM_INTERNAL_ERROR_EMULATION:
		return "emulation failed";
	case KVM_INTERNAL_ERROR_SIMUL_EX:
		return "exception while delivering an exception";
	case KVM_INTERNAL_ERROR_DELIVERY_EV:
		return "exit while delivering an event";
	case KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON:
		return "unexpected hardware exit reason";
	default:
		return "unknown suberror";
	}
}

/* Hand the VMM's answer to the previous exit to KVM before re-entering. */
static void complete_previous_exit(struct engine_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct engine_exit *exit = &vcpu->exit;

	if (exit->reason == ENGINE_EXIT_IO && !exit->io.is_write &&
	    run->exit_reason == KVM_EXIT_IO)
		memcpy((char *)run + run->io.data_offset, &exit->io.data, run->io.size);
	else if (exit->reason == ENGINE_EXIT_MMIO && !exit->mmio.is_write &&
		 run->exit_reason == KVM_EXIT_MMIO)
		memcpy(run->mmio.data, &exit->mmio.data, run->mmio.len);
}

static void translate_io(struct engine_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct engine_exit *exit = &vcpu->exit;

	/* String I/O (REP INS/OUTS) comes as one exit with count > 1; the
	 * engine interface carries one value, and memvirt's guest only does
	 * single IN/OUT, so say so rather than drop data. */
	if (run->io.count != 1) {
		exit->reason = ENGINE_EXIT_INTERNAL_ERROR;
		set_message(exit, "string port I/O (REP INS/OUTS) on port 0x%x with count %u "
			    "is not supported by the kvm engine", run->io.port, run->io.count);
		return;
	}
	exit->reason = ENGINE_EXIT_IO;
	exit->io.port = run->io.port;
	exit->io.size = run->io.size;
	exit->io.is_write = run->io.direction == KVM_EXIT_IO_OUT;
	exit->io.data = 0;
	if (exit->io.is_write)
		memcpy(&exit->io.data, (const char *)run + run->io.data_offset, run->io.size);
}

static void translate_exit(struct engine_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct engine_exit *exit = &vcpu->exit;

	memset(exit, 0, sizeof(*exit));
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		translate_io(vcpu);
		break;
	case KVM_EXIT_MMIO:
		exit->reason = ENGINE_EXIT_MMIO;
		exit->mmio.gpa = run->mmio.phys_addr;
		exit->mmio.size = (uint8_t)run->mmio.len;
		exit->mmio.is_write = run->mmio.is_write;
		if (run->mmio.is_write)
			memcpy(&exit->mmio.data, run->mmio.data, run->mmio.len);
		break;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; with ours KVM sleeps the vCPU
		 * in HLT until an interrupt (or a kick) arrives. */
		exit->reason = ENGINE_EXIT_HLT;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = ENGINE_EXIT_SHUTDOWN;
		set_message(exit, "triple fault: the guest took an exception it could not "
			    "deliver (KVM_EXIT_SHUTDOWN)");
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		exit->reason = ENGINE_EXIT_SHUTDOWN;
		set_message(exit, "KVM system event %u (1 shutdown, 2 reset, 3 crash)",
			    run->system_event.type);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->reason = ENGINE_EXIT_FAIL_ENTRY;
		set_message(exit, "VM entry failed: hardware_entry_failure_reason=0x%llx on host "
			    "cpu %u (VMX: exit reason, 33 invalid guest state; SVM: VMEXIT_INVALID); "
			    "check CR0/CR4/EFER and segments",
			    (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			    run->fail_entry.cpu);
		break;
	case KVM_EXIT_INTERNAL_ERROR: {
		int n = snprintf(exit->message, sizeof(exit->message),
				 "KVM internal error, suberror %u (%s)",
				 run->internal.suberror,
				 internal_suberror_name(run->internal.suberror));
		uint32_t ndata = run->internal.ndata;

		if (ndata > sizeof(run->internal.data) / sizeof(run->internal.data[0]))
			ndata = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
		for (uint32_t i = 0; i < ndata && n > 0 && (size_t)n < sizeof(exit->message); i++)
			n += snprintf(exit->message + n, sizeof(exit->message) - (size_t)n,
				      "%s0x%llx", i ? " " : ", data ",
				      (unsigned long long)run->internal.data[i]);
		exit->reason = ENGINE_EXIT_INTERNAL_ERROR;
		break;
	}
	default:
		exit->reason = ENGINE_EXIT_INTERNAL_ERROR;
		set_message(exit, "unexpected KVM exit reason %u", run->exit_reason);
		break;
	}
}

static int kvm_run_vcpu(struct engine_vcpu *vcpu)
{
	complete_previous_exit(vcpu);
	for (;;) {
		if (ioctl(vcpu->fd, KVM_RUN, 0) == 0)
			break;
		int err = errno;

		vcpu->runs++;
		if (err == EINTR) {
			/* A signal: a kick (immediate_exit) or the VMM's timer.
			 * KVM has left the vCPU resumable; the previous exit is
			 * complete, so forget it. */
			vcpu->run->immediate_exit = 0;
			vcpu->interrupted++;
			vcpu->exit.reason = ENGINE_EXIT_NONE;
			return -EINTR;
		}
		if (err == EAGAIN)
			continue;
		return -err;
	}
	vcpu->runs++;
	translate_exit(vcpu);
	vcpu->exits[vcpu->exit.reason]++;
	return 0;
}

static struct engine_exit *kvm_exit(struct engine_vcpu *vcpu)
{
	return &vcpu->exit;
}

void kvm_vcpu_kick(struct engine_vcpu *vcpu)
{
	/* A volatile store: the handler may run between any two instructions
	 * of the vCPU thread, and KVM reads the flag on entry. */
	*(volatile __u8 *)&vcpu->run->immediate_exit = 1;
}

static int kvm_set_limits(struct engine_vcpu *vcpu, uint64_t quantum, uint64_t limit)
{
	(void)vcpu;
	/* KVM cannot stop a guest after N retired instructions; "no limit"
	 * is the only setting it can honour. */
	return quantum == 0 && limit == 0 ? 0 : -ENOTSUP;
}

/* ---- statistics ------------------------------------------------------- */

static void report_prefixed(engine_stat_fn fn, void *ctx, const char *prefix,
			    const char *name, uint64_t value)
{
	char full[128];

	snprintf(full, sizeof(full), "%s%s", prefix, name);
	fn(ctx, full, value);
}

static void kvm_stats(struct engine_vm *vm, engine_stat_fn fn, void *ctx)
{
	uint64_t exits[ENGINE_EXIT__COUNT] = { 0 };
	uint64_t runs = 0, interrupted = 0;

	if (vm->stats) {
		uint64_t *values = calloc(vm->stats->count ? vm->stats->count : 1, sizeof(*values));

		if (values && kvm_stats_read(vm->stats, values) == 0)
			for (size_t i = 0; i < vm->stats->count; i++)
				report_prefixed(fn, ctx, "kvm_vm_", vm->stats->names[i], values[i]);
		free(values);
	}

	/* vCPU statistics are summed over the VM's vCPUs: every vCPU of a VM
	 * has the same descriptor list (kvm_stats.h). */
	if (vm->nvcpus > 0 && vm->vcpus[0]->stats) {
		size_t count = vm->vcpus[0]->stats->count;
		uint64_t *sum = calloc(count ? count : 1, sizeof(*sum));
		uint64_t *one = calloc(count ? count : 1, sizeof(*one));
		bool ok = sum && one;

		for (unsigned v = 0; ok && v < vm->nvcpus; v++) {
			struct kvm_stats *st = vm->vcpus[v]->stats;

			ok = st && st->count == count && kvm_stats_read(st, one) == 0;
			for (size_t i = 0; ok && i < count; i++)
				sum[i] += one[i];
		}
		if (ok)
			for (size_t i = 0; i < count; i++)
				report_prefixed(fn, ctx, "kvm_vcpu_",
						vm->vcpus[0]->stats->names[i], sum[i]);
		free(sum);
		free(one);
	}

	for (unsigned v = 0; v < vm->nvcpus; v++) {
		for (int r = 0; r < ENGINE_EXIT__COUNT; r++)
			exits[r] += vm->vcpus[v]->exits[r];
		runs += vm->vcpus[v]->runs;
		interrupted += vm->vcpus[v]->interrupted;
	}
	for (int r = ENGINE_EXIT_NONE + 1; r < ENGINE_EXIT__COUNT; r++)
		report_prefixed(fn, ctx, "kvm_exits_",
				engine_exit_reason_name((enum engine_exit_reason)r), exits[r]);
	fn(ctx, "kvm_runs", runs);
	fn(ctx, "kvm_runs_interrupted", interrupted);
}

const struct engine_ops kvm_engine_ops = {
	.name = "kvm",
	.description = "the host's KVM (/dev/kvm): real hardware, EPT/NPT or KVM's shadow MMU",
	.id = MV_ENGINE_KVM,
	.available = kvm_available,
	.capabilities = kvm_capabilities,
	.explain_missing = kvm_explain_missing,
	.vm_create = kvm_vm_create,
	.vm_destroy = kvm_vm_destroy,
	.set_memory = kvm_set_memory,
	.vcpu_create = kvm_vcpu_create,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.get_sregs = kvm_get_sregs,
	.set_sregs = kvm_set_sregs,
	.get_msrs = kvm_get_msrs,
	.set_msrs = kvm_set_msrs,
	.run = kvm_run_vcpu,
	.exit = kvm_exit,
	.set_limits = kvm_set_limits,
	.instructions = NULL,
	.stats = kvm_stats,
	.arm_timeout = kvm_arm_timeout,
	.disarm_timeout = kvm_disarm_timeout,
};
