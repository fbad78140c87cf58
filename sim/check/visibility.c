/* visibility.c -- t-visibility and stale reads.
 *
 * Per key, acknowledged writes are sorted by value with a suffix minimum of their
 * completion times, so each read finds the earliest completion among newer writes by
 * one binary search: O((reads + writes) log writes) for the whole history.
 */
#include <stdlib.h>
#include <string.h>
#include "check/visibility.h"

typedef struct op {
    int32_t key;
    int64_t value;           /* write: value written; read: value read */
    bool read, has_value, acked;
    sim_time_t start, end;   /* end: SIM_TIME_MAX for a write whose outcome is unknown */
    uint32_t done_ix;        /* the completion's index in the history */
} op_t;

typedef struct wv { int64_t value; sim_time_t start, done; } wv_t;

static int cmp_start(const void *a, const void *b)
{
    const wv_t *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}
static int cmp_value(const void *a, const void *b)
{
    const wv_t *x = a, *y = b;
    return (x->value > y->value) - (x->value < y->value);
}
static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Pairs invocations with completions (one outstanding operation per process) and
 * keeps ok reads and ok or unknown writes (cas counts as a write of its new value). */
static op_t *pair_ops(const hist_t *h, uint32_t *n_out)
{
    int32_t fr = hist_find_f(h, "read"), fw = hist_find_f(h, "write"), fc = hist_find_f(h, "cas");
    uint32_t max_proc = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) if (h->ev[i].process > max_proc) max_proc = h->ev[i].process;
    int64_t *open = malloc(((size_t)max_proc + 1) * sizeof *open);
    op_t *ops = malloc(((size_t)h->n_ev / 2 + 1) * sizeof *ops);
    if (!open || !ops) { free(open); free(ops); *n_out = 0; return NULL; }
    for (uint32_t p = 0; p <= max_proc; p++) open[p] = -1;
    uint32_t n = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        if (e->type == HIST_INVOKE) { open[e->process] = i; continue; }
        if (open[e->process] < 0) continue;
        const hist_event_t *inv = &h->ev[open[e->process]];
        open[e->process] = -1;
        if (e->type == HIST_FAIL || e->key < 0) continue;
        op_t o = {e->key, 0, false, false, e->type == HIST_OK, inv->time_ns, e->type == HIST_OK ? e->time_ns : SIM_TIME_MAX, i};
        const int64_t *v = hist_vals(h, e);
        if ((int32_t)e->f == fr) {
            if (e->type != HIST_OK) continue;
            if (e->vkind == HIST_V_INT) { o.value = v[0]; o.has_value = true; }
            else if (e->vkind != HIST_V_NONE) continue;   /* lists, strings: not a register */
            o.read = true;
        } else if ((int32_t)e->f == fw && e->vkind == HIST_V_INT) {
            o.value = v[0];
        } else if ((int32_t)e->f == fc && e->vkind == HIST_V_LIST && e->n == 2) {
            o.value = v[1];
        } else {
            continue;
        }
        ops[n++] = o;
    }
    free(open);
    *n_out = n;
    return ops;
}

static int cmp_key(const void *a, const void *b)
{
    const op_t *x = a, *y = b;
    if (x->key != y->key) return (x->key > y->key) - (x->key < y->key);
    return (x->start > y->start) - (x->start < y->start);
}

void vis_compute(const hist_t *h, const sim_time_t *t_ns, uint32_t n_t, vis_result_t *out)
{
    vis_compute_each(h, t_ns, n_t, out, NULL, NULL);
}

