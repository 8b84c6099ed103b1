#!/usr/bin/env bash
# tests/softtlb/workloads.sh — every workload on the architected-TLB
# machine (--machine archtlb) gives the page-table machine's checksum
# under native, with refills handled by the guest (refill faults, TLB
# writes through the MSRs, no hardware walk), also with a tiny TLB and
# narrow ASIDs (the guest recycles ASIDs with flushes), and under the
# softtlb backend; with several VMs softtlb rewrites the real
# TLB at every switch; a virtual TLB larger than the real one gives
# hidden refills; the machine and the backends are refused with a usage
# error where they cannot run.
set -u
memvirt=${1:?usage: workloads.sh PATH/TO/memvirt}
. "$(dirname "$0")/../lib/runs.sh"

workloads=$("$memvirt" list workloads | awk '/^[a-z]/ { print $1 }')
[ -n "$workloads" ] || { echo "FAIL: memvirt list workloads printed none"; exit 1; }

for w in $workloads; do
	run "$w-pt" --workload "$w" || continue
	want=$(checksum "$w-pt")
	[ -n "$want" ] || { fail "$w-pt: no checksum"; continue; }
	for variant in default: tiny:arch=8,asid-bits=1; do
		name="$w-arch-${variant%%:*}"
		tlb=${variant#*:}
		run "$name" --workload "$w" --machine archtlb ${tlb:+--tlb "$tlb"} || continue
		[ "$(checksum "$name")" = "$want" ] || fail "$name: checksum $(checksum "$name"), page-table machine $want"
		# The hardware never walked once the guest turned walks off; the
		# guest's handler refilled every miss through the MSRs, except
		# the misses that were page faults (demand paging, copy on
		# write), which its #PF path resolved before the retry refilled.
		expect_gt "$name" faults_refill 0
		pf=$(( $(ctr "$name" guest_page_faults) + $(ctr "$name" guest_cow_breaks) ))
		expect_gt "$name" arch_tlb_writes "$(( $(ctr "$name" faults_refill) - pf - 1 ))"
		[ "$(ctr "$name" walks)" -lt 50 ] || fail "$name: $(ctr "$name" walks) hardware walks (boot only expected)"
	done
done
# The same under softtlb (tests/asid does asid).
backends=$("$memvirt" list backends | awk '/^softtlb / { print $1 }')
for b in $backends; do
	for w in $workloads; do
		name="$w-$b"
		run "$name" --workload "$w" --machine archtlb --backend "$b" || continue
		[ "$(checksum "$name")" = "$(checksum "$w-pt")" ] ||
			fail "$name: checksum $(checksum "$name"), page-table machine $(checksum "$w-pt")"
		# Every TLB command exits and is emulated; misses reach the VMM.
		expect_gt "$name" soft.intercept.tlb_write 0
		expect_gt "$name" reflected_refills 0
	done
done

# Narrow ASIDs make the guest run out and flush; 12-bit ASIDs do not.
expect_gt forkchurn-arch-tiny arch_tlb_flushes "$(ctr forkchurn-arch-default arch_tlb_flushes)"

if echo "$backends" | grep -qx softtlb; then
	# Several VMs: at every switch the real TLB is flushed and rewritten
	# from the incoming VM's virtual TLB (its wired entries at least, at
	# most the whole TLB).
	for v in 2 4; do
		name="vms$v-softtlb"
		run "$name" --workload mixed --vms $v --quantum 50000 --machine archtlb --backend softtlb || continue
		[ "$(checksum "$name" | tr ',' '\n' | grep -c '"')" -ge $v ] || fail "$name: not $v checksums"
		sw=$(ctr "$name" vm_switches)
		[ "${sw:-0}" -gt $((5 * v)) ] || fail "$name: vm_switches = ${sw:-absent}, want many"
		expect_eq "$name" tlb_rewrites "$sw"
		expect_eq "$name" softtlb_switch_rewrites "$sw"
		n=$(ctr "$name" tlb_rewrite_entries)
		[ "${n:-0}" -ge $((2 * sw)) ] && [ "${n:-0}" -le $((64 * sw)) ] ||
			fail "$name: $n entries rewritten in $sw switches, want 2..64 per switch"
		expect_eq "$name" softtlb_hidden_refills 0
	done
	# A virtual TLB larger than the real one: the real TLB caches it and
	# misses on entries the guest believes present are hidden refills.
	if run gups-softtlb-vtlb --workload gups --machine archtlb --backend softtlb --backend-opt vtlb=256; then
		[ "$(checksum gups-softtlb-vtlb)" = "$(checksum gups-pt)" ] || fail "gups-softtlb-vtlb: checksum differs"
		expect_gt gups-softtlb-vtlb hidden_refills 1000
		expect_gt gups-softtlb-vtlb hidden_refills "$(ctr gups-softtlb-vtlb reflected_refills)"
	fi
	expect_eq gups-softtlb hidden_refills 0
	# Deterministic: the same run twice gives the same counts.
	if run det1 --workload mixed --vms 2 --quantum 20000 --machine archtlb --backend softtlb &&
		run det2 --workload mixed --vms 2 --quantum 20000 --machine archtlb --backend softtlb; then
		for c in tlb_rewrite_entries reflected_refills guest_tlb_writes faults_refill modelled_cycles; do
			[ "$(ctr det1 $c)" = "$(ctr det2 $c)" ] ||
				fail "$c differs between two identical runs: $(ctr det1 $c), $(ctr det2 $c)"
		done
	fi
	# softtlb needs the machine, and a sane option.
	for args in "--backend softtlb" "--machine archtlb --backend softtlb --backend-opt vtlb=1" \
		"--machine archtlb --backend softtlb --backend-opt bogus=1"; do
		"$memvirt" run --no-db $args >"$work/refused.out" 2>"$work/refused.err"
		rc=$?
		[ $rc -eq 2 ] || fail "memvirt run $args: exit $rc, want 2 ($(cat "$work/refused.err"))"
	done
fi

# Refused with a usage error: no arch entries, several VMs under native,
# an unknown machine.
for args in "--machine archtlb --tlb arch=0" "--machine archtlb --vms 2" "--machine vax"; do
	"$memvirt" run --no-db $args >"$work/refused.out" 2>"$work/refused.err"
	rc=$?
	[ $rc -eq 2 ] || fail "memvirt run $args: exit $rc, want 2 ($(cat "$work/refused.err"))"
done

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "architected-TLB workloads: ok"
