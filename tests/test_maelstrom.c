/* test_maelstrom.c -- programs as nodes: the Python nodes in scenarios/nodes/ and tests/maelstrom/, and C nodes
 * compiled from the .c files of tests/maelstrom/, run under
 * dsim's network, faults and checkers; lock-step runs are deterministic; programs that
 * misbehave get a message naming them; and no child process outlives a test.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "check/runcheck.h"
#include "proto/maelstrom.h"
#include "support.h"

/* Child processes of this test program (zombies included) in state `state`, or in any
 * state when it is 0: after sim_destroy there must be none, or dsim left a program
 * running (or unreaped). */
static int children_in(char state)
{
    int n = 0;
    DIR *d = opendir("/proc");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        char path[300], buf[512];
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        const char *rp = strrchr(buf, ')');
        int ppid = 0;
        char st;
        if (rp && sscanf(rp + 1, " %c %d", &st, &ppid) == 2 && ppid == (int)getpid() && (!state || st == state)) n++;
    }
    closedir(d);
    return n;
}

static int children(void) { return children_in(0); }

/* Loads inline JSON (single quotes stand for double quotes) and runs it to the end. */
static sim_t *run(const char *json_sq, uint64_t seed, scn_t *scn, runcheck_t *rc)
{
    char json[8192], err[1024];
    size_t n = strlen(json_sq);
    assert_true(n < sizeof json);
    for (size_t i = 0; i <= n; i++) json[i] = json_sq[i] == '\'' ? '"' : json_sq[i];
    if (scn_load_string(json, "inline.json", scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    sim_opts_t o = {.seed_set = seed != 0, .seed = seed};
    sim_t *s = sim_create(scn, &o, err, sizeof err);
    if (!s) fail_msg("%s", err);
    assert_true(children() > 0);
    sim_run(s);
    if (rc) runcheck_run(s, rc);
    return s;
}

static void done(sim_t *s, scn_t *scn, runcheck_t *rc)
{
    if (rc) runcheck_free(rc);
    sim_destroy(s);
    scn_free(scn);
    assert_int_equal(children(), 0);
}

#define ECHO \
    "{'duration': '3s', 'nodes': 3," \
    " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'scenarios/nodes/echo.py', 'workload': 'echo', 'quiet': '5ms'}}," \
    " 'network': {'latency': {'dist': 'uniform', 'min': '2ms', 'max': '8ms'}, 'loss': 0.05}," \
    " 'workload': {'clients': 2, 'ops': {'write': 1.0}, 'rate': '20/s', 'timeout': '500ms', 'stop': '2s'}}"

static void test_maelstrom_echo_answers_every_request(void **state)
{
    (void)state;
    scn_t scn;
    sim_t *s = run(ECHO, 1, &scn, NULL);
    const sim_stats_t *st = sim_stats(s);
    assert_null(sim_error(s));
    assert_null(sim_violation(s, NULL));
    assert_true(st->ops_ok > 20);
    assert_int_equal(st->ops_fail, 0);
    done(s, &scn, NULL);
}

static void test_maelstrom_lockstep_same_seed_same_trace(void **state)
{
    (void)state;
    char json[4096], err[512];
    snprintf(json, sizeof json, "%s", ECHO);
    for (char *p = json; *p; p++) if (*p == '\'') *p = '"';
    scn_t scn;
    if (scn_load_string(json, "inline.json", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    ts_assert_seed_decides(&scn, 3, 4);
    scn_free(&scn);
    assert_int_equal(children(), 0);
}

static void test_maelstrom_leader_kv_survives_kill_and_restart_under_partition(void **state)
{
    (void)state;
    /* n3 is cut off from the leader n1, then killed and started again while still cut
     * off: its clients' operations time out (info), and the history stays well formed
     * and linearizable. */
    const char *json =
        "{'duration': '6s', 'nodes': 3,"
        " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/lin_kv.py', 'workload': 'lin-kv', 'quiet': '5ms'}},"
        " 'network': {'latency': {'dist': 'uniform', 'min': '2ms', 'max': '8ms'}},"
        " 'workload': {'clients': 3, 'ops': {'read': 0.5, 'write': 0.3, 'cas': 0.2}, 'keys': 2,"
        "              'rate': '30/s', 'timeout': '300ms', 'target': 'random', 'stop': '5s'},"
        " 'faults': [{'at': '1s', 'partition': [['n1', 'n2'], ['n3']]}, {'at': '2s', 'crash': 'n3'},"
        "            {'at': '2500ms', 'restart': 'n3'}, {'at': '3500ms', 'heal': true}],"
        " 'check': {'linearizable': 'cas-register'}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 2, &scn, &rc);
    const sim_stats_t *st = sim_stats(s);
    uint64_t hash = sim_trace_hash(s);
    assert_null(sim_error(s));
    assert_int_equal(st->crashes, 1);
    assert_int_equal(st->restarts, 1);
    assert_true(st->ops_info > 0);
    assert_true(st->ops_ok > 50);
    assert_int_equal(rc.lin_rc, SIM_OK);
    if (rc.lin.verdict != LIN_OK) fail_msg("the single-leader store was judged %s", lin_verdict_names[rc.lin.verdict]);
    /* The program said "role: leader" on n1's stderr, and n2's last lines are its log. */
    int64_t term = -1;
    assert_int_equal(sim_node_role(s, 0, &term), SIM_ROLE_LEADER);
    assert_int_equal(sim_node_role(s, 1, &term), SIM_ROLE_FOLLOWER);
    const char *lines[ML_LOG_LINES];
    int n = ml_program_log(s, 1, lines, ML_LOG_LINES);
    assert_int_equal(n, ML_LOG_LINES);
    assert_non_null(strstr(lines[n - 1], "forwarded"));
    done(s, &scn, &rc);
    /* The kill and the second start replay too: same seed, same trace. */
    s = run(json, 2, &scn, NULL);
    assert_true(sim_trace_hash(s) == hash);
    done(s, &scn, NULL);
}

static void test_maelstrom_broken_kv_is_caught(void **state)
{
    (void)state;
    const char *json =
        "{'duration': '4s', 'nodes': 3,"
        " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/lin_kv.py', 'args': ['--broken'],"
        "              'workload': 'lin-kv', 'quiet': '5ms'}},"
        " 'network': {'latency': {'dist': 'uniform', 'min': '5ms', 'max': '30ms'}},"
        " 'workload': {'clients': 3, 'ops': {'read': 0.5, 'write': 0.5}, 'keys': 1,"
        "              'rate': '40/s', 'timeout': '300ms', 'target': 'random', 'stop': '3s'},"
        " 'check': {'linearizable': 'register'}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 1, &scn, &rc);
    assert_int_equal(rc.lin_rc, SIM_OK);
    if (rc.lin.verdict != LIN_VIOLATED) fail_msg("the broken store was judged %s", lin_verdict_names[rc.lin.verdict]);
    assert_true(rc.failed);
    done(s, &scn, &rc);
}

static void test_maelstrom_broadcast_reaches_everyone(void **state)
{
    (void)state;
    const char *json =
        "{'duration': '4s', 'nodes': 4,"
        " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'scenarios/nodes/broadcast.py', 'workload': 'broadcast', 'quiet': '5ms'}},"
        " 'network': {'latency': '5ms'},"
        " 'workload': {'clients': 2, 'ops': {'write': 0.6, 'read': 0.4}, 'rate': '20/s', 'stop': '3s', 'final_reads': '500ms'},"
        " 'check': {'set_full': true}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 5, &scn, &rc);
    assert_int_equal(rc.set_rc, SIM_OK);
    assert_true(rc.set.n_values > 10);
    assert_int_equal(rc.set.n_lost, 0);
    assert_false(rc.failed);
    done(s, &scn, &rc);
}

static void test_maelstrom_realtime_lets_a_program_keep_its_own_timers(void **state)
{
    (void)state;
    /* The program re-sends what it has seen every 100ms of its own time: values
     * written on one side of the partition reach the other side after it heals, which
     * needs simulated time to pass between messages. */
    const char *json =
        "{'duration': '3s', 'nodes': 3,"
        " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/broadcast_timer.py', 'workload': 'broadcast',"
        "              'mode': 'realtime'}},"
        " 'network': {'latency': '5ms'},"
        " 'workload': {'clients': 2, 'ops': {'write': 0.6, 'read': 0.4}, 'rate': '20/s', 'timeout': '500ms',"
        "              'stop': '2s', 'final_reads': '500ms'},"
        " 'faults': [{'at': '500ms', 'partition': [['n1'], ['n2', 'n3']]}, {'at': '1200ms', 'heal': true}],"
        " 'check': {'set_full': true}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 1, &scn, &rc);
    assert_null(sim_error(s));
    assert_int_equal(rc.set_rc, SIM_OK);
    assert_true(rc.set.n_values > 5);
    assert_int_equal(rc.set.n_lost, 0);
    cJSON *sum = ts_summary(s);
    assert_string_equal(ts_get(sum, "protocol_stats", "time_mode")->valuestring, "realtime");
    assert_true(cJSON_IsFalse(ts_get(sum, "protocol_stats", "deterministic")));
    cJSON_Delete(sum);
    done(s, &scn, &rc);
}

static void test_maelstrom_g_counter_counts(void **state)
{
    (void)state;
    const char *json =
        "{'duration': '4s', 'nodes': 3,"
        " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/g_counter.py', 'workload': 'g-counter', 'quiet': '5ms'}},"
        " 'network': {'latency': '5ms'},"
        " 'workload': {'clients': 2, 'ops': {'add': 0.5, 'read': 0.5}, 'rate': '20/s', 'stop': '3s', 'final_reads': '500ms'},"
        " 'check': {'counter': true}}";
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 6, &scn, &rc);
    assert_true(rc.counter_asked);
    assert_int_equal(rc.counter_rc, SIM_OK);
    assert_false(rc.failed);
    assert_true(sim_stats(s)->ops_ok > 20);
    done(s, &scn, &rc);
}

static void test_maelstrom_unique_ids_duplicates_are_caught(void **state)
{
    (void)state;
    for (int broken = 0; broken < 2; broken++) {
        char json[2048];
        snprintf(json, sizeof json,
                 "{'duration': '3s', 'nodes': 3,"
                 " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/unique_ids.py', 'args': [%s],"
                 "              'workload': 'unique-ids', 'quiet': '5ms'}},"
                 " 'network': {'latency': '3ms'},"
                 " 'workload': {'clients': 3, 'ops': {'read': 1.0}, 'rate': '30/s', 'target': 'random', 'stop': '2s'}}",
                 broken ? "'--broken'" : "");
        scn_t scn;
        sim_t *s = run(json, 1, &scn, NULL);
        const sim_violation_t *v = sim_violation(s, NULL);
        if (broken) {
            if (!v) fail_msg("ids handed out twice were not caught");
            assert_string_equal(v->name, "unique-ids");
        } else {
            if (v) fail_msg("unique ids judged %s: %s", v->name, v->detail);
            assert_true(sim_stats(s)->ops_ok > 30);
        }
        done(s, &scn, NULL);
    }
}

/* The services' API as Maelstrom's services doc gives it: error 20 for a missing key,
 * 22 for a cas from the wrong value, create_if_not_exists, values of any JSON, 10 and 12
 * for what is not a key-value call. The probe answers echoes with -1 after a wrong
 * reply, which the echo-mismatch invariant catches. */
static void test_maelstrom_kv_services_answer_as_maelstrom_does(void **state)
{
    (void)state;
    static const char *const services[] = {"lin-kv", "seq-kv"};
    for (int i = 0; i < 2; i++) {
        char json[2048];
        snprintf(json, sizeof json,
                 "{'duration': '2s', 'nodes': ['n1', '%s'],"
                 " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/kv_probe.py', 'args': ['%s'],"
                 "              'workload': 'echo', 'quiet': '5ms'}},"
                 " 'network': {'latency': '2ms'},"
                 " 'workload': {'clients': 1, 'ops': {'write': 1.0}, 'rate': '10/s', 'start': '500ms', 'stop': '1500ms'}}",
                 services[i], services[i]);
        scn_t scn;
        sim_t *s = run(json, 1, &scn, NULL);
        const sim_violation_t *v = sim_violation(s, NULL);
        if (v) fail_msg("%s: a reply was not Maelstrom's (run tests/maelstrom/kv_probe.py by hand to see which): %s", services[i], v->detail);
        assert_true(sim_stats(s)->ops_ok > 3);
        cJSON *sum = ts_summary(s);
        const cJSON *svc = cJSON_GetArrayItem(ts_get(sum, "protocol_stats", "services"), 0);
        assert_non_null(svc);
        assert_string_equal(ts_get(svc, "name", NULL)->valuestring, services[i]);
        assert_int_equal(ts_get(svc, "requests", NULL)->valueint, 14);
        assert_int_equal(ts_get(svc, "cas_failed", NULL)->valueint, 1);
        cJSON_Delete(sum);
        /* The service's node panel shows its newest values as [key, value] pairs. */
        jw_t w;
        jw_init(&w, false);
        sim_export_node(s, 1, &w);
        if (!strstr(w.buf, "[\"k\",\"x\"]") || !strstr(w.buf, "[7,8]")) fail_msg("%s's state: %s", services[i], w.buf);
        jw_free(&w);
        done(s, &scn, NULL);
    }
}

#define GKV(args, service, partition) \
    "{'duration': '4s', 'nodes': ['n1', 'n2', 'n3', '" service "']," \
    " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'scenarios/nodes/g_counter_kv.py', 'args': [" args "]," \
    "              'workload': 'g-counter', 'quiet': '5ms'}}," \
    " 'network': {'latency': '5ms'}," \
    " 'workload': {'clients': 3, 'ops': {'add': 0.5, 'read': 0.5}, 'rate': '20/s', 'timeout': '300ms', 'retries': 0," \
    "              'stop': '3s', 'final_reads': '500ms'}," \
    " 'faults': [" partition "], 'check': {'counter': true}}"

static int64_t service_stat(sim_t *s, const char *key)
{
    cJSON *sum = ts_summary(s);
    const cJSON *svc = cJSON_GetArrayItem(ts_get(sum, "protocol_stats", "services"), 0);
    assert_non_null(svc);
    int64_t v = (int64_t)ts_get(svc, key, NULL)->valuedouble;
    cJSON_Delete(sum);
    return v;
}

static void test_maelstrom_g_counter_on_seq_kv_counts(void **state)
{
    (void)state;
    /* With the write before each read the final reads are exact, whatever seq-kv
     * serves stale; the run replays exactly (the service draws from its own stream). */
    scn_t scn;
    runcheck_t rc;
    int64_t stale = 0;
    for (uint64_t seed = 1; seed <= 2; seed++) {
        sim_t *s = run(GKV("", "seq-kv", ""), seed, &scn, &rc);
        assert_null(sim_error(s));
        assert_true(rc.counter_asked);
        assert_int_equal(rc.counter_rc, SIM_OK);
        if (rc.failed) fail_msg("seed %llu: the counter on seq-kv failed its check: %u of %u final reads outside [%lld, %lld]",
                                (unsigned long long)seed, rc.counter.n_final_outside, rc.counter.n_final_reads,
                                (long long)rc.counter.final_lower, (long long)rc.counter.final_upper);
        assert_true(rc.counter.n_final_reads > 0);
        assert_true(rc.counter.n_adds_ok > 10);
        assert_true(service_stat(s, "requests") > 50);
        /* No faults and no retries: a client request that lands on seq-kv is passed on
         * to a program, not refused, so every operation succeeds. */
        const sim_stats_t *ss = sim_stats(s);
        if (ss->ops_fail + ss->ops_info > 0)
            fail_msg("seed %llu: %llu operations failed and %llu ended info in a run without faults", (unsigned long long)seed,
                     (unsigned long long)ss->ops_fail, (unsigned long long)ss->ops_info);
        stale += service_stat(s, "stale_reads");
        done(s, &scn, &rc);
    }
    assert_true(stale > 0);            /* seq-kv did serve the past */
    char json[4096], err[512];
    snprintf(json, sizeof json, "%s", GKV("", "seq-kv", ""));
    for (char *p = json; *p; p++) if (*p == '\'') *p = '"';
    if (scn_load_string(json, "inline.json", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    ts_assert_seed_decides(&scn, 3, 4);
    scn_free(&scn);
    assert_int_equal(children(), 0);
}

static void test_maelstrom_seq_kv_serves_stale_reads(void **state)
{
    (void)state;
    /* Without the write before a read, a node may be served an older total than the
     * last add: some seed's final reads then fall below the acknowledged sum. */
    uint64_t caught = 0;
    for (uint64_t seed = 1; seed <= 8 && !caught; seed++) {
        scn_t scn;
        runcheck_t rc;
        sim_t *s = run(GKV("'--no-sync'", "seq-kv", ""), seed, &scn, &rc);
        if (rc.failed && rc.counter.n_final_outside > 0) caught = seed;
        done(s, &scn, &rc);
    }
    if (!caught) fail_msg("seq-kv never served a stale total in 8 seeds");
}

static void test_maelstrom_lww_kv_loses_writes(void **state)
{
    (void)state;
    /* lww-kv's replicas take the cas of two nodes on the same value each: one of the
     * two adds is lost when their values meet, so the final reads are short. */
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(GKV("'--kv=lww-kv'", "lww-kv", ""), 1, &scn, &rc);
    assert_null(sim_error(s));
    assert_true(service_stat(s, "lost_writes") > 0);
    assert_true(service_stat(s, "stale_reads") > 0);
    assert_true(rc.failed);
    assert_true(rc.counter.n_final_outside > 0);
    done(s, &scn, &rc);
}

static void test_maelstrom_services_sit_behind_the_network(void **state)
{
    (void)state;
    /* n1 is cut off from seq-kv for a second: the adds n1 takes then cannot reach the
     * counter and time out (info), while the run goes on and stays correct. */
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(GKV("", "seq-kv", "{'at': '1s', 'partition': [['n1'], ['n2', 'n3', 'seq-kv']]}, {'at': '2s', 'heal': true}"),
                   1, &scn, &rc);
    const sim_stats_t *st = sim_stats(s);
    assert_null(sim_error(s));
    assert_true(st->ops_info > 0);
    assert_int_equal(rc.counter_rc, SIM_OK);
    assert_false(rc.failed);
    cJSON *sum = ts_summary(s);
    assert_true(ts_get(ts_get(ts_get(sum, "messages", NULL), "dropped", NULL), "partition", NULL)->valuedouble > 0);
    cJSON_Delete(sum);
    done(s, &scn, &rc);
}

#define KAFKA(bin, args, nodes, partition) \
    "{'duration': '3s', 'nodes': " nodes "," \
    " 'protocol': {'name': 'maelstrom', 'params': {'bin': '" bin "', 'args': [" args "], 'workload': 'kafka', 'quiet': '5ms'}}," \
    " 'network': {'latency': {'dist': 'uniform', 'min': '2ms', 'max': '8ms'}}," \
    " 'workload': {'clients': 3, 'ops': {'write': 0.5, 'read': 0.35, 'cas': 0.1, 'add': 0.05}, 'keys': 2, 'rate': '30/s'," \
    "              'timeout': '300ms', 'target': 'random', 'stop': '2500ms'}," \
    " 'faults': [" partition "]}"

static void test_maelstrom_kafka_leader_log_passes_under_partition(void **state)
{
    (void)state;
    scn_t scn;
    sim_t *s = run(KAFKA("scenarios/nodes/kafka.py", "", "3",
                         "{'at': '1s', 'partition': [['n1', 'n2'], ['n3']]}, {'at': '2s', 'heal': true}"), 1, &scn, NULL);
    assert_null(sim_error(s));
    const sim_violation_t *v = sim_violation(s, NULL);
    if (v) fail_msg("the single-leader log was judged %s: %s", v->name, v->detail);
    assert_true(sim_stats(s)->ops_info > 0);             /* n3's requests while cut off */
    cJSON *sum = ts_summary(s);
    const cJSON *k = ts_get(sum, "protocol_stats", "kafka");
    assert_true(ts_get(k, "sends_acked", NULL)->valueint > 20);
    assert_true(ts_get(k, "polls", NULL)->valueint > 10);
    assert_true(ts_get(k, "polled_messages", NULL)->valueint > 50);
    assert_true(ts_get(k, "committed_offsets_listed", NULL)->valueint > 0);
    assert_int_equal(ts_get(k, "lost_writes", NULL)->valueint, 0);
    cJSON_Delete(sum);
    done(s, &scn, NULL);
}

static void test_maelstrom_kafka_checker_catches_reused_and_lost_offsets(void **state)
{
    (void)state;
    /* Logs at every node give one offset to two messages; a log that leaves
     * acknowledged messages out of its polls loses them. */
    static const struct { const char *json, *name; } cases[] = {
        {KAFKA("scenarios/nodes/kafka.py", "'--broken'", "3", ""), "kafka-nonmonotonic"},
        {KAFKA("tests/maelstrom/kafka_forgetful.py", "", "1", ""), "kafka-lost-write"},
    };
    for (int i = 0; i < 2; i++) {
        scn_t scn;
        sim_t *s = run(cases[i].json, 1, &scn, NULL);
        const sim_violation_t *v = sim_violation(s, NULL);
        if (!v) fail_msg("%s was not caught", cases[i].name);
        assert_string_equal(v->name, cases[i].name);
        assert_non_null(strstr(v->detail, "key k"));
        done(s, &scn, NULL);
    }
}

/* Children of this test program stopped by a signal (state T). */
static int stopped_children(void) { return children_in('T'); }

static void test_maelstrom_pause_stops_the_program(void **state)
{
    (void)state;
    /* While n2 is paused its program is stopped (SIGSTOP to its process group); after
     * the resume it runs again and answers what waited for it. */
    char json[4096], err[512];
    snprintf(json, sizeof json, "%s",
             "{'duration': '3s', 'nodes': 3,"
             " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'scenarios/nodes/echo.py', 'workload': 'echo', 'quiet': '5ms'}},"
             " 'network': {'latency': '3ms'},"
             " 'workload': {'clients': 2, 'ops': {'write': 1.0}, 'rate': '20/s', 'timeout': '2s', 'target': 'random', 'stop': '2500ms'},"
             " 'faults': [{'at': '1s', 'pause': 'n2'}, {'at': '1500ms', 'resume': 'n2'}]}");
    for (char *p = json; *p; p++) if (*p == '\'') *p = '"';
    scn_t scn;
    if (scn_load_string(json, "inline.json", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    sim_opts_t o = {.seed_set = true, .seed = 1};
    sim_t *s = sim_create(&scn, &o, err, sizeof err);
    if (!s) fail_msg("%s", err);
    sim_run_until(s, 500 * SIM_MS);
    assert_int_equal(stopped_children(), 0);
    sim_run_until(s, 1200 * SIM_MS);
    assert_int_equal(stopped_children(), 1);
    sim_run(s);
    assert_int_equal(stopped_children(), 0);
    assert_null(sim_violation(s, NULL));
    assert_int_equal(sim_stats(s)->ops_info, 0);        /* what waited at n2 was answered after the resume */
    assert_true(sim_stats(s)->ops_ok > 30);
    done(s, &scn, NULL);
}

/* Reads a small file into buf ("" when it is missing). */
static const char *slurp(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_maelstrom_durable_dir_outlives_a_crash(void **state)
{
    (void)state;
    /* Each node's folder is named to its program in DSIM_DURABLE_DIR; n2's count of
     * starts survives its kill and restart, and a second run starts from an empty
     * folder again, so it replays. */
    char dir[] = "/tmp/dsim-durable-XXXXXX", json[4096], path[512], buf[32];
    assert_non_null(mkdtemp(dir));
    snprintf(json, sizeof json,
             "{'duration': '3s', 'nodes': 2,"
             " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/durable_echo.py', 'workload': 'echo',"
             "              'durable_dir': '%s', 'quiet': '5ms'}},"
             " 'workload': {'clients': 1, 'ops': {'write': 1.0}, 'rate': '10/s', 'timeout': '300ms', 'stop': '2500ms'},"
             " 'faults': [{'at': '1s', 'crash': 'n2'}, {'at': '1500ms', 'restart': 'n2'}]}", dir);
    uint64_t hash = 0;
    for (int round = 0; round < 2; round++) {
        scn_t scn;
        sim_t *s = run(json, 1, &scn, NULL);
        assert_null(sim_error(s));
        assert_int_equal(sim_stats(s)->restarts, 1);
        snprintf(path, sizeof path, "%s/n1/starts", dir);
        assert_string_equal(slurp(path, buf, sizeof buf), "1");
        snprintf(path, sizeof path, "%s/n2/starts", dir);
        assert_string_equal(slurp(path, buf, sizeof buf), "2");
        if (round == 1) assert_true(sim_trace_hash(s) == hash);
        hash = sim_trace_hash(s);
        done(s, &scn, NULL);
    }
    for (int i = 1; i <= 2; i++) {
        snprintf(path, sizeof path, "%s/n%d/starts", dir, i);
        unlink(path);
        snprintf(path, sizeof path, "%s/n%d", dir, i);
        rmdir(path);
    }
    assert_int_equal(rmdir(dir), 0);
}

/* The window's hover shows a message's body fields. */
static void test_maelstrom_describe_msg_shows_the_body(void **state)
{
    (void)state;
    const proto_t *p = proto_find("maelstrom");
    assert_non_null(p);
    assert_non_null(p->describe_msg);
    const char *line = "{\"src\":\"n1\",\"dest\":\"seq-kv\",\"body\":{\"type\":\"cas\",\"key\":\"counter\",\"from\":3,\"to\":[4,5],\"msg_id\":7}}";
    char buf[160];
    assert_true(p->describe_msg(0, line, (uint32_t)strlen(line), buf, sizeof buf) > 0);
    assert_string_equal(buf, "key \"counter\", from 3, to [4,5], msg_id 7");
    assert_int_equal(p->describe_msg(0, "not json", 8, buf, sizeof buf), 0);
}

/* A program that fails at start-up stops the run with a sentence naming the node. */
static void startup_fails(const char *bin, const char *args, const char *expect)
{
    char json[2048];
    snprintf(json, sizeof json,
             "{'duration': '1s', 'nodes': 2,"
             " 'protocol': {'name': 'maelstrom', 'params': {'bin': '%s', 'args': %s, 'init_timeout': '2s', 'quiet': '5ms'}},"
             " 'workload': {'clients': 1, 'ops': {'write': 1.0}, 'rate': '10/s'}}", bin, args);
    for (char *p = json; *p; p++) if (*p == '\'') *p = '"';
    scn_t scn;
    char err[512];
    if (scn_load_string(json, "inline.json", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    sim_opts_t o = {0};
    sim_t *s = sim_create(&scn, &o, err, sizeof err);
    if (s) sim_run(s);
    const char *e = s ? sim_error(s) : err;
    if (!e) fail_msg("%s %s: the run went on", bin, args);
    if (!strstr(e, "n1") || !strstr(e, expect)) fail_msg("%s %s: \"%s\" does not say \"%s\" and name n1", bin, args, e, expect);
    sim_destroy(s);
    scn_free(&scn);
    assert_int_equal(children(), 0);
}

static void test_maelstrom_startup_problems_are_named(void **state)
{
    (void)state;
    startup_fails("tests/maelstrom/no-such-node.py", "[]", "cannot start");
    startup_fails("tests/maelstrom/bad.py", "['silent']", "never answered init");
    startup_fails("tests/maelstrom/bad.py", "['garbage']", "not a Maelstrom message");
}

/* The first node that cannot start ends the run: the others are not started and
 * waited for one after another, so four silent nodes cost one init_timeout, not four. */
static void test_maelstrom_first_startup_problem_stops_the_rest(void **state)
{
    (void)state;
    char json[] = "{'duration': '1s', 'nodes': 4,"
                  " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/bad.py', 'args': ['silent'], 'init_timeout': '1s', 'quiet': '5ms'}},"
                  " 'workload': {'clients': 1, 'ops': {'write': 1.0}, 'rate': '10/s'}}";
    for (char *p = json; *p; p++) if (*p == '\'') *p = '"';
    scn_t scn;
    char err[512];
    if (scn_load_string(json, "inline.json", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sim_opts_t o = {0};
    sim_t *s = sim_create(&scn, &o, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_non_null(s);
    assert_non_null(sim_error(s));
    double waited_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (waited_s > 2.5) fail_msg("waited %.1fs for four silent nodes (expected one init_timeout of 1s)", waited_s);
    sim_destroy(s);
    scn_free(&scn);
    assert_int_equal(children(), 0);
}

static void test_maelstrom_runtime_problems_make_operations_info(void **state)
{
    (void)state;
    static const char *const hows[] = {"exit", "flood", "unknown", "long"};
    for (int i = 0; i < 4; i++) {
        char json[2048];
        snprintf(json, sizeof json,
                 "{'duration': '2s', 'nodes': 1,"
                 " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'tests/maelstrom/bad.py', 'args': ['%s'], 'quiet': '5ms'}},"
                 " 'workload': {'clients': 1, 'ops': {'write': 1.0}, 'rate': '10/s', 'timeout': '200ms', 'stop': '1s'}}", hows[i]);
        scn_t scn;
        sim_t *s = run(json, 1, &scn, NULL);
        const sim_stats_t *st = sim_stats(s);
        if (sim_error(s)) fail_msg("%s: %s", hows[i], sim_error(s));
        assert_int_equal(st->ops_ok, 0);
        assert_true(st->ops_info + st->ops_fail > 0);
        done(s, &scn, NULL);
    }
}

/* ---- Nodes written in C: compiled here from tests/maelstrom/NAME.c. ------------------ */

static char cdir[64];                   /* where the C nodes are built, removed at the end */

static int c_nodes_build(void **state)
{
    (void)state;
    static const char *const names[] = {"echo", "lin_kv", "broadcast_timer"};
    snprintf(cdir, sizeof cdir, "/tmp/dsim-cnodes-XXXXXX");
    if (!mkdtemp(cdir)) return -1;
    const char *cc = getenv("CC") && getenv("CC")[0] ? getenv("CC") : "cc";
    for (int i = 0; i < 3; i++) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s -std=c11 -O1 -Wall -Wextra -Werror -o %s/%s tests/maelstrom/%s.c "
                 "$(pkg-config --cflags --libs libcjson)", cc, cdir, names[i], names[i]);
        if (system(cmd) != 0) { fprintf(stderr, "cannot build the C node: %s\n", cmd); return -1; }
    }
    return 0;
}

static int c_nodes_remove(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", cdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* The JSON with every CBIN replaced by the folder of the C nodes. */
static const char *with_cdir(const char *json_sq, char *out, size_t len)
{
    size_t n = 0;
    for (const char *p = json_sq; *p && n + 64 < len;) {
        if (strncmp(p, "CBIN", 4) == 0) { n += (size_t)snprintf(out + n, len - n, "%s", cdir); p += 4; }
        else out[n++] = *p++;
    }
    out[n] = '\0';
    return out;
}

static void test_maelstrom_c_echo_replays_exactly(void **state)
{
    (void)state;
    char json[4096], err[512];
    with_cdir("{'duration': '3s', 'nodes': 3,"
              " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'CBIN/echo', 'workload': 'echo', 'quiet': '5ms'}},"
              " 'network': {'latency': {'dist': 'uniform', 'min': '2ms', 'max': '8ms'}, 'loss': 0.05},"
              " 'workload': {'clients': 2, 'ops': {'write': 1.0}, 'rate': '20/s', 'timeout': '500ms', 'stop': '2s'}}",
              json, sizeof json);
    scn_t scn;
    sim_t *s = run(json, 1, &scn, NULL);
    assert_null(sim_error(s));
    assert_null(sim_violation(s, NULL));
    assert_true(sim_stats(s)->ops_ok > 20);
    done(s, &scn, NULL);
    for (char *p = json; *p; p++) if (*p == '\'') *p = '"';
    if (scn_load_string(json, "inline.json", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    ts_assert_seed_decides(&scn, 3, 4);
    scn_free(&scn);
    assert_int_equal(children(), 0);
}

static void test_maelstrom_c_leader_kv_survives_kill_and_restart_under_partition(void **state)
{
    (void)state;
    char json[4096];
    with_cdir("{'duration': '6s', 'nodes': 3,"
              " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'CBIN/lin_kv', 'workload': 'lin-kv', 'quiet': '5ms'}},"
              " 'network': {'latency': {'dist': 'uniform', 'min': '2ms', 'max': '8ms'}},"
              " 'workload': {'clients': 3, 'ops': {'read': 0.5, 'write': 0.3, 'cas': 0.2}, 'keys': 2,"
              "              'rate': '30/s', 'timeout': '300ms', 'target': 'random', 'stop': '5s'},"
              " 'faults': [{'at': '1s', 'partition': [['n1', 'n2'], ['n3']]}, {'at': '2s', 'crash': 'n3'},"
              "            {'at': '2500ms', 'restart': 'n3'}, {'at': '3500ms', 'heal': true}],"
              " 'check': {'linearizable': 'cas-register'}}", json, sizeof json);
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 2, &scn, &rc);
    const sim_stats_t *st = sim_stats(s);
    uint64_t hash = sim_trace_hash(s);
    assert_null(sim_error(s));
    assert_int_equal(st->restarts, 1);
    assert_true(st->ops_info > 0);
    assert_true(st->ops_ok > 50);
    /* Well formed: every operation fits the model (lin_rc would be SIM_EINPUT). */
    assert_int_equal(rc.lin_rc, SIM_OK);
    if (rc.lin.verdict != LIN_OK) fail_msg("the C single-leader store was judged %s", lin_verdict_names[rc.lin.verdict]);
    done(s, &scn, &rc);
    s = run(json, 2, &scn, NULL);
    assert_true(sim_trace_hash(s) == hash);
    done(s, &scn, NULL);
}

static void test_maelstrom_c_broken_kv_is_caught_and_explained(void **state)
{
    (void)state;
    char json[4096];
    with_cdir("{'duration': '4s', 'nodes': 3,"
              " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'CBIN/lin_kv', 'args': ['--broken'], 'workload': 'lin-kv', 'quiet': '5ms'}},"
              " 'network': {'latency': {'dist': 'uniform', 'min': '5ms', 'max': '30ms'}},"
              " 'workload': {'clients': 3, 'ops': {'read': 0.5, 'write': 0.5}, 'keys': 1,"
              "              'rate': '40/s', 'timeout': '300ms', 'target': 'random', 'stop': '3s'},"
              " 'check': {'linearizable': 'register'}}", json, sizeof json);
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 1, &scn, &rc);
    assert_int_equal(rc.lin_rc, SIM_OK);
    if (rc.lin.verdict != LIN_VIOLATED) fail_msg("the broken C store was judged %s", lin_verdict_names[rc.lin.verdict]);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    lin_explain(sim_history(s), &rc.lin, f);
    fclose(f);
    /* The explanation names the read that cannot be placed and why. */
    const char *tail = strstr(text, "Next, this operation must take effect");
    if (!tail || !strstr(tail, "read") || !strstr(text, "no order of the operations explains")) fail_msg("explanation:\n%s", text);
    print_message("the linearizability checker's explanation ends:\n%s", tail);
    free(text);
    done(s, &scn, &rc);
}

static void test_maelstrom_c_realtime_node_keeps_its_own_timers(void **state)
{
    (void)state;
    char json[4096];
    with_cdir("{'duration': '3s', 'nodes': 3,"
              " 'protocol': {'name': 'maelstrom', 'params': {'bin': 'CBIN/broadcast_timer', 'workload': 'broadcast', 'mode': 'realtime'}},"
              " 'network': {'latency': '5ms'},"
              " 'workload': {'clients': 2, 'ops': {'write': 0.6, 'read': 0.4}, 'rate': '20/s', 'timeout': '500ms',"
              "              'stop': '2s', 'final_reads': '500ms'},"
              " 'faults': [{'at': '500ms', 'partition': [['n1'], ['n2', 'n3']]}, {'at': '1200ms', 'heal': true}],"
              " 'check': {'set_full': true}}", json, sizeof json);
    scn_t scn;
    runcheck_t rc;
    sim_t *s = run(json, 1, &scn, &rc);
    assert_null(sim_error(s));
    assert_int_equal(rc.set_rc, SIM_OK);
    assert_true(rc.set.n_values > 5);
    assert_int_equal(rc.set.n_lost, 0);
    done(s, &scn, &rc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maelstrom_echo_answers_every_request),
        cmocka_unit_test(test_maelstrom_lockstep_same_seed_same_trace),
        cmocka_unit_test(test_maelstrom_leader_kv_survives_kill_and_restart_under_partition),
        cmocka_unit_test(test_maelstrom_broken_kv_is_caught),
        cmocka_unit_test(test_maelstrom_broadcast_reaches_everyone),
        cmocka_unit_test(test_maelstrom_g_counter_counts),
        cmocka_unit_test(test_maelstrom_realtime_lets_a_program_keep_its_own_timers),
        cmocka_unit_test(test_maelstrom_unique_ids_duplicates_are_caught),
        cmocka_unit_test(test_maelstrom_kv_services_answer_as_maelstrom_does),
        cmocka_unit_test(test_maelstrom_g_counter_on_seq_kv_counts),
        cmocka_unit_test(test_maelstrom_seq_kv_serves_stale_reads),
        cmocka_unit_test(test_maelstrom_lww_kv_loses_writes),
        cmocka_unit_test(test_maelstrom_services_sit_behind_the_network),
        cmocka_unit_test(test_maelstrom_kafka_leader_log_passes_under_partition),
        cmocka_unit_test(test_maelstrom_kafka_checker_catches_reused_and_lost_offsets),
        cmocka_unit_test(test_maelstrom_pause_stops_the_program),
        cmocka_unit_test(test_maelstrom_durable_dir_outlives_a_crash),
        cmocka_unit_test(test_maelstrom_describe_msg_shows_the_body),
        cmocka_unit_test(test_maelstrom_startup_problems_are_named),
        cmocka_unit_test(test_maelstrom_first_startup_problem_stops_the_rest),
        cmocka_unit_test(test_maelstrom_runtime_problems_make_operations_info),
    };
    const struct CMUnitTest c_tests[] = {
        cmocka_unit_test(test_maelstrom_c_echo_replays_exactly),
        cmocka_unit_test(test_maelstrom_c_leader_kv_survives_kill_and_restart_under_partition),
        cmocka_unit_test(test_maelstrom_c_broken_kv_is_caught_and_explained),
        cmocka_unit_test(test_maelstrom_c_realtime_node_keeps_its_own_timers),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    return failed + cmocka_run_group_tests_name("maelstrom_c_nodes", c_tests, c_nodes_build, c_nodes_remove);
}
