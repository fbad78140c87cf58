/* test_paxos.c -- Multi-Paxos: the acceptor's rules, a new leader's phase 1, and whole
 * runs under faults.
 *
 * Protocol tests drive nodes with scripted messages (sim_inject, sim_inject_request)
 * and look at what they put in flight; the simulation is never stepped during the
 * script, so nothing but the injected messages reaches a node. End-to-end tests run
 * scenarios: the shipped ones, and a chaos scenario (random partitions, random
 * crashes, message loss and duplication) over many seeds, once with the correct
 * protocol, which must never break an invariant, and once with the variant
 * ignore-promised-value, which the checker must catch.
 *
 * The wire format below restates the one in sim/proto/paxos.c, on purpose: a change to
 * the protocol's messages should be a visible change here too.
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

/* ---- paxos.c's wire format, restated. ---------------------------------------------- */

enum { PREPARE, PROMISE, ACCEPT, ACCEPTED, DECIDE, HEARTBEAT, CATCHUP };
#define GLOBAL(t) ((uint16_t)((t) + SIM_MSG_BUILTIN))
#define NOOP 0xff

static int64_t ballot(int64_t round, uint32_t node) { return round << 8 | node; }

typedef struct value {
    uint64_t op_id;
    uint32_t client;
    uint8_t f;
    uint8_t _pad[3];
    uint32_t key;
    uint32_t _pad2;
    int64_t v1, v2;
} value_t;

typedef struct prepare { int64_t ballot; uint32_t from_slot; uint32_t _pad; } prepare_t;
typedef struct entry { uint32_t slot; uint8_t chosen; uint8_t _pad[3]; int64_t ballot; value_t value; } entry_t;
typedef struct promise { int64_t ballot, promised; uint8_t ok; uint8_t _pad[3]; uint32_t n; entry_t entry[]; } promise_t;
typedef struct accept { int64_t ballot; uint32_t slot; uint32_t _pad; value_t value; } accept_t;
typedef struct accepted { int64_t ballot, promised; uint32_t slot; uint8_t ok; uint8_t _pad[3]; } accepted_t;

_Static_assert(sizeof(value_t) == 40, "paxos_value_t is 40 bytes");
_Static_assert(sizeof(entry_t) == 56, "paxos_entry_t is 56 bytes");
_Static_assert(sizeof(promise_t) == 24, "paxos_promise_t is 24 bytes");

static value_t write_of(uint32_t key, int64_t v, uint64_t op_id)
{
    value_t x;
    memset(&x, 0, sizeof x);
    x.op_id = op_id;
    x.client = 5;
    x.f = SIM_OP_WRITE;
    x.key = key;
    x.v1 = v;
    return x;
}

/* ---- Helpers. ---------------------------------------------------------------------- */

/* A quiet cluster for scripted tests: no clients, and election timeouts far beyond
 * anything a test waits for, so only injected messages happen. */
static const char *QUIET5 =
    "{\"duration\": \"60s\", \"nodes\": 5, \"protocol\": {\"name\": \"paxos\","
    " \"params\": {\"election_timeout\": [\"10s\", \"20s\"]}}}";

/* Messages in flight of one type from one node that will arrive (not dropped), oldest
 * first, as the kit lists them; fails past FLIGHTS_MAX. */
#define FLIGHTS_MAX 256
static int in_flight(sim_t *s, uint32_t from, unsigned type, kit_flight_t *out)
{
    kit_t *k = kit_wrap(s);
    static kit_flight_t all[FLIGHTS_MAX];
    int n = kit_flights(k, from, KIT_ANY, sim_msg_type_name(s, GLOBAL(type)), all, FLIGHTS_MAX), kept = 0;
    if (n < 0 || n > FLIGHTS_MAX) fail_msg("%d messages in flight: %s", n, kit_error(k));
    for (int i = 0; i < n; i++)
        if (!all[i].doomed) out[kept++] = all[i];
    kit_destroy(k);
    return kept;
}

/* The one message of `type` from `from` to `to` in flight; fails unless exactly one.
 * The payload is the one in flight: read it before the simulation moves on. */
