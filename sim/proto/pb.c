/* pb.c -- primary-backup replication, with a configuration service that decides who
 * is primary.
 *
 * One replica, the primary, orders every client operation, applies it to the shared
 * key-value state machine (kv.c) and sends it to the backups, which apply the same
 * operations in the same order. If the primary fails, a backup that holds everything
 * the primary acknowledged takes over. This is the primary-backup approach as Budhiraja,
 * Marzullo, Schneider and Toueg describe it ("The Primary-Backup Approach", in
 * Distributed Systems, 2nd ed., 1993): a primary that does not answer a client before
 * every backup has the update. Who is primary is not decided by the replicas among
 * themselves but by a separate configuration service, the way chain replication's master
 * (van Renesse and Schneider, OSDI 2004) and the view service of MIT's 6.824
 * primary/backup lab do it.
 *
 * Nodes. The last server node is the configuration service ("master"); the others are
 * replicas. Every replica sends the service a heartbeat (ping) each `heartbeat`; the
 * service answers with the current view: a number, the primary, and the backups.
 *
 *      n1 (primary) ──ping──> n4 (config)        view 3: primary n1, backups n2 n3
 *      n2 (backup)  ──ping──> n4 <──ping── n3 (backup)
 *
 * Normal operation, mode "sync" (the default):
 *
 *   client       n1 (primary)              n2 (backup)          n3 (backup)
 *     │──write──>│ apply as op 17
 *     │          │──forward(view 3, op 17)─>│                    │
 *     │          │──forward(view 3, op 17)──────────────────────>│
 *     │          │<──forward-ack(applied 17)│                    │
 *     │          │<──forward-ack(applied 17)─────────────────────│
 *     │<──ok─────│ every backup has op 17: only now is the client told
 *
 * Reads are ordered the same way, so that a primary which has been replaced (and does
 * not know it yet) cannot answer one from stale state: its forwards reach a backup that
 * has moved on, and are refused.
 *
 * Changing the view. When the primary misses heartbeats for `dead_after`, the service
 * promotes a backup and sends the new view to everyone; a dead backup is dropped and a
 * replica that comes back is added, each time with the next view number:
 *
 *      n4: no ping from n1 for 250ms ──view 4: primary n2, backups n3──> n1 n2 n3
 *      n2 (new primary) ──state(view 4, 17 ops, the kv table)──> n3
 *      n3 ──forward-ack(view 4, applied 17)──> n2         n3 is in sync in view 4
 *
 * A backup takes operations in a view only after the view's primary has sent it its
 * whole state, so all replicas of a view hold the same sequence. The service promotes
 * only a backup that has reported being in sync since it last joined the view: such a
 * backup has acknowledged every operation the primary acknowledged, because the
 * primary waited for it. If there is none, the service waits for the primary.
 *
 * Mode "async" answers the client as soon as the primary has applied the operation, and
 * forwards it afterwards; reads are answered from the primary's own table. Writes are
 * faster, but an acknowledged write that had not reached a backup is lost when the
 * primary fails. Worse, a primary cut off from the service by a partition keeps
 * acknowledging writes after the service has promoted a backup: two nodes both act as
 * primary (split brain), and everything the old one acknowledges is lost when it
 * rejoins and is overwritten with the new primary's state.
 *
 * What survives a crash. Replicas keep their table and their position (operations
 * applied, the view) on disk (sim_durable), as a database would; the service keeps the
 * view. Everything else -- operations waiting for backups, who acknowledged what -- is
 * volatile, and clients whose operations were waiting find out by timing out. A
 * restarted service has heard from nobody yet, so it judges nobody dead until
 * `dead_after` has passed. The network may deliver a request twice; the primary
 * recognizes the copy by its operation id (it remembers the last PB_RING) and never
 * applies it again.
 *
 * The checker holds both modes to the promise that sync mode makes: no acknowledged
 * write is lost. Every replica chains a hash over the operations it applies (op 17's
 * hash covers ops 1..17). The checker notes each acknowledgement a primary gives a
 * client (operation number and chain hash) and checks two things:
 *   1. when a node becomes primary of a view newer than any before, its state contains
 *      the newest acknowledged operation: it has applied at least that many, with the
 *      same chain hash at that operation;
 *   2. a primary of an older view acknowledges only operations that the newest primary
 *      already had when it took over.
 * The fault assumptions under which sync mode keeps the promise: crashes and restarts of
 * any nodes (replicas keep their state on disk), message loss, duplication and delay,
 * and partitions of any shape, including ones that cut off the configuration service --
 * provided the service's own view survives, which it does on disk. What sync mode gives
 * up under partitions is progress: a primary that cannot reach a backup, or a service
 * that cannot reach a synced backup, waits. Async mode breaks the promise under a
 * partition or a crash, and the checker says so; scenarios/pb-async-loses-write.json
 * shows it.
 *
 * The variant "ack-before-replicate" is a sync primary that answers the client before
 * it sends the operation to the backups, as async does, which the checker must catch.
 *
 * Limits: at most PB_NODES_MAX servers; PB_PENDING operations waiting for backups at
 * once (more are refused as unavailable); reconfiguring the service itself is out of
 * scope: it is one node, trusted to keep its view.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "proto/kv.h"
#include "proto/proto.h"

#define PB_NODES_MAX 64         /* replica sets are 64-bit masks */
#define PB_PENDING 256          /* operations the primary keeps for backups (power of two) */
#define PB_RING 256             /* chain hashes each replica remembers (power of two) */
#define PB_BATCH_MAX 16         /* operations resent to one backup per tick; more: the whole state */
#define PB_NONE (-1)

