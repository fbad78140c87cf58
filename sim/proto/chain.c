/* chain.c -- chain replication with a master that repairs the chain.
 *
 * The servers but the last form a chain; the last server is the master, which is not
 * in the chain and only watches it. This follows van Renesse and Schneider, "Chain
 * Replication for Supporting High Throughput and Availability" (OSDI 2004), sections 2
 * and 3.
 *
 * Every update (write, cas, add) enters at the head, which applies it to its copy of
 * the key-value state, gives it the next sequence number and passes it down. Each
 * server applies it and passes it on; the tail applies it and answers the client. A
 * read goes to the tail alone and is answered from the tail's state. Because an update
 * reaches the tail only after every other server has it, whatever the tail has (and so
 * whatever any client was told or read) is held by the whole chain.
 *
 *      c1 ──write k3=7──> head ──update #12──> middle ──update #12──> tail ──ok──> c1
 *                           ^                    |   ^                  |
 *                           └─────ack #12────────┘   └──────ack #12─────┘
 *      c2 ──read k3──────────────────────────────────────────────────> tail ──7──> c2
 *
 * Each server keeps a "sent" list (the paper's Sent_i): updates it has passed to its
 * successor that the tail has not yet acknowledged. Acks flow back up from the tail and
 * shorten the lists. Here messages can also be lost, so a server re-sends an update its
 * successor has not confirmed after `resend` (the paper assumes reliable FIFO links;
 * sequence numbers make the copies harmless).
 *
 * The master sends the chain (a numbered "view": members head first) to every server
 * each `heartbeat`; the answers are its failure detector. A member silent for
 * `failure_timeout`, or one that answers from a new incarnation (it crashed and
 * restarted, so its state is gone), is removed and a new view sent:
 *
 *   head fails:    its successor becomes the head. Updates only the old head had were
 *                  never acknowledged, so losing them breaks no promise.
 *   tail fails:    its predecessor becomes the tail and answers the clients of every
 *                  update in its sent list (the old tail may have died before replying).
 *   middle fails:  S- and S+ become neighbours; S- sends S+ its whole sent list, which
 *                  holds everything S+ may have missed (section 3, "failure of other
 *                  servers"):
 *
 *                      before:  S- ──> S ──> S+        S- sent = {#10, #11, #12}
 *                      after:   S- ───────────> S+     S- re-sends #10..#12, S+ keeps
 *                                                      those it lacks (it had #10)
 *
 * A restarted server comes back empty and is added again at the end of the chain, as
 * in section 3's "extending a chain": the old tail sends it a snapshot of its state
 * (with its sent list), and only then does the newcomer act as the tail.
 *
 * The paper's master is itself replicated with Paxos and never fails; here it is one
 * node whose view is kept in durable storage, so a crashed master resumes where it
 * stopped (nobody repairs the chain while it is down). A partition can make the master
 * suspect a server that is alive. That is safe here because every message names the
 * membership it was sent under (the sender's join version) and a server only accepts
 * updates from its current predecessor: a server cut out of the chain can no longer
 * make anyone apply anything. The master never removes the last member that holds the
 * state unless that member is known to have lost it; if every copy is lost (more
 * failures than the chain tolerates) it starts a new, empty generation.
 *
 * What a suspicion can still do is let a cut-off old tail answer reads from a state
 * that no longer grows until it hears the new view: stale reads. The paper rules this
 * out by assuming servers are fail-stop and the master's detection exact; a real
 * system adds leases. A duplicated client request is applied once while it is in the
 * head's sent list, but not after (that needs a table of answered requests).
 *
 * Invariant checked after every event: each write acknowledged to a client is in the
 * history of the current tail (the last member of the master's view that holds its
 * state). The variant "ack-at-head" answers the client as soon as the head applies an
 * update -- faster, and wrong: the tail, and so every reader, does not yet have it, and
 * if the head fails now the write is gone.
 */
#include <stdio.h>
#include <string.h>
#include "proto/kv.h"
#include "proto/proto.h"

#define CHAIN_MEMBERS_MAX 15              /* servers in one chain (the master is one more) */
#define CHAIN_SERVERS_MAX (CHAIN_MEMBERS_MAX + 1)
#define CHAIN_HASH_RING 256               /* recent history hashes a server keeps for the checker */
#define CHAIN_RESEND_BATCH 32             /* updates re-sent to a successor at one time */
#define CHAIN_NONE UINT32_MAX

enum { CHAIN_VARIANT_NONE, CHAIN_VARIANT_ACK_AT_HEAD };
enum { CHAIN_MSG_VIEW, CHAIN_MSG_STATUS, CHAIN_MSG_UPDATE, CHAIN_MSG_ACK, CHAIN_MSG_SNAPSHOT };
enum { CHAIN_TIMER_TICK };

typedef struct chain_params {
    sim_time_t heartbeat_ns;
    sim_time_t failure_timeout_ns;
    sim_time_t resend_ns;
    int64_t sent_max;
    int variant;
    /* Derived in chain_configure. */
    uint32_t n_servers;
    uint32_t n_keys;
    size_t kv_off, sent_off, scratch_off, state_bytes;
} chain_params_t;

/* The chain as the master publishes it. A member is named by its node id, the version
 * at which it joined (a server that leaves and comes back gets a new one, and starts
 * from nothing) and the incarnation the master saw when it admitted it (a restart makes
 * a new incarnation, whose empty state must not pass for the old one's). */
typedef struct chain_view {
    uint32_t version;
    uint32_t gen;                         /* bumped when every copy was lost */
    uint32_t n;
    uint32_t member[CHAIN_MEMBERS_MAX];   /* head first */
    uint32_t join[CHAIN_MEMBERS_MAX];
    uint32_t inc[CHAIN_MEMBERS_MAX];
} chain_view_t;

