/* stream_log.c -- the replicated log under the pipeline: controller, brokers, producers.
 *
 * This is Apache Kafka's design reduced to what changes the answers (Kreps, Narkhede
 * and Rao, "Kafka: a distributed messaging system for log processing", NetDB 2011,
 * and the replication design that followed). A topic has `partitions` partitions;
 * partition p lives on `replication` brokers, (p + i) mod brokers for i = 0, 1, ...
 * One replica leads: producers write to it and consumers read from it. The others
 * follow by pulling, which is what makes the leader's acknowledgement a choice:
 *
 *      producer ──produce [e1 e2]──> leader      appends at offsets 7, 8
 *      producer <──ack (acks=1)───── leader      at once: only the leader has them
 *                     follower ──replica-fetch(offset 7)──> leader
 *                     follower <──replica-data [e1 e2], hw──  leader
 *                     follower ──replica-fetch(offset 9)──> leader: it has 7 and 8;
 *                                                   the high watermark moves to 9
 *      producer <──ack (acks=all)─── leader      once every in-sync replica has them
 *
 * The in-sync replicas (ISR) are the followers that kept up: one that has not caught
 * up for `replica_lag_max` is dropped, one that catches up again is added back. The
 * high watermark (hw) is the end of what every in-sync replica holds; consumers read
 * only below it, and a record below it is "committed". The leader proposes each ISR
 * change to the controller and uses it only once confirmed, counting a proposed
 * addition at once (KIP-497's "maximal ISR"), so the controller's ISR never names a
 * replica that lacks a committed record. An addition stays counted until the
 * controller answers with a newer ISR version than the proposal was based on: the
 * answer can be lost, and the controller may have taken the proposal all the same.
 *
 *      leader ──alter-isr {b1 b3}, based on v1──> controller: ISR {b1 b3}, v2
 *      leader <──leader-and-isr v2── ╳ lost   the leader still counts b3
 *      leader ──alter-isr {b1}, based on v1──> (rejected: v1 is old) ──> v2 again
 *
 * Forgetting b3 at the second proposal let the leader acknowledge records b3 lacked,
 * and the controller, whose ISR was {b1 b3}, then elected b3 when b1 was cut off.
 *
 * The controller (node 0; Kafka's KRaft quorum reduced to one node that is assumed
 * not to fail) hears every broker's heartbeat. A broker silent for `session_timeout`
 * is dead: each partition it led gets a new leader from the live in-sync replicas, a
 * new leader epoch, and leader-and-isr messages to every replica. With none alive the
 * partition is offline, unless `unclean` elects any live replica and accepts losing
 * what only the dead ones had.
 *
 *      broker2 ╳ crash     controller: no heartbeat for 1s -> p1: leader broker3, epoch 2
 *      controller ──leader-and-isr(p1, broker3, epoch 2)──> broker3, broker4
 *      controller ──metadata──> producers, processors, batch master
 *
 * So acks=1 can lose acknowledged records: the leader acknowledged them, then died
 * before a follower fetched them, and the new leader never had them. When the old
 * leader comes back as a follower its log disagrees with the new leader's; each
 * record carries the epoch of the leader that wrote it, and the follower truncates
 * to where the epochs agree (Kafka's KIP-101, the same idea as Raft's log matching).
 * With acks=all and min_isr >= 2 an acknowledged record is on two in-sync replicas
 * at least, and a clean election only picks those: nothing acknowledged is lost.
 * Jepsen's analyses of Kafka (Kingsbury, 2013) and of Redpanda, a Kafka-compatible
 * log (2022), found exactly these losses.
 *
 * Producers retry a request that timed out or was refused. A retry of a request that
 * did arrive appends its records twice, unless the producer is idempotent: each record
 * carries (producer, sequence number), the leader remembers the highest sequence it
 * holds per producer (rebuilt from the log itself, so followers and new leaders know
 * it too) and drops what it already has (KIP-98). A producer keeps one request in
 * flight per partition, so its records stay in order.
 *
 * Offsets are positions in a partition's array: contiguous and never reused, so
 * "out of order" and "duplicate" are questions about which record sits where. The
 * consumer group's committed offsets are stored with each partition at its leader and
 * copied to followers with the records, as Kafka keeps them in a replicated topic.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "proto/stream.h"

static uint32_t replica_mask(const st_config_t *cfg, uint32_t p)
{
    uint32_t m = 0;
    for (int64_t i = 0; i < cfg->replication; i++) m |= 1u << ((p + (uint32_t)i) % (uint32_t)cfg->brokers);
    return m;
}

static uint32_t popcount32(uint32_t x) { return (uint32_t)__builtin_popcount(x); }

/* ==== The controller. =============================================================== */

static st_ctl_t *ctl_of(sim_ctx *c) { return &((st_state_t *)sim_state(c))->u.ctl; }
static st_ctl_durable_t *ctld_of(sim_ctx *c) { return &((st_durable_t *)sim_durable(c))->u.ctl; }

static void send_lai(sim_ctx *c, uint32_t p, uint32_t b)
{
    const st_ptab_t *pt = &ctld_of(c)->part[p];
    m_lai_t a = {p, pt->leader, pt->epoch, pt->isr, pt->isr_ver};
    sim_send(c, st_broker_node(sim_config(c), b), M_LEADER_AND_ISR, &a, sizeof a, 0);
}

static void send_lai_all(sim_ctx *c, uint32_t p)
{
    const st_config_t *cfg = sim_config(c);
    uint32_t m = replica_mask(cfg, p);
    for (uint32_t b = 0; b < cfg->brokers; b++)
        if (m >> b & 1) send_lai(c, p, b);
}

static void send_metadata(sim_ctx *c, uint32_t to)
{
    const st_config_t *cfg = sim_config(c);
    st_ctl_durable_t *d = ctld_of(c);
    m_metadata_t md;
    for (uint32_t p = 0; p < ST_PARTITIONS_MAX; p++) {
        md.leader[p] = p < cfg->partitions ? d->part[p].leader : -1;
        md.epoch[p] = p < cfg->partitions ? d->part[p].epoch : -1;
    }
    sim_send(c, to, M_METADATA, &md, sizeof md, 8 * (uint32_t)cfg->partitions + 8);
}

static void broadcast_metadata(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    for (uint32_t n = cfg->first_producer; n < cfg->n_nodes; n++) send_metadata(c, n);
}

/* Picks a leader for p among the live in-sync replicas, preferring the replica order
 * (the first replica is the "preferred leader"). Returns whether the leader changed. */
