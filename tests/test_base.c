/* test_base.c -- durations, rates, error texts and the 64-bit mixer of sim/base.c.
 *
 * Durations are what a person types into a scenario, so the parser is held to exact
 * nanoseconds ("1.1s" must not become 1099999999ns through a double) and to rejecting
 * everything that is not "<decimal><unit>". The formatter is checked by round trip
 * over hand-picked and pseudo-random values, since traces and exports print times
 * with it and scenarios read them back.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "core/base.h"

/* Parses s, failing the test unless it succeeds with exactly want. */
static void expect_duration(const char *s, bool signed_ok, sim_time_t want)
{
    sim_time_t got = 12345;
    int rc = sim_parse_duration(s, signed_ok, &got);
    if (rc != SIM_OK || got != want)
        fail_msg("sim_parse_duration(\"%s\") = %d, %lld; want SIM_OK, %lld",
                 s, rc, (long long)got, (long long)want);
}

/* Parses s, failing the test unless it is rejected and *out is left alone. */
static void expect_duration_rejected(const char *s, bool signed_ok)
{
    sim_time_t got = 12345;
    int rc = sim_parse_duration(s, signed_ok, &got);
    if (rc != SIM_EINPUT || got != 12345)
        fail_msg("sim_parse_duration(\"%s\", signed_ok=%d) = %d, %lld; want SIM_EINPUT, untouched",
                 s ? s : "(null)", (int)signed_ok, rc, (long long)got);
}

static void test_parse_duration_units(void **state)
{
    expect_duration("1ns", false, 1);
    expect_duration("1us", false, 1000);
    expect_duration("1\xc2\xb5s", false, 1000);          /* "1µs" in UTF-8 */
    expect_duration("1ms", false, 1000000);
    expect_duration("1s", false, 1000000000);
    expect_duration("1m", false, 60000000000LL);
    expect_duration("1h", false, 3600000000000LL);
    expect_duration("0s", false, 0);
    expect_duration("0ns", false, 0);
    expect_duration("150ms", false, 150000000);
    expect_duration("20us", false, 20000);
    expect_duration("300ns", false, 300);
    expect_duration("2m", false, 120000000000LL);
    expect_duration("007ms", false, 7000000);
}

static void test_parse_duration_fractions_are_exact(void **state)
{
    expect_duration("1.5s", false, 1500000000);
    expect_duration("0.1ms", false, 100000);
    expect_duration("1.1s", false, 1100000000);       /* 1.1 * 1e9 in double is not exact */
    expect_duration("0.3s", false, 300000000);
    expect_duration("2.5us", false, 2500);
    expect_duration("2.5\xc2\xb5s", false, 2500);
    expect_duration("0.000001ms", false, 1);
    expect_duration("0.000000001s", false, 1);
    expect_duration("0.123456789s", false, 123456789);
    expect_duration("1.000000001s", false, 1000000001);
    expect_duration("1.50s", false, 1500000000);
    expect_duration("1.5m", false, 90000000000LL);
    expect_duration("0.5h", false, 1800000000000LL);
    expect_duration("0.001h", false, 3600000000LL);
    expect_duration("1.0ns", false, 1);
    expect_duration("9223372036.854775807s", false, INT64_MAX);
    expect_duration("2562047h", false, 2562047LL * 3600000000000LL);
}

/* Nine decimals of a minute or an hour still land on whole nanoseconds: 0.999999999m is
 * 59.99999994s. Such inputs must be accepted even though frac * unit exceeds 64 bits. */
static void test_parse_duration_many_decimals_of_large_units(void **state)
{
    expect_duration("0.1234567h", false, 444444120000LL);
    expect_duration("0.12345678h", false, 444444408000LL);
    expect_duration("0.999999999m", false, 59999999940LL);
    expect_duration("1.123456789h", false, 3600000000000LL + 444444440400LL);
}

static void test_parse_duration_rejects_malformed(void **state)
{
    static const char *const bad[] = {
        "5", "", "ms", "5 ms", " 5ms", "5ms ", "5MS", "5sec", "5mss", "s5", "1.s", ".s",
        "1..5s", "1.5.5s", "1e3s", "+5s", "--5s", "-", "5/s", "0x10s", "5\xc2s", "5\xb5s",
        "1,5s", "inf s", "nans",
    };
    for (size_t i = 0; i < SIM_ARRAY_LEN(bad); i++) {
        expect_duration_rejected(bad[i], false);
        expect_duration_rejected(bad[i], true);
    }
    expect_duration_rejected(NULL, false);
}

