#!/usr/bin/env bash
# tests/cli/usage-errors.sh — every usage error of the memvirt command
# exits 2 with exactly one line on stderr that names the problem.
set -u
memvirt=${1:?usage: usage-errors.sh PATH/TO/memvirt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# expect CODE PATTERN ARGS... : exit code CODE, one stderr line matching PATTERN
expect() {
	local code=$1 pattern=$2
	shift 2
	"$memvirt" "$@" >"$work/out" 2>"$work/err"
	local rc=$? lines
	lines=$(grep -c '' "$work/err")
	if [ "$rc" -ne "$code" ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pattern" "$work/err"; then
		echo "FAIL: memvirt $*: exit $rc (want $code), $lines stderr lines (want 1), want /$pattern/:"
		sed 's/^/    /' "$work/err"
		failures=$((failures + 1))
	fi
}

db="$work/r.db"
expect 2 "unknown subcommand 'frobnicate'" frobnicate
expect 2 "unknown list 'gadgets'" list gadgets
expect 2 "expects one of" list
expect 2 "unknown engine 'qemu'; accepted: soft, kvm" run --engine qemu --db "$db"
expect 2 "unknown backend 'turbo'; accepted: native" run --backend turbo --db "$db"
expect 2 "unknown workload 'doom'; accepted: scan" run --workload doom --db "$db"
expect 2 "workload 'scan' has no parameter 'colour'; accepted: wss" run --workload scan --param colour=3 --db "$db"
expect 2 "bad --param 'wss'" run --param wss --db "$db"
expect 2 "bad --param '=5'" run --param =5 --db "$db"
expect 2 "bad value 'lots' for parameter wss" run --param wss=lots --db "$db"
expect 2 "bad value '1' for parameter wss" run --param wss=1 --db "$db"
expect 2 "bad value 'two' for --vms" run --vms two --db "$db"
expect 2 "bad value '0' for --vms" run --vms 0 --db "$db"
expect 2 "bad value '99' for --vms" run --vms 99 --db "$db"
expect 2 "bad value '-3' for --reps" run --reps -3 --db "$db"
expect 2 "bad value '1x' for --seed" run --seed 1x --db "$db"
expect 2 "bad value '99999999999999999999' for --seed" run --seed 99999999999999999999 --db "$db"
expect 2 "bad value '17M' for --mem: expected a number from 16M to 64G bytes, a multiple of 2M" run --mem 17M --db "$db"
expect 2 "bad value '1K' for --mem" run --mem 1K --db "$db"
expect 2 "bad value '10' for --quantum" run --quantum 10 --db "$db"
expect 2 "bad record level 'everything'" run --record everything --db "$db"
expect 2 "bad record level 'sampled:0'" run --record sampled:0 --db "$db"
expect 2 "needs a database" run --record full --no-db
expect 2 "unexpected argument 'extra'" run extra --db "$db"
expect 2 "--costs: unknown option 'coffee'" run --costs coffee=3 --db "$db"
expect 2 "--costs: 'vm_exits=-4': expected a number from 0" run --costs vm_exits=-4 --db "$db"
expect 2 "backend plugin '$work/none.so'" run --backend "$work/none.so" --db "$db"
# A real database for compare's selector checks.
"$memvirt" run --db "$db" --param wss=4096 >/dev/null 2>&1 || { echo "FAIL: a small run to make $db"; failures=$((failures + 1)); }
expect 2 "bad run selector term 'x-y'" compare --db "$db" --runs x-y
expect 2 "bad run selector 'last:0'" compare --db "$db" --runs last:0
expect 2 "no runs match 'backend=nothing'" compare --db "$db" --runs backend=nothing
expect 2 "unexpected argument 'now'" compare now

# An unknown option of run: one line, naming it.
"$memvirt" run --frobnicate >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -ne 2 ] || ! grep -q "unknown option '--frobnicate'" "$work/err" || [ "$(wc -l <"$work/err")" -ne 1 ]; then
	echo "FAIL: run --frobnicate: exit $rc"; failures=$((failures + 1))
fi
"$memvirt" >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -ne 2 ] || ! grep -q "Usage: memvirt" "$work/err"; then
	echo "FAIL: memvirt without arguments: exit $rc"; failures=$((failures + 1))
fi

# --help everywhere, exit 0 on stdout.
for sub in "" list run compare; do
	# shellcheck disable=SC2086
	if ! "$memvirt" $sub --help >"$work/out" 2>&1 || ! grep -q "Usage: memvirt" "$work/out"; then
		echo "FAIL: memvirt $sub --help"; failures=$((failures + 1))
	fi
done
"$memvirt" --version | grep -q "^memvirt [0-9]" || { echo "FAIL: --version"; failures=$((failures + 1)); }

# Databases: a foreign one is refused (2), an unwritable place is an environment error (3).
sqlite3 "$work/foreign.db" "CREATE TABLE t(x);" 2>/dev/null || python3 -c "import sqlite3; sqlite3.connect('$work/foreign.db').execute('CREATE TABLE t(x)')"
expect 2 "not a memvirt results database" run --db "$work/foreign.db"
expect 2 "not a memvirt results database" compare --db "$work/foreign.db"
expect 3 "cannot open" run --db "$work/no/such/dir/r.db"
expect 2 "no such database" compare --db "$work/missing.db"

# Sweep files are UTF-8 text: a byte-order mark is fine; control
# characters and bytes that are not UTF-8 are refused by place, never
# echoed raw into the terminal.
printf '\xef\xbb\xbf[sweep]\nbackend = native\n' >"$work/bom.sweep"
"$memvirt" sweep --check "$work/bom.sweep" >/dev/null 2>"$work/err" || {
	echo "FAIL: a sweep file with a UTF-8 byte-order mark: $(cat "$work/err")"
	failures=$((failures + 1))
}
printf '[sweep]\n\033[31mred = 1\n' >"$work/ctl.sweep"
expect 2 "ctl.sweep:2:1: not a text file (control character 0x1b)" sweep --check "$work/ctl.sweep"
grep -q $'\033' "$work/err" && { echo "FAIL: the escape byte was echoed"; failures=$((failures + 1)); }
printf '[sweep]\nname = \xff\xfe\n' >"$work/latin.sweep"
expect 2 "latin.sweep:2:8: not UTF-8 text (byte 0xff)" sweep --check "$work/latin.sweep"

if [ "$failures" -ne 0 ]; then
	echo "$failures usage checks failed"
	exit 1
fi
echo "all usage checks passed"
