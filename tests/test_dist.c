/* test_dist.c -- sampling and moments of the latency distributions in sim/dist.c.
 *
 * Each distribution is checked twice over. Its dist_mean and dist_variance are compared
 * with closed forms worked out here by a different route (raw moments, E[X^2] - E[X]^2)
 * so a wrong formula cannot agree with itself. Then 200,000 draws from a fixed stream
 * are compared with those closed forms. The tolerances are six standard errors: the
 * sample mean's standard error is sqrt(var / n), and the sample variance's is
 * sqrt((mu4 - var^2) / n), where mu4 is the fourth central moment, also in closed form
 * below. Six standard errors leave chance a probability of about 2e-9, so a failure
 * means a wrong parameterisation, not an unlucky seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include "core/dist.h"

#define N_DRAWS 200000
#define SEED 0xd157ULL
#define MS 1e6                         /* one millisecond in the dists' unit, ns */

static void expect_rel(const char *what, double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%s = %.12g, want %.12g (relative tolerance %g)", what, got, want, rel);
}

typedef struct moments {
    double mean, var, mu4;             /* closed forms; mu4 INFINITY when it does not exist */
} moments_t;

/* Draws N_DRAWS values from a fixed stream, checks none is below `floor_ns`, and returns
 * the sample mean and (unbiased) sample variance. */
static void sample(const dist_t *d, uint64_t stream, sim_time_t floor_ns, double *mean, double *var)
{
    static sim_time_t x[N_DRAWS];
    rng_t r;
    rng_seed(&r, SEED, RNG_LINK, stream);
    double sum = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        x[i] = dist_sample(d, &r);
        if (x[i] < floor_ns) fail_msg("%s draw %d is %lld, below %lld", dist_kind_name(d->kind), i,
                                      (long long)x[i], (long long)floor_ns);
        sum += (double)x[i];
    }
    *mean = sum / N_DRAWS;
    double ss = 0;
    for (int i = 0; i < N_DRAWS; i++) ss += ((double)x[i] - *mean) * ((double)x[i] - *mean);
    *var = ss / (N_DRAWS - 1);
}

/* The whole check for one distribution: formulas against closed forms, then samples
 * against closed forms. When mu4 is infinite the sample variance has no standard error,
 * and [var_lo, var_hi], relative to the true variance, bounds it instead. */
static void check(const char *name, const dist_t *d, moments_t m, uint64_t stream, sim_time_t floor_ns,
                  double var_lo, double var_hi)
{
    char what[96];
    snprintf(what, sizeof what, "dist_mean(%s)", name);
    expect_rel(what, dist_mean(d), m.mean, 1e-12);
    snprintf(what, sizeof what, "dist_variance(%s)", name);
    expect_rel(what, dist_variance(d), m.var, 1e-12);

    double mean, var;
    sample(d, stream, floor_ns, &mean, &var);
    double se_mean = sqrt(m.var / N_DRAWS);
    if (!(fabs(mean - m.mean) <= 6 * se_mean))
        fail_msg("%s: sample mean %.6g, want %.6g within 6 x %.3g", name, mean, m.mean, se_mean);
    if (isinf(m.mu4)) {
        if (!(var >= (1 + var_lo) * m.var && var <= (1 + var_hi) * m.var))
            fail_msg("%s: sample variance %.6g, want %.6g within %+.0f%% and %+.0f%%", name, var, m.var,
                     100 * var_lo, 100 * var_hi);
    } else {
        double se_var = sqrt((m.mu4 - m.var * m.var) / N_DRAWS);
        if (!(fabs(var - m.var) <= 6 * se_var))
            fail_msg("%s: sample variance %.6g, want %.6g within 6 x %.3g", name, var, m.var, se_var);
    }
}

static dist_t make(dist_kind_t kind, double a, double b)
{
    dist_t d = {0};
    d.kind = kind;
    d.a = a;
    d.b = b;
    return d;
}

