/* test_history.c -- histories in memory, JSON lines out and back, EDN in, and every
 * kind of malformed input with the message a person would see.
 *
 * Messages are compared in full (after the file name) because they are the interface
 * a student meets first when a hand-written history is wrong; a vague or misplaced
 * message is a bug here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/afile.h"
#include "check/histread.h"
#include "core/history.h"
#include "core/rng.h"

static char tmpdir[64];

static int setup_dir(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/dsim-test-history-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to <tmpdir>/<name> and returns the path (static buffer). */
static const char *write_file(const char *name, const char *text, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    return path;
}

/* Reads text as file `name`; returns the code and leaves the message in err. */
static int read_text(const char *name, const char *text, hist_t *h, char *err, size_t err_len)
{
    const char *path = write_file(name, text, strlen(text));
    hist_init(h);
    return hist_read_file(path, h, err, err_len);
}

/* Expects text to be refused with exactly "<tmpdir>/<name>:<msg>". */
static void expect_error(const char *name, const char *text, const char *msg)
{
    hist_t h;
    char err[512], want[512];
    int rc = read_text(name, text, &h, err, sizeof err);
    snprintf(want, sizeof want, "%s/%s:%s", tmpdir, name, msg);
    if (rc != SIM_EINPUT || strcmp(err, want) != 0)
        fprintf(stderr, "input:\n%s\nwant: %s\ngot (%d): %s\n", text, want, rc, err);
    assert_int_equal(rc, SIM_EINPUT);
    assert_string_equal(err, want);
    hist_free(&h);
}

static void test_history_intern_returns_same_index(void **state)
{
    hist_t h;
    hist_init(&h);
    uint16_t r = hist_intern_f(&h, "read");
    uint16_t w = hist_intern_f(&h, "write");
    assert_int_not_equal(r, w);
    assert_int_equal(hist_intern_f(&h, "read"), r);
    assert_int_equal(hist_find_f(&h, "write"), w);
    assert_int_equal(hist_find_f(&h, "cas"), -1);
    /* Many keys: the index must survive rehashing. */
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof name, "k%d", i);
        assert_int_equal(hist_intern_key(&h, name), i);
    }
    for (int i = 0; i < 5000; i += 7) {
        snprintf(name, sizeof name, "k%d", i);
        assert_int_equal(hist_find_key(&h, name), i);
        assert_int_equal(hist_intern_key(&h, name), i);
    }
    assert_int_equal(h.n_keys, 5000);
    assert_int_equal(hist_intern_str(&h, "x 0 0 y"), 0);
    assert_int_equal(hist_intern_str(&h, "x 0 1 y"), 1);
    assert_int_equal(hist_intern_str(&h, "x 0 0 y"), 0);
    hist_free(&h);
}

static void test_history_add_copies_values(void **state)
{
    hist_t h;
    hist_init(&h);
    uint16_t cas = hist_intern_f(&h, "cas");
    int64_t v[2] = { 1, 2 };
    assert_int_equal(hist_add(&h, 4, HIST_INVOKE, cas, -1, HIST_V_LIST, v, 2, 10), 0);
    v[0] = 99;
    assert_int_equal(hist_add(&h, 4, HIST_OK, cas, -1, HIST_V_LIST, v, 2, 20), 1);
    assert_int_equal(hist_vals(&h, &h.ev[0])[0], 1);
    assert_int_equal(hist_vals(&h, &h.ev[1])[0], 99);
    char buf[64];
    assert_string_equal(hist_format_value(&h, &h.ev[0], buf, sizeof buf), "[1, 2]");
    /* Too many values in one event is a named limit, not a crash. */
    int64_t *big = calloc(SIM_REPLY_VALUES_MAX + 1, sizeof *big);
    assert_int_equal(hist_add(&h, 4, HIST_OK, cas, -1, HIST_V_LIST, big, SIM_REPLY_VALUES_MAX + 1, 30), SIM_ELIMIT);
    free(big);
    assert_int_equal(h.n_ev, 2);
    hist_free(&h);
}

