/* histread.c -- history files into hist_t: JSON lines through cJSON, EDN lines through
 * a small reader of our own.
 *
 * Both formats are read line by line into one neutral record (rec_t), and one function,
 * add_record, applies every rule that does not depend on syntax: required fields, the
 * one-outstanding-operation-per-process rule, times that never decrease. That keeps the
 * two syntaxes from drifting apart in what they accept.
 *
 * The EDN reader covers what operation histories use: maps, vectors, keywords,
 * strings, integers, nil, true and false (EDN spec: github.com/edn-format/edn). It
 * builds a tree of nodes for one line in a reusable pool; strings are unescaped in
 * place in the line buffer. Everything is bounded: a line by HIST_LINE_BYTES_MAX,
 * nesting by HIST_EDN_DEPTH_MAX, so no input can exhaust the stack or memory.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "check/histread.h"

enum { FMT_UNKNOWN, FMT_JSON, FMT_EDN };
enum { FIELD_PROCESS, FIELD_TYPE, FIELD_F, FIELD_KEY, FIELD_VALUE, FIELD_TIME, FIELD_COUNT_ };
static const char *const json_field[] = { "\"process\"", "\"type\"", "\"f\"", "\"key\"", "\"value\"", "\"time_ns\"" };
static const char *const edn_field[] = { ":process", ":type", ":f", ":key", ":value", ":time" };

/* One line's content, whatever its syntax. */
typedef struct rec {
    bool skip;                       /* a nemesis line: not a client operation */
    bool seen[FIELD_COUNT_];         /* which fields the line had */
    uint32_t process;
    int type;                        /* hist_type_t */
    char f[HIST_FNAME_BYTES_MAX];
    bool has_key;
    char key[HIST_KEY_BYTES_MAX];
    hist_vkind_t vkind;
    uint32_t n;                      /* values in reader_t.vals */
    const char *str;                 /* HIST_V_STR: the string, not yet interned */
    int64_t time_ns;
} rec_t;

/* What the reader remembers of a process between its invoke and its completion. */
typedef struct proc_slot {
    uint32_t process;
    bool used, outstanding;
    uint16_t f;
    int32_t key;
    unsigned long line;
} proc_slot_t;

typedef enum { EDN_NIL, EDN_BOOL, EDN_INT, EDN_STR, EDN_KW, EDN_VEC, EDN_MAP } edn_kind_t;

typedef struct edn_node {
    edn_kind_t kind;
    int64_t i;             /* EDN_INT; EDN_BOOL: 0 or 1 */
    const char *s;         /* EDN_STR (terminated) and EDN_KW (not terminated, without ':') */
    uint32_t len;
    int32_t first, next;   /* first child and next sibling, or -1 */
    uint32_t n;            /* children */
} edn_node_t;

typedef struct reader {
    const char *name;
    unsigned long line;    /* 1-based number of the line being read */
    char *err;
    size_t err_len;
    hist_t *h;
    int fmt;
    int time_mode;         /* -1 undecided, 0 no times, 1 "time_ns" on every line */
    int64_t last_time_ns;
    unsigned long last_time_line;
    char *buf;             /* the current line */
    size_t cap;
    int64_t *vals;         /* the current line's values */
    uint32_t cap_vals;
    edn_node_t *nodes;     /* the current line's EDN tree */
    uint32_t n_nodes, cap_nodes;
    proc_slot_t *procs;    /* open addressing by process */
    uint32_t cap_procs, n_procs;
} reader_t;

