#!/usr/bin/env bash
# tests/core/determinism.sh — the same guest, parameters and seed give
# identical counters, bit for bit, on the soft engine (everything but the
# wall time), with one VM and with two timeshared; another seed differs.
set -u
memvirt=${1:?memvirt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
counters() { # strip the host-time fields, keep everything the guest and model produced
	"$memvirt" run --no-db --json "$@" | sed -e 's/"wall_ns":[0-9]*//g'
}
for args in "--workload mixed" "--workload ptchurn --tlb repl=random" "--workload ctxsw --vms 2 --quantum 30000"; do
	# shellcheck disable=SC2086
	counters $args >"$work/a"
	# shellcheck disable=SC2086
	counters $args >"$work/b"
	if ! cmp -s "$work/a" "$work/b" || ! grep -q '"tlb_accesses":[1-9]' "$work/a"; then
		echo "FAIL: two runs of '$args' differ (or counted no TLB accesses):"
		diff <(tr ',' '\n' <"$work/a") <(tr ',' '\n' <"$work/b") | head -10
		failures=$((failures + 1))
	fi
done
counters --workload gups --seed 1 >"$work/a"
counters --workload gups --seed 2 >"$work/b"
if cmp -s "$work/a" "$work/b"; then
	echo "FAIL: seeds 1 and 2 gave identical runs"
	failures=$((failures + 1))
fi
[ "$failures" -eq 0 ] || exit 1
echo "runs are deterministic"
