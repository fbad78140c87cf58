/* sweep.h -- `dsim sweep`: one scenario over a grid of --set values times seeds, in-process
 * on threads, into tidy tables and plots; sliced across machines and merged back.
 *
 * A sweep folder holds:
 *
 *   sweep.json    what was asked: scenario (and a hash of its text), parameters and their
 *                 values, seeds, plots, and the slice ("shard") when it is one
 *   runs.jsonl    one line per finished run: its number, grid point, seed and every
 *                 numeric figure of its summary, flattened ("messages.dropped.loss").
 *                 Appended as runs finish, so an interrupted sweep keeps them and the
 *                 same command resumes; rewritten in run order when the sweep is done
 *   runs.csv      the same, one row per run, in run order
 *   summary.csv   per grid point and metric: runs, mean, sd and a 95% confidence interval
 *   plots/        each --plot metric against the first parameter, one line per value of
 *                 the others, with 95% error bars (gnuplot data, script, SVG, PNG)
 *
 * Runs are numbered point-major: run = point * seeds + seed index, points ordered with
 * the first parameter slowest. Every output is derived from the runs (never from the
 * order they finished in), so it is the same for any -j, and a slice (--shard I/N
 * takes the runs with run % N == I - 1) merged with the others gives byte for byte the
 * folder one machine would have written.
 */
#ifndef SIM_EXPORT_SWEEP_H
#define SIM_EXPORT_SWEEP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SWEEP_PARAMS_MAX 16
#define SWEEP_VALUES_MAX 256          /* values of one parameter */
#define SWEEP_RUNS_MAX 10000000
#define SWEEP_SEEDS_MAX 1000000
#define SWEEP_PLOTS_MAX 16
#define SWEEP_THREADS_MAX 256
#define SWEEP_METRICS_MAX 4096        /* distinct figures over all runs */

typedef struct sweep_param {
    const char *path;                 /* "protocol.params.r" */
    uint32_t n_values;
    char *values[SWEEP_VALUES_MAX];   /* as given: "1", "10s" */
} sweep_param_t;

typedef struct sweep_spec {
    const char *scenario;             /* the file */
    uint32_t n_params;
    sweep_param_t params[SWEEP_PARAMS_MAX];
    uint64_t *seeds;
    uint32_t n_seeds;
    uint32_t n_plots;
    const char *plots[SWEEP_PLOTS_MAX];
    uint32_t shard_i, shard_n;        /* 1-based slice; shard_n 0: the whole grid */
    bool no_invariants;
} sweep_spec_t;

/* Parses "a=1,2,3" into p (commas inside brackets, braces or quotes do not split).
 * Returns SIM_OK or SIM_EINPUT with a sentence in err. The strings are allocated;
 * sweep_spec_free frees them. */
int sweep_parse_set(const char *spec, sweep_param_t *p, char *err, size_t err_len);
/* "1..20", "7" or "1,5,9" into a seed list (allocated). */
int sweep_parse_seeds(const char *s, uint64_t **seeds, uint32_t *n, char *err, size_t err_len);
/* "I/N" with 1 <= I <= N, or "auto" from SLURM_ARRAY_TASK_ID, _COUNT and _MIN. */
int sweep_parse_shard(const char *s, uint32_t *i, uint32_t *n, char *err, size_t err_len);
void sweep_spec_free(sweep_spec_t *sp);

typedef struct sweep_progress {
    void (*fn)(void *ud, uint64_t done, uint64_t total, uint64_t done_before);
    void *ud;
} sweep_progress_t;

/* Runs the sweep into dir (creating it, or resuming what is there) on threads threads
 * and writes every output. stop, when set by a signal handler, makes the workers stop
 * taking runs; the finished ones stay in runs.jsonl. Returns SIM_OK; SIM_EINPUT with a
 * line in err for bad input (a scenario value, a folder holding another sweep);
 * SIM_EIO; or 1 when stopped. note gets messages for people ("" when none). */
int sweep_run(const sweep_spec_t *sp, const char *dir, int threads, const volatile sig_atomic_t *stop,
              const sweep_progress_t *progress, char *err, size_t err_len, char *note, size_t note_len);

/* Joins complete slices (folders of `--shard I/N` sweeps, all slices of one sweep) into
 * out, which must not exist or be empty. Returns SIM_OK, or SIM_EINPUT / SIM_EIO. */
int sweep_merge(const char *const *dirs, int n_dirs, const char *out, char *err, size_t err_len, char *note, size_t note_len);

#endif
