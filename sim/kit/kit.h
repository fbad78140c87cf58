/* kit.h -- the protocol test kit: drive a small cluster by hand and look at it.
 *
 * A protocol test is a short script. Make a quiet cluster (no client traffic, every
 * link 1ms, nothing lost), poke one node (a client request, a message, a timer),
 * then look at what it put in flight and choose what happens to each message:
 * deliver it now, drop it, or let the network run. Nothing moves unless the test
 * says so, so every interleaving a protocol must survive can be written down and
 * replayed. The same kit drives the project's own tests and yours.
 *
 *     kit_t *k = kit_create("gossip", 3, 1, "{\"fanout\": 1}", 1);   // n1..n3, client c1 = node 3
 *     assert_non_null(k);
 *     sim_req_t w = {.client = 3, .op_id = 1, .f = SIM_OP_WRITE, .value = 7};
 *     assert_int_equal(kit_request(k, 0, &w), SIM_OK);                // c1 writes 7 at n1
 *     kit_reply_t r;
 *     assert_int_equal(kit_reply_to(k, 0, 1, &r), SIM_OK);            // n1 answers at once
 *     assert_int_equal(r.status, SIM_REPLY_OK);
 *     kit_flight_t f;
 *     assert_int_equal(kit_find(k, 0, KIT_ANY, "push", &f), SIM_OK);  // and pushes 7 to one peer
 *     assert_int_equal(kit_deliver(k, f.id), SIM_OK);                 // which hears it now
 *     assert_int_equal(kit_state_int(k, f.to, "values[0]"), 7);
 *     kit_destroy(k);
 *
 * Nodes are numbered from 0: servers 0 .. servers-1, then clients. KIT_ANY matches
 * any node in a filter, a NULL type any message type. Calls that can fail return
 * SIM_OK or a negative code from base.h (SIM_ENOTFOUND: no such message, timer or
 * value; SIM_EINPUT: a request that makes no sense) and leave a sentence for
 * kit_error, so a test fails with `fail_msg("%s", kit_error(k))` and says why. A
 * failing call changes nothing.
 *
 * Pointers into messages (kit_flight_t.payload, kit_reply_t.values) stay valid until
 * the simulation next moves (a delivery, a timer, a step): copy what you keep.
 */
#ifndef SIM_KIT_H
#define SIM_KIT_H

#include "core/base.h"
#include "core/sim.h"
#include "proto/proto.h"

typedef struct kit kit_t;
struct cJSON;                      /* cJSON.h, included by those who read states */

#define KIT_ANY UINT32_MAX         /* any node, in a filter */
#define KIT_ANY_KIND (-1)          /* any timer kind */
#define KIT_NONE INT64_MIN         /* kit_state_int: no such number */

/* ---- Making and ending a cluster. ------------------------------------------------ */

/* A quiet cluster: `servers` nodes running `protocol` with params (a JSON object such
 * as "{\"fanout\": 2}", or NULL for the defaults), `clients` client nodes that send
 * nothing by themselves, links of a constant 1ms that lose nothing, invariants
 * checked, an hour of simulated time, the seed given (0 .. 2^53-1, as in a scenario).
 * On error the loader's message is printed to stderr and NULL returned. */
kit_t *kit_create(const char *protocol, uint32_t servers, uint32_t clients, const char *params_json, uint64_t seed);
kit_t *kit_from_json(const char *scenario);        /* a whole scenario: JSON text, or a file's path */
kit_t *kit_wrap(sim_t *s);                         /* a kit over a simulation you made (and free) */
void kit_destroy(kit_t *k);                        /* frees what the kit made; NULL is fine */
sim_t *kit_sim(kit_t *k);                          /* the simulation, for everything else (sim.h) */
const char *kit_error(const kit_t *k);             /* why the last call failed; "" after success */

/* ---- Messages in flight. --------------------------------------------------------- */

typedef struct kit_flight {
    uint64_t id;                   /* unique per send (a duplicate shares its original's) */
    uint32_t from, to;
    const char *type;              /* "request", "reply" or one of the protocol's msg_types */
    int type_index;                /* index into the protocol's msg_types; -1 for request and reply */
    const void *payload;           /* len bytes; valid until the simulation moves */
    uint32_t len;
    sim_time_t sent_ns, arrive_ns; /* arrive_ns: when due (when it arrived, if waiting) */
    bool doomed;                   /* will be dropped on arrival (loss, partition, a drop) */
    bool waiting;                  /* arrived at a paused node; waits for its resume */
} kit_flight_t;

/* Messages in flight from -> to of a type (KIT_ANY, NULL: any), oldest send first.
 * Fills at most max and returns how many match (possibly more than max), or
 * SIM_EINPUT for a type the protocol does not have. */
int kit_flights(kit_t *k, uint32_t from, uint32_t to, const char *type, kit_flight_t *out, int max);
int kit_count(kit_t *k, uint32_t from, uint32_t to, const char *type);   /* how many match, or SIM_EINPUT */
/* The one message that matches: SIM_ENOTFOUND unless exactly one does. */
int kit_find(kit_t *k, uint32_t from, uint32_t to, const char *type, kit_flight_t *out);

/* ---- Deciding their fate. -------------------------------------------------------- */

/* Delivers message id now, whatever its latency. The network still rules: a message
 * doomed to loss, to a crashed node or across a partition is dropped, one to a paused
 * node waits. SIM_ENOTFOUND unless it is on the wire. */
