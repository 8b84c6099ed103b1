#!/usr/bin/env bash
# tests/ept/workloads.sh — the ept backend through `memvirt run`:
#  - every workload gives the same checksum under ept (eager 4K, 2M nested
#    pages, lazy population) as under native;
#  - under ept the guest's CR3 writes, INVLPGs and page-table updates
#    cause no exit at all (eager tables: no intercept exit whatsoever;
#    lazy: nested faults only), while ctxsw and ptchurn do switch address
#    spaces and rewrite tables (vs-shadow.sh sets shadow beside it);
#  - with --vms 2, ASID tags keep translations across VM switches (no
#    flush) and tags=off flushes at every switch;
#  - npage=1g is refused with a message when the RAM cannot hold 1 GiB
#    pages, and runs with --mem 1G;
#  - counts are deterministic, and `memvirt compare` shows ept next to
#    native with walk references per miss and the modelled overhead.
set -u
memvirt=${1:?usage: workloads.sh PATH/TO/memvirt}
. "$(dirname "$0")/../lib/runs.sh"

workloads=$("$memvirt" list workloads | awk '/^[a-z]/ { print $1 }')
[ -n "$workloads" ] || { echo "FAIL: memvirt list workloads printed none"; exit 1; }

for w in $workloads; do
	run "$w-native" --workload "$w" --backend native || continue
	want=$(checksum "$w-native")
	[ -n "$want" ] || { fail "$w-native: no checksum"; continue; }
	for variant in eager:"populate=eager" 2m:"npage=2m" lazy:"populate=lazy"; do
		name="$w-ept-${variant%%:*}"
		run "$name" --workload "$w" --backend ept --backend-opt "${variant#*:}" || continue
		got=$(checksum "$name")
		[ "$got" = "$want" ] || fail "$name: checksum $got, native $want"
		# No exit for CR3, INVLPG or page-table writes, and no shadow work.
		# (invlpgs counts the guest's INVLPGs as the CPU executes them,
		# not exits: see tlb_flush_invlpg below.)
		for c in soft.intercept.cr3_write soft.intercept.cr3_read soft.intercept.invlpg \
			pt_writes_emulated shadow_faults_hidden shadow_resyncs; do
			expect_eq "$name" "$c" 0
		done
		if [ "${variant%%:*}" = lazy ]; then
			# Lazy: the only intercepts are nested faults, each absorbed.
			expect_gt "$name" nested_faults 0
			expect_eq "$name" soft.exit.intercept "$(ctr "$name" soft.intercept.nested_fault)"
			expect_eq "$name" ept_nested_faults_fixed "$(ctr "$name" nested_faults)"
		else
			expect_eq "$name" soft.exit.intercept 0
			expect_eq "$name" nested_faults 0
		fi
	done
done

# The guest does change address spaces and tables in these two: the zero
# exits above are the guest running them itself.
expect_gt ctxsw-native guest_context_switches 10
expect_gt ptchurn-native guest_ptpages_freed 10
expect_gt ctxsw-ept-eager guest_context_switches 10
# With PCIDs most switches reload CR3 without a flush; the first load of
# each new address space still flushes.
expect_gt ctxsw-ept-eager tlb_flush_cr3 0
expect_gt ptchurn-ept-eager tlb_flush_invlpg 100

# Two VMs timeshared: tags keep translations, tags=off flushes.
for tags in on off; do
	name="vms2-tags-$tags"
	run "$name" --workload ctxsw --vms 2 --quantum 50000 --backend ept --backend-opt "tags=$tags" || continue
	[ "$(grep -o '"checksum":\[[^]]*\]' "$work/$name.json" | tr ',' '\n' | grep -c '"')" -ge 2 ] ||
		fail "$name: not two checksums: $(checksum "$name")"
	switches=$(ctr "$name" vm_switches)
	[ "${switches:-0}" -gt 2 ] || fail "$name: vm_switches = ${switches:-absent}, want several"
	if [ $tags = on ]; then
		expect_eq "$name" ept_switch_flushes 0
		expect_eq "$name" tlb_flushes 0
		expect_eq "$name" tlb_flush_vmm 0
		expect_eq "$name" ept_tagged_switches "$switches"
	else
		expect_eq "$name" ept_switch_flushes "$switches"
		expect_eq "$name" tlb_flushes "$switches"
		expect_eq "$name" ept_tagged_switches 0
	fi
done
# With tags the TLB keeps working across switches: fewer walks.
on=$(ctr vms2-tags-on walks)
off=$(ctr vms2-tags-off walks)
[ -n "$on" ] && [ -n "$off" ] && [ "$on" -lt "$off" ] || fail "walks with tags on ${on:-?} not below tags off ${off:-?}"

# 1 GiB nested pages: refused for 128 MiB of RAM, with the fix named.
"$memvirt" run --no-db --backend ept --backend-opt npage=1g >"$work/1g.out" 2>"$work/1g.err"
rc=$?
if [ $rc -ne 2 ] || [ "$(grep -c '' "$work/1g.err")" -ne 1 ] ||
	! grep -q "npage=1g needs each VM's RAM to be a multiple of 1 GiB.*--mem 1G" "$work/1g.err"; then
	fail "npage=1g with 128M: exit $rc (want 2), stderr: $(cat "$work/1g.err")"
fi
if run scan-native-1g --workload scan --mem 1G --backend native &&
	run scan-ept-1g --workload scan --mem 1G --backend ept --backend-opt npage=1g; then
	[ "$(checksum scan-ept-1g)" = "$(checksum scan-native-1g)" ] || fail "npage=1g: checksum differs"
	expect_eq scan-ept-1g ept_leaves_1g 1
fi

# Deterministic: the same run twice gives the same counts.
if run det1 --workload mixed --backend ept --backend-opt populate=lazy &&
	run det2 --workload mixed --backend ept --backend-opt populate=lazy; then
	for c in walks walk_refs walk_refs_nested nested_faults modelled_cycles; do
		[ "$(ctr det1 $c)" = "$(ctr det2 $c)" ] || fail "$c differs between two identical runs: $(ctr det1 $c), $(ctr det2 $c)"
	done
fi

# memvirt compare puts native and ept side by side with walk refs per miss.
db="$work/cmp.db"
if "$memvirt" run --db "$db" --workload ptchurn --backend native >/dev/null 2>"$work/cmp.err" &&
	"$memvirt" run --db "$db" --workload ptchurn --backend ept >/dev/null 2>>"$work/cmp.err" &&
	"$memvirt" compare --db "$db" --runs last:2 >"$work/cmp.out" 2>>"$work/cmp.err"; then
	grep -Eq '^backend +native +ept *$' "$work/cmp.out" || fail "compare: no 'backend native ept' row: $(head -5 "$work/cmp.out")"
	refs=$(grep '^walk refs per TLB miss' "$work/cmp.out" | awk '{ print $(NF-1), $NF }')
	awk -v a="${refs% *}" -v b="${refs#* }" 'BEGIN { exit !(b > a && a > 0) }' ||
		fail "compare: walk refs per TLB miss '$refs', want ept above native"
	grep -Eq '^overhead vs native +\+0\.00% +\+[0-9.]+%' "$work/cmp.out" ||
		fail "compare: overhead row: $(grep '^overhead' "$work/cmp.out")"
else
	fail "recording or comparing runs: $(cat "$work/cmp.err")"
fi

if [ $failures -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "ept workloads: ok"
