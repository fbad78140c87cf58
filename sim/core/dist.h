/* dist.h -- latency distributions: constant, uniform, normal, exponential, lognormal,
 * pareto and weighted mixtures, each with an optional fixed offset.
 *
 * A dist_t is plain data filled by the scenario loader; sampling draws from a stream
 * through GSL's gsl_ran_* functions and returns whole nanoseconds, never negative
 * (the normal is truncated at zero by redrawing).
 */
#ifndef SIM_DIST_H
#define SIM_DIST_H

#include "core/base.h"
#include "core/rng.h"

#define DIST_MIXTURE_MAX 8

typedef enum {
    DIST_CONSTANT, DIST_UNIFORM, DIST_NORMAL, DIST_EXPONENTIAL,
    DIST_LOGNORMAL, DIST_PARETO, DIST_MIXTURE,
} dist_kind_t;

typedef struct dist {
    dist_kind_t kind;
    sim_time_t offset_ns;      /* added to every draw */
    double a, b;               /* constant: a; uniform: [a, b); normal: mean a, sd b;
                                  exponential: mean a; lognormal: median a, sigma b;
                                  pareto: xm a, alpha b. Times in ns. */
    int n;                     /* mixture: number of parts */
    double weight[DIST_MIXTURE_MAX];
    struct dist *part;         /* mixture: n parts, owned by the loader's arena */
} dist_t;

static inline dist_t dist_constant(sim_time_t ns) { dist_t d = {0}; d.kind = DIST_CONSTANT; d.a = (double)ns; return d; }
sim_time_t dist_sample(const dist_t *d, rng_t *r);
/* A draw x in ns made a time: clamped to [0, 9e18] (NaN to 0, heavy tails stay
 * representable), rounded to the nearest ns with halves away from zero as llround
 * does, and offset. Below 2^52 the fraction x - t is exact, so comparing it with one
 * half rounds exactly; from 2^52 on x is whole and the fraction is zero. */
static inline sim_time_t dist_finish(const dist_t *d, double x)
{
    if (!(x >= 0)) x = 0;
    if (x > 9.0e18) x = 9.0e18;
    sim_time_t t = (sim_time_t)x;
    if (x - (double)t >= 0.5) t++;
    return d->offset_ns + t;
}
/* dist_sample, with the commonest case (a uniform latency, as in every benchmark)
 * inline at the call site: the same arithmetic, so the same draws. */
static inline sim_time_t dist_sample_inline(const dist_t *d, rng_t *r)
{
    if (d->kind != DIST_UNIFORM) return dist_sample(d, r);
    return dist_finish(d, d->a + (d->b - d->a) * rng_double(r));
}
double dist_mean(const dist_t *d);            /* theoretical mean in ns (inf for pareto alpha <= 1) */
double dist_variance(const dist_t *d);        /* theoretical variance in ns^2 (inf where undefined) */
const char *dist_kind_name(dist_kind_t k);
int dist_kind_parse(const char *s, dist_kind_t *out);   /* SIM_OK or SIM_ENOTFOUND */
extern const char *const dist_kind_names[];              /* NULL-terminated */

#endif
