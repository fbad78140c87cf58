/* scenario.c -- reading and checking scenario files.
 *
 * The loader walks the JSON with the path of every value in hand ("$.faults[2].at"),
 * so any mistake can be reported where it is. The first mistake ends the load: a
 * longjmp back to scn_load_string, which frees everything the scenario had allocated
 * (all of it is recorded in scn_t.allocs). One clear message beats a cascade.
 *
 * Everything is resolved to numbers here: node names to ids, message types to type
 * ids, protocol parameters into the protocol's config struct.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "check/lincheck.h"
#include "scenario/cond_load.h"
#include "scenario/scenario.h"
#include "scenario/ld.h"
#include "proto/plugin.h"



/* ---- Allocation, recorded for scn_free. ---------------------------------------- */

static void *ld_alloc(ld_t *L, size_t n, size_t size)
{
    scn_t *s = L->s;
    if (s->n_allocs == s->cap_allocs) {
        s->cap_allocs = s->cap_allocs ? 2 * s->cap_allocs : 32;
        s->allocs = sim_xrealloc(s->allocs, s->cap_allocs * sizeof *s->allocs);
    }
    void *p = sim_xcalloc(n ? n : 1, size ? size : 1);
    s->allocs[s->n_allocs++] = p;
    return p;
}

static char *ld_strdup(ld_t *L, const char *str)
{
    size_t n = strlen(str) + 1;
    char *p = ld_alloc(L, n, 1);
    memcpy(p, str, n);
    return p;
}

void scn_free(scn_t *s)
{
    for (uint32_t i = 0; i < s->n_allocs; i++) free(s->allocs[i]);
    free(s->allocs);
    memset(s, 0, sizeof *s);
}

/* ---- Messages. ----------------------------------------------------------------- */

static void describe_found(const cJSON *v, char *buf, size_t len)
{
    if (!v) { snprintf(buf, len, "nothing"); return; }
    char *text = cJSON_PrintUnformatted(v);
    if (!text) { snprintf(buf, len, "a value"); return; }
    if (strlen(text) > 60) snprintf(buf, len, "%.57s...", text);
    else snprintf(buf, len, "%s", text);
    cJSON_free(text);
}

void ld_fail(ld_t *L, const char *jpath, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (jpath) snprintf(L->err, L->err_len, "%s: %s: %s", L->path, jpath, msg);
    else snprintf(L->err, L->err_len, "%s: %s", L->path, msg);
    longjmp(L->fail, 1);
}

void ld_expected(ld_t *L, const char *jpath, const char *what, const cJSON *found)
{
    char f[80];
    describe_found(found, f, sizeof f);
    ld_fail(L, jpath, "expected %s, found %s", what, f);
}

void ld_child(char *out, const char *jpath, const char *key) { snprintf(out, JPATH_MAX, "%s.%s", jpath, key); }
void ld_elem(char *out, const char *jpath, int i) { snprintf(out, JPATH_MAX, "%s[%d]", jpath, i); }

/* ---- Suggestions. -------------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *scn_suggest(const char *word, const char *const *cands)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, len = strlen(word);
    for (int i = 0; cands[i]; i++) {
        size_t d = edit_distance(word, cands[i]);
        if (d < best_d) { best_d = d; best = cands[i]; }
    }
    /* A typo is at most a third of the word's letters (and at least one). */
    size_t limit = len / 3 > 1 ? len / 3 : 1;
    if (len >= 4 && limit < 2) limit = 2;
    return best && best_d <= limit ? best : NULL;
}

void ld_unknown_name(ld_t *L, const char *jpath, const char *what, const char *name, const char *const *cands)
{
    const char *s = scn_suggest(name, cands);
    char list[256] = "";
    size_t at = 0;
    for (int i = 0; cands[i] && at + 1 < sizeof list; i++) {
        int w = snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", cands[i]);
        if (w < 0 || (size_t)w >= sizeof list - at) { snprintf(list + sizeof list - 5, 5, "..."); break; }
        at += (size_t)w;
    }
    if (s) ld_fail(L, jpath, "unknown %s \"%s\"; did you mean \"%s\"?", what, name, s);
    ld_fail(L, jpath, "unknown %s \"%s\"; expected one of: %s", what, name, list);
}

/* Every key of obj must be in allowed; a duplicate key is a mistake too. */
void ld_check_keys(ld_t *L, const cJSON *obj, const char *jpath, const char *const *allowed)
{
    for (const cJSON *k = obj->child; k; k = k->next) {
        bool ok = false;
        for (int i = 0; allowed[i] && !ok; i++) ok = strcmp(k->string, allowed[i]) == 0;
        char p[JPATH_MAX];
        ld_child(p, jpath, k->string);
        if (!ok) ld_unknown_name(L, p, "key", k->string, allowed);
        for (const cJSON *d = k->next; d; d = d->next)
            if (strcmp(d->string, k->string) == 0) ld_fail(L, p, "the key \"%s\" appears twice", k->string);
    }
}

/* ---- Typed getters. ------------------------------------------------------------ */

const cJSON *ld_get(const cJSON *obj, const char *key) { return cJSON_GetObjectItemCaseSensitive(obj, key); }

sim_time_t ld_as_duration(ld_t *L, const cJSON *v, const char *jpath, bool signed_ok)
{
    sim_time_t t;
    if (!cJSON_IsString(v) || sim_parse_duration(v->valuestring, signed_ok, &t) != SIM_OK)
        ld_expected(L, jpath, signed_ok ? "a duration such as \"150ms\" or \"-2s\"" : "a duration such as \"150ms\"", v);
    return t;
}

static sim_time_t opt_duration(ld_t *L, const cJSON *obj, const char *key, const char *jpath, sim_time_t def)
{
    const cJSON *v = ld_get(obj, key);
    char p[JPATH_MAX];
    ld_child(p, jpath, key);
    return v ? ld_as_duration(L, v, p, false) : def;
}

double ld_as_number(ld_t *L, const cJSON *v, const char *jpath, double lo, double hi, const char *what)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= lo && v->valuedouble <= hi)) ld_expected(L, jpath, what, v);
    return v->valuedouble;
}

static double opt_number(ld_t *L, const cJSON *obj, const char *key, const char *jpath,
                         double lo, double hi, const char *what, double def)
{
    const cJSON *v = ld_get(obj, key);
    char p[JPATH_MAX];
    ld_child(p, jpath, key);
    return v ? ld_as_number(L, v, p, lo, hi, what) : def;
}

int64_t ld_as_int(ld_t *L, const cJSON *v, const char *jpath, double lo, double hi, const char *what)
{
    double d = ld_as_number(L, v, jpath, lo, hi, what);
    if (d != floor(d)) ld_expected(L, jpath, what, v);
    return (int64_t)d;
}

bool ld_as_bool(ld_t *L, const cJSON *v, const char *jpath)
{
    if (!cJSON_IsBool(v)) ld_expected(L, jpath, "true or false", v);
    return cJSON_IsTrue(v);
}

static bool opt_bool(ld_t *L, const cJSON *obj, const char *key, const char *jpath, bool def)
{
    const cJSON *v = ld_get(obj, key);
    char p[JPATH_MAX];
    ld_child(p, jpath, key);
    return v ? ld_as_bool(L, v, p) : def;
}

const char *ld_as_string(ld_t *L, const cJSON *v, const char *jpath, const char *what)
{
    if (!cJSON_IsString(v)) ld_expected(L, jpath, what, v);
    return v->valuestring;
}

uint32_t ld_as_node(ld_t *L, const cJSON *v, const char *jpath, bool clients_ok)
{
    const char *name = ld_as_string(L, v, jpath, "a node name such as \"n1\"");
    uint32_t id;
    if (scn_node_id(L->s, name, &id) != SIM_OK || (!clients_ok && id >= L->s->n_servers)) {
        /* Suggest among the first few hundred names: enough for any hand-written file. */
        uint32_t n = L->s->n_servers + (clients_ok ? L->s->wl.clients : 0);
        if (n > 256) n = 256;
        char (*names)[SIM_NAME_MAX] = ld_alloc(L, n + 1, SIM_NAME_MAX);
        const char **cands = ld_alloc(L, n + 1, sizeof *cands);
        for (uint32_t i = 0; i < n; i++) { scn_node_name(L->s, i, names[i], SIM_NAME_MAX); cands[i] = names[i]; }
        cands[n] = NULL;
        ld_unknown_name(L, jpath, clients_ok ? "node" : "server node", name, cands);
    }
    return id;
}

/* ---- Distributions. ------------------------------------------------------------ */

static const char *const dist_keys[][6] = {
    [DIST_CONSTANT] = {"value"},
    [DIST_UNIFORM] = {"min", "max"},
    [DIST_NORMAL] = {"mean", "sd"},
    [DIST_EXPONENTIAL] = {"mean"},
    [DIST_LOGNORMAL] = {"median", "sigma"},
    [DIST_PARETO] = {"xm", "alpha"},
    [DIST_MIXTURE] = {"of"},
};

