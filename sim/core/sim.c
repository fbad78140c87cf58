/* sim.c -- the event loop: create a run, step it, and what an event does.
 *
 * One event is processed at a time, in (time, sequence) order. Processing an event
 * may schedule others but never runs a callback inside another, so each callback sees
 * a consistent world and one sim_ctx can be reused for all of them. This is the top of
 * the core: it dispatches to delivery and timers here, to actions (action.c), nemeses
 * (nemesis.c) and clients (workload.c), and checks the protocol's invariants after
 * every event; everything below it is in kernel.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/sim_int.h"
#include "proto/plugin.h"


/* ---- Creation. ----------------------------------------------------------------- */

sim_t *sim_create(const scn_t *scn, const sim_opts_t *o, char *err, size_t err_len)
{
    sim_opts_t none = {0};
    if (!o) o = &none;
    sim_t *s = sim_xcalloc(1, sizeof *s);
    s->scn = scn;
    s->seed = o->seed_set ? o->seed : scn->seed;
    s->end = o->duration_ns > 0 ? o->duration_ns : scn->duration_ns;
    s->proto = scn->proto;
    s->cfg = scn->proto_config;
    s->n_servers = scn->n_servers;
    s->n_clients = scn->wl.clients;
    s->n_nodes = s->n_servers + s->n_clients;
    s->invariants = scn->invariants && !o->no_invariants && s->proto->check;
    s->guarded = plugin_owns(s->proto);
    s->assert_ctx.now = &s->now;
    s->assert_ctx.seed = s->seed;
    sim_assert_context(&s->assert_ctx);

    s->nodes = sim_xcalloc(s->n_nodes, sizeof *s->nodes);
    s->role = sim_xcalloc(s->n_servers, 1);
    s->term = sim_xcalloc(s->n_servers, sizeof *s->term);
    s->leader = -1;
    s->leaderless_since = -1;
    s->st.equal_since_ns = -1;
    s->st.unequal_since_ns = -1;
    s->equal_checked_ns = -SIM_MS;
    s->name_chunk = sim_xcalloc((s->n_nodes >> SIM_NAME_CHUNK_SHIFT) + 1, sizeof *s->name_chunk);
    /* A plug-in's fault is described after a siglongjmp out of it, perhaps out of
     * malloc: its names must not be made then. */
    if (s->guarded)
        for (uint32_t i = 0; i < s->n_nodes; i += SIM_NAME_CHUNK) sim_name(s, i);
    s->state_size = s->proto->state_size_for ? s->proto->state_size_for(s->cfg) : s->proto->state_size;
    s->durable_size = s->proto->durable_size_for ? s->proto->durable_size_for(s->cfg) : s->proto->durable_size;
    s->state = sim_xcalloc(s->n_servers, s->state_size ? s->state_size : 1);
    s->durable = sim_xcalloc(s->n_servers, s->durable_size ? s->durable_size : 1);
    s->check = sim_xcalloc(1, s->proto->check_size ? s->proto->check_size : 1);

    s->mtype[0] = "request";
    s->mtype[1] = "reply";
    s->n_mtypes = SIM_MSG_BUILTIN;
    for (const char *const *t = s->proto->msg_types; t && *t; t++) {
        if (s->n_mtypes == SIM_MSG_TYPES_MAX) {
            snprintf(err, err_len, "protocol %s declares more than SIM_MSG_TYPES_MAX message types", s->proto->name);
            sim_destroy(s);
            return NULL;
        }
        s->mtype[s->n_mtypes++] = *t;
    }

    if (net_create(&s->net, s->n_servers, s->n_clients, &scn->topo, &scn->net, s->seed, err, err_len) != SIM_OK) {
        sim_destroy(s);
        return NULL;
    }
    for (uint32_t i = 0; i < scn->n_links; i++) {
        const scn_link_t *l = &scn->links[i];
        if (net_set_link(&s->net, l->from, l->to, &l->spec) != SIM_OK ||
            (!l->oneway && net_set_link(&s->net, l->to, l->from, &l->spec) != SIM_OK)) {
            snprintf(err, err_len, "$.network.links[%u]: cannot override this link "
                     "(not in the topology, or more than SIM_LINK_OVERRIDES_MAX overrides)", i);
            sim_destroy(s);
            return NULL;
        }
    }

    for (uint32_t i = 0; i < s->n_nodes; i++) {
        node_t *n = &s->nodes[i];
        n->client = i >= s->n_servers;
        n->up = 1;
        n->member = !n->client;
        if (!n->client && scn->nodes && scn->nodes[i].absent) n->up = n->member = 0;
        rng_seed(&n->rng, s->seed, n->client ? RNG_CLIENT : RNG_NODE, i);
        rng_seed(&n->net_rng, s->seed, RNG_NODE_NET, i);
        if (!n->client && scn->nodes && (scn->nodes[i].skew_ns || scn->nodes[i].drift)) {
            sim_node_set_clock(s, i, CLOCK_F_SKEW | CLOCK_F_DRIFT, scn->nodes[i].skew_ns, scn->nodes[i].drift);
        }
    }

    s->ev = sim_reserve_huge((size_t)SIM_EVENTS_MAX * sizeof *s->ev);
    if (!s->ev || evq_init(&s->q) != SIM_OK) {
        snprintf(err, err_len, "%s: could not reserve room for SIM_EVENTS_MAX (%u) events", scn->path, SIM_EVENTS_MAX);
        sim_destroy(s);
        return NULL;
    }
    s->ev_free = EV_NONE;
    s->ev_top = 0;
    s->msg = sim_reserve((size_t)SIM_EVENTS_MAX * sizeof *s->msg);
    if (!s->msg) {
        snprintf(err, err_len, "%s: could not reserve room for SIM_EVENTS_MAX (%u) messages", scn->path, SIM_EVENTS_MAX);
        sim_destroy(s);
        return NULL;
    }
    s->msg_free = EV_NONE;
    s->actions = sim_xcalloc(SIM_ACTIONS_PENDING_MAX, sizeof *s->actions);
    s->action_next = sim_xcalloc(SIM_ACTIONS_PENDING_MAX, sizeof *s->action_next);
    s->action_free = EV_NONE;
    pool_init(&s->payloads);
    hist_init(&s->hist);
    /* One event past the bound is added, streamed and taken back (sim_history_record). */
    if (hist_reserve(&s->hist, SIM_RUN_HISTORY_EVENTS_MAX + 1, HIST_ARENA_VALUES_MAX) != SIM_OK) {
        snprintf(err, err_len, "%s: could not reserve room for the history", scn->path);
        sim_destroy(s);
        return NULL;
    }
    s->reply = sim_xcalloc(1, sizeof(reply_msg_t) + (size_t)SIM_REPLY_VALUES_MAX * sizeof(int64_t));
    s->ctx.s = s;
    s->trace = o->trace;
    s->trace_ud = o->trace_ud;

    /* Nodes start first, then faults, then clients: the order of their first events
     * in the queue is part of the run's definition. */
    for (uint32_t i = 0; i < s->n_servers; i++) {
        if (s->error[0]) break;             /* a node could not start: the run is over */
        if (!s->nodes[i].up) continue;      /* absent until it joins */
        s->ctx.node = i;
        s->in_callback = true;
        s->proto->init(&s->ctx);
        s->in_callback = false;
    }
    s->opts = o;
    nemesis_create(s);
    s->opts = NULL;
    wl_create(s);
    return s;
}