static int fail(reader_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(reader_t *r, const char *fmt, ...)
{
    if (!r->err || r->err_len == 0) return SIM_EINPUT;
    int n = snprintf(r->err, r->err_len, "%s:%lu: ", r->name, r->line);
    if (n >= 0 && (size_t)n < r->err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err + n, r->err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return SIM_EINPUT;
}

static const char *field_name(const reader_t *r, int field)
{
    return r->fmt == FMT_EDN ? edn_field[field] : json_field[field];
}

/* Quotes s (len bytes) for a message: at most 40 bytes shown, control bytes as '?'. */
static char *quote(const char *s, size_t len, char *out, size_t out_len)
{
    size_t w = 0, show = len > 40 ? 40 : len;
    sim_assert(out_len >= 48);
    out[w++] = '"';
    for (size_t i = 0; i < show; i++) out[w++] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    if (show < len) { memcpy(out + w, "...", 3); w += 3; }
    out[w++] = '"';
    out[w] = 0;
    return out;
}

/* ---- Line input. ------------------------------------------------------------------ */

/* Reads one line without its terminator into r->buf. Returns 1, 0 at the end of the
 * input, or a negative error. */
static int read_line(reader_t *r, FILE *f)
{
    size_t len = 0;
    int c;
    bool any = false;
    while ((c = getc(f)) != EOF) {
        any = true;
        if (c == '\n') break;
        if (c == 0) return fail(r, "expected text, found a NUL byte");
        if (len + 1 >= HIST_LINE_BYTES_MAX)
            return fail(r, "expected a line of at most %u bytes (HIST_LINE_BYTES_MAX), found a longer one",
                        HIST_LINE_BYTES_MAX);
        if (len + 1 >= r->cap) {
            r->cap = r->cap ? r->cap * 2 : 4096;
            r->buf = sim_xrealloc(r->buf, r->cap);
        }
        r->buf[len++] = (char)c;
    }
    if (ferror(f)) {
        if (r->err && r->err_len)
            snprintf(r->err, r->err_len, "%s:%lu: read error: %s", r->name, r->line, strerror(errno));
        return SIM_EIO;
    }
    if (!any) return 0;
    if (!r->buf) r->buf = sim_xcalloc(1, r->cap = 4096);
    if (len && r->buf[len - 1] == '\r') len--;
    r->buf[len] = 0;
    return 1;
}

/* ---- Processes: one outstanding operation each. ------------------------------------ */

static proc_slot_t *proc_get(reader_t *r, uint32_t process)
{
    if ((uint64_t)(r->n_procs + 1) * 2 > r->cap_procs) {
        uint32_t old = r->cap_procs;
        proc_slot_t *was = r->procs;
        r->cap_procs = old ? old * 2 : 64;
        r->procs = sim_xcalloc(r->cap_procs, sizeof *r->procs);
        r->n_procs = 0;
        for (uint32_t i = 0; i < old; i++) {
            if (!was[i].used) continue;
            *proc_get(r, was[i].process) = was[i];
        }
        free(was);
    }
    uint32_t mask = r->cap_procs - 1;
    for (uint32_t i = (uint32_t)sim_mix64(process) & mask;; i = (i + 1) & mask) {
        proc_slot_t *s = &r->procs[i];
        if (s->used && s->process == process) return s;
        if (!s->used) {
            s->used = true;
            s->process = process;
            r->n_procs++;
            return s;
        }
    }
}

/* ---- The rules common to both syntaxes. ------------------------------------------- */

static int add_record(reader_t *r, const rec_t *rec)
{
    char q1[64], q2[64];
    hist_t *h = r->h;
    if (rec->skip) return SIM_OK;
    for (int fld = FIELD_PROCESS; fld <= FIELD_F; fld++)
        if (!rec->seen[fld]) return fail(r, "expected a %s entry, found none", field_name(r, fld));

    sim_time_t t = (sim_time_t)(r->line - 1);
    if (r->fmt == FMT_JSON) {
        bool has = rec->seen[FIELD_TIME];
        if (r->time_mode < 0) r->time_mode = has;
        if (has != (r->time_mode == 1))
            return fail(r, has ? "expected no \"time_ns\", as the first event has none, found one"
                               : "expected \"time_ns\", as the first event has one, found none");
        if (has) {
            if (rec->time_ns < r->last_time_ns)
                return fail(r, "expected \"time_ns\" to be at least %" PRId64 " (line %lu's), found %" PRId64,
                            r->last_time_ns, r->last_time_line, rec->time_ns);
            t = rec->time_ns;
            r->last_time_ns = t;
            r->last_time_line = r->line;
        }
    }

    uint16_t f = hist_intern_f(h, rec->f);
    if (f == HIST_F_NONE)
        return fail(r, "expected at most %u distinct function names (HIST_F_MAX), found more", HIST_F_MAX);
    int32_t key = -1;
    if (rec->has_key) {
        key = hist_intern_key(h, rec->key);
        if (key < 0)
            return fail(r, "expected at most %u distinct keys (SIM_KEYS_MAX), found more", SIM_KEYS_MAX);
    }

    proc_slot_t *p = proc_get(r, rec->process);
    const char *tname = rec->type == HIST_INVOKE ? "invoke" : hist_type_names[rec->type];
    if (rec->type == HIST_INVOKE) {
        if (p->outstanding)
            return fail(r, "expected process %" PRIu32 " to complete the operation it invoked on line %lu "
                        "before invoking another, found a second invoke", rec->process, p->line);
        p->outstanding = true;
        p->f = f;
        p->key = key;
        p->line = r->line;
    } else {
        if (!p->outstanding)
            return fail(r, r->fmt == FMT_EDN ? "expected an invoke by process %" PRIu32 " before its completion, "
                                               "found :%s with no operation outstanding"
                                             : "expected an invoke by process %" PRIu32 " before its completion, "
                                               "found \"%s\" with no operation outstanding", rec->process, tname);
        if (p->f != f) {
            const char *a = h->fnames[p->f], *b = h->fnames[f];
            return fail(r, "expected %s to be %s as invoked on line %lu, found %s", field_name(r, FIELD_F),
                        quote(a, strlen(a), q1, sizeof q1), p->line, quote(b, strlen(b), q2, sizeof q2));
        }
        if (p->key != key) {
            const char *a = p->key < 0 ? NULL : h->keys[p->key], *b = key < 0 ? NULL : h->keys[key];
            return fail(r, "expected %s to be %s as invoked on line %lu, found %s", field_name(r, FIELD_KEY),
                        a ? quote(a, strlen(a), q1, sizeof q1) : "absent", p->line,
                        b ? quote(b, strlen(b), q2, sizeof q2) : "none");
        }
        p->outstanding = false;
    }

    int64_t sval;
    const int64_t *vals = r->vals;
    if (rec->vkind == HIST_V_STR) {
        sval = hist_intern_str(h, rec->str);
        if (sval < 0)
            return fail(r, "expected at most %u bytes of string values in all (HIST_STR_BYTES_MAX), found more",
                        HIST_STR_BYTES_MAX);
        vals = &sval;
    }
    int64_t ix = hist_add(h, rec->process, (hist_type_t)rec->type, f, key, rec->vkind, vals, rec->n, t);
    if (ix == SIM_ELIMIT) {
        if (h->n_ev >= SIM_HISTORY_OPS_MAX)
            return fail(r, "expected at most %u events (SIM_HISTORY_OPS_MAX), found more", SIM_HISTORY_OPS_MAX);
        return fail(r, "expected at most %u values in all (HIST_ARENA_VALUES_MAX), found more", HIST_ARENA_VALUES_MAX);
    }
    sim_assert(ix >= 0);
    return SIM_OK;
}

static int vals_reserve(reader_t *r, size_t n)
{
    if (n > SIM_REPLY_VALUES_MAX)
        return fail(r, "expected at most %u values in %s (SIM_REPLY_VALUES_MAX), found %zu",
                    SIM_REPLY_VALUES_MAX, field_name(r, FIELD_VALUE), n);
    if (n > r->cap_vals) {
        r->cap_vals = (uint32_t)n;
        r->vals = sim_xrealloc(r->vals, n * sizeof *r->vals);
    }
    return SIM_OK;
}

/* Copies a name into a fixed field, refusing empty and over-long ones. */
static int copy_name(reader_t *r, int field, const char *s, size_t len, char *out, size_t out_len)
{
    char q[64];
    if (len == 0) return fail(r, "expected %s to be a non-empty name, found \"\"", field_name(r, field));
    if (len >= out_len)
        return fail(r, "expected %s to be at most %zu bytes long, found %s", field_name(r, field),
                    out_len - 1, quote(s, len, q, sizeof q));
    memcpy(out, s, len);
    out[len] = 0;
    return SIM_OK;
}

/* ---- JSON lines. ------------------------------------------------------------------ */

#define JSON_INT_MAX 9007199254740992.0   /* 2^53: larger doubles skip integers */

static const char *json_describe(const cJSON *it, char *out, size_t out_len)
{
    if (!it || cJSON_IsNull(it)) return "null";
    if (cJSON_IsTrue(it)) return "true";
    if (cJSON_IsFalse(it)) return "false";
    if (cJSON_IsString(it)) return quote(it->valuestring, strlen(it->valuestring), out, out_len);
    if (cJSON_IsNumber(it)) { snprintf(out, out_len, "%.17g", it->valuedouble); return out; }
    if (cJSON_IsArray(it)) return "a list";
    if (cJSON_IsObject(it)) return "an object";
    return "something else";
}

static int json_int(reader_t *r, const cJSON *it, const char *what, double lo, double hi, int64_t *out)
{
    char d[64];
    double x = cJSON_IsNumber(it) ? it->valuedouble : NAN;
    if (!(x >= lo && x <= hi) || x != floor(x))
        return fail(r, "expected %s to be an integer from %.0f to %.0f, found %s", what, lo, hi,
                    json_describe(it, d, sizeof d));
    *out = (int64_t)x;
    return SIM_OK;
}

static int json_line(reader_t *r, rec_t *rec)
{
    char d[64];
    const char *end = NULL;
    int rc = SIM_OK;
    cJSON *o = cJSON_ParseWithOpts(r->buf, &end, 1);
    if (!o) {
        size_t col = end ? (size_t)(end - r->buf) : 0;
        if (col > strlen(r->buf)) col = strlen(r->buf);
        const char *at = r->buf + col;
        if (*at == 0) return fail(r, "expected a complete JSON object, found the line ending at column %zu", col + 1);
        return fail(r, "expected a JSON object, found invalid JSON at column %zu: %s", col + 1,
                    quote(at, strlen(at), d, sizeof d));
    }
    if (!cJSON_IsObject(o)) {
        rc = fail(r, "expected a JSON object, found %s", json_describe(o, d, sizeof d));
        goto out;
    }
    const cJSON *it;
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "process"))) {
        rec->seen[FIELD_PROCESS] = true;
        if (cJSON_IsString(it) && strcmp(it->valuestring, "nemesis") == 0) { rec->skip = true; goto out; }
        int64_t p;
        if ((rc = json_int(r, it, "\"process\"", 0, UINT32_MAX, &p))) goto out;
        rec->process = (uint32_t)p;
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "type"))) {
        rec->seen[FIELD_TYPE] = true;
        rec->type = -1;
        for (int t = 0; cJSON_IsString(it) && t <= HIST_INFO; t++)
            if (strcmp(it->valuestring, hist_type_names[t]) == 0) rec->type = t;
        if (rec->type < 0) {
            rc = fail(r, "expected \"type\" to be one of invoke, ok, fail, info, found %s", json_describe(it, d, sizeof d));
            goto out;
        }
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "f"))) {
        rec->seen[FIELD_F] = true;
        if (!cJSON_IsString(it)) {
            rc = fail(r, "expected \"f\" to be a string, found %s", json_describe(it, d, sizeof d));
            goto out;
        }
        if ((rc = copy_name(r, FIELD_F, it->valuestring, strlen(it->valuestring), rec->f, sizeof rec->f))) goto out;
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "key")) && !cJSON_IsNull(it)) {
        rec->seen[FIELD_KEY] = rec->has_key = true;
        if (cJSON_IsString(it)) {
            if ((rc = copy_name(r, FIELD_KEY, it->valuestring, strlen(it->valuestring), rec->key, sizeof rec->key))) goto out;
        } else if (cJSON_IsNumber(it)) {
            int64_t k;
            if ((rc = json_int(r, it, "\"key\"", -JSON_INT_MAX, JSON_INT_MAX, &k))) goto out;
            snprintf(rec->key, sizeof rec->key, "%" PRId64, k);
        } else {
            rc = fail(r, "expected \"key\" to be a string or an integer, found %s", json_describe(it, d, sizeof d));
            goto out;
        }
    }
    rec->vkind = HIST_V_NONE;
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "value")) && !cJSON_IsNull(it)) {
        rec->seen[FIELD_VALUE] = true;
        if (cJSON_IsNumber(it)) {
            if ((rc = vals_reserve(r, 1))) goto out;
            if ((rc = json_int(r, it, "\"value\"", -JSON_INT_MAX, JSON_INT_MAX, &r->vals[0]))) goto out;
            rec->vkind = HIST_V_INT;
            rec->n = 1;
        } else if (cJSON_IsString(it)) {
            rec->vkind = HIST_V_STR;
            rec->str = it->valuestring;
            rec->n = 1;
        } else if (cJSON_IsArray(it)) {
            if ((rc = vals_reserve(r, (size_t)cJSON_GetArraySize(it)))) goto out;
            uint32_t n = 0;
            const cJSON *x;
            cJSON_ArrayForEach(x, it) {
                if ((rc = json_int(r, x, "each element of \"value\"", -JSON_INT_MAX, JSON_INT_MAX, &r->vals[n++]))) goto out;
            }
            rec->vkind = HIST_V_LIST;
            rec->n = n;
        } else {
            rc = fail(r, "expected \"value\" to be null, an integer, a list of integers or a string, found %s",
                      json_describe(it, d, sizeof d));
            goto out;
        }
    }
    if ((it = cJSON_GetObjectItemCaseSensitive(o, "time_ns"))) {
        rec->seen[FIELD_TIME] = true;
        if ((rc = json_int(r, it, "\"time_ns\"", 0, JSON_INT_MAX, &rec->time_ns))) goto out;
    }
    rc = add_record(r, rec);   /* before cJSON_Delete: rec->str points into o */
