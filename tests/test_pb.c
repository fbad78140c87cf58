/* test_pb.c -- primary-backup: the primary's replication, a backup's rules, the
 * configuration service's decisions, and whole runs under faults.
 *
 * Protocol tests drive nodes with scripted messages (sim_inject, sim_inject_request)
 * and look at what they put in flight or export. The configuration service is tested
 * alone: every replica is crashed at the start and the test plays their heartbeats,
 * advancing time so that the service's own timer reviews the view. End-to-end tests run
 * the shipped scenarios and a chaos scenario over many seeds: sync mode must never
 * lose an acknowledged write, the variant ack-before-replicate must be caught, and so
 * must async mode.
 *
 * The wire format below restates the one in sim/proto/pb.c, on purpose.
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
#include "proto/kv.h"
#include "kit/kit.h"
#include "support.h"

/* ---- pb.c's wire format, restated. ----------------------------------------------------- */

enum { PING, VIEW, FORWARD, FORWARD_ACK, STATE };
#define GLOBAL(t) ((uint16_t)((t) + SIM_MSG_BUILTIN))

typedef struct view { int64_t num; int32_t primary; uint32_t _pad; uint64_t backups; } view_t;
typedef struct ping { int64_t view, synced_view; uint64_t applied; } ping_t;
typedef struct forward { int64_t view; uint64_t seq, op_id; kv_cmd_t cmd; } forward_t;
typedef struct forward_ack { int64_t view; uint64_t applied; uint8_t synced; uint8_t _pad[7]; } forward_ack_t;

_Static_assert(sizeof(view_t) == 24, "pb_view_t is 24 bytes");
_Static_assert(sizeof(forward_t) == 48, "pb_forward_t is 48 bytes");

/* ---- Helpers. ----------------------------------------------------------------------------- */

#define FLIGHTS_MAX 256

/* Messages in flight that will arrive (not dropped), oldest first, as the kit lists them. */
typedef struct flights { int count; kit_flight_t m[FLIGHTS_MAX]; } flights_t;

/* Messages in flight from `from` (-1: anyone) of global type `gtype` (0xffff: any). */
static flights_t *in_flight(sim_t *s, int64_t from, uint16_t gtype)
{
    flights_t *c = calloc(1, sizeof *c);
    assert_non_null(c);
    kit_t *k = kit_wrap(s);
    static kit_flight_t all[FLIGHTS_MAX];
    int n = kit_flights(k, from < 0 ? KIT_ANY : (uint32_t)from, KIT_ANY, gtype == 0xffff ? NULL : sim_msg_type_name(s, gtype),
                        all, FLIGHTS_MAX);
    if (n < 0 || n > FLIGHTS_MAX) fail_msg("%d messages in flight: %s", n, kit_error(k));
    for (int i = 0; i < n; i++)
        if (!all[i].doomed) c->m[c->count++] = all[i];
    kit_destroy(k);
    return c;
}

/* A reply in flight, decoded. */
static kit_reply_t reply_of(sim_t *s, const kit_flight_t *f)
{
    kit_t *k = kit_wrap(s);
    kit_reply_t r;
    if (kit_reply_decode(k, f, &r) != SIM_OK) fail_msg("%s", kit_error(k));
    kit_destroy(k);
    return r;
}

/* Drops everything in flight, so that the next look sees only what the script causes. */
static void drain(sim_t *s)
{
    flights_t *c = in_flight(s, -1, 0xffff);
    assert_true(c->count < FLIGHTS_MAX);
    for (int i = 0; i < c->count; i++) {
        sim_action_t a = {0};
        a.kind = ACT_DROP;
        a.msg_id = c->m[i].id;
        assert_int_equal(sim_apply(s, &a), SIM_OK);
    }
    free(c);
}

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

static int64_t json_int(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) fail_msg("no number \"%s\"", key);
    return (int64_t)v->valuedouble;
}

