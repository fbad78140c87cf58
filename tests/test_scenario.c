/* test_scenario.c -- the scenario loader: what a good file becomes, and what a person
 * is told about a bad one.
 *
 * Most of this file is bad input. The loader's contract is one line naming the file,
 * the JSON path, what was expected and what was found (with a "did you mean" for a
 * misspelt name), so each case checks those parts of the message, not just that the
 * load failed: a load that fails for the wrong reason, or with a message a student
 * cannot act on, is a bug too. Every failure is also checked to leave the scn_t
 * zeroed, since callers are told they need not call scn_free after an error.
 *
 * JSON is written with single quotes and turned into double quotes before loading,
 * so the scenarios stay readable; none of them needs a real apostrophe.
 */
#include <glob.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "check/lincheck.h"
#include "scenario/scenario.h"
#include "core/sim.h"

#define ERR_MAX 1024
#define FILE_NAME "bad.json"     /* the path given to scn_load_string in messages */

/* ---- Helpers. ------------------------------------------------------------------- */

/* A copy of s with every ' turned into ", for the caller to free. */
static char *dq(const char *s)
{
    char *c = strdup(s);
    assert_non_null(c);
    for (char *p = c; *p; p++) if (*p == '\'') *p = '"';
    return c;
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) if (b[i]) return false;
    return true;
}

/* Loads a scenario that must be valid; fails the test with the loader's message if not. */
static void load_ok(const char *json_sq, scn_t *s)
{
    char err[ERR_MAX] = "";
    char *json = dq(json_sq);
    int rc = scn_load_string(json, "good.json", s, err, sizeof err);
    free(json);
    if (rc != SIM_OK) fail_msg("expected the scenario to load, got %d: %s", rc, err);
}

/* Checks a failed load: the code, the struct left zeroed (no scn_free needed), one
 * line, and that the message starts with the file name. */
static void check_failed(int rc, int want_rc, const scn_t *s, const char *err, const char *file)
{
    if (rc != want_rc) fail_msg("expected return code %d, got %d (message: \"%s\")", want_rc, rc, err);
    if (!all_zero(s, sizeof *s)) fail_msg("the scn_t is not zeroed after a failed load (message: \"%s\")", err);
    if (strchr(err, '\n')) fail_msg("the message is more than one line: \"%s\"", err);
    size_t n = strlen(file);
    if (strncmp(err, file, n) != 0 || strncmp(err + n, ": ", 2) != 0)
        fail_msg("the message does not start with \"%s: \": \"%s\"", file, err);
}

static void must_contain(const char *err, const char *part)
{
    if (!strstr(err, part)) fail_msg("expected \"%s\" in the message: \"%s\"", part, err);
}

static void must_not_contain(const char *err, const char *part)
{
    if (strstr(err, part)) fail_msg("did not expect \"%s\" in the message: \"%s\"", part, err);
}

/* Loads json_sq (single-quoted) as FILE_NAME and expects SIM_EINPUT with a message
 * containing every one of the NULL-terminated parts. The message is left in err. */
static void expect_fail_in(char *err, const char *json_sq, ...)
{
    scn_t s;
    memset(&s, 0xA5, sizeof s);          /* so a loader that forgets to zero it is caught */
    char *json = dq(json_sq);
    err[0] = 0;
    int rc = scn_load_string(json, FILE_NAME, &s, err, ERR_MAX);
    free(json);
    if (rc == SIM_OK) { scn_free(&s); fail_msg("expected the load to fail, but it succeeded"); }
    check_failed(rc, SIM_EINPUT, &s, err, FILE_NAME);
    va_list ap;
    va_start(ap, json_sq);
    for (const char *part; (part = va_arg(ap, const char *));) must_contain(err, part);
    va_end(ap);
}

#define expect_fail(...) do { char err_[ERR_MAX]; expect_fail_in(err_, __VA_ARGS__, (const char *)NULL); } while (0)

/* The smallest valid scenario, for bad cases that change one thing. */
#define BASE "'duration': '10s', 'nodes': 3, 'protocol': 'echo'"
/* gossip with every parameter given, for tests about something other than defaults. */
#define GOSSIP "{'name': 'gossip', 'params': {'fanout': 2, 'anti_entropy': '1s', 'max_values': 64}}"
#define CLIENTS "'workload': {'clients': 2, 'ops': {'read': 1}, 'rate': '5/s'}"

static const proto_param_t *param(const proto_t *p, const char *name)
{
    for (int i = 0; p->params && p->params[i].name; i++)
        if (strcmp(p->params[i].name, name) == 0) return &p->params[i];
    fail_msg("protocol %s has no parameter %s", p->name, name);
    return NULL;
}

static int64_t param_int(const scn_t *s, const char *name)
{
    const proto_param_t *pp = param(s->proto, name);
    assert_int_equal(pp->type, PROTO_PARAM_INT);
    int64_t x;
    memcpy(&x, (const char *)s->proto_config + pp->offset, sizeof x);
    return x;
}

static sim_time_t param_duration(const scn_t *s, const char *name)
{
    const proto_param_t *pp = param(s->proto, name);
    assert_int_equal(pp->type, PROTO_PARAM_DURATION);
    sim_time_t x;
    memcpy(&x, (const char *)s->proto_config + pp->offset, sizeof x);
    return x;
}

static uint32_t node_id(const scn_t *s, const char *name)
{
    uint32_t id = UINT32_MAX;
    if (scn_node_id(s, name, &id) != SIM_OK) fail_msg("no node called %s", name);
    return id;
}

