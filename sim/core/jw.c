/* jw.c -- the streaming JSON writer. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/jw.h"

void jw_init(jw_t *w, bool pretty)
{
    memset(w, 0, sizeof *w);
    w->pretty = pretty;
    w->first[0] = true;
}

void jw_free(jw_t *w) { free(w->buf); memset(w, 0, sizeof *w); }

void jw_reset(jw_t *w)
{
    w->len = 0;
    if (w->buf) w->buf[0] = 0;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
}

static void put(jw_t *w, const char *s, size_t n)
{
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n + 1) cap *= 2;
        w->buf = sim_xrealloc(w->buf, cap);
        w->cap = cap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = 0;
}
static void puts_(jw_t *w, const char *s) { put(w, s, strlen(s)); }

static void indent(jw_t *w)
{
    put(w, "\n", 1);
    for (int i = 0; i < w->depth; i++) put(w, "  ", 2);
}

/* Separates items: a comma unless first, a newline and indentation when pretty. */
static void item(jw_t *w)
{
    if (w->after_key) { w->after_key = false; return; }
    if (!w->first[w->depth]) put(w, ",", 1);
    w->first[w->depth] = false;
    if (w->pretty && w->depth > 0) indent(w);
}

int jw_flush(jw_t *w, FILE *f)
{
    int rc = (w->len && fwrite(w->buf, 1, w->len, f) != w->len) ? SIM_EIO : SIM_OK;
    w->len = 0;
    if (w->buf) w->buf[0] = 0;
    return rc;
}

static void open_(jw_t *w, char c)
{
    item(w);
    put(w, &c, 1);
    sim_assert(w->depth + 1 < JW_DEPTH_MAX);
    w->first[++w->depth] = true;
}

static void close_(jw_t *w, char c)
{
    bool empty = w->first[w->depth];
    sim_assert(w->depth > 0);
    w->depth--;
    if (w->pretty && !empty) indent(w);
    put(w, &c, 1);
}

void jw_obj_begin(jw_t *w) { open_(w, '{'); }
void jw_obj_end(jw_t *w) { close_(w, '}'); }
void jw_arr_begin(jw_t *w) { open_(w, '['); }
void jw_arr_end(jw_t *w) { close_(w, ']'); }

static void quoted(jw_t *w, const char *s)
{
    put(w, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(w, run, (size_t)(s - run));
        char esc[8];
        switch (c) {
        case '"': puts_(w, "\\\""); break;
        case '\\': puts_(w, "\\\\"); break;
        case '\n': puts_(w, "\\n"); break;
        case '\t': puts_(w, "\\t"); break;
        case '\r': puts_(w, "\\r"); break;
        default: snprintf(esc, sizeof esc, "\\u%04x", c); puts_(w, esc); break;
        }
        run = s + 1;
    }
    put(w, run, (size_t)(s - run));
    put(w, "\"", 1);
}

void jw_key(jw_t *w, const char *k)
{
    item(w);
    quoted(w, k);
    put(w, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
    w->after_key = true;
}

void jw_str(jw_t *w, const char *s) { item(w); if (s) quoted(w, s); else puts_(w, "null"); }

void jw_int(jw_t *w, int64_t v)
{
    char b[24];
    item(w);
    snprintf(b, sizeof b, "%" PRId64, v);
    puts_(w, b);
}

void jw_uint(jw_t *w, uint64_t v)
{
    char b[24];
    item(w);
    snprintf(b, sizeof b, "%" PRIu64, v);
    puts_(w, b);
}

void jw_real(jw_t *w, double v)
{
    char b[32];
    item(w);
    if (!isfinite(v)) { puts_(w, "null"); return; }
    if (v == floor(v) && fabs(v) < 1e15) snprintf(b, sizeof b, "%.1f", v);
    else snprintf(b, sizeof b, "%.6g", v);
    puts_(w, b);
}

void jw_bool(jw_t *w, bool v) { item(w); puts_(w, v ? "true" : "false"); }
void jw_null(jw_t *w) { item(w); puts_(w, "null"); }
void jw_raw(jw_t *w, const char *json) { item(w); puts_(w, json); }

void jw_newline(jw_t *w)
{
    sim_assert(w->depth == 0);
    put(w, "\n", 1);
    w->first[0] = true;
}
