/* test_workload.c -- clients: open and closed loops, timeouts, retries, key choice, and
 * the shape of the history they record.
 *
 * Rates are checked against their expectation with bounds of four standard deviations
 * or more; the runs are seeded, so a bound that holds holds every time, and a bound
 * that breaks points at a real change in how arrivals or keys are drawn.
 *
 * Retries need a server that answers "unavailable" or redirects, which no shipped
 * protocol does on demand; "flaky", defined here, does. The scenario is loaded naming
 * echo and its protocol swapped for flaky before sim_create.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "check/runcheck.h"
#include "core/sim.h"
#include "support.h"

/* ---- Helpers. ------------------------------------------------------------------ */

static sim_t *run_json(const char *json, scn_t *scn)
{
    ts_load(json, scn);
    sim_t *s = ts_create(scn, NULL);
    sim_run(s);
    return s;
}

static uint64_t count_type(const hist_t *h, hist_type_t type)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) n += h->ev[i].type == type;
    return n;
}

static int key_index(const hist_t *h, const hist_event_t *e)
{
    const char *k = hist_key_name(h, e);
    assert_non_null(k);
    assert_true(k[0] == 'k');
    return atoi(k + 1);
}

/* Checks what every history must satisfy, and returns how many ops ended info. */
static uint64_t check_well_formed(const sim_t *s)
{
    const hist_t *h = sim_history(s);
    const sim_stats_t *st = sim_stats(s);
    uint32_t max_proc = 0;
    for (uint32_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].process > max_proc) max_proc = h->ev[i].process;
    int64_t *open = calloc((size_t)max_proc + 1, sizeof *open);       /* index of the open invoke + 1 */
    uint8_t *retired = calloc((size_t)max_proc + 1, 1);
    uint64_t n[4] = {0};
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        n[e->type]++;
        if (i > 0 && e->time_ns < h->ev[i - 1].time_ns) fail_msg("event %u goes back in time", i);
        if (e->type == HIST_INVOKE) {
            if (retired[e->process]) fail_msg("event %u: process %u is used again after an info", i, e->process);
            if (open[e->process]) fail_msg("event %u: process %u invokes with an operation outstanding", i, e->process);
            open[e->process] = (int64_t)i + 1;
            continue;
        }
        if (!open[e->process]) fail_msg("event %u: process %u completes with nothing outstanding", i, e->process);
        const hist_event_t *inv = &h->ev[open[e->process] - 1];
        assert_int_equal(inv->f, e->f);
        assert_int_equal(inv->key, e->key);
        assert_true(e->time_ns >= inv->time_ns);
        open[e->process] = 0;
        if (e->type == HIST_INFO) retired[e->process] = 1;
    }
    for (uint32_t p = 0; p <= max_proc; p++)
        if (open[p]) fail_msg("process %u still has an operation outstanding after the run", p);
    assert_int_equal(n[HIST_INVOKE], n[HIST_OK] + n[HIST_FAIL] + n[HIST_INFO]);
    assert_int_equal(n[HIST_INVOKE], st->ops_invoked);
    assert_int_equal(n[HIST_OK], st->ops_ok);
    assert_int_equal(n[HIST_FAIL], st->ops_fail);
    assert_int_equal(n[HIST_INFO], st->ops_info);
    free(open);
    free(retired);
    return n[HIST_INFO];
}

/* Invoke and completion trace records, for timing checks. */
typedef struct ops {
    trace_rec_t *v;
    size_t n, cap;
} ops_t;

static void ops_listener(void *ud, const trace_rec_t *r)
{
    ops_t *o = ud;
    if (r->kind != TR_INVOKE && r->kind != TR_COMPLETE && !(r->kind == TR_DELIVER && r->type == 0)) return;
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 1024;
        o->v = realloc(o->v, o->cap * sizeof *o->v);
    }
    o->v[o->n] = *r;
    o->v[o->n].text = NULL;
    o->n++;
}

/* ---- The flaky protocol. ------------------------------------------------------- */

typedef enum { FLAKY_UNAVAILABLE_TWICE, FLAKY_ALWAYS_UNAVAILABLE, FLAKY_REDIRECT_TO_LAST } flaky_mode_t;
static flaky_mode_t flaky_mode;