static void test_history_format_value_cuts_long_strings(void **state)
{
    hist_t h;
    hist_init(&h);
    uint16_t f = hist_intern_f(&h, "append");
    int64_t s = hist_intern_str(&h, "a rather long appended string value");
    hist_add(&h, 0, HIST_INVOKE, f, -1, HIST_V_STR, &s, 1, 0);
    char buf[12];
    hist_format_value(&h, &h.ev[0], buf, sizeof buf);
    assert_int_equal(strlen(buf), sizeof buf - 1);
    assert_string_equal(buf, "\"a rathe...");
    hist_free(&h);
}

static void test_history_jsonl_round_trip(void **state)
{
    hist_t h, g;
    hist_init(&h);
    uint16_t w = hist_intern_f(&h, "write"), r = hist_intern_f(&h, "read"), a = hist_intern_f(&h, "append");
    int32_t k1 = hist_intern_key(&h, "k1"), k2 = hist_intern_key(&h, "odd \"key\"\n");
    int64_t seven = 7, pair[2] = { -3, 9007199254740992LL };
    int64_t s = hist_intern_str(&h, "tab\there \\ \"quoted\" \x01");
    hist_add(&h, 3, HIST_INVOKE, w, k1, HIST_V_INT, &seven, 1, 120);
    hist_add(&h, 4, HIST_INVOKE, r, k2, HIST_V_NONE, NULL, 0, 130);
    hist_add(&h, 3, HIST_OK, w, k1, HIST_V_INT, &seven, 1, 480);
    hist_add(&h, 4, HIST_INFO, r, k2, HIST_V_LIST, pair, 2, 500);
    hist_add(&h, 5, HIST_INVOKE, a, -1, HIST_V_STR, &s, 1, 500);
    hist_add(&h, 5, HIST_FAIL, a, -1, HIST_V_STR, &s, 1, 900);

    char path[256];
    snprintf(path, sizeof path, "%s/round.jsonl", tmpdir);
    assert_int_equal(hist_write_jsonl(&h, path), SIM_OK);
    char err[256];
    hist_init(&g);
    int rc = hist_read_file(path, &g, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, SIM_OK);
    assert_int_equal(g.n_ev, h.n_ev);
    for (uint32_t i = 0; i < h.n_ev; i++) {
        const hist_event_t *x = &h.ev[i], *y = &g.ev[i];
        assert_int_equal(x->process, y->process);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->vkind, y->vkind);
        assert_int_equal(x->n, y->n);
        assert_int_equal(x->time_ns, y->time_ns);
        assert_string_equal(hist_f_name(&h, x), hist_f_name(&g, y));
        if (x->key < 0) assert_int_equal(y->key, -1);
        else assert_string_equal(hist_key_name(&h, x), hist_key_name(&g, y));
        if (x->vkind == HIST_V_STR) assert_string_equal(h.strs[hist_vals(&h, x)[0]], g.strs[hist_vals(&g, y)[0]]);
        else
            for (uint32_t k = 0; k < x->n; k++) assert_int_equal(hist_vals(&h, x)[k], hist_vals(&g, y)[k]);
    }
    /* The writer left nothing but the target behind. */
    char cmd[300];
    snprintf(cmd, sizeof cmd, "test $(ls '%s' | grep -c tmp) -eq 0", tmpdir);
    assert_int_equal(system(cmd), 0);
    hist_free(&h);
    hist_free(&g);
}

static void test_history_write_to_missing_dir_fails_cleanly(void **state)
{
    hist_t h;
    hist_init(&h);
    assert_int_equal(hist_write_jsonl(&h, "/nonexistent-dir/h.jsonl"), SIM_EIO);
    hist_free(&h);
}

/* A history whose events carry no values has no arena at all; their values are still a
 * valid (empty) slice, not an offset added to a null pointer, which is undefined. */
static void test_history_vals_of_valueless_history_are_valid(void **state)
{
    hist_t h;
    char err[256];
    assert_int_equal(read_text("one.edn", "{:process 0, :type :invoke, :f :read, :value nil}\n", &h, err, sizeof err), SIM_OK);
    assert_int_equal(h.n_ev, 1);
    assert_null(h.arena);
    assert_int_equal(h.ev[0].n, 0);
    assert_non_null(hist_vals(&h, &h.ev[0]));
    hist_free(&h);
}

