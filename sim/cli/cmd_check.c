/* cmd_check.c -- `dsim check --model kv history.jsonl`: flags, reading, checking, output.
 *
 * The command is a thin layer over histread, lincheck and svg: everything it prints
 * in words comes from lin_explain, so the text a student sees on the terminal, in the
 * JSON and in the picture's caption tells the same story. Every mistake on the command
 * line is one line on stderr starting with "dsim check:" and exit status 2, with the
 * nearest valid model name suggested when the model is misspelled.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "core/afile.h"
#include "cli/cmd_check.h"
#include "check/histread.h"
#include "check/lincheck.h"
#include "check/runcheck.h"
#include "scenario/scenario.h"
#include "check/svg.h"

#define CHECK_TIMEOUT_DEFAULT "60s"

static const char check_usage[] =
    "usage: dsim check --model MODEL HISTORY [--timeout 10s] [--steps N] [--svg out.svg] [--json]\n"
    "       dsim check [--model MODEL] --checks LIST HISTORY [--json]\n"
    "\n"
    "Decides whether HISTORY is linearizable under MODEL and explains why not.\n"
    "HISTORY is a file of dsim JSON lines or Jepsen-style EDN lines (\"-\" reads stdin).\n"
    "\n"
    "  --model MODEL   register, cas-register, kv or counter\n"
    "  --checks LIST   weaker checks too, comma-separated: session (monotonic reads,\n"
    "                  read your writes, monotonic writes, writes follow reads),\n"
    "                  set-full (a broadcast reaches every reader), counter, stale\n"
    "                  (reads that missed an acknowledged newer write)\n"
    "  --timeout D     wall-clock limit for the search, e.g. 10s or 500ms; 0s for none\n"
    "                  (default " CHECK_TIMEOUT_DEFAULT ")\n"
    "  --steps N       limit the search to N steps instead (or as well): unlike time,\n"
    "                  the verdict then depends on the history alone, as in dsim run\n"
    "  --svg FILE      also draw the history, the violation in red, as an SVG picture\n"
    "  --json          print one JSON object (verdict, model, ops, keys, explanation)\n"
    "  --help          this text\n"
    "\n"
    "Exit status: 0 linearizable (and every --checks check passed), 1 not linearizable\n"
    "or a check failed, 3 unknown (a limit stopped the search), 2 bad input (message on\n"
    "stderr, nothing on stdout).\n";

static int input_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stderr, "dsim check: ...", and the exit status for bad input. */
static int input_error(const char *fmt, ...)
{
    va_list ap;
    fputs("dsim check: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CHECK_EXIT_INPUT;
}

static const char *models_list(void)
{
    return "register, cas-register, kv, counter";
}

/* ---- JSON output. ----------------------------------------------------------------- */

static cJSON *value_json(const hist_t *h, const hist_event_t *e)
{
    const int64_t *v = hist_vals(h, e);
    switch (e->vkind) {
    case HIST_V_INT: return cJSON_CreateNumber((double)v[0]);
    case HIST_V_STR: return cJSON_CreateString(h->strs[v[0]]);
    case HIST_V_LIST: {
        cJSON *a = cJSON_CreateArray();
        for (uint32_t i = 0; i < e->n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
        return a;
    }
    default: return cJSON_CreateNull();
    }
}

static cJSON *op_json(const hist_t *h, lin_opref_t op)
{
    const hist_event_t *inv = &h->ev[op.inv];
    const hist_event_t *done = op.done == LIN_NEVER ? NULL : &h->ev[op.done];
    char label[256];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "process", inv->process);
    cJSON_AddStringToObject(o, "f", hist_f_name(h, inv));
    if (inv->key >= 0) cJSON_AddStringToObject(o, "key", h->keys[inv->key]);
    cJSON_AddItemToObject(o, "value", value_json(h, inv));
    bool is_read = strcmp(hist_f_name(h, inv), "read") == 0 || strcmp(hist_f_name(h, inv), "get") == 0;
    cJSON_AddItemToObject(o, "result", is_read && done && done->type == HIST_OK ? value_json(h, done) : cJSON_CreateNull());
    cJSON_AddStringToObject(o, "type", done ? hist_type_names[done->type] : "info");
    cJSON_AddNumberToObject(o, "invoke_time", (double)inv->time_ns);
    if (done) cJSON_AddNumberToObject(o, "complete_time", (double)done->time_ns);
    else cJSON_AddNullToObject(o, "complete_time");
    cJSON_AddStringToObject(o, "label", lin_op_describe(h, op, label, sizeof label));
    return o;
}

static cJSON *ops_json(const hist_t *h, const lin_opref_t *ops, uint32_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (uint32_t k = 0; k < n; k++) cJSON_AddItemToArray(a, op_json(h, ops[k]));
    return a;
}

static char *explain_text(const hist_t *h, const lin_result_t *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    lin_explain(h, r, f);
    fclose(f);
    return text;
}

/* The --checks verdicts as a cJSON object, from the same writer dsim run uses. */
static cJSON *checks_json(const runcheck_t *rc)
{
    jw_t w;
    jw_init(&w, false);
    jw_obj_begin(&w);
    runcheck_write(rc, &w);
    jw_obj_end(&w);
    cJSON *o = cJSON_Parse(w.buf);
    jw_free(&w);
    return o ? o : cJSON_CreateObject();
}

static void print_checks_json(const hist_t *h, const runcheck_t *rc, const char *file)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", file);
    cJSON_AddNumberToObject(o, "events", h->n_ev);
    cJSON_AddBoolToObject(o, "checks_failed", rc->failed);
    cJSON_AddItemToObject(o, "checks", checks_json(rc));
    char *s = cJSON_PrintUnformatted(o);
    if (s) puts(s);
    free(s);
    cJSON_Delete(o);
}

