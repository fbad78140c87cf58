/* stream_fixture.h -- helpers shared by the tests of the stream protocol's files.
 *
 * The stream protocol is split by role over five files, and so are its tests; these
 * helpers load a small pipeline written inline, run or step it, read its summary as
 * JSON, and pick out what a node put in flight. Everything is static inline so a test
 * file that uses only some of them still compiles without warnings.
 */
#ifndef TESTS_STREAM_FIXTURE_H
#define TESTS_STREAM_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cJSON.h>
#include "core/sim.h"
#include "kit/kit.h"
#include "proto/stream.h"

/* A pipeline of 1 + brokers + producers + processors + batch nodes (each count at
 * least 1: the protocol reads 0 as "share the nodes out"), with extra
 * protocol parameters and top-level keys appended (JSON fragments starting with a
 * comma, or ""). The run lasts 30s unless rest gives a "duration". */
static inline void stf_load(scn_t *scn, int brokers, int producers, int processors, int batch, const char *params,
                            const char *rest)
{
    char json[4096], err[512] = "";
    int n = 1 + brokers + producers + processors + batch;
    snprintf(json, sizeof json,
             "{\"name\": \"t\"%s, \"nodes\": %d, "
             "\"protocol\": {\"name\": \"stream\", \"params\": {\"brokers\": %d, \"producers\": %d, "
             "\"processors\": %d, \"batch\": %d%s}}%s}",
             strstr(rest, "\"duration\"") ? "" : ", \"duration\": \"30s\"", n, brokers, producers, processors, batch, params, rest);
    if (scn_load_string(json, "(test)", scn, err, sizeof err) != SIM_OK) fail_msg("scenario: %s", err);
}

static inline sim_t *stf_create(const scn_t *scn)
{
    char err[512] = "";
    sim_t *s = sim_create(scn, NULL, err, sizeof err);
    if (!s) fail_msg("sim_create: %s", err);
    return s;
}

static inline const st_config_t *stf_cfg(const scn_t *scn) { return scn->proto_config; }
static inline st_state_t *stf_state(sim_t *s, uint32_t node) { return sim_node_state(s, node); }
static inline st_durable_t *stf_durable(sim_t *s, uint32_t node) { return sim_node_durable(s, node); }

/* The summary as parsed JSON; the caller deletes it. */
static inline cJSON *stf_summary(sim_t *s)
{
    jw_t w;
    jw_init(&w, false);
    sim_write_summary(s, &w, 0);
    cJSON *o = cJSON_Parse(w.buf);
    if (!o) fail_msg("summary is not JSON: %s", w.buf);
    jw_free(&w);
    return o;
}

/* A number at a dotted path, such as "stream.latency_ns.p99". */
static inline double stf_num(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *x = o;
    for (char *tok = strtok(buf, "."); tok; tok = strtok(NULL, ".")) {
        x = cJSON_GetObjectItemCaseSensitive(x, tok);
        if (!x) fail_msg("summary has no %s", path);
    }
    if (!cJSON_IsNumber(x)) fail_msg("summary's %s is not a number", path);
    return x->valuedouble;
}

/* Runs a scenario file to the end and returns its summary; *hash gets the trace hash. */
static inline cJSON *stf_run_file(const char *path, uint64_t *hash, char **text)
{
    scn_t scn;
    char err[1024] = "";
    if (scn_load_file(path, &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    sim_t *s = stf_create(&scn);
    sim_run(s);
    if (sim_error(s)) fail_msg("%s stopped: %s", path, sim_error(s));
    if (sim_violation(s, NULL)) fail_msg("%s violated %s: %s", path, sim_violation(s, NULL)->name, sim_violation(s, NULL)->detail);
    if (hash) *hash = sim_trace_hash(s);
    jw_t w;
    jw_init(&w, false);
    sim_write_summary(s, &w, 0);
    cJSON *o = cJSON_Parse(w.buf);
    if (text) *text = strdup(w.buf);
    jw_free(&w);
    sim_destroy(s);
    scn_free(&scn);
    if (!o) fail_msg("summary of %s is not JSON", path);
    return o;
}

/* Messages in flight of one protocol type, copied out (payload up to STF_PAYLOAD_MAX). */
#define STF_FLIGHTS_MAX 256
#define STF_PAYLOAD_MAX 16384
typedef struct stf_flight { uint32_t from, to, len; _Alignas(8) uint8_t payload[STF_PAYLOAD_MAX]; } stf_flight_t;
typedef struct stf_flights { unsigned type; uint32_t n; stf_flight_t f[STF_FLIGHTS_MAX]; } stf_flights_t;

/* Collects, in a stable order (by sender, receiver, then bytes), what is in flight. */
static inline int stf_cmp_flight(const void *a, const void *b)
{
    const stf_flight_t *x = a, *y = b;
    if (x->from != y->from) return x->from < y->from ? -1 : 1;
    if (x->to != y->to) return x->to < y->to ? -1 : 1;
    return memcmp(x->payload, y->payload, x->len < y->len ? x->len : y->len);
}

static inline stf_flights_t *stf_flights(sim_t *s, unsigned type)
{
    stf_flights_t *fs = calloc(1, sizeof *fs);
    fs->type = type;
    static kit_flight_t f[STF_FLIGHTS_MAX];
    kit_t *k = kit_wrap(s);
    int n = kit_flights(k, KIT_ANY, KIT_ANY, sim_msg_type_name(s, type + SIM_MSG_BUILTIN), f, STF_FLIGHTS_MAX);
    if (n < 0) fail_msg("%s", kit_error(k));
    kit_destroy(k);
    for (int i = 0; i < n && i < STF_FLIGHTS_MAX; i++) {
        stf_flight_t *x = &fs->f[fs->n++];
        x->from = f[i].from;
        x->to = f[i].to;
        x->len = f[i].len < STF_PAYLOAD_MAX ? f[i].len : STF_PAYLOAD_MAX;
        if (x->len) memcpy(x->payload, f[i].payload, x->len);
    }
    qsort(fs->f, fs->n, sizeof fs->f[0], stf_cmp_flight);
    return fs;
}

#endif
