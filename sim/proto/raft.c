/* raft.c -- Raft consensus: a replicated log that drives the key-value state machine.
 *
 * Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm", USENIX
 * ATC 2014. This file follows the paper's Figure 2 rule by rule, and Ongaro's thesis
 * ("Consensus: Bridging Theory and Practice", Stanford 2014) where the paper stops.
 * Section numbers are the paper's unless they say "thesis".
 *
 * Elections (5.2). Time is cut into terms. A follower that hears nothing from a leader
 * for its election timeout -- random, so that usually one server times out first --
 * becomes a candidate: it increments its term, votes for itself and asks the others.
 * A server grants one vote per term, and only to a candidate whose log is at least as
 * up to date as its own (5.4.1): a later last term, or the same last term and a log at
 * least as long. Votes from a majority make a leader.
 *
 *      n3 (candidate, term 4) ──request-vote {term 4, last 7/3}──> n1 n2 n4 n5
 *      n3 <────────vote-reply {term 4, granted}──────────────────  n1 n2
 *      n3 has 3 of 5 votes: leader of term 4
 *
 * Replication (5.3). The leader appends each client command to its log and sends new
 * entries in AppendEntries, together with the index and term of the entry before
 * them. A follower accepts only if its log holds that entry (the consistency check),
 * so by induction an accepted log equals the leader's up to the last new entry. When
 * a follower refuses, it says what it found -- the term at that index and the first
 * index of that term -- and the leader skips back over the whole term at once (the
 * optimisation at the end of 5.3) instead of one entry per round trip. A follower
 * has at most one batch in flight (batch_max entries): new entries wait for its answer,
 * or for the next heartbeat, which repeats whatever is unacknowledged, so a busy leader
 * sends batches instead of one message per entry.
 *
 *      client ──write k1=7──> n3          n3 appends [8: term 4, write k1=7]
 *      n3 ──append-entries {prev 7/3, entries [8/4], commit 7}──> n1 n2 n4 n5
 *      n3 <──append-reply {success, match 8}── n1 n2
 *      8 is stored on n1 n2 n3, a majority: n3 commits it, applies it, answers the
 *      client; the followers apply it when the next append-entries says commit 8
 *
 * Commitment (5.4.2). An entry is committed once the leader has stored it on a
 * majority -- but only an entry of the leader's own term is committed by counting. An
 * entry of an older term can sit on a majority and still be overwritten by a later
 * leader (Figure 8, replayed by scenarios/raft-figure8.json); it becomes committed
 * when an entry of the current term after it does. So that this happens without
 * waiting for a client, a new leader appends a no-op entry (section 8).
 *
 * Durability. currentTerm, votedFor and the log live in durable storage: a server must
 * not vote twice in one term, nor forget an entry it acknowledged, across a crash.
 * The role, commitIndex, lastApplied, the leader's nextIndex and matchIndex, and the
 * state machine are volatile; after a restart the state machine is rebuilt from the
 * snapshot (or from empty) by applying the log again as the commit index is learnt.
 *
 * Options, each a protocol parameter:
 *   reads      "log": a read is a log entry like a write. "read-index" (thesis 6.4): the
 *              leader notes its commit index, confirms it is still leader by a round of
 *              heartbeats that a majority acknowledges, waits until that index is
 *              applied, and answers from its state machine without a log entry.
 *   prevote    (thesis 9.6) before a real election a server asks whether it could win;
 *              servers that heard from a leader recently say no, so a server returning
 *              from a partition does not force a new term on a working cluster.
 *   snapshot_after  (section 7) after that many applied entries a server saves its
 *              state machine with the index and term of the last applied entry, and
 *              drops the log up to there (a leader keeps what its followers still
 *              need while there is room). A follower that needs dropped entries gets
 *              the snapshot by InstallSnapshot (Figure 13), in chunks.
 *   variant    a deliberate bug, to watch the invariant checks catch it:
 *              commit-old-term-by-count counts replicas for entries of earlier terms too
 *              (Figure 8); no-up-to-date-check grants votes without comparing logs.
 *
 * Client sessions (thesis 6.3), in their simplest form: the state machine remembers
 * the last RAFT_SESSION_OPS operations it applied for each client and skips one it has
 * already applied, so a request the network duplicates -- appended twice -- still
 * takes effect once. The table is replicated state, so it is part of the snapshot.
 *
 * Not here: membership changes (section 6).
 *
 * After every event raft_check tests Figure 3's properties across the cluster:
 * election safety, leader append-only, log matching, leader completeness and state
 * machine safety. How each is kept cheap is written above raft_check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>
#include <string.h>
#include "proto/kv.h"
#include "proto/raft.h"

#define RAFT_READS_MAX 256          /* read-index reads waiting at one leader */
#define RAFT_CHUNK_BYTES 16384      /* snapshot bytes per install-snapshot message */
#define RAFT_SESSION_OPS 128        /* operations remembered per client, against duplicates */
#define RAFT_CHECK_TERMS 4096       /* the checker remembers the leaders of this many terms */
#define RAFT_CHECK_COMMITS 8192     /* ... and this many committed entries */

extern const proto_t proto_raft;

enum { READS_LOG, READS_INDEX };
enum { VARIANT_NONE, VARIANT_COMMIT_OLD_TERM, VARIANT_NO_UP_TO_DATE };
enum { TIMER_ELECTION, TIMER_HEARTBEAT };

/* ---- Configuration and memory layout. ------------------------------------------ */

/* The invariant checker's memory. It must outlive crashes and see every node, so it
 * cannot live in a node's state: the core gives each simulation check_size zeroed
 * bytes of its own (sim_check_state). */
typedef struct chk_node {
    int64_t lead_term;       /* the term it was leader in at the last check; 0: not leader */
    int64_t lead_last;       /* its last log index then */
    int64_t applied;         /* lastApplied as far as the checker has compared it */
} chk_node_t;

/* Ring slots carry the run they were written in, so starting afresh costs nothing. */
typedef struct chk_leader { int64_t term; uint32_t node, run; } chk_leader_t;

typedef struct chk_commit {
    int64_t index;           /* which index this slot holds (slots are reused modulo) */
    int64_t commit_term;     /* the term of the first server to apply it: committed by then */
    uint32_t node, run;      /* that server */
    raft_entry_t e;
} chk_commit_t;

typedef struct raft_check {
    uint32_t run;
    int64_t max_committed;
    chk_node_t node[RAFT_SERVERS_MAX];
    chk_leader_t leader[RAFT_CHECK_TERMS];
    chk_commit_t commit[RAFT_CHECK_COMMITS];
} raft_check_t;

typedef struct raft_config {
    sim_time_t election_timeout_ns[2];
    sim_time_t heartbeat_ns;
    int reads;
    int variant;
    bool prevote;
    bool noop;
    int64_t snapshot_after;
    int64_t log_max;
    int64_t batch_max;
    /* Derived by raft_configure: where things are in a node's memory. The state
     * machine is the kv table followed by the client sessions (machine_bytes). */
    uint32_t n_servers, n_keys, n_clients;
    size_t kv_bytes, machine_bytes;
    size_t st_peers, st_reads, st_kv, st_stage, st_scratch, st_bytes;
    size_t du_snap, du_log, du_bytes;
} raft_config_t;

/* Counters for the summary, kept on disk so a crash does not lose them. */
typedef struct raft_stats {
    uint64_t elections, prevotes, snapshots, installs, read_rounds;
} raft_stats_t;

/* Durable storage: this header, then the snapshot's state machine (machine_bytes,
 * when snapshots are on), then log_max entries. The log holds entries log_base+1 ..
 * log_base+n_log, entry i (1-based, as in the paper) at log[i - log_base - 1]. A leader
 * may keep entries the snapshot covers (log_base < snap_index) for followers that are
 * only a little behind. All zero is the right first state: term 0, no vote, no log. */
typedef struct raft_durable {
    int64_t current_term;
    int64_t voted_for;       /* node id + 1; 0: no vote in this term */
    int64_t snap_index;      /* the snapshot covers entries 1 .. snap_index (0: none) */
    int64_t snap_term;       /* term of entry snap_index */
    int64_t log_base;        /* the entry before the first one held (<= snap_index) */
    int64_t log_base_term;   /* its term */
    int64_t n_log;           /* entries held */
    raft_stats_t stats;
    uint32_t _pad;
} raft_durable_t;

/* What the leader keeps about each other server. */
typedef struct raft_peer {
    int64_t next_index;      /* the next entry to send it */
    int64_t match_index;     /* its log is known to match ours up to here */
    uint64_t acked_round;    /* the newest read-index round it acknowledged */
    int64_t snap_index;      /* the snapshot being sent to it, and ... */
    uint32_t snap_offset;    /* ... how many of its bytes it has */
    int64_t sent_last;       /* the last entry sent to it; beyond match_index: in flight */
    bool vote, prevote;      /* it granted this candidate its (pre-)vote */
} raft_peer_t;

/* The operations of one client that the state machine applied last, newest at
 * next - 1 (a ring). */
