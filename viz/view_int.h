/* view_int.h -- the inside of a view, shared by view.c (state, time, input, actions)
 * and paint.c (drawing). Nothing outside viz/ includes this.
 *
 * Each frame gathers what it shows once (nodes' info, roles and state lines, messages
 * in flight with their positions) into arrays sized at creation, then paints from
 * them; input handling hit-tests against the same arrays, so what is clicked is what
 * was drawn.
 *
 *   +-----------------------------------------------------------+-----------+
 *   | top bar: scenario, status chips, time                                  |
 *   +-----------------------------------------------------------+-----------+
 *   | canvas: groups, links, messages, nodes, legend            | side      |
 *   |                                                           | panel:    |
 *   |                       clients in a row                    | stats,    |
 *   +-----------------------------------------------------------+ node      |
 *   | space-time strip: one lane per node                       | state     |
 *   +-----------------------------------------------------------+-----------+
 *   | control bar: play, step, speed, time scrubber                          |
 *   +-----------------------------------------------------------------------+
 */
#ifndef VIZ_VIEW_INT_H
#define VIZ_VIEW_INT_H

#include "draw.h"
#include "view.h"
#include "run/pair.h"
#include "run/sumtext.h"
#include "proto/stream.h"

#define VIZ_FLIGHTS_MAX (1u << 20)     /* messages in flight drawn at once */
#define VIZ_LABEL_NODES_MAX 40         /* above this many servers, nodes carry no labels */
#define VIZ_LINKS_MESH_MAX 16          /* draw every link of a mesh up to this many servers */
#define VIZ_STRIP_ARROWS_AA_MAX 700    /* diagram arrows drawn anti-aliased; beyond, thin lines */
#define VIZ_STRIP_ARROWS_MAX 1500      /* diagram arrows drawn at all in one frame: more is a blur */
#define VIZ_SPEED_MIN_NS 1e6           /* 1 ms of simulated time per real second */
#define VIZ_SPEED_MAX_NS 1e11          /* 100 s per real second */
#define VIZ_FRAME_BUDGET_S 0.010       /* wall time a frame may spend simulating */
#define VIZ_DROP_FADE_S 0.7            /* real seconds a dropped message takes to fall */
#define VIZ_MENU_ITEMS_MAX 12
#define VIZ_FLIGHTS_DENSE 1500         /* above this many in flight, messages are drawn smaller */

typedef struct viz_frect { float x, y, w, h; } viz_frect_t;

static inline bool viz_in(const viz_frect_t *r, float x, float y)
{
    return x >= r->x && y >= r->y && x < r->x + r->w && y < r->y + r->h;
}

typedef struct viz_fl {
    uint64_t id;
    uint32_t from, to, size, len;
    uint16_t type;
    int8_t doomed;                 /* -1, or the drop_reason_t */
    bool dup;                      /* another copy of it is in flight too */
    bool waiting;                  /* arrived at a paused node, waiting for it to resume */
    sim_time_t sent_ns, arrive_ns;
    float x, y;
} viz_fl_t;

/* Figures of the live summary that a protocol's picture draws: per row (a node, a
 * partition) up to four numbers, and a few scalars. NAN where the summary has none. */
#define VIZ_PIC_ROWS 32
#define VIZ_STALE_MARKS 4096           /* the latest stale reads marked in the space-time diagram */
typedef struct viz_pic {
    uint32_t n;
    double a[VIZ_PIC_ROWS], b[VIZ_PIC_ROWS], c[VIZ_PIC_ROWS], d[VIZ_PIC_ROWS];
    double x[8];
    /* Quorums: where stale reads completed (the client and the moment), oldest first,
     * and the key the picture follows (-1: none yet) with why. */
    uint32_t n_stale;
    sim_time_t stale_ns[VIZ_STALE_MARKS];
    uint32_t stale_node[VIZ_STALE_MARKS];
    int64_t key;
    bool key_stale;                /* the key of the latest stale read (else the latest write's) */
    int64_t key_shown;             /* the key the picture showed last frame: a pinned message's, or key */
    stream_view_t stream;          /* streaming: scratch for the window timeline, filled per frame */
} viz_pic_t;

