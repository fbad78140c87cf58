/* workload.c -- clients: they invoke operations on the servers through the network
 * and record what they observed in the history.
 *
 * Each client has `concurrency` slots; a slot holds at most one operation and is one
 * "process" of the history, so every process has at most one operation outstanding,
 * as linearizability checkers expect. When an operation's outcome is unknown (a
 * timeout: info), the slot continues as a fresh process, as Jepsen does, because the
 * old one may still be executing somewhere.
 *
 *   open loop:   arrivals are Poisson at rate/clients per client, whatever happens to
 *                earlier operations; an arrival that finds every slot busy is shed.
 *   closed loop: each slot issues its next operation an exponential think time (mean
 *                `think`) after the previous one completed.
 *
 * An operation ends ok or fail on a definite reply, is retried after `retry_delay` on
 * "unavailable" or a redirect, and ends info at its `timeout`. When the `retries` run
 * out it ends info as well: "unavailable" or a redirect speaks for the one copy of the
 * request that it answers, and the network may have delivered another copy of that
 * attempt, or of an earlier one, to a leader that appended it before stepping down --
 * it can still take effect, so "fail" (it did not happen) would be a lie the checker
 * catches as a linearizability violation of a correct protocol:
 *
 *      client ──write 7──> n1 (leader)     n1 appends it, then steps down
 *         (a duplicated copy) ──> n1       "redirect to n2": retry, then out of retries
 *                                          the entry commits: 7 is written
 *
 * Only a definite refusal (a fail reply) or the operation's nature makes fail true:
 * reads end fail however they end, since a read that did not return changed nothing.
 * Operations still outstanding when the run ends are info.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "core/sim_int.h"

enum { WL_ARRIVE, WL_NEXT, WL_TIMEOUT, WL_RETRY, WL_PROBE, WL_FINAL };

#define WL_FINAL_KEYS_MAX 64          /* final reads cover at most this many keys */

typedef struct slot {
    bool busy;
    uint32_t process;
    uint64_t op_id;
    uint8_t f;
    uint32_t key, key2;
    int64_t v1, v2;
    uint32_t attempt;
    uint32_t target;
    bool in_partition;         /* invoked while a partition was in force */
    sim_time_t invoked_ns;
} slot_t;

typedef struct client {
    uint32_t target;           /* sticky server */
    slot_t slot[SIM_CONCURRENCY_MAX];
} client_t;

struct wl {
    const scn_workload_t *cfg;
    client_t *c;
    double mix_cdf[SIM_OP_COUNT_];
    double *zipf_cdf;
    int64_t *last_value;       /* per key: the newest value acknowledged written */
    uint64_t next_op, next_value, issued;
    uint32_t next_process;
    uint32_t *process_client;  /* per process: its client's index (processes are numbered in turn) */
    uint32_t cap_process;
    uint16_t fid[SIM_OP_COUNT_];   /* interned function names */
    int32_t *kid;              /* interned key names */
    sim_time_t stop_ns;
};

static rng_t *crng(sim_t *s, uint32_t ci) { return &s->nodes[s->n_servers + ci].rng; }

static sim_time_t exp_ns(rng_t *r, double mean_ns)
{
    gsl_rng g;
    rng_gsl(r, &g);
    return (sim_time_t)gsl_ran_exponential(&g, mean_ns);
}

static uint32_t random_server(sim_t *s, rng_t *r) { return sim_random_member(s, r); }

uint32_t sim_process_client(const sim_t *s, uint32_t process)
{
    const wl_t *w = s->wl;
    if (!w || process >= w->next_process) return UINT32_MAX;
    return s->n_servers + w->process_client[process];
}

/* Numbers a new process for client ci, remembering whose it is: a process replaced
 * after a timeout still names its client for as long as the history shows it. */
static uint32_t process_new(wl_t *w, uint32_t ci)
{
    if (w->next_process == w->cap_process) {
        w->cap_process = w->cap_process ? 2 * w->cap_process : 64;
        w->process_client = sim_xrealloc(w->process_client, w->cap_process * sizeof *w->process_client);
    }
    w->process_client[w->next_process] = ci;
    return w->next_process++;
}

