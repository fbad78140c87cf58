/* trace.h -- the record of everything that happens in a run, and its hash.
 *
 * Every event the simulator processes is described by one trace_rec_t. Each record is
 * folded into a 64-bit hash whether or not anyone is listening, so two runs can be
 * compared by hash alone; listeners (the JSON-lines writer behind --trace, the live
 * view) only format or collect records and cannot change the run; export/trace_file.h
 * writes them as JSON lines.
 *
 * The JSON form, one object per line:
 *   {"t":1500000,"ev":"send","id":7,"from":"n1","to":"n2","type":"push","size":64,"arrive":12400000}
 *   {"t":12400000,"ev":"deliver","id":7,"from":"n1","to":"n2","type":"push"}
 *   {"t":12400000,"ev":"drop","id":8,"from":"n1","to":"n3","type":"push","reason":"partition"}
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include "core/base.h"

typedef enum {
    TR_SEND, TR_DELIVER, TR_DROP, TR_DUPLICATE, TR_TIMER,
    TR_CRASH, TR_RESTART, TR_PAUSE, TR_RESUME,
    TR_PARTITION, TR_HEAL, TR_ISOLATE, TR_LINK, TR_NETWORK, TR_CLOCK,
    TR_INVOKE, TR_COMPLETE, TR_LOG, TR_VIOLATION, TR_ROLE, TR_JOIN, TR_LEAVE, TR_COUNT_
} trace_kind_t;
extern const char *const trace_kind_names[];

typedef enum {
    DROP_LOSS, DROP_PARTITION, DROP_CRASH, DROP_UNREACHABLE, DROP_USER, DROP_COUNT_
} drop_reason_t;
extern const char *const drop_reason_names[];   /* "loss", "partition", "crash", "unreachable", "user" */

typedef struct trace_rec {
    uint8_t kind;          /* trace_kind_t */
    uint8_t reason;        /* drop: drop_reason_t; complete: hist_type_t */
    uint16_t type;         /* message type id; invoke/complete: sim_op_t */
    uint32_t a, b;         /* from/to; the node; client/server */
    uint64_t id;           /* message id, timer id or op id */
    sim_time_t t;          /* when */
    sim_time_t t2;         /* send: arrival time; complete: invoke time */
    int64_t x, y;          /* send: size; timer: kind; invoke: key, value */
    const char *text;      /* log line, violation name, partition description */
} trace_rec_t;

typedef void (*trace_fn)(void *ud, const trace_rec_t *r);

/* Folds one record into a running hash (inline: it runs for every event). */
/* One multiply per word: a rotate-xor-multiply chain in the manner of FxHash. It only
 * has to tell traces apart, not resist an adversary. */
static inline uint64_t trace_fold(uint64_t h, uint64_t x)
{
    return ((h << 5 | h >> 59) ^ x) * 0x517cc1b727220a95ULL;
}

static inline uint64_t trace_rotl(uint64_t x, int k) { return x << k | x >> (64 - k); }

static inline uint64_t trace_hash_step(uint64_t h, const trace_rec_t *r)
{
    /* Three words per record. Fields that share a word are packed without overlap
     * where they fit (kind, reason, type, node) and xor-ed with a rotation where they
     * cannot (times, sizes): a fingerprint, not a proof. */
    h = trace_fold(h, (uint64_t)r->kind | (uint64_t)r->reason << 8 | (uint64_t)r->type << 16 | (uint64_t)r->a << 32);
    h = trace_fold(h, r->id ^ trace_rotl(r->b, 40) ^ trace_rotl((uint64_t)r->y, 13));
    h = trace_fold(h, (uint64_t)r->t ^ trace_rotl((uint64_t)r->t2, 21) ^ trace_rotl((uint64_t)r->x, 47));
    if (r->text)
        for (const unsigned char *p = (const unsigned char *)r->text; *p; p++) h = (h ^ *p) * 0x100000001b3ULL;
    return h ^ (h >> 29);
}


#endif