out:
    cJSON_Delete(o);
    return rc;
}

/* ---- EDN lines. ------------------------------------------------------------------- */

static bool edn_delim(char c)
{
    return c == 0 || isspace((unsigned char)c) || c == ',' || c == '}' || c == ']' || c == ')' ||
           c == '{' || c == '[' || c == '(' || c == '"' || c == ';';
}

static void edn_skip(char **p)
{
    for (;;) {
        while (**p && (isspace((unsigned char)**p) || **p == ',')) (*p)++;
        if (**p != ';') return;
        while (**p) (*p)++;   /* a comment runs to the end of the line */
    }
}

/* Describes the text at p (a token or the end of the line) for a message. */
static const char *edn_found_at(const char *p, char *out, size_t out_len)
{
    if (*p == 0) return "the end of the line";
    if (isspace((unsigned char)*p) || *p == ',') return "a separator";
    size_t n = 1;
    while (!edn_delim(p[n])) n++;
    return quote(p, n, out, out_len);
}

/* Describes a parsed node for a message. */
static const char *edn_describe(const edn_node_t *nd, char *out, size_t out_len)
{
    switch (nd->kind) {
    case EDN_NIL: return "nil";
    case EDN_BOOL: return nd->i ? "true" : "false";
    case EDN_INT: snprintf(out, out_len, "%" PRId64, nd->i); return out;
    case EDN_STR: return quote(nd->s, nd->len, out, out_len);
    case EDN_KW: {
        char q[64];
        quote(nd->s, nd->len, q, sizeof q);
        q[strlen(q) - 1] = 0;          /* drop the quotes: keywords print as :name */
        snprintf(out, out_len, ":%s", q + 1);
        return out;
    }
    case EDN_VEC: return "a vector";
    case EDN_MAP: return "a map";
    }
    return "something else";
}

