/* run.c -- re-running, recording, branching and remembering.
 *
 * The simulator offers no way to copy or roll back a sim_t, and needs none: a run is a
 * function of the scenario, the seed and the actions, so any past moment is one fresh
 * sim_create and a run away. For the classroom scenarios (a handful of nodes, a minute
 * of simulated time) that is a few milliseconds; a rewind of a large, busy scenario
 * costs what running it to that point costs.
 *
 * Events are processed one sim_step at a time here rather than by sim_run_until, so
 * the run can count the steps that showed in the trace (to step back by one), stop at
 * a kind of record or when a condition holds, and give up when a frame's budget of
 * wall time runs out. Both process the same events in the same order, so the trace
 * and its hash are the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "run/run.h"
#include "scenario/override.h"
#include "scenario/scenario_write.h"

typedef struct branch {
    sim_time_t fork_ns;
    sim_action_t *acts;              /* the whole line: RUN_ACTIONS_MAX slots, owned copies */
    uint32_t n_acts;
    uint32_t n_later;                /* of which after fork_ns */
} branch_t;

struct run {
    char *path;                      /* NULL when the scenario was given */
    scn_t own_scn;                   /* loaded by run_open */
    const scn_t *scn;
    run_opts_t opts;
    sim_t *sim;
    uint64_t gen;
    sim_action_t *acts;              /* RUN_ACTIONS_MAX, each owning its partition arrays */
    uint32_t n_acts;
    branch_t branches[RUN_BRANCHES_MAX];
    uint32_t n_branches;
    run_msg_t *msgs;                 /* ring of RUN_MSG_LOG_MAX */
    uint64_t n_msgs;                 /* ever appended since the sim was created */
    struct { uint64_t id; uint32_t slot; } *drops;   /* ring of RUN_DROPS_MAX: a dropped message's id and place in msgs */
    uint64_t n_drops;
    run_mark_t *marks;               /* ring of RUN_MARKS_MAX */
    uint64_t n_marks;
    uint32_t roles_seen;
    uint64_t records;                /* trace records since the sim was created */
    uint64_t visible;                /* steps that produced at least one record */
    uint64_t stop_kinds;
    bool stop_hit;
    cond_t watch;                    /* the condition watched, when watching */
    bool watching;
    sim_time_t explored;
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- The trace listener. ------------------------------------------------------- */

static void mark_add(run_t *v, const trace_rec_t *r)
{
    run_mark_t *m = &v->marks[v->n_marks++ % RUN_MARKS_MAX];
    m->t = r->t;
    m->node = r->a;
    m->kind = r->kind;
    m->role = r->kind == TR_ROLE ? (uint8_t)r->type : 0;
    m->term = r->kind == TR_ROLE ? r->x : 0;
}

uint64_t run_msg_first(const run_t *v)
{
    return v->n_msgs > RUN_MSG_LOG_MAX ? v->n_msgs - RUN_MSG_LOG_MAX : 0;
}

/* The message a deliver or drop record is about: ids never decrease along the log (a
 * duplicate is logged right after its original, with the same id), so a binary search
 * finds the first entry with the id; of the copies, the one due now wins. */
static run_msg_t *msg_find(run_t *v, uint64_t id, sim_time_t t)
{
    uint64_t lo = run_msg_first(v), hi = v->n_msgs;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (v->msgs[mid % RUN_MSG_LOG_MAX].id < id) lo = mid + 1;
        else hi = mid;
    }
    run_msg_t *any = NULL;
    for (uint64_t i = lo; i < v->n_msgs; i++) {
        run_msg_t *m = &v->msgs[i % RUN_MSG_LOG_MAX];
        if (m->id != id) break;
        if (m->fate != RUN_FATE_FLYING) continue;
        if (m->arrive_ns == t) return m;
        if (!any) any = m;
    }
    return any;
}

