#!/usr/bin/env python3
"""tests/soft/asm2hex.py — developer tool (not run by the build): assembles
the directed tests' guest programs (Intel syntax, in PROGRAMS below) with
GNU as and writes tests/soft/programs.h, where each program is a hex byte
string with its source as a comment and each global label an offset.

    python3 tests/soft/asm2hex.py > tests/soft/programs.h
"""
import os
import subprocess
import sys
import tempfile

PROGRAMS = {}


def prog(name, text):
    PROGRAMS[name] = text


# ---- exceptions through the IDT ----
prog("de", """
    xor ecx, ecx
fault:
    div ecx
    hlt
.globl handler
handler:
    mov rax, [rsp]          # RIP pushed
    mov rbx, [rsp + 8]      # CS
    mov rdx, [rsp + 16]     # RFLAGS
    mov rsi, [rsp + 24]     # RSP
    mov rdi, [rsp + 32]     # SS
    hlt
.globl fault_off
.set fault_off, fault
""")

prog("pf", """
    mov r8, 0x40000008
fault:
    mov qword ptr [r8], 1   # no PDPT entry 1: #PF, write, not present
    hlt
.globl handler
handler:
    pop rax                 # error code
    mov rbx, cr2
    mov rcx, [rsp]          # RIP of the faulting instruction
    hlt
.globl fault_off
.set fault_off, fault
""")

prog("ud", """
    mov r9, 0
fault:
    movaps xmm0, xmm1       # not implemented: #UD
    hlt
.globl handler
handler:
    inc r9
    mov rax, [rsp]
    add qword ptr [rsp], 3  # skip the 3-byte instruction
    iretq
.globl fault_off
.set fault_off, fault
""")

prog("gp", """
    mov rax, 0x0000800000000000
fault:
    jmp rax                 # non-canonical target: #GP(0)
.globl handler
handler:
    pop rbx                 # error code
    mov rcx, [rsp]          # RIP: the jmp itself
    hlt
.globl fault_off
.set fault_off, fault
""")

prog("div0", """
    xor ecx, ecx
    div ecx
    hlt
""")

# ---- APIC timer and interrupts ----
prog("timer", """
    mov ecx, 0x1b
    rdmsr
    or eax, 0xc00           # x2APIC mode, enabled
    wrmsr
    mov ecx, 0x80f          # spurious vector register: software enable
    mov eax, 0x1ff
    xor edx, edx
    wrmsr
    mov ecx, 0x83e          # divide by 1
    mov eax, 0xb
    wrmsr
    mov ecx, 0x832          # LVT timer: vector 0x20, periodic
    mov eax, 0x20020
    wrmsr
    mov ecx, 0x838          # initial count
    mov eax, 1000
    wrmsr
    xor r9d, r9d
    sti
spin:
    inc r8
    cmp r9, 5
    jb spin
    cli
    mov ecx, 0x839          # current count
    rdmsr
    mov r10, rax
    hlt
.globl handler
handler:
    inc r9
    mov r11, [rsp]
    push rax
    push rcx
    push rdx
    mov ecx, 0x80b          # EOI
    xor eax, eax
    xor edx, edx
    wrmsr
    pop rdx
    pop rcx
    pop rax
    iretq
""")

prog("hltwake", """
    mov ecx, 0x1b
    rdmsr
    or eax, 0xc00
    wrmsr
    mov ecx, 0x80f
    mov eax, 0x1ff
    xor edx, edx
    wrmsr
    mov ecx, 0x83e
    mov eax, 0xb
    wrmsr
    mov ecx, 0x832          # one-shot, vector 0x21
    mov eax, 0x21
    wrmsr
    mov ecx, 0x838
    mov eax, 100000
    wrmsr
    sti
    hlt                     # wakes at the timer interrupt
    cli
    hlt                     # nothing armed, IF=0: an HLT exit
.globl handler
handler:
    mov r9, 1
    mov ecx, 0x80b
    xor eax, eax
    xor edx, edx
    wrmsr
    iretq
""")