void vis_compute_each(const hist_t *h, const sim_time_t *t_ns, uint32_t n_t, vis_result_t *out,
                      vis_read_fn fn, void *ud)
{
    memset(out, 0, sizeof *out);
    if (n_t > VIS_T_MAX) n_t = VIS_T_MAX;
    out->n_t = n_t;
    if (n_t) memcpy(out->t_ns, t_ns, n_t * sizeof *t_ns);
    uint32_t n;
    op_t *ops = pair_ops(h, &n);
    if (!ops) return;
    qsort(ops, n, sizeof *ops, cmp_key);
    int64_t *thresholds = malloc(((size_t)n + 1) * sizeof *thresholds);
    wv_t *by_start = malloc(((size_t)n + 1) * sizeof *by_start);
    wv_t *by_value = malloc(((size_t)n + 1) * sizeof *by_value);
    sim_time_t *sufmin = malloc(((size_t)n + 1) * sizeof *sufmin);
    if (!thresholds || !by_start || !by_value || !sufmin) goto out;
    uint64_t n_thr = 0;
    for (uint32_t lo = 0, hi; lo < n; lo = hi) {
        for (hi = lo; hi < n && ops[hi].key == ops[lo].key; hi++) {}
        uint32_t nw = 0;
        for (uint32_t i = lo; i < hi; i++)
            if (!ops[i].read) {
                wv_t x = {ops[i].value, ops[i].start, ops[i].end};
                by_start[nw] = by_value[nw] = x;
                nw++;
            }
        qsort(by_start, nw, sizeof *by_start, cmp_start);
        qsort(by_value, nw, sizeof *by_value, cmp_value);
        /* sufmin[i]: the earliest completion among writes invoked at or after
         * by_start[i] (unknown outcomes never complete). */
        sim_time_t m = SIM_TIME_MAX;
        for (uint32_t i = nw; i-- > 0;) { if (by_start[i].done < m) m = by_start[i].done; sufmin[i] = m; }
        for (uint32_t i = lo; i < hi; i++) {
            if (!ops[i].read) continue;
            /* The write whose value was read: superseding writes are those invoked
             * after it completed. A read of nothing is superseded by every write. */
            sim_time_t after = -1;
            if (ops[i].has_value) {
                uint32_t a = 0, b = nw;
                while (a < b) { uint32_t mid = a + (b - a) / 2; if (by_value[mid].value < ops[i].value) a = mid + 1; else b = mid; }
                if (a == nw || by_value[a].value != ops[i].value) continue;   /* a value no write wrote */
                after = by_value[a].done;
                if (after == SIM_TIME_MAX) after = SIM_TIME_MAX - 1;          /* unknown outcome: nothing follows it */
            }
            uint32_t a = 0, b = nw;
            while (a < b) { uint32_t mid = a + (b - a) / 2; if (by_start[mid].start <= after) a = mid + 1; else b = mid; }
            sim_time_t c = a < nw ? sufmin[a] : SIM_TIME_MAX;
            int64_t thr = c <= ops[i].start ? ops[i].start - c + 1 : 0;
            thresholds[n_thr++] = thr;
            if (fn) fn(ud, ops[i].done_ix, thr > 0 ? thr - 1 : -1);
            out->reads++;
            if (thr > 0) {
                out->stale++;
                if (thr - 1 > out->stale_max_ns) out->stale_max_ns = thr - 1;
            }
            for (uint32_t k = 0; k < n_t; k++) if (thr <= t_ns[k]) out->consistent[k]++;
        }
    }
    if (n_thr) {
        qsort(thresholds, n_thr, sizeof *thresholds, cmp_i64);
        uint64_t rank = (uint64_t)(0.999 * (double)n_thr + 0.999999);   /* nearest rank */
        if (rank < 1) rank = 1;
        out->t_999_ns = thresholds[rank - 1];
    }
out:
    free(thresholds);
    free(by_start);
    free(by_value);
    free(sufmin);
    free(ops);
}

static int cmp_done(const void *a, const void *b)
{
    const wv_t *x = a, *y = b;
    return (x->done > y->done) - (x->done < y->done);
}

void vis_compute_probes(const hist_t *h, const sim_time_t *t_ns, uint32_t n_t, vis_result_t *out)
{
    vis_compute(h, t_ns, n_t, out);
    out->per_delay = true;
    uint32_t n;
    op_t *ops = pair_ops(h, &n);
    if (!ops) return;
    qsort(ops, n, sizeof *ops, cmp_key);
    wv_t *by_done = malloc(((size_t)n + 1) * sizeof *by_done);
    wv_t *by_value = malloc(((size_t)n + 1) * sizeof *by_value);
    if (!by_done || !by_value) goto out;
    for (uint32_t lo = 0, hi; lo < n; lo = hi) {
        for (hi = lo; hi < n && ops[hi].key == ops[lo].key; hi++) {}
        uint32_t nw = 0, na = 0;
        for (uint32_t i = lo; i < hi; i++)
            if (!ops[i].read) {
                wv_t x = {ops[i].value, ops[i].start, ops[i].end};
                by_value[nw++] = x;
                if (ops[i].acked) by_done[na++] = x;
            }
        qsort(by_done, na, sizeof *by_done, cmp_done);
        qsort(by_value, nw, sizeof *by_value, cmp_value);
        for (uint32_t i = lo; i < hi; i++) {
            if (!ops[i].read) continue;
            /* What the read saw: the write of its value (or nothing). */
            const wv_t *seen = NULL;
            if (ops[i].has_value) {
                uint32_t a = 0, b = nw;
                while (a < b) { uint32_t mid = a + (b - a) / 2; if (by_value[mid].value < ops[i].value) a = mid + 1; else b = mid; }
                if (a == nw || by_value[a].value != ops[i].value) continue;   /* a value no write wrote */
                seen = &by_value[a];
            }
            for (uint32_t k = 0; k < n_t; k++) {
                sim_time_t done = ops[i].start - t_ns[k];
                uint32_t a = 0, b = na;
                while (a < b) { uint32_t mid = a + (b - a) / 2; if (by_done[mid].done < done) a = mid + 1; else b = mid; }
                /* Values are unique, so at most a few writes complete at one instant;
                 * the read probes one of them: it is consistent if it saw any. */
                bool probe = false, ok = false;
                for (; a < na && by_done[a].done == done; a++) {
                    probe = true;
                    if (seen && (seen->value == by_done[a].value || seen->done >= by_done[a].start)) ok = true;
                }
                if (!probe) continue;
                out->probe_reads[k]++;
                if (ok) out->probe_consistent[k]++;
            }
        }
    }
out:
    free(by_done);
    free(by_value);
    free(ops);
}

uint64_t vis_row_reads(const vis_result_t *r, uint32_t i)
{
    return r->per_delay ? r->probe_reads[i] : r->reads;
}

double vis_row_p(const vis_result_t *r, uint32_t i)
{
    uint64_t n = vis_row_reads(r, i);
    uint64_t c = r->per_delay ? r->probe_consistent[i] : r->consistent[i];
    return n ? (double)c / (double)n : 1.0;
}
