/* test_kit.c -- the protocol test kit (sim/kit): what it promises students, checked.
 *
 * Each promise is tested where it could be broken: delivering by id delivers that one
 * message and no other, a dropped message is gone and counted, firing a timer runs
 * on_timer now, a bad id or type is an error with a sentence and changes nothing, and
 * a sweep finds the seed a known bug breaks. The header's example is run verbatim.
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

/* A kit, or the test fails (the loader has printed why). */
static kit_t *make(const char *protocol, uint32_t servers, uint32_t clients, const char *params)
{
    kit_t *k = kit_create(protocol, servers, clients, params, 1);
    if (!k) fail_msg("kit_create(%s) failed", protocol);
    return k;
}

static void test_kit_create_makes_a_quiet_cluster(void **state)
{
    kit_t *k = make("echo", 3, 2, NULL);
    sim_t *s = kit_sim(k);
    assert_int_equal(sim_n_servers(s), 3);
    assert_int_equal(sim_n_nodes(s), 5);
    sim_node_info_t info;
    sim_node_info(s, 3, &info);
    assert_true(info.client);
    assert_string_equal(info.name, "c1");
    assert_int_equal(kit_count(k, KIT_ANY, KIT_ANY, NULL), 0);
    sim_run_until(s, 30 * SIM_MIN);
    assert_int_equal(sim_stats(s)->sent, 0);          /* the clients say nothing by themselves */
    assert_int_equal(sim_stats(s)->ops_invoked, 0);
    assert_string_equal(kit_error(k), "");
    kit_destroy(k);
    kit_destroy(NULL);

    /* The seed is the one asked for; params are the protocol's. */
    k = kit_create("gossip", 4, 0, "{\"fanout\": 3}", 77);
    assert_non_null(k);
    assert_int_equal(sim_seed(kit_sim(k)), 77);
    sim_req_t w = {.client = 0, .op_id = 1, .f = SIM_OP_WRITE, .value = 5};
    assert_int_equal(kit_request(k, 0, &w), SIM_OK);
    assert_int_equal(kit_count(k, 0, KIT_ANY, "push"), 3);
    kit_destroy(k);
}

static void test_kit_create_refuses_bad_input(void **state)
{
    assert_null(kit_create("no-such-protocol", 3, 0, NULL, 1));
    assert_null(kit_create("gossip", 3, 0, "{\"fanout\": -4}", 1));
    assert_null(kit_create("gossip", 3, 0, "{\"no_such_param\": 1}", 1));
    assert_null(kit_create("gossip", 0, 0, NULL, 1));
    assert_null(kit_from_json("{\"nodes\": 3}"));
    assert_null(kit_from_json("tests/no-such-file.json"));
    assert_null(kit_create(NULL, 3, 0, NULL, 1));
    assert_null(kit_wrap(NULL));
}

static void test_kit_from_json_takes_text_and_files(void **state)
{
    kit_t *k = kit_from_json("  {\"duration\": \"1s\", \"nodes\": 2, \"protocol\": \"echo\", \"seed\": 9}");
    assert_non_null(k);
    assert_int_equal(sim_n_servers(kit_sim(k)), 2);
    assert_int_equal(sim_seed(kit_sim(k)), 9);
    kit_destroy(k);
    k = kit_from_json("scenarios/raft-figure8.json");
    assert_non_null(k);
    assert_string_equal(sim_protocol(kit_sim(k))->name, "raft");
    assert_int_equal(sim_n_servers(kit_sim(k)), 5);
    kit_destroy(k);
}

