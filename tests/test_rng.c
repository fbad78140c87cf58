/* test_rng.c -- the seeded SplitMix64 streams of sim/rng.c and their GSL adapter.
 *
 * Two kinds of property are checked. Determinism and independence are exact: a
 * stream is a function of (seed, kind, id) alone, whatever else is drawn around it.
 * Distributional ones are statistical, each with a fixed seed and a bound that chance
 * would exceed with probability well below one in a million (5 standard errors, or a
 * chi-square p-value of 1e-6), so a failure means the generator changed, not bad luck.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "core/rng.h"

#define SEED 0x5eed2024ULL

/* Fails unless |got - want| <= k standard errors. */
static void expect_near(const char *what, double got, double want, double se, double k)
{
    if (!(fabs(got - want) <= k * se))
        fail_msg("%s = %.9g, want %.9g within %.1f x %.3g", what, got, want, k, se);
}

/* Pearson's chi-square statistic of counts against equal expectation. */
static double chi_square(const uint64_t *count, size_t k, uint64_t n)
{
    double e = (double)n / (double)k, x = 0;
    for (size_t i = 0; i < k; i++) x += ((double)count[i] - e) * ((double)count[i] - e) / e;
    return x;
}

static void expect_uniform_counts(const char *what, const uint64_t *count, size_t k, uint64_t n)
{
    double x = chi_square(count, k, n), p = gsl_cdf_chisq_Q(x, (double)(k - 1));
    if (!(p > 1e-6)) fail_msg("%s: chi-square %.1f on %zu degrees of freedom, p = %.3g", what, x, k - 1, p);
}

static void test_rng_next_matches_splitmix64(void **state)
{
    /* Known answers of SplitMix64 from state 0 (Vigna's splitmix64.c). */
    rng_t r = {0};
    assert_int_equal(rng_next(&r), 0xe220a8397b1dcdafULL);
    assert_int_equal(rng_next(&r), 0x6e789e6aa1b965f4ULL);
    assert_int_equal(rng_next(&r), 0x06c45d188009454fULL);
}

