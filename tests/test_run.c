/* test_run.c -- the run engine without a window: run until a condition holds, rewind,
 * act, branch, restore the branch; and that every line of a run equals a fresh run
 * given the same actions (runs are deterministic, so the engine must be too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include "run/pair.h"
#include "run/run.h"
#include "scenario/cond_load.h"
#include "support.h"

#define RAFT "scenarios/raft-leader-crash.json"

static run_t *open_run(const char *path)
{
    char err[512] = "";
    run_t *r = run_open(path, NULL, err, sizeof err);
    if (!r) fail_msg("run_open: %s", err);
    return r;
}

static void parse(const run_t *r, const char *json, cond_t *c)
{
    char err[512] = "";
    if (cond_parse(json, "(test)", run_scenario(r), c, err, sizeof err) != SIM_OK) fail_msg("%s", err);
}

static sim_action_t node_action(act_kind_t kind, uint32_t node)
{
    sim_action_t a = {0};
    a.kind = kind;
    a.node = node;
    return a;
}

/* The trace hash at the end of a fresh run of path with acts scheduled. */
static uint64_t fresh_hash(const char *path, const sim_action_t *acts, uint32_t n)
{
    scn_t scn;
    ts_load_file(path, &scn);
    sim_opts_t o = {0};
    o.extra_actions = acts;
    o.n_extra_actions = n;
    sim_t *s = ts_create(&scn, &o);
    sim_run(s);
    uint64_t h = sim_trace_hash(s);
    sim_destroy(s);
    scn_free(&scn);
    return h;
}

static uint64_t finish_hash(run_t *r)
{
    run_until(r, run_end(r));
    return sim_trace_hash(run_sim(r));
}

static void test_run_until_a_leader_exists(void **state)
{
    run_t *r = open_run(RAFT);
    cond_t c;
    parse(r, "{\"role\": \"leader\"}", &c);
    assert_int_equal(run_until_cond(r, &c, run_end(r)), RUN_MET);
    sim_time_t t = run_now(r);
    assert_true(t > 0 && t < SIM_SEC);
    uint32_t leaders = 0;
    for (uint32_t i = 0; i < sim_n_servers(run_sim(r)); i++) {
        sim_node_info_t ni;
        sim_node_info(run_sim(r), i, &ni);
        leaders += ni.role == SIM_ROLE_LEADER;
    }
    assert_int_equal(leaders, 1);
    /* It stopped at the first moment: one step back, no leader yet. */
    assert_int_equal(run_step_back(r), SIM_OK);
    assert_false(cond_holds(&c, run_sim_mut(r)));
    run_destroy(r);
}

static void test_run_impossible_condition_stops_at_the_limit(void **state)
{
    run_t *r = open_run(RAFT);
    cond_t c;
    parse(r, "{\"crashed\": \"n3\"}", &c);
    assert_int_equal(run_until_cond(r, &c, 2 * SIM_SEC), RUN_LIMIT);
    assert_int_equal(run_now(r), 2 * SIM_SEC);
    run_destroy(r);
}

static void test_run_happenings_latch_from_when_armed(void **state)
{
    run_t *r = open_run(RAFT);
    cond_t c;
    parse(r, "{\"all\": [{\"delivered\": \"vote-reply\"}, {\"op\": \"ok\", \"f\": \"write\"}]}", &c);
    assert_int_equal(run_until_cond(r, &c, run_end(r)), RUN_MET);
    sim_time_t first = run_now(r);
    /* Armed again after the election: the next vote-reply comes only with the next
     * election, after the leader crash at 5s. */
    assert_int_equal(run_until_cond(r, &c, run_end(r)), RUN_MET);
    assert_true(run_now(r) > 5 * SIM_SEC);
    assert_true(first < SIM_SEC);
    run_destroy(r);
}

static void test_run_metric_condition_reads_the_live_summary(void **state)
{
    run_t *r = open_run(RAFT);
    cond_t c;
    parse(r, "{\"metric\": \"ops.ok\", \">=\": 100}", &c);
    assert_int_equal(run_until_cond(r, &c, run_end(r)), RUN_MET);
    double ok;
    assert_int_equal(cond_metric(run_sim_mut(r), "ops.ok", &ok), SIM_OK);
    assert_true(ok >= 100 && ok < 140);          /* looked up every 10ms: at most ~a few ops late */
    assert_int_equal(cond_metric(run_sim_mut(r), "ops.nothing", &ok), SIM_ENOTFOUND);
    assert_int_equal(cond_metric(run_sim_mut(r), "messages.by_type.request.sent", &ok), SIM_OK);
    assert_true(ok > 0);
    run_destroy(r);
}

