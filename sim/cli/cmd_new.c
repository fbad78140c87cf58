/* cmd_new.c -- dsim new protocol NAME: a folder from which a student starts, green.
 *
 * The folder holds the protocol's source (a working echo-like protocol with every
 * callback explained where it is written), a test file using the test kit, a scenario
 * naming the plug-in, and a Makefile. The Makefile uses an installed dsim through
 * pkg-config and otherwise the tree this dsim was built from, whose absolute paths are
 * written into it now: a student who cloned dsim and never installed it gets a
 * project that builds anyway. The templates live here as strings, so the program
 * needs no data files to make a project.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/cli.h"
#include "proto/proto.h"

#ifndef DSIM_SOURCE_DIR
#define DSIM_SOURCE_DIR "/usr/src/dsim"
#endif
#ifndef DSIM_BUILD_DIR
#define DSIM_BUILD_DIR DSIM_SOURCE_DIR "/build"
#endif
#ifndef DSIM_SIM_LIBS
#define DSIM_SIM_LIBS "-lcjson -lgsl -lgslcblas -lm -pthread"
#endif

static const char tpl_proto[] =
    "/* @NAME@.c -- the @NAME@ protocol: a dsim plug-in (made by `dsim new protocol @NAME@`).\n"
    " *\n"
    " * What it does now: every server answers each client request at once (an echo), and\n"
    " * says \"hello\" to each of its peers every `interval`, counting the hellos it hears.\n"
    " * Nothing is replicated, so the only thing a run shows is the network. Replace this\n"
    " * paragraph with the algorithm you implement, and the paper section you follow.\n"
    " *\n"
    " * The message flow, drawn as you would draw it on a whiteboard:\n"
    " *\n"
    " *      client ──request(write 7)──> n1 ──reply(ok, 7)──> client\n"
    " *\n"
    " *      n1 ──hello──> n2          every `interval`, to every peer\n"
    " *      n1 ──hello──> n3\n"
    " *\n"
    " * How a protocol lives in dsim: the simulator owns time, the network and memory. It\n"
    " * calls the functions below, one at a time and never two at once, and each returns\n"
    " * quickly. A function reaches the world only through `c` (the node's context): it\n"
    " * sends with sim_send, sets timers with sim_timer_set, reads the time with sim_now,\n"
    " * draws random numbers from sim_rng(c), and keeps everything in sim_state(c). It must\n"
    " * never call malloc, time(), rand(), sleep() or printf (use sim_log): that is what\n"
    " * makes the same seed give the same run, event for event. The whole interface is in\n"
    " * proto/proto.h, one comment per function.\n"
    " *\n"
    " * Build: make. Test: make test. Run: make run (or dsim run @NAME@.json). Watch: make view.\n"
    " */\n"
    "#include <stdio.h>\n"
    "#include \"proto/proto.h\"\n"
    "\n"
    "/* Message types: the names you send and see in traces, indexed from 0. */\n"
    "enum { MSG_HELLO };\n"
    "static const char *const @NAME@_msg_types[] = {\"hello\", NULL};\n"
    "\n"
    "/* Timer kinds: your own numbers, handed back to on_timer. */\n"
    "enum { TIMER_HELLO = 1 };\n"
    "\n"
    "/* The parameters a scenario may set under \"params\"; dsim parses and checks them. */\n"
    "typedef struct @NAME@_config {\n"
    "    sim_time_t interval;          /* between two rounds of hellos */\n"
    "} @NAME@_config_t;\n"
    "\n"
    "/* One node's memory. dsim allocates it zeroed for every node, and zeroes it again\n"
    " * when the node crashes (what must survive a crash goes in sim_durable(c)). */\n"
    "typedef struct @NAME@_state {\n"
    "    int64_t served;               /* client requests answered */\n"
    "    int64_t hellos;               /* hellos heard */\n"
    "} @NAME@_state_t;\n"
    "\n"
    "/* The message on the wire: plain bytes, copied by sim_send. */\n"
    "typedef struct hello_msg { int64_t round; } hello_msg_t;\n"
    "\n"
    "/* Called when the node starts: at time zero, and again when it restarts after a\n"
    " * crash (with its state zeroed). Set the first timers here; it may send messages. */\n"
    "static void @NAME@_init(sim_ctx *c)\n"
    "{\n"
    "    const @NAME@_config_t *cfg = sim_config(c);\n"
    "    sim_timer_set(c, cfg->interval, TIMER_HELLO, 0);\n"
    "}\n"
    "\n"
    "/* Called when a timer set with sim_timer_set fires (a crash cancels a node's timers).\n"
    " * kind and data are what you gave sim_timer_set. It may send, set timers, reply. */\n"
    "static void @NAME@_on_timer(sim_ctx *c, int kind, uint64_t data)\n"
    "{\n"
    "    const @NAME@_config_t *cfg = sim_config(c);\n"
    "    if (kind != TIMER_HELLO) return;\n"
    "    hello_msg_t m = {(int64_t)data};\n"
    "    for (uint32_t i = 0; i < sim_n_peers(c); i++) sim_send(c, sim_peer(c, i), MSG_HELLO, &m, sizeof m, 0);\n"
    "    sim_timer_set(c, cfg->interval, TIMER_HELLO, data + 1);\n"
    "}\n"
    "\n"
    "/* Called when a message from another server arrives. m->type is an index into\n"
    " * @NAME@_msg_types, m->payload holds m->len bytes (valid during this call only: copy\n"
    " * what you keep). It may send, set timers, reply to clients. */\n"
    "static void @NAME@_on_message(sim_ctx *c, const sim_msg_t *m)\n"
    "{\n"
    "    @NAME@_state_t *st = sim_state(c);\n"
    "    if (m->type == MSG_HELLO && m->len == sizeof(hello_msg_t)) st->hellos++;\n"
    "}\n"
    "\n"
    "/* Called when a client's request arrives: read, write, cas, ... (req->f). Answer\n"
    " * with sim_reply now, or keep a copy of *req in the state and answer later (say,\n"
    " * once a majority has the write). A request never answered times out at the client. */\n"
    "static void @NAME@_on_request(sim_ctx *c, const sim_req_t *req)\n"
    "{\n"
    "    @NAME@_state_t *st = sim_state(c);\n"
    "    st->served++;\n"
    "    if (req->f == SIM_OP_READ) sim_reply(c, req, SIM_REPLY_OK, NULL, 0);\n"
    "    else sim_reply(c, req, SIM_REPLY_OK, &req->value, 1);\n"
    "}\n"
    "\n"
    "/* Called by the window and summaries for a one-line picture of the node. */\n"
    "static void @NAME@_describe(sim_ctx *c, proto_desc_t *d)\n"
    "{\n"
    "    const @NAME@_state_t *st = sim_state(c);\n"
    "    snprintf(d->role, sizeof d->role, \"server\");\n"
    "    snprintf(d->line, sizeof d->line, \"served %lld, heard %lld\", (long long)st->served, (long long)st->hellos);\n"
    "}\n"
    "\n"
    "/* Writes the node's state as one JSON object: the window's state panel shows it, and\n"
    " * tests read it with kit_state_int(k, node, \"hellos\"). */\n"
    "static void @NAME@_export_state(sim_ctx *c, jw_t *w)\n"
    "{\n"
    "    const @NAME@_state_t *st = sim_state(c);\n"
    "    jw_obj_begin(w);\n"
    "    jw_kint(w, \"served\", st->served);\n"
    "    jw_kint(w, \"hellos\", st->hellos);\n"
    "    jw_obj_end(w);\n"
    "}\n"
    "\n"
    "static const proto_param_t @NAME@_params[] = {\n"
    "    {\"interval\", PROTO_PARAM_DURATION, \"1s\", 1e6, 3600e9, NULL, offsetof(@NAME@_config_t, interval),\n"
    "     \"time between two rounds of hellos to every peer\"},\n"
    "    {NULL},\n"
    "};\n"
    "\n"
    "const proto_t proto_@NAME@ = {\n"
    "    .version = PROTO_VERSION,\n"
    "    .name = \"@NAME@\",\n"
    "    .purpose = \"answers requests at once and says hello to its peers (a template to change)\",\n"
    "    .state_size = sizeof(@NAME@_state_t),\n"
    "    .config_size = sizeof(@NAME@_config_t),\n"
    "    .msg_types = @NAME@_msg_types,\n"
    "    .params = @NAME@_params,\n"
    "    .init = @NAME@_init,\n"
    "    .on_message = @NAME@_on_message,\n"
    "    .on_timer = @NAME@_on_timer,\n"
    "    .on_request = @NAME@_on_request,\n"
    "    .describe = @NAME@_describe,\n"
    "    .export_state = @NAME@_export_state,\n"
    "};\n"
    "\n"
    "/* Built as a plug-in (make builds @NAME@.so with -DDSIM_PLUGIN), this defines the one\n"
    " * entry point dsim looks for; built into the tests, it is left out. */\n"
    "#ifdef DSIM_PLUGIN\n"
    "DSIM_PLUGIN_DEFINE(proto_@NAME@)\n"
    "#endif\n";