static int32_t edn_new(reader_t *r, edn_kind_t kind)
{
    if (r->n_nodes == r->cap_nodes) {
        r->cap_nodes = r->cap_nodes ? r->cap_nodes * 2 : 64;
        r->nodes = sim_xrealloc(r->nodes, (size_t)r->cap_nodes * sizeof *r->nodes);
    }
    r->nodes[r->n_nodes] = (edn_node_t){ .kind = kind, .first = -1, .next = -1 };
    return (int32_t)r->n_nodes++;
}

static int edn_value(reader_t *r, char **pp, int depth, int32_t *out);

/* Parses the elements of a vector or map up to `close`, linking them as children. */
static int edn_children(reader_t *r, char **pp, int depth, char close, int32_t parent)
{
    char d[64];
    int32_t last = -1;
    for (;;) {
        edn_skip(pp);
        if (**pp == close) { (*pp)++; break; }
        if (**pp == 0)
            return fail(r, "expected '%c' to close the %s, found the end of the line", close,
                        close == '}' ? "map" : "vector");
        if (**pp == '}' || **pp == ']' || **pp == ')')
            return fail(r, "expected '%c' to close the %s, found %s", close, close == '}' ? "map" : "vector",
                        edn_found_at(*pp, d, sizeof d));
        int32_t c;
        int rc = edn_value(r, pp, depth + 1, &c);
        if (rc) return rc;
        if (last < 0) r->nodes[parent].first = c;
        else r->nodes[last].next = c;
        last = c;
        r->nodes[parent].n++;
    }
    if (close == '}' && r->nodes[parent].n % 2)
        return fail(r, "expected a value for every key of the map, found a key without one");
    return SIM_OK;
}

