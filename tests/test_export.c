/* test_export.c -- `dsim run F --export DIR`, end to end: every file of the bundle read
 * back strictly and checked against the run's own numbers, the plots drawn, and the
 * promise that a bundle is written completely or not at all.
 *
 * The CSV reader here is deliberately strict (RFC 4180, every row as wide as the
 * header, a final newline, no carriage returns): a student's spreadsheet is forgiving,
 * pandas less so, and the test should fail before either notices. Numbers are checked
 * against the summary (`--json`, written into the bundle) and against the history
 * written by `--history` in the same run, which the export does not read.
 */
#include "cli_support.h"

/* ---- A strict CSV reader. --------------------------------------------------------- */

typedef struct table {
    char *text;                   /* the file, cut into fields in place */
    char ***rows;                 /* rows[0] is the header */
    size_t n_rows, n_cols;
} table_t;

static void table_read(table_t *t, const char *path)
{
    size_t len;
    t->text = read_file(path, &len);
    if (len == 0 || t->text[len - 1] != '\n') fail_msg("%s: expected a file ending with a newline", path);
    if (strchr(t->text, '\r')) fail_msg("%s: expected \\n line ends, found \\r", path);
    t->rows = NULL;
    t->n_rows = 0;
    size_t cap_rows = 0;
    char *p = t->text;
    while (*p) {
        char **row = NULL;
        size_t n = 0, cap = 0;
        for (;;) {
            char *out = p, *start = p;
            if (*p == '"') {
                p++;
                for (;;) {
                    if (!*p) fail_msg("%s: row %zu: an unclosed quote", path, t->n_rows + 1);
                    if (*p == '"' && p[1] == '"') { *out++ = '"'; p += 2; continue; }
                    if (*p == '"') { p++; break; }
                    *out++ = *p++;
                }
                if (*p != ',' && *p != '\n') fail_msg("%s: row %zu: text after a closing quote", path, t->n_rows + 1);
            } else {
                while (*p != ',' && *p != '\n') {
                    if (*p == '"') fail_msg("%s: row %zu: a quote inside an unquoted field", path, t->n_rows + 1);
                    p++;
                }
                out = p;
            }
            char end = *p;
            *out = 0;
            if (n == cap) { cap = cap ? cap * 2 : 16; row = realloc(row, cap * sizeof *row); assert_non_null(row); }
            row[n++] = start;
            p++;
            if (end == '\n') break;
        }
        if (t->n_rows == 0) t->n_cols = n;
        else if (n != t->n_cols) fail_msg("%s: row %zu has %zu fields, the header %zu", path, t->n_rows + 1, n, t->n_cols);
        if (t->n_rows == cap_rows) { cap_rows = cap_rows ? cap_rows * 2 : 256; t->rows = realloc(t->rows, cap_rows * sizeof *t->rows); assert_non_null(t->rows); }
        t->rows[t->n_rows++] = row;
    }
    if (t->n_rows == 0) fail_msg("%s: no header", path);
}

static void table_free(table_t *t)
{
    for (size_t i = 0; i < t->n_rows; i++) free(t->rows[i]);
    free(t->rows);
    free(t->text);
}

static int col(const table_t *t, const char *name)
{
    for (size_t i = 0; i < t->n_cols; i++) if (strcmp(t->rows[0][i], name) == 0) return (int)i;
    fail_msg("no column %s", name);
    return -1;
}

/* A whole number, strictly: digits (and a leading minus) only. */
static long long num(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno) fail_msg("%s: expected a whole number, found \"%s\"", what, s);
    return v;
}

static double real(const char *s, const char *what)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end) fail_msg("%s: expected a number, found \"%s\"", what, s);
    return v;
}

static long long col_sum(const table_t *t, const char *name)
{
    int c = col(t, name);
    long long s = 0;
    for (size_t i = 1; i < t->n_rows; i++) s += num(t->rows[i][c], name);
    return s;
}

static size_t count_eq(const table_t *t, const char *name, const char *value)
{
    int c = col(t, name);
    size_t n = 0;
    for (size_t i = 1; i < t->n_rows; i++) n += strcmp(t->rows[i][c], value) == 0;
    return n;
}

/* ---- Helpers. ------------------------------------------------------------------------- */

static void path_in(char *buf, size_t len, const char *dir, const char *name) { snprintf(buf, len, "%s/%s", dir, name); }

