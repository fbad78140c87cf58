/* tpc.c -- two-phase commit of transfers between accounts on different servers.
 *
 * Server n1 is the coordinator; the others are participants, and participant i (of P)
 * owns every key k with k % P == i - 1, holding its balance (every key starts with
 * `initial_balance`). A client's transfer -- move `amount` from key to key2, both or
 * neither -- becomes a transaction that the coordinator runs with the two-phase commit
 * protocol of Gray ("Notes on Data Base Operating Systems", 1978) as Bernstein,
 * Hadzilacos and Goodman present it (Concurrency Control and Recovery in Database
 * Systems, 1987, chapter 7: atomic commitment, the two-phase commit protocol and its
 * cooperative termination protocol, and recovery from the logs):
 *
 *      c1 ──transfer k0→k1, 5──> n1 coordinator     log: start T7 (participants n2, n3)
 *                  ┌──prepare T7──┴──prepare T7──┐
 *                  v                             v
 *           n2 (owns k0)                   n3 (owns k1)
 *        lock k0; k0 >= 5?               lock k1
 *        log: prepared T7                log: prepared T7
 *                  └───vote yes──> n1 <──vote yes┘
 *                                  │  force to the log: commit T7 (`log_force`)
 *      c1 <──────────ok─────────── n1
 *                  ┌──commit T7───┴───commit T7──┐
 *                  v                             v
 *        k0 -= 5, unlock                 k1 += 5, unlock
 *                  └──────ack────> n1 <────ack───┘  (then the coordinator forgets T7)
 *
 * A participant votes no, and aborts at once, when a key of its part is locked by
 * another transaction or when the debit would take the balance below zero (the rule:
 * a balance never goes negative, checked against the committed balance, which no other
 * transaction can change while the lock is held). Any no vote, or a vote missing after
 * `vote_timeout`, makes the coordinator decide abort, and the client hears "fail": the
 * transfer definitely did not happen. Decisions are durable before anyone hears them,
 * and the coordinator re-sends them every `retry` until every participant has acked.
 *
 * The weakness is the "uncertainty period": between voting yes and hearing the outcome
 * a participant may neither commit nor abort on its own, since the others may have
 * done either. If the coordinator crashes after the votes are in but before its
 * decision reached anyone, the participants stay blocked, holding their locks, until
 * it comes back (every transfer or read of those keys is refused meanwhile):
 *
 *      n2: prepared ──────── locked, asking n1 and n3 every `retry` ───────────┐
 *      n3: prepared ──────── locked, asking; "I am uncertain too" ─────────────┤
 *      n1: votes in, forcing commit ✗ crash ........... restart: no decision in
 *                                                       the log: abort ─────────┴─> unlock
 *
 * A participant that has waited `decision_timeout` counts as blocked; the summary's
 * protocol_stats give how often and for how long (from its vote to the decision).
 * While blocked it asks the coordinator and the other participant (cooperative
 * termination): a participant that knows the outcome tells it, and one that never
 * received the prepare may abort unilaterally and say so -- it has not voted, so the
 * coordinator cannot commit. When both voted yes, nobody can help.
 *
 * Recovery, from the durable logs: a restarted coordinator aborts every transaction it
 * started but did not decide (presumed abort: nobody can have committed it), and
 * re-sends the decisions not yet acknowledged; a restarted participant keeps its
 * prepared transactions locked and asks about them.
 *
 * Invariants checked after every event: atomicity (no transaction committed at one
 * server and aborted at another, the coordinator included, or committed without every
 * participant's yes vote), no negative balance, and conservation (the sum of all
 * balances, counting a committed transaction's deltas that a participant has not
 * applied yet, is keys * initial_balance). The variant "presumed-commit-on-timeout"
 * lets a blocked participant commit on its own after decision_timeout -- tempting, as
 * it ends the blocking, and wrong whenever the coordinator actually decided abort.
 */
#include <stdio.h>
#include <string.h>
#include "proto/proto.h"

#define TPC_PARTS_MAX 2                /* a transfer touches two keys: one or two participants */
#define TPC_COORDINATOR 0u
#define TPC_EXPORT_LOG_MAX 16          /* decided records shown by export_state */

enum { TPC_VARIANT_NONE, TPC_VARIANT_PRESUMED_COMMIT };
enum { TPC_MSG_PREPARE, TPC_MSG_VOTE, TPC_MSG_DECISION, TPC_MSG_ACK, TPC_MSG_DECISION_REQ };
enum { TPC_TIMER_TICK, TPC_TIMER_FORCED };
enum { TPC_FREE, TPC_COLLECTING, TPC_PREPARED, TPC_COMMITTED, TPC_ABORTED };
static const char *const tpc_state_names[] = {"free", "collecting", "prepared", "committed", "aborted"};

typedef struct tpc_params {
    int64_t initial_balance;
    sim_time_t vote_timeout_ns;
    sim_time_t decision_timeout_ns;
    sim_time_t retry_ns;
    sim_time_t log_force_ns;
    int64_t txn_max;
    int variant;
    /* Derived in tpc_configure. */
    uint32_t n_servers, n_keys;
    size_t balance_off, lock_off, prec_off, crec_off, durable_bytes;
    size_t votes_off, forcing_off, sent_off, state_bytes;
} tpc_params_t;

/* ---- Durable storage: the logs. ------------------------------------------------ */

/* A participant's log record of one transaction, at slot txn % txn_max. */
typedef struct tpc_prec {
    uint64_t txn;                       /* 0: free */
    uint8_t state;                      /* TPC_PREPARED, TPC_COMMITTED, TPC_ABORTED */
    uint8_t blocked;                    /* waited past decision_timeout (counted once) */
    uint8_t unilateral;                 /* aborted here without a decision from the coordinator */
    uint8_t n_keys;                     /* keys of this participant's part: 1 or 2 */
    uint8_t n_parts;
    uint32_t key[2];
    int64_t delta[2];
    uint32_t part[TPC_PARTS_MAX];       /* every participant of the transaction, to ask */
    sim_time_t voted_ns, decided_ns;
} tpc_prec_t;

/* The coordinator's log record of one transaction: its start record (with the
 * participants, so recovery knows whom to tell), then its decision. */
typedef struct tpc_crec {
    uint64_t txn;                       /* 0: free */
    uint8_t state;                      /* TPC_COLLECTING, TPC_COMMITTED, TPC_ABORTED */
    uint8_t n_parts;
    uint8_t acked;                      /* bit i: part[i] acknowledged the decision */
    uint8_t why;                        /* an abort's reason: tpc_why_t */
    uint32_t part[TPC_PARTS_MAX];
    sim_req_t req;                      /* the client's transfer, to answer it */
    sim_time_t started_ns, decided_ns;
} tpc_crec_t;

