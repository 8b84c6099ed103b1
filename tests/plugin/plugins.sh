#!/usr/bin/env bash
# tests/plugin/plugins.sh — backend plugins: the example plugin builds out
# of tree against the installed SDK (pkg-config) and runs; bad plugins are
# refused with a one-line error (exit 2); a plugin that crashes ends its
# run failed with a backtrace naming its function, and the database stays
# consistent.
set -u
memvirt=${1:?memvirt} build=${2:?build dir} crashy=${3:?} wrong_abi=${4:?} no_entry=${5:?}
src=${MEMVIRT_SOURCE_ROOT:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# 1. The SDK as installed, and the example plugin built the out-of-tree way.
meson install -C "$build" --destdir "$work/root" --no-rebuild --quiet >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; fail "meson install"; }
pcdir=$(dirname "$(find "$work/root" -name memvirt.pc | head -n1)")
prefix=$(find "$work/root" -type d -path '*/include/memvirt' | head -n1)
prefix=${prefix%/include/memvirt}
cflags=$(PKG_CONFIG_PATH=$pcdir pkg-config --define-variable=prefix="$prefix" --cflags memvirt) ||
	fail "pkg-config --cflags memvirt"
cc $cflags -std=c17 -Wall -Wextra -Werror -shared -fPIC -o "$work/cr3-trace.so" \
	"$src/plugins/cr3-trace/cr3_trace.c" || fail "out-of-tree build of the example plugin"

out=$("$memvirt" run --no-db --json --backend "$work/cr3-trace.so" --workload ctxsw)
rc=$?
writes=$(printf '%s' "$out" | sed -n 's/.*"cr3_trace_writes":\([0-9]*\).*/\1/p')
events=$(printf '%s' "$out" | sed -n 's/.*"plugin_events":\([0-9]*\).*/\1/p')
if [ "$rc" -ne 0 ] || [ "${writes:-0}" -eq 0 ] || [ "$writes" != "$events" ]; then
	fail "cr3-trace on ctxsw: exit $rc, cr3_trace_writes=$writes plugin_events=$events"
fi
# Its CR3 exits are the guest's CR3 writes: native sees none of them as exits.
native=$("$memvirt" run --no-db --json --workload ctxsw | sed -n 's/.*"vm_exits":\([0-9]*\).*/\1/p')
traced=$(printf '%s' "$out" | sed -n 's/.*"vm_exits":\([0-9]*\).*/\1/p')
[ "$((native + writes))" = "$traced" ] || fail "exits: native $native + writes $writes != traced $traced"
# The meson-built copy in the build tree works the same.
"$memvirt" run --no-db --backend "$build/plugins/cr3-trace.so" --workload scan --param wss=64K >/dev/null ||
	fail "the build tree's plugins/cr3-trace.so"
"$memvirt" run --no-db --backend "$work/cr3-trace.so" --backend-opt roots=0 >/dev/null 2>"$work/err"
[ $? -eq 2 ] && grep -q "cr3-trace: 'roots=0': expected a number from 1 to 4096" "$work/err" || fail "plugin option error: $(cat "$work/err")"

# 2. Bad plugins are refused before anything runs.
expect_refused() {
	local plugin=$1 pattern=$2
	"$memvirt" run --no-db --backend "$plugin" >/dev/null 2>"$work/err"
	local rc=$?
	if [ "$rc" -ne 2 ] || [ "$(grep -c '' "$work/err")" -ne 1 ] || ! grep -q -- "$pattern" "$work/err"; then
		fail "$plugin: exit $rc, want 2 and /$pattern/: $(cat "$work/err")"
	fi
}
expect_refused "$wrong_abi" "built for backend ABI 999, this memvirt speaks ABI 1"
expect_refused "$no_entry" "has no 'memvirt_backend' symbol"
printf 'plain text' >"$work/text.so"
expect_refused "$work/text.so" "cannot be loaded"
expect_refused "$work/absent.so" "No such file"

# 3. A crashing plugin: the run fails with a backtrace, memvirt survives,
#    the database is consistent and says why.
db="$work/r.db"
"$memvirt" run --db "$db" --backend "$crashy" --workload scan >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -ne 1 ] || ! grep -q "crashed in its handle_exit hook: SIGSEGV" "$work/err" ||
	! grep -q "crashy_poke_wild_pointer" "$work/err"; then
	fail "crashing plugin: exit $rc: $(cat "$work/err")"
fi
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity after a plugin crash"
[ "$(sqlite3 "$db" "SELECT status FROM runs")" = failed ] || fail "the run should be failed"
sqlite3 "$db" "SELECT error FROM runs" | grep -q "crashy_poke_wild_pointer" || fail "the stored reason names the function"

[ "$failures" -eq 0 ] || exit 1
echo "plugin checks passed"
