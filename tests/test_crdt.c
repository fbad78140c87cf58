/* test_crdt.c -- the CRDT lattices and their replication.
 *
 * The lattice laws are checked directly on the pure functions of crdt.h, over states
 * that random executions actually reach (several replicas updating and merging in a
 * random order), since that is the domain the laws are promised on. The protocol is
 * checked through the simulator: one replica driven with scripted requests and
 * messages, and whole scenarios (the shipped ones where they make the point) for
 * convergence, add-wins against last-writer-wins, clock skew and siblings.
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
#include "proto/crdt.h"
#include "kit/kit.h"
#include "support.h"

/* ---- Helpers. -------------------------------------------------------------------- */

/* A node's exported state as a string (caller frees). */
static char *export_str(sim_t *s, uint32_t node)
{
    jw_t w;
    jw_init(&w, false);
    sim_export_node(s, node, &w);
    char *out = strdup(w.buf);
    jw_free(&w);
    return out;
}

static cJSON *export_json(sim_t *s, uint32_t node)
{
    char *t = export_str(s, node);
    cJSON *j = cJSON_Parse(t);
    free(t);
    assert_non_null(j);
    return j;
}

/* The object of key k0 in a node's export. */
static const cJSON *k0(const cJSON *exp)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(exp, "objects"), "k0");
    assert_non_null(o);
    return o;
}

static void assert_all_exports_equal(sim_t *s)
{
    char *first = export_str(s, 0);
    for (uint32_t i = 1; i < sim_n_servers(s); i++) {
        char *e = export_str(s, i);
        if (strcmp(first, e) != 0) fail_msg("replica %u differs:\n  n1: %s\n  n%u: %s", i, first, i + 1, e);
        free(e);
    }
    free(first);
}

/* A reply as the kit decodes it, with its first values copied out. */
typedef struct reply {
    kit_reply_t head;
    int64_t values[16];
} reply_t;

static uint64_t next_op = 1000;

/* Sends one request to a server directly and returns its reply (status and values). */
static reply_t request(sim_t *s, uint32_t node, sim_op_t f, int64_t value)
{
    sim_req_t req = {.client = sim_n_servers(s), .op_id = ++next_op, .f = (uint8_t)f, .key = 0, .value = value};
    assert_int_equal(sim_inject_request(s, node, &req), SIM_OK);
    kit_t *k = kit_wrap(s);
    reply_t r = {0};
    if (kit_reply_to(k, node, req.op_id, &r.head) != SIM_OK) fail_msg("%s", kit_error(k));
    kit_destroy(k);
    if (r.head.n) memcpy(r.values, r.head.values, (r.head.n < 16 ? r.head.n : 16) * sizeof(int64_t));
    r.head.values = NULL;         /* points into flight, which moves on: read r.values */
    return r;
}

static void expect_values(const reply_t *r, const int64_t *want, uint32_t n)
{
    assert_int_equal(r->head.status, SIM_REPLY_OK);
    assert_int_equal(r->head.n, n);
    for (uint32_t i = 0; i < n; i++) assert_int_equal(r->values[i], want[i]);
}

/* ---- The lattice laws on reachable random states. -------------------------------- */

#define LAW_REPLICAS 4
#define LAW_WORLDS 400          /* independent random executions per type */
#define LAW_POOL 8              /* states sampled from each */
#define LAW_TRIPLES 10          /* (a, b, c) drawn from each pool: 4000 per type */

typedef struct world {
    crdt_dims_t d;
    size_t bytes;
    uint8_t *rep[LAW_REPLICAS];
    uint8_t *pool[LAW_POOL];
    uint8_t *t1, *t2, *t3;      /* scratch */
} world_t;