static void test_history_afile_abort_keeps_target(void **state)
{
    const char *path = write_file("keep.txt", "old", 3);
    afile_t a;
    assert_int_equal(afile_open(&a, path), SIM_OK);
    fputs("new and longer", a.f);
    afile_abort(&a);
    FILE *f = fopen(path, "r");
    char buf[32] = { 0 };
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "old");
    assert_int_equal(access(a.tmp, F_OK), -1);
}

static void test_history_edn_porcupine_lines(void **state)
{
    hist_t h;
    char err[256];
    int rc = read_text("h.edn",
        "{:process 0, :type :invoke, :f :append, :key \"0\", :value \"x 0 0 y\"}\n"
        "\n"
        "{:process 3, :type :invoke, :f :get, :key \"2\", :value nil}\n"
        "{:process 0, :type :ok, :f :append, :key \"0\", :value \"x 0 0 y\"}\r\n"
        "{:process 3, :type :ok, :f :get, :key \"2\", :value \"x 1 4 y\"}\n"
        "{:process :nemesis, :type :info, :f :start, :value nil}\n"
        "{:process 7 :type :invoke :f :cas :key 5 :value [1 -2] :time 1234 :error {:why [:a \"b\"]}} ; comment\n"
        "{:process 7, :type :fail, :f :cas, :key 5, :value [1 -2]}\n"
        "{:process 8, :type :invoke, :f \"write\", :value \"esc \\\"q\\\" \\\\ \\n\"}\n",
        &h, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, SIM_OK);
    assert_int_equal(h.n_ev, 7);   /* the nemesis line is skipped */
    assert_string_equal(hist_f_name(&h, &h.ev[0]), "append");
    assert_string_equal(hist_key_name(&h, &h.ev[0]), "0");
    assert_int_equal(h.ev[0].vkind, HIST_V_STR);
    assert_string_equal(h.strs[hist_vals(&h, &h.ev[0])[0]], "x 0 0 y");
    assert_int_equal(h.ev[1].vkind, HIST_V_NONE);
    /* Times are line indexes, blank lines counted. */
    assert_int_equal(h.ev[0].time_ns, 0);
    assert_int_equal(h.ev[1].time_ns, 2);
    assert_int_equal(h.ev[2].time_ns, 3);
    assert_int_equal(h.ev[3].type, HIST_OK);
    assert_string_equal(h.strs[hist_vals(&h, &h.ev[3])[0]], "x 1 4 y");
    assert_int_equal(h.ev[4].vkind, HIST_V_LIST);
    assert_int_equal(h.ev[4].n, 2);
    assert_int_equal(hist_vals(&h, &h.ev[4])[1], -2);
    assert_string_equal(hist_key_name(&h, &h.ev[4]), "5");
    assert_int_equal(h.ev[5].type, HIST_FAIL);
    assert_int_equal(h.ev[6].key, -1);
    assert_string_equal(h.strs[hist_vals(&h, &h.ev[6])[0]], "esc \"q\" \\ \n");
    hist_free(&h);
}

static void test_history_json_without_times_uses_line_index(void **state)
{
    hist_t h;
    char err[256];
    int rc = read_text("h.jsonl",
        "{\"process\": 1, \"type\": \"invoke\", \"f\": \"add\", \"value\": 2}\n"
        "{\"process\": 1, \"type\": \"ok\", \"f\": \"add\", \"value\": 2, \"extra\": [true]}\n"
        "{\"process\": 2, \"type\": \"invoke\", \"f\": \"read\", \"key\": 12, \"value\": null}\n",
        &h, err, sizeof err);
    assert_int_equal(rc, SIM_OK);
    assert_int_equal(h.ev[2].time_ns, 2);
    assert_string_equal(hist_key_name(&h, &h.ev[2]), "12");
    hist_free(&h);
}

static void test_history_empty_file_is_an_empty_history(void **state)
{
    hist_t h;
    char err[256];
    assert_int_equal(read_text("empty.jsonl", "\n  \n", &h, err, sizeof err), SIM_OK);
    assert_int_equal(h.n_ev, 0);
    hist_free(&h);
}

