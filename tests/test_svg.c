/* test_svg.c -- the history picture: well-formed-looking SVG, the violation's
 * operations marked, text from the history escaped, the size bound kept.
 *
 * No XML library is linked, so well-formedness is checked the cheap way: the file has
 * the prologue and the closing tag, element tags balance, and every '&' starts an
 * entity. When xmllint is installed it is asked as well.
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
#include "check/histread.h"
#include "check/lincheck.h"
#include "check/svg.h"

static char dir[64];

static int setup_dir(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/dsim-test-svg-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void parse(hist_t *h, const char *text)
{
    char err[256];
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    hist_init(h);
    int rc = hist_read_stream(f, "inline", h, err, sizeof err);
    fclose(f);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, SIM_OK);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

static int count(const char *s, const char *what)
{
    int n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what)) n++;
    return n;
}

/* Draws h with its verdict under model m and returns the file's text. */
static char *draw(const hist_t *h, lin_model_t m, const char *name, lin_verdict_t want)
{
    char path[128];
    lin_result_t r;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(lin_check(h, m, NULL, &r), SIM_OK);
    assert_int_equal(r.verdict, want);
    assert_int_equal(lin_write_svg(h, &r, path), SIM_OK);
    lin_result_free(&r);
    char *s = slurp(path);
    /* Looks well formed. */
    assert_true(strncmp(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ", 44) == 0);
    assert_non_null(strstr(s, "</svg>\n"));
    assert_int_equal(strcmp(s + strlen(s) - 7, "</svg>\n"), 0);
    assert_int_equal(count(s, "<g"), count(s, "</g>"));
    assert_int_equal(count(s, "<text"), count(s, "</text>"));
    assert_int_equal(count(s, "<title>"), count(s, "</title>"));
    for (const char *p = strchr(s, '&'); p; p = strchr(p + 1, '&'))
        assert_true(strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&lt;", 4) == 0 || strncmp(p, "&gt;", 4) == 0 ||
                    strncmp(p, "&quot;", 6) == 0 || strncmp(p, "&#39;", 5) == 0);
    if (system("command -v xmllint >/dev/null 2>&1") == 0) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
        assert_int_equal(system(cmd), 0);
    }
    return s;
}

#define E(p, t, f, v) "{:process " #p ", :type :" #t ", :f :" #f ", :value " #v "}\n"

static void test_svg_violation_is_highlighted(void **state)
{
    hist_t h;
    parse(&h, E(0, invoke, write, 1) E(0, ok, write, 1) E(1, invoke, read, nil) E(2, invoke, write, 2)
              E(3, invoke, write, 3) E(5, invoke, read, nil) E(1, ok, read, nil) E(2, ok, write, 2)
              E(3, info, write, 3) E(4, invoke, write, 4) E(4, fail, write, 4) E(5, ok, read, 5));
    char *s = draw(&h, LIN_REGISTER, "bad.svg", LIN_VIOLATED);
    assert_int_equal(count(s, "<g class=\"culprit\">"), 1);
    assert_non_null(strstr(s, "fill=\"#e53935\" stroke=\"#b71c1c\""));
    assert_non_null(strstr(s, "read \xe2\x86\x92 nil"));
    /* Every write can be placed, the info one too; the other read cannot. */
    assert_int_equal(count(s, "<g class=\"prefix\">"), 3);
    assert_non_null(strstr(s, ">1. write 1<"));
    assert_int_equal(count(s, "<g class=\"pending\">"), 1);
    assert_non_null(strstr(s, "read \xe2\x86\x92 5"));
    assert_int_equal(count(s, "<g class=\"fail\">"), 1);
    assert_non_null(strstr(s, "Not linearizable (register model)"));
    assert_non_null(strstr(s, "it cannot: it returned nil, but the"));
    assert_non_null(strstr(s, "Pink: the other operation that could come next"));
    /* One lane per process, named. */
    for (int p = 0; p <= 5; p++) {
        char lane[32];
        snprintf(lane, sizeof lane, ">process %d</text>", p);
        assert_non_null(strstr(s, lane));
    }
    free(s);
    hist_free(&h);
}

static void test_svg_ok_history_has_no_red(void **state)
{
    hist_t h;
    parse(&h, E(0, invoke, write, 1) E(1, invoke, read, nil) E(1, ok, read, 1) E(0, ok, write, 1));
    char *s = draw(&h, LIN_REGISTER, "ok.svg", LIN_OK);
    assert_null(strstr(s, "#e53935"));
    assert_null(strstr(s, "class=\"culprit\""));
    assert_non_null(strstr(s, "Linearizable: all 2 operations on 1 key fit the register model."));
    free(s);
    hist_free(&h);
}

static void test_svg_escapes_history_text(void **state)
{
    hist_t h;
    parse(&h, "{:process 0, :type :invoke, :f :put, :key \"a<b&'c'\", :value \"<x> & \\\"y\\\"\"}\n"
              "{:process 0, :type :ok, :f :put, :key \"a<b&'c'\", :value \"<x> & \\\"y\\\"\"}\n"
              "{:process 1, :type :invoke, :f :get, :key \"a<b&'c'\", :value nil}\n"
              "{:process 1, :type :ok, :f :get, :key \"a<b&'c'\", :value \"bad\\n\xff\"}\n");
    char *s = draw(&h, LIN_KV, "esc.svg", LIN_VIOLATED);
    assert_null(strstr(s, "<x>"));
    assert_non_null(strstr(s, "&lt;x&gt; &amp; &quot;y&quot;"));
    assert_non_null(strstr(s, "key &quot;a&lt;b&amp;&#39;c&#39;&quot;"));
    assert_null(strchr(s, '\xff'));   /* broken UTF-8 replaced */
    assert_non_null(strstr(s, "bad??"));
    free(s);
    hist_free(&h);
}

static void test_svg_draws_at_most_the_bound(void **state)
{
    hist_t h;
    hist_init(&h);
    uint16_t w = hist_intern_f(&h, "write");
    for (int64_t i = 0; i < 1000; i++) {
        hist_add(&h, (uint32_t)(i % 3), HIST_INVOKE, w, -1, HIST_V_INT, &i, 1, 2 * i);
        hist_add(&h, (uint32_t)(i % 3), HIST_OK, w, -1, HIST_V_INT, &i, 1, 2 * i + 1);
    }
    char *s = draw(&h, LIN_REGISTER, "big.svg", LIN_OK);
    assert_int_equal(count(s, "<g class=\"ok\">"), SVG_OPS_MAX);
    assert_non_null(strstr(s, "Drawn: the first 600 of 1000 operations."));
    free(s);
    hist_free(&h);
}

static void test_svg_errors(void **state)
{
    hist_t h;
    parse(&h, E(0, invoke, write, 1) E(0, ok, write, 1));
    assert_int_equal(lin_write_svg(&h, NULL, "/nonexistent-dir/x.svg"), SIM_EIO);
    hist_free(&h);
    /* Unpaired events (possible in memory) are refused, not drawn wrongly. */
    hist_init(&h);
    uint16_t w = hist_intern_f(&h, "write");
    hist_add(&h, 0, HIST_OK, w, -1, HIST_V_NONE, NULL, 0, 0);
    char path[128];
    snprintf(path, sizeof path, "%s/unpaired.svg", dir);
    assert_int_equal(lin_write_svg(&h, NULL, path), SIM_EINPUT);
    assert_int_equal(access(path, F_OK), -1);
    hist_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_svg_violation_is_highlighted),
        cmocka_unit_test(test_svg_ok_history_has_no_red),
        cmocka_unit_test(test_svg_escapes_history_text),
        cmocka_unit_test(test_svg_draws_at_most_the_bound),
        cmocka_unit_test(test_svg_errors),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
