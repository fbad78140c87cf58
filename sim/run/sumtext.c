/* sumtext.c -- rendering a protocol's summary lines from the JSON summary.
 *
 * The summary is parsed once per render with cJSON (as cond.c reads metrics), and each
 * template is copied with its {path|format} fields replaced. Paths are the dotted
 * paths of cond_metric; "[#]" repeats a line over a list. Linear in the summary's size
 * per line; a summary has at most a few dozen lines, so that is nothing beside a run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "run/sumtext.h"

#define FIELD_MAX 128

static const cJSON *step(const cJSON *j, const char **p)
{
    const char *s = *p;
    if (*s == '[') {
        char *end;
        long k = strtol(s + 1, &end, 10);
        if (end == s + 1 || *end != ']') return NULL;
        *p = end + 1;
        if (!cJSON_IsArray(j)) return NULL;
        if (k < 0) k += cJSON_GetArraySize(j);      /* [-1]: the last element */
        return k < 0 ? NULL : cJSON_GetArrayItem(j, (int)k);
    }
    char key[FIELD_MAX];
    size_t n = 0;
    while (s[n] && s[n] != '.' && s[n] != '[' && n + 1 < sizeof key) { key[n] = s[n]; n++; }
    key[n] = 0;
    *p = s + n;
    return cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, key) : NULL;
}

static const cJSON *find(const cJSON *root, const char *path)
{
    const cJSON *j = root;
    while (j && *path) {
        if (*path == '.') path++;
        j = step(j, &path);
    }
    return j;
}

/* Appends the value of one field; false when it is missing or null. */
static bool field(const cJSON *root, const char *spec, char *out, size_t len)
{
    char path[FIELD_MAX];
    snprintf(path, sizeof path, "%s", spec);
    char *fmt = strchr(path, '|');
    if (fmt) *fmt++ = 0;
    const cJSON *j = find(root, path);
    if (!j || cJSON_IsNull(j)) return false;
    if (cJSON_IsString(j)) { snprintf(out, len, "%s", j->valuestring); return true; }
    double v;
    if (cJSON_IsNumber(j)) v = j->valuedouble;
    else if (cJSON_IsBool(j)) { snprintf(out, len, "%s", cJSON_IsTrue(j) ? "yes" : "no"); return true; }
    else return false;
    if (fmt && strcmp(fmt, "ns") == 0) {
        sim_format_duration_short((sim_time_t)llround(v), out, len);
    } else if (fmt && strcmp(fmt, "pct") == 0) {
        double p = 100.0 * v;
        if (p > 0 && p < 0.1) snprintf(out, len, "%.2g%%", p);
        else snprintf(out, len, "%.1f%%", p);
    } else if (fmt && fmt[0] == '.') {
        snprintf(out, len, "%.*f", atoi(fmt + 1), v);
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, len, "%.0f", v);
    } else {
        snprintf(out, len, "%.4g", v);
    }
    return true;
}

static bool render(const cJSON *root, const char *tpl, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = 0;
    for (const char *p = tpl; *p;) {
        if (*p != '{') {
            if (o + 1 < len) buf[o++] = *p;
            p++;
            continue;
        }
        const char *end = strchr(p, '}');
        if (!end || (size_t)(end - p) >= FIELD_MAX) return false;
        char spec[FIELD_MAX], val[96];
        memcpy(spec, p + 1, (size_t)(end - p - 1));
        spec[end - p - 1] = 0;
        if (!field(root, spec, val, sizeof val)) return false;
        for (const char *v = val; *v && o + 1 < len; v++) buf[o++] = *v;
        p = end + 1;
    }
    buf[o < len ? o : len - 1] = 0;
    return true;
}

/* The length of the list a "[#]" template repeats over: the list at the path before
 * the first "[#]". -1 when the template has none. */
static int repeat_count(const cJSON *root, const char *tpl)
{
    const char *h = strstr(tpl, "[#]");
    if (!h) return -1;
    const char *b = h;
    while (b > tpl && b[-1] != '{') b--;
    char path[FIELD_MAX];
    size_t n = (size_t)(h - b);
    if (n >= sizeof path) return 0;
    memcpy(path, b, n);
    path[n] = 0;
    const cJSON *j = find(root, path);
    return cJSON_IsArray(j) ? cJSON_GetArraySize(j) : 0;
}

static void add(sumtext_t *out, const char *label, const char *text)
{
    if (out->n >= SUMTEXT_LINES_MAX) return;
    snprintf(out->label[out->n], sizeof out->label[0], "%s", label);
    snprintf(out->text[out->n], sizeof out->text[0], "%s", text);
    out->n++;
}

int sumtext_render(const char *summary_json, const proto_line_t *lines, sumtext_t *out)
{
    out->n = 0;
    cJSON *root = cJSON_Parse(summary_json);
    if (!root) return SIM_EINPUT;
    char buf[SUMTEXT_LINE_MAX], tpl[1024];
    for (const proto_line_t *l = lines; l && l->label; l++) {
        int reps = repeat_count(root, l->text);
        if (reps < 0) {
            if (render(root, l->text, buf, sizeof buf)) add(out, l->label, buf);
            continue;
        }
        bool first = true;
        for (int i = 0; i < reps; i++) {
            /* The template with every "[#]" made "[i]". */
            size_t o = 0;
            for (const char *p = l->text; *p && o + 12 < sizeof tpl;) {
                if (strncmp(p, "[#]", 3) == 0) { o += (size_t)snprintf(tpl + o, sizeof tpl - o, "[%d]", i); p += 3; }
                else tpl[o++] = *p++;
            }
            tpl[o] = 0;
            if (!render(root, tpl, buf, sizeof buf)) continue;
            add(out, first ? l->label : "", buf);
            first = false;
        }
    }
    cJSON_Delete(root);
    return SIM_OK;
}

bool sumtext_line(const char *summary_json, const char *tpl, char *buf, size_t len)
{
    cJSON *root = cJSON_Parse(summary_json);
    bool ok = root && render(root, tpl, buf, len);
    cJSON_Delete(root);
    return ok;
}

int sumtext_numbers(const char *summary_json, const char *const *paths, uint32_t n, double *out)
{
    cJSON *root = cJSON_Parse(summary_json);
    for (uint32_t i = 0; i < n; i++) {
        const cJSON *j = root ? find(root, paths[i]) : NULL;
        out[i] = cJSON_IsNumber(j) ? j->valuedouble : cJSON_IsBool(j) ? (cJSON_IsTrue(j) ? 1 : 0) : NAN;
    }
    cJSON_Delete(root);
    return root ? SIM_OK : SIM_EINPUT;
}

uint32_t sumtext_count(const char *summary_json, const char *path)
{
    cJSON *root = cJSON_Parse(summary_json);
    const cJSON *j = root ? find(root, path) : NULL;
    uint32_t n = cJSON_IsArray(j) ? (uint32_t)cJSON_GetArraySize(j) : 0;
    cJSON_Delete(root);
    return n;
}
