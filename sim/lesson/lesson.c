/* lesson.c -- loading lessons, playing them step by step, and checking them.
 *
 * The loader walks the lesson's JSON with ld.h, as the scenario loader does, so a
 * mistake reads the same way in both ("FILE: $.steps[2].hints[0]: expected ..."). The
 * scenario is loaded first: conditions, actions and highlights name its nodes and
 * message types. A play is a thin state machine over one run_t; the check is a play
 * whose student always chooses "show me".
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lesson/lesson.h"
#include "run/pair.h"
#include "scenario/cond_load.h"
#include "scenario/ld.h"

/* ---- Strings the lesson owns. --------------------------------------------------- */

static const char *own(lesson_t *l, const char *s)
{
    if (l->n_strs == l->cap_strs) {
        l->cap_strs = l->cap_strs ? 2 * l->cap_strs : 64;
        l->strs = sim_xrealloc(l->strs, l->cap_strs * sizeof *l->strs);
    }
    size_t n = strlen(s) + 1;
    char *p = sim_xcalloc(n, 1);
    memcpy(p, s, n);
    l->strs[l->n_strs++] = p;
    return p;
}

void lesson_free(lesson_t *l)
{
    for (uint32_t i = 0; i < l->n_strs; i++) free(l->strs[i]);
    free(l->strs);
    free(l->path);
    free(l->name);
    free(l->scenario_path);
    free(l->beside_path);
    if (l->scn.path) scn_free(&l->scn);
    if (l->has_beside && l->beside.path) scn_free(&l->beside);
    memset(l, 0, sizeof *l);
}

/* ---- Loading. -------------------------------------------------------------------- */

typedef struct lload {
    ld_t L;
    lesson_t *l;
} lload_t;

__attribute__((noinline)) static char *read_text(const char *path, char *err, size_t err_len, int *rc)
{
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno)); *rc = SIM_EIO; return NULL; }
    size_t cap = 1 << 14, len = 0;
    char *buf = sim_xcalloc(1, cap);
    for (;;) {
        if (len + 1 >= cap) {
            if (cap >= (8u << 20)) {
                fclose(f); free(buf);
                snprintf(err, err_len, "%s: larger than 8 MiB; a lesson is a small hand-written file", path);
                *rc = SIM_EINPUT;
                return NULL;
            }
            cap *= 2;
            buf = sim_xrealloc(buf, cap);
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        if (n == 0) break;
        len += n;
    }
    fclose(f);
    buf[len] = 0;
    return buf;
}

static const char *text_of_raw(lload_t *X, const cJSON *v, const char *jp, const char *what);

/* Checks a text's "{term:...}" and "{win:...}" parts: each closed, none inside another.
 * Returns NULL, or what is wrong. */
static const char *mode_parts_error(const char *s)
{
    bool in = false;
    for (const char *c = s; *c; c++) {
        if (!strncmp(c, "{term:", 6) || !strncmp(c, "{win:", 5)) {
            if (in) return "a \"{term:\" or \"{win:\" part inside another";
            in = true;
        } else if (*c == '}' && in) in = false;
    }
    return in ? "a \"{term:\" or \"{win:\" part without its closing \"}\"" : NULL;
}

static const char *text_of(lload_t *X, const cJSON *v, const char *jp, const char *what)
{
    const char *t = text_of_raw(X, v, jp, what);
    const char *bad = mode_parts_error(t);
    if (bad) ld_fail(&X->L, jp, "expected text whose {term:...} and {win:...} parts close, found %s", bad);
    return t;
}

void lesson_text_for(const char *in, lesson_mode_t mode, char *out, size_t len)
{
    size_t k = 0;
    int part = -1;                   /* -1 outside a part; else the mode the part is for */
    assert(len > 0);
    for (const char *c = in; *c && k + 1 < len; c++) {
        if (part < 0 && !strncmp(c, "{term:", 6)) { part = LESSON_MODE_TERMINAL; c += 5; continue; }
        if (part < 0 && !strncmp(c, "{win:", 5)) { part = LESSON_MODE_WINDOW; c += 4; continue; }
        if (part >= 0 && *c == '}') { part = -1; continue; }
        if (part >= 0 && part != (int)mode) continue;
        out[k++] = *c;
    }
    out[k] = 0;
}

static const char *text_of_raw(lload_t *X, const cJSON *v, const char *jp, const char *what)
{
    /* A long text may be a list of lines, which reads better in a JSON file. */
    if (cJSON_IsArray(v)) {
        size_t n = 0;
        for (const cJSON *e = v->child; e; e = e->next) {
            if (!cJSON_IsString(e)) {
                char q[JPATH_MAX];
                ld_elem(q, jp, (int)n);
                ld_expected(&X->L, q, "a line of text", e);
            }
            n++;
        }
        char buf[LESSON_TEXT_MAX];
        size_t k = 0;
        for (const cJSON *e = v->child; e; e = e->next) {
            size_t m = strlen(e->valuestring);
            if (k + m + 2 > sizeof buf) ld_fail(&X->L, jp, "expected at most %d bytes of text", LESSON_TEXT_MAX);
            memcpy(buf + k, e->valuestring, m);
            k += m;
            if (e->next) buf[k++] = '\n';
        }
        buf[k] = 0;
        return own(X->l, buf);
    }
    const char *s = ld_as_string(&X->L, v, jp, what);
    if (strlen(s) >= LESSON_TEXT_MAX) ld_fail(&X->L, jp, "expected at most %d bytes of text", LESSON_TEXT_MAX);
    return own(X->l, s);
}

