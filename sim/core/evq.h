/* evq.h -- the event queue: a 4-ary min-heap ordered by (time, insertion sequence).
 *
 * Ties in time are broken by the order events were scheduled, which is what makes a
 * run deterministic (ns-3 and SimGrid do the same). Entries are 16 bytes: the time and
 * one word holding the sequence number (high 40 bits) and the event's pool index (low
 * 24 bits), so comparing the word compares the sequence. A 4-ary heap does half the
 * levels of a binary one and its four children share a cache line.
 */
#ifndef SIM_EVQ_H
#define SIM_EVQ_H

#include "core/base.h"

#define EVQ_INDEX_BITS 24
#define EVQ_SEQ_MAX ((1ULL << (64 - EVQ_INDEX_BITS)) - 1)

typedef struct evq_entry { sim_time_t at; uint64_t key; } evq_entry_t;

typedef struct evq {
    evq_entry_t *h;
    uint32_t n, cap;             /* n counts the hole, if any */
    bool hole;                   /* the root was taken (evq_take) and not filled yet */
    uint64_t seq;                /* next insertion sequence */
} evq_t;

/* Reserves room for SIM_EVENTS_MAX entries at once (sim_reserve), so pushing never
 * grows or moves the heap. Returns SIM_OK or SIM_ENOMEM. */
int evq_init(evq_t *q);
void evq_free(evq_t *q);
/* Inserts event `index` at time `at`. Returns SIM_OK, or SIM_ELIMIT past SIM_EVENTS_MAX. */
int evq_push(evq_t *q, sim_time_t at, uint32_t index);
/* Removes the earliest entry into *out; false when empty. */
bool evq_pop(evq_t *q, evq_entry_t *out);
/* Takes the earliest entry into *out but leaves its place empty: the next push fills
 * it and sifts down from the root, which is cheap for an entry due soon, and
 * evq_settle fills it with the last entry (the rest of a pop) if no push came. An event
 * that schedules another saves most of a pop this way. Until evq_settle, only
 * evq_push, evq_settle and evq_next_guess may be used. With a hint, in a heap too
 * large for cache, the record (at hint + index * stride, the event pool) of the entry
 * likely to come out after the next starts loading. */
bool evq_take(evq_t *q, evq_entry_t *out, const void *hint, size_t stride);
void evq_settle_slow(evq_t *q);
static inline void evq_settle(evq_t *q) { if (q->hole) evq_settle_slow(q); }
/* The index of the entry most likely to come out next (exact unless a take's hole is
 * open), or EVQ_NONE when there is none: for prefetching only. */
#define EVQ_NONE 0xffffffffu
uint32_t evq_least_child(const evq_t *q);
static inline uint32_t evq_index(uint64_t key) { return (uint32_t)(key & ((1u << EVQ_INDEX_BITS) - 1)); }
static inline uint32_t evq_next_guess(const evq_t *q)
{
    if (!q->hole) return q->n ? evq_index(q->h[0].key) : EVQ_NONE;
    return q->n > 1 ? evq_index(q->h[evq_least_child(q)].key) : EVQ_NONE;
}
/* Removes the entry at heap position pos (0 .. n-1) into *out, for the rare event taken
 * out of turn (a test delivering one message now). Entries are totally ordered by
 * (time, sequence), so the order of everything left is unchanged. O(log n). */
void evq_remove(evq_t *q, uint32_t pos, evq_entry_t *out);
static inline bool evq_peek(const evq_t *q, sim_time_t *at)
{
    sim_assert(!q->hole);
    if (!q->n) return false;
    *at = q->h[0].at;
    return true;
}

#endif