int kit_deliver(kit_t *k, uint64_t id);
int kit_drop(kit_t *k, uint64_t id);               /* drops it now, as a user's drop; SIM_ENOTFOUND as above */
/* Delivers every message that matches now, oldest send first; what they cause stays
 * in flight. Returns how many were delivered, or SIM_EINPUT for an unknown type. */
int kit_deliver_all(kit_t *k, uint32_t from, uint32_t to, const char *type);
/* Runs events (timers too) until no message is in flight or the next event is later
 * than until_ns. Returns the messages still in flight: 0 when it went quiet. */
int kit_run_quiet(kit_t *k, sim_time_t until_ns);
/* Sends a message from a node to a server now, as `from` would; the payload is copied.
 * type names one of the protocol's msg_types. */
int kit_send(kit_t *k, uint32_t from, uint32_t to, const char *type, const void *payload, uint32_t len);
/* Hands a message to server `to` at once, never on the wire (sim_inject by name). */
int kit_inject(kit_t *k, uint32_t from, uint32_t to, const char *type, const void *payload, uint32_t len);

/* ---- Timers. --------------------------------------------------------------------- */

typedef sim_timer_t kit_timer_t;   /* id, node, kind, data, set_ns, due_ns (sim.h) */

/* A node's pending timers (KIT_ANY: every node's), the earliest due first (ties: the
 * earliest set). Fills at most max; returns how many there are. */
int kit_timers(kit_t *k, uint32_t node, kit_timer_t *out, int max);
/* on_timer runs now, the clock unmoved: a protocol that checks a deadline of its own
 * (Raft's election timeout) may just set the timer again. SIM_ENOTFOUND if not pending. */
int kit_fire(kit_t *k, uint64_t timer_id);
int kit_fire_next(kit_t *k, uint32_t node, int kind);   /* fires the node's earliest pending timer of kind */

/* ---- Clients. -------------------------------------------------------------------- */

/* Hands a client request to server `to` at once (req->client is where it answers). */
int kit_request(kit_t *k, uint32_t to, const sim_req_t *req);

typedef struct kit_reply {
    uint64_t id;                   /* the reply message's id (kit_deliver, kit_drop) */
    uint32_t from, to;             /* the server, the client */
    uint64_t op_id;
    uint32_t attempt;
    sim_reply_status_t status;
    uint32_t redirect;             /* SIM_REPLY_REDIRECT: the node to retry at */
    bool list;                     /* the values are a list (sim_reply_list), even of 0 or 1 */
    uint32_t n;                    /* values: 0 is a read of nothing (null) */
    const int64_t *values;         /* valid until the simulation moves */
} kit_reply_t;

/* Replies in flight from -> to (KIT_ANY: any), decoded, oldest first. Fills at most
 * max; returns how many there are, or SIM_EINPUT for a malformed one. */
int kit_replies(kit_t *k, uint32_t from, uint32_t to, kit_reply_t *out, int max);
/* The one reply in flight from `from` (or KIT_ANY) to op_id: SIM_ENOTFOUND unless one. */
int kit_reply_to(kit_t *k, uint32_t from, uint64_t op_id, kit_reply_t *out);
/* Decodes a reply you already hold; SIM_EINPUT if f is not a well-formed reply. */
int kit_reply_decode(kit_t *k, const kit_flight_t *f, kit_reply_t *out);

/* ---- Faults, as a scenario or the live view would cause them (sim_apply). ------- */

/* Each returns SIM_EINPUT when it makes no sense (a client, a crashed node crashed). */
int kit_crash(kit_t *k, uint32_t node);            /* on_crash; state zeroed, timers gone, durable kept */
int kit_restart(kit_t *k, uint32_t node);          /* init runs again */
int kit_pause(kit_t *k, uint32_t node);            /* up but silent: what arrives waits */
int kit_resume(kit_t *k, uint32_t node);           /* what waited is delivered next, in order */
int kit_isolate(kit_t *k, uint32_t node);          /* cuts one server off from all others */
int kit_partition(kit_t *k, const uint32_t *nodes, uint32_t n);   /* these servers against the rest */
int kit_heal(kit_t *k);                            /* ends every partition and isolation */

/* ---- A node's state. ------------------------------------------------------------- */

/* What export_state writes, parsed; the caller cJSON_Deletes it. NULL (and an error)
 * for a client, a bad node, or a protocol that exports nothing. */
struct cJSON *kit_state(kit_t *k, uint32_t node);
/* A number in it at a path such as "log_len", "log[2].term" or "peers.n2" (true and
 * false read as 1 and 0); KIT_NONE when there is no such number. */
int64_t kit_state_int(kit_t *k, uint32_t node, const char *path);
int kit_describe(kit_t *k, uint32_t node, proto_desc_t *d);   /* role, term, commit; SIM_EINPUT for a bad node */

/* ---- Sweeps. --------------------------------------------------------------------- */

/* Runs the scenario (JSON text or a path) with each seed from seed_from to seed_to
 * (inclusive) and returns the first whose run violates an invariant, its name in
 * name_out (may be NULL); -1 when none does. A scenario that does not load prints the
 * loader's message and returns SIM_EINPUT. */
int64_t kit_first_violation(const char *scenario, uint64_t seed_from, uint64_t seed_to, char *name_out, size_t len);

#endif
