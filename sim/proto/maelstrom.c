/* maelstrom.c -- nodes that are programs: any executable speaking Maelstrom's protocol.
 *
 * Maelstrom (Jepsen's workbench) runs each node as a child process that reads JSON
 * messages, one per line, on stdin and writes its own on stdout; stderr is its log.
 * Every message is {"src", "dest", "body"}, and a body has a "type", a "msg_id" and,
 * in a reply, "in_reply_to". This file runs such programs as dsim's servers n1..nN,
 * so the same programs meet dsim's network, faults, workloads and checkers:
 *
 *      dsim client c1 ──request──> on_request ──{"type":"read",...}──> stdin  ┐
 *                                                                         program n2
 *      dsim network <── sim_send(line) <── {"dest":"n3",...} <────────── stdout ┘
 *           │                              {"dest":"c1","in_reply_to":..} ──> sim_reply
 *           └─(latency, loss, partitions)──> on_message ──line──> stdin of n3
 *
 * Time is lock-step: a program runs only while dsim hands it one message. dsim writes
 * the line, then reads the program's output until it has been quiet for `quiet`
 * (wall-clock), and stamps everything it wrote at the delivery's simulated time, in
 * the order written. A program that keeps no timers of its own therefore gives the
 * same run for the same seed. A program with timers of its own (heartbeats, retries)
 * needs "mode": "realtime" instead: each node's tick holds simulated time back until
 * the wall clock (times `speed`) catches up, then takes what the program wrote
 * meanwhile; such a run is not deterministic, and the summary says so. (In lock-step
 * such a program never falls quiet for long, and its run crawls: every line it writes
 * on its own costs a quiet wait.) That wall-clock wait, and cJSON for parsing the lines,
 * are why this protocol is not as small or as pure as the others: the wire format is
 * JSON and the program lives in another process, so both are the price of the idea.
 *
 * A server named lin-kv, seq-kv or lww-kv runs no program: it is one of Maelstrom's
 * key-value services, answered by dsim itself (maelstrom_kv.c) behind the same network.
 *
 * Errors follow Maelstrom's codes: definite ones (the operation did not happen) make
 * the operation fail; indefinite ones (0 timeout, 13 crash) get no reply, so the
 * client times out and records info, as Maelstrom does. A crash is SIGKILL; a restart
 * starts the program again and sends init again (its memory is gone, the files in its
 * durable folder stay); a pause is SIGSTOP to its process group, a resume SIGCONT. A
 * program's stderr is its log, and a line "role: leader" there is its role. A program that
 * misbehaves (cannot start, exits, writes a line that is not JSON or longer than
 * ML_LINE_MAX, sends to an unknown node, floods or hangs) is named in a message on
 * stderr and in the trace; at start-up the run stops (exit 2), later the node stops
 * and its operations end as info. Each child runs in a process group of its own with
 * a parent-death signal, and is killed and reaped on crash and on sim_destroy.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "proto/maelstrom.h"

#define ML_LINE_MAX (64u * 1024)        /* bytes of one line a program writes (documented bound) */
#define ML_LINES_PER_STEP_MAX 10000     /* lines in answer to one message: more is a flood */
#define ML_PENDING_MAX 256              /* client requests in flight at one node */
#define ML_ARGS_MAX 32                  /* arguments after the program's path */
#define ML_VALUES_MAX 4096              /* values in one read's answer */
#define ML_IDS_MAX (1u << 16)           /* unique-ids: ids the uniqueness check remembers */
#define ML_ENV_MAX 1024                 /* environment variables passed on to a program */

/* unique-ids: the check remembers a 64-bit hash of every id acknowledged so far (the
 * reply's value), in an open-addressing set; past ML_IDS_MAX / 2 ids it stops looking
 * and says so in the summary rather than slow every event down. */
typedef struct ml_check {
    uint64_t scanned;                   /* operation events looked at */
    uint32_t n_ids;
    bool full;
    uint64_t ids[ML_IDS_MAX];           /* 0: empty (a hash of 0 is stored as 1) */
    mlkf_check_t kafka;                 /* kafka: what each offset holds (maelstrom_kafka.c) */
} ml_check_t;

typedef enum { ML_ECHO, ML_BROADCAST, ML_GSET, ML_GCOUNTER, ML_PNCOUNTER, ML_LINKV, ML_UNIQUE, ML_KAFKA } ml_workload_t;
typedef enum { ML_LOCKSTEP, ML_REALTIME } ml_mode_t;
enum { ML_TIMER_TICK = 1 };

typedef struct ml_config {
    char bin[PROTO_PARAM_TEXT_MAX];
    char args[PROTO_PARAM_TEXT_MAX];
    char durable_dir[PROTO_PARAM_TEXT_MAX];     /* "": none; else each node's folder is in it */
    int workload;               /* ml_workload_t */
    int mode;                   /* ml_mode_t */
    sim_time_t quiet;           /* wall-clock ns without output that ends a step */
    sim_time_t init_timeout;    /* wall-clock ns to wait for init_ok */
    sim_time_t step_timeout;    /* wall-clock ns one step may take in all */
    double speed;               /* realtime: simulated seconds per wall-clock second */
    sim_time_t tick;            /* realtime: how often (simulated) to read what programs wrote */
    mlkv_config_t kv;           /* the key-value services (maelstrom_kv.c) */
} ml_config_t;

typedef struct ml_pending {
    int64_t msg_id;             /* 0: free */
    sim_req_t req;
} ml_pending_t;

typedef struct ml_node {
    int svc;                    /* a service node: mlkv_kind_t + 1; 0: a program */
    int pid;                    /* 0: no child */
    int in_fd, out_fd, err_fd;
    bool running;               /* started and answered init */
    bool paused;                /* stopped with SIGSTOP until resumed */
    bool told_no_service;       /* said once that a called service is not in the scenario */
    bool init_ok;
    int64_t next_msg_id;
    int64_t wall_origin_ns;     /* realtime: wall-clock time at simulated time 0 */
    int64_t served, mismatches, stderr_lines;
    uint32_t out_len, err_len;
    int64_t kafka_seen[MLKF_KEYS_MAX];   /* kafka: the highest offset polled here, per key (committed) */
    mlkf_obs_t obs;             /* kafka: what the program answered, for the checker */
    char why[96];               /* why the node stopped, for describe */
    char last_err[64];          /* the last line on stderr */
    char err_lines[ML_LOG_LINES][ML_LOG_LINE_MAX];   /* the last lines on stderr, a ring */
    int role_want;              /* a "role: NAME [TERM]" line seen in this step: role + 1 */
    int64_t term_want;
    ml_pending_t pending[ML_PENDING_MAX];
    char err_buf[256];
    char out_buf[ML_LINE_MAX + 1];
} ml_node_t;

/* ---- Wall-clock helpers: the only place this protocol looks at real time. ------- */

