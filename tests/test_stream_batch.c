/* test_stream_batch.c -- the batch side: map tasks at brokers, reducers, the master.
 *
 * A map task and a reducer are each driven by one injected message and judged by what
 * they put in flight; the master's bookkeeping (offsets read to, results committed
 * with them, a job re-run after a failure) is judged over short whole runs.
 */
#include "stream_fixture.h"

static void lead(sim_t *s, uint32_t broker_node, uint32_t p)
{
    m_lai_t a = {p, (int32_t)(broker_node - 1), 0, 1u << (broker_node - 1), 0};
    assert_int_equal(sim_inject(s, 0, broker_node, M_LEADER_AND_ISR, &a, sizeof a), SIM_OK);
}

static void produce(sim_t *s, const st_config_t *cfg, uint32_t p, const st_rec_t *recs, uint32_t n)
{
    uint8_t buf[sizeof(m_produce_t) + 8 * sizeof(st_rec_t)];
    m_produce_t *m = (m_produce_t *)buf;
    *m = (m_produce_t){0, p, 1, n};
    memcpy(m->recs, recs, n * sizeof *recs);
    assert_int_equal(sim_inject(s, cfg->first_producer, 1, M_PRODUCE, m, (uint32_t)(sizeof *m + n * sizeof *recs)), SIM_OK);
}

static st_rec_t ev(uint32_t id, uint16_t key, uint8_t value, int64_t event_ms)
{
    return (st_rec_t){event_ms * SIM_MS, event_ms * SIM_MS, id, key, value, 0, 0, 0};
}