static void elect(sim_ctx *c, uint32_t p)
{
    sim_assert(p < ((const st_config_t *)sim_config(c))->partitions);
    const st_config_t *cfg = sim_config(c);
    st_ctl_t *s = ctl_of(c);
    st_ctl_durable_t *d = ctld_of(c);
    st_ptab_t *pt = &d->part[p];
    uint32_t live_isr = pt->isr & s->alive;
    int32_t leader = -1;
    bool unclean = false;
    for (int64_t i = 0; i < cfg->replication && leader < 0; i++) {
        uint32_t b = (p + (uint32_t)i) % (uint32_t)cfg->brokers;
        if (live_isr >> b & 1) leader = (int32_t)b;
    }
    for (int64_t i = 0; i < cfg->replication && leader < 0 && cfg->unclean; i++) {
        uint32_t b = (p + (uint32_t)i) % (uint32_t)cfg->brokers;
        if (s->alive >> b & 1) { leader = (int32_t)b; unclean = true; }
    }
    pt->leader = leader;
    pt->epoch++;
    pt->isr_ver++;
    if (leader >= 0) {
        /* An unclean leader starts a new history: it alone is in sync with itself. */
        pt->isr = unclean ? 1u << leader : live_isr;
        d->elections++;
        if (unclean) d->unclean_elections++;
        if (d->offline_since_ns[p] >= 0) {
            d->offline_ns += sim_now(c) - d->offline_since_ns[p];
            d->offline_since_ns[p] = -1;
        }
        sim_log(c, "p%u: leader %s at epoch %d%s", p, sim_node_name(c, st_broker_node(cfg, (uint32_t)leader)),
                pt->epoch, unclean ? " (unclean)" : "");
    } else {
        /* Offline: the ISR is kept, so that the first of its members to return leads. */
        if (d->offline_since_ns[p] < 0) d->offline_since_ns[p] = sim_now(c);
        sim_log(c, "p%u: offline, no in-sync replica is up", p);
    }
    send_lai_all(c, p);
}

static void broker_down(sim_ctx *c, uint32_t b)
{
    const st_config_t *cfg = sim_config(c);
    st_ctl_t *s = ctl_of(c);
    st_ctl_durable_t *d = ctld_of(c);
    s->alive &= ~(1u << b);
    sim_log(c, "broker %s is dead", sim_node_name(c, st_broker_node(cfg, b)));
    bool moved = false;
    for (uint32_t p = 0; p < cfg->partitions; p++) {
        st_ptab_t *pt = &d->part[p];
        if (!(replica_mask(cfg, p) >> b & 1)) continue;
        if (pt->leader == (int32_t)b) {
            elect(c, p);
            moved = true;
        } else if (pt->leader >= 0 && (pt->isr >> b & 1)) {
            pt->isr &= ~(1u << b);
            pt->isr_ver++;
            send_lai(c, p, (uint32_t)pt->leader);
        }
    }
    if (moved) broadcast_metadata(c);
}

static void broker_up(sim_ctx *c, uint32_t b)
{
    const st_config_t *cfg = sim_config(c);
    st_ctl_t *s = ctl_of(c);
    st_ctl_durable_t *d = ctld_of(c);
    s->alive |= 1u << b;
    bool moved = false;
    for (uint32_t p = 0; p < cfg->partitions; p++) {
        st_ptab_t *pt = &d->part[p];
        if (!(replica_mask(cfg, p) >> b & 1)) continue;
        if (pt->leader < 0 && ((pt->isr >> b & 1) || cfg->unclean)) {
            elect(c, p);
            moved = true;
        } else {
            send_lai(c, p, b);
        }
    }
    if (moved) broadcast_metadata(c);
}

static void send_assign(sim_ctx *c, uint32_t m)
{
    const st_config_t *cfg = sim_config(c);
    st_ctl_t *s = ctl_of(c);
    m_assign_t a = {ctld_of(c)->generation, 0, 0};
    for (uint32_t p = 0; p < cfg->partitions; p++)
        if (s->owner[p] == (int8_t)m) a.partitions |= 1u << p;
    sim_send(c, cfg->first_processor + m, M_ASSIGN, &a, sizeof a, 0);
}

/* A new generation of the group: every member gets its partitions. Kafka's eager
 * protocol makes members give everything up first; here a member keeps reading the
 * partitions it keeps, which only makes fewer duplicates. */
static void rebalance(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    st_ctl_t *s = ctl_of(c);
    st_ctl_durable_t *d = ctld_of(c);
    d->generation++;
    st_assign(cfg->assignor, s->members, (uint32_t)cfg->partitions, s->owner);
    sim_log(c, "group generation %lld: %u members", (long long)d->generation, popcount32(s->members));
    for (uint32_t m = 0; m < cfg->processors; m++)
        if (s->members >> m & 1) send_assign(c, m);
}

void st_ctl_init(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    st_ctl_t *s = ctl_of(c);
    st_ctl_durable_t *d = ctld_of(c);
    if (!d->ready) {
        for (uint32_t p = 0; p < ST_PARTITIONS_MAX; p++) d->offline_since_ns[p] = -1;
        for (uint32_t p = 0; p < cfg->partitions; p++) {
            d->part[p].leader = (int32_t)(p % (uint32_t)cfg->brokers);
            d->part[p].isr = replica_mask(cfg, p);
        }
        d->ready = true;
    }
    /* Every broker gets one session timeout's grace, after a restart too. */
    s->alive = cfg->brokers >= 32 ? ~0u : (1u << cfg->brokers) - 1;
    for (uint32_t b = 0; b < cfg->brokers; b++) s->hb_ns[b] = sim_now(c);
    for (uint32_t p = 0; p < ST_PARTITIONS_MAX; p++) s->owner[p] = -1;
    sim_set_role(c, SIM_ROLE_MASTER, 0);
    for (uint32_t p = 0; p < cfg->partitions; p++) send_lai_all(c, p);
    broadcast_metadata(c);
    sim_timer_set(c, cfg->heartbeat_ns, T_CTL_TICK, 0);
}

static void ctl_heartbeat(sim_ctx *c, const m_heartbeat_t *hb)
{
    const st_config_t *cfg = sim_config(c);
    st_ctl_t *s = ctl_of(c);
    uint32_t b = hb->broker;
    if (b >= cfg->brokers) return;
    s->hb_ns[b] = sim_now(c);
    if (!(s->alive >> b & 1)) {
        s->incarnation[b] = hb->incarnation;
        sim_log(c, "broker %s is back", sim_node_name(c, st_broker_node(cfg, b)));
        broker_up(c, b);
        return;
    }
    if (s->incarnation[b] && s->incarnation[b] != hb->incarnation) {
        /* It restarted faster than the session timeout: its volatile state is gone,
         * so it is handled as a failure and a return. */
        s->incarnation[b] = hb->incarnation;
        broker_down(c, b);
        broker_up(c, b);
        return;
    }
    s->incarnation[b] = hb->incarnation;
    /* A controller that restarted counts every broker alive for one session timeout,
     * so a broker that came back while it was down never looks "back": a partition
     * left offline waits for a live in-sync replica's heartbeat to elect it. */
    bool moved = false;
    const st_ctl_durable_t *d = ctld_of(c);
    for (uint32_t p = 0; p < cfg->partitions; p++)
        if (d->part[p].leader < 0 && (replica_mask(cfg, p) >> b & 1) && ((d->part[p].isr >> b & 1) || cfg->unclean)) {
            elect(c, p);
            moved = true;
        }
    if (moved) broadcast_metadata(c);
    /* The broker holds older epochs than this table: a leader-and-isr to it was lost. */
    int64_t want = 0;
    for (uint32_t p = 0; p < cfg->partitions; p++)
        if (replica_mask(cfg, p) >> b & 1) want += d->part[p].epoch;
    if (hb->need_state || hb->epochs < want)
        for (uint32_t p = 0; p < cfg->partitions; p++)
            if (replica_mask(cfg, p) >> b & 1) send_lai(c, p, b);
}

