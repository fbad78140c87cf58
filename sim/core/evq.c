/* evq.c -- the 4-ary heap. Sift-down moves the hole instead of swapping. */
#include <stdlib.h>
#include "core/evq.h"

/* (time, key) compared as one 128-bit number: times are never negative, so the
 * unsigned order is the right one, and the compiler makes it two flag-setting
 * instructions instead of a chain of branches that mispredict on random data. */
static inline unsigned __int128 rank(const evq_entry_t *e)
{
    return (unsigned __int128)(uint64_t)e->at << 64 | e->key;
}
static inline bool before(const evq_entry_t *a, const evq_entry_t *b) { return rank(a) < rank(b); }

/* Reserved memory starts on a page boundary, like the event pool's: the top of the
 * heap and the first events would then share their low twelve address bits, and a
 * load from one right after a store to the other stalls on the false dependence (4K
 * aliasing). Starting the heap EVQ_SKEW bytes into its reservation keeps them apart.
 * The children of entry i are 4i+1 .. 4i+4, so they share one 64-byte cache line only
 * when entry 1 starts a line: the heap starts 48 bytes (three entries) past a line. */
#define EVQ_SKEW (1088 + 48)
/* Below this many entries (1 MiB) the heap stays in cache and prefetching costs more
 * than it hides. */
#define EVQ_PREFETCH_MIN (1u << 16)
#define EVQ_BYTES ((size_t)SIM_EVENTS_MAX * sizeof(evq_entry_t) + EVQ_SKEW)

int evq_init(evq_t *q)
{
    q->cap = SIM_EVENTS_MAX;
    uint8_t *base = sim_reserve_huge(EVQ_BYTES);
    q->h = base ? (evq_entry_t *)(base + EVQ_SKEW) : NULL;
    q->n = 0;
    q->seq = 0;
    return q->h ? SIM_OK : SIM_ENOMEM;
}

void evq_free(evq_t *q)
{
    if (q->h) sim_unreserve((uint8_t *)q->h - EVQ_SKEW, EVQ_BYTES);
    q->h = NULL;
    q->n = q->cap = 0;
}

int evq_push(evq_t *q, sim_time_t at, uint32_t index)
{
    if (q->n >= SIM_EVENTS_MAX || q->seq > EVQ_SEQ_MAX) return SIM_ELIMIT;
    sim_assert(index < (1u << EVQ_INDEX_BITS));
    evq_entry_t e = {at, q->seq++ << EVQ_INDEX_BITS | index};
    uint32_t i = q->n++;
    while (i > 0) {
        uint32_t p = (i - 1) / 4;
        if (!before(&e, &q->h[p])) break;
        q->h[i] = q->h[p];
        i = p;
    }
    q->h[i] = e;
    return SIM_OK;
}

bool evq_pop(evq_t *q, evq_entry_t *out) { return evq_pop_hint(q, out, NULL, 0); }

bool evq_pop_hint(evq_t *q, evq_entry_t *out, const void *hint, size_t stride)
{
    if (!q->n) return false;
    *out = q->h[0];
    evq_entry_t last = q->h[--q->n];
    uint32_t n = q->n, i = 0;
    for (;;) {
        uint32_t c = 4 * i + 1;
        if (c >= n) break;
        uint32_t best = c, end = c + 4 < n ? c + 4 : n;
        /* The four children's own children are four more lines, one of which the next
         * level reads: asking for all of them now overlaps that level's miss with this
         * one's comparisons (in a large heap the lower levels all miss). */
        if (n > EVQ_PREFETCH_MIN) for (uint32_t k = c; k < end && 4 * k + 1 < n; k++) __builtin_prefetch(&q->h[4 * k + 1]);
        unsigned __int128 rb = rank(&q->h[c]);
        for (uint32_t k = c + 1; k < end; k++) {
            unsigned __int128 rk = rank(&q->h[k]);
            bool lt = rk < rb;
            best = lt ? k : best;
            rb = lt ? rk : rb;
        }
        if (!(rb < rank(&last))) break;
        q->h[i] = q->h[best];
        if (i == 0 && hint) __builtin_prefetch((const uint8_t *)hint + (size_t)evq_index(q->h[0].key) * stride);
        i = best;
    }
    if (n) q->h[i] = last;
    /* In a large heap the event after next is nearly always the least of the new top's
     * children (an event scheduled meanwhile rarely comes due that soon): its record
     * starts loading now, a whole event ahead, so that when the step after this one
     * reads it to prefetch that event's node it has arrived. */
    if (hint && n > EVQ_PREFETCH_MIN) {
        unsigned __int128 rb = rank(&q->h[1]);
        uint32_t best = 1;
        for (uint32_t k = 2; k <= 4; k++) {
            unsigned __int128 rk = rank(&q->h[k]);
            bool lt = rk < rb;
            best = lt ? k : best;
            rb = lt ? rk : rb;
        }
        __builtin_prefetch((const uint8_t *)hint + (size_t)evq_index(q->h[best].key) * stride);
    }
    return true;
}

void evq_remove(evq_t *q, uint32_t pos, evq_entry_t *out)
{
    sim_assert(pos < q->n);
    *out = q->h[pos];
    evq_entry_t last = q->h[--q->n];
    if (pos == q->n) return;
    uint32_t i = pos;
    /* The last entry fills the hole: up if it ranks before the hole's parent... */
    while (i > 0 && before(&last, &q->h[(i - 1) / 4])) {
        q->h[i] = q->h[(i - 1) / 4];
        i = (i - 1) / 4;
    }
    /* ...otherwise down, as in evq_pop. */
    for (;;) {
        uint32_t c = 4 * i + 1;
        if (c >= q->n) break;
        uint32_t best = c, end = c + 4 < q->n ? c + 4 : q->n;
        for (uint32_t k = c + 1; k < end; k++)
            if (before(&q->h[k], &q->h[best])) best = k;
        if (!before(&q->h[best], &last)) break;
        q->h[i] = q->h[best];
        i = best;
    }
    q->h[i] = last;
}
