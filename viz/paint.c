/* paint.c -- drawing one frame: the cluster, the side panel, the space-time strip, the
 * bars and whatever floats above them.
 *
 * Layers are painted back to front and flushed between them: partition groups and
 * links, then messages (so they run under nodes), then nodes and their labels, then the
 * panels, then tooltips and menus. Within a layer, shapes and text are batched (see
 * draw.h), so a frame is a handful of draw calls however busy the cluster is.
 *
 * Colour carries meaning and nothing else: a node's fill is its role, a message's its
 * type, vermillion is always something lost or cut, the accent is always "you" (the
 * selection, the present moment). Everything coloured is explained by the legend.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "view_int.h"
#include "proto/maelstrom.h"
#include "proto/raft.h"
#include "proto/shard.h"
#include "proto/dynamo.h"
#include "proto/stream.h"
#include "check/visibility.h"

#define PI_F 3.14159265358979f

/* ---- Small helpers. ------------------------------------------------------------ */

static void fmt_count(uint64_t n, char *buf, size_t len)
{
    char tmp[32];
    int k = snprintf(tmp, sizeof tmp, "%" PRIu64, n), o = 0;
    for (int i = 0; i < k && (size_t)o + 2 < len; i++) {
        if (i && (k - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = tmp[i];
    }
    buf[o] = 0;
}

static const char *dur(sim_time_t t, char *buf, size_t len) { return sim_format_duration_short(t, buf, len); }

static void fmt_clock(sim_time_t t, char *buf, size_t len)
{
    double s = (double)t / 1e9;
    if (fabs(s) >= 100) snprintf(buf, len, "%.2f s", s);
    else snprintf(buf, len, "%.3f s", s);
}

/* "commit 12 · log 15", leaving out what the protocol does not report (-1). */
static void log_fields(const proto_desc_t *d, char *buf, size_t len)
{
    int o = 0;
    buf[0] = 0;
    if (d->commit >= 0) o = snprintf(buf, len, "commit %" PRId64, d->commit);
    if (d->log_len >= 0 && o >= 0 && (size_t)o < len)
        snprintf(buf + o, len - (size_t)o, "%slog length %" PRId64, o ? " \xc2\xb7 " : "", d->log_len);
}

static viz_rgba_t node_fill(const viz_view_t *v, uint32_t i)
{
    const viz_nd_t *n = &v->nd[i];
    if (i >= v->n_servers) return v->th->client;
    if (!n->info.up) return v->th->crashed;
    if (v->sir) return v->th->sir[v->sir[i] < 3 ? v->sir[i] : 0];
    return role_color(v, n->role);
}

/* Epidemics: each server as susceptible (missing updates another holds), infective
 * (spreading a hot rumor) or removed (holding every update and spreading none), in
 * the sense of Demers et al. (PODC 1987, section 1.4), from its state line ("12
 * updates, 3 hot"). Filled once a frame into v->sir; NULL for other protocols. */
static void epidemic_states(viz_view_t *v)
{
    if (strcmp(sim_protocol(run_sim(v->ses))->name, "epidemic") != 0) {
        free(v->sir);
        v->sir = NULL;
        return;
    }
    if (!v->sir && !(v->sir = calloc(v->n_servers ? v->n_servers : 1, 1))) return;
    unsigned most = 0;
    for (uint32_t i = 0; i < v->n_servers; i++) {
        unsigned have = 0;
        if (sscanf(v->nd[i].desc.line, "%u updates", &have) == 1 && have > most) most = have;
    }
    for (uint32_t i = 0; i < v->n_servers; i++) {
        unsigned hot = 0, have = 0;
        if (sscanf(v->nd[i].desc.line, "%u updates, %u hot", &have, &hot) < 1) have = 0;
        v->sir[i] = hot ? 1 : have < most || most == 0 ? 0 : 2;
    }
}

/* A role's colour as text on the panel: on a light background the bright ones
 * (yellow, sky blue) are darkened until they read. */
static viz_rgba_t role_text(const viz_view_t *v, sim_role_t r)
{
    viz_rgba_t c = role_color(v, r);
    if (v->th->dark) return c;
    viz_rgba_t k = {0, 0, 0, 255};
    return viz_mix(c, k, viz_luma(c) > 0.6f ? 0.45f : 0.25f);
}

static viz_rgba_t text_on(const viz_view_t *v, viz_rgba_t fill)
{
    return viz_luma(fill) > 0.52f ? v->th->node_text_dark : v->th->node_text_light;
}

static viz_rgba_t darker(viz_rgba_t c, float k)
{
    viz_rgba_t b = {0, 0, 0, c.a};
    return viz_mix(c, b, k);
}

/* A label with a coloured background, as in the top bar. Returns its width. */
static float chip(viz_view_t *v, float x, float y, const char *text, viz_rgba_t bg, viz_rgba_t fg)
{
    float s = v->s, w = viz_text_width(v->d, VIZ_FONT_SMALL, text) + 16 * s, h = 22 * s;
    viz_fill_round_rect(v->d, x, y, w, h, h / 2, bg);
    viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, y + (h - viz_font_height(v->d, VIZ_FONT_SMALL)) / 2, text, fg);
    return w;
}

static void cross(viz_draw_t *d, float x, float y, float r, float w, viz_rgba_t c)
{
    viz_line(d, x - r, y - r, x + r, y + r, w, c);
    viz_line(d, x - r, y + r, x + r, y - r, w, c);
}

/* ---- Partition groups. --------------------------------------------------------- */

static float cross2(float ox, float oy, float ax, float ay, float bx, float by)
{
    return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox);
}

static int pt_cmp(const void *a, const void *b)
{
    const float *p = a, *q = b;
    if (p[0] != q[0]) return p[0] < q[0] ? -1 : 1;
    return p[1] < q[1] ? -1 : p[1] > q[1];
}

/* Andrew's monotone chain: the convex hull of n points in pts (x, y pairs), written
 * counter-clockwise into out; returns its size. out holds 2n + 2 floats. */
static int convex_hull(float *pts, int n, float *out)
{
    qsort(pts, (size_t)n, 2 * sizeof(float), pt_cmp);
    int k = 0;
    for (int i = 0; i < n; i++) {
        while (k >= 2 && cross2(out[2 * k - 4], out[2 * k - 3], out[2 * k - 2], out[2 * k - 1], pts[2 * i], pts[2 * i + 1]) <= 0) k--;
        out[2 * k] = pts[2 * i];
        out[2 * k + 1] = pts[2 * i + 1];
        k++;
    }
    for (int i = n - 2, t = k + 1; i >= 0; i--) {
        while (k >= t && cross2(out[2 * k - 4], out[2 * k - 3], out[2 * k - 2], out[2 * k - 1], pts[2 * i], pts[2 * i + 1]) <= 0) k--;
        out[2 * k] = pts[2 * i];
        out[2 * k + 1] = pts[2 * i + 1];
        k++;
    }
    return k > 1 ? k - 1 : k;
}

static bool in_convex(const float *h, int n, float x, float y)
{
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        if (cross2(h[2 * i], h[2 * i + 1], h[2 * j], h[2 * j + 1], x, y) < 0) return false;
    }
    return n >= 3;
}

/* Each group of a partition gets an outline around its nodes; when groups interleave
 * (a random partition of a ring) outlines would overlap and mislead, so each node gets
 * a ring in its group's colour instead. */
static void paint_groups(viz_view_t *v)
{
    const sim_t *sim = run_sim(v->ses);
    if (!sim_partitioned(sim)) return;
    float s = v->s;
    uint8_t ng = sim_n_groups(sim);
    bool rings = false;
    float *pts = v->hull, *hull = v->hull + v->cap_hull / 2;
    int cap = (int)(v->cap_hull / 2 / 2) - 2;
    for (int pass = 0; pass < 2; pass++) {
        for (uint8_t g = 1; g <= ng && ng > 1; g++) {
            int np = 0;
            for (uint32_t i = 0; i < v->n_servers && np + 12 <= cap; i++) {
                if (v->nd[i].info.group != g || v->nd[i].isolated) continue;
                float r = v->lay.r_server + 12 * s;
                for (int k = 0; k < 12; k++) {
                    float a = 2 * PI_F * (float)k / 12;
                    pts[2 * np] = v->lay.x[i] + r * cosf(a);
                    pts[2 * np + 1] = v->lay.y[i] + r * sinf(a);
                    np++;
                }
            }
            if (!np) continue;
            int nh = convex_hull(pts, np, hull);
            viz_rgba_t gc = v->th->group[(g - 1) % VIZ_GROUP_COLORS];
            if (pass == 0) {
                for (uint32_t i = 0; i < v->n_servers; i++)
                    if (v->nd[i].info.group != g && !v->nd[i].isolated && in_convex(hull, nh, v->lay.x[i], v->lay.y[i])) rings = true;
                continue;
            }
            if (rings) continue;
            viz_fill_convex(v->d, hull, nh, viz_alpha(gc, v->th->dark ? 0.09f : 0.12f));
            viz_stroke_poly(v->d, hull, nh, true, 1.5f * s, viz_alpha(gc, 0.55f));
            /* The group's letter above its top. */
            float tx = hull[0], ty = hull[1];
            for (int k = 1; k < nh; k++) if (hull[2 * k + 1] < ty) { ty = hull[2 * k + 1]; tx = hull[2 * k]; }
            char label[16];
            snprintf(label, sizeof label, "group %c", 'A' + (g - 1));
            float tw = viz_text_width(v->d, VIZ_FONT_SMALL, label);
            viz_text(v->d, VIZ_FONT_SMALL, tx - tw / 2, fmaxf(ty - 16 * s, v->canvas.y + 2 * s), label, viz_alpha(gc, 0.9f));
        }
    }
    for (uint32_t i = 0; i < v->n_servers; i++) {
        const viz_nd_t *n = &v->nd[i];
        float r = v->lay.r_server;
        if (n->isolated) {
            viz_ring(v->d, v->lay.x[i], v->lay.y[i], r + 7 * s, 1.6f * s, viz_alpha(v->th->danger, 0.85f));
        } else if (rings && n->info.group) {
            viz_rgba_t gc = v->th->group[(n->info.group - 1) % VIZ_GROUP_COLORS];
            viz_ring(v->d, v->lay.x[i], v->lay.y[i], r + 6 * s, 3 * s, viz_alpha(gc, 0.8f));
        }
    }
}

/* ---- Links. -------------------------------------------------------------------- */

/* A cut link: dashed, and when only one direction is cut (a one-way partition), an
 * arrowhead on it pointing the way messages can no longer go, from the sender's side
 * towards the receiver it cannot reach. */
static void cut_link(viz_view_t *v, float xa, float ya, float xb, float yb, bool ab, bool ba, viz_rgba_t cut)
{
    float s = v->s;
    viz_dashed_line(v->d, xa, ya, xb, yb, (ab && ba ? 1.6f : 1.4f) * s, 7 * s, 5 * s, viz_alpha(cut, 0.9f));
    if (ab && ba) return;
    if (ba) { float t = xa; xa = xb; xb = t; t = ya; ya = yb; yb = t; }
    float dx = xb - xa, dy = yb - ya, len = sqrtf(dx * dx + dy * dy);
    if (len < 40 * s) return;
    dx /= len;
    dy /= len;
    /* Two arrowheads, at 40% and 60% of the way, so one shows between crowded nodes. */
    for (int k = 0; k < 2; k++) {
        float f = k ? 0.6f : 0.4f, tx = xa + dx * len * f, ty = ya + dy * len * f, L = 9 * s, W = 5 * s;
        float tri[6] = {tx + dx * L / 2, ty + dy * L / 2, tx - dx * L / 2 - dy * W, ty - dy * L / 2 + dx * W,
                        tx - dx * L / 2 + dy * W, ty - dy * L / 2 - dx * W};
        viz_fill_convex(v->d, tri, 3, cut);
    }
}

static void paint_links(viz_view_t *v)
{
    const sim_t *sim = run_sim(v->ses);
    const scn_t *scn = run_scenario(v->ses);
    float s = v->s;
    uint32_t n = v->n_servers;
    viz_rgba_t link = viz_alpha(v->th->link, 0.9f), cut = v->th->danger;
    if (scn->topo.kind == TOPO_MESH) {
        if (n > VIZ_LINKS_MESH_MAX) return;
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t j = i + 1; j < n; j++) {
                float *x = v->lay.x, *y = v->lay.y;
                bool ab = sim_link_blocked(sim, i, j), ba = sim_link_blocked(sim, j, i);
                if (ab || ba) cut_link(v, x[i], y[i], x[j], y[j], ab, ba, cut);
                else viz_line(v->d, x[i], y[i], x[j], y[j], 1 * s, link);
            }
        return;
    }
    if (n > 2000) return;
    for (uint32_t a = 0; a < n; a++)
        for (uint32_t k = 0, np = sim_n_peers_of(sim, a); k < np; k++) {
            uint32_t b = sim_peer_of(sim, a, k);
            if (b <= a || b >= n) continue;
            float *x = v->lay.x, *y = v->lay.y;
            bool ab = sim_link_blocked(sim, a, b), ba = sim_link_blocked(sim, b, a);
            if (ab || ba) cut_link(v, x[a], y[a], x[b], y[b], ab, ba, cut);
            else viz_line(v->d, x[a], y[a], x[b], y[b], (n > 200 ? 0.6f : 1.2f) * s, link);
        }
}

/* ---- Messages. ----------------------------------------------------------------- */

static void paint_flights(viz_view_t *v)
{
    /* Thousands of full-size dots merge into one mass; smaller ones keep the flows
     * (and the doomed few, still ringed) apart. */
    viz_sprite_id_t dot = v->n_fl > VIZ_FLIGHTS_DENSE ? VIZ_SPRITE_DOT_SMALL : VIZ_SPRITE_DOT;
    for (uint32_t i = 0; i < v->n_fl; i++) {
        const viz_fl_t *f = &v->fl[i];
        viz_rgba_t c = viz_msg_color(v->th, f->type);
        if ((int64_t)i == v->hover_fl) viz_sprite(v->d, VIZ_SPRITE_HALO, f->x, f->y, viz_alpha(v->th->accent, 0.9f));
        if (f->doomed >= 0) {
            viz_sprite(v->d, dot, f->x, f->y, viz_alpha(c, 0.75f));
            viz_sprite(v->d, VIZ_SPRITE_RING, f->x, f->y, v->th->danger);
        } else {
            viz_sprite(v->d, dot, f->x, f->y, c);
            if (f->dup) viz_sprite(v->d, VIZ_SPRITE_RING, f->x, f->y, viz_alpha(v->th->text, 0.7f));
        }
    }
}

/* Messages dropped in the last moments fall and fade where they were lost, marked with
 * why. The run indexes its drops in the order they happened, so only the drops of the
 * fade window are read, newest first (a scan of the message log from one longest
 * flight before the window read a hundred thousand messages a frame on a busy run). */
static void paint_drops(viz_view_t *v)
{
    sim_time_t now = run_now(v->ses);
    double fade = viz_view_fade_ns(v);
    if (fade < 1) fade = 1;
    uint64_t first = run_drop_first(v->ses), n = run_drop_count(v->ses), from = n;
    /* The window's drops: back from the newest until one fell before it. */
    while (from > first) {
        const run_msg_t *m = run_drop(v->ses, from - 1);
        if (m && (double)(now - m->end_ns) >= fade) break;
        from--;
    }
    float s = v->s, lane = v->n_servers <= VIZ_LABEL_NODES_MAX ? 3.5f * s : 0;
    uint32_t shown = 0;
    for (uint64_t i = from; i < n; i++) {
        const run_msg_t *m = run_drop(v->ses, i);
        if (!m || m->end_ns > now || (double)(now - m->end_ns) >= fade) continue;
        shown++;
    }
    /* Labels never overlap one another, a node or its caption: the newest drops are
     * labelled first, and a label with no room of its own is left out (its cross
     * stays). */
    enum { PLACED_MAX = 24 };
    viz_frect_t placed[PLACED_MAX];
    int n_placed = 0;
    float fh = viz_font_height(v->d, VIZ_FONT_SMALL);
    for (uint64_t j = n; j-- > from;) {
        const run_msg_t *m = run_drop(v->ses, j);
        if (!m || m->end_ns > now || (double)(now - m->end_ns) >= fade) continue;
        float p = (float)((double)(now - m->end_ns) / fade), x, y;
        /* Where it was lost: at the sender if it never left, else just short of the
         * receiver (not under its disc). */
        double at = m->reason == DROP_UNREACHABLE ? 0.0 : 0.9;
        viz_flight_point(&v->lay, m->from, m->to, at, lane, &x, &y);
        float fy = y + 30 * s * p * p + 6 * s * p, a = 1 - p;
        viz_sprite(v->d, VIZ_SPRITE_DOT, x, fy, viz_alpha(viz_msg_color(v->th, m->type), a * 0.9f));
        /* A sprite, not two lines: a thousand drops fading at once were fourteen
         * thousand triangles. */
        viz_sprite(v->d, VIZ_SPRITE_CROSS, x, fy, viz_alpha(v->th->danger, a));
        if (shown <= 24 && n_placed < PLACED_MAX) {
            const char *why = m->reason < DROP_COUNT_ ? drop_reason_names[m->reason] : "drop";
            viz_frect_t r = {x + 7 * s, fy - 4 * s, viz_text_width(v->d, VIZ_FONT_SMALL, why) + 4 * s, fh};   /* with a gap after */
            bool free_ = true;
            for (int k = 0; k < n_placed && free_; k++)
                free_ = r.x + r.w < placed[k].x || placed[k].x + placed[k].w < r.x || r.y + r.h < placed[k].y || placed[k].y + placed[k].h < r.y;
            for (uint32_t k = 0; k < v->n_servers && k < VIZ_LABEL_NODES_MAX && free_; k++) {
                /* The node's disc and the two caption lines under it. */
                float nr = v->lay.r_server, nx = v->lay.x[k], ny = v->lay.y[k], cw = 80 * s;
                bool disc = r.x < nx + nr && nx - nr < r.x + r.w && r.y < ny + nr && ny - nr < r.y + r.h;
                bool cap = r.x < nx + cw && nx - cw < r.x + r.w && r.y < ny + nr + 2 * fh + 6 * s && ny + nr < r.y + r.h;
                free_ = !disc && !cap;
            }
            if (free_) {
                placed[n_placed++] = r;
                viz_text(v->d, VIZ_FONT_SMALL, r.x, r.y, why, viz_alpha(v->th->danger, a));
            }
        }
    }
}

/* ---- Nodes. -------------------------------------------------------------------- */

static void hatch(viz_draw_t *d, float cx, float cy, float r, float step, float w, viz_rgba_t c)
{
    /* Diagonal chords: lines x - y = k clipped to the circle. */
    for (float k = -r * 1.4f; k <= r * 1.4f; k += step) {
        /* Points (t + k/2, t - k/2) rotated: chord along direction (1,1)/sqrt2 at offset k/sqrt2. */
        float off = k / 1.41421356f;
        if (fabsf(off) >= r - 1) continue;
        float half = sqrtf(r * r - off * off) - 0.8f;
        float ox = cx + off * 0.70710678f, oy = cy - off * 0.70710678f;
        viz_line(d, ox - half * 0.70710678f, oy - half * 0.70710678f, ox + half * 0.70710678f, oy + half * 0.70710678f, w, c);
    }
}

static bool labels_on(const viz_view_t *v)
{
    return v->n_servers <= VIZ_LABEL_NODES_MAX && v->lay.r_server >= 9 * v->s && v->lay.kind != VIZ_LAYOUT_RINGS;
}

/* A disc and its rim: sprites when they are baked (see viz_draw_node_sprites). */
static void disc(viz_view_t *v, bool sprites, viz_sprite_id_t id, float x, float y, float r, viz_rgba_t fill, viz_rgba_t rim)
{
    if (sprites) {
        viz_sprite(v->d, id, x, y, fill);
        if (rim.a && id == VIZ_SPRITE_NODE) viz_sprite(v->d, VIZ_SPRITE_RIM, x, y, rim);
        return;
    }
    viz_fill_circle(v->d, x, y, r, fill);
    if (rim.a) viz_stroke_circle(v->d, x, y, r - 0.6f * v->s, 1.2f * v->s, rim);
}

/* Pass one: the selection and pick rings, and the disc. */
static void paint_server_disc(viz_view_t *v, uint32_t i, bool sprites)
{
    const viz_nd_t *n = &v->nd[i];
    float s = v->s, x = v->lay.x[i], y = v->lay.y[i], r = v->lay.r_server;
    viz_rgba_t fill = node_fill(v, i);
    if ((int64_t)i == v->selected) viz_ring(v->d, x, y, r + 5 * s, 2.5f * s, v->th->accent);
    else if ((int64_t)i == v->hover_node) viz_ring(v->d, x, y, r + 4 * s, 1.5f * s, viz_alpha(v->th->text_dim, 0.8f));
    if (v->picked[i]) viz_ring(v->d, x, y, r + 9 * s, 2 * s, v->th->group[0]);
    if (!n->member && !n->info.up) {
        /* Not started yet (absent until it joins): an empty place. */
        disc(v, sprites, VIZ_SPRITE_NODE, x, y, r, viz_alpha(v->th->panel, 0.9f), v->th->text_faint);
    } else {
        disc(v, sprites, VIZ_SPRITE_NODE, x, y, r, n->member ? fill : viz_alpha(fill, 0.45f), darker(fill, 0.3f));
    }
}