/* One update as a server holds it in its sent list (and as it travels). The result is
 * the same at every server, since all apply the same updates in the same order; the
 * hash names the whole history up to this update, so two servers with the same hash
 * at the same sequence number hold the same history. */
typedef struct chain_update {
    uint64_t seq;
    uint64_t hash;
    sim_req_t req;                        /* the client's request: the tail answers it */
    kv_result_t res;
    sim_time_t sent_ns;                   /* last sent to the successor; 0: not yet */
} chain_update_t;

typedef struct chain_status_msg {         /* a server's answer to the master's view */
    uint32_t inc, joined, version;
    uint32_t synced;
    uint64_t applied;
} chain_status_msg_t;

typedef struct chain_update_msg {
    uint32_t join;                        /* the sender's join version */
    uint32_t _pad;
    chain_update_t u;
} chain_update_msg_t;

typedef struct chain_ack_msg {            /* successor to predecessor */
    uint32_t join;
    uint32_t synced;                      /* 0: a newcomer waiting for a snapshot */
    uint64_t applied;                     /* the sender's history length */
    uint64_t stable;                      /* updates known to be at the tail */
} chain_ack_msg_t;

typedef struct chain_snapshot_hdr {       /* followed by the kv table, then n_updates updates */
    uint32_t join;
    uint32_t n_updates;
    uint64_t seq, hash, stable;
} chain_snapshot_hdr_t;

/* The latest update this server answered a client for. Only the checker reads it; it
 * is durable so that a crash does not erase the promise the server made. */
typedef struct chain_ghost {
    uint32_t gen;
    uint32_t client;
    uint64_t seq, hash, op_id;
    uint32_t key;
    uint8_t f;
    int64_t value;
    sim_time_t at_ns;
} chain_ghost_t;

typedef struct chain_durable {
    uint32_t inc;                         /* incarnation: bumped at every start */
    uint32_t _pad;
    chain_view_t view;                    /* master: the published view */
    uint8_t synced_known[CHAIN_MEMBERS_MAX];   /* master: members that said they hold the state */
    chain_ghost_t ghost;                  /* checker only */
} chain_durable_t;

/* A server's volatile state: this header, then the kv table, then the sent list (a
 * ring of sent_max updates), then scratch room to assemble a snapshot. */
typedef struct chain_state {
    chain_view_t view;                    /* the newest view heard */
    uint32_t joined;                      /* join version of the membership held; 0: none */
    uint32_t pos;                         /* index in view, or CHAIN_NONE */
    bool synced;                          /* holds the chain's state (a newcomer waits for a snapshot) */
    bool is_master;
    uint64_t applied;                     /* history length */
    uint64_t hash;                        /* hash of the history */
    uint64_t stable;                      /* updates known to be at the tail */
    uint64_t succ_applied;                /* what the successor last said it holds */
    bool succ_waiting;                    /* the successor said it waits for a snapshot */
    sim_time_t snapshot_sent_ns;
    uint64_t ring_from;                   /* hash_at is known for seq > ring_from */
    uint64_t hash_at[CHAIN_HASH_RING];
    uint32_t sent_head, sent_n;
    /* Master only. */
    sim_time_t heard_ns[CHAIN_SERVERS_MAX];
    chain_status_msg_t status[CHAIN_SERVERS_MAX];
} chain_state_t;

/* ---- Layout and small helpers. ------------------------------------------------- */

static size_t chain_align8(size_t x) { return (x + 7) & ~(size_t)7; }

static const chain_params_t *chain_params(sim_ctx *c) { return sim_config(c); }
static kv_t *chain_kv(const chain_params_t *p, chain_state_t *st) { return (kv_t *)((char *)st + p->kv_off); }
static chain_update_t *chain_sent_base(const chain_params_t *p, chain_state_t *st)
{
    return (chain_update_t *)((char *)st + p->sent_off);
}
static chain_update_t *chain_sent_at(const chain_params_t *p, chain_state_t *st, uint32_t i)
{
    sim_assert(i < st->sent_n);
    return &chain_sent_base(p, st)[(st->sent_head + i) % (uint32_t)p->sent_max];
}
static uint32_t chain_master_id(uint32_t n_servers) { return n_servers - 1; }

static bool chain_member(const chain_state_t *st) { return st->pos != CHAIN_NONE; }
static bool chain_is_head(const chain_state_t *st) { return chain_member(st) && st->pos == 0; }
static bool chain_is_tail(const chain_state_t *st) { return chain_member(st) && st->pos + 1 == st->view.n; }
static uint32_t chain_pred(const chain_state_t *st) { return chain_is_head(st) || !chain_member(st) ? CHAIN_NONE : st->view.member[st->pos - 1]; }
static uint32_t chain_succ(const chain_state_t *st) { return chain_is_tail(st) || !chain_member(st) ? CHAIN_NONE : st->view.member[st->pos + 1]; }
static uint32_t chain_pred_join(const chain_state_t *st) { return st->view.join[st->pos - 1]; }
static uint32_t chain_succ_join(const chain_state_t *st) { return st->view.join[st->pos + 1]; }

static uint64_t chain_hash_step(uint64_t h, uint64_t seq, uint64_t op_id)
{
    return sim_mix64(h ^ sim_mix64(seq * 0x9e3779b97f4a7c15ULL + op_id));
}

static const char *chain_position(const chain_state_t *st)
{
    if (st->is_master) return "master";
    if (!chain_member(st)) return "out";
    if (!st->synced) return "joining";
    if (chain_is_head(st) && chain_is_tail(st)) return "head+tail";
    if (chain_is_head(st)) return "head";
    if (chain_is_tail(st)) return "tail";
    return "middle";
}

