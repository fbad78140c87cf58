/* test_theme.c -- the palettes keep meanings apart: no message type takes a role's
 * colour (a vote-reply once was as orange as the leader), message types differ from
 * each other, and nothing but trouble is vermillion.
 *
 * Colours are compared by their distance in RGB: exact equality would let two
 * shades a reader cannot tell apart pass.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "theme.h"

static double dist(viz_rgba_t a, viz_rgba_t b)
{
    double r = (double)a.r - b.r, g = (double)a.g - b.g, bl = (double)a.b - b.b;
    return sqrt(r * r + g * g + bl * bl);
}

static void apart(const char *theme, const char *what_a, viz_rgba_t a, const char *what_b, viz_rgba_t b, double min)
{
    double d = dist(a, b);
    if (d < min)
        fail_msg("%s theme: %s #%02x%02x%02x and %s #%02x%02x%02x are %.0f apart, less than %.0f", theme, what_a, a.r, a.g, a.b,
                 what_b, b.r, b.g, b.b, d, min);
}

static void check_theme(const viz_theme_t *t)
{
    char a[64], b[64];
    for (int i = 0; i < VIZ_MSG_COLORS; i++) {
        snprintf(a, sizeof a, "message colour %d", i);
        for (int r = SIM_ROLE_FOLLOWER; r < SIM_ROLE_COUNT_; r++) {
            snprintf(b, sizeof b, "role %s", sim_role_names[r]);
            apart(t->name, a, t->msg[i], b, t->role[r], 60);
        }
        apart(t->name, a, t->msg[i], "danger", t->danger, 60);
        apart(t->name, a, t->msg[i], "a crashed node", t->crashed, 40);
        apart(t->name, a, t->msg[i], "a crashed node's mark", t->crashed_mark, 30);
        apart(t->name, a, t->msg[i], "the canvas", t->bg, 90);
        for (int j = 0; j < i; j++) {
            snprintf(b, sizeof b, "message colour %d", j);
            apart(t->name, a, t->msg[i], b, t->msg[j], 45);
        }
    }
    /* The role families themselves: leading, candidate, following, tail, master. */
    const sim_role_t fam[] = {SIM_ROLE_LEADER, SIM_ROLE_CANDIDATE, SIM_ROLE_FOLLOWER, SIM_ROLE_MIDDLE, SIM_ROLE_TAIL, SIM_ROLE_MASTER};
    for (size_t i = 0; i < sizeof fam / sizeof fam[0]; i++) {
        apart(t->name, sim_role_names[fam[i]], t->role[fam[i]], "danger", t->danger, 60);
        for (size_t j = 0; j < i; j++)
            apart(t->name, sim_role_names[fam[i]], t->role[fam[i]], sim_role_names[fam[j]], t->role[fam[j]], 60);
    }
}

/* An epidemic's three states: apart from each other, and from every role, message
 * type and mark, so a magenta node is infective and nothing else. */
static void check_sir(const viz_theme_t *t)
{
    static const char *const names[3] = {"susceptible", "infective", "removed"};
    char b[64];
    for (int k = 0; k < 3; k++) {
        for (int j = 0; j < k; j++) apart(t->name, names[k], t->sir[k], names[j], t->sir[j], 90);
        for (int r = SIM_ROLE_NONE; r < SIM_ROLE_COUNT_; r++) {
            snprintf(b, sizeof b, "role %s", r ? sim_role_names[r] : "none");
            apart(t->name, names[k], t->sir[k], b, t->role[r], 55);
        }
        /* Further from message types than from roles: a message is a dot a few pixels
         * wide next to a node of its own size, and an anti-entropy digest (wine) once
         * passed for an infective node (magenta) at that size. */
        for (int i = 0; i < VIZ_MSG_COLORS; i++) {
            snprintf(b, sizeof b, "message colour %d", i);
            apart(t->name, names[k], t->sir[k], b, t->msg[i], 70);
        }
        apart(t->name, names[k], t->sir[k], "danger", t->danger, 55);
        apart(t->name, names[k], t->sir[k], "ok", t->ok, 55);
        apart(t->name, names[k], t->sir[k], "accent", t->accent, 55);
        apart(t->name, names[k], t->sir[k], "a crashed node", t->crashed, 55);
        apart(t->name, names[k], t->sir[k], "a client", t->client, 55);
        apart(t->name, names[k], t->sir[k], "the canvas", t->bg, 90);
    }
}

static void test_theme_epidemic_states_are_their_own(void **state)
{
    check_sir(&viz_theme_dark);
    check_sir(&viz_theme_light);
}

static void test_theme_dark_keeps_meanings_apart(void **state) { check_theme(&viz_theme_dark); }
static void test_theme_light_keeps_meanings_apart(void **state) { check_theme(&viz_theme_light); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_theme_dark_keeps_meanings_apart),
        cmocka_unit_test(test_theme_light_keeps_meanings_apart),
        cmocka_unit_test(test_theme_epidemic_states_are_their_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
