/* net.c -- topologies, the link table, parameter overrides and partitions.
 *
 * Topologies are built as undirected edge lists over servers, then clients are joined
 * to every server, and the whole is stored as compressed sparse rows. The full mesh
 * skips all of that: its link index is arithmetic, a->b at a*(n-1) + (b<a ? b : b-1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/net.h"
#include "core/trace.h"

const char *const topo_kind_names[] = {"mesh", "ring", "line", "star", "grid", "tree", "edges", NULL};

static void net_enable_state(net_t *n, const net_params_t *p);

static uint32_t mesh_index(uint32_t n, uint32_t a, uint32_t b) { return a * (n - 1) + (b < a ? b : b - 1); }

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

/* Server-to-server edges of a topology, undirected, each once. */
static uint32_t topo_edges(const topo_t *t, uint32_t n, uint32_t (**out)[2])
{
    uint32_t cap = n * 2 + t->n_edges + 4, m = 0;
    uint32_t (*e)[2] = sim_xcalloc(cap, sizeof *e);
#define EDGE(x, y) do { if ((x) != (y)) { e[m][0] = (x); e[m][1] = (y); m++; } } while (0)
    switch (t->kind) {
    case TOPO_RING:
        for (uint32_t i = 0; i + 1 < n; i++) EDGE(i, i + 1);
        if (n > 2) EDGE(n - 1, 0);
        break;
    case TOPO_LINE:
        for (uint32_t i = 0; i + 1 < n; i++) EDGE(i, i + 1);
        break;
    case TOPO_STAR:
        for (uint32_t i = 0; i < n; i++) EDGE(t->center, i);
        break;
    case TOPO_GRID: {
        uint32_t w = t->width;
        if (!w) { w = 1; while (w * w < n) w++; }
        for (uint32_t i = 0; i < n; i++) {
            if ((i % w) + 1 < w && i + 1 < n) EDGE(i, i + 1);
            if (i + w < n) EDGE(i, i + w);
        }
        break;
    }
    case TOPO_TREE: {
        uint32_t k = t->arity ? t->arity : 2;
        for (uint32_t i = 1; i < n; i++) EDGE((i - 1) / k, i);
        break;
    }
    case TOPO_EDGES:
        for (uint32_t i = 0; i < t->n_edges; i++) EDGE(t->edges[i][0], t->edges[i][1]);
        break;
    case TOPO_MESH:
        break;
    }
#undef EDGE
    *out = e;
    return m;
}