static void parse_dist(ld_t *L, const cJSON *v, const char *jpath, dist_t *d, bool weighted, double *weight)
{
    memset(d, 0, sizeof *d);
    if (cJSON_IsString(v) && !weighted) {
        d->kind = DIST_CONSTANT;
        d->a = (double)ld_as_duration(L, v, jpath, false);
        return;
    }
    if (!cJSON_IsObject(v))
        ld_expected(L, jpath, "a duration such as \"5ms\" or a distribution such as {\"dist\": \"exponential\", \"mean\": \"2ms\"}", v);
    char p[JPATH_MAX];
    ld_child(p, jpath, "dist");
    const cJSON *kind = ld_get(v, "dist");
    if (!kind) ld_fail(L, jpath, "expected a \"dist\" key naming the distribution (constant, uniform, normal, exponential, lognormal, pareto, mixture)");
    const char *kname = ld_as_string(L, kind, p, "a distribution name such as \"uniform\"");
    if (dist_kind_parse(kname, &d->kind) != SIM_OK) ld_unknown_name(L, p, "distribution", kname, dist_kind_names);
    const char *allowed[10] = {"dist", "offset"};
    int na = 2;
    if (weighted) allowed[na++] = "weight";
    for (int i = 0; i < 6 && dist_keys[d->kind][i]; i++) allowed[na++] = dist_keys[d->kind][i];
    allowed[na] = NULL;
    ld_check_keys(L, v, jpath, allowed);
    if (weighted) {
        ld_child(p, jpath, "weight");
        const cJSON *w = ld_get(v, "weight");
        if (!w) ld_fail(L, jpath, "expected a \"weight\" between 0 and 1 for this part of the mixture");
        *weight = ld_as_number(L, w, p, 0, 1, "a weight between 0 and 1");
    }
    d->offset_ns = opt_duration(L, v, "offset", jpath, 0);
    /* Required fields, by kind. */
    const char *const *keys = dist_keys[d->kind];
    for (int i = 0; i < 6 && keys[i]; i++)
        if (!ld_get(v, keys[i])) ld_fail(L, jpath, "a %s distribution needs \"%s\"", kname, keys[i]);
    switch (d->kind) {
    case DIST_CONSTANT: d->a = (double)opt_duration(L, v, "value", jpath, 0); break;
    case DIST_UNIFORM:
        d->a = (double)opt_duration(L, v, "min", jpath, 0);
        d->b = (double)opt_duration(L, v, "max", jpath, 0);
        if (d->b < d->a) { ld_child(p, jpath, "max"); ld_expected(L, p, "a max at least the min", ld_get(v, "max")); }
        break;
    case DIST_NORMAL:
        d->a = (double)opt_duration(L, v, "mean", jpath, 0);
        d->b = (double)opt_duration(L, v, "sd", jpath, 0);
        break;
    case DIST_EXPONENTIAL:
        d->a = (double)opt_duration(L, v, "mean", jpath, 0);
        if (d->a <= 0) { ld_child(p, jpath, "mean"); ld_expected(L, p, "a mean above zero", ld_get(v, "mean")); }
        break;
    case DIST_LOGNORMAL:
        d->a = (double)opt_duration(L, v, "median", jpath, 0);
        d->b = opt_number(L, v, "sigma", jpath, 0, 10, "a sigma between 0 and 10", 0);
        if (d->a <= 0) { ld_child(p, jpath, "median"); ld_expected(L, p, "a median above zero", ld_get(v, "median")); }
        break;
    case DIST_PARETO:
        d->a = (double)opt_duration(L, v, "xm", jpath, 0);
        d->b = opt_number(L, v, "alpha", jpath, 1e-3, 1e3, "an alpha between 0.001 and 1000", 1);
        if (d->a <= 0) { ld_child(p, jpath, "xm"); ld_expected(L, p, "an xm above zero", ld_get(v, "xm")); }
        break;
    case DIST_MIXTURE: {
        ld_child(p, jpath, "of");
        const cJSON *of = ld_get(v, "of");
        int n = cJSON_GetArraySize(of);
        if (!cJSON_IsArray(of) || n < 1 || n > DIST_MIXTURE_MAX)
            ld_expected(L, p, "a list of 1 to 8 weighted distributions", of);
        d->n = n;
        d->part = ld_alloc(L, (size_t)n, sizeof *d->part);
        double sum = 0;
        int i = 0;
        for (const cJSON *e = of->child; e; e = e->next, i++) {
            char q[JPATH_MAX];
            ld_elem(q, p, i);
            parse_dist(L, e, q, &d->part[i], true, &d->weight[i]);
            sum += d->weight[i];
        }
        if (fabs(sum - 1.0) > 1e-6) ld_fail(L, p, "expected mixture weights summing to 1, found a sum of %g", sum);
        break;
    }
    }
}

/* ---- Network parameters. ------------------------------------------------------- */