static void test_rng_seed_same_key_same_sequence(void **state)
{
    rng_t a, b;
    rng_seed(&a, SEED, RNG_LINK, 12345);
    rng_seed(&b, SEED, RNG_LINK, 12345);
    assert_int_equal(a.s, b.s);
    for (int i = 0; i < 10000; i++) assert_int_equal(rng_next(&a), rng_next(&b));
    /* Re-seeding restarts the same sequence. */
    rng_seed(&a, SEED, RNG_LINK, 12345);
    rng_seed(&b, SEED, RNG_LINK, 12345);
    for (int i = 0; i < 100; i++) assert_true(rng_double(&a) == rng_double(&b));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Every (seed, kind, id) in a grid starts a different stream: their first draws are all
 * distinct (a 64-bit collision among 36000 values by chance has probability 4e-11),
 * and so are their second draws, which rules out streams that are one step apart. */
static void test_rng_seed_different_keys_differ(void **state)
{
    enum { SEEDS = 3, KINDS = 6, IDS = 2000, N = SEEDS * KINDS * IDS };
    uint64_t *first = malloc(2 * N * sizeof *first);
    assert_non_null(first);
    size_t n = 0;
    for (uint64_t s = 0; s < SEEDS; s++)
        for (unsigned k = RNG_NODE; k <= RNG_RUN; k++)
            for (uint64_t id = 0; id < IDS; id++) {
                rng_t r;
                rng_seed(&r, s, k, id);
                first[n++] = rng_next(&r);
                first[n++] = rng_next(&r);
            }
    assert_int_equal(n, 2 * N);
    qsort(first, n, sizeof *first, cmp_u64);
    for (size_t i = 1; i < n; i++)
        if (first[i] == first[i - 1]) fail_msg("two streams share the draw %#llx", (unsigned long long)first[i]);
    free(first);
}

/* Streams with neighbouring ids must not be correlated: the first draws of ids
 * 0..N-1 (what one node each would use first) are uniform on [0, 1). */
static void test_rng_seed_neighbouring_ids_uncorrelated(void **state)
{
    enum { N = 200000, K = 64 };
    uint64_t count[K] = {0};
    double sum = 0, sum_xy = 0, prev = 0;
    for (uint64_t id = 0; id < N; id++) {
        rng_t r;
        rng_seed(&r, SEED, RNG_NODE, id);
        double x = rng_double(&r);
        count[(size_t)(x * K)]++;
        sum += x;
        if (id) sum_xy += (x - 0.5) * (prev - 0.5);
        prev = x;
    }
    expect_uniform_counts("first draws by id", count, K, N);
    expect_near("mean of first draws", sum / N, 0.5, sqrt(1.0 / 12 / N), 5);
    /* Lag-one covariance of independent U(0,1): mean 0, sd 1/12 per term. */
    expect_near("covariance of neighbouring ids", sum_xy / (N - 1), 0, (1.0 / 12) / sqrt(N - 1), 5);
}

/* Drawing from one stream alone or interleaved with a hundred others, seeded before
 * or after it, gives the same draws: streams share no state. */
static void test_rng_streams_do_not_interfere(void **state)
{
    enum { DRAWS = 5000, OTHERS = 100 };
    static uint64_t alone[DRAWS];
    rng_t a;
    rng_seed(&a, SEED, RNG_NODE, 7);
    for (int i = 0; i < DRAWS; i++) alone[i] = rng_next(&a);

    rng_t others[OTHERS], order;
    for (int k = 0; k < OTHERS / 2; k++) rng_seed(&others[k], SEED, RNG_NODE, 1000 + (uint64_t)k);
    rng_seed(&a, SEED, RNG_NODE, 7);
    for (int k = OTHERS / 2; k < OTHERS; k++) rng_seed(&others[k], SEED, (unsigned)(k % 6) + 1, (uint64_t)k);
    rng_seed(&order, SEED, RNG_RUN, 0);
    int i = 0;
    while (i < DRAWS) {
        if (rng_chance(&order, 0.2)) {
            assert_int_equal(rng_next(&a), alone[i]);
            i++;
        } else {
            rng_t *o = &others[rng_below(&order, OTHERS)];
            (void)rng_next(o);
            (void)rng_double(o);
        }
        if (i == DRAWS / 2) {
            /* A node added mid-run is seeded from its own key and changes nothing. */
            rng_t late;
            rng_seed(&late, SEED, RNG_NODE, 8);
            (void)rng_next(&late);
        }
    }
}

/* rng_double over 1e6 draws: every value in [0, 1), a multiple of 2^-53, mean 1/2 and
 * variance 1/12. The sample variance of U(0,1) has variance (1/80 - 1/144)/n = 1/(180n). */
static void test_rng_double_range_mean_variance(void **state)
{
    enum { N = 1000000 };
    rng_t r;
    rng_seed(&r, SEED, RNG_NODE, 1);
    double sum = 0, sum2 = 0, lo = 1, hi = 0;
    long odd = 0;
    for (int i = 0; i < N; i++) {
        double x = rng_double(&r);
        if (!(x >= 0 && x < 1)) fail_msg("rng_double gave %.17g", x);
        double m = x * 0x1.0p53;
        if (m != floor(m)) fail_msg("rng_double gave %.17g, not a multiple of 2^-53", x);
        odd += (uint64_t)m & 1;
        sum += x;
        sum2 += (x - 0.5) * (x - 0.5);
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
    }
    double mean = sum / N, var = sum2 / N - (mean - 0.5) * (mean - 0.5);
    expect_near("mean", mean, 0.5, sqrt(1.0 / 12 / N), 5);
    expect_near("variance", var, 1.0 / 12, sqrt(1.0 / 180 / N), 5);
    /* The whole interval is reached: P(min > 1e-4) = (1 - 1e-4)^1e6 = e^-100. */
    assert_true(lo < 1e-4);
    assert_true(hi > 1 - 1e-4);
    /* All 53 bits are random: the lowest is set half the time (sd 500 over 1e6). */
    expect_near("draws with the lowest bit set", (double)odd, N / 2.0, sqrt(N / 4.0), 5);
}

static void expect_below_uniform(uint64_t n_buckets, long draws, uint64_t key)
{
    rng_t r;
    rng_seed(&r, SEED, RNG_CLIENT, key);
    uint64_t *count = calloc(n_buckets, sizeof *count);
    assert_non_null(count);
    for (long i = 0; i < draws; i++) {
        uint64_t x = rng_below(&r, n_buckets);
        if (x >= n_buckets) fail_msg("rng_below(%llu) gave %llu", (unsigned long long)n_buckets, (unsigned long long)x);
        count[x]++;
    }
    char what[64];
    snprintf(what, sizeof what, "rng_below(%llu)", (unsigned long long)n_buckets);
    expect_uniform_counts(what, count, n_buckets, (uint64_t)draws);
    free(count);
}

static void test_rng_below_uniform(void **state)
{
    expect_below_uniform(2, 1000000, 1);
    expect_below_uniform(7, 1000000, 2);
    expect_below_uniform(10, 1000000, 3);
    expect_below_uniform(1000, 1000000, 4);
    expect_below_uniform(65536, 2000000, 5);

    rng_t r;
    rng_seed(&r, SEED, RNG_CLIENT, 6);
    for (int i = 0; i < 1000; i++) assert_int_equal(rng_below(&r, 1), 0);
    /* Near the top of the range the result still stays below n and uses the high end. */
    uint64_t big = UINT64_MAX - 5, hi = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_below(&r, big);
        assert_true(x < big);
        hi = x > hi ? x : hi;
    }
    assert_true(hi > big / 2);
}

