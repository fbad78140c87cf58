/* test_cmd_check.c -- `dsim check` end to end: the built program, its exit statuses,
 * its messages and its JSON, run the way a person or a script would run it.
 *
 * The program's path comes from the DSIM environment variable (`make test` sets it;
 * build/dsim otherwise). Output goes to files so that stdout and stderr are checked
 * separately: bad input must leave stdout empty.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <cJSON.h>

static char dir[64];
static const char *dsim;

static int setup(void **state)
{
    dsim = getenv("DSIM") ? getenv("DSIM") : "build/dsim";
    snprintf(dir, sizeof dir, "/tmp/dsim-test-check-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return calloc(1, 1);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

typedef struct run { int status; char *out, *err; } run_t;

/* Runs `dsim check <args>` and collects exit status, stdout and stderr. */
static run_t check(const char *args)
{
    char cmd[2048], out[128], err[128];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(err, sizeof err, "%s/err", dir);
    snprintf(cmd, sizeof cmd, "'%s' check %s >'%s' 2>'%s'", dsim, args, out, err);
    int rc = system(cmd);
    run_t r = { WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, slurp(out), slurp(err) };
    return r;
}

static void run_free(run_t *r)
{
    free(r->out);
    free(r->err);
}

static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#define DATA "tests/data/porcupine-kv/"

static void test_cmd_check_linearizable_exits_0(void **state)
{
    run_t r = check("--model kv " DATA "c10-ok.txt");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, DATA "c10-ok.txt, kv model: 337 operations on 10 keys"));
    assert_non_null(strstr(r.out, "Linearizable: all 337 operations"));
    assert_string_equal(r.err, "");
    run_free(&r);
}

static void test_cmd_check_violation_exits_1_and_explains(void **state)
{
    char args[256], svg[128];
    snprintf(svg, sizeof svg, "%s/bad.svg", dir);
    snprintf(args, sizeof args, "--model kv --timeout 30s " DATA "c10-bad.txt --svg '%s'", svg);
    run_t r = check(args);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "Not linearizable: key \""));
    assert_non_null(strstr(r.out, "must take effect, because it has returned"));
    assert_non_null(strstr(r.out, "but it cannot: it returned"));
    assert_non_null(strstr(r.out, "Picture: "));
    char *pic = slurp(svg);
    assert_non_null(strstr(pic, "<g class=\"culprit\">"));
    free(pic);
    run_free(&r);
}

static void test_cmd_check_json_is_one_object(void **state)
{
    run_t r = check("--json --model=kv " DATA "c01-bad.txt");
    assert_int_equal(r.status, 1);
    const char *end = NULL;
    cJSON *o = cJSON_ParseWithOpts(r.out, &end, 0);
    assert_non_null(o);
    while (*end == '\n') end++;
    assert_int_equal(*end, 0);   /* nothing after the one object */
    assert_string_equal(cJSON_GetObjectItem(o, "verdict")->valuestring, "violated");
    assert_string_equal(cJSON_GetObjectItem(o, "model")->valuestring, "kv");
    assert_int_equal(cJSON_GetObjectItem(o, "ops")->valueint, 38);
    assert_int_equal(cJSON_GetObjectItem(o, "keys")->valueint, 8);
    cJSON *ex = cJSON_GetObjectItem(o, "explanation");
    assert_true(cJSON_IsString(cJSON_GetObjectItem(ex, "key")));
    cJSON *culprit = cJSON_GetObjectItem(ex, "culprit");
    assert_string_equal(cJSON_GetObjectItem(culprit, "f")->valuestring, "get");
    assert_true(cJSON_IsNumber(cJSON_GetObjectItem(culprit, "invoke_time")));
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(ex, "prefix")));
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(ex, "prefix")) > 0);
    assert_non_null(strstr(cJSON_GetObjectItem(ex, "text")->valuestring, "Not linearizable"));
    cJSON_Delete(o);
    run_free(&r);

    r = check("--json --model kv " DATA "c01-ok.txt");
    assert_int_equal(r.status, 0);
    o = cJSON_Parse(r.out);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "verdict")->valuestring, "ok");
    cJSON_Delete(o);
    run_free(&r);
}

