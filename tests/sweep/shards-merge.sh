#!/usr/bin/env bash
# tests/sweep/shards-merge.sh MODE MEMVIRT SAME_RESULTS — sweeps cut into
# shards and merged back, through the real memvirt command.
#
#   cover       for N = 1, 2, 3, 7 the shards' runs (--shard I/N --list)
#               are the grid's, each exactly once
#   merge       a sweep run in 3 shards, each into its own database, then
#               merged, holds the same results as the sweep run whole
#               (configurations, checksums, counters); merging again
#               changes nothing, byte for byte; foreign, older and missing
#               databases are refused and the output stays as it was;
#               lone runs keep their events, time series and KVM statistics
#               row for row
#   unfinished  a shard interrupted in one database and run again in
#               another merges to every point ok in one finished sweep,
#               nothing lost; a run still being run here is left out until
#               it ends; a run being run on another host is copied as
#               incomplete and replaced by its finished copy later
set -u
mode=${1:?usage: shards-merge.sh cover|merge|unfinished MEMVIRT SAME_RESULTS}
memvirt=${2:?memvirt}
same=${3:?same-results.py}
# Meson passes paths relative to the build folder; this script moves away.
memvirt=$(realpath "$memvirt")
same=$(realpath "$same")
work=$(mktemp -d)
bg=
trap '[ -n "$bg" ] && kill "$bg" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out "$work"/*.err; do
		[ -s "$f" ] && { echo "--- $f"; tail -15 "$f"; }
	done
	exit 1
}
# Wait for DB to hold a 'running' run, SIGSTOP its process, print its pid.
freeze_running() {
	local pid
	for _ in $(seq 1 3000); do
		pid=$(sqlite3 "$1" "SELECT pid FROM runs WHERE status = 'running'" 2>/dev/null)
		if [ -n "$pid" ]; then
			kill -STOP "$pid" && echo "$pid" && return 0
		fi
		sleep 0.01
	done
	return 1
}
sql() { python3 -c 'import sqlite3, sys; r = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print(r[0] if r else "")' "$1" "$2"; }

cat >grid.sweep <<'SWEEP'
[sweep]
name = shards
engine = soft
backend = native, shadow
workload = scan, ptchurn
repetitions = 2
[params.scan]
wss = 64K, 128K
SWEEP

case "$mode" in
cover)
	"$memvirt" sweep grid.sweep --list >all.out 2>all.err || fail "--list: exit $?"
	total=$(grep -c '' all.out)
	[ "$total" -eq 12 ] || fail "the grid has $total runs, want 12"
	cut -f2 all.out | sort >all.keys
	[ "$(sort -u all.keys | grep -c '')" -eq 12 ] || fail "the grid's keys are not distinct"
	for n in 1 2 3 7; do
		: >union.keys
		for i in $(seq 1 "$n"); do
			"$memvirt" sweep grid.sweep --shard "$i/$n" --list >shard.out 2>shard.err ||
				fail "--shard $i/$n --list: exit $?"
			size=$(grep -c '' shard.out)
			[ "$size" -eq $((12 / n)) ] || [ "$size" -eq $((12 / n + 1)) ] ||
				fail "shard $i/$n holds $size runs of 12 (unbalanced)"
			cut -f2 shard.out >>union.keys
			"$memvirt" sweep grid.sweep --shard "$i/$n" --check >check.out 2>&1 || fail "--shard $i/$n --check"
			grep -q "shard $i/$n: $size of the grid's 12 runs" check.out || fail "--check says: $(cat check.out)"
		done
		sort union.keys >union.sorted
		[ "$(grep -c '' union.sorted)" -eq 12 ] || fail "$n shards hold $(grep -c '' union.sorted) runs, want 12"
		cmp -s union.sorted all.keys || fail "$n shards do not hold exactly the grid's runs: $(diff union.sorted all.keys | head -3)"
	done
	# Bad slices: one line, exit 2.
	for bad in 0/3 4/3 3 a/b 1/0 1/10001; do
		"$memvirt" sweep grid.sweep --shard "$bad" --db bad.db >bad.out 2>bad.err
		rc=$?
		[ "$rc" -eq 2 ] || fail "--shard $bad: exit $rc, want 2"
		[ "$(grep -c '' bad.err)" -eq 1 ] && grep -q "expected I/N" bad.err || fail "--shard $bad says: $(cat bad.err)"
	done
	[ ! -e bad.db ] || fail "a bad --shard made a database"
	"$memvirt" sweep grid.sweep --shard 1/2 --slurm >bad.out 2>bad.err
	[ $? -eq 2 ] || fail "--shard with --slurm accepted"
	echo "shards of 1, 2, 3 and 7 cover the grid exactly once, balanced"
	;;
