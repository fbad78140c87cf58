/* test_swarm.c -- dsim swarm end to end: correct protocols pass a few hundred seeds
 * of random faults, every deliberate bug is caught within a small budget, and a
 * failing seed replays exactly.
 *
 * The program under test is $DSIM (default build/dsim), run from the repository root.
 * DSIM_SWARM_SEEDS sets the seeds per protocol (default 300; make san uses fewer,
 * since the sanitizers make each run several times slower).
 *
 * The canaries matter as much as the passes: a swarm that never fails proves nothing,
 * so each bug variant shipped with the protocols must make some seed fail.
 */
#include <errno.h>
#include <inttypes.h>
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

static const char *dsim;
static char tmpdir[512];
static int seeds = 300;

typedef struct run { int status; char *out; } run_t;

static void run(run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run(run_t *r, const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", dsim, args);
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0;
    r->out = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) { cap *= 2; r->out = realloc(r->out, cap); }
        size_t k = fread(r->out + n, 1, cap - n - 1, p);
        if (k == 0) break;
        n += k;
    }
    r->out[n] = 0;
    int st = pclose(p);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The last line of the output (the swarm's totals). */
static const char *last_line(const char *s)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == '\n') n--;
    while (n && s[n - 1] != '\n') n--;
    return s + n;
}

/* ---- Correct protocols pass. --------------------------------------------------------
 *
 * Each protocol's scenario with the fault kinds it is not built to survive left out,
 * each exclusion with its reason. The scenarios in tests/swarm/ are small (a few
 * seconds, a slow workload) so that the linearizability check stays quick. */
typedef struct pass_case {
    const char *scenario;
    const char *flags;
} pass_case_t;

static const pass_case_t pass_cases[] = {
    {"scenarios/echo.json", ""},
    /* Gossip keeps broadcast values in memory only: a value acknowledged by a node that
     * crashes before pushing it on is gone, as gossip-partition.json teaches, and
     * set-full would report that documented behaviour. */
    {"tests/swarm/gossip.json", "--without crashes"},
    {"tests/swarm/raft.json", ""},
    {"tests/swarm/paxos.json", ""},
    {"tests/swarm/pb.json", ""},
    /* Chain replication assumes fail-stop servers whose failures the master detects
     * correctly (van Renesse and Schneider, section 3). Partitioned or paused, a tail
     * the master removed keeps answering reads from the old value, and a crash after
     * such a removal loses the last copy: not linearizable, by the protocol's own
     * assumption. dsim swarm tests/swarm/chain.json --without crash-leader,crashes
     * --first 30 --seeds 1 shows the stale read. Heavy loss can mislead the master the
     * same way together with a clock jump: the master times a server out by its own
     * clock, so a skew of most of a second makes a live tail look silent, and in make
     * swarm seeds 471 and 531 (25% loss, skews of 700-900ms) then lose the last copy.
     * Heavy loss alone does it too (seed 288 once clocks were left out: 28% of
     * heartbeats lost in a row make a live server look crashed). A false suspicion is
     * exactly what the protocol assumes never happens, so loss and clock changes are
     * left out as well: chain meets duplication, reordering, crashes and leader
     * crashes here. */
    {"tests/swarm/chain.json", "--without partitions,isolate-leader,pauses,clocks,loss"},
    {"tests/swarm/2pc.json", ""},
    /* Last-writer-wins orders writes by the coordinator's clock: under skew a later
     * write can lose to an earlier one and reads look stale (quorum-lww-skew.json). */
    {"tests/swarm/quorum.json", "--without clocks"},
    {"tests/swarm/shard.json", ""},
    /* Twenty replicas exchanging with one peer every 500ms need more than 5s to agree
     * again after the clients stop. */
    {"tests/swarm/epidemic.json", "--liveness 10s"},
    {"scenarios/crdt-orset-partition.json", ""},
    /* The acks=all log with stream and batch consumers (15s of it, so 300 seeds take
     * a few seconds). make swarm also runs scenarios/stream-acksall-crash.json. */
    {"tests/swarm/stream.json", ""},
};

static void test_swarm_correct_protocols_pass(void **state)
{
    const pass_case_t *c = *state;
    run_t r;
    run(&r, "swarm %s --seeds %d -j 2 %s", c->scenario, seeds, c->flags);
    if (r.status != 0) {
        print_message("%s", r.out);
        fail_msg("dsim swarm %s %s: exit %d (the failing seeds are above)", c->scenario, c->flags, r.status);
    }
    assert_non_null(strstr(last_line(r.out), " 0 failed"));
    print_message("%s", last_line(r.out));
    free(r.out);
}

