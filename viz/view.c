/* view.c -- the view's state, its clock, and everything a person can do to it.
 *
 * Time in the view is the session's simulated time. Playing moves it forward by the
 * real time since the last frame times the speed, as far as a frame's budget of wall
 * time allows; when the simulation cannot keep up the view says so and slows down
 * rather than skipping. Everything that changes the cluster goes through
 * run_act, which records an action and re-runs to the present, so a session
 * can always be written out and replayed exactly.
 *
 * Input is hit-tested against what the last frame drew (node discs, message
 * positions, the rectangles of the panels), so a click means what it looked like.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "pngw.h"
#include "view_int.h"

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void toast(viz_view_t *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void toast(viz_view_t *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->toast, sizeof v->toast, fmt, ap);
    va_end(ap);
    v->toast_until = wall_now() + 3.5;
}

/* ---- Speed. -------------------------------------------------------------------- */

double viz_speed_to_slider(double speed_ns)
{
    double p = log10(speed_ns / VIZ_SPEED_MIN_NS) / log10(VIZ_SPEED_MAX_NS / VIZ_SPEED_MIN_NS);
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

double viz_slider_to_speed(double pos)
{
    pos = pos < 0 ? 0 : pos > 1 ? 1 : pos;
    return VIZ_SPEED_MIN_NS * pow(VIZ_SPEED_MAX_NS / VIZ_SPEED_MIN_NS, pos);
}

/* The next speed on the 1-2-5 ladder up (dir > 0) or down. */
static double speed_step(double speed, int dir)
{
    static const double m[3] = {1, 2, 5};
    double best = speed;
    for (int e = 6; e <= 11; e++)
        for (int k = 0; k < 3; k++) {
            double c = m[k] * pow(10, e);
            if (c < VIZ_SPEED_MIN_NS * 0.999 || c > VIZ_SPEED_MAX_NS * 1.001) continue;
            if (dir > 0 && c > speed * 1.001 && (best == speed || c < best)) best = c;
            if (dir < 0 && c < speed * 0.999 && (best == speed || c > best)) best = c;
        }
    return best;
}

double viz_default_speed(const scn_t *scn)
{
    double mean = dist_mean(&scn->net.latency);
    if (!isfinite(mean) || mean <= 0) mean = 10e6;
    /* A typical message takes about 0.6 s of real time to cross: slow enough to follow
     * with the eye, fast enough that something always moves. */
    double want = mean / 0.6, best = VIZ_SPEED_MIN_NS;
    /* ... unless that would keep a student waiting: the first fault (the moment most
     * scenarios are about) should come within about eight seconds of opening. */
    sim_time_t first = -1;
    for (uint32_t i = 0; i < scn->n_faults; i++)
        if (first < 0 || scn->faults[i].at_ns < first) first = scn->faults[i].at_ns;
    for (uint32_t i = 0; i < scn->n_nemeses; i++) {
        const nemesis_spec_t *nm = &scn->nemeses[i];
        sim_time_t t = nm->at_ns >= 0 ? nm->at_ns : nm->start_ns + nm->every_ns;
        if (t > 0 && (first < 0 || t < first)) first = t;
    }
    if (first > 0 && (double)first / want > 8.0) want = (double)first / 8.0;
    for (double s = VIZ_SPEED_MIN_NS; s <= VIZ_SPEED_MAX_NS * 1.001; s = speed_step(s, 1)) {
        if (fabs(log(s / want)) < fabs(log(best / want))) best = s;
        if (speed_step(s, 1) == s) break;
    }
    return best;
}

double viz_view_speed(const viz_view_t *v) { return v->speed_ns; }
void viz_view_set_playing(viz_view_t *v, bool playing) { v->playing = playing; }
void viz_view_set_speed(viz_view_t *v, double speed_ns)
{
    v->speed_ns = speed_ns < VIZ_SPEED_MIN_NS ? VIZ_SPEED_MIN_NS : speed_ns > VIZ_SPEED_MAX_NS ? VIZ_SPEED_MAX_NS : speed_ns;
}
void viz_view_toast(viz_view_t *v, const char *msg) { toast(v, "%s", msg); }

sim_time_t viz_view_strip_span(const viz_view_t *v)
{
    double span = v->strip_span_ns > 0 ? (double)v->strip_span_ns : v->speed_ns * 5.0;
    double end = (double)run_end(v->ses);
    if (span > end * 1.2) span = end * 1.2;
    if (span < 1000) span = 1000;
    return (sim_time_t)span;
}

double viz_view_fade_ns(const viz_view_t *v) { return v->speed_ns * VIZ_DROP_FADE_S; }

void viz_view_strip_window(const viz_view_t *v, sim_time_t *t0, sim_time_t *t1)
{
    sim_time_t span = viz_view_strip_span(v), now = run_now(v->ses);
    /* The present sits near the right edge; early in a run the window starts at zero
     * and the present walks towards that edge instead. */
    *t0 = now - (sim_time_t)((double)span * 0.85);
    if (*t0 < 0) *t0 = 0;
    *t1 = *t0 + span;
}

/* ---- Measuring. ---------------------------------------------------------------- */

static float clampf(float x, float lo, float hi) { return x < lo ? lo : x > hi ? hi : x; }

void viz_view_measure(viz_view_t *v)
{
    float s = v->s, W = (float)v->w, H = (float)v->h;
    float top_h = (v->pane_label[0] ? 64 : 40) * s, bar_h = 52 * s;   /* a pane's header has two rows */
    /* A pair's panes under a lesson are half a window each: their panels take a larger
     * share, so the lesson's panel over the left one keeps its buttons on one row (and
     * the right pane is laid out as the left). */
    bool lesson_pane = v->pane_label[0] && (v->hook || (v->peer && v->peer->hook));
    float panel_w = clampf(W * (lesson_pane ? 0.4f : 0.26f), 250 * s, 400 * s);
    if (W - panel_w < 360 * s) panel_w = fmaxf(W * 0.3f, 120 * s);
    v->top = (viz_frect_t){0, 0, W, top_h};
    v->bar = (viz_frect_t){0, H - bar_h, W, bar_h};
    v->panel = (viz_frect_t){W - panel_w, top_h, panel_w, H - top_h - bar_h};
    float mid = H - top_h - bar_h;
    float lanes = (float)v->n_nodes;
    float strip_h = clampf(mid * 0.27f, 96 * s, 240 * s);
    float want = 26 * s + lanes * 18 * s;
    if (want < strip_h) strip_h = fmaxf(want, 96 * s);
    v->strip = (viz_frect_t){0, H - bar_h - strip_h, W - panel_w, strip_h};
    v->canvas = (viz_frect_t){0, top_h, W - panel_w, mid - strip_h};

    float y = v->bar.y + (bar_h - 32 * s) / 2, x = 12 * s;
    v->b_play = (viz_frect_t){x, y, 32 * s, 32 * s};
    x += 38 * s;
    v->b_step = (viz_frect_t){x, y, 32 * s, 32 * s};
    x += 44 * s;
    v->speed = (viz_frect_t){x, y, 150 * s, 32 * s};
    x += 150 * s + 98 * s;
    v->b_help = (viz_frect_t){W - 40 * s, y, 28 * s, 32 * s};
    float time_w = 150 * s;
    v->scrub = (viz_frect_t){x, y, fmaxf(v->b_help.x - time_w - 12 * s - x, 40 * s), 32 * s};

    if (v->lay_dirty || v->lay_w != v->canvas.w || v->lay_h != v->canvas.h || !v->lay.x) {
        const scn_t *scn = run_scenario(v->ses);
        viz_layout_in_t in = {0};
        float pad = 14 * s;
        in.x = v->canvas.x + pad;
        in.y = v->canvas.y + pad + 4 * s;
        in.w = v->canvas.w - 2 * pad;
        in.h = v->canvas.h - 2 * pad - 4 * s;
        /* A protocol with a picture (paint.c, top right of the canvas) keeps the
         * cluster clear of it when the canvas is wide enough to share. */
        const char *pn = scn->proto->name;
        bool picture = !strcmp(pn, "raft") || !strcmp(pn, "shard") || !strcmp(pn, "stream") || !strcmp(pn, "2pc") || !strcmp(pn, "epidemic") || !strcmp(pn, "paxos") || !strcmp(pn, "quorum") || !strcmp(pn, "crdt") || !strcmp(pn, "gossip");
        if (picture && in.w > 760 * s) in.w -= (!strcmp(pn, "shard") || !strcmp(pn, "stream") ? 420 : 300) * s;   /* a ring, a timeline beside the bars */
        in.scale = s;
        in.n_servers = scn->n_servers;
        in.n_clients = scn->wl.clients;
        in.kind = v->lay_kind;
        in.hub = scn->topo.kind == TOPO_STAR ? (int64_t)scn->topo.center : -1;
        in.grid_width = scn->topo.kind == TOPO_GRID ? (scn->topo.width ? scn->topo.width : 1) : 0;
        if (scn->topo.kind == TOPO_GRID && !scn->topo.width) {
            uint32_t g = 1;
            while (g * g < scn->n_servers) g++;
            in.grid_width = g;
        }
        double *px = NULL, *py = NULL;
        bool *has = NULL;
        if (scn->nodes) {
            px = calloc(scn->n_servers, sizeof *px);
            py = calloc(scn->n_servers, sizeof *py);
            has = calloc(scn->n_servers, sizeof *has);
            if (px && py && has) {
                for (uint32_t i = 0; i < scn->n_servers; i++) {
                    px[i] = scn->nodes[i].x;
                    py[i] = scn->nodes[i].y;
                    has[i] = scn->nodes[i].has_pos;
                }
                in.pos_x = px;
                in.pos_y = py;
                in.has_pos = has;
            }
        }
        viz_layout_free(&v->lay);
        viz_layout_compute(&v->lay, &in);
        free(px);
        free(py);
        free(has);
        v->lay_w = v->canvas.w;
        v->lay_h = v->canvas.h;
        v->lay_dirty = false;
    }
}

float viz_view_lane_y(const viz_view_t *v, uint32_t node)
{
    float top = v->strip.y + 22 * v->s, h = v->strip.h - 26 * v->s;
    float lane = h / (float)(v->n_nodes ? v->n_nodes : 1);
    return top + lane * ((float)node + 0.5f);
}

/* ---- Gathering a frame. -------------------------------------------------------- */

static void flight_add(void *ud, const sim_flight_t *f)
{
    viz_view_t *v = ud;
    if (v->n_fl == v->cap_fl) {
        if (v->cap_fl >= VIZ_FLIGHTS_MAX) return;
        uint32_t cap = v->cap_fl * 2;
        viz_fl_t *fl = realloc(v->fl, cap * sizeof *fl);
        float *fx = realloc(v->fx, cap * sizeof *fx), *fy = fx ? realloc(v->fy, cap * sizeof *fy) : NULL;
        if (fl) v->fl = fl;
        if (fx) v->fx = fx;
        if (fy) v->fy = fy;
        if (!fl || !fx || !fy) return;
        v->cap_fl = cap;
    }
    viz_fl_t *e = &v->fl[v->n_fl++];
    e->id = f->id;
    e->from = f->from;
    e->to = f->to;
    e->size = f->size;
    e->len = f->len;
    e->type = f->type;
    e->doomed = (int8_t)f->doomed;
    e->dup = false;
    e->waiting = f->waiting;
    e->sent_ns = f->sent_ns;
    e->arrive_ns = f->arrive_ns;
}

static int fl_cmp(const void *a, const void *b)
{
    const viz_fl_t *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return x->arrive_ns < y->arrive_ns ? -1 : x->arrive_ns > y->arrive_ns;
}

/* Puts the flights in fl_cmp's order: by id, copies of one message by arrival. The
 * queue hands them over in heap order; ids in flight span a narrow range, so a radix
 * sort of (id - lowest) over the bits that range needs, with each flight's index in
 * the low 20 bits of its key, costs two or three passes where qsort of 24,000 flights
 * took two milliseconds a frame. Falls back to qsort without scratch memory or for an
 * odd range. */
#define FL_INDEX_BITS 20
static void flights_sort(viz_view_t *v)
{
    uint32_t n = v->n_fl;
    if (n < 2) return;
    assert(VIZ_FLIGHTS_MAX <= 1u << FL_INDEX_BITS);
    if (v->cap_sort < v->cap_fl) {
        viz_fl_t *t = realloc(v->fl_tmp, v->cap_fl * sizeof *t);
        if (t) v->fl_tmp = t;
        uint64_t *k = realloc(v->fl_keys, 2 * (size_t)v->cap_fl * sizeof *k);
        if (k) v->fl_keys = k;
        if (t && k) v->cap_sort = v->cap_fl;
    }
    uint64_t lo = v->fl[0].id, hi = lo;
    for (uint32_t i = 1; i < n; i++) {
        if (v->fl[i].id < lo) lo = v->fl[i].id;
        if (v->fl[i].id > hi) hi = v->fl[i].id;
    }
    if (v->cap_sort < n || hi - lo >= (uint64_t)1 << (64 - FL_INDEX_BITS)) {
        qsort(v->fl, n, sizeof *v->fl, fl_cmp);
        return;
    }
    uint64_t *a = v->fl_keys, *b = v->fl_keys + v->cap_sort;
    for (uint32_t i = 0; i < n; i++) a[i] = (v->fl[i].id - lo) << FL_INDEX_BITS | i;
    enum { DIGIT = 11 };
    uint32_t count[1u << DIGIT];
    for (int shift = FL_INDEX_BITS; shift < 64 && (hi - lo) >> (shift - FL_INDEX_BITS); shift += DIGIT) {
        memset(count, 0, sizeof count);
        for (uint32_t i = 0; i < n; i++) count[a[i] >> shift & ((1u << DIGIT) - 1)]++;
        for (uint32_t d = 0, sum = 0; d < 1u << DIGIT; d++) { uint32_t c = count[d]; count[d] = sum; sum += c; }
        for (uint32_t i = 0; i < n; i++) b[count[a[i] >> shift & ((1u << DIGIT) - 1)]++] = a[i];
        uint64_t *t = a; a = b; b = t;
    }
    for (uint32_t i = 0; i < n; i++) v->fl_tmp[i] = v->fl[a[i] & ((1u << FL_INDEX_BITS) - 1)];
    viz_fl_t *t = v->fl; v->fl = v->fl_tmp; v->fl_tmp = t;
    /* Copies of one message (a duplicating network): by arrival, as fl_cmp has it. */
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t j = i; j > 0 && v->fl[j].id == v->fl[j - 1].id && v->fl[j].arrive_ns < v->fl[j - 1].arrive_ns; j--) {
            viz_fl_t u = v->fl[j]; v->fl[j] = v->fl[j - 1]; v->fl[j - 1] = u;
        }
}