static const char *opt_text(lload_t *X, const cJSON *obj, const char *key, const char *jp, const char *def)
{
    const cJSON *v = ld_get(obj, key);
    char q[JPATH_MAX];
    ld_child(q, jp, key);
    return v ? text_of(X, v, q, "a text") : def;
}

static void load_cond(lload_t *X, const cJSON *obj, const char *key, const char *jp, cond_t *out)
{
    char q[JPATH_MAX];
    ld_child(q, jp, key);
    cond_load(&X->L, ld_get(obj, key), q, out);
}

static void load_highlights(lload_t *X, const cJSON *v, const char *jp, lesson_step_t *st)
{
    static const char *const kinds[] = {"node", "link", "message", "field", NULL};
    static const char *const keys[] = {"node", "link", "message", "field", "label", "reveal", NULL};
    if (!cJSON_IsArray(v)) ld_expected(&X->L, jp, "a list such as [{\"node\": \"n1\"}, {\"field\": \"operations.ok\"}]", v);
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        char p[JPATH_MAX], q[JPATH_MAX];
        ld_elem(p, jp, i);
        if (st->n_hl == LESSON_HIGHLIGHTS_MAX) ld_fail(&X->L, p, "more than LESSON_HIGHLIGHTS_MAX (%d) highlights", LESSON_HIGHLIGHTS_MAX);
        if (!cJSON_IsObject(e) || !e->child) ld_expected(&X->L, p, "a highlight such as {\"node\": \"n1\"}, {\"link\": [\"n1\", \"n2\"]}, {\"message\": \"vote\"} or {\"field\": \"operations.ok\"}", e);
        ld_check_keys(&X->L, e, p, keys);
        lesson_hl_t *h = &st->hl[st->n_hl++];
        int kind = -1;
        for (int k = 0; kinds[k]; k++) {
            if (!ld_get(e, kinds[k])) continue;
            if (kind >= 0) ld_fail(&X->L, p, "expected one thing per highlight, found both \"%s\" and \"%s\"", kinds[kind], kinds[k]);
            kind = k;
        }
        if (kind < 0) ld_fail(&X->L, p, "expected one of \"node\", \"link\", \"message\" or \"field\"");
        h->kind = (lesson_hl_kind_t)kind;
        const cJSON *x = ld_get(e, kinds[kind]);
        ld_child(q, p, kinds[kind]);
        if (ld_get(e, "label") && h->kind != LESSON_HL_FIELD) { ld_child(q, p, "label"); ld_fail(&X->L, q, "\"label\" belongs to field highlights"); }
        const cJSON *rv = ld_get(e, "reveal");
        if (rv) {
            /* "after": the number waits for the answer, so a question about it is read off
             * the picture or the panel, not copied from the line beside it. */
            char r[JPATH_MAX];
            ld_child(r, p, "reveal");
            if (h->kind != LESSON_HL_FIELD) ld_fail(&X->L, r, "\"reveal\" belongs to field highlights");
            if (!cJSON_IsString(rv) || (strcmp(rv->valuestring, "after") && strcmp(rv->valuestring, "always")))
                ld_expected(&X->L, r, "\"after\" (shown once the question is answered) or \"always\"", rv);
            h->after = strcmp(rv->valuestring, "after") == 0;
        }
        switch (h->kind) {
        case LESSON_HL_NODE:
            h->node = ld_as_node(&X->L, x, q, true);
            break;
        case LESSON_HL_LINK: {
            if (!cJSON_IsArray(x) || cJSON_GetArraySize(x) != 2) ld_expected(&X->L, q, "two node names such as [\"n1\", \"n2\"]", x);
            char r[JPATH_MAX];
            ld_elem(r, q, 0);
            h->node = ld_as_node(&X->L, x->child, r, true);
            ld_elem(r, q, 1);
            h->node2 = ld_as_node(&X->L, x->child->next, r, true);
            if (h->node == h->node2) ld_fail(&X->L, q, "expected two different nodes");
            break;
        }
        case LESSON_HL_MESSAGE: {
            const char *name = ld_as_string(&X->L, x, q, "a message type such as \"vote\"");
            const char *const *types = X->l->scn.proto->msg_types;
            h->type = -1;
            for (int k = 0; types && types[k]; k++) if (strcmp(types[k], name) == 0) h->type = k;
            if (h->type < 0) ld_unknown_name(&X->L, q, "message type", name, types);
            break;
        }
        case LESSON_HL_FIELD: {
            const char *path = ld_as_string(&X->L, x, q, "a summary path such as \"operations.ok\"");
            if (!path[0] || strlen(path) >= sizeof h->path) ld_expected(&X->L, q, "a path of 1 to 95 characters such as \"operations.ok\"", x);
            snprintf(h->path, sizeof h->path, "%s", path);
            h->label = opt_text(X, e, "label", p, own(X->l, path));
            break;
        }
        }
    }
}

