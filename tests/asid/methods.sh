#!/usr/bin/env bash
# tests/asid/methods.sh — Method 1 (softtlb) against Method 2 (asid), the
# comparison a researcher draws from them:
#   - two VMs' virtual TLBs draw different WRITE_RANDOM index streams (they
#     drew the same ones once, and then evicted each other's newest entries);
#   - with a real TLB that holds both VMs' entries (arch=1024, 2 VMs,
#     mixed, quantum 5000) asid costs fewer modelled cycles than softtlb,
#     and its advantage is larger at quantum 1000 than at 50000;
#   - with one VM the two methods are within 1 %;
#   - with a real TLB smaller than the VMs' working sets together
#     (arch=64, the default) asid shares one TLB's 64 entries among both
#     VMs: every VM comes back to a TLB the other one refilled, pays
#     hidden refills (each an exit) instead of softtlb's cheap rewrite, and
#     costs more than softtlb (docs/arch-tlb.md explains it);
#   - guest-global entries survive VM switches under asid (globals=tagged):
#     no drops, fewer hidden refills than with globals=drop;
#   - every workload under both methods with 1, 2 and 4 VMs gives the
#     page-table machine's checksums.
set -u
memvirt=${1:?usage: methods.sh PATH/TO/memvirt}
. "$(dirname "$0")/../lib/runs.sh"

mc() { ctr "$1" modelled_cycles; }
# less NAME_A NAME_B: A's modelled cycles below B's
less() {
	awk -v a="$(mc "$1")" -v b="$(mc "$2")" 'BEGIN { exit !(a + 0 < b + 0) }' ||
		fail "$1 ($(mc "$1") modelled cycles) is not cheaper than $2 ($(mc "$2"))"
}

# 1. Independent streams: the n-th guest TLB write of VM 1 does not go to
#    the index of VM 0's n-th one (the detail of guest_tlb_write events).
db=$work/streams.db
"$memvirt" run --db "$db" --record full --machine archtlb --backend softtlb --workload mixed \
	--vms 2 --quantum 5000 --json >"$work/streams.json" 2>"$work/streams.err" ||
	fail "the recorded run failed: $(cat "$work/streams.err")"
same=$(sqlite3 "$db" "with w as (select vm, detail, row_number() over (partition by vm order by seq) n
	from events where type = (select id from event_types where name = 'guest_tlb_write'))
	select sum(a.detail = b.detail), count(*) from w a join w b on a.n = b.n and a.vm = 0 and b.vm = 1" 2>&1)
total=${same#*|} equal=${same%|*}
if ! [[ "$total" =~ ^[0-9]+$ ]] || [ "$total" -lt 100 ]; then
	fail "too few paired guest TLB writes to compare the streams: $same"
elif [ $((equal * 4)) -gt "$total" ]; then
	fail "VM 1's guest TLB writes went to VM 0's index in $equal of $total pairs: the streams are not independent"
fi

# 2. Direction with a real TLB that holds both VMs.
for q in 1000 5000 50000; do
	for b in softtlb asid; do
		run "$b-q$q" --machine archtlb --backend $b --workload mixed --vms 2 --quantum $q --tlb arch=1024
	done
done
less asid-q5000 softtlb-q5000
gain() { awk -v s="$(mc "softtlb-q$1")" -v a="$(mc "asid-q$1")" 'BEGIN { print s - a }'; }
awk -v g1="$(gain 1000)" -v g50="$(gain 50000)" 'BEGIN { exit !(g1 > g50 && g1 > 0) }' ||
	fail "asid's advantage at quantum 1000 ($(gain 1000) cycles) is not larger than at 50000 ($(gain 50000))"
expect_eq asid-q5000 tlb_rewrite_entries 0
expect_gt softtlb-q5000 tlb_rewrite_entries 0

# 3. One VM: within 1 %.
for b in softtlb asid; do
	run "$b-1vm" --machine archtlb --backend $b --workload mixed --tlb arch=1024
done
awk -v s="$(mc softtlb-1vm)" -v a="$(mc asid-1vm)" 'BEGIN { d = s - a; if (d < 0) d = -d; exit !(s > 0 && d / s <= 0.01) }' ||
	fail "one VM: softtlb $(mc softtlb-1vm) and asid $(mc asid-1vm) modelled cycles differ by more than 1 %"

# 4. A real TLB of 64 entries for two VMs of mixed: asid's VMs find the
#    TLB refilled by the other, pay hidden refills, and lose to softtlb.
for b in softtlb asid; do
	run "$b-small" --machine archtlb --backend $b --workload mixed --vms 2 --quantum 5000 --tlb arch=64
done
less softtlb-small asid-small
sw=$(ctr asid-small vm_switches)
expect_gt asid-small hidden_refills $((5 * ${sw:-0}))
expect_gt asid-small asid_real_evictions 0
expect_eq softtlb-small hidden_refills 0

# 5. Guest globals survive switches when tagged (the default).
run asid-tagged --machine archtlb --backend asid --workload mixed --vms 2 --quantum 5000 --tlb arch=256
run asid-drop --machine archtlb --backend asid --backend-opt globals=drop --workload mixed --vms 2 \
	--quantum 5000 --tlb arch=256
expect_eq asid-tagged asid_switch_global_drops 0
expect_gt asid-drop asid_switch_global_drops 0
awk -v t="$(ctr asid-tagged hidden_refills)" -v d="$(ctr asid-drop hidden_refills)" 'BEGIN { exit !(t < d) }' ||
	fail "tagged globals: $(ctr asid-tagged hidden_refills) hidden refills, not fewer than globals=drop's $(ctr asid-drop hidden_refills)"

# 6. Checksums: every workload, both methods, 1, 2 and 4 VMs.
workloads=$("$memvirt" list workloads | awk '/^[a-z]/ { print $1 }')
for w in $workloads; do
	for v in 1 2 4; do
		run "$w-pt-$v" --workload "$w" --vms $v --quantum 20000 || continue
		for b in softtlb asid; do
			name="$w-$b-$v"
			run "$name" --workload "$w" --vms $v --quantum 20000 --machine archtlb --backend $b || continue
			[ "$(checksum "$name")" = "$(checksum "$w-pt-$v")" ] ||
				fail "$name: checksums $(checksum "$name"), page-table machine $(checksum "$w-pt-$v")"
		done
	done
done

[ "$failures" -eq 0 ] || exit 1
echo "Method 1 and Method 2 compare as the model says"
