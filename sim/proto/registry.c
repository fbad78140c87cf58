/* registry.c -- the protocols dsim knows, by name: one static table.
 *
 * Adding a protocol is one line here and one file under sim/proto/. The table ends
 * with NULL, like Lua's library tables.
 */
#include <string.h>
#include "scenario/scenario.h"
#include "core/sim.h"

extern const proto_t proto_echo, proto_gossip, proto_randpeer;
extern const proto_t proto_raft, proto_paxos, proto_pb, proto_chain, proto_tpc;
extern const proto_t proto_quorum, proto_shard, proto_epidemic, proto_crdt;
extern const proto_t proto_stream;

/* In teaching order: the basics, strong consistency, eventual consistency and
 * partitioning, then streaming. `dsim list protocols` prints them so. */
const proto_t *const proto_registry[] = {
    &proto_echo,
    &proto_gossip,
    &proto_randpeer,
    &proto_raft,
    &proto_paxos,
    &proto_pb,
    &proto_chain,
    &proto_tpc,
    &proto_quorum,
    &proto_shard,
    &proto_epidemic,
    &proto_crdt,
    &proto_stream,
    NULL,
};

const proto_t *proto_find(const char *name)
{
    for (int i = 0; proto_registry[i]; i++)
        if (strcmp(proto_registry[i]->name, name) == 0) return proto_registry[i];
    return NULL;
}

int proto_msg_type(const proto_t *p, const char *name)
{
    if (strcmp(name, "request") == 0) return 0;
    if (strcmp(name, "reply") == 0) return 1;
    for (int i = 0; p->msg_types && p->msg_types[i]; i++)
        if (strcmp(p->msg_types[i], name) == 0) return SIM_MSG_BUILTIN + i;
    return -1;
}
