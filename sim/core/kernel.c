/* kernel.c -- the state of a run and the primitives that change it: the event pool,
 * the trace, sending, node lifecycle and roles, the context API that protocols see, and
 * the read-only views.
 *
 * Nothing here processes an event or calls upwards: the event loop (sim.c), the
 * actions (action.c), the nemeses (nemesis.c) and the clients (workload.c) are built on
 * these primitives, and the primitives know none of them.
 *
 * A message's fate is decided when it is sent (net_send): its latency and arrival,
 * whether it is lost or duplicated. A message that will be lost still travels until its
 * arrival time and is dropped there, so that a viewer sees it fall; partitions and
 * crashes are checked again at arrival, since they may start while the message is in
 * flight.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/sim_int.h"

const char *const sim_op_names[] = {"read", "write", "cas", "append", "add", "transfer", NULL};
const char *const sim_role_names[] = {
    "", "follower", "candidate", "leader", "primary", "backup", "head", "middle", "tail",
    "coordinator", "participant", "master", "replica", NULL,
};

/* ---- Event pool. --------------------------------------------------------------- */

/* Stops the run because a bound was reached; the message names the bound. Like
 * sim_halt, it ends the run cleanly after the current event: the caller reports it. */
void sim_stop_bound(sim_t *s, const char *fmt, ...)
{
    if (s->error[0]) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->error, sizeof s->error, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof s->error)
        snprintf(s->error + n, sizeof s->error - (size_t)n, " at t=%lldns", (long long)s->now);
    s->stopped = true;
}

void sim_ev_schedule(sim_t *s, ev_kind_t kind, uint8_t sub, uint32_t node, sim_time_t at, uint64_t id, int64_t data)
{
    uint32_t i = sim_ev_alloc(s);
    ev_t *e = &s->ev[i];
    e->kind = (uint8_t)kind;
    e->sub = sub;
    e->node = node & 0xffffff;
    e->id = id;
    sim_assert(data >= INT32_MIN && data <= UINT32_MAX);
    e->data = (uint32_t)data;
    sim_ev_push(s, i, at < s->now ? s->now : at);
}

/* ---- Trace. -------------------------------------------------------------------- */

void sim_trace_keep(sim_t *s, const trace_rec_t *r)
{
    /* Once a run stopped, what follows (the workload's final timeouts) must not push
     * the events that led to the violation out of the ring. */
    if ((s->invariants || s->guarded) && !s->stopped) {
        recent_t *k = &s->recent[s->n_recent++ % SIM_RECENT];
        k->r = *r;
        if (r->text) {
            snprintf(k->text, sizeof k->text, "%s", r->text);
            k->r.text = k->text;
        }
    }
    if (s->trace) s->trace(s->trace_ud, r);
}

uint32_t sim_recent(const sim_t *s, trace_rec_t *out, uint32_t max)
{
    uint32_t n = s->n_recent < SIM_RECENT ? s->n_recent : SIM_RECENT;
    if (n > max) n = max;
    for (uint32_t i = 0; i < n; i++) out[i] = s->recent[(s->n_recent - n + i) % SIM_RECENT].r;
    return n;
}

void sim_set_trace(sim_t *s, trace_fn fn, void *ud) { s->trace = fn; s->trace_ud = ud; }

const char *sim_name(const sim_t *s, uint32_t node)
{
    if (node >= s->n_nodes) return "?";
    char **chunk = &s->name_chunk[node >> SIM_NAME_CHUNK_SHIFT];
    if (!*chunk) {
        /* The table of chunk pointers is the sim's, not const: filling it changes no view. */
        *chunk = sim_xcalloc(SIM_NAME_CHUNK, SIM_NAME_MAX);
        uint32_t first = node & ~(SIM_NAME_CHUNK - 1);
        for (uint32_t i = first; i < s->n_nodes && i < first + SIM_NAME_CHUNK; i++)
            scn_node_name(s->scn, i, *chunk + (size_t)(i - first) * SIM_NAME_MAX, SIM_NAME_MAX);
    }
    return *chunk + (size_t)(node & (SIM_NAME_CHUNK - 1)) * SIM_NAME_MAX;
}

/* ---- Sending. ------------------------------------------------------------------ */

static bool take_pending_drop(sim_t *s, uint64_t id);

/* Schedules the arrival of one copy of a message, whose fate the network decides.
 * link is net_link(from, to); the payload is in the pool (handle) or, when small, in
 * `small` (handle MSG_INLINE). */
