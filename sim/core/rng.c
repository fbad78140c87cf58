/* rng.c -- SplitMix64 streams and their adapter to GSL's gsl_rng interface. */
#include "core/rng.h"

static void gsl_set(void *state, unsigned long seed) { ((rng_t *)state)->s = seed; }
static unsigned long gsl_get(void *state) { return (unsigned long)(rng_next(state) >> 32); }
static double gsl_get_double(void *state) { return rng_double(state); }

static const gsl_rng_type rng_gsl_type = {
    "dsim-splitmix64", 0xffffffffUL, 0, sizeof(rng_t), gsl_set, gsl_get, gsl_get_double,
};

void rng_gsl(rng_t *r, gsl_rng *g)
{
    g->type = &rng_gsl_type;
    g->state = r;
}