/* ---- Messages (the wire format; tests/test_pb.c restates it). ----------------------- */

enum { PB_PING, PB_VIEW, PB_FORWARD, PB_FORWARD_ACK, PB_STATE };

typedef struct pb_view {
    int64_t num;                /* 0: no view yet */
    int32_t primary;            /* PB_NONE when there is none */
    uint32_t _pad;
    uint64_t backups;           /* bitmask of replicas */
} pb_view_t;

typedef struct pb_ping {
    int64_t view;               /* the newest view this replica knows */
    int64_t synced_view;        /* the view whose primary last gave it its whole state */
    uint64_t applied;
} pb_ping_t;

typedef struct pb_forward {
    int64_t view;
    uint64_t seq;               /* the operation's number in the primary's sequence */
    uint64_t op_id;             /* the client's, to recognize a duplicate request */
    kv_cmd_t cmd;
} pb_forward_t;

typedef struct pb_forward_ack {
    int64_t view;
    uint64_t applied;           /* cumulative: every operation up to this one */
    uint8_t synced;             /* 0: send me your state first */
    uint8_t _pad[7];
} pb_forward_ack_t;

typedef struct pb_state_msg {
    int64_t view;
    uint64_t applied;
    uint64_t digest;
    uint64_t kv_len;            /* bytes of the kv table that follow */
    uint8_t kv[];
} pb_state_msg_t;

/* ---- Durable state. ------------------------------------------------------------------ */

/* Operation `seq` (the client's op_id) and the chain hash after it, kept for the last
 * PB_RING operations. */
typedef struct pb_mark { uint64_t seq, digest, op_id; } pb_mark_t;

typedef struct pb_durable {
    /* A replica's disk. */
    int64_t view;
    int64_t synced_view;
    uint64_t applied;
    uint64_t digest;
    pb_mark_t ring[PB_RING];
    /* The configuration service's disk. */
    pb_view_t cs_view;
    int64_t member_since[PB_NODES_MAX];   /* view since which each backup has been in the view */
    int64_t kv[];               /* the replica's table (kv_t), kv_bytes(n_keys) */
} pb_durable_t;

/* ---- Volatile state. ------------------------------------------------------------------ */

/* An operation the primary applied, kept until every backup has it. */
typedef struct pb_pending {
    uint64_t seq;
    uint64_t digest;
    sim_req_t req;
    kv_result_t res;
    uint8_t replied;
    uint8_t _pad[7];
} pb_pending_t;

/* What the checker reads: the newest acknowledgement this primary gave. */
typedef struct pb_ack {
    uint64_t seq, digest;
    int64_t view;
    kv_cmd_t cmd;
} pb_ack_t;

typedef struct pb_state {
    uint8_t role;               /* SIM_ROLE_PRIMARY, SIM_ROLE_BACKUP, SIM_ROLE_MASTER or SIM_ROLE_NONE */
    uint8_t have_view;          /* a view has been heard since the last start */
    uint8_t _pad[6];
    pb_view_t view;             /* a replica: the view it acts in */
    /* A primary. */
    uint64_t acked[PB_NODES_MAX];    /* per backup: operations it has acknowledged in this view */
    uint64_t need_state;        /* backups that must be sent the whole state first */
    uint64_t committed;         /* every backup has every operation up to this */
    pb_pending_t pending[PB_PENDING];
    uint64_t n_acks;            /* acknowledgements given, for the checker */
    pb_ack_t last_ack;
    /* A backup: forwards that arrived ahead of a missing one (the network reorders),
     * kept until the gap is filled, at seq % PB_PENDING. */
    pb_forward_t early[PB_PENDING];
    /* The configuration service. */
    sim_time_t started_ns;      /* when it last started: it judges nobody dead before
                                 * dead_after has passed since */
    sim_time_t last_ping_ns[PB_NODES_MAX];
    int64_t synced[PB_NODES_MAX];    /* the synced_view each replica last reported */
} pb_state_t;

enum { TIMER_TICK };

/* ---- Configuration and the checker's bookkeeping. --------------------------------------- */

/* The checker's bookkeeping, in the memory the core gives each simulation for it. */
typedef struct pb_check {
    bool ran;                   /* the checker ran in this simulation */
    uint64_t seen_acks[PB_NODES_MAX];
    uint64_t n_acked;           /* acknowledgements seen, for the summary */
    uint8_t have_acked;
    uint8_t _pad0[7];
    /* The newest acknowledged operation. */
    uint64_t acked_seq, acked_digest;
    int64_t acked_view;
    uint32_t acked_node;
    uint32_t _pad;
    kv_cmd_t acked_cmd;
    sim_time_t acked_ns;
    /* The newest view a primary has taken over, and its state then. */
    int64_t inst_view;
    uint32_t inst_node;
    uint32_t _pad2;
    uint64_t inst_seq;
    sim_time_t inst_ns;
    /* Time with two or more up nodes acting as primary (harmless in sync mode, where the
     * replaced one can no longer get anything acknowledged). */
    sim_time_t last_ns, split_ns;
    uint32_t primaries;
    uint32_t max_primaries;
} pb_check_t;

enum { MODE_SYNC, MODE_ASYNC };
enum { VARIANT_NONE, VARIANT_ACK_BEFORE_REPLICATE };

typedef struct pb_config {
    int mode;
    int variant;
    sim_time_t heartbeat_ns;
    sim_time_t dead_after_ns;
    uint32_t n_servers, n_keys;
} pb_config_t;

/* ---- Helpers. ----------------------------------------------------------------------- */

