/* test_stream_proc.c -- the stream processor: windows, watermarks, late events, commits.
 *
 * One processor is driven by hand before the simulation runs: it is told who leads
 * the partition, given the partition, told its committed offset, and then fed fetch
 * answers with chosen event times. What it computed is read from its state and its
 * durable results; what it committed, from what it put in flight.
 */
#include "stream_fixture.h"

typedef struct proc {
    scn_t scn;
    sim_t *s;
    const st_config_t *cfg;
    uint32_t node;             /* the processor */
    int64_t next_offset;
} proc_t;

/* One broker, one producer, one processor, one batch node; one partition; 1s windows and a
 * 200ms watermark unless params say otherwise. */
static void proc_start(proc_t *x, const char *params)
{
    char p[512];
    snprintf(p, sizeof p, ", \"partitions\": 1, \"replication\": 1, \"min_isr\": 1, \"keys\": 4, \"size\": \"1s\", "
             "\"out_of_order\": \"200ms\"%s", params);
    stf_load(&x->scn, 1, 1, 1, 1, p, "");
    x->cfg = stf_cfg(&x->scn);
    x->s = stf_create(&x->scn);
    x->node = x->cfg->first_processor;
    x->next_offset = 0;
    m_metadata_t md;
    for (int p2 = 0; p2 < ST_PARTITIONS_MAX; p2++) { md.leader[p2] = -1; md.epoch[p2] = -1; }
    md.leader[0] = 0;
    md.epoch[0] = 0;
    assert_int_equal(sim_inject(x->s, 0, x->node, M_METADATA, &md, sizeof md), SIM_OK);
    m_assign_t a = {1, 0x1, 0};
    assert_int_equal(sim_inject(x->s, 0, x->node, M_ASSIGN, &a, sizeof a), SIM_OK);
    m_offset_t o = {0, ST_OK, 0};
    assert_int_equal(sim_inject(x->s, 1, x->node, M_OFFSET, &o, sizeof o), SIM_OK);
    assert_int_equal(stf_state(x->s, x->node)->u.pc.task[0].state, TASK_RUN);
}

static void proc_stop(proc_t *x)
{
    sim_destroy(x->s);
    scn_free(&x->scn);
}

static st_rec_t ev(uint32_t id, uint16_t key, uint8_t value, int64_t event_ms)
{
    return (st_rec_t){event_ms * SIM_MS, event_ms * SIM_MS, id, key, value, 0, 0, 0};
}

/* Feeds records as the answer to the processor's outstanding fetch. */
static void feed(proc_t *x, const st_rec_t *recs, uint32_t n)
{
    uint8_t buf[sizeof(m_fetch_data_t) + 8 * sizeof(st_rec_t)];
    m_fetch_data_t *d = (m_fetch_data_t *)buf;
    assert_true(n <= 8);
    const st_task_t *t = &stf_state(x->s, x->node)->u.pc.task[0];
    *d = (m_fetch_data_t){0, t->req, ST_OK, n, x->next_offset, x->next_offset + n};
    memcpy(d->recs, recs, n * sizeof *recs);
    assert_int_equal(sim_inject(x->s, 1, x->node, M_FETCH_DATA, d, (uint32_t)(sizeof *d + n * sizeof *recs)), SIM_OK);
    x->next_offset += n;
}

static const st_cell_t *cell(proc_t *x, uint32_t key, int64_t k)
{
    return &st_pc_cells(x->cfg, stf_durable(x->s, x->node))[st_cell_of(x->cfg, key, k)];
}

static const st_proc_durable_t *pd_of(proc_t *x) { return &stf_durable(x->s, x->node)->u.pc; }

static void test_proc_fires_a_window_when_the_watermark_passes_its_end(void **state)
{
    proc_t x;
    proc_start(&x, "");
    st_rec_t a[] = {ev(0, 1, 3, 100), ev(1, 1, 4, 900), ev(2, 2, 1, 1100)};
    feed(&x, a, 3);
    const st_task_t *t = &stf_state(x.s, x.node)->u.pc.task[0];
    assert_int_equal(t->wm_ns, 900 * SIM_MS);                       /* 1.1s - 200ms: window [0,1s) still open */
    assert_int_equal(cell(&x, 1, 0)->count, 0);
    assert_int_equal(stf_state(x.s, x.node)->u.pc.n_panes, 2);
    st_rec_t b[] = {ev(3, 1, 1, 1300)};
    feed(&x, b, 1);
    assert_int_equal(t->wm_ns, 1100 * SIM_MS);
    assert_int_equal(cell(&x, 1, 0)->count, 2);                     /* fired: 3 + 4 */
    assert_int_equal(cell(&x, 1, 0)->sum, 7);
    assert_int_equal(cell(&x, 1, 0)->first_ns, sim_time(x.s));
    assert_int_equal(cell(&x, 2, 1)->count, 0);                     /* [1s,2s) is still open */
    const uint8_t *evst = st_pc_evst(x.cfg, stf_durable(x.s, x.node));
    assert_int_equal(evst[0] & EVST_EMITS, 1);
    assert_int_equal(evst[2] & EVST_EMITS, 0);
    assert_int_equal(st_pc_res(stf_durable(x.s, x.node))[1], sim_time(x.s));
    assert_int_equal(pd_of(&x)->firings, 1);
    proc_stop(&x);
}

