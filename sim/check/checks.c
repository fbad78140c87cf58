/* checks.c -- set-full, counter, session-guarantee and stale-read checks.
 *
 * The four checks share a shape: pair the events into operations (hist_pair), sort or
 * index them once, then make one pass in history order. The definitions each check
 * implements, and their limits, are in checks.h; comments here explain how.
 *
 * Small open-addressing tables (processes, values) are built per call; nothing here is
 * kept between calls and nothing is unbounded: vector clocks, the one structure that
 * grows as a product (writes x processes), have a named limit.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check/checks.h"

const char *const chk_set_outcome_names[] = { "stable", "lost", "never-read", NULL };
const char *const chk_session_names[] = {
    "monotonic-reads", "read-your-writes", "monotonic-writes", "writes-follow-reads", NULL,
};

#define NONE UINT32_MAX

static int fail(char *err, size_t err_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return SIM_EINPUT;
}

static bool f_is(const hist_t *h, const hist_event_t *e, const char *a, const char *b)
{
    const char *f = hist_f_name(h, e);
    return strcmp(f, a) == 0 || (b && strcmp(f, b) == 0);
}

/* Refuses a history with more than one key, for checks that read one object. */
static int one_key(const hist_t *h, const char *what, char *err, size_t err_len)
{
    int32_t key = -1;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        int32_t k = h->ev[i].key;
        if (k < 0) continue;
        if (key >= 0 && k != key)
            return fail(err, err_len, "the %s check reads one object, found keys \"%s\" and \"%s\"", what,
                        h->keys[key], h->keys[k]);
        key = k;
    }
    return SIM_OK;
}

static uint32_t *pair(const hist_t *h, char *err, size_t err_len)
{
    uint32_t *other = sim_xcalloc((size_t)h->n_ev + 1, sizeof *other);
    if (hist_pair(h, other, err, err_len) != SIM_OK) {
        free(other);
        return NULL;
    }
    return other;
}

/* The type an invoke ended with: info when it never completed. */
static uint8_t outcome(const hist_t *h, const uint32_t *other, uint32_t inv)
{
    return other[inv] == HIST_NONE ? HIST_INFO : h->ev[other[inv]].type;
}

/* ---- A small int64 -> uint32 table (values, processes). --------------------------- */

typedef struct imap {
    uint64_t *k;
    uint32_t *v;          /* value + 1; 0 = empty */
    uint32_t cap, n;
} imap_t;

/* expect: how many keys are likely; the table grows past it when needed. */
static void imap_init(imap_t *m, uint32_t expect)
{
    uint32_t cap = 64;
    while (cap < 2 * (uint64_t)expect + 2 && cap < (1u << 30)) cap *= 2;
    m->k = sim_xcalloc(cap, sizeof *m->k);
    m->v = sim_xcalloc(cap, sizeof *m->v);
    m->cap = cap;
    m->n = 0;
}

static void imap_free(imap_t *m)
{
    free(m->k);
    free(m->v);
}

/* The slot for key k: holds it, or is empty where it would go. */
static uint32_t imap_slot(const imap_t *m, uint64_t k)
{
    uint32_t mask = m->cap - 1, i = (uint32_t)sim_mix64(k) & mask;
    while (m->v[i] && m->k[i] != k) i = (i + 1) & mask;
    return i;
}

static uint32_t imap_get(const imap_t *m, uint64_t k)
{
    uint32_t i = imap_slot(m, k);
    return m->v[i] ? m->v[i] - 1 : NONE;
}

static void imap_put(imap_t *m, uint64_t k, uint32_t v)
{
    if ((uint64_t)(m->n + 1) * 2 > m->cap) {
        /* Keep the load at most one half: rehash into twice the slots. */
        imap_t big = { .k = sim_xcalloc((size_t)m->cap * 2, sizeof *m->k),
                       .v = sim_xcalloc((size_t)m->cap * 2, sizeof *m->v), .cap = m->cap * 2 };
        for (uint32_t j = 0; j < m->cap; j++)
            if (m->v[j]) {
                uint32_t i = imap_slot(&big, m->k[j]);
                big.k[i] = m->k[j];
                big.v[i] = m->v[j];
            }
        big.n = m->n;
        imap_free(m);
        *m = big;
    }
    uint32_t i = imap_slot(m, k);
    if (!m->v[i]) m->n++;
    m->k[i] = k;
    m->v[i] = v + 1;
}

