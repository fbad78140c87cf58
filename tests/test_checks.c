/* test_checks.c -- set-full, counter, session-guarantee and stale-read checks on small
 * histories whose anomalies are known by construction, including the cases each check
 * promises not to flag (concurrent writes, info operations).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "check/checks.h"
#include "check/histread.h"

static void parse(hist_t *h, const char *text)
{
    char err[256];
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    hist_init(h);
    int rc = hist_read_stream(f, "inline", h, err, sizeof err);
    fclose(f);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, SIM_OK);
}

/* One JSON line: process, type, f, time, then the value (last, as it may hold commas). */
#define J(p, t, f, ns, ...) "{\"process\": " #p ", \"type\": \"" #t "\", \"f\": \"" #f "\", \"value\": " #__VA_ARGS__ ", \"time_ns\": " #ns "}\n"
/* The same on key k. */
#define JK(p, t, f, k, ns, ...) "{\"process\": " #p ", \"type\": \"" #t "\", \"f\": \"" #f "\", \"key\": \"" #k "\", \"value\": " #__VA_ARGS__ ", \"time_ns\": " #ns "}\n"

/* ---- Set-full. -------------------------------------------------------------------- */

static const chk_set_value_t *value_of(const chk_set_report_t *r, int64_t v)
{
    for (uint32_t k = 0; k < r->n_values; k++)
        if (r->values[k].value == v) return &r->values[k];
    fail_msg("value %lld not reported", (long long)v);
    return NULL;
}

static void test_checks_set_full_outcomes(void **state)
{
    hist_t h;
    chk_set_report_t r;
    char err[256];
    parse(&h,
          J(0, invoke, add, 10, 1) J(0, ok, add, 20, 1)              /* 1: acknowledged at 20 */
          J(1, invoke, read, 30, null) J(1, ok, read, 31, [])        /* reader 1 does not see it yet */
          J(2, invoke, read, 40, null) J(2, ok, read, 41, [1])       /* from here on everyone does */
          J(0, invoke, add, 42, 2) J(0, ok, add, 43, 2)              /* 2: seen once, then gone at reader 1 */
          J(1, invoke, read, 50, null) J(1, ok, read, 51, [1, 2])
          J(0, invoke, add, 52, 7) J(0, fail, add, 53, 7)            /* failed, yet read below */
          J(0, invoke, add, 54, 8) J(0, info, add, 55, 8)            /* unknown, read below: fine */
          J(2, invoke, read, 60, null) J(2, ok, read, 61, [2, 1, 7, 8, 99])
          J(1, invoke, read, 70, null) J(1, ok, read, 71, [1])
          J(0, invoke, broadcast, 80, 3) J(0, ok, broadcast, 90, 3)); /* 3: acknowledged after every read began */
    assert_int_equal(chk_set_full(&h, &r, err, sizeof err), SIM_OK);
    assert_int_equal(r.n_values, 3);
    assert_int_equal(r.n_reads, 5);
    assert_int_equal(r.n_readers, 2);

    const chk_set_value_t *v1 = value_of(&r, 1);
    assert_int_equal(v1->outcome, CHK_SET_STABLE);
    assert_int_equal(v1->stable_ns, 40);   /* the read that began at 40, after the last miss at 30 */
    assert_int_equal(v1->delay_ns, 20);
    assert_int_equal(v1->write_done_ns, 20);

    const chk_set_value_t *v2 = value_of(&r, 2);
    assert_int_equal(v2->outcome, CHK_SET_LOST);
    assert_true(v2->ever_seen);
    assert_int_equal(v2->processes_missing, 1);
    assert_int_equal(v2->missing_process, 1);

    const chk_set_value_t *v3 = value_of(&r, 3);
    assert_int_equal(v3->outcome, CHK_SET_NEVER_READ);
    assert_false(v3->ever_seen);

    assert_int_equal(r.n_stable, 1);
    assert_int_equal(r.n_lost, 1);
    assert_int_equal(r.n_never_read, 1);
    assert_int_equal(r.n_unexpected, 1);   /* 99 */
    assert_int_equal(r.n_failed_seen, 1);  /* 7 */
    assert_int_equal(r.n_info_seen, 1);    /* 8 */
    assert_int_equal(r.delay_ns_max, 20);
    assert_string_equal(chk_set_outcome_names[CHK_SET_NEVER_READ], "never-read");
    chk_set_free(&r);
    hist_free(&h);
}

