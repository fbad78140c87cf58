/* kit.c -- the protocol test kit: a quiet cluster, and hands on its messages and timers.
 *
 * The kit is a thin layer over the public core (core/sim.h, core/action.h): listing is done with
 * sim_each_flight and sim_each_timer, out-of-turn delivery with sim_deliver_now and
 * sim_fire_timer, faults with sim_apply. It reaches inside (sim_int.h) for two things
 * only, so that tests need not: the layout of a reply's payload, and sending from an
 * arbitrary node. Every query copies into the caller's fixed array; the kit's only
 * allocations are the kit itself, its scenario, and scratch lists freed before return.
 * Nothing here is on a hot path: each call walks the whole queue, which is fine for
 * clusters a person can follow by hand.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "core/sim_int.h"
#include "kit/kit.h"

struct kit {
    sim_t *s;
    scn_t scn;
    bool own;                      /* the kit made s and scn */
    char err[256];
};

static int fail(kit_t *k, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(kit_t *k, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->err, sizeof k->err, fmt, ap);
    va_end(ap);
    return code;
}

static int ok(kit_t *k) { k->err[0] = '\0'; return SIM_OK; }

/* ---- Making and ending a cluster. ------------------------------------------------ */

static bool looks_like_json(const char *text)
{
    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r') text++;
    return *text == '{';
}

static int load(const char *scenario, scn_t *scn)
{
    char err[1024] = "";
    int rc = looks_like_json(scenario) ? scn_load_string(scenario, "(kit)", scn, err, sizeof err)
                                       : scn_load_file(scenario, scn, err, sizeof err);
    if (rc != SIM_OK) fprintf(stderr, "%s\n", err);
    return rc;
}

kit_t *kit_from_json(const char *scenario)
{
    if (!scenario) return NULL;
    kit_t *k = sim_xcalloc(1, sizeof *k);
    if (load(scenario, &k->scn) != SIM_OK) { free(k); return NULL; }
    char err[512] = "";
    k->s = sim_create(&k->scn, NULL, err, sizeof err);
    if (!k->s) {
        fprintf(stderr, "sim_create: %s\n", err);
        scn_free(&k->scn);
        free(k);
        return NULL;
    }
    k->own = true;
    return k;
}

kit_t *kit_create(const char *protocol, uint32_t servers, uint32_t clients, const char *params_json, uint64_t seed)
{
    if (!protocol) return NULL;
    /* Clients need a workload to exist; this one starts after the run ends. */
    char workload[160] = "";
    if (clients)
        snprintf(workload, sizeof workload,
                 ", \"workload\": {\"clients\": %u, \"ops\": {\"read\": 1}, \"rate\": \"1/m\", \"start\": \"2h\"}", clients);
    size_t cap = strlen(protocol) + (params_json ? strlen(params_json) : 2) + sizeof workload + 256;
    char *json = sim_xcalloc(1, cap);
    snprintf(json, cap,
             "{\"name\": \"kit\", \"seed\": %llu, \"duration\": \"1h\", \"nodes\": %u,"
             " \"protocol\": {\"name\": \"%s\", \"params\": %s}, \"network\": {\"latency\": \"1ms\"}%s}",
             (unsigned long long)seed, servers, protocol, params_json ? params_json : "{}", workload);
    kit_t *k = kit_from_json(json);
    free(json);
    return k;
}

kit_t *kit_wrap(sim_t *s)
{
    if (!s) return NULL;
    kit_t *k = sim_xcalloc(1, sizeof *k);
    k->s = s;
    return k;
}

void kit_destroy(kit_t *k)
{
    if (!k) return;
    if (k->own) {
        sim_destroy(k->s);
        scn_free(&k->scn);
    }
    free(k);
}

sim_t *kit_sim(kit_t *k) { return k->s; }
const char *kit_error(const kit_t *k) { return k->err; }

/* ---- Messages in flight. --------------------------------------------------------- */

/* A type name to its global index (0 request, 1 reply, then the protocol's), or -1
 * for NULL (any). Unknown names are an error. */
static int type_of(kit_t *k, const char *name, int *out)
{
    *out = -1;
    if (!name) return SIM_OK;
    unsigned n = sim_n_msg_types(k->s);
    for (unsigned t = 0; t < n; t++)
        if (strcmp(sim_msg_type_name(k->s, t), name) == 0) { *out = (int)t; return SIM_OK; }
    return fail(k, SIM_EINPUT, "protocol %s has no message type \"%s\"", sim_protocol(k->s)->name, name);
}

