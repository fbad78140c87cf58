/* stream_oracle.c -- what really happened, and how each side measured up to it.
 *
 * The oracle knows every event: each producer writes a ledger entry (key, value,
 * event time, creation time, whether it was acknowledged) into its durable storage as
 * it creates the event, and the oracle reads all the ledgers. From them it computes
 * the true count and sum of every (key, window), and compares the results tables the
 * stream processors and the batch master wrote: a window is exact when both numbers
 * match, wrong otherwise.
 *
 * It also reads each partition's final log (the current leader's, or the longest
 * replica's when the partition is offline) and makes the checks Jepsen makes of
 * Kafka-like logs (Kingsbury, "Jepsen: Redpanda 21.10.1", 2022, whose checks became
 * the kafka workload of jepsen.tests):
 *   lost          an acknowledged event that is in no partition's log;
 *   duplicated    an event at more than one offset (a retried request appended twice);
 *   out of order  a record whose producer sequence number is below that of an earlier
 *                 record of the same producer in the same partition.
 *
 *   ledgers ──> truth[key][window] ──┬── compare ── stream results (all processors)
 *                                    └── compare ── batch results (master)
 *   final logs ──> seen[event] ──> lost, duplicated, out of order, missed
 *
 * Latency is measured per event, from its creation to the moment a result that
 * counted it became available: for the stream, the first firing of the first window
 * it falls in that included it; for batch, the end of the job that read it. The
 * percentiles interpolate between order statistics, as the core's do.
 *
 * The oracle works in the controller's durable storage, after the controller's own
 * data, which no message ever writes; it recomputes everything from scratch each
 * time, so a summary taken mid-run is as good as one at the end.
 *
 * The invariants (st_check) run after every event, so they read only a few numbers
 * per partition:
 *   high-watermark-within-log   every replica's hw <= its log end <= log_max;
 *   one-leader-per-epoch        no two live brokers lead a partition at one epoch;
 *   committed-prefix-agreement  (clean elections) the last committed record of every
 *                               follower is the leader's record at that offset;
 *   acked-record-lost           (acks=all, min_isr >= 2, clean elections) the last
 *                               record acknowledged to each producer in each partition
 *                               is in the leader's log where the ack said.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proto/stream.h"

/* ---- The working space. ------------------------------------------------------------ */

typedef struct oracle {
    st_cell_t *truth, *ttot, *sres;     /* true windows, true totals per key, stream results */
    uint8_t *seen;                      /* per event: occurrences in the final logs */
    int64_t *lat;                       /* latency samples */
    st_lag_sample_t *lag;               /* every broker's lag samples */
} oracle_t;

size_t st_oracle_bytes(const st_config_t *cfg)
{
    return (2 * (size_t)cfg->cells + (size_t)cfg->keys) * sizeof(st_cell_t) + st_align(cfg->n_events)
           + (size_t)cfg->n_events * sizeof(int64_t) + (size_t)cfg->brokers * (size_t)cfg->lag_samples_max * sizeof(st_lag_sample_t);
}

static void oracle_map(const st_config_t *cfg, sim_t *s, oracle_t *o)
{
    uint8_t *b = st_dtail_of(sim_node_durable(s, 0));
    o->truth = (st_cell_t *)b;
    o->sres = o->truth + cfg->cells;
    o->ttot = o->sres + cfg->cells;
    o->seen = (uint8_t *)(o->ttot + cfg->keys);
    o->lat = (int64_t *)(o->seen + st_align(cfg->n_events));
    o->lag = (st_lag_sample_t *)(o->lat + cfg->n_events);
}

static const st_config_t *cfg_of(sim_t *s) { return sim_config_of(s); }
static st_durable_t *du_of(sim_t *s, uint32_t node) { return sim_node_durable(s, node); }
static st_state_t *state_of(sim_t *s, uint32_t node) { return sim_node_state(s, node); }

/* The log readers would see now: the leader's, or the longest replica's if none leads. */
static st_plog_t *final_log(sim_t *s, const st_config_t *cfg, uint32_t p)
{
    int32_t leader = du_of(s, 0)->u.ctl.part[p].leader;
    if (leader >= 0) return st_plog(cfg, du_of(s, st_broker_node(cfg, (uint32_t)leader)), p);
    st_plog_t *best = NULL;
    for (uint32_t i = 0; i < cfg->replication; i++) {
        st_plog_t *l = st_plog(cfg, du_of(s, st_broker_node(cfg, (p + i) % (uint32_t)cfg->brokers)), p);
        if (!best || l->leo > best->leo) best = l;
    }
    return best;
}

