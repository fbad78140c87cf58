/* shard.c -- a partitioned key-value store: each key lives on one server, and moves.
 *
 * One server cannot hold every key or serve every request, so the keys are spread
 * over the servers: that is partitioning, or sharding. The parameter `scheme` picks
 * the rule that maps a key to its owner (ring.h explains all three):
 *
 *   mod          owner = members[hash(key) mod N]
 *   range        keys 0 .. K-1 cut into N contiguous ranges
 *   consistent   the first of the members' `vnodes` points clockwise from the key's
 *                hash on a circle (Karger et al., STOC 1997; DeCandia et al.,
 *                "Dynamo", SOSP 2007, section 4.2)
 *
 * A client may send a request to any server. A server that does not own the key
 * forwards it to the owner, which answers the client directly; with routing
 * "redirect" it answers "not here, ask n4" instead and the client retries there.
 * Forwarding costs one extra message inside the cluster; redirecting costs the client
 * a round trip but teaches it where keys live (a sticky client stays with the owner).
 *
 *      c1 ──write k7=5──> n1 ──forward──> n3 (owner of k7) ──ok──> c1
 *      c1 ──read k7─────> n1 ──redirect n3──> c1 ──read k7──> n3 ──5──> c1
 *
 * A crash takes down only what the crashed server owns: requests for its keys go
 * unanswered (the client times out) while every other key keeps working. The data is
 * on the server's disk (durable storage), so it is all there again after a restart.
 *
 * Membership changes at run time (the join and leave actions). Every server rebuilds
 * its ring from the new member set and compares it with the old one. For each key
 * whose owner changed, the old owner streams the key to the new owner -- also keys
 * never written, as empty records, so the new owner knows nothing is missing -- and
 * keeps its copy until the new owner acknowledges it:
 *
 *      join n6:   n2 (old owner of k3, k9, ...) ──move [k3=7 v4, k9=- v0, ...]──> n6
 *                 n2 <──────────────────────────── move-ack [k3 v4, k9 v0, ...]── n6
 *                 n2 deletes k3 (acknowledged at the version it sent)
 *
 * Until a key arrives, its new owner answers "unavailable" and the client retries a
 * little later (like Redis Cluster's TRYAGAIN during a slot migration): no server
 * serves a key while it is in transit, so no write can be lost in the move. Each key
 * carries a version, bumped by every write and carried along when it moves, so a late
 * or duplicated copy never overwrites a newer one. A new owner still waiting after
 * `handoff` asks the old owner again ("pull"); that covers lost messages and an old
 * owner that crashed and restarted. If the old owner is itself still waiting for the
 * key (two changes in a row), it answers with where it is waiting from, and the new
 * owner asks there instead. Everyone learns membership from the simulator
 * (sim_is_member), standing in for the configuration service (ZooKeeper, etcd) that
 * real sharded stores use; Dynamo instead gossips it (section 4.8).
 *
 * The number of keys that move is the point of the exercise: the summary reports the
 * fraction of keys whose owner changed at each join and leave. It is about all of
 * them for mod N, about half for even ranges, and about 1/N for consistent hashing.
 *
 * With `replicas` above 1 the owner is a primary with backups: the next members on
 * the ring, which receive each write asynchronously ("copy") and pull what they
 * missed every `handoff`. Backups do not serve requests -- serving from any replica
 * and reconciling afterwards is what the quorum protocol (dynamo.c) is about -- but
 * they count in the moved fraction, which is then about changed replica sets.
 */
#include <stdio.h>
#include <string.h>
#include "proto/kv.h"
#include "proto/proto.h"
#include "proto/ring.h"
#include "proto/shard.h"

#define SHARD_SERVERS_MAX 1024            /* servers (keys are scanned once per server when streaming) */
#define SHARD_REPLICAS_MAX 8              /* copies of one key */
#define SHARD_CHANGES_MAX 64              /* membership changes recorded for the summary */
#define SHARD_BATCH_MAX 128               /* records in one move, copy or pull message */
#define SHARD_HOPS_MAX 4                  /* forwards of one request before it is refused */
#define SHARD_STORE_BYTES_MAX (1ull << 30) /* every server's store together */
#define SHARD_NONE RING_NONE

enum { SHARD_ROUTE_FORWARD, SHARD_ROUTE_REDIRECT };
enum { SHARD_MSG_FORWARD, SHARD_MSG_MOVE, SHARD_MSG_MOVE_ACK, SHARD_MSG_PULL, SHARD_MSG_COPY };
enum { SHARD_TIMER_HANDOFF };

typedef struct shard_config {
    int scheme;                           /* ring_scheme_t */
    int routing;                          /* SHARD_ROUTE_* */
    int64_t vnodes;
    int64_t replicas;
    sim_time_t handoff_ns;
    /* Derived in shard_configure. */
    uint32_t n_servers, n_keys;
    size_t ring_size;
    size_t ring_off, old_off, dest_off, tmp_off, batch_off, state_bytes;
    size_t members_off, recs_off, durable_bytes;
} shard_config_t;

/* One key on a server's disk. */
typedef struct shard_rec {
    int64_t value;
    uint32_t version;                     /* changes applied to the key, anywhere, ever */
    uint32_t source;                      /* awaiting: the server streaming it here */
    uint8_t has;                          /* written (a copy of the key is here) */
    uint8_t awaiting;                     /* this server owns the key; its data is on the way */
    uint8_t _pad[6];
} shard_rec_t;

/* One key on the wire: move, copy and the answer to a pull. */
typedef struct shard_wire {
    uint32_t key;
    uint32_t version;
    int64_t value;
    uint32_t source;                      /* SHARD_NONE, or: "I am waiting for it from here myself" */
    uint8_t has;
    uint8_t _pad[3];
} shard_wire_t;

typedef struct shard_ack { uint32_t key, version; } shard_ack_t;

typedef struct shard_pull {               /* "send me this key if yours is newer than version" */
    uint32_t key, version;
    uint8_t always;                       /* the sender is waiting for it: answer even if not newer */
    uint8_t _pad[3];
} shard_pull_t;

typedef struct shard_forward {
    sim_req_t req;
    uint32_t hops;
    uint32_t _pad;
} shard_forward_t;

