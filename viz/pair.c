/* pair.c -- two scenarios side by side in one window, on one clock.
 *
 * Each pane is an ordinary view (view.c, paint.c) drawing its own run into a picture of
 * its own, exactly as a screenshot is drawn; the pair places the two pictures in one
 * window (or one PNG) and keeps them together:
 *
 *   +------------------------------+------------------------------+
 *   | A: name · protocol   t = ... | B: name · protocol   t = ... |
 *   | writes, last second; stale   | writes, last second; stale   |
 *   |   canvas   | panel           |   canvas   | panel           |
 *   |   space-time diagram         |   space-time diagram         |
 *   |   controls                   |   controls                   |
 *   +------------------------------+------------------------------+
 *
 * The pane under the pointer takes the input; whatever it does to time (play, speed,
 * step, rewind, scrub) the other pane follows to the same simulated time
 * (run_pair_follow), and every action is recorded on both runs by node name
 * (run_pair_act, through view.c's act). Keys go first to the caller's hook on the left
 * pane (a lesson's panel), then to the pane the pointer was last over. Drawing each
 * pane into its own picture keeps the paint code unaware of panes: it draws into a
 * w x h rectangle from (0, 0) as always. The window is not resizable, to keep that
 * simple; --size chooses it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pngw.h"
#include "view_int.h"

#define VIZ_PAIR_TALLY_EVERY_S 0.25    /* wall seconds between header figures (they write a summary) */