static void ctl_alter_isr(sim_ctx *c, uint32_t from, const m_alter_t *a)
{
    const st_config_t *cfg = sim_config(c);
    st_ctl_t *s = ctl_of(c);
    st_ctl_durable_t *d = ctld_of(c);
    uint32_t dummy;
    if (a->p >= cfg->partitions || st_kind_of(cfg, from, &dummy) != ST_BROKER) return;
    uint32_t b = from - cfg->first_broker;
    st_ptab_t *pt = &d->part[a->p];
    if (pt->leader == (int32_t)b && pt->epoch == a->epoch && pt->isr_ver == a->isr_ver) {
        /* A proposal based on the current ISR is accepted, except that a broker this
         * controller believes dead is never readmitted. */
        pt->isr = ((a->isr & s->alive) | 1u << b) & replica_mask(cfg, a->p);
        pt->isr_ver++;
    }
    send_lai(c, a->p, b);     /* the answer either way: the ISR as it now is */
}

static void ctl_group(sim_ctx *c, unsigned type, const m_group_t *g)
{
    const st_config_t *cfg = sim_config(c);
    st_ctl_t *s = ctl_of(c);
    uint32_t m = g->member;
    if (m >= cfg->processors) return;
    bool member = s->members >> m & 1, same = member && s->member_inc[m] == g->incarnation;
    switch (type) {
    case M_JOIN:
    case M_GROUP_HB:
        if (!same) {
            /* A new member, or one that restarted (its old self's work is gone too). */
            s->members |= 1u << m;
            s->member_inc[m] = g->incarnation;
            s->member_hb_ns[m] = sim_now(c);
            rebalance(c);
            return;
        }
        s->member_hb_ns[m] = sim_now(c);
        if (type == M_JOIN || g->generation != ctld_of(c)->generation) send_assign(c, m);
        break;
    case M_LEAVE:
        if (!member) return;
        s->members &= ~(1u << m);
        rebalance(c);
        break;
    }
}

void st_ctl_message(sim_ctx *c, const sim_msg_t *m)
{
    switch (m->type) {
    case M_HEARTBEAT:
        if (st_payload_ok(m, sizeof(m_heartbeat_t), 0, 0)) ctl_heartbeat(c, m->payload);
        break;
    case M_ALTER_ISR:
        if (st_payload_ok(m, sizeof(m_alter_t), 0, 0)) ctl_alter_isr(c, m->from, m->payload);
        break;
    case M_METADATA_REQ:
        send_metadata(c, m->from);
        break;
    case M_JOIN:
    case M_GROUP_HB:
    case M_LEAVE:
        if (st_payload_ok(m, sizeof(m_group_t), 0, 0)) ctl_group(c, m->type, m->payload);
        break;
    default:
        break;
    }
}

void st_ctl_timer(sim_ctx *c, int kind, uint64_t data)
{
    const st_config_t *cfg = sim_config(c);
    st_ctl_t *s = ctl_of(c);
    sim_time_t now = sim_now(c);
    for (uint32_t b = 0; b < cfg->brokers; b++)
        if ((s->alive >> b & 1) && now - s->hb_ns[b] > cfg->session_timeout_ns) broker_down(c, b);
    bool gone = false;
    for (uint32_t m = 0; m < cfg->processors; m++)
        if ((s->members >> m & 1) && now - s->member_hb_ns[m] > cfg->session_timeout_ns) {
            s->members &= ~(1u << m);
            sim_log(c, "group member %s timed out", sim_node_name(c, cfg->first_processor + m));
            gone = true;
        }
    if (gone) rebalance(c);
    sim_timer_set(c, cfg->heartbeat_ns, T_CTL_TICK, 0);
}

/* ==== Brokers. ====================================================================== */

static st_broker_t *bk_of(sim_ctx *c) { return &((st_state_t *)sim_state(c))->u.bk; }

static uint32_t self_broker(sim_ctx *c) { return sim_self(c) - ((const st_config_t *)sim_config(c))->first_broker; }

/* SIM_ROLE_LEADER while leading any partition, at the highest epoch it leads at. */
static void broker_role(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    st_broker_t *s = bk_of(c);
    int32_t epoch = -1;
    for (uint32_t p = 0; p < cfg->partitions; p++)
        if (s->part[p].role == BP_LEADER && s->part[p].epoch > epoch) epoch = s->part[p].epoch;
    if (epoch >= 0) sim_set_role(c, SIM_ROLE_LEADER, epoch);
    else sim_set_role(c, SIM_ROLE_FOLLOWER, 0);
}

static void recompute_seq_end(const st_config_t *cfg, st_plog_t *l)
{
    st_rec_t *r = st_recs(l);
    memset(l->seq_end, 0, sizeof l->seq_end);
    for (int64_t o = 0; o < l->leo; o++) {
        uint32_t q = r[o].id / cfg->per_producer, seq = r[o].id % cfg->per_producer;
        if (q < ST_PRODUCERS_MAX && seq + 1 > l->seq_end[q]) l->seq_end[q] = seq + 1;
    }
}

static void reply_produce(sim_ctx *c, uint32_t to, uint32_t p, uint32_t req, uint32_t status, int64_t last)
{
    m_produce_ack_t a = {p, req, status, 0, last};
    sim_send(c, to, M_PRODUCE_ACK, &a, sizeof a, 0);
}

/* The leader lost its partition: producers waiting for acks=all hear so and retry. */
static void fail_pending(sim_ctx *c, uint32_t p)
{
    st_bpart_t *bp = &bk_of(c)->part[p];
    st_pending_t *pq = st_bk_pending(sim_config(c), sim_state(c), p);
    for (uint32_t i = 0; i < bp->n_pending; i++) reply_produce(c, pq[i].producer_node, p, pq[i].req, ST_NOT_LEADER, -1);
    bp->n_pending = 0;
}

/* Moves the high watermark to the end of what every in-sync replica holds (counting
 * proposed additions), and answers the acks=all requests it now covers. */
