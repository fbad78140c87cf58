/* epidemic.c -- anti-entropy and rumor mongering, measured as in Demers et al. 1987.
 *
 * The protocol follows Demers, Greene, Hauser, Irish, Larson, Shenker, Sturgis,
 * Swinehart and Terry, "Epidemic algorithms for replicated database maintenance",
 * PODC 1987: section 1.3 (anti-entropy) and section 1.4 (complex epidemics, that is,
 * rumor mongering). The database is a set of updates; a client's write injects one
 * update at one node, and the protocol's job is to get it to every node. With respect
 * to one update a node is susceptible (does not have it), infective (has it and
 * spreads it: a "hot rumor") or removed (has it, no longer spreads it).
 *
 * Time runs in cycles of `period`. A node starts a cycle whenever its local clock
 * passes a multiple of the period, so with synchronized clocks every node acts at
 * once, cycle by cycle as in the paper's analysis, and with skewed clocks they drift
 * apart.
 * In each cycle every node picks one random peer.
 *
 * Anti-entropy (mode "anti-entropy", section 1.3). The two nodes compare databases and
 * resolve every difference. Comparison is by digest (the list of update ids); only the
 * updates the other side lacks travel, which is the paper's "traffic":
 *
 *      push:       A ──digest(A)──> B ──want(ids B lacks)──> A ──updates──> B
 *      pull:       A ──digest(A)──> B ──updates A lacks────> A
 *      push-pull:  A ──digest(A)──> B ──updates A lacks + want──> A ──updates──> B
 *
 * Anti-entropy is a simple epidemic: it reaches every node, in about log2(n) + ln(n)
 * cycles for push. The paper shows pull and push-pull finish much faster: when a
 * fraction p of nodes is still susceptible, pull leaves p^2 after the next cycle, push
 * only about p/e, because late in the epidemic almost everyone a susceptible node
 * asks has the update, while the few susceptible nodes are rarely picked by pushers.
 *
 * Rumor mongering (mode "rumor", section 1.4). Only hot rumors travel, and a node
 * loses interest in a rumor after a while, so the traffic stops by itself -- at the
 * price of a residue: some nodes may never hear the rumor.
 *
 *      push:       A ──rumor(hot of A)──> B            B: new ones become hot
 *                  A <──reply(ids B already knew)── B  (feedback only)
 *      pull:       A ──rumor(nothing, want reply)──> B
 *                  A <──reply(hot of B)── B ;  A ──feedback(ids A already knew)──> B
 *      push-pull:  both at once: the reply carries B's hot rumors and B's feedback
 *
 * When to lose interest is the paper's design space:
 *   feedback + counter  lose interest after k contacts that were unnecessary (the
 *                       partner already knew the rumor);
 *   feedback + coin     on each unnecessary contact, lose interest with probability 1/k;
 *   blind + counter     lose interest after sending the rumor k times;
 *   blind + coin        after each send, lose interest with probability 1/k.
 *
 * The paper measures an update's residue s (the fraction of nodes that never receive
 * it), its traffic m (update transmissions per node), and its delays t_ave (from
 * injection to arrival, averaged over the nodes it reaches) and t_last (to the last
 * one), in cycles. The summary reports exactly these, per update and on average, next
 * to the paper's prediction:
 *   - the equation s = e^{-(k+1)(1-s)} of section 1.4, derived for feedback + coin in
 *     the limit of many nodes (feedback + counter does a little better: Table 1);
 *   - s = e^{-k(1-s)} for blind variants (the same final-size argument with a constant
 *     removal rate; Table 2 matches it for blind + coin);
 *   - the paper's simulations on 1000 sites, Table 1 (push, feedback + counter) and
 *     Table 2 (push, blind + coin), quoted in epi_paper_table1 and _table2 below;
 *   - for push, the relation s = e^{-m} between residue and traffic.
 *
 * What to expect on 1000 nodes. Blind + coin lands on Table 2 (k = 2: s = 0.20,
 * m = 1.6, t_last = 32 cycles). Feedback + counter lands on the equation rather than on
 * Table 1: s = 0.21, 0.059, 0.020 for k = 1, 2, 3 where Table 1 says 0.18, 0.037, 0.011,
 * with correspondingly less traffic (m = 1.59, 2.82, 3.92 against 1.7, 3.3, 4.5). Here a
 * partner that heard the rumor a moment earlier, in the same cycle, already "knew" it.
 * A lockstep model that judges "knew it" at the start of the cycle, and resets the
 * counter after a useful contact, gives 0.17, 0.039, 0.012 -- Table 1 within its noise;
 * changing epi_lose_interest to match is a good exercise. t_last agrees with the tables;
 * t_ave comes out two to three cycles lower, so compare t_last.
 *
 * Rumor mongering can fail; anti-entropy cannot. So `backup_anti_entropy` runs a
 * push-pull anti-entropy exchange now and then behind the rumors, as the paper's
 * conclusions recommend, which drives the residue to zero. Updates learned
 * that way are not made hot again; `residue_rumor` in the summary still shows what
 * rumor mongering alone would have left.
 *
 * A read returns every update the node holds, in arrival order, as a list. The key of
 * a request is ignored: the database is one set. Everything lives in volatile memory,
 * so a crashed node restarts empty (anti-entropy refills it). Times recorded for the
 * statistics (born_ns, got_ns) are true simulated time; the protocol's decisions never
 * look at them.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "proto/proto.h"
#include "proto/vset.h"

enum { EPI_ANTI_ENTROPY, EPI_RUMOR };                 /* param mode */
enum { EPI_PUSH, EPI_PULL, EPI_PUSH_PULL };           /* param exchange */
enum { EPI_FEEDBACK, EPI_BLIND };                     /* param feedback */
enum { EPI_COUNTER, EPI_COIN };                       /* param stop */
enum { EPI_VIA_CLIENT, EPI_VIA_RUMOR, EPI_VIA_ANTI_ENTROPY };
static const char *const epi_via_names[] = {"client", "rumor", "anti-entropy"};
static const char *const epi_mode_names[] = {"anti-entropy", "rumor"};
static const char *const epi_exchange_names[] = {"push", "pull", "push-pull"};
static const char *const epi_feedback_names[] = {"feedback", "blind"};
static const char *const epi_stop_names[] = {"counter", "coin"};

