/* pair.c -- two runs on one clock (pair.h).
 *
 * Kept apart from run.c on purpose: a pair is two ordinary runs and a rule for
 * translating actions between them, nothing inside either run changes, which is what
 * keeps each side equal to a fresh run of its own scenario.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run/pair.h"

static const char *const side_names[2] = {"left", "right"};

static int map_node(const run_t *from, const run_t *to, uint32_t id, uint32_t *out, char *err, size_t err_len)
{
    char name[SIM_NAME_MAX];
    scn_node_name(run_scenario(from), id, name, sizeof name);
    if (scn_node_id(run_scenario(to), name, out) == SIM_OK) return SIM_OK;
    if (err) snprintf(err, err_len, "%s has no node named %s", run_scenario(to)->name, name);
    return SIM_ENOTFOUND;
}

void run_pair_action_free(sim_action_t *a)
{
    free(a->members);
    free(a->groups);
    a->members = NULL;
    a->groups = NULL;
}

int run_pair_translate(const run_t *from, const run_t *to, const sim_action_t *a, sim_action_t *out, char *err, size_t err_len)
{
    *out = *a;
    out->members = NULL;
    out->groups = NULL;
    switch (a->kind) {
    case ACT_DROP:
        /* Message ids are numbered per run: #17 on one side is another message, or
         * none, on the other. */
        if (err) snprintf(err, err_len, "a dropped message belongs to one run: %s goes on without it", run_scenario(to)->name);
        return SIM_ENOTFOUND;
    case ACT_HEAL: case ACT_NETWORK:
        return SIM_OK;
    case ACT_LINK: case ACT_REQUEST: {
        int rc = map_node(from, to, a->node, &out->node, err, err_len);
        return rc != SIM_OK ? rc : map_node(from, to, a->node2, &out->node2, err, err_len);
    }
    case ACT_PARTITION: {
        if (!a->n_members) return SIM_OK;
        out->members = calloc(a->n_members, sizeof *out->members);
        out->groups = calloc(a->n_members, 1);
        if (!out->members || !out->groups) { run_pair_action_free(out); return SIM_ENOMEM; }
        for (uint32_t i = 0; i < a->n_members; i++) {
            int rc = map_node(from, to, a->members[i], &out->members[i], err, err_len);
            if (rc != SIM_OK) { run_pair_action_free(out); return rc; }
        }
        memcpy(out->groups, a->groups, a->n_members);
        return SIM_OK;
    }
    default:
        return map_node(from, to, a->node, &out->node, err, err_len);
    }
}

void run_pair_follow(const run_t *leader, run_t *follower)
{
    sim_time_t t = run_now(leader);
    if (t > run_end(follower)) t = run_end(follower);
    if (run_now(follower) != t) run_seek(follower, t);
}

int run_pair_act(run_t *const r[2], int side, const sim_action_t *a, bool applied[2], char *err, size_t err_len)
{
    int other = 1 - side;
    char why[256] = "";
    applied[0] = applied[1] = false;
    run_pair_follow(r[side], r[other]);
    int rc = run_act(r[side], a, NULL, why, sizeof why);
    if (rc != SIM_OK) {
        if (err) snprintf(err, err_len, "the %s side (%s) did not take it: %s", side_names[side], run_scenario(r[side])->name, why);
        return rc;
    }
    applied[side] = true;
    sim_action_t b;
    rc = run_pair_translate(r[side], r[other], a, &b, why, sizeof why);
    if (rc == SIM_OK) {
        b.at_ns = run_now(r[other]);
        rc = run_act(r[other], &b, NULL, why, sizeof why);
        run_pair_action_free(&b);
    }
    if (rc != SIM_OK) {
        if (err) snprintf(err, err_len, "only on the %s side: %s", side_names[side], why);
        return rc;
    }
    applied[other] = true;
    return SIM_OK;
}

void run_tally(run_t *r, run_tally_t *t)
{
    memset(t, 0, sizeof *t);
    const sim_t *s = run_sim(r);
    const hist_t *h = sim_history(s);
    /* Every operation that changes something counts as a write (write, cas, add,
     * append, a broadcast...); reads do not. */
    int32_t rf = hist_find_f(h, "read"), gf = hist_find_f(h, "get");
    sim_time_t since = run_now(r) - RUN_PAIR_RECENT_NS;
    for (uint32_t i = 0; i < h->n_ev; i++) {
        const hist_event_t *e = &h->ev[i];
        if (e->type == HIST_INVOKE || (int32_t)e->f == rf || (int32_t)e->f == gf) continue;
        bool ok = e->type == HIST_OK, recent = e->time_ns >= since;
        if (ok) { t->writes_ok++; t->recent_ok += recent; }
        else { t->writes_refused++; t->recent_refused += recent; }
    }
    double reads, stale;
    sim_t *m = run_sim_mut(r);
    if (cond_metric(m, "stale_reads.reads", &reads) == SIM_OK && cond_metric(m, "stale_reads.stale", &stale) == SIM_OK) {
        t->has_stale = true;
        t->reads = (uint64_t)reads;
        t->stale = (uint64_t)stale;
    }
}
