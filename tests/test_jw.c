/* test_jw.c -- the streaming JSON writer of sim/jw.c.
 *
 * Traces are hashed byte for byte, so output is compared as exact text. Exact text
 * alone could still be wrong JSON that happens to match a wrong expectation, so every
 * document is also parsed back with cJSON, an independent parser, and its values
 * compared with what was written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include <cJSON.h>

#include "core/jw.h"

/* Checks the writer's text, and that buf is a string of length len. */
static void expect_text(const jw_t *w, const char *want)
{
    assert_non_null(w->buf);
    assert_int_equal(strlen(w->buf), w->len);
    if (strcmp(w->buf, want) != 0) fail_msg("jw wrote\n%s\nwant\n%s", w->buf, want);
}

/* Parses the writer's text with cJSON, failing if it is not one JSON value. */
static cJSON *parse(const jw_t *w)
{
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(w->buf, &end, true);
    if (!j) fail_msg("cJSON rejects what jw wrote:\n%s", w->buf);
    return j;
}

static cJSON *item(const cJSON *obj, const char *key)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) fail_msg("no key \"%s\"", key);
    return v;
}

static void test_jw_object_values(void **state)
{
    jw_t w;
    jw_init(&w, false);
    jw_obj_begin(&w);
    jw_kint(&w, "i", -42);
    jw_kuint(&w, "u", 42);
    jw_kstr(&w, "s", "text");
    jw_kbool(&w, "t", true);
    jw_kbool(&w, "f", false);
    jw_key(&w, "n");
    jw_null(&w);
    jw_kreal(&w, "r", 0.25);
    jw_key(&w, "z");
    jw_str(&w, NULL);
    jw_key(&w, "raw");
    jw_raw(&w, "{\"x\":[1]}");
    jw_obj_end(&w);
    expect_text(&w, "{\"i\":-42,\"u\":42,\"s\":\"text\",\"t\":true,\"f\":false,\"n\":null,\"r\":0.25,"
                    "\"z\":null,\"raw\":{\"x\":[1]}}");
    cJSON *j = parse(&w);
    assert_true(cJSON_IsObject(j));
    assert_int_equal(cJSON_GetArraySize(j), 9);
    assert_true(item(j, "i")->valuedouble == -42);
    assert_true(item(j, "u")->valuedouble == 42);
    assert_string_equal(cJSON_GetStringValue(item(j, "s")), "text");
    assert_true(cJSON_IsTrue(item(j, "t")));
    assert_true(cJSON_IsFalse(item(j, "f")));
    assert_true(cJSON_IsNull(item(j, "n")));
    assert_true(item(j, "r")->valuedouble == 0.25);
    assert_true(cJSON_IsNull(item(j, "z")));
    assert_true(cJSON_GetArrayItem(item(item(j, "raw"), "x"), 0)->valuedouble == 1);
    cJSON_Delete(j);
    jw_free(&w);
}

static void test_jw_arrays_and_commas(void **state)
{
    jw_t w;
    jw_init(&w, false);
    jw_arr_begin(&w);
    jw_arr_begin(&w);
    jw_arr_end(&w);
    jw_int(&w, 1);
    jw_arr_begin(&w);
    jw_arr_begin(&w);
    jw_arr_end(&w);
    jw_arr_end(&w);
    jw_obj_begin(&w);
    jw_obj_end(&w);
    jw_str(&w, "a");
    jw_obj_begin(&w);
    jw_key(&w, "k");
    jw_arr_begin(&w);
    jw_int(&w, 2);
    jw_int(&w, 3);
    jw_arr_end(&w);
    jw_kint(&w, "m", 4);
    jw_obj_end(&w);
    jw_bool(&w, false);
    jw_arr_end(&w);
    expect_text(&w, "[[],1,[[]],{},\"a\",{\"k\":[2,3],\"m\":4},false]");
    cJSON *j = parse(&w);
    assert_int_equal(cJSON_GetArraySize(j), 7);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetArrayItem(j, 0)), 0);
    assert_true(cJSON_GetArrayItem(j, 1)->valuedouble == 1);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetArrayItem(cJSON_GetArrayItem(j, 2), 0)), 0);
    cJSON *o = cJSON_GetArrayItem(j, 5);
    assert_true(cJSON_GetArrayItem(item(o, "k"), 1)->valuedouble == 3);
    assert_true(item(o, "m")->valuedouble == 4);
    assert_true(cJSON_IsFalse(cJSON_GetArrayItem(j, 6)));
    cJSON_Delete(j);
    jw_free(&w);
}

/* JW_DEPTH_MAX levels of state allow JW_DEPTH_MAX - 1 open containers, alternating here
 * between objects and arrays, each with a sibling before the next level. */