static void crash(sim_t *s, uint32_t node)
{
    sim_action_t a = {0};
    a.kind = ACT_CRASH;
    a.node = node;
    assert_int_equal(sim_apply(s, &a), SIM_OK);
}

/* ---- The primary and its backups. ------------------------------------------------------------ */

/* Three replicas and the service, no client traffic until 9s; runs until the first view
 * is in place and its backups are in sync, and returns the primary. */
static uint32_t settled(const char *params, scn_t *scn, sim_t **out)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"duration\": \"10s\", \"nodes\": 4, \"protocol\": {\"name\": \"pb\", \"params\": {%s}},"
             " \"workload\": {\"clients\": 1, \"ops\": {\"read\": 1}, \"rate\": \"1/s\", \"start\": \"9s\"}}", params);
    ts_load(json, scn);
    sim_t *s = ts_create_seed(scn, 0);
    sim_run_until(s, SIM_SEC);
    int64_t p = sim_leader(s);
    assert_true(p >= 0 && p < 3);
    drain(s);
    *out = s;
    return (uint32_t)p;
}

static sim_req_t write_req(uint64_t op_id, uint32_t key, int64_t v)
{
    sim_req_t r = {0};
    r.client = 4;
    r.op_id = op_id;
    r.f = SIM_OP_WRITE;
    r.key = key;
    r.value = v;
    return r;
}

static int replies_to_client(sim_t *s, uint32_t from)
{
    flights_t *c = in_flight(s, from, 1);
    int n = 0;
    for (int i = 0; i < c->count; i++) n += c->m[i].to == 4;
    free(c);
    return n;
}

static void test_pb_primary_forwards_to_backups_and_answers_after_both_ack(void **state)
{
    scn_t scn;
    sim_t *s;
    uint32_t p = settled("", &scn, &s), b1 = (p + 1) % 3, b2 = (p + 2) % 3;
    cJSON *o = exported(s, p);
    int64_t view = json_int(o, "view");
    uint64_t applied = (uint64_t)json_int(o, "applied");
    cJSON_Delete(o);

    sim_req_t req = write_req(500, 1, 77);
    assert_int_equal(sim_inject_request(s, p, &req), SIM_OK);
    flights_t *f = in_flight(s, p, GLOBAL(FORWARD));
    assert_int_equal(f->count, 2);
    for (int i = 0; i < 2; i++) {
        const forward_t *m = (const forward_t *)f->m[i].payload;
        assert_true(f->m[i].to == b1 || f->m[i].to == b2);
        assert_int_equal(m->view, view);
        assert_int_equal(m->seq, applied + 1);
        assert_int_equal(m->op_id, 500);
        assert_int_equal(m->cmd.f, SIM_OP_WRITE);
        assert_int_equal(m->cmd.key, 1);
        assert_int_equal(m->cmd.v1, 77);
    }
    free(f);
    assert_int_equal(replies_to_client(s, p), 0);       /* sync: not yet */

    forward_ack_t a = {view, applied + 1, 1, {0}};
    assert_int_equal(sim_inject(s, b1, p, FORWARD_ACK, &a, sizeof a), SIM_OK);
    assert_int_equal(replies_to_client(s, p), 0);       /* one backup is not enough */
    assert_int_equal(sim_inject(s, b2, p, FORWARD_ACK, &a, sizeof a), SIM_OK);
    assert_int_equal(replies_to_client(s, p), 1);

    /* The same request again (the network duplicated it) is not applied twice. */
    drain(s);
    assert_int_equal(sim_inject_request(s, p, &req), SIM_OK);
    f = in_flight(s, p, GLOBAL(FORWARD));
    assert_int_equal(f->count, 0);
    free(f);
    o = exported(s, p);
    assert_int_equal(json_int(o, "applied"), applied + 1);
    cJSON_Delete(o);

    sim_destroy(s);
    scn_free(&scn);
}

