/* test_gossip.c -- push flooding and push-pull anti-entropy.
 *
 * Protocol tests drive one node with scripted requests and messages (sim_inject,
 * sim_inject_request) and look at what it put in flight; end-to-end tests run a
 * partition and a crash and compare every node's exported set of values.
 */
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

enum { PUSH, SYNC, SYNC_REPLY };                 /* gossip's message types, as the protocol numbers them */
#define VALUES_MAX 4096

/* A node's values as it exports them, in its order. */
typedef struct vals { int64_t v[VALUES_MAX]; uint32_t n; } vals_t;

static void exported(sim_t *s, uint32_t node, vals_t *out)
{
    jw_t w;
    jw_init(&w, false);
    sim_export_node(s, node, &w);
    cJSON *o = cJSON_Parse(w.buf);
    if (!o) fail_msg("export of node %u is not JSON: %s", node, w.buf);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "values");
    assert_true(cJSON_IsArray(a));
    out->n = 0;
    for (const cJSON *e = a->child; e; e = e->next) {
        assert_true(out->n < VALUES_MAX);
        out->v[out->n++] = (int64_t)e->valuedouble;
    }
    cJSON_Delete(o);
    jw_free(&w);
}

static int cmp_i64(const void *x, const void *y)
{
    int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

static void sorted(vals_t *v) { qsort(v->v, v->n, sizeof v->v[0], cmp_i64); }

static bool contains(const vals_t *v, int64_t x)
{
    for (uint32_t i = 0; i < v->n; i++) if (v->v[i] == x) return true;
    return false;
}

static bool same_set(vals_t *a, vals_t *b)
{
    sorted(a);
    sorted(b);
    return a->n == b->n && memcmp(a->v, b->v, a->n * sizeof a->v[0]) == 0;
}

#define FLIGHTS_MAX 64

/* Messages in flight from one node of one type, oldest first; fails past FLIGHTS_MAX. */
static int in_flight(sim_t *s, uint32_t from, const char *type, kit_flight_t *out)
{
    kit_t *k = kit_wrap(s);
    int n = kit_flights(k, from, KIT_ANY, type, out, FLIGHTS_MAX);
    if (n < 0 || n > FLIGHTS_MAX) fail_msg("%d %s messages from node %u: %s", n, type, from, kit_error(k));
    kit_destroy(k);
    return n;
}

/* Pushes of value v from a node. */
static int pushes_of(sim_t *s, uint32_t from, int64_t v)
{
    kit_flight_t f[FLIGHTS_MAX];
    int count = in_flight(s, from, "push", f);
    int n = 0;
    for (int i = 0; i < count; i++) {
        int64_t x;
        assert_int_equal(f[i].len, sizeof x);
        memcpy(&x, f[i].payload, sizeof x);
        if (x == v) {
            n++;
            assert_true(f[i].to < sim_n_servers(s));
            assert_int_not_equal(f[i].to, from);
        }
    }
    return n;
}

static const char *const quiet_json =
    "{\"duration\": \"10s\", \"nodes\": 5,"
    " \"protocol\": {\"name\": \"gossip\", \"params\": {\"fanout\": 3, \"anti_entropy\": \"0s\"}},"
    " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"1/m\", \"start\": \"1m\"}}";

#define CLIENT 5u

/* The one reply to op_id from a server, to the client; its values copied out. */
static void reply_to(sim_t *s, uint32_t from, uint64_t op_id, kit_reply_t *head, int64_t *values, uint32_t max)
{
    kit_t *k = kit_wrap(s);
    if (kit_reply_to(k, from, op_id, head) != SIM_OK) fail_msg("%s", kit_error(k));
    kit_destroy(k);
    assert_int_equal(head->to, CLIENT);
    assert_true(head->n <= max);
    if (head->n) memcpy(values, head->values, head->n * sizeof(int64_t));
    head->values = values;
}

/* ---- Driving one node. --------------------------------------------------------- */

static void test_gossip_write_is_acknowledged_and_pushed(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_req_t req = {.client = CLIENT, .op_id = 11, .f = SIM_OP_WRITE, .key = 0, .value = 42};
    assert_int_equal(sim_inject_request(s, 0, &req), SIM_OK);
    kit_reply_t h;
    int64_t v[4];
    reply_to(s, 0, 11, &h, v, 4);
    assert_int_equal(h.status, SIM_REPLY_OK);
    assert_int_equal(h.n, 1);
    assert_int_equal(v[0], 42);
    assert_int_equal(pushes_of(s, 0, 42), 3);
    vals_t *got = malloc(sizeof *got);
    exported(s, 0, got);
    assert_int_equal(got->n, 1);
    assert_int_equal(got->v[0], 42);

    /* The same value again is acknowledged but not pushed again. */
    req.op_id = 12;
    assert_int_equal(sim_inject_request(s, 0, &req), SIM_OK);
    reply_to(s, 0, 12, &h, v, 4);
    assert_int_equal(h.status, SIM_REPLY_OK);
    assert_int_equal(pushes_of(s, 0, 42), 3);
    exported(s, 0, got);
    assert_int_equal(got->n, 1);
    free(got);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_gossip_push_spreads_a_new_value_only(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    int64_t x = 77;
    assert_int_equal(sim_inject(s, 2, 1, PUSH, &x, sizeof x), SIM_OK);
    assert_int_equal(pushes_of(s, 1, 77), 3);
    assert_int_equal(sim_inject(s, 3, 1, PUSH, &x, sizeof x), SIM_OK);
    assert_int_equal(pushes_of(s, 1, 77), 3);             /* it had it: silent */
    /* A malformed push (two values) is ignored. */
    int64_t two[2] = {5, 6};
    assert_int_equal(sim_inject(s, 2, 1, PUSH, two, sizeof two), SIM_OK);
    vals_t *got = malloc(sizeof *got);
    exported(s, 1, got);
    assert_int_equal(got->n, 1);
    assert_int_equal(got->v[0], 77);
    free(got);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_gossip_read_returns_the_set(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    kit_reply_t h;
    int64_t v[16];
    /* An empty node answers an empty list, still a list. */
    sim_req_t rd = {.client = CLIENT, .op_id = 1, .f = SIM_OP_READ};
    assert_int_equal(sim_inject_request(s, 4, &rd), SIM_OK);
    reply_to(s, 4, 1, &h, v, 16);
    assert_int_equal(h.status, SIM_REPLY_OK);
    assert_int_equal(h.n, 0);
    assert_int_equal(h.list, 1);

    int64_t in[] = {30, 10, 20};
    for (int i = 0; i < 3; i++) assert_int_equal(sim_inject(s, 0, 4, PUSH, &in[i], sizeof in[i]), SIM_OK);
    rd.op_id = 2;
    assert_int_equal(sim_inject_request(s, 4, &rd), SIM_OK);
    reply_to(s, 4, 2, &h, v, 16);
    assert_int_equal(h.status, SIM_REPLY_OK);
    assert_int_equal(h.list, 1);
    assert_int_equal(h.n, 3);
    for (int i = 0; i < 3; i++) assert_int_equal(v[i], in[i]);       /* in arrival order */

    /* One value is a list too. */
    rd.op_id = 3;
    int64_t one = 9;
    assert_int_equal(sim_inject(s, 0, 3, PUSH, &one, sizeof one), SIM_OK);
    assert_int_equal(sim_inject_request(s, 3, &rd), SIM_OK);
    reply_to(s, 3, 3, &h, v, 16);
    assert_int_equal(h.list, 1);
    assert_int_equal(h.n, 1);
    assert_int_equal(v[0], 9);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_gossip_other_operations_fail(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    kit_reply_t h;
    int64_t v[4];
    sim_req_t cas = {.client = CLIENT, .op_id = 5, .f = SIM_OP_CAS, .value = 1, .value2 = 2};
    assert_int_equal(sim_inject_request(s, 2, &cas), SIM_OK);
    reply_to(s, 2, 5, &h, v, 4);
    assert_int_equal(h.status, SIM_REPLY_FAIL);
    assert_int_equal(pushes_of(s, 2, 2), 0);
    vals_t *got = malloc(sizeof *got);
    exported(s, 2, got);
    assert_int_equal(got->n, 0);
    free(got);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_gossip_sync_answers_with_its_set_and_merges(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    int64_t mine = 5;
    assert_int_equal(sim_inject(s, 1, 0, PUSH, &mine, sizeof mine), SIM_OK);
    int64_t theirs[] = {6, 5, 7};
    assert_int_equal(sim_inject(s, 2, 0, SYNC, theirs, sizeof theirs), SIM_OK);
    /* The answer is the set as it was before the merge. */
    kit_flight_t f[FLIGHTS_MAX];
    assert_int_equal(in_flight(s, 0, "sync-reply", f), 1);
    assert_int_equal(f[0].to, 2);
    assert_int_equal(f[0].len, sizeof(int64_t));
    int64_t x;
    memcpy(&x, f[0].payload, sizeof x);
    assert_int_equal(x, 5);
    vals_t *got = malloc(sizeof *got);
    exported(s, 0, got);
    assert_int_equal(got->n, 3);
    assert_true(contains(got, 5) && contains(got, 6) && contains(got, 7));
    /* Anti-entropy does not flood: what it learned is not pushed. */
    assert_int_equal(pushes_of(s, 0, 6), 0);
    assert_int_equal(pushes_of(s, 0, 7), 0);

    /* A reply merges too, and answers nothing. */
    int64_t back[] = {8, 6};
    assert_int_equal(sim_inject(s, 3, 0, SYNC_REPLY, back, sizeof back), SIM_OK);
    exported(s, 0, got);
    assert_int_equal(got->n, 4);
    assert_true(contains(got, 8));
    assert_int_equal(in_flight(s, 0, "sync-reply", f), 1);
    assert_int_equal(in_flight(s, 0, "sync", f), 0);
    free(got);
    sim_destroy(s);
    scn_free(&scn);
}

/* Stops stepping when the node's timer fires. */
typedef struct timer_seen { uint32_t node; bool fired; } timer_seen_t;
static void timer_listener(void *ud, const trace_rec_t *r)
{
    timer_seen_t *t = ud;
    if (r->kind == TR_TIMER && r->a == t->node) t->fired = true;
}

static void test_gossip_anti_entropy_timer_sends_the_whole_set(void **state)
{
    scn_t scn;
    ts_load("{\"duration\": \"10s\", \"nodes\": 4,"
         " \"protocol\": {\"name\": \"gossip\", \"params\": {\"fanout\": 1, \"anti_entropy\": \"1s\"}}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    int64_t in[] = {3, 1, 4};
    for (int i = 0; i < 3; i++) assert_int_equal(sim_inject(s, 1, 2, PUSH, &in[i], sizeof in[i]), SIM_OK);
    timer_seen_t t = {.node = 2};
    sim_set_trace(s, timer_listener, &t);
    while (!t.fired && sim_step(s)) {}
    assert_true(t.fired);
    assert_true(sim_time(s) <= SIM_SEC);          /* the first period has a random phase below it */
    kit_flight_t f[FLIGHTS_MAX];
    assert_int_equal(in_flight(s, 2, "sync", f), 1);
    assert_true(f[0].to < 4 && f[0].to != 2);
    assert_int_equal(f[0].len, 3 * sizeof(int64_t));
    for (int i = 0; i < 3; i++) {
        int64_t x;
        memcpy(&x, (const uint8_t *)f[0].payload + i * sizeof x, sizeof x);
        assert_int_equal(x, in[i]);
    }
    /* And it re-arms: a second sync one period later. */
    sim_time_t first = sim_time(s);
    t.fired = false;
    while (!t.fired && sim_step(s)) {}
    assert_int_equal(sim_time(s), first + SIM_SEC);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- End to end. --------------------------------------------------------------- */

static const char *const partition_json =
    "{\"seed\": 42, \"duration\": \"30s\", \"nodes\": 5,"
    " \"protocol\": {\"name\": \"gossip\", \"params\": {\"fanout\": 2, \"anti_entropy\": \"1s\"}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"10ms\", \"max\": \"15ms\"}, \"loss\": 0.01,"
    "   \"links\": [{\"from\": \"n1\", \"to\": \"n2\", \"latency\": \"80ms\"}]},"
    " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 0.5, \"read\": 0.5}, \"keys\": 10, \"rate\": \"50/s\","
    "   \"timeout\": \"1s\", \"target\": \"random\", \"stop\": \"%s\"},"
    " \"faults\": [{\"at\": \"5s\", \"partition\": [[\"n1\", \"n2\"], [\"n3\", \"n4\", \"n5\"]]},"
    "   {\"at\": \"12s\", \"heal\": true}%s]}";

/* Every value a client was told was written. */
static void acknowledged_writes(const sim_t *s, vals_t *out)
{
    const hist_t *h = sim_history(s);
    out->n = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        if (e->type != HIST_OK || strcmp(hist_f_name(h, e), "write") != 0) continue;
        assert_true(out->n < VALUES_MAX);
        out->v[out->n++] = hist_vals(h, e)[0];
    }
}

static void check_converged(sim_t *s)
{
    vals_t *first = malloc(sizeof *first), *other = malloc(sizeof *other), *acked = malloc(sizeof *acked);
    exported(s, 0, first);
    assert_true(first->n > 100);
    for (uint32_t n = 1; n < 5; n++) {
        exported(s, n, other);
        if (!same_set(first, other)) fail_msg("n%u holds %u values, n1 holds %u: not the same set", n + 1, other->n, first->n);
    }
    acknowledged_writes(s, acked);
    assert_true(acked->n > 100);
    for (uint32_t i = 0; i < acked->n; i++)
        if (!contains(first, acked->v[i])) fail_msg("the acknowledged write %lld is missing", (long long)acked->v[i]);
    free(first);
    free(other);
    free(acked);
}

static void test_gossip_anti_entropy_converges_after_a_partition(void **state)
{
    char json[2048];
    snprintf(json, sizeof json, partition_json, "20s", "");
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    /* Late in the partition the two sides hold different sets: each misses the other's writes. */
    sim_run_until(s, 11900 * SIM_MS);
    vals_t *left = malloc(sizeof *left), *right = malloc(sizeof *right);
    exported(s, 0, left);
    exported(s, 2, right);
    uint32_t only_left = 0, only_right = 0;
    for (uint32_t i = 0; i < left->n; i++) only_left += !contains(right, left->v[i]);
    for (uint32_t i = 0; i < right->n; i++) only_right += !contains(left, right->v[i]);
    assert_true(only_left > 10);
    assert_true(only_right > 10);
    free(left);
    free(right);
    sim_run(s);
    check_converged(s);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_gossip_crashed_node_restarts_empty_and_refills(void **state)
{
    char json[2048];
    snprintf(json, sizeof json, partition_json, "25s", ", {\"at\": \"15s\", \"crash\": \"n3\"}, {\"at\": \"18s\", \"restart\": \"n3\"}");
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    vals_t *v = malloc(sizeof *v);
    sim_run_until(s, 14900 * SIM_MS);
    exported(s, 2, v);
    assert_true(v->n > 100);
    sim_run_until(s, 17 * SIM_SEC);
    assert_false(sim_node_up(s, 2));
    /* Step to the restart and look at once: init has run and nothing has arrived. */
    while (!sim_node_up(s, 2)) assert_true(sim_step(s));
    assert_int_equal(sim_time(s), 18 * SIM_SEC);
    exported(s, 2, v);
    assert_int_equal(v->n, 0);
    proto_desc_t d;
    sim_describe(s, 2, &d);
    assert_int_equal(d.log_len, 0);
    sim_run(s);
    check_converged(s);
    free(v);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_gossip_max_values_bound_halts_clearly(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 3, \"duration\": \"10s\", \"nodes\": 3,"
         " \"protocol\": {\"name\": \"gossip\", \"params\": {\"max_values\": 6, \"anti_entropy\": \"500ms\"}},"
         " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"20/s\"}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    assert_null(sim_error(s));
    sim_run(s);
    const char *e = sim_error(s);
    assert_non_null(e);
    assert_true(sim_stopped(s));
    if (!strstr(e, "max_values") || !strstr(e, "protocol.params.max_values") || !strstr(e, "(8)"))
        fail_msg("unclear message: %s", e);
    assert_true(strstr(e, "n1") || strstr(e, "n2") || strstr(e, "n3"));
    /* It stopped where the bound was hit, well before the end, and stays stopped. */
    assert_true(sim_time(s) < SIM_SEC);
    sim_time_t at = sim_time(s);
    assert_false(sim_step(s));
    assert_int_equal(sim_time(s), at);
    /* The node that hit it holds exactly max_values (rounded up to 8). */
    vals_t *v = malloc(sizeof *v);
    uint32_t full = 0;
    for (uint32_t n = 0; n < 3; n++) {
        exported(s, n, v);
        assert_true(v->n <= 8);
        full += v->n == 8;
    }
    assert_true(full >= 1);
    free(v);
    sim_destroy(s);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gossip_write_is_acknowledged_and_pushed),
        cmocka_unit_test(test_gossip_push_spreads_a_new_value_only),
        cmocka_unit_test(test_gossip_read_returns_the_set),
        cmocka_unit_test(test_gossip_other_operations_fail),
        cmocka_unit_test(test_gossip_sync_answers_with_its_set_and_merges),
        cmocka_unit_test(test_gossip_anti_entropy_timer_sends_the_whole_set),
        cmocka_unit_test(test_gossip_anti_entropy_converges_after_a_partition),
        cmocka_unit_test(test_gossip_crashed_node_restarts_empty_and_refills),
        cmocka_unit_test(test_gossip_max_values_bound_halts_clearly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
