/* dynamo.c -- quorum replication in the manner of Amazon's Dynamo ("quorum").
 *
 * DeCandia et al., "Dynamo: Amazon's highly available key-value store", SOSP 2007,
 * sections 4.1 to 4.8. Keys sit on a consistent-hashing ring with virtual nodes
 * (section 4.2, ring.h); each key is stored on the first `n` distinct servers
 * clockwise from it, its preference list (4.3). A coordinator runs each request
 * (4.5): it sends a write to all n replicas and answers the client once `w` of them
 * have acknowledged it; it asks all n for a read and answers once `r` have replied,
 * with the newest version among the replies:
 *
 *      c1 ──write k=7──> A (coordinator, itself a replica: stores at once, 1 ack)
 *                        A ──store──> B      A ──store──> C
 *                        A <─store-ack── B                       w = 2: answer now
 *      c1 <──ok──────────A
 *                        A <─store-ack── C                       (later; nobody waits)
 *
 *      c2 ──read k─────> B ──fetch──> A, C;  B's own copy is one answer
 *                        B <─fetch-reply── A (7)                 r = 2: answer 7 now
 *      c2 <──7───────────B
 *                        B <─fetch-reply── C (6)   read repair: B ──store 7──> C
 *
 * When r + w > n every read quorum meets every write quorum in at least one server,
 * so a read that starts after a write was acknowledged sees it (as long as both are
 * strict quorums of the key's own replicas: the stand-ins of a sloppy quorum, below,
 * can break the overlap). With r = w = 1 the
 * two can miss each other and reads can be stale for a while: how long depends on
 * how slowly "store" messages travel, which is what probabilistically bounded
 * staleness measures (Bailis et al., VLDB 2012; the summary's t_visibility).
 *
 * Who coordinates (`coordinator`):
 *   replica  a server that is among the key's n replicas coordinates; one that is not
 *            forwards the request to the first replica it does not suspect (4.5).
 *   client   the last server (the highest node id, n_servers - 1) coordinates every
 *            request and is never a replica: it stands in for Dynamo's client-side
 *            coordination, where a client library that knows the ring does the work
 *            (section 6.4). Any other server forwards requests to it.
 *
 * Versions (`versions`, section 4.4):
 *   lww      each write is stamped with the coordinator's local clock (sim_clock) and
 *            the larger stamp wins everywhere. Clocks disagree: a coordinator whose
 *            clock is behind stamps a later write with an earlier time, and it loses
 *            to a write that came before it -- acknowledged, then silently gone. The
 *            summary counts such lost writes (lww_lost_writes) with examples.
 *   vector   each write carries a vector clock, one counter per server. A replica
 *            keeps every version no other version dominates: concurrent writes (made
 *            on both sides of a partition, say) both survive as siblings, and a read
 *            returns all of them (a list; a single version is returned as a plain
 *            value). The next write resolves them. Dynamo's client passes back the
 *            context it read; our clients write blindly, so the coordinator keeps
 *            the context itself: per key, the merge of every clock it has seen
 *            (versions it stored as a replica, read, or wrote). A new write's clock is
 *            that context plus one tick of the coordinator's own counter, so it
 *            supersedes everything its coordinator knew of -- which is what a client
 *            that had just read through this server would have passed back. Siblings
 *            appear when two coordinators write without having seen each other's
 *            versions: a partition, or two writes racing.
 *
 * Failures (each a switch):
 *   hinted_handoff  sloppy quorum (4.6). A replica that has not answered within
 *            `suspect_after` is suspected for `suspect_for`; the request is sent to the
 *            next server along the ring instead, with a hint naming the replica it
 *            stands in for, and that answer counts toward the quorum. The stand-in
 *            keeps the hint and every `handoff` tries to hand the data back; once the
 *            replica acknowledges, the stand-in forgets the hint and its copy.
 *
 *                  A ──store k (hint: for C)──> D        D ──handoff k──> C (back up)
 *                                                        D <──handoff-ack── C
 *
 *   read_repair    after a read the coordinator sends the merged result to each
 *            replica that answered with something older (4.5).
 *   anti_entropy   every `anti_entropy_period` a server picks another and they compare
 *            the keys they both replicate, as 16 bucket hashes (a two-level Merkle
 *            tree, 4.7); for buckets that differ they exchange their versions of
 *            every key in the bucket and both keep the merge.
 *
 *                  A ──digest [h0..h15]──> B    B: buckets 3 and 9 differ
 *                  A <──sync (B's keys of buckets 3, 9)── B     A merges them
 *                  A ──sync-reply (A's merged keys)──> B        B merges them
 *
 * Membership (4.8) comes from the simulator (sim_is_member); after a join or leave a
 * server that holds a key it no longer replicates hands it to the new replicas the
 * way a stand-in hands back hinted data. Replicas catch up on what they missed by
 * read repair and anti-entropy; shard.c shows streaming whole ranges instead.
 *
 * A write that does not reach w acknowledgements within `request_timeout` is not
 * answered -- it may still be on some replicas, so neither "ok" nor "fail" would be
 * true, and the client records "info" at its own timeout. A read that does not reach
 * r answers "unavailable" (a read changes nothing) and the client may retry. Only
 * read and write are supported; cas and add need agreement, which quorums alone do
 * not give, and fail. Data and hints are on the server's disk (durable storage), as
 * in Dynamo's storage engines; requests in progress are lost in a crash.
 *
 * Duplicates. The network may deliver a message twice. A second store-ack or
 * fetch-reply from a server that has already answered is not counted again: each
 * target answers once per request (quorum_target_index). A duplicated request is
 * subtler. A client's write, or a server's forward of it, that arrives twice would
 * be coordinated twice, and the second time it gets a new version -- a later stamp,
 * or a new tick of the vector clock -- although the client may long have been told
 * "ok" and written again since. The old value then overwrites the newer one on every
 * replica, and reads are stale even with r + w > n:
 *
 *      c1 ──write k=7──> A ─store 7 (stamp 10)─> B, C ... c1 <──ok──
 *      c2 ──write k=8──> A ─store 8 (stamp 20)─> B, C ... c2 <──ok──
 *      (the copy of c1's write arrives) A ─store 7 (stamp 30)─> B, C: 7 wins again
 *
 * So a coordinator remembers the writes it coordinated lately (QUORUM_RECENT of them,
 * by operation id and attempt) and ignores a copy of one: the client has its answer,
 * or gets it from the first copy's coordination. The variant
 * "coordinate-duplicates" leaves this out, to watch it happen
 * (scenarios/quorum-duplicates.json). What a coordinator forgets in a crash, or a
 * copy that a change of suspicion routes to another coordinator, can still slip
 * through: idempotence needs the version fixed where the write starts, as clients
 * that stamp their own writes (Cassandra's) do.
 *
 * Message types are named so a scenario can slow one of them down with
 * type_latency (a slow disk write: "store"): forward, store, store-ack, fetch,
 * fetch-reply, handoff, handoff-ack, digest, sync, sync-reply.
 */
#include <stdio.h>
#include <inttypes.h>
#include <string.h>
#include "proto/proto.h"
#include "proto/ring.h"
#include "proto/dynamo.h"

#define QUORUM_N_MAX 15                      /* replicas of one key: the literature's figures go to 10 and beyond */
#define QUORUM_TARGETS_MAX (2 * QUORUM_N_MAX) /* servers one request asks: replicas and stand-ins */
#define QUORUM_VC_MAX 16                     /* servers in vector-clock mode (one counter each) */
#define QUORUM_SIBLINGS_MAX 16               /* versions of one key held side by side */
#define QUORUM_SERVERS_MAX 1024
#define QUORUM_HOPS_MAX 3                    /* forwards of one request */
#define QUORUM_AE_BUCKETS 16                 /* leaves of the anti-entropy hash tree */
#define QUORUM_SYNC_BYTES_MAX (64 * 1024)    /* one sync message */
#define QUORUM_LOST_MAX 32                   /* lost writes remembered per server, for the summary */
#define QUORUM_RECENT 1024                   /* writes a coordinator remembers, against duplicated requests */
#define QUORUM_STORE_BYTES_MAX (1ull << 30)  /* every server's store together */
#define QUORUM_NONE UINT32_MAX

enum { QUORUM_COORD_REPLICA, QUORUM_COORD_CLIENT };
enum { QUORUM_LWW, QUORUM_VECTOR };
enum { QUORUM_VARIANT_NONE, QUORUM_VARIANT_COORDINATE_DUPLICATES };
enum {
    QUORUM_MSG_FORWARD, QUORUM_MSG_STORE, QUORUM_MSG_STORE_ACK, QUORUM_MSG_FETCH, QUORUM_MSG_FETCH_REPLY,
    QUORUM_MSG_HANDOFF, QUORUM_MSG_HANDOFF_ACK, QUORUM_MSG_DIGEST, QUORUM_MSG_SYNC, QUORUM_MSG_SYNC_REPLY,
};
enum { QUORUM_TIMER_SUSPECT, QUORUM_TIMER_DEADLINE, QUORUM_TIMER_HANDOFF, QUORUM_TIMER_ANTI_ENTROPY };

typedef struct quorum_config {
    int64_t n, r, w, vnodes;
    int coordinator;                         /* QUORUM_COORD_* */
    int versions;                            /* QUORUM_LWW or QUORUM_VECTOR */
    bool read_repair, hinted_handoff, anti_entropy;
    int variant;                             /* QUORUM_VARIANT_* */
    sim_time_t anti_entropy_ns, request_timeout_ns, suspect_after_ns, suspect_for_ns, handoff_ns;
    int64_t max_siblings, max_hints, max_pending;
    /* Derived in quorum_configure. */
    uint32_t n_servers, n_keys;
    uint32_t coord_node;                     /* client mode: the coordinator; else QUORUM_NONE */
    size_t rec_size, op_size, ring_size;
    size_t ring_off, suspect_off, ops_off, scratch_off, state_bytes;
    size_t seen_off, hints_off, recs_off, durable_bytes;
} quorum_config_t;