static const char tpl_test[] =
    "/* test_@NAME@.c -- tests of the @NAME@ protocol, with dsim's protocol test kit.\n"
    " *\n"
    " * Each test makes a quiet cluster (no client traffic, every link 1ms, nothing lost),\n"
    " * pokes one node and looks at what it sends. Nothing moves unless the test says so.\n"
    " * kit/kit.h documents every call. `make test` builds and runs this file.\n"
    " */\n"
    "#include <setjmp.h>\n"
    "#include <stdarg.h>\n"
    "#include <stddef.h>\n"
    "#include <stdint.h>\n"
    "#include <stdio.h>\n"
    "#include <cmocka.h>\n"
    "#include \"kit/kit.h\"\n"
    "\n"
    "extern const proto_t proto_@NAME@;\n"
    "\n"
    "/* A write is answered at once, with the value written. */\n"
    "static void test_@NAME@_answers_a_write(void **state)\n"
    "{\n"
    "    (void)state;\n"
    "    kit_t *k = kit_create(\"@NAME@\", 3, 1, NULL, 1);     /* servers 0..2, client 3 */\n"
    "    assert_non_null(k);\n"
    "    sim_req_t w = {.client = 3, .op_id = 1, .f = SIM_OP_WRITE, .value = 7};\n"
    "    assert_int_equal(kit_request(k, 0, &w), SIM_OK);\n"
    "    kit_reply_t r;\n"
    "    if (kit_reply_to(k, 0, 1, &r) != SIM_OK) fail_msg(\"%s\", kit_error(k));\n"
    "    assert_int_equal(r.status, SIM_REPLY_OK);\n"
    "    assert_int_equal(r.n, 1);\n"
    "    assert_int_equal(r.values[0], 7);\n"
    "    kit_destroy(k);\n"
    "}\n"
    "\n"
    "/* When its timer fires, a node says hello to each peer, and a peer counts it. */\n"
    "static void test_@NAME@_says_hello_to_every_peer(void **state)\n"
    "{\n"
    "    (void)state;\n"
    "    kit_t *k = kit_create(\"@NAME@\", 3, 0, \"{\\\"interval\\\": \\\"500ms\\\"}\", 1);\n"
    "    assert_non_null(k);\n"
    "    if (kit_fire_next(k, 0, KIT_ANY_KIND) != SIM_OK) fail_msg(\"%s\", kit_error(k));\n"
    "    assert_int_equal(kit_count(k, 0, KIT_ANY, \"hello\"), 2);\n"
    "    kit_flight_t f;\n"
    "    assert_int_equal(kit_find(k, 0, 1, \"hello\", &f), SIM_OK);\n"
    "    assert_int_equal(kit_deliver(k, f.id), SIM_OK);\n"
    "    assert_int_equal(kit_state_int(k, 1, \"hellos\"), 1);\n"
    "    kit_destroy(k);\n"
    "}\n"
    "\n"
    "int main(void)\n"
    "{\n"
    "    char err[256];\n"
    "    if (proto_register(&proto_@NAME@, err, sizeof err) != SIM_OK) {\n"
    "        fprintf(stderr, \"test_@NAME@: %s\\n\", err);\n"
    "        return 1;\n"
    "    }\n"
    "    const struct CMUnitTest tests[] = {\n"
    "        cmocka_unit_test(test_@NAME@_answers_a_write),\n"
    "        cmocka_unit_test(test_@NAME@_says_hello_to_every_peer),\n"
    "    };\n"
    "    return cmocka_run_group_tests(tests, NULL, NULL);\n"
    "}\n";

