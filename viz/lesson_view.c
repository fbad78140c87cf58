/* lesson_view.c -- the lesson panel drawn over the live view.
 *
 * A lesson step in the window is the ordinary view of the lesson's run (the engine's
 * play, lesson/lesson.h, owns the run) with a panel over the bottom of the canvas: the
 * lesson's title and "step k of n", the narration, the task or the question with its
 * choices, the numbers the step points at, and the buttons Back, Next, Hint and Show
 * me, which take clicks as the choices of a question do. Texts keep their {win:...}
 * parts and drop their {term:...} ones (lesson_text_for). Highlighted nodes get a
 * ring, highlighted links a line. It lives in its own file, drawing after viz_paint,
 * so the view's own painting can change freely under it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lesson/build.h"
#include "lesson/lesson.h"
#include "view_int.h"
#include "viz.h"
#include <SDL.h>

/* The narration without its markers: the panel's fonts have no inline styles. */
static void plain(const char *in_any, char *out, size_t len)
{
    char in[LESSON_TEXT_MAX + 64];
    lesson_text_for(in_any, LESSON_MODE_WINDOW, in, sizeof in);
    size_t k = 0;
    for (const char *c = in; *c && k + 4 < len; c++) {
        if (c[0] == '*' && c[1] == '*') { c++; continue; }
        if (*c == '`') continue;
        if ((c == in || c[-1] == '\n') && c[0] == '-' && c[1] == ' ') { out[k++] = ' '; out[k++] = '*'; continue; }
        out[k++] = *c;
    }
    out[k] = 0;
}

/* Lines the panel sets in bold: what the student is asked to do, and the hint. */
static bool strong_line(const char *line)
{
    return !strncmp(line, "Task:", 5) || !strncmp(line, "Done:", 5) || !strncmp(line, "Question:", 9) || !strncmp(line, "Hint:", 5);
}

static void button(viz_view_t *v, float x, float y, const char *label, bool enabled, float *w_out)
{
    float pad = 7 * v->s, h = viz_font_height(v->d, VIZ_FONT_BOLD) + 8 * v->s;
    float w = viz_text_width(v->d, VIZ_FONT_BOLD, label) + 2 * pad;
    viz_fill_round_rect(v->d, x, y, w, h, 5 * v->s, enabled ? v->th->accent : v->th->panel_alt);
    viz_text(v->d, VIZ_FONT_BOLD, x + pad, y + 4 * v->s, label, enabled ? v->th->bg : v->th->text_faint);
    *w_out = w;
}

/* Where the panel's buttons and the question's choices were drawn, for clicks: a
 * choice is a row of the panel, clickable while the question waits for an answer. */
typedef struct lesson_btns {
    viz_frect_t back, next, hint, show;
    viz_frect_t choice[LESSON_CHOICES_MAX];
    uint32_t n_choices;
} lesson_btns_t;

/* A choice's line in the panel's text starts with this byte and the choice's index. */
#define CHOICE_MARK '\x01'

/* Draws the panel and the highlights for the play's current step over the last frame:
 * hint and fb (feedback on an answer) may be NULL; typed is a number being typed. */