static void test_parse_duration_sign_needs_signed_ok(void **state)
{
    expect_duration_rejected("-3s", false);
    expect_duration_rejected("-0s", false);
    expect_duration("-3s", true, -3000000000LL);
    expect_duration("-1.5ms", true, -1500000);
    expect_duration("-0s", true, 0);
    expect_duration("-9223372036.854775807s", true, -INT64_MAX);
    expect_duration("3s", true, 3000000000LL);
}

static void test_parse_duration_rejects_finer_than_ns(void **state)
{
    expect_duration_rejected("1.0000000001s", false);   /* ten decimals */
    expect_duration_rejected("0.5ns", false);
    expect_duration_rejected("1.5ns", false);
    expect_duration_rejected("0.0001us", false);
    expect_duration_rejected("1.2345us", false);
    expect_duration_rejected("0.0000001ms", false);
}

static void test_parse_duration_rejects_overflow(void **state)
{
    expect_duration_rejected("99999999999999h", false);
    expect_duration_rejected("2562048h", false);
    expect_duration_rejected("153722868m", false);
    expect_duration_rejected("9223372036.854775808s", false);
    expect_duration_rejected("9223372037s", false);
    expect_duration_rejected("9223372036854775808ns", false);
    expect_duration_rejected("99999999999999999999999999ns", false);
    expect_duration_rejected("-9223372037s", true);
    expect_duration("9223372036854775807ns", false, INT64_MAX);
}

static void expect_rate(const char *s, double want)
{
    double got = -1;
    int rc = sim_parse_rate(s, &got);
    if (rc != SIM_OK || fabs(got - want) > 1e-12 * fabs(want))
        fail_msg("sim_parse_rate(\"%s\") = %d, %.17g; want SIM_OK, %.17g", s, rc, got, want);
}

static void test_parse_rate_units(void **state)
{
    expect_rate("50/s", 50);
    expect_rate("2/ms", 2000);
    expect_rate("600/m", 10);
    expect_rate("3600/h", 1);
    expect_rate("1/us", 1e6);
    expect_rate("0.5/s", 0.5);
    expect_rate("0/s", 0);
    expect_rate("1.5/ms", 1500);
}

static void test_parse_rate_rejects_malformed(void **state)
{
    static const char *const bad[] = {
        "50", "50/x", "-1/s", "", "/s", "50/", "50/s ", "50 /s", "50/S", "50//s",
        "inf/s", "nan/s", "-inf/s", "50/sec", "s",
    };
    for (size_t i = 0; i < SIM_ARRAY_LEN(bad); i++) {
        double got = 777;
        int rc = sim_parse_rate(bad[i], &got);
        if (rc != SIM_EINPUT || got != 777)
            fail_msg("sim_parse_rate(\"%s\") = %d, %g; want SIM_EINPUT, untouched", bad[i], rc, got);
    }
    double got = 777;
    assert_int_equal(sim_parse_rate(NULL, &got), SIM_EINPUT);
}

static void expect_format(sim_time_t t, const char *want)
{
    char buf[64];
    char *r = sim_format_duration(t, buf, sizeof buf);
    assert_ptr_equal(r, buf);
    if (strcmp(buf, want) != 0)
        fail_msg("sim_format_duration(%lld) = \"%s\"; want \"%s\"", (long long)t, buf, want);
}

static void test_format_duration_shortest_exact_unit(void **state)
{
    expect_format(0, "0s");
    expect_format(1, "1ns");
    expect_format(999, "999ns");
    expect_format(1000, "1us");
    expect_format(1500, "1.5us");
    expect_format(1001, "1.001us");
    expect_format(150 * SIM_MS, "150ms");
    expect_format(1500 * SIM_MS, "1.5s");
    expect_format(1234567, "1.234567ms");
    expect_format(1000000001, "1.000000001s");
    expect_format(SIM_MIN, "60s");
    expect_format(-1500, "-1.5us");
    expect_format(-SIM_SEC, "-1s");
    expect_format(INT64_MAX, "9223372036.854775807s");
}

/* Parses what was formatted and checks it is the same time. */
static void expect_round_trip(sim_time_t t)
{
    char buf[64];
    sim_time_t back = 0;
    sim_format_duration(t, buf, sizeof buf);
    int rc = sim_parse_duration(buf, true, &back);
    if (rc != SIM_OK || back != t)
        fail_msg("round trip of %lld through \"%s\" gave %d, %lld", (long long)t, buf, rc, (long long)back);
}