/* For n far above 2^32 every bit of the result must still be random: with n = 3 * 2^60
 * the lowest bit is set half the time (sd 158 over 1e5 draws), which fails if the
 * product were formed from fewer than 64 random bits. */
static void test_rng_below_large_n_uses_all_bits(void **state)
{
    enum { N = 100000 };
    const uint64_t n = 3ULL << 60;
    rng_t r;
    rng_seed(&r, SEED, RNG_CLIENT, 8);
    long odd = 0, top = 0;
    for (int i = 0; i < N; i++) {
        uint64_t x = rng_below(&r, n);
        assert_true(x < n);
        odd += x & 1;
        top += x >= (n / 3) * 2;                    /* the last third of the range */
    }
    expect_near("odd results of rng_below(3 << 60)", (double)odd, N / 2.0, sqrt(N / 4.0), 5);
    expect_near("results in the top third", (double)top, N / 3.0, sqrt(N * (1.0 / 3) * (2.0 / 3)), 5);
}

/* Successive draws are independent: pairs of rng_below(16) fill 256 cells evenly. */
static void test_rng_below_pairs_uniform(void **state)
{
    enum { K = 16, PAIRS = 1000000 };
    uint64_t count[K * K] = {0};
    rng_t r;
    rng_seed(&r, SEED, RNG_LINK, 99);
    for (int i = 0; i < PAIRS; i++) {
        uint64_t a = rng_below(&r, K);
        count[a * K + rng_below(&r, K)]++;
    }
    expect_uniform_counts("pairs of rng_below(16)", count, K * K, PAIRS);
}

static void test_rng_chance_frequency(void **state)
{
    static const double ps[] = {0.001, 0.1, 0.5, 0.9, 0.999};
    enum { N = 1000000 };
    rng_t r;
    rng_seed(&r, SEED, RNG_NEMESIS, 3);
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        long hits = 0;
        for (int i = 0; i < N; i++) hits += rng_chance(&r, ps[k]);
        char what[48];
        snprintf(what, sizeof what, "rng_chance(%g) hits", ps[k]);
        expect_near(what, (double)hits, N * ps[k], sqrt(N * ps[k] * (1 - ps[k])), 5);
    }
    for (int i = 0; i < 100000; i++) {
        assert_false(rng_chance(&r, 0));
        assert_false(rng_chance(&r, -1));
        assert_true(rng_chance(&r, 1));
        assert_true(rng_chance(&r, 2));
    }
}