typedef struct raft_session {
    uint64_t op_id[RAFT_SESSION_OPS];
    uint32_t next, _pad;
} raft_session_t;

/* A read waiting at the leader (read-index). round 0: not started, because no entry of
 * the leader's term is committed yet. */
typedef struct raft_read {
    sim_req_t req;
    int64_t read_index;
    uint64_t round;
} raft_read_t;

/* Volatile state: this header, then a raft_peer_t per server, the waiting reads, the
 * state machine, a staging area for an incoming snapshot, and scratch space to build
 * an outgoing message in. Zeroed by a crash. */
typedef struct raft_state {
    uint8_t role;                /* sim_role_t; SIM_ROLE_NONE only while down */
    bool prevoting;
    uint32_t leader;             /* the leader of this term + 1; 0: unknown */
    int64_t commit_index, last_applied;
    sim_time_t election_timeout_ns;     /* drawn afresh at every reset of the election timer */
    sim_time_t election_deadline_ns;    /* pushed back by every sign of a leader */
    sim_time_t election_timer_ns;       /* when the pending election timer fires */
    uint64_t election_timer;            /* its id, to cancel it when the deadline comes sooner */
    sim_time_t leader_contact_ns;       /* when a leader was last heard from (pre-vote) */
    uint64_t read_round;
    uint32_t n_reads;
    uint32_t stage_got;          /* bytes of the incoming snapshot received */
    int64_t stage_index, stage_term;
    int64_t chk_dirty;           /* not Raft: lowest log index written since the checker looked */
} raft_state_t;

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

static const raft_config_t *cfg_of(sim_ctx *c) { return sim_config(c); }
static raft_state_t *st_of(sim_ctx *c) { return sim_state(c); }
static raft_durable_t *du_of(sim_ctx *c) { return sim_durable(c); }

static raft_peer_t *peer_of(const raft_config_t *cfg, raft_state_t *st, uint32_t i)
{
    return (raft_peer_t *)((char *)st + cfg->st_peers) + i;
}
static raft_read_t *reads_of(const raft_config_t *cfg, raft_state_t *st) { return (raft_read_t *)((char *)st + cfg->st_reads); }
static kv_t *kv_of(const raft_config_t *cfg, raft_state_t *st) { return (kv_t *)((char *)st + cfg->st_kv); }
static raft_session_t *sessions_of(const raft_config_t *cfg, raft_state_t *st)
{
    return (raft_session_t *)((char *)st + cfg->st_kv + align8(cfg->kv_bytes));
}
static kv_t *stage_of(const raft_config_t *cfg, raft_state_t *st) { return (kv_t *)((char *)st + cfg->st_stage); }
static void *scratch_of(const raft_config_t *cfg, raft_state_t *st) { return (char *)st + cfg->st_scratch; }
static kv_t *snap_kv_of(const raft_config_t *cfg, raft_durable_t *du) { return (kv_t *)((char *)du + cfg->du_snap); }
static raft_entry_t *log_of(const raft_config_t *cfg, raft_durable_t *du) { return (raft_entry_t *)((char *)du + cfg->du_log); }

static int64_t last_index(const raft_durable_t *du) { return du->log_base + du->n_log; }

static raft_entry_t *entry_at(const raft_config_t *cfg, raft_durable_t *du, int64_t i)
{
    sim_assert(i > du->log_base && i <= last_index(du));
    return log_of(cfg, du) + (i - du->log_base - 1);
}

/* The term of entry i, which is either held or the one just before the log (0 for
 * index 0, before the first entry). */
static int64_t term_at(const raft_config_t *cfg, raft_durable_t *du, int64_t i)
{
    if (i == du->log_base) return du->log_base_term;
    return entry_at(cfg, du, i)->term;
}

static int64_t last_term(const raft_config_t *cfg, raft_durable_t *du) { return term_at(cfg, du, last_index(du)); }

static uint32_t majority(const raft_config_t *cfg) { return cfg->n_servers / 2 + 1; }

static raft_entry_t entry_of(const sim_req_t *req, int64_t term)
{
    raft_entry_t e;
    memset(&e, 0, sizeof e);
    e.term = term;
    e.op_id = req->op_id;
    e.client = req->client;
    e.attempt = req->attempt;
    e.key = req->key;
    e.f = req->f;
    e.v1 = req->value;
    e.v2 = req->value2;
    return e;
}

static sim_req_t req_of(const raft_entry_t *e)
{
    sim_req_t r;
    memset(&r, 0, sizeof r);
    r.client = e->client;
    r.attempt = e->attempt;
    r.op_id = e->op_id;
    r.f = e->f;
    r.key = r.key2 = e->key;
    r.value = e->v1;
    r.value2 = e->v2;
    return r;
}

static bool entry_same(const raft_entry_t *a, const raft_entry_t *b)
{
    return a->term == b->term && a->op_id == b->op_id && a->client == b->client && a->attempt == b->attempt &&
           a->key == b->key && a->f == b->f && a->v1 == b->v1 && a->v2 == b->v2;
}

static void entry_text(const raft_entry_t *e, char *buf, size_t len)
{
    switch (e->f) {
    case RAFT_NOOP: snprintf(buf, len, "no-op"); break;
    case SIM_OP_READ: snprintf(buf, len, "read k%u", e->key); break;
    case SIM_OP_WRITE: snprintf(buf, len, "write k%u=%lld", e->key, (long long)e->v1); break;
    case SIM_OP_CAS: snprintf(buf, len, "cas k%u %lld->%lld", e->key, (long long)e->v1, (long long)e->v2); break;
    case SIM_OP_ADD: snprintf(buf, len, "add k%u+%lld", e->key, (long long)e->v1); break;
    default: snprintf(buf, len, "op %u on k%u", e->f, e->key); break;
    }
}

/* ---- The log. -------------------------------------------------------------------- */

static void mark_dirty(raft_state_t *st, int64_t i)
{
    if (!st->chk_dirty || i < st->chk_dirty) st->chk_dirty = i;
}

/* Appends one entry. Returns false when the log is full: with snapshots off that ends
 * the run, since nothing would ever make room. */
static bool log_append(sim_ctx *c, const raft_entry_t *e)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    if (du->n_log >= cfg->log_max) {
        if (!cfg->snapshot_after)
            sim_halt(c, "raft: the log of %s is full (log_max = %lld entries); raise protocol.params.log_max "
                     "or turn on compaction with protocol.params.snapshot_after",
                     sim_node_name(c, sim_self(c)), (long long)cfg->log_max);
        return false;
    }
    log_of(cfg, du)[du->n_log++] = *e;
    mark_dirty(st, last_index(du));
    return true;
}

/* Removes entries from index `from` on, which conflict with the leader's. */
static void log_truncate(sim_ctx *c, int64_t from)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    sim_assert(from > du->snap_index && from <= last_index(du));     /* never into the snapshot */
    if (from <= st->commit_index) {
        /* A committed entry is never overwritten: only a deliberate bug gets here, and
         * the checker reports what follows from it. */
        sim_assert(cfg->variant != VARIANT_NONE);
        st->commit_index = from - 1;
    }
    du->n_log = from - du->log_base - 1;
    mark_dirty(st, from);
}

/* Drops the log entries before index `base`'s successor: entry base is the new log_base. */
static void log_drop_through(const raft_config_t *cfg, raft_durable_t *du, int64_t base)
{
    sim_assert(base > du->log_base && base <= last_index(du));
    int64_t term = term_at(cfg, du, base), drop = base - du->log_base;
    raft_entry_t *log = log_of(cfg, du);
    memmove(log, log + drop, (size_t)(du->n_log - drop) * sizeof *log);
    du->n_log -= drop;
    du->log_base = base;
    du->log_base_term = term;
}

/* Log compaction (section 7). Every snapshot_after applied entries, or sooner when the
 * log is three quarters full, the state machine is saved as of lastApplied with that
 * entry's index and term, and the log entries it covers are dropped -- except that a
 * leader keeps, while there is room, the entries its followers have not acknowledged:
 * a follower a few entries behind is cheaper to send entries than a snapshot.
 *
 * This runs at the start of an event, so only entries applied in an earlier event are
 * dropped and the checker has seen every entry a server applied. */
static void maybe_compact(sim_ctx *c)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    if (!cfg->snapshot_after) return;
    bool full = du->n_log >= cfg->log_max - cfg->log_max / 4, leads = st->role == SIM_ROLE_LEADER;
    if (st->last_applied <= du->snap_index || (st->last_applied - du->snap_index < cfg->snapshot_after && !full)) return;
    if (leads && !full) {
        /* A leader keeps one snapshot; replacing it would restart every transfer under
         * way, and a large one might never finish. So it waits for them (or a full log). */
        for (uint32_t i = 0; i < cfg->n_servers; i++) {
            const raft_peer_t *p = peer_of(cfg, st, i);
            if (i != sim_self(c) && p->next_index <= du->log_base && p->snap_index == du->snap_index && p->snap_offset > 0)
                return;
        }
    }
    memcpy(snap_kv_of(cfg, du), kv_of(cfg, st), cfg->machine_bytes);
    du->snap_term = term_at(cfg, du, st->last_applied);
    du->snap_index = st->last_applied;
    du->stats.snapshots++;
    int64_t base = du->snap_index;
    for (uint32_t i = 0; leads && !full && i < cfg->n_servers; i++) {
        const raft_peer_t *p = peer_of(cfg, st, i);
        if (i != sim_self(c) && p->match_index < base) base = p->match_index;
    }
    if (base > du->log_base) log_drop_through(cfg, du, base);
}

