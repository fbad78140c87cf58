/* test_override.c -- `--set PATH=VALUE`: the overrides themselves (override.c) and the
 * commands that take them (run, validate, view), end to end.
 *
 * What matters to a student: an override changes exactly the value it names, the loader
 * checks it as if it had been written in the file (and its message says which --set it
 * came from), and a path that cannot be followed is exit status 2 with a message naming
 * where it broke, never a crash and never a silent no-op.
 */
#include "cli_support.h"
#include "run/run.h"
#include "scenario/override.h"

static const char *const base_json =
    "{\"name\": \"t\", \"duration\": \"1s\", \"nodes\": 3, \"protocol\": {\"name\": \"echo\"},"
    " \"faults\": [{\"at\": \"100ms\", \"crash\": \"n1\"}]}";

/* Applies the overrides to base_json and returns the result parsed. */
static cJSON *apply(const char *const *sets, uint32_t n)
{
    char err[512] = "";
    char *text = scn_text_apply_sets(base_json, "(test)", sets, n, err, sizeof err);
    if (!text) fail_msg("overrides failed: %s", err);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    return j;
}

static void test_override_sets_numbers_strings_and_creates_objects(void **state)
{
    (void)state;
    const char *sets[] = {"protocol.params.r=2", "network.loss=0.05", "duration=10s", "faults[0].at=3s",
                          "name=\"quoted\"", "check={\"convergence\": true}"};
    cJSON *j = apply(sets, 6);
    assert_int_equal((int)jnum(j, "protocol.params.r"), 2);
    assert_true(jnum(j, "network.loss") == 0.05);
    assert_string_equal(cJSON_GetObjectItem(j, "duration")->valuestring, "10s");
    assert_string_equal(cJSON_GetObjectItem(j, "name")->valuestring, "quoted");
    assert_true(cJSON_IsTrue(jget(j, "check.convergence")));
    const cJSON *f0 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "faults"), 0);
    assert_string_equal(cJSON_GetObjectItem(f0, "at")->valuestring, "3s");
    assert_string_equal(cJSON_GetObjectItem(f0, "crash")->valuestring, "n1");
    /* The replaced key keeps its place: "duration" is still the second key. */
    assert_string_equal(j->child->next->string, "duration");
    cJSON_Delete(j);
}

static void test_override_later_set_wins(void **state)
{
    (void)state;
    const char *sets[] = {"nodes=4", "nodes=5"};
    cJSON *j = apply(sets, 2);
    assert_int_equal((int)jnum(j, "nodes"), 5);
    cJSON_Delete(j);
}

