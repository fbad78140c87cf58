/* stream.h -- the streaming-versus-batch pipeline: what its five roles share.
 *
 * The protocol "stream" is one pipeline split over files by role, so that each file is
 * about one idea: stream_log.c is the replicated log (controller, brokers, producers),
 * stream_proc.c the stream processor (consumer group, windows, watermarks),
 * stream_batch.c the batch jobs (MapReduce over the log), stream_oracle.c the
 * measurements and invariants, and stream.c the essay, parameters and dispatch. This
 * header holds what crosses those lines: the parameters, the log record, the message
 * payloads, each role's state, and the small pure functions the tests call directly.
 *
 * Every node gets the same number of bytes of state and of durable storage (the core
 * allocates them), so each is a fixed header with a union of the roles' headers,
 * followed by a scratch area for building messages and a tail of role-specific arrays
 * whose sizes come from the parameters. configure computes the sizes once; the
 * accessors below find the arrays. Nothing here allocates.
 */
#ifndef SIM_PROTO_STREAM_H
#define SIM_PROTO_STREAM_H

#include "proto/proto.h"

/* ---- Bounds. Each is checked in configure or where it could be exceeded. ------------ */

#define ST_BROKERS_MAX     16          /* brokers: an in-sync replica set is a bit mask */
#define ST_PARTITIONS_MAX  32          /* partitions of the topic: assignments are bit masks */
#define ST_PRODUCERS_MAX   16          /* producers: end-of-stream markers are a bit mask */
#define ST_PROCESSORS_MAX  32          /* members of the consumer group */
#define ST_BATCH_MAX       8           /* batch nodes: the master and the reducers */
#define ST_KEYS_MAX        1024        /* event keys */
#define ST_CELLS_MAX       (1u << 15)  /* keys * max_windows: one dense table; a reducer's results fit one message */
#define ST_SPAN_MAX        64          /* windows one event falls in (size / slide) */
#define ST_VALUE_MAX       10          /* event values are 1 .. ST_VALUE_MAX; windows sum them */
#define ST_EVENTS_MAX      (1 << 22)   /* max_events: events of the whole run */

/* ---- Parameters. ------------------------------------------------------------------ */

enum { ST_ACKS_0, ST_ACKS_1, ST_ACKS_ALL };
enum { ST_PART_KEYHASH, ST_PART_ROUNDROBIN };
enum { ST_PATTERN_STEADY, ST_PATTERN_POISSON, ST_PATTERN_BURSTY };
enum { ST_WIN_TUMBLING, ST_WIN_SLIDING };
enum { ST_LATE_DROP, ST_LATE_UPDATE };
enum { ST_COMMIT_BEFORE, ST_COMMIT_AFTER };
enum { ST_ASSIGN_RANGE, ST_ASSIGN_ROUNDROBIN };

typedef struct st_config {
    /* Roles, in node-id order after the controller (node 0). */
    int64_t brokers, producers, processors, batch;
    /* The log. */
    int64_t partitions, replication, min_isr;
    int acks;                           /* ST_ACKS_* */
    int partitioner;                    /* ST_PART_* */
    bool idempotent, unclean;
    int64_t retries;
    sim_time_t retry_backoff_ns, request_timeout_ns;
    int64_t batch_max, fetch_max;
    sim_time_t replica_fetch_ns, replica_lag_max_ns, heartbeat_ns, session_timeout_ns;
    /* Sources. */
    double rate_per_s;                  /* events per second, per producer */
    int pattern;                        /* ST_PATTERN_* */
    sim_time_t burst_every_ns, burst_len_ns;
    double burst_factor;
    sim_time_t lateness_ns;             /* mean of the usual (exponential) lateness */
    double straggle;                    /* fraction of events that are stragglers */
    sim_time_t straggle_max_ns;         /* a straggler's lateness is uniform up to this */
    sim_time_t produce_for_ns;
    int64_t keys;
    /* Stream processing. */
    int window;                         /* ST_WIN_* */
    sim_time_t size_ns, slide_ns, out_of_order_ns;
    int late;                           /* ST_LATE_* */
    sim_time_t allowed_lateness_ns;
    int commit;                         /* ST_COMMIT_* */
    sim_time_t commit_every_ns, poll_ns;
    int assignor;                       /* ST_ASSIGN_* */
    /* Batch processing. */
    sim_time_t batch_every_ns, job_timeout_ns, totals_at_ns;
    /* Measurement. */
    sim_time_t lag_every_ns;
    /* Bounds a scenario may raise. */
    int64_t max_events, log_max, max_windows, panes_max, pending_max, acks_pending_max;
    int64_t buffer_max, lag_samples_max, jobs_max;

    /* Derived by configure. */
    uint32_t n_nodes;
    uint32_t first_broker, first_producer, first_processor, first_batch;
    uint32_t per_producer;              /* event ids producer q may use: q*per_producer .. */
    uint32_t n_events;                  /* producers * per_producer */
    uint32_t cells;                     /* keys * max_windows */
    uint32_t span;                      /* windows one event can fall in */
    sim_time_t lateness_allowed_ns;     /* allowed_lateness, or 0 when late events are dropped */
    size_t scratch_bytes;
    size_t state_bytes, durable_bytes;
    size_t plog_bytes;                  /* one partition's durable log at a broker */
} st_config_t;

