/* test_lincheck.c -- the linearizability checker against hand-written histories, the
 * Porcupine histories with known verdicts, and a brute-force checker of its own.
 *
 * The brute-force checker below shares nothing with lincheck.c: it tries every order
 * of all operations of a history at once (all keys together, so it also tests the
 * per-key split), with its own models on plain C values. Random histories come from a
 * simulated correct execution, and half of them get one read result changed, so
 * both verdicts occur often; the test insists on that, or it could pass vacuously.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "check/histread.h"
#include "check/lincheck.h"
#include "core/rng.h"

/* Reads a history written inline as JSON or EDN lines. */
static void parse(hist_t *h, const char *text)
{
    char err[256];
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    assert_non_null(f);
    hist_init(h);
    int rc = hist_read_stream(f, "inline", h, err, sizeof err);
    fclose(f);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, SIM_OK);
}

static lin_verdict_t check_text(lin_model_t model, const char *text)
{
    hist_t h;
    lin_result_t r;
    parse(&h, text);
    assert_int_equal(lin_check(&h, model, NULL, &r), SIM_OK);
    lin_verdict_t v = r.verdict;
    lin_result_free(&r);
    hist_free(&h);
    return v;
}

#define E(p, t, f, v) "{:process " #p ", :type :" #t ", :f :" #f ", :value " #v "}\n"
#define EK(p, t, f, k, v) "{:process " #p ", :type :" #t ", :f :" #f ", :key \"" #k "\", :value " #v "}\n"

static void test_lincheck_register_concurrent_read_sees_either(void **state)
{
    /* A read concurrent with a write may see the old or the new value. */
    assert_int_equal(check_text(LIN_REGISTER, E(0, invoke, write, 1) E(1, invoke, read, nil)
                                              E(1, ok, read, 1) E(0, ok, write, 1)), LIN_OK);
    assert_int_equal(check_text(LIN_REGISTER, E(0, invoke, write, 1) E(1, invoke, read, nil)
                                              E(1, ok, read, nil) E(0, ok, write, 1)), LIN_OK);
    /* But never a value nobody wrote. */
    assert_int_equal(check_text(LIN_REGISTER, E(0, invoke, write, 1) E(1, invoke, read, nil)
                                              E(1, ok, read, 2) E(0, ok, write, 1)), LIN_VIOLATED);
}

static void test_lincheck_register_stale_read_is_explained(void **state)
{
    hist_t h;
    lin_result_t r;
    parse(&h, E(0, invoke, write, 1) E(0, ok, write, 1) E(1, invoke, read, nil) E(2, invoke, write, 2)
              E(1, ok, read, nil) E(2, ok, write, 2));
    assert_int_equal(lin_check(&h, LIN_REGISTER, NULL, &r), SIM_OK);
    assert_int_equal(r.verdict, LIN_VIOLATED);
    assert_int_equal(r.key, -1);
    assert_int_equal(r.n_keys_violated, 1);
    /* The deepest dead end: write 1, then write 2 (concurrent with the read), and the
     * read of nil, whose return has come, cannot go next; nothing else is left. */
    assert_int_equal(r.n_prefix, 2);
    assert_int_equal(r.prefix[0].inv, 0);
    assert_int_equal(r.prefix[1].inv, 3);
    assert_int_equal(r.culprit.inv, 2);
    assert_int_equal(r.culprit.done, 4);
    assert_int_equal(r.n_pending, 0);
    assert_string_equal(r.state, "2");
    char why[128];
    assert_string_equal(lin_culprit_reason(&h, &r, why, sizeof why), "it returned nil, but the register holds 2");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    lin_explain(&h, &r, f);
    fclose(f);
    assert_non_null(strstr(text, "Not linearizable"));
    assert_non_null(strstr(text, "process 1 read -> nil [t=2 .. 4]"));
    assert_non_null(strstr(text, "process 0 write 1 [t=0 .. 1]"));
    free(text);
    lin_result_free(&r);
    hist_free(&h);
}

static void test_lincheck_fail_did_not_happen(void **state)
{
    assert_int_equal(check_text(LIN_REGISTER, E(0, invoke, write, 1) E(0, fail, write, 1)
                                              E(1, invoke, read, nil) E(1, ok, read, 1)), LIN_VIOLATED);
    assert_int_equal(check_text(LIN_REGISTER, E(0, invoke, write, 1) E(0, fail, write, 1)
                                              E(1, invoke, read, nil) E(1, ok, read, nil)), LIN_OK);
}

