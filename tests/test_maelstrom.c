/* test_maelstrom.c -- programs as nodes: the Python nodes in scenarios/nodes/ and tests/maelstrom/ run under
 * dsim's network, faults and checkers; lock-step runs are deterministic; programs that
 * misbehave get a message naming them; and no child process outlives a test.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "check/runcheck.h"
#include "support.h"

/* Child processes of this test program, zombies included: after sim_destroy there
 * must be none, or dsim left a program running (or unreaped). */
static int children(void)
{
    int n = 0;
    DIR *d = opendir("/proc");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        char path[300], buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        const char *rp = strrchr(buf, ')');
        int ppid = 0;
        char st;
        if (rp && sscanf(rp + 1, " %c %d", &st, &ppid) == 2 && ppid == (int)getpid()) n++;
    }
    closedir(d);
    return n;
}

/* Loads inline JSON (single quotes stand for double quotes) and runs it to the end. */
static sim_t *run(const char *json_sq, uint64_t seed, scn_t *scn, runcheck_t *rc)
{
    char json[8192], err[1024];
    size_t n = strlen(json_sq);
    assert_true(n < sizeof json);
    for (size_t i = 0; i <= n; i++) json[i] = json_sq[i] == '\'' ? '"' : json_sq[i];
    if (scn_load_string(json, "inline.json", scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    sim_opts_t o = {.seed_set = seed != 0, .seed = seed};
    sim_t *s = sim_create(scn, &o, err, sizeof err);
    if (!s) fail_msg("%s", err);
    assert_true(children() > 0);
    sim_run(s);
    if (rc) runcheck_run(s, rc);
    return s;
}

static void done(sim_t *s, scn_t *scn, runcheck_t *rc)
{
    if (rc) runcheck_free(rc);
    sim_destroy(s);
    scn_free(scn);
    assert_int_equal(children(), 0);
}

#define ECHO \
    "{'duration': '3s', 'nodes': 3," \
    " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'scenarios/nodes/echo.py', 'workload': 'echo', 'quiet': '5ms'}}," \
    " 'network': {'latency': {'dist': 'uniform', 'min': '2ms', 'max': '8ms'}, 'loss': 0.05}," \
    " 'workload': {'clients': 2, 'ops': {'write': 1.0}, 'rate': '20/s', 'timeout': '500ms', 'stop': '2s'}}"

static void test_maelstrom_echo_answers_every_request(void **state)
{
    (void)state;
    scn_t scn;
    sim_t *s = run(ECHO, 1, &scn, NULL);
    const sim_stats_t *st = sim_stats(s);
    assert_null(sim_error(s));
    assert_null(sim_violation(s, NULL));
    assert_true(st->ops_ok > 20);
    assert_int_equal(st->ops_fail, 0);
    done(s, &scn, NULL);
}

static void test_maelstrom_lockstep_same_seed_same_trace(void **state)
{
    (void)state;
    char json[4096], err[512];
    snprintf(json, sizeof json, "%s", ECHO);
    for (char *p = json; *p; p++) if (*p == '\'') *p = '"';
    scn_t scn;
    if (scn_load_string(json, "inline.json", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    ts_assert_seed_decides(&scn, 3, 4);
    scn_free(&scn);
    assert_int_equal(children(), 0);
}

static void test_maelstrom_leader_kv_survives_kill_and_restart_under_partition(void **state)
{
    (void)state;
    /* n3 is cut off from the leader n1, then killed and started again while still cut
     * off: its clients' operations time out (info), and the history stays well formed
     * and linearizable. */
    const char *json =
        "{'duration': '6s', 'nodes': 3,"
        " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/lin_kv.py', 'workload': 'lin-kv', 'quiet': '5ms'}},"
        " 'network': {'latency': {'dist': 'uniform', 'min': '2ms', 'max': '8ms'}},"
        " 'workload': {'clients': 3, 'ops': {'read': 0.5, 'write': 0.3, 'cas': 0.2}, 'keys': 2,"
        "              'rate': '30/s', 'timeout': '300ms', 'target': 'random', 'stop': '5s'},"
        " 'faults': [{'at': '1s', 'partition': [['n1', 'n2'], ['n3']]}, {'at': '2s', 'crash': 'n3'},"
        "            {'at': '2500ms', 'restart': 'n3'}, {'at': '3500ms', 'heal': true}],"
        " 'check': {'linearizable': 'cas-register'}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 2, &scn, &rc);
    const sim_stats_t *st = sim_stats(s);
    uint64_t hash = sim_trace_hash(s);
    assert_null(sim_error(s));
    assert_int_equal(st->crashes, 1);
    assert_int_equal(st->restarts, 1);
    assert_true(st->ops_info > 0);
    assert_true(st->ops_ok > 50);
    assert_int_equal(rc.lin_rc, SIM_OK);
    if (rc.lin.verdict != LIN_OK) fail_msg("the single-leader store was judged %s", lin_verdict_names[rc.lin.verdict]);
    done(s, &scn, &rc);
    /* The kill and the second start replay too: same seed, same trace. */
    s = run(json, 2, &scn, NULL);
    assert_true(sim_trace_hash(s) == hash);
    done(s, &scn, NULL);
}

static void test_maelstrom_broken_kv_is_caught(void **state)
{
    (void)state;
    const char *json =
        "{'duration': '4s', 'nodes': 3,"
        " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/lin_kv.py', 'args': ['--broken'],"
        "              'workload': 'lin-kv', 'quiet': '5ms'}},"
        " 'network': {'latency': {'dist': 'uniform', 'min': '5ms', 'max': '30ms'}},"
        " 'workload': {'clients': 3, 'ops': {'read': 0.5, 'write': 0.5}, 'keys': 1,"
        "              'rate': '40/s', 'timeout': '300ms', 'target': 'random', 'stop': '3s'},"
        " 'check': {'linearizable': 'register'}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 1, &scn, &rc);
    assert_int_equal(rc.lin_rc, SIM_OK);
    if (rc.lin.verdict != LIN_VIOLATED) fail_msg("the broken store was judged %s", lin_verdict_names[rc.lin.verdict]);
    assert_true(rc.failed);
    done(s, &scn, &rc);
}

static void test_maelstrom_broadcast_reaches_everyone(void **state)
{
    (void)state;
    const char *json =
        "{'duration': '4s', 'nodes': 4,"
        " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'scenarios/nodes/broadcast.py', 'workload': 'broadcast', 'quiet': '5ms'}},"
        " 'network': {'latency': '5ms'},"
        " 'workload': {'clients': 2, 'ops': {'write': 0.6, 'read': 0.4}, 'rate': '20/s', 'stop': '3s', 'final_reads': '500ms'},"
        " 'check': {'set_full': true}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 5, &scn, &rc);
    assert_int_equal(rc.set_rc, SIM_OK);
    assert_true(rc.set.n_values > 10);
    assert_int_equal(rc.set.n_lost, 0);
    assert_false(rc.failed);
    done(s, &scn, &rc);
}

static void test_maelstrom_realtime_lets_a_program_keep_its_own_timers(void **state)
{
    (void)state;
    /* The program re-sends what it has seen every 100ms of its own time: values
     * written on one side of the partition reach the other side after it heals, which
     * needs simulated time to pass between messages. */
    const char *json =
        "{'duration': '3s', 'nodes': 3,"
        " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/broadcast_timer.py', 'workload': 'broadcast',"
        "              'mode': 'realtime'}},"
        " 'network': {'latency': '5ms'},"
        " 'workload': {'clients': 2, 'ops': {'write': 0.6, 'read': 0.4}, 'rate': '20/s', 'timeout': '500ms',"
        "              'stop': '2s', 'final_reads': '500ms'},"
        " 'faults': [{'at': '500ms', 'partition': [['n1'], ['n2', 'n3']]}, {'at': '1200ms', 'heal': true}],"
        " 'check': {'set_full': true}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 1, &scn, &rc);
    assert_null(sim_error(s));
    assert_int_equal(rc.set_rc, SIM_OK);
    assert_true(rc.set.n_values > 5);
    assert_int_equal(rc.set.n_lost, 0);
    cJSON *sum = ts_summary(s);
    assert_string_equal(ts_get(sum, "protocol_stats", "time_mode")->valuestring, "realtime");
    assert_true(cJSON_IsFalse(ts_get(sum, "protocol_stats", "deterministic")));
    cJSON_Delete(sum);
    done(s, &scn, &rc);
}

static void test_maelstrom_g_counter_counts(void **state)
{
    (void)state;
    const char *json =
        "{'duration': '4s', 'nodes': 3,"
        " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/g_counter.py', 'workload': 'g-counter', 'quiet': '5ms'}},"
        " 'network': {'latency': '5ms'},"
        " 'workload': {'clients': 2, 'ops': {'add': 0.5, 'read': 0.5}, 'rate': '20/s', 'stop': '3s', 'final_reads': '500ms'},"
        " 'check': {'counter': true}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 6, &scn, &rc);
    assert_true(rc.counter_asked);
    assert_int_equal(rc.counter_rc, SIM_OK);
    assert_false(rc.failed);
    assert_true(sim_stats(s)->ops_ok > 20);
    done(s, &scn, &rc);
}

static void test_maelstrom_unique_ids_duplicates_are_caught(void **state)
{
    (void)state;
    for (int broken = 0; broken < 2; broken++) {
        char json[2048];
        snprintf(json, sizeof json,
                 "{'duration': '3s', 'nodes': 3,"
                 " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/unique_ids.py', 'args': [%s],"
                 "              'workload': 'unique-ids', 'quiet': '5ms'}},"
                 " 'network': {'latency': '3ms'},"
                 " 'workload': {'clients': 3, 'ops': {'read': 1.0}, 'rate': '30/s', 'target': 'random', 'stop': '2s'}}",
                 broken ? "'--broken'" : "");
        scn_t scn;
        sim_t *s = run(json, 1, &scn, NULL);
        const sim_violation_t *v = sim_violation(s, NULL);
        if (broken) {
            if (!v) fail_msg("ids handed out twice were not caught");
            assert_string_equal(v->name, "unique-ids");
        } else {
            if (v) fail_msg("unique ids judged %s: %s", v->name, v->detail);
            assert_true(sim_stats(s)->ops_ok > 30);
        }
        done(s, &scn, NULL);
    }
}

/* A program that fails at start-up stops the run with a sentence naming the node. */
static void startup_fails(const char *bin, const char *args, const char *expect)
{
    char json[2048];
    snprintf(json, sizeof json,
             "{'duration': '1s', 'nodes': 2,"
             " 'protocol': {'name': 'maelstrom', 'params': {'bin': '%s', 'args': %s, 'init_timeout': '300ms', 'quiet': '5ms'}},"
             " 'workload': {'clients': 1, 'ops': {'write': 1.0}, 'rate': '10/s'}}", bin, args);
    for (char *p = json; *p; p++) if (*p == '\'') *p = '"';
    scn_t scn;
    char err[512];
    if (scn_load_string(json, "inline.json", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    sim_opts_t o = {0};
    sim_t *s = sim_create(&scn, &o, err, sizeof err);
    if (s) sim_run(s);
    const char *e = s ? sim_error(s) : err;
    if (!e) fail_msg("%s %s: the run went on", bin, args);
    if (!strstr(e, "n1") || !strstr(e, expect)) fail_msg("%s %s: \"%s\" does not say \"%s\" and name n1", bin, args, e, expect);
    sim_destroy(s);
    scn_free(&scn);
    assert_int_equal(children(), 0);
}

static void test_maelstrom_startup_problems_are_named(void **state)
{
    (void)state;
    startup_fails("tests/maelstrom/no-such-node.py", "[]", "cannot start");
    startup_fails("tests/maelstrom/bad.py", "['silent']", "never answered init");
    startup_fails("tests/maelstrom/bad.py", "['garbage']", "not a Maelstrom message");
}

static void test_maelstrom_runtime_problems_make_operations_info(void **state)
{
    (void)state;
    static const char *const hows[] = {"exit", "flood", "unknown", "long"};
    for (int i = 0; i < 4; i++) {
        char json[2048];
        snprintf(json, sizeof json,
                 "{'duration': '2s', 'nodes': 1,"
                 " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/bad.py', 'args': ['%s'], 'quiet': '5ms'}},"
                 " 'workload': {'clients': 1, 'ops': {'write': 1.0}, 'rate': '10/s', 'timeout': '200ms', 'stop': '1s'}}", hows[i]);
        scn_t scn;
        sim_t *s = run(json, 1, &scn, NULL);
        const sim_stats_t *st = sim_stats(s);
        if (sim_error(s)) fail_msg("%s: %s", hows[i], sim_error(s));
        assert_int_equal(st->ops_ok, 0);
        assert_true(st->ops_info + st->ops_fail > 0);
        done(s, &scn, NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maelstrom_echo_answers_every_request),
        cmocka_unit_test(test_maelstrom_lockstep_same_seed_same_trace),
        cmocka_unit_test(test_maelstrom_leader_kv_survives_kill_and_restart_under_partition),
        cmocka_unit_test(test_maelstrom_broken_kv_is_caught),
        cmocka_unit_test(test_maelstrom_broadcast_reaches_everyone),
        cmocka_unit_test(test_maelstrom_g_counter_counts),
        cmocka_unit_test(test_maelstrom_realtime_lets_a_program_keep_its_own_timers),
        cmocka_unit_test(test_maelstrom_unique_ids_duplicates_are_caught),
        cmocka_unit_test(test_maelstrom_startup_problems_are_named),
        cmocka_unit_test(test_maelstrom_runtime_problems_make_operations_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
