/* build.c -- writing a recorded session as a lesson file (build.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/jw.h"
#include "lesson/build.h"
#include "scenario/scenario.h"
#include "scenario/scenario_write.h"

#define BUILD_STOPS_MAX 40       /* LESSON_STEPS_MAX: one step per stop, after the first */

static int cmp_time(const void *a, const void *b)
{
    sim_time_t x = *(const sim_time_t *)a, y = *(const sim_time_t *)b;
    return x < y ? -1 : x > y;
}

/* The condition an action makes true, as a goal: what the student must bring about. */
static void write_goal_of(const sim_t *s, const sim_action_t *a, jw_t *w)
{
    char name[SIM_NAME_MAX], t[32];
    scn_node_name(sim_scenario(s), a->node, name, sizeof name);
    jw_obj_begin(w);
    switch (a->kind) {
    case ACT_CRASH: jw_kstr(w, "crashed", name); break;
    case ACT_PAUSE: jw_kstr(w, "paused", name); break;
    case ACT_ISOLATE: jw_kstr(w, "isolated", name); break;
    case ACT_PARTITION: jw_kbool(w, "partitioned", true); break;
    case ACT_HEAL: jw_kbool(w, "partitioned", false); break;
    case ACT_RESTART: jw_key(w, "not"); jw_obj_begin(w); jw_kstr(w, "crashed", name); jw_obj_end(w); break;
    case ACT_RESUME: jw_key(w, "not"); jw_obj_begin(w); jw_kstr(w, "paused", name); jw_obj_end(w); break;
    default:
        /* No state says a drop or a clock change happened: the moment just after it does. */
        jw_kstr(w, "time", sim_format_duration(a->at_ns + SIM_MS, t, sizeof t));
        break;
    }
    jw_obj_end(w);
}

int lesson_build_write(const char *scenario_path, const sim_t *s, const sim_action_t *acts, uint32_t n_acts,
                       const sim_time_t *stops_in, uint32_t n_stops_in, const char *out_path, char *err, size_t err_len)
{
    sim_time_t stops[BUILD_STOPS_MAX + 1];
    uint32_t n = 0;
    stops[n++] = 0;
    sim_time_t *sorted = malloc((n_stops_in ? n_stops_in : 1) * sizeof *sorted);
    if (!sorted) { snprintf(err, err_len, "out of memory"); return SIM_ENOMEM; }
    memcpy(sorted, stops_in, n_stops_in * sizeof *sorted);
    qsort(sorted, n_stops_in, sizeof *sorted, cmp_time);
    for (uint32_t i = 0; i < n_stops_in && n <= BUILD_STOPS_MAX - 1; i++)
        if (sorted[i] > stops[n - 1]) stops[n++] = sorted[i];
    free(sorted);
    const scn_t *scn = sim_scenario(s);
    jw_t w;
    jw_init(&w, true);
    jw_obj_begin(&w);
    char title[160], d[32];
    snprintf(title, sizeof title, "%s (recorded; write the narration)", scn->name);
    jw_kstr(&w, "title", title);
    jw_kstr(&w, "topic", "");
    jw_kint(&w, "level", 1);
    jw_kint(&w, "minutes", 10);
    jw_kstr(&w, "scenario", scenario_path);
    jw_key(&w, "steps");
    jw_arr_begin(&w);
    for (uint32_t k = 0; k < n; k++) {
        sim_time_t from = stops[k], to = k + 1 < n ? stops[k + 1] : SIM_TIME_MAX;
        jw_obj_begin(&w);
        jw_kstr(&w, "title", "");
        char say[160];
        snprintf(say, sizeof say, "(what to say at %s)", sim_format_duration(from, d, sizeof d));
        jw_kstr(&w, "narration", say);
        if (from > 0) { jw_key(&w, "until"); jw_obj_begin(&w); jw_kstr(&w, "time", d); jw_obj_end(&w); }
        /* The actions taken after this stop, before the next: this step's task. */
        uint32_t n_here = 0;
        for (uint32_t i = 0; i < n_acts; i++) n_here += acts[i].at_ns > from && acts[i].at_ns <= to;
        if (n_here) {
            jw_key(&w, "task");
            jw_obj_begin(&w);
            jw_kstr(&w, "text", "(what to ask the student to do)");
            jw_key(&w, "goal");
            jw_obj_begin(&w);
            jw_key(&w, "all");
            jw_arr_begin(&w);
            for (uint32_t i = 0; i < n_acts; i++)
                if (acts[i].at_ns > from && acts[i].at_ns <= to) write_goal_of(s, &acts[i], &w);
            jw_arr_end(&w);
            jw_obj_end(&w);
            jw_obj_end(&w);
            jw_key(&w, "solution");
            jw_arr_begin(&w);
            for (uint32_t i = 0; i < n_acts; i++)
                if (acts[i].at_ns > from && acts[i].at_ns <= to) scn_write_action(s, &acts[i], &w);
            jw_arr_end(&w);
        }
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj_end(&w);
    jw_newline(&w);
    FILE *f = fopen(out_path, "w");
    int rc = SIM_OK;
    if (!f || jw_flush(&w, f) != SIM_OK) rc = SIM_EIO;
    if (f && fclose(f) != 0) rc = SIM_EIO;
    if (rc != SIM_OK) snprintf(err, err_len, "%s: cannot write: %s", out_path, strerror(errno));
    jw_free(&w);
    return rc;
}
