/* action.c -- the action vocabulary: applying one action, and the schedule of actions.
 *
 * Everything that changes a running cluster from outside its protocol is an action:
 * a scenario's fault, a nemesis's move, a click in the window, a lesson's solution.
 * They all arrive here, at sim_apply, so each is checked, traced and counted once.
 * Scheduled actions are copied into the simulation (with their partition groups) into
 * a fixed table of SIM_ACTIONS_PENDING_MAX slots and queued as EV_ACTION events; a
 * slot is reused once its action has been applied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/sim_int.h"

const char *const act_kind_names[] = {
    "crash", "restart", "pause", "resume", "partition", "heal", "isolate", "link", "network",
    "clock", "drop", "request", "join", "leave", NULL,
};

void action_on_event(sim_t *s, const ev_t *e)
{
    sim_action_t *a = &s->actions[e->id];
    sim_apply(s, a);
    /* Done with: its slot goes back for the next scheduled action. */
    free(a->members);
    free(a->groups);
    a->members = NULL;
    a->groups = NULL;
    a->n_members = 0;
    s->action_next[e->id] = s->action_free;
    s->action_free = (uint32_t)e->id;
}

int sim_schedule(sim_t *s, const sim_action_t *a)
{
    uint32_t slot = s->action_free;
    if (slot != EV_NONE) {
        s->action_free = s->action_next[slot];
    } else if (s->n_actions < SIM_ACTIONS_PENDING_MAX) {
        slot = s->n_actions++;
    } else {
        sim_stop_bound(s, "more than SIM_ACTIONS_PENDING_MAX (%u) actions scheduled at once", SIM_ACTIONS_PENDING_MAX);
        return SIM_ELIMIT;
    }
    sim_action_t *c = &s->actions[slot];
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
    sim_ev_schedule(s, EV_ACTION, 0, 0, a->at_ns, slot, 0);
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

