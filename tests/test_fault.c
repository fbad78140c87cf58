/* test_fault.c -- actions, the fault schedule, the random nemeses, and writing actions
 * back as scenario JSON.
 *
 * The round trip is the property the live view's recordings rest on: any action,
 * written with scn_write_action and wrapped in a scenario, must load back as the same
 * action. Each kind is checked on its own so that a failure names the kind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/sim.h"
#include "scenario/scenario_write.h"
#include "support.h"

/* ---- Helpers. ------------------------------------------------------------------ */

typedef struct recs {
    trace_rec_t *v;
    size_t n, cap;
    bool sends;                  /* keep send records too */
} recs_t;

static void recs_add(void *ud, const trace_rec_t *r)
{
    recs_t *c = ud;
    if (!c->sends && (r->kind == TR_SEND || r->kind == TR_DELIVER || r->kind == TR_DROP || r->kind == TR_TIMER)) return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n] = *r;
    c->v[c->n].text = NULL;
    c->n++;
}

/* ---- The schedule. ------------------------------------------------------------- */

static void test_fault_scheduled_actions_fire_at_their_times(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 1, \"duration\": \"6s\", \"nodes\": 4, \"protocol\": \"echo\", \"network\": {\"latency\": \"1ms\"},"
         " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1}, \"keys\": 3, \"rate\": \"1/m\", \"start\": \"1m\"},"
         " \"faults\": ["
         "   {\"at\": \"1100ms\", \"crash\": \"n1\"}, {\"at\": \"1300ms\", \"restart\": \"n1\"},"
         "   {\"at\": \"1700ms\", \"pause\": \"n2\"}, {\"at\": \"1900ms\", \"resume\": \"n2\"},"
         "   {\"at\": \"2300ms\", \"partition\": [[\"n1\"], [\"n2\", \"c1\"]]}, {\"at\": \"2900ms\", \"heal\": true},"
         "   {\"at\": \"3100ms\", \"isolate\": \"n3\"}, {\"at\": \"3300ms\", \"heal\": true},"
         "   {\"at\": \"3700ms\", \"link\": {\"from\": \"n1\", \"to\": \"n2\", \"loss\": 1}},"
         "   {\"at\": \"4100ms\", \"network\": {\"latency\": \"7ms\"}},"
         "   {\"at\": \"4300ms\", \"clock\": \"n4\", \"skew\": \"-250ms\"},"
         "   {\"at\": \"4700ms\", \"request\": {\"client\": \"c1\", \"node\": \"n2\", \"f\": \"write\", \"key\": 2, \"value\": 99}}"
         " ]}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    recs_t rec = {0};
    sim_set_trace(s, recs_add, &rec);
    sim_run(s);
    static const struct { trace_kind_t kind; sim_time_t at; uint32_t a; } want[] = {
        {TR_CRASH, 1100 * SIM_MS, 0}, {TR_RESTART, 1300 * SIM_MS, 0},
        {TR_PAUSE, 1700 * SIM_MS, 1}, {TR_RESUME, 1900 * SIM_MS, 1},
        {TR_PARTITION, 2300 * SIM_MS, 0}, {TR_HEAL, 2900 * SIM_MS, 0},
        {TR_ISOLATE, 3100 * SIM_MS, 2}, {TR_HEAL, 3300 * SIM_MS, 0},
        {TR_LINK, 3700 * SIM_MS, 0}, {TR_NETWORK, 4100 * SIM_MS, 0},
        {TR_CLOCK, 4300 * SIM_MS, 3}, {TR_INVOKE, 4700 * SIM_MS, 4},
    };
    size_t k = 0;
    for (size_t i = 0; i < rec.n; i++) {
        const trace_rec_t *r = &rec.v[i];
        if (r->kind == TR_COMPLETE || r->kind == TR_DUPLICATE) continue;
        if (k == SIM_ARRAY_LEN(want)) fail_msg("an extra %s record at t=%lldns", trace_kind_names[r->kind], (long long)r->t);
        if (r->kind != want[k].kind || r->t != want[k].at)
            fail_msg("record %zu: %s at t=%lldns, expected %s at t=%lldns", k, trace_kind_names[r->kind], (long long)r->t,
                     trace_kind_names[want[k].kind], (long long)want[k].at);
        if (r->kind != TR_PARTITION && r->kind != TR_HEAL && r->kind != TR_NETWORK) assert_int_equal(r->a, want[k].a);
        k++;
    }
    assert_int_equal(k, SIM_ARRAY_LEN(want));
    /* Their effects. */
    assert_true(sim_link_params(s, 0, 1)->loss == 1.0);
    assert_true(sim_link_params(s, 1, 0)->loss == 1.0);
    assert_true(sim_link_params(s, 2, 3)->latency.a == (double)(7 * SIM_MS));
    assert_int_equal(sim_stats(s)->crashes, 1);
    assert_int_equal(sim_stats(s)->restarts, 1);
    assert_int_equal(sim_stats(s)->partitions, 2);
    sim_node_info_t ni;
    sim_node_info(s, 3, &ni);
    assert_int_equal(ni.clock_ns, sim_time(s) - 250 * SIM_MS);
    free(rec.v);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_fault_apply_refuses_what_makes_no_sense(void **state)
{
    scn_t scn;
    ts_load("{\"duration\": \"1s\", \"nodes\": 3, \"protocol\": \"echo\", \"workload\": {\"clients\": 1, \"ops\": {\"read\": 1}, \"rate\": \"1/m\"}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_action_t a = {.kind = ACT_RESTART, .node = 0};
    assert_int_equal(sim_apply(s, &a), SIM_EINPUT);           /* it is up */
    a.kind = ACT_RESUME;
    assert_int_equal(sim_apply(s, &a), SIM_EINPUT);           /* it is not paused */
    a.kind = ACT_CRASH;
    a.node = 3;
    assert_int_equal(sim_apply(s, &a), SIM_EINPUT);           /* a client */
    a.node = 0;
    assert_int_equal(sim_apply(s, &a), SIM_OK);
    assert_int_equal(sim_apply(s, &a), SIM_EINPUT);           /* already down */
    a.kind = ACT_PAUSE;
    assert_int_equal(sim_apply(s, &a), SIM_EINPUT);           /* down */
    a.kind = ACT_ISOLATE;
    a.node = 7;
    assert_int_equal(sim_apply(s, &a), SIM_EINPUT);
    /* A message not sent yet may still be dropped when it is (see the replay test
     * below); a message already delivered or dropped cannot. */
    sim_action_t d = {.kind = ACT_DROP, .msg_id = 12345};
    assert_int_equal(sim_apply(s, &d), SIM_OK);
    uint32_t members[] = {1};
    uint8_t groups[] = {2};
    sim_action_t p = {.kind = ACT_PARTITION, .n_groups = 1, .n_members = 1, .members = members, .groups = groups};
    assert_int_equal(sim_apply(s, &p), SIM_EINPUT);           /* group 2 of 1 */
    assert_int_equal(sim_stats(s)->crashes, 1);
    assert_int_equal(sim_stats(s)->partitions, 0);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_fault_drop_action_drops_a_message_in_flight(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 2, \"duration\": \"2s\", \"nodes\": 2, \"protocol\": \"echo\", \"network\": {\"latency\": \"100ms\"},"
         " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"1/m\", \"start\": \"1m\"}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    recs_t rec = {.sends = true};
    sim_set_trace(s, recs_add, &rec);
    sim_run_until(s, 10 * SIM_MS);
    sim_action_t req = {.kind = ACT_REQUEST, .node = 2, .node2 = 0, .op_f = SIM_OP_WRITE, .value = 5};
    assert_int_equal(sim_apply(s, &req), SIM_OK);
    uint64_t id = 0;
    for (size_t i = 0; i < rec.n; i++) if (rec.v[i].kind == TR_SEND) id = rec.v[i].id;
    assert_true(id > 0);
    sim_run_until(s, 50 * SIM_MS);
    sim_action_t d = {.kind = ACT_DROP, .msg_id = id};
    assert_int_equal(sim_apply(s, &d), SIM_OK);
    sim_run(s);
    bool dropped = false;
    for (size_t i = 0; i < rec.n; i++) {
        const trace_rec_t *r = &rec.v[i];
        if (r->id != id) continue;
        assert_int_not_equal(r->kind, TR_DELIVER);
        if (r->kind == TR_DROP) {
            dropped = true;
            assert_int_equal(r->reason, DROP_USER);
            assert_int_equal(r->t, 110 * SIM_MS);        /* it still travels to its arrival */
        }
    }
    assert_true(dropped);
    assert_int_equal(sim_stats(s)->dropped[DROP_USER], 1);
    assert_int_equal(sim_stats(s)->ops_info, 1);
    free(rec.v);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Random partitions. -------------------------------------------------------- */

typedef struct nemwatch {
    sim_t *s;
    sim_time_t part[64], heal[64];
    int n_part, n_heal;
    char failure[256];
} nemwatch_t;

static void nemwatch_listener(void *ud, const trace_rec_t *r)
{
    nemwatch_t *w = ud;
    if (r->kind == TR_HEAL && w->n_heal < 64) w->heal[w->n_heal++] = r->t;
    if (r->kind != TR_PARTITION || w->n_part == 64) return;
    w->part[w->n_part++] = r->t;
    /* A majority and a minority of the servers, nobody left out. */
    uint32_t n = sim_n_servers(w->s), size[3] = {0};
    for (uint32_t i = 0; i < n; i++) {
        sim_node_info_t ni;
        sim_node_info(w->s, i, &ni);
        if (ni.group < 1 || ni.group > 2) {
            if (!w->failure[0]) snprintf(w->failure, sizeof w->failure, "t=%lldns: %s in group %u", (long long)r->t, ni.name, ni.group);
            return;
        }
        size[ni.group]++;
    }
    if ((size[1] < 1 || size[1] >= size[2]) && !w->failure[0])
        snprintf(w->failure, sizeof w->failure, "t=%lldns: groups of %u and %u", (long long)r->t, size[1], size[2]);
}

static void test_fault_random_partitions_within_window(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 9, \"duration\": \"20s\", \"nodes\": 7, \"protocol\": \"echo\","
         " \"faults\": [{\"nemesis\": \"random-partitions\", \"every\": \"2s\", \"duration\": \"500ms\", \"start\": \"3s\", \"stop\": \"15s\"}]}",
         &scn);
    sim_t *s = ts_create(&scn, NULL);
    nemwatch_t w = {.s = s};
    sim_set_trace(s, nemwatch_listener, &w);
    sim_run(s);
    if (w.failure[0]) fail_msg("%s", w.failure);
    /* Every 2s within [3s, 15s): five or six partitions, depending on whether the first
     * comes at the start or one period after it. */
    assert_true(w.n_part == 5 || w.n_part == 6);
    assert_int_equal(w.n_heal, w.n_part);
    for (int i = 0; i < w.n_part; i++) {
        assert_true(w.part[i] >= 3 * SIM_SEC);
        assert_true(w.part[i] < 15 * SIM_SEC);
        if (i > 0) assert_int_equal(w.part[i] - w.part[i - 1], 2 * SIM_SEC);
        assert_int_equal(w.heal[i] - w.part[i], 500 * SIM_MS);
    }
    assert_true(w.part[w.n_part - 1] + 2 * SIM_SEC >= 15 * SIM_SEC);     /* none missing at the end */
    assert_int_equal(sim_stats(s)->partitions, (uint64_t)w.n_part);
    sim_destroy(s);
    scn_free(&scn);
}

/* Sends (id, from, to, time, arrival) up to a time, to compare two runs' network draws. */
typedef struct sends {
    trace_rec_t *v;
    size_t n, cap;
    sim_time_t first_fault;
} sends_t;

static void sends_listener(void *ud, const trace_rec_t *r)
{
    sends_t *c = ud;
    if ((r->kind == TR_PARTITION || r->kind == TR_CRASH) && c->first_fault < 0) c->first_fault = r->t;
    if (r->kind != TR_SEND) return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n++] = *r;
}

static void run_sends(const char *faults, sends_t *out)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"seed\": 13, \"duration\": \"6s\", \"nodes\": 6,"
             " \"protocol\": {\"name\": \"random-peer\", \"params\": {\"interval\": \"5ms\"}},"
             " \"network\": {\"latency\": {\"dist\": \"exponential\", \"mean\": \"4ms\"}, \"loss\": 0.1, \"duplicate\": 0.1},"
             " \"faults\": [%s]}", faults);
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    out->first_fault = -1;
    sim_set_trace(s, sends_listener, out);
    sim_run(s);
    sim_destroy(s);
    scn_free(&scn);
}

