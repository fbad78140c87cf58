/* test_pool.c -- the size-classed payload pool of sim/pool.c.
 *
 * A payload is copied in at send and handed back at delivery, possibly after thousands
 * of other payloads have come and gone, so the tests fill every payload with bytes
 * derived from its own identity and check them when it is read back. The free list is
 * what keeps a long run from allocating per message; it is checked by watching each
 * class's slot count stay at the number of payloads ever live at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/pool.h"
#include "core/rng.h"

/* Fills buf with len bytes that depend on id, so two payloads never look alike. */
static void fill(uint8_t *buf, uint32_t len, uint64_t id)
{
    rng_t r;
    rng_seed(&r, 7, RNG_RUN, id);
    for (uint32_t i = 0; i < len; i += 8) {
        uint64_t x = rng_next(&r);
        memcpy(buf + i, &x, len - i < 8 ? len - i : 8);
    }
}

/* True when the len bytes at p are what fill(id) wrote. */
static bool intact(const uint8_t *p, uint32_t len, uint64_t id)
{
    rng_t r;
    rng_seed(&r, 7, RNG_RUN, id);
    for (uint32_t i = 0; i < len; i += 8) {
        uint64_t x = rng_next(&r);
        if (memcmp(p + i, &x, len - i < 8 ? len - i : 8) != 0) return false;
    }
    return true;
}

static uint32_t class_of(int64_t h) { return (uint32_t)h >> 29; }

static void test_pool_put_get_round_trip(void **state)
{
    static const uint32_t sizes[] = {1, 2, 31, 32, 33, 127, 128, 129, 1000, 100000, SIM_PAYLOAD_BYTES_MAX};
    enum { K = sizeof sizes / sizeof sizes[0] };
    pool_t p;
    pool_init(&p);
    uint8_t *buf = malloc(SIM_PAYLOAD_BYTES_MAX);
    assert_non_null(buf);
    int64_t h[K];
    for (size_t i = 0; i < K; i++) {
        fill(buf, sizes[i], i);
        h[i] = pool_put(&p, buf, sizes[i]);
        assert_true(h[i] >= 0);
        assert_true(h[i] != POOL_NONE);
        /* The payload was copied: changing the source afterwards changes nothing. */
        memset(buf, 0xa5, sizes[i]);
        /* It went to the smallest class that holds it. */
        uint32_t c = class_of(h[i]);
        assert_true(c < POOL_CLASSES);
        assert_true(p.cls[c].slot_bytes >= sizes[i]);
        if (c > 0) assert_true(p.cls[c - 1].slot_bytes < sizes[i]);
        assert_int_equal(p.live, i + 1);
    }
    for (size_t i = 0; i < K; i++) {
        const uint8_t *got = pool_get(&p, (uint32_t)h[i]);
        assert_non_null(got);
        if (!intact(got, sizes[i], i)) fail_msg("payload of %u bytes changed", sizes[i]);
        for (size_t j = 0; j < i; j++) assert_true(h[j] != h[i]);
    }
    for (size_t i = 0; i < K; i++) pool_release(&p, (uint32_t)h[i]);
    assert_int_equal(p.live, 0);
    free(buf);
    pool_free_all(&p);
}

static void test_pool_empty_payload_is_none(void **state)
{
    pool_t p;
    pool_init(&p);
    uint8_t byte = 1;
    assert_int_equal(pool_put(&p, &byte, 0), POOL_NONE);
    assert_int_equal(pool_put(&p, NULL, 0), POOL_NONE);
    assert_int_equal(p.live, 0);
    assert_null(pool_get(&p, POOL_NONE));
    pool_release(&p, POOL_NONE);                       /* a no-op, not an underflow */
    assert_int_equal(p.live, 0);
    for (int c = 0; c < POOL_CLASSES; c++) assert_int_equal(p.cls[c].n_slots, 0);
    pool_free_all(&p);
}

static void test_pool_put_too_large_fails(void **state)
{
    pool_t p;
    pool_init(&p);
    uint8_t small[4] = {0};
    /* The length is checked before the data is read, so a short buffer is enough. */
    int64_t h = pool_put(&p, small, SIM_PAYLOAD_BYTES_MAX + 1);
    assert_true(h < 0);
    assert_int_equal(h, SIM_ELIMIT);
    assert_int_equal(pool_put(&p, small, UINT32_MAX), SIM_ELIMIT);
    assert_int_equal(p.live, 0);
    for (int c = 0; c < POOL_CLASSES; c++) assert_int_equal(p.cls[c].n_slots, 0);
    pool_free_all(&p);
}

