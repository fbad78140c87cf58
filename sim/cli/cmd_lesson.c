/* cmd_lesson.c -- dsim lesson: the lessons in order, one lesson in a terminal, and the
 * check that every lesson works.
 *
 * The lesson engine (lesson/lesson.h) does the teaching: which step, what the student
 * may do, whether a goal holds. This file only finds lesson files, keeps progress, and
 * turns a play into text and typed commands into calls. The screen is redrawn whole
 * after each command and fits 80x24: a header, the narration, the task or question,
 * the nodes, the messages in flight, the numbers the step points at, one line of
 * feedback and the prompt. Without a terminal (a pipe, a test) it prints the same
 * screens one after the other, without colours.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "cli/cli.h"
#include "lesson/lesson.h"
#include "run/pair.h"
#include "lesson/progress.h"
#include "viz.h"

#define LESSONS_FILES_MAX 128

/* ---- Finding lessons. ------------------------------------------------------------------ */

/* The lessons folder: $DSIM_LESSONS, ./lessons, or lessons/ beside the program's build/. */
static const char *lessons_dir(void)
{
    static char dir[1024];
    const char *env = getenv("DSIM_LESSONS");
    if (env && env[0]) return env;
    if (access("lessons/README.md", R_OK) == 0) return "lessons";
    char exe[900];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *s = strrchr(exe, '/');
        if (s) { *s = 0; snprintf(dir, sizeof dir, "%s/../lessons", exe); if (access(dir, R_OK) == 0) return dir; }
    }
    return "lessons";
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The lesson files, in order (their names start with their number). */
static int list_files(char **out, int max)
{
    const char *dir = lessons_dir();
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t k = strlen(e->d_name);
        if (k < 6 || strcmp(e->d_name + k - 5, ".json") != 0) continue;
        char buf[2048];
        snprintf(buf, sizeof buf, "%s/%s", dir, e->d_name);
        out[n++] = strdup(buf);
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof *out, cmp_str);
    return n;
}

static void free_files(char **f, int n) { for (int i = 0; i < n; i++) free(f[i]); }

/* A lesson by name ("raft-election"), by number ("8"), or a file. */
static char *find_lesson(const char *what)
{
    size_t k = strlen(what);
    if (strchr(what, '/') || (k > 5 && strcmp(what + k - 5, ".json") == 0)) return strdup(what);
    char *files[LESSONS_FILES_MAX];
    int n = list_files(files, LESSONS_FILES_MAX);
    char *found = NULL;
    char *end;
    long num = strtol(what, &end, 10);
    for (int i = 0; i < n && !found; i++) {
        const char *b = strrchr(files[i], '/') + 1;
        const char *d = b;
        while (*d >= '0' && *d <= '9') d++;
        const char *name = (d > b && *d == '-') ? d + 1 : b;
        if ((strncmp(name, what, k) == 0 && strcmp(name + k, ".json") == 0) || (!*end && end != what && atol(b) == num && d > b))
            found = strdup(files[i]);
    }
    free_files(files, n);
    return found;
}

/* ---- Text on a terminal. ---------------------------------------------------------------- */

typedef struct term {
    bool tty;                        /* colours and clearing the screen */
    int width, height;
    char msg[2048];                  /* feedback for the next screen */
} term_t;

/* Where the screen is drawn: stdout, or a buffer while measuring a part of it. */
static FILE *tout;

/* Prints text with **bold** and `code`, wrapped at width, "- " lines as bullets.
 * Returns the number of lines printed. */
