#!/bin/sh
# run.sh -- `make bench`: the simulator's speed, printed as figures.
#
#   usage: run.sh DSIM BENCH_DIR
#
# Every figure is measured here and now; nothing is timed inside the test suite. The
# bare heap-and-pool loop (bench_baseline) is the floor that dsim's gossip benchmark
# is compared with on the same machine.
set -e
DSIM=$1
BENCH=$2
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }

echo "== event loop: one timer re-armed (chain)"
$DSIM bench chain --events 20000000

echo
echo "== random-peer gossip: each node sends one message to a random peer every Exp(1s)"
base=$($BENCH/bench_baseline 1000 2000)
echo "$base"
b=$(echo "$base" | field delivered_per_second)
for spec in "1000 2000" "10000 200" "1000000 10"; do
    set -- $spec
    out=$($DSIM bench gossip --nodes $1 --seconds $2)
    echo "$out"
    if [ "$1" = 1000 ]; then
        d=$(echo "$out" | field delivered_per_second)
        awk -v b="$b" -v d="$d" 'BEGIN { printf "   N=1000: dsim delivers %.2f M msg/s, the bare loop %.2f M msg/s: %.2fx slower (goal: within 3x)\n", d/1e6, b/1e6, b/d }'
    fi
    if [ "$1" = 1000000 ]; then
        m=$(echo "$out" | field peak_rss_bytes)
        awk -v m="$m" 'BEGIN { printf "   N=1,000,000: peak memory %.0f MB (goal: under 400 MB)\n", m/1048576 }'
    fi
done

echo
echo "== scenarios/gossip-large.json (1000 gossip nodes, 20 clients, lossy links, partitions)"
$DSIM run scenarios/gossip-large.json --json | awk '{
    match($0, /"events":[0-9]+/); ev = substr($0, RSTART + 9, RLENGTH - 9);
    match($0, /"wall_seconds":[0-9.e+-]+/); w = substr($0, RSTART + 15, RLENGTH - 15);
    match($0, /"delivered":[0-9]+/); dl = substr($0, RSTART + 12, RLENGTH - 12);
    printf "   %d events, %d messages delivered in %.2fs: %.2f M events/s\n", ev, dl, w, ev / w / 1e6 }'

for b in $BENCH/bench_*; do
    case $b in *bench_baseline|*.d) continue ;; esac
    [ -x "$b" ] || continue
    echo
    echo "== $(basename $b)"
    $b
done