#define INV(p) "{\"process\": " #p ", \"type\": \"invoke\", \"f\": \"write\", \"key\": \"k1\", \"value\": 1, \"time_ns\": 10}\n"

static void test_history_json_malformed_messages(void **state)
{
    expect_error("h.jsonl", INV(1) "{\"process\": 1, \"type\": \"done\", \"f\": \"write\", \"key\": \"k1\", \"time_ns\": 20}\n",
                 "2: expected \"type\" to be one of invoke, ok, fail, info, found \"done\"");
    expect_error("h.jsonl", INV(1) "{\"process\": 1, \"type\": 3}\n",
                 "2: expected \"type\" to be one of invoke, ok, fail, info, found 3");
    expect_error("h.jsonl", "[1, 2]\n",
                 "1: expected a JSON object ({\"process\": ...}) or an EDN map ({:process ...}), found \"[1, 2]\"");
    expect_error("h.jsonl", INV(1) "[1, 2]\n", "2: expected a JSON object, found a list");
    expect_error("h.jsonl", INV(1) "{\"process\": 1, \"type\": \"ok\",\n",
                 "2: expected a complete JSON object, found the line ending at column 29");
    expect_error("h.jsonl", INV(1) "{\"process\": 1, \"type\": ok}\n",
                 "2: expected a JSON object, found invalid JSON at column 24: \"ok}\"");
    expect_error("h.jsonl", INV(1) "{\"process\": 2} trailing\n",
                 "2: expected a JSON object, found invalid JSON at column 16: \"trailing\"");
    expect_error("h.jsonl", "{\"type\": \"invoke\", \"f\": \"read\"}\n", "1: expected a \"process\" entry, found none");
    expect_error("h.jsonl", "{\"process\": 1, \"f\": \"read\"}\n", "1: expected a \"type\" entry, found none");
    expect_error("h.jsonl", "{\"process\": 1, \"type\": \"invoke\"}\n", "1: expected a \"f\" entry, found none");
    expect_error("h.jsonl", "{\"process\": -1, \"type\": \"invoke\", \"f\": \"read\"}\n",
                 "1: expected \"process\" to be an integer from 0 to 4294967295, found -1");
    expect_error("h.jsonl", "{\"process\": 1.5, \"type\": \"invoke\", \"f\": \"read\"}\n",
                 "1: expected \"process\" to be an integer from 0 to 4294967295, found 1.5");
    expect_error("h.jsonl", "{\"process\": \"p1\", \"type\": \"invoke\", \"f\": \"read\"}\n",
                 "1: expected \"process\" to be an integer from 0 to 4294967295, found \"p1\"");
    expect_error("h.jsonl", "{\"process\": 1, \"type\": \"invoke\", \"f\": 5}\n",
                 "1: expected \"f\" to be a string, found 5");
    expect_error("h.jsonl", "{\"process\": 1, \"type\": \"invoke\", \"f\": \"\"}\n",
                 "1: expected \"f\" to be a non-empty name, found \"\"");
    expect_error("h.jsonl", "{\"process\": 1, \"type\": \"invoke\", \"f\": \"read\", \"key\": true}\n",
                 "1: expected \"key\" to be a string or an integer, found true");
    expect_error("h.jsonl", "{\"process\": 1, \"type\": \"invoke\", \"f\": \"read\", \"value\": {\"a\": 1}}\n",
                 "1: expected \"value\" to be null, an integer, a list of integers or a string, found an object");
    expect_error("h.jsonl", "{\"process\": 1, \"type\": \"invoke\", \"f\": \"read\", \"value\": [1, \"2\"]}\n",
                 "1: expected each element of \"value\" to be an integer from -9007199254740992 to 9007199254740992, found \"2\"");
    expect_error("h.jsonl", "{\"process\": 1, \"type\": \"invoke\", \"f\": \"read\", \"value\": 1e300}\n",
                 "1: expected \"value\" to be an integer from -9007199254740992 to 9007199254740992, found 1.0000000000000001e+300");
    expect_error("h.jsonl", INV(1) "{\"process\": 2, \"type\": \"invoke\", \"f\": \"read\", \"time_ns\": 5}\n",
                 "2: expected \"time_ns\" to be at least 10 (line 1's), found 5");
    expect_error("h.jsonl", INV(1) "{\"process\": 2, \"type\": \"invoke\", \"f\": \"read\"}\n",
                 "2: expected \"time_ns\", as the first event has one, found none");
    expect_error("h.jsonl", "{\"process\": 2, \"type\": \"invoke\", \"f\": \"read\"}\n" INV(1),
                 "2: expected no \"time_ns\", as the first event has none, found one");
    expect_error("h.jsonl", "{\"process\": 1, \"type\": \"invoke\", \"f\": \"read\", \"time_ns\": -4}\n",
                 "1: expected \"time_ns\" to be an integer from 0 to 9007199254740992, found -4");
}

