/* maelstrom_kv.c -- Maelstrom's key-value services lin-kv, seq-kv and lww-kv, run by
 * dsim as nodes of the network.
 *
 * Maelstrom's services doc (doc/services.md in jepsen-io/maelstrom) describes three
 * stores with one API -- read, write, and cas with an optional create_if_not_exists --
 * and different promises. The challenges built on them depend on the differences, so
 * each is as weak here as its promise allows, not a strong store under three names:
 *
 *   lin-kv  one copy; every operation takes effect when it arrives. Linearizable.
 *
 *   seq-kv  sequentially consistent: all operations take place in one total order of
 *           states S0, S1, ... (each write or successful cas makes the next state),
 *           and each caller's operations move forward in it. A caller may be served
 *           an older state than the newest, but never one older than the last state
 *           it has seen (its floor):
 *
 *               states   S3 ── S4 ── S5 ── S6 (newest)
 *               n1 saw S4:     └─────┬─────┘  a read by n1 may be served S4, S5 or S6
 *               n1 writes:                    S7, and n1's floor becomes S7
 *
 *           Writes and cas take effect at the newest state (and so move the caller's
 *           floor there); only reads are served from the past, with chance seq_stale.
 *           That is the "sequential consistency trick": a node that must see the
 *           newest value first writes something of its own.
 *
 *   lww-kv  an intentionally pathological last-writer-wins store: lww_replicas
 *           replicas answer independently (a request lands on one at random), stamp
 *           each write with their own clock (true time plus a fixed offset of up to
 *           lww_skew), and every lww_gossip each pulls another's values, keeping the
 *           higher stamp. A read may be stale; a write stamped by a slow clock loses
 *           to an older write stamped by a fast one (counted as lost_writes).
 *
 * Errors are Maelstrom's: 20 key does not exist, 22 precondition failed (cas from a
 * value that is not there), 10 not supported, 12 malformed request. Values are kept as
 * their JSON text (compared as text) in fixed tables: MLKV_KEYS_MAX keys of at most
 * MLKV_TEXT_MAX bytes; past those bounds a request is refused with code 12 and a
 * sentence naming the bound.
 */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "proto/maelstrom.h"

const char *const mlkv_names[] = {"lin-kv", "seq-kv", "lww-kv", NULL};

mlkv_kind_t mlkv_kind(const char *node_name)
{
    for (int i = 0; mlkv_names[i]; i++)
        if (strcmp(node_name, mlkv_names[i]) == 0) return (mlkv_kind_t)i;
    return MLKV_NONE;
}

void mlkv_start(sim_ctx *c, mlkv_store_t *kv, mlkv_kind_t kind, const mlkv_config_t *cf)
{
    if (kv->kind == 0) {                 /* first start: draw the replicas' clock offsets */
        kv->kind = (int32_t)kind + 1;
        for (int r = 0; r < MLKV_REPLICAS_MAX; r++)
            kv->skew_ns[r] = cf->lww_skew > 0 ? (int64_t)rng_below(sim_rng(c), 2 * (uint64_t)cf->lww_skew + 1) - cf->lww_skew : 0;
    }
    if (kind == MLKV_LWW) sim_timer_set(c, cf->lww_gossip, MLKV_TIMER_GOSSIP, 0);
}

/* ---- The store. ------------------------------------------------------------------ */

/* The key's slot, or -1; with create, a new slot (-2 when the table is full). */
static int kv_slot(mlkv_store_t *kv, const char *key, bool create)
{
    for (uint32_t i = 0; i < kv->n_keys; i++)
        if (strcmp(kv->key[i], key) == 0) return (int)i;
    if (!create) return -1;
    if (kv->n_keys >= MLKV_KEYS_MAX) return -2;
    snprintf(kv->key[kv->n_keys], MLKV_KEY_MAX, "%s", key);
    return (int)kv->n_keys++;
}

/* lin/seq: the newest version of key slot k (NULL: never written). */
static mlkv_val_t *kv_newest(mlkv_store_t *kv, int k)
{
    if (k < 0 || kv->n_ver[k] == 0) return NULL;
    return &kv->ver[k][(kv->n_ver[k] - 1) % MLKV_VERSIONS];
}

static void kv_put_version(mlkv_store_t *kv, int k, const char *text, size_t len)
{
    mlkv_val_t *v = &kv->ver[k][kv->n_ver[k]++ % MLKV_VERSIONS];
    v->seq = ++kv->seq;
    v->present = 1;
    v->len = (uint16_t)len;
    memcpy(v->text, text, len + 1);
}

