/* test_stream_oracle.c -- the oracle, the Jepsen-style log checks and the invariants.
 *
 * The oracle's arithmetic is checked on hand-made tables. The invariants are checked
 * by running a healthy pipeline (no violation), then breaking one thing in a node's
 * state or storage and calling the check directly: each must name what broke. The
 * log checks -- duplicated and out-of-order records -- are provoked the way Jepsen
 * provokes them, by retries that a non-idempotent producer cannot tell apart.
 */
#include "stream_fixture.h"

static void test_oracle_truth_counts_every_window_of_an_event(void **state)
{
    scn_t tum, sli;
    stf_load(&tum, 3, 2, 2, 1, ", \"keys\": 4, \"size\": \"1s\"", "");
    stf_load(&sli, 3, 2, 2, 1, ", \"keys\": 4, \"window\": \"sliding\", \"size\": \"2s\", \"slide\": \"1s\"", "");
    st_cell_t t[4 * 256];
    memset(t, 0, sizeof t);
    st_truth_add(stf_cfg(&tum), t, 3, 1500 * SIM_MS, 4);
    st_truth_add(stf_cfg(&tum), t, 3, 1900 * SIM_MS, 2);
    assert_int_equal(t[st_cell_of(stf_cfg(&tum), 3, 1)].count, 2);
    assert_int_equal(t[st_cell_of(stf_cfg(&tum), 3, 1)].sum, 6);
    memset(t, 0, sizeof t);
    st_truth_add(stf_cfg(&sli), t, 0, 1500 * SIM_MS, 4);          /* [0,2s) and [1s,3s) */
    assert_int_equal(t[st_cell_of(stf_cfg(&sli), 0, 0)].sum, 4);
    assert_int_equal(t[st_cell_of(stf_cfg(&sli), 0, 1)].sum, 4);
    assert_int_equal(t[st_cell_of(stf_cfg(&sli), 0, 2)].count, 0);
    scn_free(&tum);
    scn_free(&sli);
}

static void test_oracle_compare_scores_exact_wrong_and_missing(void **state)
{
    st_cell_t truth[5] = {{2, 5, 0}, {1, 1, 0}, {0, 0, 0}, {3, 9, 0}, {0, 0, 0}};
    st_cell_t got[5] = {{2, 5, 1}, {1, 2, 1}, {0, 0, 0}, {0, 0, 0}, {1, 1, 1}};
    st_score_t sc;
    st_compare(truth, got, 5, &sc);
    assert_int_equal(sc.total, 4);           /* cell 2 is empty on both sides */
    assert_int_equal(sc.exact, 1);
    assert_int_equal(sc.wrong, 3);           /* a wrong sum, a missing window, a window that never happened */
    assert_int_equal(sc.missing, 1);
}

static void test_quantile_interpolates_between_order_statistics(void **state)
{
    int64_t x[] = {10, 20, 30, 40, 50};
    assert_int_equal(st_quantile(x, 5, 0.0), 10);
    assert_int_equal(st_quantile(x, 5, 0.5), 30);
    assert_int_equal(st_quantile(x, 5, 0.9), 46);
    assert_int_equal(st_quantile(x, 5, 1.0), 50);
    assert_int_equal(st_quantile(x, 0, 0.5), 0);
    int64_t one[] = {7};
    assert_int_equal(st_quantile(one, 1, 0.99), 7);
}

/* ---- Invariants. -------------------------------------------------------------------- */

/* A healthy pipeline, 2 seconds in: no violation so far. */
static sim_t *healthy(scn_t *scn, const char *acks)
{
    char p[256];
    snprintf(p, sizeof p, ", \"partitions\": 2, \"replication\": 3, \"min_isr\": 2, \"acks\": \"%s\", \"rate\": 100", acks);
    stf_load(scn, 3, 1, 1, 1, p, "");
    sim_t *s = stf_create(scn);
    sim_run_until(s, 2 * SIM_SEC);
    assert_null(sim_violation(s, NULL));
    sim_violation_t v;
    memset(&v, 0, sizeof v);
    assert_false(st_check(s, &v));
    return s;
}

