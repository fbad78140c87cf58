/* crdt.c -- state-based CRDTs replicated by gossip: counters, an add-wins set, registers.
 *
 * The objects follow Shapiro, Preguiça, Baquero and Zawirski, "Conflict-free Replicated
 * Data Types" (SSS 2011) and its long version, INRIA research report RR-7506 ("A
 * comprehensive study of Convergent and Commutative Replicated Data Types"): the
 * state-based objects, which converge because their states form a join-semilattice,
 * and the report's G-Counter, PN-Counter, LWW-Register, MV-Register and OR-Set. This
 * file has two halves: the pure lattice functions declared in crdt.h, then the
 * protocol that replicates them.
 *
 * Every replica accepts every operation at once, with no coordination; replicas send
 * their whole state to random peers every `gossip` period, and a replica that receives
 * a state merges it into its own (the least upper bound of the two). Because merge is
 * commutative, associative and idempotent, it does not matter in which order states
 * arrive, how often, or through whom: once the same updates have reached everyone,
 * every replica holds the same state. That is strong eventual consistency.
 *
 *      c1 ──add 1──> n1                    c2 ──add 1──> n3
 *                    n1: P=[1,0,0]                       n3: P=[0,0,1]
 *                    n1 ──state P=[1,0,0]──> n2          n2: P=[1,0,0]
 *                    n2 <──state P=[0,0,1]── n3          n2: P=[1,0,1] = 2
 *
 * The objects (one per key of the workload; the `type` parameter picks the kind):
 *
 *   g-counter     a vector P with one entry per replica; an increment at replica r
 *                 raises P[r]; the value is the sum; merge takes the pointwise max.
 *                 Each replica only ever raises its own entry, so max loses nothing.
 *   pn-counter    two g-counters, P for increments and N for decrements: value P - N.
 *   or-set        the observed-remove set, add wins. Each add makes a unique tag
 *                 (replica, seq); a remove marks removed the tags of that element the
 *                 replica has *seen*. An element is present while one of its tags is
 *                 live. Merge unions the tags, and a tag is removed if either side
 *                 removed it. A concurrent add made a tag the remover never saw, so it
 *                 survives: add wins. Removed tags are kept (tombstones), bounded by
 *                 `max_tags`.
 *   lww-register  the last-writer-wins register: a write is stamped with the writer's
 *                 local clock (sim_clock) and node id; merge keeps the larger
 *                 (timestamp, node). Clocks are not synchronized, so a write that
 *                 happened later in real time but on a node whose clock is behind
 *                 loses -- silently, even on its own replica.
 *   mv-register   the multi-value register: each value carries a version vector. A
 *                 write supersedes what the writing replica has seen (its vector is
 *                 their maximum plus one at the writer); merge keeps every value that
 *                 no other value's vector dominates. Concurrent writes survive side by
 *                 side as siblings, and a read returns them all, as Dynamo and Riak do.
 *
 * How client operations map onto the objects (the workload's `add` sends 1, its
 * `write` sends fresh values; a scenario `request` can send any integer):
 *
 *   type          add v                           write v                        read
 *   g-counter     increment by v (v < 0 fails)    fails                          the value
 *   pn-counter    increment by v; v < 0 decrements fails                          the value
 *   or-set        v > 0 adds v; v < 0 removes -v  the same as add                the elements, a list
 *   lww-register  fails                           v >= 0 sets v; v < 0 deletes   the value, or nothing
 *   mv-register   fails                           sets v                         the siblings, a list
 *
 * So the same schedule drives the set and the register: "write 7" puts 7 in, "write
 * -7" takes it out. After a partition in which one side removes 7 while the other adds
 * it again, the or-set keeps 7 (the add was concurrent: add wins), while the register
 * keeps whichever write has the later timestamp and loses the other.
 *
 * Replica state lives in durable storage. A replica that forgot its own entries after
 * a crash would reuse tags and lower its counter entry, and merge (max) would then
 * discard its new updates: the lattice only works if a replica never goes back down.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "proto/crdt.h"
#include "proto/proto.h"

const char *const crdt_type_names[] = {"g-counter", "pn-counter", "or-set", "lww-register", "mv-register", NULL};

/* ======== The lattices: pure functions (crdt.h). =================================== */

static size_t crdt_sib_words(const crdt_dims_t *d) { return 1 + (size_t)d->n_replicas; }

size_t crdt_obj_bytes(const crdt_dims_t *d)
{
    switch (d->type) {
    case CRDT_G_COUNTER: return (size_t)d->n_replicas * sizeof(int64_t);
    case CRDT_PN_COUNTER: return 2 * (size_t)d->n_replicas * sizeof(int64_t);
    case CRDT_OR_SET: return sizeof(crdt_orset_t) + (size_t)d->max_tags * sizeof(crdt_tag_t);
    case CRDT_LWW_REGISTER: return sizeof(crdt_lww_t);
    case CRDT_MV_REGISTER: return sizeof(crdt_mv_t) + (size_t)d->n_replicas * crdt_sib_words(d) * sizeof(int64_t);
    case CRDT_TYPE_COUNT_: break;
    }
    sim_assert(!"unknown crdt type");
    return 0;
}

size_t crdt_wire_bytes(const crdt_dims_t *d, const void *obj)
{
    if (d->type == CRDT_OR_SET) return sizeof(crdt_orset_t) + ((const crdt_orset_t *)obj)->n * sizeof(crdt_tag_t);
    if (d->type == CRDT_MV_REGISTER)
        return sizeof(crdt_mv_t) + ((const crdt_mv_t *)obj)->n * crdt_sib_words(d) * sizeof(int64_t);
    return crdt_obj_bytes(d);
}

static int crdt_tag_cmp(const crdt_tag_t *a, const crdt_tag_t *b)
{
    if (a->replica != b->replica) return a->replica < b->replica ? -1 : 1;
    if (a->seq != b->seq) return a->seq < b->seq ? -1 : 1;
    return 0;
}

