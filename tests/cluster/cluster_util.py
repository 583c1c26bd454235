"""Shared helpers for the cluster tests: MPI environment, process trees, run-file checks."""
import os
import signal
import subprocess
import time

import h5py

GRAPH = "bert:layers=2,hidden=128,heads=2,seq=32"
# Small PPO batches keep the tiny-budget runs fast and make several updates happen.
TRAIN_FLAGS = ["--batch-size", "16", "--minibatch", "8", "--samples-per-message", "4",
               "--progress-interval-s", "0.2", "--flush-interval-s", "1"]


def mpi_env():
    return dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                OMPI_MCA_rmaps_base_oversubscribe="1")


def mpirun_cmd(ranks, binary, args):
    return ["mpirun", "-np", str(ranks), "--oversubscribe", binary] + list(args)


def children(pid):
    """Direct children of pid, read from /proc."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def descendants(pid):
    todo, out = [pid], []
    while todo:
        for c in children(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


def mpi_rank_of(pid):
    """OMPI_COMM_WORLD_RANK of a process, or None (not an MPI rank, or gone)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            for var in f.read().split(b"\0"):
                if var.startswith(b"OMPI_COMM_WORLD_RANK="):
                    return int(var.split(b"=", 1)[1])
    except OSError:
        pass
    return None


def rank_pids(mpirun_pid, ranks, timeout_s=60):
    """{rank: pid} of the ranks mpirun started, once all of them exist."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = {}
        for pid in descendants(mpirun_pid):
            r = mpi_rank_of(pid)
            if r is not None:
                found[r] = pid
        if len(found) == ranks:
            return found
        time.sleep(0.1)
    raise AssertionError(f"mpirun {mpirun_pid} did not start {ranks} ranks in {timeout_s}s")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pids, timeout_s):
    """True when every pid has exited within timeout_s."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def kill_tree(proc):
    """Last-resort cleanup of a test's own mpirun and its ranks."""
    pids = descendants(proc.pid) + [proc.pid]
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def read_rollout_steps(path, crashed=False):
    """Rollout steps, learner updates and policy versions of a run file; crashed: its writer died
    with the file open for SWMR writing, which only a SWMR reader may open."""
    with h5py.File(path, "r", swmr=crashed) as f:
        steps = [int(s) for s in f["rollouts"]["step"][:]]
        updates = [int(u) for u in f["learner"]["update"][:]]
        versions = [int(v) for v in f["learner"]["policy_version"][:]]
    return steps, updates, versions


def check_rows(path, expected_rows, what, crashed=False):
    """Rollout steps are exactly 0..expected_rows-1 (none lost, none twice); learner updates
    are 1..U in order with the policy version advancing once per update."""
    steps, updates, versions = read_rollout_steps(path, crashed)
    assert len(steps) == expected_rows, f"{what}: {len(steps)} rollout rows, expected {expected_rows}"
    dup = len(steps) - len(set(steps))
    assert dup == 0, f"{what}: {dup} duplicated rollout steps"
    assert sorted(steps) == list(range(expected_rows)), \
        f"{what}: missing steps {sorted(set(range(expected_rows)) - set(steps))[:20]}"
    assert updates == list(range(1, len(updates) + 1)), f"{what}: learner updates {updates}"
    assert versions == sorted(versions) and len(set(versions)) == len(versions), \
        f"{what}: policy versions not strictly increasing: {versions}"
    return steps, updates
