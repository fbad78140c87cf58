/* pool.h -- message payloads in size classes, allocated in chunks that never move.
 *
 * A payload is copied in when a message is sent and released when it is delivered or
 * dropped. Slots of one class are recycled through a free list, so once a run reaches
 * its steady state no send allocates. Chunks are added as needed up to SIM_PAYLOADS_MAX
 * live payloads, then pool_alloc fails with a clear error.
 */
#ifndef SIM_POOL_H
#define SIM_POOL_H

#include "core/base.h"

#define POOL_CLASSES 8
#define POOL_NONE 0xffffffffu          /* the handle of an empty payload */
#define POOL_CHUNK_BYTES (256u << 10)   /* each chunk holds about this much */

typedef struct pool_class {
    uint32_t slot_bytes;
    uint32_t chunk_shift;              /* log2 of slots per chunk */
    uint8_t **chunks;
    uint32_t n_chunks, cap_chunks;
    uint32_t free_head;                /* slot index, or POOL_NONE */
    uint32_t n_slots;
} pool_class_t;

typedef struct pool {
    pool_class_t cls[POOL_CLASSES];
    uint32_t live;
} pool_t;

void pool_init(pool_t *p);
void pool_free_all(pool_t *p);
/* Copies len bytes in; returns a handle, POOL_NONE for len 0, or SIM_ELIMIT (negative,
 * as int64) when SIM_PAYLOADS_MAX payloads are live or len exceeds SIM_PAYLOAD_BYTES_MAX. */
int64_t pool_put(pool_t *p, const void *data, uint32_t len);
void *pool_get(pool_t *p, uint32_t handle);
void pool_release(pool_t *p, uint32_t handle);

#endif