static int64_t ml_wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- The child process. ------------------------------------------------------------ */

static void ml_close(ml_node_t *st)
{
    if (st->pid > 0) {
        kill(-st->pid, SIGKILL);
        kill(st->pid, SIGKILL);
        while (waitpid(st->pid, NULL, 0) < 0 && errno == EINTR) {}
    }
    if (st->in_fd > 0) close(st->in_fd);
    if (st->out_fd > 0) close(st->out_fd);
    if (st->err_fd > 0) close(st->err_fd);
    st->pid = st->in_fd = st->out_fd = st->err_fd = 0;
    st->running = false;
}

/* Starts the program with stdin a socket (so a write to a dead child is EPIPE, not
 * SIGPIPE), stdout and stderr pipes, and DSIM_DURABLE_DIR in its environment when the
 * node has a durable folder (durable is that folder or ""). The environment is built
 * here, before fork: the child only calls what is safe between fork and exec. Returns
 * 0, or -1 with a sentence in err. */
static int ml_spawn(const ml_config_t *cf, ml_node_t *st, const char *durable, char *err, size_t err_len)
{
    extern char **environ;
    char *envp[ML_ENV_MAX + 2], durable_var[PROTO_PARAM_TEXT_MAX + 64];
    int envc = 0;
    for (char **e = environ; *e && envc < ML_ENV_MAX; e++)
        if (strncmp(*e, "DSIM_DURABLE_DIR=", 17) != 0) envp[envc++] = *e;
    if (durable[0]) {
        snprintf(durable_var, sizeof durable_var, "DSIM_DURABLE_DIR=%s", durable);
        envp[envc++] = durable_var;
    }
    envp[envc] = NULL;
    char *argv[ML_ARGS_MAX + 2];
    int argc = 0;
    argv[argc++] = (char *)cf->bin;
    for (const char *a = cf->args; *a && argc <= ML_ARGS_MAX; a += strlen(a) + 1) argv[argc++] = (char *)a;
    argv[argc] = NULL;
    int in[2], out[2], er[2], ex[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0) { snprintf(err, err_len, "socketpair: %s", strerror(errno)); return -1; }
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0 || pipe2(ex, O_CLOEXEC) < 0) {
        snprintf(err, err_len, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) { snprintf(err, err_len, "fork: %s", strerror(errno)); return -1; }
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
        signal(SIGPIPE, SIG_DFL);
        dup2(in[1], 0);
        dup2(out[1], 1);
        dup2(er[1], 2);
        execve(cf->bin, argv, envp);
        int e = errno;
        ssize_t w = write(ex[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    setpgid(pid, pid);
    close(in[1]); close(out[1]); close(er[1]); close(ex[1]);
    int e = 0;
    ssize_t r;
    while ((r = read(ex[0], &e, sizeof e)) < 0 && errno == EINTR) {}
    close(ex[0]);
    st->pid = pid;
    st->in_fd = in[0];
    st->out_fd = out[0];
    st->err_fd = er[0];
    if (r == (ssize_t)sizeof e) {
        ml_close(st);
        snprintf(err, err_len, "cannot start %s: %s (expected an executable file; a script needs a #! line and chmod +x)",
                 cf->bin, strerror(e));
        return -1;
    }
    fcntl(st->in_fd, F_SETFL, O_NONBLOCK);
    fcntl(st->out_fd, F_SETFL, O_NONBLOCK);
    fcntl(st->err_fd, F_SETFL, O_NONBLOCK);
    st->out_len = st->err_len = 0;
    return 0;
}

/* ---- The durable folder. ------------------------------------------------------------ */

static int ml_rm(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* The node's folder, durable_dir/NAME, into out (out[0] == 0: none). At time 0 it is
 * emptied (created if need be), so a run with the same seed starts from the same
 * files and replays; on a restart it is kept, which is the point. Returns 0, or -1
 * with a sentence in err. */
static int ml_durable(sim_ctx *c, const ml_config_t *cf, char *out, size_t len, char *err, size_t err_len)
{
    out[0] = '\0';
    if (!cf->durable_dir[0]) return 0;
    snprintf(out, len, "%s/%s", cf->durable_dir, sim_node_name(c, sim_self(c)));
    if (mkdir(cf->durable_dir, 0777) < 0 && errno != EEXIST) {
        snprintf(err, err_len, "cannot create the durable folder %s: %s", cf->durable_dir, strerror(errno));
        return -1;
    }
    if (sim_now(c) == 0 && nftw(out, ml_rm, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT) {
        snprintf(err, err_len, "cannot empty the durable folder %s: %s", out, strerror(errno));
        return -1;
    }
    if (mkdir(out, 0777) < 0 && errno != EEXIST) {
        snprintf(err, err_len, "cannot create the durable folder %s: %s", out, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- Problems. --------------------------------------------------------------------- */

/* A program misbehaved. At start-up the run stops (the user must fix the program
 * before anything means something); later the node stops, so its operations end as
 * info, and the run goes on. Either way the message names the node and says what was
 * expected; it goes to stderr as well as the trace, because a person must see it. */
static void ml_problem(sim_ctx *c, ml_node_t *st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void ml_problem(sim_ctx *c, ml_node_t *st, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const ml_config_t *cf = sim_config(c);
    bool startup = sim_now(c) == 0;
    snprintf(st->why, sizeof st->why, "stopped: %.80s", msg);
    ml_close(st);
    if (startup) {
        sim_halt(c, "maelstrom node %s (%s): %s", sim_node_name(c, sim_self(c)), cf->bin, msg);
        return;
    }
    sim_log(c, "maelstrom: %s; the node is stopped, its operations end as info", msg);
    fprintf(stderr, "dsim: maelstrom node %s (%s): %s; the node is stopped until it restarts\n", sim_node_name(c, sim_self(c)), cf->bin, msg);
}

/* ---- Lines from the program. ------------------------------------------------------- */

static ml_pending_t *ml_pending_find(ml_node_t *st, int64_t msg_id)
{
    for (int i = 0; i < ML_PENDING_MAX; i++)
        if (st->pending[i].msg_id == msg_id && msg_id != 0) return &st->pending[i];
    return NULL;
}

/* Maelstrom's definite errors: the operation certainly did not happen. */
static bool ml_definite(int code)
{
    return code == 1 || code == 10 || code == 11 || code == 12 || code == 14 || code == 20 || code == 21 || code == 22 || code == 30;
}

static uint32_t ml_values(const cJSON *a, int64_t *out)
{
    uint32_t n = 0;
    for (const cJSON *e = a ? a->child : NULL; e && n < ML_VALUES_MAX; e = e->next)
        if (cJSON_IsNumber(e)) out[n++] = (int64_t)e->valuedouble;
    return n;
}

/* kafka: the logs' answers. Keys are "k0", "k1", ... (dsim's key index); a send's
 * reply keeps the value sent in the history (the offset goes to the checker), a poll's
 * is the list offset, message, offset, message, ...; a listed committed offset is the
 * add's value. */
static void ml_kafka_reply(sim_ctx *c, ml_node_t *st, const sim_req_t *req, const char *type, const cJSON *body, const char *line)
{
    char key[24];
    snprintf(key, sizeof key, "k%u", req->key);
    int64_t vals[ML_VALUES_MAX];
    if (strcmp(type, "send_ok") == 0) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(body, "offset");
        if (!cJSON_IsNumber(o)) { sim_log(c, "maelstrom: a send_ok without an \"offset\": %.200s", line); return; }
        int64_t pair[2] = {(int64_t)o->valuedouble, req->value};
        mlkf_observe(&st->obs, MLKF_SEND, req->key, pair, 2);
        sim_reply(c, req, SIM_REPLY_OK, &req->value, 1);
    } else if (strcmp(type, "poll_ok") == 0) {
        const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "msgs"), key);
        uint32_t n = 0;
        for (const cJSON *e = msgs ? msgs->child : NULL; e && n + 2 <= ML_VALUES_MAX; e = e->next) {
            const cJSON *o = cJSON_GetArrayItem(e, 0), *m = cJSON_GetArrayItem(e, 1);
            if (!cJSON_IsNumber(o)) continue;
            vals[n++] = (int64_t)o->valuedouble;
            vals[n++] = cJSON_IsNumber(m) ? (int64_t)m->valuedouble : 0;
            if (req->key < MLKF_KEYS_MAX && vals[n - 2] > st->kafka_seen[req->key]) st->kafka_seen[req->key] = vals[n - 2];
        }
        mlkf_observe(&st->obs, MLKF_POLL, req->key, vals, n);
        sim_reply_list(c, req, vals, n);
    } else if (strcmp(type, "commit_offsets_ok") == 0) {
        sim_reply(c, req, SIM_REPLY_OK, &req->value, 1);
    } else if (strcmp(type, "list_committed_offsets_ok") == 0) {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "offsets"), key);
        int64_t off = cJSON_IsNumber(o) ? (int64_t)o->valuedouble : -1;
        mlkf_observe(&st->obs, MLKF_LIST, req->key, &off, 1);
        sim_reply(c, req, SIM_REPLY_OK, &req->value, 1);
    } else {
        sim_log(c, "maelstrom: unexpected reply type \"%s\" to a %s: %.200s", type, sim_op_names[req->f], line);
    }
}

/* A reply to a client request: turn Maelstrom's body into dsim's reply. */
static void ml_client_reply(sim_ctx *c, ml_node_t *st, const cJSON *body, const char *line)
{
    const ml_config_t *cf = sim_config(c);
    const cJSON *irt = cJSON_GetObjectItemCaseSensitive(body, "in_reply_to");
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "type"));
    if (type && (strcmp(type, "topology_ok") == 0)) return;
    ml_pending_t *p = cJSON_IsNumber(irt) ? ml_pending_find(st, (int64_t)irt->valuedouble) : NULL;
    if (!p) { sim_log(c, "maelstrom: a reply to no request in flight (late, or after a restart): %.200s", line); return; }
    sim_req_t req = p->req;
    p->msg_id = 0;
    st->served++;
    if (!type) { sim_log(c, "maelstrom: a reply without a \"type\": %.200s", line); return; }
    if (strcmp(type, "error") == 0) {
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(body, "code");
        int k = cJSON_IsNumber(code) ? (int)code->valuedouble : -1;
        /* lin-kv: a read of a key never written is Maelstrom's error 20; in dsim's
         * register model that is a read of null, which is what it means. */
        if (k == 20 && req.f == SIM_OP_READ && cf->workload == ML_LINKV) sim_reply(c, &req, SIM_REPLY_OK, NULL, 0);
        else if (ml_definite(k)) sim_reply(c, &req, SIM_REPLY_FAIL, NULL, 0);
        /* Indefinite (0 timeout, 13 crash, unknown codes): no reply, so the client
         * times out and records info: it may or may not have happened. */
        return;
    }
    int64_t vals[ML_VALUES_MAX];             /* 32 KiB of stack, no allocation per reply */
    if (strcmp(type, "echo_ok") == 0) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "echo");
        int64_t v = cJSON_IsNumber(e) ? (int64_t)e->valuedouble : 0;
        if (!cJSON_IsNumber(e) || v != req.value) st->mismatches++;
        sim_reply(c, &req, SIM_REPLY_OK, &v, 1);
    } else if (strcmp(type, "read_ok") == 0) {
        if (cf->workload == ML_BROADCAST) {
            uint32_t n = ml_values(cJSON_GetObjectItemCaseSensitive(body, "messages"), vals);
            sim_reply_list(c, &req, vals, n);
        } else if (cf->workload == ML_GSET) {
            uint32_t n = ml_values(cJSON_GetObjectItemCaseSensitive(body, "value"), vals);
            sim_reply_list(c, &req, vals, n);
        } else {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, "value");
            int64_t x = cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
            sim_reply(c, &req, SIM_REPLY_OK, &x, cJSON_IsNumber(v) ? 1 : 0);
        }
    } else if (strcmp(type, "generate_ok") == 0) {
        /* Ids may be any JSON value: dsim's history keeps a 64-bit hash of its text. */
        char *text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(body, "id"));
        uint64_t h = 1469598103934665603ull;
        for (const char *ch = text ? text : ""; *ch; ch++) h = (h ^ (uint8_t)*ch) * 1099511628211ull;
        cJSON_free(text);
        int64_t v = (int64_t)(h >> 1);
        sim_reply(c, &req, SIM_REPLY_OK, &v, 1);
    } else if (cf->workload == ML_KAFKA) {
        ml_kafka_reply(c, st, &req, type, body, line);
    } else if (strcmp(type, "cas_ok") == 0) {
        sim_reply(c, &req, SIM_REPLY_OK, NULL, 0);
    } else if (strcmp(type, "write_ok") == 0 || strcmp(type, "add_ok") == 0 || strcmp(type, "broadcast_ok") == 0) {
        sim_reply(c, &req, SIM_REPLY_OK, &req.value, 1);
    } else {
        sim_log(c, "maelstrom: unexpected reply type \"%s\" to a %s: %.200s", type, sim_op_names[req.f], line);
    }
}

