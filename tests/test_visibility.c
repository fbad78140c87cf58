/* test_visibility.c -- the t-visibility table per probe delay against a hand count.
 *
 * The history below is a write of 1 then a write of 2 on one key, each followed by
 * probe reads 0, 10 and 50 time units after it completed, plus one ordinary read. The
 * reads at t = 0 both miss the write they probe, the later ones see it, so the table
 * must say 0 of 2 at t = 0 and 2 of 2 at 10 and 50; pooling every read, as the table
 * once did, credits t = 0 with the later probes' success.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "check/histread.h"
#include "check/visibility.h"

#define JK(p, t, f, ns, ...) "{\"process\": " #p ", \"type\": \"" #t "\", \"f\": \"" #f "\", \"key\": \"k1\", \"value\": " #__VA_ARGS__ ", \"time_ns\": " #ns "}\n"

static const char probes[] =
    JK(0, invoke, write, 0, 1)   JK(0, ok, write, 100, 1)
    JK(1, invoke, read, 100, null) JK(1, ok, read, 105, null)     /* t = 0: saw nothing */
    JK(2, invoke, read, 110, null) JK(2, ok, read, 115, 1)        /* t = 10: saw it */
    JK(4, invoke, read, 123, null) JK(4, ok, read, 125, 1)        /* no probe: not in the table */
    JK(3, invoke, read, 150, null) JK(3, ok, read, 155, 1)        /* t = 50: saw it */
    JK(0, invoke, write, 200, 2) JK(0, ok, write, 300, 2)
    JK(1, invoke, read, 300, null) JK(1, ok, read, 302, 1)        /* t = 0: the old value */
    JK(2, invoke, read, 310, null) JK(2, ok, read, 312, 2)
    JK(3, invoke, read, 350, null) JK(3, ok, read, 352, 2);

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

static void test_visibility_table_is_per_probe_delay(void **state)
{
    hist_t h;
    parse(&h, probes);
    const sim_time_t t[3] = {0, 10, 50};
    vis_result_t r;
    vis_compute_probes(&h, t, 3, &r);
    assert_true(r.per_delay);
    assert_int_equal(vis_row_reads(&r, 0), 2);
    assert_int_equal(r.probe_consistent[0], 0);
    assert_true(vis_row_p(&r, 0) == 0.0);
    assert_int_equal(vis_row_reads(&r, 1), 2);
    assert_true(vis_row_p(&r, 1) == 1.0);
    assert_int_equal(vis_row_reads(&r, 2), 2);
    assert_true(vis_row_p(&r, 2) == 1.0);
    /* The staleness of all reads is unchanged by the table: two of seven were stale. */
    assert_int_equal(r.reads, 7);
    assert_int_equal(r.stale, 2);
    hist_free(&h);
}

static void test_visibility_pooled_table_overstates_t0(void **state)
{
    /* The threshold table over all reads is what the per-delay one replaces: at t = 0
     * it counts the later probes too (5 of 7), where the probes at t = 0 saw 0 of 2. */
    hist_t h;
    parse(&h, probes);
    const sim_time_t t[1] = {0};
    vis_result_t r;
    vis_compute(&h, t, 1, &r);
    assert_false(r.per_delay);
    assert_int_equal(r.consistent[0], 5);
    assert_true(vis_row_p(&r, 0) > 0.7);
    hist_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_visibility_table_is_per_probe_delay),
        cmocka_unit_test(test_visibility_pooled_table_overstates_t0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
