#!/usr/bin/python3
"""Plots and a markdown summary from mcmpart run files (SPEC §8), also of running jobs.

usage: /usr/bin/python3 scripts/analyze.py RUN.h5 [RUN2.h5 ...] [--out DIR] [--window N]

Writes into DIR (default: analysis/ next to the first run file):
  learning_curves.png   reward (moving average) and best throughput against samples and wall time,
                        one line per (run, strategy)
  learner.png           losses, entropy, approx-KL against samples seen (runs with learner rows)
  repair.png            repair status counts per (run, strategy)
  policy_lag.png        histogram of policy lag (learner version − version that proposed the row)
  best_<run>_<graph>.png  the best partition: work and SRAM (weights + buffers, SPEC §2) per chip
  summary.md            strategy comparison table across runs, repair statistics, best partitions
"""
import argparse
import os
import re
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

SUPPORTED_SCHEMA = 2


class BadInput(Exception):
    pass


def columns(f, group):
    """Column names of /rollouts or /learner, from the group's `columns` attribute; schema-1
    files have none, and there every dataset of the group but repair_status_names is a column."""
    g = f[group]
    if "columns" in g.attrs:
        return [c.decode() if isinstance(c, bytes) else str(c) for c in g.attrs["columns"]]
    return [name for name in g if name != "repair_status_names"]


def committed(f, group, fields):
    """Rows the writer committed: the /status counter capped by every dataset's length."""
    counter = "status/rollout_rows" if group == "rollouts" else "status/learner_rows"
    n = int(f[counter][()])
    for name in fields:
        n = min(n, f[group][name].shape[0])
    return n


def load_run(path):
    """Reads one run file into plain numpy arrays (partitions of the best only)."""
    try:
        f = h5py.File(path, "r", swmr=True)
    except OSError as e:
        raise BadInput(f"{path}: cannot open as HDF5 ({e})")
    with f:
        if f.attrs.get("format") != "mcmpart-run":
            raise BadInput(f"{path}: not an mcmpart run file (root attribute format)")
        version = int(f.attrs["schema_version"])
        if version > SUPPORTED_SCHEMA:
            raise BadInput(f"{path}: schema_version {version}, this script reads up to "
                           f"{SUPPORTED_SCHEMA}")
        meta = f["meta"]
        run = {
            "path": path,
            "label": os.path.splitext(os.path.basename(path))[0],
            "closed": bool(f["status/closed"][()]),
            "meta": {k: (v.decode() if isinstance(v, bytes) else v) for k, v in meta.attrs.items()},
            "graph_names": [g.decode() for g in meta["graph_names"][:]],
            "graph_groups": [g.decode() for g in meta["graph_groups"][:]],
        }
        rollout_fields = columns(f, "rollouts")
        n = committed(f, "rollouts", rollout_fields)
        # Partitions (2-D) are left out: only the best ones are plotted.
        r = {name: f["rollouts"][name][:n] for name in rollout_fields
             if f["rollouts"][name].ndim == 1}
        r["strategy"] = np.array([s.decode() for s in r["strategy"]], dtype=object)
        run["rollouts"] = r
        run["repair_status_names"] = [s.decode() for s in f["rollouts/repair_status_names"][:]]
        learner_fields = columns(f, "learner")
        m = committed(f, "learner", learner_fields)
        run["learner"] = {name: f["learner"][name][:m] for name in learner_fields}
        run["graphs"], run["best"] = [], []
        for group in run["graph_groups"]:
            g = f["graphs"][group]
            run["graphs"].append({k: g[k][:] for k in (
                "weight_bytes", "output_bytes", "macs", "vector_ops", "latency_s", "edges",
                "edge_bytes")})
            b = f["best"][group]
            run["best"].append({
                "found": bool(b["found"][()]), "throughput": float(b["throughput"][()]),
                "step": int(b["step"][()]), "wall_time_s": float(b["wall_time_s"][()]),
                "partition": b["partition"][:].astype(int)})
    return run


