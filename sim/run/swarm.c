/* swarm.c -- drawing a fault mix per seed into a copy of a scenario, and judging the run.
 *
 * The drawn faults are written into the scenario's own JSON tree (cJSON, as the loader
 * and scenario_write.c do) in the vocabulary a person would use, and the result is
 * loaded by the ordinary loader. So there is no second way of injecting faults that
 * could disagree with the first: what swarm ran is exactly the text it can write out.
 *
 * Every choice comes from one stream keyed by the seed (RNG_SWARM), drawn in a fixed
 * order, so the same seed gives the same scenario on any machine and at any -j.
 * Times are whole milliseconds so that the written file reads naturally.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "check/runcheck.h"
#include "core/sim.h"
#include "proto/plugin.h"
#include "run/swarm.h"
#include "scenario/scenario_write.h"

#define SWARM_FILE_MAX (64u << 20)       /* the loader refuses larger scenarios too */
#define SWARM_SEED_MAX 9007199254740991ULL   /* 2^53-1: what a JSON number holds exactly */
#define SWARM_CRASHES_MAX 3              /* crash windows drawn per seed */
#define SWARM_PROGRESS_OPS_MIN 20        /* requests expected before progress is judged */

const char *const swarm_verdict_names[] = {"pass", "invariant", "check", "liveness", "stopped", NULL};

const char *const swarm_kind_names[] = {
    "loss", "duplication", "reordering", "partitions", "crashes", "pauses", "clocks",
    "crash-leader", "isolate-leader", NULL,
};

int swarm_parse_kinds(const char *list, unsigned *mask, char *err, size_t err_len)
{
    *mask = 0;
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        int found = -1;
        for (int k = 0; swarm_kind_names[k]; k++)
            if (strlen(swarm_kind_names[k]) == len && strncmp(swarm_kind_names[k], p, len) == 0) found = k;
        if (found < 0) {
            snprintf(err, err_len, "expected fault kinds among loss, duplication, reordering, partitions, crashes, "
                     "pauses, clocks, crash-leader, isolate-leader; found \"%.*s\"", (int)len, p);
            return SIM_EINPUT;
        }
        *mask |= 1u << found;
        p += len;
        if (*p == ',') p++;
    }
    return SIM_OK;
}

struct swarm {
    unsigned without;
    char *path;
    scn_t scn;
    cJSON *root;                 /* the file as parsed; each plan edits a copy */
    sim_time_t liveness_ns;
};

static char *read_text(const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno)); return NULL; }
    size_t cap = 1 << 14, len = 0;
    char *buf = sim_xcalloc(cap, 1);
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= SWARM_FILE_MAX) { free(buf); fclose(f); snprintf(err, err_len, "%s: larger than 64 MiB", path); return NULL; }
            cap *= 2;
            buf = sim_xrealloc(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        if (got == 0) break;
        len += got;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); snprintf(err, err_len, "%s: cannot read", path); return NULL; }
    buf[len] = 0;
    return buf;
}

swarm_t *swarm_create(const char *path, const swarm_opts_t *o, char *err, size_t err_len)
{
    swarm_t *w = sim_xcalloc(1, sizeof *w);
    if (scn_load_file(path, &w->scn, err, err_len) != SIM_OK) { free(w); return NULL; }
    char *text = read_text(path, err, err_len);
    if (text) w->root = cJSON_Parse(text);
    free(text);
    if (!w->root) {
        if (text) snprintf(err, err_len, "%s: changed while it was read", path);
        scn_free(&w->scn);
        free(w);
        return NULL;
    }
    w->path = sim_xstrdup(path);
    w->liveness_ns = o && o->liveness_ns > 0 ? o->liveness_ns : 5 * SIM_SEC;
    w->without = o ? o->without : 0;
    return w;
}

void swarm_destroy(swarm_t *w)
{
    if (!w) return;
    cJSON_Delete(w->root);
    scn_free(&w->scn);
    free(w->path);
    free(w);
}

