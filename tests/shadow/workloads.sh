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
. "$(dirname "$0")/../lib/runs.sh"

for w in scan gups chase ptchurn forkchurn ctxsw mixed; do
	run "$w-native" --backend native --workload "$w" || continue
	for sync in wp oos; do
		n="$w-$sync"
		run "$n" --backend shadow --backend-opt "check=1,sync=$sync" --workload "$w" || continue
		[ "$(checksum "$n")" = "$(checksum "$w-native")" ] ||
			fail "$n: checksum $(checksum "$n"), native $(checksum "$w-native")"
		pf=$(ctr_or_zero "$n" guest_page_faults)
		tf=$(ctr_or_zero "$n" true_faults_reflected)
		[ "$pf" -gt 0 ] && [ "$pf" = "$tf" ] ||
			fail "$n: the guest handled $pf page faults, the VMM reflected $tf"
		[ "$(ctr_or_zero "$n" shadow_faults_hidden)" -gt 0 ] || fail "$n: no hidden fault"
		[ "$(ctr_or_zero "$n" shadow_path_rebuilds)" = 0 ] || fail "$n: shadow paths rebuilt"
		[ "$(ctr_or_zero "$n" shadow_checks)" -gt 0 ] || fail "$n: the checker never ran"
	done
done

# ptchurn: rounds x regions x pages pages, each PTE written when touched
# and cleared when unmapped.  flood=0 keeps every write emulated.
for r in 2 4 8; do
	run "pt$r" --backend shadow --backend-opt check=1,flood=0 --workload ptchurn \
		--param rounds=$r --param regions=8 --param pages=32
done
e2=$(ctr_or_zero pt2 pt_writes_emulated)
e4=$(ctr_or_zero pt4 pt_writes_emulated)
e8=$(ctr_or_zero pt8 pt_writes_emulated)
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
m1=$(ctr_or_zero ctx1 shadow_cache_misses)
m8=$(ctr_or_zero ctx8 shadow_cache_misses)
procs=$(ctr_or_zero ctx8 guest_processes)
echo "ctxsw shadow-cache misses: cache=1 $m1, cache=8 $m8 ($procs processes, $(ctr_or_zero ctx8 cr3_writes) CR3 writes)"
[ "$m1" -ge 4000 ] || fail "ctxsw cache=1: $m1 misses, want one per switch (>= 4000)"
[ "$m8" -le $((procs + 2)) ] || fail "ctxsw cache=8: $m8 misses for $procs processes"
[ "$(ctr_or_zero ctx8 shadow_cache_hits)" -ge 3900 ] || fail "ctxsw cache=8: $(ctr_or_zero ctx8 shadow_cache_hits) hits"
[ "$(ctr_or_zero ctx1 shadow_cache_evictions)" -ge 3900 ] || fail "ctxsw cache=1: evictions $(ctr_or_zero ctx1 shadow_cache_evictions)"

# sync=oos against sync=wp on ptchurn (from the loop above).
ew=$(ctr_or_zero ptchurn-wp pt_writes_emulated)
eo=$(ctr_or_zero ptchurn-oos pt_writes_emulated)
rs=$(ctr_or_zero ptchurn-oos shadow_resyncs)
echo "ptchurn wp: $ew emulated writes; oos: $eo emulated writes, $rs resyncs"
[ $((eo * 4)) -lt "$ew" ] || fail "oos emulated $eo writes, wp $ew"
[ "$rs" -gt 0 ] && [ "$(ctr_or_zero ptchurn-wp shadow_resyncs)" = 0 ] || fail "resyncs: oos $rs, wp $(ctr_or_zero ptchurn-wp shadow_resyncs)"

# Two VMs timeshared.
for w in ctxsw mixed; do
	run "$w-2-native" --vms 2 --backend native --workload "$w"
	run "$w-2-shadow" --vms 2 --backend shadow --backend-opt check=1 --workload "$w"
	c=$(checksum "$w-2-shadow")
	[ "$c" = "$(checksum "$w-2-native")" ] || fail "$w --vms 2: shadow $c, native $(checksum "$w-2-native")"
	[ "$(echo "$c" | tr ',' '\n' | wc -l)" = 2 ] || fail "$w --vms 2: checksums $c"
	[ "$(ctr_or_zero "$w-2-shadow" guest_page_faults)" = "$(ctr_or_zero "$w-2-shadow" true_faults_reflected)" ] ||
		fail "$w --vms 2: page faults $(ctr_or_zero "$w-2-shadow" guest_page_faults), reflected $(ctr_or_zero "$w-2-shadow" true_faults_reflected)"
	[ "$(ctr_or_zero "$w-2-shadow" vm_switches)" -gt 0 ] || fail "$w --vms 2: no VM switch"
done

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "shadow workloads: all checks passed"
