/* bench_check.c -- how long the linearizability checker takes on known histories.
 *
 * Figures: the six Porcupine kv histories from tests/data/porcupine-kv (targets: each
 * 50-client history under 5 s) and a synthetic history of 100,000 operations by 10
 * clients over 1,000 keys (target: under 10 s). The synthetic history is generated
 * from a fixed seed by simulating a correct store: each operation takes effect at one
 * instant between its invocation and its completion, so it is linearizable by
 * construction, and a verdict other than ok is a bug. Timing covers lin_check only;
 * reading the file is shown separately. Exits 1 on a wrong verdict, never on a slow one
 * (machines differ; the figure and the target are printed side by side).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check/histread.h"
#include "check/lincheck.h"
#include "core/rng.h"

#define SYN_OPS      100000
#define SYN_CLIENTS  10
#define SYN_KEYS     1000
#define SYN_SEED     20240611
#define SYN_VALUE_BYTES_MAX 8192   /* a key's string; a put resets it before it gets there */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Checks h and prints one figure line; returns false when the verdict is wrong. */
static bool bench(const char *name, const hist_t *h, lin_verdict_t want, double read_s, double target_s)
{
    lin_result_t r;
    lin_limits_t lim = { .time_s_max = 120 };
    double t0 = now_s();
    int rc = lin_check(h, LIN_KV, &lim, &r);
    double dt = now_s() - t0;
    if (rc != SIM_OK) {
        printf("check %s: error: %s\n", name, r.err);
        lin_result_free(&r);
        return false;
    }
    char how[48] = "generated in memory";
    if (read_s >= 0) snprintf(how, sizeof how, "read %.3f s", read_s);
    printf("check %s: %s in %.3f s (%" PRIu32 " ops, %" PRIu32 " keys, %" PRIu64 " states; %s; target %.0f s: %s)\n",
           name, lin_verdict_names[r.verdict], dt, r.n_ops, r.n_keys, r.states, how, target_s,
           dt < target_s ? "met" : "MISSED");
    bool ok = r.verdict == want;
    if (!ok) printf("  wrong verdict: expected %s\n", lin_verdict_names[want]);
    lin_result_free(&r);
    return ok;
}