static void test_checks_set_full_lost_when_never_seen(void **state)
{
    hist_t h;
    chk_set_report_t r;
    char err[256];
    parse(&h, J(0, invoke, add, 1, 5) J(0, ok, add, 2, 5) J(1, invoke, read, 3, null) J(1, ok, read, 4, null));
    assert_int_equal(chk_set_full(&h, &r, err, sizeof err), SIM_OK);
    assert_int_equal(r.values[0].outcome, CHK_SET_LOST);
    assert_false(r.values[0].ever_seen);   /* a nil read is the empty set */
    chk_set_free(&r);
    hist_free(&h);
}

static void test_checks_set_full_refuses_what_it_cannot_judge(void **state)
{
    hist_t h;
    chk_set_report_t r;
    char err[256];
    parse(&h, JK(0, invoke, add, a, 1, 1) JK(0, ok, add, a, 2, 1) JK(0, invoke, add, b, 3, 2) JK(0, ok, add, b, 4, 2));
    assert_int_equal(chk_set_full(&h, &r, err, sizeof err), SIM_EINPUT);
    assert_string_equal(err, "the set check reads one object, found keys \"a\" and \"b\"");
    hist_free(&h);

    parse(&h, J(0, invoke, add, 1, 1) J(0, ok, add, 2, 1) J(1, invoke, add, 3, 1) J(1, ok, add, 4, 1));
    assert_int_equal(chk_set_full(&h, &r, err, sizeof err), SIM_EINPUT);
    assert_string_equal(err, "value 1 is added twice (events 1 and 3); the set check needs each value added once");
    hist_free(&h);

    parse(&h, J(0, invoke, read, 1, null) J(0, ok, read, 2, 4));
    assert_int_equal(chk_set_full(&h, &r, err, sizeof err), SIM_EINPUT);
    assert_string_equal(err, "event 2: the set check needs a read to return a list, found 4");
    hist_free(&h);
}

/* ---- Counters. -------------------------------------------------------------------- */

static void test_checks_counter_final_reads(void **state)
{
    static const struct { const char *read; uint32_t outside; } cases[] = {
        { J(2, ok, read, 9, 1), 0 }, { J(2, ok, read, 9, 3), 0 }, { J(2, ok, read, 9, 2), 0 },
        { J(2, ok, read, 9, 4), 1 }, { J(2, ok, read, 9, 0), 1 },
    };
    for (size_t i = 0; i < SIM_ARRAY_LEN(cases); i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s%s",
                 J(0, invoke, add, 1, 1) J(0, ok, add, 2, 1) J(1, invoke, add, 3, 2) J(1, info, add, 4, 2)
                 J(3, invoke, add, 5, -1) J(3, fail, add, 6, -1) J(2, invoke, read, 8, null), cases[i].read);
        hist_t h;
        chk_counter_report_t r;
        char err[256];
        parse(&h, text);
        assert_int_equal(chk_counter(&h, &r, err, sizeof err), SIM_OK);
        assert_int_equal(r.acked_sum, 1);
        assert_int_equal(r.final_lower, 1);
        assert_int_equal(r.final_upper, 3);
        assert_int_equal(r.n_adds_ok, 1);
        assert_int_equal(r.n_adds_info, 1);
        assert_int_equal(r.n_adds_fail, 1);
        assert_int_equal(r.n_final_reads, 1);
        assert_int_equal(r.n_final_outside, cases[i].outside);
        hist_free(&h);
    }
}