/* ---- Pure helpers. ----------------------------------------------------------------- */

void st_truth_add(const st_config_t *cfg, st_cell_t *truth, uint32_t key, sim_time_t event_ns, int64_t value)
{
    int64_t k_lo, k_hi;
    st_windows_of(cfg, event_ns, &k_lo, &k_hi);
    for (int64_t k = k_lo; k <= k_hi && k < cfg->max_windows; k++) {
        truth[st_cell_of(cfg, key, k)].count++;
        truth[st_cell_of(cfg, key, k)].sum += value;
    }
}

void st_compare(const st_cell_t *truth, const st_cell_t *got, uint32_t n, st_score_t *sc)
{
    memset(sc, 0, sizeof *sc);
    for (uint32_t i = 0; i < n; i++) {
        if (!truth[i].count && !got[i].count) continue;
        sc->total++;
        if (truth[i].count == got[i].count && truth[i].sum == got[i].sum) sc->exact++;
        else sc->wrong++;
        if (truth[i].count && !got[i].count) sc->missing++;
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t st_quantile(const int64_t *sorted, uint64_t n, double q)
{
    if (!n) return 0;
    double pos = q * (double)(n - 1);
    uint64_t i = (uint64_t)pos;
    if (i + 1 >= n) return sorted[n - 1];
    double f = pos - (double)i;
    return (int64_t)((double)sorted[i] + f * (double)(sorted[i + 1] - sorted[i]) + 0.5);
}

static void write_latency(jw_t *w, int64_t *lat, uint64_t n)
{
    qsort(lat, n, sizeof *lat, cmp_i64);
    double sum = 0;
    for (uint64_t i = 0; i < n; i++) sum += (double)lat[i];
    jw_key(w, "latency_ns");
    jw_obj_begin(w);
    jw_kint(w, "p50", st_quantile(lat, n, 0.50));
    jw_kint(w, "p90", st_quantile(lat, n, 0.90));
    jw_kint(w, "p99", st_quantile(lat, n, 0.99));
    jw_kint(w, "max", st_quantile(lat, n, 1.0));
    jw_kint(w, "mean", n ? (int64_t)(sum / (double)n + 0.5) : 0);
    jw_kuint(w, "samples", n);
    jw_obj_end(w);
}

static void write_windows(jw_t *w, const st_score_t *sc)
{
    jw_key(w, "windows");
    jw_obj_begin(w);
    jw_kuint(w, "exact", sc->exact);
    jw_kuint(w, "wrong", sc->wrong);
    jw_kuint(w, "missing", sc->missing);
    jw_kuint(w, "total", sc->total);
    jw_obj_end(w);
}

static uint64_t sent_of(sim_t *s, unsigned from, unsigned to)
{
    uint64_t n = 0;
    for (unsigned t = from; t <= to; t++) n += sim_sent_of_type(s, SIM_MSG_BUILTIN + t);
    return n;
}

static int cmp_lag(const void *a, const void *b)
{
    const st_lag_sample_t *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    return (x->t_ns > y->t_ns) - (x->t_ns < y->t_ns);
}

/* ---- The summary. ------------------------------------------------------------------- */

typedef struct tally {
    uint64_t produced, acked, failed, unacked, lost_acked, missing, duplicates, out_of_order;
} tally_t;

/* Truth from the ledgers, and which events the final logs hold. */
static void tally_log(sim_t *s, const st_config_t *cfg, oracle_t *o, tally_t *t)
{
    memset(t, 0, sizeof *t);
    memset(o->truth, 0, cfg->cells * sizeof(st_cell_t));
    memset(o->ttot, 0, (size_t)cfg->keys * sizeof(st_cell_t));
    memset(o->seen, 0, cfg->n_events);
    for (uint32_t p = 0; p < cfg->partitions; p++) {
        st_plog_t *l = final_log(s, cfg, p);
        const st_rec_t *r = st_recs(l);
        uint32_t hi[ST_PRODUCERS_MAX] = {0};
        for (int64_t off = 0; off < l->leo; off++) {
            if ((r[off].flags & ST_REC_END) || r[off].id >= cfg->n_events) continue;
            uint32_t q = r[off].id / cfg->per_producer, seq = r[off].id % cfg->per_producer;
            if (o->seen[r[off].id] < 255) o->seen[r[off].id]++;
            if (seq + 1 <= hi[q]) t->out_of_order++;
            else hi[q] = seq + 1;
        }
    }
    for (uint32_t q = 0; q < cfg->producers; q++) {
        void *du = du_of(s, cfg->first_producer + q);
        const st_prod_durable_t *pd = &((st_durable_t *)du)->u.pr;
        const st_ledger_t *lg = st_ledger(du);
        for (uint32_t seq = 0; seq < pd->next_seq; seq++) {
            const st_ledger_t *e = &lg[seq];
            if (e->flags & ST_REC_END) continue;
            uint32_t id = q * cfg->per_producer + seq;
            t->produced++;
            st_truth_add(cfg, o->truth, e->key, e->event_ns, e->value);
            o->ttot[e->key].count++;
            o->ttot[e->key].sum += e->value;
            if (e->status == EV_ACKED) t->acked++;
            else t->unacked++;
            if (e->status == EV_FAILED) t->failed++;
            if (!o->seen[id]) {
                t->missing++;
                if (e->status == EV_ACKED) t->lost_acked++;
            }
            if (o->seen[id] > 1) t->duplicates += o->seen[id] - 1u;
        }
    }
}

static void write_log(sim_t *s, const st_config_t *cfg, jw_t *w, const tally_t *t)
{
    const st_ctl_durable_t *cd = &du_of(s, 0)->u.ctl;
    uint64_t msgs = sent_of(s, M_HEARTBEAT, M_RDATA);
    sim_time_t offline = cd->offline_ns;
    for (uint32_t p = 0; p < cfg->partitions; p++)
        if (cd->offline_since_ns[p] >= 0) offline += sim_time(s) - cd->offline_since_ns[p];
    jw_key(w, "log");
    jw_obj_begin(w);
    jw_kuint(w, "produced", t->produced);
    jw_kuint(w, "acked", t->acked);
    jw_kuint(w, "lost_acked", t->lost_acked);
    jw_kuint(w, "unacked", t->unacked);
    jw_kuint(w, "failed", t->failed);
    jw_kuint(w, "missing", t->missing);
    jw_kuint(w, "duplicates", t->duplicates);
    jw_kuint(w, "out_of_order", t->out_of_order);
    jw_kuint(w, "elections", cd->elections);
    jw_kuint(w, "unclean_elections", cd->unclean_elections);
    jw_kint(w, "offline_ns", offline);
    jw_kuint(w, "messages", msgs);
    jw_kreal(w, "messages_per_event", t->produced ? (double)msgs / (double)t->produced : 0);
    jw_key(w, "partitions");
    jw_arr_begin(w);
    for (uint32_t p = 0; p < cfg->partitions; p++) {
        st_plog_t *l = final_log(s, cfg, p);
        jw_obj_begin(w);
        jw_kuint(w, "partition", p);
        jw_kint(w, "leader", cd->part[p].leader < 0 ? -1 : (int64_t)st_broker_node(cfg, (uint32_t)cd->part[p].leader));
        jw_kint(w, "epoch", cd->part[p].epoch);
        jw_kint(w, "records", l->leo);
        jw_kint(w, "hw", l->hw);
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_obj_end(w);
}

static void write_lag(sim_t *s, const st_config_t *cfg, oracle_t *o, jw_t *w)
{
    uint64_t n = 0;
    for (uint32_t b = 0; b < cfg->brokers; b++) {
        void *du = du_of(s, st_broker_node(cfg, b));
        uint32_t k = ((st_durable_t *)du)->u.bk.n_samples;
        memcpy(o->lag + n, st_bk_samples(cfg, du), k * sizeof(st_lag_sample_t));
        n += k;
    }
    qsort(o->lag, n, sizeof *o->lag, cmp_lag);
    jw_key(w, "lag");
    jw_arr_begin(w);
    uint64_t i = 0;
    for (uint32_t p = 0; p < cfg->partitions; p++) {
        int64_t max = 0;
        double sum = 0;
        uint64_t from = i;
        for (; i < n && o->lag[i].p == p; i++) {
            if (o->lag[i].lag > max) max = o->lag[i].lag;
            sum += (double)o->lag[i].lag;
        }
        jw_obj_begin(w);
        jw_kuint(w, "partition", p);
        jw_kint(w, "max", max);
        jw_kreal(w, "mean", i > from ? sum / (double)(i - from) : 0);
        jw_key(w, "series");
        jw_arr_begin(w);
        for (uint64_t j = from; j < i; j++) {
            jw_arr_begin(w);
            jw_int(w, o->lag[j].t_ns);
            jw_int(w, o->lag[j].lag);
            jw_arr_end(w);
        }
        jw_arr_end(w);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static void write_stream(sim_t *s, const st_config_t *cfg, oracle_t *o, jw_t *w, const tally_t *t)
{
    uint64_t n = 0, duplicates = 0, missed = 0, dropped = 0, late_updates = 0, firings = 0, applied = 0;
    sim_time_t first_created = SIM_TIME_MAX, last_result = 0;
    memset(o->sres, 0, cfg->cells * sizeof(st_cell_t));
    for (uint32_t i = 0; i < cfg->processors; i++) {
        void *du = du_of(s, cfg->first_processor + i);
        const st_proc_durable_t *pd = &((st_durable_t *)du)->u.pc;
        const st_cell_t *cells = st_pc_cells(cfg, du);
        for (uint32_t k = 0; k < cfg->cells; k++) {
            o->sres[k].count += cells[k].count;
            o->sres[k].sum += cells[k].sum;
        }
        late_updates += pd->late_updates;
        firings += pd->firings;
        applied += pd->applied;
    }
    for (uint32_t q = 0; q < cfg->producers; q++) {
        void *du = du_of(s, cfg->first_producer + q);
        const st_ledger_t *lg = st_ledger(du);
        uint32_t made = ((st_durable_t *)du)->u.pr.next_seq;
        for (uint32_t seq = 0; seq < made; seq++) {
            if (lg[seq].flags & ST_REC_END) continue;
            uint32_t id = q * cfg->per_producer + seq, emits = 0;
            sim_time_t res = 0;
            bool drop = false;
            for (uint32_t i = 0; i < cfg->processors; i++) {
                void *pdu = du_of(s, cfg->first_processor + i);
                sim_time_t r = st_pc_res(pdu)[id];
                uint8_t e = st_pc_evst(cfg, pdu)[id];
                if (r && (!res || r < res)) res = r;
                emits += e & EVST_EMITS;
                drop |= (e & EVST_DROPPED) != 0;
            }
            if (res) {
                o->lat[n++] = res - lg[seq].created_ns;
                if (lg[seq].created_ns < first_created) first_created = lg[seq].created_ns;
                if (res > last_result) last_result = res;
            }
            if (emits > 1) duplicates += emits - 1;
            if (drop) dropped++;
            if (o->seen[id] && !emits && !drop) missed++;
        }
    }
    st_score_t sc;
    st_compare(o->truth, o->sres, cfg->cells, &sc);
    uint64_t msgs = sent_of(s, M_JOIN, M_FETCH_DATA);
    jw_key(w, "stream");
    jw_obj_begin(w);
    jw_kuint(w, "events", n);
    write_latency(w, o->lat, n);
    write_windows(w, &sc);
    jw_kuint(w, "late_dropped", dropped);
    jw_kuint(w, "late_updates", late_updates);
    jw_kuint(w, "duplicates", duplicates);
    jw_kuint(w, "missed", missed);
    jw_kuint(w, "applied", applied);
    jw_kuint(w, "firings", firings);
    jw_kreal(w, "throughput_eps", last_result > first_created ? (double)n * 1e9 / (double)(last_result - first_created) : 0);
    jw_kuint(w, "messages", msgs);
    jw_kreal(w, "messages_per_event", t->produced ? (double)msgs / (double)t->produced : 0);
    write_lag(s, cfg, o, w);
    jw_obj_end(w);
}

static void write_batch(sim_t *s, const st_config_t *cfg, oracle_t *o, jw_t *w, const tally_t *t)
{
    uint64_t n = 0, unprocessed = 0;
    sim_time_t first_created = SIM_TIME_MAX, last_result = 0, job_sum = 0, job_max = 0;
    st_score_t sc = {0}, tot = {0};
    const st_batch_durable_t *bd = NULL;
    if (cfg->batch) {
        void *du = du_of(s, cfg->first_batch);
        bd = &((st_durable_t *)du)->u.bt;
        const st_job_t *jobs = st_bt_jobs(du);
        const int64_t *to = st_bt_job_to(cfg, du);
        for (uint32_t p = 0; p < cfg->partitions; p++) {
            st_plog_t *l = final_log(s, cfg, p);
            const st_rec_t *r = st_recs(l);
            int64_t from = 0;
            for (uint32_t j = 0; j < bd->n_jobs; j++) {
                int64_t end = to[(size_t)j * (size_t)cfg->partitions + p];
                for (int64_t off = from; off < end && off < l->leo; off++) {
                    if (r[off].flags & ST_REC_END) continue;
                    o->lat[n++] = jobs[j].end_ns - r[off].created_ns;
                    if (r[off].created_ns < first_created) first_created = r[off].created_ns;
                    if (jobs[j].end_ns > last_result) last_result = jobs[j].end_ns;
                }
                if (end > from) from = end;
            }
            for (int64_t off = bd->last_end[p]; off < l->leo; off++) unprocessed += !(r[off].flags & ST_REC_END);
        }
        for (uint32_t j = 0; j < bd->n_jobs; j++) {
            sim_time_t d = jobs[j].end_ns - jobs[j].start_ns;
            job_sum += d;
            if (d > job_max) job_max = d;
        }
        st_compare(o->truth, st_bt_cells(cfg, du), cfg->cells, &sc);
        if (bd->totals_done) st_compare(o->ttot, st_bt_totals(cfg, du), (uint32_t)cfg->keys, &tot);
    }
    uint64_t msgs = sent_of(s, M_MAP, M_REDUCE_DONE);
    jw_key(w, "batch");
    jw_obj_begin(w);
    jw_kuint(w, "events", n);
    write_latency(w, o->lat, n);
    write_windows(w, &sc);
    jw_kuint(w, "jobs", bd ? bd->n_jobs : 0);
    jw_kuint(w, "jobs_failed", bd ? bd->jobs_failed : 0);
    jw_kuint(w, "jobs_skipped", bd ? bd->jobs_skipped : 0);
    jw_key(w, "job_ns");
    jw_obj_begin(w);
    jw_kint(w, "mean", bd && bd->n_jobs ? job_sum / bd->n_jobs : 0);
    jw_kint(w, "max", job_max);
    jw_obj_end(w);
    jw_kuint(w, "unprocessed", unprocessed);
    jw_kreal(w, "throughput_eps", last_result > first_created ? (double)n * 1e9 / (double)(last_result - first_created) : 0);
    jw_kuint(w, "messages", msgs);
    jw_kreal(w, "messages_per_event", t->produced ? (double)msgs / (double)t->produced : 0);
    jw_key(w, "totals");
    jw_obj_begin(w);
    jw_kbool(w, "ran", bd && bd->totals_done);
    jw_kuint(w, "keys_exact", tot.exact);
    jw_kuint(w, "keys_wrong", tot.wrong);
    jw_kint(w, "records", bd ? bd->totals_records : 0);
    jw_kint(w, "duration_ns", bd && bd->totals_done ? bd->totals_end_ns - bd->totals_start_ns : 0);
    jw_obj_end(w);
    jw_obj_end(w);
}

void st_summary_top(sim_t *s, jw_t *w)
{
    const st_config_t *cfg = cfg_of(s);
    oracle_t o;
    tally_t t;
    oracle_map(cfg, s, &o);
    tally_log(s, cfg, &o, &t);
    write_stream(s, cfg, &o, w, &t);
    write_batch(s, cfg, &o, w, &t);
    write_log(s, cfg, w, &t);
}

void st_summary(sim_t *s, jw_t *w)
{
    static const char *const acks[] = {"0", "1", "all"};
    static const char *const commit[] = {"before-processing", "after-processing"};
    const st_config_t *cfg = cfg_of(s);
    jw_kint(w, "brokers", cfg->brokers);
    jw_kint(w, "producers", cfg->producers);
    jw_kint(w, "processors", cfg->processors);
    jw_kint(w, "batch", cfg->batch);
    jw_kstr(w, "acks", acks[cfg->acks]);
    jw_kint(w, "min_isr", cfg->min_isr);
    jw_kint(w, "replication", cfg->replication);
    jw_kint(w, "partitions", cfg->partitions);
    jw_kbool(w, "idempotent", cfg->idempotent);
    jw_kstr(w, "commit", commit[cfg->commit]);
    jw_kstr(w, "window", cfg->window == ST_WIN_SLIDING ? "sliding" : "tumbling");
    jw_kint(w, "size_ns", cfg->size_ns);
    jw_kint(w, "slide_ns", cfg->slide_ns);
    jw_kint(w, "out_of_order_ns", cfg->out_of_order_ns);
    jw_kstr(w, "late", cfg->late == ST_LATE_UPDATE ? "update" : "drop");
    jw_kint(w, "batch_every_ns", cfg->batch_every_ns);
}

/* ---- Invariants. --------------------------------------------------------------------- */

bool st_check(sim_t *s, sim_violation_t *v)
{
    const st_config_t *cfg = cfg_of(s);
    const st_ctl_durable_t *cd = &du_of(s, 0)->u.ctl;
    bool no_loss = cfg->acks == ST_ACKS_ALL && cfg->min_isr >= 2 && !cfg->unclean;
    for (uint32_t p = 0; p < cfg->partitions; p++) {
        for (uint32_t b = 0; b < cfg->brokers; b++) {
            uint32_t nb = st_broker_node(cfg, b);
            if (!sim_node_up(s, nb)) continue;
            const st_plog_t *l = st_plog(cfg, du_of(s, nb), p);
            if (l->hw > l->leo || l->leo > cfg->log_max)
                return sim_violation_set(v, "high-watermark-within-log", nb, -1,
                                "p%u: the replica's high watermark %lld is beyond its log end %lld", p, (long long)l->hw, (long long)l->leo);
            const st_bpart_t *bp = &state_of(s, nb)->u.bk.part[p];
            if (bp->role != BP_LEADER) continue;
            for (uint32_t b2 = b + 1; b2 < cfg->brokers; b2++) {
                uint32_t n2 = st_broker_node(cfg, b2);
                const st_bpart_t *bp2 = &state_of(s, n2)->u.bk.part[p];
                if (sim_node_up(s, n2) && bp2->role == BP_LEADER && bp2->epoch == bp->epoch)
                    return sim_violation_set(v, "one-leader-per-epoch", nb, n2, "p%u: two brokers lead at epoch %d", p, bp->epoch);
            }
        }
        int32_t lb = cd->part[p].leader;
        if (lb < 0) continue;
        uint32_t ln = st_broker_node(cfg, (uint32_t)lb);
        const st_bpart_t *lp = &state_of(s, ln)->u.bk.part[p];
        if (!sim_node_up(s, ln) || lp->role != BP_LEADER || lp->epoch != cd->part[p].epoch) continue;
        st_plog_t *ll = st_plog(cfg, du_of(s, ln), p);
        const st_rec_t *lr = st_recs(ll);
        if (!cfg->unclean)
            for (uint32_t b = 0; b < cfg->brokers; b++) {
                uint32_t nb = st_broker_node(cfg, b);
                if (nb == ln || !sim_node_up(s, nb)) continue;
                const st_bpart_t *bp = &state_of(s, nb)->u.bk.part[p];
                if (bp->role != BP_FOLLOWER || bp->epoch != lp->epoch) continue;
                st_plog_t *fl = st_plog(cfg, du_of(s, nb), p);
                if (!fl->hw) continue;
                const st_rec_t *fr = st_recs(fl) + fl->hw - 1;
                if (fl->hw > ll->leo || lr[fl->hw - 1].id != fr->id || lr[fl->hw - 1].epoch != fr->epoch)
                    return sim_violation_set(v, "committed-prefix-agreement", nb, ln,
                                    "p%u: the follower's committed record at offset %lld is not the leader's", p, (long long)(fl->hw - 1));
            }
        if (!no_loss) continue;
        for (uint32_t q = 0; q < cfg->producers; q++) {
            uint32_t nq = cfg->first_producer + q;
            const st_last_ack_t *la = &du_of(s, nq)->u.pr.last_ack[p];
            if (!la->set || la->offset < 0) continue;
            if (la->offset >= ll->leo || lr[la->offset].id != la->id)
                return sim_violation_set(v, "acked-record-lost", nq, ln,
                                "p%u: with acks=all the producer was told event %u is at offset %lld, but the leader's log has %s there",
                                p, la->id, (long long)la->offset, la->offset >= ll->leo ? "nothing" : "another record");
        }
    }
    return false;
}