static void test_map_task_combines_at_the_broker_and_shuffles_by_reducer(void **state)
{
    scn_t scn;
    stf_load(&scn, 1, 1, 1, 2, ", \"partitions\": 1, \"replication\": 1, \"min_isr\": 1, \"keys\": 4, \"size\": \"1s\"", "");
    const st_config_t *cfg = stf_cfg(&scn);
    sim_t *s = stf_create(&scn);
    lead(s, 1, 0);
    st_rec_t r[] = {ev(0, 1, 2, 100), ev(1, 1, 3, 400), ev(2, 2, 5, 1500), ev(3, 1, 1, 1700)};
    produce(s, cfg, 0, r, 4);
    m_map_t m = {7, 0, ST_JOB_WINDOWS, 0, 1};                       /* job 7 reads from offset 1 */
    assert_int_equal(sim_inject(s, cfg->first_batch, 1, M_MAP, &m, sizeof m), SIM_OK);

    stf_flights_t *outs = stf_flights(s, M_MAP_OUT);
    assert_int_equal(outs->n, 2);                                   /* one per reducer, even if empty */
    st_cell_t got[ST_KEYS_MAX * 4];
    memset(got, 0, sizeof got);
    for (uint32_t i = 0; i < outs->n; i++) {
        const m_pairs_t *mp = (const m_pairs_t *)outs->f[i].payload;
        assert_int_equal(mp->job, 7);
        assert_int_equal(outs->f[i].to, cfg->first_batch + mp->reducer);
        for (uint32_t j = 0; j < mp->n; j++) {
            got[mp->pairs[j].cell].count += mp->pairs[j].count;
            got[mp->pairs[j].cell].sum += mp->pairs[j].sum;
        }
    }
    /* Offsets 1..3: key 1 in window 0 (3), key 2 in window 1 (5), key 1 in window 1 (1). */
    assert_int_equal(got[st_cell_of(cfg, 1, 0)].count, 1);
    assert_int_equal(got[st_cell_of(cfg, 1, 0)].sum, 3);
    assert_int_equal(got[st_cell_of(cfg, 2, 1)].sum, 5);
    assert_int_equal(got[st_cell_of(cfg, 1, 1)].sum, 1);
    free(outs);
    stf_flights_t *done = stf_flights(s, M_MAP_DONE);
    assert_int_equal(done->n, 1);
    const m_map_done_t *d = (const m_map_done_t *)done->f[0].payload;
    assert_int_equal(d->status, ST_OK);
    assert_int_equal(d->to, 4);                                     /* it read to the high watermark */
    assert_int_equal(d->records, 3);
    free(done);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_map_task_refused_by_a_broker_that_does_not_lead(void **state)
{
    scn_t scn;
    stf_load(&scn, 1, 1, 1, 1, ", \"partitions\": 1, \"replication\": 1, \"min_isr\": 1", "");
    const st_config_t *cfg = stf_cfg(&scn);
    sim_t *s = stf_create(&scn);
    m_map_t m = {1, 0, ST_JOB_WINDOWS, 0, 0};
    assert_int_equal(sim_inject(s, cfg->first_batch, 1, M_MAP, &m, sizeof m), SIM_OK);
    stf_flights_t *done = stf_flights(s, M_MAP_DONE);
    assert_int_equal(done->n, 1);
    assert_int_equal(((const m_map_done_t *)done->f[0].payload)->status, ST_NOT_LEADER);
    free(done);
    sim_destroy(s);
    scn_free(&scn);
}

static void map_out(sim_t *s, uint32_t from, uint32_t to, uint32_t job, uint32_t p, const st_pair_t *pairs, uint32_t n)
{
    uint8_t buf[sizeof(m_pairs_t) + 4 * sizeof(st_pair_t)];
    m_pairs_t *m = (m_pairs_t *)buf;
    *m = (m_pairs_t){job, p, 1, n};
    memcpy(m->pairs, pairs, n * sizeof *pairs);
    assert_int_equal(sim_inject(s, from, to, M_MAP_OUT, m, (uint32_t)(sizeof *m + n * sizeof *pairs)), SIM_OK);
}

static void test_reducer_sums_every_partition_once(void **state)
{
    scn_t scn;
    stf_load(&scn, 2, 1, 1, 2, ", \"partitions\": 2, \"replication\": 1, \"min_isr\": 1", "");
    const st_config_t *cfg = stf_cfg(&scn);
    sim_t *s = stf_create(&scn);
    uint32_t reducer = cfg->first_batch + 1;
    st_pair_t p0[] = {{5, 0, 2, 7}}, p1[] = {{5, 0, 1, 3}, {9, 0, 1, 1}}, old[] = {{5, 0, 100, 100}};
    map_out(s, 1, reducer, 3, 0, p0, 1);
    map_out(s, 1, reducer, 3, 0, p0, 1);                            /* a duplicate of p0's output */
    map_out(s, 1, reducer, 2, 1, old, 1);                           /* an abandoned job's */
    stf_flights_t *fs = stf_flights(s, M_REDUCE_DONE);
    assert_int_equal(fs->n, 0);                                     /* still waiting for p1 */
    free(fs);
    map_out(s, 2, reducer, 3, 1, p1, 2);
    fs = stf_flights(s, M_REDUCE_DONE);
    assert_int_equal(fs->n, 1);
    assert_int_equal(fs->f[0].to, cfg->first_batch);
    const m_pairs_t *r = (const m_pairs_t *)fs->f[0].payload;
    assert_int_equal(r->job, 3);
    assert_int_equal(r->reducer, 1);
    assert_int_equal(r->n, 2);
    assert_int_equal(r->pairs[0].cell, 5);
    assert_int_equal(r->pairs[0].count, 3);
    assert_int_equal(r->pairs[0].sum, 10);
    assert_int_equal(r->pairs[1].cell, 9);
    free(fs);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_batch_jobs_read_each_record_once_and_commit_offsets_with_results(void **state)
{
    scn_t scn;
    stf_load(&scn, 3, 2, 1, 2, ", \"rate\": 100, \"produce_for\": \"5s\", \"batch_every\": \"2s\", \"totals_at\": \"9s\"",
             ", \"duration\": \"10s\"");
    const st_config_t *cfg = stf_cfg(&scn);
    sim_t *s = stf_create(&scn);
    sim_run(s);
    assert_null(sim_error(s));
    void *du = stf_durable(s, cfg->first_batch);
    const st_batch_durable_t *bd = &((st_durable_t *)du)->u.bt;
    assert_int_equal(bd->n_jobs, 4);                                /* at 2, 4, 6 and 8s; the one at 10s has no time */
    const int64_t *to = st_bt_job_to(cfg, du);
    for (uint32_t p = 0; p < cfg->partitions; p++) {
        for (uint32_t j = 1; j < bd->n_jobs; j++)
            assert_true(to[j * cfg->partitions + p] >= to[(j - 1) * cfg->partitions + p]);
        assert_int_equal(bd->last_end[p], to[(bd->n_jobs - 1) * cfg->partitions + p]);
    }
    cJSON *o = stf_summary(s);
    assert_true(stf_num(o, "batch.windows.total") > 0);
    assert_int_equal((int)stf_num(o, "batch.windows.wrong"), 0);
    assert_int_equal((int)stf_num(o, "batch.events"), (int)stf_num(o, "log.produced"));
    assert_int_equal((int)stf_num(o, "batch.unprocessed"), 0);
    assert_int_equal((int)stf_num(o, "batch.totals.keys_exact"), (int)cfg->keys);
    assert_int_equal((int)stf_num(o, "batch.totals.records"), (int)stf_num(o, "log.produced"));
    /* Four map tasks, eight map outputs, four map-dones and one reduce-done per job. */
    assert_true(stf_num(o, "batch.messages") <= 6 * (4 + 8 + 4 + 1));
    cJSON_Delete(o);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_batch_job_is_run_again_when_its_map_task_is_lost(void **state)
{
    scn_t scn;
    stf_load(&scn, 3, 2, 1, 1, ", \"rate\": 100, \"produce_for\": \"5s\", \"batch_every\": \"4s\", \"job_timeout\": \"1s\"",
             ", \"duration\": \"14s\", \"faults\": [{\"at\": \"3900ms\", \"crash\": \"n2\"}, {\"at\": \"9s\", \"restart\": \"n2\"}]");
    const st_config_t *cfg = stf_cfg(&scn);
    sim_t *s = stf_create(&scn);
    sim_run(s);
    assert_null(sim_error(s));
    const st_batch_durable_t *bd = &stf_durable(s, cfg->first_batch)->u.bt;
    assert_true(bd->jobs_failed >= 1);                              /* the job at 4s sent a map task to the dead leader */
    cJSON *o = stf_summary(s);
    assert_int_equal((int)stf_num(o, "batch.windows.wrong"), 0);
    assert_int_equal((int)stf_num(o, "batch.jobs_failed"), (int)bd->jobs_failed);
    cJSON_Delete(o);
    sim_destroy(s);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_task_combines_at_the_broker_and_shuffles_by_reducer),
        cmocka_unit_test(test_map_task_refused_by_a_broker_that_does_not_lead),
        cmocka_unit_test(test_reducer_sums_every_partition_once),
        cmocka_unit_test(test_batch_jobs_read_each_record_once_and_commit_offsets_with_results),
        cmocka_unit_test(test_batch_job_is_run_again_when_its_map_task_is_lost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
