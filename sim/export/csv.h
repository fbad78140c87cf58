/* csv.h -- writing tables as RFC 4180 CSV, the form spreadsheets, pandas and R read.
 *
 * One header row of column names, then rows; fields are separated by commas and lines
 * end with "\n". A field is quoted only when it holds a comma, a quote or a line break
 * (quotes doubled inside), so plain numbers stay plain. Numbers are written in full:
 * integers as integers, reals with %.17g so they read back to the same double.
 */
#ifndef SIM_EXPORT_CSV_H
#define SIM_EXPORT_CSV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct csv {
    FILE *f;
    bool first;                /* no field yet on this row */
} csv_t;

static inline void csv_begin(csv_t *c, FILE *f) { c->f = f; c->first = true; }
void csv_str(csv_t *c, const char *s);          /* a text field (NULL: empty) */
void csv_int(csv_t *c, int64_t v);
void csv_uint(csv_t *c, uint64_t v);
void csv_real(csv_t *c, double v);              /* NaN and infinities: empty */
void csv_empty(csv_t *c);
void csv_end_row(csv_t *c);
/* A header row from a NULL-terminated list of names. */
void csv_header(csv_t *c, const char *const *names);

#endif
