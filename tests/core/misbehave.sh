#!/usr/bin/env bash
# tests/core/misbehave.sh — a misbehaving guest ends its run with a report
# and exit status 1; it never crashes memvirt, and the run is recorded as
# failed with the reason.
set -u
memvirt=${1:?memvirt} mkimage=${2:?mkimage}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
db="$work/r.db"

# guest NAME HEX EXPECTED_EXIT PATTERN [extra args]
guest() {
	local name=$1 hex=$2 code=$3 pattern=$4
	shift 4
	"$mkimage" "$work/$name.elf" "$hex" || { echo "FAIL: mkimage $name"; failures=$((failures + 1)); return; }
	timeout 60 "$memvirt" run --guest "$work/$name.elf" --db "$db" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if [ "$rc" -ne "$code" ] || ! grep -q -- "$pattern" "$work/err"; then
		echo "FAIL: $name: exit $rc (want $code), want /$pattern/ on stderr:"
		sed 's/^/    /' "$work/err" | head -5
		failures=$((failures + 1))
	fi
}

# ud2 with no IDT: #UD cannot be delivered, #DF cannot either: triple fault.
guest triple "0f0b" 1 "triple-faulted"
# jmp $: retires instructions forever.
guest endless "ebfe" 1 "without finishing (endless loop" --insn-limit 100000
# mov rax, 0xdead0000000; mov cr3, rax; then any fetch walks outside RAM.
guest wildcr3 "48b80000d0ea0d000000 0f22d8 90 90" 1 "VM 0"
# hlt with interrupts off: nothing can wake it.
guest hlt "f4" 1 "halted with nothing to wake it"
# mov eax, 3; out 0xf4, eax: the guest reports failure itself.
guest badstatus "b803000000 e7f4" 1 "exited with status 3"
# mov eax, [0xfffff000]: the boot map stops at the VM's RAM (128 MiB), a
# 4 GiB address is not mapped: #PF with no IDT, then a triple fault.
guest wildread "8b0425 00f0ffff" 1 "triple-faulted"
# An instruction longer than 15 bytes across a page boundary (jmp to
# 0x100ff0: 14 operand-size prefixes, then add eax, imm32): #UD, then, with
# no IDT, a triple fault.  The decoder once asked for more bytes instead,
# and the page-crossing fetch copied guest RAM over memvirt's stack.
guest longinsn "e9eb0f0000 $(printf '00%.0s' $(seq 1 4075)) $(printf '66%.0s' $(seq 1 14)) 0511111111" 1 "triple-faulted"
# The same endless loop is stopped by the wall-clock timeout too.
guest timeout "ebfe" 1 "timeout" --insn-limit 0 --timeout 1

# Every one of those runs is in the database, failed, with its reason.
n=$(sqlite3 "$db" "SELECT count(*) FROM runs WHERE status = 'failed' AND error IS NOT NULL AND exit_code = 1")
if [ "$n" != 8 ]; then
	echo "FAIL: want 8 failed runs with reasons, database has $n:"
	sqlite3 "$db" "SELECT id, status, exit_code, error FROM runs" | sed 's/^/    /'
	failures=$((failures + 1))
fi

# Guest images that are not kernels are refused before anything runs.
head -c 4096 /dev/zero | tr '\0' 'x' >"$work/junk.elf"
"$memvirt" run --guest "$work/junk.elf" --no-db >/dev/null 2>"$work/err"
rc=$?
if [ "$rc" -ne 2 ] || ! grep -q "not a loadable x86-64 ELF64 kernel: no ELF magic" "$work/err"; then
	echo "FAIL: junk image: exit $rc"; cat "$work/err"; failures=$((failures + 1))
fi
"$memvirt" run --guest "$work/missing.elf" --no-db >/dev/null 2>"$work/err"
rc=$?
if [ "$rc" -ne 3 ] || ! grep -q "cannot read guest image" "$work/err"; then
	echo "FAIL: missing image: exit $rc"; cat "$work/err"; failures=$((failures + 1))
fi

[ "$failures" -eq 0 ] || { echo "$failures misbehaviour checks failed"; exit 1; }
echo "all misbehaviour checks passed"
