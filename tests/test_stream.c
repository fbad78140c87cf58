/* test_stream.c -- the stream protocol as a whole: its pure parts (stream.c) and its
 * scenarios end to end.
 *
 * The pure parts are the decisions a student can check by hand: which partition a key
 * goes to, which member gets which partition, which windows an event time falls in,
 * where the watermark stands and whether a window is still open. The end-to-end tests
 * run each scenario under scenarios/stream-*.json and check the numbers its
 * description promises, and that a run is a function of its seed. The roles' own
 * files have their own tests: test_stream_log.c, test_stream_proc.c,
 * test_stream_batch.c and test_stream_oracle.c.
 */
#include "stream_fixture.h"

/* ---- Partitions. ----------------------------------------------------------------- */

static void test_partition_keyhash_is_stable_and_even(void **state)
{
    scn_t scn;
    stf_load(&scn, 3, 2, 2, 1, ", \"partitions\": 4, \"keys\": 8", "");
    const st_config_t *cfg = stf_cfg(&scn);
    uint32_t rr = 0, per[4] = {0};
    for (uint32_t k = 0; k < 8; k++) {
        uint32_t p = st_partition_for(cfg, k, &rr);
        assert_true(p < 4);
        assert_int_equal(st_partition_for(cfg, k, &rr), p);     /* the same key, the same partition */
        per[p]++;
    }
    for (uint32_t p = 0; p < 4; p++) assert_int_equal(per[p], 2);
    assert_int_equal(rr, 0);                                     /* key hashing leaves the counter alone */
    scn_free(&scn);
}

static void test_partition_roundrobin_cycles(void **state)
{
    scn_t scn;
    stf_load(&scn, 3, 2, 2, 1, ", \"partitions\": 3, \"partitioner\": \"roundrobin\"", "");
    const st_config_t *cfg = stf_cfg(&scn);
    uint32_t rr = 0;
    for (uint32_t i = 0; i < 9; i++) assert_int_equal(st_partition_for(cfg, 5, &rr), i % 3);
    scn_free(&scn);
}

/* ---- Consumer-group assignment. ---------------------------------------------------- */

static void test_assign_range_gives_contiguous_blocks(void **state)
{
    int8_t owner[ST_PARTITIONS_MAX];
    st_assign(ST_ASSIGN_RANGE, 0x3, 4, owner);                   /* members 0 and 1 */
    int8_t two[] = {0, 0, 1, 1};
    assert_memory_equal(owner, two, 4);
    st_assign(ST_ASSIGN_RANGE, 0x7, 4, owner);                   /* member 2 joins */
    int8_t three[] = {0, 0, 1, 2};
    assert_memory_equal(owner, three, 4);
    st_assign(ST_ASSIGN_RANGE, 0x5, 4, owner);                   /* member 1 leaves */
    int8_t gone[] = {0, 0, 2, 2};
    assert_memory_equal(owner, gone, 4);
}

static void test_assign_roundrobin_deals_partitions(void **state)
{
    int8_t owner[ST_PARTITIONS_MAX];
    st_assign(ST_ASSIGN_ROUNDROBIN, 0x7, 5, owner);
    int8_t want[] = {0, 1, 2, 0, 1};
    assert_memory_equal(owner, want, 5);
}

static void test_assign_without_members_leaves_partitions_unowned(void **state)
{
    int8_t owner[ST_PARTITIONS_MAX];
    st_assign(ST_ASSIGN_RANGE, 0, 4, owner);
    for (int p = 0; p < 4; p++) assert_int_equal(owner[p], -1);
}

/* ---- Windows, watermarks, lateness. ------------------------------------------------ */

static void test_windows_tumbling_one_window_per_event(void **state)
{
    scn_t scn;
    stf_load(&scn, 3, 2, 2, 1, ", \"window\": \"tumbling\", \"size\": \"1s\", \"slide\": \"250ms\"", "");
    const st_config_t *cfg = stf_cfg(&scn);
    int64_t lo, hi;
    assert_int_equal(cfg->slide_ns, SIM_SEC);                    /* tumbling ignores slide */
    st_windows_of(cfg, 2500 * SIM_MS, &lo, &hi);
    assert_int_equal(lo, 2);
    assert_int_equal(hi, 2);
    st_windows_of(cfg, 2 * SIM_SEC, &lo, &hi);                   /* a window includes its start */
    assert_int_equal(lo, 2);
    st_windows_of(cfg, 2 * SIM_SEC - 1, &lo, &hi);               /* and excludes its end */
    assert_int_equal(hi, 1);
    st_windows_of(cfg, 0, &lo, &hi);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 0);
    assert_int_equal(st_window_end(cfg, 2), 3 * SIM_SEC);
    scn_free(&scn);
}

