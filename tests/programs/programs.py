#!/usr/bin/env python3
"""tests/programs/programs.py — static Linux programs under `memvirt run
--program`, end to end, against the same binary run on this host.

    programs.py program MEMVIRT BINARY [--backend PLUGIN.so] [--variant 'BACKEND OPTS']...
                        [--file PATH]... [--kvm-args 'ARG...'] [-- ARG...]
    programs.py source  MEMVIRT SOURCE.c|SOURCE.cc [--static-pie] [--cflags TEXT] [--file PATH]...
                        [--kvm-args 'ARG...'] [-- ARG...]
    programs.py bad     MEMVIRT CASE SRCDIR      CASE: dynamic, missing, segv, abort, exit3
    programs.py feature MEMVIRT CASE SRCDIR      CASE: output-limit, determinism, vms
    programs.py sweep   MEMVIRT SWEEPFILE BUILD_ROOT RUNS SORT_BINARY

`program` checks a built binary (workloads/programs/); `source` first
compiles SOURCE.c here with `gcc -static -O2 -pthread`, and again with
`musl-gcc -static` when musl-gcc is installed, and checks each result;
with --static-pie, once with `gcc -static-pie` (an ET_DYN without an
interpreter, loaded at 0x555555554000); a .cc source with `g++ -static`
only; --cflags adds flags (say -O3, whose vectorised loops use packed
SSE).

A check: the binary runs directly on this host, in a folder holding the
--file files (the guest's program finds them in its working directory,
"/", under their base names), stdout and exit status captured.  Then
`memvirt run --program BINARY --arg ... --file ... --json --no-db` runs
it on the soft engine under native, shadow and ept (and each --backend
plugin given, and each --variant: a backend with --backend-opt OPTS),
and, where this machine's /dev/kvm runs memvirt, on the kvm engine under
its backend.
Each run must have status "ok" (or "failed" when the host's status is
not 0), program.stdout equal to the host's stdout byte for byte,
program.exit_status equal to the host's, program.sha256 the binary's,
and the checksum program_abi.h defines (FNV-1a 64 over stdout, then the
exit status as 4 little-endian bytes) computed here from the host's
output.  On the soft engine each configuration runs twice: checksum and
every counter must be the same both times.  --kvm-args gives the kvm
engine smaller arguments (checked the same way, against the host run with
them): on a host whose KVM makes every system call cost milliseconds
(kvm_pvm, docs/kvm-engine.md), a system-call-heavy program's soft-engine
size would take minutes there.

`bad` checks the refusals and failures end to end: a dynamically linked
ELF (exit 2, "dynamically linked ... -static"), a missing program and a
missing --file (exit 2, the path named), a program that stores to
0xdead0008 (run failed, SIGSEGV at that address), one that calls abort()
(run failed, SIGABRT), and one that exits 3 (run failed, exit_status 3,
its stdout kept); these three also on the kvm engine where it runs.

`feature` checks promises of docs/programs.md on the soft engine's three
backends: --output-limit sends the limit's worth and counts the rest
while the checksum covers all of stdout; clocks and random bytes are the
same for one seed and the random bytes differ for another, the realtime
clock starting at 2026-01-01; with --vms 2 each VM runs its own copy and
gives the host's output.

`sweep` checks workloads/sweeps/programs.sweep with `memvirt sweep
--check` (from a folder where its build/ paths reach BUILD_ROOT: RUNS
runs), then runs a small sweep of one program with `args` under the three
backends and reads its three runs back from the database.

--sanitized (first, before the mode; the ASan/UBSan build passes it):
each soft-engine configuration runs once and the kvm engine not at all.
That build is there to find memory and undefined-behaviour errors in
memvirt along the programs' paths; determinism and the kvm engine are
the plain build's checks, which run everything above.

Every failure is printed with the values that differ; exit 1 if any.
Skips (77) only where the compiler a case needs (gcc, g++) is missing.
"""
import codecs
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

SOFT_BACKENDS = ["native", "shadow", "ept"]
extra_backends = []      # --backend PATH.so: a plugin, run like the built-in ones
extra_cflags = []        # --cflags TEXT: added to every compiler's command (after -O2)
backend_variants = []    # --variant 'BACKEND OPTS': a soft backend with --backend-opt OPTS
RUN_TIMEOUT = 120        # seconds for one memvirt run, as memvirt --timeout
failures = []
sanitized = False        # --sanitized: soft runs once, no kvm engine (see above)


