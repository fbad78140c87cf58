/* raft.h -- Raft's messages and log entries, and a read-only view of one node.
 *
 * The protocol itself is proto_raft (raft.c, registered in registry.c); nothing here is
 * needed to run it. The messages are plain structs so that a test or a lesson can script
 * them with sim_inject and read what a node sends back with sim_each_flight, and the
 * view lets it look at a node's term, log and state machine without parsing an export.
 * The sender of every message is the message's `from`, so no message carries its own
 * candidate or leader id.
 */
#ifndef SIM_PROTO_RAFT_H
#define SIM_PROTO_RAFT_H

#include "proto/kv.h"
#include "proto/proto.h"

/* Message types, as indices into proto_raft.msg_types. */
typedef enum {
    RAFT_REQUEST_VOTE,       /* "request-vote":     raft_vote_t */
    RAFT_VOTE_REPLY,         /* "vote-reply":       raft_vote_reply_t */
    RAFT_PRE_VOTE,           /* "pre-vote":         raft_vote_t, term = the term it would stand in */
    RAFT_PRE_VOTE_REPLY,     /* "pre-vote-reply":   raft_vote_reply_t */
    RAFT_APPEND,             /* "append-entries":   raft_append_t and its entries */
    RAFT_APPEND_REPLY,       /* "append-reply":     raft_append_reply_t */
    RAFT_SNAPSHOT,           /* "install-snapshot": raft_snapshot_t and one chunk */
    RAFT_SNAPSHOT_REPLY,     /* "snapshot-reply":   raft_snapshot_reply_t */
} raft_msg_type_t;

#define RAFT_SERVERS_MAX 256          /* servers in one cluster (the checker's table) */
#define RAFT_NOOP 255                 /* raft_entry_t.f of the no-op a new leader appends */

/* One log entry: its term and the client's command, with what the leader needs to
 * answer the client once the entry is applied. 48 bytes. */
typedef struct raft_entry {
    int64_t term;
    uint64_t op_id;          /* the client's operation; 0 for a no-op */
    uint32_t client;         /* where the answer goes */
    uint32_t attempt;
    uint32_t key;
    uint8_t f;               /* sim_op_t (read, write, cas, add) or RAFT_NOOP */
    uint8_t _pad[3];
    int64_t v1, v2;          /* write/add: v1; cas: expected v1, new v2 */
} raft_entry_t;

/* RequestVote and PreVote (Figure 2; thesis 9.6). */
typedef struct raft_vote {
    int64_t term;
    int64_t last_index, last_term;    /* the candidate's log, for the up-to-date check */
} raft_vote_t;

typedef struct raft_vote_reply {
    int64_t term;            /* the voter's current term */
    uint8_t granted;
    uint8_t _pad[7];
} raft_vote_reply_t;

/* AppendEntries (Figure 2), also the heartbeat when n_entries is 0. */
typedef struct raft_append {
    int64_t term;
    int64_t prev_index, prev_term;    /* the entry just before the new ones */
    int64_t leader_commit;
    uint64_t round;                   /* read-index round this message confirms (thesis 6.4) */
    uint32_t n_entries;
    uint32_t _pad;
    raft_entry_t entries[];
} raft_append_t;

typedef struct raft_append_reply {
    int64_t term;
    int64_t match_index;              /* success: the follower's log matches through here */
    int64_t conflict_index;           /* failure: where the leader should retry from ... */
    int64_t conflict_term;            /* ... and the term found at prev_index (0: none) */
    uint64_t round;                   /* echoed from the request */
    uint8_t success;
    uint8_t _pad[7];
} raft_append_reply_t;

/* InstallSnapshot (Figure 13), one chunk of the snapshot's bytes at a time. */
typedef struct raft_snapshot {
    int64_t term;
    int64_t last_index, last_term;    /* what the snapshot covers */
    uint32_t offset, total;           /* this chunk's place in the snapshot, its whole size */
    uint32_t len;                     /* bytes of data that follow */
    uint32_t _pad;
    uint8_t data[];
} raft_snapshot_t;

typedef struct raft_snapshot_reply {
    int64_t term;
    int64_t last_index;               /* the snapshot this answers */
    uint32_t offset;                  /* bytes of it received so far */
    uint8_t done;                     /* the follower holds everything through last_index */
    uint8_t _pad[3];
} raft_snapshot_reply_t;

/* What a node holds now. kv and entries point into the node's memory and are valid
 * until the simulation moves on. */
typedef struct raft_view {
    sim_role_t role;                      /* SIM_ROLE_NONE while the node is down */
    int64_t term;
    int64_t voted_for;                /* a node id, or -1 */
    int64_t leader;                   /* the leader it knows of, or -1 */
    int64_t commit_index, last_applied;
    int64_t snap_index, snap_term;    /* 0, 0 without a snapshot */
    int64_t log_base;                 /* the log holds log_base+1 .. last_index (<= snap_index) */
    int64_t last_index;               /* index of the last entry (log_base when none) */
    const raft_entry_t *entries;      /* entries log_base+1 .. last_index */
    const kv_t *kv;                   /* the state machine; NULL while the node is down */
} raft_view_t;

typedef struct sim sim_t;
/* Fills *out for a server running raft; false for a bad node or another protocol. */
bool raft_view(sim_t *s, uint32_t node, raft_view_t *out);

#endif
