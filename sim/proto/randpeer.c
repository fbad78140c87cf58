/* randpeer.c -- the benchmark's traffic: each node, after an exponential delay,
 * sends one small message to a uniformly random peer, and re-arms.
 *
 *      n17 ──ping──> n4022          (n17 waits Exp(interval) and pings again)
 *
 * It carries no information; it exists so that `dsim bench gossip` measures the cost
 * of the simulator itself (queue, network model, statistics, trace hash) per message.
 */
#include <stdio.h>
#include "proto/proto.h"

typedef struct rp_config { sim_time_t interval_ns; } rp_config_t;
typedef struct rp_state { uint32_t sent, received; } rp_state_t;

static void rp_arm(sim_ctx *c)
{
    const rp_config_t *cfg = sim_config(c);
    sim_timer_set(c, (sim_time_t)rng_exponential(sim_rng(c), (double)cfg->interval_ns), 0, 0);
}

static void rp_init(sim_ctx *c) { rp_arm(c); }

static void rp_timer(sim_ctx *c, int kind, uint64_t data)
{
    rp_state_t *st = sim_state(c);
    uint32_t n = sim_n_peers(c);
    if (n) {
        uint64_t payload = st->sent++;
        sim_send(c, sim_peer(c, (uint32_t)rng_below(sim_rng(c), n)), 0, &payload, sizeof payload, 0);
    }
    rp_arm(c);
}

static void rp_message(sim_ctx *c, const sim_msg_t *m)
{
    rp_state_t *st = sim_state(c);
    st->received++;
}

static void rp_request(sim_ctx *c, const sim_req_t *req) { sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0); }

static void rp_describe(sim_ctx *c, proto_desc_t *d)
{
    rp_state_t *st = sim_state(c);
    snprintf(d->line, sizeof d->line, "sent %u, received %u", st->sent, st->received);
}

static void rp_export(sim_ctx *c, jw_t *w)
{
    rp_state_t *st = sim_state(c);
    jw_obj_begin(w);
    jw_kuint(w, "sent", st->sent);
    jw_kuint(w, "received", st->received);
    jw_obj_end(w);
}

static const char *const rp_types[] = {"ping", NULL};
static const proto_param_t rp_params[] = {
    {"interval", PROTO_PARAM_DURATION, "1s", 1, 1e15, NULL, offsetof(rp_config_t, interval_ns),
     "mean of the exponential time between a node's messages"},
    {NULL},
};

const proto_t proto_randpeer = {
    .version = PROTO_VERSION,
    .name = "random-peer",
    .purpose = "each node pings a random peer at exponential intervals (the benchmark's load)",
    .state_size = sizeof(rp_state_t),
    .config_size = sizeof(rp_config_t),
    .msg_types = rp_types,
    .params = rp_params,
    .init = rp_init,
    .on_message = rp_message,
    .on_timer = rp_timer,
    .on_request = rp_request,
    .describe = rp_describe,
    .export_state = rp_export,
    .summary_omit = PROTO_OMIT_LEADERS | PROTO_OMIT_STALENESS,
};
