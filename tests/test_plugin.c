/* test_plugin.c -- protocols loaded from shared libraries: loading, every refusal,
 * crash isolation, and a real protocol of the project run as a plug-in.
 *
 * The plug-ins are built here, from tests/plugins/bad.c with -DBAD=N (one way of going
 * wrong each), into a temporary folder removed at the end. Most tests run the dsim
 * program, since what a student sees is its message and exit status; one runs a
 * crashing plug-in in this process, because the library must report a crash, not exit.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cJSON.h>
#include "support.h"
#include "proto/plugin.h"

static const char *dsim;           /* path to the program, absolute */
static char dsim_abs[1024];
static char tmpdir[512];
static char repo[1024];            /* the repository root (the tests' working folder) */

/* tests/plugins/bad.c's cases. */
enum { OK, SEGV_MESSAGE, ABORT_MESSAGE, LOOP_TIMER, NO_ENTRY, TOO_NEW, BUILTIN_NAME, NO_INIT, BAD_PARAM_ENUM,
       ASSERT_MESSAGE, CONFIGURE_CRASH, N_CASES };

typedef struct out { int status; char *text; } out_t;

/* Runs a shell command in the temporary folder; stdout and stderr together. */
static void sh(out_t *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sh(out_t *o, const char *fmt, ...)
{
    char cmd[4096], full[4600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "cd '%s' && (%s) 2>&1", tmpdir, cmd);
    fflush(NULL);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    o->text = malloc(cap);
    for (size_t k; (k = fread(o->text + n, 1, cap - n - 1, p)) > 0;) {
        n += k;
        if (n + 1 >= cap) { cap *= 2; o->text = realloc(o->text, cap); }
    }
    o->text[n] = 0;
    int st = pclose(p);
    o->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect(out_t *o, int status, const char *part)
{
    if (o->status != status) fail_msg("expected exit status %d, got %d:\n%s", status, o->status, o->text);
    if (part && !strstr(o->text, part)) fail_msg("expected \"%s\" in:\n%s", part, o->text);
}

static void expect_free(out_t *o, int status, const char *part)
{
    expect(o, status, part);
    free(o->text);
}

static void write_text(const char *name, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A scenario running plug-in case k, with the watchdog's limit short for the loop. */
static void scenario_for(int k)
{
    char name[64], text[1024];
    snprintf(name, sizeof name, "s%d.json", k);
    snprintf(text, sizeof text,
             "{\"name\": \"pecho-%d\", \"seed\": 3, \"duration\": \"2s\", \"nodes\": 3,\n"
             " \"protocol\": {\"plugin\": \"bad%d.so\", \"params\": {\"copies\": 2}},\n"
             " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"10/s\"}}\n", k, k);
    write_text(name, text);
}

/* ---- Loading. ---------------------------------------------------------------------- */

static void test_plugin_runs_and_is_deterministic(void **state)
{
    (void)state;
    out_t a, b;
    sh(&a, "'%s' run s0.json --json", dsim);
    sh(&b, "'%s' run s0.json --json", dsim);
    expect(&a, 0, "pecho");
    expect(&b, 0, "trace_hash");
    const char *ha = strstr(a.text, "\"trace_hash\""), *hb = strstr(b.text, "\"trace_hash\"");
    assert_non_null(ha);
    assert_non_null(hb);
    assert_memory_equal(ha, hb, 32);
    free(a.text);
    free(b.text);
    sh(&a, "'%s' list protocols --plugin bad0.so", dsim);
    expect(&a, 0, "copies");
    assert_null(strstr(a.text, "raft"));        /* the plug-in alone */
    free(a.text);
    sh(&a, "'%s' validate --plugin ./bad0.so s0.json", dsim);
    expect_free(&a, 0, "ok: pecho-0, pecho");
    /* --plugin on the command line, the protocol named in the file. */
    write_text("byname.json", "{\"nodes\": 2, \"duration\": \"1s\", \"protocol\": {\"name\": \"pecho\"}}");
    sh(&a, "'%s' run byname.json --plugin bad0.so", dsim);
    expect_free(&a, 0, "pecho, 2 nodes");
    sh(&a, "'%s' run byname.json", dsim);
    expect_free(&a, 2, "unknown protocol \"pecho\"");
    sh(&a, "SDL_VIDEODRIVER=dummy '%s' view byname.json --plugin bad0.so --screenshot byname.png && test -s byname.png", dsim);
    expect_free(&a, 0, NULL);
    /* A scenario written from a plug-in run names the library loaded, so it runs from
     * another folder too. */
    sh(&a, "mkdir -p sub && '%s' swarm s0.json --seeds 1 --first 1 --write-scenario sub/w.json && cd sub && '%s' run w.json",
       dsim, dsim);
    expect_free(&a, 0, "pecho-0: pecho, 3 nodes");
    /* "name" beside "plugin" must agree with it. */
    write_text("both.json", "{\"nodes\": 2, \"duration\": \"1s\", \"protocol\": {\"name\": \"other\", \"plugin\": \"bad0.so\"}}");
    sh(&a, "'%s' validate both.json", dsim);
    expect_free(&a, 2, "both.json: $.protocol.name: the plug-in is protocol \"pecho\", not \"other\"");
}

static void test_plugin_refuses_a_missing_file(void **state)
{
    (void)state;
    out_t o;
    sh(&o, "'%s' list protocols --plugin nothing-here.so", dsim);
    expect_free(&o, 2, "nothing-here.so: no such file");
    write_text("missing.json", "{\"nodes\": 2, \"duration\": \"1s\", \"protocol\": {\"plugin\": \"gone.so\"}}");
    sh(&o, "'%s' run missing.json", dsim);
    expect_free(&o, 2, "missing.json: $.protocol.plugin: gone.so: no such file");
}

static bool defined_aarch64(void)
{
#ifdef __aarch64__
    return true;
#else
    return false;
#endif
}

static void test_plugin_refuses_what_is_not_a_shared_library(void **state)
{
    (void)state;
    out_t o;
    write_text("text.so", "this is not a library\n");
    sh(&o, "'%s' list protocols --plugin text.so", dsim);
    expect_free(&o, 2, "not a shared library: it is not an ELF file");
    sh(&o, "'%s' list protocols --plugin obj.o", dsim);
    expect_free(&o, 2, "not a shared library: it is an ELF object file");
    /* The header of a 64-bit little-endian shared library for ARM64 (machine 183),
     * or for x86-64 (62) when this is an ARM64 machine. */
    unsigned char h[64] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
    h[16] = 3;                                         /* ET_DYN */
    h[18] = defined_aarch64() ? 62 : 183;
    char p[1024];
    snprintf(p, sizeof p, "%s/arm.so", tmpdir);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(h, 1, sizeof h, f), sizeof h);
    fclose(f);
    sh(&o, "'%s' list protocols --plugin arm.so", dsim);
    expect_free(&o, 2, "a shared library for another machine: it was built for");
    sh(&o, "'%s' run s0.json --watchdog soon", dsim);
    expect_free(&o, 2, "--watchdog: expected a duration such as \"2s\"");
}

static void test_plugin_refuses_a_missing_entry_point(void **state)
{
    (void)state;
    out_t o;
    scenario_for(NO_ENTRY);
    sh(&o, "'%s' run s%d.json", dsim, NO_ENTRY);
    expect_free(&o, 2, "does not export dsim_plugin_init");
}

static void test_plugin_refuses_a_newer_api_version(void **state)
{
    (void)state;
    out_t o;
    scenario_for(TOO_NEW);
    sh(&o, "'%s' run s%d.json", dsim, TOO_NEW);
    expect_free(&o, 2, "needs dsim with API version 99");
}

static void test_plugin_refuses_a_builtin_name(void **state)
{
    (void)state;
    out_t o;
    scenario_for(BUILTIN_NAME);
    sh(&o, "'%s' run s%d.json", dsim, BUILTIN_NAME);
    expect_free(&o, 2, "a protocol named gossip is registered already (it is built in)");
}

static void test_plugin_refuses_a_missing_callback(void **state)
{
    (void)state;
    out_t o;
    sh(&o, "'%s' list protocols --plugin bad%d.so", dsim, NO_INIT);
    expect_free(&o, 2, "has no init callback (it is required)");
}

static void test_plugin_refuses_a_malformed_parameter(void **state)
{
    (void)state;
    out_t o;
    sh(&o, "'%s' list protocols --plugin bad%d.so", dsim, BAD_PARAM_ENUM);
    expect_free(&o, 2, "parameter copies is an enum without choices");
}

/* ---- Crashes. ---------------------------------------------------------------------- */

static void crash_case(int k, const char *flags, const char *what, const char *where)
{
    out_t o;
    scenario_for(k);
    sh(&o, "'%s' run s%d.json %s", dsim, k, flags);
    expect(&o, 4, what);
    expect(&o, 4, where);
    expect(&o, 4, "the last 24 events before it:");
    char replay[128];
    snprintf(replay, sizeof replay, "replay: dsim run s%d.json --seed 3", k);
    expect_free(&o, 4, replay);
}

static void test_plugin_segfault_in_on_message_is_reported(void **state)
{
    (void)state;
    crash_case(SEGV_MESSAGE, "", "a segmentation fault (SIGSEGV)",
               "in on_message of node n2 at t=201ms, handling a \"ping\" message from n1");
    /* A script reads the same from the summary, and the exit status. */
    out_t o;
    sh(&o, "'%s' run s%d.json --json 2>/dev/null", dsim, SEGV_MESSAGE);
    expect_free(&o, 4, "\"fault\":{\"signal\":11,\"what\":\"a segmentation fault");
}

static void test_plugin_abort_in_on_message_is_reported(void **state)
{
    (void)state;
    crash_case(ABORT_MESSAGE, "", "an abort (SIGABRT)", "in on_message of node n2 at t=201ms");
}

static void test_plugin_failed_assertion_is_reported(void **state)
{
    (void)state;
    crash_case(ASSERT_MESSAGE, "", "assertion 'st->heard < 3' failed", "in on_message of node n2");
}

static void test_plugin_endless_on_timer_is_stopped_by_the_watchdog(void **state)
{
    (void)state;
    crash_case(LOOP_TIMER, "--watchdog 300ms", "the watchdog stopped it", "in on_timer of node n1 at t=400ms");
}

static void test_plugin_crash_in_configure_fails_the_load(void **state)
{
    (void)state;
    out_t o;
    scenario_for(CONFIGURE_CRASH);
    sh(&o, "'%s' validate s%d.json", dsim, CONFIGURE_CRASH);
    expect_free(&o, 2, "$.protocol.params: protocol pecho failed in configure: a segmentation fault (SIGSEGV)");
}

/* The library reports a crash to its caller and carries on: the process lives, the
 * run is stopped, and a second simulation of a good protocol still works. */
static void test_plugin_crash_stops_the_run_not_the_process(void **state)
{
    (void)state;
    char path[1024], err[1024];
    snprintf(path, sizeof path, "%s/bad%d.so", tmpdir, SEGV_MESSAGE);
    const proto_t *p = plugin_load(path, err, sizeof err);
    if (!p) fail_msg("%s", err);
    assert_true(plugin_owns(p));
    assert_ptr_equal(plugin_load(path, err, sizeof err), p);     /* once only */
    assert_false(plugin_owns(proto_find("gossip")));
    scn_t scn;
    ts_load("{\"nodes\": 3, \"duration\": \"2s\", \"protocol\": {\"name\": \"pecho\", \"params\": {\"copies\": 2}}}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_run(s);
    const sim_fault_t *f = sim_fault(s);
    assert_non_null(f);
    assert_string_equal(f->callback, "on_message");
    assert_int_equal(f->node, 1);
    assert_int_equal(f->t, 201 * SIM_MS);
    assert_true(sim_stopped(s));
    trace_rec_t last[SIM_RECENT];
    assert_int_equal(sim_recent(s, last, SIM_RECENT), SIM_RECENT);
    assert_int_equal(last[SIM_RECENT - 1].kind, TR_DELIVER);     /* the event it was handling */
    sim_destroy(s);
    scn_free(&scn);
    ts_load("{\"nodes\": 3, \"duration\": \"2s\", \"protocol\": \"gossip\"}", &scn);
    s = ts_create(&scn, NULL);
    sim_run(s);
    assert_null(sim_fault(s));
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- A real protocol as a plug-in. ------------------------------------------------- */

static const char gossip_wrapper[] =
    "/* gossip.c built as a plug-in under another name (the built-in keeps its own). */\n"
    "#define DSIM_PLUGIN\n"
    "#define proto_gossip gossip_builtin_table\n"
    "#include \"proto/gossip.c\"\n"
    "#undef proto_gossip\n"
    "static proto_t proto_gossip_plugin;\n"
    "const dsim_api_t *dsim_api_;\n"
    "int dsim_plugin_init(const dsim_api_t *api, const proto_t **out);\n"
    "int dsim_plugin_init(const dsim_api_t *api, const proto_t **out)\n"
    "{\n"
    "    if (!api || api->version < DSIM_API_VERSION) return -DSIM_API_VERSION;\n"
    "    dsim_api_ = api;\n"
    "    proto_gossip_plugin = gossip_builtin_table;\n"
    "    proto_gossip_plugin.name = \"gossip-plugin\";\n"
    "    *out = &proto_gossip_plugin;\n"
    "    return DSIM_API_VERSION;\n"
    "}\n";

static void test_plugin_gossip_as_a_plugin_gives_the_builtin_trace(void **state)
{
    (void)state;
    out_t o;
    write_text("gossip_plugin.c", gossip_wrapper);
    sh(&o, "${CC:-cc} -std=c11 -shared -fPIC -O2 -I'%s/sim' -o gossip-plugin.so gossip_plugin.c", repo);
    expect_free(&o, 0, NULL);
    /* The example scenario with its protocol object swapped for the plug-in. */
    char src[1200];
    snprintf(src, sizeof src, "%s/scenarios/gossip-partition.json", repo);
    FILE *f = fopen(src, "r");
    assert_non_null(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    cJSON *j = cJSON_Parse(text);
    assert_non_null(j);
    cJSON *proto = cJSON_GetObjectItem(j, "protocol");
    cJSON_DeleteItemFromObject(proto, "name");
    cJSON_AddStringToObject(proto, "plugin", "gossip-plugin.so");
    char *out = cJSON_Print(j);
    write_text("gossip-plugin.json", out);
    free(out);
    cJSON_Delete(j);
    out_t a, b;
    sh(&a, "'%s' run '%s' --seed 7 --json", dsim, src);
    sh(&b, "'%s' run gossip-plugin.json --seed 7 --json", dsim);
    expect(&a, 0, "trace_hash");
    expect(&b, 0, "gossip-plugin");
    const char *ha = strstr(a.text, "\"trace_hash\""), *hb = strstr(b.text, "\"trace_hash\"");
    assert_non_null(ha);
    assert_non_null(hb);
    assert_memory_equal(ha, hb, 32);
    free(a.text);
    free(b.text);
}

/* ---- dsim new protocol, against the tree and against an installed dsim. ------------- */

static char build_dir[1024];       /* the folder of the dsim under test: its libdsim.a */

/* make's flags for a project: this build's compiler and sanitizers (make san). */
static const char *project_flags(void)
{
    static char f[1024];
    const char *cc = getenv("DSIM_CC"), *extra = getenv("DSIM_EXTRA_CFLAGS");
    snprintf(f, sizeof f, "CC='%s' CFLAGS='-std=c11 -O1 -g -Wall -Wextra -Wno-unused-parameter %s'",
             cc && *cc ? cc : "cc", extra ? extra : "");
    return f;
}

/* A PNG picture of the project's scenario, drawn with SDL's dummy driver. */
static void expect_screenshot(const char *dsim_cmd, const char *project)
{
    out_t o;
    sh(&o, "cd %s && SDL_VIDEODRIVER=dummy %s view %s.json --screenshot shot.png --at 5s", project, dsim_cmd, project);
    expect_free(&o, 0, NULL);
    char p[1024];
    snprintf(p, sizeof p, "%s/%s/shot.png", tmpdir, project);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    unsigned char head[8];
    assert_int_equal(fread(head, 1, 8, f), 8);
    assert_memory_equal(head, "\x89PNG\r\n\x1a\n", 8);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    assert_true(ftell(f) > 10000);      /* a drawn window, not an empty frame */
    fclose(f);
}

static void test_plugin_new_project_builds_and_runs_against_the_tree(void **state)
{
    (void)state;
    out_t o;
    sh(&o, "'%s' new protocol hello1", dsim);
    expect_free(&o, 0, "cd hello1 && make && make test");
    sh(&o, "'%s' new protocol hello1", dsim);
    expect_free(&o, 2, "hello1 exists already");
    sh(&o, "'%s' new protocol Hello-1", dsim);
    expect_free(&o, 2, "NAME: expected a lower-case letter");
    sh(&o, "'%s' new protocol raft", dsim);
    expect_free(&o, 2, "built-in protocol");
    sh(&o, "cd hello1 && make DSIM_FROM=tree DSIM_BUILD='%s' DSIM='%s' %s && make test DSIM_FROM=tree DSIM_BUILD='%s' DSIM='%s' %s",
       build_dir, dsim, project_flags(), build_dir, dsim, project_flags());
    expect(&o, 0, "[  PASSED  ] 2 test(s).");
    expect_free(&o, 0, "hello1: hello1, 3 nodes, 2 clients, seed 1");
    sh(&o, "cd hello1 && '%s' run hello1.json --json", dsim);
    expect_free(&o, 0, "\"hello1\"");
    expect_screenshot(dsim, "hello1");
}

static void test_plugin_new_project_builds_against_an_installed_dsim(void **state)
{
    (void)state;
    out_t o;
    sh(&o, "make -s -C '%s' install DESTDIR='%s/stage' PREFIX=/usr BUILD='%s'", repo, tmpdir, build_dir);
    expect_free(&o, 0, "installed dsim in");
    char env[3000];
    snprintf(env, sizeof env, "PATH='%s/stage/usr/bin':\"$PATH\" PKG_CONFIG_PATH='%s/stage/usr/lib/pkgconfig' "
             "PKG_CONFIG_SYSROOT_DIR='%s/stage'", tmpdir, tmpdir, tmpdir);
    sh(&o, "%s pkg-config --cflags dsim", env);
    expect_free(&o, 0, "/stage/usr/include/dsim");
    /* <dsim/dsim.h> and the folders' own names both work with pkg-config's flags. */
    write_text("inc.c", "#include <dsim/dsim.h>\n#include \"proto/api.h\"\nint main(void) { return DSIM_API_VERSION > 0 ? 0 : 1; }\n");
    sh(&o, "${CC:-cc} -std=c11 -Wall -Werror $(%s pkg-config --cflags dsim) -o inc inc.c && ./inc", env);
    expect_free(&o, 0, NULL);
    /* The installed program, its project, its headers and library; no tree in sight. */
    sh(&o, "unset DSIM; export %s && dsim new protocol hello2 && cd hello2 && make DSIM_TREE=/nonexistent %s && "
       "make test DSIM_TREE=/nonexistent %s", env, project_flags(), project_flags());
    expect(&o, 0, "[  PASSED  ] 2 test(s).");
    expect(&o, 0, "/stage/usr/include/dsim");
    expect_free(&o, 0, "hello2: hello2, 3 nodes");
    char installed[1200];
    snprintf(installed, sizeof installed, "'%s/stage/usr/bin/dsim'", tmpdir);
    expect_screenshot(installed, "hello2");
    /* It finds its scenarios without the source tree, and documents itself. */
    sh(&o, "cd / && %s validate scenarios/echo.json", installed);
    expect_free(&o, 0, "ok: echo");
    /* Its Maelstrom scenarios start their programs, which must stay executable. */
    sh(&o, "cd / && %s run scenarios/maelstrom-echo.json", installed);
    expect_free(&o, 0, "maelstrom-echo: maelstrom, 3 nodes");
    sh(&o, "test -s stage/usr/share/man/man1/dsim.1 && grep -c '^.SS ' stage/usr/share/man/man1/dsim.1");
    expect_free(&o, 0, NULL);
    sh(&o, "test -f stage/usr/include/dsim/dsim.h && test -f stage/usr/include/dsim/proto/api.h && "
       "test -f stage/usr/lib/libdsim.a && test -f stage/usr/share/dsim/scenarios/echo.json");
    expect_free(&o, 0, NULL);
    /* make uninstall takes back every file, and only those. */
    sh(&o, "touch stage/usr/bin/other && make -s -C '%s' uninstall DESTDIR='%s/stage' PREFIX=/usr BUILD='%s'",
       repo, tmpdir, build_dir);
    expect_free(&o, 0, "uninstalled dsim");
    sh(&o, "find stage -type f");
    expect(&o, 0, NULL);
    assert_string_equal(o.text, "stage/usr/bin/other\n");
    free(o.text);
}

/* The README's tutorial ends with tests/plugins/elect/: made by dsim new protocol
 * elect and then edited as the tutorial says. Its tests pass, its scenario elects a
 * leader again after every crash, election safety holds, and the run repeats. */
static void test_plugin_tutorial_election_builds_tests_and_runs(void **state)
{
    (void)state;
    out_t o, again;
    sh(&o, "'%s' new protocol elect && cp '%s'/tests/plugins/elect/* elect/ && cd elect && "
       "make DSIM_FROM=tree DSIM_BUILD='%s' DSIM='%s' %s test", dsim, repo, build_dir, dsim, project_flags());
    expect(&o, 0, "[  PASSED  ] 3 test(s).");
    expect_free(&o, 0, "elect: elect, 5 nodes");
    sh(&o, "cd elect && '%s' run elect.json --json", dsim);
    sh(&again, "cd elect && '%s' run elect.json --json", dsim);
    expect(&o, 0, "\"elections\":6");
    assert_null(strstr(o.text, "violation\":{"));
    const char *ha = strstr(o.text, "\"trace_hash\""), *hb = strstr(again.text, "\"trace_hash\"");
    assert_non_null(ha);
    assert_non_null(hb);
    assert_memory_equal(ha, hb, 32);
    free(o.text);
    free(again.text);
    expect_screenshot(dsim, "elect");
}

/* ---- Set-up. ----------------------------------------------------------------------- */

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char p[2048];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **state)
{
    (void)state;
    if (!getcwd(repo, sizeof repo)) return -1;
    const char *d = getenv("DSIM");
    if (!d || !*d) d = "build/dsim";
    if (d[0] == '/') snprintf(dsim_abs, sizeof dsim_abs, "%s", d);
    else snprintf(dsim_abs, sizeof dsim_abs, "%s/%s", repo, d);
    dsim = dsim_abs;
    snprintf(build_dir, sizeof build_dir, "%s", dsim_abs);
    *strrchr(build_dir, '/') = 0;
    if (access(dsim, X_OK) != 0) { fprintf(stderr, "test_plugin: %s is not executable (build it, or set DSIM)\n", dsim); return -1; }
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_plugin_XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir) || strchr(tmpdir, '\'')) return -1;
    char cmd[4096];
    for (int k = 0; k < N_CASES; k++) {
        snprintf(cmd, sizeof cmd, "cd '%s' && ${CC:-cc} -std=c11 -shared -fPIC -DDSIM_PLUGIN -DBAD=%d -I'%s/sim' "
                 "-o bad%d.so '%s/tests/plugins/bad.c'", tmpdir, k, repo, k, repo);
        if (system(cmd) != 0) { fprintf(stderr, "test_plugin: cannot build case %d: %s\n", k, cmd); return -1; }
    }
    snprintf(cmd, sizeof cmd, "cd '%s' && ${CC:-cc} -std=c11 -c -fPIC -DDSIM_PLUGIN -I'%s/sim' -o obj.o '%s/tests/plugins/bad.c'",
             tmpdir, repo, repo);
    if (system(cmd) != 0) return -1;
    scenario_for(OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove_tree(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_runs_and_is_deterministic),
        cmocka_unit_test(test_plugin_refuses_a_missing_file),
        cmocka_unit_test(test_plugin_refuses_what_is_not_a_shared_library),
        cmocka_unit_test(test_plugin_refuses_a_missing_entry_point),
        cmocka_unit_test(test_plugin_refuses_a_newer_api_version),
        cmocka_unit_test(test_plugin_refuses_a_builtin_name),
        cmocka_unit_test(test_plugin_refuses_a_missing_callback),
        cmocka_unit_test(test_plugin_refuses_a_malformed_parameter),
        cmocka_unit_test(test_plugin_segfault_in_on_message_is_reported),
        cmocka_unit_test(test_plugin_abort_in_on_message_is_reported),
        cmocka_unit_test(test_plugin_failed_assertion_is_reported),
        cmocka_unit_test(test_plugin_endless_on_timer_is_stopped_by_the_watchdog),
        cmocka_unit_test(test_plugin_crash_in_configure_fails_the_load),
        cmocka_unit_test(test_plugin_crash_stops_the_run_not_the_process),
        cmocka_unit_test(test_plugin_gossip_as_a_plugin_gives_the_builtin_trace),
        cmocka_unit_test(test_plugin_new_project_builds_and_runs_against_the_tree),
        cmocka_unit_test(test_plugin_new_project_builds_against_an_installed_dsim),
        cmocka_unit_test(test_plugin_tutorial_election_builds_tests_and_runs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