static void advance_hw(sim_ctx *c, uint32_t p)
{
    const st_config_t *cfg = sim_config(c);
    st_bpart_t *bp = &bk_of(c)->part[p];
    st_plog_t *l = st_plog(cfg, sim_durable(c), p);
    if (bp->role != BP_LEADER) return;
    uint32_t self = self_broker(c), isr = bp->isr | bp->isr_proposed | 1u << self;
    int64_t hw = l->leo;
    for (uint32_t b = 0; b < cfg->brokers; b++)
        if (b != self && (isr >> b & 1) && bp->f[b].leo < hw) hw = bp->f[b].leo;
    if (hw > l->hw) l->hw = hw;
    sim_assert(l->hw <= l->leo);
    st_pending_t *pq = st_bk_pending(cfg, sim_state(c), p);
    uint32_t done = 0;
    while (done < bp->n_pending && pq[done].end <= l->hw) {
        /* Kafka's NOT_ENOUGH_REPLICAS_AFTER_APPEND: committed, but on too few replicas
         * for the promise acks=all makes; the producer retries (and, idempotent, the
         * retry is dropped as a duplicate). */
        uint32_t st = popcount32(bp->isr | 1u << self) < (uint32_t)cfg->min_isr ? ST_NOT_ENOUGH_REPLICAS : ST_OK;
        reply_produce(c, pq[done].producer_node, p, pq[done].req, st, pq[done].last_offset);
        done++;
    }
    if (done) {
        memmove(pq, pq + done, (bp->n_pending - done) * sizeof *pq);
        bp->n_pending -= done;
    }
}

static void become_leader(sim_ctx *c, uint32_t p, int32_t epoch)
{
    st_bpart_t *bp = &bk_of(c)->part[p];
    sim_assert(epoch >= bp->epoch);
    bp->role = BP_LEADER;
    bp->leader = (int32_t)self_broker(c);
    bp->epoch = epoch;
    bp->n_pending = 0;
    bp->fetching = false;
    for (uint32_t b = 0; b < ST_BROKERS_MAX; b++) {
        bp->f[b].leo = 0;
        bp->f[b].leo_at_fetch = 0;
        bp->f[b].caught_up_ns = sim_now(c);
    }
    sim_log(c, "leads p%u at epoch %d", p, epoch);
}

static void replica_fetch(sim_ctx *c, uint32_t p)
{
    const st_config_t *cfg = sim_config(c);
    st_bpart_t *bp = &bk_of(c)->part[p];
    st_plog_t *l = st_plog(cfg, sim_durable(c), p);
    if (bp->role != BP_FOLLOWER || bp->leader < 0) return;
    m_rfetch_t f = {p, ++bp->fetch_req, bp->epoch, l->leo ? st_recs(l)[l->leo - 1].epoch : -1, l->leo};
    bp->fetching = true;
    bp->fetch_sent_ns = sim_now(c);
    sim_send(c, st_broker_node(cfg, (uint32_t)bp->leader), M_RFETCH, &f, sizeof f, 0);
}

static void on_lai(sim_ctx *c, const m_lai_t *a)
{
    const st_config_t *cfg = sim_config(c);
    st_broker_t *s = bk_of(c);
    if (a->p >= cfg->partitions) return;
    st_bpart_t *bp = &s->part[a->p];
    st_plog_t *l = st_plog(cfg, sim_durable(c), a->p);
    if (a->epoch < l->epoch || a->epoch < bp->epoch) return;           /* from before an election we know of */
    if (a->epoch == bp->epoch && a->isr_ver < bp->isr_ver) return;     /* an older ISR */
    s->have_state = true;
    bool new_epoch = a->epoch != bp->epoch;
    l->epoch = a->epoch;
    if (a->leader == (int32_t)self_broker(c)) {
        if (new_epoch || bp->role != BP_LEADER) become_leader(c, a->p, a->epoch);
        bp->isr = a->isr | 1u << self_broker(c);
        bp->isr_ver = a->isr_ver;
        /* A version past the last proposal's base settles every proposal: each was
         * taken or refused, and this ISR says which. The same version may be a copy,
         * sent before the proposal arrived. */
        if (new_epoch || a->isr_ver > bp->alter_base) {
            bp->isr_proposed = 0;
            bp->alter_inflight = false;
        }
        advance_hw(c, a->p);
    } else {
        if (bp->role == BP_LEADER) fail_pending(c, a->p);
        bp->role = a->leader >= 0 ? BP_FOLLOWER : BP_NONE;
        bp->leader = a->leader;
        bp->epoch = a->epoch;
        bp->isr = a->isr;
        bp->isr_ver = a->isr_ver;
        if (new_epoch) {
            bp->fetching = false;
            replica_fetch(c, a->p);
        }
    }
    broker_role(c);
}

static void truncate_log(const st_config_t *cfg, st_plog_t *l, int64_t to)
{
    sim_assert(to >= 0);
    if (to >= l->leo) return;
    l->leo = to;
    if (l->hw > to) l->hw = to;
    recompute_seq_end(cfg, l);
}

/* The record (producer q's sequence) is already here: where? Scans back from the end,
 * which is short for a retry. O(log length) in the worst case. */
static int64_t find_record(st_plog_t *l, uint32_t id)
{
    st_rec_t *r = st_recs(l);
    for (int64_t o = l->leo - 1; o >= 0; o--)
        if (r[o].id == id && !(r[o].flags & ST_REC_END)) return o;
    return -1;
}

static void on_produce(sim_ctx *c, const sim_msg_t *m)
{
    const st_config_t *cfg = sim_config(c);
    if (!st_payload_ok(m, sizeof(m_produce_t), sizeof(st_rec_t), offsetof(m_produce_t, n))) return;
    const m_produce_t *pr = m->payload;
    if (pr->p >= cfg->partitions || pr->producer >= cfg->producers) return;
    st_bpart_t *bp = &bk_of(c)->part[pr->p];
    st_plog_t *l = st_plog(cfg, sim_durable(c), pr->p);
    bool answer = cfg->acks != ST_ACKS_0;
    if (bp->role != BP_LEADER) {
        if (answer) reply_produce(c, m->from, pr->p, pr->req, ST_NOT_LEADER, -1);
        return;
    }
    if (cfg->acks == ST_ACKS_ALL && popcount32(bp->isr | 1u << self_broker(c)) < (uint32_t)cfg->min_isr) {
        reply_produce(c, m->from, pr->p, pr->req, ST_NOT_ENOUGH_REPLICAS, -1);
        return;
    }
    st_rec_t *recs = st_recs(l);
    int64_t last = -1;
    for (uint32_t i = 0; i < pr->n; i++) {
        const st_rec_t *r = &pr->recs[i];
        uint32_t q = r->id / cfg->per_producer, seq = r->id % cfg->per_producer;
        if (q != pr->producer) continue;
        if (cfg->idempotent && seq < l->seq_end[q]) {
            last = find_record(l, r->id);      /* a retry of what we hold: not again */
            continue;
        }
        if (l->leo >= cfg->log_max) {
            sim_halt(c, "stream: partition p%u at %s holds log_max (%lld) records; raise protocol.params.log_max",
                     pr->p, sim_node_name(c, sim_self(c)), (long long)cfg->log_max);
            return;
        }
        recs[l->leo] = *r;
        recs[l->leo].epoch = bp->epoch;
        last = l->leo++;
        sim_assert(l->leo <= cfg->log_max && l->hw <= l->leo);
        if (seq + 1 > l->seq_end[q]) l->seq_end[q] = seq + 1;
    }
    if (cfg->acks == ST_ACKS_1 || (cfg->acks == ST_ACKS_ALL && last >= 0 && last < l->hw)) {
        reply_produce(c, m->from, pr->p, pr->req, ST_OK, last);
    } else if (cfg->acks == ST_ACKS_ALL) {
        if (bp->n_pending >= cfg->acks_pending_max) {
            sim_halt(c, "stream: p%u at %s has acks_pending_max (%lld) requests waiting for replication; "
                     "raise protocol.params.acks_pending_max", pr->p, sim_node_name(c, sim_self(c)), (long long)cfg->acks_pending_max);
            return;
        }
        st_pending_t *pq = st_bk_pending(cfg, sim_state(c), pr->p);
        pq[bp->n_pending++] = (st_pending_t){m->from, pr->req, last + 1, last};
    }
    advance_hw(c, pr->p);
}

