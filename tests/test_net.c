/* test_net.c -- the network model: topologies, the link table, overrides, partitions.
 *
 * Each topology is checked against an independent statement of its edges (written
 * here from the definition, not from net.c), over every ordered pair of nodes: who is
 * connected, the degree, the peer enumeration and the link index. Partitions are
 * checked the same way, pair by pair, so a single wrong bit in the blocked matrix shows.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "core/net.h"
#include "core/sim.h"

/* ---- Helpers. ------------------------------------------------------------------ */

static net_params_t default_params(void)
{
    net_params_t p;
    memset(&p, 0, sizeof p);
    p.latency = dist_constant(SIM_MS);
    return p;
}

static void make_net(net_t *n, uint32_t servers, uint32_t clients, const topo_t *t)
{
    char err[256] = "";
    net_params_t p = default_params();
    int rc = net_create(n, servers, clients, t, &p, 7, err, sizeof err);
    if (rc != SIM_OK) fail_msg("net_create: %s", err);
}

/* The expected server-to-server edges of a topology, from its definition. */
typedef struct expect {
    topo_kind_t kind;
    uint32_t n, width, arity, center;
    const uint32_t (*edges)[2];
    uint32_t n_edges;
} expect_t;

static bool expect_edge(const expect_t *x, uint32_t a, uint32_t b)
{
    if (a == b) return false;
    uint32_t lo = a < b ? a : b, hi = a < b ? b : a;
    switch (x->kind) {
    case TOPO_MESH: return true;
    case TOPO_RING: return hi == lo + 1 || (x->n > 2 && lo == 0 && hi == x->n - 1);
    case TOPO_LINE: return hi == lo + 1;
    case TOPO_STAR: return lo == x->center || hi == x->center;
    case TOPO_GRID: {
        uint32_t w = x->width;
        bool same_row = lo / w == hi / w;
        return (hi == lo + 1 && same_row) || hi == lo + w;
    }
    case TOPO_TREE: return lo == (hi - 1) / x->arity;
    case TOPO_EDGES:
        for (uint32_t i = 0; i < x->n_edges; i++)
            if ((x->edges[i][0] == a && x->edges[i][1] == b) || (x->edges[i][0] == b && x->edges[i][1] == a)) return true;
        return false;
    }
    return false;
}

/* Checks every ordered pair of nodes of n against x, with `clients` clients. */
static void check_topology(const net_t *n, const expect_t *x, uint32_t clients)
{
    uint32_t servers = x->n, nn = servers + clients;
    assert_int_equal(n->n_servers, servers);
    assert_int_equal(n->n_nodes, nn);
    uint64_t links = 0;
    uint8_t *seen = calloc(n->n_links ? n->n_links : 1, 1);
    for (uint32_t a = 0; a < nn; a++) {
        uint32_t degree = 0;
        for (uint32_t b = 0; b < nn; b++) {
            bool want;
            if (a == b) want = false;
            else if (a < servers && b < servers) want = expect_edge(x, a, b);
            else if (a < servers || b < servers) want = true;      /* client and server */
            else want = net_connected(n, a, b);   /* two clients: see the test of its own below */
            if (net_connected(n, a, b) != want)
                fail_msg("%s: connected(%u, %u) is %d, expected %d", topo_kind_names[x->kind], a, b, !want, want);
            int64_t l = net_link(n, a, b), routed;
            /* A send asks both at once. */
            if (net_route(n, a, b, &routed) != want || routed != l)
                fail_msg("%s: route(%u, %u) disagrees with connected and link", topo_kind_names[x->kind], a, b);
            if (!want) {
                assert_int_equal(l, -1);
                continue;
            }
            links++;
            if (b < servers) degree++;
            assert_true(l >= 0 && (uint64_t)l < n->n_links);
            if (seen[l]) fail_msg("%s: link index %lld used twice (at %u->%u)", topo_kind_names[x->kind], (long long)l, a, b);
            seen[l] = 1;
        }
        /* The peers are exactly the server neighbours, each once, in increasing order. */
        if (net_n_peers(n, a) != degree)
            fail_msg("%s: node %u has %u peers, expected %u", topo_kind_names[x->kind], a, net_n_peers(n, a), degree);
        uint32_t prev = 0;
        for (uint32_t i = 0; i < degree; i++) {
            uint32_t p = net_peer(n, a, i);
            assert_true(p < servers);
            assert_true(p != a);
            if (i > 0) assert_true(p > prev);
            bool want = a < servers ? expect_edge(x, a, p) : true;
            if (!want) fail_msg("%s: node %u lists %u as a peer", topo_kind_names[x->kind], a, p);
            prev = p;
        }
    }
    /* A sparse table holds exactly the links; a mesh's arithmetic index may leave
     * slots unused (client pairs). */
    if (x->kind == TOPO_MESH) assert_true(links <= n->n_links);
    else assert_int_equal(links, n->n_links);
    free(seen);
}

