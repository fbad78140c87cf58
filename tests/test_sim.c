/* test_sim.c -- the discrete-event core, end to end: the network's fates (loss,
 * duplication, partitions, FIFO, bandwidth, per-type latency), node lifecycle (crash,
 * restart, pause, resume), timers, clocks, determinism and the stepping API.
 *
 * Most tests run a scenario written inline and watch it through a trace listener; the
 * listener never asserts itself (a failed assertion would unwind through the event
 * loop), it notes the first thing that went wrong and the test asserts afterwards.
 *
 * Some tests need to see durable storage and timers from the inside, which echo,
 * gossip and random-peer do not expose. They use "probe", a protocol defined here: the
 * scenario is loaded naming echo, then its protocol is swapped for the probe before
 * sim_create, which is all the loader's resolution of a protocol amounts to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/sim_int.h"     /* core internals under test: sim_send_from with a chosen wire size (bandwidth,
                                 * serialization), and next_msg_id, the id of the message just sent */
#include "support.h"

/* ---- Helpers. ------------------------------------------------------------------ */

/* A growable list of trace records (without their texts, which these tests do not need). */
typedef struct recs {
    trace_rec_t *v;
    size_t n, cap;
} recs_t;

static void recs_add(void *ud, const trace_rec_t *r)
{
    recs_t *c = ud;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->v = realloc(c->v, c->cap * sizeof *c->v);
    }
    c->v[c->n] = *r;
    c->v[c->n].text = NULL;
    c->n++;
}

