/* scenario_write.h -- writing a scenario back with more actions appended to its faults.
 *
 * The live view records everything a person does (crash a node, cut the network, drop
 * a message) as actions, the same sim_action_t a scenario's "faults" list holds. This
 * writes the original scenario file again with those actions appended, so the session
 * replays exactly with `dsim run` or `dsim view`. It lives beside the loader because
 * only scenario and export code may touch cJSON, and it keeps every key of the
 * original (comments aside, JSON has none) rather than re-deriving the file from the
 * parsed scn_t, which would lose distributions' spelling and the order of keys.
 */
#ifndef SIM_SCENARIO_WRITE_H
#define SIM_SCENARIO_WRITE_H

#include "core/sim.h"

/* Reads orig_path, appends acts[0..n) to "faults" (creating the list if absent), sets
 * "seed" to the seed s ran with (and "duration" when s runs for a different time),
 * and writes the result to out_path atomically (a temporary file renamed into place).
 * Actions are written as scn_write_action writes them, resolved against s (node and
 * message type names). Returns SIM_OK, or SIM_EINPUT / SIM_EIO with one line in err;
 * on error out_path is unchanged. */
int scn_write_with_actions(const char *orig_path, const sim_t *s, const sim_action_t *acts, uint32_t n,
                           const char *out_path, char *err, size_t err_len);

/* The same for a scenario loaded with --set overrides: the overrides are written into
 * the copy, so it replays what was watched. */
int scn_write_with_actions_sets(const char *orig_path, const char *const *sets, uint32_t n_sets, const sim_t *s,
                                const sim_action_t *acts, uint32_t n, const char *out_path, char *err, size_t err_len);

/* Writes the action as an entry of a scenario's "faults" list, resolved against s
 * (node and message type names). */
void scn_write_action(const sim_t *s, const sim_action_t *a, jw_t *w);
/* Writes a distribution as a scenario would: "5ms" or {"dist": ...}. */
void scn_write_dist(jw_t *w, const dist_t *d);

#endif
