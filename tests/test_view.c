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

/* Two scenarios on one clock in one picture: both halves drawn at the same --at. */
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
    /* Side by side is a live window too: without a display it says so and exits 2. */
    snprintf(cmd, sizeof cmd, "env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER timeout 2 '%s' view scenarios/echo.json scenarios/echo.json 2>/dev/null", dsim);
    int st = system(cmd);
    assert_int_equal(WEXITSTATUS(st), 2);
}

static bool near_rgb(const uint8_t *p, viz_rgba_t c, int tol)
{
    return abs(p[0] - c.r) <= tol && abs(p[1] - c.g) <= tol && abs(p[2] - c.b) <= tol;
}

/* The pair in one picture at 8 s, three seconds into the same partition: the left pane
 * draws the Raft run (n5 leads the majority), the right the quorum run (no leader), each
 * in its own half; the headers' writes chips are tinted refusing on the left and
 * accepting on the right, and the tallies say Raft refuses writes while the quorum
 * store accepts them all and serves stale reads. */
static void test_view_pair_panes_show_each_side(void **state)
{
    char err[512] = "";
    run_t *r[2] = {run_open("scenarios/cap-raft-partition.json", NULL, err, sizeof err),
                   run_open("scenarios/cap-quorum-partition.json", NULL, err, sizeof err)};
    if (!r[0] || !r[1]) fail_msg("run_open: %s", err);
    for (int k = 0; k < 2; k++) run_until(r[k], 8 * SIM_SEC);
    viz_view_opts_t o = {.w = 1600, .h = 860, .select = -1};
    viz_pair_t *p = viz_pair_create_offscreen(r, &o, err, sizeof err);
    if (!p) fail_msg("%s", err);
    viz_pair_render(p);
    uint8_t *rgb = malloc(1600 * 860 * 3);
    assert_non_null(rgb);
    assert_int_equal(viz_pair_read_rgb(p, rgb), 0);
    viz_view_t *a = viz_pair_pane(p, 0), *b = viz_pair_pane(p, 1);
    const viz_theme_t *th = viz_view_theme(a);
    float x, y;
    viz_view_probe(a, 4, &x, &y);
    const uint8_t *pa = rgb + ((size_t)y * 1600 + (size_t)x) * 3;
    if (!near_rgb(pa, viz_role_color(th, SIM_ROLE_LEADER), 40)) fail_msg("left n5 is %u,%u,%u, not the leader's colour", pa[0], pa[1], pa[2]);
    viz_view_probe(b, 4, &x, &y);
    const uint8_t *pb = rgb + ((size_t)y * 1600 + (size_t)(800 + x)) * 3;
    assert_false(near_rgb(pb, viz_role_color(th, SIM_ROLE_LEADER), 40));
    assert_true(a->has_tally && b->has_tally);
    assert_true(a->tally.recent_refused > 0);
    assert_int_equal(a->tally.stale, 0);
    assert_true(b->tally.stale > 0);
    assert_true(b->tally.recent_ok > 0);
    assert_int_equal(b->tally.recent_refused, 0);
    /* The writes chips, 20 px in, on the header's second row: refusing on the left,
     * accepting on the right. */
    for (int k = 0; k < 2; k++) {
        const uint8_t *chip = rgb + ((size_t)(36 + 2 + 4) * 1600 + (size_t)(k * 800 + 20)) * 3;
        viz_rgba_t want = viz_mix(th->panel, k ? th->ok : th->danger, 0.28f);
        if (!near_rgb(chip, want, 24))
            fail_msg("pane %d's writes chip is %u,%u,%u, expected %u,%u,%u", k, chip[0], chip[1], chip[2], want.r, want.g, want.b);
    }
    /* Both panes are labelled: title text (accent) in each half's first row. */
    for (int k = 0; k < 2; k++) {
        int accent = 0;
        for (int yy = 4; yy < 32; yy++)
            for (int xx = 14; xx < 300; xx++) accent += near_rgb(rgb + ((size_t)yy * 1600 + (size_t)(k * 800 + xx)) * 3, th->accent, 30);
        if (accent < 40) fail_msg("pane %d has no label in its header (%d accent pixels)", k, accent);
    }
    free(rgb);
    viz_pair_destroy(p);
    for (int k = 0; k < 2; k++) run_destroy(r[k]);
}

