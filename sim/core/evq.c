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
/* The three entries past the last are always sentinels that rank after everything
 * (a time no event has), so every family of four children can be compared whole,
 * without a bound check or a loop: the last family is padded. */
#define EVQ_PAD 4
#define EVQ_BYTES (((size_t)SIM_EVENTS_MAX + EVQ_PAD) * sizeof(evq_entry_t) + EVQ_SKEW)
static const evq_entry_t sentinel = {-1, UINT64_MAX};

static void sift_down(evq_t *q, uint32_t i, evq_entry_t e);

int evq_init(evq_t *q)
{
    q->cap = SIM_EVENTS_MAX;
    uint8_t *base = sim_reserve_huge(EVQ_BYTES);
    q->h = base ? (evq_entry_t *)(base + EVQ_SKEW) : NULL;
    q->n = 0;
    q->hole = false;
    q->seq = 0;
    if (q->h) for (uint32_t k = 0; k < EVQ_PAD; k++) q->h[k] = sentinel;
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
    if ((!q->hole && q->n >= SIM_EVENTS_MAX) || q->seq > EVQ_SEQ_MAX) return SIM_ELIMIT;
    sim_assert(index < (1u << EVQ_INDEX_BITS) && at >= 0);
    evq_entry_t e = {at, q->seq++ << EVQ_INDEX_BITS | index};
    if (q->hole) {
        /* The root was taken: the new entry goes down from there instead of the last
         * one. An entry due soon (a message sent by the event just taken) stops near
         * the top, where the last entry would have sunk to the bottom. */
        q->hole = false;
        sift_down(q, 0, e);
        return SIM_OK;
    }
    uint32_t i = q->n++;
    q->h[q->n + EVQ_PAD - 2] = sentinel;      /* h[n .. n+2] stay sentinels */
    while (i > 0) {
        uint32_t p = (i - 1) / 4;
        if (!before(&e, &q->h[p])) break;
        q->h[i] = q->h[p];
        i = p;
    }
    q->h[i] = e;
    return SIM_OK;
}

/* The least of the four entries from c on, and its rank: three compares in a row,
 * branch-free. */
static inline uint32_t least4(const evq_entry_t *h, uint32_t c, unsigned __int128 *rank_out)
{
    unsigned __int128 rb = rank(&h[c]);
    uint32_t best = c;
    for (uint32_t k = c + 1; k < c + 4; k++) {
        unsigned __int128 rk = rank(&h[k]);
        bool lt = rk < rb;
        best = lt ? k : best;
        rb = lt ? rk : rb;
    }
    *rank_out = rb;
    return best;
}

/* Moves the hole at i down until `e` fits there, and puts it there. h[n .. n+2] must
 * be sentinels. */
static void sift_down(evq_t *q, uint32_t i, evq_entry_t e)
{
    uint32_t n = q->n;
    evq_entry_t *h = q->h;
    bool large = n > EVQ_PREFETCH_MIN;
    unsigned __int128 re = rank(&e), rb;
    for (uint32_t c = 4 * i + 1; c < n; c = 4 * i + 1) {
        /* The four children's own children are four more lines, one of which the next
         * level reads: asking for all of them now overlaps that level's miss with this
         * one's comparisons (in a large heap the lower levels all miss). */
        if (large) for (uint32_t k = c; k < c + 4 && 4 * k + 1 < n; k++) __builtin_prefetch(&h[4 * k + 1]);
        uint32_t best = least4(h, c, &rb);
        if (!(rb < re)) break;
        h[i] = h[best];
        i = best;
    }
    h[i] = e;
}

bool evq_pop(evq_t *q, evq_entry_t *out)
{
    if (!evq_take(q, out, NULL, 0)) return false;
    evq_settle_slow(q);
    return true;
}

bool evq_take(evq_t *q, evq_entry_t *out, const void *hint, size_t stride)
{
    sim_assert(!q->hole);
    if (!q->n) return false;
    *out = q->h[0];
    q->hole = true;
    /* In a large heap, a whole event ahead: the root's least child is likely next, and
     * the least of its own children likely the one after (an event scheduled meanwhile
     * rarely comes due that soon). Its record starts loading now, so that when the step
     * after this one reads it to prefetch that event's node it has arrived. */
    if (hint && q->n > EVQ_PREFETCH_MIN) {
        unsigned __int128 rb;
        uint32_t c = least4(q->h, 1, &rb);
        __builtin_prefetch((const uint8_t *)hint + (size_t)evq_index(q->h[least4(q->h, 4 * c + 1, &rb)].key) * stride);
    }
    return true;
}

void evq_settle_slow(evq_t *q)
{
    q->hole = false;
    evq_entry_t last = q->h[--q->n];
    q->h[q->n] = sentinel;
    if (q->n) sift_down(q, 0, last);
}

uint32_t evq_least_child(const evq_t *q)
{
    unsigned __int128 rb;
    return least4(q->h, 1, &rb);
}

void evq_remove(evq_t *q, uint32_t pos, evq_entry_t *out)
{
    sim_assert(pos < q->n && !q->hole);
    *out = q->h[pos];
    evq_entry_t last = q->h[--q->n];
    q->h[q->n] = sentinel;
    if (pos == q->n) return;
    uint32_t i = pos;
    /* The last entry fills the hole: up if it ranks before the hole's parent... */
    while (i > 0 && before(&last, &q->h[(i - 1) / 4])) {
        q->h[i] = q->h[(i - 1) / 4];
        i = (i - 1) / 4;
    }
    /* ...otherwise down, as in evq_pop. */
    sift_down(q, i, last);
}
