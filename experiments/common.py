"""Shared helpers of the experiment drivers: run mcmpart, read run files, write tables/plots."""
import json
import math
import os
import subprocess
import sys
import tomllib

import h5py
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The dnn-partitioning benchmark (MIT, Microsoft; a verbatim copy lives in tests/data).
BENCH = os.environ.get("MCMPART_BENCHMARK_DIR",
                       os.path.join(REPO, "tests", "data", "dnn-partitioning"))
# Fine-tuning from a pre-trained checkpoint starts from the policy softened to softmax(z / 5)
# (--init-temperature): the pre-trained policy is so confident that, unsoftened, 2048 samples
# barely leave its greedy partition. On the validation pair bert-large on k16-ring-32mib
# (experiments/pretrain.py VALIDATION) 5 was the best of 1, 3, 5, 8 for seed 1; over seeds 1-4
# T = 3, 5, 8, 12 were within noise (experiments/results/e2.md says how the choice was made).
FINETUNE_FLAGS = ["--init-temperature", "5"]
# Repairs bounded by search failures rather than time, and training synchronous: a seed then
# fixes a run on any machine, whatever its speed or load (README, Reproducibility).
REPAIR_FLAGS = ["--repair-fail-limit", "4000"]
SYNC_FLAGS = ["--max-policy-lag", "0"] + REPAIR_FLAGS
# The sequential decoder's decision orders (actor.decision_order, actors::PipelineOrder). A
# policy is fine-tuned in the order its greedy decode scores higher in (choose_order).
DECISION_ORDERS = ("late", "early")


def binary(path=None):
    """The mcmpart executable: --mcmpart, $MCMPART, or build*/cli/mcmpart."""
    for cand in [path, os.environ.get("MCMPART"), os.path.join(REPO, "build", "cli", "mcmpart")]:
        if cand and os.path.exists(cand):
            return cand
    sys.exit("mcmpart executable not found: pass --mcmpart PATH or set $MCMPART")


def run_json(cmd, log, cwd=None):
    """Runs a command (in `cwd`) that prints one JSON object last on stdout; returns it."""
    print("+", " ".join(cmd), file=log, flush=True)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    if p.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr[-2000:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def choose_order(mcmpart, checkpoint, args, log):
    """The decision order (DECISION_ORDERS; the first on a tie) in which `checkpoint`'s greedy
    decode, repaired, scores highest on the pair `args` names (--graph, --hw, ...): one
    evaluation per order, which the caller counts with the run's samples. Returns (order,
    {order: throughput})."""
    scores = {}
    for order in DECISION_ORDERS:
        r = run_json([mcmpart, "eval", "--json", "--checkpoint", checkpoint, "--samples", "0", "--no-dp",
                      "--decision-order", order] + args + REPAIR_FLAGS, log)
        scores[order] = r["greedy"]["throughput"] if r["greedy"]["valid"] else 0.0
    best = max(DECISION_ORDERS, key=lambda o: (scores[o], -DECISION_ORDERS.index(o)))
    return best, scores


def search(mcmpart, strategy, args, out, log):
    return run_json([mcmpart, "search", "--strategy", strategy, "--json", "--force", "--out", out] + args, log)


def train(mcmpart, args, out, log, ranks=3):
    return run_json(["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", str(ranks), mcmpart, "train",
                     "--json", "--force", "--out", out] + args, log)


def finished_best(path, strategy, expect, uses_budget=True):
    """Best throughput of a finished run file (closed; with `uses_budget`, every evaluation of the
    budget logged) made by `strategy` with the config values `expect` ({"section.key": value});
    None if there is no such file."""
    if not os.path.exists(path):
        return None
    try:
        with h5py.File(path, "r", swmr=True) as f:
            text = f["meta/config"][()]
            cfg = tomllib.loads(text.decode() if isinstance(text, bytes) else text)
            for key, want in expect.items():
                section, name = key.split(".")
                got = cfg.get(section, {}).get(name)
                if got != want and not (isinstance(got, float) and isinstance(want, float)
                                        and math.isclose(got, want, rel_tol=1e-12)):
                    return None
            status = f["status"]
            rows = int(status["rollout_rows"][()])
            if int(status["closed"][()]) != 1 or (uses_budget and rows != cfg["run"]["budget"]):
                return None
            g = f["rollouts"]
            if rows == 0 or any(s.decode() != strategy for s in np.unique(g["strategy"][:rows])):
                return None
            t = g["throughput"][:rows]
            v = g["valid"][:rows].astype(bool)
            return float(t[v].max()) if v.any() else 0.0
    except (OSError, KeyError, ValueError, tomllib.TOMLDecodeError):
        return None


def rollouts(path, *fields):
    """Columns of /rollouts in step order."""
    with h5py.File(path, "r", swmr=True) as f:
        g = f["rollouts"]
        order = np.argsort(g["step"][:], kind="stable")
        return [g[name][:][order] for name in fields]


def best_so_far(values):
    return np.maximum.accumulate(np.where(np.isfinite(values), values, 0.0))


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        lines.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(lines) + "\n"


def script_revision():
    """Git revision of the experiment scripts ("-dirty" with local changes; "unknown" outside git)."""
    try:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.strip()
        return rev + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def run_revisions(paths):
    """The mcmpart git revisions recorded in these run files, comma-separated."""
    revs = set()
    for p in paths:
        with h5py.File(p, "r", swmr=True) as f:
            revs.add(str(f["meta"].attrs.get("git_revision", "unknown")))
    return ",".join(sorted(revs))


def write_summary_h5(path, datasets, attrs):
    """One summary file per experiment: datasets (1-D, or 2-D per seed) and string attributes,
    with the scripts' git revision added as `script_git_revision`."""
    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["script_git_revision"] = script_revision()
        for k, v in attrs.items():
            f.attrs[k] = v
        for k, v in datasets.items():
            arr = np.asarray(v)
            if arr.dtype.kind in "UO":
                arr = arr.astype(h5py.string_dtype())
            f.create_dataset(k, data=arr)
    os.replace(tmp, path)


def subplots(*args, **kwargs):
    """matplotlib's subplots on the file-only Agg backend (imported here, on first use)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt.subplots(*args, **kwargs)


def save_figure(fig, out_dir, name):
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, name), dpi=120)