static void test_windows_sliding_overlap(void **state)
{
    scn_t scn;
    stf_load(&scn, 3, 2, 2, 1, ", \"window\": \"sliding\", \"size\": \"3s\", \"slide\": \"1s\"", "");
    const st_config_t *cfg = stf_cfg(&scn);
    int64_t lo, hi;
    assert_int_equal(cfg->span, 3);
    st_windows_of(cfg, 5 * SIM_SEC, &lo, &hi);                   /* [3,6) [4,7) [5,8) */
    assert_int_equal(lo, 3);
    assert_int_equal(hi, 5);
    assert_int_equal(st_window_end(cfg, lo), 6 * SIM_SEC);      /* the first window ends first */
    st_windows_of(cfg, 1500 * SIM_MS, &lo, &hi);                 /* near the start: [0,3) [1,4) */
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 1);
    scn_free(&scn);
}

static void test_watermark_trails_and_never_goes_back(void **state)
{
    sim_time_t wm = INT64_MIN;
    wm = st_watermark(wm, INT64_MIN, 200 * SIM_MS, false);       /* nothing read yet */
    assert_true(wm == INT64_MIN);
    wm = st_watermark(wm, 5 * SIM_SEC, 200 * SIM_MS, false);
    assert_int_equal(wm, 4800 * SIM_MS);
    wm = st_watermark(wm, 3 * SIM_SEC, 200 * SIM_MS, false);     /* an older event does not move it back */
    assert_int_equal(wm, 4800 * SIM_MS);
    wm = st_watermark(wm, 6 * SIM_SEC, 200 * SIM_MS, false);
    assert_int_equal(wm, 5800 * SIM_MS);
    assert_true(st_watermark(wm, 6 * SIM_SEC, 200 * SIM_MS, true) == SIM_TIME_MAX);  /* every stream ended */
}

static void test_lateness_drop_versus_update(void **state)
{
    scn_t drop, upd;
    stf_load(&drop, 3, 2, 2, 1, ", \"late\": \"drop\", \"size\": \"1s\"", "");
    stf_load(&upd, 3, 2, 2, 1, ", \"late\": \"update\", \"allowed_lateness\": \"2s\", \"size\": \"1s\"", "");
    /* Window 0 is [0s, 1s). */
    assert_int_equal(st_lateness_of(stf_cfg(&drop), 900 * SIM_MS, 0), ST_ON_TIME);
    assert_int_equal(st_lateness_of(stf_cfg(&drop), 1 * SIM_SEC, 0), ST_EXPIRED);
    assert_int_equal(st_lateness_of(stf_cfg(&upd), 1 * SIM_SEC, 0), ST_LATE_FIRED);
    assert_int_equal(st_lateness_of(stf_cfg(&upd), 2999 * SIM_MS, 0), ST_LATE_FIRED);
    assert_int_equal(st_lateness_of(stf_cfg(&upd), 3 * SIM_SEC, 0), ST_EXPIRED);
    assert_int_equal(st_lateness_of(stf_cfg(&upd), SIM_TIME_MAX, 0), ST_EXPIRED);
    scn_free(&drop);
    scn_free(&upd);
}

/* ---- Roles and configuration. -------------------------------------------------------- */

static void test_roles_follow_node_ids(void **state)
{
    scn_t scn;
    stf_load(&scn, 3, 2, 2, 1, "", "");
    const st_config_t *cfg = stf_cfg(&scn);
    static const st_kind_t want[] = {ST_CONTROLLER, ST_BROKER, ST_BROKER, ST_BROKER, ST_PRODUCER, ST_PRODUCER,
                                     ST_PROCESSOR, ST_PROCESSOR, ST_BATCH};
    static const uint32_t index[] = {0, 0, 1, 2, 0, 1, 0, 1, 0};
    for (uint32_t n = 0; n < 9; n++) {
        uint32_t i;
        assert_int_equal(st_kind_of(cfg, n, &i), want[n]);
        assert_int_equal(i, index[n]);
    }
    scn_free(&scn);
}