static void test_lincheck_info_may_happen_any_time_later(void **state)
{
    /* An info write may take effect long after it "completed". */
    assert_int_equal(check_text(LIN_REGISTER, E(0, invoke, write, 1) E(0, info, write, 1)
                                              E(1, invoke, read, nil) E(1, ok, read, nil)
                                              E(1, invoke, read, nil) E(1, ok, read, 1)), LIN_OK);
    /* Or never. */
    assert_int_equal(check_text(LIN_REGISTER, E(0, invoke, write, 1) E(0, info, write, 1)
                                              E(1, invoke, read, nil) E(1, ok, read, nil)), LIN_OK);
    /* But once seen it stays: it happened once, before the first read. */
    assert_int_equal(check_text(LIN_REGISTER, E(0, invoke, write, 1) E(0, info, write, 1)
                                              E(1, invoke, read, nil) E(1, ok, read, 1)
                                              E(1, invoke, read, nil) E(1, ok, read, nil)), LIN_VIOLATED);
    /* Not before its invocation. */
    assert_int_equal(check_text(LIN_REGISTER, E(1, invoke, read, nil) E(1, ok, read, 1)
                                              E(0, invoke, write, 1) E(0, info, write, 1)), LIN_VIOLATED);
    /* An operation never completed counts as info. */
    assert_int_equal(check_text(LIN_REGISTER, E(0, invoke, write, 1) E(1, invoke, read, nil) E(1, ok, read, nil)
                                              E(1, invoke, read, nil) E(1, ok, read, 1)), LIN_OK);
    /* An info read constrains nothing. */
    assert_int_equal(check_text(LIN_REGISTER, E(1, invoke, read, nil) E(1, info, read, 7)), LIN_OK);
}

static void test_lincheck_cas_register(void **state)
{
    assert_int_equal(check_text(LIN_CAS_REGISTER, E(0, invoke, write, 1) E(0, ok, write, 1)
                                                  E(0, invoke, cas, [1 2]) E(0, ok, cas, [1 2])
                                                  E(1, invoke, read, nil) E(1, ok, read, 2)), LIN_OK);
    /* An ok cas whose expected value was not there. */
    assert_int_equal(check_text(LIN_CAS_REGISTER, E(0, invoke, write, 1) E(0, ok, write, 1)
                                                  E(0, invoke, cas, [3 2]) E(0, ok, cas, [3 2])), LIN_VIOLATED);
    /* A failed cas did not happen, whatever it expected. */
    assert_int_equal(check_text(LIN_CAS_REGISTER, E(0, invoke, write, 1) E(0, ok, write, 1)
                                                  E(0, invoke, cas, [1 2]) E(0, fail, cas, [1 2])
                                                  E(1, invoke, read, nil) E(1, ok, read, 1)), LIN_OK);
    /* Concurrent cas chain: both can succeed only in one order. */
    assert_int_equal(check_text(LIN_CAS_REGISTER, E(0, invoke, write, 0) E(0, ok, write, 0)
                                                  E(1, invoke, cas, [1 2]) E(2, invoke, cas, [0 1])
                                                  E(1, ok, cas, [1 2]) E(2, ok, cas, [0 1])), LIN_OK);
    assert_int_equal(check_text(LIN_CAS_REGISTER, E(0, invoke, write, 0) E(0, ok, write, 0)
                                                  E(1, invoke, cas, [1 2]) E(1, ok, cas, [1 2])
                                                  E(2, invoke, cas, [0 1]) E(2, ok, cas, [0 1])), LIN_VIOLATED);
}

static void test_lincheck_kv_append_and_synonyms(void **state)
{
    assert_int_equal(check_text(LIN_KV, EK(0, invoke, append, a, "x") EK(1, invoke, append, a, "y")
                                        EK(0, ok, append, a, "x") EK(1, ok, append, a, "y")
                                        EK(2, invoke, get, a, nil) EK(2, ok, get, a, "yx")
                                        EK(2, invoke, get, b, nil) EK(2, ok, get, b, nil)), LIN_OK);
    assert_int_equal(check_text(LIN_KV, EK(0, invoke, append, a, "x") EK(0, ok, append, a, "x")
                                        EK(1, invoke, append, a, "y") EK(1, ok, append, a, "y")
                                        EK(2, invoke, get, a, nil) EK(2, ok, get, a, "yx")), LIN_VIOLATED);
    /* read and write are get and put; integers are their decimal text. */
    assert_int_equal(check_text(LIN_KV, EK(0, invoke, write, a, 12) EK(0, ok, write, a, 12)
                                        EK(0, invoke, append, a, 3) EK(0, ok, append, a, 3)
                                        EK(1, invoke, read, a, nil) EK(1, ok, read, a, "123")), LIN_OK);
    /* Keys are independent: a put on b does not show on a. */
    assert_int_equal(check_text(LIN_KV, EK(0, invoke, put, b, "v") EK(0, ok, put, b, "v")
                                        EK(1, invoke, get, a, nil) EK(1, ok, get, a, "v")), LIN_VIOLATED);
}

