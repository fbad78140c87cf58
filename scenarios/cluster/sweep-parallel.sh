#!/bin/sh
# sweep-parallel.sh -- one dsim sweep spread over machines (or cores) with GNU parallel:
# N slices (dsim sweep --shard I/N), run wherever parallel sends them, then merged.
#
#   usage: scenarios/cluster/sweep-parallel.sh N OUT [HOSTS_FILE]
#
# From the repository root. Without HOSTS_FILE the slices run on this machine, N at a
# time. With it (one ssh login per line, as for parallel --sshloginfile; ":" is this
# machine), each slice runs on some host in the same folder path, which must be shared
# (NFS) or hold the same checkout and build. The command line it runs is, for N = 8:
#
#   parallel --sshloginfile hosts --workdir "$PWD" \
#       build/dsim sweep scenarios/quorum-r1w1-tail.json --set protocol.params.r=1,2,3 \
#       --set protocol.params.w=1,2,3 --seeds 1..20 --plot stale_reads.fraction \
#       -j 1 --shard {}/8 --out OUT.slices/slice-{} ::: 1 2 3 4 5 6 7 8
#   build/dsim sweep merge OUT.slices/slice-* --out OUT
#
# OUT is then byte for byte what `dsim sweep ... --out OUT` on one machine writes.
# Set SWEEP to sweep something else, DSIM to use another build.
set -eu
N=${1:?usage: sweep-parallel.sh N OUT [HOSTS_FILE]}
OUT=${2:?usage: sweep-parallel.sh N OUT [HOSTS_FILE]}
DSIM=${DSIM:-build/dsim}
SWEEP=${SWEEP:-"scenarios/quorum-r1w1-tail.json --set protocol.params.r=1,2,3 --set protocol.params.w=1,2,3 --seeds 1..20 --plot stale_reads.fraction"}
if [ $# -ge 3 ]; then WHERE="--sshloginfile $3 --workdir $PWD"; else WHERE="-j $N"; fi
mkdir -p "$OUT.slices"
# shellcheck disable=SC2086 # WHERE and SWEEP are lists of arguments
seq 1 "$N" | parallel --halt now,fail=1 $WHERE "$DSIM sweep $SWEEP -j 1 --shard {}/$N --out $OUT.slices/slice-{}"
"$DSIM" sweep merge "$OUT".slices/slice-* --out "$OUT"
