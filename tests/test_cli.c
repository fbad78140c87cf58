/* test_cli.c -- the dsim program end to end: exit codes, what goes to stdout and
 * stderr, and the files it writes.
 *
 * The program under test is $DSIM (default build/dsim), run through the shell from
 * the repository root, so scenarios/ resolves. Outputs that are meant for programs
 * (--json, --trace, --history, bench) are parsed with cJSON and cross-checked against
 * each other: counts in the trace must match the summary, and so on, which is what
 * would break if one of them drifted. Runs are deterministic, so two runs with the
 * same seed must agree byte for byte (apart from wall-clock figures).
 */
#include <glob.h>
#include "cli_support.h"

typedef cli_run_t run_t;

/* ---- Reading what it wrote (beyond cli_support.h). ---------------------------------- */

/* A whole number of zero or more. */
static uint64_t jcount(const cJSON *root, const char *dotted)
{
    double d = jnum(root, dotted);
    if (!(d >= 0) || d != (double)(uint64_t)d) fail_msg("expected a whole count at %s, found %g", dotted, d);
    return (uint64_t)d;
}

static const char *jstr(const cJSON *root, const char *dotted)
{
    const cJSON *v = jget(root, dotted);
    if (!cJSON_IsString(v)) fail_msg("expected a string at %s", dotted);
    return v->valuestring;
}