bool crdt_wire_ok(const crdt_dims_t *d, const void *p, size_t len)
{
    if (len < 8 || len % 8) return false;
    switch (d->type) {
    case CRDT_G_COUNTER:
    case CRDT_PN_COUNTER:
        return len == crdt_obj_bytes(d);
    case CRDT_LWW_REGISTER: {
        crdt_lww_t r;
        if (len != sizeof r) return false;
        memcpy(&r, p, sizeof r);
        return r.state <= CRDT_LWW_DELETED && (r.state != CRDT_LWW_EMPTY || (r.ts == 0 && r.node == 0 && r.value == 0)) &&
               r.node < d->n_replicas;
    }
    case CRDT_OR_SET: {
        const crdt_orset_t *s = p;
        if (s->n > d->max_tags || len != sizeof *s + s->n * sizeof(crdt_tag_t)) return false;
        for (uint32_t i = 0; i < s->n; i++) {
            const crdt_tag_t *t = &s->tag[i];
            if (t->replica >= d->n_replicas || t->seq == 0 || t->removed > 1) return false;
            if (i && crdt_tag_cmp(&s->tag[i - 1], t) >= 0) return false;     /* sorted, unique */
        }
        return true;
    }
    case CRDT_MV_REGISTER: {
        const crdt_mv_t *m = p;
        return m->n <= d->n_replicas && len == sizeof *m + m->n * crdt_sib_words(d) * sizeof(int64_t);
    }
    case CRDT_TYPE_COUNT_: break;
    }
    return false;
}

bool crdt_is_bottom(const crdt_dims_t *d, const void *obj)
{
    if (d->type == CRDT_OR_SET) return ((const crdt_orset_t *)obj)->n == 0;
    if (d->type == CRDT_MV_REGISTER) return ((const crdt_mv_t *)obj)->n == 0;
    const uint8_t *b = obj;
    for (size_t i = 0, n = crdt_obj_bytes(d); i < n; i++) if (b[i]) return false;
    return true;
}

bool crdt_equal(const crdt_dims_t *d, const void *a, const void *b)
{
    /* Objects are canonical and zero beyond their prefix: compare the prefixes. */
    size_t n = crdt_wire_bytes(d, a);
    return n == crdt_wire_bytes(d, b) && memcmp(a, b, n) == 0;
}

/* ---- Counters (the report's G-Counter and PN-Counter): pointwise max. ---- */

static int crdt_max_into(int64_t *a, const int64_t *b, size_t n)
{
    int changed = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i] > a[i]) { a[i] = b[i]; changed = 1; }
    return changed;
}

int crdt_counter_add(const crdt_dims_t *d, void *obj, uint32_t self, int64_t delta)
{
    sim_assert(self < d->n_replicas);
    int64_t *p = obj;
    if (d->type == CRDT_G_COUNTER) {
        if (delta < 0) return CRDT_EINVAL;       /* a g-counter only grows */
        p[self] += delta;
        return CRDT_OK;
    }
    sim_assert(d->type == CRDT_PN_COUNTER);
    if (delta == INT64_MIN) return CRDT_EINVAL;
    if (delta >= 0) p[self] += delta;
    else p[d->n_replicas + self] += -delta;      /* N holds decrements as positive counts */
    return CRDT_OK;
}

int64_t crdt_counter_value(const crdt_dims_t *d, const void *obj)
{
    const int64_t *p = obj;
    int64_t v = 0;
    for (uint32_t i = 0; i < d->n_replicas; i++) v += p[i];
    if (d->type == CRDT_PN_COUNTER)
        for (uint32_t i = 0; i < d->n_replicas; i++) v -= p[d->n_replicas + i];
    return v;
}

/* ---- lww-register (the report's LWW-Register). ---- */

static int crdt_lww_cmp(const crdt_lww_t *a, const crdt_lww_t *b)
{
    bool wa = a->state != CRDT_LWW_EMPTY, wb = b->state != CRDT_LWW_EMPTY;
    if (wa != wb) return wa ? 1 : -1;           /* any write beats the empty register */
    if (!wa) return 0;
#define CRDT_CMP(f) if (a->f != b->f) return a->f < b->f ? -1 : 1
    CRDT_CMP(ts);
    CRDT_CMP(node);
    CRDT_CMP(state);
    CRDT_CMP(value);
#undef CRDT_CMP
    return 0;
}

int crdt_lww_set(const crdt_dims_t *d, void *obj, sim_time_t ts, uint32_t node, int64_t value, bool deleted)
{
    sim_assert(node < d->n_replicas);
    crdt_lww_t w = {0};
    w.state = deleted ? CRDT_LWW_DELETED : CRDT_LWW_VALUE;
    w.node = node;
    w.ts = ts;
    w.value = value;
    return crdt_merge(d, obj, &w);
}

/* ---- or-set (the report's Observed-Remove Set), in its state-based form. ---- */

/* into := into union from, by tag, in place: count the result, then merge from the
 * back so nothing is overwritten before it is read. O(|into| + |from|). */