static void test_lincheck_counter_with_unknown_adds(void **state)
{
    const char *base = E(0, invoke, add, 1) E(0, ok, add, 1) E(1, invoke, add, 2) E(1, info, add, 2)
                       E(2, invoke, read, nil);
    char text[1024];
    snprintf(text, sizeof text, "%s%s", base, E(2, ok, read, 1));
    assert_int_equal(check_text(LIN_COUNTER, text), LIN_OK);
    snprintf(text, sizeof text, "%s%s", base, E(2, ok, read, 3));
    assert_int_equal(check_text(LIN_COUNTER, text), LIN_OK);
    snprintf(text, sizeof text, "%s%s", base, E(2, ok, read, 2));
    assert_int_equal(check_text(LIN_COUNTER, text), LIN_VIOLATED);
    snprintf(text, sizeof text, "%s%s", base, E(2, ok, read, 0));
    assert_int_equal(check_text(LIN_COUNTER, text), LIN_VIOLATED);
}

static void test_lincheck_violation_names_the_key(void **state)
{
    hist_t h;
    lin_result_t r;
    parse(&h, EK(0, invoke, write, a, 1) EK(0, ok, write, a, 1) EK(0, invoke, write, b, 1) EK(0, ok, write, b, 1)
              EK(1, invoke, read, a, nil) EK(1, ok, read, a, 1) EK(1, invoke, read, b, nil) EK(1, ok, read, b, 2));
    assert_int_equal(lin_check(&h, LIN_REGISTER, NULL, &r), SIM_OK);
    assert_int_equal(r.verdict, LIN_VIOLATED);
    assert_int_equal(r.n_keys, 2);
    assert_string_equal(h.keys[r.key], "b");
    assert_string_equal(r.state, "1");
    lin_result_free(&r);
    hist_free(&h);
}

static void test_lincheck_input_errors(void **state)
{
    hist_t h;
    lin_result_t r;
    parse(&h, E(0, invoke, append, 1) E(0, ok, append, 1));
    assert_int_equal(lin_check(&h, LIN_REGISTER, NULL, &r), SIM_EINPUT);
    assert_string_equal(r.err, "process 0's append invoked at t=0 (event 1): the register model has no function "
                               "\"append\" (it has read, write)");
    lin_result_free(&r);
    hist_free(&h);

    parse(&h, E(0, invoke, write, "s") E(0, ok, write, "s"));
    assert_int_equal(lin_check(&h, LIN_REGISTER, NULL, &r), SIM_EINPUT);
    assert_string_equal(r.err, "process 0's write invoked at t=0 (event 1): the register model needs an integer "
                               "value, found \"s\"");
    lin_result_free(&r);
    hist_free(&h);

    parse(&h, E(0, invoke, cas, 1) E(0, ok, cas, 1));
    assert_int_equal(lin_check(&h, LIN_CAS_REGISTER, NULL, &r), SIM_EINPUT);
    assert_string_equal(r.err, "process 0's cas invoked at t=0 (event 1): the cas-register model needs [from, to], found 1");
    lin_result_free(&r);
    hist_free(&h);

    parse(&h, E(0, invoke, read, nil) E(0, ok, read, [1 2]));
    assert_int_equal(lin_check(&h, LIN_COUNTER, NULL, &r), SIM_EINPUT);
    assert_string_equal(r.err, "process 0's read invoked at t=0 (event 1): the counter model needs an integer result, found [1, 2]");
    lin_result_free(&r);
    hist_free(&h);

    /* In-memory histories are not checked by the reader: the checker refuses bad pairs. */
    hist_init(&h);
    uint16_t rd = hist_intern_f(&h, "read");
    hist_add(&h, 0, HIST_OK, rd, -1, HIST_V_NONE, NULL, 0, 5);
    assert_int_equal(lin_check(&h, LIN_REGISTER, NULL, &r), SIM_EINPUT);
    assert_string_equal(r.err, "event 1: process 0 completes (ok) with no operation outstanding");
    lin_result_free(&r);
    hist_free(&h);
}