/* Echo answers each request with its value: the reply decodes to what was asked. */
static void test_kit_replies_decode(void **state)
{
    kit_t *k = make("echo", 3, 2, NULL);
    sim_req_t w = {.client = 4, .attempt = 2, .op_id = 70, .f = SIM_OP_WRITE, .key = 1, .value = 42};
    sim_req_t r = {.client = 3, .op_id = 71, .f = SIM_OP_READ, .key = 1};
    assert_int_equal(kit_request(k, 1, &w), SIM_OK);
    assert_int_equal(kit_request(k, 2, &r), SIM_OK);
    kit_reply_t rep;
    assert_int_equal(kit_reply_to(k, 1, 70, &rep), SIM_OK);
    assert_int_equal(rep.from, 1);
    assert_int_equal(rep.to, 4);
    assert_int_equal(rep.op_id, 70);
    assert_int_equal(rep.attempt, 2);
    assert_int_equal(rep.status, SIM_REPLY_OK);
    assert_false(rep.list);
    assert_int_equal(rep.n, 1);
    assert_int_equal(rep.values[0], 42);
    assert_int_equal(kit_reply_to(k, KIT_ANY, 71, &rep), SIM_OK);
    assert_int_equal(rep.from, 2);
    assert_int_equal(rep.n, 0);
    assert_null(rep.values);
    /* Not from that server, or no such operation: an error that says how many. */
    assert_int_equal(kit_reply_to(k, 0, 70, &rep), SIM_ENOTFOUND);
    assert_non_null(strstr(kit_error(k), "0 replies to op 70"));
    kit_reply_t all[4];
    assert_int_equal(kit_replies(k, KIT_ANY, KIT_ANY, all, 4), 2);
    assert_int_equal(all[0].op_id, 70);                 /* oldest first */
    assert_int_equal(all[1].op_id, 71);
    assert_int_equal(kit_replies(k, KIT_ANY, 3, all, 4), 1);
    assert_int_equal(all[0].op_id, 71);
    /* The reply as a flight decodes the same; a request is no reply. */
    kit_flight_t f;
    assert_int_equal(kit_find(k, 1, 4, "reply", &f), SIM_OK);
    assert_int_equal(f.type_index, -1);
    assert_int_equal(kit_reply_decode(k, &f, &rep), SIM_OK);
    assert_int_equal(rep.id, f.id);
    assert_int_equal(rep.values[0], 42);
    kit_destroy(k);
}

/* Delivering one of two pushes delivers exactly that one: the other stays in flight
 * with its id, and only its receiver learned the value. */
static void test_kit_deliver_by_id_delivers_only_that_one(void **state)
{
    kit_t *k = make("gossip", 4, 1, "{\"fanout\": 2}");
    sim_t *s = kit_sim(k);
    sim_req_t w = {.client = 4, .op_id = 1, .f = SIM_OP_WRITE, .value = 9};
    assert_int_equal(kit_request(k, 0, &w), SIM_OK);
    kit_flight_t f[8];
    assert_int_equal(kit_flights(k, 0, KIT_ANY, "push", f, 8), 2);
    assert_true(f[0].id < f[1].id);
    assert_int_equal(f[0].type_index, 0);
    assert_string_equal(f[0].type, "push");
    assert_int_equal(f[0].arrive_ns, f[0].sent_ns + SIM_MS);     /* links are a constant 1ms */
    uint32_t got = f[0].to, other = f[1].to;
    uint64_t other_id = f[1].id;
    assert_int_equal(kit_state_int(k, got, "values[0]"), KIT_NONE);
    assert_int_equal(kit_deliver(k, f[0].id), SIM_OK);
    assert_int_equal(sim_time(s), 0);                              /* now, not in 1ms */
    assert_int_equal(sim_stats(s)->delivered, 1);
    assert_int_equal(kit_state_int(k, got, "values[0]"), 9);
    assert_int_equal(kit_state_int(k, other, "values[0]"), KIT_NONE);
    kit_flight_t left;
    assert_int_equal(kit_find(k, 0, KIT_ANY, "push", &left), SIM_OK);
    assert_int_equal(left.id, other_id);
    assert_int_equal(left.to, other);
    /* What the receiver sent on (its own pushes) is in flight, not delivered. */
    assert_true(kit_count(k, got, KIT_ANY, "push") > 0);
    /* Once delivered, the id is gone. */
    assert_int_equal(kit_deliver(k, f[0].id), SIM_ENOTFOUND);
    assert_non_null(strstr(kit_error(k), "not on the wire"));
    kit_destroy(k);
}

