/* cmd_swarm.c -- `dsim swarm`: many seeds of one scenario, each under its own fault mix.
 *
 * Seeds run in forked child processes, J at a time. The library is not safe to share
 * between threads: base.c keeps the context its assertions print (the simulated time
 * and seed of the run in progress) in static variables, so two runs on two threads
 * would report each other's. A process per seed also isolates a seed that crashes:
 * it is reported as a failure with its signal, and the other seeds go on. Children
 * write their result into a shared anonymous mapping, one slot per seed, and the
 * parent prints the slots in seed order once a batch is done, so what is printed does
 * not depend on -j or on which child finished first. Only the final runs-per-second
 * figure is wall-clock. A fork per seed costs about a millisecond; runs take several.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/afile.h"
#include "cli/cli.h"
#include "run/swarm.h"

#define SWARM_BATCH 4096             /* seeds whose results are held at once */
#define SWARM_JOBS_MAX 256           /* child processes at once */
#define SWARM_SEEDS_MAX 100000000ULL /* seeds in one invocation */

typedef struct slot {
    int done;                        /* the child wrote its result */
    swarm_result_t r;
    char mix[SWARM_MIX_MAX];
} slot_t;

static int parse_count(const char *flag, const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || x < lo || x > hi)
        return cli_usage_error("swarm", "%s: expected a whole number from %" PRIu64 " to %" PRIu64 ", found \"%s\"", flag, lo, hi, v);
    *out = (uint64_t)x;
    return 0;
}

/* One seed, in a child: plan, run, judge, write the slot. */
static void run_seed(swarm_t *w, uint64_t seed, slot_t *sl)
{
    swarm_plan_t p;
    char err[512];
    if (swarm_plan(w, seed, &p, err, sizeof err) != SIM_OK) {
        sl->r.verdict = SWARM_STOPPED;
        snprintf(sl->r.why, sizeof sl->r.why, "%s", err);
    } else {
        swarm_run(w, &p, &sl->r);
        memcpy(sl->mix, p.mix, sizeof sl->mix);
    }
    swarm_plan_free(&p);
    sl->done = 1;
}

static int write_scenario(swarm_t *w, uint64_t seed, const char *out)
{
    swarm_plan_t p;
    char err[512];
    int rc = swarm_plan(w, seed, &p, err, sizeof err);
    if (rc != SIM_OK) {
        fprintf(stderr, "dsim swarm: %s\n", err);
        swarm_plan_free(&p);
        return 2;
    }
    afile_t af;
    if (afile_open(&af, out) != SIM_OK) {
        fprintf(stderr, "dsim swarm: --write-scenario: cannot create %s: %s\n", out, strerror(errno));
        swarm_plan_free(&p);
        return 2;
    }
    fputs(p.json, af.f);
    fputc('\n', af.f);
    swarm_plan_free(&p);
    if (afile_commit(&af) != SIM_OK) {
        fprintf(stderr, "dsim swarm: --write-scenario: cannot write %s: %s\n", out, strerror(errno));
        return 2;
    }
    return 0;
}

