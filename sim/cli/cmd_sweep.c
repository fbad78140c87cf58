/* cmd_sweep.c -- `dsim sweep` and `dsim sweep merge`: the command line around sweep.h.
 *
 * What belongs here and not in the library: flags, the progress bar (a terminal gets
 * one redrawn line, anything else a plain line now and then), and SIGINT, which asks
 * the workers to stop taking runs so that every finished one is kept for the resume.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "export/sweep.h"
#include "scenario/override.h"

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
    signal(SIGINT, SIG_DFL);          /* a second ^C ends the program at once */
}

typedef struct bar {
    bool tty;
    double t0, last;
    uint64_t last_done;
} bar_t;

static void show_progress(void *ud, uint64_t done, uint64_t total, uint64_t done_before)
{
    bar_t *b = ud;
    double now = cli_wall_seconds();
    bool end = done == total;
    if (!b->tty && !end && now - b->last < 2.0 && done != done_before) return;
    if (b->tty && !end && now - b->last < 0.1) return;
    b->last = now;
    double el = now - b->t0;
    double rate = el > 0 ? (double)(done - done_before) / el : 0;
    double left = rate > 0 ? (double)(total - done) / rate : 0;
    if (b->tty) {
        int width = 30, fill = total ? (int)((double)width * (double)done / (double)total) : width;
        char bar[64];
        for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
        bar[width] = 0;
        fprintf(stderr, "\r[%s] %" PRIu64 "/%" PRIu64 " runs, %.1f runs/s, %.0fs left   %s", bar, done, total, rate, left, end ? "\n" : "");
    } else {
        fprintf(stderr, "sweep: %" PRIu64 "/%" PRIu64 " runs done, %.1f runs/s, %.0fs left\n", done, total, rate, left);
    }
    fflush(stderr);
}

static int cmd_sweep_merge(int argc, char **argv)
{
    static const cli_flag_t flags[] = {{"--out", true}, {NULL, false}};
    const char *val[1] = {0}, *pos[256];
    int npos;
    if (cli_parse("sweep", argc, argv, flags, val, pos, &npos, 256) != SIM_OK) return 2;
    if (npos < 1) return cli_usage_error("sweep", "merge: expected the folders of a sweep's slices, such as slice-*/");
    if (!val[0]) return cli_usage_error("sweep", "merge: expected --out DIR, the folder to write the merged sweep into");
    char err[2048], note[1024];
    int rc = sweep_merge(pos, npos, val[0], err, sizeof err, note, sizeof note);
    if (note[0]) fputs(note, stderr);
    if (rc != SIM_OK) { fprintf(stderr, "dsim sweep merge: %s\n", err); return 2; }
    printf("sweep merge: %d slices into %s: sweep.json, runs.jsonl, runs.csv, summary.csv and any plots\n", npos, val[0]);
    return 0;
}

int cmd_sweep(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "merge") == 0) return cmd_sweep_merge(argc - 1, argv + 1);
    const char *sets[SCN_SETS_MAX];
    uint32_t n_sets;
    char err[2048];
    if (scn_take_sets(&argc, argv, sets, &n_sets, err, sizeof err) != SIM_OK) return cli_usage_error("sweep", "%s", err);
    static const cli_flag_t flags[] = {{"--seeds", true}, {"-j", true}, {"--out", true}, {"--plot", true},
                                       {"--shard", true}, {"--no-invariants", false}, {NULL, false}};
    const char *val[6] = {0}, *pos[1];
    int npos;
    if (cli_parse("sweep", argc, argv, flags, val, pos, &npos, 1) != SIM_OK) return 2;
    if (npos != 1) return cli_usage_error("sweep", "expected one scenario file, such as scenarios/quorum-r1w1-tail.json");
    if (!val[2]) return cli_usage_error("sweep", "expected --out DIR, the folder for runs.csv, summary.csv and plots/");
    sweep_spec_t sp = {.scenario = pos[0], .no_invariants = val[5] != NULL};
    int rc = 2;
    for (uint32_t i = 0; i < n_sets; i++) {
        if (sp.n_params == SWEEP_PARAMS_MAX) { cli_usage_error("sweep", "at most %d --set parameters expected", SWEEP_PARAMS_MAX); goto out; }
        if (sweep_parse_set(sets[i], &sp.params[sp.n_params++], err, sizeof err) != SIM_OK) { cli_usage_error("sweep", "%s", err); goto out; }
        for (uint32_t k = 0; k + 1 < sp.n_params; k++)
            if (strcmp(sp.params[k].path, sp.params[sp.n_params - 1].path) == 0) {
                cli_usage_error("sweep", "--set %s: the parameter %s is given twice; expected one --set with all its values",
                                sets[i], sp.params[k].path);
                goto out;
            }
    }
    if (sweep_parse_seeds(val[0] ? val[0] : "1..10", &sp.seeds, &sp.n_seeds, err, sizeof err) != SIM_OK) {
        cli_usage_error("sweep", "%s", err);
        goto out;
    }
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    if (val[1]) {
        char *end;
        threads = strtol(val[1], &end, 10);
        if (!*val[1] || *end || threads < 1 || threads > SWEEP_THREADS_MAX) {
            cli_usage_error("sweep", "-j: expected a number of threads from 1 to %d, found \"%s\"", SWEEP_THREADS_MAX, val[1]);
            goto out;
        }
    }
    if (threads < 1) threads = 1;
    char *plots = val[3] ? strdup(val[3]) : NULL;
    if (plots) {
        for (char *tok = strtok(plots, ","); tok; tok = strtok(NULL, ",")) {
            if (sp.n_plots == SWEEP_PLOTS_MAX) { cli_usage_error("sweep", "--plot: at most %d metrics expected", SWEEP_PLOTS_MAX); free(plots); goto out; }
            sp.plots[sp.n_plots++] = tok;
        }
        if (!sp.n_plots) { cli_usage_error("sweep", "--plot: expected a metric such as stale_reads.fraction"); free(plots); goto out; }
    }
    if (val[4] && sweep_parse_shard(val[4], &sp.shard_i, &sp.shard_n, err, sizeof err) != SIM_OK) {
        cli_usage_error("sweep", "%s", err);
        free(plots);
        goto out;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    bar_t bar = {isatty(2), cli_wall_seconds(), 0, 0};
    sweep_progress_t pr = {show_progress, &bar};
    char note[1024];
    int r = sweep_run(&sp, val[2], (int)threads, &interrupted, &pr, err, sizeof err, note, sizeof note);
    signal(SIGINT, SIG_DFL);
    if (note[0]) fputs(note, stderr);
    if (r == 1) { rc = 130; }
    else if (r != SIM_OK) { fprintf(stderr, "dsim sweep: %s\n", err); rc = 2; }
    else {
        uint64_t points = 1;
        for (uint32_t i = 0; i < sp.n_params; i++) points *= sp.params[i].n_values;
        printf("sweep: %" PRIu64 " points x %u seeds", points, sp.n_seeds);
        if (sp.shard_n) printf(", slice %u/%u", sp.shard_i, sp.shard_n);
        printf(" in %s: sweep.json, runs.jsonl, runs.csv, summary.csv%s\n", val[2], sp.n_plots ? ", plots/" : "");
        rc = 0;
    }
    free(plots);
out:
    sweep_spec_free(&sp);
    return rc;
}
