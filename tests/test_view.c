/* test_view.c -- the window's start: without a display `dsim view` must say so and
 * exit 2 at once, never wait for a window nobody can see.
 *
 * The program under test is $DSIM (default build/dsim), run with DISPLAY,
 * WAYLAND_DISPLAY and SDL_VIDEODRIVER removed from its environment (and once with a
 * DISPLAY that names no server), under a two-second timeout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "scenario/scenario.h"
#include "view.h"
#include "view_int.h"
#include "run/run.h"

static const char *dsim;

static int view_without_display(const char *env, char *err, size_t len, double *seconds)
{
    if (access(dsim, X_OK) != 0) { print_message("skipped: %s is not built\n", dsim); skip(); }
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER %s timeout 2 '%s' view scenarios/echo.json 2>&1 >/dev/null",
             env, dsim);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(err, 1, len - 1, p);
    err[n] = 0;
    int st = pclose(p);
    clock_gettime(CLOCK_MONOTONIC, &b);
    *seconds = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_view_without_display_exits_2_at_once(void **state)
{
    char err[2048];
    double t;
    int rc = view_without_display("", err, sizeof err, &t);
    if (rc == 124) fail_msg("dsim view waited for a window without a display (killed after 2s)");
    assert_int_equal(rc, 2);
    assert_true(t < 2.0);
    if (!strstr(err, "no display")) fail_msg("expected a message saying there is no display, got: %s", err);
    assert_non_null(strstr(err, "--screenshot"));
}

static void test_view_with_an_unreachable_display_exits_2(void **state)
{
    char err[2048];
    double t;
    int rc = view_without_display("DISPLAY=:97", err, sizeof err, &t);
    if (rc == 124) fail_msg("dsim view waited for a window on a display that is not there");
    assert_int_equal(rc, 2);
    assert_non_null(strstr(err, "cannot open a window"));
}

static void load(const char *json, scn_t *scn)
{
    char err[512];
    if (scn_load_string(json, "t.json", scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
}

/* A scenario says how it should first be watched; mistakes are reported with paths. */
static void test_view_scenario_sets_speed_and_selection(void **state)
{
    scn_t scn;
    load("{\"duration\": \"10s\", \"nodes\": 3, \"protocol\": \"raft\", \"view\": {\"speed\": \"50ms\", \"select\": \"n2\"}}", &scn);
    assert_int_equal(scn.view_speed_ns, 50 * SIM_MS);
    assert_true(scn.view_selects);
    assert_int_equal(scn.view_select, 1);
    scn_free(&scn);
    char err[512];
    assert_int_equal(scn_load_string("{\"duration\": \"10s\", \"nodes\": 3, \"protocol\": \"raft\", \"view\": {\"select\": \"n9\"}}",
                                     "t.json", &scn, err, sizeof err), SIM_EINPUT);
    assert_non_null(strstr(err, "$.view.select"));
    assert_int_equal(scn_load_string("{\"duration\": \"10s\", \"nodes\": 3, \"protocol\": \"raft\", \"view\": {\"sped\": \"1s\"}}",
                                     "t.json", &scn, err, sizeof err), SIM_EINPUT);
    assert_non_null(strstr(err, "did you mean \"speed\""));
}

/* Without a "view", the speed brings the first fault within about eight seconds. */
static void test_view_default_speed_reaches_the_first_fault_soon(void **state)
{
    scn_t scn;
    load("{\"duration\": \"60s\", \"nodes\": 3, \"protocol\": \"raft\", \"network\": {\"latency\": \"10ms\"},"
         " \"faults\": [{\"at\": \"40s\", \"crash\": \"n1\"}]}", &scn);
    double sp = viz_default_speed(&scn);
    if (40e9 / sp > 12) fail_msg("the crash at 40s comes %.0f s after opening at %g ns/s", 40e9 / sp, sp);
    scn_free(&scn);
    load("{\"duration\": \"60s\", \"nodes\": 3, \"protocol\": \"raft\", \"network\": {\"latency\": \"10ms\"}}", &scn);
    double calm = viz_default_speed(&scn);
    assert_true(calm < sp);           /* no fault: messages paced to be followed by eye */
    scn_free(&scn);
}

/* w writes the session into the sessions directory ($XDG_DATA_HOME/dsim/sessions, or
 * --out), creating it, and the file replays: it loads as a scenario. */