def moving_average(x, window):
    if len(x) == 0:
        return x
    window = max(1, min(window, len(x)))
    c = np.cumsum(np.insert(np.asarray(x, dtype=float), 0, 0.0))
    head = c[1:window] / np.arange(1, window)
    return np.concatenate([head, (c[window:] - c[:-window]) / window])


def best_so_far(throughput, valid):
    t = np.where(valid.astype(bool), throughput, 0.0)
    return np.maximum.accumulate(t) if len(t) else t


def groups(run):
    """(strategy, boolean mask) per strategy in a run, in first-seen order."""
    s = run["rollouts"]["strategy"]
    seen = list(dict.fromkeys(s.tolist()))
    return [(name, s == name) for name in seen]


def per_chip_use(graph, partition):
    """Work and SRAM per chip, with the SRAM rule of SPEC §2 (as hw/constraints.cc computes it)."""
    k = int(partition.max()) + 1
    n = len(partition)
    given = graph["latency_s"] >= 0
    work = np.where(given, graph["latency_s"], 0.0) if given.all() else (
        graph["macs"] + graph["vector_ops"]).astype(float)
    work_per_chip = np.bincount(partition, weights=work, minlength=k)
    weights = np.bincount(partition, weights=graph["weight_bytes"].astype(float), minlength=k)
    edges, eb = graph["edges"], graph["edge_bytes"]
    send = np.zeros(n)
    working = graph["output_bytes"].astype(float).copy()
    for (u, v), b in zip(edges, eb):
        send[u] = max(send[u], b)
        working[v] += b
    buffers = np.zeros(k)
    received = set()
    sent = set()
    for u, v in edges:
        cu, cv = partition[u], partition[v]
        if cu != cv:
            sent.add(u)
            if (u, cv) not in received:
                received.add((u, cv))
                buffers[cv] += send[u]
    for u in sent:
        buffers[partition[u]] += send[u]
    for c in range(k):
        on_c = partition == c
        buffers[c] += working[on_c].max() if on_c.any() else 0
    return work_per_chip, weights, buffers, bool(given.all())


