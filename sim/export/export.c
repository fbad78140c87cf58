/* export.c -- the export bundle of one run (see export.h for its shape and guarantees).
 *
 * The listener only appends: one row per message copy (linked per message id, so a
 * delivery or a drop finds its copy in O(copies of that id)), one row per node event
 * (crash, restart, pause, resume, join, leave, role), one per network event (partition,
 * isolate, heal) and one per client invocation (which client, which server). Every
 * table is derived from those lists and the history when the run is over, which keeps
 * the hot path to an append and the derivations easy to read. Memory is O(messages);
 * a bundle of a ten-million-message run is a big bundle anyway.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cJSON.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "check/visibility.h"
#include "core/trace.h"
#include "export/csv.h"
#include "export/export.h"
#include "export/plot.h"
#include "export/trace_file.h"

#define EXP_PATH_MAX 4096
#define EXP_ROLES_MAX 256
#define COPY_NONE UINT32_MAX
#define EXP_SERIES_MAX 16          /* the protocol's own series in timeseries.csv */

enum { M_FLIGHT, M_DELIVERED, M_DROPPED };

typedef struct copy {
    uint64_t id;
    uint32_t from, to;
    uint16_t type;
    uint8_t state, reason;
    bool dup;
    uint32_t size;
    uint32_t next;             /* the next copy of the same id, or COPY_NONE */
    uint32_t orig;             /* the original's row (itself for an original) */
    sim_time_t sent_ns, arrive_ns, end_ns;
} copy_t;

typedef struct nev {           /* a node or network event */
    uint8_t kind;              /* trace_kind_t */
    uint16_t role;
    uint32_t node;
    int64_t term;
    sim_time_t t;
} nev_t;

typedef struct inv { uint32_t client, server; } inv_t;

struct exp {
    char dir[EXP_PATH_MAX], tmp[EXP_PATH_MAX];
    bool committed;
    sim_time_t interval_ns;
    bool want_trace;
    char command[1024];
    uint32_t n_servers, n_nodes;
    int64_t *keys;                 /* keys held: sample k, server n at keys[k * n_servers + n]; -1 none */
    uint32_t n_samples, cap_samples;
    bool any_keys;
    copy_t *m; uint32_t n_m, cap_m;
    uint32_t *by_id; uint64_t cap_id;     /* message id -> first copy */
    nev_t *e; uint32_t n_e, cap_e;
    inv_t *inv; uint32_t n_inv, cap_inv;
    trace_file_t *tf;
    trace_fn next_fn; void *next_ud;
    bool oom;
};

static void *grow(void *p, uint32_t *cap, size_t size, bool *oom)
{
    uint32_t c = *cap ? *cap * 2 : 1024;
    void *q = realloc(p, (size_t)c * size);
    if (!q) { *oom = true; return p; }
    *cap = c;
    return q;
}

/* ---- The directory: check, temporary, commit. ------------------------------------- */

int exp_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? SIM_OK : SIM_EIO;
    int rc = SIM_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char p[EXP_PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(p, &st) != 0) { rc = SIM_EIO; continue; }
        if (S_ISDIR(st.st_mode)) { if (exp_remove_tree(p) != SIM_OK) rc = SIM_EIO; }
        else if (unlink(p) != 0) rc = SIM_EIO;
    }
    closedir(d);
    if (rmdir(dir) != 0) rc = SIM_EIO;
    return rc;
}

/* 0: DIR is absent; 1: it is a previous bundle; -1: anything else (err says what). */
static int target_state(const char *dir, char *err, size_t err_len)
{
    struct stat st;
    if (lstat(dir, &st) != 0) {
        if (errno == ENOENT) return 0;
        snprintf(err, err_len, "--export %s: cannot look at it: %s", dir, strerror(errno));
        return -1;
    }
    const char *what = S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISREG(st.st_mode) ? "a file"
                     : S_ISDIR(st.st_mode) ? NULL : "a special file";
    if (what) {
        snprintf(err, err_len, "--export %s: expected a new directory or a previous export bundle, found %s; "
                 "nothing was changed (choose another name)", dir, what);
        return -1;
    }
    char m[EXP_PATH_MAX];
    snprintf(m, sizeof m, "%s/%s", dir, EXP_MARKER);
    if (lstat(m, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, err_len, "--export %s: expected a new directory or a previous export bundle, found a directory "
                 "dsim did not write (no %s in it); nothing was changed (choose another name)", dir, EXP_MARKER);
        return -1;
    }
    return 1;
}

exp_t *exp_create(const scn_t *scn, const exp_opts_t *o, char *err, size_t err_len)
{
    size_t len = strlen(o->dir);
    while (len > 1 && o->dir[len - 1] == '/') len--;
    if (len == 0 || len >= EXP_PATH_MAX - 64) {
        snprintf(err, err_len, "--export: expected a directory name, found \"%s\"", o->dir);
        return NULL;
    }
    exp_t *x = calloc(1, sizeof *x);
    if (!x) { snprintf(err, err_len, "--export: out of memory"); return NULL; }
    memcpy(x->dir, o->dir, len);
    x->dir[len] = 0;
    if (strcmp(x->dir, ".") == 0 || strcmp(x->dir, "..") == 0 || strcmp(x->dir, "/") == 0) {
        snprintf(err, err_len, "--export %s: expected a new directory or a previous export bundle, found the "
                 "current, parent or root directory", o->dir);
        free(x);
        return NULL;
    }
    if (target_state(x->dir, err, err_len) < 0) { free(x); return NULL; }
    const char *slash = strrchr(x->dir, '/');
    const char *base = slash ? slash + 1 : x->dir;
    int plen = slash ? (int)(slash - x->dir) + 1 : 0;
    snprintf(x->tmp, sizeof x->tmp, "%.*s.%s.tmp-XXXXXX", plen, x->dir, base);
    if (!mkdtemp(x->tmp)) {
        snprintf(err, err_len, "--export %s: cannot make a temporary directory beside it: %s", x->dir, strerror(errno));
        free(x);
        return NULL;
    }
    /* mkdtemp makes it private; a bundle is shared like any file the user makes. */
    mode_t um = umask(0);
    umask(um);
    chmod(x->tmp, 0777 & ~um);
    x->interval_ns = o->interval_ns > 0 ? o->interval_ns : EXP_INTERVAL_NS_DEFAULT;
    x->want_trace = o->trace;
    snprintf(x->command, sizeof x->command, "%s", o->command ? o->command : "");
    x->n_servers = scn->n_servers;
    x->n_nodes = scn->n_servers + scn->wl.clients;
    return x;
}

void exp_chain(exp_t *x, trace_fn fn, void *ud) { x->next_fn = fn; x->next_ud = ud; }

sim_time_t exp_interval(const exp_t *x) { return x->interval_ns; }

static int64_t keys_held(sim_t *s, uint32_t node);

void exp_sample(exp_t *x, sim_t *s)
{
    if (x->n_servers > EXP_SAMPLED_SERVERS_MAX || x->n_samples >= EXP_INTERVALS_MAX) return;
    if (x->n_samples == x->cap_samples) {
        uint32_t c = x->cap_samples ? x->cap_samples * 2 : 256;
        int64_t *k = realloc(x->keys, (size_t)c * x->n_servers * sizeof *k);
        if (!k) { x->oom = true; return; }
        x->keys = k;
        x->cap_samples = c;
    }
    int64_t *row = x->keys + (size_t)x->n_samples++ * x->n_servers;
    for (uint32_t n = 0; n < x->n_servers; n++) {
        row[n] = keys_held(s, n);
        if (row[n] >= 0) x->any_keys = true;
    }
}

int exp_attach(exp_t *x, const sim_t *s, char *err, size_t err_len)
{
    if (!x->want_trace) return SIM_OK;
    char p[EXP_PATH_MAX];
    snprintf(p, sizeof p, "%s/trace.jsonl", x->tmp);
    x->tf = trace_file_open(p, s);
    if (!x->tf) { snprintf(err, err_len, "--export %s: cannot write trace.jsonl: %s", x->dir, strerror(errno)); return SIM_EIO; }
    return SIM_OK;
}

void exp_destroy(exp_t *x)
{
    if (!x) return;
    if (x->tf) trace_file_close(x->tf, false);
    if (!x->committed) exp_remove_tree(x->tmp);
    free(x->m);
    free(x->by_id);
    free(x->e);
    free(x->inv);
    free(x->keys);
    free(x);
}

/* ---- The listener. ----------------------------------------------------------------- */

static void on_send(exp_t *x, const trace_rec_t *r)
{
    if (x->n_m == UINT32_MAX - 1) { x->oom = true; return; }
    if (x->n_m == x->cap_m) x->m = grow(x->m, &x->cap_m, sizeof *x->m, &x->oom);
    if (x->n_m == x->cap_m) return;
    if (r->id >= x->cap_id) {
        uint64_t c = x->cap_id ? x->cap_id : 1024;
        while (c <= r->id) c *= 2;
        uint32_t *b = realloc(x->by_id, c * sizeof *b);
        if (!b) { x->oom = true; return; }
        for (uint64_t i = x->cap_id; i < c; i++) b[i] = COPY_NONE;
        x->by_id = b;
        x->cap_id = c;
    }
    uint32_t i = x->n_m++;
    copy_t *c = &x->m[i];
    *c = (copy_t){.id = r->id, .from = r->a, .to = r->b, .type = r->type, .state = M_FLIGHT, .dup = r->kind == TR_DUPLICATE,
                  .size = (uint32_t)r->x, .next = COPY_NONE, .orig = i, .sent_ns = r->t, .arrive_ns = r->t2, .end_ns = -1};
    uint32_t *link = &x->by_id[r->id];
    if (*link != COPY_NONE && c->dup) c->orig = *link;
    while (*link != COPY_NONE) link = &x->m[*link].next;
    *link = i;
}

