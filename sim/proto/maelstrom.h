/* maelstrom.h -- what maelstrom.c shares with its key-value services (maelstrom_kv.c),
 * its kafka checker (maelstrom_kafka.c) and the window (ml_program_log).
 *
 * The services are dsim's own nodes, not programs: a server named "lin-kv", "seq-kv"
 * or "lww-kv" in the scenario answers Maelstrom's key-value RPCs itself. They sit
 * behind the same network as the programs, so latency, loss and partitions reach a
 * program's calls to them. Their data lives in the node's durable storage (a service
 * that is crashed and restarted keeps it, as a disk would); their randomness (which
 * stale value, which replica) comes from the node's own seeded stream, so a lock-step
 * run that uses them still replays exactly.
 */
#ifndef SIM_PROTO_MAELSTROM_H
#define SIM_PROTO_MAELSTROM_H

#include "proto/proto.h"

#define ML_LOG_LINES 5               /* lines of a program's stderr the window shows */
#define ML_LOG_LINE_MAX 96

/* A program node's last lines on stderr, oldest first, into lines (pointers into the
 * node's state, valid until the next event); 0 for a service, or when the protocol is
 * not maelstrom. For the window's node panel. */
int ml_program_log(const sim_t *s, uint32_t node, const char **lines, int max);

#define MLKV_KEYS_MAX 64            /* keys one service holds */
#define MLKV_KEY_MAX 64             /* bytes of a key's JSON text */
#define MLKV_TEXT_MAX 512           /* bytes of a value's JSON text */
#define MLKV_VERSIONS 8             /* seq-kv: past values kept per key, for stale reads */
#define MLKV_REPLICAS_MAX 7         /* lww-kv: independent replicas simulated */
#define MLKV_PEERS_MAX 64           /* seq-kv: callers whose position in the order is kept */

typedef enum { MLKV_NONE = -1, MLKV_LIN, MLKV_SEQ, MLKV_LWW, MLKV_KINDS_ } mlkv_kind_t;
extern const char *const mlkv_names[];     /* "lin-kv", "seq-kv", "lww-kv" */

/* The service's parameters, part of the protocol's config. */
typedef struct mlkv_config {
    double seq_stale;           /* seq-kv: chance that a read is served from an older state */
    int64_t lww_replicas;       /* lww-kv: replicas answering independently */
    sim_time_t lww_gossip;      /* lww-kv: how often each replica pulls another's values */
    sim_time_t lww_skew;        /* lww-kv: the largest offset of a replica's clock */
} mlkv_config_t;

/* One value of a key: a version (seq-kv, lin-kv) or a replica's copy (lww-kv). */
typedef struct mlkv_val {
    uint64_t seq;               /* lin/seq: the state (0, 1, 2, ...) that made it */
    int64_t ts;                 /* lww: the writing replica's clock */
    sim_time_t at;              /* lww: true time of the write */
    uint8_t present;            /* 0: the key has no value (never written) */
    uint8_t replica;            /* lww: which replica wrote it (breaks ties) */
    uint32_t vc[MLKV_REPLICAS_MAX];   /* lww: writes at each replica this value has seen */
    uint16_t len;
    char text[MLKV_TEXT_MAX];   /* the value as JSON text */
} mlkv_val_t;

/* A service's whole store, in the node's durable storage (zeroed at the start). */
typedef struct mlkv_store {
    int32_t kind;               /* mlkv_kind_t + 1: 0 until the first init */
    uint32_t n_keys;
    uint64_t seq;               /* lin/seq: states so far; the newest is `seq` */
    char key[MLKV_KEYS_MAX][MLKV_KEY_MAX];
    uint64_t n_ver[MLKV_KEYS_MAX];                  /* versions ever made of each key */
    mlkv_val_t ver[MLKV_KEYS_MAX][MLKV_VERSIONS];   /* the last MLKV_VERSIONS, a ring */
    uint64_t floor[MLKV_PEERS_MAX];                 /* seq: the state each caller last saw */
    mlkv_val_t rep[MLKV_REPLICAS_MAX][MLKV_KEYS_MAX];
    int64_t skew_ns[MLKV_REPLICAS_MAX];
    uint32_t writes_at[MLKV_REPLICAS_MAX];          /* lww: writes taken by each replica */
    int64_t requests, stale_reads, cas_failed, lost_writes, errors;
} mlkv_store_t;

#define MLKV_TIMER_GOSSIP 2          /* lww-kv: timer kind (maelstrom.c's tick is 1) */

mlkv_kind_t mlkv_kind(const char *node_name);        /* MLKV_NONE for a program node */
/* Starts (or restarts) the service at this node. */
void mlkv_start(sim_ctx *c, mlkv_store_t *kv, mlkv_kind_t kind, const mlkv_config_t *cf);
/* One RPC from a program: answers it over the network. */
void mlkv_message(sim_ctx *c, mlkv_store_t *kv, const mlkv_config_t *cf, const sim_msg_t *m);
/* lww-kv's gossip timer. */
void mlkv_timer(sim_ctx *c, mlkv_store_t *kv, const mlkv_config_t *cf);
void mlkv_describe(const mlkv_store_t *kv, char *line, size_t len);
/* The service's state for the window's node panel and exports: its newest values (the
 * replicas' for lww-kv) as [key, value] pairs. */
void mlkv_export(const mlkv_store_t *kv, const mlkv_config_t *cf, jw_t *w);
/* Writes {"name", "kind", "requests", ...} for one service. */
void mlkv_summary(const mlkv_store_t *kv, const char *name, jw_t *w);

/* ---- The kafka workload's checker (maelstrom_kafka.c). -------------------------------
 *
 * A node turns what the programs answer (send_ok, poll_ok, list_committed_offsets_ok)
 * into observations, a few integers each, in a small buffer of its own; the checker,
 * which runs after every event, drains every node's buffer into one table of what each
 * offset of each key holds, and judges. */
#define MLKF_KEYS_MAX 16            /* keys (the workload's "keys") the checker follows */
#define MLKF_OFFSETS_MAX 4096       /* offsets per key it follows; later ones are counted, not checked */
#define MLKF_OBS_MAX 8192           /* integers of observations one node holds between checks */

enum { MLKF_SEND = 1, MLKF_POLL, MLKF_LIST };

typedef struct mlkf_obs {
    uint32_t len;
    int64_t lost;                   /* integers that did not fit (no check ran: invariants off) */
    int64_t v[MLKF_OBS_MAX];
} mlkf_obs_t;

typedef struct mlkf_check {
    int64_t msg[MLKF_KEYS_MAX][MLKF_OFFSETS_MAX];       /* the message at each offset */
    uint8_t flags[MLKF_KEYS_MAX][MLKF_OFFSETS_MAX];     /* MLKF_F_* */
    int64_t sends_acked, polls, polled, commits_listed, max_offset, unchecked;
    int64_t lost, skipped, nonmonotonic, reused;
} mlkf_check_t;

/* Appends one observation: kind, key, then n integers. */
void mlkf_observe(mlkf_obs_t *o, int kind, int64_t key, const int64_t *vals, uint32_t n);
/* Drains a node's observations into the check; true (and v filled) on an anomaly. */
bool mlkf_check(mlkf_check_t *k, mlkf_obs_t *o, sim_violation_t *v);
void mlkf_summary(const mlkf_check_t *k, jw_t *w);

#endif
