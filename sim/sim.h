/* sim.h -- running a scenario: create, step, run, look, destroy.
 *
 * This is the whole of what the command line, the live view, the lessons and the tests
 * use. A sim_t is created from a loaded scenario (which must outlive it), advanced one
 * event at a time or up to a time, changed only through actions (fault.h), and read
 * through the views below. Nothing here includes SDL or writes to a terminal.
 *
 *   scn_load_file ──> sim_create ──> sim_run / sim_step* ──> sim_finish ──> summary
 *                                        ^    |
 *                               sim_apply(action)   trace records ──> --trace file, view
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include "base.h"
#include "fault.h"
#include "history.h"
#include "jw.h"
#include "proto.h"
#include "scenario.h"
#include "trace.h"

#define SIM_MSG_BUILTIN 2          /* message types 0 "request" and 1 "reply" */

typedef struct sim_opts {
    bool seed_set;
    uint64_t seed;                 /* overrides the scenario's seed when seed_set */
    bool no_invariants;            /* skip protocol invariant checks */
    sim_time_t duration_ns;        /* overrides the scenario's duration when > 0 */
    /* Actions added to the scenario's fault schedule, right after its own (as a
     * scenario written with them appended to "faults" would schedule them): this is
     * how a recorded session is replayed exactly. Copied by sim_create. */
    const sim_action_t *extra_actions;
    uint32_t n_extra_actions;
    /* A trace listener from the very start, so what nodes do while they initialize
     * (their first roles, their first messages) is seen too. sim_set_trace changes it. */
    trace_fn trace;
    void *trace_ud;
} sim_opts_t;

typedef struct sim_stats {
    uint64_t events;
    uint64_t sent, delivered, duplicated, bytes_sent;
    uint64_t dropped[DROP_COUNT_];
    uint64_t sent_by_type[SIM_MSG_TYPES_MAX];
    uint64_t delivered_by_type[SIM_MSG_TYPES_MAX];
    uint64_t timers;
    uint64_t crashes, restarts, partitions;
    uint64_t ops_invoked, ops_ok, ops_fail, ops_info, ops_shed, ops_retried;
    int64_t *latency_ns;           /* of ok operations, in completion order */
    uint64_t n_latency, cap_latency;
    uint64_t ops_in_partition;     /* operations invoked while a partition was in force */
    uint64_t ok_in_partition;      /* ... of which ended ok */
    sim_time_t last_fault_ns;      /* the last crash, restart, partition, heal, join or leave */
    sim_time_t equal_since_ns;     /* replicas equal continuously since; -1 when they differ */
    uint64_t elections;            /* times a node took a leading role */
    int64_t max_term;              /* the highest term any node reported */
    int64_t *leaderless_ns;        /* each finished interval without a leader */
    uint64_t n_leaderless, cap_leaderless;
} sim_stats_t;

/* Creates a simulation at time zero with every node initialized. Returns NULL and a
 * sentence in err when a bound is exceeded. */
sim_t *sim_create(const scn_t *scn, const sim_opts_t *opts, char *err, size_t err_len);
void sim_destroy(sim_t *s);

/* Every trace record goes to fn as well as into the hash. One listener at a time. */
void sim_set_trace(sim_t *s, trace_fn fn, void *ud);

/* Processes the next event if it is due no later than the end of the run. Returns
 * false when there is none or the run stopped (an invariant was violated). */
bool sim_step(sim_t *s);
/* Processes every event up to and including time t (capped at the end), then sets the
 * clock to t. */
void sim_run_until(sim_t *s, sim_time_t t);
/* Runs to the end and finishes. */
void sim_run(sim_t *s);
/* Ends the run: operations still outstanding are recorded as info. Idempotent. */
void sim_finish(sim_t *s);

/* ---- Views. ------------------------------------------------------------------- */

const scn_t *sim_scenario(const sim_t *s);
uint64_t sim_seed(const sim_t *s);
sim_time_t sim_end(const sim_t *s);
bool sim_stopped(const sim_t *s);
bool sim_next_time(const sim_t *s, sim_time_t *t);     /* time of the next event */
uint64_t sim_trace_hash(const sim_t *s);
const sim_stats_t *sim_stats(const sim_t *s);
const hist_t *sim_history(const sim_t *s);
const proto_t *sim_protocol(const sim_t *s);
const char *sim_msg_type_name(const sim_t *s, unsigned type);
unsigned sim_n_msg_types(const sim_t *s);
const sim_violation_t *sim_violation(const sim_t *s, sim_time_t *when);
const char *sim_error(const sim_t *s);                 /* why sim_halt stopped the run, or NULL */

typedef struct sim_node_info {
    const char *name;
    bool client, up, paused;
    bool member;                   /* a server that has joined and not left */
    uint8_t group;                 /* partition group; 0 when not cut off */
    sim_time_t clock_ns;           /* its local clock now */
} sim_node_info_t;
uint32_t sim_n_nodes(const sim_t *s);                  /* servers then clients */
void sim_node_info(const sim_t *s, uint32_t node, sim_node_info_t *out);
void sim_describe(sim_t *s, uint32_t node, proto_desc_t *d);
void sim_export_node(sim_t *s, uint32_t node, jw_t *w);
const net_t *sim_net(const sim_t *s);

/* Messages in flight, in no particular order, then those waiting at paused nodes. */
typedef struct sim_flight {
    uint64_t id;
    uint32_t from, to;
    uint16_t type;
    uint32_t size;
    sim_time_t sent_ns, arrive_ns;
    int doomed;                    /* -1, or the drop_reason_t it will be dropped for */
    bool waiting;                  /* arrived at a paused node, waiting for it (arrive_ns: when) */
    const void *payload;
    uint32_t len;
} sim_flight_t;
void sim_each_flight(const sim_t *s, void (*fn)(void *ud, const sim_flight_t *f), void *ud);

/* Delivers a message to a server at once, bypassing the network: for protocol tests
 * that drive one node with scripted messages (and for lessons). type is the protocol's
 * own type index; from may be any node. What the node sends in return is in flight
 * (sim_each_flight). Returns SIM_EINPUT for a bad node or type, or a node that is down. */
int sim_inject(sim_t *s, uint32_t from, uint32_t to, unsigned type, const void *payload, uint32_t len);
/* The same for a client request arriving at a server. */
int sim_inject_request(sim_t *s, uint32_t to, const sim_req_t *req);

/* The last trace records before now (at most SIM_RECENT, oldest first), kept while
 * invariants are checked so a violation can show what led to it. */
#define SIM_RECENT 24
uint32_t sim_recent(const sim_t *s, trace_rec_t *out, uint32_t max);

/* Writes the run summary (the --json object). extra, when not NULL, writes more keys
 * into it (dsim run's "check" verdicts) just before trace_hash. */
void sim_write_summary(sim_t *s, jw_t *w, double wall_seconds);
void sim_write_summary_with(sim_t *s, jw_t *w, double wall_seconds, void (*extra)(void *ud, jw_t *w), void *ud);

/* Latency percentile (q in [0, 1]) of ok operations; 0 when there are none. */
int64_t sim_latency_quantile(sim_t *s, double q);

/* Percentile (q in [0, 1]) of the finished intervals without a leader; 0 when none. */
int64_t sim_leaderless_quantile(sim_t *s, double q);

#endif
