#!/usr/bin/env bash
# fuzz/run.sh — build one libFuzzer harness with clang and run it.
#
#   fuzz/run.sh [--build-dir DIR] [--work-dir DIR] HARNESS EXECS [LIBFUZZER_ARG...]
#                 (EXECS 0: no limit, e.g. with -max_total_time=SECONDS)
#   fuzz/run.sh --list
#
# Compiles fuzz/fuzz_HARNESS.c and exactly the memvirt sources it needs
# with `clang -fsanitize=fuzzer,address,undefined` (the main build uses
# gcc, which has no libFuzzer), then runs it for EXECS executions over a
# copy of fuzz/corpus/HARNESS/ (the tree's corpus is never written).
#
#   --build-dir DIR   a meson build directory: its memvirt-config.h is used,
#                     and the work directory defaults to DIR/fuzz/HARNESS
#   --work-dir DIR    where the binary, the corpus copy, the log and any
#                     reproducer go (default without --build-dir:
#                     ${TMPDIR:-/tmp}/memvirt-fuzz-UID/HARNESS)
#   LIBFUZZER_ARG     passed on, e.g. -max_total_time=600 or -seed=1
#   CLANG=...         the compiler (default: clang, then clang-14)
#
# Exit status: 0 no crash; 1 a crash, leak, timeout or broken promise (the
# reproducer's path is printed), or a build failure; 2 bad usage; 77 clang
# or libFuzzer missing (the reason is printed; meson counts it a skip).
set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# HARNESS -> the memvirt sources it links, relative to ROOT.  The harness
# itself is fuzz/fuzz_HARNESS.c (with '-' as '_').
harness_sources() {
	case "$1" in
	sweep)
		# runconf.c is the table of run options the parser reads (its
		# args/files values are split by program.c); the
		# engine registry and backend table it refers to are stubs.
		echo core/sweep.c core/runconf.c core/program.c core/sha256.c core/cli_util.c core/costmodel.c core/counters.c \
			core/evbus.c workloads/catalog.c sdk/options.c fuzz/stub_registry.c ;;
	elf) echo core/elfload.c ;;
	console) echo core/console.c core/counters.c ;;
	tlb) echo vcpu/soft/mmu.c vcpu/soft/miss.c vcpu/soft/tlb.c vcpu/soft/walk.c sdk/options.c ;;
	costs) echo core/costmodel.c core/counters.c sdk/options.c ;;
	backend-opt)
		echo sdk/options.c sdk/event.c shadowpt/gwalk.c shadowpt/shadow.c shadowpt/shadow_check.c \
			shadowpt/shadow_fault.c shadowpt/shadow_pages.c shadowpt/shadow_write.c ept/ept.c \
			ept/npt.c softtlb/vtlb.c softtlb/softtlb.c asid/asid.c ;;
	decode) echo vcpu/soft/decode.c vcpu/soft/insn_table.c ;;
	*) return 1 ;;
	esac
}
# The longest input per harness (a sweep line may be 4095 characters).
harness_max_len() {
	case "$1" in
	sweep) echo 8192 ;;
	elf) echo 4096 ;;
	console) echo 2048 ;;
	decode) echo 32 ;;
	*) echo 512 ;;
	esac
}
HARNESSES="sweep elf console tlb costs backend-opt decode"

usage() {
	sed -n '2,23p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
say() { echo "fuzz/run.sh: $*"; }

build_dir='' work_dir=''
while [ $# -gt 0 ]; do
	case "$1" in
	--build-dir) [ $# -ge 2 ] || usage; build_dir=$2; shift 2 ;;
	--work-dir) [ $# -ge 2 ] || usage; work_dir=$2; shift 2 ;;
	--list) echo "$HARNESSES"; exit 0 ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 2 ] || usage
