/* cond.c -- evaluating conditions after each event.
 *
 * States are read from the core's views each time; happenings latch as their trace
 * records pass; summary numbers come from writing the live summary and reading one
 * path of it, which is why they are looked up at most once per COND_METRIC_EVERY_NS.
 * The summary is parsed with cJSON here rather than reached into directly, so any
 * number a student sees in `dsim run --json` can be waited for by the same name.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "run/cond.h"

const char *const cond_kind_names[] = {
    "time", "role", "crashed", "paused", "isolated", "partitioned", "delivered", "dropped",
    "op", "violation", "metric", "all", "any", "not", NULL,
};
const char *const cond_cmp_names[] = {"<", "<=", "==", "!=", ">=", ">", NULL};

void cond_arm(cond_t *c)
{
    for (uint32_t i = 0; i < c->count; i++) {
        c->n[i].latched = false;
        c->n[i].metric_known = false;
    }
    c->metric_at_ns = -1;
}

static bool node_match(uint32_t want, uint32_t got) { return want == COND_ANY_NODE || want == got; }

void cond_observe(cond_t *c, const trace_rec_t *r)
{
    for (uint32_t i = 0; i < c->count; i++) {
        cond_node_t *n = &c->n[i];
        if (n->latched) continue;
        switch ((cond_kind_t)n->kind) {
        case COND_DELIVERED:
            n->latched = r->kind == TR_DELIVER && (n->type < 0 || n->type == r->type) &&
                         node_match(n->node, r->a) && node_match(n->node2, r->b);
            break;
        case COND_DROPPED:
            n->latched = r->kind == TR_DROP && (n->type < 0 || n->type == r->type) &&
                         (n->reason < 0 || n->reason == r->reason) && node_match(n->node, r->a) &&
                         node_match(n->node2, r->b);
            break;
        case COND_OP:
            n->latched = r->kind == TR_COMPLETE && n->reason == r->reason && (n->type < 0 || n->type == r->type) &&
                         node_match(n->node, r->a);
            break;
        case COND_VIOLATION:
            n->latched = r->kind == TR_VIOLATION && (!n->path[0] || (r->text && strcmp(r->text, n->path) == 0));
            break;
        default:
            break;
        }
    }
}

/* ---- Summary numbers. -------------------------------------------------------------- */

static const cJSON *path_step(const cJSON *j, const char **p)
{
    const char *s = *p;
    if (*s == '[') {
        char *end;
        long k = strtol(s + 1, &end, 10);
        if (end == s + 1 || *end != ']' || k < 0) return NULL;
        *p = end + 1;
        return cJSON_IsArray(j) ? cJSON_GetArrayItem(j, (int)k) : NULL;
    }
    char key[COND_PATH_MAX];
    size_t n = 0;
    while (s[n] && s[n] != '.' && s[n] != '[' && n + 1 < sizeof key) { key[n] = s[n]; n++; }
    key[n] = 0;
    *p = s + n;
    return cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, key) : NULL;
}

static int lookup(const cJSON *root, const char *path, double *out)
{
    const cJSON *j = root;
    const char *p = path;
    while (j && *p) {
        if (*p == '.') p++;
        j = path_step(j, &p);
    }
    if (!j) return SIM_ENOTFOUND;
    if (cJSON_IsNumber(j)) { *out = j->valuedouble; return SIM_OK; }
    if (cJSON_IsBool(j)) { *out = cJSON_IsTrue(j) ? 1 : 0; return SIM_OK; }
    return SIM_ENOTFOUND;
}

static cJSON *summary_of(sim_t *s)
{
    jw_t w;
    jw_init(&w, false);
    sim_write_summary(s, &w, 0);
    cJSON *j = cJSON_Parse(w.buf);
    jw_free(&w);
    return j;
}

int cond_metric(sim_t *s, const char *path, double *out)
{
    cJSON *j = summary_of(s);
    int rc = j ? lookup(j, path, out) : SIM_ENOMEM;
    cJSON_Delete(j);
    return rc;
}

sim_time_t cond_next_time(const cond_t *c, sim_time_t now)
{
    sim_time_t best = -1;
    for (uint32_t i = 0; i < c->count; i++)
        if (c->n[i].kind == COND_TIME && c->n[i].at_ns > now && (best < 0 || c->n[i].at_ns < best)) best = c->n[i].at_ns;
    return best;
}

bool cond_has_metric(const cond_t *c)
{
    for (uint32_t i = 0; i < c->count; i++)
        if (c->n[i].kind == COND_METRIC) return true;
    return false;
}

static void refresh_metrics(cond_t *c, sim_t *s)
{
    sim_time_t now = sim_time(s);
    if (c->metric_at_ns >= 0 && now - c->metric_at_ns < COND_METRIC_EVERY_NS) return;
    c->metric_at_ns = now;
    cJSON *j = summary_of(s);
    for (uint32_t i = 0; i < c->count; i++) {
        cond_node_t *n = &c->n[i];
        if (n->kind != COND_METRIC) continue;
        n->metric_known = j && lookup(j, n->path, &n->value_now) == SIM_OK;
    }
    cJSON_Delete(j);
}

static bool compare(double a, cond_cmp_t cmp, double b)
{
    switch (cmp) {
    case COND_LT: return a < b;
    case COND_LE: return a <= b;
    case COND_EQ: return a == b;
    case COND_NE: return a != b;
    case COND_GE: return a >= b;
    case COND_GT: return a > b;
    default: return false;
    }
}

/* ---- States. ------------------------------------------------------------------------- */