/* Dense process numbers 0 .. n-1 in order of first appearance. */
static uint32_t *dense_processes(const hist_t *h, uint32_t *n_out)
{
    imap_t m;
    imap_init(&m, 64);
    uint32_t *dense = sim_xcalloc((size_t)h->n_ev + 1, sizeof *dense), n = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        uint32_t d = imap_get(&m, h->ev[i].process);
        if (d == NONE) imap_put(&m, h->ev[i].process, d = n++);
        dense[i] = d;
    }
    imap_free(&m);
    *n_out = n;
    return dense;
}

/* ---- Set-full. -------------------------------------------------------------------- */

typedef struct sread {
    uint32_t inv, proc;
    int64_t *vals;        /* sorted */
    uint32_t n;
} sread_t;

static int i64_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static bool sread_has(const sread_t *r, int64_t v)
{
    return r->n && bsearch(&v, r->vals, r->n, sizeof v, i64_cmp) != NULL;
}

static bool final_lacks(const sread_t *reads, uint32_t from, uint32_t n, int64_t v)
{
    for (uint32_t k = from; k < n; k++) if (!sread_has(&reads[k], v)) return true;
    return false;
}

int chk_set_full(const hist_t *h, chk_set_report_t *out, char *err, size_t err_len)
{
    return chk_set_full_settled(h, -1, out, err, err_len);
}