static void test_checks_counter_per_read_bounds(void **state)
{
    hist_t h;
    chk_counter_report_t r;
    char err[256];
    /* A read that began after add 5 was acknowledged and returned 0: outside its own
     * bounds [5, 5 + 3], though a later, final read is fine. The read concurrent with
     * add 3 may or may not include it. */
    parse(&h, J(0, invoke, add, 1, 5) J(0, ok, add, 2, 5)
              J(1, invoke, read, 3, null) J(0, invoke, add, 4, 3) J(1, ok, read, 5, 0) J(0, ok, add, 6, 3)
              J(1, invoke, read, 7, null) J(1, ok, read, 8, 8)
              J(0, invoke, add, 9, -2) J(2, invoke, read, 10, null) J(2, ok, read, 11, 8) J(0, ok, add, 12, -2)
              J(2, invoke, read, 13, null) J(2, ok, read, 14, 6));
    assert_int_equal(chk_counter(&h, &r, err, sizeof err), SIM_OK);
    assert_int_equal(r.n_reads, 4);
    assert_int_equal(r.n_reads_outside, 1);
    assert_int_equal(r.examples[0].ev, 2);
    assert_int_equal(r.examples[0].value, 0);
    assert_int_equal(r.examples[0].lower, 5);
    assert_int_equal(r.examples[0].upper, 8);
    assert_int_equal(r.n_final_reads, 1);
    assert_int_equal(r.n_final_outside, 0);
    hist_free(&h);

    /* No read after the last add: the final value was not observed. */
    parse(&h, J(1, invoke, read, 1, null) J(0, invoke, add, 2, 1) J(1, ok, read, 3, 0) J(0, ok, add, 4, 1));
    assert_int_equal(chk_counter(&h, &r, err, sizeof err), SIM_OK);
    assert_int_equal(r.n_final_reads, 0);
    assert_int_equal(r.n_reads_outside, 0);
    hist_free(&h);

    parse(&h, J(1, invoke, read, 1, null) J(1, ok, read, 2, [1]));
    assert_int_equal(chk_counter(&h, &r, err, sizeof err), SIM_EINPUT);
    assert_string_equal(err, "event 2: the counter check needs a read to return an integer, found [1]");
    hist_free(&h);
}

/* ---- Session guarantees. ---------------------------------------------------------- */

static void session(const char *text, chk_session_report_t *r)
{
    hist_t h;
    char err[256];
    parse(&h, text);
    int rc = chk_session(&h, r, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, SIM_OK);
    hist_free(&h);
}

static void test_checks_session_monotonic_writes(void **state)
{
    chk_session_report_t r;
    /* p1 writes 1 then 2; p2 sees 2 and then 1 again. */
    session(J(1, invoke, write, 1, 1) J(1, ok, write, 2, 1) J(1, invoke, write, 3, 2) J(1, ok, write, 4, 2)
            J(2, invoke, read, 5, null) J(2, ok, read, 6, 2) J(2, invoke, read, 7, null) J(2, ok, read, 8, 1), &r);
    assert_int_equal(r.violations[CHK_MONOTONIC_READS], 1);
    assert_int_equal(r.violations[CHK_MONOTONIC_WRITES], 1);
    assert_int_equal(r.violations[CHK_WRITES_FOLLOW_READS], 0);
    assert_int_equal(r.violations[CHK_READ_YOUR_WRITES], 0);
    assert_int_equal(r.examples[CHK_MONOTONIC_WRITES][0].process, 2);
    assert_int_equal(r.examples[CHK_MONOTONIC_WRITES][0].ev, 6);        /* the read of 1 */
    assert_int_equal(r.examples[CHK_MONOTONIC_WRITES][0].ev_other, 2);  /* the write of 2 */
    assert_int_equal(r.n_reads, 2);
    assert_int_equal(r.n_writes, 2);
}

