/* stream_proc.c -- the stream processor: a consumer group counting events in windows.
 *
 * The processors form one consumer group. The controller, as group coordinator, deals
 * the partitions out to the live members and deals them again when one joins, leaves
 * or stops heartbeating (a rebalance, with a new generation number). A member that
 * gets a partition asks its leader for the group's committed offset and reads on from
 * there; it fetches again at once while there is data, and every `poll` when there is
 * none.
 *
 *      member ──join-group──> controller ──assign(gen 3: p0 p1)──> member
 *      member ──offset-fetch(p0)──> leader ──offset(p0: 812)──> member
 *      member ──fetch(p0 @812)──> leader ──fetch-data(812..830, hw 831)──> member
 *      member ──offset-commit(p0: 805)──> leader
 *
 * Each record is counted into panes, one per (partition, key, window), following the
 * Dataflow model (Akidau et al., VLDB 2015): windows are assigned by event time
 * (section 2.2.1: fixed windows of `size`, or sliding ones starting every `slide`),
 * and a pane fires when the watermark -- the processor's idea of how far event time
 * has got (section 1.3) -- passes the window's end (section 2.3, triggers). The
 * watermark is a heuristic one with bounded out-of-orderness, as Flink builds it:
 * the largest event time read from the partition, minus `out_of_order`. It is kept per
 * partition, like Kafka Streams' stream time per task, so a partition that lags holds
 * back only its own windows. When every producer's end-of-stream marker has been read,
 * the watermark jumps to infinity and everything fires.
 *
 *      event time ──────────────|──────── w2 ────────|──────── w3 ─────────|──>
 *                                       ^ watermark = max event time - out_of_order
 *      w2 has fired; an event for w2 arriving now is late: dropped, or (late "update")
 *      counted and w2 fires again, until allowed_lateness past its end.
 *
 * A firing emits what the pane gathered since it last fired (section 2.3's
 * discarding mode); the results table adds emissions up. Each event's latency is measured at the first
 * firing that includes it, for the first window it falls in.
 *
 * Delivery guarantees come from when offsets are committed. "before-processing"
 * commits the end of each fetch as it arrives: if the member dies with windows still
 * open, whoever takes the partition over starts after events that never reached a
 * result (at most once: gaps). "after-processing" commits, every `commit_every`, the
 * lowest offset still waiting in an unfired pane: a successor re-reads from there,
 * and the events in between whose windows already fired are counted again (at least
 * once: duplicates). Exactly once needs the results and the offsets committed
 * together, which is what Kafka's transactions add; it is left out on purpose.
 */
#include <stdio.h>
#include <string.h>
#include "proto/stream.h"

static st_proc_t *pc_of(sim_ctx *c) { return &((st_state_t *)sim_state(c))->u.pc; }
static st_proc_durable_t *pcd_of(sim_ctx *c) { return &((st_durable_t *)sim_durable(c))->u.pc; }
static st_pane_t *panes_of(sim_ctx *c) { return (st_pane_t *)st_tail_of(sim_config(c), sim_state(c)); }
static st_contrib_t *contribs_of(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    return (st_contrib_t *)(panes_of(c) + cfg->panes_max);
}

static uint32_t all_producers(const st_config_t *cfg) { return (uint32_t)((1ull << cfg->producers) - 1); }

/* ---- Panes. ---------------------------------------------------------------------- */

/* Finds or opens the pane of (p, key, k). O(open panes): a hash table would fix it,
 * but a processor holds a few hundred panes and a linear scan is easy to read. */