void viz_view_gather(viz_view_t *v)
{
    const sim_t *sim = run_sim(v->ses);
    if (v->seen_gen != run_generation(v->ses)) {
        v->seen_gen = run_generation(v->ses);
        v->stats_n = UINT64_MAX;
    }
    for (uint32_t i = 0; i < v->n_nodes; i++) {
        viz_nd_t *n = &v->nd[i];
        sim_node_info(sim, i, &n->info);
        /* The sim's own copy of the name goes when an action or a rewind re-creates the
         * sim, which can happen twice before the next gather. */
        snprintf(n->name, sizeof n->name, "%s", n->info.name);
        n->info.name = n->name;
        n->role = n->info.role;
        n->term = n->info.term;
        sim_describe(sim, i, &n->desc);
        n->member = n->info.member;
        n->isolated = n->info.isolated;
    }
    v->n_fl = 0;
    sim_each_flight(sim, flight_add, v);
    flights_sort(v);
    sim_time_t now = run_now(v->ses);
    float lane = v->n_servers <= VIZ_LABEL_NODES_MAX ? 3.5f * v->s : 0;
    for (uint32_t i = 0; i < v->n_fl; i++) {
        viz_fl_t *f = &v->fl[i];
        if (i + 1 < v->n_fl && v->fl[i + 1].id == f->id) f->dup = v->fl[i + 1].dup = true;
        if (f->arrive_ns - f->sent_ns > v->max_flight_ns) v->max_flight_ns = f->arrive_ns - f->sent_ns;
        double frac = viz_flight_frac(f->sent_ns, f->arrive_ns, now);
        viz_flight_point(&v->lay, f->from, f->to, frac, lane, &f->x, &f->y);
        v->fx[i] = f->x;
        v->fy[i] = f->y;
    }
    /* What the pointer is over. */
    v->hover_node = v->hover_fl = -1;
    if (v->mouse_in && viz_in(&v->canvas, v->mx, v->my) && v->menu_node < 0 && !v->help) {
        v->hover_fl = viz_hit_point(v->fx, v->fy, v->n_fl, v->mx, v->my, 6 * v->s);
        if (v->hover_fl < 0) v->hover_node = viz_layout_hit_node(&v->lay, v->mx, v->my, 3 * v->s);
    }
}

