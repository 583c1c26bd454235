#!/usr/bin/env python3
"""Soak test: runs `mpirun -np N mcmpart train` for a fixed time and checks every rank's RSS stays flat.

Samples VmRSS (/proc/<pid>/status) of each mcmpart rank every few seconds, writes a CSV
(t_s, rank, pid, rss_kib) and prints per-rank RSS right after warm-up, at the end, the peak
and the growth in percent. Exits 1 when a rank grew by more than --max-growth-pct, or when
the training run itself failed.

Example (the measurement in the robustness note):
  /usr/bin/python3 scripts/rss_soak.py --minutes 20 --csv /tmp/rss_soak.csv
"""
import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time

WINDOW_S = 30.0  # samples averaged for the after-warm-up and the end value


def read_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return None


def rank_of(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            for item in f.read().split(b"\0"):
                if item.startswith(b"OMPI_COMM_WORLD_RANK="):
                    return int(item.split(b"=", 1)[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
        pass
    return None


def children(pid):
    """All descendants of pid (Open MPI's mpirun forks the local ranks itself)."""
    parent_of = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            ppid = int(stat[stat.rfind(")") + 2:].split()[1])
            parent_of[int(entry)] = ppid
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue
    found, frontier = [], {pid}
    while frontier:
        nxt = {p for p, pp in parent_of.items() if pp in frontier}
        found.extend(nxt)
        frontier = nxt
    return found


def find_ranks(mpirun_pid, binary_name):
    ranks = {}
    for pid in children(mpirun_pid):
        try:
            with open(f"/proc/{pid}/comm") as f:
                comm = f.read().strip()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if comm != binary_name[:15]:
            continue
        rank = rank_of(pid)
        if rank is not None:
            ranks[rank] = pid
    return ranks


def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.path.join(here, "..", "build", "cli", "mcmpart"))
    ap.add_argument("--minutes", type=float, default=20.0, help="length of the training run")
    ap.add_argument("--warmup-minutes", type=float, default=2.0,
                    help="RSS growth is measured from this point on")
    ap.add_argument("--interval-s", type=float, default=5.0, help="seconds between samples")
    ap.add_argument("--ranks", type=int, default=3)
    ap.add_argument("--graph", default="bert:layers=2,hidden=128,heads=2,seq=32")
    ap.add_argument("--csv", default="rss_soak.csv", help="per-sample CSV to write")
    ap.add_argument("--max-growth-pct", type=float, default=10.0)
    ap.add_argument("train_args", nargs="*", help="extra `mcmpart train` flags (after --)")
    args = ap.parse_args()
    if args.warmup_minutes * 60 + 2 * WINDOW_S > args.minutes * 60:
        ap.error("--minutes must leave room for warm-up plus two 30 s windows")

    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    duration_s = args.minutes * 60
    tmp = tempfile.TemporaryDirectory(prefix="rss_soak_")
    out = os.path.join(tmp.name, "run.h5")
    cmd = ["mpirun", "-np", str(args.ranks), "--oversubscribe", os.path.abspath(args.binary),
           "train", "--graph", args.graph, "--budget", "1000000000",
           "--time-limit-s", str(int(duration_s)), "--progress-interval-s", "60",
           "--out", out, "--json"] + args.train_args
    print("running:", " ".join(cmd), flush=True)
    log_path = os.path.join(tmp.name, "train.log")
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)

    samples = []  # (t, rank, pid, rss_kib)
    start = time.monotonic()
    deadline = start + duration_s + 120  # grace for the final checkpoint and flush
    with open(args.csv, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["t_s", "rank", "pid", "rss_kib"])
        while proc.poll() is None:
            now = time.monotonic()
            if now > deadline:
                print("rss_soak: training did not stop at its time limit; terminating",
                      file=sys.stderr)
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)
                break
            for rank, pid in sorted(find_ranks(proc.pid, os.path.basename(args.binary)).items()):
                rss = read_rss_kib(pid)
                if rss is not None:
                    row = (round(now - start, 1), rank, pid, rss)
                    samples.append(row)
                    writer.writerow(row)
            f.flush()
            time.sleep(args.interval_s)
    rc = proc.wait()
    log.close()
    elapsed = time.monotonic() - start
    with open(log_path) as f:
        tail = f.read()[-2000:]

    warm_t = args.warmup_minutes * 60
    end_t = max((s[0] for s in samples), default=0.0)
    print(f"\ntrain exit code {rc}, ran {elapsed / 60:.1f} min, {len(samples)} samples -> {args.csv}")
    print(f"{'rank':>4} {'after warm-up MiB':>18} {'end MiB':>9} {'peak MiB':>9} {'growth %':>9}")
    worst = 0.0
    ranks = sorted({s[1] for s in samples})
    for rank in ranks:
        rs = [s for s in samples if s[1] == rank]
        base = mean([s[3] for s in rs if warm_t <= s[0] < warm_t + WINDOW_S])
        last = mean([s[3] for s in rs if s[0] > end_t - WINDOW_S])
        peak = max(s[3] for s in rs)
        growth = 100.0 * (last - base) / base
        worst = max(worst, growth)
        print(f"{rank:>4} {base / 1024:>18.1f} {last / 1024:>9.1f} {peak / 1024:>9.1f} {growth:>9.2f}")
    failed = False
    if rc != 0:
        print(f"rss_soak: training failed (exit {rc}); log tail:\n{tail}", file=sys.stderr)
        failed = True
    if len(ranks) != args.ranks:
        print(f"rss_soak: sampled ranks {ranks}, expected {args.ranks}", file=sys.stderr)
        failed = True
    if end_t < warm_t + 2 * WINDOW_S:
        print(f"rss_soak: run ended after {end_t:.0f} s, before warm-up plus two windows",
              file=sys.stderr)
        failed = True
    if worst > args.max_growth_pct:
        print(f"rss_soak: RSS grew {worst:.2f}% after warm-up (limit {args.max_growth_pct}%)",
              file=sys.stderr)
        failed = True
    print("rss_soak:", "FAIL" if failed else f"ok (worst growth {worst:.2f}%)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
