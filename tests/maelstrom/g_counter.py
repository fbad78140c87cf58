#!/usr/bin/env python3
"""g_counter.py -- a grow-only counter: each node counts its own adds and tells the others
its total; a read sums the largest total heard from every node (a state-based CRDT)."""
import json
import sys

node_id, others, totals = None, [], {}


def send(dest, body):
    print(json.dumps({"src": node_id, "dest": dest, "body": body}), flush=True)


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    t = body["type"]
    if t == "init":
        node_id = body["node_id"]
        others = [n for n in body["node_ids"] if n != node_id]
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif t == "add":
        totals[node_id] = totals.get(node_id, 0) + body["delta"]
        for n in others:
            send(n, {"type": "total", "node": node_id, "total": totals[node_id]})
        send(msg["src"], {"type": "add_ok", "in_reply_to": body["msg_id"]})
    elif t == "total":
        totals[body["node"]] = max(totals.get(body["node"], 0), body["total"])
    elif t == "read":
        send(msg["src"], {"type": "read_ok", "in_reply_to": body["msg_id"], "value": sum(totals.values())})