/* ---- Roles and terms. ------------------------------------------------------------ */

static sim_time_t random_timeout(sim_ctx *c)
{
    const raft_config_t *cfg = cfg_of(c);
    sim_time_t lo = cfg->election_timeout_ns[0], hi = cfg->election_timeout_ns[1];
    return lo + (sim_time_t)rng_below(sim_rng(c), (uint64_t)(hi - lo) + 1);
}

/* Restarts the election timeout with a fresh random draw, as 5.2 asks for every reset
 * (and etcd's and LogCabin's followers do): a server that never campaigns would
 * otherwise keep its first draw for ever, and the servers that outlive a leader are
 * exactly those whose first draws were too long to win -- elections after a crash then
 * take longer than the paper's figures. The one timer sleeps on while the deadline
 * moves later; when a fresh draw brings it sooner, the timer is set again. */
static void reset_election_timer(sim_ctx *c)
{
    raft_state_t *st = st_of(c);
    sim_time_t now = sim_now(c);
    st->election_timeout_ns = random_timeout(c);
    st->election_deadline_ns = now + st->election_timeout_ns;
    if (st->election_deadline_ns < st->election_timer_ns) {
        sim_timer_cancel(c, st->election_timer);
        st->election_timer = sim_timer_set(c, st->election_timeout_ns, TIMER_ELECTION, 0);
        st->election_timer_ns = st->election_deadline_ns;
    }
    sim_assert(st->election_timer_ns <= st->election_deadline_ns);   /* it never fires late */
}

/* A leader that steps down answers its waiting reads "unavailable": they did not
 * happen, and the client may retry elsewhere. */
static void drop_reads(sim_ctx *c)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_read_t *rd = reads_of(cfg, st);
    for (uint32_t i = 0; i < st->n_reads; i++) sim_reply(c, &rd[i].req, SIM_REPLY_UNAVAILABLE, NULL, 0);
    st->n_reads = 0;
}

/* Steps down to follower, adopting `term` if it is newer (Figure 2, "all servers"). */
static void become_follower(sim_ctx *c, int64_t term)
{
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    sim_assert(term >= du->current_term);
    if (term > du->current_term) {
        du->current_term = term;
        du->voted_for = 0;
        st->leader = 0;
    }
    if (st->role == SIM_ROLE_LEADER) {
        drop_reads(c);
        reset_election_timer(c);
    }
    st->role = SIM_ROLE_FOLLOWER;
    st->prevoting = false;
    sim_set_role(c, SIM_ROLE_FOLLOWER, du->current_term);
}

/* A valid AppendEntries or InstallSnapshot from the leader of `term`. */
static void heard_from_leader(sim_ctx *c, int64_t term, uint32_t from)
{
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    if (term > du->current_term || st->role != SIM_ROLE_FOLLOWER) {
        /* A candidate of this term lost the election. A leader of this term cannot
         * exist besides the sender (election safety). */
        sim_assert(term > du->current_term || st->role != SIM_ROLE_LEADER);
        become_follower(c, term);
    }
    st->prevoting = false;
    st->leader = from + 1;
    st->leader_contact_ns = sim_now(c);
    reset_election_timer(c);
}

/* ---- Elections (5.2, 5.4.1; pre-vote: thesis 9.6). -------------------------------- */

static void send_to_all(sim_ctx *c, unsigned type, const void *payload, uint32_t len)
{
    const raft_config_t *cfg = cfg_of(c);
    for (uint32_t i = 0; i < cfg->n_servers; i++)
        if (i != sim_self(c)) sim_send(c, i, type, payload, len, 0);
}

static uint32_t count_votes(sim_ctx *c, bool pre)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    uint32_t n = 1;          /* its own */
    for (uint32_t i = 0; i < cfg->n_servers; i++) {
        if (i == sim_self(c)) continue;
        const raft_peer_t *p = peer_of(cfg, st, i);
        n += pre ? p->prevote : p->vote;
    }
    return n;
}

/* The candidate's log is at least as up to date as ours (5.4.1). */
static bool log_up_to_date(const raft_config_t *cfg, raft_durable_t *du, int64_t cand_last_index, int64_t cand_last_term)
{
    int64_t t = last_term(cfg, du);
    return cand_last_term > t || (cand_last_term == t && cand_last_index >= last_index(du));
}

static void send_append(sim_ctx *c, uint32_t to);
static void advance_commit(sim_ctx *c);

static void become_leader(sim_ctx *c)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    st->role = SIM_ROLE_LEADER;
    st->leader = sim_self(c) + 1;
    st->prevoting = false;
    for (uint32_t i = 0; i < cfg->n_servers; i++) {
        raft_peer_t *p = peer_of(cfg, st, i);
        memset(p, 0, sizeof *p);
        p->next_index = last_index(du) + 1;
    }
    sim_set_role(c, SIM_ROLE_LEADER, du->current_term);
    if (cfg->noop) {
        raft_entry_t e;
        memset(&e, 0, sizeof e);
        e.term = du->current_term;
        e.f = RAFT_NOOP;
        log_append(c, &e);
    }
    for (uint32_t i = 0; i < cfg->n_servers; i++)
        if (i != sim_self(c)) send_append(c, i);
    sim_timer_set(c, cfg->heartbeat_ns, TIMER_HEARTBEAT, (uint64_t)du->current_term);
    advance_commit(c);       /* a cluster of one commits on its own */
}

static void start_election(sim_ctx *c)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    du->current_term++;
    du->voted_for = sim_self(c) + 1;
    du->stats.elections++;
    st->role = SIM_ROLE_CANDIDATE;
    st->leader = 0;
    st->prevoting = false;
    for (uint32_t i = 0; i < cfg->n_servers; i++) peer_of(cfg, st, i)->vote = false;
    sim_set_role(c, SIM_ROLE_CANDIDATE, du->current_term);
    raft_vote_t v = {du->current_term, last_index(du), last_term(cfg, du)};
    send_to_all(c, RAFT_REQUEST_VOTE, &v, sizeof v);
    if (count_votes(c, false) >= majority(cfg)) become_leader(c);
}

/* A pre-vote asks "would you vote for me in the next term?" without changing anyone's
 * term; only a majority of yeses starts the real election. */
static void start_prevote(sim_ctx *c)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    st->prevoting = true;
    du->stats.prevotes++;
    for (uint32_t i = 0; i < cfg->n_servers; i++) peer_of(cfg, st, i)->prevote = false;
    raft_vote_t v = {du->current_term + 1, last_index(du), last_term(cfg, du)};
    send_to_all(c, RAFT_PRE_VOTE, &v, sizeof v);
    if (count_votes(c, true) >= majority(cfg)) start_election(c);
}

static void on_request_vote(sim_ctx *c, const sim_msg_t *m)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_durable_t *du = du_of(c);
    const raft_vote_t *v = m->payload;
    if (v->term > du->current_term) become_follower(c, v->term);
    bool log_ok = cfg->variant == VARIANT_NO_UP_TO_DATE || log_up_to_date(cfg, du, v->last_index, v->last_term);
    raft_vote_reply_t r;
    memset(&r, 0, sizeof r);
    if (v->term == du->current_term && (du->voted_for == 0 || du->voted_for == m->from + 1) && log_ok) {
        du->voted_for = m->from + 1;
        r.granted = 1;
        /* Granting a vote counts as hearing from a (future) leader: wait for it. */
        reset_election_timer(c);
    }
    r.term = du->current_term;
    sim_send(c, m->from, RAFT_VOTE_REPLY, &r, sizeof r, 0);
}

static void on_pre_vote(sim_ctx *c, const sim_msg_t *m)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    const raft_vote_t *v = m->payload;
    /* A server that heard from a leader within the shortest election timeout believes
     * that leader is alive, and says no: this is what keeps a returning server from
     * disrupting a working cluster. */
    bool leader_alive = st->role == SIM_ROLE_LEADER ||
                        sim_now(c) - st->leader_contact_ns < cfg->election_timeout_ns[0];
    bool log_ok = cfg->variant == VARIANT_NO_UP_TO_DATE || log_up_to_date(cfg, du, v->last_index, v->last_term);
    raft_vote_reply_t r;
    memset(&r, 0, sizeof r);
    r.term = du->current_term;
    r.granted = v->term > du->current_term && !leader_alive && log_ok;
    sim_send(c, m->from, RAFT_PRE_VOTE_REPLY, &r, sizeof r, 0);
}