/* The server of that name (a program node or a service), or -1. O(servers): a run of
 * programs has a few dozen nodes at most. */
static int64_t ml_server_named(sim_ctx *c, const char *name)
{
    for (uint32_t i = 0; i < sim_servers(c); i++)
        if (strcmp(sim_node_name(c, i), name) == 0) return i;
    return -1;
}

/* One complete line from the program's stdout. Returns false when the node stopped. */
static bool ml_line(sim_ctx *c, ml_node_t *st, char *line, uint32_t len)
{
    cJSON *j = cJSON_ParseWithLength(line, len);
    const cJSON *dest = cJSON_GetObjectItemCaseSensitive(j, "dest");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "body");
    if (!cJSON_IsObject(j) || !cJSON_IsString(dest) || !cJSON_IsObject(body)) {
        cJSON_Delete(j);
        ml_problem(c, st, "wrote a line that is not a Maelstrom message: %.200s (expected a JSON object {\"src\", \"dest\", \"body\"} on one line)", line);
        return false;
    }
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "type"));
    const char *d = dest->valuestring;
    char *end = NULL;
    unsigned long k = d[0] == 'c' && d[1] ? strtoul(d + 1, &end, 10) : 0;
    bool client = end && *end == '\0' && k >= 1;
    int64_t to = client ? -1 : ml_server_named(c, d);
    if (type && strcmp(type, "init_ok") == 0) {
        st->init_ok = true;
    } else if (strcmp(d, "c0") == 0) {
        /* A reply to dsim's own topology message: nothing waits for it. */
    } else if (to >= 0) {
        int t = sim_msg_type_register(c, type && type[0] ? type : "message");
        if (t < 0) t = 0;                       /* past SIM_MSG_TYPES_MAX: the generic type */
        sim_send(c, (uint32_t)to, (unsigned)t, line, len, 0);
    } else if (client) {
        ml_client_reply(c, st, body, line);
    } else if (mlkv_kind(d) != MLKV_NONE) {
        /* A call to a service the scenario does not run: say so once, on stderr too,
         * or the program's calls would just time out with no word why. */
        sim_log(c, "maelstrom: sent to the service %s, but the scenario has no node named %s: %.200s", d, d, line);
        if (!st->told_no_service)
            fprintf(stderr, "dsim: maelstrom node %s calls the service %s: add \"%s\" to the scenario's \"nodes\" to run it\n",
                    sim_node_name(c, sim_self(c)), d, d);
        st->told_no_service = true;
    } else {
        sim_log(c, "maelstrom: sent to unknown node \"%.40s\" (expected a node of the scenario, a service or a client c1..): %.200s", d, line);
    }
    cJSON_Delete(j);
    return true;
}

