/* maelstrom_kafka.c -- the checker of Maelstrom's kafka workload: append-only logs
 * per key, read back by polls.
 *
 * Maelstrom's workload doc (doc/workloads.md, "Workload: Kafka") asks a log server to
 * give each sent message a unique offset in its key, return a contiguous run of a
 * key's messages from the offset a poll asks for (offsets may be sparse), and keep
 * committed offsets. Its checker names the anomalies; dsim checks three of them as
 * its issue of the workload needs, after every event, on everything seen so far:
 *
 *   lost write      a poll skipped an offset whose send was acknowledged: the poll
 *                   returned offsets on both sides of it (or after it, starting below
 *                   it), but not it. dsim polls every key from offset 0, so each poll
 *                   must show every offset known to exist up to the last it returns.
 *   skip            the same for an offset known only from another poll.
 *   nonmonotonic    offsets in one poll that do not strictly increase, or one offset
 *                   holding two messages (two sends given one offset, or a poll
 *                   disagreeing with a send or another poll about it).
 *
 * Knowledge comes in any order -- a poll may skip offset 5 before the send that got
 * offset 5 is acknowledged -- so both directions are kept: per offset, whether it is
 * known to exist and whether some poll skipped it. Either fact arriving second makes
 * the anomaly.
 *
 *      key k0:   offset  0   1   2   3   4
 *      acked             x   x       x          (send_ok)
 *      poll A            0   1       3   4      fine (2 may never have existed)
 *      poll B            0       2              lost write: 1 was acknowledged
 */
#include <string.h>
#include "proto/maelstrom.h"

enum { MLKF_F_ACKED = 1, MLKF_F_POLLED = 2, MLKF_F_SKIPPED = 4 };

void mlkf_observe(mlkf_obs_t *o, int kind, int64_t key, const int64_t *vals, uint32_t n)
{
    if (o->len + 3 + n > MLKF_OBS_MAX) { o->lost += 3 + n; return; }
    o->v[o->len++] = kind;
    o->v[o->len++] = key;
    o->v[o->len++] = n;
    memcpy(&o->v[o->len], vals, n * sizeof *vals);
    o->len += n;
}

/* Offset o of key now holds msg: an anomaly when it already held another. */
static bool kf_hold(mlkf_check_t *k, int key, int64_t o, int64_t msg, uint8_t flag, sim_violation_t *v)
{
    uint8_t *f = &k->flags[key][o];
    if ((*f & (MLKF_F_ACKED | MLKF_F_POLLED)) && k->msg[key][o] != msg) {
        k->reused++;
        return sim_violation_set(v, "kafka-nonmonotonic", -1, -1, "offset %lld of key k%d holds two messages, %lld and %lld",
                                 (long long)o, key, (long long)k->msg[key][o], (long long)msg);
    }
    if (*f & MLKF_F_SKIPPED) {
        if (flag == MLKF_F_ACKED) k->lost++;
        else k->skipped++;
        return sim_violation_set(v, flag == MLKF_F_ACKED ? "kafka-lost-write" : "kafka-skip", -1, -1,
                                 "a poll of key k%d skipped offset %lld, which %s (message %lld)", key, (long long)o,
                                 flag == MLKF_F_ACKED ? "a send was acknowledged at" : "another poll returned", (long long)msg);
    }
    *f |= flag;
    k->msg[key][o] = msg;
    if (o > k->max_offset) k->max_offset = o;
    return false;
}

/* A poll from offset 0 returned n pairs (offset, message). */
static bool kf_poll(mlkf_check_t *k, int key, const int64_t *p, uint32_t n, sim_violation_t *v)
{
    k->polls++;
    k->polled += n / 2;
    int64_t prev = -1;
    for (uint32_t i = 0; i + 1 < n; i += 2) {
        int64_t o = p[i], msg = p[i + 1];
        if (o <= prev) {
            k->nonmonotonic++;
            return sim_violation_set(v, "kafka-nonmonotonic", -1, -1, "a poll of key k%d returned offset %lld after offset %lld",
                                     key, (long long)o, (long long)prev);
        }
        if (o >= MLKF_OFFSETS_MAX) { k->unchecked++; prev = o; continue; }
        for (int64_t g = prev + 1; g < o; g++) {      /* the gap this poll skipped */
            uint8_t *f = &k->flags[key][g];
            if (*f & (MLKF_F_ACKED | MLKF_F_POLLED)) {
                if (*f & MLKF_F_ACKED) k->lost++;
                else k->skipped++;
                return sim_violation_set(v, *f & MLKF_F_ACKED ? "kafka-lost-write" : "kafka-skip", -1, -1,
                                         "a poll of key k%d returned offset %lld but not offset %lld, which %s (message %lld)",
                                         key, (long long)o, (long long)g,
                                         *f & MLKF_F_ACKED ? "a send was acknowledged at" : "another poll returned", (long long)k->msg[key][g]);
            }
            *f |= MLKF_F_SKIPPED;
        }
        if (kf_hold(k, key, o, msg, MLKF_F_POLLED, v)) return true;
        prev = o;
    }
    return false;
}

bool mlkf_check(mlkf_check_t *k, mlkf_obs_t *o, sim_violation_t *v)
{
    bool bad = false;
    k->unchecked += o->lost;
    o->lost = 0;
    for (uint32_t i = 0; i + 3 <= o->len && !bad;) {
        int kind = (int)o->v[i];
        int64_t key = o->v[i + 1];
        uint32_t n = (uint32_t)o->v[i + 2];
        const int64_t *p = &o->v[i + 3];
        i += 3 + n;
        if (key < 0 || key >= MLKF_KEYS_MAX) { k->unchecked++; continue; }
        if (kind == MLKF_SEND && n == 2) {
            k->sends_acked++;
            if (p[0] < 0 || p[0] >= MLKF_OFFSETS_MAX) k->unchecked++;
            else bad = kf_hold(k, (int)key, p[0], p[1], MLKF_F_ACKED, v);
        } else if (kind == MLKF_POLL) {
            bad = kf_poll(k, (int)key, p, n, v);
        } else if (kind == MLKF_LIST) {
            k->commits_listed++;
        }
    }
    o->len = 0;
    return bad;
}

void mlkf_summary(const mlkf_check_t *k, jw_t *w)
{
    jw_key(w, "kafka");
    jw_obj_begin(w);
    jw_kint(w, "sends_acked", k->sends_acked);
    jw_kint(w, "polls", k->polls);
    jw_kint(w, "polled_messages", k->polled);
    jw_kint(w, "committed_offsets_listed", k->commits_listed);
    jw_kint(w, "max_offset", k->max_offset);
    jw_kint(w, "lost_writes", k->lost);
    jw_kint(w, "skipped", k->skipped);
    jw_kint(w, "nonmonotonic", k->nonmonotonic + k->reused);
    jw_kint(w, "unchecked", k->unchecked);
    jw_obj_end(w);
}