static bool exists(const char *p) { struct stat st; return lstat(p, &st) == 0; }

/* Exports scenario into tmpdir/name with extra flags; returns the summary. */
static cJSON *export_run(const char *scenario, const char *name, const char *extra, char *dir, size_t dir_len)
{
    tmp_path(dir, dir_len, name);
    cli_run_t r;
    run(&r, "run %s --json --export '%s' %s", scenario, dir, extra);
    expect_status(&r, 0, "dsim run --export");
    cJSON *j = one_object(&r);
    run_free(&r);
    return j;
}

/* Nothing named like a temporary bundle is left in tmpdir. */
static void no_leftovers(void)
{
    DIR *d = opendir(tmpdir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp-")) fail_msg("a temporary directory was left behind: %s", e->d_name);
    closedir(d);
}

/* ---- Tests. ----------------------------------------------------------------------- */

static void test_export_bundle_has_every_file_and_documents_every_column(void **state)
{
    (void)state;
    char dir[600], p[700];
    cJSON *j = export_run("scenarios/raft-leader-crash.json", "bundle", "--export-trace", dir, sizeof dir);
    static const char *const files[] = {"summary.json", "README.md", "ops.csv", "messages.csv", "nodes.csv",
                                        "timeseries.csv", "lamport.svg", "shiviz.log", "history.edn", "trace.jsonl",
                                        ".dsim-export", "plots/latency.gp", "plots/latency.dat", "plots/throughput.gp",
                                        "plots/latency_quantiles.gp", "plots/protocol_series.gp", NULL};
    for (int i = 0; files[i]; i++) {
        path_in(p, sizeof p, dir, files[i]);
        if (!exists(p)) fail_msg("the bundle has no %s", files[i]);
    }
    path_in(p, sizeof p, dir, "README.md");
    char *readme = read_file(p, NULL);
    static const char *const csvs[] = {"ops.csv", "messages.csv", "nodes.csv", "timeseries.csv", NULL};
    for (int i = 0; csvs[i]; i++) {
        table_t t;
        path_in(p, sizeof p, dir, csvs[i]);
        table_read(&t, p);
        for (size_t c = 0; c < t.n_cols; c++) {
            const char *name = t.rows[0][c];
            char want[160];
            /* Per-type and per-role columns are documented by their pattern. */
            if (strncmp(name, "sent_", 5) == 0 && strcmp(name, "sent_total") != 0) name = "sent_TYPE";
            else if (strncmp(name, "received_", 9) == 0 && strcmp(name, "received_total") != 0) name = "received_TYPE";
            else if (strncmp(name, "time_", 5) == 0 && strstr(name, "_ns") && !strstr(readme, name)) name = "time_ROLE_ns";
            else if (strncmp(name, "keys_", 5) == 0 && strcmp(name, "keys_held") != 0) name = "keys_NODE";
            snprintf(want, sizeof want, "`%s`", name);
            if (!strstr(readme, want)) fail_msg("README.md does not describe column %s of %s", t.rows[0][c], csvs[i]);
        }
        snprintf(p, sizeof p, "`%s`", csvs[i]);
        must_contain(readme, p, "README.md");
        table_free(&t);
    }
    /* The summary in the bundle is the one on stdout. */
    path_in(p, sizeof p, dir, "summary.json");
    char *sj = read_file(p, NULL);
    cJSON *js = cJSON_Parse(sj);
    assert_non_null(js);
    assert_string_equal(cJSON_GetObjectItem(js, "trace_hash")->valuestring, cJSON_GetObjectItem(j, "trace_hash")->valuestring);
    cJSON_Delete(js);
    free(sj);
    free(readme);
    cJSON_Delete(j);
}

/* ops.csv against the history written by --history in the same run. */
typedef struct hist_rows { cJSON **ev; size_t n, cap; } hist_rows_t;

static void keep_line(void *ud, const cJSON *o)
{
    hist_rows_t *h = ud;
    if (h->n == h->cap) { h->cap = h->cap ? h->cap * 2 : 1024; h->ev = realloc(h->ev, h->cap * sizeof *h->ev); assert_non_null(h->ev); }
    h->ev[h->n++] = cJSON_Duplicate(o, 1);
}

static void test_export_ops_csv_matches_the_history(void **state)
{
    (void)state;
    char dir[600], p[700], hp[600];
    tmp_path(hp, sizeof hp, "ops-history.jsonl");
    char extra[700];
    snprintf(extra, sizeof extra, "--history '%s'", hp);
    cJSON *j = export_run("scenarios/raft-leader-crash.json", "ops", extra, dir, sizeof dir);
    hist_rows_t h = {0};
    /* each_line-like reading: one JSON object per line. */
    {
        size_t len;
        char *text = read_file(hp, &len);
        for (char *line = text, *nl; *line; line = nl + 1) {
            nl = strchr(line, '\n');
            *nl = 0;
            cJSON *o = cJSON_Parse(line);
            assert_true(cJSON_IsObject(o));
            keep_line(&h, o);
            cJSON_Delete(o);
        }
        free(text);
    }
    table_t t;
    path_in(p, sizeof p, dir, "ops.csv");
    table_read(&t, p);
    int c_proc = col(&t, "process"), c_f = col(&t, "f"), c_key = col(&t, "key"), c_inv = col(&t, "invoke_ns"),
        c_done = col(&t, "complete_ns"), c_out = col(&t, "outcome"), c_lat = col(&t, "latency_ns"), c_op = col(&t, "op");
    /* Walk the history: each invoke is the next row; its completion is the next event of
     * the same process. */
    size_t row = 1, ok = 0;
    for (size_t i = 0; i < h.n; i++) {
        const cJSON *e = h.ev[i];
        if (strcmp(cJSON_GetObjectItem(e, "type")->valuestring, "invoke") != 0) continue;
        if (row >= t.n_rows) fail_msg("ops.csv has fewer rows than the history has invocations");
        char **r = t.rows[row];
        assert_int_equal(num(r[c_op], "op"), (long long)(row - 1));
        assert_int_equal(num(r[c_proc], "process"), (long long)cJSON_GetObjectItem(e, "process")->valuedouble);
        assert_string_equal(r[c_f], cJSON_GetObjectItem(e, "f")->valuestring);
        const cJSON *key = cJSON_GetObjectItem(e, "key");
        if (cJSON_IsString(key)) assert_string_equal(r[c_key], key->valuestring);
        assert_int_equal(num(r[c_inv], "invoke_ns"), (long long)cJSON_GetObjectItem(e, "time_ns")->valuedouble);
        const cJSON *done = NULL;
        for (size_t k = i + 1; k < h.n && !done; k++)
            if (cJSON_GetObjectItem(h.ev[k], "process")->valuedouble == cJSON_GetObjectItem(e, "process")->valuedouble) done = h.ev[k];
        if (done) {
            assert_string_equal(r[c_out], cJSON_GetObjectItem(done, "type")->valuestring);
            long long dt = (long long)cJSON_GetObjectItem(done, "time_ns")->valuedouble;
            assert_int_equal(num(r[c_done], "complete_ns"), dt);
            if (strcmp(r[c_out], "ok") == 0) {
                ok++;
                assert_int_equal(num(r[c_lat], "latency_ns"), dt - num(r[c_inv], "invoke_ns"));
            } else {
                assert_string_equal(r[c_lat], "");
            }
        } else {
            assert_string_equal(r[c_out], "info");
        }
        row++;
    }
    assert_int_equal(row, t.n_rows);
    assert_int_equal((long long)(t.n_rows - 1), (long long)jnum(j, "ops.invoked"));
    assert_int_equal((long long)ok, (long long)jnum(j, "ops.ok"));
    assert_int_equal((long long)count_eq(&t, "outcome", "fail"), (long long)jnum(j, "ops.fail"));
    assert_int_equal((long long)count_eq(&t, "outcome", "info"), (long long)jnum(j, "ops.info"));
    /* Stale reads: as many as the summary counts, and judged reads as many as it read. */
    assert_int_equal((long long)count_eq(&t, "stale", "1"), (long long)jnum(j, "stale_reads.stale"));
    assert_int_equal((long long)(count_eq(&t, "stale", "1") + count_eq(&t, "stale", "0")), (long long)jnum(j, "stale_reads.reads"));
    for (size_t i = 0; i < h.n; i++) cJSON_Delete(h.ev[i]);
    free(h.ev);
    table_free(&t);
    cJSON_Delete(j);
}

static void test_export_messages_nodes_and_timeseries_add_up_to_the_summary(void **state)
{
    (void)state;
    char dir[600], p[700];
    /* Loss, partitions, crashes and network duplicates all happen in this one. */
    cJSON *j = export_run("scenarios/gossip-nemesis.json", "msgs", "--interval 250ms", dir, sizeof dir);
    table_t m, n, ts;
    path_in(p, sizeof p, dir, "messages.csv");
    table_read(&m, p);
    path_in(p, sizeof p, dir, "nodes.csv");
    table_read(&n, p);
    path_in(p, sizeof p, dir, "timeseries.csv");
    table_read(&ts, p);
    long long sent = (long long)jnum(j, "messages.sent"), dup = (long long)jnum(j, "messages.duplicated");
    assert_true(dup > 0);
    assert_int_equal((long long)(m.n_rows - 1), sent + dup);
    assert_int_equal((long long)count_eq(&m, "outcome", "delivered"), (long long)jnum(j, "messages.delivered"));
    static const char *const reasons[] = {"loss", "partition", "crash", "unreachable", "user", NULL};
    for (int i = 0; reasons[i]; i++) {
        char key[64];
        snprintf(key, sizeof key, "messages.dropped.%s", reasons[i]);
        assert_int_equal((long long)count_eq(&m, "drop_reason", reasons[i]), (long long)jnum(j, key));
    }
    assert_int_equal((long long)count_eq(&m, "outcome", "dropped"), (long long)jnum(j, "messages.dropped.total"));
    /* Duplicates point at an original of the same id. */
    int c_dup = col(&m, "duplicate_of"), c_id = col(&m, "id");
    size_t dups = 0;
    for (size_t i = 1; i < m.n_rows; i++) {
        if (!m.rows[i][c_dup][0]) continue;
        long long o = num(m.rows[i][c_dup], "duplicate_of");
        assert_true(o >= 0 && o < (long long)(m.n_rows - 1));
        assert_string_equal(m.rows[o + 1][c_id], m.rows[i][c_id]);
        assert_string_equal(m.rows[o + 1][c_dup], "");
        dups++;
    }
    assert_int_equal((long long)dups, dup);
    /* nodes.csv: sends and receipts add up, crashes too. */
    assert_int_equal(col_sum(&n, "sent_total"), sent);
    assert_int_equal(col_sum(&n, "received_total"), (long long)jnum(j, "messages.delivered"));
    assert_int_equal(col_sum(&n, "crashes"), (long long)jnum(j, "faults.crashes"));
    assert_int_equal(col_sum(&n, "restarts"), (long long)jnum(j, "faults.restarts"));
    assert_int_equal((long long)(n.n_rows - 1), (long long)(jnum(j, "nodes") + jnum(j, "clients")));
    /* timeseries.csv: 250ms steps over the run, adding up to the summary. */
    long long end = (long long)jnum(j, "sim_time_ns");
    assert_int_equal((long long)(ts.n_rows - 1), (end + 250000000 - 1) / 250000000);
    assert_int_equal(num(ts.rows[ts.n_rows - 1][col(&ts, "t_end_ns")], "t_end_ns"), end);
    assert_int_equal(col_sum(&ts, "invoked"), (long long)jnum(j, "ops.invoked"));
    assert_int_equal(col_sum(&ts, "ok"), (long long)jnum(j, "ops.ok"));
    assert_int_equal(col_sum(&ts, "messages_sent"), sent);
    assert_int_equal(col_sum(&ts, "messages_delivered"), (long long)jnum(j, "messages.delivered"));
    assert_int_equal(col_sum(&ts, "messages_dropped"), (long long)jnum(j, "messages.dropped.total"));
    assert_int_equal(col_sum(&ts, "invoked_during_partition"), (long long)jnum(j, "availability.ops_during_partitions"));
    assert_int_equal(col_sum(&ts, "ok_during_partition"), (long long)jnum(j, "availability.ok_during_partitions"));
    assert_true(col_sum(&ts, "partitioned") > 0);
    int c_thr = col(&ts, "throughput_ok_per_s"), c_ok = col(&ts, "ok");
    for (size_t i = 1; i + 1 < ts.n_rows; i++)
        assert_true(real(ts.rows[i][c_thr], "throughput") == (double)num(ts.rows[i][c_ok], "ok") * 4);
    table_free(&m);
    table_free(&n);
    table_free(&ts);
    cJSON_Delete(j);
}

static void test_export_history_edn_reads_back_with_dsim_check(void **state)
{
    (void)state;
    char dir[600], p[700];
    cJSON *j = export_run("scenarios/raft-leader-crash.json", "edn", "", dir, sizeof dir);
    path_in(p, sizeof p, dir, "history.edn");
    cli_run_t r;
    run(&r, "check --model cas-register '%s' --json", p);
    expect_status(&r, 0, "dsim check history.edn");
    cJSON *c = one_object(&r);
    /* The checker counts every operation but the failed ones, which did not happen. */
    assert_int_equal((long long)jnum(c, "ops"), (long long)(jnum(j, "ops.invoked") - jnum(j, "ops.fail")));
    cJSON_Delete(c);
    run_free(&r);
    /* shiviz.log: the regular expression, a blank line, then event and clock lines. */
    path_in(p, sizeof p, dir, "shiviz.log");
    char *sv = read_file(p, NULL);
    assert_true(strncmp(sv, "(?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})\n\n", 43) == 0);
    must_contain(sv, "\nn1 {\"n1\":1", "shiviz.log");
    free(sv);
    cJSON_Delete(j);
}

static void test_export_is_deterministic(void **state)
{
    (void)state;
    char a[600], b[600], pa[700], pb[700];
    cJSON *ja = export_run("scenarios/gossip-partition.json", "det-a", "--seed 3", a, sizeof a);
    cJSON *jb = export_run("scenarios/gossip-partition.json", "det-b", "--seed 3", b, sizeof b);
    static const char *const files[] = {"ops.csv", "messages.csv", "nodes.csv", "timeseries.csv", "lamport.svg",
                                        "shiviz.log", "history.edn", "plots/latency.dat", "plots/latency.gp",
                                        "plots/latency.svg", "plots/throughput.svg", NULL};
    for (int i = 0; files[i]; i++) {
        path_in(pa, sizeof pa, a, files[i]);
        path_in(pb, sizeof pb, b, files[i]);
        size_t la, lb;
        char *x = read_file(pa, &la), *y = read_file(pb, &lb);
        if (la != lb || memcmp(x, y, la) != 0) fail_msg("%s differs between two runs of the same seed", files[i]);
        free(x);
        free(y);
    }
    cJSON_Delete(ja);
    cJSON_Delete(jb);
}

/* The 8 bytes every PNG starts with, and its width and height from the IHDR chunk. */
static void png_size(const char *path, unsigned *w, unsigned *h)
{
    size_t len;
    unsigned char *d = (unsigned char *)read_file(path, &len);
    if (len < 24 || memcmp(d, "\x89PNG\r\n\x1a\n", 8) != 0 || memcmp(d + 12, "IHDR", 4) != 0) fail_msg("%s is not a PNG", path);
    *w = (unsigned)d[16] << 24 | (unsigned)d[17] << 16 | (unsigned)d[18] << 8 | d[19];
    *h = (unsigned)d[20] << 24 | (unsigned)d[21] << 16 | (unsigned)d[22] << 8 | d[23];
    free(d);
}

static void test_export_renders_each_plot_as_svg_and_png(void **state)
{
    (void)state;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) { print_message("skipped: gnuplot is not installed\n"); skip(); }
    char dir[600], p[700];
    cJSON *j = export_run("scenarios/raft-leader-crash.json", "plots", "", dir, sizeof dir);
    static const char *const plots[] = {"latency", "latency_quantiles", "throughput", "protocol_series", NULL};
    for (int i = 0; plots[i]; i++) {
        char name[128];
        unsigned w, h;
        snprintf(name, sizeof name, "plots/%s.png", plots[i]);
        path_in(p, sizeof p, dir, name);
        png_size(p, &w, &h);
        assert_int_equal(w, 900);
        assert_int_equal(h, 500);
        size_t len;
        char *png = read_file(p, &len);
        if (len < 8000) fail_msg("%s is only %zu bytes: an empty plot?", name, len);
        free(png);
        snprintf(name, sizeof name, "plots/%s.svg", plots[i]);
        path_in(p, sizeof p, dir, name);
        char *svg = read_file(p, NULL);
        must_contain(svg, "<svg", name);
        must_contain(svg, "</svg>", name);
        free(svg);
        /* One gnuplot draws them all: each script starts from the defaults, so the
         * crash shaded on the latency plot is not drawn on the next one too. */
        snprintf(name, sizeof name, "plots/%s.gp", plots[i]);
        path_in(p, sizeof p, dir, name);
        char *gp = read_file(p, NULL);
        must_contain(gp, "\nreset\n", name);
        if (strcmp(plots[i], "latency_quantiles") == 0 && strstr(gp, "set object")) fail_msg("%s shades faults", name);
        free(gp);
    }
    /* The latency plot shades the crash (5s to 8s in this scenario). */
    path_in(p, sizeof p, dir, "plots/latency.gp");
    char *gp = read_file(p, NULL);
    must_contain(gp, "set object rect from 5, graph 0 to 8, graph 1", "latency.gp");
    free(gp);
    cJSON_Delete(j);
}