/* Message types, in the order of epi_types. */
enum { EPI_MSG_RUMOR, EPI_MSG_RUMOR_REPLY, EPI_MSG_FEEDBACK, EPI_MSG_DIGEST, EPI_MSG_DIGEST_REPLY, EPI_MSG_UPDATES };
enum { EPI_TIMER_CYCLE, EPI_TIMER_BACKUP };

/* Updates one node can hold. A message carries at most all of them plus as many ids
 * (32 bytes per update), which must fit SIM_PAYLOAD_BYTES_MAX. */
#define EPI_UPDATES_MAX 16384
/* Updates listed one by one in the summary; the averages cover all of them. */
#define EPI_SUMMARY_UPDATES_MAX 64

/* Message flags. */
#define EPI_F_WANT_REPLY 1u    /* rumor: send me your hot rumors (pull, push-pull) */
#define EPI_F_PULL 2u          /* digest: send me what I lack */
#define EPI_F_PUSH 4u          /* digest: tell me what you lack */

typedef struct epi_config {
    int mode, exchange, feedback, stop;
    int64_t k;
    sim_time_t period_ns;
    sim_time_t backup_ns;      /* backup anti-entropy period; 0: off */
    int64_t max_updates;
    uint32_t n_slots;          /* derived: the hash index's slots */
    uint32_t n_servers;        /* derived: from the environment */
} epi_config_t;

/* One update as one node holds it. */
typedef struct epi_update {
    int64_t value;             /* the update's id: the value the client wrote */
    sim_time_t born_ns;        /* when the client's write reached its origin (statistics) */
    sim_time_t got_ns;         /* when this node first had it (statistics) */
    uint32_t origin;           /* the node the client wrote to */
    uint32_t sent;             /* times this node transmitted it: its share of traffic m */
    uint32_t mark;             /* scratch: equals epi_state.stamp while one message is handled */
    uint16_t counter;          /* rumor: unnecessary contacts (feedback) or sends (blind) */
    uint8_t hot;               /* rumor: still infective */
    uint8_t via;               /* EPI_VIA_*: how it arrived */
} epi_update_t;

/* A node: a header, max_updates updates in arrival order, then the hash index. */
typedef struct epi_state {
    uint32_t n;                /* updates held */
    uint32_t n_hot;            /* of which hot rumors */
    uint32_t stamp;            /* bumped per message handled, for epi_update.mark */
    uint32_t _pad;
    uint64_t digest;           /* sum of mixed ids: equal sets have equal digests */
    uint64_t msgs_sent;        /* protocol messages this node sent */
    uint64_t updates_sent;     /* updates those messages carried */
    epi_update_t upd[];
} epi_state_t;

/* On the wire every message is a header, then n_updates updates, then n_ids ids. */
typedef struct epi_hdr {
    uint32_t flags;            /* EPI_F_* */
    uint32_t n_updates;
    uint32_t n_ids;
    uint32_t _pad;
} epi_hdr_t;

typedef struct epi_wire {
    int64_t value;
    sim_time_t born_ns;
    uint32_t origin;
    uint32_t _pad;
} epi_wire_t;

/* Scratch for building one outgoing message. The simulator runs one callback at a
 * time, so one buffer serves every node; it is sized for the largest message. */
static struct {
    epi_wire_t upd[EPI_UPDATES_MAX];
    int64_t ids[EPI_UPDATES_MAX];
    _Alignas(8) uint8_t buf[sizeof(epi_hdr_t) + EPI_UPDATES_MAX * (sizeof(epi_wire_t) + sizeof(int64_t))];
} epi_out;
_Static_assert(sizeof epi_out.buf <= SIM_PAYLOAD_BYTES_MAX, "an epidemic message must fit one payload");

/* ---- Updates held by one node. ------------------------------------------------- */

static vset_slot_t *epi_index(const epi_config_t *cfg, epi_state_t *st)
{
    return (vset_slot_t *)(st->upd + cfg->max_updates);
}

static epi_update_t *epi_find(const epi_config_t *cfg, epi_state_t *st, int64_t value)
{
    int64_t i = vset_find(epi_index(cfg, st), cfg->n_slots, value);
    return i < 0 ? NULL : &st->upd[i];
}

/* Adds an update. Returns 1 if it was new, 0 if the node had it (then *out points at
 * it), -1 if the node is full (the run is halted). */
