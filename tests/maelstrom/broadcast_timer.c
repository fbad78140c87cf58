/* broadcast_timer.c -- broadcast with a timer of its own, in C: every 100ms of wall
 * clock it sends all it has seen to every other node, so values lost to a partition
 * arrive after it heals. It waits for stdin with poll() and a timeout, so it needs
 * dsim's realtime mode: in lock-step no time passes between messages. */
#include "node.h"              /* first: it asks for _GNU_SOURCE */
#include <poll.h>
#include <time.h>

#define SEEN_MAX 65536
static double seen[SEEN_MAX];
static int n_seen;

static void add(double v)
{
    for (int i = 0; i < n_seen; i++) if (seen[i] == v) return;
    if (n_seen < SEEN_MAX) seen[n_seen++] = v;
}

static cJSON *seen_list(void)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n_seen; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(seen[i]));
    return a;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void)
{
    cJSON *nodes = NULL;
    long long next_tick = now_ms() + 100;
    setvbuf(stdin, NULL, _IONBF, 0);     /* poll() must see what stdio has not buffered */
    for (;;) {
        struct pollfd pf = {0, POLLIN, 0};
        long long wait = next_tick - now_ms();
        if (poll(&pf, 1, wait > 0 ? (int)wait : 0) > 0) {
            cJSON *msg = node_read();
            if (!msg) break;
            const cJSON *body = cJSON_GetObjectItem(msg, "body");
            const char *t = node_type(body);
            if (strcmp(t, "init") == 0) {
                nodes = cJSON_Duplicate(cJSON_GetObjectItem(body, "node_ids"), 1);
                node_init(msg);
            } else if (strcmp(t, "broadcast") == 0) {
                add(cJSON_GetObjectItem(body, "message")->valuedouble);
                node_send(node_src(msg), node_reply_body(body, "broadcast_ok"));
            } else if (strcmp(t, "gossip") == 0) {
                for (const cJSON *v = cJSON_GetObjectItem(body, "messages")->child; v; v = v->next) add(v->valuedouble);
            } else if (strcmp(t, "read") == 0) {
                cJSON *r = node_reply_body(body, "read_ok");
                cJSON_AddItemToObject(r, "messages", seen_list());
                node_send(node_src(msg), r);
            } else if (strcmp(t, "topology") == 0) {
                node_send(node_src(msg), node_reply_body(body, "topology_ok"));
            }
            cJSON_Delete(msg);
        }
        if (now_ms() >= next_tick) {
            next_tick = now_ms() + 100;
            for (const cJSON *n = nodes ? nodes->child : NULL; n && n_seen; n = n->next) {
                if (strcmp(n->valuestring, node_id) == 0) continue;
                cJSON *b = cJSON_CreateObject();
                cJSON_AddStringToObject(b, "type", "gossip");
                cJSON_AddItemToObject(b, "messages", seen_list());
                node_send(n->valuestring, b);
            }
        }
    }
    cJSON_Delete(nodes);
    return 0;
}
