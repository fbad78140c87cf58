/* main.c -- `dsim view`: flags, then a window, a screenshot or a benchmark.
 *
 * The three modes share one session and one view and differ only in where frames go:
 * a window (with input and a clock), a PNG file (one frame, no display needed), or
 * nowhere (frames counted against the wall clock). Flags are checked before anything
 * is opened, so a mistake is one line and exit status 2, never a half-open window.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <SDL.h>
#include "core/afile.h"
#include "scenario/override.h"
#include "scenario/scenario.h"
#include "view.h"
#include "viz.h"

#define BENCH_FRAMES_MAX 1000000

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "dsim view: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see: dsim help view)\n");
    return 2;
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static double wall_now(void) { return clock_s(CLOCK_MONOTONIC); }
/* CPU time of this process: what a frame costs whatever else the machine is doing. */
static double cpu_now(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

enum { F_SEED, F_THEME, F_SIZE, F_SCREENSHOT, F_AT, F_BENCH, F_SELECT, F_LAYOUT, F_SPEED, F_OUT, F_COUNT_ };
static const char *const flag_names[] = {
    "--seed", "--theme", "--size", "--screenshot", "--at", "--bench-frames", "--select", "--layout", "--speed", "--out", NULL,
};

static bool parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno || v > max) return false;
    *out = v;
    return true;
}

static bool parse_size(const char *s, int *w, int *h)
{
    const char *x = strchr(s, 'x');
    if (!x) return false;
    char a[16];
    size_t n = (size_t)(x - s);
    if (n == 0 || n >= sizeof a) return false;
    memcpy(a, s, n);
    a[n] = 0;
    uint64_t ww, hh;
    if (!parse_uint(a, VIZ_SIDE_MAX, &ww) || !parse_uint(x + 1, VIZ_SIDE_MAX, &hh)) return false;
    if (ww < VIZ_SIDE_MIN || hh < VIZ_SIDE_MIN) return false;
    *w = (int)ww;
    *h = (int)hh;
    return true;
}

/* Two scenarios side by side (viz/pair.c), on one clock: both run to `at`, then either
 * one picture of both or a window in which what is done to one is done to both. */
static int view_pair(const char *const paths[2], const run_opts_t *ro, const viz_view_opts_t *o, const char *select,
                     sim_time_t at, const char *shot)
{
    char err[1024];
    run_t *r[2] = {NULL, NULL};
    int rc = 0;
    if (o->w < 2 * VIZ_SIDE_MIN) return usage_error("--size: two scenarios side by side need a width of at least %d", 2 * VIZ_SIDE_MIN);
    viz_view_opts_t oo = *o;
    for (int k = 0; k < 2 && rc == 0; k++) {
        r[k] = run_open(paths[k], ro, err, sizeof err);
        if (!r[k]) { fprintf(stderr, "%s\n", err); rc = 2; break; }
        if (at > run_end(r[k])) { rc = usage_error("--at: past the end of %s", paths[k]); break; }
        uint32_t id;
        if (select && scn_node_id(run_scenario(r[k]), select, &id) != SIM_OK) {
            rc = usage_error("--select: %s has no node named \"%s\"", paths[k], select);
            break;
        }
        if (select) oo.select = id;
        if (at > 0) run_until(r[k], at);
    }
    const scn_t *scn = rc == 0 ? run_scenario(r[0]) : NULL;
    if (scn && !o->speed_ns && scn->view_speed_ns) oo.speed_ns = (double)scn->view_speed_ns;
    if (rc == 0 && shot) {
        viz_pair_t *p = viz_pair_create_offscreen(r, &oo, err, sizeof err);
        if (!p) { fprintf(stderr, "dsim view: %s\n", err); rc = 2; }
        else {
            viz_pair_render(p);
            if (viz_pair_save_png(p, shot) != 0) {
                fprintf(stderr, "dsim view: cannot write %s: %s\n", shot, strerror(errno));
                rc = 2;
            }
            viz_pair_destroy(p);
        }
    } else if (rc == 0 && viz_pair_run_window(r, &oo, err, sizeof err) != 0) {
        fprintf(stderr, "dsim view: %s\n", err);
        rc = 2;
    }
    for (int k = 0; k < 2; k++) if (r[k]) run_destroy(r[k]);
    return rc;
}

