/* override.c -- `--set PATH=VALUE` applied to a scenario's JSON before it is loaded.
 *
 * The file is parsed once with cJSON, each override walks its path (creating objects
 * that are missing, refusing to step through anything that is not an object or a
 * list), the result is printed back to text and handed to the ordinary loader. Going
 * through text costs a print and a parse per load, a few microseconds for a scenario,
 * and buys one loader with one set of checks and messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cJSON.h>
#include "scenario/override.h"

#define SET_PATH_MAX 192           /* bytes of one PATH */
#define SET_SEGMENTS_MAX 16        /* keys and indices in one PATH */
#define SCN_FILE_MAX (64u << 20)   /* the loader's own limit on a scenario file */

typedef struct seg {
    char key[SET_PATH_MAX];        /* "" when this segment is an index */
    long index;
} seg_t;

static const char *kind_of(const cJSON *v)
{
    if (cJSON_IsObject(v)) return "an object";
    if (cJSON_IsArray(v)) return "a list";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    return "null";
}

/* Splits spec at its first '=' and PATH into segments. Returns the number of segments
 * or -1 with a sentence in err. */
static int split(const char *spec, seg_t *segs, const char **value, char *err, size_t err_len)
{
    const char *eq = strchr(spec, '=');
    if (!eq) {
        snprintf(err, err_len, "--set %s: expected PATH=VALUE, such as protocol.params.r=2; found no '='", spec);
        return -1;
    }
    *value = eq + 1;
    size_t plen = (size_t)(eq - spec);
    if (plen == 0) {
        snprintf(err, err_len, "--set %s: expected a JSON path before '=', such as network.loss; found none", spec);
        return -1;
    }
    if (plen >= SET_PATH_MAX) {
        snprintf(err, err_len, "--set: a path of at most %d characters expected, found %zu", SET_PATH_MAX - 1, plen);
        return -1;
    }
    char path[SET_PATH_MAX];
    memcpy(path, spec, plen);
    path[plen] = 0;
    int n = 0;
    const char *p = path;
    while (*p) {
        if (n == SET_SEGMENTS_MAX) {
            snprintf(err, err_len, "--set %s: a path of at most %d keys expected", spec, SET_SEGMENTS_MAX);
            return -1;
        }
        if (*p == '[') {
            char *end;
            errno = 0;
            long ix = strtol(p + 1, &end, 10);
            if (end == p + 1 || *end != ']' || errno || ix < 0 || p[1] == '-' || p[1] == '+') {
                snprintf(err, err_len, "--set %s: expected an index such as [0] after a list's name, found \"%.*s\"",
                         spec, (int)strcspn(p, "."), p);
                return -1;
            }
            segs[n].key[0] = 0;
            segs[n++].index = ix;
            p = end + 1;
            if (*p == '.') {
                p++;
                if (!*p || *p == '.' || *p == '[') goto empty;
            } else if (*p && *p != '[') {
                snprintf(err, err_len, "--set %s: expected '.' or '[' after \"]\", found '%c'", spec, *p);
                return -1;
            }
            continue;
        }
        size_t k = strcspn(p, ".[");
        if (k == 0) goto empty;
        memcpy(segs[n].key, p, k);
        segs[n].key[k] = 0;
        segs[n++].index = -1;
        p += k;
        if (*p == '.') {
            p++;
            if (!*p || *p == '.' || *p == '[') goto empty;
        }
    }
    return n;
empty:
    snprintf(err, err_len, "--set %s: expected a key between dots, such as protocol.params.r; found an empty one", spec);
    return -1;
}

int scn_set_check(const char *spec, char *err, size_t err_len)
{
    seg_t segs[SET_SEGMENTS_MAX];
    const char *value;
    return split(spec, segs, &value, err, err_len) < 0 ? SIM_EINPUT : SIM_OK;
}

