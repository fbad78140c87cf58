/* cond_load.h -- reading conditions (run/cond.h) from JSON, checked like scenarios.
 *
 * The forms (lessons/README.md documents them for authors):
 *
 *   {"time": "5s"}                                the clock has reached 5s
 *   {"role": "leader"}  {"role": "leader", "node": "n3"}
 *                                                 some server (or n3) is up and holds the role
 *   {"crashed": "n1"}  {"crashed": "any"}         n1 (or some server) is down
 *   {"paused": "n2"}   {"isolated": "any"}        likewise for paused nodes, isolated servers
 *   {"partitioned": true}                         a partition (or an isolation) is in force
 *   {"delivered": "vote-reply", "from": "n2", "to": "n1"}
 *   {"dropped": "any", "reason": "partition"}     a message was delivered/dropped since armed
 *   {"op": "fail", "f": "write", "client": "c1"}  an operation completed ok/fail/info since armed
 *   {"violation": true}  {"violation": "election-safety"}
 *   {"metric": "stale_reads.stale", ">=": 1}      a number of the live summary, compared
 *   {"all": [C, ...]}  {"any": [C, ...]}  {"not": C}
 */
#ifndef SIM_SCENARIO_COND_LOAD_H
#define SIM_SCENARIO_COND_LOAD_H

#include "run/cond.h"
#include "scenario/ld.h"

/* Reads the condition at v (whose path is jpath) for scenario L->s. Ends the load
 * through ld_fail on a mistake. */
void cond_load(ld_t *L, const cJSON *v, const char *jpath, cond_t *out);

/* Reads a condition from JSON text for scenario scn; file names the text in messages.
 * Returns SIM_OK, or SIM_EINPUT with one line in err ("FILE: $.not.role: ..."). */
int cond_parse(const char *json, const char *file, const scn_t *scn, cond_t *out, char *err, size_t err_len);

#endif
