/* plot.c -- gnuplot scripts and running gnuplot over them (see plot.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/base.h"
#include "export/plot.h"

FILE *plot_script_open(const char *dir, const char *name, const char *what, const char *title,
                       const char *xlabel, const char *ylabel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.gp", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    fprintf(f, "# %s.gp -- %s\n", name, what);
    fprintf(f, "#\n# Written by dsim; edit it freely and run `gnuplot %s.gp` in this folder to\n"
               "# redraw %s.svg and %s.png. The data is %s.dat: whitespace-separated columns,\n"
               "# named in its first line; \"?\" marks a missing value.\n\n", name, name, name, name);
    /* One gnuplot draws every script in turn: start each from gnuplot's defaults. */
    fprintf(f, "reset\n");
    fprintf(f, "set datafile missing \"?\"\n");
    fprintf(f, "set title \"%s\"\n", title);
    fprintf(f, "set xlabel \"%s\"\n", xlabel);
    fprintf(f, "set ylabel \"%s\"\n", ylabel);
    fprintf(f, "set grid\nset key outside right top\n");
    return f;
}

void plot_script_begin_plot(FILE *f, const char *name)
{
    fprintf(f, "\n# The same plot twice: once as SVG, once as PNG.\n");
    fprintf(f, "do for [fmt in \"svg png\"] {\n");
    fprintf(f, "    if (fmt eq \"svg\") { set terminal svg noenhanced size %d,%d font \"DejaVu Sans,11\" background rgb \"white\" }\n",
            PLOT_W_PX, PLOT_H_PX);
    fprintf(f, "    else { set terminal pngcairo noenhanced size %d,%d font \"DejaVu Sans,10\" background rgb \"white\" }\n",
            PLOT_W_PX, PLOT_H_PX);
    fprintf(f, "    set output \"%s.\".fmt\n", name);
}

int plot_script_end(FILE *f)
{
    fprintf(f, "    set output\n}\n");
    bool bad = ferror(f);
    return fclose(f) == 0 && !bad ? SIM_OK : SIM_EIO;
}

const char *plot_gnuplot(void)
{
    const char *env = getenv("DSIM_GNUPLOT");
    if (env) return *env ? env : NULL;
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    char buf[4096];
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)n, p);
        if (n && access(buf, X_OK) == 0) return "gnuplot";
        p += n;
        if (*p == ':') p++;
    }
    return NULL;
}

#define PLOT_SCRIPTS_MAX 32
#define PLOT_LOG ".gnuplot.log"        /* in the plots' folder while gnuplot runs */

int plot_render(const char *dir, const char *const *scripts, int n, char *err, size_t err_len)
{
    const char *gp = plot_gnuplot();
    if (!gp) { snprintf(err, err_len, "gnuplot is not installed"); return SIM_EIO; }
    if (n > PLOT_SCRIPTS_MAX) n = PLOT_SCRIPTS_MAX;
    char *argv[PLOT_SCRIPTS_MAX + 2];
    argv[0] = (char *)gp;
    for (int i = 0; i < n; i++) argv[i + 1] = (char *)scripts[i];
    argv[n + 1] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) { snprintf(err, err_len, "cannot start gnuplot: %s", strerror(errno)); return SIM_EIO; }
    if (pid == 0) {
        /* gnuplot's chatter is not ours to print on stdout, which may be a --json line;
         * its warnings go to a log that is shown only when it fails. */
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 1);
        if (chdir(dir) != 0) _exit(126);
        int log = open(PLOT_LOG, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (log >= 0) dup2(log, 2);
        execvp(gp, argv);
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) { snprintf(err, err_len, "waiting for gnuplot: %s", strerror(errno)); return SIM_EIO; }
    char log[4096];
    snprintf(log, sizeof log, "%s/%s", dir, PLOT_LOG);
    int rc = SIM_OK;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        if (WIFEXITED(st) && WEXITSTATUS(st) == 127) snprintf(err, err_len, "cannot run %s", gp);
        else {
            /* The last line gnuplot wrote is usually the one that says why. */
            char line[512] = "", last[512] = "";
            FILE *f = fopen(log, "r");
            while (f && fgets(line, sizeof line, f)) if (line[0] != '\n') { line[strcspn(line, "\n")] = 0; snprintf(last, sizeof last, "%s", line); }
            if (f) fclose(f);
            snprintf(err, err_len, "gnuplot failed%s%s", last[0] ? ": " : "", last);
        }
        rc = SIM_EIO;
    }
    unlink(log);
    return rc;
}

void plot_how_to_render(FILE *out, const char *plots_dir)
{
    fprintf(out, "gnuplot is not installed, so the plots' data and scripts were written but not drawn.\n"
                 "Install it (Debian/Ubuntu: sudo apt-get install gnuplot-nox; or `make deps`) and run:\n"
                 "  cd %s && for f in *.gp; do gnuplot \"$f\"; done\n", plots_dir);
}