/* Processors and reducers have roles of their own (not 2PC's "participant"), and
 * the window reads the late events and watermarks through stream_view. */
static void test_roles_are_named_for_what_nodes_do(void **state)
{
    scn_t scn;
    stf_load(&scn, 3, 2, 2, 2, "", "");
    sim_t *s = stf_create(&scn);
    sim_run_until(s, 3 * SIM_SEC);
    const st_config_t *cfg = stf_cfg(&scn);
    int64_t term;
    assert_string_equal(sim_role_name(s, sim_node_role(s, cfg->first_processor, &term)), "processor");
    assert_string_equal(sim_role_name(s, sim_node_role(s, cfg->first_batch + 1, &term)), "reducer");
    assert_string_equal(sim_role_name(s, sim_node_role(s, cfg->first_batch, &term)), "master");
    stream_view_t *v = calloc(1, sizeof *v);
    assert_non_null(v);
    assert_true(stream_view(s, v));
    assert_int_equal(v->n_partitions, cfg->partitions);
    for (uint32_t p = 0; p < v->n_partitions; p++) {
        assert_true(v->part[p].processor >= cfg->first_processor && v->part[p].processor < cfg->first_processor + cfg->processors);
        assert_true(v->part[p].wm_ns <= v->part[p].max_event_ns);
    }
    free(v);
    sim_destroy(s);
    scn_free(&scn);
}

static void expect_load_error(const char *json, const char *needle)
{
    scn_t scn;
    char err[1024] = "";
    assert_int_not_equal(scn_load_string(json, "(test)", &scn, err, sizeof err), SIM_OK);
    if (!strstr(err, needle)) fail_msg("expected \"%s\" in: %s", needle, err);
}

static void expect_layout(int nodes, const char *params, int64_t brokers, int64_t producers, int64_t processors,
                          int64_t batch, int64_t replication, int64_t min_isr)
{
    char json[512], err[512] = "";
    scn_t scn;
    snprintf(json, sizeof json, "{\"duration\": \"1s\", \"nodes\": %d, \"protocol\": {\"name\": \"stream\", \"params\": {%s}}}",
             nodes, params);
    if (scn_load_string(json, "(test)", &scn, err, sizeof err) != SIM_OK) fail_msg("%d nodes, {%s}: %s", nodes, params, err);
    const st_config_t *cfg = stf_cfg(&scn);
    assert_int_equal(cfg->brokers, brokers);
    assert_int_equal(cfg->producers, producers);
    assert_int_equal(cfg->processors, processors);
    assert_int_equal(cfg->batch, batch);
    assert_int_equal(cfg->replication, replication);
    assert_int_equal(cfg->min_isr, min_isr);
    assert_int_equal(cfg->n_nodes, nodes);
    scn_free(&scn);
}

static void test_configure_shares_the_nodes_out_among_roles_left_at_zero(void **state)
{
    expect_layout(5, "", 1, 1, 1, 1, 1, 1);                         /* one of each */
    expect_layout(6, "", 2, 1, 1, 1, 2, 2);
    expect_layout(9, "", 3, 2, 2, 1, 3, 2);                         /* the scenarios' layout */
    expect_layout(12, "", 3, 2, 5, 1, 3, 2);                        /* the rest become processors */
    expect_layout(12, "\"processors\": 4", 3, 3, 4, 1, 3, 2);        /* or producers, when processors are given */
    expect_layout(9, "\"brokers\": 5, \"replication\": 5", 5, 1, 1, 1, 5, 2);
}