/* ---- Roles. -------------------------------------------------------------------- */

typedef enum { ST_CONTROLLER, ST_BROKER, ST_PRODUCER, ST_PROCESSOR, ST_BATCH } st_kind_t;

/* The pipeline's own roles (proto_stream.roles): a stream processor and a batch
 * reducer lead nothing and follow no one; they are what they do. */
#define ST_ROLE_PROCESSOR ((sim_role_t)(SIM_ROLE_COUNT_ + 0))
#define ST_ROLE_REDUCER   ((sim_role_t)(SIM_ROLE_COUNT_ + 1))

/* Node 0 is the controller; then brokers, producers, processors and batch nodes, each
 * a block of consecutive ids. index is the node's position in its block. */
st_kind_t st_kind_of(const st_config_t *cfg, uint32_t node, uint32_t *index);
static inline uint32_t st_broker_node(const st_config_t *cfg, uint32_t b) { return cfg->first_broker + b; }

/* ---- The log record. ------------------------------------------------------------- */

enum { ST_REC_END = 1 };                /* an end-of-stream marker from producer `id` */

typedef struct st_rec {
    int64_t created_ns;                 /* true time the producer created it: latency starts here */
    int64_t event_ns;                   /* event time: the producer's clock minus a lateness */
    uint32_t id;                        /* event id: producer * per_producer + sequence */
    uint16_t key;
    uint8_t value;                      /* 1 .. ST_VALUE_MAX */
    uint8_t flags;                      /* ST_REC_* */
    int32_t epoch;                      /* leader epoch of the broker that appended it */
    uint32_t _pad;
} st_rec_t;

/* ---- Windows, partitions, assignment, watermarks: the pure parts. ---------------- */

/* The windows containing event time t: starts k*slide for k in [*k_lo, *k_hi], each
 * size long. *k_lo is the window that ends first. */
void st_windows_of(const st_config_t *cfg, sim_time_t t, int64_t *k_lo, int64_t *k_hi);
static inline sim_time_t st_window_end(const st_config_t *cfg, int64_t k) { return k * cfg->slide_ns + cfg->size_ns; }

/* The partition a producer writes an event with this key to; *rr is the producer's
 * round-robin counter (advanced only by round robin). */
uint32_t st_partition_for(const st_config_t *cfg, uint32_t key, uint32_t *rr);

/* Assigns n_partitions to the members in the bit mask (by index order): owner[p] is a
 * member index, or -1 when there are no members. */
void st_assign(int assignor, uint32_t members, uint32_t n_partitions, int8_t *owner);

/* The watermark after seeing events up to max_event_ns: it trails by the bound and
 * never goes back; once every producer has ended its stream it is "infinity". */
sim_time_t st_watermark(sim_time_t wm, sim_time_t max_event_ns, sim_time_t bound_ns, bool closed);

typedef enum { ST_ON_TIME, ST_LATE_FIRED, ST_EXPIRED } st_lateness_t;
/* Where window k stands against watermark wm: still open, already fired but kept for
 * late updates, or expired (an event for it is dropped). */
st_lateness_t st_lateness_of(const st_config_t *cfg, sim_time_t wm, int64_t k);

