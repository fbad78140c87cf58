/* test_evq.c -- the event queue of sim/evq.c: order by (time, insertion sequence).
 *
 * The tie-break is what makes runs deterministic, so it is tested where it matters,
 * with thousands of events at one time. The heap as a whole is checked against a
 * reference that is correct by construction: with few distinct times, events of one
 * time leave in insertion order, so one FIFO list per time, and the earliest non-empty
 * list, is exactly the (time, sequence) order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "core/evq.h"
#include "core/rng.h"

#define INDEX_MAX ((1u << EVQ_INDEX_BITS) - 1)

static void test_evq_pop_empty_returns_false(void **state)
{
    evq_t q;
    assert_int_equal(evq_init(&q), SIM_OK);
    evq_entry_t e = {123, 456};
    sim_time_t at = 789;
    assert_false(evq_pop(&q, &e));
    assert_false(evq_peek(&q, &at));
    assert_int_equal(e.at, 123);
    assert_int_equal(e.key, 456);
    assert_int_equal(at, 789);
    assert_int_equal(evq_push(&q, 10, 1), SIM_OK);
    assert_true(evq_pop(&q, &e));
    assert_false(evq_pop(&q, &e));
    assert_false(evq_peek(&q, &at));
    assert_int_equal(q.n, 0);
    evq_free(&q);
}

static void test_evq_pops_in_time_order(void **state)
{
    static const sim_time_t at[] = {50, 10, 40, 0, 30, SIM_TIME_MAX, 20, 1, SIM_TIME_MAX - 1, 5};
    static const sim_time_t sorted[] = {0, 1, 5, 10, 20, 30, 40, 50, SIM_TIME_MAX - 1, SIM_TIME_MAX};
    evq_t q;
    assert_int_equal(evq_init(&q), SIM_OK);
    for (uint32_t i = 0; i < SIM_ARRAY_LEN(at); i++) assert_int_equal(evq_push(&q, at[i], i), SIM_OK);
    assert_int_equal(q.n, SIM_ARRAY_LEN(at));
    for (size_t i = 0; i < SIM_ARRAY_LEN(sorted); i++) {
        sim_time_t peeked;
        evq_entry_t e;
        assert_true(evq_peek(&q, &peeked));
        assert_int_equal(peeked, sorted[i]);
        assert_true(evq_pop(&q, &e));
        assert_int_equal(e.at, sorted[i]);
        /* The index that comes back is the one pushed with that time. */
        assert_int_equal(at[evq_index(e.key)], sorted[i]);
    }
    assert_int_equal(q.n, 0);
    evq_free(&q);
}

/* Thousands of events at one time, with earlier and later ones interleaved among them,
 * leave in the order they were pushed. */
static void test_evq_ties_are_fifo(void **state)
{
    enum { N = 30000 };
    evq_t q;
    assert_int_equal(evq_init(&q), SIM_OK);
    rng_t r;
    rng_seed(&r, 1, RNG_RUN, 0);
    uint32_t n_at[3] = {0};
    for (uint32_t i = 0; i < N; i++) {
        uint32_t which = (uint32_t)rng_below(&r, 3);    /* time 4, 5 or 6 */
        assert_int_equal(evq_push(&q, 4 + which, i), SIM_OK);
        n_at[which]++;
    }
    evq_entry_t e;
    for (uint32_t which = 0; which < 3; which++) {
        uint32_t last = 0;
        for (uint32_t k = 0; k < n_at[which]; k++) {
            assert_true(evq_pop(&q, &e));
            assert_int_equal(e.at, 4 + which);
            uint32_t idx = evq_index(e.key);
            if (k > 0 && idx <= last) fail_msg("at time %u, index %u left after %u", 4 + which, idx, last);
            last = idx;
        }
    }
    assert_false(evq_pop(&q, &e));
    evq_free(&q);
}

/* Entry layout: sequence in the high 40 bits, index in the low 24. */
static void test_evq_index_round_trip(void **state)
{
    static const uint32_t idx[] = {0, 1, INDEX_MAX, 0xabcdef, 1u << 23, 12345, INDEX_MAX - 1};
    evq_t q;
    assert_int_equal(evq_init(&q), SIM_OK);
    for (uint32_t i = 0; i < SIM_ARRAY_LEN(idx); i++) assert_int_equal(evq_push(&q, 7, idx[i]), SIM_OK);
    for (uint32_t i = 0; i < SIM_ARRAY_LEN(idx); i++) {
        evq_entry_t e;
        assert_true(evq_pop(&q, &e));
        assert_int_equal(evq_index(e.key), idx[i]);
        assert_int_equal(e.key >> EVQ_INDEX_BITS, i);
    }
    assert_int_equal(evq_index(0xffffffffffffffffULL), INDEX_MAX);
    assert_int_equal(evq_index((123ULL << EVQ_INDEX_BITS) | 42), 42);
    evq_free(&q);
}