static int epi_learn(sim_ctx *c, const epi_wire_t *w, int via, epi_update_t **out)
{
    const epi_config_t *cfg = sim_config(c);
    epi_state_t *st = sim_state(c);
    epi_update_t *u = epi_find(cfg, st, w->value);
    if (u) { *out = u; return 0; }
    if (st->n >= cfg->max_updates) {
        sim_halt(c, "epidemic: node %s already holds max_updates (%lld) updates; raise protocol.params.max_updates",
                 sim_node_name(c, sim_self(c)), (long long)cfg->max_updates);
        return -1;
    }
    u = &st->upd[st->n];
    memset(u, 0, sizeof *u);
    u->value = w->value;
    u->born_ns = w->born_ns;
    u->got_ns = sim_now(c);
    u->origin = w->origin;
    u->via = (uint8_t)via;
    u->mark = st->stamp;
    /* Rumor mongering makes a new update hot; backup anti-entropy does not. */
    u->hot = cfg->mode == EPI_RUMOR && via != EPI_VIA_ANTI_ENTROPY;
    st->n_hot += u->hot;
    vset_put(epi_index(cfg, st), cfg->n_slots, u->value, st->n);
    st->n++;
    st->digest += sim_mix64((uint64_t)u->value);
    *out = u;
    return 1;
}

/* One step towards losing interest in a hot rumor (section 1.4, "blind vs. feedback",
 * "counter vs. coin"): called per unnecessary contact with feedback, per send blind. */
static void epi_lose_interest(sim_ctx *c, epi_update_t *u)
{
    const epi_config_t *cfg = sim_config(c);
    epi_state_t *st = sim_state(c);
    if (!u->hot) return;
    bool stop;
    if (cfg->stop == EPI_COUNTER) stop = ++u->counter >= cfg->k;
    else stop = rng_double(sim_rng(c)) * (double)cfg->k < 1.0;    /* probability 1/k */
    if (!stop) return;
    u->hot = 0;
    sim_assert(st->n_hot > 0);
    st->n_hot--;
}

static epi_wire_t epi_wire_of(const epi_update_t *u)
{
    epi_wire_t w = {u->value, u->born_ns, u->origin, 0};
    return w;
}

/* Puts the node's hot rumors into epi_out.upd, skipping those marked with the
 * current stamp (the ones the partner just sent us); returns how many. */
static uint32_t epi_collect_hot(epi_state_t *st)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < st->n && n < st->n_hot; i++) {
        epi_update_t *u = &st->upd[i];
        if (!u->hot || u->mark == st->stamp) continue;
        epi_out.upd[n++] = epi_wire_of(u);
        u->sent++;
    }
    return n;
}

/* Blind variants lose interest by sending: one step for each rumor just sent. */
static void epi_after_blind_send(sim_ctx *c, uint32_t n_sent)
{
    const epi_config_t *cfg = sim_config(c);
    epi_state_t *st = sim_state(c);
    if (cfg->feedback != EPI_BLIND) return;
    for (uint32_t i = 0; i < n_sent; i++) {
        epi_update_t *u = epi_find(cfg, st, epi_out.upd[i].value);
        sim_assert(u != NULL);
        epi_lose_interest(c, u);
    }
}

/* Sends epi_out.upd[0 .. n_upd) and epi_out.ids[0 .. n_ids) as one message. */
static void epi_send(sim_ctx *c, uint32_t to, unsigned type, uint32_t flags, uint32_t n_upd, uint32_t n_ids)
{
    epi_state_t *st = sim_state(c);
    sim_assert(n_upd <= EPI_UPDATES_MAX && n_ids <= EPI_UPDATES_MAX);
    epi_hdr_t h = {flags, n_upd, n_ids, 0};
    uint8_t *p = epi_out.buf;
    memcpy(p, &h, sizeof h);
    p += sizeof h;
    memcpy(p, epi_out.upd, n_upd * sizeof(epi_wire_t));
    p += n_upd * sizeof(epi_wire_t);
    memcpy(p, epi_out.ids, n_ids * sizeof(int64_t));
    p += n_ids * sizeof(int64_t);
    sim_send(c, to, type, epi_out.buf, (uint32_t)(p - epi_out.buf), 0);
    st->msgs_sent++;
    st->updates_sent += n_upd;
}

/* A received message, parsed in place (payloads are 8-byte aligned). */
typedef struct epi_in {
    uint32_t flags, n_upd, n_ids;
    const epi_wire_t *upd;
    const int64_t *ids;
} epi_in_t;

static bool epi_parse(const sim_msg_t *m, epi_in_t *in)
{
    epi_hdr_t h;
    if (m->len < sizeof h) return false;
    memcpy(&h, m->payload, sizeof h);
    if (h.n_updates > EPI_UPDATES_MAX || h.n_ids > EPI_UPDATES_MAX ||
        m->len != sizeof h + h.n_updates * sizeof(epi_wire_t) + h.n_ids * sizeof(int64_t))
        return false;
    in->flags = h.flags;
    in->n_upd = h.n_updates;
    in->n_ids = h.n_ids;
    in->upd = (const epi_wire_t *)((const uint8_t *)m->payload + sizeof h);
    in->ids = (const int64_t *)(in->upd + h.n_updates);
    return true;
}

static uint32_t epi_random_peer(sim_ctx *c, bool *ok)
{
    uint32_t n = sim_n_peers(c);
    *ok = n > 0;
    return n ? sim_peer(c, (uint32_t)rng_below(sim_rng(c), n)) : 0;
}

/* ---- Anti-entropy (section 1.3). ------------------------------------------------ */