typedef struct shard_change {             /* one join or leave, as a server saw it */
    sim_time_t at_ns;
    uint32_t node;
    uint8_t joined;
    uint8_t _pad[3];
    uint32_t members_before, members_after;
    double moved_fraction;
    sim_time_t settled_ns;                /* when this server had nothing left to receive or hand off; -1: not yet */
} shard_change_t;

/* The disk: this header, the member set the data is arranged for (one byte per
 * server), then one shard_rec_t per key. The counters are sums over the keys, kept up
 * to date as records change, so that the convergence test reads a few numbers per
 * server instead of every key. */
typedef struct shard_durable {
    uint8_t formatted;
    uint8_t _pad[7];
    uint64_t n_awaiting;                  /* keys owned here and still on the way */
    uint64_t n_misplaced;                 /* keys held here that this server is not a replica of */
    uint64_t digest_held;                 /* sum of record hashes of every key held */
    uint64_t digest_primary;              /* ... of the keys this server is the primary of */
    /* Statistics. */
    uint64_t requests, forwarded, redirected, refused_moving, records_moved;
    uint32_t n_changes;
    uint32_t _pad2;
    shard_change_t changes[SHARD_CHANGES_MAX];
} shard_durable_t;

/* Volatile memory: this header, then the ring, the previous ring, a destination per
 * key (scratch for streaming), a member set (scratch) and a message buffer. */
typedef struct shard_state {
    uint64_t timer;
} shard_state_t;

/* ---- Layout. ------------------------------------------------------------------- */

static size_t shard_align8(size_t x) { return (x + 7) & ~(size_t)7; }
static const shard_config_t *shard_cfg(sim_ctx *c) { return sim_config(c); }
static ring_t *shard_ring(sim_ctx *c) { return (ring_t *)((char *)sim_state(c) + shard_cfg(c)->ring_off); }
static ring_t *shard_old_ring(sim_ctx *c) { return (ring_t *)((char *)sim_state(c) + shard_cfg(c)->old_off); }
static uint32_t *shard_dest(sim_ctx *c) { return (uint32_t *)((char *)sim_state(c) + shard_cfg(c)->dest_off); }
static uint8_t *shard_tmp_members(sim_ctx *c) { return (uint8_t *)sim_state(c) + shard_cfg(c)->tmp_off; }
static void *shard_batch(sim_ctx *c) { return (char *)sim_state(c) + shard_cfg(c)->batch_off; }
static shard_durable_t *shard_disk(sim_ctx *c) { return sim_durable(c); }
static uint8_t *shard_disk_members(const shard_config_t *cfg, void *disk) { return (uint8_t *)disk + cfg->members_off; }
static shard_rec_t *shard_recs(const shard_config_t *cfg, void *disk) { return (shard_rec_t *)((char *)disk + cfg->recs_off); }
static shard_rec_t *shard_rec(sim_ctx *c, uint32_t key)
{
    sim_assert(key < shard_cfg(c)->n_keys);
    return &shard_recs(shard_cfg(c), sim_durable(c))[key];
}
static uint32_t shard_n_replicas(const shard_config_t *cfg) { return (uint32_t)cfg->replicas; }

/* ---- Records and the counters that summarize them. ----------------------------- */

static uint64_t shard_rec_hash(uint32_t key, const shard_rec_t *r)
{
    return sim_mix64(((uint64_t)key << 32 | r->version) ^ sim_mix64((uint64_t)r->value));
}

/* Adds (sign 1) or removes (sign -1) one record's share of the disk's counters. */
static void shard_count(sim_ctx *c, uint32_t key, const shard_rec_t *r, int sign)
{
    const shard_config_t *cfg = shard_cfg(c);
    shard_durable_t *d = shard_disk(c);
    uint64_t one = sign > 0 ? 1 : (uint64_t)-1;
    if (r->awaiting) d->n_awaiting += one;
    if (!r->has) return;
    uint32_t reps[SHARD_REPLICAS_MAX];
    uint32_t n = ring_replicas(shard_ring(c), key, shard_n_replicas(cfg), reps);
    bool replica = false;
    for (uint32_t i = 0; i < n; i++) replica |= reps[i] == sim_self(c);
    if (!replica) d->n_misplaced += one;
    uint64_t h = shard_rec_hash(key, r) * one;
    d->digest_held += h;
    if (n && reps[0] == sim_self(c)) d->digest_primary += h;
}

/* Notes when this server is done with the latest membership change. */
static void shard_settle_check(sim_ctx *c)
{
    shard_durable_t *d = shard_disk(c);
    if (d->n_awaiting || d->n_misplaced || d->n_changes == 0) return;
    shard_change_t *ch = &d->changes[d->n_changes - 1];
    if (ch->settled_ns < 0) ch->settled_ns = sim_now(c);
}

/* Every change to a record goes through here, so the counters stay exact. */
static void shard_rec_set(sim_ctx *c, uint32_t key, const shard_rec_t *nr)
{
    shard_rec_t *r = shard_rec(c, key);
    shard_count(c, key, r, -1);
    *r = *nr;
    shard_count(c, key, r, 1);
    shard_settle_check(c);
}

static void shard_recount(sim_ctx *c)
{
    const shard_config_t *cfg = shard_cfg(c);
    shard_durable_t *d = shard_disk(c);
    d->n_awaiting = d->n_misplaced = d->digest_held = d->digest_primary = 0;
    for (uint32_t k = 0; k < cfg->n_keys; k++) shard_count(c, k, shard_rec(c, k), 1);
}

static bool shard_is_replica(sim_ctx *c, uint32_t key, uint32_t node)
{
    return ring_is_replica(shard_ring(c), key, shard_n_replicas(shard_cfg(c)), node);
}

/* ---- Streaming records. -------------------------------------------------------- */

static shard_wire_t shard_wire_of(uint32_t key, const shard_rec_t *r)
{
    shard_wire_t w = {key, r->version, r->value, r->awaiting ? r->source : SHARD_NONE, r->has, {0}};
    return w;
}

/* Sends, as messages of `type`, the record of every key k with dest[k] == to. */
static void shard_stream_to(sim_ctx *c, unsigned type, uint32_t to, const uint32_t *dest)
{
    const shard_config_t *cfg = shard_cfg(c);
    uint32_t *n = shard_batch(c);
    shard_wire_t *recs = (shard_wire_t *)(n + 2);
    *n = 0;
    for (uint32_t k = 0; k < cfg->n_keys; k++) {
        if (dest[k] != to) continue;
        recs[(*n)++] = shard_wire_of(k, shard_rec(c, k));
        if (*n == SHARD_BATCH_MAX) {
            sim_send(c, to, type, n, 8 + *n * (uint32_t)sizeof *recs, 0);
            *n = 0;
        }
    }
    if (*n) sim_send(c, to, type, n, 8 + *n * (uint32_t)sizeof *recs, 0);
}

