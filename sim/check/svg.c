/* svg.c -- lanes and bars for a history, highlighted by the checker's explanation.
 *
 * The layout is computed in two passes over the chosen operations: the ranks of their
 * events give x positions, the sorted list of their processes gives lanes. Everything
 * is plain SVG 1.1 with inline styles, so it shows in any browser and survives being
 * pasted into slides. Text from the history (keys, string values) is escaped for XML.
 *
 *   process 1  |  [== write 1 ==]          [= read -> 1 =]
 *   process 2  |        [====== read -> nil ======]         <- red: cannot be placed
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "core/afile.h"
#include "check/svg.h"

enum { ROLE_PLAIN, ROLE_PREFIX, ROLE_CULPRIT, ROLE_PENDING };

#define SVG_STEP_PX_MIN 14  /* horizontal distance between consecutive events, at least */
#define SVG_STEP_PX_MAX 64  /* and at most (small histories get room for their labels) */
#define SVG_LANE_PX 36      /* height of one lane */
#define SVG_LEFT_PX 96      /* room for lane labels */
#define SVG_CAPTION_CHARS 120

typedef struct sop {
    uint32_t inv, done;     /* event indexes; done may be HIST_NONE */
    int role;
    uint32_t order;         /* ROLE_PREFIX: position in the linearizable prefix, from 1 */
} sop_t;

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static int utf8_len(const unsigned char *s)
{
    int n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    return n;
}

/* Writes s as XML character data. Control bytes and broken UTF-8 (a value cut short
 * for display can end mid-character) become '?': XML parsers reject both. */
static void xml_text(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = utf8_len(p);
        if (n == 0 || *p < 0x20) { fputc('?', f); p++; continue; }
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fwrite(p, 1, (size_t)n, f);
        }
        p += n;
    }
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int sop_cmp(const void *a, const void *b)
{
    const sop_t *x = a, *y = b;
    return (x->inv > y->inv) - (x->inv < y->inv);
}

static sop_t *find_op(sop_t *ops, uint32_t n, uint32_t inv)
{
    sop_t key = { .inv = inv };
    return bsearch(&key, ops, n, sizeof *ops, sop_cmp);
}

static uint32_t rank_of(const uint32_t *evs, uint32_t n, uint32_t ev)
{
    const uint32_t *p = bsearch(&ev, evs, n, sizeof *evs, u32_cmp);
    sim_assert(p != NULL);
    return (uint32_t)(p - evs);
}

/* The bar's label: the function and its value, without the process (the lane says it). */
static void short_label(const hist_t *h, const sop_t *o, char *buf, size_t len)
{
    const hist_event_t *inv = &h->ev[o->inv];
    const char *f = hist_f_name(h, inv);
    char v[40];
    if (strcmp(f, "read") == 0 || strcmp(f, "get") == 0) {
        if (o->done != HIST_NONE && h->ev[o->done].type == HIST_OK)
            snprintf(buf, len, "%s \xe2\x86\x92 %s", f, hist_format_value(h, &h->ev[o->done], v, sizeof v));
        else
            snprintf(buf, len, "%s \xe2\x86\x92 ?", f);
    } else {
        snprintf(buf, len, "%s %s", f, hist_format_value(h, inv, v, sizeof v));
    }
}

/* Cuts label to at most max_chars characters (UTF-8 aware), ending it with an ellipsis
 * when cut; an empty label when not even three characters fit. */
static void fit_label(char *label, uint32_t max_chars)
{
    uint32_t chars = 0;
    size_t cut = 0, i = 0;
    while (label[i]) {
        if (chars == (max_chars > 0 ? max_chars - 1 : 0)) cut = i;
        i++;
        while (((unsigned char)label[i] & 0xc0) == 0x80) i++;
        chars++;
    }
    if (chars <= max_chars) return;
    if (max_chars < 3) { label[0] = 0; return; }
    memcpy(label + cut, "\xe2\x80\xa6", 4);   /* U+2026, and the terminator */
}