struct viz_pair {
    viz_view_t *pane[2];
    int w, h, half;                    /* pixels: the whole, the left pane's width */
    int focus;                         /* the pane the pointer was last over */
    double tally_wall;
    sim_time_t tally_at[2];
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

viz_view_t *viz_pair_pane(viz_pair_t *p, int k) { return p->pane[k]; }

void viz_pair_destroy(viz_pair_t *p)
{
    if (!p) return;
    for (int k = 0; k < 2; k++) viz_view_destroy(p->pane[k]);
    free(p);
}

viz_pair_t *viz_pair_create_offscreen(run_t *const r[2], const viz_view_opts_t *o, char *err, size_t err_len)
{
    if (o->w < 2 * VIZ_SIDE_MIN || o->h < VIZ_SIDE_MIN) {
        snprintf(err, err_len, "two scenarios side by side need a picture at least %dx%d", 2 * VIZ_SIDE_MIN, VIZ_SIDE_MIN);
        return NULL;
    }
    viz_pair_t *p = calloc(1, sizeof *p);
    if (!p) { snprintf(err, err_len, "out of memory"); return NULL; }
    p->w = o->w;
    p->h = o->h;
    p->half = o->w / 2;
    for (int k = 0; k < 2; k++) {
        viz_view_opts_t ok = *o;
        ok.w = k ? o->w - p->half : p->half;
        const scn_t *scn = run_scenario(r[k]);
        if (scn->view_selects && ok.select < 0) ok.select = scn->view_select;
        if (k) ok.hook = NULL;         /* the caller's additions belong to the left pane */
        p->pane[k] = viz_view_create_offscreen(r[k], &ok, err, err_len);
        if (!p->pane[k]) { viz_pair_destroy(p); return NULL; }
        viz_view_t *v = p->pane[k];
        v->pane = k;
        v->ox = (float)(k ? p->half : 0);
        snprintf(v->pane_label, sizeof v->pane_label, "%s  %s \xc2\xb7 %s", k ? "B" : "A", scn->name, scn->proto->name);
    }
    p->pane[0]->peer = p->pane[1];
    p->pane[1]->peer = p->pane[0];
    /* One clock: the right pane plays at the left's speed. */
    viz_view_set_speed(p->pane[1], viz_view_speed(p->pane[0]));
    p->tally_wall = -1;
    p->tally_at[0] = p->tally_at[1] = -1;
    return p;
}

/* The other pane takes what pane k did to time and to the look of things. */
static void pair_sync(viz_pair_t *p, int k)
{
    viz_view_t *v = p->pane[k], *o = p->pane[1 - k];
    o->playing = v->playing;
    o->speed_ns = v->speed_ns;
    o->strip_span_ns = v->strip_span_ns;
    o->th = v->th;
    run_pair_follow(v->ses, o->ses);
}

/* The header figures, refreshed at most every VIZ_PAIR_TALLY_EVERY_S of wall time (and
 * whenever a paused clock was moved). */
static void pair_tally(viz_pair_t *p, bool force)
{
    double now = wall_now();
    bool moved = run_now(p->pane[0]->ses) != p->tally_at[0] || run_now(p->pane[1]->ses) != p->tally_at[1];
    if (!force && !(moved && (now - p->tally_wall >= VIZ_PAIR_TALLY_EVERY_S || !p->pane[0]->playing))) return;
    for (int k = 0; k < 2; k++) {
        run_tally(p->pane[k]->ses, &p->pane[k]->tally);
        p->pane[k]->has_tally = true;
        p->tally_at[k] = run_now(p->pane[k]->ses);
    }
    p->tally_wall = now;
}

void viz_pair_render(viz_pair_t *p)
{
    pair_tally(p, false);
    for (int k = 0; k < 2; k++) viz_view_render(p->pane[k]);
}

void viz_pair_advance(viz_pair_t *p, double dt_s)
{
    viz_view_advance(p->pane[p->focus], dt_s);
    pair_sync(p, p->focus);
}

int viz_pair_read_rgb(viz_pair_t *p, uint8_t *rgb)
{
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {
        viz_view_t *v = p->pane[k];
        uint8_t *one = malloc((size_t)v->w * (size_t)v->h * 3);
        if (!one) return -1;
        rc = viz_view_read_rgb(v, one);
        for (int y = 0; rc == 0 && y < p->h; y++)
            memcpy(rgb + ((size_t)y * (size_t)p->w + (size_t)(k ? p->half : 0)) * 3, one + (size_t)y * (size_t)v->w * 3, (size_t)v->w * 3);
        free(one);
    }
    return rc;
}

int viz_pair_save_png(viz_pair_t *p, const char *path)
{
    uint8_t *rgb = malloc((size_t)p->w * (size_t)p->h * 3);
    if (!rgb) { errno = ENOMEM; return -1; }
    int rc = viz_pair_read_rgb(p, rgb);
    if (rc == 0) rc = viz_png_write(path, rgb, p->w, p->h, (size_t)p->w * 3, 3);
    free(rgb);
    return rc;
}

/* Which pane an event belongs to: the pointer's, or the focused one for keys. */
static int event_pane(viz_pair_t *p, const SDL_Event *e)
{
    int x = -1;
    if (e->type == SDL_MOUSEMOTION) x = e->motion.x;
    else if (e->type == SDL_MOUSEBUTTONDOWN || e->type == SDL_MOUSEBUTTONUP) x = e->button.x;
    else if (e->type == SDL_MOUSEWHEEL) SDL_GetMouseState(&x, NULL);
    if (x < 0) return p->focus;
    /* A drag that began in a pane stays with it (a cut, the scrubber). */
    viz_view_t *f = p->pane[p->focus];
    if (f->cut_drag || f->scrub_drag || f->speed_drag) return p->focus;
    return x >= p->half ? 1 : 0;
}

bool viz_pair_event(viz_pair_t *p, const void *event, bool *shot)
{
    const SDL_Event *e = event;
    if (e->type == SDL_QUIT) return true;
    int k = event_pane(p, e);
    viz_view_t *hooked = p->pane[0];
    if (e->type == SDL_KEYDOWN && k != 0 && hooked->hook && hooked->hook->key &&
        hooked->hook->key(hooked->hook->ud, hooked, (int)e->key.keysym.sym)) {
        pair_sync(p, 0);
        return false;
    }
    if (e->type == SDL_MOUSEMOTION && k != p->focus) p->pane[p->focus]->mouse_in = false;
    if (e->type == SDL_MOUSEMOTION || e->type == SDL_MOUSEBUTTONDOWN) p->focus = k;
    viz_view_event(p->pane[k], e, shot);
    pair_sync(p, k);
    return p->pane[k]->quit;
}

int viz_pair_run_window(run_t *const r[2], const viz_view_opts_t *o, char *err, size_t err_len)
{
    if (viz_window_start(err, err_len) != 0) return 2;
    viz_pair_t *p = viz_pair_create_offscreen(r, o, err, err_len);
    SDL_Window *win = NULL;
    SDL_Renderer *ren = NULL;
    SDL_Texture *tex[2] = {NULL, NULL};
    int rc = 0;
    if (!p) { rc = 2; goto out; }
    char title[256];
    if (o->title) snprintf(title, sizeof title, "%s", o->title);
    else snprintf(title, sizeof title, "dsim view: %s | %s", run_scenario(r[0])->name, run_scenario(r[1])->name);
    /* No high-DPI backing: a window coordinate is a pixel, as the panes' pictures are. */
    win = SDL_CreateWindow(title, SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, o->w, o->h, 0);
    if (win) {
        ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
        if (!ren) ren = SDL_CreateRenderer(win, -1, SDL_RENDERER_SOFTWARE);
    }
    for (int k = 0; ren && k < 2; k++)
        tex[k] = SDL_CreateTexture(ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, p->pane[k]->w, p->pane[k]->h);
    if (!win || !ren || !tex[0] || !tex[1]) {
        snprintf(err, err_len, "cannot open a window: %s", SDL_GetError());
        rc = 2;
        goto out;
    }
    for (int k = 0; k < 2; k++) {
        p->pane[k]->playing = !o->paused;
        viz_view_toast(p->pane[k], "side by side: one clock; what you do to one side happens to both (? shows the keys)");
    }
    SDL_RendererInfo info;
    bool vsync = SDL_GetRendererInfo(ren, &info) == 0 && (info.flags & SDL_RENDERER_PRESENTVSYNC);
    double last = wall_now();
    bool quit = false;
    while (!quit) {
        SDL_Event e;
        bool shot = false;
        while (!quit && SDL_PollEvent(&e)) quit = viz_pair_event(p, &e, &shot);
        double t = wall_now(), dt = t - last;
        last = t;
        viz_pair_advance(p, dt);
        viz_view_t *v0 = p->pane[0];
        if (v0->hook && v0->hook->tick) { v0->hook->tick(v0->hook->ud, v0); pair_sync(p, 0); }
        viz_pair_render(p);
        if (v0->hook && v0->hook->paint) v0->hook->paint(v0->hook->ud, v0);
        if (shot) {
            char path[300];
            viz_view_screenshot_name(v0, path, sizeof path);
            if (viz_pair_save_png(p, path) == 0) viz_view_toast(v0, "saved both sides in one picture");
            else viz_view_toast(v0, "could not save the picture");
        }
        for (int k = 0; k < 2; k++) {
            viz_view_t *v = p->pane[k];
            SDL_UpdateTexture(tex[k], NULL, v->surface->pixels, v->surface->pitch);
            SDL_Rect dst = {k ? p->half : 0, 0, v->w, v->h};
            SDL_RenderCopy(ren, tex[k], NULL, &dst);
        }
        const viz_rgba_t c = v0->th->border;
        SDL_SetRenderDrawColor(ren, c.r, c.g, c.b, 255);
        SDL_RenderDrawLine(ren, p->half, 0, p->half, p->h);
        SDL_RenderPresent(ren);
        if (!vsync) {
            double spent = wall_now() - t, frame = 1.0 / 60;
            if (spent < frame) SDL_Delay((Uint32)((frame - spent) * 1000));
        }
    }
out:
    for (int k = 0; k < 2; k++) if (tex[k]) SDL_DestroyTexture(tex[k]);
    if (ren) SDL_DestroyRenderer(ren);
    if (win) SDL_DestroyWindow(win);
    viz_pair_destroy(p);
    SDL_Quit();
    return rc;
}