static st_pane_t *pane_get(sim_ctx *c, uint32_t p, uint32_t key, int64_t k)
{
    const st_config_t *cfg = sim_config(c);
    st_proc_t *s = pc_of(c);
    st_pane_t *pn = panes_of(c);
    for (uint32_t i = 0; i < s->n_panes; i++)
        if (pn[i].k == k && pn[i].key == key && pn[i].p == p) return &pn[i];
    if (s->n_panes >= cfg->panes_max) {
        sim_halt(c, "stream: processor %s has panes_max (%lld) windows open; raise protocol.params.panes_max",
                 sim_node_name(c, sim_self(c)), (long long)cfg->panes_max);
        return NULL;
    }
    st_pane_t *x = &pn[s->n_panes++];
    *x = (st_pane_t){-1, 0, 0, k, -1, (uint16_t)key, (uint8_t)p, 0};
    return x;
}

static void contribs_free(sim_ctx *c, int32_t head)
{
    st_proc_t *s = pc_of(c);
    st_contrib_t *cb = contribs_of(c);
    while (head >= 0) {
        int32_t next = cb[head].next;
        cb[head].next = s->free_head;
        s->free_head = head;
        head = next;
    }
}

static void pane_remove(sim_ctx *c, uint32_t i)
{
    st_proc_t *s = pc_of(c);
    sim_assert(i < s->n_panes);
    st_pane_t *pn = panes_of(c);
    contribs_free(c, pn[i].contrib);
    pn[i] = pn[--s->n_panes];
}

/* A firing: the pane's gathered count and sum go to the results, and every event
 * waiting in it has its first result now. */
static void fire(sim_ctx *c, st_pane_t *x)
{
    const st_config_t *cfg = sim_config(c);
    sim_assert(x->count >= 0 && x->k < cfg->max_windows);
    void *du = sim_durable(c);
    st_proc_durable_t *pd = pcd_of(c);
    sim_time_t now = sim_now(c);
    if (x->count) {
        st_cell_t *cell = &st_pc_cells(cfg, du)[st_cell_of(cfg, x->key, x->k)];
        cell->count += x->count;
        cell->sum += x->sum;
        if (!cell->first_ns) cell->first_ns = now;
    }
    sim_time_t *res = st_pc_res(du);
    uint8_t *evst = st_pc_evst(cfg, du);
    st_contrib_t *cb = contribs_of(c);
    for (int32_t i = x->contrib; i >= 0; i = cb[i].next) {
        uint32_t id = cb[i].id;
        if (!res[id]) res[id] = now;
        if ((evst[id] & EVST_EMITS) < EVST_EMITS) evst[id]++;
    }
    contribs_free(c, x->contrib);
    x->contrib = -1;
    x->count = x->sum = 0;
    x->first_offset = -1;
    x->flags = PANE_FIRED;
    pd->firings++;
}

/* ---- Reading a partition. -------------------------------------------------------- */

static void process(sim_ctx *c, uint32_t p, int64_t off, const st_rec_t *r)
{
    const st_config_t *cfg = sim_config(c);
    st_proc_t *s = pc_of(c);
    st_proc_durable_t *pd = pcd_of(c);
    st_task_t *t = &s->task[p];
    sim_assert(t->state == TASK_RUN && off >= t->position);
    if (r->flags & ST_REC_END) {
        uint32_t q = r->id / cfg->per_producer;
        if (q < ST_PRODUCERS_MAX) t->ends |= 1u << q;
        if ((t->ends & all_producers(cfg)) == all_producers(cfg)) t->closed = true;
        return;
    }
    if (r->id >= cfg->n_events || r->key >= cfg->keys) return;
    pd->applied++;
    if (r->event_ns > t->max_event_ns) t->max_event_ns = r->event_ns;
    int64_t k_lo, k_hi;
    st_windows_of(cfg, r->event_ns, &k_lo, &k_hi);
    if (k_hi >= cfg->max_windows) {
        sim_halt(c, "stream: an event time beyond max_windows (%lld) windows of %lldms; raise protocol.params.max_windows",
                 (long long)cfg->max_windows, (long long)(cfg->slide_ns / SIM_MS));
        return;
    }
    bool dropped = false, late = false;
    for (int64_t k = k_lo; k <= k_hi; k++) {
        if (st_lateness_of(cfg, t->wm_ns, k) == ST_EXPIRED) { dropped = true; continue; }
        st_pane_t *x = pane_get(c, p, r->key, k);
        if (!x) return;
        x->count++;
        x->sum += r->value;
        if (x->first_offset < 0 || off < x->first_offset) x->first_offset = off;
        if (x->flags & PANE_FIRED) { x->flags |= PANE_DIRTY; late = true; }
        if (k != k_lo) continue;
        st_contrib_t *cb = contribs_of(c);
        if (s->free_head < 0) {
            sim_halt(c, "stream: processor %s holds pending_max (%lld) events in open windows; raise protocol.params.pending_max",
                     sim_node_name(c, sim_self(c)), (long long)cfg->pending_max);
            return;
        }
        int32_t i = s->free_head;
        s->free_head = cb[i].next;
        cb[i] = (st_contrib_t){r->created_ns, r->id, x->contrib};
        x->contrib = i;
    }
    if (dropped) {
        pd->late_dropped++;
        st_pc_evst(cfg, sim_durable(c))[r->id] |= EVST_DROPPED;
    }
    if (late) pd->late_updates++;
    if (dropped || late)
        s->late[s->n_late++ % ST_LATE_RECENT] = (st_late_t){.event_ns = r->event_ns, .at_ns = sim_now(c), .p = p, .dropped = dropped};
}