static int crdt_orset_merge(const crdt_dims_t *d, crdt_orset_t *a, const crdt_orset_t *b)
{
    uint32_t i = 0, j = 0, n = 0;
    bool changed = false;
    while (i < a->n || j < b->n) {
        int c = i >= a->n ? 1 : j >= b->n ? -1 : crdt_tag_cmp(&a->tag[i], &b->tag[j]);
        if (c < 0) i++;
        else if (c > 0) { j++; changed = true; }
        else { changed |= b->tag[j].removed && !a->tag[i].removed; i++; j++; }
        n++;
    }
    if (!changed) return 0;
    if (n > d->max_tags) return CRDT_EFULL;
    int64_t ia = (int64_t)a->n - 1, jb = (int64_t)b->n - 1, k = (int64_t)n - 1;
    while (jb >= 0) {
        int c = ia < 0 ? -1 : crdt_tag_cmp(&a->tag[ia], &b->tag[jb]);
        if (c > 0) {
            a->tag[k--] = a->tag[ia--];
        } else if (c < 0) {
            a->tag[k--] = b->tag[jb--];
        } else {
            crdt_tag_t t = a->tag[ia--];
            t.removed |= b->tag[jb--].removed;
            a->tag[k--] = t;
        }
    }
    sim_assert(k == ia);            /* what is left of into is already in place */
    a->n = n;
    return 1;
}

static bool crdt_orset_leq(const crdt_orset_t *a, const crdt_orset_t *b)
{
    uint32_t j = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        while (j < b->n && crdt_tag_cmp(&b->tag[j], &a->tag[i]) < 0) j++;
        if (j == b->n || crdt_tag_cmp(&b->tag[j], &a->tag[i]) != 0) return false;
        if (a->tag[i].removed > b->tag[j].removed) return false;
    }
    return true;
}

int crdt_orset_add(const crdt_dims_t *d, void *obj, uint32_t self, int64_t elem)
{
    sim_assert(self < d->n_replicas);
    crdt_orset_t *s = obj;
    if (s->n >= d->max_tags) return CRDT_EFULL;
    /* Tags are sorted by (replica, seq): self's run ends where a larger replica starts,
     * and the new tag goes there, one past self's last seq. Tombstones keep old seqs
     * in the set, so a seq is never reused. */
    uint32_t at = 0, seq = 1;
    while (at < s->n && s->tag[at].replica <= self) {
        if (s->tag[at].replica == self) seq = s->tag[at].seq + 1;
        at++;
    }
    memmove(&s->tag[at + 1], &s->tag[at], (s->n - at) * sizeof s->tag[0]);
    crdt_tag_t t = {elem, self, seq, 0, 0};
    s->tag[at] = t;
    s->n++;
    return CRDT_OK;
}

int crdt_orset_remove(const crdt_dims_t *d, void *obj, int64_t elem)
{
    crdt_orset_t *s = obj;
    int removed = 0;
    for (uint32_t i = 0; i < s->n; i++)
        if (s->tag[i].elem == elem && !s->tag[i].removed) { s->tag[i].removed = 1; removed++; }
    return removed;
}

static int crdt_i64_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

uint32_t crdt_orset_elements(const crdt_dims_t *d, const void *obj, int64_t *out, uint32_t max)
{
    const crdt_orset_t *s = obj;
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n && n < max; i++)
        if (!s->tag[i].removed) out[n++] = s->tag[i].elem;
    qsort(out, n, sizeof *out, crdt_i64_cmp);
    uint32_t u = 0;
    for (uint32_t i = 0; i < n; i++)
        if (u == 0 || out[u - 1] != out[i]) out[u++] = out[i];
    return u;
}

/* ---- mv-register (the report's Multi-Value Register). ---- */

enum { CRDT_VV_EQUAL, CRDT_VV_LESS, CRDT_VV_GREATER, CRDT_VV_CONCURRENT };

static int crdt_vv_rel(const int64_t *a, const int64_t *b, uint32_t n)
{
    bool le = true, ge = true;
    for (uint32_t i = 0; i < n; i++) {
        if (a[i] < b[i]) ge = false;
        if (a[i] > b[i]) le = false;
    }
    return le && ge ? CRDT_VV_EQUAL : le ? CRDT_VV_LESS : ge ? CRDT_VV_GREATER : CRDT_VV_CONCURRENT;
}

static int64_t *crdt_sib(const crdt_dims_t *d, crdt_mv_t *m, uint32_t i) { return m->sib + i * crdt_sib_words(d); }
static const int64_t *crdt_csib(const crdt_dims_t *d, const crdt_mv_t *m, uint32_t i)
{
    return m->sib + i * crdt_sib_words(d);
}

