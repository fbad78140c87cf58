/* cmd_run.c -- `dsim run`, `dsim validate` and `dsim list`. */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli/cli.h"
#include "check/runcheck.h"
#include "core/sim.h"
#include "export/export.h"
#include "scenario/override.h"
#include "check/visibility.h"
#include "core/afile.h"
#include "core/sim.h"
#include "export/trace_file.h"
#include "proto/plugin.h"
#include "run/sumtext.h"
#include "scenario/cond_load.h"

static int parse_seed(const char *cmd, const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-') return cli_usage_error(cmd, "--seed: expected a whole number such as 7, found \"%s\"", v);
    *out = (uint64_t)x;
    return 0;
}

static void print_recent(sim_t *s, const char *path, const char *seed_flag);

/* The lines about the protocol, under its name: the generic figures that apply to it
 * (staleness, leaders) and its own lines, read from the JSON summary. */
static void print_protocol(FILE *out, sim_t *s, const char *json)
{
    const scn_t *scn = sim_scenario(s);
    const sim_stats_t *st = sim_stats(s);
    const proto_t *p = sim_protocol(s);
    bool heading = false;
#define HEAD() do { if (!heading) { fprintf(out, "  %s\n", p->name); heading = true; } } while (0)
    if (scn->wl.clients && !(p->summary_omit & PROTO_OMIT_STALENESS)) {
        vis_result_t vr;
        if (scn->wl.n_probe) vis_compute_probes(sim_history(s), scn->wl.tvis_ns, scn->wl.n_tvis, &vr);
        else vis_compute(sim_history(s), scn->wl.tvis_ns, scn->wl.n_tvis, &vr);
        if (vr.reads) {
            char worst[32], t999[32];
            HEAD();
            fprintf(out, "    %-12s %" PRIu64 " of %" PRIu64 " register reads stale (%.2f%%), worst by %s; 99.9%% consistent after %s\n",
                    "stale reads", vr.stale, vr.reads, 100.0 * (double)vr.stale / (double)vr.reads,
                    sim_format_duration_short(vr.stale_max_ns, worst, sizeof worst),
                    sim_format_duration_short(vr.t_999_ns, t999, sizeof t999));
            /* One row per probe delay t: of the reads made t after a write was
             * acknowledged, the share that saw it (visibility.h). */
            for (uint32_t i = 0; i < vr.n_t; i++) {
                char t[32];
                fprintf(out, "    %-12s t=%-7s %5.1f%% of %" PRIu64 " reads %s\n", i ? "" : "visibility",
                        sim_format_duration_short(vr.t_ns[i], t, sizeof t), 100.0 * vis_row_p(&vr, i), vis_row_reads(&vr, i),
                        vr.per_delay ? "made t after a write saw it" : "consistent at t");
            }
        }
    }
    if (st->elections && !(p->summary_omit & PROTO_OMIT_LEADERS)) {
        char mean[32], q99[32], q999[32], worst[32];
        HEAD();
        fprintf(out, "    %-12s %" PRIu64 " elections, highest term %" PRId64 "; %" PRIu64 " intervals without a leader",
                "leaders", st->elections, st->max_term, st->leaderless.n);
        /* The tail is what an operator plans for: one long outage in a thousand is
         * invisible in the mean. */
        if (st->leaderless.n)
            fprintf(out, " (mean %s, p99 %s, p99.9 %s, longest %s)",
                    sim_format_duration_short((sim_time_t)(st->leaderless.sum / (double)st->leaderless.n), mean, sizeof mean),
                    sim_format_duration_short(sim_leaderless_quantile(s, 0.99), q99, sizeof q99),
                    sim_format_duration_short(sim_leaderless_quantile(s, 0.999), q999, sizeof q999),
                    sim_format_duration_short(sim_leaderless_quantile(s, 1.0), worst, sizeof worst));
        fprintf(out, "\n");
    }
    static sumtext_t t;     /* 20 KB: not on the stack */
    if (p->summary_lines && json && sumtext_render(json, p->summary_lines, &t) == SIM_OK)
        for (uint32_t i = 0; i < t.n; i++) {
            HEAD();
            fprintf(out, "    %-12s %s\n", t.label[i], t.text[i]);
        }
#undef HEAD
}

