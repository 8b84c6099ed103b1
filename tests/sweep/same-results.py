#!/usr/bin/env python3
"""tests/sweep/same-results.py A.db B.db — whether two results databases
hold the same results: the same sweep points (sweep keys) ok, and for each
point the same configuration identity, checksum and counters (every VM,
every name, every value), whatever the run ids, timings and hosts.  Prints
the first differences and exits 1 when they differ."""
import json
import sqlite3
import sys


def results(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    for run_id, key, config, checksum in db.execute(
            "SELECT id, sweep_key, config, checksum FROM runs WHERE status = 'ok' AND sweep_key IS NOT NULL"):
        counters = tuple(sorted(db.execute("SELECT vm, name, value FROM counters WHERE run_id = ?", (run_id,))))
        entry = (json.loads(config).get("identity"), checksum, counters)
        if key in out and out[key] != entry:
            sys.exit(f"{path}: point {key} has two ok runs that differ")
        out[key] = entry
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: same-results.py A.db B.db")
    a, b = results(sys.argv[1]), results(sys.argv[2])
    problems = []
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            problems.append(f"point {key}: ok only in {sys.argv[1] if key in a else sys.argv[2]}")
        elif a[key] != b[key]:
            what = ["identity", "checksum", "counters"]
            diff = [what[i] for i in range(3) if a[key][i] != b[key][i]]
            problems.append(f"point {key}: {', '.join(diff)} differ")
    if not a:
        problems.append(f"{sys.argv[1]}: no ok sweep runs at all")
    if problems:
        print("\n".join(problems[:10]))
        sys.exit(1)
    print(f"same results: {len(a)} points, identities, checksums and counters equal")


main()
