#!/bin/sh
# run.sh -- runs every benchmark built from tests/bench/*.c, from the repository root.
#
# Called by `make bench` as: run.sh <path to dsim> <directory of benchmark programs>.
# Benchmarks print their own figures; a benchmark that exits non-zero (a wrong result,
# not a slow one) makes the whole run fail.
dsim="$1"
dir="$2"
status=0
for b in "$dir"/*; do
    [ -f "$b" ] && [ -x "$b" ] || continue
    echo "== $b"
    DSIM="$dsim" "$b" || status=1
done
exit $status
