#!/usr/bin/env python3
"""lin_kv.py -- a linearizable key-value store with one leader: n1 holds every key, the
other nodes forward each request to n1 and relay its answer. Unavailable when cut off
from n1 (the requests time out), but never wrong. It tells dsim its role on stderr
("role: leader" at n1, "role: follower" elsewhere) and logs each request it forwards.

With the argument --broken each node serves from its own copy and only tells the
others about writes afterwards, so a read at one node can miss a write acknowledged at
another: the linearizability checker catches it."""
import json
import sys

broken = "--broken" in sys.argv[1:]
node_id, others, data, next_id, waiting = None, [], {}, 0, {}


def send(dest, body):
    print(json.dumps({"src": node_id, "dest": dest, "body": body}), flush=True)


def apply(body):
    """Runs a client's operation here; returns the reply body (without in_reply_to)."""
    k, t = str(body.get("key")), body["type"]
    if t == "read":
        if k not in data:
            return {"type": "error", "code": 20, "text": "no such key"}
        return {"type": "read_ok", "value": data[k]}
    if t == "write":
        data[k] = body["value"]
        return {"type": "write_ok"}
    if t == "cas":
        if k not in data:
            return {"type": "error", "code": 20, "text": "no such key"}
        if data[k] != body["from"]:
            return {"type": "error", "code": 22, "text": "expected %r" % body["from"]}
        data[k] = body["to"]
        return {"type": "cas_ok"}
    return {"type": "error", "code": 10, "text": "not supported"}


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    t = body["type"]
    if t == "init":
        node_id = body["node_id"]
        others = [n for n in body["node_ids"] if n != node_id]
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
        print("role: %s" % ("leader" if node_id == "n1" and not broken else "follower"), file=sys.stderr, flush=True)
    elif t in ("read", "write", "cas") and (broken or node_id == "n1"):
        reply = apply(body)
        reply["in_reply_to"] = body["msg_id"]
        send(msg["src"], reply)
        if broken and reply["type"] in ("write_ok", "cas_ok"):
            for n in others:
                send(n, {"type": "replicate", "key": str(body["key"]), "value": data[str(body["key"])]})
    elif t in ("read", "write", "cas"):
        next_id += 1
        waiting[next_id] = (msg["src"], body["msg_id"])
        fwd = dict(body, msg_id=next_id)
        send("n1", {"type": "forward", "msg_id": next_id, "op": fwd})
        print("forwarded %s of key %s from %s to n1" % (t, body["key"], msg["src"]), file=sys.stderr, flush=True)
    elif t == "forward":
        reply = apply(body["op"])
        reply["in_reply_to"] = body["msg_id"]
        send(msg["src"], {"type": "forward_ok", "in_reply_to": body["msg_id"], "reply": reply})
    elif t == "forward_ok":
        client, mid = waiting.pop(body["in_reply_to"], (None, None))
        if client:
            reply = dict(body["reply"], in_reply_to=mid)
            send(client, reply)
    elif t == "replicate":
        data[body["key"]] = body["value"]