void sim_destroy(sim_t *s)
{
    if (!s) return;
    if (s->ctx.s && s->proto && s->proto->on_destroy && s->state)
        for (uint32_t i = 0; i < s->n_servers; i++) {
            s->ctx.node = i;
            s->proto->on_destroy(&s->ctx);
        }
    if (s->wl) wl_destroy(s);
    if (s->nem) nemesis_destroy(s);
    for (uint32_t i = 0; i < s->n_actions; i++) { free(s->actions[i].members); free(s->actions[i].groups); }
    free(s->actions);
    free(s->action_next);
    for (unsigned i = 0; i < s->n_own_mtypes; i++) free(s->own_mtype[i]);
    hist_free(&s->hist);
    pool_free_all(&s->payloads);
    evq_free(&s->q);
    net_destroy(&s->net);
    sim_unreserve(s->ev, (size_t)SIM_EVENTS_MAX * sizeof *s->ev);
    if (s->msg) sim_unreserve(s->msg, (size_t)SIM_EVENTS_MAX * sizeof *s->msg);
    free(s->reply);
    sim_samples_free(&s->st.latency);
    free(s->state);
    free(s->durable);
    free(s->check);
    if (s->name_chunk)
        for (uint32_t k = 0; k <= s->n_nodes >> SIM_NAME_CHUNK_SHIFT; k++) free(s->name_chunk[k]);
    free(s->name_chunk);
    free(s->nodes);
    free(s->clocks);
    free(s->waits);
    if (s->wait_next) sim_unreserve(s->wait_next, (size_t)SIM_EVENTS_MAX * sizeof *s->wait_next);
    free(s->role);
    free(s->term);
    sim_samples_free(&s->st.leaderless);
    free(s);
}

