/* test_tpc.c -- two-phase commit: votes, decisions, blocking, recovery, and the checks.
 *
 * Protocol tests drive single servers: a transfer injected at the coordinator, then
 * the very messages it put in flight handed on one at a time (sim_inject), so each step
 * of the protocol can be looked at -- a vote, a lock, a balance -- without depending on
 * the payload layout. End-to-end tests run the blocking scenario and read its summary,
 * and sweep seeds with partitions, crashes and loss: the correct protocol must keep
 * atomicity and conservation, and the presumed-commit variant must be caught.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cJSON.h>
#include "kit/kit.h"
#include "support.h"

/* n1 coordinates; n2 owns k0 and k3, n3 owns k1 and k4, n4 owns k2 and k5; c1 is 4. */
#define COORD 0u
#define CLIENT 4u
#define FLIGHTS_MAX 64

static const char *const quiet_json =
    "{\"duration\": \"10s\", \"nodes\": 4,"
    " \"protocol\": {\"name\": \"2pc\", \"params\": {\"log_force\": \"0s\"}},"
    " \"network\": {\"latency\": \"5ms\"},"
    " \"workload\": {\"clients\": 1, \"ops\": {\"transfer\": 1}, \"keys\": 6, \"rate\": \"1/m\", \"start\": \"1m\"}}";

static const char *const chaos_fmt =
    "{\"duration\": \"10s\", \"nodes\": 4,"
    " \"protocol\": {\"name\": \"2pc\", \"params\": {\"variant\": \"%s\"}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"10ms\"}, \"loss\": 0.03, \"duplicate\": 0.01},"
    " \"workload\": {\"clients\": 3, \"ops\": {\"transfer\": 0.8, \"read\": 0.2}, \"keys\": 6, \"rate\": \"40/s\", \"timeout\": \"1s\"},"
    " \"faults\": [{\"nemesis\": \"random-partitions\", \"every\": \"2s\", \"duration\": \"800ms\"},"
    "            {\"nemesis\": \"random-crashes\", \"mttf\": \"5s\", \"mttr\": \"1s\"}]}";

/* ---- Helpers. ------------------------------------------------------------------- */

static unsigned proto_type(const sim_t *s, const char *name)
{
    for (unsigned t = SIM_MSG_BUILTIN; t < sim_n_msg_types(s); t++)
        if (strcmp(sim_msg_type_name(s, t), name) == 0) return t - SIM_MSG_BUILTIN;
    fail_msg("no message type \"%s\"", name);
    return 0;
}

static uint16_t global_type(const sim_t *s, const char *name)
{
    return strcmp(name, "reply") == 0 ? 1 : (uint16_t)(proto_type(s, name) + SIM_MSG_BUILTIN);
}

static int count_in_flight(sim_t *s, uint32_t from, uint32_t to, const char *type)
{
    kit_t *k = kit_wrap(s);
    int n = kit_count(k, from, to, type);
    if (n < 0) fail_msg("%s", kit_error(k));
    kit_destroy(k);
    return n;
}

/* Hands `to` a copy of the newest message of a type in flight from -> to (the one sent
 * last), as if the network delivered it now. Returns its message id. */
static uint64_t pass_on(sim_t *s, uint32_t from, uint32_t to, const char *type)
{
    static kit_flight_t f[FLIGHTS_MAX];
    kit_t *k = kit_wrap(s);
    int n = kit_flights(k, from, to, type, f, FLIGHTS_MAX);
    if (n < 0 || n > FLIGHTS_MAX) fail_msg("%d %s messages in flight: %s", n, type, kit_error(k));
    if (n == 0) fail_msg("no %s message in flight from %u to %u", type, from, to);
    kit_destroy(k);
    const kit_flight_t *last = &f[n - 1];              /* oldest first: the newest is last */
    assert_int_equal(sim_inject(s, from, to, (unsigned)last->type_index, last->payload, last->len), SIM_OK);
    return last->id;
}

