/* cond_load.c -- conditions from JSON.
 *
 * A condition object has exactly one key that says what it is ("role", "crashed",
 * "metric", ...) and a few that qualify it ("node", "from", "reason", ">="). The kind
 * key is found first, so a misspelt one gets a suggestion among the kinds and a
 * qualifier that does not belong gets a suggestion among that kind's keys.
 */
#include <stdio.h>
#include <string.h>
#include "scenario/cond_load.h"

static const char *const kind_keys[][8] = {
    [COND_TIME] = {"time", NULL},
    [COND_ROLE] = {"role", "node", NULL},
    [COND_CRASHED] = {"crashed", NULL},
    [COND_PAUSED] = {"paused", NULL},
    [COND_ISOLATED] = {"isolated", NULL},
    [COND_PARTITIONED] = {"partitioned", NULL},
    [COND_DELIVERED] = {"delivered", "from", "to", NULL},
    [COND_DROPPED] = {"dropped", "from", "to", "reason", NULL},
    [COND_OP] = {"op", "f", "client", NULL},
    [COND_VIOLATION] = {"violation", NULL},
    [COND_METRIC] = {"metric", "<", "<=", "==", "!=", ">=", ">", NULL},
    [COND_ALL] = {"all", NULL},
    [COND_ANY] = {"any", NULL},
    [COND_NOT] = {"not", NULL},
};
static const char *const outcome_names[] = {"ok", "fail", "info", NULL};

static int index_of(const char *const *names, const char *s)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], s) == 0) return i;
    return -1;
}

/* "any" or a node name; servers_only refuses clients. */
static uint32_t node_or_any(ld_t *L, const cJSON *v, const char *jpath, bool clients_ok)
{
    if (cJSON_IsString(v) && strcmp(v->valuestring, "any") == 0) return COND_ANY_NODE;
    return ld_as_node(L, v, jpath, clients_ok);
}

static uint32_t opt_node(ld_t *L, const cJSON *obj, const char *key, const char *jpath, bool clients_ok)
{
    const cJSON *v = ld_get(obj, key);
    if (!v) return COND_ANY_NODE;
    char p[JPATH_MAX];
    ld_child(p, jpath, key);
    return node_or_any(L, v, p, clients_ok);
}

/* A message type of the scenario's protocol (or "any"): its global type id, or -1. */
static int16_t msg_type(ld_t *L, const cJSON *v, const char *jpath)
{
    const char *name = ld_as_string(L, v, jpath, "a message type name or \"any\"");
    if (strcmp(name, "any") == 0) return -1;
    int t = proto_msg_type(L->s->proto, name);
    if (t >= 0) return (int16_t)t;
    const char *cands[SIM_MSG_TYPES_MAX + 1];
    int n = 0;
    cands[n++] = "request";
    cands[n++] = "reply";
    for (int i = 0; L->s->proto->msg_types && L->s->proto->msg_types[i] && n < SIM_MSG_TYPES_MAX; i++)
        cands[n++] = L->s->proto->msg_types[i];
    cands[n] = NULL;
    ld_unknown_name(L, jpath, "message type", name, cands);
}

static uint32_t load_node(ld_t *L, const cJSON *v, const char *jpath, cond_t *c);

static void load_kids(ld_t *L, const cJSON *v, const char *jpath, cond_t *c, uint32_t at)
{
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0) ld_expected(L, jpath, "a non-empty list of conditions", v);
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        char p[JPATH_MAX];
        ld_elem(p, jpath, i);
        uint32_t k = load_node(L, e, p, c);
        cond_node_t *n = &c->n[at];
        n->kid[n->n_kids++] = (uint8_t)k;
    }
}

