/* paxos.c -- Multi-Paxos: a replicated log of client commands, one Paxos instance per slot.
 *
 * Every node plays all three of Lamport's roles: proposer, acceptor and learner. The
 * log is a row of slots; in each slot the nodes agree on one command by the synod
 * algorithm of "Paxos Made Simple" (Lamport, 2001, section 2), and every node applies
 * the chosen commands in slot order to the same key-value state machine (kv.c), so all
 * of them compute the same state (section 3, "Implementing a State Machine"). The
 * multi-slot structure -- a leader that prepares once for every slot, replicas that
 * learn decisions and apply them in order -- follows van Renesse and Altinbuken,
 * "Paxos Made Moderately Complex" (ACM Computing Surveys, 2015): its leader with
 * scouts (phase 1) and commanders (phase 2) is the leader here, its acceptors are the
 * acceptors here, and its replicas are the learners that apply the log.
 *
 * Ballots. A ballot is a pair (round, node), ordered by round and then node, so two
 * proposers never use the same one. It is written "3.n2" (round 3 of n2).
 *
 * Single-decree Paxos, for one slot (section 2.2):
 *
 *   phase 1   proposer ──prepare(b)──────────> acceptors
 *             proposer <──promise(b, (b', v'))── each acceptor that had promised
 *                                                nothing above b: it promises never to
 *                                                accept a ballot below b, and reports
 *                                                the last (ballot, value) it accepted
 *   phase 2   proposer ──accept(b, v)────────> acceptors      v: the value of the
 *             proposer <──accepted(b)──────── acceptors      highest b' reported by
 *                                                             a majority, or its own
 *                                                             if none reported one
 *
 * A value is chosen once a majority of acceptors has accepted it in the same ballot.
 * The rule in phase 2 is what makes Paxos safe: any two majorities share an acceptor,
 * so a later ballot always hears of a value an earlier ballot may have chosen, and
 * proposes it again instead of its own (section 2.2, P2c).
 *
 * Multi-Paxos (section 3). Running both phases for every command would take two round
 * trips each. Instead, a distinguished proposer -- the leader -- runs phase 1 once, for
 * every slot from the first one it has not seen chosen, and keeps its ballot for as
 * long as nobody prepares a higher one. Each client command then costs phase 2 only:
 *
 *   client        n1 (leader, ballot 3.n1)       n2              n3
 *     │──write k1=7──>│                           │               │
 *     │               │──accept(3.n1, slot 9, v)─>│               │
 *     │               │──accept(3.n1, slot 9, v)─────────────────>│
 *     │               │<──accepted(3.n1, slot 9)──│               │
 *     │               │   n1 and n2 are a majority: v is chosen in slot 9
 *     │               │──decide(slot 9, v)───────>│──────────────>│
 *     │<──ok──────────│   every node applies slot 9 after slot 8
 *
 * Electing a leader. The leader sends a heartbeat every `heartbeat`. A node that hears
 * nothing from a leader for a random time in `election_timeout` becomes a candidate:
 * it prepares a ballot one round above anything it has promised, from the first slot
 * it has not seen chosen. With promises from a majority it becomes the leader. For
 * every slot a promise reported, it proposes the value with the highest ballot; for a
 * hole below the highest such slot -- a slot nobody reported -- it proposes a no-op, so
 * that the log can be applied past it (section 3: "gaps are filled with no-op"):
 *
 *   n2 ──prepare(4.n2, from slot 7)──> all
 *   n1 ──promise(4.n2: slot 7 (3.n1, write k1=7), slot 9 (3.n1, add k2+1))──> n2
 *   n3 ──promise(4.n2: slot 7 (3.n1, write k1=7))──> n2
 *   n2 ──accept(4.n2, slot 7, write k1=7)  accept(4.n2, slot 8, no-op)
 *        accept(4.n2, slot 9, add k2+1)──> all
 *
 * Duelling proposers. Two candidates can pre-empt each other for ever: n1 prepares
 * round 5, n2 prepares round 6 before n1's accepts arrive, n1 prepares round 7, ...
 * Lamport notes that progress needs a single distinguished proposer (section 2.4), and
 * van Renesse and Altinbuken let a pre-empted leader wait before trying again. Here a
 * node that is pre-empted (as candidate or as leader), or that gets no majority in
 * time, waits longer before its next try: a random extra time whose range doubles with
 * each such loss (up to `backoff_max`) until it sees a value chosen again. So one of the
 * duellists soon runs unopposed long enough to finish both phases, and the others follow
 * its heartbeats.
 *
 * Learning. The leader that sees a majority accept a slot marks it chosen and tells
 * everyone (decide). Decisions can be lost, so heartbeats carry how far the leader has
 * applied, and a node that is behind asks for what it missed (catchup).
 *
 * What survives a crash. The acceptor's promise and its accepted (ballot, value) per
 * slot are durable (sim_durable): forgetting them would let an acceptor promise or
 * accept against its word, and a value could be chosen twice. Which slots are known to
 * be chosen is durable too, so a restarted node rebuilds its key-value state by
 * applying them again. Everything else -- being leader, the proposals in flight, the
 * key-value table -- is volatile.
 *
 * Clients. Only the leader proposes; other nodes redirect a client to the leader they
 * follow, or answer "unavailable" when they know of none. Reads go through the log as
 * well, so they are linearizable. A command that a client's retry put into two slots is
 * applied once: each node remembers the last PAXOS_RECENT operation ids it applied.
 *
 * What the checker watches (paxos_check, after every event): it follows each acceptor's
 * durable acceptances, counts per slot and ballot which acceptors accepted which value,
 * and declares a value chosen when a majority has accepted it -- independently of
 * what the nodes believe. It then checks the safety properties of section 2.1: at
 * most one value is chosen in each slot, and only a proposed value is chosen (a no-op,
 * or a command some client invoked, as the run's history shows).
 *
 * The variant "ignore-promised-value" is the classic mistake: a new leader ignores the
 * values that promises report and proposes its own (a no-op) in those slots. A value
 * an earlier leader got chosen can then be replaced, and the checker sees a slot chosen
 * twice.
 *
 * Limits: the log has `slots_max` slots and is never compacted; membership is fixed;
 * at most PAXOS_NODES_MAX servers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>
#include "proto/kv.h"
#include "proto/proto.h"

#define PAXOS_NODES_MAX 64          /* acceptor sets are 64-bit masks */
#define PAXOS_SLOTS_MAX 4096        /* the largest slots_max: the checker's table is this long */
#define PAXOS_BATCH_MAX 32          /* decisions per catch-up reply; accepts resent per tick */
#define PAXOS_RECENT 256            /* operation ids remembered for duplicate commands */
#define PAXOS_TALLY_WAYS 4          /* ballots the checker counts at once in one slot */
#define PAXOS_CHECK_OPS 32768       /* the checker's set of invoked operations (power of two) */
#define PAXOS_NO_SLOT UINT32_MAX
#define PAXOS_NOOP 0xff             /* paxos_value_t.f of a no-op */

/* ---- Ballots and values. --------------------------------------------------------- */

/* A ballot packed into one integer: round in the high bits, node in the low 8, so
 * comparing integers compares (round, node). Zero means "none". */