static void on_rfetch(sim_ctx *c, const sim_msg_t *m)
{
    const st_config_t *cfg = sim_config(c);
    if (!st_payload_ok(m, sizeof(m_rfetch_t), 0, 0)) return;
    const m_rfetch_t *rf = m->payload;
    uint32_t fb;
    if (rf->p >= cfg->partitions || st_kind_of(cfg, m->from, &fb) != ST_BROKER || fb == self_broker(c)) return;
    st_bpart_t *bp = &bk_of(c)->part[rf->p];
    st_plog_t *l = st_plog(cfg, sim_durable(c), rf->p);
    m_rdata_t *d = (m_rdata_t *)st_scratch_of(sim_state(c));
    memset(d, 0, sizeof *d);
    d->p = rf->p;
    d->req = rf->req;
    d->epoch = bp->epoch;
    if (bp->role != BP_LEADER || rf->epoch != bp->epoch) {
        d->status = ST_NOT_LEADER;
        sim_send(c, m->from, M_RDATA, d, sizeof *d, 0);
        return;
    }
    int64_t to = st_log_diverge(st_recs(l), l->leo, rf->offset, rf->last_epoch);
    if (to >= 0) {
        d->status = ST_TRUNCATE;
        d->truncate_to = to;
        sim_send(c, m->from, M_RDATA, d, sizeof *d, 0);
        return;
    }
    st_follower_t *f = &bp->f[fb];
    f->leo = rf->offset;
    if (rf->offset >= f->leo_at_fetch) f->caught_up_ns = sim_now(c);
    f->leo_at_fetch = l->leo;
    advance_hw(c, rf->p);
    int64_t n = l->leo - rf->offset;
    if (n > cfg->fetch_max) n = cfg->fetch_max;
    d->status = ST_OK;
    d->n = (uint32_t)n;
    d->from = rf->offset;
    d->hw = l->hw;
    d->committed = l->committed;
    d->consumed = l->consumed;
    memcpy(d->recs, st_recs(l) + rf->offset, (size_t)n * sizeof(st_rec_t));
    sim_send(c, m->from, M_RDATA, d, (uint32_t)(sizeof *d + (size_t)n * sizeof(st_rec_t)), 0);
}

static void on_rdata(sim_ctx *c, const sim_msg_t *m)
{
    const st_config_t *cfg = sim_config(c);
    if (!st_payload_ok(m, sizeof(m_rdata_t), sizeof(st_rec_t), offsetof(m_rdata_t, n))) return;
    const m_rdata_t *d = m->payload;
    if (d->p >= cfg->partitions) return;
    st_bpart_t *bp = &bk_of(c)->part[d->p];
    st_plog_t *l = st_plog(cfg, sim_durable(c), d->p);
    if (bp->role != BP_FOLLOWER || d->req != bp->fetch_req || d->epoch != bp->epoch) return;
    bp->fetching = false;
    if (d->status == ST_TRUNCATE) {
        sim_log(c, "p%u: truncates its log from %lld to %lld", d->p, (long long)l->leo, (long long)d->truncate_to);
        truncate_log(cfg, l, d->truncate_to);
        replica_fetch(c, d->p);
        return;
    }
    if (d->status != ST_OK || d->from != l->leo) return;
    if (l->leo + d->n > cfg->log_max) {
        sim_halt(c, "stream: partition p%u at %s holds log_max (%lld) records; raise protocol.params.log_max",
                 d->p, sim_node_name(c, sim_self(c)), (long long)cfg->log_max);
        return;
    }
    memcpy(st_recs(l) + l->leo, d->recs, (size_t)d->n * sizeof(st_rec_t));
    for (uint32_t i = 0; i < d->n; i++) {
        uint32_t q = d->recs[i].id / cfg->per_producer, seq = d->recs[i].id % cfg->per_producer;
        if (q < ST_PRODUCERS_MAX && seq + 1 > l->seq_end[q]) l->seq_end[q] = seq + 1;
    }
    l->leo += d->n;
    int64_t hw = d->hw < l->leo ? d->hw : l->leo;
    if (hw > l->hw) l->hw = hw;
    l->committed = d->committed;
    l->consumed = d->consumed;
    /* A full answer means there is more: fetch again now rather than at the next tick. */
    if (d->n == cfg->fetch_max) replica_fetch(c, d->p);
}

static void on_fetch(sim_ctx *c, const sim_msg_t *m)
{
    const st_config_t *cfg = sim_config(c);
    if (!st_payload_ok(m, sizeof(m_fetch_t), 0, 0)) return;
    const m_fetch_t *f = m->payload;
    if (f->p >= cfg->partitions) return;
    st_bpart_t *bp = &bk_of(c)->part[f->p];
    st_plog_t *l = st_plog(cfg, sim_durable(c), f->p);
    m_fetch_data_t *d = (m_fetch_data_t *)st_scratch_of(sim_state(c));
    memset(d, 0, sizeof *d);
    d->p = f->p;
    d->req = f->req;
    d->from = f->offset;
    d->hw = l->hw;
    if (bp->role != BP_LEADER) d->status = ST_NOT_LEADER;
    else if (f->offset < 0 || f->offset > l->leo) d->status = ST_OUT_OF_RANGE;
    else {
        /* Consumers see only committed records: those below the high watermark. A
         * new leader's watermark can trail what consumers already read; they then
         * get nothing until it catches up. */
        int64_t n = f->offset < l->hw ? l->hw - f->offset : 0;
        if (n > cfg->fetch_max) n = cfg->fetch_max;
        l->consumed = f->offset;      /* where the group reads: what its lag is measured from */
        d->n = (uint32_t)n;
        memcpy(d->recs, st_recs(l) + f->offset, (size_t)n * sizeof(st_rec_t));
    }
    sim_send(c, m->from, M_FETCH_DATA, d, (uint32_t)(sizeof *d + (size_t)d->n * sizeof(st_rec_t)), 0);
}