/* A stream scenario has no client operations: its latency plots have nothing to draw,
 * and say so, rather than failing the export. */
static void test_export_run_without_operations_still_draws_every_plot(void **state)
{
    (void)state;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0) { print_message("skipped: gnuplot is not installed\n"); skip(); }
    char dir[600], p[700];
    cJSON *j = export_run("scenarios/stream-vs-batch.json", "no-ops", "", dir, sizeof dir);
    assert_int_equal((long long)jnum(j, "ops.ok"), 0);
    path_in(p, sizeof p, dir, "plots/latency.png");
    unsigned w, h;
    png_size(p, &w, &h);
    path_in(p, sizeof p, dir, "plots/latency.gp");
    char *gp = read_file(p, NULL);
    must_contain(gp, "no operation completed ok in this run", "latency.gp");
    free(gp);
    table_t t;
    path_in(p, sizeof p, dir, "ops.csv");
    table_read(&t, p);
    assert_int_equal(t.n_rows, 1);
    table_free(&t);
    /* The stream's own series (consumer lag per partition) are columns of
     * timeseries.csv: at the last interval, the series' last sample. */
    path_in(p, sizeof p, dir, "timeseries.csv");
    table_read(&t, p);
    const cJSON *lag = cJSON_GetArrayItem(jget(j, "stream.lag"), 0);
    const cJSON *series = cJSON_GetObjectItem(lag, "series");
    assert_true(cJSON_IsArray(series) && cJSON_GetArraySize(series) > 0);
    const cJSON *last = cJSON_GetArrayItem(series, cJSON_GetArraySize(series) - 1);
    assert_true(real(t.rows[t.n_rows - 1][col(&t, "stream.lag.0")], "stream.lag.0") == cJSON_GetArrayItem(last, 1)->valuedouble);
    table_free(&t);
    cJSON_Delete(j);
}