/* Pass two, over the discs: a crash's cross, a pause's hatching, the labels. */
static void paint_server_marks(viz_view_t *v, uint32_t i, bool labels)
{
    const viz_nd_t *n = &v->nd[i];
    float s = v->s, x = v->lay.x[i], y = v->lay.y[i], r = v->lay.r_server;
    viz_rgba_t fill = node_fill(v, i);
    if (!n->info.up && n->member) cross(v->d, x, y, r * 0.5f, fmaxf(r * 0.09f, 1.2f * s), viz_alpha(v->th->crashed_mark, 0.7f));
    if (n->info.paused) hatch(v->d, x, y, r - 1.5f * s, fmaxf(r * 0.32f, 3 * s), fmaxf(r * 0.08f, 1.2f * s), viz_alpha(darker(fill, 0.55f), 0.75f));
    if (!labels) return;
    float fh = viz_font_height(v->d, VIZ_FONT_BOLD);
    float nw = viz_text_width(v->d, VIZ_FONT_BOLD, n->info.name);
    float ly = y + r + 4 * s;
    if (nw <= r * 1.75f) {
        viz_rgba_t tc = n->info.up ? text_on(v, fill) : v->th->text;
        viz_text(v->d, VIZ_FONT_BOLD, x - nw / 2, y - fh / 2, n->info.name, tc);
    } else {
        viz_text(v->d, VIZ_FONT_BOLD, x - nw / 2, ly, n->info.name, v->th->text);
        ly += fh;
    }
    /* Under the node: its role and the protocol's state line. */
    char line[160];
    line[0] = 0;
    if (!n->info.up) snprintf(line, sizeof line, "%s", n->member ? "crashed" : "not started");
    else if (!n->member) snprintf(line, sizeof line, "left the cluster");
    else {
        const char *role = n->role != SIM_ROLE_NONE ? sim_role_name(run_sim(v->ses), n->role) : "";
        const char *st = n->desc.line[0] ? n->desc.line : "";
        /* Protocols often start their state line with the role already. */
        size_t rl = strlen(role);
        if (rl && !strncmp(st, role, rl) && (st[rl] == ' ' || !st[rl])) role = "";
        snprintf(line, sizeof line, "%s%s%s%s%s", n->info.paused ? "paused" : "", n->info.paused && (role[0] || st[0]) ? " \xc2\xb7 " : "",
                 role, role[0] && st[0] ? " \xc2\xb7 " : "", st);
    }
    if (line[0]) {
        /* As wide as the nearest neighbour leaves room for, so labels never collide. */
        float near = 1e9f;
        for (uint32_t j = 0; j < v->n_servers; j++)
            if (j != i) near = fminf(near, hypotf(v->lay.x[j] - x, v->lay.y[j] - y));
        float maxw = fminf(fmaxf(near - 14 * s, 2 * r), 220 * s);
        /* Centred under the node, so no wider than twice its distance to the nearer edge
         * of the canvas (a narrow pane of a side-by-side view would cut it). */
        float edge = fminf(x - v->canvas.x, v->canvas.x + v->canvas.w - x);
        maxw = fminf(maxw, fmaxf(2 * edge - 8 * s, 2 * r));
        float lw = viz_text_width(v->d, VIZ_FONT_SMALL, line);
        if (lw > maxw) {
            /* Two lines, broken between words, before anything is cut (then between
             * words too, see viz_text_fit). */
            /* The last break that fits, after a comma or a dot separator if there is
             * one ("0 locked, 0 blocked, | sum 194"), else between any two words. */
            char *brk = NULL, *phrase = NULL;
            for (char *c = line; *c; c++) {
                if (*c != ' ') continue;
                *c = 0;
                bool fits = viz_text_width(v->d, VIZ_FONT_SMALL, line) <= maxw;
                *c = ' ';
                if (!fits) break;
                brk = c;
                if (c > line && (c[-1] == ',' || !strncmp(c + 1, "\xc2\xb7 ", 3))) phrase = c;
            }
            if (phrase) brk = phrase;
            if (brk) {
                *brk = 0;
                const char *rest = brk + 1;
                if (!strncmp(rest, "\xc2\xb7 ", 3)) rest += 3;     /* a line never starts with a separator */
                size_t k = strlen(line);
                if (k >= 3 && !strcmp(line + k - 3, " \xc2\xb7")) line[k - 3] = 0;
                float w1 = viz_text_width(v->d, VIZ_FONT_SMALL, line);
                viz_text(v->d, VIZ_FONT_SMALL, x - w1 / 2, ly, line, v->th->text_dim);
                ly += viz_font_height(v->d, VIZ_FONT_SMALL);
                memmove(line, rest, strlen(rest) + 1);
                lw = viz_text_width(v->d, VIZ_FONT_SMALL, line);
            }
        }
        lw = fminf(lw, maxw);
        viz_text_fit(v->d, VIZ_FONT_SMALL, x - lw / 2, ly, maxw, line, v->th->text_dim);
    }
}

static void paint_clients(viz_view_t *v, bool sprites)
{
    uint32_t nc = v->lay.n_clients;
    if (!nc) return;
    float s = v->s, r = v->lay.r_client;
    bool labels = r >= 5.5f * s && nc <= 48;
    viz_text(v->d, VIZ_FONT_SMALL, v->canvas.x + 12 * s, v->lay.server_bottom + 2 * s, "clients", v->th->text_faint);
    for (uint32_t k = 0; k < nc; k++) {
        uint32_t i = v->n_servers + k;
        float x = v->lay.x[i], y = v->lay.y[i];
        if ((int64_t)i == v->selected) viz_stroke_circle(v->d, x, y, r + 4 * s, 2 * s, v->th->accent);
        else if ((int64_t)i == v->hover_node) viz_stroke_circle(v->d, x, y, r + 3 * s, 1.2f * s, v->th->text_dim);
        if (v->picked[i]) viz_stroke_circle(v->d, x, y, r + 7 * s, 2 * s, v->th->group[0]);
        viz_rgba_t c = v->th->client;
        if (v->nd[i].info.group) c = viz_mix(c, v->th->group[(v->nd[i].info.group - 1) % VIZ_GROUP_COLORS], 0.5f);
        viz_rgba_t none = {0, 0, 0, 0};
        disc(v, sprites, VIZ_SPRITE_CLIENT, x, y, r, c, none);
        if (labels) {
            float w = viz_text_width(v->d, VIZ_FONT_SMALL, v->nd[i].info.name);
            viz_text(v->d, VIZ_FONT_SMALL, x - w / 2, y + r + 2 * s, v->nd[i].info.name, v->th->text_dim);
        }
    }
}

/* ---- The legend. --------------------------------------------------------------- */

static void paint_legend(viz_view_t *v)
{
    float s = v->s, fh = viz_font_height(v->d, VIZ_FONT_SMALL), row = fh + 3 * s;
    const sim_t *sim = run_sim(v->ses);
    uint32_t roles = run_roles_seen(v->ses);
    for (uint32_t i = 0; i < v->n_servers; i++) if (v->nd[i].role != SIM_ROLE_NONE) roles |= 1u << v->nd[i].role;
    /* Entries: roles seen (or "server"), crashed, paused, client; message types; marks. */
    const char *names[40];
    viz_rgba_t cols[40];
    int kinds[40], n = 0;   /* 0 disc, 1 crashed, 2 paused, 3 message, 4 drop, 5 doomed, 6 duplicate */
    if (v->sir) {
        static const char *const sir[3] = {"susceptible", "infective", "removed"};
        for (int k = 0; k < 3; k++) { names[n] = sir[k]; cols[n] = v->th->sir[k]; kinds[n++] = 0; }
    } else if (!(roles & ~1u)) {
        names[n] = "server"; cols[n] = v->th->node; kinds[n++] = 0;
    }
    for (int r = 1; r < 32 && n < 20; r++)
        if (roles >> r & 1) { names[n] = sim_role_name(sim, (unsigned)r); cols[n] = role_color(v, (sim_role_t)r); kinds[n++] = 0; }
    names[n] = "crashed"; cols[n] = v->th->crashed; kinds[n++] = 1;
    names[n] = "paused"; cols[n] = v->th->node; kinds[n++] = 2;
    if (v->lay.n_clients) { names[n] = "client"; cols[n] = v->th->client; kinds[n++] = 0; }
    int split = n;
    /* Message types that have been sent: a protocol may declare a dozen, of which a
     * scenario uses four. */
    unsigned nt = sim_n_msg_types(sim);
    const sim_stats_t *st = sim_stats(sim);
    for (unsigned t = 0; t < nt && n < 36; t++) {
        if (!st->sent_by_type[t]) continue;
        names[n] = sim_msg_type_name(sim, t); cols[n] = viz_msg_color(v->th, t); kinds[n++] = 3;
    }
    names[n] = "dropped"; cols[n] = v->th->danger; kinds[n++] = 4;
    names[n] = "will be dropped"; cols[n] = v->th->danger; kinds[n++] = 5;
    names[n] = "duplicate"; cols[n] = v->th->text; kinds[n++] = 6;
    /* Cut links, when a cut is in force: both ways, or one way (the arrow points the
     * way messages can no longer go). */
    bool cut2 = false, cut1 = false;
    for (uint32_t a = 0; a < v->n_servers && a < 256 && sim_partitioned(sim); a++)
        for (uint32_t b = a + 1; b < v->n_servers && b < 256; b++) {
            bool ab = sim_link_blocked(sim, a, b), ba = sim_link_blocked(sim, b, a);
            cut2 |= ab && ba;
            cut1 |= ab != ba;
        }
    if (cut2) { names[n] = "link cut"; cols[n] = v->th->danger; kinds[n++] = 7; }
    if (cut1) { names[n] = "blocked one way"; cols[n] = v->th->danger; kinds[n++] = 8; }
    float colw[2] = {0, 0};
    for (int i = 0; i < n; i++) {
        float w = viz_text_width(v->d, VIZ_FONT_SMALL, names[i]);
        int c = i < split ? 0 : 1;
        if (w > colw[c]) colw[c] = w;
    }
    int rows = split > n - split ? split : n - split;
    float pad = 8 * s, sw = 16 * s;
    float bw = pad * 3 + 2 * sw + colw[0] + colw[1] + 6 * s, bh = pad * 2 + (float)rows * row;
    float bx = v->canvas.x + 10 * s, by = v->canvas.y + 10 * s;
    if (bw > v->canvas.w * 0.5f || bh > v->canvas.h * 0.6f) return;   /* no room: the canvas comes first */
    /* Top left, else bottom left or bottom right of the servers' area, else nowhere:
     * never over a node (the top right belongs to a protocol's picture). */
    float bottom = v->lay.n_clients ? v->lay.server_bottom : v->canvas.y + v->canvas.h;
    const float ty[3] = {v->canvas.y + 10 * s, bottom - bh - 6 * s, bottom - bh - 6 * s};
    const float tx[3] = {bx, bx, v->canvas.x + v->canvas.w - bw - 10 * s};
    int k = 0;
    for (; k < 3; k++) {
        bx = tx[k];
        by = ty[k];
        bool clear = by >= v->canvas.y;
        for (uint32_t i = 0; clear && i < v->n_servers && i < 4096; i++) {
            float r = v->lay.r_server + 3 * s, nx = v->lay.x[i], ny = v->lay.y[i];
            if (nx + r > bx && nx - r < bx + bw && ny + r > by && ny - r < by + bh) clear = false;
        }
        const viz_frect_t *p = &v->pic_box;
        if (p->w > 0 && p->x < bx + bw + 4 * s && p->x + p->w + 4 * s > bx && p->y < by + bh + 4 * s && p->y + p->h + 4 * s > by) clear = false;
        if (clear) break;
    }
    if (k == 3) return;
    v->legend_box = (viz_frect_t){bx, by, bw, bh};
    viz_fill_round_rect(v->d, bx, by, bw, bh, 6 * s, viz_alpha(v->th->panel, 0.86f));
    viz_stroke_round_rect(v->d, bx, by, bw, bh, 6 * s, 1 * s, viz_alpha(v->th->border, 0.9f));
    for (int i = 0; i < n; i++) {
        int c = i < split ? 0 : 1, rr = i < split ? i : i - split;
        float x = bx + pad + (c ? sw + colw[0] + pad + 6 * s : 0), y = by + pad + (float)rr * row, cy = y + fh / 2;
        float cx = x + sw / 2, rad = 5.5f * s;
        switch (kinds[i]) {
        case 0: viz_fill_circle(v->d, cx, cy, rad, cols[i]); break;
        case 1: viz_fill_circle(v->d, cx, cy, rad, cols[i]); cross(v->d, cx, cy, rad * 0.5f, 1.2f * s, v->th->crashed_mark); break;
        case 2: viz_fill_circle(v->d, cx, cy, rad, cols[i]); hatch(v->d, cx, cy, rad - 0.5f * s, 3 * s, 1 * s, darker(cols[i], 0.55f)); break;
        case 3: viz_sprite(v->d, VIZ_SPRITE_DOT, cx, cy, cols[i]); break;
        case 4: cross(v->d, cx, cy, 3 * s, 1.4f * s, cols[i]); break;
        case 5: viz_sprite(v->d, VIZ_SPRITE_DOT, cx, cy, viz_alpha(v->th->text_dim, 0.75f)); viz_sprite(v->d, VIZ_SPRITE_RING, cx, cy, cols[i]); break;
        case 6: viz_sprite(v->d, VIZ_SPRITE_DOT, cx, cy, v->th->text_dim); viz_sprite(v->d, VIZ_SPRITE_RING, cx, cy, viz_alpha(cols[i], 0.7f)); break;
        case 7: viz_dashed_line(v->d, x, cy, x + sw, cy, 1.6f * s, 4 * s, 3 * s, cols[i]); break;
        case 8: {
            viz_dashed_line(v->d, x, cy, x + sw, cy, 1.4f * s, 4 * s, 3 * s, cols[i]);
            float tri[6] = {x + sw, cy, x + sw - 8 * s, cy - 4.5f * s, x + sw - 8 * s, cy + 4.5f * s};
            viz_fill_convex(v->d, tri, 3, cols[i]);
            break;
        }
        }
        viz_text(v->d, VIZ_FONT_SMALL, x + sw + 4 * s, y, names[i], v->th->text_dim);
    }
}

/* ---- Pictures of one protocol's state, drawn only when it is on screen. ----------- */

/* A box in a corner of the canvas for a picture, with its title; returns false when
 * the canvas has no room (the cluster comes first). */
static bool picture_box(viz_view_t *v, float w, float h, const char *title, float *x, float *y)
{
    float s = v->s;
    if (w > v->canvas.w * 0.45f || h > v->canvas.h * 0.6f) return false;
    *x = v->canvas.x + v->canvas.w - w - 10 * s;
    *y = v->canvas.y + 10 * s;
    /* Never over a server: on a canvas too narrow for the layout to leave the corner
     * free (view.c), the picture gives way. */
    for (uint32_t i = 0; i < v->n_servers && i < 4096; i++) {
        float r = v->lay.r_server + 4 * s, nx = v->lay.x[i], ny = v->lay.y[i];
        if (nx + r > *x && nx - r < *x + w && ny + r > *y && ny - r < *y + h) return false;
    }
    viz_fill_round_rect(v->d, *x, *y, w, h, 6 * s, viz_alpha(v->th->panel, 0.9f));
    viz_stroke_round_rect(v->d, *x, *y, w, h, 6 * s, 1 * s, viz_alpha(v->th->border, 0.9f));
    viz_text(v->d, VIZ_FONT_SMALL, *x + 8 * s, *y + 5 * s, title, v->th->text_dim);
    v->pic_box = (viz_frect_t){*x, *y, w, h};     /* the legend keeps clear of it */
    return true;
}

/* The shade of an entry of term t: three steps of grey, far apart, so neighbouring
 * terms differ without taking a colour that means something else in the window. */
static viz_rgba_t term_shade(const viz_theme_t *th, int64_t t)
{
    static const float k[3] = {0.0f, 1.0f, 0.45f};
    return viz_mix(viz_mix(th->text_faint, th->panel, 0.35f), th->text, k[(t < 0 ? 0 : t) % 3]);
}

#define VIZ_LOG_ENTRIES 24      /* entries shown per row: the newest, up to the longest log */

/* Raft: each server's log as a row of entries shaded by term, the newest
 * VIZ_LOG_ENTRIES of the longest log, with the commit index marked (as RaftScope
 * draws it), the row's current term at its end, and entries only in a snapshot
 * hatched. A follower that missed entries shows a shorter row; entries of an old term
 * a new leader will overwrite show a shade that differs from the leader's row. */
static void paint_raft_logs(viz_view_t *v)
{
    sim_t *sim = run_sim_mut(v->ses);
    uint32_t n = v->n_servers < 9 ? v->n_servers : 9;
    raft_view_t rv;
    int64_t last = 0;
    for (uint32_t i = 0; i < n; i++)
        if (raft_view(sim, i, &rv) && rv.last_index > last) last = rv.last_index;
    float s = v->s, fh = viz_font_height(v->d, VIZ_FONT_SMALL), bw = 8 * s, gap = 1.5f * s, rh = fh + 4 * s;
    float namew = 0;
    for (uint32_t i = 0; i < n; i++) namew = fmaxf(namew, viz_text_width(v->d, VIZ_FONT_SMALL, v->nd[i].info.name));
    float w = 8 * s + namew + 8 * s + VIZ_LOG_ENTRIES * (bw + gap) + 40 * s, h = 8 * s + fh + 6 * s + rh * (float)n + fh + 10 * s;
    float x, y;
    char b[64];
    snprintf(b, sizeof b, "logs: entries %" PRId64 "..%" PRId64, last > VIZ_LOG_ENTRIES ? last - VIZ_LOG_ENTRIES + 1 : 1, last);
    if (!picture_box(v, w, h, b, &x, &y)) return;
    const viz_theme_t *th = v->th;
    int64_t first = last > VIZ_LOG_ENTRIES ? last - VIZ_LOG_ENTRIES + 1 : 1;
    float ey = y + 8 * s + fh + 4 * s, ex0 = x + 8 * s + namew + 8 * s;
    for (uint32_t i = 0; i < n; i++, ey += rh) {
        viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, ey, v->nd[i].info.name,
                 v->nd[i].role != SIM_ROLE_NONE ? role_color(v, v->nd[i].role) : th->text_dim);
        if (!raft_view(sim, i, &rv) || !v->nd[i].info.up) {
            viz_text(v->d, VIZ_FONT_SMALL, ex0, ey, "down", th->crashed_mark);
            continue;
        }
        float cy = ey + fh / 2;
        for (int64_t k = first; k < first + VIZ_LOG_ENTRIES; k++) {
            float bx = ex0 + (float)(k - first) * (bw + gap);
            if (k <= rv.log_base && k <= rv.snap_index) {
                viz_fill_rect(v->d, bx, cy - bw / 2, bw, bw, viz_alpha(th->text_faint, 0.5f));   /* in the snapshot */
            } else if (k > rv.log_base && k <= rv.last_index) {
                viz_fill_rect(v->d, bx, cy - bw / 2, bw, bw, term_shade(th, rv.entries[k - rv.log_base - 1].term));
            } else {
                viz_fill_rect(v->d, bx, cy - bw / 2, bw, bw, viz_alpha(th->border, 0.7f));      /* empty slot */
            }
        }
        if (rv.commit_index >= first - 1 && rv.commit_index < first + VIZ_LOG_ENTRIES) {
            float cx = ex0 + (float)(rv.commit_index - first + 1) * (bw + gap) - gap / 2;
            viz_fill_rect(v->d, cx - 1 * s, cy - bw / 2 - 3 * s, 2 * s, bw + 6 * s, th->ok);
        }
        snprintf(b, sizeof b, "t%" PRId64, rv.term);
        viz_text(v->d, VIZ_FONT_SMALL, ex0 + VIZ_LOG_ENTRIES * (bw + gap) + 6 * s, ey, b, th->text_dim);
    }
    /* The legend: shades are terms, the green bar the commit index. */
    float ly = ey + 2 * s, lx = ex0;
    for (int t = 1; t <= 3; t++) viz_fill_rect(v->d, lx + (float)(t - 1) * (bw + gap), ly + fh / 2 - bw / 2, bw, bw, term_shade(th, t));
    lx += 3 * (bw + gap) + 4 * s;
    viz_text(v->d, VIZ_FONT_SMALL, lx, ly, "terms 1, 2, 3", th->text_dim);
    lx += viz_text_width(v->d, VIZ_FONT_SMALL, "terms 1, 2, 3") + 10 * s;
    viz_fill_rect(v->d, lx, ly + fh / 2 - bw / 2 - 3 * s, 2 * s, bw + 6 * s, th->ok);
    viz_text(v->d, VIZ_FONT_SMALL, lx + 6 * s, ly, "commit index", th->text_dim);
}

