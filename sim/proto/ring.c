/* ring.c -- key placement by hash mod N, by ranges and by consistent hashing.
 *
 * The circle is a sorted array of points, so a lookup is one binary search and the
 * preference list a walk from there; building sorts the members' points with a heap
 * sort, which needs no memory beyond the array (a protocol must not allocate) and
 * whose order is fixed by comparing (position, node, vnode), so every node that
 * builds the same membership gets the same circle.
 *
 * Range partitioning here divides the key space evenly among the current members, so
 * it is a pure function of the membership like the other two. Systems that partition
 * by range for real (Bigtable's tablets, HBase's regions) instead split one range in
 * two when a server joins and move only that half; the even split is kept because it
 * shows plainly why they do: every boundary shifts when N changes.
 */
#include <string.h>
#include "proto/ring.h"

const char *const ring_scheme_names[] = {"mod", "range", "consistent", NULL};

#define RING_KEY_SALT 0x6b65792d72696e67ULL      /* "key-ring": keys and points hash apart */
#define RING_POINT_SALT 0x706f696e742d7631ULL    /* "point-v1" */
#define RING_MOVED_N_MAX 64                      /* replicas compared by ring_moved_fraction */

static uint32_t *members_of(ring_t *r) { return (uint32_t *)r->body; }
static const uint32_t *cmembers(const ring_t *r) { return (const uint32_t *)r->body; }
static size_t members_bytes(uint32_t servers_max) { return ((size_t)servers_max * sizeof(uint32_t) + 7) & ~(size_t)7; }
static ring_point_t *points_of(ring_t *r) { return (ring_point_t *)((char *)r->body + members_bytes(r->servers_max)); }
static const ring_point_t *cpoints(const ring_t *r)
{
    return (const ring_point_t *)((const char *)r->body + members_bytes(r->servers_max));
}

size_t ring_bytes(uint32_t servers_max, uint32_t vnodes)
{
    if (vnodes < 1) vnodes = 1;
    return sizeof(ring_t) + members_bytes(servers_max) + (size_t)servers_max * vnodes * sizeof(ring_point_t);
}

void ring_init(ring_t *r, ring_scheme_t scheme, uint32_t servers_max, uint32_t vnodes, uint32_t n_keys)
{
    sim_assert(scheme < RING_SCHEME_COUNT_);
    sim_assert(servers_max >= 1 && servers_max <= RING_SERVERS_MAX);
    if (vnodes < 1 || scheme != RING_CONSISTENT) vnodes = 1;
    sim_assert(vnodes <= RING_VNODES_MAX && (uint64_t)servers_max * vnodes <= RING_POINTS_MAX);
    memset(r, 0, sizeof *r);
    r->scheme = scheme;
    r->servers_max = servers_max;
    r->vnodes = vnodes;
    r->n_keys = n_keys ? n_keys : 1;
}

uint64_t ring_key_pos(uint32_t key) { return sim_mix64((uint64_t)key * 0x9e3779b97f4a7c15ULL + RING_KEY_SALT); }

static uint64_t point_pos(uint32_t node, uint32_t vnode)
{
    return sim_mix64(((uint64_t)node << 32 | vnode) ^ RING_POINT_SALT);
}

static bool point_less(const ring_point_t *a, const ring_point_t *b)
{
    if (a->pos != b->pos) return a->pos < b->pos;
    if (a->node != b->node) return a->node < b->node;
    return a->vnode < b->vnode;
}

/* Heap sort: O(n log n) with no extra memory. */
static void sift_down(ring_point_t *p, uint32_t start, uint32_t n)
{
    uint32_t root = start;
    for (;;) {
        uint32_t child = 2 * root + 1;
        if (child >= n) return;
        if (child + 1 < n && point_less(&p[child], &p[child + 1])) child++;
        if (!point_less(&p[root], &p[child])) return;
        ring_point_t t = p[root];
        p[root] = p[child];
        p[child] = t;
        root = child;
    }
}

static void sort_points(ring_point_t *p, uint32_t n)
{
    if (n < 2) return;
    for (uint32_t i = n / 2; i-- > 0;) sift_down(p, i, n);
    for (uint32_t end = n - 1; end > 0; end--) {
        ring_point_t t = p[0];
        p[0] = p[end];
        p[end] = t;
        sift_down(p, 0, end);
    }
}

void ring_build(ring_t *r, const uint32_t *members, uint32_t n)
{
    sim_assert(n <= r->servers_max);
    uint32_t *m = members_of(r);
    /* Members in increasing id order: an insertion sort, n is small. */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t x = members[i], j = i;
        sim_assert(x < r->servers_max);
        while (j > 0 && m[j - 1] > x) { m[j] = m[j - 1]; j--; }
        sim_assert(j == 0 || m[j - 1] != x);     /* distinct */
        m[j] = x;
    }
    r->n_members = n;
    r->n_points = 0;
    if (r->scheme != RING_CONSISTENT) return;
    ring_point_t *p = points_of(r);
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t v = 0; v < r->vnodes; v++) {
            ring_point_t *q = &p[r->n_points++];
            q->pos = point_pos(m[i], v);
            q->node = m[i];
            q->vnode = v;
        }
    sort_points(p, r->n_points);
}