static void on_trace(void *ud, const trace_rec_t *r)
{
    run_t *v = ud;
    v->records++;
    if (v->stop_kinds >> r->kind & 1) v->stop_hit = true;
    if (v->watching) cond_observe(&v->watch, r);
    switch ((trace_kind_t)r->kind) {
    case TR_SEND: case TR_DUPLICATE: {
        run_msg_t *m = &v->msgs[v->n_msgs++ % RUN_MSG_LOG_MAX];
        m->id = r->id;
        m->sent_ns = r->t;
        m->arrive_ns = r->t2;
        m->end_ns = -1;
        m->from = r->a;
        m->to = r->b;
        m->size = (uint32_t)r->x;
        m->type = r->type;
        m->fate = RUN_FATE_FLYING;
        m->reason = 0;
        m->dup = r->kind == TR_DUPLICATE;
        break;
    }
    case TR_DELIVER: case TR_DROP: {
        run_msg_t *m = msg_find(v, r->id, r->t);
        if (!m) break;                /* sent before the log's memory */
        m->fate = r->kind == TR_DELIVER ? RUN_FATE_DELIVERED : RUN_FATE_DROPPED;
        m->reason = r->reason;
        m->end_ns = r->t;
        if (r->kind == TR_DROP) {
            uint64_t k = v->n_drops++ % RUN_DROPS_MAX;
            v->drops[k].id = m->id;
            v->drops[k].slot = (uint32_t)(m - v->msgs);
        }
        break;
    }
    case TR_ROLE:
        if (r->type < 32) v->roles_seen |= 1u << r->type;
        mark_add(v, r);
        break;
    case TR_JOIN: case TR_LEAVE:
    case TR_CRASH: case TR_RESTART: case TR_PAUSE: case TR_RESUME:
    case TR_PARTITION: case TR_HEAL: case TR_ISOLATE: case TR_VIOLATION:
        mark_add(v, r);
        break;
    default:
        break;
    }
}

/* ---- Creating and re-creating. ------------------------------------------------- */

static void reset_seen(run_t *v)
{
    v->n_msgs = v->n_marks = v->n_drops = 0;
    v->records = v->visible = 0;
    v->roles_seen = 0;
    v->stop_kinds = 0;
    v->stop_hit = false;
}

/* A fresh simulation at time zero with every recorded action scheduled, heard from
 * its very first record (the roles nodes take while they start). The old one is kept
 * if creation fails (it cannot for a scenario that ran once, short of memory). */
static int rebuild(run_t *v, char *err, size_t err_len)
{
    sim_opts_t o = {0};
    o.seed_set = v->opts.seed_set;
    o.seed = v->opts.seed;
    o.duration_ns = v->opts.duration_ns;
    o.no_invariants = v->opts.no_invariants;
    o.extra_actions = v->acts;
    o.n_extra_actions = v->n_acts;
    o.trace = on_trace;
    o.trace_ud = v;
    char buf[512];
    if (!err) { err = buf; err_len = sizeof buf; }
    /* The listener hears the new simulation while it is created: clear what the old
     * one left first, and restore it if creation fails. */
    uint64_t keep[6] = {v->n_msgs, v->n_marks, v->records, v->visible, v->roles_seen, v->n_drops};
    reset_seen(v);
    sim_t *s = sim_create(v->scn, &o, err, err_len);
    if (!s) {
        v->n_msgs = keep[0]; v->n_marks = keep[1]; v->records = keep[2]; v->visible = keep[3];
        v->roles_seen = (uint32_t)keep[4];
        v->n_drops = keep[5];
        return SIM_EINPUT;
    }
    sim_destroy(v->sim);
    v->sim = s;
    v->gen++;
    return SIM_OK;
}

