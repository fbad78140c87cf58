#!/bin/sh
# run.sh -- runs every test program and ends with one line of totals.
#
#   usage: run.sh DSIM TEST_PROGRAM...
#
# Each program is a cmocka suite; its own summary is printed as it runs. The last line
# adds up every suite's tests as "N passed, M failed", so a reader (or CI) sees the
# whole suite's result at the end. Programs run from the repository root with DSIM
# naming the built program (for end-to-end tests) and SDL's dummy video driver.
dsim=$1
shift
passed=0 failed=0 broken=0 out=$(mktemp)
for t in "$@"; do
    echo "== $t"
    DSIM=$dsim SDL_VIDEODRIVER=dummy "$t" > "$out" 2>&1
    rc=$?
    cat "$out"
    ran=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\./\1/p' "$out" | tail -n 1)
    ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$out" | tail -n 1)
    ran=${ran:-0} ok=${ok:-0}
    passed=$((passed + ok))
    failed=$((failed + ran - ok))
    # A program that crashed or exited non-zero without a failing test still fails.
    if [ $rc -ne 0 ] && [ $((ran - ok)) -eq 0 ]; then failed=$((failed + 1)); broken=$((broken + 1)); fi
done
rm -f "$out"
[ $broken -ne 0 ] && echo "$broken test program(s) stopped without finishing their suite"
echo "$# test programs"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