/* One version of a value. */
typedef struct quorum_version {
    int64_t value;
    sim_time_t ts_ns;                        /* lww: the coordinator's local clock at the write */
    sim_time_t born_ns;                      /* true time of the write: for statistics only */
    uint32_t coord;                          /* the coordinator: breaks ties of equal stamps */
    uint32_t _pad;
    uint32_t vc[QUORUM_VC_MAX];              /* vector mode: the clock */
} quorum_version_t;

/* One key on a server's disk: the versions it holds (siblings when more than one). */
typedef struct quorum_rec {
    uint32_t n;
    uint32_t _pad;
    uint64_t hash;                           /* of the set of versions, order-free; 0 when empty */
    quorum_version_t v[];                    /* max_siblings */
} quorum_rec_t;

typedef struct quorum_hint { uint32_t key, node; } quorum_hint_t;   /* data held here for `node` */

typedef struct quorum_lost {                 /* a write LWW discarded for an earlier one */
    uint32_t key;
    uint32_t _pad;
    quorum_version_t lost, kept;
} quorum_lost_t;

/* The disk: this header, then the context clocks (vector mode: one per key), the
 * hints, and one record per key. The counters are sums over the records, kept exact
 * as they change, so convergence is a few numbers per server. */
typedef struct quorum_durable {
    uint8_t formatted;
    uint8_t _pad[3];
    uint32_t counter;                        /* vector mode: this server's own clock entry */
    uint32_t n_hints;
    uint32_t ring_members;
    uint64_t n_misplaced;                    /* keys held here that this server does not replicate */
    uint64_t digest_held, digest_first;      /* record hashes: all held, and those this server is first for */
    /* Statistics. */
    uint64_t writes_ok, writes_short, reads_ok, reads_unavailable, reads_with_siblings, shed, forwarded, duplicates;
    uint64_t read_repairs, hints_stored, hints_delivered, ae_rounds, ae_repairs, lww_discards;
    uint32_t max_siblings_read, n_lost;
    quorum_lost_t lost[QUORUM_LOST_MAX];
} quorum_durable_t;

/* A request being coordinated. Followed in memory by a quorum_rec_t of max_siblings
 * versions: for a read, the merge of the answers so far. */
typedef struct quorum_op {
    uint8_t used, write, replied;
    uint8_t _pad;
    uint32_t gen;                            /* bumped per use: answers to an older use do not match */
    uint32_t n_targets, acks, answers;
    uint32_t target[QUORUM_TARGETS_MAX];
    uint32_t hint_for[QUORUM_TARGETS_MAX];   /* QUORUM_NONE, or the replica a stand-in replaces */
    uint8_t answered[QUORUM_TARGETS_MAX];
    uint64_t answer_hash[QUORUM_TARGETS_MAX];
    sim_req_t req;
    quorum_version_t written;
} quorum_op_t;

/* A write coordinated lately, in a table indexed by operation id modulo QUORUM_RECENT:
 * operation ids are handed out in order, so an entry lasts until this coordinator has
 * seen another write whose id falls in the same slot, about QUORUM_RECENT operations
 * of the whole run later. */
typedef struct quorum_recent { uint64_t op_id; uint32_t attempt, _pad; } quorum_recent_t;

/* Volatile memory: this header (with the writes coordinated lately), the ring,
 * suspicion deadlines (one per server), the requests in progress, and a scratch
 * buffer for assembling messages. */
typedef struct quorum_state {
    uint32_t n_pending;
    uint32_t cursor;                         /* where the search for a free request slot starts */
    quorum_recent_t recent[QUORUM_RECENT];
} quorum_state_t;

/* Wire formats. Versions follow the headers that carry n. */
typedef struct quorum_forward { sim_req_t req; uint32_t hops, _pad; } quorum_forward_t;
typedef struct quorum_store { uint64_t tag; uint32_t key, hint_for, n, _pad; } quorum_store_t;   /* store, handoff */
typedef struct quorum_ack { uint64_t tag; uint32_t key, _pad; } quorum_ack_t;  /* store-ack, fetch, handoff-ack */
typedef struct quorum_fetched { uint64_t tag; uint32_t key, n; } quorum_fetched_t;              /* fetch-reply */
typedef struct quorum_digest { uint64_t bucket[QUORUM_AE_BUCKETS]; } quorum_digest_t;
typedef struct quorum_sync { uint32_t n_records, _pad; } quorum_sync_t;   /* then records: key, n, versions */
typedef struct quorum_sync_rec { uint32_t key, n; } quorum_sync_rec_t;

/* ---- Layout and helpers. ------------------------------------------------------- */

static size_t quorum_align8(size_t x) { return (x + 7) & ~(size_t)7; }
static const quorum_config_t *quorum_cfg(sim_ctx *c) { return sim_config(c); }
static ring_t *quorum_ring(sim_ctx *c) { return (ring_t *)((char *)sim_state(c) + quorum_cfg(c)->ring_off); }
static sim_time_t *quorum_suspects(sim_ctx *c) { return (sim_time_t *)((char *)sim_state(c) + quorum_cfg(c)->suspect_off); }
static quorum_op_t *quorum_op_at(sim_ctx *c, uint32_t i)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    sim_assert(i < (uint64_t)cfg->max_pending);
    return (quorum_op_t *)((char *)sim_state(c) + cfg->ops_off + (size_t)i * cfg->op_size);
}
static quorum_rec_t *quorum_op_merged(quorum_op_t *op) { return (quorum_rec_t *)((char *)op + quorum_align8(sizeof *op)); }
static void *quorum_scratch(sim_ctx *c) { return (char *)sim_state(c) + quorum_cfg(c)->scratch_off; }
static quorum_durable_t *quorum_disk(sim_ctx *c) { return sim_durable(c); }
static uint32_t *quorum_seen(sim_ctx *c, uint32_t key)
{
    return (uint32_t *)((char *)sim_durable(c) + quorum_cfg(c)->seen_off) + (size_t)key * QUORUM_VC_MAX;
}
static quorum_hint_t *quorum_hints(sim_ctx *c) { return (quorum_hint_t *)((char *)sim_durable(c) + quorum_cfg(c)->hints_off); }
static quorum_rec_t *quorum_rec_in(const quorum_config_t *cfg, void *disk, uint32_t key)
{
    sim_assert(key < cfg->n_keys);
    return (quorum_rec_t *)((char *)disk + cfg->recs_off + (size_t)key * cfg->rec_size);
}
static quorum_rec_t *quorum_rec(sim_ctx *c, uint32_t key) { return quorum_rec_in(quorum_cfg(c), sim_durable(c), key); }
static size_t quorum_rec_bytes(uint32_t n) { return sizeof(quorum_rec_t) + (size_t)n * sizeof(quorum_version_t); }

static bool quorum_suspected(sim_ctx *c, uint32_t node) { return sim_now(c) < quorum_suspects(c)[node]; }

/* The key's preference list: its first n replicas. */
static uint32_t quorum_pref(sim_ctx *c, uint32_t key, uint32_t *out)
{
    return ring_replicas(quorum_ring(c), key, (uint32_t)quorum_cfg(c)->n, out);
}

static bool quorum_replicates(sim_ctx *c, uint32_t key, uint32_t node)
{
    return ring_is_replica(quorum_ring(c), key, (uint32_t)quorum_cfg(c)->n, node);
}

/* ---- Versions. ----------------------------------------------------------------- */

static uint64_t quorum_version_hash(const quorum_version_t *v)
{
    uint64_t h = sim_mix64((uint64_t)v->value) ^ sim_mix64((uint64_t)v->ts_ns * 31 + v->coord);
    for (int i = 0; i < QUORUM_VC_MAX; i++) h = sim_mix64(h ^ v->vc[i]);
    return h;
}

static void quorum_rehash(quorum_rec_t *r)
{
    r->hash = 0;
    for (uint32_t i = 0; i < r->n; i++) r->hash += quorum_version_hash(&r->v[i]);
}

/* LWW order: the later stamp, then the higher coordinator id, then the larger value. */
static int quorum_lww_cmp(const quorum_version_t *a, const quorum_version_t *b)
{
    if (a->ts_ns != b->ts_ns) return a->ts_ns < b->ts_ns ? -1 : 1;
    if (a->coord != b->coord) return a->coord < b->coord ? -1 : 1;
    if (a->value != b->value) return a->value < b->value ? -1 : 1;
    return 0;
}

/* Vector clocks: a <= b when every entry of a is at most b's (b has seen a). */
static bool quorum_vc_leq(const uint32_t *a, const uint32_t *b)
{
    for (int i = 0; i < QUORUM_VC_MAX; i++)
        if (a[i] > b[i]) return false;
    return true;
}

static void quorum_vc_merge(uint32_t *into, const uint32_t *x)
{
    for (int i = 0; i < QUORUM_VC_MAX; i++)
        if (x[i] > into[i]) into[i] = x[i];
}