static void test_rng_chance_zero_draws_nothing(void **state)
{
    /* p = 0 is the common "feature off" case: it must not advance the stream, or turning
     * a fault on with rate 0 would change every later draw. */
    rng_t r, copy;
    rng_seed(&r, SEED, RNG_LINK, 5);
    copy = r;
    assert_false(rng_chance(&r, 0));
    assert_int_equal(r.s, copy.s);
}

static void test_rng_gsl_deterministic_and_in_place(void **state)
{
    rng_t a, b, c;
    rng_seed(&a, SEED, RNG_NODE, 42);
    rng_seed(&b, SEED, RNG_NODE, 42);
    rng_seed(&c, SEED, RNG_NODE, 42);
    gsl_rng ga, gb;
    rng_gsl(&a, &ga);
    rng_gsl(&b, &gb);
    assert_string_equal(gsl_rng_name(&ga), "dsim-splitmix64");
    assert_int_equal(gsl_rng_min(&ga), 0);
    assert_int_equal(gsl_rng_max(&ga), 0xffffffffUL);
    for (int i = 0; i < 10000; i++) {
        double x = gsl_rng_uniform(&ga);
        assert_true(x == gsl_rng_uniform(&gb));
        /* The adapter draws from the stream itself, not from a copy. */
        assert_true(x == rng_double(&c));
        assert_int_equal(a.s, c.s);
    }
    for (int i = 0; i < 10000; i++) {
        double x = gsl_ran_exponential(&ga, 3.0);
        assert_true(x == gsl_ran_exponential(&gb, 3.0));
        unsigned long g = gsl_rng_get(&ga);
        assert_int_equal(g, gsl_rng_get(&gb));
        assert_true(g <= 0xffffffffUL);
    }
    /* Mixing direct draws and GSL draws on one stream stays in step across copies. */
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(rng_next(&a), rng_next(&b));
        assert_true(gsl_ran_gaussian(&ga, 1.0) == gsl_ran_gaussian(&gb, 1.0));
    }
}

static void test_rng_gsl_distributions_have_right_moments(void **state)
{
    enum { N = 1000000 };
    rng_t r;
    rng_seed(&r, SEED, RNG_LINK, 77);
    gsl_rng g;
    rng_gsl(&r, &g);
    const double mu = 3.0;
    double sum = 0, sum_u = 0;
    uint64_t hi_bits[16] = {0};
    for (int i = 0; i < N; i++) {
        double x = gsl_ran_exponential(&g, mu);
        assert_true(x >= 0);
        sum += x;
        sum_u += gsl_rng_uniform(&g);
        hi_bits[gsl_rng_get(&g) >> 28]++;
    }
    expect_near("exponential(3) mean", sum / N, mu, mu / sqrt(N), 5);
    expect_near("gsl_rng_uniform mean", sum_u / N, 0.5, sqrt(1.0 / 12 / N), 5);
    expect_uniform_counts("top four bits of gsl_rng_get", hi_bits, 16, N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rng_next_matches_splitmix64),
        cmocka_unit_test(test_rng_seed_same_key_same_sequence),
        cmocka_unit_test(test_rng_seed_different_keys_differ),
        cmocka_unit_test(test_rng_seed_neighbouring_ids_uncorrelated),
        cmocka_unit_test(test_rng_streams_do_not_interfere),
        cmocka_unit_test(test_rng_double_range_mean_variance),
        cmocka_unit_test(test_rng_below_uniform),
        cmocka_unit_test(test_rng_below_large_n_uses_all_bits),
        cmocka_unit_test(test_rng_below_pairs_uniform),
        cmocka_unit_test(test_rng_chance_frequency),
        cmocka_unit_test(test_rng_chance_zero_draws_nothing),
        cmocka_unit_test(test_rng_gsl_deterministic_and_in_place),
        cmocka_unit_test(test_rng_gsl_distributions_have_right_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
