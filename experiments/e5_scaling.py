#!/usr/bin/env python3
"""E5 scaling (SPEC §10): samples/s against the number of actor ranks and envs per actor.

For BERT-base on the 8-chiplet ring, runs `mpirun -np (A+1) mcmpart train` for a fixed wall
time with A = 1 .. max actors (default: the cores present, plus one oversubscribed point), then
with one actor and E = 1, 2, 4 environments per actor. Reports samples/s, parallel efficiency
relative to one actor, and the actors' time breakdown (waiting is time blocked on the learner).
Writes e5.md, e5.png and the HDF5 run files to --out.

Usage: experiments/e5_scaling.py [--quick] [--seconds S] [--max-actors N] [--out DIR]
Full mode takes about (max actors + 3) × 60 s; --quick uses 15 s per point.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (experiments/common.py: shared runners and readers)

ROOT = common.REPO


def run(binary, actors, envs, seconds, out_dir, graph, lag):
    out = os.path.join(out_dir, f"a{actors}_e{envs}.h5")
    args = ["--graph", graph, "--budget", "10000000", "--time-limit-s", str(seconds),
            "--envs-per-actor", str(envs), "--max-policy-lag", str(lag), "--max-inflight", "4"]
    return common.train(binary, args, out, sys.stdout, ranks=actors + 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--max-actors", type=int, default=(os.cpu_count() or 2) + 1)
    ap.add_argument("--graph", default="bert-base")
    ap.add_argument("--max-policy-lag", type=int, default=4, help="asynchronous mode by default")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "e5"))
    ap.add_argument("--mcmpart", default=None, help="mcmpart executable (default build/cli/mcmpart)")
    args = ap.parse_args()
    binary = common.binary(args.mcmpart)
    seconds = args.seconds or (15 if args.quick else 60)
    os.makedirs(args.out, exist_ok=True)
    points = [(a, 1) for a in range(1, args.max_actors + 1)] + [(1, 2), (1, 4)]
    results = {p: run(binary, p[0], p[1], seconds, args.out, args.graph, args.max_policy_lag) for p in points}
    base = results[(1, 1)]["samples_per_s"]
    md = [f"# E5 scaling: {args.graph} on the 8-chiplet ring, {seconds:.0f} s per point, "
          f"{os.cpu_count()} cores, max policy lag {args.max_policy_lag}", "",
          "| actors | envs/actor | samples/s | efficiency vs 1 actor | inference ms | repair ms | eval ms | "
          "messaging ms | waiting ms | waiting % | learner idle s | updates |",
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for (a, e), s in results.items():
        t = s["actor_ms"]
        total = sum(t.values())
        eff = s["samples_per_s"] / (a * base) if base else 0
        md.append(f"| {a} | {e} | {s['samples_per_s']:.1f} | {100 * eff:.0f}% | {t['inference']:.2f} | "
                  f"{t['repair']:.2f} | {t['evaluation']:.3f} | {t['messaging']:.2f} | {t['waiting']:.2f} | "
                  f"{100 * t['waiting'] / total if total else 0:.1f}% | {s['learner_s']['idle']:.1f} | {s['updates']} |")
    with open(os.path.join(args.out, "e5.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    try:
        fig, ax = common.subplots(figsize=(6, 4))
        xs = [a for (a, e) in results if e == 1]
        ax.plot(xs, [results[(a, 1)]["samples_per_s"] for a in xs], "o-", label="samples/s")
        ax.plot(xs, [a * base for a in xs], "--", color="gray", label="linear")
        ax.axvline(os.cpu_count() or 2, color="red", ls=":", label="cores")
        ax.set_xlabel("actor ranks")
        ax.set_ylabel("samples/s")
        ax.legend()
        common.save_figure(fig, args.out, "e5.png")
    except ImportError:
        pass
    print("\n".join(md))


if __name__ == "__main__":
    main()
