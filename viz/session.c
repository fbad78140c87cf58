/* session.c -- re-running, recording and remembering.
 *
 * The simulator offers no way to copy or roll back a sim_t, and needs none: a run is a
 * function of the scenario, the seed and the actions, so any past moment is one fresh
 * sim_create and a run away. For the classroom scenarios (a handful of nodes, a minute
 * of simulated time) that is a few milliseconds; a rewind of a large, busy scenario
 * costs what running it to that point costs, and the view says so while it waits.
 *
 * Events are processed one sim_step at a time here rather than by sim_run_until, so
 * the session can count the steps that showed in the trace (to step back by one), stop
 * at a kind of record, and give up when a frame's budget of wall time runs out. Both
 * process the same events in the same order, so the trace and its hash are the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "scenario/scenario_write.h"
#include "session.h"

struct viz_session {
    char *path;
    scn_t scn;
    bool seed_set;
    uint64_t seed;
    sim_t *sim;
    uint64_t gen;
    sim_action_t *acts;              /* VIZ_ACTIONS_MAX, each owning its partition arrays */
    uint32_t n_acts;
    viz_msg_t *msgs;                 /* ring of VIZ_MSG_LOG_MAX */
    uint64_t n_msgs;                 /* ever appended since the sim was created */
    viz_mark_t *marks;               /* ring of VIZ_MARKS_MAX */
    uint64_t n_marks;
    uint8_t *member;                 /* per node */
    uint32_t roles_seen;
    uint64_t records;                /* trace records since the sim was created */
    uint64_t visible;                /* steps that produced at least one record */
    uint64_t stop_kinds;
    bool stop_hit;
    sim_time_t explored;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- The trace listener. ------------------------------------------------------- */

static void mark_add(viz_session_t *v, const trace_rec_t *r)
{
    viz_mark_t *m = &v->marks[v->n_marks++ % VIZ_MARKS_MAX];
    m->t = r->t;
    m->node = r->a;
    m->kind = r->kind;
    m->role = r->kind == TR_ROLE ? (uint8_t)r->type : 0;
    m->term = r->kind == TR_ROLE ? r->x : 0;
}

uint64_t viz_session_msg_first(const viz_session_t *v)
{
    return v->n_msgs > VIZ_MSG_LOG_MAX ? v->n_msgs - VIZ_MSG_LOG_MAX : 0;
}

/* The message a deliver or drop record is about: ids never decrease along the log (a
 * duplicate is logged right after its original, with the same id), so a binary search
 * finds the first entry with the id; of the copies, the one due now wins. */
static viz_msg_t *msg_find(viz_session_t *v, uint64_t id, sim_time_t t)
{
    uint64_t lo = viz_session_msg_first(v), hi = v->n_msgs;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (v->msgs[mid % VIZ_MSG_LOG_MAX].id < id) lo = mid + 1;
        else hi = mid;
    }
    viz_msg_t *any = NULL;
    for (uint64_t i = lo; i < v->n_msgs; i++) {
        viz_msg_t *m = &v->msgs[i % VIZ_MSG_LOG_MAX];
        if (m->id != id) break;
        if (m->fate != VIZ_FATE_FLYING) continue;
        if (m->arrive_ns == t) return m;
        if (!any) any = m;
    }
    return any;
}

