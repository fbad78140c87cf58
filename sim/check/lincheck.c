/* lincheck.c -- linearizability by Wing and Gong's search with Lowe's just-in-time
 * linearization and memoization, one key at a time.
 *
 * The search (Wing and Gong, "Testing and verifying concurrent objects", JPDC 1993;
 * improved by Lowe, "Testing for linearizability", Concurrency and Computation 2017,
 * section 4) walks a list of the key's events in real-time order:
 *
 *      head -> call A -> call B -> ret A -> call C -> ret B -> ret C -> tail
 *
 * A call may be linearized ("lifted": its call and return are unlinked) when the model
 * accepts it in the current state; the scan then restarts at the head. Reaching a
 * return means that operation's deadline has come without it being linearized: a dead
 * end, so the search backtracks by popping the last lifted call and trying the next
 * one. Linearizing only when forced by a return ("just in time") keeps the candidates
 * to the operations that are actually concurrent. Lowe's memo cache remembers every
 * configuration reached -- (set of linearized operations, model state) -- since the
 * future of the search depends on nothing else; a configuration met again is skipped.
 * With the cache the search is polynomial for histories of bounded concurrency.
 *
 * Operations that completed with info have no return in the list: they never force
 * anything and may be linearized at any point after their call, or not at all. The
 * search succeeds when every ok operation is linearized.
 *
 * One pruning rule of our own, checked against a brute-force search in the tests: an
 * operation that never changes the state (a read), placed where the model accepts it,
 * could be moved to the front of any successful continuation, so when the search
 * backtracks over it, the alternatives at that level are skipped too.
 *
 * Representation. The set of linearized operations is a bitset over the key's
 * operations in invoke order. Linearization follows real time, so the set is nearly
 * always "everything before some index, plus a few after it"; the cache stores it in
 * that form -- the first unset index and the words from there to the highest set bit
 * -- so an entry costs a few words however long the history is. Its hash is a
 * Zobrist hash (XOR of one random word per operation), updated as bits change.
 * Model states are single integers: the register's state is an index into the key's
 * distinct values, the kv model's an index into its distinct strings (appends are
 * cached transitions), the counter's its value.
 *
 * Explanation. At every dead end the search notes its depth. The deepest dead end has
 * a useful property: no candidate operation there can be applied at all (if one could,
 * its configuration would have led to a deeper dead end or to success), so the prefix
 * of linearized operations, the state after it, and the operation whose return was
 * reached make a complete argument that no linearization exists.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check/lincheck.h"

const char *const lin_verdict_names[] = { "ok", "violated", "unknown", NULL };
const char *const lin_model_names[] = { "register", "cas-register", "kv", "counter", NULL };

_Static_assert(LIN_NEVER == HIST_NONE, "an operation never completed has no completion event");

enum { K_READ, K_WRITE, K_CAS, K_APPEND, K_ADD, K_NONE };

/* The function names each model accepts. */
static const struct { lin_model_t model; const char *f; int kind; } model_fs[] = {
    { LIN_REGISTER, "read", K_READ },      { LIN_REGISTER, "write", K_WRITE },
    { LIN_CAS_REGISTER, "read", K_READ },  { LIN_CAS_REGISTER, "write", K_WRITE },
    { LIN_CAS_REGISTER, "cas", K_CAS },
    { LIN_KV, "get", K_READ },             { LIN_KV, "read", K_READ },
    { LIN_KV, "put", K_WRITE },            { LIN_KV, "write", K_WRITE },
    { LIN_KV, "append", K_APPEND },
    { LIN_COUNTER, "add", K_ADD },         { LIN_COUNTER, "read", K_READ },
};
static const char *const model_fs_text[] = {
    "read, write", "read, write, cas", "get, put, append (or read, write)", "add, read",
};

int lin_model_parse(const char *name, lin_model_t *out)
{
    for (int i = 0; lin_model_names[i]; i++)
        if (strcmp(name, lin_model_names[i]) == 0) { *out = (lin_model_t)i; return SIM_OK; }
    return SIM_ENOTFOUND;
}

/* Levenshtein distance, for short names only (longer ones are cut at 63 bytes). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la > 63) la = 63;
    if (lb > 63) lb = 63;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *lin_model_nearest(const char *name)
{
    const char *best = lin_model_names[0];
    size_t best_d = SIZE_MAX;
    for (int i = 0; lin_model_names[i]; i++) {
        size_t d = edit_distance(name, lin_model_names[i]);
        if (d < best_d) { best_d = d; best = lin_model_names[i]; }
    }
    return best;
}

/* ---- Operations. ------------------------------------------------------------------ */

typedef struct op {
    uint32_t inv, done;   /* event indexes; done = LIN_NEVER when never completed */
    uint32_t ret;         /* the deadline: done for ok operations, LIN_NEVER for info */
    int32_t key;
    uint8_t kind, type;
    int64_t a, b;         /* arguments, encoded per key (see encode_key) */
} op_t;

enum { STEP_NO, STEP_OK, STEP_FULL };

/* ---- Per-key tables. -------------------------------------------------------------- */

/* Interned strings of the kv model: a key's states, its put values and appended pieces.
 * Appends are cached as transitions (state, piece) -> state so that a step costs one
 * hash lookup rather than a concatenation. */
typedef struct kvs {
    char *chars;
    uint64_t n_chars, cap_chars;
    uint64_t *off;
    uint32_t *len;
    uint32_t n, cap;
    uint32_t *slot;        /* string id + 1, or 0 */
    uint32_t cap_slot;
    uint64_t *tkey;        /* transitions: (state << 32 | piece) + 1, or 0 */
    uint32_t *tval;
    uint32_t n_t, cap_t;
} kvs_t;

/* The memo cache: entries [hash, state, lo << 32 | words, words...] in one arena. */
typedef struct memo {
    uint64_t *arena;
    uint64_t n_words, cap_words;
    uint32_t *slot;        /* arena offset + 1 of an entry, or 0 */
    uint32_t cap, n;
} memo_t;

