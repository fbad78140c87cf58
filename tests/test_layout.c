/* test_layout.c -- node placement, message positions and hit tests of the live view.
 *
 * These are the promises a picture makes: every node inside the canvas, no two discs
 * overlapping, a scenario's positions kept (up to one linear map onto the canvas), a
 * message exactly where its flight time says, and a click finding what was drawn under
 * it. No SDL is involved: layout.c is plain geometry.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "layout.h"

#define EPS 1e-3f

static viz_layout_in_t canvas(uint32_t servers, uint32_t clients)
{
    viz_layout_in_t in = {0};
    in.x = 10;
    in.y = 20;
    in.w = 800;
    in.h = 500;
    in.scale = 1;
    in.n_servers = servers;
    in.n_clients = clients;
    in.kind = VIZ_LAYOUT_AUTO;
    in.hub = -1;
    return in;
}

/* Every disc inside the canvas and no two overlapping. */
static void check_sound(const viz_layout_t *L, const viz_layout_in_t *in)
{
    uint32_t n = L->n_servers + L->n_clients;
    for (uint32_t i = 0; i < n; i++) {
        float r = viz_layout_radius(L, i);
        assert_true(r > 0);
        if (L->x[i] - r < in->x - EPS || L->x[i] + r > in->x + in->w + EPS ||
            L->y[i] - r < in->y - EPS || L->y[i] + r > in->y + in->h + EPS)
            fail_msg("node %u of %u at (%.1f, %.1f) r %.1f leaves the canvas", i, n, L->x[i], L->y[i], r);
    }
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++) {
            float dx = L->x[i] - L->x[j], dy = L->y[i] - L->y[j], d = sqrtf(dx * dx + dy * dy);
            if (d < viz_layout_radius(L, i) + viz_layout_radius(L, j))
                fail_msg("nodes %u and %u overlap (%u nodes): distance %.2f", i, j, n, d);
        }
}

static void test_layout_circle_inside_canvas_without_overlaps(void **state)
{
    (void)state;
    static const uint32_t counts[] = {1, 2, 3, 5, 7, 12, 24};
    for (size_t k = 0; k < SIM_ARRAY_LEN(counts); k++)
        for (uint32_t clients = 0; clients <= 3; clients += 3) {
            viz_layout_in_t in = canvas(counts[k], clients);
            viz_layout_t L;
            assert_int_equal(viz_layout_compute(&L, &in), 0);
            assert_int_equal(L.kind, VIZ_LAYOUT_CIRCLE);
            check_sound(&L, &in);
            /* On a circle: every server the same distance from their mean. */
            if (counts[k] >= 3) {
                float cx = 0, cy = 0;
                for (uint32_t i = 0; i < counts[k]; i++) { cx += L.x[i]; cy += L.y[i]; }
                cx /= (float)counts[k];
                cy /= (float)counts[k];
                float r0 = hypotf(L.x[0] - cx, L.y[0] - cy);
                for (uint32_t i = 1; i < counts[k]; i++) assert_float_equal(hypotf(L.x[i] - cx, L.y[i] - cy), r0, 0.01f);
                /* The first server is at the top. */
                for (uint32_t i = 1; i < counts[k]; i++) assert_true(L.y[0] <= L.y[i] + EPS);
            }
            viz_layout_free(&L);
        }
}

static void test_layout_rings_for_many_nodes(void **state)
{
    (void)state;
    static const uint32_t counts[] = {25, 100, 500, 2000};
    for (size_t k = 0; k < SIM_ARRAY_LEN(counts); k++) {
        viz_layout_in_t in = canvas(counts[k], 10);
        viz_layout_t L;
        assert_int_equal(viz_layout_compute(&L, &in), 0);
        assert_int_equal(L.kind, VIZ_LAYOUT_RINGS);
        check_sound(&L, &in);
        viz_layout_free(&L);
    }
    /* Asked for explicitly, a small cluster can be on rings too. */
    viz_layout_in_t in = canvas(9, 0);
    in.kind = VIZ_LAYOUT_RINGS;
    viz_layout_t L;
    assert_int_equal(viz_layout_compute(&L, &in), 0);
    assert_int_equal(L.kind, VIZ_LAYOUT_RINGS);
    check_sound(&L, &in);
    viz_layout_free(&L);
}