static void world_init(world_t *w, crdt_type_t type)
{
    w->d.type = type;
    w->d.n_replicas = LAW_REPLICAS;
    w->d.max_tags = 128;
    w->bytes = crdt_obj_bytes(&w->d);
    for (int i = 0; i < LAW_REPLICAS; i++) w->rep[i] = calloc(1, w->bytes);
    for (int i = 0; i < LAW_POOL; i++) w->pool[i] = calloc(1, w->bytes);
    w->t1 = calloc(1, w->bytes);
    w->t2 = calloc(1, w->bytes);
    w->t3 = calloc(1, w->bytes);
}

static void world_free(world_t *w)
{
    for (int i = 0; i < LAW_REPLICAS; i++) free(w->rep[i]);
    for (int i = 0; i < LAW_POOL; i++) free(w->pool[i]);
    free(w->t1);
    free(w->t2);
    free(w->t3);
}

/* One random update at replica r. */
static void random_update(world_t *w, rng_t *g, uint32_t r)
{
    void *o = w->rep[r];
    switch (w->d.type) {
    case CRDT_G_COUNTER: assert_int_equal(crdt_counter_add(&w->d, o, r, (int64_t)rng_below(g, 5)), CRDT_OK); break;
    case CRDT_PN_COUNTER: assert_int_equal(crdt_counter_add(&w->d, o, r, (int64_t)rng_below(g, 11) - 5), CRDT_OK); break;
    case CRDT_OR_SET: {
        int64_t e = 1 + (int64_t)rng_below(g, 5);
        if (rng_chance(g, 0.6)) assert_int_equal(crdt_orset_add(&w->d, o, r, e), CRDT_OK);
        else crdt_orset_remove(&w->d, o, e);
        break;
    }
    case CRDT_LWW_REGISTER: {
        /* Timestamps from unsynchronized clocks: any order, collisions included. */
        int64_t v = (int64_t)rng_below(g, 8) - 2;
        crdt_lww_set(&w->d, o, (sim_time_t)rng_below(g, 40) - 5, r, v, v < 0);
        break;
    }
    case CRDT_MV_REGISTER: assert_int_equal(crdt_mv_write(&w->d, o, r, (int64_t)rng_below(g, 6)), CRDT_OK); break;
    case CRDT_TYPE_COUNT_: break;
    }
}

/* A random execution: updates and merges between replicas; states are sampled into
 * the pool along the way. */
static void world_run(world_t *w, rng_t *g)
{
    for (int i = 0; i < LAW_REPLICAS; i++) memset(w->rep[i], 0, w->bytes);
    for (int p = 0; p < LAW_POOL; p++) {
        uint32_t steps = (uint32_t)rng_below(g, 8);
        for (uint32_t k = 0; k < steps; k++) {
            uint32_t r = (uint32_t)rng_below(g, LAW_REPLICAS);
            if (rng_chance(g, 0.35)) {
                uint32_t from = (uint32_t)rng_below(g, LAW_REPLICAS);
                assert_true(crdt_merge(&w->d, w->rep[r], w->rep[from]) >= 0);
            } else {
                random_update(w, g, r);
            }
        }
        memcpy(w->pool[p], w->rep[rng_below(g, LAW_REPLICAS)], w->bytes);
    }
}

/* out := a merge b, checking the return value against what changed. */
static void join(world_t *w, uint8_t *out, const uint8_t *a, const uint8_t *b)
{
    memcpy(out, a, w->bytes);
    int r = crdt_merge(&w->d, out, b);
    assert_true(r == 0 || r == 1);
    assert_int_equal(r == 1, !crdt_equal(&w->d, out, a));
    /* The result is canonical: what goes on the wire is all there is. */
    assert_true(crdt_wire_ok(&w->d, out, crdt_wire_bytes(&w->d, out)));
    for (size_t i = crdt_wire_bytes(&w->d, out); i < w->bytes; i++) assert_int_equal(out[i], 0);
}