static void test_proc_drops_a_late_event_or_updates_its_window(void **state)
{
    for (int update = 0; update < 2; update++) {
        proc_t x;
        proc_start(&x, update ? ", \"late\": \"update\", \"allowed_lateness\": \"5s\"" : ", \"late\": \"drop\"");
        st_rec_t a[] = {ev(0, 1, 3, 100), ev(1, 1, 4, 1300)};
        feed(&x, a, 2);
        assert_int_equal(cell(&x, 1, 0)->count, 1);                 /* window 0 fired with one event */
        st_rec_t late[] = {ev(2, 1, 5, 500)};                       /* for window 0, after it fired */
        feed(&x, late, 1);
        const uint8_t *evst = st_pc_evst(x.cfg, stf_durable(x.s, x.node));
        if (update) {
            assert_int_equal(cell(&x, 1, 0)->count, 2);             /* a late firing corrects it */
            assert_int_equal(cell(&x, 1, 0)->sum, 8);
            assert_int_equal(pd_of(&x)->late_updates, 1);
            assert_int_equal(pd_of(&x)->late_dropped, 0);
            assert_int_equal(evst[2] & EVST_EMITS, 1);
        } else {
            assert_int_equal(cell(&x, 1, 0)->count, 1);             /* dropped: the result stays short */
            assert_int_equal(pd_of(&x)->late_dropped, 1);
            assert_true(evst[2] & EVST_DROPPED);
            assert_int_equal(evst[2] & EVST_EMITS, 0);
        }
        proc_stop(&x);
    }
}

static void test_proc_sliding_windows_count_an_event_in_each(void **state)
{
    proc_t x;
    proc_start(&x, ", \"window\": \"sliding\", \"slide\": \"500ms\"");
    st_rec_t a[] = {ev(0, 3, 2, 700)};                              /* in [0,1s) and [0.5s,1.5s) */
    feed(&x, a, 1);
    st_rec_t b[] = {ev(1, 0, 1, 1250)};                             /* wm 1.05s: the first fires */
    feed(&x, b, 1);
    assert_int_equal(cell(&x, 3, 0)->count, 1);
    assert_int_equal(cell(&x, 3, 1)->count, 0);
    st_rec_t c[] = {ev(2, 0, 1, 1800)};                             /* wm 1.6s: the second too */
    feed(&x, c, 1);
    assert_int_equal(cell(&x, 3, 1)->count, 1);
    assert_int_equal(cell(&x, 3, 1)->sum, 2);
    /* Latency and duplicates are counted at the event's first window only. */
    assert_int_equal(st_pc_evst(x.cfg, stf_durable(x.s, x.node))[0] & EVST_EMITS, 1);
    proc_stop(&x);
}

static void test_proc_end_markers_close_every_window(void **state)
{
    proc_t x;
    proc_start(&x, "");
    st_rec_t a[] = {ev(0, 2, 1, 5000)};
    feed(&x, a, 1);
    assert_int_equal(cell(&x, 2, 5)->count, 0);
    st_rec_t end = {5 * SIM_SEC, 5 * SIM_SEC, x.cfg->per_producer - 1, 0, 0, ST_REC_END, 0, 0};
    feed(&x, &end, 1);                                              /* the only producer ended its stream */
    const st_task_t *t = &stf_state(x.s, x.node)->u.pc.task[0];
    assert_true(t->closed);
    assert_true(t->wm_ns == SIM_TIME_MAX);
    assert_int_equal(cell(&x, 2, 5)->count, 1);
    assert_int_equal(stf_state(x.s, x.node)->u.pc.n_panes, 0);
    proc_stop(&x);
}

static const m_offset_t *commit_in_flight(stf_flights_t *fs, uint32_t from)
{
    const m_offset_t *o = NULL;
    for (uint32_t i = 0; i < fs->n; i++)
        if (fs->f[i].from == from) o = (const m_offset_t *)fs->f[i].payload;
    return o;
}

static void test_proc_after_processing_commits_the_lowest_unfired_offset(void **state)
{
    proc_t x;
    proc_start(&x, ", \"commit\": \"after-processing\"");
    st_rec_t a[] = {ev(0, 1, 1, 100), ev(1, 1, 1, 900), ev(2, 2, 1, 1100), ev(3, 1, 1, 1300)};
    feed(&x, a, 4);                                                 /* window 0 fires; offsets 2 and 3 wait */
    stf_flights_t *fs = stf_flights(x.s, M_OFFSET_COMMIT);
    assert_null(commit_in_flight(fs, x.node));                      /* nothing committed on receipt */
    free(fs);
    m_assign_t none = {2, 0, 0};                                    /* a rebalance takes the partition away */
    assert_int_equal(sim_inject(x.s, 0, x.node, M_ASSIGN, &none, sizeof none), SIM_OK);
    fs = stf_flights(x.s, M_OFFSET_COMMIT);
    assert_non_null(commit_in_flight(fs, x.node));
    assert_int_equal(commit_in_flight(fs, x.node)->offset, 2);      /* a successor re-reads from 2 */
    free(fs);
    assert_int_equal(stf_state(x.s, x.node)->u.pc.n_panes, 0);
    proc_stop(&x);
}