static const char *tmp_dir(void)
{
    const char *t = getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

/* Writes len bytes to a new temporary file; its name goes into path. */
static void write_temp(char *path, size_t path_len, const char *data, size_t len)
{
    snprintf(path, path_len, "%s/test_scenario_XXXXXX", tmp_dir());
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* ---- A valid scenario, field by field. -------------------------------------------- */

static const char full_scenario[] =
    "{"
    " 'name': 'full', 'description': 'every section once',"
    " 'seed': 1234567, 'duration': '10s', 'invariants': false,"
    " 'nodes': ["
    "   {'name': 'alpha', 'x': 0.25, 'y': 0.75, 'clock_skew': '-5ms', 'clock_drift': 0.001},"
    "   'beta',"
    "   {'name': 'gamma'}"
    " ],"
    " 'topology': 'ring',"
    " 'protocol': {'name': 'gossip', 'params': {'fanout': 3, 'anti_entropy': '500ms', 'max_values': 1000}},"
    " 'network': {"
    "   'latency': {'dist': 'uniform', 'min': '10ms', 'max': '15ms'},"
    "   'loss': 0.01, 'duplicate': 0.002, 'bandwidth': '100Mbps', 'fifo': true,"
    "   'type_latency': {'push': '5ms'},"
    "   'links': ["
    "     {'from': 'alpha', 'to': 'beta', 'latency': '80ms'},"
    "     {'from': 'gamma', 'to': 'beta', 'oneway': true, 'loss': 0.5}"
    "   ]"
    " },"
    " 'workload': {"
    "   'clients': 2, 'ops': {'read': 3, 'write': 1}, 'keys': 10, 'key_dist': 'zipf', 'zipf_s': 1.2,"
    "   'rate': '50/s', 'timeout': '750ms', 'retries': 2, 'retry_delay': '20ms', 'target': 'random',"
    "   'start': '1s', 'stop': '9s', 'limit': 100"
    " },"
    " 'faults': ["
    "   {'at': '2s', 'crash': 'beta'},"
    "   {'nemesis': 'random-partitions', 'every': '3s', 'duration': '1s', 'start': '1s', 'stop': '8s'},"
    "   {'at': '3s', 'partition': [['alpha'], ['beta', 'c1']], 'oneway': true},"
    "   {'at': '4s', 'heal': true},"
    "   {'at': '5s', 'clock': 'gamma', 'skew': '-200ms', 'drift': 0.01},"
    "   {'nemesis': 'random-crashes', 'mttf': '4s', 'mttr': '500ms'},"
    "   {'at': '6s', 'link': {'from': 'alpha', 'to': 'gamma', 'loss': 0.25, 'oneway': true}},"
    "   {'at': '7s', 'restart': 'beta'}"
    " ]"
    "}";

static void test_scenario_full_top_level_and_nodes(void **state)
{
    (void)state;
    scn_t s;
    load_ok(full_scenario, &s);
    assert_string_equal(s.path, "good.json");
    assert_string_equal(s.name, "full");
    assert_string_equal(s.description, "every section once");
    assert_int_equal(s.seed, 1234567);
    assert_int_equal(s.duration_ns, 10 * SIM_SEC);
    assert_false(s.invariants);

    assert_int_equal(s.n_servers, 3);
    assert_non_null(s.nodes);
    assert_string_equal(s.nodes[0].name, "alpha");
    assert_string_equal(s.nodes[1].name, "beta");
    assert_string_equal(s.nodes[2].name, "gamma");
    assert_true(s.nodes[0].has_pos);
    assert_true(s.nodes[0].x == 0.25 && s.nodes[0].y == 0.75);
    assert_int_equal(s.nodes[0].skew_ns, -5 * SIM_MS);
    assert_true(s.nodes[0].drift == 0.001);
    assert_false(s.nodes[1].has_pos);
    assert_false(s.nodes[2].has_pos);
    assert_int_equal(s.nodes[2].skew_ns, 0);

    /* Names resolve both ways, clients after the servers. */
    assert_int_equal(node_id(&s, "alpha"), 0);
    assert_int_equal(node_id(&s, "gamma"), 2);
    assert_int_equal(node_id(&s, "c1"), 3);
    assert_int_equal(node_id(&s, "c2"), 4);
    uint32_t id;
    assert_int_equal(scn_node_id(&s, "c3", &id), SIM_ENOTFOUND);
    assert_int_equal(scn_node_id(&s, "n1", &id), SIM_ENOTFOUND);
    char name[SIM_NAME_MAX];
    scn_node_name(&s, 1, name, sizeof name);
    assert_string_equal(name, "beta");
    scn_node_name(&s, 4, name, sizeof name);
    assert_string_equal(name, "c2");

    assert_int_equal(s.topo.kind, TOPO_RING);
    scn_free(&s);
    assert_true(all_zero(&s, sizeof s));
}

static void test_scenario_full_protocol_params(void **state)
{
    (void)state;
    scn_t s;
    load_ok(full_scenario, &s);
    assert_ptr_equal(s.proto, proto_find("gossip"));
    assert_non_null(s.proto_config);
    assert_int_equal(param_int(&s, "fanout"), 3);
    assert_int_equal(param_duration(&s, "anti_entropy"), 500 * SIM_MS);
    /* gossip's configure hook rounds max_values up to a power of two: proof that the
     * loader calls it after parsing. */
    assert_int_equal(param_int(&s, "max_values"), 1024);
    /* The documented layout of gossip's config: fanout is the first field. */
    int64_t fanout;
    memcpy(&fanout, s.proto_config, sizeof fanout);
    assert_int_equal(fanout, 3);
    scn_free(&s);
}

static void test_scenario_protocol_defaults_fill_the_config(void **state)
{
    (void)state;
    scn_t s;
    load_ok("{'duration': '1s', 'nodes': 2, 'protocol': 'gossip'}", &s);
    assert_ptr_equal(s.proto, proto_find("gossip"));
    assert_int_equal(param_int(&s, "fanout"), 2);
    assert_int_equal(param_duration(&s, "anti_entropy"), SIM_SEC);
    assert_int_equal(param_int(&s, "max_values"), 4096);
    assert_int_equal(s.seed, 1);                 /* the documented default seed */
    assert_true(s.invariants);
    assert_string_equal(s.name, "unnamed");
    assert_int_equal(s.topo.kind, TOPO_MESH);
    scn_free(&s);
}

/* Every registered protocol loads with no parameters at all: its defaults, written as
 * in a file, must parse and pass its own checks. */
static void test_scenario_every_protocol_loads_with_defaults(void **state)
{
    (void)state;
    char failures[4096] = "";
    for (uint32_t i = 0; i < proto_count(); i++) {
        char json[256], err[ERR_MAX] = "";
        snprintf(json, sizeof json, "{\"duration\": \"1s\", \"nodes\": 5, \"protocol\": \"%s\"}", proto_at(i)->name);
        scn_t s;
        if (scn_load_string(json, "defaults.json", &s, err, sizeof err) != SIM_OK) {
            size_t at = strlen(failures);
            snprintf(failures + at, sizeof failures - at, "\n  %s: %s", proto_at(i)->name, err);
            continue;
        }
        assert_ptr_equal(s.proto, proto_at(i));
        scn_free(&s);
    }
    if (failures[0]) fail_msg("protocols whose defaults do not load:%s", failures);
}

static void test_scenario_full_network_defaults_and_links(void **state)
{
    (void)state;
    scn_t s;
    load_ok(full_scenario, &s);
    const net_params_t *n = &s.net;
    assert_int_equal(n->latency.kind, DIST_UNIFORM);
    assert_true(n->latency.a == 10.0 * SIM_MS && n->latency.b == 15.0 * SIM_MS);
    assert_true(n->loss == 0.01);
    assert_true(n->duplicate == 0.002);
    assert_true(n->bandwidth_bps == 1e8);
    assert_true(n->fifo);
    assert_int_equal(n->n_type_latency, 1);
    assert_int_equal(n->type_latency_type[0], proto_msg_type(s.proto, "push"));
    assert_int_equal(n->type_latency_type[0], SIM_MSG_BUILTIN + 0);
    assert_int_equal(n->type_latency[0].kind, DIST_CONSTANT);
    assert_true(n->type_latency[0].a == 5.0 * SIM_MS);
    assert_int_equal(n->mask, NET_F_LATENCY | NET_F_LOSS | NET_F_DUPLICATE | NET_F_BANDWIDTH | NET_F_FIFO | NET_F_TYPE_LATENCY);

    assert_int_equal(s.n_links, 2);
    /* The first override applies both ways, the second only gamma -> beta. */
    assert_int_equal(s.links[0].from, 0);
    assert_int_equal(s.links[0].to, 1);
    assert_false(s.links[0].oneway);
    assert_int_equal(s.links[0].spec.mask, NET_F_LATENCY);
    assert_int_equal(s.links[0].spec.latency.kind, DIST_CONSTANT);
    assert_true(s.links[0].spec.latency.a == 80.0 * SIM_MS);
    assert_int_equal(s.links[1].from, 2);
    assert_int_equal(s.links[1].to, 1);
    assert_true(s.links[1].oneway);
    assert_int_equal(s.links[1].spec.mask, NET_F_LOSS);
    assert_true(s.links[1].spec.loss == 0.5);
    scn_free(&s);
}

static void test_scenario_default_latency_is_one_millisecond(void **state)
{
    (void)state;
    scn_t s;
    load_ok("{" BASE "}", &s);
    assert_int_equal(s.net.latency.kind, DIST_CONSTANT);
    assert_true(s.net.latency.a == (double)SIM_MS);
    assert_true(s.net.loss == 0 && s.net.duplicate == 0);
    assert_int_equal(s.n_links, 0);
    assert_int_equal(s.wl.clients, 0);
    assert_int_equal(s.n_faults, 0);
    assert_int_equal(s.n_nemeses, 0);
    scn_free(&s);
}

static void test_scenario_full_workload(void **state)
{
    (void)state;
    scn_t s;
    load_ok(full_scenario, &s);
    const scn_workload_t *w = &s.wl;
    assert_int_equal(w->clients, 2);
    /* Weights 3 and 1 are normalized to sum 1. */
    assert_true(fabs(w->mix[SIM_OP_READ] - 0.75) < 1e-12);
    assert_true(fabs(w->mix[SIM_OP_WRITE] - 0.25) < 1e-12);
    assert_true(w->mix[SIM_OP_CAS] == 0 && w->mix[SIM_OP_APPEND] == 0 && w->mix[SIM_OP_ADD] == 0);
    assert_int_equal(w->keys, 10);
    assert_int_equal(w->key_dist, KEYS_ZIPF);
    assert_true(w->zipf_s == 1.2);
    assert_true(w->rate_per_s == 50.0);
    assert_false(w->closed);
    assert_int_equal(w->concurrency, 16);        /* open loop's documented default */
    assert_int_equal(w->timeout_ns, 750 * SIM_MS);
    assert_int_equal(w->retries, 2);
    assert_int_equal(w->retry_delay_ns, 20 * SIM_MS);
    assert_int_equal(w->target, TARGET_RANDOM);
    assert_int_equal(w->start_ns, SIM_SEC);
    assert_int_equal(w->stop_ns, 9 * SIM_SEC);
    assert_int_equal(w->limit, 100);
    scn_free(&s);
}

static void test_scenario_closed_loop_workload_and_target_node(void **state)
{
    (void)state;
    scn_t s;
    load_ok("{'duration': '5s', 'nodes': 3, 'protocol': 'echo',"
            " 'workload': {'clients': 1, 'ops': {'cas': 2, 'add': 2}, 'think': '10ms', 'target': 'n2'}}", &s);
    assert_true(s.wl.closed);
    assert_int_equal(s.wl.think_ns, 10 * SIM_MS);
    assert_int_equal(s.wl.concurrency, 1);       /* closed loop's documented default */
    assert_int_equal(s.wl.target, TARGET_NODE);
    assert_int_equal(s.wl.target_node, 1);
    assert_true(s.wl.mix[SIM_OP_CAS] == 0.5 && s.wl.mix[SIM_OP_ADD] == 0.5);
    assert_int_equal(s.wl.timeout_ns, SIM_SEC);  /* defaults */
    assert_int_equal(s.wl.retries, 3);
    assert_int_equal(s.wl.keys, 1);
    scn_free(&s);
}

static void test_scenario_full_faults_and_nemeses(void **state)
{
    (void)state;
    scn_t s;
    load_ok(full_scenario, &s);
    /* Nemeses are kept apart from scheduled faults, each list in file order. */
    assert_int_equal(s.n_faults, 6);
    assert_int_equal(s.n_nemeses, 2);

    const sim_action_t *f = s.faults;
    assert_int_equal(f[0].kind, ACT_CRASH);
    assert_int_equal(f[0].at_ns, 2 * SIM_SEC);
    assert_int_equal(f[0].node, 1);

    assert_int_equal(f[1].kind, ACT_PARTITION);
    assert_int_equal(f[1].at_ns, 3 * SIM_SEC);
    assert_true(f[1].oneway);
    assert_int_equal(f[1].n_groups, 2);
    assert_int_equal(f[1].n_members, 3);
    assert_int_equal(f[1].members[0], 0);        /* alpha in group 1 */
    assert_int_equal(f[1].groups[0], 1);
    assert_int_equal(f[1].members[1], 1);        /* beta in group 2 */
    assert_int_equal(f[1].groups[1], 2);
    assert_int_equal(f[1].members[2], 3);        /* client c1 in group 2 */
    assert_int_equal(f[1].groups[2], 2);

    assert_int_equal(f[2].kind, ACT_HEAL);
    assert_int_equal(f[2].at_ns, 4 * SIM_SEC);

    assert_int_equal(f[3].kind, ACT_CLOCK);
    assert_int_equal(f[3].node, 2);
    assert_int_equal(f[3].clock_mask, CLOCK_F_SKEW | CLOCK_F_DRIFT);
    assert_int_equal(f[3].skew_ns, -200 * SIM_MS);
    assert_true(f[3].drift == 0.01);

    assert_int_equal(f[4].kind, ACT_LINK);
    assert_int_equal(f[4].node, 0);
    assert_int_equal(f[4].node2, 2);
    assert_true(f[4].oneway);
    assert_int_equal(f[4].net.mask, NET_F_LOSS);
    assert_true(f[4].net.loss == 0.25);

    assert_int_equal(f[5].kind, ACT_RESTART);
    assert_int_equal(f[5].at_ns, 7 * SIM_SEC);
    assert_int_equal(f[5].node, 1);

    const nemesis_spec_t *n = s.nemeses;
    assert_int_equal(n[0].kind, NEM_RANDOM_PARTITIONS);
    assert_int_equal(n[0].every_ns, 3 * SIM_SEC);
    assert_int_equal(n[0].duration_ns, SIM_SEC);
    assert_int_equal(n[0].start_ns, SIM_SEC);
    assert_int_equal(n[0].stop_ns, 8 * SIM_SEC);
    assert_int_equal(n[1].kind, NEM_RANDOM_CRASHES);
    assert_int_equal(n[1].mttf_ns, 4 * SIM_SEC);
    assert_int_equal(n[1].mttr_ns, 500 * SIM_MS);
    assert_int_equal(n[1].start_ns, 0);
    assert_int_equal(n[1].stop_ns, 0);
    scn_free(&s);
}

static void test_scenario_count_form_names(void **state)
{
    (void)state;
    scn_t s;
    load_ok("{'duration': '1s', 'nodes': 12, 'protocol': 'echo', " CLIENTS ","
            " 'faults': [{'at': '0.5s', 'isolate': 'n12'}]}", &s);
    assert_int_equal(s.n_servers, 12);
    assert_null(s.nodes);
    assert_int_equal(node_id(&s, "n1"), 0);
    assert_int_equal(node_id(&s, "n12"), 11);
    assert_int_equal(node_id(&s, "c2"), 13);
    uint32_t id;
    assert_int_equal(scn_node_id(&s, "n13", &id), SIM_ENOTFOUND);
    assert_int_equal(scn_node_id(&s, "n0", &id), SIM_ENOTFOUND);
    assert_int_equal(scn_node_id(&s, "n01", &id), SIM_ENOTFOUND);
    assert_int_equal(scn_node_id(&s, "c3", &id), SIM_ENOTFOUND);
    char name[SIM_NAME_MAX];
    scn_node_name(&s, 11, name, sizeof name);
    assert_string_equal(name, "n12");
    scn_node_name(&s, 12, name, sizeof name);
    assert_string_equal(name, "c1");
    assert_int_equal(s.faults[0].kind, ACT_ISOLATE);
    assert_int_equal(s.faults[0].node, 11);
    assert_int_equal(s.faults[0].at_ns, 500 * SIM_MS);
    scn_free(&s);
}

static void test_scenario_load_file_reads_a_file(void **state)
{
    (void)state;
    char path[512], err[ERR_MAX] = "";
    char *json = dq("{'name': 'from-file', " BASE ", 'seed': 99}\n");
    write_temp(path, sizeof path, json, strlen(json));
    free(json);
    scn_t s;
    int rc = scn_load_file(path, &s, err, sizeof err);
    unlink(path);
    if (rc != SIM_OK) fail_msg("expected the file to load: %s", err);
    assert_string_equal(s.path, path);
    assert_string_equal(s.name, "from-file");
    assert_int_equal(s.seed, 99);
    assert_ptr_equal(s.proto, proto_find("echo"));
    scn_free(&s);
}

/* Every scenario shipped in scenarios/ loads (the tests run from the repository root). */
static void test_scenario_shipped_scenarios_load(void **state)
{
    (void)state;
    glob_t g;
    int grc = glob("scenarios/*.json", 0, NULL, &g);
    if (grc == GLOB_NOMATCH) { print_message("no scenarios/*.json here: run from the repository root\n"); skip(); }
    assert_int_equal(grc, 0);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char err[ERR_MAX] = "";
        scn_t s;
        int rc = scn_load_file(g.gl_pathv[i], &s, err, sizeof err);
        if (rc != SIM_OK) { globfree(&g); fail_msg("a shipped scenario does not load: %s", err); }
        assert_non_null(s.proto);
        assert_true(s.n_servers >= 1);
        scn_free(&s);
    }
    globfree(&g);
}

/* ---- Bad JSON. ------------------------------------------------------------------- */

static void test_scenario_invalid_json_reports_line_and_column(void **state)
{
    (void)state;
    /* The comma after 3 is missing; "protocol" starts at line 3, column 14. */
    expect_fail("{\n"
                "  'duration': '10s',\n"
                "  'nodes': 3 'protocol': 'echo'\n"
                "}\n",
                FILE_NAME ": line 3, column 14: invalid JSON", "near", "protocol");
}

static void test_scenario_missing_comma_at_end_of_line(void **state)
{
    (void)state;
    /* A parser only notices at the next token: the line with the missing comma or the
     * start of the next one are both useful places to point at. */
    char err[ERR_MAX];
    expect_fail_in(err, "{\n  'duration': '10s',\n  'nodes': 3\n  'protocol': 'echo'\n}\n", "invalid JSON", (const char *)NULL);
    if (!strstr(err, "line 3") && !strstr(err, "line 4, column 3"))
        fail_msg("expected line 3, or line 4 column 3, in: \"%s\"", err);
    must_not_contain(err, "ends too early");
}

/* Where a trailing comma in an object is reported: at the comma or at the brace after
 * it (column counted from 1). */
static void check_points_at(const char *err, int line, int col_comma, int col_brace)
{
    char a[64], b[64];
    snprintf(a, sizeof a, "line %d, column %d:", line, col_comma);
    snprintf(b, sizeof b, "line %d, column %d:", line, col_brace);
    if (!strstr(err, a) && !strstr(err, b)) fail_msg("expected \"%s\" or \"%s\" in: \"%s\"", a, b, err);
}

static void test_scenario_trailing_comma_in_object(void **state)
{
    (void)state;
    const char *json = "{" BASE ", 'network': {'loss': 0.1,}, 'seed': 3}";
    int comma = (int)(strstr(json, ",}") - json) + 1;
    char err[ERR_MAX];
    expect_fail_in(err, json, "invalid JSON", "trailing comma", (const char *)NULL);
    check_points_at(err, 1, comma, comma + 1);
}

static void test_scenario_trailing_comma_in_array(void **state)
{
    (void)state;
    const char *json = "{" BASE ", 'faults': [{'at': '1s', 'crash': 'n1'},]}";
    int comma = (int)(strstr(json, ",]") - json) + 1;
    char err[ERR_MAX];
    expect_fail_in(err, json, "invalid JSON", "trailing comma", (const char *)NULL);
    check_points_at(err, 1, comma, comma + 1);
}

static void test_scenario_trailing_comma_at_end_is_not_a_truncated_file(void **state)
{
    (void)state;
    /* The file is complete; only the comma after "echo" is wrong. With and without a
     * final newline, the message must point at the comma (line 4) or the brace (line 5,
     * column 1), not claim the file ended early. */
    const char *json = "{\n  'duration': '10s',\n  'nodes': 3,\n  'protocol': 'echo',\n}";
    const char *json_nl = "{\n  'duration': '10s',\n  'nodes': 3,\n  'protocol': 'echo',\n}\n";
    for (int k = 0; k < 2; k++) {
        char err[ERR_MAX];
        expect_fail_in(err, k ? json_nl : json, "invalid JSON", (const char *)NULL);
        must_not_contain(err, "ends too early");
        must_contain(err, "trailing comma");
        if (!strstr(err, "line 4, column 21:") && !strstr(err, "line 5, column 1:"))
            fail_msg("expected line 4 column 21 or line 5 column 1 in: \"%s\"", err);
    }
}

static void test_scenario_truncated_file(void **state)
{
    (void)state;
    expect_fail("{'duration': '10s', 'nodes': 3,\n 'protocol': {'name': 'gossip', 'params': {'fanout': 2",
                FILE_NAME ": line 2,", "invalid JSON", "ends too early", "unclosed");
    expect_fail("{'duration': '10", FILE_NAME ": line 1, column", "invalid JSON");
    expect_fail("", FILE_NAME ": line 1, column 1:", "ends too early");
}

static void test_scenario_text_after_the_object(void **state)
{
    (void)state;
    expect_fail("{" BASE "} xyz", "line 1", "invalid JSON", "xyz");
}

static void test_scenario_not_an_object(void **state)
{
    (void)state;
    expect_fail("'hello'", FILE_NAME ": $: expected a JSON object", "found \"hello\"");
    expect_fail("[1, 2]", FILE_NAME ": $: expected a JSON object", "found [1,2]");
}

/* ---- Unknown and duplicate keys. -------------------------------------------------- */

static void test_scenario_unknown_top_level_key_suggests(void **state)
{
    (void)state;
    expect_fail("{'durration': '10s', 'nodes': 3, 'protocol': 'echo'}",
                FILE_NAME ": $.durration: unknown key \"durration\"; did you mean \"duration\"?");
    expect_fail("{" BASE ", 'faluts': []}", "$.faluts", "did you mean \"faults\"?");
}

static void test_scenario_unknown_key_without_near_match_lists_choices(void **state)
{
    (void)state;
    char err[ERR_MAX];
    expect_fail_in(err, "{" BASE ", 'colour': 'red'}", "$.colour: unknown key \"colour\"",
                   "expected one of:", "duration", "nodes", "protocol", "network", "workload", "faults", (const char *)NULL);
    must_not_contain(err, "did you mean");
}

static void test_scenario_unknown_key_in_network(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'network': {'los': 0.1}}", "$.network.los: unknown key \"los\"; did you mean \"loss\"?");
}

