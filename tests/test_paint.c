/* test_paint.c -- what the window says about a message: its fields, decoded by its
 * protocol, for raft (as RaftScope shows them), paxos, quorum and stream.
 */
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
#include "proto/raft.h"
#include "run/run.h"
#include "view.h"
#include "view_int.h"

/* Pixels of colour c (within 30 per channel) in the rectangle, in an RGB picture. */
static int colour_in(const uint8_t *rgb, int w, viz_rgba_t c, float x0, float y0, float x1, float y1)
{
    int n = 0;
    for (int y = (int)y0; y < (int)y1; y++)
        for (int x = (int)x0; x < (int)x1; x++) {
            const uint8_t *p = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
            n += abs(p[0] - c.r) < 30 && abs(p[1] - c.g) < 30 && abs(p[2] - c.b) < 30;
        }
    return n;
}

/* The scenario at path run to time at (if at >= 0; AT_END for its end), in a 1280x800
 * offscreen view with node select selected (-1 for none); *rp gets the run, to destroy
 * after the view. */
#define AT_END INT64_MAX
static viz_view_t *open_view(const char *path, sim_time_t at, int64_t select, run_t **rp)
{
    char err[512] = "";
    run_t *r = run_open(path, NULL, err, sizeof err);
    if (!r) fail_msg("run_open %s: %s", path, err);
    if (at == AT_END) at = run_end(r);
    if (at >= 0) assert_int_equal(run_seek(r, at), SIM_OK);
    viz_view_opts_t o = {.w = 1280, .h = 800, .select = select};
    viz_view_t *v = viz_view_create_offscreen(r, &o, err, sizeof err);
    if (!v) fail_msg("offscreen view of %s: %s", path, err);
    *rp = r;
    return v;
}

static void test_paint_raft_reply_fields(void **state)
{
    const proto_t *p = proto_find("raft");
    assert_non_null(p->describe_msg);
    raft_append_reply_t ok = {.term = 3, .match_index = 7, .success = 1};
    char buf[160];
    assert_true(p->describe_msg(RAFT_APPEND_REPLY, &ok, sizeof ok, buf, sizeof buf) > 0);
    assert_string_equal(buf, "term 3, success, match index 7");
    raft_vote_reply_t no = {.term = 4, .granted = 0};
    assert_true(p->describe_msg(RAFT_VOTE_REPLY, &no, sizeof no, buf, sizeof buf) > 0);
    assert_string_equal(buf, "term 4, vote refused");
    /* A payload too short for its type says nothing rather than reading past it. */
    assert_int_equal(p->describe_msg(RAFT_APPEND_REPLY, &ok, 4, buf, sizeof buf), 0);
}

typedef struct scan { const sim_t *sim; uint32_t decoded, seen; char sample[160]; const char *want; bool wanted, builtin; } scan_t;

static void scan_fn(void *ud, const sim_flight_t *f)
{
    scan_t *sc = ud;
    char buf[160];
    if ((f->type < SIM_MSG_BUILTIN) != sc->builtin) return;
    sc->seen++;
    if (!viz_msg_fields(sc->sim, f->id, buf, sizeof buf)) return;
    sc->decoded++;
    if (!sc->sample[0]) snprintf(sc->sample, sizeof sc->sample, "%s", buf);
    if (strstr(buf, sc->want)) sc->wanted = true;
}

/* Every protocol message in flight at a moment of a real run is decoded. */
static void expect_decoded_as(const char *path, sim_time_t at, const char *want, bool builtin)
{
    char err[512] = "";
    run_t *r = run_open(path, NULL, err, sizeof err);
    if (!r) fail_msg("run_open %s: %s", path, err);
    scan_t sc = {.want = want, .builtin = builtin};
    /* A millisecond at a time from `at`, until enough messages were looked at. */
    for (int k = 0; k < 2000 && sc.seen < 40; k++) {
        assert_int_equal(run_seek(r, at + k * SIM_MS), SIM_OK);
        sc.sim = run_sim(r);
        sim_each_flight(run_sim(r), scan_fn, &sc);
    }
    if (sc.seen == 0) fail_msg("%s: no protocol message in flight at the chosen moment", path);
    if (sc.decoded != sc.seen) fail_msg("%s: %u of %u messages decoded (e.g. %s)", path, sc.decoded, sc.seen, sc.sample);
    if (!sc.wanted) fail_msg("%s: no decoded message says \"%s\" (e.g. %s)", path, want, sc.sample);
    print_message("%s: e.g. %s\n", path, sc.sample);
    run_destroy(r);
}

static void expect_decoded(const char *path, sim_time_t at, const char *want) { expect_decoded_as(path, at, want, false); }