static void epi_anti_entropy_start(sim_ctx *c, int exchange)
{
    epi_state_t *st = sim_state(c);
    bool ok;
    uint32_t peer = epi_random_peer(c, &ok);
    if (!ok) return;
    for (uint32_t i = 0; i < st->n; i++) epi_out.ids[i] = st->upd[i].value;
    uint32_t flags = (exchange != EPI_PUSH ? EPI_F_PULL : 0) | (exchange != EPI_PULL ? EPI_F_PUSH : 0);
    epi_send(c, peer, EPI_MSG_DIGEST, flags, 0, st->n);
}

/* B receives A's digest: marks what both have, then sends A what it lacks (pull) and
 * asks for what B lacks (push). */
static void epi_on_digest(sim_ctx *c, const sim_msg_t *m, const epi_in_t *in)
{
    const epi_config_t *cfg = sim_config(c);
    epi_state_t *st = sim_state(c);
    uint32_t n_want = 0, n_upd = 0;
    for (uint32_t i = 0; i < in->n_ids; i++) {
        epi_update_t *u = epi_find(cfg, st, in->ids[i]);
        if (u) u->mark = st->stamp;
        else if (in->flags & EPI_F_PUSH) epi_out.ids[n_want++] = in->ids[i];
    }
    if (in->flags & EPI_F_PULL)
        for (uint32_t i = 0; i < st->n; i++) {
            epi_update_t *u = &st->upd[i];
            if (u->mark == st->stamp) continue;
            epi_out.upd[n_upd++] = epi_wire_of(u);
            u->sent++;
        }
    if (n_upd || n_want) epi_send(c, m->from, EPI_MSG_DIGEST_REPLY, 0, n_upd, n_want);
}

static void epi_on_digest_reply(sim_ctx *c, const sim_msg_t *m, const epi_in_t *in)
{
    const epi_config_t *cfg = sim_config(c);
    epi_state_t *st = sim_state(c);
    epi_update_t *u;
    for (uint32_t i = 0; i < in->n_upd; i++)
        if (epi_learn(c, &in->upd[i], EPI_VIA_ANTI_ENTROPY, &u) < 0) return;
    uint32_t n = 0;
    for (uint32_t i = 0; i < in->n_ids; i++) {
        u = epi_find(cfg, st, in->ids[i]);
        if (!u) continue;            /* cannot happen: the ids came from our digest */
        epi_out.upd[n++] = epi_wire_of(u);
        u->sent++;
    }
    if (n) epi_send(c, m->from, EPI_MSG_UPDATES, 0, n, 0);
}

static void epi_on_updates(sim_ctx *c, const epi_in_t *in)
{
    epi_update_t *u;
    for (uint32_t i = 0; i < in->n_upd; i++)
        if (epi_learn(c, &in->upd[i], EPI_VIA_ANTI_ENTROPY, &u) < 0) return;
}

/* ---- Rumor mongering (section 1.4). -------------------------------------------- */

static void epi_rumor_start(sim_ctx *c)
{
    const epi_config_t *cfg = sim_config(c);
    epi_state_t *st = sim_state(c);
    if (cfg->exchange == EPI_PUSH && st->n_hot == 0) return;   /* push is silent when idle */
    bool ok;
    uint32_t peer = epi_random_peer(c, &ok);
    if (!ok) return;
    st->stamp++;                      /* nothing is marked: collect every hot rumor */
    uint32_t n = cfg->exchange == EPI_PULL ? 0 : epi_collect_hot(st);
    epi_send(c, peer, EPI_MSG_RUMOR, cfg->exchange == EPI_PUSH ? 0 : EPI_F_WANT_REPLY, n, 0);
    epi_after_blind_send(c, n);
}

/* Learns the updates of a message; the ones already known go to epi_out.ids (for
 * feedback). Returns how many were known, or -1 when the node is full. */
static int64_t epi_take_rumors(sim_ctx *c, const epi_in_t *in)
{
    uint32_t known = 0;
    for (uint32_t i = 0; i < in->n_upd; i++) {
        epi_update_t *u;
        int r = epi_learn(c, &in->upd[i], EPI_VIA_RUMOR, &u);
        if (r < 0) return -1;
        u->mark = ((epi_state_t *)sim_state(c))->stamp;
        if (r == 0) epi_out.ids[known++] = in->upd[i].value;
    }
    return known;
}

/* B hears A's rumors (and maybe A's request for B's). */
static void epi_on_rumor(sim_ctx *c, const sim_msg_t *m, const epi_in_t *in)
{
    const epi_config_t *cfg = sim_config(c);
    epi_state_t *st = sim_state(c);
    int64_t known = epi_take_rumors(c, in);
    if (known < 0) return;
    if (cfg->feedback == EPI_BLIND) known = 0;
    uint32_t n = 0;
    if (in->flags & EPI_F_WANT_REPLY) n = epi_collect_hot(st);   /* not the ones A just sent */
    if (n || known) epi_send(c, m->from, EPI_MSG_RUMOR_REPLY, 0, n, (uint32_t)known);
    epi_after_blind_send(c, n);
}

/* A hears B's feedback on A's rumors and B's own rumors. */
static void epi_on_rumor_reply(sim_ctx *c, const sim_msg_t *m, const epi_in_t *in)
{
    const epi_config_t *cfg = sim_config(c);
    epi_state_t *st = sim_state(c);
    for (uint32_t i = 0; i < in->n_ids; i++) {
        epi_update_t *u = epi_find(cfg, st, in->ids[i]);
        if (u) epi_lose_interest(c, u);
    }
    int64_t known = epi_take_rumors(c, in);
    if (known > 0 && cfg->feedback == EPI_FEEDBACK)
        epi_send(c, m->from, EPI_MSG_FEEDBACK, 0, 0, (uint32_t)known);
}