typedef int64_t paxos_ballot_t;
static inline paxos_ballot_t paxos_ballot(int64_t round, uint32_t node) { return round << 8 | node; }
static inline int64_t paxos_round(paxos_ballot_t b) { return b >> 8; }
static inline uint32_t paxos_node(paxos_ballot_t b) { return (uint32_t)(b & 0xff); }

/* A command as it travels through the log: the client's operation, or a no-op. The
 * fields are normalized (a read carries no values) so that equal commands compare
 * equal field by field. */
typedef struct paxos_value {
    uint64_t op_id;        /* 0 for a no-op */
    uint32_t client;       /* where the reply goes */
    uint8_t f;             /* sim_op_t, or PAXOS_NOOP */
    uint8_t _pad[3];
    uint32_t key;
    uint32_t _pad2;
    int64_t v1, v2;        /* write/add: v1; cas: expected v1, new v2 */
} paxos_value_t;

/* ---- Messages (the wire format; tests/test_paxos.c restates it). ------------------ */

enum { PAXOS_PREPARE, PAXOS_PROMISE, PAXOS_ACCEPT, PAXOS_ACCEPTED, PAXOS_DECIDE, PAXOS_HEARTBEAT, PAXOS_CATCHUP };

typedef struct paxos_prepare {
    paxos_ballot_t ballot;
    uint32_t from_slot;    /* phase 1 covers this slot and every later one */
    uint32_t _pad;
} paxos_prepare_t;

/* One slot in a promise: what the acceptor accepted there, or that it knows the slot's
 * chosen value. */
typedef struct paxos_entry {
    uint32_t slot;
    uint8_t chosen;        /* value is the slot's chosen value */
    uint8_t _pad[3];
    paxos_ballot_t ballot; /* the ballot it was accepted in */
    paxos_value_t value;
} paxos_entry_t;

typedef struct paxos_promise {
    paxos_ballot_t ballot; /* the ballot this answers */
    paxos_ballot_t promised; /* a refusal: the higher ballot already promised */
    uint8_t ok;
    uint8_t _pad[3];
    uint32_t n;            /* entries that follow */
    paxos_entry_t entry[];
} paxos_promise_t;

typedef struct paxos_accept {
    paxos_ballot_t ballot;
    uint32_t slot;
    uint32_t _pad;
    paxos_value_t value;
} paxos_accept_t;

/* The answer to an accept, and to a stale leader's heartbeat (slot PAXOS_NO_SLOT). */
typedef struct paxos_accepted {
    paxos_ballot_t ballot;
    paxos_ballot_t promised; /* a refusal: the higher ballot already promised */
    uint32_t slot;
    uint8_t ok;
    uint8_t _pad[3];
} paxos_accepted_t;

/* A decide message is an array of these: one for a fresh decision, up to
 * PAXOS_BATCH_MAX in an answer to catchup. */
typedef struct paxos_decide {
    uint32_t slot;
    uint32_t _pad;
    paxos_value_t value;
} paxos_decide_t;

typedef struct paxos_heartbeat {
    paxos_ballot_t ballot;
    uint32_t applied;      /* the leader has applied every slot below this */
    uint32_t _pad;
} paxos_heartbeat_t;

typedef struct paxos_catchup {
    uint32_t from_slot;    /* send me the chosen values from here on */
    uint32_t _pad;
} paxos_catchup_t;

/* ---- Durable state: the acceptor's word and the learner's knowledge. -------------- */

typedef struct paxos_slot {
    paxos_ballot_t accepted_ballot;   /* 0: nothing accepted in this slot */
    paxos_value_t accepted;
    uint8_t chosen;                   /* this node has learned the slot's value */
    uint8_t _pad[7];
    paxos_value_t value;              /* the chosen value, when chosen */
} paxos_slot_t;

typedef struct paxos_durable {
    paxos_ballot_t promised;          /* never accept or promise a ballot below this */
    uint64_t n_accepts;               /* acceptances so far: the checker follows this count */
    uint32_t last_accept_slot;        /* the slot of the latest acceptance */
    uint32_t log_len;                 /* 1 + the highest slot accepted or known chosen */
    paxos_slot_t slot[];              /* slots_max */
} paxos_durable_t;

/* ---- Volatile state. --------------------------------------------------------------- */

enum { PROP_EMPTY, PROP_REPORTED, PROP_PROPOSED };

/* One slot as this node's proposer sees it: during phase 1 the best value promises
 * reported; as leader, the value it proposed and who accepted it. */
typedef struct paxos_prop {
    paxos_ballot_t ballot;            /* phase 1: the highest accepted ballot reported */
    paxos_value_t value;
    uint64_t acks;                    /* phase 2: acceptors that accepted it (bitmask) */
    uint8_t state;                    /* PROP_* */
    uint8_t _pad[7];
} paxos_prop_t;

typedef struct paxos_state {
    uint8_t role;                     /* SIM_ROLE_FOLLOWER, SIM_ROLE_CANDIDATE or SIM_ROLE_LEADER */
    uint8_t _pad[3];
    uint32_t attempts;                /* candidacies and reigns lost since the last value was
                                       * chosen: the backoff exponent */
    paxos_ballot_t ballot;            /* candidate or leader: our ballot */
    int64_t leader;                   /* the node we believe leads, or -1 */
    uint64_t promises;                /* candidate: acceptors that promised (bitmask) */
    uint32_t from_slot;               /* candidate: where phase 1 starts */
    uint32_t next_slot;               /* leader: the next free slot */
    uint32_t prop_hi;                 /* 1 + the highest slot with a prop entry in use */
    uint32_t applied;                 /* slots applied to the kv table, in order */
    sim_time_t deadline_ns;           /* follower: start an election; candidate: give up */
    uint64_t recent[PAXOS_RECENT];    /* operation ids applied lately, a ring */
    uint32_t n_recent;
    uint32_t _pad2;
    paxos_prop_t prop[];              /* slots_max, then a message buffer, then the kv table */
} paxos_state_t;

enum { TIMER_TICK, TIMER_ELECTION };

/* ---- Configuration, and the checker's bookkeeping. --------------------------------- */

/* What the checker has counted in one slot: per ballot, which acceptors accepted
 * which value (by hash), and the value it saw chosen. */
typedef struct paxos_tally {
    paxos_ballot_t ballot;
    uint64_t value_hash;
    uint64_t acceptors;
} paxos_tally_t;

typedef struct paxos_check_slot {
    paxos_tally_t tally[PAXOS_TALLY_WAYS];
    paxos_ballot_t chosen_ballot;     /* 0: not chosen yet */
    paxos_value_t value;
} paxos_check_slot_t;

/* The checker's bookkeeping, in the memory the core gives each simulation for it
 * (check_size, sim_check_state). */
typedef struct paxos_check {
    uint64_t seen_accepts[PAXOS_NODES_MAX];
    uint64_t hist_seen;               /* history events read so far */
    uint32_t n_ops;                   /* invoked operations in the set */
    uint32_t n_chosen;
    uint64_t ops[PAXOS_CHECK_OPS];    /* hashes of invoked operations; 0 is empty */
    paxos_check_slot_t slot[PAXOS_SLOTS_MAX];
} paxos_check_t;