static void recs_free(recs_t *c)
{
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* Serializes records field by field (no padding bytes), to compare runs byte for byte. */
typedef struct bytes { uint8_t *b; size_t n, cap; uint64_t count; } bytes_t;

static void bytes_put(bytes_t *t, const void *p, size_t n)
{
    if (t->n + n > t->cap) {
        t->cap = (t->cap + n) * 2;
        t->b = realloc(t->b, t->cap);
    }
    memcpy(t->b + t->n, p, n);
    t->n += n;
}

static void bytes_listener(void *ud, const trace_rec_t *r)
{
    bytes_t *t = ud;
    bytes_put(t, &r->kind, sizeof r->kind);
    bytes_put(t, &r->reason, sizeof r->reason);
    bytes_put(t, &r->type, sizeof r->type);
    bytes_put(t, &r->a, sizeof r->a);
    bytes_put(t, &r->b, sizeof r->b);
    bytes_put(t, &r->id, sizeof r->id);
    bytes_put(t, &r->t, sizeof r->t);
    bytes_put(t, &r->t2, sizeof r->t2);
    bytes_put(t, &r->x, sizeof r->x);
    bytes_put(t, &r->y, sizeof r->y);
    if (r->text) bytes_put(t, r->text, strlen(r->text) + 1);
    else bytes_put(t, "\xff", 1);
    t->count++;
}

/* ---- The probe protocol. ------------------------------------------------------- */

enum { POKE_RECORD, POKE_DURABLE, POKE_SET_TIMER, POKE_CANCEL_KIND, POKE_CANCEL_ID };
typedef struct poke { int32_t op; int32_t kind; int64_t arg; } poke_t;

#define PROBE_SEEN_MAX 64
#define PROBE_BOOT_TIMER_NS (500 * SIM_MS)

typedef struct probe_state {
    int64_t boot;                      /* the incarnation, copied from durable storage */
    int64_t msgs;
    uint64_t timer_id[8];              /* by kind */
    uint32_t n_seen;
    int64_t seen[PROBE_SEEN_MAX];      /* what it processed, in order: record args; timers as -1-kind */
} probe_state_t;

typedef struct probe_durable {
    int64_t boots;
    int64_t fired;
    int64_t stale;                     /* timers that fired in an incarnation that did not set them */
    int64_t note;
} probe_durable_t;

static void probe_seen(probe_state_t *st, int64_t v)
{
    if (st->n_seen < PROBE_SEEN_MAX) st->seen[st->n_seen++] = v;
}

static void probe_init(sim_ctx *c)
{
    probe_state_t *st = sim_state(c);
    probe_durable_t *d = sim_durable(c);
    st->boot = ++d->boots;
    st->timer_id[0] = sim_timer_set(c, PROBE_BOOT_TIMER_NS, 0, (uint64_t)st->boot);
}

static void probe_message(sim_ctx *c, const sim_msg_t *m)
{
    probe_state_t *st = sim_state(c);
    probe_durable_t *d = sim_durable(c);
    poke_t p;
    if (m->len != sizeof p) return;
    memcpy(&p, m->payload, sizeof p);
    st->msgs++;
    switch (p.op) {
    case POKE_RECORD: probe_seen(st, p.arg); break;
    case POKE_DURABLE: d->note = p.arg; break;
    case POKE_SET_TIMER: st->timer_id[p.kind] = sim_timer_set(c, p.arg, p.kind, (uint64_t)st->boot); break;
    case POKE_CANCEL_KIND: sim_timer_cancel(c, st->timer_id[p.kind]); break;
    case POKE_CANCEL_ID: sim_timer_cancel(c, (uint64_t)p.arg); break;
    }
}

static void probe_timer(sim_ctx *c, int kind, uint64_t data)
{
    probe_state_t *st = sim_state(c);
    probe_durable_t *d = sim_durable(c);
    d->fired++;
    if ((int64_t)data != st->boot) d->stale++;
    probe_seen(st, -1 - kind);
}

static void probe_request(sim_ctx *c, const sim_req_t *req) { sim_reply(c, req, SIM_REPLY_OK, NULL, 0); }

static const char *const probe_types[] = {"poke", NULL};
static const proto_param_t probe_params[] = {{NULL}};

static const proto_t proto_probe = {
    .version = PROTO_VERSION,
    .name = "probe",
    .purpose = "test protocol: records what it processes",
    .state_size = sizeof(probe_state_t),
    .durable_size = sizeof(probe_durable_t),
    .msg_types = probe_types,
    .params = probe_params,
    .init = probe_init,
    .on_message = probe_message,
    .on_timer = probe_timer,
    .on_request = probe_request,
};

#define POKE_TYPE SIM_MSG_BUILTIN     /* the probe's "poke", as a global type id */
#define PING_TYPE SIM_MSG_BUILTIN     /* random-peer's "ping" */

static sim_t *create_probe(const char *json, scn_t *scn)
{
    ts_load(json, scn);
    scn->proto = &proto_probe;
    return ts_create(scn, NULL);
}

/* Sends a poke over the network, as node `from` would; returns its message id. */
static uint64_t poke(sim_t *s, uint32_t from, uint32_t to, int32_t op, int32_t kind, int64_t arg)
{
    poke_t p = {op, kind, arg};
    sim_send_from(s, from, to, POKE_TYPE, &p, sizeof p, 0);
    return s->next_msg_id;
}

/* Runs a poke through a node's callback at once. */
static void inject_poke(sim_t *s, uint32_t from, uint32_t to, int32_t op, int32_t kind, int64_t arg)
{
    poke_t p = {op, kind, arg};
    assert_int_equal(sim_inject(s, from, to, 0, &p, sizeof p), SIM_OK);
}

/* ---- Payloads. ------------------------------------------------------------------ */

/* "sizes": n0 sends one message of every length from 0 to SIZES_MAX to n1, each byte
 * a function of the length and its place; n1 checks every one it gets. Short payloads
 * travel in the message's record, longer ones in the pool: both must arrive intact,
 * 8-byte aligned, and so must the copies the network duplicates. */
enum { SIZES_MAX = 40 };
typedef struct sizes_state { uint32_t got, intact, aligned; } sizes_state_t;
static uint8_t sizes_byte(uint32_t len, uint32_t j) { return (uint8_t)(len * 31 + j * 7 + 1); }
static void sizes_init(sim_ctx *c)
{
    if (sim_self(c) != 0) return;
    uint8_t buf[SIZES_MAX];
    for (uint32_t len = 0; len <= SIZES_MAX; len++) {
        for (uint32_t j = 0; j < len; j++) buf[j] = sizes_byte(len, j);
        sim_send(c, 1, 0, buf, len, 0);
    }
}
static void sizes_message(sim_ctx *c, const sim_msg_t *m)
{
    sizes_state_t *st = sim_state(c);
    st->got++;
    bool ok = m->len == 0 ? m->payload == NULL : m->payload != NULL;
    for (uint32_t j = 0; ok && j < m->len; j++) ok = ((const uint8_t *)m->payload)[j] == sizes_byte(m->len, j);
    st->intact += ok;
    st->aligned += m->payload && (uintptr_t)m->payload % 8 == 0;
}
static void sizes_timer(sim_ctx *c, int kind, uint64_t data) {}
static const char *const sizes_types[] = {"bytes", NULL};
static const proto_t proto_sizes = {
    .version = PROTO_VERSION, .name = "sizes", .purpose = "test protocol: payloads of every length",
    .state_size = sizeof(sizes_state_t), .msg_types = sizes_types, .params = probe_params,
    .init = sizes_init, .on_message = sizes_message, .on_timer = sizes_timer, .on_request = probe_request,
};

static void test_sim_payloads_of_every_length_arrive_intact(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 3, \"duration\": \"1s\", \"nodes\": 2, \"protocol\": {\"name\": \"echo\"},"
            " \"network\": {\"duplicate\": 1}}", &scn);
    scn.proto = &proto_sizes;
    sim_t *s = ts_create(&scn, NULL);
    sim_run(s);
    const sizes_state_t *st = sim_node_state(s, 1);
    assert_int_equal(sim_stats(s)->duplicated, SIZES_MAX + 1);
    assert_int_equal(st->got, 2 * (SIZES_MAX + 1));             /* every original and its copy */
    assert_int_equal(st->intact, st->got);
    assert_int_equal(st->aligned, st->got - 2);                 /* all but the two empty ones */
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Loss and duplication. ----------------------------------------------------- */

static const char *const chatter_fmt =
    "{\"seed\": 11, \"duration\": \"5s\", \"nodes\": 10,"
    " \"protocol\": {\"name\": \"random-peer\", \"params\": {\"interval\": \"1ms\"}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"3ms\"}, %s}}";

typedef struct dupcount { uint32_t *deliveries; size_t cap; uint64_t dup_records, loss_drops, other_drops; } dupcount_t;

static void dupcount_listener(void *ud, const trace_rec_t *r)
{
    dupcount_t *d = ud;
    if (r->kind == TR_DUPLICATE) d->dup_records++;
    if (r->kind == TR_DROP) {
        if (r->reason == DROP_LOSS) d->loss_drops++;
        else d->other_drops++;
    }
    if (r->kind != TR_DELIVER) return;
    if (r->id >= d->cap) {
        size_t cap = (r->id + 1) * 2;
        d->deliveries = realloc(d->deliveries, cap * sizeof *d->deliveries);
        memset(d->deliveries + d->cap, 0, (cap - d->cap) * sizeof *d->deliveries);
        d->cap = cap;
    }
    d->deliveries[r->id]++;
}

static void test_sim_loss_rate_matches_the_parameter(void **state)
{
    char json[1024];
    snprintf(json, sizeof json, chatter_fmt, "\"loss\": 0.2");
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    dupcount_t d = {0};
    sim_set_trace(s, dupcount_listener, &d);
    sim_run(s);
    const sim_stats_t *st = sim_stats(s);
    assert_true(st->sent > 40000);
    double rate = (double)st->dropped[DROP_LOSS] / (double)st->sent;
    if (rate < 0.19 || rate > 0.21) fail_msg("loss 0.2: %llu of %llu lost (%.4f)",
                                             (unsigned long long)st->dropped[DROP_LOSS], (unsigned long long)st->sent, rate);
    assert_int_equal(d.loss_drops, st->dropped[DROP_LOSS]);
    assert_int_equal(d.other_drops, 0);
    assert_int_equal(st->duplicated, 0);
    /* Everything sent was delivered or lost, but for what is still in flight at the end. */
    uint64_t done = st->delivered + st->dropped[DROP_LOSS];
    assert_true(done <= st->sent && st->sent - done < 100);
    sim_destroy(s);
    scn_free(&scn);
    free(d.deliveries);
}

static void test_sim_duplication_rate_matches_the_parameter(void **state)
{
    char json[1024];
    snprintf(json, sizeof json, chatter_fmt, "\"duplicate\": 0.1");
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    dupcount_t d = {0};
    sim_set_trace(s, dupcount_listener, &d);
    sim_run(s);
    const sim_stats_t *st = sim_stats(s);
    double rate = (double)st->duplicated / (double)st->sent;
    if (rate < 0.09 || rate > 0.11) fail_msg("duplicate 0.1: %llu of %llu duplicated (%.4f)",
                                             (unsigned long long)st->duplicated, (unsigned long long)st->sent, rate);
    assert_int_equal(d.dup_records, st->duplicated);
    assert_int_equal(d.loss_drops + d.other_drops, 0);
    /* A message arrives at most twice, and the extra arrivals are the duplicates. */
    uint64_t twice = 0;
    for (size_t i = 0; i < d.cap; i++) {
        assert_true(d.deliveries[i] <= 2);
        twice += d.deliveries[i] == 2;
    }
    assert_true(twice <= st->duplicated && st->duplicated - twice < 100);
    assert_true(st->delivered <= st->sent + st->duplicated);
    assert_true(st->sent + st->duplicated - st->delivered < 100);
    sim_destroy(s);
    scn_free(&scn);
    free(d.deliveries);
}

/* ---- Partitions. --------------------------------------------------------------- */

static const char *const partition_fmt =
    "{\"seed\": 42, \"duration\": \"20s\", \"nodes\": 5,"
    " \"protocol\": {\"name\": \"gossip\", \"params\": {\"fanout\": 2, \"anti_entropy\": \"300ms\"}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"10ms\", \"max\": \"60ms\"},"
    "   \"links\": [{\"from\": \"n1\", \"to\": \"n2\", \"latency\": \"80ms\"}]},"
    " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 0.5, \"read\": 0.5}, \"keys\": 10, \"rate\": \"50/s\", \"timeout\": \"1s\"},"
    " \"faults\": [{\"at\": \"5s\", \"partition\": [[\"n1\", \"n2\"], [\"n3\", \"n4\", \"n5\"]]%s},"
    "            {\"at\": \"12s\", \"heal\": true}]}";

/* Follows the partition through the trace and checks every message's fate against it. */
typedef struct cut {
    const uint8_t *grp;            /* per node; 0: never cut off */
    bool oneway, in_force;
    uint8_t *blocked_at_send;      /* by message id */
    size_t cap;
    uint64_t cut_drops, crossing_delivered, reverse_delivered_in_force;
    char failure[256];
} cut_t;

static bool crosses(const cut_t *c, uint32_t a, uint32_t b)
{
    uint8_t ga = c->grp[a], gb = c->grp[b];
    return ga && gb && ga != gb && (!c->oneway || ga < gb);
}

static void cut_fail(cut_t *c, const trace_rec_t *r, const char *what)
{
    if (!c->failure[0])
        snprintf(c->failure, sizeof c->failure, "t=%lldns message %llu n%u->n%u: %s",
                 (long long)r->t, (unsigned long long)r->id, r->a + 1, r->b + 1, what);
}

static void cut_listener(void *ud, const trace_rec_t *r)
{
    cut_t *c = ud;
    switch (r->kind) {
    case TR_PARTITION: c->in_force = true; return;
    case TR_HEAL: c->in_force = false; return;
    case TR_SEND: case TR_DUPLICATE:
        if (r->id >= c->cap) {
            size_t cap = (r->id + 1) * 2;
            c->blocked_at_send = realloc(c->blocked_at_send, cap);
            memset(c->blocked_at_send + c->cap, 0, cap - c->cap);
            c->cap = cap;
        }
        c->blocked_at_send[r->id] = c->in_force && crosses(c, r->a, r->b);
        return;
    case TR_DELIVER: case TR_DROP: {
        bool at_send = r->id < c->cap && c->blocked_at_send[r->id];
        bool must_drop = at_send || (c->in_force && crosses(c, r->a, r->b));
        bool cut_drop = r->kind == TR_DROP && r->reason == DROP_PARTITION;
        if (cut_drop) {
            c->cut_drops++;
            if (!crosses(c, r->a, r->b)) cut_fail(c, r, "dropped for partition, but it does not cross the cut");
            else if (!must_drop) cut_fail(c, r, "dropped for partition, but none was in force when it was sent or arrived");
        } else if (must_drop) {
            cut_fail(c, r, r->kind == TR_DELIVER ? "delivered across the cut" : "dropped across the cut for another reason");
        }
        if (r->kind == TR_DELIVER && crosses(c, r->a, r->b)) c->crossing_delivered++;
        if (r->kind == TR_DELIVER && c->in_force && c->oneway && crosses(c, r->b, r->a)) c->reverse_delivered_in_force++;
        return;
    }
    default:
        return;
    }
}

static void run_partition(bool oneway, cut_t *c)
{
    char json[2048];
    snprintf(json, sizeof json, partition_fmt, oneway ? ", \"oneway\": true" : "");
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    static const uint8_t grp[7] = {1, 1, 2, 2, 2, 0, 0};     /* clients are not named */
    c->grp = grp;
    c->oneway = oneway;
    sim_set_trace(s, cut_listener, c);
    sim_run(s);
    if (c->failure[0]) fail_msg("%s", c->failure);
    assert_int_equal(c->cut_drops, sim_stats(s)->dropped[DROP_PARTITION]);
    assert_true(c->cut_drops > 20);              /* the test saw traffic across the cut */
    assert_true(c->crossing_delivered > 20);     /* and traffic across it before and after */
    assert_int_equal(sim_stats(s)->dropped[DROP_LOSS], 0);
    assert_int_equal(sim_stats(s)->partitions, 1);
    sim_destroy(s);
    scn_free(&scn);
    free(c->blocked_at_send);
}

static void test_sim_partition_drops_exactly_the_crossing_messages(void **state)
{
    cut_t c = {0};
    run_partition(false, &c);
}

static void test_sim_oneway_partition_drops_one_direction(void **state)
{
    cut_t c = {0};
    run_partition(true, &c);
    /* The later group still reaches the earlier one while the cut is in force. */
    assert_true(c.reverse_delivered_in_force > 20);
}

/* ---- Crash, restart, pause. ---------------------------------------------------- */

static const char *const probe_json =
    "{\"seed\": 3, \"duration\": \"1s\", \"nodes\": 3, \"protocol\": \"echo\","
    " \"network\": {\"latency\": \"1ms\"},"
    " \"faults\": [{\"at\": \"100ms\", \"crash\": \"n1\"}, {\"at\": \"200ms\", \"restart\": \"n1\"}]}";

static bool all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) if (b[i]) return false;
    return true;
}