static void test_layout_grid_keeps_rows_of_the_topology(void **state)
{
    (void)state;
    viz_layout_in_t in = canvas(16, 2);
    in.grid_width = 4;
    viz_layout_t L;
    assert_int_equal(viz_layout_compute(&L, &in), 0);
    assert_int_equal(L.kind, VIZ_LAYOUT_GRID);
    check_sound(&L, &in);
    for (uint32_t i = 0; i < 16; i++) {
        assert_float_equal(L.y[i], L.y[(i / 4) * 4], EPS);        /* a row shares its y */
        assert_float_equal(L.x[i], L.x[i % 4], EPS);              /* a column shares its x */
        if (i % 4) assert_true(L.x[i] > L.x[i - 1]);
    }
    assert_true(L.y[4] > L.y[0]);
    /* Grid without a width: the nearest square, still sound. */
    in = canvas(30, 0);
    in.kind = VIZ_LAYOUT_GRID;
    assert_int_equal(viz_layout_compute(&L, &in), 0);
    check_sound(&L, &in);
    viz_layout_free(&L);
}

static void test_layout_scenario_positions_are_honoured(void **state)
{
    (void)state;
    static const double px[5] = {0.2, 0.5, 0.8, 0.7, 0.3}, py[5] = {0.3, 0.15, 0.3, 0.75, 0.75};
    viz_layout_in_t in = canvas(5, 3);
    in.pos_x = px;
    in.pos_y = py;
    viz_layout_t L;
    assert_int_equal(viz_layout_compute(&L, &in), 0);
    assert_int_equal(L.kind, VIZ_LAYOUT_SCENARIO);
    check_sound(&L, &in);
    /* One linear map per axis: the same scale between every pair, the same order. */
    float kx = (L.x[1] - L.x[0]) / (float)(px[1] - px[0]), ky = (L.y[3] - L.y[0]) / (float)(py[3] - py[0]);
    assert_true(kx > 0 && ky > 0);
    for (int i = 0; i < 5; i++) {
        assert_float_equal(L.x[i] - L.x[0], kx * (float)(px[i] - px[0]), 0.01f);
        assert_float_equal(L.y[i] - L.y[0], ky * (float)(py[i] - py[0]), 0.01f);
    }
    /* Nodes placed close together get smaller discs rather than overlapping. */
    static const double qx[3] = {0.5, 0.51, 0.9}, qy[3] = {0.5, 0.5, 0.9};
    in = canvas(3, 0);
    in.pos_x = qx;
    in.pos_y = qy;
    assert_int_equal(viz_layout_compute(&L, &in), 0);
    check_sound(&L, &in);
    viz_layout_free(&L);
}

static void test_layout_partial_positions_fall_back_to_a_circle(void **state)
{
    (void)state;
    static const double px[3] = {0.1, 0.5, 0.9}, py[3] = {0.1, 0.5, 0.9};
    static const bool has[3] = {true, false, true};
    viz_layout_in_t in = canvas(3, 0);
    in.pos_x = px;
    in.pos_y = py;
    in.has_pos = has;
    in.kind = VIZ_LAYOUT_SCENARIO;
    viz_layout_t L;
    assert_int_equal(viz_layout_compute(&L, &in), 0);
    assert_int_equal(L.kind, VIZ_LAYOUT_CIRCLE);
    check_sound(&L, &in);
    viz_layout_free(&L);
}

static void test_layout_star_puts_the_hub_in_the_middle(void **state)
{
    (void)state;
    viz_layout_in_t in = canvas(7, 0);
    in.hub = 2;
    viz_layout_t L;
    assert_int_equal(viz_layout_compute(&L, &in), 0);
    check_sound(&L, &in);
    float cx = 0, cy = 0;
    for (uint32_t i = 0; i < 7; i++) if (i != 2) { cx += L.x[i]; cy += L.y[i]; }
    assert_float_equal(L.x[2], cx / 6, 0.5f);
    assert_float_equal(L.y[2], cy / 6, 0.5f);
    viz_layout_free(&L);
}