static void test_pb_variant_answers_before_replicating(void **state)
{
    scn_t scn;
    sim_t *s;
    uint32_t p = settled("\"variant\": \"ack-before-replicate\"", &scn, &s);
    sim_req_t req = write_req(501, 2, 5);
    assert_int_equal(sim_inject_request(s, p, &req), SIM_OK);
    assert_int_equal(replies_to_client(s, p), 1);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_pb_backups_redirect_clients_to_the_primary(void **state)
{
    scn_t scn;
    sim_t *s;
    uint32_t p = settled("", &scn, &s);
    for (uint32_t n = 0; n < 4; n++) {
        if (n == p) continue;
        sim_req_t req = write_req(600 + n, 0, 1);
        assert_int_equal(sim_inject_request(s, n, &req), SIM_OK);
        flights_t *f = in_flight(s, n, 1);
        assert_int_equal(f->count, 1);
        kit_reply_t r = reply_of(s, &f->m[0]);
        assert_int_equal(r.status, SIM_REPLY_REDIRECT);
        assert_int_equal(r.redirect, p);
        free(f);
        drain(s);
    }
    sim_destroy(s);
    scn_free(&scn);
}

static void test_pb_backup_takes_forwards_only_from_its_views_primary(void **state)
{
    scn_t scn;
    sim_t *s;
    uint32_t p = settled("", &scn, &s), b = (p + 1) % 3, other = (p + 2) % 3;
    cJSON *o = exported(s, b);
    int64_t view = json_int(o, "view");
    uint64_t applied = (uint64_t)json_int(o, "applied");
    cJSON_Delete(o);
    forward_t m;
    memset(&m, 0, sizeof m);
    m.seq = applied + 1;
    m.op_id = 900;
    m.cmd.f = SIM_OP_WRITE;
    m.cmd.v1 = 3;

    /* From an older view: no answer at all, so a replaced primary collects nothing. */
    m.view = view - 1;
    assert_int_equal(sim_inject(s, p, b, FORWARD, &m, sizeof m), SIM_OK);
    flights_t *f = in_flight(s, b, GLOBAL(FORWARD_ACK));
    assert_int_equal(f->count, 0);
    free(f);
    /* From a node that is not the primary: nothing either. */
    m.view = view;
    assert_int_equal(sim_inject(s, other, b, FORWARD, &m, sizeof m), SIM_OK);
    f = in_flight(s, b, GLOBAL(FORWARD_ACK));
    assert_int_equal(f->count, 0);
    free(f);
    /* From the primary: applied and acknowledged, cumulatively. */
    assert_int_equal(sim_inject(s, p, b, FORWARD, &m, sizeof m), SIM_OK);
    f = in_flight(s, b, GLOBAL(FORWARD_ACK));
    assert_int_equal(f->count, 1);
    const forward_ack_t *a = (const forward_ack_t *)f->m[0].payload;
    assert_int_equal(a->applied, applied + 1);
    assert_int_equal(a->synced, 1);
    free(f);
    drain(s);
    /* Out of order: the later one waits for the gap, then both apply. */
    forward_t m3 = m, m2 = m;
    m3.seq = applied + 3;
    m3.op_id = 902;
    m2.seq = applied + 2;
    m2.op_id = 901;
    assert_int_equal(sim_inject(s, p, b, FORWARD, &m3, sizeof m3), SIM_OK);
    o = exported(s, b);
    assert_int_equal(json_int(o, "applied"), applied + 1);
    cJSON_Delete(o);
    assert_int_equal(sim_inject(s, p, b, FORWARD, &m2, sizeof m2), SIM_OK);
    o = exported(s, b);
    assert_int_equal(json_int(o, "applied"), applied + 3);
    cJSON_Delete(o);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- The configuration service. ------------------------------------------------------------------ */

/* The service (n4) alone: every replica crashed at once, their heartbeats played by the
 * test. synced[i] is what replica i reports as its synced view. */
static void heartbeats(sim_t *s, sim_time_t until, bool alive[3], const int64_t synced[3], int64_t view)
{
    while (sim_time(s) < until) {
        for (uint32_t r = 0; r < 3; r++) {
            if (!alive[r]) continue;
            ping_t pg = {view, synced[r], 0};
            assert_int_equal(sim_inject(s, r, 3, PING, &pg, sizeof pg), SIM_OK);
        }
        sim_run_until(s, sim_time(s) + 40 * SIM_MS);
    }
}

static void service_view(sim_t *s, int64_t *num, const char **primary, int *n_backups)
{
    static char name[32];
    cJSON *o = exported(s, 3);
    *num = json_int(o, "view");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "primary");
    snprintf(name, sizeof name, "%s", cJSON_IsString(p) ? p->valuestring : "-");
    *primary = name;
    *n_backups = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "backups"));
    cJSON_Delete(o);
}

