/* pair.h -- two runs on one clock: two scenarios side by side, acted on together.
 *
 * "Raft and R = W = 1 quorums under the same partition" is a comparison of two runs at
 * the same simulated moment. Neither run knows of the other: each is an ordinary run
 * (run.h) of its own scenario with its own fault schedule, so each side's trace equals
 * a fresh run of that scenario with the same recorded actions. What this adds is the
 * coupling a person sees as one clock:
 *
 *   person acts on side k ──> run_act(r[k]) ──> translate by node name ──> run_act(r[1-k])
 *   side k moves in time  ──> run_pair_follow: the other goes to the same time
 *
 * Nodes are matched by name ("n3" on the left is "n3" on the right), never by index: two
 * scenarios may list their nodes differently. An action that names a node the other
 * side lacks, or a message (message ids belong to one run), is applied on one side only
 * and the caller is told so in a sentence.
 */
#ifndef SIM_RUN_PAIR_H
#define SIM_RUN_PAIR_H

#include "run/run.h"

#define RUN_PAIR_RECENT_NS SIM_SEC    /* the "last second" of run_tally */

/* Translates a (an action on run `from`) into the same action on run `to`, its nodes by
 * name. On SIM_OK, out owns partition arrays (run_pair_action_free). Returns
 * SIM_ENOTFOUND with a sentence in err ("the right side has no node n6") when `to` has
 * no such node or the action names a message, SIM_ENOMEM. */
int run_pair_translate(const run_t *from, const run_t *to, const sim_action_t *a, sim_action_t *out, char *err, size_t err_len);
void run_pair_action_free(sim_action_t *a);

/* Records a on r[side] and its translation on the other run, at the same simulated time
 * (the other run is brought to r[side]'s time first). applied[k] says which runs took it.
 * Returns SIM_OK when both did; else the first error, with a sentence in err naming the
 * side that did not take it and why. */
int run_pair_act(run_t *const r[2], int side, const sim_action_t *a, bool applied[2], char *err, size_t err_len);

/* Brings follower to leader's time: forward by running, backward by re-creating. */
void run_pair_follow(const run_t *leader, run_t *follower);

/* What a side-by-side header shows: client writes (every operation but a read)
 * acknowledged and not (failed or timed out), over the whole run and over the last
 * RUN_PAIR_RECENT_NS, and stale reads. */
typedef struct run_tally {
    uint64_t writes_ok, writes_refused;
    uint64_t recent_ok, recent_refused;
    bool has_stale;                /* the summary counts stale reads */
    uint64_t reads, stale;
} run_tally_t;
/* O(history); the stale-read count writes the live summary, so call it sparingly. */
void run_tally(run_t *r, run_tally_t *t);

#endif