/* Splits what arrived on stdout into lines. Returns false when the node stopped. */
static bool ml_take_out(sim_ctx *c, ml_node_t *st, uint32_t *lines)
{
    for (;;) {
        char *nl = memchr(st->out_buf, '\n', st->out_len);
        if (!nl) break;
        uint32_t len = (uint32_t)(nl - st->out_buf);
        *nl = '\0';
        if (++*lines > ML_LINES_PER_STEP_MAX) {
            ml_problem(c, st, "wrote more than %d lines in answer to one message (a flood: expected a few lines per message)", ML_LINES_PER_STEP_MAX);
            return false;
        }
        if (len > 0 && !ml_line(c, st, st->out_buf, len)) return false;
        if (!st->pid) return false;
        memmove(st->out_buf, nl + 1, st->out_len - len - 1);
        st->out_len -= len + 1;
    }
    if (st->out_len >= ML_LINE_MAX) {
        st->out_buf[60] = '\0';
        ml_problem(c, st, "wrote a line longer than %u bytes, starting %s... (expected lines of at most %u bytes)", ML_LINE_MAX, st->out_buf, ML_LINE_MAX);
        return false;
    }
    return true;
}

/* A program reports its role on stderr, "role: leader" or "role: leader 3" (a term,
 * ballot or epoch), with the names of sim_role_names; the role takes effect when the
 * step ends, so where the line falls among the program's messages changes nothing. */
static void ml_take_role(ml_node_t *st, const char *line)
{
    char name[24];
    long long term = 0;
    if (strncmp(line, "role:", 5) != 0 || sscanf(line + 5, " %23[a-z]", name) != 1) return;
    const char *digits = strpbrk(line + 5, "0123456789");
    if (digits) term = strtoll(digits, NULL, 10);
    for (int r = 0; r < SIM_ROLE_COUNT_; r++)
        if (strcmp(name, r ? sim_role_names[r] : "none") == 0) { st->role_want = r + 1; st->term_want = term; }
}

static void ml_take_err(ml_node_t *st)
{
    for (;;) {
        char *nl = memchr(st->err_buf, '\n', st->err_len);
        if (!nl && st->err_len < sizeof st->err_buf - 1) return;
        uint32_t len = nl ? (uint32_t)(nl - st->err_buf) : st->err_len;
        snprintf(st->last_err, sizeof st->last_err, "%.*s", (int)len, st->err_buf);
        snprintf(st->err_lines[st->stderr_lines % ML_LOG_LINES], ML_LOG_LINE_MAX, "%.*s", (int)len, st->err_buf);
        ml_take_role(st, st->err_lines[st->stderr_lines % ML_LOG_LINES]);
        st->stderr_lines++;
        uint32_t used = nl ? len + 1 : len;
        memmove(st->err_buf, st->err_buf + used, st->err_len - used);
        st->err_len -= used;
    }
}

/* Whether the program is on a CPU or wants one ('R') or waits on the disk ('D'), as
 * /proc tells: quiet because it was not given the CPU on a busy machine is not quiet.
 * Where /proc cannot be read, the wait alone decides. */
static bool ml_running(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *close_paren = strrchr(buf, ')');      /* the name may hold spaces */
    return close_paren && close_paren[1] == ' ' && (close_paren[2] == 'R' || close_paren[2] == 'D');
}

/* Reads the program's output until it has been quiet for cf->quiet; while waiting for
 * init_ok, until it arrives or init_timeout passes. Returns false when the node stopped. */