/* Remembers a write that LWW discarded though it was made later (in true time). */
static void quorum_note_lost(sim_ctx *c, uint32_t key, const quorum_version_t *lost, const quorum_version_t *kept)
{
    quorum_durable_t *d = quorum_disk(c);
    d->lww_discards++;
    for (uint32_t i = 0; i < d->n_lost; i++)
        if (d->lost[i].key == key && d->lost[i].lost.value == lost->value) return;
    if (d->n_lost == QUORUM_LOST_MAX) return;       /* the summary says "at least" */
    quorum_lost_t *l = &d->lost[d->n_lost++];
    l->key = key;
    l->lost = *lost;
    l->kept = *kept;
}

/* Merges version x into record r (of key `key`, on this server or in a coordinator's
 * read). Returns true if r changed. The heart of section 4.4. */
static bool quorum_merge(sim_ctx *c, uint32_t key, quorum_rec_t *r, const quorum_version_t *x, bool on_disk)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    sim_assert(r->n <= (uint32_t)cfg->max_siblings);
    if (cfg->versions == QUORUM_LWW) {
        if (r->n == 0) { r->v[0] = *x; r->n = 1; quorum_rehash(r); return true; }
        int cmp = quorum_lww_cmp(x, &r->v[0]);
        if (cmp == 0) return false;
        const quorum_version_t *loser = cmp > 0 ? &r->v[0] : x, *winner = cmp > 0 ? x : &r->v[0];
        if (on_disk && loser->born_ns > winner->born_ns) quorum_note_lost(c, key, loser, winner);
        if (cmp < 0) return false;
        r->v[0] = *x;
        quorum_rehash(r);
        return true;
    }
    for (uint32_t i = 0; i < r->n; i++)
        if (quorum_vc_leq(x->vc, r->v[i].vc)) return false;     /* already known, or older */
    uint32_t kept = 0;
    for (uint32_t i = 0; i < r->n; i++)
        if (!quorum_vc_leq(r->v[i].vc, x->vc)) r->v[kept++] = r->v[i];   /* concurrent: a sibling stays */
    if (kept == (uint32_t)cfg->max_siblings) {
        sim_halt(c, "quorum: key k%u on %s would hold more than max_siblings (%lld) concurrent versions; "
                 "raise protocol.params.max_siblings", key, sim_node_name(c, sim_self(c)), (long long)cfg->max_siblings);
        r->n = kept;
        quorum_rehash(r);
        return true;
    }
    r->v[kept++] = *x;
    r->n = kept;
    quorum_rehash(r);
    return true;
}

/* ---- The disk's counters. ------------------------------------------------------ */

static void quorum_count(sim_ctx *c, uint32_t key, const quorum_rec_t *r, int sign)
{
    if (r->n == 0) return;
    quorum_durable_t *d = quorum_disk(c);
    uint64_t one = sign > 0 ? 1 : (uint64_t)-1;
    uint32_t pref[QUORUM_N_MAX];
    uint32_t n = quorum_pref(c, key, pref);
    bool replica = false;
    for (uint32_t i = 0; i < n; i++) replica |= pref[i] == sim_self(c);
    if (!replica) d->n_misplaced += one;
    uint64_t h = sim_mix64(r->hash ^ ((uint64_t)key << 1 | 1)) * one;
    d->digest_held += h;
    if (n && pref[0] == sim_self(c)) d->digest_first += h;
}

static void quorum_recount(sim_ctx *c)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_durable_t *d = quorum_disk(c);
    d->n_misplaced = d->digest_held = d->digest_first = 0;
    d->ring_members = ring_n_members(quorum_ring(c));
    for (uint32_t k = 0; k < cfg->n_keys; k++) quorum_count(c, k, quorum_rec(c, k), 1);
}

/* Stores versions on this server's disk, as a replica or a stand-in. Returns true if
 * anything changed. */
static bool quorum_store_local(sim_ctx *c, uint32_t key, const quorum_version_t *v, uint32_t n)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_rec_t *r = quorum_rec(c, key);
    quorum_count(c, key, r, -1);
    bool changed = false;
    for (uint32_t i = 0; i < n; i++) {
        changed |= quorum_merge(c, key, r, &v[i], true);
        if (cfg->versions == QUORUM_VECTOR) quorum_vc_merge(quorum_seen(c, key), v[i].vc);
    }
    quorum_count(c, key, r, 1);
    return changed;
}

static void quorum_drop_local(sim_ctx *c, uint32_t key)
{
    quorum_rec_t *r = quorum_rec(c, key);
    quorum_count(c, key, r, -1);
    r->n = 0;
    r->hash = 0;
}

/* ---- Hints. -------------------------------------------------------------------- */

static void quorum_add_hint(sim_ctx *c, uint32_t key, uint32_t node)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_durable_t *d = quorum_disk(c);
    quorum_hint_t *h = quorum_hints(c);
    if (node == sim_self(c)) return;
    for (uint32_t i = 0; i < d->n_hints; i++)
        if (h[i].key == key && h[i].node == node) return;
    if (d->n_hints == (uint32_t)cfg->max_hints) {
        sim_halt(c, "quorum: %s holds max_hints (%lld) hints for unreachable replicas; raise protocol.params.max_hints",
                 sim_node_name(c, sim_self(c)), (long long)cfg->max_hints);
        return;
    }
    h[d->n_hints].key = key;
    h[d->n_hints].node = node;
    d->n_hints++;
    d->hints_stored++;
}

static bool quorum_has_hint_for_key(sim_ctx *c, uint32_t key)
{
    quorum_durable_t *d = quorum_disk(c);
    for (uint32_t i = 0; i < d->n_hints; i++)
        if (quorum_hints(c)[i].key == key) return true;
    return false;
}

/* Keys held here that this server does not replicate (after a membership change) are
 * handed to their current replicas as if they were hinted; a hint for a server that
 * has stopped replicating the key would otherwise be the only way out for the data. */
static void quorum_hint_misplaced(sim_ctx *c)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    for (uint32_t k = 0; k < cfg->n_keys; k++) {
        if (quorum_rec(c, k)->n == 0 || quorum_replicates(c, k, sim_self(c))) continue;
        uint32_t pref[QUORUM_N_MAX];
        uint32_t n = quorum_pref(c, k, pref);
        for (uint32_t i = 0; i < n; i++) quorum_add_hint(c, k, pref[i]);
    }
}

/* ---- Sending versions. --------------------------------------------------------- */

static void quorum_send_versions(sim_ctx *c, uint32_t to, unsigned type, uint64_t tag, uint32_t key, uint32_t hint_for,
                                 const quorum_rec_t *r)
{
    quorum_store_t *h = quorum_scratch(c);
    h->tag = tag;
    h->key = key;
    h->hint_for = hint_for;
    h->n = r->n;
    h->_pad = 0;
    memcpy(h + 1, r->v, (size_t)r->n * sizeof(quorum_version_t));
    sim_send(c, to, type, h, (uint32_t)(sizeof *h + (size_t)r->n * sizeof(quorum_version_t)), 0);
}

/* ---- Coordinating. ------------------------------------------------------------- */

static uint64_t quorum_tag(uint32_t slot, const quorum_op_t *op) { return (uint64_t)op->gen << 32 | slot; }

static quorum_op_t *quorum_find_op(sim_ctx *c, uint64_t tag, uint32_t *slot)
{
    uint32_t i = (uint32_t)tag;
    if (tag == 0 || i >= (uint64_t)quorum_cfg(c)->max_pending) return NULL;
    quorum_op_t *op = quorum_op_at(c, i);
    if (!op->used || op->gen != (uint32_t)(tag >> 32)) return NULL;
    if (slot) *slot = i;
    return op;
}

static void quorum_answer_read(sim_ctx *c, quorum_op_t *op)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_durable_t *d = quorum_disk(c);
    quorum_rec_t *m = quorum_op_merged(op);
    int64_t vals[QUORUM_SIBLINGS_MAX];
    for (uint32_t i = 0; i < m->n; i++) {            /* siblings in increasing order: runs compare */
        uint32_t j = i;
        while (j > 0 && vals[j - 1] > m->v[i].value) { vals[j] = vals[j - 1]; j--; }
        vals[j] = m->v[i].value;
    }
    d->reads_ok++;
    if (m->n > 1) d->reads_with_siblings++;
    if (m->n > d->max_siblings_read) d->max_siblings_read = m->n;
    if (cfg->versions == QUORUM_VECTOR)
        for (uint32_t i = 0; i < m->n; i++) quorum_vc_merge(quorum_seen(c, op->req.key), m->v[i].vc);
    if (m->n > 1) sim_reply_list(c, &op->req, vals, m->n);
    else sim_reply(c, &op->req, SIM_REPLY_OK, vals, m->n);
}

static void quorum_maybe_answer(sim_ctx *c, quorum_op_t *op)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    if (op->replied) return;
    if (op->write && op->acks >= (uint32_t)cfg->w) {
        op->replied = 1;
        quorum_disk(c)->writes_ok++;
        sim_reply(c, &op->req, SIM_REPLY_OK, &op->req.value, 1);
    } else if (!op->write && op->answers >= (uint32_t)cfg->r) {
        op->replied = 1;
        quorum_answer_read(c, op);
    }
}

/* The request is over: every server asked has answered, or time ran out. */
static void quorum_finish(sim_ctx *c, quorum_op_t *op)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_state_t *st = sim_state(c);
    if (!op->write && cfg->read_repair && op->answers > 0) {
        quorum_rec_t *m = quorum_op_merged(op);
        for (uint32_t i = 0; i < op->n_targets; i++) {
            /* Only true replicas are repaired: a stand-in would hold data it must not. */
            if (!op->answered[i] || op->answer_hash[i] == m->hash || op->hint_for[i] != QUORUM_NONE || m->n == 0) continue;
            quorum_disk(c)->read_repairs++;
            if (op->target[i] == sim_self(c)) quorum_store_local(c, op->req.key, m->v, m->n);
            else quorum_send_versions(c, op->target[i], QUORUM_MSG_STORE, 0, op->req.key, QUORUM_NONE, m);
        }
    }
    op->used = 0;
    sim_assert(st->n_pending > 0);
    st->n_pending--;
}