/* The set of linearized operations: bits, the first unset index, the highest set one. */
typedef struct bits {
    uint64_t *w;
    uint32_t n;            /* operations */
    uint32_t lo;           /* every bit below lo is set; bit lo is not (or lo == n) */
    int64_t hi;            /* highest set bit, or -1 */
    uint64_t hash;
    const uint64_t *z;     /* Zobrist words, one per operation */
} bits_t;

typedef struct lin_ctx {
    const hist_t *h;
    lin_model_t model;
    lin_result_t *res;
    uint64_t mem_max, mem_used;
    struct timespec start;
    double time_s_max;
    uint64_t ticks;
    uint64_t steps_max;    /* 0: none */
    bool out_of_time, out_of_steps, out_of_memory, out_of_budget, explained;

    op_t *ops;
    uint32_t n_ops;
    /* Register values of the key being checked: id 0 is nil, ids from 1 index vals. */
    int64_t *vals;
    uint32_t n_vals;
    uint64_t *vslot;       /* open addressing: index into vals + 1 in the low 32 bits */
    uint32_t cap_vslot;
    kvs_t kv;
    memo_t memo;
} lin_ctx_t;

static double elapsed_s(const lin_ctx_t *c)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - c->start.tv_sec) + 1e-9 * (double)(now.tv_nsec - c->start.tv_nsec);
}

/* Accounts for `more` bytes of search memory; false when that would pass the bound. */
static bool mem_take(lin_ctx_t *c, uint64_t more)
{
    if (c->mem_used + more > c->mem_max) { c->out_of_memory = true; return false; }
    c->mem_used += more;
    return true;
}

static uint64_t bytes_hash(const char *s, size_t n)
{
    uint64_t x = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) x = (x ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    return sim_mix64(x ^ n);
}

/* Interns the n bytes at chars + at (already in the arena, at its end) and returns the
 * id; when the string was known, the bytes are given back. -1 when memory is out. */
static int64_t kvs_intern_tail(lin_ctx_t *c, uint64_t at, uint32_t n)
{
    kvs_t *k = &c->kv;
    if ((uint64_t)(k->n + 1) * 2 > k->cap_slot) {
        uint32_t cap = k->cap_slot ? k->cap_slot * 2 : 256;
        if (!mem_take(c, (uint64_t)cap * sizeof *k->slot)) return -1;
        c->mem_used -= (uint64_t)k->cap_slot * sizeof *k->slot;
        free(k->slot);
        k->slot = sim_xcalloc(cap, sizeof *k->slot);
        k->cap_slot = cap;
        for (uint32_t id = 0; id < k->n; id++) {
            uint32_t i = (uint32_t)bytes_hash(k->chars + k->off[id], k->len[id]) & (cap - 1);
            while (k->slot[i]) i = (i + 1) & (cap - 1);
            k->slot[i] = id + 1;
        }
    }
    uint32_t mask = k->cap_slot - 1;
    uint32_t i = (uint32_t)bytes_hash(k->chars + at, n) & mask;
    for (; k->slot[i]; i = (i + 1) & mask) {
        uint32_t id = k->slot[i] - 1;
        if (k->len[id] == n && memcmp(k->chars + k->off[id], k->chars + at, n) == 0) {
            k->n_chars = at;
            return id;
        }
    }
    if (k->n == k->cap) {
        uint32_t cap = k->cap ? k->cap * 2 : 256;
        if (!mem_take(c, (uint64_t)(cap - k->cap) * (sizeof *k->off + sizeof *k->len))) return -1;
        k->off = sim_xrealloc(k->off, (size_t)cap * sizeof *k->off);
        k->len = sim_xrealloc(k->len, (size_t)cap * sizeof *k->len);
        k->cap = cap;
    }
    k->off[k->n] = at;
    k->len[k->n] = n;
    k->slot[i] = k->n + 1;
    return k->n++;
}

/* Makes room for n more bytes at the end of the arena. */
static bool kvs_reserve(lin_ctx_t *c, uint64_t n)
{
    kvs_t *k = &c->kv;
    if (k->n_chars + n <= k->cap_chars && k->chars) return true;
    uint64_t cap = k->cap_chars ? k->cap_chars : 4096;
    while (cap < k->n_chars + n) cap *= 2;
    if (!mem_take(c, cap - k->cap_chars)) return false;
    k->chars = sim_xrealloc(k->chars, cap);
    k->cap_chars = cap;
    return true;
}

static int64_t kvs_intern(lin_ctx_t *c, const char *s, size_t n)
{
    if (n > UINT32_MAX || !kvs_reserve(c, n)) return -1;
    memcpy(c->kv.chars + c->kv.n_chars, s, n);
    uint64_t at = c->kv.n_chars;
    c->kv.n_chars += n;
    return kvs_intern_tail(c, at, (uint32_t)n);
}