static uint32_t server_degree(const net_t *n, uint32_t a)
{
    uint32_t d = 0;
    for (uint32_t b = 0; b < n->n_servers; b++) d += net_connected(n, a, b);
    return d;
}

/* ---- Topologies. --------------------------------------------------------------- */

static void test_net_ring_degree_two_and_wraps(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_RING};
    make_net(&n, 10, 3, &t);
    expect_t x = {.kind = TOPO_RING, .n = 10};
    check_topology(&n, &x, 3);
    for (uint32_t a = 0; a < 10; a++) assert_int_equal(server_degree(&n, a), 2);
    assert_true(net_connected(&n, 9, 0));
    assert_true(net_connected(&n, 0, 9));
    assert_false(net_connected(&n, 0, 2));
    net_destroy(&n);

    /* Two servers: one edge, not two parallel ones. */
    make_net(&n, 2, 1, &t);
    expect_t x2 = {.kind = TOPO_RING, .n = 2};
    check_topology(&n, &x2, 1);
    assert_int_equal(server_degree(&n, 0), 1);
    net_destroy(&n);
}

static void test_net_line_ends_have_degree_one(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_LINE};
    make_net(&n, 7, 2, &t);
    expect_t x = {.kind = TOPO_LINE, .n = 7};
    check_topology(&n, &x, 2);
    assert_int_equal(server_degree(&n, 0), 1);
    assert_int_equal(server_degree(&n, 6), 1);
    for (uint32_t a = 1; a < 6; a++) assert_int_equal(server_degree(&n, a), 2);
    assert_false(net_connected(&n, 6, 0));
    net_destroy(&n);
}

static void test_net_star_hub_has_degree_n_minus_one(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_STAR, .center = 3};
    make_net(&n, 8, 2, &t);
    expect_t x = {.kind = TOPO_STAR, .n = 8, .center = 3};
    check_topology(&n, &x, 2);
    assert_int_equal(server_degree(&n, 3), 7);
    assert_int_equal(net_n_peers(&n, 3), 7);
    for (uint32_t a = 0; a < 8; a++)
        if (a != 3) assert_int_equal(server_degree(&n, a), 1);
    net_destroy(&n);
}

static void test_net_grid_uses_width(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_GRID, .width = 3};
    make_net(&n, 10, 2, &t);
    expect_t x = {.kind = TOPO_GRID, .n = 10, .width = 3};
    check_topology(&n, &x, 2);
    /* Rows of three: the end of a row does not join the start of the next. */
    assert_false(net_connected(&n, 2, 3));
    assert_true(net_connected(&n, 2, 5));
    assert_true(net_connected(&n, 6, 9));
    assert_int_equal(server_degree(&n, 4), 4);
    assert_int_equal(server_degree(&n, 9), 1);
    net_destroy(&n);

    /* Without a width, the nearest square: 10 nodes make rows of 4. */
    topo_t sq = {.kind = TOPO_GRID};
    make_net(&n, 10, 1, &sq);
    expect_t x4 = {.kind = TOPO_GRID, .n = 10, .width = 4};
    check_topology(&n, &x4, 1);
    net_destroy(&n);
}

