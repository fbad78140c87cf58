/* csv.c -- RFC 4180 fields and rows (see csv.h). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "export/csv.h"

static void sep(csv_t *c)
{
    if (!c->first) fputc(',', c->f);
    c->first = false;
}

void csv_str(csv_t *c, const char *s)
{
    sep(c);
    if (!s) return;
    if (!s[strcspn(s, ",\"\r\n")]) { fputs(s, c->f); return; }
    fputc('"', c->f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', c->f);
        fputc(*s, c->f);
    }
    fputc('"', c->f);
}

void csv_int(csv_t *c, int64_t v) { sep(c); fprintf(c->f, "%" PRId64, v); }
void csv_uint(csv_t *c, uint64_t v) { sep(c); fprintf(c->f, "%" PRIu64, v); }
void csv_empty(csv_t *c) { sep(c); }

void csv_real(csv_t *c, double v)
{
    sep(c);
    if (!isfinite(v)) return;
    /* The shortest of %.15g and %.17g that reads back to the same double. */
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, c->f);
}

void csv_end_row(csv_t *c)
{
    fputc('\n', c->f);
    c->first = true;
}

void csv_header(csv_t *c, const char *const *names)
{
    for (int i = 0; names[i]; i++) csv_str(c, names[i]);
    csv_end_row(c);
}
