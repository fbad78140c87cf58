/* node.h -- the little that every C test node needs to speak Maelstrom's protocol:
 * read one JSON message per line from stdin, write one per line to stdout. The nodes
 * use cJSON, as dsim does; test_maelstrom.c compiles each tests/maelstrom/NAME.c into
 * build/tests/maelstrom/NAME.
 */
#ifndef TEST_MAELSTROM_NODE_H
#define TEST_MAELSTROM_NODE_H

#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char node_id[32];

/* The next message, or NULL at the end of stdin. Free it with cJSON_Delete. */
static cJSON *node_read(void)
{
    static char *line;
    static size_t cap;
    for (;;) {
        if (getline(&line, &cap, stdin) < 0) return NULL;
        cJSON *m = cJSON_Parse(line);
        if (m) return m;
        fprintf(stderr, "not JSON: %s", line);
    }
}

/* Sends body (taken over) to dest, and flushes: dsim reads line by line. */
static void node_send(const char *dest, cJSON *body)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "src", node_id);
    cJSON_AddStringToObject(m, "dest", dest);
    cJSON_AddItemToObject(m, "body", body);
    char *text = cJSON_PrintUnformatted(m);
    printf("%s\n", text);
    fflush(stdout);
    free(text);
    cJSON_Delete(m);
}

/* A reply body of the type, in reply to the request body req. */
static cJSON *node_reply_body(const cJSON *req, const char *type)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", type);
    cJSON_AddNumberToObject(b, "in_reply_to", cJSON_GetObjectItem(req, "msg_id")->valuedouble);
    return b;
}

static const char *node_type(const cJSON *body) { return cJSON_GetStringValue(cJSON_GetObjectItem(body, "type")); }
static const char *node_src(const cJSON *msg) { return cJSON_GetStringValue(cJSON_GetObjectItem(msg, "src")); }

/* Answers init (taking the node's id); returns 1 when msg was init. */
static int node_init(const cJSON *msg)
{
    const cJSON *body = cJSON_GetObjectItem(msg, "body");
    if (strcmp(node_type(body), "init") != 0) return 0;
    snprintf(node_id, sizeof node_id, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(body, "node_id")));
    node_send(node_src(msg), node_reply_body(body, "init_ok"));
    return 1;
}

#endif
