/* runcheck.c -- running the asked checks on a history and, after a run, comparing the
 * replicas.
 *
 * Convergence uses the protocol's replicas_equal when it has one; otherwise it
 * compares the exported states of every up server as text, which works for protocols
 * whose export holds only replicated data (and reports divergence for those whose
 * export also holds per-node bookkeeping: give those a replicas_equal).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "check/runcheck.h"

static int converged(sim_t *s)
{
    const proto_t *p = sim_protocol(s);
    if (p->replicas_equal) return p->replicas_equal(s) ? 1 : 0;
    if (!p->export_state) return -1;
    jw_t first, other;
    jw_init(&first, false);
    jw_init(&other, false);
    int result = -1;
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        if (!sim_node_up(s, i)) continue;
        jw_t *w = result < 0 ? &first : &other;
        jw_reset(w);
        sim_export_node(s, i, w);
        if (result < 0) { result = 1; continue; }
        if (strcmp(first.buf, other.buf) != 0) { result = 0; break; }
    }
    jw_free(&first);
    jw_free(&other);
    return result;
}

void runcheck_history(const hist_t *h, const runcheck_asks_t *a, runcheck_t *r)
{
    memset(r, 0, sizeof *r);
    if (a->linearizable >= 0) {
        r->any = r->lin_asked = true;
        r->lin_model = (lin_model_t)a->linearizable;
        /* Steps and memory only: no clock decides a verdict (lincheck.h). */
        lin_limits_t lim = { .steps_max = a->steps_max };
        r->lin_rc = lin_check(h, r->lin_model, &lim, &r->lin);
        if (r->lin_rc != SIM_OK || r->lin.verdict != LIN_OK) r->failed = true;
    }
    if (a->session) {
        r->any = r->session_asked = true;
        r->session_rc = chk_session(h, &r->session, r->session_err, sizeof r->session_err);
        uint32_t bad = 0;
        for (int k = 0; k < CHK_SESSION_COUNT_; k++) bad += r->session.violations[k];
        if (r->session_rc != SIM_OK || bad) r->failed = true;
    }
    if (a->set_full) {
        r->any = r->set_asked = true;
        r->set_rc = chk_set_full_settled(h, a->final_from_ns, &r->set, r->set_err, sizeof r->set_err);
        if (r->set_rc != SIM_OK || r->set.n_lost || r->set.n_unexpected || r->set.n_failed_seen) r->failed = true;
    }
    if (a->counter) {
        r->any = r->counter_asked = true;
        r->counter_rc = chk_counter(h, &r->counter, r->counter_err, sizeof r->counter_err);
        if (r->counter_rc != SIM_OK || r->counter.n_final_outside || !r->counter.n_final_reads) r->failed = true;
    }
    if (a->stale) {
        r->any = r->stale_asked = true;
        vis_compute(h, NULL, 0, &r->stale);
        if (r->stale.stale) r->failed = true;
    }
}

void runcheck_run(sim_t *s, runcheck_t *r)
{
    const scn_check_t *c = &sim_scenario(s)->check;
    const scn_workload_t *wl = &sim_scenario(s)->wl;
    /* The workload's final reads start this long after it stops (workload.c). */
    sim_time_t stop = wl->stop_ns > 0 && wl->stop_ns < sim_end(s) ? wl->stop_ns : sim_end(s);
    runcheck_asks_t a = {
        .linearizable = c->linearizable, .steps_max = c->steps_max,
        .session = c->session, .set_full = c->set_full, .counter = c->counter, .stale = c->stale,
        .final_from_ns = wl->final_reads_ns > 0 ? stop + wl->final_reads_ns : -1,
    };
    runcheck_history(sim_history(s), &a, r);
    /* A long run keeps only a prefix of its history in memory (sim.h). A violation in a
     * prefix is a violation of the whole, but a linearizable prefix says nothing of the
     * rest: that is unknown, and `dsim check` on the --history file can decide it. */
    if (sim_history_dropped(s) && r->lin_asked && r->lin_rc == SIM_OK && r->lin.verdict == LIN_OK) {
        r->lin.verdict = LIN_UNKNOWN;
        r->lin.unknown_reason = "history limit";
        r->failed = true;
    }
    if (c->convergence) {
        r->any = r->conv_asked = true;
        r->convergence = converged(s);
        if (r->convergence != 1) r->failed = true;
    }
}

void runcheck_free(runcheck_t *r)
{
    if (r->lin_asked) lin_result_free(&r->lin);
    if (r->set_asked) chk_set_free(&r->set);
    memset(r, 0, sizeof *r);
}

