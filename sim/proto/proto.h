/* proto.h -- the interface between the simulator and a protocol module.
 *
 * A protocol is a const proto_t: a table of callbacks that starts with a version, a
 * name and the size of one node's state, in the manner of SQLite's sqlite3_vfs. The
 * core allocates each node's state (zeroed) and its durable storage; the protocol
 * never allocates in its hot path. Slots are only ever appended to proto_t; once a
 * version is released, slots added after it are called only when proto->version says
 * the table has them. Version 1 is the table as it stands here.
 *
 * A protocol reaches the world only through its sim_ctx handle (send, reply, timers,
 * clocks, random numbers, logging, durable storage). It never calls time(), rand(),
 * malloc() or printf(): that is what keeps runs deterministic, and what will let a
 * later loader run the same callbacks from a shared library or an external process.
 *
 *      client --request--> node --(protocol messages)--> node ... node --reply--> client
 *
 * Lifecycle of one node:
 *
 *      init ──> { on_message | on_timer | on_request }* ──> on_crash ──> (state zeroed)
 *        ^                                                                   |
 *        └──────────────────────────── restart ─────────────────────────────┘
 *
 * init runs at time zero and again on restart; durable storage keeps its bytes across
 * a crash, while the node's state (volatile memory) is zeroed and its timers cancelled.
 */
#ifndef SIM_PROTO_H
#define SIM_PROTO_H

#include <string.h>
#include "core/base.h"
#include "core/jw.h"
#include "core/rng.h"

typedef struct sim sim_t;          /* the whole simulation (opaque) */
typedef struct sim_ctx sim_ctx;    /* one node's view of the world, valid during a callback */

/* Operations that clients invoke. Names as in histories ("read", "write", ...). */
typedef enum {
    SIM_OP_READ, SIM_OP_WRITE, SIM_OP_CAS, SIM_OP_APPEND, SIM_OP_ADD,
    SIM_OP_TRANSFER,           /* a transaction: move `value` from key to key2 (both or neither) */
    SIM_OP_COUNT_
} sim_op_t;
extern const char *const sim_op_names[];   /* indexed by sim_op_t, NULL-terminated */

/* A client request as a server node sees it. Plain data: a protocol may copy it into
 * its state and reply later (a Raft leader replies when the entry commits). */
typedef struct sim_req {
    uint32_t client;       /* client node id: where the reply goes */
    uint32_t attempt;      /* retry number of this operation, from 0 */
    uint64_t op_id;        /* unique per run; echo it back through sim_reply */
    uint8_t f;             /* sim_op_t */
    uint32_t key;          /* key index, 0 .. keys-1 */
    uint32_t key2;         /* transfer: the key receiving the amount */
    int64_t value;         /* write/append/add: the value; cas: expected value */
    int64_t value2;        /* cas: new value */
} sim_req_t;

/* How a server answers a request. */
typedef enum {
    SIM_REPLY_OK,              /* it happened; values hold a read's result */
    SIM_REPLY_FAIL,            /* it definitely did not happen (cas mismatch, refused) */
    SIM_REPLY_REDIRECT,        /* not here: retry at node `redirect` (e.g. the leader) */
    SIM_REPLY_UNAVAILABLE,     /* not now, nothing happened: the client may retry */
} sim_reply_status_t;

/* A message as delivered to a node. payload is valid only during the callback. */
typedef struct sim_msg {
    uint32_t from, to;
    uint16_t type;          /* index into the protocol's msg_types (after built-ins) */
    uint32_t size;          /* bytes on the wire, for bandwidth and statistics */
    uint32_t len;           /* bytes of payload */
    const void *payload;
    sim_time_t sent_at;
} sim_msg_t;

/* Roles a node can hold. The leading ones (leader, primary, head, coordinator) are the
 * nodes the role-aware nemeses aim at and whose absence counts as "leaderless". */