static bool ml_pump_io(sim_ctx *c, ml_node_t *st, bool want_init)
{
    const ml_config_t *cf = sim_config(c);
    int64_t start = ml_wall_ns();
    int64_t limit = start + (want_init ? cf->init_timeout : cf->step_timeout);
    uint32_t lines = 0;
    for (;;) {
        int64_t now = ml_wall_ns();
        if (now > limit) {
            if (want_init && !st->init_ok)
                ml_problem(c, st, "never answered init within %.1fs (expected {\"type\": \"init_ok\", \"in_reply_to\": 1} on stdout)", (double)cf->init_timeout / 1e9);
            else
                ml_problem(c, st, "kept writing for more than %.1fs after one message (expected it to fall quiet: step_timeout)", (double)cf->step_timeout / 1e9);
            return false;
        }
        /* Real time does not wait for quiet: it takes what is there now, and the
         * tick comes back for what is written later. */
        int64_t wait = (want_init && !st->init_ok) ? limit - now : cf->mode == ML_REALTIME ? 0 : cf->quiet;
        struct pollfd pf[2] = {{st->out_fd, POLLIN, 0}, {st->err_fd, POLLIN, 0}};
        int r = poll(pf, st->err_fd >= 0 ? 2 : 1, (int)((wait + 999999) / 1000000));
        if (r < 0 && errno == EINTR) continue;
        if (r == 0 && want_init && !st->init_ok) continue;   /* the deadline check above ends it */
        if (r == 0 && cf->mode != ML_REALTIME && st->pid > 0 && ml_running(st->pid)) continue;   /* still working */
        if (r == 0) return true;                       /* quiet: the step is over */
        if (pf[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(st->err_fd, st->err_buf + st->err_len, sizeof st->err_buf - 1 - st->err_len);
            if (n > 0) { st->err_len += (uint32_t)n; ml_take_err(st); }
            else if (n == 0) { close(st->err_fd); st->err_fd = -1; }
        }
        if (pf[0].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(st->out_fd, st->out_buf + st->out_len, ML_LINE_MAX - st->out_len);
            if (n == 0) {
                ml_problem(c, st, "exited (expected it to keep running and read stdin until dsim stops it); its last stderr line: %s",
                           st->last_err[0] ? st->last_err : "(none)");
                return false;
            }
            if (n > 0) {
                st->out_len += (uint32_t)n;
                if (!ml_take_out(c, st, &lines)) return false;
            }
        }
    }
}

/* The same, and then the role the program reported in the step, if any. */
static bool ml_pump(sim_ctx *c, ml_node_t *st, bool want_init)
{
    bool ok = ml_pump_io(c, st, want_init);
    if (st->role_want && st->pid > 0) sim_set_role(c, (sim_role_t)(st->role_want - 1), st->term_want);
    st->role_want = 0;
    return ok;
}

/* Writes one line (adding the newline) to the program's stdin. */
static bool ml_write(sim_ctx *c, ml_node_t *st, const char *line, uint32_t len)
{
    const ml_config_t *cf = sim_config(c);
    int64_t limit = ml_wall_ns() + cf->step_timeout;
    for (int part = 0; part < 2; part++) {
        const char *p = part ? "\n" : line;
        size_t left = part ? 1 : len;
        while (left > 0) {
            ssize_t n = send(st->in_fd, p, left, MSG_NOSIGNAL);
            if (n > 0) { p += n; left -= (size_t)n; continue; }
            if (n < 0 && (errno == EAGAIN || errno == EINTR) && ml_wall_ns() < limit) {
                struct pollfd pf = {st->in_fd, POLLOUT, 0};
                poll(&pf, 1, 10);
                continue;
            }
            ml_problem(c, st, "does not read its stdin (%s; expected it to read one message per line)", n < 0 ? strerror(errno) : "closed");
            return false;
        }
    }
    return true;
}

/* ---- Callbacks. ---------------------------------------------------------------------- */

static void ml_init(sim_ctx *c)
{
    const ml_config_t *cf = sim_config(c);
    ml_node_t *st = sim_state(c);
    char err[512];
    st->why[0] = '\0';
    const char *self = sim_node_name(c, sim_self(c));
    mlkv_kind_t kind = mlkv_kind(self);
    if (kind != MLKV_NONE) {            /* a service: dsim answers for it, no program runs */
        st->svc = kind + 1;
        mlkv_start(c, sim_durable(c), kind, &cf->kv);
        return;
    }
    /* An empty bin is allowed by the loader (every protocol loads with its defaults)
     * and refused here, at start-up, with exit 2 like any program that cannot start. */
    char durable[PROTO_PARAM_TEXT_MAX + 40];
    if (!cf->bin[0]) snprintf(err, sizeof err, "no program: expected \"bin\" in the protocol's params, such as \"./echo.py\"");
    if (!cf->bin[0] || ml_durable(c, cf, durable, sizeof durable, err, sizeof err) < 0 || ml_spawn(cf, st, durable, err, sizeof err) < 0) {
        snprintf(st->why, sizeof st->why, "stopped: cannot start");
        if (sim_now(c) == 0) sim_halt(c, "maelstrom node %s: %s", self, err);
        else { sim_log(c, "maelstrom: %s", err); fprintf(stderr, "dsim: maelstrom node %s: %s\n", self, err); }
        return;
    }
    char line[16384];
    uint32_t n = sim_servers(c);
    int len = snprintf(line, sizeof line, "{\"src\":\"c0\",\"dest\":\"%s\",\"body\":{\"type\":\"init\",\"msg_id\":%lld,\"node_id\":\"%s\",\"node_ids\":[",
                       self, (long long)++st->next_msg_id, self);
    /* node_ids are the programs; the services are reached by their names. */
    for (uint32_t i = 0, k = 0; i < n && len < (int)sizeof line - 64; i++)
        if (mlkv_kind(sim_node_name(c, i)) == MLKV_NONE)
            len += snprintf(line + len, sizeof line - (size_t)len, "%s\"%s\"", k++ ? "," : "", sim_node_name(c, i));
    len += snprintf(line + len, sizeof line - (size_t)len, "]}}");
    if (!ml_write(c, st, line, (uint32_t)len) || !ml_pump(c, st, true)) return;
    st->running = true;
    if (cf->mode == ML_REALTIME) {
        st->wall_origin_ns = ml_wall_ns() - (int64_t)((double)sim_now(c) / cf->speed);
        sim_timer_set(c, cf->tick, ML_TIMER_TICK, 0);
    }
    if (cf->workload == ML_BROADCAST) {
        /* The topology as this node sees it: its own neighbours in the scenario's
         * topology (the entry a node reads; the others are left out). */
        len = snprintf(line, sizeof line, "{\"src\":\"c0\",\"dest\":\"%s\",\"body\":{\"type\":\"topology\",\"msg_id\":%lld,\"topology\":{\"%s\":[",
                       self, (long long)++st->next_msg_id, self);
        for (uint32_t i = 0, k = 0; i < sim_n_peers(c) && len < (int)sizeof line - 64; i++)
            if (mlkv_kind(sim_node_name(c, sim_peer(c, i))) == MLKV_NONE)
                len += snprintf(line + len, sizeof line - (size_t)len, "%s\"%s\"", k++ ? "," : "", sim_node_name(c, sim_peer(c, i)));
        len += snprintf(line + len, sizeof line - (size_t)len, "]}}}");
        if (ml_write(c, st, line, (uint32_t)len)) ml_pump(c, st, false);
    }
}

/* Realtime: holds simulated time back until the wall clock has caught up with it, then
 * takes whatever the program wrote meanwhile (its own timers fired, say) and stamps it
 * now. Every node paces so; the run is as fast as the wall clock allows, no faster. */
static void ml_timer(sim_ctx *c, int kind, uint64_t data)
{
    const ml_config_t *cf = sim_config(c);
    ml_node_t *st = sim_state(c);
    (void)data;
    if (kind == MLKV_TIMER_GOSSIP && st->svc) { mlkv_timer(c, sim_durable(c), &cf->kv); return; }
    if (kind != ML_TIMER_TICK || !st->running) return;
    int64_t due = st->wall_origin_ns + (int64_t)((double)sim_now(c) / cf->speed);
    int64_t ahead = due - ml_wall_ns();
    if (ahead > 0) {
        struct timespec ts = {(time_t)(ahead / 1000000000), (long)(ahead % 1000000000)};
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
    }
    if (ml_pump(c, st, false)) sim_timer_set(c, cf->tick, ML_TIMER_TICK, 0);
}

#define ML_PASSED_ON "client-request"    /* the message type of a request a service passes on */
static void ml_request(sim_ctx *c, const sim_req_t *req);

static void ml_message(sim_ctx *c, const sim_msg_t *m)
{
    ml_node_t *st = sim_state(c);
    if (st->svc) { mlkv_message(c, sim_durable(c), &((const ml_config_t *)sim_config(c))->kv, m); return; }
    if (m->len == sizeof(sim_req_t) && m->type == sim_msg_type_register(c, ML_PASSED_ON)) {
        sim_req_t req;
        memcpy(&req, m->payload, sizeof req);
        ml_request(c, &req);                /* answers the client, or says unavailable */
        return;
    }
    if (!st->running) return;
    if (ml_write(c, st, m->payload, m->len)) ml_pump(c, st, false);
}

/* A client's request that landed on a service: clients talk to the programs, so the
 * service passes it on, whole, to one of them, chosen from the service's own stream,
 * and the program answers the client itself. A redirect instead would cost the client
 * one of its retries, and with "retries": 0 the operation would fail though nothing
 * went wrong. The request crosses the network twice, so faults between the service
 * and the programs reach it too. */
static void ml_redirect(sim_ctx *c, const sim_req_t *req)
{
    uint32_t programs[256], n = 0;
    for (uint32_t i = 0; i < sim_servers(c) && n < 256; i++)
        if (mlkv_kind(sim_node_name(c, i)) == MLKV_NONE) programs[n++] = i;
    int t = sim_msg_type_register(c, ML_PASSED_ON);
    if (n == 0 || t < 0) { sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0); return; }
    sim_send(c, programs[rng_below(sim_rng(c), n)], (unsigned)t, req, sizeof *req, 0);
}


