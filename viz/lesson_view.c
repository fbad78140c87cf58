/* lesson_view.c -- the lesson panel drawn over the live view.
 *
 * A lesson step in the window is the ordinary view of the lesson's run (the engine's
 * play, lesson/lesson.h, owns the run) with a panel over the bottom of the canvas: the
 * lesson's title and "step k of n", the narration, the task or the question with its
 * choices, the numbers the step points at, and the buttons Back, Next, Hint and Show
 * me. Highlighted nodes get a ring, highlighted links a line. It lives in its own file,
 * drawing after viz_paint, so the view's own painting can change freely under it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lesson/lesson.h"
#include "view_int.h"
#include "viz.h"

/* The narration without its markers: the panel's fonts have no inline styles. */
static void plain(const char *in, char *out, size_t len)
{
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

/* Draws the panel and the highlights for the play's current step over the last frame. */
static void draw_lesson(viz_view_t *v, lesson_play_t *p, const char *hint)
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
    if (st->has_question && (!st->has_task || lesson_play_goal_met(p))) {
        plain(st->q.text, buf, sizeof buf);
        k += (size_t)snprintf(body + k, sizeof body - k, "\nQuestion: %s", buf);
        for (uint32_t i = 0; i < st->q.n_choices && k < sizeof body; i++) {
            plain(st->q.choices[i].text, buf, sizeof buf);
            k += (size_t)snprintf(body + k, sizeof body - k, "\n   %c)  %s", 'a' + i, buf);
        }
    }
    for (uint32_t i = 0; i < st->n_hl && k < sizeof body; i++) {
        double x;
        if (st->hl[i].kind != LESSON_HL_FIELD || lesson_play_field(p, &st->hl[i], &x) != SIM_OK) continue;
        k += (size_t)snprintf(body + k, sizeof body - k, "%s%s = %.4g", i && body[k - 1] != '\n' ? "    " : "\n", st->hl[i].label, x);
    }
    if (hint && k < sizeof body) { plain(hint, buf, sizeof buf); snprintf(body + k, sizeof body - k, "\nHint: %s", buf); }

    /* Over the side panel's lower part: the canvas, where the highlights are, stays clear. */
    float pad = 12 * s, x = v->panel.x + 8 * s, w = v->panel.w - 16 * s;
    float th_title = viz_font_height(v->d, VIZ_FONT_BOLD) + viz_font_height(v->d, VIZ_FONT_SMALL) + 2 * s, bh = viz_font_height(v->d, VIZ_FONT_BOLD) + 8 * s;
    float text_h = 0;
    /* viz_text_wrap takes one paragraph; each line of body is one. */
    char *save = NULL, copy[sizeof body];
    snprintf(copy, sizeof copy, "%s", body);
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        text_h += viz_text_wrap(v->d, strong_line(line) ? VIZ_FONT_BOLD : VIZ_FONT_BODY, 0, 0, w - 2 * pad, line, th->text, true) + 4 * s;
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
    snprintf(copy, sizeof copy, "%s", body);
    save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        bool strong = strong_line(line);
        ty += viz_text_wrap(v->d, strong ? VIZ_FONT_BOLD : VIZ_FONT_BODY, x + pad, ty, w - 2 * pad, line,
                            strong ? th->accent : th->text, false) + 4 * s;
    }
    float bx = x + pad, by = y + h - pad - bh, bw;
    button(v, bx, by, "< Back", lesson_play_step(p) > 0, &bw);
    bx += bw + 6 * s;
    button(v, bx, by, "Next >", lesson_play_can_next(p), &bw);
    bx += bw + 6 * s;
    button(v, bx, by, "Hint", st->n_hints > lesson_play_hints_given(p), &bw);
    bx += bw + 6 * s;
    button(v, bx, by, "Show me", st->has_task && !lesson_play_goal_met(p), &bw);
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
    viz_view_t *v = viz_view_create_offscreen(lesson_play_run(p), &o, err, err_len);
    if (!v) { lesson_play_destroy(p); return 2; }
    viz_view_render(v);
    draw_lesson(v, p, hint);
    int rc = viz_view_save_png(v, png) == 0 ? 0 : 2;
    if (rc) snprintf(err, err_len, "%s: cannot write the picture", png);
    viz_view_destroy(v);
    lesson_play_destroy(p);
    return rc;
}
