/* test_epidemic.c -- anti-entropy and rumor mongering, against Demers et al. 1987.
 *
 * One node is driven with scripted messages to check what it sends and when it loses
 * interest; whole runs check the measurements the paper is about: the residue of rumor
 * mongering falls with k as the analysis says, push rumor mongering keeps s close to
 * e^-m, anti-entropy reaches everyone (push-pull faster than push), traffic is counted
 * exactly, and backup anti-entropy repairs the residue. Runs are deterministic.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cJSON.h>
#include "kit/kit.h"
#include "support.h"

/* epidemic.c's wire format: a header, then updates, then ids. */
typedef struct hdr { uint32_t flags, n_updates, n_ids, pad; } hdr_t;
typedef struct wire { int64_t value; sim_time_t born_ns; uint32_t origin, pad; } wire_t;
enum { RUMOR, RUMOR_REPLY, FEEDBACK, DIGEST, DIGEST_REPLY, UPDATES };
#define WANT_REPLY 1u

/* ---- Helpers. -------------------------------------------------------------------- */

static cJSON *stats_of(sim_t *s)
{
    jw_t w;
    jw_init(&w, false);
    sim_write_summary(s, &w, 0);
    cJSON *j = cJSON_Parse(w.buf);
    jw_free(&w);
    assert_non_null(j);
    return j;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) fail_msg("no number \"%s\"", key);
    return v->valuedouble;
}

static const cJSON *pstats(const cJSON *summary) { return cJSON_GetObjectItemCaseSensitive(summary, "protocol_stats"); }

static cJSON *export_json(sim_t *s, uint32_t node)
{
    jw_t w;
    jw_init(&w, false);
    sim_export_node(s, node, &w);
    cJSON *j = cJSON_Parse(w.buf);
    jw_free(&w);
    assert_non_null(j);
    return j;
}

/* The i-th update a node holds, from its export. */
static const cJSON *held(const cJSON *exp, int i) { return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(exp, "updates"), i); }

static void inject(sim_t *s, uint32_t from, uint32_t to, unsigned type, uint32_t flags,
                   const wire_t *upd, uint32_t n_upd, const int64_t *ids, uint32_t n_ids)
{
    uint8_t buf[512];
    hdr_t h = {flags, n_upd, n_ids, 0};
    size_t len = sizeof h + n_upd * sizeof *upd + n_ids * sizeof *ids;
    assert_true(len <= sizeof buf);
    memcpy(buf, &h, sizeof h);
    if (n_upd) memcpy(buf + sizeof h, upd, n_upd * sizeof *upd);
    if (n_ids) memcpy(buf + sizeof h + n_upd * sizeof *upd, ids, n_ids * sizeof *ids);
    int64_t aligned[64];
    memcpy(aligned, buf, len);
    assert_int_equal(sim_inject(s, from, to, type, aligned, (uint32_t)len), SIM_OK);
}

/* Protocol messages in flight from one node. */
typedef struct seen {
    uint32_t from;
    int count[6];
    uint32_t to[6];
    hdr_t h[6];
    int64_t first_value[6];          /* first update's value, or first id */
} seen_t;

#define SEEN_MAX 64

static seen_t in_flight(sim_t *s, uint32_t from)
{
    seen_t sn;
    memset(&sn, 0, sizeof sn);
    sn.from = from;
    kit_t *k = kit_wrap(s);
    kit_flight_t f[SEEN_MAX];
    int n = kit_flights(k, from, KIT_ANY, NULL, f, SEEN_MAX);
    assert_true(n >= 0 && n <= SEEN_MAX);
    for (int i = 0; i < n; i++) {
        if (f[i].type_index < 0) continue;           /* requests and replies */
        int t = f[i].type_index;
        assert_true(t < 6 && f[i].len >= sizeof(hdr_t));
        sn.count[t]++;
        sn.to[t] = f[i].to;
        memcpy(&sn.h[t], f[i].payload, sizeof(hdr_t));
        const uint8_t *p = (const uint8_t *)f[i].payload + sizeof(hdr_t);
        if (sn.h[t].n_updates) memcpy(&sn.first_value[t], p, sizeof(int64_t));
        else if (sn.h[t].n_ids) memcpy(&sn.first_value[t], p, sizeof(int64_t));
    }
    kit_destroy(k);
    return sn;
}