static bool is_hex16(const char *s)
{
    if (strlen(s) != 16) return false;
    for (int i = 0; i < 16; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

/* Runs a scenario with --json plus extra flags and returns the parsed summary. */
static cJSON *run_json(const char *scenario, const char *extra)
{
    run_t r;
    run(&r, "run %s --json %s", scenario, extra);
    char what[256];
    snprintf(what, sizeof what, "dsim run %s --json %s", scenario, extra);
    expect_status(&r, 0, what);
    cJSON *j = one_object(&r);
    run_free(&r);
    return j;
}

/* Calls fn for each line of a JSON-lines file, parsed; fails on a line that is not an
 * object. Returns the number of lines. */
static size_t each_line(const char *path, void (*fn)(void *ud, const cJSON *o), void *ud)
{
    size_t len, n = 0;
    char *text = read_file(path, &len);
    if (len > 0 && text[len - 1] != '\n') { free(text); fail_msg("%s does not end with a newline", path); }
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        *nl = 0;
        cJSON *o = cJSON_ParseWithOpts(line, NULL, 1);
        if (!cJSON_IsObject(o)) {
            cJSON_Delete(o);
            fail_msg("%s line %zu is not a JSON object: %s", path, n + 1, line);
        }
        fn(ud, o);
        cJSON_Delete(o);
        n++;
    }
    free(text);
    return n;
}

/* ---- dsim run. --------------------------------------------------------------------- */

static void test_cli_run_prints_human_summary(void **state)
{
    (void)state;
    run_t r;
    run(&r, "run scenarios/echo.json");
    expect_status(&r, 0, "dsim run scenarios/echo.json");
    must_contain(r.out, "echo: echo, 3 nodes, 2 clients, seed 1", "stdout");
    must_contain(r.out, "simulated   5s", "stdout");
    const char *h = strstr(r.out, "trace hash");
    if (!h) fail_msg("no \"trace hash\" in:\n%s", r.out);
    char hash[32] = "";
    assert_int_equal(sscanf(h, "trace hash %31s", hash), 1);
    if (!is_hex16(hash)) fail_msg("the trace hash is not 16 hex digits: \"%s\"", hash);
    assert_string_equal(r.err, "");

    /* The human and JSON forms report the same run. */
    cJSON *j = run_json("scenarios/echo.json", "");
    assert_string_equal(jstr(j, "trace_hash"), hash);
    cJSON_Delete(j);
    run_free(&r);
}

static void test_cli_run_json_has_the_documented_keys(void **state)
{
    (void)state;
    cJSON *j = run_json("scenarios/echo.json", "");
    assert_string_equal(jstr(j, "scenario"), "echo");
    assert_int_equal(jcount(j, "seed"), 1);
    assert_int_equal(jcount(j, "sim_time_ns"), 5000000000ULL);
    assert_true(jcount(j, "events") > 0);

    uint64_t sent = jcount(j, "messages.sent"), delivered = jcount(j, "messages.delivered");
    uint64_t loss = jcount(j, "messages.dropped.loss"), part = jcount(j, "messages.dropped.partition");
    uint64_t crash = jcount(j, "messages.dropped.crash");
    (void)jcount(j, "messages.duplicated");
    assert_true(sent > 0);
    assert_true(delivered <= sent + jcount(j, "messages.duplicated"));
    /* echo.json has no loss and no partition. */
    assert_int_equal(loss, 0);
    assert_int_equal(part, 0);
    (void)crash;

    uint64_t inv = jcount(j, "ops.invoked"), ok = jcount(j, "ops.ok");
    uint64_t fl = jcount(j, "ops.fail"), info = jcount(j, "ops.info");
    assert_true(inv > 0 && ok > 0);
    assert_int_equal(inv, ok + fl + info);       /* every invoked operation ends one way */

    double p50 = jnum(j, "latency_ns.p50"), p90 = jnum(j, "latency_ns.p90");
    double p99 = jnum(j, "latency_ns.p99"), mx = jnum(j, "latency_ns.max");
    assert_true(p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= mx);
    /* Latency is network delay there and back: uniform in [2ms, 8ms] each way. */
    assert_true(p50 >= 4e6 && mx <= 16e6);

    const char *hash = jstr(j, "trace_hash");
    if (!is_hex16(hash)) fail_msg("trace_hash is not 16 lowercase hex digits: \"%s\"", hash);
    double wall = jnum(j, "wall_seconds");
    assert_true(wall >= 0 && wall < 60);
    cJSON_Delete(j);
}

/* Time without a leader is reported by its tail as well as its mean: p99 and p99.9 in
 * the JSON and in the human line, ordered below the longest interval. */
static void test_cli_run_reports_leaderless_tail(void **state)
{
    (void)state;
    cJSON *j = run_json("scenarios/raft-chaos.json", "");
    assert_true(jcount(j, "leaderless_ns.count") >= 2);
    double mean = jnum(j, "leaderless_ns.mean"), p99 = jnum(j, "leaderless_ns.p99");
    double p999 = jnum(j, "leaderless_ns.p999"), mx = jnum(j, "leaderless_ns.max");
    assert_true(mean > 0 && p99 <= p999 && p999 <= mx);
    assert_true(p99 >= mean);
    cJSON_Delete(j);

    run_t r;
    run(&r, "run scenarios/raft-chaos.json");
    expect_status(&r, 0, "dsim run scenarios/raft-chaos.json");
    const char *line = strstr(r.out, "    leaders ");
    if (!line) fail_msg("no leaders line in:\n%s", r.out);
    const char *end = strchr(line, '\n');
    char text[512];
    snprintf(text, sizeof text, "%.*s", (int)(end - line), line);
    must_contain(text, "intervals without a leader (mean ", "the leaders line");
    must_contain(text, ", p99 ", "the leaders line");
    must_contain(text, ", p99.9 ", "the leaders line");
    must_contain(text, ", longest ", "the leaders line");
    run_free(&r);
}

static void test_cli_run_seed_decides_the_run(void **state)
{
    (void)state;
    const char *sc = "scenarios/gossip-partition.json";
    cJSON *a = run_json(sc, "--seed 7"), *b = run_json(sc, "--seed 7"), *c = run_json(sc, "--seed 8");
    assert_int_equal(jcount(a, "seed"), 7);
    assert_int_equal(jcount(c, "seed"), 8);
    assert_string_equal(jstr(a, "trace_hash"), jstr(b, "trace_hash"));
    if (strcmp(jstr(a, "trace_hash"), jstr(c, "trace_hash")) == 0)
        fail_msg("seeds 7 and 8 gave the same trace hash %s", jstr(a, "trace_hash"));
    /* Same seed: the whole summary agrees, apart from wall-clock time. */
    cJSON_DeleteItemFromObject(a, "wall_seconds");
    cJSON_DeleteItemFromObject(b, "wall_seconds");
    assert_true(cJSON_Compare(a, b, true));
    /* --seed=N is the same flag. */
    cJSON *d = run_json(sc, "--seed=7");
    assert_string_equal(jstr(a, "trace_hash"), jstr(d, "trace_hash"));
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
    cJSON_Delete(d);
}

typedef struct trace_tally {
    uint64_t lines, send, deliver, drop, invoke, complete;
    int64_t last_t;
    bool backwards;
} trace_tally_t;

static void tally_trace(void *ud, const cJSON *o)
{
    trace_tally_t *t = ud;
    const cJSON *tv = cJSON_GetObjectItemCaseSensitive(o, "t");
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "ev");
    if (!cJSON_IsNumber(tv) || !cJSON_IsString(ev)) {
        char *s = cJSON_PrintUnformatted(o);
        fail_msg("a trace line without a numeric \"t\" and a string \"ev\": %s", s);
    }
    int64_t now = (int64_t)tv->valuedouble;
    if (now < t->last_t) t->backwards = true;
    t->last_t = now;
    t->lines++;
    const char *e = ev->valuestring;
    if (strcmp(e, "send") == 0) t->send++;
    else if (strcmp(e, "deliver") == 0) t->deliver++;
    else if (strcmp(e, "drop") == 0) t->drop++;
    else if (strcmp(e, "invoke") == 0) t->invoke++;
    else if (strcmp(e, "complete") == 0) t->complete++;
}

