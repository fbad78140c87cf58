/* registry.c -- the protocols dsim knows, by name, each checked when it is registered.
 *
 * Built-in protocols are registered the first time anyone asks for one, in teaching
 * order; a plug-in is registered the same way, through proto_register, so the same
 * checks apply to both. The registry keeps its own copy of each table with every
 * optional callback filled in (as SQLite keeps its own copy of a VFS's methods), so
 * the core calls any slot without asking whether it is there and a protocol as small
 * as echo needs no stubs.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "proto/proto.h"

extern const proto_t proto_echo, proto_gossip, proto_randpeer;
extern const proto_t proto_raft, proto_paxos, proto_pb, proto_chain, proto_tpc;
extern const proto_t proto_quorum, proto_shard, proto_epidemic, proto_crdt;
extern const proto_t proto_stream, proto_maelstrom;

/* In teaching order: the basics, strong consistency, eventual consistency and
 * partitioning, then streaming. `dsim list protocols` prints them so. */
static const proto_t *const builtins[] = {
    &proto_echo, &proto_gossip, &proto_randpeer,
    &proto_raft, &proto_paxos, &proto_pb, &proto_chain, &proto_tpc,
    &proto_quorum, &proto_shard, &proto_epidemic, &proto_crdt,
    &proto_stream, &proto_maelstrom,
};

static proto_t table[PROTO_MAX];
static uint32_t count;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* ---- Defaults for the optional callbacks. ---------------------------------------- */

static void no_message(sim_ctx *c, const sim_msg_t *m) { (void)c; (void)m; }
static void no_timer(sim_ctx *c, int kind, uint64_t data) { (void)c; (void)kind; (void)data; }
/* A protocol that serves no client requests refuses them: definitely not done. */
static void no_request(sim_ctx *c, const sim_req_t *req) { sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0); }

/* ---- Checks. ------------------------------------------------------------------------- */