static void chain_report_role(sim_ctx *c)
{
    chain_state_t *st = sim_state(c);
    sim_role_t r = SIM_ROLE_NONE;
    if (st->is_master) r = SIM_ROLE_MASTER;
    else if (chain_is_head(st) && st->synced) r = SIM_ROLE_HEAD;
    else if (chain_is_tail(st) && st->synced) r = SIM_ROLE_TAIL;
    else if (chain_member(st)) r = SIM_ROLE_MIDDLE;
    sim_set_role(c, r, st->view.version);
}

/* The first view, which every server can work out for itself at time zero: all
 * servers but the master, in id order. */
static void chain_first_view(chain_view_t *v, uint32_t n_servers)
{
    memset(v, 0, sizeof *v);
    v->version = 1;
    v->gen = 1;
    v->n = n_servers - 1;
    for (uint32_t i = 0; i < v->n; i++) { v->member[i] = i; v->join[i] = 1; v->inc[i] = 1; }
}

/* Forgets the history: a server does this whenever it joins anew. */
static void chain_wipe(const chain_params_t *p, chain_state_t *st)
{
    kv_init(chain_kv(p, st), p->n_keys);
    st->applied = st->hash = st->stable = st->succ_applied = st->ring_from = 0;
    st->succ_waiting = false;
    st->sent_head = st->sent_n = 0;
    st->synced = false;
}

/* ---- Answering clients. -------------------------------------------------------- */

static void chain_ghost_record(sim_ctx *c, const chain_update_t *u)
{
    chain_state_t *st = sim_state(c);
    chain_durable_t *d = sim_durable(c);
    chain_ghost_t *g = &d->ghost;
    g->gen = st->view.gen;
    g->client = u->req.client;
    g->seq = u->seq;
    g->hash = u->hash;
    g->op_id = u->req.op_id;
    g->key = u->req.key;
    g->f = u->req.f;
    g->value = u->req.f == SIM_OP_CAS ? u->req.value2 : u->req.value;
    g->at_ns = sim_now(c);
}

static void chain_answer(sim_ctx *c, const chain_update_t *u)
{
    kv_reply(c, &u->req, u->res);
    chain_ghost_record(c, u);
}

static void chain_send_ack(sim_ctx *c)
{
    chain_state_t *st = sim_state(c);
    uint32_t pred = chain_pred(st);
    if (pred == CHAIN_NONE) return;
    chain_ack_msg_t a = {st->joined, st->synced, st->applied, st->stable};
    sim_send(c, pred, CHAIN_MSG_ACK, &a, sizeof a, 0);
}

/* Drops updates the tail is known to have from the sent list. */
static void chain_trim(sim_ctx *c)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    while (st->sent_n && chain_sent_at(p, st, 0)->seq <= st->stable) {
        st->sent_head = (st->sent_head + 1) % (uint32_t)p->sent_max;
        st->sent_n--;
    }
}

/* The tail's duty: everything it holds is now at the tail, so every update in its sent
 * list is answered (again, perhaps: a client ignores a second answer) and acknowledged
 * up the chain. This runs when an update arrives at the tail, and when a server
 * becomes the tail because the old one failed. */
static void chain_tail_commit(sim_ctx *c)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    sim_assert(chain_is_tail(st) && st->synced);
    if (p->variant != CHAIN_VARIANT_ACK_AT_HEAD)
        for (uint32_t i = 0; i < st->sent_n; i++) chain_answer(c, chain_sent_at(p, st, i));
    st->stable = st->applied;
    chain_trim(c);
    sim_assert(st->sent_n == 0);
    chain_send_ack(c);
}

/* ---- Passing updates down. ----------------------------------------------------- */

static void chain_send_update(sim_ctx *c, chain_update_t *u)
{
    chain_state_t *st = sim_state(c);
    chain_update_msg_t m;
    memset(&m, 0, sizeof m);
    m.join = st->joined;
    m.u = *u;
    m.u.sent_ns = 0;
    u->sent_ns = sim_now(c);
    sim_send(c, chain_succ(st), CHAIN_MSG_UPDATE, &m, sizeof m, 0);
}

/* Applies the next update to this server's state and puts it in the sent list. Returns
 * NULL when the list is full (the update is not applied; the predecessor will send it
 * again, or the head answers "unavailable"). */
static chain_update_t *chain_apply(sim_ctx *c, const sim_req_t *req)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    if (st->sent_n == (uint32_t)p->sent_max) return NULL;
    kv_cmd_t cmd = kv_cmd_of(req);
    kv_result_t res = kv_apply(chain_kv(p, st), &cmd);
    st->applied++;
    st->hash = chain_hash_step(st->hash, st->applied, req->op_id);
    st->hash_at[st->applied % CHAIN_HASH_RING] = st->hash;
    chain_update_t *u = &chain_sent_base(p, st)[(st->sent_head + st->sent_n) % (uint32_t)p->sent_max];
    st->sent_n++;
    memset(u, 0, sizeof *u);
    u->seq = st->applied;
    u->hash = st->hash;
    u->req = *req;
    u->res = res;
    return u;
}

/* Sends the successor a copy of the whole state: the kv table, the history's length
 * and hash, and the sent list, whose clients a new tail must answer. */
static void chain_send_snapshot(sim_ctx *c)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    char *buf = (char *)st + p->scratch_off;
    chain_snapshot_hdr_t h = {st->joined, st->sent_n, st->applied, st->hash, st->stable};
    size_t kvb = kv_bytes(p->n_keys), off = sizeof h;
    memcpy(buf, &h, sizeof h);
    memcpy(buf + off, chain_kv(p, st), kvb);
    off += kvb;
    for (uint32_t i = 0; i < st->sent_n; i++, off += sizeof(chain_update_t))
        memcpy(buf + off, chain_sent_at(p, st, i), sizeof(chain_update_t));
    sim_assert(off <= p->state_bytes - p->scratch_off);
    st->snapshot_sent_ns = sim_now(c);
    sim_log(c, "snapshot of %llu updates to %s", (unsigned long long)st->applied, sim_node_name(c, chain_succ(st)));
    sim_send(c, chain_succ(st), CHAIN_MSG_SNAPSHOT, buf, (uint32_t)off, 0);
}

