#!/usr/bin/env bash
# tests/analysis/findings.sh MEMVIRT — what `memvirt compare`, `report`
# and `export` answer, on runs made for each question: unlike machines
# are never one baseline, TLB geometry is compared canonically, copies of
# a deterministic run are one exact sample, per-run and per-configuration
# overheads agree, plots hold every bar with fixed colours and honest
# axes, CSV keeps every digit, views and exports give the same numbers,
# the time series is recorded and plotted.
set -u
memvirt=${1:?memvirt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
run() { "$memvirt" run --quiet "$@" || fail "memvirt run $*"; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }

# 1. Baselines: native on the page-table machine is not asid's baseline.
db="$work/machines.db"
run --db "$db"
run --db "$db" --machine archtlb
run --db "$db" --machine archtlb --backend asid
"$memvirt" compare --db "$db" --runs 1-3 --json >"$work/m.json" || fail "compare --json"
json "$work/m.json" '
r = {x["run_id"]: x for x in d["runs"]}
want = r[3]["modelled_cycles"] / r[2]["modelled_cycles"] - 1
assert r[3]["baseline_run_id"] == 2, r[3]["baseline_run_id"]
assert abs(r[3]["overhead"] - want) < 1e-12, (r[3]["overhead"], want)
c = [x for x in d["configurations"] if x["run_ids"] == [3]][0]
assert c["baseline"] == [2] and abs(c["overhead"] - want) < 1e-12, c
assert "machine=archtlb" in c["configuration"], c["configuration"]
' || fail "asid must be measured against native on the architected-TLB machine"

# 2. and 3. TLB geometry: the default spelled out is the default; a
# native run with another TLB is no baseline of the default's runs; the
# per-run overhead is the configuration's.
db="$work/tlb.db"
run --db "$db"
run --db "$db" --tlb l1=16:4,l2=0
run --db "$db" --backend shadow --tlb l1=64:4,l2=1024:8
run --db "$db" --backend shadow --tlb l2=2048:8
"$memvirt" compare --db "$db" --runs 1-4 --json >"$work/t.json" || fail "compare --json"
json "$work/t.json" '
r = {x["run_id"]: x for x in d["runs"]}
assert r[3]["baseline_run_id"] == 1, r[3]
assert abs(r[3]["overhead"] - (r[3]["modelled_cycles"] / r[1]["modelled_cycles"] - 1)) < 1e-12
assert r[4]["baseline_run_id"] is None and r[4]["overhead"] is None, r[4]
assert r[2]["baseline_run_id"] == 2 and r[2]["overhead"] == 0, r[2]
c = [x for x in d["configurations"] if x["run_ids"] == [3]][0]
assert c["overhead"] == r[3]["overhead"], (c["overhead"], r[3]["overhead"])
' || fail "TLB geometry must be compared canonically"
"$memvirt" compare --db "$db" --runs 1-4 >"$work/t.txt" || fail "compare"
grep -q '^tlb ' "$work/t.txt" || fail "compare has no TLB row"
grep -q 'l2=2048:8' "$work/t.txt" || fail "compare does not show the TLB geometry"
grep -q '^overhead vs native .* no baseline' "$work/t.txt" || fail "run 4 must say it has no baseline"
ov=$(json "$work/t.json" 'print("%+.2f%%" % (100 * [x for x in d["runs"] if x["run_id"] == 3][0]["overhead"]))')
[ "$(grep -c -- "$ov" "$work/t.txt")" -ge 2 ] || fail "per-run and per-configuration overheads differ ($ov)"

# 4. Determinism: three copies of one seed are one exact sample; a
# regression over 3 working sets repeated 3 times has 3 points.
db="$work/det.db"
for w in 64K 256K 1M; do
	for b in native shadow; do
		for _ in 1 2 3; do run --db "$db" --backend $b --param wss=$w --seed 5; done
	done
done
"$memvirt" compare --db "$db" --runs 1-3,4-6 --json >"$work/d.json" || fail "compare --json"
json "$work/d.json" '
for c in d["configurations"]:
    assert c["samples"] == 1 and c["statistics"] == "exact", c
    assert c["ci95"] is None and c["welch_p"] is None and c["overhead_ci95"] is None, c
' || fail "copies of a deterministic run inflate the sample"
"$memvirt" report --db "$db" -o "$work/det" >"$work/det.out" || fail "report"
grep -q '^1,"wss","soft scan stride=8 passes=2","shadow","deterministic",3,' "$work/det/regression.csv" ||
	fail "the regression must have 3 distinct points: $(cat "$work/det/regression.csv")"
grep -q 'e+\|-$' "$work/det/summary.csv" && grep -q ',-,' "$work/det/summary.csv" &&
	fail "summary.csv has rounded or '-' numbers"
json "$work/d.json" '
import csv
rows = {r["configuration"]: r for r in csv.DictReader(open(sys.argv[1].replace("d.json", "det/summary.csv")))}
for c in d["configurations"]:
    row = rows[c["configuration"]]
    assert float(row["mean"]) == c["mean"] and row["mean"] == repr(int(c["mean"])), (row["mean"], c["mean"])
    assert row["ci95_low"] == "" and row["welch_p"] == "", row
' || fail "summary.csv loses digits or fills missing values"
grep -q 'exact' "$work/det.out" || fail "the text summary must say the values are exact"

# 5. Plots: SVG embedded; ranges hold 0 and every bar; fixed colours.
grep -q 'data:image/svg+xml;base64,' "$work/det/report.html" || fail "plots are not embedded SVG"
gp="$work/det/plots"
grep -q "set logscale x 2" "$gp/series-1.gp" || fail "wss sweep without a log2 axis"
grep -q "set xlabel \"wss (bytes, log2 scale)\"" "$gp/series-1.gp" || fail "the x axis has no unit"
grep -q '"64 KiB" 65536' "$gp/series-1.gp" || fail "x tics are not sizes"
python3 - "$gp" <<'PY' || fail "plot ranges"
import re, sys
gp = sys.argv[1]
s = open(gp + "/series-1.gp").read()
lo, hi = map(float, re.search(r"set yrange \[([^:]+):([^\]]+)\]", s).groups())
assert lo <= 0 < hi, (lo, hi)
o = open(gp + "/overhead.gp").read()
rows = len(re.findall(r'" \d+', re.search(r"set ytics \((.*)\)", o).group(1)))
ylo, yhi = map(float, re.search(r"set yrange \[([^:]+):([^\]]+)\]", o).groups())
assert ylo < 0 and yhi > rows - 1, (ylo, yhi, rows)
xlo, xhi = map(float, re.search(r"set xrange \[([^:]+):([^\]]+)\]", o).groups())
data = [l.split() for l in open(gp + "/overhead.dat") if l[0].isdigit() or l[0] == "-"]
assert all(xlo <= float(r[2]) and float(r[3]) <= xhi for r in data), "a bar is clipped"
assert "lc rgb '#1f77b4' title \"shadow\"" in o, "shadow is not blue"
b = open(gp + "/breakdown.gp").read()
colours = re.findall(r"lc rgb '(#[0-9a-f]{6})' title \"([a-z_]+)\"", b)
assert len(set(c for c, _ in colours)) == len(colours), colours
PY
# The same cause has the same colour in another report with other causes.
db2="$work/other.db"
run --db "$db2"
run --db "$db2" --backend ept
"$memvirt" report --db "$db2" -o "$work/other" >/dev/null || fail "report"
python3 - "$gp/breakdown.gp" "$work/other/plots/breakdown.gp" <<'PY' || fail "cause colours differ between reports"
import re, sys
a, b = ({t: c for c, t in re.findall(r"lc rgb '(#[0-9a-f]{6})' title \"([a-z_]+)\"", open(f).read())} for f in sys.argv[1:])
common = set(a) & set(b)
assert common and set(a) != set(b), (a, b)
assert all(a[t] == b[t] for t in common), (a, b)
# And in the one fixed order: the order of the causes in both is the same.
order = [t for t in a if t in common]
assert order == [t for t in b if t in common], (a, b)
PY
# Breakdown parts add up to the overhead, in points.
python3 - "$work/det" <<'PY' || fail "breakdown"
import csv, sys
d = sys.argv[1]
ov = {r["configuration"]: float(r["overhead"]) for r in csv.DictReader(open(d + "/summary.csv")) if r["overhead"]}
parts = {}
for r in csv.DictReader(open(d + "/breakdown.csv")):
    if r["overhead_points"]:
        parts[r["configuration"]] = parts.get(r["configuration"], 0) + float(r["overhead_points"])
for c, p in parts.items():
    assert abs(p - 100 * ov[c]) < 1e-6, (c, p, ov[c])
assert parts, "no breakdown"
PY

# 6. The text table shows whole labels, the swept TLB setting included.
"$memvirt" report --db "$work/tlb.db" -o "$work/tr" >"$work/tr.out" || fail "report"
grep -q 'soft/shadow scan wss=1048576 stride=8 passes=2 tlb.l1.entries=64 tlb.l2.entries=2048 tlb.l2.ways=8 ' "$work/tr.out" ||
	{ cat "$work/tr.out"; fail "labels are cut or do not name the TLB"; }

# 7. Export and views give memvirt's numbers.
"$memvirt" export --db "$work/tlb.db" --format csv >"$work/e.csv" || fail "export csv"
[ "$(wc -l <"$work/e.csv")" -eq 5 ] || fail "export: a header and one line per run"
head -1 "$work/e.csv" | grep -q '^run_id,status,' || fail "export header"
python3 - "$work/e.csv" "$work/tlb.db" "$work/t.json" <<'PY' || fail "export and views"
import csv, json, sqlite3, sys
rows = list(csv.DictReader(open(sys.argv[1])))
js = {r["run_id"]: r for r in json.load(open(sys.argv[3]))["runs"]}
db = sqlite3.connect(sys.argv[2])
view = dict(db.execute("SELECT run_id, overhead FROM overhead"))
base = dict(db.execute("SELECT run_id, baseline_run_id FROM overhead"))
for r in rows:
    i = int(r["run_id"])
    want = js[i]["overhead"]
    assert (r["overhead"] == "") == (want is None), r
    if want is not None:
        assert float(r["overhead"]) == want, (r["overhead"], want)
        assert abs(view[i] - want) < 1e-12 and base[i] == js[i]["baseline_run_id"], (view.get(i), want)
    else:
        assert i not in view, i
    assert r["modelled_cycles"] == str(int(js[i]["modelled_cycles"])), r["modelled_cycles"]
summary = db.execute("SELECT run_id, machine, tlb, instructions FROM run_summary ORDER BY run_id").fetchall()
assert len(summary) == 4 and summary[1][2].startswith("l1=16:4,l2=0"), summary
PY
"$memvirt" export --db "$work/tlb.db" --format yaml 2>"$work/err" && fail "export --format yaml accepted"
grep -q "accepted: csv, json" "$work/err" || fail "export's error: $(cat "$work/err")"

# 8. The time series: recorded without changing the run, plotted.
db="$work/ts.db"
run --db "$db" --backend shadow
run --db "$db" --backend shadow --timeseries 100000
n=$(sqlite3 "$db" "SELECT count(DISTINCT icount) FROM timeseries WHERE run_id = 2 AND name = 'modelled_cycles'")
[ "$n" -ge 50 ] || fail "time series: $n snapshots"
[ "$(sqlite3 "$db" "SELECT count(*) FROM timeseries WHERE run_id = 1")" -eq 0 ] || fail "a series without --timeseries"
[ "$(sqlite3 "$db" "SELECT modelled_cycles FROM runs WHERE id = 1")" = \
  "$(sqlite3 "$db" "SELECT modelled_cycles FROM runs WHERE id = 2")" ] || fail "--timeseries changed the run"
last=$(sqlite3 "$db" "SELECT value FROM timeseries WHERE run_id = 2 AND name = 'modelled_cycles' ORDER BY icount DESC LIMIT 1")
total=$(sqlite3 "$db" "SELECT modelled_cycles FROM runs WHERE id = 2")
python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); assert 0 < a <= b, (a, b)" "$last" "$total" ||
	fail "the series does not grow to the run's total"
"$memvirt" report --db "$db" -o "$work/ts" >/dev/null || fail "report"
[ -s "$work/ts/plots/timeline.svg" ] || fail "no plot over time"
"$memvirt" run --no-db --timeseries 100000 >/dev/null 2>"$work/err" && fail "--timeseries without a database"
grep -q "needs a database" "$work/err" || fail "timeseries error: $(cat "$work/err")"
echo "comparisons: baselines by identity, canonical TLBs, exact deterministic samples, plots, exports, views and time series check out"