/* ---- Acting. ------------------------------------------------------------------- */

static void fmt_time(sim_time_t t, char *buf, size_t len)
{
    snprintf(buf, len, "%.3f s", (double)t / 1e9);
}

/* Side by side: the action on this pane's run and, by node name, on the other pane's
 * at the same simulated time (run_pair_act); both panes say what happened, and a
 * pane the action could not reach says why. */
static void act_pair(viz_view_t *v, sim_action_t *a, const char *what)
{
    viz_view_t *o = v->peer;
    run_t *r[2];
    r[v->pane] = v->ses;
    r[o->pane] = o->ses;
    uint32_t nb[2] = {run_n_branches(r[0]), run_n_branches(r[1])};
    bool applied[2];
    char t[32], err[320];
    fmt_time(run_now(v->ses), t, sizeof t);
    int rc = run_pair_act(r, v->pane, a, applied, err, sizeof err);
    bool branched = run_n_branches(r[0]) > nb[0] || run_n_branches(r[1]) > nb[1];
    const char *b = branched ? " (the later actions recorded before the rewind now form a branch: b brings them back)" : "";
    if (rc == SIM_OK) {
        toast(v, "%s at %s, on both sides%s", what, t, b);
        toast(o, "%s at %s, on both sides%s", what, t, b);
    } else if (!applied[v->pane]) {
        toast(v, "could not record \"%s\": %s", what, err);
    } else {
        toast(v, "%s at %s, %s", what, t, err);
        toast(o, "not here: %s at %s on the other side; %s", what, t, err);
    }
}

static void act(viz_view_t *v, sim_action_t *a, const char *what)
{
    if (v->peer) { act_pair(v, a, what); return; }
    uint32_t branched = 0;
    char t[32], err[160];
    fmt_time(run_now(v->ses), t, sizeof t);
    int rc = run_act(v->ses, a, &branched, err, sizeof err);
    if (rc != SIM_OK) {
        toast(v, "could not record \"%s\": %s", what, err);
        return;
    }
    if (branched) toast(v, "%s at %s (the %u later action%s recorded before the rewind now form a branch: b brings %s back)",
                        what, t, branched, branched == 1 ? "" : "s", branched == 1 ? "it" : "them");
    else toast(v, "%s at %s", what, t);
}

/* Brings back the future set aside most recently (the one displaced takes its place,
 * so b twice returns to where it was). */
static void restore_branch_one(viz_view_t *v);
static void restore_branch(viz_view_t *v)
{
    restore_branch_one(v);
    /* Side by side, both lines forked together: bring both back. */
    if (v->peer) { restore_branch_one(v->peer); run_pair_follow(v->ses, v->peer->ses); }
}

static void restore_branch_one(viz_view_t *v)
{
    uint32_t n = run_n_branches(v->ses);
    if (!n) { toast(v, "no branch to restore: acting after a rewind makes one"); return; }
    run_branch_t b;
    run_branch_info(v->ses, n - 1, &b);
    char t[32];
    fmt_time(b.fork_ns, t, sizeof t);
    if (run_branch_restore(v->ses, n - 1) != SIM_OK) { toast(v, "could not restore the branch"); return; }
    toast(v, "restored the branch that forked at %s (%u action%s)", t, b.n_actions, b.n_actions == 1 ? "" : "s");
}

static void act_node(viz_view_t *v, act_kind_t kind, uint32_t node)
{
    sim_action_t a = {0};
    a.kind = kind;
    a.node = node;
    char what[96];
    snprintf(what, sizeof what, "%s %s", act_kind_names[kind], v->nd[node].info.name);
    act(v, &a, what);
}

#define VIZ_CLOCK_STEP_NS (100 * SIM_MS)   /* one menu click moves a clock this much */
#define VIZ_CLOCK_DRIFT 0.01                /* "runs fast": 1% */

/* Skews a node's clock by delta from where it reads now, or sets its drift: the same
 * clock action a scenario writes ({"clock": "n2", "skew": "-300ms", "drift": 0.001}),
 * so it is recorded and replays. */
static void act_clock(viz_view_t *v, uint32_t node, sim_time_t delta_ns, bool set_drift, double drift)
{
    sim_action_t a = {0};
    a.kind = ACT_CLOCK;
    a.node = node;
    char what[128], d[32];
    if (set_drift) {
        a.clock_mask = CLOCK_F_DRIFT;
        a.drift = drift;
        snprintf(what, sizeof what, "clock of %s drifts %+g%%", v->nd[node].info.name, drift * 100);
    } else {
        a.clock_mask = CLOCK_F_SKEW;
        a.skew_ns = v->nd[node].info.clock_ns - run_now(v->ses) + delta_ns;
        snprintf(what, sizeof what, "clock of %s now %s %s", v->nd[node].info.name,
                 sim_format_duration_short(a.skew_ns < 0 ? -a.skew_ns : a.skew_ns, d, sizeof d), a.skew_ns < 0 ? "behind" : "ahead");
    }
    act(v, &a, what);
}

static void act_heal(viz_view_t *v)
{
    if (!sim_partitioned(run_sim(v->ses))) { toast(v, "nothing to heal: the network is whole"); return; }
    sim_action_t a = {0};
    a.kind = ACT_HEAL;
    act(v, &a, "heal the network");
}

static void act_request(viz_view_t *v, uint32_t server)
{
    const scn_t *scn = run_scenario(v->ses);
    if (!scn->wl.clients) { toast(v, "this scenario has no clients to send a request"); return; }
    sim_action_t a = {0};
    a.kind = ACT_REQUEST;
    a.node = v->n_servers + (uint32_t)(v->requests_sent % scn->wl.clients);
    a.node2 = server;
    a.op_f = SIM_OP_WRITE;
    a.key = (uint32_t)(v->requests_sent % (scn->wl.keys ? scn->wl.keys : 1));
    /* Far above the workload's own values (1, 2, 3, ...), so a history shows which
     * writes came from the view. */
    a.value = 900000001 + (int64_t)v->requests_sent;
    char what[128];
    snprintf(what, sizeof what, "%s writes %lld to k%u at %s", v->nd[a.node].info.name, (long long)a.value, a.key,
             v->nd[server].info.name);
    v->requests_sent++;
    act(v, &a, what);
}