void runcheck_write(const runcheck_t *r, jw_t *w)
{
    if (r->lin_asked) {
        jw_kstr(w, "linearizable", r->lin_rc != SIM_OK ? "error" : lin_verdict_names[r->lin.verdict]);
        jw_kstr(w, "model", lin_model_names[r->lin_model]);
        if (r->lin_rc != SIM_OK) jw_kstr(w, "linearizable_error", r->lin.err);
        else jw_kuint(w, "linearizable_ops", r->lin.n_ops);
    }
    if (r->conv_asked)
        jw_kstr(w, "convergence", r->convergence == 1 ? "ok" : r->convergence == 0 ? "diverged" : "unknown");
    if (r->session_asked) {
        jw_key(w, "session");
        jw_obj_begin(w);
        if (r->session_rc != SIM_OK) jw_kstr(w, "error", r->session_err);
        else {
            jw_kuint(w, "reads", r->session.n_reads);
            for (int k = 0; k < CHK_SESSION_COUNT_; k++) jw_kuint(w, chk_session_names[k], r->session.violations[k]);
        }
        jw_obj_end(w);
    }
    if (r->set_asked) {
        jw_key(w, "set_full");
        jw_obj_begin(w);
        if (r->set_rc != SIM_OK) jw_kstr(w, "error", r->set_err);
        else {
            jw_kuint(w, "values", r->set.n_values);
            jw_kuint(w, "stable", r->set.n_stable);
            jw_kuint(w, "lost", r->set.n_lost);
            jw_kuint(w, "never_read", r->set.n_never_read);
            jw_kint(w, "delay_ns_max", r->set.delay_ns_max);
            jw_kreal(w, "delay_ns_mean", r->set.delay_ns_mean);
        }
        jw_obj_end(w);
    }
    if (r->counter_asked) {
        jw_key(w, "counter");
        jw_obj_begin(w);
        if (r->counter_rc != SIM_OK) jw_kstr(w, "error", r->counter_err);
        else {
            jw_kuint(w, "final_reads", r->counter.n_final_reads);
            jw_kuint(w, "final_outside", r->counter.n_final_outside);
            jw_kint(w, "acknowledged", r->counter.acked_sum);
            jw_kint(w, "final_lower", r->counter.final_lower);
            jw_kint(w, "final_upper", r->counter.final_upper);
        }
        jw_obj_end(w);
    }
    if (r->stale_asked) {
        jw_key(w, "stale");
        jw_obj_begin(w);
        jw_kuint(w, "reads", r->stale.reads);
        jw_kuint(w, "stale", r->stale.stale);
        jw_kint(w, "max_staleness_ns", r->stale.stale_max_ns);
        jw_obj_end(w);
    }
}

void runcheck_print(const hist_t *h, const runcheck_t *r, FILE *out)
{
    if (r->lin_asked) {
        if (r->lin_rc != SIM_OK) fprintf(out, "  check       linearizable: cannot judge: %s\n", r->lin.err);
        else fprintf(out, "  check       linearizable (%s model): %s, %u operations on %u keys\n",
                     lin_model_names[r->lin_model], lin_verdict_names[r->lin.verdict], r->lin.n_ops, r->lin.n_keys);
        if (r->lin_rc == SIM_OK && r->lin.verdict != LIN_OK) {
            fprintf(out, "\n");
            lin_explain(h, &r->lin, out);
            fprintf(out, "\n");
        }
    }
    if (r->conv_asked)
        fprintf(out, "  check       convergence: %s\n", r->convergence == 1 ? "every up replica holds the same data"
                : r->convergence == 0 ? "replicas DIVERGED" : "no replica to compare");
    if (r->session_asked) {
        if (r->session_rc != SIM_OK) fprintf(out, "  check       session guarantees: cannot judge: %s\n", r->session_err);
        else {
            fprintf(out, "  check       session guarantees over %u reads:", r->session.n_reads);
            for (int k = 0; k < CHK_SESSION_COUNT_; k++)
                fprintf(out, " %s %u%s", chk_session_names[k], r->session.violations[k], k + 1 < CHK_SESSION_COUNT_ ? "," : "\n");
        }
    }
    if (r->set_asked) {
        if (r->set_rc != SIM_OK) fprintf(out, "  check       set-full: cannot judge: %s\n", r->set_err);
        else {
            char d[32];
            fprintf(out, "  check       set-full: %u acknowledged values: %u reached every reader (slowest after %s), %u lost, %u never read\n",
                    r->set.n_values, r->set.n_stable, sim_format_duration_short(r->set.delay_ns_max, d, sizeof d),
                    r->set.n_lost, r->set.n_never_read);
        }
    }
    if (r->counter_asked) {
        if (r->counter_rc != SIM_OK) fprintf(out, "  check       counter: cannot judge: %s\n", r->counter_err);
        else fprintf(out, "  check       counter: %u final reads, %u outside [%" PRId64 ", %" PRId64 "]\n", r->counter.n_final_reads,
                     r->counter.n_final_outside, r->counter.final_lower, r->counter.final_upper);
    }
    if (r->stale_asked) {
        char d[32];
        fprintf(out, "  check       stale reads: %" PRIu64 " of %" PRIu64 " register reads missed an acknowledged newer write%s%s\n",
                r->stale.stale, r->stale.reads, r->stale.stale ? ", the worst by " : "",
                r->stale.stale ? sim_format_duration_short(r->stale.stale_max_ns, d, sizeof d) : "");
    }
}