/* A correct kv store under SYN_CLIENTS clients, one operation outstanding each. */
static void synthesize(hist_t *h)
{
    typedef enum { IDLE, INVOKED, APPLIED } phase_t;
    struct client {
        rng_t rng;
        phase_t phase;
        sim_time_t next_ns;
        uint16_t f;
        int32_t key;
        int64_t value;      /* string index: appended or put value, or the get's result */
        uint32_t n;         /* operations started */
    } c[SYN_CLIENTS];
    static char state[SYN_KEYS][SYN_VALUE_BYTES_MAX];
    static size_t len[SYN_KEYS];
    uint16_t f_get = hist_intern_f(h, "get"), f_put = hist_intern_f(h, "put"), f_append = hist_intern_f(h, "append");
    for (int k = 0; k < SYN_KEYS; k++) {
        char name[16];
        snprintf(name, sizeof name, "%d", k);
        hist_intern_key(h, name);
    }
    for (uint32_t p = 0; p < SYN_CLIENTS; p++) {
        rng_seed(&c[p].rng, SYN_SEED, RNG_CLIENT, p);
        c[p].phase = IDLE;
        c[p].next_ns = (sim_time_t)rng_below(&c[p].rng, 1000);
        c[p].n = 0;
    }
    uint32_t started = 0, active = SYN_CLIENTS;
    while (active) {
        /* The client whose next step comes first; ties go to the lower number. */
        uint32_t p = SYN_CLIENTS;
        for (uint32_t q = 0; q < SYN_CLIENTS; q++)
            if ((c[q].phase != IDLE || started < SYN_OPS) && (p == SYN_CLIENTS || c[q].next_ns < c[p].next_ns)) p = q;
        if (p == SYN_CLIENTS) break;
        struct client *cl = &c[p];
        sim_time_t t = cl->next_ns;
        if (cl->phase == IDLE) {
            started++;
            cl->key = (int32_t)rng_below(&cl->rng, SYN_KEYS);
            double u = rng_double(&cl->rng);
            char v[48];
            snprintf(v, sizeof v, "x %" PRIu32 " %" PRIu32 " y", p, cl->n++);
            if (u < 0.45) {
                cl->f = f_get;
                hist_add(h, p, HIST_INVOKE, cl->f, cl->key, HIST_V_NONE, NULL, 0, t);
            } else {
                /* An append is chosen only while every outstanding operation could
                 * append before it and still leave room; otherwise a put. */
                bool room = len[cl->key] + (SYN_CLIENTS + 1) * sizeof v < SYN_VALUE_BYTES_MAX;
                cl->f = u < 0.9 && room ? f_append : f_put;
                cl->value = hist_intern_str(h, v);
                hist_add(h, p, HIST_INVOKE, cl->f, cl->key, HIST_V_STR, &cl->value, 1, t);
            }
            cl->phase = INVOKED;
            cl->next_ns = t + 1 + (sim_time_t)rng_below(&cl->rng, 500);
        } else if (cl->phase == INVOKED) {
            /* The instant the operation takes effect. */
            char *s = state[cl->key];
            if (cl->f == f_get) {
                cl->value = hist_intern_str(h, s);
            } else {
                const char *v = h->strs[cl->value];
                size_t n = strlen(v);
                if (cl->f == f_put) len[cl->key] = 0;
                sim_assert(len[cl->key] + n < SYN_VALUE_BYTES_MAX);   /* see the choice at invoke */
                memcpy(s + len[cl->key], v, n + 1);
                len[cl->key] += n;
            }
            cl->phase = APPLIED;
            cl->next_ns = t + 1 + (sim_time_t)rng_below(&cl->rng, 500);
        } else {
            hist_add(h, p, HIST_OK, cl->f, cl->key, HIST_V_STR, &cl->value, 1, t);
            cl->phase = IDLE;
            cl->next_ns = t + 1 + (sim_time_t)rng_below(&cl->rng, 200);
            if (started >= SYN_OPS) active--;
        }
    }
}

int main(void)
{
    static const struct { const char *file; lin_verdict_t want; double target_s; } files[] = {
        { "c01-ok.txt", LIN_OK, 5 },   { "c01-bad.txt", LIN_VIOLATED, 5 },
        { "c10-ok.txt", LIN_OK, 5 },   { "c10-bad.txt", LIN_VIOLATED, 5 },
        { "c50-ok.txt", LIN_OK, 5 },   { "c50-bad.txt", LIN_VIOLATED, 5 },
    };
    bool all_right = true;
    for (size_t i = 0; i < SIM_ARRAY_LEN(files); i++) {
        char path[256], err[512];
        snprintf(path, sizeof path, "tests/data/porcupine-kv/%s", files[i].file);
        hist_t h;
        hist_init(&h);
        double t0 = now_s();
        if (hist_read_file(path, &h, err, sizeof err) != SIM_OK) {
            printf("check %s: cannot read: %s (run from the repository root)\n", files[i].file, err);
            hist_free(&h);
            return 1;
        }
        all_right &= bench(files[i].file, &h, files[i].want, now_s() - t0, files[i].target_s);
        hist_free(&h);
    }

    hist_t h;
    hist_init(&h);
    double t0 = now_s();
    synthesize(&h);
    double gen_s = now_s() - t0;
    printf("generated synthetic history: %" PRIu32 " events in %.3f s\n", h.n_ev, gen_s);
    all_right &= bench("synthetic-100k.txt", &h, LIN_OK, -1, 10);

    /* The same history with one read changed to a value nobody wrote must fail: a
     * checker that is fast because it checks nothing would pass the line above. */
    for (uint32_t i = h.n_ev; i-- > 0;) {
        if (h.ev[i].type != HIST_OK || strcmp(hist_f_name(&h, &h.ev[i]), "get") != 0) continue;
        h.arena[h.ev[i].vals] = hist_intern_str(&h, "a value nobody wrote");
        break;
    }
    all_right &= bench("synthetic-100k-one-bad-read.txt", &h, LIN_VIOLATED, -1, 10);
    hist_free(&h);
    return all_right ? 0 : 1;
}