/* Sends the successor what it lacks: the updates after the one it last confirmed that
 * have waited `resend` since they were last sent (all of them when forced), or, when
 * it lacks updates no longer in the sent list (a newcomer), a snapshot. */
static void chain_catch_up_successor(sim_ctx *c, bool force)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    if (chain_succ(st) == CHAIN_NONE || !st->synced || (st->succ_applied >= st->applied && !st->succ_waiting)) return;
    uint64_t first = st->sent_n ? chain_sent_at(p, st, 0)->seq : st->applied + 1;
    /* A newcomer has applied nothing; it lacks the first update of the sent list too,
     * unless that list still starts at the generation's first update (a generation
     * that began empty and has not trimmed yet): then only its word tells us that
     * updates alone will not do, and without a snapshot it would wait forever. */
    if (st->succ_applied + 1 < first || st->succ_waiting) {
        if (force || sim_now(c) - st->snapshot_sent_ns >= p->resend_ns) chain_send_snapshot(c);
        return;
    }
    uint32_t sent = 0;
    for (uint32_t i = 0; i < st->sent_n && sent < CHAIN_RESEND_BATCH; i++) {
        chain_update_t *u = chain_sent_at(p, st, i);
        if (u->seq <= st->succ_applied) continue;
        if (!force && u->sent_ns && sim_now(c) - u->sent_ns < p->resend_ns) continue;
        chain_send_update(c, u);
        sent++;
    }
}

/* ---- Views. -------------------------------------------------------------------- */

static void chain_adopt_view(sim_ctx *c, const chain_view_t *v)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    chain_durable_t *d = sim_durable(c);
    uint32_t self = sim_self(c);
    uint32_t old_succ = chain_succ(st), old_succ_join = old_succ == CHAIN_NONE ? 0 : chain_succ_join(st);
    uint32_t old_pred = chain_pred(st);
    bool was_tail = chain_is_tail(st);
    st->view = *v;
    st->pos = CHAIN_NONE;
    for (uint32_t i = 0; i < v->n; i++)
        if (v->member[i] == self && v->inc[i] == d->inc) st->pos = i;
    if (!chain_member(st)) {
        if (st->joined) sim_log(c, "left the chain (view %u)", v->version);
        st->joined = 0;
        chain_wipe(p, st);
        chain_report_role(c);
        return;
    }
    if (st->joined != v->join[st->pos]) {
        /* A new membership starts from nothing. Only the first member of a new
         * generation is complete when empty; anyone else waits for a snapshot. */
        chain_wipe(p, st);
        st->joined = v->join[st->pos];
        st->synced = st->pos == 0;
        was_tail = false;
        old_succ = CHAIN_NONE;
        sim_log(c, "joined the chain at position %u (view %u)", st->pos, v->version);
    }
    uint32_t succ = chain_succ(st);
    if (succ != CHAIN_NONE && (succ != old_succ || chain_succ_join(st) != old_succ_join)) {
        /* A new successor (the old one failed, or a newcomer joined after us): it holds
         * at least what the tail holds, so re-send the whole sent list now, as the
         * paper's S- does for S+. A newcomer will ask for a snapshot instead. */
        st->succ_applied = st->stable;
        st->succ_waiting = false;
        st->snapshot_sent_ns = 0;
        chain_catch_up_successor(c, true);
    }
    if (chain_is_tail(st) && !was_tail && st->synced) chain_tail_commit(c);
    else if (chain_pred(st) != old_pred) chain_send_ack(c);     /* tell a new predecessor where we are */
    chain_report_role(c);
}

/* ---- Server messages. ---------------------------------------------------------- */

static void chain_on_update(sim_ctx *c, const sim_msg_t *m)
{
    chain_state_t *st = sim_state(c);
    const chain_update_msg_t *um = m->payload;
    if (m->len != sizeof *um || chain_pred(st) != m->from || um->join != chain_pred_join(st)) return;
    if (!st->synced) { chain_send_ack(c); return; }          /* waiting for a snapshot */
    const chain_update_t *u = &um->u;
    if (u->seq <= st->applied) return;                        /* a copy we already have */
    if (u->seq > st->applied + 1) { chain_send_ack(c); return; }   /* a gap: say where we are */
    chain_update_t *mine = chain_apply(c, &u->req);
    if (!mine) return;
    /* A successor's history is its predecessor's up to this point, so the two hashes
     * agree; if they did not, the chain would have forked. */
    sim_assert(mine->hash == u->hash);
    if (chain_is_tail(st)) chain_tail_commit(c);
    else chain_send_update(c, mine);
}

static void chain_on_ack(sim_ctx *c, const sim_msg_t *m)
{
    chain_state_t *st = sim_state(c);
    const chain_ack_msg_t *a = m->payload;
    if (m->len != sizeof *a || chain_succ(st) != m->from || a->join != chain_succ_join(st)) return;
    st->succ_applied = a->applied;
    st->succ_waiting = !a->synced;
    if (a->stable > st->stable && st->synced) {
        /* The tail holds a prefix of our history, so it cannot be ahead of us. */
        sim_assert(a->stable <= st->applied);
        st->stable = a->stable;
        chain_trim(c);
        chain_send_ack(c);
    }
    chain_catch_up_successor(c, false);
}

