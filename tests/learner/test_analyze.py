"""scripts/analyze.py and `mcmpart report` on small real run files.

usage: test_analyze.py WRITER_BINARY ANALYZE_SCRIPT MCMPART_BINARY

Writes two runs with the test writer, runs the script on both and checks its plots and the
numbers in summary.md against values recomputed here from the file with h5py; checks the
`mcmpart report --json` numbers the same way. Both also read a schema-1 file
(tests/data/runs/schema_v1.h5).
"""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

WRITER, ANALYZE, MCMPART = sys.argv[1], sys.argv[2], sys.argv[3]
SCHEMA_V1 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "runs",
                         "schema_v1.h5")


def write_run(path, seed, strategies, rows):
    subprocess.run([WRITER, path, "--rows", str(rows), "--seed", str(seed), "--strategies",
                    strategies, "--flush-interval-s", "0.5"], check=True,
                   stdout=subprocess.DEVNULL)


def expected(path):
    """Per strategy: samples, valid %, best valid throughput; and best per graph."""
    with h5py.File(path, "r") as f:
        r = f["rollouts"]
        strategy = np.array([s.decode() for s in r["strategy"][:]])
        out = {}
        for name in sorted(set(strategy)):
            m = strategy == name
            valid = r["valid"][:][m].astype(bool)
            out[name] = (int(m.sum()), 100.0 * valid.mean(),
                         float(r["throughput"][:][m][valid].max()))
        groups = [g.decode() for g in f["meta/graph_groups"][:]]
        best = [float(f["best"][g]["throughput"][()]) for g in groups]
    return out, best


def table_rows(summary, heading):
    """Cells of the markdown table under `heading`."""
    lines = summary.split("\n")
    start = lines.index(heading)
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if line.startswith("| ") and not line.startswith("| ---") and not line.startswith("| run"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def main():
    with tempfile.TemporaryDirectory() as tmp:
        run_a = os.path.join(tmp, "rl_run.h5")
        run_b = os.path.join(tmp, "baselines.h5")
        write_run(run_a, 1, "rl", 240)
        write_run(run_b, 2, "random,anneal", 180)
        out_dir = os.path.join(tmp, "out")
        res = subprocess.run(["/usr/bin/python3", ANALYZE, run_a, run_b, "--out", out_dir,
                              "--window", "20"], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        files = set(os.listdir(out_dir))
        for name in ("learning_curves.png", "learner.png", "repair.png", "policy_lag.png",
                     "summary.md"):
            assert name in files, (name, files)
            assert os.path.getsize(os.path.join(out_dir, name)) > 1000, name
        best_pngs = [n for n in files if n.startswith("best_")]
        assert len(best_pngs) == 4, best_pngs  # two graphs in each run, all with a best
        with open(os.path.join(out_dir, "summary.md")) as fh:
            summary = fh.read()

        got = {(row[0], row[1]): row for row in table_rows(summary, "## Strategy comparison")}
        for path, label in ((run_a, "rl_run"), (run_b, "baselines")):
            per_strategy, best = expected(path)
            for name, (samples, valid, top) in per_strategy.items():
                row = got.pop((label, name))
                assert int(row[2]) == samples, (row, samples)
                assert abs(float(row[3]) - valid) < 0.051, (row, valid)
                assert abs(float(row[6]) - top) < 0.0051, (row, top)
            for b in best:
                assert f"{b:.2f} samples/s" in summary, b
        assert not got, f"rows for strategies the files do not hold: {got}"
        repair = table_rows(summary, "## Repair")
        assert len(repair) == 3, repair
        with h5py.File(run_b, "r") as f:
            status = f["rollouts/repair_status"][:]
            strategy = np.array([s.decode() for s in f["rollouts/strategy"][:]])
            names = [s.decode() for s in f["rollouts/repair_status_names"][:]]
        row = next(r for r in repair if r[:2] == ["baselines", "anneal"])
        counts = np.bincount(status[strategy == "anneal"], minlength=len(names))
        assert [int(c) for c in row[2:2 + len(names)]] == counts.tolist(), (row, counts)

        v1_dir = os.path.join(tmp, "v1")
        res = subprocess.run(["/usr/bin/python3", ANALYZE, SCHEMA_V1, "--out", v1_dir],
                             capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        with open(os.path.join(v1_dir, "summary.md")) as fh:
            v1_summary = fh.read()
        per_strategy, _ = expected(SCHEMA_V1)
        v1_rows = {row[1]: row for row in table_rows(v1_summary, "## Strategy comparison")}
        assert sorted(v1_rows) == sorted(per_strategy), (v1_rows, per_strategy)
        for name, (samples, _, _) in per_strategy.items():
            assert int(v1_rows[name][2]) == samples, (v1_rows[name], samples)

        # Bad input: one message on stderr, exit code 2.
        not_run = os.path.join(tmp, "plain.h5")
        with h5py.File(not_run, "w") as f:
            f["x"] = [1]
        res = subprocess.run(["/usr/bin/python3", ANALYZE, not_run, "--out", out_dir],
                             capture_output=True, text=True)
        assert res.returncode == 2 and "not an mcmpart run file" in res.stderr, res

        if os.path.exists(MCMPART):
            res = subprocess.run([MCMPART, "report", run_b, "--json"], capture_output=True,
                                 text=True)
            assert res.returncode == 0, res.stderr
            report = json.loads(res.stdout)
            per_strategy, best = expected(run_b)
            assert report["closed"] is True
            assert report["rollouts"]["rows"] == 180
            for name, (samples, valid, top) in per_strategy.items():
                s = report["strategies"][name]
                assert s["rows"] == samples and abs(100 * s["valid_fraction"] - valid) < 1e-9
                assert s["best_throughput"] == top
            assert [g["best_throughput"] for g in report["graphs"]] == best
            res = subprocess.run([MCMPART, "report", not_run], capture_output=True, text=True)
            assert res.returncode == 2 and res.stdout == "", res
            assert res.stderr.count("\n") == 1 and "plain.h5" in res.stderr, res.stderr
            res = subprocess.run([MCMPART, "report", SCHEMA_V1, "--json"], capture_output=True,
                                 text=True)
            assert res.returncode == 0, res.stderr
            report = json.loads(res.stdout)
            assert report["schema_version"] == 1 and report["rollouts"]["rows"] == 24, report
            for name, (samples, _, _) in expected(SCHEMA_V1)[0].items():
                assert report["strategies"][name]["rows"] == samples, (name, report)
            res = subprocess.run([MCMPART, "report", run_a], capture_output=True, text=True)
            assert res.returncode == 0 and "closed cleanly" in res.stdout, res
            print(res.stdout)
    print("ok")


if __name__ == "__main__":
    main()