/* After a fetch: the watermark moves, windows it passed fire, windows past their
 * allowed lateness are forgotten. */
static void advance(sim_ctx *c, uint32_t p)
{
    const st_config_t *cfg = sim_config(c);
    st_proc_t *s = pc_of(c);
    st_task_t *t = &s->task[p];
    t->wm_ns = st_watermark(t->wm_ns, t->max_event_ns, cfg->out_of_order_ns, t->closed);
    st_pane_t *pn = panes_of(c);
    for (uint32_t i = s->n_panes; i-- > 0;) {
        st_pane_t *x = &pn[i];
        if (x->p != p || st_window_end(cfg, x->k) > t->wm_ns) continue;
        if (!(x->flags & PANE_FIRED) || (x->flags & PANE_DIRTY)) fire(c, x);
        if (st_lateness_of(cfg, t->wm_ns, x->k) == ST_EXPIRED) pane_remove(c, i);
    }
}

/* The offset a successor could restart from without losing an event: the lowest one
 * still waiting in an unfired pane, or the read position when none waits. */
static int64_t safe_offset(sim_ctx *c, uint32_t p)
{
    st_proc_t *s = pc_of(c);
    st_pane_t *pn = panes_of(c);
    int64_t off = s->task[p].position;
    for (uint32_t i = 0; i < s->n_panes; i++)
        if (pn[i].p == p && pn[i].first_offset >= 0 && pn[i].first_offset < off) off = pn[i].first_offset;
    return off;
}

static void commit(sim_ctx *c, uint32_t p, int64_t off)
{
    const st_config_t *cfg = sim_config(c);
    st_state_t *st = sim_state(c);
    st_task_t *t = &pc_of(c)->task[p];
    int64_t leader = st_leader_node(cfg, st, p);
    if (leader < 0) { st_meta_request(c, false); return; }
    m_offset_t o = {p, ST_OK, off};
    sim_send(c, (uint32_t)leader, M_OFFSET_COMMIT, &o, sizeof o, 0);
    t->committed_sent = off;
}

static void send_fetch(sim_ctx *c, uint32_t p)
{
    const st_config_t *cfg = sim_config(c);
    st_state_t *st = sim_state(c);
    st_proc_t *s = pc_of(c);
    st_task_t *t = &s->task[p];
    int64_t leader = st_leader_node(cfg, st, p);
    if (leader < 0) { st_meta_request(c, false); return; }
    t->inflight = true;
    t->sent_ns = sim_now(c);
    t->req = st_req_id(pcd_of(c)->incarnation, &s->req_seq);   /* not an old life's */
    if (t->state == TASK_OFFSET) {
        m_offset_t o = {p, ST_OK, 0};
        sim_send(c, (uint32_t)leader, M_OFFSET_FETCH, &o, sizeof o, 0);
    } else {
        m_fetch_t f = {p, t->req, t->position};
        sim_send(c, (uint32_t)leader, M_FETCH, &f, sizeof f, 0);
    }
}

