/* test_proto.c -- the protocol interface: registration and its checks, defaults for
 * the optional callbacks, a protocol's own roles and run-time message types, and the
 * versioned API table (a protocol built as a plug-in runs exactly as the built-in).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "support.h"

/* The plug-in build of gossip.c, at the end of this file (its macros would reroute
 * every call after it through the table). */
int dsim_plugin_init(const dsim_api_t *api, const proto_t **out);

/* ---- A tiny protocol: only init and a state, plus a role and a message type of its own. */

typedef struct tiny_state { int hello; uint32_t got; } tiny_state_t;
static const proto_role_t tiny_roles[] = {{"observer", SIM_ROLE_CLASS_LEADING}, {NULL, 0}};

static void tiny_init(sim_ctx *c)
{
    tiny_state_t *st = sim_state(c);
    st->hello = sim_msg_type_register(c, "hello");
    if (sim_self(c) == 0) {
        sim_set_role(c, (sim_role_t)SIM_ROLE_COUNT_, 1);            /* "observer" */
        sim_send(c, 1, (unsigned)st->hello, "hi", 2, 0);
    }
}

static const proto_t tiny = {
    .version = PROTO_VERSION,
    .name = "tiny",
    .purpose = "a test protocol with nothing but init",
    .state_size = sizeof(tiny_state_t),
    .init = tiny_init,
    .roles = tiny_roles,
};

static void expect_refused(const proto_t *p, const char *words)
{
    char err[256] = "";
    assert_int_not_equal(proto_register(p, err, sizeof err), SIM_OK);
    if (!strstr(err, words)) fail_msg("expected \"%s\" in: %s", words, err);
}

static void test_proto_register_checks_each_table(void **state)
{
    proto_t p = tiny;
    p.name = "gossip";
    expect_refused(&p, "built in");
    p = tiny;
    p.version = PROTO_VERSION + 1;
    expect_refused(&p, "update dsim");
    p = tiny;
    p.version = 0;
    expect_refused(&p, "supports versions 1 to");
    p = tiny;
    p.name = "Bad Name";
    expect_refused(&p, "a-z, 0-9");
    p = tiny;
    p.init = NULL;
    expect_refused(&p, "no init callback");
    p = tiny;
    p.state_size = 0;
    expect_refused(&p, "state_size");
    static const proto_param_t outside[] = {{"x", PROTO_PARAM_INT, "1", 0, 9, NULL, 64, "a parameter past the config"}, {NULL}};
    p = tiny;
    p.params = outside;
    p.config_size = 8;
    expect_refused(&p, "outside config_size");
    static const proto_param_t no_choices[] = {{"mode", PROTO_PARAM_ENUM, "a", 0, 0, NULL, 0, "an enum"}, {NULL}};
    p = tiny;
    p.params = no_choices;
    p.config_size = sizeof(int);
    expect_refused(&p, "without choices");
    static const proto_param_t twice[] = {{"x", PROTO_PARAM_INT, "1", 0, 9, NULL, 0, "x"}, {"x", PROTO_PARAM_INT, "1", 0, 9, NULL, 0, "x"}, {NULL}};
    p = tiny;
    p.params = twice;
    p.config_size = sizeof(int64_t);
    expect_refused(&p, "twice");
}

/* A table written for version 2 ends at roles: whatever lies past it in memory is not
 * the protocol's, so the registry must not copy version 3's slots from it. */
static int never_describe(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    return snprintf(buf, buf_len, "never");
}
static void test_proto_older_table_gets_no_newer_slots(void **state)
{
    static const proto_line_t lines[] = {{"x", "{a}"}, {NULL, NULL}};
    static proto_t v2;
    v2 = tiny;
    v2.version = 2;
    v2.name = "tiny-v2";
    v2.summary_omit = PROTO_OMIT_LEADERS;
    v2.summary_lines = lines;
    v2.describe_msg = never_describe;
    char err[256] = "";
    if (!proto_find("tiny-v2")) assert_int_equal(proto_register(&v2, err, sizeof err), SIM_OK);
    const proto_t *p = proto_find("tiny-v2");
    assert_non_null(p);
    assert_ptr_equal(p->roles, tiny_roles);
    assert_int_equal(p->summary_omit, 0);
    assert_null(p->summary_lines);
    assert_null(p->describe_msg);
    /* The same table as version 3 keeps them. */
    static proto_t v3;
    v3 = v2;
    v3.version = 3;
    v3.name = "tiny-v3";
    if (!proto_find("tiny-v3")) assert_int_equal(proto_register(&v3, err, sizeof err), SIM_OK);
    p = proto_find("tiny-v3");
    assert_int_equal(p->summary_omit, PROTO_OMIT_LEADERS);
    assert_ptr_equal(p->summary_lines, lines);
    assert_ptr_equal(p->describe_msg, never_describe);
}