const scn_t *swarm_scenario(const swarm_t *w) { return &w->scn; }

/* ---- Drawing. ------------------------------------------------------------------- */

typedef struct draw {
    rng_t r;
    const scn_t *scn;
    cJSON *faults;
    uint32_t n_added;
    sim_time_t w0_ms, w1_ms;     /* the window faults start in */
    char *mix;
    size_t mix_len;
} draw_t;

static void mix_add(draw_t *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mix_add(draw_t *d, const char *fmt, ...)
{
    size_t at = strlen(d->mix);
    if (at + 3 >= d->mix_len) return;
    if (at) { strcpy(d->mix + at, ", "); at += 2; }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->mix + at, d->mix_len - at, fmt, ap);
    va_end(ap);
}

static cJSON *dur(sim_time_t t)
{
    char buf[48];
    return cJSON_CreateString(sim_format_duration(t, buf, sizeof buf));
}

static const char *name_of(const draw_t *d, uint32_t node, char *buf, size_t len)
{
    scn_node_name(d->scn, node, buf, len);
    return buf;
}

/* A new entry of "faults" at time t. */
static cJSON *fault_at(draw_t *d, sim_time_t t)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddItemToObject(f, "at", dur(t));
    cJSON_AddItemToArray(d->faults, f);
    d->n_added++;
    return f;
}

static void fault_node(draw_t *d, sim_time_t t, const char *what, uint32_t node)
{
    char nm[SIM_NAME_MAX];
    cJSON_AddStringToObject(fault_at(d, t), what, name_of(d, node, nm, sizeof nm));
}

static sim_time_t draw_ms(draw_t *d, sim_time_t lo_ms, sim_time_t hi_ms)
{
    if (hi_ms <= lo_ms) return lo_ms * SIM_MS;
    return (lo_ms + (sim_time_t)rng_below(&d->r, (uint64_t)(hi_ms - lo_ms))) * SIM_MS;
}

static sim_time_t draw_start(draw_t *d) { return draw_ms(d, d->w0_ms, d->w1_ms); }

/* How long one fault lasts: from lo_ms up to a quarter of the fault phase. */
static sim_time_t draw_span(draw_t *d, sim_time_t lo_ms)
{
    sim_time_t hi = (d->w1_ms - d->w0_ms) / 3;
    return draw_ms(d, lo_ms, hi > lo_ms ? hi : lo_ms + 1);
}

static void shuffle(draw_t *d, uint32_t *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) v[i] = i;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = (uint32_t)rng_below(&d->r, i), t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static void draw_partitions(draw_t *d, sim_time_t heal_ns)
{
    uint32_t n = d->scn->n_servers, k = 1 + (uint32_t)rng_below(&d->r, 4), oneway = 0, isolated = 0;
    uint32_t *perm = sim_xcalloc(n, sizeof *perm);
    char nm[SIM_NAME_MAX];
    for (uint32_t i = 0; i < k; i++) {
        sim_time_t t = draw_start(d), end = t + draw_span(d, 100);
        double kind = rng_double(&d->r);
        if (kind < 0.2) {
            cJSON_AddStringToObject(fault_at(d, t), "isolate", name_of(d, (uint32_t)rng_below(&d->r, n), nm, sizeof nm));
            isolated++;
        } else {
            /* A random minority (at least one server) against the rest, one-way a
             * third of the time: the minority cannot reach the majority. */
            shuffle(d, perm, n);
            uint32_t m = 1 + (uint32_t)rng_below(&d->r, n / 2 > 0 ? n / 2 : 1);
            bool ow = rng_chance(&d->r, 1.0 / 3);
            cJSON *f = fault_at(d, t), *groups = cJSON_AddArrayToObject(f, "partition");
            cJSON *g1 = cJSON_CreateArray(), *g2 = cJSON_CreateArray();
            for (uint32_t j = 0; j < n; j++)
                cJSON_AddItemToArray(j < m ? g1 : g2, cJSON_CreateString(name_of(d, perm[j], nm, sizeof nm)));
            cJSON_AddItemToArray(groups, g1);
            cJSON_AddItemToArray(groups, g2);
            if (ow) { cJSON_AddBoolToObject(f, "oneway", true); oneway++; }
        }
        if (end < heal_ns) cJSON_AddBoolToObject(fault_at(d, end), "heal", true);
    }
    free(perm);
    mix_add(d, "%u partition%s (%u one-way, %u isolating a node)", k, k == 1 ? "" : "s", oneway, isolated);
}