/* Sends every key's record to dest[key], grouped into messages per destination. */
static void shard_stream(sim_ctx *c, unsigned type, const uint32_t *dest)
{
    const shard_config_t *cfg = shard_cfg(c);
    for (uint32_t to = 0; to < cfg->n_servers; to++) {
        if (to == sim_self(c)) continue;
        shard_stream_to(c, type, to, dest);
    }
}

/* Asks dest[key] for every key with a destination: "send it if newer than mine". */
static void shard_pull(sim_ctx *c, const uint32_t *dest)
{
    const shard_config_t *cfg = shard_cfg(c);
    uint32_t *n = shard_batch(c);
    shard_pull_t *p = (shard_pull_t *)(n + 2);
    for (uint32_t to = 0; to < cfg->n_servers; to++) {
        if (to == sim_self(c)) continue;
        *n = 0;
        for (uint32_t k = 0; k < cfg->n_keys; k++) {
            if (dest[k] != to) continue;
            const shard_rec_t *r = shard_rec(c, k);
            shard_pull_t q = {k, r->awaiting ? 0 : r->version, r->awaiting, {0}};
            p[(*n)++] = q;
            if (*n == SHARD_BATCH_MAX) { sim_send(c, to, SHARD_MSG_PULL, n, 8 + *n * (uint32_t)sizeof *p, 0); *n = 0; }
        }
        if (*n) sim_send(c, to, SHARD_MSG_PULL, n, 8 + *n * (uint32_t)sizeof *p, 0);
    }
}

/* A primary sends a key to its backups (after a write, or once it has the key). */
static void shard_copy_to_backups(sim_ctx *c, uint32_t key)
{
    const shard_config_t *cfg = shard_cfg(c);
    if (cfg->replicas < 2) return;
    uint32_t reps[SHARD_REPLICAS_MAX];
    uint32_t n = ring_replicas(shard_ring(c), key, shard_n_replicas(cfg), reps);
    if (!n || reps[0] != sim_self(c)) return;
    struct { uint32_t n, pad; shard_wire_t w; } m = {1, 0, shard_wire_of(key, shard_rec(c, key))};
    for (uint32_t i = 1; i < n; i++) sim_send(c, reps[i], SHARD_MSG_COPY, &m, sizeof m, 0);
}

/* ---- Membership. --------------------------------------------------------------- */

static bool shard_member_now(void *ud, uint32_t node) { return sim_is_member(ud, node); }
static bool shard_member_in(void *ud, uint32_t node) { return ((const uint8_t *)ud)[node] != 0; }

static void shard_rings_init(sim_ctx *c)
{
    const shard_config_t *cfg = shard_cfg(c);
    ring_init(shard_ring(c), (ring_scheme_t)cfg->scheme, cfg->n_servers, (uint32_t)cfg->vnodes, cfg->n_keys);
    ring_init(shard_old_ring(c), (ring_scheme_t)cfg->scheme, cfg->n_servers, (uint32_t)cfg->vnodes, cfg->n_keys);
}

static void shard_record_change(sim_ctx *c, uint32_t node, bool joined)
{
    const shard_config_t *cfg = shard_cfg(c);
    shard_durable_t *d = shard_disk(c);
    if (d->n_changes == SHARD_CHANGES_MAX) {
        sim_halt(c, "shard: node %s has seen more than SHARD_CHANGES_MAX (%d) joins and leaves; "
                 "the summary records at most that many", sim_node_name(c, sim_self(c)), SHARD_CHANGES_MAX);
        return;
    }
    shard_change_t *ch = &d->changes[d->n_changes++];
    ch->at_ns = sim_now(c);
    ch->node = node;
    ch->joined = joined;
    ch->members_before = ring_n_members(shard_old_ring(c));
    ch->members_after = ring_n_members(shard_ring(c));
    ch->moved_fraction = ring_moved_fraction(shard_old_ring(c), shard_ring(c), cfg->n_keys, shard_n_replicas(cfg));
    ch->settled_ns = -1;
}

/* The data on this disk was arranged for the member set `old`; the members are now
 * what sim_is_member says. Decide, key by key, what arrives, what leaves and what is
 * dropped, and start the streams. */
static void shard_transition(sim_ctx *c, const uint8_t *old, bool record, uint32_t node, bool joined)
{
    const shard_config_t *cfg = shard_cfg(c);
    ring_t *now = shard_ring(c), *before = shard_old_ring(c);
    uint32_t self = sim_self(c), *dest = shard_dest(c), R = shard_n_replicas(cfg);
    ring_build_from(before, shard_member_in, (void *)old);
    ring_build_from(now, shard_member_now, c);
    if (record) shard_record_change(c, node, joined);
    uint32_t oreps[SHARD_REPLICAS_MAX], nreps[SHARD_REPLICAS_MAX];
    for (uint32_t k = 0; k < cfg->n_keys; k++) {
        shard_rec_t r = *shard_rec(c, k);
        uint32_t no = ring_replicas(before, k, R, oreps), nn = ring_replicas(now, k, R, nreps);
        uint32_t o = no ? oreps[0] : SHARD_NONE, n = nn ? nreps[0] : SHARD_NONE;
        dest[k] = SHARD_NONE;
        bool replica_now = false;
        for (uint32_t i = 0; i < nn; i++) replica_now |= nreps[i] == self;
        if (n == self && o != self && o != SHARD_NONE && !r.awaiting) {
            r.awaiting = 1;                          /* it is ours now: wait for the old owner */
            r.source = o;
        } else if (o == self && n != self && n != SHARD_NONE && !r.awaiting) {
            dest[k] = n;                             /* ours no longer: stream it, keep it until acked */
        } else if (r.has && !r.awaiting && o != self && !replica_now) {
            r.has = 0;                               /* a backup copy nobody needs here any more */
            r.value = 0;
        }
        shard_rec_t *cur = shard_rec(c, k);
        *cur = r;                                    /* counters are recounted below */
    }
    uint8_t *disk_members = shard_disk_members(cfg, sim_durable(c));
    for (uint32_t i = 0; i < cfg->n_servers; i++) disk_members[i] = sim_is_member(c, i);
    shard_recount(c);
    shard_settle_check(c);
    shard_stream(c, SHARD_MSG_MOVE, dest);
    /* A primary that stays primary sends its keys to backups that are new. */
    if (R > 1) {
        for (uint32_t j = 1; j < R; j++) {
            for (uint32_t k = 0; k < cfg->n_keys; k++) {
                const shard_rec_t *r = shard_rec(c, k);
                dest[k] = SHARD_NONE;
                uint32_t nn = ring_replicas(now, k, R, nreps), no = ring_replicas(before, k, R, oreps);
                if (r->awaiting || !r->has || j >= nn || nreps[0] != self || no == 0 || oreps[0] != self) continue;
                bool was = false;
                for (uint32_t i = 0; i < no; i++) was |= oreps[i] == nreps[j];
                if (!was) dest[k] = nreps[j];
            }
            shard_stream(c, SHARD_MSG_COPY, dest);
        }
    }
}

