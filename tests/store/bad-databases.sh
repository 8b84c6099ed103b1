#!/usr/bin/env bash
# tests/store/bad-databases.sh MEMVIRT — damaged, foreign and contended
# database files: every command gives one line naming the file and what
# is wrong, with one exit status for one kind of problem; no run is added
# to a damaged database; two writers creating one new database both keep
# their runs; a write that fails says SQLite's reason and leaves the run
# recorded failed, not running.
set -u
memvirt=$(realpath "${1:?memvirt}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
cd "$work" || exit 1

# expect RC PATTERN CMD...: exit RC, one line on stderr matching PATTERN.
expect() {
	local want=$1 pattern=$2
	shift 2
	"$memvirt" "$@" >out 2>err
	local rc=$?
	if [ "$rc" -ne "$want" ] || [ "$(grep -c '' err)" -ne 1 ] || ! grep -q -- "$pattern" err; then
		fail "$*: exit $rc (want $want), stderr: $(head -c 400 err)"
	fi
}

"$memvirt" run --db good.db --quiet --param wss=64K || fail "a first run"
"$memvirt" run --db good.db --quiet --param wss=64K --backend shadow || fail "a second run"
sqlite3 good.db "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null

# A truncated file: the same message and status from every command.
head -c 5000 good.db >trunc.db
for cmd in run compare export; do
	args=(--db trunc.db)
	[ "$cmd" = export ] && args+=(--format csv)
	expect 2 "trunc.db: not an SQLite database (database disk image is malformed)" "$cmd" "${args[@]}"
done
# A memvirt database with a table dropped.
cp good.db notable.db
sqlite3 notable.db "DROP TABLE counters"
expect 2 "notable.db: a damaged memvirt database: its table 'counters' is missing" compare --db notable.db
expect 2 "notable.db: a damaged memvirt database: its table 'counters' is missing" run --db notable.db
# A damaged page: no run is added, the runs there can still be read.
cp good.db corrupt.db
ps=$(sqlite3 corrupt.db "PRAGMA page_size")
root=$(sqlite3 corrupt.db "SELECT rootpage FROM sqlite_schema WHERE name = 'events'")
printf '\377\377\000\001' | dd of=corrupt.db bs=1 seek=$(((root - 1) * ps + 3)) conv=notrunc status=none
expect 2 "corrupt.db fails SQLite's quick_check" run --db corrupt.db
[ "$(sqlite3 corrupt.db "SELECT count(*) FROM runs")" = 2 ] || fail "a run was added to the damaged database"
"$memvirt" export --db corrupt.db --format csv >out 2>err && [ "$(wc -l <out)" -eq 3 ] ||
	fail "the damaged database's runs cannot be read: $(cat err)"
# Not memvirt's, not SQLite at all, an empty name.
sqlite3 other.db "CREATE TABLE t(x)"
expect 2 "other.db: not a memvirt results database" run --db other.db
printf 'hello\n' >text.db
expect 2 "text.db: not an SQLite database" compare --db text.db
expect 2 "needs a file name" run --db ""
expect 3 "cannot open" run --db "$work/no/such/folder/x.db"

# Two writers creating one new database: neither loses its run.
for i in $(seq 1 10); do
	"$memvirt" run --db race$i.db --quiet --param wss=64K 2>race$i.a &
	a=$!
	"$memvirt" run --db race$i.db --quiet --param wss=64K 2>race$i.b &
	b=$!
	wait $a || fail "race $i: the first writer failed: $(cat race$i.a)"
	wait $b || fail "race $i: the second writer failed: $(cat race$i.b)"
	[ "$(sqlite3 race$i.db "SELECT count(*) FROM runs WHERE status = 'ok'")" = 2 ] || fail "race $i: a run was lost"
done

# A write that fails (the file may not grow): SQLite's reason, the run
# recorded failed or not begun, never 'running'.
rm -f full.db*
(
	trap '' XFSZ
	ulimit -f 120
	"$memvirt" run --db full.db --record full --workload ptchurn --quiet
) 2>err
rc=$?
[ "$rc" -eq 3 ] || fail "a failed write: exit $rc, want 3"
grep -q "not an error" err && fail "the reason is lost: $(cat err)"
[ "$(grep -c '' err)" -eq 1 ] && grep -q "disk I/O error\|disk is full" err || fail "a failed write says: $(cat err)"
[ "$(sqlite3 full.db "SELECT count(*) FROM runs WHERE status = 'running'" 2>/dev/null || echo 0)" = 0 ] ||
	fail "the run is left running"
[ "$failures" -eq 0 ] || exit 1
echo "bad, damaged and contended databases: one clear line each, nothing lost"
