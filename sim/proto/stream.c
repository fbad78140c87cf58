/* stream.c -- streaming versus batch processing of the same events, side by side.
 *
 * The question "how does streaming differ from batch?" is answered here by doing both
 * to one input and measuring. Producers create events (a key, a value, an event time);
 * a replicated, partitioned log in the manner of Apache Kafka keeps them; a stream
 * processor reads them continuously and counts them in event-time windows as the
 * Dataflow model describes (Akidau et al., "The Dataflow Model", VLDB 2015); a batch
 * master runs the same computation every `batch_every` as a MapReduce job over the
 * log (Dean and Ghemawat, "MapReduce", OSDI 2004). An oracle that knows every event
 * then says which windows each side got exactly right, and how long each made you
 * wait for them.
 *
 *   producers ──produce──> partition leader ──replica-data──> followers
 *       ^                    │      ^                           │
 *       └───produce-ack──────┘      └────────replica-fetch──────┘
 *        acks=0: never; acks=1: once the leader has it;
 *        acks=all: once every in-sync replica has it
 *
 *   controller <──heartbeat── brokers        controller ──leader-and-isr──> brokers
 *              <──join-group/group-hb── processors ──> assign (partitions per member)
 *
 *   processor ──fetch──> leader ──fetch-data──> panes (partition, key, window)
 *        │                                    └─ watermark passes a window's end ─> result
 *        └──offset-commit──> leader  (committed offsets live with the partition)
 *
 *   batch master ──map──> each partition's leader: read [last_end, hw), combine
 *                         leader ──map-out──> reducers (by hash of key and window)
 *                         reducers ──reduce-done──> master ──> results, last_end = hw
 *
 * Nodes and roles. Node 0 is the controller (it also coordinates the consumer group);
 * then come `brokers` brokers, `producers` producers, `processors` stream processors
 * and `batch` batch nodes, each a block of consecutive ids; the first batch node is
 * the MapReduce master and every batch node is a reducer. A scenario with 1 + 3 + 2 +
 * 2 + 1 = 9 nodes is controller n1, brokers n2-n4, producers n5-n6, processors n7-n8
 * and the batch master n9 (names are the scenario's: naming them by role helps).
 * Counts left at 0 are shared out from the nodes there are (see layout below): 9 nodes
 * give exactly that layout, 5 give one of each. Brokers report SIM_ROLE_LEADER while they
 * lead a partition (term: the highest leader epoch they lead at) and SIM_ROLE_FOLLOWER
 * otherwise, so crash-leader aims at a partition leader; the controller and the batch
 * master report SIM_ROLE_MASTER, processors and reducers roles of their own,
 * "processor" and "reducer" (ST_ROLE_*, passive: they lead nothing).
 *
 * What each side gets right and wrong is the lesson. The stream processor answers a
 * window soon after the watermark passes its end, but the watermark is a guess: an
 * event later than `out_of_order` finds its window closed and is dropped (or, with
 * late "update", changes a result already given). The batch job sees everything that
 * reached the log before it ran, so its windows are exact, but a result waits for the
 * next run: on average half the batch interval. The log under both decides what
 * "everything" is: with acks=1 a leader's crash can lose acknowledged events; with
 * acks=all and min_isr >= 2 it cannot. A consumer's crash makes the group rebalance,
 * and whether offsets are committed before or after processing decides whether its
 * events are processed twice (at least once) or never (at most once).
 *
 * Results are written in Dataflow's discarding mode: each firing of a pane emits what
 * arrived since the previous firing, and the results table adds them up. So a pane
 * that fires twice for the same events (a duplicate) shows up as a wrong count, not
 * as a silent overwrite, and partial aggregates from several partitions or several
 * batch runs add up to the whole.
 *
 * The parameters are many; `dsim list protocols` prints them all, and scenarios/README.md
 * groups them by role.
 */
#include <stdio.h>
#include <inttypes.h>
#include <string.h>
#include "proto/stream.h"

const char *const st_msg_names[] = {
    "heartbeat", "leader-and-isr", "alter-isr", "metadata-req", "metadata",
    "produce", "produce-ack", "replica-fetch", "replica-data",
    "join-group", "group-hb", "leave-group", "assign",
    "offset-fetch", "offset", "offset-commit", "fetch", "fetch-data",
    "map", "map-out", "map-done", "reduce-done",
    NULL,
};

/* ---- The pure parts. ------------------------------------------------------------ */

size_t st_align(size_t n) { return (n + 7) & ~(size_t)7; }

st_kind_t st_kind_of(const st_config_t *cfg, uint32_t node, uint32_t *index)
{
    uint32_t i = 0;
    st_kind_t k = ST_CONTROLLER;
    if (node >= cfg->first_batch) { k = ST_BATCH; i = node - cfg->first_batch; }
    else if (node >= cfg->first_processor) { k = ST_PROCESSOR; i = node - cfg->first_processor; }
    else if (node >= cfg->first_producer) { k = ST_PRODUCER; i = node - cfg->first_producer; }
    else if (node >= cfg->first_broker) { k = ST_BROKER; i = node - cfg->first_broker; }
    if (index) *index = i;
    return k;
}

void st_windows_of(const st_config_t *cfg, sim_time_t t, int64_t *k_lo, int64_t *k_hi)
{
    sim_assert(t >= 0 && cfg->slide_ns > 0);
    *k_hi = t / cfg->slide_ns;
    *k_lo = t >= cfg->size_ns ? (t - cfg->size_ns) / cfg->slide_ns + 1 : 0;
    sim_assert(*k_lo <= *k_hi);
}

