/* sweep.c -- many runs of one scenario, on threads, into tables and plots (see sweep.h).
 *
 * The threads share one counter of the next run to take and one file to append
 * finished runs to, both under one mutex; a run itself touches nothing shared (the
 * library keeps all of a run's state in its sim_t). Outputs are derived afterwards
 * from runs.jsonl alone, read back and sorted by run number, so whatever order the
 * runs finished in, on however many threads or machines, the bytes are the same.
 */
#define _GNU_SOURCE   /* memrchr */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cJSON.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>
#include "core/afile.h"
#include "core/sim.h"
#include "export/csv.h"
#include "export/export.h"
#include "export/plot.h"
#include "export/sweep.h"
#include "scenario/override.h"

#define SWEEP_PATH_MAX 4096
#define SWEEP_LINE_MAX (1u << 20)

/* ---- Parsing the command's values. ------------------------------------------------ */

int sweep_parse_set(const char *spec, sweep_param_t *p, char *err, size_t err_len)
{
    memset(p, 0, sizeof *p);
    if (scn_set_check(spec, err, err_len) != SIM_OK) return SIM_EINPUT;
    const char *eq = strchr(spec, '=');
    char *path = strndup(spec, (size_t)(eq - spec));
    if (!path) { snprintf(err, err_len, "out of memory"); return SIM_EIO; }
    p->path = path;
    const char *v = eq + 1;
    int depth = 0;
    bool quoted = false;
    const char *start = v;
    for (const char *c = v;; c++) {
        if (*c == '"' && (c == v || c[-1] != '\\')) quoted = !quoted;
        else if (!quoted && (*c == '[' || *c == '{')) depth++;
        else if (!quoted && (*c == ']' || *c == '}')) depth--;
        if (*c == 0 || (*c == ',' && depth == 0 && !quoted)) {
            if (c == start) {
                snprintf(err, err_len, "--set %s: expected values separated by commas, such as r=1,2,3; found an empty one", spec);
                return SIM_EINPUT;
            }
            if (p->n_values == SWEEP_VALUES_MAX) {
                snprintf(err, err_len, "--set %s: at most %d values expected", spec, SWEEP_VALUES_MAX);
                return SIM_EINPUT;
            }
            p->values[p->n_values] = strndup(start, (size_t)(c - start));
            if (!p->values[p->n_values]) { snprintf(err, err_len, "out of memory"); return SIM_EIO; }
            for (uint32_t i = 0; i < p->n_values; i++)
                if (strcmp(p->values[i], p->values[p->n_values]) == 0) {
                    snprintf(err, err_len, "--set %s: the value %s is given twice; expected each value once", spec, p->values[i]);
                    p->n_values++;
                    return SIM_EINPUT;
                }
            p->n_values++;
            if (*c == 0) break;
            start = c + 1;
        }
    }
    return SIM_OK;
}

static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 19) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

int sweep_parse_seeds(const char *s, uint64_t **seeds, uint32_t *n, char *err, size_t err_len)
{
    *seeds = NULL;
    *n = 0;
    const char *dots = strstr(s, "..");
    uint64_t a, b;
    if (dots) {
        if (!parse_u64(s, (size_t)(dots - s), &a) || !parse_u64(dots + 2, strlen(dots + 2), &b) || b < a) {
            snprintf(err, err_len, "--seeds: expected FIRST..LAST with FIRST <= LAST, such as 1..20, found \"%s\"", s);
            return SIM_EINPUT;
        }
        if (b - a >= SWEEP_SEEDS_MAX) {
            snprintf(err, err_len, "--seeds: at most %d seeds expected, found %" PRIu64, SWEEP_SEEDS_MAX, b - a + 1);
            return SIM_EINPUT;
        }
        *seeds = malloc((size_t)(b - a + 1) * sizeof **seeds);
        if (!*seeds) { snprintf(err, err_len, "out of memory"); return SIM_EIO; }
        for (uint64_t x = a; x <= b; x++) (*seeds)[(*n)++] = x;
        return SIM_OK;
    }
    size_t count = 1;
    for (const char *c = s; *c; c++) count += *c == ',';
    if (count > SWEEP_SEEDS_MAX) { snprintf(err, err_len, "--seeds: at most %d seeds expected", SWEEP_SEEDS_MAX); return SIM_EINPUT; }
    *seeds = malloc(count * sizeof **seeds);
    if (!*seeds) { snprintf(err, err_len, "out of memory"); return SIM_EIO; }
    for (const char *c = s;;) {
        size_t k = strcspn(c, ",");
        if (!parse_u64(c, k, &a)) {
            snprintf(err, err_len, "--seeds: expected a range such as 1..20 or seeds such as 1,5,9, found \"%s\"", s);
            free(*seeds);
            *seeds = NULL;
            *n = 0;
            return SIM_EINPUT;
        }
        for (uint32_t i = 0; i < *n; i++)
            if ((*seeds)[i] == a) {
                snprintf(err, err_len, "--seeds: seed %" PRIu64 " is given twice; expected each seed once", a);
                free(*seeds);
                *seeds = NULL;
                *n = 0;
                return SIM_EINPUT;
            }
        (*seeds)[(*n)++] = a;
        if (!c[k]) break;
        c += k + 1;
    }
    return SIM_OK;
}

static bool env_u32(const char *name, uint32_t *out)
{
    const char *v = getenv(name);
    uint64_t x;
    if (!v || !parse_u64(v, strlen(v), &x) || x > UINT32_MAX) return false;
    *out = (uint32_t)x;
    return true;
}