int chk_set_full_settled(const hist_t *h, sim_time_t final_from_ns, chk_set_report_t *out, char *err, size_t err_len)
{
    char vb[64];
    memset(out, 0, sizeof *out);
    int rc = one_key(h, "set", err, err_len);
    if (rc) return rc;
    uint32_t *other = pair(h, err, err_len);
    if (!other) return SIM_EINPUT;
    uint32_t n_procs, *dense = dense_processes(h, &n_procs);

    /* Adds, by value; reads, in invoke order with their sets sorted. */
    imap_t adds;
    imap_init(&adds, 64);
    sread_t *reads = sim_xcalloc((size_t)h->n_ev / 2 + 1, sizeof *reads);
    uint32_t n_reads = 0, n_ok_adds = 0;
    for (uint32_t i = 0; i < h->n_ev && rc == SIM_OK; i++) {
        const hist_event_t *e = &h->ev[i];
        if (e->type != HIST_INVOKE) continue;
        if (f_is(h, e, "add", "broadcast") || f_is(h, e, "write", NULL)) {
            if (e->vkind != HIST_V_INT) {
                rc = fail(err, err_len, "event %" PRIu32 ": the set check needs an integer to add, found %s", i + 1,
                          hist_format_value(h, e, vb, sizeof vb));
                break;
            }
            int64_t v = hist_vals(h, e)[0];
            uint32_t was = imap_get(&adds, (uint64_t)v);
            if (was != NONE) {
                rc = fail(err, err_len, "value %" PRId64 " is added twice (events %" PRIu32 " and %" PRIu32
                          "); the set check needs each value added once", v, was + 1, i + 1);
                break;
            }
            imap_put(&adds, (uint64_t)v, i);
            n_ok_adds += outcome(h, other, i) == HIST_OK;
        } else if (f_is(h, e, "read", NULL) && outcome(h, other, i) == HIST_OK) {
            const hist_event_t *d = &h->ev[other[i]];
            if (d->vkind != HIST_V_LIST && d->vkind != HIST_V_NONE) {
                rc = fail(err, err_len, "event %" PRIu32 ": the set check needs a read to return a list, found %s",
                          other[i] + 1, hist_format_value(h, d, vb, sizeof vb));
                break;
            }
            sread_t *r = &reads[n_reads++];
            r->inv = i;
            r->proc = dense[i];
            r->n = d->n;
            r->vals = sim_xcalloc((size_t)d->n + 1, sizeof *r->vals);
            if (d->n) memcpy(r->vals, hist_vals(h, d), (size_t)d->n * sizeof *r->vals);
            qsort(r->vals, r->n, sizeof *r->vals, i64_cmp);
        }
    }

    if (rc == SIM_OK) {
        /* Values read: expected, from failed or info adds, or from nowhere. */
        imap_t seen;
        imap_init(&seen, adds.n);
        for (uint32_t k = 0; k < n_reads; k++)
            for (uint32_t j = 0; j < reads[k].n; j++) {
                int64_t v = reads[k].vals[j];
                if (imap_get(&seen, (uint64_t)v) != NONE) continue;
                imap_put(&seen, (uint64_t)v, 0);
                uint32_t a = imap_get(&adds, (uint64_t)v);
                if (a == NONE) out->n_unexpected++;
                else if (outcome(h, other, a) == HIST_FAIL) out->n_failed_seen++;
                else if (outcome(h, other, a) == HIST_INFO) out->n_info_seen++;
            }
        imap_free(&seen);

        /* Each process's last read: the reader's final view. A process whose last
         * operation ended unknown (info) was abandoned -- a client that timed out goes
         * on as a new process -- so its last read is not a final view, and is left
         * out; otherwise every timeout during a partition would look like a loss. */
        uint8_t *abandoned = sim_xcalloc((size_t)n_procs + 1, 1);
        for (uint32_t i = 0; i < h->n_ev; i++)
            if (h->ev[i].type == HIST_INVOKE) abandoned[dense[i]] = outcome(h, other, i) == HIST_INFO;
        uint32_t *last = sim_xcalloc((size_t)n_procs + 1, sizeof *last);
        for (uint32_t p = 0; p < n_procs; p++) last[p] = NONE;
        for (uint32_t k = 0; k < n_reads; k++) {
            if (abandoned[reads[k].proc]) continue;
            if (last[reads[k].proc] == NONE) out->n_readers++;
            last[reads[k].proc] = k;
        }
        free(abandoned);
        out->n_reads = n_reads;
        out->values = sim_xcalloc((size_t)n_ok_adds + 1, sizeof *out->values);
        /* Final reads: those that began after every add was over (completed, or for
         * adds never completed, invoked). When there are any, they are the replicas'
         * settled views and decide; otherwise the most recent read does. */
        uint32_t adds_over = 0;
        for (uint32_t i = 0; i < h->n_ev; i++) {
            const hist_event_t *e = &h->ev[i];
            if (e->type != HIST_INVOKE || !(f_is(h, e, "add", "broadcast") || f_is(h, e, "write", NULL))) continue;
            uint32_t end = other[i] != NONE ? other[i] : i;
            if (end > adds_over) adds_over = end;
        }
        uint32_t first_final = n_reads;
        if (final_from_ns >= 0) {
            for (uint32_t k = 0; k < n_reads; k++)
                if (reads[k].inv > adds_over && h->ev[reads[k].inv].time_ns >= final_from_ns) { first_final = k; break; }
        }
        out->n_final_reads = n_reads - first_final;
        double delay_sum = 0;
        for (uint32_t i = 0; i < h->n_ev; i++) {
            const hist_event_t *e = &h->ev[i];
            if (e->type != HIST_INVOKE || !(f_is(h, e, "add", "broadcast") || f_is(h, e, "write", NULL)) ||
                outcome(h, other, i) != HIST_OK) continue;
            uint32_t acked = other[i];
            chk_set_value_t *sv = &out->values[out->n_values++];
            sv->value = hist_vals(h, e)[0];
            sv->write_ev = i;
            sv->write_done_ns = h->ev[acked].time_ns;
            /* Readers whose final view (last read, begun after the acknowledgement)
             * lacks the value: reported, but the verdict follows the reads as a whole. */
            uint32_t readers = 0;
            for (uint32_t p = 0; p < n_procs; p++) {
                if (last[p] == NONE || reads[last[p]].inv < acked) continue;
                if (!sread_has(&reads[last[p]], sv->value)) {
                    if (!sv->processes_missing) sv->missing_process = h->ev[reads[last[p]].inv].process;
                    sv->processes_missing++;
                }
            }
            for (uint32_t k = 0; k < n_reads; k++) readers += reads[k].inv > acked;
            /* The last read (in invoke order) that lacks the value, and whether any has it. */
            uint32_t last_lacking = NONE;
            for (uint32_t k = n_reads; k-- > 0;) {
                if (sread_has(&reads[k], sv->value)) { sv->ever_seen = true; continue; }
                if (last_lacking == NONE) last_lacking = k;
                if (sv->ever_seen) break;
            }
            if (readers == 0) {
                sv->outcome = CHK_SET_NEVER_READ;
                out->n_never_read++;
            } else if (first_final < n_reads ? final_lacks(reads, first_final, n_reads, sv->value)
                                             : last_lacking == n_reads - 1) {
                /* A final read lacks it, or (without final reads) the most recent read
                 * does: absent from every read after its last appearance. */
                sv->outcome = CHK_SET_LOST;
                out->n_lost++;
            } else {
                /* The most recent read has it, so a read after last_lacking exists. */
                uint32_t from = last_lacking == NONE ? 0 : last_lacking + 1;
                sim_assert(from < n_reads);
                sv->outcome = CHK_SET_STABLE;
                sv->stable_ns = h->ev[reads[from].inv].time_ns;
                sv->delay_ns = sv->stable_ns > sv->write_done_ns ? sv->stable_ns - sv->write_done_ns : 0;
                if (sv->delay_ns > out->delay_ns_max) out->delay_ns_max = sv->delay_ns;
                delay_sum += (double)sv->delay_ns;
                out->n_stable++;
            }
        }
        out->delay_ns_mean = out->n_stable ? delay_sum / out->n_stable : 0;
        free(last);
    }
    for (uint32_t k = 0; k < n_reads; k++) free(reads[k].vals);
    free(reads);
    imap_free(&adds);
    free(dense);
    free(other);
    if (rc) chk_set_free(out);
    return rc;
}