static void print_json(const hist_t *h, const lin_result_t *r, const char *file, const char *svg, const runcheck_t *rc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "verdict", lin_verdict_names[r->verdict]);
    cJSON_AddStringToObject(o, "model", lin_model_names[r->model]);
    cJSON_AddStringToObject(o, "file", file);
    cJSON_AddNumberToObject(o, "ops", r->n_ops);
    cJSON_AddNumberToObject(o, "keys", r->n_keys);
    cJSON_AddNumberToObject(o, "keys_violated", r->n_keys_violated);
    cJSON_AddNumberToObject(o, "keys_unknown", r->n_keys_unknown);
    cJSON_AddNumberToObject(o, "keys_skipped", r->n_keys_skipped);
    cJSON_AddNumberToObject(o, "ops_set_aside", r->n_dropped);
    cJSON_AddNumberToObject(o, "states", (double)r->states);
    cJSON_AddNumberToObject(o, "steps", (double)r->steps);
    cJSON_AddNumberToObject(o, "elapsed_s", r->elapsed_s);
    if (r->unknown_reason) cJSON_AddStringToObject(o, "unknown_reason", r->unknown_reason);
    else cJSON_AddNullToObject(o, "unknown_reason");
    if (svg) cJSON_AddStringToObject(o, "svg", svg);
    cJSON *ex = cJSON_CreateObject();
    char *text = explain_text(h, r);
    cJSON_AddStringToObject(ex, "text", text ? text : "");
    free(text);
    if (r->verdict == LIN_VIOLATED) {
        char why[256];
        if (r->key >= 0) cJSON_AddStringToObject(ex, "key", h->keys[r->key]);
        else cJSON_AddNullToObject(ex, "key");
        cJSON_AddItemToObject(ex, "culprit", op_json(h, r->culprit));
        cJSON_AddStringToObject(ex, "reason", lin_culprit_reason(h, r, why, sizeof why));
        cJSON_AddItemToObject(ex, "prefix", ops_json(h, r->prefix, r->n_prefix));
        cJSON_AddStringToObject(ex, "state_after_prefix", r->state);
        cJSON_AddItemToObject(ex, "pending", ops_json(h, r->pending, r->n_pending));
    }
    cJSON_AddItemToObject(o, "explanation", ex);
    if (rc->any) {
        cJSON_AddBoolToObject(o, "checks_failed", rc->failed);
        cJSON_AddItemToObject(o, "checks", checks_json(rc));
    }
    char *s = cJSON_PrintUnformatted(o);
    if (s) puts(s);
    free(s);
    cJSON_Delete(o);
}

/* ---- The command. ----------------------------------------------------------------- */

