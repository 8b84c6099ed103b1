#!/usr/bin/env bash
# tests/core/program-port.sh — the VMM's side of a program run, end to end
# on a stand-in for the Linux personality: a few instructions (mkimage)
# that write, as the real kernel does, MV_PORT_PROG_WRITE descriptors (8
# bytes of the package at boot info's program_gpa to fd 1, twice; "err\n"
# to fd 2), then the console lines `program exit_status=N` and `result
# checksum=1`.  Checked: the package is where the boot info says (its
# magic comes back), output reaches --json, --console (stdout to stdout,
# stderr to stderr), the store (program_output, export --format output)
# for every VM; hostile descriptors end the run with a report, exit 1;
# a non-zero exit status fails the run with "program exited with status
# N"; a package too big for --mem is refused, exit 2.  On kvm too where
# /dev/kvm is usable.
set -u
memvirt=${1:?memvirt} mkimage=${2:?mkimage}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The stand-in guest (tests/core/program-port.sh's assembly, see git log):
# its third OUT names the descriptor at 0x9000 again; variants change it.
code=488b042550840000c704250090000001000000c7042504900000080000004889042508900000c704251090000002000000c70425149000000400000048c704251890000000910000c70425009100006572720a66bae003b800900000efb810900000efb800900000ef488d351800000066baf8038a0648ffc684c07403eeebf466baf40031c0eef46d656d766972742067756573743a2066616b65206c780a70726f6772616d20657869745f7374617475733d300a726573756c7420636865636b73756d3d310a00
third=b800900000ef488d35
variant() { # NAME SED-EXPRESSION
	"$mkimage" "$work/$1.elf" "$(printf '%s' "$code" | sed "$2")" || exit 1
}
variant good 's/^//'
variant desc-outside "s/$third/b8f0ffffffef488d35/"
# exit_status=0 -> 3 ("=0\n" is 3d300a)
variant status3 's/3d300a726573/3d330a726573/'
# the first descriptor's fd 1 -> 3; its length 8 -> 65537
variant fd3 's/c704250090000001000000/c704250090000003000000/'
variant long 's/c7042504900000080000/c7042504900000010001/'
# its buffer at -16 (a sign-extended imm32): outside RAM, and gpa + len wraps
variant buf-outside 's/4889042508900000/48c7042508900000f0ffffff/'
# after its writes it loops forever (lea rsi -> jmp $ and five nops)
variant hang 's/488d3518000000/ebfe9090909090/'
prog=$work/good.elf   # any static x86-64 ELF is a program to the VMM

json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@" 2>&1; }

engines=soft
if [ -r /dev/kvm ] && [ -w /dev/kvm ] && "$memvirt" list engines 2>/dev/null | grep -q '^kvm.*available'; then
	engines="soft kvm"
fi
magic='MVPG\x01\x00\x00\x00'
for engine in $engines; do
	backend=native
	if [ "$engine" = kvm ]; then
		# The host KVM's MMU decides which of its two backends runs.
		backend=ept
		"$memvirt" run --engine kvm --backend ept --no-db --quiet --program "$prog" --guest "$work/good.elf" \
			2>/dev/null
		[ $? -eq 3 ] && backend=kvm-shadow
	fi
	for vms in 1 2; do
		"$memvirt" run --engine "$engine" --backend "$backend" --no-db --json --vms "$vms" --program "$prog" --guest "$work/good.elf" \
			>"$work/out.json" 2>"$work/err" || fail "$engine --vms $vms: exit $?: $(cat "$work/err")"
		[ "$(json "$work/out.json" 'd["status"]')" = ok ] || fail "$engine --vms $vms: $(cat "$work/out.json")"
		for v in $(seq 0 $((vms - 1))); do
			[ "$(json "$work/out.json" "d['program']['vms'][$v]['stdout'] == '$magic' * 2")" = True ] ||
				fail "$engine vm $v: stdout is not the package's header twice: $(json "$work/out.json" "repr(d['program']['vms'][$v]['stdout'])")"
			[ "$(json "$work/out.json" "repr(d['program']['vms'][$v]['stderr'])")" = "'err\\n'" ] ||
				fail "$engine vm $v: stderr"
			[ "$(json "$work/out.json" "d['program']['vms'][$v]['exit_status']")" = 0 ] || fail "$engine vm $v: exit status"
		done
		[ "$(json "$work/out.json" "len(d['program']['vms'])")" = "$vms" ] || fail "$engine: program.vms is not $vms long"
		[ "$(json "$work/out.json" "d['config']['workload'] + ' ' + d['config']['program']['name']")" = "program good.elf" ] ||
			fail "$engine: config: $(json "$work/out.json" "d['config']")"
	done
done

# As it comes: the program's stdout on stdout (before the summary), its
# stderr on stderr; with --json both on stderr; with --quiet nothing.
"$memvirt" run --no-db --program "$prog" --guest "$work/good.elf" >"$work/o" 2>"$work/e" || fail "echo: exit $?"
head -c 16 "$work/o" | cmp -s - <(printf "$magic$magic") || fail "echo: stdout starts $(od -c "$work/o" | head -2)"
[ "$(cat "$work/e")" = err ] || fail "echo: stderr is '$(cat "$work/e")'"
"$memvirt" run --no-db --json --program "$prog" --guest "$work/good.elf" >"$work/o" 2>"$work/e" || fail "echo --json: exit $?"
json "$work/o" 'd["status"]' >/dev/null || fail "echo --json: stdout is not one JSON object"
printf "${magic}err\n$magic" | cmp -s - "$work/e" || fail "echo --json: stderr is $(od -c "$work/e" | head -3)"
"$memvirt" run --no-db --quiet --program "$prog" --guest "$work/good.elf" >"$work/o" 2>"$work/e" || fail "--quiet: exit $?"
[ -s "$work/o" ] || [ -s "$work/e" ] && fail "--quiet: printed $(cat "$work/o" "$work/e")"

# Hostile descriptors: a report, exit 1, never a crash.
for bad in desc-outside fd3 long buf-outside; do
	"$memvirt" run --no-db --program "$prog" --guest "$work/$bad.elf" >"$work/o" 2>"$work/e"
	rc=$?
	[ "$rc" -eq 1 ] || fail "$bad: exit $rc, want 1: $(cat "$work/e")"
	case $bad in
	desc-outside) want="descriptor at guest-physical 0xfffffff0 is outside" ;;
	fd3) want="names fd 3" ;;
	long) want="has length 65537" ;;
	buf-outside) want="write of 8 bytes at guest-physical 0xfffffffffffffff0 is outside" ;;
	esac
	grep -q "$want" "$work/e" || fail "$bad: says $(cat "$work/e"), want '$want'"
