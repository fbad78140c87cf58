/* test_runcheck.c -- the checks a scenario asks for, on histories real protocols make.
 *
 * The checkers are tested on hand-made histories in test_lincheck.c and test_checks.c;
 * here they judge what the simulator's own protocols produce under faults: a correct
 * Raft run under partitions must be linearizable, a last-writer-wins quorum with R = W
 * = 1 under a partition must be caught, asynchronous primary-backup that loses a write
 * must be caught, and gossip's broadcast must reach everyone after a partition heals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "check/runcheck.h"
#include "scenario/scenario.h"
#include "core/sim.h"

/* Loads inline JSON (single quotes stand for double quotes), runs it to the end and
 * runs its checks. */
static sim_t *run(const char *json_sq, uint64_t seed, scn_t *scn, runcheck_t *rc)
{
    char json[8192], err[1024];
    size_t n = strlen(json_sq);
    assert_true(n < sizeof json);
    for (size_t i = 0; i <= n; i++) json[i] = json_sq[i] == '\'' ? '"' : json_sq[i];
    if (scn_load_string(json, "inline.json", scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    sim_opts_t o = {.seed_set = true, .seed = seed};
    sim_t *s = sim_create(scn, &o, err, sizeof err);
    if (!s) fail_msg("%s", err);
    sim_run(s);
    runcheck_run(s, rc);
    return s;
}

static void done(sim_t *s, scn_t *scn, runcheck_t *rc)
{
    runcheck_free(rc);
    sim_destroy(s);
    scn_free(scn);
}

static void test_runcheck_raft_under_partitions_is_linearizable(void **state)
{
    (void)state;
    const char *json =
        "{'duration': '12s', 'nodes': 5, 'protocol': 'raft',"
        " 'network': {'latency': {'dist': 'uniform', 'min': '2ms', 'max': '8ms'}, 'loss': 0.02},"
        " 'workload': {'clients': 3, 'ops': {'read': 0.5, 'write': 0.3, 'cas': 0.2}, 'keys': 3,"
        "              'rate': '60/s', 'timeout': '400ms', 'stop': '11s'},"
        " 'faults': [{'nemesis': 'random-partitions', 'every': '2s', 'duration': '800ms'},"
        "            {'at': '4s', 'nemesis': 'crash-leader', 'restart_after': '1s'}],"
        " 'check': {'linearizable': 'cas-register'}}";
    for (uint64_t seed = 1; seed <= 5; seed++) {
        scn_t scn;
        runcheck_t rc;
        sim_t *s = run(json, seed, &scn, &rc);
        assert_null(sim_violation(s, NULL));
        assert_true(rc.lin_asked);
        assert_int_equal(rc.lin_rc, SIM_OK);
        if (rc.lin.verdict != LIN_OK)
            fail_msg("seed %llu: a correct Raft run was judged %s", (unsigned long long)seed, lin_verdict_names[rc.lin.verdict]);
        /* The partitions really cost something: the check judged a real history. */
        assert_true(sim_stats(s)->partitions > 0);
        assert_true(rc.lin.n_ops > 200);
        assert_false(rc.failed);
        done(s, &scn, &rc);
    }
}

static void test_runcheck_quorum_r1w1_under_partition_is_caught(void **state)
{
    (void)state;
    /* Last-writer-wins quorums with R = W = 1: both sides of a partition accept
     * writes to the same keys, and reads on each side see their own side's values. */
    const char *json =
        "{'duration': '10s', 'nodes': 5,"
        " 'protocol': {'name': 'quorum', 'params': {'n': 3, 'r': 1, 'w': 1, 'versions': 'lww'}},"
        " 'network': {'latency': {'dist': 'uniform', 'min': '1ms', 'max': '5ms'}},"
        " 'workload': {'clients': 4, 'ops': {'read': 0.5, 'write': 0.5}, 'keys': 2,"
        "              'rate': '80/s', 'timeout': '300ms', 'target': 'random'},"
        " 'faults': [{'at': '2s', 'partition': [['n1', 'n2'], ['n3', 'n4', 'n5']]}, {'at': '7s', 'heal': true}],"
        " 'check': {'linearizable': 'register'}}";
    int caught = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        scn_t scn;
        runcheck_t rc;
        sim_t *s = run(json, seed, &scn, &rc);
        assert_int_equal(rc.lin_rc, SIM_OK);
        if (rc.lin.verdict == LIN_VIOLATED) {
            caught++;
            assert_true(rc.failed);
            assert_true(rc.lin.n_prefix > 0 || rc.lin.culprit.inv != 0);   /* an explanation exists */
        }
        done(s, &scn, &rc);
    }
    if (caught < 4) fail_msg("R=W=1 under a partition was caught in only %d of 5 seeds", caught);
}

static void test_runcheck_async_primary_backup_losing_a_write_is_caught(void **state)
{
    (void)state;
    /* The invariant checker would stop the run at the lost write; with invariants off
     * the run goes on, and the clients' history alone must show it. */
    const char *json =
        "{'duration': '12s', 'nodes': 4, 'invariants': false,"
        " 'protocol': {'name': 'pb', 'params': {'mode': 'async'}},"
        " 'network': {'latency': {'dist': 'uniform', 'min': '1ms', 'max': '4ms'}},"
        " 'workload': {'clients': 3, 'ops': {'read': 0.5, 'write': 0.5}, 'keys': 2,"
        "              'rate': '60/s', 'timeout': '300ms'},"
        " 'faults': [{'nemesis': 'isolate-leader', 'every': '3s', 'duration': '1500ms'}],"
        " 'check': {'linearizable': 'register'}}";
    int caught = 0;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        scn_t scn;
        runcheck_t rc;
        sim_t *s = run(json, seed, &scn, &rc);
        assert_int_equal(rc.lin_rc, SIM_OK);
        caught += rc.lin.verdict == LIN_VIOLATED;
        done(s, &scn, &rc);
    }
    if (caught == 0) fail_msg("async primary-backup under isolations was never caught in 6 seeds");
}