static run_t *run_new(const scn_t *scn, const run_opts_t *o, const char *path, char *err, size_t err_len)
{
    run_t *v = calloc(1, sizeof *v);
    if (!v) { snprintf(err, err_len, "%s: out of memory", path); return NULL; }
    if (o) v->opts = *o;
    v->scn = scn;
    v->acts = calloc(RUN_ACTIONS_MAX, sizeof *v->acts);
    v->msgs = calloc(RUN_MSG_LOG_MAX, sizeof *v->msgs);
    v->marks = calloc(RUN_MARKS_MAX, sizeof *v->marks);
    v->drops = calloc(RUN_DROPS_MAX, sizeof *v->drops);
    if (!v->acts || !v->msgs || !v->marks || !v->drops) {
        snprintf(err, err_len, "%s: out of memory", path);
        run_destroy(v);
        return NULL;
    }
    return v;
}

run_t *run_create(const scn_t *scn, const run_opts_t *o, char *err, size_t err_len)
{
    run_t *v = run_new(scn, o, "(scenario)", err, err_len);
    if (!v) return NULL;
    if (rebuild(v, err, err_len) != SIM_OK) { run_destroy(v); return NULL; }
    return v;
}

run_t *run_open(const char *path, const run_opts_t *o, char *err, size_t err_len)
{
    scn_t scn;
    if (scn_load_file_with_sets(path, o ? o->sets : NULL, o ? o->n_sets : 0, &scn, err, err_len) != SIM_OK) return NULL;
    run_t *v = run_new(NULL, o, path, err, err_len);
    if (!v) { scn_free(&scn); return NULL; }
    v->own_scn = scn;
    v->scn = &v->own_scn;
    v->path = strdup(path);
    char e[512];
    if (!v->path || rebuild(v, e, sizeof e) != SIM_OK) {
        snprintf(err, err_len, "%s: %s", path, v->path ? e : "out of memory");
        run_destroy(v);
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

/* Copies a into c, with partition arrays of its own. */
static int act_copy(sim_action_t *c, const sim_action_t *a)
{
    *c = *a;
    c->members = NULL;
    c->groups = NULL;
    if (!a->n_members) return SIM_OK;
    c->members = calloc(a->n_members, sizeof *c->members);
    c->groups = calloc(a->n_members, 1);
    if (!c->members || !c->groups) { act_free(c); return SIM_ENOMEM; }
    memcpy(c->members, a->members, a->n_members * sizeof *c->members);
    memcpy(c->groups, a->groups, a->n_members);
    return SIM_OK;
}

static void branch_free(branch_t *b)
{
    for (uint32_t i = 0; i < b->n_acts; i++) act_free(&b->acts[i]);
    free(b->acts);
    b->acts = NULL;
    b->n_acts = 0;
}

void run_destroy(run_t *v)
{
    if (!v) return;
    sim_destroy(v->sim);
    for (uint32_t i = 0; i < v->n_acts; i++) act_free(&v->acts[i]);
    for (uint32_t i = 0; i < v->n_branches; i++) branch_free(&v->branches[i]);
    free(v->acts);
    free(v->msgs);
    free(v->marks);
    free(v->drops);
    if (v->path) scn_free(&v->own_scn);
    free(v->path);
    free(v);
}

/* ---- Views. -------------------------------------------------------------------- */

const sim_t *run_sim(const run_t *v) { return v->sim; }
sim_t *run_sim_mut(run_t *v) { return v->sim; }
const scn_t *run_scenario(const run_t *v) { return v->scn; }
const char *run_path(const run_t *v) { return v->path ? v->path : "(scenario)"; }
sim_time_t run_now(const run_t *v) { return sim_time(v->sim); }
sim_time_t run_end(const run_t *v) { return sim_end(v->sim); }
uint64_t run_generation(const run_t *v) { return v->gen; }
sim_time_t run_explored(const run_t *v) { return v->explored; }
uint32_t run_roles_seen(const run_t *v) { return v->roles_seen; }
uint64_t run_records(const run_t *v) { return v->records; }
uint64_t run_msg_count(const run_t *v) { return v->n_msgs; }
const run_msg_t *run_msg(const run_t *v, uint64_t i) { return &v->msgs[i % RUN_MSG_LOG_MAX]; }
uint64_t run_drop_count(const run_t *v) { return v->n_drops; }
uint64_t run_drop_first(const run_t *v) { return v->n_drops > RUN_DROPS_MAX ? v->n_drops - RUN_DROPS_MAX : 0; }
const run_msg_t *run_drop(const run_t *v, uint64_t i)
{
    const run_msg_t *m = &v->msgs[v->drops[i % RUN_DROPS_MAX].slot];
    return m->id == v->drops[i % RUN_DROPS_MAX].id && m->fate == RUN_FATE_DROPPED ? m : NULL;
}
uint64_t run_mark_count(const run_t *v) { return v->n_marks; }
uint64_t run_mark_first(const run_t *v) { return v->n_marks > RUN_MARKS_MAX ? v->n_marks - RUN_MARKS_MAX : 0; }
const run_mark_t *run_mark(const run_t *v, uint64_t i) { return &v->marks[i % RUN_MARKS_MAX]; }

bool run_at_end(const run_t *v)
{
    return sim_stopped(v->sim) || sim_time(v->sim) >= sim_end(v->sim);
}

const char *run_stop_reason(const run_t *v, char *buf, size_t len)
{
    sim_time_t when;
    const sim_violation_t *viol = sim_violation(v->sim, &when);
    char t[32];
    if (viol) {
        snprintf(buf, len, "invariant %s violated at %s: %s", viol->name,
                 sim_format_duration(when, t, sizeof t), viol->detail);
        return buf;
    }
    const char *e = sim_error(v->sim);
    if (e) { snprintf(buf, len, "%s", e); return buf; }
    return NULL;
}

const sim_action_t *run_actions(const run_t *v, uint32_t *n)
{
    *n = v->n_acts;
    return v->acts;
}

uint64_t run_msg_since(const run_t *v, sim_time_t t)
{
    uint64_t lo = run_msg_first(v), hi = v->n_msgs;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (v->msgs[mid % RUN_MSG_LOG_MAX].sent_ns < t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* ---- Running. ------------------------------------------------------------------ */

bool run_step_event(run_t *v)
{
    uint64_t before = v->records;
    if (!sim_step(v->sim)) return false;
    if (v->records != before) v->visible++;
    if (sim_time(v->sim) > v->explored) v->explored = sim_time(v->sim);
    return true;
}

static void note_explored(run_t *v)
{
    if (sim_time(v->sim) > v->explored) v->explored = sim_time(v->sim);
}

void run_until(run_t *v, sim_time_t t)
{
    if (t > sim_end(v->sim)) t = sim_end(v->sim);
    sim_time_t at;
    while (sim_next_time(v->sim, &at) && at <= t && run_step_event(v)) {}
    sim_run_until(v->sim, t);      /* processes nothing more; sets the clock to t */
    note_explored(v);
}

bool run_advance(run_t *v, sim_time_t t, double budget_s)
{
    if (t > sim_end(v->sim)) t = sim_end(v->sim);
    double deadline = wall_now() + budget_s;
    sim_time_t at;
    for (uint32_t k = 1; sim_next_time(v->sim, &at) && at <= t; k++) {
        if (!run_step_event(v)) break;
        if (k % RUN_ADVANCE_CHECK == 0 && wall_now() > deadline) { note_explored(v); return false; }
    }
    sim_run_until(v->sim, t);
    note_explored(v);
    return true;
}

int run_seek(run_t *v, sim_time_t t)
{
    if (t < 0) t = 0;
    if (t > sim_end(v->sim)) t = sim_end(v->sim);
    if (t < sim_time(v->sim)) {
        int rc = rebuild(v, NULL, 0);
        if (rc != SIM_OK) return rc;
    }
    run_until(v, t);
    return SIM_OK;
}

bool run_step(run_t *v)
{
    uint64_t target = v->visible + 1;
    while (v->visible < target)
        if (!run_step_event(v)) return false;
    return true;
}

int run_step_back(run_t *v)
{
    uint64_t target = v->visible ? v->visible - 1 : 0;
    int rc = rebuild(v, NULL, 0);
    if (rc != SIM_OK) return rc;
    while (v->visible < target)
        if (!run_step_event(v)) break;
    return SIM_OK;
}

bool run_to_kind(run_t *v, uint64_t kinds, double budget_s)
{
    double deadline = budget_s > 0 ? wall_now() + budget_s : 0;
    v->stop_kinds = kinds;
    v->stop_hit = false;
    bool found = false;
    for (uint32_t k = 1;; k++) {
        if (!run_step_event(v)) break;
        if (v->stop_hit) { found = true; break; }
        if (budget_s > 0 && k % RUN_ADVANCE_CHECK == 0 && wall_now() > deadline) break;
    }
    v->stop_kinds = 0;
    return found;
}

void run_watch(run_t *v, const cond_t *c)
{
    v->watching = c != NULL;
    if (!c) return;
    v->watch = *c;
    cond_arm(&v->watch);
}

bool run_watched_holds(run_t *v)
{
    return v->watching && cond_holds(&v->watch, v->sim);
}

int run_until_cond(run_t *v, const cond_t *c, sim_time_t limit)
{
    if (limit > sim_end(v->sim)) limit = sim_end(v->sim);
    run_watch(v, c);
    int rc = RUN_LIMIT;
    if (cond_holds(&v->watch, v->sim)) { rc = RUN_MET; goto out; }
    sim_time_t at;
    for (;;) {
        /* A time the condition names comes before the next event: stop the clock there. */
        sim_time_t tick = cond_next_time(&v->watch, sim_time(v->sim));
        bool have = sim_next_time(v->sim, &at);
        if (tick >= 0 && tick <= limit && (!have || tick < at)) {
            sim_run_until(v->sim, tick);
            note_explored(v);
            if (cond_holds(&v->watch, v->sim)) { rc = RUN_MET; goto out; }
            continue;
        }
        if (!have || at > limit) break;
        if (!run_step_event(v)) break;
        if (cond_holds(&v->watch, v->sim)) { rc = RUN_MET; goto out; }
    }
    if (sim_stopped(v->sim)) { rc = RUN_STOPPED; goto out; }
    sim_run_until(v->sim, limit);
    note_explored(v);
    /* Time alone can make it hold (a time leaf, a summary number looked up at last). */
    v->watch.metric_at_ns = -1;
    if (cond_holds(&v->watch, v->sim)) rc = RUN_MET;
out:
    v->watching = false;
    return rc;
}

/* ---- Acting, recording, branching. --------------------------------------------- */

static int check_action(const run_t *v, const sim_action_t *a, char *err, size_t err_len)
{
    uint32_t n_nodes = sim_n_nodes(v->sim);
    char buf[160];
    if (!err) { err = buf; err_len = sizeof buf; }
    if (a->kind >= ACT_COUNT_) { snprintf(err, err_len, "no such action"); return SIM_EINPUT; }
    if (a->node >= n_nodes || a->node2 >= n_nodes) {
        snprintf(err, err_len, "%s names node %u, but the scenario has %u nodes", act_kind_names[a->kind],
                 (unsigned)(a->node >= n_nodes ? a->node : a->node2), (unsigned)n_nodes);
        return SIM_EINPUT;
    }
    for (uint32_t i = 0; i < a->n_members; i++)
        if (a->members[i] >= n_nodes || a->groups[i] < 1 || a->groups[i] > a->n_groups) {
            snprintf(err, err_len, "partition: member %u is not a node in a group 1..%u", (unsigned)i, (unsigned)a->n_groups);
            return SIM_EINPUT;
        }
    return SIM_OK;
}

int run_act(run_t *v, const sim_action_t *a, uint32_t *branched, char *err, size_t err_len)
{
    if (branched) *branched = 0;
    int rc = check_action(v, a, err, err_len);
    if (rc != SIM_OK) return rc;
    if (v->n_acts == RUN_ACTIONS_MAX || v->scn->n_faults + v->n_acts >= SIM_FAULTS_MAX) {
        if (err) snprintf(err, err_len, "this run has recorded RUN_ACTIONS_MAX (%u) actions already", RUN_ACTIONS_MAX);
        return SIM_ELIMIT;
    }
    sim_time_t now = sim_time(v->sim);
    /* The recorded future beyond now becomes a branch: the whole line as it was (its
     * actions up to now are the present line's too), so restoring it is a swap. */
    uint32_t later = 0;
    for (uint32_t i = 0; i < v->n_acts; i++) later += v->acts[i].at_ns > now;
    if (later) {
        if (v->n_branches == RUN_BRANCHES_MAX) {          /* the oldest branch makes room */
            branch_free(&v->branches[0]);
            memmove(&v->branches[0], &v->branches[1], (RUN_BRANCHES_MAX - 1) * sizeof v->branches[0]);
            v->n_branches--;
        }
        branch_t *b = &v->branches[v->n_branches];
        b->acts = calloc(RUN_ACTIONS_MAX, sizeof *b->acts);
        if (!b->acts) return SIM_ENOMEM;
        b->fork_ns = now;
        b->n_later = later;
        b->n_acts = 0;
        uint32_t kept = 0;
        for (uint32_t i = 0; i < v->n_acts; i++) {
            if (v->acts[i].at_ns > now) { b->acts[b->n_acts++] = v->acts[i]; continue; }   /* moves ownership */
            if (act_copy(&b->acts[b->n_acts], &v->acts[i]) != SIM_OK) {
                for (uint32_t k = 0; k < b->n_acts; k++) if (b->acts[k].at_ns <= now) act_free(&b->acts[k]);
                free(b->acts);
                b->acts = NULL;
                return SIM_ENOMEM;
            }
            b->n_acts++;
            v->acts[kept++] = v->acts[i];
        }
        v->n_acts = kept;
        v->n_branches++;
        if (branched) *branched = later;
    }
    sim_action_t *c = &v->acts[v->n_acts];
    if (act_copy(c, a) != SIM_OK) return SIM_ENOMEM;
    c->at_ns = now;
    v->n_acts++;
    rc = rebuild(v, err, err_len);
    if (rc != SIM_OK) { act_free(&v->acts[--v->n_acts]); return rc; }
    run_until(v, now);
    /* What lies beyond now is unknown again: the action changed it. */
    v->explored = now;
    return SIM_OK;
}

uint32_t run_n_branches(const run_t *v) { return v->n_branches; }

void run_branch_info(const run_t *v, uint32_t i, run_branch_t *out)
{
    out->fork_ns = i < v->n_branches ? v->branches[i].fork_ns : 0;
    out->n_actions = i < v->n_branches ? v->branches[i].n_later : 0;
}

int run_branch_restore(run_t *v, uint32_t i)
{
    if (i >= v->n_branches) return SIM_EINPUT;
    branch_t *b = &v->branches[i];
    /* The present line becomes the branch, counted from the same fork. */
    uint32_t later = 0;
    for (uint32_t k = 0; k < v->n_acts; k++) later += v->acts[k].at_ns >= b->fork_ns;   /* taken at or after the fork */
    sim_action_t *t = v->acts;
    uint32_t tn = v->n_acts;
    v->acts = b->acts;
    v->n_acts = b->n_acts;
    b->acts = t;
    b->n_acts = tn;
    b->n_later = later;
    sim_time_t now = sim_time(v->sim);
    int rc = rebuild(v, NULL, 0);
    if (rc != SIM_OK) return rc;
    run_until(v, now);
    v->explored = now;
    return SIM_OK;
}

int run_write(run_t *v, const char *out_path, char *err, size_t err_len)
{
    if (!v->path) { snprintf(err, err_len, "this run has no scenario file to write beside"); return SIM_EINPUT; }
    return scn_write_with_actions_sets(v->path, v->opts.sets, v->opts.n_sets, v->sim, v->acts, v->n_acts, out_path, err, err_len);
}