static void test_sim_crash_loses_volatile_state_and_keeps_durable(void **state)
{
    scn_t scn;
    sim_t *s = create_probe(probe_json, &scn);
    recs_t rec = {0};
    sim_set_trace(s, recs_add, &rec);

    sim_run_until(s, 50 * SIM_MS);
    poke(s, 1, 0, POKE_DURABLE, 0, 1234);
    poke(s, 1, 0, POKE_RECORD, 0, 7);
    sim_run_until(s, 60 * SIM_MS);
    probe_state_t *st = sim_node_state(s, 0);
    probe_durable_t *d = sim_node_durable(s, 0);
    assert_int_equal(st->msgs, 2);
    assert_int_equal(st->boot, 1);
    assert_int_equal(d->note, 1234);

    /* One message in flight when the crash comes, one sent while the node is down. */
    sim_run_until(s, 99 * SIM_MS + 500 * SIM_US);
    uint64_t in_flight = poke(s, 1, 0, POKE_RECORD, 0, 8);
    sim_run_until(s, 150 * SIM_MS);
    uint64_t while_down = poke(s, 1, 0, POKE_RECORD, 0, 9);
    sim_run_until(s, 160 * SIM_MS);

    sim_node_info_t ni;
    sim_node_info(s, 0, &ni);
    assert_false(ni.up);
    assert_true(all_zero(sim_node_state(s, 0), sizeof(probe_state_t)));
    d = sim_node_durable(s, 0);
    assert_int_equal(d->note, 1234);
    assert_int_equal(d->boots, 1);
    /* The other nodes' durable storage is their own. */
    assert_int_equal(((probe_durable_t *)sim_node_durable(s, 1))->note, 0);

    sim_run(s);
    /* After the restart, init saw the durable count and the node lives on. */
    st = sim_node_state(s, 0);
    d = sim_node_durable(s, 0);
    assert_int_equal(d->boots, 2);
    assert_int_equal(st->boot, 2);
    assert_int_equal(st->msgs, 0);
    assert_int_equal(d->note, 1234);

    bool dropped_in_flight = false, dropped_while_down = false;
    for (size_t i = 0; i < rec.n; i++) {
        const trace_rec_t *r = &rec.v[i];
        if (r->kind == TR_DROP && r->id == in_flight) { assert_int_equal(r->reason, DROP_CRASH); dropped_in_flight = true; }
        if (r->kind == TR_DROP && r->id == while_down) { assert_int_equal(r->reason, DROP_CRASH); dropped_while_down = true; }
        if (r->kind == TR_DELIVER && (r->id == in_flight || r->id == while_down)) fail_msg("message %llu reached a crashed node", (unsigned long long)r->id);
    }
    assert_true(dropped_in_flight && dropped_while_down);
    assert_int_equal(sim_stats(s)->dropped[DROP_CRASH], 2);
    sim_destroy(s);
    scn_free(&scn);
    recs_free(&rec);
}

static void test_sim_timers_of_a_crashed_node_never_fire(void **state)
{
    scn_t scn;
    sim_t *s = create_probe(probe_json, &scn);
    recs_t rec = {0};
    sim_set_trace(s, recs_add, &rec);
    sim_run(s);
    /* n1's first timer (set at 0 for 500ms) died with the crash at 100ms; the restart at
     * 200ms set a new one for 700ms. n2 and n3 keep theirs at 500ms. */
    int n1_timers = 0;
    for (size_t i = 0; i < rec.n; i++) {
        const trace_rec_t *r = &rec.v[i];
        if (r->kind != TR_TIMER) continue;
        if (r->a == 0) {
            n1_timers++;
            assert_int_equal(r->t, 200 * SIM_MS + PROBE_BOOT_TIMER_NS);
        } else {
            assert_int_equal(r->t, PROBE_BOOT_TIMER_NS);
        }
    }
    assert_int_equal(n1_timers, 1);
    probe_durable_t *d = sim_node_durable(s, 0);
    assert_int_equal(d->fired, 1);
    assert_int_equal(d->stale, 0);
    assert_int_equal(((probe_durable_t *)sim_node_durable(s, 1))->fired, 1);
    sim_destroy(s);
    scn_free(&scn);
    recs_free(&rec);
}