/* The reply to op_id in flight from a server to the client; fails unless exactly one. */
static kit_reply_t reply_to(sim_t *s, uint32_t from, uint64_t op_id, int64_t *value)
{
    kit_t *k = kit_wrap(s);
    kit_reply_t r;
    if (kit_reply_to(k, from, op_id, &r) != SIM_OK) fail_msg("%s", kit_error(k));
    kit_destroy(k);
    assert_int_equal(r.to, CLIENT);
    if (value) *value = r.n == 1 ? r.values[0] : 0;
    return r;
}

static cJSON *exported(sim_t *s, uint32_t node)
{
    jw_t w;
    jw_init(&w, false);
    sim_export_node(s, node, &w);
    cJSON *o = cJSON_Parse(w.buf);
    if (!o) fail_msg("export of node %u is not JSON: %s", node, w.buf);
    jw_free(&w);
    return o;
}

static int64_t get_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) fail_msg("no number \"%s\"", key);
    return (int64_t)v->valuedouble;
}

/* A participant's balance of key k. */
static int64_t balance(sim_t *s, uint32_t node, uint32_t k)
{
    cJSON *o = exported(s, node);
    char name[16];
    snprintf(name, sizeof name, "k%u", k);
    int64_t x = get_num(cJSON_GetObjectItemCaseSensitive(o, "balances"), name);
    cJSON_Delete(o);
    return x;
}

/* The transaction holding key k's lock at its owner, 0 when free. */
static int64_t lock_of(sim_t *s, uint32_t node, uint32_t k)
{
    cJSON *o = exported(s, node);
    char name[16];
    snprintf(name, sizeof name, "k%u", k);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "locks"), name);
    int64_t x = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
    cJSON_Delete(o);
    return x;
}

/* The state of transaction txn in a server's exported log ("prepared", ...), copied
 * into out; "" when the log does not show it. Also reports the record's flags. */
static void log_state(sim_t *s, uint32_t node, uint64_t txn, char *out, size_t len, bool *blocked, bool *unilateral)
{
    cJSON *o = exported(s, node);
    const cJSON *log = cJSON_GetObjectItemCaseSensitive(o, node == COORD ? "transactions" : "log");
    out[0] = 0;
    if (blocked) *blocked = false;
    if (unilateral) *unilateral = false;
    for (const cJSON *e = log ? log->child : NULL; e; e = e->next) {
        if ((uint64_t)get_num(e, "txn") != txn) continue;
        snprintf(out, len, "%s", cJSON_GetObjectItemCaseSensitive(e, "state")->valuestring);
        if (blocked) *blocked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "blocked"));
        if (unilateral) *unilateral = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "unilateral"));
    }
    cJSON_Delete(o);
}

static void assert_log_state(sim_t *s, uint32_t node, uint64_t txn, const char *want)
{
    char got[32];
    log_state(s, node, txn, got, sizeof got, NULL, NULL);
    if (strcmp(got, want) != 0) fail_msg("T%llu at node %u is \"%s\", expected \"%s\"", (unsigned long long)txn, node, got, want);
}

/* The run summary's protocol_stats, parsed; the caller deletes the returned root. */
static cJSON *summary(sim_t *s, const cJSON **stats)
{
    jw_t w;
    jw_init(&w, false);
    sim_write_summary(s, &w, 0);
    cJSON *o = cJSON_Parse(w.buf);
    jw_free(&w);
    assert_non_null(o);
    *stats = cJSON_GetObjectItemCaseSensitive(o, "protocol_stats");
    assert_non_null(*stats);
    return o;
}

static void act(sim_t *s, act_kind_t kind, uint32_t node, uint64_t msg_id)
{
    sim_action_t a = {0};
    a.kind = kind;
    a.node = node;
    a.msg_id = msg_id;
    assert_int_equal(sim_apply(s, &a), SIM_OK);
}

static sim_req_t transfer(uint64_t op_id, uint32_t from_key, uint32_t to_key, int64_t amount)
{
    sim_req_t r = {.client = CLIENT, .op_id = op_id, .f = SIM_OP_TRANSFER, .key = from_key, .key2 = to_key, .value = amount};
    return r;
}

static int64_t total_money(sim_t *s)
{
    int64_t sum = 0;
    for (uint32_t n = 1; n < 4; n++) {
        cJSON *o = exported(s, n);
        sum += get_num(o, "balance_sum");
        cJSON_Delete(o);
    }
    return sum;
}