enum { VARIANT_NONE, VARIANT_IGNORE_PROMISED_VALUE };

typedef struct paxos_config {
    sim_time_t heartbeat_ns;
    sim_time_t election_ns[2];        /* election timeout: min, max */
    sim_time_t backoff_max_ns;
    int64_t slots_max;
    int variant;
    uint32_t n_servers;               /* from the environment */
    uint32_t n_keys;
    uint32_t _pad;
} paxos_config_t;

/* ---- Helpers. ---------------------------------------------------------------------- */

static uint32_t majority(sim_ctx *c) { return sim_servers(c) / 2 + 1; }
static uint32_t popcount(uint64_t x) { return (uint32_t)__builtin_popcountll(x); }

static paxos_state_t *state(sim_ctx *c) { return sim_state(c); }
static paxos_durable_t *durable(sim_ctx *c) { return sim_durable(c); }
static const paxos_config_t *config(sim_ctx *c) { return sim_config(c); }

static paxos_promise_t *msgbuf(sim_ctx *c)
{
    return (paxos_promise_t *)(state(c)->prop + config(c)->slots_max);
}

static size_t msgbuf_bytes(const paxos_config_t *cfg)
{
    return sizeof(paxos_promise_t) + (size_t)cfg->slots_max * sizeof(paxos_entry_t);
}

/* The kv table sits after the proposals and the message buffer. */
static kv_t *kv_of(paxos_state_t *st, const paxos_config_t *cfg)
{
    return (kv_t *)((char *)(st->prop + cfg->slots_max) + msgbuf_bytes(cfg));
}

static kv_t *kv(sim_ctx *c) { return kv_of(state(c), config(c)); }

static paxos_value_t noop(void)
{
    paxos_value_t v;
    memset(&v, 0, sizeof v);
    v.f = PAXOS_NOOP;
    return v;
}

static paxos_value_t value_of(const sim_req_t *r)
{
    paxos_value_t v;
    memset(&v, 0, sizeof v);
    v.op_id = r->op_id;
    v.client = r->client;
    v.f = r->f;
    v.key = r->key;
    if (r->f != SIM_OP_READ) v.v1 = r->value;
    if (r->f == SIM_OP_CAS) v.v2 = r->value2;
    return v;
}

static bool value_equal(const paxos_value_t *a, const paxos_value_t *b)
{
    return a->op_id == b->op_id && a->client == b->client && a->f == b->f && a->key == b->key &&
           a->v1 == b->v1 && a->v2 == b->v2;
}

static uint64_t value_hash(const paxos_value_t *v)
{
    uint64_t h = sim_mix64(v->op_id ^ (uint64_t)v->client << 40);
    h = sim_mix64(h ^ v->f ^ (uint64_t)v->key << 8);
    h = sim_mix64(h ^ (uint64_t)v->v1);
    return sim_mix64(h ^ (uint64_t)v->v2);
}

/* "write k3=7", "no-op", ... for logs, exports and violation reports. */
static const char *value_str(const paxos_value_t *v, char *buf, size_t len)
{
    switch (v->f) {
    case PAXOS_NOOP: snprintf(buf, len, "no-op"); break;
    case SIM_OP_READ: snprintf(buf, len, "read k%u", v->key); break;
    case SIM_OP_WRITE: snprintf(buf, len, "write k%u=%lld", v->key, (long long)v->v1); break;
    case SIM_OP_CAS: snprintf(buf, len, "cas k%u %lld->%lld", v->key, (long long)v->v1, (long long)v->v2); break;
    case SIM_OP_ADD: snprintf(buf, len, "add k%u+%lld", v->key, (long long)v->v1); break;
    default: snprintf(buf, len, "op %u on k%u", v->f, v->key); break;
    }
    return buf;
}

/* "3.n2", or "-" for no ballot. */
static const char *ballot_str(const char *(*name)(void *, uint32_t), void *ud, paxos_ballot_t b,
                              char *buf, size_t len)
{
    if (!b) snprintf(buf, len, "-");
    else snprintf(buf, len, "%lld.%s", (long long)paxos_round(b), name(ud, paxos_node(b)));
    return buf;
}

static const char *ctx_name(void *ud, uint32_t node) { return sim_node_name(ud, node); }

static void send_all(sim_ctx *c, unsigned type, const void *payload, uint32_t len)
{
    for (uint32_t i = 0; i < sim_servers(c); i++)
        if (i != sim_self(c)) sim_send(c, i, type, payload, len, 0);
}

/* The time until this node gives up on the leader (or on its own candidacy): random in
 * election_timeout so that nodes rarely time out together, plus a random backoff whose
 * range doubles with each candidacy or reign lost since a value was last chosen, so
 * that duelling candidates drift apart until one of them wins unopposed. */
static sim_time_t election_delay(sim_ctx *c)
{
    const paxos_config_t *cfg = config(c);
    paxos_state_t *st = state(c);
    sim_time_t lo = cfg->election_ns[0], hi = cfg->election_ns[1];
    sim_time_t d = lo + (sim_time_t)rng_below(sim_rng(c), (uint64_t)(hi - lo) + 1);
    if (cfg->backoff_max_ns > 0 && st->attempts > 0) {
        uint32_t k = st->attempts < 10 ? st->attempts : 10;
        sim_time_t span = lo << k;
        if (span > cfg->backoff_max_ns || span <= 0) span = cfg->backoff_max_ns;
        d += (sim_time_t)rng_below(sim_rng(c), (uint64_t)span + 1);
    }
    sim_assert(d >= lo);
    return d;
}

static void set_role(sim_ctx *c, sim_role_t role)
{
    paxos_state_t *st = state(c);
    st->role = (uint8_t)role;
    paxos_ballot_t b = role == SIM_ROLE_FOLLOWER ? durable(c)->promised : st->ballot;
    sim_set_role(c, role, paxos_round(b));
}

/* Gives up leading or campaigning: someone holds a higher ballot. */
static void step_down(sim_ctx *c, paxos_ballot_t higher)
{
    paxos_state_t *st = state(c);
    sim_assert(higher > st->ballot);
    st->attempts++;
    char b[48];
    sim_log(c, "steps down: ballot %s is higher", ballot_str(ctx_name, c, higher, b, sizeof b));
    st->leader = -1;
    st->deadline_ns = sim_now(c) + election_delay(c);
    set_role(c, SIM_ROLE_FOLLOWER);
}

/* Evidence of a live leader at ballot b (a heartbeat, an accept): follow it. */
static void follow(sim_ctx *c, paxos_ballot_t b)
{
    paxos_state_t *st = state(c);
    if ((st->role == SIM_ROLE_LEADER || st->role == SIM_ROLE_CANDIDATE) && b > st->ballot) step_down(c, b);
    if (st->role != SIM_ROLE_FOLLOWER) return;
    st->leader = paxos_node(b);
    st->deadline_ns = sim_now(c) + election_delay(c);
    set_role(c, SIM_ROLE_FOLLOWER);       /* the promised ballot may have risen */
}

static bool recently_applied(paxos_state_t *st, uint64_t op_id)
{
    uint32_t n = st->n_recent < PAXOS_RECENT ? st->n_recent : PAXOS_RECENT;
    for (uint32_t i = 0; i < n; i++)
        if (st->recent[i] == op_id) return true;
    return false;
}

