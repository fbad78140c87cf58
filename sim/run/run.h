/* run.h -- the run engine: a live, rewindable, recorded, branchable simulation.
 *
 * The window, the lessons, the sweeps and the tests all drive simulations through
 * this. A run owns one sim_t created from a scenario, plus the list of actions a
 * person (or a lesson) has taken: crash n3 at 4.2s, partition at 6s, ... It never
 * changes the simulation any other way than a scenario could: an action is recorded
 * with the current time and the simulation is re-created from time zero with every
 * recorded action as sim_opts_t.extra_actions. Runs are deterministic, so re-running
 * to the present is the present, and the run schedules exactly as its written-out
 * scenario will when replayed (scn_write_with_actions). Rewinding is the same trick:
 * re-create and run to the earlier time.
 *
 *          run_create ──> run_until / run_step / run_until_cond ──> run_destroy
 *                             │                      ^
 *                  run_act(action at now)      run_seek(earlier)
 *                             │
 *        recorded actions later than now ──> a branch (run_branch_restore brings it back)
 *
 * Acting after a rewind changes the future, but the old future is not lost silently:
 * the recorded actions that lay beyond the present become a branch, kept with the
 * time it forked at, and run_branch_restore swaps it back in (keeping the future it
 * replaces as another branch).
 *
 * While the simulation runs, a trace listener keeps what watchers need that the
 * simulator's own views do not hold: recent messages with their fates (for a
 * space-time diagram and for drops that fall and fade) and recent node events
 * (crashes, role changes, partitions). Both are rings with named bounds; older
 * entries fall off. Nothing here includes SDL or writes to a terminal; the only wall
 * clock is the optional budget of run_advance and run_to_kind, which pace a window
 * and never decide what happens.
 */
#ifndef SIM_RUN_RUN_H
#define SIM_RUN_RUN_H

#include "core/sim.h"
#include "run/cond.h"

#define RUN_MSG_LOG_MAX (1u << 18)       /* recent messages kept, with their fates */
#define RUN_MARKS_MAX 8192               /* recent node and network events kept */
#define RUN_DROPS_MAX (1u << 14)         /* recent drops indexed, for a picture of them */
#define RUN_ACTIONS_MAX 1024             /* actions one run can record */
#define RUN_BRANCHES_MAX 32              /* futures kept after acting in the past */
#define RUN_ADVANCE_CHECK 64             /* events between looks at the wall clock */

typedef enum { RUN_FATE_FLYING, RUN_FATE_DELIVERED, RUN_FATE_DROPPED } run_fate_t;

typedef struct run_msg {
    uint64_t id;
    sim_time_t sent_ns, arrive_ns;
    sim_time_t end_ns;             /* delivered or dropped at; -1 while flying */
    uint32_t from, to, size;
    uint16_t type;
    uint8_t fate;                  /* run_fate_t */
    uint8_t reason;                /* drop_reason_t, when dropped */
    uint8_t dup;                   /* a duplicate's copy */
} run_msg_t;

/* A node or network event, for a diagram's lanes and bands. */
typedef struct run_mark {
    sim_time_t t;
    uint32_t node;
    uint8_t kind;                  /* trace_kind_t */
    uint8_t role;                  /* TR_ROLE: sim_role_t */
    int64_t term;                  /* TR_ROLE */
} run_mark_t;

/* A future set aside by acting in the past. */
typedef struct run_branch {
    sim_time_t fork_ns;            /* the time it forked from the present line */
    uint32_t n_actions;            /* actions recorded after fork_ns on that line */
} run_branch_t;

typedef struct run run_t;

typedef struct run_opts {
    bool seed_set;
    uint64_t seed;                 /* overrides the scenario's seed when seed_set */
    sim_time_t duration_ns;        /* overrides the scenario's duration when > 0 */
    bool no_invariants;
    /* --set overrides applied by run_open (override.h); the strings must outlive the run. */
    const char *const *sets;
    uint32_t n_sets;
} run_opts_t;

/* Creates a run of scn (which must outlive it) at time zero. o may be NULL. Returns
 * NULL with one sentence in err. */
run_t *run_create(const scn_t *scn, const run_opts_t *o, char *err, size_t err_len);
/* Loads the scenario file and creates its run; the run owns the scenario. Returns
 * NULL with one line in err (naming the file). */
run_t *run_open(const char *path, const run_opts_t *o, char *err, size_t err_len);
void run_destroy(run_t *r);

/* ---- Views (read-only). ---------------------------------------------------------- */

