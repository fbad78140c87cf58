/* dist.c -- sampling and moments of the latency distributions.
 *
 * Moments follow the textbook formulas; the truncated normal's are those of the
 * normal, which is what the scenario author wrote (truncation only matters when sd is
 * large against the mean, and the tests keep away from that).
 */
#include <math.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "core/dist.h"

const char *const dist_kind_names[] = {
    "constant", "uniform", "normal", "exponential", "lognormal", "pareto", "mixture", NULL,
};

const char *dist_kind_name(dist_kind_t k) { return dist_kind_names[k]; }

int dist_kind_parse(const char *s, dist_kind_t *out)
{
    for (int i = 0; dist_kind_names[i]; i++)
        if (strcmp(s, dist_kind_names[i]) == 0) { *out = (dist_kind_t)i; return SIM_OK; }
    return SIM_ENOTFOUND;
}

static double draw(const dist_t *d, rng_t *r, gsl_rng *g)
{
    switch (d->kind) {
    case DIST_CONSTANT: return d->a;
    case DIST_UNIFORM: return d->a + (d->b - d->a) * rng_double(r);
    case DIST_NORMAL: {
        if (d->b <= 0) return d->a;
        for (int i = 0; i < 64; i++) {                  /* truncate at zero by redrawing */
            double x = d->a + gsl_ran_gaussian_ziggurat(g, d->b);
            if (x >= 0) return x;
        }
        return 0;
    }
    case DIST_EXPONENTIAL: return rng_exponential(r, d->a);
    case DIST_LOGNORMAL: return gsl_ran_lognormal(g, log(d->a), d->b);
    case DIST_PARETO: return gsl_ran_pareto(g, d->b, d->a);
    case DIST_MIXTURE: {
        double u = rng_double(r), acc = 0;
        for (int i = 0; i < d->n; i++) {
            acc += d->weight[i];
            if (u < acc || i == d->n - 1) return (double)dist_sample(&d->part[i], r);
        }
        return 0;
    }
    }
    return 0;
}

sim_time_t dist_sample(const dist_t *d, rng_t *r)
{
    if (d->kind == DIST_CONSTANT) return d->offset_ns + (sim_time_t)d->a;
    double x;
    if (d->kind == DIST_UNIFORM) {
        x = d->a + (d->b - d->a) * rng_double(r);    /* the common cases need no GSL adapter */
    } else if (d->kind == DIST_EXPONENTIAL) {
        x = rng_exponential(r, d->a);
    } else {
        gsl_rng g;
        rng_gsl(r, &g);
        x = draw(d, r, &g);
    }
    return dist_finish(d, x);
}

double dist_mean(const dist_t *d)
{
    double m = 0;
    switch (d->kind) {
    case DIST_CONSTANT: m = d->a; break;
    case DIST_UNIFORM: m = (d->a + d->b) / 2; break;
    case DIST_NORMAL: m = d->a; break;
    case DIST_EXPONENTIAL: m = d->a; break;
    case DIST_LOGNORMAL: m = d->a * exp(d->b * d->b / 2); break;
    case DIST_PARETO: m = d->b > 1 ? d->b * d->a / (d->b - 1) : INFINITY; break;
    case DIST_MIXTURE:
        for (int i = 0; i < d->n; i++) m += d->weight[i] * dist_mean(&d->part[i]);
        break;
    }
    return m + (double)d->offset_ns;
}

double dist_variance(const dist_t *d)
{
    switch (d->kind) {
    case DIST_CONSTANT: return 0;
    case DIST_UNIFORM: return (d->b - d->a) * (d->b - d->a) / 12;
    case DIST_NORMAL: return d->b * d->b;
    case DIST_EXPONENTIAL: return d->a * d->a;
    case DIST_LOGNORMAL: {
        double s2 = d->b * d->b;
        return (exp(s2) - 1) * d->a * d->a * exp(s2);
    }
    case DIST_PARETO:
        if (d->b <= 2) return INFINITY;
        return d->a * d->a * d->b / ((d->b - 1) * (d->b - 1) * (d->b - 2));
    case DIST_MIXTURE: {
        /* Law of total variance: E[Var] + Var[E]. Offsets shift every part alike. */
        double m = dist_mean(d) - (double)d->offset_ns, v = 0;
        for (int i = 0; i < d->n; i++) {
            double mi = dist_mean(&d->part[i]);
            v += d->weight[i] * (dist_variance(&d->part[i]) + (mi - m) * (mi - m));
        }
        return v;
    }
    }
    return 0;
}