static void test_dist_constant_is_exact(void **state)
{
    dist_t d = dist_constant(5 * SIM_MS);
    assert_true(dist_mean(&d) == 5 * MS);
    assert_true(dist_variance(&d) == 0);
    rng_t r;
    rng_seed(&r, SEED, RNG_LINK, 1);
    for (int i = 0; i < 1000; i++) assert_int_equal(dist_sample(&d, &r), 5 * SIM_MS);
    d.offset_ns = 250;
    assert_true(dist_mean(&d) == 5 * MS + 250);
    assert_true(dist_variance(&d) == 0);
    for (int i = 0; i < 1000; i++) assert_int_equal(dist_sample(&d, &r), 5 * SIM_MS + 250);
}

static void test_dist_uniform_moments(void **state)
{
    double a = 1 * MS, b = 3 * MS, w = b - a;
    dist_t d = make(DIST_UNIFORM, a, b);
    /* E[X^2] = (a^2 + ab + b^2) / 3 for U[a, b); mu4 = w^4 / 80. */
    double mean = (a + b) / 2, ex2 = (a * a + a * b + b * b) / 3;
    moments_t m = {mean, ex2 - mean * mean, w * w * w * w / 80};
    check("uniform[1ms,3ms)", &d, m, 10, (sim_time_t)a, 0, 0);
}

static void test_dist_normal_moments(void **state)
{
    /* Mean 10 sd above zero: the truncation removes mass 7.6e-24, far below notice. */
    double mu = 50 * MS, sd = 5 * MS;
    dist_t d = make(DIST_NORMAL, mu, sd);
    moments_t m = {mu, sd * sd, 3 * sd * sd * sd * sd};
    check("normal(50ms,5ms)", &d, m, 11, 0, 0, 0);
}

static void test_dist_exponential_moments(void **state)
{
    double th = 2 * MS;
    dist_t d = make(DIST_EXPONENTIAL, th, 0);
    /* Raw moments k! th^k: E[X^2] = 2 th^2; the fourth central moment is 9 th^4. */
    moments_t m = {th, 2 * th * th - th * th, 9 * th * th * th * th};
    check("exponential(2ms)", &d, m, 12, 0, 0, 0);
}

static void test_dist_lognormal_moments(void **state)
{
    double median = 1 * MS, s = 0.5, mu = log(median), s2 = s * s;
    dist_t d = make(DIST_LOGNORMAL, median, s);
    /* Raw moments E[X^k] = exp(k mu + k^2 s^2 / 2). */
    double e1 = exp(mu + s2 / 2), e2 = exp(2 * mu + 2 * s2), e3 = exp(3 * mu + 4.5 * s2), e4 = exp(4 * mu + 8 * s2);
    double mu4 = e4 - 4 * e1 * e3 + 6 * e1 * e1 * e2 - 3 * e1 * e1 * e1 * e1;
    moments_t m = {e1, e2 - e1 * e1, mu4};
    check("lognormal(1ms,0.5)", &d, m, 13, 0, 0, 0);
}

/* Raw moment E[X^k] of Pareto(xm, alpha), finite for k < alpha. */
static double pareto_raw(double xm, double alpha, int k) { return alpha * pow(xm, k) / (alpha - k); }

static void test_dist_pareto_moments(void **state)
{
    /* alpha = 5 > 4, so the fourth moment is finite and the sample variance has a
     * standard error. Its distribution is still skewed (the sixth moment is infinite),
     * so large excursions are likelier than for a normal: over 1000 seeds the largest
     * was about 5 standard errors, inside the bound of 6. */
    double xm = 1 * MS, al = 5;
    dist_t d = make(DIST_PARETO, xm, al);
    double e1 = pareto_raw(xm, al, 1), e2 = pareto_raw(xm, al, 2), e3 = pareto_raw(xm, al, 3), e4 = pareto_raw(xm, al, 4);
    double mu4 = e4 - 4 * e1 * e3 + 6 * e1 * e1 * e2 - 3 * e1 * e1 * e1 * e1;
    moments_t m = {e1, e2 - e1 * e1, mu4};
    check("pareto(1ms,5)", &d, m, 14, (sim_time_t)xm, 0, 0);
}