int sweep_parse_shard(const char *s, uint32_t *i, uint32_t *n, char *err, size_t err_len)
{
    if (strcmp(s, "auto") == 0) {
        uint32_t id, count, min = 0;
        if (!env_u32("SLURM_ARRAY_TASK_ID", &id) || !env_u32("SLURM_ARRAY_TASK_COUNT", &count) ||
            (getenv("SLURM_ARRAY_TASK_MIN") && !env_u32("SLURM_ARRAY_TASK_MIN", &min))) {
            snprintf(err, err_len, "--shard auto: expected a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT "
                     "and SLURM_ARRAY_TASK_MIN as whole numbers), found %s=\"%s\", %s=\"%s\", %s=\"%s\"",
                     "SLURM_ARRAY_TASK_ID", getenv("SLURM_ARRAY_TASK_ID") ? getenv("SLURM_ARRAY_TASK_ID") : "(unset)",
                     "SLURM_ARRAY_TASK_COUNT", getenv("SLURM_ARRAY_TASK_COUNT") ? getenv("SLURM_ARRAY_TASK_COUNT") : "(unset)",
                     "SLURM_ARRAY_TASK_MIN", getenv("SLURM_ARRAY_TASK_MIN") ? getenv("SLURM_ARRAY_TASK_MIN") : "(unset)");
            return SIM_EINPUT;
        }
        /* Array indices must be consecutive (--array=MIN-MAX): task ID - MIN is the slice. */
        if (count == 0 || id < min || id - min >= count) {
            snprintf(err, err_len, "--shard auto: expected SLURM_ARRAY_TASK_ID from SLURM_ARRAY_TASK_MIN (%u) to MIN + COUNT - 1 "
                     "(%u), found %u (the array's indices must be consecutive, such as --array=1-%u)", min, min + count - 1, id, count);
            return SIM_EINPUT;
        }
        *i = id - min + 1;
        *n = count;
        return SIM_OK;
    }
    const char *slash = strchr(s, '/');
    uint64_t a, b;
    if (!slash || !parse_u64(s, (size_t)(slash - s), &a) || !parse_u64(slash + 1, strlen(slash + 1), &b) ||
        b == 0 || b > SWEEP_RUNS_MAX || a < 1 || a > b) {
        snprintf(err, err_len, "--shard: expected I/N with 1 <= I <= N (such as 2/4) or auto, found \"%s\"", s);
        return SIM_EINPUT;
    }
    *i = (uint32_t)a;
    *n = (uint32_t)b;
    return SIM_OK;
}

void sweep_spec_free(sweep_spec_t *sp)
{
    for (uint32_t i = 0; i < sp->n_params; i++) {
        free((char *)sp->params[i].path);
        for (uint32_t k = 0; k < sp->params[i].n_values; k++) free(sp->params[i].values[k]);
    }
    free(sp->seeds);
    memset(sp, 0, sizeof *sp);
}

/* ---- The spec as sweep.json. ------------------------------------------------------ */

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static cJSON *spec_json(const sweep_spec_t *sp, const char *text)
{
    cJSON *o = cJSON_CreateObject();
    char h[24];
    snprintf(h, sizeof h, "%016" PRIx64, fnv1a(text));
    cJSON_AddStringToObject(o, "scenario", sp->scenario);
    cJSON_AddStringToObject(o, "scenario_fnv1a", h);
    cJSON *ps = cJSON_AddArrayToObject(o, "params");
    for (uint32_t i = 0; i < sp->n_params; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "path", sp->params[i].path);
        cJSON *vs = cJSON_AddArrayToObject(p, "values");
        for (uint32_t k = 0; k < sp->params[i].n_values; k++) cJSON_AddItemToArray(vs, cJSON_CreateString(sp->params[i].values[k]));
        cJSON_AddItemToArray(ps, p);
    }
    cJSON *ss = cJSON_AddArrayToObject(o, "seeds");
    for (uint32_t i = 0; i < sp->n_seeds; i++) cJSON_AddItemToArray(ss, cJSON_CreateNumber((double)sp->seeds[i]));
    cJSON_AddBoolToObject(o, "invariants", !sp->no_invariants);
    cJSON *pl = cJSON_AddArrayToObject(o, "plots");
    for (uint32_t i = 0; i < sp->n_plots; i++) cJSON_AddItemToArray(pl, cJSON_CreateString(sp->plots[i]));
    if (sp->shard_n) {
        char s[48];
        snprintf(s, sizeof s, "%u/%u", sp->shard_i, sp->shard_n);
        cJSON_AddStringToObject(o, "shard", s);
    }
    return o;
}

/* The spec's text without the keys that may differ between runs of one sweep. */
static char *spec_identity(const cJSON *spec, bool keep_shard)
{
    cJSON *c = cJSON_Duplicate(spec, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(c, "plots");
    if (!keep_shard) cJSON_DeleteItemFromObjectCaseSensitive(c, "shard");
    char *s = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    return s;
}

static char *read_text(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) { char *nb = realloc(buf, cap * 2); if (!nb) { free(buf); buf = NULL; break; } buf = nb; cap *= 2; }
        size_t k = fread(buf + len, 1, cap - len - 1, f);
        if (k == 0) break;
        len += k;
    }
    fclose(f);
    if (buf) buf[len] = 0;
    if (len_out) *len_out = len;
    return buf;
}

static int write_atomic(const char *path, const char *text, char *err, size_t err_len)
{
    afile_t a;
    if (afile_open(&a, path) != SIM_OK) { snprintf(err, err_len, "cannot write %s: %s", path, strerror(errno)); return SIM_EIO; }
    fputs(text, a.f);
    if (afile_commit(&a) != SIM_OK) { snprintf(err, err_len, "could not write %s completely", path); return SIM_EIO; }
    return SIM_OK;
}

/* ---- One run. ---------------------------------------------------------------------- */

/* Adds every number under v to out as "path.to.it": the run's metrics. */
static void flatten(const cJSON *v, const char *path, cJSON *out)
{
    char p[512];
    if (cJSON_IsNumber(v)) {
        cJSON_AddItemToObject(out, path, cJSON_CreateNumber(v->valuedouble));
        return;
    }
    if (cJSON_IsObject(v)) {
        for (const cJSON *c = v->child; c; c = c->next) {
            if (!*path && (strcmp(c->string, "wall_seconds") == 0 || strcmp(c->string, "seed") == 0)) continue;
            snprintf(p, sizeof p, "%s%s%s", path, *path ? "." : "", c->string);
            flatten(c, p, out);
        }
        /* The fraction of stale reads, which the summary gives as two counts. */
        if (strcmp(path, "stale_reads") == 0) {
            const cJSON *r = cJSON_GetObjectItemCaseSensitive(v, "reads"), *s = cJSON_GetObjectItemCaseSensitive(v, "stale");
            if (cJSON_IsNumber(r) && cJSON_IsNumber(s) && r->valuedouble > 0)
                cJSON_AddItemToObject(out, "stale_reads.fraction", cJSON_CreateNumber(s->valuedouble / r->valuedouble));
        }
        return;
    }
    /* A time series ([[t, v], ...], a stream's lag) is not a figure of the run. */
    if (cJSON_IsArray(v) && !(v->child && cJSON_IsArray(v->child))) {
        int i = 0;
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            snprintf(p, sizeof p, "%s.%d", path, i);
            flatten(c, p, out);
        }
    }
}

