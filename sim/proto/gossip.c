/* gossip.c -- broadcast by push flooding, repaired by push-pull anti-entropy.
 *
 * A client writes a value to any node; the node keeps it, answers ok, and pushes it to
 * `fanout` random peers. A node that hears a value for the first time keeps it and
 * pushes it on the same way; a value it already has stops there. This is rumour
 * spreading of the "infect and die" kind: fast, but with a small fanout or lost
 * messages some nodes can be missed, and nodes cut off by a partition miss everything
 * written on the other side.
 *
 *      c1 ──write 7──> n1 ──push 7──> n3 ──push 7──> n5
 *                        └─push 7──> n2 ──push 7──> n4
 *
 * Anti-entropy repairs what flooding missed (Demers et al., "Epidemic algorithms for
 * replicated database maintenance", PODC 1987, section 1.3, push-pull): every
 * `anti_entropy` period a node sends its whole set to one random peer; the peer answers
 * with its own set and keeps what it lacked; the sender keeps what it lacked.
 *
 *      n1 ──sync {1,2,7}────> n4        n4 keeps 1, 2 (it had 7, 9)
 *      n1 <──sync-reply {7,9}── n4      n1 keeps 9: both hold {1,2,7,9}
 *
 * So after a partition heals, the two sides converge within a few periods. A read
 * returns the values the node holds. Values live in memory only: a crashed node
 * restarts empty and refills through anti-entropy.
 */
#include <stdio.h>
#include <string.h>
#include "proto/proto.h"

typedef struct gossip_config {
    int64_t fanout;
    sim_time_t anti_entropy_ns;
    int64_t max_values;
} gossip_config_t;

enum { GOSSIP_PUSH, GOSSIP_SYNC, GOSSIP_SYNC_REPLY };
enum { TIMER_ANTI_ENTROPY };

#define EMPTY INT64_MIN

/* The state is a header, then max_values values in arrival order, then an open-
 * addressing hash set of twice that many slots for membership. */
typedef struct gossip_state {
    uint32_t n;
    uint32_t _pad;
    uint64_t digest;         /* sum of mixed values: equal sets have equal digests */
    int64_t values[];
} gossip_state_t;

static size_t gossip_size(const void *cfgp)
{
    const gossip_config_t *cfg = cfgp;
    return sizeof(gossip_state_t) + (size_t)cfg->max_values * 3 * sizeof(int64_t);
}

static int64_t *table(sim_ctx *c, const gossip_config_t *cfg)
{
    gossip_state_t *st = sim_state(c);
    return st->values + cfg->max_values;
}

static bool has(sim_ctx *c, int64_t v)
{
    const gossip_config_t *cfg = sim_config(c);
    int64_t *t = table(c, cfg);
    uint64_t mask = (uint64_t)cfg->max_values * 2 - 1, i = sim_mix64((uint64_t)v) & mask;
    for (;; i = (i + 1) & mask) {
        if (t[i] == EMPTY) return false;
        if (t[i] == v) return true;
    }
}

/* Adds v; returns true if it was new. */
static bool add(sim_ctx *c, int64_t v)
{
    const gossip_config_t *cfg = sim_config(c);
    gossip_state_t *st = sim_state(c);
    if (has(c, v)) return false;
    if (st->n >= cfg->max_values) {
        sim_halt(c, "gossip: node %s already holds max_values (%lld) values; raise protocol.params.max_values",
                 sim_node_name(c, sim_self(c)), (long long)cfg->max_values);
        return false;
    }
    int64_t *t = table(c, cfg);
    uint64_t mask = (uint64_t)cfg->max_values * 2 - 1, i = sim_mix64((uint64_t)v) & mask;
    while (t[i] != EMPTY) i = (i + 1) & mask;
    t[i] = v;
    st->values[st->n++] = v;
    st->digest += sim_mix64((uint64_t)v);
    return true;
}

static void push(sim_ctx *c, int64_t v, uint32_t except)
{
    const gossip_config_t *cfg = sim_config(c);
    uint32_t n = sim_n_peers(c);
    for (int64_t k = 0; k < cfg->fanout && n; k++) {
        uint32_t p = sim_peer(c, (uint32_t)rng_below(sim_rng(c), n));
        if (p == except && n > 1) p = sim_peer(c, (uint32_t)rng_below(sim_rng(c), n));
        sim_send(c, p, GOSSIP_PUSH, &v, sizeof v, 0);
    }
}

static void gossip_init(sim_ctx *c)
{
    const gossip_config_t *cfg = sim_config(c);
    int64_t *t = table(c, cfg);
    for (int64_t i = 0; i < cfg->max_values * 2; i++) t[i] = EMPTY;
    if (cfg->anti_entropy_ns > 0)    /* a random phase, so nodes do not sync in lockstep */
        sim_timer_set(c, (sim_time_t)rng_below(sim_rng(c), (uint64_t)cfg->anti_entropy_ns) + 1, TIMER_ANTI_ENTROPY, 0);
}

static void gossip_request(sim_ctx *c, const sim_req_t *req)
{
    gossip_state_t *st = sim_state(c);
    if (req->f == SIM_OP_READ) { sim_reply_list(c, req, st->values, st->n); return; }
    if (req->f != SIM_OP_WRITE) { sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0); return; }
    if (add(c, req->value)) push(c, req->value, sim_self(c));
    sim_reply(c, req, SIM_REPLY_OK, &req->value, 1);
}