static void test_scenario_unknown_key_in_workload(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'ops': {'read': 1}, 'rate': '1/s', 'keyz': 3}}",
                "$.workload.keyz: unknown key \"keyz\"; did you mean \"keys\"?");
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'ops': {'read': 1}, 'thinc': '5ms'}}",
                "$.workload.thinc", "did you mean \"think\"?");
}

static void test_scenario_unknown_key_in_link_override(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'network': {'links': [{'from': 'n1', 'to': 'n2'}, {'from': 'n1', 'to': 'n3', 'latncy': '3ms'}]}}",
                "$.network.links[1].latncy: unknown key \"latncy\"; did you mean \"latency\"?");
}

static void test_scenario_unknown_key_in_topology(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'topology': {'kind': 'grid', 'widht': 3}}",
                "$.topology.widht: unknown key \"widht\"; did you mean \"width\"?");
}

static void test_scenario_unknown_key_in_distribution(void **state)
{
    (void)state;
    /* "mean" is a key of other distributions, not of uniform. */
    expect_fail("{" BASE ", 'network': {'latency': {'dist': 'uniform', 'min': '1ms', 'max': '2ms', 'mean': '1ms'}}}",
                "$.network.latency.mean: unknown key \"mean\"");
    expect_fail("{" BASE ", 'network': {'latency': {'dist': 'mixture', 'of': ["
                "{'weight': 0.5, 'dist': 'constant', 'value': '1ms'},"
                "{'weight': 0.5, 'dist': 'constant', 'valeu': '5ms'}]}}}",
                "$.network.latency.of[1].valeu: unknown key \"valeu\"; did you mean \"value\"?");
}

