/* bench_raft.c -- how fast a Raft cluster simulates: five servers under 1,000 client
 * operations per second for 60 simulated seconds, with the invariant checks on after
 * every event, as a student would run it.
 *
 * The cluster compacts its log (snapshot_after), since 60,000 operations would not fit
 * in the default log; everything else is the protocol's defaults. The figure is wall
 * time and events per second of the whole run, checks included, printed as one line.
 *
 * usage: bench_raft [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "scenario/scenario.h"
#include "core/sim.h"

static const char *const scenario =
    "{\"name\": \"bench-raft\", \"seed\": 1, \"duration\": \"%ds\", \"nodes\": 5,"
    " \"protocol\": {\"name\": \"raft\", \"params\": {\"snapshot_after\": 1024, \"log_max\": 4096}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"5ms\"}},"
    " \"workload\": {\"clients\": 10, \"ops\": {\"write\": 0.5, \"read\": 0.4, \"cas\": 0.1}, \"keys\": 100,"
    "   \"rate\": \"1000/s\", \"timeout\": \"1s\"}}";

static double wall_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 60;
    if (seconds <= 0) seconds = 60;
    char json[1024], err[512] = "";
    snprintf(json, sizeof json, scenario, seconds);
    scn_t scn;
    if (scn_load_string(json, "bench_raft", &scn, err, sizeof err) != SIM_OK) {
        fprintf(stderr, "bench_raft: %s\n", err);
        return 2;
    }
    sim_t *s = sim_create(&scn, NULL, err, sizeof err);
    if (!s) {
        fprintf(stderr, "bench_raft: %s\n", err);
        scn_free(&scn);
        return 2;
    }
    double t0 = wall_seconds();
    sim_run(s);
    double wall = wall_seconds() - t0;
    const sim_stats_t *st = sim_stats(s);
    int rc = 0;
    if (sim_error(s) || sim_violation(s, NULL)) {
        fprintf(stderr, "bench_raft: the run stopped: %s\n", sim_error(s) ? sim_error(s) : sim_violation(s, NULL)->detail);
        rc = 1;
    }
    printf("raft 5 nodes, 1000 ops/s, %ds simulated: %.2fs wall, %.0f events/s (%llu ops ok of %llu)\n",
           seconds, wall, (double)st->events / wall, (unsigned long long)st->ops_ok, (unsigned long long)st->ops_invoked);
    sim_destroy(s);
    scn_free(&scn);
    return rc;
}
