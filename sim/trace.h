/* trace.h -- the record of everything that happens in a run, and its hash.
 *
 * Every event the simulator processes is described by one trace_rec_t. Each record is
 * folded into a 64-bit hash whether or not anyone is listening, so two runs can be
 * compared by hash alone; listeners (the JSON-lines writer behind --trace, the live
 * view) only format or collect records and cannot change the run.
 *
 * The JSON form, one object per line:
 *   {"t":1500000,"ev":"send","id":7,"from":"n1","to":"n2","type":"push","size":64,"arrive":12400000}
 *   {"t":12400000,"ev":"deliver","id":7,"from":"n1","to":"n2","type":"push"}
 *   {"t":12400000,"ev":"drop","id":8,"from":"n1","to":"n3","type":"push","reason":"partition"}
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdio.h>
#include "base.h"

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
    uint16_t type;         /* message type id; invoke/complete: op_f_t */
    uint32_t a, b;         /* from/to; the node; client/server */
    uint64_t id;           /* message id, timer id or op id */
    sim_time_t t;          /* when */
    sim_time_t t2;         /* send: arrival time; complete: invoke time */
    int64_t x, y;          /* send: size; timer: kind; invoke: key, value */
    const char *text;      /* log line, violation name, partition description */
} trace_rec_t;

typedef void (*trace_fn)(void *ud, const trace_rec_t *r);

typedef struct sim sim_t;
typedef struct jw jw_t;
/* Writes one record as a JSON object (no newline), as the --trace file has it. */
void trace_format(const sim_t *s, const trace_rec_t *r, jw_t *w);

/* Folds one record into a running hash. */
uint64_t trace_hash_step(uint64_t h, const trace_rec_t *r);

/* The JSON-lines writer: written beside path and renamed into place when closed, so a
 * trace file is complete or absent. */
typedef struct trace_file trace_file_t;
trace_file_t *trace_file_open(const char *path, const sim_t *s);
void trace_file_write(void *tf, const trace_rec_t *r);     /* a trace_fn */
int trace_file_close(trace_file_t *tf, bool keep);          /* SIM_OK or SIM_EIO */

#endif