def fail(what):
    failures.append(what)
    print("FAIL: " + what, flush=True)


def note(what):
    print(what, flush=True)


def fnv_checksum(stdout, status):
    """program_abi.h: FNV-1a 64 over stdout, then the status, 4 bytes LE."""
    h = 0xcbf29ce484222325
    for b in stdout + struct.pack("<i", status):
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return "%016x" % h


# memvirt's JSON writes a byte that is not part of valid UTF-8 as \u00XX
# (core/json.c, json_string_bytes): decode the host's bytes the same way.
codecs.register_error("memvirt_bytes", lambda e: (chr(e.object[e.start]), e.start + 1))


def as_json_text(data):
    return data.decode("utf-8", errors="memvirt_bytes")


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# The environment memvirt gives every program (core/program.c, prog_env):
# the host run gets the same, not the test's (meson sets MALLOC_PERTURB_).
PROGRAM_ENV = {"PATH": "/", "HOME": "/", "LANG": "C", "TERM": "dumb"}


def host_run(binary, args, files):
    """The binary on this host, in a folder holding its files, with the
    guest's environment."""
    with tempfile.TemporaryDirectory() as d:
        for f in files:
            shutil.copy(f, os.path.join(d, os.path.basename(f)))
        p = subprocess.run([os.path.abspath(binary)] + args, cwd=d, env=PROGRAM_ENV, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return p.stdout, p.returncode, p.stderr


def memvirt_run(memvirt, binary, args, files, engine_args):
    cmd = [memvirt, "run", "--no-db", "--json", "--timeout", str(RUN_TIMEOUT), "--program", binary]
    for a in args:
        cmd += ["--arg", a]
    for f in files:
        cmd += ["--file", f]
    cmd += engine_args
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=RUN_TIMEOUT + 30)
    except subprocess.TimeoutExpired:
        return None, None, "memvirt did not end within %d s" % (RUN_TIMEOUT + 30), cmd
    try:
        j = json.loads(p.stdout.decode("utf-8", errors="replace"))
    except ValueError:
        j = None
    return p.returncode, j, p.stderr.decode(errors="replace"), cmd


def checksum_of(j):
    c = j.get("checksum")
    if isinstance(c, list):
        c = c[0] if c else None
    return None if c is None else str(c).lower().removeprefix("0x")


def strip_volatile(counters):
    return {k: v for k, v in (counters or {}).items() if k != "wall_ns"}