static void test_checks_session_writes_follow_reads(void **state)
{
    chk_session_report_t r;
    /* p2 reads 1 and then writes 2, so 1 precedes 2; p3 sees 2 and then 1. */
    session(J(1, invoke, write, 1, 1) J(1, ok, write, 2, 1) J(2, invoke, read, 3, null) J(2, ok, read, 4, 1)
            J(2, invoke, write, 5, 2) J(2, ok, write, 6, 2)
            J(3, invoke, read, 7, null) J(3, ok, read, 8, 2) J(3, invoke, read, 9, null) J(3, ok, read, 10, 1), &r);
    assert_int_equal(r.violations[CHK_MONOTONIC_READS], 1);
    assert_int_equal(r.violations[CHK_WRITES_FOLLOW_READS], 1);
    assert_int_equal(r.violations[CHK_MONOTONIC_WRITES], 0);
}

static void test_checks_session_read_your_writes(void **state)
{
    chk_session_report_t r;
    /* p1 writes 5 and reads nil: its own write is missing. Then p1 reads 7 from p2,
     * concurrent with 5: no claim either way. */
    session(J(1, invoke, write, 1, 5) J(1, ok, write, 2, 5) J(1, invoke, read, 3, null) J(1, ok, read, 4, null)
            J(2, invoke, write, 5, 7) J(2, ok, write, 6, 7) J(1, invoke, read, 7, null) J(1, ok, read, 8, 7), &r);
    assert_int_equal(r.violations[CHK_READ_YOUR_WRITES], 1);
    assert_int_equal(r.violations[CHK_MONOTONIC_READS], 0);
    assert_int_equal(r.examples[CHK_READ_YOUR_WRITES][0].ev_other, 0);
    /* Seeing 5 after its own write of 6 is a violation: 5 precedes 6 in p1's order. */
    session(J(1, invoke, write, 1, 5) J(1, ok, write, 2, 5) J(1, invoke, write, 3, 6) J(1, ok, write, 4, 6)
            J(1, invoke, read, 5, null) J(1, ok, read, 6, 5), &r);
    assert_int_equal(r.violations[CHK_READ_YOUR_WRITES], 1);
}

static void test_checks_session_concurrent_writes_are_not_flagged(void **state)
{
    chk_session_report_t r;
    /* 1 and 2 are written independently: flipping between them is allowed under
     * every session guarantee. */
    session(J(1, invoke, write, 1, 1) J(2, invoke, write, 2, 2) J(1, ok, write, 3, 1) J(2, ok, write, 4, 2)
            J(3, invoke, read, 5, null) J(3, ok, read, 6, 1) J(3, invoke, read, 7, null) J(3, ok, read, 8, 2)
            J(3, invoke, read, 9, null) J(3, ok, read, 10, 1), &r);
    for (int k = 0; k < CHK_SESSION_COUNT_; k++) assert_int_equal(r.violations[k], 0);
    /* But going back to nil after a value is always backwards. */
    session(J(1, invoke, write, 1, 1) J(1, ok, write, 2, 1) J(3, invoke, read, 5, null) J(3, ok, read, 6, 1)
            J(3, invoke, read, 7, null) J(3, ok, read, 8, null), &r);
    assert_int_equal(r.violations[CHK_MONOTONIC_READS], 1);
}

static void test_checks_session_skips_what_it_cannot_judge(void **state)
{
    chk_session_report_t r;
    session(JK(1, invoke, write, x, 1, 3) JK(1, ok, write, x, 2, 3) JK(1, invoke, write, x, 3, 3) JK(1, ok, write, x, 4, 3)
            JK(1, invoke, write, y, 5, 1) JK(1, fail, write, y, 6, 1)
            JK(2, invoke, read, y, 7, null) JK(2, ok, read, y, 8, 1)       /* a failed write's value */
            JK(2, invoke, read, y, 9, null) JK(2, ok, read, y, 10, 42)     /* nobody's value */
            JK(2, invoke, read, x, 11, null) JK(2, ok, read, x, 12, 3), &r);
    assert_int_equal(r.n_keys, 2);
    assert_int_equal(r.n_keys_skipped, 1);
    assert_int_equal(r.n_reads_unexplained, 2);
    assert_int_equal(r.n_reads, 0);
    assert_string_equal(chk_session_names[CHK_WRITES_FOLLOW_READS], "writes-follow-reads");

    hist_t h;
    char err[256];
    parse(&h, J(1, invoke, write, 1, [1]) J(1, ok, write, 2, [1]));
    assert_int_equal(chk_session(&h, &r, err, sizeof err), SIM_EINPUT);
    assert_string_equal(err, "event 1: the session check needs an integer or a string written, found [1]");
    hist_free(&h);
}