/* ---- Serving requests. --------------------------------------------------------- */

static void shard_serve(sim_ctx *c, const sim_req_t *req, uint32_t hops)
{
    const shard_config_t *cfg = shard_cfg(c);
    shard_durable_t *d = shard_disk(c);
    if (req->key >= cfg->n_keys) { sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0); return; }
    uint32_t owner = ring_owner(shard_ring(c), req->key);
    if (owner == SHARD_NONE) { sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0); return; }
    if (owner != sim_self(c)) {
        if (cfg->routing == SHARD_ROUTE_REDIRECT && hops == 0) {
            d->redirected++;
            sim_reply_redirect(c, req, owner);
            return;
        }
        if (hops >= SHARD_HOPS_MAX) { sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0); return; }
        shard_forward_t f = {*req, hops + 1, 0};
        d->forwarded++;
        sim_send(c, owner, SHARD_MSG_FORWARD, &f, sizeof f, 0);
        return;
    }
    sim_assert(ring_has(shard_ring(c), sim_self(c)));
    shard_rec_t r = *shard_rec(c, req->key);
    if (r.awaiting) {                       /* on its way here: nothing happened, try again soon */
        d->refused_moving++;
        sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0);
        return;
    }
    d->requests++;
    kv_result_t res = {true, r.has != 0, r.value};
    switch ((sim_op_t)req->f) {
    case SIM_OP_READ:
        kv_reply(c, req, res);
        return;
    case SIM_OP_WRITE:
        r.value = req->value;
        break;
    case SIM_OP_CAS:
        /* A key never written holds nothing, which no expected value matches. */
        if (!r.has || r.value != req->value) { sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0); return; }
        r.value = req->value2;
        break;
    case SIM_OP_ADD:
        r.value = (r.has ? r.value : 0) + req->value;
        break;
    default:                                /* append and transfer are not register operations */
        sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0);
        return;
    }
    sim_assert(r.version < UINT32_MAX);
    r.has = 1;
    r.version++;
    shard_rec_set(c, req->key, &r);
    shard_copy_to_backups(c, req->key);
    res.has_value = true;
    res.value = r.value;
    kv_reply(c, req, res);
}

static void shard_request(sim_ctx *c, const sim_req_t *req) { shard_serve(c, req, 0); }

/* ---- Messages. ----------------------------------------------------------------- */

/* A record arrives from `from` (a move, a copy or the answer to a pull). Returns true
 * if it is to be acknowledged. */
static bool shard_receive(sim_ctx *c, uint32_t from, const shard_wire_t *w)
{
    const shard_config_t *cfg = shard_cfg(c);
    if (w->key >= cfg->n_keys) return false;
    shard_rec_t r = *shard_rec(c, w->key);
    if (w->source != SHARD_NONE) {
        /* The sender is still waiting for the key itself: wait where it waits. If that
         * is here, the copy here never left, so it is the newest there is. */
        if (r.awaiting && r.source == from) {
            if (w->source == sim_self(c)) r.awaiting = 0;
            else r.source = w->source;
            shard_rec_set(c, w->key, &r);
            if (!r.awaiting) shard_copy_to_backups(c, w->key);
        }
        return false;
    }
    bool expected = r.awaiting && r.source == from;
    if (expected || w->version > r.version) {
        if (w->version >= r.version) {
            if (w->has && !(r.has && r.version == w->version)) shard_disk(c)->records_moved++;
            r.has = w->has;
            r.value = w->value;
            r.version = w->version;
        }
        if (expected) r.awaiting = 0;
        shard_rec_set(c, w->key, &r);
        if (!r.awaiting) shard_copy_to_backups(c, w->key);
    }
    return true;
}

static void shard_message(sim_ctx *c, const sim_msg_t *m)
{
    const uint32_t *hdr = m->payload;
    uint32_t n = m->len >= 8 ? hdr[0] : 0;
    switch (m->type) {
    case SHARD_MSG_FORWARD: {
        if (m->len != sizeof(shard_forward_t)) return;
        shard_forward_t f;
        memcpy(&f, m->payload, sizeof f);
        shard_serve(c, &f.req, f.hops);
        return;
    }
    case SHARD_MSG_MOVE:
    case SHARD_MSG_COPY: {
        if (m->len != 8 + n * sizeof(shard_wire_t) || n > SHARD_BATCH_MAX) return;
        const shard_wire_t *w = (const shard_wire_t *)(hdr + 2);
        uint32_t *an = shard_batch(c);
        shard_ack_t *acks = (shard_ack_t *)(an + 2);
        *an = 0;
        for (uint32_t i = 0; i < n; i++)
            if (shard_receive(c, m->from, &w[i]) && m->type == SHARD_MSG_MOVE) {
                shard_ack_t a = {w[i].key, w[i].version};
                acks[(*an)++] = a;
            }
        if (*an) sim_send(c, m->from, SHARD_MSG_MOVE_ACK, an, 8 + *an * (uint32_t)sizeof *acks, 0);
        return;
    }
    case SHARD_MSG_MOVE_ACK: {
        if (m->len != 8 + n * sizeof(shard_ack_t) || n > SHARD_BATCH_MAX) return;
        const shard_ack_t *a = (const shard_ack_t *)(hdr + 2);
        for (uint32_t i = 0; i < n; i++) {
            if (a[i].key >= shard_cfg(c)->n_keys) continue;
            shard_rec_t r = *shard_rec(c, a[i].key);
            /* Delete only the version that was acknowledged: a write since then (this
             * server served a forwarded request before it learned) must move too. */
            if (r.awaiting || !r.has || r.version != a[i].version || shard_is_replica(c, a[i].key, sim_self(c))) continue;
            r.has = 0;
            r.value = 0;
            shard_rec_set(c, a[i].key, &r);
        }
        return;
    }
    case SHARD_MSG_PULL: {
        if (m->len != 8 + n * sizeof(shard_pull_t) || n > SHARD_BATCH_MAX) return;
        const shard_pull_t *p = (const shard_pull_t *)(hdr + 2);
        uint32_t *wn = shard_batch(c);
        shard_wire_t *w = (shard_wire_t *)(wn + 2);
        *wn = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (p[i].key >= shard_cfg(c)->n_keys) continue;
            const shard_rec_t *r = shard_rec(c, p[i].key);
            if (p[i].always || r->awaiting || r->version > p[i].version) w[(*wn)++] = shard_wire_of(p[i].key, r);
        }
        if (*wn) sim_send(c, m->from, SHARD_MSG_MOVE, wn, 8 + *wn * (uint32_t)sizeof *w, 0);
        return;
    }
    }
}