static void test_format_duration_round_trips(void **state)
{
    static const sim_time_t fixed[] = {
        0, 1, 2, 9, 10, 999, 1000, 1001, 1234, 1500, 999999, 1000000, 1000001, 1234567,
        12345678, 999999999, 1000000000, 1000000001, 1500000000, 59999999999LL,
        60000000000LL, 3600000000000LL, 86400000000000LL, 123456789012345678LL,
        INT64_MAX, INT64_MAX - 1, -1, -999, -1000, -1234567, -1500000000, -INT64_MAX,
    };
    for (size_t i = 0; i < SIM_ARRAY_LEN(fixed); i++) expect_round_trip(fixed[i]);
    /* Pseudo-random values of every magnitude, both signs; the mask keeps a random
     * number of low bits so small and large values are equally common. */
    for (uint64_t i = 0; i < 200000; i++) {
        uint64_t x = sim_mix64(i), bits = sim_mix64(~i) % 63;
        sim_time_t t = (sim_time_t)(x & ((1ULL << bits) - 1));
        expect_round_trip(t);
        expect_round_trip(-t);
    }
    /* Round multiples of each unit plus a small remainder exercise the trailing-zero trim. */
    for (sim_time_t u = 1; u <= SIM_SEC; u *= 10)
        for (sim_time_t k = 1; k < 2000; k += 7) expect_round_trip(k * u + (k % 3));
}

static void test_format_duration_truncates_within_buffer(void **state)
{
    char buf[8];
    memset(buf, 'x', sizeof buf);
    sim_format_duration(1234567, buf, 5);
    assert_string_equal(buf, "1.23");
    assert_int_equal(buf[5], 'x');
}

static void expect_short(sim_time_t t, const char *want)
{
    char buf[64];
    char *r = sim_format_duration_short(t, buf, sizeof buf);
    assert_ptr_equal(r, buf);
    if (strcmp(buf, want) != 0)
        fail_msg("sim_format_duration_short(%lld) = \"%s\"; want \"%s\"", (long long)t, buf, want);
}

static void test_format_duration_short_three_digits(void **state)
{
    expect_short(0, "0ns");
    expect_short(7, "7ns");
    expect_short(999, "999ns");
    expect_short(1000, "1us");
    expect_short(1500, "1.5us");
    expect_short(9730000, "9.73ms");
    expect_short(9734999, "9.73ms");
    expect_short(1234567, "1.23ms");
    expect_short(1250000000, "1.25s");
    expect_short(150 * SIM_MS, "150ms");
    expect_short(90 * SIM_SEC, "1.5m");
    expect_short(3600 * SIM_SEC, "1h");
    expect_short(59 * SIM_MIN, "59m");
    expect_short(-9730000, "-9.73ms");
    expect_short(-1, "-1ns");
}

/* Whatever the short form prints must still read as a duration within the rounding
 * of three significant digits (half a unit in the third digit is 0.5%). Values just
 * below a unit boundary, such as 999999ns, round up to 1000 of the smaller unit, and
 * "%.3g" would print that as "1e+03us", which is neither readable nor parseable. */
static void expect_short_reads_back(sim_time_t t)
{
    char buf[64];
    sim_time_t back = 0;
    sim_format_duration_short(t, buf, sizeof buf);
    if (strchr(buf, 'e') || sim_parse_duration(buf, true, &back) != SIM_OK)
        fail_msg("sim_format_duration_short(%lld) = \"%s\", which does not read as a duration",
                 (long long)t, buf);
    double err = fabs((double)back - (double)t);
    if (err > 0.005 * fabs((double)t) + 0.5)
        fail_msg("sim_format_duration_short(%lld) = \"%s\" is off by %.0fns", (long long)t, buf, err);
}

static void test_format_duration_short_reads_back(void **state)
{
    static const sim_time_t edge[] = {
        999, 999499, 999500, 999999, 999499999, 999500000, 999999999, 59999999999LL,
    };
    for (size_t i = 0; i < SIM_ARRAY_LEN(edge); i++) {
        expect_short_reads_back(edge[i]);
        expect_short_reads_back(-edge[i]);
    }
    for (uint64_t i = 0; i < 100000; i++) {
        /* Up to 2^45ns (about 9.8 hours), below where minutes would need four digits. */
        uint64_t x = sim_mix64(i), bits = 1 + sim_mix64(~i) % 45;
        sim_time_t t = (sim_time_t)(x & ((1ULL << bits) - 1));
        expect_short_reads_back(t);
        expect_short_reads_back(-t);
    }
}