typedef enum { TPC_WHY_NONE, TPC_WHY_VOTE_NO, TPC_WHY_TIMEOUT, TPC_WHY_RECOVERY } tpc_why_t;
static const char *const tpc_why_names[] = {"", "a participant voted no", "votes missing at vote_timeout",
                                            "undecided at a coordinator restart"};

/* Statistics and the checker's notes live in durable storage too: they describe
 * what happened, which a crash does not undo. The protocol never reads them. */
typedef struct tpc_stats {
    uint64_t started, committed, aborted;
    uint64_t aborted_why[4];            /* by tpc_why_t */
    uint64_t voted_no, unilateral_aborts, presumed_commits;
    uint64_t blocked;                   /* participant waits past decision_timeout */
    sim_time_t blocked_total_ns, blocked_max_ns;
} tpc_stats_t;

typedef struct tpc_durable {
    uint8_t booted;
    uint64_t next_txn;                  /* coordinator: the next transaction id */
    int64_t balance_sum;                /* participant: sum of its balances */
    uint64_t last_decided;              /* checker: the latest transaction this server decided */
    tpc_stats_t stats;
    /* then: int64_t balance[n_keys], uint64_t lock[n_keys] (the locking transaction,
     * 0: free), tpc_prec_t prec[txn_max], tpc_crec_t crec[txn_max] */
} tpc_durable_t;

/* Volatile state: the coordinator's votes so far and decisions being forced (both
 * lost in a crash, as they would be), and when each decision was last sent. */
typedef struct tpc_state {
    bool is_coordinator;
    /* then: uint8_t votes[txn_max], uint8_t forcing[txn_max], sim_time_t sent_ns[txn_max] */
} tpc_state_t;

/* Messages. */
typedef struct tpc_prepare_msg {
    uint64_t txn;
    uint32_t key, key2;
    int64_t amount;
    uint32_t n_parts;
    uint32_t part[TPC_PARTS_MAX];
} tpc_prepare_msg_t;
typedef struct tpc_txn_msg { uint64_t txn; uint32_t flag; uint32_t _pad; } tpc_txn_msg_t;  /* vote: yes; decision: commit */

/* ---- Layout. ------------------------------------------------------------------- */

static size_t tpc_align8(size_t x) { return (x + 7) & ~(size_t)7; }
static const tpc_params_t *tpc_params(sim_ctx *c) { return sim_config(c); }
static const tpc_params_t *tpc_params_of(const sim_t *s) { return sim_config_of(s); }

static int64_t *tpc_balance(const tpc_params_t *p, void *d) { return (int64_t *)((char *)d + p->balance_off); }
static uint64_t *tpc_lock(const tpc_params_t *p, void *d) { return (uint64_t *)((char *)d + p->lock_off); }
static tpc_prec_t *tpc_prec(const tpc_params_t *p, void *d, uint64_t txn)
{
    return (tpc_prec_t *)((char *)d + p->prec_off) + txn % (uint64_t)p->txn_max;
}
static tpc_crec_t *tpc_crec(const tpc_params_t *p, void *d, uint64_t txn)
{
    return (tpc_crec_t *)((char *)d + p->crec_off) + txn % (uint64_t)p->txn_max;
}
static uint8_t *tpc_votes(const tpc_params_t *p, void *st, uint64_t txn)
{
    return (uint8_t *)st + p->votes_off + txn % (uint64_t)p->txn_max;
}
static uint8_t *tpc_forcing(const tpc_params_t *p, void *st, uint64_t txn)
{
    return (uint8_t *)st + p->forcing_off + txn % (uint64_t)p->txn_max;
}
static sim_time_t *tpc_sent(const tpc_params_t *p, void *st, uint64_t txn)
{
    return (sim_time_t *)((char *)st + p->sent_off) + txn % (uint64_t)p->txn_max;
}

/* The participant that owns key k. */
static uint32_t tpc_owner(const tpc_params_t *p, uint32_t k) { return 1 + k % (p->n_servers - 1); }

static bool tpc_decided(uint8_t state) { return state == TPC_COMMITTED || state == TPC_ABORTED; }

/* ---- The coordinator. ---------------------------------------------------------- */

static void tpc_send_decision(sim_ctx *c, uint32_t to, uint64_t txn, bool commit)
{
    tpc_txn_msg_t m = {txn, commit, 0};
    sim_send(c, to, TPC_MSG_DECISION, &m, sizeof m, 0);
}

/* The decision is in the log: now, and not before, it may be told. */
static void tpc_coord_announce(sim_ctx *c, tpc_crec_t *r)
{
    const tpc_params_t *p = tpc_params(c);
    bool commit = r->state == TPC_COMMITTED;
    if (commit) sim_reply(c, &r->req, SIM_REPLY_OK, NULL, 0);
    else sim_reply(c, &r->req, SIM_REPLY_FAIL, NULL, 0);
    for (uint32_t i = 0; i < r->n_parts; i++)
        if (!(r->acked >> i & 1)) tpc_send_decision(c, r->part[i], r->txn, commit);
    *tpc_sent(p, sim_state(c), r->txn) = sim_now(c);
}

/* Writes the decision to the log (durable storage) and announces it. */
static void tpc_coord_log_decision(sim_ctx *c, tpc_crec_t *r, bool commit, tpc_why_t why)
{
    tpc_durable_t *d = sim_durable(c);
    sim_assert(r->state == TPC_COLLECTING);
    r->state = commit ? TPC_COMMITTED : TPC_ABORTED;
    r->why = (uint8_t)why;
    r->decided_ns = sim_now(c);
    d->last_decided = r->txn;
    if (commit) d->stats.committed++;
    else { d->stats.aborted++; d->stats.aborted_why[why]++; }
    sim_log(c, "T%llu %s%s%s", (unsigned long long)r->txn, commit ? "commit" : "abort",
            why ? ": " : "", tpc_why_names[why]);
    tpc_coord_announce(c, r);
}

/* Decides. A commit must reach the log before anyone hears it, and forcing the log
 * takes `log_force`: a crash in between loses the decision (the votes are only in
 * memory), and recovery will abort. Aborts are forced the same way. */
static void tpc_coord_decide(sim_ctx *c, tpc_crec_t *r, bool commit, tpc_why_t why)
{
    const tpc_params_t *p = tpc_params(c);
    uint8_t *forcing = tpc_forcing(p, sim_state(c), r->txn);
    if (*forcing) return;
    if (p->log_force_ns == 0) { tpc_coord_log_decision(c, r, commit, why); return; }
    *forcing = (uint8_t)(commit ? 2 : 1) | (uint8_t)(why << 2);
    sim_timer_set(c, p->log_force_ns, TPC_TIMER_FORCED, r->txn);
}

