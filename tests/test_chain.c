/* test_chain.c -- chain replication: propagation, the tail's answers, the master's repairs.
 *
 * Protocol tests drive single servers with scripted requests and messages (sim_inject,
 * sim_inject_request) and look at what they put in flight. The messages a test feeds
 * to the next server are the very bytes the previous one sent, copied out of flight,
 * so the tests do not depend on the payload layout. End-to-end tests run scenarios
 * with crashes, partitions and loss: the correct chain must never lose an acknowledged
 * write, and the "ack-at-head" variant must be caught.
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

#define CLIENT 4u                  /* in quiet_json: servers n1..n4 (n4 the master), then c1 */
#define MASTER 3u
#define REPLIES_MAX 64

static const char *const quiet_json =
    "{\"duration\": \"10s\", \"nodes\": 4,"
    " \"protocol\": {\"name\": \"chain\", \"params\": {\"heartbeat\": \"50ms\", \"failure_timeout\": \"300ms\"}},"
    " \"network\": {\"latency\": \"5ms\"},"
    " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"keys\": 4, \"rate\": \"1/m\", \"start\": \"1m\"}}";

/* Random partitions, crashes, loss and duplicates: the runs the seed sweeps use. */
static const char *const chaos_fmt =
    "{\"duration\": \"10s\", \"nodes\": 4,"
    " \"protocol\": {\"name\": \"chain\", \"params\": {\"variant\": \"%s\"}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"10ms\"}, \"loss\": 0.03, \"duplicate\": 0.01},"
    " \"workload\": {\"clients\": 3, \"ops\": {\"write\": 0.4, \"cas\": 0.1, \"add\": 0.1, \"read\": 0.4},"
    "   \"keys\": 5, \"rate\": \"50/s\", \"timeout\": \"500ms\"},"
    " \"faults\": [{\"nemesis\": \"random-partitions\", \"every\": \"2s\", \"duration\": \"800ms\"},"
    "            {\"nemesis\": \"random-crashes\", \"mttf\": \"5s\", \"mttr\": \"1s\"}]}";

/* ---- Helpers. ------------------------------------------------------------------- */

/* The protocol's index of a message type, as sim_inject takes it. */
static unsigned proto_type(const sim_t *s, const char *name)
{
    for (unsigned t = SIM_MSG_BUILTIN; t < sim_n_msg_types(s); t++)
        if (strcmp(sim_msg_type_name(s, t), name) == 0) return t - SIM_MSG_BUILTIN;
    fail_msg("no message type \"%s\"", name);
    return 0;
}

/* Messages in flight from one node to another of one type. */
static int count_in_flight(sim_t *s, uint32_t from, uint32_t to, const char *type)
{
    kit_t *k = kit_wrap(s);
    int n = kit_count(k, from, to, type);
    if (n < 0) fail_msg("%s", kit_error(k));
    kit_destroy(k);
    return n;
}

/* Hands a copy of the one message of a type in flight from -> to to `to` now; the
 * original stays in flight. */
static void pass_on(sim_t *s, uint32_t from, uint32_t to, const char *type)
{
    kit_t *k = kit_wrap(s);
    kit_flight_t f;
    if (kit_find(k, from, to, type, &f) != SIM_OK) fail_msg("%s", kit_error(k));
    assert_int_equal(sim_inject(s, from, to, (unsigned)f.type_index, f.payload, f.len), SIM_OK);
    kit_destroy(k);
}

/* The reply to op_id in flight from a server to the client; fails unless exactly one. */
static kit_reply_t reply_to(sim_t *s, uint32_t from, uint64_t op_id, int64_t *value)
{
    kit_t *k = kit_wrap(s);
    kit_reply_t r;
    if (kit_reply_to(k, from, op_id, &r) != SIM_OK) fail_msg("%s", kit_error(k));
    kit_destroy(k);
    assert_int_equal(r.to, CLIENT);
    if (value) *value = r.n == 1 ? r.values[0] : 0;
    return r;
}

static int replies_to(sim_t *s, uint32_t from, uint64_t op_id)
{
    kit_t *k = kit_wrap(s);
    kit_reply_t r[REPLIES_MAX];
    int n = kit_replies(k, from, CLIENT, r, REPLIES_MAX), count = 0;
    if (n < 0 || n > REPLIES_MAX) fail_msg("%d replies from node %u: %s", n, from, kit_error(k));
    for (int i = 0; i < n; i++) count += r[i].op_id == op_id;
    kit_destroy(k);
    return count;
}