static void check_same_draws_before_first_fault(const char *faults)
{
    sends_t quiet = {0}, nem = {0};
    run_sends("", &quiet);
    run_sends(faults, &nem);
    assert_true(nem.first_fault > 0);
    size_t n = 0;
    while (n < nem.n && nem.v[n].t < nem.first_fault) n++;
    assert_true(n > 500);
    assert_true(quiet.n >= n);
    for (size_t i = 0; i < n; i++) {
        const trace_rec_t *a = &quiet.v[i], *b = &nem.v[i];
        if (a->id != b->id || a->a != b->a || a->b != b->b || a->t != b->t || a->t2 != b->t2)
            fail_msg("send %zu differs with %s: %u->%u at %lld arriving %lld, versus %u->%u at %lld arriving %lld", i, faults,
                     a->a, a->b, (long long)a->t, (long long)a->t2, b->a, b->b, (long long)b->t, (long long)b->t2);
    }
    free(quiet.v);
    free(nem.v);
}

static void test_fault_nemesis_draws_from_its_own_stream(void **state)
{
    check_same_draws_before_first_fault("{\"nemesis\": \"random-partitions\", \"every\": \"1s\", \"duration\": \"300ms\", \"start\": \"1s\"}");
    check_same_draws_before_first_fault("{\"nemesis\": \"random-crashes\", \"mttf\": \"8s\", \"mttr\": \"1s\"}");
}

