/* api.h -- the versioned table of everything a protocol may call, for plug-ins.
 *
 * A protocol built into dsim calls the functions of proto.h directly. A protocol
 * loaded from a shared library cannot link against dsim, so it receives this table
 * when it is loaded (as Redis modules and SQLite extensions receive theirs) and, with
 * DSIM_PLUGIN defined before proto.h is included, every call of proto.h's functions
 * goes through it: the same source builds either way.
 *
 * The table only ever grows: slots are appended, `version` counts them, and `size` is
 * the table's size in bytes, so a plug-in built for an older table still finds every
 * slot it knows where it expects it. A plug-in checks `version` before it calls a slot
 * newer than the version it was built for (DSIM_PLUGIN_DEFINE refuses a table older
 * than its own, saying which version it needs).
 *
 * This file is generated with the lists below kept in one order; add a slot at the end
 * of dsim_api_t, of the core's table (api.c) and of the macros, never in between.
 */
#ifndef SIM_PROTO_API_H
#define SIM_PROTO_API_H

#define DSIM_API_VERSION 1

typedef struct dsim_api {
    int version;                        /* DSIM_API_VERSION of the dsim that filled it */
    size_t size;                        /* sizeof(dsim_api_t) there */
    int proto_version;                  /* the newest proto_t version it accepts */
    const char *const *op_names;        /* sim_op_names */
    const char *const *sim_role_names;      /* sim_role_names */
    uint32_t (*self)(sim_ctx *c);
    uint32_t (*servers)(sim_ctx *c);
    const char *(*node_name)(sim_ctx *c, uint32_t node);
    const void *(*config)(sim_ctx *c);
    void *(*state)(sim_ctx *c);
    void *(*durable)(sim_ctx *c);
    uint32_t (*n_peers)(sim_ctx *c);
    uint32_t (*peer)(sim_ctx *c, uint32_t i);
    bool (*is_member)(sim_ctx *c, uint32_t node);
    sim_time_t (*now)(sim_ctx *c);
    sim_time_t (*clock)(sim_ctx *c);
    rng_t *(*rng)(sim_ctx *c);
    void (*send)(sim_ctx *c, uint32_t to, unsigned type, const void *payload, uint32_t len, uint32_t size);
    void (*reply)(sim_ctx *c, const sim_req_t *req, sim_reply_status_t st, const int64_t *values, uint32_t n);
    void (*reply_list)(sim_ctx *c, const sim_req_t *req, const int64_t *values, uint32_t n);
    void (*reply_redirect)(sim_ctx *c, const sim_req_t *req, uint32_t node);
    uint64_t (*timer_set)(sim_ctx *c, sim_time_t delay, int kind, uint64_t data);
    void (*timer_cancel)(sim_ctx *c, uint64_t id);
    int (*msg_type_register)(sim_ctx *c, const char *name);
    void (*set_role)(sim_ctx *c, sim_role_t role, int64_t term);
    uint32_t (*n_servers)(const sim_t *s);
    const proto_t *(*protocol)(const sim_t *s);
    const char *(*name_of)(const sim_t *s, uint32_t node);
    const void *(*config_of)(const sim_t *s);
    void *(*check_state)(sim_t *s);
    void *(*node_state)(sim_t *s, uint32_t node);
    void *(*node_durable)(sim_t *s, uint32_t node);
    bool (*node_up)(const sim_t *s, uint32_t node);
    sim_role_t (*node_role)(const sim_t *s, uint32_t node, int64_t *term);
    int64_t (*leader)(const sim_t *s);
    sim_time_t (*time)(const sim_t *s);
    sim_time_t (*equal_since)(const sim_t *s);
    uint64_t (*sent_of_type)(const sim_t *s, unsigned type);
    uint64_t (*n_op_events)(const sim_t *s);
    void (*op_event)(const sim_t *s, uint64_t i, sim_op_event_t *out);
    void (*assert_fail)(const char *expr, const char *file, int line);
    char *(*format_duration)(sim_time_t t, char *buf, size_t len);
    char *(*format_duration_short)(sim_time_t t, char *buf, size_t len);
    void (*jw_obj_begin)(jw_t *w);
    void (*jw_obj_end)(jw_t *w);
    void (*jw_arr_begin)(jw_t *w);
    void (*jw_arr_end)(jw_t *w);
    void (*jw_key)(jw_t *w, const char *k);
    void (*jw_str)(jw_t *w, const char *v);
    void (*jw_int)(jw_t *w, int64_t v);
    void (*jw_uint)(jw_t *w, uint64_t v);
    void (*jw_real)(jw_t *w, double v);
    void (*jw_bool)(jw_t *w, bool v);
    void (*jw_null)(jw_t *w);
    void (*jw_raw)(jw_t *w, const char *json);
    void (*halt)(sim_ctx *c, const char *fmt, ...);
    void (*log)(sim_ctx *c, const char *fmt, ...);
    bool (*violation_set)(sim_violation_t *v, const char *name, int64_t a, int64_t b, const char *fmt, ...);
} dsim_api_t;

/* The core's own table. */
const dsim_api_t *dsim_api(void);

/* A plug-in's one entry point, found by this name in the shared library: it keeps the
 * table, fills *out with its protocol and returns the DSIM_API_VERSION it was built
 * for (negative: it refuses this table, too old). */
#define DSIM_PLUGIN_ENTRY "dsim_plugin_init"
typedef int (*dsim_plugin_init_fn)(const dsim_api_t *api, const proto_t **out);

#endif

/* The plug-in's view: apart from the table's guard, so that a file which defines
 * DSIM_PLUGIN after proto.h was first included still gets it. */
