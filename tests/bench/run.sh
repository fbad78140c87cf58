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
# dsim against the bare loop at each size, in BENCH_GOSSIP_PAIRS (default 5) pairs run
# one right after the other, the order swapped in every other pair, so that a busy
# neighbour on a shared machine slows both sides of a pair about equally. The ratio
# is the bare loop's messages per second over dsim's; min, median and max over the
# pairs are printed (goal: a median within 1.5x at every size).
gpairs=${BENCH_GOSSIP_PAIRS:-5}
for spec in "1000 1000" "10000 100" "100000 10" "1000000 3"; do
    set -- $spec
    p=1 ratios= last=
    while [ $p -le $gpairs ]; do
        if [ $((p % 2)) = 1 ]; then
            b=$($BENCH/bench_baseline $1 $2 | field delivered_per_second)
            last=$($DSIM bench gossip --nodes $1 --seconds $2)
        else
            last=$($DSIM bench gossip --nodes $1 --seconds $2)
            b=$($BENCH/bench_baseline $1 $2 | field delivered_per_second)
        fi
        d=$(echo "$last" | field delivered_per_second)
        ratios="$ratios $(awk -v b="$b" -v d="$d" 'BEGIN { printf "%.3f", b / d }')"
        p=$((p + 1))
    done
    echo "$last"
    m=$(echo "$last" | field peak_rss_bytes)
    echo "$ratios" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk -v n="$1" -v m="$m" '
        { r[NR] = $1 }
        END {
            med = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
            printf "   N=%d: the bare loop delivers %.2fx as many messages per second as dsim (min %.2f, median %.2f, max %.2f over %d pairs; goal: within 1.5x)\n",
                   n, med, r[1], med, r[NR], NR
            printf "   N=%d: peak memory %.0f MB, %.0f bytes per node%s\n", n, m / 1048576, m / n,
                   n == 1000000 ? " (goal: at most 100)" : ""
        }'
done

echo
echo "== scenarios/gossip-large.json (1000 gossip nodes, 20 clients, lossy links, partitions)"
$DSIM run scenarios/gossip-large.json --json | awk '{
    match($0, /"events":[0-9]+/); ev = substr($0, RSTART + 9, RLENGTH - 9);
    match($0, /"wall_seconds":[0-9.e+-]+/); w = substr($0, RSTART + 15, RLENGTH - 15);
    match($0, /"delivered":[0-9]+/); dl = substr($0, RSTART + 12, RLENGTH - 12);
    printf "   %d events, %d messages delivered in %.2fs: %.2f M events/s\n", ev, dl, w, ev / w / 1e6 }'

echo
echo "== the live view on SDL's software renderer: dsim view --bench-frames (offscreen, no display)"
# Each frame simulates 1/60 s of real time at the view's speed, then draws. The figures
# per second of CPU time are this process's own, whatever else the machine runs; the
# wall-clock figures also carry a busy neighbour. BENCH_VIEW_RUNS runs (default 3) of
# each; min, median and max of frames per second of CPU time are printed.
vruns=${BENCH_VIEW_RUNS:-3}
view_bench() {
    p=1 fps=
    while [ $p -le $vruns ]; do
        last=$($DSIM view "$@")
        fps="$fps $(echo "$last" | sed -n 's/.*(\([0-9.]*\) per second of CPU time).*/\1/p')"
        p=$((p + 1))
    done
    echo "$last"
    echo "$fps" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{ r[NR] = $1 } END {
        med = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2
        printf "   frames per second of CPU time: min %.1f, median %.1f, max %.1f over %d runs (goal: 60)\n", r[1], med, r[NR], NR }'
}
# 500 gossiping servers with about 23,000 messages in flight.
view_bench scenarios/view-busy.json --set nodes=500 --bench-frames 240 --at 5s
view_bench scenarios/raft-leader-crash.json --bench-frames 240

echo
echo "== 1,000 runs of scenarios/quorum-r1w1-tail.json: dsim sweep -j 2 against dsim run --json through xargs -P2"
# Paired: the same 1,000 seeds both ways, one right after the other on this machine
# (the order swapped in every other pair, BENCH_PAIRS pairs, default 1), so a busy
# neighbour hurts both about equally. The second figure is the same with the runs cut
# to 1 s of simulated time, where starting a process per run weighs most.
tmp=$(mktemp -d)
now() { date +%s.%N; }
pairs=${BENCH_PAIRS:-1}
for extra in "" "--set duration=1s"; do
    p=1
    while [ $p -le $pairs ]; do
        rm -rf "$tmp/sweep" "$tmp/runs"
        mkdir "$tmp/runs"
        x() {
            t0=$(now)
            seq 1 1000 | xargs -P2 -I{} sh -c "$DSIM run scenarios/quorum-r1w1-tail.json $extra --json --seed {} > $tmp/runs/{}.json"
            tx=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
        }
        s() {
            t0=$(now)
            $DSIM sweep scenarios/quorum-r1w1-tail.json $extra --seeds 1..1000 -j 2 --out "$tmp/sweep" > /dev/null 2>&1
            ts=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')
        }
        if [ $((p % 2)) = 1 ]; then x; s; else s; x; fi
        n=$(cat "$tmp"/runs/*.json | wc -l)
        r=$(($(wc -l < "$tmp/sweep/runs.csv") - 1))
        awk -v tx="$tx" -v ts="$ts" -v n="$n" -v r="$r" -v e="${extra:-as written (30s)}" 'BEGIN {
            printf "   %s: xargs -P2 %d runs in %.1fs; sweep -j 2 %d runs in %.1fs: the sweep is %.2fx faster (goal: at least 3x)\n",
                   e, n, tx, r, ts, tx / ts }'
        p=$((p + 1))
    done
done
rm -rf "$tmp"

for b in $BENCH/bench_*; do
    case $b in *bench_baseline|*.d) continue ;; esac
    [ -x "$b" ] || continue
    echo
    echo "== $(basename $b)"
    $b
done