static void test_dist_pareto_heavy_tail_moments(void **state)
{
    /* alpha = 3: the variance is finite, so the sample mean still obeys the central
     * limit theorem and keeps its six-standard-error bound. But E[X^4] is infinite, so
     * the sample variance has no standard error: the sum of X^2 (tail index 3/2) is
     * attracted to a 3/2-stable law skewed to the right. Below the truth it is light-
     * tailed (over 1000 seeds at n = 2e5 the lowest sample variance was 15% under, the
     * median 3% under); above, it falls off only as a power, since a single draw above
     * sqrt(0.75 n) xm, probability n^-1/2 / 0.65 = 0.3% per run, doubles it alone. So
     * the bound is lopsided, -30% to +100%, which still tells alpha = 3 (variance
     * 0.75 xm^2) from alpha = 2.5 (2.22 xm^2, +196%) or alpha = 4 (0.22 xm^2, -70%). */
    double xm = 1 * MS, al = 3;
    dist_t d = make(DIST_PARETO, xm, al);
    double e1 = pareto_raw(xm, al, 1), e2 = pareto_raw(xm, al, 2);
    moments_t m = {e1, e2 - e1 * e1, INFINITY};
    check("pareto(1ms,3)", &d, m, 15, (sim_time_t)xm, -0.30, 1.00);
}

static void test_dist_pareto_infinite_moments(void **state)
{
    dist_t d = make(DIST_PARETO, MS, 1.0);
    assert_true(isinf(dist_mean(&d)) && dist_mean(&d) > 0);
    assert_true(isinf(dist_variance(&d)));
    d.b = 0.5;
    assert_true(isinf(dist_mean(&d)));
    d.b = 2.0;                                  /* mean 2 xm, variance infinite */
    expect_rel("dist_mean(pareto alpha 2)", dist_mean(&d), 2 * MS, 1e-12);
    assert_true(isinf(dist_variance(&d)));
    d.b = 1.5;
    expect_rel("dist_mean(pareto alpha 1.5)", dist_mean(&d), 3 * MS, 1e-12);
    assert_true(isinf(dist_variance(&d)));
}

/* Fourth central moment about `c` of a part with mean m, variance v, third and fourth
 * central moments mu3 and mu4: E[(Y + d)^4] with d = m - c. */
static double mu4_about(double c, double m, double v, double mu3, double mu4)
{
    double dd = m - c;
    return mu4 + 4 * dd * mu3 + 6 * dd * dd * v + dd * dd * dd * dd;
}

static void test_dist_mixture_moments(void **state)
{
    /* 70% normal(10ms, 1ms) and 30% exponential(20ms) shifted by 5ms, the whole
     * shifted by 1ms: part offsets and the outer offset must both count. */
    static dist_t part[2];
    part[0] = make(DIST_NORMAL, 10 * MS, 1 * MS);
    part[1] = make(DIST_EXPONENTIAL, 20 * MS, 0);
    part[1].offset_ns = 5 * SIM_MS;
    dist_t d = {0};
    d.kind = DIST_MIXTURE;
    d.n = 2;
    d.weight[0] = 0.7;
    d.weight[1] = 0.3;
    d.part = part;
    d.offset_ns = 1 * SIM_MS;

    double w0 = 0.7, w1 = 0.3;
    double m0 = 10 * MS, v0 = 1 * MS * MS, th = 20 * MS, m1 = 5 * MS + th, v1 = th * th;
    double mean = w0 * m0 + w1 * m1;
    double ex2 = w0 * (v0 + m0 * m0) + w1 * (v1 + m1 * m1);
    double var = ex2 - mean * mean;
    double mu4 = w0 * mu4_about(mean, m0, v0, 0, 3 * v0 * v0) +
                 w1 * mu4_about(mean, m1, v1, 2 * th * th * th, 9 * th * th * th * th);
    moments_t m = {mean + 1 * MS, var, mu4};
    check("mixture", &d, m, 16, 1 * SIM_MS, 0, 0);
}