static void test_net_tree_uses_arity(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_TREE, .arity = 3};
    make_net(&n, 13, 2, &t);
    expect_t x = {.kind = TOPO_TREE, .n = 13, .arity = 3};
    check_topology(&n, &x, 2);
    assert_int_equal(server_degree(&n, 0), 3);           /* root: three children */
    assert_int_equal(server_degree(&n, 1), 4);           /* parent and three children */
    assert_int_equal(server_degree(&n, 12), 1);          /* a leaf */
    net_destroy(&n);

    topo_t bin = {.kind = TOPO_TREE, .arity = 2};
    make_net(&n, 9, 0, &bin);
    expect_t x2 = {.kind = TOPO_TREE, .n = 9, .arity = 2};
    check_topology(&n, &x2, 0);
    net_destroy(&n);
}

static void test_net_explicit_edges(void **state)
{
    /* The same edge twice (once reversed) must give one link each way. */
    uint32_t edges[][2] = {{0, 1}, {1, 2}, {4, 0}, {2, 1}};
    net_t n;
    topo_t t = {.kind = TOPO_EDGES, .n_edges = 4, .edges = edges};
    make_net(&n, 6, 2, &t);
    expect_t x = {.kind = TOPO_EDGES, .n = 6, .edges = (const uint32_t (*)[2])edges, .n_edges = 4};
    check_topology(&n, &x, 2);
    assert_int_equal(server_degree(&n, 1), 2);
    assert_int_equal(server_degree(&n, 3), 0);           /* alone, but clients reach it */
    assert_int_equal(net_n_peers(&n, 3), 0);
    assert_true(net_connected(&n, 3, 6));
    net_destroy(&n);
}

static void test_net_mesh_connects_every_server_pair(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    make_net(&n, 6, 3, &t);
    assert_false(n.implicit);
    expect_t x = {.kind = TOPO_MESH, .n = 6};
    check_topology(&n, &x, 3);
    for (uint32_t a = 0; a < 6; a++) assert_int_equal(net_n_peers(&n, a), 5);
    net_destroy(&n);
}

static void test_net_clients_reach_every_server_in_every_topology(void **state)
{
    static const topo_kind_t kinds[] = {TOPO_MESH, TOPO_RING, TOPO_LINE, TOPO_STAR, TOPO_GRID, TOPO_TREE, TOPO_EDGES};
    uint32_t edges[][2] = {{0, 1}};
    char failure[128] = "";
    for (size_t k = 0; k < SIM_ARRAY_LEN(kinds); k++) {
        net_t n;
        topo_t t = {.kind = kinds[k], .width = 2, .arity = 2, .n_edges = 1, .edges = edges};
        make_net(&n, 5, 4, &t);
        for (uint32_t c = 5; c < 9; c++) {
            assert_int_equal(net_n_peers(&n, c), 5);
            for (uint32_t i = 0; i < 5; i++) assert_int_equal(net_peer(&n, c, i), i);
            for (uint32_t s = 0; s < 5; s++) {
                assert_true(net_connected(&n, c, s));
                assert_true(net_connected(&n, s, c));
                assert_true(net_link(&n, c, s) >= 0);
                assert_true(net_link(&n, s, c) >= 0);
            }
            for (uint32_t d = 5; d < 9; d++)
                if (net_connected(&n, c, d) && !failure[0])
                    snprintf(failure, sizeof failure, "%s: clients %u and %u are connected to each other",
                             topo_kind_names[kinds[k]], c, d);
        }
        net_destroy(&n);
    }
    if (failure[0]) fail_msg("%s", failure);
}

static void test_net_mesh_above_links_max_is_implicit(void **state)
{
    /* 2048 nodes make 2048*2047 directed links, which fit; 2049 make 2049*2048, which do not. */
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    make_net(&n, 2046, 2, &t);
    assert_false(n.implicit);
    int64_t first = net_link(&n, 0, 1), last = net_link(&n, 2047, 2045);
    assert_true(first >= 0 && (uint64_t)first < n.n_links);
    assert_true(last >= 0 && (uint64_t)last < n.n_links);
    assert_int_not_equal(first, last);
    net_destroy(&n);

    make_net(&n, 2047, 2, &t);
    assert_true(n.implicit);
    assert_int_equal(net_link(&n, 0, 1), -1);
    assert_int_equal(net_link(&n, 2048, 5), -1);
    assert_true(net_connected(&n, 0, 2046));
    assert_true(net_connected(&n, 2048, 3));
    assert_int_equal(net_n_peers(&n, 0), 2046);
    assert_int_equal(net_n_peers(&n, 2047), 2047);    /* a client: every server */
    assert_int_equal(net_peer(&n, 5, 4), 4);
    assert_int_equal(net_peer(&n, 5, 5), 6);
    assert_int_equal(net_peer(&n, 2047, 5), 5);
    /* Overrides have no link to attach to. */
    net_params_t spec = {.mask = NET_F_LOSS, .loss = 0.5};
    assert_int_not_equal(net_set_link(&n, 0, 1, &spec), SIM_OK);
    assert_true(net_params_of(&n, net_link(&n, 0, 1)) == &n.params[0]);
    net_destroy(&n);
}

