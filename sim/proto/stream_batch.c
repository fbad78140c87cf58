/* stream_batch.c -- the batch side: MapReduce jobs over the log, every batch_every.
 *
 * The same windowed counts as the stream processor, computed the way a nightly job
 * would: every `batch_every` the master starts a job over everything that reached the
 * log since the last one. The job is MapReduce (Dean and Ghemawat, OSDI 2004): the
 * master sends one map task per partition to the broker leading it, so the data is
 * read where it lies (section 3.4, locality); the map function turns each record into
 * ((key, window), (1, value)) pairs and combines them before they leave the broker
 * (section 4.3, the combiner); the pairs are partitioned by hash over the reducers
 * (the shuffle, with section 4.1's partitioning function); each reducer adds up what it
 * got from every map task and
 * sends the sums to the master, which commits the job's output and the offsets it read
 * up to in one step, so a job either counts a record once or not at all.
 *
 *      master ──map(job 4, p0, from 812)──> leader of p0: reads [812, hw) ... 
 *      leader of p0 ──map-out(job 4, pairs for reducer r)──> reducer r   (every r)
 *      leader of p0 ──map-done(job 4, p0, to 1630)──> master
 *      reducer r ──reduce-done(job 4, sums)──> master      (once it heard from every p)
 *      master: results += sums; last_end = to; job 4 done
 *
 * A map task reads only below the high watermark, so it sees committed records only
 * and its input never changes under it. If a task or reducer does not answer within
 * `job_timeout` -- its broker crashed, leadership moved -- the master runs the whole
 * job again under a new number, and late messages of the old one are ignored. (The
 * paper, section 3.3, re-executes just the failed task; redoing the job is simpler
 * and, at this size, costs little.)
 *
 * A second kind of job, at `totals_at`, is the whole-data computation MapReduce was
 * built for: counts and sums per key over the log from offset 0.
 *
 * The batch side has no watermark to guess: a record is in a job or it is not. Its
 * windows are exact once the last job after the input ended has run; its price is the
 * wait, on average half the interval plus the job's own time.
 */
#include <stdio.h>
#include <string.h>
#include "proto/stream.h"

static st_batch_t *bt_of(sim_ctx *c) { return &((st_state_t *)sim_state(c))->u.bt; }
static st_batch_durable_t *btd_of(sim_ctx *c) { return &((st_durable_t *)sim_durable(c))->u.bt; }
/* Volatile tail of a batch node: the reducer's sums, then the master's staging table. */
static st_cell_t *acc_of(sim_ctx *c) { return (st_cell_t *)st_tail_of(sim_config(c), sim_state(c)); }
static st_cell_t *staging_of(sim_ctx *c) { return acc_of(c) + ((const st_config_t *)sim_config(c))->cells; }

static uint32_t mask_of(int64_t n) { return (uint32_t)((1ull << n) - 1); }
static uint32_t reducer_of(uint32_t cell, uint32_t reducers) { return (uint32_t)(sim_mix64(cell) % reducers); }

/* Builds, in the scratch area, a pairs message of the non-zero cells of `cells` that
 * belong to reducer r (all of them when r is -1). */
static m_pairs_t *build_pairs(sim_ctx *c, uint32_t job, uint32_t p, uint32_t reducer, const st_cell_t *cells, int64_t r)
{
    const st_config_t *cfg = sim_config(c);
    m_pairs_t *m = (m_pairs_t *)st_scratch_of(sim_state(c));
    m->job = job;
    m->p = p;
    m->reducer = reducer;
    m->n = 0;
    for (uint32_t i = 0; i < cfg->cells; i++) {
        if (!cells[i].count || (r >= 0 && reducer_of(i, (uint32_t)cfg->batch) != (uint32_t)r)) continue;
        m->pairs[m->n++] = (st_pair_t){i, 0, cells[i].count, cells[i].sum};
    }
    return m;
}

static void send_pairs(sim_ctx *c, uint32_t to, unsigned type, const m_pairs_t *m)
{
    sim_send(c, to, type, m, (uint32_t)(sizeof *m + m->n * sizeof(st_pair_t)), 0);
}