int viz_main(int argc, char **argv)
{
    const char *val[F_COUNT_] = {0}, *path = NULL, *path2 = NULL;
    const char *sets[SCN_SETS_MAX];
    uint32_t n_sets;
    char serr[512];
    if (scn_take_sets(&argc, argv, sets, &n_sets, serr, sizeof serr) != SIM_OK) return usage_error("%s", serr);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            if (path2) return usage_error("unexpected argument \"%s\" (one scenario, or two side by side)", a);
            if (path) path2 = a;
            else path = a;
            continue;
        }
        char name[64];
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), a);
        int k = -1;
        for (int j = 0; flag_names[j]; j++) if (strcmp(flag_names[j], name) == 0) k = j;
        if (k < 0) {
            const char *s = scn_suggest(name, flag_names);
            return s ? usage_error("unknown flag %s; did you mean %s?", name, s) : usage_error("unknown flag %s", name);
        }
        if (val[k]) return usage_error("%s is given twice; give it once", name);
        if (eq) val[k] = eq + 1;
        else if (i + 1 < argc) val[k] = argv[++i];
        else return usage_error("%s needs a value", name);
    }
    if (!path) return usage_error("expected a scenario file, such as scenarios/gossip-partition.json");

    uint64_t seed = 0, frames = 0;
    if (val[F_SEED] && !parse_uint(val[F_SEED], UINT64_MAX, &seed))
        return usage_error("--seed: expected a whole number such as 7, found \"%s\"", val[F_SEED]);
    viz_view_opts_t o = {.w = 1280, .h = 800, .select = -1, .layout = VIZ_LAYOUT_AUTO};
    if (val[F_THEME]) {
        if (strcmp(val[F_THEME], "dark") && strcmp(val[F_THEME], "light"))
            return usage_error("--theme: expected dark or light, found \"%s\"", val[F_THEME]);
        o.light = strcmp(val[F_THEME], "light") == 0;
    }
    if (val[F_SIZE] && !parse_size(val[F_SIZE], &o.w, &o.h))
        return usage_error("--size: expected WIDTHxHEIGHT with each side from %d to %d, such as 1280x800, found \"%s\"",
                           VIZ_SIDE_MIN, VIZ_SIDE_MAX, val[F_SIZE]);
    sim_time_t at = -1;
    if (val[F_AT] && (sim_parse_duration(val[F_AT], false, &at) != SIM_OK || at < 0))
        return usage_error("--at: expected a time such as \"2.5s\", found \"%s\"", val[F_AT]);
    if (val[F_BENCH] && (!parse_uint(val[F_BENCH], BENCH_FRAMES_MAX, &frames) || frames == 0))
        return usage_error("--bench-frames: expected a number of frames from 1 to %d, found \"%s\"", BENCH_FRAMES_MAX, val[F_BENCH]);
    if (val[F_BENCH] && val[F_SCREENSHOT]) return usage_error("--screenshot and --bench-frames are separate modes; give one");
    if (val[F_SCREENSHOT] && !val[F_SCREENSHOT][0]) return usage_error("--screenshot: expected a file name such as out.png");
    char why[AFILE_PATH_MAX + 160];
    if (val[F_SCREENSHOT] && afile_check(val[F_SCREENSHOT], why, sizeof why) != SIM_OK)
        return usage_error("--screenshot: %s", why);
    if (val[F_LAYOUT]) {
        int k = -1;
        for (int j = 0; viz_layout_names[j]; j++) if (strcmp(viz_layout_names[j], val[F_LAYOUT]) == 0) k = j;
        if (k < 0) return usage_error("--layout: expected auto, circle, rings, grid or scenario, found \"%s\"", val[F_LAYOUT]);
        o.layout = (viz_layout_kind_t)k;
    }
    if (val[F_OUT]) {
        if (!val[F_OUT][0]) return usage_error("--out: expected a directory for sessions written with w");
        o.out_dir = val[F_OUT];
    }
    if (val[F_SPEED]) {
        sim_time_t sp;
        if (sim_parse_duration(val[F_SPEED], false, &sp) != SIM_OK || sp < 1000000 || sp > 100 * SIM_SEC)
            return usage_error("--speed: expected simulated time per real second from \"1ms\" to \"100s\", found \"%s\"", val[F_SPEED]);
        o.speed_ns = (double)sp;
    }

    if (path2 && val[F_BENCH]) return usage_error("--bench-frames measures one scenario; give one");
    char err[1024];
    run_opts_t ro = {.seed_set = val[F_SEED] != NULL, .seed = seed, .sets = sets, .n_sets = n_sets};
    if (path2) {
        const char *paths[2] = {path, path2};
        if (!val[F_SIZE]) o.w = 1600, o.h = 860;
        return view_pair(paths, &ro, &o, val[F_SELECT], at, val[F_SCREENSHOT]);
    }
    run_t *ses = run_open(path, &ro, err, sizeof err);
    if (!ses) { fprintf(stderr, "%s\n", err); return 2; }
    int rc = 0;
    if (val[F_SELECT]) {
        uint32_t id;
        if (scn_node_id(run_scenario(ses), val[F_SELECT], &id) != SIM_OK) {
            rc = usage_error("--select: %s has no node named \"%s\"", path, val[F_SELECT]);
            goto out;
        }
        o.select = id;
    }
    /* The scenario's own "view" comes after the flags: a flag a person typed wins. */
    const scn_t *scn = run_scenario(ses);
    if (!val[F_SELECT] && scn->view_selects) o.select = scn->view_select;
    if (!val[F_SPEED] && scn->view_speed_ns) o.speed_ns = (double)scn->view_speed_ns;
    if (at > run_end(ses)) {
        char d[48];
        rc = usage_error("--at: %s is past the end of the run (%s)", val[F_AT], sim_format_duration(run_end(ses), d, sizeof d));
        goto out;
    }

    if (val[F_SCREENSHOT]) {
        if (at > 0) run_until(ses, at);
        viz_view_t *v = viz_view_create_offscreen(ses, &o, err, sizeof err);
        if (!v) { fprintf(stderr, "dsim view: %s\n", err); rc = 2; goto out; }
        viz_view_render(v);
        if (viz_view_save_png(v, val[F_SCREENSHOT]) != 0) {
            fprintf(stderr, "dsim view: cannot write %s: %s\n", val[F_SCREENSHOT], strerror(errno));
            rc = 2;
        }
        viz_view_destroy(v);
    } else if (val[F_BENCH]) {
        /* Start where there is traffic: at --at, or a little way into the run. */
        sim_time_t start = at >= 0 ? at : run_end(ses) / 10;
        run_until(ses, start);
        viz_view_t *v = viz_view_create_offscreen(ses, &o, err, sizeof err);
        if (!v) { fprintf(stderr, "dsim view: %s\n", err); rc = 2; goto out; }
        viz_view_set_playing(v, true);
        double sim_s = 0, draw_s = 0, flights = 0, dt = 1.0 / 60;
        uint64_t tri0 = viz_view_triangles(v);
        double t0 = wall_now(), c0 = cpu_now();
        for (uint64_t f = 0; f < frames; f++) {
            double a = cpu_now();
            viz_view_advance(v, dt);
            double b = cpu_now();
            viz_view_render(v);
            double c = cpu_now();
            sim_s += b - a;
            draw_s += c - b;
            flights += viz_view_flights_drawn(v);
        }
        double wall = wall_now() - t0, cpu = cpu_now() - c0;
        /* An offscreen view is SDL's software renderer drawing into a surface in memory
         * (SDL_CreateSoftwareRenderer): no display, no GPU; the name is SDL's own. */
        printf("view bench: %s, %u servers, %u clients, %dx%d, renderer \"%s\" into a memory surface\n", scn->name,
               scn->n_servers, scn->wl.clients, o.w, o.h, viz_view_renderer(v));
        printf("  %" PRIu64 " frames in %.3f s: %.1f frames per second (%.1f per second of CPU time)\n", frames, wall,
               (double)frames / wall, (double)frames / cpu);
        printf("  per frame, in CPU time: %.2f ms drawing, %.2f ms simulating (%.0f ms of simulated time per real second)\n",
               draw_s / (double)frames * 1e3, sim_s / (double)frames * 1e3, viz_view_speed(v) / 1e6);
        printf("  %.0f messages in flight on average, %.0f triangles per frame\n", flights / (double)frames,
               (double)(viz_view_triangles(v) - tri0) / (double)frames);
        viz_view_destroy(v);
    } else {
        if (at > 0) run_until(ses, at);
        if (viz_view_run_window(ses, &o, err, sizeof err) != 0) {
            fprintf(stderr, "dsim view: %s\n", err);
            rc = 2;
        }
    }
out:
    run_destroy(ses);
    return rc;
}
