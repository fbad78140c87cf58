/* net.h -- the network: topology, per-link parameters, the link table and partitions.
 *
 * Every pair of nodes that can talk is a directed link. Links are kept in a table
 * (one rng stream, FIFO and bandwidth state each) so that each link draws from its own
 * stream: changing the traffic or parameters of one link leaves the draws of every
 * other link alone. A full mesh indexes the table arithmetically; other topologies use
 * compressed sparse rows with sorted neighbours. A mesh too large to table (more than
 * SIM_LINKS_MAX directed links, e.g. the million-node benchmark) is "implicit": all
 * links share the default parameters and draw from the sender's network stream, and
 * per-link overrides, FIFO and bandwidth are refused at load time.
 *
 * Clients are connected to every server whatever the topology, and partitions only
 * cut them off when a partition names them.
 */
#ifndef SIM_NET_H
#define SIM_NET_H

#include "core/base.h"
#include "core/dist.h"
#include "core/rng.h"

#define NET_TYPE_LATENCY_MAX 8

/* Which fields of a net_params_t were given: overrides only replace those. */
enum {
    NET_F_LATENCY = 1 << 0, NET_F_LOSS = 1 << 1, NET_F_DUPLICATE = 1 << 2,
    NET_F_BANDWIDTH = 1 << 3, NET_F_FIFO = 1 << 4, NET_F_TYPE_LATENCY = 1 << 5,
};

typedef struct net_params {
    unsigned mask;                 /* NET_F_* given (specs); all set once effective */
    dist_t latency;
    double loss;                   /* probability a message is lost */
    double duplicate;              /* probability a message is delivered twice */
    double bandwidth_bps;          /* bits per second; 0 means unlimited */
    bool fifo;                     /* deliver in send order on this link */
    uint16_t n_type_latency;
    uint16_t type_latency_type[NET_TYPE_LATENCY_MAX];   /* message type index */
    dist_t type_latency[NET_TYPE_LATENCY_MAX];          /* replaces latency for that type */
} net_params_t;

typedef enum {
    TOPO_MESH, TOPO_RING, TOPO_LINE, TOPO_STAR, TOPO_GRID, TOPO_TREE, TOPO_EDGES,
} topo_kind_t;
extern const char *const topo_kind_names[];          /* NULL-terminated */

typedef struct topo {
    topo_kind_t kind;
    uint32_t width;          /* grid: nodes per row (0: the nearest square) */
    uint32_t arity;          /* tree: children per node (default 2) */
    uint32_t center;         /* star: the hub */
    uint32_t n_edges;        /* edges: undirected pairs of server ids */
    uint32_t (*edges)[2];
} topo_t;

typedef struct net {
    uint32_t n_servers, n_nodes;
    topo_kind_t kind;
    bool implicit;               /* mesh too large to table: no net_link_t */
    /* CSR (non-mesh): neighbours of node a are adj[off[a] .. off[a+1]), sorted, with
     * the servers among them first; n_server_adj[a] counts those. */
    uint32_t *off, *adj, *n_server_adj;
    /* Per-link state, indexed by link. Only the stream is always there, as a count of
     * draws (its key is derived from the seed and the link's ends); the rest is
     * allocated the first time something needs it. The count is one byte while it is
     * below NET_DRAWS_WIDE, so a 1000-node mesh's million links take 1 MB, which stays
     * in cache far better than 4 MB did (every send reads one at random); a link that
     * draws more often keeps its full 32-bit count in link_draws_wide, a table made
     * the first time any link needs it and backed by memory only where written. */
    uint64_t seed;
    uint8_t *link_draws;
    uint32_t *link_draws_wide;   /* NULL until a count reaches NET_DRAWS_WIDE */
    uint16_t *link_params;       /* index into params; NULL while no link is overridden */
    sim_time_t *fifo_last_ns;    /* arrival of the last message; NULL until FIFO is used */
    sim_time_t *busy_until_ns;   /* end of serialization; NULL until bandwidth is used */
    uint64_t n_links;
    net_params_t *params;        /* [0] defaults; others per-link overrides, effective */
    net_params_t *specs;         /* what each entry was given, to re-merge on change */
    uint32_t n_params, cap_params;
    /* Partitions: a group per node and which groups cannot send to which; isolated
     * servers talk to no other server, whatever the groups. */
    uint8_t *group;
    uint8_t *isolated;
    uint32_t n_isolated;
    uint32_t blocked[SIM_GROUPS_MAX + 2];   /* bit j of blocked[i]: group i cannot reach j */
    bool partitioned;
    uint8_t n_groups;
} net_t;

/* Builds the topology and link table. Returns SIM_OK, or SIM_EINPUT/SIM_ELIMIT with a
 * sentence in err. seed keys the per-link streams. Call net_destroy either way. */
int net_create(net_t *n, uint32_t n_servers, uint32_t n_clients, const topo_t *t,
               const net_params_t *defaults, uint64_t seed, char *err, size_t err_len);
void net_destroy(net_t *n);