static void chain_on_snapshot(sim_ctx *c, const sim_msg_t *m)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    chain_snapshot_hdr_t h;
    size_t kvb = kv_bytes(p->n_keys);
    if (m->len < sizeof h) return;
    memcpy(&h, m->payload, sizeof h);
    if (m->len != sizeof h + kvb + (size_t)h.n_updates * sizeof(chain_update_t)) return;
    if (chain_pred(st) != m->from || h.join != chain_pred_join(st)) return;
    if (st->synced && h.seq <= st->applied) { chain_send_ack(c); return; }
    if (h.n_updates > (uint64_t)p->sent_max) return;
    const char *b = m->payload;
    memcpy(chain_kv(p, st), b + sizeof h, kvb);
    st->applied = h.seq;
    st->hash = h.hash;
    st->ring_from = h.seq;
    if (h.stable > st->stable) st->stable = h.stable;
    st->sent_head = 0;
    st->sent_n = h.n_updates;
    memcpy(chain_sent_base(p, st), b + sizeof h + kvb, (size_t)h.n_updates * sizeof(chain_update_t));
    for (uint32_t i = 0; i < st->sent_n; i++) chain_sent_base(p, st)[i].sent_ns = 0;
    st->synced = true;
    st->succ_applied = st->stable;
    sim_log(c, "installed a snapshot of %llu updates", (unsigned long long)h.seq);
    if (chain_is_tail(st)) chain_tail_commit(c);
    else { chain_send_ack(c); chain_catch_up_successor(c, true); }
    chain_report_role(c);
}

static void chain_send_status(sim_ctx *c)
{
    chain_state_t *st = sim_state(c);
    chain_durable_t *d = sim_durable(c);
    chain_status_msg_t s = {d->inc, st->joined, st->view.version, st->synced, st->applied};
    sim_send(c, chain_master_id(sim_servers(c)), CHAIN_MSG_STATUS, &s, sizeof s, 0);
}

/* ---- The master. --------------------------------------------------------------- */

static void chain_master_publish(sim_ctx *c)
{
    chain_state_t *st = sim_state(c);
    chain_durable_t *d = sim_durable(c);
    st->view = d->view;
    for (uint32_t i = 0; i + 1 < sim_servers(c); i++)
        sim_send(c, i, CHAIN_MSG_VIEW, &d->view, sizeof d->view, 0);
    chain_report_role(c);
}

static void chain_master_drop(chain_durable_t *d, uint32_t i)
{
    chain_view_t *v = &d->view;
    for (uint32_t j = i; j + 1 < v->n; j++) {
        v->member[j] = v->member[j + 1];
        v->join[j] = v->join[j + 1];
        v->inc[j] = v->inc[j + 1];
        d->synced_known[j] = d->synced_known[j + 1];
    }
    v->n--;
    v->version++;
}

/* Removes member i, suspected or known dead, if that leaves the state somewhere.
 * `lost`: it answered from a new incarnation, so its state is certainly gone. Returns
 * true when the view changed. */
static bool chain_master_remove(sim_ctx *c, uint32_t i, bool lost)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    chain_durable_t *d = sim_durable(c);
    chain_view_t *v = &d->view;
    sim_time_t now = sim_now(c);
    /* A suspected member may only be cut off, so it goes only if another member that
     * holds the state is answering; a member known to be empty goes if any other
     * holder remains, answering or not. */
    bool other_holder = false, other_live_holder = false;
    for (uint32_t j = 0; j < v->n; j++) {
        if (j == i || !d->synced_known[j]) continue;
        other_holder = true;
        other_live_holder |= now - st->heard_ns[v->member[j]] <= p->failure_timeout_ns;
    }
    uint32_t node = v->member[i];
    if (other_live_holder || (lost && other_holder)) {
        chain_master_drop(d, i);
        sim_log(c, "removed %s from the chain: view %u", sim_node_name(c, node), v->version);
        return true;
    }
    if (lost) {
        /* The last copy of the state is gone: more failures than the chain tolerates.
         * Start again, empty. */
        v->n = 0;
        v->gen++;
        v->version++;
        sim_log(c, "%s held the last copy and lost it: generation %u starts empty", sim_node_name(c, node), v->gen);
        return true;
    }
    return false;
}

/* Adds one server at the end of the chain, once every member is settled. Returns true
 * when the view changed. */
static bool chain_master_admit(sim_ctx *c)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    chain_durable_t *d = sim_durable(c);
    chain_view_t *v = &d->view;
    sim_time_t now = sim_now(c);
    if (v->n >= p->n_servers - 1 || v->n >= CHAIN_MEMBERS_MAX) return false;
    for (uint32_t i = 0; i < v->n; i++) {
        const chain_status_msg_t *s = &st->status[v->member[i]];
        if (!d->synced_known[i] || s->version != v->version || now - st->heard_ns[v->member[i]] > p->failure_timeout_ns)
            return false;
    }
    for (uint32_t node = 0; node + 1 < p->n_servers; node++) {
        bool in = false;
        for (uint32_t i = 0; i < v->n; i++) in |= v->member[i] == node;
        const chain_status_msg_t *s = &st->status[node];
        if (in || !s->inc || now - st->heard_ns[node] > p->failure_timeout_ns) continue;
        v->version++;
        v->member[v->n] = node;
        v->join[v->n] = v->version;
        v->inc[v->n] = s->inc;
        d->synced_known[v->n] = 0;
        v->n++;
        sim_log(c, "added %s as the new tail: view %u", sim_node_name(c, node), v->version);
        return true;
    }
    return false;
}

static void chain_master_on_status(sim_ctx *c, const sim_msg_t *m)
{
    chain_state_t *st = sim_state(c);
    chain_durable_t *d = sim_durable(c);
    const chain_status_msg_t *s = m->payload;
    if (m->len != sizeof *s || m->from >= chain_master_id(sim_servers(c))) return;
    /* A late answer from an earlier incarnation says nothing about this one. */
    if (s->inc < st->status[m->from].inc) return;
    st->status[m->from] = *s;
    st->heard_ns[m->from] = sim_now(c);
    chain_view_t *v = &d->view;
    for (uint32_t i = 0; i < v->n; i++) {
        if (v->member[i] != m->from) continue;
        if (s->inc > v->inc[i]) {
            /* It restarted since it was admitted: whatever it held is gone. */
            if (chain_master_remove(c, i, true)) chain_master_publish(c);
        } else if (s->inc == v->inc[i] && s->joined == v->join[i] && s->synced) {
            d->synced_known[i] = 1;
        }
        return;
    }
}