static void test_scenario_unknown_key_in_node_fault_and_nemesis(void **state)
{
    (void)state;
    expect_fail("{'duration': '10s', 'nodes': [{'name': 'a', 'clock_skw': '1ms'}], 'protocol': 'echo'}",
                "$.nodes[0].clock_skw: unknown key \"clock_skw\"; did you mean \"clock_skew\"?");
    expect_fail("{" BASE ", 'faults': [{'at': '1s', 'crash': 'n1', 'onewya': true}]}",
                "$.faults[0].onewya", "did you mean \"oneway\"?");
    expect_fail("{" BASE ", 'faults': [{'nemesis': 'random-crashes', 'mtff': '1s', 'mttr': '1s'}]}",
                "$.faults[0].mtff", "did you mean \"mttf\"?");
}

static void test_scenario_unknown_protocol_parameter_suggests(void **state)
{
    (void)state;
    expect_fail("{'duration': '10s', 'nodes': 3, 'protocol': {'name': 'gossip', 'params': {'fanuot': 3}}}",
                FILE_NAME ": $.protocol.params.fanuot: unknown parameter \"fanuot\"; did you mean \"fanout\"?");
    char err[ERR_MAX];
    expect_fail_in(err, "{'duration': '10s', 'nodes': 3, 'protocol': {'name': 'gossip', 'params': {'colour': 3}}}",
                   "$.protocol.params.colour: unknown parameter \"colour\"", "fanout", "anti_entropy", "max_values",
                   (const char *)NULL);
}

static void test_scenario_parameter_for_protocol_without_parameters(void **state)
{
    (void)state;
    expect_fail("{'duration': '10s', 'nodes': 3, 'protocol': {'name': 'echo', 'params': {'fanout': 2}}}",
                "$.protocol.params.fanout: protocol echo takes no parameters");
}