typedef struct gather {
    uint32_t from, to;
    int type;                      /* global index, or -1 */
    kit_flight_t *f;               /* every match, growing */
    int n, cap;
    const sim_t *s;
} gather_t;

static void gather_one(void *ud, const sim_flight_t *x)
{
    gather_t *g = ud;
    if ((g->from != KIT_ANY && x->from != g->from) || (g->to != KIT_ANY && x->to != g->to)) return;
    if (g->type >= 0 && x->type != (unsigned)g->type) return;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 64;
        g->f = sim_xrealloc(g->f, (size_t)g->cap * sizeof *g->f);
    }
    kit_flight_t *f = &g->f[g->n++];
    f->id = x->id;
    f->from = x->from;
    f->to = x->to;
    f->type = sim_msg_type_name(g->s, x->type);
    f->type_index = x->type >= SIM_MSG_BUILTIN ? (int)x->type - SIM_MSG_BUILTIN : -1;
    f->payload = x->payload;
    f->len = x->len;
    f->sent_ns = x->sent_ns;
    f->arrive_ns = x->arrive_ns;
    f->doomed = x->doomed >= 0;
    f->waiting = x->waiting;
}

/* Oldest send first; copies of one message (duplicates) by arrival. */
static int cmp_flight(const void *a, const void *b)
{
    const kit_flight_t *x = a, *y = b;
    if (x->id != y->id) return x->id < y->id ? -1 : 1;
    return (x->arrive_ns > y->arrive_ns) - (x->arrive_ns < y->arrive_ns);
}

/* Every match, sorted, in g->f (the caller frees it); or an error. */
static int gather(kit_t *k, uint32_t from, uint32_t to, const char *type, gather_t *g)
{
    memset(g, 0, sizeof *g);
    g->from = from;
    g->to = to;
    g->s = k->s;
    int rc = type_of(k, type, &g->type);
    if (rc != SIM_OK) return rc;
    sim_each_flight(k->s, gather_one, g);
    if (g->n > 1) qsort(g->f, (size_t)g->n, sizeof *g->f, cmp_flight);
    return SIM_OK;
}

int kit_flights(kit_t *k, uint32_t from, uint32_t to, const char *type, kit_flight_t *out, int max)
{
    gather_t g;
    int rc = gather(k, from, to, type, &g);
    if (rc != SIM_OK) return rc;
    for (int i = 0; i < g.n && i < max; i++) out[i] = g.f[i];
    free(g.f);
    ok(k);
    return g.n;
}

int kit_count(kit_t *k, uint32_t from, uint32_t to, const char *type)
{
    return kit_flights(k, from, to, type, NULL, 0);
}

static const char *node_word(uint32_t node, char *buf, size_t len)
{
    if (node == KIT_ANY) snprintf(buf, len, "any node");
    else snprintf(buf, len, "node %u", node);
    return buf;
}

int kit_find(kit_t *k, uint32_t from, uint32_t to, const char *type, kit_flight_t *out)
{
    gather_t g;
    int rc = gather(k, from, to, type, &g);
    if (rc != SIM_OK) return rc;
    int n = g.n;
    if (n == 1) *out = g.f[0];
    free(g.f);
    if (n != 1) {
        char a[24], b[24];
        return fail(k, SIM_ENOTFOUND, "%d %s%smessages in flight from %s to %s, expected 1", n, type ? type : "",
                    type ? " " : "", node_word(from, a, sizeof a), node_word(to, b, sizeof b));
    }
    return ok(k);
}

/* ---- Deciding their fate. -------------------------------------------------------- */

int kit_deliver(kit_t *k, uint64_t id)
{
    if (sim_stopped(k->s)) return fail(k, SIM_EINPUT, "the run has stopped");
    if (sim_deliver_now(k->s, id) != SIM_OK)
        return fail(k, SIM_ENOTFOUND, "message %llu is not on the wire", (unsigned long long)id);
    return ok(k);
}

int kit_drop(kit_t *k, uint64_t id)
{
    if (sim_drop_now(k->s, id) != SIM_OK)
        return fail(k, SIM_ENOTFOUND, "message %llu is not on the wire", (unsigned long long)id);
    return ok(k);
}

int kit_deliver_all(kit_t *k, uint32_t from, uint32_t to, const char *type)
{
    gather_t g;
    int rc = gather(k, from, to, type, &g);
    if (rc != SIM_OK) return rc;
    int done = 0;
    for (int i = 0; i < g.n && !sim_stopped(k->s); i++)
        if (!g.f[i].waiting && sim_deliver_now(k->s, g.f[i].id) == SIM_OK) done++;
    free(g.f);
    ok(k);
    return done;
}

