/* bad.c -- one small plug-in, built with -DBAD=N into each way a plug-in goes wrong.
 *
 * tests/test_plugin.c compiles this file once per case with `cc -shared -fPIC
 * -DDSIM_PLUGIN -DBAD=N` and checks the message or report dsim gives. BAD=0 is a
 * well-behaved echo-like protocol ("pecho") with one message type and a parameter,
 * so each bad case differs from a working plug-in by one thing only.
 */
#include <signal.h>
#include <stdlib.h>
#include "proto/proto.h"

/* Macros, not an enum: the preprocessor chooses among them. */
#define BAD_NONE 0
#define BAD_SEGV_MESSAGE 1
#define BAD_ABORT_MESSAGE 2
#define BAD_LOOP_TIMER 3
#define BAD_NO_ENTRY 4
#define BAD_TOO_NEW 5
#define BAD_BUILTIN_NAME 6
#define BAD_NO_INIT 7
#define BAD_PARAM_ENUM 8
#define BAD_ASSERT_MESSAGE 9
#define BAD_CONFIGURE_CRASH 10
#ifndef BAD
#define BAD BAD_NONE
#endif

typedef struct pe_config { int64_t copies; } pe_config_t;
typedef struct pe_state { int64_t heard; } pe_state_t;
static const char *const pe_msgs[] = {"ping", NULL};

static void pe_init(sim_ctx *c) { sim_timer_set(c, 100 * SIM_MS, 1, 0); }

static void pe_timer(sim_ctx *c, int kind, uint64_t data)
{
    const pe_config_t *cfg = sim_config(c);
    volatile int spin = 1;
    if (BAD == BAD_LOOP_TIMER && sim_now(c) > 300 * SIM_MS) while (spin) { }
    for (int64_t i = 0; i < cfg->copies && sim_n_peers(c) > 0; i++)
        sim_send(c, sim_peer(c, (uint32_t)i % sim_n_peers(c)), 0, NULL, 0, 16);
    sim_timer_set(c, 100 * SIM_MS, kind, data);
}

static void pe_message(sim_ctx *c, const sim_msg_t *m)
{
    pe_state_t *st = sim_state(c);
    st->heard++;
    if (st->heard == 3 && sim_self(c) == 1) {
        if (BAD == BAD_SEGV_MESSAGE) *(volatile int *)(uintptr_t)8 = 1;
        if (BAD == BAD_ABORT_MESSAGE) abort();
        if (BAD == BAD_ASSERT_MESSAGE) sim_assert(st->heard < 3);
    }
}

/* Parameters are checked before a run exists: a crash here fails the load. */
static int pe_configure(void *config, const proto_env_t *env, char *err, size_t err_len)
{
    if (BAD == BAD_CONFIGURE_CRASH) *(volatile int *)(uintptr_t)8 = env->n_servers > 1;
    return SIM_OK;
}

static void pe_request(sim_ctx *c, const sim_req_t *req) { sim_reply(c, req, SIM_REPLY_OK, &req->value, 1); }

static const proto_param_t pe_params[] = {
    {"copies", BAD == BAD_PARAM_ENUM ? PROTO_PARAM_ENUM : PROTO_PARAM_INT, "1", 0, 10, NULL,
     offsetof(pe_config_t, copies), "pings a node sends each 100ms"},
    {NULL},
};

static const proto_t proto_pecho = {
    .version = PROTO_VERSION,
    .name = BAD == BAD_BUILTIN_NAME ? "gossip" : "pecho",
    .purpose = "pings its peers and echoes requests: a plug-in for dsim's own tests",
    .state_size = sizeof(pe_state_t),
    .config_size = sizeof(pe_config_t),
    .msg_types = pe_msgs,
    .params = pe_params,
    .configure = pe_configure,
    .init = BAD == BAD_NO_INIT ? NULL : pe_init,
    .on_message = pe_message,
    .on_timer = pe_timer,
    .on_request = pe_request,
};

#if BAD == BAD_TOO_NEW
/* As a plug-in built against a dsim newer than this one would refuse it. */
#undef DSIM_API_VERSION
#define DSIM_API_VERSION 99
#endif
#if BAD != BAD_NO_ENTRY
DSIM_PLUGIN_DEFINE(proto_pecho)
#else
const dsim_api_t *dsim_api_;
const proto_t *dsim_plugin_entry_misspelt(void);
const proto_t *dsim_plugin_entry_misspelt(void) { return &proto_pecho; }
#endif
