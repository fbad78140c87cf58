/* cli_support.h -- running build/dsim from a test and reading what it wrote: the helpers
 * test_cli.c grew, shared by the end-to-end tests of the commands added after it
 * (test_override.c, test_export.c, test_sweep.c).
 *
 * Header-only (static functions), so each test program stays one file plus this. The
 * program under test is $DSIM (default build/dsim), run through the shell from the
 * repository root; each program gets a fresh temporary directory, removed at the end.
 */
#ifndef DSIM_TESTS_CLI_SUPPORT_H
#define DSIM_TESTS_CLI_SUPPORT_H

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <cJSON.h>

static const char *dsim;           /* path to the program */
static bool have_dsim;
static char tmpdir[512];           /* a fresh directory for this program's files */

typedef struct run {
    int status;                    /* exit status; -1 if it did not exit normally */
    char *out;                     /* everything on stdout */
    size_t out_len;
    char *err;                     /* everything on stderr */
} cli_run_t;

static inline char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (;;) {
        if (n + 1 >= cap) { cap *= 2; buf = realloc(buf, cap); assert_non_null(buf); }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        if (k == 0) break;
        n += k;
    }
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

static inline char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s: %s", path, strerror(errno));
    char *s = read_all(f, len);
    fclose(f);
    return s;
}

static inline void tmp_path(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* Runs `dsim ARGS` (ARGS as for printf, already shell-safe). */
static inline void run(cli_run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void run(cli_run_t *r, const char *fmt, ...)
{
    if (!have_dsim) {
        print_message("skipped: %s is not an executable program; build it or set DSIM\n", dsim);
        skip();
    }
    char args[2048], errpath[600], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    tmp_path(errpath, sizeof errpath, "stderr.txt");
    snprintf(cmd, sizeof cmd, "'%s' %s 2>'%s'", dsim, args, errpath);
    fflush(NULL);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    r->out = read_all(p, &r->out_len);
    int st = pclose(p);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r->err = read_file(errpath, NULL);
    unlink(errpath);
    if (WIFSIGNALED(st)) fail_msg("dsim %s: killed by signal %d\nstderr: %s", args, WTERMSIG(st), r->err);
}

static inline void run_free(cli_run_t *r)
{
    free(r->out);
    free(r->err);
    memset(r, 0, sizeof *r);
}

static inline void expect_status(const cli_run_t *r, int want, const char *what)
{
    if (r->status != want)
        fail_msg("%s: expected exit status %d, got %d\nstdout: %s\nstderr: %s", what, want, r->status, r->out, r->err);
}

static inline void must_contain(const char *text, const char *part, const char *where)
{
    if (!strstr(text, part)) fail_msg("expected \"%s\" on %s, which was:\n%s", part, where, text);
}

/* ---- JSON. ------------------------------------------------------------------------- */

/* stdout must be exactly one JSON object on one line. The caller deletes it. */
static inline cJSON *one_object(const cli_run_t *r)
{
    const char *nl = strchr(r->out, '\n');
    if (!nl || nl[1] != 0) fail_msg("expected exactly one line on stdout, got:\n%s", r->out);
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithOpts(r->out, &end, 1);
    if (!j) fail_msg("stdout is not one JSON value (error near \"%.20s\"):\n%s", end ? end : "?", r->out);
    if (!cJSON_IsObject(j)) { cJSON_Delete(j); fail_msg("stdout is JSON but not an object:\n%s", r->out); }
    return j;
}

/* The item at a dotted path such as "messages.dropped.partition", or NULL. */
static inline const cJSON *jget(const cJSON *root, const char *dotted)
{
    char key[128];
    const cJSON *cur = root;
    const char *p = dotted;
    while (cur && *p) {
        size_t n = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        cur = cJSON_GetObjectItemCaseSensitive(cur, key);
        p += n;
        if (*p == '.') p++;
    }
    return cur;
}

static inline double jnum(const cJSON *root, const char *dotted)
{
    const cJSON *v = jget(root, dotted);
    if (!cJSON_IsNumber(v)) fail_msg("expected a number at %s", dotted);
    return v->valuedouble;
}

/* ---- Set-up. ----------------------------------------------------------------------- */
static inline int setup(void **state)
{
    (void)state;
    dsim = getenv("DSIM");
    if (!dsim || !*dsim) dsim = "build/dsim";
    have_dsim = access(dsim, X_OK) == 0;
    if (!have_dsim) fprintf(stderr, "cli_support: %s is not executable: every test is skipped (build it, or set DSIM)\n", dsim);
    if (strchr(dsim, '\'')) { fprintf(stderr, "cli_support: DSIM must not contain a quote\n"); return -1; }
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/cli_support_XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir) || strchr(tmpdir, '\'')) { fprintf(stderr, "cli_support: cannot make a temporary directory\n"); return -1; }
    return 0;
}

/* Removes the temporary directory and whatever the tests left in it (one level deep). */
static inline void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
        else unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static inline int teardown(void **state)
{
    (void)state;
    remove_tree(tmpdir);
    return 0;
}

/* Names in tmpdir, sorted, comma-separated, for checking what a command left behind. */
static inline void list_dir(const char *dir, char *out, size_t len)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.') {
            size_t at = strlen(out);
            snprintf(out + at, len - at, "%s%s", at ? "," : "", names[i]->d_name);
        }
        free(names[i]);
    }
    if (n >= 0) free(names);
}

static inline void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* ---- dsim run. --------------------------------------------------------------------- */
#endif
