/* test_ring.c -- key placement: balance, preference lists, and what moves on a join.
 *
 * The ring is pure functions of a member set, so these tests build rings directly and
 * count. The bounds come from the schemes' arithmetic: mod N keeps a key only when
 * hash mod 8 equals hash mod 9 (1 in 9), even ranges keep exactly half of the keys
 * from 8 to 9 members, and consistent hashing moves only the newcomer's arcs, whose
 * size with V points per server varies by about 1/sqrt(V).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "proto/ring.h"

#define KEYS 20000

static ring_t *make(ring_scheme_t scheme, uint32_t servers, uint32_t vnodes, uint32_t n_members)
{
    ring_t *r = malloc(ring_bytes(servers, vnodes));
    assert_non_null(r);
    ring_init(r, scheme, servers, vnodes, KEYS);
    uint32_t m[64];
    assert_true(n_members <= 64);
    for (uint32_t i = 0; i < n_members; i++) m[i] = i;
    ring_build(r, m, n_members);
    return r;
}

/* The largest and smallest share of keys any member owns, as multiples of 1/N. */
static void shares(const ring_t *r, double *lo, double *hi)
{
    uint32_t count[64] = {0};
    for (uint32_t k = 0; k < KEYS; k++) {
        uint32_t o = ring_owner(r, k);
        assert_true(o < 64 && ring_has(r, o));
        count[o]++;
    }
    uint32_t n = ring_n_members(r);
    *lo = 1e9;
    *hi = 0;
    for (uint32_t i = 0; i < n; i++) {
        double s = (double)count[ring_members(r)[i]] * n / KEYS;
        if (s < *lo) *lo = s;
        if (s > *hi) *hi = s;
    }
}

static void test_ring_vnodes_even_out_ownership(void **state)
{
    double lo1, hi1, lo128, hi128;
    ring_t *one = make(RING_CONSISTENT, 8, 1, 8), *many = make(RING_CONSISTENT, 8, 128, 8);
    shares(one, &lo1, &hi1);
    shares(many, &lo128, &hi128);
    /* One point per server: arcs are exponential-ish, some server gets far more. */
    assert_true(hi1 > 1.5 || lo1 < 0.5);
    /* 128 points: every server within about three standard deviations (1/sqrt(128)). */
    if (lo128 < 0.7 || hi128 > 1.3) fail_msg("128 vnodes: shares from %.3f to %.3f of fair", lo128, hi128);
    assert_true(hi128 - lo128 < hi1 - lo1);
    free(one);
    free(many);
}

static void test_ring_mod_and_range_are_balanced(void **state)
{
    double lo, hi;
    ring_t *mod = make(RING_MOD, 8, 1, 8), *range = make(RING_RANGE, 8, 1, 8);
    shares(mod, &lo, &hi);
    assert_true(lo > 0.9 && hi < 1.1);
    shares(range, &lo, &hi);
    assert_true(lo > 0.999 && hi < 1.001);          /* 20000 keys split exactly 8 ways */
    /* Ranges are contiguous: owners never go back to an earlier member. */
    for (uint32_t k = 1; k < KEYS; k++) assert_true(ring_owner(range, k) >= ring_owner(range, k - 1));
    free(mod);
    free(range);
}

static void test_ring_preference_lists_are_distinct_and_start_at_the_owner(void **state)
{
    for (int scheme = 0; scheme < RING_SCHEME_COUNT_; scheme++) {
        ring_t *r = make((ring_scheme_t)scheme, 10, 16, 10);
        for (uint32_t k = 0; k < 2000; k++) {
            uint32_t p[16];
            assert_int_equal(ring_replicas(r, k, 3, p), 3);
            assert_int_equal(p[0], ring_owner(r, k));
            assert_true(p[0] != p[1] && p[1] != p[2] && p[0] != p[2]);
            for (int i = 0; i < 3; i++) assert_true(ring_is_replica(r, k, 3, p[i]));
            /* Asking for every member gives the whole walk: each member exactly once,
             * and its first three are the preference list. */
            uint32_t all[16], seen = 0;
            assert_int_equal(ring_replicas(r, k, 16, all), 10);
            for (int i = 0; i < 10; i++) { assert_true(all[i] < 10); seen |= 1u << all[i]; }
            assert_int_equal(seen, 0x3ff);
            assert_memory_equal(all, p, 3 * sizeof p[0]);
        }
        free(r);
    }
}