int net_create(net_t *n, uint32_t n_servers, uint32_t n_clients, const topo_t *t,
               const net_params_t *defaults, uint64_t seed, char *err, size_t err_len)
{
    memset(n, 0, sizeof *n);
    n->n_servers = n_servers;
    n->n_nodes = n_servers + n_clients;
    n->kind = t->kind;
    /* Room for every override the bound allows, reserved now and touched as used, so
     * an override added while the run goes on never moves the table. */
    n->cap_params = SIM_LINK_OVERRIDES_MAX;
    n->params = sim_reserve(SIM_LINK_OVERRIDES_MAX * sizeof *n->params);
    n->specs = sim_reserve(SIM_LINK_OVERRIDES_MAX * sizeof *n->specs);
    if (!n->params || !n->specs) { snprintf(err, err_len, "out of memory for the link table"); return SIM_ENOMEM; }
    n->params[0] = *defaults;
    n->params[0].mask = ~0u;
    n->specs[0] = n->params[0];
    n->n_params = 1;
    n->group = sim_xcalloc(n->n_nodes, 1);
    n->isolated = sim_xcalloc(n->n_nodes, 1);
    n->seed = seed;
    uint64_t nn = n->n_nodes;

    if (t->kind == TOPO_MESH) {
        n->n_links = nn * (nn - 1);
        if (n->n_links > SIM_LINKS_MAX) {
            n->implicit = true;
            n->n_links = 0;
            return SIM_OK;
        }
    } else {
        uint32_t (*e)[2];
        uint32_t m = topo_edges(t, n_servers, &e);
        uint64_t deg_total = 2 * (uint64_t)m + 2 * (uint64_t)n_servers * n_clients;
        if (deg_total > SIM_LINKS_MAX) {
            free(e);
            snprintf(err, err_len, "the topology has %llu directed links, more than SIM_LINKS_MAX (%u)",
                     (unsigned long long)deg_total, SIM_LINKS_MAX);
            return SIM_ELIMIT;
        }
        n->off = sim_xcalloc(nn + 1, sizeof *n->off);
        n->n_server_adj = sim_xcalloc(nn, sizeof *n->n_server_adj);
        for (uint32_t i = 0; i < m; i++) { n->off[e[i][0] + 1]++; n->off[e[i][1] + 1]++; }
        for (uint32_t c = n_servers; c < nn; c++) n->off[c + 1] += n_servers;
        for (uint32_t s = 0; s < n_servers; s++) n->off[s + 1] += n_clients;
        for (uint64_t i = 0; i < nn; i++) n->off[i + 1] += n->off[i];
        n->adj = sim_xcalloc(n->off[nn] ? n->off[nn] : 1, sizeof *n->adj);
        uint32_t *fill = sim_xcalloc(nn, sizeof *fill);
        for (uint32_t i = 0; i < m; i++) {
            uint32_t a = e[i][0], b = e[i][1];
            n->adj[n->off[a] + fill[a]++] = b;
            n->adj[n->off[b] + fill[b]++] = a;
        }
        for (uint32_t s = 0; s < n_servers; s++)
            for (uint32_t c = n_servers; c < nn; c++) {
                n->adj[n->off[s] + fill[s]++] = c;
                n->adj[n->off[c] + fill[c]++] = s;
            }
        /* Sort each row and drop duplicate edges (a topology may name an edge twice). */
        uint32_t w = 0;
        for (uint64_t a = 0; a < nn; a++) {
            uint32_t lo = n->off[a], hi = n->off[a + 1];
            qsort(n->adj + lo, hi - lo, sizeof *n->adj, cmp_u32);
            n->off[a] = w;
            for (uint32_t i = lo; i < hi; i++)
                if (i == lo || n->adj[i] != n->adj[i - 1]) {
                    n->adj[w++] = n->adj[i];
                    if (n->adj[i] < n_servers) n->n_server_adj[a]++;
                }
        }
        n->off[nn] = w;
        n->n_links = w;
        free(fill);
        free(e);
    }
    n->link_draws = sim_xcalloc_huge(n->n_links ? n->n_links : 1, sizeof *n->link_draws);
    net_enable_state(n, &n->params[0]);
    return SIM_OK;
}

void net_destroy(net_t *n)
{
    free(n->off);
    free(n->adj);
    free(n->n_server_adj);
    free(n->link_draws);
    free(n->link_draws_wide);
    free(n->link_params);
    free(n->fifo_last_ns);
    free(n->busy_until_ns);
    sim_unreserve(n->params, SIM_LINK_OVERRIDES_MAX * sizeof *n->params);
    sim_unreserve(n->specs, SIM_LINK_OVERRIDES_MAX * sizeof *n->specs);
    free(n->group);
    free(n->isolated);
    memset(n, 0, sizeof *n);
}

/* A count that no longer fits its byte: the byte says so for good, and the count lives
 * in the wide table, allocated (zeroed, so untouched pages cost nothing) the first time
 * any link gets here. */
void net_draws_widen(net_t *n, int64_t link, uint32_t draws)
{
    if (!n->link_draws_wide) n->link_draws_wide = sim_xcalloc(n->n_links, sizeof *n->link_draws_wide);
    n->link_draws[link] = NET_DRAWS_WIDE;
    n->link_draws_wide[link] = draws;
}

static int64_t csr_find(const net_t *n, uint32_t a, uint32_t b)
{
    uint32_t lo = n->off[a], hi = n->off[a + 1];
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (n->adj[mid] < b) lo = mid + 1;
        else hi = mid;
    }
    return lo < n->off[a + 1] && n->adj[lo] == b ? (int64_t)lo : -1;
}

