/* history.c -- the in-memory history: events, a value arena, interned names, JSON lines.
 *
 * Interning goes through open-addressing hash tables (linear probing, load at most
 * one half) that store indexes into the name arrays, so the arrays stay the plain
 * `char **` the header promises and the tables can be rebuilt from them at any time.
 * Histories read from files can hold tens of thousands of distinct string values (the
 * kv model appends a fresh string per operation); a linear search per intern would
 * make reading them quadratic.
 *
 * JSON lines are written by hand rather than through cJSON: the format is flat, the
 * writer has to be fast for million-event runs, and only strings need escaping.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/afile.h"
#include "core/history.h"

const char *const hist_type_names[] = { "invoke", "ok", "fail", "info", NULL };
const int64_t hist_vals_none[1] = { 0 };

/* ---- String indexes. -------------------------------------------------------------- */

typedef struct strindex {
    uint32_t *slot;    /* 0 = empty, otherwise index + 1 into the name array */
    uint32_t cap;      /* a power of two, or 0 before first use */
} strindex_t;

struct hist_index {
    strindex_t f, keys, strs;
    uint64_t str_bytes;   /* bytes of all interned string values, for HIST_STR_BYTES_MAX */
};

/* FNV-1a (Fowler, Noll and Vo) followed by a 64-bit finalizer: FNV alone leaves the
 * low bits, which pick the slot, poorly mixed for short keys like "1", "2", "3". */
static uint64_t str_hash(const char *s)
{
    uint64_t x = 0xcbf29ce484222325ULL;
    for (; *s; s++) x = (x ^ (unsigned char)*s) * 0x100000001b3ULL;
    return sim_mix64(x);
}

static int64_t strindex_find(const strindex_t *ix, char *const *names, const char *s)
{
    if (ix->cap == 0) return -1;
    uint32_t mask = ix->cap - 1;
    for (uint32_t i = (uint32_t)str_hash(s) & mask;; i = (i + 1) & mask) {
        uint32_t v = ix->slot[i];
        if (v == 0) return -1;
        if (strcmp(names[v - 1], s) == 0) return v - 1;
    }
}

static void strindex_put(strindex_t *ix, char *const *names, uint32_t idx)
{
    uint32_t mask = ix->cap - 1;
    uint32_t i = (uint32_t)str_hash(names[idx]) & mask;
    while (ix->slot[i] != 0) i = (i + 1) & mask;
    ix->slot[i] = idx + 1;
}

/* Makes room for entry number n (0-based) and records it; names[n] must be set. */
static void strindex_add(strindex_t *ix, char *const *names, uint32_t n)
{
    if ((uint64_t)(n + 1) * 2 > ix->cap) {
        uint32_t cap = ix->cap ? ix->cap * 2 : 64;
        while ((uint64_t)(n + 1) * 2 > cap) cap *= 2;
        free(ix->slot);
        ix->slot = sim_xcalloc(cap, sizeof *ix->slot);
        ix->cap = cap;
        for (uint32_t k = 0; k < n; k++) strindex_put(ix, names, k);
    }
    strindex_put(ix, names, n);
}

static struct hist_index *index_of(hist_t *h)
{
    if (!h->index) h->index = sim_xcalloc(1, sizeof *h->index);
    return h->index;
}

/* ---- Life cycle. ------------------------------------------------------------------ */

void hist_init(hist_t *h)
{
    memset(h, 0, sizeof *h);
}

static void free_names(char **names, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

int hist_reserve(hist_t *h, uint32_t events, uint64_t values)
{
    sim_assert(!h->ev && !h->arena);
    h->ev = sim_reserve((size_t)events * sizeof *h->ev);
    h->arena = sim_reserve((size_t)values * sizeof *h->arena);
    if (!h->ev || !h->arena) {
        sim_unreserve(h->ev, (size_t)events * sizeof *h->ev);
        sim_unreserve(h->arena, (size_t)values * sizeof *h->arena);
        h->ev = NULL;
        h->arena = NULL;
        return SIM_ENOMEM;
    }
    h->cap_ev = events;
    h->cap_arena = values;
    h->reserved = true;
    return SIM_OK;
}

void hist_free(hist_t *h)
{
    if (h->reserved) {
        sim_unreserve(h->ev, (size_t)h->cap_ev * sizeof *h->ev);
        sim_unreserve(h->arena, (size_t)h->cap_arena * sizeof *h->arena);
        h->ev = NULL;
        h->arena = NULL;
    }
    free(h->ev);
    free(h->arena);
    free_names(h->fnames, h->n_f);
    free_names(h->keys, h->n_keys);
    free_names(h->strs, h->n_strs);
    if (h->index) {
        free(h->index->f.slot);
        free(h->index->keys.slot);
        free(h->index->strs.slot);
        free(h->index);
    }
    memset(h, 0, sizeof *h);
}

/* ---- Interning. ------------------------------------------------------------------- */

/* Appends a copy of s to a growable name array and indexes it. */
static uint32_t names_append(char ***names, uint32_t *n, uint32_t *cap, strindex_t *ix, const char *s)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *names = sim_xrealloc(*names, (size_t)*cap * sizeof **names);
    }
    (*names)[*n] = sim_xstrdup(s);
    strindex_add(ix, *names, *n);
    return (*n)++;
}