/* ---- Driving single servers. ----------------------------------------------------- */

/* The quiet cluster with T1 (5 from k0 to k1) prepared: its prepare delivered at n2
 * and n3, whose votes are on their way to the coordinator. */
static sim_t *start_transfer_prepared(scn_t *scn)
{
    ts_load(quiet_json, scn);
    sim_t *s = ts_create(scn, NULL);
    sim_req_t t = transfer(11, 0, 1, 5);
    assert_int_equal(sim_inject_request(s, COORD, &t), SIM_OK);
    pass_on(s, COORD, 1, "prepare");
    pass_on(s, COORD, 2, "prepare");
    return s;
}

static void test_tpc_transfer_prepares_at_both_owners(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_req_t t = transfer(11, 0, 1, 5);                    /* k0 on n2 -> k1 on n3 */
    assert_int_equal(sim_inject_request(s, COORD, &t), SIM_OK);
    assert_int_equal(count_in_flight(s, COORD, 1, "prepare"), 1);
    assert_int_equal(count_in_flight(s, COORD, 2, "prepare"), 1);
    assert_int_equal(count_in_flight(s, COORD, 3, "prepare"), 0);
    assert_log_state(s, COORD, 1, "collecting");
    /* Nobody has voted: the client waits. */
    assert_int_equal(count_in_flight(s, COORD, CLIENT, "reply"), 0);
    /* Transfers elsewhere go to the coordinator; reads to the account's owner. */
    sim_req_t t2 = transfer(12, 0, 1, 5);
    assert_int_equal(sim_inject_request(s, 2, &t2), SIM_OK);
    kit_reply_t r = reply_to(s, 2, 12, NULL);
    assert_int_equal(r.status, SIM_REPLY_REDIRECT);
    assert_int_equal(r.redirect, COORD);
    sim_req_t rd = {.client = CLIENT, .op_id = 13, .f = SIM_OP_READ, .key = 4};
    assert_int_equal(sim_inject_request(s, 1, &rd), SIM_OK);
    r = reply_to(s, 1, 13, NULL);
    assert_int_equal(r.status, SIM_REPLY_REDIRECT);
    assert_int_equal(r.redirect, 2);                        /* k4 is n3's */
    sim_destroy(s);
    scn_free(&scn);
}

static void test_tpc_commit_moves_the_money_and_releases_locks(void **state)
{
    scn_t scn;
    sim_t *s = start_transfer_prepared(&scn);
    /* Both voted yes: locked, prepared, balances untouched so far. */
    assert_int_equal(lock_of(s, 1, 0), 1);
    assert_int_equal(lock_of(s, 2, 1), 1);
    assert_log_state(s, 1, 1, "prepared");
    assert_int_equal(balance(s, 1, 0), 100);
    pass_on(s, 1, COORD, "vote");
    assert_int_equal(count_in_flight(s, COORD, CLIENT, "reply"), 0);   /* one vote is not enough */
    pass_on(s, 2, COORD, "vote");
    assert_log_state(s, COORD, 1, "committed");
    assert_int_equal(reply_to(s, COORD, 11, NULL).status, SIM_REPLY_OK);
    pass_on(s, COORD, 1, "decision");
    pass_on(s, COORD, 2, "decision");
    assert_int_equal(balance(s, 1, 0), 95);
    assert_int_equal(balance(s, 2, 1), 105);
    assert_int_equal(lock_of(s, 1, 0), 0);
    assert_int_equal(lock_of(s, 2, 1), 0);
    assert_int_equal(total_money(s), 600);
    pass_on(s, 1, COORD, "ack");
    pass_on(s, 2, COORD, "ack");
    cJSON *o = exported(s, COORD);
    const cJSON *tx = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "transactions"), 0);
    assert_int_equal(get_num(tx, "acked"), 3);
    cJSON_Delete(o);
    assert_null(sim_violation(s, NULL));
    sim_destroy(s);
    scn_free(&scn);
}

