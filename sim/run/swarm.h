/* swarm.h -- swarm testing: one scenario, many seeds, a different mix of faults each.
 *
 * The idea is TigerBeetle's VOPR and FoundationDB's simulation tests, and "swarm
 * testing" (Groce et al., ISSTA 2012): rather than one fault load for every run, each
 * seed switches each kind of fault on or off and draws its intensity, so some runs
 * hammer one mechanism and others combine a few. For seed S the mix is drawn from the
 * stream (S, RNG_SWARM) alone and written into a copy of the scenario, which then runs
 * with seed S:
 *
 *   scenario file ──> + faults drawn from seed S ──> + liveness phase ──> scenario text
 *        |                                                                   |
 *        └── its own checks and invariants stay on          dsim run can replay it
 *
 *   0 ............ fault phase (the scenario's duration) .... H ...... liveness ...... E
 *      loss, duplication, jitter, partitions, crashes,        heal, restore the network,
 *      pauses, skew, crash-leader, isolate-leader             restart and resume every
 *                                                             server; clients keep going
 *
 * After H nothing breaks any more. By E the run must have recovered: a leader again
 * (for protocols that elect one), equal replicas (for protocols that can compare them),
 * and clients completing operations in the second quarter of the liveness phase (or
 * in its first half for a slow workload; not judged when too few would be sent). Because the
 * drawn scenario is ordinary scenario text, writing it out gives a file that `dsim run`
 * replays event for event; the liveness verdict is swarm's own.
 */
#ifndef SIM_SWARM_H
#define SIM_SWARM_H

#include "core/base.h"
#include "scenario/scenario.h"

#define SWARM_MIX_MAX 512            /* the fault mix in words */
#define SWARM_WHY_MAX 1024           /* why a seed failed, in words */

typedef struct swarm swarm_t;

/* The kinds of fault a seed may draw; swarm_opts_t.without leaves some out. */
typedef enum {
    SWARM_LOSS, SWARM_DUPLICATION, SWARM_REORDERING, SWARM_PARTITIONS, SWARM_CRASHES,
    SWARM_PAUSES, SWARM_CLOCKS, SWARM_CRASH_LEADER, SWARM_ISOLATE_LEADER, SWARM_KIND_COUNT_
} swarm_kind_t;
extern const char *const swarm_kind_names[];     /* "loss", "duplication", ... */

typedef struct swarm_opts {
    sim_time_t liveness_ns;          /* how long recovery may take after the faults stop (0: 5s) */
    unsigned without;                /* bit k: never draw swarm_kind_t k */
} swarm_opts_t;

/* One seed's drawn scenario. */
typedef struct swarm_plan {
    uint64_t seed;
    char mix[SWARM_MIX_MAX];         /* "loss 12%, 2 partitions (1 one-way), ..." */
    sim_time_t heal_ns;              /* H: the faults stop */
    sim_time_t progress_ns;          /* clients must complete operations after this (-1: not checked) */
    sim_time_t end_ns;               /* E */
    char *json;                      /* the drawn scenario as a file would hold it */
} swarm_plan_t;

typedef enum { SWARM_PASS, SWARM_INVARIANT, SWARM_CHECK, SWARM_LIVENESS, SWARM_STOPPED } swarm_verdict_t;
extern const char *const swarm_verdict_names[];  /* "pass", "invariant", "check", "liveness", "stopped" */

typedef struct swarm_result {
    swarm_verdict_t verdict;
    char why[SWARM_WHY_MAX];         /* empty when it passed */
    uint64_t trace_hash;
    uint64_t events;
} swarm_result_t;

/* Parses a comma-separated list of kinds ("crashes,clocks") into a mask. Returns
 * SIM_OK, or SIM_EINPUT with the unknown name in err. */
int swarm_parse_kinds(const char *list, unsigned *mask, char *err, size_t err_len);

/* Loads the scenario at path. Returns NULL with one line in err (the loader's message
 * for a bad file). */
swarm_t *swarm_create(const char *path, const swarm_opts_t *o, char *err, size_t err_len);
void swarm_destroy(swarm_t *w);
const scn_t *swarm_scenario(const swarm_t *w);

/* Draws seed's fault mix and builds its scenario. Returns SIM_OK, or SIM_ELIMIT with a
 * sentence in err when the scenario cannot take more faults (SIM_FAULTS_MAX). Free the
 * plan with swarm_plan_free either way. */
int swarm_plan(swarm_t *w, uint64_t seed, swarm_plan_t *p, char *err, size_t err_len);
void swarm_plan_free(swarm_plan_t *p);

/* Runs a plan with invariants on and judges it: invariants, the scenario's checks,
 * then liveness. Deterministic: the same plan always gives the same result. */
void swarm_run(swarm_t *w, const swarm_plan_t *p, swarm_result_t *r);

#endif
