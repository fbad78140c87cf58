/* test_sumtext.c -- summary line templates: fields, formats, lines that do not apply,
 * and lines repeated over a list.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "run/sumtext.h"

static const char json[] =
    "{\"a\": {\"n\": 42, \"f\": 0.1234, \"t_ns\": 1500000000, \"name\": \"n5\", \"gone\": null},"
    " \"changes\": [{\"join\": \"n9\", \"moved\": 0.891}, {\"leave\": \"n2\", \"moved\": 0.05}, {\"join\": \"n3\", \"moved\": 0.1}],"
    " \"merges\": 144, \"merges_changed\": 9}";

static void test_sumtext_formats_each_field(void **state)
{
    char buf[256];
    assert_true(sumtext_line(json, "{a.n} of {a.name|s}, {a.f|pct}, {a.f|.2}, {a.t_ns|ns}", buf, sizeof buf));
    assert_string_equal(buf, "42 of n5, 12.3%, 0.12, 1.5s");
    assert_true(sumtext_line(json, "{merges} merges, {merges_changed} of them changed a replica", buf, sizeof buf));
    assert_string_equal(buf, "144 merges, 9 of them changed a replica");
}

static void test_sumtext_leaves_out_lines_that_do_not_apply(void **state)
{
    char buf[256];
    assert_false(sumtext_line(json, "{a.gone} lost", buf, sizeof buf));
    assert_false(sumtext_line(json, "{a.missing} lost", buf, sizeof buf));
    static const proto_line_t lines[] = {
        {"kept", "{a.n}"}, {"null", "{a.gone}"}, {"absent", "{nope.x}"}, {NULL, NULL},
    };
    sumtext_t t;
    assert_int_equal(sumtext_render(json, lines, &t), SIM_OK);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.label[0], "kept");
}

static void test_sumtext_repeats_a_line_over_a_list(void **state)
{
    static const proto_line_t lines[] = {
        {"join", "{changes[#].join|s}: {changes[#].moved|pct}"},
        {"leave", "{changes[#].leave|s}: {changes[#].moved|pct}"},
        {NULL, NULL},
    };
    sumtext_t t;
    assert_int_equal(sumtext_render(json, lines, &t), SIM_OK);
    assert_int_equal(t.n, 3);
    assert_string_equal(t.label[0], "join");
    assert_string_equal(t.text[0], "n9: 89.1%");
    assert_string_equal(t.label[1], "");          /* the same line again: one label */
    assert_string_equal(t.text[1], "n3: 10.0%");
    assert_string_equal(t.label[2], "leave");
    assert_string_equal(t.text[2], "n2: 5.0%");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sumtext_formats_each_field),
        cmocka_unit_test(test_sumtext_leaves_out_lines_that_do_not_apply),
        cmocka_unit_test(test_sumtext_repeats_a_line_over_a_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