void chk_set_free(chk_set_report_t *r)
{
    free(r->values);
    r->values = NULL;
}

/* ---- Counters. -------------------------------------------------------------------- */

typedef struct cadd { uint32_t at; __int128 d, neg, pos; } cadd_t;   /* at: an event index */

static int cadd_cmp(const void *a, const void *b)
{
    const cadd_t *x = a, *y = b;
    return (x->at > y->at) - (x->at < y->at);
}

/* Sums of the adds with at < ev (arrays sorted by at, with prefix sums from index 1). */
static uint32_t count_before(const cadd_t *a, uint32_t n, uint32_t ev)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a[mid].at < ev) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static int64_t clamp64(__int128 x)
{
    return x > INT64_MAX ? INT64_MAX : x < INT64_MIN ? INT64_MIN : (int64_t)x;
}

int chk_counter(const hist_t *h, chk_counter_report_t *out, char *err, size_t err_len)
{
    char vb[64];
    memset(out, 0, sizeof *out);
    int rc = one_key(h, "counter", err, err_len);
    if (rc) return rc;
    uint32_t *other = pair(h, err, err_len);
    if (!other) return SIM_EINPUT;

    /* done[]: acknowledged adds by completion; inv[]: adds that may count, by invoke. */
    cadd_t *done = sim_xcalloc((size_t)h->n_ev / 2 + 1, sizeof *done), *inv = sim_xcalloc((size_t)h->n_ev / 2 + 1, sizeof *inv);
    uint32_t n_done = 0, n_inv = 0, last_add_ev = 0;
    bool any_add = false;
    __int128 acked = 0, unknown_neg = 0, unknown_pos = 0;
    for (uint32_t i = 0; i < h->n_ev && rc == SIM_OK; i++) {
        const hist_event_t *e = &h->ev[i];
        if (e->type != HIST_INVOKE) continue;
        if (f_is(h, e, "add", NULL)) {
            if (e->vkind != HIST_V_INT) {
                rc = fail(err, err_len, "event %" PRIu32 ": the counter check needs an integer to add, found %s", i + 1,
                          hist_format_value(h, e, vb, sizeof vb));
                break;
            }
            __int128 d = hist_vals(h, e)[0];
            uint8_t t = outcome(h, other, i);
            any_add = true;
            if (i > last_add_ev) last_add_ev = i;
            if (other[i] != HIST_NONE && other[i] > last_add_ev) last_add_ev = other[i];
            if (t == HIST_FAIL) { out->n_adds_fail++; continue; }
            cadd_t c = { .d = d, .neg = d < 0 ? d : 0, .pos = d > 0 ? d : 0 };
            c.at = i;
            inv[n_inv++] = c;
            if (t == HIST_OK) {
                out->n_adds_ok++;
                acked += d;
                c.at = other[i];
                done[n_done++] = c;
            } else {
                out->n_adds_info++;
                if (d < 0) unknown_neg += d;
                else unknown_pos += d;
            }
        } else if (f_is(h, e, "read", NULL) && outcome(h, other, i) == HIST_OK && h->ev[other[i]].vkind != HIST_V_INT) {
            rc = fail(err, err_len, "event %" PRIu32 ": the counter check needs a read to return an integer, found %s",
                      other[i] + 1, hist_format_value(h, &h->ev[other[i]], vb, sizeof vb));
        }
    }
    if (rc == SIM_OK) {
        qsort(done, n_done, sizeof *done, cadd_cmp);
        qsort(inv, n_inv, sizeof *inv, cadd_cmp);
        /* Prefix sums in place: entry k holds the sums of entries 0..k. */
        for (uint32_t k = 1; k < n_done; k++) { done[k].d += done[k - 1].d; done[k].neg += done[k - 1].neg; done[k].pos += done[k - 1].pos; }
        for (uint32_t k = 1; k < n_inv; k++) { inv[k].neg += inv[k - 1].neg; inv[k].pos += inv[k - 1].pos; }
        out->acked_sum = clamp64(acked);
        out->final_lower = clamp64(acked + unknown_neg);
        out->final_upper = clamp64(acked + unknown_pos);
        for (uint32_t i = 0; i < h->n_ev; i++) {
            const hist_event_t *e = &h->ev[i];
            if (e->type != HIST_INVOKE || !f_is(h, e, "read", NULL) || outcome(h, other, i) != HIST_OK) continue;
            __int128 v = hist_vals(h, &h->ev[other[i]])[0];
            /* Definitely counted: acknowledged before the read began. Maybe counted:
             * invoked before it completed, and not definitely counted. */
            uint32_t nd = count_before(done, n_done, i), ni = count_before(inv, n_inv, other[i]);
            __int128 d = nd ? done[nd - 1].d : 0, dn = nd ? done[nd - 1].neg : 0, dp = nd ? done[nd - 1].pos : 0;
            __int128 in = ni ? inv[ni - 1].neg : 0, ip = ni ? inv[ni - 1].pos : 0;
            __int128 lower = d + (in - dn), upper = d + (ip - dp);
            out->n_reads++;
            if (v < lower || v > upper) {
                out->n_reads_outside++;
                if (out->n_examples < CHK_EXAMPLES_MAX)
                    out->examples[out->n_examples++] = (chk_counter_example_t){ i, clamp64(v), clamp64(lower), clamp64(upper) };
            }
            if (!any_add || i > last_add_ev) {
                out->n_final_reads++;
                if (v < acked + unknown_neg || v > acked + unknown_pos) out->n_final_outside++;
            }
        }
    }
    free(done);
    free(inv);
    free(other);
    return rc;
}