static void pair_send(viz_pair_t *p, uint32_t type, int x, int y, int sym)
{
    SDL_Event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    if (type == SDL_MOUSEMOTION) { e.motion.x = x; e.motion.y = y; }
    else if (type == SDL_MOUSEBUTTONDOWN || type == SDL_MOUSEBUTTONUP) { e.button.button = SDL_BUTTON_LEFT; e.button.x = x; e.button.y = y; }
    else e.key.keysym.sym = sym;
    bool shot = false;
    viz_pair_event(p, &e, &shot);
    viz_pair_render(p);
}

/* What a person does in either pane happens to both runs: a click on n3 in the right
 * pane and `c` crash n3 on both sides (by name), a drag across the left pane cuts both
 * networks, Home in the right pane rewinds both and a step in the left moves both. */
static void test_view_pair_input_acts_on_both(void **state)
{
    char err[512] = "";
    run_t *r[2] = {run_open("scenarios/cap-raft-partition.json", NULL, err, sizeof err),
                   run_open("scenarios/cap-quorum-partition.json", NULL, err, sizeof err)};
    if (!r[0] || !r[1]) fail_msg("run_open: %s", err);
    for (int k = 0; k < 2; k++) run_until(r[k], 2 * SIM_SEC);
    viz_view_opts_t o = {.w = 1600, .h = 860, .select = -1};
    viz_pair_t *p = viz_pair_create_offscreen(r, &o, err, sizeof err);
    if (!p) fail_msg("%s", err);
    viz_pair_render(p);
    viz_view_t *b = viz_pair_pane(p, 1), *a = viz_pair_pane(p, 0);
    const viz_layout_t *lb = viz_view_layout(b);
    int x = 800 + (int)lb->x[2], y = (int)lb->y[2];
    pair_send(p, SDL_MOUSEMOTION, x, y, 0);
    pair_send(p, SDL_MOUSEBUTTONDOWN, x, y, 0);
    pair_send(p, SDL_MOUSEBUTTONUP, x, y, 0);
    pair_send(p, SDL_KEYDOWN, 0, 0, SDLK_ESCAPE);
    pair_send(p, SDL_KEYDOWN, 0, 0, SDLK_c);
    uint32_t n[2];
    for (int k = 0; k < 2; k++) {
        const sim_action_t *acts = run_actions(r[k], &n[k]);
        assert_int_equal(n[k], 1);
        assert_int_equal(acts[0].kind, ACT_CRASH);
        assert_int_equal(acts[0].at_ns, 2 * SIM_SEC);
        char name[SIM_NAME_MAX];
        scn_node_name(run_scenario(r[k]), acts[0].node, name, sizeof name);
        assert_string_equal(name, "n3");
    }
    /* A cut across the left canvas, between the upper three and the lower two. */
    const viz_layout_t *la = viz_view_layout(a);
    int cy = (int)((la->y[1] + la->y[2]) / 2);           /* between n2 and n3 */
    int x0 = (int)a->canvas.x + 4, x1 = (int)(a->canvas.x + a->canvas.w) - 4;
    pair_send(p, SDL_MOUSEMOTION, x0, cy, 0);
    pair_send(p, SDL_MOUSEBUTTONDOWN, x0, cy, 0);
    pair_send(p, SDL_MOUSEMOTION, x1, cy, 0);
    pair_send(p, SDL_MOUSEBUTTONUP, x1, cy, 0);
    for (int k = 0; k < 2; k++) {
        const sim_action_t *acts = run_actions(r[k], &n[k]);
        assert_int_equal(n[k], 2);
        assert_int_equal(acts[1].kind, ACT_PARTITION);
        assert_true(sim_partitioned(run_sim(r[k])));
    }
    /* Home over the right pane rewinds both; a step over the left moves both alike. */
    pair_send(p, SDL_MOUSEMOTION, 1200, 300, 0);
    pair_send(p, SDL_KEYDOWN, 0, 0, SDLK_HOME);
    assert_int_equal(run_now(r[0]), 0);
    assert_int_equal(run_now(r[1]), 0);
    pair_send(p, SDL_MOUSEMOTION, 300, 300, 0);
    pair_send(p, SDL_KEYDOWN, 0, 0, SDLK_RIGHT);
    assert_true(run_now(r[0]) > 0);
    assert_int_equal(run_now(r[1]), run_now(r[0]));
    viz_pair_destroy(p);
    for (int k = 0; k < 2; k++) run_destroy(r[k]);
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
        cmocka_unit_test(test_view_pair_panes_show_each_side),
        cmocka_unit_test(test_view_pair_input_acts_on_both),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