static void tpc_coord_forced(sim_ctx *c, uint64_t txn)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_crec_t *r = tpc_crec(p, sim_durable(c), txn);
    uint8_t *forcing = tpc_forcing(p, sim_state(c), txn);
    if (r->txn != txn || r->state != TPC_COLLECTING || !*forcing) return;
    bool commit = (*forcing & 3) == 2;
    tpc_why_t why = (tpc_why_t)(*forcing >> 2);
    *forcing = 0;
    tpc_coord_log_decision(c, r, commit, why);
}

/* A slot can take a new transaction once its last one is decided and acknowledged
 * by everyone; until then the coordinator may still be asked about it. */
static bool tpc_crec_busy(const tpc_crec_t *r)
{
    return r->txn && (r->state == TPC_COLLECTING || r->acked != (1u << r->n_parts) - 1);
}

static void tpc_coord_transfer(sim_ctx *c, const sim_req_t *req)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_durable_t *d = sim_durable(c);
    /* A request the network delivered twice must not move the money twice. O(txn_max),
     * once per transfer. */
    for (int64_t i = 0; i < p->txn_max; i++) {
        const tpc_crec_t *r = (const tpc_crec_t *)((char *)d + p->crec_off) + i;
        if (r->txn && r->req.op_id == req->op_id && r->req.client == req->client) return;
    }
    if (req->key >= p->n_keys || req->key2 >= p->n_keys || req->value <= 0) {
        sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0);
        return;
    }
    tpc_crec_t *r = tpc_crec(p, d, d->next_txn);
    if (tpc_crec_busy(r)) { sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0); return; }
    memset(r, 0, sizeof *r);
    r->txn = d->next_txn++;
    r->state = TPC_COLLECTING;
    r->req = *req;
    r->started_ns = sim_now(c);
    r->part[r->n_parts++] = tpc_owner(p, req->key);
    if (tpc_owner(p, req->key2) != r->part[0]) r->part[r->n_parts++] = tpc_owner(p, req->key2);
    d->stats.started++;
    *tpc_votes(p, sim_state(c), r->txn) = 0;
    *tpc_forcing(p, sim_state(c), r->txn) = 0;
    tpc_prepare_msg_t m = {r->txn, req->key, req->key2, req->value, r->n_parts, {r->part[0], r->part[1]}};
    for (uint32_t i = 0; i < r->n_parts; i++) sim_send(c, r->part[i], TPC_MSG_PREPARE, &m, sizeof m, 0);
}

static int tpc_part_index(const tpc_crec_t *r, uint32_t node)
{
    for (uint32_t i = 0; i < r->n_parts; i++) if (r->part[i] == node) return (int)i;
    return -1;
}

static void tpc_coord_on_vote(sim_ctx *c, const sim_msg_t *m, const tpc_txn_msg_t *v)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_crec_t *r = tpc_crec(p, sim_durable(c), v->txn);
    int i = r->txn == v->txn ? tpc_part_index(r, m->from) : -1;
    if (i < 0) return;
    if (r->state != TPC_COLLECTING) {
        /* A late yes to an aborted transaction: that participant is waiting. */
        if (v->flag && r->state == TPC_ABORTED) tpc_send_decision(c, m->from, v->txn, false);
        return;
    }
    uint8_t *votes = tpc_votes(p, sim_state(c), v->txn);
    if (!v->flag) { tpc_coord_decide(c, r, false, TPC_WHY_VOTE_NO); return; }
    *votes |= (uint8_t)(1u << i);
    if (*votes == (1u << r->n_parts) - 1) tpc_coord_decide(c, r, true, TPC_WHY_NONE);
}

static void tpc_coord_on_ack(sim_ctx *c, const sim_msg_t *m, const tpc_txn_msg_t *a)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_crec_t *r = tpc_crec(p, sim_durable(c), a->txn);
    int i = r->txn == a->txn && tpc_decided(r->state) ? tpc_part_index(r, m->from) : -1;
    if (i >= 0) r->acked |= (uint8_t)(1u << i);
}

/* A participant asks for the outcome. No record means the transaction ended long
 * ago (every participant acknowledged) -- or never began: either way, abort. */
static void tpc_coord_on_question(sim_ctx *c, const sim_msg_t *m, const tpc_txn_msg_t *q)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_crec_t *r = tpc_crec(p, sim_durable(c), q->txn);
    if (r->txn != q->txn) tpc_send_decision(c, m->from, q->txn, false);
    else if (tpc_decided(r->state)) tpc_send_decision(c, m->from, q->txn, r->state == TPC_COMMITTED);
    /* still collecting votes: the vote timeout will decide */
}

static void tpc_coord_tick(sim_ctx *c)
{
    const tpc_params_t *p = tpc_params(c);
    void *d = sim_durable(c), *st = sim_state(c);
    sim_time_t now = sim_now(c);
    for (int64_t i = 0; i < p->txn_max; i++) {
        tpc_crec_t *r = (tpc_crec_t *)((char *)d + p->crec_off) + i;
        if (!tpc_crec_busy(r)) continue;
        if (r->state == TPC_COLLECTING) {
            if (now - r->started_ns >= p->vote_timeout_ns) tpc_coord_decide(c, r, false, TPC_WHY_TIMEOUT);
        } else if (now - *tpc_sent(p, st, r->txn) >= p->retry_ns) {
            bool commit = r->state == TPC_COMMITTED;
            for (uint32_t k = 0; k < r->n_parts; k++)
                if (!(r->acked >> k & 1)) tpc_send_decision(c, r->part[k], r->txn, commit);
            *tpc_sent(p, st, r->txn) = now;
        }
    }
}

/* Recovery: what the log shows started and was not decided is aborted -- nobody can
 * have committed it, since the commit record would be in the log. */
static void tpc_coord_recover(sim_ctx *c)
{
    const tpc_params_t *p = tpc_params(c);
    void *d = sim_durable(c);
    for (int64_t i = 0; i < p->txn_max; i++) {
        tpc_crec_t *r = (tpc_crec_t *)((char *)d + p->crec_off) + i;
        if (r->txn && r->state == TPC_COLLECTING) tpc_coord_log_decision(c, r, false, TPC_WHY_RECOVERY);
        else if (r->txn && tpc_crec_busy(r)) tpc_coord_announce(c, r);
    }
}

/* ---- Participants. ------------------------------------------------------------- */

static void tpc_send_vote(sim_ctx *c, uint64_t txn, bool yes)
{
    tpc_txn_msg_t v = {txn, yes, 0};
    sim_send(c, TPC_COORDINATOR, TPC_MSG_VOTE, &v, sizeof v, 0);
}

/* Applies the outcome to this participant's part: balances if committed, then the
 * locks are released. Counts the wait if it was long enough to be blocking. */