static void test_cmd_check_time_limit_exits_3(void **state)
{
    /* Key "0" of c50-bad alone takes seconds; a tenth of a second is not enough. */
    char path[128], cmd[512];
    snprintf(path, sizeof path, "%s/k0.edn", dir);
    snprintf(cmd, sizeof cmd, "grep ':key \"0\"' " DATA "c50-bad.txt > '%s'", path);
    assert_int_equal(system(cmd), 0);
    char args[256];
    snprintf(args, sizeof args, "--model kv --timeout 100ms '%s'", path);
    run_t r = check(args);
    assert_int_equal(r.status, 3);
    assert_non_null(strstr(r.out, "Unknown: the search stopped at its time limit"));
    run_free(&r);
}

/* --steps bounds the search by counted steps: the same history stops at the same
 * point, and gives the same answer, however busy the machine is. */
static void test_cmd_check_step_limit_exits_3_the_same_every_time(void **state)
{
    char path[128], cmd[512];
    snprintf(path, sizeof path, "%s/k0s.edn", dir);
    snprintf(cmd, sizeof cmd, "grep ':key \"0\"' " DATA "c50-bad.txt > '%s'", path);
    assert_int_equal(system(cmd), 0);
    char args[256];
    snprintf(args, sizeof args, "--model kv --steps 20000 --json '%s'", path);
    char *first = NULL;
    for (int i = 0; i < 2; i++) {
        run_t r = check(args);
        assert_int_equal(r.status, 3);
        cJSON *j = cJSON_Parse(r.out);
        assert_non_null(j);
        assert_string_equal(cJSON_GetObjectItem(j, "unknown_reason")->valuestring, "step limit");
        assert_int_equal((int)cJSON_GetObjectItem(j, "steps")->valuedouble, 20000);
        char *states = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "states"));
        if (first) assert_string_equal(states, first);
        free(first);
        first = states;
        cJSON_Delete(j);
        run_free(&r);
    }
    free(first);
    run_t r = check("--model kv --steps 0 " DATA "c01-ok.txt");
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "dsim check: --steps expects a whole number of search steps above 0 such as 100000000, found '0'\n");
    assert_string_equal(r.out, "");
    run_free(&r);
}