static void drop_task(sim_ctx *c, uint32_t p)
{
    st_proc_t *s = pc_of(c);
    st_pane_t *pn = panes_of(c);
    for (uint32_t i = s->n_panes; i-- > 0;)
        if (pn[i].p == p) pane_remove(c, i);
    memset(&s->task[p], 0, sizeof s->task[p]);
}

static void revoke(sim_ctx *c, uint32_t p)
{
    const st_config_t *cfg = sim_config(c);
    st_task_t *t = &pc_of(c)->task[p];
    if (cfg->commit == ST_COMMIT_AFTER && t->state == TASK_RUN) commit(c, p, safe_offset(c, p));
    drop_task(c, p);
}

static void on_assign(sim_ctx *c, const m_assign_t *a)
{
    const st_config_t *cfg = sim_config(c);
    st_proc_t *s = pc_of(c);
    if (!s->joined || a->generation < s->generation) return;
    s->generation = a->generation;
    uint32_t mask = a->partitions & (uint32_t)((1ull << cfg->partitions) - 1);
    for (uint32_t p = 0; p < cfg->partitions; p++) {
        bool had = s->assigned >> p & 1, gets = mask >> p & 1;
        if (had && !gets) revoke(c, p);
        if (!had && gets) {
            st_task_t *t = &s->task[p];
            memset(t, 0, sizeof *t);
            t->state = TASK_OFFSET;
            send_fetch(c, p);
        }
    }
    s->assigned = mask;
    sim_log(c, "generation %lld: reads %u partitions", (long long)a->generation, (unsigned)__builtin_popcount(mask));
}

static void on_offset(sim_ctx *c, const m_offset_t *o)
{
    const st_config_t *cfg = sim_config(c);
    st_proc_t *s = pc_of(c);
    if (o->p >= cfg->partitions || !(s->assigned >> o->p & 1)) return;
    st_task_t *t = &s->task[o->p];
    if (t->state != TASK_OFFSET) return;
    t->inflight = false;
    if (o->status != ST_OK) { st_meta_request(c, false); return; }
    t->state = TASK_RUN;
    t->position = t->committed_sent = t->hw = o->offset;
    t->max_event_ns = INT64_MIN;
    t->wm_ns = INT64_MIN;
    send_fetch(c, o->p);
}

static void on_fetch_data(sim_ctx *c, const sim_msg_t *m)
{
    const st_config_t *cfg = sim_config(c);
    st_proc_t *s = pc_of(c);
    if (!st_payload_ok(m, sizeof(m_fetch_data_t), sizeof(st_rec_t), offsetof(m_fetch_data_t, n))) return;
    const m_fetch_data_t *d = m->payload;
    if (d->p >= cfg->partitions) return;
    st_task_t *t = &s->task[d->p];
    if (!(s->assigned >> d->p & 1) || t->state != TASK_RUN || !t->inflight || d->req != t->req) {
        pcd_of(c)->stale_fetches++;
        return;
    }
    t->inflight = false;
    if (d->status == ST_NOT_LEADER) { st_meta_request(c, false); return; }
    if (d->status == ST_OUT_OF_RANGE) {
        /* The log no longer has our position (an unclean election cut it): read on
         * from its end, as auto.offset.reset=latest does. */
        t->position = d->hw;
        return;
    }
    if (d->from != t->position) return;
    t->hw = d->hw;
    if (cfg->commit == ST_COMMIT_BEFORE && d->n) commit(c, d->p, d->from + d->n);
    for (uint32_t i = 0; i < d->n; i++) {
        process(c, d->p, d->from + i, &d->recs[i]);
    }
    t->position = d->from + d->n;
    advance(c, d->p);
    if (d->n) send_fetch(c, d->p);
}