static void test_paint_messages_in_flight_are_decoded(void **state)
{
    expect_decoded("scenarios/raft-leader-crash.json", 1 * SIM_SEC + 3 * SIM_MS, "term ");
    expect_decoded("scenarios/paxos-basic.json", 1 * SIM_SEC + 3 * SIM_MS, "ballot (");
    expect_decoded("scenarios/quorum-r2w2.json", 1 * SIM_SEC + 3 * SIM_MS, "k");
    expect_decoded("scenarios/stream-vs-batch.json", 5 * SIM_SEC + 3 * SIM_MS, "offset");
    /* Every protocol with messages of its own says what they carry. */
    expect_decoded("scenarios/shard-ring-join.json", 10 * SIM_SEC, "moving k");
    expect_decoded("scenarios/2pc-basic.json", 1 * SIM_SEC, "txn ");
    expect_decoded("scenarios/gossip-partition.json", 1 * SIM_SEC, "value");
    expect_decoded("scenarios/crdt-counter-partition.json", 1 * SIM_SEC, "state of k0");
    expect_decoded("scenarios/epidemic-rumor-k1.json", 3 * SIM_SEC, "rumor: ");
    expect_decoded("scenarios/pb-sync.json", 1 * SIM_SEC, "view ");
    expect_decoded("scenarios/chain-basic.json", 1 * SIM_SEC, "update ");
    /* Client requests and replies, of any protocol: echo has nothing else. */
    expect_decoded_as("scenarios/echo.json", 1 * SIM_SEC, "(op ", true);
}

/* A scenario that names its nodes sees those names in a message's fields, not the
 * "n<i+1>" a protocol's describe_msg writes without knowing the scenario. */
static void test_paint_message_fields_use_the_scenario_names(void **state)
{
    (void)state;
    FILE *in = fopen("scenarios/pb-sync.json", "r");
    assert_non_null(in);
    static char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[n] = 0;
    char *at = strstr(text, "\"nodes\": 4");
    assert_non_null(at);
    static char named[17000];
    snprintf(named, sizeof named, "%.*s\"nodes\": [{\"name\": \"alpha\"}, {\"name\": \"bravo\"}, {\"name\": \"carol\"}, {\"name\": \"dora\"}]%s",
             (int)(at - text), text, at + strlen("\"nodes\": 4"));
    char path[] = "/tmp/dsim-named-XXXXXX.json";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, named, strlen(named)), (ssize_t)strlen(named));
    close(fd);
    expect_decoded(path, 1 * SIM_SEC, "primary alpha");
    unlink(path);
}

/* Between the majority's new term and its election, the old leader cut off on the
 * minority side still leads: the panel names it rather than saying only "none". */
static void test_paint_leader_row_names_a_stale_leader(void **state)
{
    (void)state;
    char err[512] = "", b[128];
    run_t *r = run_open("scenarios/raft-minority-partition.json", NULL, err, sizeof err);
    if (!r) fail_msg("run_open: %s", err);
    assert_int_equal(run_seek(r, 4158 * SIM_MS), SIM_OK);   /* n1 is a candidate of term 2 */
    assert_int_equal(viz_leader_text(run_sim(r), b, sizeof b), 2);
    assert_string_equal(b, "none in term 2; n3 still leads term 1");
    assert_int_equal(run_seek(r, 6 * SIM_SEC), SIM_OK);     /* n1 leads term 2 */
    assert_int_equal(viz_leader_text(run_sim(r), b, sizeof b), 1);
    assert_string_equal(b, "n1 \xc2\xb7 leader, term 2");
    run_destroy(r);
    /* A protocol without leaders has no leader row. */
    r = run_open("scenarios/quorum-r2w2.json", NULL, err, sizeof err);
    if (!r) fail_msg("run_open: %s", err);
    assert_int_equal(viz_leader_text(run_sim(r), b, sizeof b), 0);
    run_destroy(r);
}

/* A clicked message's fields stay pinned in a box (with the accent's stripe, "you")
 * in a corner of the servers' area, decoded, until Esc closes it. */