static void test_run_rewind_act_branch_restore_equals_fresh_runs(void **state)
{
    run_t *r = open_run(RAFT);
    /* The first line: crash n2 at 3s. */
    run_until(r, 3 * SIM_SEC);
    sim_action_t crash = node_action(ACT_CRASH, 1);
    assert_int_equal(run_act(r, &crash, NULL, NULL, 0), SIM_OK);
    run_until(r, 6 * SIM_SEC);
    /* Rewind to 1s and act differently: the crash becomes a branch. */
    assert_int_equal(run_seek(r, SIM_SEC), SIM_OK);
    assert_int_equal(run_now(r), SIM_SEC);
    sim_action_t pause = node_action(ACT_PAUSE, 2);
    uint32_t branched = 0;
    assert_int_equal(run_act(r, &pause, &branched, NULL, 0), SIM_OK);
    assert_int_equal(branched, 1);
    assert_int_equal(run_n_branches(r), 1);
    run_branch_t b;
    run_branch_info(r, 0, &b);
    assert_int_equal(b.fork_ns, SIM_SEC);
    assert_int_equal(b.n_actions, 1);
    uint32_t n;
    const sim_action_t *acts = run_actions(r, &n);
    assert_int_equal(n, 1);
    assert_int_equal(acts[0].kind, ACT_PAUSE);

    sim_action_t want_pause = pause;
    want_pause.at_ns = SIM_SEC;
    sim_action_t want_crash = crash;
    want_crash.at_ns = 3 * SIM_SEC;
    assert_int_equal(finish_hash(r), fresh_hash(RAFT, &want_pause, 1));

    /* Restore the branch: the crash line again, and the pause line kept as a branch. */
    assert_int_equal(run_seek(r, 2 * SIM_SEC), SIM_OK);
    assert_int_equal(run_branch_restore(r, 0), SIM_OK);
    assert_int_equal(run_now(r), 2 * SIM_SEC);
    acts = run_actions(r, &n);
    assert_int_equal(n, 1);
    assert_int_equal(acts[0].kind, ACT_CRASH);
    assert_int_equal(acts[0].at_ns, 3 * SIM_SEC);
    assert_int_equal(run_n_branches(r), 1);
    run_branch_info(r, 0, &b);
    assert_int_equal(b.n_actions, 1);
    assert_int_equal(finish_hash(r), fresh_hash(RAFT, &want_crash, 1));
    assert_int_not_equal(fresh_hash(RAFT, &want_crash, 1), fresh_hash(RAFT, &want_pause, 1));

    /* And back once more. */
    assert_int_equal(run_seek(r, 0), SIM_OK);
    assert_int_equal(run_branch_restore(r, 0), SIM_OK);
    assert_int_equal(finish_hash(r), fresh_hash(RAFT, &want_pause, 1));
    assert_int_equal(run_branch_restore(r, 5), SIM_EINPUT);
    run_destroy(r);
}

static void test_run_bad_action_is_refused_with_a_reason(void **state)
{
    run_t *r = open_run(RAFT);
    sim_action_t a = node_action(ACT_CRASH, 99);
    char err[160] = "";
    assert_int_equal(run_act(r, &a, NULL, err, sizeof err), SIM_EINPUT);
    assert_non_null(strstr(err, "node 99"));
    uint32_t n;
    run_actions(r, &n);
    assert_int_equal(n, 0);
    run_destroy(r);
}

static void test_run_roles_at_time_zero_are_heard(void **state)
{
    /* Raft's servers start as followers inside sim_create: the run hears that. */
    run_t *r = open_run(RAFT);
    assert_true(run_roles_seen(r) & (1u << SIM_ROLE_FOLLOWER));
    assert_true(run_mark_count(r) >= 5);
    assert_int_equal(run_mark(r, 0)->t, 0);
    run_destroy(r);
}

/* Two runs in two threads of one process: each gives what it gives alone. Built with
 * -fsanitize=thread (make tsan), this is also the race detector's test of the core. */
typedef struct job { const char *path; uint64_t seed; uint64_t hash; } job_t;

static void *run_job(void *ud)
{
    job_t *j = ud;
    run_opts_t o = {.seed_set = true, .seed = j->seed};
    char err[256];
    run_t *r = run_open(j->path, &o, err, sizeof err);
    if (!r) return NULL;
    cond_t c;
    if (cond_parse("{\"role\": \"leader\"}", "(test)", run_scenario(r), &c, err, sizeof err) == SIM_OK)
        run_until_cond(r, &c, run_end(r));
    run_seek(r, run_now(r) / 2);
    run_until(r, run_end(r));
    j->hash = sim_trace_hash(run_sim(r));
    run_destroy(r);
    return NULL;
}

static void test_run_two_runs_in_two_threads(void **state)
{
    job_t jobs[2] = {{RAFT, 7, 0}, {"scenarios/quorum-r1w1-tail.json", 3, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, run_job, &jobs[i]), 0);
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 2; i++) {
        job_t alone = {jobs[i].path, jobs[i].seed, 0};
        run_job(&alone);
        assert_int_not_equal(alone.hash, 0);
        assert_int_equal(jobs[i].hash, alone.hash);
    }
}

/* Side by side: actions taken on either side (and after a rewind) are recorded on both
 * runs at the same simulated time, and each side's line equals a fresh run of its own
 * scenario with those actions, translated by node name. */