/* Where a follower's log stops agreeing with the leader's: given the follower's log
 * end `offset` and the epoch of its last record, the offset to truncate to, or -1 when
 * the logs agree (the leader-epoch check of Kafka's KIP-101, like Raft's log matching). */
int64_t st_log_diverge(const st_rec_t *log, int64_t leo, int64_t offset, int32_t last_epoch);

/* ---- Results: a dense table of cells, one per (key, window). ------------------------ */

typedef struct st_cell {
    int64_t count, sum;
    sim_time_t first_ns;                /* when a result for this cell first became available (0: never) */
} st_cell_t;

static inline uint32_t st_cell_of(const st_config_t *cfg, uint32_t key, int64_t k)
{
    return key * (uint32_t)cfg->max_windows + (uint32_t)k;
}

/* A (cell, count, sum) pair, as map tasks and reducers exchange them. */
typedef struct st_pair {
    uint32_t cell;
    uint32_t _pad;
    int64_t count, sum;
} st_pair_t;

/* ---- Messages. ------------------------------------------------------------------ */

enum st_msg {
    M_HEARTBEAT, M_LEADER_AND_ISR, M_ALTER_ISR, M_METADATA_REQ, M_METADATA,
    M_PRODUCE, M_PRODUCE_ACK, M_RFETCH, M_RDATA,
    M_JOIN, M_GROUP_HB, M_LEAVE, M_ASSIGN,
    M_OFFSET_FETCH, M_OFFSET, M_OFFSET_COMMIT, M_FETCH, M_FETCH_DATA,
    M_MAP, M_MAP_OUT, M_MAP_DONE, M_REDUCE_DONE,
    M_COUNT_
};
extern const char *const st_msg_names[];

enum { ST_OK, ST_NOT_LEADER, ST_NOT_ENOUGH_REPLICAS, ST_OUT_OF_RANGE, ST_TRUNCATE };

/* epochs: the sum of the leader epochs the broker holds for its partitions, so the
 * controller sees a leader-and-isr it sent and the broker never got (a controller's
 * requests are not answered, so this is how a lost one is noticed and sent again). */
typedef struct m_heartbeat { uint32_t broker, incarnation; uint8_t need_state; int64_t epochs; } m_heartbeat_t;
/* Leader and ISR of one partition, from the controller. leader is a broker index or -1. */
typedef struct m_lai { uint32_t p; int32_t leader, epoch; uint32_t isr, isr_ver; } m_lai_t;
typedef struct m_alter { uint32_t p; int32_t epoch; uint32_t isr_ver, isr; } m_alter_t;
typedef struct m_metadata { int32_t leader[ST_PARTITIONS_MAX], epoch[ST_PARTITIONS_MAX]; } m_metadata_t;
typedef struct m_produce { uint32_t producer, p, req, n; st_rec_t recs[]; } m_produce_t;
typedef struct m_produce_ack { uint32_t p, req, status, _pad; int64_t last_offset; } m_produce_ack_t;
typedef struct m_rfetch { uint32_t p, req; int32_t epoch, last_epoch; int64_t offset; } m_rfetch_t;
typedef struct m_rdata {
    uint32_t p, req, status, n;
    int32_t epoch, _pad;
    int64_t from, hw, committed, consumed, truncate_to;
    st_rec_t recs[];
} m_rdata_t;
typedef struct m_group { uint32_t member, incarnation; int64_t generation; } m_group_t;
typedef struct m_assign { int64_t generation; uint32_t partitions, _pad; } m_assign_t;
/* offset-fetch asks for p's committed offset; offset answers; offset-commit stores it. */
typedef struct m_offset { uint32_t p, status; int64_t offset; } m_offset_t;
typedef struct m_fetch { uint32_t p, req; int64_t offset; } m_fetch_t;
typedef struct m_fetch_data { uint32_t p, req, status, n; int64_t from, hw; st_rec_t recs[]; } m_fetch_data_t;
enum { ST_JOB_WINDOWS, ST_JOB_TOTALS };
typedef struct m_map { uint32_t job, p, kind, _pad; int64_t from; } m_map_t;
typedef struct m_pairs { uint32_t job, p, reducer, n; st_pair_t pairs[]; } m_pairs_t;
typedef struct m_map_done { uint32_t job, p, status, _pad; int64_t to, records; } m_map_done_t;

/* ---- Timers. -------------------------------------------------------------------- */