/* ---- The map task, at the broker leading the partition. ---------------------------- */

void st_broker_map(sim_ctx *c, const sim_msg_t *m)
{
    const st_config_t *cfg = sim_config(c);
    st_state_t *st = sim_state(c);
    if (!st_payload_ok(m, sizeof(m_map_t), 0, 0)) return;
    const m_map_t *mp = m->payload;
    if (mp->p >= cfg->partitions || !cfg->batch) return;
    m_map_done_t done = {mp->job, mp->p, ST_OK, 0, 0, 0};
    if (st->u.bk.part[mp->p].role != BP_LEADER) {
        done.status = ST_NOT_LEADER;
        sim_send(c, cfg->first_batch, M_MAP_DONE, &done, sizeof done, 0);
        return;
    }
    st_plog_t *l = st_plog(cfg, sim_durable(c), mp->p);
    st_rec_t *r = st_recs(l);
    st_cell_t *cells = st_bk_cells(cfg, st);
    memset(cells, 0, cfg->cells * sizeof *cells);
    int64_t from = mp->from < l->hw ? mp->from : l->hw;
    for (int64_t o = from; o < l->hw; o++) {
        if ((r[o].flags & ST_REC_END) || r[o].key >= cfg->keys) continue;
        done.records++;
        int64_t k_lo = 0, k_hi = 0;
        if (mp->kind == ST_JOB_WINDOWS) st_windows_of(cfg, r[o].event_ns, &k_lo, &k_hi);
        if (k_hi >= cfg->max_windows) {
            sim_halt(c, "stream: an event time beyond max_windows (%lld) windows; raise protocol.params.max_windows",
                     (long long)cfg->max_windows);
            return;
        }
        for (int64_t k = k_lo; k <= k_hi; k++) {
            st_cell_t *x = &cells[st_cell_of(cfg, r[o].key, k)];
            x->count++;
            x->sum += r[o].value;
        }
    }
    for (uint32_t red = 0; red < cfg->batch; red++)
        send_pairs(c, cfg->first_batch + red, M_MAP_OUT, build_pairs(c, mp->job, mp->p, red, cells, red));
    done.to = l->hw;
    sim_send(c, cfg->first_batch, M_MAP_DONE, &done, sizeof done, 0);
    ((st_durable_t *)sim_durable(c))->u.bk.maps++;
}

/* ---- The master. ------------------------------------------------------------------- */

static void job_start(sim_ctx *c, uint32_t kind);

static void job_retry_later(sim_ctx *c, uint32_t kind)
{
    sim_timer_set(c, ((const st_config_t *)sim_config(c))->retry_backoff_ns, T_BT_RETRY, kind);
}

static void job_start(sim_ctx *c, uint32_t kind)
{
    const st_config_t *cfg = sim_config(c);
    st_state_t *st = sim_state(c);
    st_batch_t *b = bt_of(c);
    st_batch_durable_t *bd = btd_of(c);
    if (kind == ST_JOB_TOTALS && bd->totals_done) return;
    if (b->running) {
        if (kind == ST_JOB_TOTALS) b->totals_due = true;
        else bd->jobs_skipped++;
        return;
    }
    if (kind == ST_JOB_WINDOWS && bd->n_jobs >= cfg->jobs_max) {
        sim_halt(c, "stream: the batch master ran jobs_max (%lld) jobs; raise protocol.params.jobs_max or batch_every",
                 (long long)cfg->jobs_max);
        return;
    }
    for (uint32_t p = 0; p < cfg->partitions; p++)
        if (st->leader[p] < 0) {
            /* A partition without a leader cannot be read: wait, as a scheduler
             * would for its input to be available. */
            st_meta_request(c, false);
            job_retry_later(c, kind);
            return;
        }
    b->running = true;
    b->kind = kind;
    b->job = ++bd->job_seq;
    b->start_ns = sim_now(c);
    b->maps_done = b->reducers_done = 0;
    b->records = 0;
    memset(staging_of(c), 0, cfg->cells * sizeof(st_cell_t));
    for (uint32_t p = 0; p < cfg->partitions; p++) {
        m_map_t m = {b->job, p, kind, 0, kind == ST_JOB_WINDOWS ? bd->last_end[p] : 0};
        sim_send(c, (uint32_t)st_leader_node(cfg, st, p), M_MAP, &m, sizeof m, 0);
    }
    sim_timer_set(c, cfg->job_timeout_ns, T_BT_TIMEOUT, b->job);
    sim_log(c, "%s job %u starts", kind == ST_JOB_WINDOWS ? "windows" : "totals", b->job);
}