/* Runs one run and returns its runs.jsonl line (malloc'd, ending in "\n"), or NULL
 * with a sentence in err. */
static char *one_run(const char *text, const char *path, uint64_t run, uint32_t point, uint64_t seed, bool no_inv,
                     char *err, size_t err_len)
{
    scn_t scn;
    if (scn_load_string(text, path, &scn, err, err_len) != SIM_OK) return NULL;
    sim_opts_t o = {.seed_set = true, .seed = seed, .no_invariants = no_inv};
    char e2[256];
    sim_t *s = sim_create(&scn, &o, e2, sizeof e2);
    if (!s) { snprintf(err, err_len, "%s: %s", path, e2); scn_free(&scn); return NULL; }
    sim_run(s);
    jw_t w;
    jw_init(&w, false);
    sim_write_summary(s, &w, 0.0);
    cJSON *sum = cJSON_Parse(w.buf);
    jw_free(&w);
    sim_destroy(s);
    scn_free(&scn);
    if (!sum) { snprintf(err, err_len, "the summary of run %" PRIu64 " is not JSON", run); return NULL; }
    cJSON *line = cJSON_CreateObject();
    cJSON_AddNumberToObject(line, "run", (double)run);
    cJSON_AddNumberToObject(line, "point", point);
    cJSON_AddNumberToObject(line, "seed", (double)seed);
    cJSON *m = cJSON_AddObjectToObject(line, "metrics");
    flatten(sum, "", m);
    cJSON_Delete(sum);
    char *t = cJSON_PrintUnformatted(line);
    cJSON_Delete(line);
    if (!t) { snprintf(err, err_len, "out of memory"); return NULL; }
    size_t n = strlen(t);
    char *out = realloc(t, n + 2);
    if (!out) { free(t); return NULL; }
    out[n] = '\n';
    out[n + 1] = 0;
    return out;
}

/* ---- Deriving the outputs from the runs. ------------------------------------------- */

typedef struct grid {
    const cJSON *spec;
    uint32_t n_params;
    const cJSON *param[SWEEP_PARAMS_MAX];      /* {"path", "values"} */
    uint32_t n_values[SWEEP_PARAMS_MAX];
    uint64_t n_points, n_seeds, n_runs;
} grid_t;

static int grid_of(const cJSON *spec, grid_t *g, char *err, size_t err_len)
{
    memset(g, 0, sizeof *g);
    g->spec = spec;
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(spec, "params"), *ss = cJSON_GetObjectItemCaseSensitive(spec, "seeds");
    if (!cJSON_IsArray(ps) || !cJSON_IsArray(ss) || cJSON_GetArraySize(ps) > SWEEP_PARAMS_MAX) {
        snprintf(err, err_len, "sweep.json: expected \"params\" and \"seeds\" lists");
        return SIM_EINPUT;
    }
    g->n_points = 1;
    for (const cJSON *p = ps->child; p; p = p->next) {
        const cJSON *vs = cJSON_GetObjectItemCaseSensitive(p, "values");
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(p, "path")) || !cJSON_IsArray(vs) || !cJSON_GetArraySize(vs)) {
            snprintf(err, err_len, "sweep.json: expected each parameter as {\"path\": ..., \"values\": [...]}");
            return SIM_EINPUT;
        }
        g->param[g->n_params] = p;
        g->n_values[g->n_params++] = (uint32_t)cJSON_GetArraySize(vs);
        g->n_points *= (uint64_t)cJSON_GetArraySize(vs);
    }
    g->n_seeds = (uint64_t)cJSON_GetArraySize(ss);
    g->n_runs = g->n_points * g->n_seeds;
    if (!g->n_seeds || g->n_runs > SWEEP_RUNS_MAX) { snprintf(err, err_len, "sweep.json: expected 1 to %d runs", SWEEP_RUNS_MAX); return SIM_EINPUT; }
    return SIM_OK;
}

static const char *param_path(const grid_t *g, uint32_t i) { return cJSON_GetObjectItemCaseSensitive(g->param[i], "path")->valuestring; }

/* The value index of parameter i at a point (the first parameter varies slowest). */
static uint32_t value_ix(const grid_t *g, uint64_t point, uint32_t i)
{
    uint64_t stride = 1;
    for (uint32_t k = g->n_params; k-- > i + 1;) stride *= g->n_values[k];
    return (uint32_t)((point / stride) % g->n_values[i]);
}

static const char *value_of(const grid_t *g, uint64_t point, uint32_t i)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(g->param[i], "values"), (int)value_ix(g, point, i))->valuestring;
}

typedef struct metrics {
    char **name;
    uint32_t n;
} metrics_t;

static int metric_ix(const metrics_t *m, const char *name)
{
    for (uint32_t i = 0; i < m->n; i++) if (strcmp(m->name[i], name) == 0) return (int)i;
    return -1;
}

