/* nemesis.h -- the random fault generators a scenario can name.
 *
 * Nemeses are generators of actions that draw from their own random stream:
 *   random-partitions  every `every`, cut the servers into a random majority and
 *                      minority for `duration`, then heal;
 *   random-crashes     each server crashes after an exponential time of mean `mttf`
 *                      and restarts after an exponential time of mean `mttr`.
 *   crash-leader       crash the current leader (once `at`, or `every`), restart it
 *                      `restart_after` later;
 *   isolate-leader     cut the current leader off from every other server for
 *                      `duration` (once `at`, or `every`).
 * All run between `start` and `stop` (default: the whole run).
 */
#ifndef SIM_NEMESIS_H
#define SIM_NEMESIS_H

#include "core/base.h"

typedef enum {
    NEM_RANDOM_PARTITIONS, NEM_RANDOM_CRASHES, NEM_CRASH_LEADER, NEM_ISOLATE_LEADER, NEM_COUNT_
} nem_kind_t;
extern const char *const nem_kind_names[];    /* "random-partitions", "random-crashes", ... */

/* Nemeses that aim at roles (crash-leader, isolate-leader) act on the current leader
 * (sim_leader: a leader, primary, head or coordinator), either once `at` a time or
 * `every` so often; with no leader at that moment they do nothing. */
typedef struct nemesis_spec {
    nem_kind_t kind;
    sim_time_t every_ns, duration_ns;     /* random-partitions; isolate-leader */
    sim_time_t mttf_ns, mttr_ns;          /* random-crashes */
    sim_time_t at_ns;                     /* crash-/isolate-leader once, at this time (-1: use every) */
    sim_time_t restart_after_ns;          /* crash-leader: restart it this long after (0: never) */
    sim_time_t start_ns, stop_ns;         /* active window; stop 0 means the end */
} nemesis_spec_t;

#endif