static void on_vote_reply(sim_ctx *c, const sim_msg_t *m, bool pre)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    const raft_vote_reply_t *r = m->payload;
    if (r->term > du->current_term) { become_follower(c, r->term); return; }
    if (!r->granted) return;
    if (pre) {
        if (!st->prevoting || st->role == SIM_ROLE_LEADER) return;
        peer_of(cfg, st, m->from)->prevote = true;
        if (count_votes(c, true) >= majority(cfg)) start_election(c);
    } else {
        if (st->role != SIM_ROLE_CANDIDATE || r->term != du->current_term) return;
        peer_of(cfg, st, m->from)->vote = true;
        if (count_votes(c, false) >= majority(cfg)) become_leader(c);
    }
}

/* ---- Replication (5.3) and commitment (5.4.2). ----------------------------------- */

static void send_snapshot(sim_ctx *c, uint32_t to);
static void serve_reads(sim_ctx *c);

/* Sends the entries from the peer's nextIndex on (at most batch_max), or a snapshot
 * chunk when those entries have been compacted away. */
static void send_append(sim_ctx *c, uint32_t to)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    raft_peer_t *p = peer_of(cfg, st, to);
    if (p->next_index <= du->log_base) { send_snapshot(c, to); return; }
    int64_t prev = p->next_index - 1, n = last_index(du) - prev;
    sim_assert(n >= 0);
    if (n > cfg->batch_max) n = cfg->batch_max;
    raft_append_t *a = scratch_of(cfg, st);
    memset(a, 0, sizeof *a);
    a->term = du->current_term;
    a->prev_index = prev;
    a->prev_term = term_at(cfg, du, prev);
    a->leader_commit = st->commit_index;
    a->round = st->read_round;
    a->n_entries = (uint32_t)n;
    if (n) memcpy(a->entries, entry_at(cfg, du, prev + 1), (size_t)n * sizeof(raft_entry_t));
    sim_send(c, to, RAFT_APPEND, a, (uint32_t)(sizeof *a + (size_t)n * sizeof(raft_entry_t)), 0);
    p->sent_last = prev + n;
}

static void send_append_to_all(sim_ctx *c)
{
    const raft_config_t *cfg = cfg_of(c);
    for (uint32_t i = 0; i < cfg->n_servers; i++)
        if (i != sim_self(c)) send_append(c, i);
}

/* Whether the state machine applied this client operation already (a duplicate of
 * the request made a second entry); if not, remembers it. Deterministic on every
 * replica, since it only looks at replicated state. */
static bool session_seen(const raft_config_t *cfg, raft_state_t *st, const raft_entry_t *e)
{
    uint32_t ci = e->client - cfg->n_servers;
    if (e->client < cfg->n_servers || ci >= cfg->n_clients || !e->op_id) return false;
    raft_session_t *ses = &sessions_of(cfg, st)[ci];
    for (uint32_t i = 0; i < RAFT_SESSION_OPS; i++)
        if (ses->op_id[i] == e->op_id) return true;
    ses->op_id[ses->next] = e->op_id;
    ses->next = (ses->next + 1) % RAFT_SESSION_OPS;
    return false;
}

/* Applies committed entries in order. The leader answers the requests it appended in
 * its own term; an entry from an earlier leader was never promised to anyone here,
 * and its client has been told nothing (it will time out: "info", which is true). */
static void apply(sim_ctx *c)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    while (st->last_applied < st->commit_index) {
        int64_t i = ++st->last_applied;
        const raft_entry_t *e = entry_at(cfg, du, i);
        if (e->f == RAFT_NOOP || session_seen(cfg, st, e)) continue;
        kv_cmd_t cmd = {e->f, e->key, e->v1, e->v2};
        kv_result_t res = kv_apply(kv_of(cfg, st), &cmd);
        if (st->role == SIM_ROLE_LEADER && e->term == du->current_term) {
            sim_req_t req = req_of(e);
            kv_reply(c, &req, res);
        }
    }
    serve_reads(c);
}

/* Figure 2, leaders: if there is an N > commitIndex with matchIndex >= N on a majority
 * and log[N].term == currentTerm, set commitIndex = N. The largest N held by a majority
 * is the majority-th largest matchIndex (counting the leader's own log); no smaller N
 * can pass the term test if it fails, since terms never decrease along a log. The term
 * test is 5.4.2; the commit-old-term-by-count variant leaves it out. */
static void advance_commit(sim_ctx *c)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    if (st->role != SIM_ROLE_LEADER) return;
    int64_t match[RAFT_SERVERS_MAX];
    uint32_t n = 0;
    for (uint32_t i = 0; i < cfg->n_servers; i++) {
        int64_t m = i == sim_self(c) ? last_index(du) : peer_of(cfg, st, i)->match_index;
        uint32_t j = n++;
        for (; j > 0 && match[j - 1] < m; j--) match[j] = match[j - 1];     /* descending */
        match[j] = m;
    }
    int64_t index = match[majority(cfg) - 1];
    if (index <= st->commit_index) return;
    if (cfg->variant != VARIANT_COMMIT_OLD_TERM && entry_at(cfg, du, index)->term != du->current_term) return;
    st->commit_index = index;
    apply(c);
}

/* The last index of our log holding `term`, or 0 if none (binary search: terms never
 * decrease along a log). */
static int64_t last_index_of_term(const raft_config_t *cfg, raft_durable_t *du, int64_t term)
{
    int64_t lo = du->log_base + 1, hi = last_index(du), found = 0;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2, t = entry_at(cfg, du, mid)->term;
        if (t <= term) { if (t == term) found = mid; lo = mid + 1; }
        else hi = mid - 1;
    }
    return found;
}

/* The follower side of AppendEntries (Figure 2, receiver implementation 1-5). */
static void on_append(sim_ctx *c, const sim_msg_t *m)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    const raft_append_t *a = m->payload;
    sim_assert(m->len >= sizeof *a && m->len == sizeof *a + (size_t)a->n_entries * sizeof(raft_entry_t));
    raft_append_reply_t r;
    memset(&r, 0, sizeof r);
    r.round = a->round;
    if (a->term < du->current_term) {          /* 1: a deposed leader; tell it the term */
        r.term = du->current_term;
        sim_send(c, m->from, RAFT_APPEND_REPLY, &r, sizeof r, 0);
        return;
    }
    heard_from_leader(c, a->term, m->from);
    r.term = du->current_term;
    if (a->prev_index > last_index(du)) {
        /* 2: we lack the entry before the new ones: retry past our end. */
        r.conflict_index = last_index(du) + 1;
    } else if (a->prev_index > du->log_base && term_at(cfg, du, a->prev_index) != a->prev_term) {
        /* 2: we hold a different entry there: name its term and where that term starts,
         * so the leader can skip it whole. (Before our log everything is in the
         * snapshot, committed, hence the same as the leader's: nothing to check.) */
        int64_t t = term_at(cfg, du, a->prev_index), i = a->prev_index;
        while (i - 1 > du->log_base && term_at(cfg, du, i - 1) == t) i--;
        r.conflict_term = t;
        r.conflict_index = i;
    } else {
        /* 3, 4: drop what conflicts, append what is new. An entry we already hold with
         * the same term is the same entry (log matching), so a late, reordered copy of
         * an older message never cuts off entries that came after it. */
        uint32_t k;
        for (k = 0; k < a->n_entries; k++) {
            int64_t i = a->prev_index + 1 + k;
            if (i <= du->snap_index) continue;
            if (i <= last_index(du)) {
                if (entry_at(cfg, du, i)->term == a->entries[k].term) continue;
                log_truncate(c, i);
            }
            if (!log_append(c, &a->entries[k])) break;
        }
        int64_t match = a->prev_index + k;
        if (match < du->snap_index) match = du->snap_index;
        /* 5: commit up to the leader's commit index, but not past what this message
         * showed to match the leader's log. */
        int64_t commit = a->leader_commit < match ? a->leader_commit : match;
        if (commit > st->commit_index) {
            st->commit_index = commit;
            apply(c);
        }
        r.success = 1;
        r.match_index = match;
    }
    sim_send(c, m->from, RAFT_APPEND_REPLY, &r, sizeof r, 0);
}

static void on_append_reply(sim_ctx *c, const sim_msg_t *m)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    const raft_append_reply_t *r = m->payload;
    if (r->term > du->current_term) { become_follower(c, r->term); return; }
    if (st->role != SIM_ROLE_LEADER || r->term != du->current_term) return;
    raft_peer_t *p = peer_of(cfg, st, m->from);
    /* Any answer in our term, success or not, shows the follower still took us for
     * its leader when it got the message: that is what a read-index round needs. */
    if (r->round > p->acked_round) p->acked_round = r->round;
    int64_t last = last_index(du);
    bool moved;
    if (r->success) {
        int64_t match = r->match_index < last ? r->match_index : last;
        moved = match > p->match_index;
        if (moved) p->match_index = match;
        if (p->next_index <= p->match_index) p->next_index = p->match_index + 1;
        if (moved) advance_commit(c);
    } else {
        /* Conflict back-off (end of 5.3): after the last entry of the follower's
         * conflicting term if we hold that term too, else where that term starts
         * in its log, or just past its end when its log was too short. */
        int64_t next = r->conflict_index;
        if (r->conflict_term > 0) {
            int64_t i = last_index_of_term(cfg, du, r->conflict_term);
            if (i > 0) next = i + 1;
        }
        if (next > last + 1) next = last + 1;
        if (next <= p->match_index) next = p->match_index + 1;
        if (next < 1) next = 1;
        moved = next != p->next_index;
        p->next_index = next;
    }
    /* Only an answer that moved things on sends more. An answer to a copy (a heartbeat
     * repeats whatever is unacknowledged) changes nothing, and if it sent too, every
     * heartbeat would start one more stream of messages that never stops. */
    if (moved && p->next_index <= last_index(du)) send_append(c, m->from);
    serve_reads(c);
}