merge)
	"$memvirt" sweep grid.sweep --db whole.db -j 2 >whole.out 2>whole.err || fail "the whole sweep: exit $?"
	for i in 1 2 3; do
		"$memvirt" sweep grid.sweep --shard "$i/3" --db "s$i.db" -j 2 >"s$i.out" 2>"s$i.err" ||
			fail "shard $i/3: exit $?"
		[ "$(sql "s$i.db" "SELECT shard_index || '/' || shard_count || ' ' || points || ' ' || grid_points FROM sweeps")" = "$i/3 4 12" ] ||
			fail "shard $i's sweep row: $(sql "s$i.db" "SELECT shard_index, shard_count, points, grid_points FROM sweeps")"
	done
	"$memvirt" merge --db merged.db s1.db s2.db s3.db >merge.out 2>merge.err || fail "merge: exit $?"
	grep -q "merged 3 databases into merged.db: 12 runs added, 0 replaced, 0 already there" merge.out ||
		fail "merge says: $(cat merge.out)"
	python3 "$same" whole.db merged.db >same.out 2>&1 || fail "sharded and merged differs from whole: $(cat same.out)"
	python3 "$same" merged.db whole.db >same.out 2>&1 || fail "whole differs from sharded and merged: $(cat same.out)"
	[ "$(sql merged.db "SELECT count(*) || ' ' || status || ' ' || runs_ok || ' ' || runs_failed || ' ' || grid_points FROM sweeps")" = "1 done 12 0 12" ] ||
		fail "the merged sweep: $(sql merged.db "SELECT count(*), status, runs_ok, runs_failed FROM sweeps")"
	[ "$(sql merged.db "SELECT count(*) FROM sweep_sources")" = 3 ] || fail "the merged sweep's sources"
	[ "$(sql merged.db "SELECT count(*) FROM runs WHERE sweep_id IS NOT (SELECT id FROM sweeps)")" = 0 ] ||
		fail "merged runs outside the merged sweep"
	for table in counters events kvm_stats timeseries; do
		a=$(sql whole.db "SELECT count(*) FROM $table")
		b=$(sql merged.db "SELECT count(*) FROM $table")
		[ "$a" = "$b" ] || fail "$table: $a rows whole, $b merged"
	done
	# Readers take the merged database as any other.
	"$memvirt" compare --db merged.db --runs sweep=1 >compare.out 2>compare.err || fail "compare on the merged database"
	# Merging again: byte for byte the same.
	sqlite3 merged.db .dump >before.sql
	"$memvirt" merge --db merged.db s1.db s3.db s2.db >again.out 2>again.err || fail "merge again: exit $?"
	grep -q "0 runs added, 0 replaced, 12 already there" again.out || fail "merge again says: $(cat again.out)"
	sqlite3 merged.db .dump >after.sql
	cmp -s before.sql after.sql || fail "merging again changed the database: $(diff before.sql after.sql | head -5)"
	# A whole database merged into a fresh one: a copy with the same results.
	"$memvirt" merge --db copy.db whole.db >copy.out 2>copy.err || fail "merge of a whole sweep"
	python3 "$same" whole.db copy.db >same.out 2>&1 || fail "a merged copy differs: $(cat same.out)"
	[ "$(sql copy.db "SELECT uid FROM sweeps")" = "$(sql whole.db "SELECT uid FROM sweeps")" ] || fail "the copied sweep"
	# Lone runs with events (full recording) and, where this machine's
	# /dev/kvm runs the guest, KVM's statistics: copied row for row.
	"$memvirt" run --db lone.db --record full --workload ptchurn --quiet >lone.out 2>lone.err || fail "a run with events"
	"$memvirt" run --db lone.db --timeseries 100000 --workload scan --quiet >>lone.out 2>>lone.err || fail "a run with a time series"
	if "$memvirt" run --db lone.db --engine kvm --backend kvm-shadow --workload scan --quiet >kvm.out 2>kvm.err; then
		kvm=yes
	else
		kvm=
		echo "note: the kvm engine does not run here ($(tail -1 kvm.err)): KVM statistics are not checked"
	fi
	"$memvirt" merge --db merged.db lone.db >lone-merge.out 2>lone-merge.err || fail "merging lone runs: exit $?"
	for q in "SELECT e.seq, t.name, e.vm, e.vcpu, e.icount, e.gva, e.gpa, e.hpa, e.asid, e.detail, r.uid FROM events e JOIN event_types t ON t.id = e.type JOIN runs r ON r.id = e.run_id ORDER BY r.uid, e.seq" \
		"SELECT r.uid, s.vm, s.icount, s.name, s.value FROM timeseries s JOIN runs r ON r.id = s.run_id ORDER BY 1, 2, 3, 4" \
		"SELECT r.uid, k.scope, k.name, k.value_before, k.value_after FROM kvm_stats k JOIN runs r ON r.id = k.run_id ORDER BY 1, 2, 3" \
		"SELECT uid, status, engine, backend, workload, config, checksum, modelled_cycles, wall_ns FROM runs ORDER BY uid"; do
		sqlite3 lone.db "$q" >a.rows
		python3 - merged.db "$q" lone.db >b.rows <<'PY'