/* Every `handoff`: ask again for keys still on the way, send again keys held here that
 * belong elsewhere (their acknowledgement was lost), and let backups catch up. */
static void shard_timer(sim_ctx *c, int kind, uint64_t data)
{
    const shard_config_t *cfg = shard_cfg(c);
    shard_state_t *st = sim_state(c);
    shard_durable_t *d = shard_disk(c);
    st->timer = sim_timer_set(c, cfg->handoff_ns, SHARD_TIMER_HANDOFF, 0);
    uint32_t *dest = shard_dest(c), self = sim_self(c);
    /* A server that has left hears of no later change: catch up here. */
    uint8_t *old = shard_tmp_members(c);
    memcpy(old, shard_disk_members(cfg, d), cfg->n_servers);
    bool changed = false;
    for (uint32_t i = 0; i < cfg->n_servers && !changed; i++) changed = old[i] != sim_is_member(c, i);
    if (changed) shard_transition(c, old, false, 0, false);
    if (d->n_awaiting || cfg->replicas > 1) {
        uint32_t reps[SHARD_REPLICAS_MAX];
        for (uint32_t k = 0; k < cfg->n_keys; k++) {
            const shard_rec_t *r = shard_rec(c, k);
            dest[k] = SHARD_NONE;
            if (r->awaiting) { dest[k] = r->source; continue; }
            if (cfg->replicas < 2) continue;
            uint32_t n = ring_replicas(shard_ring(c), k, shard_n_replicas(cfg), reps);
            for (uint32_t i = 1; i < n; i++)
                if (reps[i] == self) dest[k] = reps[0];
        }
        shard_pull(c, dest);
    }
    if (d->n_misplaced) {
        for (uint32_t k = 0; k < cfg->n_keys; k++) {
            const shard_rec_t *r = shard_rec(c, k);
            dest[k] = SHARD_NONE;
            if (!r->awaiting && r->has && !shard_is_replica(c, k, self)) dest[k] = ring_owner(shard_ring(c), k);
        }
        shard_stream(c, SHARD_MSG_MOVE, dest);
    }
}

/* ---- Lifecycle. ---------------------------------------------------------------- */

static void shard_init(sim_ctx *c)
{
    const shard_config_t *cfg = shard_cfg(c);
    shard_state_t *st = sim_state(c);
    shard_durable_t *d = shard_disk(c);
    shard_rings_init(c);
    if (!d->formatted) {
        /* A blank disk: arrange it for the membership as it is. A server that joins
         * later learns in on_membership that what it owns was someone else's. */
        uint8_t *dm = shard_disk_members(cfg, d);
        for (uint32_t i = 0; i < cfg->n_servers; i++) dm[i] = sim_is_member(c, i);
        ring_build_from(shard_ring(c), shard_member_now, c);
        d->formatted = 1;
        shard_recount(c);
    } else {
        /* A restart: membership may have changed while this server was down. */
        uint8_t *tmp = shard_tmp_members(c);
        memcpy(tmp, shard_disk_members(cfg, d), cfg->n_servers);
        shard_transition(c, tmp, false, 0, false);
        if (cfg->replicas > 1) {
            /* Backups catch up at once on the writes they missed while down. */
            uint32_t *dest = shard_dest(c), reps[SHARD_REPLICAS_MAX];
            for (uint32_t k = 0; k < cfg->n_keys; k++) {
                uint32_t n = ring_replicas(shard_ring(c), k, shard_n_replicas(cfg), reps);
                dest[k] = SHARD_NONE;
                for (uint32_t i = 1; i < n; i++)
                    if (reps[i] == sim_self(c) && !shard_rec(c, k)->awaiting) dest[k] = reps[0];
            }
            shard_pull(c, dest);
        }
    }
    /* A random phase, so servers do not all retry in the same instant. */
    st->timer = sim_timer_set(c, (sim_time_t)rng_below(sim_rng(c), (uint64_t)cfg->handoff_ns) + 1, SHARD_TIMER_HANDOFF, 0);
}

static void shard_membership(sim_ctx *c, uint32_t node, bool joined)
{
    const shard_config_t *cfg = shard_cfg(c);
    uint8_t *old = shard_tmp_members(c);
    memcpy(old, shard_disk_members(cfg, sim_durable(c)), cfg->n_servers);
    /* A server that has just joined owned nothing before, whatever its disk says. */
    if (node == sim_self(c) && joined) {
        for (uint32_t i = 0; i < cfg->n_servers; i++) old[i] = sim_is_member(c, i);
        old[node] = 0;
    }
    shard_transition(c, old, true, node, joined);
}

/* ---- Views. -------------------------------------------------------------------- */

static uint64_t shard_held(const shard_config_t *cfg, void *disk)
{
    uint64_t n = 0;
    const shard_rec_t *r = shard_recs(cfg, disk);
    for (uint32_t k = 0; k < cfg->n_keys; k++) n += r[k].has;
    return n;
}

