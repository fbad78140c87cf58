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
#include "kit/kit.h"
#include "support.h"

static int64_t served(kit_t *k, uint32_t node)
{
    int64_t n = kit_state_int(k, node, "served");
    if (n == KIT_NONE) fail_msg("%s", kit_error(k));
    return n;
}

static void test_echo_replies_to_every_request(void **state)
{
    kit_t *k = kit_create("echo", 3, 2, NULL, 1);
    assert_non_null(k);
    for (int f = 0; f < SIM_OP_COUNT_; f++) {
        sim_req_t req = {.client = 3 + (uint32_t)(f % 2), .attempt = (uint32_t)f, .op_id = 100 + (uint64_t)f,
                         .f = (uint8_t)f, .key = 1, .value = 500 + f, .value2 = 900};
        assert_int_equal(kit_request(k, 1, &req), SIM_OK);
        kit_reply_t r;
        if (kit_reply_to(k, 1, req.op_id, &r) != SIM_OK) fail_msg("%s: %s", sim_op_names[f], kit_error(k));
        assert_int_equal(r.to, req.client);
        assert_int_equal(r.attempt, req.attempt);
        assert_int_equal(r.status, SIM_REPLY_OK);
        if (f == SIM_OP_READ) {
            assert_int_equal(r.n, 0);            /* a read answers nothing: null */
        } else {
            assert_int_equal(r.n, 1);
            assert_int_equal(r.values[0], req.value);
        }
    }
    assert_int_equal(served(k, 1), SIM_OP_COUNT_);
    assert_int_equal(served(k, 0), 0);
    proto_desc_t d;
    assert_int_equal(kit_describe(k, 1, &d), SIM_OK);
    char line[32];
    snprintf(line, sizeof line, "served %d", SIM_OP_COUNT_);
    assert_string_equal(d.line, line);
    kit_destroy(k);
}

static void test_echo_down_node_takes_no_request(void **state)
{
    kit_t *k = kit_create("echo", 3, 2, NULL, 1);
    assert_non_null(k);
    assert_int_equal(kit_crash(k, 2), SIM_OK);
    sim_req_t req = {.client = 3, .op_id = 9, .f = SIM_OP_WRITE, .value = 1};
    assert_int_equal(kit_request(k, 2, &req), SIM_EINPUT);
    assert_int_equal(kit_request(k, 3, &req), SIM_EINPUT);   /* a client is no server */
    kit_reply_t r[4];
    assert_int_equal(kit_replies(k, 2, KIT_ANY, r, 4), 0);
    kit_destroy(k);
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
    kit_t *k = kit_wrap(s);
    for (uint32_t n = 0; n < 3; n++) served_total += (uint64_t)served(k, n);
    kit_destroy(k);
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