def kvm_backends(memvirt):
    """The kvm engine's backends that run a workload on this machine, and
    why none does when none does."""
    try:
        engines = subprocess.run([memvirt, "list", "engines"], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, timeout=30).stdout.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return [], "memvirt list engines hung"
    if sanitized:
        return [], "a sanitizer build (the plain build runs the kvm engine)"
    if not any(l.startswith("kvm ") and "available" in l and "unavailable" not in l for l in engines.splitlines()):
        return [], "memvirt list engines: kvm is not available"
    usable, why = [], []
    for b in ["ept", "kvm-shadow"]:
        try:
            p = subprocess.run([memvirt, "run", "--engine", "kvm", "--backend", b, "--workload", "scan", "--no-db",
                                "--json", "--timeout", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=90)
        except subprocess.TimeoutExpired:
            why.append("%s: scan hung" % b)
            continue
        try:
            j = json.loads(p.stdout)
        except ValueError:
            j = {}
        if p.returncode == 0 and j.get("status") == "ok":
            usable.append(b)
        else:
            why.append("%s: %s" % (b, (j.get("error") or p.stderr.decode(errors="replace")).strip()[:200]))
    return usable, "; ".join(why)


def check_run(label, rc, j, err, cmd, binary, want_out, want_status):
    """One memvirt run against the host's stdout and status."""
    if j is None:
        fail("%s: no JSON (exit %s): %s\n  command: %s" % (label, rc, err.strip()[-600:], " ".join(cmd)))
        return False
    if j.get("status") in ("error", "usage_error"):
        fail("%s: refused (exit %s): %s\n  command: %s" % (label, rc, j.get("error"), " ".join(cmd)))
        return False
    prog = j.get("program") or {}
    want_ck = fnv_checksum(want_out, want_status)
    want_st = "ok" if want_status == 0 else "failed"
    bad = []
    if j.get("status") != want_st:
        bad.append("status %r, want %r (error: %s)" % (j.get("status"), want_st, j.get("error")))
    if rc != (0 if want_status == 0 else 1):
        bad.append("memvirt exit %s, want %d" % (rc, 0 if want_status == 0 else 1))
    got_out = prog.get("stdout")
    if got_out != as_json_text(want_out):
        g = got_out if isinstance(got_out, str) else repr(got_out)
        bad.append("stdout differs from the host's:\n    guest: %r\n    host:  %r" %
                   (g[:400], as_json_text(want_out)[:400]))
    if prog.get("exit_status") != want_status:
        bad.append("exit_status %r, host %d (signal %s, error %s)" %
                   (prog.get("exit_status"), want_status, prog.get("signal"), prog.get("error")))
    # A run that failed may have no checksum; one it has must be right.
    if checksum_of(j) != want_ck and (want_status == 0 or checksum_of(j) is not None):
        bad.append("checksum %r, want %s" % (j.get("checksum"), want_ck))
    if prog.get("sha256") != sha256_of(binary):
        bad.append("program.sha256 %r, want %s" % (prog.get("sha256"), sha256_of(binary)))
    if prog.get("path") is None:
        bad.append("no program.path")
    if bad:
        fail("%s:\n  %s\n  command: %s" % (label, "\n  ".join(bad), " ".join(cmd)))
        return False
    return True


def check_binary(memvirt, binary, args, files, kvm, kvm_args=None, extra_backends=()):
    name = os.path.basename(binary)
    want_out, want_status, host_err = host_run(binary, args, files)
    note("%s %s: on the host exit %d, %d bytes of stdout, checksum %s" %
         (name, " ".join(args), want_status, len(want_out), fnv_checksum(want_out, want_status)))
    if want_status < 0:
        fail("%s: killed by signal %d on the host: %s" % (name, -want_status, host_err.decode(errors="replace")))
        return
    configs = [(b, None) for b in SOFT_BACKENDS + list(extra_backends)] + list(backend_variants)
    for b, opts in configs:
        label = "%s on soft/%s%s" % (name, os.path.basename(b), " (%s)" % opts if opts else "")
        how = ["--engine", "soft", "--backend", b] + (["--backend-opt", opts] if opts else [])
        first = memvirt_run(memvirt, binary, args, files, how)
        if not check_run(label, *first, binary, want_out, want_status):
            continue
        j1 = first[1]
        if sanitized:
            note("%s: ok, %s instructions (once: a sanitizer build)" %
                 (label, strip_volatile(j1.get("counters")).get("instructions")))
            continue
        again = memvirt_run(memvirt, binary, args, files, how)
        if not check_run(label + " (second run)", *again, binary, want_out, want_status):
            continue
        j2 = again[1]
        c1, c2 = strip_volatile(j1.get("counters")), strip_volatile(j2.get("counters"))
        if checksum_of(j1) != checksum_of(j2) or c1 != c2:
            diff = ["%s %s / %s" % (k, c1.get(k), c2.get(k)) for k in sorted(set(c1) | set(c2))
                    if c1.get(k) != c2.get(k)]
            fail("%s: two runs differ: checksum %s / %s; counters %s" %
                 (label, checksum_of(j1), checksum_of(j2), "; ".join(diff[:12])))
            continue
        note("%s: ok, %s instructions, %.2f s, counters identical twice" %
             (label, c1.get("instructions"), (j1.get("wall_ns") or 0) / 1e9))
    backends, why = kvm
    if not backends:
        note("%s: not on the kvm engine: %s" % (name, why))
    elif kvm_args is not None and kvm_args != args:
        args = kvm_args
        want_out, want_status, host_err = host_run(binary, args, files)
        note("%s %s (the kvm engine's size): on the host exit %d, %d bytes of stdout, checksum %s" %
             (name, " ".join(args), want_status, len(want_out), fnv_checksum(want_out, want_status)))
    for b in backends:
        label = "%s on kvm/%s" % (name, b)
        r = memvirt_run(memvirt, binary, args, files, ["--engine", "kvm", "--backend", b])
        if check_run(label, *r, binary, want_out, want_status):
            note("%s: ok, %.2f s" % (label, (r[1].get("wall_ns") or 0) / 1e9))


def compilers():
    cs = [("gcc", ["gcc", "-static", "-O2", "-pthread"])]
    if shutil.which("musl-gcc"):
        cs.append(("musl", ["musl-gcc", "-static", "-O2", "-pthread"]))
    else:
        note("musl-gcc not found: the glibc build only (apt-get install musl-tools for both)")
    return cs


def compile_source(src, outdir, suffix, cc, extra=()):
    out = os.path.join(outdir, os.path.splitext(os.path.basename(src))[0] + suffix)
    p = subprocess.run(cc + list(extra) + [src, "-o", out], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode:
        fail("%s: %s failed:\n%s" % (src, " ".join(cc), p.stdout.decode(errors="replace")))
        return None
    return out


def parse_common(argv):
    files, args, kvm_args, pie = [], [], None, False
    global extra_backends, extra_cflags, backend_variants
    i = 0
    while i < len(argv):
        if argv[i] == "--variant":
            backend, opts = argv[i + 1].split(None, 1)
            backend_variants.append((backend, opts))
            i += 2
        elif argv[i] == "--cflags":
            extra_cflags += argv[i + 1].split()
            i += 2
        elif argv[i] == "--backend":
            extra_backends.append(os.path.abspath(argv[i + 1]))
            i += 2
        elif argv[i] == "--static-pie":
            pie = True
            i += 1
        elif argv[i] == "--file":
            files.append(os.path.abspath(argv[i + 1]))
            i += 2
        elif argv[i] == "--kvm-args":
            kvm_args = argv[i + 1].split()
            i += 2
        elif argv[i] == "--":
            args = argv[i + 1:]
            break
        else:
            sys.exit("programs.py: unexpected argument %r" % argv[i])
    return files, args, kvm_args, pie


def expect_refusal(label, memvirt, binary, args, files, words):
    rc, j, err, cmd = memvirt_run(memvirt, binary, args, files, ["--engine", "soft", "--backend", "native"])
    text = ((j or {}).get("error") or "") + "\n" + err
    bad = []
    if rc != 2:
        bad.append("memvirt exit %s, want 2" % rc)
    if j is not None and j.get("status") not in ("usage_error", "error"):
        bad.append("status %r" % j.get("status"))
    for w in words:
        if w not in text:
            bad.append("the message does not say %r" % w)
    if bad:
        fail("%s: %s\n  message: %s\n  command: %s" % (label, "; ".join(bad), text.strip()[:400], " ".join(cmd)))
    else:
        note("%s: refused, exit 2: %s" % (label, text.strip().splitlines()[0]))


def bad_case(memvirt, case, srcdir):
    work = tempfile.mkdtemp(prefix="memvirt-programs-")
    try:
        if case == "dynamic":
            exe = compile_source(os.path.join(srcdir, "hello.c"), work, "", ["gcc", "-O2"])
            if exe:
                expect_refusal("a dynamically linked program", memvirt, exe, [], [],
                               ["dynamically linked", "-static"])
        elif case == "missing":
            missing = os.path.join(work, "no-such-program")
            expect_refusal("a missing program", memvirt, missing, [], [], [missing])
            exe = compile_source(os.path.join(srcdir, "exit3.c"), work, "", ["gcc", "-static", "-O2"])
            if exe:
                gone = os.path.join(work, "no-such-file.txt")
                expect_refusal("a missing --file", memvirt, exe, [], [gone], [gone])
        elif case in ("segv", "abort"):
            # segv: SIGSEGV (11) at 0xdead0008; abort: SIGABRT (6), address 0.
            src, signo, signame, want_addr = (("segv.c", 11, "SIGSEGV", 0xdead0008) if case == "segv"
                                              else ("aborts.c", 6, "SIGABRT", None))
            engines = [("soft", b) for b in SOFT_BACKENDS] + [("kvm", b) for b in kvm_backends(memvirt)[0]]
            for tag, cc in compilers():
                exe = compile_source(os.path.join(srcdir, src), work, "-" + tag, cc)
                if not exe:
                    continue
                out, status, _ = host_run(exe, [], [])
                if status != -signo:
                    fail("%s-%s: on the host it ended with %d, not %s" % (case, tag, status, signame))
                for e, b in engines:
                    label = "%s-%s on %s/%s" % (case, tag, e, b)
                    rc, j, err, cmd = memvirt_run(memvirt, exe, [], [], ["--engine", e, "--backend", b])
                    if j is None:
                        fail("%s: no JSON (exit %s): %s" % (label, rc, err.strip()[-400:]))
                        continue
                    prog = j.get("program") or {}
                    sig = prog.get("signal") or {}
                    bad = []
                    if rc != 1 or j.get("status") != "failed":
                        bad.append("memvirt exit %s status %r, want 1 and failed" % (rc, j.get("status")))
                    if sig.get("name") != signame or sig.get("number") != signo:
                        bad.append("program.signal %r, want %s (%d)" % (sig, signame, signo))
                    addr = sig.get("addr")
                    if want_addr is not None:
                        try:
                            addr_ok = int(str(addr), 16) == want_addr
                        except ValueError:
                            addr_ok = False
                        if not addr_ok:
                            bad.append("program.signal.addr %r, want %#x" % (addr, want_addr))
                        if "%x" % want_addr not in (j.get("error") or ""):
                            bad.append("the error %r does not name the address %#x" % (j.get("error"), want_addr))
                    if signame not in (j.get("error") or ""):
                        bad.append("the error %r does not name %s" % (j.get("error"), signame))
                    if prog.get("exit_status") is not None:
                        bad.append("exit_status %r for a program killed by a signal" % prog.get("exit_status"))
                    if prog.get("stdout") != as_json_text(out):
                        bad.append("stdout %r, host %r" % (prog.get("stdout"), as_json_text(out)))
                    # A program killed by signal N has exit status 128 + N in
                    # the checksum (workloads/lx/main.c), as a shell's $? shows.
                    if checksum_of(j) is not None and checksum_of(j) != fnv_checksum(out, 128 + signo):
                        bad.append("checksum %r, want %s (stdout, then status %d)" %
                                   (j.get("checksum"), fnv_checksum(out, 128 + signo), 128 + signo))
                    if bad:
                        fail("%s:\n  %s\n  command: %s" % (label, "\n  ".join(bad), " ".join(cmd)))
                    else:
                        note("%s: failed as it should: %s" % (label, j.get("error")))
        elif case == "exit3":
            engines = [("soft", b) for b in SOFT_BACKENDS] + [("kvm", b) for b in kvm_backends(memvirt)[0]]
            for tag, cc in compilers():
                exe = compile_source(os.path.join(srcdir, "exit3.c"), work, "-" + tag, cc)
                if not exe:
                    continue
                out, status, _ = host_run(exe, [], [])
                if status != 3:
                    fail("exit3-%s: exits %d on the host" % (tag, status))
                    continue
                for e, b in engines:
                    label = "exit3-%s on %s/%s" % (tag, e, b)
                    r = memvirt_run(memvirt, exe, [], [], ["--engine", e, "--backend", b])
                    if check_run(label, *r, exe, out, 3):
                        note("%s: failed as it should: %s" % (label, r[1].get("error")))
        else:
            sys.exit("programs.py: no bad case %r" % case)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def feature_case(memvirt, case, srcdir):
    work = tempfile.mkdtemp(prefix="memvirt-programs-")
    try:
        if case == "output-limit":
            # 4000 lines of 60 bytes, a limit of 64 KiB: the guest sends the
            # first 65536 bytes of fd 1 and 2 together, counts the rest, and
            # the checksum is over all 240000 bytes of stdout.
            exe = compile_source(os.path.join(srcdir, "spew.c"), work, "", ["gcc", "-static", "-O2"])
            if not exe:
                return
            out, status, err = host_run(exe, ["4000"], [])
            for b in SOFT_BACKENDS:
                label = "spew on soft/%s with --output-limit 64K" % b
                rc, j, e, cmd = memvirt_run(memvirt, exe, ["4000"], [],
                                            ["--engine", "soft", "--backend", b, "--output-limit", "64K"])
                if j is None:
                    fail("%s: no JSON (exit %s): %s" % (label, rc, e.strip()[-400:]))
                    continue
                prog = j.get("program") or {}
                got = (prog.get("stdout") or "").encode()
                bad = []
                if rc != 0 or j.get("status") != "ok":
                    bad.append("exit %s status %r (%s)" % (rc, j.get("status"), j.get("error")))
                if len(got) != 65536 or not out.startswith(got):
                    bad.append("stdout: %d bytes%s, want the host's first 65536" %
                               (len(got), "" if out.startswith(got) else ", not a prefix of the host's"))
                if prog.get("output_dropped") != len(out) + len(err) - 65536:
                    bad.append("output_dropped %r, want %d" % (prog.get("output_dropped"),
                                                                len(out) + len(err) - 65536))
                if checksum_of(j) != fnv_checksum(out, status):
                    bad.append("checksum %r, want %s (all %d bytes of stdout)" %
                               (j.get("checksum"), fnv_checksum(out, status), len(out)))
                if bad:
                    fail("%s:\n  %s\n  command: %s" % (label, "\n  ".join(bad), " ".join(cmd)))
                else:
                    note("%s: ok, %d bytes sent, %s dropped, checksum over all of stdout" %
                         (label, len(got), prog.get("output_dropped")))
        elif case == "determinism":
            # Clocks and random bytes: the same for one seed, other random
            # bytes for another seed, the realtime clock from 2026-01-01.
            exe = compile_source(os.path.join(srcdir, "clock.c"), work, "", ["gcc", "-static", "-O2"])
            if not exe:
                return
            for b in SOFT_BACKENDS:
                outs = []
                for seed in ["1", "1", "2"]:
                    rc, j, e, cmd = memvirt_run(memvirt, exe, [], [],
                                                ["--engine", "soft", "--backend", b, "--seed", seed])
                    outs.append(((j or {}).get("program") or {}).get("stdout") if rc == 0 else None)
                    if rc != 0:
                        fail("clock on soft/%s seed %s: exit %s: %s" % (b, seed, rc, ((j or {}).get("error") or e)[-300:]))
                if None in outs:
                    continue
                lines = [o.splitlines() for o in outs]
                bad = []
                if outs[0] != outs[1]:
                    bad.append("two runs of seed 1 differ:\n    %r\n    %r" % (outs[0], outs[1]))
                rnd = [[l for l in ls if l.startswith(("getrandom", "AT_RANDOM"))] for ls in lines]
                if len(rnd[0]) != 2 or any(a == c for a, c in zip(rnd[0], rnd[2])):
                    bad.append("seeds 1 and 2 give the same random bytes: %r / %r" % (rnd[0], rnd[2]))
                real = [l for l in lines[0] if l.startswith("realtime ")]
                try:
                    secs = float(real[0].split()[1])
                except (IndexError, ValueError):
                    secs = -1
                if not 1767225600 <= secs < 1767225600 + 3600:
                    bad.append("realtime %r, want within an hour of 2026-01-01T00:00:00Z" % (real,))
                if bad:
                    fail("clock on soft/%s:\n  %s" % (b, "\n  ".join(bad)))
                else:
                    note("clock on soft/%s: ok, deterministic for a seed, random bytes follow the seed: %s" %
                         (b, " | ".join(lines[0])))
        elif case == "vms":
            # Two VMs timeshared, each running its own copy of the program.
            exe = compile_source(os.path.join(srcdir, "qsort.c"), work, "", ["gcc", "-static", "-O2"])
            if not exe:
                return
            out, status, _ = host_run(exe, ["2000", "3"], [])
            want = fnv_checksum(out, status)
            for b in SOFT_BACKENDS:
                label = "qsort with --vms 2 on soft/%s" % b
                rc, j, e, cmd = memvirt_run(memvirt, exe, ["2000", "3"], [],
                                            ["--engine", "soft", "--backend", b, "--vms", "2", "--quantum", "200000"])
                if j is None:
                    fail("%s: no JSON (exit %s): %s" % (label, rc, e.strip()[-400:]))
                    continue
                vms = (j.get("program") or {}).get("vms") or []
                sums = j.get("checksum") or []
                bad = []
                if rc != 0 or j.get("status") != "ok":
                    bad.append("exit %s status %r (%s)" % (rc, j.get("status"), j.get("error")))
                if len(vms) != 2 or any(v.get("stdout") != as_json_text(out) or v.get("exit_status") != status
                                        for v in vms):
                    bad.append("program.vms %r, want two with the host's stdout and status" %
                               ([(v.get("exit_status"), (v.get("stdout") or "")[:60]) for v in vms],))
                if [str(s).lower() for s in sums] != [want, want]:
                    bad.append("checksums %r, want [%s, %s]" % (sums, want, want))
                if bad:
                    fail("%s:\n  %s\n  command: %s" % (label, "\n  ".join(bad), " ".join(cmd)))
                else:
                    note("%s: ok, both VMs print the host's output" % label)
        else:
            sys.exit("programs.py: no feature case %r" % case)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def sweep_case(memvirt, sweep_file, build_root, want_runs, sort_binary):
    """The shipped sweep file passes `memvirt sweep --check` with the grid
    it says, where its build/ paths resolve; and a sweep of one program
    with `args` under the three backends records three ok runs with the
    host's checksum."""
    import sqlite3
    work = tempfile.mkdtemp(prefix="memvirt-programs-")
    try:
        os.symlink(os.path.abspath(build_root), os.path.join(work, "build"))
        p = subprocess.run([memvirt, "sweep", os.path.abspath(sweep_file), "--check"], cwd=work,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        text = p.stdout.decode(errors="replace")
        if p.returncode != 0 or (" %d runs" % want_runs) not in text:
            fail("memvirt sweep %s --check: exit %d, want 0 and %d runs: %s" %
                 (sweep_file, p.returncode, want_runs, text.strip()[-400:]))
        else:
            note("%s --check: %s" % (os.path.basename(sweep_file), text.strip().splitlines()[-1]))

        args = ["20000", "3", "64"]
        out, status, _ = host_run(sort_binary, args, [])
        want = fnv_checksum(out, status)
        small = os.path.join(work, "small.sweep")
        with open(small, "w") as f:
            f.write("[sweep]\nname = programs-small\nengine = soft\nbackend = native, shadow, ept\n"
                    "program = %s\nargs = \"%s\"\ntimeout = 120\n" % (os.path.abspath(sort_binary), " ".join(args)))
        db = os.path.join(work, "small.db")
        p = subprocess.run([memvirt, "sweep", small, "-j", "1", "--db", db], cwd=work,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        text = p.stdout.decode(errors="replace")
        rows = []
        if os.path.exists(db):
            con = sqlite3.connect(db)
            rows = con.execute("SELECT backend, status, checksum, workload FROM runs ORDER BY id").fetchall()
            con.close()
        got = sorted((b, s, json.loads(c or "[]")) for b, s, c, _ in rows)
        expect = sorted((b, "ok", [want]) for b in SOFT_BACKENDS)
        if p.returncode != 0 or got != expect:
            fail("a sweep of sort %s under native, shadow, ept: exit %d, runs %r, want %r\n%s" %
                 (" ".join(args), p.returncode, got, expect, text.strip()[-400:]))
        else:
            note("a sweep of sort %s: 3 ok runs, checksum %s on every backend (workload %s)" %
                 (" ".join(args), want, rows[0][3]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    global sanitized
    if len(sys.argv) > 1 and sys.argv[1] == "--sanitized":
        sanitized = True
        del sys.argv[1]
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    mode, memvirt = sys.argv[1], os.path.abspath(sys.argv[2])
    if mode == "program":
        files, args, kvm_args, _ = parse_common(sys.argv[4:])
        check_binary(memvirt, sys.argv[3], args, files, kvm_backends(memvirt), kvm_args, extra_backends)
    elif mode == "source":
        src = sys.argv[3]
        files, args, kvm_args, pie = parse_common(sys.argv[4:])
        cxx = src.endswith((".cc", ".cpp"))
        need = "g++" if cxx else "gcc"
        if not shutil.which(need):
            print("SKIP: %s not found (apt-get install %s)" % (need, need))
            sys.exit(77)
        kvm = kvm_backends(memvirt)
        work = tempfile.mkdtemp(prefix="memvirt-programs-")
        try:
            # musl-gcc's -static-pie links a dynamic loader in (Debian's
            # wrapper): a static PIE is gcc's only.
            # C++: g++ only (musl-gcc has no C++ library).
            if cxx:
                ccs = [("g++", ["g++", "-static", "-O2", "-pthread"])]
            elif pie:
                ccs = [("static-pie", ["gcc", "-static-pie", "-O2", "-pthread"])]
            else:
                ccs = compilers()
            for tag, cc in ccs:
                exe = compile_source(os.path.abspath(src), work, "-" + tag, cc, ["-Wall", "-Werror"] + extra_cflags)
                if exe:
                    check_binary(memvirt, exe, args, files, kvm, kvm_args, extra_backends)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    elif mode == "bad":
        bad_case(memvirt, sys.argv[3], sys.argv[4])
    elif mode == "feature":
        feature_case(memvirt, sys.argv[3], sys.argv[4])
    elif mode == "sweep":
        sweep_case(memvirt, sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    else:
        sys.exit(__doc__)
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