/* Writes text as caption lines of at most SVG_CAPTION_CHARS, broken at spaces. */
static uint32_t caption(FILE *f, const char *text, uint32_t y, bool draw)
{
    uint32_t lines = 0;
    const char *p = text;
    while (*p) {
        size_t n = strlen(p);
        if (n > SVG_CAPTION_CHARS) {
            n = SVG_CAPTION_CHARS;
            while (n > 20 && p[n] != ' ') n--;
            if (n == 20) {
                /* No space to break at: cut, but not inside a UTF-8 character. */
                n = SVG_CAPTION_CHARS;
                while (n > 1 && ((unsigned char)p[n] & 0xc0) == 0x80) n--;
            }
        }
        if (draw) {
            char line[SVG_CAPTION_CHARS + 1];
            memcpy(line, p, n);
            line[n] = 0;
            fprintf(f, "<text x=\"12\" y=\"%" PRIu32 "\" font-size=\"12\">", y + 16 * lines);
            xml_text(f, line);
            fputs("</text>\n", f);
        }
        lines++;
        p += n;
        while (*p == ' ') p++;
    }
    return lines;
}

/* The caption's sentences, one paragraph per entry. */
static uint32_t captions(const hist_t *h, const lin_result_t *r, uint32_t shown, uint32_t total,
                         char para[][600], uint32_t max)
{
    uint32_t n = 0;
    char d[320], why[256];
    sim_assert(max >= 6);
    if (!r) {
        snprintf(para[n++], 600, "History: %" PRIu32 " operations%s.", total, shown < total ? " (the first shown)" : "");
    } else if (r->verdict == LIN_OK) {
        snprintf(para[n++], 600, "Linearizable: all %" PRIu32 " operations on %" PRIu32 " key%s fit the %s model.",
                 r->n_ops, r->n_keys, r->n_keys == 1 ? "" : "s", lin_model_names[r->model]);
    } else if (r->verdict == LIN_UNKNOWN) {
        snprintf(para[n++], 600, "Unknown: the %s model's search stopped at its %s; %" PRIu32 " of %" PRIu32
                 " keys undecided, none violated so far.", lin_model_names[r->model],
                 r->unknown_reason ? r->unknown_reason : "limit", r->n_keys_unknown, r->n_keys);
    } else {
        const char *key = r->key >= 0 ? h->keys[r->key] : NULL;
        snprintf(para[n++], 600, "Not linearizable (%s model)%s%s%s. Drawn: %" PRIu32 " of its %" PRIu32
                 " operations.", lin_model_names[r->model], key ? ": key \"" : "", key ? key : "",
                 key ? "\"" : "", shown, total);
        snprintf(para[n++], 600, "Green numbers: the longest order the model accepts (%" PRIu32
                 " operations); after it the state is %s.", r->n_prefix, r->state);
        snprintf(para[n++], 600, "Red: %s has returned, so it must take effect next; it cannot: %s.",
                 lin_op_describe(h, r->culprit, d, sizeof d), lin_culprit_reason(h, r, why, sizeof why));
        if (r->n_pending == 1)
            snprintf(para[n++], 600, "Pink: the other operation that could come next; the model does not accept "
                     "it there either.");
        else if (r->n_pending > 1)
            snprintf(para[n++], 600, "Pink: the %" PRIu32 " other operations that could come next; the model "
                     "accepts none of them there either.", r->n_pending);
    }
    if (r && r->verdict != LIN_VIOLATED && shown < total)
        snprintf(para[n++], 600, "Drawn: the first %" PRIu32 " of %" PRIu32 " operations.", shown, total);
    snprintf(para[n++], 600, "Bars run from invocation to completion, placed by the order of events (not to "
             "scale). Dashed amber: info, which may take effect at any time after its invocation, or never. "
             "Grey: failed, which did not happen.");
    return n;
}