static void on_trace(void *ud, const trace_rec_t *r)
{
    viz_session_t *v = ud;
    v->records++;
    if (v->stop_kinds >> r->kind & 1) v->stop_hit = true;
    switch ((trace_kind_t)r->kind) {
    case TR_SEND: case TR_DUPLICATE: {
        viz_msg_t *m = &v->msgs[v->n_msgs++ % VIZ_MSG_LOG_MAX];
        m->id = r->id;
        m->sent_ns = r->t;
        m->arrive_ns = r->t2;
        m->end_ns = -1;
        m->from = r->a;
        m->to = r->b;
        m->size = (uint32_t)r->x;
        m->type = r->type;
        m->fate = VIZ_FATE_FLYING;
        m->reason = 0;
        m->dup = r->kind == TR_DUPLICATE;
        break;
    }
    case TR_DELIVER: case TR_DROP: {
        viz_msg_t *m = msg_find(v, r->id, r->t);
        if (!m) break;                /* sent before the log's memory */
        m->fate = r->kind == TR_DELIVER ? VIZ_FATE_DELIVERED : VIZ_FATE_DROPPED;
        m->reason = r->reason;
        m->end_ns = r->t;
        break;
    }
    case TR_ROLE:
        if (r->type < 32) v->roles_seen |= 1u << r->type;
        mark_add(v, r);
        break;
    case TR_JOIN: case TR_LEAVE:
        if (r->a < sim_n_nodes(v->sim)) v->member[r->a] = r->kind == TR_JOIN;
        mark_add(v, r);
        break;
    case TR_CRASH: case TR_RESTART: case TR_PAUSE: case TR_RESUME:
    case TR_PARTITION: case TR_HEAL: case TR_ISOLATE: case TR_VIOLATION:
        mark_add(v, r);
        break;
    default:
        break;
    }
}

/* ---- Creating and re-creating. ------------------------------------------------- */

/* A fresh simulation at time zero with every recorded action scheduled. The old one
 * is kept if creation fails (it cannot for a scenario that loaded once, short of
 * memory). */
static int rebuild(viz_session_t *v, char *err, size_t err_len)
{
    sim_opts_t o = {0};
    o.seed_set = v->seed_set;
    o.seed = v->seed;
    o.extra_actions = v->acts;
    o.n_extra_actions = v->n_acts;
    char buf[512];
    if (!err) { err = buf; err_len = sizeof buf; }
    sim_t *s = sim_create(&v->scn, &o, err, err_len);
    if (!s) return SIM_EINPUT;
    sim_destroy(v->sim);
    v->sim = s;
    v->gen++;
    v->n_msgs = v->n_marks = 0;
    v->records = v->visible = 0;
    v->roles_seen = 0;
    v->stop_kinds = 0;
    v->stop_hit = false;
    uint32_t n = sim_n_nodes(s);
    for (uint32_t i = 0; i < n; i++)
        v->member[i] = i < v->scn.n_servers && !(v->scn.nodes && v->scn.nodes[i].absent);
    /* Roles taken while the nodes started (inside sim_create) came before the listener
     * could hear them: note them as events at time zero. */
    for (uint32_t i = 0; i < v->scn.n_servers; i++) {
        int64_t term;
        role_t role = sim_node_role(s, i, &term);
        if (role == ROLE_NONE) continue;
        trace_rec_t r = {0};
        r.kind = TR_ROLE;
        r.type = (uint16_t)role;
        r.a = i;
        r.x = term;
        v->roles_seen |= 1u << role;
        mark_add(v, &r);
    }
    sim_set_trace(s, on_trace, v);
    return SIM_OK;
}

viz_session_t *viz_session_open(const char *path, bool seed_set, uint64_t seed, char *err, size_t err_len)
{
    viz_session_t *v = calloc(1, sizeof *v);
    if (!v) { snprintf(err, err_len, "%s: out of memory", path); return NULL; }
    if (scn_load_file(path, &v->scn, err, err_len) != SIM_OK) { free(v); return NULL; }
    v->path = strdup(path);
    v->seed_set = seed_set;
    v->seed = seed;
    v->acts = calloc(VIZ_ACTIONS_MAX, sizeof *v->acts);
    v->msgs = calloc(VIZ_MSG_LOG_MAX, sizeof *v->msgs);
    v->marks = calloc(VIZ_MARKS_MAX, sizeof *v->marks);
    v->member = calloc((size_t)v->scn.n_servers + v->scn.wl.clients + 1, 1);
    if (!v->path || !v->acts || !v->msgs || !v->marks || !v->member) {
        snprintf(err, err_len, "%s: out of memory", path);
        viz_session_destroy(v);
        return NULL;
    }
    char e[512];
    if (rebuild(v, e, sizeof e) != SIM_OK) {
        snprintf(err, err_len, "%s: %s", path, e);
        viz_session_destroy(v);
        return NULL;
    }
    return v;
}

