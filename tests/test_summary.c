/* test_summary.c -- each protocol's section of `dsim run`'s human summary, end to end.
 *
 * Every section is checked on a known seed for the lines a student is told to compare
 * (and for the numbers in them agreeing with --json), and for the lines that must not
 * appear: no staleness for echo, no elections for 2pc and stream. The program under
 * test is $DSIM (default build/dsim), run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cJSON.h>

static const char *dsim;

static char *capture(const char *args, int *status)
{
    if (access(dsim, X_OK) != 0) { print_message("skipped: %s is not built\n", dsim); skip(); }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s%s", dsim, args, strstr(args, "2>&1") ? "" : " 2>/dev/null");
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (size_t k; (k = fread(buf + n, 1, cap - n - 1, p)) > 0;) {
        n += k;
        if (n + 1 >= cap) { cap *= 2; buf = realloc(buf, cap); assert_non_null(buf); }
    }
    buf[n] = 0;
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

/* The human summary of a scenario (exit status 0 expected). */
static char *human(const char *scenario)
{
    char args[512];
    int st;
    snprintf(args, sizeof args, "run %s", scenario);
    char *out = capture(args, &st);
    if (st != 0) fail_msg("dsim %s: exit %d\n%s", args, st, out);
    return out;
}

static cJSON *summary(const char *scenario)
{
    char args[512];
    int st;
    snprintf(args, sizeof args, "run %s --json", scenario);
    char *out = capture(args, &st);
    cJSON *j = cJSON_Parse(out);
    if (!j) fail_msg("dsim %s: not JSON:\n%s", args, out);
    free(out);
    return j;
}

static double num(const cJSON *j, const char *dotted)
{
    char key[128];
    const char *p = dotted;
    while (j && *p) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        j = cJSON_GetObjectItemCaseSensitive(j, key);
        p += n + (p[n] == '.');
    }
    if (!cJSON_IsNumber(j)) fail_msg("no number at %s", dotted);
    return j->valuedouble;
}

/* The line of the summary that starts (after its indentation) with label. */
static void line_of(const char *out, const char *label, char *buf, size_t len)
{
    for (const char *l = out; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
        const char *s = l + strspn(l, " ");
        if (strncmp(s, label, strlen(label)) == 0 && s[strlen(label)] == ' ') {
            size_t n = strcspn(l, "\n");
            snprintf(buf, len, "%.*s", (int)n, l);
            return;
        }
    }
    fail_msg("no \"%s\" line in:\n%s", label, out);
}

static void has(const char *out, const char *part)
{
    if (!strstr(out, part)) fail_msg("expected \"%s\" in:\n%s", part, out);
}

static void lacks(const char *out, const char *part)
{
    if (strstr(out, part)) fail_msg("did not expect \"%s\" in:\n%s", part, out);
}

static void test_summary_stream_late_tight_and_loose_differ(void **state)
{
    char *tight = human("scenarios/stream-late-tight.json"), *loose = human("scenarios/stream-late-loose.json");
    char a[512], b[512];
    line_of(tight, "late events", a, sizeof a);
    line_of(loose, "late events", b, sizeof b);
    assert_string_not_equal(a, b);
    has(a, " 320 dropped");
    has(b, " 0 dropped");
    line_of(tight, "windows", a, sizeof a);
    line_of(loose, "windows", b, sizeof b);
    has(a, "stream 22 of 160 exact");
    has(b, "stream 160 of 160 exact");
    /* The price of waiting: the loose watermark makes stream latency seconds long. */
    line_of(tight, "latency", a, sizeof a);
    line_of(loose, "latency", b, sizeof b);
    assert_string_not_equal(a, b);
    /* Partition leaders are the log's business, not elections of the cluster. */
    lacks(tight, "    leaders ");
    lacks(tight, "highest term");
    free(tight);
    free(loose);
    cJSON *j = summary("scenarios/stream-late-tight.json");
    assert_int_equal((int)num(j, "stream.late_dropped"), 320);
    assert_int_equal((int)num(j, "stream.windows.exact"), 22);
    cJSON_Delete(j);
}

static void test_summary_stream_acks1_says_records_were_lost(void **state)
{
    /* The scenario expects no acknowledged record lost: the run fails its check. */
    int st;
    char *out = capture("run scenarios/stream-acks1-crash.json", &st);
    assert_int_equal(st, 1);
    has(out, "  check       expect log.lost_acked == 0: FAILED: it is 7\n");
    char l[512];
    line_of(out, "log", l, sizeof l);
    has(l, "7 acknowledged records lost");
    line_of(out, "duplicates", l, sizeof l);
    has(l, "0 delivered to processors twice");
    free(out);
    cJSON *j = summary("scenarios/stream-acks1-crash.json");
    assert_int_equal((int)num(j, "log.lost_acked"), 7);
    const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "check"), "expect"), 0);
    assert_non_null(e);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(e, "holds")));
    assert_true(cJSON_GetObjectItem(e, "value")->valuedouble == 7);
    cJSON_Delete(j);
    out = capture("run scenarios/stream-acksall-crash.json", &st);
    assert_int_equal(st, 0);
    has(out, "  check       expect log.lost_acked == 0: ok (0)\n");
    free(out);
}