static void act_drop(viz_view_t *v, const viz_fl_t *f)
{
    if (f->doomed >= 0) { toast(v, "message #%llu is already doomed (%s)", (unsigned long long)f->id, drop_reason_names[f->doomed]); return; }
    sim_action_t a = {0};
    a.kind = ACT_DROP;
    a.msg_id = f->id;
    char what[128];
    snprintf(what, sizeof what, "drop %s #%llu %s -> %s", sim_msg_type_name(run_sim(v->ses), f->type),
             (unsigned long long)f->id, v->nd[f->from].info.name, v->nd[f->to].info.name);
    act(v, &a, what);
}

/* Partitions the servers (and any picked clients) into two groups: side[i] is 1 or 2
 * for the nodes to name, 0 for the rest. */
static void act_partition(viz_view_t *v, const uint8_t *side, const char *how)
{
    uint32_t n = 0, count[3] = {0};
    for (uint32_t i = 0; i < v->n_nodes; i++) if (side[i]) { n++; count[side[i]]++; }
    if (!count[1] || !count[2]) { toast(v, "%s: a partition needs nodes on both sides", how); return; }
    uint32_t *members = calloc(n, sizeof *members);
    uint8_t *groups = calloc(n, 1);
    if (!members || !groups) { free(members); free(groups); return; }
    uint32_t k = 0;
    for (uint32_t i = 0; i < v->n_nodes; i++)
        if (side[i]) { members[k] = i; groups[k] = side[i]; k++; }
    sim_action_t a = {0};
    a.kind = ACT_PARTITION;
    a.n_groups = 2;
    a.n_members = n;
    a.members = members;
    a.groups = groups;
    char what[160];
    snprintf(what, sizeof what, "partition %u | %u nodes (%s)", count[1], count[2], how);
    act(v, &a, what);
    free(members);
    free(groups);
}

static void cut_apply(viz_view_t *v)
{
    uint8_t *side = calloc(v->n_nodes, 1);
    if (!side) return;
    for (uint32_t i = 0; i < v->n_servers; i++)
        side[i] = viz_side_of_line(v->cut[0], v->cut[1], v->cut[2], v->cut[3], v->lay.x[i], v->lay.y[i]) > 0 ? 1 : 2;
    act_partition(v, side, "cut across the canvas");
    free(side);
}

static void picked_apply(viz_view_t *v)
{
    if (!v->n_picked) { toast(v, "shift-click nodes to pick a group first, then press g"); return; }
    uint8_t *side = calloc(v->n_nodes, 1);
    if (!side) return;
    for (uint32_t i = 0; i < v->n_nodes; i++) {
        if (v->picked[i]) side[i] = 1;
        else if (i < v->n_servers) side[i] = 2;
    }
    act_partition(v, side, "picked group");
    memset(v->picked, 0, v->n_nodes);
    v->n_picked = 0;
    free(side);
}

/* ---- The context menu. --------------------------------------------------------- */

const char *viz_menu_label(const viz_view_t *v, viz_menu_item_t it, char *buf, size_t len)
{
    switch (it) {
    case VIZ_MI_CRASH: return "Crash";
    case VIZ_MI_RESTART: return "Restart";
    case VIZ_MI_PAUSE: return "Pause";
    case VIZ_MI_RESUME: return "Resume";
    case VIZ_MI_ISOLATE: return "Isolate from the other servers";
    case VIZ_MI_REQUEST:
        snprintf(buf, len, "Send a client write (from c%llu)",
                 (unsigned long long)(v->requests_sent % (run_scenario(v->ses)->wl.clients ? run_scenario(v->ses)->wl.clients : 1)) + 1);
        return buf;
    case VIZ_MI_JOIN: return "Join the cluster";
    case VIZ_MI_LEAVE: return "Leave the cluster";
    case VIZ_MI_HEAL: return "Heal the network";
    case VIZ_MI_CLOCK_AHEAD: return "Clock: 100 ms ahead";
    case VIZ_MI_CLOCK_BEHIND: return "Clock: 100 ms behind";
    case VIZ_MI_CLOCK_FAST: return "Clock: drift 1% fast";
    case VIZ_MI_CLOCK_TRUE: return "Clock: no drift";
    case VIZ_MI_COUNT_: break;
    }
    return "";
}

int viz_view_menu_build(viz_view_t *v, int64_t node)
{
    v->n_menu = 0;
    if (node < 0 || (uint64_t)node >= v->n_servers) return 0;
    const viz_nd_t *n = &v->nd[node];
    const proto_t *p = sim_protocol(run_sim(v->ses));
    viz_menu_item_t *m = v->menu_items;
    int k = 0;
    if (!n->info.up) {
        if (n->member || !p->on_membership) m[k++] = VIZ_MI_RESTART;
    } else {
        m[k++] = VIZ_MI_CRASH;
        m[k++] = n->info.paused ? VIZ_MI_RESUME : VIZ_MI_PAUSE;
        if (!n->isolated) m[k++] = VIZ_MI_ISOLATE;
        if (run_scenario(v->ses)->wl.clients) m[k++] = VIZ_MI_REQUEST;
    }
    if (p->on_membership) m[k++] = n->member ? VIZ_MI_LEAVE : VIZ_MI_JOIN;
    if (sim_partitioned(run_sim(v->ses))) m[k++] = VIZ_MI_HEAL;
    if (n->info.up) {
        m[k++] = VIZ_MI_CLOCK_AHEAD;
        m[k++] = VIZ_MI_CLOCK_BEHIND;
        m[k++] = VIZ_MI_CLOCK_FAST;
        m[k++] = VIZ_MI_CLOCK_TRUE;
    }
    v->n_menu = k;
    return k;
}

void viz_view_menu_run(viz_view_t *v, viz_menu_item_t it, uint32_t node)
{
    switch (it) {
    case VIZ_MI_CRASH: act_node(v, ACT_CRASH, node); break;
    case VIZ_MI_RESTART: act_node(v, ACT_RESTART, node); break;
    case VIZ_MI_PAUSE: act_node(v, ACT_PAUSE, node); break;
    case VIZ_MI_RESUME: act_node(v, ACT_RESUME, node); break;
    case VIZ_MI_ISOLATE: act_node(v, ACT_ISOLATE, node); break;
    case VIZ_MI_REQUEST: act_request(v, node); break;
    case VIZ_MI_JOIN: act_node(v, ACT_JOIN, node); break;
    case VIZ_MI_LEAVE: act_node(v, ACT_LEAVE, node); break;
    case VIZ_MI_HEAL: act_heal(v); break;
    case VIZ_MI_CLOCK_AHEAD: act_clock(v, node, VIZ_CLOCK_STEP_NS, false, 0); break;
    case VIZ_MI_CLOCK_BEHIND: act_clock(v, node, -VIZ_CLOCK_STEP_NS, false, 0); break;
    case VIZ_MI_CLOCK_FAST: act_clock(v, node, 0, true, VIZ_CLOCK_DRIFT); break;
    case VIZ_MI_CLOCK_TRUE: act_clock(v, node, 0, true, 0); break;
    case VIZ_MI_COUNT_: break;
    }
}

static float menu_item_h(const viz_view_t *v) { return 26 * v->s; }