void wl_create(sim_t *s)
{
    const scn_workload_t *cfg = &s->scn->wl;
    if (!cfg->clients) return;
    wl_t *w = s->wl = sim_xcalloc(1, sizeof *w);
    w->cfg = cfg;
    w->c = sim_xcalloc(cfg->clients, sizeof *w->c);
    w->stop_ns = cfg->stop_ns > 0 && cfg->stop_ns < s->end ? cfg->stop_ns : s->end;
    double acc = 0;
    for (int f = 0; f < SIM_OP_COUNT_; f++) { acc += cfg->mix[f]; w->mix_cdf[f] = acc; }
    uint32_t keys = cfg->keys ? cfg->keys : 1;
    w->last_value = sim_xcalloc(keys, sizeof *w->last_value);
    if (cfg->key_dist == KEYS_ZIPF) {
        /* Zipf over ranks 1..keys: P(k) proportional to 1/k^s; sampled by inverting the CDF. */
        w->zipf_cdf = sim_xcalloc(keys, sizeof *w->zipf_cdf);
        double sum = 0;
        for (uint32_t k = 0; k < keys; k++) sum += 1.0 / pow((double)(k + 1), cfg->zipf_s);
        double run = 0;
        for (uint32_t k = 0; k < keys; k++) { run += 1.0 / pow((double)(k + 1), cfg->zipf_s) / sum; w->zipf_cdf[k] = run; }
        w->zipf_cdf[keys - 1] = 1.0;
    }
    for (int f = 0; f < SIM_OP_COUNT_; f++) w->fid[f] = hist_intern_f(&s->hist, sim_op_names[f]);
    w->kid = sim_xcalloc(keys, sizeof *w->kid);
    for (uint32_t k = 0; k < keys; k++) {
        char name[24];
        snprintf(name, sizeof name, "k%u", k);
        w->kid[k] = hist_intern_key(&s->hist, name);
    }
    w->next_process = 0;
    for (uint32_t ci = 0; ci < cfg->clients; ci++) {
        client_t *c = &w->c[ci];
        rng_t *r = crng(s, ci);
        c->target = cfg->target == TARGET_NODE ? cfg->target_node : random_server(s, r);
        for (uint32_t k = 0; k < cfg->concurrency; k++) c->slot[k].process = process_new(w, ci);   /* ci * concurrency + k */
        uint32_t node = s->n_servers + ci;
        if (cfg->final_reads_ns > 0 && ci == 0)
            sim_ev_schedule(s, EV_CLIENT, WL_FINAL, node, w->stop_ns + cfg->final_reads_ns, 0, 0);
        if (cfg->closed) {
            for (uint32_t k = 0; k < cfg->concurrency; k++)
                sim_ev_schedule(s, EV_CLIENT, WL_NEXT, node, cfg->start_ns + exp_ns(r, (double)cfg->think_ns), 0, k);
        } else if (cfg->rate_per_s > 0) {
            double mean_ns = 1e9 * cfg->clients / cfg->rate_per_s;
            sim_ev_schedule(s, EV_CLIENT, WL_ARRIVE, node, cfg->start_ns + exp_ns(r, mean_ns), 0, 0);
        }
    }
}

void wl_destroy(sim_t *s)
{
    wl_t *w = s->wl;
    free(w->c);
    free(w->zipf_cdf);
    free(w->last_value);
    free(w->kid);
    free(w->process_client);
    free(w);
    s->wl = NULL;
}