static void draw_lesson(viz_view_t *v, lesson_play_t *p, const char *hint, const char *fb, const char *typed, lesson_btns_t *btn)
{
    const lesson_t *l = lesson_play_lesson(p);
    const lesson_step_t *st = lesson_play_cur(p);
    const viz_theme_t *th = v->th;
    float s = v->s;
    /* Highlights first, under the panel. */
    for (uint32_t i = 0; i < st->n_hl; i++) {
        const lesson_hl_t *h = &st->hl[i];
        if (h->kind == LESSON_HL_NODE && h->node < v->lay.n_servers + v->lay.n_clients)
            viz_stroke_circle(v->d, v->lay.x[h->node], v->lay.y[h->node], viz_layout_radius(&v->lay, h->node) + 7 * s, 3 * s, th->accent);
        if (h->kind == LESSON_HL_LINK)
            viz_line(v->d, v->lay.x[h->node], v->lay.y[h->node], v->lay.x[h->node2], v->lay.y[h->node2], 4 * s, th->accent);
    }
    /* Then the words, measured before the panel is drawn behind them. */
    char body[3 * LESSON_TEXT_MAX], buf[LESSON_TEXT_MAX];
    size_t k = 0;
    plain(st->narration, body, sizeof body);
    k = strlen(body);
    if (st->has_task) {
        plain(lesson_play_goal_met(p) && st->done[0] ? st->done : st->task, buf, sizeof buf);
        k += (size_t)snprintf(body + k, sizeof body - k, "\n%s %s", lesson_play_goal_met(p) ? "Done:" : "Task:", buf);
    }
    if (st->has_task && !lesson_play_goal_met(p) && !strstr(st->task, "{win:"))
        /* A task without words of its own for the window: say what the window offers. */
        k += (size_t)snprintf(body + k, sizeof body - k, "\n(Here: Space plays and pauses; click a node to crash, pause or "
                              "restart it; drag across the canvas to cut the network; h heals.)");
    bool asking = st->has_question && !lesson_play_answered(p) && (!st->has_task || lesson_play_goal_met(p));
    if (st->has_question && (!st->has_task || lesson_play_goal_met(p))) {
        plain(st->q.text, buf, sizeof buf);
        k += (size_t)snprintf(body + k, sizeof body - k, "\nQuestion: %s", buf);
        /* Numbered as the keys that choose them; the terminal's letters mean the same. */
        for (uint32_t i = 0; i < st->q.n_choices && k < sizeof body; i++) {
            plain(st->q.choices[i].text, buf, sizeof buf);
            k += (size_t)snprintf(body + k, sizeof body - k, "\n%c%c%u)  %s", CHOICE_MARK, 'a' + i, i + 1, buf);
        }
    }
    for (uint32_t i = 0; i < st->n_hl && k < sizeof body; i++)
        if (st->hl[i].kind == LESSON_HL_MESSAGE)
            k += (size_t)snprintf(body + k, sizeof body - k, "\nWatch the %s messages.", run_scenario(v->ses)->proto->msg_types[st->hl[i].type]);
    bool first_field = true;
    for (uint32_t i = 0; i < st->n_hl && k < sizeof body; i++) {
        double x;
        if (st->hl[i].kind != LESSON_HL_FIELD || !lesson_play_hl_shown(p, &st->hl[i]) || lesson_play_field(p, &st->hl[i], &x) != SIM_OK) continue;
        char num[32];
        /* Durations read as durations, as in the terminal: 776ms, not 7.76e+08. */
        if (strstr(st->hl[i].path, "_ns") && x >= 1) sim_format_duration_short((sim_time_t)x, num, sizeof num);
        else snprintf(num, sizeof num, "%.4g", x);
        k += (size_t)snprintf(body + k, sizeof body - k, "%s%s = %s", first_field ? "\n" : "    ", st->hl[i].label, num);
        first_field = false;
    }
    if (asking && k < sizeof body)
        k += (size_t)snprintf(body + k, sizeof body - k, "\n%s%s", st->q.n_choices ? "(click a choice, or press its number)" : "Your answer (type it, then Enter): ",
                              st->q.n_choices ? "" : typed && typed[0] ? typed : "_");
    if (fb && fb[0] && k < sizeof body) { plain(fb, buf, sizeof buf); k += (size_t)snprintf(body + k, sizeof body - k, "\n%s", buf); }
    if (hint && k < sizeof body) { plain(hint, buf, sizeof buf); snprintf(body + k, sizeof body - k, "\nHint: %s", buf); }

    /* Over the side panel's lower part: the canvas, where the highlights are, stays clear. */
    float pad = 12 * s, x = v->panel.x + 8 * s, w = v->panel.w - 16 * s;
    float th_title = viz_font_height(v->d, VIZ_FONT_BOLD) + viz_font_height(v->d, VIZ_FONT_SMALL) + 2 * s, bh = viz_font_height(v->d, VIZ_FONT_BOLD) + 8 * s;
    float text_h = 0;
    /* viz_text_wrap takes one paragraph; each line of body is one. */
    char *save = NULL, copy[sizeof body];
    snprintf(copy, sizeof copy, "%s", body);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        bool choice = line[0] == CHOICE_MARK && line[1];
        text_h += viz_text_wrap(v->d, strong_line(line) ? VIZ_FONT_BOLD : VIZ_FONT_BODY, 0, 0, w - 2 * pad - (choice ? 16 * s : 0),
                                choice ? line + 2 : line, th->text, true) + (choice ? 10 * s : 4 * s);
    }
    if (asking && st->q.n_choices) {
        /* Room for the longest explanation a wrong choice can bring, kept while the
         * question waits: the panel grows upwards, and the choices must not move away
         * from the pointer that just clicked one. */
        float most = 0, fb_h = 0;
        for (uint32_t i = 0; i < st->q.n_choices; i++) {
            const char *e = st->q.choices[i].explain[0] ? st->q.choices[i].explain : st->q.explain;
            char t[LESSON_TEXT_MAX];
            plain(e, buf, sizeof buf);
            snprintf(t, sizeof t, "Not that one. %s", buf);
            float eh = viz_text_wrap(v->d, VIZ_FONT_BODY, 0, 0, w - 2 * pad, t, th->text, true) + 4 * s;
            if (eh > most) most = eh;
        }
        if (fb && fb[0]) {
            plain(fb, buf, sizeof buf);
            fb_h = viz_text_wrap(v->d, VIZ_FONT_BODY, 0, 0, w - 2 * pad, buf, th->text, true) + 4 * s;
        }
        if (most > fb_h) text_h += most - fb_h;
    }
    float h = pad + th_title + 8 * s + text_h + 8 * s + bh + pad;
    float y = v->panel.y + v->panel.h - h - 8 * s;
    if (y < v->panel.y + 8 * s) y = v->panel.y + 8 * s;
    viz_fill_round_rect(v->d, x + 3 * s, y + 4 * s, w, h, 10 * s, th->shadow);
    viz_fill_round_rect(v->d, x, y, w, h, 10 * s, th->panel);
    viz_stroke_round_rect(v->d, x, y, w, h, 10 * s, 1.5f * s, th->accent);
    char head[512];
    snprintf(head, sizeof head, "%s  -  step %u of %u%s%s", l->title, lesson_play_step(p) + 1, l->n_steps,
             st->title[0] ? ": " : "", st->title);
    viz_text_fit(v->d, VIZ_FONT_BOLD, x + pad, y + pad, w - 2 * pad, l->title, th->text);
    snprintf(head, sizeof head, "step %u of %u%s%s", lesson_play_step(p) + 1, l->n_steps, st->title[0] ? ": " : "", st->title);
    viz_text_fit(v->d, VIZ_FONT_SMALL, x + pad, y + pad + viz_font_height(v->d, VIZ_FONT_BOLD) + 2 * s, w - 2 * pad, head, th->text_dim);
    float ty = y + pad + th_title + 8 * s;
    lesson_btns_t dummy;
    if (!btn) btn = &dummy;
    btn->n_choices = 0;
    snprintf(copy, sizeof copy, "%s", body);
    save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == CHOICE_MARK && line[1]) {
            /* A choice: a row with a background while it can be clicked. */
            uint32_t ci = (uint32_t)(line[1] - 'a');
            float lh = viz_text_wrap(v->d, VIZ_FONT_BODY, 0, 0, w - 2 * pad - 16 * s, line + 2, th->text, true);
            viz_frect_t r = {x + pad, ty, w - 2 * pad, lh + 6 * s};
            if (asking) {
                /* Under the pointer, a choice lights up: it says it can be clicked. */
                bool hover = v->mouse_in && viz_in(&r, v->mx, v->my);
                viz_rgba_t bg = th->panel_alt;
                if (hover) { bg = th->accent; bg.a = 70; }
                viz_fill_round_rect(v->d, r.x, r.y, r.w, r.h, 4 * s, bg);
            }
            viz_text_wrap(v->d, VIZ_FONT_BODY, x + pad + 8 * s, ty + 3 * s, w - 2 * pad - 16 * s, line + 2, th->text, false);
            if (asking && ci < LESSON_CHOICES_MAX) { btn->choice[ci] = r; if (ci + 1 > btn->n_choices) btn->n_choices = ci + 1; }
            ty += lh + 10 * s;
            continue;
        }
        bool strong = strong_line(line);
        ty += viz_text_wrap(v->d, strong ? VIZ_FONT_BOLD : VIZ_FONT_BODY, x + pad, ty, w - 2 * pad, line,
                            strong ? th->accent : th->text, false) + 4 * s;
    }
    float bx = x + pad, by = y + h - pad - bh, bw;
    button(v, bx, by, "< Back", lesson_play_step(p) > 0, &bw);
    btn->back = (viz_frect_t){bx, by, bw, bh};
    bx += bw + 6 * s;
    button(v, bx, by, "Next >", lesson_play_can_next(p), &bw);
    btn->next = (viz_frect_t){bx, by, bw, bh};
    bx += bw + 6 * s;
    button(v, bx, by, "Hint", st->n_hints > lesson_play_hints_given(p), &bw);
    btn->hint = (viz_frect_t){bx, by, bw, bh};
    bx += bw + 6 * s;
    button(v, bx, by, "Show me", st->has_task && !lesson_play_goal_met(p), &bw);
    btn->show = (viz_frect_t){bx, by, bw, bh};
    viz_draw_flush(v->d);
}