static void test_pool_put_fails_at_live_limit(void **state)
{
    pool_t p;
    pool_init(&p);
    uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    /* Filling four million slots would only test the counter; set it instead. */
    p.live = SIM_PAYLOADS_MAX - 1;
    int64_t h = pool_put(&p, data, sizeof data);
    assert_true(h >= 0);
    assert_int_equal(p.live, SIM_PAYLOADS_MAX);
    assert_int_equal(pool_put(&p, data, sizeof data), SIM_ELIMIT);
    assert_int_equal(p.live, SIM_PAYLOADS_MAX);
    pool_release(&p, (uint32_t)h);
    assert_true(pool_put(&p, data, sizeof data) >= 0);
    pool_free_all(&p);
}

static void test_pool_release_then_reuse(void **state)
{
    enum { N = 20000 };
    static int64_t h[N];
    pool_t p;
    pool_init(&p);
    uint8_t buf[24];
    for (uint32_t i = 0; i < N; i++) {
        fill(buf, sizeof buf, i);
        h[i] = pool_put(&p, buf, sizeof buf);
        assert_true(h[i] >= 0);
    }
    assert_int_equal(p.live, N);
    uint32_t slots = p.cls[0].n_slots, chunks = p.cls[0].n_chunks;
    assert_int_equal(slots, N);
    for (uint32_t i = 0; i < N; i++) pool_release(&p, (uint32_t)h[i]);
    assert_int_equal(p.live, 0);
    /* A second round fits in the slots the first one freed. */
    for (uint32_t i = 0; i < N; i++) {
        fill(buf, sizeof buf, N + i);
        h[i] = pool_put(&p, buf, sizeof buf);
        assert_true(h[i] >= 0);
    }
    assert_int_equal(p.cls[0].n_slots, slots);
    assert_int_equal(p.cls[0].n_chunks, chunks);
    for (uint32_t i = 0; i < N; i++) {
        if (!intact(pool_get(&p, (uint32_t)h[i]), sizeof buf, N + i)) fail_msg("reused payload %u changed", i);
        for (uint32_t j = i + 1; j < i + 4 && j < N; j++) assert_true(h[i] != h[j]);
    }
    for (uint32_t i = 0; i < N; i++) pool_release(&p, (uint32_t)h[i]);
    assert_int_equal(p.live, 0);
    pool_free_all(&p);
}

/* A steady state of at most W payloads in flight, over 1e5 put/release cycles of
 * random sizes across six classes: every payload reads back intact when released,
 * and no class ever holds more slots than payloads it had live at once. */
static void test_pool_steady_state_does_not_grow(void **state)
{
    enum { W = 64, CYCLES = 100000 };
    static const uint32_t class_max[] = {32, 128, 512, 2048, 8192, 32768};
    pool_t p;
    pool_init(&p);
    rng_t r;
    rng_seed(&r, 3, RNG_RUN, 0);
    static uint8_t buf[32768];
    int64_t h[W];
    uint32_t len[W];
    uint64_t id[W];
    uint32_t live_in[POOL_CLASSES] = {0}, peak_in[POOL_CLASSES] = {0};
    for (int i = 0; i < W; i++) h[i] = -1;
    for (uint64_t cyc = 0; cyc < CYCLES; cyc++) {
        int i = (int)rng_below(&r, W);
        if (h[i] >= 0) {
            if (!intact(pool_get(&p, (uint32_t)h[i]), len[i], id[i]))
                fail_msg("cycle %llu: payload %llu of %u bytes changed", (unsigned long long)cyc,
                         (unsigned long long)id[i], len[i]);
            live_in[class_of(h[i])]--;
            pool_release(&p, (uint32_t)h[i]);
        }
        /* Mostly small payloads, as in a real run, with every class represented. */
        uint32_t c = rng_chance(&r, 0.5) ? 0 : (uint32_t)rng_below(&r, SIM_ARRAY_LEN(class_max));
        len[i] = 1 + (uint32_t)rng_below(&r, class_max[c]);
        id[i] = cyc;
        fill(buf, len[i], id[i]);
        h[i] = pool_put(&p, buf, len[i]);
        assert_true(h[i] >= 0);
        uint32_t k = class_of(h[i]);
        if (++live_in[k] > peak_in[k]) peak_in[k] = live_in[k];
    }
    uint32_t live = 0;
    for (int i = 0; i < W; i++) live += h[i] >= 0;
    assert_int_equal(p.live, live);
    for (int c = 0; c < POOL_CLASSES; c++) {
        if (p.cls[c].n_slots > peak_in[c])
            fail_msg("class %d: %u slots for at most %u live payloads", c, p.cls[c].n_slots, peak_in[c]);
        assert_true(p.cls[c].n_slots <= W);
    }
    for (int i = 0; i < W; i++)
        if (h[i] >= 0) {
            assert_true(intact(pool_get(&p, (uint32_t)h[i]), len[i], id[i]));
            pool_release(&p, (uint32_t)h[i]);
        }
    assert_int_equal(p.live, 0);
    pool_free_all(&p);
}