static void tpc_part_finish(sim_ctx *c, tpc_prec_t *r, bool commit)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_durable_t *d = sim_durable(c);
    sim_assert(r->state == TPC_PREPARED);
    int64_t *bal = tpc_balance(p, d);
    uint64_t *lock = tpc_lock(p, d);
    sim_time_t now = sim_now(c);
    for (uint32_t i = 0; i < r->n_keys; i++) {
        if (commit) { bal[r->key[i]] += r->delta[i]; d->balance_sum += r->delta[i]; }
        sim_assert(lock[r->key[i]] == r->txn);
        lock[r->key[i]] = 0;
    }
    r->state = commit ? TPC_COMMITTED : TPC_ABORTED;
    r->decided_ns = now;
    d->last_decided = r->txn;
    if (r->blocked || now - r->voted_ns >= p->decision_timeout_ns) {
        sim_time_t held = now - r->voted_ns;
        if (!r->blocked) d->stats.blocked++;
        r->blocked = 1;
        d->stats.blocked_total_ns += held;
        if (held > d->stats.blocked_max_ns) d->stats.blocked_max_ns = held;
    }
}

static void tpc_part_on_prepare(sim_ctx *c, const sim_msg_t *m)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_durable_t *d = sim_durable(c);
    const tpc_prepare_msg_t *q = m->payload;
    if (m->len != sizeof *q || m->from != TPC_COORDINATOR || q->txn == 0 || q->n_parts < 1 || q->n_parts > TPC_PARTS_MAX)
        return;
    tpc_prec_t *r = tpc_prec(p, d, q->txn);
    if (r->txn == q->txn) { tpc_send_vote(c, q->txn, r->state != TPC_ABORTED); return; }   /* asked again */
    if (r->txn > q->txn || (r->txn && r->state == TPC_PREPARED)) {
        tpc_send_vote(c, q->txn, false);       /* no room in the log: refusing is always safe */
        d->stats.voted_no++;
        return;
    }
    /* This participant's part: a debit of key, a credit of key2, whichever it owns. */
    uint32_t self = sim_self(c), n = 0, key[2];
    int64_t delta[2];
    if (tpc_owner(p, q->key) == self) { key[n] = q->key; delta[n++] = -q->amount; }
    if (tpc_owner(p, q->key2) == self) {
        if (n && key[0] == q->key2) delta[0] += q->amount;
        else { key[n] = q->key2; delta[n++] = q->amount; }
    }
    if (n == 0) return;                        /* not ours: a confused coordinator */
    int64_t *bal = tpc_balance(p, d);
    uint64_t *lock = tpc_lock(p, d);
    bool yes = true;
    for (uint32_t i = 0; i < n; i++) yes &= lock[key[i]] == 0;
    if (yes && tpc_owner(p, q->key) == self && bal[q->key] < q->amount) yes = false;
    memset(r, 0, sizeof *r);
    r->txn = q->txn;
    r->n_keys = (uint8_t)n;
    r->n_parts = (uint8_t)q->n_parts;
    for (uint32_t i = 0; i < n; i++) { r->key[i] = key[i]; r->delta[i] = delta[i]; }
    for (uint32_t i = 0; i < q->n_parts; i++) r->part[i] = q->part[i];
    r->voted_ns = sim_now(c);
    if (yes) {
        /* The prepare record and the locks are durable before the vote leaves. */
        r->state = TPC_PREPARED;
        for (uint32_t i = 0; i < n; i++) lock[key[i]] = q->txn;
    } else {
        r->state = TPC_ABORTED;
        r->unilateral = 1;
        r->decided_ns = r->voted_ns;
        d->last_decided = q->txn;
        d->stats.voted_no++;
    }
    tpc_send_vote(c, q->txn, yes);
}

static void tpc_part_on_decision(sim_ctx *c, const sim_msg_t *m)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_durable_t *d = sim_durable(c);
    const tpc_txn_msg_t *dm = m->payload;
    if (m->len != sizeof *dm || dm->txn == 0) return;
    tpc_prec_t *r = tpc_prec(p, d, dm->txn);
    tpc_txn_msg_t ack = {dm->txn, 0, 0};
    if (r->txn == dm->txn && r->state == TPC_PREPARED) {
        tpc_part_finish(c, r, dm->flag != 0);
    } else if (r->txn != dm->txn) {
        /* An abort for a transaction whose prepare never came: note it, so that a late
         * prepare is refused. A commit cannot come without our yes vote. */
        if (dm->flag || r->txn > dm->txn || (r->txn && r->state == TPC_PREPARED)) return;
        memset(r, 0, sizeof *r);
        r->txn = dm->txn;
        r->state = TPC_ABORTED;
        r->decided_ns = sim_now(c);
        d->last_decided = dm->txn;
    }
    /* Decided here already (perhaps by a peer's answer): the coordinator re-sends
     * until it hears an ack, so always ack. */
    sim_send(c, TPC_COORDINATOR, TPC_MSG_ACK, &ack, sizeof ack, 0);
}

/* Cooperative termination: another participant (or the coordinator's echo) asks
 * what became of txn. */
static void tpc_part_on_question(sim_ctx *c, const sim_msg_t *m)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_durable_t *d = sim_durable(c);
    const tpc_txn_msg_t *q = m->payload;
    if (m->len != sizeof *q || q->txn == 0) return;
    tpc_prec_t *r = tpc_prec(p, d, q->txn);
    if (r->txn == q->txn) {
        if (tpc_decided(r->state)) tpc_send_decision(c, m->from, q->txn, r->state == TPC_COMMITTED);
        return;                                 /* prepared: as uncertain as the asker */
    }
    if (r->txn > q->txn || (r->txn && r->state == TPC_PREPARED)) return;   /* no record left to tell */
    /* Never voted: abort unilaterally, which is safe -- without our yes vote the
     * coordinator cannot commit -- and say so. */
    memset(r, 0, sizeof *r);
    r->txn = q->txn;
    r->state = TPC_ABORTED;
    r->unilateral = 1;
    r->decided_ns = sim_now(c);
    d->last_decided = q->txn;
    d->stats.unilateral_aborts++;
    tpc_send_decision(c, m->from, q->txn, false);
}

/* Every `retry`: a participant past decision_timeout is blocked; it asks the
 * coordinator and the other participant again. */
