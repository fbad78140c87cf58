/* kv.h -- the key-value state machine that replicated protocols apply commands to.
 *
 * Raft, Multi-Paxos, primary-backup and chain replication all replicate the same
 * thing: a sequence of commands on integer registers, one per key. Keeping the state
 * machine here means each protocol file is only about agreement, and that "apply the
 * same commands in the same order" visibly gives the same state everywhere.
 *
 * Commands: read (returns the value, or nothing if never written), write, cas (fails
 * unless the current value equals the expected one), add. The table is sized by the
 * workload's key count (proto_env_t.n_keys) and lives inside a protocol's node state.
 */
#ifndef SIM_KV_H
#define SIM_KV_H

#include "core/base.h"
#include "proto/proto.h"

typedef struct kv_cmd {
    uint8_t f;           /* sim_op_t: SIM_OP_READ, SIM_OP_WRITE, SIM_OP_CAS, SIM_OP_ADD */
    uint32_t key;
    int64_t v1, v2;      /* write/add: v1; cas: expected v1, new v2 */
} kv_cmd_t;

typedef struct kv_result {
    bool ok;             /* false: a cas that did not match, or an unsupported op */
    bool has_value;      /* a read of a key that was written */
    int64_t value;
} kv_result_t;

/* A table of n_keys registers; kv_bytes(n) is its size for embedding in node state. */
typedef struct kv {
    uint32_t n_keys;
    uint32_t _pad;
    uint64_t applied;    /* commands applied so far */
    int64_t data[];      /* n_keys values, then n_keys/64+1 words of "written" bits */
} kv_t;

size_t kv_bytes(uint32_t n_keys);
void kv_init(kv_t *kv, uint32_t n_keys);
kv_result_t kv_apply(kv_t *kv, const kv_cmd_t *c);
kv_result_t kv_read(const kv_t *kv, uint32_t key);
static inline kv_cmd_t kv_cmd_of(const sim_req_t *r) { kv_cmd_t c = {r->f, r->key, r->value, r->value2}; return c; }
/* Answers a client with a command's result: ok with the value read (or none), or fail. */
void kv_reply(sim_ctx *ctx, const sim_req_t *req, kv_result_t res);
/* Writes {"k0": 5, "k3": 1, ...} for the keys that were written. */
void kv_export(const kv_t *kv, jw_t *w);
bool kv_equal(const kv_t *a, const kv_t *b);

#endif