typedef struct viz_nd {
    sim_node_info_t info;          /* info.name points at name: it outlives a rebuilt sim */
    char name[SIM_NAME_MAX];
    sim_role_t role;
    int64_t term;
    proto_desc_t desc;
    bool member, isolated;
} viz_nd_t;

typedef enum {
    VIZ_MI_CRASH, VIZ_MI_RESTART, VIZ_MI_PAUSE, VIZ_MI_RESUME, VIZ_MI_ISOLATE, VIZ_MI_REQUEST,
    VIZ_MI_JOIN, VIZ_MI_LEAVE, VIZ_MI_HEAL,
    VIZ_MI_CLOCK_AHEAD, VIZ_MI_CLOCK_BEHIND, VIZ_MI_CLOCK_FAST, VIZ_MI_CLOCK_TRUE,   /* recorded as clock actions */
    VIZ_MI_COUNT_
} viz_menu_item_t;

struct viz_view {
    run_t *ses;
    viz_draw_t *d;
    SDL_Window *win;
    SDL_Renderer *r;
    SDL_Surface *surface;          /* offscreen target, or NULL for a window */
    const viz_theme_t *th;
    int w, h;                      /* output pixels */
    float s;                       /* pixels per logical pixel */

    viz_frect_t top, canvas, panel, strip, bar;
    viz_frect_t b_play, b_step, speed, scrub, b_help;
    viz_frect_t json_box;
    viz_frect_t pic_box;           /* where this frame's protocol picture went (w 0: none) */
    viz_frect_t legend_box;        /* ... the legend */
    viz_frect_t pin_box;           /* ... and the pinned message's box */

    viz_layout_t lay;
    viz_layout_kind_t lay_kind;
    bool lay_dirty;
    float lay_w, lay_h;            /* canvas size the layout was made for */

    double speed_ns;               /* simulated ns per real second */
    bool playing, behind;
    double achieved_ns;            /* smoothed simulated ns per real second while behind */

    viz_nd_t *nd;                  /* per node, this frame */
    uint32_t n_nodes, n_servers;
    viz_fl_t *fl;                  /* in flight, this frame, by id */
    uint32_t n_fl, cap_fl;
    float *fx, *fy;                /* their positions, for hit tests */
    viz_fl_t *fl_tmp;              /* scratch for sorting them: as many as fl, and twice as many keys */
    uint64_t *fl_keys;
    uint32_t cap_sort;
    sim_time_t max_flight_ns;      /* the longest flight seen: how far back drops may start */
    uint64_t seen_gen;

    int64_t hover_node, selected;
    int64_t hover_fl;              /* index into fl */
    int64_t menu_node;
    float menu_x, menu_y;
    int menu_hover;
    viz_menu_item_t menu_items[VIZ_MENU_ITEMS_MAX];
    int n_menu;
    bool cut_drag;
    float cut[4];
    bool scrub_drag, speed_drag;
    sim_time_t pending_seek;       /* where a scrubber drag wants to be, or -1: one seek per frame */
    bool was_playing;
    uint8_t *picked;               /* shift-clicked nodes: a group to cut off */
    uint32_t n_picked;
    bool help;
    float json_scroll, json_content_h;
    float mx, my;                  /* the pointer, in pixels */
    bool mouse_in;
    sim_time_t strip_span_ns;      /* the diagram's width in simulated time; 0 follows the speed */
    float strip_gutter;            /* width of the diagram's name column (0: not measured yet) */
    float strip_name_w;            /* the widest lane name (0: not measured yet) */
    bool strip_two_cols;           /* lanes too close for one column of names: two, staggered */

    /* A message's fields pinned by a click (Esc closes): lines taken when it was
     * clicked, since a dropped or delivered message's payload is gone. */
    uint64_t pin_id;
    int pin_n;                     /* lines; 0: nothing pinned */
    char pin[6][160];
    char toast[256];
    double toast_until;
    const viz_view_hook_t *hook;   /* the caller's additions, or NULL */
    double wall;                   /* now, in seconds of wall time */