static void test_history_structural_errors(void **state)
{
    expect_error("h.jsonl", INV(1) INV(2) "\n" INV(1),
                 "4: expected process 1 to complete the operation it invoked on line 1 before invoking another, "
                 "found a second invoke");
    expect_error("h.jsonl", INV(1) "{\"process\": 2, \"type\": \"ok\", \"f\": \"write\", \"key\": \"k1\", \"time_ns\": 11}\n",
                 "2: expected an invoke by process 2 before its completion, found \"ok\" with no operation outstanding");
    expect_error("h.jsonl", INV(1) "{\"process\": 1, \"type\": \"ok\", \"f\": \"read\", \"key\": \"k1\", \"time_ns\": 11}\n",
                 "2: expected \"f\" to be \"write\" as invoked on line 1, found \"read\"");
    expect_error("h.jsonl", INV(1) "{\"process\": 1, \"type\": \"info\", \"f\": \"write\", \"key\": \"k2\", \"time_ns\": 11}\n",
                 "2: expected \"key\" to be \"k1\" as invoked on line 1, found \"k2\"");
    expect_error("h.jsonl", INV(1) "{\"process\": 1, \"type\": \"fail\", \"f\": \"write\", \"time_ns\": 11}\n",
                 "2: expected \"key\" to be \"k1\" as invoked on line 1, found none");
    expect_error("h.edn", "{:process 0, :type :fail, :f :get, :key \"1\", :value nil}\n",
                 "1: expected an invoke by process 0 before its completion, found :fail with no operation outstanding");
    /* An operation completed twice: the second completion has nothing outstanding. */
    expect_error("h.edn",
                 "{:process 0, :type :invoke, :f :get, :value nil}\n"
                 "{:process 0, :type :ok, :f :get, :value 1}\n"
                 "{:process 0, :type :ok, :f :get, :value 1}\n",
                 "3: expected an invoke by process 0 before its completion, found :ok with no operation outstanding");
}