static void test_override_refuses_paths_it_cannot_follow(void **state)
{
    (void)state;
    static const struct { const char *set, *part; } bad[] = {
        {"name.x=1", "$.name is a string, so it has no key \"x\""},
        {"faults[3].at=1s", "$.faults has 1 element; expected an index from 0 to 0, found 3"},
        {"nodes[0]=1", "$.nodes is a number, not a list"},
        {"missing[0]=1", "$.missing does not exist, so it cannot be indexed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512] = "";
        const char *sets[] = {bad[i].set};
        char *text = scn_text_apply_sets(base_json, "(test)", sets, 1, err, sizeof err);
        if (text) fail_msg("--set %s was accepted", bad[i].set);
        must_contain(err, bad[i].part, "the error");
        must_contain(err, "(test): --set ", "the error");
    }
    static const char *const malformed[] = {"novalue", "=1", "a..b=1", "a.=1", "a[x]=1", "a[-1]=1", "a[1]b=1"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        char err[512] = "";
        if (scn_set_check(malformed[i], err, sizeof err) == SIM_OK) fail_msg("--set %s was accepted", malformed[i]);
        must_contain(err, "expected", "the error");
    }
}

static void test_override_take_sets_removes_them_from_argv(void **state)
{
    (void)state;
    char *argv[] = {"run", "--set", "a=1", "f.json", "--set=b.c=x", "--json", NULL};
    int argc = 6;
    const char *sets[SCN_SETS_MAX];
    uint32_t n;
    char err[256];
    assert_int_equal(scn_take_sets(&argc, argv, sets, &n, err, sizeof err), SIM_OK);
    assert_int_equal(argc, 3);
    assert_int_equal(n, 2);
    assert_string_equal(sets[0], "a=1");
    assert_string_equal(sets[1], "b.c=x");
    assert_string_equal(argv[1], "f.json");
    assert_string_equal(argv[2], "--json");
    assert_null(argv[3]);
}

/* --durable-dir is a Maelstrom run's durable folder, read from the current folder. */
static void test_override_durable_dir_is_a_set_from_here(void **state)
{
    (void)state;
    char *argv[] = {"run", "f.json", "--durable-dir", "state", "--json", NULL};
    int argc = 5;
    const char *sets[SCN_SETS_MAX];
    uint32_t n;
    char err[256], cwd[4096], want[4200];
    assert_int_equal(scn_take_sets(&argc, argv, sets, &n, err, sizeof err), SIM_OK);
    assert_int_equal(n, 1);
    assert_int_equal(argc, 3);
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(want, sizeof want, "protocol.params.durable_dir=%s/state", cwd);
    assert_string_equal(sets[0], want);
    char *bad[] = {"run", "f.json", "--durable-dir", NULL};
    argc = 3;
    assert_int_equal(scn_take_sets(&argc, bad, sets, &n, err, sizeof err), SIM_EINPUT);
    assert_non_null(strstr(err, "--durable-dir needs a folder"));
}

/* ---- End to end. -------------------------------------------------------------------- */

static void test_override_run_changes_the_run_as_the_file_would(void **state)
{
    (void)state;
    /* A file with r=2 written in it and the shipped file with --set r=2 must give the
     * same run: same trace hash. */
    char *text = read_file("scenarios/quorum-r1w1-tail.json", NULL);
    char *at = strstr(text, "\"r\": 1");
    assert_non_null(at);
    at[5] = '2';
    char path[600];
    tmp_path(path, sizeof path, "quorum-r2.json");
    write_text(path, text);
    free(text);
    cli_run_t a, b, c;
    run(&a, "run '%s' --json --set duration=3s", path);
    run(&b, "run scenarios/quorum-r1w1-tail.json --json --set protocol.params.r=2 --set duration=3s");
    run(&c, "run scenarios/quorum-r1w1-tail.json --json --set duration=3s");
    expect_status(&a, 0, "the edited file");
    expect_status(&b, 0, "--set r=2");
    expect_status(&c, 0, "without --set r");
    cJSON *ja = one_object(&a), *jb = one_object(&b), *jc = one_object(&c);
    assert_int_equal((long long)jnum(jb, "sim_time_ns"), 3000000000LL);
    assert_string_equal(cJSON_GetObjectItem(ja, "trace_hash")->valuestring, cJSON_GetObjectItem(jb, "trace_hash")->valuestring);
    assert_string_not_equal(cJSON_GetObjectItem(jb, "trace_hash")->valuestring, cJSON_GetObjectItem(jc, "trace_hash")->valuestring);
    cJSON_Delete(ja);
    cJSON_Delete(jb);
    cJSON_Delete(jc);
    run_free(&a);
    run_free(&b);
    run_free(&c);
}

static void test_override_bad_values_are_input_errors(void **state)
{
    (void)state;
    static const struct { const char *args, *part; } bad[] = {
        {"run scenarios/quorum-r1w1-tail.json --set network.loss=2",
         "scenarios/quorum-r1w1-tail.json: $.network.loss: expected a probability between 0 and 1, found 2 (set by --set network.loss=2)"},
        {"run scenarios/quorum-r1w1-tail.json --set protocol.params.r=x",
         "$.protocol.params.r: expected a whole number from 1 to 15, found \"x\" (set by --set protocol.params.r=x)"},
        {"validate scenarios/quorum-r1w1-tail.json --set protocol.params.rr=1", "unknown parameter \"rr\""},
        {"run scenarios/quorum-r1w1-tail.json --set name.x=1", "$.name is a string, so it has no key \"x\""},
        {"run scenarios/quorum-r1w1-tail.json --set", "--set needs a value"},
        {"run scenarios/quorum-r1w1-tail.json --set loss", "expected PATH=VALUE"},
        {"validate scenarios/raft-leader-crash.json --set 'faults[5].at=1s'", "$.faults has 1 element"},
        {"view scenarios/echo.json --set network.loss=7 --screenshot /tmp/dsim-override-x.png", "$.network.loss: expected a probability"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cli_run_t r;
        run(&r, "%s", bad[i].args);
        expect_status(&r, 2, bad[i].args);
        must_contain(r.err, bad[i].part, "stderr");
        assert_int_equal(r.out_len, 0);
        run_free(&r);
    }
}

static void test_override_validate_reports_the_overridden_file(void **state)
{
    (void)state;
    cli_run_t r;
    run(&r, "validate scenarios/quorum-r1w1-tail.json --set duration=5s --set nodes=7");
    expect_status(&r, 0, "validate with --set");
    must_contain(r.out, "7 nodes", "stdout");
    must_contain(r.out, "5s", "stdout");
    run_free(&r);
}

/* The live view's session, written out, keeps the overrides it was watched with, so it
 * replays what was watched. */
static void test_override_written_session_keeps_the_overrides(void **state)
{
    (void)state;
    const char *sets[] = {"protocol.params.r=2", "duration=3s"};
    run_opts_t o = {.seed_set = true, .seed = 4, .sets = sets, .n_sets = 2};
    char err[512], out[600];
    run_t *r = run_open("scenarios/quorum-r1w1-tail.json", &o, err, sizeof err);
    if (!r) fail_msg("run_open: %s", err);
    assert_int_equal(run_end(r), 3000000000LL);
    sim_action_t crash = {.kind = ACT_CRASH, .at_ns = 1000000000, .node = 1};
    run_until(r, 1000000000);
    if (run_act(r, &crash, NULL, err, sizeof err) != SIM_OK) fail_msg("run_act: %s", err);
    tmp_path(out, sizeof out, "session.json");
    if (run_write(r, out, err, sizeof err) != SIM_OK) fail_msg("run_write: %s", err);
    run_until(r, run_end(r));
    uint64_t hash = sim_trace_hash(run_sim(r));
    run_destroy(r);
    char *text = read_file(out, NULL);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_non_null(j);
    assert_int_equal((int)jnum(j, "protocol.params.r"), 2);
    assert_string_equal(cJSON_GetObjectItem(j, "duration")->valuestring, "3s");
    cJSON_Delete(j);
    /* Replayed without any --set, it is the same run. */
    run_t *again = run_open(out, NULL, err, sizeof err);
    if (!again) fail_msg("the written session does not load: %s", err);
    run_until(again, run_end(again));
    assert_int_equal(sim_trace_hash(run_sim(again)), hash);
    run_destroy(again);
}

static void test_override_help_documents_set(void **state)
{
    (void)state;
    static const char *const cmds[] = {"run", "validate", "view"};
    for (int i = 0; i < 3; i++) {
        cli_run_t r;
        run(&r, "help %s", cmds[i]);
        expect_status(&r, 0, "help");
        must_contain(r.out, "--set PATH=VALUE", "help");
        run_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_override_sets_numbers_strings_and_creates_objects),
        cmocka_unit_test(test_override_later_set_wins),
        cmocka_unit_test(test_override_refuses_paths_it_cannot_follow),
        cmocka_unit_test(test_override_take_sets_removes_them_from_argv),
        cmocka_unit_test(test_override_run_changes_the_run_as_the_file_would),
        cmocka_unit_test(test_override_bad_values_are_input_errors),
        cmocka_unit_test(test_override_validate_reports_the_overridden_file),
        cmocka_unit_test(test_override_written_session_keeps_the_overrides),
        cmocka_unit_test(test_override_help_documents_set),
        cmocka_unit_test(test_override_durable_dir_is_a_set_from_here),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