static void test_sim_paused_node_processes_nothing_until_resumed(void **state)
{
    scn_t scn;
    sim_t *s = create_probe(
        "{\"seed\": 3, \"duration\": \"2s\", \"nodes\": 3, \"protocol\": \"echo\","
        " \"network\": {\"latency\": \"1ms\"},"
        " \"faults\": [{\"at\": \"100ms\", \"pause\": \"n1\"}, {\"at\": \"700ms\", \"resume\": \"n1\"}]}", &scn);
    recs_t rec = {0};
    sim_set_trace(s, recs_add, &rec);
    sim_run_until(s, 200 * SIM_MS);
    poke(s, 1, 0, POKE_RECORD, 0, 1);            /* arrives at 201ms */
    sim_run_until(s, 300 * SIM_MS);
    poke(s, 2, 0, POKE_RECORD, 0, 2);            /* 301ms */
    poke(s, 1, 0, POKE_RECORD, 0, 3);            /* 301ms, after the one above */
    sim_run_until(s, 600 * SIM_MS);              /* the boot timer came due at 500ms */
    poke(s, 2, 0, POKE_RECORD, 0, 4);            /* 601ms */
    sim_run_until(s, 650 * SIM_MS);
    sim_node_info_t ni;
    sim_node_info(s, 0, &ni);
    assert_true(ni.paused);
    assert_int_equal(((probe_state_t *)sim_node_state(s, 0))->n_seen, 0);
    sim_run(s);

    for (size_t i = 0; i < rec.n; i++) {
        const trace_rec_t *r = &rec.v[i];
        bool at_n1 = (r->kind == TR_DELIVER && r->b == 0) || (r->kind == TR_TIMER && r->a == 0);
        if (at_n1 && r->t > 100 * SIM_MS && r->t < 700 * SIM_MS)
            fail_msg("n1 processed a %s at t=%lldns while paused", trace_kind_names[r->kind], (long long)r->t);
    }
    /* What waited ran at the resume, in the order it arrived. */
    probe_state_t *st = sim_node_state(s, 0);
    int64_t want[] = {1, 2, 3, -1, 4};
    assert_int_equal(st->n_seen, SIM_ARRAY_LEN(want));
    for (size_t i = 0; i < SIM_ARRAY_LEN(want); i++) assert_int_equal(st->seen[i], want[i]);
    int at_resume = 0;
    for (size_t i = 0; i < rec.n; i++) {
        const trace_rec_t *r = &rec.v[i];
        if (((r->kind == TR_DELIVER && r->b == 0) || (r->kind == TR_TIMER && r->a == 0)) && r->t == 700 * SIM_MS) at_resume++;
    }
    assert_int_equal(at_resume, 5);
    sim_destroy(s);
    scn_free(&scn);
    recs_free(&rec);
}

