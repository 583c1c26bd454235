#!/usr/bin/env python3
"""A corpus with hardware per entry: `mpiexec -n 3 mcmpart train --graph G1@HW1+G2@HW2`, then the
run file shows rollouts of both entries, each within its own package's chips, and names both
packages in /meta/graph_hardware; each entry keeps its own best partition in /best, and
`mcmpart report` names each entry's hardware and best."""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def main():
    binary = sys.argv[1]
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    budget = 96
    corpus = "synth:chain:seed=2,nodes=60@mcm8-ring+bert-mini@mcm4x4-mesh"
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "corpus.h5")
        cmd = ["mpiexec", "-n", "3", "--oversubscribe", binary, "train", "--graph", corpus,
               "--heldout", "bert-tiny@mcm8-chain", "--eval-every", "1", "--budget", str(budget),
               "--batch-size", "16", "--minibatch", "8", "--samples-per-message", "4",
               "--seed", "4", "--evaluator", "maxload", "--out", out, "--json"]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
        summary = json.loads(proc.stdout.strip().splitlines()[-1])
        assert summary["evaluations"] == budget, summary
        assert summary["graph"].endswith("+bert-mini@mcm4x4-mesh"), summary["graph"]
        assert 0 < summary["heldout_reward"] <= 1.0, summary
        with h5py.File(out, "r") as f:
            hardware = [h.decode() for h in f["meta"]["graph_hardware"][:]]
            names = [n.decode() for n in f["meta"]["graph_names"][:]]
            assert len(hardware) == len(names) == 2, (names, hardware)
            assert 'name = "mcm8-ring"' in hardware[0] and "num_chips = 8" in hardware[0], hardware[0]
            assert 'name = "mcm4x4-mesh"' in hardware[1] and "num_chips = 16" in hardware[1], hardware[1]
            assert 'topology = "mesh"' in hardware[1], hardware[1]
            sizes = [len(f["graphs"][g]["node_names"]) for g in
                     [x.decode() for x in f["meta"]["graph_groups"][:]]]
            rollouts = f["rollouts"]
            graph = rollouts["graph"][:]
            partition = rollouts["partition"][:]
            valid = rollouts["valid"][:]
            assert set(int(g) for g in graph) == {0, 1}, set(graph)
            bests = []
            for g, k in ((0, 8), (1, 16)):
                rows = partition[(graph == g) & (valid == 1)][:, :sizes[g]]
                assert len(rows) > 0, f"no valid rollout of entry {g}"
                assert rows.min() >= 0 and rows.max() < k, (g, rows.min(), rows.max())
                if k == 16:  # the mesh entry really spreads over its 16 chips, past the ring's 8
                    assert rows.max() >= 8, rows.max()
                # Each entry keeps its own best partition: its best valid rollout.
                group = f["meta"]["graph_groups"][g].decode()
                best = f["best"][group]
                throughput = rollouts["throughput"][:]
                mine = (graph == g) & (valid == 1)
                assert best["found"][()] == 1, f"no best partition stored for entry {g}"
                assert best["throughput"][()] == throughput[mine].max(), (g, best["throughput"][()])
                bests.append(float(best["throughput"][()]))
                step = int(best["step"][()])
                assert np.array_equal(best["partition"][:], partition[rollouts["step"][:] == step][0][:sizes[g]])
        # `mcmpart report` names each entry's own hardware and best (the C++ reader).
        res = subprocess.run([binary, "report", out, "--json"], capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        entries = json.loads(res.stdout)["graphs"]
        assert [e["hardware"] for e in entries] == ["mcm8-ring", "mcm4x4-mesh"], entries
        assert [e["best_throughput"] for e in entries] == bests, (entries, bests)
        text = subprocess.run([binary, "report", out], capture_output=True, text=True).stdout
        assert "bert-mini on mcm4x4-mesh: " in text and "none yet" not in text, text
    print(f"corpus of two packages: {budget} rollouts, {np.bincount(graph).tolist()} per entry, "
          f"chips < 8 on the ring and < 16 on the mesh, each entry's best stored: ok")


if __name__ == "__main__":
    main()
