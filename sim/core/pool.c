/* pool.c -- size-classed payload pool. Handle: class in the top 3 bits, slot below. */
#include <stdlib.h>
#include <string.h>
#include "core/pool.h"

void pool_init(pool_t *p)
{
    memset(p, 0, sizeof *p);
    uint32_t bytes = 32;
    for (int c = 0; c < POOL_CLASSES; c++) {
        p->cls[c].slot_bytes = c == POOL_CLASSES - 1 ? SIM_PAYLOAD_BYTES_MAX : bytes;
        p->cls[c].free_head = POOL_NONE;
        uint32_t per = POOL_CHUNK_BYTES / p->cls[c].slot_bytes, shift = 0;
        while ((2u << shift) <= per) shift++;
        p->cls[c].chunk_shift = per ? shift : 0;
        /* The chunk table is reserved for every chunk the bound allows, so adding a
         * chunk never moves it. */
        p->cls[c].cap_chunks = (SIM_PAYLOADS_MAX >> p->cls[c].chunk_shift) + 1;
        p->cls[c].chunks = sim_reserve(p->cls[c].cap_chunks * sizeof *p->cls[c].chunks);
        bytes *= 4;
    }
}

void pool_free_all(pool_t *p)
{
    for (int c = 0; c < POOL_CLASSES; c++) {
        for (uint32_t i = 0; i < p->cls[c].n_chunks; i++) free(p->cls[c].chunks[i]);
        sim_unreserve(p->cls[c].chunks, p->cls[c].cap_chunks * sizeof *p->cls[c].chunks);
    }
    memset(p, 0, sizeof *p);
}

static inline uint8_t *slot(pool_class_t *k, uint32_t i)
{
    return k->chunks[i >> k->chunk_shift] + (size_t)(i & ((1u << k->chunk_shift) - 1)) * k->slot_bytes;
}

int64_t pool_put(pool_t *p, const void *data, uint32_t len)
{
    if (len == 0) return POOL_NONE;
    if (len > SIM_PAYLOAD_BYTES_MAX || p->live >= SIM_PAYLOADS_MAX) return SIM_ELIMIT;
    int c = 0;
    while (p->cls[c].slot_bytes < len) c++;
    pool_class_t *k = &p->cls[c];
    uint32_t i = k->free_head;
    if (i != POOL_NONE) {
        memcpy(&k->free_head, slot(k, i), sizeof k->free_head);
    } else {
        if ((k->n_slots & ((1u << k->chunk_shift) - 1)) == 0) {
            if (!k->chunks || k->n_chunks == k->cap_chunks) return SIM_ELIMIT;
            /* Chunks hold about POOL_CHUNK_BYTES, so a 1 MiB class does not reserve
             * hundreds of megabytes for its first payload. */
            k->chunks[k->n_chunks++] = sim_xcalloc((size_t)1 << k->chunk_shift, k->slot_bytes);
        }
        i = k->n_slots++;
    }
    memcpy(slot(k, i), data, len);
    p->live++;
    return (int64_t)((uint32_t)c << 29 | i);
}

void *pool_get(pool_t *p, uint32_t h)
{
    if (h == POOL_NONE) return NULL;
    return slot(&p->cls[h >> 29], h & ((1u << 29) - 1));
}

void pool_release(pool_t *p, uint32_t h)
{
    if (h == POOL_NONE) return;
    pool_class_t *k = &p->cls[h >> 29];
    uint32_t i = h & ((1u << 29) - 1);
    memcpy(slot(k, i), &k->free_head, sizeof k->free_head);
    k->free_head = i;
    sim_assert(p->live > 0);
    p->live--;
}
