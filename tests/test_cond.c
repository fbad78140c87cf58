/* test_cond.c -- conditions: every form loads, holds when it should, writes back as it
 * was read, and every mistake gets the file, the JSON path, what was expected and what
 * was found (with the nearest valid name for a misspelt one).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "run/run.h"
#include "scenario/cond_load.h"
#include "support.h"

static const char *const raft_json =
    "{\"seed\": 2, \"duration\": \"8s\", \"nodes\": 5,"
    " \"protocol\": {\"name\": \"raft\", \"params\": {\"election_timeout\": [\"150ms\", \"300ms\"], \"heartbeat\": \"50ms\"}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"2ms\", \"max\": \"8ms\"}},"
    " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 0.5, \"read\": 0.5}, \"keys\": 3, \"rate\": \"40/s\", \"timeout\": \"500ms\"},"
    " \"faults\": [{\"at\": \"3s\", \"crash\": \"n1\"}, {\"at\": \"4s\", \"partition\": [[\"n2\"], [\"n3\", \"n4\", \"n5\"]]}]}";

static void load(const char *cond_json, const scn_t *scn, cond_t *c)
{
    char err[512] = "";
    if (cond_parse(cond_json, "goal.json", scn, c, err, sizeof err) != SIM_OK) fail_msg("%s", err);
}

/* The message for bad condition JSON must contain every one of the words. */
static void expect_error(const scn_t *scn, const char *cond_json, const char *const *words)
{
    char err[512] = "";
    cond_t c;
    assert_int_equal(cond_parse(cond_json, "goal.json", scn, &c, err, sizeof err), SIM_EINPUT);
    for (int i = 0; words[i]; i++)
        if (!strstr(err, words[i])) fail_msg("for %s: expected \"%s\" in the message: %s", cond_json, words[i], err);
    assert_int_equal(c.count, 0);
}

static void test_cond_mistakes_name_file_path_expected_and_found(void **state)
{
    scn_t scn;
    ts_load(raft_json, &scn);
    expect_error(&scn, "{\"rol\": \"leader\"}", (const char *const[]){"goal.json", "$.rol", "did you mean \"role\"", NULL});
    expect_error(&scn, "{\"role\": \"leeder\"}", (const char *const[]){"$.role", "leeder", "did you mean \"leader\"", NULL});
    expect_error(&scn, "{\"role\": \"leader\", \"node\": \"n9\"}", (const char *const[]){"$.node", "n9", NULL});
    expect_error(&scn, "{\"crashed\": 3}", (const char *const[]){"$.crashed", "expected a node name", "found 3", NULL});
    expect_error(&scn, "{\"time\": 5}", (const char *const[]){"$.time", "found 5", NULL});
    expect_error(&scn, "{\"delivered\": \"vote\"}", (const char *const[]){"$.delivered", "message type", "vote", NULL});
    expect_error(&scn, "{\"dropped\": \"any\", \"reason\": \"lost\"}", (const char *const[]){"$.reason", "did you mean \"loss\"", NULL});
    expect_error(&scn, "{\"op\": \"okay\"}", (const char *const[]){"$.op", "okay", NULL});
    expect_error(&scn, "{\"op\": \"ok\", \"client\": \"n1\"}", (const char *const[]){"$.client", "a client name", NULL});
    expect_error(&scn, "{\"metric\": \"ops.ok\"}", (const char *const[]){"goal.json: $", "one comparison", NULL});
    expect_error(&scn, "{\"metric\": \"ops.ok\", \">=\": 1, \"<\": 5}", (const char *const[]){"a second", NULL});
    expect_error(&scn, "{\"metric\": \"ops.ok\", \">=\": \"many\"}", (const char *const[]){"$.>=", "a number", "\"many\"", NULL});
    expect_error(&scn, "{\"all\": []}", (const char *const[]){"$.all", "non-empty list", NULL});
    expect_error(&scn, "{\"any\": [{\"role\": \"leader\"}, 7]}", (const char *const[]){"$.any[1]", "a condition object", "found 7", NULL});
    expect_error(&scn, "{\"not\": {\"crashed\": \"n1\", \"node\": \"n2\"}}", (const char *const[]){"$.not.node", "unknown key", NULL});
    expect_error(&scn, "{\"violation\": false}", (const char *const[]){"$.violation", "not", NULL});
    expect_error(&scn, "{}", (const char *const[]){"expected a condition", NULL});
    expect_error(&scn, "{\"role\": \"leader\",}", (const char *const[]){"goal.json", "not valid JSON", NULL});
    expect_error(&scn, "{\"role\": \"leader\", \"role\": \"follower\"}", (const char *const[]){"appears twice", NULL});
    scn_free(&scn);
}

