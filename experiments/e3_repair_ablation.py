#!/usr/bin/python3
"""E3 (SPEC §10): RL with repair vs RL with only an invalid penalty (`--repair-mode penalty`:
proposals are not repaired, invalid ones get the invalid penalty) — valid fraction and reward
against samples.

Writes OUT/e3.h5 (summary; run files next to it), OUT/e3.md, OUT/e3.png.
  quick: 2-layer BERT on mcm8-ring, maxload, budget 256, 1 seed (~1-2 min).
  full: bert-base on mcm8-ring, cycle evaluator, budget 4096, seeds 1-3 (about 20 min on 2 cores).
  experiments/results/e3.md: `--budget 2048 --seeds 2`, 10 min on 2 cores shared with other work.
"""
import argparse
import os
import sys

import numpy as np

import common


def windowed(x, w):
    x = np.asarray(x, dtype=float)
    if len(x) == 0:
        return x
    c = np.cumsum(np.insert(x, 0, 0.0))
    lo = np.maximum(np.arange(1, len(x) + 1) - w, 0)
    return (c[1:] - c[lo]) / (np.arange(1, len(x) + 1) - lo)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="e3-out")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--mcmpart")
    ap.add_argument("--budget", type=int)
    ap.add_argument("--seeds", type=int)
    args = ap.parse_args()
    mcmpart = common.binary(args.mcmpart)
    budget = args.budget or (256 if args.quick else 4096)
    seeds = args.seeds or (1 if args.quick else 3)
    evaluator = "maxload" if args.quick else "cycle"
    graph = "bert:layers=2,hidden=128,heads=2,seq=16" if args.quick else "bert-base"
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "e3.log"), "w")
    modes = ["repair", "penalty"]
    data, rows = {}, []
    for mode in modes:
        valid_f, best_r, curves_v, curves_r = [], [], [], []
        for seed in range(1, seeds + 1):
            out = os.path.join(args.out, "%s_s%d.h5" % (mode, seed))
            r = common.train(mcmpart, ["--graph", graph, "--hw", "mcm8-ring", "--evaluator", evaluator,
                                       "--budget", str(budget), "--seed", str(seed), "--repair-mode", mode],
                             out, log)
            valid, reward = common.rollouts(out, "valid", "reward")
            valid_f.append(float(np.mean(valid)))
            best_r.append(float(np.max(reward)))
            curves_v.append(windowed(valid, 64))
            curves_r.append(windowed(reward, 64))
        n = min(len(c) for c in curves_v)
        data[mode] = (np.mean([c[:n] for c in curves_v], axis=0), np.mean([c[:n] for c in curves_r], axis=0))
        rows.append([mode, "%.3f" % np.mean(valid_f), "%.4f" % np.mean(best_r), "%.4f" % np.mean(data[mode][1][-64:])])
    md = ("# E3: repair ablation (%s, mcm8-ring, %s, budget %d, seeds 1..%d)\n\n"
          % (graph, evaluator, budget, seeds))
    md += common.markdown_table(["mode", "valid fraction", "best reward", "mean reward, last 64"], rows)
    with open(os.path.join(args.out, "e3.md"), "w") as fh:
        fh.write(md)
    common.write_summary_h5(os.path.join(args.out, "e3.h5"),
                            {"%s/valid_window64" % m: data[m][0] for m in modes} |
                            {"%s/reward_window64" % m: data[m][1] for m in modes},
                            {"experiment": "E3", "graph": graph, "budget": budget, "seeds": seeds})
    fig, (a, b) = common.subplots(1, 2, figsize=(11, 4))
    for m in modes:
        a.plot(data[m][0], label=m)
        b.plot(data[m][1], label=m)
    a.set_xlabel("samples"); a.set_ylabel("valid fraction (window 64)"); a.legend()
    b.set_xlabel("samples"); b.set_ylabel("reward (window 64)"); b.legend()
    common.save_figure(fig, args.out, "e3.png")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