static void print_human(FILE *out, sim_t *s, double wall, const char *json)
{
    const sim_stats_t *st = sim_stats(s);
    const scn_t *scn = sim_scenario(s);
    char d[32], p50[32], p90[32], p99[32], mx[32];
    uint64_t dropped = 0;
    for (int r = 0; r < DROP_COUNT_; r++) dropped += st->dropped[r];
    fprintf(out, "%s: %s, %u nodes, %u clients, seed %" PRIu64 "\n", scn->name, sim_protocol(s)->name,
            scn->n_servers, scn->wl.clients, sim_seed(s));
    fprintf(out, "  simulated   %s in %.3fs of wall time, %" PRIu64 " events\n",
            sim_format_duration(sim_time(s), d, sizeof d), wall, st->events);
    fprintf(out, "  messages    %" PRIu64 " sent, %" PRIu64 " delivered, %" PRIu64 " dropped "
            "(loss %" PRIu64 ", partition %" PRIu64 ", crash %" PRIu64 ", unreachable %" PRIu64 "), %" PRIu64 " duplicated\n",
            st->sent, st->delivered, dropped, st->dropped[DROP_LOSS], st->dropped[DROP_PARTITION],
            st->dropped[DROP_CRASH], st->dropped[DROP_UNREACHABLE], st->duplicated);
    if (st->ops_invoked || scn->wl.clients) {
        fprintf(out, "  operations  %" PRIu64 " invoked: %" PRIu64 " ok, %" PRIu64 " fail, %" PRIu64 " info (unknown)",
                st->ops_invoked, st->ops_ok, st->ops_fail, st->ops_info);
        if (st->ops_shed) fprintf(out, ", %" PRIu64 " shed", st->ops_shed);
        fprintf(out, "\n");
        fprintf(out, "  latency     p50 %s, p90 %s, p99 %s, max %s\n",
                sim_format_duration_short(sim_latency_quantile(s, 0.5), p50, sizeof p50),
                sim_format_duration_short(sim_latency_quantile(s, 0.9), p90, sizeof p90),
                sim_format_duration_short(sim_latency_quantile(s, 0.99), p99, sizeof p99),
                sim_format_duration_short(sim_latency_quantile(s, 1.0), mx, sizeof mx));
    }
    if (scn->wl.clients && st->ops_in_partition)
        fprintf(out, "  available   %.1f%% of the %" PRIu64 " operations invoked during partitions succeeded\n",
                100.0 * (double)st->ok_in_partition / (double)st->ops_in_partition, st->ops_in_partition);
    if (st->crashes || st->partitions)
        fprintf(out, "  faults      %" PRIu64 " crashes, %" PRIu64 " restarts, %" PRIu64 " partitions\n",
                st->crashes, st->restarts, st->partitions);
    if (sim_history_dropped(s))
        fprintf(out, "  history     %" PRIu64 " events; the first %" PRIu32 " kept in memory judge staleness and the checks "
                "(--history FILE gets them all)\n", sim_history(s)->n_ev + sim_history_dropped(s), sim_history(s)->n_ev);
    print_protocol(out, s, json);
    fprintf(out, "  trace hash  %016" PRIx64 "\n", sim_trace_hash(s));
}

static void print_violation(sim_t *s, const char *path, const char *seed_flag)
{
    sim_time_t when = 0;
    const sim_violation_t *v = sim_violation(s, &when);
    char t[32];
    fprintf(stderr, "\ninvariant violated: %s at t=%s\n  %s\n  nodes:", v->name,
            sim_format_duration(when, t, sizeof t), v->detail);
    for (int i = 0; i < v->n_nodes; i++) {
        sim_node_info_t ni;
        sim_node_info(s, v->nodes[i], &ni);
        fprintf(stderr, " %s", ni.name);
    }
    fprintf(stderr, "\n");
    print_recent(s, path, seed_flag);
}

/* A plug-in's callback crashed or hung: where, when, what led there, and how to see
 * it again (the run is deterministic, so the replay crashes at the same event). */
static void print_fault(sim_t *s, const char *path)
{
    const sim_fault_t *f = sim_fault(s);
    char t[32];
    fprintf(stderr, "\nthe protocol %s crashed: %s\n  in %s", sim_protocol(s)->name, f->what, f->callback);
    if (f->node >= 0) fprintf(stderr, " of node %s", sim_name_of(s, (uint32_t)f->node));
    fprintf(stderr, " at t=%s, handling %s\n", sim_format_duration(f->t, t, sizeof t), f->event);
    if (f->signal == SIGALRM)
        fprintf(stderr, "  (the callback ran for more than %s of wall-clock time; --watchdog changes the limit)\n",
                sim_format_duration(plugin_watchdog(), t, sizeof t));
    if (plugin_path(sim_protocol(s))) fprintf(stderr, "  plug-in: %s\n", plugin_path(sim_protocol(s)));
    print_recent(s, path, "");
    fprintf(stderr, "  debug: gdb --args dsim run %s --seed %" PRIu64 "%s --watchdog 0s\n", path, sim_seed(s), cli_plugin_args);
}

