/* echo.c -- Maelstrom's echo in C: answers init, and every echo with what it carried. */
#include "node.h"

int main(void)
{
    for (cJSON *msg; (msg = node_read()); cJSON_Delete(msg)) {
        if (node_init(msg)) continue;
        const cJSON *body = cJSON_GetObjectItem(msg, "body");
        if (strcmp(node_type(body), "echo") != 0) continue;
        cJSON *r = node_reply_body(body, "echo_ok");
        cJSON_AddItemToObject(r, "echo", cJSON_Duplicate(cJSON_GetObjectItem(body, "echo"), 1));
        node_send(node_src(msg), r);
    }
    return 0;
}
