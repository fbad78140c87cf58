/* layout.c -- node placement, flight positions and hit tests.
 *
 * Every placement first decides the node radius from the room there is, then puts
 * centres at least two radii and a gap apart, so nothing overlaps by construction and
 * the tests can check it. Labels (a name, a state line) hang below a node, so each
 * placement keeps room below the lowest row when nodes are large enough to carry them.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "layout.h"

const char *const viz_layout_names[] = {"auto", "circle", "rings", "grid", "scenario", NULL};

#define PI_F 3.14159265358979f
#define R_SERVER_MAX 28.0f         /* logical pixels: the largest server disc */
#define R_SERVER_MIN 2.5f
#define R_CLIENT_MAX 9.0f
#define LABEL_MIN_R 9.0f           /* below this radius nodes carry no labels */
#define LABEL_H 30.0f              /* room for two lines of small text under a node */
#define LABEL_HALF_W 44.0f         /* half the width a label may take beside a node */
#define PAIRWISE_MAX 4096          /* above this many servers, skip the O(n^2) spacing check */

static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

void viz_layout_free(viz_layout_t *L)
{
    free(L->x);
    free(L->y);
    memset(L, 0, sizeof *L);
}

/* One circle of n nodes around (cx, cy), the first at the top, clockwise. */
static void place_circle(viz_layout_t *L, uint32_t first, uint32_t n, float cx, float cy, float R, float phase)
{
    for (uint32_t i = 0; i < n; i++) {
        float a = -PI_F / 2 + phase + 2 * PI_F * (float)i / (float)n;
        L->x[first + i] = cx + R * cosf(a);
        L->y[first + i] = cy + R * sinf(a);
    }
}

static void layout_circle(viz_layout_t *L, const viz_layout_in_t *in, float x, float y, float w, float h)
{
    float s = in->scale;
    uint32_t n = in->n_servers;
    bool star = in->hub >= 0 && (uint64_t)in->hub < n && n > 2;
    uint32_t on_ring = star ? n - 1 : n;
    /* The radius of the ring and of the nodes depend on each other: a few rounds of
     * each from the other settle them. The last round only ever shrinks the nodes,
     * which keeps the ring's radius (computed for larger nodes) inside the canvas. */
    float r = R_SERVER_MAX * s, R = 0;
    for (int it = 0; it < 4; it++) {
        bool labels = r >= LABEL_MIN_R * s;
        float lh = labels ? LABEL_H * s : 0, lw = labels ? LABEL_HALF_W * s : 0;
        float rx = w / 2 - fmaxf(r, lw) - 4 * s, ry = (h - lh) / 2 - r - 4 * s;
        R = fmaxf(fminf(rx, ry), 0);
        float room = on_ring > 1 ? R * sinf(PI_F / (float)on_ring) * 0.62f : R * 0.5f;
        if (star) room = fminf(room, R * 0.3f);
        float next = clampf(fminf(room, R_SERVER_MAX * s), R_SERVER_MIN * s, R_SERVER_MAX * s);
        r = it == 3 ? fminf(r, next) : next;
    }
    if (n == 1) R = 0;
    float lh = r >= LABEL_MIN_R * s ? LABEL_H * s : 0;
    float cx = x + w / 2, cy = y + (h - lh) / 2;
    L->r_server = r;
    if (star) {
        uint32_t hub = (uint32_t)in->hub;
        L->x[hub] = cx;
        L->y[hub] = cy;
        for (uint32_t i = 0, k = 0; i < n; i++) {
            if (i == hub) continue;
            float a = -PI_F / 2 + 2 * PI_F * (float)k++ / (float)on_ring;
            L->x[i] = cx + R * cosf(a);
            L->y[i] = cy + R * sinf(a);
        }
    } else {
        place_circle(L, 0, n, cx, cy, R, 0);
    }
}

/* Slots on rings spaced sp apart, from radius Rout inwards: each ring holds as many
 * nodes as fit its circumference at spacing sp; a last slot sits in the middle. */