/* Applies chosen slots in order, as far as there is no gap. The leader answers the
 * clients; on restart (replay) nobody is answered again. */
static void apply_ready(sim_ctx *c, bool replay)
{
    const paxos_config_t *cfg = config(c);
    paxos_state_t *st = state(c);
    paxos_durable_t *d = durable(c);
    while (st->applied < cfg->slots_max && d->slot[st->applied].chosen) {
        const paxos_value_t *v = &d->slot[st->applied].value;
        st->applied++;
        if (v->f == PAXOS_NOOP || recently_applied(st, v->op_id)) continue;
        st->recent[st->n_recent++ % PAXOS_RECENT] = v->op_id;
        kv_cmd_t cmd = {v->f, v->key, v->v1, v->v2};
        kv_result_t res = kv_apply(kv(c), &cmd);
        if (replay || st->role != SIM_ROLE_LEADER) continue;
        sim_req_t r;
        memset(&r, 0, sizeof r);
        r.client = v->client;
        r.op_id = v->op_id;
        r.f = v->f;
        r.key = v->key;
        r.value = v->v1;
        r.value2 = v->v2;
        kv_reply(c, &r, res);
    }
    sim_assert(st->applied <= d->log_len || st->applied == 0);
}

/* This node learns that `slot` holds `v`. */
static void learn(sim_ctx *c, uint32_t slot, const paxos_value_t *v)
{
    const paxos_config_t *cfg = config(c);
    paxos_durable_t *d = durable(c);
    if (slot >= cfg->slots_max || d->slot[slot].chosen) return;
    d->slot[slot].chosen = 1;
    d->slot[slot].value = *v;
    state(c)->attempts = 0;           /* progress: whoever leads is getting values chosen */
    if (slot + 1 > d->log_len) d->log_len = slot + 1;
    apply_ready(c, false);
}

/* ---- Acceptor. ------------------------------------------------------------------- */

/* Phase 1b. The answer is built in the node's message buffer and either sent or, for
 * this node's own candidacy, handed straight to the proposer. */
static void on_promise(sim_ctx *c, uint32_t from, const paxos_promise_t *p, uint32_t len);

static void on_prepare(sim_ctx *c, uint32_t from, const paxos_prepare_t *m)
{
    const paxos_config_t *cfg = config(c);
    paxos_state_t *st = state(c);
    paxos_durable_t *d = durable(c);
    paxos_promise_t *p = msgbuf(c);
    memset(p, 0, sizeof *p);
    p->ballot = m->ballot;
    if (m->ballot < d->promised) {
        p->promised = d->promised;
    } else {
        if (m->ballot > d->promised) {
            d->promised = m->ballot;
            if (from != sim_self(c)) {
                if ((st->role == SIM_ROLE_LEADER || st->role == SIM_ROLE_CANDIDATE) && m->ballot > st->ballot)
                    step_down(c, m->ballot);
                /* A new election is under way: give the candidate time to finish it. */
                st->leader = -1;
                st->deadline_ns = sim_now(c) + election_delay(c);
                if (st->role == SIM_ROLE_FOLLOWER) set_role(c, SIM_ROLE_FOLLOWER);
            }
        }
        p->ok = 1;
        uint32_t hi = d->log_len < cfg->slots_max ? d->log_len : (uint32_t)cfg->slots_max;
        for (uint32_t s = m->from_slot; s < hi; s++) {
            const paxos_slot_t *sl = &d->slot[s];
            if (!sl->chosen && !sl->accepted_ballot) continue;
            paxos_entry_t *e = &p->entry[p->n++];
            memset(e, 0, sizeof *e);
            e->slot = s;
            e->chosen = sl->chosen;
            e->ballot = sl->accepted_ballot;
            e->value = sl->chosen ? sl->value : sl->accepted;
        }
    }
    uint32_t len = (uint32_t)(sizeof *p + p->n * sizeof(paxos_entry_t));
    if (from == sim_self(c)) on_promise(c, from, p, len);
    else sim_send(c, from, PAXOS_PROMISE, p, len, 0);
}

/* Phase 2b. */
static void on_accepted(sim_ctx *c, uint32_t from, const paxos_accepted_t *m);

static void on_accept(sim_ctx *c, uint32_t from, const paxos_accept_t *m)
{
    const paxos_config_t *cfg = config(c);
    paxos_durable_t *d = durable(c);
    paxos_accepted_t r;
    memset(&r, 0, sizeof r);
    r.ballot = m->ballot;
    r.slot = m->slot;
    if (m->slot >= cfg->slots_max) return;
    if (m->ballot < d->promised) {
        r.promised = d->promised;
    } else {
        /* Accepting a ballot promises it too: nothing below it may be accepted later. */
        d->promised = m->ballot;
        paxos_slot_t *sl = &d->slot[m->slot];
        sl->accepted_ballot = m->ballot;
        sl->accepted = m->value;
        d->n_accepts++;
        d->last_accept_slot = m->slot;
        if (m->slot + 1 > d->log_len) d->log_len = m->slot + 1;
        r.ok = 1;
        if (from != sim_self(c)) follow(c, m->ballot);
    }
    if (from == sim_self(c)) on_accepted(c, from, &r);
    else sim_send(c, from, PAXOS_ACCEPTED, &r, sizeof r, 0);
}

/* ---- Proposer. ------------------------------------------------------------------- */

/* Phase 2a for one slot, at our ballot; our own acceptor answers at once. */
static void propose(sim_ctx *c, uint32_t slot, const paxos_value_t *v)
{
    const paxos_config_t *cfg = config(c);
    paxos_state_t *st = state(c);
    sim_assert(st->role == SIM_ROLE_LEADER && durable(c)->promised == st->ballot);
    sim_assert(slot < cfg->slots_max);
    paxos_prop_t *p = &st->prop[slot];
    p->ballot = st->ballot;
    p->value = *v;
    p->acks = 0;
    p->state = PROP_PROPOSED;
    if (slot + 1 > st->prop_hi) st->prop_hi = slot + 1;
    paxos_accept_t m;
    memset(&m, 0, sizeof m);
    m.ballot = st->ballot;
    m.slot = slot;
    m.value = *v;
    send_all(c, PAXOS_ACCEPT, &m, sizeof m);
    on_accept(c, sim_self(c), &m);
}

static void send_heartbeat(sim_ctx *c)
{
    paxos_state_t *st = state(c);
    paxos_heartbeat_t h;
    memset(&h, 0, sizeof h);
    h.ballot = st->ballot;
    h.applied = st->applied;
    send_all(c, PAXOS_HEARTBEAT, &h, sizeof h);
}

/* Phase 1 is complete for every slot from from_slot on: propose, in each slot, the
 * value with the highest ballot that promises reported, and a no-op in every hole. */