/* The reply to a request, by op id, with its first values copied out. */
typedef struct rep { kit_reply_t head; int64_t v[8]; } rep_t;

static rep_t request(sim_t *s, uint32_t node, sim_op_t f, int64_t value)
{
    static uint64_t op = 500;
    sim_req_t req = {.client = sim_n_servers(s), .op_id = ++op, .f = (uint8_t)f, .value = value};
    assert_int_equal(sim_inject_request(s, node, &req), SIM_OK);
    kit_t *k = kit_wrap(s);
    rep_t r = {0};
    if (kit_reply_to(k, KIT_ANY, req.op_id, &r.head) != SIM_OK) fail_msg("%s", kit_error(k));
    kit_destroy(k);
    if (r.head.n) memcpy(r.v, r.head.values, (r.head.n < 8 ? r.head.n : 8) * sizeof(int64_t));
    r.head.values = NULL;         /* points into flight, which moves on: read r.v */
    return r;
}

/* ---- One node, driven by scripted messages. -------------------------------------- */

static const char *small_fmt =
    "{\"duration\": \"20s\", \"nodes\": 3, \"network\": {\"latency\": \"1ms\"},"
    " \"protocol\": {\"name\": \"epidemic\", \"params\": {\"mode\": \"rumor\", \"exchange\": \"%s\", \"k\": 1, \"period\": \"1s\"}},"
    " \"workload\": {\"clients\": 1, \"ops\": {\"read\": 1}, \"rate\": \"1/m\", \"start\": \"1m\"}}";

static sim_t *small(const char *exchange, scn_t *scn)
{
    char json[600];
    snprintf(json, sizeof json, small_fmt, exchange);
    ts_load(json, scn);
    return ts_create_seed(scn, 0);
}

static void test_epidemic_push_node_spreads_then_loses_interest_on_feedback(void **state)
{
    scn_t scn;
    sim_t *s = small("push", &scn);
    wire_t u = {42, 0, 1, 0};
    /* A new rumor: node 0 keeps it, hot, and says nothing (push with feedback only
     * answers contacts that were unnecessary). */
    inject(s, 1, 0, RUMOR, 0, &u, 1, NULL, 0);
    seen_t sn = in_flight(s, 0);
    for (int t = 0; t < 6; t++) assert_int_equal(sn.count[t], 0);
    cJSON *e = export_json(s, 0);
    assert_int_equal(num(held(e, 0), "value"), 42);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(held(e, 0), "hot")));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(held(e, 0), "via")->valuestring, "rumor");
    cJSON_Delete(e);
    /* The same rumor again: node 0 already knew it and tells the sender so. */
    inject(s, 2, 0, RUMOR, 0, &u, 1, NULL, 0);
    sn = in_flight(s, 0);
    assert_int_equal(sn.count[RUMOR_REPLY], 1);
    assert_int_equal(sn.to[RUMOR_REPLY], 2);
    assert_int_equal(sn.h[RUMOR_REPLY].n_updates, 0);
    assert_int_equal(sn.h[RUMOR_REPLY].n_ids, 1);
    assert_int_equal(sn.first_value[RUMOR_REPLY], 42);
    /* At its first cycle (t = 1s on its clock) node 0 pushes the hot rumor to a peer. */
    sim_run_until(s, SIM_SEC + SIM_US);
    sn = in_flight(s, 0);
    assert_int_equal(sn.count[RUMOR], 1);
    assert_int_equal(sn.h[RUMOR].n_updates, 1);
    assert_int_equal(sn.h[RUMOR].flags & WANT_REPLY, 0);
    assert_int_equal(sn.first_value[RUMOR], 42);
    e = export_json(s, 0);
    assert_int_equal(num(held(e, 0), "sent"), 1);
    assert_int_equal(num(e, "messages_sent"), 2);
    assert_int_equal(num(e, "updates_sent"), 1);
    cJSON_Delete(e);
    /* Feedback that the contact was unnecessary: with counter k = 1, node 0 stops. */
    int64_t id = 42;
    inject(s, 2, 0, RUMOR_REPLY, 0, NULL, 0, &id, 1);
    e = export_json(s, 0);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(held(e, 0), "hot")));
    assert_int_equal(num(held(e, 0), "counter"), 1);
    cJSON_Delete(e);
    /* Clients: a write is a new update here; a read lists the updates in arrival order. */
    rep_t r = request(s, 0, SIM_OP_WRITE, 43);
    assert_int_equal(r.head.status, SIM_REPLY_OK);
    r = request(s, 0, SIM_OP_READ, 0);
    assert_true(r.head.list);
    assert_int_equal(r.head.n, 2);
    assert_int_equal(r.v[0], 42);
    assert_int_equal(r.v[1], 43);
    assert_int_equal(request(s, 0, SIM_OP_CAS, 1).head.status, SIM_REPLY_FAIL);
    /* A malformed message changes nothing. */
    int64_t junk[2] = {1, 2};
    assert_int_equal(sim_inject(s, 1, 0, RUMOR, junk, sizeof junk), SIM_OK);
    e = export_json(s, 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "updates")), 2);
    cJSON_Delete(e);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_epidemic_pull_request_gets_hot_rumors_and_feedback_cools_them(void **state)
{
    scn_t scn;
    sim_t *s = small("pull", &scn);
    assert_int_equal(request(s, 0, SIM_OP_WRITE, 5).head.status, SIM_REPLY_OK);     /* hot at node 0 */
    inject(s, 1, 0, RUMOR, WANT_REPLY, NULL, 0, NULL, 0);                   /* node 1 pulls */
    seen_t sn = in_flight(s, 0);
    assert_int_equal(sn.count[RUMOR_REPLY], 1);
    assert_int_equal(sn.to[RUMOR_REPLY], 1);
    assert_int_equal(sn.h[RUMOR_REPLY].n_updates, 1);
    assert_int_equal(sn.first_value[RUMOR_REPLY], 5);
    /* Node 1 says it already knew: node 0 (k = 1) loses interest. */
    int64_t id = 5;
    inject(s, 1, 0, FEEDBACK, 0, NULL, 0, &id, 1);
    cJSON *e = export_json(s, 0);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(held(e, 0), "hot")));
    cJSON_Delete(e);
    /* A second pull finds nothing hot, so no reply. */
    sim_destroy(s);
    scn_free(&scn);
    s = small("pull", &scn);
    inject(s, 1, 0, RUMOR, WANT_REPLY, NULL, 0, NULL, 0);
    sn = in_flight(s, 0);
    assert_int_equal(sn.count[RUMOR_REPLY], 0);
    sim_destroy(s);
    scn_free(&scn);
}