static void quorum_maybe_finish(sim_ctx *c, quorum_op_t *op)
{
    if (op->replied && op->acks + op->answers == op->n_targets) quorum_finish(c, op);
}

/* Sends the request to target i (or does it here, when the target is this server). */
static void quorum_ask(sim_ctx *c, uint32_t slot, quorum_op_t *op, uint32_t i)
{
    sim_assert(op->used && i < op->n_targets);
    uint64_t tag = quorum_tag(slot, op);
    uint32_t to = op->target[i];
    if (to == sim_self(c)) {
        op->answered[i] = 1;
        if (op->write) {
            quorum_store_local(c, op->req.key, &op->written, 1);
            if (op->hint_for[i] != QUORUM_NONE) quorum_add_hint(c, op->req.key, op->hint_for[i]);
            op->acks++;
        } else {
            const quorum_rec_t *r = quorum_rec(c, op->req.key);
            quorum_rec_t *m = quorum_op_merged(op);
            for (uint32_t j = 0; j < r->n; j++) quorum_merge(c, op->req.key, m, &r->v[j], false);
            op->answer_hash[i] = r->hash;
            op->answers++;
        }
        return;
    }
    if (op->write) {
        quorum_store_t *h = quorum_scratch(c);
        h->tag = tag;
        h->key = op->req.key;
        h->hint_for = op->hint_for[i];
        h->n = 1;
        h->_pad = 0;
        memcpy(h + 1, &op->written, sizeof op->written);
        sim_send(c, to, QUORUM_MSG_STORE, h, sizeof *h + sizeof op->written, 0);
    } else {
        quorum_ack_t f = {tag, op->req.key, 0};
        sim_send(c, to, QUORUM_MSG_FETCH, &f, sizeof f, 0);
    }
}

static bool quorum_is_target(const quorum_op_t *op, uint32_t node)
{
    for (uint32_t i = 0; i < op->n_targets; i++)
        if (op->target[i] == node) return true;
    return false;
}

/* The next server along the key's ring walk that is neither asked already nor
 * suspected: a stand-in for a sloppy quorum. QUORUM_NONE if there is none. */
static uint32_t quorum_standin(sim_ctx *c, const quorum_op_t *op)
{
    uint32_t walk[QUORUM_SERVERS_MAX];
    uint32_t n = ring_replicas(quorum_ring(c), op->req.key, ring_n_members(quorum_ring(c)), walk);
    for (uint32_t i = (uint32_t)quorum_cfg(c)->n; i < n; i++)
        if (!quorum_is_target(op, walk[i]) && !quorum_suspected(c, walk[i])) return walk[i];
    return QUORUM_NONE;
}

/* Whether this write is a copy of one coordinated here already (the same attempt, or
 * an earlier one arriving late); if not, remembers it. Operation ids start at 1, so a
 * zeroed entry matches nothing. */
static bool quorum_seen_write(sim_ctx *c, const sim_req_t *req)
{
    quorum_state_t *st = sim_state(c);
    quorum_recent_t *r = &st->recent[req->op_id % QUORUM_RECENT];
    if (r->op_id == req->op_id && req->op_id != 0 && req->attempt <= r->attempt) return true;
    r->op_id = req->op_id;
    r->attempt = req->attempt;
    return false;
}

static void quorum_coordinate(sim_ctx *c, const sim_req_t *req)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_state_t *st = sim_state(c);
    quorum_durable_t *d = quorum_disk(c);
    if (req->f == SIM_OP_WRITE && cfg->variant != QUORUM_VARIANT_COORDINATE_DUPLICATES && quorum_seen_write(c, req)) {
        d->duplicates++;            /* a copy: its first coordination answers the client */
        return;
    }
    /* Slots are searched from where the last one was taken, so a free one is usually
     * found at once; a full table costs one pass of max_pending. */
    uint32_t slot = 0, max = (uint32_t)cfg->max_pending;
    quorum_op_t *op = NULL;
    for (uint32_t i = 0; i < max && !op; i++) {
        uint32_t j = (st->cursor + i) % max;
        if (!quorum_op_at(c, j)->used) { slot = j; op = quorum_op_at(c, j); }
    }
    if (!op) {                      /* too many requests in progress: shed this one */
        d->shed++;
        sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0);
        return;
    }
    st->cursor = (slot + 1) % max;
    uint32_t gen = op->gen + 1;
    memset(op, 0, cfg->op_size);
    op->used = 1;
    op->gen = gen ? gen : 1;
    op->write = req->f == SIM_OP_WRITE;
    op->req = *req;
    st->n_pending++;
    if (op->write) {
        quorum_version_t *v = &op->written;
        v->value = req->value;
        v->ts_ns = sim_clock(c);
        v->born_ns = sim_now(c);
        v->coord = sim_self(c);
        if (cfg->versions == QUORUM_VECTOR) {
            memcpy(v->vc, quorum_seen(c, req->key), sizeof v->vc);
            /* One tick past anything this server's entry has reached. */
            uint32_t self = sim_self(c), mine = v->vc[self] > d->counter ? v->vc[self] : d->counter;
            sim_assert(mine < UINT32_MAX && self < QUORUM_VC_MAX);
            d->counter = v->vc[self] = mine + 1;
            quorum_vc_merge(quorum_seen(c, req->key), v->vc);
        }
    }
    /* The preference list; with hinted handoff, suspected replicas are replaced at
     * once by the next healthy servers along the ring (the first n healthy nodes). */
    uint32_t pref[QUORUM_N_MAX];
    uint32_t n = quorum_pref(c, req->key, pref);
    for (uint32_t i = 0; i < n; i++) {
        op->target[op->n_targets] = pref[i];
        op->hint_for[op->n_targets] = QUORUM_NONE;
        op->n_targets++;
    }
    if (cfg->hinted_handoff)
        for (uint32_t i = 0; i < n; i++) {
            if (pref[i] == sim_self(c) || !quorum_suspected(c, pref[i])) continue;
            uint32_t s = quorum_standin(c, op);
            if (s == QUORUM_NONE) break;
            op->target[i] = s;
            op->hint_for[i] = pref[i];
        }
    for (uint32_t i = 0; i < op->n_targets; i++) quorum_ask(c, slot, op, i);
    uint64_t tag = quorum_tag(slot, op);
    sim_timer_set(c, cfg->suspect_after_ns, QUORUM_TIMER_SUSPECT, tag);
    sim_timer_set(c, cfg->request_timeout_ns, QUORUM_TIMER_DEADLINE, tag);
    quorum_maybe_answer(c, op);
    quorum_maybe_finish(c, op);
}

/* Routes a request to a coordinator (forwarding it if that is not this server). */
static void quorum_route(sim_ctx *c, const sim_req_t *req, uint32_t hops)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    if (req->key >= cfg->n_keys || (req->f != SIM_OP_READ && req->f != SIM_OP_WRITE)) {
        sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0);
        return;
    }
    uint32_t to = sim_self(c);
    if (cfg->coordinator == QUORUM_COORD_CLIENT) {
        to = cfg->coord_node;
    } else {
        uint32_t pref[QUORUM_N_MAX];
        uint32_t n = quorum_pref(c, req->key, pref);
        if (n == 0) { sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0); return; }
        bool mine = false;
        for (uint32_t i = 0; i < n; i++) mine |= pref[i] == sim_self(c);
        if (!mine) {
            to = pref[0];
            for (uint32_t i = n; i-- > 0;)
                if (!quorum_suspected(c, pref[i])) to = pref[i];
        }
    }
    if (to == sim_self(c)) { quorum_coordinate(c, req); return; }
    if (hops >= QUORUM_HOPS_MAX) { sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0); return; }
    quorum_forward_t f = {*req, hops + 1, 0};
    quorum_disk(c)->forwarded++;
    sim_send(c, to, QUORUM_MSG_FORWARD, &f, sizeof f, 0);
}

static void quorum_request(sim_ctx *c, const sim_req_t *req) { quorum_route(c, req, 0); }

/* Finds which target of op answered, by sender. */
static int quorum_target_index(const quorum_op_t *op, uint32_t from)
{
    for (uint32_t i = 0; i < op->n_targets; i++)
        if (op->target[i] == from && !op->answered[i]) return (int)i;
    return -1;
}

static void quorum_on_suspect(sim_ctx *c, uint32_t slot, quorum_op_t *op)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    uint32_t before = op->n_targets;
    for (uint32_t i = 0; i < before; i++) {
        if (op->answered[i]) continue;
        quorum_suspects(c)[op->target[i]] = sim_now(c) + cfg->suspect_for_ns;
        bool short_of_quorum = op->write ? op->acks < (uint32_t)cfg->w : op->answers < (uint32_t)cfg->r;
        /* One round per request: each silent replica gets at most one stand-in, so
         * n replicas and n stand-ins always fit. */
        if (!cfg->hinted_handoff || !short_of_quorum || op->n_targets == QUORUM_TARGETS_MAX) continue;
        uint32_t s = quorum_standin(c, op);
        if (s == QUORUM_NONE) continue;
        uint32_t j = op->n_targets++;
        op->target[j] = s;
        op->hint_for[j] = op->hint_for[i] != QUORUM_NONE ? op->hint_for[i] : op->target[i];
        quorum_ask(c, slot, op, j);
    }
    quorum_maybe_answer(c, op);
    quorum_maybe_finish(c, op);
}

