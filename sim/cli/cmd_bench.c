/* cmd_bench.c -- `dsim bench`: the simulator's own speed, as one JSON object.
 *
 * The gossip benchmark is a generated scenario (the random-peer protocol), so what it
 * measures is exactly what `dsim run` does: the queue, the network model with per-link
 * streams, statistics and the trace hash.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "core/sim.h"

static int bench_scenario(const char *json, uint64_t nodes, double seconds)
{
    char err[1024];
    scn_t scn;
    if (scn_load_string(json, "(bench)", &scn, err, sizeof err) != SIM_OK) { fprintf(stderr, "%s\n", err); return 2; }
    double t0 = cli_wall_seconds();
    sim_t *s = sim_create(&scn, NULL, err, sizeof err);
    if (!s) { fprintf(stderr, "dsim bench: %s\n", err); scn_free(&scn); return 2; }
    double t1 = cli_wall_seconds();
    sim_run(s);
    double wall = cli_wall_seconds() - t1;
    const sim_stats_t *st = sim_stats(s);
    printf("{\"nodes\":%" PRIu64 ",\"sim_seconds\":%g,\"events\":%" PRIu64 ",\"delivered\":%" PRIu64
           ",\"setup_seconds\":%.3f,\"wall_seconds\":%.3f,\"events_per_second\":%.0f,\"delivered_per_second\":%.0f"
           ",\"peak_rss_bytes\":%" PRIu64 ",\"trace_hash\":\"%016" PRIx64 "\"}\n",
           nodes, seconds, st->events, st->delivered, t1 - t0, wall,
           wall > 0 ? (double)st->events / wall : 0, wall > 0 ? (double)st->delivered / wall : 0,
           cli_peak_rss_bytes(), sim_trace_hash(s));
    sim_destroy(s);
    scn_free(&scn);
    return 0;
}

static int parse_count(const char *flag, const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v ? v : "", &end);
    if (!v || end == v || *end || errno || !(x >= lo && x <= hi))
        return cli_usage_error("bench", "%s: expected a number from %.15g to %.15g, found \"%s\"", flag, lo, hi, v ? v : "");
    *out = x;
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    static const cli_flag_t flags[] = {{"--nodes", true}, {"--seconds", true}, {"--seed", true}, {"--events", true}, {NULL, false}};
    const char *val[4] = {0}, *pos[1];
    int npos;
    if (cli_parse("bench", argc, argv, flags, val, pos, &npos, 1) != SIM_OK) return 2;
    if (npos != 1) return cli_usage_error("bench", "expected a benchmark: gossip or chain");
    char json[1024];
    if (strcmp(pos[0], "gossip") == 0) {
        double nodes = 1000, seconds = 10, seed = 1;
        if (val[0] && parse_count("--nodes", val[0], 2, SIM_NODES_MAX - SIM_CLIENTS_MAX, &nodes)) return 2;
        if (val[1] && parse_count("--seconds", val[1], 0.001, 1e6, &seconds)) return 2;
        if (val[2] && parse_count("--seed", val[2], 0, 9e15, &seed)) return 2;
        snprintf(json, sizeof json,
                 "{\"name\": \"bench-gossip\", \"seed\": %.0f, \"duration\": \"%.0fms\", \"nodes\": %.0f,"
                 " \"protocol\": {\"name\": \"random-peer\", \"params\": {\"interval\": \"1s\"}},"
                 " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"0.5ms\", \"max\": \"1.5ms\"}}}",
                 seed, seconds * 1000, nodes);
        return bench_scenario(json, (uint64_t)nodes, seconds);
    }
    if (strcmp(pos[0], "chain") == 0) {
        /* One node, one timer re-armed every 1ms: N events in N milliseconds. */
        double events = 1e7;
        if (val[3] && parse_count("--events", val[3], 1, 1e10, &events)) return 2;
        snprintf(json, sizeof json,
                 "{\"name\": \"bench-chain\", \"duration\": \"%.0fms\", \"nodes\": 2,"
                 " \"protocol\": {\"name\": \"random-peer\", \"params\": {\"interval\": \"1ms\"}},"
                 " \"topology\": {\"kind\": \"edges\", \"edges\": []}}",
                 events / 2);
        return bench_scenario(json, 2, events / 2000);
    }
    const char *cands[] = {"gossip", "chain", NULL};
    const char *s = scn_suggest(pos[0], cands);
    return cli_usage_error("bench", "no benchmark \"%s\"%s%s%s", pos[0], s ? "; did you mean \"" : "", s ? s : "", s ? "\"?" : "");
}
