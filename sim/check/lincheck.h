/* lincheck.h -- is a history linearizable? Verdict, and an explanation a teacher would give.
 *
 * A history is linearizable (Herlihy and Wing, "Linearizability: a correctness
 * condition for concurrent objects", TOPLAS 1990) when every operation can be given a
 * single instant between its invocation and its completion such that, taken in the
 * order of those instants, the operations are a legal sequential run of the model
 * (a register, a key-value map, a counter).
 *
 * How operations count:
 *   ok    it happened, somewhere between invoke and completion;
 *   fail  it did not happen: dropped (a failed cas, a refused write);
 *   info  it may or may not have happened, at any instant after its invoke: its
 *         completion is taken to be at +infinity. An operation never completed is info.
 *         An info read constrains nothing (its result is unknown) and is dropped.
 * Real-time order is the order of events in the history (line order in files), so
 * events with equal times are still ordered; times are only shown to people.
 *
 * Models (the f names each accepts):
 *   register      read, write                   initial value nil
 *   cas-register  read, write, cas [from, to]   initial value nil
 *   kv            get (or read), put (or write), append; string values, every key
 *                 starts as ""; integers are taken as their decimal text; a get that
 *                 returned nil is taken as ""
 *   counter       add, read                     initial value 0
 * Every model is checked per key (an operation without a key belongs to one unnamed
 * key): linearizability is local (Herlihy and Wing, section 3.1), so the history is
 * linearizable iff each key's sub-history is -- P-compositionality in the words of
 * Horn and Kroening, "Faster linearizability checking via P-compositionality" (FORTE
 * 2015). The search per key is lincheck.c's.
 *
 * Bounds: a number of search steps, a memory limit and a wall-clock time limit, all
 * parameters; hitting any gives LIN_UNKNOWN, never a wrong verdict. Steps and memory
 * are counted, so with only those two the verdict depends on the history alone: that is
 * what a simulation's own check uses (runcheck.c), since a run's result must not
 * depend on how busy the machine is. The time limit is for a person at `dsim check`;
 * the clock is read only for it.
 */
#ifndef SIM_LINCHECK_H
#define SIM_LINCHECK_H

#include <stdio.h>
#include "core/history.h"

typedef enum { LIN_OK, LIN_VIOLATED, LIN_UNKNOWN } lin_verdict_t;
extern const char *const lin_verdict_names[];   /* "ok", "violated", "unknown" */

typedef enum { LIN_REGISTER, LIN_CAS_REGISTER, LIN_KV, LIN_COUNTER, LIN_MODEL_COUNT_ } lin_model_t;
extern const char *const lin_model_names[];     /* "register", ..., NULL-terminated */

#define LIN_MEMORY_BYTES_DEFAULT ((uint64_t)1 << 30)  /* search memory when none is given */
#define LIN_STEPS_RUN_DEFAULT ((uint64_t)100000000)  /* search steps of a scenario's check when none is given */
#define LIN_NEVER UINT32_MAX                          /* completion of an op never completed */

/* SIM_OK and *out, or SIM_ENOTFOUND. */
int lin_model_parse(const char *name, lin_model_t *out);
/* The model name closest to name (edit distance), for "did you mean" messages. */
const char *lin_model_nearest(const char *name);

typedef struct lin_limits {
    double time_s_max;           /* wall-clock seconds for the whole check; <= 0: none */
    uint64_t memory_bytes_max;   /* search memory (memo cache, model states); 0: default */
    uint64_t steps_max;          /* search steps for the whole check, all keys and rounds; 0: none */
} lin_limits_t;

/* One operation, by the indexes of its events in the history. */
typedef struct lin_opref {
    uint32_t inv;                /* its invoke */
    uint32_t done;               /* its completion (ok or info), or LIN_NEVER */
} lin_opref_t;

typedef struct lin_result {
    lin_verdict_t verdict;
    lin_model_t model;
    uint32_t n_ops;              /* operations judged (ok and info) */
    uint32_t n_dropped;          /* failed operations and info reads, which constrain nothing */
    uint32_t n_keys, n_keys_violated, n_keys_unknown;
    uint32_t n_keys_skipped;     /* not decided: a violation elsewhere settled the verdict */
    const char *unknown_reason;  /* LIN_UNKNOWN: "step limit", "time limit" or "memory limit" */
    uint64_t states;             /* search configurations remembered, all keys */
    uint64_t steps;              /* search steps taken, all keys and rounds */
    double elapsed_s;

    /* For LIN_VIOLATED, the violated key found first (keys are searched in rounds of
     * growing step budgets, each round in order of first appearance). The
     * search records the deepest dead end it met: a longest prefix of operations that
     * the model accepts in real-time order, after which neither the culprit (whose
     * completion has come, so it must be placed now) nor any other operation invoked
     * before that completion can be applied. */
    int32_t key;                 /* key index, or -1 for the unnamed key */
    lin_opref_t *prefix;         /* in linearization order */
    uint32_t n_prefix;
    lin_opref_t culprit;
    lin_opref_t *pending;        /* the other candidates at the dead end */
    uint32_t n_pending;
    char state[160];             /* the model's state after the prefix, for people */

    char err[256];               /* SIM_EINPUT: which operation does not fit the model, and why */
} lin_result_t;

/* Checks h against the model. Returns SIM_OK with res->verdict set, or SIM_EINPUT (an
 * operation the model does not know, a value of the wrong kind, a malformed history)
 * with res->err set. lim may be NULL (no time limit, default memory). Free res with
 * lin_result_free either way. */
int lin_check(const hist_t *h, lin_model_t model, const lin_limits_t *lim, lin_result_t *res);
void lin_result_free(lin_result_t *res);

/* "process 3 write 7" or "process 1 read -> 5": the operation without its times. */
char *lin_op_label(const hist_t *h, lin_opref_t op, char *buf, size_t len);
/* The label with its times: "process 3 write 7 [t=120 .. 480]", "[t=120 .. info]". */
char *lin_op_describe(const hist_t *h, lin_opref_t op, char *buf, size_t len);
/* Why the culprit cannot be applied in the state after the prefix, one sentence. */
char *lin_culprit_reason(const hist_t *h, const lin_result_t *r, char *buf, size_t len);
/* The verdict and explanation in a teacher's words, several lines. */
void lin_explain(const hist_t *h, const lin_result_t *r, FILE *out);

#endif