/* Crash windows never overlap on one node, and at most max_down servers are down at
 * once: a majority stays up, so a correct protocol keeps what it acknowledged. */
static void draw_crashes(draw_t *d, uint32_t max_down, sim_time_t heal_ns)
{
    uint32_t n = d->scn->n_servers, k = 1 + (uint32_t)rng_below(&d->r, SWARM_CRASHES_MAX), got = 0;
    struct { uint32_t node; sim_time_t from, to; } win[SWARM_CRASHES_MAX];
    for (uint32_t i = 0; i < k; i++) {
        uint32_t node = (uint32_t)rng_below(&d->r, n);
        sim_time_t from = draw_start(d), to = from + draw_span(d, 50);
        if (to > heal_ns) to = heal_ns;
        uint32_t down = 1;
        bool clash = false;
        for (uint32_t j = 0; j < got; j++) {
            bool overlap = win[j].from < to && from < win[j].to;
            if (overlap && win[j].node == node) clash = true;
            down += overlap;
        }
        if (clash || down > max_down) continue;
        win[got].node = node;
        win[got].from = from;
        win[got++].to = to;
        fault_node(d, from, "crash", node);
        if (to < heal_ns) fault_node(d, to, "restart", node);   /* else the liveness phase restarts it */
    }
    if (got) mix_add(d, "%u crash%s", got, got == 1 ? "" : "es");
}

static void draw_pauses(draw_t *d, sim_time_t heal_ns)
{
    uint32_t k = 1 + (uint32_t)rng_below(&d->r, 3);
    for (uint32_t i = 0; i < k; i++) {
        uint32_t node = (uint32_t)rng_below(&d->r, d->scn->n_servers);
        sim_time_t from = draw_start(d), to = from + draw_span(d, 20);
        fault_node(d, from, "pause", node);
        if (to < heal_ns) fault_node(d, to, "resume", node);
    }
    mix_add(d, "%u pause%s", k, k == 1 ? "" : "s");
}

static void draw_clocks(draw_t *d)
{
    uint32_t k = 1 + (uint32_t)rng_below(&d->r, d->scn->n_servers);
    sim_time_t worst = 0;
    char nm[SIM_NAME_MAX];
    for (uint32_t i = 0; i < k; i++) {
        uint32_t node = (uint32_t)rng_below(&d->r, d->scn->n_servers);
        sim_time_t t = draw_start(d), skew = draw_ms(d, -1000, 1001);
        double drift = (double)((int64_t)rng_below(&d->r, 2001) - 1000) * 1e-6;   /* within 0.1% */
        cJSON *f = fault_at(d, t);
        cJSON_AddStringToObject(f, "clock", name_of(d, node, nm, sizeof nm));
        cJSON_AddItemToObject(f, "skew", dur(skew));
        cJSON_AddNumberToObject(f, "drift", drift);
        if (llabs(skew) > worst) worst = llabs(skew);
    }
    mix_add(d, "%u clock change%s (skew up to %" PRId64 "ms)", k, k == 1 ? "" : "s", worst / SIM_MS);
}

static cJSON *nemesis(draw_t *d, const char *kind, sim_time_t heal_ns)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "nemesis", kind);
    cJSON_AddItemToObject(f, "start", dur(d->w0_ms * SIM_MS));
    cJSON_AddItemToObject(f, "stop", dur(heal_ns));
    cJSON_AddItemToArray(d->faults, f);
    d->n_added++;
    return f;
}