/* seq-kv: the caller's floor (the state it last saw); callers past MLKV_PEERS_MAX have
 * none kept, and are always served the newest state, which is never wrong. */
static uint64_t *kv_floor(mlkv_store_t *kv, uint32_t from) { return from < MLKV_PEERS_MAX ? &kv->floor[from] : NULL; }

/* seq-kv read: the versions of key k that were current at some state at or after the
 * caller's floor are all allowed; with chance seq_stale one of them is chosen at
 * random, otherwise the newest. Returns the value served (NULL: the key did not exist
 * in that state) and moves the floor to the state the read is placed at. */
static const mlkv_val_t *kv_seq_read(sim_ctx *c, mlkv_store_t *kv, const mlkv_config_t *cf, int k, uint32_t from)
{
    static const mlkv_val_t absent = {0};
    uint64_t *floor = kv_floor(kv, from);
    uint64_t n = kv->n_ver[k], oldest = n > MLKV_VERSIONS ? n - MLKV_VERSIONS : 0;
    const mlkv_val_t *cand[MLKV_VERSIONS + 1];
    int nc = 0;
    if (n <= MLKV_VERSIONS && (!floor || n == 0 || kv->ver[k][0].seq > *floor)) cand[nc++] = &absent;
    for (uint64_t i = oldest; i < n; i++) {
        const mlkv_val_t *v = &kv->ver[k][i % MLKV_VERSIONS];
        uint64_t next = i + 1 < n ? kv->ver[k][(i + 1) % MLKV_VERSIONS].seq : UINT64_MAX;
        if (!floor || next > *floor) cand[nc++] = v;         /* still current at the floor or later */
    }
    const mlkv_val_t *pick = cand[nc - 1];
    if (nc > 1 && rng_chance(sim_rng(c), cf->seq_stale)) pick = cand[rng_below(sim_rng(c), (uint64_t)nc)];
    if (pick != cand[nc - 1]) kv->stale_reads++;
    if (floor && pick->seq > *floor) *floor = pick->seq;
    return pick->present ? pick : NULL;
}

/* lww-kv: replica s's values into replica r, the higher (stamp, replica) winning. A
 * write is lost when, at the replica that took it, a value replaces it that never saw
 * it (its version vector does not cover the write): nothing will bring it back. */
static void kv_lww_merge(mlkv_store_t *kv, int r, int s)
{
    for (uint32_t k = 0; k < kv->n_keys; k++) {
        mlkv_val_t *a = &kv->rep[r][k];
        const mlkv_val_t *b = &kv->rep[s][k];
        if (!b->present) continue;
        bool wins = !a->present || b->ts > a->ts || (b->ts == a->ts && b->replica > a->replica);
        if (!wins) continue;
        if (a->present && a->replica == r && b->vc[r] < a->vc[r]) kv->lost_writes++;
        *a = *b;
    }
}

void mlkv_timer(sim_ctx *c, mlkv_store_t *kv, const mlkv_config_t *cf)
{
    int n = (int)cf->lww_replicas;
    for (int r = 0; r < n && n > 1; r++) {
        int s = (int)rng_below(sim_rng(c), (uint64_t)n - 1);
        kv_lww_merge(kv, r, s >= r ? s + 1 : s);
    }
    sim_timer_set(c, cf->lww_gossip, MLKV_TIMER_GOSSIP, 0);
}

/* ---- RPCs. ------------------------------------------------------------------------- */