static void test_lincheck_model_names(void **state)
{
    lin_model_t m;
    assert_int_equal(lin_model_parse("cas-register", &m), SIM_OK);
    assert_int_equal(m, LIN_CAS_REGISTER);
    assert_int_equal(lin_model_parse("cas", &m), SIM_ENOTFOUND);
    assert_string_equal(lin_model_nearest("kvv"), "kv");
    assert_string_equal(lin_model_nearest("cas_register"), "cas-register");
    assert_string_equal(lin_model_nearest("countr"), "counter");
    assert_string_equal(lin_model_nearest("regster"), "register");
}

static void test_lincheck_empty_history_is_linearizable(void **state)
{
    hist_t h;
    lin_result_t r;
    hist_init(&h);
    assert_int_equal(lin_check(&h, LIN_KV, NULL, &r), SIM_OK);
    assert_int_equal(r.verdict, LIN_OK);
    assert_int_equal(r.n_keys, 0);
    lin_result_free(&r);
    hist_free(&h);
}

/* ---- Porcupine's histories. ------------------------------------------------------ */

static lin_result_t check_file(const char *name, const lin_limits_t *lim, hist_t *h)
{
    char path[256], err[256];
    lin_result_t r;
    snprintf(path, sizeof path, "tests/data/porcupine-kv/%s", name);
    hist_init(h);
    int rc = hist_read_file(path, h, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, SIM_OK);
    assert_int_equal(lin_check(h, LIN_KV, lim, &r), SIM_OK);
    return r;
}

static void test_lincheck_porcupine_verdicts(void **state)
{
    static const struct { const char *file; lin_verdict_t v; uint32_t ops; } want[] = {
        { "c01-ok.txt", LIN_OK, 58 },   { "c01-bad.txt", LIN_VIOLATED, 38 },
        { "c10-ok.txt", LIN_OK, 337 },  { "c10-bad.txt", LIN_VIOLATED, 405 },
        { "c50-ok.txt", LIN_OK, 1712 }, { "c50-bad.txt", LIN_VIOLATED, 2024 },
    };
    lin_limits_t lim = { .time_s_max = 60 };
    for (size_t i = 0; i < SIM_ARRAY_LEN(want); i++) {
        hist_t h;
        lin_result_t r = check_file(want[i].file, &lim, &h);
        if (r.verdict != want[i].v) fprintf(stderr, "%s: got %s\n", want[i].file, lin_verdict_names[r.verdict]);
        assert_int_equal(r.verdict, want[i].v);
        assert_int_equal(r.n_ops, want[i].ops);
        if (r.verdict == LIN_VIOLATED) {
            /* The explanation is self-consistent: the culprit and the prefix are ops of
             * the named key, and the culprit comes from a read (the only kind of kv
             * operation that can fail to fit). */
            assert_true(r.key >= 0);
            assert_int_equal(h.ev[r.culprit.inv].key, r.key);
            for (uint32_t k = 0; k < r.n_prefix; k++) assert_int_equal(h.ev[r.prefix[k].inv].key, r.key);
            assert_string_equal(hist_f_name(&h, &h.ev[r.culprit.inv]), "get");
        }
        lin_result_free(&r);
        hist_free(&h);
    }
}

