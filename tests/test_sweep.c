/* test_sweep.c -- `dsim sweep` and `dsim sweep merge`, end to end: tidy tables that agree
 * with single runs, the same bytes for any -j, for slices merged (GNU parallel, Slurm's
 * variables set by hand) and for an interrupted sweep resumed; and clear refusals.
 *
 * The grid is small (quorum, 2 s of simulated time, r and w in {1, 2}, 3 seeds: 12
 * runs) so the whole program takes a few seconds.
 */
#include <math.h>
#include "cli_support.h"

#define SCN "scenarios/quorum-r1w1-tail.json"
#define GRID SCN " --set protocol.params.r=1,2 --set protocol.params.w=1,2 --set duration=2s --seeds 1..3 --plot stale_reads.fraction"

/* A strict CSV table: RFC 4180 without quotes (these tables have none), equal widths. */
typedef struct table { char *text; char **cell; size_t n_rows, n_cols; } table_t;

static void table_read(table_t *t, const char *path)
{
    size_t len;
    t->text = read_file(path, &len);
    if (!len || t->text[len - 1] != '\n' || strchr(t->text, '\r') || strchr(t->text, '"')) fail_msg("%s: not a plain CSV file", path);
    size_t cap = 1024, n = 0, cols = 0, in_row = 0;
    t->cell = malloc(cap * sizeof *t->cell);
    t->n_rows = 0;
    char *start = t->text;
    for (char *p = t->text; *p; p++) {
        if (*p != ',' && *p != '\n') continue;
        char end = *p;
        *p = 0;
        if (n == cap) { cap *= 2; t->cell = realloc(t->cell, cap * sizeof *t->cell); }
        t->cell[n++] = start;
        in_row++;
        start = p + 1;
        if (end == '\n') {
            if (!t->n_rows) cols = in_row;
            else if (in_row != cols) fail_msg("%s: row %zu has %zu fields, the header %zu", path, t->n_rows + 1, in_row, cols);
            t->n_rows++;
            in_row = 0;
        }
    }
    t->n_cols = cols;
}

static const char *cell(const table_t *t, size_t row, const char *column)
{
    for (size_t c = 0; c < t->n_cols; c++)
        if (strcmp(t->cell[c], column) == 0) return t->cell[row * t->n_cols + c];
    fail_msg("no column %s", column);
    return NULL;
}

static double number(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end) fail_msg("expected a number, found \"%s\"", s);
    return v;
}

static void table_free(table_t *t) { free(t->cell); free(t->text); }

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    fflush(NULL);
    int st = system(cmd);
    if (st != 0) fail_msg("%s: exit status %d", cmd, st);
}

/* Two folders hold the same files with the same bytes. */
static void same_tree(const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "diff -r '%s' '%s' >&2", a, b);
    fflush(NULL);
    if (system(cmd) != 0) fail_msg("%s and %s differ", a, b);
}

static void sweep(const char *name, const char *extra)
{
    char dir[600];
    tmp_path(dir, sizeof dir, name);
    cli_run_t r;
    run(&r, "sweep " GRID " --out '%s' %s", dir, extra);
    expect_status(&r, 0, "dsim sweep");
    run_free(&r);
}