/* A horizontal bar of value/max of width w at (x, y), with its text after it. */
static void bar(viz_view_t *v, float x, float y, float w, float h, double value, double max, viz_rgba_t c, const char *text)
{
    float s = v->s, f = max > 0 && isfinite(value) ? (float)fmin(value / max, 1.0) : 0;
    viz_fill_rect(v->d, x, y, w, h, viz_alpha(v->th->border, 0.6f));
    viz_fill_rect(v->d, x, y, fmaxf(f * w, value > 0 ? 1 * s : 0), h, c);
    if (text) viz_text(v->d, VIZ_FONT_SMALL, x + w + 5 * s, y + h / 2 - viz_font_height(v->d, VIZ_FONT_SMALL) / 2, text, v->th->text_dim);
}

/* An owner's colour in the ring picture, and only there: the swatch before its name
 * in the picture's table is the legend. Shard servers hold no role, so the role
 * colours are free to name them, but not the accent (the bars) nor vermillion (the
 * hot spot): orange, green, purple and yellow, then the same darker, then lighter. */
static viz_rgba_t owner_color(const viz_view_t *v, uint32_t node)
{
    static const int pick[4] = {1, 2, 3, 4};     /* indices into the group colours */
    viz_rgba_t c = v->th->group[pick[node % 4]];
    uint32_t round = (node / 4) % 3;
    viz_rgba_t black = {0, 0, 0, 255}, white = {255, 255, 255, 255};
    return round == 1 ? viz_mix(c, black, 0.45f) : round == 2 ? viz_mix(c, white, 0.5f) : c;
}

/* The angle of a position on the ring (a fraction of the circle), 0 at the top,
 * clockwise as the ring is walked. */
static float ring_angle(double f) { return (float)(f * 2 * 3.14159265358979) - PI_F / 2; }

/* A key's place on the circle: its hash for consistent hashing and mod N, its index
 * for ranges (which cut the keys, not the hashes). */
static double key_place(const ring_t *r, uint32_t key, uint32_t n_keys)
{
    if (r->scheme == RING_RANGE) return ((double)key + 0.5) / (double)n_keys;
    return (double)ring_key_pos(key) / 18446744073709551616.0;
}

/* The ring as the most up-to-date server sees it: consistent hashing as arcs, each
 * owned by the point at its clockwise end; ranges and mod N as one tick per key in
 * its owner's colour (mod N has no arcs to draw: that is its point). Keys whose owner
 * changed at the last join or leave stand out as ticks outside the ring, and those
 * still on their way to the new owner as hollow circles. Returns the keys moved and
 * still moving in *moved and *moving, and the viewing server in *vnode (-1: none). */
static void paint_shard_ring(viz_view_t *v, float cx, float cy, float rad, const shard_view_t *sv, uint32_t *moved, uint32_t *moving)
{
    sim_t *sim = run_sim_mut(v->ses);
    float s = v->s;
    *moved = *moving = 0;
    viz_stroke_circle(v->d, cx, cy, rad, 1 * s, viz_alpha(v->th->border, 0.9f));
    if (!sv) return;
    const ring_t *r = sv->ring;
    float band = 12 * s;
    if (r->scheme == RING_CONSISTENT && ring_n_points(r)) {
        uint32_t np = ring_n_points(r);
        for (uint32_t i = 0; i < np; i++) {
            const ring_point_t *p = ring_point(r, i), *q = ring_point(r, i ? i - 1 : np - 1);
            double f1 = (double)p->pos / 18446744073709551616.0, f0 = (double)q->pos / 18446744073709551616.0;
            if (f0 > f1) f0 -= 1;                      /* the arc that wraps past the top */
            int k = 2 + (int)((f1 - f0) * 96);
            if (k > 24) k = 24;
            float pts[50];
            for (int j = 0; j <= k; j++) {
                float a = ring_angle(f0 + (f1 - f0) * j / k);
                pts[2 * j] = cx + rad * cosf(a);
                pts[2 * j + 1] = cy + rad * sinf(a);
            }
            viz_stroke_poly(v->d, pts, k + 1, false, band, owner_color(v, p->node));
        }
    } else {
        for (uint32_t k = 0; k < sv->n_keys; k++) {
            uint32_t o = ring_owner(r, k);
            if (o == RING_NONE) continue;
            float a = ring_angle(key_place(r, k, sv->n_keys));
            viz_line(v->d, cx + (rad - band / 2) * cosf(a), cy + (rad - band / 2) * sinf(a), cx + (rad + band / 2) * cosf(a),
                     cy + (rad + band / 2) * sinf(a), 1.3f * s, owner_color(v, o));
        }
    }
    if (sv->change_at_ns < 0) return;
    for (uint32_t k = 0; k < sv->n_keys; k++) {
        uint32_t o = ring_owner(r, k), b = ring_owner(sv->before, k);
        if (o == b || o == RING_NONE || b == RING_NONE) continue;
        (*moved)++;
        float a = ring_angle(key_place(r, k, sv->n_keys)), ca = cosf(a), sa = sinf(a);
        float r0 = rad + band / 2 + 2 * s, r1 = r0 + 7 * s;
        bool on_way = shard_view_arriving(sim, o, k);
        viz_line(v->d, cx + r0 * ca, cy + r0 * sa, cx + r1 * ca, cy + r1 * sa, 1.4f * s, v->th->text);
        if (on_way) {
            (*moving)++;
            viz_stroke_circle(v->d, cx + (r1 + 4 * s) * ca, cy + (r1 + 4 * s) * sa, 3 * s, 1.2f * s, v->th->text);
        }
    }
}

/* The server whose view of the ring is the fullest: up, in a ring with members, and
 * having seen the most joins and leaves. Its id, or -1. */
static int64_t shard_pick_view(viz_view_t *v, shard_view_t *sv)
{
    int64_t pick = -1;
    for (uint32_t i = 0; i < v->n_servers; i++) {
        shard_view_t t;
        if (shard_view(run_sim_mut(v->ses), i, &t) && ring_n_members(t.ring) && (pick < 0 || t.n_changes > sv->n_changes)) {
            *sv = t;
            pick = i;
        }
    }
    return pick;
}

/* Sharding: the ring with each server's arcs beside per-node load bars (keys held
 * and requests served, the hottest node's requests in the warning colour so a hot
 * spot is obvious), and what the last join or leave moved beside the ideal 1/N. The
 * ring comes from the protocol's view (shard.h), the load from the live summary. */
static void paint_shard_load(viz_view_t *v)
{
    const viz_pic_t *pc = v->pic;
    if (!pc || !pc->n) return;
    float s = v->s, fh = viz_font_height(v->d, VIZ_FONT_SMALL), rh = fh + 3 * s, bw = 56 * s, ringd = 150 * s;
    float namew = 0;
    double kmax = 0, rmax = 0;
    uint32_t hot = 0;
    for (uint32_t i = 0; i < pc->n && i < v->n_servers; i++) {
        namew = fmaxf(namew, viz_text_width(v->d, VIZ_FONT_SMALL, v->nd[i].info.name));
        if (pc->a[i] > kmax) kmax = pc->a[i];
        if (pc->b[i] > rmax) { rmax = pc->b[i]; hot = i; }
    }
    float tw = 8 * s + namew + 8 * s + 2 * (bw + 36 * s);
    float th_ = 2 * fh + 8 * s + rh * (float)pc->n;
    float body = fmaxf(th_, ringd + 24 * s);
    float w = 8 * s + ringd + 24 * s + tw + 4 * s, h = 8 * s + fh + 4 * s + body + 3 * rh + 8 * s;
    float x, y;
    shard_view_t sv;
    int64_t vn = shard_pick_view(v, &sv);
    uint32_t scheme_id = vn >= 0 ? sv.ring->scheme : RING_SCHEME_COUNT_;
    const char *scheme = scheme_id == RING_CONSISTENT ? "consistent hashing" : scheme_id == RING_RANGE ? "ranges" : scheme_id == RING_MOD ? "hash mod N" : "no members";
    char b[160];
    snprintf(b, sizeof b, "ring (%s), %s in their owner's colour, and load", scheme, scheme_id == RING_CONSISTENT ? "arcs" : "keys");
    if (!picture_box(v, w, h, b, &x, &y)) return;
    const viz_theme_t *th = v->th;
    float top = y + 8 * s + fh + 4 * s;
    uint32_t moved = 0, moving = 0;
    paint_shard_ring(v, x + 8 * s + 12 * s + ringd / 2, top + 12 * s + ringd / 2, ringd / 2 - 8 * s, vn >= 0 ? &sv : NULL, &moved, &moving);
    float tx = x + 8 * s + ringd + 24 * s;
    float cx0 = tx + 8 * s + namew + 8 * s, cx1 = cx0 + bw + 36 * s, yy = top;
    viz_text(v->d, VIZ_FONT_SMALL, cx0, yy, "keys", th->text_dim);
    viz_text(v->d, VIZ_FONT_SMALL, cx1, yy, "requests", th->text_dim);
    yy += fh + 4 * s;
    for (uint32_t i = 0; i < pc->n && i < v->n_servers; i++, yy += rh) {
        bool member = pc->c[i] > 0.5;
        viz_fill_rect(v->d, tx, yy + fh / 2 - 3 * s, 6 * s, 6 * s, member ? owner_color(v, i) : viz_alpha(th->text_faint, 0.5f));
        viz_text(v->d, VIZ_FONT_SMALL, tx + 9 * s, yy, v->nd[i].info.name, member ? th->text : th->text_faint);
        snprintf(b, sizeof b, "%.0f", pc->a[i]);
        bar(v, cx0, yy + 2 * s, bw, fh - 4 * s, pc->a[i], kmax, th->accent, b);
        snprintf(b, sizeof b, "%.0f", pc->b[i]);
        bar(v, cx1, yy + 2 * s, bw, fh - 4 * s, pc->b[i], rmax, i == hot && rmax > 0 ? th->danger : th->accent, b);
    }
    yy = top + body + 2 * s;
    char t1[32];
    if (vn >= 0 && sv.change_at_ns >= 0 && sv.change_node < v->n_servers) {
        int o = snprintf(b, sizeof b, "%s %s at %s: %u of %u keys moved", v->nd[sv.change_node].info.name, sv.change_joined ? "joined" : "left",
                         dur(sv.change_at_ns, t1, sizeof t1), moved, sv.n_keys);
        if (isfinite(pc->x[1]) && o > 0 && (size_t)o < sizeof b)
            o += snprintf(b + o, sizeof b - (size_t)o, " (1/N: %.0f)", pc->x[1] * sv.n_keys);
        viz_text_fit(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, w - 16 * s, b, th->text);
    } else {
        viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, "no server has joined or left yet", th->text_dim);
    }
    yy += rh;
    /* The legend of the marks. */
    float lx = x + 8 * s, my = yy + fh / 2;
    viz_line(v->d, lx, my + 4 * s, lx, my - 4 * s, 1.4f * s, th->text);
    viz_text(v->d, VIZ_FONT_SMALL, lx + 5 * s, yy, "key moved by the last change", th->text_dim);
    lx += 5 * s + viz_text_width(v->d, VIZ_FONT_SMALL, "key moved by the last change") + 12 * s;
    viz_stroke_circle(v->d, lx + 3 * s, my, 3 * s, 1.2f * s, th->text);
    snprintf(b, sizeof b, "on its way (%u)", moving);
    viz_text(v->d, VIZ_FONT_SMALL, lx + 9 * s, yy, b, th->text_dim);
    lx += 9 * s + viz_text_width(v->d, VIZ_FONT_SMALL, b) + 12 * s;
    viz_fill_rect(v->d, lx, my - 3 * s, 6 * s, 6 * s, th->danger);
    viz_text(v->d, VIZ_FONT_SMALL, lx + 9 * s, yy, "hottest", th->text_dim);
    yy += rh;
    snprintf(b, sizeof b, "imbalance (max/mean): keys %.2f, requests %.2f", pc->x[2], pc->x[3]);
    viz_text_fit(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, w - 16 * s, b, th->text_dim);
}

#define VIZ_STREAM_PARTS 8          /* partitions drawn as rows */

/* One partition's row of the window timeline, in event time from e0 to e1 over
 * [x, x + w]: each window (tumbling) or pane of one slide (sliding) filled once the
 * watermark has passed its end (it fired), outlined while open;
 * the watermark as a line in the accent colour; the latest late events where their
 * event time falls, a cross when dropped, a ring when counted as a late update. */
static void stream_timeline(viz_view_t *v, const stream_view_t *sv, uint32_t p, float x, float y, float w, float h,
                            sim_time_t e0, sim_time_t e1)
{
    const viz_theme_t *th = v->th;
    float s = v->s;
    double k = (double)(e1 - e0) / w;
#define EX(t) (x + (float)((double)((t) - e0) / k))
    sim_time_t wm = sv->part[p].wm_ns, step = sv->slide_ns > 0 ? sv->slide_ns : sv->size_ns;
    if (step <= 0) return;
    int64_t k0 = e0 / step - 1, k1 = e1 / step + 1;
    for (int64_t j = k0; j <= k1 && j - k0 < 400; j++) {
        sim_time_t a = j * step, b = a + step, end = sv->window == ST_WIN_TUMBLING ? a + sv->size_ns : b;
        if (b < e0 || a > e1) continue;
        float xa = fmaxf(EX(a), x), xb = fminf(EX(b), x + w);
        if (xb - xa < 1) continue;
        if (wm != INT64_MIN && end <= wm) {
            viz_fill_rect(v->d, xa + 0.5f * s, y, xb - xa - 1 * s, h, viz_alpha(th->text_dim, 0.6f));
        } else {
            viz_stroke_round_rect(v->d, xa + 0.5f * s, y, xb - xa - 1 * s, h, 1 * s, 1 * s, viz_alpha(th->text_dim, 0.8f));
        }
    }
    if (wm != INT64_MIN && wm >= e0 && wm <= e1) viz_fill_rect(v->d, EX(wm) - 1 * s, y - 3 * s, 2 * s, h + 6 * s, th->accent);
    for (uint32_t i = 0; i < sv->n_late; i++) {
        const st_late_t *l = &sv->late[i];
        if (l->p != p || l->event_ns < e0 || l->event_ns > e1) continue;
        float lx = EX(l->event_ns), ly = y + h / 2;
        if (l->dropped) cross(v->d, lx, ly, 3 * s, 1.4f * s, th->danger);
        else viz_stroke_circle(v->d, lx, ly, 3 * s, 1.2f * s, th->text);
    }
#undef EX
}

/* Streaming: each partition's log on its leader broker (records and the high
 * watermark) with the consumers' lag, beside its window timeline in event time
 * (stream_timeline, from the processors through stream_view); then stream against
 * batch latency as two pairs of bars on one scale, growing as the run goes. */
static void paint_stream(viz_view_t *v)
{
    const viz_pic_t *pc = v->pic;
    if (!pc || !pc->n) return;
    stream_view_t *sv = &v->pic->stream;
    if (!stream_view(run_sim_mut(v->ses), sv)) return;
    uint32_t np = pc->n < VIZ_STREAM_PARTS ? pc->n : VIZ_STREAM_PARTS;
    float s = v->s, fh = viz_font_height(v->d, VIZ_FONT_SMALL), rh = fh + 3 * s, bw = 110 * s;
    uint32_t prow = (np + 1) / 2;       /* partitions two to a row */
    float w = 420 * s, h = 8 * s + fh + 6 * s + rh * (float)prow + 8 * s + rh * (float)(np + 2) + 8 * s + 4 * rh + 8 * s;
    float x, y;
    if (!picture_box(v, w, h, "partitions (records/high watermark, leader, lag), windows, latency", &x, &y)) return;
    const viz_theme_t *th = v->th;
    double rmax = 0;
    for (uint32_t i = 0; i < np; i++) if (pc->a[i] > rmax) rmax = pc->a[i];
    float yy = y + 8 * s + fh + 6 * s, colw = (w - 16 * s) / 2;
    char b[128], t0[32], t1[32];
    for (uint32_t i = 0; i < np; i++) {
        float cx = x + 8 * s + (float)(i % 2) * colw, cy = yy + (float)(i / 2) * rh;
        int leader = isfinite(pc->c[i]) ? (int)pc->c[i] : -1;
        const char *lname = leader >= 0 && (uint32_t)leader < v->n_servers ? v->nd[leader].info.name : "none";
        snprintf(b, sizeof b, "p%u", i);
        viz_text(v->d, VIZ_FONT_SMALL, cx, cy, b, th->text);
        bar(v, cx + 22 * s, cy + 2 * s, 24 * s, fh - 4 * s, pc->b[i], rmax, th->accent, NULL);
        snprintf(b, sizeof b, "%.0f/%.0f %s lag %.0f", pc->a[i], pc->b[i], lname, isfinite(pc->d[i]) ? pc->d[i] : 0);
        viz_text_fit(v->d, VIZ_FONT_SMALL, cx + 50 * s, cy, colw - 52 * s, b, th->text_dim);
    }
    yy += rh * (float)prow + 8 * s;
    /* Event time shown: four windows back from the newest event read. */
    sim_time_t newest = INT64_MIN;
    for (uint32_t p = 0; p < sv->n_partitions && p < np; p++) {
        /* A closed partition's watermark is "the end of time": not a place to look. */
        if (sv->part[p].max_event_ns > newest && sv->part[p].max_event_ns < SIM_TIME_MAX / 2) newest = sv->part[p].max_event_ns;
        if (sv->part[p].wm_ns > newest && sv->part[p].wm_ns < SIM_TIME_MAX / 2) newest = sv->part[p].wm_ns;
    }
    sim_time_t span = 4 * (sv->size_ns > 0 ? sv->size_ns : SIM_SEC), e1 = (newest == INT64_MIN ? 0 : newest) + span / 8;
    if (e1 < span) e1 = span;
    sim_time_t e0 = e1 - span;
    float namew = 0;
    for (uint32_t i = 0; i < np; i++) {
        int64_t pr = i < sv->n_partitions ? sv->part[i].processor : -1;
        snprintf(b, sizeof b, "p%u %s", i, pr >= 0 && (uint32_t)pr < v->n_nodes ? v->nd[pr].info.name : "unread");
        namew = fmaxf(namew, viz_text_width(v->d, VIZ_FONT_SMALL, b));
    }
    float tx = x + 8 * s + namew + 8 * s, tw = x + w - 8 * s - tx;
    for (uint32_t i = 0; i < np; i++, yy += rh) {
        int64_t pr = i < sv->n_partitions ? sv->part[i].processor : -1;
        snprintf(b, sizeof b, "p%u %s", i, pr >= 0 && (uint32_t)pr < v->n_nodes ? v->nd[pr].info.name : "unread");
        viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, b, pr >= 0 ? th->text_dim : th->text_faint);
        if (i < sv->n_partitions) stream_timeline(v, sv, i, tx, yy + 3 * s, tw, fh - 6 * s, e0, e1);
    }
    /* The time axis under the rows, and what the marks mean. */
    viz_text(v->d, VIZ_FONT_SMALL, tx, yy, dur(e0, t0, sizeof t0), th->text_faint);
    dur(e1, t1, sizeof t1);
    viz_text(v->d, VIZ_FONT_SMALL, tx + tw - viz_text_width(v->d, VIZ_FONT_SMALL, t1), yy, t1, th->text_faint);
    const char *axis = "event time \xe2\x86\x92";
    viz_text(v->d, VIZ_FONT_SMALL, tx + (tw - viz_text_width(v->d, VIZ_FONT_SMALL, axis)) / 2, yy, axis, th->text_faint);
    yy += rh;
    float lx = x + 8 * s, my = yy + fh / 2;
    viz_fill_rect(v->d, lx, my - 5 * s, 2 * s, 10 * s, th->accent);
    lx += 6 * s;
    lx += viz_text(v->d, VIZ_FONT_SMALL, lx, yy, "watermark", th->text_dim) + 10 * s;
    viz_fill_rect(v->d, lx, my - 4 * s, 10 * s, 8 * s, viz_alpha(th->text_dim, 0.6f));
    lx += 13 * s;
    lx += viz_text(v->d, VIZ_FONT_SMALL, lx, yy, "fired", th->text_dim) + 10 * s;
    viz_stroke_round_rect(v->d, lx, my - 4 * s, 10 * s, 8 * s, 1 * s, 1 * s, viz_alpha(th->text_dim, 0.8f));
    lx += 13 * s;
    lx += viz_text(v->d, VIZ_FONT_SMALL, lx, yy, "open", th->text_dim) + 10 * s;
    /* The late marks' legend, for the kinds there are. */
    bool any[2] = {false, false};
    for (uint32_t i = 0; i < sv->n_late; i++) any[sv->late[i].dropped ? 1 : 0] = true;
    if (any[1]) {
        cross(v->d, lx + 3 * s, my, 3 * s, 1.4f * s, th->danger);
        lx += 9 * s;
        lx += viz_text(v->d, VIZ_FONT_SMALL, lx, yy, "late, dropped", th->text_dim) + 10 * s;
    }
    if (any[0]) {
        viz_stroke_circle(v->d, lx + 3 * s, my, 3 * s, 1.2f * s, th->text);
        lx += 9 * s;
        lx += viz_text(v->d, VIZ_FONT_SMALL, lx, yy, "late, counted", th->text_dim) + 10 * s;
    }
    if (!any[0] && !any[1]) viz_text(v->d, VIZ_FONT_SMALL, lx, yy, "no late event yet", th->text_faint);
    yy += rh + 6 * s;
    viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, "latency (p50, p99)", th->text_dim);
    yy += rh;
    double lmax = fmax(fmax(pc->x[1], pc->x[3]), 1);
    char p50[32], p99[32];
    const char *who[2] = {"stream", "batch"};
    for (int k = 0; k < 2; k++, yy += rh) {
        double a50 = pc->x[2 * k], a99 = pc->x[2 * k + 1];
        viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, who[k], th->text);
        snprintf(b, sizeof b, "%s, %s", dur(isfinite(a50) ? (sim_time_t)a50 : 0, p50, sizeof p50), dur(isfinite(a99) ? (sim_time_t)a99 : 0, p99, sizeof p99));
        bar(v, x + 60 * s, yy + 2 * s, bw, fh - 4 * s, a99, lmax, viz_alpha(k ? th->text_dim : th->accent, 0.5f), NULL);
        bar(v, x + 60 * s, yy + 2 * s, bw, fh - 4 * s, a50, lmax, k ? th->text_dim : th->accent, b);
    }
    /* Only the acknowledged records lost are trouble: that figure alone turns vermillion. */
    snprintf(b, sizeof b, "windows exact %.0f/%.0f \xc2\xb7 late dropped %.0f \xc2\xb7 ", pc->x[5], pc->x[6], pc->x[4]);
    viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy + 2 * s, b, th->text_dim);
    float lost_x = x + 8 * s + viz_text_width(v->d, VIZ_FONT_SMALL, b);
    snprintf(b, sizeof b, "acked lost %.0f", pc->x[7]);
    viz_text(v->d, VIZ_FONT_SMALL, lost_x, yy + 2 * s, b, pc->x[7] > 0 ? th->danger : th->text_dim);
}

