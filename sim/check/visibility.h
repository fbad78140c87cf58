/* visibility.h -- how eventual is eventual: t-visibility and stale reads, from a history.
 *
 * For a read r of key k that started at S and returned the value of write w, the writes
 * that supersede w are those invoked after w completed: real-time order, the order
 * linearizability respects (concurrent writes may take effect in either order, so they
 * prove nothing). Let c be the earliest completion of a superseding, acknowledged write.
 * If c <= S, the read missed a write that followed w and had finished before the read
 * began: it is stale, by S - c. It is consistent at t (in the sense of t-visibility,
 * Bailis et al., "Probabilistically Bounded Staleness for Practical Partial Quorums",
 * VLDB 2012, section 3) when no superseding write had completed t before it started,
 * that is when S - c < t. So each read has a threshold T = S - c + 1 (0 if it was never
 * stale), p_consistent(t) is the fraction of reads with T <= t, and "the time until
 * 99.9% of reads are consistent" is the 99.9th percentile of T.
 *
 * Only reads that returned a single integer or nothing count (registers); a read of
 * nothing is superseded by every write; a read of a value whose write's outcome is
 * unknown (info) is never stale; a read of a value no write wrote is not judged.
 */
#ifndef SIM_VISIBILITY_H
#define SIM_VISIBILITY_H

#include "core/base.h"
#include "core/history.h"

#define VIS_T_MAX 32

typedef struct vis_result {
    uint64_t reads;                     /* reads considered */
    uint64_t stale;                     /* reads that missed an acknowledged newer write */
    uint32_t n_t;
    sim_time_t t_ns[VIS_T_MAX];
    uint64_t consistent[VIS_T_MAX];     /* reads consistent at t_ns[i] */
    sim_time_t t_999_ns;                /* 99.9% of reads are consistent at this t */
    sim_time_t stale_max_ns;            /* the largest staleness seen */
    /* Per probe delay (vis_compute_probes): reads issued exactly t_ns[i] after an
     * acknowledged write of their key completed, and those that saw it or newer. */
    bool per_delay;
    uint64_t probe_reads[VIS_T_MAX];
    uint64_t probe_consistent[VIS_T_MAX];
} vis_result_t;

/* Computes staleness over the whole history for the given t values (at most VIS_T_MAX). */
void vis_compute(const hist_t *h, const sim_time_t *t_ns, uint32_t n_t, vis_result_t *out);

/* The same, and fn is told about every read judged: the index of its completion in h
 * and by how much it was stale (-1 when it was not). Reads come in no useful order. */
typedef void (*vis_read_fn)(void *ud, uint32_t completion, sim_time_t stale_ns);
void vis_compute_each(const hist_t *h, const sim_time_t *t_ns, uint32_t n_t, vis_result_t *out,
                      vis_read_fn fn, void *ud);

/* The t-visibility table per probe delay, as the workload's read_after_write probes
 * measure it: for each t in t_ns, the reads invoked exactly t after an acknowledged
 * write of the same key completed (the probe reads), and how many of them returned
 * that write's value or a newer one (one not completed before that write began). A
 * read of nothing saw nothing; a read of a value no write wrote is not judged. Each
 * delay is its own population: pooling them credits a t = 0 row with reads made 50ms
 * later. Fills out like vis_compute and sets per_delay. */
/* Row i of the table: reads it judged and the fraction consistent (1 with no reads). */
uint64_t vis_row_reads(const vis_result_t *r, uint32_t i);
double vis_row_p(const vis_result_t *r, uint32_t i);

void vis_compute_probes(const hist_t *h, const sim_time_t *t_ns, uint32_t n_t, vis_result_t *out);

#endif