static void safe_name(const char *metric, char *out, size_t len)
{
    size_t k = 0;
    for (const char *c = metric; *c && k + 1 < len; c++)
        out[k++] = (char)((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '-' ? *c : '_');
    out[k] = 0;
}

static bool all_numbers(const cJSON *values)
{
    for (const cJSON *v = values->child; v; v = v->next) {
        char *end;
        strtod(v->valuestring, &end);
        if (!*v->valuestring || *end) return false;
    }
    return true;
}

typedef struct stat1 { uint64_t n; double mean, sd, lo, hi; } stat1_t;

static stat1_t stats_of(double *x, uint64_t n)
{
    stat1_t s = {n, NAN, NAN, NAN, NAN};
    if (!n) return s;
    s.mean = gsl_stats_mean(x, 1, n);
    if (n >= 2) {
        s.sd = gsl_stats_sd_m(x, 1, n, s.mean);
        double half = gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * s.sd / sqrt((double)n);
        s.lo = s.mean - half;
        s.hi = s.mean + half;
    }
    return s;
}

/* Writes runs.jsonl (sorted), runs.csv, summary.csv and plots/ into dir from the runs
 * (lines[k] is run k's parsed line, or NULL when this folder does not hold it). */
static int finish(const char *dir, const cJSON *spec, cJSON **lines, char *err, size_t err_len, char *note, size_t note_len)
{
    grid_t g;
    if (grid_of(spec, &g, err, err_len) != SIM_OK) return SIM_EINPUT;
    metrics_t m = {calloc(SWEEP_METRICS_MAX, sizeof(char *)), 0};
    if (!m.name) { snprintf(err, err_len, "out of memory"); return SIM_EIO; }
    int rc = SIM_EIO;
    char p[SWEEP_PATH_MAX];
    double *vals = NULL;
    afile_t a;
    for (uint64_t k = 0; k < g.n_runs; k++) {
        if (!lines[k]) continue;
        for (const cJSON *c = cJSON_GetObjectItemCaseSensitive(lines[k], "metrics")->child; c; c = c->next)
            if (metric_ix(&m, c->string) < 0) {
                if (m.n == SWEEP_METRICS_MAX) { snprintf(err, err_len, "more than %d metrics", SWEEP_METRICS_MAX); goto out; }
                m.name[m.n++] = c->string;
            }
    }
    /* runs.jsonl, in run order. */
    snprintf(p, sizeof p, "%s/runs.jsonl", dir);
    if (afile_open(&a, p) != SIM_OK) { snprintf(err, err_len, "cannot write %s", p); goto out; }
    for (uint64_t k = 0; k < g.n_runs; k++) {
        if (!lines[k]) continue;
        char *t = cJSON_PrintUnformatted(lines[k]);
        if (t) { fputs(t, a.f); fputc('\n', a.f); }
        free(t);
    }
    if (afile_commit(&a) != SIM_OK) { snprintf(err, err_len, "could not write %s completely", p); goto out; }
    /* runs.csv */
    snprintf(p, sizeof p, "%s/runs.csv", dir);
    if (afile_open(&a, p) != SIM_OK) { snprintf(err, err_len, "cannot write %s", p); goto out; }
    csv_t c;
    csv_begin(&c, a.f);
    csv_str(&c, "run");
    csv_str(&c, "point");
    csv_str(&c, "seed");
    for (uint32_t i = 0; i < g.n_params; i++) csv_str(&c, param_path(&g, i));
    for (uint32_t i = 0; i < m.n; i++) csv_str(&c, m.name[i]);
    csv_end_row(&c);
    for (uint64_t k = 0; k < g.n_runs; k++) {
        if (!lines[k]) continue;
        uint64_t point = k / g.n_seeds;
        csv_uint(&c, k);
        csv_uint(&c, point);
        csv_uint(&c, (uint64_t)cJSON_GetObjectItemCaseSensitive(lines[k], "seed")->valuedouble);
        for (uint32_t i = 0; i < g.n_params; i++) csv_str(&c, value_of(&g, point, i));
        const cJSON *mm = cJSON_GetObjectItemCaseSensitive(lines[k], "metrics");
        for (uint32_t i = 0; i < m.n; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(mm, m.name[i]);
            if (cJSON_IsNumber(v)) csv_real(&c, v->valuedouble); else csv_empty(&c);
        }
        csv_end_row(&c);
    }
    if (afile_commit(&a) != SIM_OK) { snprintf(err, err_len, "could not write %s completely", p); goto out; }
    /* summary.csv: long ("tidy") form, one row per point and metric. */
    vals = malloc((g.n_seeds + 1) * sizeof *vals);
    if (!vals) goto out;
    snprintf(p, sizeof p, "%s/summary.csv", dir);
    if (afile_open(&a, p) != SIM_OK) { snprintf(err, err_len, "cannot write %s", p); goto out; }
    csv_begin(&c, a.f);
    csv_str(&c, "point");
    for (uint32_t i = 0; i < g.n_params; i++) csv_str(&c, param_path(&g, i));
    static const char *const tail[] = {"metric", "runs", "mean", "sd", "ci95_low", "ci95_high", NULL};
    for (int i = 0; tail[i]; i++) csv_str(&c, tail[i]);
    csv_end_row(&c);
    for (uint64_t point = 0; point < g.n_points; point++) {
        for (uint32_t i = 0; i < m.n; i++) {
            uint64_t n = 0;
            for (uint64_t s = 0; s < g.n_seeds; s++) {
                const cJSON *l = lines[point * g.n_seeds + s];
                if (!l) continue;
                const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(l, "metrics"), m.name[i]);
                if (cJSON_IsNumber(v)) vals[n++] = v->valuedouble;
            }
            if (!n) continue;
            stat1_t st = stats_of(vals, n);
            csv_uint(&c, point);
            for (uint32_t q = 0; q < g.n_params; q++) csv_str(&c, value_of(&g, point, q));
            csv_str(&c, m.name[i]);
            csv_uint(&c, st.n);
            csv_real(&c, st.mean);
            csv_real(&c, st.sd);
            csv_real(&c, st.lo);
            csv_real(&c, st.hi);
            csv_end_row(&c);
        }
    }
    if (afile_commit(&a) != SIM_OK) { snprintf(err, err_len, "could not write %s completely", p); goto out; }
    /* plots/: each metric against the first parameter, a line per value of the rest. */
    const cJSON *plots = cJSON_GetObjectItemCaseSensitive(spec, "plots");
    if (cJSON_GetArraySize(plots) > 0) {
        if (g.n_params == 0) { snprintf(err, err_len, "--plot needs a --set parameter with values to plot against"); rc = SIM_EINPUT; goto out; }
        char pdir[SWEEP_PATH_MAX];
        snprintf(pdir, sizeof pdir, "%s/.plots.tmp-XXXXXX", dir);
        if (!mkdtemp(pdir)) { snprintf(err, err_len, "cannot make a temporary directory in %s", dir); goto out; }
        chmod(pdir, 0755);
        const char *scripts[SWEEP_PLOTS_MAX];
        char script_names[SWEEP_PLOTS_MAX][300];
        int ns = 0;
        const cJSON *p0 = g.param[0];
        const cJSON *v0 = cJSON_GetObjectItemCaseSensitive(p0, "values");
        bool numeric = all_numbers(v0);
        uint64_t rest = g.n_points / g.n_values[0];
        for (const cJSON *pm = plots->child; pm; pm = pm->next) {
            const char *metric = pm->valuestring;
            if (metric_ix(&m, metric) < 0) {
                const char *cands[SWEEP_METRICS_MAX + 1];
                for (uint32_t i = 0; i < m.n; i++) cands[i] = m.name[i];
                cands[m.n] = NULL;
                const char *sug = scn_suggest(metric, cands);
                snprintf(err, err_len, "--plot %s: no such metric in the runs%s%s%s (the columns of runs.csv after the parameters "
                         "are the metrics); the runs are kept, run again with another --plot", metric,
                         sug ? "; did you mean " : "", sug ? sug : "", sug ? "?" : "");
                exp_remove_tree(pdir);
                rc = SIM_EINPUT;
                goto out;
            }
            char safe[256];
            safe_name(metric, safe, sizeof safe);
            snprintf(p, sizeof p, "%s/%s.dat", pdir, safe);
            FILE *d = fopen(p, "w");
            if (!d) { exp_remove_tree(pdir); snprintf(err, err_len, "cannot write %s", p); goto out; }
            fprintf(d, "# %s against %s: one block per line of the plot, blocks separated by two blank lines\n", metric, param_path(&g, 0));
            for (uint64_t r = 0; r < rest; r++) {
                fprintf(d, "# line %" PRIu64 ":", r);
                for (uint32_t q = 1; q < g.n_params; q++) fprintf(d, " %s=%s", param_path(&g, q), value_of(&g, r, q));
                fprintf(d, "\n# x mean ci95_low ci95_high runs\n");
                for (uint32_t xi = 0; xi < g.n_values[0]; xi++) {
                    uint64_t point = (uint64_t)xi * rest + r;
                    uint64_t n = 0;
                    for (uint64_t s = 0; s < g.n_seeds; s++) {
                        const cJSON *l = lines[point * g.n_seeds + s];
                        if (!l) continue;
                        const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(l, "metrics"), metric);
                        if (cJSON_IsNumber(v)) vals[n++] = v->valuedouble;
                    }
                    stat1_t st = stats_of(vals, n);
                    const char *xv = cJSON_GetArrayItem(v0, (int)xi)->valuestring;
                    if (numeric) fprintf(d, "%s", xv); else fprintf(d, "%u", xi);
                    if (n) fprintf(d, " %.10g %.10g %.10g %" PRIu64 "\n", st.mean, isnan(st.lo) ? st.mean : st.lo, isnan(st.hi) ? st.mean : st.hi, n);
                    else fprintf(d, " ? ? ? 0\n");
                }
                if (r + 1 < rest) fprintf(d, "\n\n");
            }
            if (fclose(d) != 0) { exp_remove_tree(pdir); goto out; }
            char title[512], ylabel[300];
            snprintf(title, sizeof title, "%s against %s (mean of %" PRIu64 " seeds, 95%% CI)", metric, param_path(&g, 0), g.n_seeds);
            snprintf(ylabel, sizeof ylabel, "%s", metric);
            FILE *gp = plot_script_open(pdir, safe, "a sweep's metric against its first parameter", title, param_path(&g, 0), ylabel);
            if (!gp) { exp_remove_tree(pdir); goto out; }
            fprintf(gp, "set key outside right top title \"%s\"\nset offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n",
                    g.n_params > 1 ? "" : "");
            /* A tic at each value of the parameter, and nowhere else. */
            fprintf(gp, "set xtics (");
            for (uint32_t xi = 0; xi < g.n_values[0]; xi++) {
                const char *xv = cJSON_GetArrayItem(v0, (int)xi)->valuestring;
                if (numeric) fprintf(gp, "%s\"%s\" %s", xi ? ", " : "", xv, xv);
                else fprintf(gp, "%s\"%s\" %u", xi ? ", " : "", xv, xi);
            }
            fprintf(gp, ")\n");
            plot_script_begin_plot(gp, safe);
            fprintf(gp, "    plot ");
            for (uint64_t r = 0; r < rest; r++) {
                char lt[256] = "";
                size_t used = 0;
                for (uint32_t q = 1; q < g.n_params; q++)
                    used += (size_t)snprintf(lt + used, sizeof lt - used, "%s%s=%s", q > 1 ? ", " : "", param_path(&g, q), value_of(&g, r, q));
                if (!lt[0]) snprintf(lt, sizeof lt, "%s", metric);
                fprintf(gp, "%s\"%s.dat\" index %" PRIu64 " using 1:2:3:4 with yerrorlines lw 2 pt 7 title \"%s\"",
                        r ? ", \\\n         " : "", safe, r, lt);
            }
            fprintf(gp, "\n");
            if (plot_script_end(gp) != SIM_OK) { exp_remove_tree(pdir); goto out; }
            snprintf(script_names[ns], sizeof script_names[ns], "%s.gp", safe);
            scripts[ns] = script_names[ns];
            ns++;
        }
        if (plot_gnuplot()) {
            char gerr[256];
            if (plot_render(pdir, scripts, ns, gerr, sizeof gerr) != SIM_OK) {
                exp_remove_tree(pdir);
                snprintf(err, err_len, "drawing the plots: %s", gerr);
                goto out;
            }
        } else {
            char where[SWEEP_PATH_MAX + 8];
            snprintf(where, sizeof where, "%s/plots", dir);
            FILE *mf = fmemopen(note, note_len, "w");
            if (mf) { plot_how_to_render(mf, where); fclose(mf); }
        }
        snprintf(p, sizeof p, "%s/plots", dir);
        if (exp_remove_tree(p) != SIM_OK || rename(pdir, p) != 0) {
            exp_remove_tree(pdir);
            snprintf(err, err_len, "cannot move the plots into %s", p);
            goto out;
        }
    }
    rc = SIM_OK;