static double parse_bandwidth(ld_t *L, const cJSON *v, const char *jpath)
{
    static const struct { const char *unit; double scale; } u[] = {
        {"bps", 1}, {"kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9},
    };
    const char *what = "a bandwidth such as \"100Mbps\" (bps, kbps, Mbps, Gbps)";
    if (!cJSON_IsString(v)) ld_expected(L, jpath, what, v);
    char *end;
    errno = 0;
    double x = strtod(v->valuestring, &end);
    if (end == v->valuestring || errno || !(x > 0) || !isfinite(x)) ld_expected(L, jpath, what, v);
    for (size_t i = 0; i < SIM_ARRAY_LEN(u); i++)
        if (strcmp(end, u[i].unit) == 0) return x * u[i].scale;
    ld_expected(L, jpath, what, v);
}

static const char *const net_keys[] = {"latency", "loss", "duplicate", "bandwidth", "fifo", "type_latency", "links", NULL};
static const char *const link_keys[] = {"from", "to", "oneway", "latency", "loss", "duplicate", "bandwidth", "fifo", "type_latency", NULL};

/* Reads the link-parameter fields of obj into spec, setting its mask. */
static void parse_net_fields(ld_t *L, const cJSON *obj, const char *jpath, net_params_t *spec)
{
    char p[JPATH_MAX];
    const cJSON *v;
    if ((v = ld_get(obj, "latency"))) { ld_child(p, jpath, "latency"); parse_dist(L, v, p, &spec->latency, false, NULL); spec->mask |= NET_F_LATENCY; }
    if ((v = ld_get(obj, "loss"))) { ld_child(p, jpath, "loss"); spec->loss = ld_as_number(L, v, p, 0, 1, "a probability between 0 and 1"); spec->mask |= NET_F_LOSS; }
    if ((v = ld_get(obj, "duplicate"))) { ld_child(p, jpath, "duplicate"); spec->duplicate = ld_as_number(L, v, p, 0, 1, "a probability between 0 and 1"); spec->mask |= NET_F_DUPLICATE; }
    if ((v = ld_get(obj, "bandwidth"))) { ld_child(p, jpath, "bandwidth"); spec->bandwidth_bps = parse_bandwidth(L, v, p); spec->mask |= NET_F_BANDWIDTH; }
    if ((v = ld_get(obj, "fifo"))) { ld_child(p, jpath, "fifo"); spec->fifo = ld_as_bool(L, v, p); spec->mask |= NET_F_FIFO; }
    if ((v = ld_get(obj, "type_latency"))) {
        ld_child(p, jpath, "type_latency");
        if (!cJSON_IsObject(v)) ld_expected(L, p, "an object from message type to latency, such as {\"append\": \"5ms\"}", v);
        const proto_t *pr = L->s->proto;
        for (const cJSON *t = v->child; t; t = t->next) {
            char q[JPATH_MAX];
            ld_child(q, p, t->string);
            int id = proto_msg_type(pr, t->string);
            if (id < 0) {
                const char *cands[SIM_MSG_TYPES_MAX + 3] = {"request", "reply"};
                int n = 2;
                for (int i = 0; pr->msg_types && pr->msg_types[i] && n < SIM_MSG_TYPES_MAX; i++) cands[n++] = pr->msg_types[i];
                cands[n] = NULL;
                ld_unknown_name(L, q, "message type", t->string, cands);
            }
            if (spec->n_type_latency == NET_TYPE_LATENCY_MAX) ld_fail(L, p, "at most %d message types can have their own latency", NET_TYPE_LATENCY_MAX);
            spec->type_latency_type[spec->n_type_latency] = (uint16_t)id;
            parse_dist(L, t, q, &spec->type_latency[spec->n_type_latency], false, NULL);
            spec->n_type_latency++;
        }
        spec->mask |= NET_F_TYPE_LATENCY;
    }
}

static void parse_network(ld_t *L, const cJSON *v)
{
    scn_t *s = L->s;
    s->net.latency = dist_constant(SIM_MS);
    if (!v) return;
    const char *jp = "$.network";
    if (!cJSON_IsObject(v)) ld_expected(L, jp, "an object with latency, loss, duplicate, links...", v);
    ld_check_keys(L, v, jp, net_keys);
    parse_net_fields(L, v, jp, &s->net);
    const cJSON *links = ld_get(v, "links");
    if (!links) return;
    if (!cJSON_IsArray(links)) ld_expected(L, "$.network.links", "a list of link overrides such as {\"from\": \"n1\", \"to\": \"n2\", \"latency\": \"80ms\"}", links);
    int n = cJSON_GetArraySize(links);
    if (n > SIM_LINK_OVERRIDES_MAX / 2) ld_fail(L, "$.network.links", "more than %d link overrides", SIM_LINK_OVERRIDES_MAX / 2);
    s->links = ld_alloc(L, (size_t)n, sizeof *s->links);
    int i = 0;
    for (const cJSON *e = links->child; e; e = e->next, i++) {
        char p[JPATH_MAX], q[JPATH_MAX];
        ld_elem(p, "$.network.links", i);
        if (!cJSON_IsObject(e)) ld_expected(L, p, "a link override such as {\"from\": \"n1\", \"to\": \"n2\", \"latency\": \"80ms\"}", e);
        ld_check_keys(L, e, p, link_keys);
        scn_link_t *l = &s->links[i];
        ld_child(q, p, "from");
        if (!ld_get(e, "from")) ld_fail(L, p, "expected \"from\" and \"to\" naming the link's ends");
        l->from = ld_as_node(L, ld_get(e, "from"), q, true);
        ld_child(q, p, "to");
        if (!ld_get(e, "to")) ld_fail(L, p, "expected \"from\" and \"to\" naming the link's ends");
        l->to = ld_as_node(L, ld_get(e, "to"), q, true);
        if (l->from == l->to) ld_fail(L, q, "a link joins two different nodes");
        l->oneway = opt_bool(L, e, "oneway", p, false);
        parse_net_fields(L, e, p, &l->spec);
    }
    s->n_links = (uint32_t)n;
}

/* ---- Nodes and topology. ------------------------------------------------------- */

void scn_node_name(const scn_t *s, uint32_t id, char *buf, size_t len)
{
    if (id < s->n_servers) {
        if (s->nodes) snprintf(buf, len, "%s", s->nodes[id].name);
        else snprintf(buf, len, "n%u", id + 1);
    } else {
        snprintf(buf, len, "c%u", id - s->n_servers + 1);
    }
}

static bool parse_counted(const char *name, char prefix, uint32_t max, uint32_t *out)
{
    if (name[0] != prefix || !isdigit((unsigned char)name[1]) || name[1] == '0') return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(name + 1, &end, 10);
    if (*end || errno || v < 1 || v > max) return false;
    *out = (uint32_t)v - 1;
    return true;
}

int scn_node_id(const scn_t *s, const char *name, uint32_t *id)
{
    uint32_t k;
    if (parse_counted(name, 'c', s->wl.clients, &k)) { *id = s->n_servers + k; return SIM_OK; }
    if (!s->nodes) {
        if (parse_counted(name, 'n', s->n_servers, &k)) { *id = k; return SIM_OK; }
        return SIM_ENOTFOUND;
    }
    for (uint32_t i = 0; i < s->n_servers; i++)
        if (strcmp(s->nodes[i].name, name) == 0) { *id = i; return SIM_OK; }
    return SIM_ENOTFOUND;
}

static const char *const node_keys[] = {"name", "x", "y", "clock_skew", "clock_drift", "joined", NULL};

static void parse_nodes(ld_t *L, const cJSON *v)
{
    scn_t *s = L->s;
    const char *jp = "$.nodes";
    const char *what = "a number of nodes such as 5, or a list of names such as [\"a\", \"b\"]";
    if (!v) ld_fail(L, NULL, "expected a \"nodes\" key: a count such as 5 or a list of names");
    if (cJSON_IsNumber(v)) {
        s->n_servers = (uint32_t)ld_as_int(L, v, jp, 1, SIM_NODES_MAX - SIM_CLIENTS_MAX,
                                        "a whole number of nodes, at least 1 (and at most 4193280)");
        return;
    }
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1) ld_expected(L, jp, what, v);
    int n = cJSON_GetArraySize(v);
    if (n > 65536) ld_fail(L, jp, "more than 65536 named nodes; use a count for large clusters");
    s->n_servers = (uint32_t)n;
    s->nodes = ld_alloc(L, (size_t)n, sizeof *s->nodes);
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        char p[JPATH_MAX], q[JPATH_MAX];
        ld_elem(p, jp, i);
        scn_node_t *nd = &s->nodes[i];
        const cJSON *name = e;
        if (cJSON_IsObject(e)) {
            ld_check_keys(L, e, p, node_keys);
            name = ld_get(e, "name");
            if (!name) ld_fail(L, p, "expected a \"name\" for this node");
            ld_child(q, p, "name");
        } else {
            snprintf(q, sizeof q, "%s", p);
        }
        const char *nm = ld_as_string(L, name, q, "a node name such as \"n1\"");
        size_t len = strlen(nm);
        bool ok = len > 0 && len < SIM_NAME_MAX;
        for (size_t k = 0; k < len && ok; k++) ok = isalnum((unsigned char)nm[k]) || strchr("_-.", nm[k]);
        if (!ok) ld_expected(L, q, "a name of 1 to 31 letters, digits, '_', '-' or '.'", name);
        if (nm[0] == 'c' && isdigit((unsigned char)nm[1]))
            ld_fail(L, q, "the names c1, c2, ... are kept for clients; choose another name than \"%s\"", nm);
        for (int k = 0; k < i; k++)
            if (strcmp(s->nodes[k].name, nm) == 0) ld_fail(L, q, "the node name \"%s\" is used twice", nm);
        snprintf(nd->name, sizeof nd->name, "%s", nm);
        if (cJSON_IsObject(e)) {
            const cJSON *x = ld_get(e, "x"), *y = ld_get(e, "y");
            if ((x != NULL) != (y != NULL)) ld_fail(L, p, "expected both \"x\" and \"y\" for a position, or neither");
            if (x) {
                ld_child(q, p, "x");
                nd->x = ld_as_number(L, x, q, 0, 1, "a position between 0 and 1");
                ld_child(q, p, "y");
                nd->y = ld_as_number(L, y, q, 0, 1, "a position between 0 and 1");
                nd->has_pos = true;
            }
            const cJSON *sk = ld_get(e, "clock_skew");
            if (sk) { ld_child(q, p, "clock_skew"); nd->skew_ns = ld_as_duration(L, sk, q, true); }
            nd->drift = opt_number(L, e, "clock_drift", p, -0.5, 0.5, "a drift between -0.5 and 0.5 (0.001 is 0.1% fast)", 0);
            nd->absent = !opt_bool(L, e, "joined", p, true);
        }
    }
}

static const char *const topo_keys[] = {"kind", "width", "arity", "center", "edges", NULL};