/* The network's own latency, for restoring it, as the loader reads it back. */
static cJSON *latency_json(const dist_t *lat)
{
    jw_t w;
    jw_init(&w, false);
    scn_write_dist(&w, lat);
    cJSON *v = cJSON_Parse(w.buf);
    jw_free(&w);
    return v;
}

/* Nemeses the scenario has itself must stop with the fault phase too. */
static void stop_own_nemeses(cJSON *faults, sim_time_t heal_ns)
{
    cJSON *f;
    cJSON_ArrayForEach(f, faults) {
        if (!cJSON_GetObjectItemCaseSensitive(f, "nemesis")) continue;
        const cJSON *start = cJSON_GetObjectItemCaseSensitive(f, "start"), *stop = cJSON_GetObjectItemCaseSensitive(f, "stop");
        sim_time_t s0 = 0, s1 = 0;
        if (cJSON_IsString(start)) sim_parse_duration(start->valuestring, false, &s0);
        if (cJSON_IsString(stop)) sim_parse_duration(stop->valuestring, false, &s1);
        if (s0 >= heal_ns || (s1 > 0 && s1 <= heal_ns)) continue;
        if (stop) cJSON_ReplaceItemInObjectCaseSensitive(f, "stop", dur(heal_ns));
        else cJSON_AddItemToObject(f, "stop", dur(heal_ns));
    }
}

static void set_key(cJSON *obj, const char *key, cJSON *item)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
    else cJSON_AddItemToObject(obj, key, item);
}