static void on_end(exp_t *x, const trace_rec_t *r)
{
    if (r->id >= x->cap_id) return;
    /* The copy this is about: for a delivery, the one due now; otherwise (or if none
     * is due now) the first still in flight. */
    uint32_t pick = COPY_NONE;
    for (uint32_t i = x->by_id[r->id]; i != COPY_NONE; i = x->m[i].next) {
        if (x->m[i].state != M_FLIGHT) continue;
        if (pick == COPY_NONE) pick = i;
        if (r->kind == TR_DELIVER && x->m[i].arrive_ns == r->t) { pick = i; break; }
    }
    if (pick == COPY_NONE) return;
    x->m[pick].state = r->kind == TR_DELIVER ? M_DELIVERED : M_DROPPED;
    x->m[pick].reason = r->reason;
    x->m[pick].end_ns = r->t;
}

void exp_trace(void *ud, const trace_rec_t *r)
{
    exp_t *x = ud;
    switch ((trace_kind_t)r->kind) {
    case TR_SEND: case TR_DUPLICATE:
        on_send(x, r);
        break;
    case TR_DELIVER: case TR_DROP:
        on_end(x, r);
        break;
    case TR_CRASH: case TR_RESTART: case TR_PAUSE: case TR_RESUME: case TR_JOIN: case TR_LEAVE:
    case TR_ROLE: case TR_PARTITION: case TR_HEAL: case TR_ISOLATE:
        if (x->n_e == x->cap_e) x->e = grow(x->e, &x->cap_e, sizeof *x->e, &x->oom);
        if (x->n_e < x->cap_e)
            x->e[x->n_e++] = (nev_t){r->kind, r->type, r->a, r->x, r->t};
        break;
    case TR_INVOKE:
        if (x->n_inv == x->cap_inv) x->inv = grow(x->inv, &x->cap_inv, sizeof *x->inv, &x->oom);
        if (x->n_inv < x->cap_inv) x->inv[x->n_inv++] = (inv_t){r->a, r->b};
        break;
    default:
        break;
    }
    if (x->tf) trace_file_write(x->tf, r);
    if (x->next_fn) x->next_fn(x->next_ud, r);
}

/* ---- Helpers for the writers. ------------------------------------------------------ */

typedef struct wctx {
    exp_t *x;
    sim_t *s;
    const hist_t *h;
    uint32_t *other;              /* hist_pair */
    sim_time_t *stale_ns;         /* per history event: staleness of a judged read, -1 not stale, -2 not judged */
    sim_time_t end_ns;
    char *err;
    size_t err_len;
    /* The protocol's own time series, from its summary ("series": [[t, v], ...]). */
    uint32_t n_series;
    char series_name[EXP_SERIES_MAX][128];
    const cJSON *series[EXP_SERIES_MAX];
} wctx_t;

/* The value of a series at time t: its last sample at or before t; NAN before the first. */
static double series_at(const cJSON *pts, sim_time_t t)
{
    double v = NAN;
    for (const cJSON *p = pts->child; p; p = p->next) {
        const cJSON *pt = cJSON_GetArrayItem(p, 0), *pv = cJSON_GetArrayItem(p, 1);
        if (!cJSON_IsNumber(pt) || !cJSON_IsNumber(pv) || pt->valuedouble > (double)t) break;
        v = pv->valuedouble;
    }
    return v;
}

/* Finds arrays of [t, v] pairs under v, named by their path without ".series". */
static void find_series(wctx_t *w, const cJSON *v, const char *path)
{
    char p[160];
    if (cJSON_IsArray(v) && v->child && cJSON_IsArray(v->child)) {
        if (w->n_series == EXP_SERIES_MAX) return;
        size_t len = strlen(path);
        if (len > 7 && strcmp(path + len - 7, ".series") == 0) len -= 7;
        snprintf(w->series_name[w->n_series], sizeof w->series_name[0], "%.*s", (int)len, path);
        w->series[w->n_series++] = v;
        return;
    }
    int i = 0;
    for (const cJSON *c = cJSON_IsObject(v) || cJSON_IsArray(v) ? v->child : NULL; c; c = c->next, i++) {
        if (cJSON_IsObject(v)) snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", c->string);
        else snprintf(p, sizeof p, "%s.%d", path, i);
        find_series(w, c, p);
    }
}

static FILE *open_in(wctx_t *w, const char *name)
{
    char p[EXP_PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", w->x->tmp, name);
    FILE *f = fopen(p, "w");
    if (!f) snprintf(w->err, w->err_len, "--export %s: cannot write %s: %s", w->x->dir, name, strerror(errno));
    return f;
}

static int close_in(wctx_t *w, FILE *f, const char *name)
{
    bool bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        snprintf(w->err, w->err_len, "--export %s: could not write %s completely", w->x->dir, name);
        return SIM_EIO;
    }
    return SIM_OK;
}

static const char *node_name(wctx_t *w, uint32_t n)
{
    sim_node_info_t ni;
    if (n >= sim_n_nodes(w->s)) return "?";
    sim_node_info(w->s, n, &ni);
    return ni.name;
}

/* Whether a partition (or isolation) is in force at each event, as intervals. */
typedef struct span { sim_time_t a, b; uint32_t node; } span_t;

static uint32_t partition_spans(wctx_t *w, span_t *out, uint32_t max)
{
    exp_t *x = w->x;
    uint32_t n = 0;
    sim_time_t since = -1;
    for (uint32_t i = 0; i < x->n_e; i++) {
        const nev_t *e = &x->e[i];
        if ((e->kind == TR_PARTITION || e->kind == TR_ISOLATE) && since < 0) since = e->t;
        if (e->kind == TR_HEAL && since >= 0) { if (n < max) out[n++] = (span_t){since, e->t, 0}; since = -1; }
    }
    if (since >= 0 && n < max) out[n++] = (span_t){since, w->end_ns, 0};
    return n;
}

/* Intervals each server was down (crash to restart). */
static uint32_t crash_spans(wctx_t *w, span_t *out, uint32_t max)
{
    exp_t *x = w->x;
    uint32_t n = 0;
    sim_time_t *since = malloc(((size_t)x->n_nodes + 1) * sizeof *since);
    if (!since) return 0;
    for (uint32_t i = 0; i < x->n_nodes; i++) since[i] = -1;
    for (uint32_t i = 0; i < x->n_e; i++) {
        const nev_t *e = &x->e[i];
        if (e->node >= x->n_nodes) continue;
        if (e->kind == TR_CRASH && since[e->node] < 0) since[e->node] = e->t;
        if (e->kind == TR_RESTART && since[e->node] >= 0) {
            if (n < max) out[n++] = (span_t){since[e->node], e->t, e->node};
            since[e->node] = -1;
        }
    }
    for (uint32_t i = 0; i < x->n_nodes; i++)
        if (since[i] >= 0 && n < max) out[n++] = (span_t){since[i], w->end_ns, i};
    free(since);
    return n;
}

#define SPANS_MAX 4096

static double quantile_sorted(const double *d, size_t n, double q)
{
    return n ? gsl_stats_quantile_from_sorted_data(d, 1, n, q) : NAN;
}

/* ---- The files. -------------------------------------------------------------------- */

static int write_text_file(wctx_t *w, const char *name, const char *text)
{
    FILE *f = open_in(w, name);
    if (!f) return SIM_EIO;
    fputs(text, f);
    return close_in(w, f, name);
}

static const char *outcome_of(const hist_t *h, const uint32_t *other, uint32_t i)
{
    if (other[i] == HIST_NONE) return "info";
    return hist_type_names[h->ev[other[i]].type];
}

/* A value as the CSV has it: empty for none, 7, or [1 2] for a list. */
static void value_text(const hist_t *h, const hist_event_t *e, char *buf, size_t len)
{
    if (e->vkind == HIST_V_NONE) { buf[0] = 0; return; }
    hist_format_value(h, e, buf, len);
}

static int write_ops(wctx_t *w)
{
    const hist_t *h = w->h;
    FILE *f = open_in(w, "ops.csv");
    if (!f) return SIM_EIO;
    csv_t c;
    csv_begin(&c, f);
    static const char *const cols[] = {"op", "process", "client", "server", "f", "key", "value", "invoke_ns", "complete_ns",
                                       "outcome", "latency_ns", "stale", "staleness_ns", NULL};
    csv_header(&c, cols);
    uint32_t k = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        if (e->type != HIST_INVOKE) continue;
        uint32_t j = w->other[i];
        const hist_event_t *d = j == HIST_NONE ? NULL : &h->ev[j];
        char val[256];
        /* A read's value is what it returned; a write's what it wrote. */
        value_text(h, d && d->type == HIST_OK && d->vkind != HIST_V_NONE ? d : e, val, sizeof val);
        csv_uint(&c, k);
        csv_uint(&c, e->process);
        if (k < w->x->n_inv) {
            csv_str(&c, node_name(w, w->x->inv[k].client));
            csv_str(&c, node_name(w, w->x->inv[k].server));
        } else {
            csv_empty(&c);
            csv_empty(&c);
        }
        csv_str(&c, hist_f_name(h, e));
        csv_str(&c, hist_key_name(h, e));
        csv_str(&c, val);
        csv_int(&c, e->time_ns);
        if (d) csv_int(&c, d->time_ns); else csv_empty(&c);
        csv_str(&c, outcome_of(h, w->other, i));
        if (d && d->type == HIST_OK) csv_int(&c, d->time_ns - e->time_ns); else csv_empty(&c);
        sim_time_t st = j == HIST_NONE ? -2 : w->stale_ns[j];
        if (st == -2) { csv_empty(&c); csv_empty(&c); }
        else { csv_int(&c, st >= 0); csv_int(&c, st >= 0 ? st : 0); }
        csv_end_row(&c);
        k++;
    }
    return close_in(w, f, "ops.csv");
}