import sqlite3, sys
out, q, lone = sys.argv[1:4]
db = sqlite3.connect(out)
db.execute("ATTACH ? AS lone", (lone,))
uids = {u for (u,) in db.execute("SELECT uid FROM lone.runs")}
for row in db.execute(q):
    if any(isinstance(v, str) and v in uids for v in row):
        print("|".join("" if v is None else str(v) for v in row))
PY
		cmp -s a.rows b.rows || fail "merged rows differ for: $q ($(grep -c '' a.rows) vs $(grep -c '' b.rows) rows)"
	done
	[ "$(sqlite3 lone.db "SELECT count(*) FROM events")" -gt 1000 ] || fail "the full run recorded few events"
	[ "$(sqlite3 lone.db "SELECT count(*) FROM timeseries")" -gt 10 ] || fail "the time series run recorded few rows"
	if [ -n "$kvm" ]; then
		[ "$(sqlite3 lone.db "SELECT count(*) FROM kvm_stats")" -gt 10 ] || fail "the kvm run recorded no statistics"
	fi
	# A database whose event types are numbered otherwise (as another
	# memvirt might): events land under their types by name.
	cp lone.db renum.db
	python3 - renum.db <<'PY' || fail "renumbering event types"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
used = [t for (t,) in db.execute("SELECT DISTINCT type FROM events ORDER BY type")]
assert len(used) >= 2, used
a, b = used[0], used[1]
db.execute("UPDATE events SET type = CASE type WHEN ? THEN ? WHEN ? THEN ? ELSE type END", (a, b, b, a))
db.execute("UPDATE event_types SET id = -1 WHERE id = ?", (a,))
db.execute("UPDATE event_types SET id = ? WHERE id = ?", (a, b))
db.execute("UPDATE event_types SET id = ? WHERE id = -1", (b,))
db.execute("UPDATE runs SET uid = lower(hex(randomblob(16)))")
db.commit()
PY
	"$memvirt" merge --db renum-out.db renum.db >renum.out 2>renum.err || fail "merging renumbered types: exit $?"
	q="SELECT e.seq, t.name, e.vm, e.icount, e.gva, e.detail FROM events e JOIN event_types t ON t.id = e.type ORDER BY e.run_id, e.seq"
	sqlite3 lone.db "$q" >a.rows
	sqlite3 renum-out.db "$q" >b.rows
	cmp -s a.rows b.rows || fail "events of renumbered types landed under other names"
	[ "$(sqlite3 renum-out.db "SELECT count(*) FROM events")" = "$(sqlite3 lone.db "SELECT count(*) FROM events")" ] ||
		fail "events lost with renumbered types"
	sqlite3 merged.db .dump >before.sql
	# Refused, with one line, exit 2, nothing written.
	python3 -c 'import sqlite3; c = sqlite3.connect("foreign.db"); c.execute("CREATE TABLE t (x)"); c.commit()'
	printf 'not a database at all, just text\n%.0s' $(seq 1 200) >garbage.db
	cp s1.db old.db
	python3 -c 'import sqlite3; c = sqlite3.connect("old.db"); c.execute("UPDATE schema_version SET version = 3"); c.commit()'
	for bad in foreign.db garbage.db old.db missing.db merged.db; do
		"$memvirt" merge --db merged.db s1.db "$bad" >bad.out 2>bad.err
		rc=$?
		[ "$rc" -eq 2 ] || fail "merging $bad: exit $rc, want 2 ($(cat bad.err))"
		[ "$(grep -c '' bad.err)" -eq 1 ] || fail "merging $bad: not one line: $(cat bad.err)"
		case $bad in
		foreign.db) grep -q "not a memvirt results database" bad.err ;;
		garbage.db) grep -q "not an SQLite database" bad.err ;;
		old.db) grep -q "schema version 3; merge reads version 5" bad.err ;;
		missing.db) grep -q "no such database" bad.err ;;
		merged.db) grep -q "is the output database itself" bad.err ;;
		esac || fail "merging $bad says: $(cat bad.err)"
	done
	sqlite3 merged.db .dump >after.sql
	cmp -s before.sql after.sql || fail "a refused merge changed the output"
	"$memvirt" merge s1.db >bad.out 2>bad.err
	[ $? -eq 2 ] && grep -q "give --db OUT" bad.err || fail "merge without --db: $(cat bad.err)"
	# --resume on it: nothing left to run.
	"$memvirt" sweep grid.sweep --db merged.db --resume >resume.out 2>resume.err || fail "resume on merged: exit $?"
	grep -q "12 skipped (already ok)" resume.out || fail "resume on the merged database ran runs: $(cat resume.out)"
	echo "3 shards merged equal the whole sweep; merging again changes nothing; bad inputs refused"
	;;