int64_t net_link(const net_t *n, uint32_t a, uint32_t b)
{
    if (a == b || n->implicit) return -1;
    if (n->kind == TOPO_MESH) return (a < n->n_servers || b < n->n_servers) ? (int64_t)mesh_index(n->n_nodes, a, b) : -1;
    return csr_find(n, a, b);
}

bool net_connected(const net_t *n, uint32_t a, uint32_t b)
{
    if (a == b) return false;
    /* Clients talk to servers only (the mesh's table has client pairs, unused). */
    if (n->kind == TOPO_MESH) return a < n->n_nodes && b < n->n_nodes && (a < n->n_servers || b < n->n_servers);
    return csr_find(n, a, b) >= 0;
}

bool net_route(const net_t *n, uint32_t a, uint32_t b, int64_t *link)
{
    if (n->kind == TOPO_MESH) {
        *link = net_link(n, a, b);
        return net_connected(n, a, b);
    }
    *link = a == b ? -1 : csr_find(n, a, b);
    return *link >= 0;
}

uint32_t net_n_peers(const net_t *n, uint32_t a)
{
    if (n->kind == TOPO_MESH) return a < n->n_servers ? n->n_servers - 1 : n->n_servers;
    return n->n_server_adj[a];
}

uint32_t net_peer(const net_t *n, uint32_t a, uint32_t i)
{
    if (n->kind == TOPO_MESH) return (a < n->n_servers && i >= a) ? i + 1 : i;
    return n->adj[n->off[a] + i];
}

void net_params_merge(net_params_t *dst, const net_params_t *spec)
{
    if (spec->mask & NET_F_LATENCY) dst->latency = spec->latency;
    if (spec->mask & NET_F_LOSS) dst->loss = spec->loss;
    if (spec->mask & NET_F_DUPLICATE) dst->duplicate = spec->duplicate;
    if (spec->mask & NET_F_BANDWIDTH) dst->bandwidth_bps = spec->bandwidth_bps;
    if (spec->mask & NET_F_FIFO) dst->fifo = spec->fifo;
    if (spec->mask & NET_F_TYPE_LATENCY) {
        /* Per-type latencies are merged type by type. */
        for (unsigned i = 0; i < spec->n_type_latency; i++) {
            unsigned j = 0;
            while (j < dst->n_type_latency && dst->type_latency_type[j] != spec->type_latency_type[i]) j++;
            if (j == NET_TYPE_LATENCY_MAX) continue;
            dst->type_latency_type[j] = spec->type_latency_type[i];
            dst->type_latency[j] = spec->type_latency[i];
            if (j == dst->n_type_latency) dst->n_type_latency++;
        }
    }
}

/* FIFO and bandwidth state is allocated the first time any parameters use it. */
static void net_enable_state(net_t *n, const net_params_t *p)
{
    if (n->implicit || !n->n_links) return;
    if (p->fifo && !n->fifo_last_ns) n->fifo_last_ns = sim_xcalloc(n->n_links, sizeof *n->fifo_last_ns);
    if (p->bandwidth_bps > 0 && !n->busy_until_ns) n->busy_until_ns = sim_xcalloc(n->n_links, sizeof *n->busy_until_ns);
}

int net_set_link(net_t *n, uint32_t a, uint32_t b, const net_params_t *spec)
{
    int64_t l = net_link(n, a, b);
    if (l < 0) return SIM_ENOTFOUND;
    if (!n->link_params) n->link_params = sim_xcalloc(n->n_links, sizeof *n->link_params);
    uint16_t *idx = &n->link_params[l];
    if (*idx == 0) {
        if (n->n_params == SIM_LINK_OVERRIDES_MAX) return SIM_ELIMIT;
        *idx = (uint16_t)n->n_params++;
        memset(&n->specs[*idx], 0, sizeof n->specs[0]);
    }
    net_params_merge(&n->specs[*idx], spec);
    n->specs[*idx].mask |= spec->mask;
    n->params[*idx] = n->params[0];
    net_params_merge(&n->params[*idx], &n->specs[*idx]);
    net_enable_state(n, &n->params[*idx]);
    return SIM_OK;
}