static int write_messages(wctx_t *w)
{
    exp_t *x = w->x;
    FILE *f = open_in(w, "messages.csv");
    if (!f) return SIM_EIO;
    csv_t c;
    csv_begin(&c, f);
    static const char *const cols[] = {"copy", "id", "type", "from", "to", "size", "sent_ns", "arrive_ns", "outcome",
                                       "end_ns", "drop_reason", "duplicate_of", NULL};
    csv_header(&c, cols);
    for (uint32_t i = 0; i < x->n_m; i++) {
        const copy_t *m = &x->m[i];
        csv_uint(&c, i);
        csv_uint(&c, m->id);
        csv_str(&c, sim_msg_type_name(w->s, m->type));
        csv_str(&c, node_name(w, m->from));
        csv_str(&c, node_name(w, m->to));
        csv_uint(&c, m->size);
        csv_int(&c, m->sent_ns);
        csv_int(&c, m->arrive_ns);
        csv_str(&c, m->state == M_DELIVERED ? "delivered" : m->state == M_DROPPED ? "dropped" : "in_flight");
        if (m->end_ns >= 0) csv_int(&c, m->end_ns); else csv_empty(&c);
        csv_str(&c, m->state == M_DROPPED ? drop_reason_names[m->reason] : NULL);
        if (m->dup) csv_uint(&c, m->orig); else csv_empty(&c);
        csv_end_row(&c);
    }
    return close_in(w, f, "messages.csv");
}

/* How many entries a node's exported state holds under the usual names for its data. */
static int64_t keys_held(sim_t *s, uint32_t node)
{
    jw_t j;
    jw_init(&j, false);
    sim_export_node(s, node, &j);
    cJSON *o = cJSON_Parse(j.buf);
    jw_free(&j);
    int64_t n = -1;
    static const char *const names[] = {"data", "store", "kv", "keys", "values", "log", NULL};
    for (int i = 0; o && names[i] && n < 0; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, names[i]);
        if (cJSON_IsObject(v) || cJSON_IsArray(v)) n = cJSON_GetArraySize(v);
    }
    cJSON_Delete(o);
    return n;
}

static int write_nodes(wctx_t *w)
{
    exp_t *x = w->x;
    sim_t *s = w->s;
    unsigned nt = sim_n_msg_types(s);
    uint32_t nn = x->n_nodes;
    uint64_t *sent = calloc((size_t)nn * nt + 1, sizeof *sent), *recv = calloc((size_t)nn * nt + 1, sizeof *recv);
    sim_time_t *role_ns = calloc((size_t)nn * EXP_ROLES_MAX + 1, sizeof *role_ns);
    sim_time_t *down_ns = calloc(nn + 1, sizeof *down_ns), *paused_ns = calloc(nn + 1, sizeof *paused_ns);
    sim_time_t *role_since = calloc(nn + 1, sizeof *role_since), *down_since = calloc(nn + 1, sizeof *down_since);
    sim_time_t *pause_since = calloc(nn + 1, sizeof *pause_since);
    uint16_t *role = calloc(nn + 1, sizeof *role);
    uint64_t *crashes = calloc(nn + 1, sizeof *crashes), *restarts = calloc(nn + 1, sizeof *restarts);
    uint64_t *served = calloc(nn + 1, sizeof *served), *served_ok = calloc(nn + 1, sizeof *served_ok);
    bool roles_seen[EXP_ROLES_MAX] = {false};
    int rc = SIM_EIO;
    FILE *f = NULL;
    if (!sent || !recv || !role_ns || !down_ns || !paused_ns || !role_since || !down_since || !pause_since || !role ||
        !crashes || !restarts || !served || !served_ok) {
        snprintf(w->err, w->err_len, "--export %s: out of memory", x->dir);
        goto out;
    }
    for (uint32_t i = 0; i < x->n_m; i++) {
        const copy_t *m = &x->m[i];
        if (m->from < nn && m->type < nt && !m->dup) sent[(size_t)m->from * nt + m->type]++;
        if (m->to < nn && m->type < nt && m->state == M_DELIVERED) recv[(size_t)m->to * nt + m->type]++;
    }
    for (uint32_t i = 0; i < nn; i++) { down_since[i] = -1; pause_since[i] = -1; }
    roles_seen[0] = true;
    for (uint32_t i = 0; i < x->n_e; i++) {
        const nev_t *e = &x->e[i];
        uint32_t n = e->node;
        if (n >= nn) continue;
        switch (e->kind) {
        case TR_ROLE:
            if (e->role >= EXP_ROLES_MAX) break;
            role_ns[(size_t)n * EXP_ROLES_MAX + role[n]] += e->t - role_since[n];
            role[n] = e->role;
            role_since[n] = e->t;
            roles_seen[e->role] = true;
            break;
        case TR_CRASH: crashes[n]++; if (down_since[n] < 0) down_since[n] = e->t; break;
        case TR_RESTART: restarts[n]++; if (down_since[n] >= 0) { down_ns[n] += e->t - down_since[n]; down_since[n] = -1; } break;
        case TR_PAUSE: if (pause_since[n] < 0) pause_since[n] = e->t; break;
        case TR_RESUME: if (pause_since[n] >= 0) { paused_ns[n] += e->t - pause_since[n]; pause_since[n] = -1; } break;
        default: break;
        }
    }
    for (uint32_t n = 0; n < nn; n++) {
        role_ns[(size_t)n * EXP_ROLES_MAX + role[n]] += w->end_ns - role_since[n];
        if (down_since[n] >= 0) down_ns[n] += w->end_ns - down_since[n];
        if (pause_since[n] >= 0) paused_ns[n] += w->end_ns - pause_since[n];
    }
    {
        const hist_t *h = w->h;
        uint32_t k = 0;
        for (uint32_t i = 0; i < h->n_ev; i++) {
            if (h->ev[i].type != HIST_INVOKE) continue;
            if (k < x->n_inv && x->inv[k].server < nn) {
                served[x->inv[k].server]++;
                if (w->other[i] != HIST_NONE && h->ev[w->other[i]].type == HIST_OK) served_ok[x->inv[k].server]++;
            }
            k++;
        }
    }
    f = open_in(w, "nodes.csv");
    if (!f) goto out;
    csv_t c;
    csv_begin(&c, f);
    char col[128];
    csv_str(&c, "node");
    csv_str(&c, "kind");
    for (unsigned t = 0; t < nt; t++) { snprintf(col, sizeof col, "sent_%s", sim_msg_type_name(s, t)); csv_str(&c, col); }
    for (unsigned t = 0; t < nt; t++) { snprintf(col, sizeof col, "received_%s", sim_msg_type_name(s, t)); csv_str(&c, col); }
    csv_str(&c, "sent_total");
    csv_str(&c, "received_total");
    for (unsigned r = 0; r < EXP_ROLES_MAX; r++) {
        if (!roles_seen[r]) continue;
        const char *name = sim_role_name(s, r);
        snprintf(col, sizeof col, "time_%s_ns", name && *name ? name : "no_role");
        csv_str(&c, col);
    }
    static const char *const tail[] = {"time_up_ns", "time_down_ns", "time_paused_ns", "crashes", "restarts",
                                       "requests_served", "requests_ok", "durable_bytes", "keys_held", NULL};
    for (int i = 0; tail[i]; i++) csv_str(&c, tail[i]);
    csv_end_row(&c);
    const proto_t *p = sim_protocol(s);
    for (uint32_t n = 0; n < nn; n++) {
        bool server = n < x->n_servers;
        csv_str(&c, node_name(w, n));
        csv_str(&c, server ? "server" : "client");
        uint64_t ts = 0, tr = 0;
        for (unsigned t = 0; t < nt; t++) { csv_uint(&c, sent[(size_t)n * nt + t]); ts += sent[(size_t)n * nt + t]; }
        for (unsigned t = 0; t < nt; t++) { csv_uint(&c, recv[(size_t)n * nt + t]); tr += recv[(size_t)n * nt + t]; }
        csv_uint(&c, ts);
        csv_uint(&c, tr);
        for (unsigned r = 0; r < EXP_ROLES_MAX; r++) {
            if (!roles_seen[r]) continue;
            if (server) csv_int(&c, role_ns[(size_t)n * EXP_ROLES_MAX + r]); else csv_empty(&c);
        }
        csv_int(&c, w->end_ns - down_ns[n]);
        csv_int(&c, down_ns[n]);
        csv_int(&c, paused_ns[n]);
        csv_uint(&c, crashes[n]);
        csv_uint(&c, restarts[n]);
        if (server) {
            csv_uint(&c, served[n]);
            csv_uint(&c, served_ok[n]);
            csv_uint(&c, p->durable_size);
            int64_t kh = keys_held(s, n);
            if (kh >= 0) csv_int(&c, kh); else csv_empty(&c);
        } else {
            csv_empty(&c); csv_empty(&c); csv_empty(&c); csv_empty(&c);
        }
        csv_end_row(&c);
    }
    rc = close_in(w, f, "nodes.csv");
out:
    free(sent); free(recv); free(role_ns); free(down_ns); free(paused_ns); free(role_since); free(down_since);
    free(pause_since); free(role); free(crashes); free(restarts); free(served); free(served_ok);
    return rc;
}

/* timeseries.csv and the plots' data come from the same per-interval figures. */
typedef struct bucket {
    uint64_t invoked, ok, fail, info, reads, stale, sent, delivered, dropped;
    uint64_t inv_part, ok_part;
    double p50_ns, p99_ns;
    int64_t in_flight;
    bool partitioned;
    int64_t leader, term;
    uint32_t up;
} bucket_t;

static int cmp_time(const void *a, const void *b)
{
    sim_time_t x = *(const sim_time_t *)a, y = *(const sim_time_t *)b;
    return (x > y) - (x < y);
}