int cmd_swarm(int argc, char **argv)
{
    static const cli_flag_t flags[] = {
        {"--seeds", true}, {"-j", true}, {"--first", true}, {"--liveness", true},
        {"--write-scenario", true}, {"--verbose", false}, {"--without", true}, {NULL, false},
    };
    const char *val[7] = {0}, *pos[1];
    int npos;
    if (cli_parse("swarm", argc, argv, flags, val, pos, &npos, 1) != SIM_OK) return 2;
    if (npos != 1) return cli_usage_error("swarm", "expected one scenario file, such as scenarios/raft-leader-crash.json");
    if (!val[0]) return cli_usage_error("swarm", "--seeds: expected how many seeds to run, such as --seeds 100");
    uint64_t n_seeds, jobs = 1, first = 1;
    if (parse_count("--seeds", val[0], 1, SWARM_SEEDS_MAX, &n_seeds)) return 2;
    if (val[1] && parse_count("-j", val[1], 1, SWARM_JOBS_MAX, &jobs)) return 2;
    if (val[2] && parse_count("--first", val[2], 0, 9007199254740991ULL - n_seeds, &first)) return 2;
    swarm_opts_t o = {0};
    if (val[3] && (sim_parse_duration(val[3], false, &o.liveness_ns) != SIM_OK || o.liveness_ns <= 0))
        return cli_usage_error("swarm", "--liveness: expected a duration such as \"5s\", found \"%s\"", val[3]);
    if (val[4] && n_seeds != 1)
        return cli_usage_error("swarm", "--write-scenario: writes one seed's scenario; give --seeds 1 (and --first SEED)");
    bool verbose = val[5] != NULL;
    if (val[6]) {
        char kerr[256];
        if (swarm_parse_kinds(val[6], &o.without, kerr, sizeof kerr) != SIM_OK) return cli_usage_error("swarm", "--without: %s", kerr);
    }

    char err[1024];
    swarm_t *w = swarm_create(pos[0], &o, err, sizeof err);
    if (!w) { fprintf(stderr, "%s\n", err); return 2; }
    if (val[4]) {
        int rc = write_scenario(w, first, val[4]);
        if (rc) { swarm_destroy(w); return rc; }
    }

    char live[512] = "";
    snprintf(live, sizeof live, "%s%s%s%s", val[3] ? " --liveness " : "", val[3] ? val[3] : "",
             val[6] ? " --without " : "", val[6] ? val[6] : "");
    size_t batch = n_seeds < SWARM_BATCH ? (size_t)n_seeds : SWARM_BATCH;
    slot_t *slots = mmap(NULL, batch * sizeof *slots, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (slots == MAP_FAILED) {
        fprintf(stderr, "dsim swarm: cannot map %zu bytes for results: %s\n", batch * sizeof *slots, strerror(errno));
        swarm_destroy(w);
        return 2;
    }
    pid_t pids[SWARM_JOBS_MAX];
    size_t pid_slot[SWARM_JOBS_MAX];
    uint64_t failed = 0, ran = 0;
    double t0 = cli_wall_seconds();
    for (uint64_t base = 0; base < n_seeds; base += batch) {
        size_t n = n_seeds - base < batch ? (size_t)(n_seeds - base) : batch;
        memset(slots, 0, n * sizeof *slots);
        uint32_t running = 0;
        size_t next = 0;
        fflush(NULL);
        while (next < n || running) {
            if (next < n && running < jobs) {
                pid_t pid = fork();
                if (pid == 0) {
                    run_seed(w, first + base + next, &slots[next]);
                    _exit(0);
                }
                if (pid < 0) {
                    if (!running) {
                        fprintf(stderr, "dsim swarm: cannot fork: %s\n", strerror(errno));
                        munmap(slots, batch * sizeof *slots);
                        swarm_destroy(w);
                        return 2;
                    }
                } else {
                    pids[running] = pid;
                    pid_slot[running++] = next++;
                    continue;
                }
            }
            int st;
            pid_t pid = waitpid(-1, &st, 0);
            if (pid < 0) { if (errno == EINTR) continue; break; }
            for (uint32_t k = 0; k < running; k++) {
                if (pids[k] != pid) continue;
                slot_t *sl = &slots[pid_slot[k]];
                if (!sl->done || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                    sl->r.verdict = SWARM_STOPPED;
                    if (WIFSIGNALED(st))
                        snprintf(sl->r.why, sizeof sl->r.why, "the run crashed with signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
                    else
                        snprintf(sl->r.why, sizeof sl->r.why, "the run exited with status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
                    sl->done = 1;
                }
                pids[k] = pids[running - 1];
                pid_slot[k] = pid_slot[--running];
                break;
            }
        }
        for (size_t i = 0; i < n; i++) {
            const slot_t *sl = &slots[i];
            uint64_t seed = first + base + i;
            ran++;
            if (sl->r.verdict == SWARM_PASS) {
                if (verbose) printf("seed %" PRIu64 " pass: %" PRIu64 " events, trace hash %016" PRIx64 "; %s\n",
                                    seed, sl->r.events, sl->r.trace_hash, sl->mix);
                continue;
            }
            failed++;
            printf("seed %" PRIu64 " FAILED (%s): %s\n", seed, swarm_verdict_names[sl->r.verdict], sl->r.why);
            printf("  faults  %s\n", sl->mix[0] ? sl->mix : "(not drawn)");
            printf("  replay  dsim swarm %s --seeds 1 --first %" PRIu64 "%s%s --write-scenario swarm-%" PRIu64 ".json"
                   " && dsim run swarm-%" PRIu64 ".json%s\n", pos[0], seed, live, cli_plugin_args, seed, seed, cli_plugin_args);
        }
        fflush(stdout);
    }
    double wall = cli_wall_seconds() - t0;
    munmap(slots, batch * sizeof *slots);
    printf("swarm %s: %" PRIu64 " seeds run (%" PRIu64 "..%" PRIu64 "), %" PRIu64 " failed, %.1f runs/s with -j %" PRIu64 "\n",
           pos[0], ran, first, first + n_seeds - 1, failed, wall > 0 ? (double)ran / wall : 0.0, jobs);
    swarm_destroy(w);
    return failed ? 1 : 0;
}