uint32_t st_partition_for(const st_config_t *cfg, uint32_t key, uint32_t *rr)
{
    if (cfg->partitioner == ST_PART_ROUNDROBIN) return (*rr)++ % (uint32_t)cfg->partitions;
    /* Knuth's multiplicative hash (TAOCP vol. 3, section 6.4): consecutive keys spread
     * evenly, as they do on average under Kafka's murmur2, so a few keys do not all
     * land on one partition by bad luck. */
    return (key * 2654435761u) % (uint32_t)cfg->partitions;
}

void st_assign(int assignor, uint32_t members, uint32_t n_partitions, int8_t *owner)
{
    sim_assert(n_partitions <= ST_PARTITIONS_MAX);
    int8_t ids[ST_PROCESSORS_MAX];
    uint32_t m = 0;
    for (uint32_t i = 0; i < ST_PROCESSORS_MAX; i++)
        if (members >> i & 1) ids[m++] = (int8_t)i;
    for (uint32_t p = 0; p < n_partitions; p++) {
        if (!m) { owner[p] = -1; continue; }
        /* Range gives each member a contiguous block, the first ones one more when the
         * division is uneven (Kafka's RangeAssignor); round robin deals them out. */
        owner[p] = assignor == ST_ASSIGN_ROUNDROBIN ? ids[p % m] : ids[(uint64_t)p * m / n_partitions];
    }
}

sim_time_t st_watermark(sim_time_t wm, sim_time_t max_event_ns, sim_time_t bound_ns, bool closed)
{
    if (closed) return SIM_TIME_MAX;
    if (max_event_ns == INT64_MIN) return wm;
    sim_time_t w = max_event_ns - bound_ns;
    return w > wm ? w : wm;
}

st_lateness_t st_lateness_of(const st_config_t *cfg, sim_time_t wm, int64_t k)
{
    sim_time_t end = st_window_end(cfg, k);
    if (end > wm) return ST_ON_TIME;
    if (wm != SIM_TIME_MAX && end + cfg->lateness_allowed_ns > wm) return ST_LATE_FIRED;
    return ST_EXPIRED;
}

int64_t st_log_diverge(const st_rec_t *log, int64_t leo, int64_t offset, int32_t last_epoch)
{
    if (offset == 0) return -1;
    if (offset <= leo && log[offset - 1].epoch == last_epoch) return -1;
    /* The end of last_epoch in our log: the first record written in a later epoch.
     * Everything the follower has beyond it was never ours, so it goes. */
    int64_t end = offset < leo ? offset : leo;
    while (end > 0 && log[end - 1].epoch > last_epoch) end--;
    return end;
}

bool st_payload_ok(const sim_msg_t *m, size_t fixed, size_t each, size_t count_at)
{
    if (m->len < fixed) return false;
    if (!each) return true;
    uint32_t n;
    memcpy(&n, (const uint8_t *)m->payload + count_at, sizeof n);
    return m->len >= fixed + (size_t)n * each;
}

/* ---- Parameters. ---------------------------------------------------------------- */

#define CFG(f) offsetof(st_config_t, f)
#define DUR_MAX 1e15