static void epi_on_feedback(sim_ctx *c, const epi_in_t *in)
{
    const epi_config_t *cfg = sim_config(c);
    epi_state_t *st = sim_state(c);
    for (uint32_t i = 0; i < in->n_ids; i++) {
        epi_update_t *u = epi_find(cfg, st, in->ids[i]);
        if (u) epi_lose_interest(c, u);
    }
}

/* ---- Callbacks. ----------------------------------------------------------------- */

/* The next cycle starts when the local clock passes a multiple of the period. A timer
 * that fired a little early (a drifting clock) must not start a second cycle at once. */
static void epi_arm_cycle(sim_ctx *c, bool after_cycle)
{
    const epi_config_t *cfg = sim_config(c);
    sim_time_t into = sim_clock(c) % cfg->period_ns;
    if (into < 0) into += cfg->period_ns;
    sim_time_t delay = cfg->period_ns - into;
    if (after_cycle && delay < cfg->period_ns / 2) delay += cfg->period_ns;
    sim_timer_set(c, delay, EPI_TIMER_CYCLE, 0);
}

static void epi_init(sim_ctx *c)
{
    const epi_config_t *cfg = sim_config(c);
    epi_arm_cycle(c, false);
    if (cfg->mode == EPI_RUMOR && cfg->backup_ns > 0)   /* a random phase: backups spread out */
        sim_timer_set(c, (sim_time_t)rng_below(sim_rng(c), (uint64_t)cfg->backup_ns) + 1, EPI_TIMER_BACKUP, 0);
}

static void epi_timer(sim_ctx *c, int kind, uint64_t data)
{
    const epi_config_t *cfg = sim_config(c);
    if (kind == EPI_TIMER_BACKUP) {
        epi_anti_entropy_start(c, EPI_PUSH_PULL);
        sim_timer_set(c, cfg->backup_ns, EPI_TIMER_BACKUP, 0);
        return;
    }
    if (cfg->mode == EPI_ANTI_ENTROPY) epi_anti_entropy_start(c, cfg->exchange);
    else epi_rumor_start(c);
    epi_arm_cycle(c, true);
}

static void epi_message(sim_ctx *c, const sim_msg_t *m)
{
    epi_state_t *st = sim_state(c);
    epi_in_t in;
    if (!epi_parse(m, &in)) {
        sim_log(c, "epidemic: ignored a malformed %u-byte message from %s", m->len, sim_node_name(c, m->from));
        return;
    }
    st->stamp++;                     /* a fresh mark for this message */
    switch (m->type) {
    case EPI_MSG_RUMOR: epi_on_rumor(c, m, &in); break;
    case EPI_MSG_RUMOR_REPLY: epi_on_rumor_reply(c, m, &in); break;
    case EPI_MSG_FEEDBACK: epi_on_feedback(c, &in); break;
    case EPI_MSG_DIGEST: epi_on_digest(c, m, &in); break;
    case EPI_MSG_DIGEST_REPLY: epi_on_digest_reply(c, m, &in); break;
    case EPI_MSG_UPDATES: epi_on_updates(c, &in); break;
    }
}

static void epi_request(sim_ctx *c, const sim_req_t *req)
{
    epi_state_t *st = sim_state(c);
    if (req->f == SIM_OP_READ) {
        for (uint32_t i = 0; i < st->n; i++) epi_out.ids[i] = st->upd[i].value;
        sim_reply_list(c, req, epi_out.ids, st->n);
        return;
    }
    if (req->f != SIM_OP_WRITE) { sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0); return; }
    epi_wire_t w = {req->value, sim_now(c), sim_self(c), 0};
    epi_update_t *u;
    if (epi_learn(c, &w, EPI_VIA_CLIENT, &u) < 0) return;
    sim_reply(c, req, SIM_REPLY_OK, &req->value, 1);
}

static void epi_describe(sim_ctx *c, proto_desc_t *d)
{
    const epi_config_t *cfg = sim_config(c);
    epi_state_t *st = sim_state(c);
    d->log_len = st->n;
    if (cfg->mode == EPI_RUMOR) snprintf(d->line, sizeof d->line, "%u updates, %u hot", st->n, st->n_hot);
    else snprintf(d->line, sizeof d->line, "%u updates", st->n);
}

static void epi_export(sim_ctx *c, jw_t *w)
{
    epi_state_t *st = sim_state(c);
    jw_obj_begin(w);
    jw_key(w, "updates");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < st->n; i++) {
        const epi_update_t *u = &st->upd[i];
        jw_obj_begin(w);
        jw_kint(w, "value", u->value);
        jw_kstr(w, "origin", sim_node_name(c, u->origin));
        jw_kstr(w, "via", epi_via_names[u->via]);
        jw_kbool(w, "hot", u->hot);
        jw_kuint(w, "counter", u->counter);
        jw_kuint(w, "sent", u->sent);
        jw_kint(w, "got_ns", u->got_ns);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_kuint(w, "messages_sent", st->msgs_sent);
    jw_kuint(w, "updates_sent", st->updates_sent);
    jw_obj_end(w);
}

/* ---- Measurements, against the paper. -------------------------------------------- */