/* The leader of p0 and one follower, by node. */
static void p0_nodes(sim_t *s, const st_config_t *cfg, uint32_t *leader, uint32_t *follower)
{
    int32_t lb = stf_durable(s, 0)->u.ctl.part[0].leader;
    assert_true(lb >= 0);
    *leader = st_broker_node(cfg, (uint32_t)lb);
    *follower = st_broker_node(cfg, ((uint32_t)lb + 1) % (uint32_t)cfg->brokers);
}

static void expect_violation(sim_t *s, const char *name)
{
    sim_violation_t v;
    memset(&v, 0, sizeof v);
    assert_true(st_check(s, &v));
    assert_string_equal(v.name, name);
    assert_true(v.n_nodes >= 1);
    assert_true(strlen(v.detail) > 10);
}

static void test_check_catches_a_lost_acknowledged_record(void **state)
{
    scn_t scn;
    sim_t *s = healthy(&scn, "all");
    const st_config_t *cfg = stf_cfg(&scn);
    uint32_t leader, follower;
    p0_nodes(s, cfg, &leader, &follower);
    const st_last_ack_t *la = &stf_durable(s, cfg->first_producer)->u.pr.last_ack[0];
    assert_true(la->set);
    /* Another record sits at that offset, on every replica alike. */
    for (uint32_t b = 0; b < cfg->brokers; b++) {
        st_plog_t *l = st_plog(cfg, stf_durable(s, st_broker_node(cfg, b)), 0);
        if (la->offset < l->leo) st_recs(l)[la->offset].id ^= 1;
    }
    expect_violation(s, "acked-record-lost");
    sim_destroy(s);
    scn_free(&scn);
}

static void test_check_promises_nothing_about_acks1(void **state)
{
    scn_t scn;
    sim_t *s = healthy(&scn, "1");
    const st_config_t *cfg = stf_cfg(&scn);
    uint32_t leader, follower;
    p0_nodes(s, cfg, &leader, &follower);
    const st_last_ack_t *la = &stf_durable(s, cfg->first_producer)->u.pr.last_ack[0];
    assert_true(la->set);
    st_recs(st_plog(cfg, stf_durable(s, leader), 0))[la->offset].id ^= 1;   /* as after a failover */
    sim_violation_t v;
    memset(&v, 0, sizeof v);
    if (st_check(s, &v)) assert_string_not_equal(v.name, "acked-record-lost");
    sim_destroy(s);
    scn_free(&scn);
}

static void test_check_catches_a_follower_disagreeing_below_its_high_watermark(void **state)
{
    scn_t scn;
    sim_t *s = healthy(&scn, "all");
    const st_config_t *cfg = stf_cfg(&scn);
    uint32_t leader, follower;
    p0_nodes(s, cfg, &leader, &follower);
    st_plog_t *fl = st_plog(cfg, stf_durable(s, follower), 0);
    assert_true(fl->hw > 0);
    st_recs(fl)[fl->hw - 1].epoch += 5;
    expect_violation(s, "committed-prefix-agreement");
    sim_destroy(s);
    scn_free(&scn);
}

static void test_check_catches_a_high_watermark_beyond_the_log(void **state)
{
    scn_t scn;
    sim_t *s = healthy(&scn, "all");
    const st_config_t *cfg = stf_cfg(&scn);
    uint32_t leader, follower;
    p0_nodes(s, cfg, &leader, &follower);
    st_plog_t *fl = st_plog(cfg, stf_durable(s, follower), 0);
    fl->hw = fl->leo + 1;
    expect_violation(s, "high-watermark-within-log");
    sim_destroy(s);
    scn_free(&scn);
}