/* Sends the reply body `fields` (without braces) to the caller. */
static void kv_reply(sim_ctx *c, const sim_msg_t *m, const cJSON *msg_id, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void kv_reply(sim_ctx *c, const sim_msg_t *m, const cJSON *msg_id, const char *type, const char *fmt, ...)
{
    char fields[MLKV_TEXT_MAX + 256], line[MLKV_TEXT_MAX + 512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fields, sizeof fields, fmt, ap);
    va_end(ap);
    char irt[48] = "";
    if (cJSON_IsNumber(msg_id)) snprintf(irt, sizeof irt, ",\"in_reply_to\":%lld", (long long)msg_id->valuedouble);
    int len = snprintf(line, sizeof line, "{\"src\":\"%s\",\"dest\":\"%s\",\"body\":{\"type\":\"%s\"%s%s%s}}",
                       sim_node_name(c, sim_self(c)), sim_node_name(c, m->from), type, fields[0] ? "," : "", fields, irt);
    int t = sim_msg_type_register(c, type);
    sim_send(c, m->from, t < 0 ? 0 : (unsigned)t, line, (uint32_t)len, 0);
}

static void kv_error(sim_ctx *c, mlkv_store_t *kv, const sim_msg_t *m, const cJSON *msg_id, int code, const char *text)
{
    if (code != 20 && code != 22) kv->errors++;
    kv_reply(c, m, msg_id, "error", "\"code\":%d,\"text\":\"%s\"", code, text);
}

/* The JSON text of item into buf; false when it does not fit. */
static bool kv_text(const cJSON *item, char *buf, int len)
{
    return item && cJSON_PrintPreallocated((cJSON *)item, buf, len - 5, false) && (int)strlen(buf) < len - 6;
}

void mlkv_message(sim_ctx *c, mlkv_store_t *kv, const mlkv_config_t *cf, const sim_msg_t *m)
{
    cJSON *j = cJSON_ParseWithLength(m->payload, m->len);
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(j, "body");
    const cJSON *msg_id = cJSON_GetObjectItemCaseSensitive(body, "msg_id");
    const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "type"));
    mlkv_kind_t kind = (mlkv_kind_t)(kv->kind - 1);
    char key[MLKV_KEY_MAX], val[MLKV_TEXT_MAX], from[MLKV_TEXT_MAX];
    kv->requests++;
    if (!type) {
        kv_error(c, kv, m, msg_id, 12, "expected a body with a \\\"type\\\"");
        goto out;
    }
    /* A reply to nothing (say, an error the program echoes back) is not answered. */
    if (cJSON_GetObjectItemCaseSensitive(body, "in_reply_to") && !msg_id) { kv->requests--; goto out; }
    bool rd = strcmp(type, "read") == 0, wr = strcmp(type, "write") == 0, cas = strcmp(type, "cas") == 0;
    if (!rd && !wr && !cas) {
        kv_error(c, kv, m, msg_id, 10, "not supported: a key-value service answers read, write and cas");
        goto out;
    }
    if (!kv_text(cJSON_GetObjectItemCaseSensitive(body, "key"), key, sizeof key)) {
        kv_error(c, kv, m, msg_id, 12, "expected a \\\"key\\\" of at most 64 bytes of JSON");
        goto out;
    }
    if ((wr && !kv_text(cJSON_GetObjectItemCaseSensitive(body, "value"), val, sizeof val)) ||
        (cas && (!kv_text(cJSON_GetObjectItemCaseSensitive(body, "from"), from, sizeof from) ||
                 !kv_text(cJSON_GetObjectItemCaseSensitive(body, "to"), val, sizeof val)))) {
        kv_error(c, kv, m, msg_id, 12, wr ? "expected a \\\"value\\\" of at most 512 bytes of JSON (MLKV_TEXT_MAX)"
                                          : "expected \\\"from\\\" and \\\"to\\\" of at most 512 bytes of JSON each (MLKV_TEXT_MAX)");
        goto out;
    }
    bool create = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "create_if_not_exists"));
    int k = kv_slot(kv, key, wr || (cas && create));
    if (k == -2) {
        kv_error(c, kv, m, msg_id, 12, "the service holds 64 keys at most (MLKV_KEYS_MAX)");
        goto out;
    }
    if (kind == MLKV_LWW) {
        int r = (int)rng_below(sim_rng(c), (uint64_t)cf->lww_replicas);
        mlkv_val_t *v = k >= 0 ? &kv->rep[r][k] : NULL;
        if (rd) {
            if (!v || !v->present) { kv_error(c, kv, m, msg_id, 20, "key does not exist"); goto out; }
            for (int s = 0; s < cf->lww_replicas; s++)         /* stale: another replica holds a newer stamp */
                if (kv->rep[s][k].present && kv->rep[s][k].ts > v->ts) { kv->stale_reads++; break; }
            kv_reply(c, m, msg_id, "read_ok", "\"value\":%s", v->text);
            goto out;
        }
        if (cas && (!v || !v->present) && !create) { kv_error(c, kv, m, msg_id, 20, "key does not exist"); goto out; }
        if (cas && v->present && strcmp(v->text, from) != 0) {
            kv->cas_failed++;
            kv_error(c, kv, m, msg_id, 22, "the value is not the expected \\\"from\\\"");
            goto out;
        }
        v->present = 1;
        v->ts = sim_now(c) + kv->skew_ns[r];
        v->at = sim_now(c);
        v->replica = (uint8_t)r;
        v->vc[r] = ++kv->writes_at[r];      /* it has seen what this replica held, and itself */
        v->len = (uint16_t)strlen(val);
        memcpy(v->text, val, v->len + 1u);
        kv_reply(c, m, msg_id, wr ? "write_ok" : "cas_ok", "%s", "");
        goto out;
    }
    uint64_t *floor = kind == MLKV_SEQ ? kv_floor(kv, m->from) : NULL;
    if (rd) {
        const mlkv_val_t *v = k < 0 ? NULL : kind == MLKV_SEQ ? kv_seq_read(c, kv, cf, k, m->from) : kv_newest(kv, k);
        if (v) kv_reply(c, m, msg_id, "read_ok", "\"value\":%s", v->text);
        else kv_error(c, kv, m, msg_id, 20, "key does not exist");
        goto out;
    }
    /* Writes and cas act on the newest state, so the caller has seen it. */
    if (floor) *floor = kv->seq;
    const mlkv_val_t *now = kv_newest(kv, k);
    if (cas && !now && !create) { kv_error(c, kv, m, msg_id, 20, "key does not exist"); goto out; }
    if (cas && now && strcmp(now->text, from) != 0) {
        kv->cas_failed++;
        kv_error(c, kv, m, msg_id, 22, "the value is not the expected \\\"from\\\"");
        goto out;
    }
    kv_put_version(kv, k, val, strlen(val));
    if (floor) *floor = kv->seq;
    kv_reply(c, m, msg_id, wr ? "write_ok" : "cas_ok", "%s", "");