static void become_leader(sim_ctx *c)
{
    const paxos_config_t *cfg = config(c);
    paxos_state_t *st = state(c);
    paxos_durable_t *d = durable(c);
    st->leader = sim_self(c);
    set_role(c, SIM_ROLE_LEADER);
    uint32_t hi = st->prop_hi > d->log_len ? st->prop_hi : d->log_len;
    if (hi < st->applied) hi = st->applied;
    char b[48];
    sim_log(c, "leads with ballot %s: slots %u..%u to settle", ballot_str(ctx_name, c, st->ballot, b, sizeof b),
            st->from_slot, hi);
    st->next_slot = hi;
    uint32_t filled = 0;
    for (uint32_t s = st->from_slot; s < hi; s++) {
        if (d->slot[s].chosen) continue;
        paxos_prop_t *p = &st->prop[s];
        if (p->state == PROP_REPORTED && cfg->variant != VARIANT_IGNORE_PROMISED_VALUE) {
            paxos_value_t v = p->value;
            propose(c, s, &v);
        } else {
            /* A hole, or (in the variant) a slot whose reported value is ignored. */
            paxos_value_t v = noop();
            propose(c, s, &v);
            filled++;
        }
        sim_assert(st->role == SIM_ROLE_LEADER);     /* our own acceptor has promised our ballot */
    }
    if (filled) sim_log(c, "fills %u slot(s) with no-ops", filled);
    send_heartbeat(c);
}

static void on_promise(sim_ctx *c, uint32_t from, const paxos_promise_t *p, uint32_t len)
{
    const paxos_config_t *cfg = config(c);
    paxos_state_t *st = state(c);
    if (len < sizeof *p || len < sizeof *p + (size_t)p->n * sizeof(paxos_entry_t)) return;
    if (!p->ok) {
        if ((st->role == SIM_ROLE_CANDIDATE || st->role == SIM_ROLE_LEADER) && p->promised > st->ballot) step_down(c, p->promised);
        return;
    }
    if (st->role != SIM_ROLE_CANDIDATE || p->ballot != st->ballot || (st->promises >> from & 1)) return;
    st->promises |= 1ULL << from;
    for (uint32_t i = 0; i < p->n; i++) {
        const paxos_entry_t *e = &p->entry[i];
        if (e->slot >= cfg->slots_max || e->slot < st->from_slot) continue;
        if (e->chosen) { learn(c, e->slot, &e->value); continue; }
        paxos_prop_t *q = &st->prop[e->slot];
        if (q->state == PROP_EMPTY || e->ballot > q->ballot) {
            q->state = PROP_REPORTED;
            q->ballot = e->ballot;
            q->value = e->value;
        }
        if (e->slot + 1 > st->prop_hi) st->prop_hi = e->slot + 1;
    }
    if (popcount(st->promises) >= majority(c)) become_leader(c);
}

static void on_accepted(sim_ctx *c, uint32_t from, const paxos_accepted_t *m)
{
    const paxos_config_t *cfg = config(c);
    paxos_state_t *st = state(c);
    if (!m->ok) {
        if ((st->role == SIM_ROLE_LEADER || st->role == SIM_ROLE_CANDIDATE) && m->promised > st->ballot) step_down(c, m->promised);
        return;
    }
    if (st->role != SIM_ROLE_LEADER || m->ballot != st->ballot || m->slot >= cfg->slots_max) return;
    paxos_prop_t *p = &st->prop[m->slot];
    if (p->state != PROP_PROPOSED || p->ballot != m->ballot) return;
    p->acks |= 1ULL << from;
    if (popcount(p->acks) < majority(c) || durable(c)->slot[m->slot].chosen) return;
    paxos_decide_t dm;
    memset(&dm, 0, sizeof dm);
    dm.slot = m->slot;
    dm.value = p->value;
    send_all(c, PAXOS_DECIDE, &dm, sizeof dm);
    learn(c, m->slot, &dm.value);
}

/* Starts (or restarts) a candidacy one round above anything this node has promised. */
static void start_election(sim_ctx *c)
{
    paxos_state_t *st = state(c);
    paxos_durable_t *d = durable(c);
    int64_t round = paxos_round(d->promised);
    if (paxos_round(st->ballot) > round) round = paxos_round(st->ballot);
    st->ballot = paxos_ballot(round + 1, sim_self(c));
    sim_assert(st->ballot > d->promised);
    for (uint32_t s = st->applied; s < st->prop_hi; s++) memset(&st->prop[s], 0, sizeof st->prop[s]);
    st->prop_hi = st->applied;
    st->promises = 0;
    st->from_slot = st->applied;
    st->leader = -1;
    st->deadline_ns = sim_now(c) + election_delay(c);
    set_role(c, SIM_ROLE_CANDIDATE);
    paxos_prepare_t m;
    memset(&m, 0, sizeof m);
    m.ballot = st->ballot;
    m.from_slot = st->from_slot;
    send_all(c, PAXOS_PREPARE, &m, sizeof m);
    on_prepare(c, sim_self(c), &m);
}

/* ---- Learner catch-up. ------------------------------------------------------------- */

static void on_catchup(sim_ctx *c, uint32_t from, const paxos_catchup_t *m)
{
    paxos_durable_t *d = durable(c);
    paxos_decide_t out[PAXOS_BATCH_MAX];
    uint32_t n = 0;
    for (uint32_t s = m->from_slot; s < d->log_len && n < PAXOS_BATCH_MAX; s++) {
        if (!d->slot[s].chosen) continue;
        memset(&out[n], 0, sizeof out[n]);
        out[n].slot = s;
        out[n].value = d->slot[s].value;
        n++;
    }
    if (n) sim_send(c, from, PAXOS_DECIDE, out, n * (uint32_t)sizeof out[0], 0);
}

static void on_heartbeat(sim_ctx *c, uint32_t from, const paxos_heartbeat_t *m)
{
    paxos_state_t *st = state(c);
    paxos_durable_t *d = durable(c);
    if (m->ballot < d->promised) {
        /* A deposed leader that has not noticed: tell it. */
        paxos_accepted_t r;
        memset(&r, 0, sizeof r);
        r.ballot = m->ballot;
        r.promised = d->promised;
        r.slot = PAXOS_NO_SLOT;
        sim_send(c, from, PAXOS_ACCEPTED, &r, sizeof r, 0);
        return;
    }
    follow(c, m->ballot);
    if (st->role == SIM_ROLE_FOLLOWER && m->applied > st->applied) {
        paxos_catchup_t q = {st->applied, 0};
        sim_send(c, from, PAXOS_CATCHUP, &q, sizeof q, 0);
    }
}

/* ---- Callbacks. ---------------------------------------------------------------------- */

static void paxos_init(sim_ctx *c)
{
    const paxos_config_t *cfg = config(c);
    paxos_state_t *st = state(c);
    sim_assert(cfg->slots_max > 0 && cfg->slots_max <= PAXOS_SLOTS_MAX);
    kv_init(kv(c), cfg->n_keys);
    st->leader = -1;
    apply_ready(c, true);      /* a restart: replay what this node knew was chosen */
    st->prop_hi = st->applied;
    st->deadline_ns = sim_now(c) + election_delay(c);
    set_role(c, SIM_ROLE_FOLLOWER);
    sim_timer_set(c, st->deadline_ns - sim_now(c), TIMER_ELECTION, 0);
    sim_timer_set(c, (sim_time_t)rng_below(sim_rng(c), (uint64_t)cfg->heartbeat_ns) + 1, TIMER_TICK, 0);
}

