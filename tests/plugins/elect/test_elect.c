/* test_elect.c -- the election, one message at a time, with dsim's test kit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "kit/kit.h"

extern const proto_t proto_elect;

/* A follower whose election timeout fires stands for term 1 and asks both peers. */
static void test_elect_timeout_starts_an_election(void **state)
{
    (void)state;
    kit_t *k = kit_create("elect", 3, 0, NULL, 1);
    assert_non_null(k);
    if (kit_fire_next(k, 0, 1) != SIM_OK) fail_msg("%s", kit_error(k));
    assert_int_equal(kit_count(k, 0, KIT_ANY, "vote_req"), 2);
    assert_int_equal(kit_state_int(k, 0, "term"), 1);
    assert_int_equal(kit_state_int(k, 0, "voted_for"), 0);
    kit_destroy(k);
}

/* One vote per term: n3 grants n1's request, then refuses n2's for the same term. */
static void test_elect_one_vote_per_term(void **state)
{
    (void)state;
    kit_t *k = kit_create("elect", 3, 0, NULL, 1);
    assert_non_null(k);
    int64_t term = 1;
    assert_int_equal(kit_inject(k, 0, 2, "vote_req", &term, sizeof term), SIM_OK);
    assert_int_equal(kit_inject(k, 1, 2, "vote_req", &term, sizeof term), SIM_OK);
    kit_flight_t f;
    struct { int64_t term; int granted; } r;
    assert_int_equal(kit_find(k, 2, 0, "vote_resp", &f), SIM_OK);
    memcpy(&r, f.payload, sizeof r);
    assert_int_equal(r.granted, 1);
    assert_int_equal(kit_find(k, 2, 1, "vote_resp", &f), SIM_OK);
    memcpy(&r, f.payload, sizeof r);
    assert_int_equal(r.granted, 0);
    kit_destroy(k);
}

/* A candidate that hears one yes (two votes of three) leads, and says so at once. */
static void test_elect_majority_makes_a_leader(void **state)
{
    (void)state;
    kit_t *k = kit_create("elect", 3, 0, NULL, 1);
    assert_non_null(k);
    assert_int_equal(kit_fire_next(k, 0, 1), SIM_OK);
    kit_flight_t f;
    assert_int_equal(kit_find(k, 0, 1, "vote_req", &f), SIM_OK);
    assert_int_equal(kit_deliver(k, f.id), SIM_OK);             /* n2 votes yes */
    assert_int_equal(kit_find(k, 1, 0, "vote_resp", &f), SIM_OK);
    assert_int_equal(kit_deliver(k, f.id), SIM_OK);             /* n1 counts it */
    proto_desc_t d;
    assert_int_equal(kit_describe(k, 0, &d), SIM_OK);
    assert_string_equal(d.role, "leader");
    assert_int_equal(kit_count(k, 0, KIT_ANY, "heartbeat"), 2);
    kit_destroy(k);
}

int main(void)
{
    char err[256];
    if (proto_register(&proto_elect, err, sizeof err) != SIM_OK) {
        fprintf(stderr, "test_elect: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elect_timeout_starts_an_election),
        cmocka_unit_test(test_elect_one_vote_per_term),
        cmocka_unit_test(test_elect_majority_makes_a_leader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