harness=$1 execs=$2
shift 2
sources=$(harness_sources "$harness") || { say "unknown harness '$harness' (one of: $HARNESSES)" >&2; exit 2; }
case "$execs" in ''|*[!0-9]*) say "EXECS must be a number, not '$execs'" >&2; exit 2 ;; esac
runs=$execs
[ "$execs" = 0 ] && runs=-1   # no limit: until a crash or -max_total_time
main_src=fuzz/fuzz_${harness//-/_}.c

# ---- the compiler --------------------------------------------------------
cc=${CLANG:-}
if [ -z "$cc" ]; then
	for c in clang clang-14; do
		if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
	done
fi
if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
	say "SKIP: no clang (libFuzzer needs it; apt-get install clang)"
	exit 77
fi

if [ -z "$work_dir" ]; then
	if [ -n "$build_dir" ]; then
		work_dir=$build_dir/fuzz/$harness
	else
		work_dir=${TMPDIR:-/tmp}/memvirt-fuzz-$(id -u)/$harness
	fi
fi
mkdir -p "$work_dir" || exit 1
work_dir=$(cd "$work_dir" && pwd)
bin=$work_dir/fuzz-$harness
log=$work_dir/fuzz.log

# libFuzzer is part of clang's runtime package, not always installed
# with the compiler: link a one-line harness to find out.
probe=$work_dir/probe
if [ ! -x "$probe" ]; then
	printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
		>"$work_dir/probe.c"
	if ! "$cc" -fsanitize=fuzzer,address,undefined "$work_dir/probe.c" -o "$probe" >"$work_dir/probe.log" 2>&1; then
		say "SKIP: $cc cannot link -fsanitize=fuzzer,address,undefined (libFuzzer missing?):"
		sed 's/^/  /' "$work_dir/probe.log" | head -5
		exit 77
	fi
fi

# ---- memvirt-config.h: the build directory's, or a minimal one ------------
if [ -n "$build_dir" ] && [ -f "$build_dir/memvirt-config.h" ]; then
	conf_dir=$(cd "$build_dir" && pwd)
else
	conf_dir=$work_dir/config
	mkdir -p "$conf_dir"
	version=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" "$ROOT/meson.build" | head -1)
	cat >"$conf_dir/memvirt-config.h.new" <<EOF
/* Generated by fuzz/run.sh: what a meson build directory's memvirt-config.h holds. */
#pragma once
#define MEMVIRT_VERSION "${version:-unknown}"
#define MEMVIRT_BUILD_ROOT "$work_dir"
#define MEMVIRT_SOURCE_ROOT "$ROOT"
#define MEMVIRT_DATADIR "/usr/local/share/memvirt"
EOF
	if cmp -s "$conf_dir/memvirt-config.h.new" "$conf_dir/memvirt-config.h"; then
		rm -f "$conf_dir/memvirt-config.h.new"
	else
		mv "$conf_dir/memvirt-config.h.new" "$conf_dir/memvirt-config.h"
	fi
fi

# ---- build (again only when a source, a header or this script is newer,
# or the binary was built from another tree, compiler or source list) ----
flags=(-std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
	'-fsanitize=fuzzer,address,undefined' -fno-sanitize-recover=all
	-I"$ROOT" -I"$ROOT/include" -I"$conf_dir" -Wall -Wextra -Wno-unused-parameter)
stamp="$cc ${flags[*]} $main_src $sources"
stale=1
if [ -x "$bin" ] && [ "$(cat "$bin.stamp" 2>/dev/null)" = "$stamp" ]; then
	stale=$(find "$ROOT/fuzz" "$ROOT/include" "$ROOT/core" "$ROOT/sdk" "$ROOT/vcpu" "$ROOT/shadowpt" \
		"$ROOT/ept" "$ROOT/softtlb" "$ROOT/asid" "$ROOT/workloads" "$conf_dir/memvirt-config.h" \
		-maxdepth 3 \( -name '*.c' -o -name '*.h' -o -name run.sh \) -newer "$bin" -print -quit 2>/dev/null)
fi
if [ -n "$stale" ]; then
	say "building $harness: $main_src $sources"
	# shellcheck disable=SC2086  # $sources is a word list
	if ! (cd "$ROOT" && "$cc" "${flags[@]}" "$main_src" $sources -lm -o "$bin.new") >"$work_dir/build.log" 2>&1; then
		cat "$work_dir/build.log"
		say "FAIL: $harness does not build"
		exit 1
	fi
	grep -i 'warning' "$work_dir/build.log" >/dev/null && cat "$work_dir/build.log"
	mv "$bin.new" "$bin"
	echo "$stamp" >"$bin.stamp"
fi

# ---- run -------------------------------------------------------------------
corpus=$work_dir/corpus
artifacts=$work_dir/artifacts
rm -rf "$corpus" "$artifacts"
mkdir -p "$corpus" "$artifacts"
if [ -d "$ROOT/fuzz/corpus/$harness" ]; then
	cp -R "$ROOT/fuzz/corpus/$harness/." "$corpus/"
fi

# Leaks count as bugs; a sanitizer report ends the run (libFuzzer keeps
# the input).  The caller's sanitizer settings (meson's among them) would
# change how a crash is reported, so these are fixed here.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=0:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
say "running $harness for $([ "$runs" = -1 ] && echo unlimited || echo "$execs") executions over $(find "$corpus" -type f | wc -l) seed inputs"
start=$(date +%s.%N)
"$bin" -runs="$runs" -max_len="$(harness_max_len "$harness")" -timeout=25 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
	-artifact_prefix="$artifacts/" "$@" "$corpus" >"$log" 2>&1
rc=$?
end=$(date +%s.%N)

done_execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
rate=$(awk -v n="${done_execs:-0}" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", (b > a ? n / (b - a) : 0) }')
reproducer=$(find "$artifacts" -type f -printf '%T@ %f\n' 2>/dev/null | sort -rn | head -1 | cut -d' ' -f2-)
if [ "$rc" -eq 0 ] && [ -z "$reproducer" ]; then
	say "PASS: $harness: ${done_execs:-?} executions in ${secs}s (${rate:-?} exec/s), no crash; corpus now $(find "$corpus" -type f | wc -l) inputs; log $log"
	exit 0
fi
tail -n 60 "$log"
if [ -n "$reproducer" ]; then
	say "FAIL: $harness crashed after ${done_execs:-?} executions; reproducer: $artifacts/$reproducer"
	say "rerun it with: $bin $artifacts/$reproducer"
else
	say "FAIL: $harness exited with status $rc and left no reproducer; log $log"
fi
exit 1