/* ---- Log compaction: InstallSnapshot (section 7, Figure 13). --------------------- */

static void send_snapshot(sim_ctx *c, uint32_t to)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    raft_peer_t *p = peer_of(cfg, st, to);
    if (p->snap_index != du->snap_index) {     /* we compacted again: start over */
        p->snap_index = du->snap_index;
        p->snap_offset = 0;
    }
    uint32_t total = (uint32_t)cfg->machine_bytes, off = p->snap_offset < total ? p->snap_offset : 0;
    uint32_t len = total - off < RAFT_CHUNK_BYTES ? total - off : RAFT_CHUNK_BYTES;
    raft_snapshot_t *sm = scratch_of(cfg, st);
    memset(sm, 0, sizeof *sm);
    sm->term = du->current_term;
    sm->last_index = du->snap_index;
    sm->last_term = du->snap_term;
    sm->offset = off;
    sm->total = total;
    sm->len = len;
    memcpy(sm->data, (const uint8_t *)snap_kv_of(cfg, du) + off, len);
    sim_send(c, to, RAFT_SNAPSHOT, sm, (uint32_t)sizeof *sm + len, 0);
}

static void on_snapshot(sim_ctx *c, const sim_msg_t *m)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    const raft_snapshot_t *sm = m->payload;
    sim_assert(m->len == sizeof *sm + sm->len && sm->total == cfg->machine_bytes && sm->offset + sm->len <= sm->total);
    raft_snapshot_reply_t r;
    memset(&r, 0, sizeof r);
    r.last_index = sm->last_index;
    if (sm->term < du->current_term) {
        r.term = du->current_term;
        sim_send(c, m->from, RAFT_SNAPSHOT_REPLY, &r, sizeof r, 0);
        return;
    }
    heard_from_leader(c, sm->term, m->from);
    r.term = du->current_term;
    if (sm->last_index <= st->commit_index) {
        /* We already have everything it covers, committed. */
        r.done = 1;
        r.offset = sm->total;
        sim_send(c, m->from, RAFT_SNAPSHOT_REPLY, &r, sizeof r, 0);
        return;
    }
    if (sm->offset == 0) {                     /* 2: a new snapshot begins */
        st->stage_index = sm->last_index;
        st->stage_term = sm->last_term;
        st->stage_got = 0;
    }
    if (sm->last_index != st->stage_index || sm->offset != st->stage_got) {
        /* Not the chunk we expect: say how far we are, and the leader resends. */
        r.offset = st->stage_index == sm->last_index ? st->stage_got : 0;
        sim_send(c, m->from, RAFT_SNAPSHOT_REPLY, &r, sizeof r, 0);
        return;
    }
    memcpy((uint8_t *)stage_of(cfg, st) + sm->offset, sm->data, sm->len);   /* 3, 4 */
    st->stage_got += sm->len;
    r.offset = st->stage_got;
    if (st->stage_got == sm->total) {
        /* 6, 7: keep the log after the snapshot if it agrees with it there, else drop
         * it all. 8: the snapshot becomes the state machine. */
        int64_t idx = sm->last_index;
        if (idx <= last_index(du) && term_at(cfg, du, idx) == sm->last_term) {
            log_drop_through(cfg, du, idx);
        } else {
            du->n_log = 0;
            du->log_base = idx;
            du->log_base_term = sm->last_term;
        }
        du->snap_index = idx;
        du->snap_term = sm->last_term;
        memcpy(snap_kv_of(cfg, du), stage_of(cfg, st), cfg->machine_bytes);
        memcpy(kv_of(cfg, st), stage_of(cfg, st), cfg->machine_bytes);
        st->commit_index = st->last_applied = idx;
        du->stats.installs++;
        r.done = 1;
    }
    sim_send(c, m->from, RAFT_SNAPSHOT_REPLY, &r, sizeof r, 0);
}

static void on_snapshot_reply(sim_ctx *c, const sim_msg_t *m)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    const raft_snapshot_reply_t *r = m->payload;
    if (r->term > du->current_term) { become_follower(c, r->term); return; }
    if (st->role != SIM_ROLE_LEADER || r->term != du->current_term) return;
    raft_peer_t *p = peer_of(cfg, st, m->from);
    if (r->done) {
        int64_t match = r->last_index < last_index(du) ? r->last_index : last_index(du);
        if (match <= p->match_index) return;                  /* old news */
        p->match_index = match;
        if (p->next_index <= p->match_index) p->next_index = p->match_index + 1;
        advance_commit(c);
        if (st->role == SIM_ROLE_LEADER && p->next_index <= last_index(du)) send_append(c, m->from);
        return;
    }
    /* As with entries, only an answer that moves the transfer on sends the next chunk:
     * the follower got further (or fell back, say by restarting), or it holds a part of
     * a snapshot we no longer have, and we start ours from the beginning. */
    uint32_t offset = r->last_index == du->snap_index ? r->offset : 0;
    if (p->snap_index == du->snap_index && offset == p->snap_offset) return;
    p->snap_index = du->snap_index;
    p->snap_offset = offset;
    send_append(c, m->from);
}

/* ---- Clients, and reads by read-index (thesis 6.4). ------------------------------ */

static bool read_confirmed(sim_ctx *c, uint64_t round)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    uint32_t n = 1;
    for (uint32_t i = 0; i < cfg->n_servers; i++)
        if (i != sim_self(c) && peer_of(cfg, st, i)->acked_round >= round) n++;
    return n >= majority(cfg);
}

/* Moves each waiting read on: (1) once an entry of this term is committed, note the
 * commit index and start a heartbeat round; (2) once a majority answered that round,
 * we were still leader when the read arrived; (3) once the noted index is applied,
 * the state machine reflects every write that finished before the read began. */
static void serve_reads(sim_ctx *c)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    if (cfg->reads != READS_INDEX || st->role != SIM_ROLE_LEADER || !st->n_reads) return;
    raft_read_t *rd = reads_of(cfg, st);
    bool in_term = term_at(cfg, du, st->commit_index) == du->current_term, start = false;
    uint32_t keep = 0;
    for (uint32_t i = 0; i < st->n_reads; i++) {
        raft_read_t *r = &rd[i];
        if (!r->round && in_term) {
            r->read_index = st->commit_index;
            r->round = st->read_round + 1;
            start = true;
        }
        if (r->round && read_confirmed(c, r->round) && st->last_applied >= r->read_index) {
            kv_reply(c, &r->req, kv_read(kv_of(cfg, st), r->req.key));
            continue;
        }
        rd[keep++] = *r;
    }
    st->n_reads = keep;
    if (start) {
        st->read_round++;
        du->stats.read_rounds++;
        send_append_to_all(c);
    }
}

static void raft_request(sim_ctx *c, const sim_req_t *req)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    maybe_compact(c);
    if (st->role != SIM_ROLE_LEADER) {
        if (st->leader) sim_reply_redirect(c, req, st->leader - 1);
        else sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0);
        return;
    }
    if (req->f != SIM_OP_READ && req->f != SIM_OP_WRITE && req->f != SIM_OP_CAS && req->f != SIM_OP_ADD) {
        sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0);     /* not a command of the kv state machine */
        return;
    }
    if (req->f == SIM_OP_READ && cfg->reads == READS_INDEX) {
        if (st->n_reads >= RAFT_READS_MAX) { sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0); return; }
        raft_read_t *r = &reads_of(cfg, st)[st->n_reads++];
        memset(r, 0, sizeof *r);
        r->req = *req;
        serve_reads(c);
        return;
    }
    raft_entry_t e = entry_of(req, du->current_term);
    if (!log_append(c, &e)) {
        sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0);   /* full of uncommitted entries */
        return;
    }
    /* Followers with entries in flight get the new one when those are answered (or at
     * the next heartbeat), so a busy leader batches instead of flooding; followers
     * being sent a snapshot get entries after it. */
    for (uint32_t i = 0; i < cfg->n_servers; i++) {
        const raft_peer_t *p = peer_of(cfg, st, i);
        if (i != sim_self(c) && p->sent_last <= p->match_index && p->next_index > du->log_base) send_append(c, i);
    }
    if (cfg->n_servers == 1) advance_commit(c);
}

/* ---- Events. --------------------------------------------------------------------- */