static int edn_value(reader_t *r, char **pp, int depth, int32_t *out)
{
    char d[64];
    char *p;
    edn_skip(pp);
    p = *pp;
    if (depth > HIST_EDN_DEPTH_MAX)
        return fail(r, "expected vectors and maps nested at most %d deep (HIST_EDN_DEPTH_MAX), found deeper",
                    HIST_EDN_DEPTH_MAX);
    if (*p == '{' || *p == '[') {
        int32_t n = edn_new(r, *p == '{' ? EDN_MAP : EDN_VEC);
        *pp = p + 1;
        *out = n;
        return edn_children(r, pp, depth, *p == '{' ? '}' : ']', n);
    }
    if (*p == '"') {
        /* Unescape in place: the write position never passes the read position. */
        char *w = p + 1, *s = p + 1;
        for (p++; *p != '"'; p++) {
            if (*p == 0) return fail(r, "expected '\"' to close the string, found the end of the line");
            if (*p != '\\') { *w++ = *p; continue; }
            p++;
            switch (*p) {
            case '"': *w++ = '"'; break;
            case '\\': *w++ = '\\'; break;
            case 'n': *w++ = '\n'; break;
            case 't': *w++ = '\t'; break;
            case 'r': *w++ = '\r'; break;
            default:
                return fail(r, "expected one of \\\" \\\\ \\n \\t \\r in a string, found %s",
                            *p ? quote(p - 1, 2, d, sizeof d) : "the end of the line");
            }
        }
        *w = 0;
        *pp = p + 1;
        *out = edn_new(r, EDN_STR);
        r->nodes[*out].s = s;
        r->nodes[*out].len = (uint32_t)(w - s);
        return SIM_OK;
    }
    if (*p == ':') {
        size_t n = 1;
        while (!edn_delim(p[n])) n++;
        if (n == 1) return fail(r, "expected a keyword name after ':', found %s", edn_found_at(p + 1, d, sizeof d));
        *out = edn_new(r, EDN_KW);
        r->nodes[*out].s = p + 1;
        r->nodes[*out].len = (uint32_t)(n - 1);
        *pp = p + n;
        return SIM_OK;
    }
    if (isdigit((unsigned char)*p) || ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) {
        bool neg = *p == '-';
        const char *q = p + (*p == '-' || *p == '+');
        uint64_t v = 0;
        for (; isdigit((unsigned char)*q); q++) {
            if (v > (UINT64_MAX - 9) / 10) return fail(r, "expected an integer that fits in 64 bits, found %s",
                                                      edn_found_at(p, d, sizeof d));
            v = v * 10 + (uint64_t)(*q - '0');
        }
        if (!edn_delim(*q)) return fail(r, "expected an integer, found %s", edn_found_at(p, d, sizeof d));
        if (v > (uint64_t)INT64_MAX + neg)
            return fail(r, "expected an integer that fits in 64 bits, found %s", edn_found_at(p, d, sizeof d));
        *out = edn_new(r, EDN_INT);
        r->nodes[*out].i = neg ? (int64_t)(0 - v) : (int64_t)v;
        *pp = (char *)q;
        return SIM_OK;
    }
    static const struct { const char *word; edn_kind_t kind; int64_t i; } words[] = {
        { "nil", EDN_NIL, 0 }, { "true", EDN_BOOL, 1 }, { "false", EDN_BOOL, 0 },
    };
    for (size_t k = 0; k < SIM_ARRAY_LEN(words); k++) {
        size_t n = strlen(words[k].word);
        if (strncmp(p, words[k].word, n) == 0 && edn_delim(p[n])) {
            *out = edn_new(r, words[k].kind);
            r->nodes[*out].i = words[k].i;
            *pp = p + n;
            return SIM_OK;
        }
    }
    if (*p == 0) return fail(r, "expected a value, found the end of the line");
    return fail(r, "expected a keyword, string, integer, nil, vector or map, found %s", edn_found_at(p, d, sizeof d));
}

