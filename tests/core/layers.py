#!/usr/bin/env python3
"""tests/core/layers.py — the layer map of docs/architecture.md held
against the code: every #include "..." of every source file under the
folders the table names must be allowed by the first (most specific) row
that matches the file.  The rules are read from the document itself, so
the map and the check cannot drift apart.

Usage: layers.py SOURCE_ROOT
"""
import os
import re
import sys


def rules(doc):
    out = []
    in_table = False
    for line in open(doc):
        if line.startswith("| files | may include |"):
            in_table = True
            continue
        if in_table:
            if not line.startswith("|"):
                break
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if set(cells[0]) <= set("-"):
                continue
            files = cells[0].strip("`")
            allowed = [a.strip().strip("`") for a in cells[1].split(",")]
            out.append((files, allowed))
    # Most specific first: the longest prefix wins.
    out.sort(key=lambda r: -len(r[0]))
    return out


def main():
    root = sys.argv[1]
    table = rules(os.path.join(root, "docs", "architecture.md"))
    if not table:
        print("FAIL: no layer table in docs/architecture.md")
        return 1
    folders = {r[0].split("/")[0] for r in table}
    bad = checked = 0
    for top in sorted(folders):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if not n.endswith((".c", ".h")):
                    continue
                path = os.path.relpath(os.path.join(dirpath, n), root)
                rule = next((r for r in table if path.startswith(r[0])), None)
                if rule is None:
                    print("FAIL: %s: no row of the layer table covers it" % path)
                    bad += 1
                    continue
                for lineno, line in enumerate(open(os.path.join(root, path), errors="replace"), 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                    if not m:
                        continue
                    inc = m.group(1)
                    checked += 1
                    # A header next to the file, included by its bare name.
                    if "/" not in inc and os.path.exists(os.path.join(dirpath, inc)) and inc != "memvirt-config.h":
                        inc = os.path.relpath(os.path.join(dirpath, inc), root)
                    if not any(inc == a or (a.endswith("/") and inc.startswith(a)) or
                               (a.endswith("_") and inc.startswith(a)) for a in rule[1]):
                        print("FAIL: %s:%d includes \"%s\"; files under %s may include only %s" %
                              (path, lineno, m.group(1), rule[0], ", ".join(rule[1])))
                        bad += 1
    if bad:
        print("%d includes break the layer map of docs/architecture.md" % bad)
        return 1
    print("%d includes follow the layer map of docs/architecture.md" % checked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