static void tpc_part_tick(sim_ctx *c)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_durable_t *d = sim_durable(c);
    uint64_t *lock = tpc_lock(p, d);
    sim_time_t now = sim_now(c);
    for (uint32_t k = sim_self(c) - 1; k < p->n_keys; k += p->n_servers - 1) {
        if (!lock[k]) continue;
        tpc_prec_t *r = tpc_prec(p, d, lock[k]);
        sim_assert(r->txn == lock[k] && r->state == TPC_PREPARED);
        if (r->key[0] != k) continue;           /* visit each transaction once */
        if (now - r->voted_ns < p->decision_timeout_ns) continue;
        if (!r->blocked) {
            r->blocked = 1;
            d->stats.blocked++;
            sim_log(c, "T%llu blocked: voted yes, no decision after decision_timeout", (unsigned long long)r->txn);
        }
        if (p->variant == TPC_VARIANT_PRESUMED_COMMIT) {
            d->stats.presumed_commits++;
            r->unilateral = 1;
            tpc_part_finish(c, r, true);
            continue;
        }
        tpc_txn_msg_t q = {r->txn, 0, 0};
        sim_send(c, TPC_COORDINATOR, TPC_MSG_DECISION_REQ, &q, sizeof q, 0);
        for (uint32_t i = 0; i < r->n_parts; i++)
            if (r->part[i] != sim_self(c)) sim_send(c, r->part[i], TPC_MSG_DECISION_REQ, &q, sizeof q, 0);
    }
}

/* ---- Callbacks. ---------------------------------------------------------------- */

static void tpc_init(sim_ctx *c)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_state_t *st = sim_state(c);
    tpc_durable_t *d = sim_durable(c);
    st->is_coordinator = sim_self(c) == TPC_COORDINATOR;
    bool first_start = !d->booted;
    d->booted = 1;
    if (st->is_coordinator) {
        if (first_start) d->next_txn = 1;
        sim_set_role(c, SIM_ROLE_COORDINATOR, 0);
        if (!first_start) tpc_coord_recover(c);
    } else {
        if (first_start) {
            int64_t *bal = tpc_balance(p, d);
            for (uint32_t k = sim_self(c) - 1; k < p->n_keys; k += p->n_servers - 1) {
                bal[k] = p->initial_balance;
                d->balance_sum += p->initial_balance;
            }
        }
        sim_set_role(c, SIM_ROLE_PARTICIPANT, 0);
    }
    /* A restarted participant asks about its prepared transactions at its first tick. */
    sim_timer_set(c, 1 + (sim_time_t)rng_below(sim_rng(c), (uint64_t)p->retry_ns), TPC_TIMER_TICK, 0);
}

static void tpc_timer(sim_ctx *c, int kind, uint64_t data)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_state_t *st = sim_state(c);
    if (kind == TPC_TIMER_FORCED) { tpc_coord_forced(c, data); return; }
    if (st->is_coordinator) tpc_coord_tick(c);
    else tpc_part_tick(c);
    sim_timer_set(c, p->retry_ns, TPC_TIMER_TICK, 0);
}

static void tpc_message(sim_ctx *c, const sim_msg_t *m)
{
    tpc_state_t *st = sim_state(c);
    if (st->is_coordinator) {
        const tpc_txn_msg_t *t = m->payload;
        if (m->len != sizeof *t || m->from == TPC_COORDINATOR || m->from >= sim_servers(c)) return;
        switch (m->type) {
        case TPC_MSG_VOTE: tpc_coord_on_vote(c, m, t); break;
        case TPC_MSG_ACK: tpc_coord_on_ack(c, m, t); break;
        case TPC_MSG_DECISION_REQ: tpc_coord_on_question(c, m, t); break;
        default: break;
        }
        return;
    }
    switch (m->type) {
    case TPC_MSG_PREPARE: tpc_part_on_prepare(c, m); break;
    case TPC_MSG_DECISION: tpc_part_on_decision(c, m); break;
    case TPC_MSG_DECISION_REQ: tpc_part_on_question(c, m); break;
    default: break;
    }
}

static void tpc_request(sim_ctx *c, const sim_req_t *req)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_state_t *st = sim_state(c);
    tpc_durable_t *d = sim_durable(c);
    switch ((sim_op_t)req->f) {
    case SIM_OP_TRANSFER:
        if (!st->is_coordinator) sim_reply_redirect(c, req, TPC_COORDINATOR);
        else tpc_coord_transfer(c, req);
        return;
    case SIM_OP_READ: {
        if (req->key >= p->n_keys) { sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0); return; }
        uint32_t owner = tpc_owner(p, req->key);
        if (owner != sim_self(c)) { sim_reply_redirect(c, req, owner); return; }
        /* Under two-phase locking a read waits for a prepared transaction's lock; here
         * it is refused, and the client tries again a little later. */
        if (tpc_lock(p, d)[req->key]) { sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0); return; }
        sim_reply(c, req, SIM_REPLY_OK, &tpc_balance(p, d)[req->key], 1);
        return;
    }
    default:
        sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0);     /* only transfers and reads are offered */
        return;
    }
}

/* ---- Views for people. --------------------------------------------------------- */

static void tpc_describe(sim_ctx *c, proto_desc_t *desc)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_state_t *st = sim_state(c);
    tpc_durable_t *d = sim_durable(c);
    if (st->is_coordinator) {
        uint32_t open = 0;
        for (int64_t i = 0; i < p->txn_max; i++) open += tpc_crec_busy((tpc_crec_t *)((char *)d + p->crec_off) + i);
        snprintf(desc->role, sizeof desc->role, "coordinator");
        desc->log_len = (int64_t)d->next_txn - 1;
        snprintf(desc->line, sizeof desc->line, "%u open, %llu committed, %llu aborted", open,
                 (unsigned long long)d->stats.committed, (unsigned long long)d->stats.aborted);
        return;
    }
    uint32_t locks = 0, blocked = 0;
    const tpc_prec_t *first = NULL;     /* the blocked transaction waiting longest */
    uint64_t *lock = tpc_lock(p, d);
    sim_time_t now = sim_now(c);
    for (uint32_t k = sim_self(c) - 1; k < p->n_keys; k += p->n_servers - 1) {
        if (!lock[k]) continue;
        locks++;
        const tpc_prec_t *r = tpc_prec(p, d, lock[k]);
        /* Blocked from decision_timeout on, as the summary counts it, not only from
         * the next retry tick that notices. */
        if ((r->blocked || now - r->voted_ns >= p->decision_timeout_ns) && r->key[0] == k) {
            blocked++;
            if (!first || r->voted_ns < first->voted_ns) first = r;
        }
    }
    snprintf(desc->role, sizeof desc->role, "participant");
    /* Who is blocked, holding what, since when: what 2PC's blocking costs. */
    if (first) {
        char t[32];
        snprintf(desc->line, sizeof desc->line, "BLOCKED T%llu holding k%u%s since %s (%u locked)", (unsigned long long)first->txn,
                 first->key[0], first->n_keys > 1 ? " +1" : "", sim_format_duration_short(first->voted_ns, t, sizeof t), locks);
        return;
    }
    snprintf(desc->line, sizeof desc->line, "%u locked, %u blocked, sum %lld", locks, blocked, (long long)d->balance_sum);
}