enum st_timer {
    T_CTL_TICK,
    T_BK_HEARTBEAT, T_BK_RFETCH, T_BK_ISR, T_BK_LAG,
    T_PR_TICK, T_PR_TIMEOUT, T_PR_RETRY,
    T_PC_HB, T_PC_POLL, T_PC_COMMIT, T_PC_LAG,
    T_BT_JOB, T_BT_TIMEOUT, T_BT_TOTALS, T_BT_RETRY,
};

/* ---- Volatile state of each role. ---------------------------------------------- */

typedef struct st_ctl {
    sim_time_t hb_ns[ST_BROKERS_MAX];   /* last heartbeat from each broker */
    uint32_t alive;                     /* brokers believed up (bit per index) */
    uint32_t incarnation[ST_BROKERS_MAX];
    uint32_t members;                   /* the consumer group (bit per processor index) */
    sim_time_t member_hb_ns[ST_PROCESSORS_MAX];
    uint32_t member_inc[ST_PROCESSORS_MAX];
    int8_t owner[ST_PARTITIONS_MAX];    /* member index owning each partition, or -1 */
} st_ctl_t;

enum { BP_NONE, BP_LEADER, BP_FOLLOWER };

typedef struct st_follower {
    int64_t leo;                        /* its log end, as its last fetch said */
    int64_t leo_at_fetch;               /* our log end when it last fetched */
    sim_time_t caught_up_ns;            /* last time it had everything we had at its previous fetch */
} st_follower_t;

typedef struct st_bpart {               /* one partition as one broker sees it */
    uint8_t role;                       /* BP_* */
    bool fetching, alter_inflight;
    int32_t leader, epoch;
    uint32_t isr, isr_ver;              /* as the controller confirmed */
    uint32_t isr_proposed;              /* additions proposed since the controller last answered */
    uint32_t alter_base;                /* the isr_ver the last proposal was based on */
    uint32_t fetch_req, n_pending;
    sim_time_t fetch_sent_ns, alter_sent_ns;
    st_follower_t f[ST_BROKERS_MAX];
} st_bpart_t;

typedef struct st_pending {             /* an acks=all produce request waiting for the high watermark */
    uint32_t producer_node, req;
    int64_t end, last_offset;
} st_pending_t;

typedef struct st_broker {
    bool have_state;                    /* heard from the controller since this boot */
    uint32_t incarnation;
    st_bpart_t part[ST_PARTITIONS_MAX];
} st_broker_t;

typedef struct st_inflight { bool on; uint32_t req, n, attempts; sim_time_t sent_ns; } st_inflight_t;

/* A request id unique across its sender's restarts: the incarnation (from 1) in the
 * high bits, a counter below. A sender that restarted and numbered its requests from 1
 * again would take the answer to a request of its previous life for the answer to the
 * new one of the same number. Incarnations cycle through 1 .. 4095: a request 4095
 * restarts old is long settled. Never 0. */
#define ST_REQ_COUNTER_BITS 20
static inline uint32_t st_req_id(uint32_t incarnation, uint32_t *counter)
{
    const uint32_t cycle = (1u << (32 - ST_REQ_COUNTER_BITS)) - 1;
    sim_assert(incarnation > 0);
    *counter = (*counter + 1) & ((1u << ST_REQ_COUNTER_BITS) - 1);
    return ((incarnation - 1) % cycle + 1) << ST_REQ_COUNTER_BITS | *counter;
}

typedef struct st_prod {
    uint32_t req_seq, rr;
    uint32_t retry_armed;               /* partitions waiting for a leader (bit mask) */
    uint32_t q_head[ST_PARTITIONS_MAX], q_len[ST_PARTITIONS_MAX];   /* a ring of sequences per partition */
    st_inflight_t fl[ST_PARTITIONS_MAX];
    bool stopped;
} st_prod_t;

enum { TASK_IDLE, TASK_OFFSET, TASK_RUN };

typedef struct st_task {                /* one assigned partition at a processor */
    uint8_t state;                      /* TASK_* */
    bool inflight, closed;
    uint32_t req, ends;                 /* ends: producers whose end marker was read */
    sim_time_t sent_ns;
    int64_t position, hw, committed_sent;
    sim_time_t max_event_ns, wm_ns;
} st_task_t;

