/* nemesis.c -- the random fault generators: generators of actions.
 *
 * A nemesis queues EV_NEMESIS events and, when one comes due, decides what to break
 * (a random minority, the current leader, a server whose failure time came) and does
 * it through sim_apply, as a scenario's fault would. Every choice is drawn from the
 * nemesis's own stream, so adding a nemesis never changes the network's or the
 * protocol's draws.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "core/sim_int.h"

const char *const nem_kind_names[] = {"random-partitions", "random-crashes", "crash-leader", "isolate-leader", NULL};

enum { NEM_PART_START, NEM_PART_HEAL, NEM_CRASH, NEM_RESTART, NEM_AIM, NEM_AIM_RESTART, NEM_AIM_HEAL };

struct nem {
    rng_t rng[SIM_NEMESES_MAX];
    uint32_t *perm;                 /* scratch for choosing a random minority */
};

static sim_time_t nem_stop(const sim_t *s, const nemesis_spec_t *n)
{
    return n->stop_ns > 0 && n->stop_ns < s->end ? n->stop_ns : s->end;
}

static sim_time_t exp_draw(rng_t *r, sim_time_t mean)
{
    gsl_rng g;
    rng_gsl(r, &g);
    return (sim_time_t)gsl_ran_exponential(&g, (double)mean);
}

void nemesis_create(sim_t *s)
{
    const scn_t *scn = s->scn;
    s->nem = sim_xcalloc(1, sizeof *s->nem);
    s->nem->perm = sim_xcalloc(s->n_servers, sizeof *s->nem->perm);
    for (uint32_t i = 0; i < scn->n_faults; i++) sim_schedule(s, &scn->faults[i]);
    if (s->opts)
        for (uint32_t i = 0; i < s->opts->n_extra_actions; i++) sim_schedule(s, &s->opts->extra_actions[i]);
    for (uint32_t k = 0; k < scn->n_nemeses; k++) {
        const nemesis_spec_t *n = &scn->nemeses[k];
        rng_t *r = &s->nem->rng[k];
        rng_seed(r, s->seed, RNG_NEMESIS, k);
        if (n->kind == NEM_RANDOM_PARTITIONS) {
            sim_ev_schedule(s, EV_NEMESIS, NEM_PART_START, 0, n->start_ns + n->every_ns, k, 0);
        } else if (n->kind == NEM_CRASH_LEADER || n->kind == NEM_ISOLATE_LEADER) {
            sim_ev_schedule(s, EV_NEMESIS, NEM_AIM, 0, n->at_ns >= 0 ? n->at_ns : n->start_ns + n->every_ns, k, 0);
        } else {
            for (uint32_t i = 0; i < s->n_servers; i++)
                sim_ev_schedule(s, EV_NEMESIS, NEM_CRASH, i, n->start_ns + exp_draw(r, n->mttf_ns), k, 0);
        }
    }
}

void nemesis_destroy(sim_t *s)
{
    free(s->nem->perm);
    free(s->nem);
    s->nem = NULL;
}

/* Every nemesis acts through sim_apply, the one path every action takes. */
static void apply_node(sim_t *s, act_kind_t kind, uint32_t node)
{
    sim_action_t a = {0};
    a.kind = kind;
    a.node = node;
    sim_apply(s, &a);
}

static void random_partition(sim_t *s, rng_t *r)
{
    uint32_t n = s->n_servers, *perm = s->nem->perm;
    if (n < 2) return;
    for (uint32_t i = 0; i < n; i++) perm[i] = i;
    /* Fisher-Yates, then the first m servers are the minority. */
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)rng_below(r, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    uint32_t m = 1 + (uint32_t)rng_below(r, n / 2 > 1 ? (n - 1) / 2 : 1);
    uint8_t *groups = sim_xcalloc(n, 1);
    for (uint32_t i = 0; i < n; i++) groups[i] = i < m ? 1 : 2;
    sim_action_t a = {0};
    a.kind = ACT_PARTITION;
    a.n_groups = 2;
    a.n_members = n;
    a.members = perm;
    a.groups = groups;
    sim_apply(s, &a);
    free(groups);
}

void nemesis_on_event(sim_t *s, const ev_t *e)
{
    const nemesis_spec_t *n = &s->scn->nemeses[e->id];
    rng_t *r = &s->nem->rng[e->id];
    sim_time_t stop = nem_stop(s, n);
    switch (e->sub) {
    case NEM_PART_START:
        if (s->now >= stop) return;
        random_partition(s, r);
        sim_ev_schedule(s, EV_NEMESIS, NEM_PART_HEAL, 0, s->now + n->duration_ns, e->id, 0);
        sim_ev_schedule(s, EV_NEMESIS, NEM_PART_START, 0, s->now + n->every_ns, e->id, 0);
        break;
    case NEM_PART_HEAL: {
        sim_action_t a = {0};
        a.kind = ACT_HEAL;
        sim_apply(s, &a);
        break;
    }
    case NEM_CRASH:
        if (s->now >= stop) return;
        if (s->nodes[e->node].up) {
            apply_node(s, ACT_CRASH, e->node);
            sim_ev_schedule(s, EV_NEMESIS, NEM_RESTART, e->node, s->now + exp_draw(r, n->mttr_ns), e->id, 0);
        } else {
            sim_ev_schedule(s, EV_NEMESIS, NEM_CRASH, e->node, s->now + exp_draw(r, n->mttf_ns), e->id, 0);
        }
        break;
    case NEM_RESTART:
        apply_node(s, ACT_RESTART, e->node);
        sim_ev_schedule(s, EV_NEMESIS, NEM_CRASH, e->node, s->now + exp_draw(r, n->mttf_ns), e->id, 0);
        break;
    case NEM_AIM: {
        if (s->now >= stop && n->at_ns < 0) return;
        if (n->at_ns < 0) sim_ev_schedule(s, EV_NEMESIS, NEM_AIM, 0, s->now + n->every_ns, e->id, 0);
        int64_t leader = sim_leader(s);
        if (leader < 0) return;
        sim_action_t a = {0};
        a.node = (uint32_t)leader;
        if (n->kind == NEM_CRASH_LEADER) {
            a.kind = ACT_CRASH;
            sim_apply(s, &a);
            if (n->restart_after_ns > 0)
                sim_ev_schedule(s, EV_NEMESIS, NEM_AIM_RESTART, a.node, s->now + n->restart_after_ns, e->id, 0);
        } else {
            a.kind = ACT_ISOLATE;
            sim_apply(s, &a);
            sim_ev_schedule(s, EV_NEMESIS, NEM_AIM_HEAL, a.node, s->now + n->duration_ns, e->id, 0);
        }
        break;
    }
    case NEM_AIM_RESTART:
        if (!s->nodes[e->node].up) apply_node(s, ACT_RESTART, e->node);
        break;
    case NEM_AIM_HEAL: {
        sim_action_t a = {0};
        a.kind = ACT_HEAL;
        sim_apply(s, &a);
        break;
    }
    }
}

