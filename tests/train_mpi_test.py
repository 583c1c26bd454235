#!/usr/bin/env python3
"""End-to-end: `mpiexec -n N mcmpart train` with a tiny budget, then read the run file with h5py."""
import json
import os
import subprocess
import sys
import tempfile

import h5py


def mpi_env(**extra):
    """The environment mpiexec needs here (MPI as root, oversubscription) plus `extra`."""
    return dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                OMPI_MCA_rmaps_base_oversubscribe="1", **extra)


def check_lags(f, summary, lag):
    """The learner trains only on records within the lag bound and counts every record beyond
    it as dropped; returns the rollouts' lags."""
    lags = [int(x) for x in f["rollouts"]["policy_lag"][:]]
    assert min(lags) >= 0, lags
    learner = f["learner"]
    assert max(float(x) for x in learner["lag_max"][:]) <= lag, list(learner["lag_max"][:])
    assert summary["dropped_stale"] == sum(1 for x in lags if x > lag), (summary, lags)
    return lags


def main():
    binary, ranks = sys.argv[1], int(sys.argv[2])
    lag = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    envs = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    slow_ms = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0  # delay of the last actor rank
    # The test hook MCMPART_TEST_LAST_RANK_DELAY_MS slows the last actor rank down.
    env = mpi_env(MCMPART_TEST_LAST_RANK_DELAY_MS=str(slow_ms))
    budget, batch = 48, 16
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.h5")
        cmd = ["mpiexec", "-n", str(ranks), "--oversubscribe", binary, "train",
               "--graph", "bert:layers=2,hidden=128,heads=2,seq=32", "--budget", str(budget),
               "--batch-size", str(batch), "--minibatch", "8", "--samples-per-message", "4",
               "--seed", "3", "--out", out, "--json", "--max-policy-lag", str(lag),
               "--max-inflight", "3", "--envs-per-actor", str(envs)]
        if envs > 1:  # also a corpus of two graphs and a held-out graph evaluated every update
            cmd[cmd.index("--graph") + 1] += "+bert-tiny"
            cmd += ["--heldout", "bert-mini", "--eval-every", "1"]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
        assert summary["evaluations"] == budget, summary
        assert summary["ranks"] == ranks, summary
        assert summary["valid_fraction"] == 1.0, summary
        assert summary["best_throughput"] > 0, summary
        with h5py.File(out, "r") as f:
            rollouts = f["rollouts"]
            n_rows = len(rollouts["reward"])
            assert n_rows == budget, f"{n_rows} rollout rows, expected {budget}"
            steps = sorted(int(s) for s in rollouts["step"][:])
            assert steps == list(range(budget)), steps
            ranks_list = [int(r) for r in rollouts["rank"][:]]
            ranks_seen = set(ranks_list)
            assert ranks_seen <= set(range(1, ranks)) and ranks_seen, ranks_seen
            n_updates = len(f["learner"]["policy_loss"])
            assert n_updates == summary["updates"], (n_updates, summary["updates"])
            assert n_updates >= 1
            best = max(float(t) for t in rollouts["throughput"][:])
            assert abs(best - summary["best_throughput"]) <= 1e-9 * best, (best, summary)
            check_lags(f, summary, lag)  # policy-lag modes
            learner = f["learner"]
            if envs > 1:
                held = [float(x) for x in learner["heldout_reward"][:]]
                assert all(0 < h <= 1.0 for h in held), held
                assert abs(held[-1] - summary["heldout_reward"]) < 1e-12, (held, summary)
                graphs = set(int(g) for g in rollouts["graph"][:])
                assert graphs == {0, 1}, graphs
            per_rank = {r: ranks_list.count(r) for r in range(1, ranks)}
            if lag == 0:  # synchronous: every actor sends its equal share of each batch
                share = -(-batch // ((ranks - 1) * 4 * envs)) * 4 * envs
                assert all(n % share == 0 for n in per_rank.values()), per_rank
                assert max(per_rank.values()) - min(per_rank.values()) <= share, per_rank
            elif slow_ms > 0:  # the fast actors are not held back by the slow one
                assert per_rank[ranks - 1] < max(per_rank.values()), per_rank
            versions = [int(v) for v in rollouts["policy_version"][:]]
            assert max(versions) <= summary["policy_version"], (max(versions), summary)
            meta = f["meta"]
            text = " ".join(str(meta.attrs[k]) for k in meta.attrs) + " ".join(meta.keys())
            assert summary["git_revision"] in text or "git" in text, text
        # The analysis script on this real run: plots and a summary that names the run's best.
        analysis = os.path.join(tmp, "analysis")
        script = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                              "scripts", "analyze.py")
        res = subprocess.run([sys.executable, script, out, "--out", analysis], capture_output=True,
                             text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        pngs = [p for p in os.listdir(analysis) if p.endswith(".png")]
        assert pngs, os.listdir(analysis)
        md = open(os.path.join(analysis, "summary.md")).read()
        assert f"{summary['best_throughput']:.2f}" in md, md[:2000]
        assert f"| {budget} |" in md, md[:2000]
    print(f"train with {ranks} ranks, max lag {lag}, {envs} envs/actor: {budget} rollout rows, "
          f"{n_updates} learner rows, {summary['dropped_stale']} stale records dropped: ok")


if __name__ == "__main__":
    main()