static void flaky_init(sim_ctx *c) { (void)c; }
static void flaky_message(sim_ctx *c, const sim_msg_t *m) { (void)c; (void)m; }
static void flaky_timer(sim_ctx *c, int kind, uint64_t data) { (void)c; (void)kind; (void)data; }

static void flaky_request(sim_ctx *c, const sim_req_t *req)
{
    switch (flaky_mode) {
    case FLAKY_UNAVAILABLE_TWICE:
        if (req->attempt < 2) sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0);
        else sim_reply(c, req, SIM_REPLY_OK, &req->value, 1);
        return;
    case FLAKY_ALWAYS_UNAVAILABLE:
        sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0);
        return;
    case FLAKY_REDIRECT_TO_LAST: {
        uint32_t last = sim_servers(c) - 1;
        if (sim_self(c) != last) sim_reply_redirect(c, req, last);
        else sim_reply(c, req, SIM_REPLY_OK, &req->value, 1);
        return;
    }
    }
}

static const proto_param_t flaky_params[] = {{NULL}};
static const proto_t proto_flaky = {
    .version = PROTO_VERSION,
    .name = "flaky",
    .purpose = "test protocol: answers unavailable or redirects",
    .state_size = 8,
    .params = flaky_params,
    .init = flaky_init,
    .on_message = flaky_message,
    .on_timer = flaky_timer,
    .on_request = flaky_request,
};

static sim_t *run_flaky(const char *json, scn_t *scn, flaky_mode_t mode, ops_t *ops)
{
    ts_load(json, scn);
    scn->proto = &proto_flaky;
    flaky_mode = mode;
    sim_t *s = ts_create(scn, NULL);
    if (ops) sim_set_trace(s, ops_listener, ops);
    sim_run(s);
    return s;
}

/* ---- Arrivals. ----------------------------------------------------------------- */

