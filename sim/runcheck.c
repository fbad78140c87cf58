/* runcheck.c -- running a scenario's checks after the run.
 *
 * Convergence uses the protocol's replicas_equal when it has one; otherwise it
 * compares the exported states of every up server as text, which works for protocols
 * whose export holds only replicated data (and reports divergence for those whose
 * export also holds per-node bookkeeping: give those a replicas_equal).
 */
#include <stdlib.h>
#include <string.h>
#include "runcheck.h"

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

void runcheck_run(sim_t *s, runcheck_t *r)
{
    memset(r, 0, sizeof *r);
    const scn_check_t *c = &sim_scenario(s)->check;
    const hist_t *h = sim_history(s);
    if (c->linearizable >= 0) {
        r->any = r->lin_asked = true;
        lin_limits_t lim = {(double)c->timeout_ns / 1e9, 0};
        r->lin_rc = lin_check(h, (lin_model_t)c->linearizable, &lim, &r->lin);
        if (r->lin_rc != SIM_OK || r->lin.verdict != LIN_OK) r->failed = true;
    }
    if (c->convergence) {
        r->any = r->conv_asked = true;
        r->convergence = converged(s);
        if (r->convergence != 1) r->failed = true;
    }
    if (c->session) {
        r->any = r->session_asked = true;
        r->session_rc = chk_session(h, &r->session, r->session_err, sizeof r->session_err);
        uint32_t bad = 0;
        for (int k = 0; k < CHK_SESSION_COUNT_; k++) bad += r->session.violations[k];
        if (r->session_rc != SIM_OK || bad) r->failed = true;
    }
    if (c->set_full) {
        r->any = r->set_asked = true;
        /* The workload's final reads start this long after it stops (workload.c). */
        const scn_workload_t *wl = &sim_scenario(s)->wl;
        sim_time_t stop = wl->stop_ns > 0 && wl->stop_ns < sim_end(s) ? wl->stop_ns : sim_end(s);
        sim_time_t from = wl->final_reads_ns > 0 ? stop + wl->final_reads_ns : -1;
        r->set_rc = chk_set_full_settled(h, from, &r->set, r->set_err, sizeof r->set_err);
        if (r->set_rc != SIM_OK || r->set.n_lost || r->set.n_unexpected || r->set.n_failed_seen) r->failed = true;
    }
    if (c->counter) {
        r->any = r->counter_asked = true;
        r->counter_rc = chk_counter(h, &r->counter, r->counter_err, sizeof r->counter_err);
        if (r->counter_rc != SIM_OK || r->counter.n_final_outside || !r->counter.n_final_reads) r->failed = true;
    }
}

void runcheck_free(runcheck_t *r)
{
    if (r->lin_asked) lin_result_free(&r->lin);
    if (r->set_asked) chk_set_free(&r->set);
    memset(r, 0, sizeof *r);
}

void runcheck_write(const sim_t *s, const runcheck_t *r, jw_t *w)
{
    (void)s;
    if (r->lin_asked) {
        jw_kstr(w, "linearizable", r->lin_rc != SIM_OK ? "error" : lin_verdict_names[r->lin.verdict]);
        jw_kstr(w, "model", lin_model_names[sim_scenario(s)->check.linearizable]);
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
}