/* Every heartbeat: remove the silent, perhaps add a newcomer, and send the view to
 * everyone (which is also the question "are you alive?"). */
static void chain_master_tick(sim_ctx *c)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    chain_durable_t *d = sim_durable(c);
    chain_view_t *v = &d->view;
    sim_time_t now = sim_now(c);
    for (uint32_t i = v->n; i-- > 0;)
        if (now - st->heard_ns[v->member[i]] > p->failure_timeout_ns) chain_master_remove(c, i, false);
    chain_master_admit(c);
    chain_master_publish(c);
}

/* ---- Callbacks. ---------------------------------------------------------------- */

static void chain_init(sim_ctx *c)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    chain_durable_t *d = sim_durable(c);
    bool first_start = d->inc == 0;
    d->inc++;
    st->pos = CHAIN_NONE;
    st->is_master = sim_self(c) == chain_master_id(sim_servers(c));
    chain_wipe(p, st);
    if (st->is_master) {
        if (first_start) {
            chain_first_view(&d->view, p->n_servers);
            memset(d->synced_known, 1, d->view.n);
        }
        /* Everyone gets a full timeout to answer a (re)started master. */
        for (uint32_t i = 0; i < CHAIN_SERVERS_MAX; i++) st->heard_ns[i] = sim_now(c);
        st->view = d->view;
        chain_report_role(c);
        sim_timer_set(c, p->heartbeat_ns, CHAIN_TIMER_TICK, 0);
        return;
    }
    if (first_start) {
        /* At time zero every server knows the first view (it is in id order) and
         * holds the state, which is empty. */
        chain_first_view(&st->view, p->n_servers);
        st->pos = sim_self(c);
        st->joined = 1;
        st->synced = true;
        chain_report_role(c);
    }
    /* A restarted server knows nothing until the master's next view. */
    sim_timer_set(c, 1 + (sim_time_t)rng_below(sim_rng(c), (uint64_t)p->resend_ns), CHAIN_TIMER_TICK, 0);
}

static void chain_timer(sim_ctx *c, int kind, uint64_t data)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    if (st->is_master) {
        chain_master_tick(c);
        sim_timer_set(c, p->heartbeat_ns, CHAIN_TIMER_TICK, 0);
        return;
    }
    if (chain_member(st)) {
        /* Tell the predecessor where we are (it may be waiting to learn that we need a
         * snapshot, or that an ack was lost), and re-send what the successor lacks. */
        chain_send_ack(c);
        chain_catch_up_successor(c, false);
    }
    sim_timer_set(c, p->resend_ns, CHAIN_TIMER_TICK, 0);
}

static void chain_message(sim_ctx *c, const sim_msg_t *m)
{
    chain_state_t *st = sim_state(c);
    if (st->is_master) {
        if (m->type == CHAIN_MSG_STATUS) chain_master_on_status(c, m);
        return;
    }
    switch (m->type) {
    case CHAIN_MSG_VIEW: {
        chain_view_t v;
        if (m->len != sizeof v || m->from != chain_master_id(sim_servers(c))) return;
        memcpy(&v, m->payload, sizeof v);
        if (v.version > st->view.version) chain_adopt_view(c, &v);
        chain_send_status(c);
        break;
    }
    case CHAIN_MSG_UPDATE: chain_on_update(c, m); break;
    case CHAIN_MSG_ACK: chain_on_ack(c, m); break;
    case CHAIN_MSG_SNAPSHOT: chain_on_snapshot(c, m); break;
    default: break;
    }
}

/* Sends the client to the node that can serve it, or says "not now". */
static void chain_redirect(sim_ctx *c, const sim_req_t *req, bool to_head)
{
    chain_state_t *st = sim_state(c);
    const chain_view_t *v = &st->view;
    uint32_t target = v->n == 0 ? CHAIN_NONE : to_head ? v->member[0] : v->member[v->n - 1];
    if (target == CHAIN_NONE || target == sim_self(c)) sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0);
    else sim_reply_redirect(c, req, target);
}

static void chain_request(sim_ctx *c, const sim_req_t *req)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    switch ((sim_op_t)req->f) {
    case SIM_OP_READ:
        if (!chain_is_tail(st) || !st->synced) { chain_redirect(c, req, false); return; }
        kv_reply(c, req, kv_read(chain_kv(p, st), req->key));
        return;
    case SIM_OP_WRITE: case SIM_OP_CAS: case SIM_OP_ADD: {
        if (!chain_is_head(st) || !st->synced) { chain_redirect(c, req, true); return; }
        /* A request the network delivered twice is applied once (while still in the
         * sent list; an exactly-once service would keep a table of answered ids). */
        for (uint32_t i = 0; i < st->sent_n; i++)
            if (chain_sent_at(p, st, i)->req.op_id == req->op_id) return;
        chain_update_t *u = chain_apply(c, req);
        if (!u) { sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0); return; }
        if (p->variant == CHAIN_VARIANT_ACK_AT_HEAD) chain_answer(c, u);
        if (chain_is_tail(st)) chain_tail_commit(c);
        else chain_send_update(c, u);
        return;
    }
    default:
        sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0);     /* append and transfer are not offered */
        return;
    }
}

/* ---- Views for people. --------------------------------------------------------- */

