/* sim.h -- running a scenario: create, step, run, look, destroy.
 *
 * This is the whole of what the command line, the live view, the lessons and the tests
 * use. A sim_t is created from a loaded scenario (which must outlive it), advanced one
 * event at a time or up to a time, changed only through actions (action.h), and read
 * through the views below. Nothing here includes SDL or writes to a terminal.
 *
 *   scn_load_file ──> sim_create ──> sim_run / sim_step* ──> sim_finish ──> summary
 *                                        ^    |
 *                               sim_apply(action)   trace records ──> --trace file, view
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include "core/base.h"
#include "core/action.h"
#include "core/history.h"
#include "core/jw.h"
#include "proto/proto.h"
#include "scenario/scenario.h"
#include "core/trace.h"


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

#define SIM_SAMPLES_EXACT_MAX (1u << 16)   /* samples kept one by one; past it, a histogram */
#define SIM_SAMPLES_RECENT    128          /* the latest samples, for the live view */
#define SIM_SAMPLES_BUCKETS   7296         /* histogram buckets: 256 exact, then 128 per octave */

/* A distribution of durations in bounded memory. While there are at most
 * SIM_SAMPLES_EXACT_MAX samples every one is kept and quantiles are exact (GSL's
 * interpolation between order statistics); past that, the samples move into a
 * log-linear histogram of fixed size whose quantiles are within 0.4% of the true ones
 * (values below 256 ns exactly), so a run of any length takes constant memory. The
 * count, sum, minimum and maximum stay exact either way. */
typedef struct sim_samples {
    uint64_t n;                    /* samples recorded */
    int64_t min, max;
    double sum;                    /* in order of recording */
    int64_t *exact;                /* the samples while n <= SIM_SAMPLES_EXACT_MAX, else NULL */
    uint64_t cap;
    bool reserved;                 /* exact was reserved (sim_reserve), not allocated */
    uint64_t *bucket;              /* SIM_SAMPLES_BUCKETS counts once the exact samples overflowed */
    int64_t recent[SIM_SAMPLES_RECENT];   /* a ring of the latest samples */
} sim_samples_t;

void sim_samples_add(sim_samples_t *x, int64_t v);
/* The q-quantile (0 <= q <= 1); 0 when there is no sample. */
int64_t sim_samples_quantile(const sim_samples_t *x, double q);
/* Copies up to max of the latest samples into out, oldest first; returns how many. */
uint32_t sim_samples_recent(const sim_samples_t *x, int64_t *out, uint32_t max);
void sim_samples_free(sim_samples_t *x);