static void test_scenario_duplicate_keys(void **state)
{
    (void)state;
    expect_fail("{'duration': '10s', 'nodes': 3, 'duration': '5s', 'protocol': 'echo'}",
                FILE_NAME ": $.duration: the key \"duration\" appears twice");
    expect_fail("{" BASE ", 'network': {'loss': 0.1, 'loss': 0.2}}", "$.network.loss: the key \"loss\" appears twice");
}

/* ---- Types and ranges. ----------------------------------------------------------- */

static void test_scenario_bare_number_for_duration(void **state)
{
    (void)state;
    expect_fail("{'duration': 30, 'nodes': 3, 'protocol': 'echo'}",
                FILE_NAME ": $.duration: expected a duration such as \"150ms\", found 30");
}

static void test_scenario_negative_duration_where_unsigned(void **state)
{
    (void)state;
    expect_fail("{'duration': '-3s', 'nodes': 3, 'protocol': 'echo'}",
                "$.duration: expected a duration such as \"150ms\", found \"-3s\"");
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'ops': {'read': 1}, 'think': '-1ms'}}",
                "$.workload.think: expected a duration", "found \"-1ms\"");
    expect_fail("{'duration': '0s', 'nodes': 3, 'protocol': 'echo'}", "$.duration: expected a duration above zero", "found \"0s\"");
}

static void test_scenario_fault_at_negative_number(void **state)
{
    (void)state;
    char err[ERR_MAX];
    expect_fail_in(err, "{" BASE ", 'faults': [{'at': '1s', 'crash': 'n1'}, {'at': '2s', 'restart': 'n1'},"
                   " {'at': -3, 'crash': 'n2'}]}", (const char *)NULL);
    /* The example in scenario.h, word for word. */
    assert_string_equal(err, FILE_NAME ": $.faults[2].at: expected a duration such as \"150ms\", found -3");
}

static void test_scenario_probability_above_one(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'network': {'loss': 1.5}}",
                FILE_NAME ": $.network.loss: expected a probability between 0 and 1, found 1.5");
    expect_fail("{" BASE ", 'network': {'duplicate': -0.1}}", "$.network.duplicate: expected a probability", "found -0.1");
    expect_fail("{" BASE ", 'network': {'links': [{'from': 'n1', 'to': 'n2', 'loss': 2}]}}",
                "$.network.links[0].loss: expected a probability between 0 and 1, found 2");
}

static void test_scenario_mixture_weights_must_sum_to_one(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'network': {'latency': {'dist': 'mixture', 'of': ["
                "{'weight': 0.5, 'dist': 'constant', 'value': '1ms'},"
                "{'weight': 0.4, 'dist': 'constant', 'value': '5ms'}]}}}",
                "$.network.latency.of: expected mixture weights summing to 1", "found a sum of 0.9");
}

static void test_scenario_zero_nodes(void **state)
{
    (void)state;
    expect_fail("{'duration': '10s', 'nodes': 0, 'protocol': 'echo'}", "$.nodes: expected a whole number of nodes, at least 1", "found 0");
    expect_fail("{'duration': '10s', 'nodes': [], 'protocol': 'echo'}", "$.nodes: expected", "found []");
    expect_fail("{'duration': '10s', 'nodes': 2.5, 'protocol': 'echo'}", "$.nodes: expected a whole number", "found 2.5");
    expect_fail("{'duration': '10s', 'protocol': 'echo'}", FILE_NAME ": expected a \"nodes\" key");
}

static void test_scenario_seed_out_of_range(void **state)
{
    (void)state;
    expect_fail("{'seed': -1, " BASE "}", "$.seed: expected a whole number from 0 to 2^53-1, found -1");
    expect_fail("{'seed': 1.5, " BASE "}", "$.seed: expected a whole number", "found 1.5");
    expect_fail("{'seed': '7', " BASE "}", "$.seed: expected a whole number", "found \"7\"");
}

/* ---- Names. ---------------------------------------------------------------------- */

static void test_scenario_fault_names_unknown_node(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'faults': [{'at': '1s', 'crash': 'n33'}]}",
                FILE_NAME ": $.faults[0].crash: unknown server node \"n33\"; did you mean \"n3\"?");
    expect_fail("{'duration': '10s', 'nodes': ['node1', 'node2'], 'protocol': 'echo',"
                " 'faults': [{'at': '1s', 'pause': 'node2'}, {'at': '2s', 'crash': 'nod1'}]}",
                "$.faults[1].crash: unknown server node \"nod1\"; did you mean \"node1\"?");
    /* A client is a node but not a server: it cannot crash. */
    expect_fail("{" BASE ", " CLIENTS ", 'faults': [{'at': '1s', 'crash': 'c1'}]}",
                "$.faults[0].crash: unknown server node \"c1\"");
    expect_fail("{" BASE ", 'faults': [{'at': '1s', 'crash': 3}]}", "$.faults[0].crash: expected a node name", "found 3");
}

static void test_scenario_unknown_protocol_suggests(void **state)
{
    (void)state;
    expect_fail("{'duration': '10s', 'nodes': 3, 'protocol': 'gosip'}",
                FILE_NAME ": $.protocol: unknown protocol \"gosip\"; did you mean \"gossip\"?");
    expect_fail("{'duration': '10s', 'nodes': 3, 'protocol': {'name': 'gosip'}}",
                "$.protocol.name: unknown protocol \"gosip\"; did you mean \"gossip\"?");
    expect_fail("{'duration': '10s', 'nodes': 3, 'protocol': 'paxos-made-simple'}",
                "$.protocol: unknown protocol \"paxos-made-simple\"; expected one of:", "echo", "gossip");
    expect_fail("{'duration': '10s', 'nodes': 3}", "expected a \"protocol\" key");
}

static void test_scenario_wrong_parameter_type_or_range(void **state)
{
    (void)state;
    /* The other parameters are given, so only the one under test can be wrong. */
    const char *pre = "{'duration': '10s', 'nodes': 3, 'protocol': {'name': 'gossip', 'params': ";
    char json[512];
    snprintf(json, sizeof json, "%s{'fanout': 'two'}}}", pre);
    expect_fail(json, "$.protocol.params.fanout: expected a whole number from 0 to 64, found \"two\"");
    snprintf(json, sizeof json, "%s{'fanout': 65}}}", pre);
    expect_fail(json, "$.protocol.params.fanout: expected a whole number from 0 to 64, found 65");
    snprintf(json, sizeof json, "%s{'fanout': 2.5}}}", pre);
    expect_fail(json, "$.protocol.params.fanout: expected a whole number", "found 2.5");
    snprintf(json, sizeof json, "%s{'anti_entropy': 5}}}", pre);
    expect_fail(json, "$.protocol.params.anti_entropy: expected a duration such as \"150ms\", found 5");
    snprintf(json, sizeof json, "%s{'anti_entropy': '1s', 'max_values': 0}}}", pre);
    expect_fail(json, "$.protocol.params.max_values: expected a whole number from 1 to 131072, found 0");
    snprintf(json, sizeof json, "%s[1, 2]}}", pre);
    expect_fail(json, "$.protocol.params: expected an object of protocol parameters", "found [1,2]");
}

static void test_scenario_unknown_distribution(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'network': {'latency': {'dist': 'gaussian', 'mean': '1ms'}}}",
                "$.network.latency.dist: unknown distribution \"gaussian\"; expected one of:", "uniform", "normal", "pareto");
    expect_fail("{" BASE ", 'network': {'latency': {'dist': 'unifrom', 'min': '1ms', 'max': '2ms'}}}",
                "$.network.latency.dist: unknown distribution \"unifrom\"; did you mean \"uniform\"?");
    expect_fail("{" BASE ", 'network': {'latency': {'min': '1ms', 'max': '2ms'}}}",
                "$.network.latency: expected a \"dist\" key");
    expect_fail("{" BASE ", 'network': {'latency': {'dist': 'uniform', 'min': '1ms'}}}",
                "$.network.latency: a uniform distribution needs \"max\"");
    expect_fail("{" BASE ", 'network': {'latency': 5}}", "$.network.latency: expected a duration", "found 5");
}

