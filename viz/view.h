/* view.h -- the live view of a session: a window to watch and break a cluster, or an
 * offscreen picture of one moment.
 *
 * The same code draws both. A window adds input (keys, clicks, drags) and a clock that
 * moves simulated time forward at a chosen speed; the offscreen form draws into a
 * memory surface with SDL's software renderer and needs no display, which is how
 * screenshots, the benchmark and the tests run. This header has no SDL in it, so tests
 * and the command line can use it without knowing how pictures are made.
 */
#ifndef VIZ_VIEW_H
#define VIZ_VIEW_H

#include "layout.h"
#include "run/run.h"
#include "theme.h"

#define VIZ_SIDE_MIN 320           /* pixels: the smallest window or picture side */
#define VIZ_SIDE_MAX 8192

typedef struct viz_view viz_view_t;

/* What a caller may add to the window without changing it: drawing over each frame,
 * and a first look at keys and clicks (the lesson panel, viz/lesson_view.c). Every
 * function may be NULL; key and click return true when they took the event. */
typedef struct viz_view_hook {
    void *ud;
    void (*tick)(void *ud, viz_view_t *v);                    /* after time advanced, before drawing */
    void (*paint)(void *ud, viz_view_t *v);                   /* over the drawn frame */
    bool (*key)(void *ud, viz_view_t *v, int sym);            /* an SDL key symbol */
    bool (*click)(void *ud, viz_view_t *v, float x, float y); /* a left click, in pixels */
} viz_view_hook_t;

typedef struct viz_view_opts {
    int w, h;                      /* window size in screen coordinates, or picture pixels */
    bool light;                    /* the light theme */
    int64_t select;                /* the node shown in the side panel, or -1 */
    viz_layout_kind_t layout;
    double speed_ns;               /* simulated ns per real second; 0 picks one from the latency */
    const viz_view_hook_t *hook;   /* NULL for the plain view */
    const char *title;             /* the window's title, or NULL for the scenario's name */
    bool paused;                   /* the window opens paused (otherwise playing) */
    const char *out_dir;           /* where `w` writes sessions; NULL: the sessions directory */
} viz_view_opts_t;

/* An offscreen view drawing into a w x h picture. NULL with a sentence in err. */
viz_view_t *viz_view_create_offscreen(run_t *s, const viz_view_opts_t *o, char *err, size_t err_len);
void viz_view_destroy(viz_view_t *v);
/* Draws one frame of the session as it is now. */
void viz_view_render(viz_view_t *v);
/* Advances simulated time as dt_s of real time at the view's speed would, within a
 * frame's budget of wall time, when playing. */
void viz_view_advance(viz_view_t *v, double dt_s);
/* viz_view_advance, then viz_view_render: one frame. */
void viz_view_frame(viz_view_t *v, double dt_s);
/* Copies the last frame as 8-bit R, G, B (w * h * 3 bytes). Returns 0 or -1. */
int viz_view_read_rgb(viz_view_t *v, uint8_t *rgb);
int viz_view_save_png(viz_view_t *v, const char *path);
void viz_view_size(const viz_view_t *v, int *w, int *h);

const viz_layout_t *viz_view_layout(const viz_view_t *v);
const viz_theme_t *viz_view_theme(const viz_view_t *v);
/* A pixel inside a node's disc that no text, cross or hatching covers: where a test
 * looks to see the node's colour. */
void viz_view_probe(const viz_view_t *v, uint32_t node, float *x, float *y);
/* Messages in flight drawn in the last frame. */
uint32_t viz_view_flights_drawn(const viz_view_t *v);
/* The directory sessions are written to: out when given, else $XDG_DATA_HOME/dsim/sessions
 * (~/.local/share/dsim/sessions without it), created when missing. SIM_OK, or SIM_EIO with
 * a sentence in buf. */
int viz_sessions_dir(const char *out, char *buf, size_t len);
/* What `w` does: writes the session (the scenario and the actions recorded) as a new
 * file in the sessions directory, its path in path. SIM_OK, or an error with a sentence
 * in path. */
int viz_view_write_session(viz_view_t *v, char *path, size_t len);
/* The fields of message `id` in flight, decoded by its protocol (proto_t.describe_msg)
 * into buf; false when the protocol cannot say or the message is not in flight. */
bool viz_msg_fields(const sim_t *sim, uint64_t id, char *buf, size_t len);
/* The cluster panel's leader row into buf: 0 when it has none (a protocol without
 * leaders, or none reported yet), 1 for a leader, 2 for trouble: no leader in the
 * newest term, naming any node that still leads an older one. */
int viz_leader_text(const sim_t *sim, char *buf, size_t len);
/* Triangles drawn so far, for the benchmark. */
uint64_t viz_view_triangles(const viz_view_t *v);
/* The name SDL gives the view's renderer ("software" for an offscreen view). */
const char *viz_view_renderer(const viz_view_t *v);
double viz_view_speed(const viz_view_t *v);
void viz_view_set_playing(viz_view_t *v, bool playing);
void viz_view_set_speed(viz_view_t *v, double speed_ns);
/* A short message at the top of the window for a few seconds. */
void viz_view_toast(viz_view_t *v, const char *msg);

/* Opens a window and runs until it is closed. Returns 0, or 2 with a sentence in err
 * when there is no display or the font is missing. */
int viz_view_run_window(run_t *s, const viz_view_opts_t *o, char *err, size_t err_len);

/* ---- Two scenarios side by side (viz/pair.c). ------------------------------------------ */

/* Two runs in two panes of one picture, on one clock: what is done to either is done to
 * both (by node name), and the other pane follows every move in time. The runs must
 * outlive the pair. */
typedef struct viz_pair viz_pair_t;
/* o->w is the whole picture's width, split in two; o->hook goes to the left pane. NULL
 * with a sentence in err. */
viz_pair_t *viz_pair_create_offscreen(run_t *const r[2], const viz_view_opts_t *o, char *err, size_t err_len);
void viz_pair_destroy(viz_pair_t *p);
viz_view_t *viz_pair_pane(viz_pair_t *p, int k);          /* 0 left, 1 right */
void viz_pair_advance(viz_pair_t *p, double dt_s);         /* the focused pane's clock; the other follows */
void viz_pair_render(viz_pair_t *p);                       /* both panes, with their headers */
int viz_pair_read_rgb(viz_pair_t *p, uint8_t *rgb);        /* the whole picture, w * h * 3 bytes */
int viz_pair_save_png(viz_pair_t *p, const char *path);
/* What the window does with one SDL event (an SDL_Event *): the pane under the pointer
 * (or last under it, for keys) takes it, the other follows. *shot is set when the frame
 * should be saved. Returns true when the window should close. */
bool viz_pair_event(viz_pair_t *p, const void *event, bool *shot);
/* Opens a window showing both and runs until it is closed. 0, or 2 with err. */
int viz_pair_run_window(run_t *const r[2], const viz_view_opts_t *o, char *err, size_t err_len);

/* A default speed for a scenario: a typical message takes most of a second to cross. */
double viz_default_speed(const scn_t *scn);

#endif
