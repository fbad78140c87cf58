#!/usr/bin/env python3
"""kafka.py -- Kafka-style logs (Maelstrom's kafka workload) kept by one leader: n1
holds every key's log and committed offsets; the other nodes forward each request to
n1 and relay its answer. Offsets are dense (0, 1, 2, ...) and a poll returns every
message from the offset asked for. Unavailable when cut off from n1 (the requests time
out), but never wrong.

With --broken every node keeps logs of its own and gives offsets from them, so two
nodes give one offset to two messages, and a poll at one node misses what another
acknowledged: dsim's kafka checker catches it."""
import json
import sys

broken = "--broken" in sys.argv[1:]
node_id, logs, committed, next_id, waiting = None, {}, {}, 0, {}


def send(dest, body):
    print(json.dumps({"src": node_id, "dest": dest, "body": body}), flush=True)


def apply(body):
    """Runs a client's operation here; returns the reply body (without in_reply_to)."""
    t = body["type"]
    if t == "send":
        log = logs.setdefault(body["key"], [])
        log.append(body["msg"])
        return {"type": "send_ok", "offset": len(log) - 1}
    if t == "poll":
        return {"type": "poll_ok", "msgs": {k: [[o, m] for o, m in enumerate(logs.get(k, []))][start:]
                                            for k, start in body["offsets"].items()}}
    if t == "commit_offsets":
        for k, o in body["offsets"].items():
            committed[k] = max(committed.get(k, -1), o)
        return {"type": "commit_offsets_ok"}
    if t == "list_committed_offsets":
        return {"type": "list_committed_offsets_ok", "offsets": {k: committed[k] for k in body["keys"] if k in committed}}
    return {"type": "error", "code": 10, "text": "not supported"}


CLIENT_OPS = ("send", "poll", "commit_offsets", "list_committed_offsets")
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    t = body["type"]
    if t == "init":
        node_id = body["node_id"]
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif t in CLIENT_OPS and (broken or node_id == "n1"):
        send(msg["src"], dict(apply(body), in_reply_to=body["msg_id"]))
    elif t in CLIENT_OPS:
        next_id += 1
        waiting[next_id] = (msg["src"], body["msg_id"])
        send("n1", {"type": "forward", "msg_id": next_id, "op": body})
    elif t == "forward":
        send(msg["src"], {"type": "forward_ok", "in_reply_to": body["msg_id"], "reply": apply(body["op"])})
    elif t == "forward_ok":
        client, mid = waiting.pop(body["in_reply_to"], (None, None))
        if client:
            send(client, dict(body["reply"], in_reply_to=mid))