/* The state after appending piece to state, through the transition cache. */
static int kvs_append(lin_ctx_t *c, int64_t state, int64_t piece, int64_t *out)
{
    kvs_t *k = &c->kv;
    uint64_t key = ((uint64_t)state << 32 | (uint64_t)piece) + 1;
    if ((uint64_t)(k->n_t + 1) * 2 > k->cap_t) {
        uint32_t cap = k->cap_t ? k->cap_t * 2 : 256;
        if (!mem_take(c, (uint64_t)cap * (sizeof *k->tkey + sizeof *k->tval))) return STEP_FULL;
        c->mem_used -= (uint64_t)k->cap_t * (sizeof *k->tkey + sizeof *k->tval);
        uint64_t *tk = sim_xcalloc(cap, sizeof *tk);
        uint32_t *tv = sim_xcalloc(cap, sizeof *tv);
        for (uint32_t j = 0; j < k->cap_t; j++) {
            if (!k->tkey[j]) continue;
            uint32_t i = (uint32_t)sim_mix64(k->tkey[j]) & (cap - 1);
            while (tk[i]) i = (i + 1) & (cap - 1);
            tk[i] = k->tkey[j];
            tv[i] = k->tval[j];
        }
        free(k->tkey);
        free(k->tval);
        k->tkey = tk;
        k->tval = tv;
        k->cap_t = cap;
    }
    uint32_t mask = k->cap_t - 1, i = (uint32_t)sim_mix64(key) & mask;
    for (; k->tkey[i]; i = (i + 1) & mask)
        if (k->tkey[i] == key) { *out = k->tval[i]; return STEP_OK; }
    uint64_t ls = k->len[state], lp = k->len[piece];
    if (ls + lp > UINT32_MAX || !kvs_reserve(c, ls + lp)) return STEP_FULL;
    uint64_t at = k->n_chars;
    memcpy(k->chars + at, k->chars + k->off[state], ls);
    memcpy(k->chars + at + ls, k->chars + k->off[piece], lp);
    k->n_chars += ls + lp;
    int64_t id = kvs_intern_tail(c, at, (uint32_t)(ls + lp));
    if (id < 0) return STEP_FULL;
    k->tkey[i] = key;
    k->tval[i] = (uint32_t)id;
    k->n_t++;
    *out = id;
    return STEP_OK;
}

static void kvs_reset(lin_ctx_t *c)
{
    kvs_t *k = &c->kv;
    free(k->chars);
    free(k->off);
    free(k->len);
    free(k->slot);
    free(k->tkey);
    free(k->tval);
    memset(k, 0, sizeof *k);
}

/* Register values: int64 -> id (1-based; 0 is nil). */
static uint32_t val_id(lin_ctx_t *c, int64_t v)
{
    uint32_t mask = c->cap_vslot - 1;
    uint32_t i = (uint32_t)sim_mix64((uint64_t)v) & mask;
    for (; c->vslot[i]; i = (i + 1) & mask)
        if (c->vals[(uint32_t)c->vslot[i] - 1] == v) return (uint32_t)c->vslot[i];
    sim_assert((uint64_t)(c->n_vals + 1) * 2 <= c->cap_vslot);
    c->vals[c->n_vals++] = v;
    c->vslot[i] = c->n_vals;
    return c->n_vals;
}

/* ---- The memo cache. -------------------------------------------------------------- */

static void bits_set(bits_t *b, uint32_t i)
{
    b->w[i >> 6] |= 1ULL << (i & 63);
    b->hash ^= b->z[i];
    if ((int64_t)i > b->hi) b->hi = i;
    while (b->lo < b->n) {
        uint64_t word = b->w[b->lo >> 6] >> (b->lo & 63);
        if (word & 1) {
            uint64_t ones = ~word ? (uint64_t)__builtin_ctzll(~word) : 64 - (b->lo & 63);
            b->lo += (uint32_t)ones;
        } else {
            break;
        }
    }
    if (b->lo > b->n) b->lo = b->n;
}

static void bits_clear(bits_t *b, uint32_t i)
{
    b->w[i >> 6] &= ~(1ULL << (i & 63));
    b->hash ^= b->z[i];
    if (i < b->lo) b->lo = i;
    if ((int64_t)i == b->hi) {
        int64_t wi = i >> 6;
        uint64_t word = b->w[wi] & ((1ULL << (i & 63)) - 1);
        while (!word && wi > 0) word = b->w[--wi];
        b->hi = word ? wi * 64 + 63 - __builtin_clzll(word) : -1;
    }
}

/* The stored form of the set: from the word holding lo to the word holding hi. */
static void bits_span(const bits_t *b, uint32_t *first, uint32_t *n_words)
{
    *first = b->lo >> 6;
    *n_words = b->hi >= (int64_t)b->lo ? (uint32_t)(b->hi >> 6) - *first + 1 : 0;
}

/* Inserts the configuration (b, state). Returns 1 when new, 0 when known, -1 when the
 * memory bound stops it. */
static int memo_insert(lin_ctx_t *c, const bits_t *b, int64_t state)
{
    memo_t *m = &c->memo;
    uint32_t first, nw;
    bits_span(b, &first, &nw);
    uint64_t h = b->hash ^ sim_mix64((uint64_t)state + 0x632be59bd9b4e019ULL);
    uint64_t head = (uint64_t)b->lo << 32 | nw;
    if ((uint64_t)(m->n + 1) * 2 > m->cap) {
        uint32_t cap = m->cap ? m->cap * 2 : 1024;
        if (cap == 0 || !mem_take(c, (uint64_t)cap * sizeof *m->slot)) return -1;
        c->mem_used -= (uint64_t)m->cap * sizeof *m->slot;
        uint32_t *slot = sim_xcalloc(cap, sizeof *slot);
        for (uint32_t j = 0; j < m->cap; j++) {
            if (!m->slot[j]) continue;
            uint32_t i = (uint32_t)m->arena[m->slot[j] - 1] & (cap - 1);
            while (slot[i]) i = (i + 1) & (cap - 1);
            slot[i] = m->slot[j];
        }
        free(m->slot);
        m->slot = slot;
        m->cap = cap;
    }
    uint32_t mask = m->cap - 1, i = (uint32_t)h & mask;
    for (; m->slot[i]; i = (i + 1) & mask) {
        const uint64_t *e = m->arena + m->slot[i] - 1;
        if (e[0] == h && e[1] == (uint64_t)state && e[2] == head &&
            memcmp(e + 3, b->w + first, (size_t)nw * sizeof *e) == 0)
            return 0;
    }
    uint64_t need = m->n_words + 3 + nw;
    if (need >= UINT32_MAX) { c->out_of_memory = true; return -1; }
    if (need > m->cap_words) {
        uint64_t cap = m->cap_words ? m->cap_words * 2 : 4096;
        while (cap < need) cap *= 2;
        /* Near the bound, grow to what is left rather than failing a doubling. */
        uint64_t left_words = (c->mem_max - c->mem_used) / sizeof *m->arena + m->cap_words;
        if (cap > left_words && left_words >= need) cap = left_words;
        if (!mem_take(c, (cap - m->cap_words) * sizeof *m->arena)) return -1;
        m->arena = sim_xrealloc(m->arena, (size_t)cap * sizeof *m->arena);
        m->cap_words = cap;
    }
    uint64_t *e = m->arena + m->n_words;
    e[0] = h;
    e[1] = (uint64_t)state;
    e[2] = head;
    memcpy(e + 3, b->w + first, (size_t)nw * sizeof *e);
    m->slot[i] = (uint32_t)m->n_words + 1;
    m->n_words = need;
    m->n++;
    c->res->states++;
    return 1;
}