static void send_copy(sim_t *s, uint32_t from, uint32_t to, int64_t link, unsigned type, uint32_t handle,
                      uint64_t small, uint32_t len, uint32_t size, uint64_t id, bool dup, bool user_drop)
{
    net_fate_t fate;
    net_send_on(&s->net, link, from, to, type, size, s->now, dup, &s->nodes[from].net_rng, &fate);
    int doomed = user_drop ? DROP_USER : fate.doomed;
    sim_time_t arrive = fate.arrive_ns;
    bool again = fate.duplicate;

    uint32_t i = sim_ev_alloc(s);
    ev_t *e = &s->ev[i];
    e->kind = EV_DELIVER;
    e->flags = dup ? EVF_DUPLICATE : 0;
    e->doomed = (int8_t)doomed;
    e->type = (uint16_t)type;
    e->node = to;
    e->id = id;
    e->sent_ns = s->now;
    ev_msg_t *m = sim_msg_alloc(s, e);
    m->from = from;
    m->payload = handle;
    m->small = small;
    m->len = len;
    m->size = size;
    /* Traced before it is queued: a queue past its bound frees the record. */
    sim_trace_msg(s, dup ? TR_DUPLICATE : TR_SEND, e, m, 0, arrive);
    sim_ev_push(s, i, arrive);

    if (again) {
        int64_t h2 = handle;
        if (handle != POOL_NONE && handle != MSG_INLINE) h2 = pool_put(&s->payloads, pool_get(&s->payloads, handle), len);
        if (h2 < 0) return;   /* no room for the copy: the duplicate does not happen */
        s->st.duplicated++;
        send_copy(s, from, to, link, type, (uint32_t)h2, small, len, size, id, true, user_drop);
    }
}

void sim_send_from(sim_t *s, uint32_t from, uint32_t to, unsigned type, const void *payload, uint32_t len, uint32_t size)
{
    sim_assert(type < s->n_mtypes);
    int64_t link = -1;
    bool connected = to < s->n_nodes && net_route(&s->net, from, to, &link);
    /* The link's stream is usually a cache miss (a million links in a 1000-node mesh):
     * start loading it now, under the bookkeeping and the payload copy. */
    net_prefetch(&s->net, link);
    if (!size) size = len ? len : 1;
    uint64_t id = ++s->next_msg_id;
    s->st.sent++;
    s->st.sent_by_type[type]++;
    s->st.bytes_sent += size;
    if (!connected) {
        ev_t tmp = {0};
        ev_msg_t tm = {0};
        tmp.type = (uint16_t)type; tm.from = from; tmp.node = to < s->n_nodes ? to : from;
        tmp.id = id; tm.size = size;
        sim_trace_msg(s, TR_SEND, &tmp, &tm, 0, s->now);
        sim_trace_msg(s, TR_DROP, &tmp, &tm, DROP_UNREACHABLE, s->now);
        s->st.dropped[DROP_UNREACHABLE]++;
        return;
    }
    /* A payload of a few bytes travels in the message's record; others in the pool. */
    uint64_t small = 0;
    int64_t h = MSG_INLINE;
    if (len && len <= MSG_INLINE_BYTES) memcpy(&small, payload, len);
    else h = pool_put(&s->payloads, payload, len);
    if (h < 0) {
        sim_stop_bound(s, "a message payload of %u bytes: more than SIM_PAYLOAD_BYTES_MAX (%u) bytes, or more than "
                   "SIM_PAYLOADS_MAX (%u) payloads in flight", len, SIM_PAYLOAD_BYTES_MAX, SIM_PAYLOADS_MAX);
        return;
    }
    bool drop = s->n_pending_drops && take_pending_drop(s, id);
    send_copy(s, from, to, link, type, (uint32_t)h, small, len, size, id, false, drop);
}

/* A drop recorded in the live view at the instant its message was sent is replayed
 * before that send (recorded actions are scheduled first among events at one time), so
 * a drop of a message not sent yet waits for it. */
int sim_drop_message(sim_t *s, uint64_t id)
{
    evq_settle(&s->q);            /* an event being processed may have left the root open */
    for (uint32_t k = 0; k < s->q.n; k++) {
        ev_t *e = &s->ev[evq_index(s->q.h[k].key)];
        if (e->kind == EV_DELIVER && e->id == id) { e->doomed = DROP_USER; return SIM_OK; }
    }
    if (id <= s->next_msg_id) return SIM_ENOTFOUND;          /* delivered or dropped already */
    if (s->n_pending_drops == SIM_PENDING_DROPS_MAX) return SIM_ELIMIT;
    s->pending_drop[s->n_pending_drops++] = id;
    return SIM_OK;
}