/* Without loss or duplication a link draws only latencies, and random-peer's nodes do
 * not react to what they receive, so partitions change no draw but the nemesis's own:
 * the whole run's sends are the same with the nemesis as without it. */
static void test_fault_random_partitions_leave_other_streams_alone(void **state)
{
    static const char *const fmt =
        "{\"seed\": 23, \"duration\": \"8s\", \"nodes\": 5,"
        " \"protocol\": {\"name\": \"random-peer\", \"params\": {\"interval\": \"10ms\"}},"
        " \"network\": {\"latency\": {\"dist\": \"exponential\", \"mean\": \"4ms\"}},"
        " \"faults\": [%s]}";
    sends_t runs[2] = {{0}, {0}};
    uint64_t cut[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        char json[1024];
        snprintf(json, sizeof json, fmt, k ? "{\"nemesis\": \"random-partitions\", \"every\": \"1s\", \"duration\": \"400ms\"}" : "");
        scn_t scn;
        ts_load(json, &scn);
        sim_t *s = ts_create(&scn, NULL);
        runs[k].first_fault = -1;
        sim_set_trace(s, sends_listener, &runs[k]);
        sim_run(s);
        cut[k] = sim_stats(s)->dropped[DROP_PARTITION];
        sim_destroy(s);
        scn_free(&scn);
    }
    assert_int_equal(cut[0], 0);
    assert_true(cut[1] > 50);
    assert_int_equal(runs[0].n, runs[1].n);
    for (size_t i = 0; i < runs[0].n; i++) {
        const trace_rec_t *a = &runs[0].v[i], *b = &runs[1].v[i];
        if (a->id != b->id || a->a != b->a || a->b != b->b || a->t != b->t || a->t2 != b->t2)
            fail_msg("send %zu differs once partitions are added: %u->%u at %lld arriving %lld, versus %u->%u at %lld arriving %lld",
                     i, a->a, a->b, (long long)a->t, (long long)a->t2, b->a, b->b, (long long)b->t, (long long)b->t2);
    }
    free(runs[0].v);
    free(runs[1].v);
}