static void test_net_sparse_topology_over_links_max_is_refused(void **state)
{
    /* Clients join every server, so 2100 servers and 1024 clients need 4.3M links. */
    net_t n;
    topo_t t = {.kind = TOPO_RING};
    net_params_t p = default_params();
    char err[256] = "";
    assert_int_equal(net_create(&n, 2100, 1024, &t, &p, 1, err, sizeof err), SIM_ELIMIT);
    assert_non_null(strstr(err, "SIM_LINKS_MAX"));
    net_destroy(&n);                             /* what it allocated before refusing */
}

/* ---- Overrides. ---------------------------------------------------------------- */

static void test_net_link_override_applies_one_direction(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    make_net(&n, 4, 1, &t);
    net_params_t spec = {.mask = NET_F_LOSS, .loss = 0.5};
    assert_int_equal(net_set_link(&n, 0, 1, &spec), SIM_OK);
    const net_params_t *ab = net_params_of(&n, net_link(&n, 0, 1));
    const net_params_t *ba = net_params_of(&n, net_link(&n, 1, 0));
    assert_true(ab->loss == 0.5);
    assert_true(ab->latency.a == (double)SIM_MS);      /* what was not given stays the default */
    assert_true(ba->loss == 0.0);
    assert_true(ba == &n.params[0]);
    for (uint32_t a = 0; a < 5; a++)
        for (uint32_t b = 0; b < 5; b++)
            if (a != b && !(a == 0 && b == 1)) assert_true(net_params_of(&n, net_link(&n, a, b)) == &n.params[0]);

    /* A second override of the same link adds to the first. */
    net_params_t lat = {.mask = NET_F_LATENCY, .latency = dist_constant(3 * SIM_MS)};
    assert_int_equal(net_set_link(&n, 0, 1, &lat), SIM_OK);
    ab = net_params_of(&n, net_link(&n, 0, 1));
    assert_true(ab->loss == 0.5);
    assert_true(ab->latency.a == (double)(3 * SIM_MS));
    assert_int_equal(n.n_params, 2);

    /* Links not in the topology cannot be overridden. */
    net_t ring;
    topo_t rt = {.kind = TOPO_RING};
    make_net(&ring, 6, 0, &rt);
    assert_int_not_equal(net_set_link(&ring, 0, 3, &spec), SIM_OK);
    assert_int_equal(net_set_link(&ring, 0, 5, &spec), SIM_OK);
    net_destroy(&ring);
    net_destroy(&n);
}