static void test_check_catches_two_leaders_in_one_epoch(void **state)
{
    scn_t scn;
    sim_t *s = healthy(&scn, "all");
    const st_config_t *cfg = stf_cfg(&scn);
    uint32_t leader, follower;
    p0_nodes(s, cfg, &leader, &follower);
    st_bpart_t *bp = &stf_state(s, follower)->u.bk.part[0];
    bp->role = BP_LEADER;
    bp->epoch = stf_state(s, leader)->u.bk.part[0].epoch;
    expect_violation(s, "one-leader-per-epoch");
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- The log checks, provoked. ------------------------------------------------------- */

static cJSON *retry_storm(bool idempotent)
{
    scn_t scn;
    char p[512];
    snprintf(p, sizeof p, ", \"acks\": \"all\", \"idempotent\": %s, \"rate\": 200, \"produce_for\": \"8s\", "
             "\"replica_fetch\": \"50ms\", \"request_timeout\": \"60ms\"", idempotent ? "true" : "false");
    stf_load(&scn, 3, 2, 1, 1, p, ", \"duration\": \"12s\", \"faults\": [{\"at\": \"3s\", \"crash\": \"n2\"}, {\"at\": \"6s\", \"restart\": \"n2\"}]");
    sim_t *s = stf_create(&scn);
    sim_run(s);
    assert_null(sim_error(s));
    assert_null(sim_violation(s, NULL));
    cJSON *o = stf_summary(s);
    sim_destroy(s);
    scn_free(&scn);
    return o;
}

static void test_oracle_finds_duplicates_and_reordering_without_idempotence(void **state)
{
    cJSON *plain = retry_storm(false), *idem = retry_storm(true);
    /* A request that timed out but had arrived is appended again: the same events at
     * two offsets, the second copy behind later sequence numbers. */
    assert_true(stf_num(plain, "log.duplicates") > 0);
    assert_true(stf_num(plain, "log.out_of_order") > 0);
    assert_true(stf_num(plain, "batch.windows.wrong") > 0);
    assert_int_equal((int)stf_num(idem, "log.duplicates"), 0);
    assert_int_equal((int)stf_num(idem, "log.out_of_order"), 0);
    assert_int_equal((int)stf_num(idem, "log.lost_acked"), 0);
    cJSON_Delete(plain);
    cJSON_Delete(idem);
}

static void test_summary_has_the_headline_keys(void **state)
{
    scn_t scn;
    stf_load(&scn, 3, 2, 2, 1, ", \"produce_for\": \"3s\", \"batch_every\": \"2s\"", ", \"duration\": \"6s\"");
    sim_t *s = stf_create(&scn);
    sim_run(s);
    cJSON *o = stf_summary(s);
    static const char *const keys[] = {
        "stream.latency_ns.p50", "stream.latency_ns.p99", "stream.latency_ns.max", "stream.windows.exact",
        "stream.windows.wrong", "stream.throughput_eps", "stream.messages_per_event",
        "batch.latency_ns.p50", "batch.latency_ns.p99", "batch.latency_ns.max", "batch.windows.exact",
        "batch.windows.wrong", "batch.throughput_eps", "batch.messages_per_event",
        "log.acked", "log.lost_acked", "log.duplicates", "log.out_of_order", NULL,
    };
    for (int i = 0; keys[i]; i++) (void)stf_num(o, keys[i]);
    const cJSON *lag = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "stream"), "lag");
    assert_true(cJSON_IsArray(lag));
    assert_int_equal(cJSON_GetArraySize(lag), 4);                   /* one entry per partition */
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(lag, 0), "series");
    assert_true(cJSON_GetArraySize(series) >= 10);                  /* a sample every 500ms for 6s */
    assert_true(stf_num(o, "stream.latency_ns.p50") > 0);
    assert_true(stf_num(o, "stream.latency_ns.p50") <= stf_num(o, "stream.latency_ns.p99"));
    assert_true(stf_num(o, "stream.latency_ns.p99") <= stf_num(o, "stream.latency_ns.max"));
    cJSON_Delete(o);
    sim_destroy(s);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oracle_truth_counts_every_window_of_an_event),
        cmocka_unit_test(test_oracle_compare_scores_exact_wrong_and_missing),
        cmocka_unit_test(test_quantile_interpolates_between_order_statistics),
        cmocka_unit_test(test_check_catches_a_lost_acknowledged_record),
        cmocka_unit_test(test_check_promises_nothing_about_acks1),
        cmocka_unit_test(test_check_catches_a_follower_disagreeing_below_its_high_watermark),
        cmocka_unit_test(test_check_catches_a_high_watermark_beyond_the_log),
        cmocka_unit_test(test_check_catches_two_leaders_in_one_epoch),
        cmocka_unit_test(test_oracle_finds_duplicates_and_reordering_without_idempotence),
        cmocka_unit_test(test_summary_has_the_headline_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