int viz_lesson_screenshot(const lesson_t *l, uint32_t step, const char *png, int w, int h, char *err, size_t err_len)
{
    lesson_play_t *p = lesson_play_create(l, err, err_len);
    if (!p) return 2;
    if (step >= l->n_steps) { snprintf(err, err_len, "the lesson has %u steps", l->n_steps); lesson_play_destroy(p); return 2; }
    lesson_play_goto(p, step);
    const char *hint = lesson_play_hint(p);
    viz_view_opts_t o = {.w = w, .h = h, .select = -1};
    if (lesson_play_beside(p)) {
        /* Two scenarios: both panes, the lesson panel over the left one. */
        run_t *r[2] = {lesson_play_run(p), lesson_play_beside(p)};
        viz_view_hook_t panel = {0};         /* lays the panes out as the lesson window does */
        o.hook = &panel;
        viz_pair_t *pr = viz_pair_create_offscreen(r, &o, err, err_len);
        if (!pr) { lesson_play_destroy(p); return 2; }
        for (uint32_t k = 0; k <= step; k++)       /* the speed the steps so far set */
            for (int side = 0; side < 2 && l->steps[k].speed_ns > 0; side++)
                viz_view_set_speed(viz_pair_pane(pr, side), (double)l->steps[k].speed_ns);
        viz_pair_render(pr);
        draw_lesson(viz_pair_pane(pr, 0), p, hint, NULL, NULL, NULL);
        int rc = viz_pair_save_png(pr, png) == 0 ? 0 : 2;
        if (rc) snprintf(err, err_len, "%s: cannot write the picture", png);
        viz_pair_destroy(pr);
        lesson_play_destroy(p);
        return rc;
    }
    viz_view_t *v = viz_view_create_offscreen(lesson_play_run(p), &o, err, err_len);
    if (!v) { lesson_play_destroy(p); return 2; }
    /* The speed a student going through the steps would have now: the last one set. */
    for (uint32_t k = 0; k <= step; k++)
        if (l->steps[k].speed_ns > 0) viz_view_set_speed(v, (double)l->steps[k].speed_ns);
    viz_view_render(v);
    draw_lesson(v, p, hint, NULL, NULL, NULL);
    int rc = viz_view_save_png(v, png) == 0 ? 0 : 2;
    if (rc) snprintf(err, err_len, "%s: cannot write the picture", png);
    viz_view_destroy(v);
    lesson_play_destroy(p);
    return rc;
}