/* Keys per node over time: a server that joins later holds keys only from then on, and
 * at the end each server's count is the one nodes.csv gives. */
static void test_export_timeseries_samples_keys_per_node(void **state)
{
    (void)state;
    char dir[600], p[700];
    cJSON *j = export_run("scenarios/shard-modn-join.json", "keys", "", dir, sizeof dir);
    table_t ts, n;
    path_in(p, sizeof p, dir, "timeseries.csv");
    table_read(&ts, p);
    path_in(p, sizeof p, dir, "nodes.csv");
    table_read(&n, p);
    int c_node = col(&n, "node"), c_keys = col(&n, "keys_held");
    for (size_t i = 1; i < n.n_rows; i++) {
        if (strcmp(n.rows[i][col(&n, "kind")], "server") != 0) continue;
        char name[64];
        snprintf(name, sizeof name, "keys_%s", n.rows[i][c_node]);
        assert_string_equal(ts.rows[ts.n_rows - 1][col(&ts, name)], n.rows[i][c_keys]);
    }
    /* n9 joins during the run: it starts with nothing. */
    assert_int_equal(num(ts.rows[1][col(&ts, "keys_n9")], "keys_n9"), 0);
    assert_true(num(ts.rows[ts.n_rows - 1][col(&ts, "keys_n9")], "keys_n9") > 0);
    table_free(&ts);
    table_free(&n);
    cJSON_Delete(j);
}