/* Anti-entropy by digest (push-pull): the partner sends what we lack and asks for what
 * it lacks. Updates learned this way are kept but not spread as rumors. */
static void test_epidemic_digest_exchange_sends_what_each_side_lacks(void **state)
{
    scn_t scn;
    sim_t *s = small("push", &scn);
    request(s, 0, SIM_OP_WRITE, 10);
    request(s, 0, SIM_OP_WRITE, 11);
    int64_t ids[2] = {10, 99};               /* node 1 has 10 and 99, lacks 11 */
    inject(s, 1, 0, DIGEST, 2u | 4u, NULL, 0, ids, 2);
    seen_t sn = in_flight(s, 0);
    assert_int_equal(sn.count[DIGEST_REPLY], 1);
    assert_int_equal(sn.to[DIGEST_REPLY], 1);
    assert_int_equal(sn.h[DIGEST_REPLY].n_updates, 1);     /* 11, which node 1 lacks */
    assert_int_equal(sn.first_value[DIGEST_REPLY], 11);
    assert_int_equal(sn.h[DIGEST_REPLY].n_ids, 1);         /* and it wants 99 */
    /* Node 1 answers a digest of node 0's with 99 and a request for 10. */
    wire_t u = {99, 0, 1, 0};
    int64_t want = 10;
    inject(s, 1, 0, DIGEST_REPLY, 0, &u, 1, &want, 1);
    sn = in_flight(s, 0);
    assert_int_equal(sn.count[UPDATES], 1);
    assert_int_equal(sn.h[UPDATES].n_updates, 1);
    assert_int_equal(sn.first_value[UPDATES], 10);
    cJSON *e = export_json(s, 0);
    const cJSON *x = held(e, 2);
    assert_int_equal(num(x, "value"), 99);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(x, "via")->valuestring, "anti-entropy");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(x, "hot")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(held(e, 0), "hot")));   /* the client's */
    cJSON_Delete(e);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Whole runs, against the paper. ---------------------------------------------- */

