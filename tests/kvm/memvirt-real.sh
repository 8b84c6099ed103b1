#!/usr/bin/env bash
# tests/kvm/memvirt-real.sh MEMVIRT MKIMAGE — memvirt on this machine's own
# /dev/kvm (not inside QEMU): every workload under kvm-shadow gives the
# soft engine's checksum and the same counts the guest reports, but for
# those that follow the wall clock (timer ticks, the context switches
# they cause) or the host CPU's features (TLB flushes: PCID); 3 VMs
# timeshared give the soft engine's checksums; two runs give the same;
# every record level records; a guest that never boots ends at the boot
# bound.  Skips (77) where there is no /dev/kvm memvirt can use.
set -u
memvirt=${1:?memvirt} mkimage=${2:?mkimage}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if ! "$memvirt" list engines 2>/dev/null | grep -q '^kvm .*available'; then
	why=$("$memvirt" run --engine kvm --backend kvm-shadow --no-db --quiet 2>&1 | head -1)
	case "$why" in
	*"needs two-dimensional paging"* | *"is unavailable"* | *"cannot run"*)
		echo "SKIP: no /dev/kvm memvirt can use here: $why"
		exit 77
		;;
	esac
fi

# The counts that do not depend on time or on the host CPU's features.
same_counts=(guest_page_faults guest_cow_breaks guest_syscalls guest_frames_allocated guest_frames_freed
	guest_ptpages_allocated guest_ptpages_freed guest_processes guest_frames_free_before guest_frames_free_after)
compare() {
	python3 - "$1" "$2" "$3" "${same_counts[@]}" <<'PY'
import json, sys
what, kvm, soft, names = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), sys.argv[4:]
bad = []
if kvm["status"] != "ok":
    bad.append("status %s: %s" % (kvm["status"], kvm.get("error")))
if kvm["checksum"] != soft["checksum"]:
    bad.append("checksum %s, soft %s" % (kvm["checksum"], soft["checksum"]))
for n in names:
    if kvm["counters"].get(n) != soft["counters"].get(n):
        bad.append("%s %s, soft %s" % (n, kvm["counters"].get(n), soft["counters"].get(n)))
if bad:
    print("FAIL: %s: %s" % (what, "; ".join(bad)))
    sys.exit(1)
print("%s: ok, checksum %s, %s guest page faults, %.3f s" % (
    what, kvm["checksum"], kvm["counters"]["guest_page_faults"], kvm["wall_ns"] / 1e9))
PY
}

for w in scan gups chase ptchurn forkchurn ctxsw mixed; do
	"$memvirt" run --no-db --workload "$w" --json >"$work/soft.json" || fail "$w on the soft engine"
	timeout 300 "$memvirt" run --engine kvm --backend kvm-shadow --no-db --workload "$w" --json \
		>"$work/kvm.json" 2>"$work/kvm.err"
	compare "kvm-shadow $w" "$work/kvm.json" "$work/soft.json" || failures=$((failures + 1))
done

# Timeshared VMs, and a second run of the same.
"$memvirt" run --no-db --workload mixed --vms 3 --json >"$work/soft3.json" || fail "3 VMs on the soft engine"
for n in 1 2; do
	timeout 300 "$memvirt" run --engine kvm --backend kvm-shadow --no-db --workload mixed --vms 3 --json \
		>"$work/kvm3-$n.json" 2>"$work/kvm3.err"
	compare "kvm-shadow mixed, 3 VMs, run $n" "$work/kvm3-$n.json" "$work/soft3.json" || failures=$((failures + 1))
done

# Every record level, into a database.
for level in summary sampled:7 full; do
	timeout 300 "$memvirt" run --engine kvm --backend kvm-shadow --db "$work/r.db" --workload ptchurn \
		--record "$level" --quiet 2>"$work/rec.err" || fail "--record $level: $(cat "$work/rec.err")"
done
[ "$(sqlite3 "$work/r.db" "SELECT count(*) FROM runs WHERE status = 'ok'")" = 3 ] || fail "recorded runs not ok"
[ "$(sqlite3 "$work/r.db" "SELECT count(*) FROM events WHERE run_id = 3")" -gt 0 ] || fail "--record full kept no events"

# A guest that never prints its banner ends at the boot bound, naming its last I/O.
"$mkimage" "$work/spin.elf" "b0 41 e6 e9 eb fe"
start=$(date +%s)
timeout 60 "$memvirt" run --engine kvm --backend kvm-shadow --no-db --guest "$work/spin.elf" --boot-timeout 2 \
	>/dev/null 2>"$work/boot.err"
rc=$?
[ "$rc" -eq 1 ] && grep -q "did not reach its boot handshake.*its last I/O: out 0xe9 byte 0x41" "$work/boot.err" ||
	fail "a guest that never boots: exit $rc: $(cat "$work/boot.err")"
[ $(($(date +%s) - start)) -le 10 ] || fail "the boot bound took $(($(date +%s) - start)) s"
[ "$failures" -eq 0 ] || exit 1
echo "memvirt on this /dev/kvm: every workload, 3 VMs, every record level and the boot bound check out"