#define VIZ_REPLICA_ROWS 10         /* replicas listed in the convergence picture */

/* The latest delivery of a protocol message (a state, a push, a sync: a merge) to
 * each server in the last flash_ns of simulated time, from the message log: its
 * index into the log, or UINT64_MAX. */
static void recent_merges(viz_view_t *v, sim_time_t flash_ns, uint64_t *last, uint32_t n)
{
    sim_time_t now = run_now(v->ses);
    for (uint32_t i = 0; i < n; i++) last[i] = UINT64_MAX;
    uint64_t first = run_msg_since(v->ses, now - flash_ns - v->max_flight_ns - 1), end = run_msg_count(v->ses);
    if (first < run_msg_first(v->ses)) first = run_msg_first(v->ses);
    for (uint64_t i = first; i < end; i++) {
        const run_msg_t *m = run_msg(v->ses, i);
        if (m->type < SIM_MSG_BUILTIN || m->fate != RUN_FATE_DELIVERED || m->to >= n) continue;
        if (m->end_ns > now || m->end_ns < now - flash_ns) continue;
        if (last[m->to] == UINT64_MAX || run_msg(v->ses, last[m->to])->end_ns <= m->end_ns) last[m->to] = i;
    }
}

/* CRDTs and gossip: each replica's value now (its state line), a ring in the
 * message's colour around a replica that has just merged what another sent (on the
 * canvas and in the list), whether the replicas hold the same data now and since
 * when -- the moment of convergence, also a line on the space-time diagram -- and
 * how long they have disagreed in all. */
static void paint_convergence(viz_view_t *v)
{
    const sim_t *sim = run_sim(v->ses);
    if (!sim_protocol(sim)->replicas_equal) return;
    const sim_stats_t *st = sim_stats(sim);
    sim_time_t since = sim_equal_since(sim), now = run_now(v->ses);
    float s = v->s, fh = viz_font_height(v->d, VIZ_FONT_SMALL), rh = fh + 3 * s;
    uint32_t n = v->n_servers < VIZ_REPLICA_ROWS ? v->n_servers : VIZ_REPLICA_ROWS;
    uint64_t last[VIZ_REPLICA_ROWS];
    /* A merge shows for about half a second of real time at the present speed. */
    sim_time_t flash = (sim_time_t)(v->speed_ns * 0.5);
    recent_merges(v, flash, last, n);
    char l1[96], l2[96], b1[32], b2[32], b[160];
    if (since >= 0) snprintf(l1, sizeof l1, "equal since %s: converged", dur(since, b1, sizeof b1));
    else snprintf(l1, sizeof l1, "differ since %s", dur(st->unequal_since_ns >= 0 ? st->unequal_since_ns : now, b1, sizeof b1));
    sim_time_t open = st->unequal_since_ns >= 0 ? now - st->unequal_since_ns : 0;
    snprintf(l2, sizeof l2, "differed %s in all, longest %s", dur(st->diverged_ns + open, b1, sizeof b1),
             dur(open > st->diverged_max_ns ? open : st->diverged_max_ns, b2, sizeof b2));
    float namew = 0;
    for (uint32_t i = 0; i < n; i++) namew = fmaxf(namew, viz_text_width(v->d, VIZ_FONT_SMALL, v->nd[i].info.name));
    float w = 300 * s, h = 8 * s + fh + 4 * s + rh * (float)(n + (v->n_servers > n) + 3) + 6 * s, x, y;
    if (!picture_box(v, w, h, "replicas: values, merges, convergence", &x, &y)) return;
    const viz_theme_t *th = v->th;
    float yy = y + 8 * s + fh + 4 * s;
    for (uint32_t i = 0; i < n; i++, yy += rh) {
        const viz_nd_t *nd = &v->nd[i];
        char val[64];
        snprintf(val, sizeof val, "%s", nd->info.up ? nd->desc.line : "down");
        char *cut = strstr(val, " (");            /* "k0 = 35 (1 keys written)": the value is the point */
        if (cut) *cut = 0;
        viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, nd->info.name, nd->info.up ? th->text : th->crashed_mark);
        float vx = x + 16 * s + namew;
        if (last[i] != UINT64_MAX) {
            const run_msg_t *m = run_msg(v->ses, last[i]);
            viz_rgba_t c = viz_msg_color(th, m->type);
            viz_ring(v->d, v->lay.x[i], v->lay.y[i], v->lay.r_server + 4 * s, 2.5f * s, c);
            snprintf(b, sizeof b, "merged %s from %s", sim_msg_type_name(sim, m->type), m->from < v->n_nodes ? v->nd[m->from].info.name : "?");
            float bw = viz_text_width(v->d, VIZ_FONT_SMALL, b);
            viz_ring(v->d, x + w - 14 * s - bw, yy + fh / 2, 3.5f * s, 1.5f * s, c);
            viz_text(v->d, VIZ_FONT_SMALL, x + w - 8 * s - bw, yy, b, th->text_dim);
            viz_text_fit(v->d, VIZ_FONT_SMALL, vx, yy, x + w - 22 * s - bw - vx, val, th->text);
        } else {
            viz_text_fit(v->d, VIZ_FONT_SMALL, vx, yy, x + w - 8 * s - vx, val, nd->info.up ? th->text : th->crashed_mark);
        }
    }
    if (v->n_servers > n) {
        snprintf(b, sizeof b, "and %u more", v->n_servers - n);
        viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, b, th->text_faint);
        yy += rh;
    }
    yy += 4 * s;
    viz_rgba_t c = since >= 0 ? th->ok : th->text;
    viz_fill_circle(v->d, x + 12 * s, yy + fh / 2, 4.5f * s, c);
    viz_text(v->d, VIZ_FONT_SMALL, x + 22 * s, yy, l1, c);
    yy += rh;
    viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, l2, th->text_dim);
    yy += rh;
    viz_ring(v->d, x + 12 * s, yy + fh / 2, 3.5f * s, 1.5f * s, th->text_dim);
    viz_text(v->d, VIZ_FONT_SMALL, x + 22 * s, yy, "a ring in a message's colour: merged just now", th->text_faint);
}

/* 2PC: each participant's locks, and who is blocked, holding what, since when (the
 * participant's own line, from describe), blocked ones in the warning colour. */
static void paint_tpc(viz_view_t *v)
{
    float s = v->s, fh = viz_font_height(v->d, VIZ_FONT_SMALL), rh = fh + 3 * s;
    float w = 8 * s, namew = 0;
    uint32_t n = v->n_servers < 12 ? v->n_servers : 12;
    for (uint32_t i = 0; i < n; i++) {
        namew = fmaxf(namew, viz_text_width(v->d, VIZ_FONT_SMALL, v->nd[i].info.name));
        w = fmaxf(w, viz_text_width(v->d, VIZ_FONT_SMALL, v->nd[i].desc.line));
    }
    const char *title = "participants: locks, and who is blocked since when";
    w = fmaxf(fminf(w, 320 * s) + namew + 24 * s, viz_text_width(v->d, VIZ_FONT_SMALL, title) + 16 * s);
    float h = 8 * s + fh + 6 * s + rh * (float)n + 6 * s, x, y;
    if (!picture_box(v, w, h, title, &x, &y)) return;
    float yy = y + 8 * s + fh + 6 * s;
    for (uint32_t i = 0; i < n; i++, yy += rh) {
        const viz_nd_t *nd = &v->nd[i];
        bool blocked = strncmp(nd->desc.line, "BLOCKED", 7) == 0;
        viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, nd->info.name, nd->role != SIM_ROLE_NONE ? role_color(v, nd->role) : v->th->text_dim);
        viz_text_fit(v->d, VIZ_FONT_SMALL, x + 16 * s + namew, yy, w - namew - 24 * s, nd->info.up ? nd->desc.line : "down",
                     blocked ? v->th->danger : nd->info.up ? v->th->text : v->th->crashed_mark);
    }
}

/* Epidemics: every node as one cell in its state's colour (epidemic_states), the
 * same colours as the nodes on the canvas, with the counts and the residue so far
 * beside the value the paper's equation gives. */
static void paint_epidemic(viz_view_t *v)
{
    if (!v->sir) return;
    uint32_t n = v->n_servers < 1024 ? v->n_servers : 1024, cnt[3] = {0, 0, 0};
    float s = v->s, fh = viz_font_height(v->d, VIZ_FONT_SMALL);
    uint32_t cols = n > 400 ? 32 : n > 100 ? 20 : 10, rows = (n + cols - 1) / cols;
    float cell = n > 400 ? 6 * s : 9 * s, w = 16 * s + (float)cols * cell, h = 8 * s + fh + 6 * s + (float)rows * cell + 2 * fh + 14 * s, x, y;
    /* The residue is per update (the paper's s), the cells per node (any update), so the
     * line says so: a node can be infective while most updates have not reached it. */
    char res[128] = "";
    const viz_pic_t *pc = v->pic;
    if (pc && isfinite(pc->x[0])) {
        if (isfinite(pc->x[1])) snprintf(res, sizeof res, "residue per update %.3f (equation %.3f)", pc->x[0], pc->x[1]);
        else snprintf(res, sizeof res, "residue per update %.3f", pc->x[0]);
    }
    w = fmaxf(w, fmaxf(320 * s, viz_text_width(v->d, VIZ_FONT_SMALL, res) + 16 * s));
    if (!picture_box(v, w, h, "susceptible, infective, removed", &x, &y)) return;
    const viz_theme_t *th = v->th;
    float gy = y + 8 * s + fh + 6 * s;
    for (uint32_t i = 0; i < n; i++) {
        int k = v->sir[i] < 3 ? v->sir[i] : 0;
        cnt[k]++;
        float cx = x + 8 * s + (float)(i % cols) * cell, cy = gy + (float)(i / cols) * cell;
        viz_fill_rect(v->d, cx, cy, cell - 1 * s, cell - 1 * s, v->nd[i].info.up ? th->sir[k] : th->crashed);
    }
    char b[128];
    float ly = gy + (float)rows * cell + 4 * s, lx = x + 8 * s;
    const char *names[3] = {"susceptible", "infective", "removed"};
    for (int k = 0; k < 3; k++) {
        viz_fill_rect(v->d, lx, ly + fh / 2 - 3 * s, 6 * s, 6 * s, th->sir[k]);
        snprintf(b, sizeof b, "%s %u", names[k], cnt[k]);
        viz_text(v->d, VIZ_FONT_SMALL, lx + 9 * s, ly, b, th->text_dim);
        lx += viz_text_width(v->d, VIZ_FONT_SMALL, b) + 18 * s;
    }
    if (res[0]) viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, ly + fh + 2 * s, res, th->text);
}

/* Multi-Paxos: each server's log of slots as a row, slots up to the applied point
 * filled and later ones it holds hollow, the applied point marked like Raft's commit
 * index, and the ballot round at the row's end (from describe: the log's length, the
 * slots applied, the round). */
static void paint_paxos_logs(viz_view_t *v)
{
    uint32_t n = v->n_servers < 9 ? v->n_servers : 9;
    int64_t last = 0;
    for (uint32_t i = 0; i < n; i++) if (v->nd[i].desc.log_len > last) last = v->nd[i].desc.log_len;
    float s = v->s, fh = viz_font_height(v->d, VIZ_FONT_SMALL), bw = 8 * s, gap = 1.5f * s, rh = fh + 4 * s, namew = 0;
    for (uint32_t i = 0; i < n; i++) namew = fmaxf(namew, viz_text_width(v->d, VIZ_FONT_SMALL, v->nd[i].info.name));
    float w = 8 * s + namew + 8 * s + VIZ_LOG_ENTRIES * (bw + gap) + 48 * s, h = 8 * s + fh + 6 * s + rh * (float)n + fh + 10 * s, x, y;
    /* r at a row's end: the ballot round it is in. */
    int64_t first = last > VIZ_LOG_ENTRIES ? last - VIZ_LOG_ENTRIES + 1 : 1;
    char b[64];
    snprintf(b, sizeof b, "logs: slots %" PRId64 "..%" PRId64, first, last > first ? last : first);
    if (!picture_box(v, w, h, b, &x, &y)) return;
    const viz_theme_t *th = v->th;
    float ey = y + 8 * s + fh + 4 * s, ex0 = x + 8 * s + namew + 8 * s;
    for (uint32_t i = 0; i < n; i++, ey += rh) {
        const viz_nd_t *nd = &v->nd[i];
        viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, ey, nd->info.name, nd->role != SIM_ROLE_NONE ? role_color(v, nd->role) : th->text_dim);
        if (!nd->info.up) { viz_text(v->d, VIZ_FONT_SMALL, ex0, ey, "down", th->crashed_mark); continue; }
        float cy = ey + fh / 2;
        for (int64_t k = first; k < first + VIZ_LOG_ENTRIES; k++) {
            float bx = ex0 + (float)(k - first) * (bw + gap);
            if (k <= nd->desc.commit) viz_fill_rect(v->d, bx, cy - bw / 2, bw, bw, th->text);
            else if (k <= nd->desc.log_len) viz_stroke_round_rect(v->d, bx + 0.5f * s, cy - bw / 2 + 0.5f * s, bw - 1 * s, bw - 1 * s, 1 * s, 1.2f * s, th->text);
            else viz_fill_rect(v->d, bx, cy - bw / 2, bw, bw, viz_alpha(th->border, 0.7f));
        }
        if (nd->desc.commit >= first - 1 && nd->desc.commit < first + VIZ_LOG_ENTRIES) {
            float cx = ex0 + (float)(nd->desc.commit - first + 1) * (bw + gap) - gap / 2;
            viz_fill_rect(v->d, cx - 1 * s, cy - bw / 2 - 3 * s, 2 * s, bw + 6 * s, th->ok);
        }
        snprintf(b, sizeof b, "r%" PRId64, nd->desc.term);
        viz_text(v->d, VIZ_FONT_SMALL, ex0 + VIZ_LOG_ENTRIES * (bw + gap) + 6 * s, ey, b, th->text_dim);
    }
    float ly = ey + 2 * s, lx = ex0;
    viz_fill_rect(v->d, lx, ly + fh / 2 - bw / 2, bw, bw, th->text);
    viz_text(v->d, VIZ_FONT_SMALL, lx + bw + 4 * s, ly, "applied", th->text_dim);
    lx += bw + 4 * s + viz_text_width(v->d, VIZ_FONT_SMALL, "applied") + 10 * s;
    viz_stroke_round_rect(v->d, lx + 0.5f * s, ly + fh / 2 - bw / 2 + 0.5f * s, bw - 1 * s, bw - 1 * s, 1 * s, 1.2f * s, th->text);
    viz_text(v->d, VIZ_FONT_SMALL, lx + bw + 4 * s, ly, "held", th->text_dim);
    lx += bw + 4 * s + viz_text_width(v->d, VIZ_FONT_SMALL, "held") + 10 * s;
    viz_fill_rect(v->d, lx, ly + fh / 2 - bw / 2 - 3 * s, 2 * s, bw + 6 * s, th->ok);
    viz_text(v->d, VIZ_FONT_SMALL, lx + 6 * s, ly, "applied to here", th->text_dim);
}

#define VIZ_QUORUM_REPLICAS 8      /* replicas of the followed key listed */

/* Quorums: stale reads counted as they happen (and marked on the client's row of the
 * space-time diagram, see paint_strip), the replicas of one key with the versions
 * they hold -- the key of the latest stale read, so the replica that missed the write
 * is in view -- and the t-visibility table as bars, one per probe delay t: the share
 * of reads made t after a write that saw it. */
static void paint_quorum(viz_view_t *v)
{
    const viz_pic_t *pc = v->pic;
    if (!pc || !isfinite(pc->x[1])) return;
    sim_t *sim = run_sim_mut(v->ses);
    float s = v->s, fh = viz_font_height(v->d, VIZ_FONT_SMALL), rh = fh + 3 * s, bw = 120 * s;
    uint32_t n = pc->n < 12 ? pc->n : 12;
    /* The key to follow: the one a pinned message carries ("k17 = 5", "read k17"),
     * else that of the latest stale read (else the latest write). */
    int64_t key = pc->key;
    bool pinned = false;
    if (v->pin_n > 2) {
        const char *k = v->pin[2];
        unsigned kk;
        while ((k = strchr(k, 'k')) && !(k[1] >= '0' && k[1] <= '9')) k++;
        if (k && sscanf(k + 1, "%u", &kk) == 1) { key = kk; pinned = true; }
    }
    v->pic->key_shown = key;
    /* Its replicas, as the first up server sees the ring. */
    uint32_t reps[VIZ_QUORUM_REPLICAS], nr = 0;
    for (uint32_t i = 0; key >= 0 && i < v->n_servers && !nr; i++)
        nr = quorum_view_replicas(sim, i, (uint32_t)key, reps, VIZ_QUORUM_REPLICAS);
    /* The table in two columns when long, so the legend below keeps its corner. */
    uint32_t cols = n > 4 ? 2 : 1, per = (n + cols - 1) / cols;
    float w = 300 * s, h = 8 * s + fh + 6 * s + rh * (float)(per + 3) + 8 * s + (nr ? rh * (float)(nr + 1) + 6 * s : 0), x, y;
    if (!picture_box(v, w, h, "stale reads, replicas, t-visibility", &x, &y)) return;
    const viz_theme_t *th = v->th;
    char b[128], t[32], t2[32];
    float yy = y + 8 * s + fh + 6 * s;
    snprintf(b, sizeof b, "%.0f of %.0f reads stale, worst by %s", pc->x[0], pc->x[1], dur((sim_time_t)(isfinite(pc->x[2]) ? pc->x[2] : 0), t, sizeof t));
    viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, b, pc->x[0] > 0 ? th->danger : th->text);
    yy += rh;
    /* The mark the diagram uses, as its legend. */
    float mx = x + 12 * s, my = yy + fh / 2;
    if (pc->x[0] > 0) {
        float tri[6] = {mx - 4 * s, my - 4 * s, mx + 4 * s, my - 4 * s, mx, my + 3 * s};
        viz_fill_convex(v->d, tri, 3, th->danger);
        viz_text(v->d, VIZ_FONT_SMALL, x + 22 * s, yy, "a stale read, on its client's row below", th->text_dim);
    } else {
        viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, "every read saw the latest acknowledged write", th->text_dim);
    }
    yy += rh + 2 * s;
    if (nr) {
        if (pinned)
            snprintf(b, sizeof b, "k%" PRId64 " (the pinned message's) on its replicas:", key);
        else if (pc->key_stale && pc->n_stale)
            snprintf(b, sizeof b, "k%" PRId64 ", read stale at %s, on its replicas:", key, dur(pc->stale_ns[pc->n_stale - 1], t, sizeof t));
        else
            snprintf(b, sizeof b, "k%" PRId64 " (the latest write) on its replicas:", key);
        viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, b, th->text);
        yy += rh;
        quorum_key_view_t kv[VIZ_QUORUM_REPLICAS];
        sim_time_t newest = -1;
        for (uint32_t i = 0; i < nr; i++) {
            if (!quorum_view_key(sim, reps[i], (uint32_t)key, &kv[i])) kv[i].n = 0;
            for (uint32_t j = 0; j < kv[i].n && j < QUORUM_VIEW_VERSIONS; j++) if (kv[i].born_ns[j] > newest) newest = kv[i].born_ns[j];
        }
        for (uint32_t i = 0; i < nr; i++, yy += rh) {
            const quorum_key_view_t *k = &kv[i];
            sim_time_t mine = -1;
            int o = 0;
            b[0] = 0;
            for (uint32_t j = 0; j < k->n && j < QUORUM_VIEW_VERSIONS && o >= 0 && (size_t)o < sizeof b; j++) {
                o += snprintf(b + o, sizeof b - (size_t)o, "%s%" PRId64, j ? ", " : "", k->value[j]);
                if (k->born_ns[j] > mine) mine = k->born_ns[j];
            }
            if (!k->n) snprintf(b, sizeof b, "nothing");
            else if (o >= 0 && (size_t)o < sizeof b)
                snprintf(b + o, sizeof b - (size_t)o, " (%s%s)", k->n > 1 ? "siblings, " : "", mine < newest ? "behind" : "newest");
            bool behind = !k->n || mine < newest;
            viz_text(v->d, VIZ_FONT_SMALL, x + 16 * s, yy, v->nd[reps[i]].info.name, v->nd[reps[i]].info.up ? th->text : th->crashed_mark);
            float vx = x + 16 * s + 40 * s;
            viz_text_fit(v->d, VIZ_FONT_SMALL, vx, yy, w - (vx - x) - 8 * s - 70 * s, b, behind ? th->text_dim : th->text);
            if (mine >= 0) {
                snprintf(t2, sizeof t2, "written %s", dur(mine, t, sizeof t));
                viz_text(v->d, VIZ_FONT_SMALL, x + w - 8 * s - viz_text_width(v->d, VIZ_FONT_SMALL, t2), yy, t2, th->text_faint);
            }
        }
        yy += 6 * s;
    }
    viz_text(v->d, VIZ_FONT_SMALL, x + 8 * s, yy, "reads made t after a write that saw it:", th->text_dim);
    yy += rh;
    if (cols > 1) bw = 40 * s;
    for (uint32_t i = 0; i < n; i++) {
        float cx = x + 8 * s + (float)(i / per) * (w - 16 * s) / 2, cy = yy + (float)(i % per) * rh;
        snprintf(b, sizeof b, "t=%s", dur((sim_time_t)pc->a[i], t, sizeof t));
        viz_text(v->d, VIZ_FONT_SMALL, cx, cy, b, th->text_dim);
        if (cols > 1) snprintf(b, sizeof b, "%.1f%%", 100 * pc->b[i]);
        else snprintf(b, sizeof b, "%.1f%% of %.0f", 100 * pc->b[i], pc->c[i]);
        bar(v, cx + 56 * s, cy + 2 * s, bw, fh - 4 * s, pc->b[i], 1.0, th->accent, b);
    }
}