/* ---- The event loop. ----------------------------------------------------------- */

static void wait_append(sim_t *s, uint32_t node, uint32_t i)
{
    node_wait_t *w = &s->waits[node];        /* allocated by the node's pause */
    s->wait_next[i] = EV_NONE;
    if (s->ev[i].kind == EV_DELIVER) s->msg[s->ev[i].msg].arrive_ns = s->now;   /* when it arrived */
    if (w->tail == EV_NONE) w->head = i;
    else s->wait_next[w->tail] = i;
    w->tail = i;
}

static void check_invariants(sim_t *s)
{
    sim_violation_t v;
    memset(&v, 0, sizeof v);
    if (!s->proto->check(s, &v)) return;
    s->violation = v;
    s->violation_ns = s->now;
    s->stopped = true;
    trace_rec_t r = {0};
    r.kind = TR_VIOLATION;
    r.t = s->now;
    r.text = s->violation.name;
    r.a = v.n_nodes > 0 ? v.nodes[0] : 0;
    sim_trace(s, &r);
}

static void deliver(sim_t *s, uint32_t i)
{
    ev_t *e = &s->ev[i];
    const ev_msg_t *msg = &s->msg[e->msg];
    node_t *dst = &s->nodes[e->node];
    if (e->doomed >= 0) { sim_drop_event(s, i, (drop_reason_t)e->doomed); return; }
    if (!dst->up) { sim_drop_event(s, i, DROP_CRASH); return; }
    if (net_blocked(&s->net, msg->from, e->node)) { sim_drop_event(s, i, DROP_PARTITION); return; }
    if (dst->paused) { wait_append(s, e->node, i); return; }

    sim_trace_msg(s, TR_DELIVER, e, msg, 0, s->now);
    s->st.delivered++;
    s->st.delivered_by_type[e->type]++;
    s->st.events++;
    const void *payload = sim_msg_payload(s, msg);
    if (dst->client) {
        wl_on_reply(s, e->node, payload, msg->len);
    } else if (e->type == 0) {
        sim_req_t req;
        sim_assert(msg->len == sizeof req);
        memcpy(&req, payload, sizeof req);
        s->ctx.node = e->node;
        s->in_callback = true;
        s->proto->on_request(&s->ctx, &req);
        s->in_callback = false;
    } else {
        sim_msg_t m = {msg->from, e->node, (uint16_t)(e->type - SIM_MSG_BUILTIN), msg->size, msg->len, payload, e->sent_ns};
        s->ctx.node = e->node;
        s->in_callback = true;
        s->proto->on_message(&s->ctx, &m);
        s->in_callback = false;
    }
    sim_ev_release(s, i);
}

