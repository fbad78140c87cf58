/* vset.c -- the fixed-size hash index of vset.h: linear probing, no deletion.
 *
 * Linear probing over a table kept at most half full is the simplest scheme with short
 * probe runs, and without deletion there are no tombstones to reason about. Values are
 * spread by SplitMix64's finalizer, so the clustered ids a workload writes (1, 2, 3,
 * ...) do not cluster in the table.
 */
#include "proto/vset.h"

uint32_t vset_slots_for(uint32_t max_entries)
{
    uint32_t n = 2;
    while (n < 2 * (uint64_t)max_entries) n *= 2;
    return n;
}

int64_t vset_find(const vset_slot_t *t, uint32_t n_slots, int64_t v)
{
    sim_assert(n_slots && (n_slots & (n_slots - 1)) == 0);
    uint32_t mask = n_slots - 1, i = (uint32_t)sim_mix64((uint64_t)v) & mask;
    /* The table is never more than half full, so an empty slot ends the run. */
    for (;; i = (i + 1) & mask) {
        if (t[i].pos1 == 0) return -1;
        if (t[i].value == v) return (int64_t)t[i].pos1 - 1;
    }
}

void vset_put(vset_slot_t *t, uint32_t n_slots, int64_t v, uint32_t pos)
{
    sim_assert(n_slots && (n_slots & (n_slots - 1)) == 0);
    sim_assert(pos < n_slots / 2);
    uint32_t mask = n_slots - 1, i = (uint32_t)sim_mix64((uint64_t)v) & mask;
    for (; t[i].pos1 != 0; i = (i + 1) & mask) sim_assert(t[i].value != v);
    t[i].value = v;
    t[i].pos1 = pos + 1;
}