/* A node's export, parsed; the caller deletes it. */
static cJSON *exported(sim_t *s, uint32_t node)
{
    jw_t w;
    jw_init(&w, false);
    sim_export_node(s, node, &w);
    cJSON *o = cJSON_Parse(w.buf);
    if (!o) fail_msg("export of node %u is not JSON: %s", node, w.buf);
    jw_free(&w);
    return o;
}

static int64_t num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) fail_msg("export has no number \"%s\"", key);
    return (int64_t)v->valuedouble;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t node_num(sim_t *s, uint32_t node, const char *key)
{
    cJSON *o = exported(s, node);
    int64_t x = num(o, key);
    cJSON_Delete(o);
    return x;
}

static int sent_len(sim_t *s, uint32_t node)
{
    cJSON *o = exported(s, node);
    int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "sent"));
    cJSON_Delete(o);
    return n;
}

/* The value of key k in a server's kv export, or INT64_MIN when it has none. */
static int64_t kv_value(sim_t *s, uint32_t node, uint32_t k)
{
    cJSON *o = exported(s, node);
    char name[16];
    snprintf(name, sizeof name, "k%u", k);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "kv"), name);
    int64_t x = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : INT64_MIN;
    cJSON_Delete(o);
    return x;
}

/* The master's view members, as names joined by commas ("n1,n3"). */
static void view_members(sim_t *s, char *out, size_t len)
{
    cJSON *o = exported(s, MASTER);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "view"), "members");
    out[0] = 0;
    for (const cJSON *e = m ? m->child : NULL; e; e = e->next)
        snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? "," : "", e->valuestring);
    cJSON_Delete(o);
}

static int64_t view_version(sim_t *s)
{
    cJSON *o = exported(s, MASTER);
    int64_t v = num(cJSON_GetObjectItemCaseSensitive(o, "view"), "version");
    cJSON_Delete(o);
    return v;
}

static void crash(sim_t *s, uint32_t node, bool restart)
{
    sim_action_t a = {0};
    a.kind = restart ? ACT_RESTART : ACT_CRASH;
    a.node = node;
    assert_int_equal(sim_apply(s, &a), SIM_OK);
}

static sim_req_t request(uint64_t op_id, sim_op_t f, uint32_t key, int64_t value)
{
    sim_req_t r = {.client = CLIENT, .op_id = op_id, .f = (uint8_t)f, .key = key, .key2 = key, .value = value};
    return r;
}

/* ---- Driving single servers. ----------------------------------------------------- */

