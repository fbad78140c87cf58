#!/usr/bin/env python3
"""kv_probe.py -- checks a key-value service's API (the service named by the first
argument: lin-kv or seq-kv): right after init it makes a fixed series of calls, one at
a time, each with the reply it must get (Maelstrom's error codes 20, 22, 10, 12 and
cas's create_if_not_exists). Clients' echo requests are answered with what they sent
while every reply so far was right, and with -1 after the first wrong one (printed on
stderr), which dsim's echo-mismatch invariant catches."""
import json
import sys

service = sys.argv[1] if len(sys.argv) > 1 else "lin-kv"
PLAN = [
    ({"type": "read", "key": "k"}, {"type": "error", "code": 20}),
    ({"type": "cas", "key": "k", "from": 1, "to": 2}, {"type": "error", "code": 20}),
    ({"type": "cas", "key": "k", "from": 1, "to": 2, "create_if_not_exists": True}, {"type": "cas_ok"}),
    ({"type": "read", "key": "k"}, {"type": "read_ok", "value": 2}),
    ({"type": "cas", "key": "k", "from": 1, "to": 3}, {"type": "error", "code": 22}),
    ({"type": "write", "key": "k", "value": [1, {"a": "b"}]}, {"type": "write_ok"}),
    ({"type": "read", "key": "k"}, {"type": "read_ok", "value": [1, {"a": "b"}]}),
    ({"type": "cas", "key": "k", "from": [1, {"a": "b"}], "to": "x"}, {"type": "cas_ok"}),
    ({"type": "read", "key": "k"}, {"type": "read_ok", "value": "x"}),
    ({"type": "write", "key": 7, "value": 8}, {"type": "write_ok"}),
    ({"type": "read", "key": 7}, {"type": "read_ok", "value": 8}),
    ({"type": "read", "key": "7"}, {"type": "error", "code": 20}),
    ({"type": "append", "key": "k", "value": 1}, {"type": "error", "code": 10}),
    ({"type": "read"}, {"type": "error", "code": 12}),
]
node_id, step, wrong = None, 0, None


def send(dest, body):
    print(json.dumps({"src": node_id, "dest": dest, "body": body}), flush=True)


def next_call():
    if step < len(PLAN):
        send(service, dict(PLAN[step][0], msg_id=1000 + step))


for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    t = body["type"]
    if t == "init":
        node_id = body["node_id"]
        send(msg["src"], {"type": "init_ok", "in_reply_to": body["msg_id"]})
        if node_id == "n1":
            next_call()
    elif msg["src"] == service and body.get("in_reply_to") == 1000 + step:
        want = PLAN[step][1]
        if wrong is None and any(body.get(k) != v for k, v in want.items()):
            wrong = "call %d %s: expected %s, got %s" % (step, json.dumps(PLAN[step][0]), json.dumps(want), json.dumps(body))
            print(wrong, file=sys.stderr, flush=True)
        step += 1
        next_call()
    elif t == "echo":
        ok = wrong is None and (node_id != "n1" or step == len(PLAN))
        send(msg["src"], {"type": "echo_ok", "in_reply_to": body["msg_id"], "echo": body["echo"] if ok else -1})