static void test_lincheck_limits_give_unknown(void **state)
{
    hist_t h;
    lin_limits_t lim = { .memory_bytes_max = 4096 };
    lin_result_t r = check_file("c10-ok.txt", &lim, &h);
    assert_int_equal(r.verdict, LIN_UNKNOWN);
    assert_string_equal(r.unknown_reason, "memory limit");
    lin_result_free(&r);
    hist_free(&h);

    /* Key 0 of c50-bad alone needs millions of configurations: a tight time limit. */
    char err[256];
    hist_t all, k0;
    hist_init(&all);
    assert_int_equal(hist_read_file("tests/data/porcupine-kv/c50-bad.txt", &all, err, sizeof err), SIM_OK);
    hist_init(&k0);
    for (uint32_t i = 0; i < all.n_ev; i++) {
        const hist_event_t *e = &all.ev[i];
        if (strcmp(hist_key_name(&all, e), "0") != 0) continue;
        int64_t v = e->vkind == HIST_V_STR ? hist_intern_str(&k0, all.strs[hist_vals(&all, e)[0]]) : 0;
        hist_add(&k0, e->process, e->type, hist_intern_f(&k0, hist_f_name(&all, e)), hist_intern_key(&k0, "0"),
                 e->vkind, &v, e->vkind == HIST_V_STR, e->time_ns);
    }
    lim = (lin_limits_t){ .time_s_max = 0.2 };
    assert_int_equal(lin_check(&k0, LIN_KV, &lim, &r), SIM_OK);
    assert_int_equal(r.verdict, LIN_UNKNOWN);
    assert_string_equal(r.unknown_reason, "time limit");
    assert_true(r.elapsed_s < 2.0);
    lin_result_free(&r);

    /* A step limit stops at exactly that many steps, and so gives the same answer on
     * an idle machine and a busy one. */
    uint64_t states = 0;
    for (int i = 0; i < 2; i++) {
        lim = (lin_limits_t){ .steps_max = 100000 };
        assert_int_equal(lin_check(&k0, LIN_KV, &lim, &r), SIM_OK);
        assert_int_equal(r.verdict, LIN_UNKNOWN);
        assert_string_equal(r.unknown_reason, "step limit");
        assert_int_equal(r.steps, 100000);
        if (i == 1) assert_int_equal(r.states, states);
        states = r.states;
        lin_result_free(&r);
    }
    hist_free(&k0);
    hist_free(&all);
}

/* ---- Brute force. ----------------------------------------------------------------- */

enum { B_READ, B_WRITE, B_CAS, B_APPEND, B_ADD };
#define B_OPS_MAX 8
#define B_KEYS 2
#define B_NIL (-1)
#define B_STR 24

typedef struct bop {
    int kind, key;
    bool ok;                   /* ok: must be placed; otherwise info: may be */
    int inv, ret;              /* event indexes; ret unused for info */
    int64_t a, b;              /* write/add value, cas from/to, read result */
    char s[B_STR];             /* kv: put or append value, or get result */
} bop_t;

typedef struct bstate {
    int64_t v[B_KEYS];
    char s[B_KEYS][2 * B_STR];
} bstate_t;

/* Applies op to st in model m; false when the model forbids it. */
static bool b_apply(lin_model_t m, bstate_t *st, const bop_t *o)
{
    switch (o->kind) {
    case B_READ:
        return m == LIN_KV ? strcmp(st->s[o->key], o->s) == 0 : st->v[o->key] == o->a;
    case B_WRITE:
        if (m == LIN_KV) snprintf(st->s[o->key], sizeof st->s[o->key], "%s", o->s);
        else st->v[o->key] = o->a;
        return true;
    case B_CAS:
        if (st->v[o->key] != o->a) return false;
        st->v[o->key] = o->b;
        return true;
    case B_APPEND:
        strncat(st->s[o->key], o->s, sizeof st->s[o->key] - strlen(st->s[o->key]) - 1);
        return true;
    case B_ADD:
        st->v[o->key] += o->a;
        return true;
    }
    return false;
}

/* Every order: place any unplaced op none of whose real-time predecessors is missing. */
static bool b_search(lin_model_t m, const bop_t *ops, int n, unsigned placed, const bstate_t *st)
{
    bool done = true;
    for (int i = 0; i < n; i++)
        if (ops[i].ok && !(placed & (1u << i))) done = false;
    if (done) return true;
    for (int i = 0; i < n; i++) {
        if (placed & (1u << i)) continue;
        bool ready = true;
        for (int j = 0; j < n && ready; j++)
            if (j != i && !(placed & (1u << j)) && ops[j].ok && ops[j].ret < ops[i].inv) ready = false;
        if (!ready) continue;
        bstate_t next = *st;
        if (b_apply(m, &next, &ops[i]) && b_search(m, ops, n, placed | (1u << i), &next)) return true;
    }
    return false;
}

static bool b_linearizable(lin_model_t m, const bop_t *ops, int n)
{
    bstate_t st;
    memset(&st, 0, sizeof st);
    for (int k = 0; k < B_KEYS; k++) st.v[k] = m == LIN_COUNTER ? 0 : B_NIL;
    return b_search(m, ops, n, 0, &st);
}

/* Generates one random history into h (and the operations the brute force judges into
 * ops; fail ops and info reads are left out of those, as they constrain nothing). */
