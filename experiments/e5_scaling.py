#!/usr/bin/env python3
"""E5 scaling (SPEC §10): samples/s against the number of actor ranks, async and sync.

For BERT-base on the 8-chiplet ring, runs `mpirun -np (A+1) mcmpart train` for a fixed wall
time with A = 1, 2, 4, 8, 16, 32 actor ranks (--actors), each evaluation taking at least
--eval-latency-ms (emulated measurement on hardware, so that many actors fit on a few cores), in
asynchronous (--max-policy-lag, default 4) and synchronous (lag 0) mode. Reports samples/s,
parallel efficiency against A × the one-actor rate, the learner's idle fraction (the share of
the wall time the PPO trainer was not updating), the policy-lag histogram of the logged records
(/rollouts/policy_lag), dropped stale records, the learner's peak resident memory and the
actors' time breakdown. Writes e5.md, e5.png and the HDF5 run files to --out.

Usage: experiments/e5_scaling.py [--quick] [--seconds S] [--eval-latency-ms X]
                                 [--actors 1,2,4,8,16,32] [--modes async,sync] [--out DIR]
Each point takes --seconds (default 60, --quick 15) plus the ranks' start-up.
"""
import argparse
import collections
import os
import sys

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (experiments/common.py: shared runners and readers)

ROOT = common.REPO


def run(binary, actors, lag, args, seconds):
    out = os.path.join(args.out, f"a{actors}_lag{lag}.h5")
    flags = ["--graph", args.graph, "--budget", "10000000", "--time-limit-s", str(seconds),
             "--max-policy-lag", str(lag), "--eval-latency-ms", str(args.eval_latency_ms)]
    s = common.train(binary, flags, out, sys.stdout, ranks=actors + 1)
    with h5py.File(out, "r", swmr=True) as f:
        s["lag_histogram"] = dict(sorted(collections.Counter(
            int(x) for x in f["rollouts/policy_lag"][:]).items()))
    s["trainer_idle_fraction"] = 1 - s["learner_s"]["update"] / s["wall_s"] if s["wall_s"] else 0
    return s


def table(results, args, seconds):
    md = [f"# E5 scaling: {args.graph} on the 8-chiplet ring, {seconds:.0f} s per point, "
          f"{os.cpu_count()} cores, evaluation latency {args.eval_latency_ms:g} ms", "",
          "Efficiency: samples/s / (actors × the one-actor samples/s of the same mode). Learner "
          "idle: share of the wall time the PPO trainer was not updating.", "",
          "| mode | actors | samples/s | efficiency | learner idle | updates | dropped stale | "
          "policy lag histogram | learner max RSS MiB | eval ms | inference ms | waiting ms |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for mode, lag in modes(args):
        base = results.get((1, lag), {}).get("samples_per_s", 0)
        for a in args.actors:
            s = results.get((a, lag))
            if s is None:
                continue
            t = s["actor_ms"]
            eff = s["samples_per_s"] / (a * base) if base else 0
            hist = " ".join(f"{k}:{v}" for k, v in s["lag_histogram"].items())
            md.append(f"| {mode} | {a} | {s['samples_per_s']:.1f} | {100 * eff:.0f}% | "
                      f"{100 * s['trainer_idle_fraction']:.0f}% | {s['updates']} | "
                      f"{s['dropped_stale']} | {hist} | {s['learner_max_rss_mb']:.0f} | "
                      f"{t['evaluation']:.1f} | {t['inference']:.1f} | {t['waiting']:.1f} |")
    return md


def modes(args):
    lags = {"async": args.max_policy_lag, "sync": 0}
    return [(m, lags[m]) for m in args.modes]


def plot(results, args):
    try:
        fig, ax = common.subplots(figsize=(6, 4))
    except ImportError:
        return
    for mode, lag in modes(args):
        xs = [a for a in args.actors if (a, lag) in results]
        if not xs:
            continue
        ax.plot(xs, [results[(a, lag)]["samples_per_s"] for a in xs], "o-", label=mode)
        if (1, lag) in results and mode == args.modes[0]:
            base = results[(1, lag)]["samples_per_s"]
            ax.plot(xs, [a * base for a in xs], "--", color="gray", label="linear")
    ax.axvline(os.cpu_count() or 2, color="red", ls=":", label="cores")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("actor ranks")
    ax.set_ylabel("samples/s")
    ax.legend()
    common.save_figure(fig, args.out, "e5.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--actors", default="1,2,4,8,16,32", help="comma-separated actor counts")
    ap.add_argument("--modes", default="async,sync", help="async, sync or both")
    ap.add_argument("--eval-latency-ms", type=float, default=200)
    ap.add_argument("--graph", default="bert-base")
    ap.add_argument("--max-policy-lag", type=int, default=4, help="lag of the async mode")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "e5"))
    ap.add_argument("--mcmpart", default=None, help="mcmpart executable (default build/cli/mcmpart)")
    args = ap.parse_args()
    args.actors = [int(a) for a in args.actors.split(",")]
    args.modes = [m for m in args.modes.split(",") if m]
    if any(m not in ("async", "sync") for m in args.modes):
        ap.error("--modes takes async and/or sync")
    binary = common.binary(args.mcmpart)
    seconds = args.seconds or (15 if args.quick else 60)
    os.makedirs(args.out, exist_ok=True)
    results = {}
    for _, lag in modes(args):
        for a in args.actors:
            results[(a, lag)] = run(binary, a, lag, args, seconds)
            md = table(results, args, seconds)
            with open(os.path.join(args.out, "e5.md"), "w") as f:  # after every point
                f.write("\n".join(md) + "\n")
    plot(results, args)
    print("\n".join(md))


if __name__ == "__main__":
    main()