static void menu_rect(const viz_view_t *v, viz_frect_t *r)
{
    float w = 250 * v->s, h = (float)v->n_menu * menu_item_h(v) + 34 * v->s;
    float x = v->menu_x, y = v->menu_y;
    if (x + w > (float)v->w) x = (float)v->w - w - 4;
    if (y + h > (float)v->h) y = (float)v->h - h - 4;
    *r = (viz_frect_t){x, y, w, h};
}

static int menu_hit(const viz_view_t *v, float x, float y)
{
    viz_frect_t r;
    menu_rect(v, &r);
    if (!viz_in(&r, x, y)) return -2;
    float row = (y - r.y - 28 * v->s) / menu_item_h(v);
    int i = (int)floorf(row);          /* not a cast: the title's -0.5 must not become row 0 */
    return i >= 0 && i < v->n_menu ? i : -1;
}

/* ---- Creation. ----------------------------------------------------------------- */

static int view_init(viz_view_t *v, run_t *s, const viz_view_opts_t *o, char *err, size_t err_len)
{
    v->ses = s;
    v->th = o->light ? &viz_theme_light : &viz_theme_dark;
    snprintf(v->out_dir, sizeof v->out_dir, "%s", o->out_dir ? o->out_dir : "");
    v->lay_kind = o->layout;
    v->lay_dirty = true;
    v->speed_ns = o->speed_ns > 0 ? o->speed_ns : viz_default_speed(run_scenario(s));
    v->selected = o->select;
    v->hook = o->hook;
    v->hover_node = v->hover_fl = v->menu_node = -1;
    v->pending_seek = -1;
    v->menu_hover = -1;
    v->n_nodes = sim_n_nodes(run_sim(s));
    v->n_servers = sim_n_servers(run_sim(s));
    if (v->selected >= (int64_t)v->n_nodes) v->selected = -1;
    v->nd = calloc(v->n_nodes ? v->n_nodes : 1, sizeof *v->nd);
    v->picked = calloc(v->n_nodes ? v->n_nodes : 1, 1);
    v->cap_fl = 4096;
    v->fl = malloc(v->cap_fl * sizeof *v->fl);
    v->fx = malloc(v->cap_fl * sizeof *v->fx);
    v->fy = malloc(v->cap_fl * sizeof *v->fy);
    jw_init(&v->json, true);
    v->stats_n = UINT64_MAX;
    v->seen_gen = UINT64_MAX;
    v->cap_hull = (v->n_servers + 4) * 12 * 2;
    v->hull = malloc(v->cap_hull * sizeof *v->hull);
    v->ln_role = calloc(v->n_nodes + 1, 1);
    v->ln_up = calloc(v->n_nodes + 1, 1);
    v->ln_paused = calloc(v->n_nodes + 1, 1);
    v->ln_since = calloc(v->n_nodes + 1, sizeof *v->ln_since);
    if (!v->nd || !v->picked || !v->fl || !v->fx || !v->fy || !v->hull || !v->ln_role || !v->ln_up ||
        !v->ln_paused || !v->ln_since) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    v->d = viz_draw_create(v->r, v->s, err, err_len);
    return v->d ? 0 : -1;
}

void viz_view_destroy(viz_view_t *v)
{
    if (!v) return;
    viz_draw_destroy(v->d);
    if (v->r) SDL_DestroyRenderer(v->r);
    if (v->surface) SDL_FreeSurface(v->surface);
    if (v->win) SDL_DestroyWindow(v->win);
    viz_layout_free(&v->lay);
    jw_free(&v->json);
    free(v->ptext);
    free(v->pic);
    free(v->nd);
    free(v->picked);
    free(v->fl);
    free(v->fx);
    free(v->fy);
    free(v->fl_tmp);
    free(v->fl_keys);
    free(v->hull);
    free(v->ln_role);
    free(v->sir);
    free(v->ln_up);
    free(v->ln_paused);
    free(v->ln_since);
    free(v);
}

viz_view_t *viz_view_create_offscreen(run_t *s, const viz_view_opts_t *o, char *err, size_t err_len)
{
    if (o->w < VIZ_SIDE_MIN || o->h < VIZ_SIDE_MIN || o->w > VIZ_SIDE_MAX || o->h > VIZ_SIDE_MAX) {
        snprintf(err, err_len, "a picture must be %d to %d pixels on each side", VIZ_SIDE_MIN, VIZ_SIDE_MAX);
        return NULL;
    }
    viz_view_t *v = calloc(1, sizeof *v);
    if (!v) { snprintf(err, err_len, "out of memory"); return NULL; }
    v->w = o->w;
    v->h = o->h;
    /* A large picture is drawn larger, as a high-DPI screen would show it. */
    float k = fminf((float)o->w / 1280.0f, (float)o->h / 800.0f);
    v->s = k <= 1 ? 1 : roundf(fminf(k, 3) * 4) / 4;
    v->surface = SDL_CreateRGBSurfaceWithFormat(0, o->w, o->h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (v->surface) v->r = SDL_CreateSoftwareRenderer(v->surface);
    if (!v->surface || !v->r) {
        snprintf(err, err_len, "cannot create an offscreen picture: %s", SDL_GetError());
        viz_view_destroy(v);
        return NULL;
    }
    if (view_init(v, s, o, err, err_len) != 0) { viz_view_destroy(v); return NULL; }
    return v;
}

void viz_view_render(viz_view_t *v)
{
    v->wall = wall_now();
    viz_draw_set_target(v->d, v->surface ? v->surface : viz_draw_software(v->d) && v->win ? SDL_GetWindowSurface(v->win) : NULL);
    viz_view_measure(v);
    viz_view_gather(v);
    viz_paint(v);
}

void viz_view_advance(viz_view_t *v, double dt)
{
    if (v->pending_seek >= 0) {
        run_seek(v->ses, v->pending_seek);
        v->pending_seek = -1;
    }
    if (!v->playing) { v->behind = false; return; }
    if (run_at_end(v->ses)) {
        v->playing = false;
        sim_time_t when;
        if (sim_violation(run_sim(v->ses), &when)) toast(v, "stopped: an invariant was violated (see the panel)");
        else if (sim_fault(run_sim(v->ses))) toast(v, "stopped: the protocol crashed (see the panel)");
        return;
    }
    if (dt > 0.1) dt = 0.1;        /* after a stall, resume rather than leap */
    sim_time_t now = run_now(v->ses);
    sim_time_t step = (sim_time_t)(dt * v->speed_ns);
    if (step < 1) step = 1;
    bool reached = run_advance(v->ses, now + step, VIZ_FRAME_BUDGET_S);
    double got = dt > 0 ? (double)(run_now(v->ses) - now) / dt : v->speed_ns;
    v->achieved_ns = v->behind ? v->achieved_ns * 0.9 + got * 0.1 : got;
    v->behind = !reached;
}

void viz_view_frame(viz_view_t *v, double dt_s)
{
    viz_view_advance(v, dt_s);
    viz_view_render(v);
}

void viz_view_size(const viz_view_t *v, int *w, int *h) { *w = v->w; *h = v->h; }
const viz_layout_t *viz_view_layout(const viz_view_t *v) { return &v->lay; }
const viz_theme_t *viz_view_theme(const viz_view_t *v) { return v->th; }
uint32_t viz_view_flights_drawn(const viz_view_t *v) { return v->n_fl; }
uint64_t viz_view_triangles(const viz_view_t *v) { return viz_draw_triangles(v->d); }
const char *viz_view_renderer(const viz_view_t *v)
{
    SDL_RendererInfo info;
    return SDL_GetRendererInfo(v->r, &info) == 0 && info.name ? info.name : "unknown";
}

void viz_view_probe(const viz_view_t *v, uint32_t node, float *x, float *y)
{
    float r = viz_layout_radius(&v->lay, node);
    /* Straight up from the centre, clear of the name (centred), of a crash's cross
     * (the diagonals) and inside the outline. */
    *x = v->lay.x[node];
    *y = v->lay.y[node] - r * 0.68f;
}

int viz_view_read_rgb(viz_view_t *v, uint8_t *rgb)
{
    if (v->surface) {
        SDL_LockSurface(v->surface);
        for (int y = 0; y < v->h; y++) {
            const Uint32 *row = (const Uint32 *)((const uint8_t *)v->surface->pixels + (size_t)y * (size_t)v->surface->pitch);
            for (int x = 0; x < v->w; x++) {
                Uint32 p = row[x];
                uint8_t *o = rgb + ((size_t)y * (size_t)v->w + (size_t)x) * 3;
                o[0] = (uint8_t)(p >> 16);
                o[1] = (uint8_t)(p >> 8);
                o[2] = (uint8_t)p;
            }
        }
        SDL_UnlockSurface(v->surface);
        return 0;
    }
    return SDL_RenderReadPixels(v->r, NULL, SDL_PIXELFORMAT_RGB24, rgb, v->w * 3) == 0 ? 0 : -1;
}

int viz_view_save_png(viz_view_t *v, const char *path)
{
    uint8_t *rgb = malloc((size_t)v->w * (size_t)v->h * 3);
    if (!rgb) { errno = ENOMEM; return -1; }
    int rc = viz_view_read_rgb(v, rgb);
    if (rc == 0) rc = viz_png_write(path, rgb, v->w, v->h, (size_t)v->w * 3, 3);
    free(rgb);
    return rc;
}

/* ---- Files the window writes. -------------------------------------------------- */

/* "scenarios/gossip-partition.json" -> "gossip-partition". */
static void base_name(const char *path, char *out, size_t len)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, len, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = 0;
}