static void check_laws(crdt_type_t type, uint64_t seed)
{
    world_t w;
    world_init(&w, type);
    rng_t g;
    rng_seed(&g, seed, 1, (uint64_t)type);
    uint64_t checked = 0, strict = 0;
    for (int world = 0; world < LAW_WORLDS; world++) {
        world_run(&w, &g);
        for (int t = 0; t < LAW_TRIPLES; t++) {
            const uint8_t *a = w.pool[rng_below(&g, LAW_POOL)], *b = w.pool[rng_below(&g, LAW_POOL)],
                          *c = w.pool[rng_below(&g, LAW_POOL)];
            /* Idempotent: a merge a = a, and merging it reports no change. */
            join(&w, w.t1, a, a);
            assert_true(crdt_equal(&w.d, w.t1, a));
            /* Commutative. */
            join(&w, w.t1, a, b);
            join(&w, w.t2, b, a);
            if (!crdt_equal(&w.d, w.t1, w.t2)) fail_msg("%s: merge is not commutative (world %d)", crdt_type_names[type], world);
            /* Inflation: the merge is an upper bound of both. */
            assert_true(crdt_leq(&w.d, a, w.t1));
            assert_true(crdt_leq(&w.d, b, w.t1));
            /* The order and the merge agree: a <= b exactly when a merge b = b. */
            assert_int_equal(crdt_leq(&w.d, a, b), crdt_equal(&w.d, w.t1, b));
            strict += crdt_leq(&w.d, a, b) && !crdt_equal(&w.d, a, b);
            /* Associative: (a merge b) merge c = a merge (b merge c). */
            join(&w, w.t2, w.t1, c);
            join(&w, w.t3, b, c);
            join(&w, w.t1, a, w.t3);
            if (!crdt_equal(&w.d, w.t1, w.t2)) fail_msg("%s: merge is not associative (world %d)", crdt_type_names[type], world);
            checked++;
        }
    }
    /* The states must be varied enough for the laws to mean something. */
    assert_int_equal(checked, LAW_WORLDS * LAW_TRIPLES);
    assert_true(strict > checked / 50);
    assert_true(strict < checked);
    world_free(&w);
}

static void test_crdt_g_counter_merge_laws(void **state) { check_laws(CRDT_G_COUNTER, 101); }
static void test_crdt_pn_counter_merge_laws(void **state) { check_laws(CRDT_PN_COUNTER, 102); }
static void test_crdt_or_set_merge_laws(void **state) { check_laws(CRDT_OR_SET, 103); }
static void test_crdt_lww_register_merge_laws(void **state) { check_laws(CRDT_LWW_REGISTER, 104); }
static void test_crdt_mv_register_merge_laws(void **state) { check_laws(CRDT_MV_REGISTER, 105); }

/* The or-set's add wins over a remove that did not see it; a remove that saw every
 * tag removes the element everywhere. */
static void test_crdt_or_set_concurrent_add_survives_remove(void **state)
{
    crdt_dims_t d = {CRDT_OR_SET, 2, 16};
    size_t n = crdt_obj_bytes(&d);
    uint8_t *a = calloc(1, n), *b = calloc(1, n);
    int64_t out[4];
    assert_int_equal(crdt_orset_add(&d, a, 0, 7), CRDT_OK);
    assert_int_equal(crdt_merge(&d, b, a), 1);
    assert_int_equal(crdt_orset_add(&d, b, 1, 7), CRDT_OK);     /* concurrent re-add at replica 1 */
    assert_int_equal(crdt_orset_remove(&d, a, 7), 1);           /* replica 0 saw one tag */
    assert_int_equal(crdt_orset_elements(&d, a, out, 4), 0);
    assert_int_equal(crdt_merge(&d, a, b), 1);
    assert_int_equal(crdt_orset_elements(&d, a, out, 4), 1);
    assert_int_equal(out[0], 7);
    assert_int_equal(crdt_orset_remove(&d, a, 7), 1);           /* now it has seen both */
    assert_int_equal(crdt_merge(&d, b, a), 1);
    assert_int_equal(crdt_orset_elements(&d, b, out, 4), 0);
    assert_true(crdt_equal(&d, a, b));
    free(a);
    free(b);
}