static void quorum_on_deadline(sim_ctx *c, quorum_op_t *op)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_durable_t *d = quorum_disk(c);
    for (uint32_t i = 0; i < op->n_targets; i++)
        if (!op->answered[i]) quorum_suspects(c)[op->target[i]] = sim_now(c) + cfg->suspect_for_ns;
    if (!op->replied) {
        op->replied = 1;
        if (op->write) {
            d->writes_short++;          /* no answer: the client's timeout records "info" */
        } else {
            d->reads_unavailable++;
            sim_reply(c, &op->req, SIM_REPLY_UNAVAILABLE, NULL, 0);
        }
    }
    quorum_finish(c, op);
}

/* ---- Anti-entropy. ------------------------------------------------------------- */

/* Bucket hashes over the keys this server and `peer` both replicate. */
static void quorum_buckets(sim_ctx *c, uint32_t peer, uint64_t *bucket)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    memset(bucket, 0, QUORUM_AE_BUCKETS * sizeof *bucket);
    for (uint32_t k = 0; k < cfg->n_keys; k++) {
        if (!quorum_replicates(c, k, sim_self(c)) || !quorum_replicates(c, k, peer)) continue;
        bucket[k % QUORUM_AE_BUCKETS] += sim_mix64(quorum_rec(c, k)->hash ^ ((uint64_t)k << 1 | 1));
    }
}

/* Sends this server's records of the keys chosen by `want` (a bucket mask, or the
 * keys listed in a sync), in as many messages as it takes. */
static void quorum_send_sync(sim_ctx *c, uint32_t to, unsigned type, uint32_t mask, const quorum_sync_t *listed)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_sync_t *h = quorum_scratch(c);
    char *p = (char *)(h + 1), *end = (char *)h + QUORUM_SYNC_BYTES_MAX;
    h->n_records = 0;
    h->_pad = 0;
    const char *in = listed ? (const char *)(listed + 1) : NULL;
    uint32_t n_in = listed ? listed->n_records : 0;
    for (uint32_t k = 0, i = 0; listed ? i < n_in : k < cfg->n_keys; listed ? i++ : k++) {
        uint32_t key = k;
        if (listed) {
            quorum_sync_rec_t sr;
            memcpy(&sr, in, sizeof sr);
            in += sizeof sr + (size_t)sr.n * sizeof(quorum_version_t);
            key = sr.key;
        } else if (!(mask >> (k % QUORUM_AE_BUCKETS) & 1) || !quorum_replicates(c, k, sim_self(c)) ||
                   !quorum_replicates(c, k, to)) {
            continue;
        }
        const quorum_rec_t *r = quorum_rec(c, key);
        size_t need = sizeof(quorum_sync_rec_t) + (size_t)r->n * sizeof(quorum_version_t);
        if (p + need > end) {
            sim_send(c, to, type, h, (uint32_t)(p - (char *)h), 0);
            p = (char *)(h + 1);
            h->n_records = 0;
        }
        quorum_sync_rec_t sr = {key, r->n};
        memcpy(p, &sr, sizeof sr);
        memcpy(p + sizeof sr, r->v, (size_t)r->n * sizeof(quorum_version_t));
        p += need;
        h->n_records++;
    }
    if (h->n_records) sim_send(c, to, type, h, (uint32_t)(p - (char *)h), 0);
}

/* Checks a sync message's shape; returns false if malformed. */
static bool quorum_sync_ok(const quorum_config_t *cfg, const sim_msg_t *m)
{
    if (m->len < sizeof(quorum_sync_t)) return false;
    quorum_sync_t h;
    memcpy(&h, m->payload, sizeof h);
    size_t off = sizeof h;
    for (uint32_t i = 0; i < h.n_records; i++) {
        quorum_sync_rec_t sr;
        if (off + sizeof sr > m->len) return false;
        memcpy(&sr, (const char *)m->payload + off, sizeof sr);
        off += sizeof sr + (size_t)sr.n * sizeof(quorum_version_t);
        if (sr.key >= cfg->n_keys || sr.n > (uint32_t)cfg->max_siblings || off > m->len) return false;
    }
    return off == m->len;
}

/* Merges every record of a (well-formed) sync message. */
static void quorum_take_sync(sim_ctx *c, const sim_msg_t *m)
{
    const char *p = (const char *)m->payload + sizeof(quorum_sync_t);
    quorum_sync_t h;
    memcpy(&h, m->payload, sizeof h);
    quorum_version_t v[QUORUM_SIBLINGS_MAX];
    for (uint32_t i = 0; i < h.n_records; i++) {
        quorum_sync_rec_t sr;
        memcpy(&sr, p, sizeof sr);
        memcpy(v, p + sizeof sr, (size_t)sr.n * sizeof *v);
        p += sizeof sr + (size_t)sr.n * sizeof *v;
        if (!quorum_replicates(c, sr.key, sim_self(c))) continue;
        if (quorum_store_local(c, sr.key, v, sr.n)) quorum_disk(c)->ae_repairs++;
    }
}

static void quorum_anti_entropy(sim_ctx *c)
{
    const ring_t *ring = quorum_ring(c);
    uint32_t n = ring_n_members(ring);
    if (n < 2) return;
    uint32_t i = (uint32_t)rng_below(sim_rng(c), n), peer = ring_members(ring)[i];
    if (peer == sim_self(c)) peer = ring_members(ring)[(i + 1) % n];
    if (peer == sim_self(c)) return;
    quorum_digest_t dg;
    quorum_buckets(c, peer, dg.bucket);
    quorum_disk(c)->ae_rounds++;
    sim_send(c, peer, QUORUM_MSG_DIGEST, &dg, sizeof dg, 0);
}

/* ---- Messages and timers. ------------------------------------------------------ */

static bool quorum_versions_ok(const quorum_config_t *cfg, uint32_t len, size_t head, uint32_t n)
{
    return n <= (uint32_t)cfg->max_siblings && len == head + (size_t)n * sizeof(quorum_version_t);
}

static void quorum_message(sim_ctx *c, const sim_msg_t *m)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_durable_t *d = quorum_disk(c);
    if (m->from < cfg->n_servers) quorum_suspects(c)[m->from] = 0;     /* it is alive */
    switch (m->type) {
    case QUORUM_MSG_FORWARD: {
        quorum_forward_t f;
        if (m->len != sizeof f) return;
        memcpy(&f, m->payload, sizeof f);
        quorum_route(c, &f.req, f.hops);
        return;
    }
    case QUORUM_MSG_STORE:
    case QUORUM_MSG_HANDOFF: {
        quorum_store_t h;
        if (m->len < sizeof h) return;
        memcpy(&h, m->payload, sizeof h);
        if (h.key >= cfg->n_keys || !quorum_versions_ok(cfg, m->len, sizeof h, h.n)) return;
        quorum_version_t v[QUORUM_SIBLINGS_MAX];
        memcpy(v, (const char *)m->payload + sizeof h, (size_t)h.n * sizeof *v);
        /* Handed-back data is kept only by a replica: after a membership change the
         * stand-in also hands it to the key's new replicas. */
        if (m->type == QUORUM_MSG_STORE || quorum_replicates(c, h.key, sim_self(c))) quorum_store_local(c, h.key, v, h.n);
        if (m->type == QUORUM_MSG_STORE && h.hint_for != QUORUM_NONE && h.hint_for < cfg->n_servers)
            quorum_add_hint(c, h.key, h.hint_for);
        quorum_ack_t a = {h.tag, h.key, 0};
        if (m->type == QUORUM_MSG_HANDOFF) sim_send(c, m->from, QUORUM_MSG_HANDOFF_ACK, &a, sizeof a, 0);
        else if (h.tag) sim_send(c, m->from, QUORUM_MSG_STORE_ACK, &a, sizeof a, 0);
        return;
    }
    case QUORUM_MSG_STORE_ACK: {
        quorum_ack_t a;
        if (m->len != sizeof a) return;
        memcpy(&a, m->payload, sizeof a);
        quorum_op_t *op = quorum_find_op(c, a.tag, NULL);
        if (!op || !op->write) return;
        int i = quorum_target_index(op, m->from);
        if (i < 0) return;
        op->answered[i] = 1;
        op->acks++;
        quorum_maybe_answer(c, op);
        quorum_maybe_finish(c, op);
        return;
    }
    case QUORUM_MSG_FETCH: {
        quorum_ack_t f;
        if (m->len != sizeof f) return;
        memcpy(&f, m->payload, sizeof f);
        if (f.key >= cfg->n_keys) return;
        const quorum_rec_t *r = quorum_rec(c, f.key);
        quorum_fetched_t *h = quorum_scratch(c);
        h->tag = f.tag;
        h->key = f.key;
        h->n = r->n;
        memcpy(h + 1, r->v, (size_t)r->n * sizeof(quorum_version_t));
        sim_send(c, m->from, QUORUM_MSG_FETCH_REPLY, h, (uint32_t)(sizeof *h + (size_t)r->n * sizeof(quorum_version_t)), 0);
        return;
    }
    case QUORUM_MSG_FETCH_REPLY: {
        quorum_fetched_t h;
        if (m->len < sizeof h) return;
        memcpy(&h, m->payload, sizeof h);
        if (!quorum_versions_ok(cfg, m->len, sizeof h, h.n)) return;
        quorum_op_t *op = quorum_find_op(c, h.tag, NULL);
        if (!op || op->write || h.key != op->req.key) return;
        int i = quorum_target_index(op, m->from);
        if (i < 0) return;
        quorum_version_t v[QUORUM_SIBLINGS_MAX];
        memcpy(v, (const char *)m->payload + sizeof h, (size_t)h.n * sizeof *v);
        quorum_rec_t *merged = quorum_op_merged(op);
        uint64_t hash = 0;
        for (uint32_t j = 0; j < h.n; j++) {
            quorum_merge(c, h.key, merged, &v[j], false);
            hash += quorum_version_hash(&v[j]);
        }
        op->answered[i] = 1;
        op->answer_hash[i] = hash;
        op->answers++;
        quorum_maybe_answer(c, op);
        quorum_maybe_finish(c, op);
        return;
    }
    case QUORUM_MSG_HANDOFF_ACK: {
        quorum_ack_t a;
        if (m->len != sizeof a) return;
        memcpy(&a, m->payload, sizeof a);
        quorum_hint_t *hints = quorum_hints(c);
        for (uint32_t i = 0; i < d->n_hints; i++)
            if (hints[i].key == a.key && hints[i].node == m->from) {
                hints[i] = hints[--d->n_hints];
                d->hints_delivered++;
                break;
            }
        /* The last hint for a key this server does not replicate: its copy goes. */
        if (a.key < cfg->n_keys && !quorum_has_hint_for_key(c, a.key) && !quorum_replicates(c, a.key, sim_self(c)))
            quorum_drop_local(c, a.key);
        return;
    }
    case QUORUM_MSG_DIGEST: {
        quorum_digest_t theirs, mine;
        if (m->len != sizeof theirs) return;
        memcpy(&theirs, m->payload, sizeof theirs);
        quorum_buckets(c, m->from, mine.bucket);
        uint32_t mask = 0;
        for (int b = 0; b < QUORUM_AE_BUCKETS; b++)
            if (mine.bucket[b] != theirs.bucket[b]) mask |= 1u << b;
        if (mask) quorum_send_sync(c, m->from, QUORUM_MSG_SYNC, mask, NULL);
        return;
    }
    case QUORUM_MSG_SYNC:
    case QUORUM_MSG_SYNC_REPLY: {
        if (!quorum_sync_ok(cfg, m)) return;
        quorum_take_sync(c, m);
        /* Answer with our versions of the same keys, merged: both sides now agree. */
        if (m->type == QUORUM_MSG_SYNC) quorum_send_sync(c, m->from, QUORUM_MSG_SYNC_REPLY, 0, m->payload);
        return;
    }
    }
}

