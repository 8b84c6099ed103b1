# tests/lib/runs.sh — helpers for test scripts that drive `memvirt run
# --json` and check its counters.  Source it after setting `memvirt`:
#   . "$(dirname "$0")/../lib/runs.sh"
# It makes a scratch folder ($work, removed on exit) and counts failures
# in $failures.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

# run NAME ARGS...: memvirt run --no-db --json ARGS into $work/NAME.json
run() {
	local name=$1 rc
	shift
	"$memvirt" run --no-db --json --timeout 300 "$@" >"$work/$name.json" 2>"$work/$name.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "memvirt run $* exited $rc: $(head -c 600 "$work/$name.err") $(head -c 400 "$work/$name.json")"
		return 1
	fi
	return 0
}

# ctr NAME COUNTER: the run-wide counter (empty when absent)
ctr() {
	sed -n 's/.*"counters":{\([^}]*\)}.*/\1/p' "$work/$1.json" | tr ',' '\n' |
		grep -F "\"$2\":" | head -1 | cut -d: -f2
}

# ctr_or_zero NAME COUNTER: the same, 0 when absent
ctr_or_zero() {
	local v
	v=$(ctr "$1" "$2")
	echo "${v:-0}"
}

checksum() {
	grep -o '"checksum":\[[^]]*\]' "$work/$1.json"
}

# expect_eq NAME COUNTER VALUE (absent counts as 0)
expect_eq() {
	local v
	v=$(ctr "$1" "$2")
	[ "${v:-0}" = "$3" ] || fail "$1: $2 = ${v:-absent}, want $3"
}

# expect_gt NAME COUNTER VALUE
expect_gt() {
	local v
	v=$(ctr "$1" "$2")
	[ -n "$v" ] && awk -v a="$v" -v b="$3" 'BEGIN { exit !(a > b) }' ||
		fail "$1: $2 = ${v:-absent}, want more than $3"
}
