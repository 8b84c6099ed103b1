#!/usr/bin/env bash
# tests/core/native-workloads.sh — every workload completes on the soft
# engine under native with its expected checksum (memvirt checks each VM's
# checksum against the host reference and exits 1 on a mismatch), alone
# and with two VMs timeshared.
set -u
memvirt=${1:?memvirt}
failures=0
for w in scan gups chase ptchurn forkchurn ctxsw mixed; do
	for vms in 1 2; do
		out=$("$memvirt" run --no-db --json --workload "$w" --vms "$vms" --quantum 50000 2>&1)
		rc=$?
		want='"checksum":\["[0-9a-f]\{16\}"\]'
		[ "$vms" = 2 ] && want='"checksum":\["[0-9a-f]\{16\}","[0-9a-f]\{16\}"\]'
		if [ "$rc" -ne 0 ] || ! printf '%s' "$out" | grep -q '^{"status":"ok"' ||
			! printf '%s' "$out" | grep -q "$want"; then
			echo "FAIL: $w with $vms VMs: exit $rc: $(printf '%s' "$out" | head -c 400)"
			failures=$((failures + 1))
		fi
	done
done
[ "$failures" -eq 0 ] || exit 1
echo "every workload matched its reference checksum"