/* ---- One replica, driven directly. ----------------------------------------------- */

static const char *quiet_fmt =
    "{\"duration\": \"10s\", \"nodes\": 3, \"protocol\": {\"name\": \"crdt\", \"params\": {\"type\": \"%s\"}},"
    " \"workload\": {\"clients\": 1, \"ops\": {\"read\": 1}, \"rate\": \"1/m\", \"start\": \"1m\"}}";

static sim_t *quiet(const char *type, scn_t *scn)
{
    char json[512];
    snprintf(json, sizeof json, quiet_fmt, type);
    ts_load(json, scn);
    return ts_create(scn, NULL);
}

static void test_crdt_read_your_writes_on_one_replica(void **state)
{
    scn_t scn;
    sim_t *s = quiet("g-counter", &scn);
    request(s, 1, SIM_OP_ADD, 3);
    request(s, 1, SIM_OP_ADD, 4);
    reply_t r = request(s, 1, SIM_OP_READ, 0);
    expect_values(&r, (int64_t[]){7}, 1);
    assert_int_equal(request(s, 1, SIM_OP_ADD, -1).head.status, SIM_REPLY_FAIL);    /* a g-counter only grows */
    assert_int_equal(request(s, 1, SIM_OP_WRITE, 5).head.status, SIM_REPLY_FAIL);
    r = request(s, 2, SIM_OP_READ, 0);                                          /* not gossiped yet */
    expect_values(&r, (int64_t[]){0}, 1);
    sim_destroy(s);
    scn_free(&scn);

    s = quiet("pn-counter", &scn);
    request(s, 0, SIM_OP_ADD, 5);
    request(s, 0, SIM_OP_ADD, -7);
    r = request(s, 0, SIM_OP_READ, 0);
    expect_values(&r, (int64_t[]){-2}, 1);
    sim_destroy(s);
    scn_free(&scn);

    s = quiet("or-set", &scn);
    request(s, 0, SIM_OP_WRITE, 7);
    request(s, 0, SIM_OP_ADD, 9);
    request(s, 0, SIM_OP_WRITE, 3);
    r = request(s, 0, SIM_OP_READ, 0);
    assert_true(r.head.list);
    expect_values(&r, (int64_t[]){3, 7, 9}, 3);
    request(s, 0, SIM_OP_ADD, -7);
    r = request(s, 0, SIM_OP_READ, 0);
    expect_values(&r, (int64_t[]){3, 9}, 2);
    assert_int_equal(request(s, 0, SIM_OP_WRITE, 0).head.status, SIM_REPLY_FAIL);
    sim_destroy(s);
    scn_free(&scn);

    s = quiet("lww-register", &scn);
    r = request(s, 2, SIM_OP_READ, 0);
    expect_values(&r, NULL, 0);
    request(s, 2, SIM_OP_WRITE, 5);
    r = request(s, 2, SIM_OP_READ, 0);
    expect_values(&r, (int64_t[]){5}, 1);
    sim_run_until(s, 1 * SIM_MS);            /* the clock moves on: a later timestamp */
    request(s, 2, SIM_OP_WRITE, -5);
    r = request(s, 2, SIM_OP_READ, 0);
    expect_values(&r, NULL, 0);
    assert_int_equal(request(s, 2, SIM_OP_ADD, 1).head.status, SIM_REPLY_FAIL);
    sim_destroy(s);
    scn_free(&scn);

    s = quiet("mv-register", &scn);
    request(s, 1, SIM_OP_WRITE, 5);
    request(s, 1, SIM_OP_WRITE, 6);
    r = request(s, 1, SIM_OP_READ, 0);
    assert_true(r.head.list);
    expect_values(&r, (int64_t[]){6}, 1);
    sim_destroy(s);
    scn_free(&scn);
}

