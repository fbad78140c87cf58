/* fault.c -- applying actions, the fault schedule, and the random nemeses.
 *
 * Scheduled actions are copied into the simulation (with their partition groups) and
 * queued as EV_ACTION events; the nemeses queue EV_NEMESIS events and draw every
 * choice from their own stream, so adding a nemesis never changes the network's or the
 * protocol's draws.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "core/sim_int.h"

const char *const act_kind_names[] = {
    "crash", "restart", "pause", "resume", "partition", "heal", "isolate", "link", "network",
    "clock", "drop", "request", "join", "leave", NULL,
};
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

void fault_create(sim_t *s)
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

void fault_destroy(sim_t *s)
{
    free(s->nem->perm);
    free(s->nem);
    s->nem = NULL;
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

void fault_on_event(sim_t *s, const ev_t *e)
{
    if (e->kind == EV_ACTION) {
        sim_apply(s, &s->actions[e->id]);
        return;
    }
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
            sim_node_crash(s, e->node);
            sim_ev_schedule(s, EV_NEMESIS, NEM_RESTART, e->node, s->now + exp_draw(r, n->mttr_ns), e->id, 0);
        } else {
            sim_ev_schedule(s, EV_NEMESIS, NEM_CRASH, e->node, s->now + exp_draw(r, n->mttf_ns), e->id, 0);
        }
        break;
    case NEM_RESTART:
        sim_node_restart(s, e->node);
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
        if (!s->nodes[e->node].up) sim_node_restart(s, e->node);
        break;
    case NEM_AIM_HEAL: {
        sim_action_t a = {0};
        a.kind = ACT_HEAL;
        sim_apply(s, &a);
        break;
    }
    }
}

int sim_schedule(sim_t *s, const sim_action_t *a)
{
    if (s->n_actions == s->cap_actions) {
        s->cap_actions = s->cap_actions ? 2 * s->cap_actions : 16;
        s->actions = sim_xrealloc(s->actions, s->cap_actions * sizeof *s->actions);
    }
    sim_action_t *c = &s->actions[s->n_actions];
    *c = *a;
    if (a->n_members) {
        c->members = sim_xcalloc(a->n_members, sizeof *c->members);
        c->groups = sim_xcalloc(a->n_members, 1);
        memcpy(c->members, a->members, a->n_members * sizeof *c->members);
        memcpy(c->groups, a->groups, a->n_members);
    } else {
        c->members = NULL;
        c->groups = NULL;
    }
    sim_ev_schedule(s, EV_ACTION, 0, 0, a->at_ns, s->n_actions, 0);
    s->n_actions++;
    return SIM_OK;
}

static void trace_simple(sim_t *s, trace_kind_t k, uint32_t a, uint32_t b, int64_t x, const char *text)
{
    trace_rec_t r = {0};
    r.kind = (uint8_t)k;
    r.a = a;
    r.b = b;
    r.x = x;
    r.t = s->now;
    r.text = text;
    sim_trace(s, &r);
}

/* "n1,n2|n3,n4,n5": the groups as named, for the trace. Unnamed servers are left out. */
static void describe_groups(const sim_t *s, const sim_action_t *a, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = 0;
    for (uint8_t g = 1; g <= a->n_groups; g++) {
        if (g > 1 && at + 1 < len) buf[at++] = '|';
        bool first = true;
        for (uint32_t i = 0; i < a->n_members && at + 1 < len; i++) {
            if (a->groups[i] != g) continue;
            int w = snprintf(buf + at, len - at, "%s%s", first ? "" : ",", sim_name(s, a->members[i]));
            if (w < 0 || (size_t)w >= len - at) { at = len - 1; break; }
            at += (size_t)w;
            first = false;
        }
        buf[at < len ? at : len - 1] = 0;
    }
}