out:
    free(vals);
    free(m.name);
    return rc;
}

/* Reads dir/runs.jsonl into lines[] (by run number). Returns the number read, or -1
 * with err. A last line cut short (an interrupted append) is dropped, and the file
 * truncated to the complete lines when cut is set. */
static int64_t read_runs(const char *dir, const grid_t *g, cJSON **lines, bool cut, char *err, size_t err_len)
{
    char p[SWEEP_PATH_MAX];
    snprintf(p, sizeof p, "%s/runs.jsonl", dir);
    size_t len;
    char *text = read_text(p, &len);
    if (!text) return 0;
    int64_t n = 0;
    size_t good = 0;
    uint64_t lineno = 0;
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl) break;                        /* cut short: not a finished run */
        *nl = 0;
        lineno++;
        cJSON *o = cJSON_Parse(line);
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "run");
        if (!cJSON_IsNumber(r) || r->valuedouble < 0 || r->valuedouble >= (double)g->n_runs ||
            !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "metrics")) || !cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "seed"))) {
            cJSON_Delete(o);
            snprintf(err, err_len, "%s:%" PRIu64 ": expected a run of this sweep as written by dsim sweep", p, lineno);
            free(text);
            return -1;
        }
        uint64_t k = (uint64_t)r->valuedouble;
        if (lines[k]) cJSON_Delete(lines[k]); else n++;
        lines[k] = o;
        good = (size_t)(nl + 1 - text);
    }
    free(text);
    if (cut && good != len && truncate(p, (off_t)good) != 0) {
        snprintf(err, err_len, "%s: cannot cut off its unfinished last line", p);
        return -1;
    }
    return n;
}