/* Delivering all that match goes in send order, touches nothing else, and leaves
 * what the deliveries cause in flight. */
static void test_kit_deliver_all_goes_in_send_order(void **state)
{
    kit_t *k = make("gossip", 3, 0, "{\"fanout\": 1}");
    int64_t v[3] = {30, 10, 20};
    for (int i = 0; i < 3; i++) assert_int_equal(kit_send(k, 1, 0, "push", &v[i], sizeof v[i]), SIM_OK);
    assert_int_equal(kit_send(k, 1, 2, "push", &v[0], sizeof v[0]), SIM_OK);
    assert_int_equal(kit_deliver_all(k, 1, 0, "push"), 3);
    for (int i = 0; i < 3; i++) {
        char path[16];
        snprintf(path, sizeof path, "values[%d]", i);
        assert_int_equal(kit_state_int(k, 0, path), v[i]);          /* in arrival order */
    }
    assert_int_equal(kit_count(k, 1, 2, "push"), 1);                /* not to n3 */
    assert_int_equal(kit_count(k, 0, KIT_ANY, "push"), 3);          /* n1 passes each on */
    assert_int_equal(kit_deliver_all(k, 1, 0, "push"), 0);
    assert_int_equal(kit_deliver_all(k, 1, 0, "pusj"), SIM_EINPUT);
    kit_destroy(k);
}

static void test_kit_drop_removes_the_message_now(void **state)
{
    kit_t *k = make("gossip", 3, 1, "{\"fanout\": 2}");
    sim_t *s = kit_sim(k);
    sim_req_t w = {.client = 3, .op_id = 1, .f = SIM_OP_WRITE, .value = 4};
    assert_int_equal(kit_request(k, 0, &w), SIM_OK);
    kit_flight_t f[4];
    assert_int_equal(kit_flights(k, 0, KIT_ANY, "push", f, 4), 2);
    assert_int_equal(kit_drop(k, f[1].id), SIM_OK);
    assert_int_equal(sim_stats(s)->dropped[DROP_USER], 1);
    assert_int_equal(sim_stats(s)->delivered, 0);
    assert_int_equal(kit_count(k, 0, KIT_ANY, "push"), 1);
    assert_int_equal(kit_drop(k, f[1].id), SIM_ENOTFOUND);
    /* Running on, the dropped push never arrives; the other does. */
    sim_run_until(s, SIM_MS);
    assert_int_equal(kit_state_int(k, f[0].to, "values[0]"), 4);
    assert_int_equal(kit_state_int(k, f[1].to, "values[0]"), KIT_NONE);
    kit_destroy(k);
}