static bool take_pending_drop(sim_t *s, uint64_t id)
{
    for (uint32_t i = 0; i < s->n_pending_drops; i++)
        if (s->pending_drop[i] == id) {
            s->pending_drop[i] = s->pending_drop[--s->n_pending_drops];
            return true;
        }
    return false;
}

/* ---- Node lifecycle. ----------------------------------------------------------- */

static void trace_node(sim_t *s, trace_kind_t k, uint32_t node)
{
    trace_rec_t r = {0};
    r.kind = (uint8_t)k;
    r.a = node;
    r.t = s->now;
    sim_trace(s, &r);
}

/* The protocol's own roles follow the built-in ones. */
static const proto_role_t *own_role(const sim_t *s, unsigned role)
{
    if (role < SIM_ROLE_COUNT_ || !s->proto->roles) return NULL;
    unsigned k = role - SIM_ROLE_COUNT_;
    for (unsigned i = 0; i <= k; i++)
        if (!s->proto->roles[i].name) return NULL;
    return &s->proto->roles[k];
}

const char *sim_role_name(const sim_t *s, unsigned role)
{
    if (role < SIM_ROLE_COUNT_) return sim_role_names[role];
    const proto_role_t *r = own_role(s, role);
    return r ? r->name : "?";
}

sim_role_class_t sim_role_class(const sim_t *s, unsigned role)
{
    if (role < SIM_ROLE_COUNT_) {
        if (sim_role_leads((sim_role_t)role)) return SIM_ROLE_CLASS_LEADING;
        if (role == SIM_ROLE_CANDIDATE) return SIM_ROLE_CLASS_CANDIDATE;
        if (role == SIM_ROLE_FOLLOWER || role == SIM_ROLE_BACKUP) return SIM_ROLE_CLASS_FOLLOWING;
        return SIM_ROLE_CLASS_PASSIVE;
    }
    const proto_role_t *r = own_role(s, role);
    return r ? r->cls : SIM_ROLE_CLASS_PASSIVE;
}

static bool leads(const sim_t *s, unsigned role) { return sim_role_class(s, role) == SIM_ROLE_CLASS_LEADING; }

/* Re-derives the leader after a role change or crash: the up node holding a leading
 * role at the highest term anyone has reported. Leaderless intervals run from losing
 * one to establishing the next. O(servers), but roles change rarely. */
static void leader_update(sim_t *s)
{
    int64_t leader = -1;
    for (uint32_t i = 0; i < s->n_servers; i++)
        if (s->nodes[i].up && leads(s, s->role[i]) && s->term[i] >= s->st.max_term) leader = i;
    if (leader >= 0 && s->leaderless_since >= 0) {
        sim_samples_add(&s->st.leaderless, s->now - s->leaderless_since);
        s->leaderless_since = -1;
    }
    if (leader < 0 && s->had_leader && s->leaderless_since < 0) s->leaderless_since = s->now;
    if (leader >= 0) s->had_leader = true;
    s->leader = leader;
}

void sim_drop_event(sim_t *s, uint32_t i, drop_reason_t why)
{
    ev_t *e = &s->ev[i];
    if (e->kind == EV_DELIVER) {
        sim_trace_msg(s, TR_DROP, e, &s->msg[e->msg], (uint8_t)why, s->now);
        s->st.dropped[why]++;
    }
    sim_ev_release(s, i);
}

void sim_node_crash(sim_t *s, uint32_t node)
{
    node_t *n = &s->nodes[node];
    sim_assert(!n->client);
    if (!n->up) return;
    s->ctx.node = node;
    if (s->proto->on_crash) s->proto->on_crash(&s->ctx);
    if (n->paused) s->n_paused--;
    n->up = 0;
    n->paused = 0;
    n->epoch++;
    memset(s->state + (size_t)node * s->state_size, 0, s->state_size);
    if (s->waits) {
        node_wait_t *w = &s->waits[node];
        for (uint32_t i = w->head, next; i != EV_NONE; i = next) {
            next = s->wait_next[i];
            sim_drop_event(s, i, DROP_CRASH);
        }
        w->head = w->tail = EV_NONE;
    }
    s->st.crashes++;
    s->st.last_fault_ns = s->now;
    trace_node(s, TR_CRASH, node);
    if (s->role[node] != SIM_ROLE_NONE) {
        s->role[node] = SIM_ROLE_NONE;
        leader_update(s);
    }
}

void sim_node_restart(sim_t *s, uint32_t node)
{
    node_t *n = &s->nodes[node];
    sim_assert(!n->client);
    if (n->up) return;
    n->up = 1;
    s->st.restarts++;
    s->st.last_fault_ns = s->now;
    trace_node(s, TR_RESTART, node);
    s->ctx.node = node;
    s->in_callback = true;
    s->proto->init(&s->ctx);
    s->in_callback = false;
}