static void paxos_timer(sim_ctx *c, int kind, uint64_t data)
{
    const paxos_config_t *cfg = config(c);
    paxos_state_t *st = state(c);
    if (kind == TIMER_ELECTION) {
        /* One election timer per node, re-armed for the current deadline rather than
         * cancelled and set again on every heartbeat. */
        sim_time_t now = sim_now(c);
        if (st->role == SIM_ROLE_LEADER) {
            sim_timer_set(c, cfg->election_ns[0], TIMER_ELECTION, 0);
        } else if (now < st->deadline_ns) {
            sim_timer_set(c, st->deadline_ns - now, TIMER_ELECTION, 0);
        } else {
            if (st->role == SIM_ROLE_CANDIDATE) st->attempts++;
            start_election(c);
            sim_timer_set(c, st->deadline_ns - now, TIMER_ELECTION, 0);
        }
        return;
    }
    sim_assert(kind == TIMER_TICK);
    sim_timer_set(c, cfg->heartbeat_ns, TIMER_TICK, 0);
    if (st->role == SIM_ROLE_CANDIDATE) {
        /* Prepares may have been lost: ask again those that have not promised. */
        paxos_prepare_t m;
        memset(&m, 0, sizeof m);
        m.ballot = st->ballot;
        m.from_slot = st->from_slot;
        for (uint32_t i = 0; i < sim_servers(c); i++)
            if (i != sim_self(c) && !(st->promises >> i & 1)) sim_send(c, i, PAXOS_PREPARE, &m, sizeof m, 0);
        return;
    }
    if (st->role != SIM_ROLE_LEADER) return;
    send_heartbeat(c);
    /* Accepts may have been lost: resend the oldest undecided proposals to the
     * acceptors that have not accepted them. */
    paxos_durable_t *d = durable(c);
    uint32_t resent = 0;
    for (uint32_t s = st->applied; s < st->next_slot && resent < PAXOS_BATCH_MAX; s++) {
        paxos_prop_t *p = &st->prop[s];
        if (d->slot[s].chosen || p->state != PROP_PROPOSED) continue;
        paxos_accept_t m;
        memset(&m, 0, sizeof m);
        m.ballot = st->ballot;
        m.slot = s;
        m.value = p->value;
        for (uint32_t i = 0; i < sim_servers(c); i++)
            if (i != sim_self(c) && !(p->acks >> i & 1)) sim_send(c, i, PAXOS_ACCEPT, &m, sizeof m, 0);
        resent++;
    }
}

static void paxos_message(sim_ctx *c, const sim_msg_t *m)
{
    switch (m->type) {
    case PAXOS_PREPARE:
        if (m->len == sizeof(paxos_prepare_t)) on_prepare(c, m->from, m->payload);
        break;
    case PAXOS_PROMISE:
        on_promise(c, m->from, m->payload, m->len);
        break;
    case PAXOS_ACCEPT:
        if (m->len == sizeof(paxos_accept_t)) on_accept(c, m->from, m->payload);
        break;
    case PAXOS_ACCEPTED:
        if (m->len == sizeof(paxos_accepted_t)) on_accepted(c, m->from, m->payload);
        break;
    case PAXOS_DECIDE: {
        const paxos_decide_t *dm = m->payload;
        for (uint32_t i = 0; i < m->len / sizeof *dm; i++) learn(c, dm[i].slot, &dm[i].value);
        break;
    }
    case PAXOS_HEARTBEAT:
        if (m->len == sizeof(paxos_heartbeat_t)) on_heartbeat(c, m->from, m->payload);
        break;
    case PAXOS_CATCHUP:
        if (m->len == sizeof(paxos_catchup_t)) on_catchup(c, m->from, m->payload);
        break;
    }
}

static void paxos_request(sim_ctx *c, const sim_req_t *req)
{
    const paxos_config_t *cfg = config(c);
    paxos_state_t *st = state(c);
    if (req->f != SIM_OP_READ && req->f != SIM_OP_WRITE && req->f != SIM_OP_CAS && req->f != SIM_OP_ADD) {
        sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0);     /* the kv machine has no such command */
        return;
    }
    if (st->role != SIM_ROLE_LEADER) {
        if (st->leader >= 0 && st->leader != sim_self(c)) sim_reply_redirect(c, req, (uint32_t)st->leader);
        else sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0);
        return;
    }
    if (st->next_slot >= cfg->slots_max) {
        sim_halt(c, "paxos: node %s filled all %lld log slots; raise protocol.params.slots_max (at most %d)",
                 sim_node_name(c, sim_self(c)), (long long)cfg->slots_max, PAXOS_SLOTS_MAX);
        return;
    }
    paxos_value_t v = value_of(req);
    propose(c, st->next_slot++, &v);
}

/* ---- Looking at a node. -------------------------------------------------------------- */

static void paxos_describe(sim_ctx *c, proto_desc_t *d)
{
    paxos_state_t *st = state(c);
    paxos_durable_t *dd = durable(c);
    snprintf(d->role, sizeof d->role, "%s", sim_role_names[st->role]);
    paxos_ballot_t b = st->role == SIM_ROLE_FOLLOWER ? dd->promised : st->ballot;
    d->term = paxos_round(b);
    d->commit = st->applied;
    d->log_len = dd->log_len;
    char bs[48];
    ballot_str(ctx_name, c, b, bs, sizeof bs);
    if (st->role == SIM_ROLE_FOLLOWER && st->leader >= 0)
        snprintf(d->line, sizeof d->line, "ballot %s, applied %u/%u, leader %s", bs, st->applied, dd->log_len,
                 sim_node_name(c, (uint32_t)st->leader));
    else
        snprintf(d->line, sizeof d->line, "ballot %s, applied %u/%u", bs, st->applied, dd->log_len);
}