/* Push rumor mongering on 1000 sites, from the paper's simulations (section 1.4), as
 * printed in Xerox PARC report CSL-89-1: Table 1 uses feedback and counters, Table 2
 * blind and coin. Row i is k = i + 1. */
typedef struct epi_paper_row { double s, m, t_ave, t_last; } epi_paper_row_t;
static const epi_paper_row_t epi_paper_table1[5] = {
    {0.18, 1.7, 11.0, 16.8}, {0.037, 3.3, 12.1, 16.9}, {0.011, 4.5, 12.5, 17.4},
    {0.0036, 5.6, 12.7, 17.5}, {0.0012, 6.7, 12.8, 17.7},
};
static const epi_paper_row_t epi_paper_table2[5] = {
    {0.96, 0.04, 19, 38}, {0.20, 1.6, 17, 33}, {0.060, 2.8, 15, 32},
    {0.021, 3.9, 14.1, 32}, {0.008, 4.9, 13.8, 32},
};

/* The smaller root of s = exp(-r (1 - s)) by fixed-point iteration from 0 (s = 1 is
 * always a root; for r <= 1 it is the only one and the iteration creeps towards it). */
static double epi_final_size(double r)
{
    double s = 0;
    for (int i = 0; i < 100000; i++) {
        double next = exp(-r * (1 - s));
        if (fabs(next - s) < 1e-12) return next;
        s = next;
    }
    return s;
}

typedef struct epi_tally {
    uint32_t reached, by_rumor, hot;
    uint64_t sent;
    double delay_sum_ns;
    uint32_t n_delays;
    sim_time_t delay_max_ns;
} epi_tally_t;

static bool epi_holder_first(sim_t *s, const epi_config_t *cfg, uint32_t node, const epi_update_t *u)
{
    /* Each update is tallied once: at its origin when the origin still holds it (the
     * usual case: O(1)), otherwise at the lowest-numbered node holding it. */
    if (u->origin < cfg->n_servers && epi_find(cfg, sim_node_state(s, u->origin), u->value))
        return node == u->origin;
    for (uint32_t j = 0; j < node; j++)
        if (epi_find(cfg, sim_node_state(s, j), u->value)) return false;
    return true;
}

static void epi_summary(sim_t *s, jw_t *w)
{
    const epi_config_t *cfg = sim_config_of(s);
    uint32_t n = cfg->n_servers;
    double period = (double)cfg->period_ns;
    jw_kstr(w, "mode", epi_mode_names[cfg->mode]);
    jw_kstr(w, "exchange", epi_exchange_names[cfg->exchange]);
    if (cfg->mode == EPI_RUMOR) {
        jw_kstr(w, "feedback", epi_feedback_names[cfg->feedback]);
        jw_kstr(w, "stop", epi_stop_names[cfg->stop]);
        jw_kint(w, "k", cfg->k);
    }
    jw_kuint(w, "nodes", n);
    jw_kint(w, "period_ns", cfg->period_ns);

    uint64_t msgs = 0;
    for (uint32_t i = 0; i < n; i++) msgs += ((epi_state_t *)sim_node_state(s, i))->msgs_sent;

    double sum_s = 0, sum_s_rumor = 0, sum_m = 0, sum_t_ave = 0, sum_t_last = 0;
    uint32_t n_upd = 0, n_timed = 0;
    uint64_t still_hot = 0;
    jw_key(w, "per_update");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < n; i++) {
        epi_state_t *st = sim_node_state(s, i);
        for (uint32_t k = 0; k < st->n; k++) {
            const epi_update_t *u = &st->upd[k];
            if (!epi_holder_first(s, cfg, i, u)) continue;
            epi_tally_t t = {0};
            for (uint32_t j = 0; j < n; j++) {
                epi_state_t *o = sim_node_state(s, j);
                const epi_update_t *x = epi_find(cfg, o, u->value);
                if (!x) continue;
                t.reached++;
                t.by_rumor += x->via != EPI_VIA_ANTI_ENTROPY;
                t.hot += x->hot;
                t.sent += x->sent;
                if (x->via == EPI_VIA_CLIENT) continue;
                sim_time_t d = x->got_ns - x->born_ns;
                t.delay_sum_ns += (double)d;
                t.n_delays++;
                if (d > t.delay_max_ns) t.delay_max_ns = d;
            }
            double res = (double)(n - t.reached) / n, res_rumor = (double)(n - t.by_rumor) / n;
            double m = (double)t.sent / n;
            double t_ave = t.n_delays ? t.delay_sum_ns / t.n_delays / period : 0;
            double t_last = (double)t.delay_max_ns / period;
            sum_s += res;
            sum_s_rumor += res_rumor;
            sum_m += m;
            still_hot += t.hot;
            if (t.n_delays) { sum_t_ave += t_ave; sum_t_last += t_last; n_timed++; }
            if (n_upd++ < EPI_SUMMARY_UPDATES_MAX) {
                jw_obj_begin(w);
                jw_kint(w, "value", u->value);
                jw_kstr(w, "origin", sim_name_of(s, u->origin));
                jw_kreal(w, "residue", res);
                jw_kreal(w, "traffic", m);
                jw_kreal(w, "t_ave_cycles", t_ave);
                jw_kreal(w, "t_last_cycles", t_last);
                jw_obj_end(w);
            }
        }
    }
    jw_arr_end(w);
    jw_kuint(w, "updates", n_upd);
    if (n_upd > EPI_SUMMARY_UPDATES_MAX) jw_kuint(w, "per_update_omitted", n_upd - EPI_SUMMARY_UPDATES_MAX);
    double du = n_upd ? n_upd : 1, dt = n_timed ? n_timed : 1;
    jw_kreal(w, "residue", sum_s / du);
    if (cfg->mode == EPI_RUMOR) jw_kreal(w, "residue_rumor", sum_s_rumor / du);
    jw_kreal(w, "traffic", sum_m / du);
    jw_kreal(w, "t_ave_cycles", sum_t_ave / dt);
    jw_kreal(w, "t_last_cycles", sum_t_last / dt);
    jw_kint(w, "t_ave_ns", (int64_t)(sum_t_ave / dt * period));
    jw_kint(w, "t_last_ns", (int64_t)(sum_t_last / dt * period));
    /* Rumors still hot when the run ended: the epidemic was not over, so the residue
     * above may still fall. Run longer for the paper's numbers. */
    jw_kuint(w, "still_hot", still_hot);
    jw_kreal(w, "messages_per_node", (double)msgs / n);

    /* Predictions, for push rumor mongering. */
    bool push_rumor = cfg->mode == EPI_RUMOR && cfg->exchange == EPI_PUSH;
    jw_key(w, "model");
    if (!push_rumor) jw_null(w);
    else jw_str(w, cfg->feedback == EPI_FEEDBACK ? "s = exp(-(k+1)(1-s))" : "s = exp(-k(1-s))");
    jw_key(w, "model_residue");
    if (!push_rumor) jw_null(w);
    else jw_real(w, epi_final_size((double)(cfg->k + (cfg->feedback == EPI_FEEDBACK))));
    jw_key(w, "exp_minus_traffic");     /* the paper's s = e^-m for push */
    if (!push_rumor) jw_null(w);
    else jw_real(w, exp(-sum_m / du));
    const epi_paper_row_t *row = NULL;
    const char *table = NULL;
    if (push_rumor && cfg->k >= 1 && cfg->k <= 5) {
        if (cfg->feedback == EPI_FEEDBACK && cfg->stop == EPI_COUNTER) { row = &epi_paper_table1[cfg->k - 1]; table = "1"; }
        if (cfg->feedback == EPI_BLIND && cfg->stop == EPI_COIN) { row = &epi_paper_table2[cfg->k - 1]; table = "2"; }
    }
    jw_key(w, "paper");
    if (!row) {
        jw_null(w);
    } else {
        jw_obj_begin(w);
        jw_kstr(w, "table", table);
        jw_kuint(w, "sites", 1000);
        jw_kreal(w, "residue", row->s);
        jw_kreal(w, "traffic", row->m);
        jw_kreal(w, "t_ave_cycles", row->t_ave);
        jw_kreal(w, "t_last_cycles", row->t_last);
        jw_obj_end(w);
    }
}

