/* base.h -- simulated time, limits, error codes and assertions shared by all of sim/.
 *
 * Everything in the simulator measures time in one integer type, sim_time_t, in
 * nanoseconds. Every table and queue has a named bound here, so that a scenario that
 * outgrows one gets a clear error instead of an unbounded allocation. Errors are
 * negative codes from one table (sim_strerror gives their text).
 */
#ifndef SIM_BASE_H
#define SIM_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef int64_t sim_time_t;             /* simulated nanoseconds */

#define SIM_NS  ((sim_time_t)1)
#define SIM_US  ((sim_time_t)1000)
#define SIM_MS  ((sim_time_t)1000000)
#define SIM_SEC ((sim_time_t)1000000000)
#define SIM_MIN (60 * SIM_SEC)
#define SIM_TIME_MAX INT64_MAX

/* Bounds. Exceeding one is reported with its name, never silently grown past. */
#define SIM_NODES_MAX        (1u << 22)  /* servers plus clients */
#define SIM_EVENTS_MAX       (1u << 24)  /* events pending at once */
#define SIM_PAYLOAD_BYTES_MAX (1u << 20) /* one message payload */
#define SIM_PAYLOADS_MAX     (1u << 22)  /* payloads in flight at once */
#define SIM_MSG_TYPES_MAX    64          /* message types of one protocol, plus built-ins */
#define SIM_GROUPS_MAX       16          /* groups of one partition */
#define SIM_FAULTS_MAX       4096        /* scheduled fault actions in a scenario */
#define SIM_NEMESES_MAX      16          /* random fault generators in a scenario */
#define SIM_ACTIONS_PENDING_MAX 8192     /* actions scheduled and not yet applied, at once */
#define SIM_LINK_OVERRIDES_MAX 4096      /* parameter sets: the defaults plus 4095 per-link overrides */
#define SIM_LINKS_MAX        (1u << 22)  /* directed links held in the link table */
#define SIM_KEYS_MAX         (1u << 20)  /* keys of a workload */
#define SIM_CLIENTS_MAX      1024        /* client nodes */
#define SIM_CONCURRENCY_MAX  64          /* outstanding operations per client */
#define SIM_REPLY_VALUES_MAX 65536       /* values carried by one reply (a read of a set) */
#define SIM_HISTORY_OPS_MAX  (1u << 24)  /* operations recorded in one history */
#define SIM_RUN_HISTORY_EVENTS_MAX (1u << 18) /* events of a run's history kept in memory (sim.h) */
#define SIM_NAME_MAX         32          /* node name, including the terminator */
#define SIM_PENDING_DROPS_MAX 64         /* drops of messages not sent yet, waiting for them */

/* Error codes: negative, one table. */
enum {
    SIM_OK = 0,
    SIM_ENOMEM = -1,      /* out of memory */
    SIM_ELIMIT = -2,      /* a named bound was exceeded */
    SIM_EINPUT = -3,      /* bad input from a person: scenario, flag, file */
    SIM_EIO = -4,         /* reading or writing a file failed */
    SIM_EINVARIANT = -5,  /* a protocol invariant was violated */
    SIM_ENOTFOUND = -6,   /* a name was looked up and not found */
};
const char *sim_strerror(int code);

/* A broken invariant inside the simulator is a programmer error. sim_assert prints
 * file, line, the simulated time and the seed of the running simulation and aborts,
 * so the run can be replayed. The context is the run's own (its clock and seed); the
 * event loop names it for the thread that steps it (sim_assert_context), so runs in
 * different threads never see each other's. */
typedef struct sim_assert_ctx { const sim_time_t *now; uint64_t seed; } sim_assert_ctx_t;
void sim_assert_fail(const char *expr, const char *file, int line);
void sim_assert_context(const sim_assert_ctx_t *ctx);     /* NULL: none */
#define sim_assert(e) ((e) ? (void)0 : sim_assert_fail(#e, __FILE__, __LINE__))

/* Allocation that treats exhaustion as fatal: used only at load time. */
void *sim_xcalloc(size_t n, size_t size);
void *sim_xrealloc(void *p, size_t size);
char *sim_xstrdup(const char *s);
/* Address space for a table whose bound is fixed at start-up (the event pool, the
 * event queue): reserved whole, zeroed, and backed by memory only as it is touched,
 * so a run never grows or moves it and small runs cost what they use. NULL when the
 * system refuses. Returned with sim_unreserve(p, bytes). */
void *sim_reserve(size_t bytes);
/* The same, for a table read at random and filled from its start (the event pool and
 * queue): past its first 2 MiB it is marked for transparent huge pages, so a large run
 * does not also miss the TLB on every event while a small one never backs a 2 MiB page
 * it does not use. */
void *sim_reserve_huge(size_t bytes);
void sim_unreserve(void *p, size_t bytes);
/* Zeroed memory for a large table that is read at random (the link table): aligned
 * to 2 MiB and marked for transparent huge pages where the system offers them, so
 * lookups do not also miss the TLB. Freed with free(). */
void *sim_xcalloc_huge(size_t n, size_t size);

/* Durations: "150ms", "1.5s", "20us", "300ns", "2m", "1h". A bare number is an
 * error. Returns SIM_OK and sets *out, or SIM_EINPUT. signed_ok allows a leading '-'. */
int sim_parse_duration(const char *s, bool signed_ok, sim_time_t *out);
/* Rates: "50/s", "2/ms", "600/m". Sets *per_sec. */
int sim_parse_rate(const char *s, double *per_sec);
/* Formats t into buf as the shortest exact unit ("1.5s", "150ms"); returns buf. */
char *sim_format_duration(sim_time_t t, char *buf, size_t len);
/* Formats t for people, rounded to three significant digits ("9.73ms", "1.25s"). */
char *sim_format_duration_short(sim_time_t t, char *buf, size_t len);

/* 64-bit mixing (SplitMix64's finalizer; Steele, Lea and Flood, OOPSLA 2014). */
static inline uint64_t sim_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#define SIM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