static void paint_pictures(viz_view_t *v)
{
    const char *name = sim_protocol(run_sim(v->ses))->name;
    if (strcmp(name, "crdt") == 0 || strcmp(name, "gossip") == 0) paint_convergence(v);
    if (strcmp(name, "raft") == 0) paint_raft_logs(v);
    else if (strcmp(name, "shard") == 0) paint_shard_load(v);
    else if (strcmp(name, "stream") == 0) paint_stream(v);
    else if (strcmp(name, "2pc") == 0) paint_tpc(v);
    else if (strcmp(name, "epidemic") == 0) paint_epidemic(v);
    else if (strcmp(name, "paxos") == 0) paint_paxos_logs(v);
    else if (strcmp(name, "quorum") == 0) paint_quorum(v);
}

static void paint_canvas(viz_view_t *v)
{
    epidemic_states(v);
    SDL_Rect clip = {(int)v->canvas.x, (int)v->canvas.y, (int)v->canvas.w, (int)v->canvas.h};
    viz_draw_clip(v->d, &clip);
    if (v->lay.n_clients)
        viz_fill_rect(v->d, v->canvas.x, v->lay.server_bottom, v->canvas.w, 1 * v->s, viz_alpha(v->th->border, 0.6f));
    paint_groups(v);
    paint_links(v);
    viz_draw_flush(v->d);
    paint_flights(v);
    paint_drops(v);
    viz_draw_flush(v->d);
    bool labels = labels_on(v);
    bool sprites = viz_draw_node_sprites(v->d, v->lay.r_server, 1.2f * v->s, v->lay.r_client);
    for (uint32_t i = 0; i < v->n_servers; i++) paint_server_disc(v, i, sprites);
    paint_clients(v, sprites);
    viz_draw_flush(v->d);
    for (uint32_t i = 0; i < v->n_servers; i++) paint_server_marks(v, i, labels);
    if (v->cut_drag) {
        float s = v->s;
        for (uint32_t i = 0; i < v->n_servers; i++) {
            int side = viz_side_of_line(v->cut[0], v->cut[1], v->cut[2], v->cut[3], v->lay.x[i], v->lay.y[i]);
            viz_stroke_circle(v->d, v->lay.x[i], v->lay.y[i], v->lay.r_server + 7 * s, 2.5f * s, v->th->group[side > 0 ? 0 : 1]);
        }
        viz_dashed_line(v->d, v->cut[0], v->cut[1], v->cut[2], v->cut[3], 2.2f * s, 9 * s, 6 * s, v->th->danger);
    }
    viz_draw_flush(v->d);
    v->pic_box = v->legend_box = (viz_frect_t){0, 0, 0, 0};
    paint_pictures(v);
    paint_legend(v);
    viz_draw_clip(v->d, NULL);
}

/* ---- The side panel. ----------------------------------------------------------- */

static float section(viz_view_t *v, float x, float y, float w, const char *title)
{
    float s = v->s;
    viz_fill_rect(v->d, x, y + 6 * s, w, 1 * s, v->th->border);
    viz_text(v->d, VIZ_FONT_SMALL, x, y + 12 * s, title, v->th->text_faint);
    return y + 14 * s + viz_font_height(v->d, VIZ_FONT_SMALL);
}

static float row(viz_view_t *v, float x, float y, float w, const char *label, const char *value, viz_rgba_t vc)
{
    float s = v->s, lw = 80 * s;
    viz_text(v->d, VIZ_FONT_SMALL, x, y + 1 * s, label, v->th->text_dim);
    /* A value too long for the body font gets the small one before it gets cut. */
    viz_font_id_t f = viz_text_width(v->d, VIZ_FONT_BODY, value) <= w - lw ? VIZ_FONT_BODY : VIZ_FONT_SMALL;
    viz_text_fit(v->d, f, x + lw, y + (f == VIZ_FONT_SMALL ? 1 * s : 0), w - lw, value, vc);
    return y + viz_font_height(v->d, VIZ_FONT_BODY) + 3 * s;
}

/* One line of pretty JSON, coloured by token: keys, strings, numbers, literals. */
static void json_line(viz_view_t *v, float x, float y, const char *p, const char *end)
{
    viz_draw_t *d = v->d;
    char buf[256];
    while (p < end) {
        const char *q = p;
        viz_rgba_t c = v->th->text_dim;
        if (*p == '"') {
            q++;
            while (q < end && *q != '"') q += *q == '\\' && q + 1 < end ? 2 : 1;
            if (q < end) q++;
            const char *r = q;
            while (r < end && *r == ' ') r++;
            c = r < end && *r == ':' ? v->th->json_key : v->th->json_str;
        } else if ((*p >= '0' && *p <= '9') || *p == '-') {
            while (q < end && ((*q >= '0' && *q <= '9') || *q == '-' || *q == '.' || *q == 'e' || *q == 'E' || *q == '+')) q++;
            c = v->th->json_num;
        } else if (*p >= 'a' && *p <= 'z') {
            while (q < end && *q >= 'a' && *q <= 'z') q++;
            c = v->th->json_lit;
        } else {
            q++;
        }
        size_t n = (size_t)(q - p) < sizeof buf - 1 ? (size_t)(q - p) : sizeof buf - 1;
        memcpy(buf, p, n);
        buf[n] = 0;
        x += viz_text(d, VIZ_FONT_MONO, x, y, buf, c);
        if (x > v->json_box.x + v->json_box.w) return;
        p = q;
    }
}

static void sparkline(viz_view_t *v, float x, float y, float w, float h)
{
    const sim_stats_t *st = sim_stats(run_sim(v->ses));
    int64_t last[80];
    uint32_t k = sim_samples_recent(&st->latency, last, 80);
    viz_fill_round_rect(v->d, x, y, w, h, 4 * v->s, v->th->panel_alt);
    if (k < 2) {
        viz_text(v->d, VIZ_FONT_SMALL, x + 6 * v->s, y + (h - viz_font_height(v->d, VIZ_FONT_SMALL)) / 2,
                 "latency of recent operations", v->th->text_faint);
        return;
    }
    double mx = 1;
    for (uint32_t i = 0; i < k; i++) if ((double)last[i] > mx) mx = (double)last[i];
    /* A band on top for the words, the line below it: never one over the other. */
    float band = viz_font_height(v->d, VIZ_FONT_SMALL) + 2 * v->s, top = y + band, bottom = y + h - 4 * v->s;
    float pts[160];
    for (uint32_t i = 0; i < k; i++) {
        double val = (double)last[i];
        pts[2 * i] = x + 6 * v->s + (w - 12 * v->s) * (float)i / (float)(k - 1);
        pts[2 * i + 1] = bottom - (bottom - top) * (float)(val / mx);
    }
    viz_stroke_poly(v->d, pts, (int)k, false, 1.4f * v->s, v->th->accent);
    char b[32], t[64];
    snprintf(t, sizeof t, "max %s", dur((sim_time_t)mx, b, sizeof b));
    float tw = viz_text_width(v->d, VIZ_FONT_SMALL, t);
    /* A narrow panel (one side of a pair) gets the short title, not one under "max". */
    const char *title = "latency of the last operations";
    if (viz_text_width(v->d, VIZ_FONT_SMALL, title) + tw + 18 * v->s > w) title = "latency, last operations";
    if (viz_text_width(v->d, VIZ_FONT_SMALL, title) + tw + 18 * v->s > w) title = "latency";
    viz_text(v->d, VIZ_FONT_SMALL, x + 6 * v->s, y + 1 * v->s, title, v->th->text_faint);
    viz_text(v->d, VIZ_FONT_SMALL, x + w - tw - 6 * v->s, y + 1 * v->s, t, v->th->text_faint);
}

#define VIZ_PROTO_LINES_EVERY_S 0.25

/* Looks up, for rows i < n, the numbers at the paths fmt[k] (with %u for i) into the
 * picture's columns a, b, c, d. */
static void pic_rows(viz_pic_t *pc, const char *json, uint32_t n, const char *const fmt[4])
{
    static char paths[VIZ_PIC_ROWS * 4][96];
    const char *pp[VIZ_PIC_ROWS * 4];
    double out[VIZ_PIC_ROWS * 4];
    pc->n = n < VIZ_PIC_ROWS ? n : VIZ_PIC_ROWS;
    for (uint32_t i = 0; i < pc->n; i++)
        for (int k = 0; k < 4; k++) {
            snprintf(paths[i * 4 + k], sizeof paths[0], fmt[k] ? fmt[k] : "-", i);
            pp[i * 4 + k] = paths[i * 4 + k];
        }
    sumtext_numbers(json, pp, pc->n * 4, out);
    for (uint32_t i = 0; i < pc->n; i++) {
        pc->a[i] = out[i * 4];
        pc->b[i] = out[i * 4 + 1];
        pc->c[i] = out[i * 4 + 2];
        pc->d[i] = out[i * 4 + 3];
    }
}

typedef struct u32_list { uint32_t *a; uint32_t n, cap; bool oom; } u32_list_t;

static void stale_collect(void *ud, uint32_t completion, sim_time_t stale_ns)
{
    u32_list_t *l = ud;
    if (stale_ns < 0 || l->oom) return;
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? 2 * l->cap : 1024;
        uint32_t *a = realloc(l->a, (size_t)cap * sizeof *a);
        if (!a) { l->oom = true; return; }
        l->a = a;
        l->cap = cap;
    }
    l->a[l->n++] = completion;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Quorums: the stale reads of the history (as the summary judges them, visibility.c),
 * each placed on the client that made it, and the key to follow: that of the latest
 * stale read, else that of the latest write. O(history) a refresh, as the summary. */
static void stale_refresh(viz_view_t *v, viz_pic_t *pc)
{
    const sim_t *sim = run_sim(v->ses);
    const hist_t *h = sim_history(sim);
    pc->key = -1;
    pc->n_stale = 0;
    u32_list_t list = {0};
    vis_result_t res;
    vis_compute_each(h, NULL, 0, &res, stale_collect, &list);
    uint32_t n = list.n, *ix = list.a;
    if (n) qsort(ix, n, sizeof *ix, u32_cmp);     /* history order is time order */
    for (uint32_t i = n > VIZ_STALE_MARKS ? n - VIZ_STALE_MARKS : 0; i < n; i++) {
        const hist_event_t *e = &h->ev[ix[i]];
        uint32_t node = sim_process_client(sim, e->process);
        if (node == UINT32_MAX || node >= v->n_nodes) continue;
        pc->stale_ns[pc->n_stale] = e->time_ns;
        pc->stale_node[pc->n_stale++] = node;
    }
    int32_t key = n ? h->ev[ix[n - 1]].key : -1;
    pc->key_stale = key >= 0;
    for (uint32_t i = h->n_ev; key < 0 && i-- > 0;) {
        const hist_event_t *e = &h->ev[i];
        if (e->type == HIST_OK && e->key >= 0 && e->f < h->n_f && strcmp(h->fnames[e->f], "write") == 0) key = e->key;
    }
    unsigned k;
    if (key >= 0 && (uint32_t)key < h->n_keys && sscanf(h->keys[key], "k%u", &k) == 1) pc->key = k;
    free(list.a);
}

/* The figures of the protocols that have a picture drawn from the summary. */
static void pic_refresh(viz_view_t *v, const char *name, const char *json)
{
    if (!v->pic && !(v->pic = calloc(1, sizeof *v->pic))) return;
    viz_pic_t *pc = v->pic;
    memset(pc, 0, sizeof *pc);
    for (int k = 0; k < 8; k++) pc->x[k] = NAN;
    if (strcmp(name, "shard") == 0) {
        static const char *const fmt[4] = {"protocol_stats.load[%u].keys", "protocol_stats.load[%u].requests",
                                           "protocol_stats.load[%u].member", NULL};
        pic_rows(pc, json, sumtext_count(json, "protocol_stats.load"), fmt);
        static const char *const xs[] = {"protocol_stats.membership_changes[-1].keys_moved_fraction",
                                         "protocol_stats.membership_changes[-1].keys_moved_fraction_ideal",
                                         "protocol_stats.keys_max_over_mean", "protocol_stats.requests_max_over_mean"};
        sumtext_numbers(json, xs, 4, pc->x);
    } else if (strcmp(name, "quorum") == 0) {
        static const char *const fmt[4] = {"t_visibility[%u].t_ns", "t_visibility[%u].p_consistent", "t_visibility[%u].reads", NULL};
        pic_rows(pc, json, sumtext_count(json, "t_visibility"), fmt);
        static const char *const xs[] = {"stale_reads.stale", "stale_reads.reads", "stale_reads.max_staleness_ns"};
        sumtext_numbers(json, xs, 3, pc->x);
        stale_refresh(v, pc);
    } else if (strcmp(name, "epidemic") == 0) {
        static const char *const xs[] = {"protocol_stats.residue", "protocol_stats.model_residue"};
        sumtext_numbers(json, xs, 2, pc->x);
    } else if (strcmp(name, "stream") == 0) {
        static const char *const fmt[4] = {"log.partitions[%u].records", "log.partitions[%u].hw", "log.partitions[%u].leader",
                                           "stream.lag[%u].series[-1][1]"};
        pic_rows(pc, json, sumtext_count(json, "log.partitions"), fmt);
        static const char *const xs[] = {"stream.latency_ns.p50", "stream.latency_ns.p99", "batch.latency_ns.p50",
                                         "batch.latency_ns.p99", "stream.late_dropped", "stream.windows.exact",
                                         "stream.windows.total", "log.lost_acked"};
        sumtext_numbers(json, xs, 8, pc->x);
    }
}

/* The protocol's own figures under its name: the lines of its human summary, from the
 * live JSON summary (writing one costs far more than a frame, so it is refreshed a few
 * times a second, and when the time moved). A label over its value, wrapped: the
 * values are sentences ("stream p50 572ms, p99 1.1s; batch p50 5.05s, ..."). */
static void proto_refresh(viz_view_t *v)
{
    const proto_t *p = sim_protocol(run_sim(v->ses));
    if (!p->summary_lines) return;
    sim_time_t now = run_now(v->ses);
    if (!v->ptext) {
        v->ptext = calloc(1, sizeof *v->ptext);
        if (!v->ptext) return;
        v->ptext_at = -1;
    }
    if (now != v->ptext_at && (v->ptext_at < 0 || v->wall - v->ptext_wall >= VIZ_PROTO_LINES_EVERY_S || v->wall < v->ptext_wall)) {
        jw_t j;
        jw_init(&j, false);
        sim_write_summary(run_sim_mut(v->ses), &j, 0);
        if (sumtext_render(j.buf, p->summary_lines, v->ptext) != SIM_OK) v->ptext->n = 0;
        pic_refresh(v, p->name, j.buf);
        jw_free(&j);
        v->ptext_at = now;
        v->ptext_wall = v->wall;
    }
}

static float paint_proto_lines(viz_view_t *v, float x, float y, float w)
{
    const proto_t *p = sim_protocol(run_sim(v->ses));
    if (!v->ptext || !v->ptext->n) return y;
    char head[64];
    snprintf(head, sizeof head, "%s", p->name);
    for (char *c = head; *c; c++) if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
    y = section(v, x, y, w, head);
    float s = v->s, lw = 80 * s, bottom = v->panel.y + v->panel.h - 120 * s;
    for (uint32_t i = 0; i < v->ptext->n && y < bottom; i++) {
        if (v->ptext->label[i][0]) viz_text(v->d, VIZ_FONT_SMALL, x, y, v->ptext->label[i], v->th->text_dim);
        y += viz_text_wrap(v->d, VIZ_FONT_SMALL, x + lw, y, w - lw, v->ptext->text[i], v->th->text, false) + 2 * s;
    }
    return y + 2 * s;
}