static void on_offsets(sim_ctx *c, const sim_msg_t *m)
{
    const st_config_t *cfg = sim_config(c);
    if (!st_payload_ok(m, sizeof(m_offset_t), 0, 0)) return;
    const m_offset_t *o = m->payload;
    if (o->p >= cfg->partitions) return;
    st_bpart_t *bp = &bk_of(c)->part[o->p];
    st_plog_t *l = st_plog(cfg, sim_durable(c), o->p);
    if (m->type == M_OFFSET_COMMIT) {
        if (bp->role != BP_LEADER) return;    /* lost: the member commits again soon */
        l->committed = o->offset;
        return;
    }
    m_offset_t a = {o->p, bp->role == BP_LEADER ? ST_OK : ST_NOT_LEADER, l->committed};
    sim_send(c, m->from, M_OFFSET, &a, sizeof a, 0);
}

/* The sum of the epochs this broker holds for the partitions it replicates (what the
 * controller compares with its own table: m_heartbeat_t). */
static int64_t epochs_held(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    const st_broker_t *s = bk_of(c);
    int64_t sum = 0;
    for (uint32_t p = 0; p < cfg->partitions; p++)
        if (replica_mask(cfg, p) >> self_broker(c) & 1) sum += s->part[p].epoch;
    return sum;
}

void st_broker_init(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    st_broker_t *s = bk_of(c);
    st_broker_durable_t *bd = &((st_durable_t *)sim_durable(c))->u.bk;
    s->incarnation = ++bd->incarnation;
    for (uint32_t p = 0; p < ST_PARTITIONS_MAX; p++) {
        s->part[p].role = BP_NONE;
        s->part[p].leader = -1;
        s->part[p].epoch = -1;
    }
    sim_set_role(c, SIM_ROLE_FOLLOWER, 0);
    m_heartbeat_t hb = {self_broker(c), s->incarnation, 1, epochs_held(c)};
    sim_send(c, 0, M_HEARTBEAT, &hb, sizeof hb, 0);
    sim_timer_set(c, cfg->heartbeat_ns, T_BK_HEARTBEAT, 0);
    sim_timer_set(c, cfg->replica_fetch_ns, T_BK_RFETCH, 0);
    sim_timer_set(c, cfg->replica_lag_max_ns / 4 + 1, T_BK_ISR, 0);
    sim_timer_set(c, cfg->lag_every_ns, T_BK_LAG, 0);
}

void st_broker_message(sim_ctx *c, const sim_msg_t *m)
{
    switch (m->type) {
    case M_LEADER_AND_ISR:
        if (st_payload_ok(m, sizeof(m_lai_t), 0, 0)) on_lai(c, m->payload);
        break;
    case M_PRODUCE: on_produce(c, m); break;
    case M_RFETCH: on_rfetch(c, m); break;
    case M_RDATA: on_rdata(c, m); break;
    case M_FETCH: on_fetch(c, m); break;
    case M_OFFSET_FETCH:
    case M_OFFSET_COMMIT: on_offsets(c, m); break;
    case M_MAP: st_broker_map(c, m); break;
    default: break;
    }
}

/* The leader's ISR review: drop followers that fell behind, add back those that
 * caught up, one proposal to the controller at a time. */
static void review_isr(sim_ctx *c, uint32_t p)
{
    const st_config_t *cfg = sim_config(c);
    st_bpart_t *bp = &bk_of(c)->part[p];
    st_plog_t *l = st_plog(cfg, sim_durable(c), p);
    sim_time_t now = sim_now(c);
    if (bp->alter_inflight && now - bp->alter_sent_ns < cfg->request_timeout_ns) return;
    uint32_t self = self_broker(c), want = bp->isr | 1u << self, reps = replica_mask(cfg, p);
    /* An unanswered proposal is sent again even when nothing is to change, since only
     * an answer tells whether its additions can stop being counted. */
    for (uint32_t b = 0; b < cfg->brokers; b++) {
        if (b == self || !(reps >> b & 1)) continue;
        const st_follower_t *f = &bp->f[b];
        bool fresh = now - f->caught_up_ns <= cfg->replica_lag_max_ns;
        if ((want >> b & 1) && !fresh) want &= ~(1u << b);
        else if (!(want >> b & 1) && fresh && f->leo >= l->hw && f->leo_at_fetch > 0) want |= 1u << b;
    }
    if (want == (bp->isr | 1u << self) && !bp->alter_inflight) return;
    bp->isr_proposed |= want & ~bp->isr;    /* additions count at once; removals once confirmed */
    bp->alter_base = bp->isr_ver;
    bp->alter_inflight = true;
    bp->alter_sent_ns = now;
    m_alter_t a = {p, bp->epoch, bp->isr_ver, want};
    sim_send(c, 0, M_ALTER_ISR, &a, sizeof a, 0);
}

void st_broker_timer(sim_ctx *c, int kind, uint64_t data)
{
    const st_config_t *cfg = sim_config(c);
    st_broker_t *s = bk_of(c);
    switch (kind) {
    case T_BK_HEARTBEAT: {
        m_heartbeat_t hb = {self_broker(c), s->incarnation, !s->have_state, epochs_held(c)};
        sim_send(c, 0, M_HEARTBEAT, &hb, sizeof hb, 0);
        sim_timer_set(c, cfg->heartbeat_ns, T_BK_HEARTBEAT, 0);
        break;
    }
    case T_BK_RFETCH:
        for (uint32_t p = 0; p < cfg->partitions; p++) {
            st_bpart_t *bp = &s->part[p];
            if (bp->role != BP_FOLLOWER) continue;
            if (!bp->fetching || sim_now(c) - bp->fetch_sent_ns >= cfg->request_timeout_ns) replica_fetch(c, p);
        }
        sim_timer_set(c, cfg->replica_fetch_ns, T_BK_RFETCH, 0);
        break;
    case T_BK_ISR:
        for (uint32_t p = 0; p < cfg->partitions; p++)
            if (s->part[p].role == BP_LEADER) review_isr(c, p);
        sim_timer_set(c, cfg->replica_lag_max_ns / 4 + 1, T_BK_ISR, 0);
        break;
    case T_BK_LAG: {
        /* Consumer lag: committed records the group has not read yet (the leader
         * knows how far it read from its fetches), sampled by each partition's leader. */
        st_broker_durable_t *bd = &((st_durable_t *)sim_durable(c))->u.bk;
        st_lag_sample_t *sm = st_bk_samples(cfg, sim_durable(c));
        for (uint32_t p = 0; p < cfg->partitions; p++) {
            if (s->part[p].role != BP_LEADER) continue;
            st_plog_t *l = st_plog(cfg, sim_durable(c), p);
            if (bd->n_samples >= cfg->lag_samples_max) {
                sim_halt(c, "stream: %s took lag_samples_max (%lld) lag samples; raise protocol.params.lag_samples_max or lag_every",
                         sim_node_name(c, sim_self(c)), (long long)cfg->lag_samples_max);
                return;
            }
            sm[bd->n_samples++] = (st_lag_sample_t){sim_now(c), p, 0, l->hw > l->consumed ? l->hw - l->consumed : 0};
        }
        sim_timer_set(c, cfg->lag_every_ns, T_BK_LAG, 0);
        break;
    }
    default:
        break;
    }
}

