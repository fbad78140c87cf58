#!/usr/bin/env python3
"""broadcast_retry.py -- broadcast.py made to survive a partition: every gossip waits
in `unacked` until the neighbour answers gossip_ok, and whatever still waits is sent
again each time the node handles a broadcast, a read or a gossip new to it (not a
copy it has seen: copies would set off more copies). (dsim runs programs
in lock-step, where no time passes between messages, so a program cannot keep a timer
of its own there; handling a message is its chance to retry. With "mode": "realtime"
a timer would do.)"""
import json
import sys

node_id, neighbours, seen, next_id = None, [], [], 0
unacked = {}                       # msg_id -> (neighbour, message): sent, not yet acknowledged


def send(dest, body):
    print(json.dumps({"src": node_id, "dest": dest, "body": body}), flush=True)


def gossip(dest, m, msg_id=None):
    global next_id
    if msg_id is None:
        next_id += 1
        msg_id = next_id
    unacked[msg_id] = (dest, m)
    send(dest, {"type": "gossip", "message": m, "msg_id": msg_id})


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    t = body["type"]
    if t in ("broadcast", "read") or (t == "gossip" and body["message"] not in seen):
        for mid, (dest, m) in list(unacked.items()):      # try again what is still unacknowledged
            gossip(dest, m, mid)
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
                    gossip(n, m)
        reply = "broadcast_ok" if t == "broadcast" else "gossip_ok"
        send(msg["src"], {"type": reply, "in_reply_to": body["msg_id"]})
    elif t == "gossip_ok":
        unacked.pop(body["in_reply_to"], None)
    elif t == "read":
        send(msg["src"], {"type": "read_ok", "in_reply_to": body["msg_id"], "messages": seen})