typedef enum {
    SIM_ROLE_NONE, SIM_ROLE_FOLLOWER, SIM_ROLE_CANDIDATE, SIM_ROLE_LEADER, SIM_ROLE_PRIMARY, SIM_ROLE_BACKUP,
    SIM_ROLE_HEAD, SIM_ROLE_MIDDLE, SIM_ROLE_TAIL, SIM_ROLE_COORDINATOR, SIM_ROLE_PARTICIPANT, SIM_ROLE_MASTER,
    SIM_ROLE_REPLICA, SIM_ROLE_COUNT_
} sim_role_t;
extern const char *const sim_role_names[];     /* "", "follower", "candidate", "leader", ... */
static inline bool sim_role_leads(sim_role_t r)
{
    return r == SIM_ROLE_LEADER || r == SIM_ROLE_PRIMARY || r == SIM_ROLE_HEAD || r == SIM_ROLE_COORDINATOR;
}

/* A protocol may name roles of its own (proto_t.roles): each has a class that says
 * how the core and the window treat it -- whether it leads (the nemeses aim at it,
 * elections count it, its absence is leaderless time) and which colour it gets. Its
 * id for sim_set_role is SIM_ROLE_COUNT_ + its index in proto_t.roles. */
typedef enum {
    SIM_ROLE_CLASS_PASSIVE,     /* does its part, leads nothing (a replica, a worker) */
    SIM_ROLE_CLASS_FOLLOWING,   /* follows a leader */
    SIM_ROLE_CLASS_CANDIDATE,   /* trying to lead */
    SIM_ROLE_CLASS_LEADING,     /* leads: a leader, a primary, a coordinator */
} sim_role_class_t;
typedef struct proto_role { const char *name; sim_role_class_t cls; } proto_role_t;
#define PROTO_ROLES_MAX 16

/* What the live view and summaries show of a node. Strings are truncated to fit. */
typedef struct proto_desc {
    char role[16];          /* "leader", "follower", "primary", "head", ... or "" */
    int64_t term;           /* term, ballot or epoch; -1 when not meaningful */
    int64_t commit;         /* commit index; -1 when not meaningful */
    int64_t log_len;        /* log length; -1 when not meaningful */
    char line[64];          /* a short state line for display */
} proto_desc_t;

/* A violated invariant, filled by proto_t.check. */
typedef struct sim_violation {
    char name[64];          /* e.g. "election-safety" */
    char detail[256];       /* a sentence a student can read */
    uint32_t nodes[8];
    int n_nodes;
} sim_violation_t;

/* Fills v: the invariant's name, a sentence, and the nodes involved (a, and b unless b
 * is negative or equal to a). Returns true, so a check can `return sim_violation_set(...)`. */
