/* test_shard.c -- the partitioned store: routing, register operations, moving keys.
 *
 * Protocol tests drive single servers with scripted requests and messages and look at
 * what they put in flight; the ring is rebuilt here from the same parameters (it is a
 * pure function of the member set) to know which server owns which key. End-to-end
 * tests run joins, a leave and a crash and check the exported numbers, each server's
 * final data and the history.
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
#include "proto/ring.h"
#include "kit/kit.h"
#include "support.h"

/* shard's message types and wire formats, as the protocol defines them. */
enum { FORWARD, MOVE, MOVE_ACK, PULL, COPY };
#define GLOBAL(t) ((uint16_t)((t) + SIM_MSG_BUILTIN))
typedef struct wire { uint32_t key, version; int64_t value; uint32_t source; uint8_t has, pad[3]; } wire_t;
typedef struct ack { uint32_t key, version; } ack_t;
typedef struct fwd { sim_req_t req; uint32_t hops, pad; } fwd_t;

/* A ring as the servers build it: the first n of `servers` ids are members. */
static ring_t *ring_of(ring_scheme_t scheme, uint32_t servers, uint32_t vnodes, uint32_t keys, uint32_t n)
{
    ring_t *r = malloc(ring_bytes(servers, vnodes));
    ring_init(r, scheme, servers, vnodes, keys);
    uint32_t m[64];
    for (uint32_t i = 0; i < n; i++) m[i] = i;
    ring_build(r, m, n);
    return r;
}

/* Messages in flight from one node of one type, oldest first, as the kit lists them,
 * with their payloads copied out (so a test can hand one on after the run moved). */
#define FLIGHTS_MAX 64
typedef struct flights {
    int count;
    uint32_t to[FLIGHTS_MAX];
    uint32_t len[FLIGHTS_MAX];
    uint8_t *payload[FLIGHTS_MAX];
} flights_t;

static void in_flight(sim_t *s, uint32_t from, uint16_t type, flights_t *out)
{
    static kit_flight_t f[FLIGHTS_MAX];
    memset(out, 0, sizeof *out);
    kit_t *k = kit_wrap(s);
    out->count = kit_flights(k, from, KIT_ANY, sim_msg_type_name(s, type), f, FLIGHTS_MAX);
    if (out->count < 0) fail_msg("%s", kit_error(k));
    kit_destroy(k);
    for (int i = 0; i < out->count && i < FLIGHTS_MAX; i++) {
        out->to[i] = f[i].to;
        out->len[i] = f[i].len;
        out->payload[i] = malloc(f[i].len ? f[i].len : 1);
        if (f[i].len) memcpy(out->payload[i], f[i].payload, f[i].len);
    }
}

static void flights_free(flights_t *f)
{
    for (int i = 0; i < f->count && i < FLIGHTS_MAX; i++) free(f->payload[i]);
    f->count = 0;
}

/* The replies to op_id in flight from a server: how many, and the last one's header and
 * first value. */
static int reply_of(sim_t *s, uint32_t from, uint64_t op_id, kit_reply_t *h, int64_t *v0)
{
    static kit_reply_t r[FLIGHTS_MAX];
    kit_t *k = kit_wrap(s);
    int n = kit_replies(k, from, KIT_ANY, r, FLIGHTS_MAX), found = 0;
    if (n < 0 || n > FLIGHTS_MAX) fail_msg("%d replies from node %u: %s", n, from, kit_error(k));
    kit_destroy(k);
    for (int i = 0; i < n; i++) {
        if (r[i].op_id != op_id) continue;
        found++;
        *h = r[i];
        if (r[i].n && v0) *v0 = r[i].values[0];
    }
    return found;
}

#define CLIENT 4u
static const char *const quiet_json =
    "{\"duration\": \"10s\", \"nodes\": 4,"
    " \"protocol\": {\"name\": \"shard\", \"params\": {\"scheme\": \"%s\", \"routing\": \"%s\", \"replicas\": %d}},"
    " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"keys\": 100, \"rate\": \"1/m\", \"start\": \"1m\"}}";

static sim_t *quiet(scn_t *scn, const char *scheme, const char *routing, int replicas)
{
    char json[1024];
    snprintf(json, sizeof json, quiet_json, scheme, routing, replicas);
    ts_load(json, scn);
    return ts_create(scn, NULL);
}