static void tpc_export_prec(jw_t *w, const tpc_prec_t *r)
{
    jw_obj_begin(w);
    jw_kuint(w, "txn", r->txn);
    jw_kstr(w, "state", tpc_state_names[r->state]);
    jw_key(w, "deltas");
    jw_obj_begin(w);
    for (uint32_t i = 0; i < r->n_keys; i++) {
        char name[24];
        snprintf(name, sizeof name, "k%u", r->key[i]);
        jw_kint(w, name, r->delta[i]);
    }
    jw_obj_end(w);
    if (r->blocked) jw_kbool(w, "blocked", true);
    if (r->unilateral) jw_kbool(w, "unilateral", true);
    jw_kint(w, "voted_ns", r->voted_ns);
    if (tpc_decided(r->state)) jw_kint(w, "decided_ns", r->decided_ns);
    jw_obj_end(w);
}

static void tpc_export_crec(sim_ctx *c, jw_t *w, const tpc_crec_t *r)
{
    jw_obj_begin(w);
    jw_kuint(w, "txn", r->txn);
    jw_kstr(w, "state", tpc_state_names[r->state]);
    if (r->why) jw_kstr(w, "why", tpc_why_names[r->why]);
    char name[24];
    snprintf(name, sizeof name, "k%u", r->req.key);
    jw_kstr(w, "from", name);
    snprintf(name, sizeof name, "k%u", r->req.key2);
    jw_kstr(w, "to", name);
    jw_kint(w, "amount", r->req.value);
    jw_key(w, "participants");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < r->n_parts; i++) jw_str(w, sim_node_name(c, r->part[i]));
    jw_arr_end(w);
    jw_kuint(w, "acked", r->acked);
    jw_obj_end(w);
}

/* The newest records of a log, open ones always: a student wants to see what is in
 * doubt, not a thousand finished transfers. */
static void tpc_export(sim_ctx *c, jw_t *w)
{
    const tpc_params_t *p = tpc_params(c);
    tpc_state_t *st = sim_state(c);
    tpc_durable_t *d = sim_durable(c);
    jw_obj_begin(w);
    jw_kstr(w, "role", st->is_coordinator ? "coordinator" : "participant");
    if (st->is_coordinator) {
        jw_kuint(w, "next_txn", d->next_txn);
        jw_kuint(w, "committed", d->stats.committed);
        jw_kuint(w, "aborted", d->stats.aborted);
        jw_key(w, "transactions");
        jw_arr_begin(w);
        for (uint64_t t = d->next_txn > (uint64_t)p->txn_max ? d->next_txn - (uint64_t)p->txn_max : 1; t < d->next_txn; t++) {
            const tpc_crec_t *r = tpc_crec(p, d, t);
            if (r->txn != t || (!tpc_crec_busy(r) && d->next_txn - t > TPC_EXPORT_LOG_MAX)) continue;
            tpc_export_crec(c, w, r);
        }
        jw_arr_end(w);
        jw_key(w, "forcing");
        jw_arr_begin(w);
        for (uint64_t t = d->next_txn > (uint64_t)p->txn_max ? d->next_txn - (uint64_t)p->txn_max : 1; t < d->next_txn; t++)
            if (tpc_crec(p, d, t)->txn == t && *tpc_forcing(p, st, t)) jw_uint(w, t);
        jw_arr_end(w);
        jw_obj_end(w);
        return;
    }
    int64_t *bal = tpc_balance(p, d);
    uint64_t *lock = tpc_lock(p, d);
    char name[24];
    jw_key(w, "balances");
    jw_obj_begin(w);
    for (uint32_t k = sim_self(c) - 1; k < p->n_keys; k += p->n_servers - 1) {
        snprintf(name, sizeof name, "k%u", k);
        jw_kint(w, name, bal[k]);
    }
    jw_obj_end(w);
    jw_key(w, "locks");
    jw_obj_begin(w);
    for (uint32_t k = sim_self(c) - 1; k < p->n_keys; k += p->n_servers - 1) {
        if (!lock[k]) continue;
        snprintf(name, sizeof name, "k%u", k);
        jw_kuint(w, name, lock[k]);
    }
    jw_obj_end(w);
    /* The log: prepared records, then the newest decided ones. */
    jw_key(w, "log");
    jw_arr_begin(w);
    uint64_t newest = 0;
    for (int64_t i = 0; i < p->txn_max; i++) {
        const tpc_prec_t *r = (const tpc_prec_t *)((char *)d + p->prec_off) + i;
        if (r->txn > newest) newest = r->txn;
    }
    for (int64_t i = 0; i < p->txn_max; i++) {
        const tpc_prec_t *r = (const tpc_prec_t *)((char *)d + p->prec_off) + (newest + 1 + (uint64_t)i) % (uint64_t)p->txn_max;
        if (r->txn && (r->state == TPC_PREPARED || newest - r->txn < TPC_EXPORT_LOG_MAX)) tpc_export_prec(w, r);
    }
    jw_arr_end(w);
    jw_kint(w, "balance_sum", d->balance_sum);
    jw_kuint(w, "blocked", d->stats.blocked);
    jw_obj_end(w);
}

/* ---- Invariants. --------------------------------------------------------------- */

/* What server `node`'s log says of txn: its state, TPC_FREE when it holds no record
 * of it; *newer is set when the slot has moved on to a later transaction (the record
 * was forgotten, so nothing can be said). */
static uint8_t tpc_outcome_at(const tpc_params_t *p, sim_t *s, uint32_t node, uint64_t txn, bool *newer)
{
    void *d = sim_node_durable(s, node);
    uint64_t held = node == TPC_COORDINATOR ? tpc_crec(p, d, txn)->txn : tpc_prec(p, d, txn)->txn;
    if (newer) *newer = held > txn;
    if (held != txn) return TPC_FREE;
    return node == TPC_COORDINATOR ? tpc_crec(p, d, txn)->state : tpc_prec(p, d, txn)->state;
}

static bool tpc_violation(sim_t *s, sim_violation_t *v, uint64_t txn, uint32_t a, uint32_t b, const char *what)
{
    const char *an = sim_name_of(s, a), *bn = sim_name_of(s, b);
    snprintf(v->name, sizeof v->name, "atomicity");
    snprintf(v->detail, sizeof v->detail, "transaction T%llu committed at %s, but %s %s: part of the transfer "
             "happens and part does not", (unsigned long long)txn, an, bn, what);
    v->nodes[0] = a;
    v->nodes[1] = b;
    v->n_nodes = 2;
    return true;
}

/* Checks server a's decision on txn against every other server that takes part in
 * it. A commit anywhere needs a yes vote from every participant: each must hold the
 * transaction prepared or committed, never aborted, never unknown. */