static void test_paint_clicked_message_fields_are_pinned(void **state)
{
    enum { W = 1280, H = 800 };
    run_t *r;
    viz_view_t *v = open_view("scenarios/raft-leader-crash.json", 1 * SIM_SEC + 3 * SIM_MS, -1, &r);
    static uint8_t rgb[W * H * 3];
    viz_view_render(v);
    assert_int_equal(viz_view_read_rgb(v, rgb), 0);
    assert_int_equal(v->pin_box.w, 0);
    uint32_t k = 0;
    for (int ms = 0; ms < 200; ms++) {       /* the next moment with a protocol message in flight */
        for (k = 0; k < v->n_fl && v->fl[k].type < SIM_MSG_BUILTIN; k++) {}
        if (k < v->n_fl) break;
        assert_int_equal(run_seek(r, 1 * SIM_SEC + (4 + ms) * SIM_MS), SIM_OK);
        viz_view_render(v);
    }
    if (k == v->n_fl) fail_msg("no protocol message in flight to pin");
    viz_view_pin(v, &v->fl[k], false);
    assert_true(v->pin_n >= 4);
    if (!strstr(v->pin[2], "term ")) fail_msg("the pinned box does not decode the message: %s", v->pin[2]);
    viz_view_render(v);
    assert_int_equal(viz_view_read_rgb(v, rgb), 0);
    if (getenv("DSIM_PICTURES")) viz_view_save_png(v, "pic-pinned.png");
    const viz_frect_t *p = &v->pin_box;
    assert_true(p->w > 0 && p->x >= v->canvas.x && p->y >= v->canvas.y && p->y + p->h <= v->canvas.y + v->canvas.h);
    int stripe = colour_in(rgb, W, viz_view_theme(v)->accent, p->x, p->y, p->x + 4, p->y + p->h);
    if (stripe < 40) fail_msg("no pinned box drawn (%d accent pixels in its stripe)", stripe);
    /* Unpinned (what Esc does), no box. */
    v->pin_n = 0;
    viz_view_render(v);
    assert_int_equal(v->pin_box.w, 0);
    viz_view_destroy(v);
    run_destroy(r);
}

/* Underscores show at every font size: the small font's used to be cut off below
 * the line ("keys moved fraction" for keys_moved_fraction). */
static void test_paint_underscores_are_drawn(void **state)
{
    enum { W = 1280, H = 800 };
    run_t *r;
    viz_view_t *v = open_view("scenarios/echo.json", -1, -1, &r);
    viz_view_render(v);
    static uint8_t rgb[W * H * 3];
    viz_rgba_t white = {255, 255, 255, 255};
    for (int f = VIZ_FONT_SMALL; f <= VIZ_FONT_MONO; f++) {
        float x = v->canvas.x + 300, y = v->canvas.y + 200 + 40 * (float)f, fh = viz_font_height(v->d, (viz_font_id_t)f);
        viz_fill_rect(v->d, x - 4, y - 4, 200, fh + 8, (viz_rgba_t){0, 0, 0, 255});
        viz_text(v->d, (viz_font_id_t)f, x, y, "__________", white);
        viz_draw_flush(v->d);
        assert_int_equal(viz_view_read_rgb(v, rgb), 0);
        int n = colour_in(rgb, W, white, x, y, x + 190, y + fh + 2);
        if (n < 20) fail_msg("font %d draws no underscore (%d pixels)", f, n);
    }
    viz_view_destroy(v);
    run_destroy(r);
}

/* Neighbouring ticks never print the same label, at any zoom. */
static void test_paint_time_axis_labels_are_distinct(void **state)
{
    const double steps[] = {1e3, 2e3, 5e3, 1e5, 1e6, 5e6, 2e7, 1e8, 5e8, 1e9, 5e9};
    const sim_time_t origins[] = {0, 7 * SIM_MS + 300, 5980 * SIM_MS, 123 * SIM_SEC};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        for (size_t o = 0; o < sizeof origins / sizeof origins[0]; o++) {
            char prev[32] = "", cur[32];
            double t0 = ceil((double)origins[o] / steps[i]) * steps[i];
            for (int k = 0; k < 8; k++) {
                viz_tick_label((sim_time_t)(t0 + k * steps[i]), steps[i], cur, sizeof cur);
                if (strcmp(prev, cur) == 0) fail_msg("two ticks %g ns apart both read \"%s\"", steps[i], cur);
                snprintf(prev, sizeof prev, "%s", cur);
            }
        }
    char b[32];
    assert_string_equal(viz_tick_label(5985 * SIM_MS, 5e6, b, sizeof b), "5.985s");
}

/* The diagram's name column fits the longest name whole ("producer1", not "produ..."). */
static void test_paint_lane_names_are_whole(void **state)
{
    run_t *r;
    viz_view_t *v = open_view("scenarios/stream-vs-batch.json", -1, -1, &r);
    viz_view_render(v);
    float g = viz_view_strip_gutter(v);
    for (uint32_t i = 0; i < v->n_nodes; i++) {
        float w = viz_text_width(v->d, VIZ_FONT_SMALL, v->nd[i].info.name);
        if (w + 12 * v->s > g) fail_msg("lane name %s (%.0f px) does not fit the %.0f px column", v->nd[i].info.name, w, g);
    }
    viz_view_destroy(v);
    run_destroy(r);
}

/* Every lane of the diagram has its name: thirteen lanes closer than a line of text
 * get two staggered columns of names, each name whole, each at its lane's height,
 * and no two names of one column closer than a line. */
