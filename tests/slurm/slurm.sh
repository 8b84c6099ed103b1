#!/usr/bin/env bash
# tests/slurm/slurm.sh MEMVIRT SAME_RESULTS — a sweep on a real Slurm: a
# one-node cluster from Debian 12's slurm-wlm and munge, started here (as
# root, in the foreground, with private files; docs/cluster.md and
# shared/design/SLURM.md), `memvirt sweep --slurm` submits a small sweep in
# three shards, the array and the merge job run, and the merged database
# holds the same results as a local run of the same sweep.  Then --status
# shows every shard done, --resume finds nothing to submit, and a second
# submission without --resume is refused.  Daemons are stopped by pid.
#
# Skipped (77) only when not root; without the packages it fails and says
# which apt-get command installs them.
set -u
memvirt=${1:?usage: slurm.sh MEMVIRT SAME_RESULTS}
same=${2:?same-results.py}
# Meson passes paths relative to the build folder; this script moves away.
memvirt=$(realpath "$memvirt")
same=$(realpath "$same")
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: starting slurmctld, slurmd and munged needs root"
	exit 77
fi
missing=
for prog in munged mungekey slurmctld slurmd sbatch squeue scontrol sinfo scancel; do
	command -v "$prog" >/dev/null 2>&1 || [ -x "/usr/sbin/$prog" ] || missing="$missing $prog"
done
if [ -n "$missing" ]; then
	echo "FAIL: missing$missing: apt-get install slurm-wlm munge (bash scripts/quickstart.sh test installs them)"
	exit 1
fi
export PATH="$PATH:/usr/sbin:/sbin"

