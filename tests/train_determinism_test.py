#!/usr/bin/env python3
"""Same seed ⇒ same run: two synchronous 2-rank trainings with one seed log identical rollouts
and learner rows; a third with another seed does not."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def run(binary, out, seed):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    cmd = ["mpiexec", "-n", "2", "--oversubscribe", binary, "train",
           "--graph", "bert:layers=2,hidden=128,heads=2,seq=32", "--budget", "96",
           "--batch-size", "16", "--minibatch", "8", "--samples-per-message", "4",
           "--max-policy-lag", "0", "--max-inflight", "1", "--seed", str(seed), "--out", out]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with h5py.File(out, "r") as f:
        r, l = f["rollouts"], f["learner"]
        return {"reward": r["reward"][:], "partition": r["partition"][:], "proposal": r["proposal"][:],
                "version": r["policy_version"][:], "policy_loss": l["policy_loss"][:],
                "entropy": l["entropy"][:]}


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        a = run(binary, os.path.join(tmp, "a.h5"), 5)
        b = run(binary, os.path.join(tmp, "b.h5"), 5)
        c = run(binary, os.path.join(tmp, "c.h5"), 6)
    assert len(a["policy_loss"]) >= 3, a["policy_loss"]
    for key in a:
        assert a[key].shape == b[key].shape and np.array_equal(a[key], b[key]), f"{key} differs between equal seeds"
    assert not np.array_equal(a["proposal"], c["proposal"]), "another seed gave the same proposals"
    print(f"same seed, same run: {len(a['reward'])} rollouts and {len(a['policy_loss'])} updates identical")


if __name__ == "__main__":
    main()