static void quorum_timer(sim_ctx *c, int kind, uint64_t data)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_durable_t *d = quorum_disk(c);
    switch (kind) {
    case QUORUM_TIMER_SUSPECT:
    case QUORUM_TIMER_DEADLINE: {
        uint32_t slot;
        quorum_op_t *op = quorum_find_op(c, data, &slot);
        if (!op) return;
        if (kind == QUORUM_TIMER_SUSPECT) quorum_on_suspect(c, slot, op);
        else quorum_on_deadline(c, op);
        return;
    }
    case QUORUM_TIMER_HANDOFF: {
        sim_timer_set(c, cfg->handoff_ns, QUORUM_TIMER_HANDOFF, 0);
        const quorum_hint_t *h = quorum_hints(c);
        for (uint32_t i = 0; i < d->n_hints; i++)
            quorum_send_versions(c, h[i].node, QUORUM_MSG_HANDOFF, 0, h[i].key, h[i].node, quorum_rec(c, h[i].key));
        return;
    }
    case QUORUM_TIMER_ANTI_ENTROPY:
        sim_timer_set(c, cfg->anti_entropy_ns, QUORUM_TIMER_ANTI_ENTROPY, 0);
        quorum_anti_entropy(c);
        return;
    }
}

/* ---- Lifecycle. ---------------------------------------------------------------- */

static bool quorum_on_ring(void *ud, uint32_t node)
{
    sim_ctx *c = ud;
    return sim_is_member(c, node) && node != quorum_cfg(c)->coord_node;
}

static void quorum_rebuild(sim_ctx *c)
{
    ring_build_from(quorum_ring(c), quorum_on_ring, c);
    quorum_recount(c);
    quorum_hint_misplaced(c);
}

static void quorum_init(sim_ctx *c)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_durable_t *d = quorum_disk(c);
    ring_init(quorum_ring(c), RING_CONSISTENT, cfg->n_servers, (uint32_t)cfg->vnodes, cfg->n_keys);
    d->formatted = 1;
    quorum_rebuild(c);
    bool coordinator = sim_self(c) == cfg->coord_node;
    sim_set_role(c, coordinator ? SIM_ROLE_COORDINATOR : SIM_ROLE_REPLICA, 0);
    /* Random phases, so servers do not act in lockstep. */
    sim_timer_set(c, (sim_time_t)rng_below(sim_rng(c), (uint64_t)cfg->handoff_ns) + 1, QUORUM_TIMER_HANDOFF, 0);
    if (cfg->anti_entropy && !coordinator)
        sim_timer_set(c, (sim_time_t)rng_below(sim_rng(c), (uint64_t)cfg->anti_entropy_ns) + 1, QUORUM_TIMER_ANTI_ENTROPY, 0);
}

static void quorum_membership(sim_ctx *c, uint32_t node, bool joined) { quorum_rebuild(c); }

/* ---- Views. -------------------------------------------------------------------- */

static void quorum_describe(sim_ctx *c, proto_desc_t *desc)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_durable_t *d = quorum_disk(c);
    uint32_t held = 0, most = 0;
    for (uint32_t k = 0; k < cfg->n_keys; k++) {
        uint32_t n = quorum_rec(c, k)->n;
        held += n > 0;
        if (n > most) most = n;
    }
    desc->log_len = held;
    /* Only what is there: "92 keys", "92 keys, 3 siblings at most, 2 hints, 1 pending". */
    uint32_t pending = ((quorum_state_t *)sim_state(c))->n_pending;
    int o = snprintf(desc->line, sizeof desc->line, "%u keys", held);
    if (most > 1 && o > 0 && (size_t)o < sizeof desc->line) o += snprintf(desc->line + o, sizeof desc->line - (size_t)o, ", %u siblings at most", most);
    if (d->n_hints && o > 0 && (size_t)o < sizeof desc->line) o += snprintf(desc->line + o, sizeof desc->line - (size_t)o, ", %u hint%s", d->n_hints, d->n_hints == 1 ? "" : "s");
    if (pending && o > 0 && (size_t)o < sizeof desc->line) snprintf(desc->line + o, sizeof desc->line - (size_t)o, ", %u pending", pending);
}

static void quorum_export(sim_ctx *c, jw_t *w)
{
    const quorum_config_t *cfg = quorum_cfg(c);
    quorum_durable_t *d = quorum_disk(c);
    jw_obj_begin(w);
    jw_key(w, "keys");
    jw_obj_begin(w);
    for (uint32_t k = 0; k < cfg->n_keys; k++) {
        const quorum_rec_t *r = quorum_rec(c, k);
        if (r->n == 0) continue;
        char name[24];
        snprintf(name, sizeof name, "k%u", k);
        if (r->n == 1) { jw_kint(w, name, r->v[0].value); continue; }
        jw_key(w, name);
        jw_arr_begin(w);
        for (uint32_t i = 0; i < r->n; i++) jw_int(w, r->v[i].value);
        jw_arr_end(w);
    }
    jw_obj_end(w);
    jw_key(w, "hints");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < d->n_hints; i++) {
        jw_obj_begin(w);
        jw_kuint(w, "key", quorum_hints(c)[i].key);
        jw_kstr(w, "for", sim_node_name(c, quorum_hints(c)[i].node));
        jw_obj_end(w);
    }
    jw_arr_end(w);
    jw_kuint(w, "pending", ((quorum_state_t *)sim_state(c))->n_pending);
    jw_obj_end(w);
}

static const quorum_config_t *quorum_sim_cfg(sim_t *s) { return sim_config_of(s); }

uint32_t quorum_view_replicas(sim_t *s, uint32_t node, uint32_t key, uint32_t *out, uint32_t max)
{
    if (strcmp(sim_protocol(s)->name, proto_quorum.name) != 0 || node >= sim_n_servers(s) || !sim_node_up(s, node)) return 0;
    const quorum_config_t *cfg = quorum_sim_cfg(s);
    const ring_t *r = (const ring_t *)((char *)sim_node_state(s, node) + cfg->ring_off);
    if (key >= cfg->n_keys || !ring_n_members(r)) return 0;
    uint32_t n = (uint32_t)cfg->n < max ? (uint32_t)cfg->n : max;
    return ring_replicas(r, key, n, out);
}

bool quorum_view_key(sim_t *s, uint32_t node, uint32_t key, quorum_key_view_t *out)
{
    if (strcmp(sim_protocol(s)->name, proto_quorum.name) != 0 || node >= sim_n_servers(s)) return false;
    const quorum_config_t *cfg = quorum_sim_cfg(s);
    if (key >= cfg->n_keys) return false;
    const quorum_durable_t *d = sim_node_durable(s, node);
    memset(out, 0, sizeof *out);
    if (!d->formatted) return true;
    const quorum_rec_t *r = quorum_rec_in(cfg, sim_node_durable(s, node), key);
    out->n = r->n;
    for (uint32_t i = 0; i < r->n && i < QUORUM_VIEW_VERSIONS; i++) {
        out->value[i] = r->v[i].value;
        out->born_ns[i] = r->v[i].born_ns;
        out->stamp_ns[i] = cfg->versions == QUORUM_LWW ? r->v[i].ts_ns : 0;
    }
    return true;
}

