/* sim_int.h -- the inside of a simulation, shared by sim.c, action.c, nemesis.c, workload.c and
 * trace.c. Nothing outside sim/ includes this.
 *
 * Events live in one pool (ev_t, 32 bytes each, a message's own fields in a second,
 * ev_msg_t) and are ordered by evq. A pending event
 * is owned by the queue; an event for a paused node moves to that node's wait list and
 * is queued again on resume. Timers are cancelled lazily: the slot is marked and skipped
 * when it comes due; a crash bumps the node's epoch, which invalidates all its timers at
 * once.
 */
#ifndef SIM_SIM_INT_H
#define SIM_SIM_INT_H

#include <string.h>
#include "core/evq.h"
#include "core/net.h"
#include "core/pool.h"
#include "core/sim.h"

typedef enum {
    EV_FREE, EV_DELIVER, EV_TIMER, EV_ACTION, EV_NEMESIS, EV_CLIENT,
} ev_kind_t;

enum { EVF_CANCELLED = 1, EVF_DUPLICATE = 2 };

/* An event is 32 bytes, since with a million nodes there is a timer pending for each:
 * what a timer needs is in the event itself, and what only a message needs (sender,
 * payload, sizes) is in a record of its own, of which there are only as many as
 * messages in flight. The slot index and gen are the ids a run hashes, so every kind
 * of event shares one pool and one index space.
 *
 *           word 0          gen     word 2      word 3          id        sent_ns
 *   timer   kind|flags|node  gen    epoch       timer_kind      data      set time
 *   deliver kind|flags|node  gen    msg         type, doomed    msg id    send time
 *   client  kind|node        gen    data        sub             op id
 *   free    kind             gen    next
 */
typedef struct ev {
    uint32_t kind : 4;         /* ev_kind_t */
    uint32_t flags : 4;        /* EVF_* */
    uint32_t node : 24;        /* the node it happens at (deliver: destination) */
    uint32_t gen;              /* bumped on every reuse of the slot, for timer ids */
    union {
        uint32_t epoch;        /* timer: the node's epoch when set */
        uint32_t msg;          /* deliver: its record in sim.msg */
        uint32_t data;         /* action, nemesis, client: their data */
        uint32_t next;         /* free: the next free slot */
    };
    union {
        int32_t timer_kind;    /* timer: the protocol's kind of timer */
        struct {
            uint16_t type;     /* deliver: message type id */
            int8_t doomed;     /* deliver: -1, or the drop_reason_t decided at send */
            uint8_t sub;       /* nemesis/client: what to do */
        };
    };
    uint64_t id;               /* deliver: message id; timer: data; others: their id */
    sim_time_t sent_ns;        /* deliver: send time; timer: set time */
} ev_t;

_Static_assert(sizeof(ev_t) == 32, "an event is 32 bytes");
_Static_assert(SIM_NODES_MAX <= 1u << 24, "a node id fits in ev_t.node");

/* What only a message in flight needs. */
typedef struct ev_msg {
    union {
        uint32_t from;         /* sender */
        uint32_t next;         /* free: the next free record */
    };
    uint32_t payload;          /* pool handle, POOL_NONE, or MSG_INLINE */
    uint32_t len, size;        /* payload bytes, wire bytes */
    sim_time_t arrive_ns;      /* waiting at a paused node: when it arrived */
    uint64_t small;            /* the payload itself when it fits (MSG_INLINE) */
} ev_msg_t;

/* A payload of at most 8 bytes (a counter, a ping) travels in its message's record,
 * 8-byte aligned like a pool slot, and costs no trip through the pool. */
#define MSG_INLINE 0xfffffffeu
#define MSG_INLINE_BYTES 8u
_Static_assert(MSG_INLINE_BYTES == sizeof(((ev_msg_t *)0)->small), "the inline payload fills 'small'");

#define EV_NONE 0xffffffffu
#define EV_SCRATCH (SIM_EVENTS_MAX - 1)   /* handed out past the bound; never queued */
/* From this many nodes on (their records and states no longer sit in L1 and L2), the
 * event loop prefetches the next event's node and protocol state. */
#define SIM_PREFETCH_NODES_MIN (1u << 13)