void net_set_defaults(net_t *n, const net_params_t *spec)
{
    net_params_merge(&n->params[0], spec);
    n->specs[0] = n->params[0];
    for (uint32_t i = 1; i < n->n_params; i++) {
        n->params[i] = n->params[0];
        net_params_merge(&n->params[i], &n->specs[i]);
        net_enable_state(n, &n->params[i]);
    }
    net_enable_state(n, &n->params[0]);
}

void net_heal(net_t *n)
{
    memset(n->group, 0, n->n_nodes);
    if (n->n_isolated) memset(n->isolated, 0, n->n_nodes);
    n->n_isolated = 0;
    memset(n->blocked, 0, sizeof n->blocked);
    n->partitioned = false;
    n->n_groups = 0;
}

void net_partition(net_t *n, const uint32_t *members, const uint8_t *groups, uint32_t n_members,
                   uint8_t n_groups, bool oneway)
{
    sim_assert(n_groups >= 1 && n_groups <= SIM_GROUPS_MAX);
    net_heal(n);
    uint8_t rest = n_groups + 1;          /* servers not named */
    memset(n->group, rest, n->n_servers);
    for (uint32_t i = 0; i < n_members; i++) {
        sim_assert(groups[i] >= 1 && groups[i] <= n_groups);
        n->group[members[i]] = groups[i];
    }
    for (uint32_t i = 1; i <= rest; i++)
        for (uint32_t j = 1; j <= rest; j++)
            if (i != j && (!oneway || i < j)) n->blocked[i] |= 1u << j;
    n->partitioned = true;
    n->n_groups = rest;
}

void net_isolate(net_t *n, uint32_t node)
{
    if (n->isolated[node]) return;
    n->isolated[node] = 1;
    n->n_isolated++;
    n->partitioned = true;
}

/* The draws, in this order, are part of every trace: latency, then loss (only when a
 * partition does not already doom the copy), then duplication (only for an original).
 * Changing the order changes every run. */
void net_send(net_t *n, uint32_t from, uint32_t to, unsigned type, uint32_t size, sim_time_t now,
              bool dup, rng_t *node_rng, net_fate_t *out)
{
    net_send_on(n, net_link(n, from, to), from, to, type, size, now, dup, node_rng, out);
}

void net_send_on(net_t *n, int64_t l, uint32_t from, uint32_t to, unsigned type, uint32_t size, sim_time_t now,
                 bool dup, rng_t *node_rng, net_fate_t *out)
{
    const net_params_t *p = net_params_of(n, l);
    net_stream_t ns;
    net_stream_open(n, l, from, to, node_rng, &ns);
    rng_t *r = &ns.r;
    const dist_t *d = &p->latency;
    for (unsigned i = 0; i < p->n_type_latency; i++)
        if (p->type_latency_type[i] == type) d = &p->type_latency[i];
    sim_time_t depart = now;
    if (l >= 0 && p->bandwidth_bps > 0) {
        /* Serialization: the link sends one message at a time, in order. */
        sim_time_t ser = (sim_time_t)((double)size * 8.0 * 1e9 / p->bandwidth_bps);
        sim_time_t start = n->busy_until_ns[l] > now ? n->busy_until_ns[l] : now;
        n->busy_until_ns[l] = start + ser;
        depart = start + ser;
    }
    sim_time_t arrive = depart + dist_sample_inline(d, r);
    if (l >= 0 && p->fifo) {
        if (arrive < n->fifo_last_ns[l]) arrive = n->fifo_last_ns[l];
        n->fifo_last_ns[l] = arrive;
    }
    int doomed = -1;
    if (net_blocked(n, from, to)) doomed = DROP_PARTITION;
    else if (rng_chance(r, p->loss)) doomed = DROP_LOSS;
    out->arrive_ns = arrive;
    out->doomed = doomed;
    out->duplicate = !dup && rng_chance(r, p->duplicate);
    net_stream_close(n, &ns);
}