static void job_abort(sim_ctx *c, const char *why)
{
    st_batch_t *b = bt_of(c);
    sim_log(c, "job %u abandoned: %s", b->job, why);
    b->running = false;
    btd_of(c)->jobs_failed++;
    st_meta_request(c, true);
    job_retry_later(c, b->kind);
}

/* The job is done when every map task and every reducer has answered: then its output
 * and the offsets it read to are committed together. */
static void maybe_commit(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    st_batch_t *b = bt_of(c);
    st_batch_durable_t *bd = btd_of(c);
    void *du = sim_durable(c);
    if (b->maps_done != mask_of(cfg->partitions) || b->reducers_done != mask_of(cfg->batch)) return;
    sim_assert(b->running && bd->n_jobs < cfg->jobs_max);
    sim_time_t now = sim_now(c);
    const st_cell_t *stg = staging_of(c);
    if (b->kind == ST_JOB_WINDOWS) {
        uint32_t j = bd->n_jobs++;
        st_bt_jobs(du)[j] = (st_job_t){b->start_ns, now, b->records};
        int64_t *to = st_bt_job_to(cfg, du) + (size_t)j * (size_t)cfg->partitions;
        for (uint32_t p = 0; p < cfg->partitions; p++) to[p] = bd->last_end[p] = b->to[p];
        st_cell_t *cells = st_bt_cells(cfg, du);
        for (uint32_t i = 0; i < cfg->cells; i++) {
            if (!stg[i].count) continue;
            cells[i].count += stg[i].count;
            cells[i].sum += stg[i].sum;
            if (!cells[i].first_ns) cells[i].first_ns = now;
        }
    } else {
        st_cell_t *tot = st_bt_totals(cfg, du);
        for (uint32_t k = 0; k < cfg->keys; k++) tot[k] = stg[st_cell_of(cfg, k, 0)];
        bd->totals_done = true;
        bd->totals_start_ns = b->start_ns;
        bd->totals_end_ns = now;
        bd->totals_records = b->records;
    }
    sim_log(c, "job %u done: %lld records", b->job, (long long)b->records);
    b->running = false;
    if (b->totals_due) {
        b->totals_due = false;
        job_start(c, ST_JOB_TOTALS);
    }
}

static void master_reduced(sim_ctx *c, const m_pairs_t *mp)
{
    const st_config_t *cfg = sim_config(c);
    st_batch_t *b = bt_of(c);
    if (!b->running || mp->job != b->job || mp->reducer >= cfg->batch || (b->reducers_done >> mp->reducer & 1)) return;
    st_cell_t *stg = staging_of(c);
    for (uint32_t i = 0; i < mp->n; i++) {
        if (mp->pairs[i].cell >= cfg->cells) continue;
        stg[mp->pairs[i].cell].count += mp->pairs[i].count;
        stg[mp->pairs[i].cell].sum += mp->pairs[i].sum;
    }
    b->reducers_done |= 1u << mp->reducer;
    maybe_commit(c);
}

static void master_map_done(sim_ctx *c, const m_map_done_t *d)
{
    const st_config_t *cfg = sim_config(c);
    st_batch_t *b = bt_of(c);
    if (!b->running || d->job != b->job || d->p >= cfg->partitions || (b->maps_done >> d->p & 1)) return;
    if (d->status != ST_OK) { job_abort(c, "a map task found no leader"); return; }
    b->to[d->p] = d->to;
    b->records += d->records;
    b->maps_done |= 1u << d->p;
    maybe_commit(c);
}

