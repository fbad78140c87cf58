#!/usr/bin/env python3
"""kafka_forgetful.py -- one node's Kafka-style logs that acknowledge every send but
leave every third message (offsets 2, 5, 8, ...) out of polls: acknowledged sends that
no poll shows, which dsim's kafka checker reports as lost writes."""
import json
import sys

node_id, logs = None, {}
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    t, reply = body["type"], {"in_reply_to": body["msg_id"]}
    if t == "init":
        node_id = body["node_id"]
        reply["type"] = "init_ok"
    elif t == "send":
        logs.setdefault(body["key"], []).append(body["msg"])
        reply.update(type="send_ok", offset=len(logs[body["key"]]) - 1)
    elif t == "poll":
        reply.update(type="poll_ok", msgs={k: [[o, m] for o, m in enumerate(logs.get(k, [])) if o >= s and o % 3 != 2]
                                           for k, s in body["offsets"].items()})
    elif t == "commit_offsets":
        reply["type"] = "commit_offsets_ok"
    elif t == "list_committed_offsets":
        reply.update(type="list_committed_offsets_ok", offsets={})
    print(json.dumps({"src": node_id, "dest": msg["src"], "body": reply}), flush=True)