/* Sibling order for the canonical form: by vector, then by value. */
static int crdt_sib_cmp(const crdt_dims_t *d, const int64_t *x, const int64_t *y)
{
    for (uint32_t i = 1; i <= d->n_replicas; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* x is dropped by a merge with y when y's vector dominates x's strictly, or when y is
 * the very same sibling (then one copy is enough). */
static bool crdt_sib_covered(const crdt_dims_t *d, const int64_t *x, const int64_t *y)
{
    int r = crdt_vv_rel(x + 1, y + 1, d->n_replicas);
    return r == CRDT_VV_LESS || (r == CRDT_VV_EQUAL && x[0] == y[0]);
}

static int crdt_mv_merge(const crdt_dims_t *d, crdt_mv_t *a, const crdt_mv_t *b)
{
    bool drop[CRDT_REPLICAS_MAX] = {false}, take[CRDT_REPLICAS_MAX] = {false};
    uint32_t kept = a->n, taken = 0;
    sim_assert(a->n <= CRDT_REPLICAS_MAX && b->n <= CRDT_REPLICAS_MAX);
    for (uint32_t i = 0; i < a->n; i++)
        for (uint32_t j = 0; j < b->n && !drop[i]; j++)
            if (crdt_vv_rel(crdt_csib(d, a, i) + 1, crdt_csib(d, b, j) + 1, d->n_replicas) == CRDT_VV_LESS) {
                drop[i] = true;
                kept--;
            }
    for (uint32_t j = 0; j < b->n; j++) {
        take[j] = true;
        for (uint32_t i = 0; i < a->n && take[j]; i++)
            if (crdt_sib_covered(d, crdt_csib(d, b, j), crdt_csib(d, a, i))) take[j] = false;
        taken += take[j];
    }
    if (kept == a->n && taken == 0) return 0;
    if (kept + taken > d->n_replicas) return CRDT_EFULL;
    size_t w = crdt_sib_words(d), bytes = w * sizeof(int64_t);
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->n; i++)
        if (!drop[i]) { if (n != i) memmove(crdt_sib(d, a, n), crdt_sib(d, a, i), bytes); n++; }
    for (uint32_t j = 0; j < b->n; j++)
        if (take[j]) memcpy(crdt_sib(d, a, n++), crdt_csib(d, b, j), bytes);
    /* Insertion sort into the canonical order: at most n_replicas siblings. */
    int64_t tmp[1 + CRDT_REPLICAS_MAX];
    for (uint32_t i = 1; i < n; i++) {
        memcpy(tmp, crdt_sib(d, a, i), bytes);
        uint32_t k = i;
        for (; k > 0 && crdt_sib_cmp(d, crdt_sib(d, a, k - 1), tmp) > 0; k--)
            memcpy(crdt_sib(d, a, k), crdt_sib(d, a, k - 1), bytes);
        memcpy(crdt_sib(d, a, k), tmp, bytes);
    }
    if (n < a->n) memset(crdt_sib(d, a, n), 0, (size_t)(a->n - n) * bytes);   /* canonical: zero beyond n */
    a->n = n;
    return 1;
}

static bool crdt_mv_leq(const crdt_dims_t *d, const crdt_mv_t *a, const crdt_mv_t *b)
{
    for (uint32_t i = 0; i < a->n; i++) {
        bool covered = false;
        for (uint32_t j = 0; j < b->n && !covered; j++) covered = crdt_sib_covered(d, crdt_csib(d, a, i), crdt_csib(d, b, j));
        if (!covered) return false;
    }
    /* b must not lose anything to a either (it does not when b is a valid antichain,
     * but a broken b would make leq and merge disagree). */
    for (uint32_t j = 0; j < b->n; j++)
        for (uint32_t i = 0; i < a->n; i++)
            if (crdt_vv_rel(crdt_csib(d, b, j) + 1, crdt_csib(d, a, i) + 1, d->n_replicas) == CRDT_VV_LESS) return false;
    return true;
}

int crdt_mv_write(const crdt_dims_t *d, void *obj, uint32_t self, int64_t value)
{
    sim_assert(self < d->n_replicas);
    crdt_mv_t *m = obj;
    int64_t vv[CRDT_REPLICAS_MAX] = {0};
    for (uint32_t i = 0; i < m->n; i++) {
        const int64_t *s = crdt_csib(d, m, i);
        for (uint32_t r = 0; r < d->n_replicas; r++) if (s[1 + r] > vv[r]) vv[r] = s[1 + r];
    }
    vv[self]++;
    memset(m->sib, 0, (size_t)m->n * crdt_sib_words(d) * sizeof(int64_t));
    m->sib[0] = value;
    memcpy(m->sib + 1, vv, d->n_replicas * sizeof(int64_t));
    m->n = 1;
    return CRDT_OK;
}

uint32_t crdt_mv_values(const crdt_dims_t *d, const void *obj, int64_t *out, uint32_t max)
{
    const crdt_mv_t *m = obj;
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n && n < max; i++) out[n++] = crdt_csib(d, m, i)[0];
    qsort(out, n, sizeof *out, crdt_i64_cmp);
    return n;
}

int64_t crdt_mv_value(const crdt_dims_t *d, const void *obj, uint32_t i) { return crdt_csib(d, obj, i)[0]; }
const int64_t *crdt_mv_vector(const crdt_dims_t *d, const void *obj, uint32_t i) { return crdt_csib(d, obj, i) + 1; }

/* ---- Dispatch. ---- */

int crdt_merge(const crdt_dims_t *d, void *into, const void *from)
{
    switch (d->type) {
    case CRDT_G_COUNTER:
    case CRDT_PN_COUNTER:
        return crdt_max_into(into, from, crdt_obj_bytes(d) / sizeof(int64_t));
    case CRDT_LWW_REGISTER: {
        crdt_lww_t a, b;
        memcpy(&a, into, sizeof a);
        memcpy(&b, from, sizeof b);
        if (crdt_lww_cmp(&b, &a) <= 0) return 0;
        memset(b._pad, 0, sizeof b._pad);
        memcpy(into, &b, sizeof b);
        return 1;
    }
    case CRDT_OR_SET: return crdt_orset_merge(d, into, from);
    case CRDT_MV_REGISTER: return crdt_mv_merge(d, into, from);
    case CRDT_TYPE_COUNT_: break;
    }
    sim_assert(!"unknown crdt type");
    return CRDT_EINVAL;
}

bool crdt_leq(const crdt_dims_t *d, const void *a, const void *b)
{
    switch (d->type) {
    case CRDT_G_COUNTER:
    case CRDT_PN_COUNTER: {
        const int64_t *x = a, *y = b;
        for (size_t i = 0, n = crdt_obj_bytes(d) / sizeof(int64_t); i < n; i++) if (x[i] > y[i]) return false;
        return true;
    }
    case CRDT_LWW_REGISTER: {
        crdt_lww_t x, y;
        memcpy(&x, a, sizeof x);
        memcpy(&y, b, sizeof y);
        return crdt_lww_cmp(&x, &y) <= 0;
    }
    case CRDT_OR_SET: return crdt_orset_leq(a, b);
    case CRDT_MV_REGISTER: return crdt_mv_leq(d, a, b);
    case CRDT_TYPE_COUNT_: break;
    }
    return false;
}

/* ======== The protocol: replicas gossiping their state. ============================ */

typedef struct crdt_config {
    int type;                      /* crdt_type_t */
    int _pad;
    sim_time_t gossip_ns;
    int64_t fanout;
    int64_t max_tags;
    crdt_dims_t dims;              /* derived */
    uint32_t n_keys;               /* derived: one object per key */
    size_t obj_bytes;              /* derived */
} crdt_config_t;

