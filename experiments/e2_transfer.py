#!/usr/bin/env python3
"""E2 transfer (SPEC §10): pre-train on a corpus without BERT-base, fine-tune on BERT-base.

Runs, all with `mpirun -np 3 mcmpart train`:
  1. from scratch on BERT-base for --budget evaluations;
  2. pre-training on the corpus (smaller BERTs and synthetic families, BERT-base held out);
  3. zero-shot: `mcmpart eval` of the pre-trained checkpoint on BERT-base;
  4. fine-tuning on BERT-base from the pre-trained checkpoint (--init-from).
Reports the samples each run needed to reach the from-scratch run's best throughput, the
zero-shot quality relative to it, and writes a markdown table and a PNG plot.

Usage: experiments/e2_transfer.py [--quick] [--out DIR] [--budget N] [--pretrain-budget N]
Full mode (defaults) takes about 25 minutes on 2 cores; --quick about 4 minutes.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (experiments/common.py: shared runners and readers)

ROOT = common.REPO
CORPUS = "+".join([
    "bert-mini", "bert-small", "bert-medium", "bert:layers=6,hidden=512,heads=8,seq=128",
    # Synthetic seeds whose activations fit the preset's 32 MiB chiplets.
    "synth:chain:seed=2,nodes=150", "synth:residual:seed=1,nodes=150",
    "synth:inception:seed=3,nodes=150", "synth:encdec:seed=4,nodes=150",
])
BINARY = None  # set in main()


def train(out, graph, budget, seed, extra=()):
    args = ["--graph", graph, "--budget", str(budget), "--seed", str(seed), *extra]
    return common.train(BINARY, args, out, sys.stdout)


def best_curve(path):
    (thr,) = common.rollouts(path, "throughput")
    return common.best_so_far(np.asarray(thr, dtype=float))


def samples_to_reach(curve, target):
    hit = np.nonzero(curve >= target * (1 - 1e-9))[0]
    return int(hit[0]) + 1 if len(hit) else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small budgets (CI smoke run)")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "e2"))
    ap.add_argument("--budget", type=int, default=None, help="BERT-base evaluations per run")
    ap.add_argument("--pretrain-budget", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mcmpart", default=None, help="mcmpart executable (default build/cli/mcmpart)")
    args = ap.parse_args()
    global BINARY
    BINARY = common.binary(args.mcmpart)
    budget = args.budget or (256 if args.quick else 4096)
    pre_budget = args.pretrain_budget or (256 if args.quick else 8192)
    os.makedirs(args.out, exist_ok=True)
    scratch_h5 = os.path.join(args.out, "scratch.h5")
    pre_h5 = os.path.join(args.out, "pretrain.h5")
    fine_h5 = os.path.join(args.out, "finetune.h5")

    scratch = train(scratch_h5, "bert-base", budget, args.seed)
    pre = train(pre_h5, CORPUS, pre_budget, args.seed)
    ckpt = pre["checkpoint"]
    zero = common.run_json([BINARY, "eval", "--checkpoint", ckpt, "--graph", "bert-base", "--json",
                            "--samples", "64"], sys.stdout)
    fine = train(fine_h5, "bert-base", budget, args.seed, ("--init-from", ckpt))

    target = scratch["best_throughput"]
    c_scratch, c_fine = best_curve(scratch_h5), best_curve(fine_h5)
    n_scratch = samples_to_reach(c_scratch, target)
    n_fine = samples_to_reach(c_fine, target)
    speedup = (n_scratch / n_fine) if n_fine else None
    zero_ratio = zero["best_throughput"] / target if target else 0.0
    rows = [
        ("from scratch", scratch["best_throughput"], n_scratch, scratch["wall_s"]),
        ("fine-tuned", fine["best_throughput"], n_fine, fine["wall_s"]),
        ("zero-shot (pre-trained, best of 64 + greedy)", zero["best_throughput"], None, zero["ms"] / 1e3),
    ]
    md = [f"# E2 transfer: BERT-base on the 8-chiplet ring ({'quick' if args.quick else 'full'} mode)", "",
          f"Budgets: {budget} evaluations per BERT-base run, {pre_budget} for pre-training on "
          f"`{CORPUS}`; seed {args.seed}; 3 MPI ranks; evaluator {scratch.get('evaluator')}.", "",
          "| run | best throughput (samples/s) | samples to reach the from-scratch best | wall s |",
          "| --- | --- | --- | --- |"]
    for name, thr, n, wall in rows:
        reach = "n/a (no training)" if name.startswith("zero-shot") else (n if n is not None else "not reached")
        md.append(f"| {name} | {thr:.1f} | {reach} | {wall:.1f} |")
    md += ["", f"- Fine-tuning needs {'%.1fx fewer' % speedup if speedup else 'n/a'} samples than from scratch "
               "to reach the from-scratch best (goal: at least 5x).",
           f"- Zero-shot reaches {100 * zero_ratio:.1f}% of the from-scratch best (goal: within 10%)."]
    with open(os.path.join(args.out, "e2.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    try:
        fig, ax = common.subplots(figsize=(7, 4))
        ax.plot(np.arange(1, len(c_scratch) + 1), c_scratch, label="from scratch")
        ax.plot(np.arange(1, len(c_fine) + 1), c_fine, label="fine-tuned from pre-trained")
        ax.axhline(zero["best_throughput"], color="gray", ls="--", label="zero-shot")
        ax.set_xlabel("BERT-base evaluations")
        ax.set_ylabel("best throughput (samples/s)")
        ax.legend()
        common.save_figure(fig, args.out, "e2.png")
    except ImportError:
        pass
    print("\n".join(md))


if __name__ == "__main__":
    main()
