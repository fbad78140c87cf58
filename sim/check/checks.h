/* checks.h -- weaker consistency checks on histories: set-full (broadcast), counters,
 * session guarantees, stale reads.
 *
 * Linearizability (lincheck.h) answers one yes/no question about the strongest
 * guarantee. Most systems in the lessons promise less -- eventual delivery, a counter
 * that converges, the session guarantees of Terry et al. -- and a student needs to see
 * how much less, so these checks count and time anomalies instead of deciding one
 * verdict. Each check below says exactly what it looks at, what it detects, and what
 * it cannot see. All of them are deterministic and read the history only.
 *
 * Conventions shared by all checks:
 *   - Events are paired per process (hist_pair); an invoke never completed counts as
 *     info. ok: it happened; fail: it did not; info: it may have.
 *   - "Before" means real-time order: a completed before b when a's completion event
 *     comes before b's invoke event in the history.
 *   - Inputs that do not fit a check (wrong value kinds, several keys where the check
 *     reads one) are refused with SIM_EINPUT and a sentence in err, never guessed at.
 */
#ifndef SIM_CHECKS_H
#define SIM_CHECKS_H

#include "core/history.h"

#define CHK_EXAMPLES_MAX     8          /* examples kept per kind of anomaly */
#define CHK_VC_ENTRIES_MAX   (1u << 25) /* session check: writes x processes of vector clocks */

/* An anomaly to show a person: the operation (by its invoke event) and the event that
 * makes it wrong (an earlier read, the reader's own write, a newer write). */
typedef struct chk_example {
    uint32_t process;
    uint32_t ev;          /* the offending read's invoke */
    uint32_t ev_other;    /* the evidence's invoke */
} chk_example_t;

/* ---- Set-full: every acknowledged element reaches every reader. -------------------
 *
 * Workload: adds (f "add", "broadcast" or "write" -- a broadcast protocol's write adds
 * to the set --, an integer value, each value added at most once) and reads (f "read", ok, a list of integers: the set as one node sees it).
 * Keys are not used; a history with more than one key is refused.
 *
 * For each acknowledged add (ok) of value v, with A its completion, judged by the reads
 * as a whole, in invocation order. Final reads are those issued once the system settled,
 * after every add was over (as Jepsen's final reads: dsim's workload key "final_reads"
 * makes them and chk_set_full_settled names the time they start); when there are any,
 * they decide:
 *   never-read  no ok read began after A: the history cannot say whether v arrived;
 *   lost        some final read lacks v (a replica never got it) -- or, without final
 *               reads, the most recent read lacks v: absent from every read since its
 *               last appearance;
 *   stable      otherwise. stable_ns is the invocation time of the
 *               first read from which on every read (any process) contains v, and
 *               delay_ns how long after A that was (0 when a read that began before A
 *               already saw it).
 * processes_missing counts readers whose own last read (begun after A) lacks v, leaving
 * out processes whose last operation ended info (a client that timed out goes on as a
 * new process, so the old one's last read is not a final view): a hint of who lagged.
 * Also counted: reads containing values no add ever wrote (unexpected) or that an add
 * reported as failed (failed_seen), both outright errors.
 * Cannot see: what happened after the last read; values added by info adds are not
 * judged (they may never have happened), only counted when seen. Cost:
 * O(adds x reads x log(set size)).
 */
typedef enum { CHK_SET_STABLE, CHK_SET_LOST, CHK_SET_NEVER_READ } chk_set_outcome_t;
extern const char *const chk_set_outcome_names[];   /* "stable", "lost", "never-read" */

typedef struct chk_set_value {
    int64_t value;
    chk_set_outcome_t outcome;
    bool ever_seen;                /* some ok read contained it */
    uint32_t write_ev;             /* the add's invoke */
    sim_time_t write_done_ns;      /* its acknowledgement */
    sim_time_t stable_ns, delay_ns;/* stable only */
    uint32_t processes_missing;    /* lost only: readers whose last read lacks it */
    uint32_t missing_process;      /* lost only: one of them */
} chk_set_value_t;

typedef struct chk_set_report {
    uint32_t n_values, n_stable, n_lost, n_never_read;
    uint32_t n_reads, n_readers;   /* ok reads, and processes that made them */
    uint32_t n_final_reads;        /* reads begun after every add was over */
    uint32_t n_unexpected;         /* distinct values read that no add wrote */
    uint32_t n_failed_seen;        /* distinct values read whose add failed */
    uint32_t n_info_seen;          /* distinct values read whose add was info (fine) */
    sim_time_t delay_ns_max;       /* over stable values */
    double delay_ns_mean;
    chk_set_value_t *values;       /* one per acknowledged add, in history order */
} chk_set_report_t;

int chk_set_full(const hist_t *h, chk_set_report_t *out, char *err, size_t err_len);
/* The same with final reads: reads that began at or after final_from_ns, and after every
 * add was over (a workload's "final_reads", made once the system settled).
 * final_from_ns < 0: no final reads (chk_set_full). */
int chk_set_full_settled(const hist_t *h, sim_time_t final_from_ns, chk_set_report_t *out, char *err, size_t err_len);
void chk_set_free(chk_set_report_t *r);