static void load_question(lload_t *X, const cJSON *v, const char *jp, lesson_question_t *qu)
{
    static const char *const keys[] = {"text", "choices", "number", "explain", "predict", NULL};
    static const char *const choice_keys[] = {"text", "correct", "explain", "holds", NULL};
    static const char *const number_keys[] = {"metric", "tolerance", NULL};
    char q[JPATH_MAX];
    if (!cJSON_IsObject(v)) ld_expected(&X->L, jp, "a question such as {\"text\": \"...\", \"choices\": [...]}", v);
    ld_check_keys(&X->L, v, jp, keys);
    ld_child(q, jp, "text");
    if (!ld_get(v, "text")) ld_fail(&X->L, jp, "a question needs \"text\"");
    qu->text = text_of(X, ld_get(v, "text"), q, "the question");
    qu->explain = opt_text(X, v, "explain", jp, "");
    const cJSON *ch = ld_get(v, "choices"), *num = ld_get(v, "number");
    if (!ch == !num) ld_fail(&X->L, jp, "a question needs either \"choices\" (multiple choice) or \"number\" (a number read off the run)");
    if (ld_get(v, "predict")) {
        /* A prediction asks what the student expects before the run shows it; a later
         * step compares. Marking one choice right would grade a guess. */
        ld_child(q, jp, "predict");
        qu->predict = ld_as_bool(&X->L, ld_get(v, "predict"), q);
        if (qu->predict && num) ld_fail(&X->L, q, "a prediction is made by choosing: it needs \"choices\", not \"number\"");
    }
    if (num) {
        ld_child(q, jp, "number");
        if (!cJSON_IsObject(num)) ld_expected(&X->L, q, "{\"metric\": \"operations.ok\", \"tolerance\": 1}", num);
        ld_check_keys(&X->L, num, q, number_keys);
        char r[JPATH_MAX];
        ld_child(r, q, "metric");
        const char *m = ld_as_string(&X->L, ld_get(num, "metric"), r, "a summary path such as \"operations.ok\"");
        if (!m[0] || strlen(m) >= sizeof qu->metric) ld_expected(&X->L, r, "a path of 1 to 95 characters", ld_get(num, "metric"));
        snprintf(qu->metric, sizeof qu->metric, "%s", m);
        ld_child(r, q, "tolerance");
        qu->tolerance = ld_get(num, "tolerance") ? ld_as_number(&X->L, ld_get(num, "tolerance"), r, 0, 1e300, "a number at or above 0") : 0;
        return;
    }
    ld_child(q, jp, "choices");
    int n = cJSON_GetArraySize(ch);
    if (!cJSON_IsArray(ch) || n < 2 || n > LESSON_CHOICES_MAX) ld_expected(&X->L, q, "a list of 2 to 8 choices", ch);
    int i = 0, n_correct = 0;
    for (const cJSON *e = ch->child; e; e = e->next, i++) {
        char p[JPATH_MAX], r[JPATH_MAX];
        ld_elem(p, q, i);
        if (!cJSON_IsObject(e)) ld_expected(&X->L, p, "a choice such as {\"text\": \"n2\", \"correct\": true, \"explain\": \"...\"}", e);
        ld_check_keys(&X->L, e, p, choice_keys);
        lesson_choice_t *c = &qu->choices[qu->n_choices++];
        ld_child(r, p, "text");
        if (!ld_get(e, "text")) ld_fail(&X->L, p, "a choice needs \"text\"");
        c->text = text_of(X, ld_get(e, "text"), r, "the choice");
        c->explain = opt_text(X, e, "explain", p, "");
        ld_child(r, p, "correct");
        if (qu->predict && (ld_get(e, "correct") || ld_get(e, "holds")))
            ld_fail(&X->L, ld_get(e, "correct") ? r : p, "a prediction has no right choice: leave out \"correct\" and \"holds\", and let a later step compare");
        c->correct = qu->predict || (ld_get(e, "correct") ? ld_as_bool(&X->L, ld_get(e, "correct"), r) : false);
        n_correct += c->correct;
        if (ld_get(e, "holds")) { c->has_holds = true; load_cond(X, e, "holds", p, &c->holds); }
    }
    if (n_correct == 0) ld_fail(&X->L, q, "expected at least one choice with \"correct\": true");
}

