/* jw.h -- a small streaming JSON writer for traces, summaries and state exports.
 *
 * Output is deterministic (no hash-table ordering, integers printed exactly, reals with
 * six significant digits), which traces and summaries depend on. It writes into a
 * growable buffer that the caller flushes to a FILE, or keeps as a string. Nesting is
 * tracked so commas are never the caller's problem.
 */
#ifndef SIM_JW_H
#define SIM_JW_H

#include <stdio.h>
#include "core/base.h"

#define JW_DEPTH_MAX 32

typedef struct jw {
    char *buf;
    size_t len, cap;
    int depth;
    bool first[JW_DEPTH_MAX];    /* no comma before the next item at this depth */
    bool after_key;
    bool pretty;                 /* newlines and indentation */
} jw_t;

void jw_init(jw_t *w, bool pretty);
void jw_free(jw_t *w);
void jw_reset(jw_t *w);                       /* empties the buffer, keeps its memory */
int jw_flush(jw_t *w, FILE *f);               /* writes and empties; SIM_OK or SIM_EIO */

void jw_obj_begin(jw_t *w);
void jw_obj_end(jw_t *w);
void jw_arr_begin(jw_t *w);
void jw_arr_end(jw_t *w);
void jw_key(jw_t *w, const char *k);
void jw_str(jw_t *w, const char *s);
void jw_int(jw_t *w, int64_t v);
void jw_uint(jw_t *w, uint64_t v);
void jw_real(jw_t *w, double v);              /* six significant digits (%.6g); whole numbers as 12.0; NaN/inf -> null */
void jw_bool(jw_t *w, bool v);
void jw_null(jw_t *w);
void jw_raw(jw_t *w, const char *json);       /* a value already formatted */
void jw_newline(jw_t *w);                     /* ends a JSON line (depth 0) */

/* Key-value shorthands. */
static inline void jw_kstr(jw_t *w, const char *k, const char *v) { jw_key(w, k); jw_str(w, v); }
static inline void jw_kint(jw_t *w, const char *k, int64_t v) { jw_key(w, k); jw_int(w, v); }
static inline void jw_kuint(jw_t *w, const char *k, uint64_t v) { jw_key(w, k); jw_uint(w, v); }
static inline void jw_kreal(jw_t *w, const char *k, double v) { jw_key(w, k); jw_real(w, v); }
static inline void jw_kbool(jw_t *w, const char *k, bool v) { jw_key(w, k); jw_bool(w, v); }

#endif