static void test_sweep_tables_agree_with_single_runs(void **state)
{
    (void)state;
    sweep("base", "-j 2");
    char p[700];
    table_t runs, sum;
    snprintf(p, sizeof p, "%s/base/runs.csv", tmpdir);
    table_read(&runs, p);
    snprintf(p, sizeof p, "%s/base/summary.csv", tmpdir);
    table_read(&sum, p);
    assert_int_equal(runs.n_rows - 1, 12);
    /* Run order: the first parameter slowest, seeds fastest. */
    assert_string_equal(cell(&runs, 1, "protocol.params.r"), "1");
    assert_string_equal(cell(&runs, 1, "protocol.params.w"), "1");
    assert_string_equal(cell(&runs, 4, "protocol.params.w"), "2");
    assert_string_equal(cell(&runs, 7, "protocol.params.r"), "2");
    for (size_t i = 1; i < runs.n_rows; i++) assert_int_equal((int)number(cell(&runs, i, "run")), (int)i - 1);
    /* Row 8 is r=2, w=1, seed 2: the same numbers as that one run on its own. */
    assert_string_equal(cell(&runs, 8, "seed"), "2");
    cli_run_t r;
    run(&r, "run " SCN " --json --seed 2 --set protocol.params.r=2 --set protocol.params.w=1 --set duration=2s");
    expect_status(&r, 0, "the single run");
    cJSON *j = one_object(&r);
    static const char *const metrics[] = {"events", "messages.sent", "messages.delivered", "ops.ok", "latency_ns.p99",
                                          "stale_reads.stale", "stale_reads.reads", "t_consistent_999_ns", NULL};
    for (int i = 0; metrics[i]; i++)
        if (number(cell(&runs, 8, metrics[i])) != jnum(j, metrics[i])) fail_msg("runs.csv's %s differs from dsim run's", metrics[i]);
    assert_true(number(cell(&runs, 8, "stale_reads.fraction")) == jnum(j, "stale_reads.stale") / jnum(j, "stale_reads.reads"));
    cJSON_Delete(j);
    run_free(&r);
    /* summary.csv: the mean and interval of point 2 (r=1, w=... see runs) for ops.ok. */
    bool found = false;
    for (size_t i = 1; i < sum.n_rows; i++) {
        if (strcmp(cell(&sum, i, "point"), "2") || strcmp(cell(&sum, i, "metric"), "ops.ok")) continue;
        double m = 0, x[3];
        for (int s = 0; s < 3; s++) { x[s] = number(cell(&runs, 7 + s, "ops.ok")); m += x[s] / 3; }
        double sd = 0;
        for (int s = 0; s < 3; s++) sd += (x[s] - m) * (x[s] - m) / 2;
        sd = sqrt(sd);
        assert_true(fabs(number(cell(&sum, i, "mean")) - m) < 1e-9 * m);
        assert_true(fabs(number(cell(&sum, i, "sd")) - sd) < 1e-6 * (sd + 1));
        /* t(0.975, 2 degrees of freedom) = 4.302653 */
        double half = 4.302652729911275 * sd / sqrt(3);
        assert_true(fabs(number(cell(&sum, i, "ci95_low")) - (m - half)) < 1e-6 * (m + 1));
        assert_true(fabs(number(cell(&sum, i, "ci95_high")) - (m + half)) < 1e-6 * (m + 1));
        assert_string_equal(cell(&sum, i, "runs"), "3");
        found = true;
    }
    assert_true(found);
    table_free(&runs);
    table_free(&sum);
}

static void test_sweep_is_the_same_for_any_j(void **state)
{
    (void)state;
    sweep("j1", "-j 1");
    sweep("j3", "-j 3");
    char a[600], b[600];
    tmp_path(a, sizeof a, "j1");
    tmp_path(b, sizeof b, "j3");
    same_tree(a, b);
}

static void test_sweep_sliced_with_gnu_parallel_and_merged_is_byte_identical(void **state)
{
    (void)state;
    if (system("parallel --version 2>/dev/null | grep -q 'GNU parallel'") != 0) { print_message("skipped: GNU parallel is not installed\n"); skip(); }
    sweep("whole", "-j 2");
    /* The documented recipe, on this machine. */
    sh("SWEEP='" GRID "' DSIM='%s' sh scenarios/cluster/sweep-parallel.sh 4 '%s/par' >/dev/null 2>&1", dsim, tmpdir);
    char a[600], b[600];
    tmp_path(a, sizeof a, "whole");
    tmp_path(b, sizeof b, "par");
    same_tree(a, b);
}