static void load_step(lload_t *X, const cJSON *v, const char *jp, lesson_step_t *st)
{
    static const char *const keys[] = {"title", "narration", "highlight", "speed", "until", "task", "hints", "question", "solution", NULL};
    static const char *const task_keys[] = {"text", "goal", "done", NULL};
    char q[JPATH_MAX];
    if (!cJSON_IsObject(v)) ld_expected(&X->L, jp, "a step such as {\"narration\": \"...\", \"until\": {\"role\": \"leader\"}}", v);
    ld_check_keys(&X->L, v, jp, keys);
    st->title = opt_text(X, v, "title", jp, "");
    if (!ld_get(v, "narration")) ld_fail(&X->L, jp, "a step needs \"narration\": what the teacher says");
    ld_child(q, jp, "narration");
    st->narration = text_of(X, ld_get(v, "narration"), q, "the narration");
    if (ld_get(v, "highlight")) { ld_child(q, jp, "highlight"); load_highlights(X, ld_get(v, "highlight"), q, st); }
    if (ld_get(v, "speed")) {
        ld_child(q, jp, "speed");
        st->speed_ns = ld_as_duration(&X->L, ld_get(v, "speed"), q, false);
        if (st->speed_ns <= 0) ld_expected(&X->L, q, "simulated time per second above zero, such as \"100ms\"", ld_get(v, "speed"));
    }
    if (ld_get(v, "until")) { st->has_until = true; load_cond(X, v, "until", jp, &st->until); }
    const cJSON *t = ld_get(v, "task");
    if (t) {
        ld_child(q, jp, "task");
        if (!cJSON_IsObject(t)) ld_expected(&X->L, q, "a task such as {\"text\": \"Crash the leader.\", \"goal\": {\"crashed\": \"any\"}}", t);
        ld_check_keys(&X->L, t, q, task_keys);
        if (!ld_get(t, "text")) ld_fail(&X->L, q, "a task needs \"text\": what the student is asked to do");
        if (!ld_get(t, "goal")) ld_fail(&X->L, q, "a task needs \"goal\": the condition that says it is done");
        st->has_task = true;
        char r[JPATH_MAX];
        ld_child(r, q, "text");
        st->task = text_of(X, ld_get(t, "text"), r, "the task");
        st->done = opt_text(X, t, "done", q, "");
        load_cond(X, t, "goal", q, &st->goal);
    }
    const cJSON *h = ld_get(v, "hints");
    if (h) {
        ld_child(q, jp, "hints");
        if (!cJSON_IsArray(h) || cJSON_GetArraySize(h) > LESSON_HINTS_MAX) ld_expected(&X->L, q, "a list of at most 8 hints", h);
        int i = 0;
        for (const cJSON *e = h->child; e; e = e->next, i++) {
            char r[JPATH_MAX];
            ld_elem(r, q, i);
            st->hints[st->n_hints++] = text_of(X, e, r, "a hint");
        }
    }
    if (ld_get(v, "question")) { st->has_question = true; ld_child(q, jp, "question"); load_question(X, ld_get(v, "question"), q, &st->q); }
    for (uint32_t i = 0; i < st->n_hl; i++)
        if (st->hl[i].after && !st->has_question) {
            char r[JPATH_MAX];
            ld_child(q, jp, "highlight");
            ld_elem(r, q, (int)i);
            ld_child(q, r, "reveal");
            ld_fail(&X->L, q, "\"reveal\": \"after\" waits for the answer to the step's question, and this step asks none");
        }
    const cJSON *so = ld_get(v, "solution");
    if (so) {
        ld_child(q, jp, "solution");
        if (!st->has_task) ld_fail(&X->L, q, "a solution belongs to a step with a \"task\"");
        if (!cJSON_IsArray(so) || cJSON_GetArraySize(so) > LESSON_SOLUTION_MAX)
            ld_expected(&X->L, q, "a list of at most 32 actions such as [{\"crash\": \"n3\"}]", so);
        int i = 0;
        for (const cJSON *e = so->child; e; e = e->next, i++) {
            char r[JPATH_MAX];
            ld_elem(r, q, i);
            ld_action(&X->L, e, r, &st->solution[st->n_solution++], true);
        }
    }
}

/* The scenario a lesson names: as given (from the current folder), else beside the
 * lesson, else from the folder above the lesson's (lessons/ sits beside scenarios/). */
static char *find_scenario(const char *lesson_path, const char *given)
{
    FILE *f;
    if (given[0] == '/' || (f = fopen(given, "rb")) == NULL) {
        if (given[0] == '/') return strdup(given);
    } else {
        fclose(f);
        return strdup(given);
    }
    const char *slash = strrchr(lesson_path, '/');
    int dir = slash ? (int)(slash - lesson_path) : 0;
    static const char *const fmts[] = {"%.*s/%s", "%.*s/../%s", NULL};
    for (int i = 0; fmts[i]; i++) {
        char buf[4096];
        snprintf(buf, sizeof buf, fmts[i], dir ? dir : 1, dir ? lesson_path : ".", given);
        if ((f = fopen(buf, "rb"))) { fclose(f); return strdup(buf); }
    }
    return strdup(given);
}

static const char *const top_keys[] = {"title", "topic", "level", "minutes", "scenario", "beside", "steps", NULL};

#define BESIDE "beside."             /* a summary path read from the beside scenario */

/* Loads $.scenario or $.beside: a file (found as find_scenario does) or an object. */
static void load_scenario(lload_t *X, const cJSON *sc, const char *key, char **path_out, scn_t *out)
{
    ld_t *L = &X->L;
    char err[1024], jp[64];
    snprintf(jp, sizeof jp, "$.%s", key);
    if (cJSON_IsString(sc)) {
        *path_out = find_scenario(X->l->path, sc->valuestring);
        if (scn_load_file(*path_out, out, err, sizeof err) != SIM_OK) ld_fail(L, jp, "%s", err);
    } else if (cJSON_IsObject(sc)) {
        char *json = cJSON_PrintUnformatted(sc), where[512];
        snprintf(where, sizeof where, "%s: %s", X->l->path, jp);
        int rc = scn_load_string(json, where, out, err, sizeof err);
        cJSON_free(json);
        if (rc != SIM_OK) {
            /* The scenario loader named "FILE: $.scenario" as its file: pass its line on whole. */
            snprintf(L->err, L->err_len, "%s", err);
            longjmp(L->fail, 1);
        }
    } else {
        ld_expected(L, jp, "a scenario file such as \"scenarios/echo.json\" or a scenario object", sc);
    }
}

/* A condition is watched on the first scenario only: "beside." numbers in it could
 * never be read. */
static void no_beside_in(lload_t *X, const cond_t *c, const char *jp)
{
    for (uint32_t i = 0; i < c->count; i++)
        if (c->n[i].kind == COND_METRIC && strncmp(c->n[i].path, BESIDE, strlen(BESIDE)) == 0)
            ld_fail(&X->L, jp, "conditions are watched on the first scenario; \"%s\" belongs in a highlight or a numeric question", c->n[i].path);
}

static void no_beside_path(lload_t *X, const char *path, const char *jp)
{
    if (!X->l->has_beside && strncmp(path, BESIDE, strlen(BESIDE)) == 0)
        ld_fail(&X->L, jp, "\"%s\" reads the \"beside\" scenario, and this lesson has none", path);
}

/* What the lesson asks of its second scenario, once both and the steps are loaded:
 * every node a solution names exists there too (actions are carried across by name),
 * and summary paths are read from the side that can answer them. */
