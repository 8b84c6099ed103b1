#!/usr/bin/env bash
# tests/cli/habits.sh — the command line's habits, on every command:
# errors are one line "memvirt COMMAND: ..." with a did-you-mean for a
# near miss; -V/--version everywhere; run --quiet prints nothing on
# success; a refused command line never writes a run row and, with
# --json, still prints one JSON object saying why; --backend x.so finds
# x.so in the current folder; numbers are decimal, never octal.
set -u
memvirt=${1:?memvirt} plugin=${2:?the example plugin .so}
memvirt=$(cd "$(dirname "$memvirt")" && pwd)/$(basename "$memvirt")
plugin=$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# one_line CODE PREFIX PATTERN ARGS...: exit CODE, one stderr line that
# starts with PREFIX and holds PATTERN.
one_line() {
	local code=$1 prefix=$2 pattern=$3 rc
	shift 3
	"$memvirt" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	if [ "$rc" -ne "$code" ] || [ "$(grep -c '' "$work/err")" -ne 1 ] ||
		! head -n 1 "$work/err" | grep -q "^$prefix" || ! grep -qF -- "$pattern" "$work/err"; then
		fail "memvirt $*: exit $rc (want $code), stderr (want one line '$prefix...$pattern...'):"$'\n'"$(cat "$work/err")"
	fi
}

one_line 2 "memvirt: " "(did you mean 'run'?)" rnu
one_line 2 "memvirt run: " "(did you mean '--vms'?)" run --vsm 2 --no-db
one_line 2 "memvirt run: " "(did you mean 'scan'?)" run --workload scna --no-db
one_line 2 "memvirt run: " "(did you mean 'shadow'?)" run --backend shadw --no-db
one_line 2 "memvirt run: " "(did you mean 'wss'?)" run --param wsss=1 --no-db
one_line 2 "memvirt run: " "(did you mean 'soft'?)" run --engine sfot --no-db
one_line 2 "memvirt compare: " "(did you mean '--db'?)" compare --dbb x
one_line 2 "memvirt report: " "unknown option" report --frob
one_line 2 "memvirt list: " "unknown list 'gadgets'" list gadgets
printf '[sweep]\nworkload = scan\nvm = 2\n' >"$work/typo.sweep"
one_line 2 "memvirt sweep: " "(did you mean 'vms'?)" sweep --check "$work/typo.sweep"
one_line 2 "memvirt run: " "options are one line" run --no-db --backend shadow --backend-opt $'cache=2\nsync=wp'

# -V and --version on every command.
for cmd in list run compare sweep report; do
	for flag in -V --version; do
		out=$("$memvirt" $cmd $flag 2>&1) && [[ "$out" =~ ^memvirt\ [0-9]+\.[0-9]+\.[0-9]+$ ]] ||
			fail "memvirt $cmd $flag: '$out'"
	done
done

# --quiet: nothing on stdout or stderr for a run that is ok.
"$memvirt" run --no-db --quiet --workload scan --param wss=64K >"$work/out" 2>"$work/err" ||
	fail "run --quiet exited $?"
[ -s "$work/out" ] || [ -s "$work/err" ] && fail "run --quiet printed: $(cat "$work/out" "$work/err")"

# A refused command line writes no run row.
db=$work/r.db
for args in "--tlb l1=64:3" "--backend softtlb" "--costs coffee=1" "--workload scan --param wss=1" \
	"--machine archtlb --tlb arch=0" "--backend-opt cache=0 --backend shadow" "--vms 2 --engine kvm"; do
	# shellcheck disable=SC2086
	"$memvirt" run --db "$db" $args >/dev/null 2>&1
	rc=$?
	[ "$rc" -eq 2 ] || fail "run $args: exit $rc, want 2"
	if [ -f "$db" ]; then
		rows=$(sqlite3 "$db" 'select count(*) from runs' 2>/dev/null || echo "?")
		[ "$rows" = 0 ] || fail "run $args: refused, yet $rows run rows in the database"
	fi
done

# With --json a refusal is still one JSON object.
"$memvirt" run --json --no-db --workload doom >"$work/out" 2>/dev/null
rc=$?
python3 - "$work/out" "$rc" <<'PY' || fail "run --json --workload doom: $(cat "$work/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert sys.argv[2] == "2", "exit %s" % sys.argv[2]
assert d["status"] == "usage_error" and d["exit_code"] == 2, d
assert "unknown workload 'doom'" in d["error"], d
assert d["run_id"] is None and d["checksum"] == [] and d["counters"] == {}, d
PY

# --backend x.so: a file in the current folder.
mkdir -p "$work/here"
cp "$plugin" "$work/here/mine.so"
(cd "$work/here" && "$memvirt" run --no-db --backend mine.so --workload scan --param wss=64K >/dev/null 2>"$work/err") ||
	fail "run --backend mine.so in its folder: $(cat "$work/err")"

# Numbers are decimal: a leading 0 is not octal; 0x is hex; suffixes bind.
seed=$("$memvirt" run --no-db --json --seed 010 --workload scan --param wss=64K | python3 -c 'import json,sys; print(json.load(sys.stdin)["seed"])')
[ "$seed" = 10 ] || fail "--seed 010 ran seed $seed, want 10"
wss=$("$memvirt" run --no-db --json --param wss=0x10000 --workload scan | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["params"]["wss"])')
[ "$wss" = 65536 ] || fail "--param wss=0x10000 gave $wss, want 65536"

[ "$failures" -eq 0 ] || exit 1
echo "every command-line habit holds"