static bucket_t *make_buckets(wctx_t *w, uint32_t *n_out)
{
    exp_t *x = w->x;
    const hist_t *h = w->h;
    sim_time_t iv = x->interval_ns;
    uint64_t nb64 = (uint64_t)((w->end_ns + iv - 1) / iv);
    if (nb64 == 0) nb64 = 1;
    if (nb64 > EXP_INTERVALS_MAX) {
        snprintf(w->err, w->err_len, "--interval: at most %d intervals expected, this run has %" PRIu64 "; choose a longer one",
                 EXP_INTERVALS_MAX, nb64);
        return NULL;
    }
    uint32_t nb = (uint32_t)nb64;
    bucket_t *b = calloc(nb, sizeof *b);
    double **lat = calloc(nb, sizeof *lat);
    size_t *nlat = calloc(nb, sizeof *nlat), *clat = calloc(nb, sizeof *clat);
    if (!b || !lat || !nlat || !clat) { free(b); free(lat); free(nlat); free(clat); return NULL; }
#define BI(t) ((uint32_t)((t) / iv < nb ? (t) / iv : nb - 1))
    span_t parts[SPANS_MAX];
    uint32_t np = partition_spans(w, parts, SPANS_MAX);
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        if (e->type == HIST_INVOKE) {
            bucket_t *q = &b[BI(e->time_ns)];
            q->invoked++;
            bool in_part = false;
            for (uint32_t k = 0; k < np; k++) if (e->time_ns >= parts[k].a && e->time_ns < parts[k].b) in_part = true;
            if (in_part) {
                q->inv_part++;
                if (w->other[i] != HIST_NONE && h->ev[w->other[i]].type == HIST_OK) q->ok_part++;
            }
            continue;
        }
        uint32_t bi = BI(e->time_ns);
        if (e->type == HIST_OK) {
            b[bi].ok++;
            if (w->other[i] != HIST_NONE) {
                if (nlat[bi] == clat[bi]) {
                    clat[bi] = clat[bi] ? 2 * clat[bi] : 64;
                    double *nl = realloc(lat[bi], clat[bi] * sizeof *nl);
                    if (!nl) continue;
                    lat[bi] = nl;
                }
                lat[bi][nlat[bi]++] = (double)(e->time_ns - h->ev[w->other[i]].time_ns);
            }
        } else if (e->type == HIST_FAIL) b[bi].fail++;
        else b[bi].info++;
        if (w->stale_ns[i] != -2) {
            b[bi].reads++;
            if (w->stale_ns[i] >= 0) b[bi].stale++;
        }
    }
    for (uint32_t k = 0; k < nb; k++) {
        if (nlat[k]) gsl_sort(lat[k], 1, nlat[k]);
        b[k].p50_ns = quantile_sorted(lat[k], nlat[k], 0.5);
        b[k].p99_ns = quantile_sorted(lat[k], nlat[k], 0.99);
        free(lat[k]);
    }
    free(lat); free(nlat); free(clat);
    /* Messages: counts per interval, and in flight at each interval's end. */
    int64_t *delta = calloc(nb + 1, sizeof *delta);
    for (uint32_t i = 0; i < x->n_m; i++) {
        const copy_t *m = &x->m[i];
        b[BI(m->sent_ns)].sent += !m->dup;
        if (m->state == M_DELIVERED) b[BI(m->end_ns)].delivered++;
        if (m->state == M_DROPPED) b[BI(m->end_ns)].dropped++;
        if (delta) {
            /* In flight at the end of interval k: sent before it, not ended before it. */
            uint64_t first = (uint64_t)(m->sent_ns / iv);            /* ends of intervals first.. */
            uint64_t last = m->end_ns >= 0 ? (uint64_t)(m->end_ns / iv) : nb;   /* ..up to last-1 */
            if (first < nb && first < last) { delta[first]++; delta[last < nb ? last : nb]--; }
        }
    }
    int64_t run = 0;
    for (uint32_t k = 0; k < nb; k++) { run += delta ? delta[k] : 0; b[k].in_flight = run; }
    free(delta);
    /* Partitions, servers up and the leader at each interval's end. */
    int64_t leader = -1, term = 0;
    uint32_t up = x->n_servers;
    bool *down = calloc(x->n_nodes + 1, 1);
    uint16_t *role = calloc(x->n_nodes + 1, sizeof *role);
    int64_t *nterm = calloc(x->n_nodes + 1, sizeof *nterm);
    uint32_t ei = 0;
    for (uint32_t k = 0; k < nb; k++) {
        sim_time_t t_end = (sim_time_t)(k + 1) * iv;
        for (; ei < x->n_e && x->e[ei].t < t_end; ei++) {
            const nev_t *e = &x->e[ei];
            if (e->node >= x->n_nodes || !down || !role || !nterm) continue;
            if (e->kind == TR_CRASH && e->node < x->n_servers && !down[e->node]) { down[e->node] = true; up--; }
            if (e->kind == TR_RESTART && e->node < x->n_servers && down[e->node]) { down[e->node] = false; up++; }
            if (e->kind == TR_ROLE) { role[e->node] = e->role; nterm[e->node] = e->term; }
        }
        /* The leader: a leading server that is up, the one with the highest term when
         * two think they lead (the old one has not heard yet). */
        leader = -1;
        term = 0;
        for (uint32_t n = 0; n < x->n_servers && role && down && nterm; n++)
            if (!down[n] && sim_role_class(w->s, role[n]) == SIM_ROLE_CLASS_LEADING && (leader < 0 || nterm[n] > term)) {
                leader = n;
                term = nterm[n];
            }
        b[k].leader = leader;
        b[k].term = term;
        b[k].up = up;
        sim_time_t a0 = (sim_time_t)k * iv;
        for (uint32_t p = 0; p < np; p++) if (parts[p].a < t_end && parts[p].b > a0) b[k].partitioned = true;
    }
    free(down);
    free(role);
    free(nterm);
#undef BI
    *n_out = nb;
    return b;
}

static int write_timeseries(wctx_t *w, const bucket_t *b, uint32_t nb)
{
    FILE *f = open_in(w, "timeseries.csv");
    if (!f) return SIM_EIO;
    csv_t c;
    csv_begin(&c, f);
    static const char *const cols[] = {"t_start_ns", "t_end_ns", "invoked", "ok", "fail", "info", "throughput_ok_per_s",
                                       "latency_p50_ns", "latency_p99_ns", "reads_judged", "stale_reads", "messages_sent",
                                       "messages_delivered", "messages_dropped", "in_flight", "partitioned",
                                       "invoked_during_partition", "ok_during_partition", "availability", "servers_up",
                                       "leader", "term", NULL};
    for (int i = 0; cols[i]; i++) csv_str(&c, cols[i]);
    for (uint32_t i = 0; i < w->n_series; i++) csv_str(&c, w->series_name[i]);
    bool keys = w->x->any_keys && w->x->n_samples;
    char kcol[SIM_NAME_MAX + 8];
    for (uint32_t n = 0; keys && n < w->x->n_servers; n++) { snprintf(kcol, sizeof kcol, "keys_%s", node_name(w, n)); csv_str(&c, kcol); }
    csv_end_row(&c);
    sim_time_t iv = w->x->interval_ns;
    for (uint32_t k = 0; k < nb; k++) {
        const bucket_t *q = &b[k];
        sim_time_t a = (sim_time_t)k * iv, e = a + iv < w->end_ns ? a + iv : w->end_ns;
        csv_int(&c, a);
        csv_int(&c, e);
        csv_uint(&c, q->invoked);
        csv_uint(&c, q->ok);
        csv_uint(&c, q->fail);
        csv_uint(&c, q->info);
        csv_real(&c, e > a ? (double)q->ok * 1e9 / (double)(e - a) : 0.0);
        if (q->ok) { csv_int(&c, (int64_t)(q->p50_ns + 0.5)); csv_int(&c, (int64_t)(q->p99_ns + 0.5)); }
        else { csv_empty(&c); csv_empty(&c); }
        csv_uint(&c, q->reads);
        csv_uint(&c, q->stale);
        csv_uint(&c, q->sent);
        csv_uint(&c, q->delivered);
        csv_uint(&c, q->dropped);
        csv_int(&c, q->in_flight);
        csv_int(&c, q->partitioned);
        csv_uint(&c, q->inv_part);
        csv_uint(&c, q->ok_part);
        if (q->inv_part) csv_real(&c, (double)q->ok_part / (double)q->inv_part); else csv_empty(&c);
        csv_uint(&c, q->up);
        csv_str(&c, q->leader >= 0 ? node_name(w, (uint32_t)q->leader) : NULL);
        if (q->leader >= 0) csv_int(&c, q->term); else csv_empty(&c);
        for (uint32_t i = 0; i < w->n_series; i++) csv_real(&c, series_at(w->series[i], e));
        for (uint32_t n = 0; keys && n < w->x->n_servers; n++) {
            int64_t v = k < w->x->n_samples ? w->x->keys[(size_t)k * w->x->n_servers + n] : -1;
            if (v >= 0) csv_int(&c, v); else csv_empty(&c);
        }
        csv_end_row(&c);
    }
    return close_in(w, f, "timeseries.csv");
}

/* ---- lamport.svg: the space-time diagram, quiet stretches folded. ------------------ */

#define LAMPORT_COL_PX 90
#define LAMPORT_TOP_PX 60
#define LAMPORT_HEIGHT_PX_MAX 30000.0
#define LAMPORT_FOLD_PX 14.0       /* a folded stretch, drawn as a zigzag band */

/* Times of events, sorted and deduplicated, each with its y: gaps longer than the
 * fold threshold are drawn as LAMPORT_FOLD_PX, others to scale. */
typedef struct tmap { sim_time_t *t; double *y; uint32_t n; sim_time_t gap_ns; double px_per_ns; } tmap_t;

static double tmap_y(const tmap_t *m, sim_time_t t)
{
    if (!m->n) return LAMPORT_TOP_PX;
    uint32_t a = 0, b = m->n;
    while (a < b) { uint32_t mid = a + (b - a) / 2; if (m->t[mid] <= t) a = mid + 1; else b = mid; }
    if (a == 0) return m->y[0];
    uint32_t i = a - 1;
    sim_time_t dt = t - m->t[i];
    if (i + 1 < m->n && m->t[i + 1] - m->t[i] > m->gap_ns) {
        double frac = (double)dt / (double)(m->t[i + 1] - m->t[i]);
        return m->y[i] + frac * (m->y[i + 1] - m->y[i]);
    }
    return m->y[i] + (double)dt * m->px_per_ns;
}

static const char *const type_colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                                           "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

