#!/usr/bin/env python3
"""Interrupts `mpirun -np 3 mcmpart train` five times at random moments (SIGTERM to the learner,
SIGTERM to every rank as Slurm delivers it, SIGUSR1 to mpirun which forwards it) and resumes it
each time with `train --resume`. Every interruption must end all ranks within 30 s with exit 0,
leave a readable run file and a checkpoint whose rows match the evaluations made so far; the
finished run must hold each step 0..budget-1 exactly once (SPEC §7)."""
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

import cluster_util as cu

RANKS = 3
BUDGET = 2400
PROGRESS = re.compile(r"samples (\d+)/")
STOP_GRACE_S = 30
# (signal, who receives it)
INTERRUPTS = [(signal.SIGTERM, "learner"), (signal.SIGUSR1, "mpirun"), (signal.SIGTERM, "ranks"),
              (signal.SIGTERM, "learner"), (signal.SIGTERM, "ranks")]


def summary_of(stdout):
    lines = [l for l in stdout.strip().splitlines() if l.startswith("{")]
    assert lines, f"no JSON summary on stdout:\n{stdout}"
    return json.loads(lines[-1])


def run_segment(binary, args, interrupt, what):
    """Runs one mpirun. interrupt = (signal, target, rows, jitter_s): once a progress line reports
    at least `rows` evaluations, waits jitter_s and sends the signal (unless the run ended first).
    Returns (signalled, stop_seconds, summary)."""
    proc = subprocess.Popen(cu.mpirun_cmd(RANKS, binary, args + ["--json"]), env=cu.mpi_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines, reached = [], threading.Event()
    trigger_rows = interrupt[2] if interrupt else None

    def read_stderr():  # with --json the progress lines go to stderr
        for line in proc.stderr:
            err_lines.append(line)
            m = PROGRESS.search(line)
            if m and trigger_rows is not None and int(m.group(1)) >= trigger_rows:
                reached.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    signalled, stop_s = False, 0.0
    try:
        pids = cu.rank_pids(proc.pid, RANKS)
        if interrupt:
            sig, target, _, jitter_s = interrupt
            while not reached.wait(0.05) and proc.poll() is None:
                pass
            time.sleep(jitter_s)
            if proc.poll() is None:
                signalled = True
                targets = {"learner": [pids[0]], "ranks": list(pids.values()), "mpirun": [proc.pid]}[target]
                t0 = time.monotonic()
                for pid in targets:
                    try:
                        os.kill(pid, sig)
                    except ProcessLookupError:
                        pass  # finished just now
                assert cu.wait_gone(list(pids.values()), STOP_GRACE_S), \
                    f"{what}: ranks still running {STOP_GRACE_S}s after {sig.name} to {target}"
                proc.wait(timeout=max(1.0, STOP_GRACE_S - (time.monotonic() - t0)))
                stop_s = time.monotonic() - t0
        proc.wait(timeout=300)
        out = proc.stdout.read()
        reader.join(timeout=30)
        err = "".join(err_lines)
    except BaseException:
        cu.kill_tree(proc)
        raise
    assert proc.returncode == 0, f"{what}: mpirun exit {proc.returncode}\nstdout:{out}\nstderr:{err}"
    return signalled, stop_s, summary_of(out)


def main():
    binary = os.path.abspath(sys.argv[1])
    seed = int(os.environ.get("MCMPART_TEST_SEED", time.time_ns() % 100000))
    rng = random.Random(seed)
    print(f"interrupt/resume test, random seed {seed} (set MCMPART_TEST_SEED to repeat)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.h5")
        # Evaluations of at least 10 ms (kept on resume, which takes the run's config) pace the
        # run, so that every interruption lands before the budget however fast the machine is.
        fresh = ["train", "--graph", cu.GRAPH, "--budget", str(BUDGET), "--seed", "7", "--out", out,
                 "--eval-latency-ms", "10"] + cu.TRAIN_FLAGS
        args, rows_before, interruptions = fresh, 0, 0
        for i, (sig, target) in enumerate(INTERRUPTS + [(None, None)]):
            what = f"segment {i}"
            # A random point 4-10% of the budget into this segment, plus up to 0.3 s.
            interrupt = (sig, target, rows_before + int(rng.uniform(0.04, 0.10) * BUDGET),
                         rng.uniform(0.0, 0.3)) if sig else None
            signalled, stop_s, summary = run_segment(binary, args, interrupt, what)
            rows = len(cu.read_rollout_steps(out)[0])
            # The learner's counters and the file agree: rows are never lost nor written twice.
            cu.check_rows(out, rows, what)
            assert summary["evaluations"] == rows, f"{what}: summary {summary['evaluations']} != {rows} rows"
            assert summary["start_evaluations"] == rows_before, \
                f"{what}: resumed at {summary['start_evaluations']}, the file had {rows_before} rows"
            assert rows >= rows_before, f"{what}: rows went from {rows_before} to {rows}"
            if signalled and rows < BUDGET:
                interruptions += 1
                assert summary["interrupted"], f"{what}: summary does not say interrupted: {summary}"
                assert os.path.exists(out + ".ckpt"), f"{what}: no checkpoint {out}.ckpt after {sig.name}"
                print(f"{what}: {sig.name} to {target} at about {interrupt[2]} rows -> all ranks "
                      f"exited 0 in {stop_s:.1f}s, {rows} rows", flush=True)
            else:
                print(f"{what}: ran to the end, {rows} rows", flush=True)
            rows_before = rows
            if rows >= BUDGET:
                break
            args = ["train", "--resume", out]
        assert rows_before == BUDGET, f"run ended with {rows_before} rows, budget {BUDGET}"
        cu.check_rows(out, BUDGET, "finished run")
        assert interruptions == len(INTERRUPTS), f"only {interruptions} interruptions hit a running job"
    print(f"interrupt/resume: {interruptions} interruptions, {BUDGET} rows, no step lost or repeated: ok")


if __name__ == "__main__":
    main()