/* Converged: no server holds a key it does not replicate (hints handed back), and
 * every replica of every key holds the same versions. The second is tested on sums
 * of record hashes: equal copies make the sum over all servers exactly n times the
 * sum over each key's first replica (a 64-bit collision aside). Disks of crashed
 * servers count: their data is still there, just not reachable. */
static bool quorum_equal(sim_t *s)
{
    const quorum_config_t *cfg = quorum_sim_cfg(s);
    uint64_t held = 0, first = 0;
    uint32_t members = 0;
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        const quorum_durable_t *d = sim_node_durable(s, i);
        if (!d->formatted) continue;
        if (d->n_misplaced) return false;
        held += d->digest_held;
        first += d->digest_first;
        if (d->ring_members > members) members = d->ring_members;
    }
    uint64_t copies = (uint64_t)cfg->n < members ? (uint64_t)cfg->n : members;
    return held == copies * first;
}

static void quorum_summary(sim_t *s, jw_t *w)
{
    const quorum_config_t *cfg = quorum_sim_cfg(s);
    quorum_durable_t t;
    memset(&t, 0, sizeof t);
    uint32_t n = sim_n_servers(s);
    for (uint32_t i = 0; i < n; i++) {
        const quorum_durable_t *d = sim_node_durable(s, i);
        t.writes_ok += d->writes_ok;
        t.writes_short += d->writes_short;
        t.reads_ok += d->reads_ok;
        t.reads_unavailable += d->reads_unavailable;
        t.reads_with_siblings += d->reads_with_siblings;
        t.shed += d->shed;
        t.forwarded += d->forwarded;
        t.duplicates += d->duplicates;
        t.read_repairs += d->read_repairs;
        t.hints_stored += d->hints_stored;
        t.hints_delivered += d->hints_delivered;
        t.ae_rounds += d->ae_rounds;
        t.ae_repairs += d->ae_repairs;
        t.lww_discards += d->lww_discards;
        if (d->max_siblings_read > t.max_siblings_read) t.max_siblings_read = d->max_siblings_read;
    }
    jw_kint(w, "n", cfg->n);
    jw_kint(w, "r", cfg->r);
    jw_kint(w, "w", cfg->w);
    jw_kstr(w, "versions", cfg->versions == QUORUM_LWW ? "lww" : "vector");
    jw_kstr(w, "coordinator", cfg->coordinator == QUORUM_COORD_CLIENT ? sim_name_of(s, cfg->coord_node) : "replica");
    jw_kuint(w, "writes_ok", t.writes_ok);
    jw_kuint(w, "writes_without_quorum", t.writes_short);
    jw_kuint(w, "reads_ok", t.reads_ok);
    jw_kuint(w, "reads_unavailable", t.reads_unavailable);
    jw_kuint(w, "reads_with_siblings", t.reads_with_siblings);
    jw_kuint(w, "max_siblings_read", t.max_siblings_read);
    jw_kuint(w, "shed", t.shed);
    jw_kuint(w, "forwarded", t.forwarded);
    jw_kuint(w, "duplicate_writes_ignored", t.duplicates);
    jw_kuint(w, "read_repairs", t.read_repairs);
    jw_kuint(w, "hints_stored", t.hints_stored);
    jw_kuint(w, "hints_delivered", t.hints_delivered);
    jw_kuint(w, "anti_entropy_rounds", t.ae_rounds);
    jw_kuint(w, "anti_entropy_repairs", t.ae_repairs);
    /* Writes LWW threw away for an earlier one, told apart by (key, value) across
     * servers; each server remembers up to QUORUM_LOST_MAX of them. */
    uint32_t distinct = 0;
    bool full = false;
    jw_key(w, "lww_lost_examples");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < n; i++) {
        const quorum_durable_t *d = sim_node_durable(s, i);
        full |= d->n_lost == QUORUM_LOST_MAX;
        for (uint32_t j = 0; j < d->n_lost; j++) {
            const quorum_lost_t *l = &d->lost[j];
            bool seen = false;
            for (uint32_t a = 0; a <= i && !seen; a++) {
                const quorum_durable_t *e = sim_node_durable(s, a);
                for (uint32_t b = 0; b < (a == i ? j : e->n_lost) && !seen; b++)
                    seen = e->lost[b].key == l->key && e->lost[b].lost.value == l->lost.value;
            }
            if (seen) continue;
            if (distinct++ >= 8) continue;
            char key[24];
            snprintf(key, sizeof key, "k%u", l->key);
            jw_obj_begin(w);
            jw_kstr(w, "key", key);
            jw_kint(w, "lost_value", l->lost.value);
            jw_kint(w, "lost_written_ns", l->lost.born_ns);
            jw_kint(w, "lost_stamp_ns", l->lost.ts_ns);
            jw_kint(w, "kept_value", l->kept.value);
            jw_kint(w, "kept_written_ns", l->kept.born_ns);
            jw_kint(w, "kept_stamp_ns", l->kept.ts_ns);
            jw_obj_end(w);
        }
    }
    jw_arr_end(w);
    jw_kuint(w, "lww_lost_writes", distinct);
    jw_kbool(w, "lww_lost_writes_at_least", full);
}

/* ---- Parameters and registration. ---------------------------------------------- */