static pb_state_t *state(sim_ctx *c) { return sim_state(c); }
static pb_durable_t *durable(sim_ctx *c) { return sim_durable(c); }
static const pb_config_t *config(sim_ctx *c) { return sim_config(c); }
static kv_t *kv(sim_ctx *c) { return (kv_t *)durable(c)->kv; }
static uint32_t service(uint32_t n_servers) { return n_servers - 1; }
static bool is_service(sim_ctx *c) { return sim_self(c) == service(sim_servers(c)); }
static uint32_t popcount(uint64_t x) { return (uint32_t)__builtin_popcountll(x); }

static uint64_t cmd_hash(const kv_cmd_t *k)
{
    uint64_t h = sim_mix64(0x9b0ULL ^ k->f ^ (uint64_t)k->key << 8);
    h = sim_mix64(h ^ (uint64_t)k->v1);
    return sim_mix64(h ^ (uint64_t)k->v2);
}

static uint64_t chain(uint64_t digest, uint64_t seq, const kv_cmd_t *k)
{
    return sim_mix64(digest ^ sim_mix64(seq) ^ cmd_hash(k));
}

static const char *cmd_str(const kv_cmd_t *k, char *buf, size_t len)
{
    switch (k->f) {
    case SIM_OP_READ: snprintf(buf, len, "read k%u", k->key); break;
    case SIM_OP_WRITE: snprintf(buf, len, "write k%u=%lld", k->key, (long long)k->v1); break;
    case SIM_OP_CAS: snprintf(buf, len, "cas k%u %lld->%lld", k->key, (long long)k->v1, (long long)k->v2); break;
    case SIM_OP_ADD: snprintf(buf, len, "add k%u+%lld", k->key, (long long)k->v1); break;
    default: snprintf(buf, len, "op %u on k%u", k->f, k->key); break;
    }
    return buf;
}

/* The chain hash after operation seq, if this replica still remembers it. */
static bool digest_at(const pb_durable_t *d, uint64_t seq, uint64_t *out)
{
    if (seq == 0) { *out = 0; return true; }
    const pb_mark_t *m = &d->ring[seq % PB_RING];
    if (m->seq != seq || seq > d->applied) return false;
    *out = m->digest;
    return true;
}

/* Applies one operation in sequence; returns its result. */
static kv_result_t apply(sim_ctx *c, const kv_cmd_t *cmd, uint64_t op_id)
{
    pb_durable_t *d = durable(c);
    kv_result_t r = kv_apply(kv(c), cmd);
    d->applied++;
    d->digest = chain(d->digest, d->applied, cmd);
    d->ring[d->applied % PB_RING] = (pb_mark_t){d->applied, d->digest, op_id};
    return r;
}

/* The sequence number of a recent operation with this op_id, or 0. The network may
 * deliver a request twice; applying it twice would, say, fail a cas that succeeded. */
static uint64_t recent_op(const pb_durable_t *d, uint64_t op_id)
{
    for (uint32_t i = 0; i < PB_RING; i++)
        if (d->ring[i].op_id == op_id && d->ring[i].seq && d->ring[i].seq <= d->applied) return d->ring[i].seq;
    return 0;
}

static void set_role(sim_ctx *c, sim_role_t role)
{
    state(c)->role = (uint8_t)role;
    sim_set_role(c, role, role == SIM_ROLE_MASTER ? durable(c)->cs_view.num : durable(c)->view);
}

/* ---- The primary. ----------------------------------------------------------------------- */

/* The state message is built in the node's own memory, after pb_state_t: a kv table
 * can be larger than a stack buffer should be. */
static pb_state_msg_t *state_buf(sim_ctx *c) { return (pb_state_msg_t *)(state(c) + 1); }

static void send_state(sim_ctx *c, uint32_t to)
{
    const pb_config_t *cfg = config(c);
    pb_durable_t *d = durable(c);
    pb_state_msg_t *m = state_buf(c);
    size_t kvlen = kv_bytes(cfg->n_keys);
    memset(m, 0, sizeof *m);
    m->view = d->view;
    m->applied = d->applied;
    m->digest = d->digest;
    m->kv_len = kvlen;
    memcpy(m->kv, kv(c), kvlen);
    sim_send(c, to, PB_STATE, m, (uint32_t)(sizeof *m + kvlen), 0);
}

static void send_forward(sim_ctx *c, uint32_t to, uint64_t seq, uint64_t op_id, const kv_cmd_t *cmd)
{
    pb_forward_t f;
    memset(&f, 0, sizeof f);
    f.view = durable(c)->view;
    f.seq = seq;
    f.op_id = op_id;
    f.cmd = *cmd;
    sim_send(c, to, PB_FORWARD, &f, sizeof f, 0);
}

/* Answers a client and records it for the checker. */
static void acknowledge(sim_ctx *c, pb_pending_t *p)
{
    pb_state_t *st = state(c);
    sim_assert(!p->replied);
    p->replied = 1;
    kv_reply(c, &p->req, p->res);
    st->n_acks++;
    st->last_ack.seq = p->seq;
    st->last_ack.digest = p->digest;
    st->last_ack.view = durable(c)->view;
    st->last_ack.cmd = kv_cmd_of(&p->req);
}

/* Every backup of the view has acknowledged up to `committed`: in sync mode, answer
 * the clients of those operations, in order. */
static void advance_commit(sim_ctx *c)
{
    pb_state_t *st = state(c);
    pb_durable_t *d = durable(c);
    uint64_t low = d->applied;
    for (uint32_t b = 0; b < PB_NODES_MAX; b++)
        if ((st->view.backups >> b & 1) && st->acked[b] < low) low = st->acked[b];
    sim_assert(low <= d->applied);
    if (low <= st->committed) return;
    for (uint64_t seq = st->committed + 1; seq <= low; seq++) {
        pb_pending_t *p = &st->pending[seq % PB_PENDING];
        if (p->seq == seq && !p->replied) acknowledge(c, p);
    }
    st->committed = low;
}