static void check_beside(lload_t *X)
{
    lesson_t *l = X->l;
    char jp[JPATH_MAX], q[JPATH_MAX];
    for (uint32_t k = 0; k < l->n_steps; k++) {
        const lesson_step_t *st = &l->steps[k];
        char sp[JPATH_MAX];
        ld_elem(sp, "$.steps", (int)k);
        if (st->has_until) { ld_child(jp, sp, "until"); no_beside_in(X, &st->until, jp); }
        if (st->has_task) { ld_child(q, sp, "task"); ld_child(jp, q, "goal"); no_beside_in(X, &st->goal, jp); }
        for (uint32_t i = 0; st->has_question && i < st->q.n_choices; i++) {
            ld_child(q, sp, "question");
            ld_elem(jp, q, (int)i);
            if (st->q.choices[i].has_holds) no_beside_in(X, &st->q.choices[i].holds, jp);
        }
        if (st->has_question && !st->q.n_choices) { ld_child(jp, sp, "question"); no_beside_path(X, st->q.metric, jp); }
        for (uint32_t i = 0; i < st->n_hl; i++) {
            ld_child(q, sp, "highlight");
            ld_elem(jp, q, (int)i);
            if (st->hl[i].kind == LESSON_HL_FIELD) no_beside_path(X, st->hl[i].path, jp);
        }
        if (!l->has_beside) continue;
        for (uint32_t i = 0; i < st->n_solution; i++) {
            const sim_action_t *a = &st->solution[i];
            uint32_t ids[2 + 64], n = 0, id;
            if (a->kind == ACT_PARTITION) for (uint32_t m = 0; m < a->n_members && n < 64; m++) ids[n++] = a->members[m];
            else if (a->kind == ACT_LINK || a->kind == ACT_REQUEST) { ids[n++] = a->node; ids[n++] = a->node2; }
            else if (a->kind != ACT_HEAL && a->kind != ACT_NETWORK) ids[n++] = a->node;
            ld_child(q, sp, "solution");
            ld_elem(jp, q, (int)i);
            if (a->kind == ACT_DROP) ld_fail(&X->L, jp, "a lesson with \"beside\" cannot drop a message by number: the two runs number their messages apart");
            for (uint32_t m = 0; m < n; m++) {
                char name[SIM_NAME_MAX];
                scn_node_name(&l->scn, ids[m], name, sizeof name);
                if (scn_node_id(&l->beside, name, &id) != SIM_OK)
                    ld_fail(&X->L, jp, "the \"beside\" scenario %s has no node named %s; actions are carried across by name", l->beside.name, name);
            }
        }
    }
}

static void load_all(lload_t *X, const char *text)
{
    ld_t *L = &X->L;
    lesson_t *l = X->l;
    const char *end = NULL;
    L->root = cJSON_ParseWithOpts(text, &end, 1);
    if (!L->root) {
        int line = 1, col = 1;
        size_t off = end ? (size_t)(end - text) : 0;
        for (size_t i = 0; i < off && text[i]; i++) { if (text[i] == '\n') { line++; col = 1; } else col++; }
        ld_fail(L, NULL, "line %d, column %d: invalid JSON (a missing comma or quote, or a trailing comma?)", line, col);
    }
    const cJSON *r = L->root;
    if (!cJSON_IsObject(r)) ld_expected(L, "$", "a JSON object describing the lesson", r);
    ld_check_keys(L, r, "$", top_keys);
    if (!ld_get(r, "title")) ld_fail(L, "$", "expected a \"title\"");
    l->title = text_of(X, ld_get(r, "title"), "$.title", "a title");
    l->topic = opt_text(X, r, "topic", "$", "");
    l->level = ld_get(r, "level") ? (int)ld_as_int(L, ld_get(r, "level"), "$.level", 1, 3, "a level: 1 (beginner), 2 or 3 (advanced)") : 1;
    l->minutes = ld_get(r, "minutes") ? (int)ld_as_int(L, ld_get(r, "minutes"), "$.minutes", 1, 240, "minutes from 1 to 240") : 10;
    const cJSON *sc = ld_get(r, "scenario");
    if (!sc) ld_fail(L, "$", "expected a \"scenario\": a path such as \"scenarios/raft-leader-crash.json\" or a scenario object");
    load_scenario(X, sc, "scenario", &l->scenario_path, &l->scn);
    if (ld_get(r, "beside")) {
        load_scenario(X, ld_get(r, "beside"), "beside", &l->beside_path, &l->beside);
        l->has_beside = true;
    }
    L->s = &l->scn;
    const cJSON *steps = ld_get(r, "steps");
    int n = cJSON_GetArraySize(steps);
    if (!cJSON_IsArray(steps) || n < 1 || n > LESSON_STEPS_MAX) ld_expected(L, "$.steps", "a list of 1 to 40 steps", steps);
    int i = 0;
    for (const cJSON *e = steps->child; e; e = e->next, i++) {
        char p[JPATH_MAX];
        ld_elem(p, "$.steps", i);
        load_step(X, e, p, &l->steps[l->n_steps++]);
    }
    check_beside(X);
}

/* The name a student types: "lessons/08-raft-election.json" is "raft-election". */
static char *name_of(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *d = b;
    while (*d >= '0' && *d <= '9') d++;
    if (d > b && *d == '-') b = d + 1;
    char *n = strdup(b);
    size_t k = strlen(n);
    if (k > 5 && strcmp(n + k - 5, ".json") == 0) n[k - 5] = 0;
    return n;
}

