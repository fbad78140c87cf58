/* stats.c -- latency percentiles and the run summary (the --json object).
 *
 * Percentiles use GSL's quantile of sorted data (linear interpolation between order
 * statistics, as gsl_stats_quantile_from_sorted_data defines it) while a distribution
 * is small enough to keep whole, and a fixed histogram past that (sim_samples_t in
 * sim.h). The samples are copied before sorting so their order stays intact.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include "core/sim_int.h"
#include "check/visibility.h"

static int64_t quantile(const int64_t *x, uint64_t n, double q)
{
    if (!n) return 0;
    double *d = sim_xcalloc(n, sizeof *d);
    for (uint64_t i = 0; i < n; i++) d[i] = (double)x[i];
    gsl_sort(d, 1, n);
    double v = gsl_stats_quantile_from_sorted_data(d, 1, n, q);
    free(d);
    return (int64_t)(v + 0.5);
}

/* ---- Samples: exact, then a log-linear histogram. ---------------------------------
 *
 * Bucket of v: below 256 its own; above, 128 buckets per power of two, chosen by the
 * 8 leading bits of v (the top one always set), so a bucket is at most 1/128 of its
 * values wide and its middle within 1/256 of any value in it.
 */
static uint32_t bucket_of(int64_t v)
{
    if (v < 256) return v < 0 ? 0 : (uint32_t)v;
    int e = 63 - __builtin_clzll((unsigned long long)v);   /* 8 .. 62 */
    return 256u + (uint32_t)(e - 8) * 128u + (uint32_t)(((uint64_t)v >> (e - 7)) - 128u);
}

static int64_t bucket_middle(uint32_t b)
{
    if (b < 256) return b;
    int e = 8 + (int)((b - 256) / 128);
    uint64_t lo = (uint64_t)((b - 256) % 128 + 128) << (e - 7);
    return (int64_t)(lo + ((uint64_t)1 << (e - 7)) / 2);
}

static void samples_release(sim_samples_t *x)
{
    if (x->reserved) sim_unreserve(x->exact, SIM_SAMPLES_EXACT_MAX * sizeof *x->exact);
    else free(x->exact);
    x->exact = NULL;
    x->cap = 0;
    x->reserved = false;
}

void sim_samples_add(sim_samples_t *x, int64_t v)
{
    if (!x->n || v < x->min) x->min = v;
    if (!x->n || v > x->max) x->max = v;
    x->sum += (double)v;
    x->recent[x->n % SIM_SAMPLES_RECENT] = v;
    x->n++;
    if (x->bucket) {
        x->bucket[bucket_of(v)]++;
        return;
    }
    if (x->n <= SIM_SAMPLES_EXACT_MAX) {
        if (!x->exact) {
            /* Room for every exact sample at once, backed as it fills: never moved. */
            x->exact = sim_reserve(SIM_SAMPLES_EXACT_MAX * sizeof *x->exact);
            if (!x->exact) x->exact = sim_xcalloc(SIM_SAMPLES_EXACT_MAX, sizeof *x->exact);
            else x->reserved = true;
            x->cap = SIM_SAMPLES_EXACT_MAX;
        }
        x->exact[x->n - 1] = v;
        return;
    }
    /* One sample past the bound: the kept ones move into the histogram for good. */
    x->bucket = sim_xcalloc(SIM_SAMPLES_BUCKETS, sizeof *x->bucket);
    for (uint64_t i = 0; i + 1 < x->n; i++) x->bucket[bucket_of(x->exact[i])]++;
    x->bucket[bucket_of(v)]++;
    samples_release(x);
}

int64_t sim_samples_quantile(const sim_samples_t *x, double q)
{
    if (!x->n) return 0;
    if (!x->bucket) return quantile(x->exact, x->n, q);
    if (q <= 0) return x->min;
    if (q >= 1) return x->max;
    /* The bucket holding order statistic floor(q (n - 1)), counted from 0. */
    uint64_t rank = (uint64_t)(q * (double)(x->n - 1)), seen = 0;
    for (uint32_t b = 0; b < SIM_SAMPLES_BUCKETS; b++) {
        seen += x->bucket[b];
        if (seen > rank) {
            int64_t m = bucket_middle(b);
            return m < x->min ? x->min : m > x->max ? x->max : m;
        }
    }
    return x->max;
}

uint32_t sim_samples_recent(const sim_samples_t *x, int64_t *out, uint32_t max)
{
    uint64_t k = x->n < SIM_SAMPLES_RECENT ? x->n : SIM_SAMPLES_RECENT;
    if (k > max) k = max;
    for (uint64_t j = 0; j < k; j++) out[j] = x->recent[(x->n - k + j) % SIM_SAMPLES_RECENT];
    return (uint32_t)k;
}