static void primary_request(sim_ctx *c, const sim_req_t *req)
{
    const pb_config_t *cfg = config(c);
    pb_state_t *st = state(c);
    pb_durable_t *d = durable(c);
    kv_cmd_t cmd = kv_cmd_of(req);
    if (cfg->mode == MODE_ASYNC && req->f == SIM_OP_READ) {
        /* Async reads are answered from the primary's own table: fast, and stale on a
         * primary that has been replaced without knowing it. */
        kv_reply(c, req, kv_read(kv(c), req->key));
        return;
    }
    uint64_t dup = recent_op(d, req->op_id);
    if (dup) {
        /* A copy of a request already applied: answer it as the original was answered
         * (if it was), never apply it again. */
        pb_pending_t *o = &st->pending[dup % PB_PENDING];
        if (o->seq == dup && o->replied) kv_reply(c, &o->req, o->res);
        return;
    }
    if (cfg->mode == MODE_SYNC && d->applied - st->committed >= PB_PENDING) {
        sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0);     /* nothing was applied */
        return;
    }
    kv_result_t res = apply(c, &cmd, req->op_id);
    pb_pending_t *p = &st->pending[d->applied % PB_PENDING];
    memset(p, 0, sizeof *p);
    p->seq = d->applied;
    p->digest = d->digest;
    p->req = *req;
    p->res = res;
    bool early = cfg->mode == MODE_ASYNC || cfg->variant == VARIANT_ACK_BEFORE_REPLICATE;
    if (early) acknowledge(c, p);
    for (uint32_t b = 0; b < PB_NODES_MAX; b++)
        if ((st->view.backups >> b & 1) && !(st->need_state >> b & 1)) send_forward(c, b, p->seq, req->op_id, &cmd);
    advance_commit(c);
}

/* Resends what each backup lacks: the missing operations while the primary still has
 * them, the whole state otherwise. */
static void primary_tick(sim_ctx *c)
{
    pb_state_t *st = state(c);
    pb_durable_t *d = durable(c);
    for (uint32_t b = 0; b < PB_NODES_MAX; b++) {
        if (!(st->view.backups >> b & 1)) continue;
        if (st->need_state >> b & 1) { send_state(c, b); continue; }
        if (st->acked[b] >= d->applied) continue;
        uint64_t from = st->acked[b] + 1;
        if (d->applied - st->acked[b] > PB_BATCH_MAX || st->pending[from % PB_PENDING].seq != from) {
            send_state(c, b);
            continue;
        }
        for (uint64_t seq = from; seq <= d->applied && seq < from + PB_BATCH_MAX; seq++) {
            const pb_pending_t *p = &st->pending[seq % PB_PENDING];
            if (p->seq != seq) break;
            kv_cmd_t cmd = kv_cmd_of(&p->req);
            send_forward(c, b, seq, p->req.op_id, &cmd);
        }
    }
}

static void on_forward_ack(sim_ctx *c, uint32_t from, const pb_forward_ack_t *m)
{
    pb_state_t *st = state(c);
    if (st->role != SIM_ROLE_PRIMARY || m->view != durable(c)->view || !(st->view.backups >> from & 1)) return;
    if (!m->synced) {
        if (!(st->need_state >> from & 1)) send_state(c, from);
        st->need_state |= 1ULL << from;
        return;
    }
    st->need_state &= ~(1ULL << from);
    if (m->applied > st->acked[from]) st->acked[from] = m->applied;
    advance_commit(c);
}

/* ---- Backups. ----------------------------------------------------------------------------- */

static void send_ack(sim_ctx *c, uint32_t to, int64_t view, bool synced)
{
    pb_forward_ack_t a;
    memset(&a, 0, sizeof a);
    a.view = view;
    a.applied = durable(c)->applied;
    a.synced = synced;
    sim_send(c, to, PB_FORWARD_ACK, &a, sizeof a, 0);
}

static void on_forward(sim_ctx *c, uint32_t from, const pb_forward_t *m)
{
    pb_state_t *st = state(c);
    pb_durable_t *d = durable(c);
    /* Only the primary of the view this backup is in may change it: a forward from a
     * replaced primary (an older view) gets no answer, so that primary can never
     * collect the acknowledgements it would need. */
    if (st->role != SIM_ROLE_BACKUP || m->view != d->view || (int32_t)from != st->view.primary) return;
    if (d->synced_view != d->view) { send_ack(c, from, m->view, false); return; }
    if (m->seq > d->applied + 1 && m->seq <= d->applied + PB_PENDING) st->early[m->seq % PB_PENDING] = *m;
    if (m->seq == d->applied + 1) {
        apply(c, &m->cmd, m->op_id);
        for (;;) {
            const pb_forward_t *e = &st->early[(d->applied + 1) % PB_PENDING];
            if (e->seq != d->applied + 1 || e->view != d->view) break;
            apply(c, &e->cmd, e->op_id);
        }
    }
    send_ack(c, from, m->view, true);   /* after a duplicate or a gap too: the count tells the primary */
}

