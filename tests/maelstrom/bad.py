#!/usr/bin/env python3
"""bad.py -- misbehaves on purpose, as the first argument says: silent (never answers
init), garbage (a line that is not JSON), exit (ends at its first request), flood (endless lines
at its first request), long (a line over 64 KiB), unknown (sends to a node that does not exist)."""
import json
import sys

how = sys.argv[1] if len(sys.argv) > 1 else "silent"
for line in sys.stdin:
    msg = json.loads(line)
    body = msg["body"]
    if how == "silent":
        continue
    if how == "garbage":
        print("hello, I am not JSON", flush=True)
        continue
    if body["type"] == "init":
        print(json.dumps({"src": body["node_id"], "dest": "c0", "body": {"type": "init_ok", "in_reply_to": body["msg_id"]}}), flush=True)
        continue
    if how == "exit":
        sys.exit(0)
    if how == "flood":
        while True:
            print(json.dumps({"src": "n1", "dest": "n1", "body": {"type": "noise"}}))
    if how == "long":
        print(json.dumps({"src": "n1", "dest": "c1", "body": {"type": "echo_ok", "echo": "x" * 70000}}), flush=True)
    if how == "unknown":
        print(json.dumps({"src": "n1", "dest": "n99", "body": {"type": "hello"}}), flush=True)