/* A state message injected into one replica is merged (idempotently), a malformed one
 * is ignored, and the replica's gossip then carries the merged state on. */
static void test_crdt_state_message_is_merged_and_gossiped(void **state)
{
    scn_t scn;
    sim_t *s = quiet("g-counter", &scn);
    /* crdt.c's state message: a count of objects, then per object its key, the length
     * of its prefix and the prefix (for a g-counter, one int64 per replica). */
    struct { struct { uint32_t n_objs, pad; } h; struct { uint32_t key, len; } oh; int64_t p[3]; } msg;
    memset(&msg, 0, sizeof msg);
    msg.h.n_objs = 1;
    msg.oh.key = 0;
    msg.oh.len = sizeof msg.p;
    msg.p[1] = 5;                              /* n2 counted 5 */
    for (int i = 0; i < 2; i++) {              /* twice: merge is idempotent */
        assert_int_equal(sim_inject(s, 1, 0, 0, &msg, sizeof msg), SIM_OK);
        reply_t r = request(s, 0, SIM_OP_READ, 0);
        expect_values(&r, (int64_t[]){5}, 1);
    }
    msg.oh.len = 16;                           /* a length that does not match the object */
    msg.p[1] = 9;
    assert_int_equal(sim_inject(s, 1, 0, 0, &msg, sizeof msg), SIM_OK);
    reply_t r = request(s, 0, SIM_OP_READ, 0);
    expect_values(&r, (int64_t[]){5}, 1);
    request(s, 0, SIM_OP_ADD, 2);                  /* n1's own entry */
    cJSON *e = export_json(s, 0);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(k0(e), "p");
    assert_int_equal(cJSON_GetArrayItem(p, 0)->valueint, 2);
    assert_int_equal(cJSON_GetArrayItem(p, 1)->valueint, 5);
    assert_int_equal(cJSON_GetArrayItem(p, 2)->valueint, 0);
    cJSON_Delete(e);
    /* Gossip spreads it: after a few rounds n3 reads 7 too. */
    sim_run_until(s, 5 * SIM_SEC);
    r = request(s, 2, SIM_OP_READ, 0);
    expect_values(&r, (int64_t[]){7}, 1);
    assert_true(sim_stats(s)->sent_by_type[SIM_MSG_BUILTIN] > 0);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Whole scenarios. ------------------------------------------------------------ */

static int64_t count_ok_adds(const hist_t *h)
{
    int64_t n = 0;
    for (uint32_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].type == HIST_OK && strcmp(hist_f_name(h, &h->ev[i]), "add") == 0) n += hist_vals(h, &h->ev[i])[0];
    return n;
}

static void test_crdt_counter_converges_to_the_sum_after_partition_heals(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/crdt-counter-partition.json", &scn);
    sim_t *s = ts_create(&scn, NULL);
    /* During the partition the two sides count separately and disagree. */
    sim_run_until(s, 9 * SIM_SEC);
    cJSON *a = export_json(s, 0), *b = export_json(s, 4);
    int64_t va = (int64_t)cJSON_GetObjectItemCaseSensitive(k0(a), "value")->valuedouble;
    int64_t vb = (int64_t)cJSON_GetObjectItemCaseSensitive(k0(b), "value")->valuedouble;
    assert_true(va != vb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    sim_run(s);
    assert_all_exports_equal(s);
    cJSON *e = export_json(s, 2);
    int64_t v = (int64_t)cJSON_GetObjectItemCaseSensitive(k0(e), "value")->valuedouble;
    cJSON_Delete(e);
    int64_t adds = count_ok_adds(sim_history(s));
    assert_true(adds > 50);
    assert_int_equal(v, adds);                 /* every acknowledged add, exactly once */
    cJSON *sum = ts_summary(s);
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(sum, "protocol_stats");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ps, "replicas_equal")));
    double since = cJSON_GetObjectItemCaseSensitive(ps, "equal_since_ns")->valuedouble;
    assert_true(since > 10e9 && since < 16e9);   /* after the heal and the last add */
    cJSON_Delete(sum);
    sim_destroy(s);
    scn_free(&scn);
}

