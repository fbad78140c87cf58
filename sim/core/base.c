/* base.c -- error texts, the simulator's assertion, load-time allocation, and the
 * parsing and formatting of durations and rates. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "core/base.h"

static const struct { int code; const char *text; } sim_errors[] = {
    {SIM_OK, "ok"},
    {SIM_ENOMEM, "out of memory"},
    {SIM_ELIMIT, "a limit was exceeded"},
    {SIM_EINPUT, "bad input"},
    {SIM_EIO, "input/output error"},
    {SIM_EINVARIANT, "an invariant was violated"},
    {SIM_ENOTFOUND, "not found"},
};

const char *sim_strerror(int code)
{
    for (size_t i = 0; i < SIM_ARRAY_LEN(sim_errors); i++)
        if (sim_errors[i].code == code) return sim_errors[i].text;
    return "unknown error";
}

/* The run this thread is stepping, set by the event loop: the context belongs to the
 * run (its time and seed live in it), and each thread steps its own runs, so two runs
 * in two threads each report their own. */
static _Thread_local const sim_assert_ctx_t *assert_ctx;

void sim_assert_context(const sim_assert_ctx_t *ctx) { assert_ctx = ctx; }

void sim_assert_fail(const char *expr, const char *file, int line)
{
    const sim_assert_ctx_t *c = assert_ctx;
    if (c)
        fprintf(stderr, "dsim: internal error: %s:%d: assertion '%s' failed at t=%" PRId64
                "ns (seed %" PRIu64 "); replay with --seed %" PRIu64 "\n",
                file, line, expr, *c->now, c->seed, c->seed);
    else
        fprintf(stderr, "dsim: internal error: %s:%d: assertion '%s' failed\n", file, line, expr);
    abort();
}

static void *oom(size_t size)
{
    fprintf(stderr, "dsim: out of memory allocating %zu bytes\n", size);
    exit(1);
}

void *sim_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    return p ? p : oom(n * size);
}

void *sim_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    return q ? q : oom(size);
}

void *sim_reserve(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void *sim_reserve_huge(size_t bytes)
{
    const size_t huge = (size_t)2 << 20;
    uint8_t *p = sim_reserve(bytes);
#ifdef MADV_HUGEPAGE
    /* From the first 2 MiB boundary past the first 2 MiB; advice only. */
    if (p && bytes > 2 * huge) {
        uintptr_t from = ((uintptr_t)p + 2 * huge - 1) / huge * huge;
        madvise((void *)from, (uintptr_t)p + bytes - from, MADV_HUGEPAGE);
    }
#endif
    return p;
}

void sim_unreserve(void *p, size_t bytes)
{
    if (p) munmap(p, bytes);
}

void *sim_xcalloc_huge(size_t n, size_t size)
{
    const size_t huge = (size_t)2 << 20;
    size_t bytes = n * size;
    if (bytes < huge) return sim_xcalloc(n, size);
    bytes = (bytes + huge - 1) / huge * huge;
    void *p = aligned_alloc(huge, bytes);
    if (!p) return oom(bytes);
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE);   /* advice only: failure changes nothing */
#endif
    memset(p, 0, bytes);
    return p;
}

char *sim_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = sim_xcalloc(1, n);
    memcpy(p, s, n);
    return p;
}

static const struct { const char *unit; sim_time_t ns; } sim_units[] = {
    {"ns", SIM_NS}, {"us", SIM_US}, {"\xc2\xb5s", SIM_US}, {"ms", SIM_MS},
    {"s", SIM_SEC}, {"m", SIM_MIN}, {"h", 60 * SIM_MIN},
};

/* Parses "<decimal><unit>" exactly: no spaces, no exponent, at most 9 decimals. The
 * number is read as integer and fraction separately so "1.1s" is exactly 1100000000ns. */