int lin_write_svg(const hist_t *h, const lin_result_t *r, const char *path)
{
    uint32_t *other = sim_xcalloc((size_t)h->n_ev + 1, sizeof *other);
    char err[160];
    if (hist_pair(h, other, err, sizeof err) != SIM_OK) {
        free(other);
        return SIM_EINPUT;
    }
    bool violated = r && r->verdict == LIN_VIOLATED;

    /* Choose the operations: the violated key's, or all. */
    uint32_t total = 0;
    for (uint32_t i = 0; i < h->n_ev; i++)
        if (h->ev[i].type == HIST_INVOKE && (!violated || h->ev[i].key == r->key)) total++;
    sop_t *ops = sim_xcalloc((size_t)total + 1, sizeof *ops);
    uint32_t n = 0, at_culprit = 0;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        if (h->ev[i].type != HIST_INVOKE || (violated && h->ev[i].key != r->key)) continue;
        if (violated && i == r->culprit.inv) at_culprit = n;
        ops[n++] = (sop_t){ .inv = i, .done = other[i] };
    }
    uint32_t first = 0, shown = n;
    if (n > SVG_OPS_MAX) {
        shown = SVG_OPS_MAX;
        if (violated) {
            /* A window around the culprit: the end of the prefix and the candidates. */
            first = at_culprit > SVG_OPS_MAX / 2 ? at_culprit - SVG_OPS_MAX / 2 : 0;
            if (first + SVG_OPS_MAX > n) first = n - SVG_OPS_MAX;
        }
    }
    sop_t *sel = ops + first;
    if (violated) {
        for (uint32_t k = 0; k < r->n_prefix; k++) {
            sop_t *o = find_op(sel, shown, r->prefix[k].inv);
            if (o) { o->role = ROLE_PREFIX; o->order = k + 1; }
        }
        for (uint32_t k = 0; k < r->n_pending; k++) {
            sop_t *o = find_op(sel, shown, r->pending[k].inv);
            if (o) o->role = ROLE_PENDING;
        }
        sop_t *o = find_op(sel, shown, r->culprit.inv);
        if (o) o->role = ROLE_CULPRIT;
    }

    /* x: ranks of the drawn events. y: lanes of the drawn processes. */
    uint32_t *evs = sim_xcalloc(2 * (size_t)shown + 1, sizeof *evs), n_evs = 0;
    uint32_t *procs = sim_xcalloc((size_t)shown + 1, sizeof *procs), n_procs = 0;
    for (uint32_t k = 0; k < shown; k++) {
        evs[n_evs++] = sel[k].inv;
        if (sel[k].done != HIST_NONE) evs[n_evs++] = sel[k].done;
        procs[k] = h->ev[sel[k].inv].process;
    }
    qsort(evs, n_evs, sizeof *evs, u32_cmp);
    qsort(procs, shown, sizeof *procs, u32_cmp);
    for (uint32_t k = 0; k < shown; k++)
        if (k == 0 || procs[k] != procs[k - 1]) procs[n_procs++] = procs[k];

    char para[8][600];
    uint32_t n_para = captions(h, r, shown, n, para, 8), cap_lines = 0;
    for (uint32_t k = 0; k < n_para; k++) cap_lines += caption(NULL, para[k], 0, false) + 1;
    uint32_t step = 800 / (n_evs + 2);
    step = step < SVG_STEP_PX_MIN ? SVG_STEP_PX_MIN : step > SVG_STEP_PX_MAX ? SVG_STEP_PX_MAX : step;
    uint32_t end_x = SVG_LEFT_PX + (n_evs + 1) * step;
    uint32_t width = end_x + 24 > 900 ? end_x + 24 : 900;
    uint32_t lanes_h = n_procs * SVG_LANE_PX;
    uint32_t height = 24 + lanes_h + 16 + cap_lines * 16 + 12;

    afile_t a;
    if (afile_open(&a, path) != SIM_OK) {
        free(other);
        free(ops);
        free(evs);
        free(procs);
        return SIM_EIO;
    }
    FILE *f = a.f;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%" PRIu32 "\" height=\"%" PRIu32 "\" "
               "viewBox=\"0 0 %" PRIu32 " %" PRIu32 "\" font-family=\"DejaVu Sans, Verdana, sans-serif\">\n",
            width, height, width, height);
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%" PRIu32 "\" height=\"%" PRIu32 "\" fill=\"#ffffff\"/>\n", width, height);

    fputs("<g class=\"lanes\">\n", f);
    for (uint32_t l = 0; l < n_procs; l++) {
        uint32_t y = 24 + l * SVG_LANE_PX;
        fprintf(f, "<line x1=\"%d\" y1=\"%" PRIu32 "\" x2=\"%" PRIu32 "\" y2=\"%" PRIu32 "\" stroke=\"#dddddd\"/>\n",
                SVG_LEFT_PX - 6, y + 30, end_x, y + 30);
        fprintf(f, "<text x=\"8\" y=\"%" PRIu32 "\" font-size=\"12\">process %" PRIu32 "</text>\n", y + 26, procs[l]);
    }
    fputs("</g>\n<g class=\"operations\">\n", f);
    /* Positions first, so that each label can be fitted into the space before the next
     * bar of its lane (labels never overlap; the tooltip always has everything). */
    uint32_t *x0 = sim_xcalloc((size_t)shown + 1, sizeof *x0), *x1 = sim_xcalloc((size_t)shown + 1, sizeof *x1);
    uint32_t *room = sim_xcalloc((size_t)shown + 1, sizeof *room), *lane = sim_xcalloc((size_t)shown + 1, sizeof *lane);
    uint32_t *last = sim_xcalloc((size_t)n_procs + 1, sizeof *last);
    for (uint32_t k = 0; k < shown; k++) {
        const sop_t *o = &sel[k];
        const uint32_t *lp = bsearch(&h->ev[o->inv].process, procs, n_procs, sizeof *procs, u32_cmp);
        sim_assert(lp != NULL);
        lane[k] = (uint32_t)(lp - procs);
        uint8_t type = o->done == HIST_NONE ? HIST_INFO : h->ev[o->done].type;
        x0[k] = SVG_LEFT_PX + rank_of(evs, n_evs, o->inv) * step;
        x1[k] = o->done == HIST_NONE || type == HIST_INFO ? end_x : SVG_LEFT_PX + rank_of(evs, n_evs, o->done) * step;
        if (x1[k] < x0[k] + 6) x1[k] = x0[k] + 6;
        room[k] = width - x0[k];
        if (last[lane[k]]) room[last[lane[k]] - 1] = x0[k] - x0[last[lane[k]] - 1];
        last[lane[k]] = k + 1;
    }
    for (uint32_t k = 0; k < shown; k++) {
        const sop_t *o = &sel[k];
        uint32_t y = 24 + lane[k] * SVG_LANE_PX + 14;
        uint8_t type = o->done == HIST_NONE ? HIST_INFO : h->ev[o->done].type;
        const char *fill = "#cfe3f7", *stroke = "#4a7fb5", *dash = "", *cls = "ok";
        if (type == HIST_FAIL) { fill = "#eeeeee"; stroke = "#999999"; dash = " stroke-dasharray=\"4 3\""; cls = "fail"; }
        if (type == HIST_INFO) { fill = "#fff3cd"; stroke = "#c9a227"; dash = " stroke-dasharray=\"4 3\""; cls = "info"; }
        if (o->role == ROLE_PREFIX) { stroke = "#2e7d32"; cls = "prefix"; }
        if (o->role == ROLE_PENDING) { fill = "#f8bbd0"; stroke = "#e53935"; cls = "pending"; }
        if (o->role == ROLE_CULPRIT) { fill = "#e53935"; stroke = "#b71c1c"; cls = "culprit"; }
        char label[80], d[320];
        if (o->role == ROLE_PREFIX) snprintf(label, sizeof label, "%" PRIu32 ". ", o->order);
        else label[0] = 0;
        size_t used = strlen(label);
        short_label(h, o, label + used, sizeof label - used);
        fit_label(label, room[k] > 8 ? (room[k] - 8) / 6 : 0);   /* about 6 px per character at 10 px */
        fprintf(f, "<g class=\"%s\"><title>", cls);
        xml_text(f, lin_op_describe(h, (lin_opref_t){ o->inv, o->done }, d, sizeof d));
        fprintf(f, "</title><rect x=\"%" PRIu32 "\" y=\"%" PRIu32 "\" width=\"%" PRIu32 "\" height=\"14\" rx=\"3\" "
                   "fill=\"%s\" stroke=\"%s\" stroke-width=\"%d\"%s/>",
                x0[k], y, x1[k] - x0[k], fill, stroke, o->role == ROLE_PLAIN ? 1 : 2, dash);
        fprintf(f, "<text x=\"%" PRIu32 "\" y=\"%" PRIu32 "\" font-size=\"10\"%s>", x0[k] + 2, y - 2,
                o->role == ROLE_CULPRIT ? " fill=\"#b71c1c\" font-weight=\"bold\"" : "");
        xml_text(f, label);
        fputs("</text></g>\n", f);
    }
    free(x0);
    free(x1);
    free(room);
    free(lane);
    free(last);
    fputs("</g>\n<g class=\"caption\">\n", f);
    uint32_t y = 24 + lanes_h + 24;
    for (uint32_t k = 0; k < n_para; k++) y += 16 * (caption(f, para[k], y, true) + 1);
    fputs("</g>\n</svg>\n", f);

    free(other);
    free(ops);
    free(evs);
    free(procs);
    return afile_commit(&a) == SIM_OK ? SIM_OK : SIM_EIO;
}