enum { CRDT_MSG_STATE };
enum { CRDT_TIMER_GOSSIP };

/* One replica's objects, all keys together. */
#define CRDT_STORE_BYTES_MAX ((size_t)256 << 20)

/* Durable storage: a digest for comparing replicas, then per key the hash of its
 * object (0 while it is bottom), then the objects. */
typedef struct crdt_store {
    uint64_t digest;               /* sum of key_hash: equal states have equal digests */
    uint64_t key_hash[];
} crdt_store_t;

/* Volatile state: counts for the summary only. */
typedef struct crdt_state {
    uint64_t merges;               /* objects received and merged */
    uint64_t merges_changed;       /* ... that changed this replica */
    uint64_t gossip_sent;
    uint64_t lww_lost;             /* lww writes that lost at once to a later timestamp here */
} crdt_state_t;

/* A state message: a header, then per object a key, the prefix's length, the prefix. */
typedef struct crdt_msg_hdr { uint32_t n_objs, _pad; } crdt_msg_hdr_t;
typedef struct crdt_obj_hdr { uint32_t key, len; } crdt_obj_hdr_t;

/* Scratch for building a message and for the values of a read. The simulator runs one
 * callback at a time, so one buffer serves every replica. */
static struct {
    _Alignas(8) uint8_t buf[SIM_PAYLOAD_BYTES_MAX];
    int64_t vals[CRDT_TAGS_MAX];
} crdt_out;

static void *crdt_obj(const crdt_config_t *cfg, crdt_store_t *st, uint32_t key)
{
    sim_assert(key < cfg->n_keys);
    return (uint8_t *)(st->key_hash + cfg->n_keys) + (size_t)key * cfg->obj_bytes;
}

/* After an update or a merge: rehash the object and fold the change into the digest.
 * A bottom object hashes to 0, so untouched keys agree everywhere; any other state
 * hashes to a nonzero value, which also marks the key as worth gossiping. */
static void crdt_touch(const crdt_config_t *cfg, crdt_store_t *st, uint32_t key)
{
    const uint64_t *w = crdt_obj(cfg, st, key);
    uint64_t h = 0;
    if (!crdt_is_bottom(&cfg->dims, w)) {
        h = sim_mix64((uint64_t)key + 1);
        for (size_t i = 0, n = crdt_wire_bytes(&cfg->dims, w) / 8; i < n; i++) h = sim_mix64(h ^ w[i]);
        if (h == 0) h = 1;
    }
    st->digest += h - st->key_hash[key];
    st->key_hash[key] = h;
}

static void crdt_arm(sim_ctx *c, sim_time_t delay)
{
    sim_timer_set(c, delay, CRDT_TIMER_GOSSIP, 0);
}

static void crdt_init(sim_ctx *c)
{
    const crdt_config_t *cfg = sim_config(c);
    /* Durable state survives restarts as it is; only gossip needs starting, at a random
     * phase so replicas do not gossip in lockstep. */
    crdt_arm(c, (sim_time_t)rng_below(sim_rng(c), (uint64_t)cfg->gossip_ns) + 1);
}

static void crdt_timer(sim_ctx *c, int kind, uint64_t data)
{
    const crdt_config_t *cfg = sim_config(c);
    crdt_store_t *st = sim_durable(c);
    crdt_state_t *vs = sim_state(c);
    crdt_arm(c, cfg->gossip_ns);
    uint8_t *p = crdt_out.buf + sizeof(crdt_msg_hdr_t), *end = crdt_out.buf + sizeof crdt_out.buf;
    crdt_msg_hdr_t h = {0, 0};
    for (uint32_t k = 0; k < cfg->n_keys; k++) {
        if (!st->key_hash[k]) continue;                 /* still bottom: nothing to say */
        const void *o = crdt_obj(cfg, st, k);
        size_t len = crdt_wire_bytes(&cfg->dims, o);
        if ((size_t)(end - p) < sizeof(crdt_obj_hdr_t) + len) {
            sim_halt(c, "crdt: the state of %s no longer fits one message (SIM_PAYLOAD_BYTES_MAX bytes); "
                     "use fewer workload keys or a smaller protocol.params.max_tags", sim_node_name(c, sim_self(c)));
            return;
        }
        crdt_obj_hdr_t oh = {k, (uint32_t)len};
        memcpy(p, &oh, sizeof oh);
        memcpy(p + sizeof oh, o, len);
        p += sizeof oh + len;
        h.n_objs++;
    }
    if (!h.n_objs) return;
    memcpy(crdt_out.buf, &h, sizeof h);
    uint32_t n = sim_n_peers(c);
    for (int64_t f = 0; f < cfg->fanout && n; f++) {
        sim_send(c, sim_peer(c, (uint32_t)rng_below(sim_rng(c), n)), CRDT_MSG_STATE, crdt_out.buf, (uint32_t)(p - crdt_out.buf), 0);
        vs->gossip_sent++;
    }
}

