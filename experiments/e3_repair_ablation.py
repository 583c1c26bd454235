#!/usr/bin/python3
"""E3 (SPEC §10): what the decoder and the repair each contribute. Three arms, each with the
balanced-split prior off (`--prior-init 0`, a uniform start) and on (2, the default):
  sequential + repair    (`--decoder sequential`, the default)
  independent + repair   (`--decoder independent`: one draw per node)
  independent + penalty  (`--repair-mode penalty`: invalid proposals score the penalty)
Per run: valid fraction after repair, fraction valid as proposed, mean nodes changed by repair,
best throughput; curves of valid-as-proposed and best throughput against samples.

Writes OUT/e3.h5 (summary; run files next to it), OUT/e3.md, OUT/e3.png.
  quick: 2-layer BERT on mcm8-ring, maxload, budget 256, 1 seed (~2 min).
  full: bert-base on mcm8-ring, cycle evaluator, budget 2048, seed 1.
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
    ap.add_argument("--hw", default="mcm8-ring")
    ap.add_argument("extra", nargs="*", help="more train flags (after --)")
    args = ap.parse_args()
    mcmpart = common.binary(args.mcmpart)
    budget = args.budget or (256 if args.quick else 2048)
    seeds = args.seeds or 1
    evaluator = "maxload" if args.quick else "cycle"
    graph = "bert:layers=2,hidden=128,heads=2,seq=16" if args.quick else "bert-base"
    hw = args.hw
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "e3.log"), "w")
    arms = [("sequential+repair", ["--decoder", "sequential", "--repair-mode", "repair"]),
            ("independent+repair", ["--decoder", "independent", "--repair-mode", "repair"]),
            ("independent+penalty", ["--decoder", "independent", "--repair-mode", "penalty"])]
    data, rows, paths = {}, [], []
    for prior in (0, 2):
        for arm, flags in arms:
            key = "%s/prior%d" % (arm, prior)
            stats, curves_p, curves_b = [], [], []
            for seed in range(1, seeds + 1):
                out = os.path.join(args.out, "%s_prior%d_s%d.h5" % (arm.replace("+", "_"), prior, seed))
                common.train(mcmpart, ["--graph", graph, "--hw", hw, "--evaluator", evaluator,
                                       "--budget", str(budget), "--seed", str(seed),
                                       "--prior-init", str(prior)] + flags + args.extra, out, log)
                paths.append(out)
                valid, proposed, changed, tput = common.rollouts(
                    out, "valid", "proposal_valid", "changed_nodes", "throughput")
                tput = np.where(np.asarray(valid) > 0, tput, 0.0)
                half = len(valid) // 2
                stats.append([np.mean(valid), np.mean(proposed), np.mean(proposed[half:]),
                              np.mean(changed), np.mean(changed[half:]), np.max(tput)])
                curves_p.append(windowed(proposed, 64))
                curves_b.append(common.best_so_far(tput))
            n = min(len(c) for c in curves_p)
            data[key] = (np.mean([c[:n] for c in curves_p], axis=0),
                         np.mean([c[:n] for c in curves_b], axis=0))
            m = np.mean(stats, axis=0)
            rows.append([arm, str(prior), "%.3f" % m[0], "%.3f" % m[1], "%.3f" % m[2],
                         "%.1f" % m[3], "%.1f" % m[4], "%.1f" % m[5]])
    md = ("# E3: decoder and repair ablation (%s, %s, %s, budget %d, seeds 1..%d)\n\n"
          % (graph, hw, evaluator, budget, seeds))
    md += common.markdown_table(
        ["arm", "prior", "valid after repair", "valid as proposed", "valid as proposed, 2nd half",
         "nodes changed", "nodes changed, 2nd half", "best throughput"], rows)
    md += "\nmcmpart revision(s): %s\n" % common.run_revisions(paths)
    with open(os.path.join(args.out, "e3.md"), "w") as fh:
        fh.write(md)
    common.write_summary_h5(os.path.join(args.out, "e3.h5"),
                            {"%s/proposal_valid_window64" % k: data[k][0] for k in data} |
                            {"%s/best_throughput" % k: data[k][1] for k in data},
                            {"experiment": "E3", "graph": graph, "hardware": hw, "budget": budget,
                             "seeds": seeds})
    fig, (a, b) = common.subplots(1, 2, figsize=(12, 4.5))
    for k in data:
        style = "-" if k.endswith("prior0") else "--"
        a.plot(data[k][0], style, label=k)
        b.plot(data[k][1], style, label=k)
    a.set_xlabel("samples"); a.set_ylabel("valid as proposed (window 64)"); a.legend(fontsize=7)
    b.set_xlabel("samples"); b.set_ylabel("best throughput so far"); b.legend(fontsize=7)
    common.save_figure(fig, args.out, "e3.png")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