static int print_rich(const term_t *t, const char *text_any, const char *indent)
{
    int lines = 0, width = t->width - 1 - (int)strlen(indent);
    char text[LESSON_TEXT_MAX + 64];
    lesson_text_for(text_any, LESSON_MODE_TERMINAL, text, sizeof text);
    const char *p = text;
    bool bold = false, code = false;
    while (*p) {
        /* One source line: a bullet gets a hanging indent. */
        const char *eol = strchr(p, '\n');
        if (!eol) eol = p + strlen(p);
        bool bullet = (p[0] == '-' || p[0] == '*') && p[1] == ' ';
        const char *s = bullet ? p + 2 : p;
        int col = 0;
        fputs(indent, tout);
        if (bullet) { fputs(t->tty ? "  \xe2\x80\xa2 " : "  - ", tout); col = 4; }
        while (s < eol) {
            while (s < eol && *s == ' ') s++;
            const char *w = s;
            int vis = 0;
            /* Measure the next word without its markers. */
            for (const char *x = w; x < eol && *x != ' '; x++) {
                if (x[0] == '*' && x[1] == '*') { x++; continue; }
                if (*x == '`') continue;
                if ((*x & 0xC0) != 0x80) vis++;
            }
            const char *we = w;
            while (we < eol && *we != ' ') we++;
            if (we == w) break;
            if (col > (bullet ? 4 : 0) && col + 1 + vis > width) {
                fputc('\n', tout); lines++;
                fputs(indent, tout);
                col = bullet ? 4 : 0;
                if (bullet) fputs("    ", tout);
            } else if (col > (bullet ? 4 : 0)) { fputc(' ', tout); col++; }
            for (const char *x = w; x < we; x++) {
                if (x[0] == '*' && x[1] == '*') {
                    bold = !bold;
                    if (t->tty) fputs(bold ? "\033[1m" : "\033[22m", tout);
                    x++;
                    continue;
                }
                if (*x == '`') {
                    code = !code;
                    if (t->tty) fputs(code ? "\033[36m" : "\033[39m", tout);
                    else fputc('`', tout);
                    continue;
                }
                fputc(*x, tout);
            }
            col += vis;
            s = we;
        }
        if (t->tty && (bold || code)) { fputs("\033[0m", tout); bold = code = false; }
        fputc('\n', tout);
        lines++;
        p = *eol ? eol + 1 : eol;
    }
    return lines;
}

static void rule(const term_t *t)
{
    for (int i = 0; i < t->width - 1; i++) fputs(t->tty ? "\xe2\x94\x80" : "-", tout);
    fputc('\n', tout);
}

typedef struct flights {
    const sim_t *s;
    sim_time_t now;                /* to say when a message arrives: "in 4.1ms" */
    int n;
    char line[4][80];
    int want_type, n_want;         /* a highlighted message type, and how many of it fly */
} flights_t;

static void each_flight(void *ud, const sim_flight_t *f)
{
    flights_t *x = ud;
    if ((int)f->type == x->want_type) x->n_want++;
    if (x->n < 4) {
        sim_node_info_t a, b;
        sim_node_info(x->s, f->from, &a);
        sim_node_info(x->s, f->to, &b);
        char d[32];
        snprintf(x->line[x->n], sizeof x->line[0], "#%llu %s>%s %s in %s", (unsigned long long)f->id, a.name, b.name,
                 sim_msg_type_name(x->s, f->type), sim_format_duration_short(f->arrive_ns - x->now, d, sizeof d));
    }
    x->n++;
}

static bool highlighted_node(const lesson_step_t *st, uint32_t n)
{
    for (uint32_t i = 0; i < st->n_hl; i++) {
        const lesson_hl_t *h = &st->hl[i];
        if (h->kind == LESSON_HL_NODE && h->node == n) return true;
        if (h->kind == LESSON_HL_LINK && (h->node == n || h->node2 == n)) return true;
    }
    return false;
}

/* One side of a two-scenario lesson, as column lines of at most cw characters: the
 * scenario, a row per server (role and status) and the figures the sides differ by. */
static int side_lines(run_t *r, const char *tag, char lines[][48], int max, int cw)
{
    const sim_t *s = run_sim(r);
    const scn_t *scn = run_scenario(r);
    run_tally_t ty;
    run_tally(r, &ty);
    int n = 0;
    snprintf(lines[n++], 48, "%s %s (%s)", tag, scn->name, scn->proto->name);
    bool rows = (int)scn->n_servers + 3 <= max;
    if (!rows) {
        /* Not room for a row each: the roles by initial, a partition's groups apart,
         * "n1 L n2 F | n3 F n4 x n5 F" (x crashed). */
        int k = snprintf(lines[n], 48, " ");
        bool any = false;
        for (uint32_t g = 0; g <= 255 && k < 44; g++) {
            bool first = true;
            for (uint32_t i = 0; i < scn->n_servers && k < 44; i++) {
                sim_node_info_t ni;
                sim_node_info(s, i, &ni);
                if (ni.group != g) continue;
                const char *rn = sim_role_name(s, ni.role);
                char c = !ni.up ? 'x' : rn[0] >= 'a' && rn[0] <= 'z' ? (char)(rn[0] - 32) : rn[0] ? rn[0] : '?';
                k += snprintf(lines[n] + k, 48 - (size_t)k, "%s %s %c", first && any ? " |" : "", ni.name, c);
                first = false;
                any = true;
            }
            if (g > sim_n_groups(s)) break;
        }
        n++;
    }
    for (uint32_t i = 0; rows && i < scn->n_servers && n < max - 2; i++) {
        sim_node_info_t ni;
        sim_node_info(s, i, &ni);
        const char *status = !ni.member ? "outside" : !ni.up ? "CRASHED" : ni.paused ? "paused" : ni.isolated ? "isolated" : "up";
        char grp[8] = "";
        if (ni.group) snprintf(grp, sizeof grp, " g%u", ni.group);
        snprintf(lines[n++], 48, "  %-4s %-10.10s %-8s%s", ni.name, ni.up ? sim_role_name(s, ni.role) : "-", status, grp);
    }
    snprintf(lines[n++], 48, "  writes 1s: %llu ok, %llu refused", (unsigned long long)ty.recent_ok, (unsigned long long)ty.recent_refused);
    if (ty.has_stale) snprintf(lines[n++], 48, "  stale reads: %llu of %llu", (unsigned long long)ty.stale, (unsigned long long)ty.reads);
    for (int i = 0; i < n; i++) lines[i][cw] = 0;
    return n;
}