static const void *the_message(sim_t *s, uint32_t from, uint32_t to, unsigned type)
{
    static kit_flight_t f[FLIGHTS_MAX];
    int count = in_flight(s, from, type, f), found = -1, n = 0;
    for (int i = 0; i < count; i++)
        if (f[i].to == to) { found = i; n++; }
    if (n != 1) fail_msg("expected one %s from node %u to node %u in flight, found %d",
                         sim_msg_type_name(s, GLOBAL(type)), from, to, n);
    return f[found].payload;
}

/* Drops everything in flight, so that the next look sees only what the script causes. */
static void drain(sim_t *s)
{
    kit_t *k = kit_wrap(s);
    static kit_flight_t f[FLIGHTS_MAX];
    int n = kit_flights(k, KIT_ANY, KIT_ANY, NULL, f, FLIGHTS_MAX);
    assert_true(n >= 0 && n < FLIGHTS_MAX);
    for (int i = 0; i < n; i++) {
        if (f[i].doomed) continue;
        sim_action_t a = {0};
        a.kind = ACT_DROP;
        a.msg_id = f[i].id;
        assert_int_equal(sim_apply(s, &a), SIM_OK);
    }
    kit_destroy(k);
}

static void inject_prepare(sim_t *s, uint32_t from, uint32_t to, int64_t b, uint32_t from_slot)
{
    prepare_t m = {b, from_slot, 0};
    assert_int_equal(sim_inject(s, from, to, PREPARE, &m, sizeof m), SIM_OK);
}

static void inject_accept(sim_t *s, uint32_t from, uint32_t to, int64_t b, uint32_t slot, value_t v)
{
    accept_t m;
    memset(&m, 0, sizeof m);
    m.ballot = b;
    m.slot = slot;
    m.value = v;
    assert_int_equal(sim_inject(s, from, to, ACCEPT, &m, sizeof m), SIM_OK);
}

/* ---- The acceptor. ------------------------------------------------------------------- */

static void test_paxos_acceptor_promises_only_higher_ballots(void **state)
{
    scn_t scn;
    ts_load(QUIET5, &scn);
    sim_t *s = ts_create_seed(&scn, 0);

    inject_prepare(s, 1, 0, ballot(5, 1), 0);
    const promise_t *p = the_message(s, 0, 1, PROMISE);
    assert_int_equal(p->ok, 1);
    assert_int_equal(p->ballot, ballot(5, 1));
    assert_int_equal(p->n, 0);
    drain(s);

    /* A lower ballot is refused, and the refusal names the ballot promised. */
    inject_prepare(s, 2, 0, ballot(4, 2), 0);
    p = the_message(s, 0, 2, PROMISE);
    assert_int_equal(p->ok, 0);
    assert_int_equal(p->promised, ballot(5, 1));
    drain(s);

    /* The same round from a lower node id is a lower ballot too. */
    inject_prepare(s, 0 + 3, 0, ballot(5, 0), 0);
    p = the_message(s, 0, 3, PROMISE);
    assert_int_equal(p->ok, 0);
    drain(s);

    /* An accept below the promise is refused as well. */
    inject_accept(s, 2, 0, ballot(4, 2), 0, write_of(1, 7, 1));
    const accepted_t *a = the_message(s, 0, 2, ACCEPTED);
    assert_int_equal(a->ok, 0);
    assert_int_equal(a->promised, ballot(5, 1));
    drain(s);

    /* A higher one is promised. */
    inject_prepare(s, 4, 0, ballot(6, 4), 0);
    p = the_message(s, 0, 4, PROMISE);
    assert_int_equal(p->ok, 1);

    sim_destroy(s);
    scn_free(&scn);
}

