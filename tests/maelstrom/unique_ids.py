#!/usr/bin/env python3
"""unique_ids.py -- ids unique without coordination: the node's id and a counter.

With the argument --broken it hands out the counter alone, so two nodes give out the
same ids and the uniqueness check catches it."""
import json
import sys

broken = "--broken" in sys.argv[1:]
node_id, count = None, 0
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    reply = {"in_reply_to": body["msg_id"]}
    if body["type"] == "init":
        node_id = body["node_id"]
        reply["type"] = "init_ok"
    elif body["type"] == "generate":
        count += 1
        reply.update(type="generate_ok", id=count if broken else f"{node_id}-{count}")
    print(json.dumps({"src": node_id, "dest": msg["src"], "body": reply}), flush=True)