static const proto_param_t st_params[] = {
    {"brokers", PROTO_PARAM_INT, "0", 0, ST_BROKERS_MAX, NULL, CFG(brokers), "broker nodes, after the controller (0: up to 3, from the nodes there are)"},
    {"producers", PROTO_PARAM_INT, "0", 0, ST_PRODUCERS_MAX, NULL, CFG(producers), "producer nodes, after the brokers (0: up to 2)"},
    {"processors", PROTO_PARAM_INT, "0", 0, ST_PROCESSORS_MAX, NULL, CFG(processors), "stream processors (one consumer group), after the producers (0: the nodes left over)"},
    {"batch", PROTO_PARAM_INT, "0", 0, ST_BATCH_MAX, NULL, CFG(batch), "batch nodes, last: the first is the MapReduce master, all are reducers (0: one)"},
    {"partitions", PROTO_PARAM_INT, "4", 1, ST_PARTITIONS_MAX, NULL, CFG(partitions), "partitions of the topic"},
    {"replication", PROTO_PARAM_INT, "0", 0, ST_BROKERS_MAX, NULL, CFG(replication), "replicas of each partition, at most brokers (0: 3, or brokers if fewer)"},
    {"min_isr", PROTO_PARAM_INT, "0", 0, ST_BROKERS_MAX, NULL, CFG(min_isr), "with acks=all, in-sync replicas a write needs (0: 2, or replication if less)"},
    {"acks", PROTO_PARAM_ENUM, "all", 0, -1, "0|1|all", CFG(acks), "when a producer hears back: never, once the leader has it, once every in-sync replica has it"},
    {"partitioner", PROTO_PARAM_ENUM, "keyhash", 0, -1, "keyhash|roundrobin", CFG(partitioner), "how a producer picks a partition"},
    {"idempotent", PROTO_PARAM_BOOL, "true", 0, -1, NULL, CFG(idempotent), "leaders drop a producer's retried records by sequence number"},
    {"unclean", PROTO_PARAM_BOOL, "false", 0, -1, NULL, CFG(unclean), "elect an out-of-sync replica when no in-sync one is up (may lose data)"},
    {"retries", PROTO_PARAM_INT, "100", 0, 1e6, NULL, CFG(retries), "resends of a produce request before its events fail"},
    {"retry_backoff", PROTO_PARAM_DURATION, "100ms", 0, DUR_MAX, NULL, CFG(retry_backoff_ns), "wait before a resend"},
    {"request_timeout", PROTO_PARAM_DURATION, "500ms", 1e3, DUR_MAX, NULL, CFG(request_timeout_ns), "a request without an answer by then is resent"},
    {"batch_max", PROTO_PARAM_INT, "64", 1, 4096, NULL, CFG(batch_max), "events in one produce request"},
    {"fetch_max", PROTO_PARAM_INT, "256", 1, 16384, NULL, CFG(fetch_max), "records in one fetch answer (consumers and followers)"},
    {"replica_fetch", PROTO_PARAM_DURATION, "20ms", 1e3, DUR_MAX, NULL, CFG(replica_fetch_ns), "a caught-up follower fetches from its leader this often"},
    {"replica_lag_max", PROTO_PARAM_DURATION, "500ms", 1e3, DUR_MAX, NULL, CFG(replica_lag_max_ns), "a follower behind for longer leaves the in-sync replicas"},
    {"heartbeat", PROTO_PARAM_DURATION, "100ms", 1e3, DUR_MAX, NULL, CFG(heartbeat_ns), "brokers and group members heartbeat the controller this often"},
    {"session_timeout", PROTO_PARAM_DURATION, "1s", 1e3, DUR_MAX, NULL, CFG(session_timeout_ns), "silence after which the controller declares a broker or member dead"},
    {"rate", PROTO_PARAM_REAL, "100", 0.001, 1e6, NULL, CFG(rate_per_s), "events per second, per producer"},
    {"pattern", PROTO_PARAM_ENUM, "poisson", 0, -1, "steady|poisson|bursty", CFG(pattern), "event arrivals: evenly spaced, Poisson, or Poisson with bursts"},
    {"burst_every", PROTO_PARAM_DURATION, "5s", 1e3, DUR_MAX, NULL, CFG(burst_every_ns), "bursty: a burst starts this often"},
    {"burst_len", PROTO_PARAM_DURATION, "1s", 0, DUR_MAX, NULL, CFG(burst_len_ns), "bursty: a burst lasts this long"},
    {"burst_factor", PROTO_PARAM_REAL, "5", 1, 1000, NULL, CFG(burst_factor), "bursty: the rate is multiplied by this during a burst"},
    {"lateness", PROTO_PARAM_DURATION, "50ms", 0, DUR_MAX, NULL, CFG(lateness_ns), "mean lateness: event time is creation time minus an exponential delay"},
    {"straggle", PROTO_PARAM_REAL, "0.05", 0, 1, NULL, CFG(straggle), "fraction of events that straggle instead"},
    {"straggle_max", PROTO_PARAM_DURATION, "2s", 0, DUR_MAX, NULL, CFG(straggle_max_ns), "a straggler's lateness is uniform up to this"},
    {"produce_for", PROTO_PARAM_DURATION, "20s", 1e6, DUR_MAX, NULL, CFG(produce_for_ns), "producers create events until then, then end their streams"},
    {"keys", PROTO_PARAM_INT, "8", 1, ST_KEYS_MAX, NULL, CFG(keys), "distinct event keys (uniform)"},
    {"window", PROTO_PARAM_ENUM, "tumbling", 0, -1, "tumbling|sliding", CFG(window), "window shape, in event time"},
    {"size", PROTO_PARAM_DURATION, "1s", 1e3, DUR_MAX, NULL, CFG(size_ns), "window length"},
    {"slide", PROTO_PARAM_DURATION, "500ms", 1e3, DUR_MAX, NULL, CFG(slide_ns), "sliding: a window starts this often"},
    {"out_of_order", PROTO_PARAM_DURATION, "200ms", 0, DUR_MAX, NULL, CFG(out_of_order_ns), "the watermark trails the largest event time seen by this"},
    {"late", PROTO_PARAM_ENUM, "drop", 0, -1, "drop|update", CFG(late), "an event behind the watermark: dropped, or used to update its window's result"},
    {"allowed_lateness", PROTO_PARAM_DURATION, "5s", 0, DUR_MAX, NULL, CFG(allowed_lateness_ns), "late update: how long past the watermark a window still takes events"},
    {"commit", PROTO_PARAM_ENUM, "after-processing", 0, -1, "before-processing|after-processing", CFG(commit),
     "commit offsets on receipt (at most once) or once results are out (at least once)"},
    {"commit_every", PROTO_PARAM_DURATION, "1s", 1e3, DUR_MAX, NULL, CFG(commit_every_ns), "after-processing: a processor commits this often (Kafka auto-commits every 5s)"},
    {"poll", PROTO_PARAM_DURATION, "20ms", 1e3, DUR_MAX, NULL, CFG(poll_ns), "a processor with nothing to read asks again after this"},
    {"assignor", PROTO_PARAM_ENUM, "range", 0, -1, "range|roundrobin", CFG(assignor), "how the group's partitions are dealt to members"},
    {"batch_every", PROTO_PARAM_DURATION, "10s", 1e6, DUR_MAX, NULL, CFG(batch_every_ns), "a batch job over everything new runs this often"},
    {"job_timeout", PROTO_PARAM_DURATION, "3s", 1e6, DUR_MAX, NULL, CFG(job_timeout_ns), "a batch job not finished by then is run again"},
    {"totals_at", PROTO_PARAM_DURATION, "0s", 0, DUR_MAX, NULL, CFG(totals_at_ns), "when the whole-data MapReduce job (totals per key) runs (0s: never)"},
    {"lag_every", PROTO_PARAM_DURATION, "500ms", 1e6, DUR_MAX, NULL, CFG(lag_every_ns), "partition leaders sample the group's lag (high watermark minus read position) this often"},
    {"max_events", PROTO_PARAM_INT, "40000", 1, ST_EVENTS_MAX, NULL, CFG(max_events), "events of the whole run, shared evenly by the producers"},
    {"log_max", PROTO_PARAM_INT, "16384", 1, 1 << 24, NULL, CFG(log_max), "records one partition's log holds (32 bytes each, per broker)"},
    {"max_windows", PROTO_PARAM_INT, "256", 1, 1 << 20, NULL, CFG(max_windows), "windows per key that results can hold (the event-time horizon)"},
    {"panes_max", PROTO_PARAM_INT, "4096", 1, 1 << 20, NULL, CFG(panes_max), "open (partition, key, window) panes one processor holds"},
    {"pending_max", PROTO_PARAM_INT, "16384", 1, 1 << 22, NULL, CFG(pending_max), "events one processor holds in unfired windows"},
    {"acks_pending_max", PROTO_PARAM_INT, "1024", 1, 1 << 20, NULL, CFG(acks_pending_max), "acks=all requests one partition leader holds"},
    {"buffer_max", PROTO_PARAM_INT, "4096", 1, 1 << 20, NULL, CFG(buffer_max), "events a producer buffers per partition; more fail at once"},
    {"lag_samples_max", PROTO_PARAM_INT, "4096", 1, 1 << 20, NULL, CFG(lag_samples_max), "consumer lag samples one broker keeps"},
    {"jobs_max", PROTO_PARAM_INT, "256", 1, 1 << 16, NULL, CFG(jobs_max), "batch jobs the master records"},
    {NULL},
};