static void memo_reset(lin_ctx_t *c)
{
    free(c->memo.arena);
    free(c->memo.slot);
    memset(&c->memo, 0, sizeof c->memo);
}

/* ---- The model. ------------------------------------------------------------------- */

static int step(lin_ctx_t *c, int64_t state, const op_t *o, int64_t *next)
{
    switch (o->kind) {
    case K_READ:
        *next = state;
        return state == o->a ? STEP_OK : STEP_NO;
    case K_WRITE:
        *next = o->a;
        return STEP_OK;
    case K_CAS:
        *next = o->b;
        return state == o->a ? STEP_OK : STEP_NO;
    case K_APPEND:
        return kvs_append(c, state, o->a, next);
    case K_ADD:
        *next = (int64_t)((uint64_t)state + (uint64_t)o->a);   /* wraps rather than overflowing */
        return STEP_OK;
    }
    sim_assert(!"unknown operation kind");
    return STEP_NO;
}

/* True for operations that leave every state as it is whenever the model accepts them. */
static bool never_changes(const op_t *o)
{
    return o->kind == K_READ || (o->kind == K_CAS && o->a == o->b) || (o->kind == K_ADD && o->a == 0);
}

static void format_state(const lin_ctx_t *c, int64_t state, char *buf, size_t len)
{
    switch (c->model) {
    case LIN_REGISTER:
    case LIN_CAS_REGISTER:
        if (state == 0) snprintf(buf, len, "nil");
        else snprintf(buf, len, "%" PRId64, c->vals[state - 1]);
        break;
    case LIN_KV: {
        uint32_t n = c->kv.len[state];
        const char *s = c->kv.chars + c->kv.off[state];
        sim_assert(len > 8);
        if (n + 3 > len) snprintf(buf, len, "\"...%.*s\"", (int)(len - 6), s + n - (len - 6));  /* the end matters most */
        else snprintf(buf, len, "\"%.*s\"", (int)n, s);
        break;
    }
    default:
        snprintf(buf, len, "%" PRId64, state);
    }
}

/* ---- Reading the history into operations. ----------------------------------------- */