static void test_paint_every_lane_is_labelled(void **state)
{
    run_t *r;
    viz_view_t *v = open_view("scenarios/shard-modn-join.json", -1, -1, &r);
    viz_view_render(v);
    float fh = viz_font_height(v->d, VIZ_FONT_SMALL), lane = viz_view_lane_y(v, 1) - viz_view_lane_y(v, 0);
    if (lane >= fh) fail_msg("the lanes are %.1f px apart: this test wants them closer than a line (%.1f px)", lane, fh);
    assert_true(v->strip_two_cols);
    assert_true(2 * lane >= fh);
    float g = viz_view_strip_gutter(v);
    if (2 * v->strip_name_w + 8 * v->s + 8 * v->s > g) fail_msg("two columns of names (%.0f px each) do not fit the %.0f px gutter", v->strip_name_w, g);
    viz_view_destroy(v);
    run_destroy(r);
}

/* Five hundred lanes, under a pixel each, are not drawn as one grey block: the
 * diagram stays mostly background, with the selected node's lane drawn. */
static void test_paint_crowded_lanes_do_not_fill_the_diagram(void **state)
{
    enum { W = 1280, H = 800 };
    run_t *r;
    viz_view_t *v = open_view("scenarios/epidemic-rumor-k1.json", 5900 * SIM_MS, 40, &r);
    static uint8_t rgb[W * H * 3];
    viz_view_render(v);
    assert_int_equal(viz_view_read_rgb(v, rgb), 0);
    if (getenv("DSIM_PICTURES")) viz_view_save_png(v, "pic-crowded-lanes.png");
    const viz_frect_t *R = &v->strip;
    float x0 = R->x + viz_view_strip_gutter(v) + 4 * v->s, x1 = R->x + R->w * 0.4f;
    float y0 = R->y + 40 * v->s, y1 = R->y + R->h - 10 * v->s;
    int area = (int)(x1 - x0) * (int)(y1 - y0);
    int bg = colour_in(rgb, W, viz_view_theme(v)->panel, x0, y0, x1, y1);
    if (bg < area / 2) fail_msg("only %d of %d pixels of the diagram are background: the lanes fill it", bg, area);
    float y = viz_view_lane_y(v, 40);
    int lane = colour_in(rgb, W, viz_view_theme(v)->link, x0, y - 1, x1, y + 2);
    if (lane < (int)(x1 - x0) / 2) fail_msg("the selected node's lane is not drawn (%d pixels)", lane);
    viz_view_destroy(v);
    run_destroy(r);
}

/* Danger-coloured pixels within r of (x, y) in an RGB picture w pixels wide. */
static int danger_near(const uint8_t *rgb, int w, int h, viz_rgba_t c, float x, float y, int r)
{
    int n = 0;
    for (int yy = (int)y - r; yy <= (int)y + r; yy++)
        for (int xx = (int)x - r; xx <= (int)x + r; xx++) {
            if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
            const uint8_t *p = rgb + ((size_t)yy * (size_t)w + (size_t)xx) * 3;
            n += abs(p[0] - c.r) < 40 && abs(p[1] - c.g) < 40 && abs(p[2] - c.b) < 40;
        }
    return n;
}

/* A one-way cut is drawn with arrowheads pointing the blocked way: from n1's side
 * towards n8 in gossip-ring-oneway ({n1..n4} cannot reach {n5..n8}). The arrowheads
 * sit at 40% and 60% of the link; a plain dashed cut has only a thin dash there. */
static void test_paint_one_way_cut_has_a_direction(void **state)
{
    char err[512] = "";
    run_t *r = run_open("scenarios/gossip-ring-oneway.json", NULL, err, sizeof err);
    if (!r) fail_msg("run_open: %s", err);
    assert_int_equal(run_seek(r, 6 * SIM_SEC), SIM_OK);
    const sim_t *sim = run_sim(r);
    assert_true(sim_link_blocked(sim, 0, 7));     /* n1 -> n8 */
    assert_false(sim_link_blocked(sim, 7, 0));
    enum { W = 1280, H = 800 };
    viz_view_opts_t o = {.w = W, .h = H, .select = -1};
    viz_view_t *v = viz_view_create_offscreen(r, &o, err, sizeof err);
    if (!v) fail_msg("offscreen view: %s", err);
    viz_view_render(v);
    static uint8_t rgb[W * H * 3];
    assert_int_equal(viz_view_read_rgb(v, rgb), 0);
    float x1, y1, x8, y8;
    x1 = v->lay.x[0];
    y1 = v->lay.y[0];
    x8 = v->lay.x[7];
    y8 = v->lay.y[7];
    const viz_theme_t *th = viz_view_theme(v);
    int at40 = danger_near(rgb, W, H, th->danger, x1 + 0.4f * (x8 - x1), y1 + 0.4f * (y8 - y1), 4);
    int at60 = danger_near(rgb, W, H, th->danger, x1 + 0.6f * (x8 - x1), y1 + 0.6f * (y8 - y1), 4);
    if (at40 < 15 || at60 < 15) fail_msg("no arrowhead on the one-way cut (%d and %d danger pixels; n1 at %.0f,%.0f, n8 at %.0f,%.0f; t=%lld)", at40, at60, x1, y1, x8, y8, (long long)run_now(r));
    /* Healed at 10s: the same place holds no arrowhead any more. */
    assert_int_equal(run_seek(r, 12 * SIM_SEC), SIM_OK);
    viz_view_render(v);
    assert_int_equal(viz_view_read_rgb(v, rgb), 0);
    int healed = danger_near(rgb, W, H, th->danger, x1 + 0.4f * (x8 - x1), y1 + 0.4f * (y8 - y1), 4);
    assert_true(healed < at40);
    viz_view_destroy(v);
    run_destroy(r);
}

