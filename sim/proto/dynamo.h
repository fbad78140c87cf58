/* dynamo.h -- a read-only view of one key on the quorum store's servers (dynamo.c).
 *
 * The protocol itself is proto_quorum (registered in registry.c); nothing here is
 * needed to run it. The view lets the window show the replicas of one key and the
 * versions each holds -- which is where a stale read comes from -- without parsing an
 * export.
 */
#ifndef SIM_PROTO_DYNAMO_H
#define SIM_PROTO_DYNAMO_H

#include "proto/proto.h"

extern const proto_t proto_quorum;

#define QUORUM_VIEW_VERSIONS 4        /* versions of one key a view reports (siblings beyond are counted) */

typedef struct quorum_key_view {
    uint32_t n;                       /* versions held: 0 (never written here), 1, or siblings */
    int64_t value[QUORUM_VIEW_VERSIONS];
    sim_time_t born_ns[QUORUM_VIEW_VERSIONS];    /* true time of each version's write */
    sim_time_t stamp_ns[QUORUM_VIEW_VERSIONS];   /* last-writer-wins: the coordinator's clock; 0 for vector clocks */
} quorum_key_view_t;

/* The key's replicas (its preference list, owner first) as server `node` sees the
 * ring: up to max ids into out; returns how many. 0 when node is down, not a quorum
 * server or key is out of range. */
uint32_t quorum_view_replicas(sim_t *s, uint32_t node, uint32_t key, uint32_t *out, uint32_t max);
/* What server `node` holds of key (on its disk, so also while it is down). False for
 * another protocol, a bad node or key. */
bool quorum_view_key(sim_t *s, uint32_t node, uint32_t key, quorum_key_view_t *out);

#endif