done

# The program's exit status decides.
"$memvirt" run --no-db --json --program "$prog" --guest "$work/status3.elf" >"$work/out.json" 2>/dev/null
rc=$?
[ "$rc" -eq 1 ] || fail "exit status 3: memvirt exit $rc"
[ "$(json "$work/out.json" 'd["error"]')" = "program exited with status 3" ] || fail "exit 3: $(json "$work/out.json" 'd["error"]')"
[ "$(json "$work/out.json" 'd["program"]["exit_status"]')" = 3 ] || fail "exit 3: program.exit_status"

# The store keeps the output, per VM and stream; export shows it.
"$memvirt" run --db "$work/r.db" --quiet --vms 2 --program "$prog" --guest "$work/good.elf" || fail "recorded run: exit $?"
"$memvirt" run --db "$work/r.db" --quiet --program "$prog" --guest "$work/status3.elf" 2>/dev/null
rows=$(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("SELECT count(*), sum(length(data)), sum(stream = \"stderr\" AND data = CAST(\"err\n\" AS BLOB)) FROM program_output").fetchone())' "$work/r.db")
[ "$rows" = "(6, 60, 3)" ] || fail "program_output rows (count, bytes, stderr 'err'): $rows"
"$memvirt" export --db "$work/r.db" --format output --runs workload=program:good.elf >"$work/exp.json" ||
	fail "export --format output: exit $?"
[ "$(json "$work/exp.json" "[len(r['vms']) for r in d['runs']]")" = "[2, 1]" ] || fail "export: $(cat "$work/exp.json")"
[ "$(json "$work/exp.json" "d['runs'][1]['vms'][0]['stdout'] == '$magic' * 2 and d['runs'][1]['status']")" = failed ] ||
	fail "export of the failed run: $(cat "$work/exp.json")"

# A run ended before the program did keeps what came.
"$memvirt" run --db "$work/r.db" --quiet --insn-limit 100000 --program "$prog" --guest "$work/hang.elf" 2>"$work/e"
rc=$?
[ "$rc" -eq 1 ] && grep -q "without finishing" "$work/e" || fail "hang: exit $rc: $(cat "$work/e")"
rows=$(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("SELECT r.status, length(o.data), o.truncated FROM program_output o JOIN runs r ON r.id = o.run_id WHERE o.run_id = (SELECT max(id) FROM runs) AND o.stream = \"stdout\"").fetchone())' "$work/r.db")
[ "$rows" = "('failed', 16, 0)" ] || fail "the ended run's stdout: $rows"

# A package that cannot fit in RAM past the kernel: refused before it runs.
head -c $((20 << 20)) /dev/zero >"$work/big.bin"
"$memvirt" run --no-db --mem 16M --program "$prog" --file "$work/big.bin" --guest "$work/good.elf" >"$work/o" 2>"$work/e"
rc=$?
[ "$rc" -eq 2 ] && grep -q "does not fit in the 16 MiB of guest RAM past the kernel image" "$work/e" ||
	fail "a package bigger than --mem: exit $rc: $(cat "$work/e")"

# The identity: the program by content, the arguments in order however
# they are spelled, the files by name and content.
ident() { "$memvirt" run --no-db --json --guest "$work/good.elf" "$@" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["identity"])'; }
mkdir "$work/elsewhere" && cp "$prog" "$work/elsewhere/good.elf"
echo one >"$work/f1" && echo two >"$work/elsewhere/f1"
i1=$(ident --program "$prog" --arg a --arg "b c" --file "$work/f1")
[ "$i1" = "$(ident --program "$prog" --args "a 'b c'" --files "$work/f1")" ] || fail "--args/--files spell another identity"
[ "$i1" = "$(ident --program "$work/elsewhere/good.elf" --arg a --arg "b c" --file "$work/f1")" ] ||
	fail "the program's path is in the identity"
[ "$i1" != "$(ident --program "$prog" --arg "b c" --arg a --file "$work/f1")" ] || fail "argument order is not in the identity"
[ "$i1" != "$(ident --program "$prog" --arg a --arg b --arg c --file "$work/f1")" ] || fail "'b c' and b c name one identity"
[ "$i1" != "$(ident --program "$prog" --arg a --arg "b c" --file "$work/elsewhere/f1")" ] ||
	fail "a file's content is not in the identity"
case $i1 in
*";workload=program;param=;program="*";arg=a b%20c;file=f1@"*";output-limit=1048576;"*) ;;
*) fail "identity: $i1" ;;
esac

[ "$failures" -eq 0 ] || exit 1
echo "program port protocol: output, console, store, hostile descriptors, exit status ($engines)"