/* ---- Random crashes. ----------------------------------------------------------- */

typedef struct life {
    uint32_t n;
    int last[64];                  /* -1 none, TR_CRASH or TR_RESTART */
    sim_time_t down_since[64];
    double down_ns;
    uint64_t crashes, restarts, crashes_after_stop;
    sim_time_t stop;
    char failure[256];
} life_t;

static void life_listener(void *ud, const trace_rec_t *r)
{
    life_t *l = ud;
    if (r->kind != TR_CRASH && r->kind != TR_RESTART) return;
    uint32_t node = r->a;
    bool ok = r->kind == TR_CRASH ? l->last[node] != TR_CRASH : l->last[node] == TR_CRASH;
    if (!ok && !l->failure[0])
        snprintf(l->failure, sizeof l->failure, "n%u: %s at t=%lldns after %s", node + 1, trace_kind_names[r->kind],
                 (long long)r->t, l->last[node] < 0 ? "nothing" : trace_kind_names[l->last[node]]);
    l->last[node] = r->kind;
    if (r->kind == TR_CRASH) {
        l->crashes++;
        l->down_since[node] = r->t;
        if (l->stop > 0 && r->t >= l->stop) l->crashes_after_stop++;
    } else {
        l->restarts++;
        l->down_ns += (double)(r->t - l->down_since[node]);
    }
}