static void paxos_export(sim_ctx *c, jw_t *w)
{
    paxos_state_t *st = state(c);
    paxos_durable_t *d = durable(c);
    char buf[64];
    jw_obj_begin(w);
    jw_kstr(w, "role", sim_role_names[st->role]);
    jw_kstr(w, "ballot", ballot_str(ctx_name, c, st->ballot, buf, sizeof buf));
    jw_kstr(w, "promised", ballot_str(ctx_name, c, d->promised, buf, sizeof buf));
    jw_key(w, "leader");
    if (st->leader >= 0) jw_str(w, sim_node_name(c, (uint32_t)st->leader));
    else jw_null(w);
    jw_kuint(w, "applied", st->applied);
    jw_key(w, "slots");
    jw_arr_begin(w);
    for (uint32_t s = 0; s < d->log_len; s++) {
        const paxos_slot_t *sl = &d->slot[s];
        jw_obj_begin(w);
        jw_kuint(w, "slot", s);
        jw_kstr(w, "accepted_ballot", ballot_str(ctx_name, c, sl->accepted_ballot, buf, sizeof buf));
        jw_key(w, "accepted");
        if (sl->accepted_ballot) jw_str(w, value_str(&sl->accepted, buf, sizeof buf));
        else jw_null(w);
        jw_kbool(w, "chosen", sl->chosen);
        if (sl->chosen) jw_kstr(w, "value", value_str(&sl->value, buf, sizeof buf));
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_key(w, "kv");
    kv_export(kv(c), w);
    jw_obj_end(w);
}

/* ---- The checker. -------------------------------------------------------------------- */

static paxos_config_t *run_config(sim_t *s) { return (void *)sim_config_of(s); }

static const char *paxos_name_of(void *ud, uint32_t node)
{
    return sim_name_of(ud, node);
}

/* The hash of an operation as a client invoked it, normalized like value_of. */
static uint64_t op_hash(uint8_t f, uint32_t key, int64_t v1, int64_t v2)
{
    uint64_t h = sim_mix64(0x9a705ULL ^ f ^ (uint64_t)key << 8);
    h = sim_mix64(h ^ (uint64_t)v1);
    h = sim_mix64(h ^ (uint64_t)v2);
    return h ? h : 1;
}

static void ops_add(paxos_check_t *k, uint64_t h)
{
    if (k->n_ops >= PAXOS_CHECK_OPS / 2) return;      /* full: proposals go unchecked */
    uint32_t i = (uint32_t)h & (PAXOS_CHECK_OPS - 1);
    while (k->ops[i] && k->ops[i] != h) i = (i + 1) & (PAXOS_CHECK_OPS - 1);
    if (!k->ops[i]) { k->ops[i] = h; k->n_ops++; }
}

static bool ops_has(const paxos_check_t *k, uint64_t h)
{
    uint32_t i = (uint32_t)h & (PAXOS_CHECK_OPS - 1);
    for (; k->ops[i]; i = (i + 1) & (PAXOS_CHECK_OPS - 1))
        if (k->ops[i] == h) return true;
    return false;
}

/* Reads the history's new invocations into the set of proposed operations: a client's
 * invocation is where every command in the log must come from. */
static void ops_update(paxos_check_t *k, sim_t *s)
{
    for (uint64_t n = sim_n_op_events(s); k->hist_seen < n; k->hist_seen++) {
        sim_op_event_t e;
        sim_op_event(s, k->hist_seen, &e);
        int f = e.f;
        if (e.type != 0 || f < 0 || e.key < 0) continue;       /* invocations of known ops on keys */
        uint32_t key = (uint32_t)e.key;
        const int64_t *vals = e.values;
        int64_t v1 = e.n > 0 && f != SIM_OP_READ ? vals[0] : 0;
        int64_t v2 = e.n > 1 && f == SIM_OP_CAS ? vals[1] : 0;
        ops_add(k, op_hash((uint8_t)f, key, v1, v2));
    }
}

/* Acceptor `node` has accepted `val` in `slot` at `ballot`: count it, and judge the
 * value once a majority of acceptors has accepted it in one ballot. */
static bool tally(paxos_check_t *k, sim_t *s, uint32_t node, uint32_t slot, paxos_ballot_t ballot,
                  const paxos_value_t *val, sim_violation_t *v)
{
    if (slot >= PAXOS_SLOTS_MAX || !ballot) return false;
    paxos_check_slot_t *cs = &k->slot[slot];
    uint64_t h = value_hash(val);
    paxos_tally_t *t = NULL, *low = &cs->tally[0];
    for (int i = 0; i < PAXOS_TALLY_WAYS && !t; i++) {
        if (cs->tally[i].ballot == ballot) t = &cs->tally[i];
        else if (cs->tally[i].ballot < low->ballot) low = &cs->tally[i];
    }
    if (!t) {
        /* Count the newest ballots: an acceptance in a ballot older than all of them
         * cannot choose anything the checker has not already judged. */
        if (low->ballot > ballot) return false;
        t = low;
        t->ballot = ballot;
        t->value_hash = h;
        t->acceptors = 0;
    }
    char b1[48], b2[48], s1[64], s2[64];
    if (t->value_hash != h)
        return sim_violation_set(v, "one-value-per-ballot", node, paxos_node(ballot),
                         "slot %u: acceptors accepted two different values in ballot %s; %s now holds %s",
                         slot, ballot_str(paxos_name_of, s, ballot, b1, sizeof b1), paxos_name_of(s, node),
                         value_str(val, s1, sizeof s1));
    t->acceptors |= 1ULL << node;
    if (popcount(t->acceptors) < sim_n_servers(s) / 2 + 1) return false;
    if (!cs->chosen_ballot) {
        cs->chosen_ballot = ballot;
        cs->value = *val;
        k->n_chosen++;
        if (val->f != PAXOS_NOOP && k->n_ops < PAXOS_CHECK_OPS / 2 &&
            !ops_has(k, op_hash(val->f, val->key, val->v1, val->v2)))
            return sim_violation_set(v, "nontriviality", node, paxos_node(ballot),
                             "slot %u: %s was chosen in ballot %s, but no client invoked it: only a proposed value may be chosen",
                             slot, value_str(val, s1, sizeof s1), ballot_str(paxos_name_of, s, ballot, b1, sizeof b1));
        return false;
    }
    if (value_equal(&cs->value, val)) return false;
    return sim_violation_set(v, "agreement", node, paxos_node(ballot),
                     "slot %u: %s was chosen in ballot %s, then a majority accepted %s in ballot %s: two values chosen in one slot",
                     slot, value_str(&cs->value, s1, sizeof s1), ballot_str(paxos_name_of, s, cs->chosen_ballot, b1, sizeof b1),
                     value_str(val, s2, sizeof s2), ballot_str(paxos_name_of, s, ballot, b2, sizeof b2));
}

/* Cheap in the usual case: an event makes an acceptor accept at most one slot, which
 * its durable last_accept_slot names. When one event accepted several (a new leader
 * proposing every open slot to its own acceptor), the node's log is read again. */
static bool paxos_check(sim_t *s, sim_violation_t *v)
{
    paxos_check_t *k = sim_check_state(s);
    ops_update(k, s);
    uint32_t n = sim_n_servers(s);
    for (uint32_t i = 0; i < n; i++) {
        paxos_durable_t *d = sim_node_durable(s, i);
        uint64_t delta = d->n_accepts - k->seen_accepts[i];
        if (!delta) continue;
        k->seen_accepts[i] = d->n_accepts;
        if (delta == 1) {
            const paxos_slot_t *sl = &d->slot[d->last_accept_slot];
            if (tally(k, s, i, d->last_accept_slot, sl->accepted_ballot, &sl->accepted, v)) return true;
            continue;
        }
        for (uint32_t slot = 0; slot < d->log_len; slot++) {
            const paxos_slot_t *sl = &d->slot[slot];
            if (sl->accepted_ballot && tally(k, s, i, slot, sl->accepted_ballot, &sl->accepted, v)) return true;
        }
    }
    return false;
}

static bool paxos_replicas_equal(sim_t *s)
{
    const kv_t *first = NULL;
    const paxos_config_t *cfg = run_config(s);
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        if (!sim_node_up(s, i)) continue;
        const kv_t *t = kv_of(sim_node_state(s, i), cfg);
        if (first && !kv_equal(first, t)) return false;
        first = t;
    }
    return true;
}

