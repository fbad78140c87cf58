/* runcheck.h -- the checks a scenario asks for, run on a finished simulation.
 *
 * A scenario's "check" object names them; after the run they judge the history the
 * clients recorded (linearizability under a model, session guarantees, set-full,
 * counters) and the replicas' final states (convergence). dsim run reports each
 * verdict under "check" in its summary and exits 1 if any failed.
 */
#ifndef SIM_RUNCHECK_H
#define SIM_RUNCHECK_H

#include "checks.h"
#include "lincheck.h"
#include "sim.h"

typedef struct runcheck {
    bool any;                          /* the scenario asked for something */
    bool failed;                       /* some check failed */
    bool lin_asked;
    lin_result_t lin;                  /* lin.verdict; lin.err on bad input */
    int lin_rc;
    bool conv_asked;
    int convergence;                   /* 1 equal, 0 diverged, -1 no up replica to compare */
    bool session_asked, set_asked, counter_asked;
    int session_rc, set_rc, counter_rc;
    char session_err[256], set_err[256], counter_err[256];
    chk_session_report_t session;
    chk_set_report_t set;
    chk_counter_report_t counter;
} runcheck_t;

/* Runs what the scenario asked for. Call after sim_finish. */
void runcheck_run(sim_t *s, runcheck_t *out);
void runcheck_free(runcheck_t *r);
/* Writes the "check" object's members (the caller opens and closes it). */
void runcheck_write(const sim_t *s, const runcheck_t *r, jw_t *w);

#endif