static void ml_request(sim_ctx *c, const sim_req_t *req)
{
    const ml_config_t *cf = sim_config(c);
    ml_node_t *st = sim_state(c);
    if (st->svc) { ml_redirect(c, req); return; }
    if (!st->running) { sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0); return; }
    char body[256];
    long long v = (long long)req->value, k = (long long)req->key;
    switch (cf->workload * 16 + req->f) {
    case ML_ECHO * 16 + SIM_OP_READ: case ML_ECHO * 16 + SIM_OP_WRITE: case ML_ECHO * 16 + SIM_OP_CAS:
    case ML_ECHO * 16 + SIM_OP_APPEND: case ML_ECHO * 16 + SIM_OP_ADD:
        snprintf(body, sizeof body, "\"type\":\"echo\",\"echo\":%lld", v); break;
    case ML_BROADCAST * 16 + SIM_OP_WRITE: case ML_BROADCAST * 16 + SIM_OP_ADD: case ML_BROADCAST * 16 + SIM_OP_APPEND:
        snprintf(body, sizeof body, "\"type\":\"broadcast\",\"message\":%lld", v); break;
    case ML_GSET * 16 + SIM_OP_WRITE: case ML_GSET * 16 + SIM_OP_ADD: case ML_GSET * 16 + SIM_OP_APPEND:
        snprintf(body, sizeof body, "\"type\":\"add\",\"element\":%lld", v); break;
    case ML_GCOUNTER * 16 + SIM_OP_ADD: case ML_PNCOUNTER * 16 + SIM_OP_ADD:
        snprintf(body, sizeof body, "\"type\":\"add\",\"delta\":%lld", v); break;
    case ML_BROADCAST * 16 + SIM_OP_READ: case ML_GSET * 16 + SIM_OP_READ:
    case ML_GCOUNTER * 16 + SIM_OP_READ: case ML_PNCOUNTER * 16 + SIM_OP_READ:
        snprintf(body, sizeof body, "\"type\":\"read\""); break;
    case ML_LINKV * 16 + SIM_OP_READ:
        snprintf(body, sizeof body, "\"type\":\"read\",\"key\":%lld", k); break;
    case ML_LINKV * 16 + SIM_OP_WRITE:
        snprintf(body, sizeof body, "\"type\":\"write\",\"key\":%lld,\"value\":%lld", k, v); break;
    case ML_LINKV * 16 + SIM_OP_CAS:
        snprintf(body, sizeof body, "\"type\":\"cas\",\"key\":%lld,\"from\":%lld,\"to\":%lld", k, v, (long long)req->value2); break;
    case ML_UNIQUE * 16 + SIM_OP_READ:          /* the id comes back as the read's value */
        snprintf(body, sizeof body, "\"type\":\"generate\""); break;
    case ML_KAFKA * 16 + SIM_OP_WRITE: case ML_KAFKA * 16 + SIM_OP_APPEND:
        snprintf(body, sizeof body, "\"type\":\"send\",\"key\":\"k%lld\",\"msg\":%lld", k, v); break;
    case ML_KAFKA * 16 + SIM_OP_READ:           /* every poll starts at 0: the checker needs no client position */
        snprintf(body, sizeof body, "\"type\":\"poll\",\"offsets\":{\"k%lld\":0}", k); break;
    case ML_KAFKA * 16 + SIM_OP_CAS:            /* commit what this node has handed out so far */
        snprintf(body, sizeof body, "\"type\":\"commit_offsets\",\"offsets\":{\"k%lld\":%lld}", k,
                 (long long)(req->key < MLKF_KEYS_MAX ? st->kafka_seen[req->key] : 0)); break;
    case ML_KAFKA * 16 + SIM_OP_ADD:
        snprintf(body, sizeof body, "\"type\":\"list_committed_offsets\",\"keys\":[\"k%lld\"]", k); break;
    default:
        /* The workload has no such operation: it certainly did not happen. */
        sim_reply(c, req, SIM_REPLY_FAIL, NULL, 0);
        return;
    }
    ml_pending_t *p = NULL;
    for (int i = 0; i < ML_PENDING_MAX && !p; i++) if (st->pending[i].msg_id == 0) p = &st->pending[i];
    if (!p) { sim_reply(c, req, SIM_REPLY_UNAVAILABLE, NULL, 0); return; }     /* ML_PENDING_MAX in flight */
    p->msg_id = ++st->next_msg_id;
    p->req = *req;
    char line[512];
    int len = snprintf(line, sizeof line, "{\"src\":\"c%u\",\"dest\":\"n%u\",\"body\":{%s,\"msg_id\":%lld}}",
                       req->client - sim_servers(c) + 1, sim_self(c) + 1, body, (long long)p->msg_id);
    if (ml_write(c, st, line, (uint32_t)len)) ml_pump(c, st, false);
}