bool sim_violation_set(sim_violation_t *v, const char *name, int64_t a, int64_t b, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Protocol parameters are declared in a table; the scenario loader parses and checks
 * them (type, range, unknown names) into the protocol's config struct, so protocols
 * never see JSON. */
typedef enum {
    PROTO_PARAM_INT,             /* int64_t */
    PROTO_PARAM_REAL,            /* double */
    PROTO_PARAM_DURATION,        /* sim_time_t, from "150ms" */
    PROTO_PARAM_DURATION_RANGE,  /* sim_time_t[2], from ["150ms", "300ms"] */
    PROTO_PARAM_BOOL,            /* bool */
    PROTO_PARAM_ENUM,            /* int: index into `choices` ("a|b|c") */
    PROTO_PARAM_PATH,            /* char[PROTO_PARAM_TEXT_MAX]: a file, relative to the scenario's folder */
    PROTO_PARAM_STRINGS,         /* char[PROTO_PARAM_TEXT_MAX]: a list of strings, each ended by '\0' */
} proto_param_type_t;
#define PROTO_PARAM_TEXT_MAX 512     /* bytes of a PATH or STRINGS parameter, with its '\0's */

typedef struct proto_param {
    const char *name;
    proto_param_type_t type;
    const char *def;       /* default, written as in a scenario: "2", "1s", "[\"150ms\",\"300ms\"]", "true", "push" */
    double min, max;       /* range for INT, REAL and DURATION (in ns); ignored when min > max */
    const char *choices;   /* PROTO_PARAM_ENUM: "push|pull|push-pull" */
    size_t offset;         /* where the value goes in the config struct */
    const char *help;      /* one line */
} proto_param_t;

/* The lines a protocol adds to the human summary, under its own heading (its name).
 * They are templates over the JSON summary, so the human lines and `--json` can never
 * disagree: "{path}" is replaced by the number at that path of the summary (the
 * dotted paths of cond_metric: "stream.latency_ns.p50", "log.lost_acked"), and a
 * suffix says how to show it: {p|ns} a duration, {p|pct} a fraction as a percentage,
 * {p|.2} two decimals, {p|s} a string. A line whose paths are missing or null does not
 * apply and is not printed. "[#]" in a path repeats the line for each element of that
 * list ("protocol_stats.membership_changes[#].join|s"). Terminated by {NULL}. */
typedef struct proto_line { const char *label; const char *text; } proto_line_t;

/* Generic summary lines that say nothing true about a protocol, and so are left out
 * of its summaries (proto_t.summary_omit). */
#define PROTO_OMIT_LEADERS   1u     /* no leaders: no elections, terms or leaderless time */
#define PROTO_OMIT_STALENESS 2u     /* stores nothing a read could find stale */

/* Version 1: the table up to check_size. Version 2 appends roles; version 3
 * summary_omit, summary_lines and describe_msg; version 4 on_destroy; version 5
 * on_pause. */
#define PROTO_VERSION 5
#define PROTO_MAX 64                /* protocols registered at once */
#define PROTO_NAME_MAX 31
#define SIM_MSG_BUILTIN 2           /* message types 0 "request" and 1 "reply" */

/* What a protocol may know about the scenario when it configures itself. */
typedef struct proto_env {
    uint32_t n_servers;
    uint32_t n_clients;
    uint32_t n_keys;       /* the workload's keys (1 when there is no workload) */
} proto_env_t;

typedef struct proto {
    int version;                        /* PROTO_VERSION this table was written for */
    const char *name;                   /* as written in scenarios: "gossip" */
    const char *purpose;                /* one line, for `dsim list protocols` */
    size_t state_size;                  /* bytes of one node's volatile state */
    size_t durable_size;                /* bytes of one node's durable storage (may be 0) */
    size_t config_size;                 /* bytes of the parsed parameters */
    const char *const *msg_types;       /* NULL-terminated names of message types */
    const proto_param_t *params;        /* terminated by {NULL} */

    /* Called once after parameters are parsed; may check combinations, derive values
     * and size tables from env. Returns SIM_OK or SIM_EINPUT with a sentence in err.
     * May be NULL. */
    int (*configure)(void *config, const proto_env_t *env, char *err, size_t err_len);
    /* Per-node state size when it depends on the parameters; NULL means state_size. */
    size_t (*state_size_for)(const void *config);

    void (*init)(sim_ctx *c);                                  /* start and restart */
    void (*on_message)(sim_ctx *c, const sim_msg_t *m);
    void (*on_timer)(sim_ctx *c, int kind, uint64_t data);
    void (*on_request)(sim_ctx *c, const sim_req_t *req);      /* a client request */
    void (*on_crash)(sim_ctx *c);                              /* may be NULL */

    void (*describe)(sim_ctx *c, proto_desc_t *d);             /* may be NULL */
    void (*export_state)(sim_ctx *c, jw_t *w);                 /* one JSON object; may be NULL */
    /* Checks the protocol's invariants across all server nodes after an event; returns
     * true and fills v on a violation. May be NULL. Must be cheap: it runs per event. */
    bool (*check)(sim_t *s, sim_violation_t *v);
    /* Writes protocol-specific statistics as keys of the summary's "protocol_stats"
     * object (e.g. blocked transactions). May be NULL. */
    void (*summary)(sim_t *s, jw_t *w);
    /* Durable storage size when it depends on the parameters (a log of log_max
     * entries); NULL means durable_size. */
    size_t (*durable_size_for)(const void *config);
    /* Membership changed: `node` joined (after its init) or left. Called on every
     * member server that is up, and on the node itself. May be NULL. */
    void (*on_membership)(sim_ctx *c, uint32_t node, bool joined);
    /* True when every up replica holds the same data (for convergence times). Called
     * at most once per simulated millisecond. May be NULL. */
    bool (*replicas_equal)(sim_t *s);
    /* Writes keys at the top level of the summary (for a protocol whose numbers are
     * the point of a lesson, such as streaming's "stream", "batch" and "log"). May be
     * NULL. */
    void (*summary_top)(sim_t *s, jw_t *w);
    /* Bytes of memory for check: the core allocates them zeroed for each simulation
     * (sim_check_state), so a checker keeps its bookkeeping across events, crashes
     * and nodes without allocating. */
    size_t check_size;
    /* ---- Version 2. ---- */
    /* Roles of the protocol's own, terminated by {NULL}; may be NULL. */
    const proto_role_t *roles;
    /* ---- Version 3. ---- */
    /* PROTO_OMIT_* bits: generic summary lines that do not apply. */
    unsigned summary_omit;
    /* The protocol's own lines of the human summary (proto_line_t). May be NULL. */
    const proto_line_t *summary_lines;
    /* Decodes one message of the protocol's type `type` (an index into msg_types) into
     * a short line of its fields, "term 3, index 7, success" for the window's hover.
     * Returns the length written, 0 when it cannot say. May be NULL. */
    int (*describe_msg)(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len);
    /* The simulation is being destroyed: release what lives outside dsim (a child
     * process, a file). Called on every server node, up or not. May be NULL. */
    void (*on_destroy)(sim_ctx *c);
    /* ---- Version 5. ---- */
    /* The node was paused (true) or resumed (false). The core already holds a paused
     * node's messages and timers; a protocol whose node lives outside dsim (a child
     * process with timers of its own) stops or continues it here. May be NULL. */
    void (*on_pause)(sim_ctx *c, bool paused);
} proto_t;

/* For describe_msg: copies the first size bytes of a payload into m (a payload need not
 * be aligned for its type), or returns false when the payload is shorter. */
static inline bool proto_msg_read(void *m, size_t size, const void *payload, uint32_t len)
{
    if (len < size) return false;
    memcpy(m, payload, size);
    return true;
}

/* ---- Registration. ------------------------------------------------------------------ */

/* Registers a protocol, after checking it: the version is one this dsim supports, the
 * name is well-formed and not taken (built-ins are registered first), init and a
 * state size are given, message types, parameter declarations and roles are
 * well-formed. The registry keeps its own copy, with on_message, on_timer and
 * on_request defaulted when absent (a protocol that serves no requests refuses them).
 * Returns SIM_OK, or SIM_EINPUT / SIM_ELIMIT with a sentence in err. */
int proto_register(const proto_t *p, char *err, size_t err_len);
/* The bytes of a proto_t that a table written for `version` has: later slots are not
 * there and must be read as zero. */
size_t proto_table_bytes(int version);
const proto_t *proto_find(const char *name);       /* the registered copy, or NULL */
uint32_t proto_count(void);                        /* built-ins first, in teaching order */
const proto_t *proto_at(uint32_t i);               /* NULL past the end */
bool proto_builtin(const proto_t *p);
/* Global message type id of a name: 0 "request", 1 "reply", then the protocol's types
 * from SIM_MSG_BUILTIN on. Returns -1 when unknown. */
int proto_msg_type(const proto_t *p, const char *name);

/* ---- The context: everything a protocol may do. ---------------------------------- */

uint32_t sim_self(sim_ctx *c);                       /* this node's id */
uint32_t sim_servers(sim_ctx *c);                    /* server nodes are ids 0 .. n-1 */
const char *sim_node_name(sim_ctx *c, uint32_t node);
const void *sim_config(sim_ctx *c);                  /* the parsed parameters */
void *sim_state(sim_ctx *c);                         /* this node's volatile state */
void *sim_durable(sim_ctx *c);                       /* this node's durable storage */
/* Peers: the other servers this node has a link to in the topology (all of them in a
 * full mesh), numbered 0 .. sim_n_peers-1. O(1) each, so a million-node mesh is cheap. */
uint32_t sim_n_peers(sim_ctx *c);
uint32_t sim_peer(sim_ctx *c, uint32_t i);
/* Membership: servers that have not joined yet, or have left, are not members. A
 * scenario starts a server outside with {"name": "n6", "joined": false} and changes
 * membership with the join and leave actions. */
bool sim_is_member(sim_ctx *c, uint32_t node);

sim_time_t sim_now(sim_ctx *c);                      /* true simulated time */
sim_time_t sim_clock(sim_ctx *c);                    /* this node's local clock: skewed, drifting */
rng_t *sim_rng(sim_ctx *c);                          /* this node's own random stream */

/* Sends len bytes of payload as message type `type` (an index into msg_types). The
 * payload is copied. size is the wire size for bandwidth and statistics (0: len). */
void sim_send(sim_ctx *c, uint32_t to, unsigned type, const void *payload, uint32_t len, uint32_t size);
/* Answers a client request; values are a read's result: none (never written), one
 * value, or a list when n > 1. sim_reply_list always answers OK with a list (a set of
 * broadcast values, an appended log), even of length 0 or 1. */
void sim_reply(sim_ctx *c, const sim_req_t *req, sim_reply_status_t st, const int64_t *values, uint32_t n);
void sim_reply_list(sim_ctx *c, const sim_req_t *req, const int64_t *values, uint32_t n);
void sim_reply_redirect(sim_ctx *c, const sim_req_t *req, uint32_t node);

/* Timers fire on_timer(kind, data) after delay. The id cancels it; a crash cancels all. */
uint64_t sim_timer_set(sim_ctx *c, sim_time_t delay, int kind, uint64_t data);
void sim_timer_cancel(sim_ctx *c, uint64_t id);

/* Stops the run with an error: for a protocol bound that the scenario outgrew (say, a
 * table of values is full). The message should name the parameter to raise. */
void sim_halt(sim_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Registers a message type at run time (a program outside dsim invents its own) and
 * returns its index for sim_send, as if it followed proto_t.msg_types; a name already
 * known returns its index. Returns -1 past SIM_MSG_TYPES_MAX. */
int sim_msg_type_register(sim_ctx *c, const char *name);

/* Tells the core this node's role and term (or ballot, epoch) now. Call it whenever
 * either changes; a crash resets the role to SIM_ROLE_NONE. The core traces the change,
 * counts elections (a node taking a leading role), measures leaderless intervals
 * (while no up node holds a leading role at the highest term anyone has reported),
 * and lets nemeses such as crash-leader find their target. */
void sim_set_role(sim_ctx *c, sim_role_t role, int64_t term);

/* A line in the trace, attributed to this node. */
void sim_log(sim_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- Read access across nodes, for proto_t.check and exports. -------------------- */

uint32_t sim_n_servers(const sim_t *s);
const proto_t *sim_protocol(const sim_t *s);             /* the protocol's registered table */
const char *sim_name_of(const sim_t *s, uint32_t node);  /* "n1", "c2", or the scenario's name */
const void *sim_config_of(const sim_t *s);            /* the parsed parameters, for check */
void *sim_check_state(sim_t *s);                      /* check_size zeroed bytes, one per simulation */
void *sim_node_state(sim_t *s, uint32_t node);
void *sim_node_durable(sim_t *s, uint32_t node);
bool sim_node_up(const sim_t *s, uint32_t node);      /* not crashed */
sim_role_t sim_node_role(const sim_t *s, uint32_t node, int64_t *term);
/* The up node holding a leading role at the highest term reported, or -1. */
int64_t sim_leader(const sim_t *s);
sim_time_t sim_time(const sim_t *s);
/* Since when every up replica has held the same data (replicas_equal), or -1. */
sim_time_t sim_equal_since(const sim_t *s);
/* Copies of messages of a type (global id) sent so far. */
uint64_t sim_sent_of_type(const sim_t *s, unsigned type);

/* The clients' operations so far, for a checker that must know what clients asked
 * (every command in a log must come from some client's invocation). */
typedef struct sim_op_event {
    uint8_t type;          /* 0 invoke, 1 ok, 2 fail, 3 info */
    int8_t f;              /* sim_op_t, or -1 for an operation of another name */
    int64_t key;           /* the key's index, or -1 */
    uint32_t process;
    uint32_t n;            /* values */
    const int64_t *values;
    sim_time_t t;
} sim_op_event_t;
uint64_t sim_n_op_events(const sim_t *s);
void sim_op_event(const sim_t *s, uint64_t i, sim_op_event_t *out);

#endif

/* The versioned table through which a plug-in reaches all of the above (outside the
 * guard: see api.h). */
#include "proto/api.h"