static void chain_describe(sim_ctx *c, proto_desc_t *d)
{
    chain_state_t *st = sim_state(c);
    snprintf(d->role, sizeof d->role, "%s", chain_position(st));
    d->term = st->view.version;
    if (st->is_master) {
        snprintf(d->line, sizeof d->line, "view %u: %u members, gen %u", st->view.version, st->view.n, st->view.gen);
        return;
    }
    d->commit = (int64_t)st->stable;
    d->log_len = (int64_t)st->applied;
    snprintf(d->line, sizeof d->line, "v%u applied %llu stable %llu sent %u", st->view.version,
             (unsigned long long)st->applied, (unsigned long long)st->stable, st->sent_n);
}

static void chain_export(sim_ctx *c, jw_t *w)
{
    const chain_params_t *p = chain_params(c);
    chain_state_t *st = sim_state(c);
    chain_durable_t *d = sim_durable(c);
    const chain_view_t *v = st->is_master ? &d->view : &st->view;
    jw_obj_begin(w);
    jw_kstr(w, "position", chain_position(st));
    jw_kuint(w, "incarnation", d->inc);
    jw_key(w, "view");
    jw_obj_begin(w);
    jw_kuint(w, "version", v->version);
    jw_kuint(w, "generation", v->gen);
    jw_key(w, "members");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < v->n; i++) jw_str(w, sim_node_name(c, v->member[i]));
    jw_arr_end(w);
    jw_key(w, "joined_at");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < v->n; i++) jw_uint(w, v->join[i]);
    jw_arr_end(w);
    if (st->is_master) {
        jw_key(w, "holds_state");
        jw_arr_begin(w);
        for (uint32_t i = 0; i < v->n; i++) jw_bool(w, d->synced_known[i]);
        jw_arr_end(w);
    }
    jw_obj_end(w);
    if (st->is_master) { jw_obj_end(w); return; }
    jw_kuint(w, "joined", st->joined);
    jw_kbool(w, "synced", st->synced);
    uint32_t pred = chain_pred(st), succ = chain_succ(st);
    jw_key(w, "predecessor");
    if (pred == CHAIN_NONE) jw_null(w); else jw_str(w, sim_node_name(c, pred));
    jw_key(w, "successor");
    if (succ == CHAIN_NONE) jw_null(w); else jw_str(w, sim_node_name(c, succ));
    jw_kuint(w, "applied", st->applied);
    jw_kuint(w, "stable", st->stable);
    jw_key(w, "sent");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < st->sent_n; i++) {
        const chain_update_t *u = chain_sent_at(p, st, i);
        jw_obj_begin(w);
        jw_kuint(w, "seq", u->seq);
        jw_kstr(w, "f", sim_op_names[u->req.f]);
        jw_kuint(w, "key", u->req.key);
        jw_kint(w, "value", u->req.f == SIM_OP_CAS ? u->req.value2 : u->req.value);
        jw_kstr(w, "client", sim_node_name(c, u->req.client));
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "kv");
    kv_export(chain_kv(p, st), w);
    jw_obj_end(w);
}

/* ---- The invariant. ------------------------------------------------------------ */

/* No acknowledged write is lost: the latest update each server answered a client for
 * (in this generation) is in the history of the current tail -- the last member of
 * the master's view that is up and holds the state. Each server's answers are a prefix
 * of its history, so checking its latest answer covers all its earlier ones; a lost
 * write is caught at the event that loses it. O(servers) per event. */
static bool chain_check(sim_t *s, sim_violation_t *v)
{
    uint32_t n = sim_n_servers(s), master = chain_master_id(n);
    const chain_durable_t *md = sim_node_durable(s, master);
    const chain_view_t *view = &md->view;
    uint32_t tail = CHAIN_NONE;
    for (uint32_t i = view->n; i-- > 0 && tail == CHAIN_NONE;) {
        uint32_t m = view->member[i];
        const chain_state_t *st = sim_node_state(s, m);
        const chain_durable_t *d = sim_node_durable(s, m);
        if (sim_node_up(s, m) && d->inc == view->inc[i] && st->joined == view->join[i] && st->synced) tail = m;
    }
    if (tail == CHAIN_NONE) return false;      /* no copy of the state is up: nothing to compare */
    const chain_state_t *t = sim_node_state(s, tail);
    for (uint32_t node = 0; node < master; node++) {
        const chain_ghost_t *g = &((const chain_durable_t *)sim_node_durable(s, node))->ghost;
        if (g->seq == 0 || g->gen != view->gen) continue;
        bool missing = t->applied < g->seq;
        bool forked = !missing && g->seq > t->ring_from && t->applied - g->seq < CHAIN_HASH_RING &&
                      t->hash_at[g->seq % CHAIN_HASH_RING] != g->hash;
        if (!missing && !forked) continue;
        snprintf(v->name, sizeof v->name, "acknowledged-write-lost");
        char at[32], what[64];
        sim_format_duration(g->at_ns, at, sizeof at);
        snprintf(what, sizeof what, "%s k%u %s %lld", sim_op_names[g->f], g->key,
                 g->f == SIM_OP_ADD ? "+=" : g->f == SIM_OP_CAS ? "->" : "=", (long long)g->value);
        const char *nn = sim_name_of(s, node), *tn = sim_name_of(s, tail), *cn = sim_name_of(s, g->client);
        if (missing)
            snprintf(v->detail, sizeof v->detail,
                     "%s answered %s for update #%llu (%s) at %s, but the tail %s holds only "
                     "%llu updates: a read at the tail does not see it, and it is lost if %s fails",
                     nn, cn, (unsigned long long)g->seq, what, at,
                     tn, (unsigned long long)t->applied, nn);
        else
            snprintf(v->detail, sizeof v->detail,
                     "%s answered %s for update #%llu (%s) at %s, but update #%llu at the tail %s "
                     "is a different one: the chain forked",
                     nn, cn, (unsigned long long)g->seq, what, at, (unsigned long long)g->seq, tn);
        v->nodes[0] = node;
        v->nodes[1] = tail;
        v->n_nodes = node == tail ? 1 : 2;
        return true;
    }
    return false;
}

