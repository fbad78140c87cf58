/* test_fuzz_regress.c -- every input the fuzzers in tests/fuzz/ ever crashed on, run
 * again through the same harness code, plus the seed corpora as a smoke test.
 *
 * The harnesses are included here with their entry point renamed, so make test and
 * make san (gcc's sanitizers) replay exactly what libFuzzer ran. A crash found by
 * make fuzz goes into tests/fuzz/regress/<harness>/ with a name that says what broke,
 * and, where the broken behaviour can be observed directly, a test of its own below.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define LLVMFuzzerTestOneInput fuzz_history_one
#include "fuzz/fuzz_history.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_scenario_one
#include "fuzz/fuzz_scenario.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_cond_one
#include "fuzz/fuzz_cond.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_lesson_one
#include "fuzz/fuzz_lesson.c"
#undef LLVMFuzzerTestOneInput

/* Runs fn on every file in dir; returns how many. */
static int each_file(const char *dir, int (*fn)(const uint8_t *, size_t))
{
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s (run the tests from the repository root)", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) fail_msg("cannot open %s", path);
        static uint8_t buf[FUZZ_INPUT_MAX + 1];
        size_t len = fread(buf, 1, sizeof buf, f);
        fclose(f);
        fn(buf, len);
        n++;
    }
    closedir(d);
    return n;
}

static void test_fuzz_regress_history_inputs(void **state)
{
    (void)state;
    assert_true(each_file("tests/fuzz/regress/fuzz_history", fuzz_history_one) >= 1);
}

static void test_fuzz_regress_scenario_inputs(void **state)
{
    (void)state;
    assert_true(each_file("tests/fuzz/regress/fuzz_scenario", fuzz_scenario_one) >= 1);
}

static void test_fuzz_regress_seed_corpora(void **state)
{
    (void)state;
    assert_true(each_file("tests/fuzz/corpus/fuzz_history", fuzz_history_one) >= 3);
    assert_true(each_file("tests/fuzz/corpus/fuzz_scenario", fuzz_scenario_one) >= 10);
    assert_true(each_file("tests/fuzz/corpus/fuzz_cond", fuzz_cond_one) >= 9);
    assert_true(each_file("tests/fuzz/corpus/fuzz_lesson", fuzz_lesson_one) >= 14);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_regress_history_inputs),
        cmocka_unit_test(test_fuzz_regress_scenario_inputs),
        cmocka_unit_test(test_fuzz_regress_seed_corpora),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