static void test_cli_run_trace_is_json_lines(void **state)
{
    (void)state;
    char path[600];
    tmp_path(path, sizeof path, "trace.jsonl");
    char flags[700];
    snprintf(flags, sizeof flags, "--trace '%s'", path);
    cJSON *j = run_json("scenarios/gossip-partition.json", flags);
    trace_tally_t t = {.last_t = -1};
    size_t n = each_line(path, tally_trace, &t);
    assert_true(n > 100);
    assert_false(t.backwards);                   /* records come in time order */
    /* The trace and the summary describe the same run. */
    assert_int_equal(t.send, jcount(j, "messages.sent"));
    assert_int_equal(t.deliver, jcount(j, "messages.delivered"));
    assert_int_equal(t.drop, jcount(j, "messages.dropped.total"));
    assert_int_equal(t.invoke, jcount(j, "ops.invoked"));
    assert_int_equal(t.complete, jcount(j, "ops.ok") + jcount(j, "ops.fail") + jcount(j, "ops.info"));
    cJSON_Delete(j);
    /* Written beside and renamed into place: no temporary file is left behind. */
    char names[1024];
    list_dir(tmpdir, names, sizeof names);
    if (strstr(names, ".tmp")) fail_msg("a temporary file was left behind: %s", names);
    unlink(path);
}

static void test_cli_run_trace_is_deterministic_and_changes_nothing(void **state)
{
    (void)state;
    const char *sc = "scenarios/gossip-partition.json";
    char p1[600], p2[600], flags[1400];
    tmp_path(p1, sizeof p1, "a.jsonl");
    tmp_path(p2, sizeof p2, "b.jsonl");
    snprintf(flags, sizeof flags, "--seed 5 --trace '%s'", p1);
    cJSON *a = run_json(sc, flags);
    snprintf(flags, sizeof flags, "--seed 5 --trace='%s'", p2);
    cJSON *b = run_json(sc, flags);
    cJSON *plain = run_json(sc, "--seed 5");
    size_t la, lb;
    char *ta = read_file(p1, &la), *tb = read_file(p2, &lb);
    assert_true(la > 0);
    assert_int_equal(la, lb);
    assert_memory_equal(ta, tb, la);
    /* Writing a trace only listens: the run, and so its hash, is the same without it. */
    assert_string_equal(jstr(a, "trace_hash"), jstr(b, "trace_hash"));
    assert_string_equal(jstr(a, "trace_hash"), jstr(plain, "trace_hash"));
    assert_int_equal(jcount(a, "events"), jcount(plain, "events"));
    free(ta);
    free(tb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(plain);
    unlink(p1);
    unlink(p2);
}

typedef struct hist_tally { uint64_t lines, invoke, ok, fail, info; } hist_tally_t;

static void tally_history(void *ud, const cJSON *o)
{
    hist_tally_t *h = ud;
    const cJSON *proc = cJSON_GetObjectItemCaseSensitive(o, "process");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, "f");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "time_ns");
    if (!cJSON_IsNumber(proc) || !cJSON_IsString(type) || !cJSON_IsString(f) || !cJSON_IsNumber(t)) {
        char *s = cJSON_PrintUnformatted(o);
        fail_msg("a history line without process, type, f and time_ns: %s", s);
    }
    h->lines++;
    if (strcmp(type->valuestring, "invoke") == 0) h->invoke++;
    else if (strcmp(type->valuestring, "ok") == 0) h->ok++;
    else if (strcmp(type->valuestring, "fail") == 0) h->fail++;
    else if (strcmp(type->valuestring, "info") == 0) h->info++;
    else fail_msg("unknown history type \"%s\"", type->valuestring);
    if (strcmp(f->valuestring, "read") != 0 && strcmp(f->valuestring, "write") != 0)
        fail_msg("echo.json only reads and writes, found f \"%s\"", f->valuestring);
}