static int quorum_configure(void *cfgp, const proto_env_t *env, char *err, size_t len)
{
    quorum_config_t *cfg = cfgp;
    bool client = cfg->coordinator == QUORUM_COORD_CLIENT;
    uint32_t ring_servers = client ? env->n_servers - 1 : env->n_servers;
    if (env->n_servers > QUORUM_SERVERS_MAX || (client && env->n_servers < 2)) {
        snprintf(err, len, "quorum needs 1 to %d servers (2 or more with coordinator \"client\"), found %u",
                 QUORUM_SERVERS_MAX, env->n_servers);
        return SIM_EINPUT;
    }
    if ((uint64_t)cfg->n > ring_servers) {
        snprintf(err, len, "n (%lld) is more than the %u servers that can hold replicas%s", (long long)cfg->n, ring_servers,
                 client ? " (the last server coordinates and holds none)" : "");
        return SIM_EINPUT;
    }
    if (cfg->r > cfg->n || cfg->w > cfg->n) {
        snprintf(err, len, "r (%lld) and w (%lld) must each be at most n (%lld)", (long long)cfg->r, (long long)cfg->w,
                 (long long)cfg->n);
        return SIM_EINPUT;
    }
    if (cfg->versions == QUORUM_VECTOR && env->n_servers > QUORUM_VC_MAX) {
        snprintf(err, len, "versions \"vector\" keeps one clock entry per server, at most QUORUM_VC_MAX (%d); found %u servers",
                 QUORUM_VC_MAX, env->n_servers);
        return SIM_EINPUT;
    }
    if (cfg->versions == QUORUM_LWW) cfg->max_siblings = 1;
    if ((uint64_t)cfg->vnodes * env->n_servers > RING_POINTS_MAX) {
        snprintf(err, len, "vnodes (%lld) times servers (%u) is more than RING_POINTS_MAX (%u); lower vnodes",
                 (long long)cfg->vnodes, env->n_servers, RING_POINTS_MAX);
        return SIM_EINPUT;
    }
    if (cfg->suspect_after_ns >= cfg->request_timeout_ns) {
        snprintf(err, len, "suspect_after must be shorter than request_timeout, or no stand-in is ever asked in time");
        return SIM_EINPUT;
    }
    cfg->n_servers = env->n_servers;
    cfg->n_keys = env->n_keys;
    cfg->coord_node = client ? env->n_servers - 1 : QUORUM_NONE;
    cfg->rec_size = quorum_align8(quorum_rec_bytes((uint32_t)cfg->max_siblings));
    cfg->op_size = quorum_align8(quorum_align8(sizeof(quorum_op_t)) + cfg->rec_size);
    cfg->ring_size = quorum_align8(ring_bytes(cfg->n_servers, (uint32_t)cfg->vnodes));
    cfg->ring_off = quorum_align8(sizeof(quorum_state_t));
    cfg->suspect_off = cfg->ring_off + cfg->ring_size;
    cfg->ops_off = cfg->suspect_off + (size_t)cfg->n_servers * sizeof(sim_time_t);
    cfg->scratch_off = cfg->ops_off + (size_t)cfg->max_pending * cfg->op_size;
    cfg->state_bytes = cfg->scratch_off + QUORUM_SYNC_BYTES_MAX;
    size_t seen = cfg->versions == QUORUM_VECTOR ? (size_t)cfg->n_keys * QUORUM_VC_MAX * sizeof(uint32_t) : 0;
    cfg->seen_off = quorum_align8(sizeof(quorum_durable_t));
    cfg->hints_off = quorum_align8(cfg->seen_off + seen);
    cfg->recs_off = quorum_align8(cfg->hints_off + (size_t)cfg->max_hints * sizeof(quorum_hint_t));
    cfg->durable_bytes = cfg->recs_off + (size_t)cfg->n_keys * cfg->rec_size;
    if ((uint64_t)cfg->durable_bytes * cfg->n_servers > QUORUM_STORE_BYTES_MAX) {
        snprintf(err, len, "%u servers with a store of %u keys (%lld siblings each) need %llu bytes, more than "
                 "QUORUM_STORE_BYTES_MAX (%llu); use fewer keys, servers or max_siblings", cfg->n_servers, cfg->n_keys,
                 (long long)cfg->max_siblings, (unsigned long long)cfg->durable_bytes * cfg->n_servers,
                 QUORUM_STORE_BYTES_MAX);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

static size_t quorum_state_size(const void *cfgp) { return ((const quorum_config_t *)cfgp)->state_bytes; }
static size_t quorum_durable_size(const void *cfgp) { return ((const quorum_config_t *)cfgp)->durable_bytes; }

static const char *const quorum_msg_types[] = {
    "forward", "store", "store-ack", "fetch", "fetch-reply", "handoff", "handoff-ack", "digest", "sync", "sync-reply", NULL,
};

static const proto_param_t quorum_params[] = {
    {"n", PROTO_PARAM_INT, "3", 1, QUORUM_N_MAX, NULL, offsetof(quorum_config_t, n), "replicas of each key"},
    {"r", PROTO_PARAM_INT, "2", 1, QUORUM_N_MAX, NULL, offsetof(quorum_config_t, r), "answers a read waits for"},
    {"w", PROTO_PARAM_INT, "2", 1, QUORUM_N_MAX, NULL, offsetof(quorum_config_t, w), "acknowledgements a write waits for"},
    {"vnodes", PROTO_PARAM_INT, "8", 1, RING_VNODES_MAX, NULL, offsetof(quorum_config_t, vnodes),
     "points per server on the consistent-hashing ring"},
    {"coordinator", PROTO_PARAM_ENUM, "replica", 1, 0, "replica|client", offsetof(quorum_config_t, coordinator),
     "who coordinates: one of the key's replicas, or the last server standing in for a client library"},
    {"versions", PROTO_PARAM_ENUM, "lww", 1, 0, "lww|vector", offsetof(quorum_config_t, versions),
     "last-writer-wins by the coordinator's clock, or vector clocks with siblings"},
    {"read_repair", PROTO_PARAM_BOOL, "true", 1, 0, NULL, offsetof(quorum_config_t, read_repair),
     "after a read, send the newest version to replicas that answered with an older one"},
    {"hinted_handoff", PROTO_PARAM_BOOL, "false", 1, 0, NULL, offsetof(quorum_config_t, hinted_handoff),
     "sloppy quorum: write to the next server on the ring when a replica does not answer, and hand it back later"},
    {"anti_entropy", PROTO_PARAM_BOOL, "false", 1, 0, NULL, offsetof(quorum_config_t, anti_entropy),
     "periodically compare bucket hashes with another replica and exchange what differs"},
    {"anti_entropy_period", PROTO_PARAM_DURATION, "1s", 1e6, 1e15, NULL, offsetof(quorum_config_t, anti_entropy_ns),
     "how often each server starts an anti-entropy round"},
    {"request_timeout", PROTO_PARAM_DURATION, "500ms", 1e6, 1e12, NULL, offsetof(quorum_config_t, request_timeout_ns),
     "how long a coordinator waits for a quorum (a read then answers unavailable, a write nothing)"},
    {"suspect_after", PROTO_PARAM_DURATION, "100ms", 1e5, 1e12, NULL, offsetof(quorum_config_t, suspect_after_ns),
     "silence after which a replica is suspected and, with hinted handoff, replaced by a stand-in"},
    {"suspect_for", PROTO_PARAM_DURATION, "1s", 1e6, 1e12, NULL, offsetof(quorum_config_t, suspect_for_ns),
     "how long a suspected server is passed over"},
    {"handoff", PROTO_PARAM_DURATION, "500ms", 1e6, 1e12, NULL, offsetof(quorum_config_t, handoff_ns),
     "how often a stand-in tries to hand hinted data back"},
    {"max_siblings", PROTO_PARAM_INT, "8", 1, QUORUM_SIBLINGS_MAX, NULL, offsetof(quorum_config_t, max_siblings),
     "concurrent versions one key may hold (vector mode)"},
    {"max_hints", PROTO_PARAM_INT, "4096", 1, 1 << 20, NULL, offsetof(quorum_config_t, max_hints),
     "hints one server can keep for unreachable replicas"},
    {"max_pending", PROTO_PARAM_INT, "1024", 1, 1 << 16, NULL, offsetof(quorum_config_t, max_pending),
     "requests one coordinator runs at once; more are answered unavailable"},
    {"variant", PROTO_PARAM_ENUM, "none", 1, 0, "none|coordinate-duplicates", offsetof(quorum_config_t, variant),
     "a deliberate bug: coordinate every copy of a duplicated write, each with a new version"},
    {NULL},
};


/* The human summary's lines, read from the JSON summary (proto_line_t). */
static const proto_line_t dynamo_lines[] = {
    {"stale reads", "{stale_reads.stale} of {stale_reads.reads} register reads stale, worst by {stale_reads.max_staleness_ns|ns}; 99.9% consistent after {t_consistent_999_ns|ns}"},
    {"visibility", "t={t_visibility[#].t_ns|ns}: {t_visibility[#].p_consistent|pct} of {t_visibility[#].reads} reads made t after a write saw it"},
    {"quorums", "n = {protocol_stats.n}, r = {protocol_stats.r}, w = {protocol_stats.w}, versions {protocol_stats.versions|s}"},
    {"writes", "{protocol_stats.writes_ok} acknowledged, {protocol_stats.writes_without_quorum} without a quorum"},
    {"reads", "{protocol_stats.reads_ok} answered, {protocol_stats.reads_unavailable} unavailable, {protocol_stats.reads_with_siblings} with siblings"},
    {"repair", "{protocol_stats.read_repairs} read repairs, {protocol_stats.hints_stored} hints stored and {protocol_stats.hints_delivered} delivered, {protocol_stats.anti_entropy_repairs} anti-entropy repairs"},
    {"lww lost", "{protocol_stats.lww_lost_writes} acknowledged writes lost to last-writer-wins"},
    {"converged", "replicas equal {convergence_ns|ns} after the last fault"},
    {NULL, NULL},
};
/* Values of the versions that follow a header, "7 (stamp 1.2s)" or "7 | 9" for
 * siblings, for the window's hover. */
static int quorum_versions_text(const void *p, uint32_t n, uint32_t room, char *buf, size_t len)
{
    int o = 0;
    for (uint32_t i = 0; i < n && (i + 1) * sizeof(quorum_version_t) <= room && (size_t)o < len; i++) {
        quorum_version_t v;
        memcpy(&v, (const char *)p + i * sizeof v, sizeof v);
        char t[32];
        o += snprintf(buf + o, len - (size_t)o, "%s%" PRId64 " (stamp %s)", i ? " | " : "", v.value,
                      sim_format_duration_short(v.ts_ns, t, sizeof t));
    }
    if (n == 0 && len) o = snprintf(buf, len, "nothing");
    return o;
}

static int quorum_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    char vals[160];
    switch (type) {
    case QUORUM_MSG_FORWARD: {
        quorum_forward_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "client's %s of k%u, hop %u", m.req.f < SIM_OP_COUNT_ ? sim_op_names[m.req.f] : "?", m.req.key, m.hops);
    }
    case QUORUM_MSG_STORE:
    case QUORUM_MSG_HANDOFF: {
        quorum_store_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        quorum_versions_text((const char *)payload + sizeof m, m.n, len - (uint32_t)sizeof m, vals, sizeof vals);
        if (m.hint_for != QUORUM_NONE) return snprintf(buf, buf_len, "k%u = %s, held as a hint for n%u", m.key, vals, m.hint_for + 1);
        return snprintf(buf, buf_len, "k%u = %s", m.key, vals);
    }
    case QUORUM_MSG_STORE_ACK:
    case QUORUM_MSG_HANDOFF_ACK:
        if (len < sizeof(quorum_ack_t)) return 0;
        { quorum_ack_t m; memcpy(&m, payload, sizeof m); return snprintf(buf, buf_len, "k%u stored", m.key); }
    case QUORUM_MSG_FETCH:
        if (len < sizeof(quorum_ack_t)) return 0;
        { quorum_ack_t m; memcpy(&m, payload, sizeof m); return snprintf(buf, buf_len, "read k%u", m.key); }
    case QUORUM_MSG_FETCH_REPLY: {
        quorum_fetched_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        quorum_versions_text((const char *)payload + sizeof m, m.n, len - (uint32_t)sizeof m, vals, sizeof vals);
        return snprintf(buf, buf_len, "k%u holds %s", m.key, vals);
    }
    case QUORUM_MSG_DIGEST: return snprintf(buf, buf_len, "anti-entropy: hashes of %d key buckets", QUORUM_AE_BUCKETS);
    case QUORUM_MSG_SYNC:
    case QUORUM_MSG_SYNC_REPLY:
        if (len < sizeof(quorum_sync_t)) return 0;
        { quorum_sync_t m; memcpy(&m, payload, sizeof m); return snprintf(buf, buf_len, "anti-entropy: %u keys' versions", m.n_records); }
    }
    return 0;
}

const proto_t proto_quorum = {
    .version = PROTO_VERSION,
    .name = "quorum",
    .purpose = "Dynamo-style quorum replication: N replicas, R and W quorums, LWW or vector clocks, sloppy quorums",
    .state_size = sizeof(quorum_state_t),
    .durable_size = sizeof(quorum_durable_t),
    .config_size = sizeof(quorum_config_t),
    .msg_types = quorum_msg_types,
    .params = quorum_params,
    .configure = quorum_configure,
    .state_size_for = quorum_state_size,
    .init = quorum_init,
    .on_message = quorum_message,
    .on_timer = quorum_timer,
    .on_request = quorum_request,
    .describe = quorum_describe,
    .export_state = quorum_export,
    .summary = quorum_summary,
    .durable_size_for = quorum_durable_size,
    .on_membership = quorum_membership,
    .replicas_equal = quorum_equal,
    .summary_omit = PROTO_OMIT_LEADERS | PROTO_OMIT_STALENESS,   /* its own lines say it, in the window too */
    .summary_lines = dynamo_lines,
    .describe_msg = quorum_describe_msg,
};