void sim_samples_free(sim_samples_t *x)
{
    samples_release(x);
    free(x->bucket);
    memset(x, 0, sizeof *x);
}

int64_t sim_latency_quantile(const sim_t *s, double q) { return sim_samples_quantile(&s->st.latency, q); }
int64_t sim_leaderless_quantile(const sim_t *s, double q) { return sim_samples_quantile(&s->st.leaderless, q); }

void sim_write_summary(sim_t *s, jw_t *w, double wall_seconds) { sim_write_summary_with(s, w, wall_seconds, NULL, NULL); }

void sim_write_summary_with(sim_t *s, jw_t *w, double wall_seconds, void (*extra)(void *ud, jw_t *w), void *ud)
{
    const sim_stats_t *st = &s->st;
    char hash[24];
    snprintf(hash, sizeof hash, "%016" PRIx64, s->hash);
    jw_obj_begin(w);
    jw_kstr(w, "scenario", s->scn->name);
    jw_kstr(w, "protocol", s->proto->name);
    jw_kuint(w, "seed", s->seed);
    jw_kuint(w, "nodes", s->n_servers);
    jw_kuint(w, "clients", s->n_clients);
    jw_kint(w, "sim_time_ns", s->now);
    jw_kuint(w, "events", st->events);

    jw_key(w, "messages");
    jw_obj_begin(w);
    jw_kuint(w, "sent", st->sent);
    jw_kuint(w, "delivered", st->delivered);
    jw_key(w, "dropped");
    jw_obj_begin(w);
    uint64_t total = 0;
    for (int r = 0; r < DROP_COUNT_; r++) { jw_kuint(w, drop_reason_names[r], st->dropped[r]); total += st->dropped[r]; }
    jw_kuint(w, "total", total);
    jw_obj_end(w);
    jw_kuint(w, "duplicated", st->duplicated);
    jw_kuint(w, "bytes_sent", st->bytes_sent);
    jw_key(w, "by_type");
    jw_obj_begin(w);
    for (unsigned t = 0; t < s->n_mtypes; t++) {
        jw_key(w, s->mtype[t]);
        jw_obj_begin(w);
        jw_kuint(w, "sent", st->sent_by_type[t]);
        jw_kuint(w, "delivered", st->delivered_by_type[t]);
        jw_obj_end(w);
    }
    jw_obj_end(w);
    jw_obj_end(w);

    jw_key(w, "ops");
    jw_obj_begin(w);
    jw_kuint(w, "invoked", st->ops_invoked);
    jw_kuint(w, "ok", st->ops_ok);
    jw_kuint(w, "fail", st->ops_fail);
    jw_kuint(w, "info", st->ops_info);
    jw_kuint(w, "shed", st->ops_shed);
    jw_kuint(w, "retried", st->ops_retried);
    jw_obj_end(w);

    jw_key(w, "latency_ns");
    jw_obj_begin(w);
    jw_kint(w, "p50", sim_latency_quantile(s, 0.50));
    jw_kint(w, "p90", sim_latency_quantile(s, 0.90));
    jw_kint(w, "p99", sim_latency_quantile(s, 0.99));
    jw_kint(w, "max", sim_latency_quantile(s, 1.0));
    jw_obj_end(w);

    jw_key(w, "faults");
    jw_obj_begin(w);
    jw_kuint(w, "crashes", st->crashes);
    jw_kuint(w, "restarts", st->restarts);
    jw_kuint(w, "partitions", st->partitions);
    jw_obj_end(w);

    /* Only when a long run's history outgrew memory, so other summaries keep their form. */
    if (s->hist_dropped) {
        jw_key(w, "history");
        jw_obj_begin(w);
        jw_kuint(w, "events", s->hist.n_ev + s->hist_dropped);
        jw_kuint(w, "kept", s->hist.n_ev);
        jw_obj_end(w);
    }

    /* How eventual: staleness of reads, t-visibility, availability, convergence. */
    vis_result_t vr;
    /* With read_after_write probes the table is per probe delay; without, every read
     * is judged by its threshold (visibility.h). */
    if (s->scn->wl.n_probe) vis_compute_probes(&s->hist, s->scn->wl.tvis_ns, s->scn->wl.n_tvis, &vr);
    else vis_compute(&s->hist, s->scn->wl.tvis_ns, s->scn->wl.n_tvis, &vr);
    jw_key(w, "stale_reads");
    jw_obj_begin(w);
    jw_kuint(w, "reads", vr.reads);
    jw_kuint(w, "stale", vr.stale);
    jw_kint(w, "max_staleness_ns", vr.stale_max_ns);
    jw_obj_end(w);
    jw_key(w, "t_visibility");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < vr.n_t; i++) {
        jw_obj_begin(w);
        jw_kint(w, "t_ns", vr.t_ns[i]);
        jw_kuint(w, "reads", vis_row_reads(&vr, i));
        jw_kreal(w, "p_consistent", vis_row_p(&vr, i));
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_kreal(w, "p_consistent_at_0", vr.reads ? (double)(vr.reads - vr.stale) / (double)vr.reads : 1.0);
    jw_kint(w, "t_consistent_999_ns", vr.t_999_ns);
    jw_key(w, "availability");
    jw_obj_begin(w);
    jw_kuint(w, "ops_during_partitions", st->ops_in_partition);
    jw_kuint(w, "ok_during_partitions", st->ok_in_partition);
    jw_kreal(w, "fraction", st->ops_in_partition ? (double)st->ok_in_partition / (double)st->ops_in_partition : 1.0);
    jw_obj_end(w);
    jw_key(w, "convergence_ns");
    if (!s->proto->replicas_equal || st->equal_since_ns < 0) {
        jw_null(w);
    } else {
        sim_time_t quiet = st->last_fault_ns;
        const scn_workload_t *wl = &s->scn->wl;
        if (wl->clients) {
            sim_time_t stop = wl->stop_ns > 0 && wl->stop_ns < s->end ? wl->stop_ns : s->end;
            if (stop > quiet) quiet = stop;
        }
        /* Time from the moment the system went quiet (the last fault, or the end of
         * the workload if later) until the replicas were equal for good. */
        jw_int(w, st->equal_since_ns > quiet ? st->equal_since_ns - quiet : 0);
    }

    /* How long replicas disagreed: the intervals between a difference appearing and
     * the replicas being equal again, with one still open at the end counted to now. */
    jw_key(w, "divergence_ns");
    if (!s->proto->replicas_equal) {
        jw_null(w);
    } else {
        sim_time_t open = st->unequal_since_ns >= 0 ? s->now - st->unequal_since_ns : 0;
        jw_obj_begin(w);
        jw_kint(w, "total", st->diverged_ns + open);
        jw_kint(w, "longest", open > st->diverged_max_ns ? open : st->diverged_max_ns);
        jw_kbool(w, "at_end", st->unequal_since_ns >= 0);
        jw_obj_end(w);
    }

    jw_kuint(w, "elections", st->elections);
    jw_kint(w, "max_term", st->max_term);
    jw_key(w, "leaderless_ns");
    jw_obj_begin(w);
    jw_kuint(w, "count", st->leaderless.n);
    jw_kint(w, "mean", st->leaderless.n ? (int64_t)(st->leaderless.sum / (double)st->leaderless.n + 0.5) : 0);
    jw_kint(w, "p99", sim_samples_quantile(&st->leaderless, 0.99));
    jw_kint(w, "p999", sim_samples_quantile(&st->leaderless, 0.999));
    jw_kint(w, "max", sim_samples_quantile(&st->leaderless, 1.0));
    jw_obj_end(w);

    if (s->proto->summary_top) s->proto->summary_top(s, w);
    if (s->proto->summary) {
        jw_key(w, "protocol_stats");
        jw_obj_begin(w);
        s->proto->summary(s, w);
        jw_obj_end(w);
    }
    jw_kreal(w, "messages_per_ok_op", st->ops_ok ? (double)st->sent / (double)st->ops_ok : 0);

    jw_key(w, "invariants");
    jw_obj_begin(w);
    jw_kbool(w, "checked", s->invariants);
    jw_key(w, "violation");
    sim_time_t when;
    const sim_violation_t *v = sim_violation(s, &when);
    if (!v) {
        jw_null(w);
    } else {
        jw_obj_begin(w);
        jw_kstr(w, "name", v->name);
        jw_kint(w, "time_ns", when);
        jw_kstr(w, "detail", v->detail);
        jw_key(w, "nodes");
        jw_arr_begin(w);
        for (int i = 0; i < v->n_nodes; i++) jw_str(w, sim_name(s, v->nodes[i]));
        jw_arr_end(w);
        jw_obj_end(w);
    }
    jw_obj_end(w);
    if (s->error[0]) jw_kstr(w, "error", s->error);
    if (s->fault.callback) {
        /* Only when a plug-in crashed, so built-in summaries stay as they were. */
        jw_key(w, "fault");
        jw_obj_begin(w);
        jw_kint(w, "signal", s->fault.signal);
        jw_kstr(w, "what", s->fault.what);
        jw_kstr(w, "callback", s->fault.callback);
        jw_key(w, "node");
        if (s->fault.node >= 0) jw_str(w, sim_name(s, (uint32_t)s->fault.node));
        else jw_null(w);
        jw_kint(w, "time_ns", s->fault.t);
        jw_kstr(w, "event", s->fault.event);
        jw_obj_end(w);
    }
    if (extra) extra(ud, w);
    jw_kstr(w, "trace_hash", hash);
    jw_kreal(w, "wall_seconds", wall_seconds);
    jw_obj_end(w);
}