#if defined(DSIM_PLUGIN) && !defined(SIM_PROTO_API_PLUGIN)
#define SIM_PROTO_API_PLUGIN
extern const dsim_api_t *dsim_api_;
/* In the plug-in's one file that defines its proto_t: DSIM_PLUGIN_DEFINE(proto_mine). */
#define DSIM_PLUGIN_DEFINE(proto)                                                       \
    const dsim_api_t *dsim_api_;                                                       \
    int dsim_plugin_init(const dsim_api_t *api, const proto_t **out);                  \
    int dsim_plugin_init(const dsim_api_t *api, const proto_t **out)                   \
    {                                                                                  \
        if (!api || api->version < DSIM_API_VERSION) return -DSIM_API_VERSION;         \
        dsim_api_ = api;                                                               \
        *out = &(proto);                                                               \
        return DSIM_API_VERSION;                                                       \
    }
#undef sim_assert
#define sim_assert(e) ((e) ? (void)0 : dsim_api_->assert_fail(#e, __FILE__, __LINE__))
#define sim_op_names (dsim_api_->op_names)
#define sim_role_names (dsim_api_->sim_role_names)
#define sim_self(c) (dsim_api_->self(c))
#define sim_servers(c) (dsim_api_->servers(c))
#define sim_node_name(c, node) (dsim_api_->node_name(c, node))
#define sim_config(c) (dsim_api_->config(c))
#define sim_state(c) (dsim_api_->state(c))
#define sim_durable(c) (dsim_api_->durable(c))
#define sim_n_peers(c) (dsim_api_->n_peers(c))
#define sim_peer(c, i) (dsim_api_->peer(c, i))
#define sim_is_member(c, node) (dsim_api_->is_member(c, node))
#define sim_now(c) (dsim_api_->now(c))
#define sim_clock(c) (dsim_api_->clock(c))
#define sim_rng(c) (dsim_api_->rng(c))
#define sim_send(c, to, type, payload, len, size) (dsim_api_->send(c, to, type, payload, len, size))
#define sim_reply(c, req, st, values, n) (dsim_api_->reply(c, req, st, values, n))
#define sim_reply_list(c, req, values, n) (dsim_api_->reply_list(c, req, values, n))
#define sim_reply_redirect(c, req, node) (dsim_api_->reply_redirect(c, req, node))
#define sim_timer_set(c, delay, kind, data) (dsim_api_->timer_set(c, delay, kind, data))
#define sim_timer_cancel(c, id) (dsim_api_->timer_cancel(c, id))
#define sim_msg_type_register(c, name) (dsim_api_->msg_type_register(c, name))
#define sim_set_role(c, role, term) (dsim_api_->set_role(c, role, term))
#define sim_n_servers(s) (dsim_api_->n_servers(s))
#define sim_protocol(s) (dsim_api_->protocol(s))
#define sim_name_of(s, node) (dsim_api_->name_of(s, node))
#define sim_config_of(s) (dsim_api_->config_of(s))
#define sim_check_state(s) (dsim_api_->check_state(s))
#define sim_node_state(s, node) (dsim_api_->node_state(s, node))
#define sim_node_durable(s, node) (dsim_api_->node_durable(s, node))
#define sim_node_up(s, node) (dsim_api_->node_up(s, node))
#define sim_node_role(s, node, term) (dsim_api_->node_role(s, node, term))
#define sim_leader(s) (dsim_api_->leader(s))
#define sim_time(s) (dsim_api_->time(s))
#define sim_equal_since(s) (dsim_api_->equal_since(s))
#define sim_sent_of_type(s, type) (dsim_api_->sent_of_type(s, type))
#define sim_n_op_events(s) (dsim_api_->n_op_events(s))
#define sim_op_event(s, i, out) (dsim_api_->op_event(s, i, out))
#define sim_assert_fail(expr, file, line) (dsim_api_->assert_fail(expr, file, line))
#define sim_format_duration(t, buf, len) (dsim_api_->format_duration(t, buf, len))
#define sim_format_duration_short(t, buf, len) (dsim_api_->format_duration_short(t, buf, len))
#define jw_obj_begin(w) (dsim_api_->jw_obj_begin(w))
#define jw_obj_end(w) (dsim_api_->jw_obj_end(w))
#define jw_arr_begin(w) (dsim_api_->jw_arr_begin(w))
#define jw_arr_end(w) (dsim_api_->jw_arr_end(w))
#define jw_key(w, k) (dsim_api_->jw_key(w, k))
#define jw_str(w, v) (dsim_api_->jw_str(w, v))
#define jw_int(w, v) (dsim_api_->jw_int(w, v))
#define jw_uint(w, v) (dsim_api_->jw_uint(w, v))
#define jw_real(w, v) (dsim_api_->jw_real(w, v))
#define jw_bool(w, v) (dsim_api_->jw_bool(w, v))
#define jw_null(w) (dsim_api_->jw_null(w))
#define jw_raw(w, json) (dsim_api_->jw_raw(w, json))
#define sim_halt(...) (dsim_api_->halt(__VA_ARGS__))
#define sim_log(...) (dsim_api_->log(__VA_ARGS__))
#define sim_violation_set(...) (dsim_api_->violation_set(__VA_ARGS__))
/* jw.h's shorthands, through the table too. */
#undef jw_kstr
#define jw_kstr(w, k, v) (jw_key((w), (k)), jw_str((w), (v)))
#define jw_kint(w, k, v) (jw_key((w), (k)), jw_int((w), (v)))
#define jw_kuint(w, k, v) (jw_key((w), (k)), jw_uint((w), (v)))
#define jw_kreal(w, k, v) (jw_key((w), (k)), jw_real((w), (v)))
#define jw_kbool(w, k, v) (jw_key((w), (k)), jw_bool((w), (v)))
#endif