static void parse_topology(ld_t *L, const cJSON *v)
{
    scn_t *s = L->s;
    const char *jp = "$.topology";
    s->topo.kind = TOPO_MESH;
    if (!v) return;
    const cJSON *kind = v;
    char p[JPATH_MAX];
    snprintf(p, sizeof p, "%s", jp);
    if (cJSON_IsObject(v)) {
        ld_check_keys(L, v, jp, topo_keys);
        kind = ld_get(v, "kind");
        if (!kind) ld_fail(L, jp, "expected a \"kind\": mesh, ring, line, star, grid, tree or edges");
        ld_child(p, jp, "kind");
    }
    const char *k = ld_as_string(L, kind, p, "a topology: \"mesh\", \"ring\", \"line\", \"star\", \"grid\", \"tree\" or {\"kind\": \"edges\", ...}");
    int found = -1;
    for (int i = 0; topo_kind_names[i]; i++) if (strcmp(k, topo_kind_names[i]) == 0) found = i;
    if (found < 0) ld_unknown_name(L, p, "topology", k, topo_kind_names);
    s->topo.kind = (topo_kind_t)found;
    if (!cJSON_IsObject(v)) {
        if (s->topo.kind == TOPO_EDGES) ld_fail(L, jp, "an \"edges\" topology is written {\"kind\": \"edges\", \"edges\": [[\"n1\", \"n2\"], ...]}");
        return;
    }
    s->topo.width = (uint32_t)(ld_get(v, "width") ? (ld_child(p, jp, "width"), ld_as_int(L, ld_get(v, "width"), p, 1, 1e7, "a grid width of at least 1")) : 0);
    s->topo.arity = (uint32_t)(ld_get(v, "arity") ? (ld_child(p, jp, "arity"), ld_as_int(L, ld_get(v, "arity"), p, 1, 1e6, "a tree arity of at least 1")) : 2);
    if (ld_get(v, "center")) { ld_child(p, jp, "center"); s->topo.center = ld_as_node(L, ld_get(v, "center"), p, false); }
    const cJSON *edges = ld_get(v, "edges");
    if (s->topo.kind == TOPO_EDGES) {
        ld_child(p, jp, "edges");
        if (!cJSON_IsArray(edges)) ld_expected(L, p, "a list of pairs such as [[\"n1\", \"n2\"], [\"n2\", \"n3\"]]", edges);
        int n = cJSON_GetArraySize(edges);
        s->topo.edges = ld_alloc(L, (size_t)n, sizeof *s->topo.edges);
        int i = 0;
        for (const cJSON *e = edges->child; e; e = e->next, i++) {
            char q[JPATH_MAX], r[JPATH_MAX];
            ld_elem(q, p, i);
            if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2) ld_expected(L, q, "a pair of node names such as [\"n1\", \"n2\"]", e);
            ld_elem(r, q, 0);
            s->topo.edges[i][0] = ld_as_node(L, cJSON_GetArrayItem(e, 0), r, false);
            ld_elem(r, q, 1);
            s->topo.edges[i][1] = ld_as_node(L, cJSON_GetArrayItem(e, 1), r, false);
            if (s->topo.edges[i][0] == s->topo.edges[i][1]) ld_fail(L, q, "an edge joins two different nodes");
        }
        s->topo.n_edges = (uint32_t)n;
    } else if (edges) {
        ld_child(p, jp, "edges");
        ld_fail(L, p, "\"edges\" belongs to {\"kind\": \"edges\"} topologies only");
    }
}

/* ---- Protocol and parameters. -------------------------------------------------- */

static void parse_param(ld_t *L, const proto_param_t *pp, const cJSON *v, const char *jpath, void *cfg)
{
    char *at = (char *)cfg + pp->offset;
    char what[160];
    bool ranged = pp->min <= pp->max;
    switch (pp->type) {
    case PROTO_PARAM_INT: {
        if (ranged) snprintf(what, sizeof what, "a whole number from %.0f to %.0f", pp->min, pp->max);
        else snprintf(what, sizeof what, "a whole number");
        int64_t x = ld_as_int(L, v, jpath, ranged ? pp->min : -9e15, ranged ? pp->max : 9e15, what);
        memcpy(at, &x, sizeof x);
        break;
    }
    case PROTO_PARAM_REAL: {
        if (ranged) snprintf(what, sizeof what, "a number from %g to %g", pp->min, pp->max);
        else snprintf(what, sizeof what, "a number");
        double x = ld_as_number(L, v, jpath, ranged ? pp->min : -1e300, ranged ? pp->max : 1e300, what);
        memcpy(at, &x, sizeof x);
        break;
    }
    case PROTO_PARAM_DURATION: {
        sim_time_t x = ld_as_duration(L, v, jpath, false);
        if (ranged && ((double)x < pp->min || (double)x > pp->max)) {
            char lo[32], hi[32];
            snprintf(what, sizeof what, "a duration from %s to %s",
                     sim_format_duration((sim_time_t)pp->min, lo, sizeof lo), sim_format_duration((sim_time_t)pp->max, hi, sizeof hi));
            ld_expected(L, jpath, what, v);
        }
        memcpy(at, &x, sizeof x);
        break;
    }
    case PROTO_PARAM_DURATION_RANGE: {
        const char *w = "a range of two durations such as [\"150ms\", \"300ms\"]";
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2) ld_expected(L, jpath, w, v);
        char q[JPATH_MAX];
        sim_time_t x[2];
        ld_elem(q, jpath, 0);
        x[0] = ld_as_duration(L, cJSON_GetArrayItem(v, 0), q, false);
        ld_elem(q, jpath, 1);
        x[1] = ld_as_duration(L, cJSON_GetArrayItem(v, 1), q, false);
        if (x[1] < x[0]) ld_fail(L, q, "expected the second duration to be at least the first");
        memcpy(at, x, sizeof x);
        break;
    }
    case PROTO_PARAM_BOOL: {
        bool x = ld_as_bool(L, v, jpath);
        memcpy(at, &x, sizeof x);
        break;
    }
    case PROTO_PARAM_ENUM: {
        char choices[256];
        snprintf(choices, sizeof choices, "%s", pp->choices);
        const char *cands[32];
        int n = 0;
        for (char *tok = strtok(choices, "|"); tok && n < 31; tok = strtok(NULL, "|")) cands[n++] = tok;
        cands[n] = NULL;
        snprintf(what, sizeof what, "one of %s", pp->choices);
        const char *x = ld_as_string(L, v, jpath, what);
        int found = -1;
        for (int i = 0; i < n; i++) if (strcmp(cands[i], x) == 0) found = i;
        if (found < 0) ld_unknown_name(L, jpath, "value", x, cands);
        memcpy(at, &found, sizeof found);
        break;
    }
    case PROTO_PARAM_PATH: {
        /* Relative to the scenario's folder, as a person reads the file; "" stays "". */
        const char *x = ld_as_string(L, v, jpath, "the path of a file");
        const char *slash = strrchr(L->path, '/');
        int n;
        if (!x[0] || x[0] == '/' || !slash) n = snprintf(at, PROTO_PARAM_TEXT_MAX, "%s", x);
        else n = snprintf(at, PROTO_PARAM_TEXT_MAX, "%.*s/%s", (int)(slash - L->path), L->path, x);
        if (n >= PROTO_PARAM_TEXT_MAX) ld_fail(L, jpath, "expected a path shorter than %d bytes", PROTO_PARAM_TEXT_MAX);
        break;
    }
    case PROTO_PARAM_STRINGS: {
        const char *w = "a list of strings such as [\"--verbose\"]";
        if (!cJSON_IsArray(v)) ld_expected(L, jpath, w, v);
        size_t used = 0;
        int i = 0;
        memset(at, 0, PROTO_PARAM_TEXT_MAX);
        for (const cJSON *e = v->child; e; e = e->next, i++) {
            char q[JPATH_MAX];
            ld_elem(q, jpath, i);
            const char *x = ld_as_string(L, e, q, "a string");
            size_t len = strlen(x) + 1;
            if (used + len + 1 > PROTO_PARAM_TEXT_MAX) ld_fail(L, q, "expected the strings to fit in %d bytes", PROTO_PARAM_TEXT_MAX);
            memcpy(at + used, x, len);
            used += len;
        }
        break;
    }
    }
}

/* "plugin": "myraft.so", relative to the scenario's folder (as a person reads the
 * file), loaded and registered now: the rest of the file may use its parameters. */
static const proto_t *parse_plugin(ld_t *L, const cJSON *v)
{
    if (!v) return NULL;
    const char *f = ld_as_string(L, v, "$.protocol.plugin", "the path of a shared library such as \"myraft.so\"");
    char path[PATH_MAX], err[1024];
    const char *slash = strrchr(L->path, '/');
    if (f[0] == '/' || !slash) snprintf(path, sizeof path, "%s", f);
    else snprintf(path, sizeof path, "%.*s/%s", (int)(slash - L->path), L->path, f);
    const proto_t *p = plugin_load(path, err, sizeof err);
    if (!p) ld_fail(L, "$.protocol.plugin", "%s", err);
    return p;
}