static const char tpl_scenario[] =
    "{\n"
    "  \"name\": \"@NAME@\",\n"
    "  \"description\": \"Three servers running the @NAME@ plug-in; two clients write and read; n2 crashes at 4s and restarts at 6s.\",\n"
    "  \"seed\": 1,\n"
    "  \"duration\": \"10s\",\n"
    "  \"nodes\": 3,\n"
    "  \"protocol\": {\"plugin\": \"@NAME@.so\", \"params\": {\"interval\": \"1s\"}},\n"
    "  \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"2ms\", \"max\": \"8ms\"}},\n"
    "  \"workload\": {\"clients\": 2, \"ops\": {\"write\": 0.5, \"read\": 0.5}, \"keys\": 4, \"rate\": \"10/s\", \"timeout\": \"500ms\"},\n"
    "  \"faults\": [\n"
    "    {\"at\": \"4s\", \"crash\": \"n2\"},\n"
    "    {\"at\": \"6s\", \"restart\": \"n2\"}\n"
    "  ]\n"
    "}\n";

static const char tpl_makefile[] =
    "# Makefile -- builds the @NAME@ protocol as a dsim plug-in, and its tests.\n"
    "#\n"
    "#   make          @NAME@.so, the plug-in that @NAME@.json names\n"
    "#   make test     builds and runs test_@NAME@ (the test kit), then runs the scenario\n"
    "#   make run      dsim run @NAME@.json\n"
    "#   make view     dsim view @NAME@.json (the window)\n"
    "#   make clean\n"
    "#\n"
    "# dsim's headers and library come from an installed dsim (pkg-config dsim) when there\n"
    "# is one, and otherwise from the dsim tree that made this folder (make DSIM_FROM=tree\n"
    "# uses the tree even when dsim is installed):\n"
    "DSIM_TREE  ?= @TREE@\n"
    "DSIM_BUILD ?= @BUILD@\n"
    "\n"
    "CC     ?= cc\n"
    "CFLAGS ?= -std=c11 -O2 -g -Wall -Wextra -Wno-unused-parameter\n"
    "\n"
    "DSIM_FROM  ?= $(if $(shell pkg-config --exists dsim 2>/dev/null && echo yes),pkg-config,tree)\n"
    "\n"
    "ifeq ($(DSIM_FROM),pkg-config)\n"
    "DSIM_CFLAGS := $(shell pkg-config --cflags dsim)\n"
    "DSIM_LIBS   := $(shell pkg-config --libs dsim)\n"
    "DSIM        ?= $(or $(shell command -v dsim 2>/dev/null),dsim)\n"
    "else\n"
    "ifeq ($(wildcard $(DSIM_TREE)/sim/proto/proto.h),)\n"
    "$(error dsim is not installed (pkg-config dsim finds nothing) and $(DSIM_TREE) is not a dsim tree: install dsim, or make DSIM_TREE=/path/to/dsim)\n"
    "endif\n"
    "DSIM_CFLAGS := -I$(DSIM_TREE)/sim\n"
    "DSIM_LIBS   := $(DSIM_BUILD)/libdsim.a @LIBS@\n"
    "DSIM        ?= $(DSIM_BUILD)/dsim\n"
    "endif\n"
    "TEST_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)\n"
    "TEST_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)\n"
    "\n"
    ".PHONY: all test run view clean\n"
    "all: @NAME@.so\n"
    "\n"
    "# The plug-in: every call to dsim goes through the table dsim hands it (-DDSIM_PLUGIN).\n"
    "@NAME@.so: @NAME@.c\n"
    "\t$(CC) $(CFLAGS) $(DSIM_CFLAGS) -DDSIM_PLUGIN -shared -fPIC -o $@ $<\n"
    "\n"
    "# The tests link the same source straight against dsim's library and its test kit.\n"
    "test_@NAME@: test_@NAME@.c @NAME@.c\n"
    "\t$(CC) $(CFLAGS) $(DSIM_CFLAGS) $(TEST_CFLAGS) -o $@ test_@NAME@.c @NAME@.c $(DSIM_LIBS) $(TEST_LIBS)\n"
    "\n"
    "test: test_@NAME@ @NAME@.so\n"
    "\t./test_@NAME@\n"
    "\t$(DSIM) run @NAME@.json\n"
    "\n"
    "run: @NAME@.so\n"
    "\t$(DSIM) run @NAME@.json\n"
    "\n"
    "view: @NAME@.so\n"
    "\t$(DSIM) view @NAME@.json\n"
    "\n"
    "clean:\n"
    "\trm -f @NAME@.so test_@NAME@\n";