static void test_sweep_with_slurm_variables_merges_to_the_same_bytes(void **state)
{
    (void)state;
    sweep("whole2", "-j 2");
    /* An array --array=3-5: IDs 3, 4, 5, MIN 3, COUNT 3. */
    for (int id = 3; id <= 5; id++)
        sh("SLURM_ARRAY_TASK_ID=%d SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_MIN=3 '%s' sweep " GRID
           " -j 1 --shard auto --out '%s/slurm-%d' >/dev/null 2>&1", id, dsim, tmpdir, id);
    cli_run_t r;
    run(&r, "sweep merge '%s/slurm-5' '%s/slurm-3' '%s/slurm-4' --out '%s/slurm-merged'", tmpdir, tmpdir, tmpdir, tmpdir);
    expect_status(&r, 0, "sweep merge");
    run_free(&r);
    char a[600], b[600];
    tmp_path(a, sizeof a, "whole2");
    tmp_path(b, sizeof b, "slurm-merged");
    same_tree(a, b);
    /* A slice missing, a slice given twice, merging into something that exists. */
    run(&r, "sweep merge '%s/slurm-3' '%s/slurm-4' --out '%s/m2'", tmpdir, tmpdir, tmpdir);
    expect_status(&r, 2, "merge without a slice");
    must_contain(r.err, "slice 3/3 is missing", "stderr");
    run_free(&r);
    run(&r, "sweep merge '%s/slurm-3' '%s/slurm-3' --out '%s/m3'", tmpdir, tmpdir, tmpdir);
    expect_status(&r, 2, "merge with a slice twice");
    must_contain(r.err, "is given twice", "stderr");
    run_free(&r);
    run(&r, "sweep merge '%s/slurm-3' '%s/slurm-4' '%s/slurm-5' --out '%s/slurm-merged'", tmpdir, tmpdir, tmpdir, tmpdir);
    expect_status(&r, 2, "merge into a folder that exists");
    must_contain(r.err, "expected a new or empty directory", "stderr");
    run_free(&r);
    /* Slurm variables that do not make a slice. */
    setenv("SLURM_ARRAY_TASK_ID", "9", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "3", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "1", 1);
    run(&r, "sweep " GRID " --shard auto --out '%s/bad-slurm'", tmpdir);
    unsetenv("SLURM_ARRAY_TASK_ID");
    unsetenv("SLURM_ARRAY_TASK_COUNT");
    unsetenv("SLURM_ARRAY_TASK_MIN");
    expect_status(&r, 2, "--shard auto out of range");
    must_contain(r.err, "expected SLURM_ARRAY_TASK_ID from SLURM_ARRAY_TASK_MIN (1) to MIN + COUNT - 1 (3), found 9", "stderr");
    run_free(&r);
    run(&r, "sweep " GRID " --shard auto --out '%s/bad-slurm'", tmpdir);
    expect_status(&r, 2, "--shard auto without Slurm");
    must_contain(r.err, "SLURM_ARRAY_TASK_ID=\"(unset)\"", "stderr");
    run_free(&r);
}