static void gossip_message(sim_ctx *c, const sim_msg_t *m)
{
    gossip_state_t *st = sim_state(c);
    const int64_t *v = m->payload;
    uint32_t n = m->len / sizeof(int64_t);
    switch (m->type) {
    case GOSSIP_PUSH:
        if (n == 1 && add(c, v[0])) push(c, v[0], m->from);
        break;
    case GOSSIP_SYNC:
        /* Answer with our set as it was, then keep what the sender had. Exchanging
         * whole sets is the naive form of push-pull; the paper's refinements (checksums,
         * recent-update lists) only cut traffic. */
        sim_send(c, m->from, GOSSIP_SYNC_REPLY, st->values, st->n * (uint32_t)sizeof(int64_t), 0);
        for (uint32_t i = 0; i < n; i++) add(c, v[i]);
        break;
    case GOSSIP_SYNC_REPLY:
        for (uint32_t i = 0; i < n; i++) add(c, v[i]);
        break;
    }
}

static void gossip_timer(sim_ctx *c, int kind, uint64_t data)
{
    const gossip_config_t *cfg = sim_config(c);
    gossip_state_t *st = sim_state(c);
    uint32_t n = sim_n_peers(c);
    if (n) sim_send(c, sim_peer(c, (uint32_t)rng_below(sim_rng(c), n)), GOSSIP_SYNC,
                    st->values, st->n * (uint32_t)sizeof(int64_t), 0);
    sim_timer_set(c, cfg->anti_entropy_ns, TIMER_ANTI_ENTROPY, 0);
}

static void gossip_describe(sim_ctx *c, proto_desc_t *d)
{
    gossip_state_t *st = sim_state(c);
    d->log_len = st->n;
    snprintf(d->line, sizeof d->line, "%u values", st->n);
}

static void gossip_export(sim_ctx *c, jw_t *w)
{
    gossip_state_t *st = sim_state(c);
    jw_obj_begin(w);
    jw_key(w, "values");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < st->n; i++) jw_int(w, st->values[i]);
    jw_arr_end(w);
    jw_obj_end(w);
}

/* Convergence: every up node holds the same set. Comparing sizes and order-free
 * digests is O(nodes) and stops at the first difference. */
static bool gossip_equal(sim_t *s)
{
    const gossip_state_t *first = NULL;
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        if (!sim_node_up(s, i)) continue;
        const gossip_state_t *st = sim_node_state(s, i);
        if (!first) first = st;
        else if (st->n != first->n || st->digest != first->digest) return false;
    }
    return true;
}

static int gossip_configure(void *cfgp, const proto_env_t *env, char *err, size_t len)
{
    gossip_config_t *cfg = cfgp;
    /* The hash set needs a power of two: round max_values up. */
    int64_t p = 1;
    while (p < cfg->max_values) p *= 2;
    cfg->max_values = p;
    return SIM_OK;
}

/* Decodes a message for the window's hover: "value 17", "its 12 values". */
static int gossip_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    uint32_t n = len / (uint32_t)sizeof(int64_t);
    int64_t v0 = 0;
    if (n) memcpy(&v0, payload, sizeof v0);
    switch (type) {
    case GOSSIP_PUSH: return n == 1 ? snprintf(buf, buf_len, "value %lld", (long long)v0) : 0;
    case GOSSIP_SYNC: return snprintf(buf, buf_len, "anti-entropy: my %u values, send me yours", n);
    case GOSSIP_SYNC_REPLY: return snprintf(buf, buf_len, "anti-entropy: my %u values", n);
    }
    return 0;
}

static const char *const gossip_types[] = {"push", "sync", "sync-reply", NULL};
static const proto_param_t gossip_params[] = {
    {"fanout", PROTO_PARAM_INT, "2", 0, 64, NULL, offsetof(gossip_config_t, fanout),
     "peers each new value is pushed to"},
    {"anti_entropy", PROTO_PARAM_DURATION, "1s", 0, 1e15, NULL, offsetof(gossip_config_t, anti_entropy_ns),
     "period of push-pull anti-entropy with one random peer (0s: off)"},
    {"max_values", PROTO_PARAM_INT, "4096", 1, 1 << 17, NULL, offsetof(gossip_config_t, max_values),
     "values one node can hold (memory per node: 24 bytes each)"},
    {NULL},
};


/* The human summary's lines, read from the JSON summary (proto_line_t). */
static const proto_line_t gossip_lines[] = {
    {"divergence", "replicas differed for {divergence_ns.total|ns} in all, {divergence_ns.longest|ns} at the longest"},
    {"converged", "replicas equal {convergence_ns|ns} after the last fault"},
    {NULL, NULL},
};
const proto_t proto_gossip = {
    .version = PROTO_VERSION,
    .name = "gossip",
    .purpose = "broadcast by push flooding with a fanout, repaired by push-pull anti-entropy",
    .state_size = sizeof(gossip_state_t),
    .config_size = sizeof(gossip_config_t),
    .msg_types = gossip_types,
    .params = gossip_params,
    .configure = gossip_configure,
    .state_size_for = gossip_size,
    .init = gossip_init,
    .on_message = gossip_message,
    .on_timer = gossip_timer,
    .on_request = gossip_request,
    .describe = gossip_describe,
    .describe_msg = gossip_describe_msg,
    .export_state = gossip_export,
    .replicas_equal = gossip_equal,
    .summary_omit = PROTO_OMIT_LEADERS,
    .summary_lines = gossip_lines,
};