static bool kw_is(const edn_node_t *n, const char *name)
{
    return n->kind == EDN_KW && n->len == strlen(name) && memcmp(n->s, name, n->len) == 0;
}

/* A name for :f or :key: a keyword, a string or (keys only) an integer. */
static int edn_name(reader_t *r, int field, const edn_node_t *v, bool int_ok, char *out, size_t out_len)
{
    char d[64];
    if (v->kind == EDN_KW || v->kind == EDN_STR) return copy_name(r, field, v->s, v->len, out, out_len);
    if (int_ok && v->kind == EDN_INT) { snprintf(out, out_len, "%" PRId64, v->i); return SIM_OK; }
    return fail(r, "expected %s to be a keyword%s or a string, found %s", field_name(r, field),
                int_ok ? ", an integer" : "", edn_describe(v, d, sizeof d));
}

static int edn_line(reader_t *r, rec_t *rec)
{
    static const char *const names[] = { "process", "type", "f", "key", "value" };
    char d[64];
    char *p = r->buf;
    int32_t top;
    int rc;
    r->n_nodes = 0;
    edn_skip(&p);
    if (*p != '{') return fail(r, "expected an EDN map {:process ...}, found %s", edn_found_at(p, d, sizeof d));
    if ((rc = edn_value(r, &p, 0, &top))) return rc;
    edn_skip(&p);
    if (*p) return fail(r, "expected the end of the line after the map, found %s", edn_found_at(p, d, sizeof d));

    const edn_node_t *nodes = r->nodes;
    for (int32_t k = nodes[top].first; k >= 0; k = nodes[nodes[k].next].next) {
        const edn_node_t *key = &nodes[k], *v = &nodes[key->next];
        if (key->kind != EDN_KW) return fail(r, "expected keywords as the map's keys, found %s", edn_describe(key, d, sizeof d));
        int field = -1;
        for (int i = 0; i < (int)SIM_ARRAY_LEN(names); i++)
            if (kw_is(key, names[i])) field = i;
        if (field < 0) continue;   /* a field we do not use, such as :time or :index */
        if (rec->seen[field]) return fail(r, "expected %s once, found it twice", edn_field[field]);
        rec->seen[field] = true;
        switch (field) {
        case FIELD_PROCESS:
            if (kw_is(v, "nemesis")) { rec->skip = true; return SIM_OK; }
            if (v->kind != EDN_INT || v->i < 0 || v->i > UINT32_MAX)
                return fail(r, "expected :process to be an integer from 0 to %u or :nemesis, found %s",
                            UINT32_MAX, edn_describe(v, d, sizeof d));
            rec->process = (uint32_t)v->i;
            break;
        case FIELD_TYPE:
            rec->type = -1;
            for (int t = 0; t <= HIST_INFO; t++)
                if (kw_is(v, hist_type_names[t])) rec->type = t;
            if (rec->type < 0)
                return fail(r, "expected :type to be one of :invoke, :ok, :fail, :info, found %s", edn_describe(v, d, sizeof d));
            break;
        case FIELD_F:
            if ((rc = edn_name(r, FIELD_F, v, false, rec->f, sizeof rec->f))) return rc;
            break;
        case FIELD_KEY:
            if (v->kind == EDN_NIL) { rec->seen[field] = false; break; }
            rec->has_key = true;
            if ((rc = edn_name(r, FIELD_KEY, v, true, rec->key, sizeof rec->key))) return rc;
            break;
        case FIELD_VALUE:
            if (v->kind == EDN_NIL) {
                rec->vkind = HIST_V_NONE;
            } else if (v->kind == EDN_INT) {
                if ((rc = vals_reserve(r, 1))) return rc;
                r->vals[0] = v->i;
                rec->vkind = HIST_V_INT;
                rec->n = 1;
            } else if (v->kind == EDN_STR) {
                rec->vkind = HIST_V_STR;
                rec->str = v->s;
                rec->n = 1;
            } else if (v->kind == EDN_VEC) {
                if ((rc = vals_reserve(r, v->n))) return rc;
                uint32_t n = 0;
                for (int32_t c = v->first; c >= 0; c = nodes[c].next) {
                    if (nodes[c].kind != EDN_INT)
                        return fail(r, "expected :value's vector to hold integers only, found %s",
                                    edn_describe(&nodes[c], d, sizeof d));
                    r->vals[n++] = nodes[c].i;
                }
                rec->vkind = HIST_V_LIST;
                rec->n = n;
            } else {
                return fail(r, "expected :value to be nil, an integer, a string or a vector of integers, found %s",
                            edn_describe(v, d, sizeof d));
            }
            break;
        }
    }
    return add_record(r, rec);
}