static void paxos_summary(sim_t *s, jw_t *w)
{
    const paxos_config_t *cfg = run_config(s);
    uint64_t chosen = 0, noops = 0;
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        const paxos_durable_t *d = sim_node_durable(s, i);
        uint64_t c = 0, z = 0;
        for (uint32_t slot = 0; slot < d->log_len && slot < cfg->slots_max; slot++) {
            if (!d->slot[slot].chosen) continue;
            c++;
            if (d->slot[slot].value.f == PAXOS_NOOP) z++;
        }
        if (c > chosen) { chosen = c; noops = z; }
    }
    jw_kuint(w, "slots_chosen", chosen);
    jw_kuint(w, "noops_chosen", noops);
}

/* ---- Configuration and registration. ------------------------------------------------- */

static size_t paxos_state_size(const void *cfgp)
{
    const paxos_config_t *cfg = cfgp;
    return sizeof(paxos_state_t) + (size_t)cfg->slots_max * sizeof(paxos_prop_t) + msgbuf_bytes(cfg) +
           kv_bytes(cfg->n_keys);
}

static size_t paxos_durable_size(const void *cfgp)
{
    const paxos_config_t *cfg = cfgp;
    return sizeof(paxos_durable_t) + (size_t)cfg->slots_max * sizeof(paxos_slot_t);
}

static int paxos_configure(void *cfgp, const proto_env_t *env, char *err, size_t len)
{
    paxos_config_t *cfg = cfgp;
    if (env->n_servers > PAXOS_NODES_MAX) {
        snprintf(err, len, "paxos runs on at most %d servers, found %u", PAXOS_NODES_MAX, env->n_servers);
        return SIM_EINPUT;
    }
    if (cfg->election_ns[0] <= cfg->heartbeat_ns) {
        snprintf(err, len, "election_timeout must start above heartbeat, or followers give up on a live leader");
        return SIM_EINPUT;
    }
    cfg->n_servers = env->n_servers;
    cfg->n_keys = env->n_keys;
    return SIM_OK;
}

static const char *const paxos_types[] = {
    "prepare", "promise", "accept", "accepted", "decide", "heartbeat", "catchup", NULL,
};

static const proto_param_t paxos_params[] = {
    {"heartbeat", PROTO_PARAM_DURATION, "50ms", 1e3, 1e12, NULL, offsetof(paxos_config_t, heartbeat_ns),
     "how often the leader sends heartbeats and resends lost accepts"},
    {"election_timeout", PROTO_PARAM_DURATION_RANGE, "[\"300ms\", \"600ms\"]", 0, 0, NULL, offsetof(paxos_config_t, election_ns),
     "silence from the leader after which a node campaigns: random in this range"},
    {"backoff_max", PROTO_PARAM_DURATION, "2s", 0, 1e12, NULL, offsetof(paxos_config_t, backoff_max_ns),
     "cap on the random extra wait after failed elections in a row (0s: no backoff)"},
    {"slots_max", PROTO_PARAM_INT, "2048", 16, PAXOS_SLOTS_MAX, NULL, offsetof(paxos_config_t, slots_max),
     "log slots; the run stops when the log is full"},
    {"variant", PROTO_PARAM_ENUM, "none", 0, 0, "none|ignore-promised-value", offsetof(paxos_config_t, variant),
     "a deliberate bug for the checker to catch: a new leader ignores values reported in promises"},
    {NULL},
};

/* A message's fields for the window's hover: ballots as (round, node). The payload is
 * copied out first: it need not be aligned. */
static int paxos_value_text(const paxos_value_t *v, char *buf, size_t len)
{
    if (v->f == PAXOS_NOOP) return snprintf(buf, len, "no-op");
    if (v->f == SIM_OP_READ) return snprintf(buf, len, "read k%u", v->key);
    if (v->f == SIM_OP_CAS) return snprintf(buf, len, "cas k%u %" PRId64 " -> %" PRId64, v->key, v->v1, v->v2);
    return snprintf(buf, len, "%s k%u %" PRId64, v->f < SIM_OP_COUNT_ ? sim_op_names[v->f] : "?", v->key, v->v1);
}

static int paxos_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    char val[64];
    switch (type) {
    case PAXOS_PREPARE: {
        paxos_prepare_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "ballot (%" PRId64 ", n%u), slots from %u", paxos_round(m.ballot), paxos_node(m.ballot) + 1, m.from_slot);
    }
    case PAXOS_PROMISE: {
        paxos_promise_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        if (!m.ok) return snprintf(buf, buf_len, "refused ballot (%" PRId64 ", n%u): promised (%" PRId64 ", n%u)", paxos_round(m.ballot),
                                   paxos_node(m.ballot) + 1, paxos_round(m.promised), paxos_node(m.promised) + 1);
        return snprintf(buf, buf_len, "promise for ballot (%" PRId64 ", n%u), %u accepted values reported", paxos_round(m.ballot),
                        paxos_node(m.ballot) + 1, m.n);
    }
    case PAXOS_ACCEPT: {
        paxos_accept_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        paxos_value_text(&m.value, val, sizeof val);
        return snprintf(buf, buf_len, "ballot (%" PRId64 ", n%u), slot %u: %s", paxos_round(m.ballot), paxos_node(m.ballot) + 1, m.slot, val);
    }
    case PAXOS_ACCEPTED: {
        paxos_accepted_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        if (!m.ok) return snprintf(buf, buf_len, "refused: promised (%" PRId64 ", n%u)", paxos_round(m.promised), paxos_node(m.promised) + 1);
        return snprintf(buf, buf_len, "accepted slot %u in ballot (%" PRId64 ", n%u)", m.slot, paxos_round(m.ballot), paxos_node(m.ballot) + 1);
    }
    case PAXOS_DECIDE: {
        paxos_decide_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        paxos_value_text(&m.value, val, sizeof val);
        return snprintf(buf, buf_len, "%u decided: slot %u is %s%s", len / (uint32_t)sizeof m, m.slot, val, len >= 2 * sizeof m ? ", ..." : "");
    }
    case PAXOS_HEARTBEAT: {
        paxos_heartbeat_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "leader ballot (%" PRId64 ", n%u), applied below slot %u", paxos_round(m.ballot), paxos_node(m.ballot) + 1, m.applied);
    }
    case PAXOS_CATCHUP: {
        paxos_catchup_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "send the chosen values from slot %u", m.from_slot);
    }
    }
    return 0;
}

const proto_t proto_paxos = {
    .version = PROTO_VERSION,
    .name = "paxos",
    .purpose = "Multi-Paxos: a leader, ballots, prepare/promise and accept/accepted per log slot, a kv state machine",
    .state_size = sizeof(paxos_state_t),
    .durable_size = sizeof(paxos_durable_t),
    .config_size = sizeof(paxos_config_t),
    .msg_types = paxos_types,
    .params = paxos_params,
    .configure = paxos_configure,
    .state_size_for = paxos_state_size,
    .init = paxos_init,
    .on_message = paxos_message,
    .on_timer = paxos_timer,
    .on_request = paxos_request,
    .describe = paxos_describe,
    .export_state = paxos_export,
    .check = paxos_check,
    .summary = paxos_summary,
    .durable_size_for = paxos_durable_size,
    .replicas_equal = paxos_replicas_equal,
    .check_size = sizeof(paxos_check_t),
    .describe_msg = paxos_describe_msg,
};