typedef struct measured { double residue, traffic, model, still_hot; } measured_t;

static measured_t run_scenario(const char *path, uint64_t seed)
{
    scn_t scn;
    ts_load_file(path, &scn);
    sim_t *s = ts_create_seed(&scn, seed);
    sim_run(s);
    cJSON *j = stats_of(s);
    const cJSON *p = pstats(j);
    measured_t m = {num(p, "residue"), num(p, "traffic"), num(p, "model_residue"), num(p, "still_hot")};
    assert_int_equal(num(p, "updates"), 30);
    cJSON_Delete(j);
    sim_destroy(s);
    scn_free(&scn);
    return m;
}

/* Push, feedback, counter on 500 nodes, averaged over 4 seeds of 30 updates each. The
 * paper's equation s = e^{-(k+1)(1-s)} (section 1.4) gives 0.203 for k = 1 and 0.0198
 * for k = 3; its Table 1 (1000 sites) gives s = 0.18, m = 1.7 and s = 0.011, m = 4.5.
 * The bands hold both and the sampling noise of 120 updates. */
static void test_epidemic_rumor_k1_leaves_more_residue_than_k3(void **state)
{
    double s1 = 0, s3 = 0, m1 = 0, m3 = 0;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        measured_t a = run_scenario("scenarios/epidemic-rumor-k1.json", seed);
        measured_t b = run_scenario("scenarios/epidemic-rumor-k3.json", seed);
        assert_true(a.still_hot == 0 && b.still_hot == 0);      /* the epidemics had ended */
        assert_true(fabs(a.model - 0.2032) < 1e-3);
        assert_true(fabs(b.model - 0.0198) < 1e-3);
        /* Push rumor mongering: residue and traffic are tied by s = e^-m. */
        assert_true(fabs(a.residue - exp(-a.traffic)) < 0.02);
        assert_true(fabs(b.residue - exp(-b.traffic)) < 0.01);
        s1 += a.residue / 4;
        s3 += b.residue / 4;
        m1 += a.traffic / 4;
        m3 += b.traffic / 4;
    }
    print_message("    k=1: s = %.4f, m = %.3f   k=3: s = %.4f, m = %.3f\n", s1, m1, s3, m3);
    assert_true(s1 > 4 * s3);
    assert_true(s1 > 0.15 && s1 < 0.25);
    assert_true(s3 > 0.004 && s3 < 0.035);
    assert_true(m1 > 1.4 && m1 < 1.9);
    assert_true(m3 > 3.5 && m3 < 4.7);
}

static const char *ae_fmt =
    "{\"seed\": 4, \"duration\": \"30s\", \"nodes\": 200, \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"10ms\"}},"
    " \"protocol\": {\"name\": \"epidemic\", \"params\": {\"mode\": \"anti-entropy\", \"exchange\": \"%s\"}},"
    " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"20/s\", \"limit\": 10, \"stop\": \"2s\"}}";

static double ae_t_last(const char *exchange, bool check_everyone, double *traffic)
{
    char json[600];
    snprintf(json, sizeof json, ae_fmt, exchange);
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create_seed(&scn, 0);
    sim_run(s);
    cJSON *j = stats_of(s);
    const cJSON *p = pstats(j);
    assert_int_equal(num(p, "updates"), 10);
    assert_true(num(p, "residue") == 0);
    double t_last = num(p, "t_last_cycles");
    *traffic = num(p, "traffic");
    if (check_everyone) {
        for (uint32_t i = 0; i < sim_n_servers(s); i++) {
            cJSON *e = export_json(s, i);
            assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "updates")), 10);
            cJSON_Delete(e);
        }
        assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "convergence_ns")));
    }
    cJSON_Delete(j);
    sim_destroy(s);
    scn_free(&scn);
    return t_last;
}

