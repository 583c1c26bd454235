#!/usr/bin/env python3
"""E2 transfer (SPEC §10; Xie et al., MLSys 2022, §6.3): the pre-trained policy
(experiments/pretrain.py, shipped as `pretrained`) on graphs and packages it never saw.

  1. zero-shot: `mcmpart eval` (greedy and best-of-N, repaired, cycle evaluator) on every
     held-out (graph, package) pair of the pre-training manifest, as a fraction of DP's
     partition on the same pair, in the late decision order and in the one the policy's greedy
     decode chooses;
  2. fine-tuning vs from scratch vs annealing vs DP on BERT-base (never pre-trained on), per
     seed: from scratch for --budget samples in each decision order (common.DECISION_ORDERS),
     fine-tuned from the checkpoint (`--init-from`) in the order its greedy decode scores
     higher in (common.choose_order; those evaluations count as fine-tuning samples) and
     annealing for --ft-budget samples each; the samples and wall time fine-tuning needs to
     reach the better from-scratch run's best. Training is synchronous and repairs are bounded
     by failures (common.SYNC_FLAGS), so a rerun repeats every number but the wall times.

Writes OUT/e2.md, OUT/e2.h5 (summary) and OUT/e2.png.
Usage: experiments/e2_transfer.py [--checkpoint CKPT] [--manifest JSON] [--seeds N] [--budget N]
       [--ft-budget N] [--hw PRESET ...] [--temperature T1,T2,...] [--quick] [--out DIR]
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (experiments/common.py: shared runners and readers)
import pretrain  # noqa: E402  (the package grid and its TOML)

ROOT = common.REPO
RL_FLAGS = ["--sil-coef", "0.5", "--reward-softmax-temp", "0.05"]


def best_curve(path, budget):
    (thr,) = common.rollouts(path, "throughput")
    c = common.best_so_far(np.asarray(thr, dtype=float))
    return np.pad(c, (0, max(0, budget - len(c))), mode="edge") if len(c) else np.zeros(budget)


def samples_to_reach(curve, target):
    hit = np.nonzero(curve >= target * (1 - 1e-9))[0]
    return int(hit[0]) + 1 if len(hit) else None


def hw_file(entry, out):
    path = os.path.join(out, "hw", entry["package"] + ".toml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(pretrain.package_toml(entry))
    return path


def heldout_graph(entry):
    return entry["graph"] if os.path.exists(entry["graph"]) or "/" not in entry["graph"] else \
        os.path.join(ROOT, "tests", "data", "onnx", os.path.basename(entry["graph"]))


def zero_shot_row(binary, ckpt, entry, out, samples, temperatures, log, order="late"):
    """Greedy and best-of-N / DP of one held-out pair in one decision order, as a table row."""
    graph = heldout_graph(entry)
    cmd = [binary, "eval", "--checkpoint", ckpt, "--graph", graph, "--hw", hw_file(entry, out),
           "--decision-order", order] + pretrain.eval_flags(samples, temperatures)
    try:
        r = common.run_json(cmd, log)
    except RuntimeError as err:
        return [os.path.basename(graph), entry["package"], entry["why"], "error", str(err).splitlines()[-1], ""]
    fmt = lambda x: "n/a" if x is None else "%.1f%%" % (100 * x)  # noqa: E731
    return [os.path.basename(graph), entry["package"], entry["why"], fmt(r["greedy_of_dp"]),
            fmt(r["best_of_dp"]), "%.1f" % ((r["dp"] or {}).get("throughput") or 0)]


def zero_shot(binary, ckpt, manifest, out, samples, temperatures, log):
    return [zero_shot_row(binary, ckpt, e, out, samples, temperatures, log) for e in manifest["heldout"]]


def zero_shot_chosen(binary, ckpt, manifest, out, samples, temperatures, rows, log):
    """Appends to each zero-shot row (decision order late) the order the policy's greedy decode
    chooses (common.choose_order) and greedy and best-of-N in it (evaluated again only where
    that order is not late)."""
    for e, row in zip(manifest["heldout"], rows):
        order, _ = common.choose_order(binary, ckpt, ["--graph", heldout_graph(e), "--hw", hw_file(e, out)], log)
        chosen = row if order == "late" else zero_shot_row(binary, ckpt, e, out, samples, temperatures, log, order)
        row.append("%s: %s / %s" % (order, *chosen[3:5]))


def compare_on_seed(binary, args, hw, seed, base, order, dp_best, curves, log):
    """From scratch in each decision order, fine-tuned in `order` and annealing on one seed:
    the table row after the DP column, and each arm's best throughput."""
    tag = "%s_s%d" % (hw, seed)
    s = base + ["--seed", str(seed)]
    scratch, c_s, walls = {}, {}, {}
    for o in common.DECISION_ORDERS:
        t0 = time.time()
        path = os.path.join(args.out, "scratch_%s_%s.h5" % (o, tag))
        scratch[o] = common.train(binary, s + RL_FLAGS + common.SYNC_FLAGS +
                                  ["--budget", str(args.budget), "--decision-order", o], path, log)
        walls[o] = time.time() - t0
        c_s[o] = best_curve(path, args.budget)
    t1 = time.time()
    path = os.path.join(args.out, "finetune_%s.h5" % tag)
    fine = common.train(binary, s + RL_FLAGS + common.SYNC_FLAGS +
                        ["--budget", str(args.ft_budget), "--init-from", args.checkpoint,
                         "--decision-order", order] + common.FINETUNE_FLAGS, path, log)
    wall_ft = time.time() - t1
    # The order choice's evaluations (one greedy decode per order) come first.
    c_f = np.concatenate([np.zeros(len(common.DECISION_ORDERS)), best_curve(path, args.ft_budget)])
    anneal = common.search(binary, "anneal", s + common.REPAIR_FLAGS + ["--budget", str(args.ft_budget)],
                           os.path.join(args.out, "anneal_%s.h5" % tag), log)
    target = max(r["best_throughput"] for r in scratch.values())
    first = min((o for o in common.DECISION_ORDERS if scratch[o]["best_throughput"] == target),
                key=lambda o: samples_to_reach(c_s[o], target))
    curves[tag] = (c_s[first], c_f)
    n_s, n_f = samples_to_reach(c_s[first], target), samples_to_reach(c_f, target)
    wall_f = wall_ft * n_f / len(c_f) if n_f else None
    row = ["%.1f" % anneal["best_throughput"],
           " / ".join("%.1f" % scratch[o]["best_throughput"] for o in common.DECISION_ORDERS),
           "%.1f" % fine["best_throughput"], "%.1f%%" % (100 * fine["best_throughput"] / dp_best),
           "%d (%s)" % (n_s, first), n_f if n_f else "not within %d" % len(c_f),
           "%.1fx / %.1fx" % (n_s / n_f, args.budget / n_f) if n_f else "n/a",
           "%.0f s / %s" % (walls[first], "%.0f s" % wall_f if wall_f else "n/a")]
    bests = {"anneal": anneal["best_throughput"], "finetune": fine["best_throughput"]}
    for o in common.DECISION_ORDERS:
        bests["scratch_" + o] = scratch[o]["best_throughput"]
    return row, bests


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default="pretrained")
    ap.add_argument("--manifest", default=os.path.join(ROOT, "models", "pretrained_manifest.json"))
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "e2"))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budget", type=int, default=8192, help="from-scratch samples per seed")
    ap.add_argument("--ft-budget", type=int, default=2048, help="fine-tuning and annealing samples per seed")
    ap.add_argument("--samples", type=int, default=64, help="zero-shot best-of-N")
    ap.add_argument("--temperature", default=pretrain.EVAL_TEMPERATURES, type=pretrain.temperatures_arg,
                    help="sampling temperatures of the zero-shot best-of-N (`mcmpart eval --temperature`)")
    ap.add_argument("--hw", nargs="*", default=["mcm16-ring", "mcm8-ring"])
    ap.add_argument("--quick", action="store_true", help="small budgets, one seed (a smoke run)")
    ap.add_argument("--mcmpart", default=None)
    args = ap.parse_args()
    if args.quick:
        args.seeds, args.budget, args.ft_budget, args.samples, args.hw = 1, 128, 64, 4, ["mcm8-ring"]
    binary = common.binary(args.mcmpart)
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "e2.log"), "w")
    with open(args.manifest) as f:
        manifest = json.load(f)
    zs = zero_shot(binary, args.checkpoint, manifest, args.out, args.samples, args.temperature, log)
    zero_shot_chosen(binary, args.checkpoint, manifest, args.out, args.samples, args.temperature, zs, log)
    # The same best-of-N from an untrained policy (initial weights, whose balanced-split prior
    # weight is a hand-made heuristic): what pre-training adds over the prior. Sampled at
    # temperature 1, where the prior does best (softened, it is near uniform).
    untrained = os.path.join(args.out, "untrained.h5")
    common.train(binary, ["--graph", "bert-mini", "--budget", "4", "--batch-size", "32", "--seed", "1"],
                 untrained, log)
    zs_prior = zero_shot(binary, untrained + ".ckpt", manifest, args.out, args.samples, "1", log)
    for row, prior in zip(zs, zs_prior):
        row[3:5] = ["%s (untrained %s)" % (row[3], prior[3]), "%s (untrained %s)" % (row[4], prior[4])]

    rows, curves, datasets = [], {}, {}
    for hw in args.hw:
        base = ["--graph", "bert-base", "--hw", hw, "--evaluator", "cycle"]
        dp = common.search(binary, "dp", base + common.REPAIR_FLAGS + ["--budget", "1"], os.path.join(args.out, "dp_%s.h5" % hw), log)
        order, greedy = common.choose_order(binary, args.checkpoint, base, log)
        for seed in range(1, args.seeds + 1):
            row, bests = compare_on_seed(binary, args, hw, seed, base, order, dp["best_throughput"], curves, log)
            rows.append(["%s (%s; greedy %s)" % (hw, order, " / ".join("%.1f" % greedy[o] for o in greedy)),
                         seed, "%.1f" % dp["best_throughput"]] + row)
            bests["dp"] = dp["best_throughput"]
            for k, v in bests.items():
                datasets.setdefault("%s/%s" % (hw, k), []).append(v)
    md = ["# E2: transfer of the pre-trained policy", "",
          "Checkpoint `%s`; evaluator cycle; 3 MPI ranks per training run; RL flags `%s`; "
          "fine-tuning also `%s`; training synchronous and repairs bounded by failures (`%s`), so a "
          "rerun repeats every number but the wall times." % (
              args.checkpoint, " ".join(RL_FLAGS), " ".join(common.FINETUNE_FLAGS), " ".join(common.SYNC_FLAGS)), "",
          "## Zero-shot on held-out (graph, package) pairs (greedy, and best of %d sampled at temperatures "
          "%s; the untrained policy at temperature 1; repaired; decision order late, and in the last column "
          "the order the policy's greedy decode scores higher in, common.choose_order)" % (
              args.samples, args.temperature), "",
          common.markdown_table(["graph", "package", "held out because", "greedy / DP", "best-of-N / DP",
                                 "DP (samples/s)", "order its greedy chooses: greedy / best-of-N"], zs),
          "## BERT-base: fine-tuned (%d samples) vs from scratch (%d) vs annealing (%d) vs DP" % (
              args.ft_budget, args.budget, args.ft_budget), "",
          common.markdown_table(["hardware (fine-tuning's order; greedy late / early)", "seed", "DP",
                                 "anneal", "scratch best (late / early)", "fine-tuned best",
                                 "fine-tuned / DP", "scratch: samples to its best (order)",
                                 "fine-tuned: samples to scratch's best (2 of them choose the order)",
                                 "fewer samples (vs scratch's samples to its best / vs its budget)",
                                 "wall: scratch / fine-tuned to that best"], rows)]
    with open(os.path.join(args.out, "e2.md"), "w") as f:
        f.write("\n".join(md))
    common.write_summary_h5(os.path.join(args.out, "e2.h5"), {k: np.asarray(v) for k, v in datasets.items()},
                            {"checkpoint": args.checkpoint, "budget": str(args.budget),
                             "ft_budget": str(args.ft_budget)})
    try:
        fig, ax = common.subplots(figsize=(7, 4))
        for tag, (c_s, c_f) in curves.items():
            ax.plot(np.arange(1, len(c_s) + 1), c_s, label="scratch " + tag)
            ax.plot(np.arange(1, len(c_f) + 1), c_f, ls="--", label="fine-tuned " + tag)
        ax.set_xscale("log")
        ax.set_xlabel("BERT-base evaluations")
        ax.set_ylabel("best throughput (samples/s)")
        ax.legend(fontsize=6)
        common.save_figure(fig, args.out, "e2.png")
    except ImportError:
        pass
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