static void test_history_edn_malformed_messages(void **state)
{
    const char *ok1 = "{:process 0, :type :invoke, :f :get, :key \"1\", :value nil}\n";
    char text[512];
#define EDN2(second) (snprintf(text, sizeof text, "%s%s\n", ok1, second), text)
    expect_error("h.edn", EDN2("{:process 0, :type :done, :f :get, :key \"1\", :value nil}"),
                 "2: expected :type to be one of :invoke, :ok, :fail, :info, found :done");
    expect_error("h.edn", EDN2("{:process 1, :type \"invoke\", :f :get}"),
                 "2: expected :type to be one of :invoke, :ok, :fail, :info, found \"invoke\"");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get, :value \"abc}"),
                 "2: expected '\"' to close the string, found the end of the line");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get, :value \"a\\qb\"}"),
                 "2: expected one of \\\" \\\\ \\n \\t \\r in a string, found \"\\q\"");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get, :value 1.5}"),
                 "2: expected an integer, found \"1.5\"");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get, :value 99999999999999999999}"),
                 "2: expected an integer that fits in 64 bits, found \"99999999999999999999\"");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get, :value #{1 2}}"),
                 "2: expected a keyword, string, integer, nil, vector or map, found \"#\"");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get, :value [1 \"x\"]}"),
                 "2: expected :value's vector to hold integers only, found \"x\"");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get, :value {:a 1}}"),
                 "2: expected :value to be nil, an integer, a string or a vector of integers, found a map");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get :value}"),
                 "2: expected a value for every key of the map, found a key without one");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get"),
                 "2: expected '}' to close the map, found the end of the line");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get, :value [1 2}"),
                 "2: expected ']' to close the vector, found \"}\"");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get} {:more 1}"),
                 "2: expected the end of the line after the map, found \"{:more\"");
    expect_error("h.edn", EDN2("{\"process\" 1, :type :invoke, :f :get}"),
                 "2: expected keywords as the map's keys, found \"process\"");
    expect_error("h.edn", EDN2("{:process 1, :process 2, :type :invoke, :f :get}"),
                 "2: expected :process once, found it twice");
    expect_error("h.edn", EDN2("{:process -1, :type :invoke, :f :get}"),
                 "2: expected :process to be an integer from 0 to 4294967295 or :nemesis, found -1");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f 3}"),
                 "2: expected :f to be a keyword or a string, found 3");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get, :key [1]}"),
                 "2: expected :key to be a keyword, an integer or a string, found a vector");
    expect_error("h.edn", EDN2("{:process 1, :type :invoke, :f :get, :x [[[[[[[[[[1]]]]]]]]]]}"),
                 "2: expected vectors and maps nested at most 8 deep (HIST_EDN_DEPTH_MAX), found deeper");
    expect_error("h.edn", EDN2("(:process 1)"), "2: expected an EDN map {:process ...}, found \"(:process\"");
    expect_error("h.edn", EDN2("{: 1}"), "2: expected a keyword name after ':', found a separator");
    expect_error("h.edn", EDN2("{:type :invoke, :f :get}"), "2: expected a :process entry, found none");
}

static void test_history_bounds_and_bytes(void **state)
{
    /* A NUL byte in the middle of a line. */
    hist_t h;
    char err[256];
    const char nul[] = "{:process 0, :type :invoke, :f :g\0et}\n";
    const char *path = write_file("nul.edn", nul, sizeof nul - 1);
    hist_init(&h);
    assert_int_equal(hist_read_file(path, &h, err, sizeof err), SIM_EINPUT);
    assert_non_null(strstr(err, "nul.edn:1: expected text, found a NUL byte"));
    hist_free(&h);

    /* A line longer than HIST_LINE_BYTES_MAX. */
    size_t n = HIST_LINE_BYTES_MAX + 10;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '\n';
    big[n] = 0;
    path = write_file("long.jsonl", big, n);
    free(big);
    hist_init(&h);
    assert_int_equal(hist_read_file(path, &h, err, sizeof err), SIM_EINPUT);
    assert_non_null(strstr(err, "long.jsonl:1: expected a line of at most 1048576 bytes (HIST_LINE_BYTES_MAX), found a longer one"));
    hist_free(&h);

    /* A missing file names itself. */
    hist_init(&h);
    assert_int_equal(hist_read_file("/nonexistent/h.jsonl", &h, err, sizeof err), SIM_EINPUT);
    assert_string_equal(err, "/nonexistent/h.jsonl: cannot open: No such file or directory");
    hist_free(&h);

    /* A tiny error buffer is never overrun. */
    char small[8];
    assert_int_equal(read_text("h.jsonl", "{\"process\": 1}\n", &h, small, sizeof small), SIM_EINPUT);
    assert_int_equal(strlen(small), sizeof small - 1);
    hist_free(&h);
}

/* Mutated histories: the reader never crashes, every refusal names the file and line,
 * and whatever it accepts survives writing and reading back unchanged. */