/* ---- Every deliberate bug is caught. ------------------------------------------------ */

typedef struct canary {
    const char *scenario;
    const char *variant;         /* what it proves is caught */
    int budget;                  /* seeds */
} canary_t;

static const canary_t canaries[] = {
    {"scenarios/raft-figure8.json", "raft commit-old-term-by-count", 30},
    {"tests/swarm/raft-no-up-to-date-check.json", "raft no-up-to-date-check", 30},
    {"scenarios/paxos-bug.json", "paxos ignore-promised-value", 10},
    {"scenarios/pb-bug.json", "pb ack-before-replicate", 10},
    {"scenarios/pb-async-loses-write.json", "pb mode async", 10},
    {"scenarios/chain-bug.json", "chain ack-at-head", 10},
    {"scenarios/2pc-bug.json", "2pc presumed-commit-on-timeout", 10},
};

static void test_swarm_catches_the_bug_variant(void **state)
{
    const canary_t *c = *state;
    run_t r;
    run(&r, "swarm %s --seeds %d -j 2", c->scenario, c->budget);
    if (r.status != 1 || !strstr(r.out, "FAILED"))
        fail_msg("%s: no failing seed among %d for %s (exit %d)\n%s", c->scenario, c->budget, c->variant, r.status, r.out);
    const char *f = strstr(r.out, "seed ");
    print_message("%s: first failing seed %.*s\n", c->variant, (int)strcspn(f + 5, " "), f + 5);
    free(r.out);
}

/* ---- Replay and determinism. -------------------------------------------------------- */

static void test_swarm_written_scenario_replays_the_failure(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/seed.json", tmpdir);
    run_t a, b, c;
    run(&a, "swarm scenarios/chain-bug.json --seeds 1 --first 3 --verbose --write-scenario '%s'", path);
    assert_int_equal(a.status, 1);
    assert_non_null(strstr(a.out, "seed 3 FAILED (invariant)"));
    assert_non_null(strstr(a.out, "replay  dsim swarm scenarios/chain-bug.json --seeds 1 --first 3"));
    run(&b, "run '%s'", path);
    assert_int_equal(b.status, 3);                    /* the invariant, as in the swarm */
    /* The violation at the same time: the same run, event for event. */
    const char *at = strstr(a.out, "violated at t=");
    assert_non_null(at);
    char when[64];
    snprintf(when, sizeof when, "%.*s", (int)strcspn(at, ":"), at);
    assert_non_null(strstr(b.out, when + strlen("violated ")));
    /* Writing again gives the same file. */
    char path2[600];
    snprintf(path2, sizeof path2, "%s/seed2.json", tmpdir);
    run(&c, "swarm scenarios/chain-bug.json --seeds 1 --first 3 --write-scenario '%s' >/dev/null; cmp '%s' '%s' && echo same", path2, path, path2);
    assert_non_null(strstr(c.out, "same"));
    free(a.out);
    free(b.out);
    free(c.out);
    unlink(path);
    unlink(path2);
}

static void test_swarm_passing_seed_replays_with_the_same_trace_hash(void **state)
{
    (void)state;
    char path[600];
    snprintf(path, sizeof path, "%s/pass.json", tmpdir);
    run_t a, b;
    run(&a, "swarm tests/swarm/raft.json --seeds 1 --first 42 --verbose --write-scenario '%s'", path);
    assert_int_equal(a.status, 0);
    const char *h = strstr(a.out, "trace hash ");
    assert_non_null(h);
    char hash[17];
    snprintf(hash, sizeof hash, "%.16s", h + strlen("trace hash "));
    run(&b, "run '%s'", path);
    assert_int_equal(b.status, 0);
    if (!strstr(b.out, hash)) fail_msg("swarm said trace hash %s; dsim run of the written file:\n%s", hash, b.out);
    free(a.out);
    free(b.out);
    unlink(path);
}

static void test_swarm_output_does_not_depend_on_jobs(void **state)
{
    (void)state;
    run_t a, b;
    run(&a, "swarm scenarios/pb-async-loses-write.json --seeds 12 -j 1 --verbose");
    run(&b, "swarm scenarios/pb-async-loses-write.json --seeds 12 -j 3 --verbose");
    assert_int_equal(a.status, 1);
    assert_int_equal(b.status, 1);
    /* Everything but the final line (its runs per second and -j) is the same. */
    size_t la = (size_t)(last_line(a.out) - a.out), lb = (size_t)(last_line(b.out) - b.out);
    assert_true(la > 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a.out, b.out, la);
    free(a.out);
    free(b.out);
}

