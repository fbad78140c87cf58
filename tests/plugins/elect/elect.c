/* elect.c -- leader election with terms and votes, as in Raft (Ongaro and Ousterhout,
 * "In Search of an Understandable Consensus Algorithm", section 5.2), without the log.
 *
 * Every node starts as a follower with a random election timeout. A follower that
 * hears nothing from a leader before its timeout fires becomes a candidate: it starts
 * a new term, votes for itself and asks every peer for its vote. A node grants at most
 * one vote per term, so at most one candidate can gather a majority in a term: it
 * becomes the leader and sends heartbeats that keep the others from starting
 * elections. A message with a higher term makes anyone a follower of that term.
 *
 *      n1 (timeout)                 n2                      n3
 *       |──vote_req(term 1)────────>|                       |
 *       |──vote_req(term 1)──────────────────────────────── >|
 *       |<──vote_resp(term 1, yes)──|                       |
 *       | majority (2 of 3): leader of term 1               |
 *       |──heartbeat(term 1)───────>|──(resets its timeout) |
 *       |──heartbeat(term 1)─────────────────────────────── >|
 *
 * The term and the vote must survive a crash: a node that forgot whom it voted for
 * could vote twice in one term and elect two leaders. They live in durable storage;
 * everything else is volatile and starts over at restart.
 *
 * Build: make. Test: make test. Run: make run (or dsim run elect.json). Watch: make view.
 */
#include <stdio.h>
#include <string.h>
#include "proto/proto.h"

enum { MSG_VOTE_REQ, MSG_VOTE_RESP, MSG_HEARTBEAT };
static const char *const elect_msg_types[] = {"vote_req", "vote_resp", "heartbeat", NULL};

enum { TIMER_ELECTION = 1, TIMER_HEARTBEAT };

typedef struct elect_config {
    sim_time_t timeout[2];        /* election timeout: drawn uniformly in [min, max) */
    sim_time_t heartbeat;         /* a leader's heartbeat interval */
} elect_config_t;

/* Durable: kept across a crash. */
typedef struct elect_durable {
    int64_t term;                 /* the latest term this node has seen */
    int64_t voted_for;            /* whom it voted for in that term, or -1 */
} elect_durable_t;

/* Volatile: zeroed at a crash. */
typedef struct elect_state {
    sim_role_t role;
    uint64_t voters;              /* as a candidate: who voted for it this term (bit i: node i) */
    uint32_t votes;               /* how many: a duplicated message must not count twice */
    uint64_t election_timer;      /* the pending election timeout, to cancel it */
} elect_state_t;

typedef struct vote_req { int64_t term; } vote_req_t;
typedef struct vote_resp { int64_t term; int granted; } vote_resp_t;
typedef struct heartbeat { int64_t term; } heartbeat_t;

/* A fresh election timeout, random so that nodes rarely time out together. */
static void election_timer_reset(sim_ctx *c)
{
    const elect_config_t *cfg = sim_config(c);
    elect_state_t *st = sim_state(c);
    if (st->election_timer) sim_timer_cancel(c, st->election_timer);
    sim_time_t span = cfg->timeout[1] - cfg->timeout[0];
    sim_time_t t = cfg->timeout[0] + (span > 0 ? (sim_time_t)rng_below(sim_rng(c), (uint64_t)span) : 0);
    st->election_timer = sim_timer_set(c, t, TIMER_ELECTION, 0);
}

static void become_follower(sim_ctx *c, int64_t term)
{
    elect_durable_t *d = sim_durable(c);
    elect_state_t *st = sim_state(c);
    if (term > d->term) { d->term = term; d->voted_for = -1; }
    st->role = SIM_ROLE_FOLLOWER;
    sim_set_role(c, SIM_ROLE_FOLLOWER, d->term);
    election_timer_reset(c);
}

static void send_heartbeats(sim_ctx *c)
{
    const elect_durable_t *d = sim_durable(c);
    heartbeat_t h = {d->term};
    for (uint32_t i = 0; i < sim_n_peers(c); i++) sim_send(c, sim_peer(c, i), MSG_HEARTBEAT, &h, sizeof h, 0);
}

/* Start and restart: a follower of the term it remembers. */
static void elect_init(sim_ctx *c)
{
    elect_durable_t *d = sim_durable(c);
    if (d->term == 0) d->voted_for = -1;      /* the very first start */
    become_follower(c, d->term);
}

static void elect_on_timer(sim_ctx *c, int kind, uint64_t data)
{
    const elect_config_t *cfg = sim_config(c);
    elect_durable_t *d = sim_durable(c);
    elect_state_t *st = sim_state(c);
    if (kind == TIMER_HEARTBEAT) {
        if (st->role != SIM_ROLE_LEADER) return;
        send_heartbeats(c);
        sim_timer_set(c, cfg->heartbeat, TIMER_HEARTBEAT, 0);
        return;
    }
    /* The election timeout: no leader was heard from. Stand for the next term. */
    st->election_timer = 0;
    if (st->role == SIM_ROLE_LEADER) return;
    d->term++;
    d->voted_for = sim_self(c);
    st->role = SIM_ROLE_CANDIDATE;
    st->voters = 1ull << sim_self(c);
    st->votes = 1;
    sim_set_role(c, SIM_ROLE_CANDIDATE, d->term);
    vote_req_t r = {d->term};
    for (uint32_t i = 0; i < sim_n_peers(c); i++) sim_send(c, sim_peer(c, i), MSG_VOTE_REQ, &r, sizeof r, 0);
    election_timer_reset(c);                  /* a split vote times out and tries again */
}