static int gen_history(rng_t *rng, lin_model_t m, hist_t *h, bop_t *ops)
{
    static const char *const pieces[] = { "a", "b", "c" };
    int n_ops = 1 + (int)rng_below(rng, B_OPS_MAX), n_procs = 1 + (int)rng_below(rng, 4);
    bool keyed = rng_chance(rng, 0.5);
    int n_keys = keyed ? 1 + (int)rng_below(rng, B_KEYS) : 1;
    struct bproc { bool busy, applied, happens, hang; int op; } proc[4];
    memset(proc, 0, sizeof proc);
    struct { int kind, key; int64_t a, b; char s[B_STR]; uint16_t f; int inv, type; bool read_nil; } g[B_OPS_MAX];
    bstate_t truth;
    memset(&truth, 0, sizeof truth);
    for (int k = 0; k < B_KEYS; k++) truth.v[k] = m == LIN_COUNTER ? 0 : B_NIL;
    int started = 0, ev = 0;
    int32_t keyix[B_KEYS];
    for (int k = 0; k < B_KEYS; k++) {
        char name[16];
        snprintf(name, sizeof name, "k%d", k);
        keyix[k] = hist_intern_key(h, name);
    }

    for (;;) {
        bool any_busy = false, all_hang = true;
        for (int p = 0; p < n_procs; p++) {
            any_busy |= proc[p].busy && !proc[p].hang;
            all_hang &= proc[p].hang;
        }
        if ((started == n_ops && !any_busy) || all_hang) break;
        int p = (int)rng_below(rng, (uint64_t)n_procs);
        if (proc[p].hang) continue;
        if (!proc[p].busy) {
            if (started == n_ops) continue;
            int i = started++;
            int kinds[3], nk = 0;
            kinds[nk++] = B_READ;
            if (m == LIN_COUNTER) kinds[nk++] = B_ADD;
            else kinds[nk++] = B_WRITE;
            if (m == LIN_CAS_REGISTER) kinds[nk++] = B_CAS;
            if (m == LIN_KV) kinds[nk++] = B_APPEND;
            g[i].kind = kinds[rng_below(rng, (uint64_t)nk)];
            g[i].key = (int)rng_below(rng, (uint64_t)n_keys);
            g[i].a = (int64_t)rng_below(rng, 3);
            g[i].b = (int64_t)rng_below(rng, 3);
            g[i].read_nil = false;
            if (m == LIN_COUNTER && g[i].kind == B_ADD) g[i].a = (int64_t)rng_below(rng, 4) - 1;
            snprintf(g[i].s, sizeof g[i].s, "%s", pieces[rng_below(rng, 3)]);
            const char *fname = "read";
            switch (g[i].kind) {
            case B_READ: fname = m == LIN_KV && rng_chance(rng, 0.5) ? "get" : "read"; break;
            case B_WRITE: fname = m == LIN_KV && rng_chance(rng, 0.5) ? "put" : "write"; break;
            case B_CAS: fname = "cas"; break;
            case B_APPEND: fname = "append"; break;
            case B_ADD: fname = "add"; break;
            }
            g[i].f = hist_intern_f(h, fname);
            double u = rng_double(rng);
            g[i].type = u < 0.08 ? HIST_FAIL : u < 0.22 ? HIST_INFO : HIST_OK;
            proc[p] = (struct bproc){ .busy = true, .op = i, .applied = false,
                                      .happens = g[i].type == HIST_OK || (g[i].type == HIST_INFO && rng_chance(rng, 0.5)) };
            int32_t key = keyed ? keyix[g[i].key] : -1;
            int64_t v[2] = { g[i].a, g[i].b };
            int64_t sid = hist_intern_str(h, g[i].s);
            if (g[i].kind == B_READ) hist_add(h, (uint32_t)p, HIST_INVOKE, g[i].f, key, HIST_V_NONE, NULL, 0, ev * 10);
            else if (g[i].kind == B_CAS) hist_add(h, (uint32_t)p, HIST_INVOKE, g[i].f, key, HIST_V_LIST, v, 2, ev * 10);
            else if (m == LIN_KV) hist_add(h, (uint32_t)p, HIST_INVOKE, g[i].f, key, HIST_V_STR, &sid, 1, ev * 10);
            else hist_add(h, (uint32_t)p, HIST_INVOKE, g[i].f, key, HIST_V_INT, v, 1, ev * 10);
            g[i].inv = ev++;
            continue;
        }
        int i = proc[p].op;
        /* The operation takes effect at some moment between invoke and completion. */
        if (proc[p].happens && !proc[p].applied && rng_chance(rng, 0.5)) {
            bop_t o = { .kind = g[i].kind, .key = g[i].key, .a = g[i].a, .b = g[i].b };
            snprintf(o.s, sizeof o.s, "%s", g[i].s);
            if (g[i].kind == B_READ) {
                if (m == LIN_KV) snprintf(g[i].s, sizeof g[i].s, "%s", truth.s[g[i].key]);
                else g[i].a = truth.v[g[i].key];
            } else if (g[i].kind == B_CAS && truth.v[g[i].key] != g[i].a) {
                g[i].type = HIST_FAIL;   /* a cas that found another value did not happen */
            } else {
                b_apply(m, &truth, &o);
            }
            proc[p].applied = true;
            continue;
        }
        if (proc[p].happens && !proc[p].applied) continue;   /* it must take effect first */
        if (g[i].type == HIST_INFO && rng_chance(rng, 0.3)) {
            proc[p].hang = true;   /* never completes */
            continue;
        }
        int32_t key = keyed ? keyix[g[i].key] : -1;
        int64_t v[2] = { g[i].a, g[i].b };
        if (g[i].kind == B_READ && g[i].type == HIST_OK) {
            if (m == LIN_KV) {
                int64_t sid = hist_intern_str(h, g[i].s);
                if (g[i].s[0] == 0 && rng_chance(rng, 0.3)) hist_add(h, (uint32_t)p, HIST_OK, g[i].f, key, HIST_V_NONE, NULL, 0, ev * 10);
                else hist_add(h, (uint32_t)p, HIST_OK, g[i].f, key, HIST_V_STR, &sid, 1, ev * 10);
            } else if (m != LIN_COUNTER && g[i].a == B_NIL) {
                hist_add(h, (uint32_t)p, HIST_OK, g[i].f, key, HIST_V_NONE, NULL, 0, ev * 10);
            } else {
                hist_add(h, (uint32_t)p, HIST_OK, g[i].f, key, HIST_V_INT, v, 1, ev * 10);
            }
        } else if (g[i].kind == B_CAS) {
            hist_add(h, (uint32_t)p, (hist_type_t)g[i].type, g[i].f, key, HIST_V_LIST, v, 2, ev * 10);
        } else {
            hist_add(h, (uint32_t)p, (hist_type_t)g[i].type, g[i].f, key, HIST_V_NONE, NULL, 0, ev * 10);
        }
        proc[p] = (struct bproc){ .busy = false };
        ev++;
    }

    /* What the brute force judges, from the history itself. */
    int n = 0;
    for (uint32_t e = 0; e < h->n_ev; e++) {
        const hist_event_t *x = &h->ev[e];
        if (x->type != HIST_INVOKE) continue;
        int done = -1;
        for (uint32_t d = e + 1; d < h->n_ev && done < 0; d++)
            if (h->ev[d].process == x->process) done = (int)d;
        int type = done < 0 ? HIST_INFO : h->ev[done].type;
        const char *f = hist_f_name(h, x);
        int kind = strcmp(f, "read") == 0 || strcmp(f, "get") == 0 ? B_READ
                 : strcmp(f, "write") == 0 || strcmp(f, "put") == 0 ? B_WRITE
                 : strcmp(f, "cas") == 0 ? B_CAS : strcmp(f, "append") == 0 ? B_APPEND : B_ADD;
        if (type == HIST_FAIL || (kind == B_READ && type != HIST_OK)) continue;
        bop_t *o = &ops[n++];
        memset(o, 0, sizeof *o);
        o->kind = kind;
        o->key = x->key < 0 ? 0 : (int)x->key;
        o->ok = type == HIST_OK;
        o->inv = (int)e;
        o->ret = done < 0 ? INT32_MAX : done;
        const hist_event_t *vx = kind == B_READ ? &h->ev[done] : x;
        if (vx->vkind == HIST_V_STR) snprintf(o->s, sizeof o->s, "%s", h->strs[hist_vals(h, vx)[0]]);
        else if (vx->vkind == HIST_V_INT) o->a = hist_vals(h, vx)[0];
        else if (vx->vkind == HIST_V_LIST) { o->a = hist_vals(h, vx)[0]; o->b = hist_vals(h, vx)[1]; }
        else o->a = B_NIL;   /* a nil read; kv's nil is "", o->s is already empty */
    }
    return n;
}

