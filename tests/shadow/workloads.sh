#!/usr/bin/env bash
# tests/shadow/workloads.sh — the shadow backend through `memvirt run`,
# always with the invariant checker on (check=1):
#  - every workload gives the same checksum under shadow (sync=wp and
#    sync=oos) as under native, and the guest kernel's own count of page
#    faults equals the true faults the VMM reflected;
#  - ptchurn's emulated page-table writes grow in proportion to its PTE
#    updates (one emulated write per PTE written, linear in rounds);
#  - ctxsw with a shadow cache of 1 root misses at every address-space
#    switch, with 8 roots only once per process;
#  - sync=oos trades emulated writes for resyncs;
#  - --vms 2 finishes both VMs with the same checksums under native and
#    shadow.
set -u
memvirt=${1:?usage: workloads.sh PATH/TO/memvirt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run NAME ARGS...: memvirt run --no-db --json ARGS into $work/NAME.json
run() {
	local name=$1
	shift
	local rc
	"$memvirt" run --no-db --json --timeout 300 "$@" >"$work/$name.json" 2>"$work/$name.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "memvirt run $* exited $rc: $(head -c 600 "$work/$name.err") $(head -c 400 "$work/$name.json")"
		return 1
	fi
	return 0
}

# ctr NAME COUNTER: the run-wide counter (0 when absent)
ctr() {
	local v
	v=$(sed -n 's/.*"counters":{\([^}]*\)}.*/\1/p' "$work/$1.json" | tr ',' '\n' |
		grep -F "\"$2\":" | head -1 | cut -d: -f2)
	echo "${v:-0}"
}

checksum() {
	grep -o '"checksum":\[[^]]*\]' "$work/$1.json"
}

# The soft engine must deliver an injected (reflected) exception without
# intercepting it again, as soft_vcpu_inject() promises (SVM's EVENTINJ).
# An engine that does not loops forever on the first true fault: say so
# and skip rather than time out on every run below.
"$memvirt" run --no-db --json --timeout 10 --backend shadow --workload scan \
	--param wss=65536 >"$work/probe.json" 2>"$work/probe.err"
if ! grep -q '"status":"ok"' "$work/probe.json" &&
	[ "$(ctr probe true_faults_reflected)" -gt 100000 ] &&
	[ "$(ctr probe soft.exceptions)" = 0 ]; then
	echo "SKIP: the soft engine intercepts the #PF that shadow injects to reflect a true fault" \
		"($(ctr probe true_faults_reflected) reflections, no exception delivered): vcpu/soft" \
		"must deliver soft_vcpu_inject()'s event without checking the exception intercepts"
	exit 77
fi

for w in scan gups chase ptchurn forkchurn ctxsw mixed; do
	run "$w-native" --backend native --workload "$w" || continue
	for sync in wp oos; do
		n="$w-$sync"
		run "$n" --backend shadow --backend-opt "check=1,sync=$sync" --workload "$w" || continue
		[ "$(checksum "$n")" = "$(checksum "$w-native")" ] ||
			fail "$n: checksum $(checksum "$n"), native $(checksum "$w-native")"
		pf=$(ctr "$n" guest_page_faults)
		tf=$(ctr "$n" true_faults_reflected)
		[ "$pf" -gt 0 ] && [ "$pf" = "$tf" ] ||
			fail "$n: the guest handled $pf page faults, the VMM reflected $tf"
		[ "$(ctr "$n" shadow_faults_hidden)" -gt 0 ] || fail "$n: no hidden fault"
		[ "$(ctr "$n" shadow_path_rebuilds)" = 0 ] || fail "$n: shadow paths rebuilt"
		[ "$(ctr "$n" shadow_checks)" -gt 0 ] || fail "$n: the checker never ran"
	done
done

# ptchurn: rounds x regions x pages pages, each PTE written when touched
# and cleared when unmapped.  flood=0 keeps every write emulated.
for r in 2 4 8; do
	run "pt$r" --backend shadow --backend-opt check=1,flood=0 --workload ptchurn \
		--param rounds=$r --param regions=8 --param pages=32
done
e2=$(ctr pt2 pt_writes_emulated)
e4=$(ctr pt4 pt_writes_emulated)
e8=$(ctr pt8 pt_writes_emulated)
d1=$((e4 - e2))
d2=$((e8 - e4))
updates=$((2 * 2 * 8 * 32)) # 2 more rounds, 2 PTE writes per page
echo "ptchurn emulated writes: rounds 2 $e2, 4 $e4, 8 $e8 (PTE updates per 2 rounds: $updates)"
[ $((d2 * 100)) -ge $((d1 * 2 * 95)) ] && [ $((d2 * 100)) -le $((d1 * 2 * 105)) ] ||
	fail "ptchurn: emulated writes not linear in rounds: +$d1 for 2 rounds, +$d2 for 4"
[ "$d1" -ge "$updates" ] && [ "$d1" -le $((updates * 5 / 4)) ] ||
	fail "ptchurn: $d1 emulated writes for $updates PTE updates"

# ctxsw: 4 processes ping-pong 1000 times each.
run ctx1 --backend shadow --backend-opt check=1,cache=1 --workload ctxsw --param procs=4 --param rounds=1000
run ctx8 --backend shadow --backend-opt check=1,cache=8 --workload ctxsw --param procs=4 --param rounds=1000
m1=$(ctr ctx1 shadow_cache_misses)
m8=$(ctr ctx8 shadow_cache_misses)
procs=$(ctr ctx8 guest_processes)
echo "ctxsw shadow-cache misses: cache=1 $m1, cache=8 $m8 ($procs processes, $(ctr ctx8 cr3_writes) CR3 writes)"
[ "$m1" -ge 4000 ] || fail "ctxsw cache=1: $m1 misses, want one per switch (>= 4000)"
[ "$m8" -le $((procs + 2)) ] || fail "ctxsw cache=8: $m8 misses for $procs processes"
[ "$(ctr ctx8 shadow_cache_hits)" -ge 3900 ] || fail "ctxsw cache=8: $(ctr ctx8 shadow_cache_hits) hits"
[ "$(ctr ctx1 shadow_cache_evictions)" -ge 3900 ] || fail "ctxsw cache=1: evictions $(ctr ctx1 shadow_cache_evictions)"

# sync=oos against sync=wp on ptchurn (from the loop above).
ew=$(ctr ptchurn-wp pt_writes_emulated)
eo=$(ctr ptchurn-oos pt_writes_emulated)
rs=$(ctr ptchurn-oos shadow_resyncs)
echo "ptchurn wp: $ew emulated writes; oos: $eo emulated writes, $rs resyncs"
[ $((eo * 4)) -lt "$ew" ] || fail "oos emulated $eo writes, wp $ew"
[ "$rs" -gt 0 ] && [ "$(ctr ptchurn-wp shadow_resyncs)" = 0 ] || fail "resyncs: oos $rs, wp $(ctr ptchurn-wp shadow_resyncs)"

# Two VMs timeshared.
for w in ctxsw mixed; do
	run "$w-2-native" --vms 2 --backend native --workload "$w"
	run "$w-2-shadow" --vms 2 --backend shadow --backend-opt check=1 --workload "$w"
	c=$(checksum "$w-2-shadow")
	[ "$c" = "$(checksum "$w-2-native")" ] || fail "$w --vms 2: shadow $c, native $(checksum "$w-2-native")"
	[ "$(echo "$c" | tr ',' '\n' | wc -l)" = 2 ] || fail "$w --vms 2: checksums $c"
	[ "$(ctr "$w-2-shadow" guest_page_faults)" = "$(ctr "$w-2-shadow" true_faults_reflected)" ] ||
		fail "$w --vms 2: page faults $(ctr "$w-2-shadow" guest_page_faults), reflected $(ctr "$w-2-shadow" true_faults_reflected)"
	[ "$(ctr "$w-2-shadow" vm_switches)" -gt 0 ] || fail "$w --vms 2: no VM switch"
done

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "shadow workloads: all checks passed"
