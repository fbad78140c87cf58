/* lin_kv.c -- a linearizable key-value store with one leader, in C: n1 holds every
 * key; the other nodes forward each request to n1 and relay its answer, so a node cut
 * off from n1 is unavailable (its requests time out) but never wrong.
 *
 * With --broken every node serves reads and writes from its own copy and tells the
 * others of a write only after acknowledging it, so a read elsewhere can miss an
 * acknowledged write: the linearizability checker catches it. */
#include "node.h"

#define KEYS 1024
static double value[KEYS];
static int present[KEYS];
static int broken;

/* Applies a client's request here; returns the reply body (without in_reply_to). */
static cJSON *apply(const cJSON *req)
{
    const char *t = node_type(req);
    int k = (int)cJSON_GetObjectItem(req, "key")->valuedouble % KEYS;
    cJSON *r = cJSON_CreateObject();
    if (strcmp(t, "write") == 0) {
        value[k] = cJSON_GetObjectItem(req, "value")->valuedouble;
        present[k] = 1;
        cJSON_AddStringToObject(r, "type", "write_ok");
    } else if (!present[k]) {
        cJSON_AddStringToObject(r, "type", "error");
        cJSON_AddNumberToObject(r, "code", 20);
    } else if (strcmp(t, "read") == 0) {
        cJSON_AddStringToObject(r, "type", "read_ok");
        cJSON_AddNumberToObject(r, "value", value[k]);
    } else if (value[k] != cJSON_GetObjectItem(req, "from")->valuedouble) {
        cJSON_AddStringToObject(r, "type", "error");
        cJSON_AddNumberToObject(r, "code", 22);
    } else {
        value[k] = cJSON_GetObjectItem(req, "to")->valuedouble;
        cJSON_AddStringToObject(r, "type", "cas_ok");
    }
    return r;
}

int main(int argc, char **argv)
{
    broken = argc > 1 && strcmp(argv[1], "--broken") == 0;
    cJSON *nodes = NULL;
    for (cJSON *msg; (msg = node_read()); cJSON_Delete(msg)) {
        const cJSON *body = cJSON_GetObjectItem(msg, "body");
        const char *t = node_type(body), *src = node_src(msg);
        if (strcmp(t, "init") == 0) {
            nodes = cJSON_Duplicate(cJSON_GetObjectItem(body, "node_ids"), 1);
            node_init(msg);
        } else if (strcmp(t, "read") == 0 || strcmp(t, "write") == 0 || strcmp(t, "cas") == 0) {
            if (broken || strcmp(node_id, "n1") == 0) {
                cJSON *r = apply(body);
                int wrote = strcmp(node_type(r), "write_ok") == 0 || strcmp(node_type(r), "cas_ok") == 0;
                cJSON_AddNumberToObject(r, "in_reply_to", cJSON_GetObjectItem(body, "msg_id")->valuedouble);
                node_send(src, r);
                int k = (int)cJSON_GetObjectItem(body, "key")->valuedouble % KEYS;
                for (const cJSON *n = nodes ? nodes->child : NULL; broken && wrote && n; n = n->next) {
                    if (strcmp(n->valuestring, node_id) == 0) continue;
                    cJSON *b = cJSON_CreateObject();
                    cJSON_AddStringToObject(b, "type", "replicate");
                    cJSON_AddNumberToObject(b, "key", k);
                    cJSON_AddNumberToObject(b, "value", value[k]);
                    node_send(n->valuestring, b);
                }
            } else {                 /* forward, keeping who asked in the message itself */
                cJSON *b = cJSON_CreateObject();
                cJSON_AddStringToObject(b, "type", "forward");
                cJSON_AddStringToObject(b, "client", src);
                cJSON_AddItemToObject(b, "op", cJSON_Duplicate(body, 1));
                node_send("n1", b);
            }
        } else if (strcmp(t, "forward") == 0) {
            const cJSON *op = cJSON_GetObjectItem(body, "op");
            cJSON *b = cJSON_CreateObject();
            cJSON_AddStringToObject(b, "type", "forward_ok");
            cJSON_AddStringToObject(b, "client", cJSON_GetStringValue(cJSON_GetObjectItem(body, "client")));
            cJSON_AddNumberToObject(b, "op_msg_id", cJSON_GetObjectItem(op, "msg_id")->valuedouble);
            cJSON_AddItemToObject(b, "reply", apply(op));
            node_send(src, b);
        } else if (strcmp(t, "forward_ok") == 0) {
            cJSON *r = cJSON_Duplicate(cJSON_GetObjectItem(body, "reply"), 1);
            cJSON_AddNumberToObject(r, "in_reply_to", cJSON_GetObjectItem(body, "op_msg_id")->valuedouble);
            node_send(cJSON_GetStringValue(cJSON_GetObjectItem(body, "client")), r);
        } else if (strcmp(t, "replicate") == 0) {
            int k = (int)cJSON_GetObjectItem(body, "key")->valuedouble % KEYS;
            value[k] = cJSON_GetObjectItem(body, "value")->valuedouble;
            present[k] = 1;
        }
    }
    cJSON_Delete(nodes);
    return 0;
}
