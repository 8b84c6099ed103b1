#!/bin/bash
# tests/kvm/memvirt-in-qemu.sh — `memvirt run --engine kvm` inside QEMU
# (run-in-qemu.sh) against the soft engine on this host.
#
# For each workload, in the guest: `--backend ept` under kvm_amd npt=1 and
# `--backend kvm-shadow` under npt=0 (the scan runs recorded in databases
# that come back to the host).  On the host: the same workload on the soft
# engine.  Then:
#   - every run is ok, and the kvm runs have the soft run's checksum and
#     the same guest-reported page-fault count;
#   - KVM's statistics show which MMU ran the guest: under the shadow MMU
#     every guest page fault goes through KVM (kvm_vcpu_pf_guest equals the
#     guest's count) and KVM tracks guest page-table writes
#     (kvm_vm_mmu_pte_write > 0) and zaps shadow pages
#     (kvm_vm_mmu_shadow_zapped > 0); under NPT none of that happens;
#   - a backend that does not match the module's mode is refused with the
#     command that switches it;
#   - `memvirt compare` shows the soft and kvm runs side by side, KVM's
#     statistics included (so they are in the database).
#
# Usage: memvirt-in-qemu.sh HARNESS MEMVIRT GUEST_ELF CACHE_DIR OUT_DIR
set -u
harness=$1 memvirt=$2 guest=$3 cache=$4 out=$5
workloads=(scan ptchurn forkchurn ctxsw)
# Small instances: every exit of a guest of KVM inside QEMU's TCG costs
# tens of microseconds, and what is checked (checksums, page-fault counts,
# which MMU KVM used) does not need big ones.
declare -A params=([scan]="" [ptchurn]="--param rounds=4" [forkchurn]="--param children=4"
	[ctxsw]="--param rounds=200")
seed=1
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

rm -rf "$out" && mkdir -p "$out"
g=/data/$(basename "$guest")
specs=()
for w in "${workloads[@]}"; do
	for b in ept kvm-shadow; do
		pass=$([ $b = ept ] && echo npt1 || echo npt0)
		# Each command stands alone (the harness may boot the machine
		# again between commands).  The scan runs bring their database
		# back, compressed, for memvirt compare on the host.
		db="--no-db" keep=""
		if [ "$w" = scan ]; then
			db="--db /tmp/$w-$b.db"
			keep="; rc=\$?; gzip -c /tmp/$w-$b.db >\$OUT/run.db.gz; exit \$rc"
		fi
		specs+=("$pass:$w-$b:memvirt run --engine kvm --backend $b --workload $w ${params[$w]} --seed $seed --guest $g $db --timeout 20 --json >\$OUT/run.json$keep")
	done
done
# Backends that do not match the module are refused, naming the switch.
refuse() { # pass backend module-parameter
	echo "$1:refuse-$2:memvirt run --engine kvm --backend $2 --workload scan --guest $g --no-db >\$OUT/err 2>&1; rc=\$?; cat \$OUT/err; [ \$rc -ne 0 ] && grep -F 'modprobe kvm_amd $3' \$OUT/err"
}
specs+=("$(refuse npt1 kvm-shadow npt=0)" "$(refuse npt0 ept npt=1)")

"$harness" --cache "$cache" --outdir "$out/qemu" --guest-timeout 15 --timeout 120 \
	--bin "$memvirt" --file "$guest" -- "${specs[@]}" || fail=1

# One field of memvirt's --json object: the first "name":value in it (the
# run totals come before the per-VM counters).
field() { # file name
	grep -o "\"$2\":[^,}]*" "$1" 2>/dev/null | head -n 1 | cut -d: -f2- | tr -d '"[]'
}