int sim_apply(sim_t *s, const sim_action_t *a)
{
    bool server = a->node < s->n_servers;
    switch (a->kind) {
    case ACT_CRASH:
        if (!server || !s->nodes[a->node].up) return SIM_EINPUT;
        sim_node_crash(s, a->node);
        return SIM_OK;
    case ACT_RESTART:
        if (!server || s->nodes[a->node].up) return SIM_EINPUT;
        sim_node_restart(s, a->node);
        return SIM_OK;
    case ACT_PAUSE:
        if (!server || !s->nodes[a->node].up || s->nodes[a->node].paused) return SIM_EINPUT;
        sim_node_pause(s, a->node);
        return SIM_OK;
    case ACT_RESUME:
        if (!server || !s->nodes[a->node].paused) return SIM_EINPUT;
        sim_node_resume(s, a->node);
        return SIM_OK;
    case ACT_PARTITION: {
        if (a->n_groups < 1 || a->n_groups > SIM_GROUPS_MAX) return SIM_EINPUT;
        for (uint32_t i = 0; i < a->n_members; i++)
            if (a->members[i] >= s->n_nodes || a->groups[i] < 1 || a->groups[i] > a->n_groups) return SIM_EINPUT;
        net_partition(&s->net, a->members, a->groups, a->n_members, a->n_groups, a->oneway);
        s->st.partitions++;
        s->st.last_fault_ns = s->now;
        char buf[512];
        describe_groups(s, a, buf, sizeof buf);
        trace_simple(s, TR_PARTITION, 0, 0, a->oneway, buf);
        return SIM_OK;
    }
    case ACT_HEAL:
        net_heal(&s->net);
        s->st.last_fault_ns = s->now;
        trace_simple(s, TR_HEAL, 0, 0, 0, NULL);
        return SIM_OK;
    case ACT_ISOLATE:
        if (!server) return SIM_EINPUT;
        net_isolate(&s->net, a->node);
        s->st.partitions++;
        s->st.last_fault_ns = s->now;
        trace_simple(s, TR_ISOLATE, a->node, 0, 0, NULL);
        return SIM_OK;
    case ACT_LINK:
        if (net_set_link(&s->net, a->node, a->node2, &a->net) != SIM_OK) return SIM_EINPUT;
        if (!a->oneway && net_set_link(&s->net, a->node2, a->node, &a->net) != SIM_OK) return SIM_EINPUT;
        trace_simple(s, TR_LINK, a->node, a->node2, 0, NULL);
        return SIM_OK;
    case ACT_NETWORK:
        net_set_defaults(&s->net, &a->net);
        trace_simple(s, TR_NETWORK, 0, 0, 0, NULL);
        return SIM_OK;
    case ACT_CLOCK:
        if (!server) return SIM_EINPUT;
        sim_node_set_clock(s, a->node, a->clock_mask, a->skew_ns, a->drift);
        trace_simple(s, TR_CLOCK, a->node, 0, sim_node_clock(s, a->node) - s->now, NULL);
        return SIM_OK;
    case ACT_DROP:
        return sim_drop_message(s, a->msg_id);
    case ACT_REQUEST:
        return wl_request(s, a);
    case ACT_JOIN:
        if (!server || s->nodes[a->node].member) return SIM_EINPUT;
        sim_node_join(s, a->node);
        return SIM_OK;
    case ACT_LEAVE:
        if (!server || !s->nodes[a->node].member) return SIM_EINPUT;
        sim_node_leave(s, a->node);
        return SIM_OK;
    case ACT_COUNT_:
        break;
    }
    return SIM_EINPUT;
}

/* ---- Writing actions back as scenario JSON. ------------------------------------ */

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

void fault_write_dist(jw_t *w, const dist_t *d)
{
    if (d->kind == DIST_CONSTANT && !d->offset_ns) { write_duration(w, (sim_time_t)d->a); return; }
    jw_obj_begin(w);
    dist_fields(w, d);
    jw_obj_end(w);
}

static void write_net(const sim_t *s, jw_t *w, const net_params_t *p)
{
    if (p->mask & NET_F_LATENCY) { jw_key(w, "latency"); fault_write_dist(w, &p->latency); }
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
            fault_write_dist(w, &p->type_latency[i]);
        }
        jw_obj_end(w);
    }
}

void fault_write_json(const sim_t *s, const sim_action_t *a, jw_t *w)
{
    jw_obj_begin(w);
    jw_key(w, "at");
    write_duration(w, a->at_ns);
    switch (a->kind) {
    case ACT_CRASH: case ACT_RESTART: case ACT_PAUSE: case ACT_RESUME: case ACT_ISOLATE:
    case ACT_JOIN: case ACT_LEAVE:
        jw_kstr(w, act_kind_names[a->kind], sim_name(s, a->node));
        break;
    case ACT_PARTITION:
        jw_key(w, "partition");
        jw_arr_begin(w);
        for (uint8_t g = 1; g <= a->n_groups; g++) {
            jw_arr_begin(w);
            for (uint32_t i = 0; i < a->n_members; i++)
                if (a->groups[i] == g) jw_str(w, sim_name(s, a->members[i]));
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
        jw_kstr(w, "from", sim_name(s, a->node));
        jw_kstr(w, "to", sim_name(s, a->node2));
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
        jw_kstr(w, "clock", sim_name(s, a->node));
        if (a->clock_mask & CLOCK_F_SKEW) { jw_key(w, "skew"); write_duration(w, a->skew_ns); }
        if (a->clock_mask & CLOCK_F_DRIFT) jw_kreal(w, "drift", a->drift);
        break;
    case ACT_DROP:
        jw_kuint(w, "drop", a->msg_id);
        break;
    case ACT_REQUEST:
        jw_key(w, "request");
        jw_obj_begin(w);
        jw_kstr(w, "client", sim_name(s, a->node));
        jw_kstr(w, "node", sim_name(s, a->node2));
        jw_kstr(w, "f", op_f_names[a->op_f]);
        jw_kint(w, "key", a->key);
        jw_kint(w, "value", a->value);
        if (a->op_f == OP_CAS) jw_kint(w, "value2", a->value2);
        jw_obj_end(w);
        break;
    case ACT_COUNT_:
        break;
    }
    jw_obj_end(w);
}