static void shard_describe(sim_ctx *c, proto_desc_t *d)
{
    const shard_config_t *cfg = shard_cfg(c);
    shard_durable_t *disk = shard_disk(c);
    uint64_t held = shard_held(cfg, disk);
    d->log_len = (int64_t)held;
    /* Short enough for a terminal's row, and only what is happening: "48 keys, 367 served",
     * then ", 3 arriving" or ", 4 to hand off" while keys move. The requests served show a
     * hot key's server at a glance (lessons/07-hot-spots.json). */
    int o = snprintf(d->line, sizeof d->line, "%llu keys, %llu served", (unsigned long long)held,
                     (unsigned long long)disk->requests);
    if (disk->n_awaiting && o > 0 && (size_t)o < sizeof d->line)
        o += snprintf(d->line + o, sizeof d->line - (size_t)o, ", %llu arriving", (unsigned long long)disk->n_awaiting);
    if (disk->n_misplaced && o > 0 && (size_t)o < sizeof d->line)
        snprintf(d->line + o, sizeof d->line - (size_t)o, ", %llu to hand off", (unsigned long long)disk->n_misplaced);
}

static void shard_export(sim_ctx *c, jw_t *w)
{
    const shard_config_t *cfg = shard_cfg(c);
    shard_durable_t *d = shard_disk(c);
    jw_obj_begin(w);
    jw_key(w, "keys");
    jw_obj_begin(w);
    for (uint32_t k = 0; k < cfg->n_keys; k++) {
        const shard_rec_t *r = shard_rec(c, k);
        if (!r->has) continue;
        char name[24];
        snprintf(name, sizeof name, "k%u", k);
        jw_kint(w, name, r->value);
    }
    jw_obj_end(w);
    jw_key(w, "arriving");
    jw_arr_begin(w);
    for (uint32_t k = 0; k < cfg->n_keys; k++)
        if (shard_rec(c, k)->awaiting) jw_uint(w, k);
    jw_arr_end(w);
    jw_kuint(w, "to_hand_off", d->n_misplaced);
    jw_kuint(w, "requests", d->requests);
    jw_obj_end(w);
}

static const shard_config_t *shard_sim_cfg(sim_t *s) { return sim_config_of(s); }

static const char *shard_name(const sim_t *s, uint32_t node)
{
    return sim_name_of(s, node);
}

/* Converged: no key is on its way anywhere, no server holds a key it should not, and
 * (with backups) every replica holds what its primary holds. The last is tested on
 * the sums of record hashes: the copies agree when the held sum is R times the
 * primaries' sum (a difference could cancel out only by a 64-bit hash collision). */
static bool shard_equal(sim_t *s)
{
    const shard_config_t *cfg = shard_sim_cfg(s);
    uint64_t held = 0, primary = 0;
    uint32_t members = 0;
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        const shard_durable_t *d = sim_node_durable(s, i);
        if (!d->formatted) continue;
        if (d->n_awaiting || d->n_misplaced) return false;
        held += d->digest_held;
        primary += d->digest_primary;
        members += shard_disk_members(cfg, sim_node_durable(s, i))[i];
    }
    uint64_t copies = (uint64_t)cfg->replicas < members ? (uint64_t)cfg->replicas : members;
    return cfg->replicas < 2 || held == copies * primary;
}

bool shard_view(sim_t *s, uint32_t node, shard_view_t *out)
{
    if (strcmp(sim_protocol(s)->name, proto_shard.name) != 0 || node >= sim_n_servers(s) || !sim_node_up(s, node)) return false;
    const shard_config_t *cfg = shard_sim_cfg(s);
    char *st = sim_node_state(s, node);
    const shard_durable_t *d = sim_node_durable(s, node);
    if (!d->formatted) return false;
    memset(out, 0, sizeof *out);
    out->n_keys = cfg->n_keys;
    out->ring = (const ring_t *)(st + cfg->ring_off);
    out->before = (const ring_t *)(st + cfg->old_off);
    out->n_changes = d->n_changes;
    out->change_at_ns = d->n_changes ? d->changes[d->n_changes - 1].at_ns : -1;
    out->change_node = d->n_changes ? d->changes[d->n_changes - 1].node : 0;
    out->change_joined = d->n_changes ? d->changes[d->n_changes - 1].joined : false;
    return true;
}

bool shard_view_arriving(sim_t *s, uint32_t node, uint32_t key)
{
    shard_view_t v;
    if (!shard_view(s, node, &v) || key >= v.n_keys) return false;
    const shard_config_t *cfg = shard_sim_cfg(s);
    return shard_recs(cfg, sim_node_durable(s, node))[key].awaiting != 0;
}

/* The server that saw the most joins and leaves: its log of them is the fullest. */
static const shard_durable_t *change_log(sim_t *s)
{
    uint32_t n = sim_n_servers(s), best = 0;
    for (uint32_t i = 1; i < n; i++)
        if (((shard_durable_t *)sim_node_durable(s, i))->n_changes > ((shard_durable_t *)sim_node_durable(s, best))->n_changes)
            best = i;
    return sim_node_durable(s, best);
}

/* Top level of the summary: "keys_moved_fraction", one per join or leave in order, the
 * figure a sweep compares across schemes (details are in protocol_stats). */
static void shard_summary_top(sim_t *s, jw_t *w)
{
    const shard_durable_t *log = change_log(s);
    jw_key(w, "keys_moved_fraction");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < log->n_changes; i++) jw_real(w, log->changes[i].moved_fraction);
    jw_arr_end(w);
}