int scn_take_sets(int *argc, char **argv, const char **sets, uint32_t *n_sets, char *err, size_t err_len)
{
    *n_sets = 0;
    int out = 1;
    for (int i = 1; i < *argc; i++) {
        const char *spec;
        if (strcmp(argv[i], "--set") == 0) {
            if (i + 1 >= *argc) { snprintf(err, err_len, "--set needs a value, such as --set network.loss=0.05"); return SIM_EINPUT; }
            spec = argv[++i];
        } else if (strncmp(argv[i], "--set=", 6) == 0) {
            spec = argv[i] + 6;
        } else if (strcmp(argv[i], "--durable-dir") == 0 || strncmp(argv[i], "--durable-dir=", 14) == 0) {
            /* A Maelstrom run's durable folder: --set protocol.params.durable_dir=DIR, with
             * DIR from the current folder, as a person typing it means (a --set path is
             * read from the scenario's). One per command line. */
            static char durable[4200];
            char cwd[4096];
            const char *dir = argv[i][13] == '=' ? argv[i] + 14 : i + 1 < *argc ? argv[++i] : "";
            if (!dir[0]) { snprintf(err, err_len, "--durable-dir needs a folder, such as --durable-dir state"); return SIM_EINPUT; }
            if (dir[0] == '/' || !getcwd(cwd, sizeof cwd)) snprintf(durable, sizeof durable, "protocol.params.durable_dir=%s", dir);
            else snprintf(durable, sizeof durable, "protocol.params.durable_dir=%s/%s", cwd, dir);
            spec = durable;
        } else {
            argv[out++] = argv[i];
            continue;
        }
        if (*n_sets == SCN_SETS_MAX) { snprintf(err, err_len, "--set: at most %d overrides expected", SCN_SETS_MAX); return SIM_EINPUT; }
        if (scn_set_check(spec, err, err_len) != SIM_OK) return SIM_EINPUT;
        sets[(*n_sets)++] = spec;
    }
    *argc = out;
    argv[out] = NULL;
    return SIM_OK;
}

/* "$.a.b[2]" of the first n segments. */
static void jpath_of(const seg_t *segs, int n, char *out, size_t len)
{
    size_t used = (size_t)snprintf(out, len, "$");
    for (int i = 0; i < n && used < len; i++) {
        if (segs[i].key[0]) used += (size_t)snprintf(out + used, len - used, ".%s", segs[i].key);
        else used += (size_t)snprintf(out + used, len - used, "[%ld]", segs[i].index);
    }
}

/* Applies one override to root. Returns SIM_OK or SIM_EINPUT with a sentence in err. */
static int apply_one(cJSON *root, const char *spec, const char *path, char *err, size_t err_len)
{
    seg_t segs[SET_SEGMENTS_MAX];
    const char *value;
    int n = split(spec, segs, &value, err, err_len);
    if (n < 0) return SIM_EINPUT;
    cJSON *v = cJSON_ParseWithOpts(value, NULL, 1);
    if (!v) v = cJSON_CreateString(value);
    if (!v) { snprintf(err, err_len, "--set %s: out of memory", spec); return SIM_EIO; }

    cJSON *cur = root;
    char where[SET_PATH_MAX + 8];
    for (int i = 0; i < n; i++) {
        bool last = i == n - 1;
        jpath_of(segs, i, where, sizeof where);
        if (segs[i].key[0]) {
            if (!cJSON_IsObject(cur)) {
                snprintf(err, err_len, "%s: --set %s: %s is %s, so it has no key \"%s\"; expected an object there",
                         path, spec, where, kind_of(cur), segs[i].key);
                cJSON_Delete(v);
                return SIM_EINPUT;
            }
            cJSON *next = cJSON_GetObjectItemCaseSensitive(cur, segs[i].key);
            if (last) {
                if (next) cJSON_ReplaceItemInObjectCaseSensitive(cur, segs[i].key, v);   /* keeps the key's place */
                else cJSON_AddItemToObject(cur, segs[i].key, v);
                return SIM_OK;
            }
            if (!next) {
                if (!segs[i + 1].key[0]) {
                    jpath_of(segs, i + 1, where, sizeof where);
                    snprintf(err, err_len, "%s: --set %s: %s does not exist, so it cannot be indexed; expected a list there",
                             path, spec, where);
                    cJSON_Delete(v);
                    return SIM_EINPUT;
                }
                next = cJSON_AddObjectToObject(cur, segs[i].key);
            }
            cur = next;
        } else {
            if (!cJSON_IsArray(cur)) {
                snprintf(err, err_len, "%s: --set %s: %s is %s, not a list; expected a list to index with [%ld]",
                         path, spec, where, kind_of(cur), segs[i].index);
                cJSON_Delete(v);
                return SIM_EINPUT;
            }
            int size = cJSON_GetArraySize(cur);
            if (segs[i].index >= size) {
                snprintf(err, err_len, "%s: --set %s: %s has %d element%s; expected an index from 0 to %d, found %ld",
                         path, spec, where, size, size == 1 ? "" : "s", size - 1, segs[i].index);
                cJSON_Delete(v);
                return SIM_EINPUT;
            }
            cJSON *next = cJSON_GetArrayItem(cur, (int)segs[i].index);
            if (last) {
                cJSON_ReplaceItemViaPointer(cur, next, v);
                return SIM_OK;
            }
            cur = next;
        }
    }
    cJSON_Delete(v);
    return SIM_OK;
}

