#!/usr/bin/env python3
"""broadcast_timer.py -- broadcast with a timer of its own: every 100ms (wall clock) it
sends all it has seen to every other node, so values lost to a partition arrive once
the partition heals. It needs dsim's realtime mode: in lock-step no time passes
between messages."""
import json
import sys
import threading

node_id, others, seen = None, [], set()
lock = threading.Lock()


def send(dest, body):
    with lock:
        print(json.dumps({"src": node_id, "dest": dest, "body": body}), flush=True)


def tick():
    with lock:
        values = sorted(seen)
    if values:
        for n in others:
            send(n, {"type": "gossip", "messages": values})
    threading.Timer(0.1, tick).start()


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    t = body["type"]
    if t == "init":
        node_id = body["node_id"]
        others = [n for n in body["node_ids"] if n != node_id]
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
        threading.Timer(0.1, tick).start()
    elif t == "broadcast":
        with lock:
            seen.add(body["message"])
        send(msg["src"], {"type": "broadcast_ok", "in_reply_to": body["msg_id"]})
    elif t == "gossip":
        with lock:
            seen.update(body["messages"])
    elif t == "read":
        with lock:
            values = sorted(seen)
        send(msg["src"], {"type": "read_ok", "in_reply_to": body["msg_id"], "messages": values})
    elif t == "topology":
        send(msg["src"], {"type": "topology_ok", "in_reply_to": body["msg_id"]})
