/* rng.h -- seeded random streams: one per node, link, nemesis and client.
 *
 * A stream is SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014): 8 bytes of state, a counter stepped by a fixed odd
 * constant and mixed on output. Its key is derived from (run seed, stream kind, stream
 * id), so every stream is independent of how many others exist: adding a node does
 * not change the draws of the others. The state is small enough to keep one stream
 * per directed link and per node even with a million nodes.
 *
 * GSL's distributions (gsl_ran_*) want a gsl_rng. rng_gsl() wraps a stream in a
 * gsl_rng on the caller's stack, pointing at the stream's state in place, so drawing
 * from GSL allocates nothing.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <math.h>
#include <gsl/gsl_rng.h>
#include "core/base.h"

typedef struct rng { uint64_t s; } rng_t;

#define RNG_GAMMA 0x9e3779b97f4a7c15ULL        /* SplitMix64's increment (odd) */
#define RNG_GAMMA_INV 0xf1de83e19937733dULL    /* its inverse modulo 2^64 */

enum rng_kind {
    RNG_NODE = 1,      /* a node's protocol randomness */
    RNG_NODE_NET = 2,  /* a node's outgoing links when links are not tabled */
    RNG_LINK = 3,      /* one directed link: latency, loss, duplication */
    RNG_NEMESIS = 4,   /* one random fault generator */
    RNG_CLIENT = 5,    /* one client of the workload */
    RNG_RUN = 6,       /* run-wide choices (e.g. a nemesis choosing groups) */
    RNG_SWARM = 7,     /* dsim swarm: the fault mix drawn for one seed */
};

/* Inline: every send on a tabled link derives the link's key this way. Two rounds of
 * mixing keep nearby (kind, id) pairs far apart. */
static inline void rng_seed(rng_t *r, uint64_t seed, unsigned kind, uint64_t id)
{
    r->s = sim_mix64(seed ^ sim_mix64(((uint64_t)kind << 56) ^ sim_mix64(id + 0x632be59bd9b4e019ULL)));
}

static inline uint64_t rng_next(rng_t *r)
{
    r->s += RNG_GAMMA;
    return sim_mix64(r->s);
}

/* SplitMix64 is counter-based: the k-th state of a stream is its key plus k gammas.
 * So a stream can be stored as a 32-bit count of draws (the link table does) and
 * rebuilt from its key when needed. */
static inline void rng_at(rng_t *r, uint64_t key, uint64_t draws) { r->s = key + draws * RNG_GAMMA; }
static inline uint64_t rng_draws(const rng_t *r, uint64_t key) { return (r->s - key) * RNG_GAMMA_INV; }
/* Uniform in [0, 1) with 53 random bits. */
static inline double rng_double(rng_t *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }
/* Uniform in [0, n), n > 0, by Lemire's multiply-shift (bias below 2^-32 for n < 2^32). */
static inline uint64_t rng_below(rng_t *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}
static inline bool rng_chance(rng_t *r, double p) { return p > 0 && rng_double(r) < p; }
/* Exponential with the given mean, by inversion: -mean * log1p(-u). This is the very
 * expression GSL 2's gsl_ran_exponential evaluates on a stream's rng_double, so draws
 * are bit-for-bit the same; inline, it saves GSL's indirect call per draw. */
static inline double rng_exponential(rng_t *r, double mean) { return -mean * log1p(-rng_double(r)); }

/* Fills *g so that GSL draws come from r; valid while r lives. */
void rng_gsl(rng_t *r, gsl_rng *g);

#endif