/* The sequence is bounded by its 40 bits: the last one is usable, the next is refused
 * without changing the queue. */
static void test_evq_push_refuses_past_sequence_limit(void **state)
{
    evq_t q;
    assert_int_equal(evq_init(&q), SIM_OK);
    q.seq = EVQ_SEQ_MAX;
    assert_int_equal(evq_push(&q, 100, INDEX_MAX), SIM_OK);
    assert_int_equal(evq_push(&q, 50, 1), SIM_ELIMIT);
    assert_int_equal(q.n, 1);
    evq_entry_t e;
    assert_true(evq_pop(&q, &e));
    assert_int_equal(e.at, 100);
    assert_int_equal(e.key >> EVQ_INDEX_BITS, EVQ_SEQ_MAX);
    assert_int_equal(evq_index(e.key), INDEX_MAX);
    assert_false(evq_pop(&q, &e));
    evq_free(&q);
}

/* The reference: one FIFO list per distinct time, linked through the push sequence. */
enum { OPS = 100000, TIMES = 200 };
typedef struct ref_item { uint32_t index; int32_t next; } ref_item_t;
static ref_item_t ref_item[OPS];
static int32_t ref_head[TIMES], ref_tail[TIMES];

static int ref_earliest(void)
{
    for (int t = 0; t < TIMES; t++)
        if (ref_head[t] >= 0) return t;
    return -1;
}

static int cmp_time(const void *a, const void *b)
{
    sim_time_t x = *(const sim_time_t *)a, y = *(const sim_time_t *)b;
    return x < y ? -1 : x > y;
}

static void test_evq_random_ops_match_reference(void **state)
{
    /* TIMES distinct times spread over the whole range, sorted, so bucket order is time
     * order; drawing among only 200 of them makes ties common. */
    sim_time_t time_of[TIMES];
    rng_t r;
    rng_seed(&r, 42, RNG_RUN, 1);
    time_of[0] = 0;
    time_of[1] = SIM_TIME_MAX;
    for (int t = 2; t < TIMES; t++) {
        bool fresh;
        do {
            time_of[t] = (sim_time_t)(rng_next(&r) >> (1 + rng_below(&r, 62)));
            fresh = true;
            for (int u = 0; u < t; u++) fresh = fresh && time_of[u] != time_of[t];
        } while (!fresh);
    }
    qsort(time_of, TIMES, sizeof time_of[0], cmp_time);
    for (int t = 1; t < TIMES; t++) assert_true(time_of[t] > time_of[t - 1]);
    for (int t = 0; t < TIMES; t++) ref_head[t] = ref_tail[t] = -1;

    evq_t q;
    assert_int_equal(evq_init(&q), SIM_OK);
    uint32_t pushed = 0, pending = 0, max_pending = 0;
    for (int op = 0; op < OPS; op++) {
        /* Grow for the first half, shrink for the second, to reach a deep heap. */
        double p_push = op < OPS / 2 ? 0.6 : 0.4;
        if (pushed < OPS && (pending == 0 || rng_chance(&r, p_push))) {
            int t = (int)rng_below(&r, TIMES);
            uint32_t idx = (uint32_t)rng_below(&r, INDEX_MAX + 1ULL);
            assert_int_equal(evq_push(&q, time_of[t], idx), SIM_OK);
            ref_item[pushed] = (ref_item_t){idx, -1};
            if (ref_tail[t] >= 0) ref_item[ref_tail[t]].next = (int32_t)pushed;
            else ref_head[t] = (int32_t)pushed;
            ref_tail[t] = (int32_t)pushed;
            pushed++;
            pending++;
            max_pending = pending > max_pending ? pending : max_pending;
        } else {
            int t = ref_earliest();
            assert_true(t >= 0);
            int32_t s = ref_head[t];
            ref_head[t] = ref_item[s].next;
            if (ref_head[t] < 0) ref_tail[t] = -1;
            pending--;
            sim_time_t peeked;
            evq_entry_t e;
            assert_true(evq_peek(&q, &peeked));
            assert_int_equal(peeked, time_of[t]);
            assert_true(evq_pop(&q, &e));
            if (e.at != time_of[t] || e.key >> EVQ_INDEX_BITS != (uint64_t)s || evq_index(e.key) != ref_item[s].index)
                fail_msg("op %d: popped (%lld, seq %llu, index %u), want (%lld, seq %d, index %u)", op,
                         (long long)e.at, (unsigned long long)(e.key >> EVQ_INDEX_BITS), evq_index(e.key),
                         (long long)time_of[t], s, ref_item[s].index);
        }
        assert_int_equal(q.n, pending);
    }
    /* Drain what is left. */
    evq_entry_t e;
    while (pending) {
        int t = ref_earliest();
        int32_t s = ref_head[t];
        ref_head[t] = ref_item[s].next;
        pending--;
        assert_true(evq_pop(&q, &e));
        assert_int_equal(e.at, time_of[t]);
        assert_int_equal(e.key >> EVQ_INDEX_BITS, s);
    }
    assert_false(evq_pop(&q, &e));
    assert_true(max_pending > 5000);
    evq_free(&q);
}

