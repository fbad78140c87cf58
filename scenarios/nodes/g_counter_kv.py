#!/usr/bin/env python3
"""g_counter_kv.py -- a grow-only counter kept in dsim's seq-kv service, as in the
Gossip Glomers challenge: one key "counter"; an add reads it and compare-and-sets it
from what it read to that plus delta (create_if_not_exists), reading again when the
cas is refused (code 22). seq-kv may serve a read from an older state, so before
answering a client's read the node writes a key of its own: that moves it to the
newest state, and the read that follows cannot be older (the sequential consistency
trick).

With --no-sync it reads without that write, and may answer with a stale total. With
--kv=lww-kv (or lin-kv) it keeps the counter in that service instead."""
import json
import sys

no_sync = "--no-sync" in sys.argv[1:]
service = next((a[5:] for a in sys.argv[1:] if a.startswith("--kv=")), "seq-kv")
node_id, next_id, callbacks = None, 0, {}


def send(dest, body):
    print(json.dumps({"src": node_id, "dest": dest, "body": body}), flush=True)


def call(body, then):
    """Sends an RPC to the service; then(reply_body) runs when its answer arrives."""
    global next_id
    next_id += 1
    callbacks[next_id] = then
    send(service, dict(body, msg_id=next_id))


def add(client, mid, delta):
    def got(r):
        seen = r.get("value", 0) if r["type"] == "read_ok" else 0
        call({"type": "cas", "key": "counter", "from": seen, "to": seen + delta, "create_if_not_exists": True},
             lambda r2: send(client, {"type": "add_ok", "in_reply_to": mid}) if r2["type"] == "cas_ok" else add(client, mid, delta))
    call({"type": "read", "key": "counter"}, got)


def read(client, mid):
    def answer(r):
        send(client, {"type": "read_ok", "in_reply_to": mid, "value": r.get("value", 0) if r["type"] == "read_ok" else 0})
    if no_sync:
        call({"type": "read", "key": "counter"}, answer)
    else:
        call({"type": "write", "key": "sync-" + node_id, "value": next_id},
             lambda _: call({"type": "read", "key": "counter"}, answer))


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    t = body["type"]
    if "in_reply_to" in body and body["in_reply_to"] in callbacks:
        callbacks.pop(body["in_reply_to"])(body)
    elif t == "init":
        node_id = body["node_id"]
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
    elif t == "add":
        add(msg["src"], body["msg_id"], body["delta"])
    elif t == "read":
        read(msg["src"], body["msg_id"])