static void shard_summary(sim_t *s, jw_t *w)
{
    const shard_config_t *cfg = shard_sim_cfg(s);
    uint32_t n = sim_n_servers(s);
    jw_kstr(w, "scheme", ring_scheme_names[cfg->scheme]);
    jw_kint(w, "vnodes", cfg->scheme == RING_CONSISTENT ? cfg->vnodes : 0);
    jw_kint(w, "replicas", cfg->replicas);
    /* One entry per join or leave, from the server that saw the most of them. The
     * ideal is the newcomer's (or the leaver's) fair share, 1/N of the larger
     * membership: all that would move if no other key changed hands. */
    const shard_durable_t *log = change_log(s);
    double total = 0;
    jw_key(w, "membership_changes");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < log->n_changes; i++) {
        const shard_change_t *ch = &log->changes[i];
        uint32_t big = ch->members_after > ch->members_before ? ch->members_after : ch->members_before;
        jw_obj_begin(w);
        jw_kint(w, "at_ns", ch->at_ns);
        jw_kstr(w, ch->joined ? "join" : "leave", shard_name(s, ch->node));
        jw_kuint(w, "members_before", ch->members_before);
        jw_kuint(w, "members_after", ch->members_after);
        jw_kreal(w, "keys_moved_fraction", ch->moved_fraction);
        jw_kreal(w, "keys_moved_fraction_ideal", big ? 1.0 / big : 0);
        /* Until the last server involved was done: every moved key arrived and
         * every old copy was deleted. */
        sim_time_t done = ch->at_ns;
        for (uint32_t j = 0; j < n && done >= 0; j++) {
            const shard_durable_t *o = sim_node_durable(s, j);
            for (uint32_t e = 0; e < o->n_changes; e++)
                if (o->changes[e].at_ns == ch->at_ns && o->changes[e].node == ch->node && o->changes[e].joined == ch->joined)
                    done = o->changes[e].settled_ns < 0 ? -1 : o->changes[e].settled_ns > done ? o->changes[e].settled_ns : done;
        }
        jw_key(w, "handoff_ns");
        if (done < 0) jw_null(w);
        else jw_int(w, done - ch->at_ns);
        jw_obj_end(w);
        total += ch->moved_fraction;
    }
    jw_arr_end(w);
    jw_kreal(w, "keys_moved_fraction_mean", log->n_changes ? total / log->n_changes : 0);
    jw_kreal(w, "keys_moved_fraction_total", total);
    /* Load: keys on each server's disk and requests it served as owner. A hot key
     * makes one server's requests stand out however evenly the keys are spread. */
    uint64_t sum_keys = 0, sum_req = 0, max_keys = 0, max_req = 0, moved = 0, fwd = 0, red = 0, refused = 0;
    uint64_t min_keys = UINT64_MAX, min_req = UINT64_MAX;
    uint32_t counted = 0, hottest = 0;
    jw_key(w, "load");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < n; i++) {
        void *disk = sim_node_durable(s, i);
        const shard_durable_t *d = disk;
        uint64_t keys = shard_held(cfg, disk);
        bool member = shard_disk_members(cfg, disk)[i];
        jw_obj_begin(w);
        jw_kstr(w, "node", shard_name(s, i));
        jw_kbool(w, "member", member);
        jw_kuint(w, "keys", keys);
        jw_kuint(w, "requests", d->requests);
        jw_obj_end(w);
        moved += d->records_moved;
        fwd += d->forwarded;
        red += d->redirected;
        refused += d->refused_moving;
        if (!member) continue;
        counted++;
        sum_keys += keys;
        sum_req += d->requests;
        if (keys > max_keys) max_keys = keys;
        if (keys < min_keys) min_keys = keys;
        if (d->requests > max_req) { max_req = d->requests; hottest = i; }
        if (d->requests < min_req) min_req = d->requests;
    }
    jw_arr_end(w);
    /* Members only: a server outside the ring holds nothing by design. */
    jw_kuint(w, "keys_min", counted ? min_keys : 0);
    jw_kuint(w, "keys_max", max_keys);
    jw_kuint(w, "requests_min", counted ? min_req : 0);
    jw_kuint(w, "requests_max", max_req);
    jw_kstr(w, "hottest", counted ? shard_name(s, hottest) : "");
    jw_kreal(w, "keys_max_over_mean", sum_keys ? (double)max_keys * counted / (double)sum_keys : 0);
    jw_kreal(w, "requests_max_over_mean", sum_req ? (double)max_req * counted / (double)sum_req : 0);
    jw_kuint(w, "records_moved", moved);
    jw_kuint(w, "forwarded", fwd);
    jw_kuint(w, "redirected", red);
    jw_kuint(w, "refused_while_moving", refused);
}

/* ---- Parameters and registration. ---------------------------------------------- */