static uint64_t rings_capacity(float Rout, float sp, uint32_t *caps, uint32_t max_rings, uint32_t *n_rings)
{
    uint64_t total = 0;
    uint32_t k = 0;
    for (float ri = Rout; k < max_rings; ri -= sp) {
        uint32_t c;
        if (ri < sp * 0.5f) c = ri > -sp * 0.25f ? 1 : 0;
        else c = (uint32_t)floorf(2 * PI_F * ri / sp);
        if (!c) break;
        if (caps) caps[k] = c;
        k++;
        total += c;
        if (ri < sp * 0.5f) break;
    }
    if (n_rings) *n_rings = k;
    return total;
}

#define RINGS_MAX 512

static void layout_rings(viz_layout_t *L, const viz_layout_in_t *in, float x, float y, float w, float h)
{
    float s = in->scale;
    uint32_t n = in->n_servers;
    float Rout = fmaxf(fminf(w, h) / 2 - 6 * s, 1);
    /* The largest spacing that still fits everyone, by bisection. */
    float lo = 0.5f, hi = Rout * 2;
    for (int it = 0; it < 40; it++) {
        float mid = (lo + hi) / 2;
        if (rings_capacity(Rout - mid * 0.4f, mid, NULL, RINGS_MAX, NULL) >= n) lo = mid;
        else hi = mid;
    }
    float sp = lo;
    float r = clampf(sp * 0.32f, R_SERVER_MIN * s * 0.4f, R_SERVER_MAX * s * 0.8f);
    /* Room under the outer ring for labels when nodes carry them. */
    float Rtop = Rout - sp * 0.4f;
    uint32_t caps[RINGS_MAX], nr = 0;
    uint64_t cap = rings_capacity(Rtop, sp, caps, RINGS_MAX, &nr);
    /* Share the nodes out in proportion to each ring's capacity, so every ring is
     * evenly filled, then hand out what rounding left, outer rings first. */
    uint32_t counts[RINGS_MAX], given = 0;
    for (uint32_t k = 0; k < nr; k++) {
        counts[k] = (uint32_t)((uint64_t)n * caps[k] / (cap ? cap : 1));
        given += counts[k];
    }
    for (uint32_t k = 0; given < n && k < nr * 2; k++) {
        uint32_t j = k % nr;
        if (counts[j] < caps[j]) { counts[j]++; given++; }
    }
    float cx = x + w / 2, cy = y + h / 2;
    uint32_t at = 0;
    for (uint32_t k = 0; k < nr && at < n; k++) {
        uint32_t c = counts[k] < n - at ? counts[k] : n - at;
        if (!c) continue;
        float ri = Rtop - (float)k * sp;
        if (ri < sp * 0.5f) ri = 0;
        place_circle(L, at, c, cx, cy, ri, (float)k * 0.5f * 2 * PI_F / (float)(c ? c : 1));
        at += c;
    }
    L->r_server = r;
}

static void layout_grid(viz_layout_t *L, const viz_layout_in_t *in, float x, float y, float w, float h)
{
    float s = in->scale;
    uint32_t n = in->n_servers;
    uint32_t cols = in->grid_width && in->grid_width <= n ? in->grid_width
                                                          : (uint32_t)ceilf(sqrtf((float)n * w / fmaxf(h, 1)));
    if (cols < 1) cols = 1;
    if (cols > n) cols = n;
    uint32_t rows = (n + cols - 1) / cols;
    float cw = w / (float)cols, ch = h / (float)rows;
    float r = clampf(fminf(cw, ch) * 0.3f, R_SERVER_MIN * s * 0.4f, R_SERVER_MAX * s);
    float lh = r >= LABEL_MIN_R * s ? fminf(LABEL_H * s, ch - 2.2f * r) : 0;
    if (lh < 0) lh = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t cx = i % cols, cy = i / cols;
        L->x[i] = x + cw * ((float)cx + 0.5f);
        L->y[i] = y + ch * (float)cy + (ch - lh) / 2;
    }
    L->r_server = r;
}