    /* The protocol's own figures, the lines of its summary read from the live JSON
     * summary, refreshed at most every VIZ_PROTO_LINES_EVERY_S of wall time. */
    sumtext_t *ptext;
    double ptext_wall;
    sim_time_t ptext_at;
    struct viz_pic *pic;
    char out_dir[512];             /* viz_view_opts_t.out_dir, or "" */           /* the figures a protocol's picture draws, refreshed with ptext */

    double stats_wall;
    uint64_t stats_n;
    int64_t p50, p90, p99;
    jw_t json;
    uint64_t requests_sent;        /* to give each request from the view its own value */
    bool quit;

    /* Side by side (viz/pair.c): the other pane, this pane's side (0 left, 1 right),
     * its left edge in window coordinates, and what its header shows. peer is NULL for
     * a view on its own. */
    struct viz_view *peer;
    int pane;
    float ox;
    char pane_label[160];
    bool has_tally;
    run_tally_t tally;

    /* Scratch, sized at creation: hull points (12 per server), per-lane state. */
    float *hull;
    uint32_t cap_hull;
    uint8_t *ln_role, *ln_up, *ln_paused;
    uint8_t *sir;                  /* epidemics, per server this frame: 0 susceptible, 1 infective, 2 removed (NULL: other protocols) */
    sim_time_t *ln_since;
};

/* view.c */
void viz_view_measure(viz_view_t *v);            /* panel rectangles and the layout for this size */
void viz_view_gather(viz_view_t *v);             /* nodes and flights of this moment */
sim_time_t viz_view_strip_span(const viz_view_t *v);
double viz_view_fade_ns(const viz_view_t *v);
int viz_view_menu_build(viz_view_t *v, int64_t node);
/* Does what menu item `it` says to `node`, recorded as an action. */
void viz_view_menu_run(viz_view_t *v, viz_menu_item_t it, uint32_t node);
const char *viz_menu_label(const viz_view_t *v, viz_menu_item_t it, char *buf, size_t len);
void viz_view_strip_window(const viz_view_t *v, sim_time_t *t0, sim_time_t *t1);
/* Width of the diagram's name column: the widest lane name, whole, within reason. */
float viz_view_strip_gutter(viz_view_t *v);
/* A time-axis label for tick t, with the decimals a step of step_ns needs. */
const char *viz_tick_label(sim_time_t t, double step_ns, char *buf, size_t len);
float viz_view_lane_y(const viz_view_t *v, uint32_t node);
double viz_speed_to_slider(double speed_ns);
double viz_slider_to_speed(double pos);

/* Handles one SDL event (an SDL_Event *): what the window does with it. *shot is set
 * when the frame should be saved. Pane views get pointer coordinates relative to ox. */
void viz_view_event(viz_view_t *v, const void *event, bool *shot);
/* Starts SDL's video for a window, or says in err why no window can open. 0 or 2. */
int viz_window_start(char *err, size_t err_len);
/* A file name for a screenshot in the current folder, dsim-NAME-TIME.png, that no file
 * has yet. */
void viz_view_screenshot_name(viz_view_t *v, char *path, size_t len);

/* paint.c */
void viz_paint(viz_view_t *v);
/* Pins message f's fields in a box on the canvas until Esc: dropped says the click
 * dropped it (a plain click), else it was only pinned (shift-click). */
void viz_view_pin(viz_view_t *v, const viz_fl_t *f, bool dropped);

/* A node role's colour: built-in roles have their own, a protocol's own roles that
 * of their class. */
static inline viz_rgba_t role_color(const viz_view_t *v, sim_role_t r)
{
    if ((unsigned)r < SIM_ROLE_COUNT_) return viz_role_color(v->th, r);
    return viz_class_color(v->th, sim_role_class(run_sim(v->ses), r));
}

#endif