/* The side panel shows the protocol's own figures, the same lines as dsim run's. */
static void test_paint_panel_shows_the_protocol_figures(void **state)
{
    run_t *r;
    viz_view_t *v = open_view("scenarios/stream-late-tight.json", AT_END, -1, &r);
    viz_view_render(v);
    assert_non_null(v->ptext);
    bool late = false;
    for (uint32_t i = 0; i < v->ptext->n; i++)
        if (strcmp(v->ptext->label[i], "late events") == 0 && strstr(v->ptext->text[i], "320 dropped")) late = true;
    assert_true(late);
    viz_view_destroy(v);
    run_destroy(r);
}


/* The colour a count of canvas pixels looks for: one of the theme's, or one given. */
typedef enum { PX_GIVEN, PX_OK, PX_DANGER, PX_ACCENT, PX_TEXT } px_colour_t;

/* Renders a scenario at time t (saving it to `save` if given) and counts pixels of a
 * colour in the top of the canvas, from x0 to x1 of its width and down to y1 of its
 * height (fractions), where pictures go. */
static int canvas_pixels(const char *path, sim_time_t t, px_colour_t which, viz_rgba_t given,
                         float x0, float x1, float y1, const char *save)
{
    enum { W = 1280, H = 800 };
    run_t *r;
    viz_view_t *v = open_view(path, t, -1, &r);
    viz_view_render(v);
    static uint8_t rgb[W * H * 3];
    assert_int_equal(viz_view_read_rgb(v, rgb), 0);
    if (save) viz_view_save_png(v, save);
    const viz_theme_t *th = viz_view_theme(v);
    viz_rgba_t c = which == PX_OK ? th->ok : which == PX_DANGER ? th->danger : which == PX_ACCENT ? th->accent
                 : which == PX_TEXT ? th->text : given;
    int n = colour_in(rgb, W, c, v->canvas.x + v->canvas.w * x0, v->canvas.y, v->canvas.x + v->canvas.w * x1,
                      v->canvas.y + v->canvas.h * y1);
    viz_view_destroy(v);
    run_destroy(r);
    return n;
}

/* The commit-index green in the canvas's top right corner, where the raft log picture
 * goes. */
static int commit_marks(const char *path, sim_time_t t, const char *save)
{
    return canvas_pixels(path, t, PX_OK, (viz_rgba_t){0}, 0.55f, 1, 0.4f, save);
}

/* Raft's logs are drawn, with their commit marks, only when raft is on screen. */
static void test_paint_raft_logs_picture(void **state)
{
    int raft = commit_marks("scenarios/raft-leader-crash.json", 5300 * SIM_MS, getenv("DSIM_PICTURES") ? "pic-raft-logs.png" : NULL);
    if (raft < 40) fail_msg("only %d commit-index pixels in the log picture", raft);
    assert_int_equal(commit_marks("scenarios/gossip-partition.json", 5 * SIM_SEC, NULL), 0);
    /* Multi-Paxos: its slots, with the applied point marked the same way. */
    int paxos = commit_marks("scenarios/paxos-basic.json", 3 * SIM_SEC, getenv("DSIM_PICTURES") ? "pic-paxos-logs.png" : NULL);
    if (paxos < 20) fail_msg("only %d applied-point pixels in the paxos log picture", paxos);
}

/* Pixels of the danger colour (else the accent) in the canvas's top right corner. */
static int corner_colour(const char *path, sim_time_t t, bool danger, const char *save)
{
    return canvas_pixels(path, t, danger ? PX_DANGER : PX_ACCENT, (viz_rgba_t){0}, 0.62f, 1, 0.45f, save);
}

/* Sharding: load bars per node, the hottest node's requests in the warning colour. */
static void test_paint_shard_load_picture(void **state)
{
    int hot = corner_colour("scenarios/shard-zipf-hotspot.json", 10 * SIM_SEC, true, getenv("DSIM_PICTURES") ? "pic-shard.png" : NULL);
    if (hot < 100) fail_msg("no hot-spot bar in the load picture (%d pixels)", hot);
    int bars = corner_colour("scenarios/shard-zipf-hotspot.json", 10 * SIM_SEC, false, NULL);
    assert_true(bars > 500);
}