/* A two-scenario lesson's state: the two sides in two columns. */
static void print_pair_state(const term_t *t, lesson_play_t *p, int rows)
{
    enum { SIDE_LINES_MAX = 12 };
    char a[SIDE_LINES_MAX][48], b[SIDE_LINES_MAX][48];
    int cw = (t->width - 3) / 2;
    if (cw > 47) cw = 47;
    int max = rows - 1 < SIDE_LINES_MAX ? rows - 1 : SIDE_LINES_MAX;
    if (max < 3) max = 3;
    int na = side_lines(lesson_play_run(p), "A", a, max, cw), nb = side_lines(lesson_play_beside(p), "B", b, max, cw);
    for (int i = 0; i < na || i < nb; i++) fprintf(tout, "%-*s | %s\n", cw, i < na ? a[i] : "", i < nb ? b[i] : "");
}

/* The state as text: one line per server (at most 9), the messages in flight, and the
 * numbers the step points at. */
static void print_state(const term_t *t, lesson_play_t *p, int rows)
{
    bool pair = lesson_play_beside(p) != NULL;
    if (pair) print_pair_state(t, p, rows - 1);
    run_t *r = lesson_play_run(p);
    const sim_t *s = run_sim(r);
    const lesson_step_t *st = lesson_play_cur(p);
    const scn_t *scn = run_scenario(r);
    uint32_t n = scn->n_servers > 16 ? 16 : scn->n_servers;
    /* Which servers get a row when not all fit: highlighted ones first, then those in
     * a role other than the most common one (the leader among followers) among the
     * members, then the rest in order (one outside the cluster gets no preference); rows keeps
     * one line for "... and N more". */
    bool show[16] = {false};
    uint32_t shown = 0;
    if (rows < 1) rows = 1;
    if ((int)n <= rows) { for (uint32_t i = 0; i < n; i++) show[i] = true; shown = n; }
    else {
        int room = rows - 1;
        unsigned count[64] = {0};
        sim_node_info_t ni;
        for (uint32_t i = 0; i < n; i++) { sim_node_info(s, i, &ni); if (ni.role < 64) count[ni.role]++; }
        unsigned common = 0;
        for (unsigned k = 1; k < 64; k++) if (count[k] > count[common]) common = k;
        for (int pass = 0; pass < 3; pass++)
            for (uint32_t i = 0; i < n && (int)shown < room; i++) {
                if (show[i]) continue;
                sim_node_info(s, i, &ni);
                bool pick = pass == 0 ? highlighted_node(st, i) : pass == 1 ? ni.member && (!ni.up || ni.role != common) : true;
                if (pick) { show[i] = true; shown++; }
            }
    }
    int w = 4;
    for (uint32_t i = 0; i < n; i++) {
        sim_node_info_t ni;
        sim_node_info(s, i, &ni);
        if ((int)strlen(ni.name) > w) w = (int)strlen(ni.name);
    }
    if (!pair) fprintf(tout, "%-*s %-11s %-8s %4s %5s  %s\n", w, "node", "role", "status", "term", "log", "state");
    for (uint32_t i = 0; i < n && !pair; i++) {
        if (!show[i]) continue;
        sim_node_info_t ni;
        sim_node_info(s, i, &ni);
        proto_desc_t d;
        memset(&d, 0, sizeof d);
        d.term = -1;
        d.log_len = -1;
        sim_describe(s, i, &d);
        const char *status = !ni.member ? "outside" : !ni.up ? "CRASHED" : ni.paused ? "paused" : ni.isolated ? "isolated" : "up";
        char term[16] = "-", log[16] = "-", grp[8] = "";
        if (d.term >= 0) snprintf(term, sizeof term, "%lld", (long long)d.term);
        if (d.log_len >= 0) snprintf(log, sizeof log, "%lld", (long long)d.log_len);
        if (ni.group) snprintf(grp, sizeof grp, " g%u", ni.group);
        bool hl = highlighted_node(st, i);
        char line[160];
        snprintf(line, sizeof line, "%-*s %-11s %-8s %4s %5s  %s%s", w, ni.name, ni.up ? sim_role_name(s, ni.role) : "-",
                 status, term, log, d.line, grp);
        line[t->width - 3 > 0 && t->width - 3 < (int)sizeof line ? t->width - 3 : (int)sizeof line - 1] = 0;
        if (hl && t->tty) fprintf(tout, "\033[7m%s\033[0m <\n", line);
        else fprintf(tout, "%s%s\n", line, hl ? " <" : "");
    }
    if (scn->n_servers > shown && !pair) fprintf(tout, "... and %u more servers\n", scn->n_servers - shown);
    char buf[512];
    int k;
    if (!pair) {          /* two sides' messages would not fit; the columns say more */
        flights_t f = {.s = s, .now = run_now(r), .want_type = -1};
        sim_each_flight(s, each_flight, &f);
        k = snprintf(buf, sizeof buf, "in flight: %d", f.n);
        for (int i = 0; i < f.n && i < 3 && k < (int)sizeof buf; i++) k += snprintf(buf + k, sizeof buf - (size_t)k, "%s%s", i ? ", " : ": ", f.line[i]);
        if (f.n > 3 && k < (int)sizeof buf) snprintf(buf + k, sizeof buf - (size_t)k, ", ...");
        buf[t->width - 1 < (int)sizeof buf ? t->width - 1 : (int)sizeof buf - 1] = 0;
        fprintf(tout, "%s\n", buf);
    }
    k = 0;
    buf[0] = 0;
    for (uint32_t i = 0; i < st->n_hl && k < (int)sizeof buf; i++) {
        if (st->hl[i].kind != LESSON_HL_MESSAGE) continue;
        /* Message types are named by the protocol's list; the flights by their index after the built-ins. */
        flights_t g = {.s = s, .want_type = -1};
        for (unsigned ty = 0; ty < sim_n_msg_types(s); ty++)
            if (strcmp(sim_msg_type_name(s, ty), run_scenario(r)->proto->msg_types[st->hl[i].type]) == 0) g.want_type = (int)ty;
        sim_each_flight(s, each_flight, &g);
        k += snprintf(buf + k, sizeof buf - (size_t)k, "%swatch %s (%d in flight)", k ? "   " : "",
                      run_scenario(r)->proto->msg_types[st->hl[i].type], g.n_want);
    }
    for (uint32_t i = 0; i < st->n_hl && k < (int)sizeof buf; i++) {
        double v;
        if (st->hl[i].kind != LESSON_HL_FIELD || !lesson_play_hl_shown(p, &st->hl[i]) || lesson_play_field(p, &st->hl[i], &v) != SIM_OK) continue;
        char num[32];
        /* Durations (a path ending in _ns, or a part of one) read as durations, not 9.87e+06. */
        if (strstr(st->hl[i].path, "_ns") && v >= 1) sim_format_duration_short((sim_time_t)v, num, sizeof num);
        else if (v == (double)(long long)v) snprintf(num, sizeof num, "%lld", (long long)v);
        else snprintf(num, sizeof num, "%.4g", v);
        k += snprintf(buf + k, sizeof buf - (size_t)k, "%s%s = %s", k ? "   " : "", st->hl[i].label, num);
    }
    if (k) { buf[t->width - 1 < (int)sizeof buf ? t->width - 1 : (int)sizeof buf - 1] = 0; fprintf(tout, "%s\n", buf); }
}