/* ==== Producers. ==================================================================== */

static st_prod_t *pr_of(sim_ctx *c) { return &((st_state_t *)sim_state(c))->u.pr; }
static st_prod_durable_t *prd_of(sim_ctx *c) { return &((st_durable_t *)sim_durable(c))->u.pr; }
static uint32_t *queue_of(sim_ctx *c, uint32_t p)
{
    const st_config_t *cfg = sim_config(c);
    return (uint32_t *)st_tail_of(cfg, sim_state(c)) + (size_t)p * (size_t)cfg->buffer_max;
}
static uint32_t queue_at(sim_ctx *c, uint32_t p, uint32_t i)
{
    const st_config_t *cfg = sim_config(c);
    return queue_of(c, p)[(pr_of(c)->q_head[p] + i) % (uint32_t)cfg->buffer_max];
}
static void dequeue(sim_ctx *c, uint32_t p, uint32_t n)
{
    const st_config_t *cfg = sim_config(c);
    st_prod_t *s = pr_of(c);
    sim_assert(n <= s->q_len[p]);
    s->q_head[p] = (s->q_head[p] + n) % (uint32_t)cfg->buffer_max;
    s->q_len[p] -= n;
}

/* A producer's request id (st_req_id). Without the incarnation, the answer to an
 * acks=all request still waiting at the leader when the producer crashed matched the
 * new request of the same number: the producer marked the new request's events
 * acknowledged, at the old request's offset, though they were in no log. Kafka's
 * producer has a new producer epoch after a restart for the same reason. Never 0,
 * which T_PR_RETRY reserves for "waiting for a leader". */
static uint32_t next_req(sim_ctx *c)
{
    return st_req_id(prd_of(c)->incarnation, &pr_of(c)->req_seq);
}

static sim_time_t exponential(rng_t *r, double mean_ns)
{
    return (sim_time_t)(-mean_ns * log(1.0 - rng_double(r)));
}

static sim_time_t next_gap(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    double rate = cfg->rate_per_s;
    if (cfg->pattern == ST_PATTERN_BURSTY && sim_now(c) % cfg->burst_every_ns < cfg->burst_len_ns) rate *= cfg->burst_factor;
    double mean = 1e9 / rate;
    sim_time_t gap = cfg->pattern == ST_PATTERN_STEADY ? (sim_time_t)mean : exponential(sim_rng(c), mean);
    return gap > 0 ? gap : 1;
}

static void send_batch(sim_ctx *c, uint32_t p, uint32_t n, uint32_t req)
{
    const st_config_t *cfg = sim_config(c);
    st_state_t *st = sim_state(c);
    st_ledger_t *lg = st_ledger(sim_durable(c));
    m_produce_t *m = (m_produce_t *)st_scratch_of(st);
    m->producer = st->index;
    m->p = p;
    m->req = req;
    m->n = n;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t seq = queue_at(c, p, i);
        const st_ledger_t *e = &lg[seq];
        m->recs[i] = (st_rec_t){e->created_ns, e->event_ns, st->index * cfg->per_producer + seq, e->key, e->value, e->flags, 0, 0};
    }
    sim_send(c, (uint32_t)st_leader_node(cfg, st, p), M_PRODUCE, m, (uint32_t)(sizeof *m + n * sizeof(st_rec_t)), 0);
}

/* Sends what is queued for p: with acks=0 everything at once, fire and forget;
 * otherwise one request in flight per partition, which keeps records in order. */
static void try_send(sim_ctx *c, uint32_t p)
{
    const st_config_t *cfg = sim_config(c);
    st_state_t *st = sim_state(c);
    st_prod_t *s = pr_of(c);
    st_prod_durable_t *pd = prd_of(c);
    if (!s->q_len[p]) return;
    if (st->leader[p] < 0) {
        st_meta_request(c, false);
        if (!(s->retry_armed >> p & 1)) {
            s->retry_armed |= 1u << p;
            sim_timer_set(c, cfg->retry_backoff_ns, T_PR_RETRY, (uint64_t)p << 32);
        }
        return;
    }
    if (cfg->acks == ST_ACKS_0) {
        st_ledger_t *lg = st_ledger(sim_durable(c));
        while (s->q_len[p]) {
            uint32_t n = s->q_len[p] < cfg->batch_max ? s->q_len[p] : (uint32_t)cfg->batch_max;
            send_batch(c, p, n, next_req(c));
            for (uint32_t i = 0; i < n; i++) lg[queue_at(c, p, i)].status = EV_SENT;
            pd->sent += n;
            dequeue(c, p, n);
        }
        return;
    }
    st_inflight_t *fl = &s->fl[p];
    if (fl->on) return;
    uint32_t n = s->q_len[p] < cfg->batch_max ? s->q_len[p] : (uint32_t)cfg->batch_max;
    *fl = (st_inflight_t){true, next_req(c), n, 0, sim_now(c)};
    send_batch(c, p, n, fl->req);
    pd->sent += n;
    sim_timer_set(c, cfg->request_timeout_ns, T_PR_TIMEOUT, (uint64_t)p << 32 | fl->req);
}

static void enqueue(sim_ctx *c, uint32_t p, uint32_t seq)
{
    const st_config_t *cfg = sim_config(c);
    st_prod_t *s = pr_of(c);
    st_prod_durable_t *pd = prd_of(c);
    if (s->q_len[p] >= cfg->buffer_max) {
        /* Kafka's buffer.memory is full and max.block.ms has passed: the send fails. */
        st_ledger(sim_durable(c))[seq].status = EV_FAILED;
        pd->failed++;
        pd->buffer_full++;
        return;
    }
    queue_of(c, p)[(s->q_head[p] + s->q_len[p]) % (uint32_t)cfg->buffer_max] = seq;
    s->q_len[p]++;
    try_send(c, p);
}

static bool new_seq(sim_ctx *c, uint32_t *seq)
{
    const st_config_t *cfg = sim_config(c);
    st_prod_durable_t *pd = prd_of(c);
    if (pd->next_seq >= cfg->per_producer) {
        sim_halt(c, "stream: producer %s used its share of max_events (%u events); raise protocol.params.max_events",
                 sim_node_name(c, sim_self(c)), cfg->per_producer);
        return false;
    }
    *seq = pd->next_seq++;
    return true;
}