/* Pixels of colour c (the text colour when text) in the canvas's top right corner. */
static int corner_pixels(const char *path, sim_time_t t, viz_rgba_t c, bool text, const char *save)
{
    return canvas_pixels(path, t, text ? PX_TEXT : PX_GIVEN, c, 0.5f, 1, 0.45f, save);
}

/* Sharding: the ring is drawn with each owner's arcs (n1's in the first owner colour,
 * orange), and the keys n9's join moved stand out as marks outside the ring; before
 * the join there are none. */
static void test_paint_shard_ring_picture(void **state)
{
    viz_rgba_t orange = viz_theme_dark.group[1];
    int arcs = corner_pixels("scenarios/shard-ring-join.json", 9 * SIM_SEC, orange, false, NULL);
    if (arcs < 150) fail_msg("no arcs of n1 on the ring (%d pixels)", arcs);
    int before = corner_pixels("scenarios/shard-ring-join.json", 9900 * SIM_MS, orange, true, NULL);
    int after = corner_pixels("scenarios/shard-ring-join.json", 10100 * SIM_MS, orange, true, getenv("DSIM_PICTURES") ? "pic-shard-ring.png" : NULL);
    if (after < before + 150) fail_msg("the keys moved by the join are not marked (%d text pixels before, %d after)", before, after);
    /* Hash mod N moves almost every key: many more marks than the ring's 1/N. */
    int modn = corner_pixels("scenarios/shard-modn-join.json", 10100 * SIM_MS, orange, true, NULL);
    if (modn < after + 300) fail_msg("mod N's moves look no bigger than the ring's (%d against %d)", modn, after);
    /* Nothing of the kind for a protocol without a ring. */
    assert_int_equal(corner_pixels("scenarios/gossip-partition.json", 5 * SIM_SEC, orange, false, NULL), 0);
}

/* Pixels of the danger colour in the band of the canvas from x0 to x1 (fractions of
 * its width), top 45%, at time t of a scenario. */
static int band_colour(const char *path, sim_time_t t, float x0, float x1)
{
    return canvas_pixels(path, t, PX_DANGER, (viz_rgba_t){0}, x0, x1, 0.45f, NULL);
}

/* Streaming: partitions with their high watermarks and lag, stream and batch latency. */
static void test_paint_stream_picture(void **state)
{
    /* The footer's windows and late events are not trouble: only "acked lost 7", at the
     * line's right end, is in the warning colour, not the whole line. */
    int left = band_colour("scenarios/stream-acks1-crash.json", 20 * SIM_SEC, 0.5f, 0.74f);
    if (left > 0) fail_msg("%d warning-coloured pixels left of \"acked lost\": the whole footer line is vermillion", left);
    int bars = corner_colour("scenarios/stream-acks1-crash.json", 20 * SIM_SEC, false, getenv("DSIM_PICTURES") ? "pic-stream.png" : NULL);
    if (bars < 300) fail_msg("no partition bars in the stream picture (%d pixels)", bars);
    /* acks=1 lost acknowledged records: the line that says so is in the warning colour. */
    int lost = corner_colour("scenarios/stream-acks1-crash.json", 20 * SIM_SEC, true, NULL);
    if (lost < 8) fail_msg("\"acked lost 7\" is not in the warning colour (%d pixels)", lost);
    assert_int_equal(corner_colour("scenarios/stream-acksall-crash.json", 20 * SIM_SEC, true, NULL), 0);
}

/* Streaming: the window timeline marks the late events a tight watermark drops (in
 * the warning colour, where their event time falls); a loose watermark drops none. */
static void test_paint_stream_window_timeline(void **state)
{
    int tight = corner_colour("scenarios/stream-late-tight.json", 8 * SIM_SEC, true, getenv("DSIM_PICTURES") ? "pic-stream-late.png" : NULL);
    if (tight < 50) fail_msg("no dropped late events on the timeline (%d pixels)", tight);
    assert_int_equal(corner_colour("scenarios/stream-late-loose.json", 8 * SIM_SEC, true, NULL), 0);
    /* The watermark is drawn on every partition's row, in the accent colour. */
    assert_true(corner_colour("scenarios/stream-late-loose.json", 8 * SIM_SEC, false, NULL) > 300);
}

/* CRDTs: the replicas' picture says they differ during the partition and shows the
 * moment of convergence (in the ok colour) once they agree again (10.29s). */
static void test_paint_crdt_convergence_picture(void **state)
{
    enum { W = 1280, H = 800 };
    run_t *r;
    viz_view_t *v = open_view("scenarios/crdt-orset-partition.json", -1, -1, &r);
    static uint8_t rgb[W * H * 3];
    int ok[2];
    const sim_time_t at[2] = {8 * SIM_SEC, 12 * SIM_SEC};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(run_seek(r, at[k]), SIM_OK);
        viz_view_render(v);
        assert_int_equal(viz_view_read_rgb(v, rgb), 0);
        if (k && getenv("DSIM_PICTURES")) viz_view_save_png(v, "pic-crdt.png");
        ok[k] = colour_in(rgb, W, viz_view_theme(v)->ok, v->canvas.x + v->canvas.w * 0.6f, v->canvas.y,
                          v->canvas.x + v->canvas.w, v->canvas.y + v->canvas.h * 0.3f);
    }
    assert_int_equal(ok[0], 0);
    if (ok[1] < 30) fail_msg("no convergence mark after the replicas agreed (%d pixels)", ok[1]);
    viz_view_destroy(v);
    run_destroy(r);
}