static void test_net_override_remerges_after_set_defaults(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    make_net(&n, 4, 0, &t);
    net_params_t spec = {.mask = NET_F_LOSS | NET_F_TYPE_LATENCY, .loss = 0.5, .n_type_latency = 1};
    spec.type_latency_type[0] = 3;
    spec.type_latency[0] = dist_constant(9 * SIM_MS);
    assert_int_equal(net_set_link(&n, 0, 1, &spec), SIM_OK);

    net_params_t def = {.mask = NET_F_LATENCY | NET_F_LOSS | NET_F_TYPE_LATENCY | NET_F_FIFO,
                        .latency = dist_constant(7 * SIM_MS), .loss = 0.1, .fifo = true, .n_type_latency = 1};
    def.type_latency_type[0] = 2;
    def.type_latency[0] = dist_constant(5 * SIM_MS);
    net_set_defaults(&n, &def);

    const net_params_t *ab = net_params_of(&n, net_link(&n, 0, 1));
    const net_params_t *ba = net_params_of(&n, net_link(&n, 1, 0));
    /* The override keeps what it set and takes the new defaults for the rest. */
    assert_true(ab->loss == 0.5);
    assert_true(ab->latency.a == (double)(7 * SIM_MS));
    assert_true(ab->fifo);
    assert_int_equal(ab->n_type_latency, 2);
    bool t2 = false, t3 = false;
    for (unsigned i = 0; i < ab->n_type_latency; i++) {
        if (ab->type_latency_type[i] == 2) { t2 = true; assert_true(ab->type_latency[i].a == (double)(5 * SIM_MS)); }
        if (ab->type_latency_type[i] == 3) { t3 = true; assert_true(ab->type_latency[i].a == (double)(9 * SIM_MS)); }
    }
    assert_true(t2 && t3);
    /* The other direction is all defaults. */
    assert_true(ba->loss == 0.1);
    assert_true(ba->latency.a == (double)(7 * SIM_MS));
    assert_int_equal(ba->n_type_latency, 1);
    assert_int_equal(ba->type_latency_type[0], 2);
    assert_non_null(n.fifo_last_ns);

    /* A later change of a default the override set leaves the override alone. */
    net_params_t loss = {.mask = NET_F_LOSS, .loss = 0.3};
    net_set_defaults(&n, &loss);
    ab = net_params_of(&n, net_link(&n, 0, 1));
    ba = net_params_of(&n, net_link(&n, 1, 0));
    assert_true(ab->loss == 0.5);
    assert_true(ba->loss == 0.3);
    assert_true(ab->latency.a == (double)(7 * SIM_MS));
    net_destroy(&n);
}

static void test_net_override_table_has_a_bound(void **state)
{
    /* 70 nodes: 4830 directed links, more than the override table holds. */
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    make_net(&n, 70, 0, &t);
    net_params_t spec = {.mask = NET_F_LOSS, .loss = 0.25};
    uint32_t ok = 0;
    int rc = SIM_OK;
    for (uint32_t a = 0; a < 70 && rc == SIM_OK; a++)
        for (uint32_t b = 0; b < 70 && rc == SIM_OK; b++) {
            if (a == b) continue;
            rc = net_set_link(&n, a, b, &spec);
            if (rc == SIM_OK) ok++;
        }
    assert_int_equal(rc, SIM_ELIMIT);
    assert_true(ok >= SIM_LINK_OVERRIDES_MAX - 1);
    assert_true(ok <= SIM_LINK_OVERRIDES_MAX);
    /* Links already overridden can still be changed. */
    net_params_t more = {.mask = NET_F_LOSS, .loss = 0.75};
    assert_int_equal(net_set_link(&n, 0, 1, &more), SIM_OK);
    assert_true(net_params_of(&n, net_link(&n, 0, 1))->loss == 0.75);
    net_destroy(&n);
}

/* ---- Partitions. --------------------------------------------------------------- */

/* Checks every pair against a group assignment: grp[i] == 0 means never blocked. */
static void check_blocked(const net_t *n, const uint8_t *grp, bool oneway)
{
    for (uint32_t a = 0; a < n->n_nodes; a++)
        for (uint32_t b = 0; b < n->n_nodes; b++) {
            if (a == b) continue;
            bool want = grp[a] && grp[b] && grp[a] != grp[b] && (!oneway || grp[a] < grp[b]);
            if (net_blocked(n, a, b) != want)
                fail_msg("blocked(%u, %u) is %d, expected %d (groups %u, %u)", a, b, !want, want, grp[a], grp[b]);
        }
}

static void test_net_partition_separates_named_groups(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    make_net(&n, 7, 3, &t);                   /* servers 0..6, clients 7..9 */
    uint32_t members[] = {0, 1, 2, 3, 4};
    uint8_t groups[] = {1, 1, 2, 2, 2};
    net_partition(&n, members, groups, 5, 2, false);
    /* 5 and 6 are not named: they form group 3 together; clients are never cut off. */
    uint8_t want[10] = {1, 1, 2, 2, 2, 3, 3, 0, 0, 0};
    check_blocked(&n, want, false);
    assert_true(n.partitioned);
    assert_int_equal(n.n_groups, 3);
    assert_false(net_blocked(&n, 5, 6));
    assert_true(net_blocked(&n, 5, 0));
    assert_false(net_blocked(&n, 8, 0));
    assert_false(net_blocked(&n, 0, 8));
    net_destroy(&n);
}