static uint32_t pick_key(wl_t *w, rng_t *r)
{
    uint32_t keys = w->cfg->keys ? w->cfg->keys : 1;
    if (!w->zipf_cdf) return (uint32_t)rng_below(r, keys);
    double u = rng_double(r);
    uint32_t lo = 0, hi = keys - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (w->zipf_cdf[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static uint8_t pick_f(wl_t *w, rng_t *r)
{
    double u = rng_double(r) * w->mix_cdf[SIM_OP_COUNT_ - 1];
    for (int f = 0; f < SIM_OP_COUNT_; f++)
        if (u < w->mix_cdf[f] && w->cfg->mix[f] > 0) return (uint8_t)f;
    for (int f = SIM_OP_COUNT_ - 1; f >= 0; f--)
        if (w->cfg->mix[f] > 0) return (uint8_t)f;
    return SIM_OP_READ;
}

/* The invoke value of an operation, in history form. */
static uint32_t op_values(const slot_t *sl, int64_t v[2], hist_vkind_t *kind)
{
    switch ((sim_op_t)sl->f) {
    case SIM_OP_READ: *kind = HIST_V_NONE; return 0;
    case SIM_OP_CAS: v[0] = sl->v1; v[1] = sl->v2; *kind = HIST_V_LIST; return 2;
    case SIM_OP_TRANSFER: v[0] = sl->key2; v[1] = sl->v1; *kind = HIST_V_LIST; return 2;
    default: v[0] = sl->v1; *kind = HIST_V_INT; return 1;
    }
}

static void send_attempt(sim_t *s, uint32_t ci, uint32_t k)
{
    slot_t *sl = &s->wl->c[ci].slot[k];
    sim_req_t req = {0};
    req.client = s->n_servers + ci;
    req.attempt = sl->attempt;
    req.op_id = sl->op_id;
    req.f = sl->f;
    req.key = sl->key;
    req.key2 = sl->key2;
    req.value = sl->v1;
    req.value2 = sl->v2;
    sim_send_from(s, s->n_servers + ci, sl->target, 0, &req, sizeof req, 64);
}

static void invoke(sim_t *s, uint32_t ci, uint32_t k, uint8_t f, uint32_t key, uint32_t key2,
                   int64_t v1, int64_t v2, uint32_t target)
{
    wl_t *w = s->wl;
    slot_t *sl = &w->c[ci].slot[k];
    sl->busy = true;
    sl->op_id = ++w->next_op;
    sl->f = f;
    sl->key = key;
    sl->key2 = key2;
    sl->v1 = v1;
    sl->v2 = v2;
    sl->attempt = 0;
    sl->target = target;
    sl->invoked_ns = s->now;
    sl->in_partition = s->net.partitioned;
    w->issued++;
    s->st.ops_invoked++;
    if (sl->in_partition) s->st.ops_in_partition++;
    int64_t v[2];
    hist_vkind_t vk;
    uint32_t n = op_values(sl, v, &vk);
    sim_history_record(s, sl->process, HIST_INVOKE, w->fid[f], w->kid[key], vk, v, n);
    trace_rec_t r = {0};
    r.kind = TR_INVOKE;
    r.type = f;
    r.a = s->n_servers + ci;
    r.b = target;
    r.id = sl->op_id;
    r.t = s->now;
    r.x = key;
    r.y = v1;
    sim_trace(s, &r);
    send_attempt(s, ci, k);
    sim_ev_schedule(s, EV_CLIENT, WL_TIMEOUT, s->n_servers + ci, s->now + w->cfg->timeout_ns, sl->op_id, k);
}

static void issue(sim_t *s, uint32_t ci, uint32_t k)
{
    wl_t *w = s->wl;
    rng_t *r = crng(s, ci);
    uint8_t f = pick_f(w, r);
    uint32_t key = pick_key(w, r), key2 = key;
    int64_t v1 = 0, v2 = 0;
    switch ((sim_op_t)f) {
    case SIM_OP_READ: break;
    case SIM_OP_WRITE: case SIM_OP_APPEND: v1 = (int64_t)++w->next_value; break;
    case SIM_OP_CAS: v1 = w->last_value[key]; v2 = (int64_t)++w->next_value; break;
    case SIM_OP_ADD: v1 = 1; break;
    case SIM_OP_TRANSFER: {
        /* Two different keys (when there are two), and an amount from 1 to 5. */
        uint32_t keys = w->cfg->keys ? w->cfg->keys : 1;
        if (keys > 1) {
            key2 = (key + 1 + (uint32_t)rng_below(r, keys - 1)) % keys;
        }
        v1 = 1 + (int64_t)rng_below(r, 5);
        break;
    }
    case SIM_OP_COUNT_: break;
    }
    client_t *c = &w->c[ci];
    uint32_t target = w->cfg->target == TARGET_RANDOM ? random_server(s, r) : c->target;
    invoke(s, ci, k, f, key, key2, v1, v2, target);
}

static void complete(sim_t *s, uint32_t ci, uint32_t k, hist_type_t type, const reply_msg_t *m)
{
    wl_t *w = s->wl;
    slot_t *sl = &w->c[ci].slot[k];
    int64_t v[2];
    hist_vkind_t vk;
    uint32_t n = op_values(sl, v, &vk);
    const int64_t *vals = v;
    if (type == HIST_OK && sl->f == SIM_OP_READ && m) {
        vals = m->values;
        n = m->n;
        vk = m->list ? HIST_V_LIST : n == 0 ? HIST_V_NONE : n == 1 ? HIST_V_INT : HIST_V_LIST;
    }
    sim_history_record(s, sl->process, type, w->fid[sl->f], w->kid[sl->key], vk, vals, n);
    if (type == HIST_OK) {
        s->st.ops_ok++;
        if (sl->in_partition) s->st.ok_in_partition++;
        if (sl->f == SIM_OP_WRITE && w->cfg->n_probe && w->cfg->clients > 1) {
            /* Probes: other clients read this key at each delay, round robin. */
            for (uint32_t j = 0; j < w->cfg->n_probe; j++) {
                uint32_t reader = (ci + 1 + j % (w->cfg->clients - 1)) % w->cfg->clients;
                sim_ev_schedule(s, EV_CLIENT, WL_PROBE, s->n_servers + reader, s->now + w->cfg->probe_ns[j], 0, sl->key);
            }
        }
        sim_samples_add(&s->st.latency, s->now - sl->invoked_ns);
        if (sl->f == SIM_OP_WRITE) w->last_value[sl->key] = sl->v1;
        if (sl->f == SIM_OP_CAS) w->last_value[sl->key] = sl->v2;
    } else if (type == HIST_FAIL) {
        s->st.ops_fail++;
    } else {
        s->st.ops_info++;
        sl->process = process_new(w, ci);       /* the old process may still be running */
    }
    trace_rec_t r = {0};
    r.kind = TR_COMPLETE;
    r.reason = (uint8_t)type;
    r.type = sl->f;
    r.a = s->n_servers + ci;
    r.id = sl->op_id;
    r.t = s->now;
    r.t2 = sl->invoked_ns;
    sim_trace(s, &r);
    sl->busy = false;
    if (w->cfg->closed && !s->finished)
        sim_ev_schedule(s, EV_CLIENT, WL_NEXT, s->n_servers + ci, s->now + exp_ns(crng(s, ci), (double)w->cfg->think_ns), 0, k);
}

static bool may_issue(const sim_t *s)
{
    const wl_t *w = s->wl;
    return s->now < w->stop_ns && (!w->cfg->limit || w->issued < w->cfg->limit);
}

void wl_on_event(sim_t *s, const ev_t *e)
{
    wl_t *w = s->wl;
    uint32_t ci = e->node - s->n_servers, k = (uint32_t)e->data;
    client_t *c = &w->c[ci];
    switch (e->sub) {
    case WL_ARRIVE: {
        if (!may_issue(s)) return;
        double mean_ns = 1e9 * w->cfg->clients / w->cfg->rate_per_s;
        sim_ev_schedule(s, EV_CLIENT, WL_ARRIVE, e->node, s->now + exp_ns(crng(s, ci), mean_ns), 0, 0);
        for (k = 0; k < w->cfg->concurrency; k++)
            if (!c->slot[k].busy) { issue(s, ci, k); return; }
        s->st.ops_shed++;
        return;
    }
    case WL_NEXT:
        if (may_issue(s) && !c->slot[k].busy) issue(s, ci, k);
        return;
    case WL_TIMEOUT: {
        slot_t *sl = &c->slot[k];
        if (!sl->busy || sl->op_id != e->id) return;   /* it completed in time */
        if (w->cfg->target == TARGET_STICKY) c->target = random_server(s, crng(s, ci));
        complete(s, ci, k, sl->f == SIM_OP_READ ? HIST_FAIL : HIST_INFO, NULL);
        return;
    }
    case WL_FINAL: {
        /* Every key (up to WL_FINAL_KEYS_MAX) from every member server, the reads
         * spread round robin over the clients' free slots. */
        uint32_t keys = w->cfg->keys ? w->cfg->keys : 1, n = 0;
        if (keys > WL_FINAL_KEYS_MAX) keys = WL_FINAL_KEYS_MAX;
        for (uint32_t srv = 0; srv < s->n_servers; srv++) {
            if (!s->nodes[srv].member || !s->nodes[srv].up) continue;
            for (uint32_t key = 0; key < keys; key++, n++) {
                uint32_t cj = n % w->cfg->clients;
                uint32_t kk = 0;
                while (kk < w->cfg->concurrency && w->c[cj].slot[kk].busy) kk++;
                if (kk == w->cfg->concurrency) { s->st.ops_shed++; continue; }
                invoke(s, cj, kk, SIM_OP_READ, key, key, 0, 0, srv);
            }
        }
        return;
    }
    case WL_PROBE: {
        if (s->finished) return;
        for (k = 0; k < w->cfg->concurrency; k++)
            if (!c->slot[k].busy) {
                uint32_t target = w->cfg->target == TARGET_RANDOM ? random_server(s, crng(s, ci)) : c->target;
                invoke(s, ci, k, SIM_OP_READ, (uint32_t)e->data, (uint32_t)e->data, 0, 0, target);
                return;
            }
        s->st.ops_shed++;
        return;
    }
    case WL_RETRY: {
        slot_t *sl = &c->slot[k];
        if (!sl->busy || sl->op_id != e->id) return;
        send_attempt(s, ci, k);
        return;
    }
    }
}

void wl_on_reply(sim_t *s, uint32_t client, const void *payload, uint32_t len)
{
    wl_t *w = s->wl;
    if (!w || len < sizeof(reply_msg_t)) return;
    const reply_msg_t *m = payload;
    uint32_t ci = client - s->n_servers;
    client_t *c = &w->c[ci];
    for (uint32_t k = 0; k < w->cfg->concurrency; k++) {
        slot_t *sl = &c->slot[k];
        if (!sl->busy || sl->op_id != m->op_id) continue;
        switch ((sim_reply_status_t)m->status) {
        case SIM_REPLY_OK: complete(s, ci, k, HIST_OK, m); return;
        case SIM_REPLY_FAIL: complete(s, ci, k, HIST_FAIL, m); return;
        case SIM_REPLY_REDIRECT:
        case SIM_REPLY_UNAVAILABLE:
            if (m->attempt != sl->attempt) return;      /* an answer to an older attempt */
            /* A redirect says where to go even when this operation may not retry:
             * a sticky client's next ones go there, or with "retries": 0 it would
             * fail every operation at the same server until a timeout. */
            if (m->status == SIM_REPLY_REDIRECT && m->redirect < s->n_servers && w->cfg->target == TARGET_STICKY)
                c->target = m->redirect;
            if (sl->attempt >= w->cfg->retries) {
                complete(s, ci, k, sl->f == SIM_OP_READ ? HIST_FAIL : HIST_INFO, m);
                return;
            }
            sl->attempt++;
            s->st.ops_retried++;
            if (m->status == SIM_REPLY_REDIRECT && m->redirect < s->n_servers) {
                sl->target = m->redirect;
            } else if (w->cfg->target != TARGET_NODE) {
                sl->target = random_server(s, crng(s, ci));
            }
            sim_ev_schedule(s, EV_CLIENT, WL_RETRY, client, s->now + w->cfg->retry_delay_ns, sl->op_id, k);
            return;
        }
    }
}

void wl_finish(sim_t *s)
{
    wl_t *w = s->wl;
    if (!w) return;
    for (uint32_t ci = 0; ci < w->cfg->clients; ci++)
        for (uint32_t k = 0; k < w->cfg->concurrency; k++)
            if (w->c[ci].slot[k].busy) complete(s, ci, k, HIST_INFO, NULL);
}

int wl_request(sim_t *s, const sim_action_t *a)
{
    wl_t *w = s->wl;
    if (!w || a->node < s->n_servers || a->node >= s->n_nodes || a->node2 >= s->n_servers) return SIM_EINPUT;
    if (a->op_f >= SIM_OP_COUNT_ || a->key >= (w->cfg->keys ? w->cfg->keys : 1)) return SIM_EINPUT;
    uint32_t ci = a->node - s->n_servers;
    for (uint32_t k = 0; k < w->cfg->concurrency; k++)
        if (!w->c[ci].slot[k].busy) {
            invoke(s, ci, k, a->op_f, a->key, a->op_f == SIM_OP_TRANSFER ? (uint32_t)a->value2 : a->key, a->value, a->value2, a->node2);
            return SIM_OK;
        }
    s->st.ops_shed++;
    return SIM_ELIMIT;
}