static void on_state(sim_ctx *c, uint32_t from, const pb_state_msg_t *m, uint32_t len)
{
    const pb_config_t *cfg = config(c);
    pb_state_t *st = state(c);
    pb_durable_t *d = durable(c);
    if (len < sizeof *m || m->kv_len != kv_bytes(cfg->n_keys) || len != sizeof *m + m->kv_len) return;
    if (st->role != SIM_ROLE_BACKUP || m->view != d->view || (int32_t)from != st->view.primary) return;
    if (d->synced_view == m->view && m->applied <= d->applied) {
        /* An older copy of the state, overtaken by forwards already applied in this view:
         * installing it would take back operations this backup has acknowledged. */
        send_ack(c, from, m->view, true);
        return;
    }
    uint64_t dg;
    bool diverged = d->applied > m->applied || (digest_at(d, m->applied, &dg) && dg != m->digest);
    if (diverged && d->applied > 0)
        sim_log(c, "takes %s's state (%llu operations) in place of its own %llu: operations only it had applied are discarded",
                sim_node_name(c, from), (unsigned long long)m->applied, (unsigned long long)d->applied);
    memcpy(kv(c), m->kv, m->kv_len);
    d->applied = m->applied;
    d->digest = m->digest;
    memset(d->ring, 0, sizeof d->ring);
    d->ring[d->applied % PB_RING] = (pb_mark_t){d->applied, d->digest, 0};
    d->synced_view = m->view;
    send_ack(c, from, m->view, true);
}

/* ---- Views, as a replica sees them. --------------------------------------------------------- */

static void on_view(sim_ctx *c, const pb_view_t *v)
{
    pb_state_t *st = state(c);
    pb_durable_t *d = durable(c);
    uint32_t self = sim_self(c);
    if (v->num < d->view || (v->num == d->view && st->have_view)) return;
    bool same_tenure = st->role == SIM_ROLE_PRIMARY && v->primary == (int32_t)self;
    d->view = v->num;
    st->view = *v;
    st->have_view = 1;
    if (v->primary == (int32_t)self) {
        /* The primary's own state defines the view's: it is in sync by definition. Its
         * backups must each be given the whole state before they take operations. */
        d->synced_view = v->num;
        if (!same_tenure) {
            memset(st->pending, 0, sizeof st->pending);
            st->committed = d->applied;
        }
        memset(st->acked, 0, sizeof st->acked);
        st->need_state = v->backups;
        set_role(c, SIM_ROLE_PRIMARY);
        sim_log(c, "primary of view %lld with %u backup(s), from operation %llu", (long long)v->num,
                popcount(v->backups), (unsigned long long)d->applied);
        for (uint32_t b = 0; b < PB_NODES_MAX; b++)
            if (v->backups >> b & 1) send_state(c, b);
        advance_commit(c);
        return;
    }
    memset(st->pending, 0, sizeof st->pending);     /* clients waiting here time out */
    st->committed = 0;
    set_role(c, (v->backups >> self & 1) ? SIM_ROLE_BACKUP : SIM_ROLE_NONE);
}

/* ---- The configuration service. --------------------------------------------------------------- */

static bool alive(sim_ctx *c, uint32_t r)
{
    const pb_state_t *st = state(c);
    return st->last_ping_ns[r] > 0 && sim_now(c) - st->last_ping_ns[r] <= config(c)->dead_after_ns;
}

static void broadcast_view(sim_ctx *c)
{
    const pb_view_t *v = &durable(c)->cs_view;
    for (uint32_t r = 0; r < service(sim_servers(c)); r++) sim_send(c, r, PB_VIEW, v, sizeof *v, 0);
}

/* Once per tick: is a new view needed? At most one change per tick. */
static void service_review(sim_ctx *c)
{
    pb_state_t *st = state(c);
    pb_durable_t *d = durable(c);
    pb_view_t *v = &d->cs_view;
    uint32_t n = service(sim_servers(c));
    uint64_t live = 0;
    for (uint32_t r = 0; r < n; r++)
        if (alive(c, r)) live |= 1ULL << r;
    if (!live) return;
    /* Just started, the service has heard from few replicas yet; silence since then is
     * no evidence of death until dead_after has passed. (The first view may form as
     * soon as every replica has been heard.) */
    bool all = live == (n == 64 ? ~0ULL : (1ULL << n) - 1);
    if (sim_now(c) - st->started_ns < config(c)->dead_after_ns && !(v->num == 0 && all)) return;
    int32_t primary = v->primary;
    if (v->num == 0) {
        /* The first view: nothing has been written, so any live replica will do. */
        primary = __builtin_ctzll(live);
    } else if (!(live >> primary & 1)) {
        /* Promote a backup that has been in sync since it last joined the view: it has
         * every operation the old primary acknowledged. Prefer the most recently synced. */
        int32_t best = PB_NONE;
        for (uint32_t b = 0; b < n; b++) {
            if (!(v->backups >> b & 1) || !(live >> b & 1) || st->synced[b] < d->member_since[b]) continue;
            if (best == PB_NONE || st->synced[b] > st->synced[best]) best = (int32_t)b;
        }
        if (best == PB_NONE) return;      /* nobody can take over safely: wait for the primary */
        primary = best;
    }
    uint64_t backups = live & ~(1ULL << primary);
    if (primary == v->primary && backups == v->backups) return;
    int64_t num = v->num + 1;
    for (uint32_t b = 0; b < n; b++)
        if ((backups >> b & 1) && !(v->backups >> b & 1)) d->member_since[b] = num;
    char who[64];
    snprintf(who, sizeof who, "%s", sim_node_name(c, (uint32_t)primary));
    sim_log(c, "view %lld: primary %s, %u backup(s)%s", (long long)num, who, popcount(backups),
            primary != v->primary && v->num ? " (promoted)" : "");
    v->num = num;
    v->primary = primary;
    v->backups = backups;
    set_role(c, SIM_ROLE_MASTER);
    broadcast_view(c);
}