static void test_jw_deep_nesting(void **state)
{
    enum { DEPTH = JW_DEPTH_MAX - 1 };
    jw_t w;
    jw_init(&w, false);
    for (int d = 0; d < DEPTH; d++) {
        if (d % 2 == 0) {
            jw_obj_begin(&w);
            jw_kint(&w, "d", d);
            jw_key(&w, "in");
        } else {
            jw_arr_begin(&w);
            jw_int(&w, d);
        }
    }
    jw_null(&w);
    for (int d = DEPTH - 1; d >= 0; d--) {
        if (d % 2 == 0) jw_obj_end(&w);
        else jw_arr_end(&w);
    }
    assert_int_equal(w.depth, 0);
    cJSON *j = parse(&w), *v = j;
    for (int d = 0; d < DEPTH; d++) {
        if (d % 2 == 0) {
            assert_true(item(v, "d")->valuedouble == d);
            v = item(v, "in");
        } else {
            assert_int_equal(cJSON_GetArraySize(v), 2);
            assert_true(cJSON_GetArrayItem(v, 0)->valuedouble == d);
            v = cJSON_GetArrayItem(v, 1);
        }
    }
    assert_true(cJSON_IsNull(v));
    cJSON_Delete(j);
    jw_free(&w);
}

static void test_jw_string_escaping(void **state)
{
    const char *s = "q\"b\\n\nt\tr\rc\x01\x1f/\x7f\xc2\xb5 end";
    jw_t w;
    jw_init(&w, false);
    jw_obj_begin(&w);
    jw_kstr(&w, "k\"\\\n\x02", s);
    jw_key(&w, "");
    jw_str(&w, "");
    jw_obj_end(&w);
    expect_text(&w, "{\"k\\\"\\\\\\n\\u0002\":\"q\\\"b\\\\n\\nt\\tr\\rc\\u0001\\u001f/\x7f\xc2\xb5 end\","
                    "\"\":\"\"}");
    cJSON *j = parse(&w);
    assert_string_equal(cJSON_GetStringValue(item(j, "k\"\\\n\x02")), s);
    assert_string_equal(cJSON_GetStringValue(item(j, "")), "");
    cJSON_Delete(j);

    /* Every control character comes back unchanged. */
    char all[32];
    for (int c = 1; c < 32; c++) all[c - 1] = (char)c;
    all[31] = 0;
    jw_reset(&w);
    jw_str(&w, all);
    for (const char *p = w.buf; *p; p++)
        if ((unsigned char)*p < 0x20) fail_msg("raw control character %d in %s", *p, w.buf);
    j = parse(&w);
    assert_string_equal(cJSON_GetStringValue(j), all);
    cJSON_Delete(j);
    jw_free(&w);
}

static void test_jw_integer_extremes(void **state)
{
    jw_t w;
    jw_init(&w, false);
    jw_arr_begin(&w);
    jw_int(&w, INT64_MIN);
    jw_int(&w, INT64_MAX);
    jw_int(&w, 0);
    jw_int(&w, -1);
    jw_uint(&w, UINT64_MAX);
    jw_uint(&w, 0);
    jw_int(&w, 9007199254740993LL);                  /* 2^53 + 1: no double holds it */
    jw_arr_end(&w);
    expect_text(&w, "[-9223372036854775808,9223372036854775807,0,-1,18446744073709551615,0,9007199254740993]");
    /* cJSON reads numbers as doubles, so it can only confirm the nearest double; the
     * exact digits were checked above. */
    cJSON *j = parse(&w);
    assert_int_equal(cJSON_GetArraySize(j), 7);
    assert_true(cJSON_GetArrayItem(j, 0)->valuedouble == (double)INT64_MIN);
    assert_true(cJSON_GetArrayItem(j, 1)->valuedouble == (double)INT64_MAX);
    assert_true(cJSON_GetArrayItem(j, 2)->valuedouble == 0);
    assert_true(cJSON_GetArrayItem(j, 3)->valuedouble == -1);
    assert_true(cJSON_GetArrayItem(j, 4)->valuedouble == (double)UINT64_MAX);
    assert_true(cJSON_GetArrayItem(j, 6)->valuedouble == 9007199254740992.0);
    cJSON_Delete(j);
    jw_free(&w);
}

