/* scenario.h -- a scenario as plain data, and its loader.
 *
 * The loader is the only place that reads scenario JSON (with cJSON). It checks
 * everything a person can get wrong -- types, ranges, unknown keys and names -- and
 * reports the first mistake as one line naming the file, the JSON path, what was
 * expected and what was found:
 *
 *   scenarios/x.json: $.faults[2].at: expected a duration such as "150ms", found -3
 *
 * Everything the simulation needs is resolved here (node names to ids, message type
 * names to indices, protocol parameters into the protocol's config struct), so the
 * simulator itself never sees a string from the file.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include "core/base.h"
#include "core/action.h"
#include "core/nemesis.h"
#include "core/net.h"
#include "proto/proto.h"
#include "check/visibility.h"

typedef struct scn_node {
    char name[SIM_NAME_MAX];
    bool has_pos;
    double x, y;                 /* position for the live view, in [0, 1] */
    sim_time_t skew_ns;          /* local clock offset */
    double drift;                /* local clock rate error: 0.001 runs 0.1% fast */
    bool absent;                 /* starts outside the cluster ("joined": false) */
} scn_node_t;

typedef struct scn_link {
    uint32_t from, to;
    bool oneway;                 /* otherwise the override applies both ways */
    net_params_t spec;
} scn_link_t;

typedef enum { KEYS_UNIFORM, KEYS_ZIPF } key_dist_t;
typedef enum { TARGET_STICKY, TARGET_RANDOM, TARGET_NODE } target_t;

typedef struct scn_workload {
    uint32_t clients;            /* 0: no workload */
    double mix[SIM_OP_COUNT_];       /* weights, normalized to sum 1 */
    uint32_t keys;
    key_dist_t key_dist;
    double zipf_s;               /* Zipf exponent */
    double rate_per_s;           /* open loop: total Poisson arrival rate */
    bool closed;                 /* closed loop: next op after `think` */
    sim_time_t think_ns;
    uint32_t concurrency;        /* outstanding ops per client */
    sim_time_t timeout_ns;
    uint32_t retries;
    sim_time_t retry_delay_ns;
    target_t target;
    uint32_t target_node;
    sim_time_t start_ns, stop_ns;
    uint64_t limit;              /* at most this many ops (0: no limit) */
    /* After each acknowledged write, other clients read the same key at these delays
     * ("read_after_write"): the probe that makes t-visibility precise. */
    uint32_t n_probe;
    sim_time_t probe_ns[VIS_T_MAX];
    /* This long after the workload stops, clients read every key (up to 64) from every
     * member server ("final_reads"), as Jepsen's final reads do: the history then
     * shows each replica's settled state. 0: none. */
    sim_time_t final_reads_ns;
    /* The t values of the t-visibility table ("t_visibility"; default: the probes). */
    uint32_t n_tvis;
    sim_time_t tvis_ns[VIS_T_MAX];
} scn_workload_t;

/* What to check after the run (the scenario's "check" object). */
#define SCN_EXPECT_MAX 16          /* expectations in one scenario's check */
typedef struct scn_check {
    int linearizable;            /* lin_model_t, or -1 for none */
    bool convergence, session, set_full, counter, stale;
    uint64_t steps_max;          /* bound of the linearizability search, in steps (not time:
                                    the verdict must not depend on the machine's load) */
    /* "expect": conditions (the vocabulary of scenario/cond_load.h) that must hold when
     * the run ends, each kept as its JSON text, checked at load time. */
    uint32_t n_expect;
    const char *expect[SCN_EXPECT_MAX];
} scn_check_t;

typedef struct scn {
    char *path;                  /* as given, for messages */
    char *name, *description;
    uint64_t seed;
    sim_time_t duration_ns;
    uint32_t n_servers;
    scn_node_t *nodes;           /* NULL when the count form was used: names n1..nN */
    const proto_t *proto;
    void *proto_config;          /* proto->config_size bytes */
    topo_t topo;
    net_params_t net;            /* defaults for every link */
    scn_link_t *links;
    uint32_t n_links;
    scn_workload_t wl;
    sim_action_t *faults;
    uint32_t n_faults;
    nemesis_spec_t *nemeses;
    uint32_t n_nemeses;
    bool invariants;             /* check protocol invariants after every event */
    scn_check_t check;
    /* How the window should first show it ("view"): simulated time per real second
     * (0: chosen from the latencies and the first fault) and the node selected. */
    sim_time_t view_speed_ns;
    bool view_selects;
    uint32_t view_select;
    void **allocs;               /* everything the loader allocated */
    uint32_t n_allocs, cap_allocs;
} scn_t;

/* Loads and checks a scenario file. On error returns SIM_EINPUT (or SIM_EIO) and puts
 * one line into err; *out is then empty and needs no scn_free. */
int scn_load_file(const char *path, scn_t *out, char *err, size_t err_len);
/* Where an installed dsim keeps its scenarios and lessons (share/dsim), or NULL: a
 * relative path that does not exist here is looked for under it. */
extern const char *scn_share_dir;
/* The same from a string; `path` is only used in messages. */
int scn_load_string(const char *json, const char *path, scn_t *out, char *err, size_t err_len);
void scn_free(scn_t *s);

/* Node names: "n1".."nN" for servers in the count form, "c1".."cK" for clients. */
void scn_node_name(const scn_t *s, uint32_t id, char *buf, size_t len);
/* Looks a node up by name; clients included. Returns SIM_OK or SIM_ENOTFOUND. */
int scn_node_id(const scn_t *s, const char *name, uint32_t *id);


/* The closest of NULL-terminated candidates to `word` (edit distance), or NULL if none
 * is close enough to be a plausible typo. */
const char *scn_suggest(const char *word, const char *const *candidates);

#endif