static void test_dist_offset_shifts_mean_only(void **state)
{
    double th = 1 * MS;
    dist_t d = make(DIST_EXPONENTIAL, th, 0);
    d.offset_ns = 10 * SIM_MS;
    moments_t m = {10 * MS + th, th * th, 9 * th * th * th * th};
    check("exponential(1ms)+10ms", &d, m, 17, 10 * SIM_MS, 0, 0);

    dist_t u = make(DIST_UNIFORM, 0, 2 * MS);
    u.offset_ns = 100 * SIM_MS;
    double w = 2 * MS;
    moments_t mu = {100 * MS + MS, w * w / 12, w * w * w * w / 80};
    check("uniform[0,2ms)+100ms", &u, mu, 18, 100 * SIM_MS, 0, 0);

    dist_t n = make(DIST_NORMAL, 20 * MS, 2 * MS);
    n.offset_ns = 3;
    expect_rel("dist_mean(normal+3ns)", dist_mean(&n), 20 * MS + 3, 1e-15);
    expect_rel("dist_variance(normal+3ns)", dist_variance(&n), 4 * MS * MS, 1e-15);
}

/* A normal with mean 1ms and sd 5ms is mostly truncated: 42% of raw draws are below
 * zero. Redrawing (not clamping) gives the normal conditioned on X >= 0, whose mean is
 * mu + sd * lambda with lambda = phi(alpha) / (1 - Phi(alpha)), alpha = -mu / sd, and
 * whose variance is sd^2 (1 + alpha lambda - lambda^2). Clamping would instead pile 42%
 * of the draws on exactly zero. */
static void test_dist_normal_truncation_never_negative(void **state)
{
    double mu = 1 * MS, sd = 5 * MS;
    dist_t d = make(DIST_NORMAL, mu, sd);
    rng_t r;
    rng_seed(&r, SEED, RNG_LINK, 20);
    double sum = 0;
    long zeros = 0;
    for (int i = 0; i < N_DRAWS; i++) {
        sim_time_t x = dist_sample(&d, &r);
        if (x < 0) fail_msg("normal(1ms,5ms) draw %d is %lld", i, (long long)x);
        zeros += x == 0;
        sum += (double)x;
    }
    double al = -mu / sd, lam = gsl_ran_ugaussian_pdf(al) / gsl_cdf_ugaussian_Q(al);
    double tmean = mu + sd * lam, tvar = sd * sd * (1 + al * lam - lam * lam);
    double mean = sum / N_DRAWS, se = sqrt(tvar / N_DRAWS);
    if (!(fabs(mean - tmean) <= 6 * se))
        fail_msg("truncated normal sample mean %.6g, want %.6g within 6 x %.3g", mean, tmean, se);
    /* An exact zero needs a raw draw within 0.5ns of zero: expected count about 0.03. */
    assert_true(zeros <= 2);
}

static void test_dist_draws_never_negative(void **state)
{
    /* Distributions that put mass below zero are cut at zero, whatever their kind. */
    dist_t below[] = {
        make(DIST_NORMAL, -5 * MS, 1 * MS),     /* almost all mass below zero */
        make(DIST_NORMAL, -1 * MS, 0),          /* degenerate at a negative value */
        make(DIST_UNIFORM, -1 * MS, 1 * MS),
        make(DIST_CONSTANT, 0, 0),
        make(DIST_EXPONENTIAL, 1, 0),
        make(DIST_LOGNORMAL, 1, 3),
        make(DIST_PARETO, 1, 0.5),
    };
    rng_t r;
    rng_seed(&r, SEED, RNG_LINK, 21);
    for (size_t k = 0; k < SIM_ARRAY_LEN(below); k++)
        for (int i = 0; i < 20000; i++) {
            sim_time_t x = dist_sample(&below[k], &r);
            if (x < 0) fail_msg("%s(%g, %g) drew %lld", dist_kind_name(below[k].kind), below[k].a, below[k].b,
                                (long long)x);
        }
}

/* Pareto with alpha 0.1 and xm 1s exceeds 9e18ns one time in ten; such draws must be
 * held at a representable time, not wrap to a negative one. */
