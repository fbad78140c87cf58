#!/usr/bin/env python3
"""durable_echo.py -- echoes, and counts its own starts in the file "starts" of the
folder dsim names in DSIM_DURABLE_DIR: a count that outlives a crash."""
import json
import os
import sys

node_id = None
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    reply = {"in_reply_to": body["msg_id"]}
    if body["type"] == "init":
        node_id = body["node_id"]
        path = os.path.join(os.environ["DSIM_DURABLE_DIR"], "starts")
        starts = int(open(path).read()) if os.path.exists(path) else 0
        with open(path, "w") as f:
            f.write(str(starts + 1))
        reply["type"] = "init_ok"
    else:
        reply.update(type="echo_ok", echo=body["echo"])
    print(json.dumps({"src": node_id, "dest": msg["src"], "body": reply}), flush=True)