static void test_cli_run_history_is_json_lines(void **state)
{
    (void)state;
    char path[600], flags[700];
    tmp_path(path, sizeof path, "history.jsonl");
    snprintf(flags, sizeof flags, "--history '%s'", path);
    cJSON *j = run_json("scenarios/echo.json", flags);
    hist_tally_t h = {0};
    each_line(path, tally_history, &h);
    assert_true(h.invoke > 0);
    assert_int_equal(h.invoke, jcount(j, "ops.invoked"));
    assert_int_equal(h.ok, jcount(j, "ops.ok"));
    assert_int_equal(h.fail, jcount(j, "ops.fail"));
    assert_int_equal(h.info, jcount(j, "ops.info"));
    assert_int_equal(h.lines, h.invoke + h.ok + h.fail + h.info);
    cJSON_Delete(j);
    unlink(path);
}

/* A run longer than the history memory keeps streams every event to --history: the
 * file is whole while memory holds a bounded prefix, and the summary says so. */
static void test_cli_run_history_streams_every_event_of_a_long_run(void **state)
{
    (void)state;
    char path[600], flags[700];
    tmp_path(path, sizeof path, "long-history.jsonl");
    snprintf(flags, sizeof flags, "--duration 2h --history '%s'", path);
    cJSON *j = run_json("scenarios/echo.json", flags);
    hist_tally_t h = {0};
    each_line(path, tally_history, &h);
    assert_int_equal(h.invoke, jcount(j, "ops.invoked"));
    assert_int_equal(h.ok, jcount(j, "ops.ok"));
    assert_int_equal(h.lines, jcount(j, "history.events"));
    assert_true(jcount(j, "history.kept") < jcount(j, "history.events"));
    cJSON_Delete(j);
    unlink(path);
}

static void test_cli_run_gossip_partition_drops_at_the_partition(void **state)
{
    (void)state;
    cJSON *j = run_json("scenarios/gossip-partition.json", "");
    assert_string_equal(jstr(j, "scenario"), "gossip-partition");
    assert_int_equal(jcount(j, "seed"), 42);
    assert_true(jcount(j, "messages.dropped.partition") > 0);
    assert_true(jcount(j, "messages.dropped.loss") > 0);      /* loss 0.01 over thousands of messages */
    assert_true(jcount(j, "messages.dropped.crash") > 0);     /* n3 is down from 15s to 18s */
    uint64_t total = jcount(j, "messages.dropped.total");
    assert_true(total >= jcount(j, "messages.dropped.partition") + jcount(j, "messages.dropped.loss") +
                             jcount(j, "messages.dropped.crash"));
    cJSON_Delete(j);
}