static void test_dist_heavy_tail_stays_representable(void **state)
{
    dist_t d = make(DIST_PARETO, 1e9, 0.1);
    rng_t r;
    rng_seed(&r, SEED, RNG_LINK, 22);
    long huge = 0;
    for (int i = 0; i < 20000; i++) {
        sim_time_t x = dist_sample(&d, &r);
        if (x < (sim_time_t)1000000000) fail_msg("pareto(1s, 0.1) drew %lld", (long long)x);
        huge += x > (sim_time_t)8000000000000000000LL;
    }
    /* P(X > 8e18) = (1e9 / 8e18)^0.1 = 0.101, so about 2000 of 20000 (sd 43). */
    assert_true(huge > 1500 && huge < 2500);
}

static void test_dist_sample_deterministic(void **state)
{
    static dist_t part[2];
    part[0] = make(DIST_LOGNORMAL, 2 * MS, 0.3);
    part[1] = make(DIST_PARETO, 5 * MS, 2.5);
    dist_t mix = {0};
    mix.kind = DIST_MIXTURE;
    mix.n = 2;
    mix.weight[0] = 0.5;
    mix.weight[1] = 0.5;
    mix.part = part;
    dist_t all[] = {
        make(DIST_UNIFORM, 1, 1000), make(DIST_NORMAL, 5 * MS, 1 * MS), make(DIST_EXPONENTIAL, MS, 0),
        make(DIST_LOGNORMAL, MS, 1), make(DIST_PARETO, MS, 3), mix,
    };
    for (size_t k = 0; k < SIM_ARRAY_LEN(all); k++) {
        rng_t a, b, c;
        rng_seed(&a, SEED, RNG_LINK, 30 + k);
        rng_seed(&b, SEED, RNG_LINK, 30 + k);
        rng_seed(&c, SEED, RNG_LINK, 31 + k);
        int same_as_other = 0;
        for (int i = 0; i < 1000; i++) {
            sim_time_t x = dist_sample(&all[k], &a);
            assert_int_equal(x, dist_sample(&all[k], &b));
            same_as_other += x == dist_sample(&all[k], &c);
        }
        /* A different stream gives different draws (these kinds rarely repeat a value). */
        assert_true(same_as_other < 100);
    }
}

static void test_dist_kind_parse_name_round_trip(void **state)
{
    static const char *const want[] = {
        "constant", "uniform", "normal", "exponential", "lognormal", "pareto", "mixture",
    };
    int n = 0;
    while (dist_kind_names[n]) n++;
    assert_int_equal(n, DIST_MIXTURE + 1);
    for (int k = DIST_CONSTANT; k <= DIST_MIXTURE; k++) {
        assert_string_equal(dist_kind_name((dist_kind_t)k), want[k]);
        dist_kind_t out = (dist_kind_t)-1;
        assert_int_equal(dist_kind_parse(dist_kind_name((dist_kind_t)k), &out), SIM_OK);
        assert_int_equal(out, k);
    }
    static const char *const bad[] = {"", "Normal", "gauss", "normal ", " normal", "norm", "normals", "mixture2"};
    for (size_t i = 0; i < SIM_ARRAY_LEN(bad); i++) {
        dist_kind_t out = DIST_PARETO;
        assert_int_equal(dist_kind_parse(bad[i], &out), SIM_ENOTFOUND);
        assert_int_equal(out, DIST_PARETO);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dist_constant_is_exact),
        cmocka_unit_test(test_dist_uniform_moments),
        cmocka_unit_test(test_dist_normal_moments),
        cmocka_unit_test(test_dist_exponential_moments),
        cmocka_unit_test(test_dist_lognormal_moments),
        cmocka_unit_test(test_dist_pareto_moments),
        cmocka_unit_test(test_dist_pareto_heavy_tail_moments),
        cmocka_unit_test(test_dist_pareto_infinite_moments),
        cmocka_unit_test(test_dist_mixture_moments),
        cmocka_unit_test(test_dist_offset_shifts_mean_only),
        cmocka_unit_test(test_dist_normal_truncation_never_negative),
        cmocka_unit_test(test_dist_draws_never_negative),
        cmocka_unit_test(test_dist_heavy_tail_stays_representable),
        cmocka_unit_test(test_dist_sample_deterministic),
        cmocka_unit_test(test_dist_kind_parse_name_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
