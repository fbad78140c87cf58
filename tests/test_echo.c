/* test_echo.c -- the echo protocol: one reply per request, carrying the request's
 * operation id and value; and echo end to end, where only the network decides.
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
#include "core/sim_int.h"
#include "support.h"

/* The replies in flight from one server, by op id. */
typedef struct replies {
    uint32_t from;
    uint64_t op_id;
    int count;
    uint32_t to;
    reply_msg_t head;
    int64_t value;
    bool bad;
} replies_t;

static void find_replies(void *ud, const sim_flight_t *f)
{
    replies_t *r = ud;
    if (f->from != r->from || f->type != 1) return;
    if (f->len < sizeof(reply_msg_t)) { r->bad = true; return; }
    reply_msg_t head;
    memcpy(&head, f->payload, sizeof head);
    if (head.op_id != r->op_id) return;
    if (f->len != sizeof(reply_msg_t) + head.n * sizeof(int64_t)) r->bad = true;
    r->count++;
    r->to = f->to;
    r->head = head;
    if (head.n) memcpy(&r->value, (const uint8_t *)f->payload + sizeof head, sizeof r->value);
}

static const char *const quiet_json =
    "{\"duration\": \"1s\", \"nodes\": 3, \"protocol\": \"echo\","
    " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1}, \"rate\": \"1/m\", \"start\": \"1m\"}}";

static int64_t served(sim_t *s, uint32_t node)
{
    jw_t w;
    jw_init(&w, false);
    sim_export_node(s, node, &w);
    cJSON *o = cJSON_Parse(w.buf);
    assert_non_null(o);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "served");
    assert_true(cJSON_IsNumber(v));
    int64_t n = (int64_t)v->valuedouble;
    cJSON_Delete(o);
    jw_free(&w);
    return n;
}

static void test_echo_replies_to_every_request(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    for (int f = 0; f < OP_COUNT_; f++) {
        sim_req_t req = {.client = 3 + (uint32_t)(f % 2), .attempt = (uint32_t)f, .op_id = 100 + (uint64_t)f,
                         .f = (uint8_t)f, .key = 1, .value = 500 + f, .value2 = 900};
        assert_int_equal(sim_inject_request(s, 1, &req), SIM_OK);
        replies_t r = {.from = 1, .op_id = req.op_id};
        sim_each_flight(s, find_replies, &r);
        assert_false(r.bad);
        if (r.count != 1) fail_msg("%s: %d replies in flight, expected 1", op_f_names[f], r.count);
        assert_int_equal(r.to, req.client);
        assert_int_equal(r.head.attempt, req.attempt);
        assert_int_equal(r.head.status, REPLY_OK);
        if (f == OP_READ) {
            assert_int_equal(r.head.n, 0);            /* a read answers nothing: null */
        } else {
            assert_int_equal(r.head.n, 1);
            assert_int_equal(r.value, req.value);
        }
    }
    assert_int_equal(served(s, 1), OP_COUNT_);
    assert_int_equal(served(s, 0), 0);
    proto_desc_t d;
    sim_describe(s, 1, &d);
    char line[32];
    snprintf(line, sizeof line, "served %d", OP_COUNT_);
    assert_string_equal(d.line, line);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_echo_down_node_takes_no_request(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_action_t crash = {.kind = ACT_CRASH, .node = 2};
    assert_int_equal(sim_apply(s, &crash), SIM_OK);
    sim_req_t req = {.client = 3, .op_id = 9, .f = OP_WRITE, .value = 1};
    assert_int_equal(sim_inject_request(s, 2, &req), SIM_EINPUT);
    assert_int_equal(sim_inject_request(s, 3, &req), SIM_EINPUT);   /* a client is no server */
    replies_t r = {.from = 2, .op_id = 9};
    sim_each_flight(s, find_replies, &r);
    assert_int_equal(r.count, 0);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_echo_end_to_end_every_op_completes_ok(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 5, \"duration\": \"5s\", \"nodes\": 3, \"protocol\": \"echo\","
         " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"2ms\", \"max\": \"8ms\"}},"
         " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 0.5, \"read\": 0.5}, \"keys\": 4, \"rate\": \"50/s\", \"stop\": \"4s\"}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run(s);
    const sim_stats_t *st = sim_stats(s);
    assert_true(st->ops_invoked > 100);
    assert_int_equal(st->ops_ok, st->ops_invoked);
    assert_int_equal(st->delivered_by_type[0], st->ops_invoked);
    assert_int_equal(st->sent_by_type[1], st->delivered_by_type[0]);
    assert_int_equal(st->delivered_by_type[1], st->sent_by_type[1]);
    /* Latency is two trips of 2..8ms. */
    assert_true(sim_latency_quantile(s, 0.0) >= 4 * SIM_MS);
    assert_true(sim_latency_quantile(s, 1.0) <= 16 * SIM_MS);
    /* A write's ok carries its value; a read's ok carries none. */
    const hist_t *h = sim_history(s);
    int64_t *invoked_value = calloc(st->ops_invoked * 2 + 64, sizeof *invoked_value);
    uint64_t served_total = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        bool write = strcmp(hist_f_name(h, e), "write") == 0;
        if (e->type == HIST_INVOKE) {
            invoked_value[e->process] = write ? hist_vals(h, e)[0] : 0;
            continue;
        }
        assert_int_equal(e->type, HIST_OK);
        if (write) {
            assert_int_equal(e->vkind, HIST_V_INT);
            assert_int_equal(hist_vals(h, e)[0], invoked_value[e->process]);
        } else {
            assert_int_equal(e->vkind, HIST_V_NONE);
        }
    }
    for (uint32_t n = 0; n < 3; n++) served_total += (uint64_t)served(s, n);
    assert_int_equal(served_total, st->ops_invoked);
    free(invoked_value);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_echo_end_to_end_crash_makes_requests_time_out(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 1, \"duration\": \"5s\", \"nodes\": 3, \"protocol\": \"echo\","
         " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"2ms\", \"max\": \"8ms\"}},"
         " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 0.5, \"read\": 0.5}, \"keys\": 4, \"rate\": \"40/s\","
         "   \"timeout\": \"500ms\", \"stop\": \"4s\", \"target\": \"random\"},"
         " \"faults\": [{\"at\": \"2s\", \"crash\": \"n2\"}, {\"at\": \"3s\", \"restart\": \"n2\"}]}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run(s);
    const sim_stats_t *st = sim_stats(s);
    /* Each request lost with n2 is one op that timed out, and nothing else failed. */
    assert_true(st->dropped[DROP_CRASH] > 5);
    assert_int_equal(st->ops_fail + st->ops_info, st->dropped[DROP_CRASH]);
    assert_int_equal(st->ops_ok + st->ops_fail + st->ops_info, st->ops_invoked);
    sim_destroy(s);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_echo_replies_to_every_request),
        cmocka_unit_test(test_echo_down_node_takes_no_request),
        cmocka_unit_test(test_echo_end_to_end_every_op_completes_ok),
        cmocka_unit_test(test_echo_end_to_end_crash_makes_requests_time_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
