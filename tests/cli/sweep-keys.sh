#!/usr/bin/env bash
# tests/cli/sweep-keys.sh — every run option that can change a result is a
# sweep key, and `memvirt sweep --check` accepts each sweep key with a good
# value (its default, or a sample for those without one) and refuses it
# with a bad one.  The options come from `memvirt list options`, the one
# table run, sweep and this test share.
set -u
memvirt=${1:?memvirt} guest=${2:?guest image}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# A good and a bad value for each option that has no default.
# A program's keys: the guest image is a static x86-64 ELF, so it serves
# as a program for --check (which reads and checks it but runs nothing).
declare -A good=([backend-opt]="" [tlb]='"l1=32:4,l2=512:8"' [costs]='"vm_exits=900"' [guest]="$guest"
	[program]="$guest" [args]='"-n 5 '"'two words'"'", "-v"' [files]="\"$work/data.txt '$work/more data'\"")
echo data >"$work/data.txt"
echo more >"$work/more data"
declare -A bad=([engine]=qemu [machine]=mips [backend]=turbo [backend-opt]="" [workload]=doom [vms]=99
	[quantum]=10 [mem]=17M [tlb]='"l1=64:3"' [costs]='"coffee=1"' [guest]="$work/absent.elf" [seed]=x
	[insn-limit]=-1 [timeout]=0 [record]=everything [timeseries]=5 [slice]=10 [boot-timeout]=x
	[program]="$work/absent" [args]="\"'open\"" [files]="$work/absent" [output-limit]=2G)
# Keys that only mean something with a program come with one.
declare -A needs_program=([args]=1 [files]=1 [output-limit]=1)

checked=0
while read -r name role default sweep _; do
	[ "$name" = option ] && continue
	case "$role" in
	config | sample | run) ;;
	*) continue ;;
	esac
	case "$sweep" in
	list | one) ;;
	"[params]" | repetitions | args | files) continue ;;  # the sweep file's own sections and keys, the
	                                                    # one-text sweep keys of --arg and --file
	*)
		[ "$role" = config ] && fail "option '$name' changes a result but is no sweep key"
		continue
		;;
	esac
	value=${good[$name]-$default}
	[ "$value" = "-" ] && value=${good[$name]-}
	if [ "$name" = backend-opt ]; then
		printf '[sweep]\nbackend = shadow\nbackend-opt = cache=4\n' >"$work/good.sweep"
		printf '[sweep]\nbackend = shadow\nbackend-opt = cache=0\n' >"$work/bad.sweep"
	else
		[ -n "$value" ] || { fail "no sample value for sweep key '$name'"; continue; }
		printf '[sweep]\n%s = %s\n' "$name" "$value" >"$work/good.sweep"
		printf '[sweep]\n%s = %s\n' "$name" "${bad[$name]:-}" >"$work/bad.sweep"
		if [ -n "${needs_program[$name]:-}" ]; then
			printf 'program = %s\n' "$guest" >>"$work/good.sweep"
			printf 'program = %s\n' "$guest" >>"$work/bad.sweep"
		fi
	fi
	"$memvirt" sweep --check "$work/good.sweep" >"$work/out" 2>&1 ||
		fail "sweep --check refuses '$name = $value': $(cat "$work/out")"
	if [ -n "${bad[$name]:-}" ] || [ "$name" = backend-opt ]; then
		"$memvirt" sweep --check "$work/bad.sweep" >"$work/out" 2>&1
		rc=$?
		[ "$rc" -eq 2 ] && grep -q "bad.sweep" "$work/out" ||
			fail "sweep --check accepts bad '$name' (exit $rc): $(cat "$work/out")"
	else
		fail "no bad value for sweep key '$name'"
	fi
	checked=$((checked + 1))
done < <("$memvirt" list options)
[ "$checked" -ge 10 ] || fail "only $checked sweep keys checked"
[ "$failures" -eq 0 ] || exit 1
echo "$checked sweep keys accepted with good values and refused with bad ones"