int swarm_plan(swarm_t *w, uint64_t seed, swarm_plan_t *p, char *err, size_t err_len)
{
    memset(p, 0, sizeof *p);
    p->seed = seed;
    if (seed > SWARM_SEED_MAX) {
        snprintf(err, err_len, "seed %" PRIu64 " is above 2^53-1, which a scenario file cannot hold", seed);
        return SIM_EINPUT;
    }
    const scn_t *scn = &w->scn;
    const scn_workload_t *wl = &scn->wl;
    sim_time_t heal = scn->duration_ns, live = w->liveness_ns;
    cJSON *root = cJSON_Duplicate(w->root, true);
    cJSON *faults = cJSON_GetObjectItemCaseSensitive(root, "faults");
    if (!faults) faults = cJSON_AddArrayToObject(root, "faults");
    stop_own_nemeses(faults, heal);

    draw_t d = {.scn = scn, .faults = faults, .mix = p->mix, .mix_len = sizeof p->mix};
    rng_seed(&d.r, seed, RNG_SWARM, 0);
    d.w0_ms = heal / SIM_MS / 10;
    d.w1_ms = heal / SIM_MS * 9 / 10;
    uint32_t n = scn->n_servers;

    /* Swarm testing: each kind of fault is on for about half the seeds. The draws are
     * made whether or not a kind is on, in a fixed order, so one kind's intensity
     * does not shift every draw after it. */
    bool on_loss = rng_chance(&d.r, 0.5), on_dup = rng_chance(&d.r, 0.5), on_jitter = rng_chance(&d.r, 0.5);
    bool on_part = n >= 2 && rng_chance(&d.r, 0.5), on_crash = rng_chance(&d.r, 0.5);
    bool on_pause = rng_chance(&d.r, 0.5), on_clock = rng_chance(&d.r, 0.5);
    bool on_crash_leader = rng_chance(&d.r, 0.35), on_isolate_leader = rng_chance(&d.r, 0.35);
    unsigned no = w->without;
    on_loss &= !(no >> SWARM_LOSS & 1);
    on_dup &= !(no >> SWARM_DUPLICATION & 1);
    on_jitter &= !(no >> SWARM_REORDERING & 1);
    on_part &= !(no >> SWARM_PARTITIONS & 1);
    on_crash &= !(no >> SWARM_CRASHES & 1);
    on_pause &= !(no >> SWARM_PAUSES & 1);
    on_clock &= !(no >> SWARM_CLOCKS & 1);
    on_crash_leader &= !(no >> SWARM_CRASH_LEADER & 1);
    on_isolate_leader &= !(no >> SWARM_ISOLATE_LEADER & 1);
    double loss = 0.3 * rng_double(&d.r), dup = 0.2 * rng_double(&d.r);
    sim_time_t jitter = draw_ms(&d, 5, 61), net_at = draw_start(&d);

    if (on_loss || on_dup || on_jitter) {
        cJSON *net = cJSON_AddObjectToObject(fault_at(&d, net_at), "network");
        if (on_loss) { cJSON_AddNumberToObject(net, "loss", loss); mix_add(&d, "loss %.1f%%", 100 * loss); }
        if (on_dup) { cJSON_AddNumberToObject(net, "duplicate", dup); mix_add(&d, "duplication %.1f%%", 100 * dup); }
        if (on_jitter) {
            /* Latency uniform from 1ms to `jitter`: messages overtake each other. */
            cJSON *lat = cJSON_AddObjectToObject(net, "latency");
            cJSON_AddStringToObject(lat, "dist", "uniform");
            cJSON_AddItemToObject(lat, "min", dur(SIM_MS));
            cJSON_AddItemToObject(lat, "max", dur(jitter));
            mix_add(&d, "reordering (latency 1-%" PRId64 "ms)", jitter / SIM_MS);
        }
    }
    if (on_part) draw_partitions(&d, heal);
    uint32_t max_down = (n - 1) / 2 - (on_crash_leader && n >= 3 ? 1 : 0);
    if (on_crash && max_down > 0 && n > 1) draw_crashes(&d, max_down, heal);
    if (on_pause) draw_pauses(&d, heal);
    if (on_clock) draw_clocks(&d);
    if (on_crash_leader) {
        sim_time_t every = draw_ms(&d, 1000, 3000), after = draw_ms(&d, 100, every / SIM_MS - 100);
        cJSON *f = nemesis(&d, "crash-leader", heal);
        cJSON_AddItemToObject(f, "every", dur(every));
        cJSON_AddItemToObject(f, "restart_after", dur(after));
        mix_add(&d, "crash-leader every %" PRId64 "ms", every / SIM_MS);
    }
    if (on_isolate_leader) {
        sim_time_t every = draw_ms(&d, 1000, 3000), span = draw_ms(&d, 100, every / SIM_MS / 2);
        cJSON *f = nemesis(&d, "isolate-leader", heal);
        cJSON_AddItemToObject(f, "every", dur(every));
        cJSON_AddItemToObject(f, "duration", dur(span));
        mix_add(&d, "isolate-leader every %" PRId64 "ms", every / SIM_MS);
    }
    if (!p->mix[0]) snprintf(p->mix, sizeof p->mix, "no faults");

    /* The liveness phase: everything mended at H, then only the clients act. A
     * restart of a server that is up, or a resume of one not paused, does nothing. */
    cJSON_AddBoolToObject(fault_at(&d, heal), "heal", true);
    if (on_loss || on_dup || on_jitter) {
        cJSON *net = cJSON_AddObjectToObject(fault_at(&d, heal), "network");
        cJSON_AddNumberToObject(net, "loss", scn->net.loss);
        cJSON_AddNumberToObject(net, "duplicate", scn->net.duplicate);
        cJSON_AddItemToObject(net, "latency", latency_json(&scn->net.latency));
    }
    for (uint32_t i = 0; i < n; i++) {
        fault_node(&d, heal, "restart", i);
        fault_node(&d, heal, "resume", i);
    }
    if ((uint64_t)cJSON_GetArraySize(faults) > SIM_FAULTS_MAX) {
        snprintf(err, err_len, "%s: more than SIM_FAULTS_MAX (%d) faults with the %u swarm adds", w->path, SIM_FAULTS_MAX, d.n_added);
        cJSON_Delete(root);
        return SIM_ELIMIT;
    }

    /* Clients work through the liveness phase: they must get operations done in its
     * second quarter, when the system has had a quarter of it to recover. */
    sim_time_t end = heal + live;
    p->progress_ns = -1;
    if (wl->clients) {
        cJSON *wj = cJSON_GetObjectItemCaseSensitive(root, "workload");
        sim_time_t stop = heal + live / 2;
        set_key(wj, "stop", dur(stop));
        if (wl->start_ns >= heal) set_key(wj, "start", dur(heal));
        end = stop + wl->final_reads_ns + live / 2;
        /* Only where clients would have sent enough requests that none completing
         * means something: with 20 expected, a quiet window by chance has odds of
         * e^-20. A slow workload is judged over the whole window instead. */
        double per_s = wl->closed ? (double)wl->clients / ((double)(wl->think_ns + SIM_MS) / 1e9) : wl->rate_per_s;
        double late = per_s * (double)(live / 4) / 1e9, all = per_s * (double)(live / 2) / 1e9;
        if (!wl->limit && late >= SWARM_PROGRESS_OPS_MIN) p->progress_ns = heal + live / 4;
        else if (!wl->limit && all >= SWARM_PROGRESS_OPS_MIN) p->progress_ns = heal;
    }
    set_key(root, "duration", dur(end));
    set_key(root, "seed", cJSON_CreateNumber((double)seed));
    if (scn->proto->replicas_equal) {
        cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "check");
        if (!c) c = cJSON_AddObjectToObject(root, "check");
        set_key(c, "convergence", cJSON_CreateTrue());
    }
    /* A plug-in named relative to the scenario: name the library loaded, so the file
     * --write-scenario writes runs wherever it is put. */
    cJSON *proto = cJSON_GetObjectItemCaseSensitive(root, "protocol");
    if (plugin_path(scn->proto) && cJSON_IsObject(proto) && cJSON_GetObjectItemCaseSensitive(proto, "plugin"))
        set_key(proto, "plugin", cJSON_CreateString(plugin_path(scn->proto)));
    char hs[32], es[32];
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
    const char *old = cJSON_IsString(desc) ? desc->valuestring : "";
    size_t len = strlen(old) + sizeof p->mix + 256;
    char *text = sim_xcalloc(len, 1);
    snprintf(text, len, "%s%s(dsim swarm, seed %" PRIu64 ": %s; every fault stops at %s, and by %s the cluster must have recovered.)",
             old, old[0] ? " " : "", seed, p->mix, sim_format_duration(heal, hs, sizeof hs), sim_format_duration(end, es, sizeof es));
    set_key(root, "description", cJSON_CreateString(text));
    free(text);

    p->heal_ns = heal;
    p->end_ns = end;
    p->json = cJSON_Print(root);
    cJSON_Delete(root);
    return SIM_OK;
}