/* ---- The sweep. -------------------------------------------------------------------- */

typedef struct pool {
    pthread_mutex_t mu;
    const sweep_spec_t *sp;
    const grid_t *g;
    char **texts;                 /* per point: the scenario with its overrides */
    uint64_t *todo;               /* runs to do, in run order */
    uint64_t n_todo, next, done, done_before, total;
    FILE *out;                    /* runs.jsonl, appended */
    const volatile sig_atomic_t *stop;
    const sweep_progress_t *progress;
    bool failed;
    char err[1024];
} pool_t;

static void *worker(void *ud)
{
    pool_t *P = ud;
    for (;;) {
        pthread_mutex_lock(&P->mu);
        if (P->failed || (P->stop && *P->stop) || P->next == P->n_todo) { pthread_mutex_unlock(&P->mu); return NULL; }
        uint64_t k = P->todo[P->next++];
        pthread_mutex_unlock(&P->mu);
        uint64_t point = k / P->g->n_seeds;
        char err[1024];
        char *line = one_run(P->texts[point], P->sp->scenario, k, (uint32_t)point, P->sp->seeds[k % P->g->n_seeds],
                             P->sp->no_invariants, err, sizeof err);
        pthread_mutex_lock(&P->mu);
        if (!line) {
            if (!P->failed) snprintf(P->err, sizeof P->err, "%s", err);
            P->failed = true;
        } else {
            /* One write of one whole line, flushed: an interruption loses at most the
             * line being written, which the next start drops. */
            if (fputs(line, P->out) < 0 || fflush(P->out) != 0) {
                if (!P->failed) snprintf(P->err, sizeof P->err, "cannot append to runs.jsonl: %s", strerror(errno));
                P->failed = true;
            }
            P->done++;
            if (P->progress && P->progress->fn) P->progress->fn(P->progress->ud, P->done + P->done_before, P->total, P->done_before);
        }
        pthread_mutex_unlock(&P->mu);
        free(line);
    }
}

/* Makes dir ready for spec: absent (made), empty, or holding the same sweep (resumed).
 * Returns SIM_OK or SIM_EINPUT with err. */