/* The random stream of the link from a to b, positioned after its previous draws.
 * net_stream_close stores its new position. Implicit meshes use the sender's own
 * network stream instead (node_rng). */
#define NET_DRAWS_WIDE 255u      /* a link_draws byte this high: the count is in link_draws_wide */
typedef struct net_stream { rng_t r; uint64_t key; int64_t link; rng_t *node_rng; } net_stream_t;
static inline uint32_t net_draws(const net_t *n, int64_t link)
{
    uint32_t d = n->link_draws[link];
    return d < NET_DRAWS_WIDE ? d : n->link_draws_wide[link];
}
void net_draws_widen(net_t *n, int64_t link, uint32_t draws);
static inline void net_stream_open(const net_t *n, int64_t link, uint32_t a, uint32_t b, rng_t *node_rng, net_stream_t *st)
{
    st->link = link;
    if (link < 0) { st->r = *node_rng; st->node_rng = node_rng; return; }
    rng_t k;
    rng_seed(&k, n->seed, RNG_LINK, (uint64_t)a << 32 | b);
    st->key = k.s;
    st->node_rng = NULL;
    rng_at(&st->r, st->key, net_draws(n, link));
}
static inline void net_stream_close(net_t *n, net_stream_t *st)
{
    if (st->link < 0) { *st->node_rng = st->r; return; }
    uint32_t d = (uint32_t)rng_draws(&st->r, st->key);
    if (d < NET_DRAWS_WIDE && n->link_draws[st->link] < NET_DRAWS_WIDE) n->link_draws[st->link] = (uint8_t)d;
    else net_draws_widen(n, st->link, d);
}

/* The index of the link from a to b, or -1 if they are not neighbours (or the mesh is
 * implicit). */
int64_t net_link(const net_t *n, uint32_t a, uint32_t b);
bool net_connected(const net_t *n, uint32_t a, uint32_t b);
/* Both at once, for a send: whether a can send to b, and the link (or -1, as
 * net_link) into *link. */
bool net_route(const net_t *n, uint32_t a, uint32_t b, int64_t *link);
uint32_t net_n_peers(const net_t *n, uint32_t a);          /* server neighbours */
uint32_t net_peer(const net_t *n, uint32_t a, uint32_t i);

/* Overrides: applies spec (only its mask) to the link a->b; returns SIM_OK or SIM_ELIMIT. */
int net_set_link(net_t *n, uint32_t a, uint32_t b, const net_params_t *spec);
/* Changes the defaults (only spec's mask) and re-merges every override onto them. */
void net_set_defaults(net_t *n, const net_params_t *spec);
static inline const net_params_t *net_params_of(const net_t *n, int64_t link)
{
    return &n->params[link >= 0 && n->link_params ? n->link_params[link] : 0];
}
/* Merges spec's given fields into dst. */
void net_params_merge(net_params_t *dst, const net_params_t *spec);

/* The fate of one copy of a message sent now from `from` to `to`: when it arrives
 * (latency, serialization on a link with bandwidth, FIFO order), whether it is doomed
 * (-1, DROP_PARTITION or DROP_LOSS: dropped on arrival, so a doomed copy still takes
 * its time in flight) and, for an original (dup false), whether the network delivers
 * a second copy. Draws from the link's own stream (the sender's network stream on an
 * implicit mesh). All link state (streams, FIFO, bandwidth) changes here only. */
/* Starts loading the stream position of a link (net_route), a likely cache miss, well
 * before net_send_on needs it. */
static inline void net_prefetch(const net_t *n, int64_t link)
{
    if (link >= 0) __builtin_prefetch(&n->link_draws[link]);
}
typedef struct net_fate { sim_time_t arrive_ns; int doomed; bool duplicate; } net_fate_t;
void net_send(net_t *n, uint32_t from, uint32_t to, unsigned type, uint32_t size, sim_time_t now,
              bool dup, rng_t *node_rng, net_fate_t *out);
/* The same with the link already found (net_route). */
void net_send_on(net_t *n, int64_t link, uint32_t from, uint32_t to, unsigned type, uint32_t size, sim_time_t now,
                 bool dup, rng_t *node_rng, net_fate_t *out);

/* Partitions. groups[i] in 1..n_groups is the group of members[i]; servers not named
 * join one more group together; clients not named are never cut off. oneway: group i
 * cannot send to group j only when i < j. Replaces any partition in force. */
void net_partition(net_t *n, const uint32_t *members, const uint8_t *groups, uint32_t n_members,
                   uint8_t n_groups, bool oneway);
void net_isolate(net_t *n, uint32_t node);    /* cut one server off from every other server */
void net_heal(net_t *n);
static inline bool net_blocked(const net_t *n, uint32_t a, uint32_t b)
{
    if (!n->partitioned) return false;
    if (n->n_isolated && (n->isolated[a] || n->isolated[b]) && a < n->n_servers && b < n->n_servers) return true;
    return n->blocked[n->group[a]] >> n->group[b] & 1u;
}

#endif