static void raft_init(sim_ctx *c)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    st->role = SIM_ROLE_FOLLOWER;
    if (du->snap_index > 0) memcpy(kv_of(cfg, st), snap_kv_of(cfg, du), cfg->machine_bytes);
    else kv_init(kv_of(cfg, st), cfg->n_keys);     /* and the sessions are zero: empty */
    st->commit_index = st->last_applied = du->snap_index;
    /* No leader heard of yet: pre-votes may be granted at once. */
    st->leader_contact_ns = sim_now(c) - cfg->election_timeout_ns[0];
    st->election_timeout_ns = random_timeout(c);
    st->election_deadline_ns = sim_now(c) + st->election_timeout_ns;
    st->election_timer_ns = st->election_deadline_ns;
    st->election_timer = sim_timer_set(c, st->election_timeout_ns, TIMER_ELECTION, 0);
    sim_set_role(c, SIM_ROLE_FOLLOWER, du->current_term);
}

static void raft_message(sim_ctx *c, const sim_msg_t *m)
{
    sim_assert(m->from < cfg_of(c)->n_servers);
    maybe_compact(c);
    switch ((raft_msg_type_t)m->type) {
    case RAFT_REQUEST_VOTE: sim_assert(m->len == sizeof(raft_vote_t)); on_request_vote(c, m); break;
    case RAFT_PRE_VOTE: sim_assert(m->len == sizeof(raft_vote_t)); on_pre_vote(c, m); break;
    case RAFT_VOTE_REPLY: sim_assert(m->len == sizeof(raft_vote_reply_t)); on_vote_reply(c, m, false); break;
    case RAFT_PRE_VOTE_REPLY: sim_assert(m->len == sizeof(raft_vote_reply_t)); on_vote_reply(c, m, true); break;
    case RAFT_APPEND: on_append(c, m); break;
    case RAFT_APPEND_REPLY: sim_assert(m->len == sizeof(raft_append_reply_t)); on_append_reply(c, m); break;
    case RAFT_SNAPSHOT: on_snapshot(c, m); break;
    case RAFT_SNAPSHOT_REPLY: sim_assert(m->len == sizeof(raft_snapshot_reply_t)); on_snapshot_reply(c, m); break;
    }
}

/* One election timer per server runs for its whole life. Signs of a leader push the
 * deadline back with a fresh draw (reset_election_timer); the timer, when it fires
 * early, sleeps again until the deadline. */
static void raft_timer(sim_ctx *c, int kind, uint64_t data)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    maybe_compact(c);
    if (kind == TIMER_HEARTBEAT) {
        if (st->role != SIM_ROLE_LEADER || (int64_t)data != du->current_term) return;   /* an old term's */
        send_append_to_all(c);
        sim_timer_set(c, cfg->heartbeat_ns, TIMER_HEARTBEAT, data);
        return;
    }
    sim_time_t now = sim_now(c);
    if (st->role == SIM_ROLE_LEADER) st->election_deadline_ns = now + st->election_timeout_ns;
    if (now < st->election_deadline_ns) {
        st->election_timer = sim_timer_set(c, st->election_deadline_ns - now, TIMER_ELECTION, 0);
        st->election_timer_ns = st->election_deadline_ns;
        return;
    }
    st->election_timeout_ns = random_timeout(c);
    st->election_deadline_ns = now + st->election_timeout_ns;
    st->election_timer = sim_timer_set(c, st->election_timeout_ns, TIMER_ELECTION, 0);
    st->election_timer_ns = st->election_deadline_ns;
    if (cfg->prevote) start_prevote(c);
    else start_election(c);
}

/* ---- Views: describe, export, summary. -------------------------------------------- */

static void raft_describe(sim_ctx *c, proto_desc_t *d)
{
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    snprintf(d->role, sizeof d->role, "%s", sim_role_names[st->role]);
    d->term = du->current_term;
    d->commit = st->commit_index;
    d->log_len = last_index(du);
    if (du->log_base)
        snprintf(d->line, sizeof d->line, "%s t%lld log %lld..%lld commit %lld", sim_role_names[st->role],
                 (long long)du->current_term, (long long)du->log_base + 1, (long long)last_index(du),
                 (long long)st->commit_index);
    else
        snprintf(d->line, sizeof d->line, "%s t%lld log %lld commit %lld", sim_role_names[st->role],
                 (long long)du->current_term, (long long)last_index(du), (long long)st->commit_index);
}