/* ---- Registers with unique values: what the session and stale checks share. ------- */

#define RF_NIL   (UINT32_MAX - 1)   /* the read saw the initial nil */
#define RF_NONE  UINT32_MAX         /* the read cannot be explained by any write */

typedef struct rwrite {
    uint32_t inv, done;    /* done: HIST_NONE unless it completed */
    uint32_t proc;         /* dense */
    int32_t key;
    uint8_t type;
    uint32_t seq;          /* session check: the writer's clock entry at the invoke */
    uint32_t vc;           /* session check: row in the vector clock table, or NONE */
} rwrite_t;

typedef struct rread {
    uint32_t inv, done, proc;
    int32_t key;
    uint32_t rf;           /* index of the write it saw, RF_NIL or RF_NONE */
} rread_t;

typedef struct regs {
    rwrite_t *w;
    uint32_t n_w;
    rread_t *r;
    uint32_t n_r;
    uint32_t n_procs, *dense;
    uint32_t *other;
    uint8_t *skip;         /* per key + 1 (index 0 is the unnamed key) */
    uint32_t n_keys, n_keys_skipped, n_unexplained;
    uint32_t *w_of_ev;     /* write index of an invoke event, or NONE */
} regs_t;

static uint64_t value_hash(int32_t key, uint8_t vkind, int64_t v)
{
    return sim_mix64(sim_mix64((uint64_t)(uint32_t)key * 4 + vkind) ^ (uint64_t)v);
}

static void regs_free(regs_t *g)
{
    free(g->w);
    free(g->r);
    free(g->dense);
    free(g->other);
    free(g->skip);
    free(g->w_of_ev);
}

/* Finds write and read operations, refuses values of the wrong kind, marks keys whose
 * written values repeat, and resolves each ok read to the write whose value it saw. */
