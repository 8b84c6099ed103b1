#!/usr/bin/env bash
# tests/sweep/e2e.sh MEMVIRT SEGV_PLUGIN RENDER_CHECK — a real sweep end to
# end: three backends (native, ept and a plugin that crashes memvirt run
# as it loads) x three working-set sizes x three repetitions on the soft
# engine with -j 2; interrupted by SIGINT part-way, resumed, reported; the
# report opened in Chromium when it is installed.
set -u
memvirt=${1:?usage: e2e.sh MEMVIRT SEGV_PLUGIN RENDER_CHECK}
plugin=${2:?segv plugin}
render_check=${3:?render-check.sh}
# Under AddressSanitizer a SIGSEGV must stay a signal (not ASan's exit 1).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0"
work=$(mktemp -d)
sweep_pid=
trap '[ -n "$sweep_pid" ] && kill "$sweep_pid" 2>/dev/null; rm -rf "$work"' EXIT
db="$work/r.db"
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out "$work"/*.err; do
		[ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
	done
	exit 1
}
sql() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$db" "$1"; }

cat >"$work/e2e.sweep" <<SWEEP
# three backends x three working sets x three repetitions
[sweep]
name = e2e
engine = soft
backend = native, ept, $plugin
workload = scan
repetitions = 3
timeout = 120
[params]
wss = 64K, 128K, 256K
SWEEP

# memvirt itself must run this workload, or nothing below means anything.
"$memvirt" run --no-db --param wss=64K >"$work/plain.out" 2>"$work/plain.err" ||
	fail "memvirt run --no-db --param wss=64K fails by itself (exit $?)"

# A malformed copy is refused before anything runs, naming the line.
sed 's/^wss = .*/wss = 64K, lots/' "$work/e2e.sweep" >"$work/bad.sweep"
"$memvirt" sweep "$work/bad.sweep" --db "$work/bad.db" >"$work/bad.out" 2>"$work/bad.err"
rc=$?
[ "$rc" -eq 2 ] || fail "malformed sweep: exit $rc, want 2"
grep -q "bad.sweep:10: bad number 'lots' for 'wss'" "$work/bad.err" || fail "malformed sweep message"
[ ! -e "$work/bad.db" ] || fail "malformed sweep created a database"

# Usage errors: exit 2, one line naming the problem.
usage() {
	local want=$1
	shift
	"$memvirt" "$@" >"$work/usage.out" 2>"$work/usage.err"
	local rc=$?
	[ "$rc" -eq 2 ] && [ "$(grep -c '' "$work/usage.err")" -eq 1 ] && grep -q -- "$want" "$work/usage.err" ||
		fail "memvirt $*: exit $rc, stderr: $(cat "$work/usage.err")"
}
usage "no sweep file given" sweep
usage "bad value '0' for --jobs" sweep "$work/e2e.sweep" -j 0
usage "cannot read the sweep file" sweep "$work/missing.sweep"
usage "no output folder" report --db "$db"
[ "$("$memvirt" sweep "$work/e2e.sweep" --check)" = "$work/e2e.sweep: 27 runs (3 repetitions)" ] ||
	fail "sweep --check"

# Run, and stop it with SIGINT once a few runs have finished.
"$memvirt" sweep "$work/e2e.sweep" -j 2 --db "$db" >"$work/first.out" 2>"$work/first.err" &
sweep_pid=$!
for _ in $(seq 1 600); do
	[ "$(grep -c '^\[' "$work/first.err")" -ge 6 ] && break
	kill -0 "$sweep_pid" 2>/dev/null || break
	sleep 0.1
done
kill -INT "$sweep_pid"
wait "$sweep_pid"
rc=$?
sweep_pid=
[ "$rc" -eq 130 ] || fail "interrupted sweep: exit $rc, want 130"
grep -q 'INTERRUPTED' "$work/first.out" || fail "no INTERRUPTED in the summary"
[ "$(sql "SELECT status FROM sweeps WHERE id = 1")" = interrupted ] || fail "sweep not marked interrupted"
ok_before=$(sql "SELECT count(*) FROM runs WHERE status = 'ok'")
[ "$ok_before" -ge 1 ] && [ "$ok_before" -lt 18 ] || fail "$ok_before runs ok before resuming"
[ "$(sql "SELECT count(*) FROM runs WHERE status = 'running'")" = 0 ] || fail "runs left running"

