/* progress.c -- the student's progress file (progress.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "core/base.h"
#include "lesson/progress.h"

static void where(progress_t *p)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0] == '/') snprintf(p->path, sizeof p->path, "%s/dsim/lessons", xdg);
    else snprintf(p->path, sizeof p->path, "%s/.local/state/dsim/lessons", home && home[0] ? home : ".");
}

void progress_load(progress_t *p)
{
    memset(p, 0, sizeof *p);
    where(p);
    FILE *f = fopen(p->path, "r");
    if (!f) return;
    char line[256];
    while (p->n < PROGRESS_LESSONS_MAX && fgets(line, sizeof line, f)) {
        progress_entry_t *e = &p->e[p->n];
        int done = 0;
        if (sscanf(line, "%63s %d %d", e->name, &e->step, &done) == 3) { e->done = done; p->n++; }
    }
    fclose(f);
}

/* mkdir -p for the folders above path. */
static int make_parents(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *s = buf + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(buf, 0700) != 0 && errno != EEXIST) return SIM_EIO;
        *s = '/';
    }
    return SIM_OK;
}

int progress_save(const progress_t *p)
{
    if (make_parents(p->path) != SIM_OK) return SIM_EIO;
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp", p->path);
    FILE *f = fopen(tmp, "w");
    if (!f) return SIM_EIO;
    for (int i = 0; i < p->n; i++) fprintf(f, "%s %d %d\n", p->e[i].name, p->e[i].step, p->e[i].done ? 1 : 0);
    bool bad = fclose(f) != 0;
    if (bad || rename(tmp, p->path) != 0) { remove(tmp); return SIM_EIO; }
    return SIM_OK;
}

progress_entry_t *progress_of(progress_t *p, const char *name)
{
    for (int i = 0; i < p->n; i++) if (strcmp(p->e[i].name, name) == 0) return &p->e[i];
    if (p->n == PROGRESS_LESSONS_MAX) return NULL;
    progress_entry_t *e = &p->e[p->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    return e;
}

int progress_reset(progress_t *p)
{
    p->n = 0;
    if (remove(p->path) != 0 && errno != ENOENT) return SIM_EIO;
    return SIM_OK;
}