void ring_build_from(ring_t *r, bool (*is_member)(void *ud, uint32_t node), void *ud)
{
    /* Collect in place: members_of(r) is rewritten by ring_build from its argument,
     * which may alias it because the ids arrive already in increasing order. */
    uint32_t *m = members_of(r), n = 0;
    for (uint32_t i = 0; i < r->servers_max; i++)
        if (is_member(ud, i)) m[n++] = i;
    ring_build(r, m, n);
}

uint32_t ring_n_members(const ring_t *r) { return r->n_members; }
const uint32_t *ring_members(const ring_t *r) { return cmembers(r); }
uint32_t ring_n_points(const ring_t *r) { return r->n_points; }

const ring_point_t *ring_point(const ring_t *r, uint32_t i)
{
    sim_assert(i < r->n_points);
    return &cpoints(r)[i];
}

bool ring_has(const ring_t *r, uint32_t node)
{
    const uint32_t *m = cmembers(r);
    uint32_t lo = 0, hi = r->n_members;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m[mid] < node) lo = mid + 1;
        else hi = mid;
    }
    return lo < r->n_members && m[lo] == node;
}

/* Index of the first point at or clockwise after pos. */
static uint32_t first_point(const ring_t *r, uint64_t pos)
{
    const ring_point_t *p = cpoints(r);
    uint32_t lo = 0, hi = r->n_points;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (p[mid].pos < pos) lo = mid + 1;
        else hi = mid;
    }
    return lo == r->n_points ? 0 : lo;
}

/* Index into members of the owner under mod and range. */
static uint32_t member_index(const ring_t *r, uint32_t key)
{
    if (r->scheme == RING_MOD) return (uint32_t)(ring_key_pos(key) % r->n_members);
    sim_assert(key < r->n_keys);
    return (uint32_t)((uint64_t)key * r->n_members / r->n_keys);
}

uint32_t ring_owner(const ring_t *r, uint32_t key)
{
    if (r->n_members == 0) return RING_NONE;
    if (r->scheme != RING_CONSISTENT) return cmembers(r)[member_index(r, key)];
    return cpoints(r)[first_point(r, ring_key_pos(key))].node;
}

uint32_t ring_replicas(const ring_t *r, uint32_t key, uint32_t n, uint32_t *out)
{
    if (n > r->n_members) n = r->n_members;
    if (n == 0) return 0;
    if (r->scheme != RING_CONSISTENT) {
        uint32_t i = member_index(r, key);
        for (uint32_t j = 0; j < n; j++) out[j] = cmembers(r)[(i + j) % r->n_members];
        return n;
    }
    /* Walk clockwise, skipping points of members already chosen: with vnodes, the
     * next point often belongs to a member already in the list. */
    const ring_point_t *p = cpoints(r);
    uint32_t got = 0, i = first_point(r, ring_key_pos(key));
    for (uint32_t step = 0; step < r->n_points && got < n; step++, i = i + 1 == r->n_points ? 0 : i + 1) {
        bool seen = false;
        for (uint32_t j = 0; j < got && !seen; j++) seen = out[j] == p[i].node;
        if (!seen) out[got++] = p[i].node;
    }
    sim_assert(got == n);
    return got;
}

bool ring_is_replica(const ring_t *r, uint32_t key, uint32_t n, uint32_t node)
{
    uint32_t buf[RING_MOVED_N_MAX];
    sim_assert(n <= RING_MOVED_N_MAX);
    uint32_t got = ring_replicas(r, key, n, buf);
    for (uint32_t i = 0; i < got; i++)
        if (buf[i] == node) return true;
    return false;
}

double ring_moved_fraction(const ring_t *a, const ring_t *b, uint32_t n_keys, uint32_t n)
{
    sim_assert(n >= 1 && n <= RING_MOVED_N_MAX);
    if (n_keys == 0) return 0;
    uint32_t x[RING_MOVED_N_MAX], y[RING_MOVED_N_MAX];
    uint64_t moved = 0;
    for (uint32_t k = 0; k < n_keys; k++) {
        uint32_t nx = ring_replicas(a, k, n, x), ny = ring_replicas(b, k, n, y);
        bool same = nx == ny;
        /* As sets: the order of a preference list is not what moves data. */
        for (uint32_t i = 0; i < nx && same; i++) {
            bool found = false;
            for (uint32_t j = 0; j < ny && !found; j++) found = x[i] == y[j];
            same = found;
        }
        moved += !same;
    }
    return (double)moved / (double)n_keys;
}