static void paint_panel(viz_view_t *v)
{
    viz_draw_t *d = v->d;
    const viz_theme_t *th = v->th;
    const sim_t *sim = run_sim(v->ses);
    const scn_t *scn = run_scenario(v->ses);
    const sim_stats_t *st = sim_stats(sim);
    float s = v->s, pad = 14 * s, x = v->panel.x + pad, w = v->panel.w - 2 * pad, y = v->panel.y + 10 * s;
    SDL_Rect clip = {(int)v->panel.x, (int)v->panel.y, (int)v->panel.w, (int)v->panel.h};
    viz_draw_clip(d, &clip);
    viz_fill_rect(d, v->panel.x, v->panel.y, v->panel.w, v->panel.h, th->panel);
    viz_fill_rect(d, v->panel.x, v->panel.y, 1 * s, v->panel.h, th->border);

    viz_text_fit(d, VIZ_FONT_TITLE, x, y, w, scn->name, th->text);
    y += viz_font_height(d, VIZ_FONT_TITLE) + 1 * s;
    char b[256], b1[48], b2[48], b3[48];
    snprintf(b, sizeof b, "%s · %u server%s · %u client%s · seed %" PRIu64, sim_protocol(sim)->name, scn->n_servers,
             scn->n_servers == 1 ? "" : "s", scn->wl.clients, scn->wl.clients == 1 ? "" : "s", sim_seed(sim));
    viz_text_fit(d, VIZ_FONT_SMALL, x, y, w, b, th->text_dim);
    y += viz_font_height(d, VIZ_FONT_SMALL) + 6 * s;
    if (scn->description && scn->description[0]) {
        float maxh = viz_font_height(d, VIZ_FONT_SMALL) * (v->panel.h > 560 * s ? 6 : 3);
        float h = viz_text_wrap(d, VIZ_FONT_SMALL, x, y, w, scn->description, th->text_dim, true);
        SDL_Rect c2 = {(int)x, (int)y, (int)w, (int)fminf(h, maxh)};
        viz_draw_clip(d, &c2);
        viz_text_wrap(d, VIZ_FONT_SMALL, x, y, w, scn->description, th->text_dim, false);
        viz_draw_clip(d, &clip);
        y += fminf(h, maxh) + 2 * s;
        if (h > maxh) {       /* the rest is in the help overlay */
            viz_text_fit(d, VIZ_FONT_SMALL, x, y, w, "\xe2\x80\xa6 press ? to read all of it", th->accent);
            y += viz_font_height(d, VIZ_FONT_SMALL) + 2 * s;
        }
    }

    y = section(v, x, y, w, "CLUSTER");
    int64_t leader = sim_leader(sim);
    uint32_t roles = run_roles_seen(v->ses);
    /* A protocol without leaders (quorums, streams, 2PC's coordinators per transaction)
     * gets no leader row: "none" in the warning colour would call its normal state a fault. */
    bool leaders = !(sim_protocol(sim)->summary_omit & PROTO_OMIT_LEADERS);
    if (!leaders) {
    } else if (leader >= 0) {
        viz_leader_text(sim, b, sizeof b);
        y = row(v, x, y, w, "leader", b, role_text(v, v->nd[leader].role));
    } else if (roles & ~1u) {
        viz_leader_text(sim, b, sizeof b);
        y = row(v, x, y, w, "leader", b, th->danger);
    }
    /* Messages per second over the last simulated second, from the log. */
    sim_time_t now = run_now(v->ses);
    uint64_t n_msgs = run_msg_count(v->ses), first = run_msg_first(v->ses);
    uint64_t since = run_msg_since(v->ses, now - SIM_SEC + 1);
    double rate = (double)(n_msgs - since);
    if (since == first && first > 0 && n_msgs > first) {
        sim_time_t t0 = run_msg(v->ses, first)->sent_ns;
        if (now > t0) rate = (double)(n_msgs - first) * 1e9 / (double)(now - t0);
    }
    fmt_count(st->sent, b1, sizeof b1);
    snprintf(b, sizeof b, "%.0f/s · %s sent", rate, b1);
    y = row(v, x, y, w, "messages", b, th->text);
    uint64_t dropped = 0;
    for (int r = 0; r < DROP_COUNT_; r++) dropped += st->dropped[r];
    fmt_count(dropped, b1, sizeof b1);
    int o = snprintf(b, sizeof b, "%s", b1);
    const char *sep = " (";
    for (int r = 0; r < DROP_COUNT_ && o < (int)sizeof b - 32; r++) {
        if (!st->dropped[r]) continue;
        char c[32];
        fmt_count(st->dropped[r], c, sizeof c);
        o += snprintf(b + o, sizeof b - (size_t)o, "%s%s %s", sep, drop_reason_names[r], c);
        sep = ", ";
    }
    if (sep[0] == ',') snprintf(b + o, sizeof b - (size_t)o, ")");
    y = row(v, x, y, w, "dropped", b, dropped ? th->text : th->text_dim);
    if (scn->wl.clients || st->ops_invoked) {
        snprintf(b, sizeof b, "%" PRIu64 " ok · %" PRIu64 " fail · %" PRIu64 " info", st->ops_ok, st->ops_fail, st->ops_info);
        y = row(v, x, y, w, "operations", b, th->text);
        if (st->latency.n != v->stats_n && (v->wall - v->stats_wall > 0.5 || v->stats_n == UINT64_MAX)) {
            v->p50 = sim_latency_quantile(sim, 0.5);
            v->p90 = sim_latency_quantile(sim, 0.9);
            v->p99 = sim_latency_quantile(sim, 0.99);
            v->stats_n = st->latency.n;
            v->stats_wall = v->wall;
        }
        snprintf(b, sizeof b, "p50 %s · p90 %s · p99 %s", dur(v->p50, b1, sizeof b1), dur(v->p90, b2, sizeof b2), dur(v->p99, b3, sizeof b3));
        y = row(v, x, y, w, "latency", st->latency.n ? b : "no operation finished yet", st->latency.n ? th->text : th->text_dim);
        sparkline(v, x, y + 1 * s, w, 44 * s);
        y += 50 * s;
    }
    sim_time_t when;
    const sim_violation_t *viol = sim_violation(sim, &when);
    if (viol) {
        snprintf(b, sizeof b, "violated: %s at %s", viol->name, dur(when, b1, sizeof b1));
        y = row(v, x, y, w, "invariants", b, th->danger);
        y += viz_text_wrap(d, VIZ_FONT_SMALL, x, y, w, viol->detail, th->danger, false) + 2 * s;
    } else if (sim_fault(sim)) {
        /* A plug-in's callback crashed or hung: the run stopped there (dsim run tells more). */
        const sim_fault_t *f = sim_fault(sim);
        snprintf(b, sizeof b, "%s%s%s at %s", f->callback, f->node >= 0 ? " of " : "",
                 f->node >= 0 ? sim_name_of(sim, (uint32_t)f->node) : "", dur(f->t, b1, sizeof b1));
        y = row(v, x, y, w, "crashed", b, th->danger);
        y += viz_text_wrap(d, VIZ_FONT_SMALL, x, y, w, f->what, th->danger, false) + 2 * s;
    } else if (sim_error(sim)) {
        y = row(v, x, y, w, "stopped", sim_error(sim), th->danger);
    } else if (sim_protocol(sim)->check && scn->invariants) {
        y = row(v, x, y, w, "invariants", "\xe2\x9c\x93 holding (checked after every event)", th->ok);
    } else {
        y = row(v, x, y, w, "invariants", "none checked for this protocol", th->text_dim);
    }
    uint32_t n_acts;
    run_actions(v->ses, &n_acts);
    snprintf(b, sizeof b, "%u action%s by you%s", n_acts, n_acts == 1 ? "" : "s", n_acts ? " · w writes a replayable scenario" : "");
    y = row(v, x, y, w, "recorded", b, n_acts ? th->text : th->text_dim);

    y = paint_proto_lines(v, x, y, w);

    int64_t sel = v->selected;
    if (sel < 0) {
        y = section(v, x, y, w, "NODE");
        y += viz_text_wrap(d, VIZ_FONT_SMALL, x, y, w,
                           "Click a node to see its state here and to crash, pause, isolate or restart it. "
                           "Drag across the canvas to cut the network; click a moving message to drop it.",
                           th->text_dim, false);
        v->json_box = (viz_frect_t){0, 0, 0, 0};
        viz_draw_clip(d, NULL);
        return;
    }
    const viz_nd_t *n = &v->nd[sel];
    snprintf(b, sizeof b, "NODE %s", n->info.name);
    y = section(v, x, y, w, b);
    const char *status = !n->info.up ? (n->member ? "crashed" : "not started") : n->info.paused ? "paused" : "up";
    snprintf(b, sizeof b, "%s%s%s%s", status, n->member || n->info.client ? "" : " · not a member",
             n->isolated ? " · isolated" : "", n->info.group ? " · in a partition group" : "");
    y = row(v, x, y, w, "status", b, !n->info.up ? th->danger : th->text);
    if ((uint64_t)sel < v->n_servers) {
        if (n->role != SIM_ROLE_NONE) {
            snprintf(b, sizeof b, "%s · term %" PRId64, sim_role_name(run_sim(v->ses), n->role), n->term);
            y = row(v, x, y, w, "role", b, role_text(v, n->role));
        }
        if (n->desc.line[0]) y = row(v, x, y, w, "state", n->desc.line, th->text);
        const char *err_lines[ML_LOG_LINES];           /* a Maelstrom program's stderr */
        int n_err = ml_program_log(sim, (uint32_t)sel, err_lines, ML_LOG_LINES);
        for (int i = 0; i < n_err; i++) y = row(v, x, y, w, i ? "" : "stderr", err_lines[i], th->text_dim);
        if (n->desc.commit >= 0 || n->desc.log_len >= 0) {
            log_fields(&n->desc, b, sizeof b);
            y = row(v, x, y, w, "log", b, th->text);
        }
    }
    fmt_clock(n->info.clock_ns, b1, sizeof b1);
    snprintf(b, sizeof b, "%s (true time %s)", b1, dur(now, b2, sizeof b2));
    y = row(v, x, y, w, "local clock", b, th->text_dim);

    /* The exported state, pretty-printed and scrollable. */
    float top = y + 6 * s, bottom = v->panel.y + v->panel.h - 10 * s;
    if (bottom - top < 40 * s) { viz_draw_clip(d, NULL); return; }
    v->json_box = (viz_frect_t){x, top, w, bottom - top};
    viz_fill_round_rect(d, x, top, w, bottom - top, 6 * s, th->panel_alt);
    jw_reset(&v->json);
    if ((uint64_t)sel < v->n_servers && n->info.up) sim_export_node(sim, (uint32_t)sel, &v->json);
    else jw_null(&v->json);
    const char *txt = v->json.buf ? v->json.buf : "null";
    float lh = viz_font_height(d, VIZ_FONT_MONO);
    int lines = 1;
    for (const char *p = txt; *p; p++) lines += *p == '\n';
    v->json_content_h = (float)lines * lh + 16 * s;
    float maxs = fmaxf(v->json_content_h - v->json_box.h, 0);
    if (v->json_scroll > maxs) v->json_scroll = maxs;
    SDL_Rect jc = {(int)x + 1, (int)top + 1, (int)w - 2, (int)(bottom - top) - 2};
    viz_draw_clip(d, &jc);
    float ly = top + 8 * s - v->json_scroll;
    const char *p = txt;
    while (*p) {
        const char *e = strchr(p, '\n');
        if (!e) e = p + strlen(p);
        if (ly + lh >= top && ly <= bottom) json_line(v, x + 8 * s, ly, p, e);
        ly += lh;
        if (ly > bottom) break;
        p = *e ? e + 1 : e;
    }
    if (maxs > 0) {
        float bh = fmaxf(v->json_box.h * v->json_box.h / v->json_content_h, 16 * s);
        float by = top + (v->json_box.h - bh) * (v->json_scroll / maxs);
        viz_fill_round_rect(d, x + w - 6 * s, by + 2 * s, 3 * s, bh - 4 * s, 1.5f * s, viz_alpha(th->text_faint, 0.7f));
    }
    viz_draw_clip(d, NULL);
}

/* ---- The space-time strip. ----------------------------------------------------- */

static float nice_step(double span, int want)
{
    double raw = span / want, p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (float)(m < 1.5 ? p : m < 3.5 ? 2 * p : m < 7.5 ? 5 * p : 10 * p);
}

/* A time-axis label with as many decimals as the tick step needs, so neighbouring
 * ticks never print the same text ("5.985s", "5.99s" was "5.99s" twice): in seconds
 * from 1s on, else in ms, else in microseconds. */
const char *viz_tick_label(sim_time_t t, double step_ns, char *buf, size_t len)
{
    if (t <= 0) { snprintf(buf, len, "0"); return buf; }
    double unit = t >= SIM_SEC ? 1e9 : t >= SIM_MS ? 1e6 : 1e3;
    const char *name = t >= SIM_SEC ? "s" : t >= SIM_MS ? "ms" : "\xc2\xb5s";
    int dec = (int)ceil(-log10(step_ns / unit) - 1e-9);
    dec = dec < 0 ? 0 : dec > 9 ? 9 : dec;
    snprintf(buf, len, "%.*f%s", dec, (double)t / unit, name);
    return buf;
}

/* Whether the lanes are too close to draw every one: below 3 pixels apart, the lines
 * of 500 nodes merge into one grey block that hides the messages. Then only the lanes
 * that say something are drawn: the selected node's, crashed and paused nodes', and
 * leaders'; the diagram says so (paint_strip). */
static bool strip_crowded(const viz_view_t *v)
{
    return (v->strip.h - 26 * v->s) / (float)(v->n_nodes ? v->n_nodes : 1) < 3 * v->s;
}

static void lane_segment(viz_view_t *v, uint32_t i, float x0, float x1, float y)
{
    const viz_theme_t *th = v->th;
    float s = v->s;
    if (x1 <= x0) return;
    if (strip_crowded(v) && (int64_t)i != v->selected && v->ln_up[i] && !v->ln_paused[i] &&
        sim_role_class(run_sim(v->ses), v->ln_role[i]) != SIM_ROLE_CLASS_LEADING) return;
    if (!v->ln_up[i]) { viz_fill_rect(v->d, x0, y - 2 * s, x1 - x0, 4 * s, viz_alpha(th->crashed, 0.8f)); return; }
    viz_rgba_t c = i < v->n_servers ? role_color(v, (sim_role_t)v->ln_role[i]) : th->client;
    float w = sim_role_class(run_sim(v->ses), v->ln_role[i]) == SIM_ROLE_CLASS_LEADING ? 3.5f : v->ln_role[i] != SIM_ROLE_NONE ? 2 : 1;
    if (v->ln_role[i] == SIM_ROLE_NONE && i < v->n_servers) c = th->link;
    if (v->ln_paused[i]) {
        for (float x = x0; x < x1; x += 6 * s) viz_fill_rect(v->d, x, y - 1.5f * s, fminf(3 * s, x1 - x), 3 * s, c);
        return;
    }
    viz_fill_rect(v->d, x0, y - w * s / 2, x1 - x0, w * s, viz_alpha(c, 0.85f));
}

static void mark_apply(viz_view_t *v, const run_mark_t *m)
{
    if (m->node >= v->n_nodes) return;
    switch (m->kind) {
    case TR_ROLE: v->ln_role[m->node] = m->role; break;
    case TR_CRASH: v->ln_up[m->node] = 0; v->ln_paused[m->node] = 0; v->ln_role[m->node] = SIM_ROLE_NONE; break;
    case TR_RESTART: case TR_JOIN: v->ln_up[m->node] = 1; break;
    case TR_PAUSE: v->ln_paused[m->node] = 1; break;
    case TR_RESUME: v->ln_paused[m->node] = 0; break;
    default: break;
    }
}

static void paint_strip(viz_view_t *v)
{
    viz_draw_t *d = v->d;
    const viz_theme_t *th = v->th;
    float s = v->s;
    viz_frect_t R = v->strip;
    SDL_Rect clip = {(int)R.x, (int)R.y, (int)R.w, (int)R.h};
    viz_draw_clip(d, &clip);
    viz_fill_rect(d, R.x, R.y, R.w, R.h, th->panel);
    viz_fill_rect(d, R.x, R.y, R.w, 1 * s, th->border);
    sim_time_t t0, t1, now = run_now(v->ses);
    viz_view_strip_window(v, &t0, &t1);
    float gutter = viz_view_strip_gutter(v), gx = R.x + gutter, gw = R.w - gutter - 8 * s;
    double k = (double)(t1 - t0) / gw;      /* ns per pixel */
#define TX(t) (gx + (float)((double)((t) - t0) / k))
    float lane_h = (R.h - 26 * s) / (float)(v->n_nodes ? v->n_nodes : 1);

    /* Time axis. */
    float step = nice_step((double)(t1 - t0), 6);
    double tick = ceil((double)t0 / step) * step;
    char b[256], b1[32];
    for (; tick <= (double)t1; tick += step) {
        if (tick < 0) continue;
        float x = TX((sim_time_t)tick);
        viz_fill_rect(d, x, R.y + 16 * s, 1 * s, R.h - 16 * s, viz_alpha(th->border, 0.5f));
        viz_text(d, VIZ_FONT_SMALL, x + 3 * s, R.y + 3 * s, viz_tick_label((sim_time_t)tick, step, b1, sizeof b1), th->text_faint);
    }
    viz_text(d, VIZ_FONT_SMALL, R.x + 8 * s, R.y + 3 * s, "time \xe2\x86\x92", th->text_faint);

    /* Node state along each lane: replay the marks up to the window's start, then
     * draw a segment whenever a node's role or status changes. */
    uint64_t mf = run_mark_first(v->ses), mn = run_mark_count(v->ses);
    for (uint32_t i = 0; i < v->n_nodes; i++) {
        v->ln_role[i] = SIM_ROLE_NONE;
        v->ln_up[i] = i >= v->n_servers || v->nd[i].member || v->nd[i].info.up;
        v->ln_paused[i] = 0;
        v->ln_since[i] = t0;
    }
    /* Partition bands first (under everything), from partition/isolate to heal. */
    sim_time_t cut_from = -1;
    uint64_t mi = mf;
    for (; mi < mn; mi++) {
        const run_mark_t *m = run_mark(v->ses, mi);
        if (m->t > t0) break;
        if (m->kind == TR_PARTITION || m->kind == TR_ISOLATE) cut_from = m->t;
        else if (m->kind == TR_HEAL) cut_from = -1;
        mark_apply(v, m);
    }
    float top = R.y + 22 * s, bot = R.y + R.h - 4 * s;
    sim_time_t band_end = now < t1 ? now : t1;
    for (uint64_t j = mi; j <= mn; j++) {
        const run_mark_t *m = j < mn ? run_mark(v->ses, j) : NULL;
        bool heal = m && m->kind == TR_HEAL && m->t <= band_end;
        if (m && m->t <= band_end && (m->kind == TR_PARTITION || m->kind == TR_ISOLATE)) {
            if (cut_from < 0) cut_from = m->t;
            continue;
        }
        if (!heal && m && m->t <= band_end) continue;
        if (cut_from >= 0) {
            float xa = TX(cut_from > t0 ? cut_from : t0), xb = TX(heal ? m->t : band_end);
            viz_fill_rect(d, xa, top, xb - xa, bot - top, viz_alpha(th->danger, 0.10f));
            if (xb - xa > 70 * s) viz_text(d, VIZ_FONT_SMALL, xa + 4 * s, bot - 14 * s, "partitioned", viz_alpha(th->danger, 0.9f));
            cut_from = -1;
        }
        if (!heal) break;
    }
    for (uint64_t j = mi; j < mn; j++) {
        const run_mark_t *m = run_mark(v->ses, j);
        if (m->t > now || m->t > t1) break;
        if (m->node >= v->n_nodes || (m->kind != TR_ROLE && m->kind != TR_CRASH && m->kind != TR_RESTART &&
                                      m->kind != TR_PAUSE && m->kind != TR_RESUME && m->kind != TR_JOIN)) continue;
        uint32_t i = m->node;
        lane_segment(v, i, TX(v->ln_since[i]), TX(m->t), viz_view_lane_y(v, i));
        v->ln_since[i] = m->t;
        mark_apply(v, m);
        if (m->kind == TR_CRASH) cross(d, TX(m->t), viz_view_lane_y(v, i), 3 * s, 1.3f * s, th->danger);
    }
    sim_time_t lane_end = now < t1 ? now : t1;
    for (uint32_t i = 0; i < v->n_nodes; i++) lane_segment(v, i, TX(v->ln_since[i]), TX(lane_end), viz_view_lane_y(v, i));
    /* Arrows stay right of the gutter: those sent before the window start at its edge. */
    SDL_Rect plot = {(int)gx, (int)(R.y + 14 * s), (int)(R.x + R.w - gx), (int)(R.h - 14 * s)};
    viz_draw_clip(d, &plot);

    /* Messages: an arrow from the sender's lane at its send time to the receiver's at
     * its delivery (or drop, marked x); those still flying end where they are now. */
    uint64_t mcount = run_msg_count(v->ses);
    uint64_t first = run_msg_since(v->ses, t0 - v->max_flight_ns - 1);
    uint64_t last = run_msg_since(v->ses, lane_end + 1);
    if (last > mcount) last = mcount;
    uint64_t total = last > first ? last - first : 0;
    /* Too many to draw: an even sample across the window (every k-th message), plus
     * every message of the selected node, keeps the picture's density honest. */
    uint64_t every = total > VIZ_STRIP_ARROWS_MAX ? (total + VIZ_STRIP_ARROWS_MAX - 1) / VIZ_STRIP_ARROWS_MAX : 1;
    bool aa = total <= VIZ_STRIP_ARROWS_AA_MAX;
    /* When the diagram is dense and a node is selected, its messages are drawn last
     * and bright, the sample of everyone else's faint behind them. */
    bool focus = every > 1 && v->selected >= 0;
    /* With no node selected only every k-th entry is drawn, so only those are read
     * (a quarter of a million entries a frame otherwise, on a busy run). */
    uint64_t stride = every > 1 && v->selected < 0 ? every : 1;
    uint64_t start = (first + stride - 1) / stride * stride;
    for (int pass = 0; pass < (focus ? 2 : 1); pass++)
        for (uint64_t i = start; i < last; i += stride) {
            const run_msg_t *m = run_msg(v->ses, i);
            if (m->from >= v->n_nodes || m->to >= v->n_nodes) continue;
            bool mine = (int64_t)m->from == v->selected || (int64_t)m->to == v->selected;
            if (every > 1 && i % every && !mine) continue;
            if (focus && mine != (pass == 1)) continue;
            sim_time_t te = m->end_ns >= 0 && m->end_ns <= now ? m->end_ns : now;
            if (te < t0) continue;
            float x0 = TX(m->sent_ns), y0 = viz_view_lane_y(v, m->from), x1 = TX(te), y1;
            if (m->end_ns >= 0 && m->end_ns <= now) y1 = viz_view_lane_y(v, m->to);
            else y1 = y0 + (viz_view_lane_y(v, m->to) - y0) * (float)viz_flight_frac(m->sent_ns, m->arrive_ns, now);
            bool dropped = m->fate == RUN_FATE_DROPPED && m->end_ns <= now;
            float a = dropped ? 0.5f : 0.9f;
            if (focus && pass == 0) a *= 0.35f;
            viz_rgba_t c = viz_alpha(viz_msg_color(th, m->type), a);
            if (aa) {
                viz_line(d, x0, y0, x1, y1, 1.2f * s, c);
                if (dropped) cross(d, x1, y1, 2.6f * s, 1.2f * s, th->danger);
                else if (m->end_ns < 0 || m->end_ns > now) viz_fill_circle(d, x1, y1, 2.2f * s, c);
                else {
                    float dx = x1 - x0, dy = y1 - y0, l = sqrtf(dx * dx + dy * dy);
                    if (l > 8 * s) {
                        dx /= l; dy /= l;
                        float ah = 5 * s, aw = 2.6f * s;
                        float tri[6] = {x1, y1, x1 - dx * ah - dy * aw, y1 - dy * ah + dx * aw, x1 - dx * ah + dy * aw, y1 - dy * ah - dx * aw};
                        viz_fill_convex(d, tri, 3, c);
                    }
                }
            } else {
                viz_thin_line(d, x0, y0, x1, y1, c);
                if (dropped) viz_thin_line(d, x1 - 2 * s, y1 - 2 * s, x1 + 2 * s, y1 + 2 * s, th->danger);
            }
        }
    /* Quorums: each stale read where it happened, on the client that made it. */
    if (v->pic && v->pic->n_stale && !strcmp(sim_protocol(run_sim(v->ses))->name, "quorum")) {
        const viz_pic_t *pc = v->pic;
        for (uint32_t i = 0; i < pc->n_stale; i++) {
            sim_time_t t = pc->stale_ns[i];
            if (t < t0 || t > lane_end) continue;
            float mx = TX(t), my = viz_view_lane_y(v, pc->stale_node[i]) - 2 * s;
            float tri[6] = {mx - 4 * s, my - 5 * s, mx + 4 * s, my - 5 * s, mx, my + 2 * s};
            viz_fill_convex(d, tri, 3, th->danger);
        }
    }
    /* CRDTs and gossip: the moment the replicas came to hold the same data. */
    const char *pname = sim_protocol(run_sim(v->ses))->name;
    if (!strcmp(pname, "crdt") || !strcmp(pname, "gossip")) {
        sim_time_t eq = sim_equal_since(run_sim(v->ses));
        if (eq > 0 && eq >= t0 && eq <= lane_end) {
            float x = TX(eq);
            viz_fill_rect(d, x - 1 * s, top, 2 * s, bot - top, th->ok);
            const char *msg = "converged";
            float w = viz_text_width(d, VIZ_FONT_SMALL, msg);
            viz_fill_rect(d, x + 2 * s, bot - 16 * s, w + 4 * s, 14 * s, viz_alpha(th->panel, 0.85f));
            viz_text(d, VIZ_FONT_SMALL, x + 4 * s, bot - 16 * s, msg, th->ok);
        }
    }
    /* Messages older than the log's memory are not drawn: say where that starts. */
    uint64_t oldest = run_msg_first(v->ses);
    if (oldest > 0 && oldest < mcount) {
        sim_time_t t = run_msg(v->ses, oldest)->sent_ns;
        if (t > t0 && t < t1) {
            float x = TX(t);
            viz_dashed_line(d, x, top, x, bot, 1 * s, 3 * s, 3 * s, th->text_faint);
            const char *msg = "older messages are not kept";
            float w = viz_text_width(d, VIZ_FONT_SMALL, msg);
            if (x - w - 6 * s > gx) {
                viz_fill_rect(d, x - w - 6 * s, bot - 16 * s, w + 4 * s, 14 * s, viz_alpha(th->panel, 0.85f));
                viz_text(d, VIZ_FONT_SMALL, x - w - 4 * s, bot - 16 * s, msg, th->text_faint);
            }
        }
    }
    viz_draw_clip(d, &clip);
    /* The gutter: a lane's name at its left, over a plain background. */
    viz_fill_rect(d, R.x, R.y + 16 * s, gx - R.x - 2 * s, R.h - 16 * s, th->panel);
    float fh = viz_font_height(d, VIZ_FONT_SMALL);
    bool two = v->strip_two_cols;
    uint32_t label_every = lane_h >= fh || two ? 1 : (uint32_t)ceilf(fh / fmaxf(lane_h, 0.1f));
    for (uint32_t i = 0; i < v->n_nodes; i++) {
        if (i % label_every && (int64_t)i != v->selected) continue;
        float lx = R.x + 8 * s + (two && i % 2 ? v->strip_name_w + 8 * s : 0);
        viz_text_fit(d, VIZ_FONT_SMALL, lx, viz_view_lane_y(v, i) - fh / 2, gutter - 4 * s - (lx - R.x), v->nd[i].info.name,
                     (int64_t)i == v->selected ? th->accent : th->text_dim);
    }
    if (every > 1 || strip_crowded(v)) {
        char b2[32];
        fmt_count(total, b2, sizeof b2);
        if (every > 1)
            snprintf(b, sizeof b, "showing 1 in %" PRIu64 " of %s messages%s; wheel zooms in", every, b2, v->selected >= 0 ? " (all of the selected node's)" : "");
        else b[0] = 0;
        if (strip_crowded(v))
            snprintf(b + strlen(b), sizeof b - strlen(b), "%s%u lanes, too close to draw: only the %s, leaders' and crashed ones",
                     b[0] ? "; " : "", v->n_nodes, v->selected >= 0 ? "selected node's" : "selected node's (click one)");
        float tw = viz_text_width(d, VIZ_FONT_SMALL, b);
        viz_fill_round_rect(d, R.x + R.w - tw - 20 * s, R.y + 20 * s, tw + 12 * s, 18 * s, 4 * s, viz_alpha(th->panel, 0.9f));
        viz_text(d, VIZ_FONT_SMALL, R.x + R.w - tw - 14 * s, R.y + 21 * s, b, th->text_dim);
    }

    /* What you did: a marker at each recorded action. */
    uint32_t na;
    const sim_action_t *acts = run_actions(v->ses, &na);
    float label_end = -1e9f, label_y = top;
    for (uint32_t i = 0; i < na; i++) {
        if (acts[i].at_ns < t0 || acts[i].at_ns > t1) continue;
        float x = TX(acts[i].at_ns);
        viz_dashed_line(d, x, top, x, bot, 1.2f * s, 4 * s, 3 * s, viz_alpha(th->danger, 0.8f));
        /* Actions close together stack their names instead of writing over each other. */
        label_y = x < label_end ? label_y + viz_font_height(d, VIZ_FONT_SMALL) : top;
        const char *name = act_kind_names[acts[i].kind];
        float w = viz_text_width(d, VIZ_FONT_SMALL, name);
        viz_fill_rect(d, x + 2 * s, label_y, w + 2 * s, viz_font_height(d, VIZ_FONT_SMALL), viz_alpha(th->panel, 0.8f));
        viz_text(d, VIZ_FONT_SMALL, x + 3 * s, label_y, name, th->danger);
        label_end = fmaxf(label_end, x + w + 8 * s);
    }
    /* The present. */
    float xn = TX(now);
    viz_fill_rect(d, xn - 0.75f * s, R.y + 14 * s, 1.5f * s, R.h - 14 * s, th->accent);
    float tri[6] = {xn - 5 * s, R.y + 12 * s, xn + 5 * s, R.y + 12 * s, xn, R.y + 18 * s};
    viz_fill_convex(d, tri, 3, th->accent);
    viz_draw_clip(d, NULL);
#undef TX
}

