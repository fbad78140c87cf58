/* fault.h -- one vocabulary of actions on a running simulation, and the nemeses.
 *
 * Everything that breaks (or mends) a cluster is a sim_action_t: the scenario's fault
 * schedule, the random nemesis generators, a click in the live view, a lesson step.
 * Because they share one vocabulary, what a person does in the window can be written
 * back as a scenario and replayed exactly (fault_write_json).
 *
 * Nemeses are generators of actions that draw from their own random stream:
 *   random-partitions  every `every`, cut the servers into a random majority and
 *                      minority for `duration`, then heal;
 *   random-crashes     each server crashes after an exponential time of mean `mttf`
 *                      and restarts after an exponential time of mean `mttr`.
 *   crash-leader       crash the current leader (once `at`, or `every`), restart it
 *                      `restart_after` later;
 *   isolate-leader     cut the current leader off from every other server for
 *                      `duration` (once `at`, or `every`).
 * All run between `start` and `stop` (default: the whole run).
 */
#ifndef SIM_FAULT_H
#define SIM_FAULT_H

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
    uint8_t op_f;                /* request: op_f_t */
    uint32_t key;                /* request */
    int64_t value, value2;       /* request */
} sim_action_t;

typedef enum {
    NEM_RANDOM_PARTITIONS, NEM_RANDOM_CRASHES, NEM_CRASH_LEADER, NEM_ISOLATE_LEADER, NEM_COUNT_
} nem_kind_t;
extern const char *const nem_kind_names[];    /* "random-partitions", "random-crashes", ... */

/* Nemeses that aim at roles (crash-leader, isolate-leader) act on the current leader
 * (sim_leader: a leader, primary, head or coordinator), either once `at` a time or
 * `every` so often; with no leader at that moment they do nothing. */
typedef struct nemesis_spec {
    nem_kind_t kind;
    sim_time_t every_ns, duration_ns;     /* random-partitions; isolate-leader */
    sim_time_t mttf_ns, mttr_ns;          /* random-crashes */
    sim_time_t at_ns;                     /* crash-/isolate-leader once, at this time (-1: use every) */
    sim_time_t restart_after_ns;          /* crash-leader: restart it this long after (0: never) */
    sim_time_t start_ns, stop_ns;         /* active window; stop 0 means the end */
} nemesis_spec_t;

/* Applies an action now. Returns SIM_OK, SIM_EINPUT when it makes no sense (crash a
 * crashed node), or SIM_ENOTFOUND for a drop of a message already delivered or
 * dropped -- a scenario's actions were checked at load. A drop of a message not sent
 * yet waits for it (at most SIM_PENDING_DROPS_MAX such drops). */
int sim_apply(sim_t *s, const sim_action_t *a);
/* Schedules an action at a->at_ns (not before now). The action is copied. */
int sim_schedule(sim_t *s, const sim_action_t *a);

/* Writes the action as an entry of a scenario's "faults" list. */
void fault_write_json(const sim_t *s, const sim_action_t *a, jw_t *w);
/* Writes a distribution as a scenario would: "5ms" or {"dist": ...}. */
void fault_write_dist(jw_t *w, const dist_t *d);

#endif