static int fail(char *err, size_t len, const char *msg)
{
    snprintf(err, len, "%s", msg);
    return SIM_EINPUT;
}

/* Shares the nodes out among the roles whose count was left at 0: each gets one,
 * then brokers get up to 3, producers up to 2, and processors the rest (or, with the
 * processors given, producers, then brokers). So 5 nodes make one of each, and 9 make
 * the controller, 3 brokers, 2 producers, 2 processors and a batch master. */
static int layout(st_config_t *cfg, uint32_t n, char *err, size_t len)
{
    int64_t *count[] = {&cfg->brokers, &cfg->producers, &cfg->processors, &cfg->batch};
    const int64_t max[] = {ST_BROKERS_MAX, ST_PRODUCERS_MAX, ST_PROCESSORS_MAX, ST_BATCH_MAX};
    bool autos[4];
    int64_t left = (int64_t)n - 1, n_auto = 0;
    for (int i = 0; i < 4; i++) {
        autos[i] = *count[i] == 0;
        n_auto += autos[i];
        left -= *count[i];
    }
    if (n_auto && left < n_auto) {
        snprintf(err, len, "stream needs at least %lld nodes: the controller, %lld for the roles given a count, and one "
                 "for each of the %lld roles left at 0; the scenario has %u",
                 (long long)((int64_t)n - left + n_auto), (long long)((int64_t)n - 1 - left), (long long)n_auto, n);
        return SIM_EINPUT;
    }
    for (int i = 0; i < 4; i++)
        if (autos[i]) { *count[i] = 1; left--; }
    static const int order[] = {0, 1, 2, 1, 0};          /* brokers, producers, processors, then the rest */
    const int64_t want[] = {3, 2, ST_PROCESSORS_MAX, ST_PRODUCERS_MAX, ST_BROKERS_MAX};
    for (int k = 0; k < 5 && left > 0; k++) {
        int i = order[k];
        if (!autos[i]) continue;
        int64_t add = (want[k] < max[i] ? want[k] : max[i]) - *count[i];
        if (add > left) add = left;
        if (add > 0) { *count[i] += add; left -= add; }
    }
    /* Nodes left over with no role to take them, or (every count given) too few. */
    if (left != 0) {
        snprintf(err, len, "stream needs 1 + brokers + producers + processors + batch = 1 + %lld + %lld + %lld + %lld = %lld "
                 "nodes (the controller first, then each role in that order); the scenario has %u",
                 (long long)cfg->brokers, (long long)cfg->producers, (long long)cfg->processors, (long long)cfg->batch,
                 (long long)(n - left), n);
        return SIM_EINPUT;
    }
    if (!cfg->replication) cfg->replication = cfg->brokers < 3 ? cfg->brokers : 3;
    if (!cfg->min_isr) cfg->min_isr = cfg->replication < 2 ? cfg->replication : 2;
    return SIM_OK;
}