/* The shipped pair: one schedule, two types. */
static void test_crdt_orset_keeps_concurrent_add_while_lww_loses_it(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/crdt-orset-partition.json", &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run_until(s, 9 * SIM_SEC);             /* partitioned: n1 removed 7, n3 re-added it */
    cJSON *a = export_json(s, 0), *b = export_json(s, 2);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(k0(a), "elements")), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(k0(b), "elements")), 1);
    cJSON_Delete(a);
    cJSON_Delete(b);
    sim_run(s);
    assert_all_exports_equal(s);
    cJSON *e = export_json(s, 1);
    const cJSON *el = cJSON_GetObjectItemCaseSensitive(k0(e), "elements");
    assert_int_equal(cJSON_GetArraySize(el), 1);
    assert_int_equal(cJSON_GetArrayItem(el, 0)->valueint, 7);
    /* Two tags: n1's (removed) and n3's (live). */
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(k0(e), "tags");
    assert_int_equal(cJSON_GetArraySize(tags), 2);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tags, 0), "removed")));
    assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tags, 1), "removed")));
    cJSON_Delete(e);
    sim_destroy(s);
    scn_free(&scn);

    ts_load_file("scenarios/crdt-lww-partition.json", &scn);
    s = ts_create(&scn, NULL);
    sim_run(s);
    assert_all_exports_equal(s);
    e = export_json(s, 1);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(k0(e), "value")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(k0(e), "deleted")));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(k0(e), "node")->valuestring, "n1");
    cJSON_Delete(e);
    sim_destroy(s);
    scn_free(&scn);
}

/* n2's clock is 2s behind. n1 writes 1 at 3s; n2 writes 2 at 4s, later in real time
 * but stamped 2s: every replica ends with 1. n2 had already heard of 1, so its own
 * write was lost at once, on its own replica. */
static void test_crdt_lww_skewed_clock_makes_later_write_lose(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 2, \"duration\": \"8s\", \"protocol\": {\"name\": \"crdt\", \"params\": {\"type\": \"lww-register\", \"gossip\": \"100ms\"}},"
         " \"nodes\": [\"n1\", {\"name\": \"n2\", \"clock_skew\": \"-2s\"}, \"n3\"],"
         " \"workload\": {\"clients\": 1, \"ops\": {\"read\": 1}, \"rate\": \"1/m\", \"start\": \"1m\"},"
         " \"faults\": [{\"at\": \"3s\", \"request\": {\"client\": \"c1\", \"node\": \"n1\", \"f\": \"write\", \"value\": 1}},"
         "            {\"at\": \"4s\", \"request\": {\"client\": \"c1\", \"node\": \"n2\", \"f\": \"write\", \"value\": 2}}]}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run(s);
    assert_all_exports_equal(s);
    cJSON *e = export_json(s, 2);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(k0(e), "value")->valueint, 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(k0(e), "node")->valuestring, "n1");
    cJSON_Delete(e);
    cJSON *sum = ts_summary(s);
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(sum, "protocol_stats");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(ps, "lww_writes_lost_at_once")->valueint, 1);
    /* Both writes were acknowledged: the client cannot tell that 2 was lost. */
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sum, "ops"), "ok")->valueint, 2);
    cJSON_Delete(sum);
    sim_destroy(s);
    scn_free(&scn);

    /* Without the skew the later write wins. */
    ts_load("{\"seed\": 2, \"duration\": \"8s\", \"protocol\": {\"name\": \"crdt\", \"params\": {\"type\": \"lww-register\", \"gossip\": \"100ms\"}},"
         " \"nodes\": 3, \"workload\": {\"clients\": 1, \"ops\": {\"read\": 1}, \"rate\": \"1/m\", \"start\": \"1m\"},"
         " \"faults\": [{\"at\": \"3s\", \"request\": {\"client\": \"c1\", \"node\": \"n1\", \"f\": \"write\", \"value\": 1}},"
         "            {\"at\": \"4s\", \"request\": {\"client\": \"c1\", \"node\": \"n2\", \"f\": \"write\", \"value\": 2}}]}", &scn);
    s = ts_create(&scn, NULL);
    sim_run(s);
    assert_all_exports_equal(s);
    e = export_json(s, 0);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(k0(e), "value")->valueint, 2);
    cJSON_Delete(e);
    sim_destroy(s);
    scn_free(&scn);
}