static void crdt_message(sim_ctx *c, const sim_msg_t *m)
{
    const crdt_config_t *cfg = sim_config(c);
    crdt_store_t *st = sim_durable(c);
    crdt_state_t *vs = sim_state(c);
    const uint8_t *p = m->payload, *end = p + m->len;
    crdt_msg_hdr_t h;
    if (m->type != CRDT_MSG_STATE || m->len < sizeof h) goto bad;
    memcpy(&h, p, sizeof h);
    p += sizeof h;
    /* Check the whole message before merging any of it. */
    const uint8_t *q = p;
    for (uint32_t i = 0; i < h.n_objs; i++) {
        crdt_obj_hdr_t oh;
        if ((size_t)(end - q) < sizeof oh) goto bad;
        memcpy(&oh, q, sizeof oh);
        q += sizeof oh;
        if (oh.key >= cfg->n_keys || (size_t)(end - q) < oh.len || !crdt_wire_ok(&cfg->dims, q, oh.len)) goto bad;
        q += oh.len;
    }
    if (q != end) goto bad;
    for (uint32_t i = 0; i < h.n_objs; i++) {
        crdt_obj_hdr_t oh;
        memcpy(&oh, p, sizeof oh);
        p += sizeof oh;
        int r = crdt_merge(&cfg->dims, crdt_obj(cfg, st, oh.key), p);
        p += oh.len;
        vs->merges++;
        if (r == CRDT_EFULL) {
            sim_halt(c, "crdt: k%u on %s would hold more than max_tags (%lld) tags after a merge; raise protocol.params.max_tags",
                     oh.key, sim_node_name(c, sim_self(c)), (long long)cfg->max_tags);
            return;
        }
        if (r > 0) { vs->merges_changed++; crdt_touch(cfg, st, oh.key); }
    }
    return;
bad:
    sim_log(c, "crdt: ignored a malformed %u-byte message from %s", m->len, sim_node_name(c, m->from));
}

static void crdt_reply_value(sim_ctx *c, const sim_req_t *req, int64_t v) { sim_reply(c, req, SIM_REPLY_OK, &v, 1); }

static void crdt_request(sim_ctx *c, const sim_req_t *req)
{
    const crdt_config_t *cfg = sim_config(c);
    const crdt_dims_t *d = &cfg->dims;
    crdt_store_t *st = sim_durable(c);
    crdt_state_t *vs = sim_state(c);
    uint32_t self = sim_self(c);
    if (req->key >= cfg->n_keys) { sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0); return; }
    void *o = crdt_obj(cfg, st, req->key);
    int r = CRDT_EINVAL;
    switch ((crdt_type_t)cfg->type) {
    case CRDT_G_COUNTER:
    case CRDT_PN_COUNTER:
        if (req->f == SIM_OP_READ) { crdt_reply_value(c, req, crdt_counter_value(d, o)); return; }
        if (req->f == SIM_OP_ADD) r = crdt_counter_add(d, o, self, req->value);
        break;
    case CRDT_OR_SET:
        if (req->f == SIM_OP_READ) {
            sim_reply_list(c, req, crdt_out.vals, crdt_orset_elements(d, o, crdt_out.vals, CRDT_TAGS_MAX));
            return;
        }
        if (req->f != SIM_OP_ADD && req->f != SIM_OP_WRITE) break;
        if (req->value > 0) {
            r = crdt_orset_add(d, o, self, req->value);
            if (r == CRDT_EFULL) {
                sim_halt(c, "crdt: k%u on %s already holds max_tags (%lld) tags; raise protocol.params.max_tags",
                         req->key, sim_node_name(c, self), (long long)cfg->max_tags);
                return;
            }
        } else if (req->value < 0 && req->value != INT64_MIN) {
            /* Removing an element this replica has not seen changes nothing and is
             * still ok: a remove only ever takes out what its replica observed. */
            crdt_orset_remove(d, o, -req->value);
            r = CRDT_OK;
        }
        break;
    case CRDT_LWW_REGISTER:
        if (req->f == SIM_OP_READ) {
            const crdt_lww_t *reg = o;
            if (reg->state == CRDT_LWW_VALUE) crdt_reply_value(c, req, reg->value);
            else sim_reply(c, req, SIM_REPLY_OK, NULL, 0);
            return;
        }
        if (req->f == SIM_OP_WRITE) {
            sim_time_t ts = sim_clock(c);
            if (crdt_lww_set(d, o, ts, self, req->value, req->value < 0) == 0) {
                const crdt_lww_t *reg = o;
                vs->lww_lost++;
                sim_log(c, "crdt: write %lld at clock %lld lost at once to the write at clock %lld from %s",
                        (long long)req->value, (long long)ts, (long long)reg->ts, sim_node_name(c, reg->node));
                crdt_reply_value(c, req, req->value);
                return;
            }
            r = CRDT_OK;
        }
        break;
    case CRDT_MV_REGISTER:
        if (req->f == SIM_OP_READ) {
            sim_reply_list(c, req, crdt_out.vals, crdt_mv_values(d, o, crdt_out.vals, CRDT_REPLICAS_MAX));
            return;
        }
        if (req->f == SIM_OP_WRITE) r = crdt_mv_write(d, o, self, req->value);
        break;
    case CRDT_TYPE_COUNT_:
        break;
    }
    if (r < 0) { sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0); return; }
    crdt_touch(cfg, st, req->key);
    crdt_reply_value(c, req, req->value);
}

/* ---- Looking at a replica. ---- */

static uint32_t crdt_keys_written(const crdt_config_t *cfg, const crdt_store_t *st)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < cfg->n_keys; k++) n += st->key_hash[k] != 0;
    return n;
}