static void test_export_without_gnuplot_writes_scripts_and_says_how_to_render(void **state)
{
    (void)state;
    char dir[600], p[700];
    tmp_path(dir, sizeof dir, "nognuplot");
    setenv("DSIM_GNUPLOT", "", 1);
    cli_run_t r;
    run(&r, "run scenarios/echo.json --export '%s'", dir);
    unsetenv("DSIM_GNUPLOT");
    expect_status(&r, 0, "export without gnuplot");
    must_contain(r.err, "gnuplot is not installed", "stderr");
    must_contain(r.err, "for f in *.gp; do gnuplot \"$f\"; done", "stderr");
    path_in(p, sizeof p, dir, "plots/latency.gp");
    assert_true(exists(p));
    path_in(p, sizeof p, dir, "plots/latency.png");
    assert_false(exists(p));
    path_in(p, sizeof p, dir, "README.md");
    char *readme = read_file(p, NULL);
    must_contain(readme, "gnuplot was not installed", "README.md");
    free(readme);
    run_free(&r);
}

static void test_export_replaces_a_previous_bundle_and_refuses_anything_else(void **state)
{
    (void)state;
    char dir[600], p[700];
    cJSON *j1 = export_run("scenarios/echo.json", "again", "--seed 1", dir, sizeof dir);
    cJSON *j2 = export_run("scenarios/echo.json", "again", "--seed 2", dir, sizeof dir);
    path_in(p, sizeof p, dir, "summary.json");
    char *s = read_file(p, NULL);
    must_contain(s, "\"seed\":2", "the replaced bundle's summary.json");
    free(s);
    cJSON_Delete(j1);
    cJSON_Delete(j2);
    no_leftovers();

    /* A file, a directory dsim did not write, a symbolic link: refused, untouched. */
    char file[600], other[600], link[600];
    tmp_path(file, sizeof file, "notes.txt");
    write_text(file, "my notes\n");
    tmp_path(other, sizeof other, "mine");
    assert_int_equal(mkdir(other, 0755), 0);
    path_in(p, sizeof p, other, "keep.txt");
    write_text(p, "keep\n");
    tmp_path(link, sizeof link, "link");
    assert_int_equal(symlink(dir, link), 0);
    static const struct { const char *what, *found; } cases[] = {
        {"notes.txt", "found a file"}, {"mine", "found a directory dsim did not write"}, {"link", "found a symbolic link"},
    };
    for (int i = 0; i < 3; i++) {
        char target[600];
        tmp_path(target, sizeof target, cases[i].what);
        cli_run_t r;
        run(&r, "run scenarios/echo.json --export '%s'", target);
        expect_status(&r, 2, cases[i].what);
        must_contain(r.err, cases[i].found, "stderr");
        must_contain(r.err, "nothing was changed", "stderr");
        assert_int_equal(r.out_len, 0);
        run_free(&r);
    }
    s = read_file(file, NULL);
    assert_string_equal(s, "my notes\n");
    free(s);
    char names[256];
    list_dir(other, names, sizeof names);
    assert_string_equal(names, "keep.txt");
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    no_leftovers();
    /* Flags that need --export, and a bad interval. */
    cli_run_t r;
    run(&r, "run scenarios/echo.json --interval 1s");
    expect_status(&r, 2, "--interval without --export");
    must_contain(r.err, "--interval goes with --export DIR", "stderr");
    run_free(&r);
    run(&r, "run scenarios/echo.json --export '%s/iv' --interval 0s", tmpdir);
    expect_status(&r, 2, "--interval 0s");
    must_contain(r.err, "--interval: expected a duration above zero", "stderr");
    run_free(&r);
}

