#!/usr/bin/env python3
"""tests/reference/check.py — the workload suite's counters against the
references recorded before a redesign or a speed-up.

Every configuration of configs.txt runs on the soft engine; each run's
status, checksums, run-wide and per-VM counters and modelled cycles must
equal counters.ref exactly.  The soft engine is deterministic, so any
difference is a change of the model: a redesign or speed-up must not make
one.  A deliberate model change re-records the references with --update
and says why in its commit.

Counters of the host implementation rather than the model (the predecode
cache's own bookkeeping) are left out: a faster decoder may count them
differently while every guest-visible and modelled count stays the same.

Usage: check.py MEMVIRT [--update] [--jobs N] [--only NAME...]
"""
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIGS = os.path.join(HERE, "configs.txt")
REFS = os.path.join(HERE, "counters.ref")
IMPLEMENTATION_COUNTERS = ("soft.predecode_",)


def configs():
    out = []
    with open(CONFIGS) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                name, _, args = line.partition(" ")
                out.append((name, args.split()))
    return out


def number(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v)


def measure(memvirt, name, args):
    cmd = [memvirt, "run", "--engine", "soft", "--no-db", "--json", "--timeout", "300"] + args
    p = subprocess.run(cmd, capture_output=True, text=True)
    try:
        d = json.loads(p.stdout)
    except ValueError:
        return name, None, "exit %d, no JSON: %s" % (p.returncode, p.stderr.strip()[:400])
    rows = {"status": d.get("status"), "checksum": ",".join(str(c) for c in d.get("checksum", []))}
    mc = d.get("modelled_cycles")
    rows["modelled_cycles"] = "null" if mc is None else number(mc)
    for k, v in d.get("counters", {}).items():
        if not k.startswith(IMPLEMENTATION_COUNTERS):
            rows["counters." + k] = number(v)
    for i, vm in enumerate(d.get("vm_counters", [])):
        for k, v in vm.items():
            if not k.startswith(IMPLEMENTATION_COUNTERS):
                rows["vm%d.%s" % (i, k)] = number(v)
    return name, rows, None


def main():
    argv = sys.argv[1:]
    if not argv:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    memvirt = argv.pop(0)
    update = "--update" in argv
    jobs = 2
    only = []
    i = 0
    while i < len(argv):
        if argv[i] == "--jobs":
            jobs = int(argv[i + 1])
            i += 1
        elif argv[i] == "--only":
            only = argv[i + 1:]
            break
        i += 1
    todo = [c for c in configs() if not only or c[0] in only]
    with ThreadPoolExecutor(max_workers=jobs) as ex:
        results = list(ex.map(lambda c: measure(memvirt, c[0], c[1]), todo))
    errors = [(n, e) for n, r, e in results if e]
    for n, e in errors:
        print("FAIL: %s: %s" % (n, e))
    if errors:
        return 1
    got = {(n, k): v for n, r, _ in results for k, v in r.items()}
    if update:
        # With --only, the other configurations keep their references.
        if only and os.path.exists(REFS):
            with open(REFS) as f:
                for line in f:
                    if line.startswith("#") or not line.strip():
                        continue
                    n, k, v = line.rstrip("\n").split(" ", 2)
                    if n not in only:
                        got[(n, k)] = v
        with open(REFS, "w") as f:
            f.write("# written by tests/reference/check.py --update; NAME KEY VALUE\n")
            for (n, k) in sorted(got):
                f.write("%s %s %s\n" % (n, k, got[(n, k)]))
        print("recorded %d values of %d configurations in %s" % (len(got), len(results), REFS))
        return 0
    want = {}
    with open(REFS) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            n, k, v = line.rstrip("\n").split(" ", 2)
            if not only or n in only:
                want[(n, k)] = v
    bad = 0
    for key in sorted(set(want) | set(got)):
        w, g = want.get(key), got.get(key)
        if w != g:
            bad += 1
            if bad <= 40:
                print("FAIL: %s %s: reference %s, now %s" % (key[0], key[1], w or "absent", g or "absent"))
    if bad:
        print("%d of %d values differ from the references" % (bad, len(want)))
        return 1
    print("%d values of %d configurations equal the references" % (len(want), len(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