#define ST_LATE_RECENT 32              /* late events a processor remembers, for the window */
typedef struct st_late {                /* one late event: where it fell and what became of it */
    sim_time_t event_ns, at_ns;         /* its event time; when the processor read it */
    uint32_t p;
    uint8_t dropped;                    /* 1: its windows had expired; 0: counted as a late update */
    uint8_t _pad[3];
} st_late_t;

typedef struct st_proc {
    int64_t generation;
    uint32_t assigned;                  /* partitions (bit mask) */
    uint32_t req_seq;
    bool joined;
    int32_t free_head;                  /* free list of contributions */
    uint32_t n_panes;
    st_task_t task[ST_PARTITIONS_MAX];
    uint32_t n_late;                    /* late events seen since boot; the latest are in late[] */
    st_late_t late[ST_LATE_RECENT];     /* a ring, late[n_late % ST_LATE_RECENT] next */
} st_proc_t;

typedef struct st_pane {                /* one (partition, key, window) aggregate at a processor */
    int64_t first_offset;               /* lowest offset whose contribution is not yet emitted, or -1 */
    int64_t count, sum;                 /* since the last firing (Dataflow's discarding mode) */
    int64_t k;
    int32_t contrib;                    /* list of events waiting for their first result */
    uint16_t key;
    uint8_t p, flags;                   /* PANE_* */
} st_pane_t;
enum { PANE_FIRED = 1, PANE_DIRTY = 2 };

typedef struct st_contrib { sim_time_t created_ns; uint32_t id; int32_t next; } st_contrib_t;

typedef struct st_batch {
    /* master */
    bool running, totals_due;
    uint32_t kind, job;
    sim_time_t start_ns;
    uint32_t maps_done, reducers_done;
    int64_t to[ST_PARTITIONS_MAX];
    int64_t records;
    /* reducer */
    uint32_t r_job, r_got;
} st_batch_t;

typedef struct st_state {
    uint8_t kind;                       /* st_kind_t */
    uint32_t index;
    sim_time_t meta_asked_ns;           /* clients: last metadata request */
    int32_t leader[ST_PARTITIONS_MAX];  /* clients: broker index leading each partition, or -1 */
    int32_t epoch[ST_PARTITIONS_MAX];
    union {
        st_ctl_t ctl;
        st_broker_t bk;
        st_prod_t pr;
        st_proc_t pc;
        st_batch_t bt;
    } u;
} st_state_t;

/* ---- Durable storage of each role. --------------------------------------------- */

typedef struct st_ptab { int32_t leader, epoch; uint32_t isr, isr_ver; } st_ptab_t;

typedef struct st_ctl_durable {
    bool ready;
    int64_t generation;
    uint64_t elections, unclean_elections;
    sim_time_t offline_since_ns[ST_PARTITIONS_MAX];    /* -1 while the partition has a leader */
    sim_time_t offline_ns;                              /* total time partitions had none */
    st_ptab_t part[ST_PARTITIONS_MAX];
} st_ctl_durable_t;

/* One partition's replica at a broker; its log_max records follow. */
typedef struct st_plog {
    int64_t leo, hw;
    int64_t committed;                  /* the consumer group's committed offset (0: from the start) */
    int64_t consumed;                   /* how far the group has read: the offset of its last fetch */
    int32_t epoch;                      /* the latest leader epoch this replica has heard of */
    uint32_t seq_end[ST_PRODUCERS_MAX]; /* one past the highest sequence appended, per producer */
    uint32_t _pad;
} st_plog_t;

typedef struct st_lag_sample { sim_time_t t_ns; uint32_t p, _pad; int64_t lag; } st_lag_sample_t;

typedef struct st_broker_durable {
    uint32_t incarnation;
    uint32_t n_samples;                 /* consumer lag samples taken while leading */
    uint64_t maps;                      /* map tasks run here */
} st_broker_durable_t;

enum { EV_QUEUED, EV_SENT, EV_ACKED, EV_FAILED };

typedef struct st_ledger {              /* what a producer knows of one event it created */
    int64_t created_ns, event_ns, acked_ns;
    uint16_t key;
    uint8_t value, part, status, flags;
    uint16_t _pad;
} st_ledger_t;

typedef struct st_last_ack { int64_t offset; uint32_t id; bool set; } st_last_ack_t;