/* ---- The window. ---------------------------------------------------------------- */

typedef struct lesson_win {
    lesson_play_t *p;
    uint32_t shown_step;           /* the step the view last paused for */
    const char *hint;              /* the last hint given in this step */
    char fb[LESSON_TEXT_MAX];      /* feedback on the last answer */
    char typed[32];                /* a number being typed */
    lesson_btns_t btn;
    bool finished;
} lesson_win_t;

/* A new step: pause at its boundary, at its speed, with nothing said yet. */
static void step_entered(lesson_win_t *w, viz_view_t *v)
{
    const lesson_step_t *st = lesson_play_cur(w->p);
    w->shown_step = lesson_play_step(w->p);
    w->hint = NULL;
    w->fb[0] = w->typed[0] = 0;
    viz_view_set_playing(v, false);
    if (st->speed_ns > 0) viz_view_set_speed(v, (double)st->speed_ns);
    if (lesson_play_trouble(w->p)) viz_view_toast(v, lesson_play_trouble(w->p));
}

static void go_next(lesson_win_t *w, viz_view_t *v)
{
    const lesson_t *l = lesson_play_lesson(w->p);
    if (!lesson_play_can_next(w->p)) {
        viz_view_toast(v, lesson_play_cur(w->p)->has_task && !lesson_play_goal_met(w->p)
                       ? "the task is not done yet: Hint helps, Show me does it"
                       : "answer the question first");
        return;
    }
    if (lesson_play_step(w->p) + 1 == l->n_steps) { w->finished = true; v->quit = true; return; }
    lesson_play_goto(w->p, lesson_play_step(w->p) + 1);
    step_entered(w, v);
}