/* Writes tpl to dir/file with @NAME@, @TREE@, @BUILD@ and @LIBS@ filled in. */
static int write_tpl(const char *dir, const char *file, const char *tpl, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    static const char *const keys[] = {"@NAME@", "@TREE@", "@BUILD@", "@LIBS@"};
    const char *vals[] = {name, DSIM_SOURCE_DIR, DSIM_BUILD_DIR, DSIM_SIM_LIBS};
    for (const char *p = tpl; *p;) {
        int k = -1;
        if (*p == '@')
            for (int i = 0; i < 4 && k < 0; i++) if (strncmp(p, keys[i], strlen(keys[i])) == 0) k = i;
        if (k >= 0) { fputs(vals[k], f); p += strlen(keys[k]); }
        else fputc(*p++, f);
    }
    return fclose(f) == 0 ? 0 : -1;
}

int cmd_new(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "protocol") != 0)
        return cli_usage_error("new", "expected: dsim new protocol NAME");
    const char *name = argv[2];
    size_t len = strlen(name);
    bool ok = len >= 1 && len <= PROTO_NAME_MAX && name[0] >= 'a' && name[0] <= 'z';
    for (size_t i = 0; ok && i < len; i++)
        ok = (name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '_';
    if (!ok)
        return cli_usage_error("new", "NAME: expected a lower-case letter, then up to %d letters, digits or '_' "
                               "(it names the folder, the protocol and C functions), found \"%s\"", PROTO_NAME_MAX - 1, name);
    if (proto_find(name)) return cli_usage_error("new", "%s is the name of a built-in protocol; choose another", name);
    struct stat st;
    if (lstat(name, &st) == 0) return cli_usage_error("new", "%s exists already; choose another name or move it away", name);
    if (mkdir(name, 0777) != 0) {
        fprintf(stderr, "dsim new: cannot make the folder %s: %s\n", name, strerror(errno));
        return 2;
    }
    char cfile[64], tfile[64], jfile[64];
    snprintf(cfile, sizeof cfile, "%s.c", name);
    snprintf(tfile, sizeof tfile, "test_%s.c", name);
    snprintf(jfile, sizeof jfile, "%s.json", name);
    const char *files[] = {cfile, tfile, jfile, "Makefile"};
    const char *tpls[] = {tpl_proto, tpl_test, tpl_scenario, tpl_makefile};
    for (int i = 0; i < 4; i++) {
        if (write_tpl(name, files[i], tpls[i], name) == 0) continue;
        fprintf(stderr, "dsim new: cannot write %s/%s: %s\n", name, files[i], strerror(errno));
        for (int j = 0; j <= i; j++) {        /* leave nothing half made */
            char p[1024];
            snprintf(p, sizeof p, "%s/%s", name, files[j]);
            unlink(p);
        }
        rmdir(name);
        return 2;
    }
    printf("%s/: %s (the protocol), %s (its tests), %s (a scenario), Makefile\n"
           "next:\n  cd %s && make && make test\n  make run     # dsim run %s\n  make view    # the window\n",
           name, cfile, tfile, jfile, name, jfile);
    return 0;
}