static void chain_summary(sim_t *s, jw_t *w)
{
    uint32_t master = chain_master_id(sim_n_servers(s));
    const chain_durable_t *md = sim_node_durable(s, master);
    jw_kuint(w, "view_version", md->view.version);
    jw_kuint(w, "generation", md->view.gen);
    jw_kuint(w, "members", md->view.n);
}

/* ---- Parameters and registration. ---------------------------------------------- */

static int chain_configure(void *cfgp, const proto_env_t *env, char *err, size_t len)
{
    chain_params_t *p = cfgp;
    if (env->n_servers < 2 || env->n_servers > CHAIN_SERVERS_MAX) {
        snprintf(err, len, "chain replication needs 2 to %d servers (the last is the master), found %u",
                 CHAIN_SERVERS_MAX, env->n_servers);
        return SIM_EINPUT;
    }
    if (p->failure_timeout_ns <= p->heartbeat_ns) {
        snprintf(err, len, "failure_timeout must be longer than heartbeat, or every member looks dead");
        return SIM_EINPUT;
    }
    p->n_servers = env->n_servers;
    p->n_keys = env->n_keys;
    size_t kvb = kv_bytes(p->n_keys), sent = (size_t)p->sent_max * sizeof(chain_update_t);
    size_t snap = sizeof(chain_snapshot_hdr_t) + kvb + sent;
    if (snap > SIM_PAYLOAD_BYTES_MAX) {
        snprintf(err, len, "a snapshot of %u keys and sent_max %lld updates is %zu bytes, more than one message "
                 "can carry (%u); lower sent_max or the workload's keys", p->n_keys, (long long)p->sent_max, snap,
                 SIM_PAYLOAD_BYTES_MAX);
        return SIM_EINPUT;
    }
    p->kv_off = chain_align8(sizeof(chain_state_t));
    p->sent_off = chain_align8(p->kv_off + kvb);
    p->scratch_off = chain_align8(p->sent_off + sent);
    p->state_bytes = p->scratch_off + chain_align8(snap);
    return SIM_OK;
}

static size_t chain_state_size(const void *cfgp) { return ((const chain_params_t *)cfgp)->state_bytes; }

/* Decodes a message for the window's hover: "update 12: write k5 17". */
static int chain_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    switch (type) {
    case CHAIN_MSG_VIEW: {
        chain_view_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        if (!m.n) return snprintf(buf, buf_len, "view %u: no chain", m.version);
        return snprintf(buf, buf_len, "view %u: %u servers, head n%u, tail n%u", m.version, m.n, m.member[0] + 1, m.member[m.n - 1] + 1);
    }
    case CHAIN_MSG_STATUS: {
        chain_status_msg_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "in view %u, applied %llu%s", m.version, (unsigned long long)m.applied, m.synced ? "" : ", not synced yet");
    }
    case CHAIN_MSG_UPDATE: {
        chain_update_msg_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        const sim_req_t *r = &m.u.req;
        const char *f = r->f < SIM_OP_COUNT_ ? sim_op_names[r->f] : "?";
        if (r->f == SIM_OP_READ) return snprintf(buf, buf_len, "update %llu: read k%u", (unsigned long long)m.u.seq, r->key);
        return snprintf(buf, buf_len, "update %llu: %s k%u %lld", (unsigned long long)m.u.seq, f, r->key, (long long)r->value);
    }
    case CHAIN_MSG_ACK: {
        chain_ack_msg_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        if (!m.synced) return snprintf(buf, buf_len, "new here: send me a snapshot");
        return snprintf(buf, buf_len, "applied %llu, %llu known at the tail", (unsigned long long)m.applied, (unsigned long long)m.stable);
    }
    case CHAIN_MSG_SNAPSHOT: {
        chain_snapshot_hdr_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "snapshot up to update %llu, then %u updates", (unsigned long long)m.seq, m.n_updates);
    }
    }
    return 0;
}

static const char *const chain_msg_types[] = {"view", "status", "update", "ack", "snapshot", NULL};

static const proto_param_t chain_param_table[] = {
    {"heartbeat", PROTO_PARAM_DURATION, "50ms", 1e6, 1e12, NULL, offsetof(chain_params_t, heartbeat_ns),
     "how often the master sends the view to every server (and so checks they are alive)"},
    {"failure_timeout", PROTO_PARAM_DURATION, "300ms", 1e6, 1e12, NULL, offsetof(chain_params_t, failure_timeout_ns),
     "silence after which the master removes a member from the chain"},
    {"resend", PROTO_PARAM_DURATION, "40ms", 1e5, 1e12, NULL, offsetof(chain_params_t, resend_ns),
     "wait before an update the successor has not confirmed is sent again"},
    {"sent_max", PROTO_PARAM_INT, "256", 1, 4096, NULL, offsetof(chain_params_t, sent_max),
     "updates the head lets wait for the tail's ack before it answers \"unavailable\""},
    {"variant", PROTO_PARAM_ENUM, "none", 1, 0, "none|ack-at-head", offsetof(chain_params_t, variant),
     "a deliberate bug for the checker to find: ack-at-head answers writes before the tail has them"},
    {NULL},
};

const proto_t proto_chain = {
    .version = PROTO_VERSION,
    .name = "chain",
    .purpose = "chain replication: writes at the head, reads and acks at the tail; a master repairs the chain",
    .state_size = sizeof(chain_state_t),
    .durable_size = sizeof(chain_durable_t),
    .config_size = sizeof(chain_params_t),
    .msg_types = chain_msg_types,
    .params = chain_param_table,
    .configure = chain_configure,
    .state_size_for = chain_state_size,
    .init = chain_init,
    .on_message = chain_message,
    .on_timer = chain_timer,
    .on_request = chain_request,
    .describe = chain_describe,
    .export_state = chain_export,
    .check = chain_check,
    .summary = chain_summary,
    .describe_msg = chain_describe_msg,
};
