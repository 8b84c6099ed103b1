#!/usr/bin/env bash
# scripts/quickstart.sh — the README's two commands.
#
#   scripts/quickstart.sh demo   install what is missing, build, run the
#                                default comparison on the soft engine
#   scripts/quickstart.sh test   install what is missing, build, run the
#                                whole test suite (plain and ASan/UBSan
#                                builds); ends with "N passed, N failed, N skipped"
#
# Works on a fresh Debian 12 machine as root (or with sudo available).
set -euo pipefail

cd "$(dirname "$0")/.."

# Everything comes from Debian 12 packages.  Run-time and build needs,
# then what only the tests need (the unicorn oracle, QEMU for the guest
# image and for KVM-in-QEMU, busybox and cpio for its initramfs, headless
# Chromium to check that generated reports render, clang and its
# libFuzzer for the fuzz suite, Slurm and munge for a one-node cluster
# that runs a sweep as a job array, musl-gcc for the programs built
# against musl as well as glibc).
build_packages=(gcc meson ninja-build pkg-config libsqlite3-dev libgsl-dev libunwind-dev
	linux-libc-dev binutils gnuplot-nox)
test_packages=(libunicorn-dev qemu-system-x86 busybox-static cpio sqlite3 apt-utils dpkg-dev chromium
	clang libclang-rt-14-dev slurm-wlm munge musl-tools)

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_missing() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		echo "quickstart: installing ${missing[*]}"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
}

# A build folder made before the test packages were installed (by `demo`)
# has not looked for them: `test` configures it again, so that what it
# installed (unicorn for the instruction oracle) is found and used.
build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@"
	elif [ "${reconfigure:-}" = yes ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
}

# Sum meson's "Ok: / Fail: / Skipped: / Timeout:" summaries of the logs given.
summarize() {
	local ok=0 fail=0 skip=0 f v
	for f in "$@"; do
		v=$(sed -n 's/^Ok:[[:space:]]*\([0-9]*\)/\1/p' "$f" | tail -n1); ok=$((ok + ${v:-0}))
		v=$(sed -n 's/^Fail:[[:space:]]*\([0-9]*\)/\1/p' "$f" | tail -n1); fail=$((fail + ${v:-0}))
		v=$(sed -n 's/^Unexpected Pass:[[:space:]]*\([0-9]*\)/\1/p' "$f" | tail -n1); fail=$((fail + ${v:-0}))
		v=$(sed -n 's/^Timeout:[[:space:]]*\([0-9]*\)/\1/p' "$f" | tail -n1); fail=$((fail + ${v:-0}))
		v=$(sed -n 's/^Skipped:[[:space:]]*\([0-9]*\)/\1/p' "$f" | tail -n1); skip=$((skip + ${v:-0}))
	done
	echo "$ok passed, $fail failed, $skip skipped"
}

case "${1:-}" in
demo)
	install_missing "${build_packages[@]}"
	build build
	./build/memvirt list engines
	# The default comparison: the same workloads under the page-table
	# machine's backends on the soft engine, then side by side.
	db=results/memvirt.db
	ids=""
	for workload in scan ptchurn ctxsw; do
		for backend in native shadow ept; do
			out=$(./build/memvirt run --engine soft --backend "$backend" --workload "$workload" --db "$db" --json) ||
				{ echo "quickstart: run $backend/$workload failed: $out"; exit 1; }
			id=$(printf '%s' "$out" | sed -n 's/.*"run_id":\([0-9]*\).*/\1/p')
			ids=${ids:+$ids,}$id
		done
	done
	./build/memvirt compare --db "$db" --runs "$ids"
	;;
test)
	install_missing "${build_packages[@]}" "${test_packages[@]}"
	reconfigure=yes
	# The oracle's package was just installed: its test must run, a
	# missing unicorn is a failure here, not a skip.
	export CI=${CI:-quickstart}
	logs=()
	build build
	rc=0
	meson test -C build --print-errorlogs --num-processes 2 | tee build/quickstart-test.log || rc=1
	logs+=(build/quickstart-test.log)
	# The sanitizer build runs the same tests, except the KVM-in-QEMU suite,
	# whose guest is a whole machine emulated in software (too slow under
	# ASan), and the fuzz suite, whose harnesses are sanitizer builds of
	# their own (clang's), the same in both.
	# At -O1, as AddressSanitizer's own documentation advises: its checks
	# are the same, and the suite runs in 4 minutes instead of 10 (-O0's
	# interpreter made the sanitizer pass most of CI's time).
	build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1 -Ddebug=true
	meson test -C build-asan --print-errorlogs --num-processes 2 --no-suite kvm --no-suite fuzz |
		tee build-asan/quickstart-test.log || rc=1
	logs+=(build-asan/quickstart-test.log)
	summarize "${logs[@]}"
	exit $rc
	;;
*)
	echo "usage: scripts/quickstart.sh demo|test" >&2
	exit 2
	;;
esac
