/* scenario_write.c -- a scenario file with recorded actions appended to its faults.
 *
 * The original file is parsed with cJSON and edited as a tree: every key the author
 * wrote stays as written, and each action is first written by scn_write_action (the
 * one place that knows how an action looks in a scenario) and parsed back into a node.
 * That way the loader and this writer can never disagree about an action's spelling
 * without the round trip in tests/test_viz.c noticing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cJSON.h>
#include "core/afile.h"
#include "scenario/override.h"
#include "scenario/scenario_write.h"
#include "proto/plugin.h"

#define SCN_WRITE_FILE_MAX (64u << 20)   /* the loader refuses larger scenarios too */
#define SCN_SEED_MAX 9007199254740991.0  /* 2^53-1: what a JSON number holds exactly */

/* Reads a whole file into a NUL-terminated buffer; NULL with a sentence in err. */
static char *read_all(const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) { snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno)); return NULL; }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            if (cap >= SCN_WRITE_FILE_MAX) { free(buf); buf = NULL; snprintf(err, err_len, "%s: larger than 64 MiB", path); break; }
            char *more = realloc(buf, cap * 2);
            if (!more) { free(buf); buf = NULL; snprintf(err, err_len, "%s: out of memory", path); break; }
            buf = more;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        if (got == 0) break;
        len += got;
    }
    if (buf && ferror(f)) { free(buf); buf = NULL; snprintf(err, err_len, "%s: cannot read: %s", path, strerror(errno)); }
    fclose(f);
    if (buf) buf[len] = 0;
    return buf;
}

/* Sets obj[key] to item, replacing a value that is there (keeping its position). */
static void set_key(cJSON *obj, const char *key, cJSON *item)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key)) cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item);
    else cJSON_AddItemToObject(obj, key, item);
}

int scn_write_with_actions(const char *orig_path, const sim_t *s, const sim_action_t *acts, uint32_t n,
                           const char *out_path, char *err, size_t err_len)
{
    return scn_write_with_actions_sets(orig_path, NULL, 0, s, acts, n, out_path, err, err_len);
}

int scn_write_with_actions_sets(const char *orig_path, const char *const *sets, uint32_t n_sets, const sim_t *s,
                                const sim_action_t *acts, uint32_t n, const char *out_path, char *err, size_t err_len)
{
    char *text = n_sets ? scn_text_with_sets(orig_path, sets, n_sets, err, err_len) : read_all(orig_path, err, err_len);
    if (!text) return SIM_EIO;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        snprintf(err, err_len, "%s: not a scenario (expected one JSON object); check it with dsim validate", orig_path);
        return SIM_EINPUT;
    }
    int rc = SIM_EINPUT;
    jw_t w;
    jw_init(&w, false);
    cJSON *faults = cJSON_GetObjectItemCaseSensitive(root, "faults");
    if (!faults) {
        faults = cJSON_AddArrayToObject(root, "faults");
    } else if (!cJSON_IsArray(faults)) {
        snprintf(err, err_len, "%s: $.faults: expected a list of faults", orig_path);
        goto out;
    }
    if ((uint64_t)cJSON_GetArraySize(faults) + n > SIM_FAULTS_MAX) {
        snprintf(err, err_len, "%s: more than SIM_FAULTS_MAX (%d) faults with the %u recorded actions",
                 out_path, SIM_FAULTS_MAX, n);
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        jw_reset(&w);
        scn_write_action(s, &acts[i], &w);
        cJSON *item = cJSON_Parse(w.buf);
        if (!item) {
            snprintf(err, err_len, "action %u (%s) did not write as JSON: %s", i, act_kind_names[acts[i].kind], w.buf);
            goto out;
        }
        cJSON_AddItemToArray(faults, item);
    }

    /* A session ran with one seed and one duration; the file must say so to replay. */
    if ((double)sim_seed(s) > SCN_SEED_MAX) {
        snprintf(err, err_len, "seed %" PRIu64 " is above 2^53-1, which a scenario file cannot hold", sim_seed(s));
        goto out;
    }
    set_key(root, "seed", cJSON_CreateNumber((double)sim_seed(s)));
    if (sim_end(s) != sim_scenario(s)->duration_ns) {
        char d[48];
        set_key(root, "duration", cJSON_CreateString(sim_format_duration(sim_end(s), d, sizeof d)));
    }
    /* A plug-in's path is relative to the original file, which the copy may not sit
     * beside: name the library the run loaded, wherever the copy is written. */
    cJSON *proto = cJSON_GetObjectItemCaseSensitive(root, "protocol");
    const char *lib = plugin_path(sim_protocol(s));
    if (lib && cJSON_IsObject(proto) && cJSON_GetObjectItemCaseSensitive(proto, "plugin"))
        set_key(proto, "plugin", cJSON_CreateString(lib));
    if (n) {
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
        const char *old = cJSON_IsString(desc) ? desc->valuestring : "";
        size_t len = strlen(old) + 128;
        char *d = malloc(len);
        if (d) {
            snprintf(d, len, "%s%s(Recorded in dsim view: %u action%s appended to faults.)",
                     old, old[0] ? " " : "", n, n == 1 ? "" : "s");
            set_key(root, "description", cJSON_CreateString(d));
            free(d);
        }
    }

    char *out = cJSON_Print(root);
    if (!out) { snprintf(err, err_len, "%s: out of memory while formatting", out_path); goto out; }
    afile_t af;
    rc = afile_open(&af, out_path);
    if (rc != SIM_OK) {
        snprintf(err, err_len, "%s: cannot create: %s", out_path, rc == SIM_EINPUT ? "path too long" : strerror(errno));
        cJSON_free(out);
        rc = rc == SIM_EINPUT ? SIM_EINPUT : SIM_EIO;
        goto out;
    }
    fputs(out, af.f);
    fputc('\n', af.f);
    cJSON_free(out);
    rc = afile_commit(&af);
    if (rc != SIM_OK) snprintf(err, err_len, "%s: cannot write: %s", out_path, strerror(errno));