static void test_jw_reals(void **state)
{
    static const struct { double v; const char *text; } cases[] = {
        {0.5, "0.5"}, {1.0, "1.0"}, {-2.0, "-2.0"}, {0.0, "0.0"}, {0.1, "0.1"}, {-0.25, "-0.25"},
        {1e20, "1e+20"}, {1e15, "1e+15"}, {999999999999999.0, "999999999999999.0"},
        {1.5e-7, "1.5e-07"}, {3.14159265358979, "3.14159"}, {123456.7, "123457"},
    };
    jw_t w;
    jw_init(&w, false);
    for (size_t i = 0; i < SIM_ARRAY_LEN(cases); i++) {
        jw_reset(&w);
        jw_real(&w, cases[i].v);
        expect_text(&w, cases[i].text);
        cJSON *j = parse(&w);
        assert_true(cJSON_IsNumber(j));
        /* Six significant digits: the value read back is within half a unit of the sixth. */
        double got = j->valuedouble, v = cases[i].v;
        if (!(fabs(got - v) <= 5e-6 * fabs(v)))
            fail_msg("jw_real(%.17g) read back as %.17g", v, got);
        cJSON_Delete(j);
    }
    /* Not numbers in JSON: written as null. */
    jw_reset(&w);
    jw_arr_begin(&w);
    jw_real(&w, NAN);
    jw_real(&w, INFINITY);
    jw_real(&w, -INFINITY);
    jw_real(&w, 2.0);
    jw_arr_end(&w);
    expect_text(&w, "[null,null,null,2.0]");
    cJSON *j = parse(&w);
    for (int i = 0; i < 3; i++) assert_true(cJSON_IsNull(cJSON_GetArrayItem(j, i)));
    assert_true(cJSON_GetArrayItem(j, 3)->valuedouble == 2.0);
    cJSON_Delete(j);
    jw_free(&w);
}

/* The same document written compact and pretty. */
static void write_doc(jw_t *w)
{
    jw_obj_begin(w);
    jw_kint(w, "a", 1);
    jw_key(w, "b");
    jw_arr_begin(w);
    jw_int(w, 1);
    jw_int(w, 2);
    jw_arr_end(w);
    jw_key(w, "c");
    jw_obj_begin(w);
    jw_obj_end(w);
    jw_key(w, "d");
    jw_arr_begin(w);
    jw_arr_end(w);
    jw_key(w, "e");
    jw_obj_begin(w);
    jw_kstr(w, "f", "x");
    jw_key(w, "g");
    jw_arr_begin(w);
    jw_obj_begin(w);
    jw_kbool(w, "h", true);
    jw_obj_end(w);
    jw_arr_end(w);
    jw_obj_end(w);
    jw_obj_end(w);
}

static void test_jw_pretty_shape(void **state)
{
    jw_t compact, pretty;
    jw_init(&compact, false);
    jw_init(&pretty, true);
    write_doc(&compact);
    write_doc(&pretty);
    expect_text(&compact, "{\"a\":1,\"b\":[1,2],\"c\":{},\"d\":[],\"e\":{\"f\":\"x\",\"g\":[{\"h\":true}]}}");
    expect_text(&pretty,
                "{\n"
                "  \"a\": 1,\n"
                "  \"b\": [\n"
                "    1,\n"
                "    2\n"
                "  ],\n"
                "  \"c\": {},\n"
                "  \"d\": [],\n"
                "  \"e\": {\n"
                "    \"f\": \"x\",\n"
                "    \"g\": [\n"
                "      {\n"
                "        \"h\": true\n"
                "      }\n"
                "    ]\n"
                "  }\n"
                "}");
    cJSON *a = parse(&compact), *b = parse(&pretty);
    assert_true(cJSON_Compare(a, b, true));
    assert_true(cJSON_IsTrue(item(cJSON_GetArrayItem(item(item(b, "e"), "g"), 0), "h")));
    cJSON_Delete(a);
    cJSON_Delete(b);
    jw_free(&compact);
    jw_free(&pretty);
}

static void test_jw_newline_separates_lines(void **state)
{
    jw_t w;
    jw_init(&w, false);
    for (int i = 0; i < 3; i++) {
        jw_obj_begin(&w);
        jw_kint(&w, "i", i);
        jw_obj_end(&w);
        jw_newline(&w);
    }
    expect_text(&w, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n");
    /* Each line is a document of its own. */
    char *line = w.buf;
    for (int i = 0; i < 3; i++) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        *nl = 0;
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        assert_true(item(j, "i")->valuedouble == i);
        cJSON_Delete(j);
        *nl = '\n';
        line = nl + 1;
    }
    jw_free(&w);
}

/* After a reset the writer starts a fresh document, wherever the last one stopped, in
 * the memory it already had. */