static void test_strerror_each_code(void **state)
{
    assert_string_equal(sim_strerror(SIM_OK), "ok");
    assert_string_equal(sim_strerror(SIM_ENOMEM), "out of memory");
    assert_string_equal(sim_strerror(SIM_ELIMIT), "a limit was exceeded");
    assert_string_equal(sim_strerror(SIM_EINPUT), "bad input");
    assert_string_equal(sim_strerror(SIM_EIO), "input/output error");
    assert_string_equal(sim_strerror(SIM_EINVARIANT), "an invariant was violated");
    assert_string_equal(sim_strerror(SIM_ENOTFOUND), "not found");
    assert_string_equal(sim_strerror(-7), "unknown error");
    assert_string_equal(sim_strerror(1), "unknown error");
    assert_string_equal(sim_strerror(-1000), "unknown error");
    /* Every code has its own text. */
    for (int a = SIM_ENOTFOUND; a <= SIM_OK; a++)
        for (int b = a + 1; b <= SIM_OK; b++)
            assert_string_not_equal(sim_strerror(a), sim_strerror(b));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts n outputs and fails on the first repeated one. */
static void expect_distinct(uint64_t *v, size_t n, const char *what)
{
    qsort(v, n, sizeof *v, cmp_u64);
    for (size_t i = 1; i < n; i++)
        if (v[i] == v[i - 1]) fail_msg("sim_mix64 collision on %s inputs: %#llx", what, (unsigned long long)v[i]);
}

static void test_mix64_no_collisions(void **state)
{
    enum { N = 100000 };
    uint64_t *v = malloc(N * sizeof *v);
    assert_non_null(v);
    /* Consecutive integers, then inputs that differ only in their high bits, then
     * inputs on the SplitMix64 counter's own lattice. */
    for (uint64_t i = 0; i < N; i++) v[i] = sim_mix64(i);
    expect_distinct(v, N, "consecutive");
    for (uint64_t i = 0; i < N; i++) v[i] = sim_mix64(i << 47);
    expect_distinct(v, N, "high-bit");
    for (uint64_t i = 0; i < N; i++) v[i] = sim_mix64(i * 0x9e3779b97f4a7c15ULL);
    expect_distinct(v, N, "golden-ratio");
    free(v);
}

/* A mixer must spread each input bit over the whole output: flipping one bit should
 * flip 32 of 64 output bits on average. 64000 flips with per-flip sd 4 give a standard
 * error of 0.016, so 0.5 is far outside chance yet catches a weak (say, one-round) mix. */
static void test_mix64_avalanche(void **state)
{
    double total = 0;
    int n = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        uint64_t x = sim_mix64(i ^ 0x5555), y = sim_mix64(x);
        for (int b = 0; b < 64; b++, n++)
            total += __builtin_popcountll(y ^ sim_mix64(x ^ (1ULL << b)));
    }
    double mean = total / n;
    if (fabs(mean - 32) > 0.5) fail_msg("mean output bits flipped %.3f, want about 32", mean);
    /* The SplitMix64 finalizer maps 0 to 0; a known answer pins the constants. */
    assert_int_equal(sim_mix64(0), 0);
    assert_int_equal(sim_mix64(0x9e3779b97f4a7c15ULL), 0xe220a8397b1dcdafULL);
}

/* INT64_MIN has no positive counterpart: negating it as a signed number is undefined. */
static void test_format_duration_short_int64_min(void **state)
{
    char buf[64];
    sim_format_duration_short(INT64_MIN, buf, sizeof buf);
    if (buf[0] != '-' || !isdigit((unsigned char)buf[1]))
        fail_msg("sim_format_duration_short(INT64_MIN) = \"%s\"", buf);
    sim_format_duration(INT64_MIN, buf, sizeof buf);
    assert_string_equal(buf, "-9223372036.854775808s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_duration_units),
        cmocka_unit_test(test_parse_duration_fractions_are_exact),
        cmocka_unit_test(test_parse_duration_many_decimals_of_large_units),
        cmocka_unit_test(test_parse_duration_rejects_malformed),
        cmocka_unit_test(test_parse_duration_sign_needs_signed_ok),
        cmocka_unit_test(test_parse_duration_rejects_finer_than_ns),
        cmocka_unit_test(test_parse_duration_rejects_overflow),
        cmocka_unit_test(test_parse_rate_units),
        cmocka_unit_test(test_parse_rate_rejects_malformed),
        cmocka_unit_test(test_format_duration_shortest_exact_unit),
        cmocka_unit_test(test_format_duration_round_trips),
        cmocka_unit_test(test_format_duration_truncates_within_buffer),
        cmocka_unit_test(test_format_duration_short_three_digits),
        cmocka_unit_test(test_format_duration_short_reads_back),
        cmocka_unit_test(test_strerror_each_code),
        cmocka_unit_test(test_mix64_no_collisions),
        cmocka_unit_test(test_mix64_avalanche),
        /* Last: under UndefinedBehaviorSanitizer a failure here ends the program. */
        cmocka_unit_test(test_format_duration_short_int64_min),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