static void test_scenario_uniform_max_below_min(void **state)
{
    (void)state;
    /* Like every other mistake: where, what was expected, and what was found. */
    expect_fail("{" BASE ", 'network': {'latency': {'dist': 'uniform', 'min': '5ms', 'max': '1ms'}}}",
                "$.network.latency.max: expected", "min", "found \"1ms\"");
}

static void test_scenario_unknown_topology(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'topology': 'rign'}", "$.topology: unknown topology \"rign\"; did you mean \"ring\"?");
    expect_fail("{" BASE ", 'topology': {'kind': 'hypercube'}}",
                "$.topology.kind: unknown topology \"hypercube\"; expected one of: mesh, ring, line, star, grid, tree, edges");
    expect_fail("{" BASE ", 'topology': 'edges'}", "$.topology: an \"edges\" topology is written");
    expect_fail("{" BASE ", 'topology': {'kind': 'ring', 'edges': []}}", "$.topology.edges: \"edges\" belongs to");
}

static void test_scenario_edges_name_unknown_nodes(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'topology': {'kind': 'edges', 'edges': [['n1', 'n2'], ['n2', 'n9']]}}",
                "$.topology.edges[1][1]: unknown server node \"n9\"");
    expect_fail("{" BASE ", 'topology': {'kind': 'edges', 'edges': [['n1', 'n1']]}}",
                "$.topology.edges[0]: an edge joins two different nodes");
    expect_fail("{" BASE ", 'topology': {'kind': 'edges', 'edges': [['n1', 'n2', 'n3']]}}",
                "$.topology.edges[0]: expected a pair of node names", "found [\"n1\",\"n2\",\"n3\"]");
}

static void test_scenario_link_override_names(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'network': {'links': [{'from': 'n1', 'to': 'n7', 'latency': '3ms'}]}}",
                "$.network.links[0].to: unknown node \"n7\"");
    expect_fail("{" BASE ", 'network': {'links': [{'from': 'n1', 'to': 'n1', 'latency': '3ms'}]}}",
                "$.network.links[0].to: a link joins two different nodes");
    expect_fail("{" BASE ", 'network': {'links': [{'to': 'n1', 'latency': '3ms'}]}}",
                "$.network.links[0]: expected \"from\" and \"to\"");
    expect_fail("{" BASE ", 'network': {'type_latency': {'psuh': '5ms'}}}", "$.network.type_latency.psuh: unknown message type");
}

static void test_scenario_type_latency_names_a_message_type(void **state)
{
    (void)state;
    expect_fail("{'duration': '10s', 'nodes': 3, 'protocol': " GOSSIP ", 'network': {'type_latency': {'psuh': '5ms'}}}",
                "$.network.type_latency.psuh: unknown message type \"psuh\"; did you mean \"push\"?");
}

static void test_scenario_partition_lists_a_node_twice(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'faults': [{'at': '1s', 'partition': [['n1', 'n2'], ['n3', 'n1']]}]}",
                FILE_NAME ": $.faults[0].partition[1][1]: node \"n1\" is in more than one group");
    expect_fail("{" BASE ", 'faults': [{'at': '1s', 'partition': [['n1'], []]}]}",
                "$.faults[0].partition[1]: expected a non-empty list of node names", "found []");
}

/* ---- Workload. ------------------------------------------------------------------- */

static void test_scenario_workload_rate_and_think(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'ops': {'read': 1}, 'rate': '1/s', 'think': '1ms'}}",
                FILE_NAME ": $.workload: expected either \"rate\" (open loop) or \"think\" (closed loop), not both");
}

static void test_scenario_workload_neither_rate_nor_think(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'ops': {'read': 1}}}",
                FILE_NAME ": $.workload: expected \"rate\"", "\"think\"");
    /* Without clients there is nothing to pace, so neither is needed. */
    scn_t s;
    load_ok("{" BASE ", 'workload': {'clients': 0, 'ops': {'read': 1}}}", &s);
    assert_int_equal(s.wl.clients, 0);
    scn_free(&s);
}

static void test_scenario_workload_unknown_op(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'ops': {'raed': 1}, 'rate': '1/s'}}",
                "$.workload.ops.raed: unknown operation \"raed\"; did you mean \"read\"?");
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'ops': {'read': 0}, 'rate': '1/s'}}",
                "$.workload.ops: expected at least one operation with a weight above zero");
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'ops': {'read': -1}, 'rate': '1/s'}}",
                "$.workload.ops.read: expected a weight of zero or more, found -1");
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'rate': '1/s'}}", "$.workload: expected \"ops\"");
}

static void test_scenario_workload_bad_values(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'ops': {'read': 1}, 'rate': 50}}",
                "$.workload.rate: expected a rate such as \"50/s\", found 50");
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'ops': {'read': 1}, 'rate': '1/s', 'target': 'n9'}}",
                "$.workload.target: unknown server node \"n9\"");
    expect_fail("{" BASE ", 'workload': {'clients': 1, 'ops': {'read': 1}, 'rate': '1/s', 'start': '5s', 'stop': '2s'}}",
                "$.workload.stop: expected stop after start");
}

static void test_scenario_duplicate_protocol_parameter(void **state)
{
    (void)state;
    expect_fail("{'duration': '10s', 'nodes': 3, 'protocol': {'name': 'gossip', 'params': {'fanout': 2, 'fanout': 3}}}",
                "$.protocol.params.fanout: the key \"fanout\" appears twice");
}

static void test_scenario_workload_fractional_clients(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'workload': {'clients': 1.5, 'ops': {'read': 1}, 'rate': '1/s'}}",
                FILE_NAME ": $.workload.clients: expected a whole number of clients from 0 to 1024, found 1.5");
}

/* ---- Faults and nemeses. --------------------------------------------------------- */

static void test_scenario_clock_fault_needs_skew_or_drift(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'faults': [{'at': '1s', 'clock': 'n1'}]}",
                FILE_NAME ": $.faults[0]: a clock fault needs \"skew\"", "\"drift\"");
    expect_fail("{" BASE ", 'faults': [{'at': '1s', 'crash': 'n1', 'skew': '1ms'}]}",
                "$.faults[0].skew: \"skew\" and \"drift\" belong to clock faults");
    expect_fail("{" BASE ", 'faults': [{'at': '1s', 'clock': 'n1', 'drift': 0.9}]}",
                "$.faults[0].drift: expected a drift between -0.5 and 0.5, found 0.9");
}

static void test_scenario_fault_after_the_end(void **state)
{
    (void)state;
    /* The second entry is the late one: the message must say which, as a JSON path,
     * and show the time as it was written. */
    expect_fail("{" BASE ", 'faults': [{'at': '1s', 'crash': 'n1'}, {'at': '11s', 'restart': 'n1'}]}",
                FILE_NAME ": $.faults[1].at: expected a time within the run's duration (10s)", "found \"11s\"");
}

static void test_scenario_fault_at_the_end_is_allowed(void **state)
{
    (void)state;
    scn_t s;
    load_ok("{" BASE ", 'faults': [{'at': '10s', 'crash': 'n1'}]}", &s);
    assert_int_equal(s.faults[0].at_ns, 10 * SIM_SEC);
    scn_free(&s);
}

static void test_scenario_fault_with_two_actions(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'faults': [{'at': '1s', 'crash': 'n1', 'restart': 'n2'}]}",
                FILE_NAME ": $.faults[0]: expected one action per fault, found both \"crash\" and \"restart\"");
    expect_fail("{" BASE ", 'faults': [{'at': '1s'}]}", "$.faults[0]: expected an action");
    expect_fail("{" BASE ", 'faults': [{'crash': 'n1'}]}", "$.faults[0]: expected \"at\"");
    expect_fail("{" BASE ", 'faults': [{'at': '1s', 'heal': false}]}", "$.faults[0].heal: expected true, found false");
}