def plot_learning_curves(runs, out_dir, window):
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for run in runs:
        r = run["rollouts"]
        for name, mask in groups(run):
            label = f"{run['label']}:{name}"
            samples = np.arange(1, mask.sum() + 1)
            wall = r["wall_time_s"][mask]
            reward = moving_average(r["reward"][mask], window)
            best = best_so_far(r["throughput"][mask], r["valid"][mask])
            axes[0, 0].plot(samples, reward, label=label)
            axes[0, 1].plot(wall, reward, label=label)
            axes[1, 0].plot(samples, best, label=label)
            axes[1, 1].plot(wall, best, label=label)
    axes[0, 0].set_ylabel(f"reward (moving average, {window})")
    axes[1, 0].set_ylabel("best throughput (samples/s)")
    for ax in axes[1]:
        ax.set_ylabel("best throughput (samples/s)")
    axes[1, 0].set_xlabel("samples (evaluations)")
    axes[1, 1].set_xlabel("wall time (s)")
    axes[0, 0].set_xlabel("samples (evaluations)")
    axes[0, 1].set_xlabel("wall time (s)")
    axes[0, 0].legend(fontsize="small")
    fig.suptitle("Learning curves")
    fig.tight_layout()
    path = os.path.join(out_dir, "learning_curves.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_learner(runs, out_dir):
    with_rows = [run for run in runs if len(run["learner"].get("update", [])) > 0]
    if not with_rows:
        return None
    keys = ["policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction", "grad_norm"]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for run in with_rows:
        l = run["learner"]
        for ax, key in zip(axes.flat, keys):
            ax.plot(l["samples_seen"], l[key], label=run["label"])
            ax.set_title(key)
            ax.set_xlabel("samples seen")
    axes[0, 0].legend(fontsize="small")
    fig.tight_layout()
    path = os.path.join(out_dir, "learner.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def status_names(runs):
    """Repair status names for all runs: statuses are only ever appended, so the longest list
    names every code (older files stop before not_found)."""
    return max((run["repair_status_names"] for run in runs), key=len)


def plot_repair(runs, out_dir):
    names = status_names(runs)
    labels, counts = [], []
    for run in runs:
        for name, mask in groups(run):
            labels.append(f"{run['label']}:{name}")
            counts.append(np.bincount(run["rollouts"]["repair_status"][mask].astype(int),
                                      minlength=len(names))[: len(names)])
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(labels)), 4.5))
    bottom = np.zeros(len(labels))
    for i, status in enumerate(names):
        values = np.array([c[i] for c in counts], dtype=float)
        ax.bar(labels, values, bottom=bottom, label=status)
        bottom += values
    ax.set_ylabel("rollouts")
    ax.set_title("Repair status")
    ax.legend(fontsize="small")
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    path = os.path.join(out_dir, "repair.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_policy_lag(runs, out_dir):
    fig, ax = plt.subplots(figsize=(6, 4))
    top = max([int(run["rollouts"]["policy_lag"].max(initial=0)) for run in runs] + [0])
    bins = np.arange(-0.5, top + 1.5, 1.0)
    for run in runs:
        ax.hist(run["rollouts"]["policy_lag"], bins=bins, alpha=0.6, label=run["label"])
    ax.set_xlabel("policy lag (versions)")
    ax.set_ylabel("rollouts")
    ax.set_title("Policy lag")
    ax.legend(fontsize="small")
    fig.tight_layout()
    path = os.path.join(out_dir, "policy_lag.png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_best(run, g, out_dir):
    best = run["best"][g]
    work, weights, buffers, given = per_chip_use(run["graphs"][g], best["partition"])
    chips = np.arange(len(work))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4))
    a1.bar(chips, work)
    a1.set_xticks(chips)
    a2.set_xticks(chips)
    a1.set_title("work per chip" + (" (given latency, s)" if given else " (MACs + vector ops)"))
    a1.set_xlabel("chip")
    a2.bar(chips, weights / 2**20, label="weights")
    a2.bar(chips, buffers / 2**20, bottom=weights / 2**20, label="buffers")
    a2.set_title("SRAM per chip (MiB)")
    a2.set_xlabel("chip")
    a2.legend(fontsize="small")
    name = run["graph_names"][g]
    fig.suptitle(f"{run['label']}: best partition of {name}, {best['throughput']:.2f} samples/s "
                 f"(step {best['step']})")
    fig.tight_layout()
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"best_{run['label']}_{name}")
    path = os.path.join(out_dir, slug + ".png")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path, work, weights + buffers


def strategy_rows(run):
    r = run["rollouts"]
    rows = []
    for name, mask in groups(run):
        valid = r["valid"][mask].astype(bool)
        best_curve = best_so_far(r["throughput"][mask], r["valid"][mask])
        best = float(best_curve[-1]) if len(best_curve) else 0.0
        reach = int(np.argmax(best_curve >= 0.95 * best)) + 1 if best > 0 else 0
        rows.append({
            "run": run["label"], "strategy": name, "samples": int(mask.sum()),
            "valid": 100.0 * valid.mean(),
            "proposal_valid": 100.0 * r["proposal_valid"][mask].astype(bool).mean(),
            "mean_reward": float(r["reward"][mask].mean()), "best": best, "reach95": reach,
            "wall": float(r["wall_time_s"][mask].max()),
        })
    return rows