static void test_history_garbage_is_refused_or_round_trips(void **state)
{
    static const char *const seeds[] = {
        "{:process 0, :type :invoke, :f :append, :key \"0\", :value \"x 0 0 y\"}\n"
        "{:process 0, :type :ok, :f :append, :key \"0\", :value \"x 0 0 y\"}\n"
        "{:process 1, :type :invoke, :f :cas, :key 3, :value [1 -2]}\n"
        "{:process 1, :type :info, :f :cas, :key 3, :value [1 -2]}\n",
        "{\"process\": 1, \"type\": \"invoke\", \"f\": \"read\", \"key\": \"k\", \"value\": null, \"time_ns\": 1}\n"
        "{\"process\": 1, \"type\": \"ok\", \"f\": \"read\", \"key\": \"k\", \"value\": [3, 4], \"time_ns\": 2}\n"
        "{\"process\": 2, \"type\": \"invoke\", \"f\": \"write\", \"value\": \"s\\\"\", \"time_ns\": 3}\n",
    };
    static const char alphabet[] = "{}[]:\",\\ 0123456789-nilokfailinvokeprocesstype\n;#\xff";
    rng_t rng;
    rng_seed(&rng, 42, 1, 0);
    char path[256], back[256];
    snprintf(path, sizeof path, "%s/fuzz.txt", tmpdir);
    snprintf(back, sizeof back, "%s/fuzz-back.jsonl", tmpdir);
    int accepted = 0;
    for (int it = 0; it < 3000; it++) {
        char buf[1024];
        size_t n = strlen(seeds[it % 2]);
        memcpy(buf, seeds[it % 2], n + 1);
        for (int m = 1 + (int)rng_below(&rng, 4); m > 0; m--) {
            size_t pos = rng_below(&rng, n);
            char c = alphabet[rng_below(&rng, sizeof alphabet - 1)];
            switch (rng_below(&rng, 3)) {
            case 0: buf[pos] = c; break;
            case 1: memmove(buf + pos, buf + pos + 1, n - pos); n--; break;
            default: memmove(buf + pos + 1, buf + pos, n - pos + 1); buf[pos] = c; n++;
            }
        }
        FILE *f = fopen(path, "wb");
        fwrite(buf, 1, n, f);
        fclose(f);
        hist_t h, g;
        char err[512];
        hist_init(&h);
        int rc = hist_read_file(path, &h, err, sizeof err);
        if (rc != SIM_OK) {
            assert_int_equal(rc, SIM_EINPUT);
            assert_true(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':');
            assert_non_null(strstr(err, ": expected "));
            hist_free(&h);
            continue;
        }
        accepted++;
        assert_int_equal(hist_write_jsonl(&h, back), SIM_OK);
        hist_init(&g);
        rc = hist_read_file(back, &g, err, sizeof err);
        if (rc) fprintf(stderr, "%s\n", err);
        assert_int_equal(rc, SIM_OK);
        assert_int_equal(g.n_ev, h.n_ev);
        for (uint32_t i = 0; i < h.n_ev; i++) {
            assert_int_equal(g.ev[i].type, h.ev[i].type);
            assert_int_equal(g.ev[i].n, h.ev[i].n);
            assert_string_equal(hist_f_name(&g, &g.ev[i]), hist_f_name(&h, &h.ev[i]));
        }
        hist_free(&h);
        hist_free(&g);
    }
    assert_true(accepted > 50);   /* the mutations leave enough histories valid to mean something */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_intern_returns_same_index),
        cmocka_unit_test(test_history_add_copies_values),
        cmocka_unit_test(test_history_format_value_cuts_long_strings),
        cmocka_unit_test(test_history_jsonl_round_trip),
        cmocka_unit_test(test_history_write_to_missing_dir_fails_cleanly),
        cmocka_unit_test(test_history_vals_of_valueless_history_are_valid),
        cmocka_unit_test(test_history_afile_abort_keeps_target),
        cmocka_unit_test(test_history_edn_porcupine_lines),
        cmocka_unit_test(test_history_json_without_times_uses_line_index),
        cmocka_unit_test(test_history_empty_file_is_an_empty_history),
        cmocka_unit_test(test_history_json_malformed_messages),
        cmocka_unit_test(test_history_structural_errors),
        cmocka_unit_test(test_history_edn_malformed_messages),
        cmocka_unit_test(test_history_bounds_and_bytes),
        cmocka_unit_test(test_history_garbage_is_refused_or_round_trips),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