/* ---- Driver. ---------------------------------------------------------------------- */

/* Decides the format from the first non-blank line: '{' then '"' is JSON, '{' then ':'
 * is EDN. */
static int detect(reader_t *r)
{
    char d[64];
    const char *p = r->buf;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '{') {
        const char *q = p + 1;
        while (isspace((unsigned char)*q) || *q == ',') q++;
        if (*q == '"') { r->fmt = FMT_JSON; return SIM_OK; }
        if (*q == ':') { r->fmt = FMT_EDN; return SIM_OK; }
    }
    return fail(r, "expected a JSON object ({\"process\": ...}) or an EDN map ({:process ...}), found %s",
                quote(p, strlen(p), d, sizeof d));
}

int hist_read_stream(FILE *f, const char *name, hist_t *h, char *err, size_t err_len)
{
    reader_t r = { .name = name, .err = err, .err_len = err_len, .h = h, .time_mode = -1,
                   .last_time_ns = INT64_MIN };
    int rc = SIM_OK;
    if (err && err_len) err[0] = 0;
    for (;;) {
        r.line++;
        rc = read_line(&r, f);
        if (rc <= 0) break;
        const char *p = r.buf;
        while (isspace((unsigned char)*p)) p++;
        if (*p == 0) continue;
        if (r.fmt == FMT_UNKNOWN && (rc = detect(&r))) break;
        rec_t rec;
        memset(&rec, 0, sizeof rec);
        rc = r.fmt == FMT_JSON ? json_line(&r, &rec) : edn_line(&r, &rec);
        if (rc) break;
    }
    free(r.buf);
    free(r.vals);
    free(r.nodes);
    free(r.procs);
    return rc;
}

int hist_read_file(const char *path, hist_t *h, char *err, size_t err_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        if (err && err_len) snprintf(err, err_len, "%s: cannot open: %s", path, strerror(e));
        return e == ENOENT ? SIM_EINPUT : SIM_EIO;
    }
    int rc = hist_read_stream(f, path, h, err, err_len);
    fclose(f);
    return rc;
}