/* Payloads filled to the last byte of their slot sit next to each other; writing one
 * must not spill into its neighbour, and a pointer taken early must stay valid while
 * the class grows by many chunks (chunks never move, only the table of them does). */
static uint32_t size_for(uint32_t i)
{
    /* Full slots of the six smaller classes and a few odd sizes; a full 128 KiB slot
     * one time in 40 keeps the test quick. */
    static const uint32_t sizes[] = {32, 128, 512, 2048, 8192, 32768, 3, 100, 5000, 33};
    return i % 40 == 17 ? 131072 : sizes[i % SIM_ARRAY_LEN(sizes)];
}

static void test_pool_contents_survive_other_allocations(void **state)
{
    enum { N = 3000 };
    pool_t p;
    pool_init(&p);
    uint8_t *buf = malloc(131072);
    assert_non_null(buf);
    static int64_t h[N];
    static bool released[N];
    fill(buf, 32, 999999);
    int64_t first = pool_put(&p, buf, 32);
    assert_true(first >= 0);
    const uint8_t *first_ptr = pool_get(&p, (uint32_t)first);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t len = size_for(i);
        fill(buf, len, i);
        h[i] = pool_put(&p, buf, len);
        assert_true(h[i] >= 0);
        if (i % 3 == 1) {                                     /* churn: free some of what came before */
            uint32_t j = i / 2;
            if (!released[j]) {
                pool_release(&p, (uint32_t)h[j]);
                released[j] = true;
            }
        }
    }
    assert_true(p.cls[0].n_chunks >= 1);
    assert_ptr_equal(pool_get(&p, (uint32_t)first), first_ptr);
    assert_true(intact(first_ptr, 32, 999999));
    for (uint32_t i = 0; i < N; i++) {
        if (released[i]) continue;
        uint32_t len = size_for(i);
        if (!intact(pool_get(&p, (uint32_t)h[i]), len, i)) fail_msg("payload %u of %u bytes changed", i, len);
    }
    free(buf);
    pool_free_all(&p);
}

/* Growing one class well past its first chunk keeps earlier payloads where they were. */
static void test_pool_chunks_never_move(void **state)
{
    enum { N = 150000 };                                 /* 19 chunks of 8192 slots */
    pool_t p;
    pool_init(&p);
    uint8_t buf[32];
    fill(buf, sizeof buf, 0);
    int64_t h0 = pool_put(&p, buf, sizeof buf);
    const uint8_t *p0 = pool_get(&p, (uint32_t)h0);
    for (uint32_t i = 1; i < N; i++) {
        fill(buf, sizeof buf, i);
        assert_true(pool_put(&p, buf, sizeof buf) >= 0);
    }
    assert_true(p.cls[0].n_chunks > 16);                 /* the chunk table was reallocated */
    assert_ptr_equal(pool_get(&p, (uint32_t)h0), p0);
    assert_true(intact(p0, sizeof buf, 0));
    pool_free_all(&p);
    assert_int_equal(p.live, 0);
    assert_null(p.cls[0].chunks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool_put_get_round_trip),
        cmocka_unit_test(test_pool_empty_payload_is_none),
        cmocka_unit_test(test_pool_put_too_large_fails),
        cmocka_unit_test(test_pool_put_fails_at_live_limit),
        cmocka_unit_test(test_pool_release_then_reuse),
        cmocka_unit_test(test_pool_steady_state_does_not_grow),
        cmocka_unit_test(test_pool_contents_survive_other_allocations),
        cmocka_unit_test(test_pool_chunks_never_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