static bool name_ok(const char *n)
{
    size_t len = n ? strlen(n) : 0;
    if (len == 0 || len > PROTO_NAME_MAX) return false;
    for (size_t i = 0; i < len; i++) {
        char ch = n[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.')) return false;
    }
    return true;
}

static size_t param_size(proto_param_type_t t)
{
    switch (t) {
    case PROTO_PARAM_INT: return sizeof(int64_t);
    case PROTO_PARAM_REAL: return sizeof(double);
    case PROTO_PARAM_DURATION: return sizeof(sim_time_t);
    case PROTO_PARAM_DURATION_RANGE: return 2 * sizeof(sim_time_t);
    case PROTO_PARAM_BOOL: return sizeof(bool);
    case PROTO_PARAM_ENUM: return sizeof(int);
    case PROTO_PARAM_PATH: case PROTO_PARAM_STRINGS: return PROTO_PARAM_TEXT_MAX;
    }
    return 0;
}

static int check(const proto_t *p, char *err, size_t len)
{
    if (!p) { snprintf(err, len, "no protocol table"); return SIM_EINPUT; }
    const char *nm = p->name ? p->name : "(unnamed)";
    if (p->version < 1 || p->version > PROTO_VERSION) {
        snprintf(err, len, "protocol %s is written for interface version %d, but this dsim supports versions 1 to %d%s",
                 nm, p->version, PROTO_VERSION, p->version > PROTO_VERSION ? ": update dsim" : "");
        return SIM_EINPUT;
    }
    if (!name_ok(p->name)) {
        snprintf(err, len, "protocol name \"%s\": expected 1 to %d characters of a-z, 0-9, '-', '_' or '.'", nm, PROTO_NAME_MAX);
        return SIM_EINPUT;
    }
    if (!p->init) { snprintf(err, len, "protocol %s has no init callback (it is required)", nm); return SIM_EINPUT; }
    if (!p->state_size && !p->state_size_for) {
        snprintf(err, len, "protocol %s gives no state_size (a node's state takes at least one byte)", nm);
        return SIM_EINPUT;
    }
    int n_types = 0;
    for (; p->msg_types && p->msg_types[n_types]; n_types++)
        if (!p->msg_types[n_types][0]) { snprintf(err, len, "protocol %s: message type %d has an empty name", nm, n_types); return SIM_EINPUT; }
    if (n_types + SIM_MSG_BUILTIN > SIM_MSG_TYPES_MAX) {
        snprintf(err, len, "protocol %s declares %d message types; at most %d fit (SIM_MSG_TYPES_MAX)", nm, n_types,
                 SIM_MSG_TYPES_MAX - SIM_MSG_BUILTIN);
        return SIM_EINPUT;
    }
    for (int i = 0; p->params && p->params[i].name; i++) {
        const proto_param_t *q = &p->params[i];
        if ((unsigned)q->type > PROTO_PARAM_STRINGS) { snprintf(err, len, "protocol %s: parameter %s has an unknown type", nm, q->name); return SIM_EINPUT; }
        if (q->type == PROTO_PARAM_ENUM && (!q->choices || !q->choices[0])) {
            snprintf(err, len, "protocol %s: parameter %s is an enum without choices (\"a|b|c\")", nm, q->name);
            return SIM_EINPUT;
        }
        if (q->offset + param_size(q->type) > p->config_size) {
            snprintf(err, len, "protocol %s: parameter %s lies outside config_size (%zu bytes)", nm, q->name, p->config_size);
            return SIM_EINPUT;
        }
        if (!q->def) { snprintf(err, len, "protocol %s: parameter %s has no default", nm, q->name); return SIM_EINPUT; }
        for (int j = 0; j < i; j++)
            if (strcmp(p->params[j].name, q->name) == 0) {
                snprintf(err, len, "protocol %s declares parameter %s twice", nm, q->name);
                return SIM_EINPUT;
            }
    }
    for (int i = 0; p->roles && p->roles[i].name; i++)
        if (!p->roles[i].name[0] || (unsigned)p->roles[i].cls > SIM_ROLE_CLASS_LEADING || i >= PROTO_ROLES_MAX) {
            snprintf(err, len, "protocol %s: role %d needs a name and a class (at most %d roles)", nm, i, PROTO_ROLES_MAX);
            return SIM_EINPUT;
        }
    for (int i = 0; p->version >= 3 && p->summary_lines && p->summary_lines[i].label; i++)
        if (!p->summary_lines[i].text) {
            snprintf(err, len, "protocol %s: summary line %d (\"%s\") has no text", nm, i, p->summary_lines[i].label);
            return SIM_EINPUT;
        }
    return SIM_OK;
}

size_t proto_table_bytes(int version)
{
    if (version >= 5) return sizeof(proto_t);
    if (version == 4) return offsetof(proto_t, on_pause);
    if (version == 3) return offsetof(proto_t, on_destroy);
    if (version == 2) return offsetof(proto_t, summary_omit);
    return offsetof(proto_t, roles);
}

static int add(const proto_t *p, char *err, size_t len)
{
    int rc = check(p, err, len);
    if (rc != SIM_OK) return rc;
    for (uint32_t i = 0; i < count; i++)
        if (strcmp(table[i].name, p->name) == 0) {
            snprintf(err, len, "a protocol named %s is registered already%s", p->name,
                     i < SIM_ARRAY_LEN(builtins) ? " (it is built in): choose another name" : "");
            return SIM_EINPUT;
        }
    if (count == PROTO_MAX) { snprintf(err, len, "more than PROTO_MAX (%d) protocols", PROTO_MAX); return SIM_ELIMIT; }
    proto_t *t = &table[count];
    memset(t, 0, sizeof *t);
    /* Copy only the slots the table's version has; later ones stay defaulted. */
    memcpy(t, p, proto_table_bytes(p->version));
    if (!t->on_message) t->on_message = no_message;
    if (!t->on_timer) t->on_timer = no_timer;
    if (!t->on_request) t->on_request = no_request;
    count++;
    return SIM_OK;
}

static void register_builtins(void)
{
    char err[256];
    for (size_t i = 0; i < SIM_ARRAY_LEN(builtins); i++) {
        int rc = add(builtins[i], err, sizeof err);
        sim_assert(rc == SIM_OK);
        (void)rc;
    }
}

int proto_register(const proto_t *p, char *err, size_t len)
{
    pthread_once(&once, register_builtins);
    pthread_mutex_lock(&lock);
    int rc = add(p, err, len);
    pthread_mutex_unlock(&lock);
    return rc;
}

uint32_t proto_count(void)
{
    pthread_once(&once, register_builtins);
    return count;
}

const proto_t *proto_at(uint32_t i)
{
    pthread_once(&once, register_builtins);
    return i < count ? &table[i] : NULL;
}

bool proto_builtin(const proto_t *p)
{
    for (size_t i = 0; i < SIM_ARRAY_LEN(builtins); i++)
        if (p == &table[i] || p == builtins[i]) return true;
    return false;
}

const proto_t *proto_find(const char *name)
{
    pthread_once(&once, register_builtins);
    for (uint32_t i = 0; i < count; i++)
        if (strcmp(table[i].name, name) == 0) return &table[i];
    return NULL;
}

int proto_msg_type(const proto_t *p, const char *name)
{
    if (strcmp(name, "request") == 0) return 0;
    if (strcmp(name, "reply") == 0) return 1;
    for (int i = 0; p->msg_types && p->msg_types[i]; i++)
        if (strcmp(p->msg_types[i], name) == 0) return SIM_MSG_BUILTIN + i;
    return -1;
}
