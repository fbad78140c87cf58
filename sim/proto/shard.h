/* shard.h -- a read-only view of one server of the sharded store (shard.c).
 *
 * The protocol itself is proto_shard (registered in registry.c); nothing here is
 * needed to run it. The view lets the window draw the ring as a server sees it, the
 * ring before the last join or leave, and which keys are still on their way, without
 * parsing an export: the rings are ring.h's, so every question about them (who owns
 * key k, where is it on the circle) is asked through ring.h.
 */
#ifndef SIM_PROTO_SHARD_H
#define SIM_PROTO_SHARD_H

#include "proto/proto.h"
#include "proto/ring.h"

extern const proto_t proto_shard;

typedef struct shard_view {
    uint32_t n_keys;
    const ring_t *ring;           /* the members now, as this server sees them */
    const ring_t *before;         /* the members before the last join or leave it saw */
    uint32_t n_changes;           /* joins and leaves this server has seen */
    sim_time_t change_at_ns;      /* the last of them, or -1 */
    uint32_t change_node;
    bool change_joined;
} shard_view_t;

/* Fills *out for a server running shard that is up (its rings live in its volatile
 * memory); false for a node that is down, a bad node or another protocol. The
 * pointers are valid until the next event. */
bool shard_view(sim_t *s, uint32_t node, shard_view_t *out);
/* Whether key is on its way to node (false when node cannot say). */
bool shard_view_arriving(sim_t *s, uint32_t node, uint32_t key);

#endif