int32_t hist_find_f(const hist_t *h, const char *name)
{
    return h->index ? (int32_t)strindex_find(&h->index->f, h->fnames, name) : -1;
}

int32_t hist_find_key(const hist_t *h, const char *name)
{
    return h->index ? (int32_t)strindex_find(&h->index->keys, h->keys, name) : -1;
}

int64_t hist_find_str(const hist_t *h, const char *s)
{
    return h->index ? strindex_find(&h->index->strs, h->strs, s) : -1;
}

uint16_t hist_intern_f(hist_t *h, const char *name)
{
    int32_t i = hist_find_f(h, name);
    if (i >= 0) return (uint16_t)i;
    if (h->n_f >= HIST_F_MAX) return HIST_F_NONE;
    return (uint16_t)names_append(&h->fnames, &h->n_f, &h->cap_f, &index_of(h)->f, name);
}

int32_t hist_intern_key(hist_t *h, const char *name)
{
    int32_t i = hist_find_key(h, name);
    if (i >= 0) return i;
    if (h->n_keys >= SIM_KEYS_MAX) return SIM_ELIMIT;
    return (int32_t)names_append(&h->keys, &h->n_keys, &h->cap_keys, &index_of(h)->keys, name);
}

int64_t hist_intern_str(hist_t *h, const char *s)
{
    int64_t i = hist_find_str(h, s);
    if (i >= 0) return i;
    struct hist_index *ix = index_of(h);
    size_t len = strlen(s) + 1;
    if (ix->str_bytes + len > HIST_STR_BYTES_MAX) return SIM_ELIMIT;
    ix->str_bytes += len;
    return names_append(&h->strs, &h->n_strs, &h->cap_strs, &ix->strs, s);
}

/* ---- Events. ---------------------------------------------------------------------- */

int64_t hist_add(hist_t *h, uint32_t process, hist_type_t type, uint16_t f, int32_t key,
                 hist_vkind_t vkind, const int64_t *vals, uint32_t n, sim_time_t time_ns)
{
    sim_assert((unsigned)type <= HIST_INFO);
    sim_assert(f < h->n_f);
    sim_assert(key == -1 || (key >= 0 && (uint32_t)key < h->n_keys));
    sim_assert((vkind == HIST_V_NONE && n == 0) || (vkind == HIST_V_INT && n == 1) ||
               (vkind == HIST_V_STR && n == 1) || vkind == HIST_V_LIST);
    sim_assert(vkind != HIST_V_STR || (vals[0] >= 0 && (uint64_t)vals[0] < h->n_strs));
    if (h->n_ev >= SIM_HISTORY_OPS_MAX) return SIM_ELIMIT;
    if (n > SIM_REPLY_VALUES_MAX || h->n_arena + n > HIST_ARENA_VALUES_MAX) return SIM_ELIMIT;

    if (h->reserved && (h->n_ev == h->cap_ev || h->n_arena + n > h->cap_arena)) return SIM_ELIMIT;
    if (h->n_ev == h->cap_ev) {
        h->cap_ev = h->cap_ev ? h->cap_ev * 2 : 256;
        h->ev = sim_xrealloc(h->ev, (size_t)h->cap_ev * sizeof *h->ev);
    }
    if (h->n_arena + n > h->cap_arena) {
        uint64_t cap = h->cap_arena ? h->cap_arena : 256;
        while (cap < h->n_arena + n) cap *= 2;
        h->arena = sim_xrealloc(h->arena, (size_t)cap * sizeof *h->arena);
        h->cap_arena = cap;
    }
    hist_event_t *e = &h->ev[h->n_ev];
    *e = (hist_event_t){
        .process = process, .type = (uint8_t)type, .vkind = (uint8_t)vkind, .f = f,
        .key = key, .n = n, .vals = h->n_arena, .time_ns = time_ns,
    };
    if (n) memcpy(h->arena + h->n_arena, vals, (size_t)n * sizeof *vals);
    h->n_arena += n;
    return h->n_ev++;
}

/* ---- Pairing. -------------------------------------------------------------------- */