static void test_net_partition_cuts_named_clients(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_RING};
    make_net(&n, 4, 3, &t);                   /* servers 0..3, clients 4..6 */
    uint32_t members[] = {4, 0, 1};
    uint8_t groups[] = {1, 2, 2};
    net_partition(&n, members, groups, 3, 2, false);
    /* c1 alone in group 1; n1, n2 in group 2; n3, n4 in group 3; c2, c3 free. */
    uint8_t want[7] = {2, 2, 3, 3, 1, 0, 0};
    check_blocked(&n, want, false);
    for (uint32_t s = 0; s < 4; s++) {
        assert_true(net_blocked(&n, 4, s));
        assert_false(net_blocked(&n, 5, s));
        assert_false(net_blocked(&n, s, 6));
    }
    net_destroy(&n);
}

static void test_net_oneway_partition_blocks_earlier_to_later(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    make_net(&n, 6, 2, &t);
    uint32_t members[] = {0, 1, 2, 3};
    uint8_t groups[] = {1, 1, 2, 2};
    net_partition(&n, members, groups, 4, 2, true);
    uint8_t want[8] = {1, 1, 2, 2, 3, 3, 0, 0};
    check_blocked(&n, want, true);
    assert_true(net_blocked(&n, 0, 2));       /* 1 -> 2 */
    assert_false(net_blocked(&n, 2, 0));      /* 2 -> 1 */
    assert_true(net_blocked(&n, 2, 4));       /* 2 -> the unnamed rest */
    assert_false(net_blocked(&n, 4, 0));
    net_destroy(&n);
}

static void test_net_partition_replaces_the_previous_one(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    make_net(&n, 4, 1, &t);
    uint32_t m1[] = {0, 1, 2, 3};
    uint8_t g1[] = {1, 2, 3, 4};
    net_partition(&n, m1, g1, 4, 4, false);
    uint32_t m2[] = {0, 1};
    uint8_t g2[] = {1, 1};
    net_partition(&n, m2, g2, 2, 1, false);
    uint8_t want[5] = {1, 1, 2, 2, 0};
    check_blocked(&n, want, false);
    net_destroy(&n);
}

static void test_net_isolate_cuts_one_server_off(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    make_net(&n, 5, 1, &t);
    net_isolate(&n, 2);
    uint8_t want[6] = {1, 1, 2, 1, 1, 0};
    check_blocked(&n, want, false);

    /* A second isolation cuts that one off too, from the first as well. */
    net_isolate(&n, 4);
    uint8_t want2[6] = {1, 1, 2, 1, 3, 0};
    check_blocked(&n, want2, false);

    /* On top of a partition: the node leaves its group, the rest stays as it was. */
    uint32_t members[] = {0, 1};
    uint8_t groups[] = {1, 1};
    net_partition(&n, members, groups, 2, 1, false);
    net_isolate(&n, 0);
    for (uint32_t b = 1; b < 5; b++) {
        assert_true(net_blocked(&n, 0, b));
        assert_true(net_blocked(&n, b, 0));
    }
    assert_true(net_blocked(&n, 1, 2));
    assert_false(net_blocked(&n, 2, 3));
    assert_false(net_blocked(&n, 5, 1));
    net_destroy(&n);
}

static void test_net_isolate_many_servers_keeps_each_alone(void **state)
{
    /* Seventeen isolations are more than SIM_GROUPS_MAX groups; each isolated server
     * must still be cut off from every other (or the bound must be reported, which
     * net_isolate cannot do, since it returns nothing). */
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    make_net(&n, 20, 0, &t);
    const uint32_t k = SIM_GROUPS_MAX + 1;
    for (uint32_t i = 0; i < k; i++) net_isolate(&n, i);
    char failure[128] = "";
    for (uint32_t a = 0; a < k && !failure[0]; a++)
        for (uint32_t b = 0; b < 20 && !failure[0]; b++)
            if (a != b && !net_blocked(&n, a, b))
                snprintf(failure, sizeof failure, "after %u isolations, isolated n%u can still send to n%u", k, a + 1, b + 1);
    net_destroy(&n);
    if (failure[0]) fail_msg("%s", failure);
}