int sim_parse_duration(const char *s, bool signed_ok, sim_time_t *out)
{
    if (!s) return SIM_EINPUT;
    const char *p = s;
    bool neg = false;
    if (*p == '-') {
        if (!signed_ok) return SIM_EINPUT;
        neg = true;
        p++;
    }
    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1]))) return SIM_EINPUT;
    uint64_t whole = 0, frac = 0, frac_scale = 1;
    while (isdigit((unsigned char)*p)) {
        if (whole > UINT64_MAX / 10 - 10) return SIM_EINPUT;
        whole = whole * 10 + (uint64_t)(*p++ - '0');
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return SIM_EINPUT;
        while (isdigit((unsigned char)*p)) {
            if (frac_scale >= 1000000000ULL) return SIM_EINPUT;
            frac = frac * 10 + (uint64_t)(*p++ - '0');
            frac_scale *= 10;
        }
    }
    for (size_t i = 0; i < SIM_ARRAY_LEN(sim_units); i++) {
        if (strcmp(p, sim_units[i].unit) != 0) continue;
        uint64_t u = (uint64_t)sim_units[i].ns;
        if (whole > (uint64_t)INT64_MAX / u) return SIM_EINPUT;
        /* frac < 1e9 and u <= 3.6e12, so the product needs up to 72 bits. */
        unsigned __int128 fns = (unsigned __int128)frac * u;
        unsigned __int128 ns = (unsigned __int128)whole * u + fns / frac_scale;
        if (ns > (unsigned __int128)INT64_MAX) return SIM_EINPUT;
        if (frac && (fns % frac_scale) != 0) return SIM_EINPUT;   /* finer than 1ns */
        *out = neg ? -(sim_time_t)ns : (sim_time_t)ns;
        return SIM_OK;
    }
    return SIM_EINPUT;
}

int sim_parse_rate(const char *s, double *per_sec)
{
    if (!s) return SIM_EINPUT;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || errno || !(x >= 0) || !isfinite(x) || *end != '/') return SIM_EINPUT;
    const char *u = end + 1;
    double scale;
    if (strcmp(u, "s") == 0) scale = 1;
    else if (strcmp(u, "ms") == 0) scale = 1e3;
    else if (strcmp(u, "us") == 0) scale = 1e6;
    else if (strcmp(u, "m") == 0) scale = 1.0 / 60;
    else if (strcmp(u, "h") == 0) scale = 1.0 / 3600;
    else return SIM_EINPUT;
    *per_sec = x * scale;
    return SIM_OK;
}

char *sim_format_duration(sim_time_t t, char *buf, size_t len)
{
    static const struct { const char *unit; sim_time_t ns; } f[] = {
        {"s", SIM_SEC}, {"ms", SIM_MS}, {"us", SIM_US}, {"ns", SIM_NS},
    };
    const char *sign = t < 0 ? "-" : "";
    uint64_t a = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    if (a == 0) { snprintf(buf, len, "0s"); return buf; }
    for (size_t i = 0; i < SIM_ARRAY_LEN(f); i++) {
        uint64_t u = (uint64_t)f[i].ns;
        if (a < u && u != 1) continue;
        uint64_t whole = a / u, rest = a % u;
        if (rest == 0) { snprintf(buf, len, "%s%" PRIu64 "%s", sign, whole, f[i].unit); return buf; }
        /* Print the fraction with as many digits as needed, trailing zeros removed. */
        char frac[32];
        int digits = 0;
        for (uint64_t d = u; d > 1; d /= 10) digits++;
        snprintf(frac, sizeof frac, "%0*" PRIu64, digits & 15, rest);
        for (int k = digits - 1; k > 0 && frac[k] == '0'; k--) frac[k] = 0;
        snprintf(buf, len, "%s%" PRIu64 ".%s%s", sign, whole, frac, f[i].unit);
        return buf;
    }
    snprintf(buf, len, "%s%" PRIu64 "ns", sign, a);
    return buf;
}

char *sim_format_duration_short(sim_time_t t, char *buf, size_t len)
{
    static const struct { const char *unit; double ns; } u[] = {
        {"h", 3600e9}, {"m", 60e9}, {"s", 1e9}, {"ms", 1e6}, {"us", 1e3},
    };
    uint64_t mag = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    double a = (double)mag;
    const char *sign = t < 0 ? "-" : "";
    /* The largest unit in which the value rounds to at least 1.00, so 999.7us reads
     * "1ms" rather than "1e+03us". */
    for (size_t i = 0; i < SIM_ARRAY_LEN(u); i++) {
        if (a / u[i].ns < 0.9995) continue;
        double x = a / u[i].ns;
        if (i == 0 || x < 999.5) snprintf(buf, len, "%s%.3g%s", sign, x, u[i].unit);
        else snprintf(buf, len, "%s%.0f%s", sign, x, u[i].unit);
        return buf;
    }
    snprintf(buf, len, "%s%" PRIu64 "ns", sign, mag);
    return buf;
}