static void test_export_that_fails_leaves_nothing_half_written(void **state)
{
    (void)state;
    char dir[600], p[700];
    /* gnuplot that fails: the export fails, after writing most files into the
     * temporary directory, which must then be gone. */
    tmp_path(dir, sizeof dir, "failed");
    setenv("DSIM_GNUPLOT", "false", 1);
    cli_run_t r;
    run(&r, "run scenarios/echo.json --export '%s'", dir);
    expect_status(&r, 2, "export with a failing gnuplot");
    must_contain(r.err, "nothing was written", "stderr");
    run_free(&r);
    assert_false(exists(dir));
    no_leftovers();
    /* Over a previous bundle, a failed export keeps the previous one as it was. */
    unsetenv("DSIM_GNUPLOT");
    cJSON *j = export_run("scenarios/echo.json", "failed", "--seed 5", dir, sizeof dir);
    setenv("DSIM_GNUPLOT", "false", 1);
    run(&r, "run scenarios/echo.json --seed 6 --export '%s'", dir);
    unsetenv("DSIM_GNUPLOT");
    expect_status(&r, 2, "export with a failing gnuplot over a bundle");
    run_free(&r);
    path_in(p, sizeof p, dir, "summary.json");
    char *s = read_file(p, NULL);
    must_contain(s, "\"seed\":5", "the kept bundle's summary.json");
    free(s);
    no_leftovers();
    cJSON_Delete(j);
}