static void go_back(lesson_win_t *w, viz_view_t *v)
{
    if (lesson_play_step(w->p) == 0) return;
    lesson_play_goto(w->p, lesson_play_step(w->p) - 1);
    step_entered(w, v);
}

static void give_hint(lesson_win_t *w, viz_view_t *v)
{
    const char *h = lesson_play_hint(w->p);
    if (h) w->hint = h;
    else viz_view_toast(v, "no more hints: Show me plays the solution");
}

static void show_me(lesson_win_t *w, viz_view_t *v)
{
    const lesson_step_t *st = lesson_play_cur(w->p);
    if (!st->has_task || lesson_play_goal_met(w->p)) return;
    viz_view_toast(v, lesson_play_show(w->p) ? "that is one way to do it" : "the solution did not reach the goal");
    viz_view_set_playing(v, false);
}

static void answer(lesson_win_t *w, const char *a)
{
    int ok = lesson_play_answer(w->p, a, w->fb, sizeof w->fb);
    /* As the terminal says it: an explanation that starts by saying so needs no word of ours. */
    bool says = !strncmp(w->fb, "Right", 5) || !strncmp(w->fb, "Yes", 3) || !strncmp(w->fb, "Noted", 5);
    const char *lead = ok == 1 && !says ? "Right. " : ok == 0 && lesson_play_cur(w->p)->q.n_choices ? "Not that one. " : "";
    if (lead[0]) {
        char t[LESSON_TEXT_MAX];
        snprintf(t, sizeof t, "%s%s", lead, w->fb);
        snprintf(w->fb, sizeof w->fb, "%s", t);
    }
}

static void win_tick(void *ud, viz_view_t *v)
{
    lesson_win_t *w = ud;
    if (lesson_play_poll(w->p)) {
        viz_view_set_playing(v, false);
        viz_view_toast(v, lesson_play_cur(w->p)->has_question ? "goal reached: now the question" : "goal reached: Next goes on");
    }
}

static void win_paint(void *ud, viz_view_t *v)
{
    lesson_win_t *w = ud;
    draw_lesson(v, w->p, w->hint, w->fb, w->typed, &w->btn);
}

static bool win_key(void *ud, viz_view_t *v, int sym)
{
    lesson_win_t *w = ud;
    const lesson_step_t *st = lesson_play_cur(w->p);
    bool asking = st->has_question && !lesson_play_answered(w->p) && (!st->has_task || lesson_play_goal_met(w->p));
    if (asking && st->q.n_choices && sym >= SDLK_1 && sym < SDLK_1 + (int)st->q.n_choices) {
        char a[2] = {(char)('a' + (sym - SDLK_1)), 0};
        answer(w, a);
        return true;
    }
    if (asking && !st->q.n_choices && ((sym >= SDLK_0 && sym <= SDLK_9) || sym == SDLK_PERIOD || sym == SDLK_MINUS)) {
        size_t k = strlen(w->typed);
        if (k + 1 < sizeof w->typed) { w->typed[k] = (char)sym; w->typed[k + 1] = 0; }
        return true;
    }
    if (asking && !st->q.n_choices && sym == SDLK_BACKSPACE) {
        size_t k = strlen(w->typed);
        if (k) w->typed[k - 1] = 0;
        return true;
    }
    switch (sym) {
    case SDLK_RETURN: case SDLK_KP_ENTER:
        if (asking && !st->q.n_choices && w->typed[0]) { answer(w, w->typed); w->typed[0] = 0; }
        else go_next(w, v);
        return true;
    case SDLK_PAGEDOWN: go_next(w, v); return true;
    case SDLK_PAGEUP: go_back(w, v); return true;
    case SDLK_TAB: give_hint(w, v); return true;
    case SDLK_F5: show_me(w, v); return true;
    default: return false;
    }
}