/* A key owned by `owner` under the quiet scenario's ring. */
static uint32_t key_owned_by(ring_scheme_t scheme, uint32_t owner)
{
    ring_t *r = ring_of(scheme, 4, 64, 100, 4);
    uint32_t k = 0;
    while (k < 100 && ring_owner(r, k) != owner) k++;
    free(r);
    assert_true(k < 100);
    return k;
}

static void inject(sim_t *s, uint32_t to, uint64_t op, uint8_t f, uint32_t key, int64_t v1, int64_t v2)
{
    sim_req_t req = {.client = CLIENT, .op_id = op, .f = f, .key = key, .value = v1, .value2 = v2};
    assert_int_equal(sim_inject_request(s, to, &req), SIM_OK);
}

/* ---- Driving single servers. --------------------------------------------------- */

static void test_shard_request_for_another_owner_is_forwarded(void **state)
{
    scn_t scn;
    sim_t *s = quiet(&scn, "consistent", "forward", 1);
    uint32_t k = key_owned_by(RING_CONSISTENT, 2);
    inject(s, 0, 7, SIM_OP_WRITE, k, 42, 0);
    kit_reply_t h;
    assert_int_equal(reply_of(s, 0, 7, &h, NULL), 0);       /* n1 does not answer */
    flights_t f;
    in_flight(s, 0, GLOBAL(FORWARD), &f);
    assert_int_equal(f.count, 1);
    assert_int_equal(f.to[0], 2);
    assert_int_equal(f.len[0], sizeof(fwd_t));
    fwd_t fw;
    memcpy(&fw, f.payload[0], sizeof fw);
    assert_int_equal(fw.hops, 1);
    assert_int_equal(fw.req.op_id, 7);
    assert_int_equal(fw.req.key, k);
    /* The owner answers the client directly. */
    assert_int_equal(sim_inject(s, 0, 2, FORWARD, &fw, sizeof fw), SIM_OK);
    int64_t v;
    assert_int_equal(reply_of(s, 2, 7, &h, &v), 1);
    assert_int_equal(h.status, SIM_REPLY_OK);
    assert_int_equal(v, 42);
    /* A forward that has gone round too often is refused rather than passed on. */
    fw.hops = 4;
    fw.req.op_id = 8;
    assert_int_equal(sim_inject(s, 2, 1, FORWARD, &fw, sizeof fw), SIM_OK);
    assert_int_equal(reply_of(s, 1, 8, &h, NULL), 1);
    assert_int_equal(h.status, SIM_REPLY_UNAVAILABLE);
    flights_free(&f);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_shard_redirect_names_the_owner(void **state)
{
    scn_t scn;
    sim_t *s = quiet(&scn, "mod", "redirect", 1);
    uint32_t k = key_owned_by(RING_MOD, 3);
    inject(s, 1, 9, SIM_OP_READ, k, 0, 0);
    kit_reply_t h;
    assert_int_equal(reply_of(s, 1, 9, &h, NULL), 1);
    assert_int_equal(h.status, SIM_REPLY_REDIRECT);
    assert_int_equal(h.redirect, 3);
    flights_t f;
    in_flight(s, 1, GLOBAL(FORWARD), &f);
    assert_int_equal(f.count, 0);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_shard_owner_applies_register_operations(void **state)
{
    scn_t scn;
    sim_t *s = quiet(&scn, "range", "forward", 1);
    uint32_t k = key_owned_by(RING_RANGE, 1);
    kit_reply_t h;
    int64_t v;
    inject(s, 1, 1, SIM_OP_READ, k, 0, 0);                   /* never written: ok, no value */
    assert_int_equal(reply_of(s, 1, 1, &h, NULL), 1);
    assert_int_equal(h.status, SIM_REPLY_OK);
    assert_int_equal(h.n, 0);
    inject(s, 1, 2, SIM_OP_CAS, k, 0, 5);                    /* nothing there matches */
    assert_int_equal(reply_of(s, 1, 2, &h, NULL), 1);
    assert_int_equal(h.status, SIM_REPLY_FAIL);
    inject(s, 1, 3, SIM_OP_WRITE, k, 10, 0);
    inject(s, 1, 4, SIM_OP_CAS, k, 10, 11);
    assert_int_equal(reply_of(s, 1, 4, &h, &v), 1);
    assert_int_equal(h.status, SIM_REPLY_OK);
    assert_int_equal(v, 11);
    inject(s, 1, 5, SIM_OP_ADD, k, 4, 0);
    inject(s, 1, 6, SIM_OP_READ, k, 0, 0);
    assert_int_equal(reply_of(s, 1, 6, &h, &v), 1);
    assert_int_equal(h.n, 1);
    assert_int_equal(v, 15);
    inject(s, 1, 7, SIM_OP_APPEND, k, 1, 0);                 /* not a register operation */
    assert_int_equal(reply_of(s, 1, 7, &h, NULL), 1);
    assert_int_equal(h.status, SIM_REPLY_FAIL);
    /* The contiguous ranges of 100 keys over 4 servers: n2 owns 25 .. 49. */
    assert_int_equal(k, 25);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_shard_backups_receive_copies(void **state)
{
    scn_t scn;
    sim_t *s = quiet(&scn, "consistent", "forward", 3);
    uint32_t k = key_owned_by(RING_CONSISTENT, 0);
    ring_t *r = ring_of(RING_CONSISTENT, 4, 64, 100, 4);
    uint32_t p[3];
    assert_int_equal(ring_replicas(r, k, 3, p), 3);
    inject(s, 0, 1, SIM_OP_WRITE, k, 77, 0);
    flights_t f;
    in_flight(s, 0, GLOBAL(COPY), &f);
    assert_int_equal(f.count, 2);
    for (int i = 0; i < 2; i++) {
        assert_true(f.to[i] == p[1] || f.to[i] == p[2]);
        wire_t w;
        assert_int_equal(f.len[i], 8 + sizeof w);
        memcpy(&w, f.payload[i] + 8, sizeof w);
        assert_int_equal(w.key, k);
        assert_int_equal(w.value, 77);
        assert_int_equal(w.version, 1);
        assert_int_equal(w.has, 1);
    }
    /* A backup keeps a copy, but only a newer one: an old copy arriving late is ignored. */
    assert_int_equal(sim_inject(s, 0, p[1], COPY, f.payload[0], f.len[0]), SIM_OK);
    uint8_t old[8 + sizeof(wire_t)];
    memcpy(old, f.payload[0], sizeof old);
    wire_t w;
    memcpy(&w, old + 8, sizeof w);
    w.version = 0;
    w.value = 1;
    memcpy(old + 8, &w, sizeof w);
    assert_int_equal(sim_inject(s, 0, p[1], COPY, old, sizeof old), SIM_OK);
    jw_t jw;
    jw_init(&jw, false);
    sim_export_node(s, p[1], &jw);
    char want[64];
    snprintf(want, sizeof want, "\"k%u\":77", k);
    if (!strstr(jw.buf, want)) fail_msg("backup n%u exports %s, expected %s", p[1] + 1, jw.buf, want);
    jw_free(&jw);
    flights_free(&f);
    free(r);
    sim_destroy(s);
    scn_free(&scn);
}

/* A join at 1s: the old owner streams, the new owner refuses until the key is there. */
static void test_shard_new_owner_refuses_until_the_key_arrives(void **state)
{
    scn_t scn;
    ts_load("{\"duration\": \"10s\", \"nodes\": [\"n1\", \"n2\", \"n3\", \"n4\", {\"name\": \"n5\", \"joined\": false}],"
         " \"protocol\": {\"name\": \"shard\", \"params\": {\"handoff\": \"5s\"}},"
         " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"keys\": 100, \"rate\": \"1/m\", \"start\": \"1m\"},"
         " \"faults\": [{\"at\": \"1s\", \"join\": \"n5\"}]}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    const uint32_t client = 5;
    ring_t *before = ring_of(RING_CONSISTENT, 5, 64, 100, 4), *after = ring_of(RING_CONSISTENT, 5, 64, 100, 5);
    uint32_t k = 0;
    while (k < 100 && ring_owner(after, k) != 4) k++;
    assert_true(k < 100);
    uint32_t old = ring_owner(before, k);
    sim_req_t req = {.client = client, .op_id = 1, .f = SIM_OP_WRITE, .key = k, .value = 31};
    assert_int_equal(sim_inject_request(s, old, &req), SIM_OK);
    /* Step until the join has been handled; the move is in flight, not delivered. */
    while (sim_time(s) < SIM_SEC) assert_true(sim_step(s));
    flights_t f;
    in_flight(s, old, GLOBAL(MOVE), &f);
    assert_true(f.count >= 1);
    int which = -1;
    for (int i = 0; i < f.count && which < 0; i++) {
        uint32_t n;
        memcpy(&n, f.payload[i], sizeof n);
        for (uint32_t j = 0; j < n; j++) {
            wire_t w;
            memcpy(&w, f.payload[i] + 8 + j * sizeof w, sizeof w);
            if (w.key != k) continue;
            assert_int_equal(w.value, 31);
            assert_int_equal(w.has, 1);
            assert_int_equal(w.source, RING_NONE);
            which = i;
        }
        assert_int_equal(f.to[i], 4);
    }
    assert_true(which >= 0);
    kit_reply_t h;
    req.op_id = 2;
    req.f = SIM_OP_READ;
    assert_int_equal(sim_inject_request(s, 4, &req), SIM_OK);
    assert_int_equal(reply_of(s, 4, 2, &h, NULL), 1);
    assert_int_equal(h.status, SIM_REPLY_UNAVAILABLE);
    /* The old owner no longer serves it: it forwards to n5. */
    req.op_id = 3;
    assert_int_equal(sim_inject_request(s, old, &req), SIM_OK);
    flights_t fw;
    in_flight(s, old, GLOBAL(FORWARD), &fw);
    assert_int_equal(fw.count, 1);
    assert_int_equal(fw.to[0], 4);
    flights_free(&fw);
    /* The move arrives: n5 acknowledges and serves the key. */
    assert_int_equal(sim_inject(s, old, 4, MOVE, f.payload[which], f.len[which]), SIM_OK);
    req.op_id = 4;
    assert_int_equal(sim_inject_request(s, 4, &req), SIM_OK);
    int64_t v;
    assert_int_equal(reply_of(s, 4, 4, &h, &v), 1);
    assert_int_equal(h.status, SIM_REPLY_OK);
    assert_int_equal(v, 31);
    flights_t a;
    in_flight(s, 4, GLOBAL(MOVE_ACK), &a);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.to[0], old);
    /* The acknowledgement lets the old owner delete its copy. */
    char want[32];
    snprintf(want, sizeof want, "\"k%u\":", k);
    jw_t jw;
    jw_init(&jw, false);
    sim_export_node(s, old, &jw);
    assert_non_null(strstr(jw.buf, want));
    assert_int_equal(sim_inject(s, 4, old, MOVE_ACK, a.payload[0], a.len[0]), SIM_OK);
    jw_reset(&jw);
    sim_export_node(s, old, &jw);
    if (strstr(jw.buf, want)) fail_msg("the old owner still holds k%u after the ack: %s", k, jw.buf);
    jw_free(&jw);
    flights_free(&a);
    flights_free(&f);
    free(before);
    free(after);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- End to end. --------------------------------------------------------------- */

/* Every key a server exports is one it owns under `r`, and no key is on two servers. */
static void check_placement(sim_t *s, const ring_t *r, uint32_t servers, uint32_t keys, uint32_t *held_out)
{
    uint8_t *where = calloc(keys, 1);
    uint32_t held = 0;
    for (uint32_t n = 0; n < servers; n++) {
        jw_t jw;
        jw_init(&jw, false);
        sim_export_node(s, n, &jw);
        cJSON *o = cJSON_Parse(jw.buf);
        jw_free(&jw);
        assert_non_null(o);
        const cJSON *ks = cJSON_GetObjectItemCaseSensitive(o, "keys");
        for (const cJSON *e = ks ? ks->child : NULL; e; e = e->next) {
            uint32_t k = (uint32_t)atoi(e->string + 1);
            assert_true(k < keys);
            if (ring_owner(r, k) != n) fail_msg("n%u holds k%u, owned by n%u", n + 1, k, ring_owner(r, k) + 1);
            assert_int_equal(where[k], 0);
            where[k] = 1;
            held++;
        }
        cJSON_Delete(o);
    }
    free(where);
    *held_out = held;
}

static double join_fraction(const char *file, uint64_t *moved, uint32_t *held)
{
    scn_t scn;
    ts_load_file(file, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run(s);
    assert_null(sim_error(s));
    cJSON *j = ts_summary(s);
    const cJSON *ps = ts_get(j, "protocol_stats", NULL);
    const cJSON *ch = ts_get(ps, "membership_changes", NULL);
    assert_int_equal(cJSON_GetArraySize(ch), 1);
    const cJSON *c0 = cJSON_GetArrayItem(ch, 0);
    double f = ts_get(c0, "keys_moved_fraction", NULL)->valuedouble;
    /* The same figure at the summary's top level, one per join or leave. */
    const cJSON *top = ts_get(j, "keys_moved_fraction", NULL);
    assert_int_equal(cJSON_GetArraySize(top), 1);
    assert_true(cJSON_GetArrayItem(top, 0)->valuedouble == f);
    assert_true(cJSON_IsNumber(ts_get(c0, "handoff_ns", NULL)));       /* the move finished */
    assert_true(ts_get(c0, "handoff_ns", NULL)->valuedouble < 1e9);
    *moved = (uint64_t)ts_get(ps, "records_moved", NULL)->valuedouble;
    /* Nothing was lost: every operation answered, and each key is on its owner only. */
    assert_int_equal(ts_get(j, "ops", "info")->valueint, 0);
    assert_int_equal(ts_get(j, "ops", "fail")->valueint, 0);
    assert_true(cJSON_IsNumber(ts_get(j, "convergence_ns", NULL)));
    const char *scheme = ts_get(ps, "scheme", NULL)->valuestring;
    ring_t *r = ring_of(strcmp(scheme, "mod") == 0 ? RING_MOD : RING_CONSISTENT, 9, 64, 2000, 9);
    check_placement(s, r, 9, 2000, held);
    free(r);
    cJSON_Delete(j);
    sim_destroy(s);
    scn_free(&scn);
    return f;
}

static void test_shard_join_moves_keys_within_bounds(void **state)
{
    uint64_t moved_mod, moved_ring;
    uint32_t held_mod, held_ring;
    double mod = join_fraction("scenarios/shard-modn-join.json", &moved_mod, &held_mod);
    double ring = join_fraction("scenarios/shard-ring-join-same.json", &moved_ring, &held_ring);
    if (mod < 0.85 || mod > 0.93) fail_msg("mod N moved %.3f of the keys on 8 -> 9, expected about 8/9", mod);
    if (ring < 0.05 || ring > 0.17) fail_msg("consistent hashing moved %.3f of the keys on 8 -> 9, expected about 1/9", ring);
    /* The same workload wrote the same keys; mod N streamed many times more of them. */
    assert_int_equal(held_mod, held_ring);
    assert_true(held_mod > 1500);
    assert_true(moved_ring > 0 && moved_mod > 5 * moved_ring);
}

static void test_shard_leave_hands_off_every_key(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 4, \"duration\": \"6s\", \"nodes\": 5,"
         " \"protocol\": {\"name\": \"shard\", \"params\": {\"scheme\": \"mod\"}},"
         " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"3ms\"}},"
         " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 0.7, \"read\": 0.3}, \"keys\": 300, \"rate\": \"300/s\","
         "   \"target\": \"random\", \"retries\": 20, \"retry_delay\": \"5ms\", \"stop\": \"4s\"},"
         " \"faults\": [{\"at\": \"2s\", \"leave\": \"n2\"}]}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run(s);
    cJSON *j = ts_summary(s);
    const cJSON *c0 = cJSON_GetArrayItem(ts_get(j, "protocol_stats", "membership_changes"), 0);
    assert_non_null(c0);
    assert_string_equal(ts_get(c0, "leave", NULL)->valuestring, "n2");
    assert_true(cJSON_IsNumber(ts_get(c0, "handoff_ns", NULL)));
    assert_true(cJSON_IsNumber(ts_get(j, "convergence_ns", NULL)));
    assert_int_equal(ts_get(j, "ops", "ok")->valueint, ts_get(j, "ops", "invoked")->valueint);
    uint32_t members[] = {0, 2, 3, 4};
    ring_t *r = malloc(ring_bytes(5, 1));
    ring_init(r, RING_MOD, 5, 1, 300);
    ring_build(r, members, 4);
    uint32_t held;
    check_placement(s, r, 5, 300, &held);        /* n2 holds nothing any more */
    assert_true(held > 250);
    /* No acknowledged write was lost in the move: each key ends with the value of its
     * last write (by invocation), or of a write still running when that one began. */
    const hist_t *h = sim_history(s);
    sim_time_t start[64] = {0}, last_start[300] = {0}, *end = calloc(1u << 20, sizeof *end), *from = calloc(1u << 20, sizeof *from);
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        assert_true(e->process < 64);
        if (e->type == HIST_INVOKE) { start[e->process] = e->time_ns; continue; }
        if (e->type != HIST_OK || strcmp(hist_f_name(h, e), "write") != 0) continue;
        int64_t v = hist_vals(h, e)[0];
        uint32_t k = (uint32_t)atoi(hist_key_name(h, e) + 1);
        assert_true(v > 0 && v < (1 << 20));
        end[v] = e->time_ns;
        from[v] = start[e->process];
        if (start[e->process] > last_start[k]) last_start[k] = start[e->process];
    }
    uint32_t checked = 0;
    for (uint32_t k = 0; k < 300; k++) {
        if (!last_start[k]) continue;
        jw_t jw;
        jw_init(&jw, false);
        sim_export_node(s, ring_owner(r, k), &jw);
        cJSON *o = cJSON_Parse(jw.buf);
        jw_free(&jw);
        char name[16];
        snprintf(name, sizeof name, "k%u", k);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "keys"), name);
        if (!v) fail_msg("k%u was written but is not on its owner", k);
        int64_t x = (int64_t)v->valuedouble;
        assert_true(x > 0 && x < (1 << 20) && from[x] > 0);
        if (end[x] < last_start[k]) fail_msg("k%u ends with %lld, overwritten before the last write began", k, (long long)x);
        checked++;
        cJSON_Delete(o);
    }
    assert_true(checked > 250);
    free(end);
    free(from);
    free(r);
    cJSON_Delete(j);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_shard_new_owner_asks_again_for_a_lost_move(void **state)
{
    scn_t scn;
    ts_load("{\"duration\": \"10s\", \"nodes\": [\"n1\", \"n2\", \"n3\", \"n4\", {\"name\": \"n5\", \"joined\": false}],"
         " \"protocol\": {\"name\": \"shard\", \"params\": {\"handoff\": \"300ms\"}},"
         " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"keys\": 100, \"rate\": \"1/m\", \"start\": \"1m\"},"
         " \"faults\": [{\"at\": \"1s\", \"join\": \"n5\"}]}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    while (sim_time(s) < SIM_SEC) assert_true(sim_step(s));
    /* Drop every move to the newcomer, as a lossy network might. */
    uint32_t sources = 0;
    kit_t *k = kit_wrap(s);
    static kit_flight_t moves[256];
    int n = kit_flights(k, KIT_ANY, 4, "move", moves, 256);
    assert_true(n >= 0 && n <= 256);
    for (int i = 0; i < n; i++) {
        if (moves[i].doomed) continue;
        sources |= 1u << moves[i].from;
        sim_action_t a = {.kind = ACT_DROP, .msg_id = moves[i].id};
        assert_int_equal(sim_apply(s, &a), SIM_OK);
    }
    assert_int_equal(kit_count(k, KIT_ANY, 4, "move"), n);       /* doomed, still on the wire */
    kit_destroy(k);
    assert_true(sources != 0);
    sim_run_until(s, 2 * SIM_SEC);
    /* Within a few handoff periods n5 asked each old owner again and got its keys. */
    cJSON *j = ts_summary(s);
    const cJSON *c0 = cJSON_GetArrayItem(ts_get(j, "protocol_stats", "membership_changes"), 0);
    assert_true(cJSON_IsNumber(ts_get(c0, "handoff_ns", NULL)));
    double took = ts_get(c0, "handoff_ns", NULL)->valuedouble;
    if (took < 1e6 || took > 700e6) fail_msg("the handoff took %.0fns after lost moves", took);
    assert_true(sim_stats(s)->sent_by_type[GLOBAL(PULL)] >= 1);
    cJSON_Delete(j);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_shard_crash_takes_down_only_its_shards(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 9, \"duration\": \"10s\", \"nodes\": 4, \"protocol\": \"shard\","
         " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"3ms\"}},"
         " \"workload\": {\"clients\": 3, \"ops\": {\"write\": 0.5, \"read\": 0.5}, \"keys\": 200, \"rate\": \"300/s\","
         "   \"timeout\": \"200ms\", \"target\": \"n1\", \"stop\": \"9s\"},"
         " \"faults\": [{\"at\": \"3s\", \"crash\": \"n3\"}, {\"at\": \"6s\", \"restart\": \"n3\"}]}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run(s);
    ring_t *r = ring_of(RING_CONSISTENT, 4, 64, 200, 4);
    const hist_t *h = sim_history(s);
    sim_time_t *start = calloc(1u << 16, sizeof *start);
    uint32_t down_ok = 0, down_bad = 0, up_ok = 0, up_bad = 0, after_ok = 0, after_bad = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        assert_true(e->process < (1u << 16));
        if (e->type == HIST_INVOKE) { start[e->process] = e->time_ns; continue; }
        sim_time_t t = start[e->process];
        bool ok = e->type == HIST_OK;
        bool on_n3 = ring_owner(r, (uint32_t)atoi(hist_key_name(h, e) + 1)) == 2;
        if (t > 3 * SIM_SEC && t < 6 * SIM_SEC - 250 * SIM_MS) {
            if (on_n3) { down_ok += ok; down_bad += !ok; }
            else { up_ok += ok; up_bad += !ok; }
        } else if (t > 6 * SIM_SEC) {
            after_ok += ok;
            after_bad += !ok;
        }
    }
    /* While n3 is down, its keys time out and every other key works. */
    assert_int_equal(down_ok, 0);
    assert_true(down_bad > 50);
    assert_int_equal(up_bad, 0);
    assert_true(up_ok > 400);
    /* Its disk kept the data: after the restart everything works again. */
    assert_int_equal(after_bad, 0);
    assert_true(after_ok > 500);
    free(start);
    free(r);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_shard_replicas_converge_after_a_join(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 2, \"duration\": \"8s\", \"nodes\": [\"n1\", \"n2\", \"n3\", \"n4\", {\"name\": \"n5\", \"joined\": false}],"
         " \"protocol\": {\"name\": \"shard\", \"params\": {\"replicas\": 3}},"
         " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"3ms\"}},"
         " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 0.6, \"read\": 0.4}, \"keys\": 200, \"rate\": \"300/s\","
         "   \"retries\": 20, \"retry_delay\": \"5ms\", \"stop\": \"5s\"},"
         " \"faults\": [{\"at\": \"2s\", \"join\": \"n5\"}, {\"at\": \"3s\", \"crash\": \"n2\"}, {\"at\": \"3500ms\", \"restart\": \"n2\"},"
         "   {\"at\": \"4s\", \"isolate\": \"n4\"}, {\"at\": \"4500ms\", \"heal\": true}]}",
         &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run(s);
    assert_null(sim_error(s));
    cJSON *j = ts_summary(s);
    const cJSON *c0 = cJSON_GetArrayItem(ts_get(j, "protocol_stats", "membership_changes"), 0);
    /* With three replicas the newcomer joins about three replica sets in five. */
    double f = ts_get(c0, "keys_moved_fraction", NULL)->valuedouble;
    if (f < 0.4 || f > 0.8) fail_msg("replica sets changed for %.3f of the keys, expected about 3/5", f);
    /* Backups that missed writes while down or cut off catch up; all copies agree. */
    assert_true(cJSON_IsNumber(ts_get(j, "convergence_ns", NULL)));
    assert_true(ts_get(j, "convergence_ns", NULL)->valuedouble < 1e9);
    cJSON_Delete(j);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_shard_same_seed_same_trace(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/shard-ring-join.json", &scn);
    ts_assert_seed_decides(&scn, 0, 99);        /* the scenario's own seed, then another */
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_request_for_another_owner_is_forwarded),
        cmocka_unit_test(test_shard_redirect_names_the_owner),
        cmocka_unit_test(test_shard_owner_applies_register_operations),
        cmocka_unit_test(test_shard_backups_receive_copies),
        cmocka_unit_test(test_shard_new_owner_refuses_until_the_key_arrives),
        cmocka_unit_test(test_shard_join_moves_keys_within_bounds),
        cmocka_unit_test(test_shard_leave_hands_off_every_key),
        cmocka_unit_test(test_shard_new_owner_asks_again_for_a_lost_move),
        cmocka_unit_test(test_shard_crash_takes_down_only_its_shards),
        cmocka_unit_test(test_shard_replicas_converge_after_a_join),
        cmocka_unit_test(test_shard_same_seed_same_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