out:
    jw_free(&w);
    cJSON_Delete(root);
    return rc;
}

/* ---- Writing actions as scenario JSON. ------------------------------------ */

static void write_duration(jw_t *w, sim_time_t t)
{
    char buf[48];
    jw_str(w, sim_format_duration(t, buf, sizeof buf));
}

/* The fields of a distribution, without braces: a mixture's parts are written inline
 * with their weight, as the loader reads them. */
static void dist_fields(jw_t *w, const dist_t *d)
{
    jw_kstr(w, "dist", dist_kind_name(d->kind));
    switch (d->kind) {
    case DIST_CONSTANT: jw_key(w, "value"); write_duration(w, (sim_time_t)d->a); break;
    case DIST_UNIFORM: jw_key(w, "min"); write_duration(w, (sim_time_t)d->a); jw_key(w, "max"); write_duration(w, (sim_time_t)d->b); break;
    case DIST_NORMAL: jw_key(w, "mean"); write_duration(w, (sim_time_t)d->a); jw_key(w, "sd"); write_duration(w, (sim_time_t)d->b); break;
    case DIST_EXPONENTIAL: jw_key(w, "mean"); write_duration(w, (sim_time_t)d->a); break;
    case DIST_LOGNORMAL: jw_key(w, "median"); write_duration(w, (sim_time_t)d->a); jw_kreal(w, "sigma", d->b); break;
    case DIST_PARETO: jw_key(w, "xm"); write_duration(w, (sim_time_t)d->a); jw_kreal(w, "alpha", d->b); break;
    case DIST_MIXTURE:
        jw_key(w, "of");
        jw_arr_begin(w);
        for (int i = 0; i < d->n; i++) {
            jw_obj_begin(w);
            jw_kreal(w, "weight", d->weight[i]);
            dist_fields(w, &d->part[i]);
            jw_obj_end(w);
        }
        jw_arr_end(w);
        break;
    }
    if (d->offset_ns) { jw_key(w, "offset"); write_duration(w, d->offset_ns); }
}