static void layout_scenario(viz_layout_t *L, const viz_layout_in_t *in, float x, float y, float w, float h)
{
    float s = in->scale;
    uint32_t n = in->n_servers;
    /* Nodes may not come closer than their positions put them: the radius follows the
     * smallest distance between two of them, measured at a provisional scale. */
    float m = (R_SERVER_MAX + 6) * s, mx = fmaxf(m, LABEL_HALF_W * s);
    float ux = fmaxf(w - 2 * mx, 1), uy = fmaxf(h - 2 * m - LABEL_H * s, 1);
    float dmin = 1e30f;
    if (n <= PAIRWISE_MAX)
        for (uint32_t i = 0; i < n; i++)
            for (uint32_t j = i + 1; j < n; j++) {
                float dx = (float)(in->pos_x[i] - in->pos_x[j]) * ux, dy = (float)(in->pos_y[i] - in->pos_y[j]) * uy;
                float d = sqrtf(dx * dx + dy * dy);
                if (d < dmin) dmin = d;
            }
    else
        dmin = sqrtf(ux * uy / (float)n);
    float r = clampf(fminf(dmin * 0.4f, R_SERVER_MAX * s), 1.0f, R_SERVER_MAX * s);
    for (uint32_t i = 0; i < n; i++) {
        L->x[i] = x + mx + (float)in->pos_x[i] * ux;
        L->y[i] = y + m + (float)in->pos_y[i] * uy;
    }
    L->r_server = r;
}

static void layout_clients(viz_layout_t *L, const viz_layout_in_t *in, float x, float y, float w, float h)
{
    float s = in->scale;
    uint32_t n = in->n_clients, base = in->n_servers;
    if (!n) return;
    float pitch_min = 7 * s;
    uint32_t per_row = (uint32_t)fmaxf(1, floorf(w / pitch_min));
    if (per_row > n) per_row = n;
    uint32_t rows = (n + per_row - 1) / per_row;
    float pitch = w / (float)per_row, rh = h / (float)rows;
    float r = clampf(fminf(pitch * 0.3f, rh * 0.3f), 1.5f * s, R_CLIENT_MAX * s);
    bool labels = r >= 6 * s && rows == 1;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t col = i % per_row, row = i / per_row;
        uint32_t in_row = row == rows - 1 ? n - row * per_row : per_row;
        float p = w / (float)in_row;
        L->x[base + i] = x + p * ((float)col + 0.5f);
        L->y[base + i] = y + rh * (float)row + (labels ? rh * 0.38f : rh * 0.5f);
    }
    L->r_client = r;
}

int viz_layout_compute(viz_layout_t *L, const viz_layout_in_t *in)
{
    memset(L, 0, sizeof *L);
    uint32_t n = in->n_servers + in->n_clients;
    L->x = calloc(n ? n : 1, sizeof *L->x);
    L->y = calloc(n ? n : 1, sizeof *L->y);
    if (!L->x || !L->y) { viz_layout_free(L); return -1; }
    L->n_servers = in->n_servers;
    L->n_clients = in->n_clients;
    L->x0 = in->x;
    L->y0 = in->y;
    L->w = in->w;
    L->h = in->h;
    L->scale = in->scale > 0 ? in->scale : 1;
    viz_layout_in_t c = *in;
    c.scale = L->scale;

    float band = in->n_clients ? clampf(in->h * 0.13f, 34 * c.scale, 64 * c.scale) : 0;
    float sx = in->x, sy = in->y, sw = in->w, sh = in->h - band;
    L->server_bottom = sy + sh;

    bool all_pos = in->pos_x && in->pos_y && in->n_servers > 0;
    if (all_pos && in->has_pos)
        for (uint32_t i = 0; i < in->n_servers; i++) all_pos = all_pos && in->has_pos[i];
    viz_layout_kind_t k = in->kind;
    if (k == VIZ_LAYOUT_SCENARIO && !all_pos) k = VIZ_LAYOUT_AUTO;
    if (k == VIZ_LAYOUT_AUTO) {
        if (all_pos) k = VIZ_LAYOUT_SCENARIO;
        else if (in->grid_width) k = VIZ_LAYOUT_GRID;
        else k = in->n_servers <= VIZ_CIRCLE_MAX ? VIZ_LAYOUT_CIRCLE : VIZ_LAYOUT_RINGS;
    }
    L->kind = k;
    if (in->n_servers) {
        switch (k) {
        case VIZ_LAYOUT_SCENARIO: layout_scenario(L, &c, sx, sy, sw, sh); break;
        case VIZ_LAYOUT_GRID: layout_grid(L, &c, sx, sy, sw, sh); break;
        case VIZ_LAYOUT_RINGS: layout_rings(L, &c, sx, sy, sw, sh); break;
        default: layout_circle(L, &c, sx, sy, sw, sh); break;
        }
    }
    layout_clients(L, &c, sx, sy + sh, sw, band);
    return 0;
}