static void test_cli_run_trace_in_missing_directory(void **state)
{
    (void)state;
    char dir[600], path[700];
    tmp_path(dir, sizeof dir, "no-such-dir");
    snprintf(path, sizeof path, "%s/trace.jsonl", dir);
    char before[1024], after[1024];
    list_dir(tmpdir, before, sizeof before);
    run_t r;
    run(&r, "run scenarios/echo.json --trace '%s'", path);
    expect_status(&r, 2, "--trace into a missing directory");
    must_contain(r.err, "--trace", "stderr");
    must_contain(r.err, path, "stderr");
    struct stat st;
    assert_int_equal(stat(dir, &st), -1);        /* not created, and nothing left beside it */
    list_dir(tmpdir, after, sizeof after);
    assert_string_equal(after, before);
    run_free(&r);
}

static void test_cli_run_history_in_missing_directory(void **state)
{
    (void)state;
    char path[700];
    tmp_path(path, sizeof path, "no-such-dir/history.jsonl");
    char before[1024], after[1024];
    list_dir(tmpdir, before, sizeof before);
    run_t r;
    run(&r, "run scenarios/echo.json --history '%s'", path);
    expect_status(&r, 2, "--history into a missing directory");
    must_contain(r.err, "--history", "stderr");
    must_contain(r.err, path, "stderr");
    list_dir(tmpdir, after, sizeof after);
    assert_string_equal(after, before);
    run_free(&r);
}

/* Every output path is checked before the run: a bad one is exit 2 with nothing on
 * stdout (not a whole summary first), and nothing is written anywhere. */
static void test_cli_run_bad_output_paths_fail_before_the_run(void **state)
{
    (void)state;
    char sub[600], missing[700];
    tmp_path(sub, sizeof sub, "a-folder");
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(missing, sizeof missing, "%s/no/such/parent.jsonl", sub);
    static const char *const flags[] = {"--trace", "--history"};
    const char *paths[] = {sub, missing, "/proc/dsim-no-such-file"};
    const char *says[] = {"it is a directory", "No such file or directory", "No such file or directory"};
    for (int f = 0; f < 2; f++) {
        for (int p = 0; p < 3; p++) {
            char before[1024], after[1024];
            list_dir(tmpdir, before, sizeof before);
            run_t r;
            run(&r, "run scenarios/echo.json --json %s '%s'", flags[f], paths[p]);
            expect_status(&r, 2, paths[p]);
            assert_string_equal(r.out, "");
            must_contain(r.err, flags[f], "stderr");
            must_contain(r.err, paths[p], "stderr");
            must_contain(r.err, says[p], "stderr");
            list_dir(tmpdir, after, sizeof after);
            assert_string_equal(after, before);
            run_free(&r);
        }
    }
    struct stat st;
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
}

/* A flag given twice would let the second silently win; it is refused instead. */
static void test_cli_run_flag_given_twice_is_refused(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"--seed 1 --seed 2", "--seed is given twice"},
        {"--seed=1 --seed 1", "--seed is given twice"},
        {"--json --json", "--json is given twice"},
        {"--duration 1s --duration 2s", "--duration is given twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_t r;
        run(&r, "run scenarios/echo.json %s", cases[i][0]);
        expect_status(&r, 2, cases[i][0]);
        must_contain(r.err, cases[i][1], "stderr");
        assert_string_equal(r.out, "");
        run_free(&r);
    }
}

static void test_cli_run_bad_arguments(void **state)
{
    (void)state;
    run_t r;
    char path[600];
    tmp_path(path, sizeof path, "missing.json");
    run(&r, "run '%s'", path);
    expect_status(&r, 2, "a scenario that does not exist");
    must_contain(r.err, path, "stderr");
    must_contain(r.err, "cannot open", "stderr");
    assert_string_equal(r.out, "");
    run_free(&r);

    run(&r, "run scenarios/echo.json --seed -1");
    expect_status(&r, 2, "--seed -1");
    must_contain(r.err, "--seed", "stderr");
    assert_string_equal(r.out, "");
    run_free(&r);

    run(&r, "run scenarios/echo.json --seed");
    expect_status(&r, 2, "--seed without a value");
    must_contain(r.err, "--seed needs a value", "stderr");
    run_free(&r);

    run(&r, "run");
    expect_status(&r, 2, "run without a scenario");
    must_contain(r.err, "expected one scenario file", "stderr");
    run_free(&r);
}