/* ---- Counters. ------------------------------------------------------------------
 *
 * Workload: adds (f "add", an integer, possibly negative) and reads (f "read", ok, an
 * integer) of one counter starting at 0; more than one key is refused.
 *
 * Final reads: ok reads that began after every add had completed (info adds: after
 * their invocation). Each must lie in [final_lower, final_upper]: the acknowledged
 * sum plus the negative, respectively positive, unknown (info) adds. With only positive
 * adds that is [acknowledged, acknowledged + unknown]. No final read means the final
 * value was never observed (n_final_reads == 0), which is reported, not passed.
 * Every read: additionally each ok read r is held to Jepsen's counter bounds: adds
 * acknowledged before r began count fully, adds invoked before r completed may or may
 * not count, later adds not at all. Those bounds assume reads are linearizable; an
 * eventually consistent counter may break them and still pass the final check, which
 * is why the two are counted separately. Failed adds count nowhere.
 */
typedef struct chk_counter_example {
    uint32_t ev;                                /* the read's invoke */
    int64_t value, lower, upper;                /* what it returned, what it could have */
} chk_counter_example_t;

typedef struct chk_counter_report {
    uint32_t n_reads, n_reads_outside;          /* every ok read, and those out of bounds */
    uint32_t n_final_reads, n_final_outside;
    int64_t acked_sum, final_lower, final_upper;
    uint32_t n_adds_ok, n_adds_info, n_adds_fail;
    chk_counter_example_t examples[CHK_EXAMPLES_MAX];
    uint32_t n_examples;                        /* reads out of their bounds, first ones */
} chk_counter_report_t;

int chk_counter(const hist_t *h, chk_counter_report_t *out, char *err, size_t err_len);

/* ---- Session guarantees (Terry, Demers, Petersen, Spreitzer, Theimer and Welch,
 * "Session guarantees for weakly consistent replicated data", PDIS 1994). ----------
 *
 * Workload: registers, one per key, written with f "write" or "put" and read with
 * "read" or "get"; values are integers or strings, and every value is written at most
 * once per key (otherwise a read cannot tell which write it saw; such keys are skipped
 * and counted in n_keys_skipped). A read of nil saw the initial value, which precedes
 * every write. Other functions are ignored.
 *
 * Which write is "older" comes from causality, not from clocks: the happens-before
 * order of Lamport generated by each process's program order and by reads-from (a
 * write precedes every read that returned its value), computed with vector clocks
 * (Fidge 1988, Mattern 1989). Write b is older than write a (b < a) when b happens
 * before a. Writes that are concurrent are never older than one another, so no
 * violation is claimed about them: the checks below are sound (no false alarms under
 * this order) but not complete.
 *
 * With p a process, k a key, and "later" meaning later in p's program order:
 *   monotonic reads      p reads k seeing a, later reads k seeing b, and b < a (or b is
 *                        the initial nil): p's view went backwards;
 *   read your writes     p's write a to k is acknowledged, later p reads k seeing b,
 *                        and b < a (or nil): p did not see its own write;
 *   monotonic writes     a monotonic-reads pair whose two writes came from the same
 *                        process: that writer's order was not kept;
 *   writes follow reads  a monotonic-reads pair whose writes came from different
 *                        processes: a's writer had seen b (directly or through others)
 *                        before writing a, and that order was not kept.
 * Each is counted once per offending read. A history shows which write a read saw,
 * never which replica served it, so every backwards pair is both a monotonic-reads
 * failure of the reader and a monotonic-writes or writes-follow-reads failure of a
 * writer: those three counts overlap by design. Reads of values no write wrote, or
 * that a failed write wrote, are counted in n_reads_unexplained and not judged.
 */
typedef enum {
    CHK_MONOTONIC_READS, CHK_READ_YOUR_WRITES, CHK_MONOTONIC_WRITES, CHK_WRITES_FOLLOW_READS, CHK_SESSION_COUNT_
} chk_session_t;
extern const char *const chk_session_names[];   /* "monotonic-reads", ... */

typedef struct chk_session_report {
    uint32_t n_reads, n_writes, n_keys, n_keys_skipped, n_reads_unexplained;
    uint32_t violations[CHK_SESSION_COUNT_];
    chk_example_t examples[CHK_SESSION_COUNT_][CHK_EXAMPLES_MAX];   /* ev_other: the newer write's invoke */
} chk_session_report_t;

int chk_session(const hist_t *h, chk_session_report_t *out, char *err, size_t err_len);

/* ---- Stale reads. ---------------------------------------------------------------
 *
 * Same workload and value rules as the session check. A read r is stale when some
 * write w was acknowledged before r began, and the write r saw completed before w was
 * invoked (so it was certainly overwritten by then), or r saw the initial nil. Reads
 * that saw a write concurrent with every newer acknowledged write are not stale: no
 * order of those writes is certain. A linearizable register has no stale reads;
 * sequentially consistent and eventually consistent ones may. examples[].ev_other is
 * the newer write's invoke. Cost: O((reads + writes) log writes) per key.
 */
typedef struct chk_stale_report {
    uint32_t n_reads, n_stale, n_keys, n_keys_skipped, n_reads_unexplained;
    chk_example_t examples[CHK_EXAMPLES_MAX];
    uint32_t n_examples;
} chk_stale_report_t;

int chk_stale_reads(const hist_t *h, chk_stale_report_t *out, char *err, size_t err_len);

#endif