static void test_cmd_check_bad_input_exits_2(void **state)
{
    static const struct { const char *args, *msg; } cases[] = {
        { "--model kv --bogus " DATA "c01-ok.txt", "dsim check: unknown option '--bogus' (see dsim check --help)\n" },
        { DATA "c01-ok.txt", "dsim check: --model is required (one of register, cas-register, kv, counter), or --checks\n" },
        { "--model kvv " DATA "c01-ok.txt",
          "dsim check: unknown model 'kvv'; did you mean 'kv'? (models: register, cas-register, kv, counter)\n" },
        { "--model cas_register " DATA "c01-ok.txt",
          "dsim check: unknown model 'cas_register'; did you mean 'cas-register'? (models: register, cas-register, kv, counter)\n" },
        { "--model kv", "dsim check: expected a history file to check (see dsim check --help)\n" },
        { "--model kv --timeout", "dsim check: --timeout needs a value (see dsim check --help)\n" },
        { "--model kv --timeout 10 " DATA "c01-ok.txt",
          "dsim check: --timeout expects a duration such as 10s or 500ms, found '10'\n" },
        { "--model kv /nonexistent/h.jsonl", "dsim check: /nonexistent/h.jsonl: cannot open: No such file or directory\n" },
        { "--checks '' " DATA "c01-ok.txt",
          "dsim check: --checks expects a comma-separated list of session, set-full, counter, stale, found ''\n" },
        { "--checks session,,stale " DATA "c01-ok.txt",
          "dsim check: --checks expects a comma-separated list of session, set-full, counter, stale, found 'session,,stale'\n" },
        { "--model kv --model register " DATA "c01-ok.txt", "dsim check: --model is given twice; give it once\n" },
        { "--model kv --json --json " DATA "c01-ok.txt", "dsim check: --json is given twice; give it once\n" },
        { "--model kv --timeout 1s --timeout=2s " DATA "c01-ok.txt", "dsim check: --timeout is given twice; give it once\n" },
        { "--model kv --svg /proc/dsim-x " DATA "c01-ok.txt",
          "dsim check: --svg: cannot write /proc/dsim-x: No such file or directory\n" },
        { "--model kv --svg tests " DATA "c01-ok.txt",
          "dsim check: --svg: cannot write tests: it is a directory; expected a file name\n" },
        { "--model kv --svg /nonexistent/x.svg " DATA "c01-ok.txt",
          "dsim check: --svg: cannot write /nonexistent/x.svg: cannot create a file beside it: No such file or directory\n" },
        { "--model kv " DATA "c01-ok.txt " DATA "c01-bad.txt",
          "dsim check: expected one history file, found a second: '" DATA "c01-bad.txt' (after '" DATA "c01-ok.txt')\n" },
        { "--model register " DATA "c01-ok.txt",
          "dsim check: " DATA "c01-ok.txt: process 0's append invoked at t=0 (event 1): the register model has no "
          "function \"append\" (it has read, write)\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_t r = check(cases[i].args);
        if (r.status != 2 || strcmp(r.err, cases[i].msg) != 0)
            fprintf(stderr, "args: %s\nstatus %d, stderr: %s", cases[i].args, r.status, r.err);
        assert_int_equal(r.status, 2);
        assert_string_equal(r.err, cases[i].msg);
        assert_string_equal(r.out, "");
        run_free(&r);
    }

    /* A malformed history: the message names file and line. */
    const char *path = write_file("bad.jsonl",
        "{\"process\": 1, \"type\": \"invoke\", \"f\": \"write\", \"value\": 1}\n"
        "{\"process\": 1, \"type\": \"done\", \"f\": \"write\", \"value\": 1}\n");
    char args[256], want[512];
    snprintf(args, sizeof args, "--model register '%s'", path);
    snprintf(want, sizeof want, "dsim check: %s:2: expected \"type\" to be one of invoke, ok, fail, info, found \"done\"\n", path);
    run_t r = check(args);
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, want);
    assert_string_equal(r.out, "");
    run_free(&r);

    /* An unwritable picture is found before the check, so nothing is printed. */
    r = check("--model kv " DATA "c01-ok.txt --svg /nonexistent/x.svg");
    assert_int_equal(r.status, 2);
    assert_string_equal(r.err, "dsim check: --svg: cannot write /nonexistent/x.svg: cannot create a file beside it: "
                               "No such file or directory\n");
    assert_string_equal(r.out, "");
    run_free(&r);
}

static void test_cmd_check_reads_stdin_and_helps(void **state)
{
    const char *path = write_file("reg.jsonl",
        "{\"process\": 1, \"type\": \"invoke\", \"f\": \"write\", \"value\": 1, \"time_ns\": 10}\n"
        "{\"process\": 1, \"type\": \"ok\", \"f\": \"write\", \"value\": 1, \"time_ns\": 20}\n"
        "{\"process\": 2, \"type\": \"invoke\", \"f\": \"read\", \"value\": null, \"time_ns\": 30}\n"
        "{\"process\": 2, \"type\": \"ok\", \"f\": \"read\", \"value\": null, \"time_ns\": 40}\n");
    char args[256];
    snprintf(args, sizeof args, "--model register - < '%s'", path);
    run_t r = check(args);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "process 2 read -> nil [t=30 .. 40]"));
    assert_non_null(strstr(r.out, "but it cannot: it returned nil, but the register holds 1."));
    run_free(&r);

    r = check("--help");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: dsim check --model MODEL HISTORY"));
    assert_non_null(strstr(r.out, "Exit status: 0 linearizable (and every --checks check passed), 1 not linearizable"));
    run_free(&r);
}

