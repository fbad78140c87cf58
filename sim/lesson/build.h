/* build.h -- the lesson builder: a recorded session becomes a lesson file.
 *
 * An instructor plays a scenario in the window, acts on it (crash, partition, ...) and
 * pauses at the moments worth explaining. Each pause becomes a step that runs until
 * that time; the actions taken after one pause and before the next become that step's
 * task, with those actions as its solution and a goal derived from them ("crash n3"
 * gives {"crashed": "n3"}). Narration and task texts are left for the instructor to
 * write; the file checks (dsim lesson check) as soon as it is written.
 */
#ifndef SIM_LESSON_BUILD_H
#define SIM_LESSON_BUILD_H

#include "core/sim.h"

/* Writes the lesson to out_path: scenario_path as its scenario, one step at time zero,
 * then one per stop (times in stops[], in any order; zero and repeats are ignored),
 * with acts[] (at_ns set) as tasks. s is a simulation of the scenario, for names.
 * Returns SIM_OK, or SIM_EIO with one line in err. */
int lesson_build_write(const char *scenario_path, const sim_t *s, const sim_action_t *acts, uint32_t n_acts,
                       const sim_time_t *stops, uint32_t n_stops, const char *out_path, char *err, size_t err_len);

#endif