int lesson_load_file(const char *path, lesson_t *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    int rc = SIM_OK;
    char *text = read_text(path, err, err_len, &rc);
    if (!text) return rc;
    out->path = strdup(path);
    out->name = name_of(path);
    lload_t X = {.l = out};
    X.L.path = path;
    X.L.err = err;
    X.L.err_len = err_len;
    if (setjmp(X.L.fail)) {
        cJSON_Delete(X.L.root);
        free(text);
        lesson_free(out);
        return SIM_EINPUT;
    }
    load_all(&X, text);
    cJSON_Delete(X.L.root);
    free(text);
    return SIM_OK;
}

/* ---- Commands typed in a terminal. ------------------------------------------------ */

int lesson_parse_command(lesson_t *l, const char *line, sim_action_t *a, char *err, size_t err_len)
{
    static const char *const one_node[] = {"crash", "restart", "pause", "resume", "isolate", "join", "leave", NULL};
    char buf[512], word[32] = "";
    snprintf(buf, sizeof buf, "%s", line);
    char *rest = buf;
    while (*rest == ' ') rest++;
    int wn = 0;
    while (*rest && *rest != ' ' && wn < 31) word[wn++] = *rest++;
    word[wn] = 0;
    while (*rest == ' ') rest++;
    size_t rl = strlen(rest);
    while (rl && (rest[rl - 1] == ' ' || rest[rl - 1] == '\n')) rest[--rl] = 0;
    cJSON *o = cJSON_CreateObject();
    bool known = false;
    for (int i = 0; one_node[i]; i++)
        if (strcmp(word, one_node[i]) == 0) { cJSON_AddStringToObject(o, word, rest); known = true; }
    if (strcmp(word, "heal") == 0) { cJSON_AddTrueToObject(o, "heal"); known = true; }
    if (strcmp(word, "drop") == 0) {
        char *e;
        double id = strtod(rest, &e);
        if (e == rest || *e) cJSON_AddStringToObject(o, "drop", rest); else cJSON_AddNumberToObject(o, "drop", id);
        known = true;
    }
    if (strcmp(word, "skew") == 0) {
        char node[64] = "", d[64] = "";
        sscanf(rest, "%63s %63s", node, d);
        cJSON_AddStringToObject(o, "clock", node);
        cJSON_AddStringToObject(o, "skew", d[0] == '+' ? d + 1 : d);
        known = true;
    }
    if (strcmp(word, "partition") == 0) {
        /* "n1,n2 | n3,n4,n5": groups split by '|', names by ',' or spaces. */
        cJSON *groups = cJSON_AddArrayToObject(o, "partition");
        char *save = NULL;
        for (char *g = strtok_r(rest, "|", &save); g; g = strtok_r(NULL, "|", &save)) {
            cJSON *grp = cJSON_CreateArray();
            char *s2 = NULL;
            for (char *n = strtok_r(g, ", ", &s2); n; n = strtok_r(NULL, ", ", &s2)) cJSON_AddItemToArray(grp, cJSON_CreateString(n));
            cJSON_AddItemToArray(groups, grp);
        }
        known = true;
    }
    if (!known) { cJSON_Delete(o); return SIM_ENOTFOUND; }
    ld_t L = {.s = &l->scn, .path = "command", .err = err, .err_len = err_len, .root = o};
    if (setjmp(L.fail)) {
        cJSON_Delete(o);
        /* "command: $.crash: expected ..." reads better as "crash: expected ...". */
        const char *m = strstr(err, ": $.");
        if (m) memmove(err, m + 4, strlen(m + 4) + 1);
        return SIM_EINPUT;
    }
    memset(a, 0, sizeof *a);
    ld_action(&L, o, "$", a, true);
    cJSON_Delete(o);
    return SIM_OK;
}

/* ---- Playing. ------------------------------------------------------------------------ */

struct lesson_play {
    const lesson_t *l;
    run_t *r;
    run_t *rb;                           /* the beside scenario's run, or NULL */
    uint32_t step;
    sim_time_t start_ns[LESSON_STEPS_MAX];
    bool goal_met, answered;
    bool completed[LESSON_STEPS_MAX];    /* done once: going back and forth again does not ask twice */
    uint32_t hints;
    uint64_t gen;                        /* the run's generation when the goal was armed */
    char trouble[256];
};

run_t *lesson_play_run(lesson_play_t *p) { return p->r; }
run_t *lesson_play_beside(lesson_play_t *p) { return p->rb; }
void lesson_play_follow(lesson_play_t *p) { if (p->rb) run_pair_follow(p->r, p->rb); }
const lesson_t *lesson_play_lesson(const lesson_play_t *p) { return p->l; }
uint32_t lesson_play_step(const lesson_play_t *p) { return p->step; }
const lesson_step_t *lesson_play_cur(const lesson_play_t *p) { return &p->l->steps[p->step]; }
const char *lesson_play_trouble(const lesson_play_t *p) { return p->trouble[0] ? p->trouble : NULL; }
bool lesson_play_goal_met(const lesson_play_t *p) { return p->goal_met; }
bool lesson_play_answered(const lesson_play_t *p) { return p->answered; }
bool lesson_play_hl_shown(const lesson_play_t *p, const lesson_hl_t *h) { return !h->after || p->answered; }
uint32_t lesson_play_hints_given(const lesson_play_t *p) { return p->hints; }

bool lesson_play_can_next(const lesson_play_t *p)
{
    const lesson_step_t *st = lesson_play_cur(p);
    return p->completed[p->step] || ((!st->has_task || p->goal_met) && (!st->has_question || p->answered));
}