static void parse_protocol(ld_t *L, const cJSON *v)
{
    scn_t *s = L->s;
    const char *jp = "$.protocol";
    if (!v) ld_fail(L, NULL, "expected a \"protocol\" key, such as \"protocol\": {\"name\": \"gossip\"}");
    const cJSON *name = v, *params = NULL;
    char p[JPATH_MAX];
    snprintf(p, sizeof p, "%s", jp);
    const proto_t *plug = NULL;
    if (cJSON_IsObject(v)) {
        static const char *const keys[] = {"name", "params", "plugin", NULL};
        ld_check_keys(L, v, jp, keys);
        name = ld_get(v, "name");
        plug = parse_plugin(L, ld_get(v, "plugin"));
        if (!name && !plug) ld_fail(L, jp, "expected a \"name\" naming the protocol, or a \"plugin\" naming its shared library");
        ld_child(p, jp, "name");
        params = ld_get(v, "params");
    }
    const char *nm = plug ? plug->name : ld_as_string(L, name, p, "a protocol name such as \"gossip\"");
    if (plug && name && strcmp(ld_as_string(L, name, p, "the plug-in's protocol name"), nm) != 0)
        ld_fail(L, p, "the plug-in is protocol \"%s\", not \"%s\" (or leave \"name\" out)", nm, name->valuestring);
    s->proto = plug ? plug : proto_find(nm);
    const char *names[64];
    int n = 0;
    for (uint32_t i = 0; i < proto_count() && n < 63; i++) names[n++] = proto_at(i)->name;
    names[n] = NULL;
    if (!s->proto) ld_unknown_name(L, p, "protocol", nm, names);
    if (s->proto->version < 1 || s->proto->version > PROTO_VERSION)
        ld_fail(L, p, "protocol %s was written for interface version %d; this dsim supports 1 to %d", nm, s->proto->version, PROTO_VERSION);
    s->proto_config = ld_alloc(L, 1, s->proto->config_size);
    const proto_param_t *pp = s->proto->params;
    char pjp[JPATH_MAX];
    ld_child(pjp, jp, "params");
    if (params && !cJSON_IsObject(params)) ld_expected(L, pjp, "an object of protocol parameters", params);
    if (params) {
        const char *keys[64];
        int k = 0;
        for (int i = 0; pp && pp[i].name && k < 63; i++) keys[k++] = pp[i].name;
        keys[k] = NULL;
        for (const cJSON *e = params->child; e; e = e->next) {
            bool ok = false;
            for (int i = 0; i < k && !ok; i++) ok = strcmp(keys[i], e->string) == 0;
            char q[JPATH_MAX];
            ld_child(q, pjp, e->string);
            if (!ok) {
                if (k == 0) ld_fail(L, q, "protocol %s takes no parameters", nm);
                ld_unknown_name(L, q, "parameter", e->string, keys);
            }
            for (const cJSON *d = e->next; d; d = d->next)
                if (strcmp(d->string, e->string) == 0) ld_fail(L, q, "the key \"%s\" appears twice", e->string);
        }
    }
    for (int i = 0; pp && pp[i].name; i++) {
        const cJSON *val = params ? ld_get(params, pp[i].name) : NULL;
        char q[JPATH_MAX];
        ld_child(q, pjp, pp[i].name);
        if (val) { parse_param(L, &pp[i], val, q, s->proto_config); continue; }
        /* Defaults are written as in a file; a bare word such as push is a string. A
         * default that does not parse is the protocol's bug, and is reported as such. */
        L->tmp = cJSON_ParseWithOpts(pp[i].def, NULL, 1);
        if (!L->tmp) L->tmp = cJSON_CreateString(pp[i].def);
        char dpath[JPATH_MAX];
        snprintf(dpath, sizeof dpath, "%s (the default of protocol %s)", q, nm);
        parse_param(L, &pp[i], L->tmp, dpath, s->proto_config);
        cJSON_Delete(L->tmp);
        L->tmp = NULL;
    }
    if (s->proto->configure) {
        char msg[256] = "";
        proto_env_t env = {s->n_servers, s->wl.clients, s->wl.keys ? s->wl.keys : 1};
        if (plugin_configure(s->proto, s->proto_config, &env, msg, sizeof msg) != SIM_OK)
            ld_fail(L, params ? pjp : jp, "%s", msg[0] ? msg : "these parameters do not work together");
    }
}

/* ---- Workload. ----------------------------------------------------------------- */

static const char *const wl_keys[] = {
    "clients", "ops", "keys", "key_dist", "zipf_s", "rate", "think", "concurrency", "timeout",
    "retries", "retry_delay", "target", "start", "stop", "limit", "read_after_write", "t_visibility", "final_reads", NULL,
};

/* A list of up to VIS_T_MAX durations, such as ["0ms", "5ms", "50ms"]. */
static uint32_t parse_durations(ld_t *L, const cJSON *v, const char *jpath, sim_time_t *out)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) > VIS_T_MAX)
        ld_expected(L, jpath, "a list of 1 to 32 durations such as [\"0ms\", \"10ms\", \"100ms\"]", v);
    uint32_t n = 0;
    for (const cJSON *e = v->child; e; e = e->next) {
        char q[JPATH_MAX];
        ld_elem(q, jpath, (int)n);
        out[n++] = ld_as_duration(L, e, q, false);
    }
    return n;
}

static void parse_workload(ld_t *L, const cJSON *v)
{
    scn_t *s = L->s;
    scn_workload_t *w = &s->wl;
    const char *jp = "$.workload";
    if (!v) return;
    if (!cJSON_IsObject(v)) ld_expected(L, jp, "an object such as {\"clients\": 2, \"ops\": {\"read\": 0.5, \"write\": 0.5}, \"rate\": \"50/s\"}", v);
    ld_check_keys(L, v, jp, wl_keys);
    char p[JPATH_MAX];
    w->clients = ld_get(v, "clients") ? (uint32_t)ld_as_int(L, ld_get(v, "clients"), "$.workload.clients", 0, SIM_CLIENTS_MAX,
                                                     "a whole number of clients from 0 to 1024") : 1;
    const cJSON *ops = ld_get(v, "ops");
    ld_child(p, jp, "ops");
    if (!ops) ld_fail(L, jp, "expected \"ops\": the operation mix, such as {\"read\": 0.5, \"write\": 0.5}");
    if (!cJSON_IsObject(ops) || !ops->child) ld_expected(L, p, "the operation mix, such as {\"read\": 0.5, \"write\": 0.5}", ops);
    double sum = 0;
    for (const cJSON *e = ops->child; e; e = e->next) {
        char q[JPATH_MAX];
        ld_child(q, p, e->string);
        int f = -1;
        for (int i = 0; sim_op_names[i]; i++) if (strcmp(sim_op_names[i], e->string) == 0) f = i;
        if (f < 0) ld_unknown_name(L, q, "operation", e->string, sim_op_names);
        w->mix[f] = ld_as_number(L, e, q, 0, 1e9, "a weight of zero or more");
        sum += w->mix[f];
    }
    if (!(sum > 0)) ld_fail(L, p, "expected at least one operation with a weight above zero");
    for (int f = 0; f < SIM_OP_COUNT_; f++) w->mix[f] /= sum;
    w->keys = (uint32_t)opt_number(L, v, "keys", jp, 1, SIM_KEYS_MAX, "a number of keys from 1 to 1048576", 1);
    const cJSON *kd = ld_get(v, "key_dist");
    if (kd) {
        static const char *const kds[] = {"uniform", "zipf", NULL};
        ld_child(p, jp, "key_dist");
        const char *k = ld_as_string(L, kd, p, "\"uniform\" or \"zipf\"");
        if (strcmp(k, "uniform") == 0) w->key_dist = KEYS_UNIFORM;
        else if (strcmp(k, "zipf") == 0) w->key_dist = KEYS_ZIPF;
        else ld_unknown_name(L, p, "key distribution", k, kds);
    }
    w->zipf_s = opt_number(L, v, "zipf_s", jp, 0, 10, "a Zipf exponent between 0 and 10", 1.0);
    const cJSON *rate = ld_get(v, "rate"), *think = ld_get(v, "think");
    if (rate && think) ld_fail(L, jp, "expected either \"rate\" (open loop) or \"think\" (closed loop), not both");
    if (rate) {
        ld_child(p, jp, "rate");
        if (!cJSON_IsString(rate) || sim_parse_rate(rate->valuestring, &w->rate_per_s) != SIM_OK)
            ld_expected(L, p, "a rate such as \"50/s\"", rate);
    } else if (think) {
        w->closed = true;
        w->think_ns = opt_duration(L, v, "think", jp, 0);
    } else if (w->clients) {
        ld_fail(L, jp, "expected \"rate\" (open loop, such as \"50/s\") or \"think\" (closed loop, such as \"10ms\")");
    }
    /* Closed-loop clients are one process each by default; open-loop arrivals must not
     * wait for earlier operations, so they get room for 16 at once. */
    w->concurrency = (uint32_t)opt_number(L, v, "concurrency", jp, 1, SIM_CONCURRENCY_MAX, "a concurrency from 1 to 64",
                                          w->closed ? 1 : 16);
    w->timeout_ns = opt_duration(L, v, "timeout", jp, SIM_SEC);
    if (w->timeout_ns <= 0) ld_expected(L, "$.workload.timeout", "a timeout above zero", ld_get(v, "timeout"));
    w->retries = (uint32_t)opt_number(L, v, "retries", jp, 0, 1000, "a number of retries from 0 to 1000", 3);
    w->retry_delay_ns = opt_duration(L, v, "retry_delay", jp, 10 * SIM_MS);
    const cJSON *tg = ld_get(v, "target");
    if (tg) {
        ld_child(p, jp, "target");
        const char *t = ld_as_string(L, tg, p, "\"sticky\", \"random\" or a server's name");
        if (strcmp(t, "sticky") == 0) w->target = TARGET_STICKY;
        else if (strcmp(t, "random") == 0) w->target = TARGET_RANDOM;
        else { w->target = TARGET_NODE; w->target_node = ld_as_node(L, tg, p, false); }
    }
    w->start_ns = opt_duration(L, v, "start", jp, 0);
    w->stop_ns = opt_duration(L, v, "stop", jp, 0);
    if (w->stop_ns && w->stop_ns <= w->start_ns) ld_fail(L, "$.workload.stop", "expected stop after start");
    w->limit = (uint64_t)opt_number(L, v, "limit", jp, 0, 1e12, "a number of operations, 0 for no limit", 0);
    w->final_reads_ns = opt_duration(L, v, "final_reads", jp, 0);
    if (ld_get(v, "read_after_write")) w->n_probe = parse_durations(L, ld_get(v, "read_after_write"), "$.workload.read_after_write", w->probe_ns);
    if (ld_get(v, "t_visibility")) w->n_tvis = parse_durations(L, ld_get(v, "t_visibility"), "$.workload.t_visibility", w->tvis_ns);
    else { w->n_tvis = w->n_probe; memcpy(w->tvis_ns, w->probe_ns, sizeof w->probe_ns); }
}