int cmd_check(int argc, char **argv)
{
    static const char default_timeout[] = CHECK_TIMEOUT_DEFAULT;
    const char *model_name = NULL, *timeout = default_timeout, *svg = NULL, *file = NULL, *checks = NULL;
    const char *steps = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dest = NULL;
        const char *inline_value = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(check_usage, stdout);
            return CHECK_EXIT_OK;
        }
        if (strcmp(a, "--json") == 0) {
            if (json) return input_error("--json is given twice; give it once");
            json = true;
            continue;
        }
        static const char *const valued[] = { "--model", "--timeout", "--svg", "--checks", "--steps" };
        const char **dests[] = { &model_name, &timeout, &svg, &checks, &steps };
        for (int k = 0; k < 5; k++) {
            size_t n = strlen(valued[k]);
            if (strncmp(a, valued[k], n) != 0 || (a[n] != 0 && a[n] != '=')) continue;
            dest = dests[k];
            if (a[n] == '=') inline_value = a + n + 1;
        }
        if (dest) {
            /* The default timeout is a value too; a second --timeout is what counts. */
            if (*dest && !(dest == &timeout && timeout == default_timeout))
                return input_error("%.*s is given twice; give it once", (int)strcspn(a, "="), a);
            if (inline_value) *dest = inline_value;
            else if (i + 1 < argc) *dest = argv[++i];
            else return input_error("%s needs a value (see dsim check --help)", a);
            continue;
        }
        if (a[0] == '-' && a[1] != 0) return input_error("unknown option '%s' (see dsim check --help)", a);
        if (file) return input_error("expected one history file, found a second: '%s' (after '%s')", a, file);
        file = a;
    }
    runcheck_asks_t asks = {.linearizable = -1, .final_from_ns = -1};
    if (checks) {
        static const char *const names[] = {"session", "set-full", "counter", "stale", NULL};
        char list[256];
        size_t len = strlen(checks);
        /* strtok would pass over empty items: '' or "session,,stale" is a mistake. */
        if (len == 0 || checks[0] == ',' || checks[len - 1] == ',' || strstr(checks, ",,"))
            return input_error("--checks expects a comma-separated list of session, set-full, counter, stale, found '%s'", checks);
        if (len >= sizeof list) return input_error("--checks: the list is too long (%zu characters)", len);
        snprintf(list, sizeof list, "%s", checks);
        for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
            if (strcmp(tok, "session") == 0) asks.session = true;
            else if (strcmp(tok, "set-full") == 0) asks.set_full = true;
            else if (strcmp(tok, "counter") == 0) asks.counter = true;
            else if (strcmp(tok, "stale") == 0) asks.stale = true;
            else {
                const char *near = scn_suggest(tok, names);
                return input_error("--checks: unknown check '%s'%s%s%s (checks: session, set-full, counter, stale)", tok,
                                   near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
            }
        }
    }
    if (!model_name && !checks) return input_error("--model is required (one of %s), or --checks", models_list());
    lin_model_t model = LIN_REGISTER;
    if (model_name && lin_model_parse(model_name, &model) != SIM_OK)
        return input_error("unknown model '%s'; did you mean '%s'? (models: %s)", model_name,
                           lin_model_nearest(model_name), models_list());
    sim_time_t timeout_ns;
    if (sim_parse_duration(timeout, false, &timeout_ns) != SIM_OK)
        return input_error("--timeout expects a duration such as 10s or 500ms, found '%s'", timeout);
    uint64_t steps_max = 0;
    if (steps) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(steps, &end, 10);
        if (!*steps || *end || errno || steps[0] == '-' || x == 0)
            return input_error("--steps expects a whole number of search steps above 0 such as 100000000, found '%s'", steps);
        steps_max = (uint64_t)x;
    }
    if (!file) return input_error("expected a history file to check (see dsim check --help)");
    char why[AFILE_PATH_MAX + 160];
    if (svg && afile_check(svg, why, sizeof why) != SIM_OK) return input_error("--svg: %s", why);

    hist_t h;
    char err[512];
    hist_init(&h);
    int rc = strcmp(file, "-") == 0 ? hist_read_stream(stdin, "standard input", &h, err, sizeof err)
                                    : hist_read_file(file, &h, err, sizeof err);
    if (rc != SIM_OK) {
        hist_free(&h);
        return input_error("%s", err);
    }

    runcheck_t chk;
    runcheck_history(&h, &asks, &chk);
    if (!model_name) {
        if (json) print_checks_json(&h, &chk, file);
        else {
            printf("%s: %" PRIu32 " events\n", file, h.n_ev);
            runcheck_print(&h, &chk, stdout);
        }
        int st = chk.failed ? CHECK_EXIT_VIOLATED : CHECK_EXIT_OK;
        runcheck_free(&chk);
        hist_free(&h);
        return st;
    }

    lin_limits_t lim = { .time_s_max = (double)timeout_ns / (double)SIM_SEC, .steps_max = steps_max };
    lin_result_t r;
    if (lin_check(&h, model, &lim, &r) != SIM_OK) {
        runcheck_free(&chk);
        input_error("%s: %s", file, r.err);
        lin_result_free(&r);
        hist_free(&h);
        return CHECK_EXIT_INPUT;
    }
    int status = r.verdict == LIN_OK ? CHECK_EXIT_OK : r.verdict == LIN_VIOLATED ? CHECK_EXIT_VIOLATED : CHECK_EXIT_UNKNOWN;
    if (chk.failed) status = CHECK_EXIT_VIOLATED;

    /* The picture is written before anything is printed, so that if it fails (the path
     * was checked, but a disk can fill) the exit status 2 comes with nothing on stdout. */
    if (svg && lin_write_svg(&h, &r, svg) != SIM_OK) {
        lin_result_free(&r);
        runcheck_free(&chk);
        hist_free(&h);
        return input_error("cannot write the picture to '%s'", svg);
    }

    if (json) {
        print_json(&h, &r, file, svg, &chk);
    } else {
        printf("%s, %s model: %" PRIu32 " operations on %" PRIu32 " key%s\n\n", file, lin_model_names[model],
               r.n_ops, r.n_keys, r.n_keys == 1 ? "" : "s");
        lin_explain(&h, &r, stdout);
        printf("\nChecked in %.3f s (%" PRIu64 " steps, %" PRIu64 " search states).\n", r.elapsed_s, r.steps, r.states);
        if (svg) printf("Picture: %s\n", svg);
        if (chk.any) {
            printf("\n");
            runcheck_print(&h, &chk, stdout);
        }
    }
    lin_result_free(&r);
    runcheck_free(&chk);
    hist_free(&h);
    return status;
}