static int op_error(lin_ctx_t *c, uint32_t ev, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Fills res->err with "process 3's write invoked at t=120 (event 5): " and the rest. */
static int op_error(lin_ctx_t *c, uint32_t ev, const char *fmt, ...)
{
    const hist_event_t *e = &c->h->ev[ev];
    int n = snprintf(c->res->err, sizeof c->res->err, "process %" PRIu32 "'s %s invoked at t=%" PRId64
                     " (event %" PRIu32 "): ", e->process, hist_f_name(c->h, e), e->time_ns, ev + 1);
    if (n > 0 && (size_t)n < sizeof c->res->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->res->err + n, sizeof c->res->err - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return SIM_EINPUT;
}

/* Pairs invokes with completions, drops what cannot matter, checks that every value
 * has the kind its model needs. Leaves c->ops in invoke order. */
static int collect(lin_ctx_t *c)
{
    const hist_t *h = c->h;
    int8_t *kind_of = sim_xcalloc(h->n_f ? h->n_f : 1, 1);
    for (uint32_t f = 0; f < h->n_f; f++) {
        kind_of[f] = K_NONE;
        for (size_t k = 0; k < SIM_ARRAY_LEN(model_fs); k++)
            if (model_fs[k].model == c->model && strcmp(model_fs[k].f, h->fnames[f]) == 0) kind_of[f] = (int8_t)model_fs[k].kind;
    }
    uint32_t *other = sim_xcalloc((size_t)h->n_ev + 1, sizeof *other);
    uint32_t n_inv = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) n_inv += h->ev[i].type == HIST_INVOKE;
    op_t *all = sim_xcalloc((size_t)n_inv + 1, sizeof *all);
    uint32_t n_all = 0;
    char vb[64];
    int rc = hist_pair(h, other, c->res->err, sizeof c->res->err);

    for (uint32_t i = 0; i < h->n_ev && rc == SIM_OK; i++) {
        const hist_event_t *e = &h->ev[i];
        if (e->type != HIST_INVOKE) continue;
        if (kind_of[e->f] == K_NONE) {
            rc = op_error(c, i, "the %s model has no function \"%s\" (it has %s)", lin_model_names[c->model],
                          hist_f_name(h, e), model_fs_text[c->model]);
            break;
        }
        uint32_t done = other[i];
        uint8_t type = done == HIST_NONE ? HIST_INFO : h->ev[done].type;
        all[n_all++] = (op_t){ .inv = i, .done = done, .ret = type == HIST_OK ? done : LIN_NEVER,
                               .key = e->key, .kind = (uint8_t)kind_of[e->f], .type = type };
    }

    /* Values: a write's from its invoke, a read's from its ok completion. */
    uint32_t n = 0;
    for (uint32_t k = 0; k < n_all && rc == SIM_OK; k++) {
        op_t *o = &all[k];
        if (o->type == HIST_FAIL || (o->kind == K_READ && o->type != HIST_OK)) {
            c->res->n_dropped++;
            continue;
        }
        const hist_event_t *e = o->kind == K_READ ? &h->ev[o->done] : &h->ev[o->inv];
        uint8_t vk = e->vkind;
        hist_format_value(h, e, vb, sizeof vb);
        switch (o->kind) {
        case K_READ:
            if (c->model == LIN_COUNTER && vk != HIST_V_INT)
                rc = op_error(c, o->inv, "the %s model needs an integer result, found %s", lin_model_names[c->model], vb);
            else if (c->model != LIN_KV && c->model != LIN_COUNTER && vk != HIST_V_INT && vk != HIST_V_NONE)
                rc = op_error(c, o->inv, "the %s model needs an integer or nil result, found %s", lin_model_names[c->model], vb);
            else if (c->model == LIN_KV && vk == HIST_V_LIST)
                rc = op_error(c, o->inv, "the %s model needs a string result, found %s", lin_model_names[c->model], vb);
            break;
        case K_WRITE:
        case K_APPEND:
            if (c->model == LIN_KV && vk != HIST_V_STR && vk != HIST_V_INT)
                rc = op_error(c, o->inv, "the %s model needs a string value, found %s", lin_model_names[c->model], vb);
            else if (c->model != LIN_KV && vk != HIST_V_INT)
                rc = op_error(c, o->inv, "the %s model needs an integer value, found %s", lin_model_names[c->model], vb);
            break;
        case K_CAS:
            if (vk != HIST_V_LIST || e->n != 2)
                rc = op_error(c, o->inv, "the %s model needs [from, to], found %s", lin_model_names[c->model], vb);
            break;
        case K_ADD:
            if (vk != HIST_V_INT) rc = op_error(c, o->inv, "the %s model needs an integer to add, found %s", lin_model_names[c->model], vb);
            break;
        }
        all[n++] = *o;
    }
    free(kind_of);
    free(other);
    c->ops = all;
    c->n_ops = n;
    return rc;
}

/* Encodes a key's operations' values as model states (see the header comment). */
static int encode_key(lin_ctx_t *c, op_t *ops, uint32_t n, int64_t *initial)
{
    const hist_t *h = c->h;
    *initial = 0;
    if (c->model == LIN_REGISTER || c->model == LIN_CAS_REGISTER) {
        c->n_vals = 0;
        uint32_t cap = 64;
        while (cap < 4 * (uint64_t)n + 4) cap *= 2;
        c->vals = sim_xrealloc(c->vals, (size_t)(2 * n + 2) * sizeof *c->vals);
        free(c->vslot);
        c->vslot = sim_xcalloc(cap, sizeof *c->vslot);
        c->cap_vslot = cap;
    }
    if (c->model == LIN_KV) {
        kvs_reset(c);
        if (kvs_intern(c, "", 0) != 0) return -1;
    }
    for (uint32_t k = 0; k < n; k++) {
        op_t *o = &ops[k];
        const hist_event_t *e = o->kind == K_READ ? &h->ev[o->done] : &h->ev[o->inv];
        const int64_t *v = hist_vals(h, e);
        switch (c->model) {
        case LIN_REGISTER:
        case LIN_CAS_REGISTER:
            if (o->kind == K_CAS) {
                o->a = val_id(c, v[0]);
                o->b = val_id(c, v[1]);
            } else {
                o->a = e->vkind == HIST_V_NONE ? 0 : val_id(c, v[0]);
            }
            break;
        case LIN_KV: {
            char num[32];
            const char *s = "";
            size_t len = 0;
            if (e->vkind == HIST_V_STR) { s = h->strs[v[0]]; len = strlen(s); }
            else if (e->vkind == HIST_V_INT) { len = (size_t)snprintf(num, sizeof num, "%" PRId64, v[0]); s = num; }
            o->a = kvs_intern(c, s, len);
            if (o->a < 0) return -1;
            break;
        }
        default:
            o->a = v[0];
        }
    }
    return 0;
}

/* ---- The search for one key. ------------------------------------------------------ */

typedef struct ent { uint32_t ev, op; bool call; } ent_t;

static int ent_cmp(const void *a, const void *b)
{
    const ent_t *x = a, *y = b;
    return (x->ev > y->ev) - (x->ev < y->ev);
}

static lin_opref_t ref_of(const op_t *o) { return (lin_opref_t){ o->inv, o->done }; }

/* Notes a dead end when it is the deepest so far: the prefix, the culprit, the other
 * candidates (calls before the return that was reached) and the state. */
static void note_dead_end(lin_ctx_t *c, const op_t *ops, const uint32_t *stack_ent, uint32_t sp,
                          const ent_t *ents, const uint32_t *nxt, uint32_t ret_ent, int64_t state,
                          int64_t *best_sp)
{
    if ((int64_t)sp <= *best_sp) return;
    *best_sp = sp;
    lin_result_t *r = c->res;
    r->prefix = sim_xrealloc(r->prefix, ((size_t)sp + 1) * sizeof *r->prefix);
    for (uint32_t k = 0; k < sp; k++) r->prefix[k] = ref_of(&ops[ents[stack_ent[k] - 1].op]);
    r->n_prefix = sp;
    r->culprit = ref_of(&ops[ents[ret_ent - 1].op]);
    r->n_pending = 0;
    for (uint32_t e = nxt[0]; e != ret_ent; e = nxt[e]) {
        if (!ents[e - 1].call || ents[e - 1].op == ents[ret_ent - 1].op) continue;
        r->pending = sim_xrealloc(r->pending, ((size_t)r->n_pending + 1) * sizeof *r->pending);
        r->pending[r->n_pending++] = ref_of(&ops[ents[e - 1].op]);
    }
    format_state(c, state, r->state, sizeof r->state);
}

/* Searches one key's operations for a linearization, for at most step_budget steps of
 * the scan. LIN_UNKNOWN means a bound stopped it: c->out_of_budget, c->out_of_time or
 * c->out_of_memory says which. */
static lin_verdict_t search_key(lin_ctx_t *c, op_t *ops, uint32_t n, uint64_t step_budget)
{
    int64_t state;
    if (encode_key(c, ops, n, &state) < 0) return LIN_UNKNOWN;

    uint32_t n_ok = 0;
    for (uint32_t k = 0; k < n; k++) n_ok += ops[k].ret != LIN_NEVER;
    uint32_t n_ent = n + n_ok, tail = n_ent + 1;
    ent_t *ents = sim_xcalloc(n_ent, sizeof *ents);
    uint32_t m = 0;
    for (uint32_t k = 0; k < n; k++) {
        ents[m++] = (ent_t){ ops[k].inv, k, true };
        if (ops[k].ret != LIN_NEVER) ents[m++] = (ent_t){ ops[k].ret, k, false };
    }
    qsort(ents, n_ent, sizeof *ents, ent_cmp);

    /* Nodes 1..n_ent are entries; 0 is the head and tail the end. */
    uint32_t *nxt = sim_xcalloc(n_ent + 2, sizeof *nxt), *prv = sim_xcalloc(n_ent + 2, sizeof *prv);
    uint32_t *ret_node = sim_xcalloc(n, sizeof *ret_node);
    for (uint32_t e = 0; e <= n_ent; e++) { nxt[e] = e + 1; prv[e + 1] = e; }
    for (uint32_t e = 1; e <= n_ent; e++)
        if (!ents[e - 1].call) ret_node[ents[e - 1].op] = e;

    uint64_t *z = sim_xcalloc(n, sizeof *z);
    for (uint32_t k = 0; k < n; k++) z[k] = sim_mix64(0x9e3779b97f4a7c15ULL * (k + 1));
    bits_t b = { .w = sim_xcalloc(n / 64 + 1, sizeof(uint64_t)), .n = n, .lo = 0, .hi = -1, .z = z };
    uint32_t *stack_ent = sim_xcalloc(n + 1, sizeof *stack_ent);
    int64_t *stack_state = sim_xcalloc(n + 1, sizeof *stack_state);
    bool *stack_forced = sim_xcalloc(n + 1, sizeof *stack_forced);
    uint32_t sp = 0, remaining = n_ok;
    int64_t best_sp = -1;
    uint64_t steps = 0;
    lin_verdict_t verdict = LIN_OK;

    uint32_t e = nxt[0];
    while (remaining > 0) {
        if (++steps > step_budget) {
            c->out_of_budget = true;
            verdict = LIN_UNKNOWN;
            break;
        }
        if (c->steps_max && c->res->steps >= c->steps_max) {
            c->out_of_steps = true;
            verdict = LIN_UNKNOWN;
            break;
        }
        c->res->steps++;
        if ((++c->ticks & 1023) == 0 && c->time_s_max > 0 && elapsed_s(c) > c->time_s_max) {
            c->out_of_time = true;
            verdict = LIN_UNKNOWN;
            break;
        }
        sim_assert(e != tail);   /* an ok operation not yet linearized has its return ahead */
        const ent_t *en = &ents[e - 1];
        bool backtrack = false;
        if (en->call) {
            int64_t next;
            int st = step(c, state, &ops[en->op], &next);
            if (st == STEP_FULL) { verdict = LIN_UNKNOWN; break; }
            if (st == STEP_OK) {
                bits_set(&b, en->op);
                int ins = memo_insert(c, &b, next);
                if (ins < 0) { verdict = LIN_UNKNOWN; break; }
                if (ins == 1) {
                    /* An operation that changes no state whatever the state (a read) and
                     * fits now can be moved to the front of any linearization from here, so
                     * placing it now loses nothing: if that fails, so does every alternative
                     * at this level. A write of the value already there does not qualify:
                     * later, in another state, it might be needed to change it. */
                    stack_forced[sp] = never_changes(&ops[en->op]);
                    stack_ent[sp] = e;
                    stack_state[sp] = state;
                    sp++;
                    state = next;
                    /* Lift: unlink the call and its return. */
                    nxt[prv[e]] = nxt[e];
                    prv[nxt[e]] = prv[e];
                    uint32_t r = ret_node[en->op];
                    if (r) {
                        nxt[prv[r]] = nxt[r];
                        prv[nxt[r]] = prv[r];
                        remaining--;
                    }
                    e = nxt[0];
                    continue;
                }
                bits_clear(&b, en->op);
                /* The same argument: a known (hence failed) successor through such an
                 * operation means this configuration fails too. */
                backtrack = never_changes(&ops[en->op]);
            }
            if (!backtrack) {
                e = nxt[e];
                continue;
            }
        } else if (!c->explained) {
            note_dead_end(c, ops, stack_ent, sp, ents, nxt, e, state, &best_sp);
        }
        /* Backtrack: undo the last lift, and keep undoing while the undone step was
         * forced. Nothing left to undo means the key's first configuration fails. */
        bool root_failed = false;
        uint32_t ce = 0;
        for (;;) {
            if (sp == 0) { root_failed = true; break; }
            sp--;
            ce = stack_ent[sp];
            uint32_t op = ents[ce - 1].op;
            state = stack_state[sp];
            bits_clear(&b, op);
            /* Unlift in the reverse order of lifting: the return, then the call. */
            uint32_t r = ret_node[op];
            if (r) {
                nxt[prv[r]] = r;
                prv[nxt[r]] = r;
                remaining++;
            }
            nxt[prv[ce]] = ce;
            prv[nxt[ce]] = ce;
            if (!stack_forced[sp]) break;
        }
        if (root_failed) { verdict = LIN_VIOLATED; break; }
        e = nxt[ce];
    }
    free(ents);
    free(nxt);
    free(prv);
    free(ret_node);
    free(z);
    free(b.w);
    free(stack_ent);
    free(stack_state);
    free(stack_forced);
    memo_reset(c);
    c->mem_used = 0;
    return verdict;
}

/* ---- The check. ------------------------------------------------------------------- */

static int op_key_cmp(const void *a, const void *b)
{
    const op_t *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->inv > y->inv) - (x->inv < y->inv);
}