static void test_sweep_interrupted_keeps_its_rows_and_resumes(void **state)
{
    (void)state;
    /* Longer runs, so the interruption lands in the middle. */
    const char *grid = SCN " --set protocol.params.r=1,2 --set duration=10s --seeds 1..20";
    char whole[600], cut[600];
    tmp_path(whole, sizeof whole, "long-whole");
    tmp_path(cut, sizeof cut, "long-cut");
    sh("'%s' sweep %s -j 2 --out '%s' >/dev/null 2>&1", dsim, grid, whole);
    sh("'%s' sweep %s -j 2 --out '%s' >/dev/null 2>'%s.err' & pid=$!; "
       "while [ \"$(cat '%s/runs.jsonl' 2>/dev/null | wc -l)\" -lt 4 ]; do sleep 0.01; done; "
       "kill -INT $pid; wait $pid; test $? -eq 130", dsim, grid, cut, cut, cut);
    char p[700];
    snprintf(p, sizeof p, "%s.err", cut);
    char *err = read_file(p, NULL);
    must_contain(err, "interrupted: ", "stderr");
    must_contain(err, "run the same command again to resume", "stderr");
    free(err);
    snprintf(p, sizeof p, "%s/runs.jsonl", cut);
    size_t len;
    char *rows = read_file(p, &len);
    size_t n = 0;
    for (char *c = rows; *c; c++) n += *c == '\n';
    free(rows);
    if (n < 4 || n >= 40) fail_msg("expected some but not all of 40 runs kept, found %zu", n);
    snprintf(p, sizeof p, "%s/runs.csv", cut);
    assert_int_not_equal(access(p, F_OK), 0);    /* no tables from half a sweep */
    sh("'%s' sweep %s -j 2 --out '%s' >/dev/null 2>&1", dsim, grid, cut);
    same_tree(whole, cut);
    /* A last line cut short (the machine died mid-write) is dropped and redone. */
    snprintf(p, sizeof p, "%s/runs.jsonl", cut);
    sh("head -c 5000 '%s' > '%s.part' && mv '%s.part' '%s'", p, p, p, p);
    sh("'%s' sweep %s -j 2 --out '%s' >/dev/null 2>&1", dsim, grid, cut);
    same_tree(whole, cut);
}