static void print_recent(sim_t *s, const char *path, const char *seed_flag)
{
    trace_rec_t last[SIM_RECENT];
    uint32_t n = sim_recent(s, last, SIM_RECENT);
    if (n) fprintf(stderr, "  the last %u events before it:\n", n);
    else fprintf(stderr, "  no events before it\n");
    jw_t w;
    jw_init(&w, false);
    for (uint32_t i = 0; i < n; i++) {
        jw_reset(&w);
        trace_format(s, &last[i], &w);
        fprintf(stderr, "    %s\n", w.buf);
    }
    jw_free(&w);
    fprintf(stderr, "  replay: dsim run %s --seed %" PRIu64 " --trace trace.jsonl%s%s\n", path, sim_seed(s), seed_flag,
            cli_plugin_args);
}

/* The scenario's expectations ("check": {"expect": [...]}), judged once the run has
 * ended: each is a condition that must hold then. */
typedef struct expects {
    uint32_t n, failed;
    bool holds[SCN_EXPECT_MAX];
    bool metric[SCN_EXPECT_MAX];        /* a comparison of a summary number: value is it */
    bool known[SCN_EXPECT_MAX];         /* ... and the summary has that number */
    double value[SCN_EXPECT_MAX];
    char what[SCN_EXPECT_MAX][COND_PATH_MAX + 48];
} expects_t;

static void expects_run(sim_t *s, const char *file, expects_t *x)
{
    const scn_t *scn = sim_scenario(s);
    memset(x, 0, sizeof *x);
    static cond_t c;
    for (uint32_t i = 0; i < scn->check.n_expect; i++) {
        char err[512];
        x->n++;
        /* The loader read the same text before the run, so this cannot fail. */
        if (cond_parse(scn->check.expect[i], file, scn, &c, err, sizeof err) != SIM_OK) {
            snprintf(x->what[i], sizeof x->what[i], "%s", scn->check.expect[i]);
            x->failed++;
            continue;
        }
        cond_arm(&c);
        x->holds[i] = cond_holds(&c, s);
        if (c.n[0].kind == COND_METRIC) {
            x->metric[i] = true;
            x->known[i] = c.n[0].metric_known;
            x->value[i] = c.n[0].value_now;
            snprintf(x->what[i], sizeof x->what[i], "%s %s %g", c.n[0].path, cond_cmp_names[c.n[0].cmp], c.n[0].value);
        } else {
            snprintf(x->what[i], sizeof x->what[i], "%s", scn->check.expect[i]);
        }
        if (!x->holds[i]) x->failed++;
    }
}