static void join(sim_ctx *c)
{
    st_proc_t *s = pc_of(c);
    st_state_t *st = sim_state(c);
    s->joined = true;
    m_group_t g = {st->index, pcd_of(c)->incarnation, s->generation};
    sim_send(c, 0, M_JOIN, &g, sizeof g, 0);
}

void st_proc_membership(sim_ctx *c, bool joined)
{
    const st_config_t *cfg = sim_config(c);
    st_proc_t *s = pc_of(c);
    st_state_t *st = sim_state(c);
    if (joined) { if (!s->joined) join(c); return; }
    for (uint32_t p = 0; p < cfg->partitions; p++)
        if (s->assigned >> p & 1) revoke(c, p);
    s->assigned = 0;
    s->joined = false;
    m_group_t g = {st->index, pcd_of(c)->incarnation, s->generation};
    sim_send(c, 0, M_LEAVE, &g, sizeof g, 0);
}

void st_proc_init(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    st_proc_t *s = pc_of(c);
    st_proc_durable_t *pd = pcd_of(c);
    pd->incarnation++;
    st_contrib_t *cb = contribs_of(c);
    for (int64_t i = 0; i < cfg->pending_max; i++) cb[i].next = i + 1 < cfg->pending_max ? (int32_t)(i + 1) : -1;
    s->free_head = 0;
    sim_set_role(c, ST_ROLE_PROCESSOR, 0);
    st_meta_request(c, true);
    if (sim_is_member(c, sim_self(c))) join(c);
    sim_timer_set(c, cfg->heartbeat_ns, T_PC_HB, 0);
    sim_timer_set(c, cfg->poll_ns, T_PC_POLL, 0);
    sim_timer_set(c, cfg->commit_every_ns, T_PC_COMMIT, 0);
}

void st_proc_message(sim_ctx *c, const sim_msg_t *m)
{
    switch (m->type) {
    case M_METADATA: st_meta_apply(c, m); break;
    case M_ASSIGN:
        if (st_payload_ok(m, sizeof(m_assign_t), 0, 0)) on_assign(c, m->payload);
        break;
    case M_OFFSET:
        if (st_payload_ok(m, sizeof(m_offset_t), 0, 0)) on_offset(c, m->payload);
        break;
    case M_FETCH_DATA: on_fetch_data(c, m); break;
    default: break;
    }
}

void st_proc_timer(sim_ctx *c, int kind, uint64_t data)
{
    const st_config_t *cfg = sim_config(c);
    st_proc_t *s = pc_of(c);
    st_state_t *st = sim_state(c);
    switch (kind) {
    case T_PC_HB:
        if (s->joined) {
            m_group_t g = {st->index, pcd_of(c)->incarnation, s->generation};
            sim_send(c, 0, M_GROUP_HB, &g, sizeof g, 0);
        }
        sim_timer_set(c, cfg->heartbeat_ns, T_PC_HB, 0);
        break;
    case T_PC_POLL:
        for (uint32_t p = 0; p < cfg->partitions; p++) {
            st_task_t *t = &s->task[p];
            if (!(s->assigned >> p & 1)) continue;
            if (t->inflight && sim_now(c) - t->sent_ns >= cfg->request_timeout_ns) {
                t->inflight = false;          /* no answer: the leader may have moved */
                st_meta_request(c, false);
            }
            if (!t->inflight) send_fetch(c, p);
        }
        sim_timer_set(c, cfg->poll_ns, T_PC_POLL, 0);
        break;
    case T_PC_COMMIT:
        if (cfg->commit == ST_COMMIT_AFTER)
            for (uint32_t p = 0; p < cfg->partitions; p++)
                if ((s->assigned >> p & 1) && s->task[p].state == TASK_RUN) commit(c, p, safe_offset(c, p));
        sim_timer_set(c, cfg->commit_every_ns, T_PC_COMMIT, 0);
        break;
    default:
        break;
    }
}