/* A node holds what nearly every event reads, in 24 bytes (a million nodes, 24 MB).
 * Skewed clocks and the events held while paused are rare: they live in tables of
 * their own, allocated the first time a run uses them. */
typedef struct node {
    uint8_t up, paused, client, member;
    uint32_t epoch;            /* incarnation: bumped by crash */
    rng_t rng;                 /* protocol randomness */
    rng_t net_rng;             /* outgoing links when the mesh is implicit */
} node_t;

#define SIM_NAME_CHUNK_SHIFT 8
#define SIM_NAME_CHUNK (1u << SIM_NAME_CHUNK_SHIFT)

typedef struct node_clock {
    sim_time_t base_ns;        /* true time at the last clock change */
    sim_time_t local_ns;       /* local clock at the last clock change */
    double drift;
} node_clock_t;

typedef struct node_wait { uint32_t head, tail; } node_wait_t;   /* events held while paused (sim.wait_next) */

/* The reply message's payload. */
typedef struct reply_msg {
    uint64_t op_id;
    uint32_t attempt;
    uint8_t status;            /* sim_reply_status_t */
    uint8_t list;              /* values form a list even when there is one (a set, a log) */
    uint32_t redirect;
    uint32_t n;                /* values that follow */
    int64_t values[];
} reply_msg_t;

struct sim_ctx { sim_t *s; uint32_t node; };

typedef struct recent {
    trace_rec_t r;
    char text[64];             /* r.text points here */
} recent_t;

typedef struct wl wl_t;        /* workload state (workload.c) */
typedef struct nem nem_t;      /* nemesis state (nemesis.c) */

struct sim {
    const scn_t *scn;
    const sim_opts_t *opts;            /* valid during sim_create only */
    uint64_t seed;
    sim_time_t now, end;
    const proto_t *proto;
    const void *cfg;
    uint32_t n_servers, n_clients, n_nodes;
    node_t *nodes;
    node_clock_t *clocks;              /* per node; NULL while every clock is true */
    node_wait_t *waits;                /* per node; NULL until a node is first paused */
    uint32_t *wait_next;               /* per event slot: the next in its wait list (reserved with waits) */
    /* Node names, made when first asked for, SIM_NAME_CHUNK nodes' at a time: a large
     * run that never prints a name keeps none (most are "n1", "n2", ... anyway), and a
     * name once made stays where it is, so callers may hold several. */
    char **name_chunk;                 /* n_nodes / SIM_NAME_CHUNK + 1; each NULL or SIM_NAME_CHUNK names */
    uint8_t *state;                    /* n_servers * state_size */
    size_t state_size;
    uint8_t *durable;                  /* n_servers * durable_size */
    void *check;                       /* proto->check_size bytes for the checker */
    size_t durable_size;

    ev_t *ev;                          /* event pool: SIM_EVENTS_MAX slots reserved */
    uint32_t ev_top, ev_free;          /* slots ever used; free list */
    ev_msg_t *msg;                     /* message records: SIM_EVENTS_MAX reserved */
    uint32_t msg_top, msg_free;        /* records ever used; free list */
    sim_assert_ctx_t assert_ctx;       /* this run's clock and seed, for assertions */
    evq_t q;
    pool_t payloads;
    net_t net;

    const char *mtype[SIM_MSG_TYPES_MAX];
    unsigned n_mtypes;
    char *own_mtype[SIM_MSG_TYPES_MAX];   /* names registered at run time (owned) */
    unsigned n_own_mtypes;

    uint64_t next_msg_id;
    uint64_t pending_drop[SIM_PENDING_DROPS_MAX];   /* message ids to drop when sent */
    uint32_t n_pending_drops;
    uint32_t n_paused;                 /* nodes paused now */
    uint64_t hash;
    trace_fn trace;
    void *trace_ud;
    bool in_callback;

    sim_stats_t st;
    hist_t hist;                       /* the first SIM_RUN_HISTORY_EVENTS_MAX events */
    uint64_t hist_dropped;             /* events recorded past that */
    FILE *hist_out;                    /* every event, as JSON lines; NULL for none */
    wl_t *wl;
    nem_t *nem;
    sim_action_t *actions;             /* scheduled actions (copies): SIM_ACTIONS_PENDING_MAX slots */
    uint32_t *action_next;             /* free list of action slots */
    uint32_t n_actions, action_free;   /* slots ever used; head of the free list */