/* Arms the goal from now: happenings before this moment do not count. */
static void watch_goal(lesson_play_t *p)
{
    const lesson_step_t *st = lesson_play_cur(p);
    p->gen = run_generation(p->r);
    if (!st->has_task || p->goal_met) { run_watch(p->r, NULL); return; }
    run_watch(p->r, &st->goal);
    if (run_watched_holds(p->r)) { p->goal_met = true; run_watch(p->r, NULL); }
}

static void enter(lesson_play_t *p, uint32_t k)
{
    p->step = k;
    p->goal_met = p->answered = false;
    p->hints = 0;
    p->trouble[0] = 0;
    p->start_ns[k] = run_now(p->r);
    const lesson_step_t *st = &p->l->steps[k];
    if (st->has_until) {
        int rc = run_until_cond(p->r, &st->until, run_end(p->r));
        if (rc != RUN_MET) {
            char d[32], why[160];
            const char *stop = run_stop_reason(p->r, why, sizeof why);
            snprintf(p->trouble, sizeof p->trouble, "the run reached %s without what this step waits for%s%s",
                     sim_format_duration(run_now(p->r), d, sizeof d), stop ? ": " : "", stop ? stop : "");
        }
    }
    lesson_play_follow(p);
    watch_goal(p);
}

lesson_play_t *lesson_play_create(const lesson_t *l, char *err, size_t err_len)
{
    lesson_play_t *p = calloc(1, sizeof *p);
    if (!p) { snprintf(err, err_len, "out of memory"); return NULL; }
    p->l = l;
    p->r = run_create(&l->scn, NULL, err, err_len);
    if (!p->r) { free(p); return NULL; }
    if (l->has_beside && !(p->rb = run_create(&l->beside, NULL, err, err_len))) { run_destroy(p->r); free(p); return NULL; }
    enter(p, 0);
    return p;
}

void lesson_play_destroy(lesson_play_t *p)
{
    if (!p) return;
    run_destroy(p->r);
    if (p->rb) run_destroy(p->rb);
    free(p);
}

/* Runs to t at the latest, event by event while a goal is pending. */
static bool run_to(lesson_play_t *p, sim_time_t t)
{
    if (t > run_end(p->r)) t = run_end(p->r);
    const lesson_step_t *st = lesson_play_cur(p);
    bool met = false;
    if (!st->has_task || p->goal_met) run_until(p->r, t);
    else {
        sim_time_t at;
        while (!met && sim_next_time(run_sim(p->r), &at) && at <= t) {
            if (!run_step_event(p->r)) break;
            met = run_watched_holds(p->r);
        }
        if (!met) { run_until(p->r, t); met = run_watched_holds(p->r); }
        if (met) { p->goal_met = true; run_watch(p->r, NULL); }
    }
    lesson_play_follow(p);
    return met;
}

bool lesson_play_poll(lesson_play_t *p)
{
    const lesson_step_t *st = lesson_play_cur(p);
    if (!st->has_task || p->goal_met) return false;
    if (run_generation(p->r) != p->gen) { watch_goal(p); return p->goal_met; }
    if (!run_watched_holds(p->r)) return false;
    p->goal_met = true;
    run_watch(p->r, NULL);
    return true;
}

bool lesson_play_advance(lesson_play_t *p, sim_time_t d)
{
    return run_to(p, run_now(p->r) + d);
}

bool lesson_play_step_event(lesson_play_t *p)
{
    run_step(p->r);
    lesson_play_follow(p);
    if (lesson_play_cur(p)->has_task && !p->goal_met && run_watched_holds(p->r)) {
        p->goal_met = true;
        run_watch(p->r, NULL);
        return true;
    }
    return false;
}

int lesson_play_act(lesson_play_t *p, const sim_action_t *a, char *err, size_t err_len)
{
    sim_action_t c = *a;
    c.at_ns = run_now(p->r);
    int rc;
    if (p->rb) {
        /* Both scenarios take it at the same moment, by node name. */
        run_t *r[2] = {p->r, p->rb};
        bool applied[2];
        rc = run_pair_act(r, 0, &c, applied, err, err_len);
        if (!applied[0]) return rc;
    } else {
        rc = run_act(p->r, &c, NULL, err, err_len);
    }
    if (rc != SIM_OK && !p->rb) return rc;
    /* The run was replayed from time zero to apply it: re-arm the goal from now. A
     * pair's one-sided action is done, and err says which side missed it. */
    watch_goal(p);
    return rc;
}

bool lesson_play_show(lesson_play_t *p)
{
    const lesson_step_t *st = lesson_play_cur(p);
    for (uint32_t i = 0; i < st->n_solution; i++) {
        const sim_action_t *a = &st->solution[i];
        if (a->at_ns > run_now(p->r)) run_to(p, a->at_ns);
        lesson_play_act(p, a, NULL, 0);
    }
    if (st->has_task && !p->goal_met) run_to(p, run_end(p->r));
    return !st->has_task || p->goal_met;
}

const char *lesson_play_hint(lesson_play_t *p)
{
    const lesson_step_t *st = lesson_play_cur(p);
    return p->hints < st->n_hints ? st->hints[p->hints++] : NULL;
}

/* A summary number by path: "beside.X" from the beside run, anything else from the
 * lesson's own. */
static int play_metric(lesson_play_t *p, const char *path, double *out)
{
    size_t n = strlen(BESIDE);
    if (strncmp(path, BESIDE, n) == 0) return p->rb ? cond_metric(run_sim_mut(p->rb), path + n, out) : SIM_ENOTFOUND;
    return cond_metric(run_sim_mut(p->r), path, out);
}

