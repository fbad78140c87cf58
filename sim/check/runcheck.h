/* runcheck.h -- checks on a history (and, after a run, on the replicas): what a
 * scenario's "check" object and `dsim check --checks` ask for.
 *
 * Linearizability under a model answers one yes/no question; the weaker checks count
 * anomalies: session guarantees, set-full for broadcasts, counters, and stale reads.
 * After a simulation, convergence compares the replicas themselves. dsim run reports
 * each verdict under "check" in its summary and exits 1 if any failed; dsim check
 * prints them after its linearizability verdict.
 */
#ifndef SIM_RUNCHECK_H
#define SIM_RUNCHECK_H

#include <stdio.h>
#include "check/checks.h"
#include "check/lincheck.h"
#include "core/sim.h"
#include "check/visibility.h"

/* Which checks to run on a history. */
typedef struct runcheck_asks {
    int linearizable;                  /* lin_model_t, or -1 for none */
    uint64_t steps_max;                /* its bound in search steps; 0: none */
    bool session, set_full, counter, stale;
    sim_time_t final_from_ns;          /* set-full: final reads begin here; -1 for none */
} runcheck_asks_t;

typedef struct runcheck {
    bool any;                          /* something was asked for */
    bool failed;                       /* some check failed */
    bool lin_asked;
    lin_model_t lin_model;
    lin_result_t lin;                  /* lin.verdict; lin.err on bad input */
    int lin_rc;
    bool conv_asked;
    int convergence;                   /* 1 equal, 0 diverged, -1 no up replica to compare */
    bool session_asked, set_asked, counter_asked, stale_asked;
    int session_rc, set_rc, counter_rc;
    char session_err[256], set_err[256], counter_err[256];
    chk_session_report_t session;
    chk_set_report_t set;
    chk_counter_report_t counter;
    vis_result_t stale;                /* stale reads (a read that missed a newer acknowledged write) */
} runcheck_t;

/* Runs the asked checks on a history. */
void runcheck_history(const hist_t *h, const runcheck_asks_t *a, runcheck_t *out);
/* Runs what a finished simulation's scenario asked for, convergence included. Call
 * after sim_finish. */
void runcheck_run(sim_t *s, runcheck_t *out);
void runcheck_free(runcheck_t *r);
/* Writes the "check" object's members (the caller opens and closes it). */
void runcheck_write(const runcheck_t *r, jw_t *w);
/* Writes the verdicts for people, one "check" line each; h explains a linearizability
 * violation. */
void runcheck_print(const hist_t *h, const runcheck_t *r, FILE *out);

#endif