int64_t viz_layout_hit_node(const viz_layout_t *L, float px, float py, float slack)
{
    int64_t best = -1;
    float best_d = 1e30f;
    uint32_t n = L->n_servers + L->n_clients;
    for (uint32_t i = 0; i < n; i++) {
        float dx = px - L->x[i], dy = py - L->y[i], d = sqrtf(dx * dx + dy * dy);
        float r = viz_layout_radius(L, i) + slack;
        if (d <= r && d < best_d) { best_d = d; best = i; }
    }
    return best;
}

double viz_flight_frac(sim_time_t sent_ns, sim_time_t arrive_ns, sim_time_t now_ns)
{
    if (arrive_ns <= sent_ns) return now_ns >= arrive_ns ? 1.0 : 0.0;
    double f = (double)(now_ns - sent_ns) / (double)(arrive_ns - sent_ns);
    return f < 0 ? 0 : f > 1 ? 1 : f;
}

void viz_flight_point(const viz_layout_t *L, uint32_t from, uint32_t to, double frac, float lane, float *x, float *y)
{
    float x0 = L->x[from], y0 = L->y[from], x1 = L->x[to], y1 = L->y[to];
    float r0 = viz_layout_radius(L, from), r1 = viz_layout_radius(L, to), f = (float)frac;
    if (from == to) {
        /* A loop above the node, starting and ending at its top. */
        float rr = fmaxf(r0 * 0.7f, 4 * L->scale), a = 2 * PI_F * f;
        *x = x0 + rr * sinf(a);
        *y = y0 - r0 - rr + rr * cosf(a);
        return;
    }
    float dx = x1 - x0, dy = y1 - y0, d = sqrtf(dx * dx + dy * dy);
    if (d <= r0 + r1 || d <= 0) {
        *x = x0 + dx * f;
        *y = y0 + dy * f;
        return;
    }
    float ux = dx / d, uy = dy / d, nx = -uy, ny = ux;
    float sx = x0 + ux * r0 + nx * lane, sy = y0 + uy * r0 + ny * lane;
    float ex = x1 - ux * r1 + nx * lane, ey = y1 - uy * r1 + ny * lane;
    *x = sx + (ex - sx) * f;
    *y = sy + (ey - sy) * f;
}

int64_t viz_hit_point(const float *xs, const float *ys, uint32_t n, float px, float py, float radius)
{
    int64_t best = -1;
    float best_d = radius * radius;
    for (uint32_t i = 0; i < n; i++) {
        float dx = px - xs[i], dy = py - ys[i], d = dx * dx + dy * dy;
        if (d <= best_d) { best_d = d; best = i; }
    }
    return best;
}

int viz_side_of_line(float ax, float ay, float bx, float by, float px, float py)
{
    float c = (bx - ax) * (py - ay) - (by - ay) * (px - ax);
    return c > 0 ? 1 : c < 0 ? -1 : 0;
}