void swarm_plan_free(swarm_plan_t *p)
{
    if (p->json) cJSON_free(p->json);
    p->json = NULL;
}

/* ---- Running and judging. -------------------------------------------------------- */

static void why_add(swarm_result_t *r, swarm_verdict_t v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void why_add(swarm_result_t *r, swarm_verdict_t v, const char *fmt, ...)
{
    if (r->verdict == SWARM_PASS) r->verdict = v;
    size_t at = strlen(r->why);
    if (at + 3 >= sizeof r->why) return;
    if (at) { strcpy(r->why + at, "; "); at += 2; }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why + at, sizeof r->why - at, fmt, ap);
    va_end(ap);
}

static void judge_checks(const runcheck_t *c, swarm_result_t *r)
{
    if (c->lin_asked && (c->lin_rc != SIM_OK || c->lin.verdict != LIN_OK))
        why_add(r, SWARM_CHECK, "check linearizable (%s model): %s", lin_model_names[c->lin_model],
                c->lin_rc != SIM_OK ? c->lin.err : c->lin.verdict == LIN_VIOLATED ? "violated"
                : "unknown (the search hit its bound)");
    if (c->conv_asked && c->convergence != 1)
        why_add(r, SWARM_CHECK, "check convergence: %s", c->convergence == 0 ? "replicas diverged" : "no up replica to compare");
    if (c->session_asked) {
        uint32_t bad = 0;
        for (int k = 0; k < CHK_SESSION_COUNT_; k++) bad += c->session.violations[k];
        if (c->session_rc != SIM_OK || bad)
            why_add(r, SWARM_CHECK, "check session: %s", c->session_rc != SIM_OK ? c->session_err : "guarantees violated");
    }
    if (c->set_asked && (c->set_rc != SIM_OK || c->set.n_lost || c->set.n_unexpected || c->set.n_failed_seen))
        why_add(r, SWARM_CHECK, "check set-full: %u lost, %u unexpected, %u failed but seen", c->set.n_lost,
                c->set.n_unexpected, c->set.n_failed_seen);
    if (c->counter_asked && (c->counter_rc != SIM_OK || c->counter.n_final_outside || !c->counter.n_final_reads))
        why_add(r, SWARM_CHECK, "check counter: %u final reads, %u outside the possible range",
                c->counter.n_final_reads, c->counter.n_final_outside);
    if (c->stale_asked && c->stale.stale)
        why_add(r, SWARM_CHECK, "check stale: %" PRIu64 " stale reads", c->stale.stale);
}

