/* test_viz.c -- the live view: recording and replay, rewinding, the command line, and
 * what its pictures show.
 *
 * The view promises that everything a person does is a scenario action: a session
 * written out with scn_write_with_actions must replay to the same trace hash as the
 * session itself, and going back in time must land exactly where a fresh run to that
 * moment would. Those are checked by hash. The pictures are checked by looking at
 * pixels where the layout says a node is: a crashed node grey, a partition's cut drawn
 * dashed, a Raft leader's colour on exactly one node. Drawing uses SDL's software
 * renderer into memory, so no display is needed (run with SDL_VIDEODRIVER=dummy).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "scenario/scenario_write.h"
#include "run/run.h"
#include "view.h"

static char tmpdir[64];
static char dsim_path[512];

/* Five gossip servers and two clients: small, busy enough, deterministic. */
static const char *const gossip5 =
    "{\n"
    "  \"name\": \"viz-test\",\n"
    "  \"description\": \"five gossip servers for the view's tests\",\n"
    "  \"seed\": 3,\n"
    "  \"duration\": \"10s\",\n"
    "  \"nodes\": 5,\n"
    "  \"protocol\": {\"name\": \"gossip\", \"params\": {\"fanout\": 2, \"anti_entropy\": \"500ms\"}},\n"
    "  \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"10ms\", \"max\": \"30ms\"}, \"loss\": 0.02, \"duplicate\": 0.01},\n"
    "  \"workload\": {\"clients\": 2, \"ops\": {\"write\": 0.7, \"read\": 0.3}, \"keys\": 4, \"rate\": \"40/s\", \"timeout\": \"1s\"},\n"
    "  \"faults\": [{\"at\": \"7s\", \"crash\": \"n5\"}]\n"
    "}\n";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void tmp_path(char *out, size_t len, const char *name) { snprintf(out, len, "%s/%s", tmpdir, name); }

static run_t *open_session(const char *path)
{
    char err[512] = "";
    run_t *v = run_open(path, NULL, err, sizeof err);
    if (!v) fail_msg("run_open: %s", err);
    return v;
}

static void act(run_t *v, act_kind_t kind, uint32_t node)
{
    sim_action_t a = {0};
    a.kind = kind;
    a.node = node;
    uint32_t discarded = 99;
    assert_int_equal(run_act(v, &a, &discarded, NULL, 0), SIM_OK);
    assert_int_equal(discarded, 0);
}

typedef struct first_flight { bool found; uint64_t id; } first_flight_t;

static void pick_flight(void *ud, const sim_flight_t *f)
{
    first_flight_t *p = ud;
    if (!p->found && f->doomed < 0) { p->found = true; p->id = f->id; }
}

typedef struct look { uint64_t id; bool doomed; } look_t;

static void look_doomed(void *ud, const sim_flight_t *f)
{
    look_t *l = ud;
    if (f->id == l->id && f->doomed == DROP_USER) l->doomed = true;
}