def write_summary(runs, out_dir, images, best_images):
    lines = ["# Run analysis", ""]
    lines += ["| run | file | status | evaluator | seed | ranks | rollouts | learner updates |",
              "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        m = run["meta"]
        lines.append(f"| {run['label']} | {run['path']} | "
                     f"{'closed' if run['closed'] else 'not closed (running or crashed)'} | "
                     f"{m.get('evaluator', '')} | {m.get('seed', '')} | {m.get('ranks', '')} | "
                     f"{len(run['rollouts']['step'])} | {len(run['learner'].get('update', []))} |")
    lines += ["", "## Strategy comparison", "",
              "| run | strategy | samples | valid % | proposal valid % | mean reward | "
              "best throughput (samples/s) | samples to 95% of best | wall time (s) |",
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for run in runs:
        for s in strategy_rows(run):
            lines.append(f"| {s['run']} | {s['strategy']} | {s['samples']} | {s['valid']:.1f} | "
                         f"{s['proposal_valid']:.1f} | {s['mean_reward']:.4f} | {s['best']:.2f} | "
                         f"{s['reach95']} | {s['wall']:.1f} |")
    names = status_names(runs)
    lines += ["", "## Repair", "",
              "| run | strategy | " + " | ".join(names) +
              " | mean changed nodes | mean repair ms |",
              "| --- | --- | " + " | ".join("---" for _ in names) + " | --- | --- |"]
    for run in runs:
        r = run["rollouts"]
        for name, mask in groups(run):
            counts = np.bincount(r["repair_status"][mask].astype(int), minlength=len(names))
            lines.append(f"| {run['label']} | {name} | " +
                         " | ".join(str(int(c)) for c in counts[: len(names)]) +
                         f" | {r['changed_nodes'][mask].mean():.2f} | "
                         f"{r['repair_ms'][mask].mean():.3f} |")
    lines += ["", "## Policy lag", ""]
    for run in runs:
        lag = run["rollouts"]["policy_lag"]
        if len(lag):
            lines.append(f"- {run['label']}: mean {lag.mean():.2f}, max {int(lag.max())}")
    lines += ["", "## Best partitions", ""]
    for run, g, path, work, sram in best_images:
        b = run["best"][g]
        lines.append(f"- {run['label']} / {run['graph_names'][g]}: {b['throughput']:.2f} "
                     f"samples/s at step {b['step']} ({b['wall_time_s']:.1f} s), "
                     f"{len(work)} chips, work imbalance (max/mean) "
                     f"{work.max() / max(work.mean(), 1e-30):.3f}, max SRAM "
                     f"{sram.max() / 2**20:.3f} MiB — ![]({os.path.basename(path)})")
    lines += ["", "## Plots", ""]
    lines += [f"![]({os.path.basename(p)})" for p in images if p]
    path = os.path.join(out_dir, "summary.md")
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return path


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="run files (.h5)")
    parser.add_argument("--out", help="output folder (default: analysis/ beside the first run)")
    parser.add_argument("--window", type=int, default=50, help="moving-average window (rows)")
    args = parser.parse_args(argv)
    if args.window < 1:
        print("analyze.py: error: --window must be >= 1", file=sys.stderr)
        return 2
    try:
        runs = [load_run(p) for p in args.runs]
    except BadInput as e:
        print(f"analyze.py: error: {e}", file=sys.stderr)
        return 2
    labels = [run["label"] for run in runs]
    for i, run in enumerate(runs):  # distinct labels when two runs share a file name
        if labels.count(run["label"]) > 1:
            run["label"] = f"{run['label']}#{i}"
    out_dir = args.out or os.path.join(os.path.dirname(os.path.abspath(args.runs[0])), "analysis")
    os.makedirs(out_dir, exist_ok=True)
    images = [plot_learning_curves(runs, out_dir, args.window), plot_learner(runs, out_dir),
              plot_repair(runs, out_dir), plot_policy_lag(runs, out_dir)]
    best_images = []
    for run in runs:
        for g in range(len(run["graph_names"])):
            if run["best"][g]["found"]:
                path, work, sram = plot_best(run, g, out_dir)
                best_images.append((run, g, path, work, sram))
    summary = write_summary(runs, out_dir, images, best_images)
    print(f"wrote {summary} and {len([p for p in images if p]) + len(best_images)} plots")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
