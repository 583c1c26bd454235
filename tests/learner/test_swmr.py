"""Live SWMR reading and crash safety of the run file (SPEC §8).

usage: test_swmr.py WRITER_BINARY MCMPART_BINARY

Starts the test writer, reads the file with h5py (swmr=True) while rows grow, kills the writer
with SIGKILL and checks that the file still opens and holds every row up to the last flush:
once with an explicit Flush after every row, once relying on the periodic flush alone. Then
reopens the killed writer's file for appending (RunLog::OpenForAppend, as --resume will).
"""
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import h5py
import numpy as np

WRITER, MCMPART = sys.argv[1], sys.argv[2]


class Writer:
    """The writer process and the lines it printed, collected by a thread."""

    def __init__(self, path, *args):
        self.proc = subprocess.Popen([WRITER, path, *args], stdout=subprocess.PIPE, text=True)
        self.lines = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.split())

    def last(self, word):
        values = [int(v) for w, v in list(self.lines) if w == word]
        return max(values) if values else 0

    def wait_for(self, word, count, timeout=30):
        deadline = time.time() + timeout
        while self.last(word) < count:
            assert self.proc.poll() is None, f"writer exited early: {self.proc.returncode}"
            assert time.time() < deadline, f"writer did not reach '{word} {count}'"
            time.sleep(0.01)

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.thread.join(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL


def committed_rows(f):
    """Rows the writer committed, as the C++ reader counts them."""
    for name in ("status/rollout_rows", "rollouts/step", "rollouts/partition"):
        f[name].refresh()
    n = int(f["status/rollout_rows"][()])
    return min(n, f["rollouts/step"].shape[0], f["rollouts/partition"].shape[0])


def check_rows(f, n):
    """Rows [0, n) are whole: steps in order, partitions filled for their graph."""
    for name in f["rollouts"]:
        if isinstance(f["rollouts"][name], h5py.Dataset):
            f["rollouts"][name].refresh()
    steps = f["rollouts/step"][:n]
    assert np.array_equal(steps, np.arange(n)), steps
    graphs = f["rollouts/graph"][:n]
    parts = f["rollouts/partition"][:n]
    groups = [g.decode() for g in f["meta/graph_groups"][:]]
    sizes = [len(f["graphs"][g]["node_names"]) for g in groups]
    for row, g in zip(parts, graphs):
        assert (row[: sizes[g]] >= 0).all() and (row[sizes[g]:] == -1).all()
    strategies = {s.decode() for s in f["rollouts/strategy"][:n]}
    assert strategies <= {"rl", "random", "anneal"}, strategies


def reopen_after_kill(path, at_least):
    with h5py.File(path, "r", swmr=True) as f:
        n = committed_rows(f)
        assert n >= at_least, f"{n} rows after the kill, {at_least} were flushed"
        assert int(f["status/closed"][()]) == 0
        check_rows(f, n)
    # The C++ reader (through `mcmpart report`) opens the crashed file too.
    if os.path.exists(MCMPART):
        out = subprocess.run([MCMPART, "report", path], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "not closed" in out.stdout, out.stdout
    return n


def explicit_flush(tmp):
    path = os.path.join(tmp, "explicit.h5")
    w = Writer(path, "--rows", "100000", "--row-ms", "20", "--flush-interval-s", "1000",
               "--explicit-flush")
    w.wait_for("flushed", 1)
    seen = []
    with h5py.File(path, "r", swmr=True) as f:
        deadline = time.time() + 30
        while len(set(seen)) < 4:
            assert time.time() < deadline, f"rows did not grow: {seen}"
            seen.append(committed_rows(f))
            time.sleep(0.05)
        assert seen == sorted(seen), seen
        check_rows(f, seen[-1])
    w.kill()
    flushed = w.last("flushed")
    n = reopen_after_kill(path, flushed)
    print(f"explicit flush: live reader saw {sorted(set(seen))[:6]}..., "
          f"killed after {flushed} flushed rows, file holds {n}")
    # A resumed job reopens the killed writer's file and appends after its last committed row.
    subprocess.run([WRITER, path, "--append", "--rows", "7"], check=True, stdout=subprocess.DEVNULL)
    with h5py.File(path, "r") as f:  # cleanly closed again: opens without SWMR too
        assert int(f["status/closed"][()]) == 1
        assert committed_rows(f) == n + 7
        check_rows(f, n + 7)


def periodic_flush(tmp):
    path = os.path.join(tmp, "timer.h5")
    interval = 0.2
    w = Writer(path, "--rows", "100000", "--row-ms", "5", "--flush-interval-s", str(interval))
    w.wait_for("appended", 20)
    appended = w.last("appended")
    time.sleep(5 * interval)  # the periodic flush has run since
    with h5py.File(path, "r", swmr=True) as f:
        live = committed_rows(f)
        assert live >= appended, f"{live} rows visible, {appended} appended {5 * interval}s ago"
        check_rows(f, live)
    w.kill()
    n = reopen_after_kill(path, live)
    print(f"periodic flush: {appended} appended, {live} visible live, file holds {n} after kill")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        explicit_flush(tmp)
        periodic_flush(tmp)
    print("ok")


if __name__ == "__main__":
    main()
