#!/usr/bin/env python3
"""Kills one actor rank of `mpirun -np 3 mcmpart train` with SIGKILL after a checkpoint exists:
the job must end within 60 s (no hang) with a message naming the dead rank, and `train --resume`
must finish the run from the last checkpoint with each step 0..budget-1 exactly once (SPEC §7)."""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import cluster_util as cu

RANKS = 3
VICTIM = 2
BUDGET = 320
END_WITHIN_S = 60


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.h5")
        args = ["train", "--graph", cu.GRAPH, "--budget", str(BUDGET), "--seed", "11", "--out", out,
                "--checkpoint-every", "1"] + cu.TRAIN_FLAGS
        proc = subprocess.Popen(cu.mpirun_cmd(RANKS, binary, args), env=cu.mpi_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            pids = cu.rank_pids(proc.pid, RANKS)
            deadline = time.monotonic() + 120
            while not os.path.exists(out + ".ckpt"):
                assert proc.poll() is None, f"run ended before its first checkpoint:\n{proc.stdout.read()}"
                assert time.monotonic() < deadline, "no checkpoint after 120 s"
                time.sleep(0.05)
            os.kill(pids[VICTIM], signal.SIGKILL)
            t0 = time.monotonic()
            try:
                output, _ = proc.communicate(timeout=END_WITHIN_S)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"job still running {END_WITHIN_S}s after rank {VICTIM} died (hang)")
            took = time.monotonic() - t0
            assert cu.wait_gone(list(pids.values()), 10), "ranks left running after mpirun ended"
        except BaseException:
            cu.kill_tree(proc)
            raise
        assert proc.returncode != 0, f"mpirun exited 0 although rank {VICTIM} was killed:\n{output}"
        assert re.search(rf"rank {VICTIM}\b.*(signal 9|Killed)", output), \
            f"no message names rank {VICTIM} and its death:\n{output}"
        print(f"rank {VICTIM} killed: job ended in {took:.1f}s, exit {proc.returncode}", flush=True)
        print("\n".join(l for l in output.splitlines() if "rank" in l), flush=True)

        # The file survives the crash up to its last flush; the resume carries on from there.
        crash_rows = len(cu.read_rollout_steps(out, crashed=True)[0])
        cu.check_rows(out, crash_rows, "run file after the crash", crashed=True)
        resumed = subprocess.run(cu.mpirun_cmd(RANKS, binary, ["train", "--resume", out, "--json"]),
                                 env=cu.mpi_env(), capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, \
            f"resume failed ({resumed.returncode}):\n{resumed.stdout}\n{resumed.stderr}"
        summary = json.loads([l for l in resumed.stdout.splitlines() if l.startswith("{")][-1])
        assert summary["start_evaluations"] == crash_rows, (summary["start_evaluations"], crash_rows)
        assert summary["evaluations"] == BUDGET and not summary["interrupted"], summary
        cu.check_rows(out, BUDGET, "resumed after actor failure")
    print(f"actor failure: job ended naming rank {VICTIM}; resume from row {crash_rows} finished "
          f"{BUDGET} rows: ok")


if __name__ == "__main__":
    main()
