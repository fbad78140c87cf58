/* test_golden.c -- every example scenario still gives the run it gave: same trace hash,
 * same summary, same exit status.
 *
 * tests/golden/summaries.jsonl holds, one line per file in scenarios/, the exit status
 * and the `dsim run --json` summary (wall time removed). Because runs are
 * deterministic, any difference is a change of behaviour: either a bug, or a fix that
 * a commit names, after which the file is written anew with
 *
 *     DSIM_GOLDEN_UPDATE=1 build/tests/test_golden
 *
 * The program under test is $DSIM (default build/dsim). The largest scenario is left
 * out of sanitizer builds, where it would take minutes.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <cJSON.h>

#define GOLDEN "tests/golden/summaries.jsonl"
#define OUT_MAX (8u << 20)

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static const char *dsim;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The scenario files, sorted, as "scenarios/NAME.json"; returns how many. */
static int list_scenarios(char ***out)
{
    DIR *d = opendir("scenarios");
    assert_non_null(d);
    char **v = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0) continue;
        v = realloc(v, sizeof *v * (size_t)(n + 1));
        v[n] = malloc(len + 11);
        snprintf(v[n], len + 11, "scenarios/%s", e->d_name);
        n++;
    }
    closedir(d);
    qsort(v, (size_t)n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

static bool skipped(const char *path)
{
    return SANITIZED && strcmp(path, "scenarios/gossip-large.json") == 0;
}

/* Runs one scenario; returns {"scenario", "exit", "summary"} or fails the test. */
static cJSON *run_one(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' run '%s' --json 2>/dev/null", dsim, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *buf = malloc(OUT_MAX);
    size_t n = fread(buf, 1, OUT_MAX - 1, p);
    buf[n] = 0;
    int st = pclose(p);
    assert_true(WIFEXITED(st));
    cJSON *sum = cJSON_Parse(buf);
    if (!sum) fail_msg("%s: dsim run --json printed no JSON object", path);
    free(buf);
    cJSON_DeleteItemFromObjectCaseSensitive(sum, "wall_seconds");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "scenario", path);
    cJSON_AddNumberToObject(o, "exit", WEXITSTATUS(st));
    cJSON_AddItemToObject(o, "summary", sum);
    return o;
}

static void update(void)
{
    char **files;
    int n = list_scenarios(&files);
    FILE *f = fopen(GOLDEN ".tmp", "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        cJSON *o = run_one(files[i]);
        char *s = cJSON_PrintUnformatted(o);
        fprintf(f, "%s\n", s);
        free(s);
        cJSON_Delete(o);
        free(files[i]);
    }
    free(files);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(GOLDEN ".tmp", GOLDEN), 0);
}

/* Every scenario has a golden line, and its run matches it exactly. */
static void test_golden_every_scenario_matches(void **state)
{
    (void)state;
    if (getenv("DSIM_GOLDEN_UPDATE")) { update(); return; }
    FILE *f = fopen(GOLDEN, "r");
    assert_non_null(f);
    cJSON *golden = cJSON_CreateObject();
    static char line[OUT_MAX];
    while (fgets(line, sizeof line, f)) {
        cJSON *o = cJSON_Parse(line);
        assert_non_null(o);
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(o, "scenario"));
        assert_non_null(name);
        cJSON_AddItemToObject(golden, name, o);
    }
    fclose(f);

    char **files;
    int n = list_scenarios(&files), mismatches = 0;
    for (int i = 0; i < n; i++) {
        cJSON *want = cJSON_GetObjectItem(golden, files[i]);
        if (!want) {
            print_error("%s: no golden line (run with DSIM_GOLDEN_UPDATE=1)\n", files[i]);
            mismatches++;
        } else if (!skipped(files[i])) {
            cJSON *got = run_one(files[i]);
            if (!cJSON_Compare(want, got, true)) {
                char *a = cJSON_PrintUnformatted(want), *b = cJSON_PrintUnformatted(got);
                print_error("%s differs from its golden run\n  want %.600s\n  got  %.600s\n", files[i], a, b);
                free(a);
                free(b);
                mismatches++;
            }
            cJSON_Delete(got);
        }
        free(files[i]);
    }
    free(files);
    cJSON_Delete(golden);
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    dsim = getenv("DSIM");
    if (!dsim) dsim = "build/dsim";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_every_scenario_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
