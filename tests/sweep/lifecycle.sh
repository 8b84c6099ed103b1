#!/usr/bin/env bash
# tests/sweep/lifecycle.sh MODE MEMVIRT LOOP_PLUGIN — what becomes of a
# sweep's run processes, through the real memvirt and a plugin that never
# returns from create() (loop_plugin.c).  One behaviour per MODE:
#   children  the runs die with their sweep, whether the sweep process is
#             sent SIGKILL, SIGTERM or SIGHUP, and their rows read incomplete
#   busy      --resume does not start a point another live process is
#             running: it says so, counts it, and leaves that run alone
#   watchdog  a run that outlives its timeout (a sweep `timeout = 2`) by the
#             grace period is killed by the sweep and recorded failed with
#             that reason, and the sweep goes on
set -u
mode=${1:?usage: lifecycle.sh children|busy|watchdog MEMVIRT LOOP_PLUGIN}
memvirt=${2:?memvirt}
plugin=${3:?loop plugin}
work=$(mktemp -d)
# Every process this test may leave behind loops forever: at the end, kill
# each one it started or that wrote a run row here, if it is still one of
# this test's (its command line names this folder; a pid may be reused).
pids=()
cleanup() {
	local p d
	for d in "$work"/*.db; do
		[ -f "$d" ] || continue
		for p in $(python3 -c 'import sqlite3, sys
for (p,) in sqlite3.connect(sys.argv[1]).execute("SELECT pid FROM runs"): print(p)' "$d" 2>/dev/null); do
			pids+=("$p")
		done
	done
	for p in "${pids[@]}"; do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$work" && kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
db=
fail() {
	echo "FAIL ($mode): $*"
	for f in "$work"/*.out "$work"/*.err; do
		[ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }
	done
	[ -n "$db" ] && [ -f "$db" ] && { echo "--- runs"; rows; }
	exit 1
}
sql() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$db" "$1"; }
rows() {
	python3 -c 'import sqlite3, sys
for r in sqlite3.connect(sys.argv[1]).execute("SELECT id, status, pid, exit_code, sweep_key, error FROM runs"):
    print(*r)' "$db"
}
# How memvirt resolves a run's status (a dead writer's 'running' row is
# incomplete): the number of this database's runs it reports as $1.
resolved() {
	"$memvirt" export --db "$db" --format csv --runs "status=$1" 2>/dev/null | tail -n +2 | grep -c ''
}
# A process that exists and is not a zombie waiting for its reaper.
alive() {
	[ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local until=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$until" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
running_rows() { [ "$(sql "SELECT count(*) FROM runs WHERE status = 'running'")" -ge "$1" ]; }
# Gone for good: reaped too, since the store takes a zombie's unchanged
# /proc entry for its writer still running.
none_left() {
	for p in "$@"; do
		[ -e "/proc/$p" ] && return 1
	done
	return 0
}

case $mode in
children)
	cat >"$work/loop.sweep" <<SWEEP
[sweep]
name = children
backend = $plugin
workload = scan
repetitions = 2
timeout = 600
SWEEP
	for sig in KILL TERM HUP; do
		db="$work/$sig.db"
		# With SIGHUP at its default action: one ignored when the test
		# started (nohup) would stay ignored by the sweep, and by bash.
		python3 -c 'import os, signal, sys
signal.signal(signal.SIGHUP, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$memvirt" sweep "$work/loop.sweep" -j 2 --db "$db" \
			>"$work/$sig.out" 2>"$work/$sig.err" &
		sweep_pid=$!
		pids+=("$sweep_pid")
		wait_for 60 running_rows 2 || fail "SIG$sig: the two runs never started"
		children=$(sql "SELECT group_concat(pid, ' ') FROM runs WHERE status = 'running'")
		# shellcheck disable=SC2206
		pids+=($children)
		kill -"$sig" "$sweep_pid"
		wait "$sweep_pid"
		rc=$?
		if [ "$sig" = KILL ]; then want=137; else want=130; fi
		[ "$rc" -eq "$want" ] || fail "SIG$sig: the sweep exited $rc, want $want"
		# shellcheck disable=SC2086
		if ! wait_for 10 none_left $children; then
			for p in $children; do
				alive "$p" && fail "SIG$sig: the sweep is gone but its run $p still runs"
			done
			fail "SIG$sig: the runs $children died but were not reaped in 10 s"
		fi
		[ "$(resolved running)" -eq 0 ] && [ "$(resolved incomplete)" -eq 2 ] ||
			fail "SIG$sig: runs read $(resolved running) running, $(resolved incomplete) incomplete; want 0 and 2"
		if [ "$sig" != KILL ]; then
			grep -q 'INTERRUPTED' "$work/$sig.out" || fail "SIG$sig: no INTERRUPTED in the summary"
			[ "$(sql "SELECT status FROM sweeps")" = interrupted ] || fail "SIG$sig: sweep not interrupted"
		fi
	done
	echo "sweep lifecycle: the runs died with their sweep on SIGKILL, SIGTERM and SIGHUP"
	;;
busy)
	db="$work/busy.db"
	cat >"$work/busy.sweep" <<SWEEP
[sweep]
name = busy
backend = native, $plugin
workload = scan
timeout = 600
[params]
wss = 64K
SWEEP
	# A first sweep: native ends ok, the looping point is stopped by Ctrl-C.
	"$memvirt" sweep "$work/busy.sweep" -j 2 --db "$db" >"$work/first.out" 2>"$work/first.err" &
	sweep_pid=$!
	pids+=("$sweep_pid")
	first_ready() {
		[ "$(sql "SELECT count(*) FROM runs WHERE status = 'ok'")" -eq 1 ] && running_rows 1
	}
	wait_for 60 first_ready || fail "the first sweep never had native ok and the loop running"
	kill -INT "$sweep_pid"
	wait "$sweep_pid"
	rc=$?
	[ "$rc" -eq 130 ] || fail "interrupted sweep: exit $rc, want 130"
	key=$(sql "SELECT sweep_key FROM runs WHERE status != 'ok'")
	# Another process runs that point (an orphan, another memvirt sweep).
	"$memvirt" run --backend "$plugin" --workload scan --param wss=64K --timeout 600 --db "$db" \
		--sweep-id 1 --sweep-key "$key" >"$work/other.out" 2>"$work/other.err" &
	other=$!
	pids+=("$other")
	other_running() { [ "$(sql "SELECT count(*) FROM runs WHERE status = 'running' AND pid = $other")" -eq 1 ]; }
	wait_for 30 other_running || fail "the other process never recorded its run"

	"$memvirt" sweep "$work/busy.sweep" -j 2 --db "$db" --resume >"$work/resume.out" 2>"$work/resume.err" &
	resume_pid=$!
	pids+=("$resume_pid")
	started_again() {
		[ "$(sql "SELECT count(*) FROM runs WHERE sweep_key = '$key' AND status = 'running' AND pid != $other")" -gt 0 ]
	}
	ended() { ! alive "$resume_pid"; }
	ended_or_started() { ended || started_again; }
	wait_for 30 ended_or_started
	started_again && fail "--resume started the point $key again while process $other runs it"
	ended || { kill -INT "$resume_pid"; fail "--resume did not end"; }
	wait "$resume_pid"
	rc=$?
	[ "$rc" -eq 0 ] || fail "resumed sweep: exit $rc, want 0 (nothing it ran failed)"
	grep -q "^point 1 (.*) is being run by process $other; not started again$" "$work/resume.err" ||
		fail "no progress line for the point process $other runs"
	grep -q "2 runs: 0 ok, 0 failed, 1 skipped (already ok), 1 being run by another process in " \
		"$work/resume.out" || fail "summary does not count the point being run"
	alive "$other" || fail "the other process's run was stopped"
	[ "$(sql "SELECT count(*) FROM runs WHERE sweep_key = '$key' AND pid = $other AND status = 'running'")" -eq 1 ] ||
		fail "the other process's row changed"
	[ "$(sql "SELECT count(*) FROM runs WHERE status = 'ok'")" -eq 1 ] || fail "native ran again"
	[ "$(sql "SELECT count(*) FROM runs")" -eq 3 ] || fail "--resume recorded runs: $(sql "SELECT count(*) FROM runs") rows, want 3"
	echo "sweep lifecycle: --resume left the point process $other runs alone"
	;;
watchdog)
	db="$work/watchdog.db"
	cat >"$work/watchdog.sweep" <<SWEEP
[sweep]
name = watchdog
backend = $plugin
backend-opt = deaf
workload = scan
repetitions = 2
timeout = 2
SWEEP
	start=$(date +%s)
	"$memvirt" sweep "$work/watchdog.sweep" -j 1 --db "$db" >"$work/watchdog.out" 2>"$work/watchdog.err" &
	sweep_pid=$!
	pids+=("$sweep_pid")
	ended() { ! alive "$sweep_pid"; }
	wait_for 60 ended
	ended || fail "the sweep did not end in 60 s: its looping runs were never killed"
	wait "$sweep_pid"
	rc=$?
	took=$(($(date +%s) - start))
	[ "$rc" -eq 1 ] || fail "sweep: exit $rc, want 1 (its runs failed)"
	reason="killed by the sweep after its 2 s timeout (the run did not stop by itself)"
	[ "$(sql "SELECT count(*) FROM runs WHERE status = 'failed' AND exit_code = 137 AND error = '$reason'")" -eq 2 ] ||
		fail "want 2 runs failed with '$reason'"
	[ "$(grep -c "FAILED .*: $reason" "$work/watchdog.err")" -eq 2 ] || fail "progress does not report the kills"
	grep -q "2 runs: 0 ok, 2 failed" "$work/watchdog.out" || fail "summary"
	# Each run is given its 2 s and the 2 s grace, then SIGTERM (blocked
	# here) and SIGKILL 2 s later: about 6 s, never less than 4.
	shortest=$(sql "SELECT min(CAST((julianday(ended_at) - julianday(started_at)) * 86400000 AS INTEGER)) FROM runs")
	longest=$(sql "SELECT max(CAST((julianday(ended_at) - julianday(started_at)) * 86400000 AS INTEGER)) FROM runs")
	[ "$shortest" -ge 4000 ] || fail "a run was killed after $shortest ms, before its timeout and grace"
	[ "$longest" -le 15000 ] || fail "a run was killed only after $longest ms"
	[ "$took" -le 40 ] || fail "the sweep took $took s"
	echo "sweep lifecycle: two looping runs killed after their timeout, in $shortest to $longest ms each"
	;;
*)
	fail "unknown mode '$mode'"
	;;
esac