typedef struct push_rec { sim_time_t at; uint64_t seq; uint32_t index; } pushed_t;

static int cmp_pushed(const void *a, const void *b)
{
    const pushed_t *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* 100,000 events at distinct-ish times over the whole range leave sorted by (time,
 * sequence), the queue growing from a capacity of one. */
static void test_evq_large_heap_sorted(void **state)
{
    enum { N = 100000 };
    static pushed_t want[N];
    evq_t q;
    assert_int_equal(evq_init(&q), SIM_OK);
    rng_t r;
    rng_seed(&r, 42, RNG_RUN, 2);
    for (uint32_t i = 0; i < N; i++) {
        /* Mostly wide times, some duplicates of a few small ones. */
        sim_time_t at = rng_chance(&r, 0.1) ? (sim_time_t)rng_below(&r, 10) : (sim_time_t)(rng_next(&r) >> 1);
        uint32_t idx = (uint32_t)rng_below(&r, INDEX_MAX + 1ULL);
        want[i] = (pushed_t){at, i, idx};
        assert_int_equal(evq_push(&q, at, idx), SIM_OK);
    }
    assert_true(q.cap >= N);
    qsort(want, N, sizeof want[0], cmp_pushed);
    for (uint32_t i = 0; i < N; i++) {
        evq_entry_t e;
        assert_true(evq_pop(&q, &e));
        if (e.at != want[i].at || e.key >> EVQ_INDEX_BITS != want[i].seq || evq_index(e.key) != want[i].index)
            fail_msg("pop %u: got (%lld, seq %llu), want (%lld, seq %llu)", i, (long long)e.at,
                     (unsigned long long)(e.key >> EVQ_INDEX_BITS), (long long)want[i].at,
                     (unsigned long long)want[i].seq);
    }
    evq_entry_t e;
    assert_false(evq_pop(&q, &e));
    evq_free(&q);
    assert_null(q.h);
}

/* Removing entries out of turn (at random heap positions) leaves the others to pop in
 * exactly (time, sequence) order: compared with a sorted copy minus the removed ones. */
static void test_evq_remove_keeps_the_order_of_the_rest(void **state)
{
    enum { N = 3000 };
    evq_t q;
    assert_int_equal(evq_init(&q), SIM_OK);
    rng_t r;
    rng_seed(&r, 42, RNG_RUN, 3);
    static sim_time_t at_of[N];
    static bool removed[N];
    for (uint32_t i = 0; i < N; i++) {
        at_of[i] = (sim_time_t)rng_below(&r, 50);
        removed[i] = false;
        assert_int_equal(evq_push(&q, at_of[i], i), SIM_OK);
    }
    uint32_t n_removed = 0;
    for (int k = 0; k < N / 3; k++) {
        uint32_t pos = (uint32_t)rng_below(&r, q.n);
        evq_entry_t e;
        evq_remove(&q, pos, &e);
        uint32_t idx = evq_index(e.key);
        assert_false(removed[idx]);
        assert_int_equal(e.at, at_of[idx]);
        removed[idx] = true;
        n_removed++;
    }
    assert_int_equal(q.n, N - n_removed);
    evq_entry_t prev = {-1, 0}, e;
    uint32_t popped = 0;
    while (evq_pop(&q, &e)) {
        uint32_t idx = evq_index(e.key);
        assert_false(removed[idx]);
        removed[idx] = true;          /* popped once only */
        if (e.at < prev.at || (e.at == prev.at && e.key <= prev.key))
            fail_msg("entry %u (t=%lld) popped after one at t=%lld", idx, (long long)e.at, (long long)prev.at);
        prev = e;
        popped++;
    }
    assert_int_equal(popped, N - n_removed);
    for (uint32_t i = 0; i < N; i++) assert_true(removed[i]);
    evq_free(&q);
}

/* A take leaves the root's place open for a push to fill (or evq_settle to fill with
 * the last entry): whatever mix of takes, pushes and settles, entries leave in exactly
 * the order plain pops give. Two queues get the same operations, one through
 * evq_take, one through evq_pop; the heap grows past the size where the take starts
 * prefetching (a hint into an array of records), and shrinks back to empty. */
static void test_evq_take_then_push_matches_pop(void **state)
{
    enum { N = 500000, RECORD = 32 };
    static uint8_t records[(INDEX_MAX + 1ULL) / 64 * RECORD];
    const uint32_t index_max = (uint32_t)(sizeof records / RECORD) - 1;
    evq_t a, b;
    assert_int_equal(evq_init(&a), SIM_OK);
    assert_int_equal(evq_init(&b), SIM_OK);
    rng_t r;
    rng_seed(&r, 42, RNG_RUN, 4);
    sim_time_t now = 0;
    uint32_t pushed = 0, max_n = 0, guessed = 0, guessed_right = 0, filled = 0;
    for (int op = 0; pushed < N || a.n; op++) {
        /* The queue grows while fewer than 3N/5 were pushed, then drains. */
        bool grow = pushed < N * 3 / 5;
        evq_entry_t ea, eb;
        bool have_a = evq_pop(&a, &ea);
        bool have_b = evq_take(&b, &eb, records, RECORD);
        assert_int_equal(have_a, have_b);
        if (!have_a) {
            /* Empty: restart the flow with one entry. */
            assert_int_equal(evq_push(&a, now, 0), SIM_OK);
            assert_int_equal(evq_push(&b, now, 0), SIM_OK);
            pushed++;
            continue;
        }
        if (ea.at != eb.at || ea.key != eb.key)
            fail_msg("op %d: pop gave (%lld, %llx), take gave (%lld, %llx)", op, (long long)ea.at,
                     (unsigned long long)ea.key, (long long)eb.at, (unsigned long long)eb.key);
        assert_true(b.hole);
        now = ea.at;
        uint32_t guess = evq_next_guess(&b);
        /* What the event schedules: mostly one or two entries while growing, often
         * none while draining; some due at once (ties), some soon, some late. */
        unsigned k = (unsigned)rng_below(&r, grow ? 4 : 2);
        if (pushed >= N) k = 0;
        for (unsigned j = 0; j < k; j++) {
            uint64_t u = rng_below(&r, 10);
            sim_time_t at = u == 0 ? now : now + (sim_time_t)(u < 7 ? rng_below(&r, 1000) : rng_below(&r, 1000000));
            uint32_t idx = (uint32_t)rng_below(&r, index_max + 1ULL);
            if (j == 0) filled++;
            assert_int_equal(evq_push(&a, at, idx), SIM_OK);
            assert_int_equal(evq_push(&b, at, idx), SIM_OK);
            assert_false(b.hole);
            pushed++;
        }
        uint32_t held = b.n;
        evq_settle(&b);
        assert_false(b.hole);
        assert_int_equal(b.n, a.n);
        assert_int_equal(b.n, k ? held : held - 1);
        /* With no push, the guess made while the hole was open is exact. */
        if (k == 0 && b.n) {
            guessed++;
            guessed_right += guess == evq_index(b.h[0].key);
        }
        max_n = a.n > max_n ? a.n : max_n;
    }
    assert_true(max_n > 70000);         /* past the size where prefetching starts */
    assert_true(filled > 1000);
    assert_true(guessed > 1000);
    assert_int_equal(guessed_right, guessed);
    evq_entry_t e;
    assert_false(evq_take(&b, &e, NULL, 0));
    evq_free(&a);
    evq_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evq_pop_empty_returns_false),
        cmocka_unit_test(test_evq_pops_in_time_order),
        cmocka_unit_test(test_evq_ties_are_fifo),
        cmocka_unit_test(test_evq_index_round_trip),
        cmocka_unit_test(test_evq_push_refuses_past_sequence_limit),
        cmocka_unit_test(test_evq_random_ops_match_reference),
        cmocka_unit_test(test_evq_large_heap_sorted),
        cmocka_unit_test(test_evq_remove_keeps_the_order_of_the_rest),
        cmocka_unit_test(test_evq_take_then_push_matches_pop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