static void test_cond_states_and_happenings_hold_when_they_should(void **state)
{
    scn_t scn;
    ts_load(raft_json, &scn);
    run_t *r = run_create(&scn, NULL, (char[256]){0}, 256);
    assert_non_null(r);
    cond_t c;
    load("{\"crashed\": \"n1\"}", &scn, &c);
    assert_int_equal(run_until_cond(r, &c, run_end(r)), RUN_MET);
    assert_int_equal(run_now(r), 3 * SIM_SEC);
    load("{\"partitioned\": true}", &scn, &c);
    assert_int_equal(run_until_cond(r, &c, run_end(r)), RUN_MET);
    assert_int_equal(run_now(r), 4 * SIM_SEC);
    /* n2 alone, n1 down: a new leader among n3..n5 after the partition. */
    load("{\"all\": [{\"role\": \"leader\", \"node\": \"n3\"}, {\"not\": {\"crashed\": \"n2\"}}]}", &scn, &c);
    int rc = run_until_cond(r, &c, run_end(r));
    load("{\"any\": [{\"role\": \"leader\", \"node\": \"n3\"}, {\"role\": \"leader\", \"node\": \"n4\"}, {\"role\": \"leader\", \"node\": \"n5\"}]}", &scn, &c);
    if (rc != RUN_MET) assert_int_equal(run_until_cond(r, &c, run_end(r)), RUN_MET);
    assert_true(cond_holds(&c, run_sim_mut(r)));
    /* A dropped message across the cut, an operation failing or unknown. */
    load("{\"dropped\": \"any\", \"reason\": \"partition\"}", &scn, &c);
    assert_int_equal(run_until_cond(r, &c, run_end(r)), RUN_MET);
    load("{\"time\": \"6s\"}", &scn, &c);
    assert_int_equal(run_until_cond(r, &c, run_end(r)), RUN_MET);
    assert_int_equal(run_now(r), 6 * SIM_SEC);
    load("{\"violation\": true}", &scn, &c);
    assert_int_equal(run_until_cond(r, &c, run_end(r)), RUN_LIMIT);
    assert_int_equal(run_now(r), run_end(r));
    run_destroy(r);
    scn_free(&scn);
}

static void test_cond_writes_back_what_it_read(void **state)
{
    scn_t scn;
    ts_load(raft_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    const char *forms[] = {
        "{\"time\":\"1.5s\"}",
        "{\"role\":\"leader\",\"node\":\"n3\"}",
        "{\"crashed\":\"any\"}",
        "{\"paused\":\"c1\"}",
        "{\"partitioned\":false}",
        "{\"delivered\":\"vote-reply\",\"from\":\"n2\",\"to\":\"n1\"}",
        "{\"dropped\":\"any\",\"reason\":\"loss\"}",
        "{\"op\":\"info\",\"f\":\"write\",\"client\":\"c2\"}",
        "{\"violation\":\"election-safety\"}",
        "{\"metric\":\"stale_reads.stale\",\">=\":1.0}",
        "{\"metric\":\"ops.ok\",\">\":2.0}",
        "{\"metric\":\"messages.sent\",\">\":0.0}",
        "{\"all\":[{\"role\":\"leader\"},{\"not\":{\"partitioned\":true}}]}",
    };
    for (size_t i = 0; i < SIM_ARRAY_LEN(forms); i++) {
        cond_t c;
        load(forms[i], &scn, &c);
        jw_t w;
        jw_init(&w, false);
        cond_write_json(s, &c, &w);
        assert_string_equal(w.buf, forms[i]);
        jw_free(&w);
    }
    sim_destroy(s);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cond_mistakes_name_file_path_expected_and_found),
        cmocka_unit_test(test_cond_states_and_happenings_hold_when_they_should),
        cmocka_unit_test(test_cond_writes_back_what_it_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