/* ---- Faults. ------------------------------------------------------------------- */

static const char *const fault_actions[] = {
    "crash", "restart", "pause", "resume", "partition", "heal", "isolate", "link", "network", "clock", "drop", "request",
    "join", "leave", NULL,
};
static const char *const nemesis_keys[] = {
    "nemesis", "every", "duration", "mttf", "mttr", "at", "restart_after", "start", "stop", NULL,
};

/* Which timing keys each nemesis takes: required ones, then optional ones. */
static const struct { const char *need[2]; const char *optional[3]; } nemesis_timing[] = {
    [NEM_RANDOM_PARTITIONS] = {{"every", "duration"}, {NULL}},
    [NEM_RANDOM_CRASHES] = {{"mttf", "mttr"}, {NULL}},
    [NEM_CRASH_LEADER] = {{NULL}, {"at", "every", "restart_after"}},
    [NEM_ISOLATE_LEADER] = {{"duration"}, {"at", "every"}},
};

static void parse_nemesis(ld_t *L, const cJSON *e, const char *p, nemesis_spec_t *n)
{
    char q[JPATH_MAX];
    ld_check_keys(L, e, p, nemesis_keys);
    ld_child(q, p, "nemesis");
    const char *k = ld_as_string(L, ld_get(e, "nemesis"), q, "a nemesis name such as \"random-partitions\"");
    int found = -1;
    for (int i = 0; nem_kind_names[i]; i++) if (strcmp(nem_kind_names[i], k) == 0) found = i;
    if (found < 0) ld_unknown_name(L, q, "nemesis", k, nem_kind_names);
    n->kind = (nem_kind_t)found;
    n->start_ns = opt_duration(L, e, "start", p, 0);
    n->stop_ns = opt_duration(L, e, "stop", p, 0);
    if (n->stop_ns && n->stop_ns <= n->start_ns) { ld_child(q, p, "stop"); ld_fail(L, q, "expected stop after start"); }
    const char *const *need = nemesis_timing[n->kind].need, *const *opt = nemesis_timing[n->kind].optional;
    for (int i = 0; i < 2 && need[i]; i++)
        if (!ld_get(e, need[i])) ld_fail(L, p, "a %s nemesis needs \"%s\"", k, need[i]);
    static const char *const timing[] = {"every", "duration", "mttf", "mttr", "at", "restart_after", NULL};
    for (int t = 0; timing[t]; t++) {
        const cJSON *v = ld_get(e, timing[t]);
        if (!v) continue;
        bool ok = false;
        for (int i = 0; i < 2 && need[i]; i++) ok |= strcmp(need[i], timing[t]) == 0;
        for (int i = 0; i < 3 && opt[i]; i++) ok |= strcmp(opt[i], timing[t]) == 0;
        ld_child(q, p, timing[t]);
        if (!ok) ld_fail(L, q, "a %s nemesis does not take \"%s\"", k, timing[t]);
        sim_time_t x = ld_as_duration(L, v, q, false);
        if (x <= 0 && strcmp(timing[t], "at") != 0) ld_expected(L, q, "a duration above zero", v);
    }
    n->every_ns = opt_duration(L, e, "every", p, 0);
    n->duration_ns = opt_duration(L, e, "duration", p, 0);
    n->mttf_ns = opt_duration(L, e, "mttf", p, 0);
    n->mttr_ns = opt_duration(L, e, "mttr", p, 0);
    n->restart_after_ns = opt_duration(L, e, "restart_after", p, 0);
    n->at_ns = ld_get(e, "at") ? opt_duration(L, e, "at", p, 0) : -1;
    if (n->kind == NEM_CRASH_LEADER || n->kind == NEM_ISOLATE_LEADER) {
        if ((n->at_ns >= 0) == (ld_get(e, "every") != NULL))
            ld_fail(L, p, "a %s nemesis needs either \"at\" (once) or \"every\" (again and again)", k);
        if (n->at_ns > L->s->duration_ns) { ld_child(q, p, "at"); ld_fail(L, q, "expected a time within the run's duration"); }
    }
    if ((n->kind == NEM_RANDOM_PARTITIONS || (n->kind == NEM_ISOLATE_LEADER && n->every_ns)) && n->duration_ns >= n->every_ns) {
        ld_child(q, p, "duration");
        ld_fail(L, q, "expected a duration shorter than \"every\", so each partition heals before the next");
    }
}

static void parse_partition(ld_t *L, const cJSON *v, const char *p, sim_action_t *a)
{
    const char *what = "a list of groups of node names such as [[\"n1\", \"n2\"], [\"n3\"]]";
    if (!cJSON_IsArray(v)) ld_expected(L, p, what, v);
    int ng = cJSON_GetArraySize(v);
    if (ng < 1 || ng > SIM_GROUPS_MAX) ld_expected(L, p, "1 to 16 groups of node names", v);
    uint32_t total = 0;
    for (const cJSON *g = v->child; g; g = g->next) total += (uint32_t)cJSON_GetArraySize(g);
    a->members = ld_alloc(L, total, sizeof *a->members);
    a->groups = ld_alloc(L, total, 1);
    a->n_groups = (uint8_t)ng;
    uint32_t m = 0;
    int gi = 0;
    uint32_t n_nodes = L->s->n_servers + L->s->wl.clients;
    uint8_t *seen = ld_alloc(L, n_nodes, 1);
    for (const cJSON *g = v->child; g; g = g->next, gi++) {
        char q[JPATH_MAX];
        ld_elem(q, p, gi);
        if (!cJSON_IsArray(g) || cJSON_GetArraySize(g) < 1) ld_expected(L, q, "a non-empty list of node names", g);
        int k = 0;
        for (const cJSON *x = g->child; x; x = x->next, k++) {
            char r[JPATH_MAX];
            ld_elem(r, q, k);
            uint32_t id = ld_as_node(L, x, r, true);
            if (seen[id]) ld_fail(L, r, "node \"%s\" is in more than one group", x->valuestring);
            seen[id] = 1;
            a->members[m] = id;
            a->groups[m] = (uint8_t)(gi + 1);
            m++;
        }
    }
    a->n_members = m;
}

static void parse_request(ld_t *L, const cJSON *v, const char *p, sim_action_t *a)
{
    static const char *const keys[] = {"client", "node", "f", "key", "value", "value2", NULL};
    if (!cJSON_IsObject(v)) ld_expected(L, p, "a request such as {\"client\": \"c1\", \"node\": \"n1\", \"f\": \"write\", \"key\": 0, \"value\": 5}", v);
    ld_check_keys(L, v, p, keys);
    char q[JPATH_MAX];
    if (!L->s->wl.clients) ld_fail(L, p, "a request needs a workload with at least one client");
    ld_child(q, p, "client");
    a->node = ld_as_node(L, ld_get(v, "client"), q, true);
    if (a->node < L->s->n_servers) ld_fail(L, q, "expected a client such as \"c1\"");
    ld_child(q, p, "node");
    a->node2 = ld_as_node(L, ld_get(v, "node"), q, false);
    ld_child(q, p, "f");
    const char *f = ld_as_string(L, ld_get(v, "f"), q, "an operation such as \"write\"");
    int fi = -1;
    for (int i = 0; sim_op_names[i]; i++) if (strcmp(sim_op_names[i], f) == 0) fi = i;
    if (fi < 0) ld_unknown_name(L, q, "operation", f, sim_op_names);
    a->op_f = (uint8_t)fi;
    a->key = (uint32_t)opt_number(L, v, "key", p, 0, (L->s->wl.keys ? L->s->wl.keys : 1) - 1, "a key index within the workload's keys", 0);
    a->value = (int64_t)opt_number(L, v, "value", p, -9e15, 9e15, "an integer value", 0);
    a->value2 = (int64_t)opt_number(L, v, "value2", p, -9e15, 9e15, "an integer value", 0);
}