static int st_configure(void *cfgp, const proto_env_t *env, char *err, size_t len)
{
    st_config_t *cfg = cfgp;
    if (layout(cfg, env->n_servers, err, len) != SIM_OK) return SIM_EINPUT;
    cfg->first_broker = 1;
    cfg->first_producer = cfg->first_broker + (uint32_t)cfg->brokers;
    cfg->first_processor = cfg->first_producer + (uint32_t)cfg->producers;
    cfg->first_batch = cfg->first_processor + (uint32_t)cfg->processors;
    cfg->n_nodes = cfg->first_batch + (uint32_t)cfg->batch;
    sim_assert(cfg->n_nodes == env->n_servers);
    if (cfg->replication > cfg->brokers) return fail(err, len, "replication must be at most brokers");
    if (cfg->min_isr > cfg->replication) return fail(err, len, "min_isr must be at most replication");
    if (cfg->window == ST_WIN_TUMBLING) cfg->slide_ns = cfg->size_ns;
    if (cfg->slide_ns > cfg->size_ns) return fail(err, len, "slide must be at most size (a sliding window starts every slide and lasts size)");
    sim_time_t span = (cfg->size_ns + cfg->slide_ns - 1) / cfg->slide_ns;
    if (span > ST_SPAN_MAX) {
        snprintf(err, len, "size / slide is %lld windows per event; at most %d (ST_SPAN_MAX): lengthen slide", (long long)span, ST_SPAN_MAX);
        return SIM_EINPUT;
    }
    cfg->span = (uint32_t)span;
    if (cfg->keys * cfg->max_windows > ST_CELLS_MAX) {
        snprintf(err, len, "keys * max_windows is %lld; at most %u (ST_CELLS_MAX, so a reducer's results fit one message)",
                 (long long)(cfg->keys * cfg->max_windows), ST_CELLS_MAX);
        return SIM_EINPUT;
    }
    cfg->cells = (uint32_t)(cfg->keys * cfg->max_windows);
    cfg->per_producer = (uint32_t)(cfg->max_events / cfg->producers);
    if (cfg->per_producer < 2) return fail(err, len, "max_events must give each producer at least 2 events");
    cfg->n_events = cfg->per_producer * (uint32_t)cfg->producers;
    cfg->lateness_allowed_ns = cfg->late == ST_LATE_UPDATE ? cfg->allowed_lateness_ns : 0;

    size_t rec = sizeof(st_rec_t), cell = sizeof(st_cell_t);
    size_t s = sizeof(m_produce_t) + (size_t)cfg->batch_max * rec;
    size_t f = sizeof(m_rdata_t) + (size_t)cfg->fetch_max * rec;
    if (f > s) s = f;
    f = sizeof(m_pairs_t) + (size_t)cfg->cells * sizeof(st_pair_t);
    if (f > s) s = f;
    if (s > SIM_PAYLOAD_BYTES_MAX) return fail(err, len, "fetch_max or batch_max make a message larger than SIM_PAYLOAD_BYTES_MAX");
    cfg->scratch_bytes = s;

    size_t P = (size_t)cfg->partitions, tail = 0, t;
    t = P * (size_t)cfg->acks_pending_max * sizeof(st_pending_t) + cfg->cells * cell;       /* broker */
    if (t > tail) tail = t;
    t = P * (size_t)cfg->buffer_max * sizeof(uint32_t);                                      /* producer */
    if (t > tail) tail = t;
    t = (size_t)cfg->panes_max * sizeof(st_pane_t) + (size_t)cfg->pending_max * sizeof(st_contrib_t); /* processor */
    if (t > tail) tail = t;
    t = 2 * (size_t)cfg->cells * cell;                                                      /* batch */
    if (t > tail) tail = t;
    cfg->state_bytes = st_align(sizeof(st_state_t)) + st_align(cfg->scratch_bytes) + st_align(tail);

    cfg->plog_bytes = st_align(sizeof(st_plog_t)) + (size_t)cfg->log_max * rec;
    tail = P * cfg->plog_bytes + (size_t)cfg->lag_samples_max * sizeof(st_lag_sample_t);    /* broker */
    t = (size_t)cfg->per_producer * sizeof(st_ledger_t);                                     /* producer */
    if (t > tail) tail = t;
    t = (size_t)cfg->n_events * sizeof(sim_time_t) + st_align(cfg->n_events) + cfg->cells * cell; /* processor */
    if (t > tail) tail = t;
    t = (size_t)cfg->jobs_max * (sizeof(st_job_t) + P * sizeof(int64_t)) + (cfg->cells + (size_t)cfg->keys) * cell; /* batch */
    if (t > tail) tail = t;
    t = st_oracle_bytes(cfg);                                                                /* controller */
    if (t > tail) tail = t;
    cfg->durable_bytes = st_align(sizeof(st_durable_t)) + st_align(tail);
    return SIM_OK;
}

static size_t st_state_size(const void *cfg) { return ((const st_config_t *)cfg)->state_bytes; }
static size_t st_durable_size(const void *cfg) { return ((const st_config_t *)cfg)->durable_bytes; }

/* ---- The leader cache of clients. ------------------------------------------------ */

void st_meta_request(sim_ctx *c, bool force)
{
    st_state_t *st = sim_state(c);
    const st_config_t *cfg = sim_config(c);
    /* At most one question per backoff, however many requests failed at once. */
    if (!force && st->meta_asked_ns && sim_now(c) - st->meta_asked_ns < cfg->retry_backoff_ns) return;
    st->meta_asked_ns = sim_now(c);
    sim_send(c, 0, M_METADATA_REQ, NULL, 0, 16);
}

void st_meta_apply(sim_ctx *c, const sim_msg_t *m)
{
    st_state_t *st = sim_state(c);
    if (m->len < sizeof(m_metadata_t)) return;
    const m_metadata_t *md = m->payload;
    for (uint32_t p = 0; p < ST_PARTITIONS_MAX; p++) {
        /* Epochs only move forward: an old answer overtaken by a newer one is ignored. */
        if (md->epoch[p] < st->epoch[p]) continue;
        st->leader[p] = md->leader[p];
        st->epoch[p] = md->epoch[p];
    }
}

/* ---- Dispatch by role. ------------------------------------------------------------ */

