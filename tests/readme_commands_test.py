#!/usr/bin/python3
"""Runs every shell command of README.md's ```bash blocks (and its ```python examples), so that a
documented command cannot rot.

usage: readme_commands_test.py SOURCE_DIR BUILD_DIR

Each block runs as one bash script (set -e) in a fresh folder that looks like the repository
(build/, scripts/, tests/ and experiments/ linked in), as root with the two OMPI_ALLOW_RUN_AS_ROOT
variables the README documents. Budgets and sizes become small: `--budget N` and
`MCMPART_BUDGET=N` take $README_BUDGET (default 32), `--time-limit-s T` $README_TIME_LIMIT_S
(default 2), `-np N` and `--ntasks=N` 3 ranks, several
nodes one node, the host file's nodes this machine, /shared a local folder (with runs/ in it); sbatch waits for its
job (`--wait`), which must end COMPLETED with its run file written. The two set-up commands at
the top (scripts/run_demo.sh, scripts/test.sh) are not run: CI runs them anyway. Blocks with
sbatch run on a local Slurm (scripts/slurm/local_cluster.sh) and are skipped, saying why, when
there is none (no slurm-wlm, or not root).
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SOURCE, BUILD = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
BUDGET = os.environ.get("README_BUDGET", "32")
TIME_LIMIT_S = os.environ.get("README_TIME_LIMIT_S", "2")
SETUP_COMMANDS = ("bash scripts/run_demo.sh", "bash scripts/test.sh")


def blocks_of(language, text):
    return [m.group(1) for m in re.finditer(r"^```" + language + r"\n(.*?)^```", text, re.M | re.S)]


def strip_setup(block):
    kept = [l for l in block.splitlines() if not l.strip().startswith(SETUP_COMMANDS)]
    return "\n".join(kept).strip()


def small(block):
    """The block with the small sizes of this test (see the module docstring)."""
    rules = [
        (r"--budget \d+", "--budget " + BUDGET),
        (r"MCMPART_BUDGET=\d+", "MCMPART_BUDGET=" + BUDGET),
        (r"--time-limit-s \d+", "--time-limit-s " + TIME_LIMIT_S),
        (r"-np \d+", "-np 3"),
        (r"--ntasks=\d+", "--ntasks=3"),
        (r"--nodes=\d+ --ntasks-per-node=\d+", "--nodes=1 --ntasks-per-node=3"),
        (r"^node01 slots=\d+$", "localhost slots=3"),
        (r"^node0[2-9] slots=\d+\n", ""),
        (r"/shared/", "$PWD/shared/"),
        (r"\bsbatch ", "sbatch --wait --time=10 "),
    ]
    for pattern, replacement in rules:
        block = re.sub(pattern, replacement, block, flags=re.M)
    return block


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalSlurm:
    """A one-machine Slurm cluster for the sbatch blocks, or the reason there is none."""

    def __init__(self, tmp):
        self.dir, self.env, self.reason = os.path.join(tmp, "slurm"), None, None
        if os.geteuid() != 0:
            self.reason = "not root (local_cluster.sh runs slurmd as root)"
        elif not shutil.which("sbatch") or not shutil.which("slurmctld"):
            self.reason = "slurm-wlm is not installed"
        if self.reason:
            return
        ports = sorted({free_port(), free_port()})
        env = dict(os.environ, SLURMCTLD_PORT=str(ports[0]), SLURMD_PORT=str(ports[-1] + 1))
        p = subprocess.run(["bash", os.path.join(SOURCE, "scripts/slurm/local_cluster.sh"), "start",
                            self.dir], env=env, capture_output=True, text=True, timeout=120)
        if p.returncode != 0:
            self.reason = "local_cluster.sh start failed:\n" + p.stdout + p.stderr
            return
        self.env = {"SLURM_CONF": os.path.join(self.dir, "slurm.conf")}

    def stop(self):
        if self.env:
            subprocess.run(["bash", os.path.join(SOURCE, "scripts/slurm/local_cluster.sh"), "stop",
                            self.dir], capture_output=True, timeout=120)


def repository_like(tmp, name):
    work = os.path.join(tmp, name)
    os.makedirs(work)
    os.chmod(tmp, 0o755)
    for entry in ("scripts", "tests", "experiments"):
        os.symlink(os.path.join(SOURCE, entry), os.path.join(work, entry))
    os.symlink(BUILD, os.path.join(work, "build"))
    os.makedirs(os.path.join(work, "shared", "runs"))  # the cluster's shared file system
    return work


def run_python_block(index, block, tmp):
    print(f"---- README python block {index}:\n{block}", flush=True)
    work = repository_like(tmp, f"python{index}")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    p = subprocess.run(["/usr/bin/python3", "-c", block], cwd=work, env=env, capture_output=True,
                       text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError(f"README python block {index} failed:\n{p.stdout}{p.stderr}")
    print("ok", flush=True)


def run_block(index, block, tmp, slurm):
    script = small(block)
    print(f"---- README block {index}:\n{script}", flush=True)
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    if "sbatch" in script:
        if slurm.reason:
            print(f"skipped: needs Slurm, and there is none here: {slurm.reason}", flush=True)
            return False
        env.update(slurm.env)
    work = repository_like(tmp, f"block{index}")
    start = time.monotonic()
    p = subprocess.run(["bash", "-e", "-c", script], cwd=work, env=env, capture_output=True,
                       text=True, timeout=600)
    logs = ""
    for f in sorted(os.listdir(work)):
        if f.startswith("mcmpart-train-") and f.endswith(".out"):
            logs += f"\n---- {f}\n" + open(os.path.join(work, f)).read()
    if p.returncode != 0:
        raise AssertionError(f"README block {index} failed ({p.returncode}):\n{p.stdout}{p.stderr}"
                             f"{logs}")
    for out in re.findall(r"(?:--out |MCMPART_OUT=)(\S+\.h5)", script):
        path = os.path.join(work, out.replace("$PWD/", ""))
        if not os.path.exists(path):
            raise AssertionError(f"README block {index}: no run file {path}\n{p.stdout}{logs}")
    print(f"ok ({time.monotonic() - start:.1f} s)", flush=True)
    return True


def main():
    with open(os.path.join(SOURCE, "README.md")) as f:
        readme = f.read()
    blocks = [strip_setup(b) for b in blocks_of("bash", readme)]
    print("not run: " + ", ".join(SETUP_COMMANDS) + " (the set-up commands at the top; CI runs "
          "them anyway)", flush=True)
    blocks = [b for b in blocks if b]
    assert len(blocks) >= 3, f"expected the README's command blocks, found {len(blocks)}"
    with tempfile.TemporaryDirectory(prefix="mcmpart-readme-") as tmp:
        slurm = LocalSlurm(tmp) if any("sbatch" in b for b in blocks) else None
        try:
            ran = sum(run_block(i, b, tmp, slurm) for i, b in enumerate(blocks))
            for i, b in enumerate(blocks_of("python", readme)):
                run_python_block(i, b, tmp)
        finally:
            if slurm:
                slurm.stop()
    print(f"readme commands: {ran} of {len(blocks)} blocks ran and passed")


if __name__ == "__main__":
    main()