static void crdt_describe(sim_ctx *c, proto_desc_t *d)
{
    const crdt_config_t *cfg = sim_config(c);
    crdt_store_t *st = sim_durable(c);
    const void *o = crdt_obj(cfg, st, 0);
    char what[40] = "";
    switch ((crdt_type_t)cfg->type) {
    case CRDT_G_COUNTER:
    case CRDT_PN_COUNTER: snprintf(what, sizeof what, "k0 = %lld", (long long)crdt_counter_value(&cfg->dims, o)); break;
    case CRDT_OR_SET: {
        const crdt_orset_t *s = o;
        /* The elements themselves while they are few: "k0 = {7, 9} (3 tags)". */
        uint32_t n = crdt_orset_elements(&cfg->dims, o, crdt_out.vals, CRDT_TAGS_MAX);
        int w = snprintf(what, sizeof what, "k0 = {");
        for (uint32_t i = 0; i < n && i < 4 && w > 0 && (size_t)w < sizeof what; i++)
            w += snprintf(what + w, sizeof what - (size_t)w, "%s%lld", i ? ", " : "", (long long)crdt_out.vals[i]);
        if (w > 0 && (size_t)w < sizeof what)
            snprintf(what + w, sizeof what - (size_t)w, "%s} (%u tag%s)", n > 4 ? ", ..." : "", s->n, s->n == 1 ? "" : "s");
        break;
    }
    case CRDT_LWW_REGISTER: {
        const crdt_lww_t *r = o;
        if (r->state == CRDT_LWW_VALUE) snprintf(what, sizeof what, "k0 = %lld", (long long)r->value);
        else snprintf(what, sizeof what, "k0 %s", r->state == CRDT_LWW_DELETED ? "deleted" : "empty");
        break;
    }
    case CRDT_MV_REGISTER: snprintf(what, sizeof what, "k0: %u siblings", ((const crdt_mv_t *)o)->n); break;
    case CRDT_TYPE_COUNT_: break;
    }
    uint32_t keys = crdt_keys_written(cfg, st);
    d->log_len = keys;
    /* The first key's value is the point; other keys only as a count. */
    if (keys > 1) snprintf(d->line, sizeof d->line, "%s (%u keys written)", what, keys);
    else snprintf(d->line, sizeof d->line, "%s", what);
}

static void crdt_export_vector(jw_t *w, const char *key, const int64_t *v, uint32_t n)
{
    jw_key(w, key);
    jw_arr_begin(w);
    for (uint32_t i = 0; i < n; i++) jw_int(w, v[i]);
    jw_arr_end(w);
}

/* One object, fully: vectors are indexed by server (n1 is entry 0). */
static void crdt_export_obj(sim_ctx *c, const crdt_dims_t *d, const void *o, jw_t *w)
{
    jw_obj_begin(w);
    switch (d->type) {
    case CRDT_G_COUNTER:
    case CRDT_PN_COUNTER:
        jw_kint(w, "value", crdt_counter_value(d, o));
        crdt_export_vector(w, "p", o, d->n_replicas);
        if (d->type == CRDT_PN_COUNTER) crdt_export_vector(w, "n", (const int64_t *)o + d->n_replicas, d->n_replicas);
        break;
    case CRDT_OR_SET: {
        const crdt_orset_t *s = o;
        uint32_t n = crdt_orset_elements(d, o, crdt_out.vals, CRDT_TAGS_MAX);
        crdt_export_vector(w, "elements", crdt_out.vals, n);
        jw_key(w, "tags");
        jw_arr_begin(w);
        for (uint32_t i = 0; i < s->n; i++) {
            jw_obj_begin(w);
            jw_kint(w, "element", s->tag[i].elem);
            jw_kstr(w, "replica", sim_node_name(c, s->tag[i].replica));
            jw_kuint(w, "seq", s->tag[i].seq);
            jw_kbool(w, "removed", s->tag[i].removed);
            jw_obj_end(w);
        }
        jw_arr_end(w);
        break;
    }
    case CRDT_LWW_REGISTER: {
        const crdt_lww_t *r = o;
        jw_key(w, "value");
        if (r->state == CRDT_LWW_VALUE) jw_int(w, r->value);
        else jw_null(w);
        jw_kbool(w, "deleted", r->state == CRDT_LWW_DELETED);
        jw_kint(w, "ts", r->ts);
        jw_kstr(w, "node", sim_node_name(c, r->node));
        break;
    }
    case CRDT_MV_REGISTER: {
        const crdt_mv_t *m = o;
        uint32_t n = crdt_mv_values(d, o, crdt_out.vals, CRDT_REPLICAS_MAX);
        crdt_export_vector(w, "values", crdt_out.vals, n);
        jw_key(w, "siblings");
        jw_arr_begin(w);
        for (uint32_t i = 0; i < m->n; i++) {
            jw_obj_begin(w);
            jw_kint(w, "value", crdt_mv_value(d, o, i));
            crdt_export_vector(w, "vv", crdt_mv_vector(d, o, i), d->n_replicas);
            jw_obj_end(w);
        }
        jw_arr_end(w);
        break;
    }
    case CRDT_TYPE_COUNT_: break;
    }
    jw_obj_end(w);
}

/* The replica's whole CRDT state and nothing else, so that converged replicas export
 * identical objects. */
static void crdt_export(sim_ctx *c, jw_t *w)
{
    const crdt_config_t *cfg = sim_config(c);
    crdt_store_t *st = sim_durable(c);
    jw_obj_begin(w);
    jw_kstr(w, "type", crdt_type_names[cfg->type]);
    jw_key(w, "objects");
    jw_obj_begin(w);
    for (uint32_t k = 0; k < cfg->n_keys; k++) {
        if (!st->key_hash[k]) continue;
        char name[24];
        snprintf(name, sizeof name, "k%u", k);
        jw_key(w, name);
        crdt_export_obj(c, &cfg->dims, crdt_obj(cfg, st, k), w);
    }
    jw_obj_end(w);
    jw_obj_end(w);
}

/* Equal digests for every up replica: their states are equal (up to a 64-bit hash). */
static bool crdt_equal_replicas(sim_t *s)
{
    const crdt_store_t *first = NULL;
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        if (!sim_node_up(s, i)) continue;
        const crdt_store_t *st = sim_node_durable(s, i);
        if (!first) first = st;
        else if (st->digest != first->digest) return false;
    }
    return true;
}

