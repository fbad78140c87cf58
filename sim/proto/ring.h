/* ring.h -- which server holds a key: hash mod N, ranges, consistent hashing.
 *
 * Three ways to spread keys over a set of member servers, behind one interface so a
 * protocol can switch between them with a parameter and a student can compare them on
 * the same run:
 *
 *   mod         owner = members[hash(key) mod N]. Even and stateless, but when N
 *               changes almost every key changes owner (for 8 -> 9 members, 8 in 9).
 *   range       keys 0 .. K-1 cut into N contiguous ranges, one per member in id
 *               order. Neighbouring keys live together (range scans), but a new member
 *               shifts every boundary (8 -> 9 members: half the keys move). Real range
 *               partitioners split one range instead; see ring.c.
 *   consistent  every member places `vnodes` points on a circle of 2^64 positions; a
 *               key belongs to the first point clockwise from its hash (Karger et al.,
 *               "Consistent hashing and random trees", STOC 1997). A new member takes
 *               over only the arcs in front of its own points, about 1/N of the keys;
 *               more points per member even out the arcs (DeCandia et al., "Dynamo",
 *               SOSP 2007, section 4.2).
 *
 * The replicas of a key, its "preference list", are the owner and the next distinct
 * members after it: clockwise on the circle, or in member order for mod and range.
 *
 * A ring_t is one block of memory of ring_bytes(servers_max, vnodes) bytes, so it can
 * live inside a node's state with no allocation, and be copied with memcpy. Every
 * function is pure: same members, same answers, on every node and in every run.
 */
#ifndef SIM_RING_H
#define SIM_RING_H

#include "core/base.h"

#define RING_SERVERS_MAX 4096           /* server ids a ring can place */
#define RING_VNODES_MAX 1024            /* points per server on the circle */
#define RING_POINTS_MAX (1u << 18)      /* points on one circle: servers_max * vnodes */
#define RING_NONE UINT32_MAX            /* no owner: the ring has no members */

typedef enum { RING_MOD, RING_RANGE, RING_CONSISTENT, RING_SCHEME_COUNT_ } ring_scheme_t;
extern const char *const ring_scheme_names[];   /* "mod", "range", "consistent" */

typedef struct ring_point {
    uint64_t pos;           /* position on the circle */
    uint32_t node;
    uint32_t vnode;         /* which of the node's points */
} ring_point_t;

typedef struct ring {
    uint32_t scheme;        /* ring_scheme_t */
    uint32_t servers_max;   /* node ids are below this */
    uint32_t vnodes;        /* points per member (consistent only) */
    uint32_t n_keys;        /* the key space, for range partitioning */
    uint32_t n_members;
    uint32_t n_points;
    /* members[servers_max] in increasing id order, then points[servers_max * vnodes]
     * sorted by position (only for consistent hashing). */
    uint64_t body[];
} ring_t;

/* Bytes of a ring for ids below servers_max with vnodes points each. */
size_t ring_bytes(uint32_t servers_max, uint32_t vnodes);
/* An empty ring (no members). vnodes is ignored unless scheme is RING_CONSISTENT. */
void ring_init(ring_t *r, ring_scheme_t scheme, uint32_t servers_max, uint32_t vnodes, uint32_t n_keys);
/* Replaces the members: n distinct ids below servers_max, in any order.
 * O(n * vnodes * log(n * vnodes)); allocates nothing. */
void ring_build(ring_t *r, const uint32_t *members, uint32_t n);
/* The same from a membership test over ids 0 .. servers_max-1. */
void ring_build_from(ring_t *r, bool (*is_member)(void *ud, uint32_t node), void *ud);

uint32_t ring_n_members(const ring_t *r);
const uint32_t *ring_members(const ring_t *r);
bool ring_has(const ring_t *r, uint32_t node);          /* node is a member */
/* The point sorted i-th on the circle (consistent hashing only; i < n_points). */
const ring_point_t *ring_point(const ring_t *r, uint32_t i);
uint32_t ring_n_points(const ring_t *r);

/* Where a key hashes on the circle (also the hash that mod N uses). */
uint64_t ring_key_pos(uint32_t key);
/* The key's owner, or RING_NONE when there are no members. */
uint32_t ring_owner(const ring_t *r, uint32_t key);
/* The key's preference list: up to n distinct members, owner first, in ring order.
 * Returns how many were written (fewer than n when there are fewer members). Asking
 * for every member gives the whole walk, which is where sloppy quorums find stand-ins. */
uint32_t ring_replicas(const ring_t *r, uint32_t key, uint32_t n, uint32_t *out);
/* Whether node is among the key's first n replicas. */
bool ring_is_replica(const ring_t *r, uint32_t key, uint32_t n, uint32_t node);

/* The fraction of keys 0 .. n_keys-1 whose set of n replicas (for n = 1, the owner)
 * differs between rings a and b: what a membership change makes move. */
double ring_moved_fraction(const ring_t *a, const ring_t *b, uint32_t n_keys, uint32_t n);

#endif
