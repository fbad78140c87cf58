/* support.h -- what many test programs need: load a scenario, create a simulation, read
 * its summary as JSON. Each failure ends the test with the loader's or the core's own
 * message, so a broken scenario in a test reads like one a student wrote.
 *
 * Header-only (static inline), so each test program stays one file plus this.
 */
#ifndef DSIM_TESTS_SUPPORT_H
#define DSIM_TESTS_SUPPORT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cJSON.h>
#include "core/jw.h"
#include "scenario/scenario.h"
#include "core/sim.h"

/* Loads inline scenario JSON; the file name in messages is "(test)". */
static inline void ts_load(const char *json, scn_t *scn)
{
    char err[512] = "";
    if (scn_load_string(json, "(test)", scn, err, sizeof err) != SIM_OK) fail_msg("scenario: %s", err);
}

static inline void ts_load_file(const char *path, scn_t *scn)
{
    char err[512] = "";
    if (scn_load_file(path, scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
}

/* o may be NULL: the scenario's own seed and duration. */
static inline sim_t *ts_create(const scn_t *scn, const sim_opts_t *o)
{
    char err[512] = "";
    sim_t *s = sim_create(scn, o, err, sizeof err);
    if (!s) fail_msg("sim_create: %s", err);
    return s;
}

/* seed 0: the scenario's own seed. */
static inline sim_t *ts_create_seed(const scn_t *scn, uint64_t seed)
{
    sim_opts_t o = {0};
    o.seed_set = seed != 0;
    o.seed = seed;
    return ts_create(scn, &o);
}

/* The --json summary, parsed; free it with cJSON_Delete. */
static inline cJSON *ts_summary(sim_t *s)
{
    jw_t w;
    jw_init(&w, false);
    sim_write_summary(s, &w, 0);
    cJSON *j = cJSON_Parse(w.buf);
    jw_free(&w);
    assert_non_null(j);
    return j;
}

/* j.a, or j.a.b when b is not NULL; fails the test when it is missing. */
static inline const cJSON *ts_get(const cJSON *j, const char *a, const char *b)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(j, a);
    if (x && b) x = cJSON_GetObjectItemCaseSensitive(x, b);
    if (!x) fail_msg("summary has no %s%s%s", a, b ? "." : "", b ? b : "");
    return x;
}

/* Runs scn to its end with seed (0: the scenario's own) and returns the trace hash. */
static inline uint64_t ts_run_hash(const scn_t *scn, uint64_t seed)
{
    sim_t *s = ts_create_seed(scn, seed);
    sim_run(s);
    uint64_t h = sim_trace_hash(s);
    sim_destroy(s);
    return h;
}

/* Determinism, tested: seed a twice gives the same trace hash, seed b another one. */
static inline void ts_assert_seed_decides(const scn_t *scn, uint64_t a, uint64_t b)
{
    uint64_t h1 = ts_run_hash(scn, a), h2 = ts_run_hash(scn, a), h3 = ts_run_hash(scn, b);
    if (h1 != h2) fail_msg("seed %llu ran twice with different trace hashes", (unsigned long long)a);
    if (h1 == h3) fail_msg("seeds %llu and %llu gave the same trace hash", (unsigned long long)a, (unsigned long long)b);
}

/* A sweep over seeds 1..n of one scenario, stopping at the first seed whose run
 * violates an invariant. A run the protocol halted fails the test. The totals let the
 * caller check the sweep exercised something: a sweep that tests nothing passes. */
typedef struct ts_sweep {
    uint64_t first;                /* the first violating seed, or 0 */
    char name[64];                 /* its invariant */
    uint64_t runs, ok, crashes, partitions;
} ts_sweep_t;

static inline void ts_sweep(const scn_t *scn, uint64_t n, ts_sweep_t *out)
{
    memset(out, 0, sizeof *out);
    for (uint64_t seed = 1; seed <= n && !out->first; seed++) {
        sim_t *s = ts_create_seed(scn, seed);
        sim_run(s);
        if (sim_error(s)) fail_msg("seed %llu: the run halted: %s", (unsigned long long)seed, sim_error(s));
        const sim_violation_t *v = sim_violation(s, NULL);
        if (v) {
            out->first = seed;
            snprintf(out->name, sizeof out->name, "%s", v->name);
        }
        out->runs++;
        out->ok += sim_stats(s)->ops_ok;
        out->crashes += sim_stats(s)->crashes;
        out->partitions += sim_stats(s)->partitions;
        sim_destroy(s);
    }
}

#endif