static void screen(term_t *t, lesson_play_t *p)
{
    const lesson_t *l = lesson_play_lesson(p);
    const lesson_step_t *st = lesson_play_cur(p);
    run_t *r = lesson_play_run(p);
    if (t->tty) fputs("\033[H\033[2J", tout);
    else fputc('\n', tout);
    char d[32], head[256];
    snprintf(head, sizeof head, "%s \xc2\xb7 step %u of %u%s%s", l->title, lesson_play_step(p) + 1, l->n_steps,
             st->title[0] ? ": " : "", st->title);
    int hv = 0;
    for (const char *c = head; *c; c++) hv += (*c & 0xC0) != 0x80;
    if (run_now(r) > 0) sim_format_duration_short(run_now(r), d, sizeof d);
    else snprintf(d, sizeof d, "0s");
    int room = t->width - 1 - (int)strlen(d) - 3;
    if (hv > room) {
        /* Cut a long step title to one line, at a character boundary, with an ellipsis. */
        int v = 0;
        char *c = head;
        for (; *c; c++) if ((*c & 0xC0) != 0x80 && ++v > room - 1) break;
        snprintf(c, sizeof head - (size_t)(c - head), "\xe2\x80\xa6");
        hv = room;
    }
    int pad = t->width - 1 - hv - (int)strlen(d) - 2;
    fprintf(tout, "%s%s%s%*s t=%s\n", t->tty ? "\033[1m" : "", head, t->tty ? "\033[0m" : "", pad > 0 ? pad : 1, "", d);
    rule(t);
    /* The words first, into a buffer, to know how many lines the node table may have. */
    FILE *screen_out = tout;
    char *top = NULL, *bottom = NULL;
    size_t top_len = 0, bottom_len = 0;
    tout = open_memstream(&top, &top_len);
    print_rich(t, st->narration, "");
    if (lesson_play_trouble(p)) fprintf(tout, "(%s)\n", lesson_play_trouble(p));
    if (st->has_task) {
        char line[LESSON_TEXT_MAX + 32];
        snprintf(line, sizeof line, "%s %s", lesson_play_goal_met(p) ? "**Done.**" : "**Task:**",
                 lesson_play_goal_met(p) && st->done[0] ? st->done : st->task);
        print_rich(t, line, "");
    }
    if (st->has_question && (!st->has_task || lesson_play_goal_met(p))) {
        char line[LESSON_TEXT_MAX + 32];
        snprintf(line, sizeof line, "%s %s", lesson_play_answered(p) ? "**Answered:**" : "**Question:**", st->q.text);
        print_rich(t, line, "");
        for (uint32_t i = 0; i < st->q.n_choices; i++) {
            char c[LESSON_TEXT_MAX];
            snprintf(c, sizeof c, "  %c) %s", 'a' + i, st->q.choices[i].text);
            print_rich(t, c, "");
        }
    }
    fclose(tout);
    tout = open_memstream(&bottom, &bottom_len);
    if (t->msg[0]) { print_rich(t, t->msg, ""); t->msg[0] = 0; }
    fclose(tout);
    tout = screen_out;
    bool numbers = false;                   /* a line of the numbers the step points at */
    for (uint32_t i = 0; i < st->n_hl; i++)
        numbers |= (st->hl[i].kind == LESSON_HL_FIELD && lesson_play_hl_shown(p, &st->hl[i])) || st->hl[i].kind == LESSON_HL_MESSAGE;
    int used = 2 + 1 + 1 + 1 + 1 + (numbers ? 1 : 0) + 2;   /* header, rules, table header, in flight, numbers, prompt */
    for (size_t i = 0; i < top_len; i++) used += top[i] == '\n';
    for (size_t i = 0; i < bottom_len; i++) used += bottom[i] == '\n';
    fputs(top, tout);
    rule(t);
    print_state(t, p, t->height - used);
    rule(t);
    fputs(bottom, tout);
    free(top);
    free(bottom);
    const char *todo = lesson_play_can_next(p)
        ? (lesson_play_step(p) + 1 == l->n_steps ? "Enter finishes the lesson" : "Enter: next step")
        : st->has_task && !lesson_play_goal_met(p) ? "act, run 500ms, step, hint, show"
        : "answer a/b/... or a number";
    fprintf(tout, "[%s; back, help, quit]\n> ", todo);
    fflush(tout);
}

