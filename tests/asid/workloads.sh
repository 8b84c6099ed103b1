#!/usr/bin/env bash
# tests/asid/workloads.sh — the asid backend (Method 2) through
# `memvirt run`: every workload on the architected-TLB machine gives the
# page-table machine's checksum; with 2 and 4 VMs a switch rewrites
# nothing and translations survive under real ASIDs (map hits); real
# ASIDs are recycled (each with a flush) exactly when the VMs' guest
# ASIDs outnumber them; asid is refused without the machine.
set -u
memvirt=${1:?usage: workloads.sh PATH/TO/memvirt}
. "$(dirname "$0")/../lib/runs.sh"

workloads=$("$memvirt" list workloads | awk '/^[a-z]/ { print $1 }')
[ -n "$workloads" ] || { echo "FAIL: memvirt list workloads printed none"; exit 1; }

for w in $workloads; do
	run "$w-pt" --workload "$w" || continue
	name="$w-asid"
	run "$name" --workload "$w" --machine archtlb --backend asid || continue
	[ "$(checksum "$name")" = "$(checksum "$w-pt")" ] ||
		fail "$name: checksum $(checksum "$name"), page-table machine $(checksum "$w-pt")"
	expect_gt "$name" soft.intercept.tlb_write 0
	expect_gt "$name" reflected_refills 0
done

# Several VMs: a switch rewrites nothing; translations stay in the
# real TLB under each VM's real ASIDs (map hits).  One VM of `mixed`
# uses n guest ASIDs; with the narrowest real width holding 2n, 2 VMs
# need no recycle and 4 VMs (4n > 2^bits) recycle the least recently
# used, each with a flush.
run vms1-asid --workload mixed --machine archtlb --backend asid || exit 1
n=$(ctr vms1-asid asid_allocs)
[ "${n:-0}" -ge 2 ] || fail "one VM of mixed allocated ${n:-no} real ASIDs, want several"
narrow=1
while [ $((1 << narrow)) -lt $((2 * n)) ]; do narrow=$((narrow + 1)); done
for v in 2 4; do
	for bits in 12 $narrow; do
		name="vms$v-asid-$bits"
		run "$name" --workload mixed --vms $v --quantum 50000 --machine archtlb \
			--backend asid --tlb asid-bits=$bits || continue
		[ "$(checksum "$name" | tr ',' '\n' | grep -c '"')" -ge $v ] || fail "$name: not $v checksums"
		sw=$(ctr "$name" vm_switches)
		[ "${sw:-0}" -gt $((5 * v)) ] || fail "$name: vm_switches = ${sw:-absent}, want many"
		expect_eq "$name" tlb_rewrite_entries 0
		expect_eq "$name" tlb_rewrites 0
		expect_gt "$name" asid_map_hits "$sw"
		# Each (VM, guest ASID) gets a real ASID once, unless
		# recycling took it: then every real ASID was handed
		# out once, and once more per recycle.
		rec=$(ctr "$name" asid_recycles)
		if [ "${rec:-0}" -eq 0 ]; then
			expect_eq "$name" asid_allocs $((n * v))
		else
			expect_eq "$name" asid_allocs $(((1 << bits) + rec))
		fi
	done
	expect_eq "vms$v-asid-12" asid_recycles 0
done
expect_eq "vms2-asid-$narrow" asid_recycles 0
expect_gt "vms4-asid-$narrow" asid_recycles 0
expect_eq "vms4-asid-$narrow" asid_recycle_flushes "$(ctr "vms4-asid-$narrow" asid_recycles)"
# One real ASID for everything (globals real-global, as they need no ASID
# then): every change of owner recycles.
if run vms2-asid-0 --workload ctxsw --vms 2 --quantum 20000 --machine archtlb --backend asid --backend-opt globals=drop --tlb asid-bits=0; then
	[ "$(checksum vms2-asid-0 | tr ',' '\n' | grep -c '"')" -ge 2 ] || fail "vms2-asid-0: not 2 checksums"
	expect_gt vms2-asid-0 asid_recycles "$(ctr vms2-asid-0 vm_switches)"
fi
# Tagged globals need a second real ASID per VM: refused with one.
"$memvirt" run --no-db --machine archtlb --backend asid --tlb asid-bits=0 >/dev/null 2>"$work/refused.err"
rc=$?
[ $rc -ne 0 ] && grep -q "globals=tagged needs at least 2 real ASIDs" "$work/refused.err" ||
	fail "asid with asid-bits=0 and tagged globals: exit $rc, $(cat "$work/refused.err")"
# Deterministic: the same run twice gives the same counts.
if run det1 --workload mixed --vms 2 --quantum 20000 --machine archtlb --backend asid --tlb asid-bits=3 &&
	run det2 --workload mixed --vms 2 --quantum 20000 --machine archtlb --backend asid --tlb asid-bits=3; then
	for c in hidden_refills reflected_refills asid_map_hits asid_recycles modelled_cycles; do
		[ "$(ctr det1 $c)" = "$(ctr det2 $c)" ] ||
			fail "$c differs between two identical runs: $(ctr det1 $c), $(ctr det2 $c)"
	done
fi
# memvirt compare puts the two methods side by side: softtlb's rewritten
# entries and their modelled cost, asid's map hits and hidden refills.
if "$memvirt" list backends | grep -q '^softtlb '; then
	db="$work/cmp.db"
	if "$memvirt" run --db "$db" --machine archtlb --backend softtlb --workload scan --vms 2 --quantum 5000 >/dev/null 2>"$work/cmp.err" &&
		"$memvirt" run --db "$db" --machine archtlb --backend asid --workload scan --vms 2 --quantum 5000 >/dev/null 2>>"$work/cmp.err" &&
		"$memvirt" compare --db "$db" --runs last:2 >"$work/cmp.out" 2>>"$work/cmp.err"; then
		grep -Eq '^backend +softtlb +asid *$' "$work/cmp.out" || fail "compare: no 'backend softtlb asid' row: $(head -5 "$work/cmp.out")"
		grep -Eq '^tlb_rewrite_entries +[1-9][0-9]* +0 *$' "$work/cmp.out" ||
			fail "compare: tlb_rewrite_entries row: $(grep '^tlb_rewrite_entries' "$work/cmp.out")"
		grep -Eq '^modelled_cycles_rewrites +[1-9][0-9]* +- *$' "$work/cmp.out" ||
			fail "compare: modelled_cycles_rewrites row: $(grep '^modelled_cycles_rewrites' "$work/cmp.out")"
		grep -Eq '^asid_map_hits +- +[1-9][0-9]* *$' "$work/cmp.out" ||
			fail "compare: asid_map_hits row: $(grep '^asid_map_hits' "$work/cmp.out")"
	else
		fail "recording or comparing runs: $(cat "$work/cmp.err")"
	fi
fi
"$memvirt" run --no-db --backend asid >"$work/refused.out" 2>"$work/refused.err"
[ $? -eq 2 ] || fail "asid without --machine archtlb: not a usage error"

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "asid workloads: ok"