for w in "${workloads[@]}"; do
	soft=$out/$w-soft.json
	# shellcheck disable=SC2086
	"$memvirt" run --engine soft --backend native --workload "$w" ${params[$w]} --seed $seed \
		--guest "$guest" --no-db --json >"$soft" 2>"$out/$w-soft.err" ||
		bad "$w: soft run failed: $(cat "$out/$w-soft.err")"
	sum=$(field "$soft" checksum)
	pf=$(field "$soft" guest_page_faults)
	for b in ept kvm-shadow; do
		pass=$([ $b = ept ] && echo npt1 || echo npt0)
		j=$out/qemu/$pass/$w-$b.files/run.json
		if [ ! -s "$j" ]; then
			bad "$w on kvm/$b: no JSON came back"
			continue
		fi
		st=$(field "$j" status) ksum=$(field "$j" checksum) kpf=$(field "$j" guest_page_faults)
		pfg=$(field "$j" kvm_vcpu_pf_guest) ptew=$(field "$j" kvm_vm_mmu_pte_write)
		zap=$(field "$j" kvm_vm_mmu_shadow_zapped) fixed=$(field "$j" kvm_vcpu_pf_fixed)
		echo "$w kvm/$b: status=$st checksum=$ksum (soft $sum) guest_page_faults=$kpf (soft $pf)" \
			"pf_guest=$pfg pf_fixed=$fixed mmu_pte_write=$ptew mmu_shadow_zapped=$zap"
		[ "$st" = ok ] || bad "$w on kvm/$b: status $st"
		[ -n "$sum" ] && [ "$ksum" = "$sum" ] || bad "$w on kvm/$b: checksum $ksum, soft engine $sum"
		[ -n "$pf" ] && [ "$kpf" = "$pf" ] || bad "$w on kvm/$b: guest page faults $kpf, soft engine $pf"
		[ -n "$fixed" ] && [ "$fixed" -gt 0 ] || bad "$w on kvm/$b: kvm_vcpu_pf_fixed=$fixed, KVM mapped no page?"
		if [ $b = kvm-shadow ]; then
			[ "$pfg" = "$kpf" ] || bad "$w on kvm/$b: KVM's shadow MMU saw $pfg guest page faults, the guest $kpf"
			[ -n "$ptew" ] && [ "$ptew" -gt 0 ] || bad "$w on kvm/$b: kvm_vm_mmu_pte_write=$ptew, no shadow MMU activity"
			[ -n "$zap" ] && [ "$zap" -gt 0 ] || bad "$w on kvm/$b: kvm_vm_mmu_shadow_zapped=$zap, no shadow MMU activity"
		else
			[ "$pfg" = 0 ] || bad "$w on kvm/$b: kvm_vcpu_pf_guest=$pfg under NPT, where guest faults never reach KVM"
			[ "$ptew" = 0 ] || bad "$w on kvm/$b: kvm_vm_mmu_pte_write=$ptew under NPT"
			[ "$zap" = 0 ] || bad "$w on kvm/$b: kvm_vm_mmu_shadow_zapped=$zap under NPT"
		fi
	done
done

# The scan runs' databases: each kvm run, with the soft run added on this
# host, side by side in memvirt compare, KVM's statistics included.
for b in ept kvm-shadow; do
	pass=$([ $b = ept ] && echo npt1 || echo npt0)
	db_gz=$out/qemu/$pass/scan-$b.files/run.db.gz
	db=$out/scan-$b.db
	if ! gzip -dc "$db_gz" >"$db" 2>/dev/null; then
		bad "scan on kvm/$b: its database did not come back from the guest ($db_gz)"
		continue
	fi
	# shellcheck disable=SC2086
	"$memvirt" run --engine soft --backend native --workload scan ${params[scan]} --seed $seed \
		--guest "$guest" --db "$db" --json >/dev/null 2>"$out/scan-soft-$b.err" ||
		bad "scan: soft run into the $b database failed: $(cat "$out/scan-soft-$b.err")"
	"$memvirt" compare --db "$db" --all >"$out/scan-$b-compare.txt" 2>&1 ||
		bad "scan: memvirt compare failed: $(cat "$out/scan-$b-compare.txt")"
	wants="soft kvm $b kvm_vcpu_pf_guest kvm_vm_mmu_pte_write"
	for want in $wants; do
		grep -q -w -- "$want" "$out/scan-$b-compare.txt" ||
			bad "scan: memvirt compare shows no '$want':"$'\n'"$(cat "$out/scan-$b-compare.txt")"
	done
done
exit $fail
