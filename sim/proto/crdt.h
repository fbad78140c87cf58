/* crdt.h -- state-based CRDTs: the objects, their updates and their merge, as pure functions.
 *
 * A state-based CRDT (a CvRDT in Shapiro, Preguiça, Baquero and Zawirski, "Conflict-
 * free Replicated Data Types", SSS 2011, and INRIA research report 7506) is a state
 * with a merge that is commutative, associative and idempotent, and updates that only
 * move the state up (inflations). Replicas that have seen the same updates, in any
 * order, any number of times, hold equal states. Everything that makes that true lives
 * here, apart from the network, so tests can check the laws on random states directly.
 *
 * Every object has a fixed size for given dimensions (crdt_obj_bytes), so a replica's
 * objects sit in storage the core allocates, and an all-zero object is the bottom (the
 * initial state) of every type. An object's used part is a prefix (crdt_wire_bytes):
 * that prefix is what a message carries, and a merge reads a received prefix in place.
 * Objects are kept canonical (entries sorted, unused bytes zero), so two equal states
 * are equal byte for byte.
 *
 *   type           state                                 merge
 *   g-counter      P[r]: increments made at replica r    pointwise max
 *   pn-counter     P[r], N[r]: increments, decrements    pointwise max of both
 *   or-set         tags (element, replica, seq, removed)  union of tags, removed if either
 *   lww-register   (timestamp, node, value or deleted)    the larger (timestamp, node)
 *   mv-register    siblings (value, version vector)       the siblings no other dominates
 */
#ifndef SIM_CRDT_H
#define SIM_CRDT_H

#include "core/base.h"

typedef enum {
    CRDT_G_COUNTER, CRDT_PN_COUNTER, CRDT_OR_SET, CRDT_LWW_REGISTER, CRDT_MV_REGISTER, CRDT_TYPE_COUNT_
} crdt_type_t;
extern const char *const crdt_type_names[];    /* "g-counter", ..., NULL-terminated */

#define CRDT_REPLICAS_MAX 64       /* replicas a vector can name: the servers of a run */
#define CRDT_TAGS_MAX 16384        /* OR-set tags (one per add, kept after removal) per object */

/* Results: >= 0 success (merge: 1 when the state changed), < 0 errors. */
enum { CRDT_OK = 0, CRDT_EFULL = -1, CRDT_EINVAL = -2 };

typedef struct crdt_dims {
    crdt_type_t type;
    uint32_t n_replicas;           /* 1 .. CRDT_REPLICAS_MAX */
    uint32_t max_tags;             /* or-set: 1 .. CRDT_TAGS_MAX */
} crdt_dims_t;

/* lww-register. Order: any write beats the empty register; then larger ts, then larger
 * node; then (two writes of one node in the same nanosecond) larger state and value,
 * so that merge never depends on the order it is called in. */
enum { CRDT_LWW_EMPTY, CRDT_LWW_VALUE, CRDT_LWW_DELETED };
typedef struct crdt_lww {
    uint8_t state;                 /* CRDT_LWW_* */
    uint8_t _pad[3];
    uint32_t node;                 /* the replica that wrote */
    sim_time_t ts;                 /* the writer's local clock when it wrote */
    int64_t value;                 /* the value written (a delete keeps what it was given) */
} crdt_lww_t;

/* or-set: one add of one element, named by the tag (replica, seq). */
typedef struct crdt_tag {
    int64_t elem;
    uint32_t replica;
    uint32_t seq;                  /* 1, 2, ... per replica */
    uint32_t removed;              /* 0 or 1: a remove observed this tag */
    uint32_t _pad;
} crdt_tag_t;
typedef struct crdt_orset {
    uint32_t n;                    /* tags, sorted by (replica, seq) */
    uint32_t _pad;
    crdt_tag_t tag[];              /* max_tags */
} crdt_orset_t;

/* mv-register: n siblings, each a value then n_replicas vector entries (int64 each),
 * sorted by (vector, value). */
typedef struct crdt_mv {
    uint32_t n;
    uint32_t _pad;
    int64_t sib[];
} crdt_mv_t;

size_t crdt_obj_bytes(const crdt_dims_t *d);
/* Bytes of obj that carry its state (a prefix of obj): what goes on the wire. */
size_t crdt_wire_bytes(const crdt_dims_t *d, const void *obj);
/* True when len bytes at p form a well-shaped prefix (as crdt_wire_bytes would give). */
bool crdt_wire_ok(const crdt_dims_t *d, const void *p, size_t len);
bool crdt_is_bottom(const crdt_dims_t *d, const void *obj);
bool crdt_equal(const crdt_dims_t *d, const void *a, const void *b);

/* into := into merge from. from may be a received prefix (crdt_wire_ok). Returns 1 if
 * into changed, 0 if not, CRDT_EFULL (into unchanged) if the result would exceed
 * max_tags or, for broken inputs, n_replicas siblings. */
int crdt_merge(const crdt_dims_t *d, void *into, const void *from);
/* The lattice order: a <= b exactly when merge(a, b) equals b. */
bool crdt_leq(const crdt_dims_t *d, const void *a, const void *b);

/* ---- Updates at replica `self`, and what a read sees. ---------------------------- */

/* Counters. A g-counter refuses a negative delta (CRDT_EINVAL). */
int crdt_counter_add(const crdt_dims_t *d, void *obj, uint32_t self, int64_t delta);
int64_t crdt_counter_value(const crdt_dims_t *d, const void *obj);

/* or-set. An add makes a fresh tag; a remove marks every tag of elem this replica has
 * seen (returns how many), so an add it has not seen survives: add wins. */
int crdt_orset_add(const crdt_dims_t *d, void *obj, uint32_t self, int64_t elem);
int crdt_orset_remove(const crdt_dims_t *d, void *obj, int64_t elem);
/* The elements present (a live tag), ascending, at most max; returns the count. */
uint32_t crdt_orset_elements(const crdt_dims_t *d, const void *obj, int64_t *out, uint32_t max);

/* lww-register: merges the write (ts, node, value or delete) in. Returns 1 if it took
 * effect, 0 if the register already held a later write (the new one is lost). */
int crdt_lww_set(const crdt_dims_t *d, void *obj, sim_time_t ts, uint32_t node, int64_t value, bool deleted);

/* mv-register: a write supersedes every sibling this replica holds (its vector is their
 * maximum, with self's entry bumped). The values of the siblings, ascending. */
int crdt_mv_write(const crdt_dims_t *d, void *obj, uint32_t self, int64_t value);
uint32_t crdt_mv_values(const crdt_dims_t *d, const void *obj, int64_t *out, uint32_t max);
/* Sibling i: its value and its version vector (n_replicas entries). */
int64_t crdt_mv_value(const crdt_dims_t *d, const void *obj, uint32_t i);
const int64_t *crdt_mv_vector(const crdt_dims_t *d, const void *obj, uint32_t i);

#endif