/* Changes one ok read's result, which may or may not break linearizability. */
static void corrupt(rng_t *rng, lin_model_t m, hist_t *h, bop_t *ops, int n)
{
    int reads[B_OPS_MAX], nr = 0;
    for (int i = 0; i < n; i++)
        if (ops[i].kind == B_READ && ops[i].ok) reads[nr++] = i;
    if (nr == 0) return;
    bop_t *o = &ops[reads[rng_below(rng, (uint64_t)nr)]];
    hist_event_t *e = &h->ev[o->ret];
    /* Rewrite the completion in place: an integer or a string is one arena slot. */
    if (m == LIN_KV && e->vkind == HIST_V_STR) {
        static const char *const alt[] = { "", "a", "b", "ab", "ba", "c" };
        const char *was = h->strs[h->arena[e->vals]], *now;
        do now = alt[rng_below(rng, SIM_ARRAY_LEN(alt))]; while (strcmp(now, was) == 0);
        snprintf(o->s, sizeof o->s, "%s", now);
        h->arena[e->vals] = hist_intern_str(h, o->s);
    } else if (m != LIN_KV && e->vkind == HIST_V_INT) {
        int64_t was = o->a;
        do o->a = (int64_t)rng_below(rng, 4); while (o->a == was);
        h->arena[e->vals] = o->a;
    }
}