static void test_jw_reset_starts_fresh(void **state)
{
    jw_t w;
    jw_init(&w, true);
    write_doc(&w);
    char *buf = w.buf;
    size_t cap = w.cap;
    jw_reset(&w);
    assert_int_equal(w.len, 0);
    assert_int_equal(w.depth, 0);
    jw_obj_begin(&w);
    jw_kint(&w, "x", 1);
    jw_obj_end(&w);
    expect_text(&w, "{\n  \"x\": 1\n}");
    assert_ptr_equal(w.buf, buf);
    assert_int_equal(w.cap, cap);

    /* Abandoned halfway, inside an array after a key and a value. */
    jw_reset(&w);
    jw_obj_begin(&w);
    jw_key(&w, "a");
    jw_arr_begin(&w);
    jw_int(&w, 5);
    jw_reset(&w);
    jw_int(&w, 7);
    expect_text(&w, "7");
    /* ... and right after a key, which must not swallow the next value's comma. */
    jw_reset(&w);
    jw_obj_begin(&w);
    jw_key(&w, "a");
    jw_reset(&w);
    jw_arr_begin(&w);
    jw_int(&w, 1);
    jw_int(&w, 2);
    jw_arr_end(&w);
    expect_text(&w, "[\n  1,\n  2\n]");
    jw_free(&w);
}

/* jw_reset and jw_flush "empty the buffer", and a caller may keep the buffer as a
 * string: right after either, that string is empty, not the previous document. */
static void test_jw_reset_and_flush_leave_empty_string(void **state)
{
    jw_t w;
    jw_init(&w, false);
    jw_str(&w, "old");
    jw_reset(&w);
    size_t len_after_reset = w.len;
    char after_reset[16];
    snprintf(after_reset, sizeof after_reset, "%s", w.buf);

    jw_str(&w, "older");
    FILE *f = tmpfile();
    assert_non_null(f);
    int rc = jw_flush(&w, f);
    fclose(f);
    size_t len_after_flush = w.len;
    char after_flush[16];
    snprintf(after_flush, sizeof after_flush, "%s", w.buf);
    jw_free(&w);                                         /* before any assertion can leave */

    assert_int_equal(rc, SIM_OK);
    assert_int_equal(len_after_reset, 0);
    assert_int_equal(len_after_flush, 0);
    assert_string_equal(after_reset, "");
    assert_string_equal(after_flush, "");
}

static void test_jw_flush_writes_and_empties(void **state)
{
    jw_t w;
    jw_init(&w, false);
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(jw_flush(&w, f), SIM_OK);          /* nothing written yet */
    jw_obj_begin(&w);
    jw_kint(&w, "a", 1);
    jw_obj_end(&w);
    jw_newline(&w);
    assert_int_equal(jw_flush(&w, f), SIM_OK);
    assert_int_equal(w.len, 0);
    jw_arr_begin(&w);
    jw_int(&w, 2);
    jw_arr_end(&w);
    jw_newline(&w);
    assert_int_equal(jw_flush(&w, f), SIM_OK);
    rewind(f);
    char got[64] = {0};
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    assert_int_equal(n, strlen("{\"a\":1}\n[2]\n"));
    assert_string_equal(got, "{\"a\":1}\n[2]\n");

    /* A stream that cannot be written reports SIM_EIO. */
    FILE *ro = fopen("/dev/null", "r");
    assert_non_null(ro);
    jw_int(&w, 3);
    assert_int_equal(jw_flush(&w, ro), SIM_EIO);
    fclose(ro);
    jw_free(&w);
}

/* The buffer grows from nothing to hundreds of kilobytes without losing a byte. */
static void test_jw_large_document(void **state)
{
    enum { N = 20000 };
    jw_t w;
    jw_init(&w, false);
    jw_arr_begin(&w);
    for (int i = 0; i < N; i++) {
        jw_obj_begin(&w);
        jw_kint(&w, "i", i);
        jw_kstr(&w, "s", i % 2 ? "odd \"one\"" : "even\n");
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    assert_true(w.len > 20 * N);
    assert_int_equal(strlen(w.buf), w.len);
    cJSON *j = parse(&w);
    assert_int_equal(cJSON_GetArraySize(j), N);
    int i = 0;
    for (cJSON *o = j->child; o; o = o->next, i++) {
        assert_true(item(o, "i")->valuedouble == i);
        assert_string_equal(cJSON_GetStringValue(item(o, "s")), i % 2 ? "odd \"one\"" : "even\n");
    }
    assert_int_equal(i, N);
    cJSON_Delete(j);
    jw_free(&w);
    assert_null(w.buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jw_object_values),
        cmocka_unit_test(test_jw_arrays_and_commas),
        cmocka_unit_test(test_jw_deep_nesting),
        cmocka_unit_test(test_jw_string_escaping),
        cmocka_unit_test(test_jw_integer_extremes),
        cmocka_unit_test(test_jw_reals),
        cmocka_unit_test(test_jw_pretty_shape),
        cmocka_unit_test(test_jw_newline_separates_lines),
        cmocka_unit_test(test_jw_reset_starts_fresh),
        cmocka_unit_test(test_jw_reset_and_flush_leave_empty_string),
        cmocka_unit_test(test_jw_flush_writes_and_empties),
        cmocka_unit_test(test_jw_large_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