static void expect_mv_values(sim_t *s, const int64_t *want, int n)
{
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        cJSON *e = export_json(s, i);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(k0(e), "values");
        assert_int_equal(cJSON_GetArraySize(v), n);
        for (int k = 0; k < n; k++) assert_int_equal(cJSON_GetArrayItem(v, k)->valueint, want[k]);
        cJSON_Delete(e);
    }
}

static void test_crdt_mv_register_keeps_concurrent_writes_as_siblings(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/crdt-mv-siblings.json", &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run_until(s, 9 * SIM_SEC);
    assert_all_exports_equal(s);
    expect_mv_values(s, (int64_t[]){1, 2}, 2);
    /* The siblings' vectors are concurrent: [1,0,0] and [0,0,1]. */
    cJSON *e = export_json(s, 1);
    const cJSON *sib = cJSON_GetObjectItemCaseSensitive(k0(e), "siblings");
    assert_int_equal(cJSON_GetArraySize(sib), 2);
    char *vv0 = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(sib, 0), "vv"));
    char *vv1 = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(sib, 1), "vv"));
    assert_string_equal(vv0, "[0,0,1]");
    assert_string_equal(vv1, "[1,0,0]");
    free(vv0);
    free(vv1);
    cJSON_Delete(e);
    /* A read on any replica returns both. */
    reply_t r = request(s, 0, SIM_OP_READ, 0);
    expect_values(&r, (int64_t[]){1, 2}, 2);
    /* A write that has seen both supersedes them everywhere. */
    sim_run(s);
    assert_all_exports_equal(s);
    expect_mv_values(s, (int64_t[]){3}, 1);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_crdt_same_seed_same_trace_hash(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/crdt-counter-partition.json", &scn);
    ts_assert_seed_decides(&scn, 7, 8);
    scn_free(&scn);
    ts_load_file("scenarios/crdt-orset-partition.json", &scn);
    assert_true(ts_run_hash(&scn, 3) == ts_run_hash(&scn, 3));
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crdt_g_counter_merge_laws),
        cmocka_unit_test(test_crdt_pn_counter_merge_laws),
        cmocka_unit_test(test_crdt_or_set_merge_laws),
        cmocka_unit_test(test_crdt_lww_register_merge_laws),
        cmocka_unit_test(test_crdt_mv_register_merge_laws),
        cmocka_unit_test(test_crdt_or_set_concurrent_add_survives_remove),
        cmocka_unit_test(test_crdt_read_your_writes_on_one_replica),
        cmocka_unit_test(test_crdt_state_message_is_merged_and_gossiped),
        cmocka_unit_test(test_crdt_counter_converges_to_the_sum_after_partition_heals),
        cmocka_unit_test(test_crdt_orset_keeps_concurrent_add_while_lww_loses_it),
        cmocka_unit_test(test_crdt_lww_skewed_clock_makes_later_write_lose),
        cmocka_unit_test(test_crdt_mv_register_keeps_concurrent_writes_as_siblings),
        cmocka_unit_test(test_crdt_same_seed_same_trace_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