static void st_init(sim_ctx *c)
{
    const st_config_t *cfg = sim_config(c);
    st_state_t *st = sim_state(c);
    st_durable_t *d = sim_durable(c);
    uint32_t index;
    st_kind_t k = st_kind_of(cfg, sim_self(c), &index);
    st->kind = (uint8_t)k;
    st->index = index;
    d->kind = (uint8_t)k;
    for (uint32_t p = 0; p < ST_PARTITIONS_MAX; p++) { st->leader[p] = -1; st->epoch[p] = -1; }
    switch (k) {
    case ST_CONTROLLER: st_ctl_init(c); break;
    case ST_BROKER: st_broker_init(c); break;
    case ST_PRODUCER: st_producer_init(c); break;
    case ST_PROCESSOR: st_proc_init(c); break;
    case ST_BATCH: st_batch_init(c); break;
    }
}

static void st_message(sim_ctx *c, const sim_msg_t *m)
{
    st_state_t *st = sim_state(c);
    switch ((st_kind_t)st->kind) {
    case ST_CONTROLLER: st_ctl_message(c, m); break;
    case ST_BROKER: st_broker_message(c, m); break;
    case ST_PRODUCER: st_producer_message(c, m); break;
    case ST_PROCESSOR: st_proc_message(c, m); break;
    case ST_BATCH: st_batch_message(c, m); break;
    }
}

static void st_timer(sim_ctx *c, int kind, uint64_t data)
{
    st_state_t *st = sim_state(c);
    switch ((st_kind_t)st->kind) {
    case ST_CONTROLLER: st_ctl_timer(c, kind, data); break;
    case ST_BROKER: st_broker_timer(c, kind, data); break;
    case ST_PRODUCER: st_producer_timer(c, kind, data); break;
    case ST_PROCESSOR: st_proc_timer(c, kind, data); break;
    case ST_BATCH: st_batch_timer(c, kind, data); break;
    }
}

static void st_request(sim_ctx *c, const sim_req_t *req)
{
    /* Events come from the producers, not from the workload's clients. */
    sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0);
}

static void st_membership(sim_ctx *c, uint32_t node, bool joined)
{
    st_state_t *st = sim_state(c);
    if (node == sim_self(c) && st->kind == ST_PROCESSOR) st_proc_membership(c, joined);
}

/* ---- What the live view shows. --------------------------------------------------- */

static void partitions_line(char *buf, size_t len, const char *what, uint32_t mask)
{
    size_t n = (size_t)snprintf(buf, len, "%s", what);
    for (uint32_t p = 0; p < ST_PARTITIONS_MAX && n < len; p++)
        if (mask >> p & 1) n += (size_t)snprintf(buf + n, len - n, " p%u", p);
}

static void st_describe(sim_ctx *c, proto_desc_t *d)
{
    const st_config_t *cfg = sim_config(c);
    st_state_t *st = sim_state(c);
    st_durable_t *du = sim_durable(c);
    uint32_t index;
    switch (st_kind_of(cfg, sim_self(c), &index)) {
    case ST_CONTROLLER: {
        uint32_t offline = 0;
        for (uint32_t p = 0; p < cfg->partitions; p++) offline += du->u.ctl.part[p].leader < 0;
        snprintf(d->role, sizeof d->role, "controller");
        d->term = du->u.ctl.generation;
        /* What matters now: the group's generation, and partitions without a leader
         * or elections only once there are some. */
        int o = snprintf(d->line, sizeof d->line, "group gen %lld", (long long)du->u.ctl.generation);
        if (offline && o > 0 && (size_t)o < sizeof d->line) o += snprintf(d->line + o, sizeof d->line - (size_t)o, ", %u offline", offline);
        if (du->u.ctl.elections && o > 0 && (size_t)o < sizeof d->line)
            snprintf(d->line + o, sizeof d->line - (size_t)o, ", %llu election%s", (unsigned long long)du->u.ctl.elections, du->u.ctl.elections == 1 ? "" : "s");
        break;
    }
    case ST_BROKER: {
        uint32_t leads = 0;
        int64_t recs = 0, epoch = -1;
        for (uint32_t p = 0; p < cfg->partitions; p++) {
            const st_bpart_t *bp = &st->u.bk.part[p];
            if (bp->role == BP_LEADER) { leads |= 1u << p; if (bp->epoch > epoch) epoch = bp->epoch; }
            recs += st_plog(cfg, du, p)->leo;
        }
        snprintf(d->role, sizeof d->role, "%s", leads ? "leader" : "follower");
        d->term = epoch;
        d->log_len = recs;
        partitions_line(d->line, sizeof d->line, leads ? "leads" : "follows", leads);
        break;
    }
    case ST_PRODUCER:
        snprintf(d->role, sizeof d->role, "producer");
        d->log_len = du->u.pr.next_seq;
        snprintf(d->line, sizeof d->line, "%u made, %llu acked, %llu failed", du->u.pr.next_seq,
                 (unsigned long long)du->u.pr.acked, (unsigned long long)du->u.pr.failed);
        break;
    case ST_PROCESSOR:
        snprintf(d->role, sizeof d->role, "processor");
        d->term = st->u.pc.generation;
        partitions_line(d->line, sizeof d->line, "reads", st->u.pc.assigned);
        break;
    case ST_BATCH:
        snprintf(d->role, sizeof d->role, "%s", index == 0 ? "batch-master" : "reducer");
        if (index == 0)
            snprintf(d->line, sizeof d->line, "%u jobs done%s", du->u.bt.n_jobs, st->u.bt.running ? ", one running" : "");
        else
            snprintf(d->line, sizeof d->line, "reducing job %u", st->u.bt.r_job);
        break;
    }
}