/* Scheduling across keys. One violated key decides the verdict, and the cost of a key
 * varies by orders of magnitude (Porcupine's c50-bad history has keys that fail in a
 * millisecond next to keys that need millions of configurations), so keys are searched
 * in rounds with a step budget that grows eightfold per round: cheap verdicts come
 * first, and the searches repeated in earlier rounds cost at most about as much again
 * as the final one (a seventh of the last budget, which is under eight times the
 * final search's own steps; usually far less).
 * After the round that finds a violation the check stops; keys still undecided then
 * are reported as skipped. Counting steps rather than seconds keeps the rounds, and so
 * the explanation chosen, the same from run to run. */
#define LIN_STEP_BUDGET_FIRST ((uint64_t)1 << 14)

int lin_check(const hist_t *h, lin_model_t model, const lin_limits_t *lim, lin_result_t *res)
{
    sim_assert((unsigned)model < LIN_MODEL_COUNT_);
    memset(res, 0, sizeof *res);
    res->model = model;
    res->key = -1;
    lin_ctx_t c = { .h = h, .model = model, .res = res };
    c.mem_max = lim && lim->memory_bytes_max ? lim->memory_bytes_max : LIN_MEMORY_BYTES_DEFAULT;
    c.time_s_max = lim ? lim->time_s_max : 0;
    c.steps_max = lim ? lim->steps_max : 0;
    clock_gettime(CLOCK_MONOTONIC, &c.start);

    int rc = collect(&c);
    if (rc != SIM_OK) {
        free(c.ops);
        return rc;
    }
    res->n_ops = c.n_ops;
    /* Group by key, keeping invoke order within a key. */
    qsort(c.ops, c.n_ops, sizeof *c.ops, op_key_cmp);
    uint32_t *start = sim_xcalloc((size_t)c.n_ops + 1, sizeof *start);
    for (uint32_t s = 0; s < c.n_ops; s++)
        if (s == 0 || c.ops[s].key != c.ops[s - 1].key) start[res->n_keys++] = s;
    start[res->n_keys] = c.n_ops;
    uint8_t *decided = sim_xcalloc((size_t)res->n_keys + 1, 1);
    uint32_t undecided = res->n_keys;

    for (uint64_t budget = LIN_STEP_BUDGET_FIRST; undecided && !c.out_of_time && !c.out_of_steps; budget = budget < UINT64_MAX / 8 ? budget * 8 : UINT64_MAX) {
        for (uint32_t k = 0; k < res->n_keys && !c.out_of_time && !c.out_of_steps; k++) {
            if (decided[k]) continue;
            c.out_of_budget = c.out_of_memory = false;
            lin_verdict_t v = search_key(&c, c.ops + start[k], start[k + 1] - start[k], budget);
            kvs_reset(&c);
            if (v == LIN_VIOLATED) {
                res->n_keys_violated++;
                decided[k] = 1;
                undecided--;
                if (!c.explained) { c.explained = true; res->key = c.ops[start[k]].key; }
            } else if (v == LIN_OK) {
                decided[k] = 1;
                undecided--;
            } else if (!c.out_of_budget) {
                res->n_keys_unknown++;
                decided[k] = 1;
                undecided--;
                if (!res->unknown_reason)
                    res->unknown_reason = c.out_of_time ? "time limit" : c.out_of_steps ? "step limit" : "memory limit";
            }
            /* Only a violated key's dead end is worth keeping. */
            if (!c.explained) {
                free(res->prefix);
                free(res->pending);
                res->prefix = res->pending = NULL;
                res->n_prefix = res->n_pending = 0;
            }
        }
        if (res->n_keys_violated) break;
    }
    if (res->n_keys_violated) {
        res->n_keys_skipped = undecided;
    } else if (undecided) {
        res->n_keys_unknown += undecided;   /* the time or step limit stopped the rounds */
        if (!res->unknown_reason) res->unknown_reason = c.out_of_steps ? "step limit" : "time limit";
    }
    res->verdict = res->n_keys_violated ? LIN_VIOLATED : res->n_keys_unknown ? LIN_UNKNOWN : LIN_OK;
    res->elapsed_s = elapsed_s(&c);
    free(start);
    free(decided);
    free(c.ops);
    free(c.vals);
    free(c.vslot);
    return SIM_OK;
}

