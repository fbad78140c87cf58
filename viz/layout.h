/* layout.h -- where nodes sit on the canvas, where a message is at a moment, and what
 * the pointer is over.
 *
 * This is plain geometry with no SDL in it, so it can be tested exactly: every node
 * inside the canvas, no two overlapping, positions from the scenario honoured, hit tests
 * that find what is drawn. Servers go on a circle (a few), concentric rings (many), a
 * grid (a grid topology) or where the scenario puts them; clients sit smaller in a row
 * along the bottom, apart from the servers they talk to.
 *
 * A message in flight is drawn on the straight link between its two nodes, from the rim
 * of the sender to the rim of the receiver, shifted a little to the right of its
 * direction so that traffic both ways stays apart. Its progress is the fraction of its
 * flight time gone: (now - sent) / (arrive - sent), so what is on screen moves exactly
 * at the pace of simulated time.
 */
#ifndef VIZ_LAYOUT_H
#define VIZ_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>
#include "core/base.h"

typedef enum {
    VIZ_LAYOUT_AUTO,      /* scenario positions if every server has one, else by count */
    VIZ_LAYOUT_CIRCLE,
    VIZ_LAYOUT_RINGS,
    VIZ_LAYOUT_GRID,
    VIZ_LAYOUT_SCENARIO,
    VIZ_LAYOUT_COUNT_
} viz_layout_kind_t;
extern const char *const viz_layout_names[];   /* "auto", "circle", ... */

#define VIZ_CIRCLE_MAX 24          /* AUTO puts at most this many servers on one circle */

typedef struct viz_layout_in {
    float x, y, w, h;              /* the canvas, in pixels */
    float scale;                   /* pixels per logical pixel (2 on a high-DPI screen) */
    uint32_t n_servers, n_clients;
    viz_layout_kind_t kind;
    const double *pos_x, *pos_y;   /* per server, in [0, 1], or NULL (both or neither) */
    const bool *has_pos;           /* which servers have a position; NULL: all or none */
    int64_t hub;                   /* a star's hub, drawn in the middle; -1 for none */
    uint32_t grid_width;           /* a grid topology's row length; 0 for none */
} viz_layout_in_t;

typedef struct viz_layout {
    uint32_t n_servers, n_clients;
    float *x, *y;                  /* centres: servers, then clients */
    float r_server, r_client;      /* radii in pixels */
    viz_layout_kind_t kind;        /* what AUTO chose */
    float x0, y0, w, h;            /* the canvas */
    float server_bottom;           /* the servers' area ends here; clients are below */
    float scale;
} viz_layout_t;

/* Places every node. Returns 0, or -1 when memory runs out (the layout is then empty). */
int viz_layout_compute(viz_layout_t *L, const viz_layout_in_t *in);
void viz_layout_free(viz_layout_t *L);
static inline float viz_layout_radius(const viz_layout_t *L, uint32_t node)
{
    return node < L->n_servers ? L->r_server : L->r_client;
}

/* The node under (px, py): the nearest whose disc, widened by slack pixels, holds the
 * point; -1 for none. */
int64_t viz_layout_hit_node(const viz_layout_t *L, float px, float py, float slack);

/* How far along its flight a message is at `now`: 0 at sending, 1 at arrival, clamped. */
double viz_flight_frac(sim_time_t sent_ns, sim_time_t arrive_ns, sim_time_t now_ns);

/* Where a message from `from` to `to` is drawn at fraction frac of its flight: on the
 * link from rim to rim, lane pixels to the right of its direction. A message a node
 * sends itself loops above it. */
void viz_flight_point(const viz_layout_t *L, uint32_t from, uint32_t to, double frac, float lane,
                      float *x, float *y);

/* The index of the point nearest (px, py) within radius, or -1. Later points win ties,
 * since they are drawn on top. */
int64_t viz_hit_point(const float *xs, const float *ys, uint32_t n, float px, float py, float radius);

/* Which side of the directed line (ax, ay) -> (bx, by) a point is on, as the sign of
 * the cross product: +1 to the right of the direction as seen on screen (y grows
 * downwards), -1 to the left, 0 on the line. A cut drawn across the canvas splits the
 * nodes by this sign. */
int viz_side_of_line(float ax, float ay, float bx, float by, float px, float py);

#endif
