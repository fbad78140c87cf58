/* test_trace.c -- the trace file (JSON lines) and the trace hash.
 *
 * A whole run is written to a file while a second listener keeps the records, and
 * every line is parsed back with cJSON and compared with the record it came from. The
 * three lines documented in trace.h are reproduced byte for byte.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <cJSON.h>
#include "core/sim.h"
#include "export/trace_file.h"
#include "support.h"

/* ---- Helpers. ------------------------------------------------------------------ */

/* The current test's directory, removed by the teardown even when the test fails. */
static char test_dir[64];

static void make_dir(char *dir, size_t len)
{
    snprintf(dir, len, "/tmp/dsim-test-trace-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(test_dir, sizeof test_dir, "%s", dir);
}

/* Names in a directory, to see what a writer left behind. */
static int dir_entries(const char *dir, char names[][256], int max)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (n < max) snprintf(names[n], 256, "%s", e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

static void remove_dir(const char *dir)
{
    char names[16][256];
    int n = dir_entries(dir, names, 16);
    for (int i = 0; i < n && i < 16; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

static int remove_test_dir(void **state)
{
    if (test_dir[0]) remove_dir(test_dir);
    test_dir[0] = 0;
    return 0;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    for (size_t k; (k = fread(b + n, 1, cap - n - 1, f)) > 0;) {
        n += k;
        if (n + 1 == cap) { cap *= 2; b = realloc(b, cap); }
    }
    fclose(f);
    b[n] = 0;
    return b;
}

/* Records with their texts copied, so they outlive the callback. */
typedef struct keep {
    trace_rec_t *v;
    size_t n, cap;
    trace_file_t *tf;            /* also write each record here */
} keep_t;

static void keep_listener(void *ud, const trace_rec_t *r)
{
    keep_t *k = ud;
    if (k->tf) trace_file_write(k->tf, r);
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 1024;
        k->v = realloc(k->v, k->cap * sizeof *k->v);
    }
    k->v[k->n] = *r;
    k->v[k->n].text = r->text ? strdup(r->text) : NULL;
    k->n++;
}

static void keep_free(keep_t *k)
{
    for (size_t i = 0; i < k->n; i++) free((void *)k->v[i].text);
    free(k->v);
    memset(k, 0, sizeof *k);
}

static const cJSON *field(const cJSON *o, const char *key, size_t line)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) fail_msg("line %zu: no \"%s\"", line, key);
    return v;
}

static void expect_int(const cJSON *o, const char *key, int64_t want, size_t line)
{
    const cJSON *v = field(o, key, line);
    if (!cJSON_IsNumber(v) || (int64_t)v->valuedouble != want)
        fail_msg("line %zu: \"%s\" is %g, expected %lld", line, key, v->valuedouble, (long long)want);
}

static void expect_str(const cJSON *o, const char *key, const char *want, size_t line)
{
    const cJSON *v = field(o, key, line);
    if (!cJSON_IsString(v) || strcmp(v->valuestring, want) != 0)
        fail_msg("line %zu: \"%s\" is %s, expected \"%s\"", line, key, cJSON_IsString(v) ? v->valuestring : "not a string", want);
}

static const char *node_name(const sim_t *s, uint32_t node)
{
    sim_node_info_t ni;
    sim_node_info(s, node, &ni);
    return ni.name;
}

/* Checks one parsed line against the record it was written from. */
static void check_line(const sim_t *s, const cJSON *o, const trace_rec_t *r, size_t line)
{
    expect_int(o, "t", r->t, line);
    expect_str(o, "ev", trace_kind_names[r->kind], line);
    switch ((trace_kind_t)r->kind) {
    case TR_SEND: case TR_DELIVER: case TR_DROP: case TR_DUPLICATE:
        expect_int(o, "id", (int64_t)r->id, line);
        expect_str(o, "from", node_name(s, r->a), line);
        expect_str(o, "to", node_name(s, r->b), line);
        expect_str(o, "type", sim_msg_type_name(s, r->type), line);
        if (r->kind == TR_DROP) expect_str(o, "reason", drop_reason_names[r->reason], line);
        if (r->kind == TR_SEND || r->kind == TR_DUPLICATE) {
            expect_int(o, "size", r->x, line);
            expect_int(o, "arrive", r->t2, line);
        }
        break;
    case TR_TIMER:
        expect_str(o, "node", node_name(s, r->a), line);
        expect_int(o, "kind", r->x, line);
        break;
    case TR_CRASH: case TR_RESTART: case TR_PAUSE: case TR_RESUME: case TR_ISOLATE:
        expect_str(o, "node", node_name(s, r->a), line);
        break;
    case TR_CLOCK:
        expect_str(o, "node", node_name(s, r->a), line);
        expect_int(o, "skew", r->x, line);
        break;
    case TR_LINK:
        expect_str(o, "from", node_name(s, r->a), line);
        expect_str(o, "to", node_name(s, r->b), line);
        break;
    case TR_PARTITION: {
        expect_str(o, "groups", r->text, line);
        const cJSON *ow = cJSON_GetObjectItemCaseSensitive(o, "oneway");
        if (r->x ? !cJSON_IsTrue(ow) : ow != NULL) fail_msg("line %zu: \"oneway\" does not match the record", line);
        break;
    }
    case TR_INVOKE:
        expect_int(o, "op", (int64_t)r->id, line);
        expect_str(o, "client", node_name(s, r->a), line);
        expect_str(o, "f", sim_op_names[r->type], line);
        expect_int(o, "key", r->x, line);
        expect_int(o, "value", r->y, line);
        break;
    case TR_COMPLETE:
        expect_int(o, "op", (int64_t)r->id, line);
        expect_str(o, "client", node_name(s, r->a), line);
        expect_str(o, "result", hist_type_names[r->reason], line);
        expect_int(o, "latency", r->t - r->t2, line);
        break;
    case TR_LOG:
        expect_str(o, "node", node_name(s, r->a), line);
        expect_str(o, "text", r->text, line);
        break;
    case TR_VIOLATION:
        expect_str(o, "invariant", r->text, line);
        break;
    default:
        break;
    }
}

/* ---- The file. ----------------------------------------------------------------- */

static const char *const busy_json =
    "{\"seed\": 7, \"duration\": \"3s\", \"nodes\": 4,"
    " \"protocol\": {\"name\": \"gossip\", \"params\": {\"anti_entropy\": \"100ms\"}},"
    " \"network\": {\"latency\": {\"dist\": \"uniform\", \"min\": \"1ms\", \"max\": \"9ms\"}, \"loss\": 0.05, \"duplicate\": 0.05},"
    " \"workload\": {\"clients\": 2, \"ops\": {\"write\": 1, \"read\": 1}, \"rate\": \"100/s\", \"timeout\": \"50ms\"},"
    " \"faults\": [{\"at\": \"200ms\", \"crash\": \"n1\"}, {\"at\": \"400ms\", \"restart\": \"n1\"},"
    "   {\"at\": \"500ms\", \"pause\": \"n2\"}, {\"at\": \"600ms\", \"resume\": \"n2\"},"
    "   {\"at\": \"700ms\", \"partition\": [[\"n1\", \"n2\"], [\"n3\", \"c1\"]], \"oneway\": true}, {\"at\": \"1s\", \"heal\": true},"
    "   {\"at\": \"1100ms\", \"isolate\": \"n4\"}, {\"at\": \"1200ms\", \"heal\": true},"
    "   {\"at\": \"1300ms\", \"link\": {\"from\": \"n1\", \"to\": \"n3\", \"latency\": \"30ms\"}},"
    "   {\"at\": \"1400ms\", \"network\": {\"loss\": 0.1}},"
    "   {\"at\": \"1500ms\", \"clock\": \"n3\", \"skew\": \"-40ms\"}]}";

static void test_trace_file_is_json_lines_matching_the_records(void **state)
{
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/run.jsonl", dir);
    scn_t scn;
    ts_load(busy_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    keep_t k = {0};
    k.tf = trace_file_open(path, s);
    assert_non_null(k.tf);
    sim_set_trace(s, keep_listener, &k);
    sim_run(s);
    /* Kinds no shipped protocol emits, written directly; the text needs escaping. */
    trace_rec_t log = {.kind = TR_LOG, .a = 2, .t = sim_time(s), .text = "say \"hi\"\\ then\n\ttab, caf\xc3\xa9"};
    trace_rec_t vio = {.kind = TR_VIOLATION, .t = sim_time(s), .text = "election-safety"};
    keep_listener(&k, &log);
    keep_listener(&k, &vio);
    assert_int_equal(trace_file_close(k.tf, true), SIM_OK);

    char *text = read_all(path);
    assert_non_null(text);
    size_t line = 0, oneway = 0;
    bool seen[TR_COUNT_] = {false};
    for (char *p = text, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl) fail_msg("line %zu has no newline at the end", line + 1);
        *nl = 0;
        if (line >= k.n) fail_msg("more lines than records (%zu)", k.n);
        cJSON *o = cJSON_Parse(p);
        if (!o || !cJSON_IsObject(o)) fail_msg("line %zu is not a JSON object: %s", line + 1, p);
        check_line(s, o, &k.v[line], line + 1);
        seen[k.v[line].kind] = true;
        if (k.v[line].kind == TR_PARTITION && k.v[line].x) oneway++;
        cJSON_Delete(o);
        line++;
    }
    assert_int_equal(line, k.n);
    assert_int_equal(oneway, 1);
    static const trace_kind_t kinds[] = {
        TR_SEND, TR_DELIVER, TR_DROP, TR_DUPLICATE, TR_TIMER, TR_CRASH, TR_RESTART, TR_PAUSE, TR_RESUME,
        TR_PARTITION, TR_HEAL, TR_ISOLATE, TR_LINK, TR_NETWORK, TR_CLOCK, TR_INVOKE, TR_COMPLETE, TR_LOG, TR_VIOLATION,
    };
    for (size_t i = 0; i < SIM_ARRAY_LEN(kinds); i++)
        if (!seen[kinds[i]]) fail_msg("the run wrote no %s record", trace_kind_names[kinds[i]]);
    free(text);
    /* Only the file itself is left: no temporary file beside it. */
    char names[4][256];
    assert_int_equal(dir_entries(dir, names, 4), 1);
    assert_string_equal(names[0], "run.jsonl");
    keep_free(&k);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_trace_file_matches_the_documented_lines(void **state)
{
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/doc.jsonl", dir);
    scn_t scn;
    ts_load("{\"duration\": \"1s\", \"nodes\": 3, \"protocol\": \"gossip\"}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    trace_file_t *tf = trace_file_open(path, s);
    assert_non_null(tf);
    trace_rec_t send = {.kind = TR_SEND, .type = 2, .a = 0, .b = 1, .id = 7, .t = 1500000, .t2 = 12400000, .x = 64};
    trace_rec_t deliver = {.kind = TR_DELIVER, .type = 2, .a = 0, .b = 1, .id = 7, .t = 12400000, .t2 = 12400000, .x = 64};
    trace_rec_t drop = {.kind = TR_DROP, .reason = DROP_PARTITION, .type = 2, .a = 0, .b = 2, .id = 8, .t = 12400000, .x = 64};
    trace_file_write(tf, &send);
    trace_file_write(tf, &deliver);
    trace_file_write(tf, &drop);
    assert_int_equal(trace_file_close(tf, true), SIM_OK);
    char *text = read_all(path);
    assert_string_equal(text,
        "{\"t\":1500000,\"ev\":\"send\",\"id\":7,\"from\":\"n1\",\"to\":\"n2\",\"type\":\"push\",\"size\":64,\"arrive\":12400000}\n"
        "{\"t\":12400000,\"ev\":\"deliver\",\"id\":7,\"from\":\"n1\",\"to\":\"n2\",\"type\":\"push\"}\n"
        "{\"t\":12400000,\"ev\":\"drop\",\"id\":8,\"from\":\"n1\",\"to\":\"n3\",\"type\":\"push\",\"reason\":\"partition\"}\n");
    free(text);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_trace_file_closed_without_keep_leaves_nothing(void **state)
{
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/gone.jsonl", dir);
    scn_t scn;
    ts_load(busy_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    trace_file_t *tf = trace_file_open(path, s);
    assert_non_null(tf);
    sim_set_trace(s, trace_file_write, tf);
    sim_run_until(s, 2 * SIM_SEC);                  /* more than the writer buffers */
    assert_int_equal(trace_file_close(tf, false), SIM_OK);
    char names[4][256];
    assert_int_equal(dir_entries(dir, names, 4), 0);

    /* An existing file is left as it was. */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("old\n", f);
    fclose(f);
    tf = trace_file_open(path, s);
    assert_non_null(tf);
    sim_set_trace(s, trace_file_write, tf);
    sim_run(s);
    sim_set_trace(s, NULL, NULL);
    assert_int_equal(trace_file_close(tf, false), SIM_OK);
    char *text = read_all(path);
    assert_string_equal(text, "old\n");
    free(text);
    assert_int_equal(dir_entries(dir, names, 4), 1);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_trace_file_replaces_an_old_file_when_kept(void **state)
{
    char dir[64], path[128];
    make_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/t.jsonl", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("old contents that are longer than the new\n", f);
    fclose(f);
    scn_t scn;
    ts_load("{\"duration\": \"1s\", \"nodes\": 2, \"protocol\": \"echo\"}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    trace_file_t *tf = trace_file_open(path, s);
    trace_rec_t crash = {.kind = TR_CRASH, .a = 1, .t = 5};
    trace_file_write(tf, &crash);
    assert_int_equal(trace_file_close(tf, true), SIM_OK);
    char *text = read_all(path);
    assert_string_equal(text, "{\"t\":5,\"ev\":\"crash\",\"node\":\"n2\"}\n");
    free(text);
    sim_destroy(s);
    scn_free(&scn);
}

static void test_trace_file_open_fails_cleanly(void **state)
{
    scn_t scn;
    ts_load("{\"duration\": \"1s\", \"nodes\": 2, \"protocol\": \"echo\"}", &scn);
    sim_t *s = ts_create(&scn, NULL);
    assert_null(trace_file_open("/nonexistent-dsim-dir/x/trace.jsonl", s));
    assert_null(trace_file_open("", s));
    assert_int_equal(trace_file_close(NULL, true), SIM_OK);
    sim_destroy(s);
    scn_free(&scn);
}

/* ---- The hash. ----------------------------------------------------------------- */

static void test_trace_hash_differs_when_any_field_differs(void **state)
{
    const trace_rec_t base = {.kind = TR_SEND, .reason = 1, .type = 3, .a = 4, .b = 5, .id = 6,
                              .t = 7000, .t2 = 8000, .x = 9, .y = 10, .text = "abc"};
    const uint64_t h0 = 0x1234567890abcdefULL;
    uint64_t hb = trace_hash_step(h0, &base);
    trace_rec_t same = base;
    char copy[] = "abc";
    same.text = copy;                            /* the text's bytes count, not its address */
    assert_int_equal(trace_hash_step(h0, &same), hb);

    trace_rec_t v[13];
    for (int i = 0; i < 13; i++) v[i] = base;
    v[0].kind = TR_DELIVER;
    v[1].reason = 2;
    v[2].type = 4;
    v[3].a = 5;
    v[4].b = 4;
    v[5].id = 7;
    v[6].t = 7001;
    v[7].t2 = 8001;
    v[8].x = 10;
    v[9].y = 11;
    v[10].text = "abd";
    v[11].text = "abcd";
    v[12].text = NULL;
    for (int i = 0; i < 13; i++)
        if (trace_hash_step(h0, &v[i]) == hb) fail_msg("variant %d hashes like the base record", i);
    /* The running hash depends on what came before, and on the order. */
    assert_int_not_equal(trace_hash_step(h0 + 1, &base), hb);
    assert_int_not_equal(trace_hash_step(trace_hash_step(h0, &v[0]), &v[1]),
                         trace_hash_step(trace_hash_step(h0, &v[1]), &v[0]));
    /* Swapping two fields is a different record. */
    trace_rec_t sw = base;
    sw.a = base.b;
    sw.b = base.a;
    assert_int_not_equal(trace_hash_step(h0, &sw), hb);
    sw = base;
    sw.t = base.t2;
    sw.t2 = base.t;
    assert_int_not_equal(trace_hash_step(h0, &sw), hb);
}

static void test_trace_hash_sees_high_bits_of_every_field(void **state)
{
    const trace_rec_t base = {.kind = TR_SEND, .reason = 1, .type = 3, .a = 4, .b = 5, .id = 6,
                              .t = 7000, .t2 = 8000, .x = 9, .y = 10, .text = "abc"};
    const uint64_t h0 = 0x1234567890abcdefULL;
    uint64_t hb = trace_hash_step(h0, &base);
    /* High bits count too: a send of 8 bytes and one of 131080 bytes (8 + 2^17) are
     * different records, as are clock skews 2^17ns apart. */
    static const struct { const char *what; int field; int shift; } high[] = {
        {"id", 0, 63}, {"t", 1, 62}, {"t2", 2, 62}, {"a", 3, 31}, {"x", 4, 17}, {"x", 4, 40},
        {"y", 5, 51}, {"b", 6, 21},
    };
    char failure[256] = "";
    for (size_t i = 0; i < SIM_ARRAY_LEN(high); i++) {
        trace_rec_t big = base;
        switch (high[i].field) {
        case 0: big.id ^= 1ULL << high[i].shift; break;
        case 1: big.t ^= (int64_t)1 << high[i].shift; break;
        case 2: big.t2 ^= (int64_t)1 << high[i].shift; break;
        case 3: big.a ^= 1u << high[i].shift; break;
        case 4: big.x ^= (int64_t)1 << high[i].shift; break;
        case 5: big.y ^= (int64_t)1 << high[i].shift; break;
        case 6: big.b ^= 1u << high[i].shift; break;
        }
        if (trace_hash_step(h0, &big) == hb) {
            size_t at = strlen(failure);
            snprintf(failure + at, sizeof failure - at, "%s%s bit %d", at ? ", " : "", high[i].what, high[i].shift);
        }
    }
    if (failure[0]) fail_msg("records differing only in a high bit hash alike: %s", failure);
}

static void test_trace_hash_of_a_run_is_the_fold_of_its_records(void **state)
{
    scn_t scn;
    ts_load(busy_json, &scn);
    sim_t *s = ts_create(&scn, NULL);
    keep_t k = {0};
    sim_set_trace(s, keep_listener, &k);
    sim_run(s);
    uint64_t h = sim_trace_hash(s);
    sim_destroy(s);
    /* Fold what the listener saw, starting from the hash of a run that has done
     * nothing yet, and arrive at the run's hash. */
    sim_t *fresh = ts_create(&scn, NULL);
    uint64_t x = sim_trace_hash(fresh);
    sim_destroy(fresh);
    for (size_t i = 0; i < k.n; i++) x = trace_hash_step(x, &k.v[i]);
    assert_int_equal(x, h);
    keep_free(&k);
    scn_free(&scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_trace_file_is_json_lines_matching_the_records, remove_test_dir),
        cmocka_unit_test_teardown(test_trace_file_matches_the_documented_lines, remove_test_dir),
        cmocka_unit_test_teardown(test_trace_file_closed_without_keep_leaves_nothing, remove_test_dir),
        cmocka_unit_test_teardown(test_trace_file_replaces_an_old_file_when_kept, remove_test_dir),
        cmocka_unit_test(test_trace_file_open_fails_cleanly),
        cmocka_unit_test(test_trace_hash_differs_when_any_field_differs),
        cmocka_unit_test(test_trace_hash_sees_high_bits_of_every_field),
        cmocka_unit_test(test_trace_hash_of_a_run_is_the_fold_of_its_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
