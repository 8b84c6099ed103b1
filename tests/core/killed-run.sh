#!/usr/bin/env bash
# tests/core/killed-run.sh — `memvirt run` killed with SIGKILL in the
# middle of a run recording every event leaves a database that opens,
# passes PRAGMA integrity_check and shows that run as incomplete; the next
# run in the same database works and marks it incomplete for good.
set -u
memvirt=${1:?memvirt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/r.db"
fail() { echo "FAIL: $*"; exit 1; }

# Two VMs switching every 2000 instructions make a steady stream of events.
"$memvirt" run --db "$db" --record full --workload ptchurn --param rounds=100000 \
	--vms 2 --quantum 2000 >/dev/null 2>&1 &
pid=$!
# Wait until the run is recording: its row exists and events are committed.
for _ in $(seq 1 200); do
	n=$(sqlite3 "$db" "SELECT count(*) FROM events" 2>/dev/null || echo 0)
	[ "${n:-0}" -gt 0 ] && break
	sleep 0.05
done
[ "${n:-0}" -gt 0 ] || { kill -9 $pid; fail "the run never recorded an event"; }
kill -9 $pid
wait $pid 2>/dev/null

[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after SIGKILL"
[ "$(sqlite3 "$db" "SELECT status FROM runs")" = running ] || fail "the row should still say running"
"$memvirt" compare --db "$db" --runs 1 >"$work/cmp" || fail "compare on the killed run's database"
grep -q "incomplete" "$work/cmp" || { cat "$work/cmp"; fail "compare should show the run as incomplete"; }
# The selector filters on the status a reader resolves, not the stored one.
"$memvirt" export --db "$db" --runs status=incomplete --format csv >"$work/inc" || fail "export status=incomplete"
[ "$(wc -l <"$work/inc")" -eq 2 ] && grep -q '^1,incomplete,' "$work/inc" ||
	{ cat "$work/inc"; fail "--runs status=incomplete should select the dead running row"; }
"$memvirt" export --db "$db" --runs status=running --format csv >"$work/run" 2>&1
[ "$(wc -l <"$work/run")" -le 1 ] || fail "a dead writer's row is not running"
"$memvirt" run --db "$db" --workload scan --param wss=64K >/dev/null || fail "a new run in the same database"
[ "$(sqlite3 "$db" "SELECT status FROM runs WHERE id = 1")" = incomplete ] || fail "the writer should mark it incomplete"
[ "$(sqlite3 "$db" "SELECT status FROM runs WHERE id = 2")" = ok ] || fail "the second run should be ok"
echo "a killed run leaves a consistent database with the run incomplete"
