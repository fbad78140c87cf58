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
double dist_mean(const dist_t *d);            /* theoretical mean in ns (inf for pareto alpha <= 1) */
double dist_variance(const dist_t *d);        /* theoretical variance in ns^2 (inf where undefined) */
const char *dist_kind_name(dist_kind_t k);
int dist_kind_parse(const char *s, dist_kind_t *out);   /* SIM_OK or SIM_ENOTFOUND */
extern const char *const dist_kind_names[];              /* NULL-terminated */

#endif