static void st_export(sim_ctx *c, jw_t *w)
{
    const st_config_t *cfg = sim_config(c);
    st_state_t *st = sim_state(c);
    st_durable_t *du = sim_durable(c);
    static const char *const kinds[] = {"controller", "broker", "producer", "processor", "batch"};
    /* The role comes from the node id: a crashed node's state is zeroed, and exports
     * are asked of crashed nodes too. */
    st_kind_t kind = st_kind_of(cfg, sim_self(c), NULL);
    jw_obj_begin(w);
    jw_kstr(w, "kind", kinds[kind]);
    switch (kind) {
    case ST_CONTROLLER:
        jw_kint(w, "generation", du->u.ctl.generation);
        jw_key(w, "partitions");
        jw_arr_begin(w);
        for (uint32_t p = 0; p < cfg->partitions; p++) {
            const st_ptab_t *pt = &du->u.ctl.part[p];
            jw_obj_begin(w);
            jw_kint(w, "leader", pt->leader < 0 ? -1 : (int64_t)st_broker_node(cfg, (uint32_t)pt->leader));
            jw_kint(w, "epoch", pt->epoch);
            jw_kuint(w, "isr", pt->isr);
            jw_obj_end(w);
        }
        jw_arr_end(w);
        jw_kuint(w, "members", st->u.ctl.members);
        break;
    case ST_BROKER:
        jw_key(w, "partitions");
        jw_arr_begin(w);
        for (uint32_t p = 0; p < cfg->partitions; p++) {
            const st_bpart_t *bp = &st->u.bk.part[p];
            st_plog_t *l = st_plog(cfg, du, p);
            jw_obj_begin(w);
            jw_kstr(w, "role", bp->role == BP_LEADER ? "leader" : bp->role == BP_FOLLOWER ? "follower" : "");
            jw_kint(w, "epoch", l->epoch);
            jw_kint(w, "leo", l->leo);
            jw_kint(w, "hw", l->hw);
            jw_kint(w, "committed", l->committed);
            jw_kint(w, "consumed", l->consumed);
            if (bp->role == BP_LEADER) jw_kuint(w, "isr", bp->isr);
            jw_obj_end(w);
        }
        jw_arr_end(w);
        jw_kuint(w, "maps", du->u.bk.maps);
        break;
    case ST_PRODUCER:
        jw_kuint(w, "created", du->u.pr.next_seq);
        jw_kuint(w, "acked", du->u.pr.acked);
        jw_kuint(w, "failed", du->u.pr.failed);
        jw_kuint(w, "retries", du->u.pr.retries);
        break;
    case ST_PROCESSOR:
        jw_kint(w, "generation", st->u.pc.generation);
        jw_key(w, "tasks");
        jw_arr_begin(w);
        for (uint32_t p = 0; p < cfg->partitions; p++) {
            const st_task_t *t = &st->u.pc.task[p];
            if (!(st->u.pc.assigned >> p & 1)) continue;
            jw_obj_begin(w);
            jw_kuint(w, "partition", p);
            jw_kint(w, "position", t->position);
            jw_kint(w, "hw", t->hw);
            jw_kint(w, "watermark_ns", t->wm_ns == INT64_MIN ? -1 : t->wm_ns);
            jw_obj_end(w);
        }
        jw_arr_end(w);
        jw_kuint(w, "panes", st->u.pc.n_panes);
        jw_kuint(w, "late_dropped", du->u.pc.late_dropped);
        break;
    case ST_BATCH:
        jw_kuint(w, "jobs", du->u.bt.n_jobs);
        jw_kbool(w, "running", st->u.bt.running);
        break;
    }
    jw_obj_end(w);
}


/* The human summary's lines, read from the JSON summary (proto_line_t). */
static const proto_line_t stream_lines[] = {
    {"latency", "stream p50 {stream.latency_ns.p50|ns}, p99 {stream.latency_ns.p99|ns}; batch p50 {batch.latency_ns.p50|ns}, p99 {batch.latency_ns.p99|ns}"},
    {"windows", "stream {stream.windows.exact} of {stream.windows.total} exact, {stream.windows.wrong} wrong, {stream.windows.missing} missing; batch {batch.windows.exact} of {batch.windows.total} exact"},
    {"late events", "{stream.late_dropped} dropped, {stream.late_updates} sent as late updates (allowed lateness {protocol_stats.out_of_order_ns|ns}, late: {protocol_stats.late|s})"},
    {"log", "{log.produced} records produced, {log.acked} acknowledged (acks={protocol_stats.acks|s}), {log.lost_acked} acknowledged records lost"},
    {"duplicates", "{stream.duplicates} delivered to processors twice, {log.duplicates} duplicate records in the log"},
    {"brokers", "{log.elections} partition leader elections ({log.unclean_elections} unclean), offline {log.offline_ns|ns}"},
    {NULL, NULL},
};
/* A message's fields for the window's hover: partitions, offsets and record counts,
 * the figures the log and the consumers trade in. */
static const char *const st_status_names[] = {"ok", "not the leader", "not enough replicas", "offset out of range", "truncate"};