static void test_sweep_bad_input_is_refused_with_where_and_what(void **state)
{
    (void)state;
    char file[600];
    tmp_path(file, sizeof file, "a-file");
    write_text(file, "x\n");
    static const struct { const char *args, *part; } bad[] = {
        {"sweep " SCN " --set protocol.params.r=1,16 --out %s/b1", "$.protocol.params.r: expected a whole number from 1 to 15, found 16"},
        {"sweep " SCN " --set protocol.params.r=1,,2 --out %s/b2", "found an empty one"},
        {"sweep " SCN " --set protocol.params.r=1,1 --out %s/b3", "the value 1 is given twice"},
        {"sweep " SCN " --set name.x=1,2 --out %s/b4", "$.name is a string, so it has no key \"x\""},
        {"sweep " SCN " --seeds 5..2 --out %s/b5", "--seeds: expected FIRST..LAST with FIRST <= LAST"},
        {"sweep " SCN " --seeds x --out %s/b6", "--seeds: expected a range such as 1..20"},
        {"sweep " SCN " -j 0 --out %s/b7", "-j: expected a number of threads from 1"},
        {"sweep " SCN " --shard 5/4 --out %s/b8", "--shard: expected I/N with 1 <= I <= N"},
        {"sweep " SCN " --seeds 1 --out %s/a-file", "found a file; nothing was changed"},
        {"sweep " SCN " --seeds 1", "expected --out DIR"},
        {"sweep " SCN " --set duration=1s --seeds 1 --plot stale_reads.fractoin --out %s/b9", "did you mean stale_reads.fraction?"},
        {"sweep " SCN " --set protocol.params.r=1 --set protocol.params.r=2 --seeds 1 --out %s/b10", "is given twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char args[1024];
        snprintf(args, sizeof args, bad[i].args, tmpdir);
        cli_run_t r;
        run(&r, "%s", args);
        expect_status(&r, 2, args);
        must_contain(r.err, bad[i].part, "stderr");
        run_free(&r);
    }
    /* A misspelt --plot is refused after one run, not after all of them. */
    cli_run_t r1;
    run(&r1, "sweep " SCN " --set duration=1s --seeds 1..50 --plot ops.okk --out '%s/early'", tmpdir);
    expect_status(&r1, 2, "a misspelt --plot");
    must_contain(r1.err, "--plot ops.okk: no such metric in this scenario's runs; did you mean ops.ok?", "stderr");
    run_free(&r1);
    char e[700];
    snprintf(e, sizeof e, "%s/early/runs.jsonl", tmpdir);
    size_t elen;
    char *erows = read_file(e, &elen);
    size_t en = 0;
    for (char *c = erows; *c; c++) en += *c == '\n';
    free(erows);
    assert_int_equal(en, 1);
    /* Nothing was made for the sweeps refused before they ran. */
    char p[700];
    snprintf(p, sizeof p, "%s/b1", tmpdir);
    assert_int_not_equal(access(p, F_OK), 0);
    char *s = read_file(file, NULL);
    assert_string_equal(s, "x\n");
    free(s);
    /* Another sweep's folder is not resumed. */
    sweep("other", "-j 2");
    cli_run_t r;
    run(&r, "sweep " SCN " --set protocol.params.r=1,3 --set duration=2s --seeds 1..3 --out '%s/other'", tmpdir);
    expect_status(&r, 2, "another sweep's folder");
    must_contain(r.err, "holds a different sweep", "stderr");
    run_free(&r);
}

static void png_size(const char *path, unsigned *w, unsigned *h)
{
    size_t len;
    unsigned char *d = (unsigned char *)read_file(path, &len);
    if (len < 24 || memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0) fail_msg("%s is not a PNG", path);
    *w = (unsigned)d[16] << 24 | (unsigned)d[17] << 16 | (unsigned)d[18] << 8 | d[19];
    *h = (unsigned)d[20] << 24 | (unsigned)d[21] << 16 | (unsigned)d[22] << 8 | d[23];
    free(d);
}

static void test_sweep_plot_has_a_line_per_value_with_error_bars(void **state)
{
    (void)state;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) { print_message("skipped: gnuplot is not installed\n"); skip(); }
    sweep("plot", "-j 2");
    char p[700];
    snprintf(p, sizeof p, "%s/plot/plots/stale_reads_fraction.png", tmpdir);
    unsigned w, h;
    png_size(p, &w, &h);
    assert_int_equal(w, 900);
    assert_int_equal(h, 500);
    snprintf(p, sizeof p, "%s/plot/plots/stale_reads_fraction.gp", tmpdir);
    char *gp = read_file(p, NULL);
    must_contain(gp, "index 0 using 1:2:3:4 with yerrorlines", "the script");
    must_contain(gp, "index 1 using 1:2:3:4 with yerrorlines", "the script");
    must_contain(gp, "title \"protocol.params.w=2, duration=2s\"", "the script");
    free(gp);
    snprintf(p, sizeof p, "%s/plot/plots/stale_reads_fraction.svg", tmpdir);
    char *svg = read_file(p, NULL);
    must_contain(svg, "</svg>", "the SVG");
    free(svg);
}

static void test_sweep_help_documents_every_flag(void **state)
{
    (void)state;
    cli_run_t r;
    run(&r, "help sweep");
    static const char *const flags[] = {"--set PATH=V1,V2", "--seeds", "-j N", "--out DIR", "--plot", "--shard I/N", "--shard auto",
                                        "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT",
                                        "--no-invariants", "dsim sweep merge", NULL};
    for (int i = 0; flags[i]; i++) must_contain(r.out, flags[i], "dsim help sweep");
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_tables_agree_with_single_runs),
        cmocka_unit_test(test_sweep_is_the_same_for_any_j),
        cmocka_unit_test(test_sweep_sliced_with_gnu_parallel_and_merged_is_byte_identical),
        cmocka_unit_test(test_sweep_with_slurm_variables_merges_to_the_same_bytes),
        cmocka_unit_test(test_sweep_interrupted_keeps_its_rows_and_resumes),
        cmocka_unit_test(test_sweep_bad_input_is_refused_with_where_and_what),
        cmocka_unit_test(test_sweep_plot_has_a_line_per_value_with_error_bars),
        cmocka_unit_test(test_sweep_help_documents_every_flag),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