void swarm_run(swarm_t *w, const swarm_plan_t *p, swarm_result_t *r)
{
    memset(r, 0, sizeof *r);
    char err[1024], where[64], t[32];
    scn_t scn;
    snprintf(where, sizeof where, "swarm seed %" PRIu64, p->seed);
    if (scn_load_string(p->json, where, &scn, err, sizeof err) != SIM_OK) {
        why_add(r, SWARM_STOPPED, "the drawn scenario does not load: %s", err);
        return;
    }
    sim_opts_t o = {0};
    sim_t *s = sim_create(&scn, &o, err, sizeof err);
    if (!s) {
        why_add(r, SWARM_STOPPED, "cannot start: %s", err);
        scn_free(&scn);
        return;
    }
    sim_run(s);
    r->trace_hash = sim_trace_hash(s);
    r->events = sim_stats(s)->events;
    sim_time_t when;
    const sim_violation_t *v = sim_violation(s, &when);
    if (sim_error(s)) {
        why_add(r, SWARM_STOPPED, "the run stopped at t=%s: %s", sim_format_duration(sim_time(s), t, sizeof t), sim_error(s));
    } else if (v) {
        why_add(r, SWARM_INVARIANT, "invariant %s violated at t=%s: %s", v->name, sim_format_duration(when, t, sizeof t), v->detail);
    } else {
        runcheck_t c;
        runcheck_run(s, &c);
        judge_checks(&c, r);
        runcheck_free(&c);
        char hs[32];
        sim_format_duration(p->heal_ns, hs, sizeof hs);
        /* Any up server in a leading role will do: protocols with a leader per
         * partition (stream) report terms that are not comparable across nodes, so
         * sim_leader's "at the highest term" can stay empty while every partition
         * has its leader. */
        bool leader = false;
        for (uint32_t i = 0; i < sim_n_servers(s); i++) {
            int64_t term;
            leader |= sim_node_up(s, i) && sim_role_leads(sim_node_role(s, i, &term));
        }
        if (sim_stats(s)->elections && !leader)
            why_add(r, SWARM_LIVENESS, "liveness: no leader at t=%s, %s after the faults stopped at %s",
                    sim_format_duration(p->end_ns, t, sizeof t), sim_format_duration(p->end_ns - p->heal_ns, where, sizeof where), hs);
        if (p->progress_ns >= 0) {
            const hist_t *h = sim_history(s);
            uint64_t ok = 0;
            for (uint32_t i = 0; i < h->n_ev; i++)
                ok += h->ev[i].type == HIST_OK && h->ev[i].time_ns >= p->progress_ns;
            if (!ok)
                why_add(r, SWARM_LIVENESS, "liveness: no client operation completed ok after t=%s (faults stopped at %s)",
                        sim_format_duration(p->progress_ns, t, sizeof t), hs);
        }
    }
    sim_destroy(s);
    scn_free(&scn);
}