static void test_lincheck_agrees_with_brute_force(void **state)
{
    rng_t rng;
    rng_seed(&rng, 20240611, 99, 0);
    int counts[2] = { 0, 0 }, with_info = 0, with_fail = 0;
    const int rounds = 12000;
    for (int t = 0; t < rounds; t++) {
        lin_model_t m = (lin_model_t)(t % LIN_MODEL_COUNT_);
        hist_t h;
        hist_init(&h);
        bop_t ops[B_OPS_MAX];
        int n = gen_history(&rng, m, &h, ops);
        if (rng_chance(&rng, 0.5)) corrupt(&rng, m, &h, ops, n);
        for (uint32_t e = 0; e < h.n_ev; e++) {
            with_info += h.ev[e].type == HIST_INFO;
            with_fail += h.ev[e].type == HIST_FAIL;
        }
        bool want = b_linearizable(m, ops, n);
        lin_result_t r;
        int rc = lin_check(&h, m, NULL, &r);
        if (rc) fprintf(stderr, "history %d: %s\n", t, r.err);
        assert_int_equal(rc, SIM_OK);
        if ((r.verdict == LIN_OK) != want || r.verdict == LIN_UNKNOWN) {
            fprintf(stderr, "history %d, model %s: brute force says %s, checker says %s\n", t, lin_model_names[m],
                    want ? "ok" : "violated", lin_verdict_names[r.verdict]);
            char path[64];
            snprintf(path, sizeof path, "/tmp/dsim-lincheck-disagree-%d.jsonl", t);
            hist_write_jsonl(&h, path);
            fprintf(stderr, "written to %s\n", path);
        }
        assert_int_not_equal(r.verdict, LIN_UNKNOWN);
        assert_int_equal(r.verdict == LIN_OK, want);
        counts[want]++;
        lin_result_free(&r);
        hist_free(&h);
    }
    print_message("%d linearizable, %d not, %d info events, %d fail events\n", counts[1], counts[0], with_info, with_fail);
    /* Both verdicts, and fail and info operations, must be well represented. */
    assert_true(counts[0] > rounds / 10);
    assert_true(counts[1] > rounds / 10);
    assert_true(with_info > rounds / 5);
    assert_true(with_fail > rounds / 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lincheck_register_concurrent_read_sees_either),
        cmocka_unit_test(test_lincheck_register_stale_read_is_explained),
        cmocka_unit_test(test_lincheck_fail_did_not_happen),
        cmocka_unit_test(test_lincheck_info_may_happen_any_time_later),
        cmocka_unit_test(test_lincheck_cas_register),
        cmocka_unit_test(test_lincheck_kv_append_and_synonyms),
        cmocka_unit_test(test_lincheck_counter_with_unknown_adds),
        cmocka_unit_test(test_lincheck_violation_names_the_key),
        cmocka_unit_test(test_lincheck_input_errors),
        cmocka_unit_test(test_lincheck_model_names),
        cmocka_unit_test(test_lincheck_empty_history_is_linearizable),
        cmocka_unit_test(test_lincheck_porcupine_verdicts),
        cmocka_unit_test(test_lincheck_limits_give_unknown),
        cmocka_unit_test(test_lincheck_agrees_with_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