static void on_ping(sim_ctx *c, uint32_t from, const pb_ping_t *m)
{
    pb_state_t *st = state(c);
    if (from >= service(sim_servers(c))) return;
    st->last_ping_ns[from] = sim_now(c);
    st->synced[from] = m->synced_view;
    /* Every ping is answered with the view, so a replica that missed a change, or that
     * restarted, learns it within one heartbeat. */
    const pb_view_t *v = &durable(c)->cs_view;
    if (v->num > 0) sim_send(c, from, PB_VIEW, v, sizeof *v, 0);
}

/* ---- Callbacks. ------------------------------------------------------------------------------ */

static void pb_init(sim_ctx *c)
{
    const pb_config_t *cfg = config(c);
    pb_durable_t *d = durable(c);
    if (kv(c)->n_keys != cfg->n_keys) {
        /* First start: an empty disk. A restart finds its table where it left it. */
        kv_init(kv(c), cfg->n_keys);
        d->cs_view.primary = PB_NONE;
    }
    state(c)->started_ns = sim_now(c);
    if (is_service(c)) set_role(c, SIM_ROLE_MASTER);
    else set_role(c, SIM_ROLE_NONE);       /* until the service tells it the view */
    sim_timer_set(c, (sim_time_t)rng_below(sim_rng(c), (uint64_t)cfg->heartbeat_ns) + 1, TIMER_TICK, 0);
}

static void pb_timer(sim_ctx *c, int kind, uint64_t data)
{
    const pb_config_t *cfg = config(c);
    pb_state_t *st = state(c);
    pb_durable_t *d = durable(c);
    sim_assert(kind == TIMER_TICK);
    sim_timer_set(c, cfg->heartbeat_ns, TIMER_TICK, 0);
    if (is_service(c)) { service_review(c); return; }
    pb_ping_t p = {d->view, d->synced_view, d->applied};
    sim_send(c, service(sim_servers(c)), PB_PING, &p, sizeof p, 0);
    if (st->role == SIM_ROLE_PRIMARY) primary_tick(c);
}

static void pb_message(sim_ctx *c, const sim_msg_t *m)
{
    switch (m->type) {
    case PB_PING:
        if (m->len == sizeof(pb_ping_t) && is_service(c)) on_ping(c, m->from, m->payload);
        break;
    case PB_VIEW:
        if (m->len == sizeof(pb_view_t) && !is_service(c) && m->from == service(sim_servers(c))) on_view(c, m->payload);
        break;
    case PB_FORWARD:
        if (m->len == sizeof(pb_forward_t)) on_forward(c, m->from, m->payload);
        break;
    case PB_FORWARD_ACK:
        if (m->len == sizeof(pb_forward_ack_t) && m->from < PB_NODES_MAX) on_forward_ack(c, m->from, m->payload);
        break;
    case PB_STATE:
        on_state(c, m->from, m->payload, m->len);
        break;
    }
}

static void pb_request(sim_ctx *c, const sim_req_t *req)
{
    pb_state_t *st = state(c);
    if (req->f != SIM_OP_READ && req->f != SIM_OP_WRITE && req->f != SIM_OP_CAS && req->f != SIM_OP_ADD) {
        sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0);     /* the kv machine has no such command */
        return;
    }
    if (st->role == SIM_ROLE_PRIMARY) { primary_request(c, req); return; }
    /* Everyone else points at the primary they know of; the service knows best. */
    int32_t p = is_service(c) ? durable(c)->cs_view.primary : st->have_view ? st->view.primary : PB_NONE;
    if (p != PB_NONE && (uint32_t)p != sim_self(c)) sim_reply_redirect(c, req, (uint32_t)p);
    else sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0);
}

/* ---- Looking at a node. ------------------------------------------------------------------------ */

static void pb_describe(sim_ctx *c, proto_desc_t *d)
{
    pb_state_t *st = state(c);
    pb_durable_t *dd = durable(c);
    if (is_service(c)) {
        snprintf(d->role, sizeof d->role, "master");
        d->term = dd->cs_view.num;
        if (dd->cs_view.primary == PB_NONE) snprintf(d->line, sizeof d->line, "view %lld, no primary", (long long)dd->cs_view.num);
        else snprintf(d->line, sizeof d->line, "view %lld: primary %s, %u backup(s)", (long long)dd->cs_view.num,
                      sim_node_name(c, (uint32_t)dd->cs_view.primary), popcount(dd->cs_view.backups));
        return;
    }
    snprintf(d->role, sizeof d->role, "%s", st->role == SIM_ROLE_NONE ? "idle" : sim_role_names[st->role]);
    d->term = dd->view;
    d->commit = st->role == SIM_ROLE_PRIMARY ? (int64_t)st->committed : (int64_t)dd->applied;
    d->log_len = (int64_t)dd->applied;
    snprintf(d->line, sizeof d->line, "view %lld, %llu ops applied%s", (long long)dd->view,
             (unsigned long long)dd->applied, dd->synced_view == dd->view ? "" : ", not in sync");
}

