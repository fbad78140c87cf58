#!/usr/bin/env python3
"""echo.py -- the smallest Maelstrom node: answers init and echoes every echo."""
import json
import sys

node_id = None
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    reply = {"in_reply_to": body.get("msg_id")}
    if body["type"] == "init":
        node_id = body["node_id"]
        print(f"{node_id} starts", file=sys.stderr, flush=True)
        reply["type"] = "init_ok"
    elif body["type"] == "echo":
        reply.update(type="echo_ok", echo=body["echo"])
    else:
        reply.update(type="error", code=10, text="not supported")
    print(json.dumps({"src": node_id, "dest": msg["src"], "body": reply}), flush=True)
