#!/usr/bin/env python3
"""Same seed ⇒ same run: synchronous trainings with one seed and rank count log identical
rollouts and learner rows, even when one actor is slowed down so that messages reach the
learner in another order (two actors, two messages in flight each) and given a repair time
limit too short for any search (repairs are bounded by search failures, --repair-fail-limit);
another seed does not."""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np


def run(binary, out, seed, ranks, slow_ms=0, repair_ms=100):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               MCMPART_TEST_LAST_RANK_DELAY_MS=str(slow_ms))
    cmd = ["mpiexec", "-n", str(ranks), "--oversubscribe", binary, "train",
           "--graph", "bert:layers=2,hidden=128,heads=2,seq=32", "--budget", "96",
           "--batch-size", "16", "--minibatch", "8", "--samples-per-message", "4",
           "--max-policy-lag", "0", "--max-inflight", "2", "--seed", str(seed), "--out", out,
           "--repair-fail-limit", "1000", "--repair-time-limit-ms", str(repair_ms)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with h5py.File(out, "r") as f:
        r, l = f["rollouts"], f["learner"]
        return {"reward": r["reward"][:], "partition": r["partition"][:], "proposal": r["proposal"][:],
                "version": r["policy_version"][:], "rank": r["rank"][:], "policy_loss": l["policy_loss"][:],
                "entropy": l["entropy"][:]}


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        for ranks in (2, 3):
            a = run(binary, os.path.join(tmp, f"a{ranks}.h5"), 5, ranks)
            b = run(binary, os.path.join(tmp, f"b{ranks}.h5"), 5, ranks, slow_ms=30, repair_ms=0.001)
            c = run(binary, os.path.join(tmp, f"c{ranks}.h5"), 6, ranks)
            assert len(a["policy_loss"]) >= 3, a["policy_loss"]
            for key in a:
                assert a[key].shape == b[key].shape and np.array_equal(a[key], b[key]), \
                    f"{key} differs between equal seeds ({ranks} ranks)"
            assert not np.array_equal(a["proposal"], c["proposal"]), "another seed gave the same proposals"
            if ranks == 3:  # both actors' records are in every batch
                assert set(a["rank"]) == {1, 2}, set(a["rank"])
            print(f"{ranks} ranks, same seed, same run: {len(a['reward'])} rollouts and "
                  f"{len(a['policy_loss'])} updates identical")


if __name__ == "__main__":
    main()