static int regs_prepare(const hist_t *h, regs_t *g, const char *what, char *err, size_t err_len)
{
    char vb[64];
    memset(g, 0, sizeof *g);
    g->other = pair(h, err, err_len);
    if (!g->other) return SIM_EINPUT;
    g->dense = dense_processes(h, &g->n_procs);
    g->w = sim_xcalloc((size_t)h->n_ev / 2 + 1, sizeof *g->w);
    g->r = sim_xcalloc((size_t)h->n_ev / 2 + 1, sizeof *g->r);
    g->skip = sim_xcalloc((size_t)h->n_keys + 1, 1);
    g->w_of_ev = sim_xcalloc((size_t)h->n_ev + 1, sizeof *g->w_of_ev);
    uint8_t *used = sim_xcalloc((size_t)h->n_keys + 1, 1);
    imap_t vals;   /* value hash -> write index; collisions resolved by comparing below */
    imap_init(&vals, 64);
    int rc = SIM_OK;

    for (uint32_t i = 0; i < h->n_ev && rc == SIM_OK; i++) {
        const hist_event_t *e = &h->ev[i];
        g->w_of_ev[i] = NONE;
        if (e->type != HIST_INVOKE) continue;
        bool is_w = f_is(h, e, "write", "put"), is_r = f_is(h, e, "read", "get");
        if (!is_w && !is_r) continue;
        used[e->key + 1] = 1;
        uint8_t t = outcome(h, g->other, i);
        if (is_w) {
            if (e->vkind != HIST_V_INT && e->vkind != HIST_V_STR) {
                rc = fail(err, err_len, "event %" PRIu32 ": the %s check needs an integer or a string written, found %s",
                          i + 1, what, hist_format_value(h, e, vb, sizeof vb));
                break;
            }
            int64_t v = hist_vals(h, e)[0];
            uint64_t hv = value_hash(e->key, e->vkind, v);
            /* Probe past hash collisions of different (key, kind, value) triples. */
            uint32_t wi;
            for (;;) {
                wi = imap_get(&vals, hv);
                if (wi == NONE) break;
                const hist_event_t *x = &h->ev[g->w[wi].inv];
                if (x->key == e->key && x->vkind == e->vkind && hist_vals(h, x)[0] == v) break;
                hv++;
            }
            if (wi != NONE) { g->skip[e->key + 1] = 1; continue; }   /* a repeated value */
            rwrite_t *w = &g->w[g->n_w];
            *w = (rwrite_t){ .inv = i, .done = t == HIST_OK ? g->other[i] : HIST_NONE, .proc = g->dense[i],
                             .key = e->key, .type = t, .vc = NONE };
            g->w_of_ev[i] = g->n_w;
            imap_put(&vals, hv, g->n_w++);
        } else if (t == HIST_OK) {
            const hist_event_t *d = &h->ev[g->other[i]];
            if (d->vkind != HIST_V_INT && d->vkind != HIST_V_STR && d->vkind != HIST_V_NONE) {
                rc = fail(err, err_len, "event %" PRIu32 ": the %s check needs a read to return an integer, a string "
                          "or nil, found %s", g->other[i] + 1, what, hist_format_value(h, d, vb, sizeof vb));
                break;
            }
            g->r[g->n_r++] = (rread_t){ .inv = i, .done = g->other[i], .proc = g->dense[i], .key = e->key, .rf = RF_NONE };
        }
    }
    /* Resolve reads once every write is known (a read may return a value whose write
     * was invoked before the read completed but after it began). */
    for (uint32_t k = 0; k < g->n_r && rc == SIM_OK; k++) {
        rread_t *r = &g->r[k];
        const hist_event_t *d = &h->ev[r->done];
        if (g->skip[r->key + 1]) continue;
        if (d->vkind == HIST_V_NONE) { r->rf = RF_NIL; continue; }
        int64_t v = hist_vals(h, d)[0];
        uint64_t hv = value_hash(r->key, d->vkind, v);
        for (;;) {
            uint32_t wi = imap_get(&vals, hv);
            if (wi == NONE) break;
            const hist_event_t *x = &h->ev[g->w[wi].inv];
            if (x->key == r->key && x->vkind == d->vkind && hist_vals(h, x)[0] == v) {
                /* A failed write did not happen, and a write invoked after the read
                 * completed cannot have been seen by it. */
                if (g->w[wi].type != HIST_FAIL && g->w[wi].inv < r->done) r->rf = wi;
                break;
            }
            hv++;
        }
        if (r->rf == RF_NONE) g->n_unexplained++;
    }
    for (uint32_t k = 0; k <= h->n_keys; k++) {
        g->n_keys += used[k];
        g->n_keys_skipped += used[k] && g->skip[k];
    }
    free(used);
    imap_free(&vals);
    if (rc) regs_free(g);
    return rc;
}

/* ---- Session guarantees. ---------------------------------------------------------- */

/* What one process has seen of one key: the writes it read that are not older than
 * another it read (an antichain under happens-before), with the read that saw each,
 * and its own latest acknowledged write. */
typedef struct sess {
    uint32_t *seen, *seen_ev;
    uint32_t n_seen, cap_seen;
    uint32_t own;          /* write index, or NONE */
} sess_t;

/* Counts a violation of guarantee k and keeps it as an example while there is room. */
static void violation(chk_session_report_t *out, int k, uint32_t process, uint32_t ev, uint32_t ev_other)
{
    uint32_t n = out->violations[k]++;
    if (n < CHK_EXAMPLES_MAX) out->examples[k][n] = (chk_example_t){ process, ev, ev_other };
}