int lesson_play_expected(lesson_play_t *p, double *out)
{
    return play_metric(p, lesson_play_cur(p)->q.metric, out);
}

int lesson_play_field(lesson_play_t *p, const lesson_hl_t *h, double *out)
{
    return play_metric(p, h->path, out);
}

int lesson_play_answer(lesson_play_t *p, const char *ans, char *fb, size_t fb_len)
{
    const lesson_step_t *st = lesson_play_cur(p);
    fb[0] = 0;
    if (!st->has_question) { snprintf(fb, fb_len, "this step asks no question"); return -1; }
    const lesson_question_t *q = &st->q;
    while (*ans == ' ') ans++;
    if (q->n_choices) {
        int k = -1;
        if (ans[0] >= 'a' && ans[0] < 'a' + (int)q->n_choices && (!ans[1] || ans[1] == ' ' || ans[1] == '\n')) k = ans[0] - 'a';
        else if (ans[0] >= 'A' && ans[0] < 'A' + (int)q->n_choices && !ans[1]) k = ans[0] - 'A';
        else if (ans[0] >= '1' && ans[0] < '1' + (int)q->n_choices && !ans[1]) k = ans[0] - '1';
        if (k < 0) { snprintf(fb, fb_len, "answer with a letter from a to %c", 'a' + q->n_choices - 1); return -1; }
        const lesson_choice_t *c = &q->choices[k];
        if (q->predict) snprintf(fb, fb_len, "Noted: you predict \"%s\". %s", c->text, c->explain[0] ? c->explain : q->explain);
        else snprintf(fb, fb_len, "%s", c->explain[0] ? c->explain : q->explain);
        if (c->correct) p->answered = true;
        return c->correct;
    }
    char *e;
    double x = strtod(ans, &e);
    while (*e == ' ' || *e == '\n' || *e == '%') e++;
    if (e == ans || *e) { snprintf(fb, fb_len, "answer with a number, such as 12 or 0.5"); return -1; }
    double want;
    if (lesson_play_expected(p, &want) != SIM_OK) { snprintf(fb, fb_len, "this run has no number \"%s\" (the lesson is wrong)", q->metric); return -1; }
    bool right = fabs(x - want) <= q->tolerance + 1e-9 * fabs(want);
    if (right) p->answered = true;
    snprintf(fb, fb_len, "%s", right ? q->explain : "Not quite: look at the numbers again.");
    return right;
}

int lesson_play_goto(lesson_play_t *p, uint32_t k)
{
    if (k >= p->l->n_steps) return SIM_EINPUT;
    if (k < p->step) {
        run_seek(p->r, p->start_ns[k]);
        lesson_play_follow(p);
        enter(p, k);
        return SIM_OK;
    }
    while (p->step < k) {
        if (!lesson_play_can_next(p)) lesson_play_show(p);
        p->completed[p->step] = true;
        enter(p, p->step + 1);
    }
    return SIM_OK;
}

/* ---- Checking. --------------------------------------------------------------------------- */

int lesson_check(const lesson_t *l, FILE *out)
{
    char err[512];
    lesson_play_t *p = lesson_play_create(l, err, sizeof err);
    if (!p) { if (out) fprintf(out, "%s: %s\n", l->path, err); return 1; }
    int bad = 0;
#define PROBLEM(...) do { bad++; if (out) { fprintf(out, "%s: $.steps[%u]: ", l->path, k); fprintf(out, __VA_ARGS__); fputc('\n', out); } } while (0)
    for (uint32_t k = 0; k < l->n_steps; k++) {
        if (k > 0) lesson_play_goto(p, k);
        const lesson_step_t *st = &l->steps[k];
        if (lesson_play_trouble(p)) PROBLEM("until: %s", lesson_play_trouble(p));
        for (uint32_t i = 0; i < st->n_hl; i++) {
            double v;
            if (st->hl[i].kind == LESSON_HL_FIELD && lesson_play_field(p, &st->hl[i], &v) != SIM_OK)
                PROBLEM("highlight[%u]: the run's summary has no number \"%s\" (dsim run --json lists them)", i, st->hl[i].path);
        }
        if (st->has_task) {
            if (p->goal_met) PROBLEM("task.goal: holds already when the task is given: the student has nothing to do");
            else if (!lesson_play_show(p)) PROBLEM("task: the solution does not reach the goal within the scenario's duration");
        }
        if (st->has_question) {
            const lesson_question_t *q = &st->q;
            if (!q->n_choices) {
                double v;
                char fb[LESSON_TEXT_MAX];
                char ans[64];
                if (lesson_play_expected(p, &v) != SIM_OK) PROBLEM("question.number.metric: the run's summary has no number \"%s\"", q->metric);
                else {
                    snprintf(ans, sizeof ans, "%.17g", v);
                    if (lesson_play_answer(p, ans, fb, sizeof fb) != 1) PROBLEM("question: the run's own number %g is not accepted", v);
                }
            }
            for (uint32_t i = 0; i < q->n_choices; i++) {
                if (!q->choices[i].has_holds) continue;
                cond_t c = q->choices[i].holds;
                cond_arm(&c);
                bool h = cond_holds(&c, run_sim_mut(lesson_play_run(p)));
                if (h != q->choices[i].correct)
                    PROBLEM("question.choices[%u]: marked %s, but its \"holds\" condition %s in the run",
                            i, q->choices[i].correct ? "correct" : "wrong", h ? "holds" : "does not hold");
            }
        }
    }
#undef PROBLEM
    lesson_play_destroy(p);
    return bad;
}