static void fire_timer(sim_t *s, uint32_t i)
{
    ev_t *e = &s->ev[i];
    node_t *n = &s->nodes[e->node];
    if ((e->flags & EVF_CANCELLED) || e->epoch != n->epoch || !n->up) { sim_ev_release(s, i); return; }
    if (n->paused) { wait_append(s, e->node, i); return; }
    trace_rec_t r = {0};
    r.kind = TR_TIMER;
    r.a = e->node;
    r.id = (uint64_t)e->gen << 32 | i;
    r.t = s->now;
    r.x = e->timer_kind;
    sim_trace(s, &r);
    s->st.timers++;
    s->st.events++;
    int kind = e->timer_kind;
    uint64_t data = e->id;
    uint32_t node = e->node;
    sim_ev_release(s, i);      /* before the callback, which may reuse the slot */
    s->ctx.node = node;
    s->in_callback = true;
    s->proto->on_timer(&s->ctx, kind, data);
    s->in_callback = false;
}

/* Tracks since when all replicas have been equal, sampled once per simulated
 * millisecond: convergence times are reported to that resolution. */
static void equal_update(sim_t *s)
{
    s->equal_checked_ns = s->now;
    sim_stats_t *st = &s->st;
    if (!s->proto->replicas_equal(s)) {
        st->equal_since_ns = -1;
        if (st->unequal_since_ns < 0) st->unequal_since_ns = s->now;
        return;
    }
    if (st->equal_since_ns < 0) st->equal_since_ns = s->now;
    if (st->unequal_since_ns >= 0) {
        /* An interval of divergence ended: how long replicas disagreed. */
        sim_time_t d = s->now - st->unequal_since_ns;
        st->diverged_ns += d;
        if (d > st->diverged_max_ns) st->diverged_max_ns = d;
        st->unequal_since_ns = -1;
    }
}

bool sim_step(sim_t *s)
{
    sim_time_t at;
    if (s->stopped || !evq_peek(&s->q, &at) || at > s->end) return false;
    evq_entry_t top;
    /* The event is taken but its place in the heap left open (evq_take): a message or
     * timer it schedules fills it, and only if none does is the rest of the pop done,
     * after it (evq_settle). The next event's slot starts loading (with a million
     * nodes, a cache miss) as soon as the take knows it. */
    evq_take(&s->q, &top, s->ev, sizeof *s->ev);
    s->now = top.at;
    sim_assert_context(&s->assert_ctx);
    uint32_t i = evq_index(top.key);
    /* The likely next event's record was asked for a whole event ago: start loading
     * its node and the node's protocol state now, under this event and the next pop.
     * In a small run they are in cache already, and the guess would cost more than it
     * hides. */
    uint32_t guess = s->n_nodes >= SIM_PREFETCH_NODES_MIN ? evq_next_guess(&s->q) : EVQ_NONE;
    if (guess != EVQ_NONE) {
        uint32_t next = s->ev[guess].node;
        if (next < s->n_nodes) {
            __builtin_prefetch(&s->nodes[next]);
            if (next < s->n_servers) __builtin_prefetch(s->state + (size_t)next * s->state_size);
        }
    }
    ev_t *e = &s->ev[i];
    switch ((ev_kind_t)e->kind) {
    case EV_DELIVER: deliver(s, i); break;
    case EV_TIMER: fire_timer(s, i); break;
    case EV_ACTION:
    case EV_NEMESIS: {
        evq_settle(&s->q);            /* actions look through the queue */
        ev_t copy = *e;
        sim_ev_release(s, i);
        if (copy.kind == EV_ACTION) action_on_event(s, &copy);
        else nemesis_on_event(s, &copy);
        s->st.events++;
        break;
    }
    case EV_CLIENT: {
        ev_t copy = *e;
        sim_ev_release(s, i);
        wl_on_event(s, &copy);
        s->st.events++;
        break;
    }
    case EV_FREE: sim_assert(!"a free event was queued"); break;
    }
    evq_settle(&s->q);
    if (s->invariants && !s->stopped) check_invariants(s);
    if (s->proto->replicas_equal && s->now - s->equal_checked_ns >= SIM_MS) equal_update(s);
    return true;
}

void sim_run_until(sim_t *s, sim_time_t t)
{
    if (t > s->end) t = s->end;
    sim_time_t at;
    while (!s->stopped && evq_peek(&s->q, &at) && at <= t) sim_step(s);
    if (!s->stopped && t > s->now) s->now = t;
}