static void crdt_summary(sim_t *s, jw_t *w)
{
    const crdt_config_t *cfg = sim_config_of(s);
    crdt_state_t total = {0};
    uint32_t keys = 0;
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        const crdt_state_t *vs = sim_node_state(s, i);
        total.merges += vs->merges;
        total.merges_changed += vs->merges_changed;
        total.gossip_sent += vs->gossip_sent;
        total.lww_lost += vs->lww_lost;
        uint32_t k = crdt_keys_written(cfg, sim_node_durable(s, i));
        if (k > keys) keys = k;
    }
    jw_kstr(w, "type", crdt_type_names[cfg->type]);
    jw_kuint(w, "keys_written", keys);
    jw_kuint(w, "gossip_messages", total.gossip_sent);
    jw_kuint(w, "merges", total.merges);
    jw_kuint(w, "merges_changed", total.merges_changed);
    if (cfg->type == CRDT_LWW_REGISTER) jw_kuint(w, "lww_writes_lost_at_once", total.lww_lost);
    jw_kbool(w, "replicas_equal", crdt_equal_replicas(s));
    /* When the replicas last became equal (and stayed so), sampled every millisecond. */
    sim_time_t since = sim_equal_since(s);
    jw_key(w, "equal_since_ns");
    if (since < 0) jw_null(w);
    else jw_int(w, since);
}

static size_t crdt_store_size(const void *cfgp)
{
    const crdt_config_t *cfg = cfgp;
    return sizeof(crdt_store_t) + (size_t)cfg->n_keys * (sizeof(uint64_t) + cfg->obj_bytes);
}

static int crdt_configure(void *cfgp, const proto_env_t *env, char *err, size_t len)
{
    crdt_config_t *cfg = cfgp;
    if (env->n_servers > CRDT_REPLICAS_MAX) {
        snprintf(err, len, "crdt vectors name at most CRDT_REPLICAS_MAX (%d) replicas; this scenario has %u servers",
                 CRDT_REPLICAS_MAX, env->n_servers);
        return SIM_EINPUT;
    }
    cfg->dims.type = (crdt_type_t)cfg->type;
    cfg->dims.n_replicas = env->n_servers;
    cfg->dims.max_tags = (uint32_t)cfg->max_tags;
    cfg->n_keys = env->n_keys;
    cfg->obj_bytes = crdt_obj_bytes(&cfg->dims);
    if ((size_t)cfg->n_keys * (cfg->obj_bytes + 8) > CRDT_STORE_BYTES_MAX) {
        snprintf(err, len, "%u keys of %zu bytes each exceed CRDT_STORE_BYTES_MAX (%zu MiB) per replica; "
                 "use fewer workload keys or a smaller max_tags", cfg->n_keys, cfg->obj_bytes, CRDT_STORE_BYTES_MAX >> 20);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

/* Decodes a state message for the window's hover: which objects it carries. */
static int crdt_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    crdt_msg_hdr_t h;
    if (type != CRDT_MSG_STATE || len < sizeof h) return 0;
    memcpy(&h, payload, sizeof h);
    crdt_obj_hdr_t o = {0, 0};
    if (h.n_objs && len >= sizeof h + sizeof o) memcpy(&o, (const char *)payload + sizeof h, sizeof o);
    if (h.n_objs == 1) return snprintf(buf, buf_len, "the sender's state of k%u (%u bytes): merge it", o.key, o.len);
    return snprintf(buf, buf_len, "the sender's state of %u objects: merge them", h.n_objs);
}

static const char *const crdt_types[] = {"state", NULL};
static const proto_param_t crdt_params[] = {
    {"type", PROTO_PARAM_ENUM, "g-counter", 0, -1, "g-counter|pn-counter|or-set|lww-register|mv-register",
     offsetof(crdt_config_t, type), "the replicated object, one per workload key"},
    {"gossip", PROTO_PARAM_DURATION, "500ms", 1, 1e15, NULL, offsetof(crdt_config_t, gossip_ns),
     "how often a replica sends its whole state to random peers"},
    {"fanout", PROTO_PARAM_INT, "1", 1, 64, NULL, offsetof(crdt_config_t, fanout),
     "peers each gossip round goes to"},
    {"max_tags", PROTO_PARAM_INT, "256", 1, CRDT_TAGS_MAX, NULL, offsetof(crdt_config_t, max_tags),
     "or-set: tags (adds, kept after removal) one key can hold; 24 bytes each"},
    {NULL},
};


/* The human summary's lines, read from the JSON summary (proto_line_t). */
static const proto_line_t crdt_lines[] = {
    {"type", "{protocol_stats.type|s}, {protocol_stats.keys_written} keys written"},
    {"merges", "{protocol_stats.merges} merges, {protocol_stats.merges_changed} of them changed a replica; {protocol_stats.gossip_messages} state messages"},
    {"divergence", "replicas differed for {divergence_ns.total|ns} in all, {divergence_ns.longest|ns} at the longest"},
    {"converged", "replicas equal {convergence_ns|ns} after the last fault (equal since {protocol_stats.equal_since_ns|ns})"},
    {"lww lost", "{protocol_stats.lww_writes_lost_at_once} concurrent writes lost to last-writer-wins"},
    {NULL, NULL},
};
const proto_t proto_crdt = {
    .version = PROTO_VERSION,
    .name = "crdt",
    .purpose = "state-based CRDTs (counters, or-set, lww and mv registers) merged over gossip",
    .state_size = sizeof(crdt_state_t),
    .durable_size = sizeof(crdt_store_t),
    .config_size = sizeof(crdt_config_t),
    .msg_types = crdt_types,
    .params = crdt_params,
    .configure = crdt_configure,
    .init = crdt_init,
    .on_message = crdt_message,
    .on_timer = crdt_timer,
    .on_request = crdt_request,
    .describe = crdt_describe,
    .describe_msg = crdt_describe_msg,
    .export_state = crdt_export,
    .summary = crdt_summary,
    .durable_size_for = crdt_store_size,
    .replicas_equal = crdt_equal_replicas,
    .summary_omit = PROTO_OMIT_LEADERS,
    .summary_lines = crdt_lines,
};