typedef struct st_prod_durable {
    uint32_t incarnation, next_seq;
    bool ended;
    uint64_t sent, acked, failed, buffer_full, retries;
    st_last_ack_t last_ack[ST_PARTITIONS_MAX];
} st_prod_durable_t;

enum { EVST_EMITS = 0x7f, EVST_DROPPED = 0x80 };

typedef struct st_proc_durable {
    uint32_t incarnation;
    uint64_t applied, late_dropped, late_updates, firings, stale_fetches;
} st_proc_durable_t;

typedef struct st_job { sim_time_t start_ns, end_ns; int64_t records; } st_job_t;

typedef struct st_batch_durable {
    uint32_t incarnation, job_seq, n_jobs;
    uint64_t jobs_failed, jobs_skipped;
    int64_t last_end[ST_PARTITIONS_MAX];
    bool totals_done;
    sim_time_t totals_start_ns, totals_end_ns;
    int64_t totals_records;
} st_batch_durable_t;

typedef struct st_durable {
    uint8_t kind;
    union {
        st_ctl_durable_t ctl;
        st_broker_durable_t bk;
        st_prod_durable_t pr;
        st_proc_durable_t pc;
        st_batch_durable_t bt;
    } u;
} st_durable_t;

/* ---- Finding the arrays. -------------------------------------------------------- */

size_t st_align(size_t n);
static inline uint8_t *st_scratch_of(void *state) { return (uint8_t *)state + st_align(sizeof(st_state_t)); }
static inline uint8_t *st_tail_of(const st_config_t *cfg, void *state)
{
    return st_scratch_of(state) + st_align(cfg->scratch_bytes);
}
static inline uint8_t *st_dtail_of(void *durable) { return (uint8_t *)durable + st_align(sizeof(st_durable_t)); }

/* Broker: partition p's replica and its records. */
static inline st_plog_t *st_plog(const st_config_t *cfg, void *durable, uint32_t p)
{
    return (st_plog_t *)(st_dtail_of(durable) + (size_t)p * cfg->plog_bytes);
}
static inline st_rec_t *st_recs(st_plog_t *l) { return (st_rec_t *)((uint8_t *)l + st_align(sizeof *l)); }
/* Broker: consumer lag samples, after the partitions. */
static inline st_lag_sample_t *st_bk_samples(const st_config_t *cfg, void *durable)
{
    return (st_lag_sample_t *)(st_dtail_of(durable) + (size_t)cfg->partitions * cfg->plog_bytes);
}
/* Broker, volatile: acks=all requests waiting per partition; the map task's table. */
static inline st_pending_t *st_bk_pending(const st_config_t *cfg, void *state, uint32_t p)
{
    return (st_pending_t *)st_tail_of(cfg, state) + (size_t)p * (size_t)cfg->acks_pending_max;
}
static inline st_cell_t *st_bk_cells(const st_config_t *cfg, void *state)
{
    return (st_cell_t *)(st_tail_of(cfg, state) + (size_t)cfg->partitions * (size_t)cfg->acks_pending_max * sizeof(st_pending_t));
}
/* Producer: its ledger, indexed by sequence. */
static inline st_ledger_t *st_ledger(void *durable) { return (st_ledger_t *)st_dtail_of(durable); }
/* Processor: per event, when it first produced a result that counted the event, and
 * how often (EVST_*); the results it emitted. */
static inline sim_time_t *st_pc_res(void *durable) { return (sim_time_t *)st_dtail_of(durable); }
static inline uint8_t *st_pc_evst(const st_config_t *cfg, void *durable)
{
    return st_dtail_of(durable) + (size_t)cfg->n_events * sizeof(sim_time_t);
}
static inline st_cell_t *st_pc_cells(const st_config_t *cfg, void *durable)
{
    return (st_cell_t *)(st_pc_evst(cfg, durable) + st_align(cfg->n_events));
}
/* Batch master: finished jobs, where each stopped reading each partition, results. */
static inline st_job_t *st_bt_jobs(void *durable) { return (st_job_t *)st_dtail_of(durable); }
static inline int64_t *st_bt_job_to(const st_config_t *cfg, void *durable)
{
    return (int64_t *)(st_bt_jobs(durable) + cfg->jobs_max);
}
static inline st_cell_t *st_bt_cells(const st_config_t *cfg, void *durable)
{
    return (st_cell_t *)(st_bt_job_to(cfg, durable) + (size_t)cfg->jobs_max * (size_t)cfg->partitions);
}
static inline st_cell_t *st_bt_totals(const st_config_t *cfg, void *durable) { return st_bt_cells(cfg, durable) + cfg->cells; }

