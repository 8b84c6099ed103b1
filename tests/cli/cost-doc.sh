#!/usr/bin/env bash
# tests/cli/cost-doc.sh — docs/cost-model.md's table is the cost model's
# own (memvirt list costs): the same counters, cycles, causes and meanings,
# in the same order; and every counter the model prices exists: an event
# counter (memvirt list events) or one the workload suite's runs produce
# (tests/reference/counters.ref), so that no entry prices a counter that
# is gone.
set -u
memvirt=${1:?memvirt} src=${2:?source root}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

doc=$(sed -n 's/^| `\([a-z0-9_]*\)` | \([0-9.]*\) | \([a-z0-9_]*\) | \(.*\) |$/\1\t\2\t\3\t\4/p' "$src/docs/cost-model.md")
model=$("$memvirt" list costs) || fail "memvirt list costs exited $?"
[ -n "$doc" ] || fail "no cost table found in docs/cost-model.md"
if [ "$doc" != "$model" ]; then
	fail "docs/cost-model.md's table and memvirt list costs differ:"
	diff <(printf '%s\n' "$doc") <(printf '%s\n' "$model") | head -20
fi
events=$("$memvirt" list events | awk '{print $3}')
while IFS=$'\t' read -r counter _; do
	grep -qx -- "$counter" <<<"$events" || grep -q " counters\.$counter " "$src/tests/reference/counters.ref" ||
		fail "the cost model prices '$counter', which no run of the workload suite counts"
done <<<"$model"
[ "$failures" -eq 0 ] || exit 1
echo "the cost table in docs/cost-model.md is the model's ($(wc -l <<<"$model") entries)"