static void test_kit_bad_ids_and_names_are_errors(void **state)
{
    kit_t *k = make("gossip", 3, 1, NULL);
    sim_t *s = kit_sim(k);
    uint64_t hash = sim_trace_hash(s);
    assert_int_equal(kit_deliver(k, 12345), SIM_ENOTFOUND);
    assert_int_equal(kit_drop(k, 12345), SIM_ENOTFOUND);
    assert_int_equal(kit_fire(k, 0x7fffffff00000001ull), SIM_ENOTFOUND);
    assert_int_equal(kit_fire(k, 99), SIM_ENOTFOUND);
    assert_int_equal(kit_fire_next(k, 0, 77), SIM_ENOTFOUND);
    assert_int_equal(kit_count(k, KIT_ANY, KIT_ANY, "psuh"), SIM_EINPUT);
    assert_non_null(strstr(kit_error(k), "no message type \"psuh\""));
    kit_flight_t f;
    assert_int_equal(kit_find(k, 0, 1, "push", &f), SIM_ENOTFOUND);
    assert_non_null(strstr(kit_error(k), "0 push messages in flight from node 0 to node 1"));
    assert_int_equal(kit_find(k, KIT_ANY, KIT_ANY, NULL, &f), SIM_ENOTFOUND);
    assert_non_null(strstr(kit_error(k), "0 messages in flight from any node to any node, expected 1"));
    int64_t x = 1;
    assert_int_equal(kit_inject(k, 0, 3, "push", &x, sizeof x), SIM_EINPUT);      /* a client is no server */
    assert_int_equal(kit_inject(k, 0, 1, "reply", &x, sizeof x), SIM_EINPUT);     /* the core's type */
    assert_int_equal(kit_send(k, 0, 9, "push", &x, sizeof x), SIM_EINPUT);
    sim_req_t r = {.client = 3, .op_id = 1, .f = SIM_OP_READ};
    assert_int_equal(kit_request(k, 3, &r), SIM_EINPUT);
    assert_int_equal(kit_crash(k, 3), SIM_EINPUT);                 /* clients do not crash */
    assert_int_equal(kit_crash(k, 99), SIM_EINPUT);
    assert_int_equal(kit_describe(k, 99, &(proto_desc_t){0}), SIM_EINPUT);
    assert_null(kit_state(k, 3));
    assert_int_equal(kit_state_int(k, 0, "no.such[3]"), KIT_NONE);
    assert_non_null(strstr(kit_error(k), "no no.such[3]"));
    /* None of it changed the run. */
    assert_int_equal(sim_trace_hash(s), hash);
    assert_int_equal(sim_stats(s)->sent, 0);
    assert_int_equal(kit_crash(k, 1), SIM_OK);
    assert_string_equal(kit_error(k), "");
    assert_int_equal(kit_crash(k, 1), SIM_EINPUT);                 /* twice makes no sense */
    kit_destroy(k);
}

/* Gossip's anti-entropy timer, fired by hand: on_timer runs at once (a sync carrying
 * the node's whole set goes out) without the clock moving, it sets the next one, and a
 * fired timer cannot fire again. */
static void test_kit_firing_a_timer_runs_on_timer(void **state)
{
    kit_t *k = make("gossip", 3, 0, "{\"anti_entropy\": \"1s\"}");
    sim_t *s = kit_sim(k);
    int64_t v[2] = {31, 32};
    for (int i = 0; i < 2; i++) assert_int_equal(kit_inject(k, 0, 2, "push", &v[i], sizeof v[i]), SIM_OK);
    kit_timer_t t[8];
    assert_int_equal(kit_timers(k, 2, t, 8), 1);
    assert_int_equal(t[0].node, 2);
    assert_int_equal(t[0].set_ns, 0);
    assert_true(t[0].due_ns > 0 && t[0].due_ns <= SIM_SEC);
    assert_int_equal(kit_timers(k, KIT_ANY, NULL, 0), 3);
    assert_int_equal(kit_count(k, 2, KIT_ANY, "sync"), 0);
    assert_int_equal(kit_fire(k, t[0].id), SIM_OK);
    assert_int_equal(sim_time(s), 0);
    assert_int_equal(sim_stats(s)->timers, 1);
    kit_flight_t f;
    assert_int_equal(kit_find(k, 2, KIT_ANY, "sync", &f), SIM_OK);
    assert_int_equal(f.len, sizeof v);
    assert_memory_equal(f.payload, v, sizeof v);
    assert_int_equal(kit_count(k, KIT_ANY, KIT_ANY, "sync"), 1);   /* nobody else synced */
    assert_int_equal(kit_fire(k, t[0].id), SIM_ENOTFOUND);
    /* It set the next one a period from now; the others still have theirs. */
    kit_timer_t again[8];
    assert_int_equal(kit_timers(k, 2, again, 8), 1);
    assert_true(again[0].id != t[0].id);
    assert_int_equal(again[0].due_ns, SIM_SEC);
    assert_int_equal(kit_timers(k, KIT_ANY, NULL, 0), 3);
    assert_int_equal(kit_fire_next(k, 2, KIT_ANY_KIND), SIM_OK);
    assert_int_equal(kit_count(k, 2, KIT_ANY, "sync"), 2);
    assert_int_equal(sim_stats(s)->timers, 2);
    /* A crash cancels a node's timers. */
    assert_int_equal(kit_crash(k, 1), SIM_OK);
    assert_int_equal(kit_timers(k, 1, t, 8), 0);
    assert_int_equal(kit_fire_next(k, 1, KIT_ANY_KIND), SIM_ENOTFOUND);
    kit_destroy(k);
}