static void act_free(sim_action_t *a)
{
    free(a->members);
    free(a->groups);
    a->members = NULL;
    a->groups = NULL;
}

void viz_session_destroy(viz_session_t *v)
{
    if (!v) return;
    sim_destroy(v->sim);
    for (uint32_t i = 0; i < v->n_acts; i++) act_free(&v->acts[i]);
    free(v->acts);
    free(v->msgs);
    free(v->marks);
    free(v->member);
    free(v->path);
    scn_free(&v->scn);
    free(v);
}

/* ---- Views. -------------------------------------------------------------------- */

sim_t *viz_session_sim(const viz_session_t *v) { return v->sim; }
const scn_t *viz_session_scenario(const viz_session_t *v) { return &v->scn; }
const char *viz_session_path(const viz_session_t *v) { return v->path; }
sim_time_t viz_session_now(const viz_session_t *v) { return sim_time(v->sim); }
sim_time_t viz_session_end(const viz_session_t *v) { return sim_end(v->sim); }
uint64_t viz_session_generation(const viz_session_t *v) { return v->gen; }
sim_time_t viz_session_explored(const viz_session_t *v) { return v->explored; }
uint32_t viz_session_roles_seen(const viz_session_t *v) { return v->roles_seen; }
uint64_t viz_session_records(const viz_session_t *v) { return v->records; }
uint64_t viz_session_msg_count(const viz_session_t *v) { return v->n_msgs; }
const viz_msg_t *viz_session_msg(const viz_session_t *v, uint64_t i) { return &v->msgs[i % VIZ_MSG_LOG_MAX]; }
uint64_t viz_session_mark_count(const viz_session_t *v) { return v->n_marks; }
uint64_t viz_session_mark_first(const viz_session_t *v) { return v->n_marks > VIZ_MARKS_MAX ? v->n_marks - VIZ_MARKS_MAX : 0; }
const viz_mark_t *viz_session_mark(const viz_session_t *v, uint64_t i) { return &v->marks[i % VIZ_MARKS_MAX]; }

bool viz_session_member(const viz_session_t *v, uint32_t node)
{
    return node < sim_n_nodes(v->sim) && v->member[node];
}

bool viz_session_at_end(const viz_session_t *v)
{
    return sim_stopped(v->sim) || sim_time(v->sim) >= sim_end(v->sim);
}

const sim_action_t *viz_session_actions(const viz_session_t *v, uint32_t *n)
{
    *n = v->n_acts;
    return v->acts;
}