static void pb_export(sim_ctx *c, jw_t *w)
{
    pb_state_t *st = state(c);
    pb_durable_t *d = durable(c);
    jw_obj_begin(w);
    if (is_service(c)) {
        jw_kstr(w, "role", "master");
        jw_kint(w, "view", d->cs_view.num);
        jw_key(w, "primary");
        if (d->cs_view.primary == PB_NONE) jw_null(w);
        else jw_str(w, sim_node_name(c, (uint32_t)d->cs_view.primary));
        jw_key(w, "backups");
        jw_arr_begin(w);
        for (uint32_t b = 0; b < PB_NODES_MAX; b++)
            if (d->cs_view.backups >> b & 1) jw_str(w, sim_node_name(c, b));
        jw_arr_end(w);
        jw_obj_end(w);
        return;
    }
    jw_kstr(w, "role", st->role == SIM_ROLE_NONE ? "idle" : sim_role_names[st->role]);
    jw_kint(w, "view", d->view);
    jw_kint(w, "synced_view", d->synced_view);
    jw_kuint(w, "applied", d->applied);
    if (st->role == SIM_ROLE_PRIMARY) jw_kuint(w, "committed", st->committed);
    jw_key(w, "kv");
    kv_export(kv(c), w);
    jw_obj_end(w);
}

/* ---- The checker. --------------------------------------------------------------------------------- */


static const char *name_of(sim_t *s, uint32_t node)
{
    return sim_name_of(s, node);
}

/* Node `r` just became primary of view `view`, newer than any before: it must hold the
 * newest acknowledged operation. */
static bool check_install(pb_check_t *k, sim_t *s, uint32_t r, int64_t view, sim_violation_t *v)
{
    const pb_durable_t *d = sim_node_durable(s, r);
    char op[64];
    if (k->have_acked) {
        uint64_t dg;
        if (d->applied < k->acked_seq)
            return sim_violation_set(v, "acknowledged-write-lost", r, k->acked_node,
                             "%s became primary of view %lld having applied %llu operations, but %s (operation %llu) "
                             "was acknowledged by %s in view %lld: that write is lost",
                             name_of(s, r), (long long)view, (unsigned long long)d->applied,
                             cmd_str(&k->acked_cmd, op, sizeof op), (unsigned long long)k->acked_seq,
                             name_of(s, k->acked_node), (long long)k->acked_view);
        if (digest_at(d, k->acked_seq, &dg) && dg != k->acked_digest)
            return sim_violation_set(v, "acknowledged-write-lost", r, k->acked_node,
                             "%s became primary of view %lld, but its operations up to %llu differ from the ones %s "
                             "acknowledged in view %lld (the last: %s): an acknowledged write is lost",
                             name_of(s, r), (long long)view, (unsigned long long)k->acked_seq,
                             name_of(s, k->acked_node), (long long)k->acked_view, cmd_str(&k->acked_cmd, op, sizeof op));
    }
    k->inst_view = view;
    k->inst_node = r;
    k->inst_seq = d->applied;
    k->inst_ns = sim_time(s);
    return false;
}

/* Primary `r` acknowledged an operation. */
static bool check_ack(pb_check_t *k, sim_t *s, uint32_t r, const pb_ack_t *a, sim_violation_t *v)
{
    char op[64];
    if (a->view < k->inst_view) {
        /* A primary of an older view: what it acknowledges must already be in the state
         * the newest primary took over with, or nobody will ever see it. */
        const pb_durable_t *d = sim_node_durable(s, k->inst_node);
        uint64_t dg;
        bool have = a->seq <= k->inst_seq && (!digest_at(d, a->seq, &dg) || dg == a->digest);
        if (!have)
            return sim_violation_set(v, "acknowledged-write-lost", r, k->inst_node,
                             "%s, still acting as primary of view %lld, acknowledged %s (operation %llu), but %s has been "
                             "primary of view %lld without it: two primaries (split brain), and that write is lost",
                             name_of(s, r), (long long)a->view, cmd_str(&a->cmd, op, sizeof op),
                             (unsigned long long)a->seq, name_of(s, k->inst_node), (long long)k->inst_view);
    }
    if (!k->have_acked || a->seq >= k->acked_seq) {
        k->have_acked = 1;
        k->acked_seq = a->seq;
        k->acked_digest = a->digest;
        k->acked_view = a->view;
        k->acked_node = r;
        k->acked_cmd = a->cmd;
        k->acked_ns = sim_time(s);
    }
    return false;
}

static bool pb_check(sim_t *s, sim_violation_t *v)
{
    pb_check_t *k = sim_check_state(s);
    k->ran = true;
    uint32_t n = service(sim_n_servers(s)), primaries = 0;
    sim_time_t now = sim_time(s);
    if (k->primaries >= 2) k->split_ns += now - k->last_ns;
    for (uint32_t r = 0; r < n; r++) {
        const pb_state_t *st = sim_node_state(s, r);
        if (!sim_node_up(s, r)) { k->seen_acks[r] = 0; continue; }
        int64_t view;
        if (sim_node_role(s, r, &view) != SIM_ROLE_PRIMARY) { k->seen_acks[r] = st->n_acks; continue; }
        primaries++;
        if (view > k->inst_view && check_install(k, s, r, view, v)) return true;
        if (st->n_acks != k->seen_acks[r]) {
            /* One event may acknowledge several operations (a backup's cumulative
             * acknowledgement); they are in order, so checking the last covers them. */
            k->n_acked += st->n_acks - k->seen_acks[r];
            k->seen_acks[r] = st->n_acks;
            if (check_ack(k, s, r, &st->last_ack, v)) return true;
        }
    }
    k->primaries = primaries;
    if (primaries > k->max_primaries) k->max_primaries = primaries;
    k->last_ns = now;
    return false;
}

static bool pb_replicas_equal(sim_t *s)
{
    const kv_t *first = NULL;
    for (uint32_t r = 0; r < service(sim_n_servers(s)); r++) {
        if (!sim_node_up(s, r)) continue;
        const pb_durable_t *d = sim_node_durable(s, r);
        const kv_t *t = (const kv_t *)d->kv;
        if (first && !kv_equal(first, t)) return false;
        first = t;
    }
    return true;
}