int chk_session(const hist_t *h, chk_session_report_t *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    regs_t g;
    int rc = regs_prepare(h, &g, "session", err, err_len);
    if (rc) return rc;
    out->n_keys = g.n_keys;
    out->n_keys_skipped = g.n_keys_skipped;
    out->n_reads_unexplained = g.n_unexplained;

    /* Vector clocks: one row per write that can be read from, one per process. */
    uint32_t P = g.n_procs ? g.n_procs : 1, rows = 0;
    for (uint32_t k = 0; k < g.n_w; k++)
        if (!g.skip[g.w[k].key + 1] && g.w[k].type != HIST_FAIL) g.w[k].vc = rows++;
    if ((uint64_t)rows * P > CHK_VC_ENTRIES_MAX || (uint64_t)P * P > CHK_VC_ENTRIES_MAX) {
        regs_free(&g);
        if (err && err_len)
            snprintf(err, err_len, "the session check needs vector clocks for %" PRIu32 " writes and %" PRIu32
                     " processes, more than CHK_VC_ENTRIES_MAX (%u) entries", rows, P, CHK_VC_ENTRIES_MAX);
        return SIM_ELIMIT;
    }
    uint32_t *vc = sim_xcalloc((size_t)rows * P + 1, sizeof *vc);
    uint32_t *clock = sim_xcalloc((size_t)P * P, sizeof *clock);
    uint32_t *r_of_done = sim_xcalloc((size_t)h->n_ev + 1, sizeof *r_of_done);
    for (uint32_t i = 0; i < h->n_ev; i++) r_of_done[i] = NONE;
    for (uint32_t k = 0; k < g.n_r; k++) r_of_done[g.r[k].done] = k;
    uint32_t *w_of_done = sim_xcalloc((size_t)h->n_ev + 1, sizeof *w_of_done);
    for (uint32_t i = 0; i < h->n_ev; i++) w_of_done[i] = NONE;
    for (uint32_t k = 0; k < g.n_w; k++)
        if (g.w[k].done != HIST_NONE) w_of_done[g.w[k].done] = k;

    imap_t sess_ix;   /* (process, key) -> index into sess */
    imap_init(&sess_ix, 64);
    sess_t *sess = sim_xcalloc((size_t)h->n_ev / 2 + 1, sizeof *sess);
    uint32_t n_sess = 0;

/* b is older than a: a's clock has seen b's invoke. */
#define OLDER(b, a) ((b) != (a) && vc[(size_t)g.w[a].vc * P + g.w[b].proc] >= g.w[b].seq)

    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        uint32_t p = g.dense[i];
        if (e->type == HIST_INVOKE) {
            bool tracked = f_is(h, e, "write", "put") || f_is(h, e, "read", "get");
            if (!tracked) continue;
            clock[(size_t)p * P + p]++;
            uint32_t wi = g.w_of_ev[i];
            if (wi != NONE && g.w[wi].vc != NONE) {
                g.w[wi].seq = clock[(size_t)p * P + p];
                memcpy(vc + (size_t)g.w[wi].vc * P, clock + (size_t)p * P, (size_t)P * sizeof *vc);
                out->n_writes++;
            }
            continue;
        }
        uint64_t sk = (uint64_t)p << 32 | (uint32_t)(e->key + 1);
        if (w_of_done[i] != NONE && e->type == HIST_OK && !g.skip[e->key + 1]) {
            uint32_t s = imap_get(&sess_ix, sk);
            if (s == NONE) imap_put(&sess_ix, sk, s = n_sess++);
            sess[s].own = w_of_done[i] + 1;   /* + 1: zeroed memory means none */
            continue;
        }
        uint32_t rk = r_of_done[i];
        if (rk == NONE || g.r[rk].rf == RF_NONE) continue;
        const rread_t *r = &g.r[rk];
        out->n_reads++;
        uint32_t s = imap_get(&sess_ix, sk);
        if (s == NONE) imap_put(&sess_ix, sk, s = n_sess++);
        sess_t *st = &sess[s];
        uint32_t own = st->own ? st->own - 1 : NONE;
        uint32_t proc = e->process;
        if (r->rf == RF_NIL) {
            /* The initial value is older than every write. */
            if (st->n_seen) violation(out, CHK_MONOTONIC_READS, proc, r->inv, g.w[st->seen[0]].inv);
            if (own != NONE) violation(out, CHK_READ_YOUR_WRITES, proc, r->inv, g.w[own].inv);
            continue;
        }
        uint32_t w = r->rf;
        /* Reads-from: the reader now knows everything the write knew. */
        for (uint32_t q = 0; q < P; q++) {
            uint32_t *c = &clock[(size_t)p * P + q], x = vc[(size_t)g.w[w].vc * P + q];
            if (x > *c) *c = x;
        }
        bool backwards = false, same_writer = false, other_writer = false;
        uint32_t newer = NONE;
        for (uint32_t k = 0; k < st->n_seen; k++) {
            uint32_t a = st->seen[k];
            if (!OLDER(w, a)) continue;
            backwards = true;
            if (newer == NONE) newer = a;
            if (g.w[a].proc == g.w[w].proc) same_writer = true;
            else other_writer = true;
        }
        static const int kinds[3] = { CHK_MONOTONIC_READS, CHK_MONOTONIC_WRITES, CHK_WRITES_FOLLOW_READS };
        bool hit[3] = { backwards, same_writer, other_writer };
        for (int k = 0; k < 3; k++)
            if (hit[k]) violation(out, kinds[k], proc, r->inv, g.w[newer].inv);
        if (own != NONE && OLDER(w, own)) violation(out, CHK_READ_YOUR_WRITES, proc, r->inv, g.w[own].inv);
        if (backwards) continue;   /* an older write adds nothing to what was seen */
        /* Keep the antichain: drop what w makes older, add w unless already there. */
        uint32_t m = 0;
        bool present = false;
        for (uint32_t k = 0; k < st->n_seen; k++) {
            uint32_t a = st->seen[k];
            if (a == w) present = true;
            if (OLDER(a, w)) continue;
            st->seen[m] = a;
            st->seen_ev[m++] = st->seen_ev[k];
        }
        st->n_seen = m;
        if (present) continue;
        if (st->n_seen == st->cap_seen) {
            st->cap_seen = st->cap_seen ? st->cap_seen * 2 : 4;
            st->seen = sim_xrealloc(st->seen, st->cap_seen * sizeof *st->seen);
            st->seen_ev = sim_xrealloc(st->seen_ev, st->cap_seen * sizeof *st->seen_ev);
        }
        st->seen[st->n_seen] = w;
        st->seen_ev[st->n_seen++] = r->inv;
    }