static void test_export_interrupted_run_leaves_nothing(void **state)
{
    (void)state;
    char dir[600], cmd[2048];
    tmp_path(dir, sizeof dir, "intr");
    /* A long run; interrupt it once its temporary directory exists. */
    snprintf(cmd, sizeof cmd,
             "'%s' run scenarios/quorum-r1w1-tail.json --set duration=300s --set workload.stop=300s --export '%s' "
             ">/dev/null 2>'%s.err' & pid=$!; "
             "while ! ls -d '%s'/.intr.tmp-* >/dev/null 2>&1; do sleep 0.01; done; sleep 0.1; "
             "kill -INT $pid; wait $pid; test $? -eq 130", dsim, dir, dir, tmpdir);
    fflush(NULL);
    if (system(cmd) != 0) fail_msg("the interrupted export did not end with status 130");
    char p[700];
    snprintf(p, sizeof p, "%s.err", dir);
    char *err = read_file(p, NULL);
    must_contain(err, "interrupted; --export", "stderr");
    must_contain(err, "nothing was written", "stderr");
    free(err);
    assert_false(exists(dir));
    no_leftovers();
}

/* Exporting only listens: the run is the one dsim run gives without --export. */
static void test_export_does_not_change_the_run(void **state)
{
    (void)state;
    static const char *const scenarios[] = {"scenarios/raft-leader-crash.json", "scenarios/gossip-nemesis.json",
                                            "scenarios/stream-vs-batch.json", NULL};
    for (int i = 0; scenarios[i]; i++) {
        char dir[600], name[32];
        snprintf(name, sizeof name, "same-%d", i);
        cJSON *a = export_run(scenarios[i], name, "", dir, sizeof dir);
        cli_run_t r;
        run(&r, "run %s --json", scenarios[i]);
        expect_status(&r, 0, "the plain run");
        cJSON *b = one_object(&r);
        assert_string_equal(cJSON_GetObjectItem(a, "trace_hash")->valuestring, cJSON_GetObjectItem(b, "trace_hash")->valuestring);
        cJSON_Delete(a);
        cJSON_Delete(b);
        run_free(&r);
    }
}