static void count_one(void *ud, const sim_flight_t *f) { (*(int *)ud)++; }

static int in_flight(const sim_t *s)
{
    int n = 0;
    sim_each_flight(s, count_one, &n);
    return n;
}

int kit_run_quiet(kit_t *k, sim_time_t until_ns)
{
    sim_time_t next;
    int n;
    while ((n = in_flight(k->s)) > 0 && sim_next_time(k->s, &next) && next <= until_ns)
        if (!sim_step(k->s)) break;
    ok(k);
    return n;
}

/* The protocol's own index of a named type (not request or reply). */
static int proto_type(kit_t *k, const char *type, unsigned *out)
{
    int t;
    if (!type) return fail(k, SIM_EINPUT, "a message needs a type");
    int rc = type_of(k, type, &t);
    if (rc != SIM_OK) return rc;
    if (t < SIM_MSG_BUILTIN) return fail(k, SIM_EINPUT, "\"%s\" is the core's; use kit_request", type);
    *out = (unsigned)t - SIM_MSG_BUILTIN;
    return SIM_OK;
}

int kit_send(kit_t *k, uint32_t from, uint32_t to, const char *type, const void *payload, uint32_t len)
{
    unsigned t = 0;
    int rc = proto_type(k, type, &t);
    if (rc != SIM_OK) return rc;
    uint32_t n = sim_n_nodes(k->s);
    if (from >= n || to >= n) return fail(k, SIM_EINPUT, "no node %u", from >= n ? from : to);
    if (len > SIM_PAYLOAD_BYTES_MAX) return fail(k, SIM_EINPUT, "%u bytes: more than SIM_PAYLOAD_BYTES_MAX", len);
    sim_send_from(k->s, from, to, t + SIM_MSG_BUILTIN, payload, len, 0);
    return ok(k);
}

int kit_inject(kit_t *k, uint32_t from, uint32_t to, const char *type, const void *payload, uint32_t len)
{
    unsigned t = 0;
    int rc = proto_type(k, type, &t);
    if (rc != SIM_OK) return rc;
    if (sim_inject(k->s, from, to, t, payload, len) != SIM_OK)
        return fail(k, SIM_EINPUT, "node %u cannot take a message from %u (not an up server?)", to, from);
    return ok(k);
}

/* ---- Timers. --------------------------------------------------------------------- */

typedef struct timers {
    uint32_t node;
    kit_timer_t *t;
    int n, cap;
} timers_t;

static void timer_one(void *ud, const sim_timer_t *t)
{
    timers_t *g = ud;
    if (g->node != KIT_ANY && t->node != g->node) return;
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 32;
        g->t = sim_xrealloc(g->t, (size_t)g->cap * sizeof *g->t);
    }
    g->t[g->n++] = *t;
}