const sim_t *run_sim(const run_t *r);     /* valid until the next call that re-creates it */
sim_t *run_sim_mut(run_t *r);             /* for writing summaries and exports only */
const scn_t *run_scenario(const run_t *r);
const char *run_path(const run_t *r);     /* the scenario file, or "(scenario)" */
sim_time_t run_now(const run_t *r);
sim_time_t run_end(const run_t *r);
uint64_t run_generation(const run_t *r);  /* bumped whenever the sim is re-created */
sim_time_t run_explored(const run_t *r);  /* the latest time reached on this line */
bool run_at_end(const run_t *r);          /* nothing more will happen */
/* Why the run stopped early (a violated invariant, a bound), or NULL. */
const char *run_stop_reason(const run_t *r, char *buf, size_t len);

/* ---- Running. --------------------------------------------------------------------- */

/* Processes one event. Returns false at the end or when the run stopped. */
bool run_step_event(run_t *r);
/* Runs forward to t (capped at the end). */
void run_until(run_t *r, sim_time_t t);
/* Runs forward towards t but gives up after budget_s seconds of wall time, leaving the
 * clock at the last event processed. Returns true when t was reached. */
bool run_advance(run_t *r, sim_time_t t, double budget_s);
/* Goes to time t: forward by running, backward by re-creating and running. */
int run_seek(run_t *r, sim_time_t t);
/* Processes events until one of them shows in the trace. Returns false at the end. */
bool run_step(run_t *r);
/* Goes back to just after the previous event that showed in the trace. */
int run_step_back(run_t *r);
/* Runs until a trace record whose kind is in kinds (a mask of 1 << trace_kind_t), the
 * end, or budget_s of wall time (<= 0: no limit). Returns true when one was found. */
bool run_to_kind(run_t *r, uint64_t kinds, double budget_s);
/* Runs until c holds (checked after every event, and once before the first), at most
 * to time limit (capped at the end). Returns RUN_MET, RUN_LIMIT (the limit or the end
 * came first: the clock is at the limit) or RUN_STOPPED (an invariant or a bound
 * stopped the run first). Events c watches for (a delivery, a completed operation)
 * count from this call on. */
enum { RUN_MET = 0, RUN_LIMIT = 1, RUN_STOPPED = 2 };
int run_until_cond(run_t *r, const cond_t *c, sim_time_t limit);

/* Watches c from now on without running: cond_holds(c) after later steps says whether
 * it holds. run_watch(r, NULL) stops watching. One condition is watched at a time
 * (run_until_cond uses the same slot). */
void run_watch(run_t *r, const cond_t *c);
bool run_watched_holds(run_t *r);

/* ---- Acting and recording. ---------------------------------------------------------- */

/* Records an action at the current time and re-runs to the present with it. Recorded
 * actions later than now (left from before a rewind) become a branch first: the
 * future they belonged to no longer happens on this line, but run_branch_restore can
 * bring it back. *branched (if not NULL) says how many actions went into the branch.
 * Returns SIM_OK, SIM_ELIMIT when RUN_ACTIONS_MAX are recorded, SIM_EINPUT for an
 * action that names no node of this scenario (err says why; err may be NULL). */
int run_act(run_t *r, const sim_action_t *a, uint32_t *branched, char *err, size_t err_len);
const sim_action_t *run_actions(const run_t *r, uint32_t *n);
/* Writes the scenario with the recorded actions appended (scn_write_with_actions). */
int run_write(run_t *r, const char *out_path, char *err, size_t err_len);

uint32_t run_n_branches(const run_t *r);
void run_branch_info(const run_t *r, uint32_t i, run_branch_t *out);
/* Makes branch i the present line again: the recorded actions are exchanged with the
 * branch's (the displaced line becomes the branch in its place, so restoring twice
 * returns), the simulation re-created and run to the time it was at. Returns SIM_OK
 * or SIM_EINPUT for a bad index. */
int run_branch_restore(run_t *r, uint32_t i);

/* ---- What was seen. -------------------------------------------------------------------- */

/* The message log: entries [first, count) are held, oldest first, ordered by send
 * time and id. */
uint64_t run_msg_count(const run_t *r);
uint64_t run_msg_first(const run_t *r);
const run_msg_t *run_msg(const run_t *r, uint64_t i);
/* The first held entry sent at or after t (count if none). */
uint64_t run_msg_since(const run_t *r, sim_time_t t);

/* The drops among them, in the order they happened: entries [first, count). A picture
 * of recent drops reads these instead of scanning every message sent meanwhile (a
 * second of a busy run is a hundred thousand messages and a thousand drops). run_drop
 * is NULL for a drop whose message has left the message log. */
uint64_t run_drop_count(const run_t *r);
uint64_t run_drop_first(const run_t *r);
const run_msg_t *run_drop(const run_t *r, uint64_t i);

uint64_t run_mark_count(const run_t *r);
uint64_t run_mark_first(const run_t *r);
const run_mark_t *run_mark(const run_t *r, uint64_t i);

/* Roles any node has held this run, as a mask of 1 << sim_role_t. */
uint32_t run_roles_seen(const run_t *r);
/* Trace records seen since the sim was created. */
uint64_t run_records(const run_t *r);

#endif