void scn_write_dist(jw_t *w, const dist_t *d)
{
    if (d->kind == DIST_CONSTANT && !d->offset_ns) { write_duration(w, (sim_time_t)d->a); return; }
    jw_obj_begin(w);
    dist_fields(w, d);
    jw_obj_end(w);
}

static void write_net(const sim_t *s, jw_t *w, const net_params_t *p)
{
    if (p->mask & NET_F_LATENCY) { jw_key(w, "latency"); scn_write_dist(w, &p->latency); }
    if (p->mask & NET_F_LOSS) jw_kreal(w, "loss", p->loss);
    if (p->mask & NET_F_DUPLICATE) jw_kreal(w, "duplicate", p->duplicate);
    if (p->mask & NET_F_BANDWIDTH) {
        char bw[48];
        snprintf(bw, sizeof bw, "%.0fbps", p->bandwidth_bps);
        jw_kstr(w, "bandwidth", bw);
    }
    if (p->mask & NET_F_FIFO) jw_kbool(w, "fifo", p->fifo);
    if (p->mask & NET_F_TYPE_LATENCY) {
        jw_key(w, "type_latency");
        jw_obj_begin(w);
        for (unsigned i = 0; i < p->n_type_latency; i++) {
            jw_key(w, sim_msg_type_name(s, p->type_latency_type[i]));
            scn_write_dist(w, &p->type_latency[i]);
        }
        jw_obj_end(w);
    }
}

void scn_write_action(const sim_t *s, const sim_action_t *a, jw_t *w)
{
    jw_obj_begin(w);
    jw_key(w, "at");
    write_duration(w, a->at_ns);
    switch (a->kind) {
    case ACT_CRASH: case ACT_RESTART: case ACT_PAUSE: case ACT_RESUME: case ACT_ISOLATE:
    case ACT_JOIN: case ACT_LEAVE:
        jw_kstr(w, act_kind_names[a->kind], sim_name_of(s, a->node));
        break;
    case ACT_PARTITION:
        jw_key(w, "partition");
        jw_arr_begin(w);
        for (uint8_t g = 1; g <= a->n_groups; g++) {
            jw_arr_begin(w);
            for (uint32_t i = 0; i < a->n_members; i++)
                if (a->groups[i] == g) jw_str(w, sim_name_of(s, a->members[i]));
            jw_arr_end(w);
        }
        jw_arr_end(w);
        if (a->oneway) jw_kbool(w, "oneway", true);
        break;
    case ACT_HEAL:
        jw_kbool(w, "heal", true);
        break;
    case ACT_LINK:
        jw_key(w, "link");
        jw_obj_begin(w);
        jw_kstr(w, "from", sim_name_of(s, a->node));
        jw_kstr(w, "to", sim_name_of(s, a->node2));
        if (a->oneway) jw_kbool(w, "oneway", true);
        write_net(s, w, &a->net);
        jw_obj_end(w);
        break;
    case ACT_NETWORK:
        jw_key(w, "network");
        jw_obj_begin(w);
        write_net(s, w, &a->net);
        jw_obj_end(w);
        break;
    case ACT_CLOCK:
        jw_kstr(w, "clock", sim_name_of(s, a->node));
        if (a->clock_mask & CLOCK_F_SKEW) { jw_key(w, "skew"); write_duration(w, a->skew_ns); }
        if (a->clock_mask & CLOCK_F_DRIFT) jw_kreal(w, "drift", a->drift);
        break;
    case ACT_DROP:
        jw_kuint(w, "drop", a->msg_id);
        break;
    case ACT_REQUEST:
        jw_key(w, "request");
        jw_obj_begin(w);
        jw_kstr(w, "client", sim_name_of(s, a->node));
        jw_kstr(w, "node", sim_name_of(s, a->node2));
        jw_kstr(w, "f", sim_op_names[a->op_f]);
        jw_kint(w, "key", a->key);
        jw_kint(w, "value", a->value);
        if (a->op_f == SIM_OP_CAS) jw_kint(w, "value2", a->value2);
        jw_obj_end(w);
        break;
    case ACT_COUNT_:
        break;
    }
    jw_obj_end(w);
}