static bool tpc_atomicity_broken(sim_t *s, sim_violation_t *v, uint32_t a, uint64_t txn)
{
    const tpc_params_t *p = tpc_params_of(s);
    uint8_t mine = tpc_outcome_at(p, s, a, txn, NULL);
    if (!tpc_decided(mine)) return false;
    void *da = sim_node_durable(s, a);
    uint32_t part[TPC_PARTS_MAX], n_parts;
    if (a == TPC_COORDINATOR) {
        const tpc_crec_t *r = tpc_crec(p, da, txn);
        n_parts = r->n_parts;
        memcpy(part, r->part, sizeof part);
    } else {
        const tpc_prec_t *r = tpc_prec(p, da, txn);
        n_parts = r->n_parts;
        memcpy(part, r->part, sizeof part);
        if (n_parts == 0) { part[0] = a; n_parts = 1; }    /* an abort noted before any prepare */
    }
    uint32_t others[TPC_PARTS_MAX + 1], n = 0;
    if (a != TPC_COORDINATOR) others[n++] = TPC_COORDINATOR;
    for (uint32_t i = 0; i < n_parts; i++) if (part[i] != a) others[n++] = part[i];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t b = others[i];
        bool newer;
        uint8_t theirs = tpc_outcome_at(p, s, b, txn, &newer);
        if (mine == TPC_COMMITTED && theirs == TPC_ABORTED) return tpc_violation(s, v, txn, a, b, "aborted it");
        if (mine == TPC_ABORTED && theirs == TPC_COMMITTED) return tpc_violation(s, v, txn, b, a, "aborted it");
        if (mine == TPC_COMMITTED && b != TPC_COORDINATOR && theirs == TPC_FREE && !newer)
            return tpc_violation(s, v, txn, a, b, "never voted yes for it");
    }
    return false;
}

/* A transaction counts as committed once any server has committed it; its deltas at
 * a participant still prepared are owed to the sum. */
static bool tpc_committed_somewhere(const tpc_params_t *p, sim_t *s, uint64_t txn)
{
    for (uint32_t n = 0; n < p->n_servers; n++)
        if (tpc_outcome_at(p, s, n, txn, NULL) == TPC_COMMITTED) return true;
    return false;
}

/* Atomicity: the latest decision of each server agrees with every other server's
 * record of the same transaction. A disagreement is caught at the event that makes
 * it, because the server deciding second has that transaction as its latest.
 * No balance below zero: the debit rule, checked while the lock is held, guarantees
 * it, so a negative balance means locking failed. Conservation: the balances plus
 * the deltas owed by committed transactions sum to keys * initial_balance.
 * O(servers^2 + keys) per event. */
static bool tpc_check(sim_t *s, sim_violation_t *v)
{
    const tpc_params_t *p = tpc_params_of(s);
    for (uint32_t n = 0; n < p->n_servers; n++) {
        const tpc_durable_t *d = sim_node_durable(s, n);
        if (d->last_decided && tpc_atomicity_broken(s, v, n, d->last_decided)) return true;
    }
    int64_t sum = 0, owed = 0;
    for (uint32_t n = 1; n < p->n_servers; n++) {
        tpc_durable_t *d = sim_node_durable(s, n);
        sum += d->balance_sum;
        const uint64_t *lock = tpc_lock(p, d);
        const int64_t *bal = tpc_balance(p, d);
        for (uint32_t k = n - 1; k < p->n_keys; k += p->n_servers - 1) {
            if (bal[k] < 0) {
                snprintf(v->name, sizeof v->name, "negative-balance");
                snprintf(v->detail, sizeof v->detail, "k%u holds %lld: two transfers debited it at once, "
                         "so its lock did not keep them apart", k, (long long)bal[k]);
                v->nodes[0] = n;
                v->n_nodes = 1;
                return true;
            }
            if (!lock[k]) continue;
            const tpc_prec_t *r = tpc_prec(p, d, lock[k]);
            if (r->key[0] != k || !tpc_committed_somewhere(p, s, r->txn)) continue;
            for (uint32_t i = 0; i < r->n_keys; i++) owed += r->delta[i];
        }
    }
    int64_t want = (int64_t)p->n_keys * p->initial_balance;
    if (sum + owed == want) return false;
    snprintf(v->name, sizeof v->name, "conservation");
    snprintf(v->detail, sizeof v->detail,
             "the balances sum to %lld (with %lld owed by committed transactions not yet applied), "
             "but %u keys of %lld each make %lld: money was made or lost",
             (long long)sum, (long long)owed, p->n_keys, (long long)p->initial_balance, (long long)want);
    v->n_nodes = 0;
    return true;
}

static void tpc_summary(sim_t *s, jw_t *w)
{
    const tpc_params_t *p = tpc_params_of(s);
    const tpc_durable_t *cd = sim_node_durable(s, TPC_COORDINATOR);
    sim_time_t now = sim_time(s);
    uint64_t blocked = 0, blocked_now = 0, voted_no = 0, unilateral = 0, presumed = 0;
    sim_time_t total = 0, max = 0;
    for (uint32_t n = 1; n < p->n_servers; n++) {
        tpc_durable_t *d = sim_node_durable(s, n);
        blocked += d->stats.blocked;
        total += d->stats.blocked_total_ns;
        if (d->stats.blocked_max_ns > max) max = d->stats.blocked_max_ns;
        voted_no += d->stats.voted_no;
        unilateral += d->stats.unilateral_aborts;
        presumed += d->stats.presumed_commits;
        /* Those still waiting at the end count up to now. */
        const uint64_t *lock = tpc_lock(p, d);
        for (uint32_t k = n - 1; k < p->n_keys; k += p->n_servers - 1) {
            if (!lock[k]) continue;
            const tpc_prec_t *r = tpc_prec(p, d, lock[k]);
            if (r->key[0] != k || now - r->voted_ns < p->decision_timeout_ns) continue;
            sim_time_t held = now - r->voted_ns;
            blocked_now++;
            if (!r->blocked) blocked++;
            total += held;
            if (held > max) max = held;
        }
    }
    uint64_t in_progress = 0;
    for (int64_t i = 0; i < p->txn_max; i++) {
        const tpc_crec_t *r = (const tpc_crec_t *)((const char *)cd + p->crec_off) + i;
        in_progress += r->txn && r->state == TPC_COLLECTING;
    }
    jw_kuint(w, "started", cd->stats.started);
    jw_kuint(w, "committed", cd->stats.committed);
    jw_kuint(w, "aborted", cd->stats.aborted);
    jw_kuint(w, "in_progress", in_progress);
    jw_key(w, "aborted_because");
    jw_obj_begin(w);
    jw_kuint(w, "vote_no", cd->stats.aborted_why[TPC_WHY_VOTE_NO]);
    jw_kuint(w, "vote_timeout", cd->stats.aborted_why[TPC_WHY_TIMEOUT]);
    jw_kuint(w, "coordinator_recovery", cd->stats.aborted_why[TPC_WHY_RECOVERY]);
    jw_obj_end(w);
    jw_kuint(w, "votes_no", voted_no);
    jw_key(w, "blocked");
    jw_obj_begin(w);
    jw_kuint(w, "count", blocked);
    jw_kuint(w, "still_blocked", blocked_now);
    jw_kint(w, "total_ns", total);
    jw_kint(w, "max_ns", max);
    jw_obj_end(w);
    jw_kuint(w, "unilateral_aborts", unilateral);
    jw_kuint(w, "presumed_commits", presumed);
}

