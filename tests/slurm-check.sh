#!/bin/sh
# slurm-check.sh -- `make slurm-check`: the documented Slurm recipe on a real Slurm.
#
#   usage: slurm-check.sh DSIM
#
# Starts a one-node cluster on this machine from Debian's slurm-wlm and munge (installed
# with apt-get when missing), with every file -- munge key and socket, slurm.conf, state,
# spool, logs, pid files -- in one temporary directory. Submits
# scenarios/cluster/sweep-array.sbatch as a 3-task job array with sbatch --wait, merges
# the slices with dsim sweep merge, runs the same sweep unsliced, and compares the two
# folders byte for byte. Every daemon it started is stopped by the pid in its pid file,
# whatever happens (trap). Runs as root (the daemons need it), or says why not.
set -u
DSIM=${1:-build/dsim}
say() { echo "slurm-check: $*"; }

if [ "$(id -u)" != 0 ]; then
    say "needs root to start slurmctld, slurmd and munged; run: sudo make slurm-check"
    exit 1
fi
if ! command -v sbatch >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
    say "installing slurm-wlm and munge"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null 2>&1; } ||
        { say "could not install slurm-wlm and munge with apt-get"; exit 1; }
fi

T=$(mktemp -d /tmp/dsim-slurm-XXXXXX)
chmod 755 "$T"                 # munged wants its socket directory searchable by all
stop() {
    for d in slurmd slurmctld munged; do
        if [ -f "$T/$d.pid" ]; then
            pid=$(cat "$T/$d.pid")
            kill "$pid" 2>/dev/null
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
            kill -9 "$pid" 2>/dev/null
        fi
    done
    rm -rf "$T"
}
trap stop EXIT
trap 'exit 130' INT TERM

HOST=$(hostname -s)
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$T/munge.key"
munged --key-file="$T/munge.key" --socket="$T/munge.sock" --pid-file="$T/munged.pid" \
       --log-file="$T/munged.log" --seed-file="$T/munged.seed" ||
    { say "munged did not start:"; cat "$T/munged.log" 2>/dev/null; exit 1; }

mkdir -p "$T/state" "$T/spool"
cat > "$T/slurm.conf" <<CONF
ClusterName=dsimcheck
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$T/munge.sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
NodeName=$HOST CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=check Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$T/slurm.conf"
slurmctld -f "$SLURM_CONF" || { say "slurmctld did not start:"; cat "$T/slurmctld.log"; exit 1; }
slurmd -f "$SLURM_CONF" || { say "slurmd did not start:"; cat "$T/slurmd.log"; exit 1; }
i=0
until sinfo -h -o %t 2>/dev/null | grep -q idle; do
    i=$((i + 1))
    if [ $i -gt 60 ]; then say "the node never became idle:"; sinfo; tail -5 "$T/slurmctld.log" "$T/slurmd.log"; exit 1; fi
    sleep 0.5
done
say "one-node cluster up on $HOST: $(sinfo -h -o '%P %D node(s) %t')"

# A small sweep, so the check stays quick: 2 x 2 points, 3 seeds, 2 s each.
SWEEP="scenarios/quorum-r1w1-tail.json --set protocol.params.r=1,2 --set protocol.params.w=1,2 --set duration=2s --seeds 1..3 --plot stale_reads.fraction"
export SWEEP DSIM SLICES="$T/slices"
mkdir -p "$T/slices"
start=$(date +%s)
if ! sbatch --wait --array=1-3 --output="$T/slices/slurm-%A_%a.out" scenarios/cluster/sweep-array.sbatch; then
    say "the array job failed:"
    cat "$T"/slices/slurm-*.out
    exit 1
fi
say "array job of 3 tasks done in $(( $(date +%s) - start ))s; slices:"
for f in "$T"/slices/slurm-*.out; do sed 's/^/  /' "$f"; done
"$DSIM" sweep merge "$T"/slices/slice-* --out "$T/merged" >/dev/null || { say "merge failed"; exit 1; }
# shellcheck disable=SC2086 # SWEEP is a list of arguments
"$DSIM" sweep $SWEEP -j 2 --out "$T/whole" >/dev/null 2>&1 || { say "the unsliced sweep failed"; exit 1; }
if diff -r "$T/merged" "$T/whole" >/dev/null; then
    say "ok: the merged slices equal the unsliced sweep byte for byte ($(ls "$T/whole" | tr '\n' ' '))"
else
    say "FAILED: the merged slices differ from the unsliced sweep:"
    diff -r "$T/merged" "$T/whole" | head -20
    exit 1
fi