static void test_cli_run_unknown_flag_suggests(void **state)
{
    (void)state;
    run_t r;
    run(&r, "run scenarios/echo.json --sed 7");
    expect_status(&r, 2, "--sed");
    must_contain(r.err, "unknown flag --sed; did you mean --seed?", "stderr");
    assert_string_equal(r.out, "");              /* nothing ran */
    run_free(&r);
    run(&r, "run scenarios/echo.json --jsno");
    expect_status(&r, 2, "--jsno");
    must_contain(r.err, "did you mean --json?", "stderr");
    run_free(&r);
}

/* ---- Other commands. --------------------------------------------------------------- */

static void test_cli_validate_accepts_every_shipped_scenario(void **state)
{
    (void)state;
    glob_t g;
    int grc = glob("scenarios/*.json", 0, NULL, &g);
    if (grc == GLOB_NOMATCH) { print_message("no scenarios/*.json: run from the repository root\n"); skip(); }
    assert_int_equal(grc, 0);
    assert_true(g.gl_pathc >= 2);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        run_t r;
        run(&r, "validate '%s'", g.gl_pathv[i]);
        char what[600], ok[600];
        snprintf(what, sizeof what, "dsim validate %s", g.gl_pathv[i]);
        expect_status(&r, 0, what);
        snprintf(ok, sizeof ok, "%s: ok", g.gl_pathv[i]);
        must_contain(r.out, ok, "stdout");
        assert_string_equal(r.err, "");
        run_free(&r);
    }
    globfree(&g);
}

static void test_cli_validate_rejects_a_bad_file(void **state)
{
    (void)state;
    char bad[600];
    tmp_path(bad, sizeof bad, "bad.json");
    write_text(bad, "{\"duration\": \"10s\", \"nodes\": 3, \"protocol\": \"echo\",\n"
                    " \"faults\": [{\"at\": \"1s\", \"crash\": \"n1\"}, {\"at\": -3, \"crash\": \"n2\"}]}\n");
    run_t r;
    run(&r, "validate '%s'", bad);
    expect_status(&r, 2, "dsim validate of a bad file");
    char want[800];
    snprintf(want, sizeof want, "%s: $.faults[1].at: expected a duration such as \"150ms\", found -3", bad);
    must_contain(r.err, want, "stderr");
    assert_null(strstr(r.out, ": ok"));
    run_free(&r);

    /* With a good file too: the good one is reported ok, the status is still 2. */
    run(&r, "validate scenarios/echo.json '%s'", bad);
    expect_status(&r, 2, "dsim validate of a good and a bad file");
    must_contain(r.out, "scenarios/echo.json: ok", "stdout");
    must_contain(r.err, want, "stderr");
    run_free(&r);
    unlink(bad);
}

static void test_cli_unknown_command_suggests(void **state)
{
    (void)state;
    run_t r;
    run(&r, "runn scenarios/echo.json");
    expect_status(&r, 2, "dsim runn");
    must_contain(r.err, "unknown command \"runn\"; did you mean \"run\"?", "stderr");
    assert_string_equal(r.out, "");
    run_free(&r);
    run(&r, "valdate scenarios/echo.json");
    expect_status(&r, 2, "dsim valdate");
    must_contain(r.err, "did you mean \"validate\"?", "stderr");
    run_free(&r);
    run(&r, "%s", "");
    expect_status(&r, 2, "dsim without a command");
    must_contain(r.err, "usage: dsim COMMAND", "stderr");
    run_free(&r);
}

static void test_cli_list_protocols(void **state)
{
    (void)state;
    run_t r;
    run(&r, "list protocols");
    expect_status(&r, 0, "dsim list protocols");
    const char *echo = strstr(r.out, "echo\n"), *gossip = strstr(r.out, "gossip\n");
    if (!echo || !gossip) fail_msg("expected echo and gossip at the start of lines in:\n%s", r.out);
    /* gossip's parameters are listed under gossip, with their defaults. */
    const char *fanout = strstr(gossip, "fanout");
    assert_non_null(fanout);
    must_contain(fanout, "default 2", "the fanout line");
    must_contain(gossip, "anti_entropy", "gossip's entry");
    must_contain(gossip, "max_values", "gossip's entry");
    run_free(&r);

    run(&r, "list protocls");
    expect_status(&r, 2, "dsim list protocls");
    must_contain(r.err, "did you mean \"protocols\"?", "stderr");
    run_free(&r);
}