static void test_configure_rejects_bad_combinations(void **state)
{
    expect_load_error("{\"duration\": \"1s\", \"nodes\": 8, \"protocol\": {\"name\": \"stream\", \"params\": "
                      "{\"brokers\": 3, \"producers\": 2, \"processors\": 2, \"batch\": 1}}}",
                      "1 + brokers + producers + processors + batch = 1 + 3 + 2 + 2 + 1 = 9 nodes");
    expect_load_error("{\"duration\": \"1s\", \"nodes\": 4, \"protocol\": {\"name\": \"stream\"}}",
                      "needs at least 5 nodes");
    expect_load_error("{\"duration\": \"1s\", \"nodes\": 9, \"protocol\": {\"name\": \"stream\", \"params\": {\"replication\": 4}}}",
                      "replication must be at most brokers");
    expect_load_error("{\"duration\": \"1s\", \"nodes\": 9, \"protocol\": {\"name\": \"stream\", \"params\": {\"min_isr\": 3, \"replication\": 2}}}",
                      "min_isr must be at most replication");
    expect_load_error("{\"duration\": \"1s\", \"nodes\": 9, \"protocol\": {\"name\": \"stream\", \"params\": {\"keys\": 1024, \"max_windows\": 1024}}}",
                      "ST_CELLS_MAX");
    expect_load_error("{\"duration\": \"1s\", \"nodes\": 9, \"protocol\": {\"name\": \"stream\", \"params\": {\"acks\": \"2\"}}}",
                      "unknown value \"2\"");
    expect_load_error("{\"duration\": \"1s\", \"nodes\": 9, \"protocol\": {\"name\": \"stream\", \"params\": {\"acks\": 1}}}",
                      "one of 0|1|all");
}