static const char term_help[] =
    "Commands: `crash n3`, `restart n3`, `pause n2`, `resume n2`, `isolate n1`, "
    "`partition n1,n2 | n3,n4,n5`, `heal`, `drop 17` (a message id from \"in flight\"), "
    "`skew n2 +2s`; `run 500ms` (or `run` for 1s), `step` (to the next event), `next` (or Enter), "
    "`back`, `hint`, `show` (plays the solution), `answer b`, `look`, `quit`.";

/* A letter or a number typed alone answers the question: "b", "12", "0.5". */
static bool is_bare_answer(const char *c)
{
    if (strlen(c) == 1 && c[0] >= 'a' && c[0] <= 'h') return true;
    char *e;
    strtod(c, &e);
    return e != c && *e == 0;
}

/* Runs one lesson in the terminal. Returns 0 when finished or quit. */
static int play_terminal(lesson_t *l, progress_t *prog)
{
    char err[1024];
    lesson_play_t *p = lesson_play_create(l, err, sizeof err);
    if (!p) { fprintf(stderr, "dsim lesson: %s\n", err); return 2; }
    term_t t = {.tty = isatty(1) && isatty(0), .width = 80, .height = 24};
    struct winsize ws;
    if (t.tty && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40) { t.width = ws.ws_col > 120 ? 120 : ws.ws_col; t.height = ws.ws_row; }
    progress_entry_t *pe = progress_of(prog, l->name);
    if (pe && pe->step > 0 && !pe->done && (uint32_t)pe->step < l->n_steps) {
        lesson_play_goto(p, (uint32_t)pe->step);
        snprintf(t.msg, sizeof t.msg, "Welcome back: you were at step %d.", pe->step + 1);
    } else {
        snprintf(t.msg, sizeof t.msg, "Type `help` for the commands; Enter goes on when a step is done.");
    }
    char line[512];
    int rc = 0;
    tout = stdout;
    for (;;) {
        screen(&t, p);
        if (!fgets(line, sizeof line, stdin)) break;
        size_t k = strlen(line);
        while (k && (line[k - 1] == '\n' || line[k - 1] == '\r' || line[k - 1] == ' ')) line[--k] = 0;
        char *c = line;
        while (*c == ' ') c++;
        const lesson_step_t *st = lesson_play_cur(p);
        bool was_met = lesson_play_goal_met(p);
        sim_action_t a;
        char aerr[512];
        int pr;
        if (!strcmp(c, "quit") || !strcmp(c, "q") || !strcmp(c, "exit")) break;
        else if (!strcmp(c, "help") || !strcmp(c, "?")) snprintf(t.msg, sizeof t.msg, "%s", term_help);
        else if (!strcmp(c, "look")) ;
        else if (!strcmp(c, "hint")) {
            const char *h = lesson_play_hint(p);
            snprintf(t.msg, sizeof t.msg, "%s%s", h ? "**Hint:** " : "", h ? h : st->n_hints ? "No more hints: try `show`." : "This step has no hints.");
        } else if (!strcmp(c, "show")) {
            if (!st->has_task) snprintf(t.msg, sizeof t.msg, "This step has nothing to show: it has no task.");
            else if (lesson_play_goal_met(p)) snprintf(t.msg, sizeof t.msg, "The task is done already.");
            else snprintf(t.msg, sizeof t.msg, "%s", lesson_play_show(p) ? "That is one way to do it." : "The solution did not reach the goal.");
        } else if (!strcmp(c, "step")) lesson_play_step_event(p);
        else if (!strncmp(c, "run", 3) && (!c[3] || c[3] == ' ')) {
            sim_time_t d = SIM_SEC;
            const char *arg = c + 3;
            while (*arg == ' ') arg++;
            if (*arg && sim_parse_duration(arg, false, &d) != SIM_OK) snprintf(t.msg, sizeof t.msg, "`run` takes a duration such as `500ms` or `2s`");
            else lesson_play_advance(p, d);
            if (run_at_end(lesson_play_run(p))) snprintf(t.msg, sizeof t.msg, "The run has reached its end.");
        } else if (!strncmp(c, "answer", 6) || (st->has_question && is_bare_answer(c))) {
            const char *ans = !strncmp(c, "answer", 6) ? c + 6 : c;
            char fb[LESSON_TEXT_MAX];
            if (st->has_task && !lesson_play_goal_met(p)) snprintf(t.msg, sizeof t.msg, "First the task; the question comes after.");
            else {
                int ok = lesson_play_answer(p, ans, fb, sizeof fb);
                /* An explanation that starts by saying so needs no "Right." of ours. */
                bool says = !strncmp(fb, "Right", 5) || !strncmp(fb, "Yes", 3) || !strncmp(fb, "Noted", 5);
                snprintf(t.msg, sizeof t.msg, "%s%s", ok == 1 && !says ? "**Right.** " : ok == 0 && st->q.n_choices ? "**Not that one.** " : "", fb);
            }
        } else if (!strcmp(c, "back")) {
            if (lesson_play_step(p) == 0) snprintf(t.msg, sizeof t.msg, "This is the first step.");
            else lesson_play_goto(p, lesson_play_step(p) - 1);
        } else if (!strcmp(c, "next") || !c[0]) {
            if (!lesson_play_can_next(p)) {
                snprintf(t.msg, sizeof t.msg, "%s", st->has_task && !lesson_play_goal_met(p)
                         ? "The task is not done yet (`hint` helps, `show` does it for you)."
                         : "Answer the question first (`answer b`, or a number).");
                if (!c[0] && !st->has_task && !st->has_question) lesson_play_advance(p, SIM_SEC);
            } else if (lesson_play_step(p) + 1 == l->n_steps) {
                if (pe) { pe->done = true; pe->step = 0; progress_save(prog); }
                printf("\nLesson finished: %s. dsim lesson lists what comes next.\n", l->title);
                break;
            } else {
                lesson_play_goto(p, lesson_play_step(p) + 1);
                if (pe && (int)lesson_play_step(p) > pe->step) { pe->step = (int)lesson_play_step(p); progress_save(prog); }
            }
        } else if ((pr = lesson_parse_command(l, c, &a, aerr, sizeof aerr)) == SIM_OK) {
            int arc = lesson_play_act(p, &a, aerr, sizeof aerr);
            if (arc == SIM_ENOTFOUND && lesson_play_beside(p)) snprintf(t.msg, sizeof t.msg, "Done on side A only: %s.", aerr);
            else if (arc != SIM_OK) snprintf(t.msg, sizeof t.msg, "Could not: %s", aerr);
            else snprintf(t.msg, sizeof t.msg, "Done: %s.", c);
        } else if (pr == SIM_EINPUT) snprintf(t.msg, sizeof t.msg, "%s", aerr);
        else snprintf(t.msg, sizeof t.msg, "Unknown command `%s`; `help` lists them.", c);
        if (!was_met && lesson_play_goal_met(p) && st->has_task) {
            char m[2048];
            snprintf(m, sizeof m, "**Goal reached.** %s", st->has_question ? "Now the question." : "Enter goes on.");
            size_t ml = strlen(t.msg);
            snprintf(t.msg + ml, sizeof t.msg - ml, "%s%s", ml ? " " : "", m);
        }
    }
    lesson_play_destroy(p);
    return rc;
}