static void elect_on_message(sim_ctx *c, const sim_msg_t *m)
{
    const elect_config_t *cfg = sim_config(c);
    elect_durable_t *d = sim_durable(c);
    elect_state_t *st = sim_state(c);
    int64_t term;                             /* every message starts with its term */
    if (m->len < sizeof term) return;
    memcpy(&term, m->payload, sizeof term);
    if (term > d->term) become_follower(c, term);
    switch (m->type) {
    case MSG_VOTE_REQ: {
        vote_resp_t r = {d->term, 0};
        if (term == d->term && (d->voted_for < 0 || d->voted_for == m->from)) {
            d->voted_for = m->from;
            r.granted = 1;
            election_timer_reset(c);          /* someone is trying: give them time */
        }
        sim_send(c, m->from, MSG_VOTE_RESP, &r, sizeof r, 0);
        break;
    }
    case MSG_VOTE_RESP: {
        const vote_resp_t *r = m->payload;
        if (st->role != SIM_ROLE_CANDIDATE || r->term != d->term || !r->granted) break;
        if (m->from >= 64 || (st->voters >> m->from & 1)) break;     /* counted already */
        st->voters |= 1ull << m->from;
        st->votes++;
        if (st->votes * 2 > sim_servers(c)) {
            st->role = SIM_ROLE_LEADER;
            sim_set_role(c, SIM_ROLE_LEADER, d->term);
            if (st->election_timer) sim_timer_cancel(c, st->election_timer);
            st->election_timer = 0;
            send_heartbeats(c);
            sim_timer_set(c, cfg->heartbeat, TIMER_HEARTBEAT, 0);
        }
        break;
    }
    case MSG_HEARTBEAT:
        if (term < d->term) break;            /* an old leader: ignore it */
        if (st->role != SIM_ROLE_FOLLOWER) become_follower(c, term);
        else election_timer_reset(c);
        break;
    }
}

/* Clients ask whoever leads; the others send them there. */
static void elect_on_request(sim_ctx *c, const sim_req_t *req)
{
    const elect_state_t *st = sim_state(c);
    if (st->role == SIM_ROLE_LEADER) sim_reply(c, req, SIM_REPLY_OK, &req->value, 1);
    else sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0);
}

static void elect_describe(sim_ctx *c, proto_desc_t *d)
{
    const elect_state_t *st = sim_state(c);
    const elect_durable_t *du = sim_durable(c);
    snprintf(d->role, sizeof d->role, "%s", sim_role_names[st->role]);
    d->term = du->term;
    snprintf(d->line, sizeof d->line, "term %lld, voted for %s", (long long)du->term,
             du->voted_for >= 0 ? sim_node_name(c, (uint32_t)du->voted_for) : "nobody");
}

static void elect_export_state(sim_ctx *c, jw_t *w)
{
    const elect_state_t *st = sim_state(c);
    const elect_durable_t *d = sim_durable(c);
    jw_obj_begin(w);
    jw_kstr(w, "role", sim_role_names[st->role]);
    jw_kint(w, "term", d->term);
    jw_kint(w, "voted_for", d->voted_for);
    jw_kint(w, "votes", st->votes);
    jw_obj_end(w);
}

/* Election safety: at most one leader per term, checked after every event. */
static bool elect_check(sim_t *s, sim_violation_t *v)
{
    for (uint32_t a = 0; a < sim_n_servers(s); a++) {
        int64_t ta;
        if (!sim_node_up(s, a) || sim_node_role(s, a, &ta) != SIM_ROLE_LEADER) continue;
        for (uint32_t b = a + 1; b < sim_n_servers(s); b++) {
            int64_t tb;
            if (sim_node_up(s, b) && sim_node_role(s, b, &tb) == SIM_ROLE_LEADER && ta == tb)
                return sim_violation_set(v, "election-safety", a, b, "%s and %s both lead term %lld",
                                         sim_name_of(s, a), sim_name_of(s, b), (long long)ta);
        }
    }
    return false;
}

/* Called once, after the parameters are read: refuse what the code cannot do. */
static int elect_configure(void *config, const proto_env_t *env, char *err, size_t err_len)
{
    const elect_config_t *cfg = config;
    if (env->n_servers > 64) { snprintf(err, err_len, "elect counts votes in 64 bits: at most 64 nodes"); return SIM_EINPUT; }
    if (cfg->heartbeat >= cfg->timeout[0]) {
        snprintf(err, err_len, "heartbeat must be shorter than the election timeout, or followers never hear a leader in time");
        return SIM_EINPUT;
    }
    return SIM_OK;
}

static const proto_param_t elect_params[] = {
    {"election_timeout", PROTO_PARAM_DURATION_RANGE, "[\"150ms\", \"300ms\"]", 1e6, 60e9, NULL,
     offsetof(elect_config_t, timeout), "a follower waits this long (uniformly drawn) for a leader"},
    {"heartbeat", PROTO_PARAM_DURATION, "50ms", 1e6, 60e9, NULL, offsetof(elect_config_t, heartbeat),
     "a leader's heartbeat interval; keep it well under the election timeout"},
    {NULL},
};

const proto_t proto_elect = {
    .version = PROTO_VERSION,
    .name = "elect",
    .purpose = "Raft's leader election: terms, one vote per term, heartbeats",
    .state_size = sizeof(elect_state_t),
    .durable_size = sizeof(elect_durable_t),
    .config_size = sizeof(elect_config_t),
    .msg_types = elect_msg_types,
    .params = elect_params,
    .configure = elect_configure,
    .init = elect_init,
    .on_message = elect_on_message,
    .on_timer = elect_on_timer,
    .on_request = elect_on_request,
    .describe = elect_describe,
    .export_state = elect_export_state,
    .check = elect_check,
};

#ifdef DSIM_PLUGIN
DSIM_PLUGIN_DEFINE(proto_elect)
#endif
