/* visibility.h -- how eventual is eventual: t-visibility and stale reads, from a history.
 *
 * For a read r of key k that started at S and returned value v, let c be the earliest
 * completion time of any acknowledged write to k newer than v (written values are
 * unique and increase in invocation order, so "newer" is "larger"). If c <= S, the
 * read missed a write the system had already acknowledged: it is stale, by S - c. It
 * is consistent at t (in the sense of t-visibility, Bailis et al., "Probabilistically
 * Bounded Staleness for Practical Partial Quorums", VLDB 2012, section 3) when no newer
 * write had completed t before it started, that is when S - c < t. So each read has a
 * threshold T = S - c + 1 (0 if it was never stale), p_consistent(t) is the fraction
 * of reads with T <= t, and "the time until 99.9% of reads are consistent" is the
 * 99.9th percentile of T.
 *
 * Only reads that returned a single integer or nothing count (registers); a read of
 * nothing is older than every write.
 */
#ifndef SIM_VISIBILITY_H
#define SIM_VISIBILITY_H

#include "base.h"
#include "history.h"

#define VIS_T_MAX 32

typedef struct vis_result {
    uint64_t reads;                     /* reads considered */
    uint64_t stale;                     /* reads that missed an acknowledged newer write */
    uint32_t n_t;
    sim_time_t t_ns[VIS_T_MAX];
    uint64_t consistent[VIS_T_MAX];     /* reads consistent at t_ns[i] */
    sim_time_t t_999_ns;                /* 99.9% of reads are consistent at this t */
    sim_time_t stale_max_ns;            /* the largest staleness seen */
} vis_result_t;

/* Computes staleness over the whole history for the given t values (at most VIS_T_MAX). */
void vis_compute(const hist_t *h, const sim_time_t *t_ns, uint32_t n_t, vis_result_t *out);

#endif