/* --checks: the weaker checks on a history file. Process 1 reads 2 (written by
 * process 0 and acknowledged), then reads 1 again: its view went backwards (monotonic
 * reads), and the second read is stale (2 was acknowledged before it began). */
#define BACKWARDS \
    "{\"process\": 0, \"type\": \"invoke\", \"f\": \"write\", \"key\": \"k\", \"value\": 1, \"time_ns\": 0}\n" \
    "{\"process\": 0, \"type\": \"ok\", \"f\": \"write\", \"key\": \"k\", \"value\": 1, \"time_ns\": 10}\n" \
    "{\"process\": 0, \"type\": \"invoke\", \"f\": \"write\", \"key\": \"k\", \"value\": 2, \"time_ns\": 20}\n" \
    "{\"process\": 0, \"type\": \"ok\", \"f\": \"write\", \"key\": \"k\", \"value\": 2, \"time_ns\": 30}\n" \
    "{\"process\": 1, \"type\": \"invoke\", \"f\": \"read\", \"key\": \"k\", \"value\": null, \"time_ns\": 40}\n" \
    "{\"process\": 1, \"type\": \"ok\", \"f\": \"read\", \"key\": \"k\", \"value\": 2, \"time_ns\": 50}\n" \
    "{\"process\": 1, \"type\": \"invoke\", \"f\": \"read\", \"key\": \"k\", \"value\": null, \"time_ns\": 60}\n" \
    "{\"process\": 1, \"type\": \"ok\", \"f\": \"read\", \"key\": \"k\", \"value\": 1, \"time_ns\": 70}\n"

static void test_cmd_check_weaker_checks_find_a_view_going_backwards(void **state)
{
    char args[512];
    snprintf(args, sizeof args, "--checks session,stale '%s'", write_file("backwards.jsonl", BACKWARDS));
    run_t r = check(args);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.out, "monotonic-reads 1"));
    assert_non_null(strstr(r.out, "stale reads: 1 of 2 register reads"));
    run_free(&r);

    /* With a model, the linearizability verdict comes first and the checks follow. */
    snprintf(args, sizeof args, "--model register --checks stale --json '%s'", write_file("backwards.jsonl", BACKWARDS));
    r = check(args);
    assert_int_equal(r.status, 1);
    cJSON *o = cJSON_Parse(r.out);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "verdict")->valuestring, "violated");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "checks_failed")));
    const cJSON *st = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "checks"), "stale");
    assert_int_equal(cJSON_GetObjectItem(st, "stale")->valueint, 1);
    cJSON_Delete(o);
    run_free(&r);
}

static void test_cmd_check_weaker_checks_pass_a_clean_history(void **state)
{
    run_t r = check("--checks session,stale --json " DATA "c01-ok.txt");
    assert_int_equal(r.status, 0);
    cJSON *o = cJSON_Parse(r.out);
    assert_non_null(o);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(o, "checks_failed")));
    cJSON_Delete(o);
    run_free(&r);

    r = check("--checks sesion " DATA "c01-ok.txt");
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown check 'sesion'; did you mean 'session'?"));
    assert_string_equal(r.out, "");
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmd_check_linearizable_exits_0),
        cmocka_unit_test(test_cmd_check_violation_exits_1_and_explains),
        cmocka_unit_test(test_cmd_check_json_is_one_object),
        cmocka_unit_test(test_cmd_check_time_limit_exits_3),
        cmocka_unit_test(test_cmd_check_step_limit_exits_3_the_same_every_time),
        cmocka_unit_test(test_cmd_check_bad_input_exits_2),
        cmocka_unit_test(test_cmd_check_reads_stdin_and_helps),
        cmocka_unit_test(test_cmd_check_weaker_checks_find_a_view_going_backwards),
        cmocka_unit_test(test_cmd_check_weaker_checks_pass_a_clean_history),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