work=$(mktemp -d)
chmod 0711 "$work"
pids=()
jobs_submitted=
cleanup() {
	if [ -n "$jobs_submitted" ] && [ -f "$work/slurm.conf" ]; then
		SLURM_CONF="$work/slurm.conf" scancel $jobs_submitted 2>/dev/null
	fi
	# By pid, slurmd first: a signal to the process group would leave
	# running jobs behind the stopped daemons.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill "${pids[$i]}" 2>/dev/null
	done
	for p in "${pids[@]}"; do
		for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	for f in "$work"/*.out "$work"/*.err "$work"/*.log "$work"/results/shards/*/*.log; do
		[ -s "$f" ] && { echo "--- $f"; tail -15 "$f"; }
	done
	exit 1
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# munged with its own key, socket and files.
mungekey -c -k "$work/munge.key" >/dev/null 2>&1 || fail "mungekey -c failed"
chmod 0400 "$work/munge.key"
setsid munged -F --socket="$work/munge.sock" --key-file="$work/munge.key" --pid-file="$work/munged.pid" \
	--seed-file="$work/munged.seed" --log-file="$work/munged.log" >"$work/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do [ -S "$work/munge.sock" ] && break; sleep 0.1; done
[ -S "$work/munge.sock" ] || fail "munged did not start"

host=$(hostname -s)
node=$(slurmd -C | head -1 | sed "s/^NodeName=[^ ]*/NodeName=$host/")
cat >"$work/slurm.conf" <<CONF
ClusterName=memvirt-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge.sock
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=3600
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
mkdir -p "$work/state" "$work/spool"
export SLURM_CONF="$work/slurm.conf"
setsid slurmctld -D -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 &
pids+=($!)
setsid slurmd -D -f "$SLURM_CONF" >"$work/slurmd.out" 2>&1 &
pids+=($!)
ready=
for _ in $(seq 1 300); do
	if scontrol ping 2>/dev/null | grep -q UP && sinfo -h -o %T 2>/dev/null | grep -q idle; then
		ready=yes
		break
	fi
	sleep 0.1
done
[ -n "$ready" ] || fail "the one-node cluster did not come up (scontrol ping: $(scontrol ping 2>&1 | head -1); sinfo: $(sinfo -h 2>&1 | head -1))"

mkdir -p "$work/sweeps"
cat >"$work/sweeps/cluster.sweep" <<'SWEEP'
[sweep]
name = cluster
engine = soft
backend = native, shadow
workload = scan, ptchurn
[params.scan]
wss = 64K, 256K
SWEEP
cd "$work" || exit 1
db="$work/results/cluster.db"
# Submitted held (an sbatch option passed through), so that what the queue
# holds is known while --status and --resume look at it; released below.
"$memvirt" sweep sweeps/cluster.sweep --slurm --shards 3 --slurm-opt --time=10 --slurm-opt --hold --db "$db" \
	>submit.out 2>submit.err || fail "memvirt sweep --slurm: exit $?"
array=$(sed -n 's/^array job \([0-9_]*\), merge job \([0-9_]*\) .*/\1/p' submit.out)
merge=$(sed -n 's/^array job \([0-9_]*\), merge job \([0-9_]*\) .*/\2/p' submit.out)
[ -n "$array" ] && [ -n "$merge" ] || fail "no job ids in: $(cat submit.out)"
jobs_submitted="$array $merge"
grep -q "submitted sweep cluster: 6 runs to do in 3 of 3 shards (tasks 1-3)" submit.out || fail "submit says: $(cat submit.out)"
"$memvirt" sweep sweeps/cluster.sweep --status --db "$db" >held.out 2>held.err || fail "--status while queued: exit $?"
grep -q "^${array}_\[1-3\] PENDING" held.out && grep -q "^$merge PENDING" held.out ||
	fail "--status does not show the queued jobs: $(cat held.out)"
grep -Eq "^ +all +6 +0 +0 +0 +6$" held.out || fail "--status before any run: $(cat held.out)"
"$memvirt" sweep sweeps/cluster.sweep --slurm --resume --db "$db" >busy.out 2>busy.err
[ $? -eq 2 ] && grep -q "jobs .*$array.* are still queued or running (squeue)" busy.err ||
	fail "--resume while queued: $(cat busy.err)"
scontrol release "$array" && scontrol release "$merge" || fail "scontrol release"
# It returned at once: the jobs are the cluster's now.
for _ in $(seq 1 1800); do
	[ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
	sleep 0.1
done
[ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] || fail "the jobs did not finish in 3 minutes: $(squeue -h)"
jobs_submitted=
scontrol show job "$merge" | grep -q "JobState=COMPLETED" || fail "the merge job: $(scontrol show job "$merge" | grep -o 'JobState=[A-Z]*')"
for i in 1 2 3; do
	[ -f "$work/results/shards/"cluster-*/"shard-$i.db" ] || fail "shard $i wrote no database"
done
[ -f "$db" ] || fail "the merge job wrote no $db"

# The same sweep here, without the cluster.
"$memvirt" sweep sweeps/cluster.sweep --db local.db -j 2 >local.out 2>local.err || fail "the local sweep: exit $?"
python3 "$same" local.db "$db" >same.out 2>&1 || fail "the cluster's results differ from the local ones: $(cat same.out)"
python3 "$same" "$db" local.db >same.out 2>&1 || fail "the local results differ from the cluster's: $(cat same.out)"
python3 - "$db" <<'PY' || fail "the merged sweep row"
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute("SELECT count(*), status, runs_ok, grid_points FROM sweeps").fetchone()
sys.exit(0 if row == (1, "done", 6, 6) else f"sweeps: {row}")
PY

# Progress, read back from the shards.
"$memvirt" sweep sweeps/cluster.sweep --status --db "$db" >status.out 2>status.err || fail "--status: exit $?"
grep -Eq "^ +all +6 +6 +0 +0 +0$" status.out || fail "--status: $(cat status.out)"
grep -q "6 of 6 runs ok" status.out || fail "--status, merged: $(cat status.out)"
grep -q "no job of this sweep is queued or running" status.out || fail "--status, queue: $(cat status.out)"
# Nothing left to resubmit; a fresh submission over the shards is refused.
"$memvirt" sweep sweeps/cluster.sweep --slurm --resume --db "$db" >resume.out 2>resume.err || fail "--resume: exit $?"
grep -q "every shard of .* is complete; nothing to submit" resume.out || fail "--resume: $(cat resume.out)"
"$memvirt" sweep sweeps/cluster.sweep --slurm --db "$db" >again.out 2>again.err
[ $? -eq 2 ] && grep -q "already holds shards of this sweep: --resume" again.err || fail "resubmission: $(cat again.err)"

# --resume submits only the shards with runs not ok: lose shard 2's.
rm -f "$work/results/shards/"cluster-*/shard-2.db
"$memvirt" sweep sweeps/cluster.sweep --slurm --resume --db "$db" >resume2.out 2>resume2.err || fail "--resume 2: exit $?"
grep -q "in 1 of 3 shards (tasks 2)" resume2.out || fail "--resume did not resubmit shard 2 alone: $(cat resume2.out)"
array=$(sed -n 's/^array job \([0-9_]*\), merge job \([0-9_]*\) .*/\1/p' resume2.out)
merge=$(sed -n 's/^array job \([0-9_]*\), merge job \([0-9_]*\) .*/\2/p' resume2.out)
jobs_submitted="$array $merge"
for _ in $(seq 1 1800); do
	[ -z "$(squeue -h -j "$array,$merge" 2>/dev/null)" ] && break
	sleep 0.1
done
jobs_submitted=
[ -f "$work/results/shards/"cluster-*/shard-2.db ] || fail "the resubmitted shard wrote no database"
python3 "$same" local.db "$db" >same.out 2>&1 || fail "after --resume: $(cat same.out)"
echo "a sweep in 3 shards on a one-node Slurm: merged equals local; --status, --resume checked"