char *scn_text_apply_sets(const char *text, const char *path, const char *const *sets, uint32_t n_sets,
                          char *err, size_t err_len)
{
    if (n_sets > SCN_SETS_MAX) {
        snprintf(err, err_len, "--set: at most %d overrides expected, found %u", SCN_SETS_MAX, n_sets);
        return NULL;
    }
    cJSON *root = n_sets ? cJSON_ParseWithOpts(text, NULL, 1) : NULL;
    /* Without overrides, or when the file is not JSON, the loader sees the text as
     * written, and reports its syntax errors with lines and columns of the file. */
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        char *copy = strdup(text);
        if (!copy) snprintf(err, err_len, "%s: out of memory", path);
        return copy;
    }
    for (uint32_t i = 0; i < n_sets; i++) {
        if (apply_one(root, sets[i], path, err, err_len) != SIM_OK) {
            cJSON_Delete(root);
            return NULL;
        }
    }
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!out) snprintf(err, err_len, "%s: out of memory", path);
    return out;
}

char *scn_text_with_sets(const char *path, const char *const *sets, uint32_t n_sets, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno)); return NULL; }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) { fclose(f); snprintf(err, err_len, "%s: out of memory", path); return NULL; }
        if (len + 1 >= cap) {
            if (cap >= SCN_FILE_MAX) {
                fclose(f);
                free(buf);
                snprintf(err, err_len, "%s: larger than 64 MiB; a scenario is a small hand-written file", path);
                return NULL;
            }
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) free(buf);
            buf = nb;
            continue;
        }
        size_t k = fread(buf + len, 1, cap - len - 1, f);
        if (k == 0) break;
        len += k;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno)); return NULL; }
    buf[len] = 0;
    if (strlen(buf) != len) { free(buf); snprintf(err, err_len, "%s: not a text file (it contains a NUL byte)", path); return NULL; }
    if (!n_sets) return buf;
    char *out = scn_text_apply_sets(buf, path, sets, n_sets, err, err_len);
    free(buf);
    return out;
}

/* When the loader's message is about a value an override set (or inside one), say so. */
static void name_override(const char *const *sets, uint32_t n_sets, char *err, size_t err_len)
{
    for (uint32_t i = n_sets; i-- > 0;) {
        seg_t segs[SET_SEGMENTS_MAX];
        const char *value;
        char e2[8], jp[SET_PATH_MAX + 8], a[SET_PATH_MAX + 16], b[SET_PATH_MAX + 16];
        int n = split(sets[i], segs, &value, e2, sizeof e2);
        if (n < 0) continue;
        jpath_of(segs, n, jp, sizeof jp);
        snprintf(a, sizeof a, ": %s:", jp);
        snprintf(b, sizeof b, ": %s.", jp);
        char c[SET_PATH_MAX + 16];
        snprintf(c, sizeof c, ": %s[", jp);
        if (strstr(err, a) || strstr(err, b) || strstr(err, c)) {
            size_t used = strlen(err);
            snprintf(err + used, err_len - used, " (set by --set %s)", sets[i]);
            return;
        }
    }
}

int scn_load_file_with_sets(const char *path, const char *const *sets, uint32_t n_sets, scn_t *out,
                            char *err, size_t err_len)
{
    if (!n_sets) return scn_load_file(path, out, err, err_len);
    memset(out, 0, sizeof *out);
    char *text = scn_text_with_sets(path, sets, n_sets, err, err_len);
    if (!text) return SIM_EINPUT;
    int rc = scn_load_string(text, path, out, err, err_len);
    free(text);
    if (rc != SIM_OK) name_override(sets, n_sets, err, err_len);
    return rc;
}