# ---- intercepts ----
prog("icpt", """
    mov rax, cr3
    mov cr3, rax
    mov rbx, cr0
    mov cr0, rbx
    mov rbx, cr4
    mov cr4, rbx
    invlpg [r12]
    mov ecx, 0xc0000080
    rdmsr
    mov ecx, 0xc0000081
    rdmsr
    mov ecx, 0xc0000084
    wrmsr
    cpuid
    vmmcall
    hlt
""")

prog("io", """
    mov eax, 0x12345678
    out 0xf4, eax
    mov dx, 0x3f8
    in al, dx
    mov dx, 0x60
    in eax, dx
    hlt
""")

prog("spin", """
loop:
    inc r8
    jmp loop
""")

# Each instruction's flags are set again later in the block, before any
# instruction reads them: an instruction limit between them shows them.
prog("flags", """
    mov rax, -1
.globl add
add:
    add rax, 1              # CF ZF PF AF
    mov rbx, 0x4000000000000000
.globl rol
rol:
    rol rbx, 1              # CF 0, OF 1, the others kept
    or rdx, 1               # all six: none set
    hlt
""")

# ---- syscall, sysret, swapgs, iretq to CPL 3 and back ----
prog("user", """
    push 0x1b               # SS: user data | 3
    push 0xa0000            # RSP
    push 0x2                # RFLAGS
    push 0x23               # CS: user code | 3
    lea rax, [rip + user]
    push rax
    iretq
user:
    mov eax, 42
    syscall
    mov r13, rax
    int 0x80
    mov r15, rsp
    hlt                     # privileged at CPL 3: #GP
.globl sys_entry
sys_entry:
    swapgs
    mov r10, qword ptr gs:[0]
    swapgs
    add rax, 1
    sysretq
.globl int80
int80:
    mov r12, [rsp + 8]      # CS pushed
    mov r14, rsp
    iretq
""")

# ---- self-modifying code ----
prog("smc", """
    xor ecx, ecx
    xor r8d, r8d
again:
    mov ebx, 1
.globl imm_at
.set imm_at, again + 1
    add r8, rbx
    mov byte ptr [rip + imm_at], 2
    inc ecx
    cmp ecx, 2
    jb again
    hlt
""")

# ---- string instructions ----
prog("strings", """
    lea rdi, [r15 + 1]      # overlapping forward copy replicates byte 0
    mov rsi, r15
    mov ecx, 100
    rep movsb
    lea rdi, [r15 + 0xff8]  # rep stosq across a page boundary
    mov rax, 0x1122334455667788
    mov ecx, 4
    rep stosq
    std                     # backwards
    lea rsi, [r15 + 0x10f]
    lea rdi, [r15 + 0x20f]
    mov ecx, 16
    rep movsb
    cld
    hlt
""")

prog("repq", """
    mov rdi, r15
    mov ecx, 100
    xor eax, eax
    rep stosb
    hlt
""")

# ---- stack and control flow ----
prog("calls", """
    mov edi, 10
    call fact
    mov rbx, rax
    lea rcx, [rip + table]
    mov edx, 2
    jmp qword ptr [rcx + rdx * 8]   # the test fills the table
.globl t0, t1, t2, table
t0: mov r8, 100
    hlt
t1: mov r8, 101
    hlt
t2: mov r8, 102
    lea rax, [rip + leaf]
    call rax
    push 7
    pop r10
    hlt
fact:
    push rbp
    mov rbp, rsp
    push rdi
    mov eax, 1
    cmp rdi, 1
    jbe 1f
    dec rdi
    call fact
    imul rax, [rbp - 8]
1:  leave
    ret
leaf:
    mov r9, rsp
    ret
.balign 8
table:
    .quad 0, 0, 0
""")


