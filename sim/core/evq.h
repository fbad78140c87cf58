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
    uint32_t n, cap;
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
/* The same, and as soon as the new earliest entry is known, starts loading its record
 * at hint + index * stride (the event pool), under the rest of the pop; in a heap too
 * large for cache, the record of the entry likely to come after it as well. */
bool evq_pop_hint(evq_t *q, evq_entry_t *out, const void *hint, size_t stride);
/* Removes the entry at heap position pos (0 .. n-1) into *out, for the rare event taken
 * out of turn (a test delivering one message now). Entries are totally ordered by
 * (time, sequence), so the order of everything left is unchanged. O(log n). */
void evq_remove(evq_t *q, uint32_t pos, evq_entry_t *out);
static inline bool evq_peek(const evq_t *q, sim_time_t *at) { if (!q->n) return false; *at = q->h[0].at; return true; }
static inline uint32_t evq_index(uint64_t key) { return (uint32_t)(key & ((1u << EVQ_INDEX_BITS) - 1)); }

#endif