static void membership_notify(sim_t *s, uint32_t node, bool joined)
{
    if (!s->proto->on_membership) return;
    for (uint32_t i = 0; i < s->n_servers; i++) {
        if (!s->nodes[i].up || (!s->nodes[i].member && i != node)) continue;
        s->ctx.node = i;
        s->in_callback = true;
        s->proto->on_membership(&s->ctx, node, joined);
        s->in_callback = false;
    }
}

void sim_node_join(sim_t *s, uint32_t node)
{
    node_t *n = &s->nodes[node];
    if (n->member) return;
    n->member = 1;
    s->st.last_fault_ns = s->now;
    trace_node(s, TR_JOIN, node);
    if (!n->up) {
        n->up = 1;
        s->ctx.node = node;
        s->in_callback = true;
        s->proto->init(&s->ctx);
        s->in_callback = false;
    }
    membership_notify(s, node, true);
}

void sim_node_leave(sim_t *s, uint32_t node)
{
    node_t *n = &s->nodes[node];
    if (!n->member) return;
    n->member = 0;
    s->st.last_fault_ns = s->now;
    trace_node(s, TR_LEAVE, node);
    membership_notify(s, node, false);
}

uint32_t sim_random_member(sim_t *s, rng_t *r)
{
    uint32_t k = (uint32_t)rng_below(r, s->n_servers);
    /* Probe from a random start so members are chosen uniformly enough; one draw
     * keeps the stream's use independent of how many are members. */
    for (uint32_t i = 0; i < s->n_servers; i++) {
        uint32_t c = (k + i) % s->n_servers;
        if (s->nodes[c].member) return c;
    }
    return k;
}

/* Tells the protocol (proto_t version 5) that node stopped or went on. */
static void pause_notify(sim_t *s, uint32_t node, bool paused)
{
    s->ctx.node = node;
    s->in_callback = true;
    s->proto->on_pause(&s->ctx, paused);
    s->in_callback = false;
}

void sim_node_pause(sim_t *s, uint32_t node)
{
    node_t *n = &s->nodes[node];
    if (!n->up || n->paused) return;
    if (!s->waits) {
        /* The first pause of the run: one allocation, then none. */
        s->waits = sim_xcalloc(s->n_nodes, sizeof *s->waits);
        s->wait_next = sim_reserve((size_t)SIM_EVENTS_MAX * sizeof *s->wait_next);
        if (!s->wait_next) { fprintf(stderr, "dsim: out of address space for SIM_EVENTS_MAX wait links\n"); abort(); }
        for (uint32_t i = 0; i < s->n_nodes; i++) s->waits[i].head = s->waits[i].tail = EV_NONE;
    }
    n->paused = 1;
    s->n_paused++;
    trace_node(s, TR_PAUSE, node);
    if (s->proto->on_pause && node < s->n_servers) pause_notify(s, node, true);
}

void sim_node_resume(sim_t *s, uint32_t node)
{
    node_t *n = &s->nodes[node];
    if (!n->paused) return;
    n->paused = 0;
    s->n_paused--;
    trace_node(s, TR_RESUME, node);
    if (s->proto->on_pause && node < s->n_servers) pause_notify(s, node, false);
    /* What waited is processed now, in the order it arrived. */
    node_wait_t *w = &s->waits[node];       /* allocated by the pause */
    for (uint32_t i = w->head, next; i != EV_NONE; i = next) {
        next = s->wait_next[i];
        sim_ev_push(s, i, s->now);
    }
    w->head = w->tail = EV_NONE;
}


sim_time_t sim_node_clock(const sim_t *s, uint32_t node)
{
    if (!s->clocks) return s->now;
    const node_clock_t *k = &s->clocks[node];
    sim_time_t dt = s->now - k->base_ns;
    return k->local_ns + dt + (sim_time_t)((double)dt * k->drift);
}

void sim_node_set_clock(sim_t *s, uint32_t node, unsigned mask, sim_time_t skew_ns, double drift)
{
    if (!s->clocks) {
        /* The first clock set apart from true time: one allocation, then none. Every
         * clock so far was true, which is what a zeroed entry says. */
        s->clocks = sim_xcalloc(s->n_nodes, sizeof *s->clocks);
        for (uint32_t i = 0; i < s->n_nodes; i++) s->clocks[i].base_ns = s->clocks[i].local_ns = s->now;
    }
    node_clock_t *k = &s->clocks[node];
    k->local_ns = sim_node_clock(s, node);
    k->base_ns = s->now;
    if (mask & CLOCK_F_SKEW) k->local_ns = s->now + skew_ns;
    if (mask & CLOCK_F_DRIFT) k->drift = drift;
}