/* Convergence: every up node holds the same set of updates, compared by size and an
 * order-free digest in O(nodes); the core samples this to time convergence. */
static bool epi_equal(sim_t *s)
{
    const epi_config_t *cfg = sim_config_of(s);
    const epi_state_t *first = NULL;
    for (uint32_t i = 0; i < cfg->n_servers; i++) {
        if (!sim_node_up(s, i)) continue;
        const epi_state_t *st = sim_node_state(s, i);
        if (!first) first = st;
        else if (st->n != first->n || st->digest != first->digest) return false;
    }
    return true;
}

static size_t epi_size(const void *cfgp)
{
    const epi_config_t *cfg = cfgp;
    return sizeof(epi_state_t) + (size_t)cfg->max_updates * sizeof(epi_update_t) + (size_t)cfg->n_slots * sizeof(vset_slot_t);
}

static int epi_configure(void *cfgp, const proto_env_t *env, char *err, size_t len)
{
    epi_config_t *cfg = cfgp;
    cfg->n_servers = env->n_servers;
    cfg->n_slots = vset_slots_for((uint32_t)cfg->max_updates);
    if (cfg->period_ns <= 0) {
        snprintf(err, len, "period must be longer than 0s: it is the length of one gossip cycle");
        return SIM_EINPUT;
    }
    if (cfg->mode == EPI_ANTI_ENTROPY && cfg->backup_ns > 0) {
        snprintf(err, len, "backup_anti_entropy backs up rumor mode; in anti-entropy mode leave it at 0s");
        return SIM_EINPUT;
    }
    return SIM_OK;
}

static const char *const epi_types[] = {"rumor", "rumor-reply", "feedback", "digest", "digest-reply", "updates", NULL};