void sim_run(sim_t *s)
{
    sim_run_until(s, s->end);
    sim_finish(s);
}

void sim_finish(sim_t *s)
{
    if (s->finished) return;
    s->finished = true;
    if (s->proto->replicas_equal) equal_update(s);
    wl_finish(s);
}

int sim_inject(sim_t *s, uint32_t from, uint32_t to, unsigned type, const void *payload, uint32_t len)
{
    if (to >= s->n_servers || from >= s->n_nodes || type + SIM_MSG_BUILTIN >= s->n_mtypes || !s->nodes[to].up)
        return SIM_EINPUT;
    sim_msg_t m = {from, to, (uint16_t)type, len, len, payload, s->now};
    s->ctx.node = to;
    s->in_callback = true;
    s->proto->on_message(&s->ctx, &m);
    s->in_callback = false;
    return SIM_OK;
}

int sim_inject_request(sim_t *s, uint32_t to, const sim_req_t *req)
{
    if (to >= s->n_servers || !s->nodes[to].up) return SIM_EINPUT;
    s->ctx.node = to;
    s->in_callback = true;
    s->proto->on_request(&s->ctx, req);
    s->in_callback = false;
    return SIM_OK;
}

/* ---- Out of turn: one message or timer now (protocol tests, lessons). ---------- */

/* The heap position of the pending event for which match() holds, the earliest one
 * when several do; UINT32_MAX when none. O(events pending): tests only. */
static uint32_t queue_find(const sim_t *s, bool (*match)(const ev_t *e, uint64_t key), uint64_t key)
{
    uint32_t best = UINT32_MAX;
    sim_assert(!s->q.hole);       /* out of turn: between events */
    for (uint32_t k = 0; k < s->q.n; k++) {
        if (!match(&s->ev[evq_index(s->q.h[k].key)], key)) continue;
        if (best == UINT32_MAX || s->q.h[k].at < s->q.h[best].at ||
            (s->q.h[k].at == s->q.h[best].at && s->q.h[k].key < s->q.h[best].key))
            best = k;
    }
    return best;
}

static bool is_message(const ev_t *e, uint64_t id) { return e->kind == EV_DELIVER && e->id == id; }

int sim_deliver_now(sim_t *s, uint64_t id)
{
    if (s->stopped) return SIM_EINPUT;
    uint32_t pos = queue_find(s, is_message, id);
    if (pos == UINT32_MAX) return SIM_ENOTFOUND;
    evq_entry_t top;
    evq_remove(&s->q, pos, &top);
    sim_assert_context(&s->assert_ctx);
    deliver(s, evq_index(top.key));
    if (s->invariants && !s->stopped) check_invariants(s);
    return SIM_OK;
}

int sim_drop_now(sim_t *s, uint64_t id)
{
    uint32_t pos = queue_find(s, is_message, id);
    if (pos == UINT32_MAX) return SIM_ENOTFOUND;
    evq_entry_t top;
    evq_remove(&s->q, pos, &top);
    sim_drop_event(s, evq_index(top.key), DROP_USER);
    return SIM_OK;
}

int sim_fire_timer(sim_t *s, uint64_t id)
{
    uint32_t i = (uint32_t)id;
    if (s->stopped || i >= s->ev_top) return s->stopped ? SIM_EINPUT : SIM_ENOTFOUND;
    const ev_t *e = &s->ev[i];
    if (e->gen != (uint32_t)(id >> 32) || !timer_live(s, e)) return SIM_ENOTFOUND;
    if (s->nodes[e->node].paused) return SIM_EINPUT;
    uint32_t pos = UINT32_MAX;
    for (uint32_t k = 0; k < s->q.n && pos == UINT32_MAX; k++)
        if (evq_index(s->q.h[k].key) == i) pos = k;
    if (pos == UINT32_MAX) return SIM_ENOTFOUND;     /* waiting at a node paused since */
    evq_entry_t top;
    evq_remove(&s->q, pos, &top);
    sim_assert_context(&s->assert_ctx);
    fire_timer(s, i);
    if (s->invariants && !s->stopped) check_invariants(s);
    return SIM_OK;
}