static void test_scenario_nemesis_missing_keys(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'faults': [{'nemesis': 'random-partitions', 'every': '5s'}]}",
                FILE_NAME ": $.faults[0]: a random-partitions nemesis needs \"duration\"");
    expect_fail("{" BASE ", 'faults': [{'nemesis': 'random-crashes', 'mttf': '5s'}]}",
                "$.faults[0]: a random-crashes nemesis needs \"mttr\"");
    expect_fail("{" BASE ", 'faults': [{'nemesis': 'random-partitions', 'every': '5s', 'duration': '1s', 'mttf': '2s'}]}",
                "$.faults[0].mttf: a random-partitions nemesis does not take \"mttf\"");
    expect_fail("{" BASE ", 'faults': [{'nemesis': 'random-partitons', 'every': '5s', 'duration': '1s'}]}",
                "$.faults[0].nemesis: unknown nemesis \"random-partitons\"; did you mean \"random-partitions\"?");
    expect_fail("{" BASE ", 'faults': [{'nemesis': 'random-crashes', 'mttf': '0s', 'mttr': '1s'}]}",
                "$.faults[0].mttf: expected a duration above zero", "found \"0s\"");
}

static void test_scenario_nemesis_duration_not_shorter_than_every(void **state)
{
    (void)state;
    expect_fail("{" BASE ", 'faults': [{'nemesis': 'random-partitions', 'every': '5s', 'duration': '5s'}]}",
                "$.faults[0].duration: expected a duration shorter than \"every\"");
    expect_fail("{" BASE ", 'faults': [{'nemesis': 'random-partitions', 'every': '5s', 'duration': '6s'}]}",
                "$.faults[0].duration: expected a duration shorter than \"every\"");
    scn_t s;
    load_ok("{" BASE ", 'faults': [{'nemesis': 'random-partitions', 'every': '5s', 'duration': '4999ms'}]}", &s);
    assert_int_equal(s.n_nemeses, 1);
    scn_free(&s);
}

/* ---- Node names. ----------------------------------------------------------------- */

static void test_scenario_node_name_clashes_with_client(void **state)
{
    (void)state;
    expect_fail("{'duration': '10s', 'nodes': ['n1', 'c1'], 'protocol': 'echo'}",
                FILE_NAME ": $.nodes[1]: the names c1, c2, ... are kept for clients", "\"c1\"");
    expect_fail("{'duration': '10s', 'nodes': [{'name': 'c7'}], 'protocol': 'echo'}",
                "$.nodes[0].name: the names c1, c2, ... are kept for clients", "\"c7\"");
}

static void test_scenario_duplicate_node_names(void **state)
{
    (void)state;
    expect_fail("{'duration': '10s', 'nodes': ['a', 'b', 'a'], 'protocol': 'echo'}",
                FILE_NAME ": $.nodes[2]: the node name \"a\" is used twice");
    expect_fail("{'duration': '10s', 'nodes': ['a', 'b c'], 'protocol': 'echo'}",
                "$.nodes[1]: expected a name of 1 to 31 letters", "found \"b c\"");
    expect_fail("{'duration': '10s', 'nodes': [{'name': 'a', 'x': 0.5}], 'protocol': 'echo'}",
                "$.nodes[0]: expected both \"x\" and \"y\"");
}

/* ---- Files. ---------------------------------------------------------------------- */

static void test_scenario_file_that_cannot_be_opened(void **state)
{
    (void)state;
    char path[512], err[ERR_MAX] = "";
    snprintf(path, sizeof path, "%s/test_scenario_no_such_dir_%ld/missing.json", tmp_dir(), (long)getpid());
    scn_t s;
    memset(&s, 0xA5, sizeof s);
    int rc = scn_load_file(path, &s, err, sizeof err);
    check_failed(rc, SIM_EIO, &s, err, path);
    must_contain(err, "cannot open");
    must_contain(err, "No such file");
}

static void test_scenario_directory_is_not_a_scenario(void **state)
{
    (void)state;
    char err[ERR_MAX] = "";
    scn_t s;
    memset(&s, 0xA5, sizeof s);
    int rc = scn_load_file(tmp_dir(), &s, err, sizeof err);
    if (rc == SIM_OK) { scn_free(&s); fail_msg("a directory loaded as a scenario"); }
    check_failed(rc, SIM_EIO, &s, err, tmp_dir());
}

static void test_scenario_file_with_nul_byte(void **state)
{
    (void)state;
    char *json = dq("{'duration': '10s',\n 'nodes': 3, 'protocol': 'echo'}");
    size_t len = strlen(json);
    json[len - 5] = '\0';                /* inside the last string */
    char path[512], err[ERR_MAX] = "";
    write_temp(path, sizeof path, json, len);
    free(json);
    scn_t s;
    memset(&s, 0xA5, sizeof s);
    int rc = scn_load_file(path, &s, err, sizeof err);
    unlink(path);
    check_failed(rc, SIM_EINPUT, &s, err, path);
    must_contain(err, "NUL byte");
}

static void test_scenario_bad_file_names_the_file(void **state)
{
    (void)state;
    char *json = dq("{" BASE ", 'network': {'loss': 1.5}}\n");
    char path[512], err[ERR_MAX] = "";
    write_temp(path, sizeof path, json, strlen(json));
    free(json);
    scn_t s;
    memset(&s, 0xA5, sizeof s);
    int rc = scn_load_file(path, &s, err, sizeof err);
    unlink(path);
    check_failed(rc, SIM_EINPUT, &s, err, path);
    char want[600];
    snprintf(want, sizeof want, "%s: $.network.loss: expected a probability between 0 and 1, found 1.5", path);
    assert_string_equal(err, want);
}

/* ---- The contract after a failure. ----------------------------------------------- */

static void test_scenario_failed_load_leaves_nothing_to_free(void **state)
{
    (void)state;
    /* This mistake comes late, after nodes, workload, protocol and network have all
     * allocated; the struct must still come back zeroed, and scn_free on it (twice)
     * must be harmless. Under the sanitizers, a leak here fails the run. */
    char err[ERR_MAX] = "";
    char *json = dq("{'duration': '10s', 'nodes': ['a', 'b', 'c'], 'protocol': " GOSSIP ", " CLIENTS ","
                    " 'network': {'links': [{'from': 'a', 'to': 'b', 'latency': '5ms'}],"
                    "   'latency': {'dist': 'mixture', 'of': [{'weight': 1, 'dist': 'constant', 'value': '1ms'}]}},"
                    " 'faults': [{'at': '1s', 'partition': [['a'], ['b']]}, {'at': '2s', 'clock': 'a'}]}");
    scn_t s;
    memset(&s, 0xA5, sizeof s);
    int rc = scn_load_string(json, FILE_NAME, &s, err, sizeof err);
    free(json);
    check_failed(rc, SIM_EINPUT, &s, err, FILE_NAME);
    must_contain(err, "$.faults[1]: a clock fault needs");
    scn_free(&s);
    scn_free(&s);
    assert_true(all_zero(&s, sizeof s));
}

static void test_scenario_error_buffer_is_never_overrun(void **state)
{
    (void)state;
    struct { char err[24]; char canary[8]; } b;
    memset(&b, 'Z', sizeof b);
    char *json = dq("{'durration': '10s', 'nodes': 3, 'protocol': 'echo'}");
    scn_t s;
    int rc = scn_load_string(json, FILE_NAME, &s, b.err, sizeof b.err);
    free(json);
    assert_int_equal(rc, SIM_EINPUT);
    assert_int_equal(strlen(b.err), sizeof b.err - 1);
    assert_memory_equal(b.err, FILE_NAME ": $.durration: unknown", sizeof b.err - 1);
    for (size_t i = 0; i < sizeof b.canary; i++) assert_int_equal(b.canary[i], 'Z');
}

/* ---- Suggestions. ---------------------------------------------------------------- */

static void test_scenario_suggest_picks_the_nearest(void **state)
{
    (void)state;
    static const char *const keys[] = {"name", "description", "seed", "duration", "nodes", "protocol", NULL};
    assert_string_equal(scn_suggest("durration", keys), "duration");
    assert_string_equal(scn_suggest("duraton", keys), "duration");
    assert_string_equal(scn_suggest("protocl", keys), "protocol");
    assert_string_equal(scn_suggest("sede", keys), "seed");
    assert_string_equal(scn_suggest("nodes", keys), "nodes");           /* exact */
    assert_string_equal(scn_suggest("Duration", keys), "duration");     /* case is forgiven */
    static const char *const params[] = {"fanout", "anti_entropy", "max_values", NULL};
    assert_string_equal(scn_suggest("fanuot", params), "fanout");       /* a swap is two edits */
    assert_string_equal(scn_suggest("maxvalues", params), "max_values");
    static const char *const flags[] = {"--seed", "--json", "--trace", "--history", NULL};
    assert_string_equal(scn_suggest("--sed", flags), "--seed");
}

