#!/usr/bin/env bash
# tests/core/wild-guests.sh — guests made of random code, and guests that
# load random page tables and touch random addresses, under every soft
# backend: each run ends with a report (exit 1) or, by chance, finishes; it
# never crashes memvirt, never trips a sanitizer, never reads or writes
# outside its VM (the engines' containment turns that into a reported stop).
set -u
memvirt=${1:?memvirt} mkimage=${2:?mkimage}
seeds=${WILD_SEEDS:-24}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
runs=0

check() { # label image backend
	local label=$1 image=$2 backend=$3 rc
	timeout 60 "$memvirt" run --no-db --guest "$image" --backend "$backend" \
		--insn-limit 200000 --timeout 30 >"$work/out" 2>"$work/err"
	rc=$?
	runs=$((runs + 1))
	if { [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; } || grep -qE "Sanitizer|runtime error|Segmentation" "$work/err"; then
		echo "FAIL: $label under $backend: exit $rc"
		head -5 "$work/err" | sed 's/^/    /'
		failures=$((failures + 1))
	elif [ "$rc" -eq 1 ] && [ "$(grep -c '^memvirt run: ' "$work/err")" -ne 1 ]; then
		echo "FAIL: $label under $backend: a failed run must say why on one line"
		head -5 "$work/err" | sed 's/^/    /'
		failures=$((failures + 1))
	fi
}

for seed in $(seq 1 "$seeds"); do
	"$mkimage" "$work/code-$seed.elf" --random-code "$seed" || exit 1
	"$mkimage" "$work/tables-$seed.elf" --wild-tables "$seed" || exit 1
	for backend in native shadow ept; do
		check "random code $seed" "$work/code-$seed.elf" "$backend"
		check "wild tables $seed" "$work/tables-$seed.elf" "$backend"
	done
done
[ "$failures" -eq 0 ] || { echo "$failures of $runs wild runs misbehaved"; exit 1; }
echo "$runs wild runs all ended with a report"