static void test_proc_before_processing_commits_on_receipt(void **state)
{
    proc_t x;
    proc_start(&x, ", \"commit\": \"before-processing\"");
    st_rec_t a[] = {ev(0, 1, 1, 100), ev(1, 1, 1, 900), ev(2, 2, 1, 1100)};
    feed(&x, a, 3);
    stf_flights_t *fs = stf_flights(x.s, M_OFFSET_COMMIT);
    assert_non_null(commit_in_flight(fs, x.node));
    assert_int_equal(commit_in_flight(fs, x.node)->offset, 3);      /* past events whose windows are open */
    free(fs);
    proc_stop(&x);
}

static void test_proc_ignores_a_stale_fetch_answer(void **state)
{
    proc_t x;
    proc_start(&x, "");
    uint8_t buf[sizeof(m_fetch_data_t) + sizeof(st_rec_t)];
    m_fetch_data_t *d = (m_fetch_data_t *)buf;
    const st_task_t *t = &stf_state(x.s, x.node)->u.pc.task[0];
    *d = (m_fetch_data_t){0, t->req + 100, ST_OK, 1, 0, 1};
    d->recs[0] = ev(0, 1, 1, 100);
    assert_int_equal(sim_inject(x.s, 1, x.node, M_FETCH_DATA, d, sizeof buf), SIM_OK);
    assert_int_equal(pd_of(&x)->applied, 0);
    assert_int_equal(pd_of(&x)->stale_fetches, 1);
    assert_int_equal(t->position, 0);
    proc_stop(&x);
}

/* The answer to a fetch sent before a crash can arrive after the restart. The new
 * life numbers its requests afresh, so without its incarnation in the id the old
 * answer would match the new fetch of the same number and be processed. */
static void test_proc_ignores_a_fetch_answer_from_before_a_restart(void **state)
{
    proc_t x;
    proc_start(&x, "");
    const st_task_t *t = &stf_state(x.s, x.node)->u.pc.task[0];
    uint32_t old_req = t->req;
    assert_int_equal(old_req >> ST_REQ_COUNTER_BITS, pd_of(&x)->incarnation);
    sim_action_t a = {0};
    a.kind = ACT_CRASH;
    a.node = x.node;
    assert_int_equal(sim_apply(x.s, &a), SIM_OK);
    a.kind = ACT_RESTART;
    assert_int_equal(sim_apply(x.s, &a), SIM_OK);
    /* The new life is told the same things as the first and fetches again. */
    m_metadata_t md;
    for (int p2 = 0; p2 < ST_PARTITIONS_MAX; p2++) { md.leader[p2] = -1; md.epoch[p2] = -1; }
    md.leader[0] = 0;
    md.epoch[0] = 0;
    assert_int_equal(sim_inject(x.s, 0, x.node, M_METADATA, &md, sizeof md), SIM_OK);
    m_assign_t as = {2, 0x1, 0};
    assert_int_equal(sim_inject(x.s, 0, x.node, M_ASSIGN, &as, sizeof as), SIM_OK);
    m_offset_t o = {0, ST_OK, 0};
    assert_int_equal(sim_inject(x.s, 1, x.node, M_OFFSET, &o, sizeof o), SIM_OK);
    assert_int_equal(t->state, TASK_RUN);
    assert_int_equal(t->req & ((1u << ST_REQ_COUNTER_BITS) - 1), old_req & ((1u << ST_REQ_COUNTER_BITS) - 1));
    assert_int_not_equal(t->req, old_req);
    uint8_t buf[sizeof(m_fetch_data_t) + sizeof(st_rec_t)];
    m_fetch_data_t *d = (m_fetch_data_t *)buf;
    *d = (m_fetch_data_t){0, old_req, ST_OK, 1, 0, 1};
    d->recs[0] = ev(0, 1, 1, 100);
    uint64_t stale = pd_of(&x)->stale_fetches;
    assert_int_equal(sim_inject(x.s, 1, x.node, M_FETCH_DATA, d, sizeof buf), SIM_OK);
    assert_int_equal(pd_of(&x)->stale_fetches, stale + 1);
    assert_int_equal(t->position, 0);
    proc_stop(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proc_fires_a_window_when_the_watermark_passes_its_end),
        cmocka_unit_test(test_proc_drops_a_late_event_or_updates_its_window),
        cmocka_unit_test(test_proc_sliding_windows_count_an_event_in_each),
        cmocka_unit_test(test_proc_end_markers_close_every_window),
        cmocka_unit_test(test_proc_after_processing_commits_the_lowest_unfired_offset),
        cmocka_unit_test(test_proc_before_processing_commits_on_receipt),
        cmocka_unit_test(test_proc_ignores_a_stale_fetch_answer),
        cmocka_unit_test(test_proc_ignores_a_fetch_answer_from_before_a_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