    bool invariants;
    bool stopped, finished;
    sim_violation_t violation;
    char error[256];                   /* set by sim_halt */
    sim_time_t violation_ns;
    sim_ctx ctx;
    char logbuf[256];
    uint8_t *role;                     /* per server: sim_role_t */
    int64_t *term;                     /* per server: the term it reported */
    int64_t leader;                    /* current leader, or -1 */
    sim_time_t leaderless_since;       /* start of the current leaderless interval, or -1 */
    bool had_leader;                   /* a leader was ever established */
    sim_time_t equal_checked_ns;       /* last replicas_equal evaluation */
    bool guarded;                      /* the protocol is a plug-in: keep recent, report faults */
    sim_fault_t fault;                 /* fault.callback set: a plug-in callback crashed */
    recent_t recent[SIM_RECENT];
    uint32_t n_recent;                 /* records ever kept (ring position) */
    reply_msg_t *reply;                /* scratch for sim_reply: SIM_REPLY_VALUES_MAX values */
};

/* Stops the run because a bound was reached, with a message naming the bound (and the
 * time); the run ends cleanly after the current event and sim_error says why. */
void sim_stop_bound(sim_t *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Event pool and queue: inline, since every event passes through them. */
/* The pool's address space is reserved whole at creation (SIM_EVENTS_MAX slots, the
 * last kept aside), so it never moves: a slot is taken from the free list, or else the
 * next never-used one. Past the bound the run stops, and the caller is handed the last
 * slot, a scratch slot that is never queued, so no caller needs a special case. */
static inline uint32_t sim_ev_alloc(sim_t *s)
{
    uint32_t i = s->ev_free;
    if (i != EV_NONE) {
        s->ev_free = s->ev[i].next;
    } else if (s->ev_top < EV_SCRATCH) {
        i = s->ev_top++;
    } else {
        sim_stop_bound(s, "more than SIM_EVENTS_MAX (%u) events pending", SIM_EVENTS_MAX);
        i = EV_SCRATCH;
    }
    ev_t *e = &s->ev[i];
    uint32_t gen = e->gen + 1;
    memset(e, 0, sizeof *e);
    e->gen = gen;
    return i;
}

/* A message record for the delivery event e, which owns it from now on. There is at
 * most one per event slot, so the reserved room always suffices. */
static inline ev_msg_t *sim_msg_alloc(sim_t *s, ev_t *e)
{
    uint32_t k = s->msg_free;
    if (k != EV_NONE) s->msg_free = s->msg[k].next;
    else k = s->msg_top++;
    sim_assert(k < SIM_EVENTS_MAX);
    e->msg = k;
    return &s->msg[k];
}

/* The bytes of a message's payload (NULL when it has none). */
static inline const void *sim_msg_payload(const sim_t *s, const ev_msg_t *m)
{
    return m->payload == MSG_INLINE ? &m->small : pool_get((pool_t *)&s->payloads, m->payload);
}

static inline void sim_msg_release(sim_t *s, const ev_t *e)
{
    ev_msg_t *m = &s->msg[e->msg];
    if (m->payload != MSG_INLINE) pool_release(&s->payloads, m->payload);
    m->next = s->msg_free;
    s->msg_free = e->msg;
}

static inline void sim_ev_release(sim_t *s, uint32_t i)
{
    ev_t *e = &s->ev[i];
    if (e->kind == EV_DELIVER) sim_msg_release(s, e);
    e->kind = EV_FREE;
    e->next = s->ev_free;
    s->ev_free = i;
}

static inline void sim_ev_push(sim_t *s, uint32_t i, sim_time_t at)
{
    sim_assert(at >= s->now);
    if (i == EV_SCRATCH) {                    /* the scratch slot of a bound reached */
        if (s->ev[i].kind == EV_DELIVER) sim_msg_release(s, &s->ev[i]);
        s->ev[i].kind = EV_FREE;
        return;
    }
    if (evq_push(&s->q, at, i) != SIM_OK) {
        sim_stop_bound(s, "more than SIM_EVENTS_MAX (%u) events pending", SIM_EVENTS_MAX);
        sim_ev_release(s, i);
    }
}

/* Schedules a core event (action, nemesis, client) with data. */
void sim_ev_schedule(sim_t *s, ev_kind_t kind, uint8_t sub, uint32_t node, sim_time_t at, uint64_t id, int64_t data);


/* Keeps a record among the recent ones and passes it to the listener: sim_trace's
 * slow path, for runs that keep either. */
void sim_trace_keep(sim_t *s, const trace_rec_t *r);
/* Emits a trace record: hashed always, passed to the listener if any. Inline, so that
 * a record built on the stack is hashed from registers: three records per message. */
static inline void sim_trace(sim_t *s, const trace_rec_t *r)
{
    s->hash = trace_hash_step(s->hash, r);
    if (s->trace || s->invariants || s->guarded) sim_trace_keep(s, r);
}
/* Traces a message event (send, deliver, drop, duplicate) of the event e, whose record is m. */
static inline void sim_trace_msg(sim_t *s, trace_kind_t k, const ev_t *e, const ev_msg_t *m, uint8_t reason, sim_time_t arrive)
{
    trace_rec_t r = {0};
    r.kind = (uint8_t)k;
    r.reason = reason;
    r.type = e->type;
    r.a = m->from;
    r.b = e->node;
    r.id = e->id;
    r.t = s->now;
    r.t2 = arrive;
    r.x = m->size;
    sim_trace(s, &r);
}
/* Drops the event's message (traced and counted with why) and frees the event. */
void sim_drop_event(sim_t *s, uint32_t i, drop_reason_t why);
/* A timer that will still fire: not cancelled, set in the node's present incarnation. */
static inline bool timer_live(const sim_t *s, const ev_t *e)
{
    const node_t *n = &s->nodes[e->node];
    return e->kind == EV_TIMER && !(e->flags & EVF_CANCELLED) && e->epoch == n->epoch && n->up;
}

/* Records a history event at the current time: into memory while there is room (past
 * SIM_RUN_HISTORY_EVENTS_MAX it is only counted), and to the history stream if any. */
void sim_history_record(sim_t *s, uint32_t process, hist_type_t type, uint16_t f, int32_t key,
                        hist_vkind_t vkind, const int64_t *vals, uint32_t n);

/* Sends a message from any node (protocol or client). */
void sim_send_from(sim_t *s, uint32_t from, uint32_t to, unsigned type, const void *payload, uint32_t len, uint32_t size);

/* Node lifecycle, used by actions. */
void sim_node_crash(sim_t *s, uint32_t node);
void sim_node_restart(sim_t *s, uint32_t node);
void sim_node_pause(sim_t *s, uint32_t node);
void sim_node_join(sim_t *s, uint32_t node);
void sim_node_leave(sim_t *s, uint32_t node);
void sim_node_resume(sim_t *s, uint32_t node);
sim_time_t sim_node_clock(const sim_t *s, uint32_t node);
void sim_node_set_clock(sim_t *s, uint32_t node, unsigned mask, sim_time_t skew_ns, double drift);
const char *sim_name(const sim_t *s, uint32_t node);
/* Drops a message in flight by id; SIM_ENOTFOUND if it is not in flight. */
int sim_drop_message(sim_t *s, uint64_t id);

/* A random member server drawn from r (any server if none is a member). */
uint32_t sim_random_member(sim_t *s, rng_t *r);

/* Workload (workload.c). */
void wl_create(sim_t *s);
void wl_destroy(sim_t *s);
void wl_on_event(sim_t *s, const ev_t *e);
void wl_on_reply(sim_t *s, uint32_t client, const void *payload, uint32_t len);
void wl_finish(sim_t *s);
int wl_request(sim_t *s, const sim_action_t *a);       /* ACT_REQUEST */

/* Actions (action.c): a scheduled action comes due. */
void action_on_event(sim_t *s, const ev_t *e);

/* Nemeses (nemesis.c). */
void nemesis_create(sim_t *s);
void nemesis_destroy(sim_t *s);
void nemesis_on_event(sim_t *s, const ev_t *e);

#endif