static uint32_t load_node(ld_t *L, const cJSON *v, const char *jpath, cond_t *c)
{
    if (!cJSON_IsObject(v)) ld_expected(L, jpath, "a condition object such as {\"role\": \"leader\"}", v);
    if (c->count == COND_NODES_MAX)
        ld_fail(L, jpath, "a condition may have at most COND_NODES_MAX (%d) parts", COND_NODES_MAX);
    /* The kind: the one key that names one. */
    int kind = -1;
    for (const cJSON *k = v->child; k && kind < 0; k = k->next) kind = index_of(cond_kind_names, k->string);
    if (kind < 0) {
        if (v->child) {
            char p[JPATH_MAX];
            ld_child(p, jpath, v->child->string);
            ld_unknown_name(L, p, "condition", v->child->string, cond_kind_names);
        }
        ld_fail(L, jpath, "expected a condition (one of: time, role, crashed, paused, isolated, partitioned, "
                          "delivered, dropped, op, violation, metric, all, any, not), found {}");
    }
    ld_check_keys(L, v, jpath, kind_keys[kind]);
    uint32_t at = c->count++;
    cond_node_t *n = &c->n[at];
    memset(n, 0, sizeof *n);
    n->kind = (uint8_t)kind;
    n->node = n->node2 = COND_ANY_NODE;
    n->type = n->reason = -1;
    const cJSON *x = ld_get(v, cond_kind_names[kind]);
    char p[JPATH_MAX];
    ld_child(p, jpath, cond_kind_names[kind]);
    switch ((cond_kind_t)kind) {
    case COND_TIME:
        n->at_ns = ld_as_duration(L, x, p, false);
        break;
    case COND_ROLE: {
        const char *r = ld_as_string(L, x, p, "a role name such as \"leader\"");
        int ri = index_of(sim_role_names, r);
        if (ri <= 0) ld_unknown_name(L, p, "role", r, sim_role_names + 1);
        n->type = (int16_t)ri;
        n->node = opt_node(L, v, "node", jpath, false);
        break;
    }
    case COND_CRASHED: case COND_ISOLATED:
        n->node = node_or_any(L, x, p, false);
        break;
    case COND_PAUSED:
        n->node = node_or_any(L, x, p, true);
        break;
    case COND_PARTITIONED:
        n->value = ld_as_bool(L, x, p) ? 1 : 0;
        break;
    case COND_DELIVERED: case COND_DROPPED:
        n->type = msg_type(L, x, p);
        n->node = opt_node(L, v, "from", jpath, true);
        n->node2 = opt_node(L, v, "to", jpath, true);
        if (kind == COND_DROPPED && ld_get(v, "reason")) {
            char q[JPATH_MAX];
            ld_child(q, jpath, "reason");
            const char *r = ld_as_string(L, ld_get(v, "reason"), q, "a drop reason");
            int ri = index_of(drop_reason_names, r);
            if (ri < 0) ld_unknown_name(L, q, "drop reason", r, drop_reason_names);
            n->reason = (int16_t)ri;
        }
        break;
    case COND_OP: {
        const char *o = ld_as_string(L, x, p, "an outcome: \"ok\", \"fail\" or \"info\"");
        int oi = index_of(outcome_names, o);
        if (oi < 0) ld_unknown_name(L, p, "outcome", o, outcome_names);
        n->reason = (int16_t)(oi + 1);               /* hist_type_t: HIST_OK is 1 */
        if (ld_get(v, "f")) {
            char q[JPATH_MAX];
            ld_child(q, jpath, "f");
            const char *f = ld_as_string(L, ld_get(v, "f"), q, "an operation such as \"read\"");
            int fi = index_of(sim_op_names, f);
            if (fi < 0) ld_unknown_name(L, q, "operation", f, sim_op_names);
            n->type = (int16_t)fi;
        }
        if (ld_get(v, "client")) {
            n->node = opt_node(L, v, "client", jpath, true);
            if (n->node != COND_ANY_NODE && n->node < L->s->n_servers) {
                char q[JPATH_MAX];
                ld_child(q, jpath, "client");
                ld_expected(L, q, "a client name such as \"c1\"", ld_get(v, "client"));
            }
        }
        break;
    }
    case COND_VIOLATION:
        if (cJSON_IsBool(x)) {
            if (!cJSON_IsTrue(x)) ld_expected(L, p, "true or an invariant's name (use {\"not\": ...} for none)", x);
        } else {
            const char *name = ld_as_string(L, x, p, "true or an invariant's name");
            if (strlen(name) >= sizeof n->path) ld_fail(L, p, "an invariant's name is at most %zu characters", sizeof n->path - 1);
            snprintf(n->path, sizeof n->path, "%s", name);
        }
        break;
    case COND_METRIC: {
        const char *path = ld_as_string(L, x, p, "a path into the summary such as \"stale_reads.stale\"");
        if (!path[0] || strlen(path) >= sizeof n->path)
            ld_expected(L, p, "a path of 1 to 95 characters such as \"stale_reads.stale\"", x);
        snprintf(n->path, sizeof n->path, "%s", path);
        int cmp = -1;
        for (const cJSON *k = v->child; k; k = k->next) {
            int ci = index_of(cond_cmp_names, k->string);
            if (ci < 0) continue;
            char q[JPATH_MAX];
            ld_child(q, jpath, k->string);
            if (cmp >= 0) ld_fail(L, q, "a metric takes one comparison, found a second");
            cmp = ci;
            n->value = ld_as_number(L, k, q, -1e300, 1e300, "a number");
        }
        if (cmp < 0) ld_fail(L, jpath, "a metric needs one comparison: \"<\", \"<=\", \"==\", \"!=\", \">=\" or \">\" with a number");
        n->cmp = (uint8_t)cmp;
        break;
    }
    case COND_ALL: case COND_ANY:
        load_kids(L, x, p, c, at);
        break;
    case COND_NOT: {
        uint32_t k = load_node(L, x, p, c);
        c->n[at].kid[0] = (uint8_t)k;
        c->n[at].n_kids = 1;
        break;
    }
    default:
        break;
    }
    return at;
}

void cond_load(ld_t *L, const cJSON *v, const char *jpath, cond_t *out)
{
    memset(out, 0, sizeof *out);
    out->metric_at_ns = -1;
    load_node(L, v, jpath, out);
}

int cond_parse(const char *json, const char *file, const scn_t *scn, cond_t *out, char *err, size_t err_len)
{
    ld_t L = {0};
    L.s = (scn_t *)scn;              /* read only: node names and the protocol */
    L.path = file;
    L.err = err;
    L.err_len = err_len;
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_Parse(json);
    if (!root) { snprintf(err, err_len, "%s: not valid JSON", file); return SIM_EINPUT; }
    L.root = root;
    if (setjmp(L.fail)) {
        cJSON_Delete(root);
        memset(out, 0, sizeof *out);
        return SIM_EINPUT;
    }
    cond_load(&L, root, "$", out);
    cJSON_Delete(root);
    return SIM_OK;
}