static bool has_display(void)
{
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    return (x && x[0]) || (wl && wl[0]);
}

/* ---- The command. --------------------------------------------------------------------------- */

/* s cut to at most width columns between words, with an ellipsis when cut ("timeouts,
 * retries, unknown…" rather than "unknown o"); padded with spaces to width. */
static void fit_words(const char *s, int width, char *out, size_t out_len)
{
    int n = (int)strlen(s);
    if (n > width) {
        int cut = width - 1;
        while (cut > 0 && s[cut] != ' ') cut--;
        while (cut > 0 && (s[cut - 1] == ',' || s[cut - 1] == ' ' || s[cut - 1] == ':')) cut--;
        if (cut == 0) cut = width - 1;
        snprintf(out, out_len, "%.*s\u2026%*s", cut, s, width - cut - 1, "");
    } else {
        snprintf(out, out_len, "%-*s", width, s);
    }
}

static int list_lessons(progress_t *prog)
{
    char *files[LESSONS_FILES_MAX];
    int n = list_files(files, LESSONS_FILES_MAX);
    if (!n) { fprintf(stderr, "dsim lesson: no lessons in %s (set DSIM_LESSONS to the folder)\n", lessons_dir()); return 2; }
    int total = 0, done = 0;
    printf("    %-33s %-28s %3s  %s\n", "lesson", "topic", "min", "progress");
    for (int i = 0; i < n; i++) {
        lesson_t *l = calloc(1, sizeof *l);
        char err[1024];
        if (lesson_load_file(files[i], l, err, sizeof err) != SIM_OK) { printf("    %s\n", err); free(l); continue; }
        progress_entry_t *pe = progress_of(prog, l->name);
        char st[32] = "";
        if (pe && pe->done) { snprintf(st, sizeof st, "done"); done++; }
        else if (pe && pe->step > 0) snprintf(st, sizeof st, "step %d/%u", pe->step + 1, l->n_steps);
        char topic[128];
        fit_words(l->topic, 28, topic, sizeof topic);
        printf("%2d. %-33s %s %3d  %s\n", i + 1, l->name, topic, l->minutes, st);
        total += l->minutes;
        lesson_free(l);
        free(l);
    }
    printf("\n%d of %d done; about %d minutes in all. Start one with: dsim lesson NAME\n", done, n, total);
    free_files(files, n);
    return 0;
}