static void test_net_heal_unblocks_everything(void **state)
{
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    make_net(&n, 5, 2, &t);
    uint32_t members[] = {0, 5};
    uint8_t groups[] = {1, 1};
    net_partition(&n, members, groups, 2, 1, false);
    net_isolate(&n, 3);
    assert_true(net_blocked(&n, 0, 1));
    net_heal(&n);
    uint8_t none[7] = {0};
    check_blocked(&n, none, false);
    assert_false(n.partitioned);
    for (uint32_t a = 0; a < 7; a++) assert_int_equal(n.group[a], 0);
    net_destroy(&n);
}

/* A link's draws continue its own stream, draw by draw, past the count its byte can
 * hold (NET_DRAWS_WIDE), and traffic on another link, heavy enough to widen that
 * link's count too, changes none of them. Expected latencies come from the stream's
 * definition (rng.h), not from net.c. */
static void test_net_link_stream_continues_past_a_byte_of_draws(void **state)
{
    (void)state;
    net_t n;
    topo_t t = {.kind = TOPO_MESH};
    char err[256] = "";
    net_params_t p = default_params();
    p.latency.kind = DIST_UNIFORM;
    p.latency.a = 0;
    p.latency.b = 1e9;
    uint64_t seed = 7;
    assert_int_equal(net_create(&n, 4, 0, &t, &p, seed, err, sizeof err), SIM_OK);
    rng_t want, other;
    rng_seed(&want, seed, RNG_LINK, (uint64_t)1 << 32 | 2);
    rng_seed(&other, seed, RNG_LINK, (uint64_t)3 << 32 | 0);
    for (int i = 0; i < 3 * (int)NET_DRAWS_WIDE; i++) {
        net_fate_t f;
        net_send(&n, 1, 2, 0, 1, 0, true, NULL, &f);
        double x = p.latency.b * rng_double(&want);
        sim_time_t t_want = (sim_time_t)llround(x);
        assert_int_equal(f.arrive_ns, t_want);
        /* Another link's traffic in between, twice as heavy. */
        for (int k = 0; k < 2; k++) {
            net_send(&n, 3, 0, 0, 1, 0, true, NULL, &f);
            assert_int_equal(f.arrive_ns, (sim_time_t)llround(p.latency.b * rng_double(&other)));
        }
    }
    assert_non_null(n.link_draws_wide);
    assert_int_equal(net_draws(&n, net_link(&n, 1, 2)), 3 * NET_DRAWS_WIDE);
    assert_int_equal(net_draws(&n, net_link(&n, 2, 1)), 0);
    net_destroy(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_net_ring_degree_two_and_wraps),
        cmocka_unit_test(test_net_line_ends_have_degree_one),
        cmocka_unit_test(test_net_star_hub_has_degree_n_minus_one),
        cmocka_unit_test(test_net_grid_uses_width),
        cmocka_unit_test(test_net_tree_uses_arity),
        cmocka_unit_test(test_net_explicit_edges),
        cmocka_unit_test(test_net_mesh_connects_every_server_pair),
        cmocka_unit_test(test_net_clients_reach_every_server_in_every_topology),
        cmocka_unit_test(test_net_mesh_above_links_max_is_implicit),
        cmocka_unit_test(test_net_sparse_topology_over_links_max_is_refused),
        cmocka_unit_test(test_net_link_override_applies_one_direction),
        cmocka_unit_test(test_net_override_remerges_after_set_defaults),
        cmocka_unit_test(test_net_override_table_has_a_bound),
        cmocka_unit_test(test_net_partition_separates_named_groups),
        cmocka_unit_test(test_net_partition_cuts_named_clients),
        cmocka_unit_test(test_net_oneway_partition_blocks_earlier_to_later),
        cmocka_unit_test(test_net_partition_replaces_the_previous_one),
        cmocka_unit_test(test_net_isolate_cuts_one_server_off),
        cmocka_unit_test(test_net_isolate_many_servers_keeps_each_alone),
        cmocka_unit_test(test_net_heal_unblocks_everything),
        cmocka_unit_test(test_net_link_stream_continues_past_a_byte_of_draws),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
