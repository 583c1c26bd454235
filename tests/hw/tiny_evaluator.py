#!/usr/bin/python3
"""Outside evaluator for external_evaluator_test: `tiny_evaluator.py MODE`.

good: throughput = 1 + sum(partition), latency_s = num_nodes + num_chips (from the init line),
chip_busy_s = nodes per chip; garbage, silence, exit (status 3), wrong-id, no-throughput and
short-busy misbehave on the first request; early-exit exits (status 4) before reading anything.
"""
import json
import sys
import time

mode = sys.argv[1]
if mode == "early-exit":
    sys.exit(4)
init = None
for line in sys.stdin:
    message = json.loads(line)
    if message["type"] == "init":
        init = message
        continue
    i, part = message["id"], message["partition"]
    k = init["hardware"]["num_chips"]
    reply = {"id": i, "throughput": 1 + sum(part),
             "latency_s": len(init["graph"]["nodes"]) + k,
             "chip_busy_s": [float(part.count(c)) for c in range(k)]}
    if mode == "garbage":
        reply = "garbage out"
    elif mode == "silence":
        time.sleep(3600)
    elif mode == "exit":
        sys.exit(3)
    elif mode == "wrong-id":
        reply["id"] = i + 7
    elif mode == "no-throughput":
        del reply["throughput"]
    elif mode == "short-busy":
        reply["chip_busy_s"] = [1.0]
    print(reply if isinstance(reply, str) else json.dumps(reply), flush=True)