static int check_lessons(int n_args, const char **args)
{
    char *files[LESSONS_FILES_MAX];
    int n = 0;
    bool all = n_args == 1 && strcmp(args[0], "all") == 0;
    if (all) n = list_files(files, LESSONS_FILES_MAX);
    else for (int i = 0; i < n_args && n < LESSONS_FILES_MAX; i++) files[n++] = strdup(args[i]);
    if (!n) { fprintf(stderr, "dsim lesson check: no lessons found in %s\n", lessons_dir()); return 2; }
    int status = 0;
    for (int i = 0; i < n; i++) {
        lesson_t *l = calloc(1, sizeof *l);
        char err[1024];
        if (lesson_load_file(files[i], l, err, sizeof err) != SIM_OK) { fprintf(stderr, "%s\n", err); free(l); status = 2; continue; }
        fflush(stdout);
        int bad = lesson_check(l, stderr);
        printf("%s: %s (%u steps)\n", files[i], bad ? "FAILED" : "ok", l->n_steps);
        if (bad && status == 0) status = 1;
        lesson_free(l);
        free(l);
    }
    free_files(files, n);
    return status;
}

int cmd_lesson(int argc, char **argv)
{
    static const cli_flag_t flags[] = {{"--terminal", false}, {"--reset", false}, {"--screenshot", true}, {"--step", true}, {NULL, false}};
    const char *val[5] = {0}, *pos[64];
    int npos = 0;
    if (cli_parse("lesson", argc, argv, flags, val, pos, &npos, 64) != SIM_OK) return 2;
    progress_t *prog = calloc(1, sizeof *prog);
    progress_load(prog);
    int rc = 0;
    if (val[1]) {
        if (progress_reset(prog) != SIM_OK) { fprintf(stderr, "dsim lesson: cannot remove %s\n", prog->path); free(prog); return 2; }
        printf("Progress forgotten (%s).\n", prog->path);
        if (!npos) { free(prog); return 0; }
    }
    if (!npos) { rc = list_lessons(prog); free(prog); return rc; }
    if (strcmp(pos[0], "check") == 0) {
        if (npos < 2) { free(prog); return cli_usage_error("lesson", "check needs a lesson file or \"all\""); }
        rc = check_lessons(npos - 1, pos + 1);
        free(prog);
        return rc;
    }
    if (strcmp(pos[0], "record") == 0) {
        free(prog);
        if (npos != 3) return cli_usage_error("lesson", "record needs a scenario and the lesson file to write");
        char err[1024];
        int r = viz_lesson_record(pos[1], pos[2], err, sizeof err);
        if (r) fprintf(stderr, "dsim lesson record: %s\n", err);
        else printf("wrote %s: fill in the narration, then dsim lesson check %s\n", pos[2], pos[2]);
        return r;
    }
    if (npos > 1) { free(prog); return cli_usage_error("lesson", "one lesson at a time"); }
    char *path = find_lesson(pos[0]);
    if (!path) {
        fprintf(stderr, "dsim lesson: no lesson \"%s\" in %s; `dsim lesson` lists them\n", pos[0], lessons_dir());
        free(prog);
        return 2;
    }
    lesson_t *l = calloc(1, sizeof *l);
    char err[1024];
    if (lesson_load_file(path, l, err, sizeof err) != SIM_OK) { fprintf(stderr, "%s\n", err); free(l); free(path); free(prog); return 2; }
    free(path);
    if (val[2]) {
        /* One step of the lesson in the window's picture, with its panel: no display needed. */
        long step = val[3] ? strtol(val[3], NULL, 10) : 1;
        if (step < 1 || step > (long)l->n_steps) {
            rc = cli_usage_error("lesson", "--step takes a step from 1 to %u", l->n_steps);
        } else {
            /* Two scenarios get two panes as wide as the window gives them. */
            rc = viz_lesson_screenshot(l, (uint32_t)(step - 1), val[2], l->has_beside ? 1600 : 1280, l->has_beside ? 860 : 800,
                                       err, sizeof err);
            if (rc) fprintf(stderr, "dsim lesson: %s\n", err);
        }
    } else if (!val[0] && has_display()) {
        progress_entry_t *pe = progress_of(prog, l->name);
        uint32_t step = pe && !pe->done && pe->step > 0 ? (uint32_t)pe->step : 0;
        bool finished = false;
        rc = viz_lesson_window(l, &step, &finished, err, sizeof err);
        if (rc) {
            /* No window after all (a display that will not open): the terminal does the same. */
            fprintf(stderr, "dsim lesson: %s; going on in the terminal\n", err);
            rc = play_terminal(l, prog);
        } else if (pe) {
            if (finished) { pe->done = true; pe->step = 0; }
            else if ((int)step > pe->step) pe->step = (int)step;
            progress_save(prog);
        }
    } else {
        rc = play_terminal(l, prog);
    }
    lesson_free(l);
    free(l);
    free(prog);
    return rc;
}