static void test_epidemic_anti_entropy_push_pull_reaches_everyone(void **state)
{
    double m_pp, m_push, m_pull;
    double pp = ae_t_last("push-pull", true, &m_pp), push = ae_t_last("push", false, &m_push), pull = ae_t_last("pull", false, &m_pull);
    print_message("    t_last in cycles: push %.2f, pull %.2f, push-pull %.2f\n", push, pull, pp);
    /* Pull traffic is exact: a node asks one peer per cycle, so it receives each
     * update once, and each update travels n - 1 times. Pushers can collide. */
    assert_true(fabs(m_pull - 199.0 / 200) < 1e-9);
    assert_true(m_push >= m_pull && m_pp >= m_pull);
    /* Section 1.3: push-pull and pull finish well before push (log2 n + ln n ~ 13). */
    assert_true(pp < pull && pull < push);
    assert_true(pp < 9 && push > 10);
}

/* Blind counter k: every node that hears the rumor pushes it exactly k times, so the
 * traffic is k times the nodes reached, and every rumor message carries one update. */
static void test_epidemic_traffic_counts_k_sends_per_reached_node(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 9, \"duration\": \"40s\", \"nodes\": 300, \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"10ms\"}},"
         " \"protocol\": {\"name\": \"epidemic\", \"params\": {\"feedback\": \"blind\", \"stop\": \"counter\", \"k\": 3}},"
         " \"workload\": {\"clients\": 1, \"ops\": {\"read\": 1}, \"rate\": \"1/m\", \"start\": \"1m\"},"
         " \"faults\": [{\"at\": \"500ms\", \"request\": {\"client\": \"c1\", \"node\": \"n7\", \"f\": \"write\", \"value\": 99}}]}", &scn);
    sim_t *s = ts_create_seed(&scn, 0);
    sim_run(s);
    cJSON *j = stats_of(s);
    const cJSON *p = pstats(j);
    assert_int_equal(num(p, "updates"), 1);
    assert_int_equal(num(p, "still_hot"), 0);
    long reached = lround(300 * (1 - num(p, "residue")));
    long sends = lround(300 * num(p, "traffic"));
    assert_true(reached > 200);
    assert_int_equal(sends, 3 * reached);
    const sim_stats_t *st = sim_stats(s);
    assert_int_equal(st->sent_by_type[SIM_MSG_BUILTIN + RUMOR], (uint64_t)sends);
    assert_int_equal(st->sent_by_type[SIM_MSG_BUILTIN + RUMOR_REPLY], 0);     /* blind: no feedback */
    assert_int_equal(lround(300 * num(p, "messages_per_node")), sends);
    /* Blind with counter or coin: the final size follows s = e^{-k(1-s)} = 0.0595. */
    assert_true(fabs(num(p, "model_residue") - 0.0595) < 1e-3);
    cJSON_Delete(j);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_epidemic_backup_anti_entropy_repairs_the_residue(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 3, \"duration\": \"60s\", \"nodes\": 200, \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"10ms\"}},"
         " \"protocol\": {\"name\": \"epidemic\", \"params\": {\"k\": 1, \"backup_anti_entropy\": \"5s\"}},"
         " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"20/s\", \"limit\": 10, \"stop\": \"2s\"}}", &scn);
    sim_t *s = ts_create_seed(&scn, 0);
    sim_run(s);
    cJSON *j = stats_of(s);
    const cJSON *p = pstats(j);
    assert_true(num(p, "residue_rumor") > 0.1);     /* rumor mongering alone left nodes out */
    assert_true(num(p, "residue") == 0);            /* anti-entropy found them */
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "convergence_ns")));
    cJSON_Delete(j);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_epidemic_same_seed_same_trace_hash(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/epidemic-rumor-k2.json", &scn);
    ts_assert_seed_decides(&scn, 5, 6);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_epidemic_push_node_spreads_then_loses_interest_on_feedback),
        cmocka_unit_test(test_epidemic_pull_request_gets_hot_rumors_and_feedback_cools_them),
        cmocka_unit_test(test_epidemic_digest_exchange_sends_what_each_side_lacks),
        cmocka_unit_test(test_epidemic_rumor_k1_leaves_more_residue_than_k3),
        cmocka_unit_test(test_epidemic_anti_entropy_push_pull_reaches_everyone),
        cmocka_unit_test(test_epidemic_traffic_counts_k_sends_per_reached_node),
        cmocka_unit_test(test_epidemic_backup_anti_entropy_repairs_the_residue),
        cmocka_unit_test(test_epidemic_same_seed_same_trace_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