static int write_lamport(wctx_t *w)
{
    exp_t *x = w->x;
    uint32_t nt = 0;
    sim_time_t *ts = malloc(((size_t)x->n_m * 2 + x->n_e + 2) * sizeof *ts);
    if (!ts) { snprintf(w->err, w->err_len, "--export %s: out of memory", x->dir); return SIM_EIO; }
    ts[nt++] = 0;
    ts[nt++] = w->end_ns;
    for (uint32_t i = 0; i < x->n_m; i++) {
        ts[nt++] = x->m[i].sent_ns;
        if (x->m[i].end_ns >= 0) ts[nt++] = x->m[i].end_ns;
    }
    for (uint32_t i = 0; i < x->n_e; i++) ts[nt++] = x->e[i].t;
    qsort(ts, nt, sizeof *ts, cmp_time);
    uint32_t u = 0;
    for (uint32_t i = 0; i < nt; i++) if (!u || ts[i] != ts[u - 1]) ts[u++] = ts[i];
    /* A gap is quiet when it is longer than 20 times the median gap (at least 1ms). */
    sim_time_t *gaps = malloc(((size_t)u + 1) * sizeof *gaps);
    uint32_t ng = 0;
    for (uint32_t i = 1; gaps && i < u; i++) gaps[ng++] = ts[i] - ts[i - 1];
    sim_time_t med = 0;
    if (ng) { qsort(gaps, ng, sizeof *gaps, cmp_time); med = gaps[ng / 2]; }
    free(gaps);
    tmap_t m = {ts, malloc(((size_t)u + 1) * sizeof(double)), u, med * 20 > SIM_MS ? med * 20 : SIM_MS, 0};
    if (!m.y) { free(ts); return SIM_EIO; }
    double active_ns = 0;
    uint32_t folds = 0;
    for (uint32_t i = 1; i < u; i++) {
        if (ts[i] - ts[i - 1] > m.gap_ns) folds++;
        else active_ns += (double)(ts[i] - ts[i - 1]);
    }
    /* About 12 px per distinct event time, within bounds, shared by the active time. */
    double target = 12.0 * u;
    if (target < 600) target = 600;
    if (target > LAMPORT_HEIGHT_PX_MAX) target = LAMPORT_HEIGHT_PX_MAX;
    double avail = target - folds * LAMPORT_FOLD_PX;
    if (avail < 400) avail = 400;
    m.px_per_ns = active_ns > 0 ? avail / active_ns : 1.0;
    double y = LAMPORT_TOP_PX;
    for (uint32_t i = 0; i < u; i++) {
        if (i) y += ts[i] - ts[i - 1] > m.gap_ns ? LAMPORT_FOLD_PX : (double)(ts[i] - ts[i - 1]) * m.px_per_ns;
        m.y[i] = y;
    }
    double height = y + 40, width = 120 + (double)x->n_nodes * LAMPORT_COL_PX + 200;
    FILE *f = open_in(w, "lamport.svg");
    if (!f) { free(ts); free(m.y); return SIM_EIO; }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
               "font-family=\"DejaVu Sans, sans-serif\" font-size=\"11\">\n", width, height, width, height);
    fprintf(f, "<title>%s: space-time diagram, seed %" PRIu64 "</title>\n", sim_scenario(w->s)->name, sim_seed(w->s));
    fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
#define COLX(n) (100.0 + (double)(n) * LAMPORT_COL_PX)
    /* Faults first, underneath: partitions as a band across, crashes on the node's line. */
    span_t sp[SPANS_MAX];
    uint32_t np = partition_spans(w, sp, SPANS_MAX);
    for (uint32_t i = 0; i < np; i++)
        fprintf(f, "<rect class=\"partition\" x=\"60\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"#f4d03f\" fill-opacity=\"0.25\"/>\n",
                tmap_y(&m, sp[i].a), width - 60, tmap_y(&m, sp[i].b) - tmap_y(&m, sp[i].a));
    np = crash_spans(w, sp, SPANS_MAX);
    for (uint32_t i = 0; i < np; i++)
        fprintf(f, "<rect class=\"crash\" x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"%.1f\" fill=\"#888\" fill-opacity=\"0.35\"/>\n",
                COLX(sp[i].node) - 12, tmap_y(&m, sp[i].a), tmap_y(&m, sp[i].b) - tmap_y(&m, sp[i].a));
    /* Folded stretches: a light band with the time skipped. */
    for (uint32_t i = 1; i < u; i++) {
        if (ts[i] - ts[i - 1] <= m.gap_ns) continue;
        char d[32];
        fprintf(f, "<g class=\"fold\"><rect x=\"60\" y=\"%.1f\" width=\"%.0f\" height=\"%.1f\" fill=\"#eef\"/>"
                   "<text x=\"4\" y=\"%.1f\" fill=\"#669\" font-size=\"9\">+%s</text></g>\n",
                m.y[i - 1], width - 60, m.y[i] - m.y[i - 1], m.y[i] - 3,
                sim_format_duration_short(ts[i] - ts[i - 1], d, sizeof d));
    }
    for (uint32_t n = 0; n < x->n_nodes; n++) {
        fprintf(f, "<text x=\"%.1f\" y=\"30\" text-anchor=\"middle\" font-weight=\"bold\">%s</text>\n", COLX(n), node_name(w, n));
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1\"/>\n", COLX(n),
                LAMPORT_TOP_PX - 10, COLX(n), y + 10, n < x->n_servers ? "#333" : "#999");
    }
    /* Time labels every so often on the left. */
    double last_label = -1e9;
    for (uint32_t i = 0; i < u; i++) {
        if (m.y[i] - last_label < 60) continue;
        char d[32];
        fprintf(f, "<text x=\"56\" y=\"%.1f\" text-anchor=\"end\" fill=\"#555\" font-size=\"9\">%s</text>\n", m.y[i] + 3,
                sim_format_duration_short(ts[i], d, sizeof d));
        last_label = m.y[i];
    }
    /* Messages, one line each: solid when delivered, dashed and crossed when dropped. */
    for (uint32_t i = 0; i < x->n_m; i++) {
        const copy_t *c = &x->m[i];
        if (c->from >= x->n_nodes || c->to >= x->n_nodes) continue;
        sim_time_t end = c->end_ns >= 0 ? c->end_ns : w->end_ns;
        double x1 = COLX(c->from), y1 = tmap_y(&m, c->sent_ns), x2 = COLX(c->to), y2 = tmap_y(&m, end);
        if (c->state == M_DROPPED) { x2 = x1 + (x2 - x1) * 0.5; }
        const char *col = type_colours[c->type % (sizeof type_colours / sizeof type_colours[0])];
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"0.8\"%s/>\n", x1, y1, x2, y2,
                col, c->state == M_DELIVERED ? "" : " stroke-dasharray=\"3,2\"");
        if (c->state == M_DROPPED)
            fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#c00\" text-anchor=\"middle\" font-size=\"9\">x</text>\n", x2, y2 + 3);
    }
    /* Legend: message types and faults. */
    double lx = 110 + (double)x->n_nodes * LAMPORT_COL_PX, ly = 50;
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-weight=\"bold\">messages</text>\n", lx, ly);
    for (unsigned t = 0; t < sim_n_msg_types(w->s); t++) {
        ly += 16;
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\"/>"
                   "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx, ly - 4, lx + 20, ly - 4,
                type_colours[t % (sizeof type_colours / sizeof type_colours[0])], lx + 26, ly, sim_msg_type_name(w->s, t));
    }
    ly += 24;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"10\" fill=\"#f4d03f\" fill-opacity=\"0.25\"/><text x=\"%.1f\" y=\"%.1f\">partition</text>\n",
            lx, ly - 9, lx + 26, ly);
    ly += 16;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"10\" fill=\"#888\" fill-opacity=\"0.35\"/><text x=\"%.1f\" y=\"%.1f\">crashed</text>\n",
            lx, ly - 9, lx + 26, ly);
    ly += 16;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"20\" height=\"10\" fill=\"#eef\"/><text x=\"%.1f\" y=\"%.1f\">quiet, folded</text>\n",
            lx, ly - 9, lx + 26, ly);
    ly += 16;
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">dashed: dropped (x)</text>\n", lx, ly);
#undef COLX
    fprintf(f, "</svg>\n");
    free(ts);
    free(m.y);
    return close_in(w, f, "lamport.svg");
}

/* ---- shiviz.log: vector clocks, for ShiViz. ---------------------------------------- */

static void vc_print(FILE *f, wctx_t *w, const uint32_t *vc, uint32_t self)
{
    fprintf(f, "%s {", node_name(w, self));
    bool first = true;
    /* Own entry first, as ShiViz's examples have it; then the others that are set. */
    fprintf(f, "\"%s\":%u", node_name(w, self), vc[self]);
    first = false;
    for (uint32_t n = 0; n < w->x->n_nodes; n++) {
        if (n == self || !vc[n]) continue;
        fprintf(f, "%s\"%s\":%u", first ? "" : ", ", node_name(w, n), vc[n]);
    }
    fprintf(f, "}\n");
}

typedef struct sev { sim_time_t t; uint32_t seq; uint32_t copy; uint8_t what; } sev_t;   /* 0 send, 1 deliver, 2 node event */

