#!/usr/bin/python3
"""Example outside evaluator for `mcmpart --evaluator "exec:python3 scripts/example_evaluator.py"`.

Speaks mcmpart's line-delimited JSON protocol (README, "External evaluators") on stdin/stdout
and scores a partition with a max-load model: a chip's time per sample is the compute time of
its nodes plus the time to send each cut tensor once per source node and to receive it once per
source node and chip; throughput = 1 / the largest chip time. Standard library only.

  --log FILE         append every request and reply (one JSON object a line) to FILE
  --break MODE       misbehave after --after N good replies, to try mcmpart's failure
                     handling: garbage (not JSON), silence (never reply), exit (exit status 3),
                     wrong-id, no-throughput
"""
import argparse
import json
import sys
import time


def node_seconds(node, chip, freq_hz):
    """Compute time of one node on one chiplet."""
    if "latency_s" in node:
        return float(node["latency_s"])
    macs = float(node.get("macs", 0))
    vector_ops = float(node.get("vector_ops", 0))
    moved = float(node.get("moved_bytes", 0))
    return (macs / (chip["array_rows"] * chip["array_cols"]) + vector_ops / chip["vector_lanes"] +
            moved / chip["sram_bytes_per_cycle"]) / freq_hz


class MaxLoadModel:
    """Per-chip loads of partitions of one graph on one hardware description."""

    def __init__(self, graph, hardware):
        chip, link = hardware["chiplet"], hardware["link"]
        self.num_chips = int(hardware["num_chips"])
        freq_hz = float(chip["freq_ghz"]) * 1e9
        nodes = graph["nodes"]
        self.compute_s = [node_seconds(n, chip, freq_hz) for n in nodes]
        self.consumers = [[] for _ in nodes]
        self.send_s = [0.0] * len(nodes)
        for e in graph["edges"]:
            src, dst = int(e["src"]), int(e["dst"])
            self.consumers[src].append(dst)
            if "cost_s" in e:
                seconds = float(e["cost_s"])
            else:
                size = float(e.get("bytes", nodes[src].get("output_bytes", 0)))
                seconds = size / (float(link["bytes_per_cycle"]) * freq_hz) + \
                    float(link["latency_cycles"]) / freq_hz
            self.send_s[src] = max(self.send_s[src], seconds)

    def chip_busy_s(self, partition):
        busy = [0.0] * self.num_chips
        for v, chip in enumerate(partition):
            busy[chip] += self.compute_s[v]
            receivers = {partition[d] for d in self.consumers[v]} - {chip}
            if receivers:
                busy[chip] += self.send_s[v]
                for r in receivers:
                    busy[r] += self.send_s[v]
        return busy

    def reply(self, request_id, partition):
        busy = self.chip_busy_s(partition)
        slowest = max(busy)
        return {"id": request_id, "throughput": 1.0 / slowest if slowest > 0 else 0.0,
                "latency_s": sum(busy), "chip_busy_s": busy}


def misbehave(mode, request):
    if mode == "garbage":
        print("this is not JSON", flush=True)
    elif mode == "silence":
        while True:
            time.sleep(3600)
    elif mode == "exit":
        sys.exit(3)
    elif mode == "wrong-id":
        print(json.dumps({"id": request["id"] + 1, "throughput": 1.0}), flush=True)
    elif mode == "no-throughput":
        print(json.dumps({"id": request["id"], "latency_s": 1.0}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--log", help="append requests and replies to this file")
    parser.add_argument("--break", dest="break_mode",
                        choices=["garbage", "silence", "exit", "wrong-id", "no-throughput"])
    parser.add_argument("--after", type=int, default=0, help="good replies before --break")
    args = parser.parse_args()
    log = open(args.log, "a") if args.log else None
    model = None
    answered = 0
    for line in sys.stdin:
        message = json.loads(line)
        if message["type"] == "init":
            model = MaxLoadModel(message["graph"], message["hardware"])
            continue
        if args.break_mode and answered >= args.after:
            misbehave(args.break_mode, message)
            continue
        reply = model.reply(message["id"], message["partition"])
        print(json.dumps(reply), flush=True)
        answered += 1
        if log:
            log.write(json.dumps({"request": message, "reply": reply}) + "\n")
            log.flush()


if __name__ == "__main__":
    main()