/* Seed 951 of this 35-second scenario drew a crash lasting past the end of the fault
 * phase; its restart fell after the run's end and the drawn scenario did not load.
 * Mends due after the fault phase are left to the liveness phase now. */
static void test_swarm_faults_end_within_the_fault_phase(void **state)
{
    (void)state;
    run_t r;
    run(&r, "swarm scenarios/stream-acksall-crash.json --seeds 1 --first 951");
    if (r.status != 0) fail_msg("%s", r.out);
    free(r.out);
}

static void test_swarm_seeds_draw_different_mixes(void **state)
{
    (void)state;
    run_t r;
    run(&r, "swarm scenarios/echo.json --seeds 20 --verbose");
    assert_int_equal(r.status, 0);
    /* Each kind appears in some seed and is missing from another. */
    static const char *const kinds[] = {"loss", "duplication", "reordering", "partition", "crash", "pause", "clock", "crash-leader", "isolate-leader"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        if (!strstr(r.out, kinds[k])) fail_msg("no seed of 20 drew %s:\n%s", kinds[k], r.out);
    assert_non_null(strstr(r.out, "20 seeds run (1..20), 0 failed"));
    free(r.out);
}

static void test_swarm_bad_input(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "swarm scenarios/echo.json",                                /* no --seeds */
        "swarm scenarios/echo.json --seeds 0",
        "swarm scenarios/echo.json --seeds x",
        "swarm scenarios/echo.json --seeds 5 -j 0",
        "swarm scenarios/echo.json --seeds 5 --without crashes,floods",
        "swarm scenarios/echo.json --seeds 5 --liveness -1s",
        "swarm scenarios/echo.json --seeds 2 --write-scenario /tmp/never.json",
        "swarm scenarios/no-such-file.json --seeds 5",
        "swarm --seeds 5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        run_t r;
        run(&r, "%s", bad[i]);
        if (r.status != 2 || !r.out[0]) fail_msg("dsim %s: expected exit 2 and a message, got %d:\n%s", bad[i], r.status, r.out);
        free(r.out);
    }
    run_t r;
    run(&r, "swarm scenarios/echo.json --seeds 5 --without floods");
    assert_non_null(strstr(r.out, "found \"floods\""));
    free(r.out);
}

static int setup(void **state)
{
    (void)state;
    dsim = getenv("DSIM");
    if (!dsim || !*dsim) dsim = "build/dsim";
    if (access(dsim, X_OK) != 0 || strchr(dsim, '\'')) { fprintf(stderr, "test_swarm: %s is not executable\n", dsim); return -1; }
    const char *s = getenv("DSIM_SWARM_SEEDS");
    if (s && atoi(s) > 0) seeds = atoi(s);
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_swarm_XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir) || strchr(tmpdir, '\'')) { fprintf(stderr, "test_swarm: cannot make a temporary directory\n"); return -1; }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rmdir(tmpdir);
    return 0;
}

#define PASS(i) cmocka_unit_test_prestate(test_swarm_correct_protocols_pass, (void *)&pass_cases[i])
#define CANARY(i) cmocka_unit_test_prestate(test_swarm_catches_the_bug_variant, (void *)&canaries[i])

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_swarm_bad_input),
        cmocka_unit_test(test_swarm_seeds_draw_different_mixes),
        cmocka_unit_test(test_swarm_faults_end_within_the_fault_phase),
        cmocka_unit_test(test_swarm_output_does_not_depend_on_jobs),
        cmocka_unit_test(test_swarm_written_scenario_replays_the_failure),
        cmocka_unit_test(test_swarm_passing_seed_replays_with_the_same_trace_hash),
        CANARY(0), CANARY(1), CANARY(2), CANARY(3), CANARY(4), CANARY(5), CANARY(6),
        PASS(0), PASS(1), PASS(2), PASS(3), PASS(4), PASS(5), PASS(6), PASS(7), PASS(8), PASS(9), PASS(10), PASS(11),
    };
    _Static_assert(sizeof canaries / sizeof canaries[0] == 7, "a canary without its test");
    _Static_assert(sizeof pass_cases / sizeof pass_cases[0] == 12, "a protocol without its test");
    return cmocka_run_group_tests(tests, setup, teardown);
}