static bool exists(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* mkdir -p, for the sessions directory. */
static int make_dirs(const char *path)
{
    char p[512];
    snprintf(p, sizeof p, "%s", path);
    for (char *c = p + 1; *c; c++) {
        if (*c != '/') continue;
        *c = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1;
        *c = '/';
    }
    return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

int viz_sessions_dir(const char *out, char *buf, size_t len)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    if (out && *out) snprintf(buf, len, "%s", out);
    else if (xdg && xdg[0] == '/') snprintf(buf, len, "%s/dsim/sessions", xdg);
    else if (home && *home) snprintf(buf, len, "%s/.local/share/dsim/sessions", home);
    else snprintf(buf, len, "dsim-sessions");
    if (make_dirs(buf) != 0) {
        char why[128];
        snprintf(why, sizeof why, "%s", strerror(errno));
        snprintf(buf + strlen(buf), len - strlen(buf), ": cannot create it: %s", why);
        return SIM_EIO;
    }
    return SIM_OK;
}

int viz_view_write_session(viz_view_t *v, char *path, size_t len)
{
    char dir[600], base[128], err[512];
    if (viz_sessions_dir(v->out_dir[0] ? v->out_dir : NULL, dir, sizeof dir) != SIM_OK) {
        snprintf(path, len, "%s", dir);
        return SIM_EIO;
    }
    base_name(run_path(v->ses), base, sizeof base);
    for (int k = 1; k < 1000; k++) {
        snprintf(path, len, "%s/%s-session-%d.json", dir, base, k);
        if (!exists(path)) break;
    }
    int rc = run_write(v->ses, path, err, sizeof err);
    if (rc != SIM_OK) snprintf(path, len, "%s", err);
    return rc;
}

static void write_session(viz_view_t *v)
{
    char path[1024];
    uint32_t n;
    run_actions(v->ses, &n);
    if (viz_view_write_session(v, path, sizeof path) != SIM_OK) toast(v, "could not write the session: %s", path);
    else toast(v, "wrote %s (%u recorded action%s); replay it with dsim run or dsim view", path, n, n == 1 ? "" : "s");
}

/* w: side by side, both runs are written, each pane saying where its own went. */
static void write_sessions(viz_view_t *v)
{
    write_session(v);
    if (v->peer) write_session(v->peer);
}

void viz_view_screenshot_name(viz_view_t *v, char *path, size_t len)
{
    char base[128];
    base_name(run_path(v->ses), base, sizeof base);
    for (int k = 0; k < 1000; k++) {
        snprintf(path, len, "dsim-%s-%.3fs%s%.0d.png", base, (double)run_now(v->ses) / 1e9, k ? "-" : "", k);
        if (!exists(path)) break;
    }
}

/* ---- Input. -------------------------------------------------------------------- */

/* Notes where the scrubber is; the frame seeks there once, however many motion events
 * arrived since the last one (a rewind re-runs the simulation from zero). */
static void seek_x(viz_view_t *v, float x)
{
    double f = (x - v->scrub.x) / v->scrub.w;
    f = f < 0 ? 0 : f > 1 ? 1 : f;
    v->pending_seek = (sim_time_t)(f * (double)run_end(v->ses));
}

float viz_view_strip_gutter(viz_view_t *v)
{
    /* Every lane is labelled with its whole name ("stream1", not "strea..."), up to a
     * quarter of the diagram; names are fixed for a run, so they are measured once.
     * Lanes closer than a line of text get two columns of names, staggered, so that
     * every lane still has its name (up to twice as many lanes as lines fit). */
    if (v->strip_name_w <= 0) {
        uint32_t n = v->n_nodes < 4096 ? v->n_nodes : 4096;
        for (uint32_t i = 0; i < n; i++) v->strip_name_w = fmaxf(v->strip_name_w, viz_text_width(v->d, VIZ_FONT_SMALL, v->nd[i].info.name));
        if (v->strip_name_w <= 0) v->strip_name_w = 1;
    }
    float fh = viz_font_height(v->d, VIZ_FONT_SMALL), lane = (v->strip.h - 26 * v->s) / (float)(v->n_nodes ? v->n_nodes : 1);
    v->strip_two_cols = lane < fh && 2 * lane >= fh;
    float w = v->strip_two_cols ? 2 * v->strip_name_w + 8 * v->s : v->strip_name_w;
    float g = fmaxf(56 * v->s, w + 16 * v->s);
    v->strip_gutter = fminf(g, fmaxf(56 * v->s, v->strip.w / 4));
    return v->strip_gutter;
}

/* A click in the diagram goes to the event nearest the pointer (a send, a delivery or a
 * drop) if one is close, else to the time under it. */
static void strip_click(viz_view_t *v, float x, float y)
{
    sim_time_t t0, t1;
    viz_view_strip_window(v, &t0, &t1);
    float g = viz_view_strip_gutter(v), x0 = v->strip.x + g, w = v->strip.w - g - 8 * v->s;
    if (x < x0) return;
    double k = (double)(t1 - t0) / w;
    sim_time_t best = (sim_time_t)((double)t0 + (x - x0) * k);
    float best_d = 7 * v->s;
    uint64_t first = run_msg_since(v->ses, t0 - v->max_flight_ns), n = run_msg_count(v->ses);
    for (uint64_t i = first; i < n; i++) {
        const run_msg_t *m = run_msg(v->ses, i);
        if (m->sent_ns > t1) break;
        sim_time_t ends[2] = {m->sent_ns, m->end_ns >= 0 ? m->end_ns : -1};
        uint32_t who[2] = {m->from, m->to};
        for (int e = 0; e < 2; e++) {
            if (ends[e] < 0 || ends[e] < t0 || ends[e] > t1) continue;
            float ex = x0 + (float)((double)(ends[e] - t0) / k), ey = viz_view_lane_y(v, who[e]);
            float d = sqrtf((ex - x) * (ex - x) + (ey - y) * (ey - y));
            if (d < best_d) { best_d = d; best = ends[e]; }
        }
    }
    v->playing = false;
    run_seek(v->ses, best);
}

static void do_step(viz_view_t *v, int how)
{
    v->playing = false;
    static const char *const what[] = {"event", "message delivery", "client operation", "role change"};
    static const uint64_t kinds[] = {
        0, 1ull << TR_DELIVER, 1ull << TR_INVOKE | 1ull << TR_COMPLETE, 1ull << TR_ROLE,
    };
    bool ok = how == 0 ? run_step(v->ses) : run_to_kind(v->ses, kinds[how], 2.0);
    if (!ok) toast(v, "no %s before the end of the run", what[how]);
}

static void key_down(viz_view_t *v, const SDL_Keysym *k)
{
    bool ctrl = k->mod & (KMOD_CTRL | KMOD_GUI);
    int64_t sel = v->selected >= 0 && (uint64_t)v->selected < v->n_servers ? v->selected : -1;
    switch (k->sym) {
    case SDLK_SPACE:
        if (run_at_end(v->ses) && !v->playing) { toast(v, "at the end of the run: Home or the scrubber goes back"); break; }
        v->playing = !v->playing;
        break;
    case SDLK_RIGHT: do_step(v, 0); break;
    case SDLK_LEFT: v->playing = false; run_step_back(v->ses); break;
    case SDLK_d: do_step(v, 1); break;
    case SDLK_o: do_step(v, 2); break;
    case SDLK_r: do_step(v, 3); break;
    case SDLK_HOME: run_seek(v->ses, 0); break;
    case SDLK_h: act_heal(v); break;
    case SDLK_g: picked_apply(v); break;
    case SDLK_c:
        if (sel < 0) toast(v, "select a server first (click it)");
        else act_node(v, v->nd[sel].info.up ? ACT_CRASH : ACT_RESTART, (uint32_t)sel);
        break;
    case SDLK_p:
        if (sel < 0) toast(v, "select a server first (click it)");
        else if (!v->nd[sel].info.up) toast(v, "%s is down", v->nd[sel].info.name);
        else act_node(v, v->nd[sel].info.paused ? ACT_RESUME : ACT_PAUSE, (uint32_t)sel);
        break;
    case SDLK_i:
        if (sel < 0) toast(v, "select a server first (click it)");
        else act_node(v, ACT_ISOLATE, (uint32_t)sel);
        break;
    case SDLK_x:
        if (sel < 0) toast(v, "select a server first (click it)");
        else act_request(v, (uint32_t)sel);
        break;
    case SDLK_w: write_sessions(v); break;
    case SDLK_b: restore_branch(v); break;
    case SDLK_s: v->help = false; break;        /* the picture is taken after the frame is drawn */
    case SDLK_t:
        v->th = v->th == &viz_theme_dark ? &viz_theme_light : &viz_theme_dark;
        break;
    case SDLK_l:
        v->lay_kind = (viz_layout_kind_t)((v->lay_kind + 1) % VIZ_LAYOUT_COUNT_);
        v->lay_dirty = true;
        toast(v, "layout: %s", viz_layout_names[v->lay_kind]);
        break;
    case SDLK_q:
        if (ctrl) v->quit = true;
        break;
    case SDLK_F1: v->help = !v->help; break;
    case SDLK_ESCAPE:
        if (v->help) v->help = false;
        else if (v->pin_n) v->pin_n = 0;
        else if (v->menu_node >= 0) v->menu_node = -1;
        else if (v->cut_drag) v->cut_drag = false;
        else if (v->n_picked) { memset(v->picked, 0, v->n_nodes); v->n_picked = 0; }
        else v->selected = -1;
        break;
    default:
        break;
    }
}

static void text_input(viz_view_t *v, const char *t)
{
    for (; *t; t++) {
        if (*t == '+' || *t == '=') v->speed_ns = speed_step(v->speed_ns, 1);
        else if (*t == '-' || *t == '_') v->speed_ns = speed_step(v->speed_ns, -1);
        else if (*t == '?') v->help = !v->help;
    }
}

static void mouse_down(viz_view_t *v, const SDL_MouseButtonEvent *b)
{
    float x = v->mx, y = v->my;
    bool shift = SDL_GetModState() & KMOD_SHIFT;
    if (v->help) { v->help = false; return; }
    if (v->menu_node >= 0) {
        int i = menu_hit(v, x, y);
        if (i >= 0 && b->button == SDL_BUTTON_LEFT) viz_view_menu_run(v, v->menu_items[i], (uint32_t)v->menu_node);
        v->menu_node = -1;
        if (i != -2) return;
    }
    if (viz_in(&v->b_play, x, y)) { v->playing = !v->playing && !run_at_end(v->ses); return; }
    if (viz_in(&v->b_step, x, y)) { do_step(v, 0); return; }
    if (viz_in(&v->b_help, x, y)) { v->help = true; return; }
    if (viz_in(&v->speed, x, y)) {
        v->speed_drag = true;
        v->speed_ns = viz_slider_to_speed((x - v->speed.x) / v->speed.w);
        return;
    }
    if (viz_in(&v->scrub, x, y)) {
        v->scrub_drag = true;
        v->was_playing = v->playing;
        v->playing = false;
        seek_x(v, x);
        return;
    }
    if (viz_in(&v->strip, x, y)) { strip_click(v, x, y); return; }
    if (!viz_in(&v->canvas, x, y)) return;
    viz_view_gather(v);
    if (v->hover_fl >= 0 && b->button == SDL_BUTTON_LEFT) {
        /* Its fields stay on screen; a plain click drops it too, a shift-click only pins. */
        viz_view_pin(v, &v->fl[v->hover_fl], !shift && v->fl[v->hover_fl].doomed < 0);
        if (!shift) act_drop(v, &v->fl[v->hover_fl]);
        return;
    }
    int64_t node = viz_layout_hit_node(&v->lay, x, y, 3 * v->s);
    if (node >= 0) {
        if (shift) {
            v->picked[node] ^= 1;
            v->n_picked += v->picked[node] ? 1 : (uint32_t)-1;
            return;
        }
        v->selected = node;
        v->json_scroll = 0;
        if ((uint64_t)node < v->n_servers && viz_view_menu_build(v, node) > 0) {
            v->menu_node = node;
            v->menu_x = x + 10 * v->s;
            v->menu_y = y + 6 * v->s;
            v->menu_hover = -1;
        }
        return;
    }
    if (b->button == SDL_BUTTON_LEFT) {
        v->cut_drag = true;
        v->cut[0] = v->cut[2] = x;
        v->cut[1] = v->cut[3] = y;
    }
}

static void mouse_up(viz_view_t *v)
{
    if (v->scrub_drag) {
        v->scrub_drag = false;
        if (v->pending_seek >= 0) { run_seek(v->ses, v->pending_seek); v->pending_seek = -1; }
        v->playing = v->was_playing && !run_at_end(v->ses);
    }
    v->speed_drag = false;
    if (v->cut_drag) {
        v->cut_drag = false;
        float dx = v->cut[2] - v->cut[0], dy = v->cut[3] - v->cut[1];
        if (sqrtf(dx * dx + dy * dy) >= 24 * v->s) cut_apply(v);
    }
}

static void mouse_move(viz_view_t *v)
{
    if (v->speed_drag) v->speed_ns = viz_slider_to_speed((v->mx - v->speed.x) / v->speed.w);
    if (v->scrub_drag) seek_x(v, v->mx);
    if (v->cut_drag) { v->cut[2] = v->mx; v->cut[3] = v->my; }
    if (v->menu_node >= 0) v->menu_hover = menu_hit(v, v->mx, v->my);
}

static void wheel(viz_view_t *v, float dy)
{
    if (viz_in(&v->json_box, v->mx, v->my)) {
        v->json_scroll -= dy * 40 * v->s;
        float max = fmaxf(v->json_content_h - v->json_box.h, 0);
        v->json_scroll = clampf(v->json_scroll, 0, max);
    } else if (viz_in(&v->strip, v->mx, v->my)) {
        double span = (double)viz_view_strip_span(v) * pow(1.25, -dy);
        v->strip_span_ns = (sim_time_t)fmax(span, 1000);
    }
}

/* Pixels per window coordinate: 2 on a Retina-style screen. */
static float window_scale(SDL_Window *w, SDL_Renderer *r, int *pw, int *ph)
{
    int ww, wh;
    SDL_GetWindowSize(w, &ww, &wh);
    SDL_GetRendererOutputSize(r, pw, ph);
    return ww > 0 ? (float)*pw / (float)ww : 1;
}

/* Whether SDL may find a display. On X11 and Wayland systems without DISPLAY or
 * WAYLAND_DISPLAY, SDL falls through to drivers that open nothing a person can see
 * (offscreen, KMS/DRM without a seat), and the window would wait forever for input
 * that never comes; a person who set SDL_VIDEODRIVER chose a driver on purpose. */
static bool display_expected(void)
{
#if defined(__APPLE__) || defined(_WIN32)
    return true;
#else
    return getenv("SDL_VIDEODRIVER") || getenv("DISPLAY") || getenv("WAYLAND_DISPLAY");
#endif
}

int viz_window_start(char *err, size_t err_len)
{
    static const char hint[] = "--screenshot FILE draws a picture without one, and dsim run prints the summary";
    if (!display_expected()) {
        snprintf(err, err_len, "cannot open a window: no display (neither DISPLAY nor WAYLAND_DISPLAY is set); %s", hint);
        return 2;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        snprintf(err, err_len, "cannot open a window: %s; %s", SDL_GetError(), hint);
        return 2;
    }
    const char *drv = SDL_GetCurrentVideoDriver();
    if (!getenv("SDL_VIDEODRIVER") && drv && (strcmp(drv, "dummy") == 0 || strcmp(drv, "offscreen") == 0)) {
        snprintf(err, err_len, "cannot open a window: SDL found only the %s video driver, which shows nothing; %s", drv, hint);
        SDL_Quit();
        return 2;
    }
    return 0;
}

/* What the window does with one event. A pane (side by side) sees the pointer relative
 * to its own left edge, and leaves the window's size to the pair. */
void viz_view_event(viz_view_t *v, const void *event, bool *shot)
{
    const SDL_Event *ev = event;
    SDL_Event e = *ev;
    switch (e.type) {
    case SDL_QUIT: v->quit = true; break;
    case SDL_KEYDOWN:
        if (v->hook && v->hook->key && v->hook->key(v->hook->ud, v, (int)e.key.keysym.sym)) break;
        if (e.key.keysym.sym == SDLK_s && !(e.key.keysym.mod & (KMOD_CTRL | KMOD_GUI))) *shot = true;
        key_down(v, &e.key.keysym);
        break;
    case SDL_TEXTINPUT: text_input(v, e.text.text); break;
    case SDL_MOUSEMOTION:
        v->mx = ((float)e.motion.x - v->ox) * (v->win ? v->s : 1);    /* a pane's pixels are window coordinates */
        v->my = (float)e.motion.y * (v->win ? v->s : 1);
        v->mouse_in = true;
        mouse_move(v);
        break;
    case SDL_MOUSEBUTTONDOWN:
        v->mx = ((float)e.button.x - v->ox) * (v->win ? v->s : 1);
        v->my = (float)e.button.y * (v->win ? v->s : 1);
        if (v->hook && v->hook->click && e.button.button == SDL_BUTTON_LEFT &&
            v->hook->click(v->hook->ud, v, v->mx, v->my)) break;
        mouse_down(v, &e.button);
        break;
    case SDL_MOUSEBUTTONUP: mouse_up(v); break;
    case SDL_MOUSEWHEEL: wheel(v, e.wheel.preciseY != 0 ? e.wheel.preciseY : (float)e.wheel.y); break;
    case SDL_WINDOWEVENT:
        if (e.window.event == SDL_WINDOWEVENT_LEAVE) v->mouse_in = false;
        if (!v->win) break;
        if (e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED || e.window.event == SDL_WINDOWEVENT_DISPLAY_CHANGED) {
            float sc = window_scale(v->win, v->r, &v->w, &v->h);
            if (fabsf(sc - v->s) > 0.01f) {
                char e2[256];
                v->s = sc;
                if (viz_draw_set_scale(v->d, sc, e2, sizeof e2) != 0) toast(v, "%s", e2);
                v->lay_dirty = true;
            }
        }
        break;
    default: break;
    }
}

int viz_view_run_window(run_t *s, const viz_view_opts_t *o, char *err, size_t err_len)
{
    if (viz_window_start(err, err_len) != 0) return 2;
    viz_view_t *v = calloc(1, sizeof *v);
    if (!v) { snprintf(err, err_len, "out of memory"); SDL_Quit(); return 2; }
    char title[256];
    if (o->title) snprintf(title, sizeof title, "%s", o->title);
    else snprintf(title, sizeof title, "dsim view: %s", run_scenario(s)->name);
    v->win = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, o->w, o->h,
                              SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
    if (v->win) {
        v->r = SDL_CreateRenderer(v->win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
        if (!v->r) v->r = SDL_CreateRenderer(v->win, -1, SDL_RENDERER_SOFTWARE);
    }
    if (!v->win || !v->r) {
        snprintf(err, err_len, "cannot open a window: %s", SDL_GetError());
        viz_view_destroy(v);
        SDL_Quit();
        return 2;
    }
    SDL_SetWindowMinimumSize(v->win, 640, 420);
    v->s = window_scale(v->win, v->r, &v->w, &v->h);
    if (view_init(v, s, o, err, err_len) != 0) { viz_view_destroy(v); SDL_Quit(); return 2; }
    SDL_RendererInfo info;
    bool vsync = SDL_GetRendererInfo(v->r, &info) == 0 && (info.flags & SDL_RENDERER_PRESENTVSYNC);
    /* A student's first look should already move: the window opens playing. */
    v->playing = !o->paused;
    toast(v, o->paused ? "Space plays; Enter goes on to the next step, Tab gives a hint" : "Space pauses, ? shows every key and mouse action");
    double last = wall_now();
    while (!v->quit) {
        SDL_Event e;
        bool shot = false;
        while (SDL_PollEvent(&e)) viz_view_event(v, &e, &shot);
        double t = wall_now(), dt = t - last;
        last = t;
        viz_view_advance(v, dt);
        if (v->hook && v->hook->tick) v->hook->tick(v->hook->ud, v);
        viz_view_render(v);
        if (v->hook && v->hook->paint) v->hook->paint(v->hook->ud, v);
        if (shot) {
            char path[300];
            viz_view_screenshot_name(v, path, sizeof path);
            if (viz_view_save_png(v, path) == 0) toast(v, "saved %s", path);
            else toast(v, "could not save %s: %s", path, strerror(errno));
        }
        SDL_RenderPresent(v->r);
        if (!vsync) {
            double spent = wall_now() - t, frame = 1.0 / 60;
            if (spent < frame) SDL_Delay((Uint32)((frame - spent) * 1000));
        }
    }
    viz_view_destroy(v);
    SDL_Quit();
    return 0;
}