static void test_paxos_acceptor_reports_accepted_values_and_keeps_them_across_a_crash(void **state)
{
    scn_t scn;
    ts_load(QUIET5, &scn);
    sim_t *s = ts_create_seed(&scn, 0);

    inject_accept(s, 1, 0, ballot(2, 1), 0, write_of(1, 7, 11));
    const accepted_t *a = the_message(s, 0, 1, ACCEPTED);
    assert_int_equal(a->ok, 1);
    assert_int_equal(a->slot, 0);
    drain(s);
    inject_accept(s, 1, 0, ballot(2, 1), 3, write_of(2, 9, 12));
    drain(s);

    /* A crash loses volatile memory only: the acceptances are durable. */
    sim_action_t crash = {0}, restart = {0};
    crash.kind = ACT_CRASH;
    restart.kind = ACT_RESTART;
    assert_int_equal(sim_apply(s, &crash), SIM_OK);
    assert_int_equal(sim_apply(s, &restart), SIM_OK);
    drain(s);

    inject_prepare(s, 2, 0, ballot(3, 2), 1);
    const promise_t *p = the_message(s, 0, 2, PROMISE);
    assert_int_equal(p->ok, 1);
    /* Only slots from from_slot (1) on are reported. */
    assert_int_equal(p->n, 1);
    assert_int_equal(p->entry[0].slot, 3);
    assert_int_equal(p->entry[0].ballot, ballot(2, 1));
    assert_int_equal(p->entry[0].chosen, 0);
    assert_int_equal(p->entry[0].value.f, SIM_OP_WRITE);
    assert_int_equal(p->entry[0].value.key, 2);
    assert_int_equal(p->entry[0].value.v1, 9);
    drain(s);

    /* The promise survives a crash as well: ballot 3.n3 is still refused below. */
    assert_int_equal(sim_apply(s, &crash), SIM_OK);
    assert_int_equal(sim_apply(s, &restart), SIM_OK);
    drain(s);
    inject_prepare(s, 1, 0, ballot(3, 1), 0);
    p = the_message(s, 0, 1, PROMISE);
    assert_int_equal(p->ok, 0);
    assert_int_equal(p->promised, ballot(3, 2));

    sim_destroy(s);
    scn_free(&scn);
}

/* ---- A new leader's phase 1. --------------------------------------------------------- */

/* Makes one node of a quiet five-node cluster a candidate above round 3 and returns it,
 * with its ballot. Every node first promises 3.n1, so the candidate's round is 4. */
static uint32_t candidate(sim_t *s, int64_t *b)
{
    for (uint32_t i = 0; i < 5; i++) inject_prepare(s, 0, i, ballot(3, 0), 0);
    drain(s);
    for (int steps = 0; steps < 100000 && sim_step(s); steps++) {
        for (uint32_t i = 0; i < 5; i++) {
            if (sim_node_role(s, i, NULL) != SIM_ROLE_CANDIDATE) continue;
            static kit_flight_t c[FLIGHTS_MAX];
            assert_true(in_flight(s, i, PREPARE, c) >= 4);
            const prepare_t *m = (const prepare_t *)c[0].payload;
            *b = m->ballot;
            assert_int_equal(*b >> 8, 4);
            drain(s);
            return i;
        }
    }
    fail_msg("no node became a candidate");
    return 0;
}

/* A promise from `from` to the candidate with the given accepted slots. */
static void inject_promise(sim_t *s, uint32_t from, uint32_t to, int64_t b, const entry_t *e, uint32_t n)
{
    uint8_t buf[sizeof(promise_t) + 8 * sizeof(entry_t)];
    memset(buf, 0, sizeof buf);
    promise_t *p = (promise_t *)buf;
    assert_true(n <= 8);
    p->ballot = b;
    p->ok = 1;
    p->n = n;
    if (n) memcpy(p->entry, e, n * sizeof *e);
    assert_int_equal(sim_inject(s, from, to, PROMISE, p, (uint32_t)(sizeof *p + n * sizeof *e)), SIM_OK);
}

static entry_t entry_of(uint32_t slot, int64_t b, value_t v)
{
    entry_t e;
    memset(&e, 0, sizeof e);
    e.slot = slot;
    e.ballot = b;
    e.value = v;
    return e;
}

/* The value the leader proposes in `slot` (from its accept to node `to`). */
static value_t proposed(sim_t *s, uint32_t leader, uint32_t to, uint32_t slot, int64_t b)
{
    static kit_flight_t c[FLIGHTS_MAX];
    int count = in_flight(s, leader, ACCEPT, c);
    value_t v;
    int n = 0;
    memset(&v, 0, sizeof v);
    for (int i = 0; i < count; i++) {
        const accept_t *m = (const accept_t *)c[i].payload;
        if (c[i].to != to || m->slot != slot) continue;
        assert_int_equal(m->ballot, b);
        v = m->value;
        n++;
    }
    if (n != 1) fail_msg("expected one accept for slot %u to node %u, found %d", slot, to, n);
    return v;
}