uint64_t viz_session_msg_since(const viz_session_t *v, sim_time_t t)
{
    uint64_t lo = viz_session_msg_first(v), hi = v->n_msgs;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (v->msgs[mid % VIZ_MSG_LOG_MAX].sent_ns < t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* ---- Running. ------------------------------------------------------------------ */

static bool step_once(viz_session_t *v)
{
    uint64_t before = v->records;
    if (!sim_step(v->sim)) return false;
    if (v->records != before) v->visible++;
    return true;
}

static void note_explored(viz_session_t *v)
{
    if (sim_time(v->sim) > v->explored) v->explored = sim_time(v->sim);
}

void viz_session_run_until(viz_session_t *v, sim_time_t t)
{
    if (t > sim_end(v->sim)) t = sim_end(v->sim);
    sim_time_t at;
    while (sim_next_time(v->sim, &at) && at <= t && step_once(v)) {}
    sim_run_until(v->sim, t);      /* processes nothing more; sets the clock to t */
    note_explored(v);
}

bool viz_session_advance(viz_session_t *v, sim_time_t t, double budget_s)
{
    if (t > sim_end(v->sim)) t = sim_end(v->sim);
    double deadline = wall_now() + budget_s;
    sim_time_t at;
    for (uint32_t k = 1; sim_next_time(v->sim, &at) && at <= t; k++) {
        if (!step_once(v)) break;
        if (k % VIZ_ADVANCE_CHECK == 0 && wall_now() > deadline) { note_explored(v); return false; }
    }
    sim_run_until(v->sim, t);
    note_explored(v);
    return true;
}

int viz_session_seek(viz_session_t *v, sim_time_t t)
{
    if (t < 0) t = 0;
    if (t > sim_end(v->sim)) t = sim_end(v->sim);
    if (t < sim_time(v->sim)) {
        int rc = rebuild(v, NULL, 0);
        if (rc != SIM_OK) return rc;
    }
    viz_session_run_until(v, t);
    return SIM_OK;
}

bool viz_session_step(viz_session_t *v)
{
    uint64_t target = v->visible + 1;
    while (v->visible < target)
        if (!step_once(v)) return false;
    note_explored(v);
    return true;
}

int viz_session_step_back(viz_session_t *v)
{
    uint64_t target = v->visible ? v->visible - 1 : 0;
    int rc = rebuild(v, NULL, 0);
    if (rc != SIM_OK) return rc;
    while (v->visible < target)
        if (!step_once(v)) break;
    return SIM_OK;
}

bool viz_session_run_to(viz_session_t *v, uint64_t kinds, double budget_s)
{
    double deadline = wall_now() + budget_s;
    v->stop_kinds = kinds;
    v->stop_hit = false;
    bool found = false;
    for (uint32_t k = 1;; k++) {
        if (!step_once(v)) break;
        if (v->stop_hit) { found = true; break; }
        if (k % VIZ_ADVANCE_CHECK == 0 && wall_now() > deadline) break;
    }
    v->stop_kinds = 0;
    note_explored(v);
    return found;
}

/* ---- Recording. ---------------------------------------------------------------- */

int viz_session_act(viz_session_t *v, const sim_action_t *a, uint32_t *discarded)
{
    uint32_t n_nodes = sim_n_nodes(v->sim);
    if (a->kind >= ACT_COUNT_ || a->node >= n_nodes || a->node2 >= n_nodes) return SIM_EINPUT;
    for (uint32_t i = 0; i < a->n_members; i++)
        if (a->members[i] >= n_nodes || a->groups[i] < 1 || a->groups[i] > a->n_groups) return SIM_EINPUT;
    sim_time_t now = sim_time(v->sim);
    uint32_t kept = 0, dropped = 0;
    for (uint32_t i = 0; i < v->n_acts; i++) {
        if (v->acts[i].at_ns > now) { act_free(&v->acts[i]); dropped++; continue; }
        v->acts[kept++] = v->acts[i];
    }
    v->n_acts = kept;
    if (discarded) *discarded = dropped;
    if (v->n_acts == VIZ_ACTIONS_MAX || v->scn.n_faults + v->n_acts >= SIM_FAULTS_MAX) return SIM_ELIMIT;
    sim_action_t *c = &v->acts[v->n_acts];
    *c = *a;
    c->at_ns = now;
    c->members = NULL;
    c->groups = NULL;
    if (a->n_members) {
        c->members = calloc(a->n_members, sizeof *c->members);
        c->groups = calloc(a->n_members, 1);
        if (!c->members || !c->groups) { act_free(c); return SIM_ENOMEM; }
        memcpy(c->members, a->members, a->n_members * sizeof *c->members);
        memcpy(c->groups, a->groups, a->n_members);
    }
    v->n_acts++;
    int rc = rebuild(v, NULL, 0);
    if (rc != SIM_OK) { act_free(&v->acts[--v->n_acts]); return rc; }
    viz_session_run_until(v, now);
    /* What lies beyond now is unknown again: the action changed it. */
    v->explored = now;
    return SIM_OK;
}

int viz_session_write(viz_session_t *v, const char *out_path, char *err, size_t err_len)
{
    return scn_write_with_actions(v->path, v->sim, v->acts, v->n_acts, out_path, err, err_len);
}