static void test_layout_clients_sit_apart_below_and_smaller(void **state)
{
    (void)state;
    viz_layout_in_t in = canvas(5, 4);
    viz_layout_t L;
    assert_int_equal(viz_layout_compute(&L, &in), 0);
    assert_true(L.r_client < L.r_server);
    for (uint32_t i = 0; i < 5; i++) assert_true(L.y[i] + L.r_server <= L.server_bottom + EPS);
    for (uint32_t i = 5; i < 9; i++) {
        assert_true(L.y[i] - L.r_client >= L.server_bottom - EPS);
        if (i > 5) { assert_float_equal(L.y[i], L.y[5], EPS); assert_true(L.x[i] > L.x[i - 1]); }
    }
    viz_layout_free(&L);
    /* Hundreds of clients wrap into rows and still do not overlap. */
    in = canvas(5, 400);
    assert_int_equal(viz_layout_compute(&L, &in), 0);
    check_sound(&L, &in);
    viz_layout_free(&L);
}

static void test_layout_hit_node_finds_the_disc_under_the_point(void **state)
{
    (void)state;
    viz_layout_in_t in = canvas(5, 2);
    viz_layout_t L;
    assert_int_equal(viz_layout_compute(&L, &in), 0);
    for (uint32_t i = 0; i < 7; i++) {
        float r = viz_layout_radius(&L, i);
        assert_int_equal(viz_layout_hit_node(&L, L.x[i], L.y[i], 0), i);
        assert_int_equal(viz_layout_hit_node(&L, L.x[i] + r * 0.95f, L.y[i], 0), i);
        assert_int_equal(viz_layout_hit_node(&L, L.x[i], L.y[i] - r * 0.7f, 0), i);
        assert_int_equal(viz_layout_hit_node(&L, L.x[i] + r + 2, L.y[i], 0), -1);
        assert_int_equal(viz_layout_hit_node(&L, L.x[i] + r + 2, L.y[i], 3), i);    /* slack widens the disc */
    }
    assert_int_equal(viz_layout_hit_node(&L, in.x + 1, in.y + 1, 0), -1);
    viz_layout_free(&L);
}

static void test_layout_flight_frac_follows_simulated_time(void **state)
{
    (void)state;
    assert_float_equal(viz_flight_frac(100, 300, 100), 0.0, 1e-12);
    assert_float_equal(viz_flight_frac(100, 300, 150), 0.25, 1e-12);
    assert_float_equal(viz_flight_frac(100, 300, 200), 0.5, 1e-12);
    assert_float_equal(viz_flight_frac(100, 300, 300), 1.0, 1e-12);
    assert_float_equal(viz_flight_frac(100, 300, 50), 0.0, 1e-12);      /* not sent yet */
    assert_float_equal(viz_flight_frac(100, 300, 900), 1.0, 1e-12);     /* arrived (or waiting at a paused node) */
    assert_float_equal(viz_flight_frac(100, 100, 100), 1.0, 1e-12);     /* a flight of no time */
    /* Large times lose no precision that matters: an hour in, a microsecond's flight. */
    sim_time_t h = 3600 * SIM_SEC;
    assert_float_equal(viz_flight_frac(h, h + 1000, h + 250), 0.25, 1e-9);
}