void lin_result_free(lin_result_t *res)
{
    free(res->prefix);
    free(res->pending);
    res->prefix = res->pending = NULL;
    res->n_prefix = res->n_pending = 0;
}

/* ---- Explaining. ------------------------------------------------------------------ */

char *lin_op_label(const hist_t *h, lin_opref_t op, char *buf, size_t len)
{
    const hist_event_t *inv = &h->ev[op.inv];
    const hist_event_t *done = op.done == LIN_NEVER ? NULL : &h->ev[op.done];
    char v[96];
    bool is_read = strcmp(hist_f_name(h, inv), "read") == 0 || strcmp(hist_f_name(h, inv), "get") == 0;
    if (is_read) {
        if (done && done->type == HIST_OK) snprintf(buf, len, "process %" PRIu32 " %s -> %s", inv->process,
                                                    hist_f_name(h, inv), hist_format_value(h, done, v, sizeof v));
        else snprintf(buf, len, "process %" PRIu32 " %s -> ?", inv->process, hist_f_name(h, inv));
    } else {
        snprintf(buf, len, "process %" PRIu32 " %s %s", inv->process, hist_f_name(h, inv),
                 hist_format_value(h, inv, v, sizeof v));
    }
    return buf;
}

char *lin_op_describe(const hist_t *h, lin_opref_t op, char *buf, size_t len)
{
    char label[160], end[48];
    lin_op_label(h, op, label, sizeof label);
    if (op.done == LIN_NEVER) snprintf(end, sizeof end, "never completed");
    else if (h->ev[op.done].type == HIST_INFO) snprintf(end, sizeof end, "info at %" PRId64, h->ev[op.done].time_ns);
    else snprintf(end, sizeof end, "%" PRId64, h->ev[op.done].time_ns);
    snprintf(buf, len, "%s [t=%" PRId64 " .. %s]", label, h->ev[op.inv].time_ns, end);
    return buf;
}

