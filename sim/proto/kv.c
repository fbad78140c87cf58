/* kv.c -- the replicated key-value state machine. */
#include <stdio.h>
#include <string.h>
#include "proto/kv.h"

static uint64_t *written(const kv_t *kv) { return (uint64_t *)(kv->data + kv->n_keys); }

size_t kv_bytes(uint32_t n_keys) { return sizeof(kv_t) + (size_t)n_keys * 8 + ((size_t)n_keys / 64 + 1) * 8; }

void kv_init(kv_t *kv, uint32_t n_keys)
{
    memset(kv, 0, kv_bytes(n_keys));
    kv->n_keys = n_keys;
}

kv_result_t kv_read(const kv_t *kv, uint32_t key)
{
    kv_result_t r = {true, false, 0};
    if (key >= kv->n_keys) { r.ok = false; return r; }
    r.has_value = written(kv)[key / 64] >> (key % 64) & 1;
    r.value = kv->data[key];
    return r;
}

kv_result_t kv_apply(kv_t *kv, const kv_cmd_t *c)
{
    kv->applied++;
    kv_result_t r = kv_read(kv, c->key);
    if (!r.ok) return r;
    uint64_t *w = written(kv);
    switch ((sim_op_t)c->f) {
    case SIM_OP_READ:
        return r;
    case SIM_OP_WRITE:
        kv->data[c->key] = c->v1;
        break;
    case SIM_OP_CAS:
        /* A key never written holds nothing, which no expected value matches. */
        if (!r.has_value || r.value != c->v1) { r.ok = false; return r; }
        kv->data[c->key] = c->v2;
        break;
    case SIM_OP_ADD:
        kv->data[c->key] += c->v1;
        break;
    default:
        r.ok = false;
        return r;
    }
    w[c->key / 64] |= 1ULL << (c->key % 64);
    r.has_value = true;
    r.value = kv->data[c->key];
    return r;
}

void kv_reply(sim_ctx *ctx, const sim_req_t *req, kv_result_t res)
{
    if (!res.ok) { sim_reply(ctx, req, SIM_REPLY_FAIL, NULL, 0); return; }
    if (req->f == SIM_OP_READ) sim_reply(ctx, req, SIM_REPLY_OK, &res.value, res.has_value ? 1 : 0);
    else if (req->f == SIM_OP_CAS) sim_reply(ctx, req, SIM_REPLY_OK, &req->value2, 1);
    else sim_reply(ctx, req, SIM_REPLY_OK, &req->value, 1);
}

void kv_export(const kv_t *kv, jw_t *w)
{
    jw_obj_begin(w);
    for (uint32_t k = 0; k < kv->n_keys; k++) {
        kv_result_t r = kv_read(kv, k);
        if (!r.has_value) continue;
        char name[24];
        snprintf(name, sizeof name, "k%u", k);
        jw_kint(w, name, r.value);
    }
    jw_obj_end(w);
}

bool kv_equal(const kv_t *a, const kv_t *b)
{
    return a->n_keys == b->n_keys && memcmp(a->data, b->data, kv_bytes(a->n_keys) - sizeof(kv_t)) == 0;
}