/* ---- Stale reads. ----------------------------------------------------------------- */

static chk_stale_report_t stale(const char *text)
{
    hist_t h;
    chk_stale_report_t r;
    char err[256];
    parse(&h, text);
    assert_int_equal(chk_stale_reads(&h, &r, err, sizeof err), SIM_OK);
    hist_free(&h);
    return r;
}

static void test_checks_stale_reads(void **state)
{
    const char *writes = JK(1, invoke, write, k, 0, 1) JK(1, ok, write, k, 10, 1)
                         JK(1, invoke, write, k, 20, 2) JK(1, ok, write, k, 30, 2);
    char text[2048];
    snprintf(text, sizeof text, "%s%s", writes, JK(2, invoke, read, k, 40, null) JK(2, ok, read, k, 50, 1));
    chk_stale_report_t r = stale(text);
    assert_int_equal(r.n_reads, 1);
    assert_int_equal(r.n_stale, 1);
    assert_int_equal(r.examples[0].ev, 4);
    assert_int_equal(r.examples[0].ev_other, 2);   /* the write of 2 */

    snprintf(text, sizeof text, "%s%s", writes, JK(2, invoke, read, k, 40, null) JK(2, ok, read, k, 50, 2));
    assert_int_equal(stale(text).n_stale, 0);
    snprintf(text, sizeof text, "%s%s", writes, JK(2, invoke, read, k, 40, null) JK(2, ok, read, k, 50, null));
    assert_int_equal(stale(text).n_stale, 1);
    /* A read that began before write 2 was acknowledged may see 1. */
    snprintf(text, sizeof text, "%s",
             JK(1, invoke, write, k, 0, 1) JK(1, ok, write, k, 10, 1) JK(1, invoke, write, k, 20, 2)
             JK(2, invoke, read, k, 25, null) JK(1, ok, write, k, 30, 2) JK(2, ok, read, k, 50, 1));
    assert_int_equal(stale(text).n_stale, 0);
    /* Concurrent writes: 1 completed after 2 began, so 1 is not certainly older. */
    snprintf(text, sizeof text, "%s",
             JK(1, invoke, write, k, 0, 1) JK(2, invoke, write, k, 10, 2) JK(2, ok, write, k, 20, 2)
             JK(1, ok, write, k, 30, 1) JK(3, invoke, read, k, 40, null) JK(3, ok, read, k, 50, 1)
             JK(3, invoke, read, k, 60, null) JK(3, ok, read, k, 70, 2));
    r = stale(text);
    assert_int_equal(r.n_reads, 2);
    assert_int_equal(r.n_stale, 0);
    /* Keys are separate registers. */
    snprintf(text, sizeof text, "%s%s", writes, JK(2, invoke, read, other, 40, null) JK(2, ok, read, other, 50, null));
    assert_int_equal(stale(text).n_stale, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_set_full_outcomes),
        cmocka_unit_test(test_checks_set_full_lost_when_never_seen),
        cmocka_unit_test(test_checks_set_full_refuses_what_it_cannot_judge),
        cmocka_unit_test(test_checks_counter_final_reads),
        cmocka_unit_test(test_checks_counter_per_read_bounds),
        cmocka_unit_test(test_checks_session_monotonic_writes),
        cmocka_unit_test(test_checks_session_writes_follow_reads),
        cmocka_unit_test(test_checks_session_read_your_writes),
        cmocka_unit_test(test_checks_session_concurrent_writes_are_not_flagged),
        cmocka_unit_test(test_checks_session_skips_what_it_cannot_judge),
        cmocka_unit_test(test_checks_stale_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