/* An expectation is read like every condition: a mistake is an operating error with
 * its path, before anything runs; a number the summary lacks fails the check. */
static void test_summary_expectations_are_checked(void **state)
{
    char path[] = "/tmp/dsim-expect-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("{\"duration\": \"2s\", \"nodes\": 3, \"protocol\": \"echo\","
          " \"check\": {\"expect\": [{\"metric\": \"sim_time_ns\", \">\": 0}, {\"metric\": \"no.such\", \"==\": 1}]}}", f);
    fclose(f);
    char args[256];
    int st;
    snprintf(args, sizeof args, "run %s", path);
    char *out = capture(args, &st);
    assert_int_equal(st, 1);
    has(out, "expect sim_time_ns > 0: ok");
    has(out, "expect no.such == 1: FAILED: the summary has no such number");
    free(out);
    f = fopen(path, "w");
    fputs("{\"duration\": \"2s\", \"nodes\": 3, \"protocol\": \"echo\", \"check\": {\"expect\": [{\"metric\": \"x\"}]}}", f);
    fclose(f);
    snprintf(args, sizeof args, "validate %s 2>&1", path);
    out = capture(args, &st);
    assert_int_equal(st, 2);
    has(out, "$.check.expect[0]");
    free(out);
    unlink(path);
}

static void test_summary_shard_keys_moved_beside_the_ideal(void **state)
{
    char *modn = human("scenarios/shard-modn-join.json"), *ring = human("scenarios/shard-ring-join-same.json");
    char l[512];
    line_of(modn, "join", l, sizeof l);
    has(l, "n9 at 10s: 89.1% of the keys moved (ideal 1/N = 11.1%)");
    line_of(ring, "join", l, sizeof l);
    has(l, "n9 at 10s: 8.0% of the keys moved (ideal 1/N = 11.1%)");
    line_of(modn, "keys", l, sizeof l);
    has(l, "per node min 196, max 234; imbalance 1.07");
    line_of(modn, "requests", l, sizeof l);
    has(l, "per node min 920, max 2347; imbalance 1.18");
    line_of(modn, "hottest", l, sizeof l);
    has(l, "n5, with 2347 requests");
    free(modn);
    free(ring);
    cJSON *j = summary("scenarios/shard-modn-join.json");
    assert_int_equal((int)num(j, "protocol_stats.keys_min"), 196);
    assert_int_equal((int)num(j, "protocol_stats.requests_max"), 2347);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "protocol_stats"), "hottest")->valuestring, "n5");
    cJSON_Delete(j);
}

static void test_summary_epidemic_beside_the_equation(void **state)
{
    char *out = human("scenarios/epidemic-rumor-k1.json");
    char l[512];
    line_of(out, "residue", l, sizeof l);
    has(l, "0.196 of the nodes never received an update");
    line_of(out, "equation", l, sizeof l);
    has(l, "s = exp(-(k+1)(1-s)) gives s = 0.203");
    line_of(out, "traffic", l, sizeof l);
    line_of(out, "delivery", l, sizeof l);
    has(l, "mean 8.3 cycles");
    has(l, "last 15.2 cycles");
    line_of(out, "paper", l, sizeof l);
    has(l, "residue 0.180");
    lacks(out, "stale reads");
    lacks(out, "    leaders ");
    free(out);
    cJSON *j = summary("scenarios/epidemic-rumor-k1.json");
    double r = num(j, "protocol_stats.residue");
    assert_true(r > 0.1955 && r < 0.1965);
    cJSON_Delete(j);
}

static void test_summary_quorum_visibility_per_delay(void **state)
{
    char *out = human("scenarios/quorum-r1w1-tail.json");
    char l[512];
    line_of(out, "stale reads", l, sizeof l);
    has(l, "2002 of 17001 register reads stale");
    line_of(out, "visibility", l, sizeof l);
    has(l, "t=0ns: 58.9% of 1643 reads made t after a write saw it");
    has(out, "t=10ms: 98.7% of 1644 reads");
    line_of(out, "quorums", l, sizeof l);
    has(l, "n = 3, r = 1, w = 1");
    lacks(out, "    leaders ");
    free(out);
}

static void test_summary_2pc_blocked(void **state)
{
    char *out = human("scenarios/2pc-blocked.json");
    char l[512];
    line_of(out, "blocked", l, sizeof l);
    has(l, "2 transactions blocked (0 still at the end), 7.99s blocked in all, longest 4s");
    lacks(out, "elections");
    lacks(out, "highest term");
    free(out);
    cJSON *j = summary("scenarios/2pc-blocked.json");
    assert_int_equal((int)num(j, "protocol_stats.blocked.count"), 2);
    cJSON_Delete(j);
}