static int shard_configure(void *cfgp, const proto_env_t *env, char *err, size_t len)
{
    shard_config_t *cfg = cfgp;
    if (env->n_servers > SHARD_SERVERS_MAX) {
        snprintf(err, len, "shard handles at most SHARD_SERVERS_MAX (%d) servers, found %u", SHARD_SERVERS_MAX, env->n_servers);
        return SIM_EINPUT;
    }
    if ((uint64_t)cfg->replicas > env->n_servers) {
        snprintf(err, len, "replicas (%lld) cannot exceed the number of servers (%u)", (long long)cfg->replicas, env->n_servers);
        return SIM_EINPUT;
    }
    uint32_t vn = cfg->scheme == RING_CONSISTENT ? (uint32_t)cfg->vnodes : 1;
    if ((uint64_t)vn * env->n_servers > RING_POINTS_MAX) {
        snprintf(err, len, "vnodes (%u) times servers (%u) is more than RING_POINTS_MAX (%u) points on the ring; lower vnodes",
                 vn, env->n_servers, RING_POINTS_MAX);
        return SIM_EINPUT;
    }
    cfg->n_servers = env->n_servers;
    cfg->n_keys = env->n_keys;
    cfg->ring_size = shard_align8(ring_bytes(cfg->n_servers, vn));
    cfg->ring_off = shard_align8(sizeof(shard_state_t));
    cfg->old_off = cfg->ring_off + cfg->ring_size;
    cfg->dest_off = cfg->old_off + cfg->ring_size;
    cfg->tmp_off = shard_align8(cfg->dest_off + (size_t)cfg->n_keys * sizeof(uint32_t));
    cfg->batch_off = shard_align8(cfg->tmp_off + cfg->n_servers);
    cfg->state_bytes = cfg->batch_off + 8 + SHARD_BATCH_MAX * sizeof(shard_wire_t);
    cfg->members_off = shard_align8(sizeof(shard_durable_t));
    cfg->recs_off = shard_align8(cfg->members_off + cfg->n_servers);
    cfg->durable_bytes = cfg->recs_off + (size_t)cfg->n_keys * sizeof(shard_rec_t);
    if ((uint64_t)cfg->durable_bytes * cfg->n_servers > SHARD_STORE_BYTES_MAX) {
        snprintf(err, len, "%u servers with a store of %u keys each need %llu bytes, more than SHARD_STORE_BYTES_MAX (%llu); "
                 "use fewer keys or servers", cfg->n_servers, cfg->n_keys,
                 (unsigned long long)cfg->durable_bytes * cfg->n_servers, SHARD_STORE_BYTES_MAX);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

static size_t shard_state_size(const void *cfgp) { return ((const shard_config_t *)cfgp)->state_bytes; }
static size_t shard_durable_size(const void *cfgp) { return ((const shard_config_t *)cfgp)->durable_bytes; }

static const char *const shard_msg_types[] = {"forward", "move", "move-ack", "pull", "copy", NULL};

static const proto_param_t shard_params[] = {
    {"scheme", PROTO_PARAM_ENUM, "consistent", 1, 0, "mod|range|consistent", offsetof(shard_config_t, scheme),
     "how keys map to servers: hash mod N, contiguous ranges, or consistent hashing"},
    {"vnodes", PROTO_PARAM_INT, "64", 1, RING_VNODES_MAX, NULL, offsetof(shard_config_t, vnodes),
     "points per server on the consistent-hashing ring (more: a more even spread)"},
    {"replicas", PROTO_PARAM_INT, "1", 1, SHARD_REPLICAS_MAX, NULL, offsetof(shard_config_t, replicas),
     "copies of each key: the owner and replicas-1 backups (1: plain sharding)"},
    {"routing", PROTO_PARAM_ENUM, "forward", 1, 0, "forward|redirect", offsetof(shard_config_t, routing),
     "a server that does not own the key forwards the request, or redirects the client"},
    {"handoff", PROTO_PARAM_DURATION, "200ms", 1e6, 1e12, NULL, offsetof(shard_config_t, handoff_ns),
     "how often keys still on the way are asked for again (and backups catch up)"},
    {NULL},
};


/* The human summary's lines, read from the JSON summary (proto_line_t). */
static const proto_line_t shard_lines[] = {
    {"scheme", "{protocol_stats.scheme|s}, {protocol_stats.vnodes} virtual nodes per server, {protocol_stats.replicas} replicas per key"},
    {"join", "{protocol_stats.membership_changes[#].join|s} at {protocol_stats.membership_changes[#].at_ns|ns}: {protocol_stats.membership_changes[#].keys_moved_fraction|pct} of the keys moved (ideal 1/N = {protocol_stats.membership_changes[#].keys_moved_fraction_ideal|pct}), handed off in {protocol_stats.membership_changes[#].handoff_ns|ns}"},
    {"leave", "{protocol_stats.membership_changes[#].leave|s} at {protocol_stats.membership_changes[#].at_ns|ns}: {protocol_stats.membership_changes[#].keys_moved_fraction|pct} of the keys moved (ideal 1/N = {protocol_stats.membership_changes[#].keys_moved_fraction_ideal|pct}), handed off in {protocol_stats.membership_changes[#].handoff_ns|ns}"},
    {"keys", "per node min {protocol_stats.keys_min}, max {protocol_stats.keys_max}; imbalance {protocol_stats.keys_max_over_mean|.2} (max over mean)"},
    {"requests", "per node min {protocol_stats.requests_min}, max {protocol_stats.requests_max}; imbalance {protocol_stats.requests_max_over_mean|.2} (max over mean)"},
    {"hottest", "{protocol_stats.hottest|s}, with {protocol_stats.requests_max} requests"},
    {NULL, NULL},
};
/* Decodes a message into its fields for the window's hover: "k7 = 5 (version 4)". */
static int shard_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    switch (type) {
    case SHARD_MSG_FORWARD: {
        shard_forward_t m;
        if (!proto_msg_read(&m, sizeof m, payload, len)) return 0;
        return snprintf(buf, buf_len, "client's %s of k%u to its owner, hop %u", m.req.f < SIM_OP_COUNT_ ? sim_op_names[m.req.f] : "?", m.req.key, m.hops);
    }
    case SHARD_MSG_MOVE:
    case SHARD_MSG_COPY: {
        uint32_t n = len / (uint32_t)sizeof(shard_wire_t);
        if (!n) return 0;
        shard_wire_t w;
        memcpy(&w, payload, sizeof w);
        const char *what = type == SHARD_MSG_MOVE ? "moving" : "copying";
        if (n == 1 && w.has) return snprintf(buf, buf_len, "%s k%u = %lld (version %u)", what, w.key, (long long)w.value, w.version);
        if (n == 1) return snprintf(buf, buf_len, "%s k%u, never written", what, w.key);
        return snprintf(buf, buf_len, "%s %u keys, from k%u", what, n, w.key);
    }
    case SHARD_MSG_MOVE_ACK: {
        uint32_t n = len / (uint32_t)sizeof(shard_ack_t);
        if (!n) return 0;
        shard_ack_t a;
        memcpy(&a, payload, sizeof a);
        if (n == 1) return snprintf(buf, buf_len, "got k%u at version %u: delete your copy", a.key, a.version);
        return snprintf(buf, buf_len, "got %u keys, from k%u: delete your copies", n, a.key);
    }
    case SHARD_MSG_PULL: {
        uint32_t n = len / (uint32_t)sizeof(shard_pull_t);
        if (!n) return 0;
        shard_pull_t q;
        memcpy(&q, payload, sizeof q);
        if (n == 1) return snprintf(buf, buf_len, "send me k%u if newer than version %u", q.key, q.version);
        return snprintf(buf, buf_len, "send me %u keys, from k%u, if newer", n, q.key);
    }
    }
    return 0;
}

const proto_t proto_shard = {
    .version = PROTO_VERSION,
    .name = "shard",
    .purpose = "a key-value store partitioned by hash mod N, ranges or consistent hashing; keys move on join and leave",
    .state_size = sizeof(shard_state_t),
    .durable_size = sizeof(shard_durable_t),
    .config_size = sizeof(shard_config_t),
    .msg_types = shard_msg_types,
    .params = shard_params,
    .configure = shard_configure,
    .state_size_for = shard_state_size,
    .init = shard_init,
    .on_message = shard_message,
    .on_timer = shard_timer,
    .on_request = shard_request,
    .describe = shard_describe,
    .export_state = shard_export,
    .summary = shard_summary,
    .summary_top = shard_summary_top,
    .durable_size_for = shard_durable_size,
    .on_membership = shard_membership,
    .describe_msg = shard_describe_msg,
    .replicas_equal = shard_equal,
    .summary_lines = shard_lines,
};
