#!/usr/bin/env bash
# tests/ept/vs-shadow.sh — ept next to shadow on the two workloads that
# stress the page-table pointer and the page tables (ctxsw, ptchurn):
# same checksums as native; under ept no exit for CR3 writes or
# page-table updates, under shadow many; `memvirt compare` shows native,
# ept and shadow side by side with walk references per miss.
set -u
memvirt=${1:?usage: vs-shadow.sh PATH/TO/memvirt}
. "$(dirname "$0")/../lib/runs.sh"
db="$work/r.db"

# run_recorded NAME ARGS...: recorded in $db, JSON in $work/NAME.json
run_recorded() {
	local name=$1 rc
	shift
	"$memvirt" run --db "$db" --json --timeout 240 "$@" >"$work/$name.json" 2>"$work/$name.err"
	rc=$?
	[ $rc -eq 0 ] || fail "memvirt run $* exited $rc: $(head -c 600 "$work/$name.err")$(grep -o '"error":"[^"]\{0,400\}' "$work/$name.json")"
	return $rc
}

for spec in "ctxsw rounds=100" "ptchurn rounds=4"; do
	w=${spec%% *}
	p=${spec#* }
	for b in native ept shadow; do
		run_recorded "$w-$b" --workload "$w" --param "$p" --backend "$b"
	done
	for b in ept shadow; do
		[ "$(checksum "$w-$b")" = "$(checksum "$w-native")" ] ||
			fail "$w under $b: checksum differs from native"
	done
	for c in soft.intercept.cr3_write soft.intercept.invlpg soft.exit.intercept; do
		v=$(ctr "$w-ept" "$c")
		[ "${v:-0}" = 0 ] || fail "$w under ept: $c = $v, want 0"
	done
done
# "Many": every guest address-space switch, every table update.
switches=$(ctr ctxsw-native guest_context_switches)
v=$(ctr ctxsw-shadow soft.intercept.cr3_write)
[ "${v:-0}" -ge "${switches:-1}" ] ||
	fail "ctxsw under shadow: ${v:-0} CR3-write exits for ${switches:-?} guest context switches"
v=$(ctr ptchurn-shadow soft.exit.intercept)
freed=$(ctr ptchurn-native guest_ptpages_freed)
[ "${v:-0}" -ge "${freed:-1}" ] ||
	fail "ptchurn under shadow: ${v:-0} intercept exits for ${freed:-?} page-table pages freed"

"$memvirt" compare --db "$db" --runs last:3 >"$work/cmp.out" 2>"$work/cmp.err" ||
	fail "memvirt compare: $(cat "$work/cmp.err")"
grep -Eq '^backend +native +ept +shadow *$' "$work/cmp.out" ||
	fail "compare: no 'backend native ept shadow' row: $(head -5 "$work/cmp.out")"
grep -q '^walk refs per TLB miss' "$work/cmp.out" || fail "compare: no walk refs per TLB miss row"

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "ept vs shadow: ok"