/* ---- The top bar and the control bar. ------------------------------------------ */

/* A pane's header, side by side (viz/pair.c): which scenario and protocol, the shared
 * clock, and the figures the two sides are compared by: client writes acknowledged and
 * not in the last second, and stale reads so far. */
static void paint_pane_top(viz_view_t *v)
{
    viz_draw_t *d = v->d;
    const viz_theme_t *th = v->th;
    float s = v->s, row = 36 * s;
    viz_fill_rect(d, v->top.x, v->top.y, v->top.w, v->top.h, th->panel);
    viz_fill_rect(d, v->top.x, v->top.y + v->top.h - 1 * s, v->top.w, 1 * s, th->border);
    char b[256], b1[32];
    fmt_clock(run_now(v->ses), b1, sizeof b1);
    snprintf(b, sizeof b, "t = %s", b1);
    float tw = viz_text_width(d, VIZ_FONT_TITLE, b), ty = (row - viz_font_height(d, VIZ_FONT_TITLE)) / 2;
    viz_text(d, VIZ_FONT_TITLE, v->top.w - 14 * s - tw, ty, b, th->text);
    viz_text_fit(d, VIZ_FONT_TITLE, 14 * s, ty, v->top.w - tw - 40 * s, v->pane_label, th->accent);
    float x = 14 * s, cy = row + 2 * s;
    if (v->has_tally && v->tally.writes_ok + v->tally.writes_refused == 0) {
        x += chip(v, x, cy, "no client writes yet", th->panel_alt, th->text_dim) + 8 * s;
    } else if (v->has_tally) {
        const run_tally_t *t = &v->tally;
        snprintf(b, sizeof b, "writes, last second: %llu accepted, %llu refused or timed out", (unsigned long long)t->recent_ok,
                 (unsigned long long)t->recent_refused);
        x += chip(v, x, cy, b, viz_alpha(t->recent_refused ? th->danger : th->ok, 0.28f), th->text) + 8 * s;
        if (t->has_stale) {
            snprintf(b, sizeof b, "stale reads: %llu of %llu", (unsigned long long)t->stale, (unsigned long long)t->reads);
            x += chip(v, x, cy, b, viz_alpha(t->stale ? th->danger : th->ok, 0.28f), th->text) + 8 * s;
        }
    }
    if (sim_partitioned(run_sim(v->ses)) && x < v->top.w - 90 * s)
        chip(v, x, cy, "partitioned", viz_alpha(th->danger, 0.5f), th->text);
}

static void paint_top(viz_view_t *v)
{
    if (v->pane_label[0]) { paint_pane_top(v); return; }
    viz_draw_t *d = v->d;
    const viz_theme_t *th = v->th;
    const sim_t *sim = run_sim(v->ses);
    float s = v->s;
    viz_fill_rect(d, v->top.x, v->top.y, v->top.w, v->top.h, th->panel);
    viz_fill_rect(d, v->top.x, v->top.y + v->top.h - 1 * s, v->top.w, 1 * s, th->border);
    float x = 14 * s, ty = (v->top.h - viz_font_height(d, VIZ_FONT_TITLE)) / 2;
    x += viz_text(d, VIZ_FONT_TITLE, x, ty, "dsim", th->accent) + 6 * s;
    x += viz_text(d, VIZ_FONT_TITLE, x, ty, "view", th->text_dim) + 16 * s;
    float cy = (v->top.h - 22 * s) / 2;
    char b[256], b1[32], b2[32];
    if (v->playing) snprintf(b, sizeof b, "\xe2\x96\xb6 playing at %s/s", dur((sim_time_t)v->speed_ns, b1, sizeof b1));
    else snprintf(b, sizeof b, "paused \xc2\xb7 %s/s", dur((sim_time_t)v->speed_ns, b1, sizeof b1));
    x += chip(v, x, cy, b, v->playing ? viz_alpha(th->ok, 0.25f) : th->panel_alt, v->playing ? th->text : th->text_dim) + 8 * s;
    float right = v->top.w - 230 * s;
    sim_time_t when;
    const sim_violation_t *viol = sim_violation(sim, &when);
    if (viol && x < right) {
        snprintf(b, sizeof b, "invariant violated: %s", viol->name);
        x += chip(v, x, cy, b, th->danger, th->node_text_light) + 8 * s;
    }
    if (v->behind && x < right) {
        snprintf(b, sizeof b, "simulation behind: %s/s of %s/s", dur((sim_time_t)v->achieved_ns, b1, sizeof b1),
                 dur((sim_time_t)v->speed_ns, b2, sizeof b2));
        x += chip(v, x, cy, b, viz_alpha(viz_role_color(th, SIM_ROLE_CANDIDATE), 0.3f), th->text) + 8 * s;
    }
    if (sim_partitioned(sim) && x < right) {
        /* The groups by name: "n1 n2 | n3 n4 n5". */
        int o = snprintf(b, sizeof b, "partitioned: ");
        bool any = false;
        for (uint8_t g = 1; g <= sim_n_groups(sim) && o < (int)sizeof b - 40; g++) {
            bool first = true;
            for (uint32_t i = 0; i < v->n_servers && o < (int)sizeof b - 40; i++) {
                if (v->nd[i].info.group != g || v->nd[i].isolated) continue;
                o += snprintf(b + o, sizeof b - (size_t)o, "%s%s", first ? (any ? " | " : "") : " ", v->nd[i].info.name);
                first = false;
                any = true;
            }
        }
        for (uint32_t i = 0; i < v->n_servers && o < (int)sizeof b - 40; i++)
            if (v->nd[i].isolated) { o += snprintf(b + o, sizeof b - (size_t)o, "%s%s alone", any ? " | " : "", v->nd[i].info.name); any = true; }
        float maxw = right - x;
        if (maxw > 60 * s) {
            float w = fminf(viz_text_width(d, VIZ_FONT_SMALL, b) + 16 * s, maxw);
            viz_fill_round_rect(d, x, cy, w, 22 * s, 11 * s, viz_alpha(th->danger, 0.22f));
            viz_text_fit(d, VIZ_FONT_SMALL, x + 8 * s, cy + (22 * s - viz_font_height(d, VIZ_FONT_SMALL)) / 2, w - 16 * s, b, th->text);
        }
    }
    fmt_clock(run_now(v->ses), b1, sizeof b1);
    snprintf(b, sizeof b, "t = %s", b1);
    float tw = viz_text_width(d, VIZ_FONT_TITLE, b);
    dur(run_end(v->ses), b2, sizeof b2);
    char e[48];
    snprintf(e, sizeof e, "  of %s", b2);
    float ew = viz_text_width(d, VIZ_FONT_SMALL, e);
    viz_text(d, VIZ_FONT_TITLE, v->top.w - 14 * s - ew - tw, ty, b, th->text);
    viz_text(d, VIZ_FONT_SMALL, v->top.w - 14 * s - ew, ty + 3 * s, e, th->text_dim);
}

static void button(viz_view_t *v, const viz_frect_t *r)
{
    bool hot = v->mouse_in && viz_in(r, v->mx, v->my);
    viz_fill_round_rect(v->d, r->x, r->y, r->w, r->h, 7 * v->s, hot ? viz_mix(v->th->panel_alt, v->th->text_faint, 0.25f) : v->th->panel_alt);
}

static void paint_bar(viz_view_t *v)
{
    viz_draw_t *d = v->d;
    const viz_theme_t *th = v->th;
    float s = v->s;
    viz_fill_rect(d, v->bar.x, v->bar.y, v->bar.w, v->bar.h, th->panel);
    viz_fill_rect(d, v->bar.x, v->bar.y, v->bar.w, 1 * s, th->border);

    const viz_frect_t *p = &v->b_play;
    button(v, p);
    float cx = p->x + p->w / 2, cy = p->y + p->h / 2;
    if (v->playing) {
        viz_fill_round_rect(d, cx - 6 * s, cy - 7 * s, 4 * s, 14 * s, 1 * s, th->text);
        viz_fill_round_rect(d, cx + 2 * s, cy - 7 * s, 4 * s, 14 * s, 1 * s, th->text);
    } else {
        float tri[6] = {cx - 5 * s, cy - 8 * s, cx + 8 * s, cy, cx - 5 * s, cy + 8 * s};
        viz_fill_convex(d, tri, 3, th->text);
    }
    p = &v->b_step;
    button(v, p);
    cx = p->x + p->w / 2;
    float tri2[6] = {cx - 7 * s, cy - 7 * s, cx + 4 * s, cy, cx - 7 * s, cy + 7 * s};
    viz_fill_convex(d, tri2, 3, th->text);
    viz_fill_rect(d, cx + 4 * s, cy - 7 * s, 2.5f * s, 14 * s, th->text);

    /* Speed: a log scale from 1 ms to 100 s of simulated time per real second. */
    const viz_frect_t *sp = &v->speed;
    char b[96], b1[32], b2[32];
    float ty = sp->y + 22 * s, pos = (float)viz_speed_to_slider(v->speed_ns);
    snprintf(b, sizeof b, "speed %s/s", dur((sim_time_t)v->speed_ns, b1, sizeof b1));
    viz_text(d, VIZ_FONT_SMALL, sp->x, sp->y + 1 * s, b, th->text_dim);
    viz_fill_round_rect(d, sp->x, ty - 2 * s, sp->w, 4 * s, 2 * s, th->panel_alt);
    viz_fill_round_rect(d, sp->x, ty - 2 * s, sp->w * pos, 4 * s, 2 * s, viz_alpha(th->accent, 0.7f));
    for (int k = 0; k <= 5; k++) viz_fill_rect(d, sp->x + sp->w * (float)k / 5 - 0.5f * s, ty + 4 * s, 1 * s, 3 * s, th->text_faint);
    viz_fill_circle(d, sp->x + sp->w * pos, ty, 6 * s, th->accent);
    viz_fill_circle(d, sp->x + sp->w * pos, ty, 2.5f * s, th->panel);

    /* The scrubber over the whole run: how far it has been explored, where it is,
     * the scenario's scheduled faults (ticks) and your actions (vermillion). */
    const viz_frect_t *sc = &v->scrub;
    const scn_t *scn = run_scenario(v->ses);
    sim_time_t end = run_end(v->ses), now = run_now(v->ses);
    float ky = sc->y + 22 * s;
    viz_text(d, VIZ_FONT_SMALL, sc->x, sc->y + 1 * s, "time (drag to rewind or jump ahead)", th->text_faint);
    viz_fill_round_rect(d, sc->x, ky - 3 * s, sc->w, 6 * s, 3 * s, th->panel_alt);
    float fx = sc->w * (float)((double)run_explored(v->ses) / (double)end);
    viz_fill_round_rect(d, sc->x, ky - 3 * s, fx, 6 * s, 3 * s, viz_alpha(th->text_faint, 0.45f));
    float nx = sc->w * (float)((double)now / (double)end);
    viz_fill_round_rect(d, sc->x, ky - 3 * s, nx, 6 * s, 3 * s, th->accent);
    for (uint32_t i = 0; i < scn->n_faults; i++) {
        float x = sc->x + sc->w * (float)((double)scn->faults[i].at_ns / (double)end);
        viz_fill_rect(d, x - 0.5f * s, ky - 7 * s, 1.5f * s, 4 * s, th->text_dim);
    }
    uint32_t na;
    const sim_action_t *acts = run_actions(v->ses, &na);
    for (uint32_t i = 0; i < na; i++) {
        float x = sc->x + sc->w * (float)((double)acts[i].at_ns / (double)end);
        viz_fill_rect(d, x - 1 * s, ky - 9 * s, 2 * s, 6 * s, th->danger);
    }
    viz_fill_circle(d, sc->x + nx, ky, 7 * s, th->accent);
    viz_fill_circle(d, sc->x + nx, ky, 3 * s, th->panel);
    fmt_clock(now, b1, sizeof b1);
    snprintf(b, sizeof b, "%s / %s", b1, dur(end, b2, sizeof b2));
    viz_text(d, VIZ_FONT_BODY, sc->x + sc->w + 12 * s, sc->y + (sc->h - viz_font_height(d, VIZ_FONT_BODY)) / 2, b, th->text);

    button(v, &v->b_help);
    float qw = viz_text_width(d, VIZ_FONT_BOLD, "?");
    viz_text(d, VIZ_FONT_BOLD, v->b_help.x + (v->b_help.w - qw) / 2,
             v->b_help.y + (v->b_help.h - viz_font_height(d, VIZ_FONT_BOLD)) / 2, "?", th->text);
}

/* ---- Floating things: tooltip, menu, toast, help. ------------------------------ */

static void panel_box(viz_view_t *v, float x, float y, float w, float h)
{
    float s = v->s;
    viz_fill_round_rect(v->d, x + 2 * s, y + 3 * s, w, h, 8 * s, v->th->shadow);
    viz_fill_round_rect(v->d, x, y, w, h, 8 * s, v->th->tooltip);
    viz_stroke_round_rect(v->d, x, y, w, h, 8 * s, 1 * s, v->th->border);
}

static void tooltip(viz_view_t *v, const char *const *lines, const viz_rgba_t *cols, int n)
{
    float s = v->s, pad = 9 * s, lh = viz_font_height(v->d, VIZ_FONT_SMALL) + 2 * s, w = 0;
    for (int i = 0; i < n; i++) w = fmaxf(w, viz_text_width(v->d, i ? VIZ_FONT_SMALL : VIZ_FONT_BOLD, lines[i]));
    w += 2 * pad;
    float h = 2 * pad + lh * (float)n + 2 * s, x = v->mx + 16 * s, y = v->my + 14 * s;
    if (x + w > (float)v->w - 4) x = v->mx - w - 12 * s;
    if (y + h > (float)v->h - 4) y = v->my - h - 10 * s;
    panel_box(v, x, y, w, h);
    float yy = y + pad;
    for (int i = 0; i < n; i++) {
        viz_text(v->d, i ? VIZ_FONT_SMALL : VIZ_FONT_BOLD, x + pad, yy, lines[i], cols[i]);
        yy += lh + (i ? 0 : 2 * s);
    }
}

/* The fields of the message in flight with this id, as its protocol decodes them
 * (proto_t.describe_msg); false when it cannot say. O(messages in flight), and only
 * for the one message under the mouse. */
typedef struct msg_find { uint64_t id; const proto_t *p; char *buf; size_t len; bool found; } msg_find_t;
static void msg_find_fn(void *ud, const sim_flight_t *f)
{
    msg_find_t *m = ud;
    if (m->found || f->id != m->id) return;
    if (f->type < SIM_MSG_BUILTIN) m->found = sim_describe_builtin(f->type, f->payload, f->len, m->buf, m->len) > 0;
    else m->found = m->p->describe_msg && m->p->describe_msg(f->type - SIM_MSG_BUILTIN, f->payload, f->len, m->buf, m->len) > 0;
}