#undef OLDER
    for (uint32_t s = 0; s < n_sess; s++) {
        free(sess[s].seen);
        free(sess[s].seen_ev);
    }
    free(sess);
    imap_free(&sess_ix);
    free(vc);
    free(clock);
    free(r_of_done);
    free(w_of_done);
    regs_free(&g);
    return SIM_OK;
}

/* ---- Stale reads. ----------------------------------------------------------------- */

typedef struct wdone { int32_t key; uint32_t done, inv; } wdone_t;

static int wdone_cmp(const void *a, const void *b)
{
    const wdone_t *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->done > y->done) - (x->done < y->done);
}

int chk_stale_reads(const hist_t *h, chk_stale_report_t *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    regs_t g;
    int rc = regs_prepare(h, &g, "stale-read", err, err_len);
    if (rc) return rc;
    out->n_keys = g.n_keys;
    out->n_keys_skipped = g.n_keys_skipped;
    out->n_reads_unexplained = g.n_unexplained;

    /* Acknowledged writes by (key, completion), each carrying the latest invoke among
     * it and those before it of the same key, and which write that was. */
    wdone_t *wd = sim_xcalloc((size_t)g.n_w + 1, sizeof *wd);
    uint32_t n = 0;
    for (uint32_t k = 0; k < g.n_w; k++)
        if (g.w[k].done != HIST_NONE) wd[n++] = (wdone_t){ g.w[k].key, g.w[k].done, g.w[k].inv };
    qsort(wd, n, sizeof *wd, wdone_cmp);
    for (uint32_t k = 1; k < n; k++)
        if (wd[k].key == wd[k - 1].key && wd[k - 1].inv > wd[k].inv) wd[k].inv = wd[k - 1].inv;

    for (uint32_t k = 0; k < g.n_r; k++) {
        const rread_t *r = &g.r[k];
        if (g.skip[r->key + 1] || r->rf == RF_NONE) continue;
        out->n_reads++;
        /* The latest invoke among writes of this key acknowledged before r began. */
        uint32_t lo = 0, hi = n;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (wd[mid].key < r->key || (wd[mid].key == r->key && wd[mid].done < r->inv)) lo = mid + 1;
            else hi = mid;
        }
        if (lo == 0 || wd[lo - 1].key != r->key) continue;   /* nothing acknowledged yet */
        uint32_t newest_inv = wd[lo - 1].inv;
        bool stale = r->rf == RF_NIL || (g.w[r->rf].done != HIST_NONE && g.w[r->rf].done < newest_inv);
        if (!stale) continue;
        out->n_stale++;
        if (out->n_examples < CHK_EXAMPLES_MAX)
            out->examples[out->n_examples++] = (chk_example_t){ h->ev[r->inv].process, r->inv, newest_inv };
    }
    free(wd);
    regs_free(&g);
    return SIM_OK;
}
