#!/usr/bin/env python3
"""broadcast.py -- floods each new message to its neighbours once; reads return all seen.

It forwards a message only the first time it sees it and never retries, so a message
sent across a partition is lost to the far side: a starting point to make better."""
import json
import sys

node_id, neighbours, seen, next_id = None, [], [], 0


def send(dest, body):
    print(json.dumps({"src": node_id, "dest": dest, "body": body}), flush=True)


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    t = body["type"]
    if t == "init":
        node_id = body["node_id"]
        neighbours = [n for n in body["node_ids"] if n != node_id]
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif t == "topology":
        neighbours = body["topology"].get(node_id, neighbours)
        send(msg["src"], {"type": "topology_ok", "in_reply_to": body["msg_id"]})
    elif t in ("broadcast", "gossip"):
        m = body["message"]
        if m not in seen:
            seen.append(m)
            for n in neighbours:
                if n != msg["src"]:
                    send(n, {"type": "gossip", "message": m})
        if t == "broadcast":
            send(msg["src"], {"type": "broadcast_ok", "in_reply_to": body["msg_id"]})
    elif t == "read":
        send(msg["src"], {"type": "read_ok", "in_reply_to": body["msg_id"], "messages": seen})