static void test_sim_crash_while_paused_drops_what_waited(void **state)
{
    scn_t scn;
    sim_t *s = create_probe(
        "{\"seed\": 3, \"duration\": \"2s\", \"nodes\": 2, \"protocol\": \"echo\","
        " \"network\": {\"latency\": \"1ms\"},"
        " \"faults\": [{\"at\": \"100ms\", \"pause\": \"n1\"}, {\"at\": \"300ms\", \"crash\": \"n1\"},"
        "            {\"at\": \"400ms\", \"restart\": \"n1\"}]}", &scn);
    sim_run_until(s, 200 * SIM_MS);
    poke(s, 1, 0, POKE_RECORD, 0, 1);
    poke(s, 1, 0, POKE_RECORD, 0, 2);
    sim_run(s);
    assert_int_equal(sim_stats(s)->dropped[DROP_CRASH], 2);
    probe_state_t *st = sim_node_state(s, 0);
    assert_int_equal(st->n_seen, 1);             /* only the new incarnation's timer */
    assert_int_equal(st->seen[0], -1);
    assert_int_equal(((probe_durable_t *)sim_node_durable(s, 0))->stale, 0);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Timers. ------------------------------------------------------------------- */

static void test_sim_timer_cancel(void **state)
{
    scn_t scn;
    sim_t *s = create_probe(
        "{\"duration\": \"2s\", \"nodes\": 2, \"protocol\": \"echo\", \"network\": {\"latency\": \"1ms\"}}", &scn);
    recs_t rec = {0};
    sim_set_trace(s, recs_add, &rec);
    inject_poke(s, 1, 0, POKE_SET_TIMER, 1, 300 * SIM_MS);
    inject_poke(s, 1, 0, POKE_SET_TIMER, 2, 400 * SIM_MS);
    inject_poke(s, 1, 0, POKE_SET_TIMER, 3, 10 * SIM_MS);
    inject_poke(s, 1, 0, POKE_CANCEL_KIND, 1, 0);
    /* Another node cannot cancel n1's timer with its id. */
    uint64_t id2 = ((probe_state_t *)sim_node_state(s, 0))->timer_id[2];
    inject_poke(s, 0, 1, POKE_CANCEL_ID, 0, (int64_t)id2);
    /* Cancelling a timer that already fired must not cancel a later one in its slot. */
    sim_run_until(s, 20 * SIM_MS);
    uint64_t fired3 = ((probe_state_t *)sim_node_state(s, 0))->timer_id[3];
    inject_poke(s, 1, 0, POKE_SET_TIMER, 4, 100 * SIM_MS);
    inject_poke(s, 1, 0, POKE_CANCEL_ID, 0, (int64_t)fired3);
    sim_run(s);

    int fired[8] = {0};
    for (size_t i = 0; i < rec.n; i++) {
        const trace_rec_t *r = &rec.v[i];
        if (r->kind != TR_TIMER || r->a != 0) continue;
        assert_true(r->x >= 0 && r->x < 8);
        fired[r->x]++;
        if (r->x == 2) assert_int_equal(r->t, 400 * SIM_MS);
        if (r->x == 4) assert_int_equal(r->t, 120 * SIM_MS);
    }
    assert_int_equal(fired[0], 1);
    assert_int_equal(fired[1], 0);
    assert_int_equal(fired[2], 1);
    assert_int_equal(fired[3], 1);
    assert_int_equal(fired[4], 1);
    sim_destroy(s);
    scn_free(&scn);
    recs_free(&rec);
}

/* ---- Clocks. ------------------------------------------------------------------- */

static void expect_clock(sim_t *s, uint32_t node, sim_time_t want)
{
    sim_node_info_t ni;
    sim_node_info(s, node, &ni);
    sim_time_t diff = ni.clock_ns - want;
    if (diff < -2 || diff > 2)
        fail_msg("node %s at t=%lldns: clock %lldns, expected %lldns", ni.name, (long long)sim_time(s),
                 (long long)ni.clock_ns, (long long)want);
}

static void test_sim_clock_skew_and_drift(void **state)
{
    scn_t scn;
    ts_load("{\"duration\": \"10s\", \"protocol\": \"echo\","
         " \"nodes\": [{\"name\": \"a\", \"clock_skew\": \"-200ms\", \"clock_drift\": 0.01}, \"b\"],"
         " \"workload\": {\"clients\": 1, \"ops\": {\"read\": 1}, \"rate\": \"1/s\"},"
         " \"faults\": [{\"at\": \"5s\", \"clock\": \"b\", \"skew\": \"1s\"},"
         "            {\"at\": \"6s\", \"clock\": \"a\", \"drift\": -0.02}]}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    recs_t rec = {0};
    sim_set_trace(s, recs_add, &rec);
    expect_clock(s, 0, -200 * SIM_MS);
    sim_run_until(s, 2 * SIM_SEC);
    expect_clock(s, 0, 2 * SIM_SEC - 200 * SIM_MS + 20 * SIM_MS);
    expect_clock(s, 1, 2 * SIM_SEC);
    expect_clock(s, 2, 2 * SIM_SEC);                                /* the client: true time */
    sim_run_until(s, 5 * SIM_SEC);
    expect_clock(s, 1, 6 * SIM_SEC);
    sim_run_until(s, 6 * SIM_SEC);
    expect_clock(s, 0, 6 * SIM_SEC - 200 * SIM_MS + 60 * SIM_MS);
    sim_run_until(s, 8 * SIM_SEC);
    expect_clock(s, 1, 9 * SIM_SEC);                                /* skew set, drift still 0 */
    expect_clock(s, 0, 6 * SIM_SEC - 140 * SIM_MS + 2 * SIM_SEC - 40 * SIM_MS);   /* old offset kept, new rate */
    int clocks = 0;
    for (size_t i = 0; i < rec.n; i++)
        if (rec.v[i].kind == TR_CLOCK && rec.v[i].a == 1) { clocks++; assert_int_equal(rec.v[i].x, SIM_SEC); assert_int_equal(rec.v[i].t, 5 * SIM_SEC); }
    assert_int_equal(clocks, 1);
    sim_destroy(s);
    scn_free(&scn);
    recs_free(&rec);
}

/* ---- FIFO, bandwidth and per-type latency. ------------------------------------- */

static const char *const quiet_fmt =
    "{\"seed\": 9, \"duration\": \"10s\", \"nodes\": 3,"
    " \"protocol\": {\"name\": \"random-peer\", \"params\": {\"interval\": \"100000s\"}},"
    " \"network\": %s}";

/* Sends n pings a->b, spaced by gap, and returns the ids in send order. */
static uint64_t *send_train(sim_t *s, uint32_t a, uint32_t b, int n, sim_time_t gap)
{
    uint64_t *ids = calloc((size_t)n, sizeof *ids);
    for (int i = 0; i < n; i++) {
        sim_run_until(s, sim_time(s) + gap);
        uint64_t x = (uint64_t)i;
        sim_send_from(s, a, b, PING_TYPE, &x, sizeof x, 0);
        ids[i] = s->next_msg_id;
    }
    return ids;
}

/* Counts deliveries of the given ids that came after a later-sent one. */
static int inversions(const recs_t *rec, const uint64_t *ids, int n)
{
    uint64_t lo = ids[0], hi = ids[n - 1], last = 0;
    int inv = 0, seen = 0;
    for (size_t i = 0; i < rec->n; i++) {
        const trace_rec_t *r = &rec->v[i];
        if (r->kind != TR_DELIVER || r->id < lo || r->id > hi) continue;
        bool ours = false;
        for (int k = 0; k < n && !ours; k++) ours = ids[k] == r->id;
        if (!ours) continue;
        seen++;
        if (r->id < last) inv++;
        if (r->id > last) last = r->id;
    }
    assert_int_equal(seen, n);
    return inv;
}

static void test_sim_fifo_links_never_reorder(void **state)
{
    char json[1024];
    snprintf(json, sizeof json, quiet_fmt,
             "{\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"50ms\"},"
             " \"links\": [{\"from\": \"n1\", \"to\": \"n2\", \"oneway\": true, \"fifo\": true}]}");
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    recs_t rec = {0};
    sim_set_trace(s, recs_add, &rec);
    uint64_t *fwd = send_train(s, 0, 1, 200, 100 * SIM_US);
    uint64_t *back = send_train(s, 1, 0, 200, 100 * SIM_US);
    sim_run(s);
    assert_int_equal(inversions(&rec, fwd, 200), 0);
    /* The reverse direction is not FIFO, and random latencies reorder it. */
    assert_true(inversions(&rec, back, 200) > 10);
    free(fwd);
    free(back);
    sim_destroy(s);
    scn_free(&scn);
    recs_free(&rec);
}

static void test_sim_fifo_by_default_holds_for_every_link(void **state)
{
    char json[1024];
    snprintf(json, sizeof json, quiet_fmt,
             "{\"latency\": {\"dist\": \"exponential\", \"mean\": \"20ms\"}, \"fifo\": true}");
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    recs_t rec = {0};
    sim_set_trace(s, recs_add, &rec);
    uint64_t *a = send_train(s, 2, 0, 150, 50 * SIM_US);
    uint64_t *b = send_train(s, 0, 2, 150, 50 * SIM_US);
    sim_run(s);
    assert_int_equal(inversions(&rec, a, 150), 0);
    assert_int_equal(inversions(&rec, b, 150), 0);
    free(a);
    free(b);
    sim_destroy(s);
    scn_free(&scn);
    recs_free(&rec);
}

static sim_time_t arrival_of(const recs_t *rec, uint64_t id)
{
    for (size_t i = 0; i < rec->n; i++)
        if (rec->v[i].kind == TR_DELIVER && rec->v[i].id == id) return rec->v[i].t;
    fail_msg("message %llu was never delivered", (unsigned long long)id);
    return -1;
}

static void test_sim_bandwidth_delays_by_size(void **state)
{
    char json[1024];
    /* 8000 bits/s: a byte takes 1ms to send. */
    snprintf(json, sizeof json, quiet_fmt, "{\"latency\": \"2ms\", \"bandwidth\": \"8000bps\"}");
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    recs_t rec = {0};
    sim_set_trace(s, recs_add, &rec);
    uint64_t x = 0, id[5];
    sim_send_from(s, 0, 1, PING_TYPE, &x, sizeof x, 100); id[0] = s->next_msg_id;
    sim_send_from(s, 0, 1, PING_TYPE, &x, sizeof x, 100); id[1] = s->next_msg_id;   /* queues behind */
    sim_send_from(s, 0, 1, PING_TYPE, &x, sizeof x, 20);  id[2] = s->next_msg_id;
    sim_send_from(s, 1, 0, PING_TYPE, &x, sizeof x, 50);  id[3] = s->next_msg_id;   /* another link */
    sim_run_until(s, 1 * SIM_SEC);
    sim_send_from(s, 0, 1, PING_TYPE, &x, sizeof x, 10);  id[4] = s->next_msg_id;   /* idle again */
    sim_run(s);
    assert_int_equal(arrival_of(&rec, id[0]), 102 * SIM_MS);
    assert_int_equal(arrival_of(&rec, id[1]), 202 * SIM_MS);
    assert_int_equal(arrival_of(&rec, id[2]), 222 * SIM_MS);
    assert_int_equal(arrival_of(&rec, id[3]), 52 * SIM_MS);
    assert_int_equal(arrival_of(&rec, id[4]), 1 * SIM_SEC + 12 * SIM_MS);
    sim_destroy(s);
    scn_free(&scn);
    recs_free(&rec);
}

static void test_sim_type_latency_applies_to_its_type_only(void **state)
{
    scn_t scn;
    ts_load("{\"seed\": 4, \"duration\": \"5s\", \"nodes\": 3, \"protocol\": \"echo\","
         " \"network\": {\"latency\": \"10ms\", \"type_latency\": {\"reply\": \"50ms\"}},"
         " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1}, \"rate\": \"40/s\", \"stop\": \"4s\"}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    recs_t rec = {0};
    sim_set_trace(s, recs_add, &rec);
    sim_run(s);
    uint64_t requests = 0, replies = 0;
    for (size_t i = 0; i < rec.n; i++) {
        const trace_rec_t *r = &rec.v[i];
        if (r->kind != TR_SEND) continue;
        if (r->type == 0) { requests++; assert_int_equal(r->t2 - r->t, 10 * SIM_MS); }
        else if (r->type == 1) { replies++; assert_int_equal(r->t2 - r->t, 50 * SIM_MS); }
    }
    assert_true(requests > 50);
    assert_int_equal(replies, requests);
    const sim_stats_t *st = sim_stats(s);
    assert_int_equal(st->ops_ok, st->ops_invoked);
    assert_int_equal(sim_latency_quantile(s, 0.0), 60 * SIM_MS);
    assert_int_equal(sim_latency_quantile(s, 1.0), 60 * SIM_MS);
    sim_destroy(s);
    scn_free(&scn);
    recs_free(&rec);
}

/* ---- Determinism. -------------------------------------------------------------- */

/* Many features at once, so that a nondeterminism anywhere shows. */
static const char *const busy_json =
    "{\"seed\": 77, \"duration\": \"12s\","
    " \"nodes\": [{\"name\": \"a\", \"clock_drift\": 0.001}, \"b\", \"c\", \"d\", \"e\"],"
    " \"protocol\": {\"name\": \"gossip\", \"params\": {\"fanout\": 2, \"anti_entropy\": \"200ms\"}},"
    " \"network\": {\"latency\": {\"dist\": \"lognormal\", \"median\": \"8ms\", \"sigma\": 0.6},"
    "   \"loss\": 0.03, \"duplicate\": 0.02,"
    "   \"links\": [{\"from\": \"a\", \"to\": \"b\", \"fifo\": true, \"bandwidth\": \"1Mbps\"}]},"
    " \"workload\": {\"clients\": 3, \"ops\": {\"write\": 0.6, \"read\": 0.4}, \"keys\": 5,"
    "   \"key_dist\": \"zipf\", \"rate\": \"80/s\", \"timeout\": \"300ms\"},"
    " \"faults\": [{\"at\": \"2s\", \"pause\": \"c\"}, {\"at\": \"2500ms\", \"resume\": \"c\"},"
    "   {\"at\": \"3s\", \"partition\": [[\"a\", \"b\"], [\"c1\"]]}, {\"at\": \"5s\", \"heal\": true},"
    "   {\"nemesis\": \"random-crashes\", \"mttf\": \"3s\", \"mttr\": \"500ms\"},"
    "   {\"nemesis\": \"random-partitions\", \"every\": \"2s\", \"duration\": \"700ms\", \"start\": \"6s\"}]}";

static uint64_t run_busy(const scn_t *scn, const sim_opts_t *o, bytes_t *out)
{
    sim_t *s = ts_create(scn, o);
    if (out) sim_set_trace(s, bytes_listener, out);
    sim_run(s);
    uint64_t h = sim_trace_hash(s);
    assert_true(sim_stats(s)->crashes > 0);
    assert_true(sim_stats(s)->duplicated > 0);
    sim_destroy(s);
    return h;
}

static void test_sim_same_seed_gives_identical_trace(void **state)
{
    scn_t scn;
    ts_load(busy_json, &scn);
    bytes_t a = {0}, b = {0};
    uint64_t ha = run_busy(&scn, NULL, &a);
    uint64_t hb = run_busy(&scn, NULL, &b);
    assert_true(a.count > 10000);
    assert_int_equal(ha, hb);
    assert_int_equal(a.count, b.count);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.b, b.b, a.n);
    free(a.b);
    free(b.b);
    scn_free(&scn);
}

static void test_sim_different_seed_gives_different_trace(void **state)
{
    scn_t scn;
    ts_load(busy_json, &scn);
    bytes_t a = {0}, b = {0};
    sim_opts_t o = {.seed_set = true, .seed = 78};
    uint64_t ha = run_busy(&scn, NULL, &a);
    uint64_t hb = run_busy(&scn, &o, &b);
    assert_int_not_equal(ha, hb);
    assert_true(a.n != b.n || memcmp(a.b, b.b, a.n) != 0);
    /* The seed option is the only difference: the scenario's own seed reproduces run a. */
    sim_opts_t same = {.seed_set = true, .seed = 77};
    assert_int_equal(run_busy(&scn, &same, NULL), ha);
    free(a.b);
    free(b.b);
    scn_free(&scn);
}

static void test_sim_trace_listener_does_not_change_the_run(void **state)
{
    scn_t scn;
    ts_load(busy_json, &scn);
    bytes_t a = {0};
    uint64_t with = run_busy(&scn, NULL, &a);
    uint64_t without = run_busy(&scn, NULL, NULL);
    assert_int_equal(with, without);
    free(a.b);
    scn_free(&scn);
}

/* ---- Driving one node. --------------------------------------------------------- */

#define GOSSIP_PUSH_TYPE SIM_MSG_BUILTIN     /* gossip's "push", as a global type id */

typedef struct pushes { uint32_t from; int64_t value; int count; uint32_t to[64]; bool bad; } pushes_t;

static void count_pushes(void *ud, const sim_flight_t *f)
{
    pushes_t *p = ud;
    if (f->from != p->from || f->type != GOSSIP_PUSH_TYPE) return;
    int64_t v;
    if (f->len != sizeof v) { p->bad = true; return; }
    memcpy(&v, f->payload, sizeof v);
    if (v != p->value) return;
    if (p->count < 64) p->to[p->count] = f->to;
    p->count++;
}

static void test_sim_inject_drives_one_gossip_node(void **state)
{
    scn_t scn;
    ts_load("{\"duration\": \"1s\", \"nodes\": 6,"
         " \"protocol\": {\"name\": \"gossip\", \"params\": {\"fanout\": 3, \"anti_entropy\": \"0s\"}}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    assert_string_equal(sim_msg_type_name(s, GOSSIP_PUSH_TYPE), "push");
    int64_t v = 4242;
    assert_int_equal(sim_inject(s, 4, 0, 0, &v, sizeof v), SIM_OK);
    pushes_t p = {.from = 0, .value = v};
    sim_each_flight(s, count_pushes, &p);
    assert_false(p.bad);
    assert_int_equal(p.count, 3);
    for (int i = 0; i < p.count; i++) {
        assert_true(p.to[i] < 6);
        assert_int_not_equal(p.to[i], 0);
    }
    /* A value it already has stops there. */
    assert_int_equal(sim_inject(s, 5, 0, 0, &v, sizeof v), SIM_OK);
    pushes_t again = {.from = 0, .value = v};
    sim_each_flight(s, count_pushes, &again);
    assert_int_equal(again.count, 3);
    /* A down node takes nothing. */
    sim_action_t crash = {.kind = ACT_CRASH, .node = 2};
    assert_int_equal(sim_apply(s, &crash), SIM_OK);
    assert_int_equal(sim_inject(s, 0, 2, 0, &v, sizeof v), SIM_EINPUT);
    assert_int_equal(sim_inject(s, 0, 9, 0, &v, sizeof v), SIM_EINPUT);
    assert_int_equal(sim_inject(s, 0, 1, 3, &v, sizeof v), SIM_EINPUT);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Stepping. ----------------------------------------------------------------- */

static void test_sim_run_until_and_step(void **state)
{
    scn_t scn;
    sim_t *s = create_probe(
        "{\"duration\": \"1s\", \"nodes\": 2, \"protocol\": \"echo\","
        " \"faults\": [{\"at\": \"1s\", \"pause\": \"n2\"}]}", &scn);
    sim_time_t next;
    assert_true(sim_next_time(s, &next));
    assert_int_equal(next, PROBE_BOOT_TIMER_NS);
    assert_int_equal(sim_time(s), 0);

    /* Up to a time before any event: only the clock moves. */
    sim_run_until(s, 300 * SIM_MS);
    assert_int_equal(sim_time(s), 300 * SIM_MS);
    assert_int_equal(sim_stats(s)->timers, 0);
    sim_run_until(s, 100 * SIM_MS);              /* never backwards */
    assert_int_equal(sim_time(s), 300 * SIM_MS);

    /* One step is one event, at its time. */
    assert_true(sim_step(s));
    assert_int_equal(sim_time(s), PROBE_BOOT_TIMER_NS);
    assert_int_equal(sim_stats(s)->timers, 1);
    assert_true(sim_step(s));
    assert_int_equal(sim_stats(s)->timers, 2);

    /* Events at exactly the end are processed; the clock stops at the end. */
    sim_run_until(s, 5 * SIM_SEC);
    assert_int_equal(sim_time(s), SIM_SEC);
    sim_node_info_t ni;
    sim_node_info(s, 1, &ni);
    assert_true(ni.paused);

    /* An event past the end is never processed. */
    inject_poke(s, 1, 0, POKE_SET_TIMER, 1, 10 * SIM_MS);
    assert_true(sim_next_time(s, &next));
    assert_int_equal(next, SIM_SEC + 10 * SIM_MS);
    assert_false(sim_step(s));
    assert_int_equal(sim_time(s), SIM_SEC);
    assert_int_equal(sim_stats(s)->timers, 2);
    sim_run(s);
    assert_int_equal(sim_stats(s)->timers, 2);
    assert_int_equal(sim_time(s), sim_end(s));
    sim_destroy(s);
    scn_free(&scn);
}

static void test_sim_duration_option_overrides_the_scenario(void **state)
{
    scn_t scn;
    ts_load(probe_json, &scn);
    scn.proto = &proto_probe;
    sim_opts_t o = {.duration_ns = 300 * SIM_MS};
    sim_t *s = ts_create(&scn, &o);
    assert_int_equal(sim_end(s), 300 * SIM_MS);
    sim_run(s);
    assert_int_equal(sim_time(s), 300 * SIM_MS);
    assert_int_equal(sim_stats(s)->timers, 0);
    assert_int_equal(sim_stats(s)->crashes, 1);
    assert_int_equal(sim_stats(s)->restarts, 1);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Bounds. ------------------------------------------------------------------- */

static void test_sim_oversized_payload_is_a_clear_error(void **state)
{
    scn_t scn;
    char json[1024];
    snprintf(json, sizeof json, quiet_fmt, "{\"latency\": \"1ms\"}");
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    /* The library never ends the process: the send returns, the run stops cleanly
     * with the bound named, and the caller (dsim run: exit 2) reports it. */
    static uint8_t big[SIM_PAYLOAD_BYTES_MAX + 1];
    sim_send_from(s, 0, 1, PING_TYPE, big, sizeof big, 0);
    assert_true(sim_stopped(s));
    const char *why = sim_error(s);
    assert_non_null(why);
    if (!strstr(why, "SIM_PAYLOAD_BYTES_MAX")) fail_msg("expected the bound named, got: %s", why);
    assert_false(sim_step(s));
    sim_destroy(s);
    scn_free(&scn);
}

static const char *many_types[SIM_MSG_TYPES_MAX + 2];

static void test_sim_too_many_message_types_is_refused(void **state)
{
    static char names[SIM_MSG_TYPES_MAX + 1][8];
    for (int i = 0; i < SIM_MSG_TYPES_MAX + 1; i++) {
        snprintf(names[i], sizeof names[i], "t%d", i);
        many_types[i] = names[i];
    }
    many_types[SIM_MSG_TYPES_MAX + 1] = NULL;
    proto_t wide = proto_probe;
    wide.msg_types = many_types;
    scn_t scn;
    ts_load(probe_json, &scn);
    scn.proto = &wide;
    char err[256] = "";
    sim_t *s = sim_create(&scn, NULL, err, sizeof err);
    assert_null(s);
    assert_non_null(strstr(err, "SIM_MSG_TYPES_MAX"));
    scn_free(&scn);
}

static void test_sim_override_of_a_missing_link_is_refused(void **state)
{
    scn_t scn;
    ts_load("{\"duration\": \"1s\", \"nodes\": 6, \"protocol\": \"echo\", \"topology\": \"ring\","
         " \"network\": {\"links\": [{\"from\": \"n1\", \"to\": \"n2\", \"loss\": 0.1},"
         "                        {\"from\": \"n1\", \"to\": \"n4\", \"loss\": 0.1}]}}", &scn);
    char err[256] = "";
    sim_t *s = sim_create(&scn, NULL, err, sizeof err);
    assert_null(s);
    assert_non_null(strstr(err, "$.network.links[1]"));
    scn_free(&scn);
}

/* What arrives at a paused node waits there, and the views say so. */
typedef struct wait_count { uint32_t waiting, flying, to; sim_time_t latest_arrival; } wait_count_t;

static void count_waiting(void *ud, const sim_flight_t *f)
{
    wait_count_t *c = ud;
    if (f->waiting) {
        c->waiting++;
        assert_int_equal(f->to, c->to);
        if (f->arrive_ns > c->latest_arrival) c->latest_arrival = f->arrive_ns;
    } else {
        c->flying++;
    }
}

static void test_sim_flights_show_what_waits_at_a_paused_node(void **state)
{
    (void)state;
    scn_t scn;
    char err[512];
    const char *json = "{\"duration\": \"4s\", \"nodes\": [\"a\", \"b\", {\"name\": \"c\", \"joined\": false}],"
                       " \"protocol\": {\"name\": \"gossip\", \"params\": {\"anti_entropy\": \"100ms\"}},"
                       " \"network\": {\"latency\": \"10ms\"},"
                       " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"50/s\", \"target\": \"a\"},"
                       " \"faults\": [{\"at\": \"1s\", \"pause\": \"b\"}, {\"at\": \"3s\", \"resume\": \"b\"}]}";
    if (scn_load_string(json, "(test)", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    sim_t *s = sim_create(&scn, NULL, err, sizeof err);
    assert_non_null(s);
    sim_node_info_t ni;
    sim_node_info(s, 0, &ni);
    assert_true(ni.member);
    sim_node_info(s, 2, &ni);
    assert_false(ni.member);                         /* "joined": false */
    sim_node_info(s, 3, &ni);
    assert_false(ni.member);                         /* a client */
    sim_run_until(s, 2 * SIM_SEC);
    wait_count_t c = {0};
    c.to = 1;
    sim_each_flight(s, count_waiting, &c);
    assert_true(c.waiting > 10);                     /* a second of pushes and syncs to b */
    assert_true(c.latest_arrival <= sim_time(s));
    assert_true(c.latest_arrival > SIM_SEC);
    sim_run_until(s, 3 * SIM_SEC + SIM_MS);
    wait_count_t after = {0};
    after.to = 1;
    sim_each_flight(s, count_waiting, &after);
    assert_int_equal(after.waiting, 0);              /* resumed: all processed */
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Out of turn: one message or timer now. ----------------------------------- */

static const char *const quiet_probe_json =
    "{\"seed\": 3, \"duration\": \"10s\", \"nodes\": 2, \"protocol\": \"echo\", \"network\": {\"latency\": \"5ms\"}}";

/* The third of three pokes, delivered now, is processed first and at once; the other
 * two then arrive in their own order and time; a delivered or dropped id is gone. */
static void test_sim_deliver_now_takes_one_message_ahead_of_the_rest(void **state)
{
    scn_t scn;
    sim_t *s = create_probe(quiet_probe_json, &scn);
    uint64_t id[4];
    for (int i = 0; i < 4; i++) id[i] = poke(s, 1, 0, POKE_RECORD, 0, 10 + i);
    assert_int_equal(sim_deliver_now(s, id[2]), SIM_OK);
    probe_state_t *st = sim_node_state(s, 0);
    assert_int_equal(sim_time(s), 0);
    assert_int_equal(st->n_seen, 1);
    assert_int_equal(st->seen[0], 12);
    assert_int_equal(sim_deliver_now(s, id[2]), SIM_ENOTFOUND);
    assert_int_equal(sim_drop_now(s, id[3]), SIM_OK);
    assert_int_equal(sim_drop_now(s, id[3]), SIM_ENOTFOUND);
    assert_int_equal(sim_deliver_now(s, 999), SIM_ENOTFOUND);
    assert_int_equal(sim_stats(s)->dropped[DROP_USER], 1);
    sim_run_until(s, 4 * SIM_MS);
    assert_int_equal(st->n_seen, 1);                   /* the rest keep their latency */
    sim_run_until(s, 5 * SIM_MS);
    assert_int_equal(st->n_seen, 3);
    assert_int_equal(st->seen[1], 10);
    assert_int_equal(st->seen[2], 11);
    sim_run_until(s, PROBE_BOOT_TIMER_NS - 1);
    assert_int_equal(st->n_seen, 3);                   /* the dropped one never came */
    assert_int_equal(sim_stats(s)->delivered, 3);
    sim_destroy(s);
    scn_free(&scn);
}

typedef struct timers_seen { sim_timer_t t[8]; int n; } timers_seen_t;

static void note_timer(void *ud, const sim_timer_t *t)
{
    timers_seen_t *ts = ud;
    if (t->node == 0 && ts->n < 8) ts->t[ts->n++] = *t;
}

/* The probe's boot timer is listed with its kind, data and times; fired now, on_timer
 * runs at once with them, and it is gone. Cancelled timers and a crashed node's are
 * not listed, and cannot be fired. */
static void test_sim_fire_timer_runs_a_listed_timer_now(void **state)
{
    scn_t scn;
    sim_t *s = create_probe(quiet_probe_json, &scn);
    sim_run_until(s, 10 * SIM_MS);
    timers_seen_t ts = {0};
    sim_each_timer(s, note_timer, &ts);
    assert_int_equal(ts.n, 1);
    assert_int_equal(ts.t[0].kind, 0);
    assert_int_equal(ts.t[0].data, 1);                 /* the boot it was set in */
    assert_int_equal(ts.t[0].set_ns, 0);
    assert_int_equal(ts.t[0].due_ns, PROBE_BOOT_TIMER_NS);
    probe_state_t *st = sim_node_state(s, 0);
    probe_durable_t *d = sim_node_durable(s, 0);
    assert_int_equal(sim_fire_timer(s, ts.t[0].id), SIM_OK);
    assert_int_equal(sim_time(s), 10 * SIM_MS);
    assert_int_equal(d->fired, 1);
    assert_int_equal(d->stale, 0);
    assert_int_equal(st->n_seen, 1);
    assert_int_equal(st->seen[0], -1);
    assert_int_equal(sim_fire_timer(s, ts.t[0].id), SIM_ENOTFOUND);
    ts.n = 0;
    sim_each_timer(s, note_timer, &ts);
    assert_int_equal(ts.n, 0);

    /* Set two, cancel one: only the other is listed. */
    inject_poke(s, 1, 0, POKE_SET_TIMER, 2, 50 * SIM_MS);
    inject_poke(s, 1, 0, POKE_SET_TIMER, 3, 70 * SIM_MS);
    uint64_t cancelled = st->timer_id[2];
    inject_poke(s, 1, 0, POKE_CANCEL_KIND, 2, 0);
    ts.n = 0;
    sim_each_timer(s, note_timer, &ts);
    assert_int_equal(ts.n, 1);
    assert_int_equal(ts.t[0].kind, 3);
    assert_int_equal(ts.t[0].due_ns, 80 * SIM_MS);
    assert_int_equal(sim_fire_timer(s, cancelled), SIM_ENOTFOUND);
    /* A crash takes the node's timers with it. */
    sim_action_t crash = {.kind = ACT_CRASH, .node = 0};
    assert_int_equal(sim_apply(s, &crash), SIM_OK);
    ts.n = 0;
    sim_each_timer(s, note_timer, &ts);
    assert_int_equal(ts.n, 0);
    sim_run_until(s, SIM_SEC);
    assert_int_equal(d->fired, 1);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- Long runs. ------------------------------------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* A day of a steady workload: about a million operations. Before the history and the
 * latency samples were bounded this peaked near 150 MB, growing with the run. */
static void test_sim_day_long_run_keeps_memory_flat(void **state)
{
    const char *json =
        "{\"duration\": \"24h\", \"nodes\": 2, \"protocol\": \"echo\","
        " \"workload\": {\"clients\": 2, \"ops\": {\"read\": 0.5, \"write\": 0.5}, \"keys\": 4, \"rate\": \"12/s\"}}";
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The child runs the day and reports its peak resident memory and what it kept;
         * a fresh process, so nothing the other tests allocated counts. */
        close(fds[0]);
        scn_t scn;
        char err[512];
        uint64_t out[4] = {0};
        if (scn_load_string(json, "(test)", &scn, err, sizeof err) == SIM_OK) {
            sim_t *s = sim_create(&scn, NULL, err, sizeof err);
            if (s) {
                sim_run(s);
                jw_t w;
                jw_init(&w, false);
                sim_write_summary(s, &w, 0);   /* the summary's own passes over the history count too */
                jw_free(&w);
                struct rusage ru;
                getrusage(RUSAGE_SELF, &ru);
                out[0] = (uint64_t)ru.ru_maxrss * 1024;
                out[1] = sim_stats(s)->ops_ok;
                out[2] = sim_history(s)->n_ev;
                out[3] = sim_history_dropped(s);
                sim_destroy(s);
            }
            scn_free(&scn);
        }
        _exit(write(fds[1], out, sizeof out) == (ssize_t)sizeof out ? 0 : 1);
    }
    close(fds[1]);
    uint64_t in[4] = {0};
    ssize_t got = read(fds[0], in, sizeof in);
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    assert_int_equal(got, (ssize_t)sizeof in);
    assert_true(in[1] > 900000);                          /* a day's operations did happen */
    assert_int_equal(in[2], SIM_RUN_HISTORY_EVENTS_MAX);  /* memory holds a bounded prefix... */
    assert_true(in[3] > 1000000);                         /* ...and the rest was only counted */
    print_message("a day: %llu operations, peak resident memory %llu MB\n", (unsigned long long)in[1],
                  (unsigned long long)(in[0] >> 20));
#ifndef UNDER_ASAN
    /* (Under AddressSanitizer its shadow and quarantine are memory this bound is not
     * about; the counts above still show what memory holds.) */
    if (in[0] > 64u << 20) fail_msg("peak resident memory %llu MB over a day's run; expected under 64 MB",
                                    (unsigned long long)(in[0] >> 20));
#endif
}

/* Past the exact bound, quantiles come from the histogram: within 0.4% of the exact
 * ones, the extremes exact, the latest samples still in order. */
static void test_sim_samples_quantiles_stay_close_past_the_exact_bound(void **state)
{
    sim_samples_t x = {0};
    uint64_t n = 4 * (uint64_t)SIM_SAMPLES_EXACT_MAX + 1;
    /* A scrambled permutation of 1000 .. 1000 + n - 1 ns, so order does not help. */
    for (uint64_t i = 0; i < n; i++) sim_samples_add(&x, 1000 + (int64_t)((i * 2654435761u) % n));
    assert_null(x.exact);
    assert_non_null(x.bucket);
    assert_int_equal(x.n, n);
    assert_int_equal(sim_samples_quantile(&x, 0.0), 1000);
    assert_int_equal(sim_samples_quantile(&x, 1.0), 1000 + (int64_t)n - 1);
    static const double qs[] = {0.01, 0.5, 0.9, 0.99, 0.999};
    for (size_t k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        double want = 1000 + qs[k] * (double)(n - 1), got = (double)sim_samples_quantile(&x, qs[k]);
        if (got < want * 0.996 || got > want * 1.004) fail_msg("q %.3f: %.0f, expected %.0f within 0.4%%", qs[k], got, want);
    }
    int64_t last[4];
    assert_int_equal(sim_samples_recent(&x, last, 4), 4);
    for (int j = 0; j < 4; j++) assert_int_equal(last[j], 1000 + (int64_t)(((n - 4 + (uint64_t)j) * 2654435761u) % n));
    sim_samples_free(&x);

    /* Below the bound nothing changes: exact order statistics, interpolated. */
    for (int64_t v = 1; v <= 4; v++) sim_samples_add(&x, v * 10);
    assert_int_equal(sim_samples_quantile(&x, 0.5), 25);
    sim_samples_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_flights_show_what_waits_at_a_paused_node),
        cmocka_unit_test(test_sim_payloads_of_every_length_arrive_intact),
        cmocka_unit_test(test_sim_loss_rate_matches_the_parameter),
        cmocka_unit_test(test_sim_duplication_rate_matches_the_parameter),
        cmocka_unit_test(test_sim_partition_drops_exactly_the_crossing_messages),
        cmocka_unit_test(test_sim_oneway_partition_drops_one_direction),
        cmocka_unit_test(test_sim_crash_loses_volatile_state_and_keeps_durable),
        cmocka_unit_test(test_sim_timers_of_a_crashed_node_never_fire),
        cmocka_unit_test(test_sim_paused_node_processes_nothing_until_resumed),
        cmocka_unit_test(test_sim_crash_while_paused_drops_what_waited),
        cmocka_unit_test(test_sim_timer_cancel),
        cmocka_unit_test(test_sim_clock_skew_and_drift),
        cmocka_unit_test(test_sim_fifo_links_never_reorder),
        cmocka_unit_test(test_sim_fifo_by_default_holds_for_every_link),
        cmocka_unit_test(test_sim_bandwidth_delays_by_size),
        cmocka_unit_test(test_sim_type_latency_applies_to_its_type_only),
        cmocka_unit_test(test_sim_same_seed_gives_identical_trace),
        cmocka_unit_test(test_sim_different_seed_gives_different_trace),
        cmocka_unit_test(test_sim_trace_listener_does_not_change_the_run),
        cmocka_unit_test(test_sim_inject_drives_one_gossip_node),
        cmocka_unit_test(test_sim_run_until_and_step),
        cmocka_unit_test(test_sim_duration_option_overrides_the_scenario),
        cmocka_unit_test(test_sim_oversized_payload_is_a_clear_error),
        cmocka_unit_test(test_sim_too_many_message_types_is_refused),
        cmocka_unit_test(test_sim_override_of_a_missing_link_is_refused),
        cmocka_unit_test(test_sim_deliver_now_takes_one_message_ahead_of_the_rest),
        cmocka_unit_test(test_sim_fire_timer_runs_a_listed_timer_now),
        cmocka_unit_test(test_sim_day_long_run_keeps_memory_flat),
        cmocka_unit_test(test_sim_samples_quantiles_stay_close_past_the_exact_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