static void test_chain_head_applies_a_write_and_forwards_it(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_req_t w = request(11, SIM_OP_WRITE, 1, 7);
    assert_int_equal(sim_inject_request(s, 0, &w), SIM_OK);
    /* The update goes to the successor, and nobody is answered yet. */
    assert_int_equal(count_in_flight(s, 0, 1, "update"), 1);
    assert_int_equal(count_in_flight(s, 0, 2, "update"), 0);
    assert_int_equal(replies_to(s, 0, 11), 0);
    assert_int_equal(node_num(s, 0, "applied"), 1);
    assert_int_equal(kv_value(s, 0, 1), 7);
    assert_int_equal(sent_len(s, 0), 1);
    /* A request the network delivered twice is applied once. */
    assert_int_equal(sim_inject_request(s, 0, &w), SIM_OK);
    assert_int_equal(node_num(s, 0, "applied"), 1);
    assert_int_equal(count_in_flight(s, 0, 1, "update"), 1);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_chain_tail_answers_and_acks_flow_back(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_req_t w = request(12, SIM_OP_WRITE, 2, 9);
    assert_int_equal(sim_inject_request(s, 0, &w), SIM_OK);
    pass_on(s, 0, 1, "update");                    /* n2, the middle, applies and forwards */
    assert_int_equal(replies_to(s, 1, 12), 0);
    assert_int_equal(kv_value(s, 1, 2), 9);
    assert_int_equal(sent_len(s, 1), 1);
    pass_on(s, 1, 2, "update");                    /* n3, the tail, applies and answers */
    int64_t v = 0;
    kit_reply_t r = reply_to(s, 2, 12, &v);
    assert_int_equal(r.status, SIM_REPLY_OK);
    assert_int_equal(v, 9);
    assert_int_equal(kv_value(s, 2, 2), 9);
    assert_int_equal(node_num(s, 2, "stable"), 1);
    assert_int_equal(sent_len(s, 2), 0);
    /* The tail's ack shortens the middle's sent list, and the middle acks the head. */
    pass_on(s, 2, 1, "ack");
    assert_int_equal(sent_len(s, 1), 0);
    assert_int_equal(node_num(s, 1, "stable"), 1);
    pass_on(s, 1, 0, "ack");
    assert_int_equal(sent_len(s, 0), 0);
    assert_int_equal(node_num(s, 0, "stable"), 1);
    /* A read at the tail sees the write. */
    sim_req_t rd = request(13, SIM_OP_READ, 2, 0);
    assert_int_equal(sim_inject_request(s, 2, &rd), SIM_OK);
    v = 0;
    r = reply_to(s, 2, 13, &v);
    assert_int_equal(r.status, SIM_REPLY_OK);
    assert_int_equal(r.n, 1);
    assert_int_equal(v, 9);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_chain_clients_are_redirected_to_head_or_tail(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    struct { uint32_t at; sim_op_t f; uint32_t to; } cases[] = {
        {0, SIM_OP_READ, 2}, {1, SIM_OP_READ, 2}, {1, SIM_OP_WRITE, 0}, {2, SIM_OP_CAS, 0}, {MASTER, SIM_OP_ADD, 0}, {MASTER, SIM_OP_READ, 2},
    };
    for (unsigned i = 0; i < SIM_ARRAY_LEN(cases); i++) {
        sim_req_t q = request(100 + i, cases[i].f, 0, 1);
        assert_int_equal(sim_inject_request(s, cases[i].at, &q), SIM_OK);
        kit_reply_t r = reply_to(s, cases[i].at, 100 + i, NULL);
        assert_int_equal(r.status, SIM_REPLY_REDIRECT);
        assert_int_equal(r.redirect, cases[i].to);
    }
    /* Appends and transfers are not offered: a definite fail. */
    sim_req_t ap = request(200, SIM_OP_APPEND, 0, 1);
    assert_int_equal(sim_inject_request(s, 0, &ap), SIM_OK);
    assert_int_equal(reply_to(s, 0, 200, NULL).status, SIM_REPLY_FAIL);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_chain_rejects_updates_from_a_non_predecessor(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_req_t w = request(14, SIM_OP_WRITE, 0, 5);
    assert_int_equal(sim_inject_request(s, 0, &w), SIM_OK);
    /* The head's update handed straight to the tail, skipping the middle: refused, so
     * the tail's history stays a prefix of the middle's. */
    kit_t *k = kit_wrap(s);
    kit_flight_t f;
    assert_int_equal(kit_find(k, 0, 1, "update", &f), SIM_OK);
    assert_int_equal(sim_inject(s, 0, 2, proto_type(s, "update"), f.payload, f.len), SIM_OK);
    kit_destroy(k);
    assert_int_equal(node_num(s, 2, "applied"), 0);
    assert_int_equal(replies_to(s, 2, 14), 0);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_chain_master_removes_a_member_after_missed_heartbeats(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    assert_int_equal(view_version(s), 1);
    crash(s, 1, false);                                  /* the middle */
    /* Within failure_timeout (300ms) the master still waits. */
    sim_run_until(s, 250 * SIM_MS);
    char members[64];
    view_members(s, members, sizeof members);
    assert_string_equal(members, "n1,n2,n3");
    assert_int_equal(view_version(s), 1);
    sim_run_until(s, 600 * SIM_MS);
    view_members(s, members, sizeof members);
    assert_string_equal(members, "n1,n3");
    assert_int_equal(view_version(s), 2);
    /* Head and tail have the new view and are neighbours now. */
    cJSON *o = exported(s, 0);
    assert_string_equal(str(o, "successor"), "n3");
    cJSON_Delete(o);
    o = exported(s, 2);
    assert_string_equal(str(o, "predecessor"), "n1");
    cJSON_Delete(o);
    int64_t term;
    assert_int_equal(sim_node_role(s, 0, &term), SIM_ROLE_HEAD);
    assert_int_equal(term, 2);
    assert_int_equal(sim_node_role(s, 2, NULL), SIM_ROLE_TAIL);
    assert_int_equal(sim_node_role(s, MASTER, NULL), SIM_ROLE_MASTER);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_chain_new_tail_answers_the_old_tails_pending_updates(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    /* An update reaches the middle; the tail dies before it arrives. */
    sim_req_t w = request(15, SIM_OP_WRITE, 3, 21);
    assert_int_equal(sim_inject_request(s, 0, &w), SIM_OK);
    pass_on(s, 0, 1, "update");
    crash(s, 2, false);
    /* Step to the moment n2 learns it is the tail: in that same event it answers the
     * update in its sent list, which the old tail may never have answered. */
    while (sim_node_role(s, 1, NULL) != SIM_ROLE_TAIL) assert_true(sim_step(s));
    int64_t v = 0;
    kit_reply_t r = reply_to(s, 1, 15, &v);
    assert_int_equal(r.status, SIM_REPLY_OK);
    assert_int_equal(v, 21);
    char members[64];
    view_members(s, members, sizeof members);
    assert_string_equal(members, "n1,n2");
    assert_int_equal(kv_value(s, 1, 3), 21);
    assert_int_equal(sent_len(s, 1), 0);
    assert_int_equal(node_num(s, 1, "stable"), 1);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_chain_restarted_server_rejoins_as_tail_by_snapshot(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    for (uint32_t k = 0; k < 4; k++) {
        sim_req_t w = request(20 + k, SIM_OP_WRITE, k, 100 + k);
        assert_int_equal(sim_inject_request(s, 0, &w), SIM_OK);
    }
    sim_run_until(s, 100 * SIM_MS);
    assert_int_equal(node_num(s, 2, "applied"), 4);
    /* The tail crashes and restarts before the master misses it: the master learns from
     * its new incarnation that its state is gone, removes it and adds it back. */
    crash(s, 2, false);
    sim_run_until(s, 120 * SIM_MS);
    crash(s, 2, true);
    assert_int_equal(node_num(s, 2, "applied"), 0);
    sim_run_until(s, 1 * SIM_SEC);
    char members[64];
    view_members(s, members, sizeof members);
    assert_string_equal(members, "n1,n2,n3");
    assert_true(view_version(s) >= 3);
    cJSON *o = exported(s, 2);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "synced")));
    assert_true(num(o, "joined") > 1);
    cJSON_Delete(o);
    for (uint32_t k = 0; k < 4; k++) assert_int_equal(kv_value(s, 2, k), 100 + k);
    assert_int_equal(node_num(s, 2, "applied"), 4);
    assert_int_equal(sim_node_role(s, 2, NULL), SIM_ROLE_TAIL);
    assert_null(sim_violation(s, NULL));
    sim_destroy(s);
    scn_free(&scn);
}

/* Every replica lost its state, so the master starts a new generation from nothing.
 * A member that joins it must get a snapshot, empty or not: the head used to decide
 * from sequence numbers alone, and with a sent list still starting at the
 * generation's first update it sent updates the newcomer ignores while it waits for a
 * snapshot. The chain then had no tail, and every client operation failed for good
 * (found by dsim swarm, tests/swarm/chain.json seed 531). */
static void test_chain_newcomer_to_an_empty_generation_gets_a_snapshot(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_req_t w = request(20, SIM_OP_WRITE, 0, 100);
    assert_int_equal(sim_inject_request(s, 0, &w), SIM_OK);
    sim_run_until(s, 100 * SIM_MS);
    crash(s, 1, false);
    crash(s, 2, false);
    sim_run_until(s, 1 * SIM_SEC);
    char members[64];
    view_members(s, members, sizeof members);
    assert_string_equal(members, "n1");
    crash(s, 0, false);                          /* the last copy */
    sim_run_until(s, 1100 * SIM_MS);
    for (uint32_t i = 0; i < 3; i++) crash(s, i, true);
    sim_run_until(s, 3 * SIM_SEC);
    int64_t head = -1, tail = -1;
    for (uint32_t i = 0; i < 3; i++) {
        sim_role_t r = sim_node_role(s, i, NULL);
        if (r == SIM_ROLE_HEAD) head = i;
        if (r == SIM_ROLE_TAIL) tail = i;
    }
    assert_true(head >= 0);
    assert_true(tail >= 0);                      /* an empty snapshot made it the tail */
    sim_req_t w2 = request(21, SIM_OP_WRITE, 1, 7);
    assert_int_equal(sim_inject_request(s, (uint32_t)head, &w2), SIM_OK);
    sim_run_until(s, 4 * SIM_SEC);
    view_members(s, members, sizeof members);
    assert_int_equal(strlen(members), strlen("n1,n2,n3"));
    for (uint32_t i = 0; i < 3; i++) {
        cJSON *o = exported(s, i);
        assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "synced")));
        cJSON_Delete(o);
        assert_int_equal(kv_value(s, i, 1), 7);
    }
    assert_null(sim_violation(s, NULL));
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- End to end. ----------------------------------------------------------------- */

static void test_chain_middle_crash_keeps_every_acknowledged_write(void **state)
{
    scn_t scn;
    char err[512];
    if (scn_load_file("scenarios/chain-middle-crash.json", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    scn.wl.stop_ns = 8 * SIM_SEC;            /* quiet at the end, so every member catches up */
    sim_t *s = ts_create(&scn, NULL);
    sim_run(s);
    assert_null(sim_violation(s, NULL));
    assert_null(sim_error(s));
    assert_true(sim_stats(s)->ops_ok > 300);
    /* The master removed n2 and later added it back as the tail. */
    assert_true(view_version(s) >= 3);
    cJSON *m = exported(s, 4);
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "view"), "members");
    assert_int_equal(cJSON_GetArraySize(mem), 4);
    assert_string_equal(cJSON_GetArrayItem(mem, 3)->valuestring, "n2");
    cJSON_Delete(m);
    /* Every member ends with the same history and the same state. */
    int64_t applied = node_num(s, 0, "applied");
    assert_true(applied >= (int64_t)(sim_stats(s)->ops_ok / 2));
    for (uint32_t n = 1; n < 4; n++) {
        assert_int_equal(node_num(s, n, "applied"), applied);
        for (uint32_t k = 0; k < 5; k++) assert_int_equal(kv_value(s, n, k), kv_value(s, 0, k));
    }
    sim_destroy(s);
    scn_free(&scn);
}

/* Runs the chaos scenario with one variant for seeds 1..n; returns the first seed that
 * violates an invariant, or 0. Fails on any run the protocol halted, and unless the
 * runs it made did see faults and serve clients (a sweep that tests nothing passes). */
static uint64_t first_violation(const char *variant, uint64_t n, char *name, size_t name_len)
{
    char json[2048];
    snprintf(json, sizeof json, chaos_fmt, variant);
    scn_t scn;
    ts_load(json, &scn);
    ts_sweep_t sw;
    ts_sweep(&scn, n, &sw);
    scn_free(&scn);
    snprintf(name, name_len, "%s", sw.name);
    /* The sweep must have exercised something, or its verdict means nothing. */
    if (!sw.first || sw.runs > 1) {
        assert_true(sw.ok > sw.runs * 100);
        assert_true(sw.crashes > sw.runs);
        assert_true(sw.partitions >= sw.runs * 4);
    }
    return sw.first;
}

static void test_chain_ack_at_head_is_caught(void **state)
{
    char name[64] = "";
    uint64_t seed = first_violation("ack-at-head", 200, name, sizeof name);
    if (!seed) fail_msg("no seed in 1..200 caught the ack-at-head variant");
    assert_string_equal(name, "acknowledged-write-lost");
    print_message("ack-at-head: first violating seed %llu\n", (unsigned long long)seed);
}

static void test_chain_correct_chain_passes_500_faulty_seeds(void **state)
{
    char name[64] = "";
    uint64_t seed = first_violation("none", 500, name, sizeof name);
    if (seed) fail_msg("seed %llu violated %s", (unsigned long long)seed, name);
}

static void test_chain_same_seed_same_trace(void **state)
{
    char json[2048];
    snprintf(json, sizeof json, chaos_fmt, "none");
    scn_t scn;
    ts_load(json, &scn);
    ts_assert_seed_decides(&scn, 7, 8);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_head_applies_a_write_and_forwards_it),
        cmocka_unit_test(test_chain_tail_answers_and_acks_flow_back),
        cmocka_unit_test(test_chain_clients_are_redirected_to_head_or_tail),
        cmocka_unit_test(test_chain_rejects_updates_from_a_non_predecessor),
        cmocka_unit_test(test_chain_master_removes_a_member_after_missed_heartbeats),
        cmocka_unit_test(test_chain_new_tail_answers_the_old_tails_pending_updates),
        cmocka_unit_test(test_chain_restarted_server_rejoins_as_tail_by_snapshot),
        cmocka_unit_test(test_chain_newcomer_to_an_empty_generation_gets_a_snapshot),
        cmocka_unit_test(test_chain_middle_crash_keeps_every_acknowledged_write),
        cmocka_unit_test(test_chain_ack_at_head_is_caught),
        cmocka_unit_test(test_chain_correct_chain_passes_500_faulty_seeds),
        cmocka_unit_test(test_chain_same_seed_same_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
