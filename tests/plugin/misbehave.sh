#!/usr/bin/env bash
# tests/plugin/misbehave.sh MEMVIRT MISBEHAVE.so KVM_ONLY.so NATIVE.so CTOR_CRASH.so ENTRY_CRASH.so
# — plugins that misbehave (tests/plugin/misbehave.c) never take memvirt
# down, hang it past --timeout, or leave a run recorded wrong: each ends
# with a one-line account and the database says what happened.
set -u
memvirt=${1:?memvirt} plugin=${2:?} kvm_only=${3:?} named_native=${4:?} ctor_crash=${5:?} entry_crash=${6:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
db="$work/r.db"
last() { sqlite3 "$db" "SELECT $1 FROM runs ORDER BY id DESC LIMIT 1"; }

# expect RC PATTERN ARGS...: memvirt run exits RC with one line on stderr matching PATTERN.
expect() {
	local want=$1 pattern=$2
	shift 2
	timeout 60 "$memvirt" run "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if [ "$rc" -ne "$want" ] || ! grep -q -- "$pattern" "$work/err" || [ "$(grep -c '' "$work/err")" -ne 1 ]; then
		fail "run $*: exit $rc (want $want), stderr: $(head -c 600 "$work/err")"
		return 1
	fi
	return 0
}

# 1. A plugin for another engine: refused by name, no crash (its name lives in the plugin).
expect 2 "backend 'misbehave' runs on engine kvm, not soft" --no-db --backend "$kvm_only"
# 7. A plugin may not take a built-in backend's name.
expect 2 "calls itself 'native'" --no-db --backend "$named_native"
# 7. Crashes while loading: in a constructor, in memvirt_backend(), a truncated file.
expect 2 "crashed while loading.*SIGSEGV" --no-db --backend "$ctor_crash"
expect 2 "crashed while loading.*SIGSEGV" --no-db --backend "$entry_crash"
head -c 2000 "$plugin" >"$work/truncated.so"
expect 2 "truncated.so" --no-db --backend "$work/truncated.so"
# 7. An error message without its terminating NUL is cut, not read past.
expect 2 "backend misbehave: xxxx" --no-db --backend "$plugin" --backend-opt mode=err-no-nul

# 2. Hooks that never return end with the run's --timeout, recorded failed.
for hook in create exit; do
	start=$(date +%s)
	expect 1 "did not return from its .* hook within the run's 2 s timeout" --db "$db" --backend "$plugin" \
		--backend-opt mode=loop-$hook --timeout 2
	[ $(($(date +%s) - start)) -le 15 ] || fail "loop-$hook: the timeout took $(($(date +%s) - start)) s"
	[ "$(last status)" = failed ] || fail "loop-$hook: run recorded $(last status)"
	last error | grep -q "timeout" || fail "loop-$hook: stored reason: $(last error)"
done

# 7. A crash in destroy fails the run.
expect 1 "crashed in its destroy hook: SIGSEGV" --db "$db" --backend "$plugin" --backend-opt mode=crash-destroy
[ "$(last status)" = failed ] || fail "crash-destroy: run recorded $(last status)"
# 7. exit() inside the plugin: the run is recorded failed, memvirt exits 1.
expect 1 "called exit" --db "$db" --backend "$plugin" --backend-opt mode=exit
[ "$(last status)" = failed ] || fail "exit(): run recorded $(last status)"
last error | grep -q "called exit" || fail "exit(): stored reason: $(last error)"
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"

# 13. 100000 statistics are recorded in one transaction, quickly.
start=$(date +%s)
timeout 120 "$memvirt" run --db "$db" --quiet --backend "$plugin" --backend-opt mode=many-stats --param wss=64K ||
	fail "many-stats run"
took=$(($(date +%s) - start))
[ "$took" -le 20 ] || fail "100000 statistics took $took s to record"
[ "$(sqlite3 "$db" "SELECT count(*) FROM counters WHERE run_id = (SELECT max(id) FROM runs) AND name LIKE 'misbehave_%' AND vm = -1")" = 100000 ] ||
	fail "the 100000 statistics are not all recorded"
[ "$failures" -eq 0 ] || exit 1
echo "misbehaving plugins: refused, contained, timed out and recorded as they should"