static int cmp_sev(const void *a, const void *b)
{
    const sev_t *x = a, *y = b;
    if (x->t != y->t) return (x->t > y->t) - (x->t < y->t);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static int write_shiviz(wctx_t *w)
{
    exp_t *x = w->x;
    FILE *f = open_in(w, "shiviz.log");
    if (!f) return SIM_EIO;
    if (x->n_nodes > EXP_SHIVIZ_NODES_MAX) {
        fprintf(f, "(?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})\n\n");
        return close_in(w, f, "shiviz.log");
    }
    uint32_t n = x->n_nodes;
    /* Events in the order they happened: sends and ends at their times; at one time a
     * send comes before a delivery of the same copy because its sequence is lower. */
    size_t ne = (size_t)x->n_m * 2 + x->n_e;
    sev_t *ev = malloc((ne + 1) * sizeof *ev);
    uint32_t *vc = calloc((size_t)n * n + 1, sizeof *vc);
    uint32_t *msg_vc = malloc(((size_t)x->n_m + 1) * n * sizeof *msg_vc);
    if (!ev || !vc || !msg_vc) {
        free(ev); free(vc); free(msg_vc); fclose(f);
        snprintf(w->err, w->err_len, "--export %s: out of memory for shiviz.log", x->dir);
        return SIM_EIO;
    }
    size_t k = 0;
    uint32_t seq = 0;
    /* Sequence: records in trace order would be best; sends in copy order, ends after
     * all sends at the same time, node events last at a time. */
    for (uint32_t i = 0; i < x->n_m; i++) ev[k++] = (sev_t){x->m[i].sent_ns, seq++, i, 0};
    for (uint32_t i = 0; i < x->n_m; i++)
        if (x->m[i].state == M_DELIVERED) ev[k++] = (sev_t){x->m[i].end_ns, seq++, i, 1};
    for (uint32_t i = 0; i < x->n_e; i++)
        if (x->e[i].kind == TR_CRASH || x->e[i].kind == TR_RESTART) ev[k++] = (sev_t){x->e[i].t, seq++, i, 2};
    qsort(ev, k, sizeof *ev, cmp_sev);
    fprintf(f, "(?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})\n\n");
    char d[32];
    for (size_t i = 0; i < k; i++) {
        const sev_t *e = &ev[i];
        if (e->what == 0) {
            const copy_t *c = &x->m[e->copy];
            if (c->from >= n) continue;
            uint32_t *me = vc + (size_t)c->from * n;
            me[c->from]++;
            memcpy(msg_vc + (size_t)e->copy * n, me, n * sizeof *me);
            fprintf(f, "%s %s to %s (message %" PRIu64 "%s) at %s\n", c->dup ? "duplicate" : "send", sim_msg_type_name(w->s, c->type),
                    node_name(w, c->to), c->id, c->dup ? ", a copy" : "", sim_format_duration(c->sent_ns, d, sizeof d));
            vc_print(f, w, me, c->from);
        } else if (e->what == 1) {
            const copy_t *c = &x->m[e->copy];
            if (c->to >= n) continue;
            uint32_t *me = vc + (size_t)c->to * n;
            const uint32_t *mv = msg_vc + (size_t)e->copy * n;
            for (uint32_t j = 0; j < n; j++) if (mv[j] > me[j]) me[j] = mv[j];
            me[c->to]++;
            fprintf(f, "receive %s from %s (message %" PRIu64 ") at %s\n", sim_msg_type_name(w->s, c->type), node_name(w, c->from),
                    c->id, sim_format_duration(c->end_ns, d, sizeof d));
            vc_print(f, w, me, c->to);
        } else {
            const nev_t *ne2 = &x->e[e->copy];
            if (ne2->node >= n) continue;
            uint32_t *me = vc + (size_t)ne2->node * n;
            me[ne2->node]++;
            fprintf(f, "%s at %s\n", ne2->kind == TR_CRASH ? "crash" : "restart", sim_format_duration(ne2->t, d, sizeof d));
            vc_print(f, w, me, ne2->node);
        }
    }
    free(ev);
    free(vc);
    free(msg_vc);
    return close_in(w, f, "shiviz.log");
}

/* ---- history.edn: Jepsen's format. ------------------------------------------------- */

static void edn_value(FILE *f, const hist_t *h, const hist_event_t *e)
{
    const int64_t *v = hist_vals(h, e);
    switch ((hist_vkind_t)e->vkind) {
    case HIST_V_NONE: fputs("nil", f); break;
    case HIST_V_INT: fprintf(f, "%" PRId64, v[0]); break;
    case HIST_V_LIST:
        fputc('[', f);
        for (uint32_t i = 0; i < e->n; i++) fprintf(f, "%s%" PRId64, i ? " " : "", v[i]);
        fputc(']', f);
        break;
    case HIST_V_STR: {
        fputc('"', f);
        for (const char *p = h->strs[v[0]]; *p; p++) { if (*p == '"' || *p == '\\') fputc('\\', f); fputc(*p, f); }
        fputc('"', f);
        break;
    }
    }
}

static int write_edn(wctx_t *w)
{
    const hist_t *h = w->h;
    FILE *f = open_in(w, "history.edn");
    if (!f) return SIM_EIO;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        fprintf(f, "{:type :%s, :f :%s, ", hist_type_names[e->type], hist_f_name(h, e));
        const char *key = hist_key_name(h, e);
        if (key) {
            fputs(":key \"", f);
            for (const char *p = key; *p; p++) { if (*p == '"' || *p == '\\') fputc('\\', f); fputc(*p, f); }
            fputs("\", ", f);
        }
        fputs(":value ", f);
        edn_value(f, h, e);
        fprintf(f, ", :process %u, :time %" PRId64 ", :index %u}\n", e->process, e->time_ns, i);
    }
    return close_in(w, f, "history.edn");
}

/* ---- Plots. ------------------------------------------------------------------------ */

static void shade_faults(wctx_t *w, FILE *g)
{
    span_t sp[SPANS_MAX];
    uint32_t np = partition_spans(w, sp, SPANS_MAX);
    fprintf(g, "\n# Faults, shaded: partitions yellow, crashed servers grey.\n");
    for (uint32_t i = 0; i < np; i++)
        fprintf(g, "set object rect from %.9g, graph 0 to %.9g, graph 1 fc rgb \"#f4d03f\" fs transparent solid 0.3 noborder behind\n",
                (double)sp[i].a / 1e9, (double)sp[i].b / 1e9);
    uint32_t nc = crash_spans(w, sp, SPANS_MAX);
    for (uint32_t i = 0; i < nc; i++)
        fprintf(g, "set object rect from %.9g, graph 0 to %.9g, graph 1 fc rgb \"#888888\" fs transparent solid 0.2 noborder behind\n",
                (double)sp[i].a / 1e9, (double)sp[i].b / 1e9);
    fprintf(g, "set xrange [0:%.9g]\n", (double)w->end_ns / 1e9);
}

/* A plot with nothing to draw still gets its picture, saying so: gnuplot refuses to plot
 * a file without a valid point, so the script plots a constant above its y range. */
static void empty_plot(FILE *g, const char *name, const char *why)
{
    fprintf(g, "set label 1 \"%s\" at graph 0.5, graph 0.5 center\nset yrange [0:1]\n", why);
    plot_script_begin_plot(g, name);
    fprintf(g, "    plot 2 notitle\n");
}

static const char *fault_keys =
    "        keyentry with boxes fc rgb \"#f4d03f\" fs transparent solid 0.3 noborder title \"partition\", \\\n"
    "        keyentry with boxes fc rgb \"#888888\" fs transparent solid 0.2 noborder title \"server down\"\n";