/* A timer of a paused node waits: it cannot be fired by hand until the node resumes. */
static void test_kit_pause_holds_messages_and_timers(void **state)
{
    kit_t *k = make("gossip", 3, 1, "{\"fanout\": 2}");
    sim_t *s = kit_sim(k);
    sim_req_t w = {.client = 3, .op_id = 1, .f = SIM_OP_WRITE, .value = 6};
    assert_int_equal(kit_pause(k, 1), SIM_OK);
    sim_node_info_t info;
    sim_node_info(s, 1, &info);
    assert_true(info.paused);
    kit_timer_t t;
    assert_int_equal(kit_timers(k, 1, &t, 1), 1);
    assert_int_equal(kit_fire(k, t.id), SIM_EINPUT);
    assert_int_equal(kit_request(k, 0, &w), SIM_OK);
    kit_flight_t f;
    assert_int_equal(kit_find(k, 0, 1, "push", &f), SIM_OK);
    assert_int_equal(kit_deliver(k, f.id), SIM_OK);                /* it arrives, and waits */
    assert_int_equal(kit_find(k, 0, 1, "push", &f), SIM_OK);
    assert_true(f.waiting);
    assert_int_equal(kit_state_int(k, 1, "values[0]"), KIT_NONE);
    assert_int_equal(kit_deliver(k, f.id), SIM_ENOTFOUND);         /* not on the wire any more */
    assert_int_equal(kit_resume(k, 1), SIM_OK);
    assert_int_equal(kit_find(k, 0, 1, "push", &f), SIM_OK);
    assert_false(f.waiting);
    assert_int_equal(kit_deliver(k, f.id), SIM_OK);
    assert_int_equal(kit_state_int(k, 1, "values[0]"), 6);
    kit_destroy(k);
}

/* Crash, restart, partition, isolate and heal each take one call, and the network
 * acts on them: a message across the cut is doomed and dropped when delivered. */