static void ml_crash(sim_ctx *c) { ml_close(sim_state(c)); }

/* A pause stops the program's whole process group (its threads and children too), so
 * a program with timers of its own falls silent as a paused built-in node does; the
 * core holds its messages meanwhile. */
static void ml_pause(sim_ctx *c, bool paused)
{
    ml_node_t *st = sim_state(c);
    if (st->pid <= 0 || st->paused == paused) return;
    kill(-st->pid, paused ? SIGSTOP : SIGCONT);
    st->paused = paused;
}
static void ml_destroy(sim_ctx *c) { ml_close(sim_state(c)); }

static void ml_describe(sim_ctx *c, proto_desc_t *d)
{
    ml_node_t *st = sim_state(c);
    if (st->svc) mlkv_describe(sim_durable(c), d->line, sizeof d->line);
    else if (st->why[0]) snprintf(d->line, sizeof d->line, "%s", st->why);
    else if (st->paused) snprintf(d->line, sizeof d->line, "paused (SIGSTOP)");
    else if (st->last_err[0]) snprintf(d->line, sizeof d->line, "%s", st->last_err);
    else snprintf(d->line, sizeof d->line, "served %lld", (long long)st->served);
}

/* The window's node panel shows a program's last lines on stderr (its log). */
int ml_program_log(const sim_t *s, uint32_t node, const char **lines, int max)
{
    if (strcmp(sim_protocol(s)->name, "maelstrom") != 0 || node >= sim_n_servers(s)) return 0;
    const ml_node_t *st = sim_node_state((sim_t *)s, node);
    int n = 0;
    int64_t first = st->stderr_lines > ML_LOG_LINES ? st->stderr_lines - ML_LOG_LINES : 0;
    for (int64_t i = first; i < st->stderr_lines && n < max; i++) lines[n++] = st->err_lines[i % ML_LOG_LINES];
    return n;
}

/* The window's hover over a message: the body's fields but its type (shown already),
 * "key 1, from 3, to 4, msg_id 7", each value as its JSON, cut at 40 bytes. */
static int ml_describe_msg(unsigned type, const void *payload, uint32_t len, char *buf, size_t buf_len)
{
    (void)type;
    cJSON *j = cJSON_ParseWithLength(payload, len);
    if (!j && len == sizeof(sim_req_t)) {   /* not a line: a request a service passed on */
        sim_req_t req;
        memcpy(&req, payload, sizeof req);
        return snprintf(buf, buf_len, "a client's request (op %llu) passed on by a service", (unsigned long long)req.op_id);
    }
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "body");
    size_t n = 0;
    buf[0] = '\0';
    for (const cJSON *e = cJSON_IsObject(body) ? body->child : NULL; e && n + 1 < buf_len; e = e->next) {
        if (strcmp(e->string, "type") == 0) continue;
        char v[48];
        if (!cJSON_PrintPreallocated((cJSON *)e, v, sizeof v, false)) snprintf(v, sizeof v, "...");
        int w = snprintf(buf + n, buf_len - n, "%s%s %s", n ? ", " : "", e->string, v);
        n = w < 0 ? n : n + (size_t)w < buf_len ? n + (size_t)w : buf_len - 1;
    }
    cJSON_Delete(j);
    return (int)n;
}

static void ml_export(sim_ctx *c, jw_t *w)
{
    ml_node_t *st = sim_state(c);
    if (st->svc) { mlkv_export(sim_durable(c), &((const ml_config_t *)sim_config(c))->kv, w); return; }
    jw_obj_begin(w);
    jw_kbool(w, "running", st->running);
    jw_kint(w, "served", st->served);
    jw_kint(w, "echo_mismatches", st->mismatches);
    jw_kint(w, "stderr_lines", st->stderr_lines);
    jw_obj_end(w);
}

/* unique-ids: no id acknowledged twice. Looks only at operations new since the last
 * event, so the whole run costs O(operations). */
static bool ml_check_unique(sim_t *s, sim_violation_t *v)
{
    ml_check_t *k = sim_check_state(s);
    uint64_t n = sim_n_op_events(s);
    for (; k->scanned < n; k->scanned++) {
        sim_op_event_t e;
        sim_op_event(s, k->scanned, &e);
        if (e.type != 1 || e.n != 1 || k->full) continue;
        uint64_t h = (uint64_t)e.values[0] ? (uint64_t)e.values[0] : 1;
        uint32_t i = (uint32_t)(h * 11400714819323198485ull >> 48) & (ML_IDS_MAX - 1);
        for (; k->ids[i]; i = (i + 1) & (ML_IDS_MAX - 1))
            if (k->ids[i] == h) {
                k->scanned++;
                return sim_violation_set(v, "unique-ids", -1, -1, "an id was generated twice (the client of process %u got one already handed out)",
                                         e.process);
            }
        k->ids[i] = h;
        if (++k->n_ids >= ML_IDS_MAX / 2) k->full = true;
    }
    return false;
}

/* echo: every reply must carry back what was sent. */
static bool ml_check(sim_t *s, sim_violation_t *v)
{
    const ml_config_t *cf = sim_config_of(s);
    if (cf->workload == ML_UNIQUE) return ml_check_unique(s, v);
    if (cf->workload == ML_KAFKA) {
        ml_check_t *k = sim_check_state(s);
        for (uint32_t i = 0; i < sim_n_servers(s); i++) {
            ml_node_t *st = sim_node_state(s, i);
            if (mlkf_check(&k->kafka, &st->obs, v)) { v->nodes[0] = i; v->n_nodes = 1; return true; }
        }
        return false;
    }
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        const ml_node_t *st = sim_node_state(s, i);
        if (st->mismatches > 0)
            return sim_violation_set(v, "echo-mismatch", i, -1, "%s answered an echo with something other than what it was sent", sim_name_of(s, i));
    }
    return false;
}

/* The time mode belongs in every summary: it says whether the run can be replayed. */
static void ml_summary(sim_t *s, jw_t *w)
{
    static const char *const workloads[] = {"echo", "broadcast", "g-set", "g-counter", "pn-counter", "lin-kv", "unique-ids", "kafka"};
    const ml_config_t *cf = sim_config_of(s);
    int64_t served = 0, stopped = 0, services = 0;
    for (uint32_t i = 0; i < sim_n_servers(s); i++) {
        const ml_node_t *st = sim_node_state(s, i);
        served += st->served;
        stopped += st->why[0] != '\0';
        services += st->svc != 0;
    }
    jw_kstr(w, "time_mode", cf->mode == ML_LOCKSTEP ? "lockstep" : "realtime");
    jw_kbool(w, "deterministic", cf->mode == ML_LOCKSTEP);
    jw_kstr(w, "workload", workloads[cf->workload]);
    jw_kint(w, "served", served);
    jw_kint(w, "nodes_stopped", stopped);
    if (cf->workload == ML_UNIQUE) {
        const ml_check_t *k = sim_check_state(s);
        jw_kint(w, "unique_ids_checked", k->n_ids);
        jw_kbool(w, "unique_ids_check_full", k->full);
    }
    if (cf->workload == ML_KAFKA) mlkf_summary(&((const ml_check_t *)sim_check_state(s))->kafka, w);
    if (services) {
        jw_key(w, "services");
        jw_arr_begin(w);
        for (uint32_t i = 0; i < sim_n_servers(s); i++)
            if (((const ml_node_t *)sim_node_state(s, i))->svc) mlkv_summary(sim_node_durable(s, i), sim_name_of(s, i), w);
        jw_arr_end(w);
    }
}