unfinished)
	cat >slow.sweep <<'SWEEP'
[sweep]
name = slow
engine = soft
backend = native
workload = scan
repetitions = 2
[params]
wss = 1M
passes = 40
SWEEP
	# Shard 1/2 (one run) stopped part-way in x.db: its run is frozen
	# (SIGSTOP) the moment its row appears, so that how fast the engine is
	# does not decide what the merge below sees.
	"$memvirt" sweep slow.sweep --shard 1/2 --db x.db -j 1 >x.out 2>x.err &
	bg=$!
	runpid=$(freeze_running x.db) || fail "no run started in x.db"
	# ... and merged while its run goes on: left out, said so.
	"$memvirt" merge --db live.db x.db >live.out 2>live.err || fail "merge while running: exit $?"
	grep -q "1 still being run here" live.out || fail "a live run was not left out: $(cat live.out)"
	[ "$(sql live.db "SELECT count(*) FROM runs")" = 0 ] || fail "a live run was copied"
	kill -TERM "$bg"
	sleep 0.2 # the sweep passes SIGTERM on to its run within a tick
	kill -CONT "$runpid"
	wait "$bg"
	bg=
	[ "$(sql x.db "SELECT status FROM runs")" = incomplete ] || fail "the stopped run: $(sql x.db "SELECT status FROM runs")"
	# ... run again, whole, in y.db; shard 2/2 in w.db.
	"$memvirt" sweep slow.sweep --shard 1/2 --db y.db >y.out 2>y.err || fail "shard 1/2 again: exit $?"
	"$memvirt" sweep slow.sweep --shard 2/2 --db w.db >w.out 2>w.err || fail "shard 2/2: exit $?"
	"$memvirt" merge --db z.db x.db w.db y.db >z.out 2>z.err || fail "merge: exit $?"
	[ "$(sql z.db "SELECT count(*) || ' ' || status || ' ' || runs_ok FROM sweeps")" = "1 done 2" ] ||
		fail "the merged sweep: $(sql z.db "SELECT count(*), status, runs_ok FROM sweeps")"
	[ "$(sql z.db "SELECT count(DISTINCT sweep_key) FROM runs WHERE status = 'ok'")" = 2 ] || fail "not every point ok"
	[ "$(sql z.db "SELECT count(*) FROM runs WHERE status = 'incomplete'")" = 1 ] || fail "the stopped run was lost"
	"$memvirt" sweep slow.sweep --db z.db --resume >resume.out 2>resume.err || fail "resume on z.db: exit $?"
	grep -q "2 skipped (already ok)" resume.out || fail "resume on the merged database ran runs: $(cat resume.out)"
	# A run on another host: 'running' there is copied as incomplete, and
	# its finished copy replaces it at the next merge.
	if unshare --uts true 2>/dev/null; then
		unshare --uts sh -c 'hostname memvirt-test-node && exec "$0" sweep "$1" --shard 2/2 --db v.db' \
			"$memvirt" slow.sweep >v.out 2>v.err &
		bg=$!
		runpid=$(freeze_running v.db) || fail "no run started in v.db"
		[ "$(sql v.db "SELECT host FROM runs WHERE status = 'running'")" = memvirt-test-node ] ||
			fail "no run of the other host started"
		"$memvirt" merge --db far.db v.db >far.out 2>far.err || fail "merge of the other host's run: exit $?"
		grep -q "1 unfinished (copied as incomplete)" far.out || fail "the other host's run: $(cat far.out)"
		[ "$(sql far.db "SELECT status FROM runs")" = incomplete ] || fail "copied as $(sql far.db "SELECT status FROM runs")"
		kill -CONT "$runpid"
		wait "$bg" || fail "the other host's sweep: exit $?"
		bg=
		"$memvirt" merge --db far.db v.db >far.out 2>far.err || fail "merge again: exit $?"
		grep -q "0 runs added, 1 replaced by their finished copy" far.out || fail "not replaced: $(cat far.out)"
		[ "$(sql far.db "SELECT group_concat(status) FROM runs")" = ok ] || fail "after replacing: $(sql far.db "SELECT group_concat(status) FROM runs")"
		[ "$(sql far.db "SELECT count(*) FROM counters WHERE run_id NOT IN (SELECT id FROM runs)")" = 0 ] ||
			fail "the replaced run's counters stayed behind"
		python3 "$same" w.db far.db >same.out 2>&1 || fail "the replaced run differs: $(cat same.out)"
	else
		echo "note: unshare --uts not permitted here: the other-host case is not checked"
	fi
	echo "an interrupted shard run again elsewhere merges to every point ok, nothing lost; live runs left out"
	;;
*)
	fail "unknown mode $mode"
	;;
esac