static void test_paxos_new_leader_reproposes_the_highest_ballot_value(void **state)
{
    scn_t scn;
    ts_load(QUIET5, &scn);
    sim_t *s = ts_create_seed(&scn, 3);
    int64_t b;
    uint32_t x = candidate(s, &b), a = (x + 1) % 5, z = (x + 2) % 5, other = (x + 3) % 5;

    /* Two acceptors report different values for slot 0; the later ballot must win,
     * whichever promise arrives first. */
    entry_t ea[] = {entry_of(0, ballot(2, a), write_of(1, 222, 2))};
    entry_t ez[] = {entry_of(0, ballot(1, z), write_of(1, 111, 1))};
    inject_promise(s, a, x, b, ea, 1);
    assert_int_equal(sim_node_role(s, x, NULL), SIM_ROLE_CANDIDATE);   /* two of five promised */
    inject_promise(s, z, x, b, ez, 1);
    assert_int_equal(sim_node_role(s, x, NULL), SIM_ROLE_LEADER);

    value_t v = proposed(s, x, other, 0, b);
    assert_int_equal(v.f, SIM_OP_WRITE);
    assert_int_equal(v.v1, 222);
    assert_int_equal(v.op_id, 2);

    sim_destroy(s);
    scn_free(&scn);
}

static void test_paxos_new_leader_fills_gaps_with_noops(void **state)
{
    scn_t scn;
    ts_load(QUIET5, &scn);
    sim_t *s = ts_create_seed(&scn, 4);
    int64_t b;
    uint32_t x = candidate(s, &b), a = (x + 1) % 5, z = (x + 2) % 5, other = (x + 4) % 5;

    /* Slots 0 and 3 were accepted somewhere; nobody in the majority knows slots 1 and 2. */
    entry_t ea[] = {entry_of(0, ballot(2, a), write_of(1, 5, 1)), entry_of(3, ballot(2, a), write_of(2, 6, 2))};
    inject_promise(s, a, x, b, ea, 2);
    inject_promise(s, z, x, b, NULL, 0);
    assert_int_equal(sim_node_role(s, x, NULL), SIM_ROLE_LEADER);

    assert_int_equal(proposed(s, x, other, 0, b).v1, 5);
    assert_int_equal(proposed(s, x, other, 1, b).f, NOOP);
    assert_int_equal(proposed(s, x, other, 2, b).f, NOOP);
    assert_int_equal(proposed(s, x, other, 3, b).v1, 6);

    /* The next client command goes after them, in slot 4. */
    drain(s);
    sim_req_t req = {0};
    req.client = 5;
    req.op_id = 77;
    req.f = SIM_OP_WRITE;
    req.key = 3;
    req.value = 42;
    assert_int_equal(sim_inject_request(s, x, &req), SIM_OK);
    value_t v = proposed(s, x, other, 4, b);
    assert_int_equal(v.op_id, 77);
    assert_int_equal(v.v1, 42);

    sim_destroy(s);
    scn_free(&scn);
}