static void test_ring_fewer_members_than_replicas(void **state)
{
    ring_t *r = make(RING_CONSISTENT, 8, 4, 2);
    uint32_t p[8];
    assert_int_equal(ring_replicas(r, 5, 3, p), 2);
    assert_true(p[0] != p[1]);
    ring_build(r, NULL, 0);
    assert_int_equal(ring_owner(r, 5), RING_NONE);
    assert_int_equal(ring_replicas(r, 5, 3, p), 0);
    free(r);
}

static void test_ring_build_ignores_member_order(void **state)
{
    uint32_t a[] = {4, 1, 7, 2}, b[] = {7, 2, 4, 1};
    ring_t *x = malloc(ring_bytes(8, 32)), *y = malloc(ring_bytes(8, 32));
    ring_init(x, RING_CONSISTENT, 8, 32, KEYS);
    ring_init(y, RING_CONSISTENT, 8, 32, KEYS);
    ring_build(x, a, 4);
    ring_build(y, b, 4);
    assert_int_equal(ring_n_points(x), 128);
    for (uint32_t i = 1; i < ring_n_points(x); i++) assert_true(ring_point(x, i - 1)->pos <= ring_point(x, i)->pos);
    for (uint32_t k = 0; k < 1000; k++) assert_int_equal(ring_owner(x, k), ring_owner(y, k));
    assert_true(ring_has(x, 7) && ring_has(x, 1) && !ring_has(x, 0) && !ring_has(x, 3));
    assert_int_equal(ring_moved_fraction(x, y, KEYS, 3), 0);
    free(x);
    free(y);
}

static void test_ring_join_moves_keys_within_bounds_per_scheme(void **state)
{
    /* 8 -> 9 members. */
    ring_t *a, *b;
    a = make(RING_MOD, 9, 1, 8), b = make(RING_MOD, 9, 1, 9);
    double mod = ring_moved_fraction(a, b, KEYS, 1);
    free(a);
    free(b);
    a = make(RING_RANGE, 9, 1, 8), b = make(RING_RANGE, 9, 1, 9);
    double range = ring_moved_fraction(a, b, KEYS, 1);
    free(a);
    free(b);
    a = make(RING_CONSISTENT, 9, 128, 8), b = make(RING_CONSISTENT, 9, 128, 9);
    double cons = ring_moved_fraction(a, b, KEYS, 1);
    /* Consistent hashing: every key that moved went to the newcomer. */
    for (uint32_t k = 0; k < KEYS; k++)
        if (ring_owner(a, k) != ring_owner(b, k)) assert_int_equal(ring_owner(b, k), 8);
    double cons3 = ring_moved_fraction(a, b, KEYS, 3);
    free(a);
    free(b);
    if (mod < 0.85 || mod > 0.93) fail_msg("mod N moved %.3f of the keys, expected about 8/9", mod);
    if (range < 0.49 || range > 0.51) fail_msg("ranges moved %.3f of the keys, expected 1/2", range);
    if (cons < 0.7 / 9 || cons > 1.3 / 9) fail_msg("consistent hashing moved %.3f of the keys, expected about 1/9", cons);
    /* Replica sets of three: the newcomer joins about three sets in nine. */
    if (cons3 < 0.7 * 3 / 9 || cons3 > 1.3 * 3 / 9) fail_msg("replica sets changed for %.3f of the keys, expected about 3/9", cons3);
}

static void test_ring_leave_moves_only_the_leavers_keys(void **state)
{
    uint32_t before[] = {0, 1, 2, 3, 4, 5, 6, 7}, after[] = {0, 1, 2, 4, 5, 6, 7};
    ring_t *a = malloc(ring_bytes(8, 64)), *b = malloc(ring_bytes(8, 64));
    ring_init(a, RING_CONSISTENT, 8, 64, KEYS);
    ring_init(b, RING_CONSISTENT, 8, 64, KEYS);
    ring_build(a, before, 8);
    ring_build(b, after, 7);
    uint32_t moved = 0;
    for (uint32_t k = 0; k < KEYS; k++) {
        if (ring_owner(a, k) == ring_owner(b, k)) continue;
        assert_int_equal(ring_owner(a, k), 3);
        moved++;
    }
    assert_true(moved > 0);
    assert_true(ring_moved_fraction(a, b, KEYS, 1) == (double)moved / KEYS);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_vnodes_even_out_ownership),
        cmocka_unit_test(test_ring_mod_and_range_are_balanced),
        cmocka_unit_test(test_ring_preference_lists_are_distinct_and_start_at_the_owner),
        cmocka_unit_test(test_ring_fewer_members_than_replicas),
        cmocka_unit_test(test_ring_build_ignores_member_order),
        cmocka_unit_test(test_ring_join_moves_keys_within_bounds_per_scheme),
        cmocka_unit_test(test_ring_leave_moves_only_the_leavers_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