static void test_kit_faults_take_one_call(void **state)
{
    kit_t *k = make("gossip", 4, 1, "{\"fanout\": 3}");
    sim_t *s = kit_sim(k);
    sim_node_info_t info;
    const uint32_t half[] = {0, 1};
    assert_int_equal(kit_partition(k, half, 2), SIM_OK);
    sim_node_info(s, 0, &info);
    uint8_t g0 = info.group;
    sim_node_info(s, 2, &info);
    assert_true(g0 != 0 && info.group != 0 && g0 != info.group);
    sim_req_t w = {.client = 4, .op_id = 1, .f = SIM_OP_WRITE, .value = 3};
    assert_int_equal(kit_request(k, 0, &w), SIM_OK);
    kit_flight_t f;
    assert_int_equal(kit_find(k, 0, 1, "push", &f), SIM_OK);
    assert_false(f.doomed);
    assert_int_equal(kit_find(k, 0, 2, "push", &f), SIM_OK);
    assert_true(f.doomed);
    assert_int_equal(kit_deliver(k, f.id), SIM_OK);
    assert_int_equal(sim_stats(s)->dropped[DROP_PARTITION], 1);
    assert_int_equal(kit_state_int(k, 2, "values[0]"), KIT_NONE);
    assert_int_equal(kit_heal(k), SIM_OK);
    sim_node_info(s, 2, &info);
    assert_int_equal(info.group, 0);
    assert_int_equal(kit_isolate(k, 3), SIM_OK);
    assert_int_equal(kit_find(k, 0, 3, "push", &f), SIM_OK);
    assert_int_equal(kit_deliver(k, f.id), SIM_OK);
    assert_int_equal(sim_stats(s)->dropped[DROP_PARTITION], 2);
    assert_int_equal(kit_heal(k), SIM_OK);
    int64_t y = 12;
    assert_int_equal(kit_send(k, 0, 3, "push", &y, sizeof y), SIM_OK);   /* reachable again */
    assert_int_equal(kit_find(k, 0, 3, "push", &f), SIM_OK);
    assert_false(f.doomed);
    assert_int_equal(kit_deliver(k, f.id), SIM_OK);
    assert_int_equal(kit_state_int(k, 3, "values[0]"), 12);
    assert_int_equal(kit_crash(k, 1), SIM_OK);
    sim_node_info(s, 1, &info);
    assert_false(info.up);
    assert_int_equal(kit_request(k, 1, &w), SIM_EINPUT);
    assert_int_equal(kit_find(k, 0, 1, "push", &f), SIM_OK);
    assert_int_equal(kit_deliver(k, f.id), SIM_OK);
    assert_int_equal(sim_stats(s)->dropped[DROP_CRASH], 1);
    assert_int_equal(kit_restart(k, 1), SIM_OK);
    sim_node_info(s, 1, &info);
    assert_true(info.up);
    assert_int_equal(sim_stats(s)->crashes, 1);
    assert_int_equal(sim_stats(s)->restarts, 1);
    assert_int_equal(sim_stats(s)->partitions, 2);
    const uint32_t bad[] = {0, 9};
    assert_int_equal(kit_partition(k, bad, 2), SIM_EINPUT);
    kit_destroy(k);
}

/* Run until quiet: echo's replies arrive 1ms later, and then nothing is in flight. */
static void test_kit_run_quiet_stops_when_nothing_is_in_flight(void **state)
{
    kit_t *k = make("echo", 2, 1, NULL);
    sim_t *s = kit_sim(k);
    for (uint64_t i = 1; i <= 3; i++) {
        sim_req_t w = {.client = 2, .op_id = i, .f = SIM_OP_WRITE, .value = (int64_t)i};
        assert_int_equal(kit_request(k, (uint32_t)(i % 2), &w), SIM_OK);
    }
    assert_int_equal(kit_count(k, KIT_ANY, 2, "reply"), 3);
    assert_int_equal(kit_run_quiet(k, 0), 3);                       /* not before they are due */
    assert_int_equal(sim_stats(s)->delivered, 0);
    assert_int_equal(kit_run_quiet(k, SIM_SEC), 0);
    assert_int_equal(sim_stats(s)->delivered, 3);
    assert_int_equal(sim_time(s), SIM_MS);                          /* stopped when quiet */
    /* A message of its own, from a node to a server, travels the network. */
    int64_t x = 5;
    assert_int_equal(kit_send(k, 2, 0, "echo", &x, sizeof x), SIM_EINPUT);   /* echo has no types */
    kit_destroy(k);

    k = make("gossip", 2, 0, NULL);
    assert_int_equal(kit_send(k, 1, 0, "push", &x, sizeof x), SIM_OK);
    kit_flight_t f;
    assert_int_equal(kit_find(k, 1, 0, "push", &f), SIM_OK);
    assert_int_equal(f.arrive_ns, SIM_MS);
    assert_int_equal(f.len, sizeof x);
    assert_int_equal(kit_run_quiet(k, SIM_SEC), 0);
    assert_int_equal(kit_state_int(k, 0, "values[0]"), 5);
    kit_destroy(k);
}

