/* cond.h -- conditions on a running simulation: "a leader exists", "n3 is crashed",
 * "a read came back stale", "stale_reads.stale >= 1".
 *
 * Conditions are the other half of the action vocabulary (core/action.h): actions change a
 * run, conditions say when a run has reached a state. A lesson step runs until one
 * holds, a task's goal is one, a sweep or a test stops on one. They are written as
 * JSON, like actions, and loaded with the same quality of error message
 * (scenario/cond_load.h); lessons/README.md documents every form.
 *
 * Two sorts of leaf:
 *   - states, true while the simulation is in them: time reached, a node holds a role,
 *     is crashed, paused or isolated, a partition is in force, a summary number
 *     compared with a value;
 *   - happenings, true from the moment one happens after the condition is armed
 *     (cond_arm): a message of a type delivered or dropped, an operation completed
 *     ok/fail/info, an invariant violated. They latch: once seen, they stay true.
 * and three combinators: all, any, not.
 *
 * A condition is a small tree in one fixed array (COND_NODES_MAX), evaluated after each
 * event: states read the core's views (O(nodes) at most), happenings are latched by
 * the trace records as they pass (cond_observe), and summary numbers are looked up at
 * most once per COND_METRIC_EVERY_NS of simulated time, because writing a summary costs
 * far more than an event.
 */
#ifndef SIM_RUN_COND_H
#define SIM_RUN_COND_H

#include "core/sim.h"

#define COND_NODES_MAX 32                   /* leaves and combinators in one condition */
#define COND_PATH_MAX 96                    /* a summary path, "stale_reads.stale" */
#define COND_METRIC_EVERY_NS (10 * SIM_MS)  /* summary lookups at most this often */
#define COND_ANY_NODE UINT32_MAX

typedef enum {
    COND_TIME,          /* now >= at_ns */
    COND_ROLE,          /* node (or any server) holds role */
    COND_CRASHED,       /* node (or any server) is down */
    COND_PAUSED,        /* node (or any node) is paused */
    COND_ISOLATED,      /* node (or any server) is cut off from every other server */
    COND_PARTITIONED,   /* a partition is in force */
    COND_DELIVERED,     /* a message of type (from, to) was delivered */
    COND_DROPPED,       /* ... was dropped (for reason, or any) */
    COND_OP,            /* an operation (of f, or any) completed with outcome */
    COND_VIOLATION,     /* an invariant (named, or any) was violated */
    COND_METRIC,        /* a summary number compared with value */
    COND_ALL, COND_ANY, COND_NOT,
    COND_KIND_COUNT_
} cond_kind_t;
extern const char *const cond_kind_names[];   /* the JSON keys: "time", "role", ... */

typedef enum { COND_LT, COND_LE, COND_EQ, COND_NE, COND_GE, COND_GT, COND_CMP_COUNT_ } cond_cmp_t;
extern const char *const cond_cmp_names[];    /* "<", "<=", "==", "!=", ">=", ">" */

typedef struct cond_node {
    uint8_t kind;              /* cond_kind_t */
    uint8_t cmp;               /* metric: cond_cmp_t */
    int16_t reason;            /* dropped: drop_reason_t, or -1 for any; op: hist_type_t */
    int16_t type;              /* delivered/dropped: message type id, -1 any; op: sim_op_t, -1 any; role: sim_role_t */
    uint32_t node;             /* COND_ANY_NODE for any; delivered/dropped: from */
    uint32_t node2;            /* delivered/dropped: to, or COND_ANY_NODE */
    sim_time_t at_ns;          /* time */
    double value;              /* metric */
    char path[COND_PATH_MAX];  /* metric; violation: the invariant's name or "" */
    uint8_t n_kids;            /* all/any/not: children follow in kid[] */
    uint8_t kid[COND_NODES_MAX];
    bool latched;              /* happenings: seen since armed */
    bool metric_known;         /* metric: value_now is from a lookup */
    double value_now;          /* metric: the number at the last lookup */
} cond_node_t;

typedef struct cond {
    cond_node_t n[COND_NODES_MAX];   /* n[0] is the root */
    uint32_t count;
    sim_time_t metric_at_ns;         /* when the summary numbers were last looked up; -1 never */
} cond_t;

/* Forgets every happening seen, so the condition watches from now on. */
void cond_arm(cond_t *c);
/* Feeds one trace record to the happenings. */
void cond_observe(cond_t *c, const trace_rec_t *rec);
/* Whether c holds now. May look up summary numbers (so it takes the sim mutable: a
 * summary computes quantiles), at most once per COND_METRIC_EVERY_NS. */
bool cond_holds(cond_t *c, sim_t *s);
/* The earliest time leaf after now (the next moment time alone may make c hold), or
 * -1: a run stops there even when no event falls on it. */
sim_time_t cond_next_time(const cond_t *c, sim_time_t now);
/* Whether c watches summary numbers (and so is worth re-checking at the end). */
bool cond_has_metric(const cond_t *c);

/* Looks up a number in the run's live summary by a dotted path ("stale_reads.stale",
 * "log.lost_acked", "messages.by_type.request.sent"; "[2]" indexes a list). Returns
 * SIM_OK, or SIM_ENOTFOUND when the path names nothing numeric (false counts as 0,
 * true as 1). */
int cond_metric(sim_t *s, const char *path, double *out);

/* Writes the condition as JSON, in the form cond_load reads. */
void cond_write_json(const sim_t *s, const cond_t *c, jw_t *w);

#endif