static void raft_export(sim_ctx *c, jw_t *w)
{
    const raft_config_t *cfg = cfg_of(c);
    raft_state_t *st = st_of(c);
    raft_durable_t *du = du_of(c);
    jw_obj_begin(w);
    jw_kstr(w, "role", st->role == SIM_ROLE_NONE ? "down" : sim_role_names[st->role]);
    jw_kint(w, "term", du->current_term);
    jw_key(w, "voted_for");
    if (du->voted_for) jw_str(w, sim_node_name(c, (uint32_t)du->voted_for - 1));
    else jw_null(w);
    jw_key(w, "leader");
    if (st->leader) jw_str(w, sim_node_name(c, st->leader - 1));
    else jw_null(w);
    jw_kint(w, "commit_index", st->commit_index);
    jw_kint(w, "last_applied", st->last_applied);
    jw_key(w, "snapshot");
    if (du->snap_index) {
        jw_obj_begin(w);
        jw_kint(w, "last_index", du->snap_index);
        jw_kint(w, "last_term", du->snap_term);
        jw_obj_end(w);
    } else {
        jw_null(w);
    }
    jw_key(w, "log");
    jw_arr_begin(w);
    for (int64_t i = du->log_base + 1; i <= last_index(du); i++) {
        const raft_entry_t *e = entry_at(cfg, du, i);
        char op[64];
        entry_text(e, op, sizeof op);
        jw_obj_begin(w);
        jw_kint(w, "index", i);
        jw_kint(w, "term", e->term);
        jw_kstr(w, "op", op);
        jw_kbool(w, "committed", i <= st->commit_index);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    if (st->role == SIM_ROLE_LEADER) {
        jw_key(w, "peers");
        jw_arr_begin(w);
        for (uint32_t i = 0; i < cfg->n_servers; i++) {
            if (i == sim_self(c)) continue;
            const raft_peer_t *p = peer_of(cfg, st, i);
            jw_obj_begin(w);
            jw_kstr(w, "node", sim_node_name(c, i));
            jw_kint(w, "next_index", p->next_index);
            jw_kint(w, "match_index", p->match_index);
            jw_obj_end(w);
        }
        jw_arr_end(w);
    }
    jw_key(w, "kv");
    if (st->role != SIM_ROLE_NONE) kv_export(kv_of(cfg, st), w);
    else jw_null(w);
    jw_obj_end(w);
}

static const raft_config_t *cfg_of_sim(const sim_t *s) { return sim_config_of(s); }

static void raft_summary(sim_t *s, jw_t *w)
{
    raft_stats_t sum;
    memset(&sum, 0, sizeof sum);
    int64_t commit = 0;
    for (uint32_t u = 0; u < sim_n_servers(s); u++) {
        const raft_durable_t *du = sim_node_durable(s, u);
        const raft_state_t *st = sim_node_state(s, u);
        sum.elections += du->stats.elections;
        sum.prevotes += du->stats.prevotes;
        sum.snapshots += du->stats.snapshots;
        sum.installs += du->stats.installs;
        sum.read_rounds += du->stats.read_rounds;
        if (st->commit_index > commit) commit = st->commit_index;
    }
    jw_kint(w, "commit_index_max", commit);
    jw_kuint(w, "elections_started", sum.elections);
    jw_kuint(w, "pre_votes_started", sum.prevotes);
    jw_kuint(w, "snapshots_taken", sum.snapshots);
    jw_kuint(w, "snapshots_installed", sum.installs);
    jw_kuint(w, "read_index_rounds", sum.read_rounds);
}

/* Every up server's state machine holds the same data (for convergence times). A
 * server behind by a few entries is not equal yet, which is what convergence means. */
static bool raft_replicas_equal(sim_t *s)
{
    const raft_config_t *cfg = cfg_of_sim(s);
    const kv_t *first = NULL;
    for (uint32_t u = 0; u < cfg->n_servers; u++) {
        if (!sim_node_up(s, u)) continue;
        const kv_t *kv = kv_of(cfg, sim_node_state(s, u));
        if (!first) first = kv;
        else if (!kv_equal(first, kv)) return false;
    }
    return true;
}

bool raft_view(sim_t *s, uint32_t node, raft_view_t *out)
{
    if (strcmp(sim_protocol(s)->name, proto_raft.name) != 0 || node >= sim_n_servers(s)) return false;
    const raft_config_t *cfg = cfg_of_sim(s);
    raft_state_t *st = sim_node_state(s, node);
    raft_durable_t *du = sim_node_durable(s, node);
    bool up = sim_node_up(s, node);
    memset(out, 0, sizeof *out);
    out->role = up ? (sim_role_t)st->role : SIM_ROLE_NONE;
    out->term = du->current_term;
    out->voted_for = du->voted_for - 1;
    out->leader = up ? (int64_t)st->leader - 1 : -1;
    out->commit_index = st->commit_index;
    out->last_applied = st->last_applied;
    out->snap_index = du->snap_index;
    out->log_base = du->log_base;
    out->snap_term = du->snap_term;
    out->last_index = last_index(du);
    out->entries = log_of(cfg, du);
    out->kv = up ? kv_of(cfg, st) : NULL;
    return true;
}

/* ---- Invariants (Figure 3). -------------------------------------------------------
 *
 * raft_check runs after every event, so it looks only at what changed:
 *
 *   election safety       when a server is first seen leading a term, its id is noted
 *                         in a table of recent terms; another id for the same term is
 *                         a violation.
 *   leader append-only    every write to a log records the lowest index it touched
 *                         (chk_dirty); a leader still in the same term must only have
 *                         written past the end it had at the previous check.
 *   log matching          each newly written entry is compared with the entries at the
 *                         same index on every other server: the same term must mean the
 *                         same command, and the same term just before. By induction
 *                         this is the whole property, at O(servers) per new entry.
 *   state machine safety  the first server to apply index i records its entry; every
 *                         later application of i, anywhere, must be the same entry.
 *   leader completeness   that record also says by which term the entry was
 *                         committed (the applier's term then, an upper bound); every
 *                         leader of a later term must hold it -- checked when a leader
 *                         is first seen, and when an entry is first applied.
 *
 * Tables are rings of RAFT_CHECK_TERMS terms and RAFT_CHECK_COMMITS entries; what falls
 * out of them is no longer checked, which can only miss a violation, never invent one.
 */

static const char *node_name(const sim_t *s, uint32_t u)
{
    return sim_name_of(s, u);
}

static raft_check_t *chk_adopt(sim_t *s)
{
    raft_check_t *k = sim_check_state(s);
    if (k->run == 0) k->run = 1;     /* ring slots of run 0 are empty */
    return k;
}

/* Whether a server's log holds entry e at index i (an index before its log is in its
 * snapshot: committed and applied there, and so checked when it was applied). */
static bool chk_holds(const raft_config_t *cfg, raft_durable_t *du, int64_t i, const raft_entry_t *e)
{
    if (i <= du->log_base) return true;
    return i <= last_index(du) && entry_same(entry_at(cfg, du, i), e);
}

static bool chk_log_matching(sim_t *s, const raft_config_t *cfg, uint32_t u, int64_t from, sim_violation_t *v)
{
    raft_durable_t *du = sim_node_durable(s, u);
    if (from <= du->log_base) from = du->log_base + 1;
    for (int64_t i = from; i <= last_index(du); i++) {
        const raft_entry_t *e = entry_at(cfg, du, i);
        for (uint32_t w = 0; w < cfg->n_servers; w++) {
            raft_durable_t *dw = sim_node_durable(s, w);
            if (w == u || i <= dw->log_base || i > last_index(dw)) continue;
            const raft_entry_t *f = entry_at(cfg, dw, i);
            if (f->term != e->term) continue;
            if (!entry_same(e, f)) {
                char a[64], b[64];
                entry_text(e, a, sizeof a);
                entry_text(f, b, sizeof b);
                return sim_violation_set(v, "log-matching", u, w, "%s and %s both hold an entry of term %lld at index %lld, "
                                "but different ones: %s and %s", node_name(s, u), node_name(s, w),
                                (long long)e->term, (long long)i, a, b);
            }
            int64_t j = i - 1;
            if (j > du->log_base && j > dw->log_base && term_at(cfg, du, j) != term_at(cfg, dw, j))
                return sim_violation_set(v, "log-matching", u, w, "%s and %s agree on index %lld (term %lld) but not on "
                                "index %lld before it (terms %lld and %lld)", node_name(s, u), node_name(s, w),
                                (long long)i, (long long)e->term, (long long)j,
                                (long long)term_at(cfg, du, j), (long long)term_at(cfg, dw, j));
        }
    }
    return false;
}

static bool chk_new_leader(sim_t *s, const raft_config_t *cfg, raft_check_t *k, uint32_t u, sim_violation_t *v)
{
    raft_durable_t *du = sim_node_durable(s, u);
    int64_t term = du->current_term;
    chk_leader_t *l = &k->leader[term % RAFT_CHECK_TERMS];
    if (l->run == k->run && l->term == term && l->node != u)
        return sim_violation_set(v, "election-safety", l->node, u, "%s and %s were both leader in term %lld",
                        node_name(s, l->node), node_name(s, u), (long long)term);
    l->term = term;
    l->node = u;
    l->run = k->run;
    int64_t lo = k->max_committed - RAFT_CHECK_COMMITS + 1;
    if (lo <= du->log_base) lo = du->log_base + 1;
    for (int64_t i = lo < 1 ? 1 : lo; i <= k->max_committed; i++) {
        const chk_commit_t *g = &k->commit[i % RAFT_CHECK_COMMITS];
        if (g->run != k->run || g->index != i || g->commit_term >= term || chk_holds(cfg, du, i, &g->e)) continue;
        char a[64];
        entry_text(&g->e, a, sizeof a);
        return sim_violation_set(v, "leader-completeness", u, g->node, "%s became leader of term %lld without the entry at "
                        "index %lld (%s, term %lld), which was committed by term %lld (%s applied it)",
                        node_name(s, u), (long long)term, (long long)i, a, (long long)g->e.term,
                        (long long)g->commit_term, node_name(s, g->node));
    }
    return false;
}

static bool chk_applied(sim_t *s, const raft_config_t *cfg, raft_check_t *k, uint32_t u, sim_violation_t *v)
{
    raft_state_t *st = sim_node_state(s, u);
    raft_durable_t *du = sim_node_durable(s, u);
    chk_node_t *kn = &k->node[u];
    if (st->last_applied < kn->applied) kn->applied = st->last_applied;     /* restarted */
    int64_t i = (kn->applied > du->log_base ? kn->applied : du->log_base) + 1;
    for (; i <= st->last_applied && i <= last_index(du); i++) {
        const raft_entry_t *e = entry_at(cfg, du, i);
        chk_commit_t *g = &k->commit[i % RAFT_CHECK_COMMITS];
        if (g->run == k->run && g->index == i) {
            if (entry_same(&g->e, e)) continue;
            char a[64], b[64];
            entry_text(&g->e, a, sizeof a);
            entry_text(e, b, sizeof b);
            return sim_violation_set(v, "state-machine-safety", g->node, u, "%s applied %s (term %lld) at index %lld, "
                            "but %s applied %s (term %lld) there", node_name(s, g->node), a, (long long)g->e.term,
                            (long long)i, node_name(s, u), b, (long long)e->term);
        }
        if (g->run == k->run && g->index > i) continue;    /* out of the ring: too old to check */
        g->run = k->run;
        g->index = i;
        g->commit_term = du->current_term;
        g->node = u;
        g->e = *e;
        if (i > k->max_committed) k->max_committed = i;
        for (uint32_t w = 0; w < cfg->n_servers; w++) {
            raft_state_t *sw = sim_node_state(s, w);
            raft_durable_t *dw = sim_node_durable(s, w);
            if (!sim_node_up(s, w) || sw->role != SIM_ROLE_LEADER || dw->current_term <= g->commit_term) continue;
            if (chk_holds(cfg, dw, i, e)) continue;
            char a[64];
            entry_text(e, a, sizeof a);
            return sim_violation_set(v, "leader-completeness", w, u, "%s is leader of term %lld without the entry at index "
                            "%lld (%s, term %lld), which %s applied as committed in term %lld", node_name(s, w),
                            (long long)dw->current_term, (long long)i, a, (long long)e->term, node_name(s, u),
                            (long long)g->commit_term);
        }
    }
    kn->applied = st->last_applied;
    return false;
}

static bool raft_check(sim_t *s, sim_violation_t *v)
{
    const raft_config_t *cfg = cfg_of_sim(s);
    raft_check_t *k = chk_adopt(s);
    for (uint32_t u = 0; u < cfg->n_servers; u++) {
        raft_state_t *st = sim_node_state(s, u);
        raft_durable_t *du = sim_node_durable(s, u);
        chk_node_t *kn = &k->node[u];
        bool up = sim_node_up(s, u), leads = up && st->role == SIM_ROLE_LEADER;
        bool same_leader = leads && kn->lead_term == du->current_term;
        int64_t dirty = st->chk_dirty;
        st->chk_dirty = 0;
        if (same_leader && ((dirty && dirty <= kn->lead_last) || last_index(du) < kn->lead_last))
            return sim_violation_set(v, "leader-append-only", u, u, "%s, leader of term %lld, changed its log at index %lld; "
                            "it held entries up to %lld and may only append", node_name(s, u),
                            (long long)du->current_term, (long long)(dirty ? dirty : last_index(du) + 1),
                            (long long)kn->lead_last);
        if (dirty && chk_log_matching(s, cfg, u, dirty, v)) return true;
        if (leads && !same_leader && chk_new_leader(s, cfg, k, u, v)) return true;
        kn->lead_term = leads ? du->current_term : 0;
        kn->lead_last = leads ? last_index(du) : 0;
        if (!up) { kn->applied = 0; continue; }
        if (chk_applied(s, cfg, k, u, v)) return true;
    }
    return false;
}

/* ---- Parameters and the protocol table. ------------------------------------------ */

static int raft_configure(void *p, const proto_env_t *env, char *err, size_t len)
{
    raft_config_t *cfg = p;
    char a[32], b[32];
    if (env->n_servers > RAFT_SERVERS_MAX) {
        snprintf(err, len, "raft runs on at most %d servers; this scenario has %u", RAFT_SERVERS_MAX, env->n_servers);
        return SIM_EINPUT;
    }
    if (cfg->election_timeout_ns[0] <= 0) {
        snprintf(err, len, "election_timeout must be above zero");
        return SIM_EINPUT;
    }
    if (cfg->heartbeat_ns >= cfg->election_timeout_ns[0]) {
        snprintf(err, len, "heartbeat (%s) must be shorter than the shortest election_timeout (%s), or followers "
                 "start elections while their leader is alive",
                 sim_format_duration(cfg->heartbeat_ns, a, sizeof a),
                 sim_format_duration(cfg->election_timeout_ns[0], b, sizeof b));
        return SIM_EINPUT;
    }
    if (cfg->snapshot_after > cfg->log_max) {
        snprintf(err, len, "snapshot_after (%lld) must be at most log_max (%lld), or the log fills before it is compacted",
                 (long long)cfg->snapshot_after, (long long)cfg->log_max);
        return SIM_EINPUT;
    }
    if (cfg->reads == READS_INDEX && !cfg->noop) {
        snprintf(err, len, "reads \"read-index\" needs noop: a new leader learns its commit index by committing "
                 "an entry of its own term");
        return SIM_EINPUT;
    }
    cfg->n_servers = env->n_servers;
    cfg->n_keys = env->n_keys;
    cfg->n_clients = env->n_clients;
    cfg->kv_bytes = kv_bytes(env->n_keys);
    cfg->machine_bytes = align8(cfg->kv_bytes) + (size_t)env->n_clients * sizeof(raft_session_t);
    bool snaps = cfg->snapshot_after > 0;
    size_t append_bytes = sizeof(raft_append_t) + (size_t)cfg->batch_max * sizeof(raft_entry_t);
    size_t snap_bytes = snaps ? sizeof(raft_snapshot_t) + RAFT_CHUNK_BYTES : 0;
    size_t off = align8(sizeof(raft_state_t));
    cfg->st_peers = off;
    off += align8((size_t)env->n_servers * sizeof(raft_peer_t));
    cfg->st_reads = off;
    off += cfg->reads == READS_INDEX ? RAFT_READS_MAX * sizeof(raft_read_t) : 0;
    cfg->st_kv = off;
    off += cfg->machine_bytes;
    cfg->st_stage = off;
    off += snaps ? cfg->machine_bytes : 0;
    cfg->st_scratch = off;
    off += align8(append_bytes > snap_bytes ? append_bytes : snap_bytes);
    cfg->st_bytes = off;
    off = align8(sizeof(raft_durable_t));
    cfg->du_snap = off;
    off += snaps ? cfg->machine_bytes : 0;
    cfg->du_log = off;
    off += (size_t)cfg->log_max * sizeof(raft_entry_t);
    cfg->du_bytes = off;
    return SIM_OK;
}

static size_t raft_state_size(const void *p) { return ((const raft_config_t *)p)->st_bytes; }
static size_t raft_durable_size(const void *p) { return ((const raft_config_t *)p)->du_bytes; }

static const char *const raft_types[] = {
    "request-vote", "vote-reply", "pre-vote", "pre-vote-reply",
    "append-entries", "append-reply", "install-snapshot", "snapshot-reply", NULL,
};

static const proto_param_t raft_params[] = {
    {"election_timeout", PROTO_PARAM_DURATION_RANGE, "[\"150ms\",\"300ms\"]", 1, 0, NULL,
     offsetof(raft_config_t, election_timeout_ns),
     "a follower that hears from no leader for a random time in this range starts an election (5.2)"},
    {"heartbeat", PROTO_PARAM_DURATION, "50ms", 1e3, 3.6e12, NULL, offsetof(raft_config_t, heartbeat_ns),
     "how often an idle leader sends empty append-entries; shorter than the election timeout"},
    {"reads", PROTO_PARAM_ENUM, "log", 1, 0, "log|read-index", offsetof(raft_config_t, reads),
     "linearizable reads as log entries, or by read-index: a heartbeat round confirms leadership (thesis 6.4)"},
    {"prevote", PROTO_PARAM_BOOL, "false", 1, 0, NULL, offsetof(raft_config_t, prevote),
     "ask for pre-votes before an election, so a returning server does not disrupt the cluster (thesis 9.6)"},
    {"noop", PROTO_PARAM_BOOL, "true", 1, 0, NULL, offsetof(raft_config_t, noop),
     "a new leader appends a no-op entry, committing earlier entries without waiting for a client (section 8)"},
    {"snapshot_after", PROTO_PARAM_INT, "0", 0, 1 << 20, NULL, offsetof(raft_config_t, snapshot_after),
     "snapshot the state machine and drop the log up to it after this many applied entries (section 7); 0: never"},
    {"log_max", PROTO_PARAM_INT, "4096", 1, 1 << 20, NULL, offsetof(raft_config_t, log_max),
     "entries one server's log can hold (durable storage: 48 bytes each)"},
    {"batch_max", PROTO_PARAM_INT, "64", 1, 4096, NULL, offsetof(raft_config_t, batch_max),
     "entries in one append-entries message"},
    {"variant", PROTO_PARAM_ENUM, "none", 1, 0, "none|commit-old-term-by-count|no-up-to-date-check",
     offsetof(raft_config_t, variant),
     "a deliberate bug for teaching: commit old-term entries by counting (Figure 8), or vote without the log check"},
    {NULL},
};

/* A message's fields for the window's hover, as RaftScope shows them. The payload is
 * copied out first: it need not be aligned. */
static int raft_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    switch ((raft_msg_type_t)type) {
    case RAFT_REQUEST_VOTE:
    case RAFT_PRE_VOTE: {
        raft_vote_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "term %" PRId64 ", last log index %" PRId64 ", last log term %" PRId64,
                        m.term, m.last_index, m.last_term);
    }
    case RAFT_VOTE_REPLY:
    case RAFT_PRE_VOTE_REPLY: {
        raft_vote_reply_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "term %" PRId64 ", vote %s", m.term, m.granted ? "granted" : "refused");
    }
    case RAFT_APPEND: {
        raft_append_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        int n = snprintf(buf, buf_len, "term %" PRId64 ", prev index %" PRId64 " (term %" PRId64 "), commit %" PRId64 ", ",
                         m.term, m.prev_index, m.prev_term, m.leader_commit);
        if (m.n_entries == 0) return n + snprintf(buf + n, buf_len > (size_t)n ? buf_len - (size_t)n : 0, "heartbeat");
        return n + snprintf(buf + n, buf_len > (size_t)n ? buf_len - (size_t)n : 0, "%u entries from index %" PRId64,
                            m.n_entries, m.prev_index + 1);
    }
    case RAFT_APPEND_REPLY: {
        raft_append_reply_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        if (m.success) return snprintf(buf, buf_len, "term %" PRId64 ", success, match index %" PRId64, m.term, m.match_index);
        return snprintf(buf, buf_len, "term %" PRId64 ", failure: retry from index %" PRId64 " (conflict term %" PRId64 ")",
                        m.term, m.conflict_index, m.conflict_term);
    }
    case RAFT_SNAPSHOT: {
        raft_snapshot_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "term %" PRId64 ", snapshot through index %" PRId64 " (term %" PRId64 "), bytes %u..%u of %u",
                        m.term, m.last_index, m.last_term, m.offset, m.offset + m.len, m.total);
    }
    case RAFT_SNAPSHOT_REPLY: {
        raft_snapshot_reply_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "term %" PRId64 ", snapshot through %" PRId64 ": %u bytes received%s",
                        m.term, m.last_index, m.offset, m.done ? ", done" : "");
    }
    }
    return 0;
}

const proto_t proto_raft = {
    .version = PROTO_VERSION,
    .name = "raft",
    .purpose = "Raft consensus: elections, log replication, snapshots and a replicated key-value store",
    .state_size = sizeof(raft_state_t),
    .durable_size = sizeof(raft_durable_t),
    .config_size = sizeof(raft_config_t),
    .msg_types = raft_types,
    .params = raft_params,
    .configure = raft_configure,
    .state_size_for = raft_state_size,
    .init = raft_init,
    .on_message = raft_message,
    .on_timer = raft_timer,
    .on_request = raft_request,
    .describe = raft_describe,
    .export_state = raft_export,
    .check = raft_check,
    .summary = raft_summary,
    .durable_size_for = raft_durable_size,
    .replicas_equal = raft_replicas_equal,
    .check_size = sizeof(raft_check_t),
    .describe_msg = raft_describe_msg,
};
