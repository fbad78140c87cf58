/* echo.c -- the hello-world protocol: every server answers every request at once.
 *
 *      client ──request(write 7)──> n2
 *      client <──reply(ok, 7)────── n2
 *
 * There is no replication and no state beyond a count of requests served, so all a
 * run shows is the network: latency, loss, partitions between clients and servers,
 * crashes that make requests time out. A read answers with nothing (null); writes,
 * cas, appends and adds are echoed back as if they happened.
 */
#include <stdio.h>
#include "proto/proto.h"

typedef struct echo_state { int64_t served; } echo_state_t;

static void echo_init(sim_ctx *c) { (void)c; }

static void echo_request(sim_ctx *c, const sim_req_t *req)
{
    echo_state_t *st = sim_state(c);
    st->served++;
    if (req->f == SIM_OP_READ) sim_reply(c, req, SIM_REPLY_OK, NULL, 0);
    else sim_reply(c, req, SIM_REPLY_OK, &req->value, 1);
}

static void echo_message(sim_ctx *c, const sim_msg_t *m) { (void)c; (void)m; }
static void echo_timer(sim_ctx *c, int kind, uint64_t data) { (void)c; (void)kind; (void)data; }

static void echo_describe(sim_ctx *c, proto_desc_t *d)
{
    echo_state_t *st = sim_state(c);
    snprintf(d->role, sizeof d->role, "server");
    snprintf(d->line, sizeof d->line, "served %lld", (long long)st->served);
}

static void echo_export(sim_ctx *c, jw_t *w)
{
    echo_state_t *st = sim_state(c);
    jw_obj_begin(w);
    jw_kint(w, "served", st->served);
    jw_obj_end(w);
}

static const proto_param_t echo_params[] = {{NULL}};

const proto_t proto_echo = {
    .version = PROTO_VERSION,
    .name = "echo",
    .purpose = "every server answers each client request at once; shows the network alone",
    .state_size = sizeof(echo_state_t),
    .params = echo_params,
    .init = echo_init,
    .on_message = echo_message,
    .on_timer = echo_timer,
    .on_request = echo_request,
    .describe = echo_describe,
    .export_state = echo_export,
    .summary_omit = PROTO_OMIT_LEADERS | PROTO_OMIT_STALENESS,
};