/* CRDTs: each replica's value is listed, a replica that has just merged a state
 * message wears a ring in that message's colour, and the moment of convergence is a
 * line on the space-time diagram (in the ok colour) once the replicas agree. */
static void test_paint_crdt_merges_and_convergence_line(void **state)
{
    enum { W = 1280, H = 800 };
    run_t *r;
    viz_view_t *v = open_view("scenarios/crdt-orset-partition.json", -1, -1, &r);
    static uint8_t rgb[W * H * 3];
    const sim_time_t at[2] = {8 * SIM_SEC, 10350 * SIM_MS};
    int line[2], rings[2];
    viz_rgba_t state_colour = viz_msg_color(viz_view_theme(v), (unsigned)proto_msg_type(sim_protocol(run_sim(r)), "state"));
    for (int k = 0; k < 2; k++) {
        assert_int_equal(run_seek(r, at[k]), SIM_OK);
        viz_view_render(v);
        assert_int_equal(viz_view_read_rgb(v, rgb), 0);
        if (k && getenv("DSIM_PICTURES")) viz_view_save_png(v, "pic-crdt-converged.png");
        line[k] = colour_in(rgb, W, viz_view_theme(v)->ok, v->strip.x + 60, v->strip.y + 20, v->strip.x + v->strip.w, v->strip.y + v->strip.h);
        rings[k] = colour_in(rgb, W, state_colour, v->canvas.x, v->canvas.y, v->canvas.x + v->canvas.w, v->canvas.y + v->canvas.h);
    }
    assert_int_equal(line[0], 0);
    if (line[1] < 30) fail_msg("no convergence line on the diagram after the replicas agreed (%d pixels)", line[1]);
    /* Mid-partition, state messages fly and land: merge rings (and dots) in their colour. */
    if (rings[0] < 40) fail_msg("no merge shown during gossip (%d pixels)", rings[0]);
    viz_view_destroy(v);
    run_destroy(r);
}

/* 2PC: the participants blocked by the coordinator's crash are listed, holding their
 * keys since they voted, in the warning colour; after the restart resolves them, none. */
static void test_paint_tpc_blocked_picture(void **state)
{
    int during = corner_colour("scenarios/2pc-blocked.json", 5 * SIM_SEC, true, getenv("DSIM_PICTURES") ? "pic-2pc.png" : NULL);
    if (during < 50) fail_msg("no blocked participant shown at 5s (%d pixels)", during);
    assert_int_equal(corner_colour("scenarios/2pc-blocked.json", 9500 * SIM_MS, true, NULL), 0);
}

/* Epidemics: nodes as susceptible, infective and removed cells, in colours of their
 * own (viz_theme_t.sir); mid-rumor most are infective, at the end the rumors have
 * died out and none are, and the nodes on the canvas carry the same colours. */
static void test_paint_epidemic_picture(void **state)
{
    viz_rgba_t inf = viz_theme_dark.sir[1], rem = viz_theme_dark.sir[2];
    int mid = corner_pixels("scenarios/epidemic-rumor-k1.json", 12 * SIM_SEC, inf, false, getenv("DSIM_PICTURES") ? "pic-epidemic.png" : NULL);
    if (mid < 500) fail_msg("no infective cells mid-rumor (%d pixels)", mid);
    int end = corner_pixels("scenarios/epidemic-rumor-k1.json", 40 * SIM_SEC, inf, false, NULL);
    assert_true(end < mid / 4);
    /* Anti-entropy reaches everyone: by the end the cells are removed (every update, nothing hot). */
    int done = corner_pixels("scenarios/epidemic-anti-entropy.json", 30 * SIM_SEC, rem, false, getenv("DSIM_PICTURES") ? "pic-epidemic-ae.png" : NULL);
    if (done < 300) fail_msg("no removed cells once anti-entropy is done (%d pixels)", done);
    /* Not a colour of any other protocol's picture. */
    assert_int_equal(corner_pixels("scenarios/gossip-partition.json", 5 * SIM_SEC, inf, false, NULL), 0);
}

/* Quorums: the stale reads are counted in the warning colour where r + w <= n, and the
 * t-visibility bars are drawn; with r = w = 2 nothing is stale. */