# ---- the data path's TLB misses (test_data_miss.c) ----
# r15 = data base (4 MiB of 4 KiB pages), r14 = the PTE of VA 0 (the PTs
# of [0, 8 MiB) are contiguous), r13 = iterations, rbx = seed.  Each
# iteration picks an address and one of eight accesses at random (the
# table holds offsets: the code runs where it is placed); the #PF handler
# makes a read-only page writable and retries.
prog("data_miss", """
loop:
    mov rax, rbx
    shl rax, 13
    xor rbx, rax
    mov rax, rbx
    shr rax, 7
    xor rbx, rax
    mov rax, rbx
    shl rax, 17
    xor rbx, rax
    mov rdx, rbx
    and rdx, 0x3ffff8
    mov rcx, rbx
    shr rcx, 40
    and ecx, 7
    lea rax, [rip + ops]
    movsxd rcx, dword ptr [rax + rcx * 4]
    add rax, rcx
    jmp rax
op_load:
    add r12, [r15 + rdx]
    jmp next
op_store:
    mov [r15 + rdx], rbx
    jmp next
op_rmw:
    add [r15 + rdx], r12
    jmp next
op_cross:
    add r12, [r15 + rdx + 4093]
    jmp next
op_code:
    lea rax, [rip + scratch]
    invlpg [rax]                # the store misses the TLB
    mov byte ptr [rax], bl
    jmp next
op_byte:
    movzx eax, byte ptr [r15 + rdx + 3]
    add r12, rax
    mov [r15 + rdx + 5], bl
    jmp next
op_invlpg:
    invlpg [r15 + rdx]
    jmp next
op_clear_a:
    lea rax, [r15 + rdx]
    shr rax, 12
    and qword ptr [r14 + rax * 8], -0x61
    invlpg [r15 + rdx]
next:
    dec r13
    jnz loop
    hlt
.globl pf_handler
pf_handler:
    push rax
    mov rax, cr2
    shr rax, 12
    or qword ptr [r14 + rax * 8], 2
    mov rax, cr2
    invlpg [rax]
    pop rax
    add rsp, 8
    iretq
.balign 8
ops:
    .long op_load - ops, op_store - ops, op_rmw - ops, op_cross - ops
    .long op_code - ops, op_byte - ops, op_invlpg - ops, op_clear_a - ops
scratch:
    .quad 0
""")

def main():
    out = ["/*",
           " * tests/soft/programs.h — guest programs of the directed tests, as hex",
           " * byte strings.  Generated by tests/soft/asm2hex.py from the Intel-syntax",
           " * sources shown; <NAME>_<LABEL> are offsets of global labels.",
           " */",
           "#ifndef MEMVIRT_TESTS_SOFT_PROGRAMS_H",
           "#define MEMVIRT_TESTS_SOFT_PROGRAMS_H",
           ""]
    with tempfile.TemporaryDirectory() as d:
        for name, text in PROGRAMS.items():
            s = os.path.join(d, name + ".s")
            o = os.path.join(d, name + ".o")
            b = os.path.join(d, name + ".bin")
            with open(s, "w") as f:
                f.write(".intel_syntax noprefix\n.code64\n" + text + "\n")
            e = os.path.join(d, name + ".elf")
            subprocess.check_call(["as", "--64", "-o", o, s])
            # Link at 0 so that RIP-relative references to labels resolve.
            subprocess.check_call(["ld", "-Ttext=0", "-e", "0", "-o", e, o])
            subprocess.check_call(["objcopy", "-O", "binary", "-j", ".text", e, b])
            o = e
            data = open(b, "rb").read()
            syms = subprocess.check_output(["nm", o], stderr=subprocess.DEVNULL).decode().split("\n")
            out.append("/*")
            for line in text.strip("\n").split("\n"):
                out.append(" *" + (" " + line if line.strip() else ""))
            out.append(" */")
            hexs = " ".join("%02x" % x for x in data)
            chunks = [hexs[i:i + 72] for i in range(0, len(hexs), 72)]
            out.append("static const char prog_%s[] =" % name)
            for c in chunks[:-1]:
                out.append('\t"%s "' % c.strip())
            out.append('\t"%s";' % chunks[-1].strip())
            for sl in syms:
                p = sl.split()
                if len(p) == 3 and p[1] in "TA" and not p[2].startswith("_"):
                    out.append("#define %s_%s 0x%xu" % (name.upper(), p[2].upper(), int(p[0], 16)))
            out.append("")
    out.append("#endif")
    print("\n".join(out))


if __name__ == "__main__":
    main()