static void test_runcheck_gossip_reaches_everyone_after_a_partition(void **state)
{
    (void)state;
    const char *json =
        "{'duration': '20s', 'nodes': 5, 'protocol': {'name': 'gossip', 'params': {'anti_entropy': '500ms'}},"
        " 'network': {'latency': '10ms', 'loss': 0.02},"
        " 'workload': {'clients': 2, 'ops': {'write': 0.6, 'read': 0.4}, 'rate': '30/s',"
        "              'stop': '14s', 'final_reads': '3s'},"
        " 'faults': [{'at': '3s', 'partition': [['n1', 'n2'], ['n3', 'n4', 'n5']]}, {'at': '9s', 'heal': true}],"
        " 'check': {'set_full': true, 'convergence': true}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 4, &scn, &rc);
    assert_int_equal(rc.set_rc, SIM_OK);
    assert_true(rc.set.n_values > 100);
    assert_int_equal(rc.set.n_lost, 0);
    assert_int_equal(rc.set.n_never_read, 0);
    assert_true(rc.set.n_final_reads >= 5);              /* one per server at least */
    assert_true(rc.set.delay_ns_max > 0);                /* the partition delayed some */
    assert_int_equal(rc.convergence, 1);
    assert_false(rc.failed);
    done(s, &scn, &rc);
}

static void test_runcheck_gossip_without_anti_entropy_loses_values_across_a_partition(void **state)
{
    (void)state;
    /* Flooding alone never repairs what a partition cut off: the final reads show it,
     * and the replicas do not converge. */
    const char *json =
        "{'duration': '20s', 'nodes': 5, 'protocol': {'name': 'gossip', 'params': {'anti_entropy': '0s'}},"
        " 'network': {'latency': '10ms'},"
        " 'workload': {'clients': 2, 'ops': {'write': 0.6, 'read': 0.4}, 'rate': '30/s',"
        "              'stop': '14s', 'final_reads': '3s'},"
        " 'faults': [{'at': '3s', 'partition': [['n1', 'n2'], ['n3', 'n4', 'n5']]}, {'at': '9s', 'heal': true}],"
        " 'check': {'set_full': true, 'convergence': true}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 4, &scn, &rc);
    assert_int_equal(rc.set_rc, SIM_OK);
    assert_true(rc.set.n_lost > 0);
    assert_int_equal(rc.convergence, 0);
    assert_true(rc.failed);
    done(s, &scn, &rc);
}

static void test_runcheck_nothing_asked_nothing_run(void **state)
{
    (void)state;
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run("{'duration': '1s', 'nodes': 2, 'protocol': 'echo'}", 1, &scn, &rc);
    assert_false(rc.any);
    assert_false(rc.failed);
    jw_t w;
    jw_init(&w, false);
    jw_obj_begin(&w);
    runcheck_write(&rc, &w);
    jw_obj_end(&w);
    assert_string_equal(w.buf, "{}");
    jw_free(&w);
    done(s, &scn, &rc);
}

/* The same scenario and seed give the same verdict whatever the machine's load: the
 * search is bounded by counted steps, so a bound too small for the history gives
 * "unknown" at exactly that many steps every time, and a generous one gives "ok". */
static void test_runcheck_linearizability_bound_is_steps_not_time(void **state)
{
    (void)state;
    const char *tight =
        "{'duration': '6s', 'nodes': 3, 'protocol': 'raft',"
        " 'workload': {'clients': 3, 'ops': {'read': 0.5, 'write': 0.3, 'cas': 0.2}, 'keys': 1, 'rate': '100/s'},"
        " 'faults': [{'nemesis': 'random-partitions', 'every': '2s', 'duration': '800ms'}],"
        " 'check': {'linearizable': 'cas-register', 'steps': 300}}";
    uint64_t states = 0;
    for (int i = 0; i < 2; i++) {
        scn_t scn;
        runcheck_t rc;
        sim_t *s = run(tight, 1, &scn, &rc);
        assert_int_equal(rc.lin_rc, SIM_OK);
        assert_int_equal(rc.lin.verdict, LIN_UNKNOWN);
        assert_string_equal(rc.lin.unknown_reason, "step limit");
        assert_int_equal(rc.lin.steps, 300);
        if (i == 1) assert_int_equal(rc.lin.states, states);
        states = rc.lin.states;
        assert_true(rc.failed);
        done(s, &scn, &rc);
    }
    char roomy[1024];
    snprintf(roomy, sizeof roomy, "%.*s}}", (int)(strstr(tight, ", 'steps'") - tight), tight);
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(roomy, 1, &scn, &rc);
    assert_int_equal(rc.lin.verdict, LIN_OK);
    assert_true(rc.lin.steps > 300);
    assert_false(rc.failed);
    done(s, &scn, &rc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runcheck_raft_under_partitions_is_linearizable),
        cmocka_unit_test(test_runcheck_quorum_r1w1_under_partition_is_caught),
        cmocka_unit_test(test_runcheck_async_primary_backup_losing_a_write_is_caught),
        cmocka_unit_test(test_runcheck_gossip_reaches_everyone_after_a_partition),
        cmocka_unit_test(test_runcheck_gossip_without_anti_entropy_loses_values_across_a_partition),
        cmocka_unit_test(test_runcheck_nothing_asked_nothing_run),
        cmocka_unit_test(test_runcheck_linearizability_bound_is_steps_not_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