static void parse_faults(ld_t *L, const cJSON *v)
{
    scn_t *s = L->s;
    const char *jp = "$.faults";
    if (!v) return;
    if (!cJSON_IsArray(v)) ld_expected(L, jp, "a list of faults such as [{\"at\": \"5s\", \"crash\": \"n3\"}]", v);
    int n = cJSON_GetArraySize(v);
    s->faults = ld_alloc(L, (size_t)n, sizeof *s->faults);
    s->nemeses = ld_alloc(L, (size_t)n, sizeof *s->nemeses);
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        char p[JPATH_MAX];
        ld_elem(p, jp, i);
        if (!cJSON_IsObject(e)) ld_expected(L, p, "a fault such as {\"at\": \"5s\", \"crash\": \"n3\"} or {\"nemesis\": \"random-crashes\", ...}", e);
        if (ld_get(e, "nemesis")) {
            if (s->n_nemeses == SIM_NEMESES_MAX) ld_fail(L, p, "more than SIM_NEMESES_MAX (%d) nemeses", SIM_NEMESES_MAX);
            parse_nemesis(L, e, p, &s->nemeses[s->n_nemeses++]);
            continue;
        }
        if (s->n_faults == SIM_FAULTS_MAX) ld_fail(L, p, "more than SIM_FAULTS_MAX (%d) scheduled faults", SIM_FAULTS_MAX);
        ld_action(L, e, p, &s->faults[s->n_faults++], false);
    }
}

void ld_action(ld_t *L, const cJSON *e, const char *p, sim_action_t *a, bool now_ok)
{
    scn_t *s = L->s;
    char q[JPATH_MAX];
    if (!cJSON_IsObject(e)) ld_expected(L, p, "an action such as {\"at\": \"5s\", \"crash\": \"n3\"}", e);
    const char *allowed[24] = {"at", "oneway", "skew", "drift"};
    int na = 4;
    for (int k = 0; fault_actions[k]; k++) allowed[na++] = fault_actions[k];
    allowed[na] = NULL;
    ld_check_keys(L, e, p, allowed);
    const cJSON *at = ld_get(e, "at");
    ld_child(q, p, "at");
    if (!at && !now_ok) ld_fail(L, p, "expected \"at\": when the fault happens, such as \"5s\"");
    if (now_ok && (!at || (cJSON_IsString(at) && strcmp(at->valuestring, "now") == 0)))
        a->at_ns = -1;
    else if (now_ok && !(cJSON_IsString(at) && sim_parse_duration(at->valuestring, false, &a->at_ns) == SIM_OK))
        ld_expected(L, q, "\"now\" or a time such as \"5s\"", at);
    else if (!now_ok)
        a->at_ns = ld_as_duration(L, at, q, false);
    if (a->at_ns > s->duration_ns) {
        char d[32], what[96];
        snprintf(what, sizeof what, "a time within the run's duration (%s)", sim_format_duration(s->duration_ns, d, sizeof d));
        ld_expected(L, q, what, at);
    }
    int kind = -1;
    for (int k = 0; fault_actions[k]; k++) {
        if (!ld_get(e, fault_actions[k])) continue;
        if (kind >= 0) ld_fail(L, p, "expected one action per fault, found both \"%s\" and \"%s\"", fault_actions[kind], fault_actions[k]);
        kind = k;
    }
    if (kind < 0) ld_fail(L, p, "expected an action: one of crash, restart, pause, resume, partition, heal, isolate, link, network, clock, join, leave, request, drop");
    a->kind = (act_kind_t)kind;
    const cJSON *x = ld_get(e, fault_actions[kind]);
    ld_child(q, p, fault_actions[kind]);
    if (ld_get(e, "oneway") && a->kind != ACT_PARTITION) { ld_child(q, p, "oneway"); ld_fail(L, q, "\"oneway\" belongs to partitions (links take it inside \"link\")"); }
    if ((ld_get(e, "skew") || ld_get(e, "drift")) && a->kind != ACT_CLOCK) {
        ld_child(q, p, ld_get(e, "skew") ? "skew" : "drift");
        ld_fail(L, q, "\"skew\" and \"drift\" belong to clock faults");
    }
    switch (a->kind) {
    case ACT_CRASH: case ACT_RESTART: case ACT_PAUSE: case ACT_RESUME: case ACT_ISOLATE:
    case ACT_JOIN: case ACT_LEAVE:
        a->node = ld_as_node(L, x, q, false);
        break;
    case ACT_PARTITION:
        parse_partition(L, x, q, a);
        a->oneway = opt_bool(L, e, "oneway", p, false);
        break;
    case ACT_HEAL:
        if (!cJSON_IsTrue(x)) ld_expected(L, q, "true", x);
        break;
    case ACT_LINK: {
        static const char *const keys[] = {"from", "to", "oneway", "latency", "loss", "duplicate", "bandwidth", "fifo", "type_latency", NULL};
        if (!cJSON_IsObject(x)) ld_expected(L, q, "a link change such as {\"from\": \"n1\", \"to\": \"n2\", \"loss\": 0.5}", x);
        ld_check_keys(L, x, q, keys);
        char r[JPATH_MAX];
        ld_child(r, q, "from");
        a->node = ld_as_node(L, ld_get(x, "from"), r, true);
        ld_child(r, q, "to");
        a->node2 = ld_as_node(L, ld_get(x, "to"), r, true);
        a->oneway = opt_bool(L, x, "oneway", q, false);
        parse_net_fields(L, x, q, &a->net);
        break;
    }
    case ACT_NETWORK: {
        static const char *const keys[] = {"latency", "loss", "duplicate", "bandwidth", "fifo", "type_latency", NULL};
        if (!cJSON_IsObject(x)) ld_expected(L, q, "new default link parameters such as {\"loss\": 0.1}", x);
        ld_check_keys(L, x, q, keys);
        parse_net_fields(L, x, q, &a->net);
        break;
    }
    case ACT_CLOCK: {
        a->node = ld_as_node(L, x, q, false);
        const cJSON *sk = ld_get(e, "skew");
        if (sk) { ld_child(q, p, "skew"); a->skew_ns = ld_as_duration(L, sk, q, true); a->clock_mask |= CLOCK_F_SKEW; }
        if (ld_get(e, "drift")) { a->drift = opt_number(L, e, "drift", p, -0.5, 0.5, "a drift between -0.5 and 0.5", 0); a->clock_mask |= CLOCK_F_DRIFT; }
        if (!a->clock_mask) ld_fail(L, p, "a clock fault needs \"skew\" (such as \"-200ms\") or \"drift\" (such as 0.01)");
        break;
    }
    case ACT_DROP:
        a->msg_id = (uint64_t)ld_as_int(L, x, q, 1, 9e15, "a message id from the trace");
        break;
    case ACT_REQUEST:
        parse_request(L, x, q, a);
        break;
    case ACT_COUNT_:
        break;
    }
}

/* ---- The whole file. ----------------------------------------------------------- */

static const char *const top_keys[] = {
    "name", "description", "seed", "duration", "nodes", "topology", "protocol", "network",
    "workload", "faults", "invariants", "check", "view", NULL,
};

/* "view": {"speed": "50ms", "select": "n3"}: how the window opens on this scenario.
 * The speed's bounds are the window's (VIZ_SPEED_MIN_NS .. VIZ_SPEED_MAX_NS). */
static void parse_view(ld_t *L, const cJSON *v)
{
    if (!v) return;
    static const char *const keys[] = {"speed", "select", NULL};
    if (!cJSON_IsObject(v)) ld_expected(L, "$.view", "an object such as {\"speed\": \"50ms\", \"select\": \"n1\"}", v);
    ld_check_keys(L, v, "$.view", keys);
    const cJSON *sp = ld_get(v, "speed");
    if (sp) {
        sim_time_t t = ld_as_duration(L, sp, "$.view.speed", false);
        if (t < SIM_MS || t > 100 * SIM_SEC)
            ld_expected(L, "$.view.speed", "simulated time per real second from \"1ms\" to \"100s\"", sp);
        L->s->view_speed_ns = t;
    }
    const cJSON *sel = ld_get(v, "select");
    if (sel) {
        const char *name = ld_as_string(L, sel, "$.view.select", "a node's name such as \"n1\"");
        uint32_t id;
        if (scn_node_id(L->s, name, &id) != SIM_OK) ld_expected(L, "$.view.select", "the name of a node of this scenario", sel);
        L->s->view_selects = true;
        L->s->view_select = id;
    }
}