static void test_summary_crdt_and_gossip_divergence(void **state)
{
    char *out = human("scenarios/crdt-orset-partition.json");
    char l[512];
    line_of(out, "divergence", l, sizeof l);
    has(l, "replicas differed for 5.72s in all, 5.27s at the longest");
    line_of(out, "converged", l, sizeof l);
    line_of(out, "merges", l, sizeof l);
    has(l, "144 merges, 9 of them changed a replica");
    free(out);
    cJSON *j = summary("scenarios/crdt-orset-partition.json");
    double total = num(j, "divergence_ns.total"), longest = num(j, "divergence_ns.longest");
    assert_true(total >= longest && longest > 5e9);
    cJSON_Delete(j);
    out = human("scenarios/gossip-partition.json");
    line_of(out, "divergence", l, sizeof l);
    line_of(out, "converged", l, sizeof l);
    free(out);
}

static void test_summary_leaves_out_what_does_not_apply(void **state)
{
    char *out = human("scenarios/echo.json");
    lacks(out, "stale");
    lacks(out, "leaders");
    free(out);
    out = human("scenarios/raft-leader-crash.json");
    char l[512];
    line_of(out, "leaders", l, sizeof l);
    has(l, "2 elections, highest term 3");
    has(l, "p99.9");
    has(out, "\n  raft\n");
    free(out);
}

/* Two scenarios on one clock: the same runs as alone (trace hashes), printed in two
 * columns that fit the terminal, or as a JSON list of the two summaries. */
static void test_summary_side_by_side(void **state)
{
    int st;
    char *out = capture("run scenarios/raft-minority-partition.json scenarios/quorum-r1w1-tail.json --json", &st);
    assert_int_equal(st, 0);
    cJSON *j = cJSON_Parse(out);
    assert_true(cJSON_IsArray(j));
    assert_int_equal(cJSON_GetArraySize(j), 2);
    cJSON *solo_a = summary("scenarios/raft-minority-partition.json"), *solo_b = summary("scenarios/quorum-r1w1-tail.json");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "trace_hash")->valuestring,
                        cJSON_GetObjectItem(solo_a, "trace_hash")->valuestring);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 1), "trace_hash")->valuestring,
                        cJSON_GetObjectItem(solo_b, "trace_hash")->valuestring);
    cJSON_Delete(j);
    cJSON_Delete(solo_a);
    cJSON_Delete(solo_b);
    free(out);

    setenv("COLUMNS", "80", 1);
    out = capture("run scenarios/stream-late-tight.json scenarios/stream-late-loose.json", &st);
    unsetenv("COLUMNS");
    assert_int_equal(st, 0);
    int rows = 0;
    for (const char *l = out; *l; rows++) {
        size_t n = strcspn(l, "\n");
        if (n > 80) fail_msg("a row of %zu columns, more than 80:\n%.*s", n, (int)n, l);
        char row[256];
        snprintf(row, sizeof row, "%.*s", (int)n, l);
        if (!strstr(row, " |")) fail_msg("a row without the column rule:\n%s", row);
        l += n + (l[n] == '\n');
    }
    assert_true(rows > 10);
    /* The first row names both; the late events of each face each other. */
    has(out, "stream-late-tight: stream");
    const char *nl = strchr(out, '\n');
    assert_non_null(strstr(out, "stream-late-loose: stream"));
    assert_true(strstr(out, "stream-late-loose: stream") < nl);
    const char *late = strstr(out, "late events  320 dropped");
    assert_non_null(late);
    nl = strchr(late, '\n');
    const char *other = strstr(late, "late events  0 dropped");
    assert_true(other && other < nl);
    free(out);

    /* Outputs of one run only. */
    out = capture("run scenarios/echo.json scenarios/echo.json --trace /dev/null", &st);
    assert_int_equal(st, 2);
    free(out);
}

int main(void)
{
    dsim = getenv("DSIM");
    if (!dsim || !*dsim) dsim = "build/dsim";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_stream_late_tight_and_loose_differ),
        cmocka_unit_test(test_summary_stream_acks1_says_records_were_lost),
        cmocka_unit_test(test_summary_expectations_are_checked),
        cmocka_unit_test(test_summary_shard_keys_moved_beside_the_ideal),
        cmocka_unit_test(test_summary_epidemic_beside_the_equation),
        cmocka_unit_test(test_summary_quorum_visibility_per_delay),
        cmocka_unit_test(test_summary_2pc_blocked),
        cmocka_unit_test(test_summary_crdt_and_gossip_divergence),
        cmocka_unit_test(test_summary_leaves_out_what_does_not_apply),
        cmocka_unit_test(test_summary_side_by_side),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