static int write_plots(wctx_t *w, const bucket_t *b, uint32_t nb, const char *pdir, int *n_scripts)
{
    const hist_t *h = w->h;
    char p[EXP_PATH_MAX];
    const char *sc = sim_scenario(w->s)->name;
    char title[256];
    *n_scripts = 0;
    /* 1. Latency of every ok operation over time. */
    snprintf(p, sizeof p, "%s/latency.dat", pdir);
    FILE *d = fopen(p, "w");
    if (!d) goto io;
    fprintf(d, "# complete_s latency_ms f\n");
    double *lat = malloc(((size_t)h->n_ev + 1) * sizeof *lat);
    size_t nl = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        if (e->type != HIST_OK || w->other[i] == HIST_NONE) continue;
        double l = (double)(e->time_ns - h->ev[w->other[i]].time_ns) / 1e6;
        fprintf(d, "%.9g %.9g %s\n", (double)e->time_ns / 1e9, l, hist_f_name(h, e));
        if (lat) lat[nl++] = l;
    }
    if (fclose(d) != 0) { free(lat); goto io; }
    snprintf(title, sizeof title, "%s: latency of each ok operation", sc);
    FILE *g = plot_script_open(pdir, "latency", "the latency of every ok operation over time, faults shaded", title,
                               "time (s)", "latency (ms)");
    if (!g) { free(lat); goto io; }
    shade_faults(w, g);
    if (!nl) {
        empty_plot(g, "latency", "no operation completed ok in this run");
    } else {
        plot_script_begin_plot(g, "latency");
        fprintf(g, "    plot \"latency.dat\" using 1:2 with points pt 7 ps 0.3 lc rgb \"#1f77b4\" title \"ok operation\", \\\n%s", fault_keys);
    }
    if (plot_script_end(g) != SIM_OK) { free(lat); goto io; }
    (*n_scripts)++;
    /* 2. Latency quantiles. */
    snprintf(p, sizeof p, "%s/latency_quantiles.dat", pdir);
    d = fopen(p, "w");
    if (!d) { free(lat); goto io; }
    fprintf(d, "# quantile_percent latency_ms\n");
    if (nl) {
        gsl_sort(lat, 1, nl);
        for (int q = 0; q <= 200; q++) {
            double qq = q / 200.0;
            fprintf(d, "%.9g %.9g\n", qq * 100, gsl_stats_quantile_from_sorted_data(lat, 1, nl, qq));
        }
        fprintf(d, "%.9g %.9g\n", 99.9, gsl_stats_quantile_from_sorted_data(lat, 1, nl, 0.999));
    }
    free(lat);
    if (fclose(d) != 0) goto io;
    snprintf(title, sizeof title, "%s: latency quantiles of ok operations", sc);
    g = plot_script_open(pdir, "latency_quantiles", "the latency below which each fraction of ok operations completed",
                         title, "quantile (%)", "latency (ms)");
    if (!g) goto io;
    fprintf(g, "set xrange [0:100]\nset xtics 10\n");
    if (!nl) {
        empty_plot(g, "latency_quantiles", "no operation completed ok in this run");
    } else {
        plot_script_begin_plot(g, "latency_quantiles");
        fprintf(g, "    plot \"latency_quantiles.dat\" using 1:2 with linespoints pt 7 ps 0.4 lw 2 lc rgb \"#1f77b4\" title \"latency\"\n");
    }
    if (plot_script_end(g) != SIM_OK) goto io;
    (*n_scripts)++;
    /* 3. Throughput per interval, by outcome. */
    snprintf(p, sizeof p, "%s/throughput.dat", pdir);
    d = fopen(p, "w");
    if (!d) goto io;
    fprintf(d, "# t_s ok_per_s fail_per_s info_per_s\n");
    double ivs = (double)w->x->interval_ns / 1e9;
    for (uint32_t k = 0; k < nb; k++)
        fprintf(d, "%.9g %.9g %.9g %.9g\n", ((double)k + 0.5) * ivs, (double)b[k].ok / ivs, (double)b[k].fail / ivs,
                (double)b[k].info / ivs);
    if (fclose(d) != 0) goto io;
    snprintf(title, sizeof title, "%s: operations completed per second", sc);
    g = plot_script_open(pdir, "throughput", "operations completed per second in each interval, by outcome, faults shaded",
                         title, "time (s)", "operations per second");
    if (!g) goto io;
    shade_faults(w, g);
    plot_script_begin_plot(g, "throughput");
    fprintf(g, "    plot \"throughput.dat\" using 1:2 with lines lw 2 lc rgb \"#2ca02c\" title \"ok\", \\\n"
               "        \"\" using 1:3 with lines lw 2 lc rgb \"#d62728\" title \"fail\", \\\n"
               "        \"\" using 1:4 with lines lw 2 lc rgb \"#ff7f0e\" title \"info (unknown)\", \\\n%s", fault_keys);
    if (plot_script_end(g) != SIM_OK) goto io;
    (*n_scripts)++;
    /* 4. The protocol's key series: its own series when its summary has some (a
     *    stream's consumer lag), else the leader if it has one, else stale reads,
     *    else messages in flight. */
    bool own = w->n_series > 0, leaders = false, reads = false;
    for (uint32_t k = 0; k < nb; k++) { leaders |= b[k].leader >= 0; reads |= b[k].reads > 0; }
    snprintf(p, sizeof p, "%s/protocol_series.dat", pdir);
    d = fopen(p, "w");
    if (!d) goto io;
    const char *what, *ylabel, *kind;
    if (own) {
        for (uint32_t i = 0; i < w->n_series; i++) {
            fprintf(d, "%s# %s\n# t_s value\n", i ? "\n\n" : "", w->series_name[i]);
            for (const cJSON *pt = w->series[i]->child; pt; pt = pt->next) {
                const cJSON *t = cJSON_GetArrayItem(pt, 0), *v = cJSON_GetArrayItem(pt, 1);
                if (cJSON_IsNumber(t) && cJSON_IsNumber(v)) fprintf(d, "%.9g %.9g\n", t->valuedouble / 1e9, v->valuedouble);
            }
        }
        what = "the protocol's own time series, as its summary reports them: one block per series";
        ylabel = "value";
        kind = "the protocol's own series";
    } else if (leaders) {
        fprintf(d, "# t_s leader_server term\n");
        for (uint32_t k = 0; k < nb; k++)
            fprintf(d, "%.9g %lld %lld\n", (double)(k + 1) * ivs, (long long)(b[k].leader + 1), (long long)b[k].term);
        what = "the leader (server number, 0 for none) and its term at the end of each interval";
        ylabel = "leader (server number; 0: none)";
        kind = "leader over time";
    } else if (reads) {
        fprintf(d, "# t_s stale_fraction reads\n");
        for (uint32_t k = 0; k < nb; k++) {
            if (b[k].reads) fprintf(d, "%.9g %.9g %llu\n", ((double)k + 0.5) * ivs, (double)b[k].stale / (double)b[k].reads, (unsigned long long)b[k].reads);
            else fprintf(d, "%.9g ? 0\n", ((double)k + 0.5) * ivs);
        }
        what = "the fraction of register reads in each interval that were stale";
        ylabel = "stale reads (fraction)";
        kind = "stale reads over time";
    } else {
        fprintf(d, "# t_s in_flight sent\n");
        for (uint32_t k = 0; k < nb; k++) fprintf(d, "%.9g %lld %llu\n", (double)(k + 1) * ivs, (long long)b[k].in_flight, (unsigned long long)b[k].sent);
        what = "messages in flight at the end of each interval";
        ylabel = "messages in flight";
        kind = "messages in flight";
    }
    if (fclose(d) != 0) goto io;
    snprintf(title, sizeof title, "%s: %s", sc, kind);
    g = plot_script_open(pdir, "protocol_series", what, title, "time (s)", ylabel);
    if (!g) goto io;
    shade_faults(w, g);
    if (own) {
        plot_script_begin_plot(g, "protocol_series");
        fprintf(g, "    plot ");
        for (uint32_t i = 0; i < w->n_series; i++)
            fprintf(g, "%s\"protocol_series.dat\" index %u using 1:2 with steps lw 2 title \"%s\"", i ? ", \\\n         " : "", i,
                    w->series_name[i]);
        fprintf(g, ", \\\n%s", fault_keys);
    } else if (leaders) {
        int64_t tmax = 0;
        for (uint32_t k = 0; k < nb; k++) if (b[k].term > tmax) tmax = b[k].term;
        fprintf(g, "set ytics 1\nset yrange [-0.5:%u.5]\nset y2label \"term\"\nset y2range [0:%lld]\nset y2tics 1\n",
                w->x->n_servers, (long long)tmax + 1);
        plot_script_begin_plot(g, "protocol_series");
        fprintf(g, "    plot \"protocol_series.dat\" using 1:2 with steps lw 2 lc rgb \"#9467bd\" title \"leader\", \\\n"
                   "        \"\" using 1:3 axes x1y2 with steps lw 1 dt 2 lc rgb \"#555555\" title \"term\", \\\n%s", fault_keys);
    } else {
        if (reads) fprintf(g, "set yrange [0:*]\n");
        plot_script_begin_plot(g, "protocol_series");
        fprintf(g, "    plot \"protocol_series.dat\" using 1:2 with %s lw 2 lc rgb \"#9467bd\" title \"%s\", \\\n%s",
                reads ? "linespoints pt 7 ps 0.4" : "lines", reads ? "stale fraction" : "in flight", fault_keys);
    }
    if (plot_script_end(g) != SIM_OK) goto io;
    (*n_scripts)++;
    return SIM_OK;
io:
    snprintf(w->err, w->err_len, "--export %s: cannot write the plots: %s", w->x->dir, strerror(errno));
    return SIM_EIO;
}

/* ---- README.md: what every file and column is. ------------------------------------- */

static const char readme_body[] =
"Every time is simulated time in nanoseconds (columns ending in `_ns`) unless the name says\n"
"otherwise (`_s`, `_ms`). The same scenario, seed and dsim build give the same bundle, byte for\n"
"byte, except `wall_seconds` in `summary.json`, the one figure measured on the wall clock.\n"
"CSV files are RFC 4180: one header row, comma-separated, a field quoted only when it holds a\n"
"comma or a quote; an empty field means \"does not apply\".\n"
"\n"
"## Files\n"
"\n"
"| file | what it is |\n"
"|---|---|\n"
"| `summary.json` | the run's summary, exactly what `dsim run --json` prints |\n"
"| `ops.csv` | the clients' history: one row per operation |\n"
"| `messages.csv` | one row per message copy put on the network |\n"
"| `nodes.csv` | one row per node (servers, then clients) |\n"
"| `timeseries.csv` | one row per interval of simulated time |\n"
"| `lamport.svg` | the space-time diagram of the whole run: one line per message, coloured by type, dropped ones dashed and crossed; partitions shaded yellow, crashed servers grey; stretches where nothing happened are folded into a thin band labelled with the time skipped |\n"
"| `shiviz.log` | every send, receive, crash and restart with vector clocks, for ShiViz (https://bestchai.bitbucket.io/shiviz/): paste the file, its first line is the parser's regular expression (for runs of more than 256 nodes it holds only that line: vector clocks that wide cannot be read) |\n"
"| `history.edn` | the history in Jepsen's EDN format, one map per line, for Knossos, Elle or `dsim check` |\n"
"| `trace.jsonl` | every event as one JSON line, as `dsim run --trace` writes it (only with `--export-trace`) |\n"
"| `plots/` | each plot as data (`.dat`), an editable gnuplot script (`.gp`) and the SVG and PNG it draws |\n"
"| `.dsim-export` | marks this folder as a bundle, so the next `--export` to it may replace it |\n"
"\n"
"## ops.csv\n"
"\n"
"| column | meaning |\n"
"|---|---|\n"
"| `op` | the operation's number, in invocation order, from 0 |\n"
"| `process` | the history's process (a client slot; after an unknown outcome the slot continues as a new process, as in Jepsen) |\n"
"| `client` | the client node that invoked it |\n"
"| `server` | the server it first sent the request to |\n"
"| `f` | the function: read, write, cas, ... |\n"
"| `key` | the key, empty when the operation has none |\n"
"| `value` | what a write wrote, what an ok read returned (a list as `[1, 2]`); empty for none |\n"
"| `invoke_ns` | when it was invoked |\n"
"| `complete_ns` | when it completed (ok, fail or info) |\n"
"| `outcome` | `ok` it happened, `fail` it did not, `info` unknown (a timeout, or still running at the end) |\n"
"| `latency_ns` | `complete_ns - invoke_ns` for ok operations |\n"
"| `stale` | for register reads: 1 when the read missed a newer write that was acknowledged before the read began, else 0; empty for other operations |\n"
"| `staleness_ns` | for a stale read, how long before the read that newer write was acknowledged |\n"
"\n"
"## messages.csv\n"
"\n"
"The rows add up to the summary's `messages.sent + messages.duplicated`.\n"
"\n"
"| column | meaning |\n"
"|---|---|\n"
"| `copy` | the row's number, from 0 |\n"
"| `id` | the message id (a network duplicate has the same id as its original) |\n"
"| `type` | the protocol's message type |\n"
"| `from`, `to` | sender and destination nodes |\n"
"| `size` | bytes on the wire |\n"
"| `sent_ns` | when it was sent |\n"
"| `arrive_ns` | when the network meant it to arrive |\n"
"| `outcome` | `delivered`, `dropped`, or `in_flight` when the run ended first |\n"
"| `end_ns` | when it was delivered or dropped |\n"
"| `drop_reason` | `loss`, `partition`, `crash` (the destination was down), `unreachable` (no link), `user` (dropped by hand) |\n"
"| `duplicate_of` | for a copy the network duplicated, the `copy` number of the original |\n"
"\n"
"## nodes.csv\n"
"\n"
"| column | meaning |\n"
"|---|---|\n"
"| `node`, `kind` | the node's name; `server` or `client` |\n"
"| `sent_TYPE` | messages of TYPE it sent (originals, not network duplicates) |\n"
"| `received_TYPE` | messages of TYPE delivered to it |\n"
"| `sent_total`, `received_total` | the same over all types |\n"
"| `time_ROLE_ns` | time it spent in ROLE (`time_no_role_ns`: before it reported one), servers only |\n"
"| `time_up_ns`, `time_down_ns`, `time_paused_ns` | time up, crashed and paused |\n"
"| `crashes`, `restarts` | how often it crashed and restarted |\n"
"| `requests_served`, `requests_ok` | client operations first sent to this server, and those that ended ok |\n"
"| `durable_bytes` | the durable storage the protocol keeps per node |\n"
"| `keys_held` | entries in the node's data at the end, for protocols that export it; empty otherwise |\n"
"\n"
"## timeseries.csv\n"
"\n"
"| column | meaning |\n"
"|---|---|\n"
"| `t_start_ns`, `t_end_ns` | the interval (`--interval`, default 100ms; the last may be shorter) |\n"
"| `invoked` | operations invoked in it |\n"
"| `ok`, `fail`, `info` | operations that completed in it, by outcome |\n"
"| `throughput_ok_per_s` | ok completions per second of simulated time |\n"
"| `latency_p50_ns`, `latency_p99_ns` | quantiles of the latency of ok operations completing in it |\n"
"| `reads_judged`, `stale_reads` | register reads completing in it, and how many were stale (as in ops.csv) |\n"
"| `messages_sent`, `messages_delivered`, `messages_dropped` | messages sent (originals), delivered and dropped in it |\n"
"| `in_flight` | message copies on the network at its end |\n"
"| `partitioned` | 1 when a partition or isolation was in force during it |\n"
"| `invoked_during_partition`, `ok_during_partition`, `availability` | operations invoked in it while a partition was in force, those that ended ok, and their ratio |\n"
"| `servers_up` | servers not crashed at its end |\n"
"| `leader`, `term` | the protocol's leader (leader, primary, head or coordinator) at its end and its term; empty when none |\n"
"| `keys_NODE` | entries in each server's data at the interval's end, for protocols that export it (up to 32 servers) |\n"
"| (more columns) | the protocol's own time series where its summary reports some, such as a stream's consumer lag per partition (`stream.lag.0`): the last value at or before the interval's end |\n"
"\n"
"## plots/\n"
"\n"
"| plot | what it shows |\n"
"|---|---|\n"
"| `latency` | every ok operation's latency against its completion time, faults shaded |\n"
"| `latency_quantiles` | the latency below which each percentage of ok operations completed |\n"
"| `throughput` | ok, fail and info completions per second in each interval, faults shaded |\n"
"| `protocol_series` | the protocol's key series: its own series when it reports some (a stream's consumer lag), else the leader and its term for protocols with one, else the fraction of stale reads, else messages in flight |\n"
"\n"
"To restyle a plot, edit its `.gp` script and run `gnuplot NAME.gp` inside `plots/`.\n";