static void test_kit_state_reads_paths(void **state)
{
    kit_t *k = make("gossip", 2, 0, NULL);
    int64_t v[3] = {11, 22, 33};
    for (int i = 0; i < 3; i++) assert_int_equal(kit_inject(k, 1, 0, "push", &v[i], sizeof v[i]), SIM_OK);
    struct cJSON *o = kit_state(k, 0);
    assert_non_null(o);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "values");
    assert_int_equal(cJSON_GetArraySize(a), 3);
    cJSON_Delete(o);
    assert_int_equal(kit_state_int(k, 0, "values[2]"), 33);
    assert_int_equal(kit_state_int(k, 0, "values[3]"), KIT_NONE);
    assert_int_equal(kit_state_int(k, 0, "values"), KIT_NONE);     /* an array is not a number */
    assert_non_null(strstr(kit_error(k), "not a number"));
    kit_destroy(k);

    k = make("raft", 3, 0, NULL);
    assert_int_equal(kit_state_int(k, 1, "commit_index"), 0);
    assert_int_equal(kit_state_int(k, 1, "term"), 0);
    kit_destroy(k);
}

/* A kit over a simulation made elsewhere leaves it to its owner. */
static void test_kit_wrap_leaves_the_simulation(void **state)
{
    scn_t scn;
    char err[256] = "";
    assert_int_equal(scn_load_string("{\"duration\": \"1s\", \"nodes\": 2, \"protocol\": \"gossip\"}", "(t)", &scn, err,
                                     sizeof err), SIM_OK);
    sim_t *s = sim_create(&scn, NULL, err, sizeof err);
    assert_non_null(s);
    kit_t *k = kit_wrap(s);
    assert_ptr_equal(kit_sim(k), s);
    int64_t x = 8;
    assert_int_equal(kit_inject(k, 1, 0, "push", &x, sizeof x), SIM_OK);
    kit_destroy(k);
    sim_run(s);                                                    /* still ours */
    assert_true(sim_stats(s)->events > 0);
    sim_destroy(s);
    scn_free(&scn);
}

/* raft-figure8 replays the Figure 8 bug: the sweep finds the first seed it breaks, the
 * same a loop of our own finds, and with the bug turned off none. */
static void test_kit_first_violation_finds_raft_figure8(void **state)
{
    char name[64] = "x";
    int64_t seed = kit_first_violation("scenarios/raft-figure8.json", 1, 10, name, sizeof name);
    scn_t scn;
    char err[512] = "";
    assert_int_equal(scn_load_file("scenarios/raft-figure8.json", &scn, err, sizeof err), SIM_OK);
    int64_t expected = -1;
    char expected_name[64] = "";
    for (uint64_t sd = 1; sd <= 10 && expected < 0; sd++) {
        sim_opts_t o = {.seed_set = true, .seed = sd};
        sim_t *s = sim_create(&scn, &o, err, sizeof err);
        sim_run(s);
        if (sim_violation(s, NULL)) {
            expected = (int64_t)sd;
            snprintf(expected_name, sizeof expected_name, "%s", sim_violation(s, NULL)->name);
        }
        sim_destroy(s);
    }
    scn_free(&scn);
    assert_true(expected >= 1);
    assert_int_equal(seed, expected);
    assert_string_equal(name, expected_name);
    assert_true(name[0] != '\0');

    /* The same scenario without the bug. */
    FILE *fp = fopen("scenarios/raft-figure8.json", "rb");
    assert_non_null(fp);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = '\0';
    char *bug = strstr(text, "\"commit-old-term-by-count\"");
    assert_non_null(bug);
    static char fixed[65536];
    snprintf(fixed, sizeof fixed, "%.*s\"none\"%s", (int)(bug - text), text, bug + strlen("\"commit-old-term-by-count\""));
    assert_int_equal(kit_first_violation(fixed, 1, 3, name, sizeof name), -1);
    assert_string_equal(name, "");
    assert_int_equal(kit_first_violation("{\"nodes\": 1}", 1, 3, name, sizeof name), SIM_EINPUT);
}