static const char *thing(lin_model_t m)
{
    return m == LIN_KV ? "key" : m == LIN_COUNTER ? "counter" : "register";
}

char *lin_culprit_reason(const hist_t *h, const lin_result_t *r, char *buf, size_t len)
{
    const hist_event_t *inv = &h->ev[r->culprit.inv];
    char v[96];
    if (r->culprit.done != LIN_NEVER && h->ev[r->culprit.done].type == HIST_OK &&
        (strcmp(hist_f_name(h, inv), "read") == 0 || strcmp(hist_f_name(h, inv), "get") == 0)) {
        const hist_event_t *done = &h->ev[r->culprit.done];
        snprintf(buf, len, "it returned %s, but the %s holds %s", hist_format_value(h, done, v, sizeof v),
                 thing(r->model), r->state);
    } else if (strcmp(hist_f_name(h, inv), "cas") == 0 && inv->vkind == HIST_V_LIST && inv->n == 2) {
        snprintf(buf, len, "it succeeded expecting %" PRId64 ", but the register holds %s", hist_vals(h, inv)[0], r->state);
    } else {
        snprintf(buf, len, "the model does not accept it in state %s", r->state);
    }
    return buf;
}

void lin_explain(const hist_t *h, const lin_result_t *r, FILE *out)
{
    char d[320];
    const char *model = lin_model_names[r->model];
    if (r->verdict == LIN_OK) {
        fprintf(out, "Linearizable: all %" PRIu32 " operations on %" PRIu32 " key%s fit the %s model in an order "
                "that respects real time (%" PRIu32 " failed operations or info reads set aside).\n",
                r->n_ops, r->n_keys, r->n_keys == 1 ? "" : "s", model, r->n_dropped);
        return;
    }
    if (r->verdict == LIN_UNKNOWN && r->unknown_reason && strcmp(r->unknown_reason, "history limit") == 0) {
        fprintf(out, "Unknown: the run's history outgrew the part kept in memory; the %" PRIu32 " operations kept "
                "are linearizable, the rest were not judged. Write the whole history with dsim run --history FILE "
                "and check it with dsim check.\n", r->n_ops);
        return;
    }
    if (r->verdict == LIN_UNKNOWN) {
        const char *why = r->unknown_reason ? r->unknown_reason : "limit";
        fprintf(out, "Unknown: the search stopped at its %s after %" PRIu64 " steps (%.3f s) with %" PRIu32 " of %" PRIu32
                " keys undecided and none violated so far. Allow more %s or split the history.\n",
                why, r->steps, r->elapsed_s, r->n_keys_unknown, r->n_keys,
                strcmp(why, "step limit") == 0 ? "steps" : strcmp(why, "memory limit") == 0 ? "memory" : "time");
        return;
    }
    const char *key = r->key >= 0 ? h->keys[r->key] : NULL;
    fprintf(out, "Not linearizable: ");
    if (key) fprintf(out, "key \"%s\"", key);
    else fprintf(out, "the %s", thing(r->model));
    fprintf(out, " (%" PRIu32 " of %" PRIu32 " key%s violated", r->n_keys_violated, r->n_keys, r->n_keys == 1 ? "" : "s");
    if (r->n_keys_unknown) fprintf(out, ", %" PRIu32 " undecided at a limit", r->n_keys_unknown);
    if (r->n_keys_skipped) fprintf(out, ", %" PRIu32 " left undecided since one violation settles it", r->n_keys_skipped);
    fprintf(out, ").\n\nEvery order of its operations that respects real time was tried. The longest that the %s "
            "model accepts has %" PRIu32 " operation%s:\n", model, r->n_prefix, r->n_prefix == 1 ? "" : "s");
    uint32_t show_from = r->n_prefix > 20 ? r->n_prefix - 20 : 0;
    if (show_from) fprintf(out, "  ... (%" PRIu32 " earlier operations)\n", show_from);
    for (uint32_t k = show_from; k < r->n_prefix; k++)
        fprintf(out, "  %4" PRIu32 ". %s\n", k + 1, lin_op_describe(h, r->prefix[k], d, sizeof d));
    fprintf(out, "After %s, the %s holds %s.\n\n", r->n_prefix ? "them" : "none", thing(r->model), r->state);
    fprintf(out, "Next, this operation must take effect, because it has returned:\n  %s\n",
            lin_op_describe(h, r->culprit, d, sizeof d));
    char why[256];
    fprintf(out, "but it cannot: %s.\n", lin_culprit_reason(h, r, why, sizeof why));
    if (r->n_pending) {
        fprintf(out, "Nor can any other operation that was invoked before it returned and is not yet placed:\n");
        for (uint32_t k = 0; k < r->n_pending && k < 20; k++)
            fprintf(out, "  %s\n", lin_op_describe(h, r->pending[k], d, sizeof d));
        if (r->n_pending > 20) fprintf(out, "  ... (%" PRIu32 " more)\n", r->n_pending - 20);
    } else {
        fprintf(out, "No other operation could come before it.\n");
    }
    fprintf(out, "So no order of the operations explains what the clients saw.\n");
}