static void expects_write(const expects_t *x, jw_t *w)
{
    jw_key(w, "expect");
    jw_arr_begin(w);
    for (uint32_t i = 0; i < x->n; i++) {
        jw_obj_begin(w);
        jw_kstr(w, "condition", x->what[i]);
        jw_kbool(w, "holds", x->holds[i]);
        if (x->metric[i]) {
            jw_key(w, "value");
            if (x->known[i]) jw_real(w, x->value[i]);
            else jw_null(w);
        }
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

static void expects_print(const expects_t *x, FILE *out)
{
    for (uint32_t i = 0; i < x->n; i++) {
        if (x->holds[i]) {
            fprintf(out, "  check       expect %s: ok", x->what[i]);
            if (x->metric[i]) fprintf(out, " (%g)", x->value[i]);
            fprintf(out, "\n");
        } else if (x->metric[i] && !x->known[i]) {
            fprintf(out, "  check       expect %s: FAILED: the summary has no such number\n", x->what[i]);
        } else if (x->metric[i]) {
            fprintf(out, "  check       expect %s: FAILED: it is %g\n", x->what[i], x->value[i]);
        } else {
            fprintf(out, "  check       expect %s: FAILED: it did not hold at the end\n", x->what[i]);
        }
    }
}

typedef struct check_out { sim_t *s; runcheck_t *r; const expects_t *x; } check_out_t;

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void write_checks(void *ud, jw_t *w)
{
    check_out_t *c = ud;
    if (!c->r->any && !c->x->n) return;
    jw_key(w, "check");
    jw_obj_begin(w);
    runcheck_write(c->r, w);
    if (c->x->n) expects_write(c->x, w);
    jw_obj_end(w);
}

/* ---- Two scenarios side by side. ---------------------------------------------------- */

#define PAIR_STEP_NS (10 * SIM_MS)      /* the shared clock advances both runs this much at a time */

typedef struct side {
    const char *path;
    scn_t scn;
    sim_t *s;
    double wall;
    runcheck_t checks;
    expects_t ex;
    jw_t w;
    char *text;                 /* the human summary */
    size_t text_len;
    int rc;
} side_t;

/* The terminal's width for the two columns: $COLUMNS, else 120 (a file or a pipe). */
static int pair_width(void)
{
    const char *c = getenv("COLUMNS");
    int w = c ? atoi(c) : 0;
    return w >= 80 ? (w > 400 ? 400 : w) : 120;
}

/* Wraps one line into rows of at most width columns, at spaces, continuations
 * indented under the line's text. Returns the rows written. */
static int wrap_line(const char *l, size_t len, int width, char rows[][256], int max)
{
    size_t indent = strspn(l, " ");
    size_t cont = indent + 2 < (size_t)width / 2 ? indent + 2 : 2;
    int n = 0;
    size_t at = 0;
    if (len == 0 && max > 0) { rows[0][0] = 0; return 1; }
    while (at < len && n < max) {
        size_t lead = n ? cont : 0, room = (size_t)width - lead, take = len - at;
        if (take > room) {
            size_t sp = room;
            while (sp > room / 2 && l[at + sp] != ' ') sp--;
            take = l[at + sp] == ' ' ? sp : room;
        }
        snprintf(rows[n++], 256, "%*s%.*s", (int)lead, "", (int)take, l + at);
        at += take;
        while (at < len && l[at] == ' ') at++;
    }
    return n;
}

#define PAIR_LINES_MAX 128

/* A summary's lines, and for each the key it is matched by across the two columns:
 * its indentation and first word ("  latency", "    t=10ms"). */
typedef struct lines { int n; const char *at[PAIR_LINES_MAX]; size_t len[PAIR_LINES_MAX]; char key[PAIR_LINES_MAX][40]; } lines_t;

static void split_lines(const char *text, lines_t *L)
{
    L->n = 0;
    for (const char *l = text; *l && L->n < PAIR_LINES_MAX;) {
        size_t len = strcspn(l, "\n"), ind = strspn(l, " "), w = strcspn(l + ind, " \n");
        L->at[L->n] = l;
        L->len[L->n] = len;
        /* A line of one word is a protocol's heading: headings face each other. */
        if (ind + w == len) snprintf(L->key[L->n], sizeof L->key[0], "%zu (heading)", ind);
        else snprintf(L->key[L->n], sizeof L->key[0], "%zu %.*s", ind, (int)(w < 30 ? w : 30), l + ind);
        L->n++;
        l += len + (l[len] == '\n');
    }
}

/* Prints two summaries in two columns, lines about the same thing side by side: the
 * lines are matched by their keys (a longest common subsequence; the first lines, the
 * scenarios' names, always match), and a line only one side has faces a blank. */
static void print_columns(const char *a, const char *b, int width)
{
    static lines_t A, B;
    static unsigned short lcs[PAIR_LINES_MAX + 1][PAIR_LINES_MAX + 1];
    split_lines(a, &A);
    split_lines(b, &B);
    for (int i = A.n; i >= 0; i--)
        for (int j = B.n; j >= 0; j--)
            lcs[i][j] = i == A.n || j == B.n ? 0
                      : (i == 0 && j == 0) || strcmp(A.key[i], B.key[j]) == 0 ? (unsigned short)(lcs[i + 1][j + 1] + 1)
                      : lcs[i + 1][j] > lcs[i][j + 1] ? lcs[i + 1][j] : lcs[i][j + 1];
    int col = (width - 3) / 2;
    static char ra[16][256], rb[16][256];
    for (int i = 0, j = 0; i < A.n || j < B.n;) {
        int na = 0, nb = 0;
        bool match = i < A.n && j < B.n && ((i == 0 && j == 0) || strcmp(A.key[i], B.key[j]) == 0);
        if (match || (i < A.n && (j == B.n || lcs[i + 1][j] >= lcs[i][j + 1]))) { na = wrap_line(A.at[i], A.len[i], col, ra, 16); i++; }
        if (match || (j < B.n && na == 0)) { nb = wrap_line(B.at[j], B.len[j], col, rb, 16); j++; }
        for (int r = 0; r < na || r < nb; r++) {
            const char *x = r < na ? ra[r] : "", *y = r < nb ? rb[r] : "";
            if (*y) printf("%-*s | %s\n", col, x, y);
            else printf("%-*s |\n", col, x);
        }
    }
}

static int side_load(side_t *sd, const sim_opts_t *o)
{
    char err[1024];
    if (scn_load_file(sd->path, &sd->scn, err, sizeof err) != SIM_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    sd->s = sim_create(&sd->scn, o, err, sizeof err);
    if (!sd->s) {
        fprintf(stderr, "%s: %s\n", sd->path, err);
        scn_free(&sd->scn);
        return 2;
    }
    return 0;
}

/* Finishes one side: its checks, its JSON summary and its human summary. */
static void side_finish(side_t *sd)
{
    sim_t *s = sd->s;
    sim_finish(s);
    runcheck_run(s, &sd->checks);
    expects_run(s, sd->path, &sd->ex);
    jw_init(&sd->w, false);
    check_out_t co = {s, &sd->checks, &sd->ex};
    sim_write_summary_with(s, &sd->w, sd->wall, write_checks, &co);
    FILE *m = open_memstream(&sd->text, &sd->text_len);
    if (m) {
        print_human(m, s, sd->wall, sd->w.buf);
        runcheck_print(sim_history(s), &sd->checks, m);
        expects_print(&sd->ex, m);
        fclose(m);
    }
    sd->rc = sd->checks.failed || sd->ex.failed ? 1 : 0;
    if (sim_error(s)) sd->rc = 2;
    else if (sim_violation(s, NULL)) sd->rc = 3;
}

/* `dsim run A.json B.json`: both scenarios on one clock, their summaries side by side.
 * Each run is exactly the run it would be alone (same seed, same trace hash): the
 * shared clock only decides the order in which their events are computed, which is
 * what a window showing both needs; here it makes the two comparable moment by moment
 * when one of them stops early on a violation. */
static int cmd_run_pair(const char *a, const char *b, const sim_opts_t *o, bool json)
{
    static side_t sd[2];
    memset(sd, 0, sizeof sd);
    sd[0].path = a;
    sd[1].path = b;
    if (side_load(&sd[0], o)) return 2;
    if (side_load(&sd[1], o)) { sim_destroy(sd[0].s); scn_free(&sd[0].scn); return 2; }
    sim_time_t end = sim_end(sd[0].s) > sim_end(sd[1].s) ? sim_end(sd[0].s) : sim_end(sd[1].s);
    for (sim_time_t t = 0; t < end;) {
        t = t + PAIR_STEP_NS < end ? t + PAIR_STEP_NS : end;
        for (int k = 0; k < 2; k++) {
            double t0 = cli_wall_seconds();
            sim_run_until(sd[k].s, t);
            sd[k].wall += cli_wall_seconds() - t0;
        }
    }
    for (int k = 0; k < 2; k++) side_finish(&sd[k]);
    if (json) {
        /* One line: a JSON list of the two summaries, in the order given. */
        printf("[%s,%s]\n", sd[0].w.buf, sd[1].w.buf);
    } else {
        print_columns(sd[0].text ? sd[0].text : "", sd[1].text ? sd[1].text : "", pair_width());
    }
    int rc = 0;
    for (int k = 0; k < 2; k++) {
        if (sim_error(sd[k].s)) fprintf(stderr, "%s: the run stopped: %s\n", sd[k].path, sim_error(sd[k].s));
        else if (sim_violation(sd[k].s, NULL)) print_violation(sd[k].s, sd[k].path, "");
        /* The worse of the two: bad input, then a violated invariant, then a check. */
        int r = sd[k].rc;
        if (r == 2 || (r == 3 && rc != 2) || (r == 1 && rc == 0)) rc = r;
        runcheck_free(&sd[k].checks);
        jw_free(&sd[k].w);
        free(sd[k].text);
        sim_destroy(sd[k].s);
        scn_free(&sd[k].scn);
    }
    return rc;
}

int cmd_run(int argc, char **argv)
{
    static const cli_flag_t flags[] = {
        {"--seed", true}, {"--json", false}, {"--trace", true}, {"--history", true},
        {"--duration", true}, {"--no-invariants", false}, {"--export", true}, {"--interval", true},
        {"--export-trace", false}, {NULL, false},
    };
    const char *val[10] = {0}, *pos[2];
    int npos;
    /* The command line as given, for the export's README. */
    char command[1024] = "dsim";
    for (int i = 0; i < argc; i++) {
        size_t used = strlen(command);
        snprintf(command + used, sizeof command - used, " %s", argv[i]);
    }
    const char *sets[SCN_SETS_MAX];
    uint32_t n_sets;
    char serr[512];
    if (scn_take_sets(&argc, argv, sets, &n_sets, serr, sizeof serr) != SIM_OK) return cli_usage_error("run", "%s", serr);
    if (cli_parse("run", argc, argv, flags, val, pos, &npos, 2) != SIM_OK) return 2;
    if (npos < 1) return cli_usage_error("run", "expected one scenario file, such as scenarios/echo.json, or two to run side by side");
    sim_opts_t o = {0};
    if (val[0]) { if (parse_seed("run", val[0], &o.seed)) return 2; o.seed_set = true; }
    if (val[4] && (sim_parse_duration(val[4], false, &o.duration_ns) != SIM_OK || o.duration_ns <= 0))
        return cli_usage_error("run", "--duration: expected a duration such as \"10s\", found \"%s\"", val[4]);
    o.no_invariants = val[5] != NULL;
    bool json = val[1] != NULL;
    exp_opts_t eo = {.dir = val[6], .trace = val[8] != NULL, .command = command};
    if (!val[6] && (val[7] || val[8])) return cli_usage_error("run", "%s goes with --export DIR", val[7] ? "--interval" : "--export-trace");
    if (val[6] && !val[6][0]) return cli_usage_error("run", "--export: expected a directory name such as out/, found \"\"");
    if (val[7] && (sim_parse_duration(val[7], false, &eo.interval_ns) != SIM_OK || eo.interval_ns <= 0))
        return cli_usage_error("run", "--interval: expected a duration above zero such as \"100ms\", found \"%s\"", val[7]);
    if (npos == 2) {
        if (val[2] || val[3] || val[6])
            return cli_usage_error("run", "%s: write a trace, a history or an export of one scenario at a time",
                                   val[2] ? "--trace" : val[3] ? "--history" : "--export");
        if (n_sets) return cli_usage_error("run", "--set: change one scenario at a time (run A.json B.json compares them as written)");
        return cmd_run_pair(pos[0], pos[1], &o, json);
    }

    char err[1024];
    scn_t scn;
    if (scn_load_file_with_sets(pos[0], sets, n_sets, &scn, err, sizeof err) != SIM_OK) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    exp_t *x = NULL;
    if (val[6]) {
        x = exp_create(&scn, &eo, err, sizeof err);
        if (!x) {
            fprintf(stderr, "dsim run: %s\n", err);
            scn_free(&scn);
            return 2;
        }
        o.trace = exp_trace;
        o.trace_ud = x;
    }
    sim_t *s = sim_create(&scn, &o, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s: %s\n", pos[0], err);
        exp_destroy(x);
        scn_free(&scn);
        return 2;
    }
    if (x && exp_attach(x, s, err, sizeof err) != SIM_OK) {
        fprintf(stderr, "dsim run: %s\n", err);
        exp_destroy(x);
        sim_destroy(s);
        scn_free(&scn);
        return 2;
    }
    /* Every output is checked before the run, so a mistake in a path costs nothing and
     * a run that fails with status 2 has printed nothing. */
    static const char *const out_flags[2] = {"--trace", "--history"};
    for (int k = 0; k < 2; k++) {
        char why[AFILE_PATH_MAX + 160];
        if (val[2 + k] && afile_check(val[2 + k], why, sizeof why) != SIM_OK) {
            fprintf(stderr, "dsim run: %s: %s\n", out_flags[k], why);
            sim_destroy(s);
            scn_free(&scn);
            return 2;
        }
    }
    trace_file_t *tf = NULL;
    if (val[2]) {
        tf = trace_file_open(val[2], s);
        if (!tf) {
            fprintf(stderr, "dsim run: --trace: cannot write %s: %s\n", val[2], strerror(errno));
            exp_destroy(x);
            sim_destroy(s);
            scn_free(&scn);
            return 2;
        }
        if (x) exp_chain(x, trace_file_write, tf);
        else sim_set_trace(s, trace_file_write, tf);
    }
    /* The history goes to its file as it happens: memory keeps only a bounded prefix. */
    afile_t hf;
    if (val[3]) {
        if (afile_open(&hf, val[3]) != SIM_OK) {
            fprintf(stderr, "dsim run: --history: %s\n", hf.why);
            trace_file_close(tf, false);
            sim_destroy(s);
            scn_free(&scn);
            return 2;
        }
        sim_set_history_stream(s, hf.f);
    }
    double t0 = cli_wall_seconds();
    if (x) {
        /* An export is written only when the run is over: Ctrl-C during the run stops
         * it and removes the temporary directory, so nothing is left half-written. The
         * run goes in slices of one timeseries interval, to look at the flag and to let
         * the export sample what nodes hold; that changes nothing in the run (the
         * trace hash is the same as sim_run's). */
        struct sigaction sa = {0};
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sim_time_t step = exp_interval(x);
        for (sim_time_t t = step; !interrupted && !sim_stopped(s); t += step) {
            sim_time_t until = t < sim_end(s) ? t : sim_end(s);
            sim_run_until(s, until);
            exp_sample(x, s);
            if (until == sim_end(s)) break;
        }
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        if (interrupted) {
            fprintf(stderr, "dsim run: interrupted; --export %s: nothing was written\n", val[6]);
            if (tf) trace_file_close(tf, false);
            exp_destroy(x);
            sim_destroy(s);
            scn_free(&scn);
            return 130;
        }
    }
    sim_run(s);
    double wall = cli_wall_seconds() - t0;
    if (x) exp_chain(x, NULL, NULL);   /* the --trace file closes next */
    int rc = 0;
    if (tf && trace_file_close(tf, true) != SIM_OK) {
        fprintf(stderr, "dsim run: --trace: could not write %s completely; nothing was written\n", val[2]);
        rc = 2;
    }
    if (val[3]) sim_set_history_stream(s, NULL);
    if (val[3] && afile_commit(&hf) != SIM_OK) {
        fprintf(stderr, "dsim run: --history: could not write %s; nothing was written\n", val[3]);
        rc = 2;
    }
    if (rc == 2) {
        /* Exit 2 means nothing on stdout: the summary of a run whose outputs failed
         * would read as a success to a script. */
        sim_destroy(s);
        scn_free(&scn);
        return rc;
    }
    runcheck_t checks;
    runcheck_run(s, &checks);
    static expects_t ex;
    expects_run(s, pos[0], &ex);
    /* The JSON summary is written either way: the human summary reads the protocol's
     * lines from it, so the two never disagree; an export keeps it as summary.json. */
    jw_t w;
    jw_init(&w, false);
    check_out_t co = {s, &checks, &ex};
    sim_write_summary_with(s, &w, wall, write_checks, &co);
    jw_newline(&w);
    char note[1024] = "";
    bool exported = false;
    if (x) {
        if (exp_commit(x, s, w.buf, err, sizeof err, note, sizeof note) != SIM_OK) {
            fprintf(stderr, "dsim run: %s; nothing was written\n", err);
            rc = 2;
        } else {
            exported = true;
        }
    }
    if (json) {
        jw_flush(&w, stdout);
    } else {
        print_human(stdout, s, wall, w.buf);
        runcheck_print(sim_history(s), &checks, stdout);
        expects_print(&ex, stdout);
        if (exported) printf("  export      %s: summary.json, README.md, ops.csv, messages.csv, nodes.csv, timeseries.csv,\n"
                             "              lamport.svg, shiviz.log, history.edn%s, plots/\n", val[6], eo.trace ? ", trace.jsonl" : "");
    }
    if (note[0]) fputs(note, stderr);
    jw_free(&w);
    exp_destroy(x);
    if ((checks.failed || ex.failed) && rc == 0) rc = 1;
    runcheck_free(&checks);
    if (sim_fault(s)) {
        print_fault(s, pos[0]);
        rc = 4;
    } else if (sim_error(s)) {
        fprintf(stderr, "%s: the run stopped: %s\n", pos[0], sim_error(s));
        rc = 2;
    } else if (sim_violation(s, NULL)) {
        print_violation(s, pos[0], "");
        rc = 3;
    }
    sim_destroy(s);
    scn_free(&scn);
    return rc;
}

int cmd_validate(int argc, char **argv)
{
    const char *sets[SCN_SETS_MAX];
    uint32_t n_sets;
    char serr[512];
    if (scn_take_sets(&argc, argv, sets, &n_sets, serr, sizeof serr) != SIM_OK) return cli_usage_error("validate", "%s", serr);
    if (argc < 2) return cli_usage_error("validate", "expected one or more scenario files");
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-') return cli_usage_error("validate", "unknown flag %s", argv[i]);
        char err[1024], d[32];
        scn_t scn;
        if (scn_load_file_with_sets(argv[i], sets, n_sets, &scn, err, sizeof err) != SIM_OK) {
            fprintf(stderr, "%s\n", err);
            rc = 2;
            continue;
        }
        printf("%s: ok: %s, %s, %u nodes, %u clients, %s, %u faults, %u nemeses\n", argv[i], scn.name,
               scn.proto->name, scn.n_servers, scn.wl.clients, sim_format_duration(scn.duration_ns, d, sizeof d),
               scn.n_faults, scn.n_nemeses);
        scn_free(&scn);
    }
    return rc;
}

static const char *param_type_name(proto_param_type_t t)
{
    switch (t) {
    case PROTO_PARAM_INT: return "integer";
    case PROTO_PARAM_REAL: return "number";
    case PROTO_PARAM_DURATION: return "duration";
    case PROTO_PARAM_DURATION_RANGE: return "[duration, duration]";
    case PROTO_PARAM_BOOL: return "true|false";
    case PROTO_PARAM_ENUM: return "choice";
    case PROTO_PARAM_PATH: return "path";
    case PROTO_PARAM_STRINGS: return "[string, ...]";
    }
    return "?";
}

int cmd_list(int argc, char **argv)
{
    static const char *const what[] = {"protocols", "nemeses", "distributions", "topologies", "actions", NULL};
    if (argc != 2) return cli_usage_error("list", "expected what to list: protocols, nemeses, distributions, topologies or actions");
    const char *w = argv[1];
    if (strcmp(w, "protocols") == 0) {
        /* With --plugin, the plug-ins alone: that is what was asked about. */
        uint32_t n = cli_n_plugins ? (uint32_t)cli_n_plugins : proto_count();
        for (uint32_t i = 0; i < n; i++) {
            const proto_t *p = cli_n_plugins ? cli_plugins[i] : proto_at(i);
            printf("%s\n    %s\n", p->name, p->purpose ? p->purpose : "");
            if (p->msg_types && p->msg_types[0]) {
                printf("    messages:");
                for (int k = 0; p->msg_types[k]; k++) printf(" %s", p->msg_types[k]);
                printf("\n");
            }
            for (int k = 0; p->params && p->params[k].name; k++) {
                const proto_param_t *pp = &p->params[k];
                printf("    %-18s %s (default %s%s%s)\n        %s\n", pp->name, param_type_name(pp->type), pp->def,
                       pp->type == PROTO_PARAM_ENUM ? "; one of " : "", pp->type == PROTO_PARAM_ENUM ? pp->choices : "", pp->help);
            }
            printf("\n");
        }
        return 0;
    }
    if (strcmp(w, "nemeses") == 0) {
        printf("random-partitions  every, duration [, start, stop]\n"
               "    every `every`, cut the servers into a random minority and majority for `duration`\n"
               "random-crashes     mttf, mttr [, start, stop]\n"
               "    each server crashes after Exp(mttf) and restarts after Exp(mttr)\n"
               "crash-leader       at or every [, restart_after, start, stop]\n"
               "    crash the current leader (leader, primary, head or coordinator)\n"
               "isolate-leader     at or every, duration [, start, stop]\n"
               "    cut the current leader off from the other servers for `duration`\n");
        return 0;
    }
    if (strcmp(w, "distributions") == 0) {
        printf("\"5ms\"                                       constant\n"
               "{\"dist\": \"constant\", \"value\": \"1ms\"}\n"
               "{\"dist\": \"uniform\", \"min\": \"10ms\", \"max\": \"15ms\"}\n"
               "{\"dist\": \"normal\", \"mean\": \"5ms\", \"sd\": \"1ms\"}         truncated at zero\n"
               "{\"dist\": \"exponential\", \"mean\": \"2ms\"}\n"
               "{\"dist\": \"lognormal\", \"median\": \"3ms\", \"sigma\": 0.5}\n"
               "{\"dist\": \"pareto\", \"xm\": \"0.235ms\", \"alpha\": 10}\n"
               "{\"dist\": \"mixture\", \"of\": [{\"weight\": 0.9, \"dist\": ...}, {\"weight\": 0.1, \"dist\": ...}]}\n"
               "every form also takes \"offset\": a fixed duration added to each draw\n");
        return 0;
    }
    if (strcmp(w, "topologies") == 0) {
        printf("mesh (default), ring, line, star {\"center\"}, grid {\"width\"}, tree {\"arity\"},\n"
               "edges {\"edges\": [[\"n1\", \"n2\"], ...]}; clients reach every server whatever the topology\n");
        return 0;
    }
    if (strcmp(w, "actions") == 0) {
        printf("{\"at\": \"5s\", \"crash\": \"n3\"}        {\"at\": \"8s\", \"restart\": \"n3\"}\n"
               "{\"at\": \"5s\", \"pause\": \"n3\"}        {\"at\": \"8s\", \"resume\": \"n3\"}\n"
               "{\"at\": \"5s\", \"partition\": [[\"n1\", \"n2\"], [\"n3\", \"n4\", \"n5\"]], \"oneway\": false}\n"
               "{\"at\": \"9s\", \"heal\": true}          {\"at\": \"5s\", \"isolate\": \"n1\"}\n"
               "{\"at\": \"5s\", \"link\": {\"from\": \"n1\", \"to\": \"n2\", \"latency\": \"200ms\", \"loss\": 0.5}}\n"
               "{\"at\": \"5s\", \"network\": {\"loss\": 0.1}}\n"
               "{\"at\": \"5s\", \"clock\": \"n2\", \"skew\": \"-300ms\", \"drift\": 0.001}\n"
               "{\"at\": \"5s\", \"request\": {\"client\": \"c1\", \"node\": \"n1\", \"f\": \"write\", \"key\": 0, \"value\": 5}}\n");
        return 0;
    }
    const char *s = scn_suggest(w, what);
    if (s) return cli_usage_error("list", "nothing called \"%s\"; did you mean \"%s\"?", w, s);
    return cli_usage_error("list", "nothing called \"%s\"; expected protocols, nemeses, distributions, topologies or actions", w);
}
