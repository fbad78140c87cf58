#!/bin/sh
# run.sh -- runs every fuzzer for a while on its corpus and says how it went.
#
#   usage: run.sh FUZZ_DIR SECONDS
#
# Each program FUZZ_DIR/fuzz_NAME starts from tests/fuzz/corpus/fuzz_NAME and the
# inputs that once crashed it, tests/fuzz/regress/fuzz_NAME (both read only:
# the inputs it finds go to FUZZ_DIR/corpus-fuzz_NAME, so the repository's seeds stay
# small and reviewed). A crash leaves its input as FUZZ_DIR/crash-fuzz_NAME-*; turn it
# into a test in tests/test_fuzz_regress.c, then fix it. Exit status 1 if any crashed.
dir=$1 seconds=${2:-60}
status=0
for f in "$dir"/fuzz_*; do
    [ -x "$f" ] || continue
    name=$(basename "$f")
    mkdir -p "$dir/corpus-$name"
    log="$dir/$name.log"
    regress=""
    [ -d "tests/fuzz/regress/$name" ] && regress="tests/fuzz/regress/$name"
    if ASAN_OPTIONS=detect_leaks=1 "$f" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$dir/crash-$name-" "$dir/corpus-$name" "tests/fuzz/corpus/$name" $regress >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "fuzz $name: ${runs:-?} inputs in ${seconds}s, no crash"
    else
        status=1
        echo "fuzz $name: FAILED; the end of $log:"
        tail -n 40 "$log"
    fi
done
exit $status