static void test_tpc_participant_votes_no_on_a_locked_key(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_req_t t1 = transfer(11, 0, 1, 5), t2 = transfer(12, 3, 0, 2);   /* both touch k0, on n2 */
    assert_int_equal(sim_inject_request(s, COORD, &t1), SIM_OK);
    pass_on(s, COORD, 1, "prepare");
    assert_int_equal(lock_of(s, 1, 0), 1);
    assert_int_equal(sim_inject_request(s, COORD, &t2), SIM_OK);
    pass_on(s, COORD, 1, "prepare");                       /* T2's, the newest */
    /* k0 is held by T1: n2 refuses T2 and has aborted it already; T1 keeps its lock. */
    assert_log_state(s, 1, 2, "aborted");
    assert_log_state(s, 1, 1, "prepared");
    assert_int_equal(lock_of(s, 1, 0), 1);
    assert_int_equal(lock_of(s, 1, 3), 0);
    /* The no vote makes the coordinator abort T2 and tell the client it failed. */
    pass_on(s, 1, COORD, "vote");
    assert_log_state(s, COORD, 2, "aborted");
    assert_int_equal(reply_to(s, COORD, 12, NULL).status, SIM_REPLY_FAIL);
    assert_int_equal(count_in_flight(s, COORD, 1, "decision"), 1);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_tpc_participant_votes_no_rather_than_go_negative(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_req_t t = transfer(11, 0, 3, 101);                  /* k0 and k3 both on n2 */
    assert_int_equal(sim_inject_request(s, COORD, &t), SIM_OK);
    assert_int_equal(count_in_flight(s, COORD, 1, "prepare"), 1);
    pass_on(s, COORD, 1, "prepare");
    assert_log_state(s, 1, 1, "aborted");
    assert_int_equal(lock_of(s, 1, 0), 0);
    pass_on(s, 1, COORD, "vote");
    assert_int_equal(reply_to(s, COORD, 11, NULL).status, SIM_REPLY_FAIL);
    /* Exactly the balance is fine. */
    sim_req_t ok = transfer(12, 0, 3, 100);
    assert_int_equal(sim_inject_request(s, COORD, &ok), SIM_OK);
    pass_on(s, COORD, 1, "prepare");
    assert_log_state(s, 1, 2, "prepared");
    sim_destroy(s);
    scn_free(&scn);
}

static void test_tpc_prepared_participant_stays_blocked_without_decision(void **state)
{
    scn_t scn;
    sim_t *s = start_transfer_prepared(&scn);
    act(s, ACT_CRASH, COORD, 0);                            /* before any vote arrives */
    sim_run_until(s, 2 * SIM_SEC);
    /* Two seconds on, n2 still holds the lock, prepared, and counts as blocked. */
    char st[32];
    bool blocked;
    log_state(s, 1, 1, st, sizeof st, &blocked, NULL);
    assert_string_equal(st, "prepared");
    assert_true(blocked);
    assert_int_equal(lock_of(s, 1, 0), 1);
    assert_int_equal(balance(s, 1, 0), 100);
    /* It has been asking the coordinator and n3 all along; n3 cannot help. */
    const sim_stats_t *ss = sim_stats(s);
    assert_true(ss->sent_by_type[global_type(s, "decision-req")] >= 2 * 10);
    assert_int_equal(ss->sent_by_type[global_type(s, "decision")], 0);
    /* Reads of the locked account are refused meanwhile. */
    sim_req_t rd = {.client = CLIENT, .op_id = 20, .f = SIM_OP_READ, .key = 0};
    assert_int_equal(sim_inject_request(s, 1, &rd), SIM_OK);
    assert_int_equal(reply_to(s, 1, 20, NULL).status, SIM_REPLY_UNAVAILABLE);
    const cJSON *stats;
    cJSON *root = summary(s, &stats);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(stats, "blocked");
    assert_int_equal(get_num(b, "still_blocked"), 2);
    assert_true(get_num(b, "max_ns") >= 1900 * SIM_MS);
    cJSON_Delete(root);
    /* The coordinator comes back, finds T1 undecided in its log, and aborts it. */
    act(s, ACT_RESTART, COORD, 0);
    sim_run_until(s, 3 * SIM_SEC);
    assert_log_state(s, COORD, 1, "aborted");
    assert_log_state(s, 1, 1, "aborted");
    assert_log_state(s, 2, 1, "aborted");
    assert_int_equal(lock_of(s, 1, 0), 0);
    assert_int_equal(balance(s, 1, 0), 100);
    assert_null(sim_violation(s, NULL));
    sim_destroy(s);
    scn_free(&scn);
}

/* The participant's own line (the window's node panel, the terminal's node list) and
 * the summary tell the same story at every moment: from decision_timeout on, not only
 * from the retry tick that first notices, a participant holding a prepared transaction
 * is blocked. Checked every millisecond for two seconds after the coordinator died. */
static void test_tpc_participant_line_agrees_with_the_summary(void **state)
{
    scn_t scn;
    sim_t *s = start_transfer_prepared(&scn);
    act(s, ACT_CRASH, COORD, 0);
    uint32_t said_blocked = 0;
    for (sim_time_t at = sim_time(s) + SIM_MS; at < 2 * SIM_SEC; at += SIM_MS) {
        sim_run_until(s, at);
        const cJSON *stats;
        cJSON *root = summary(s, &stats);
        int64_t still = get_num(cJSON_GetObjectItemCaseSensitive(stats, "blocked"), "still_blocked");
        cJSON_Delete(root);
        uint32_t lines = 0;
        for (uint32_t n = 1; n <= 2; n++) {
            proto_desc_t d;
            sim_describe(s, n, &d);
            lines += strncmp(d.line, "BLOCKED", 7) == 0;
        }
        if (lines != still)
            fail_msg("t=%lldms: %u participant lines say BLOCKED, the summary says %lld still blocked",
                     (long long)(at / SIM_MS), lines, (long long)still);
        said_blocked += lines > 0;
    }
    assert_true(said_blocked > 1000);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_tpc_participant_that_never_voted_aborts_when_asked(void **state)
{
    scn_t scn;
    ts_load(quiet_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    sim_req_t t = transfer(11, 1, 2, 5);                    /* k1 on n3 -> k2 on n4 */
    assert_int_equal(sim_inject_request(s, COORD, &t), SIM_OK);
    pass_on(s, COORD, 2, "prepare");
    /* n4's prepare is lost and the coordinator crashes: n3 is prepared, n4 knows nothing. */
    kit_t *k = kit_wrap(s);
    kit_flight_t f;
    assert_int_equal(kit_find(k, COORD, 3, "prepare", &f), SIM_OK);
    act(s, ACT_DROP, 0, f.id);
    kit_destroy(k);
    act(s, ACT_CRASH, COORD, 0);
    sim_run_until(s, 1 * SIM_SEC);
    /* n3 asked n4; n4 had not voted, so it aborted on its own and said so. */
    bool unilateral;
    char st[32];
    log_state(s, 3, 1, st, sizeof st, NULL, &unilateral);
    assert_string_equal(st, "aborted");
    assert_true(unilateral);
    assert_log_state(s, 2, 1, "aborted");
    assert_int_equal(lock_of(s, 2, 1), 0);
    const cJSON *stats;
    cJSON *root = summary(s, &stats);
    assert_int_equal(get_num(stats, "unilateral_aborts"), 1);
    cJSON_Delete(root);
    assert_null(sim_violation(s, NULL));
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- End to end. ----------------------------------------------------------------- */

static void test_tpc_coordinator_crash_blocks_participants(void **state)
{
    scn_t scn;
    char err[512];
    if (scn_load_file("scenarios/2pc-blocked.json", &scn, err, sizeof err) != SIM_OK) fail_msg("%s", err);
    /* Before the coordinator's restart at 7s: both participants still blocked. */
    sim_opts_t early = {.duration_ns = 6 * SIM_SEC};
    sim_t *s = ts_create(&scn, &early);
    sim_run(s);
    const cJSON *stats;
    cJSON *root = summary(s, &stats);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(stats, "blocked");
    assert_int_equal(get_num(b, "still_blocked"), 2);
    assert_int_equal(get_num(b, "count"), 2);
    assert_true(get_num(b, "max_ns") >= 2900 * SIM_MS);
    assert_int_equal(lock_of(s, 1, 0), lock_of(s, 2, 1));
    assert_true(lock_of(s, 1, 0) > 0);
    cJSON_Delete(root);
    sim_destroy(s);

    /* The whole run: released at the restart, after about four seconds each. */
    s = ts_create(&scn, NULL);
    sim_run(s);
    assert_null(sim_violation(s, NULL));
    assert_null(sim_error(s));
    root = summary(s, &stats);
    b = cJSON_GetObjectItemCaseSensitive(stats, "blocked");
    assert_int_equal(get_num(b, "count"), 2);
    assert_int_equal(get_num(b, "still_blocked"), 0);
    assert_true(get_num(b, "total_ns") >= 2 * 3900 * SIM_MS);
    assert_true(get_num(b, "max_ns") >= 3900 * SIM_MS && get_num(b, "max_ns") <= 4100 * SIM_MS);
    assert_true(get_num(cJSON_GetObjectItemCaseSensitive(stats, "aborted_because"), "coordinator_recovery") >= 1);
    assert_true(get_num(stats, "committed") > 20);
    assert_int_equal(get_num(stats, "presumed_commits"), 0);
    cJSON_Delete(root);
    assert_int_equal(lock_of(s, 1, 0), 0);
    assert_int_equal(total_money(s), 600);
    sim_destroy(s);
    scn_free(&scn);
}

static uint64_t first_violation(const char *variant, uint64_t n, char *name, size_t name_len)
{
    char json[2048];
    snprintf(json, sizeof json, chaos_fmt, variant);
    scn_t scn;
    ts_load(json, &scn);
    ts_sweep_t sw;
    ts_sweep(&scn, n, &sw);
    scn_free(&scn);
    snprintf(name, name_len, "%s", sw.name);
    /* The sweep must have exercised something, or its verdict means nothing. */
    if (!sw.first || sw.runs > 1) {
        assert_true(sw.ok > sw.runs * 20);
        assert_true(sw.crashes > sw.runs);
        assert_true(sw.partitions >= sw.runs * 4);
    }
    return sw.first;
}

static void test_tpc_presumed_commit_on_timeout_is_caught(void **state)
{
    char name[64] = "";
    uint64_t seed = first_violation("presumed-commit-on-timeout", 200, name, sizeof name);
    if (!seed) fail_msg("no seed in 1..200 caught the presumed-commit-on-timeout variant");
    assert_string_equal(name, "atomicity");
    print_message("presumed-commit-on-timeout: first violating seed %llu\n", (unsigned long long)seed);
}

static void test_tpc_correct_protocol_passes_500_faulty_seeds(void **state)
{
    char name[64] = "";
    uint64_t seed = first_violation("none", 500, name, sizeof name);
    if (seed) fail_msg("seed %llu violated %s", (unsigned long long)seed, name);
}

static void test_tpc_same_seed_same_trace(void **state)
{
    char json[2048];
    snprintf(json, sizeof json, chaos_fmt, "none");
    scn_t scn;
    ts_load(json, &scn);
    ts_assert_seed_decides(&scn, 11, 12);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tpc_transfer_prepares_at_both_owners),
        cmocka_unit_test(test_tpc_commit_moves_the_money_and_releases_locks),
        cmocka_unit_test(test_tpc_participant_votes_no_on_a_locked_key),
        cmocka_unit_test(test_tpc_participant_votes_no_rather_than_go_negative),
        cmocka_unit_test(test_tpc_prepared_participant_stays_blocked_without_decision),
        cmocka_unit_test(test_tpc_participant_line_agrees_with_the_summary),
        cmocka_unit_test(test_tpc_participant_that_never_voted_aborts_when_asked),
        cmocka_unit_test(test_tpc_coordinator_crash_blocks_participants),
        cmocka_unit_test(test_tpc_presumed_commit_on_timeout_is_caught),
        cmocka_unit_test(test_tpc_correct_protocol_passes_500_faulty_seeds),
        cmocka_unit_test(test_tpc_same_seed_same_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