static sim_t *lone_service(scn_t *scn)
{
    ts_load("{\"duration\": \"10s\", \"nodes\": 4, \"protocol\": {\"name\": \"pb\","
         " \"params\": {\"heartbeat\": \"50ms\", \"dead_after\": \"250ms\"}}}", scn);
    sim_t *s = ts_create_seed(scn, 0);
    for (uint32_t r = 0; r < 3; r++) crash(s, r);
    sim_run_until(s, 10 * SIM_MS);
    return s;
}

static void test_pb_config_service_promotes_a_synced_backup_after_missed_heartbeats(void **state)
{
    scn_t scn;
    sim_t *s = lone_service(&scn);
    bool alive[3] = {true, true, true};
    int64_t synced[3] = {0, 0, 0}, num;
    const char *primary;
    int nb;

    /* Everyone heard: the first view forms with the lowest replica as primary. */
    heartbeats(s, 200 * SIM_MS, alive, synced, 0);
    service_view(s, &num, &primary, &nb);
    assert_int_equal(num, 1);
    assert_string_equal(primary, "n1");
    assert_int_equal(nb, 2);

    /* n3 reports being in sync in view 1; n2 does not. n1 falls silent. */
    synced[0] = 1;
    synced[2] = 1;
    heartbeats(s, 400 * SIM_MS, alive, synced, 1);
    alive[0] = false;
    heartbeats(s, 500 * SIM_MS, alive, synced, 1);
    service_view(s, &num, &primary, &nb);
    assert_int_equal(num, 1);                 /* not yet: silence shorter than dead_after */
    heartbeats(s, 800 * SIM_MS, alive, synced, 1);
    service_view(s, &num, &primary, &nb);
    assert_int_equal(num, 2);
    assert_string_equal(primary, "n3");       /* the synced one, not the lower id */
    assert_int_equal(nb, 1);

    /* A heartbeat is answered with the view. */
    drain(s);
    ping_t pg = {1, 0, 0};
    assert_int_equal(sim_inject(s, 1, 3, PING, &pg, sizeof pg), SIM_OK);
    flights_t *f = in_flight(s, 3, GLOBAL(VIEW));
    assert_int_equal(f->count, 1);
    assert_int_equal(f->m[0].to, 1);
    const view_t *v = (const view_t *)f->m[0].payload;
    assert_int_equal(v->num, 2);
    assert_int_equal(v->primary, 2);
    assert_int_equal(v->backups, 1u << 1);
    free(f);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_pb_config_service_waits_when_no_backup_is_in_sync(void **state)
{
    scn_t scn;
    sim_t *s = lone_service(&scn);
    bool alive[3] = {true, true, true};
    int64_t synced[3] = {0, 0, 0}, num;
    const char *primary;
    int nb;
    heartbeats(s, 200 * SIM_MS, alive, synced, 0);
    alive[0] = false;
    heartbeats(s, 1500 * SIM_MS, alive, synced, 1);
    service_view(s, &num, &primary, &nb);
    /* Promoting an unsynced backup could lose what n1 acknowledged: keep waiting. */
    assert_int_equal(num, 1);
    assert_string_equal(primary, "n1");
    /* n1 comes back: nothing was lost, and the view goes on. */
    alive[0] = true;
    synced[1] = 1;
    heartbeats(s, 1800 * SIM_MS, alive, synced, 1);
    service_view(s, &num, &primary, &nb);
    assert_string_equal(primary, "n1");
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Whole runs. ------------------------------------------------------------------------------- */

static void assert_replicas_equal(sim_t *s)
{
    char *first = NULL;
    for (uint32_t r = 0; r + 1 < sim_n_servers(s); r++) {
        if (!sim_node_up(s, r)) continue;
        cJSON *o = exported(s, r);
        char *kv = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(o, "kv"));
        if (!first) first = kv;
        else {
            if (strcmp(first, kv) != 0) fail_msg("replica %u holds %s, another %s", r, kv, first);
            free(kv);
        }
        cJSON_Delete(o);
    }
    assert_non_null(first);
    assert_true(strlen(first) > 2);
    free(first);
    assert_true(sim_protocol(s)->replicas_equal(s));
}

static void test_pb_sync_scenario_loses_nothing_and_converges(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/pb-sync.json", &scn);
    sim_t *s = ts_create_seed(&scn, 0);
    sim_run(s);
    assert_null(sim_violation(s, NULL));
    assert_null(sim_error(s));
    const sim_stats_t *st = sim_stats(s);
    assert_true(st->ops_ok > st->ops_invoked / 2);
    assert_true(st->max_term >= 4);          /* two promotions, two backups taken back in */
    assert_replicas_equal(s);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_pb_async_scenario_loses_a_write(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/pb-async-loses-write.json", &scn);
    sim_t *s = ts_create_seed(&scn, 0);
    sim_run(s);
    sim_time_t when;
    const sim_violation_t *v = sim_violation(s, &when);
    assert_non_null(v);
    assert_string_equal(v->name, "acknowledged-write-lost");
    assert_non_null(strstr(v->detail, "acknowledged by n1"));
    assert_true(when > 3 * SIM_SEC && when < 4 * SIM_SEC);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_pb_bug_scenario_is_caught(void **state)
{
    scn_t scn;
    ts_load_file("scenarios/pb-bug.json", &scn);
    sim_t *s = ts_create_seed(&scn, 0);
    sim_run(s);
    const sim_violation_t *v = sim_violation(s, NULL);
    assert_non_null(v);
    assert_string_equal(v->name, "acknowledged-write-lost");
    sim_destroy(s);
    scn_free(&scn);
}

/* Random partitions (which often cut off the configuration service), random crashes
 * of any node, loss and duplication; three or four replicas and the service. */
static const char *CHAOS =
    "{\"duration\": \"10s\", \"nodes\": %d,"
    " \"protocol\": {\"name\": \"pb\", \"params\": {\"mode\": \"%s\", \"variant\": \"%s\"}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"2ms\", \"max\": \"12ms\"}, \"loss\": 0.05, \"duplicate\": 0.02},"
    " \"workload\": {\"clients\": 3, \"ops\": {\"write\": 0.5, \"read\": 0.3, \"cas\": 0.1, \"add\": 0.1}, \"keys\": 4,"
    "   \"rate\": \"40/s\", \"timeout\": \"800ms\", \"retries\": 10, \"retry_delay\": \"20ms\"},"
    " \"faults\": [{\"nemesis\": \"random-partitions\", \"every\": \"1500ms\", \"duration\": \"700ms\"},"
    "            {\"nemesis\": \"random-crashes\", \"mttf\": \"3s\", \"mttr\": \"500ms\"}]}";

static void load_chaos(int nodes, const char *mode, const char *variant, scn_t *scn)
{
    char json[2048];
    snprintf(json, sizeof json, CHAOS, nodes, mode, variant);
    ts_load(json, scn);
}

static uint64_t first_violating_seed(const char *mode, const char *variant, uint64_t seeds)
{
    scn_t scn;
    load_chaos(4, mode, variant, &scn);
    uint64_t caught = 0;
    for (uint64_t seed = 1; seed <= seeds && !caught; seed++) {
        sim_t *s = ts_create_seed(&scn, seed);
        sim_run(s);
        const sim_violation_t *v = sim_violation(s, NULL);
        if (v) {
            assert_string_equal(v->name, "acknowledged-write-lost");
            caught = seed;
        }
        sim_destroy(s);
    }
    scn_free(&scn);
    return caught;
}

static void test_pb_variant_is_caught_within_200_seeds(void **state)
{
    uint64_t seed = first_violating_seed("sync", "ack-before-replicate", 200);
    if (!seed) fail_msg("the checker missed ack-before-replicate in 200 seeds");
    print_message("ack-before-replicate caught first with seed %llu\n", (unsigned long long)seed);
}

static void test_pb_async_mode_is_caught_within_200_seeds(void **state)
{
    uint64_t seed = first_violating_seed("async", "none", 200);
    if (!seed) fail_msg("the checker never saw async mode lose a write in 200 seeds");
    print_message("async mode caught first with seed %llu\n", (unsigned long long)seed);
}

static void passes_500_seeds(int nodes)
{
    scn_t scn;
    load_chaos(nodes, "sync", "none", &scn);
    uint64_t ok = 0, views = 0;
    for (uint64_t seed = 1; seed <= 500; seed++) {
        sim_t *s = ts_create_seed(&scn, seed);
        sim_run(s);
        sim_time_t when;
        const sim_violation_t *v = sim_violation(s, &when);
        if (v) fail_msg("%d nodes, seed %llu: %s at %lldns: %s", nodes, (unsigned long long)seed, v->name,
                        (long long)when, v->detail);
        if (sim_error(s)) fail_msg("%d nodes, seed %llu: %s", nodes, (unsigned long long)seed, sim_error(s));
        ok += sim_stats(s)->ops_ok;
        views += (uint64_t)sim_stats(s)->max_term;
        sim_destroy(s);
    }
    /* The runs did something: operations succeeded and primaries were replaced. */
    assert_true(ok > 500 * 100);
    assert_true(views > 500 * 3);
    scn_free(&scn);
}

static void test_pb_sync_mode_passes_500_seeds_with_3_replicas(void **state) { passes_500_seeds(4); }
static void test_pb_sync_mode_passes_500_seeds_with_4_replicas(void **state) { passes_500_seeds(5); }

static void test_pb_same_seed_same_trace_hash(void **state)
{
    scn_t scn;
    load_chaos(4, "sync", "none", &scn);
    ts_assert_seed_decides(&scn, 42, 43);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pb_primary_forwards_to_backups_and_answers_after_both_ack),
        cmocka_unit_test(test_pb_variant_answers_before_replicating),
        cmocka_unit_test(test_pb_backups_redirect_clients_to_the_primary),
        cmocka_unit_test(test_pb_backup_takes_forwards_only_from_its_views_primary),
        cmocka_unit_test(test_pb_config_service_promotes_a_synced_backup_after_missed_heartbeats),
        cmocka_unit_test(test_pb_config_service_waits_when_no_backup_is_in_sync),
        cmocka_unit_test(test_pb_sync_scenario_loses_nothing_and_converges),
        cmocka_unit_test(test_pb_async_scenario_loses_a_write),
        cmocka_unit_test(test_pb_bug_scenario_is_caught),
        cmocka_unit_test(test_pb_variant_is_caught_within_200_seeds),
        cmocka_unit_test(test_pb_async_mode_is_caught_within_200_seeds),
        cmocka_unit_test(test_pb_sync_mode_passes_500_seeds_with_3_replicas),
        cmocka_unit_test(test_pb_sync_mode_passes_500_seeds_with_4_replicas),
        cmocka_unit_test(test_pb_same_seed_same_trace_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