static void test_paxos_variant_ignores_promised_values(void **state)
{
    /* The same script as above with the variant: the reported value is replaced. */
    scn_t scn;
    ts_load("{\"duration\": \"60s\", \"nodes\": 5, \"protocol\": {\"name\": \"paxos\","
         " \"params\": {\"election_timeout\": [\"10s\", \"20s\"], \"variant\": \"ignore-promised-value\"}}}", &scn);
    sim_t *s = ts_create_seed(&scn, 3);
    int64_t b;
    uint32_t x = candidate(s, &b), a = (x + 1) % 5, z = (x + 2) % 5, other = (x + 3) % 5;
    entry_t ea[] = {entry_of(0, ballot(2, a), write_of(1, 222, 2))};
    inject_promise(s, a, x, b, ea, 1);
    inject_promise(s, z, x, b, NULL, 0);
    assert_int_equal(sim_node_role(s, x, NULL), SIM_ROLE_LEADER);
    assert_int_equal(proposed(s, x, other, 0, b).f, NOOP);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Leader and clients. ----------------------------------------------------------- */

/* The first reply from a server to a client in flight (and not dropped), decoded. */
static kit_reply_t reply_to(sim_t *s, uint32_t from, uint32_t client)
{
    kit_t *k = kit_wrap(s);
    static kit_flight_t f[FLIGHTS_MAX];
    int n = kit_flights(k, from, client, "reply", f, FLIGHTS_MAX);
    assert_true(n >= 0 && n <= FLIGHTS_MAX);
    kit_reply_t r = {0};
    for (int i = 0; i < n; i++) {
        if (f[i].doomed) continue;
        if (kit_reply_decode(k, &f[i], &r) != SIM_OK) fail_msg("%s", kit_error(k));
        kit_destroy(k);
        return r;
    }
    fail_msg("no reply from node %u to %u in flight", from, client);
    return r;
}

/* Requests injected by a script were never invoked by a client, so the checker (which
 * wants every chosen command to come from the history) is off here; the next test
 * turns it on. */
static void test_paxos_followers_redirect_clients_to_the_leader(void **state)
{
    scn_t scn;
    ts_load("{\"duration\": \"10s\", \"nodes\": 3, \"protocol\": \"paxos\", \"invariants\": false,"
         " \"workload\": {\"clients\": 1, \"ops\": {\"read\": 1}, \"rate\": \"1/s\", \"start\": \"9s\"}}", &scn);
    sim_t *s = ts_create_seed(&scn, 0);
    sim_run_until(s, 2 * SIM_SEC);
    int64_t leader = sim_leader(s);
    assert_true(leader >= 0);
    uint32_t follower = (uint32_t)(leader + 1) % 3, client = 3;
    drain(s);

    sim_req_t req = {0};
    req.client = client;
    req.op_id = 1000;
    req.f = SIM_OP_WRITE;
    req.key = 0;
    req.value = 9;
    assert_int_equal(sim_inject_request(s, follower, &req), SIM_OK);
    kit_reply_t r = reply_to(s, follower, client);
    assert_int_equal(r.status, SIM_REPLY_REDIRECT);
    assert_int_equal(r.redirect, (uint32_t)leader);

    /* The leader proposes it to both acceptors, and answers once it is chosen. */
    drain(s);
    assert_int_equal(sim_inject_request(s, (uint32_t)leader, &req), SIM_OK);
    static kit_flight_t acc[FLIGHTS_MAX];
    assert_int_equal(in_flight(s, (uint32_t)leader, ACCEPT, acc), 2);
    sim_run_until(s, 3 * SIM_SEC);
    jw_t w;
    jw_init(&w, false);
    for (uint32_t i = 0; i < 3; i++) {
        jw_reset(&w);
        sim_export_node(s, i, &w);
        cJSON *o = cJSON_Parse(w.buf);
        assert_non_null(o);
        const cJSON *kv = cJSON_GetObjectItemCaseSensitive(o, "kv");
        const cJSON *k0 = cJSON_GetObjectItemCaseSensitive(kv, "k0");
        if (!cJSON_IsNumber(k0)) fail_msg("node %u did not apply the write: %s", i, w.buf);
        assert_int_equal((int)k0->valuedouble, 9);
        cJSON_Delete(o);
    }
    jw_free(&w);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_paxos_checker_flags_a_command_no_client_invoked(void **state)
{
    scn_t scn;
    ts_load("{\"duration\": \"10s\", \"nodes\": 3, \"protocol\": \"paxos\","
         " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"20/s\", \"stop\": \"1s\"}}", &scn);
    sim_t *s = ts_create_seed(&scn, 0);
    sim_run_until(s, 2 * SIM_SEC);
    assert_null(sim_violation(s, NULL));
    int64_t leader = sim_leader(s);
    assert_true(leader >= 0);
    sim_req_t req = {0};
    req.client = 3;
    req.op_id = 1000;
    req.f = SIM_OP_WRITE;
    req.value = 123456;     /* the workload's values are 1, 2, 3, ...: nobody wrote this */
    assert_int_equal(sim_inject_request(s, (uint32_t)leader, &req), SIM_OK);
    sim_run_until(s, 3 * SIM_SEC);
    const sim_violation_t *v = sim_violation(s, NULL);
    assert_non_null(v);
    assert_string_equal(v->name, "nontriviality");
    assert_non_null(strstr(v->detail, "write k0=123456"));
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Whole runs. ------------------------------------------------------------------- */

/* Every up node's key-value table, as exported, must be the same. */
static void assert_converged(sim_t *s)
{
    jw_t w;
    jw_init(&w, false);
    char *first = NULL;
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        if (!sim_node_up(s, i)) continue;
        jw_reset(&w);
        sim_export_node(s, i, &w);
        cJSON *o = cJSON_Parse(w.buf);
        assert_non_null(o);
        char *kv = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(o, "kv"));
        if (!first) first = kv;
        else {
            if (strcmp(first, kv) != 0) fail_msg("node %u holds %s, another %s", i, kv, first);
            free(kv);
        }
        cJSON_Delete(o);
    }
    assert_non_null(first);
    assert_true(strlen(first) > 2);      /* something was written */
    free(first);
    jw_free(&w);
    assert_true(sim_protocol(s)->replicas_equal(s));
}

static void test_paxos_basic_scenario_keeps_invariants_and_converges(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/paxos-basic.json", &scn);
    sim_t *s = ts_create_seed(&scn, 0);
    sim_run(s);
    assert_null(sim_violation(s, NULL));
    assert_null(sim_error(s));
    const sim_stats_t *st = sim_stats(s);
    assert_true(st->elections >= 2);          /* the first leader, and one after the crash */
    assert_true(st->ops_ok > st->ops_invoked / 2);
    assert_converged(s);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_paxos_duelling_scenario_settles(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/paxos-duelling.json", &scn);
    sim_t *s = ts_create_seed(&scn, 0);
    sim_run(s);
    assert_null(sim_violation(s, NULL));
    const sim_stats_t *st = sim_stats(s);
    assert_true(sim_leader(s) >= 0);
    int64_t rounds_with_backoff = st->max_term;
    uint64_t ok_with_backoff = st->ops_ok;
    sim_destroy(s);

    /* Without backoff the same run duels much longer. */
    scn_free(&scn);
    FILE *f = fopen("scenarios/paxos-duelling.json", "rb");
    assert_non_null(f);
    char json[8192];
    size_t n = fread(json, 1, sizeof json - 1, f);
    fclose(f);
    json[n] = 0;
    char *at = strstr(json, "\"backoff_max\": \"2s\"");
    assert_non_null(at);
    memcpy(at, "\"backoff_max\": \"0s\"", strlen("\"backoff_max\": \"0s\""));
    ts_load(json, &scn);
    s = ts_create_seed(&scn, 0);
    sim_run(s);
    assert_null(sim_violation(s, NULL));
    st = sim_stats(s);
    if (!(st->max_term > 2 * rounds_with_backoff && st->ops_ok < ok_with_backoff))
        fail_msg("without backoff: %lld rounds and %llu ok; with: %lld and %llu", (long long)st->max_term,
                 (unsigned long long)st->ops_ok, (long long)rounds_with_backoff, (unsigned long long)ok_with_backoff);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_paxos_bug_scenario_is_caught(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/paxos-bug.json", &scn);
    sim_t *s = ts_create_seed(&scn, 0);
    sim_run(s);
    const sim_violation_t *v = sim_violation(s, NULL);
    assert_non_null(v);
    assert_string_equal(v->name, "agreement");
    assert_non_null(strstr(v->detail, "no-op"));
    sim_destroy(s);
    scn_free(&scn);
}

/* Random partitions, random crashes, loss and duplication, on three or five nodes. */
static const char *CHAOS =
    "{\"duration\": \"10s\", \"nodes\": %d,"
    " \"protocol\": {\"name\": \"paxos\", \"params\": {\"variant\": \"%s\"}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"2ms\", \"max\": \"12ms\"}, \"loss\": 0.05, \"duplicate\": 0.02},"
    " \"workload\": {\"clients\": 3, \"ops\": {\"write\": 0.5, \"read\": 0.3, \"cas\": 0.1, \"add\": 0.1}, \"keys\": 4,"
    "   \"rate\": \"40/s\", \"timeout\": \"800ms\", \"retries\": 10, \"retry_delay\": \"20ms\"},"
    " \"faults\": [{\"nemesis\": \"random-partitions\", \"every\": \"1500ms\", \"duration\": \"700ms\"},"
    "            {\"nemesis\": \"random-crashes\", \"mttf\": \"3s\", \"mttr\": \"500ms\"}]}";

static void load_chaos(int nodes, const char *variant, scn_t *scn)
{
    char json[2048];
    snprintf(json, sizeof json, CHAOS, nodes, variant);
    ts_load(json, scn);
}

static void test_paxos_variant_is_caught_within_200_seeds(void **state)
{
    scn_t scn;
    load_chaos(3, "ignore-promised-value", &scn);
    uint64_t caught = 0;
    for (uint64_t seed = 1; seed <= 200 && !caught; seed++) {
        sim_t *s = ts_create_seed(&scn, seed);
        sim_run(s);
        const sim_violation_t *v = sim_violation(s, NULL);
        if (v) {
            assert_string_equal(v->name, "agreement");
            caught = seed;
        }
        sim_destroy(s);
    }
    if (!caught) fail_msg("the checker missed ignore-promised-value in 200 seeds");
    print_message("ignore-promised-value caught first with seed %llu\n", (unsigned long long)caught);
    scn_free(&scn);
}

static void passes_500_seeds(int nodes)
{
    scn_t scn;
    load_chaos(nodes, "none", &scn);
    uint64_t ok = 0, busy_runs = 0;
    for (uint64_t seed = 1; seed <= 500; seed++) {
        sim_t *s = ts_create_seed(&scn, seed);
        sim_run(s);
        sim_time_t when;
        const sim_violation_t *v = sim_violation(s, &when);
        if (v) fail_msg("%d nodes, seed %llu: %s at %lldns: %s", nodes, (unsigned long long)seed, v->name,
                        (long long)when, v->detail);
        if (sim_error(s)) fail_msg("%d nodes, seed %llu: %s", nodes, (unsigned long long)seed, sim_error(s));
        ok += sim_stats(s)->ops_ok;
        busy_runs += sim_stats(s)->ops_ok > 50;
        sim_destroy(s);
    }
    /* The runs did something: nearly all of them completed operations despite the faults. */
    assert_true(busy_runs > 450);
    assert_true(ok > 500 * 100);
    scn_free(&scn);
}

static void test_paxos_correct_protocol_passes_500_seeds_on_3_nodes(void **state) { passes_500_seeds(3); }
static void test_paxos_correct_protocol_passes_500_seeds_on_5_nodes(void **state) { passes_500_seeds(5); }

static void test_paxos_same_seed_same_trace_hash(void **state)
{
    scn_t scn;
    load_chaos(3, "none", &scn);
    ts_assert_seed_decides(&scn, 42, 43);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paxos_acceptor_promises_only_higher_ballots),
        cmocka_unit_test(test_paxos_acceptor_reports_accepted_values_and_keeps_them_across_a_crash),
        cmocka_unit_test(test_paxos_new_leader_reproposes_the_highest_ballot_value),
        cmocka_unit_test(test_paxos_new_leader_fills_gaps_with_noops),
        cmocka_unit_test(test_paxos_variant_ignores_promised_values),
        cmocka_unit_test(test_paxos_followers_redirect_clients_to_the_leader),
        cmocka_unit_test(test_paxos_checker_flags_a_command_no_client_invoked),
        cmocka_unit_test(test_paxos_basic_scenario_keeps_invariants_and_converges),
        cmocka_unit_test(test_paxos_duelling_scenario_settles),
        cmocka_unit_test(test_paxos_bug_scenario_is_caught),
        cmocka_unit_test(test_paxos_variant_is_caught_within_200_seeds),
        cmocka_unit_test(test_paxos_correct_protocol_passes_500_seeds_on_3_nodes),
        cmocka_unit_test(test_paxos_correct_protocol_passes_500_seeds_on_5_nodes),
        cmocka_unit_test(test_paxos_same_seed_same_trace_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
