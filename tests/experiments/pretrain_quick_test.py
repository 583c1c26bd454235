#!/usr/bin/env python3
"""experiments/pretrain.py and experiments/e2_transfer.py in quick mode, end to end: the corpus
keeps BERT-base and the ViT/Swin family out, every feasible entry has a target that
`mcmpart simulate` scores as reported (and that a second `partition` under the same budget
finds again), cloning ran before PPO and the run file records it as the summary does, every held-out pair is
evaluated zero-shot against DP, a resumed pre-training does not redo its targets, `--validate`
scores a checkpoint as `mcmpart eval` does, and E2's table has a row per seed and a second E2
repeats the first's runs exactly.

Usage: pretrain_quick_test.py EXPERIMENTS_DIR MCMPART_BINARY OUT_DIR
"""
import json
import os

import h5py
import shutil
import subprocess
import sys


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, f"{cmd}: exit {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p.stdout


def main():
    exp, binary, out = sys.argv[1:4]
    shutil.rmtree(out, ignore_errors=True)
    pre = os.path.join(out, "pretrain")
    log = run([sys.executable, os.path.join(exp, "pretrain.py"), "--quick", "--out", pre, "--mcmpart", binary])
    with open(os.path.join(pre, "manifest.json")) as f:
        manifest = json.load(f)
    graphs = [e["graph"] for e in manifest["entries"]]
    assert graphs and "bert-base" not in graphs, graphs
    assert not any(os.path.basename(g).startswith(("vit", "swin")) for g in graphs), graphs
    assert {e["graph"] for e in manifest["heldout"]} >= {"bert-base"}, manifest["heldout"]
    assert any(e["why"] == "held-out package" for e in manifest["heldout"])
    grid = [(e["k"], e["sram_mib"]) for e in manifest["entries"]]
    assert all(p not in grid for p in [(h["k"], h["sram_mib"]) for h in manifest["heldout_packages"]])
    # Each target: the throughput `partition` reported is what `simulate` gives its file.
    sys.path.insert(0, exp)
    import common  # noqa: E402  (the run-file readers)
    import pretrain  # noqa: E402  (its entry keys)
    checked = 0
    for e in manifest["entries"][:4]:
        with open(os.path.join(pre, "targets", pretrain.entry_key(e), "summary.json")) as f:
            t = json.load(f)
        if not t["feasible"]:
            continue
        sim = json.loads(run([binary, "simulate", "--graph", e["graph"], "--hw", e["hw"],
                              "--partition", t["partition"], "--json"]).strip().splitlines()[-1])
        assert abs(sim["throughput"] - t["best"]) <= 1e-9 * t["best"], (sim, t)
        # Quick mode bounds targets by --target-budget: made again, a target is the same.
        assert t["search"] == ["--budget", "100"] + common.REPAIR_FLAGS, t
        if checked == 0:
            again = json.loads(run([binary, "partition", e["graph"], "--hw", e["hw"]] + t["search"] +
                                   ["--checkpoint", "none", "--out-dir", os.path.join(out, "again"),
                                    "--json"]).strip().splitlines()[-1])
            with open(t["partition"]) as f:
                assert again["best_partition"] == json.load(f)["assignment"], e
            assert again["best_throughput"] == t["best"], (again["best_throughput"], t)
        checked += 1
    assert checked >= 1
    with open(os.path.join(pre, "train_summary.json")) as f:
        summary = json.load(f)
    im = summary["imitation"]
    assert im["steps"] == 10, im
    # The run file's /imitation holds what the summary reports, graph by graph (in index order).
    with h5py.File(os.path.join(pre, "pretrain.h5"), "r") as f:
        g = f["imitation"]
        assert g["written"][()] == 1 and g["steps"][()] == 10
        cloned = [i for i, c in enumerate(g["cloned"][:]) if c]
        assert len(cloned) == len(im["targets"]) >= 2, (cloned, len(im["targets"]))
        for i, t in zip(cloned, im["targets"]):
            assert g["decisions"][i] == t["decisions"] and g["forced_steps"][i] == t["forced_steps"], t
            assert g["agreement"][i] == t["agreement"] and g["target_throughput"][i] == t["throughput"], t
            assert g["expert_throughput"][i] == t["expert_throughput"] >= 0, t
        assert g["loss"][()] == im["loss"] and g["dagger_decisions"][()] == im["dagger_decisions"] > 0
    # `mcmpart report` reads it back.
    rep = json.loads(run([binary, "report", os.path.join(pre, "pretrain.h5"), "--json"]))["imitation"]
    assert rep["steps"] == 10 and rep["loss"] == im["loss"], rep
    assert [t["agreement"] for t in rep["targets"]] == [t["agreement"] for t in im["targets"]], rep
    assert [t["expert_throughput"] for t in rep["targets"]] == [t["expert_throughput"] for t in im["targets"]]
    assert any(t["expert_throughput"] > 0 for t in im["targets"]), im
    assert "cloning     " in run([binary, "report", os.path.join(pre, "pretrain.h5")])
    with open(os.path.join(pre, "zero_shot.json")) as f:
        zero = json.load(f)
    feasible_heldout = [e for e in manifest["heldout"]]
    assert len(zero) >= len(feasible_heldout) - 1 and len(zero) >= 3, zero
    for r in zero:
        assert r["dp"] and r["dp"] > 0 and 0 < r["best_of_dp"] <= 10, r
        assert abs(r["best_of_dp"] * r["dp"] - r["best"]) <= 1e-6 * r["best"], r
    # Running again reuses every target (no `partition` command is run again); under another
    # bound it stops with argparse's exit 2 before anything is made.
    again = run([sys.executable, os.path.join(exp, "pretrain.py"), "--quick", "--out", pre, "--mcmpart", binary])
    assert " partition " not in again, again[-2000:]
    other = subprocess.run([sys.executable, os.path.join(exp, "pretrain.py"), "--quick", "--target-budget", "50",
                            "--out", pre, "--mcmpart", binary], capture_output=True, text=True)
    assert other.returncode == 2 and "made under --budget 100" in other.stderr, other.stderr
    # --validate scores a given checkpoint only, at the temperatures asked for; its numbers are
    # `mcmpart eval`'s own.
    val = os.path.join(out, "validate")
    ckpt = os.path.join(pre, "pretrain.h5.ckpt")
    run([sys.executable, os.path.join(exp, "pretrain.py"), "--quick", "--validate", ckpt, "--temperature", "1,4",
         "--out", val, "--mcmpart", binary])
    with open(os.path.join(val, "validation.json")) as f:
        v = json.load(f)
    assert v["temperatures"] == "1,4" and len(v["pairs"]) == len(pretrain.VALIDATION), v
    assert not os.path.exists(os.path.join(val, "pretrain.h5"))
    graph, pkg = pretrain.VALIDATION[0]
    direct = json.loads(run([binary, "eval", "--checkpoint", ckpt, "--graph", graph, "--hw",
                             os.path.join(val, "hw", pretrain.package_name(pkg) + ".toml")] +
                            pretrain.eval_flags(4, "1,4")).strip().splitlines()[-1])
    assert direct["temperatures"] == [1, 4] and direct["sampled_temperature"] in (1, 4), direct
    assert direct["best_of_dp"] == v["pairs"][0]["best_of_dp"], (direct, v["pairs"][0])
    # A --temperature that is not a list of numbers: argparse's exit 2, naming it, nothing made.
    bad = subprocess.run([sys.executable, os.path.join(exp, "pretrain.py"), "--validate", ckpt, "--temperature",
                          "3,x", "--out", os.path.join(out, "bad"), "--mcmpart", binary], capture_output=True, text=True)
    assert bad.returncode == 2 and "--temperature" in bad.stderr and "3,x" in bad.stderr, bad.stderr
    assert not os.path.exists(os.path.join(out, "bad"))
    # E2 twice: its table has a row per seed, and every run repeats exactly (synchronous
    # training, failure-bounded repairs): the same rollouts, row by row.
    runs = []
    for name in ["e2", "e2_again"]:
        e2 = os.path.join(out, name)
        run([sys.executable, os.path.join(exp, "e2_transfer.py"), "--quick", "--out", e2, "--mcmpart", binary,
             "--checkpoint", os.path.join(pre, "pretrain.h5.ckpt"), "--manifest", os.path.join(pre, "manifest.json")])
        with open(os.path.join(e2, "e2.md")) as f:
            table = f.read()
        assert "| mcm8-ring (" in table and "Zero-shot" in table, table
        zs_rows = [line for line in table.split("## BERT-base")[0].splitlines() if line.startswith("| ")][2:]
        assert zs_rows and all(" late: " in r or " early: " in r for r in zs_rows), table
        # Fine-tuning runs in the order whose greedy decode scored higher, as the table says;
        # from scratch runs in each order.
        row = next(line for line in table.splitlines() if line.startswith("| mcm8-ring ("))
        greedy = [float(x) for x in row.split("greedy ")[1].split(")")[0].split(" / ")]
        order = row.split("(")[1].split(";")[0]
        assert order == ("early" if greedy[1] > greedy[0] else "late"), row
        rollouts = {}
        for kind, want in [("scratch_late", "late"), ("scratch_early", "early"), ("finetune", order),
                           ("anneal", "late")]:
            path = os.path.join(e2, "%s_mcm8-ring_s1.h5" % kind)
            assert common.finished_best(path, "anneal" if kind == "anneal" else "rl",
                                        {"actor.decision_order": want}, uses_budget=False) is not None, kind
            thr, part = common.rollouts(path, "throughput", "partition")
            assert len(thr) > 0, kind
            rollouts[kind] = (thr.tolist(), part.tolist())
        runs.append(rollouts)
    assert runs[0] == runs[1], "E2 did not repeat"
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