/* ---- Parameters and registration. ---------------------------------------------- */

static int tpc_configure(void *cfgp, const proto_env_t *env, char *err, size_t len)
{
    tpc_params_t *p = cfgp;
    if (env->n_servers < 2) {
        snprintf(err, len, "two-phase commit needs at least 2 servers (n1 coordinates, the rest hold the keys), found %u",
                 env->n_servers);
        return SIM_EINPUT;
    }
    if (p->retry_ns <= 0) {
        snprintf(err, len, "retry must be longer than 0s");
        return SIM_EINPUT;
    }
    p->n_servers = env->n_servers;
    p->n_keys = env->n_keys;
    p->balance_off = tpc_align8(sizeof(tpc_durable_t));
    p->lock_off = p->balance_off + (size_t)p->n_keys * sizeof(int64_t);
    p->prec_off = tpc_align8(p->lock_off + (size_t)p->n_keys * sizeof(uint64_t));
    p->crec_off = tpc_align8(p->prec_off + (size_t)p->txn_max * sizeof(tpc_prec_t));
    p->durable_bytes = p->crec_off + (size_t)p->txn_max * sizeof(tpc_crec_t);
    p->votes_off = sizeof(tpc_state_t);
    p->forcing_off = p->votes_off + (size_t)p->txn_max;
    p->sent_off = tpc_align8(p->forcing_off + (size_t)p->txn_max);
    p->state_bytes = p->sent_off + (size_t)p->txn_max * sizeof(sim_time_t);
    return SIM_OK;
}

static size_t tpc_state_size(const void *cfgp) { return ((const tpc_params_t *)cfgp)->state_bytes; }
static size_t tpc_durable_size(const void *cfgp) { return ((const tpc_params_t *)cfgp)->durable_bytes; }

static const char *const tpc_msg_types[] = {"prepare", "vote", "decision", "ack", "decision-req", NULL};

static const proto_param_t tpc_param_table[] = {
    {"initial_balance", PROTO_PARAM_INT, "100", 0, 1e12, NULL, offsetof(tpc_params_t, initial_balance),
     "every key's balance at the start"},
    {"vote_timeout", PROTO_PARAM_DURATION, "300ms", 1e6, 1e12, NULL, offsetof(tpc_params_t, vote_timeout_ns),
     "the coordinator aborts a transaction whose votes are not all in by then"},
    {"decision_timeout", PROTO_PARAM_DURATION, "300ms", 1e6, 1e12, NULL, offsetof(tpc_params_t, decision_timeout_ns),
     "a participant that voted yes and heard no decision by then is blocked, and starts asking"},
    {"retry", PROTO_PARAM_DURATION, "100ms", 1e6, 1e12, NULL, offsetof(tpc_params_t, retry_ns),
     "how often decisions are re-sent and blocked participants ask again"},
    {"log_force", PROTO_PARAM_DURATION, "2ms", 0, 1e12, NULL, offsetof(tpc_params_t, log_force_ns),
     "time to force the coordinator's decision to its log; a crash meanwhile loses the decision"},
    {"txn_max", PROTO_PARAM_INT, "1024", 4, 1 << 16, NULL, offsetof(tpc_params_t, txn_max),
     "log slots per server: transactions open at once (slot = id % txn_max)"},
    {"variant", PROTO_PARAM_ENUM, "none", 1, 0, "none|presumed-commit-on-timeout", offsetof(tpc_params_t, variant),
     "a deliberate bug for the checker to find: a blocked participant commits on its own"},
    {NULL},
};


/* The human summary's lines, read from the JSON summary (proto_line_t). */
static const proto_line_t tpc_lines[] = {
    {"transactions", "{protocol_stats.started} started, {protocol_stats.committed} committed, {protocol_stats.aborted} aborted, {protocol_stats.in_progress} in progress"},
    {"blocked", "{protocol_stats.blocked.count} transactions blocked ({protocol_stats.blocked.still_blocked} still at the end), {protocol_stats.blocked.total_ns|ns} blocked in all, longest {protocol_stats.blocked.max_ns|ns}"},
    {NULL, NULL},
};
/* Decodes a message into its fields for the window's hover: "txn 12: vote yes". */
static int tpc_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    if (type == TPC_MSG_PREPARE) {
        tpc_prepare_msg_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "txn %llu: prepare to move %lld from k%u to k%u", (unsigned long long)m.txn, (long long)m.amount, m.key, m.key2);
    }
    tpc_txn_msg_t m;
    if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
    switch (type) {
    case TPC_MSG_VOTE: return snprintf(buf, buf_len, "txn %llu: vote %s", (unsigned long long)m.txn, m.flag ? "yes" : "no");
    case TPC_MSG_DECISION: return snprintf(buf, buf_len, "txn %llu: %s", (unsigned long long)m.txn, m.flag ? "commit" : "abort");
    case TPC_MSG_ACK: return snprintf(buf, buf_len, "txn %llu: done", (unsigned long long)m.txn);
    case TPC_MSG_DECISION_REQ: return snprintf(buf, buf_len, "txn %llu: what was decided?", (unsigned long long)m.txn);
    }
    return 0;
}

const proto_t proto_tpc = {
    .version = PROTO_VERSION,
    .name = "2pc",
    .purpose = "two-phase commit of transfers; n1 coordinates; blocks when the coordinator fails after the votes",
    .state_size = sizeof(tpc_state_t),
    .durable_size = sizeof(tpc_durable_t),
    .config_size = sizeof(tpc_params_t),
    .msg_types = tpc_msg_types,
    .params = tpc_param_table,
    .configure = tpc_configure,
    .state_size_for = tpc_state_size,
    .durable_size_for = tpc_durable_size,
    .init = tpc_init,
    .on_message = tpc_message,
    .on_timer = tpc_timer,
    .on_request = tpc_request,
    .describe = tpc_describe,
    .export_state = tpc_export,
    .check = tpc_check,
    .summary = tpc_summary,
    .summary_omit = PROTO_OMIT_LEADERS,
    .summary_lines = tpc_lines,
    .describe_msg = tpc_describe_msg,
};