static bool win_click(void *ud, viz_view_t *v, float x, float y)
{
    lesson_win_t *w = ud;
    if (viz_in(&w->btn.back, x, y)) { go_back(w, v); return true; }
    if (viz_in(&w->btn.next, x, y)) { go_next(w, v); return true; }
    if (viz_in(&w->btn.hint, x, y)) { give_hint(w, v); return true; }
    if (viz_in(&w->btn.show, x, y)) { show_me(w, v); return true; }
    for (uint32_t i = 0; i < w->btn.n_choices; i++)
        if (viz_in(&w->btn.choice[i], x, y)) {
            char a[2] = {(char)('a' + i), 0};
            answer(w, a);
            return true;
        }
    return false;
}

int viz_lesson_window(const lesson_t *l, uint32_t *step, bool *finished, char *err, size_t err_len)
{
    lesson_win_t w = {0};
    w.p = lesson_play_create(l, err, err_len);
    if (!w.p) return 2;
    if (*step > 0 && *step < l->n_steps) lesson_play_goto(w.p, *step);
    viz_view_hook_t hook = {.ud = &w, .tick = win_tick, .paint = win_paint, .key = win_key, .click = win_click};
    char title[300];
    snprintf(title, sizeof title, "dsim lesson: %s", l->title);
    viz_view_opts_t o = {.w = 1280, .h = 800, .select = -1, .layout = VIZ_LAYOUT_AUTO, .hook = &hook, .title = title};
    const lesson_step_t *st0 = lesson_play_cur(w.p);
    if (st0->speed_ns > 0) o.speed_ns = (double)st0->speed_ns;
    w.shown_step = lesson_play_step(w.p);
    o.paused = true;
    int rc;
    if (lesson_play_beside(w.p)) {
        run_t *r[2] = {lesson_play_run(w.p), lesson_play_beside(w.p)};
        o.w = 1600;
        o.h = 860;
        rc = viz_pair_run_window(r, &o, err, err_len);
    } else {
        rc = viz_view_run_window(lesson_play_run(w.p), &o, err, err_len);
    }
    *step = lesson_play_step(w.p);
    *finished = w.finished;
    lesson_play_destroy(w.p);
    return rc;
}

/* Where a click token of viz_lesson_script aims: the middle of a button or a choice,
 * in window pixels (the view's are those times its scale). false: not drawn now. */
static bool click_target(const lesson_win_t *w, const viz_view_t *v, char what, int *px, int *py)
{
    const viz_frect_t *r = what == 'b' ? &w->btn.back : what == 'n' ? &w->btn.next : what == 'h' ? &w->btn.hint
                         : what == 's' ? &w->btn.show : NULL;
    if (what >= '1' && what <= '8') r = (uint32_t)(what - '1') < w->btn.n_choices ? &w->btn.choice[what - '1'] : NULL;
    if (!r || r->w <= 0) return false;
    *px = (int)((r->x + r->w / 2) / v->s);
    *py = (int)((r->y + r->h / 2) / v->s);
    return true;
}

/* A mouse event as the window's loop hands it to the lesson (viz/view.c): a left
 * button press at window pixels, scaled to the view's. */
static void mouse_event(lesson_win_t *w, viz_view_t *v, const SDL_Event *e)
{
    if (e->type != SDL_MOUSEBUTTONDOWN || e->button.button != SDL_BUTTON_LEFT) return;
    v->mx = (float)e->button.x * v->s;
    v->my = (float)e->button.y * v->s;
    v->mouse_in = true;
    win_click(w, v, v->mx, v->my);
}

/* The window's lesson logic without a window: each character of keys is one key press
 * ('\n' Enter, '\t' Tab, '<' PageUp, '!' F5, digits, '.' and '-' as typed), and ' ' lets
 * the view play for one second of wall time in frames of 1/30 s, as the window would
 * once the student pressed Space. '@' and one more character is a mouse click, pushed
 * through SDL's event queue, on the middle of what was drawn last: '@n' Next, '@b'
 * Back, '@h' Hint, '@s' Show me, '@1' to '@8' a choice. Then the frame is drawn with
 * the panel into png. */