static void test_scenario_suggest_refuses_far_words(void **state)
{
    (void)state;
    static const char *const keys[] = {"name", "description", "seed", "duration", "nodes", "protocol", NULL};
    assert_null(scn_suggest("colour", keys));
    assert_null(scn_suggest("xyz", keys));
    assert_null(scn_suggest("latency", keys));
    static const char *const none[] = {NULL};
    assert_null(scn_suggest("anything", none));
    /* A word too long to compare is never "close" to anything. */
    char longw[100];
    memset(longw, 'a', sizeof longw - 1);
    longw[sizeof longw - 1] = 0;
    const char *const one[] = {longw, NULL};
    assert_null(scn_suggest(longw, one));
    /* Short words allow one edit only. */
    static const char *const ab[] = {"ab", NULL};
    assert_string_equal(scn_suggest("ac", ab), "ab");
    assert_null(scn_suggest("cd", ab));
}

static void test_scenario_suggest_ties_go_to_the_first(void **state)
{
    (void)state;
    static const char *const nodes[] = {"n1", "n2", "n3", NULL};
    assert_string_equal(scn_suggest("n4", nodes), "n1");
    assert_string_equal(scn_suggest("n33", nodes), "n3");
    static const char *const rev[] = {"n3", "n2", "n1", NULL};
    assert_string_equal(scn_suggest("n4", rev), "n3");
}

/* A wall-clock bound made a run's verdict depend on the machine's load: the check is
 * bounded by search steps, and the old key says what replaced it. */
static void test_scenario_check_bound_is_steps_not_time(void **state)
{
    scn_t s;
    load_ok("{" BASE ", 'check': {'linearizable': 'register'}}", &s);
    assert_int_equal(s.check.steps_max, LIN_STEPS_RUN_DEFAULT);
    scn_free(&s);
    load_ok("{" BASE ", 'check': {'linearizable': 'register', 'steps': 5000}}", &s);
    assert_int_equal(s.check.steps_max, 5000);
    scn_free(&s);
    expect_fail("{" BASE ", 'check': {'linearizable': 'register', 'timeout': '20s'}}",
                "$.check.timeout: expected no wall-clock bound", "\"steps\"", "found \"20s\"");
    expect_fail("{" BASE ", 'check': {'linearizable': 'register', 'steps': 0}}", "$.check.steps: expected a whole number");
    expect_fail("{" BASE ", 'check': {'linearizable': 'register', 'steps': 2.5}}", "$.check.steps: expected a whole number");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenario_full_top_level_and_nodes),
        cmocka_unit_test(test_scenario_full_protocol_params),
        cmocka_unit_test(test_scenario_protocol_defaults_fill_the_config),
        cmocka_unit_test(test_scenario_every_protocol_loads_with_defaults),
        cmocka_unit_test(test_scenario_full_network_defaults_and_links),
        cmocka_unit_test(test_scenario_default_latency_is_one_millisecond),
        cmocka_unit_test(test_scenario_full_workload),
        cmocka_unit_test(test_scenario_closed_loop_workload_and_target_node),
        cmocka_unit_test(test_scenario_full_faults_and_nemeses),
        cmocka_unit_test(test_scenario_count_form_names),
        cmocka_unit_test(test_scenario_load_file_reads_a_file),
        cmocka_unit_test(test_scenario_shipped_scenarios_load),
        cmocka_unit_test(test_scenario_invalid_json_reports_line_and_column),
        cmocka_unit_test(test_scenario_missing_comma_at_end_of_line),
        cmocka_unit_test(test_scenario_trailing_comma_in_object),
        cmocka_unit_test(test_scenario_trailing_comma_in_array),
        cmocka_unit_test(test_scenario_trailing_comma_at_end_is_not_a_truncated_file),
        cmocka_unit_test(test_scenario_truncated_file),
        cmocka_unit_test(test_scenario_text_after_the_object),
        cmocka_unit_test(test_scenario_not_an_object),
        cmocka_unit_test(test_scenario_unknown_top_level_key_suggests),
        cmocka_unit_test(test_scenario_unknown_key_without_near_match_lists_choices),
        cmocka_unit_test(test_scenario_unknown_key_in_network),
        cmocka_unit_test(test_scenario_unknown_key_in_workload),
        cmocka_unit_test(test_scenario_unknown_key_in_link_override),
        cmocka_unit_test(test_scenario_unknown_key_in_topology),
        cmocka_unit_test(test_scenario_unknown_key_in_distribution),
        cmocka_unit_test(test_scenario_unknown_key_in_node_fault_and_nemesis),
        cmocka_unit_test(test_scenario_unknown_protocol_parameter_suggests),
        cmocka_unit_test(test_scenario_parameter_for_protocol_without_parameters),
        cmocka_unit_test(test_scenario_duplicate_keys),
        cmocka_unit_test(test_scenario_bare_number_for_duration),
        cmocka_unit_test(test_scenario_negative_duration_where_unsigned),
        cmocka_unit_test(test_scenario_fault_at_negative_number),
        cmocka_unit_test(test_scenario_probability_above_one),
        cmocka_unit_test(test_scenario_mixture_weights_must_sum_to_one),
        cmocka_unit_test(test_scenario_zero_nodes),
        cmocka_unit_test(test_scenario_seed_out_of_range),
        cmocka_unit_test(test_scenario_fault_names_unknown_node),
        cmocka_unit_test(test_scenario_unknown_protocol_suggests),
        cmocka_unit_test(test_scenario_wrong_parameter_type_or_range),
        cmocka_unit_test(test_scenario_unknown_distribution),
        cmocka_unit_test(test_scenario_uniform_max_below_min),
        cmocka_unit_test(test_scenario_unknown_topology),
        cmocka_unit_test(test_scenario_edges_name_unknown_nodes),
        cmocka_unit_test(test_scenario_link_override_names),
        cmocka_unit_test(test_scenario_type_latency_names_a_message_type),
        cmocka_unit_test(test_scenario_partition_lists_a_node_twice),
        cmocka_unit_test(test_scenario_workload_rate_and_think),
        cmocka_unit_test(test_scenario_workload_neither_rate_nor_think),
        cmocka_unit_test(test_scenario_workload_unknown_op),
        cmocka_unit_test(test_scenario_workload_bad_values),
        cmocka_unit_test(test_scenario_workload_fractional_clients),
        cmocka_unit_test(test_scenario_duplicate_protocol_parameter),
        cmocka_unit_test(test_scenario_clock_fault_needs_skew_or_drift),
        cmocka_unit_test(test_scenario_fault_after_the_end),
        cmocka_unit_test(test_scenario_fault_at_the_end_is_allowed),
        cmocka_unit_test(test_scenario_fault_with_two_actions),
        cmocka_unit_test(test_scenario_nemesis_missing_keys),
        cmocka_unit_test(test_scenario_nemesis_duration_not_shorter_than_every),
        cmocka_unit_test(test_scenario_node_name_clashes_with_client),
        cmocka_unit_test(test_scenario_duplicate_node_names),
        cmocka_unit_test(test_scenario_file_that_cannot_be_opened),
        cmocka_unit_test(test_scenario_directory_is_not_a_scenario),
        cmocka_unit_test(test_scenario_file_with_nul_byte),
        cmocka_unit_test(test_scenario_bad_file_names_the_file),
        cmocka_unit_test(test_scenario_failed_load_leaves_nothing_to_free),
        cmocka_unit_test(test_scenario_error_buffer_is_never_overrun),
        cmocka_unit_test(test_scenario_suggest_picks_the_nearest),
        cmocka_unit_test(test_scenario_suggest_refuses_far_words),
        cmocka_unit_test(test_scenario_suggest_ties_go_to_the_first),
        cmocka_unit_test(test_scenario_check_bound_is_steps_not_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