static void test_fault_random_crashes_at_the_expected_rate(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 17, \"duration\": \"300s\", \"nodes\": 10, \"protocol\": \"echo\","
         " \"faults\": [{\"nemesis\": \"random-crashes\", \"mttf\": \"2s\", \"mttr\": \"1s\"}]}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    life_t l = {.n = 10};
    for (int i = 0; i < 64; i++) l.last[i] = -1;
    sim_set_trace(s, life_listener, &l);
    sim_run(s);
    if (l.failure[0]) fail_msg("%s", l.failure);
    /* 10 servers * 300s / (2s + 1s) = 1000 crashes. */
    if (l.crashes < 850 || l.crashes > 1150) fail_msg("%llu crashes, expected about 1000", (unsigned long long)l.crashes);
    /* Every crash is followed by a restart, but for crashes too close to the end. */
    assert_true(l.restarts <= l.crashes && l.crashes - l.restarts <= 10);
    for (uint32_t i = 0; i < 10; i++)
        if (l.last[i] == TR_CRASH) l.down_ns += (double)(sim_end(s) - l.down_since[i]);
    /* Down a third of the time: mttr / (mttf + mttr). */
    double frac = l.down_ns / (10.0 * 300.0 * 1e9);
    if (frac < 0.28 || frac > 0.39) fail_msg("down %.3f of the time, expected about 0.333", frac);
    assert_int_equal(sim_stats(s)->crashes, l.crashes);
    assert_int_equal(sim_stats(s)->restarts, l.restarts);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_fault_random_crashes_stop_and_every_crash_restarts(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 19, \"duration\": \"40s\", \"nodes\": 6, \"protocol\": \"echo\","
         " \"faults\": [{\"nemesis\": \"random-crashes\", \"mttf\": \"1s\", \"mttr\": \"100ms\", \"start\": \"5s\", \"stop\": \"20s\"}]}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    life_t l = {.n = 6, .stop = 20 * SIM_SEC};
    for (int i = 0; i < 64; i++) l.last[i] = -1;
    sim_set_trace(s, life_listener, &l);
    sim_run(s);
    if (l.failure[0]) fail_msg("%s", l.failure);
    assert_true(l.crashes > 40);
    assert_int_equal(l.crashes_after_stop, 0);
    assert_int_equal(l.restarts, l.crashes);
    for (uint32_t i = 0; i < 6; i++) assert_true(sim_node_up(s, i));
    sim_destroy(s);
    scn_free(&scn);

    /* Nothing before the start either. */
    ts_load("{\"seed\": 19, \"duration\": \"10s\", \"nodes\": 6, \"protocol\": \"echo\","
         " \"faults\": [{\"nemesis\": \"random-crashes\", \"mttf\": \"300ms\", \"mttr\": \"100ms\", \"start\": \"5s\"}]}", &scn);
    s = ts_create(&scn, NULL);
    recs_t rec = {0};
    sim_set_trace(s, recs_add, &rec);
    sim_run(s);
    assert_true(rec.n > 10);
    for (size_t i = 0; i < rec.n; i++)
        if (rec.v[i].kind == TR_CRASH) assert_true(rec.v[i].t >= 5 * SIM_SEC);
    free(rec.v);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Writing actions back. ----------------------------------------------------- */

static const char *const all_kinds_head =
    "{\"seed\": 1, \"duration\": \"60s\", \"nodes\": [\"alpha\", \"beta\", \"gamma\", \"delta\"],"
    " \"protocol\": \"gossip\","
    " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1}, \"keys\": 8, \"rate\": \"1/s\"},"
    " \"faults\": [";

static bool dist_equal(const dist_t *a, const dist_t *b)
{
    if (a->kind != b->kind || a->offset_ns != b->offset_ns || a->a != b->a) return false;
    if (a->kind != DIST_CONSTANT && a->kind != DIST_EXPONENTIAL && a->b != b->b) return false;
    if (a->kind == DIST_MIXTURE) {
        if (a->n != b->n) return false;
        for (int i = 0; i < a->n; i++)
            if (a->weight[i] != b->weight[i] || !dist_equal(&a->part[i], &b->part[i])) return false;
    }
    return true;
}

static bool net_equal(const net_params_t *a, const net_params_t *b)
{
    if (a->mask != b->mask) return false;
    if ((a->mask & NET_F_LATENCY) && !dist_equal(&a->latency, &b->latency)) return false;
    if ((a->mask & NET_F_LOSS) && a->loss != b->loss) return false;
    if ((a->mask & NET_F_DUPLICATE) && a->duplicate != b->duplicate) return false;
    if ((a->mask & NET_F_BANDWIDTH) && a->bandwidth_bps != b->bandwidth_bps) return false;
    if ((a->mask & NET_F_FIFO) && a->fifo != b->fifo) return false;
    if (a->mask & NET_F_TYPE_LATENCY) {
        if (a->n_type_latency != b->n_type_latency) return false;
        for (unsigned i = 0; i < a->n_type_latency; i++)
            if (a->type_latency_type[i] != b->type_latency_type[i] || !dist_equal(&a->type_latency[i], &b->type_latency[i])) return false;
    }
    return true;
}

/* The group of each node in a partition action (0: not named). */
static void groups_of(const sim_action_t *a, uint8_t *g, uint32_t n)
{
    memset(g, 0, n);
    for (uint32_t i = 0; i < a->n_members; i++) g[a->members[i]] = a->groups[i];
}

static bool action_equal(const sim_action_t *a, const sim_action_t *b)
{
    if (a->kind != b->kind || a->at_ns != b->at_ns) return false;
    switch (a->kind) {
    case ACT_CRASH: case ACT_RESTART: case ACT_PAUSE: case ACT_RESUME: case ACT_ISOLATE:
    case ACT_JOIN: case ACT_LEAVE:
        return a->node == b->node;
    case ACT_PARTITION: {
        uint8_t ga[16], gb[16];
        groups_of(a, ga, 16);
        groups_of(b, gb, 16);
        return a->oneway == b->oneway && a->n_groups == b->n_groups && a->n_members == b->n_members && memcmp(ga, gb, 16) == 0;
    }
    case ACT_HEAL:
        return true;
    case ACT_LINK:
        return a->node == b->node && a->node2 == b->node2 && a->oneway == b->oneway && net_equal(&a->net, &b->net);
    case ACT_NETWORK:
        return net_equal(&a->net, &b->net);
    case ACT_CLOCK:
        return a->node == b->node && a->clock_mask == b->clock_mask &&
               (!(a->clock_mask & CLOCK_F_SKEW) || a->skew_ns == b->skew_ns) &&
               (!(a->clock_mask & CLOCK_F_DRIFT) || a->drift == b->drift);
    case ACT_DROP:
        return a->msg_id == b->msg_id;
    case ACT_REQUEST:
        return a->node == b->node && a->node2 == b->node2 && a->op_f == b->op_f && a->key == b->key &&
               a->value == b->value && (a->op_f != SIM_OP_CAS || a->value2 == b->value2);
    default:
        break;
    }
    return false;
}

/* Loads a scenario holding `faults`, writes each action back, loads that, and compares.
 * Returns the number of actions checked. */
static uint32_t check_round_trip(const char *faults)
{
    char json[4096];
    snprintf(json, sizeof json, "%s%s]}", all_kinds_head, faults);
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    char failure[1024] = "";
    for (uint32_t i = 0; i < scn.n_faults && !failure[0]; i++) {
        const sim_action_t *a = &scn.faults[i];
        jw_t w;
        jw_init(&w, false);
        scn_write_action(s, a, &w);
        char again[4096];
        snprintf(again, sizeof again, "%s%s]}", all_kinds_head, w.buf);
        scn_t back;
        char err[512] = "";
        if (scn_load_string(again, "(written)", &back, err, sizeof err) != SIM_OK) {
            snprintf(failure, sizeof failure, "%s written as %s does not load: %s", act_kind_names[a->kind], w.buf, err);
        } else {
            if (back.n_faults != 1 || !action_equal(a, &back.faults[0]))
                snprintf(failure, sizeof failure, "%s written as %s loads as a different action", act_kind_names[a->kind], w.buf);
            scn_free(&back);
        }
        jw_free(&w);
    }
    uint32_t n = scn.n_faults;
    sim_destroy(s);
    scn_free(&scn);
    if (failure[0]) fail_msg("%s", failure);
    return n;
}

static void test_fault_write_json_round_trips_node_actions(void **state)
{
    assert_int_equal(check_round_trip(
        "{\"at\": \"0s\", \"crash\": \"alpha\"}, {\"at\": \"1.5s\", \"restart\": \"alpha\"},"
        "{\"at\": \"2s\", \"pause\": \"beta\"}, {\"at\": \"2500us\", \"resume\": \"beta\"},"
        "{\"at\": \"3s\", \"isolate\": \"delta\"}, {\"at\": \"4s\", \"heal\": true},"
        "{\"at\": \"5s\", \"drop\": 42}, {\"at\": \"6s\", \"leave\": \"gamma\"}, {\"at\": \"7s\", \"join\": \"gamma\"}"), 9);
}

static void test_fault_write_json_round_trips_partitions(void **state)
{
    assert_int_equal(check_round_trip(
        "{\"at\": \"1s\", \"partition\": [[\"alpha\", \"beta\"], [\"gamma\"]]},"
        "{\"at\": \"2s\", \"partition\": [[\"delta\", \"c2\"], [\"alpha\"], [\"c1\"]], \"oneway\": true},"
        "{\"at\": \"3s\", \"partition\": [[\"gamma\"]]}"), 3);
}

static void test_fault_write_json_round_trips_clocks(void **state)
{
    assert_int_equal(check_round_trip(
        "{\"at\": \"1s\", \"clock\": \"beta\", \"skew\": \"-200ms\"},"
        "{\"at\": \"2s\", \"clock\": \"gamma\", \"drift\": 0.01},"
        "{\"at\": \"3s\", \"clock\": \"delta\", \"skew\": \"1.25s\", \"drift\": -0.5},"
        "{\"at\": \"4s\", \"clock\": \"alpha\", \"drift\": 0}"), 4);
}

static void test_fault_write_json_round_trips_requests(void **state)
{
    assert_int_equal(check_round_trip(
        "{\"at\": \"1s\", \"request\": {\"client\": \"c1\", \"node\": \"beta\", \"f\": \"write\", \"key\": 3, \"value\": 17}},"
        "{\"at\": \"2s\", \"request\": {\"client\": \"c2\", \"node\": \"alpha\", \"f\": \"cas\", \"key\": 7, \"value\": -4, \"value2\": 9}},"
        "{\"at\": \"3s\", \"request\": {\"client\": \"c2\", \"node\": \"delta\", \"f\": \"read\"}}"), 3);
}

static void test_fault_write_json_round_trips_links_and_network(void **state)
{
    assert_int_equal(check_round_trip(
        "{\"at\": \"1s\", \"link\": {\"from\": \"alpha\", \"to\": \"beta\", \"loss\": 0.25, \"duplicate\": 0.5, \"fifo\": true}},"
        "{\"at\": \"2s\", \"link\": {\"from\": \"gamma\", \"to\": \"c1\", \"oneway\": true,"
        "   \"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"3.5ms\"},"
        "   \"type_latency\": {\"push\": \"40ms\", \"sync\": {\"dist\": \"exponential\", \"mean\": \"2ms\", \"offset\": \"1ms\"}}}},"
        "{\"at\": \"3s\", \"network\": {\"latency\": {\"dist\": \"normal\", \"mean\": \"10ms\", \"sd\": \"2ms\"}, \"loss\": 0.125}},"
        "{\"at\": \"4s\", \"network\": {\"latency\": {\"dist\": \"lognormal\", \"median\": \"5ms\", \"sigma\": 0.5}}},"
        "{\"at\": \"5s\", \"network\": {\"latency\": {\"dist\": \"pareto\", \"xm\": \"1ms\", \"alpha\": 2.5}, \"fifo\": false}},"
        "{\"at\": \"6s\", \"network\": {\"latency\": {\"dist\": \"constant\", \"value\": \"3ms\", \"offset\": \"1ms\"}}}"), 6);
}

static void test_fault_write_json_round_trips_bandwidth(void **state)
{
    assert_int_equal(check_round_trip(
        "{\"at\": \"1s\", \"link\": {\"from\": \"alpha\", \"to\": \"beta\", \"bandwidth\": \"100Mbps\"}},"
        "{\"at\": \"2s\", \"network\": {\"bandwidth\": \"2kbps\"}}"), 2);
}

static void test_fault_write_json_round_trips_mixture_latency(void **state)
{
    assert_int_equal(check_round_trip(
        "{\"at\": \"1s\", \"network\": {\"latency\": {\"dist\": \"mixture\", \"of\": ["
        "   {\"weight\": 0.75, \"dist\": \"constant\", \"value\": \"2ms\"},"
        "   {\"weight\": 0.25, \"dist\": \"uniform\", \"min\": \"20ms\", \"max\": \"40ms\"}]}}}"), 1);
}

/* A drop recorded at the very instant its message was sent replays before that send
 * (recorded actions are scheduled first among events at one time): it must wait for
 * the message and drop it, or a written-out session would not replay what happened. */
typedef struct first_send { bool found; uint64_t id; sim_time_t t; uint64_t dropped, delivered; uint64_t watch; } first_send_t;

static void watch_sends(void *ud, const trace_rec_t *r)
{
    first_send_t *f = ud;
    if (r->kind == TR_SEND && !f->found && r->t > 0) { f->found = true; f->id = r->id; f->t = r->t; }
    if (r->id == f->watch && r->kind == TR_DROP && r->reason == DROP_USER) f->dropped++;
    if (r->id == f->watch && r->kind == TR_DELIVER) f->delivered++;
}

static void test_fault_drop_at_the_instant_of_sending_replays(void **state)
{
    (void)state;
    scn_t scn;
    ts_load("{\"duration\": \"2s\", \"nodes\": 3, \"protocol\": \"echo\","
         " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"20/s\"}}", &scn);
    first_send_t f = {0};
    sim_t *s = ts_create(&scn, NULL);
    sim_set_trace(s, watch_sends, &f);
    sim_run(s);
    assert_true(f.found);
    sim_action_t late = {.kind = ACT_DROP, .msg_id = f.id};
    assert_int_equal(sim_apply(s, &late), SIM_ENOTFOUND);     /* delivered long ago */
    sim_destroy(s);

    sim_action_t drop = {0};
    drop.kind = ACT_DROP;
    drop.at_ns = f.t;
    drop.msg_id = f.id;
    sim_opts_t o = {0};
    o.extra_actions = &drop;
    o.n_extra_actions = 1;
    char err[256];
    first_send_t g = {0};
    g.watch = f.id;
    s = sim_create(&scn, &o, err, sizeof err);
    assert_non_null(s);
    sim_set_trace(s, watch_sends, &g);
    sim_run(s);
    assert_int_equal(g.dropped, 1);
    assert_int_equal(g.delivered, 0);
    assert_int_equal(sim_stats(s)->dropped[DROP_USER], 1);
    sim_destroy(s);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_scheduled_actions_fire_at_their_times),
        cmocka_unit_test(test_fault_apply_refuses_what_makes_no_sense),
        cmocka_unit_test(test_fault_drop_action_drops_a_message_in_flight),
        cmocka_unit_test(test_fault_random_partitions_within_window),
        cmocka_unit_test(test_fault_nemesis_draws_from_its_own_stream),
        cmocka_unit_test(test_fault_random_partitions_leave_other_streams_alone),
        cmocka_unit_test(test_fault_random_crashes_at_the_expected_rate),
        cmocka_unit_test(test_fault_random_crashes_stop_and_every_crash_restarts),
        cmocka_unit_test(test_fault_write_json_round_trips_node_actions),
        cmocka_unit_test(test_fault_write_json_round_trips_partitions),
        cmocka_unit_test(test_fault_write_json_round_trips_clocks),
        cmocka_unit_test(test_fault_write_json_round_trips_requests),
        cmocka_unit_test(test_fault_write_json_round_trips_links_and_network),
        cmocka_unit_test(test_fault_write_json_round_trips_bandwidth),
        cmocka_unit_test(test_fault_drop_at_the_instant_of_sending_replays),
        cmocka_unit_test(test_fault_write_json_round_trips_mixture_latency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
