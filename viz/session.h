/* session.h -- a live, rewindable, recorded simulation: what the window shows and drives.
 *
 * A session owns a scenario and one sim_t created from it, plus the list of actions a
 * person has taken (crash n3 at 4.2s, partition at 6s, ...). It never changes the
 * simulation any other way than a scenario could: an action is recorded with the
 * current time and the simulation is re-run from time zero with every recorded action
 * as sim_opts_t.extra_actions. Runs are deterministic, so re-running to the present is
 * the present, and the session schedules exactly as its written-out scenario will when
 * replayed (scn_write_with_actions). Rewinding is the same trick: re-create and run to
 * the earlier time.
 *
 * While the simulation runs, a trace listener keeps what the view needs that the
 * simulator's own views do not hold: recent messages with their fates (for the
 * space-time diagram and for drops that fall and fade) and recent node events (crashes,
 * role changes, partitions). Both are rings with named bounds; older entries fall off.
 *
 * Nothing here includes SDL.
 */
#ifndef VIZ_SESSION_H
#define VIZ_SESSION_H

#include "core/sim.h"

#define VIZ_MSG_LOG_MAX (1u << 18)       /* recent messages kept, with their fates */
#define VIZ_MARKS_MAX 8192               /* recent node and network events kept */
#define VIZ_ACTIONS_MAX 1024             /* actions one session can record */
#define VIZ_ADVANCE_CHECK 64             /* events between looks at the wall clock */

typedef enum { VIZ_FATE_FLYING, VIZ_FATE_DELIVERED, VIZ_FATE_DROPPED } viz_fate_t;

typedef struct viz_msg {
    uint64_t id;
    sim_time_t sent_ns, arrive_ns;
    sim_time_t end_ns;             /* delivered or dropped at; -1 while flying */
    uint32_t from, to, size;
    uint16_t type;
    uint8_t fate;                  /* viz_fate_t */
    uint8_t reason;                /* drop_reason_t, when dropped */
    uint8_t dup;                   /* a duplicate's copy */
} viz_msg_t;

/* A node or network event, for the diagram's lanes and bands. */
typedef struct viz_mark {
    sim_time_t t;
    uint32_t node;
    uint8_t kind;                  /* trace_kind_t */
    uint8_t role;                  /* TR_ROLE: role_t */
    int64_t term;                  /* TR_ROLE */
} viz_mark_t;

typedef struct viz_session viz_session_t;

/* Loads the scenario and creates its simulation at time zero. seed_set/seed override
 * the scenario's seed. Returns NULL with one line in err (naming the file). */
viz_session_t *viz_session_open(const char *path, bool seed_set, uint64_t seed, char *err, size_t err_len);
void viz_session_destroy(viz_session_t *v);

sim_t *viz_session_sim(const viz_session_t *v);        /* valid until the next call that re-creates it */
const scn_t *viz_session_scenario(const viz_session_t *v);
const char *viz_session_path(const viz_session_t *v);
sim_time_t viz_session_now(const viz_session_t *v);
sim_time_t viz_session_end(const viz_session_t *v);
uint64_t viz_session_generation(const viz_session_t *v);   /* bumped whenever the sim is re-created */
sim_time_t viz_session_explored(const viz_session_t *v);    /* the latest time reached so far */
bool viz_session_at_end(const viz_session_t *v);             /* nothing more will happen */

/* Runs forward to t (capped at the end). */
void viz_session_run_until(viz_session_t *v, sim_time_t t);
/* Runs forward towards t but gives up after budget_s seconds of wall time, leaving the
 * clock at the last event processed. Returns true when t was reached. */
bool viz_session_advance(viz_session_t *v, sim_time_t t, double budget_s);
/* Goes to time t: forward by running, backward by re-creating and running. */
int viz_session_seek(viz_session_t *v, sim_time_t t);
/* Processes events until one of them shows in the trace. Returns false at the end. */
bool viz_session_step(viz_session_t *v);
/* Goes back to just after the previous event that showed in the trace. */
int viz_session_step_back(viz_session_t *v);
/* Runs until a trace record whose kind is in kinds (a mask of 1 << trace_kind_t), the
 * end, or budget_s of wall time. Returns true when one was found. */
bool viz_session_run_to(viz_session_t *v, uint64_t kinds, double budget_s);

/* Records an action at the current time and re-runs to the present with it. Recorded
 * actions later than now (left from before a rewind) are discarded first: the future
 * they belonged to no longer happens. *discarded (if not NULL) says how many. Returns
 * SIM_OK, SIM_ELIMIT when VIZ_ACTIONS_MAX are recorded, or SIM_EINPUT for an action
 * that names no node of this scenario. */
int viz_session_act(viz_session_t *v, const sim_action_t *a, uint32_t *discarded);
const sim_action_t *viz_session_actions(const viz_session_t *v, uint32_t *n);
/* Writes the scenario with the recorded actions appended (scn_write_with_actions). */
int viz_session_write(viz_session_t *v, const char *out_path, char *err, size_t err_len);

/* The message log: entries [first, count) are held, oldest first, ordered by send
 * time and id. */
uint64_t viz_session_msg_count(const viz_session_t *v);
uint64_t viz_session_msg_first(const viz_session_t *v);
const viz_msg_t *viz_session_msg(const viz_session_t *v, uint64_t i);
/* The first held entry sent at or after t (count if none). */
uint64_t viz_session_msg_since(const viz_session_t *v, sim_time_t t);

uint64_t viz_session_mark_count(const viz_session_t *v);
uint64_t viz_session_mark_first(const viz_session_t *v);
const viz_mark_t *viz_session_mark(const viz_session_t *v, uint64_t i);

/* Membership as the trace tells it (join, leave, and "joined": false in the scenario):
 * sim_node_info does not say. */
bool viz_session_member(const viz_session_t *v, uint32_t node);
/* Roles any node has held this run, as a mask of 1 << role_t. */
uint32_t viz_session_roles_seen(const viz_session_t *v);
/* Trace records seen since the sim was created. */
uint64_t viz_session_records(const viz_session_t *v);

#endif