/* ---- The context API. ---------------------------------------------------------- */

uint32_t sim_self(sim_ctx *c) { return c->node; }
uint32_t sim_servers(sim_ctx *c) { return c->s->n_servers; }
const char *sim_node_name(sim_ctx *c, uint32_t node) { return sim_name(c->s, node); }
const void *sim_config(sim_ctx *c) { return c->s->cfg; }
void *sim_state(sim_ctx *c) { return c->s->state + (size_t)c->node * c->s->state_size; }
void *sim_durable(sim_ctx *c) { return c->s->durable + (size_t)c->node * c->s->durable_size; }
uint32_t sim_n_peers(sim_ctx *c) { return net_n_peers(&c->s->net, c->node); }
bool sim_is_member(sim_ctx *c, uint32_t node) { return node < c->s->n_servers && c->s->nodes[node].member; }
uint32_t sim_peer(sim_ctx *c, uint32_t i) { return net_peer(&c->s->net, c->node, i); }
sim_time_t sim_now(sim_ctx *c) { return c->s->now; }
sim_time_t sim_clock(sim_ctx *c) { return sim_node_clock(c->s, c->node); }
rng_t *sim_rng(sim_ctx *c) { return &c->s->nodes[c->node].rng; }

void sim_send(sim_ctx *c, uint32_t to, unsigned type, const void *payload, uint32_t len, uint32_t size)
{
    sim_assert(type + SIM_MSG_BUILTIN < c->s->n_mtypes);
    sim_send_from(c->s, c->node, to, type + SIM_MSG_BUILTIN, payload, len, size);
}

static void reply(sim_ctx *c, const sim_req_t *req, sim_reply_status_t st, const int64_t *values, uint32_t n, bool list)
{
    sim_t *s = c->s;
    if (n > SIM_REPLY_VALUES_MAX) n = SIM_REPLY_VALUES_MAX;
    size_t len = sizeof(reply_msg_t) + (size_t)n * sizeof(int64_t);
    reply_msg_t *m = s->reply;
    memset(m, 0, sizeof *m);
    m->op_id = req->op_id;
    m->attempt = req->attempt;
    m->status = (uint8_t)st;
    m->list = list;
    m->n = n;
    if (n) memcpy(m->values, values, (size_t)n * sizeof(int64_t));
    sim_send_from(s, c->node, req->client, 1, m, (uint32_t)len, 0);
}

void sim_reply(sim_ctx *c, const sim_req_t *req, sim_reply_status_t st, const int64_t *values, uint32_t n)
{
    reply(c, req, st, values, n, false);
}

void sim_reply_list(sim_ctx *c, const sim_req_t *req, const int64_t *values, uint32_t n)
{
    reply(c, req, SIM_REPLY_OK, values, n, true);
}

void sim_reply_redirect(sim_ctx *c, const sim_req_t *req, uint32_t node)
{
    reply_msg_t m = {0};
    m.op_id = req->op_id;
    m.attempt = req->attempt;
    m.status = SIM_REPLY_REDIRECT;
    m.redirect = node;
    sim_send_from(c->s, c->node, req->client, 1, &m, sizeof m, 0);
}

uint64_t sim_timer_set(sim_ctx *c, sim_time_t delay, int kind, uint64_t data)
{
    sim_t *s = c->s;
    if (delay < 0) delay = 0;
    uint32_t i = sim_ev_alloc(s);
    ev_t *e = &s->ev[i];
    e->kind = EV_TIMER;
    e->node = c->node;
    e->epoch = s->nodes[c->node].epoch;
    e->timer_kind = kind;
    e->id = data;
    e->sent_ns = s->now;
    sim_ev_push(s, i, s->now + delay);
    return (uint64_t)e->gen << 32 | i;
}

void sim_timer_cancel(sim_ctx *c, uint64_t id)
{
    sim_t *s = c->s;
    uint32_t i = (uint32_t)id;
    if (i >= s->ev_top) return;
    ev_t *e = &s->ev[i];
    if (e->kind == EV_TIMER && e->gen == (uint32_t)(id >> 32) && e->node == c->node) e->flags |= EVF_CANCELLED;
}

void sim_log(sim_ctx *c, const char *fmt, ...)
{
    sim_t *s = c->s;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->logbuf, sizeof s->logbuf, fmt, ap);
    va_end(ap);
    trace_rec_t r = {0};
    r.kind = TR_LOG;
    r.a = c->node;
    r.t = s->now;
    r.text = s->logbuf;
    sim_trace(s, &r);
}