static int cmp_timer(const void *a, const void *b)
{
    const kit_timer_t *x = a, *y = b;
    if (x->due_ns != y->due_ns) return x->due_ns < y->due_ns ? -1 : 1;
    if (x->set_ns != y->set_ns) return x->set_ns < y->set_ns ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static void timers_of(kit_t *k, uint32_t node, timers_t *g)
{
    memset(g, 0, sizeof *g);
    g->node = node;
    sim_each_timer(k->s, timer_one, g);
    if (g->n > 1) qsort(g->t, (size_t)g->n, sizeof *g->t, cmp_timer);
}

int kit_timers(kit_t *k, uint32_t node, kit_timer_t *out, int max)
{
    timers_t g;
    timers_of(k, node, &g);
    for (int i = 0; i < g.n && i < max; i++) out[i] = g.t[i];
    free(g.t);
    ok(k);
    return g.n;
}

int kit_fire(kit_t *k, uint64_t timer_id)
{
    int rc = sim_fire_timer(k->s, timer_id);
    if (rc == SIM_ENOTFOUND) return fail(k, rc, "timer %#llx is not pending", (unsigned long long)timer_id);
    if (rc != SIM_OK) return fail(k, rc, "timer %#llx cannot fire now (its node is paused, or the run stopped)",
                                  (unsigned long long)timer_id);
    return ok(k);
}

int kit_fire_next(kit_t *k, uint32_t node, int kind)
{
    timers_t g;
    timers_of(k, node, &g);
    uint64_t id = 0;
    bool found = false;
    for (int i = 0; i < g.n && !found; i++)
        if (kind == KIT_ANY_KIND || g.t[i].kind == kind) { id = g.t[i].id; found = true; }
    free(g.t);
    if (!found) return fail(k, SIM_ENOTFOUND, "node %u has no pending timer of kind %d", node, kind);
    return kit_fire(k, id);
}

/* ---- Clients. -------------------------------------------------------------------- */

int kit_request(kit_t *k, uint32_t to, const sim_req_t *req)
{
    if (req->client >= sim_n_nodes(k->s)) return fail(k, SIM_EINPUT, "no node %u to answer", req->client);
    if (sim_inject_request(k->s, to, req) != SIM_OK)
        return fail(k, SIM_EINPUT, "node %u cannot take a request (not an up server?)", to);
    return ok(k);
}

int kit_reply_decode(kit_t *k, const kit_flight_t *f, kit_reply_t *out)
{
    if (f->type_index != -1 || strcmp(f->type, "reply") != 0)
        return fail(k, SIM_EINPUT, "message %llu is a %s, not a reply", (unsigned long long)f->id, f->type);
    reply_msg_t h;
    if (f->len < sizeof h) return fail(k, SIM_EINPUT, "reply %llu has %u bytes", (unsigned long long)f->id, f->len);
    memcpy(&h, f->payload, sizeof h);
    if (f->len != sizeof h + (size_t)h.n * sizeof(int64_t))
        return fail(k, SIM_EINPUT, "reply %llu has %u bytes for %u values", (unsigned long long)f->id, f->len, h.n);
    /* Payloads are 8-byte aligned in the pool, and the values follow a 24-byte head. */
    const int64_t *values = (const int64_t *)(const void *)((const uint8_t *)f->payload + sizeof h);
    sim_assert(h.n == 0 || ((uintptr_t)values & 7) == 0);
    out->id = f->id;
    out->from = f->from;
    out->to = f->to;
    out->op_id = h.op_id;
    out->attempt = h.attempt;
    out->status = (sim_reply_status_t)h.status;
    out->redirect = h.redirect;
    out->list = h.list != 0;
    out->n = h.n;
    out->values = h.n ? values : NULL;
    return ok(k);
}

int kit_replies(kit_t *k, uint32_t from, uint32_t to, kit_reply_t *out, int max)
{
    gather_t g;
    int rc = gather(k, from, to, "reply", &g);
    if (rc != SIM_OK) return rc;
    for (int i = 0; i < g.n && rc == SIM_OK; i++) {
        kit_reply_t r;
        rc = kit_reply_decode(k, &g.f[i], &r);
        if (rc == SIM_OK && i < max) out[i] = r;
    }
    int n = g.n;
    free(g.f);
    return rc != SIM_OK ? rc : (ok(k), n);
}

int kit_reply_to(kit_t *k, uint32_t from, uint64_t op_id, kit_reply_t *out)
{
    gather_t g;
    int rc = gather(k, from, KIT_ANY, "reply", &g);
    if (rc != SIM_OK) return rc;
    int n = 0;
    for (int i = 0; i < g.n && rc == SIM_OK; i++) {
        kit_reply_t r;
        rc = kit_reply_decode(k, &g.f[i], &r);
        if (rc == SIM_OK && r.op_id == op_id && n++ == 0) *out = r;
    }
    free(g.f);
    if (rc != SIM_OK) return rc;
    char a[24];
    if (n != 1) return fail(k, SIM_ENOTFOUND, "%d replies to op %llu from %s in flight, expected 1", n,
                            (unsigned long long)op_id, node_word(from, a, sizeof a));
    return ok(k);
}

/* ---- Faults. --------------------------------------------------------------------- */

static int apply(kit_t *k, const sim_action_t *a)
{
    if (a->kind != ACT_HEAL && a->kind != ACT_PARTITION && a->node >= sim_n_servers(k->s))
        return fail(k, SIM_EINPUT, "%s: no server %u", act_kind_names[a->kind], a->node);
    int rc = sim_apply(k->s, a);
    if (rc != SIM_OK) return fail(k, rc, "%s of node %u: %s", act_kind_names[a->kind], a->node, sim_strerror(rc));
    return ok(k);
}

static int act(kit_t *k, act_kind_t kind, uint32_t node)
{
    sim_action_t a = {0};
    a.kind = kind;
    a.at_ns = sim_time(k->s);
    a.node = node;
    return apply(k, &a);
}

int kit_crash(kit_t *k, uint32_t node) { return act(k, ACT_CRASH, node); }
int kit_restart(kit_t *k, uint32_t node) { return act(k, ACT_RESTART, node); }
int kit_pause(kit_t *k, uint32_t node) { return act(k, ACT_PAUSE, node); }
int kit_resume(kit_t *k, uint32_t node) { return act(k, ACT_RESUME, node); }
int kit_isolate(kit_t *k, uint32_t node) { return act(k, ACT_ISOLATE, node); }
int kit_heal(kit_t *k) { return act(k, ACT_HEAL, 0); }

int kit_partition(kit_t *k, const uint32_t *nodes, uint32_t n)
{
    if (n == 0 || n > SIM_NODES_MAX) return fail(k, SIM_EINPUT, "a partition needs some nodes");
    for (uint32_t i = 0; i < n; i++)
        if (nodes[i] >= sim_n_servers(k->s)) return fail(k, SIM_EINPUT, "partition: no server %u", nodes[i]);
    uint8_t *groups = sim_xcalloc(n, 1);
    memset(groups, 1, n);
    sim_action_t a = {0};
    a.kind = ACT_PARTITION;
    a.at_ns = sim_time(k->s);
    a.n_groups = 1;
    a.n_members = n;
    a.members = (uint32_t *)nodes;     /* read only by sim_apply */
    a.groups = groups;
    int rc = apply(k, &a);
    free(groups);
    return rc;
}

/* ---- A node's state. ------------------------------------------------------------- */

struct cJSON *kit_state(kit_t *k, uint32_t node)
{
    if (node >= sim_n_servers(k->s)) { fail(k, SIM_EINPUT, "no server %u", node); return NULL; }
    if (!sim_protocol(k->s)->export_state) {
        fail(k, SIM_ENOTFOUND, "protocol %s exports no state", sim_protocol(k->s)->name);
        return NULL;
    }
    jw_t w;
    jw_init(&w, false);
    sim_export_node(k->s, node, &w);
    cJSON *o = cJSON_Parse(w.buf);
    if (!o) fail(k, SIM_EINPUT, "node %u's state is not JSON: %.120s", node, w.buf);
    else ok(k);
    jw_free(&w);
    return o;
}

/* Follows "a.b[2].c" from o; NULL when a step is missing. */
static const cJSON *follow(const cJSON *o, const char *path)
{
    const char *p = path;
    while (o && *p) {
        if (*p == '.') { p++; continue; }
        if (*p == '[') {
            char *end;
            long i = strtol(p + 1, &end, 10);
            if (*end != ']' || i < 0 || !cJSON_IsArray(o)) return NULL;
            o = cJSON_GetArrayItem(o, (int)i);
            p = end + 1;
            continue;
        }
        size_t n = strcspn(p, ".[");
        char key[128];
        if (n >= sizeof key || !cJSON_IsObject(o)) return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        o = cJSON_GetObjectItemCaseSensitive(o, key);
        p += n;
    }
    return o;
}

int64_t kit_state_int(kit_t *k, uint32_t node, const char *path)
{
    cJSON *o = kit_state(k, node);
    if (!o) return KIT_NONE;
    const cJSON *x = follow(o, path);
    int64_t v = KIT_NONE;
    if (!x) fail(k, SIM_ENOTFOUND, "node %u's state has no %s", node, path);
    else if (cJSON_IsBool(x)) v = cJSON_IsTrue(x), ok(k);
    else if (!cJSON_IsNumber(x)) fail(k, SIM_ENOTFOUND, "node %u's %s is not a number", node, path);
    else v = (int64_t)x->valuedouble, ok(k);
    cJSON_Delete(o);
    return v;
}

int kit_describe(kit_t *k, uint32_t node, proto_desc_t *d)
{
    if (node >= sim_n_servers(k->s)) return fail(k, SIM_EINPUT, "no server %u", node);
    sim_describe(k->s, node, d);
    return ok(k);
}

/* ---- Sweeps. --------------------------------------------------------------------- */

int64_t kit_first_violation(const char *scenario, uint64_t seed_from, uint64_t seed_to, char *name_out, size_t len)
{
    if (name_out && len) name_out[0] = '\0';
    scn_t scn;
    if (!scenario || load(scenario, &scn) != SIM_OK) return SIM_EINPUT;
    int64_t found = -1;
    for (uint64_t seed = seed_from; seed <= seed_to && found < 0; seed++) {
        sim_opts_t o = {0};
        o.seed_set = true;
        o.seed = seed;
        char err[512] = "";
        sim_t *s = sim_create(&scn, &o, err, sizeof err);
        if (!s) {
            fprintf(stderr, "sim_create: %s\n", err);
            found = SIM_EINPUT;
            break;
        }
        sim_run(s);
        const sim_violation_t *v = sim_violation(s, NULL);
        if (v) {
            found = (int64_t)seed;
            if (name_out && len) snprintf(name_out, len, "%s", v->name);
        }
        sim_destroy(s);
        if (seed == UINT64_MAX) break;
    }
    scn_free(&scn);
    return found;
}