/* ---- Reducers (every batch node, the master included). --------------------------- */

static void reducer_map_out(sim_ctx *c, const m_pairs_t *mp)
{
    const st_config_t *cfg = sim_config(c);
    st_state_t *st = sim_state(c);
    st_batch_t *b = bt_of(c);
    if (mp->p >= cfg->partitions || mp->job < b->r_job) return;
    st_cell_t *acc = acc_of(c);
    if (mp->job > b->r_job) {
        /* A newer job: whatever was gathered for an older one is abandoned. */
        b->r_job = mp->job;
        b->r_got = 0;
        memset(acc, 0, cfg->cells * sizeof *acc);
    }
    if (b->r_got >> mp->p & 1) return;          /* a duplicate of a map output */
    b->r_got |= 1u << mp->p;
    for (uint32_t i = 0; i < mp->n; i++) {
        if (mp->pairs[i].cell >= cfg->cells) continue;
        acc[mp->pairs[i].cell].count += mp->pairs[i].count;
        acc[mp->pairs[i].cell].sum += mp->pairs[i].sum;
    }
    if (b->r_got != mask_of(cfg->partitions)) return;
    const m_pairs_t *out = build_pairs(c, mp->job, 0, st->index, acc, -1);
    /* The master is reducer 0 too: it hands its own sums over without a message. */
    if (st->index == 0) master_reduced(c, out);
    else send_pairs(c, cfg->first_batch, M_REDUCE_DONE, out);
}

void st_batch_init(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    st_state_t *st = sim_state(c);
    st_batch_durable_t *bd = btd_of(c);
    bd->incarnation++;
    st_meta_request(c, true);
    if (st->index != 0) {
        sim_set_role(c, ST_ROLE_REDUCER, 0);
        return;
    }
    sim_set_role(c, SIM_ROLE_MASTER, 0);
    sim_timer_set(c, cfg->batch_every_ns, T_BT_JOB, 0);
    if (cfg->totals_at_ns > 0 && !bd->totals_done) {
        sim_time_t at = cfg->totals_at_ns - sim_now(c);
        sim_timer_set(c, at > 0 ? at : 0, T_BT_TOTALS, 0);
    }
}

void st_batch_message(sim_ctx *c, const sim_msg_t *m)
{
    st_state_t *st = sim_state(c);
    switch (m->type) {
    case M_METADATA: st_meta_apply(c, m); break;
    case M_MAP_OUT:
        if (st_payload_ok(m, sizeof(m_pairs_t), sizeof(st_pair_t), offsetof(m_pairs_t, n))) reducer_map_out(c, m->payload);
        break;
    case M_REDUCE_DONE:
        if (st->index == 0 && st_payload_ok(m, sizeof(m_pairs_t), sizeof(st_pair_t), offsetof(m_pairs_t, n)))
            master_reduced(c, m->payload);
        break;
    case M_MAP_DONE:
        if (st->index == 0 && st_payload_ok(m, sizeof(m_map_done_t), 0, 0)) master_map_done(c, m->payload);
        break;
    default: break;
    }
}

void st_batch_timer(sim_ctx *c, int kind, uint64_t data)
{
    const st_config_t *cfg = sim_config(c);
    st_batch_t *b = bt_of(c);
    switch (kind) {
    case T_BT_JOB:
        job_start(c, ST_JOB_WINDOWS);
        sim_timer_set(c, cfg->batch_every_ns, T_BT_JOB, 0);
        break;
    case T_BT_TOTALS:
        job_start(c, ST_JOB_TOTALS);
        break;
    case T_BT_RETRY:
        job_start(c, (uint32_t)data);
        break;
    case T_BT_TIMEOUT:
        if (b->running && b->job == (uint32_t)data) job_abort(c, "not finished within job_timeout");
        break;
    default:
        break;
    }
}