void sim_halt(sim_ctx *c, const char *fmt, ...)
{
    sim_t *s = c->s;
    if (s->error[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof s->error, fmt, ap);
    va_end(ap);
    s->stopped = true;
}

const char *sim_error(const sim_t *s) { return s->error[0] ? s->error : NULL; }

const sim_fault_t *sim_fault(const sim_t *s) { return s->fault.callback ? &s->fault : NULL; }

void sim_set_role(sim_ctx *c, sim_role_t role, int64_t term)
{
    sim_t *s = c->s;
    uint32_t n = c->node;
    if (s->role[n] == role && s->term[n] == term) return;
    if ((unsigned)role >= SIM_ROLE_COUNT_ && !own_role(s, role)) {
        sim_halt(c, "%s set role %d, which is neither built in nor in the protocol's roles", sim_name(s, n), (int)role);
        return;
    }
    if (leads(s, role) && !leads(s, s->role[n])) s->st.elections++;
    s->role[n] = (uint8_t)role;
    s->term[n] = term;
    if (term > s->st.max_term) s->st.max_term = term;
    trace_rec_t r = {0};
    r.kind = TR_ROLE;
    r.type = (uint16_t)role;
    r.a = n;
    r.t = s->now;
    r.x = term;
    sim_trace(s, &r);
    leader_update(s);
}

sim_role_t sim_node_role(const sim_t *s, uint32_t node, int64_t *term)
{
    if (term) *term = s->term[node];
    return (sim_role_t)s->role[node];
}

int64_t sim_leader(const sim_t *s) { return s->leader; }

uint32_t sim_n_servers(const sim_t *s) { return s->n_servers; }
const void *sim_config_of(const sim_t *s) { return s->cfg; }
sim_time_t sim_equal_since(const sim_t *s) { return s->st.equal_since_ns; }
uint64_t sim_sent_of_type(const sim_t *s, unsigned type) { return type < SIM_MSG_TYPES_MAX ? s->st.sent_by_type[type] : 0; }

uint64_t sim_n_op_events(const sim_t *s) { return s->hist.n_ev; }

void sim_op_event(const sim_t *s, uint64_t i, sim_op_event_t *out)
{
    const hist_t *h = &s->hist;
    const hist_event_t *e = &h->ev[i];
    memset(out, 0, sizeof *out);
    out->type = e->type;
    out->process = e->process;
    out->t = e->time_ns;
    out->f = -1;
    const char *fname = hist_f_name(h, e);
    for (int k = 0; sim_op_names[k]; k++)
        if (strcmp(sim_op_names[k], fname) == 0) out->f = (int8_t)k;
    /* The workload names keys "k0", "k1", ...: the index is the number. */
    const char *kname = hist_key_name(h, e);
    out->key = kname && kname[0] == 'k' ? strtoll(kname + 1, NULL, 10) : -1;
    out->n = e->n;
    out->values = e->n ? hist_vals(h, e) : NULL;
}

int sim_msg_type_register(sim_ctx *c, const char *name)
{
    sim_t *s = c->s;
    for (unsigned i = SIM_MSG_BUILTIN; i < s->n_mtypes; i++)
        if (strcmp(s->mtype[i], name) == 0) return (int)(i - SIM_MSG_BUILTIN);
    if (s->n_mtypes == SIM_MSG_TYPES_MAX || s->n_own_mtypes == SIM_MSG_TYPES_MAX) return -1;
    char *copy = strdup(name);
    if (!copy) return -1;
    s->own_mtype[s->n_own_mtypes++] = copy;
    s->mtype[s->n_mtypes++] = copy;
    return (int)(s->n_mtypes - 1 - SIM_MSG_BUILTIN);
}

bool sim_violation_set(sim_violation_t *v, const char *name, int64_t a, int64_t b, const char *fmt, ...)
{
    snprintf(v->name, sizeof v->name, "%s", name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->detail, sizeof v->detail, fmt, ap);
    va_end(ap);
    v->n_nodes = 0;
    if (a >= 0) v->nodes[v->n_nodes++] = (uint32_t)a;
    if (b >= 0 && b != a) v->nodes[v->n_nodes++] = (uint32_t)b;
    return true;
}
void *sim_check_state(sim_t *s) { return s->check; }
void *sim_node_state(sim_t *s, uint32_t node) { return s->state + (size_t)node * s->state_size; }
void *sim_node_durable(sim_t *s, uint32_t node) { return s->durable + (size_t)node * s->durable_size; }
bool sim_node_up(const sim_t *s, uint32_t node) { return s->nodes[node].up; }
sim_time_t sim_time(const sim_t *s) { return s->now; }

/* ---- Views. -------------------------------------------------------------------- */

const scn_t *sim_scenario(const sim_t *s) { return s->scn; }
uint64_t sim_seed(const sim_t *s) { return s->seed; }
sim_time_t sim_end(const sim_t *s) { return s->end; }
bool sim_stopped(const sim_t *s) { return s->stopped; }
bool sim_next_time(const sim_t *s, sim_time_t *t) { return evq_peek(&s->q, t); }
uint64_t sim_trace_hash(const sim_t *s) { return s->hash; }
const sim_stats_t *sim_stats(const sim_t *s) { return &s->st; }
const hist_t *sim_history(const sim_t *s) { return &s->hist; }
uint64_t sim_history_dropped(const sim_t *s) { return s->hist_dropped; }
void sim_set_history_stream(sim_t *s, FILE *f) { s->hist_out = f; }

void sim_history_record(sim_t *s, uint32_t process, hist_type_t type, uint16_t f, int32_t key,
                        hist_vkind_t vkind, const int64_t *vals, uint32_t n)
{
    /* Added even past the bound, so the stream gets it in the usual form, then taken
     * back out of memory. Once one event is dropped no later one is kept, so what
     * memory holds is always a prefix of the history: checks of a prefix are sound
     * (runcheck.c says what they can and cannot conclude from one). */
    uint32_t kept = s->hist.n_ev;
    int64_t ix = hist_add(&s->hist, process, type, f, key, vkind, vals, n, s->now);
    if (ix < 0) { s->hist_dropped++; return; }   /* past hist_add's own bounds on values */
    if (s->hist_out) hist_write_event(s->hist_out, &s->hist, &s->hist.ev[ix]);
    if (s->hist_dropped || s->hist.n_ev > SIM_RUN_HISTORY_EVENTS_MAX) {
        hist_truncate(&s->hist, kept);
        s->hist_dropped++;
    }
}
const proto_t *sim_protocol(const sim_t *s) { return s->proto; }
const char *sim_msg_type_name(const sim_t *s, unsigned type) { return type < s->n_mtypes ? s->mtype[type] : "?"; }
unsigned sim_n_msg_types(const sim_t *s) { return s->n_mtypes; }
uint32_t sim_n_nodes(const sim_t *s) { return s->n_nodes; }
const char *sim_name_of(const sim_t *s, uint32_t node) { return sim_name(s, node); }

const sim_violation_t *sim_violation(const sim_t *s, sim_time_t *when)
{
    if (!s->stopped || !s->violation.name[0]) return NULL;
    if (when) *when = s->violation_ns;
    return &s->violation;
}

void sim_node_info(const sim_t *s, uint32_t node, sim_node_info_t *out)
{
    const node_t *n = &s->nodes[node];
    out->name = sim_name(s, node);
    out->client = n->client;
    out->up = n->up;
    out->paused = n->paused;
    out->member = n->member;
    out->group = s->net.partitioned ? s->net.group[node] : 0;
    out->isolated = s->net.partitioned && s->net.n_isolated && node < s->n_servers && s->net.isolated[node];
    out->clock_ns = sim_node_clock(s, node);
    out->role = node < s->n_servers ? (sim_role_t)s->role[node] : SIM_ROLE_NONE;
    out->term = node < s->n_servers ? s->term[node] : 0;
}

bool sim_partitioned(const sim_t *s) { return s->net.partitioned; }
uint8_t sim_n_groups(const sim_t *s) { return s->net.partitioned ? s->net.n_groups : 0; }
const net_params_t *sim_link_params(const sim_t *s, uint32_t a, uint32_t b) { return net_params_of(&s->net, net_link(&s->net, a, b)); }
bool sim_link_blocked(const sim_t *s, uint32_t from, uint32_t to) { return net_blocked(&s->net, from, to); }
bool sim_linked(const sim_t *s, uint32_t a, uint32_t b) { return net_connected(&s->net, a, b); }
uint32_t sim_n_peers_of(const sim_t *s, uint32_t node) { return net_n_peers(&s->net, node); }
uint32_t sim_peer_of(const sim_t *s, uint32_t node, uint32_t i) { return net_peer(&s->net, node, i); }

/* describe and export_state only read a node's state, but they are called through the
 * same context handle as every callback, which the core fills in: that is the one
 * write a view makes, and it is not part of the run. */
void sim_describe(const sim_t *cs, uint32_t node, proto_desc_t *d)
{
    sim_t *s = (sim_t *)cs;
    memset(d, 0, sizeof *d);
    d->term = d->commit = d->log_len = -1;
    if (node >= s->n_servers || !s->proto->describe || !s->nodes[node].up) return;
    s->ctx.node = node;
    s->proto->describe(&s->ctx, d);
}

void sim_export_node(const sim_t *cs, uint32_t node, jw_t *w)
{
    sim_t *s = (sim_t *)cs;
    if (node >= s->n_servers || !s->proto->export_state) { jw_null(w); return; }
    s->ctx.node = node;
    s->proto->export_state(&s->ctx, w);
}

void sim_each_flight(const sim_t *s, void (*fn)(void *ud, const sim_flight_t *f), void *ud)
{
    sim_assert(!s->q.hole);       /* a view between events */
    for (uint32_t k = 0; k < s->q.n; k++) {
        const ev_t *e = &s->ev[evq_index(s->q.h[k].key)];
        if (e->kind != EV_DELIVER) continue;
        const ev_msg_t *m = &s->msg[e->msg];
        sim_flight_t f = {e->id, m->from, e->node, e->type, m->size, e->sent_ns, s->q.h[k].at, e->doomed, false,
                          sim_msg_payload(s, m), m->len};
        fn(ud, &f);
    }
    for (uint32_t n = 0; s->n_paused && n < s->n_nodes; n++)
        for (uint32_t i = s->waits[n].head; i != EV_NONE; i = s->wait_next[i]) {
            const ev_t *e = &s->ev[i];
            if (e->kind != EV_DELIVER) continue;
            const ev_msg_t *m = &s->msg[e->msg];
            sim_flight_t f = {e->id, m->from, e->node, e->type, m->size, e->sent_ns, m->arrive_ns, e->doomed, true,
                              sim_msg_payload(s, m), m->len};
            fn(ud, &f);
        }
}


void sim_each_timer(const sim_t *s, void (*fn)(void *ud, const sim_timer_t *t), void *ud)
{
    sim_assert(!s->q.hole);       /* a view between events */
    for (uint32_t k = 0; k < s->q.n; k++) {
        uint32_t i = evq_index(s->q.h[k].key);
        const ev_t *e = &s->ev[i];
        if (!timer_live(s, e)) continue;
        sim_timer_t t = {(uint64_t)e->gen << 32 | i, e->node, e->timer_kind, e->id, e->sent_ns, s->q.h[k].at};
        fn(ud, &t);
    }
}

/* ---- Client messages, decoded for the window. --------------------------------------- */

int sim_describe_builtin(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    if (type == 0) {
        sim_req_t r;
        if (len < sizeof r) return 0;
        memcpy(&r, payload, sizeof r);
        const char *f = r.f < SIM_OP_COUNT_ ? sim_op_names[r.f] : "?";
        const char *again = r.attempt ? ", again" : "";
        switch (r.f) {
        case SIM_OP_READ: return snprintf(buf, buf_len, "read k%u (op %llu%s)", r.key, (unsigned long long)r.op_id, again);
        case SIM_OP_CAS:
            return snprintf(buf, buf_len, "cas k%u from %lld to %lld (op %llu%s)", r.key, (long long)r.value, (long long)r.value2,
                            (unsigned long long)r.op_id, again);
        case SIM_OP_TRANSFER:
            return snprintf(buf, buf_len, "move %lld from k%u to k%u (op %llu%s)", (long long)r.value, r.key, r.key2,
                            (unsigned long long)r.op_id, again);
        default: return snprintf(buf, buf_len, "%s k%u %lld (op %llu%s)", f, r.key, (long long)r.value, (unsigned long long)r.op_id, again);
        }
    }
    if (type == 1) {
        reply_msg_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        static const char *const status[] = {"ok", "failed", "not here", "unavailable"};
        const char *st = m.status < SIM_ARRAY_LEN(status) ? status[m.status] : "?";
        if (m.status == SIM_REPLY_REDIRECT) return snprintf(buf, buf_len, "not here: ask node %u (op %llu)", m.redirect, (unsigned long long)m.op_id);
        uint32_t n = (uint32_t)((len - sizeof m) / sizeof(int64_t));
        if (n > m.n) n = m.n;
        int o = snprintf(buf, buf_len, "%s (op %llu)", st, (unsigned long long)m.op_id);
        for (uint32_t i = 0; i < n && i < 4 && o > 0 && (size_t)o < buf_len; i++) {
            int64_t x;
            memcpy(&x, (const char *)payload + sizeof m + i * sizeof x, sizeof x);
            o += snprintf(buf + o, buf_len - (size_t)o, "%s%lld", i ? ", " : ": ", (long long)x);
        }
        if (n > 4 && o > 0 && (size_t)o < buf_len) o += snprintf(buf + o, buf_len - (size_t)o, ", ...");
        return o;
    }
    return 0;
}