/* A bound that is outgrown stops the run with a sentence naming the parameter. */
static void test_bound_exceeded_halts_with_its_name(void **state)
{
    scn_t scn;
    stf_load(&scn, 1, 1, 1, 1, ", \"partitions\": 1, \"replication\": 1, \"min_isr\": 1, \"max_events\": 50, \"rate\": 100", "");
    sim_t *s = stf_create(&scn);
    sim_run(s);
    assert_non_null(sim_error(s));
    assert_non_null(strstr(sim_error(s), "max_events"));
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- The scenarios, end to end. ---------------------------------------------------- */

static void test_scenario_stream_vs_batch_headline(void **state)
{
    cJSON *o = stf_run_file("scenarios/stream-vs-batch.json", NULL, NULL);
    double batch_every = 10e9;
    /* Streaming answers within about a window plus the watermark; batch within its interval. */
    assert_true(stf_num(o, "stream.latency_ns.p99") < batch_every / 4);
    assert_true(stf_num(o, "batch.latency_ns.p50") > stf_num(o, "stream.latency_ns.p99"));
    assert_true(stf_num(o, "batch.latency_ns.max") < batch_every + 1e9);
    /* Batch sees every record; the stream drops stragglers behind its watermark. */
    assert_true(stf_num(o, "batch.windows.exact") > 0);
    assert_int_equal((int)stf_num(o, "batch.windows.wrong"), 0);
    assert_true(stf_num(o, "stream.late_dropped") > 0);
    assert_true(stf_num(o, "stream.windows.wrong") > 0);
    assert_true(stf_num(o, "stream.messages_per_event") > 10 * stf_num(o, "batch.messages_per_event"));
    assert_int_equal((int)stf_num(o, "batch.totals.keys_wrong"), 0);
    assert_int_equal((int)stf_num(o, "log.lost_acked"), 0);
    assert_int_equal((int)stf_num(o, "log.acked"), (int)stf_num(o, "log.produced"));
    cJSON_Delete(o);
}

static void test_scenario_acks_all_crash_loses_nothing(void **state)
{
    cJSON *o = stf_run_file("scenarios/stream-acksall-crash.json", NULL, NULL);
    assert_true(stf_num(o, "log.elections") >= 1);
    assert_true(stf_num(o, "log.acked") > 0);
    assert_int_equal((int)stf_num(o, "log.lost_acked"), 0);
    assert_int_equal((int)stf_num(o, "log.duplicates"), 0);
    assert_int_equal((int)stf_num(o, "log.out_of_order"), 0);
    assert_int_equal((int)stf_num(o, "batch.windows.wrong"), 0);
    assert_int_equal((int)stf_num(o, "stream.windows.wrong"), 0);
    cJSON_Delete(o);
}

static void test_scenario_acks1_crash_loses_acked_records(void **state)
{
    cJSON *o = stf_run_file("scenarios/stream-acks1-crash.json", NULL, NULL);
    assert_true(stf_num(o, "log.elections") >= 1);
    assert_true(stf_num(o, "log.lost_acked") > 0);
    /* Lost from the log, lost to both sides: the same windows come out short. */
    assert_true(stf_num(o, "batch.windows.wrong") > 0);
    assert_true(stf_num(o, "stream.windows.wrong") > 0);
    cJSON_Delete(o);
}

static void test_scenario_consumer_crash_at_least_once_duplicates(void **state)
{
    cJSON *o = stf_run_file("scenarios/stream-consumer-crash.json", NULL, NULL);
    assert_true(stf_num(o, "stream.duplicates") > 0);
    assert_int_equal((int)stf_num(o, "stream.missed"), 0);
    assert_true(stf_num(o, "stream.windows.wrong") > 0);
    assert_int_equal((int)stf_num(o, "batch.windows.wrong"), 0);
    cJSON_Delete(o);
}

static void test_scenario_tight_watermark_drops_more_than_loose(void **state)
{
    cJSON *tight = stf_run_file("scenarios/stream-late-tight.json", NULL, NULL);
    cJSON *loose = stf_run_file("scenarios/stream-late-loose.json", NULL, NULL);
    assert_true(stf_num(tight, "stream.late_dropped") > stf_num(loose, "stream.late_dropped"));
    assert_true(stf_num(tight, "stream.windows.wrong") > stf_num(loose, "stream.windows.wrong"));
    /* The loose watermark waits: its answers come later. */
    assert_true(stf_num(loose, "stream.latency_ns.p50") > stf_num(tight, "stream.latency_ns.p50") + 1e9);
    cJSON_Delete(tight);
    cJSON_Delete(loose);
}

/* ---- Determinism. ------------------------------------------------------------------ */

static void test_same_seed_same_trace_and_summary(void **state)
{
    uint64_t h1, h2;
    char *t1, *t2;
    cJSON *a = stf_run_file("scenarios/stream-acks1-crash.json", &h1, &t1);
    cJSON *b = stf_run_file("scenarios/stream-acks1-crash.json", &h2, &t2);
    assert_true(h1 == h2);
    /* Everything but the wall time is the same. */
    cJSON_DeleteItemFromObject(a, "wall_seconds");
    cJSON_DeleteItemFromObject(b, "wall_seconds");
    char *p1 = cJSON_PrintUnformatted(a), *p2 = cJSON_PrintUnformatted(b);
    assert_string_equal(p1, p2);
    free(p1);
    free(p2);
    free(t1);
    free(t2);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_other_seed_other_trace(void **state)
{
    scn_t scn;
    char err[1024] = "";
    if (scn_load_file("scenarios/stream-vs-batch.json", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    sim_opts_t o = {0};
    o.seed_set = true;
    o.seed = 99;
    sim_t *s1 = stf_create(&scn), *s2 = sim_create(&scn, &o, err, sizeof err);
    assert_non_null(s2);
    sim_run_until(s1, 3 * SIM_SEC);
    sim_run_until(s2, 3 * SIM_SEC);
    assert_true(sim_trace_hash(s1) != sim_trace_hash(s2));
    sim_destroy(s1);
    sim_destroy(s2);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partition_keyhash_is_stable_and_even),
        cmocka_unit_test(test_partition_roundrobin_cycles),
        cmocka_unit_test(test_assign_range_gives_contiguous_blocks),
        cmocka_unit_test(test_assign_roundrobin_deals_partitions),
        cmocka_unit_test(test_assign_without_members_leaves_partitions_unowned),
        cmocka_unit_test(test_windows_tumbling_one_window_per_event),
        cmocka_unit_test(test_windows_sliding_overlap),
        cmocka_unit_test(test_watermark_trails_and_never_goes_back),
        cmocka_unit_test(test_lateness_drop_versus_update),
        cmocka_unit_test(test_roles_follow_node_ids),
        cmocka_unit_test(test_roles_are_named_for_what_nodes_do),
        cmocka_unit_test(test_configure_shares_the_nodes_out_among_roles_left_at_zero),
        cmocka_unit_test(test_configure_rejects_bad_combinations),
        cmocka_unit_test(test_bound_exceeded_halts_with_its_name),
        cmocka_unit_test(test_scenario_stream_vs_batch_headline),
        cmocka_unit_test(test_scenario_acks_all_crash_loses_nothing),
        cmocka_unit_test(test_scenario_acks1_crash_loses_acked_records),
        cmocka_unit_test(test_scenario_consumer_crash_at_least_once_duplicates),
        cmocka_unit_test(test_scenario_tight_watermark_drops_more_than_loose),
        cmocka_unit_test(test_same_seed_same_trace_and_summary),
        cmocka_unit_test(test_other_seed_other_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
