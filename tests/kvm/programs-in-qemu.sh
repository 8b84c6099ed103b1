#!/bin/bash
# tests/kvm/programs-in-qemu.sh — a static Linux program (`memvirt run
# --program`) on the kvm engine inside QEMU (run-in-qemu.sh): under
# `--backend ept` with kvm_amd npt=1 and `--backend kvm-shadow` with npt=0.
#
# The same binary runs directly on this host first; each kvm run must be
# ok and give the host's stdout and exit status as program.stdout /
# program.exit_status, and the checksum program_abi.h defines (FNV-1a 64
# of stdout, then the exit status as 4 little-endian bytes) computed here
# from the host's output.  A program that exits 3 must make the run fail
# with exit_status 3.
#
# Usage: programs-in-qemu.sh HARNESS MEMVIRT GUEST_LX_ELF PROGRAM CACHE_DIR OUT_DIR
set -u
harness=$1 memvirt=$2 guest=$3 prog=$(realpath "$4") cache=$5 out=$6
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

rm -rf "$out" && mkdir -p "$out"
# A data file for --file: the program counts its lines.
printf 'one\ntwo\nthree\n' >"$out/lines.txt"
name=$(basename "$prog")
g=/data/$(basename "$guest")

# On the host: the reference output, run where lines.txt is, as the
# guest's program finds its --file in its working directory "/".
(cd "$out" && "$prog" 3000 lines.txt >"$out/host.out" 2>"$out/host.err")
host_rc=$?
[ "$host_rc" = 0 ] || bad "$name on the host exited $host_rc: $(cat "$out/host.err")"

specs=()
for b in ept kvm-shadow; do
	pass=$([ $b = ept ] && echo npt1 || echo npt0)
	specs+=("$pass:$b:memvirt run --engine kvm --backend $b --program /data/$name --arg 3000 --arg lines.txt --file /data/lines.txt --guest $g --no-db --timeout 60 --json >\$OUT/run.json")
	specs+=("$pass:$b-exit3:memvirt run --engine kvm --backend $b --program /data/$name --arg 10 --arg /missing --guest $g --no-db --timeout 60 --json >\$OUT/run.json; echo \$? >\$OUT/rc")
done

"$harness" --cache "$cache" --outdir "$out/qemu" --guest-timeout 90 --timeout 300 \
	--bin "$memvirt" --file "$guest" --file "$prog" --file "$out/lines.txt" -- "${specs[@]}" || true

for b in ept kvm-shadow; do
	pass=$([ $b = ept ] && echo npt1 || echo npt0)
	j=$out/qemu/$pass/$b.files/run.json
	if [ ! -s "$j" ]; then
		bad "$name on kvm/$b: no JSON came back ($(cat "$out/qemu/$pass/$b.out" 2>/dev/null | tail -n 5))"
	else
		python3 - "$j" "$out/host.out" "$host_rc" "$b" <<'PY' || fail=1
import json, struct, sys
run = json.load(open(sys.argv[1]))
host = open(sys.argv[2], "rb").read()
rc = int(sys.argv[3])
h = 0xcbf29ce484222325
for byte in host + struct.pack("<I", rc):
    h = ((h ^ byte) * 0x100000001b3) & 0xffffffffffffffff
want = "%016x" % h
prog = run.get("program") or {}
checks = run.get("checksum")
got = checks[0] if isinstance(checks, list) and checks else checks
bad = []
if run.get("status") != "ok":
    bad.append("status %r (%s)" % (run.get("status"), run.get("error") or run.get("failure")))
if prog.get("stdout", "").encode() != host:
    bad.append("stdout %r, host %r" % (prog.get("stdout"), host.decode(errors="replace")))
if prog.get("exit_status") != rc:
    bad.append("exit_status %r, host %d" % (prog.get("exit_status"), rc))
if str(got).lower().removeprefix("0x") != want:
    bad.append("checksum %r, want %s" % (got, want))
for b in bad:
    print("FAIL: kvm/%s: %s" % (sys.argv[4], b))
print("kvm/%s: status=%s exit_status=%s checksum=%s (want %s)" %
      (sys.argv[4], run.get("status"), prog.get("exit_status"), got, want))
sys.exit(1 if bad else 0)
PY
	fi
	j=$out/qemu/$pass/$b-exit3.files/run.json
	rc=$(cat "$out/qemu/$pass/$b-exit3.files/rc" 2>/dev/null)
	if [ ! -s "$j" ]; then
		bad "$name exiting 3 on kvm/$b: no JSON came back"
		continue
	fi
	python3 - "$j" "$rc" "$b" <<'PY' || fail=1
import json, sys
run = json.load(open(sys.argv[1]))
prog = run.get("program") or {}
ok = run.get("status") == "failed" and prog.get("exit_status") == 3 and sys.argv[2] not in ("", "0")
print("kvm/%s exit 3: status=%s exit_status=%s memvirt rc=%s%s" %
      (sys.argv[3], run.get("status"), prog.get("exit_status"), sys.argv[2], "" if ok else "  FAIL"))
sys.exit(0 if ok else 1)
PY
done
exit $fail
