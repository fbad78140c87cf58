/* vset.h -- a fixed-size hash index from int64 values to small array positions.
 *
 * Epidemic protocols keep what a node knows as an array in arrival order (that is what
 * a read returns and what a student sees) and need "do I have value v, and where?" in
 * O(1). This is that index: open addressing with linear probing over a power-of-two
 * table that the caller embeds in its node state, so the core allocates it and nothing
 * is allocated while the simulation runs.
 *
 * All-zero memory is an empty index (a slot stores position + 1, and 0 means empty),
 * which is exactly what the core hands a protocol at start and after a crash. Every
 * int64 is a valid value; there is no reserved sentinel. The table must have at least
 * twice as many slots as entries (vset_slots_for), which keeps probe runs short and
 * guarantees an empty slot ends every search. Removal is not supported: epidemic
 * knowledge only grows.
 */
#ifndef SIM_VSET_H
#define SIM_VSET_H

#include "core/base.h"

typedef struct vset_slot {
    int64_t value;
    uint32_t pos1;           /* position + 1 in the caller's array; 0: empty slot */
    uint32_t _pad;
} vset_slot_t;

/* Slots needed to index up to max_entries values: a power of two, at least twice. */
uint32_t vset_slots_for(uint32_t max_entries);

/* The position stored for v, or -1 when v is absent. n_slots is a power of two. */
int64_t vset_find(const vset_slot_t *t, uint32_t n_slots, int64_t v);

/* Records v at position pos. v must be absent and the table below half full (the
 * caller bounds its entries by the max_entries it sized the table for). */
void vset_put(vset_slot_t *t, uint32_t n_slots, int64_t v, uint32_t pos);

#endif