static void test_paint_quorum_picture(void **state)
{
    int stale = corner_colour("scenarios/quorum-r1w1-tail.json", 10 * SIM_SEC, true, getenv("DSIM_PICTURES") ? "pic-quorum.png" : NULL);
    if (stale < 30) fail_msg("stale reads not shown (%d pixels)", stale);
    assert_true(corner_colour("scenarios/quorum-r1w1-tail.json", 10 * SIM_SEC, false, NULL) > 500);
    assert_int_equal(corner_colour("scenarios/quorum-r2w2.json", 10 * SIM_SEC, true, NULL), 0);
}

/* Stale reads are marked where they happen: on the client's row of the space-time
 * diagram, in the warning colour. With r = w = 1 a few seconds in there are some in
 * view; with r = w = 2 none, and the legend keeps clear of the picture. */
static int strip_danger(const char *path, sim_time_t t, const char *save)
{
    enum { W = 1280, H = 800 };
    run_t *r;
    viz_view_t *v = open_view(path, t, -1, &r);
    viz_view_render(v);
    static uint8_t rgb[W * H * 3];
    assert_int_equal(viz_view_read_rgb(v, rgb), 0);
    if (save) viz_view_save_png(v, save);
    /* Only the clients' rows: servers' rows carry no stale marks. */
    float y0 = viz_view_lane_y(v, v->n_servers) - 8;
    int n = colour_in(rgb, W, viz_view_theme(v)->danger, v->strip.x + 60, y0, v->strip.x + v->strip.w, v->strip.y + v->strip.h);
    assert_true(v->pic_box.w > 0);
    viz_view_destroy(v);
    run_destroy(r);
    return n;
}

/* Pinning a message that carries a key makes the quorum picture follow that key. */
static void test_paint_quorum_follows_a_pinned_key(void **state)
{
    run_t *r;
    viz_view_t *v = open_view("scenarios/quorum-r2w2.json", -1, -1, &r);
    int store = proto_msg_type(sim_protocol(run_sim(r)), "store");
    uint32_t k = 0;
    for (int ms = 0; ms < 500; ms++) {
        assert_int_equal(run_seek(r, 3 * SIM_SEC + ms * SIM_MS), SIM_OK);
        viz_view_render(v);
        for (k = 0; k < v->n_fl && v->fl[k].type != store; k++) {}
        if (k < v->n_fl) break;
    }
    if (k == v->n_fl) fail_msg("no store message in flight to pin");
    viz_view_pin(v, &v->fl[k], false);
    unsigned key;
    if (sscanf(v->pin[2], "k%u", &key) != 1) fail_msg("a store's fields do not start with its key: %s", v->pin[2]);
    viz_view_render(v);
    assert_int_equal(v->pic->key_shown, key);
    viz_view_destroy(v);
    run_destroy(r);
}

static void test_paint_quorum_stale_reads_marked(void **state)
{
    int marks = strip_danger("scenarios/quorum-r1w1-tail.json", 3 * SIM_SEC, getenv("DSIM_PICTURES") ? "pic-quorum-stale.png" : NULL);
    if (marks < 20) fail_msg("no stale read marked on the clients' rows (%d pixels)", marks);
    assert_int_equal(strip_danger("scenarios/quorum-r2w2.json", 3 * SIM_SEC, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paint_raft_reply_fields),
        cmocka_unit_test(test_paint_messages_in_flight_are_decoded),
        cmocka_unit_test(test_paint_leader_row_names_a_stale_leader),
        cmocka_unit_test(test_paint_message_fields_use_the_scenario_names),
        cmocka_unit_test(test_paint_clicked_message_fields_are_pinned),
        cmocka_unit_test(test_paint_time_axis_labels_are_distinct),
        cmocka_unit_test(test_paint_underscores_are_drawn),
        cmocka_unit_test(test_paint_lane_names_are_whole),
        cmocka_unit_test(test_paint_every_lane_is_labelled),
        cmocka_unit_test(test_paint_crowded_lanes_do_not_fill_the_diagram),
        cmocka_unit_test(test_paint_one_way_cut_has_a_direction),
        cmocka_unit_test(test_paint_panel_shows_the_protocol_figures),
        cmocka_unit_test(test_paint_raft_logs_picture),
        cmocka_unit_test(test_paint_shard_load_picture),
        cmocka_unit_test(test_paint_shard_ring_picture),
        cmocka_unit_test(test_paint_stream_picture),
        cmocka_unit_test(test_paint_stream_window_timeline),
        cmocka_unit_test(test_paint_crdt_convergence_picture),
        cmocka_unit_test(test_paint_crdt_merges_and_convergence_line),
        cmocka_unit_test(test_paint_tpc_blocked_picture),
        cmocka_unit_test(test_paint_epidemic_picture),
        cmocka_unit_test(test_paint_quorum_picture),
        cmocka_unit_test(test_paint_quorum_stale_reads_marked),
        cmocka_unit_test(test_paint_quorum_follows_a_pinned_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