typedef struct sim_stats {
    uint64_t events;
    uint64_t sent, delivered, duplicated, bytes_sent;
    uint64_t dropped[DROP_COUNT_];
    uint64_t sent_by_type[SIM_MSG_TYPES_MAX];
    uint64_t delivered_by_type[SIM_MSG_TYPES_MAX];
    uint64_t timers;
    uint64_t crashes, restarts, partitions;
    uint64_t ops_invoked, ops_ok, ops_fail, ops_info, ops_shed, ops_retried;
    sim_samples_t latency;         /* of ok operations (ns) */
    uint64_t ops_in_partition;     /* operations invoked while a partition was in force */
    uint64_t ok_in_partition;      /* ... of which ended ok */
    sim_time_t last_fault_ns;      /* the last crash, restart, partition, heal, join or leave */
    sim_time_t equal_since_ns;     /* replicas equal continuously since; -1 when they differ */
    uint64_t elections;            /* times a node took a leading role */
    int64_t max_term;              /* the highest term any node reported */
    sim_samples_t leaderless;      /* each finished interval without a leader (ns) */
    sim_time_t unequal_since_ns;   /* replicas differ since; -1 while they are equal */
    sim_time_t diverged_ns;        /* finished intervals with replicas differing, in all */
    sim_time_t diverged_max_ns;    /* ... the longest of them */
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
/* The history of what the clients observed. A run keeps its first
 * SIM_RUN_HISTORY_EVENTS_MAX events in memory and counts the rest, so a long run's
 * memory stays flat; a history stream (below) receives every event. */
const hist_t *sim_history(const sim_t *s);
uint64_t sim_history_dropped(const sim_t *s);          /* events recorded past the bound */
/* The client node (an id from n_servers on) that runs history process p, or UINT32_MAX
 * when it cannot say: a process that timed out is replaced by a fresh one (as Jepsen
 * does), and once its slot has moved on that process is not remembered. */
uint32_t sim_process_client(const sim_t *s, uint32_t process);
/* Decodes a client request or reply (message types 0 and 1) into a short line of its
 * fields, "write k5 17 (op 23)" or "ok (op 23): 17", for the window. Returns the
 * length written, 0 for another type or a malformed payload. */
int sim_describe_builtin(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len);
/* Writes every history event to f as one JSON line when it happens (NULL: stop). The
 * caller owns f and checks it for errors. */
void sim_set_history_stream(sim_t *s, FILE *f);
const char *sim_msg_type_name(const sim_t *s, unsigned type);
/* A role's name and class, built-in or the protocol's own (proto_t.roles). */
const char *sim_role_name(const sim_t *s, unsigned role);
sim_role_class_t sim_role_class(const sim_t *s, unsigned role);
unsigned sim_n_msg_types(const sim_t *s);
const sim_violation_t *sim_violation(const sim_t *s, sim_time_t *when);
const char *sim_error(const sim_t *s);                 /* why sim_halt stopped the run, or NULL */

typedef struct sim_node_info {
    const char *name;
    bool client, up, paused;
    bool member;                   /* a server that has joined and not left */
    bool isolated;                 /* a server cut off from every other server */
    uint8_t group;                 /* partition group; 0 when not cut off */
    sim_time_t clock_ns;           /* its local clock now */
    sim_role_t role;                   /* the role it last reported (servers) */
    int64_t term;                  /* ... and its term */
} sim_node_info_t;
uint32_t sim_n_nodes(const sim_t *s);                  /* servers then clients */
void sim_node_info(const sim_t *s, uint32_t node, sim_node_info_t *out);
void sim_describe(const sim_t *s, uint32_t node, proto_desc_t *d);
void sim_export_node(const sim_t *s, uint32_t node, jw_t *w);
/* The network as watchers see it. */
bool sim_partitioned(const sim_t *s);                  /* a partition or isolation in force */
uint8_t sim_n_groups(const sim_t *s);                  /* groups of the partition in force, or 0 */
/* The parameters in force on the link from a to b (the defaults where it has none). */
const net_params_t *sim_link_params(const sim_t *s, uint32_t a, uint32_t b);
bool sim_link_blocked(const sim_t *s, uint32_t from, uint32_t to);   /* from cannot send to to */
bool sim_linked(const sim_t *s, uint32_t a, uint32_t b);             /* a link in the topology */
uint32_t sim_n_peers_of(const sim_t *s, uint32_t node);             /* server neighbours */
uint32_t sim_peer_of(const sim_t *s, uint32_t node, uint32_t i);

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
/* Hands the message in flight with this id to its destination now, as if it arrived
 * this instant: bypassing its latency, not the network's verdict (a message doomed to
 * loss, to a crashed node or across a partition is dropped now; one to a paused node
 * waits for it). Invariants are checked after it, as after any event. With duplicates,
 * the copy due first goes. Returns SIM_ENOTFOUND when no such message is on the wire
 * (delivered, dropped, never sent, or waiting at a paused node). */
int sim_deliver_now(sim_t *s, uint64_t id);
/* Drops the message in flight with this id now (the copy due first), counted and
 * traced as a person's drop. Returns SIM_ENOTFOUND as sim_deliver_now does. */
int sim_drop_now(sim_t *s, uint64_t id);

/* Timers pending in the queue: set, not cancelled, of a node that has not crashed
 * since. Timers of a paused node that already came due wait with its messages and are
 * not listed. id is what sim_timer_set returned. */
typedef struct sim_timer {
    uint64_t id;
    uint32_t node;
    int kind;
    uint64_t data;
    sim_time_t set_ns, due_ns;
} sim_timer_t;
void sim_each_timer(const sim_t *s, void (*fn)(void *ud, const sim_timer_t *t), void *ud);
/* Fires a pending timer now, ahead of its time: on_timer runs at once, and invariants
 * are checked after it. Returns SIM_ENOTFOUND for an id that is not pending (fired,
 * cancelled, its node crashed), SIM_EINPUT when its node is paused. */
int sim_fire_timer(sim_t *s, uint64_t id);

/* Delivers a message to a server at once, bypassing the network: for protocol tests
 * that drive one node with scripted messages (and for lessons). type is the protocol's
 * own type index; from may be any node. What the node sends in return is in flight
 * (sim_each_flight). Returns SIM_EINPUT for a bad node or type, or a node that is down. */
int sim_inject(sim_t *s, uint32_t from, uint32_t to, unsigned type, const void *payload, uint32_t len);
/* The same for a client request arriving at a server. */
int sim_inject_request(sim_t *s, uint32_t to, const sim_req_t *req);

/* The last trace records before now (at most SIM_RECENT, oldest first), kept while
 * invariants are checked, and always for a plug-in protocol, so a violation or a
 * crash can show what led to it. */
#define SIM_RECENT 24
uint32_t sim_recent(const sim_t *s, trace_rec_t *out, uint32_t max);

/* A plug-in's callback crashed or hung (plugin.h): what, where and when. The run
 * stopped there and the plug-in is not called again for this simulation. */
typedef struct sim_fault {
    int signal;                /* SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL; SIGALRM: the watchdog */
    const char *what;          /* "a segmentation fault (SIGSEGV)" */
    const char *callback;      /* "on_message", "on_timer", "init", ... */
    int64_t node;              /* the server whose callback it was, or -1 (check, summary) */
    sim_time_t t;              /* simulated time */
    char event[160];           /* the event it was handling, in words */
} sim_fault_t;
const sim_fault_t *sim_fault(const sim_t *s);          /* NULL when nothing crashed */

/* Writes the run summary (the --json object). extra, when not NULL, writes more keys
 * into it (dsim run's "check" verdicts) just before trace_hash. */
void sim_write_summary(sim_t *s, jw_t *w, double wall_seconds);
void sim_write_summary_with(sim_t *s, jw_t *w, double wall_seconds, void (*extra)(void *ud, jw_t *w), void *ud);

/* Latency percentile (q in [0, 1]) of ok operations; 0 when there are none. */
int64_t sim_latency_quantile(const sim_t *s, double q);

/* Percentile (q in [0, 1]) of the finished intervals without a leader; 0 when none. */
int64_t sim_leaderless_quantile(const sim_t *s, double q);

#endif