static int prepare_dir(const char *dir, const char *identity, char *err, size_t err_len)
{
    struct stat st;
    if (lstat(dir, &st) != 0) {
        if (errno != ENOENT || mkdir(dir, 0777) != 0) {
            snprintf(err, err_len, "--out %s: cannot make it: %s", dir, strerror(errno));
            return SIM_EIO;
        }
        return SIM_OK;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, err_len, "--out %s: expected a new directory or the folder of this same sweep, found %s; nothing was changed",
                 dir, S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISREG(st.st_mode) ? "a file" : "a special file");
        return SIM_EINPUT;
    }
    char p[SWEEP_PATH_MAX];
    snprintf(p, sizeof p, "%s/sweep.json", dir);
    char *old = read_text(p, NULL);
    if (!old) {
        DIR *d = opendir(dir);
        struct dirent *e;
        bool empty = true;
        while (d && (e = readdir(d))) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = false;
        if (d) closedir(d);
        if (!empty) {
            snprintf(err, err_len, "--out %s: expected a new directory or the folder of this same sweep, found a directory "
                     "with other files and no sweep.json; nothing was changed", dir);
            return SIM_EINPUT;
        }
        return SIM_OK;
    }
    cJSON *o = cJSON_Parse(old);
    free(old);
    char *id = o ? spec_identity(o, true) : NULL;
    cJSON_Delete(o);
    bool same = id && strcmp(id, identity) == 0;
    free(id);
    if (!same) {
        snprintf(err, err_len, "--out %s: holds a different sweep (its sweep.json names another scenario, scenario text, "
                 "parameters, values, seeds or slice); nothing was changed: choose another --out to start a new sweep", dir);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

int sweep_run(const sweep_spec_t *sp, const char *dir, int threads, const volatile sig_atomic_t *stop,
              const sweep_progress_t *progress, char *err, size_t err_len, char *note, size_t note_len)
{
    note[0] = 0;
    char *base = scn_text_with_sets(sp->scenario, NULL, 0, err, err_len);
    if (!base) return SIM_EINPUT;
    cJSON *spec = spec_json(sp, base);
    char *identity = spec_identity(spec, true);
    grid_t g;
    int rc = grid_of(spec, &g, err, err_len);
    char **texts = NULL;
    cJSON **lines = NULL;
    uint64_t *todo = NULL;
    if (rc != SIM_OK) goto out;
    rc = SIM_EIO;
    texts = calloc(g.n_points, sizeof *texts);
    lines = calloc(g.n_runs, sizeof *lines);
    todo = malloc(g.n_runs * sizeof *todo);
    if (!texts || !lines || !todo) { snprintf(err, err_len, "out of memory"); goto out; }
    /* Every grid point is loaded (and so checked) before anything is written. */
    for (uint64_t point = 0; point < g.n_points; point++) {
        const char *sets[SWEEP_PARAMS_MAX];
        char buf[SWEEP_PARAMS_MAX][1024];
        for (uint32_t i = 0; i < g.n_params; i++) {
            snprintf(buf[i], sizeof buf[i], "%s=%s", sp->params[i].path, value_of(&g, point, i));
            sets[i] = buf[i];
        }
        texts[point] = scn_text_apply_sets(base, sp->scenario, sets, g.n_params, err, err_len);
        if (!texts[point]) { rc = SIM_EINPUT; goto out; }
        scn_t scn;
        if (scn_load_string(texts[point], sp->scenario, &scn, err, err_len) != SIM_OK) {
            size_t used = strlen(err);
            used += (size_t)snprintf(err + used, err_len - used, " (with --set");
            for (uint32_t i = 0; i < g.n_params && used < err_len; i++)
                used += (size_t)snprintf(err + used, err_len - used, " %s", sets[i]);
            if (used < err_len) snprintf(err + used, err_len - used, ")");
            rc = SIM_EINPUT;
            goto out;
        }
        scn_free(&scn);
    }
    if ((rc = prepare_dir(dir, identity, err, err_len)) != SIM_OK) goto out;
    rc = SIM_EIO;
    char p[SWEEP_PATH_MAX];
    snprintf(p, sizeof p, "%s/sweep.json", dir);
    char *st = cJSON_Print(spec);
    if (!st) goto out;
    size_t sl = strlen(st);
    char *stn = realloc(st, sl + 2);
    if (!stn) { free(st); goto out; }
    stn[sl] = '\n';
    stn[sl + 1] = 0;
    int wr = write_atomic(p, stn, err, err_len);
    free(stn);
    if (wr != SIM_OK) goto out;
    int64_t had = read_runs(dir, &g, lines, true, err, err_len);
    if (had < 0) { rc = SIM_EINPUT; goto out; }
    uint64_t n_todo = 0, total = 0, done_before = 0;
    for (uint64_t k = 0; k < g.n_runs; k++) {
        if (sp->shard_n && k % sp->shard_n != sp->shard_i - 1) continue;
        total++;
        if (lines[k]) done_before++;
        else todo[n_todo++] = k;
    }
    FILE *out = fopen(strcat(strcpy(p, dir), "/runs.jsonl"), "a");
    if (!out) { snprintf(err, err_len, "cannot append to %s: %s", p, strerror(errno)); goto out; }
    /* A misspelt --plot is found after the first run, not after the last: its metrics
     * are what every run of this scenario reports (stale_reads.fraction aside, which
     * a run without reads lacks). */
    if (sp->n_plots) {
        cJSON *probe = NULL;
        for (uint64_t k = 0; k < g.n_runs && !probe; k++) probe = lines[k];
        if (!probe && n_todo) {
            uint64_t k = todo[0];
            char *line = one_run(texts[k / g.n_seeds], sp->scenario, k, (uint32_t)(k / g.n_seeds), sp->seeds[k % g.n_seeds],
                                 sp->no_invariants, err, err_len);
            if (!line) { fclose(out); rc = SIM_EINPUT; goto out; }
            if (fputs(line, out) < 0 || fflush(out) != 0) { free(line); fclose(out); snprintf(err, err_len, "cannot append to %s", p); goto out; }
            probe = cJSON_Parse(line);
            free(line);
            lines[k] = probe;          /* done: the pool skips it */
            memmove(todo, todo + 1, (n_todo - 1) * sizeof *todo);
            n_todo--;
            done_before++;
        }
        const cJSON *pm = probe ? cJSON_GetObjectItemCaseSensitive(probe, "metrics") : NULL;
        for (uint32_t i = 0; pm && i < sp->n_plots; i++) {
            if (cJSON_GetObjectItemCaseSensitive(pm, sp->plots[i]) || strcmp(sp->plots[i], "stale_reads.fraction") == 0) continue;
            const char *cands[SWEEP_METRICS_MAX + 1];
            int nc = 0;
            for (const cJSON *c = pm->child; c && nc < SWEEP_METRICS_MAX; c = c->next) cands[nc++] = c->string;
            cands[nc] = NULL;
            const char *sug = scn_suggest(sp->plots[i], cands);
            snprintf(err, err_len, "--plot %s: no such metric in this scenario's runs%s%s%s (runs.csv's columns after the "
                     "parameters are the metrics, named by their path in dsim run --json)", sp->plots[i],
                     sug ? "; did you mean " : "", sug ? sug : "", sug ? "?" : "");
            fclose(out);
            rc = SIM_EINPUT;
            goto out;
        }
    }
    pool_t P = {.sp = sp, .g = &g, .texts = texts, .todo = todo, .n_todo = n_todo, .done_before = done_before, .total = total,
                .out = out, .stop = stop, .progress = progress};
    pthread_mutex_init(&P.mu, NULL);
    if (threads < 1) threads = 1;
    if (threads > SWEEP_THREADS_MAX) threads = SWEEP_THREADS_MAX;
    if ((uint64_t)threads > n_todo) threads = n_todo ? (int)n_todo : 1;
    pthread_t tid[SWEEP_THREADS_MAX];
    int started = 0;
    if (progress && progress->fn) progress->fn(progress->ud, done_before, total, done_before);
    for (int i = 1; i < threads; i++) if (pthread_create(&tid[i], NULL, worker, &P) == 0) started = i;
    worker(&P);
    for (int i = 1; i <= started; i++) pthread_join(tid[i], NULL);
    pthread_mutex_destroy(&P.mu);
    if (fclose(out) != 0 && !P.failed) { P.failed = true; snprintf(P.err, sizeof P.err, "could not write runs.jsonl completely"); }
    if (P.failed) { snprintf(err, err_len, "%s", P.err); goto out; }
    if (P.done + done_before < total) {
        snprintf(note, note_len, "interrupted: %" PRIu64 " of %" PRIu64 " runs done and kept in %s/runs.jsonl; "
                 "run the same command again to resume\n", P.done + done_before, total, dir);
        rc = 1;
        goto out;
    }
    for (uint64_t k = 0; k < g.n_runs; k++) { cJSON_Delete(lines[k]); lines[k] = NULL; }
    if (read_runs(dir, &g, lines, false, err, err_len) < 0) { rc = SIM_EINPUT; goto out; }
    rc = finish(dir, spec, lines, err, err_len, note, note_len);
out:
    for (uint64_t k = 0; lines && k < g.n_runs; k++) cJSON_Delete(lines[k]);
    for (uint64_t k = 0; texts && k < g.n_points; k++) free(texts[k]);
    free(lines);
    free(texts);
    free(todo);
    free(identity);
    cJSON_Delete(spec);
    free(base);
    return rc;
}

/* ---- Merging slices. --------------------------------------------------------------- */

int sweep_merge(const char *const *dirs, int n_dirs, const char *out, char *err, size_t err_len, char *note, size_t note_len)
{
    note[0] = 0;
    cJSON *first = NULL, **lines = NULL;
    char *id0 = NULL;
    bool *seen = NULL;
    uint32_t shard_n = 0;
    grid_t g;
    int rc = SIM_EINPUT;
    for (int d = 0; d < n_dirs; d++) {
        char p[SWEEP_PATH_MAX];
        snprintf(p, sizeof p, "%s/sweep.json", dirs[d]);
        char *t = read_text(p, NULL);
        cJSON *o = t ? cJSON_Parse(t) : NULL;
        free(t);
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(o, "shard");
        uint32_t si = 0, sn = 0;
        if (!o || !cJSON_IsString(sh) || sscanf(sh->valuestring, "%u/%u", &si, &sn) != 2 || si < 1 || si > sn) {
            snprintf(err, err_len, "%s: expected the folder of one slice of a sweep (dsim sweep --shard I/N), with its sweep.json", dirs[d]);
            cJSON_Delete(o);
            goto out;
        }
        char *id = spec_identity(o, false);
        if (d == 0) {
            first = o;
            id0 = id;
            shard_n = sn;
            if (grid_of(first, &g, err, err_len) != SIM_OK) goto out;
            lines = calloc(g.n_runs, sizeof *lines);
            seen = calloc(sn + 1, sizeof *seen);
            if (!lines || !seen) { snprintf(err, err_len, "out of memory"); rc = SIM_EIO; goto out; }
        } else {
            bool same = strcmp(id, id0) == 0 && sn == shard_n;
            free(id);
            cJSON_Delete(o);
            if (!same) {
                snprintf(err, err_len, "%s: expected a slice of the same sweep as %s (same scenario, parameters, seeds and slice count), "
                         "found another", dirs[d], dirs[0]);
                goto out;
            }
        }
        if (seen[si]) { snprintf(err, err_len, "%s: slice %u/%u is given twice", dirs[d], si, sn); goto out; }
        seen[si] = true;
        /* Its runs: all of its slice, none of another's. */
        cJSON **mine = calloc(g.n_runs, sizeof *mine);
        if (!mine) { rc = SIM_EIO; goto out; }
        int64_t n = read_runs(dirs[d], &g, mine, false, err, err_len);
        uint64_t want = 0;
        for (uint64_t k = 0; k < g.n_runs; k++) {
            bool ours = k % sn == si - 1;
            want += ours;
            if (mine[k] && !ours) {
                snprintf(err, err_len, "%s: run %" PRIu64 " does not belong to slice %u/%u", dirs[d], k, si, sn);
                n = -1;
            }
        }
        if (n >= 0 && (uint64_t)n != want) {
            snprintf(err, err_len, "%s: slice %u/%u is not finished: %" PRId64 " of its %" PRIu64 " runs are done; "
                     "run its command again to finish it", dirs[d], si, sn, n, want);
            n = -1;
        }
        for (uint64_t k = 0; k < g.n_runs; k++) {
            if (n >= 0 && mine[k]) lines[k] = mine[k];
            else cJSON_Delete(mine[k]);
        }
        free(mine);
        if (n < 0) goto out;
    }
    for (uint32_t i = 1; i <= shard_n; i++)
        if (!seen[i]) { snprintf(err, err_len, "sweep merge: slice %u/%u is missing; expected all %u slices", i, shard_n, shard_n); goto out; }
    /* The merged folder is the one a single machine would have written. It is written
     * into a temporary directory beside out and renamed into place when complete. */
    struct stat st;
    bool replace_empty = false;
    if (lstat(out, &st) == 0) {
        DIR *dd = S_ISDIR(st.st_mode) ? opendir(out) : NULL;
        struct dirent *e;
        bool empty = dd != NULL;
        while (dd && (e = readdir(dd))) if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = false;
        if (dd) closedir(dd);
        if (!empty) { snprintf(err, err_len, "--out %s: expected a new or empty directory, found one that exists; nothing was changed", out); goto out; }
        replace_empty = true;
    }
    char tmp[SWEEP_PATH_MAX];
    {
        size_t len = strlen(out);
        while (len > 1 && out[len - 1] == '/') len--;
        const char *slash = memrchr(out, '/', len);
        int plen = slash ? (int)(slash - out) + 1 : 0;
        snprintf(tmp, sizeof tmp, "%.*s.%.*s.tmp-XXXXXX", plen, out, (int)len - plen, out + plen);
    }
    if (!mkdtemp(tmp)) { snprintf(err, err_len, "--out %s: cannot make a temporary directory beside it: %s", out, strerror(errno)); rc = SIM_EIO; goto out; }
    chmod(tmp, 0755);
    cJSON_DeleteItemFromObjectCaseSensitive(first, "shard");
    char *t = cJSON_Print(first);
    char p[SWEEP_PATH_MAX];
    snprintf(p, sizeof p, "%s/sweep.json", tmp);
    size_t tl = t ? strlen(t) : 0;
    char *tn = t ? realloc(t, tl + 2) : NULL;
    if (!tn) { free(t); exp_remove_tree(tmp); rc = SIM_EIO; goto out; }
    tn[tl] = '\n';
    tn[tl + 1] = 0;
    rc = write_atomic(p, tn, err, err_len);
    free(tn);
    if (rc == SIM_OK) rc = finish(tmp, first, lines, err, err_len, note, note_len);
    if (rc == SIM_OK && ((replace_empty && rmdir(out) != 0) || rename(tmp, out) != 0)) {
        snprintf(err, err_len, "--out %s: cannot move the merged sweep into place: %s", out, strerror(errno));
        rc = SIM_EIO;
    }
    if (rc != SIM_OK) exp_remove_tree(tmp);
out:
    for (uint64_t k = 0; lines && k < g.n_runs; k++) cJSON_Delete(lines[k]);
    free(lines);
    free(seen);
    free(id0);
    cJSON_Delete(first);
    return rc;
}