static int st_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
#define ST_GET(T) T m; if (!proto_msg_read(&m, sizeof m, payload, len)) return 0
#define ST_STATUS(x) ((x) < 5 ? st_status_names[x] : "?")
    switch ((enum st_msg)type) {
    case M_HEARTBEAT: { ST_GET(m_heartbeat_t); return snprintf(buf, buf_len, "broker %u alive (incarnation %u)", m.broker + 1, m.incarnation); }
    case M_LEADER_AND_ISR: { ST_GET(m_lai_t); return snprintf(buf, buf_len, "partition p%u: leader broker%d, epoch %d, in-sync set %#x", m.p, m.leader + 1, m.epoch, m.isr); }
    case M_ALTER_ISR: { ST_GET(m_alter_t); return snprintf(buf, buf_len, "partition p%u: new in-sync set %#x (epoch %d)", m.p, m.isr, m.epoch); }
    case M_PRODUCE: { ST_GET(m_produce_t); return snprintf(buf, buf_len, "%u records for partition p%u (request %u)", m.n, m.p, m.req); }
    case M_PRODUCE_ACK: { ST_GET(m_produce_ack_t); return snprintf(buf, buf_len, "p%u request %u: %s, last offset %" PRId64, m.p, m.req, ST_STATUS(m.status), m.last_offset); }
    case M_RFETCH: { ST_GET(m_rfetch_t); return snprintf(buf, buf_len, "replica fetch p%u from offset %" PRId64 " (epoch %d)", m.p, m.offset, m.epoch); }
    case M_RDATA: { ST_GET(m_rdata_t); return snprintf(buf, buf_len, "p%u: %u records from offset %" PRId64 ", high watermark %" PRId64 ", %s", m.p, m.n, m.from, m.hw, ST_STATUS(m.status)); }
    case M_JOIN: case M_GROUP_HB: case M_LEAVE: { ST_GET(m_group_t); return snprintf(buf, buf_len, "member %u, generation %" PRId64, m.member, m.generation); }
    case M_ASSIGN: { ST_GET(m_assign_t); return snprintf(buf, buf_len, "generation %" PRId64 ": partitions %#x", m.generation, m.partitions); }
    case M_OFFSET_FETCH: case M_OFFSET: case M_OFFSET_COMMIT: { ST_GET(m_offset_t); return snprintf(buf, buf_len, "p%u committed offset %" PRId64 " (%s)", m.p, m.offset, ST_STATUS(m.status)); }
    case M_FETCH: { ST_GET(m_fetch_t); return snprintf(buf, buf_len, "fetch p%u from offset %" PRId64, m.p, m.offset); }
    case M_FETCH_DATA: { ST_GET(m_fetch_data_t); return snprintf(buf, buf_len, "p%u: %u records from offset %" PRId64 ", high watermark %" PRId64 " (lag %" PRId64 ")", m.p, m.n, m.from, m.hw, m.hw - m.from - (int64_t)m.n); }
    default: return 0;
    }
#undef ST_GET
#undef ST_STATUS
}

bool stream_view(sim_t *s, stream_view_t *out)
{
    if (strcmp(sim_protocol(s)->name, "stream") != 0) return false;
    const st_config_t *cfg = sim_config_of(s);
    memset(out, 0, sizeof *out);
    out->window = cfg->window;
    out->late_mode = cfg->late;
    out->size_ns = cfg->size_ns;
    out->slide_ns = cfg->slide_ns;
    out->out_of_order_ns = cfg->out_of_order_ns;
    out->allowed_lateness_ns = cfg->lateness_allowed_ns;
    out->n_partitions = (uint32_t)cfg->partitions;
    for (uint32_t p = 0; p < out->n_partitions; p++) {
        out->part[p].processor = -1;
        out->part[p].wm_ns = out->part[p].max_event_ns = INT64_MIN;
    }
    for (uint32_t i = 0; i < (uint32_t)cfg->processors; i++) {
        uint32_t node = cfg->first_processor + i;
        if (!sim_node_up(s, node)) continue;
        const st_proc_t *pc = &((const st_state_t *)sim_node_state(s, node))->u.pc;
        for (uint32_t p = 0; p < out->n_partitions; p++) {
            if (!(pc->assigned >> p & 1) || pc->task[p].state != TASK_RUN) continue;
            out->part[p].processor = node;
            out->part[p].wm_ns = pc->task[p].wm_ns;
            out->part[p].max_event_ns = pc->task[p].max_event_ns;
        }
        uint32_t n = pc->n_late < ST_LATE_RECENT ? pc->n_late : ST_LATE_RECENT;
        for (uint32_t k = 0; k < n && out->n_late < ST_VIEW_LATE; k++) out->late[out->n_late++] = pc->late[k];
    }
    return true;
}

static const proto_role_t stream_roles[] = {
    {"processor", SIM_ROLE_CLASS_PASSIVE},    /* ST_ROLE_PROCESSOR */
    {"reducer", SIM_ROLE_CLASS_PASSIVE},      /* ST_ROLE_REDUCER */
    {NULL, 0},
};

const proto_t proto_stream = {
    .version = PROTO_VERSION,
    .name = "stream",
    .purpose = "the same events processed by a stream processor and by batch MapReduce jobs over a Kafka-like log",
    .state_size = sizeof(st_state_t),
    .durable_size = sizeof(st_durable_t),
    .config_size = sizeof(st_config_t),
    .msg_types = st_msg_names,
    .params = st_params,
    .configure = st_configure,
    .state_size_for = st_state_size,
    .init = st_init,
    .on_message = st_message,
    .on_timer = st_timer,
    .on_request = st_request,
    .describe = st_describe,
    .export_state = st_export,
    .check = st_check,
    .summary = st_summary,
    .durable_size_for = st_durable_size,
    .on_membership = st_membership,
    .summary_top = st_summary_top,
    .summary_omit = PROTO_OMIT_LEADERS | PROTO_OMIT_STALENESS,
    .summary_lines = stream_lines,
    .describe_msg = st_describe_msg,
    .roles = stream_roles,
};