int viz_lesson_script(const lesson_t *l, const char *keys, const char *png, uint32_t *step, char *err, size_t err_len)
{
    lesson_win_t w = {0};
    bool events = strchr(keys, '@') != NULL;
    if (events && SDL_InitSubSystem(SDL_INIT_EVENTS) != 0) { snprintf(err, err_len, "SDL events: %s", SDL_GetError()); return 2; }
    w.p = lesson_play_create(l, err, err_len);
    if (!w.p) { if (events) SDL_QuitSubSystem(SDL_INIT_EVENTS); return 2; }
    viz_view_opts_t o = {.w = 1280, .h = 800, .select = -1, .layout = VIZ_LAYOUT_AUTO};
    viz_view_t *v = viz_view_create_offscreen(lesson_play_run(w.p), &o, err, err_len);
    if (!v) { lesson_play_destroy(w.p); if (events) SDL_QuitSubSystem(SDL_INIT_EVENTS); return 2; }
    step_entered(&w, v);
    viz_view_render(v);
    win_paint(&w, v);
    int rc = 0;
    for (const char *c = keys; *c && !w.finished; c++) {
        int sym = *c == '\n' ? SDLK_RETURN : *c == '\t' ? SDLK_TAB : *c == '<' ? SDLK_PAGEUP : *c == '!' ? SDLK_F5 : *c;
        if (*c == '@') {
            int px, py;
            if (!c[1] || !click_target(&w, v, c[1], &px, &py)) {
                snprintf(err, err_len, "nothing to click for \"@%c\" on this screen", c[1] ? c[1] : ' ');
                rc = 2;
                break;
            }
            c++;
            SDL_Event e = {.type = SDL_MOUSEBUTTONDOWN};
            e.button.button = SDL_BUTTON_LEFT;
            e.button.state = SDL_PRESSED;
            e.button.x = px;
            e.button.y = py;
            SDL_PushEvent(&e);
            while (SDL_PollEvent(&e)) mouse_event(&w, v, &e);
        } else if (*c == ' ') {
            viz_view_set_playing(v, true);
            for (int f = 0; f < 30 && v->playing; f++) { viz_view_advance(v, 1.0 / 30); win_tick(&w, v); }
            viz_view_set_playing(v, false);
        } else {
            win_key(&w, v, sym);
        }
        viz_view_render(v);
        win_paint(&w, v);
    }
    if (rc == 0 && png && viz_view_save_png(v, png) != 0) { rc = 2; snprintf(err, err_len, "%s: cannot write the picture", png); }
    *step = lesson_play_step(w.p);
    viz_view_destroy(v);
    lesson_play_destroy(w.p);
    if (events) SDL_QuitSubSystem(SDL_INIT_EVENTS);
    return rc;
}

/* ---- Recording a lesson. ------------------------------------------------------------ */

typedef struct lesson_rec {
    sim_time_t stops[64];
    uint32_t n_stops;
    bool was_playing;
} lesson_rec_t;

/* Every moment the instructor pauses at becomes a stop, so a step. */
static void rec_tick(void *ud, viz_view_t *v)
{
    lesson_rec_t *r = ud;
    sim_time_t now = run_now(v->ses);
    if (r->was_playing && !v->playing && r->n_stops < 64 && (r->n_stops == 0 || now > r->stops[r->n_stops - 1]) && now > 0) {
        r->stops[r->n_stops++] = now;
        char msg[96], d[32];
        snprintf(msg, sizeof msg, "stop %u recorded at %s: a step of the lesson", r->n_stops, sim_format_duration(now, d, sizeof d));
        viz_view_toast(v, msg);
    }
    r->was_playing = v->playing;
}

int viz_lesson_record(const char *scenario_path, const char *out_path, char *err, size_t err_len)
{
    run_t *r = run_open(scenario_path, NULL, err, err_len);
    if (!r) return 2;
    lesson_rec_t rec = {0};
    viz_view_hook_t hook = {.ud = &rec, .tick = rec_tick};
    char title[300];
    snprintf(title, sizeof title, "dsim lesson record: %s -> %s (each pause is a step)", scenario_path, out_path);
    viz_view_opts_t o = {.w = 1280, .h = 800, .select = -1, .layout = VIZ_LAYOUT_AUTO, .hook = &hook, .title = title, .paused = true};
    int rc = viz_view_run_window(r, &o, err, err_len);
    if (rc == 0) {
        uint32_t n;
        const sim_action_t *acts = run_actions(r, &n);
        rc = lesson_build_write(scenario_path, run_sim(r), acts, n, rec.stops, rec.n_stops, out_path, err, err_len) == SIM_OK ? 0 : 2;
    }
    run_destroy(r);
    return rc;
}