static void test_cli_help_run_mentions_trace(void **state)
{
    (void)state;
    run_t r;
    run(&r, "help run");
    expect_status(&r, 0, "dsim help run");
    must_contain(r.out, "usage: dsim run", "stdout");
    must_contain(r.out, "--trace FILE", "stdout");
    must_contain(r.out, "--seed N", "stdout");
    run_free(&r);
    run(&r, "run --help");
    expect_status(&r, 0, "dsim run --help");
    must_contain(r.out, "--trace FILE", "stdout");
    run_free(&r);
    run(&r, "help runn");
    expect_status(&r, 2, "dsim help runn");
    must_contain(r.err, "did you mean \"run\"?", "stderr");
    run_free(&r);
}

static void test_cli_bench_gossip_prints_one_object(void **state)
{
    (void)state;
    run_t r;
    run(&r, "bench gossip --nodes 200 --seconds 5");
    expect_status(&r, 0, "dsim bench gossip --nodes 200 --seconds 5");
    cJSON *j = one_object(&r);
    assert_int_equal(jcount(j, "nodes"), 200);
    assert_true(jnum(j, "sim_seconds") == 5);
    uint64_t events = jcount(j, "events"), delivered = jcount(j, "delivered");
    /* Each node sends about one message a second: about 1000 in all. */
    assert_true(delivered > 700 && delivered < 1300);
    assert_true(events >= delivered);
    double wall = jnum(j, "wall_seconds");
    assert_true(wall >= 0 && wall < 60);
    assert_true(jnum(j, "delivered_per_second") >= 0);
    if (wall > 0) assert_true(jnum(j, "delivered_per_second") > 0);
    assert_true(jnum(j, "events_per_second") >= jnum(j, "delivered_per_second"));
    assert_true(jcount(j, "peak_rss_bytes") > 1024 * 1024);
    cJSON_Delete(j);
    run_free(&r);

    run(&r, "bench gossip --nodes 1");
    expect_status(&r, 2, "bench with one node");
    must_contain(r.err, "--nodes: expected a number from 2 to 4193280, found \"1\"", "stderr");
    run_free(&r);
    run(&r, "bench gosip");
    expect_status(&r, 2, "bench gosip");
    must_contain(r.err, "did you mean \"gossip\"?", "stderr");
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_run_prints_human_summary),
        cmocka_unit_test(test_cli_run_json_has_the_documented_keys),
        cmocka_unit_test(test_cli_run_reports_leaderless_tail),
        cmocka_unit_test(test_cli_run_seed_decides_the_run),
        cmocka_unit_test(test_cli_run_trace_is_json_lines),
        cmocka_unit_test(test_cli_run_trace_is_deterministic_and_changes_nothing),
        cmocka_unit_test(test_cli_run_history_is_json_lines),
        cmocka_unit_test(test_cli_run_history_streams_every_event_of_a_long_run),
        cmocka_unit_test(test_cli_run_gossip_partition_drops_at_the_partition),
        cmocka_unit_test(test_cli_run_trace_in_missing_directory),
        cmocka_unit_test(test_cli_run_history_in_missing_directory),
        cmocka_unit_test(test_cli_run_bad_arguments),
        cmocka_unit_test(test_cli_run_bad_output_paths_fail_before_the_run),
        cmocka_unit_test(test_cli_run_flag_given_twice_is_refused),
        cmocka_unit_test(test_cli_run_unknown_flag_suggests),
        cmocka_unit_test(test_cli_validate_accepts_every_shipped_scenario),
        cmocka_unit_test(test_cli_validate_rejects_a_bad_file),
        cmocka_unit_test(test_cli_unknown_command_suggests),
        cmocka_unit_test(test_cli_list_protocols),
        cmocka_unit_test(test_cli_help_run_mentions_trace),
        cmocka_unit_test(test_cli_bench_gossip_prints_one_object),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