#define CAP_RAFT "scenarios/cap-raft-partition.json"
#define CAP_QUORUM "scenarios/cap-quorum-partition.json"
static void test_run_pair_each_side_equals_a_fresh_run(void **state)
{
    run_t *r[2] = {open_run(CAP_RAFT), open_run(CAP_QUORUM)};
    bool applied[2];
    char err[256];
    uint32_t n2, n4;
    assert_int_equal(scn_node_id(run_scenario(r[1]), "n2", &n2), SIM_OK);
    assert_int_equal(scn_node_id(run_scenario(r[1]), "n4", &n4), SIM_OK);
    run_until(r[0], 3 * SIM_SEC);
    sim_action_t crash = node_action(ACT_CRASH, n2);
    assert_int_equal(run_pair_act(r, 0, &crash, applied, err, sizeof err), SIM_OK);
    assert_true(applied[0] && applied[1]);
    /* The right side is brought to the left's time before it acts, and the other way. */
    assert_int_equal(run_now(r[1]), 3 * SIM_SEC);
    run_until(r[1], 6 * SIM_SEC);
    sim_action_t iso = node_action(ACT_ISOLATE, n4);
    assert_int_equal(run_pair_act(r, 1, &iso, applied, err, sizeof err), SIM_OK);
    assert_int_equal(run_now(r[0]), 6 * SIM_SEC);
    /* Rewind both to 4s and act differently: both lines branch alike. */
    run_seek(r[0], 4 * SIM_SEC);
    run_pair_follow(r[0], r[1]);
    sim_action_t pause = node_action(ACT_PAUSE, n4);
    assert_int_equal(run_pair_act(r, 0, &pause, applied, err, sizeof err), SIM_OK);
    assert_int_equal(run_n_branches(r[0]), 1);
    assert_int_equal(run_n_branches(r[1]), 1);
    sim_action_t want[2] = {crash, pause};
    want[0].at_ns = 3 * SIM_SEC;
    want[1].at_ns = 4 * SIM_SEC;
    uint64_t h0 = finish_hash(r[0]), h1 = finish_hash(r[1]);
    assert_int_equal(h0, fresh_hash(CAP_RAFT, want, 2));
    assert_int_equal(h1, fresh_hash(CAP_QUORUM, want, 2));
    assert_int_not_equal(h0, fresh_hash(CAP_RAFT, want, 1));
    /* The tally a header shows: Raft refuses some writes during the partition, the
     * quorum store serves stale reads, Raft none. */
    run_tally_t t[2];
    for (int k = 0; k < 2; k++) run_tally(r[k], &t[k]);
    assert_true(t[0].has_stale && t[1].has_stale);
    assert_int_equal(t[0].stale, 0);
    assert_true(t[1].stale > 0);
    assert_true(t[0].writes_refused > t[1].writes_refused);
    for (int k = 0; k < 2; k++) run_destroy(r[k]);
}

/* A node one side lacks: the action happens on the side that has it, and the sentence
 * names the scenario and the node; a dropped message is never carried across. */
static void test_run_pair_missing_node_is_said(void **state)
{
    run_t *r[2] = {open_run(CAP_RAFT), open_run("scenarios/paxos-duelling.json")};
    bool applied[2];
    char err[256] = "";
    run_until(r[0], SIM_SEC);
    uint32_t n5;
    assert_int_equal(scn_node_id(run_scenario(r[0]), "n5", &n5), SIM_OK);
    sim_action_t crash = node_action(ACT_CRASH, n5);
    assert_int_equal(run_pair_act(r, 0, &crash, applied, err, sizeof err), SIM_ENOTFOUND);
    assert_true(applied[0]);
    assert_false(applied[1]);
    assert_non_null(strstr(err, "paxos-duelling has no node named n5"));
    uint32_t n;
    run_actions(r[0], &n);
    assert_int_equal(n, 1);
    run_actions(r[1], &n);
    assert_int_equal(n, 0);
    sim_action_t drop = {.kind = ACT_DROP, .msg_id = 1};
    sim_action_t out;
    assert_int_equal(run_pair_translate(r[0], r[1], &drop, &out, err, sizeof err), SIM_ENOTFOUND);
    for (int k = 0; k < 2; k++) run_destroy(r[k]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_until_a_leader_exists),
        cmocka_unit_test(test_run_impossible_condition_stops_at_the_limit),
        cmocka_unit_test(test_run_happenings_latch_from_when_armed),
        cmocka_unit_test(test_run_metric_condition_reads_the_live_summary),
        cmocka_unit_test(test_run_rewind_act_branch_restore_equals_fresh_runs),
        cmocka_unit_test(test_run_bad_action_is_refused_with_a_reason),
        cmocka_unit_test(test_run_roles_at_time_zero_are_heard),
        cmocka_unit_test(test_run_two_runs_in_two_threads),
        cmocka_unit_test(test_run_pair_each_side_equals_a_fresh_run),
        cmocka_unit_test(test_run_pair_missing_node_is_said),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