/* A fresh simulation of the scenario with these actions, run to t: what any replay is. */
static uint64_t fresh_hash(const char *path, const sim_action_t *acts, uint32_t n, sim_time_t t)
{
    scn_t scn;
    char err[512] = "";
    if (scn_load_file(path, &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    sim_opts_t o = {0};
    o.extra_actions = acts;
    o.n_extra_actions = n;
    sim_t *s = sim_create(&scn, &o, err, sizeof err);
    assert_non_null(s);
    sim_run_until(s, t);
    uint64_t h = sim_trace_hash(s);
    sim_destroy(s);
    scn_free(&scn);
    return h;
}

/* ---- Recording and replay. ----------------------------------------------------- */

static void test_viz_recorded_session_replays_to_the_same_hash(void **state)
{
    (void)state;
    char path[256], out[256];
    tmp_path(path, sizeof path, "session.json");
    tmp_path(out, sizeof out, "session-out.json");
    write_file(path, gossip5);
    run_t *v = open_session(path);

    /* A session with every kind of action the window issues. */
    run_until(v, 1 * SIM_SEC);
    act(v, ACT_CRASH, 2);
    run_until(v, 2 * SIM_SEC + 3 * SIM_MS);
    uint32_t members[5] = {0, 1, 2, 3, 4};
    uint8_t groups[5] = {1, 1, 2, 2, 2};
    sim_action_t p = {0};
    p.kind = ACT_PARTITION;
    p.n_groups = 2;
    p.n_members = 5;
    p.members = members;
    p.groups = groups;
    assert_int_equal(run_act(v, &p, NULL, NULL, 0), SIM_OK);
    run_until(v, 2500 * SIM_MS + 7);
    first_flight_t ff = {0};
    sim_each_flight(run_sim(v), pick_flight, &ff);
    assert_true(ff.found);
    sim_action_t d = {0};
    d.kind = ACT_DROP;
    d.msg_id = ff.id;
    assert_int_equal(run_act(v, &d, NULL, NULL, 0), SIM_OK);
    /* The drop took effect in the re-run: the message is still flying, doomed by you. */
    look_t look = {ff.id, false};
    sim_each_flight(run_sim(v), look_doomed, &look);
    assert_true(look.doomed);
    run_until(v, 3 * SIM_SEC);
    act(v, ACT_HEAL, 0);
    act(v, ACT_RESTART, 2);
    sim_action_t r = {0};
    r.kind = ACT_REQUEST;
    r.node = 5;               /* c1 */
    r.node2 = 1;
    r.op_f = SIM_OP_WRITE;
    r.key = 2;
    r.value = 900000001;
    assert_int_equal(run_act(v, &r, NULL, NULL, 0), SIM_OK);
    run_until(v, 4 * SIM_SEC);
    act(v, ACT_PAUSE, 3);
    run_until(v, 4500 * SIM_MS);
    act(v, ACT_RESUME, 3);
    run_until(v, 5 * SIM_SEC);
    act(v, ACT_ISOLATE, 4);
    run_until(v, run_end(v));
    uint64_t live = sim_trace_hash(run_sim(v));

    uint32_t n;
    const sim_action_t *acts = run_actions(v, &n);
    assert_int_equal(n, 9);
    for (uint32_t i = 1; i < n; i++) assert_true(acts[i].at_ns >= acts[i - 1].at_ns);
    assert_int_equal(acts[0].at_ns, 1 * SIM_SEC);

    char err[512] = "";
    if (run_write(v, out, err, sizeof err) != SIM_OK) fail_msg("write: %s", err);
    /* The written file is a scenario like any other: it loads, it holds the original
     * fault and the nine actions, and it replays to the live session's hash. */
    scn_t scn;
    if (scn_load_file(out, &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    assert_int_equal(scn.n_faults, 10);
    assert_int_equal(scn.faults[0].kind, ACT_CRASH);      /* the scenario's own, first */
    assert_int_equal(scn.faults[9].kind, ACT_ISOLATE);
    sim_t *s = sim_create(&scn, NULL, err, sizeof err);
    assert_non_null(s);
    sim_run_until(s, sim_end(s));
    assert_int_equal(sim_trace_hash(s), live);
    sim_destroy(s);
    scn_free(&scn);
    /* And a simulation given the same actions as extras agrees too. */
    assert_int_equal(fresh_hash(path, acts, n, run_end(v)), live);
    /* The hash is not blind to the actions: without the last one it differs. */
    assert_int_not_equal(fresh_hash(path, acts, n - 1, run_end(v)), live);
    run_destroy(v);
}

static void test_viz_written_session_keeps_the_seed_and_creates_faults(void **state)
{
    (void)state;
    char path[256], out[256], err[512] = "";
    tmp_path(path, sizeof path, "nofaults.json");
    tmp_path(out, sizeof out, "nofaults-out.json");
    /* No "faults" and no "seed" in the original: both appear in the written file. */
    write_file(path, "{\"duration\": \"2s\", \"nodes\": 3, \"protocol\": \"echo\","
                     " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"20/s\"}}");
    run_opts_t ro = {.seed_set = true, .seed = 12345};
    run_t *v = run_open(path, &ro, err, sizeof err);
    assert_non_null(v);
    run_until(v, 700 * SIM_MS);
    act(v, ACT_CRASH, 1);
    run_until(v, run_end(v));
    uint64_t live = sim_trace_hash(run_sim(v));
    if (run_write(v, out, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    scn_t scn;
    if (scn_load_file(out, &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    assert_int_equal(scn.seed, 12345);
    assert_int_equal(scn.n_faults, 1);
    sim_t *s = sim_create(&scn, NULL, err, sizeof err);
    sim_run_until(s, sim_end(s));
    assert_int_equal(sim_trace_hash(s), live);
    sim_destroy(s);
    scn_free(&scn);
    /* Writing where nothing can be written fails and says where. */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/no/such/dir/out.json", tmpdir);
    assert_int_not_equal(run_write(v, bad, err, sizeof err), SIM_OK);
    assert_non_null(strstr(err, "no/such/dir"));
    run_destroy(v);
}

/* ---- Rewinding. ---------------------------------------------------------------- */

static void test_viz_rewind_equals_a_fresh_run(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "rewind.json");
    write_file(path, gossip5);
    run_t *v = open_session(path);
    run_until(v, 3 * SIM_SEC);
    act(v, ACT_CRASH, 1);
    run_until(v, 8 * SIM_SEC);
    uint32_t n;
    const sim_action_t *acts = run_actions(v, &n);
    static const sim_time_t to[] = {4 * SIM_SEC, 2 * SIM_SEC + 1, 0, 6 * SIM_SEC, 3 * SIM_SEC};
    for (size_t k = 0; k < SIM_ARRAY_LEN(to); k++) {
        assert_int_equal(run_seek(v, to[k]), SIM_OK);
        assert_int_equal(run_now(v), to[k]);
        assert_int_equal(sim_trace_hash(run_sim(v)), fresh_hash(path, acts, n, to[k]));
    }
    /* Back one event and forward one event are inverses. */
    run_seek(v, 5 * SIM_SEC);
    assert_true(run_step(v));
    assert_true(run_step(v));
    uint64_t h2 = sim_trace_hash(run_sim(v));
    sim_time_t t2 = run_now(v);
    assert_true(run_step(v));
    assert_int_not_equal(sim_trace_hash(run_sim(v)), h2);
    assert_int_equal(run_step_back(v), SIM_OK);
    assert_int_equal(sim_trace_hash(run_sim(v)), h2);
    assert_int_equal(run_now(v), t2);
    run_destroy(v);
}

static void test_viz_acting_after_a_rewind_discards_the_old_future(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "future.json");
    write_file(path, gossip5);
    run_t *v = open_session(path);
    run_until(v, 5 * SIM_SEC);
    act(v, ACT_CRASH, 0);
    run_seek(v, 2 * SIM_SEC);
    uint32_t n;
    run_actions(v, &n);
    assert_int_equal(n, 1);                  /* rewinding alone keeps the recorded future */
    sim_action_t a = {0};
    a.kind = ACT_PAUSE;
    a.node = 3;
    uint32_t discarded = 0;
    assert_int_equal(run_act(v, &a, &discarded, NULL, 0), SIM_OK);
    assert_int_equal(discarded, 1);
    const sim_action_t *acts = run_actions(v, &n);
    assert_int_equal(n, 1);
    assert_int_equal(acts[0].kind, ACT_PAUSE);
    assert_int_equal(acts[0].at_ns, 2 * SIM_SEC);
    /* Actions naming nodes that do not exist are refused and not recorded. */
    a.node = 99;
    assert_int_equal(run_act(v, &a, NULL, NULL, 0), SIM_EINPUT);
    run_actions(v, &n);
    assert_int_equal(n, 1);
    run_destroy(v);
}

static void test_viz_run_to_stops_at_the_kind_asked_for(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "runto.json");
    write_file(path, gossip5);
    run_t *v = open_session(path);
    run_until(v, 1 * SIM_SEC);
    uint64_t before = run_msg_count(v);
    assert_true(run_to_kind(v, 1ull << TR_DELIVER, 5.0));
    /* The last thing that happened is a delivery, of a message in the log. */
    bool delivered = false;
    for (uint64_t i = run_msg_first(v); i < run_msg_count(v); i++) {
        const run_msg_t *m = run_msg(v, i);
        if (m->fate == RUN_FATE_DELIVERED && m->end_ns == run_now(v)) delivered = true;
    }
    assert_true(delivered);
    assert_true(run_msg_count(v) >= before);
    assert_true(run_to_kind(v, 1ull << TR_CRASH, 5.0));
    assert_int_equal(run_now(v), 7 * SIM_SEC);      /* the scenario's crash of n5 */
    assert_false(run_to_kind(v, 1ull << TR_RESTART, 5.0));    /* none before the end */
    run_destroy(v);
}

/* ---- Pictures. ----------------------------------------------------------------- */

typedef struct picture {
    viz_view_t *view;
    uint8_t *rgb;
    int w, h;
} picture_t;

static void draw(run_t *s, picture_t *p, int w, int h)
{
    viz_view_opts_t o = {.w = w, .h = h, .select = -1, .layout = VIZ_LAYOUT_AUTO};
    char err[512] = "";
    p->view = viz_view_create_offscreen(s, &o, err, sizeof err);
    if (!p->view) fail_msg("offscreen view: %s", err);
    viz_view_render(p->view);
    p->w = w;
    p->h = h;
    p->rgb = malloc((size_t)w * (size_t)h * 3);
    assert_int_equal(viz_view_read_rgb(p->view, p->rgb), 0);
}

static void picture_free(picture_t *p)
{
    viz_view_destroy(p->view);
    free(p->rgb);
}

static const uint8_t *pixel(const picture_t *p, float x, float y)
{
    int xi = (int)lroundf(x), yi = (int)lroundf(y);
    assert_true(xi >= 0 && yi >= 0 && xi < p->w && yi < p->h);
    return p->rgb + ((size_t)yi * (size_t)p->w + (size_t)xi) * 3;
}

static bool near(const uint8_t *px, viz_rgba_t c, int tol)
{
    return abs(px[0] - c.r) <= tol && abs(px[1] - c.g) <= tol && abs(px[2] - c.b) <= tol;
}

static void test_viz_screenshot_is_not_blank(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "blank.json");
    write_file(path, gossip5);
    run_t *v = open_session(path);
    run_until(v, 2 * SIM_SEC);
    picture_t p;
    draw(v, &p, 900, 600);
    const viz_theme_t *th = viz_view_theme(p.view);
    /* Many colours, and little of the picture the plain background. */
    uint64_t bg = 0, n = (uint64_t)p.w * (uint64_t)p.h;
    uint8_t seen[4096 / 8] = {0};
    int distinct = 0;
    for (uint64_t i = 0; i < n; i++) {
        const uint8_t *q = p.rgb + i * 3;
        if (q[0] == th->bg.r && q[1] == th->bg.g && q[2] == th->bg.b) bg++;
        int key = (q[0] >> 4) << 8 | (q[1] >> 4) << 4 | (q[2] >> 4);
        if (!(seen[key / 8] >> (key % 8) & 1)) { seen[key / 8] |= (uint8_t)(1 << (key % 8)); distinct++; }
    }
    assert_true(distinct > 40);
    assert_true(bg < n * 9 / 10);
    /* Every server is drawn where the layout says, in the colour of a server. */
    for (uint32_t i = 0; i < 5; i++) {
        float x, y;
        viz_view_probe(p.view, i, &x, &y);
        assert_true(near(pixel(&p, x, y), th->node, 8));
    }
    /* The PNG of it starts like a PNG. */
    char png[256];
    tmp_path(png, sizeof png, "shot.png");
    assert_int_equal(viz_view_save_png(p.view, png), 0);
    FILE *f = fopen(png, "rb");
    uint8_t sig[8];
    assert_int_equal(fread(sig, 1, 8, f), 8);
    fclose(f);
    assert_memory_equal(sig, "\x89PNG\r\n\x1a\n", 8);
    picture_free(&p);
    run_destroy(v);
}

static void test_viz_crashed_node_is_grey(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "crash.json");
    write_file(path, gossip5);
    run_t *v = open_session(path);
    run_until(v, 1 * SIM_SEC);
    act(v, ACT_CRASH, 1);
    run_until(v, 1200 * SIM_MS);
    for (int light = 0; light < 2; light++) {
        viz_view_opts_t o = {.w = 900, .h = 600, .select = -1, .light = light};
        char err[512];
        picture_t p;
        p.view = viz_view_create_offscreen(v, &o, err, sizeof err);
        assert_non_null(p.view);
        viz_view_render(p.view);
        p.w = 900;
        p.h = 600;
        p.rgb = malloc(900 * 600 * 3);
        assert_int_equal(viz_view_read_rgb(p.view, p.rgb), 0);
        const viz_theme_t *th = viz_view_theme(p.view);
        float x, y;
        viz_view_probe(p.view, 1, &x, &y);
        const uint8_t *q = pixel(&p, x, y);
        assert_true(near(q, th->crashed, 6));
        assert_true(abs(q[0] - q[1]) <= 4 && abs(q[1] - q[2]) <= 4);     /* grey: no hue */
        for (uint32_t i = 0; i < 5; i++) {
            if (i == 1) continue;
            viz_view_probe(p.view, i, &x, &y);
            q = pixel(&p, x, y);
            assert_false(abs(q[0] - q[1]) <= 4 && abs(q[1] - q[2]) <= 4);
        }
        picture_free(&p);
    }
    run_destroy(v);
}

/* Counts the pixels near colour c along the segment between two nodes, outside their
 * discs, and the runs of them. */
static void along(const picture_t *p, uint32_t a, uint32_t b, viz_rgba_t c, int *hits, int *runs)
{
    const viz_layout_t *L = viz_view_layout(p->view);
    float dx = L->x[b] - L->x[a], dy = L->y[b] - L->y[a], d = sqrtf(dx * dx + dy * dy);
    float m = L->r_server + 10;
    *hits = *runs = 0;
    bool in = false;
    for (float t = m; t < d - m; t += 0.5f) {
        bool h = near(pixel(p, L->x[a] + dx / d * t, L->y[a] + dy / d * t), c, 40);
        if (h) (*hits)++;
        if (h && !in) (*runs)++;
        in = h;
    }
}

static void test_viz_partition_draws_its_cut_dashed(void **state)
{
    (void)state;
    char path[256];
    tmp_path(path, sizeof path, "cut.json");
    write_file(path, gossip5);
    run_t *v = open_session(path);
    run_until(v, 1 * SIM_SEC);
    picture_t before;
    draw(v, &before, 900, 600);
    const viz_theme_t *th = viz_view_theme(before.view);
    int hits, runs;
    along(&before, 0, 2, th->danger, &hits, &runs);
    assert_int_equal(hits, 0);                 /* no cut drawn while the network is whole */
    picture_free(&before);

    uint32_t members[5] = {0, 1, 2, 3, 4};
    uint8_t groups[5] = {1, 1, 2, 2, 2};
    sim_action_t a = {0};
    a.kind = ACT_PARTITION;
    a.n_groups = 2;
    a.n_members = 5;
    a.members = members;
    a.groups = groups;
    assert_int_equal(run_act(v, &a, NULL, NULL, 0), SIM_OK);
    picture_t p;
    draw(v, &p, 900, 600);
    /* Across the cut (n1 to n3): vermillion dashes, several of them with gaps between. */
    along(&p, 0, 2, th->danger, &hits, &runs);
    assert_true(hits > 10);
    assert_true(runs >= 4);
    along(&p, 1, 4, th->danger, &hits, &runs);
    assert_true(runs >= 4);
    /* Within a group (n1 to n2, n3 to n4) the link is not cut. */
    along(&p, 0, 1, th->danger, &hits, &runs);
    assert_int_equal(hits, 0);
    along(&p, 2, 3, th->danger, &hits, &runs);
    assert_int_equal(hits, 0);
    picture_free(&p);
    run_destroy(v);
}

static void test_viz_raft_leader_colour_appears_once(void **state)
{
    (void)state;
    if (!proto_find("raft")) {
        print_message("skipped: the raft protocol is not in this build yet\n");
        skip();
    }
    char path[256];
    const char *file = "scenarios/raft-leader-crash.json";
    if (access(file, R_OK) != 0) {
        tmp_path(path, sizeof path, "raft.json");
        write_file(path, "{\"name\": \"raft\", \"seed\": 1, \"duration\": \"5s\", \"nodes\": 5, \"protocol\": \"raft\","
                         " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"5ms\", \"max\": \"15ms\"}},"
                         " \"workload\": {\"clients\": 1, \"ops\": {\"write\": 1}, \"rate\": \"10/s\"}}");
        file = path;
    }
    run_t *v = open_session(file);
    /* Run until a leader is elected, then a little longer for the others to hear. */
    sim_time_t t = 0;
    while (sim_leader(run_sim(v)) < 0 && t < run_end(v)) run_until(v, t += 10 * SIM_MS);
    int64_t leader = sim_leader(run_sim(v));
    assert_true(leader >= 0);
    run_until(v, t + 100 * SIM_MS);
    leader = sim_leader(run_sim(v));
    assert_true(leader >= 0);
    picture_t p;
    draw(v, &p, 1000, 640);
    const viz_theme_t *th = viz_view_theme(p.view);
    viz_rgba_t lc = viz_role_color(th, SIM_ROLE_LEADER);
    int count = 0;
    int64_t which = -1;
    uint32_t n = sim_n_servers(run_sim(v));
    for (uint32_t i = 0; i < n; i++) {
        float x, y;
        viz_view_probe(p.view, i, &x, &y);
        if (near(pixel(&p, x, y), lc, 10)) { count++; which = i; }
    }
    assert_int_equal(count, 1);
    assert_int_equal(which, leader);
    /* The followers show the follower colour. */
    for (uint32_t i = 0; i < n; i++) {
        if ((int64_t)i == leader || sim_node_role(run_sim(v), i, NULL) != SIM_ROLE_FOLLOWER) continue;
        float x, y;
        viz_view_probe(p.view, i, &x, &y);
        assert_true(near(pixel(&p, x, y), viz_role_color(th, SIM_ROLE_FOLLOWER), 10));
    }
    picture_free(&p);
    run_destroy(v);
}

/* ---- The command line. --------------------------------------------------------- */

static int run(const char *args, char *out, size_t len)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s view %s 2>&1", dsim_path, args);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, len - 1, f);
    out[n] = 0;
    int st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_viz_command_line_mistakes_exit_2(void **state)
{
    (void)state;
    if (access(dsim_path, X_OK) != 0) { print_message("skipped: no dsim at %s\n", dsim_path); skip(); }
    char path[256], out[4096], args[512];
    tmp_path(path, sizeof path, "cli.json");
    write_file(path, gossip5);
    static const struct { const char *args; const char *says; } bad[] = {
        {"", "expected a scenario file"},
        {"%s --size 10x10", "--size"},
        {"%s --size big", "--size"},
        {"%s --theme blue", "--theme"},
        {"%s --at 99s --screenshot x.png", "past the end"},
        {"%s --at soon", "--at"},
        {"%s --bench-frames 0", "--bench-frames"},
        {"%s --screenshot a.png --bench-frames 3", "separate modes"},
        {"%s --select n9 --screenshot x.png", "no node named"},
        {"%s --sspeed 2ms", "did you mean --speed"},
        {"%s --layout spiral", "--layout"},
        {"/no/such/scenario.json --screenshot x.png", "cannot open"},
    };
    for (size_t i = 0; i < SIM_ARRAY_LEN(bad); i++) {
        snprintf(args, sizeof args, bad[i].args, path);
        int rc = run(args, out, sizeof out);
        if (rc != 2 || !strstr(out, bad[i].says))
            fail_msg("dsim view %s: exit %d, said: %s (expected 2 and \"%s\")", args, rc, out, bad[i].says);
    }
}

static void test_viz_command_line_screenshot_and_bench(void **state)
{
    (void)state;
    if (access(dsim_path, X_OK) != 0) { print_message("skipped: no dsim at %s\n", dsim_path); skip(); }
    char path[256], png[256], out[4096], args[600];
    tmp_path(path, sizeof path, "cli2.json");
    tmp_path(png, sizeof png, "cli2.png");
    write_file(path, gossip5);
    snprintf(args, sizeof args, "%s --screenshot %s --at 2.5s --size 640x400 --theme light --select n2", path, png);
    assert_int_equal(run(args, out, sizeof out), 0);
    FILE *f = fopen(png, "rb");
    assert_non_null(f);
    uint8_t head[24];
    assert_int_equal(fread(head, 1, 24, f), 24);
    fclose(f);
    assert_memory_equal(head, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(head + 12, "IHDR", 4);
    assert_int_equal(head[16] << 24 | head[17] << 16 | head[18] << 8 | head[19], 640);
    assert_int_equal(head[20] << 24 | head[21] << 16 | head[22] << 8 | head[23], 400);
    snprintf(args, sizeof args, "%s --bench-frames 5 --size 640x400", path);
    assert_int_equal(run(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "frames per second"));
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dsim-viz-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    (void)argc;
    /* The program under test: $DSIM (make test sets it), else the dsim beside the
     * tests directory this binary is in. */
    const char *env = getenv("DSIM");
    if (env && *env) snprintf(dsim_path, sizeof dsim_path, "%s", env);
    else {
        const char *slash = strrchr(argv[0], '/');
        int dir = slash ? (int)(slash - argv[0]) : 0;
        snprintf(dsim_path, sizeof dsim_path, "%.*s%s../dsim", dir, argv[0], dir ? "/" : "");
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_viz_recorded_session_replays_to_the_same_hash),
        cmocka_unit_test(test_viz_written_session_keeps_the_seed_and_creates_faults),
        cmocka_unit_test(test_viz_rewind_equals_a_fresh_run),
        cmocka_unit_test(test_viz_acting_after_a_rewind_discards_the_old_future),
        cmocka_unit_test(test_viz_run_to_stops_at_the_kind_asked_for),
        cmocka_unit_test(test_viz_screenshot_is_not_blank),
        cmocka_unit_test(test_viz_crashed_node_is_grey),
        cmocka_unit_test(test_viz_partition_draws_its_cut_dashed),
        cmocka_unit_test(test_viz_raft_leader_colour_appears_once),
        cmocka_unit_test(test_viz_command_line_mistakes_exit_2),
        cmocka_unit_test(test_viz_command_line_screenshot_and_bench),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