static void test_layout_flight_point_runs_rim_to_rim(void **state)
{
    (void)state;
    viz_layout_in_t in = canvas(5, 0);
    viz_layout_t L;
    assert_int_equal(viz_layout_compute(&L, &in), 0);
    float r = L.r_server, x, y;
    /* No lane: from the sender's rim to the receiver's, through the middle. */
    viz_flight_point(&L, 0, 2, 0.0, 0, &x, &y);
    assert_float_equal(hypotf(x - L.x[0], y - L.y[0]), r, 0.01f);
    viz_flight_point(&L, 0, 2, 1.0, 0, &x, &y);
    assert_float_equal(hypotf(x - L.x[2], y - L.y[2]), r, 0.01f);
    viz_flight_point(&L, 0, 2, 0.5, 0, &x, &y);
    assert_float_equal(x, (L.x[0] + L.x[2]) / 2, 0.01f);
    assert_float_equal(y, (L.y[0] + L.y[2]) / 2, 0.01f);
    /* Progress is linear along the link. */
    float x25, y25, x75, y75;
    viz_flight_point(&L, 0, 2, 0.25, 0, &x25, &y25);
    viz_flight_point(&L, 0, 2, 0.75, 0, &x75, &y75);
    assert_float_equal((x25 + x75) / 2, x, 0.01f);
    assert_float_equal((y25 + y75) / 2, y, 0.01f);
    /* With a lane, the two directions keep to opposite sides of the link. */
    float ax, ay, bx, by;
    viz_flight_point(&L, 0, 2, 0.5, 4, &ax, &ay);
    viz_flight_point(&L, 2, 0, 0.5, 4, &bx, &by);
    assert_float_equal(hypotf(ax - x, ay - y), 4, 0.01f);
    assert_float_equal(hypotf(bx - x, by - y), 4, 0.01f);
    assert_int_equal(viz_side_of_line(L.x[0], L.y[0], L.x[2], L.y[2], ax, ay),
                     -viz_side_of_line(L.x[0], L.y[0], L.x[2], L.y[2], bx, by));
    /* A message to itself loops above the node, starting and ending at its top. */
    viz_flight_point(&L, 1, 1, 0.0, 4, &x, &y);
    assert_float_equal(x, L.x[1], 0.01f);
    assert_float_equal(y, L.y[1] - r, 0.01f);
    viz_flight_point(&L, 1, 1, 0.5, 4, &x, &y);
    assert_true(y < L.y[1] - r);
    viz_layout_free(&L);
}

static void test_layout_hit_point_picks_the_nearest_drawn_on_top(void **state)
{
    (void)state;
    float xs[4] = {10, 20, 20, 50}, ys[4] = {10, 10, 10, 50};
    assert_int_equal(viz_hit_point(xs, ys, 4, 11, 10, 5), 0);
    assert_int_equal(viz_hit_point(xs, ys, 4, 19, 10, 5), 2);     /* two at the same place: the later, drawn on top */
    assert_int_equal(viz_hit_point(xs, ys, 4, 35, 30, 5), -1);
    assert_int_equal(viz_hit_point(xs, ys, 4, 50, 54, 5), 3);
    assert_int_equal(viz_hit_point(xs, ys, 0, 10, 10, 5), -1);
}

static void test_layout_side_of_line_splits_the_plane(void **state)
{
    (void)state;
    /* A horizontal cut drawn left to right: below (y larger) is to its right on screen. */
    assert_int_equal(viz_side_of_line(0, 0, 10, 0, 5, 5), 1);
    assert_int_equal(viz_side_of_line(0, 0, 10, 0, 5, -5), -1);
    assert_int_equal(viz_side_of_line(0, 0, 10, 0, 20, 0), 0);
    /* Drawn the other way, the sides swap. */
    assert_int_equal(viz_side_of_line(10, 0, 0, 0, 5, 5), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_circle_inside_canvas_without_overlaps),
        cmocka_unit_test(test_layout_rings_for_many_nodes),
        cmocka_unit_test(test_layout_grid_keeps_rows_of_the_topology),
        cmocka_unit_test(test_layout_scenario_positions_are_honoured),
        cmocka_unit_test(test_layout_partial_positions_fall_back_to_a_circle),
        cmocka_unit_test(test_layout_star_puts_the_hub_in_the_middle),
        cmocka_unit_test(test_layout_clients_sit_apart_below_and_smaller),
        cmocka_unit_test(test_layout_hit_node_finds_the_disc_under_the_point),
        cmocka_unit_test(test_layout_flight_frac_follows_simulated_time),
        cmocka_unit_test(test_layout_flight_point_runs_rim_to_rim),
        cmocka_unit_test(test_layout_hit_point_picks_the_nearest_drawn_on_top),
        cmocka_unit_test(test_layout_side_of_line_splits_the_plane),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
