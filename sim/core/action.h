/* action.h -- one vocabulary of actions on a running simulation.
 *
 * Everything that breaks (or mends) a cluster is a sim_action_t: the scenario's fault
 * schedule, the random nemesis generators, a click in the live view, a lesson step.
 * Because they share one vocabulary, what a person does in the window can be written
 * back as a scenario and replayed exactly (scn_write_action in scenario_write.h).
 */
#ifndef SIM_ACTION_H
#define SIM_ACTION_H

#include "core/base.h"
#include "core/net.h"
#include "proto/proto.h"

typedef enum {
    ACT_CRASH, ACT_RESTART, ACT_PAUSE, ACT_RESUME,
    ACT_PARTITION, ACT_HEAL, ACT_ISOLATE,
    ACT_LINK,         /* change the parameters of one link (both directions unless oneway) */
    ACT_NETWORK,      /* change the default link parameters */
    ACT_CLOCK,        /* set a node's clock skew and/or drift */
    ACT_DROP,         /* drop one message in flight (by id) */
    ACT_REQUEST,      /* a client sends one request (from the live view or a lesson) */
    ACT_JOIN,         /* a server joins the cluster (starts, becomes a member) */
    ACT_LEAVE,        /* a member leaves the cluster (keeps running to hand off, no longer a member) */
    ACT_COUNT_
} act_kind_t;
extern const char *const act_kind_names[];    /* "crash", "restart", ... */

enum { CLOCK_F_SKEW = 1, CLOCK_F_DRIFT = 2 };

typedef struct sim_action {
    act_kind_t kind;
    sim_time_t at_ns;
    uint32_t node;               /* crash, restart, pause, resume, isolate, clock; link: from; request: client */
    uint32_t node2;              /* link: to; request: server */
    bool oneway;                 /* partition, link */
    uint8_t n_groups;            /* partition */
    uint32_t n_members;          /* partition: members[i] is in group groups[i] (1-based) */
    uint32_t *members;
    uint8_t *groups;
    net_params_t net;            /* link, network: the fields given */
    unsigned clock_mask;         /* CLOCK_F_* */
    sim_time_t skew_ns;
    double drift;
    uint64_t msg_id;             /* drop */
    uint8_t op_f;                /* request: sim_op_t */
    uint32_t key;                /* request */
    int64_t value, value2;       /* request */
} sim_action_t;

/* Applies an action now. Returns SIM_OK, SIM_EINPUT when it makes no sense (crash a
 * crashed node), or SIM_ENOTFOUND for a drop of a message already delivered or
 * dropped -- a scenario's actions were checked at load. A drop of a message not sent
 * yet waits for it (at most SIM_PENDING_DROPS_MAX such drops). */
int sim_apply(sim_t *s, const sim_action_t *a);
/* Schedules an action at a->at_ns (not before now). The action is copied. */
int sim_schedule(sim_t *s, const sim_action_t *a);


#endif