static void pb_summary(sim_t *s, jw_t *w)
{
    const pb_durable_t *cs = sim_node_durable(s, service(sim_n_servers(s)));
    jw_kint(w, "views", cs->cs_view.num);
    /* The rest is the checker's, and only there when it ran (not with --no-invariants). */
    const pb_check_t *k = sim_check_state(s);
    if (!k->ran) return;
    jw_kuint(w, "acknowledged_ops", k->n_acked);
    jw_kint(w, "two_primaries_ns", k->split_ns);
    jw_kuint(w, "max_primaries", k->max_primaries);
}

/* ---- Configuration and registration. ---------------------------------------------------------------- */

static size_t pb_state_size(const void *cfgp)
{
    const pb_config_t *cfg = cfgp;
    return sizeof(pb_state_t) + sizeof(pb_state_msg_t) + kv_bytes(cfg->n_keys);
}

static size_t pb_durable_size(const void *cfgp)
{
    const pb_config_t *cfg = cfgp;
    return sizeof(pb_durable_t) + kv_bytes(cfg->n_keys);
}

static int pb_configure(void *cfgp, const proto_env_t *env, char *err, size_t len)
{
    pb_config_t *cfg = cfgp;
    if (env->n_servers < 3 || env->n_servers > PB_NODES_MAX) {
        snprintf(err, len, "pb needs 3 to %d servers (replicas, then the configuration service as the last node), found %u",
                 PB_NODES_MAX, env->n_servers);
        return SIM_EINPUT;
    }
    if (cfg->dead_after_ns <= cfg->heartbeat_ns) {
        snprintf(err, len, "dead_after must exceed heartbeat, or a live primary is declared dead between two pings");
        return SIM_EINPUT;
    }
    cfg->n_servers = env->n_servers;
    cfg->n_keys = env->n_keys;
    return SIM_OK;
}

/* Decodes a message for the window's hover: "view 3: primary n1, backups n2". */
static int pb_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    switch (type) {
    case PB_PING: {
        pb_ping_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "alive: knows view %lld, applied %llu", (long long)m.view, (unsigned long long)m.applied);
    }
    case PB_VIEW: {
        pb_view_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        if (m.primary == PB_NONE) return snprintf(buf, buf_len, "view %lld: no primary", (long long)m.num);
        int backups = __builtin_popcountll(m.backups);
        return snprintf(buf, buf_len, "view %lld: primary n%d, %d backup%s", (long long)m.num, m.primary + 1, backups, backups == 1 ? "" : "s");
    }
    case PB_FORWARD: {
        pb_forward_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        const char *f = m.cmd.f < SIM_OP_COUNT_ ? sim_op_names[m.cmd.f] : "?";
        if (m.cmd.f == SIM_OP_READ) return snprintf(buf, buf_len, "view %lld, op %llu: read k%u", (long long)m.view, (unsigned long long)m.seq, m.cmd.key);
        return snprintf(buf, buf_len, "view %lld, op %llu: %s k%u %lld", (long long)m.view, (unsigned long long)m.seq, f, m.cmd.key, (long long)m.cmd.v1);
    }
    case PB_FORWARD_ACK: {
        pb_forward_ack_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        if (!m.synced) return snprintf(buf, buf_len, "view %lld: send me your whole state first", (long long)m.view);
        return snprintf(buf, buf_len, "view %lld: applied everything up to op %llu", (long long)m.view, (unsigned long long)m.applied);
    }
    case PB_STATE: {
        pb_state_msg_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "view %lld: the whole state, %llu ops applied (%llu bytes)", (long long)m.view,
                        (unsigned long long)m.applied, (unsigned long long)m.kv_len);
    }
    }
    return 0;
}

static const char *const pb_types[] = {"ping", "view", "forward", "forward-ack", "state", NULL};

static const proto_param_t pb_params[] = {
    {"mode", PROTO_PARAM_ENUM, "sync", 0, 0, "sync|async", offsetof(pb_config_t, mode),
     "sync: answer a client after every backup has the operation; async: answer first, replicate after"},
    {"heartbeat", PROTO_PARAM_DURATION, "50ms", 1e3, 1e12, NULL, offsetof(pb_config_t, heartbeat_ns),
     "how often replicas ping the configuration service (and the primary resends what backups lack)"},
    {"dead_after", PROTO_PARAM_DURATION, "250ms", 1e3, 1e12, NULL, offsetof(pb_config_t, dead_after_ns),
     "silence after which the configuration service declares a replica dead"},
    {"variant", PROTO_PARAM_ENUM, "none", 0, 0, "none|ack-before-replicate", offsetof(pb_config_t, variant),
     "a deliberate bug for the checker to catch: a sync primary answers before replicating"},
    {NULL},
};

const proto_t proto_pb = {
    .version = PROTO_VERSION,
    .name = "pb",
    .purpose = "primary-backup with a configuration service (the last node); sync or async replication",
    .state_size = sizeof(pb_state_t),
    .durable_size = sizeof(pb_durable_t),
    .config_size = sizeof(pb_config_t),
    .msg_types = pb_types,
    .describe_msg = pb_describe_msg,
    .params = pb_params,
    .configure = pb_configure,
    .state_size_for = pb_state_size,
    .init = pb_init,
    .on_message = pb_message,
    .on_timer = pb_timer,
    .on_request = pb_request,
    .describe = pb_describe,
    .export_state = pb_export,
    .check = pb_check,
    .summary = pb_summary,
    .durable_size_for = pb_durable_size,
    .replicas_equal = pb_replicas_equal,
    .check_size = sizeof(pb_check_t),
};