static void parse_check(ld_t *L, const cJSON *v)
{
    scn_check_t *c = &L->s->check;
    const char *jp = "$.check";
    c->linearizable = -1;
    c->steps_max = LIN_STEPS_RUN_DEFAULT;
    if (!v) return;
    static const char *const keys[] = {"linearizable", "convergence", "session", "set_full", "counter", "stale", "steps", "expect", NULL};
    if (!cJSON_IsObject(v)) ld_expected(L, jp, "an object such as {\"linearizable\": \"kv\", \"convergence\": true}", v);
    /* A wall-clock bound made the verdict depend on the machine's load; say what replaced it. */
    if (ld_get(v, "timeout"))
        ld_expected(L, "$.check.timeout", "no wall-clock bound (a run's verdict must depend on the scenario and seed "
                    "alone): bound the search by \"steps\", such as \"steps\": 100000000", ld_get(v, "timeout"));
    ld_check_keys(L, v, jp, keys);
    const cJSON *lin = ld_get(v, "linearizable");
    if (lin) {
        const char *m = ld_as_string(L, lin, "$.check.linearizable", "a model: register, cas-register, kv or counter");
        lin_model_t model;
        if (lin_model_parse(m, &model) != SIM_OK) ld_unknown_name(L, "$.check.linearizable", "model", m, lin_model_names);
        c->linearizable = (int)model;
    }
    c->convergence = opt_bool(L, v, "convergence", jp, false);
    c->session = opt_bool(L, v, "session", jp, false);
    c->set_full = opt_bool(L, v, "set_full", jp, false);
    c->counter = opt_bool(L, v, "counter", jp, false);
    c->stale = opt_bool(L, v, "stale", jp, false);
    const cJSON *steps = ld_get(v, "steps");
    if (steps) c->steps_max = (uint64_t)ld_as_int(L, steps, "$.check.steps", 1, 1e15, "a whole number of search steps from 1 to 1e15");
    /* Expectations are conditions checked once the run has ended; each is read here
     * (so a mistake is reported with its path before anything runs) and kept as text
     * for the run to read again against the finished simulation. */
    const cJSON *ex = ld_get(v, "expect");
    if (ex) {
        if (!cJSON_IsArray(ex))
            ld_expected(L, "$.check.expect", "a list of conditions such as [{\"metric\": \"log.lost_acked\", \"==\": 0}]", ex);
        if (cJSON_GetArraySize(ex) > SCN_EXPECT_MAX)
            ld_fail(L, "$.check.expect", "at most SCN_EXPECT_MAX (%d) expectations", SCN_EXPECT_MAX);
        int i = 0;
        for (const cJSON *e = ex->child; e; e = e->next, i++) {
            char jp2[48];
            snprintf(jp2, sizeof jp2, "$.check.expect[%d]", i);
            cond_load(L, e, jp2, ld_alloc(L, 1, sizeof(cond_t)));
            char *text = cJSON_PrintUnformatted(e);
            if (!text) ld_fail(L, jp2, "out of memory");
            c->expect[c->n_expect++] = ld_strdup(L, text);
            cJSON_free(text);
        }
    }
}

/* Line and column of a byte offset, for JSON syntax errors. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && text[i]; i++) {
        if (text[i] == '\n') { (*line)++; *col = 1; }
        else (*col)++;
    }
}

int scn_load_string(const char *json, const char *path, scn_t *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    ld_t L = {.s = out, .path = path, .err = err, .err_len = err_len};
    if (setjmp(L.fail)) {
        cJSON_Delete(L.tmp);
        cJSON_Delete(L.root);
        scn_free(out);
        return SIM_EINPUT;
    }
    out->path = ld_strdup(&L, path);
    const char *end = NULL;
    L.root = cJSON_ParseWithOpts(json, &end, 1);
    if (!L.root) {
        size_t off = end ? (size_t)(end - json) : 0;
        /* cJSON stops one past a closing bracket that follows a trailing comma; find
         * the comma itself, the usual mistake, and point at it. */
        size_t j = off;
        if (j > 0 && (json[j - 1] == '}' || json[j - 1] == ']')) j--;
        while (j > 0 && strchr(" \t\r\n", json[j - 1])) j--;
        int line, col;
        if (j > 0 && json[j - 1] == ',' && off > 0) {
            line_col(json, j - 1, &line, &col);
            ld_fail(&L, NULL, "line %d, column %d: invalid JSON: a trailing comma (remove the comma before the closing bracket)", line, col);
        }
        line_col(json, off, &line, &col);
        char near[24] = "";
        size_t k = 0;
        for (const char *c = json + off; *c && *c != '\n' && k < 16; c++) near[k++] = *c;
        near[k] = 0;
        if (!*(json + off)) ld_fail(&L, NULL, "line %d, column %d: invalid JSON: the file ends too early (an unclosed { or [ ?)", line, col);
        ld_fail(&L, NULL, "line %d, column %d: invalid JSON near \"%s\" (a missing comma or quote?)", line, col, near);
    }
    const cJSON *r = L.root;
    if (!cJSON_IsObject(r)) ld_expected(&L, "$", "a JSON object describing the scenario", r);
    ld_check_keys(&L, r, "$", top_keys);

    const cJSON *v;
    out->name = ld_strdup(&L, (v = ld_get(r, "name")) ? ld_as_string(&L, v, "$.name", "a name") : "unnamed");
    out->description = ld_strdup(&L, (v = ld_get(r, "description")) ? ld_as_string(&L, v, "$.description", "a description") : "");
    out->seed = (v = ld_get(r, "seed")) ? (uint64_t)ld_as_int(&L, v, "$.seed", 0, 9007199254740991.0, "a whole number from 0 to 2^53-1") : 1;
    if (!ld_get(r, "duration")) ld_fail(&L, NULL, "expected a \"duration\", such as \"30s\"");
    out->duration_ns = ld_as_duration(&L, ld_get(r, "duration"), "$.duration", false);
    if (out->duration_ns <= 0) ld_expected(&L, "$.duration", "a duration above zero", ld_get(r, "duration"));
    out->invariants = (v = ld_get(r, "invariants")) ? ld_as_bool(&L, v, "$.invariants") : true;

    /* Order matters: names need the node count and the client count; link overrides
     * need the protocol's message types. */
    parse_nodes(&L, ld_get(r, "nodes"));
    parse_workload(&L, ld_get(r, "workload"));
    if (out->n_servers + out->wl.clients > SIM_NODES_MAX)
        ld_fail(&L, "$.nodes", "more than SIM_NODES_MAX (%u) nodes and clients", SIM_NODES_MAX);
    parse_protocol(&L, ld_get(r, "protocol"));
    parse_topology(&L, ld_get(r, "topology"));
    parse_network(&L, ld_get(r, "network"));
    parse_faults(&L, ld_get(r, "faults"));
    parse_check(&L, ld_get(r, "check"));
    parse_view(&L, ld_get(r, "view"));
    if (out->wl.target == TARGET_NODE && out->wl.target_node >= out->n_servers)
        ld_fail(&L, "$.workload.target", "expected a server");

    /* A mesh too large to table cannot honour per-link settings. */
    uint64_t nn = (uint64_t)out->n_servers + out->wl.clients;
    if (out->topo.kind == TOPO_MESH && nn * (nn - 1) > SIM_LINKS_MAX) {
        if (out->n_links) ld_fail(&L, "$.network.links", "per-link overrides need at most %u directed links; this mesh has %llu",
                               SIM_LINKS_MAX, (unsigned long long)(nn * (nn - 1)));
        if (out->net.fifo || out->net.bandwidth_bps > 0)
            ld_fail(&L, "$.network", "\"fifo\" and \"bandwidth\" need at most %u directed links; this mesh has %llu",
                 SIM_LINKS_MAX, (unsigned long long)(nn * (nn - 1)));
    }
    cJSON_Delete(L.root);
    return SIM_OK;
}

const char *scn_share_dir;

int scn_load_file(const char *path, scn_t *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    /* An installed dsim finds "scenarios/echo.json" under its share folder too. */
    char shared[PATH_MAX];
    if (!f && errno == ENOENT && path[0] != '/' && scn_share_dir) {
        snprintf(shared, sizeof shared, "%s/%s", scn_share_dir, path);
        f = fopen(shared, "rb");
        if (f) path = shared;
        else errno = ENOENT;
    }
    if (!f) { snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno)); return SIM_EIO; }
    size_t cap = 1 << 16, len = 0;
    char *buf = sim_xcalloc(1, cap);
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= (64u << 20)) {
                fclose(f);
                free(buf);
                snprintf(err, err_len, "%s: larger than 64 MiB; a scenario is a small hand-written file", path);
                return SIM_EINPUT;
            }
            cap *= 2;
            buf = sim_xrealloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        if (n == 0) break;
        len += n;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno)); return SIM_EIO; }
    buf[len] = 0;
    if (strlen(buf) != len) { free(buf); snprintf(err, err_len, "%s: not a text file (it contains a NUL byte)", path); return SIM_EINPUT; }
    int rc = scn_load_string(buf, path, out, err, err_len);
    free(buf);
    return rc;
}