static void test_view_w_writes_into_the_sessions_directory(void **state)
{
    char tmpl[] = "/tmp/dsim-xdg-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    setenv("XDG_DATA_HOME", tmpl, 1);
    char dir[600], want[600];
    assert_int_equal(viz_sessions_dir(NULL, dir, sizeof dir), SIM_OK);
    snprintf(want, sizeof want, "%s/dsim/sessions", tmpl);
    assert_string_equal(dir, want);
    char err[512] = "";
    run_t *r = run_open("scenarios/echo.json", NULL, err, sizeof err);
    if (!r) fail_msg("run_open: %s", err);
    viz_view_opts_t o = {.w = 800, .h = 600, .select = -1};
    viz_view_t *v = viz_view_create_offscreen(r, &o, err, sizeof err);
    assert_non_null(v);
    char path[1024];
    assert_int_equal(viz_view_write_session(v, path, sizeof path), SIM_OK);
    snprintf(want, sizeof want, "%s/dsim/sessions/echo-session-1.json", tmpl);
    assert_string_equal(path, want);
    scn_t scn;
    if (scn_load_file(path, &scn, err, sizeof err) != SIM_OK) fail_msg("the written session does not load: %s", err);
    scn_free(&scn);
    viz_view_destroy(v);
    /* --out: a directory of the person's choosing, created too. */
    char out[700];
    snprintf(out, sizeof out, "%s/mine/here", tmpl);
    o.out_dir = out;
    v = viz_view_create_offscreen(r, &o, err, sizeof err);
    assert_int_equal(viz_view_write_session(v, path, sizeof path), SIM_OK);
    snprintf(want, sizeof want, "%s/echo-session-1.json", out);
    assert_string_equal(path, want);
    viz_view_destroy(v);
    run_destroy(r);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    assert_int_equal(system(cmd), 0);
}

/* A node's clock is set from its menu, recorded as a clock action like every action. */
static void test_view_clock_set_from_the_node_menu(void **state)
{
    char err[512] = "";
    run_t *r = run_open("scenarios/quorum-lww-skew.json", NULL, err, sizeof err);
    if (!r) fail_msg("run_open: %s", err);
    assert_int_equal(run_seek(r, 1 * SIM_SEC), SIM_OK);
    viz_view_opts_t o = {.w = 1000, .h = 700, .select = -1};
    viz_view_t *v = viz_view_create_offscreen(r, &o, err, sizeof err);
    assert_non_null(v);
    viz_view_render(v);
    int n = viz_view_menu_build(v, 1);
    bool found = false;
    for (int i = 0; i < n; i++) found |= v->menu_items[i] == VIZ_MI_CLOCK_AHEAD;
    assert_true(found);
    sim_node_info_t before;
    sim_node_info(run_sim(r), 1, &before);
    viz_view_menu_run(v, VIZ_MI_CLOCK_AHEAD, 1);
    uint32_t k;
    const sim_action_t *acts = run_actions(r, &k);
    assert_int_equal(k, 1);
    assert_int_equal(acts[0].kind, ACT_CLOCK);
    assert_int_equal(acts[0].clock_mask, CLOCK_F_SKEW);
    assert_int_equal(acts[0].skew_ns, before.clock_ns - 1 * SIM_SEC + 100 * SIM_MS);
    sim_node_info_t after;
    sim_node_info(run_sim(r), 1, &after);
    assert_int_equal(after.clock_ns - run_now(r), acts[0].skew_ns);
    viz_view_menu_run(v, VIZ_MI_CLOCK_FAST, 1);
    acts = run_actions(r, &k);
    assert_int_equal(k, 2);
    assert_int_equal(acts[1].clock_mask, CLOCK_F_DRIFT);
    assert_true(acts[1].drift == 0.01);
    viz_view_destroy(v);
    run_destroy(r);
}

/* Two scenarios on one clock in one picture: both halves drawn at the same --at. The
 * live window shows one scenario at a time and says so. */
static void test_view_two_scenarios_side_by_side(void **state)
{
    if (access(dsim, X_OK) != 0) skip();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "SDL_VIDEODRIVER=dummy '%s' view scenarios/raft-minority-partition.json scenarios/quorum-r1w1-tail.json"
             " --screenshot /tmp/dsim-pair-test.png --at 5s --size 1600x800", dsim);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen("/tmp/dsim-pair-test.png", "rb");
    assert_non_null(f);
    uint8_t h[24];
    assert_int_equal(fread(h, 1, 24, f), 24);
    fclose(f);
    unlink("/tmp/dsim-pair-test.png");
    uint32_t w = (uint32_t)h[16] << 24 | (uint32_t)h[17] << 16 | (uint32_t)h[18] << 8 | h[19];
    assert_int_equal(w, 1600);
    snprintf(cmd, sizeof cmd, "'%s' view scenarios/echo.json scenarios/echo.json 2>/dev/null", dsim);
    int st = system(cmd);
    assert_int_equal(WEXITSTATUS(st), 2);
}

int main(void)
{
    dsim = getenv("DSIM");
    if (!dsim || !*dsim) dsim = "build/dsim";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_without_display_exits_2_at_once),
        cmocka_unit_test(test_view_with_an_unreachable_display_exits_2),
        cmocka_unit_test(test_view_scenario_sets_speed_and_selection),
        cmocka_unit_test(test_view_default_speed_reaches_the_first_fault_soon),
        cmocka_unit_test(test_view_w_writes_into_the_sessions_directory),
        cmocka_unit_test(test_view_clock_set_from_the_node_menu),
        cmocka_unit_test(test_view_two_scenarios_side_by_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