out:
    cJSON_Delete(j);
}

void mlkv_describe(const mlkv_store_t *kv, char *line, size_t len)
{
    snprintf(line, len, "%u keys, %lld requests, %lld stale reads", kv->n_keys, (long long)kv->requests, (long long)kv->stale_reads);
}

/* One [key, value] pair per key, as JSON; "null" for a key without a value. */
static void kv_export_vals(const mlkv_store_t *kv, const mlkv_val_t *(*at)(const mlkv_store_t *, uint32_t, int), int r, jw_t *w)
{
    jw_arr_begin(w);
    for (uint32_t k = 0; k < kv->n_keys; k++) {
        const mlkv_val_t *v = at(kv, k, r);
        jw_arr_begin(w);
        jw_raw(w, kv->key[k]);
        jw_raw(w, v && v->present ? v->text : "null");
        jw_arr_end(w);
    }
    jw_arr_end(w);
}

static const mlkv_val_t *kv_newest_at(const mlkv_store_t *kv, uint32_t k, int r)
{
    (void)r;
    return kv->n_ver[k] ? &kv->ver[k][(kv->n_ver[k] - 1) % MLKV_VERSIONS] : NULL;
}

static const mlkv_val_t *kv_replica_at(const mlkv_store_t *kv, uint32_t k, int r) { return &kv->rep[r][k]; }

void mlkv_export(const mlkv_store_t *kv, const mlkv_config_t *cf, jw_t *w)
{
    jw_obj_begin(w);
    jw_kstr(w, "service", mlkv_names[kv->kind - 1]);
    jw_kint(w, "requests", kv->requests);
    jw_kint(w, "stale_reads", kv->stale_reads);
    if (kv->kind - 1 == MLKV_LWW) {
        jw_kint(w, "lost_writes", kv->lost_writes);
        jw_key(w, "replicas");                  /* each replica's [key, value] pairs */
        jw_arr_begin(w);
        for (int r = 0; r < cf->lww_replicas; r++) kv_export_vals(kv, kv_replica_at, r, w);
        jw_arr_end(w);
    } else {
        jw_kuint(w, "state", kv->seq);          /* states so far: each write or cas made one */
        jw_key(w, "newest");                    /* [key, value] pairs of the newest state */
        kv_export_vals(kv, kv_newest_at, 0, w);
    }
    jw_obj_end(w);
}

void mlkv_summary(const mlkv_store_t *kv, const char *name, jw_t *w)
{
    jw_obj_begin(w);
    jw_kstr(w, "name", name);
    jw_kint(w, "keys", kv->n_keys);
    jw_kint(w, "requests", kv->requests);
    jw_kint(w, "stale_reads", kv->stale_reads);
    jw_kint(w, "cas_failed", kv->cas_failed);
    jw_kint(w, "lost_writes", kv->lost_writes);
    jw_kint(w, "errors", kv->errors);
    jw_obj_end(w);
}