/* A protocol's describe_msg cannot see the scenario, so it names node i "n<i+1>", the
 * default name. Where the scenario gave node i another name (and no node is called
 * "n<i+1>" itself, as Maelstrom's are), the name the student sees everywhere else
 * replaces it. O(length x nodes), for one line under the mouse. */
static void msg_node_names(const sim_t *sim, char *buf, size_t len)
{
    char out[512];
    size_t o = 0;
    uint32_t n = sim_n_nodes(sim);
    for (const char *p = buf; *p && o + 1 < sizeof out;) {
        bool start = p == buf || !(isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '-');
        if (start && p[0] == 'n' && p[1] >= '1' && p[1] <= '9') {
            char *end;
            unsigned long k = strtoul(p + 1, &end, 10);
            bool whole = !(isalnum((unsigned char)*end) || *end == '_' || *end == '-');
            bool taken = false;
            sim_node_info_t ni;
            for (uint32_t i = 0; whole && k <= n && i < n && !taken; i++) {
                sim_node_info(sim, i, &ni);
                taken = strlen(ni.name) == (size_t)(end - p) && strncmp(ni.name, p, (size_t)(end - p)) == 0;
            }
            if (whole && k <= n && !taken) {
                sim_node_info(sim, (uint32_t)k - 1, &ni);
                o += (size_t)snprintf(out + o, sizeof out - o, "%s", ni.name);
                if (o >= sizeof out) o = sizeof out - 1;
                p = end;
                continue;
            }
        }
        out[o++] = *p++;
    }
    out[o] = 0;
    snprintf(buf, len, "%s", out);
}

bool viz_msg_fields(const sim_t *sim, uint64_t id, char *buf, size_t len)
{
    const proto_t *p = sim_protocol(sim);
    if (len == 0) return false;
    msg_find_t m = {id, p, buf, len, false};
    buf[0] = 0;
    sim_each_flight(sim, msg_find_fn, &m);
    if (m.found) msg_node_names(sim, buf, len);
    return m.found;
}

/* The core's leader is the one of the newest term anyone reported; between a new
 * candidate's term and its election there is none, yet the old leader, cut off on
 * the minority side, still acts as one. The row says both rather than "none" beside
 * a node drawn as leader. */
int viz_leader_text(const sim_t *sim, char *buf, size_t len)
{
    int64_t leader = sim_leader(sim), term = 0, newest = 0, t;
    sim_node_info_t ni;
    if (sim_protocol(sim)->summary_omit & PROTO_OMIT_LEADERS) return 0;
    if (leader >= 0) {
        sim_role_t r = sim_node_role(sim, (uint32_t)leader, &term);
        sim_node_info(sim, (uint32_t)leader, &ni);
        snprintf(buf, len, "%s \xc2\xb7 %s, term %" PRId64, ni.name, sim_role_name(sim, r), term);
        return 1;
    }
    int64_t stale = -1;
    for (uint32_t i = 0; i < sim_n_servers(sim); i++) {
        sim_role_t r = sim_node_role(sim, i, &t);
        if (t > newest) newest = t;
        sim_node_info(sim, i, &ni);
        if (ni.up && sim_role_class(sim, r) == SIM_ROLE_CLASS_LEADING && (stale < 0 || t > term)) { stale = i; term = t; }
    }
    if (stale < 0) { snprintf(buf, len, "none"); return 2; }
    sim_node_info(sim, (uint32_t)stale, &ni);
    snprintf(buf, len, "none in term %" PRId64 "; %s still leads term %" PRId64, newest, ni.name, term);
    return 2;
}

static void paint_tooltip(viz_view_t *v)
{
    const viz_theme_t *th = v->th;
    const sim_t *sim = run_sim(v->ses);
    char l[8][160], b1[32], b2[32], b3[32];
    const char *lines[8];
    viz_rgba_t cols[8];
    int n = 0;
    for (int i = 0; i < 8; i++) { lines[i] = l[i]; cols[i] = th->text_dim; }
    if (v->hover_fl >= 0) {
        const viz_fl_t *f = &v->fl[v->hover_fl];
        snprintf(l[n], 160, "%s  #%" PRIu64, sim_msg_type_name(sim, f->type), f->id);
        cols[n++] = viz_msg_color(th, f->type);
        snprintf(l[n++], 160, "from %s to %s", v->nd[f->from].info.name, v->nd[f->to].info.name);
        if (viz_msg_fields(sim, f->id, l[n], 160)) cols[n++] = th->text;
        snprintf(l[n++], 160, "size %u bytes on the wire, payload %u bytes", f->size, f->len);
        if (f->waiting)
            snprintf(l[n++], 160, "sent %s, arrived %s: waits until %s resumes", dur(f->sent_ns, b1, sizeof b1),
                     dur(f->arrive_ns, b2, sizeof b2), v->nd[f->to].info.name);
        else
            snprintf(l[n++], 160, "sent %s, arrives %s (flight %s)", dur(f->sent_ns, b1, sizeof b1), dur(f->arrive_ns, b2, sizeof b2),
                     dur(f->arrive_ns - f->sent_ns, b3, sizeof b3));
        if (f->doomed >= 0) {
            snprintf(l[n], 160, "will be dropped on arrival: %s", drop_reason_names[f->doomed]);
            cols[n++] = th->danger;
        }
        if (f->dup) snprintf(l[n++], 160, "the network duplicated it: two copies are in flight");
        if (f->doomed < 0) { snprintf(l[n], 160, "click to drop it, shift-click to pin these fields"); cols[n++] = th->text_faint; }
    } else if (v->hover_node >= 0) {
        const viz_nd_t *nd = &v->nd[v->hover_node];
        bool server = (uint64_t)v->hover_node < v->n_servers;
        snprintf(l[n], 160, "%s%s", nd->info.name, server ? "" : " (client)");
        cols[n++] = th->text;
        if (server) {
            snprintf(l[n], 160, "%s%s%s", !nd->info.up ? (nd->member ? "crashed" : "not started") : nd->info.paused ? "paused" : "up",
                     nd->role != SIM_ROLE_NONE ? " \xc2\xb7 " : "", nd->role != SIM_ROLE_NONE ? sim_role_name(run_sim(v->ses), nd->role) : "");
            cols[n] = nd->info.up ? role_text(v, nd->role) : th->danger;
            if (nd->role == SIM_ROLE_NONE && nd->info.up) cols[n] = th->text_dim;
            n++;
            if (nd->term > 0 || nd->desc.term >= 0) snprintf(l[n++], 160, "term %" PRId64, nd->desc.term >= 0 ? nd->desc.term : nd->term);
            if (nd->desc.line[0]) snprintf(l[n++], 160, "%s", nd->desc.line);
            if (nd->desc.commit >= 0 || nd->desc.log_len >= 0) log_fields(&nd->desc, l[n++], 160);
        }
        if (nd->isolated) { snprintf(l[n], 160, "isolated from the other servers"); cols[n++] = th->danger; }
        else if (nd->info.group) { snprintf(l[n], 160, "partition group %c", 'A' + nd->info.group - 1); cols[n++] = th->danger; }
        snprintf(l[n++], 160, "local clock %s", dur(nd->info.clock_ns, b1, sizeof b1));
        if (server && n < 8) { snprintf(l[n], 160, "click for actions, shift-click to pick for a partition"); cols[n++] = th->text_faint; }
    }
    if (n) tooltip(v, lines, cols, n);
}

void viz_view_pin(viz_view_t *v, const viz_fl_t *f, bool dropped)
{
    const sim_t *sim = run_sim(v->ses);
    char b1[32], b2[32];
    int n = 0;
    v->pin_id = f->id;
    snprintf(v->pin[n++], sizeof v->pin[0], "%s  #%" PRIu64 "%s", sim_msg_type_name(sim, f->type), f->id, dropped ? ": dropped by you" : "");
    snprintf(v->pin[n++], sizeof v->pin[0], "from %s to %s", v->nd[f->from].info.name, v->nd[f->to].info.name);
    if (!viz_msg_fields(sim, f->id, v->pin[n], sizeof v->pin[0])) snprintf(v->pin[n], sizeof v->pin[0], "(its protocol does not decode it)");
    n++;
    snprintf(v->pin[n++], sizeof v->pin[0], "sent %s, %s %s", dur(f->sent_ns, b1, sizeof b1), dropped ? "would have arrived" : "arrives",
             dur(f->arrive_ns, b2, sizeof b2));
    snprintf(v->pin[n++], sizeof v->pin[0], "pinned: Esc closes");
    v->pin_n = n;
}

/* The pinned message: its box at the bottom left of the servers' area, and a ring
 * on it while it is still in flight. */
static void paint_pin(viz_view_t *v)
{
    v->pin_box = (viz_frect_t){0, 0, 0, 0};
    if (!v->pin_n) return;
    const viz_theme_t *th = v->th;
    float s = v->s, pad = 9 * s, lh = viz_font_height(v->d, VIZ_FONT_SMALL) + 2 * s, w = 0;
    for (uint32_t i = 0; i < v->n_fl; i++)
        if (v->fl[i].id == v->pin_id) viz_stroke_circle(v->d, v->fx[i], v->fy[i], 8 * s, 2 * s, th->accent);
    for (int i = 0; i < v->pin_n; i++) w = fmaxf(w, viz_text_width(v->d, i ? VIZ_FONT_SMALL : VIZ_FONT_BOLD, v->pin[i]));
    w = fminf(w, 250 * s) + 2 * pad;        /* narrow, long lines wrapped: it must find a free corner */
    float h = 2 * pad + 2 * s;
    for (int i = 0; i < v->pin_n; i++)
        h += (i ? viz_text_wrap(v->d, VIZ_FONT_SMALL, 0, 0, w - 2 * pad, v->pin[i], th->text, true) : lh + 2 * s) + (i ? 2 * s : 0);
    /* The corner of the servers' area that covers least: nothing if it can, else
     * a caption before a legend or picture, and those before a node's disc. */
    float bottom = v->lay.n_clients ? v->lay.server_bottom : v->canvas.y + v->canvas.h;
    const float cx[4] = {v->canvas.x + 10 * s, v->canvas.x + 10 * s, v->canvas.x + v->canvas.w - w - 10 * s, v->canvas.x + v->canvas.w - w - 10 * s};
    const float cy[4] = {bottom - h - 8 * s, v->canvas.y + 10 * s, bottom - h - 8 * s, v->canvas.y + 10 * s};
    float x = cx[0], y = cy[0];
    int best = -1;
    for (int k = 0; k < 4 && best != 0; k++) {
        int cost = cy[k] >= v->canvas.y ? 0 : 1000;
        for (uint32_t i = 0; i < v->n_servers && i < 4096; i++) {
            float r = v->lay.r_server + 3 * s, nx = v->lay.x[i], ny = v->lay.y[i], cw = fmaxf(r, 100 * s);
            if (nx + r > cx[k] && nx - r < cx[k] + w && ny + r > cy[k] && ny - r < cy[k] + h) cost += 100;
            else if (nx + cw > cx[k] && nx - cw < cx[k] + w && ny + r + 2 * lh > cy[k] && ny + r < cy[k] + h) cost += 1;
        }
        const viz_frect_t *boxes[2] = {&v->legend_box, &v->pic_box};
        for (int j = 0; j < 2; j++) {
            const viz_frect_t *b = boxes[j];
            if (b->w > 0 && b->x < cx[k] + w && b->x + b->w > cx[k] && b->y < cy[k] + h && b->y + b->h > cy[k]) cost += 10;
        }
        if (best < 0 || cost < best) { best = cost; x = cx[k]; y = cy[k]; }
    }
    panel_box(v, x, y, w, h);
    v->pin_box = (viz_frect_t){x, y, w, h};
    viz_fill_rect(v->d, x, y + 6 * s, 3 * s, h - 12 * s, th->accent);     /* "you": pinned by a click */
    float yy = y + pad;
    for (int i = 0; i < v->pin_n; i++) {
        viz_rgba_t c = i == 0 ? th->text : i == 2 ? th->text : i == v->pin_n - 1 ? th->text_faint : th->text_dim;
        if (i == 0) viz_text_fit(v->d, VIZ_FONT_BOLD, x + pad, yy, w - 2 * pad, v->pin[i], c), yy += lh + 2 * s;
        else yy += viz_text_wrap(v->d, VIZ_FONT_SMALL, x + pad, yy, w - 2 * pad, v->pin[i], c, false) + 2 * s;
    }
}

static void paint_menu(viz_view_t *v)
{
    if (v->menu_node < 0) return;
    float s = v->s;
    float w = 250 * s, ih = 26 * s, h = (float)v->n_menu * ih + 34 * s, x = v->menu_x, y = v->menu_y;
    if (x + w > (float)v->w) x = (float)v->w - w - 4;
    if (y + h > (float)v->h) y = (float)v->h - h - 4;
    panel_box(v, x, y, w, h);
    const viz_nd_t *n = &v->nd[v->menu_node];
    char t[96], buf[96];
    snprintf(t, sizeof t, "%s%s%s", n->info.name, n->role != SIM_ROLE_NONE ? " \xc2\xb7 " : "", n->role != SIM_ROLE_NONE ? sim_role_name(run_sim(v->ses), n->role) : "");
    viz_text(v->d, VIZ_FONT_BOLD, x + 12 * s, y + 8 * s, t, v->th->text);
    for (int i = 0; i < v->n_menu; i++) {
        float iy = y + 28 * s + (float)i * ih;
        if (i == v->menu_hover) viz_fill_round_rect(v->d, x + 4 * s, iy, w - 8 * s, ih, 5 * s, viz_alpha(v->th->accent, 0.25f));
        viz_rgba_t c = v->menu_items[i] == VIZ_MI_CRASH ? v->th->danger : v->th->text;
        viz_text(v->d, VIZ_FONT_BODY, x + 14 * s, iy + (ih - viz_font_height(v->d, VIZ_FONT_BODY)) / 2,
                 viz_menu_label(v, v->menu_items[i], buf, sizeof buf), c);
    }
}

static void paint_toast(viz_view_t *v)
{
    if (!v->toast[0] || v->wall > v->toast_until) return;
    float s = v->s, a = (float)fmin(1.0, (v->toast_until - v->wall) / 0.5);
    float w = fminf(viz_text_width(v->d, VIZ_FONT_BODY, v->toast) + 28 * s, v->canvas.w - 20 * s), h = 32 * s;
    float x = v->canvas.x + (v->canvas.w - w) / 2, y = v->canvas.y + v->canvas.h - h - 12 * s;
    viz_fill_round_rect(v->d, x, y, w, h, h / 2, viz_alpha(v->th->tooltip, 0.95f * a));
    viz_stroke_round_rect(v->d, x, y, w, h, h / 2, 1 * s, viz_alpha(v->th->border, a));
    viz_text_fit(v->d, VIZ_FONT_BODY, x + 14 * s, y + (h - viz_font_height(v->d, VIZ_FONT_BODY)) / 2, w - 28 * s, v->toast, viz_alpha(v->th->text, a));
}

static const char *const help_keys[][2] = {
    {"Space", "play or pause"},
    {"\xe2\x86\x92  /  \xe2\x86\x90", "next event / back one event"},
    {"d", "run to the next message delivery"},
    {"o", "run to the next client operation"},
    {"r", "run to the next role change"},
    {"+  /  -", "faster / slower (1 ms to 100 s per second)"},
    {"Home", "back to time zero"},
    {"c  p  i", "crash or restart, pause or resume, isolate the selected server"},
    {"x", "send a client write to the selected server"},
    {"h", "heal every partition"},
    {"g", "partition the shift-clicked nodes from the rest"},
    {"w", "write this session as a scenario that replays it"},
    {"b", "bring back the future a rewind and an action set aside"},
    {"s", "save a screenshot (PNG)"},
    {"t  /  l", "dark or light theme / next layout"},
    {"?  or  F1", "this help; Esc closes it"},
    {"Ctrl+Q", "quit"},
};

static const char *const help_mouse[][2] = {
    {"click a node", "select it and open its menu (crash, pause, isolate, request ...)"},
    {"shift-click nodes", "pick a group, then g cuts it off"},
    {"drag on empty canvas", "cut the network along the line: the servers on each side form a group"},
    {"click a message", "drop it (it falls where it would have arrived); its fields stay pinned"},
    {"shift-click a message", "pin its fields without dropping it (Esc closes)"},
    {"hover", "a message's fields or a node's state"},
    {"drag the time bar", "rewind to any moment (re-run exactly) or jump ahead"},
    {"click the diagram", "go to the send or delivery under the pointer"},
    {"wheel on the diagram", "zoom its time span; on the state panel: scroll"},
};

static void paint_help(viz_view_t *v)
{
    if (!v->help) return;
    viz_draw_t *d = v->d;
    float s = v->s;
    viz_fill_rect(d, 0, 0, (float)v->w, (float)v->h, viz_alpha(v->th->shadow, 0.8f));
    int nk = (int)SIM_ARRAY_LEN(help_keys), nm = (int)SIM_ARRAY_LEN(help_mouse);
    float lh = viz_font_height(d, VIZ_FONT_BODY) + 5 * s;
    float kw = 0, mw = 0, dw = 0;
    for (int i = 0; i < nk; i++) { kw = fmaxf(kw, viz_text_width(d, VIZ_FONT_BOLD, help_keys[i][0])); dw = fmaxf(dw, viz_text_width(d, VIZ_FONT_BODY, help_keys[i][1])); }
    for (int i = 0; i < nm; i++) { mw = fmaxf(mw, viz_text_width(d, VIZ_FONT_BOLD, help_mouse[i][0])); dw = fmaxf(dw, viz_text_width(d, VIZ_FONT_BODY, help_mouse[i][1])); }
    float col = fmaxf(kw, mw) + 18 * s;
    float w = fminf(col + dw + 48 * s, (float)v->w - 40 * s), h = (float)(nk + nm) * lh + 110 * s;
    /* The scenario's whole description first: the side panel shows only its start. */
    const scn_t *scn = run_scenario(v->ses);
    const char *desc = scn->description && scn->description[0] ? scn->description : NULL;
    float dh = desc ? viz_text_wrap(d, VIZ_FONT_BODY, 0, 0, w - 48 * s, desc, v->th->text, true) : 0;
    if (desc) h += viz_font_height(d, VIZ_FONT_TITLE) + dh + 26 * s;
    float x = ((float)v->w - w) / 2, y = fmaxf(((float)v->h - h) / 2, 10 * s);
    panel_box(v, x, y, w, h);
    float yy = y + 18 * s;
    if (desc) {
        viz_text(d, VIZ_FONT_TITLE, x + 24 * s, yy, scn->name, v->th->text);
        yy += viz_font_height(d, VIZ_FONT_TITLE) + 6 * s;
        viz_text_wrap(d, VIZ_FONT_BODY, x + 24 * s, yy, w - 48 * s, desc, v->th->text, false);
        yy += dh + 20 * s;
    }
    viz_text(d, VIZ_FONT_TITLE, x + 24 * s, yy, "Keys and mouse", v->th->text);
    yy += viz_font_height(d, VIZ_FONT_TITLE) + 12 * s;
    for (int i = 0; i < nk; i++, yy += lh) {
        viz_text(d, VIZ_FONT_BOLD, x + 24 * s, yy, help_keys[i][0], v->th->accent);
        viz_text_fit(d, VIZ_FONT_BODY, x + 24 * s + col, yy, w - col - 48 * s, help_keys[i][1], v->th->text);
    }
    yy += 10 * s;
    for (int i = 0; i < nm; i++, yy += lh) {
        viz_text(d, VIZ_FONT_BOLD, x + 24 * s, yy, help_mouse[i][0], v->th->accent);
        viz_text_fit(d, VIZ_FONT_BODY, x + 24 * s + col, yy, w - col - 48 * s, help_mouse[i][1], v->th->text);
    }
    SDL_RendererInfo info;
    char foot[256];
    snprintf(foot, sizeof foot, "Everything you do is recorded as a scenario action; w writes them all out to replay exactly. "
             "(Drawing with SDL's %s renderer.)", SDL_GetRendererInfo(viz_draw_renderer(d), &info) == 0 ? info.name : "?");
    viz_text_fit(d, VIZ_FONT_SMALL, x + 24 * s, yy + 8 * s, w - 48 * s, foot, v->th->text_dim);
}

void viz_paint(viz_view_t *v)
{
    SDL_Renderer *r = viz_draw_renderer(v->d);
    SDL_SetRenderDrawBlendMode(r, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(r, v->th->bg.r, v->th->bg.g, v->th->bg.b, 255);
    SDL_RenderClear(r);
    proto_refresh(v);
    paint_canvas(v);
    paint_strip(v);
    paint_panel(v);
    paint_top(v);
    paint_bar(v);
    viz_draw_flush(v->d);
    if (!v->help) paint_pin(v);
    if (!v->help && v->menu_node < 0) paint_tooltip(v);
    paint_menu(v);
    if (!v->help) paint_toast(v);
    paint_help(v);
    viz_draw_flush(v->d);
}