static int ml_configure(void *config, const proto_env_t *env, char *err, size_t err_len)
{
    ml_config_t *cf = config;
    int n = 0;
    for (const char *a = cf->args; *a; a += strlen(a) + 1) n++;
    if (n > ML_ARGS_MAX) { snprintf(err, err_len, "\"args\" has %d strings; at most %d are passed", n, ML_ARGS_MAX); return SIM_EINPUT; }
    if (cf->workload == ML_KAFKA && env->n_keys > MLKF_KEYS_MAX) {
        snprintf(err, err_len, "the kafka workload's checker follows %d keys at most (MLKF_KEYS_MAX); the workload has %u \"keys\"",
                 MLKF_KEYS_MAX, env->n_keys);
        return SIM_EINPUT;
    }
    return SIM_OK;
}

static const char *const ml_msg_types[] = {"message", NULL};

static const proto_param_t ml_params[] = {
    {"bin", PROTO_PARAM_PATH, "\"\"", 1, 0, NULL, offsetof(ml_config_t, bin), "the program each node runs, relative to the scenario"},
    {"args", PROTO_PARAM_STRINGS, "[]", 1, 0, NULL, offsetof(ml_config_t, args), "arguments passed to the program"},
    {"workload", PROTO_PARAM_ENUM, "echo", 1, 0, "echo|broadcast|g-set|g-counter|pn-counter|lin-kv|unique-ids|kafka", offsetof(ml_config_t, workload),
     "which Maelstrom workload the clients' operations become"},
    {"durable_dir", PROTO_PARAM_PATH, "\"\"", 1, 0, NULL, offsetof(ml_config_t, durable_dir),
     "a folder for each node's files that outlive a crash (DSIM_DURABLE_DIR = this/NAME); emptied at the start of a run"},
    {"mode", PROTO_PARAM_ENUM, "lockstep", 1, 0, "lockstep|realtime", offsetof(ml_config_t, mode),
     "lockstep: one message at a time, deterministic for programs without timers; realtime: simulated time follows the wall clock"},
    {"quiet", PROTO_PARAM_DURATION, "20ms", 1e6, 10e9, NULL, offsetof(ml_config_t, quiet),
     "wall-clock time without output after which a program is taken to be done with a message"},
    {"speed", PROTO_PARAM_REAL, "1", 0.01, 100, NULL, offsetof(ml_config_t, speed),
     "realtime: simulated seconds per wall-clock second"},
    {"tick", PROTO_PARAM_DURATION, "5ms", 1e5, 1e9, NULL, offsetof(ml_config_t, tick),
     "realtime: how often (simulated) dsim reads what a program wrote on its own"},
    {"seq_stale", PROTO_PARAM_REAL, "0.5", 0, 1, NULL, offsetof(ml_config_t, kv.seq_stale),
     "seq-kv service: chance that a read is served from an older state the caller has not yet seen past"},
    {"lww_replicas", PROTO_PARAM_INT, "5", 1, MLKV_REPLICAS_MAX, NULL, offsetof(ml_config_t, kv.lww_replicas),
     "lww-kv service: replicas answering independently"},
    {"lww_gossip", PROTO_PARAM_DURATION, "100ms", 1e6, 60e9, NULL, offsetof(ml_config_t, kv.lww_gossip),
     "lww-kv service: how often each replica pulls another's values"},
    {"lww_skew", PROTO_PARAM_DURATION, "20ms", 0, 10e9, NULL, offsetof(ml_config_t, kv.lww_skew),
     "lww-kv service: the largest offset of a replica's clock from true time"},
    {"init_timeout", PROTO_PARAM_DURATION, "10s", 1e6, 600e9, NULL, offsetof(ml_config_t, init_timeout), "wall-clock time to wait for init_ok"},
    {"step_timeout", PROTO_PARAM_DURATION, "5s", 1e6, 600e9, NULL, offsetof(ml_config_t, step_timeout),
     "wall-clock time a program may keep writing in answer to one message"},
    {NULL},
};

/* The human summary: the time mode first, since it says whether the run replays. */
static const proto_line_t ml_lines[] = {
    {"time mode", "{protocol_stats.time_mode|s} (lockstep replays exactly for programs without timers of their own; realtime does not)"},
    {"workload", "{protocol_stats.workload|s}: {protocol_stats.served} requests served, {protocol_stats.nodes_stopped} programs stopped for misbehaving"},
    {"kafka", "{protocol_stats.kafka.sends_acked} sends acknowledged, {protocol_stats.kafka.polls} polls returned "
              "{protocol_stats.kafka.polled_messages} messages; {protocol_stats.kafka.lost_writes} acknowledged sends lost, "
              "{protocol_stats.kafka.skipped} offsets skipped, {protocol_stats.kafka.nonmonotonic} out of order or reused "
              "({protocol_stats.kafka.unchecked} past the checker's bounds)"},
    {"service", "{protocol_stats.services[#].name|s}: {protocol_stats.services[#].requests} requests from the programs, "
                "{protocol_stats.services[#].stale_reads} reads served stale, {protocol_stats.services[#].cas_failed} cas refused (22), "
                "{protocol_stats.services[#].lost_writes} writes lost to last-writer-wins"},
    {NULL, NULL},
};

const proto_t proto_maelstrom = {
    .version = PROTO_VERSION,
    .name = "maelstrom",
    .purpose = "each node is a program speaking Maelstrom's JSON protocol on stdin and stdout",
    .state_size = sizeof(ml_node_t),
    .durable_size = sizeof(mlkv_store_t),
    .config_size = sizeof(ml_config_t),
    .msg_types = ml_msg_types,
    .params = ml_params,
    .configure = ml_configure,
    .init = ml_init,
    .on_message = ml_message,
    .on_timer = ml_timer,
    .on_request = ml_request,
    .on_crash = ml_crash,
    .describe = ml_describe,
    .export_state = ml_export,
    .check = ml_check,
    .summary = ml_summary,
    .summary_lines = ml_lines,
    .check_size = sizeof(ml_check_t),
    .on_destroy = ml_destroy,
    .on_pause = ml_pause,
    .describe_msg = ml_describe_msg,
};