static void test_proto_defaults_own_roles_and_message_types(void **state)
{
    char err[256] = "";
    if (!proto_find("tiny")) assert_int_equal(proto_register(&tiny, err, sizeof err), SIM_OK);
    const proto_t *p = proto_find("tiny");
    assert_non_null(p);
    assert_non_null(p->on_message);
    assert_non_null(p->on_timer);
    assert_non_null(p->on_request);
    assert_false(proto_builtin(p));
    assert_true(proto_builtin(proto_find("raft")));
    expect_refused(&tiny, "registered already");

    scn_t scn;
    ts_load("{\"duration\": \"2s\", \"nodes\": 3, \"protocol\": \"tiny\","
            " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"10/s\"}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    /* Its own role leads: the core counts the election and knows the leader. */
    assert_int_equal(sim_leader(s), 0);
    assert_string_equal(sim_role_name(s, SIM_ROLE_COUNT_), "observer");
    assert_int_equal(sim_role_class(s, SIM_ROLE_COUNT_), SIM_ROLE_CLASS_LEADING);
    sim_run(s);
    const sim_stats_t *st = sim_stats(s);
    assert_int_equal(st->elections, 1);
    /* The message type it registered at run time was sent and delivered by name. */
    assert_string_equal(sim_msg_type_name(s, SIM_MSG_BUILTIN), "hello");
    assert_int_equal(st->delivered_by_type[SIM_MSG_BUILTIN], 1);
    /* No on_request: every request is refused, a definite fail. */
    assert_true(st->ops_invoked > 5);
    assert_int_equal(st->ops_fail, st->ops_invoked);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- The plug-in build of gossip. ----------------------------------------------------- */

static uint64_t hash_of(const char *json)
{
    scn_t scn;
    ts_load(json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run(s);
    uint64_t h = sim_trace_hash(s);
    sim_destroy(s);
    scn_free(&scn);
    return h;
}

static const char *const gossip_fmt =
    "{\"seed\": 3, \"duration\": \"20s\", \"nodes\": 8, \"protocol\": {\"name\": \"%s\", \"params\": {\"fanout\": 2, \"anti_entropy\": \"1s\"}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"5ms\", \"max\": \"40ms\"}, \"loss\": 0.05},"
    " \"workload\": {\"clients\": 2, \"ops\": {\"add\": 0.5, \"read\": 0.5}, \"rate\": \"20/s\", \"stop\": \"15s\"},"
    " \"faults\": [{\"at\": \"3s\", \"partition\": [[\"n1\", \"n2\", \"n3\"], [\"n4\", \"n5\", \"n6\", \"n7\", \"n8\"]]}, {\"at\": \"9s\", \"heal\": true}]}";

static uint64_t sends_counted;
static void counting_send(sim_ctx *c, uint32_t to, unsigned type, const void *payload, uint32_t len, uint32_t size)
{
    sends_counted++;
    dsim_api()->send(c, to, type, payload, len, size);
}

static void test_proto_plugin_build_runs_as_the_builtin(void **state)
{
    const proto_t *p = NULL;
    /* A table older than the plug-in's is refused. */
    dsim_api_t old = *dsim_api();
    old.version = 0;
    assert_true(dsim_plugin_init(&old, &p) < 0);
    assert_int_equal(dsim_plugin_init(dsim_api(), &p), DSIM_API_VERSION);
    assert_non_null(p);
    static proto_t renamed;
    renamed = *p;
    renamed.name = "gossip-plugin";
    char err[256] = "";
    if (!proto_find("gossip-plugin")) assert_int_equal(proto_register(&renamed, err, sizeof err), SIM_OK);
    char a[2048], b[2048];
    snprintf(a, sizeof a, gossip_fmt, "gossip");
    snprintf(b, sizeof b, gossip_fmt, "gossip-plugin");
    uint64_t builtin = hash_of(a), plugin = hash_of(b);
    assert_int_not_equal(builtin, 0);
    assert_int_equal(plugin, builtin);
    /* And its calls really go through the table it was handed. */
    static dsim_api_t counting;
    counting = *dsim_api();
    counting.send = counting_send;
    assert_int_equal(dsim_plugin_init(&counting, &p), DSIM_API_VERSION);
    sends_counted = 0;
    assert_int_equal(hash_of(b), builtin);
    assert_true(sends_counted > 100);
    sends_counted = 0;
    hash_of(a);
    assert_int_equal(sends_counted, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proto_register_checks_each_table),
        cmocka_unit_test(test_proto_defaults_own_roles_and_message_types),
        cmocka_unit_test(test_proto_older_table_gets_no_newer_slots),
        cmocka_unit_test(test_proto_plugin_build_runs_as_the_builtin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* gossip.c as a plug-in would build it: every call through the table it is handed. */
#define DSIM_PLUGIN
#define proto_gossip plugin_gossip
#include "../sim/proto/gossip.c"
DSIM_PLUGIN_DEFINE(plugin_gossip)