/* A script of kit calls, run twice with one seed, gives the same trace; with another
 * seed (gossip picks its peers at random) another one. */
static uint64_t scripted_hash(uint64_t seed)
{
    kit_t *k = kit_create("gossip", 5, 1, "{\"fanout\": 2}", seed);
    assert_non_null(k);
    for (uint64_t i = 1; i <= 4; i++) {
        sim_req_t w = {.client = 5, .op_id = i, .f = SIM_OP_WRITE, .value = (int64_t)(100 + i)};
        assert_int_equal(kit_request(k, (uint32_t)(i % 5), &w), SIM_OK);
    }
    kit_flight_t f[64];
    int n = kit_flights(k, KIT_ANY, KIT_ANY, "push", f, 64);
    assert_true(n >= 4 && n <= 64);
    assert_int_equal(kit_drop(k, f[0].id), SIM_OK);
    assert_int_equal(kit_deliver(k, f[n - 1].id), SIM_OK);
    assert_int_equal(kit_fire_next(k, 3, KIT_ANY_KIND), SIM_OK);
    assert_int_equal(kit_run_quiet(k, 10 * SIM_SEC), 0);
    uint64_t h = sim_trace_hash(kit_sim(k));
    kit_destroy(k);
    return h;
}

static void test_kit_scripts_replay_exactly(void **state)
{
    uint64_t a = scripted_hash(4), b = scripted_hash(4), c = scripted_hash(5);
    assert_true(a == b);
    assert_true(a != c);
}

/* The example at the top of kit.h, as written there. */
static void test_kit_header_example(void **state)
{
    kit_t *k = kit_create("gossip", 3, 1, "{\"fanout\": 1}", 1);   // n1..n3, client c1 = node 3
    assert_non_null(k);
    sim_req_t w = {.client = 3, .op_id = 1, .f = SIM_OP_WRITE, .value = 7};
    assert_int_equal(kit_request(k, 0, &w), SIM_OK);                // c1 writes 7 at n1
    kit_reply_t r;
    assert_int_equal(kit_reply_to(k, 0, 1, &r), SIM_OK);            // n1 answers at once
    assert_int_equal(r.status, SIM_REPLY_OK);
    kit_flight_t f;
    assert_int_equal(kit_find(k, 0, KIT_ANY, "push", &f), SIM_OK);  // and pushes 7 to one peer
    assert_int_equal(kit_deliver(k, f.id), SIM_OK);                 // which hears it now
    assert_int_equal(kit_state_int(k, f.to, "values[0]"), 7);
    kit_destroy(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kit_create_makes_a_quiet_cluster),
        cmocka_unit_test(test_kit_create_refuses_bad_input),
        cmocka_unit_test(test_kit_from_json_takes_text_and_files),
        cmocka_unit_test(test_kit_replies_decode),
        cmocka_unit_test(test_kit_deliver_by_id_delivers_only_that_one),
        cmocka_unit_test(test_kit_deliver_all_goes_in_send_order),
        cmocka_unit_test(test_kit_drop_removes_the_message_now),
        cmocka_unit_test(test_kit_bad_ids_and_names_are_errors),
        cmocka_unit_test(test_kit_firing_a_timer_runs_on_timer),
        cmocka_unit_test(test_kit_pause_holds_messages_and_timers),
        cmocka_unit_test(test_kit_faults_take_one_call),
        cmocka_unit_test(test_kit_run_quiet_stops_when_nothing_is_in_flight),
        cmocka_unit_test(test_kit_state_reads_paths),
        cmocka_unit_test(test_kit_wrap_leaves_the_simulation),
        cmocka_unit_test(test_kit_first_violation_finds_raft_figure8),
        cmocka_unit_test(test_kit_scripts_replay_exactly),
        cmocka_unit_test(test_kit_header_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
