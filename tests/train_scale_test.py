#!/usr/bin/env python3
"""17 ranks (16 actors) train briefly with an emulated evaluation latency; the summary and the
run file agree: every actor contributed, every sample is counted once, stale drops match lags.

usage: train_scale_test.py MCMPART [ACTORS]
"""
import json
import os
import subprocess
import sys
import tempfile

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_mpi_test import check_lags, mpi_env  # noqa: E402

LATENCY_MS = 100


def main():
    binary = sys.argv[1]
    actors = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    lag = 2
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.h5")
        cmd = ["mpiexec", "-n", str(actors + 1), "--oversubscribe", binary, "train",
               "--graph", "bert:layers=1,hidden=64,heads=2,seq=16", "--evaluator", "maxload",
               "--budget", "1000000", "--time-limit-s", "4", "--eval-latency-ms", str(LATENCY_MS),
               "--batch-size", "16", "--minibatch", "16", "--epochs", "1",
               "--samples-per-message", "1", "--max-policy-lag", str(lag), "--seed", "5",
               "--out", out, "--json"]
        proc = subprocess.run(cmd, env=mpi_env(), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
        assert summary["ranks"] == actors + 1, summary
        assert summary["learner_max_rss_mb"] > 0, summary
        with h5py.File(out, "r") as f:
            rollouts = f["rollouts"]
            ranks = [int(r) for r in rollouts["rank"][:]]
            assert len(ranks) == summary["evaluations"], (len(ranks), summary["evaluations"])
            steps = sorted(int(s) for s in rollouts["step"][:])
            assert steps == list(range(len(ranks))), "steps are not 0..n-1"
            assert set(ranks) == set(range(1, actors + 1)), sorted(set(ranks))
            # Each evaluation lasted at least the emulated latency, counted as evaluation time.
            eval_ms = [float(x) for x in rollouts["eval_ms"][:]]
            valid = [bool(v) for v in rollouts["valid"][:]]
            assert all(ms >= LATENCY_MS for ms, v in zip(eval_ms, valid) if v), min(eval_ms)
            check_lags(f, summary, lag)
            assert len(f["learner"]["policy_loss"]) == summary["updates"] >= 1, summary
    print(f"{actors} actors: {summary['evaluations']} samples, {summary['updates']} updates, "
          f"{summary['dropped_stale']} dropped stale: ok")


if __name__ == "__main__":
    main()
