/* history.h -- what clients observed: operations as invoke and completion events.
 *
 * A history is the evidence consistency is judged by (issue: histories and checkers).
 * Runs append to one while they go; `dsim check` reads one from a file (dsim's JSON
 * lines or Jepsen-style EDN lines). Every event is one hist_event_t; values are int64
 * lists kept in one arena, so a read of a set or of an appended list is a slice.
 *
 *   {"process": 3, "type": "invoke", "f": "write", "key": "k1", "value": 7, "time_ns": 120}
 *   {"process": 3, "type": "ok",     "f": "write", "key": "k1", "value": 7, "time_ns": 480}
 *
 * Types follow Jepsen: ok (it happened), fail (it did not happen), info (unknown: it may
 * or may not have happened, e.g. a timeout). A cas carries [from, to]; a read's invoke
 * carries null and its ok the value read.
 *
 * Values. Runs only produce integers and lists of integers. Files read by `dsim check`
 * may hold strings (the kv model's appended strings): those are interned into the
 * history's string table and the value holds the string's index (HIST_V_STR).
 */
#ifndef SIM_HISTORY_H
#define SIM_HISTORY_H

#include "base.h"

typedef enum { HIST_INVOKE, HIST_OK, HIST_FAIL, HIST_INFO } hist_type_t;
extern const char *const hist_type_names[];   /* "invoke", "ok", "fail", "info" */

typedef enum {
    HIST_V_NONE,     /* null or absent */
    HIST_V_INT,      /* one integer: vals[0] */
    HIST_V_LIST,     /* a list of integers: vals[0 .. n) (cas: [from, to]) */
    HIST_V_STR,      /* a string: vals[0] indexes the string table */
} hist_vkind_t;

typedef struct hist_event {
    uint32_t process;        /* the client process (one operation outstanding at a time) */
    uint8_t type;            /* hist_type_t */
    uint8_t vkind;           /* hist_vkind_t */
    uint16_t f;              /* index into the history's function names (hist_f_name) */
    int32_t key;             /* key index into the key table, or -1 when absent */
    uint32_t n;              /* number of values */
    uint64_t vals;           /* offset of the first value in the arena */
    sim_time_t time_ns;
} hist_event_t;

typedef struct hist {
    hist_event_t *ev;
    uint32_t n_ev, cap_ev;
    int64_t *arena;                  /* values of all events */
    uint64_t n_arena, cap_arena;
    char **fnames; uint32_t n_f;     /* function names, interned ("read", "write", ...) */
    char **keys;   uint32_t n_keys;  /* key names, interned ("k1", "0", ...) */
    char **strs;   uint32_t n_strs;  /* string values, interned */
    uint32_t cap_f, cap_keys, cap_strs;
    struct hist_index *index;        /* private to history.c: hash tables behind interning */
} hist_t;

void hist_init(hist_t *h);
void hist_free(hist_t *h);

/* Interning. Return the index, creating the entry when new. Exhaustion of memory is
 * fatal; exceeding SIM_HISTORY_OPS_MAX events returns SIM_ELIMIT from hist_add. */
uint16_t hist_intern_f(hist_t *h, const char *name);
int32_t hist_intern_key(hist_t *h, const char *name);
int64_t hist_intern_str(hist_t *h, const char *s);

/* Appends an event; vals are copied. Returns the event's index or a negative error. */
int64_t hist_add(hist_t *h, uint32_t process, hist_type_t type, uint16_t f, int32_t key,
                 hist_vkind_t vkind, const int64_t *vals, uint32_t n, sim_time_t time_ns);

/* The event's values. Until some event carries a value the arena is not allocated,
 * and NULL + 0 is undefined behaviour in C, so an empty arena gives NULL (n is 0). */
static inline const int64_t *hist_vals(const hist_t *h, const hist_event_t *e) { return h->arena ? h->arena + e->vals : NULL; }
static inline const char *hist_f_name(const hist_t *h, const hist_event_t *e) { return h->fnames[e->f]; }

/* Writes the history as dsim JSON lines. Written completely or not at all: the file is
 * written beside path and renamed into place. Returns SIM_OK or SIM_EIO. */
int hist_write_jsonl(const hist_t *h, const char *path);

/* ---- Added with the readers and checkers. ---------------------------------------- */

#define HIST_F_MAX            1024          /* distinct function names */
#define HIST_F_NONE           UINT16_MAX    /* hist_intern_f when HIST_F_MAX names exist */
#define HIST_STR_BYTES_MAX    (1u << 28)    /* bytes of all interned string values */
#define HIST_ARENA_VALUES_MAX (1u << 28)    /* values of all events together */

/* The interning functions above also keep to these bounds, because a history read from
 * a file is input from a person: hist_intern_f returns HIST_F_NONE past HIST_F_MAX
 * names, hist_intern_key SIM_ELIMIT past SIM_KEYS_MAX keys and hist_intern_str
 * SIM_ELIMIT past HIST_STR_BYTES_MAX bytes. hist_add returns SIM_ELIMIT for more than
 * SIM_REPLY_VALUES_MAX values in one event or HIST_ARENA_VALUES_MAX in all. */

/* Lookups that never create: the index, or -1 when the name is not interned. */
int32_t hist_find_f(const hist_t *h, const char *name);
int32_t hist_find_key(const hist_t *h, const char *name);
int64_t hist_find_str(const hist_t *h, const char *s);

/* The key's name, or NULL when the event has none. */
static inline const char *hist_key_name(const hist_t *h, const hist_event_t *e) { return e->key < 0 ? NULL : h->keys[e->key]; }

/* Formats an event's value for people: nil, 7, [1, 2], "x 1 0 y" (strings quoted and
 * cut to fit with "..."). Returns buf. */
char *hist_format_value(const hist_t *h, const hist_event_t *e, char *buf, size_t len);

#define HIST_NONE UINT32_MAX   /* no such event */

/* Pairs each invoke with its completion: other[i] is, for an invoke, the index of its
 * completion (HIST_NONE when it never completed) and, for a completion, the index of
 * its invoke. other has h->n_ev entries. Returns SIM_OK, or SIM_EINPUT with a sentence
 * in err when a process completes with nothing outstanding or invokes twice. */
int hist_pair(const hist_t *h, uint32_t *other, char *err, size_t err_len);

#endif