static void test_export_help_documents_every_flag(void **state)
{
    (void)state;
    cli_run_t r;
    run(&r, "help run");
    static const char *const flags[] = {"--export DIR", "--interval D", "--export-trace", "--set PATH=VALUE", NULL};
    for (int i = 0; flags[i]; i++) must_contain(r.out, flags[i], "dsim help run");
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_bundle_has_every_file_and_documents_every_column),
        cmocka_unit_test(test_export_ops_csv_matches_the_history),
        cmocka_unit_test(test_export_messages_nodes_and_timeseries_add_up_to_the_summary),
        cmocka_unit_test(test_export_history_edn_reads_back_with_dsim_check),
        cmocka_unit_test(test_export_is_deterministic),
        cmocka_unit_test(test_export_renders_each_plot_as_svg_and_png),
        cmocka_unit_test(test_export_run_without_operations_still_draws_every_plot),
        cmocka_unit_test(test_export_timeseries_samples_keys_per_node),
        cmocka_unit_test(test_export_without_gnuplot_writes_scripts_and_says_how_to_render),
        cmocka_unit_test(test_export_replaces_a_previous_bundle_and_refuses_anything_else),
        cmocka_unit_test(test_export_that_fails_leaves_nothing_half_written),
        cmocka_unit_test(test_export_interrupted_run_leaves_nothing),
        cmocka_unit_test(test_export_does_not_change_the_run),
        cmocka_unit_test(test_export_help_documents_every_flag),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