# Resume: only what is not ok runs; the crashing plugin fails each time.
"$memvirt" sweep "$work/e2e.sweep" -j 2 --db "$db" --resume >"$work/resume.out" 2>"$work/resume.err"
rc=$?
[ "$rc" -eq 1 ] || fail "resumed sweep: exit $rc, want 1 (the plugin's runs fail)"
grep -q "skipped (already ok)" "$work/resume.out" || fail "resume summary"
grep -q "$ok_before skipped" "$work/resume.out" || fail "resume did not skip the $ok_before ok runs"
[ "$(sql "SELECT status FROM sweeps WHERE id = 1")" = done ] || fail "resumed sweep not done"
[ "$(sql "SELECT count(DISTINCT sweep_key) FROM runs WHERE sweep_id = 1 AND status = 'ok'")" = 18 ] ||
	fail "not every native/ept point ok once"
[ "$(sql "SELECT count(*) FROM runs WHERE sweep_id = 1 AND status = 'ok' AND backend IN ('native','ept')")" = 18 ] ||
	fail "a point ran twice"
crashed=$(sql "SELECT count(DISTINCT sweep_key) FROM runs WHERE sweep_id = 1 AND status = 'failed' AND error LIKE 'memvirt run was killed by signal 11 (Segmentation fault)%'")
[ "$crashed" = 9 ] || fail "$crashed crashed points recorded with the signal, want 9"
grep -q 'FAILED .*segv-plugin.so.*killed by signal 11' "$work/resume.err" || fail "progress does not report the crash"

# Report.
usage "bad run selector term 'x-y'" report --db "$db" --runs x-y -o "$work/r2"
usage "no runs match 'backend=nothing'" report --db "$db" --runs backend=nothing -o "$work/r2"
"$memvirt" report --db "$db" --runs sweep=1 -o "$work/report" >"$work/report.out" 2>"$work/report.err"
rc=$?
[ "$rc" -eq 0 ] || fail "report: exit $rc"
for f in report.html summary.csv series.csv regression.csv breakdown.csv failed.csv; do
	[ -s "$work/report/$f" ] || fail "report: no $f"
done
[ "$(grep -c '^"soft/' "$work/report/summary.csv")" -eq 6 ] || fail "summary.csv: want 6 configurations"
grep -q '^"soft/ept scan wss=65536 stride=8 passes=2",.*,3,' "$work/report/summary.csv" || fail "ept 64K: n=3"
grep -q 'killed by signal 11' "$work/report/failed.csv" || fail "failed.csv lacks the crashes"
# Runs the interruption cut short and --resume ran again ok are
# superseded: listed, not counted as failures.
cut=$(sql "SELECT count(*) FROM runs WHERE sweep_id = 1 AND status != 'ok' AND backend IN ('native','ept')")
bad=$(sql "SELECT count(*) FROM runs WHERE sweep_id = 1 AND status != 'ok' AND backend NOT IN ('native','ept')")
superseded=$(awk -F, 'NR > 1 && $3 != ""' "$work/report/failed.csv" | wc -l)
[ "$superseded" -eq "$cut" ] || fail "failed.csv: $superseded superseded runs, want $cut"
grep -q "^$bad selected runs are not ok" "$work/report.out" || fail "report: want $bad runs not ok: $(grep 'not ok' "$work/report.out")"
if [ "$cut" -gt 0 ]; then
	grep -q "^$cut selected runs were not ok but their sweep points later ran ok" "$work/report.out" ||
		fail "report does not count the $cut superseded runs"
fi
# Deterministic runs: the fit is over the 3 distinct working sets, not 9 runs.
grep -q '^1,"wss","soft scan stride=8 passes=2","ept","deterministic",3,' "$work/report/regression.csv" ||
	fail "no regression of ept overhead on wss over its 3 distinct values: $(cat "$work/report/regression.csv")"
grep -q 'backend = native, ept' "$work/report/report.html" || fail "report.html lacks the sweep file"
grep -q 'memvirt 0\|memvirt [0-9]' "$work/report/report.html" || fail "report.html lacks the version"
grep -q 'soft/ept scan wss=65536' "$work/report.out" || fail "no text summary"
sed 's/^/    /' "$work/report.out"

"$render_check" "$work/report"
rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || fail "the report does not render"
if [ "$rc" -eq 0 ]; then
	# The check itself must catch a plot that does not render.
	mkdir "$work/broken"
	sed '0,/base64,PD94/s//base64,AAAAPD94/' "$work/report/report.html" >"$work/broken/report.html"
	"$render_check" "$work/broken" >"$work/broken.out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] && grep -q '1 of them not rendered' "$work/broken.out" ||
		fail "render check passed a report with a corrupt plot (exit $rc): $(cat "$work/broken.out")"
fi
echo "sweep end to end: $ok_before runs ok before the interruption, resumed, 9 crashes recorded, report written"