/* ---- A read-only view for the window (stream.c). ---------------------------------- */

#define ST_VIEW_LATE (ST_LATE_RECENT * 4)   /* late events a view gathers from all processors */
typedef struct stream_view {
    int window;                         /* ST_WIN_* */
    int late_mode;                      /* ST_LATE_* */
    sim_time_t size_ns, slide_ns, out_of_order_ns, allowed_lateness_ns;
    uint32_t n_partitions;
    struct {
        int64_t processor;              /* the node reading it, or -1 */
        sim_time_t wm_ns;               /* its watermark there (INT64_MIN: none yet) */
        sim_time_t max_event_ns;        /* the largest event time read (INT64_MIN: none) */
    } part[ST_PARTITIONS_MAX];
    uint32_t n_late;                    /* late events in late[], in no useful order */
    st_late_t late[ST_VIEW_LATE];
} stream_view_t;
/* Fills *out from the processors that are up; false for another protocol. */
bool stream_view(sim_t *s, stream_view_t *out);

/* ---- Role entry points (stream_log.c, stream_proc.c, stream_batch.c). ------------- */

void st_ctl_init(sim_ctx *c);
void st_ctl_message(sim_ctx *c, const sim_msg_t *m);
void st_ctl_timer(sim_ctx *c, int kind, uint64_t data);
void st_broker_init(sim_ctx *c);
void st_broker_message(sim_ctx *c, const sim_msg_t *m);
void st_broker_timer(sim_ctx *c, int kind, uint64_t data);
void st_producer_init(sim_ctx *c);
void st_producer_message(sim_ctx *c, const sim_msg_t *m);
void st_producer_timer(sim_ctx *c, int kind, uint64_t data);
void st_proc_init(sim_ctx *c);
void st_proc_message(sim_ctx *c, const sim_msg_t *m);
void st_proc_timer(sim_ctx *c, int kind, uint64_t data);
void st_proc_membership(sim_ctx *c, bool joined);
void st_batch_init(sim_ctx *c);
void st_batch_message(sim_ctx *c, const sim_msg_t *m);
void st_batch_timer(sim_ctx *c, int kind, uint64_t data);
/* A map task, run by the broker leading the partition (stream_batch.c). */
void st_broker_map(sim_ctx *c, const sim_msg_t *m);

/* Clients (producers, processors, batch): the leader cache. */
void st_meta_request(sim_ctx *c, bool force);
void st_meta_apply(sim_ctx *c, const sim_msg_t *m);
static inline int64_t st_leader_node(const st_config_t *cfg, const st_state_t *st, uint32_t p)
{
    return st->leader[p] < 0 ? -1 : (int64_t)st_broker_node(cfg, (uint32_t)st->leader[p]);
}

/* Checks a payload's length: at least `fixed` bytes, plus `each` bytes times the count
 * stored at byte offset `count_at` when each > 0. */
bool st_payload_ok(const sim_msg_t *m, size_t fixed, size_t each, size_t count_at);

/* The oracle's pure parts (stream_oracle.c): adding one event to a truth table;
 * comparing a results table with the truth, cell by cell; a quantile of sorted data
 * (linear interpolation between order statistics). */
typedef struct st_score { uint64_t exact, wrong, missing, total; } st_score_t;
void st_truth_add(const st_config_t *cfg, st_cell_t *truth, uint32_t key, sim_time_t event_ns, int64_t value);
void st_compare(const st_cell_t *truth, const st_cell_t *got, uint32_t n, st_score_t *sc);
int64_t st_quantile(const int64_t *sorted, uint64_t n, double q);

/* Invariants and the summary (stream_oracle.c); the oracle's working space, which
 * lives in the controller's durable storage, where no message ever writes. */
size_t st_oracle_bytes(const st_config_t *cfg);
bool st_check(sim_t *s, sim_violation_t *v);
void st_summary(sim_t *s, jw_t *w);
void st_summary_top(sim_t *s, jw_t *w);

#endif