static int write_readme(wctx_t *w, bool rendered)
{
    FILE *f = open_in(w, "README.md");
    if (!f) return SIM_EIO;
    const scn_t *scn = sim_scenario(w->s);
    char d[32], iv[32];
    fprintf(f, "# dsim export: %s, seed %" PRIu64 "\n\n", scn->name, sim_seed(w->s));
    fprintf(f, "Scenario `%s` (%s), protocol `%s`, %u servers and %u clients, %s of simulated time,\n"
               "timeseries interval %s.\n\n",
            scn->path, scn->name, sim_protocol(w->s)->name, scn->n_servers, scn->wl.clients,
            sim_format_duration(w->end_ns, d, sizeof d), sim_format_duration(w->x->interval_ns, iv, sizeof iv));
    if (w->x->command[0]) fprintf(f, "Made by:\n\n    %s\n\n", w->x->command);
    if (!rendered)
        fprintf(f, "gnuplot was not installed when this bundle was written, so `plots/` holds the data and\n"
                   "scripts but no pictures. Install it (`sudo apt-get install gnuplot-nox`) and run\n"
                   "`cd plots && for f in *.gp; do gnuplot \"$f\"; done`.\n\n");
    fputs(readme_body, f);
    return close_in(w, f, "README.md");
}

/* ---- Commit. ----------------------------------------------------------------------- */

static void on_read(void *ud, uint32_t completion, sim_time_t stale_ns)
{
    wctx_t *w = ud;
    w->stale_ns[completion] = stale_ns;
}

static int move_into_place(exp_t *x, char *err, size_t err_len)
{
    int st = target_state(x->dir, err, err_len);
    if (st < 0) return SIM_EINPUT;
    if (st == 0) {
        /* No replacing: if something appeared at DIR meanwhile, it is not ours. */
        int r = renameat2(AT_FDCWD, x->tmp, AT_FDCWD, x->dir, RENAME_NOREPLACE);
        if (r != 0 && (errno == EINVAL || errno == ENOSYS)) r = rename(x->tmp, x->dir);
        if (r != 0) {
            snprintf(err, err_len, "--export %s: cannot move the bundle into place: %s", x->dir, strerror(errno));
            return SIM_EIO;
        }
        x->committed = true;
        return SIM_OK;
    }
    /* A previous bundle: swap the two in one step, then remove the old one (now at the
     * temporary name). Where the kernel cannot swap, move the old one aside first. */
    if (renameat2(AT_FDCWD, x->tmp, AT_FDCWD, x->dir, RENAME_EXCHANGE) == 0) {
        exp_remove_tree(x->tmp);
        x->committed = true;
        return SIM_OK;
    }
    char old[EXP_PATH_MAX + 8];
    snprintf(old, sizeof old, "%s.old", x->tmp);
    if (rename(x->dir, old) != 0 || rename(x->tmp, x->dir) != 0) {
        int e = errno;
        if (access(x->dir, F_OK) != 0) rename(old, x->dir);
        snprintf(err, err_len, "--export %s: cannot replace the previous bundle: %s", x->dir, strerror(e));
        return SIM_EIO;
    }
    exp_remove_tree(old);
    x->committed = true;
    return SIM_OK;
}

int exp_commit(exp_t *x, sim_t *s, const char *summary_json, char *err, size_t err_len, char *note, size_t note_len)
{
    note[0] = 0;
    if (x->oom) { snprintf(err, err_len, "--export %s: out of memory while recording the run", x->dir); return SIM_EIO; }
    if (x->tf) {
        trace_file_t *tf = x->tf;
        x->tf = NULL;
        if (trace_file_close(tf, true) != SIM_OK) {
            snprintf(err, err_len, "--export %s: could not write trace.jsonl completely", x->dir);
            return SIM_EIO;
        }
    }
    const hist_t *h = sim_history(s);
    wctx_t w = {x, s, h, NULL, NULL, sim_time(s), err, err_len, 0, {{0}}, {0}};
    cJSON *sum = cJSON_Parse(summary_json);
    for (const cJSON *c = sum ? sum->child : NULL; c; c = c->next)
        if (strcmp(c->string, "protocol_stats") != 0) find_series(&w, c, c->string);
    w.other = malloc(((size_t)h->n_ev + 1) * sizeof *w.other);
    w.stale_ns = malloc(((size_t)h->n_ev + 1) * sizeof *w.stale_ns);
    int rc = SIM_EIO;
    bucket_t *b = NULL;
    if (!w.other || !w.stale_ns) { snprintf(err, err_len, "--export %s: out of memory", x->dir); goto out; }
    char perr[256];
    if (hist_pair(h, w.other, perr, sizeof perr) != SIM_OK) {
        snprintf(err, err_len, "--export %s: the history does not pair up: %s", x->dir, perr);
        goto out;
    }
    for (uint32_t i = 0; i < h->n_ev; i++) w.stale_ns[i] = -2;
    vis_result_t vr;
    vis_compute_each(h, NULL, 0, &vr, on_read, &w);
    uint32_t nb = 0;
    b = make_buckets(&w, &nb);
    if (!b) goto out;
    char pdir[EXP_PATH_MAX];
    snprintf(pdir, sizeof pdir, "%s/plots", x->tmp);
    int n_scripts = 0;
    if (mkdir(pdir, 0777) != 0) { snprintf(err, err_len, "--export %s: cannot make plots/: %s", x->dir, strerror(errno)); goto out; }
    if (write_text_file(&w, "summary.json", summary_json) != SIM_OK || write_ops(&w) != SIM_OK ||
        write_messages(&w) != SIM_OK || write_nodes(&w) != SIM_OK || write_timeseries(&w, b, nb) != SIM_OK ||
        write_lamport(&w) != SIM_OK || write_shiviz(&w) != SIM_OK || write_edn(&w) != SIM_OK ||
        write_plots(&w, b, nb, pdir, &n_scripts) != SIM_OK)
        goto out;
    bool rendered = false;
    if (plot_gnuplot()) {
        static const char *const scripts[] = {"latency.gp", "latency_quantiles.gp", "throughput.gp", "protocol_series.gp"};
        char gerr[256];
        if (plot_render(pdir, scripts, n_scripts, gerr, sizeof gerr) != SIM_OK) {
            snprintf(err, err_len, "--export %s: drawing the plots: %s", x->dir, gerr);
            goto out;
        }
        rendered = true;
    } else {
        char where[EXP_PATH_MAX + 8];
        snprintf(where, sizeof where, "%s/plots", x->dir);
        FILE *m = fmemopen(note, note_len, "w");
        if (m) { plot_how_to_render(m, where); fclose(m); }
    }
    if (write_readme(&w, rendered) != SIM_OK || write_text_file(&w, EXP_MARKER, "dsim export bundle\n") != SIM_OK) goto out;
    rc = move_into_place(x, err, err_len);
out:
    cJSON_Delete(sum);
    free(b);
    free(w.other);
    free(w.stale_ns);
    return rc;
}