/* One event: a key, a value, and an event time behind the producer's own clock by a
 * lateness -- usually small, for a straggler up to straggle_max. */
static void create_event(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    rng_t *r = sim_rng(c);
    uint32_t seq;
    if (!new_seq(c, &seq)) return;
    uint32_t key = (uint32_t)rng_below(r, (uint64_t)cfg->keys);
    uint8_t value = (uint8_t)(1 + rng_below(r, ST_VALUE_MAX));
    sim_time_t late = rng_chance(r, cfg->straggle) ? (sim_time_t)rng_below(r, (uint64_t)cfg->straggle_max_ns + 1)
                                                   : exponential(r, (double)cfg->lateness_ns);
    sim_time_t ev = sim_clock(c) - late;
    uint32_t p = st_partition_for(cfg, key, &pr_of(c)->rr);
    st_ledger(sim_durable(c))[seq] = (st_ledger_t){sim_now(c), ev > 0 ? ev : 0, 0, (uint16_t)key, value, (uint8_t)p, EV_QUEUED, 0, 0};
    enqueue(c, p, seq);
}

/* The end of this producer's stream: one marker per partition, after its records, so
 * processors know no more of its events will come (a bounded source's final watermark). */
static void end_stream(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    st_prod_durable_t *pd = prd_of(c);
    if (pd->ended) return;
    pd->ended = true;
    for (uint32_t p = 0; p < cfg->partitions; p++) {
        uint32_t seq;
        if (!new_seq(c, &seq)) return;
        st_ledger(sim_durable(c))[seq] = (st_ledger_t){sim_now(c), sim_now(c), 0, 0, 0, (uint8_t)p, EV_QUEUED, ST_REC_END, 0};
        enqueue(c, p, seq);
    }
    sim_log(c, "ends its stream after %u events", pd->next_seq - (uint32_t)cfg->partitions);
}

static void give_up_or_retry(sim_ctx *c, uint32_t p, bool ask_metadata)
{
    const st_config_t *cfg = sim_config(c);
    st_prod_t *s = pr_of(c);
    st_prod_durable_t *pd = prd_of(c);
    st_inflight_t *fl = &s->fl[p];
    if (ask_metadata) st_meta_request(c, false);
    sim_assert(fl->on && fl->n <= s->q_len[p]);
    if (++fl->attempts > cfg->retries) {
        st_ledger_t *lg = st_ledger(sim_durable(c));
        for (uint32_t i = 0; i < fl->n; i++) lg[queue_at(c, p, i)].status = EV_FAILED;
        pd->failed += fl->n;
        dequeue(c, p, fl->n);
        fl->on = false;
        try_send(c, p);
        return;
    }
    pd->retries++;
    fl->sent_ns = 0;      /* waiting to resend; a late answer to the last attempt still counts */
    sim_timer_set(c, cfg->retry_backoff_ns, T_PR_RETRY, (uint64_t)p << 32 | fl->req);
}

void st_producer_init(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    st_prod_durable_t *pd = prd_of(c);
    pd->incarnation++;
    /* What sat in the buffer died with it; what was in flight may or may not have
     * arrived. The producer gives both up; the oracle looks in the log to see. */
    st_ledger_t *lg = st_ledger(sim_durable(c));
    for (uint32_t i = 0; i < pd->next_seq; i++)
        if (lg[i].status == EV_QUEUED) { lg[i].status = EV_FAILED; pd->failed++; }
    st_meta_request(c, true);
    if (pd->ended) return;
    sim_time_t first = next_gap(c);
    if (cfg->pattern == ST_PATTERN_STEADY) first = (sim_time_t)rng_below(sim_rng(c), (uint64_t)first) + 1;
    sim_timer_set(c, first, T_PR_TICK, 0);
}

void st_producer_message(sim_ctx *c, const sim_msg_t *m)
{
    const st_config_t *cfg = sim_config(c);
    st_prod_t *s = pr_of(c);
    st_prod_durable_t *pd = prd_of(c);
    if (m->type == M_METADATA) {
        st_meta_apply(c, m);
        for (uint32_t p = 0; p < cfg->partitions; p++) try_send(c, p);
        return;
    }
    if (m->type != M_PRODUCE_ACK || !st_payload_ok(m, sizeof(m_produce_ack_t), 0, 0)) return;
    const m_produce_ack_t *a = m->payload;
    if (a->p >= cfg->partitions) return;
    st_inflight_t *fl = &s->fl[a->p];
    if (!fl->on || fl->req != a->req) return;          /* an answer to a request already settled */
    if (a->status != ST_OK) { give_up_or_retry(c, a->p, a->status == ST_NOT_LEADER); return; }
    st_ledger_t *lg = st_ledger(sim_durable(c));
    uint32_t last = 0;
    for (uint32_t i = 0; i < fl->n; i++) {
        last = queue_at(c, a->p, i);
        lg[last].status = EV_ACKED;
        lg[last].acked_ns = sim_now(c);
    }
    pd->acked += fl->n;
    if (a->last_offset >= 0)
        pd->last_ack[a->p] = (st_last_ack_t){a->last_offset, ((st_state_t *)sim_state(c))->index * cfg->per_producer + last, true};
    dequeue(c, a->p, fl->n);
    fl->on = false;
    try_send(c, a->p);
}

void st_producer_timer(sim_ctx *c, int kind, uint64_t data)
{
    const st_config_t *cfg = sim_config(c);
    st_prod_t *s = pr_of(c);
    uint32_t p = (uint32_t)(data >> 32), req = (uint32_t)data;
    switch (kind) {
    case T_PR_TICK:
        if (sim_now(c) >= cfg->produce_for_ns) { end_stream(c); return; }
        create_event(c);
        sim_timer_set(c, next_gap(c), T_PR_TICK, 0);
        break;
    case T_PR_TIMEOUT: {
        st_inflight_t *fl = &s->fl[p];
        if (fl->on && fl->req == req && fl->sent_ns && sim_now(c) - fl->sent_ns >= cfg->request_timeout_ns)
            give_up_or_retry(c, p, true);
        break;
    }
    case T_PR_RETRY: {
        st_inflight_t *fl = &s->fl[p];
        if (!req) {                                     /* was waiting for a leader */
            s->retry_armed &= ~(1u << p);
            try_send(c, p);
            break;
        }
        if (!fl->on || fl->req != req || fl->sent_ns) break;
        if (((st_state_t *)sim_state(c))->leader[p] < 0) { give_up_or_retry(c, p, true); break; }
        fl->sent_ns = sim_now(c);
        send_batch(c, p, fl->n, fl->req);
        sim_timer_set(c, cfg->request_timeout_ns, T_PR_TIMEOUT, (uint64_t)p << 32 | fl->req);
        break;
    }
    default:
        break;
    }
}