int hist_pair(const hist_t *h, uint32_t *other, char *err, size_t err_len)
{
    /* Open addressing by process: (process + 1) << 32 | outstanding invoke + 1. The
     * table holds at most one slot per invoke, so twice the invokes never fills up. */
    uint32_t n_inv = 0, cap = 64;
    for (uint32_t i = 0; i < h->n_ev; i++) n_inv += h->ev[i].type == HIST_INVOKE;
    while (cap < 2 * (uint64_t)n_inv + 2) cap *= 2;
    uint64_t *open = sim_xcalloc(cap, sizeof *open);
    int rc = SIM_OK;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        uint32_t mask = cap - 1, s = (uint32_t)sim_mix64(e->process) & mask;
        while (open[s] && (open[s] >> 32) != (uint64_t)e->process + 1) s = (s + 1) & mask;
        uint32_t pending = (uint32_t)open[s];   /* invoke + 1, or 0 */
        if (e->type == HIST_INVOKE) {
            if (pending) {
                if (err && err_len)
                    snprintf(err, err_len, "event %" PRIu32 ": process %" PRIu32 " invokes while its operation "
                             "invoked at event %" PRIu32 " is outstanding", i + 1, e->process, pending);
                rc = SIM_EINPUT;
                break;
            }
            other[i] = HIST_NONE;
            open[s] = ((uint64_t)e->process + 1) << 32 | (i + 1);
        } else {
            if (!pending) {
                if (err && err_len)
                    snprintf(err, err_len, "event %" PRIu32 ": process %" PRIu32 " completes (%s) with no "
                             "operation outstanding", i + 1, e->process, hist_type_names[e->type]);
                rc = SIM_EINPUT;
                break;
            }
            other[i] = pending - 1;
            other[pending - 1] = i;
            open[s] = ((uint64_t)e->process + 1) << 32;   /* keep the slot: probing must not break */
        }
    }
    free(open);
    return rc;
}

/* ---- Formatting. ------------------------------------------------------------------ */

/* Appends to buf at *pos, never past len; a cut-off result ends in "...". */
static void put(char *buf, size_t len, size_t *pos, const char *s, size_t n)
{
    if (*pos + 1 >= len) return;
    size_t room = len - 1 - *pos;
    if (n > room) {
        memcpy(buf + *pos, s, room);
        *pos += room;
        if (len >= 4) memcpy(buf + len - 4, "...", 3);
    } else {
        memcpy(buf + *pos, s, n);
        *pos += n;
    }
    buf[*pos] = 0;
}

char *hist_format_value(const hist_t *h, const hist_event_t *e, char *buf, size_t len)
{
    size_t pos = 0;
    char num[32];
    const int64_t *v = hist_vals(h, e);
    if (len == 0) return buf;
    buf[0] = 0;
    switch (e->vkind) {
    case HIST_V_NONE:
        put(buf, len, &pos, "nil", 3);
        break;
    case HIST_V_INT:
        put(buf, len, &pos, num, (size_t)snprintf(num, sizeof num, "%" PRId64, v[0]));
        break;
    case HIST_V_STR: {
        const char *s = h->strs[v[0]];
        put(buf, len, &pos, "\"", 1);
        put(buf, len, &pos, s, strlen(s));
        put(buf, len, &pos, "\"", 1);
        break;
    }
    case HIST_V_LIST:
        put(buf, len, &pos, "[", 1);
        for (uint32_t i = 0; i < e->n; i++)
            put(buf, len, &pos, num, (size_t)snprintf(num, sizeof num, i ? ", %" PRId64 : "%" PRId64, v[i]));
        put(buf, len, &pos, "]", 1);
        break;
    default:
        sim_assert(!"unknown value kind");
    }
    return buf;
}

/* ---- JSON lines. ------------------------------------------------------------------ */

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { fputc('\\', f); fputc(c, f); }
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

void hist_write_event(FILE *f, const hist_t *h, const hist_event_t *e)
{
    const int64_t *v = hist_vals(h, e);
    fprintf(f, "{\"process\": %" PRIu32 ", \"type\": \"%s\", \"f\": ", e->process, hist_type_names[e->type]);
    json_string(f, h->fnames[e->f]);
    if (e->key >= 0) {
        fputs(", \"key\": ", f);
        json_string(f, h->keys[e->key]);
    }
    fputs(", \"value\": ", f);
    switch (e->vkind) {
    case HIST_V_NONE: fputs("null", f); break;
    case HIST_V_INT: fprintf(f, "%" PRId64, v[0]); break;
    case HIST_V_STR: json_string(f, h->strs[v[0]]); break;
    case HIST_V_LIST:
        fputc('[', f);
        for (uint32_t i = 0; i < e->n; i++) fprintf(f, i ? ", %" PRId64 : "%" PRId64, v[i]);
        fputc(']', f);
        break;
    default: sim_assert(!"unknown value kind");
    }
    fprintf(f, ", \"time_ns\": %" PRId64 "}\n", e->time_ns);
}

void hist_truncate(hist_t *h, uint32_t n_ev)
{
    if (n_ev >= h->n_ev) return;
    h->n_arena = h->ev[n_ev].vals;
    h->n_ev = n_ev;
}

int hist_write_jsonl(const hist_t *h, const char *path)
{
    afile_t a;
    if (afile_open(&a, path) != SIM_OK) return SIM_EIO;
    for (uint32_t i = 0; i < h->n_ev; i++) hist_write_event(a.f, h, &h->ev[i]);
    return afile_commit(&a) == SIM_OK ? SIM_OK : SIM_EIO;
}