static void test_workload_open_loop_rate(void **state)
{
    scn_t scn;
    sim_t *s = run_json(
        "{\"seed\": 5, \"duration\": \"20s\", \"nodes\": 3, \"protocol\": \"echo\", \"network\": {\"latency\": \"1ms\"},"
        " \"workload\": {\"clients\": 4, \"ops\": {\"write\": 1, \"read\": 1}, \"rate\": \"200/s\"}}", &scn);
    const sim_stats_t *st = sim_stats(s);
    /* 4000 expected, standard deviation 63. */
    uint64_t arrivals = st->ops_invoked + st->ops_shed;
    if (arrivals < 3700 || arrivals > 4300) fail_msg("200/s for 20s: %llu arrivals", (unsigned long long)arrivals);
    assert_int_equal(st->ops_shed, 0);
    assert_int_equal(st->ops_ok, st->ops_invoked);
    /* Every client takes its share: rate/clients each. */
    const hist_t *h = sim_history(s);
    uint64_t per_client[4] = {0};
    for (uint32_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].type == HIST_INVOKE) per_client[h->ev[i].process / 16]++;
    for (int c = 0; c < 4; c++)
        if (per_client[c] < 850 || per_client[c] > 1150) fail_msg("client %d invoked %llu", c + 1, (unsigned long long)per_client[c]);
    check_well_formed(s);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_workload_open_loop_sheds_when_slots_are_busy(void **state)
{
    scn_t scn;
    sim_t *s = run_json(
        "{\"seed\": 6, \"duration\": \"20s\", \"nodes\": 2, \"protocol\": \"echo\", \"network\": {\"latency\": \"100ms\"},"
        " \"workload\": {\"clients\": 1, \"concurrency\": 2, \"ops\": {\"write\": 1}, \"rate\": \"50/s\"}}", &scn);
    const sim_stats_t *st = sim_stats(s);
    /* Two slots, 200ms per op: at most about 10 ops a second get through; the rest are shed. */
    uint64_t arrivals = st->ops_invoked + st->ops_shed;
    if (arrivals < 900 || arrivals > 1100) fail_msg("50/s for 20s: %llu arrivals", (unsigned long long)arrivals);
    assert_true(st->ops_shed > arrivals / 2);
    assert_true(st->ops_invoked <= 20 * 10 + 2);
    check_well_formed(s);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_workload_closed_loop_thinks_between_ops(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 8, \"duration\": \"10s\", \"nodes\": 3, \"protocol\": \"echo\", \"network\": {\"latency\": \"1ms\"},"
         " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1, \"read\": 1}, \"think\": \"10ms\"}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    ops_t ops = {0};
    sim_set_trace(s, ops_listener, &ops);
    sim_run(s);
    const sim_stats_t *st = sim_stats(s);
    /* Each client: 2ms round trip plus 10ms mean think, so about 830 ops in 10s. */
    if (st->ops_invoked < 1400 || st->ops_invoked > 1950) fail_msg("closed loop: %llu ops", (unsigned long long)st->ops_invoked);
    assert_int_equal(st->ops_shed, 0);
    /* One op at a time per client (concurrency 1), and the think time is the gap from
     * a completion to the next invoke. */
    sim_time_t last_done[2] = {-1, -1};
    bool busy[2] = {false, false};
    double gap_sum = 0;
    uint64_t gaps = 0;
    for (size_t i = 0; i < ops.n; i++) {
        const trace_rec_t *r = &ops.v[i];
        if (r->kind == TR_DELIVER) continue;
        uint32_t c = r->a - 3;
        assert_true(c < 2);
        if (r->kind == TR_INVOKE) {
            if (busy[c]) fail_msg("client %u invoked at t=%lldns with an op outstanding", c + 1, (long long)r->t);
            busy[c] = true;
            if (last_done[c] >= 0) { gap_sum += (double)(r->t - last_done[c]); gaps++; }
        } else {
            assert_true(busy[c]);
            busy[c] = false;
            assert_int_equal(r->t - r->t2, 2 * SIM_MS);
            last_done[c] = r->t;
        }
    }
    double mean = gap_sum / (double)gaps;
    if (mean < 9.0e6 || mean > 11.0e6) fail_msg("mean think time %.0fns, expected 10ms", mean);
    check_well_formed(s);
    free(ops.v);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_workload_closed_loop_concurrency_is_per_client(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 8, \"duration\": \"5s\", \"nodes\": 3, \"protocol\": \"echo\", \"network\": {\"latency\": \"20ms\"},"
         " \"workload\": {\"clients\": 2, \"concurrency\": 3, \"ops\": {\"write\": 1}, \"think\": \"1ms\"}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    ops_t ops = {0};
    sim_set_trace(s, ops_listener, &ops);
    sim_run(s);
    int outstanding[2] = {0, 0}, peak[2] = {0, 0};
    for (size_t i = 0; i < ops.n; i++) {
        const trace_rec_t *r = &ops.v[i];
        if (r->kind == TR_DELIVER) continue;
        uint32_t c = r->a - 3;
        outstanding[c] += r->kind == TR_INVOKE ? 1 : -1;
        if (outstanding[c] > peak[c]) peak[c] = outstanding[c];
        assert_true(outstanding[c] >= 0 && outstanding[c] <= 3);
    }
    assert_int_equal(peak[0], 3);
    assert_int_equal(peak[1], 3);
    /* Three slots, 40ms a round trip plus ~1ms think: about 73 ops a second a client. */
    assert_true(sim_stats(s)->ops_invoked > 2 * 5 * 60);
    check_well_formed(s);
    free(ops.v);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Timeouts and retries. ----------------------------------------------------- */

static void check_all_timed_out(const char *json, drop_reason_t why)
{
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    ops_t ops = {0};
    sim_set_trace(s, ops_listener, &ops);
    sim_run(s);
    const sim_stats_t *st = sim_stats(s);
    const hist_t *h = sim_history(s);
    assert_true(st->ops_invoked > 30);
    assert_int_equal(st->ops_ok, 0);
    assert_true(st->dropped[why] >= st->ops_invoked);
    uint64_t writes = 0, reads = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        if (e->type == HIST_INVOKE) continue;
        const char *f = hist_f_name(h, e);
        if (strcmp(f, "write") == 0) { writes++; assert_int_equal(e->type, HIST_INFO); }
        else if (strcmp(f, "read") == 0) { reads++; assert_int_equal(e->type, HIST_FAIL); }
        else fail_msg("unexpected operation %s", f);
    }
    assert_true(writes > 10 && reads > 10);
    assert_int_equal(st->ops_info, writes);
    assert_int_equal(st->ops_fail, reads);
    /* Each ends exactly at its timeout. */
    for (size_t i = 0; i < ops.n; i++)
        if (ops.v[i].kind == TR_COMPLETE) assert_int_equal(ops.v[i].t - ops.v[i].t2, 200 * SIM_MS);
    check_well_formed(s);
    free(ops.v);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_workload_timeouts_are_info_for_writes_and_fail_for_reads(void **state)
{
    /* The clients are cut off from every server (which form the unnamed group). */
    check_all_timed_out(
        "{\"seed\": 2, \"duration\": \"5s\", \"nodes\": 3, \"protocol\": \"echo\", \"network\": {\"latency\": \"1ms\"},"
        " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1, \"read\": 1}, \"rate\": \"20/s\","
        "   \"timeout\": \"200ms\", \"stop\": \"4s\"},"
        " \"faults\": [{\"at\": \"0s\", \"partition\": [[\"c1\", \"c2\"]]}]}", DROP_PARTITION);
}

static void test_workload_timeouts_when_every_server_is_down(void **state)
{
    check_all_timed_out(
        "{\"seed\": 2, \"duration\": \"5s\", \"nodes\": 3, \"protocol\": \"echo\", \"network\": {\"latency\": \"1ms\"},"
        " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1, \"read\": 1}, \"rate\": \"20/s\","
        "   \"timeout\": \"200ms\", \"stop\": \"4s\"},"
        " \"faults\": [{\"at\": \"0s\", \"crash\": \"n1\"}, {\"at\": \"0s\", \"crash\": \"n2\"}, {\"at\": \"0s\", \"crash\": \"n3\"}]}",
        DROP_CRASH);
}

static const char *const flaky_json_fmt =
    "{\"seed\": 12, \"duration\": \"5s\", \"nodes\": 3, \"protocol\": \"echo\", \"network\": {\"latency\": \"1ms\"},"
    " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1}, \"rate\": \"20/s\", \"stop\": \"4s\","
    "   \"retries\": %d, \"retry_delay\": \"25ms\", \"timeout\": \"1s\"}}";

static void test_workload_retries_on_unavailable(void **state)
{
    char json[1024];
    snprintf(json, sizeof json, flaky_json_fmt, 3);
    scn_t scn;
    ops_t ops = {0};
    sim_t *s = run_flaky(json, &scn, FLAKY_UNAVAILABLE_TWICE, &ops);
    const sim_stats_t *st = sim_stats(s);
    assert_true(st->ops_invoked > 40);
    assert_int_equal(st->ops_ok, st->ops_invoked);
    assert_int_equal(st->ops_retried, 2 * st->ops_invoked);
    /* Three round trips of 2ms and two retry delays of 25ms. */
    assert_int_equal(sim_latency_quantile(s, 0.0), 56 * SIM_MS);
    assert_int_equal(sim_latency_quantile(s, 1.0), 56 * SIM_MS);
    /* Each request attempt reached a server: three per op. */
    uint64_t requests = 0;
    for (size_t i = 0; i < ops.n; i++) requests += ops.v[i].kind == TR_DELIVER;
    assert_int_equal(requests, 3 * st->ops_invoked);
    check_well_formed(s);
    free(ops.v);
    sim_destroy(s);
    scn_free(&scn);
}

/* Out of retries, a write ends info: "unavailable" answered the copies the client
 * heard of, and another copy of some attempt may still take effect. A read ends fail:
 * it changed nothing either way. */
static void retries_run_out(const char *ops_json, hist_type_t expect)
{
    char json[1024], fmt[1024];
    snprintf(fmt, sizeof fmt, "%s", flaky_json_fmt);
    char *at = strstr(fmt, "{\"write\": 1}");
    assert_non_null(at);
    snprintf(json, sizeof json, "%.*s%s%s", (int)(at - fmt), fmt, ops_json, at + strlen("{\"write\": 1}"));
    char with_retries[1024];
    snprintf(with_retries, sizeof with_retries, json, 1);
    scn_t scn;
    ops_t ops = {0};
    sim_t *s = run_flaky(with_retries, &scn, FLAKY_ALWAYS_UNAVAILABLE, &ops);
    const sim_stats_t *st = sim_stats(s);
    assert_true(st->ops_invoked > 40);
    assert_int_equal(expect == HIST_FAIL ? st->ops_fail : st->ops_info, st->ops_invoked);
    assert_int_equal(st->ops_retried, st->ops_invoked);
    for (size_t i = 0; i < ops.n; i++)
        if (ops.v[i].kind == TR_COMPLETE) {
            assert_int_equal(ops.v[i].reason, expect);
            assert_int_equal(ops.v[i].t - ops.v[i].t2, 2 * SIM_MS + 25 * SIM_MS + 2 * SIM_MS);
        }
    check_well_formed(s);
    free(ops.v);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_workload_retries_run_out_info_for_writes_fail_for_reads(void **state)
{
    retries_run_out("{\"write\": 1}", HIST_INFO);
    retries_run_out("{\"read\": 1}", HIST_FAIL);
}

/* Raft with duplicated messages and a leader crashed every second: a copy of a write
 * is appended by a leader that then steps down, the client's other copy or its retry
 * is redirected, retries run out -- and the entry commits. Recording that write as
 * fail made the checker find a violation of a correct Raft (seed 2 did, among 6 of
 * the first 40 seeds); as info, the histories are linearizable. */
static void test_workload_duplicated_write_out_of_retries_stays_possible(void **state)
{
    const char *json =
        "{\"duration\": \"30s\", \"nodes\": 5, \"protocol\": {\"name\": \"raft\", \"params\": {\"snapshot_after\": 200, \"log_max\": 1024}},"
        " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"2ms\", \"max\": \"15ms\"}, \"loss\": 0.03, \"duplicate\": 0.3},"
        " \"workload\": {\"clients\": 4, \"ops\": {\"write\": 0.4, \"read\": 0.4, \"cas\": 0.2}, \"keys\": 8, \"rate\": \"50/s\","
        "   \"timeout\": \"1s\", \"retries\": 1, \"stop\": \"27s\"},"
        " \"faults\": [{\"nemesis\": \"crash-leader\", \"every\": \"1s\", \"restart_after\": \"500ms\", \"stop\": \"25s\"},"
        "   {\"nemesis\": \"random-partitions\", \"every\": \"3s\", \"duration\": \"1s\", \"stop\": \"26s\"}],"
        " \"check\": {\"linearizable\": \"cas-register\"}}";
    scn_t scn;
    ts_load(json, &scn);
    const uint64_t seeds[] = {2, 6, 8};
    for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
        sim_t *s = ts_create_seed(&scn, seeds[i]);
        sim_run(s);
        assert_null(sim_violation(s, NULL));
        const sim_stats_t *st = sim_stats(s);
        assert_true(st->ops_retried > 100 && st->ops_ok > 500);
        runcheck_t rc;
        runcheck_run(s, &rc);
        if (rc.lin.verdict != LIN_OK) fail_msg("seed %llu: the history is not linearizable", (unsigned long long)seeds[i]);
        runcheck_free(&rc);
        sim_destroy(s);
    }
    scn_free(&scn);
}

static void test_workload_follows_redirects(void **state)
{
    char json[1024];
    snprintf(json, sizeof json, flaky_json_fmt, 3);
    scn_t scn;
    ops_t ops = {0};
    sim_t *s = run_flaky(json, &scn, FLAKY_REDIRECT_TO_LAST, &ops);
    const sim_stats_t *st = sim_stats(s);
    assert_int_equal(st->ops_ok, st->ops_invoked);
    /* Requests to n1 or n2 are redirected once; after that the clients stick to n3. */
    uint64_t first_elsewhere = 0, at_last = 0, elsewhere = 0;
    for (size_t i = 0; i < ops.n; i++) {
        const trace_rec_t *r = &ops.v[i];
        if (r->kind == TR_INVOKE && r->b != 2) first_elsewhere++;
        if (r->kind == TR_DELIVER) { if (r->b == 2) at_last++; else elsewhere++; }
    }
    assert_true(first_elsewhere >= 1 && first_elsewhere <= 2);     /* each client's first pick */
    assert_int_equal(elsewhere, first_elsewhere);
    assert_int_equal(at_last, st->ops_invoked);
    assert_int_equal(st->ops_retried, first_elsewhere);
    check_well_formed(s);
    free(ops.v);
    sim_destroy(s);
    scn_free(&scn);
}

/* With no retries a redirected operation fails, but the redirect still says where to
 * go: a sticky client's next operations go there, rather than every one of them
 * failing at the same server until a timeout picks another. */
static void test_workload_follows_redirects_without_retries(void **state)
{
    char json[1024];
    snprintf(json, sizeof json, flaky_json_fmt, 0);
    scn_t scn;
    sim_t *s = run_flaky(json, &scn, FLAKY_REDIRECT_TO_LAST, NULL);
    const sim_stats_t *st = sim_stats(s);
    if (st->ops_fail + st->ops_info > 2)
        fail_msg("%llu of %llu operations did not succeed: a sticky client stayed where it was redirected from",
                 (unsigned long long)(st->ops_fail + st->ops_info), (unsigned long long)st->ops_invoked);
    assert_true(st->ops_ok >= st->ops_invoked - 2);
    check_well_formed(s);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Keys. --------------------------------------------------------------------- */

static void key_frequencies(const char *dist, double *freq, int keys)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"seed\": 21, \"duration\": \"10s\", \"nodes\": 2, \"protocol\": \"echo\","
             " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1}, \"keys\": %d, \"key_dist\": \"%s\", \"rate\": \"600/s\"}}",
             keys, dist);
    scn_t scn;
    sim_t *s = run_json(json, &scn);
    const hist_t *h = sim_history(s);
    uint64_t total = 0;
    uint64_t *count = calloc((size_t)keys, sizeof *count);
    for (uint32_t i = 0; i < h->n_ev; i++) {
        if (h->ev[i].type != HIST_INVOKE) continue;
        int k = key_index(h, &h->ev[i]);
        assert_true(k >= 0 && k < keys);
        count[k]++;
        total++;
    }
    assert_true(total > 5000);
    for (int k = 0; k < keys; k++) freq[k] = (double)count[k] / (double)total;
    free(count);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_workload_zipf_keys_skew_toward_key_zero(void **state)
{
    double f[10];
    key_frequencies("zipf", f, 10);
    /* Zipf with s = 1 over 10 keys: P(k) = 1/((k+1) H_10), H_10 = 2.929. */
    double h10 = 0;
    for (int k = 1; k <= 10; k++) h10 += 1.0 / k;
    for (int k = 0; k < 10; k++) {
        double want = 1.0 / ((k + 1) * h10);
        if (f[k] < want - 0.03 || f[k] > want + 0.03) fail_msg("zipf key k%d: frequency %.4f, expected %.4f", k, f[k], want);
    }
    assert_true(f[0] > 5 * f[9]);
}

static void test_workload_uniform_keys_are_even(void **state)
{
    double f[10];
    key_frequencies("uniform", f, 10);
    for (int k = 0; k < 10; k++)
        if (f[k] < 0.08 || f[k] > 0.12) fail_msg("uniform key k%d: frequency %.4f", k, f[k]);
}

/* ---- History. ------------------------------------------------------------------ */

static void test_workload_history_is_well_formed_under_faults(void **state)
{
    scn_t scn;
    sim_t *s = run_json(
        "{\"seed\": 31, \"duration\": \"15s\", \"nodes\": 3,"
        " \"protocol\": {\"name\": \"gossip\", \"params\": {\"anti_entropy\": \"200ms\"}},"
        " \"network\": {\"latency\": {\"dist\": \"exponential\", \"mean\": \"20ms\"}, \"loss\": 0.15, \"duplicate\": 0.05},"
        " \"workload\": {\"clients\": 3, \"concurrency\": 4, \"ops\": {\"write\": 1, \"read\": 1}, \"think\": \"5ms\","
        "   \"timeout\": \"100ms\", \"target\": \"random\"},"
        " \"faults\": [{\"nemesis\": \"random-crashes\", \"mttf\": \"2s\", \"mttr\": \"500ms\"},"
        "            {\"at\": \"3s\", \"partition\": [[\"c1\", \"n1\"]]}, {\"at\": \"6s\", \"heal\": true}]}", &scn);
    uint64_t info = check_well_formed(s);
    const sim_stats_t *st = sim_stats(s);
    /* The run exercised every ending, including the process renumbering after info. */
    assert_true(info > 50);
    assert_true(st->ops_fail > 50);
    assert_true(st->ops_ok > 500);
    const hist_t *h = sim_history(s);
    uint32_t max_proc = 0;
    for (uint32_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].process > max_proc) max_proc = h->ev[i].process;
    assert_true(max_proc >= 3 * 4);              /* fresh processes were opened */
    sim_destroy(s);
    scn_free(&scn);
}

/* Every process of the history names its client (sim_process_client), also one that
 * replaced another after a timeout and is long gone from its slot: the window places
 * stale reads on a client's row with it. The truth comes from the trace: each invoke
 * record follows its history event and names the client. */
typedef struct whose { const sim_t *s; uint32_t n; uint32_t ev[4096], client[4096]; } whose_t;

static void whose_listener(void *ud, const trace_rec_t *r)
{
    whose_t *w = ud;
    if (r->kind != TR_INVOKE || w->n == 4096) return;
    w->ev[w->n] = sim_history(w->s)->n_ev - 1;
    w->client[w->n++] = r->a;
}

static void test_workload_every_process_names_its_client(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 31, \"duration\": \"6s\", \"nodes\": 3,"
            " \"protocol\": {\"name\": \"gossip\", \"params\": {\"anti_entropy\": \"200ms\"}},"
            " \"network\": {\"latency\": {\"dist\": \"exponential\", \"mean\": \"20ms\"}, \"loss\": 0.15},"
            " \"workload\": {\"clients\": 3, \"concurrency\": 2, \"ops\": {\"write\": 1, \"read\": 1}, \"think\": \"20ms\","
            "   \"timeout\": \"100ms\", \"target\": \"random\"},"
            " \"faults\": [{\"nemesis\": \"random-crashes\", \"mttf\": \"2s\", \"mttr\": \"500ms\"}]}", &scn);
    static whose_t w;
    memset(&w, 0, sizeof w);
    sim_opts_t o = {0};
    o.trace = whose_listener;
    o.trace_ud = &w;
    sim_t *s = ts_create(&scn, &o);
    w.s = s;
    sim_run(s);
    const hist_t *h = sim_history(s);
    uint32_t replaced = 0;
    assert_true(w.n > 300);
    for (uint32_t i = 0; i < w.n; i++) {
        uint32_t process = h->ev[w.ev[i]].process;
        assert_int_equal(h->ev[w.ev[i]].type, HIST_INVOKE);
        if (sim_process_client(s, process) != w.client[i])
            fail_msg("process %u (history event %u) is said to be %u's, the trace says %u's", process, w.ev[i],
                     sim_process_client(s, process), w.client[i]);
        replaced += process >= 3 * 2;
    }
    assert_true(replaced > 50);                   /* processes opened after a timeout */
    assert_int_equal(sim_process_client(s, 1u << 30), UINT32_MAX);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_workload_outstanding_ops_end_info_at_finish(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 3, \"duration\": \"1s\", \"nodes\": 2, \"protocol\": \"echo\", \"network\": {\"latency\": \"300ms\"},"
         " \"workload\": {\"clients\": 1, \"ops\": {\"read\": 1}, \"rate\": \"20/s\", \"timeout\": \"5s\"}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run_until(s, sim_end(s));
    const hist_t *h = sim_history(s);
    uint64_t open_before = count_type(h, HIST_INVOKE) - count_type(h, HIST_OK) - count_type(h, HIST_FAIL) - count_type(h, HIST_INFO);
    assert_true(open_before > 0);
    uint64_t info_before = count_type(h, HIST_INFO);
    sim_finish(s);
    sim_finish(s);                               /* idempotent */
    h = sim_history(s);
    assert_int_equal(count_type(h, HIST_INFO), info_before + open_before);
    check_well_formed(s);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Limits. ------------------------------------------------------------------- */

static void test_workload_limit_is_honoured(void **state)
{
    scn_t scn;
    sim_t *s = run_json(
        "{\"seed\": 4, \"duration\": \"5s\", \"nodes\": 2, \"protocol\": \"echo\","
        " \"workload\": {\"clients\": 3, \"ops\": {\"write\": 1}, \"rate\": \"1000/s\", \"limit\": 37}}", &scn);
    assert_int_equal(sim_stats(s)->ops_invoked, 37);
    assert_int_equal(count_type(sim_history(s), HIST_INVOKE), 37);
    sim_destroy(s);
    scn_free(&scn);

    s = run_json(
        "{\"seed\": 4, \"duration\": \"5s\", \"nodes\": 2, \"protocol\": \"echo\","
        " \"workload\": {\"clients\": 3, \"concurrency\": 2, \"ops\": {\"write\": 1}, \"think\": \"1ms\", \"limit\": 25}}", &scn);
    assert_int_equal(sim_stats(s)->ops_invoked, 25);
    check_well_formed(s);
    sim_destroy(s);
    scn_free(&scn);
}

static void check_window(const char *loop, sim_time_t start, sim_time_t stop)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"seed\": 4, \"duration\": \"6s\", \"nodes\": 2, \"protocol\": \"echo\","
             " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1}, %s, \"start\": \"1s\", \"stop\": \"3s\"}}", loop);
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    ops_t ops = {0};
    sim_set_trace(s, ops_listener, &ops);
    sim_run(s);
    uint64_t invokes = 0;
    sim_time_t first = SIM_TIME_MAX, last = 0;
    for (size_t i = 0; i < ops.n; i++) {
        if (ops.v[i].kind != TR_INVOKE) continue;
        invokes++;
        if (ops.v[i].t < first) first = ops.v[i].t;
        if (ops.v[i].t > last) last = ops.v[i].t;
    }
    assert_true(invokes > 50);
    if (first < start) fail_msg("%s: an op at t=%lldns, before start", loop, (long long)first);
    if (last >= stop) fail_msg("%s: an op at t=%lldns, after stop", loop, (long long)last);
    assert_true(last > stop - 200 * SIM_MS);     /* it ran up to the stop */
    free(ops.v);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_workload_start_and_stop_are_honoured(void **state)
{
    check_window("\"rate\": \"100/s\"", SIM_SEC, 3 * SIM_SEC);
    check_window("\"think\": \"10ms\"", SIM_SEC, 3 * SIM_SEC);
}

static void test_workload_request_action_invokes_at_once(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 4, \"duration\": \"2s\", \"nodes\": 3, \"protocol\": \"echo\", \"network\": {\"latency\": \"1ms\"},"
         " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1}, \"keys\": 4, \"rate\": \"1/m\", \"start\": \"1m\"}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    ops_t ops = {0};
    sim_set_trace(s, ops_listener, &ops);
    sim_run_until(s, 500 * SIM_MS);
    sim_action_t a = {.kind = ACT_REQUEST, .node = 4, .node2 = 1, .op_f = SIM_OP_WRITE, .key = 3, .value = 99};
    assert_int_equal(sim_apply(s, &a), SIM_OK);
    sim_action_t bad = a;
    bad.node = 1;                                /* not a client */
    assert_int_equal(sim_apply(s, &bad), SIM_EINPUT);
    bad = a;
    bad.key = 4;                                 /* no such key */
    assert_int_equal(sim_apply(s, &bad), SIM_EINPUT);
    sim_run(s);
    bool invoked = false, done = false;
    for (size_t i = 0; i < ops.n; i++) {
        const trace_rec_t *r = &ops.v[i];
        if (r->kind == TR_INVOKE && r->t == 500 * SIM_MS) {
            invoked = true;
            assert_int_equal(r->a, 4);
            assert_int_equal(r->b, 1);
            assert_int_equal(r->x, 3);
            assert_int_equal(r->y, 99);
        }
        if (r->kind == TR_COMPLETE && r->t2 == 500 * SIM_MS) {
            done = true;
            assert_int_equal(r->reason, HIST_OK);
            assert_int_equal(r->t, 502 * SIM_MS);
        }
    }
    assert_true(invoked && done);
    free(ops.v);
    sim_destroy(s);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workload_open_loop_rate),
        cmocka_unit_test(test_workload_open_loop_sheds_when_slots_are_busy),
        cmocka_unit_test(test_workload_closed_loop_thinks_between_ops),
        cmocka_unit_test(test_workload_closed_loop_concurrency_is_per_client),
        cmocka_unit_test(test_workload_every_process_names_its_client),
        cmocka_unit_test(test_workload_timeouts_are_info_for_writes_and_fail_for_reads),
        cmocka_unit_test(test_workload_timeouts_when_every_server_is_down),
        cmocka_unit_test(test_workload_retries_on_unavailable),
        cmocka_unit_test(test_workload_retries_run_out_info_for_writes_fail_for_reads),
        cmocka_unit_test(test_workload_duplicated_write_out_of_retries_stays_possible),
        cmocka_unit_test(test_workload_follows_redirects),
        cmocka_unit_test(test_workload_follows_redirects_without_retries),
        cmocka_unit_test(test_workload_zipf_keys_skew_toward_key_zero),
        cmocka_unit_test(test_workload_uniform_keys_are_even),
        cmocka_unit_test(test_workload_history_is_well_formed_under_faults),
        cmocka_unit_test(test_workload_outstanding_ops_end_info_at_finish),
        cmocka_unit_test(test_workload_limit_is_honoured),
        cmocka_unit_test(test_workload_start_and_stop_are_honoured),
        cmocka_unit_test(test_workload_request_action_invokes_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