/* Decodes a message for the window's hover: "2 updates (17, 23), reply wanted". */
static int epi_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    epi_hdr_t h;
    if (len < sizeof h) return 0;
    memcpy(&h, payload, sizeof h);
    if ((uint64_t)h.n_updates * sizeof(epi_wire_t) + (uint64_t)h.n_ids * sizeof(int64_t) + sizeof h > len) return 0;
    char ups[64] = "";
    int o = 0;
    for (uint32_t i = 0; i < h.n_updates && i < 3 && o >= 0 && (size_t)o < sizeof ups; i++) {
        epi_wire_t w;
        memcpy(&w, (const char *)payload + sizeof h + i * sizeof w, sizeof w);
        o += snprintf(ups + o, sizeof ups - (size_t)o, "%s%lld", i ? ", " : "", (long long)w.value);
    }
    if (h.n_updates > 3 && o >= 0 && (size_t)o < sizeof ups) snprintf(ups + o, sizeof ups - (size_t)o, ", ...");
    const char *name = type < 6 ? epi_types[type] : "?";
    switch (type) {
    case EPI_MSG_RUMOR:
    case EPI_MSG_RUMOR_REPLY:
    case EPI_MSG_UPDATES:
        return snprintf(buf, buf_len, "%s: %u update%s (%s)%s", name, h.n_updates, h.n_updates == 1 ? "" : "s", ups,
                        h.flags & EPI_F_WANT_REPLY ? ", send me your hot rumors" : "");
    case EPI_MSG_FEEDBACK: return snprintf(buf, buf_len, "feedback: %u of them I already had", h.n_ids);
    case EPI_MSG_DIGEST:
    case EPI_MSG_DIGEST_REPLY:
        return snprintf(buf, buf_len, "%s: the ids of %u updates%s%s", name, h.n_ids, h.flags & EPI_F_PULL ? ", send what I lack" : "",
                        h.flags & EPI_F_PUSH ? ", say what you lack" : "");
    }
    return 0;
}
static const proto_param_t epi_params[] = {
    {"mode", PROTO_PARAM_ENUM, "rumor", 0, -1, "anti-entropy|rumor", offsetof(epi_config_t, mode),
     "anti-entropy (a simple epidemic, reaches everyone) or rumor mongering (stops by itself)"},
    {"exchange", PROTO_PARAM_ENUM, "push", 0, -1, "push|pull|push-pull", offsetof(epi_config_t, exchange),
     "which way updates travel between a node and its partner each cycle"},
    {"feedback", PROTO_PARAM_ENUM, "feedback", 0, -1, "feedback|blind", offsetof(epi_config_t, feedback),
     "rumor: lose interest only after contacts with nodes that already knew (feedback), or regardless (blind)"},
    {"stop", PROTO_PARAM_ENUM, "counter", 0, -1, "counter|coin", offsetof(epi_config_t, stop),
     "rumor: lose interest after k such contacts (counter) or with probability 1/k at each (coin)"},
    {"k", PROTO_PARAM_INT, "2", 1, 1000, NULL, offsetof(epi_config_t, k),
     "rumor: the counter limit, or 1/probability of the coin"},
    {"period", PROTO_PARAM_DURATION, "1s", 1, 1e15, NULL, offsetof(epi_config_t, period_ns),
     "length of a cycle: each node contacts one random peer per cycle"},
    {"backup_anti_entropy", PROTO_PARAM_DURATION, "0s", 0, 1e15, NULL, offsetof(epi_config_t, backup_ns),
     "rumor: period of a push-pull anti-entropy exchange that repairs the residue (0s: off)"},
    {"max_updates", PROTO_PARAM_INT, "512", 1, EPI_UPDATES_MAX, NULL, offsetof(epi_config_t, max_updates),
     "updates one node can hold (memory per node: 72 bytes each)"},
    {NULL},
};


/* The human summary's lines, read from the JSON summary (proto_line_t). */
static const proto_line_t epidemic_lines[] = {
    {"spreading", "{protocol_stats.mode|s}, {protocol_stats.exchange|s}, {protocol_stats.updates} updates over {protocol_stats.nodes} nodes"},
    {"rumor", "{protocol_stats.feedback|s}, stop by {protocol_stats.stop|s}, k = {protocol_stats.k}"},
    {"residue", "{protocol_stats.residue|.3} of the nodes never received an update (mean over updates)"},
    {"equation", "{protocol_stats.model|s} gives s = {protocol_stats.model_residue|.3}; s = e^-m gives {protocol_stats.exp_minus_traffic|.3}"},
    {"traffic", "{protocol_stats.traffic|.2} transmissions per node per update, {protocol_stats.messages_per_node|.1} messages per node in all"},
    {"delivery", "mean {protocol_stats.t_ave_cycles|.1} cycles ({protocol_stats.t_ave_ns|ns}), last {protocol_stats.t_last_cycles|.1} cycles ({protocol_stats.t_last_ns|ns})"},
    {"paper", "table {protocol_stats.paper.table|s}, {protocol_stats.paper.sites} sites: residue {protocol_stats.paper.residue|.3}, traffic {protocol_stats.paper.traffic|.2}, mean {protocol_stats.paper.t_ave_cycles|.1}, last {protocol_stats.paper.t_last_cycles|.1} cycles"},
    {"still hot", "{protocol_stats.still_hot} rumors still spreading at the end"},
    {NULL, NULL},
};
const proto_t proto_epidemic = {
    .version = PROTO_VERSION,
    .name = "epidemic",
    .purpose = "anti-entropy and rumor mongering (Demers et al. 1987), measuring residue, traffic and delay",
    .state_size = sizeof(epi_state_t),
    .config_size = sizeof(epi_config_t),
    .msg_types = epi_types,
    .describe_msg = epi_describe_msg,
    .params = epi_params,
    .configure = epi_configure,
    .state_size_for = epi_size,
    .init = epi_init,
    .on_message = epi_message,
    .on_timer = epi_timer,
    .on_request = epi_request,
    .describe = epi_describe,
    .export_state = epi_export,
    .summary = epi_summary,
    .replicas_equal = epi_equal,
    .summary_omit = PROTO_OMIT_LEADERS | PROTO_OMIT_STALENESS,
    .summary_lines = epidemic_lines,
};