/* Whether node (or any node of the range) satisfies pred. */
static bool any_node(const sim_t *s, uint32_t node, bool servers_only, bool (*pred)(const sim_node_info_t *, const cond_node_t *),
                     const cond_node_t *n)
{
    sim_node_info_t ni;
    if (node != COND_ANY_NODE) {
        if (node >= sim_n_nodes(s)) return false;
        sim_node_info(s, node, &ni);
        return pred(&ni, n);
    }
    uint32_t end = servers_only ? sim_n_servers(s) : sim_n_nodes(s);
    for (uint32_t i = 0; i < end; i++) {
        sim_node_info(s, i, &ni);
        if (pred(&ni, n)) return true;
    }
    return false;
}

static bool has_role(const sim_node_info_t *ni, const cond_node_t *n)
{
    return ni->up && (int)ni->role == n->type;
}
static bool is_down(const sim_node_info_t *ni, const cond_node_t *n) { (void)n; return !ni->up; }
static bool is_paused(const sim_node_info_t *ni, const cond_node_t *n) { (void)n; return ni->up && ni->paused; }
static bool is_isolated(const sim_node_info_t *ni, const cond_node_t *n) { (void)n; return ni->isolated; }

static bool eval(cond_t *c, uint32_t i, sim_t *s)
{
    cond_node_t *n = &c->n[i];
    switch ((cond_kind_t)n->kind) {
    case COND_TIME: return sim_time(s) >= n->at_ns;
    case COND_ROLE: return any_node(s, n->node, true, has_role, n);
    case COND_CRASHED: return any_node(s, n->node, true, is_down, n);
    case COND_PAUSED: return any_node(s, n->node, false, is_paused, n);
    case COND_ISOLATED: return any_node(s, n->node, true, is_isolated, n);
    case COND_PARTITIONED: return sim_partitioned(s) == (n->value != 0);
    case COND_DELIVERED: case COND_DROPPED: case COND_OP: case COND_VIOLATION: return n->latched;
    case COND_METRIC:
        refresh_metrics(c, s);
        return n->metric_known && compare(n->value_now, (cond_cmp_t)n->cmp, n->value);
    case COND_ALL:
        for (uint8_t k = 0; k < n->n_kids; k++)
            if (!eval(c, n->kid[k], s)) return false;
        return true;
    case COND_ANY:
        for (uint8_t k = 0; k < n->n_kids; k++)
            if (eval(c, n->kid[k], s)) return true;
        return false;
    case COND_NOT: return n->n_kids == 1 && !eval(c, n->kid[0], s);
    default: return false;
    }
}

bool cond_holds(cond_t *c, sim_t *s)
{
    return c->count > 0 && eval(c, 0, s);
}

/* ---- Writing. ------------------------------------------------------------------------ */

static void knode(jw_t *w, const sim_t *s, const char *key, uint32_t node)
{
    if (node == COND_ANY_NODE) return;
    sim_node_info_t ni;
    sim_node_info(s, node, &ni);
    jw_kstr(w, key, ni.name);
}

static void write_node(const sim_t *s, const cond_t *c, uint32_t i, jw_t *w)
{
    const cond_node_t *n = &c->n[i];
    char b[32];
    jw_obj_begin(w);
    switch ((cond_kind_t)n->kind) {
    case COND_TIME: jw_kstr(w, "time", sim_format_duration(n->at_ns, b, sizeof b)); break;
    case COND_ROLE: jw_kstr(w, "role", sim_role_name(s, (unsigned)n->type)); knode(w, s, "node", n->node); break;
    case COND_CRASHED: case COND_PAUSED: case COND_ISOLATED:
        if (n->node == COND_ANY_NODE) jw_kstr(w, cond_kind_names[n->kind], "any");
        else knode(w, s, cond_kind_names[n->kind], n->node);
        break;
    case COND_PARTITIONED: jw_kbool(w, "partitioned", n->value != 0); break;
    case COND_DELIVERED: case COND_DROPPED:
        jw_kstr(w, cond_kind_names[n->kind], n->type < 0 ? "any" : sim_msg_type_name(s, (unsigned)n->type));
        knode(w, s, "from", n->node);
        knode(w, s, "to", n->node2);
        if (n->kind == COND_DROPPED && n->reason >= 0) jw_kstr(w, "reason", drop_reason_names[n->reason]);
        break;
    case COND_OP:
        jw_kstr(w, "op", hist_type_names[n->reason]);
        if (n->type >= 0) jw_kstr(w, "f", sim_op_names[n->type]);
        knode(w, s, "client", n->node);
        break;
    case COND_VIOLATION:
        if (n->path[0]) jw_kstr(w, "violation", n->path);
        else jw_kbool(w, "violation", true);
        break;
    case COND_METRIC:
        jw_kstr(w, "metric", n->path);
        jw_kreal(w, cond_cmp_names[n->cmp], n->value);
        break;
    case COND_ALL: case COND_ANY:
        jw_key(w, cond_kind_names[n->kind]);
        jw_arr_begin(w);
        for (uint8_t k = 0; k < n->n_kids; k++) write_node(s, c, n->kid[k], w);
        jw_arr_end(w);
        break;
    case COND_NOT:
        jw_key(w, "not");
        if (n->n_kids) write_node(s, c, n->kid[0], w);
        else jw_null(w);
        break;
    default: break;
    }
    jw_obj_end(w);
}

void cond_write_json(const sim_t *s, const cond_t *c, jw_t *w)
{
    if (!c->count) { jw_null(w); return; }
    write_node(s, c, 0, w);
}
